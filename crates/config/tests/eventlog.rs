//! `handlers.NTEventLogHandler` in `logging.conf` and TOML: Python's arguments and ours,
//! checked without opening anything.

use std::path::Path;

use tracing_handlers_config::build::plan;
use tracing_handlers_config::parse;

fn conf(handler: &str) -> String {
    format!(
        "[loggers]\nkeys=root\n[handlers]\nkeys=ev\n[formatters]\nkeys=\n\
         [handler_ev]\n{handler}\n[logger_root]\nlevel=INFO\nhandlers=ev\n"
    )
}

fn check(handler: &str) -> Result<String, String> {
    let path = Path::new("logging.conf");
    let config = parse(path, conf(handler).as_bytes()).map_err(|e| e.to_string())?;
    plan(&config, path)
        .map(|p| p.describe())
        .map_err(|e| e.to_string())
}

#[test]
fn python_arguments() {
    for args in [
        "args=('Portal',)",
        "args=('Portal', None, 'Application')",
        "args=['Portal', '', 'System']",
        "args=('Portal',)\nkwargs={'dllname': '%%SystemRoot%%\\\\x.dll', 'logtype': 'Application'}",
        "kwargs={'appname': 'Portal'}",
    ] {
        let text = check(&format!("class=handlers.NTEventLogHandler\n{args}"))
            .unwrap_or_else(|e| panic!("{args}: {e}"));
        assert!(text.contains("NTEventLogHandler "), "{text}");
        assert!(text.contains("/Portal"), "{text}");
    }
    let text =
        check("class=logging.handlers.NTEventLogHandler\nargs=('Portal', None, 'System')").unwrap();
    assert!(text.contains("NTEventLogHandler System/Portal"), "{text}");
}

#[test]
fn our_options() {
    let text = check(
        "class=handlers.NTEventLogHandler\nargs=('Portal',)\n\
         kwargs={'event_id': 100, 'event_ids': {'ERROR': 1000, 'critical': 1001, 'other': 7}, \
         'category': 2, 'categories': {'WARNING': 3}, \
         'event_types': {'DEBUG': 'success', 'TRACE': 4, 'other': 'EVENTLOG_WARNING_TYPE'}, \
         'register': False, 'max_message_units': 2048}",
    );
    assert!(text.is_ok(), "{text:?}");
}

#[test]
fn bad_values_name_the_token() {
    let cases = [
        ("args=()", "missing required argument"),
        ("args=('',)", "invalid appname '': must not be empty"),
        ("args=('a\\\\b',)", "must not contain a backslash"),
        ("args=('Portal', None, '')", "invalid logtype"),
        (
            "args=('Portal', None, 'Application', 1)",
            "at most 3 positional",
        ),
        (
            "args=('Portal',)\nkwargs={'event_id': -1}",
            "expected an event id",
        ),
        (
            "args=('Portal',)\nkwargs={'category': 70000}",
            "expected a category",
        ),
        (
            "args=('Portal',)\nkwargs={'event_ids': {'VERBOSE': 1}}",
            "keys must be level names",
        ),
        (
            "args=('Portal',)\nkwargs={'event_ids': {'NOTSET': 1}}",
            "keys must be level names",
        ),
        (
            "args=('Portal',)\nkwargs={'event_types': {'ERROR': 'fatal'}}",
            "expected event types",
        ),
        (
            "args=('Portal',)\nkwargs={'event_types': 'error'}",
            "expected a dict",
        ),
        (
            "args=('Portal',)\nkwargs={'facility': 1}",
            "has no parameter of that name",
        ),
    ];
    for (args, expected) in cases {
        let err = check(&format!("class=handlers.NTEventLogHandler\n{args}")).unwrap_err();
        assert!(err.contains(expected), "{args}: {err}");
        assert!(err.contains("handler_ev"), "{args}: {err}");
    }
    let err = check("class=NTEventLogHandler\nargs=('Portal',)").unwrap_err();
    assert!(err.contains("handlers.NTEventLogHandler"), "{err}");
}

#[test]
fn from_toml() {
    let path = Path::new("logging.toml");
    let toml = r#"
version = 1
[handlers.ev]
class = "logging.handlers.NTEventLogHandler"
appname = "Portal"
logtype = "Application"
event_ids = { ERROR = 1000, CRITICAL = 1001 }
event_types = { DEBUG = "success" }
register = false
[root]
level = "INFO"
handlers = ["ev"]
"#;
    let config = parse(path, toml.as_bytes()).unwrap();
    let text = plan(&config, path).unwrap().describe();
    assert!(
        text.contains("NTEventLogHandler Application/Portal"),
        "{text}"
    );
}
