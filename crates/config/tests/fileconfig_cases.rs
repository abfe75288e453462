//! fileConfig checks FC-01..FC-12 (reference §12.4), through the public `parse` entry point.
//!
//! FC-02 and FC-10 are about what Python does to loggers that already exist in the process
//! (disabling, re-enabling). A loaded file cannot know them; here we check that the model
//! records what the build step needs for that (which loggers are named,
//! `disable_existing_loggers`), and the build step's tests cover the process side.

use std::path::Path;

use tracing_handlers_config::{parse, Config, ConfigError, ConfigErrors, Location, PyValue};
use tracing_handlers_core::{Level, Style};

fn ok(text: &str) -> Config {
    parse(Path::new("logging.conf"), text.as_bytes()).unwrap_or_else(|e| panic!("{e}"))
}

fn errs(text: &str) -> Vec<ConfigError> {
    parse(Path::new("logging.conf"), text.as_bytes())
        .expect_err("should be refused")
        .0
}

/// The one error of `text`, checked to mention `message` and carry `token`.
fn one_error(text: &str, message: &str, token: &str) -> ConfigError {
    let errors = errs(text);
    assert_eq!(errors.len(), 1, "{}", ConfigErrors(errors.clone()));
    let e = errors.into_iter().next().unwrap();
    assert!(e.message.contains(message), "{e}");
    assert_eq!(e.token.as_deref(), Some(token), "{e}");
    e
}

const MINIMAL_TAIL: &str = "[handlers]\nkeys=h\n[formatters]\nkeys=\n\
                            [handler_h]\nclass=StreamHandler\n";

const FC01: &str = "\
[loggers]
keys=root,portal,portal_db

[handlers]
keys=console,file,syslog

[formatters]
keys=simple

[logger_root]
level=WARNING
handlers=console

[logger_portal]
level=INFO
handlers=file,syslog
propagate=0
qualname=portal

[logger_portal_db]
handlers=
qualname=portal.db

[handler_console]
class=StreamHandler
level=NOTSET
formatter=simple
args=(sys.stdout,)

[handler_file]
class=FileHandler
formatter=simple
args=('portal.log', 'a')

[handler_syslog]
class=handlers.SysLogHandler
args=(('localhost', handlers.SYSLOG_UDP_PORT), handlers.SysLogHandler.LOG_LOCAL0)

[formatter_simple]
format=%(asctime)s %(levelname)s %(name)s: %(message)s
datefmt=%Y-%m-%d
";

fn handler_names(l: &tracing_handlers_config::LoggerDef) -> Vec<&str> {
    l.handlers.iter().map(|h| h.value.as_str()).collect()
}

#[test]
fn fc01_complete_file() {
    let c = ok(FC01);
    assert_eq!(c.root.level, Some(Level::WARNING));
    assert_eq!(handler_names(&c.root), ["console"]);
    assert_eq!(c.loggers.len(), 2);
    let portal = &c.loggers[0];
    assert_eq!(portal.name, "portal");
    assert_eq!(portal.level, Some(Level::INFO));
    assert!(!portal.propagate);
    assert_eq!(handler_names(portal), ["file", "syslog"]);
    assert_eq!(portal.location, Location::Line(14));
    let db = &c.loggers[1];
    assert_eq!(db.name, "portal.db");
    assert_eq!(db.level, None);
    assert!(db.propagate);
    assert!(db.handlers.is_empty());

    let names: Vec<_> = c.handlers.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(names, ["console", "file", "syslog"]);
    let console = &c.handlers[0];
    assert_eq!(console.class.value, "StreamHandler");
    assert_eq!(console.class.location, Location::Line(25));
    assert_eq!(console.level, Some(Level::NOTSET));
    assert_eq!(console.formatter.as_ref().unwrap().value, "simple");
    assert_eq!(console.args.len(), 1);
    assert_eq!(console.args[0].value, PyValue::Stdout);
    assert_eq!(console.args[0].text, "sys.stdout");
    assert_eq!(console.args[0].location, Location::Line(28));
    let syslog = &c.handlers[2];
    assert_eq!(syslog.class.value, "handlers.SysLogHandler");
    assert_eq!(
        syslog
            .args
            .iter()
            .map(|a| a.value.clone())
            .collect::<Vec<_>>(),
        [
            PyValue::Tuple(vec![PyValue::Str("localhost".into()), PyValue::Int(514)]),
            PyValue::Int(16)
        ]
    );

    assert_eq!(c.formatters.len(), 1);
    let f = &c.formatters[0];
    assert_eq!(
        f.format.as_deref(),
        Some("%(asctime)s %(levelname)s %(name)s: %(message)s")
    );
    assert_eq!(f.datefmt.as_deref(), Some("%Y-%m-%d"));
    assert_eq!(f.style, Style::Percent);
    assert!(!f.json && !f.utc);
    assert!(c.disable_existing_loggers);
}

