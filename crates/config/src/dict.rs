//! The dictConfig schema (reference §13) read from TOML or JSON into the model.
//!
//! Both formats are first turned into one JSON-like tree, so they accept exactly the same
//! keys. Locations are key paths (`handlers.console.level`): neither parser keeps lines.

use std::path::Path;

use serde_json::{Map, Value};
use tracing_handlers_core::{Level, Style};

use crate::model::{Config, FormatterDef, HandlerDef, Located, LoggerDef, PyValue};
use crate::{ConfigError, ConfigErrors, Location};

#[cfg(test)]
pub(crate) fn parse_toml(path: &Path, text: &str) -> Result<Config, ConfigErrors> {
    let (config, errors) = parse_toml_lossy(path, text);
    finish(config, errors)
}

#[cfg(test)]
pub(crate) fn parse_json(path: &Path, text: &str) -> Result<Config, ConfigErrors> {
    let (config, errors) = parse_json_lossy(path, text);
    finish(config, errors)
}

/// The configuration with the invalid parts left out, and every problem.
pub(crate) fn parse_toml_lossy(path: &Path, text: &str) -> (Option<Config>, ConfigErrors) {
    let parsed: Result<toml::Table, ConfigErrors> = text.parse().map_err(|e: toml::de::Error| {
        let location = match e.span() {
            Some(span) => Location::Line(line_of(text, span.start)),
            None => Location::File,
        };
        ConfigError::new(path, location, format!("invalid TOML: {}", e.message())).into()
    });
    let table = match parsed {
        Ok(t) => t,
        Err(e) => return (None, e),
    };
    let mut errors = ConfigErrors::default();
    let value = toml_to_json(path, "", toml::Value::Table(table), &mut errors);
    let config = from_tree(path, &value, &mut errors);
    (config, errors)
}

/// The configuration with the invalid parts left out, and every problem.
pub(crate) fn parse_json_lossy(path: &Path, text: &str) -> (Option<Config>, ConfigErrors) {
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            let err = ConfigError::new(
                path,
                Location::Line(e.line() as u32),
                format!("invalid JSON: {e}"),
            );
            return (None, err.into());
        }
    };
    let mut errors = ConfigErrors::default();
    let config = from_tree(path, &value, &mut errors);
    (config, errors)
}

#[cfg(test)]
fn finish(config: Option<Config>, errors: ConfigErrors) -> Result<Config, ConfigErrors> {
    match config {
        Some(c) if errors.is_empty() => Ok(c),
        _ => Err(errors),
    }
}

fn line_of(text: &str, offset: usize) -> u32 {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count() as u32
        + 1
}

fn toml_to_json(path: &Path, at: &str, v: toml::Value, errors: &mut ConfigErrors) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => {
            errors.push(
                ConfigError::new(
                    path,
                    Location::Section(at.to_owned()),
                    "dates are not valid here",
                )
                .with_token(d.to_string()),
            );
            Value::Null
        }
        toml::Value::Array(a) => Value::Array(
            a.into_iter()
                .enumerate()
                .map(|(i, v)| toml_to_json(path, &format!("{at}[{i}]"), v, errors))
                .collect(),
        ),
        toml::Value::Table(t) => Value::Object(
            t.into_iter()
                .map(|(k, v)| {
                    let sub = if at.is_empty() {
                        k.clone()
                    } else {
                        format!("{at}.{k}")
                    };
                    let v = toml_to_json(path, &sub, v, errors);
                    (k, v)
                })
                .collect(),
        ),
    }
}

/// Reads the tree; `None` when the top level is unusable.
struct Reader<'a> {
    path: &'a Path,
    errors: &'a mut ConfigErrors,
}

