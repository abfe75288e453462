//! The INI dialect of `logging.conf` (Python's configparser defaults), observed through the
//! handler's `class` value, which is passed through as read (interpolated).

use std::path::Path;

use tracing_handlers_config::{parse, Config, ConfigError, ConfigErrors, Location, PyValue};
use tracing_handlers_core::Level;

const HEAD: &str = "[loggers]\nkeys=root\n[logger_root]\nhandlers=h\n[formatters]\nkeys=\n\
                    [handlers]\nkeys=h\n[handler_h]\n";
/// The first line after HEAD.
const FIRST: u32 = 10;

fn ok(text: &str) -> Config {
    parse(Path::new("t.conf"), text.as_bytes()).unwrap_or_else(|e| panic!("{e}"))
}

fn errs(text: &str) -> Vec<ConfigError> {
    parse(Path::new("t.conf"), text.as_bytes())
        .expect_err("should fail")
        .0
}

fn class_of(lines: &str) -> String {
    ok(&format!("{HEAD}{lines}\n")).handlers[0]
        .class
        .value
        .clone()
}

#[test]
fn option_names_delimiters_spacing() {
    assert_eq!(class_of("CLASS=X"), "X");
    assert_eq!(class_of("Class : a=b"), "a=b");
    assert_eq!(class_of("class= a:b"), "a:b");
    assert_eq!(class_of("class\t=\t X \t"), "X");
    assert_eq!(class_of("class=X ; not a comment"), "X ; not a comment");
    assert_eq!(class_of("class=X # not a comment"), "X # not a comment");
}

#[test]
fn comments_and_blank_lines() {
    assert_eq!(class_of("# c\n; c\n   # indented comment\n\nclass=X"), "X");
}

#[test]
fn continuation_lines() {
    assert_eq!(
        class_of("class=a\n  b\n\n\tc\n# skipped\n  d\n\n"),
        "a\nb\n\nc\nd"
    );
    assert_eq!(class_of("class=\n  a"), "\na");
    let c = ok(&format!(
        "{HEAD}class=X\nargs=(\n    'a',\n\n    'b',\n    )\n"
    ));
    let args: Vec<_> = c.handlers[0]
        .args
        .iter()
        .map(|a| (a.location.clone(), a.text.clone()))
        .collect();
    assert_eq!(
        args,
        [
            (Location::Line(FIRST + 2), "'a'".into()),
            (Location::Line(FIRST + 4), "'b'".into())
        ]
    );
}

#[test]
fn line_endings() {
    let text = format!("{HEAD}class=X\r\nargs=(1,\r\n  2)\r\n").replace('\n', "\r\n");
    let c = ok(&text);
    assert_eq!(c.handlers[0].class.value, "X");
    assert_eq!(c.handlers[0].args.len(), 2);
}

#[test]
fn defaults_apply_everywhere() {
    let c = ok(&format!("[DEFAULT]\nlevel=ERROR\n{HEAD}class=X\n"));
    assert_eq!(c.root.level, Some(Level::ERROR));
    assert_eq!(c.handlers[0].level, Some(Level::ERROR));
    // A section's own value wins.
    let c = ok(&format!(
        "[DEFAULT]\nlevel=ERROR\n{HEAD}class=X\nlevel=DEBUG\n"
    ));
    assert_eq!(c.handlers[0].level, Some(Level::DEBUG));
}

#[test]
fn interpolation() {
    let c = ok(&format!(
        "[DEFAULT]\nPkg=handlers\n{HEAD}class=%(PKG)s.%(name)s\nname=RotatingFileHandler\n\
         args=('50%%',)\n"
    ));
    assert_eq!(c.handlers[0].class.value, "handlers.RotatingFileHandler");
    assert_eq!(c.handlers[0].args[0].value, PyValue::Str("50%".into()));
    // format, datefmt and style are raw; everything else is interpolated.
    let c = ok(
        "[loggers]\nkeys=root\n[logger_root]\nhandlers=\n[handlers]\nkeys=\n\
                [formatters]\nkeys=f\n[formatter_f]\nformat=%(message)s 100%%\n",
    );
    assert_eq!(c.formatters[0].format.as_deref(), Some("%(message)s 100%%"));
}