/// FC-01 against python3: the real fileConfig on the same text configures the same levels,
/// propagation and handler lists.
#[test]
fn fc01_matches_python_fileconfig() {
    if !tracing_handlers_test_support::require("python3", "fc01_matches_python_fileconfig") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let script = r#"
import sys, logging, logging.config
logging.config.fileConfig(sys.stdin)
def show(l):
    print(l.name, l.level, int(l.propagate), ",".join(h.name for h in l.handlers))
show(logging.getLogger())
show(logging.getLogger("portal"))
show(logging.getLogger("portal.db"))
for h in logging.getLogger("portal").handlers + logging.getLogger().handlers:
    print(h.name, h.level, h.formatter._fmt if h.formatter else None)
"#;
    let out = tracing_handlers_test_support::python(
        &format!("import os; os.chdir({:?})\n{script}", dir.path()),
        FC01.as_bytes(),
        &[],
    );
    let c = ok(FC01);
    let level = |l: Option<Level>, default: i32| l.map_or(default, Level::number);
    let mut expected = String::new();
    for (l, default) in [(&c.root, 30), (&c.loggers[0], 0), (&c.loggers[1], 0)] {
        expected.push_str(&format!(
            "{} {} {} {}\n",
            l.name,
            level(l.level, default),
            u8::from(l.propagate),
            handler_names(l).join(",")
        ));
    }
    for name in ["file", "syslog", "console"] {
        let h = c.handlers.iter().find(|h| h.name == name).unwrap();
        let fmt = h
            .formatter
            .as_ref()
            .map(|f| {
                c.formatters
                    .iter()
                    .find(|d| d.name == f.value)
                    .and_then(|d| d.format.clone())
                    .unwrap()
            })
            .unwrap_or_else(|| "None".into());
        expected.push_str(&format!("{} {} {}\n", name, level(h.level, 0), fmt));
    }
    assert_eq!(String::from_utf8_lossy(&out), expected);
}

#[test]
fn fc02_fc10_model_records_named_loggers_and_disabling() {
    // Process state (disabling pre-existing loggers, re-enabling on a later call with
    // disable_existing_loggers=False) is the build step's business; the model carries the
    // named loggers and fileConfig's default `disable_existing_loggers = True`.
    let c = ok(FC01);
    assert!(c.disable_existing_loggers);
    let named: Vec<_> = c.loggers.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(named, ["portal", "portal.db"]);
}

#[test]
fn fc03_missing_sections() {
    for (missing, text) in [
        (
            "[formatters]",
            "[loggers]\nkeys=root\n[handlers]\nkeys=\n[logger_root]\nhandlers=\n",
        ),
        (
            "[handlers]",
            "[loggers]\nkeys=root\n[formatters]\nkeys=\n[logger_root]\nhandlers=\n",
        ),
        ("[loggers]", "[handlers]\nkeys=\n[formatters]\nkeys=\n"),
    ] {
        let e = one_error(
            text,
            &format!("missing section {missing}"),
            missing.trim_matches(['[', ']']),
        );
        assert_eq!(e.location, Location::File);
    }
}

