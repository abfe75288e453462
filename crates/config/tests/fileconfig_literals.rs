//! The restricted `args`/`kwargs` literal parser, through whole `logging.conf` files.
//!
//! Every accepted form is compared with what Python's fileConfig computes for the same file
//! (configparser, then `eval(text, vars(logging))`); every refused form names its token and
//! column, and nothing in it runs.

use std::fmt::Write as _;
use std::path::Path;

use tracing_handlers_config::{parse, ConfigError, ConfigErrors, Location, PyValue};

fn conf(handlers: &[String]) -> String {
    let keys: Vec<String> = (0..handlers.len()).map(|i| format!("h{i}")).collect();
    let mut text = format!(
        "[loggers]\nkeys=root\n[logger_root]\nhandlers=\n[formatters]\nkeys=\n\
         [handlers]\nkeys={}\n",
        keys.join(",")
    );
    for (k, body) in keys.iter().zip(handlers) {
        let _ = write!(text, "[handler_{k}]\nclass=StreamHandler\n{body}\n");
    }
    text
}

/// A one-line-per-value canonical form, identical to the Python side's.
fn canon(v: &PyValue) -> String {
    let join = |items: &[PyValue]| items.iter().map(canon).collect::<Vec<_>>().join(",");
    match v {
        PyValue::None => "None".into(),
        PyValue::Bool(b) => (if *b { "True" } else { "False" }).into(),
        PyValue::Int(i) => format!("I{i}"),
        PyValue::Float(f) => format!("F{}", f.to_bits() as i64),
        PyValue::Str(s) => format!(
            "S{}",
            s.bytes().map(|b| format!("{b:02x}")).collect::<String>()
        ),
        PyValue::Tuple(items) => format!("T({})", join(items)),
        PyValue::List(items) => format!("L[{}]", join(items)),
        PyValue::Dict(entries) => format!(
            "D{{{}}}",
            entries
                .iter()
                .map(|(k, v)| format!("{}:{}", canon(k), canon(v)))
                .collect::<Vec<_>>()
                .join(",")
        ),
        PyValue::Stdout => "STDOUT".into(),
        PyValue::Stderr => "STDERR".into(),
    }
}

const PY_CANON: &str = r#"
import sys, struct, configparser, logging, logging.config
def c(v):
    if v is None: return "None"
    if v is True: return "True"
    if v is False: return "False"
    if v is sys.stdout: return "STDOUT"
    if v is sys.stderr: return "STDERR"
    if isinstance(v, int): return "I%d" % int(v)
    if isinstance(v, float): return "F%d" % struct.unpack("<q", struct.pack("<d", v))[0]
    if isinstance(v, str): return "S" + v.encode("utf-8").hex()
    if isinstance(v, tuple): return "T(" + ",".join(map(c, v)) + ")"
    if isinstance(v, list): return "L[" + ",".join(map(c, v)) + "]"
    if isinstance(v, dict): return "D{" + ",".join(c(k) + ":" + c(x) for k, x in v.items()) + "}"
    return "?" + type(v).__name__
cp = configparser.ConfigParser()
cp.read_string(sys.stdin.read())
for k in [k.strip() for k in cp["handlers"]["keys"].split(",")]:
    s = cp["handler_" + k]
    args = eval(s.get("args", "()"), vars(logging))
    kwargs = eval(s.get("kwargs", "{}"), vars(logging))
    print(c(tuple(args)) + " " + c(kwargs))
"#;

/// Indents continuation lines so a multi-line value stays one INI value.
fn value(option: &str, expr: &str) -> String {
    format!("{option}={}", expr.replace('\n', "\n    "))
}