impl Reader<'_> {
    fn err(&mut self, at: &str, message: impl Into<String>, token: Option<String>) {
        let mut e = ConfigError::new(self.path, Location::Section(at.to_owned()), message);
        if let Some(t) = token {
            e = e.with_token(t);
        }
        self.errors.push(e);
    }

    fn table<'v>(&mut self, at: &str, v: &'v Value) -> Option<&'v Map<String, Value>> {
        match v {
            Value::Object(m) => Some(m),
            other => {
                self.err(at, "expected a table", Some(short(other)));
                None
            }
        }
    }

    fn string(&mut self, at: &str, v: &Value) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            other => {
                self.err(at, "expected a string", Some(short(other)));
                None
            }
        }
    }

    fn boolean(&mut self, at: &str, v: &Value) -> Option<bool> {
        match v {
            Value::Bool(b) => Some(*b),
            Value::Number(n) if n.as_i64().is_some() => Some(n.as_i64() != Some(0)),
            other => {
                self.err(at, "expected true or false", Some(short(other)));
                None
            }
        }
    }

    /// A level: a number, or a name in any case.
    fn level(&mut self, at: &str, v: &Value) -> Option<Level> {
        match v {
            Value::Number(n) => match n.as_i64().and_then(|n| i32::try_from(n).ok()) {
                Some(n) => Some(Level::from_number(n)),
                None => {
                    self.err(at, "level out of range", Some(n.to_string()));
                    None
                }
            },
            Value::String(s) => match s.parse::<Level>() {
                Ok(l) => Some(l),
                Err(e) => {
                    self.err(at, e.to_string(), None);
                    None
                }
            },
            other => {
                self.err(at, "expected a level name or number", Some(short(other)));
                None
            }
        }
    }

    fn handler_names(&mut self, at: &str, v: &Value) -> Vec<Located<String>> {
        let mut out: Vec<Located<String>> = Vec::new();
        let items: Vec<&Value> = match v {
            Value::Array(a) => a.iter().collect(),
            // Accept "a, b" as Python's fileConfig writes it.
            Value::String(_) => vec![v],
            other => {
                self.err(at, "expected a list of handler names", Some(short(other)));
                return out;
            }
        };
        for item in items {
            match item {
                Value::String(s) => {
                    for name in s.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                        if !out.iter().any(|h| h.value == name) {
                            out.push(Located {
                                value: name.to_owned(),
                                location: Location::Section(at.to_owned()),
                                text: name.to_owned(),
                            });
                        }
                    }
                }
                other => self.err(at, "expected a handler name", Some(short(other))),
            }
        }
        out
    }

    fn no_filters(&mut self, at: &str, m: &Map<String, Value>) {
        if let Some(f) = m.get("filters") {
            let empty = matches!(f, Value::Array(a) if a.is_empty())
                || matches!(f, Value::Object(o) if o.is_empty());
            if !empty {
                self.err(
                    &format!("{at}.filters"),
                    "filters are not supported (use logger names and levels)",
                    Some(short(f)),
                );
            }
        }
        if m.contains_key("()") {
            self.err(
                &format!("{at}.()"),
                "factories '()' are not supported: a config file is never code",
                m.get("()").map(short),
            );
        }
    }

    fn py_value(&mut self, at: &str, v: &Value) -> PyValue {
        match v {
            Value::Null => PyValue::None,
            Value::Bool(b) => PyValue::Bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => PyValue::Int(i),
                None => PyValue::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            Value::String(s) => match s.as_str() {
                "ext://sys.stdout" => PyValue::Stdout,
                "ext://sys.stderr" => PyValue::Stderr,
                s if s.starts_with("ext://") || s.starts_with("cfg://") => {
                    self.err(
                        at,
                        "only ext://sys.stdout and ext://sys.stderr are supported",
                        Some(s.to_owned()),
                    );
                    PyValue::None
                }
                s => PyValue::Str(s.to_owned()),
            },
            Value::Array(a) => PyValue::List(
                a.iter()
                    .enumerate()
                    .map(|(i, v)| self.py_value(&format!("{at}[{i}]"), v))
                    .collect(),
            ),
            Value::Object(o) => PyValue::Dict(
                o.iter()
                    .map(|(k, v)| {
                        let v = self.py_value(&format!("{at}.{k}"), v);
                        (PyValue::Str(k.clone()), v)
                    })
                    .collect(),
            ),
        }
    }

    fn formatter(&mut self, name: &str, v: &Value) -> Option<FormatterDef> {
        let at = format!("formatters.{name}");
        let m = self.table(&at, v)?;
        self.no_filters(&at, m);
        let mut def = FormatterDef {
            name: name.to_owned(),
            format: None,
            datefmt: None,
            style: Style::Percent,
            utc: false,
            json: false,
            location: Location::Section(at.clone()),
        };
        for (key, value) in m {
            let key_at = format!("{at}.{key}");
            match key.as_str() {
                // Python reads these with `config.get(key, None)`: null is absent.
                "format" | "datefmt" | "class" if value.is_null() => {}
                "format" => def.format = self.string(&key_at, value),
                "datefmt" => def.datefmt = self.string(&key_at, value),
                "style" => match self.string(&key_at, value).as_deref() {
                    Some("%") => def.style = Style::Percent,
                    Some("{") => def.style = Style::Brace,
                    Some("$") => def.style = Style::Dollar,
                    Some(other) => {
                        self.err(&key_at, "Style must be one of: %,{,$", Some(other.to_owned()))
                    }
                    None => {}
                },
                "utc" => def.utc = self.boolean(&key_at, value).unwrap_or(false),
                "validate" | "()" | "filters" => {}
                "class" => match self.string(&key_at, value).as_deref() {
                    Some("logging.Formatter") => {}
                    Some("json" | "tracing_handlers.JsonFormatter") => def.json = true,
                    Some(other) => self.err(
                        &key_at,
                        "unknown formatter class (logging.Formatter or tracing_handlers.JsonFormatter)",
                        Some(other.to_owned()),
                    ),
                    None => {}
                },
                other => self.err(&key_at, "unknown formatter key", Some(other.to_owned())),
            }
        }
        Some(def)
    }

    fn handler(&mut self, name: &str, v: &Value) -> Option<HandlerDef> {
        let at = format!("handlers.{name}");
        let m = self.table(&at, v)?;
        self.no_filters(&at, m);
        let class = match m.get("class") {
            Some(c) => {
                let s = self.string(&format!("{at}.class"), c)?;
                Located {
                    value: s.clone(),
                    location: Location::Section(format!("{at}.class")),
                    text: s,
                }
            }
            None => {
                if !m.contains_key("()") {
                    self.err(&at, "handler has no 'class'", None);
                }
                return None;
            }
        };
        let mut def = HandlerDef {
            name: name.to_owned(),
            class,
            level: None,
            formatter: None,
            args: Vec::new(),
            kwargs: Vec::new(),
            location: Location::Section(at.clone()),
        };
        for (key, value) in m {
            let key_at = format!("{at}.{key}");
            match key.as_str() {
                "class" | "filters" | "()" => {}
                // Python: `if level is not None`, `if formatter:`.
                "level" | "formatter" if value.is_null() => {}
                "level" => def.level = self.level(&key_at, value),
                "formatter" => {
                    def.formatter = self.string(&key_at, value).map(|s| Located {
                        value: s.clone(),
                        location: Location::Section(key_at.clone()),
                        text: s,
                    })
                }
                // Attributes set after construction (`"." = { ident = "portal: " }`): ours are
                // constructor options, so they join the keywords.
                "." => {
                    if let Some(attrs) = self.table(&key_at, value) {
                        for (k, v) in attrs {
                            let sub = format!("{key_at}.{k}");
                            let value = self.py_value(&sub, v);
                            def.kwargs.push((
                                k.clone(),
                                Located {
                                    value,
                                    location: Location::Section(sub),
                                    text: short(v),
                                },
                            ));
                        }
                    }
                }
                _ => {
                    let value_py = self.py_value(&key_at, value);
                    def.kwargs.push((
                        key.clone(),
                        Located {
                            value: value_py,
                            location: Location::Section(key_at),
                            text: short(value),
                        },
                    ));
                }
            }
        }
        Some(def)
    }

    fn logger(&mut self, at: &str, name: &str, v: &Value) -> Option<LoggerDef> {
        let m = self.table(at, v)?;
        self.no_filters(at, m);
        let mut def = LoggerDef {
            name: name.to_owned(),
            level: None,
            propagate: true,
            handlers: Vec::new(),
            location: Location::Section(at.to_owned()),
        };
        for (key, value) in m {
            let key_at = format!("{at}.{key}");
            match key.as_str() {
                // Python: `if level is not None`, `if handlers:`, `if propagate is not None`.
                "level" | "handlers" | "propagate" if value.is_null() => {}
                "level" => def.level = self.level(&key_at, value),
                // Python never reads `propagate` for the root logger.
                "propagate" => {
                    let propagate = self.boolean(&key_at, value).unwrap_or(true);
                    if name != "root" {
                        def.propagate = propagate;
                    }
                }
                "handlers" => def.handlers = self.handler_names(&key_at, value),
                "filters" => {}
                other => self.err(&key_at, "unknown logger key", Some(other.to_owned())),
            }
        }
        Some(def)
    }
}