#[test]
fn fc03_root_not_listed_or_missing() {
    let text = format!(
        "[loggers]\nkeys=app\n{MINIMAL_TAIL}[logger_root]\nhandlers=h\n\
                        [logger_app]\nqualname=app\nhandlers=\n"
    );
    let e = one_error(&text, "keys must include root", "app");
    assert_eq!(e.location, Location::Line(2));

    let text = format!("[loggers]\nkeys=root\n{MINIMAL_TAIL}");
    let e = one_error(&text, "missing section [logger_root]", "logger_root");
    assert_eq!(e.location, Location::File);

    let text = format!("[loggers]\nkeys=root\n{MINIMAL_TAIL}[logger_root]\nlevel=INFO\n");
    let e = one_error(&text, "missing option 'handlers'", "handlers");
    assert_eq!(e.location, Location::Line(9));
    assert_eq!(e.section.as_deref(), Some("logger_root"));
}

#[test]
fn fc03_logger_without_qualname_or_handlers() {
    let base = format!("[loggers]\nkeys=root,app\n{MINIMAL_TAIL}[logger_root]\nhandlers=h\n");
    let e = one_error(
        &format!("{base}[logger_app]\nhandlers=h\n"),
        "missing option 'qualname'",
        "qualname",
    );
    assert_eq!(e.location, Location::Line(11));
    let e = one_error(
        &format!("{base}[logger_app]\nqualname=app\n"),
        "missing option 'handlers'",
        "handlers",
    );
    assert_eq!(e.section.as_deref(), Some("logger_app"));
}

#[test]
fn fc03_handler_errors() {
    let head = "[loggers]\nkeys=root\n[logger_root]\nhandlers=h\n[formatters]\nkeys=f\n\
                [formatter_f]\nformat=%(message)s\n[handlers]\nkeys=h\n";
    let e = one_error(
        &format!("{head}[handler_h]\nargs=()\n"),
        "missing option 'class'",
        "class",
    );
    assert_eq!(e.location, Location::Line(11));
    let e = one_error(
        &format!("{head}[handler_h]\nclass=StreamHandler\nformatter=nope\n"),
        "unknown formatter",
        "nope",
    );
    assert_eq!(e.location, Location::Line(13));
    let e = one_error(head, "missing section", "h");
    assert_eq!(
        e.message,
        "missing section [handler_h] for 'h' listed in [handlers] keys"
    );
    assert_eq!(e.location, Location::Line(10));
}

#[test]
fn fc03_unknown_handler_reference_and_listed_key_without_section() {
    let text = "[loggers]\nkeys=root,app\n[handlers]\nkeys=h\n[formatters]\nkeys=f\n\
                [handler_h]\nclass=StreamHandler\n[logger_root]\nhandlers=h,ghost\n";
    let errors = errs(text);
    assert_eq!(errors.len(), 3, "{}", ConfigErrors(errors.clone()));
    assert_eq!(errors[0].token.as_deref(), Some("app"));
    assert_eq!(errors[0].location, Location::Line(2));
    assert_eq!(errors[1].token.as_deref(), Some("f"));
    assert_eq!(
        errors[1].message,
        "missing section [formatter_f] for 'f' listed in [formatters] keys"
    );
    assert_eq!(errors[2].token.as_deref(), Some("ghost"));
    assert_eq!(
        errors[2].message,
        "unknown handler (not listed in [handlers] keys)"
    );
    assert_eq!(errors[2].location, Location::Line(10));
}

fn with_level(level: &str) -> String {
    format!("[loggers]\nkeys=root\n{MINIMAL_TAIL}level={level}\n[logger_root]\nhandlers=h\n")
}

#[test]
fn fc04_level_names_are_exact() {
    for bad in ["info", "10", "INFO ; comment", "Warning", ""] {
        let e = one_error(&with_level(bad), "Unknown level", bad);
        assert_eq!(e.location, Location::Line(9));
        assert_eq!(e.section.as_deref(), Some("handler_h"));
        if !bad.is_empty() {
            assert!(
                e.to_string().ends_with(&format!("Unknown level: '{bad}'")),
                "{e}"
            );
        }
    }
    for (name, level) in [
        ("CRITICAL", 50),
        ("FATAL", 50),
        ("ERROR", 40),
        ("WARN", 30),
        ("WARNING", 30),
        ("INFO", 20),
        ("DEBUG", 10),
        ("NOTSET", 0),
    ] {
        assert_eq!(
            ok(&with_level(name)).handlers[0].level.unwrap().number(),
            level
        );
    }
}