const ACCEPTED: &[&str] = &[
    "()",
    "(1,)",
    "(1, 2)",
    "[1, 'a']",
    "{}",
    "{'a': 1, 'a': 2}",
    "{1: 'a', True: 'b', 1.0: 'c'}",
    "{(1, 2): 'tuple key', None: 0}",
    "-0x_ff",
    "0o17",
    "0B101",
    "1_000_000",
    "00",
    "--1",
    "+-+1",
    "-9223372036854775808",
    "9223372036854775807",
    "1.5e3",
    ".5",
    "5.",
    "1e400",
    "1_0.2_5E-1_0",
    "-0.0",
    "0.1",
    "'a' \"b\" '''c''' \"\"\"d\"\"\"",
    r"r'\n\'' R'\d+'",
    r#"'\x41\u00e9\U0001F600\101\0\7\777\n\t\a\b\f\v\r\\\'\"\q'"#,
    "u'x' U'y'",
    "'''multi\nline'''",
    "'caf\u{e9} \u{2603}'",
    "'a;b#c'",
    "True",
    "False",
    "None",
    "sys.stdout",
    "sys . stderr",
    "(\nsys.stdout,\n)",
    "('a',  # comment\n'b')",
    "('x' \\\n'y')",
    "'a\\\nb'",
    "(1,\n# a comment line\n2)",
    "[[[1]]]",
    "{'k': (1, [2, {'z': None}])}",
    "((1, 2), 3)",
    // Constant arithmetic, as in `maxBytes=10*1024*1024`.
    "10*1024*1024",
    "1024 ** 2 * 5",
    "(1 + 2) * 3 - 4",
    "-2 ** 2",
    "2 ** 3 ** 2",
    "2 ** -1",
    "-(1)",
    "7 // -2",
    "-7 %% 3", // %% is configparser's escape for %
    "7 %% -3",
    "7 / 2",
    "-7.5 %% 2",
    "-7.0 // 2",
    "1.5e3 * 2 + 1",
    "1e308 * 10",
    "9223372036854775807 - 1 + 1",
];

const NAMES: &[&str] = &[
    "sys.stdout",
    "sys.stderr",
    "CRITICAL",
    "FATAL",
    "ERROR",
    "WARNING",
    "WARN",
    "INFO",
    "DEBUG",
    "NOTSET",
    "handlers.SYSLOG_UDP_PORT",
    "handlers.SYSLOG_TCP_PORT",
    "handlers.DEFAULT_TCP_LOGGING_PORT",
    "handlers.DEFAULT_UDP_LOGGING_PORT",
    "handlers.socket.SOCK_STREAM",
    "handlers.socket.SOCK_DGRAM",
];

const SYSLOG_CONSTANTS: &[&str] = &[
    "EMERG", "ALERT", "CRIT", "ERR", "WARNING", "NOTICE", "INFO", "DEBUG", "KERN", "USER", "MAIL",
    "DAEMON", "AUTH", "SYSLOG", "LPR", "NEWS", "UUCP", "CRON", "AUTHPRIV", "FTP", "NTP",
    "SECURITY", "CONSOLE", "SOLCRON", "LOCAL0", "LOCAL1", "LOCAL2", "LOCAL3", "LOCAL4", "LOCAL5",
    "LOCAL6", "LOCAL7",
];