#[test]
fn interpolation_errors_name_line_and_token() {
    for (line, token, message) in [
        ("class=50%", "%", "'%' must be followed by '%' or '('"),
        ("class=%(nope)s", "%(nope)s", "no option 'nope'"),
        ("class=%(class)s", "%(class)s", "recursion limit"),
        (
            "class=%(x)d",
            "%(x)d",
            "bad interpolation variable reference",
        ),
    ] {
        let errors = errs(&format!("{HEAD}{line}\n"));
        assert_eq!(errors.len(), 1, "{}", ConfigErrors(errors.clone()));
        let e = &errors[0];
        assert_eq!(e.location, Location::Line(FIRST), "{e}");
        assert_eq!(e.section.as_deref(), Some("handler_h"), "{e}");
        assert!(e.token.as_deref().unwrap().starts_with(token), "{e}");
        assert!(e.message.contains(message), "{e}");
    }
}

#[test]
fn duplicates_and_junk_are_errors_with_lines() {
    let text = format!("{HEAD}class=X\nCLASS=Y\njunk line\n=novalue\n[handler_h]\n");
    let errors = errs(&text);
    let got: Vec<_> = errors
        .iter()
        .map(|e| {
            (
                e.location.clone(),
                e.token.clone().unwrap(),
                e.message.clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                Location::Line(FIRST + 1),
                "class".into(),
                "duplicate option (first at line 10)".into()
            ),
            (
                Location::Line(FIRST + 2),
                "junk line".into(),
                "cannot parse line: not a [section], a 'name = value' option, or a comment".into()
            ),
            (
                Location::Line(FIRST + 3),
                "=novalue".into(),
                "cannot parse line: option without a name".into()
            ),
            (
                Location::Line(FIRST + 4),
                "handler_h".into(),
                "duplicate section (first at line 9)".into()
            ),
        ]
    );
}

#[test]
fn text_before_the_first_section() {
    let errors = errs(&format!("level=INFO\n{HEAD}class=X\n"));
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].location, Location::Line(1));
    assert!(errors[0]
        .message
        .contains("before the first section header"));
    let errors = errs(&format!("\u{feff}{HEAD}class=X\n"));
    assert!(
        errors
            .iter()
            .any(|e| e.message.contains("byte-order mark") && e.location == Location::Line(1)),
        "{}",
        ConfigErrors(errors.clone())
    );
}

#[test]
fn section_names_keep_spaces_and_case() {
    // `[ handler_h ]` is not `[handler_h]`; `[DEFAULT]` is exact too.
    let errors = errs(&format!(
        "{}class=X\n",
        HEAD.replace("[handler_h]", "[ handler_h ]")
    ));
    assert!(errors
        .iter()
        .any(|e| e.message.contains("missing section [handler_h]")));
    let c = ok(&format!("[default]\nlevel=ERROR\n{HEAD}class=X\n"));
    assert_eq!(c.handlers[0].level, None);
}

/// Our reading of each value equals configparser's (python3), for a set of awkward inputs.
#[test]
fn values_match_python_configparser() {
    if !tracing_handlers_test_support::require("python3", "values_match_python_configparser") {
        return;
    }
    let cases = [
        "class=plain",
        "CLASS : colon first=equals",
        "class = a:b=c",
        "class=  padded\t ",
        "class=x ; y # z",
        "class=a\n  b\n\n  c\n\n",
        "class=a\n\tb\n  # comment inside\n    c",
        "class=\n  starts empty",
        "Class=%(other)s and %%\nother=O",
        "class=caf\u{e9} \u{2603}",
        "  class=indented option",
        "class=%(Other)s\nother=%(deeper)s!\ndeeper=D",
    ];
    let mut text = String::from("[DEFAULT]\nshared=S\n[loggers]\nkeys=root\n[logger_root]\nhandlers=\n[formatters]\nkeys=\n");
    let keys: Vec<String> = (0..cases.len()).map(|i| format!("h{i}")).collect();
    text.push_str(&format!("[handlers]\nkeys={}\n", keys.join(",")));
    for (k, case) in keys.iter().zip(cases) {
        text.push_str(&format!("[handler_{k}]\n{case}\n"));
    }
    let out = tracing_handlers_test_support::python(
        "import sys, json, configparser\n\
         cp = configparser.ConfigParser()\n\
         cp.read_string(sys.stdin.read())\n\
         keys = [k.strip() for k in cp['handlers']['keys'].split(',')]\n\
         print(json.dumps([cp['handler_' + k]['class'] for k in keys]))",
        text.as_bytes(),
        &[],
    );
    let python: Vec<String> = serde_json::from_slice(&out).unwrap();
    let ours: Vec<String> = ok(&text)
        .handlers
        .into_iter()
        .map(|h| h.class.value)
        .collect();
    assert_eq!(ours, python);
}