#[test]
fn fc05_option_case_delimiter_spacing() {
    for line in [
        "LEVEL=ERROR",
        "level: ERROR",
        "level  =  ERROR",
        "Level\t:ERROR  ",
    ] {
        assert_eq!(
            ok(&with_level_line(line)).handlers[0].level,
            Some(Level::ERROR),
            "{line}"
        );
    }
}

fn with_level_line(line: &str) -> String {
    format!("[loggers]\nkeys=root\n{MINIMAL_TAIL}{line}\n[logger_root]\nhandlers=h\n")
}

fn with_handler_lines(lines: &str) -> String {
    format!(
        "[loggers]\nkeys=root\n[handlers]\nkeys=h\n[formatters]\nkeys=\n\
         [logger_root]\nhandlers=h\n[handler_h]\nclass=FileHandler\n{lines}\n"
    )
}

#[test]
fn fc06_percent_in_args() {
    let e = one_error(
        &with_handler_lines("args=('/x/50%.log',)"),
        "'%' must be followed",
        "%.log',)",
    );
    assert_eq!(e.location, Location::Line(11));
    let c = ok(&with_handler_lines("args=('/x/50%%.log',)"));
    assert_eq!(
        c.handlers[0].args[0].value,
        PyValue::Str("/x/50%.log".into())
    );
}

#[test]
fn fc07_args_default_kwargs_and_list() {
    let c = ok(&with_handler_lines(""));
    assert!(c.handlers[0].args.is_empty());
    assert!(c.handlers[0].kwargs.is_empty());
    let c = ok(&with_handler_lines(
        "args=['app.log']\nkwargs={'mode':'w','delay':True}",
    ));
    let h = &c.handlers[0];
    assert_eq!(h.args[0].value, PyValue::Str("app.log".into()));
    let kw: Vec<_> = h
        .kwargs
        .iter()
        .map(|(k, v)| (k.as_str(), v.value.clone()))
        .collect();
    assert_eq!(
        kw,
        [
            ("mode", PyValue::Str("w".into())),
            ("delay", PyValue::Bool(true))
        ]
    );
    assert_eq!(h.kwargs[1].1.text, "True");
    assert_eq!(h.kwargs[1].1.location, Location::Line(12));
}

#[test]
fn fc08_defaults_interpolation_and_multiline_args() {
    let text = "[DEFAULT]\nout=sys.stdout\n[loggers]\nkeys=root\n[handlers]\nkeys=h,m\n\
                [formatters]\nkeys=\n[logger_root]\nhandlers=h,m\n\
                [handler_h]\nclass=StreamHandler\nargs=(%(out)s,)\n\
                [handler_m]\nclass=StreamHandler\nargs=(\n    sys.stderr,\n    )\n";
    let c = ok(text);
    assert_eq!(c.handlers[0].args[0].value, PyValue::Stdout);
    assert_eq!(c.handlers[0].args[0].location, Location::Line(13));
    assert_eq!(c.handlers[1].args[0].value, PyValue::Stderr);
    assert_eq!(c.handlers[1].args[0].location, Location::Line(17));
    assert_eq!(c.handlers[1].args[0].text, "sys.stderr");
}

#[test]
fn fc09_duplicate_handler_references_are_dropped() {
    let c = ok(&format!(
        "[loggers]\nkeys=root,root\n{MINIMAL_TAIL}[logger_root]\nhandlers=h, h,h\n"
    ));
    assert_eq!(handler_names(&c.root), ["h"]);
}

#[test]
fn fc11_section_names_are_case_sensitive() {
    let text = format!("[loggers]\nkeys=root\n{MINIMAL_TAIL}[Logger_root]\nhandlers=h\n");
    let e = one_error(&text, "case-sensitive", "Logger_root");
    assert_eq!(e.location, Location::Line(9));
    assert!(e.message.contains("[logger_root]"), "{e}");
}

#[test]
fn fc12_facility_as_string_is_kept() {
    let c = ok(&with_handler_lines("args=(('localhost', 514), 'local3')"));
    assert_eq!(c.handlers[0].args[1].value, PyValue::Str("local3".into()));
}