#[test]
fn accepted_literals_and_names_match_python() {
    if !tracing_handlers_test_support::require(
        "python3",
        "accepted_literals_and_names_match_python",
    ) {
        return;
    }
    let mut exprs: Vec<String> = ACCEPTED.iter().map(|s| (*s).to_owned()).collect();
    exprs.extend(NAMES.iter().map(|s| (*s).to_owned()));
    exprs.extend(
        SYSLOG_CONSTANTS
            .iter()
            .map(|c| format!("handlers.SysLogHandler.LOG_{c}")),
    );
    // Each expression as kwargs={'v': expr}; the top-level forms also as args.
    let mut bodies: Vec<String> = exprs
        .iter()
        .map(|e| value("kwargs", &format!("{{'v': {e}}}")))
        .collect();
    bodies.extend([
        value("args", "'host', handlers.SYSLOG_UDP_PORT"),
        value("args", "[sys.stderr]"),
        value("args", "(\nsys.stdout,\n)"),
        format!(
            "{}\n{}",
            value("args", "('app.log', 'a', 1_000, 3)"),
            value("kwargs", "{'encoding': 'utf-8', 'delay': True}")
        ),
    ]);
    let text = conf(&bodies);
    let config = parse(Path::new("t.conf"), text.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let ours: Vec<String> = config
        .handlers
        .iter()
        .map(|h| {
            let args = PyValue::Tuple(h.args.iter().map(|a| a.value.clone()).collect());
            let kwargs = PyValue::Dict(
                h.kwargs
                    .iter()
                    .map(|(k, v)| (PyValue::Str(k.clone()), v.value.clone()))
                    .collect(),
            );
            format!("{} {}", canon(&args), canon(&kwargs))
        })
        .collect();
    let out = tracing_handlers_test_support::python(PY_CANON, text.as_bytes(), &[]);
    let python: Vec<String> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(ours.len(), python.len());
    for ((ours, python), body) in ours.iter().zip(&python).zip(&bodies) {
        assert_eq!(ours, python, "{body}");
    }
}

/// Items of a `kwargs` dict whose keys are not strings are refused (Python: `keywords must be
/// strings`), and everything refused carries line, column and token.
fn refused(body: &str) -> ConfigError {
    let text = conf(&[body.to_owned()]);
    let errors = parse(Path::new("t.conf"), text.as_bytes())
        .expect_err(body)
        .0;
    assert_eq!(errors.len(), 1, "{}", ConfigErrors(errors.clone()));
    errors.into_iter().next().unwrap()
}

#[test]
fn refused_forms_name_token_and_column_and_run_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("marker");
    let m = marker.display().to_string();
    let cases: Vec<(String, &str, &str, u32)> = vec![
        (
            format!("__import__('os').system('touch {m}')"),
            "__import__",
            "calls are not allowed",
            7,
        ),
        (
            format!("open('{m}', 'w')"),
            "open",
            "calls are not allowed",
            7,
        ),
        ("eval('1')".into(), "eval", "calls are not allowed", 7),
        (
            format!("exec(\"open('{m}','w')\")"),
            "exec",
            "calls are not allowed",
            7,
        ),
        ("sys.modules".into(), "sys.modules", "name not allowed", 7),
        ("os.environ".into(), "os.environ", "name not allowed", 7),
        ("1<<1".into(), "<<", "operator '<<' is not allowed", 8),
        (
            "'a'+'b'".into(),
            "+",
            "operator '+' applies only to numbers",
            10,
        ),
        ("lambda: 0".into(), "lambda", "lambdas are not allowed", 7),
        (
            "[x for x in ()]".into(),
            "for",
            "comprehensions are not allowed",
            10,
        ),
        ("f'{x}'".into(), "f'{x}'", "f-strings are not allowed", 7),
        (
            "sys.stdout.write('x')".into(),
            "sys.stdout.write",
            "calls are not allowed",
            7,
        ),
        (
            "(lambda: open('x'))()".into(),
            "lambda",
            "lambdas are not allowed",
            8,
        ),
        (
            "logging.DEBUG".into(),
            "logging.DEBUG",
            "'logging' is not defined",
            7,
        ),
        (
            "socket.SOCK_STREAM".into(),
            "socket.SOCK_STREAM",
            "handlers.socket.SOCK_STREAM",
            7,
        ),
        ("{1, 2}".into(), "{", "sets are not supported", 7),
        ("b'x'".into(), "b'x'", "bytes literals are not supported", 7),
        ("1j".into(), "1j", "complex numbers are not supported", 7),
        (
            "('unterminated".into(),
            "'unterminated,)",
            "unterminated string literal",
            8,
        ),
        ("(1, 2".into(), "", "unexpected end of expression", 14),
        ("x".into(), "x", "name not allowed", 7),
    ];
    for (expr, token, message, column) in &cases {
        let e = refused(&format!("args=({expr},)"));
        assert_eq!(e.location, Location::Line(11), "{e}");
        assert_eq!(e.section.as_deref(), Some("handler_h0"), "{e}");
        assert_eq!(e.token.as_deref(), Some(*token), "{expr}: {e}");
        assert!(e.message.contains(message), "{expr}: {e}");
        assert!(
            e.message.contains(&format!("(column {column})")),
            "{expr}: {e}"
        );
    }
    // The same in kwargs and on a continuation line.
    let e = refused("kwargs={\n    'stream': __import__('os'),\n    }");
    assert_eq!(e.location, Location::Line(12));
    assert!(
        e.message.starts_with("kwargs: calls are not allowed") && e.message.contains("(column 15)"),
        "{e}"
    );
    assert!(!marker.exists(), "something ran");
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    for open in ["(", "[", "{'k': "] {
        let e = refused(&format!("args={}", open.repeat(100_000)));
        assert!(e.message.contains("nested more than 100 levels"), "{e}");
    }
    let ok = conf(&[format!("args=({}1{},)", "[".repeat(98), "]".repeat(98))]);
    assert!(parse(Path::new("t.conf"), ok.as_bytes()).is_ok());
}
