//! Whatever the bytes, the TOML and JSON readers and the planner return errors, never panic.
//! A deterministic pseudo-random run (same inputs every time) of mutated configurations.

use std::path::Path;

const TOML: &str = r#"version = 1
[formatters.f]
format = "%(levelname)s %(message)s"
style = "%"
[handlers.h]
class = "logging.FileHandler"
filename = "/nonexistent/x.log"
mode = "a"
level = "INFO"
formatter = "f"
non_blocking = true
overflow = "drop_below:WARNING"
[loggers."a.b"]
level = 10
propagate = false
handlers = ["h"]
[root]
level = "WARNING"
handlers = ["h"]
"#;

const JSON: &str = r#"{"version": 1, "formatters": {"f": {"format": "{message}", "style": "{"}},
"handlers": {"h": {"class": "StreamHandler", "stream": "ext://sys.stdout", "colors": "never"}},
"loggers": {"x": {"handlers": ["h"], "level": "debug"}}, "root": {"handlers": ["h"]}}"#;

/// xorshift: a fixed sequence, so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const PIECES: &[&[u8]] = &[
    b"[",
    b"]",
    b"{",
    b"}",
    b"\"",
    b"'",
    b"=",
    b",",
    b"\n",
    b"\\",
    b"\\u{0}",
    b"1e999",
    b"-9223372036854775809",
    b"class",
    b"handlers",
    b"ext://",
    b"()",
    b"\xff",
    b"[[x]]",
    b"level",
    b"\"LOUD\"",
    b"null",
    b"true",
    b"0o777",
    b"drop_below:",
    b"%(",
    b"{x!z}",
];

fn mutate(rng: &mut Rng, base: &[u8]) -> Vec<u8> {
    let mut v = base.to_vec();
    for _ in 0..=rng.below(6) {
        let at = rng.below(v.len() + 1);
        match rng.below(4) {
            0 if !v.is_empty() => {
                let end = (at + rng.below(20)).min(v.len());
                v.drain(at.min(v.len())..end);
            }
            1 => {
                let piece = PIECES[rng.below(PIECES.len())];
                v.splice(at..at, piece.iter().copied());
            }
            2 => v.insert(at, (rng.next() & 0xff) as u8),
            _ => {
                let copy: Vec<u8> = v[at.min(v.len())..]
                    .iter()
                    .take(rng.below(30))
                    .copied()
                    .collect();
                v.splice(at..at, copy);
            }
        }
    }
    v
}

#[test]
fn mutated_toml_and_json_never_panic() {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    for i in 0..6_000 {
        let (name, base) = if i % 2 == 0 {
            ("f.toml", TOML)
        } else {
            ("f.json", JSON)
        };
        let bytes = mutate(&mut rng, base.as_bytes());
        let path = Path::new(name);
        let (config, errors) = tracing_handlers_config::parse_lossy(path, &bytes);
        for e in errors.iter() {
            assert!(!e.to_string().is_empty());
        }
        if let Some(config) = config {
            // Planning checks arguments and formats without opening anything.
            let _ = tracing_handlers_config::build::plan(&config, path);
        }
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let json = format!("{{\"version\": 1, \"handlers\": {}}}", "[".repeat(100_000));
    let r = tracing_handlers_config::parse(Path::new("deep.json"), json.as_bytes());
    assert!(r.is_err());
    let toml = format!("version = 1\nx = {}", "[".repeat(100_000));
    let r = tracing_handlers_config::parse(Path::new("deep.toml"), toml.as_bytes());
    assert!(r.is_err());
}
