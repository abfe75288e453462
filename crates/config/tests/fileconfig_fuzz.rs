//! Robustness: ~20,000 deterministic pseudo-random inputs (random bytes, mutations of a valid
//! `logging.conf`, random `args` token soup, hostile nesting and interpolation) must never
//! panic, and every error must carry a message.

use std::path::Path;

use tracing_handlers_config::parse;

/// xorshift64*: deterministic, no extra crates.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const VALID: &str = "\
[DEFAULT]
out=sys.stdout

[loggers]
keys=root,portal

[handlers]
keys=console,syslog

[formatters]
keys=simple

[logger_root]
level=WARNING
handlers=console

[logger_portal]
level=INFO
handlers=syslog,console
propagate=0
qualname=portal

[handler_console]
class=StreamHandler
formatter=simple
args=(%(out)s,)

[handler_syslog]
class=handlers.SysLogHandler
args=(('localhost', handlers.SYSLOG_UDP_PORT),
    handlers.SysLogHandler.LOG_LOCAL0)
kwargs={'socktype': handlers.socket.SOCK_DGRAM}

[formatter_simple]
format=%(asctime)s %(levelname)s: %(message)s
datefmt=%Y-%m-%d
";

const PIECES: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    ".",
    "'",
    "\"",
    "'''",
    "\\",
    "\n",
    "\n  ",
    " ",
    "#",
    ";",
    "%",
    "%%",
    "%(out)s",
    "%(",
    "=",
    "-",
    "+",
    "*",
    "**",
    "0x",
    "0b_",
    "1_",
    "1e",
    ".5",
    "9999999999999999999999",
    "True",
    "None",
    "sys",
    "stdout",
    "handlers",
    "LOG_",
    "lambda",
    "for",
    "r'",
    "b'",
    "f'",
    "\\x4",
    "\\u",
    "\\N{",
    "\u{e9}",
    "\u{2603}",
    "\r",
    "\t",
    "[a]",
    "[DEFAULT]",
    "keys=",
    "args=",
    "\u{0}",
    "\u{feff}",
];

fn check(input: &[u8]) {
    if let Err(errors) = parse(Path::new("x.conf"), input) {
        assert!(!errors.is_empty());
        for e in errors.iter() {
            assert!(!e.message.is_empty(), "empty message for {input:?}");
            assert!(!e.to_string().is_empty());
        }
    }
}

#[test]
fn random_bytes() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..5_000 {
        let len = rng.below(300);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        check(&bytes);
        // Mostly printable ASCII gets further into the parser.
        let text: Vec<u8> = (0..len)
            .map(|_| *rng.pick(b"[]=:#;% \n\t()',.abcdefghijklmnop_ABC0123456789\\\"{}"))
            .collect();
        check(&text);
    }
}

#[test]
fn mutations_of_a_valid_file() {
    check(VALID.as_bytes());
    parse(Path::new("x.conf"), VALID.as_bytes()).expect("the seed file is valid");
    let mut rng = Rng(42);
    for _ in 0..8_000 {
        let mut bytes = VALID.as_bytes().to_vec();
        for _ in 0..1 + rng.below(6) {
            let at = rng.below(bytes.len() + 1);
            match rng.below(4) {
                0 if at < bytes.len() => {
                    let end = (at + rng.below(20)).min(bytes.len());
                    bytes.drain(at..end);
                }
                1 => {
                    let piece = rng.pick(PIECES).as_bytes();
                    bytes.splice(at..at, piece.iter().copied());
                }
                2 if at < bytes.len() => bytes[at] = rng.next() as u8,
                _ => {
                    let piece = rng.pick(PIECES).repeat(1 + rng.below(50));
                    bytes.splice(at..at, piece.bytes());
                }
            }
        }
        check(&bytes);
    }
}

#[test]
fn random_args_token_soup() {
    let mut rng = Rng(7);
    for _ in 0..2_000 {
        let soup: String = (0..rng.below(40)).map(|_| *rng.pick(PIECES)).collect();
        let text = VALID.replace(
            "args=(%(out)s,)",
            &format!("args={}", soup.replace('%', "%%")),
        );
        check(text.as_bytes());
    }
}

#[test]
fn hostile_inputs() {
    let deep = [
        "(".repeat(100_000),
        "[".repeat(100_000),
        "{'a':".repeat(50_000),
        "-".repeat(100_000),
        format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000)),
        "'".repeat(100_001),
        "\\\n".repeat(10_000),
    ];
    for d in &deep {
        let text = VALID.replace("args=(%(out)s,)", &format!("args={d}"));
        let errors = parse(Path::new("x.conf"), text.as_bytes()).expect_err("refused");
        assert!(errors.iter().all(|e| !e.message.is_empty()));
    }
    // Exponential interpolation is cut off.
    let mut text = VALID.replace("out=sys.stdout", "k0=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    for i in 1..=9 {
        text = text.replacen(
            "[loggers]",
            &format!("k{i}={}\n[loggers]", format!("%(k{})s", i - 1).repeat(64)),
            1,
        );
    }
    let text = text.replace("args=(%(out)s,)", "args=(%(k9)s,)");
    let errors = parse(Path::new("x.conf"), text.as_bytes()).expect_err("refused");
    assert!(
        errors.iter().any(|e| e.message.contains("longer than")),
        "{errors}"
    );
    // Many sections, many options, long lines.
    let mut big = String::from(VALID);
    for i in 0..2_000 {
        big.push_str(&format!("[s{i}]\n{}=v\n", "k".repeat(i % 200 + 1)));
    }
    big.push_str(&format!("[long]\nx={}\n", "y".repeat(1 << 20)));
    check(big.as_bytes());
}