/// A short rendering of a value for messages.
fn short(v: &Value) -> String {
    let s = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if s.chars().count() > 60 {
        let cut: String = s.chars().take(57).collect();
        format!("{cut}...")
    } else {
        s
    }
}

fn from_tree(path: &Path, tree: &Value, errors: &mut ConfigErrors) -> Option<Config> {
    let mut r = Reader { path, errors };
    let top = r.table("(top level)", tree)?;
    match top.get("version") {
        None => r.err("version", "dictionary doesn't specify a version", None),
        Some(Value::Number(n)) if n.as_i64() == Some(1) => {}
        Some(other) => r.err("version", "Unsupported version", Some(short(other))),
    }
    if let Some(v) = top.get("incremental") {
        if r.boolean("incremental", v) == Some(true) {
            r.err(
                "incremental",
                "incremental configuration is not supported",
                Some("true".into()),
            );
        }
    }
    if let Some(f) = top.get("filters") {
        if matches!(f, Value::Object(o) if !o.is_empty()) {
            r.err(
                "filters",
                "filters are not supported (use logger names and levels)",
                None,
            );
        }
    }
    let disable_existing_loggers = match top.get("disable_existing_loggers") {
        Some(v) => r.boolean("disable_existing_loggers", v).unwrap_or(true),
        None => true,
    };
    for key in top.keys() {
        if !matches!(
            key.as_str(),
            "version"
                | "formatters"
                | "filters"
                | "handlers"
                | "loggers"
                | "root"
                | "incremental"
                | "disable_existing_loggers"
        ) {
            r.err(key, "unknown top-level key", Some(key.clone()));
        }
    }

    let mut formatters = Vec::new();
    if let Some(v) = top.get("formatters") {
        if let Some(m) = r.table("formatters", v) {
            for (name, def) in m {
                formatters.extend(r.formatter(name, def));
            }
        }
    }
    let mut handlers = Vec::new();
    if let Some(v) = top.get("handlers") {
        if let Some(m) = r.table("handlers", v) {
            let mut names: Vec<&String> = m.keys().collect();
            names.sort();
            for name in names {
                handlers.extend(r.handler(name, &m[name]));
            }
        }
    }
    let mut root = LoggerDef {
        name: "root".into(),
        level: None,
        propagate: true,
        handlers: Vec::new(),
        location: Location::Section("root".into()),
    };
    // Python configures a logger's level only when given, and replaces its handlers (none
    // when not given).
    let configure_root = |root: &mut LoggerDef, def: LoggerDef| {
        root.level = def.level.or(root.level);
        root.handlers = def.handlers;
        root.location = def.location;
    };
    let mut loggers = Vec::new();
    if let Some(v) = top.get("loggers") {
        if let Some(m) = r.table("loggers", v) {
            for (name, def) in m {
                if name == "root" || name.is_empty() {
                    // `getLogger('')` and `getLogger('root')` are the root logger: Python
                    // configures it there like any logger (its `propagate` has no effect),
                    // then a non-empty `root` section below applies over it.
                    if let Some(def) = r.logger(&format!("loggers.{name}"), "", def) {
                        configure_root(&mut root, def);
                    }
                    continue;
                }
                loggers.extend(r.logger(&format!("loggers.{name}"), name, def));
            }
        }
    }
    match top.get("root") {
        // Python: `if root: configure_root(root)`, so an empty table changes nothing.
        Some(Value::Object(m)) if m.is_empty() => {}
        Some(v) => {
            let def = r.logger("root", "root", v)?;
            configure_root(&mut root, def);
        }
        None => {}
    }

    // References.
    for h in &handlers {
        if let Some(f) = &h.formatter {
            if !formatters.iter().any(|d| d.name == f.value) {
                r.err(
                    &format!("handlers.{}.formatter", h.name),
                    "unknown formatter",
                    Some(f.value.clone()),
                );
            }
        }
    }
    for l in std::iter::once(&root).chain(loggers.iter()) {
        for h in &l.handlers {
            if !handlers.iter().any(|d| d.name == h.value) {
                let at = match &l.location {
                    Location::Section(s) => format!("{s}.handlers"),
                    _ => "handlers".into(),
                };
                r.err(&at, "unknown handler", Some(h.value.clone()));
            }
        }
    }
    Some(Config {
        formatters,
        handlers,
        root,
        loggers,
        disable_existing_loggers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(text: &str, name: &str) -> Vec<String> {
        let r = if name.ends_with(".toml") {
            parse_toml(Path::new(name), text)
        } else {
            parse_json(Path::new(name), text)
        };
        r.unwrap_err().iter().map(ToString::to_string).collect()
    }

    #[test]
    fn toml_and_json_read_the_same_model() {
        let toml = r#"
version = 1
[formatters.plain]
format = "%(levelname)s %(message)s"
[handlers.console]
class = "logging.StreamHandler"
stream = "ext://sys.stdout"
level = "info"
formatter = "plain"
[loggers."portal.db"]
level = "DEBUG"
propagate = false
handlers = ["console"]
[root]
level = 30
handlers = ["console"]
"#;
        let json = r#"{"version": 1,
 "formatters": {"plain": {"format": "%(levelname)s %(message)s"}},
 "handlers": {"console": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout",
                          "level": "info", "formatter": "plain"}},
 "loggers": {"portal.db": {"level": "DEBUG", "propagate": false, "handlers": ["console"]}},
 "root": {"level": 30, "handlers": ["console"]}}"#;
        let a = parse_toml(Path::new("a.toml"), toml).unwrap();
        let b = parse_json(Path::new("a.json"), json).unwrap();
        assert_eq!(a.handlers.len(), 1);
        assert_eq!(a.handlers[0].kwargs[0].1.value, PyValue::Stdout);
        assert_eq!(a.handlers[0].level, Some(Level::INFO));
        assert_eq!(a.loggers[0].name, "portal.db");
        assert!(!a.loggers[0].propagate);
        assert_eq!(a.root.level, Some(Level::WARNING));
        // Same model apart from locations.
        assert_eq!(
            format!("{:?}", a.handlers[0].kwargs[0].1.value),
            format!("{:?}", b.handlers[0].kwargs[0].1.value)
        );
        assert_eq!(a.loggers[0].level, b.loggers[0].level);
    }

    #[test]
    fn every_problem_is_reported_with_its_key() {
        let errs = errors(
            r#"{"version": 2, "handlers": {"h": {"class": "StreamHandler", "level": "loud", "formatter": "nope", "filters": ["f"]}},
                "root": {"handlers": ["missing"]}, "()": 1}"#,
            "bad.json",
        );
        let all = errs.join("\n");
        for needle in [
            "bad.json: version: Unsupported version: '2'",
            "handlers.h.level: Unknown level: 'loud'",
            "handlers.h.filters: filters are not supported",
            "handlers.h.formatter: unknown formatter: 'nope'",
            "root.handlers: unknown handler: 'missing'",
            "(): unknown top-level key",
        ] {
            assert!(all.contains(needle), "missing {needle:?} in\n{all}");
        }
    }

    #[test]
    fn loggers_empty_name_and_root_configure_the_root_logger_as_python_does() {
        let parse = |loggers: &str, root: &str| {
            let text = format!(
                r#"{{"version": 1, "handlers": {{"h": {{"class": "logging.StreamHandler"}}}},
                    "loggers": {{{loggers}}}{root}}}"#
            );
            parse_json(Path::new("r.json"), &text).unwrap()
        };
        let names = |c: &Config| {
            c.root
                .handlers
                .iter()
                .map(|h| h.value.clone())
                .collect::<Vec<_>>()
        };
        // `loggers[""]` (common in dictConfigs) is the root logger; its propagate is ignored.
        let c = parse(
            r#""": {"level": "DEBUG", "handlers": ["h"], "propagate": false}, "a": {}"#,
            "",
        );
        assert_eq!(c.root.level, Some(Level::DEBUG));
        assert_eq!(names(&c), ["h"]);
        assert_eq!(c.loggers.len(), 1);
        // So is `loggers["root"]`.
        let c = parse(r#""root": {"level": "ERROR", "handlers": ["h"]}"#, "");
        assert_eq!(c.root.level, Some(Level::ERROR));
        assert_eq!(names(&c), ["h"]);
        // An empty `root` changes nothing (`if root:`)...
        let c = parse(
            r#""": {"level": "DEBUG", "handlers": ["h"]}"#,
            r#", "root": {}"#,
        );
        assert_eq!(c.root.level, Some(Level::DEBUG));
        assert_eq!(names(&c), ["h"]);
        // ...a non-empty one applies over it: its level, and its handlers replace (none).
        let c = parse(
            r#""": {"level": "DEBUG", "handlers": ["h"]}"#,
            r#", "root": {"level": "INFO"}"#,
        );
        assert_eq!(c.root.level, Some(Level::INFO));
        assert!(names(&c).is_empty());
        let c = parse(
            r#""": {"level": "DEBUG"}"#,
            r#", "root": {"handlers": ["h"]}"#,
        );
        assert_eq!(c.root.level, Some(Level::DEBUG));
        assert_eq!(names(&c), ["h"]);
        // References are still checked.
        let errs = errors(
            r#"{"version": 1, "loggers": {"": {"handlers": ["nope"]}}}"#,
            "r.json",
        )
        .join("\n");
        assert!(
            errs.contains("loggers..handlers: unknown handler: 'nope'"),
            "{errs}"
        );
    }

    #[test]
    fn null_is_an_absent_key_where_python_reads_it_with_get() {
        let c = parse_json(
            Path::new("n.json"),
            r#"{"version": 1,
                "formatters": {"f": {"format": null, "datefmt": null, "class": null}},
                "handlers": {"h": {"class": "logging.StreamHandler", "level": null,
                                   "formatter": null, "stream": "ext://sys.stdout"}},
                "loggers": {"a": {"level": null, "handlers": null, "propagate": null}},
                "root": {"level": "INFO", "handlers": ["h"], "propagate": false}}"#,
        )
        .unwrap();
        assert_eq!(c.formatters[0].format, None);
        assert_eq!(c.formatters[0].datefmt, None);
        assert_eq!(c.handlers[0].level, None);
        assert!(c.handlers[0].formatter.is_none());
        assert_eq!(c.loggers[0].level, None);
        assert!(c.loggers[0].handlers.is_empty());
        assert!(c.loggers[0].propagate);
        assert_eq!(c.root.level, Some(Level::INFO));
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let errs = errors("version = 1\n[handlers\n", "x.toml");
        assert!(errs[0].starts_with("x.toml:2: invalid TOML"), "{errs:?}");
        let errs = errors("{\"version\": 1,\n \"root\": }", "x.json");
        assert!(errs[0].starts_with("x.json:2: invalid JSON"), "{errs:?}");
    }

    #[test]
    fn factories_and_other_ext_references_are_refused() {
        let errs = errors(
            r#"{"version": 1, "handlers": {"h": {"()": "os.system", "x": 1}, "s": {"class": "StreamHandler", "stream": "ext://os.environ"}}}"#,
            "f.json",
        )
        .join("\n");
        assert!(
            errs.contains("handlers.h.(): factories '()' are not supported"),
            "{errs}"
        );
        assert!(
            errs.contains(
                "only ext://sys.stdout and ext://sys.stderr are supported: 'ext://os.environ'"
            ),
            "{errs}"
        );
    }
}
