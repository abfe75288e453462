//! Values of `args`/`kwargs` as real `logging.conf` files write them, checked without opening
//! anything: constant arithmetic (`10*1024*1024`), and how refused values are quoted.

use std::path::Path;

use tracing_handlers_config::build::plan;
use tracing_handlers_config::parse;

fn check(handler: &str) -> Result<String, String> {
    let text = format!(
        "[loggers]\nkeys=root\n[handlers]\nkeys=h\n[formatters]\nkeys=\n\
         [handler_h]\n{handler}\n[logger_root]\nlevel=INFO\nhandlers=h\n"
    );
    let path = Path::new("logging.conf");
    let config = parse(path, text.as_bytes()).map_err(|e| e.to_string())?;
    plan(&config, path)
        .map(|p| p.describe())
        .map_err(|e| e.to_string())
}

#[test]
fn max_bytes_written_as_arithmetic_is_accepted_as_python_evaluates_it() {
    // CPython evals args; the idiom of countless configs is `10*1024*1024`.
    let text = check("class=handlers.RotatingFileHandler\nargs=('app.log', 'a', 10*1024*1024, 5)")
        .unwrap();
    assert!(text.contains("maxBytes 10485760, backupCount 5"), "{text}");
    let text = check(
        "class=handlers.RotatingFileHandler\nargs=('app.log',)\n\
         kwargs={'maxBytes': 1024 ** 2 * 5, 'backupCount': 2 + 1}",
    )
    .unwrap();
    assert!(text.contains("maxBytes 5242880, backupCount 3"), "{text}");
    // Arithmetic is on numbers only, and never runs code.
    let err = check("class=FileHandler\nargs=('app' + '.log',)").unwrap_err();
    assert!(
        err.contains("operator '+' applies only to numbers"),
        "{err}"
    );
    let err = check("class=handlers.RotatingFileHandler\nargs=('a.log', 'a', 2**64)").unwrap_err();
    assert!(
        err.contains("integer does not fit in 64 bits (column 22): '**'"),
        "{err}"
    );
}

#[test]
fn a_refused_string_value_is_quoted_once() {
    let err = check("class=FileHandler\nargs=('app.log', 'a', 'latin-1')").unwrap_err();
    assert!(err.contains("only utf-8 is supported: 'latin-1'"), "{err}");
    assert!(!err.contains("''"), "{err}");
    let err = check("class=StreamHandler\nargs=(sys.stdout, 'extra')").unwrap_err();
    assert!(
        err.contains("StreamHandler takes at most 1 positional argument: 'extra'"),
        "{err}"
    );
}

#[test]
fn every_python_name_of_utf8_is_accepted_and_other_encodings_are_refused() {
    // The names CPython's `codecs.lookup` resolves to `utf-8`, spelled as configs do.
    for name in [
        "utf-8", "UTF8", "utf_8", "U8", "utf", "cp65001", "UTF-8", "locale",
    ] {
        let handler = format!("class=FileHandler\nargs=('app.log', 'a', '{name}')");
        assert!(check(&handler).is_ok(), "{name}: {:?}", check(&handler));
    }
    for name in ["latin-1", "ascii", "utf-16", "utf-8-sig", "utf8x"] {
        let handler = format!("class=FileHandler\nargs=('app.log', 'a', '{name}')");
        let err = check(&handler).unwrap_err();
        assert!(err.contains("only utf-8 is supported"), "{name}: {err}");
    }
}

#[test]
fn socket_and_syslog_take_the_same_reconnect_schedule() {
    // Python's SocketHandler retryStart/retryFactor/retryMax; our syslog handler reconnects
    // over TCP/TLS on the same schedule and takes the same options.
    for class in [
        "class=handlers.SocketHandler\nargs=('localhost', 9020)",
        "class=handlers.SysLogHandler\nargs=(('localhost', 514), handlers.SysLogHandler.LOG_USER, handlers.socket.SOCK_STREAM)",
    ] {
        let ok = format!(
            "{class}\nkwargs={{'retry_start': 0.05, 'retry_factor': 3, 'retry_max': 2.5, 'connect_at_startup': False}}"
        );
        let ok = ok.replace(", 'connect_at_startup': False", "");
        assert!(check(&ok).is_ok(), "{class}: {:?}", check(&ok));
        for bad in ["0.5", "'fast'", "float('inf')"] {
            let text = format!("{class}\nkwargs={{'retry_factor': {bad}}}");
            let err = check(&text).unwrap_err();
            assert!(
                err.contains("retry_factor") && err.contains("expected a number >= 1")
                    || err.contains("float"),
                "{class} {bad}: {err}"
            );
        }
    }
}