#[test]
fn propagate_is_an_integer() {
    let base = format!(
        "[loggers]\nkeys=root,a\n{MINIMAL_TAIL}[logger_root]\nhandlers=h\n\
                        [logger_a]\nqualname=a\nhandlers=\n"
    );
    for (v, expected) in [
        ("0", false),
        ("1", true),
        ("2", true),
        ("-0", false),
        (" 00 ", false),
    ] {
        assert_eq!(
            ok(&format!("{base}propagate={v}\n")).loggers[0].propagate,
            expected
        );
    }
    for bad in ["true", "1.0", "yes"] {
        let e = one_error(
            &format!("{base}propagate={bad}\n"),
            "propagate must be an integer",
            bad,
        );
        assert_eq!(e.location, Location::Line(14));
    }
}

#[test]
fn formatter_options() {
    let conf = |lines: &str| {
        format!(
            "[loggers]\nkeys=root\n[handlers]\nkeys=\n[formatters]\nkeys=f\n\
             [logger_root]\nhandlers=\n[formatter_f]\n{lines}\n"
        )
    };
    let f = &ok(&conf(
        "format={levelname}: {message}\nstyle={\nutc=true\nvalidate=False",
    ))
    .formatters[0];
    assert_eq!(f.style, Style::Brace);
    assert!(f.utc);
    let f = &ok(&conf("class=tracing_handlers.JsonFormatter")).formatters[0];
    assert!(f.json);
    assert_eq!(f.format, None);
    assert!(!ok(&conf("class=logging.Formatter\nstyle=$")).formatters[0].json);
    // format, datefmt and style are read raw: a lone % is fine there.
    assert_eq!(
        ok(&conf("datefmt=%d%")).formatters[0].datefmt.as_deref(),
        Some("%d%")
    );
    let e = one_error(&conf("style=#"), "Style must be one of: %,{,$", "#");
    assert_eq!(e.location, Location::Line(10));
    one_error(
        &conf("class=mypkg.Fancy"),
        "unsupported formatter class",
        "mypkg.Fancy",
    );
    one_error(&conf("utc=maybe"), "utc must be a boolean", "maybe");
    one_error(
        &conf("format=no fields"),
        "Invalid format 'no fields' for '%' style",
        "no fields",
    );
}

#[test]
fn args_must_be_a_sequence_and_kwargs_a_dict_with_string_keys() {
    let e = one_error(
        &with_handler_lines("args=(sys.stdout)"),
        "args must be a tuple or list, not stream",
        "(sys.stdout)",
    );
    assert_eq!(e.location, Location::Line(11));
    one_error(&with_handler_lines("args='x'"), "not str", "'x'");
    one_error(
        &with_handler_lines("kwargs=('a',)"),
        "kwargs must be a dict",
        "('a',)",
    );
    let e = one_error(
        &with_handler_lines("kwargs={\n  'a': 1,\n  2: 3}"),
        "keywords must be strings",
        "2",
    );
    assert_eq!(e.location, Location::Line(13));
}

/// A file with five distinct problems gives five errors, in file order, each naming its line
/// and token.
#[test]
fn all_errors_at_once() {
    let text = "\
[loggers]
keys=root,app

[handlers]
keys=console

[formatters]
keys=

[logger_root]
level=info
handlers=console

[logger_app]
qualname=app
handlers=nowhere
propagate=yes

[handler_console]
class=StreamHandler
args=(open('/etc/passwd'),)
formatter=fancy
";
    let errors = errs(text);
    let summary: Vec<_> = errors
        .iter()
        .map(|e| (e.location.clone(), e.token.clone().unwrap_or_default()))
        .collect();
    assert_eq!(
        summary,
        [
            (Location::Line(11), "info".to_owned()),
            (Location::Line(16), "nowhere".to_owned()),
            (Location::Line(17), "yes".to_owned()),
            (Location::Line(21), "open".to_owned()),
            (Location::Line(22), "fancy".to_owned()),
        ],
        "{}",
        ConfigErrors(errors.clone())
    );
    let shown = ConfigErrors(errors).to_string();
    assert!(
        shown.contains("logging.conf:11: [logger_root] Unknown level: 'info'"),
        "{shown}"
    );
    assert!(
        shown.contains("logging.conf:21: [handler_console] args: calls are not allowed"),
        "{shown}"
    );
    assert!(shown.contains("(column 7): 'open'"), "{shown}");
}
