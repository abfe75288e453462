//! fileConfig semantics: Python's `logging.conf` sections read into the [`Config`] model.
//!
//! What Python 3.11's `logging.config.fileConfig` requires and accepts (reference §12), checked
//! without running anything:
//!
//! * `[loggers]`, `[handlers]`, `[formatters]`, each with `keys` (a comma list, items stripped,
//!   duplicates tolerated and dropped; `[loggers]` must list `root`).
//! * `[logger_root]`: `handlers` required (may be empty), `level` optional.
//! * `[logger_<key>]`: `qualname` and `handlers` required; `level` optional; `propagate` an
//!   integer, default 1, `0` false and any other integer true.
//! * `[handler_<key>]`: `class` required (passed through as written); `args` (default `()`,
//!   a tuple or list) and `kwargs` (default `{}`, a dict with string keys) through the
//!   restricted literal parser; `level` (Python's names, exactly); `formatter` (empty = none).
//! * `[formatter_<key>]`: `format`, `datefmt`, `style` read raw (no interpolation); `class`
//!   `logging.Formatter` (or absent) or our `tracing_handlers.JsonFormatter`; our `utc`
//!   (a configparser boolean); `validate` and `defaults` ignored.
//! * `[DEFAULT]` values apply to every section, as in Python.
//!
//! Every problem is collected and reported at once, in file order, each with the line, the
//! section and the offending token. Where Python fails on something we can only detect by
//! running it (a handler class that does not exist), the build step reports it.

use std::path::Path;

use tracing_handlers_core::{Formatter, Level, Style};

use crate::ini::{self, py_strip, Ini, Value};
use crate::pyexpr;
use crate::{
    Config, ConfigError, ConfigErrors, FormatterDef, HandlerDef, Located, Location, LoggerDef,
    PyValue,
};

/// The formatter class our JSON formatter answers to.
const JSON_FORMATTER_CLASS: &str = "tracing_handlers.JsonFormatter";

/// Reads a `logging.conf` into the model with its invalid parts left out, and every problem
/// found, in file order.
pub(crate) fn parse_lossy(path: &Path, text: &str) -> (Config, ConfigErrors) {
    let (ini, errors) = ini::parse(path, text);
    let mut reader = Reader {
        path,
        ini: &ini,
        errors,
    };
    let config = reader.config();
    let mut errors = ConfigErrors(reader.errors);
    errors.sort();
    (config, errors)
}

struct Reader<'a> {
    path: &'a Path,
    ini: &'a Ini,
    errors: Vec<ConfigError>,
}

/// A key from a `keys` list, with where the list is.
struct Key {
    name: String,
    line: u32,
}

impl Reader<'_> {
    fn error(&mut self, line: Option<u32>, section: &str, message: impl Into<String>, token: &str) {
        let location = line.map_or(Location::File, Location::Line);
        let mut e = ConfigError::new(self.path, location, message);
        if !section.is_empty() {
            e = e.in_section(section);
        }
        self.errors.push(e.with_token(token));
    }

    /// An interpolated value; `Err` when interpolation failed (already reported).
    fn get(&mut self, section: &str, key: &str) -> Result<Option<Value>, ()> {
        match self.ini.get(self.path, section, key) {
            None => Ok(None),
            Some(Ok(v)) => Ok(Some(v)),
            Some(Err(e)) => {
                self.errors.push(e);
                Err(())
            }
        }
    }

    /// A required interpolated value; `None` when absent or bad (reported).
    fn require(&mut self, section: &str, key: &str, why: &str) -> Option<Value> {
        match self.get(section, key) {
            Ok(Some(v)) => Some(v),
            Ok(None) => {
                let line = self.ini.section(section).map(|s| s.line);
                self.error(line, section, format!("missing option '{key}'{why}"), key);
                None
            }
            Err(()) => None,
        }
    }

    /// Whether `name` exists; if not, reports it (at `line` naming `token`, or at a
    /// differently-cased section's header naming that).
    fn require_section(&mut self, name: &str, line: Option<u32>, why: &str, token: &str) -> bool {
        if self.ini.section(name).is_some() {
            return true;
        }
        let other = self
            .ini
            .sections
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(name))
            .map(|s| (s.name.clone(), s.line));
        match other {
            Some((found, found_line)) => self.error(
                Some(found_line),
                "",
                format!("section names are case-sensitive: fileConfig looks for [{name}]{why}"),
                &found,
            ),
            None => self.error(line, "", format!("missing section [{name}]{why}"), token),
        }
        false
    }

    /// The `keys` list of `section`, stripped, without duplicates.
    fn keys(&mut self, section: &str) -> Option<Vec<Key>> {
        let why = " (fileConfig requires [loggers], [handlers] and [formatters])";
        if !self.require_section(section, None, why, section) {
            return None;
        }
        let value = self.require(section, "keys", " (a comma-separated list, may be empty)")?;
        Some(self.list(section, "keys", &value))
    }

    /// A comma list (`keys`, a logger's `handlers`): items stripped, duplicates dropped, an
    /// empty item reported. An empty value is an empty list.
    fn list(&mut self, section: &str, option: &str, value: &Value) -> Vec<Key> {
        let mut out: Vec<Key> = Vec::new();
        if value.text.is_empty() {
            return out;
        }
        for item in value.text.split(',') {
            let item = py_strip(item);
            if item.is_empty() {
                self.error(
                    Some(value.line),
                    section,
                    format!("{option}: empty name in the comma-separated list"),
                    &value.text,
                );
            } else if !out.iter().any(|k| k.name == item) {
                out.push(Key {
                    name: item.to_owned(),
                    line: value.line,
                });
            }
        }
        out
    }

    fn level(&mut self, section: &str) -> Option<Level> {
        let v = self.get(section, "level").ok()??;
        match Level::parse_python(&v.text) {
            Ok(level) => Some(level),
            Err(_) => {
                self.error(Some(v.line), section, "Unknown level", &v.text);
                None
            }
        }
    }

    fn config(&mut self) -> Config {
        let formatter_keys = self.keys("formatters");
        let handler_keys = self.keys("handlers");
        let logger_keys = self.keys("loggers");

        let formatters: Vec<FormatterDef> = formatter_keys
            .iter()
            .flatten()
            .filter_map(|k| self.formatter(k))
            .collect();
        let formatter_names: Option<Vec<&str>> = formatter_keys
            .as_ref()
            .map(|ks| ks.iter().map(|k| k.name.as_str()).collect());
        let handlers: Vec<HandlerDef> = handler_keys
            .iter()
            .flatten()
            .filter_map(|k| self.handler(k, formatter_names.as_deref()))
            .collect();
        let handler_names: Option<Vec<&str>> = handler_keys
            .as_ref()
            .map(|ks| ks.iter().map(|k| k.name.as_str()).collect());

        let mut root = None;
        let mut loggers = Vec::new();
        if let Some(keys) = &logger_keys {
            if !keys.iter().any(|k| k.name == "root") {
                let v = self.ini.get_raw("loggers", "keys");
                let (line, text) = v.map(|v| (v.line, v.text)).unwrap_or_default();
                self.error(Some(line), "loggers", "keys must include root", &text);
            }
            root = self.root_logger(handler_names.as_deref());
            for k in keys.iter().filter(|k| k.name != "root") {
                if let Some(l) = self.logger(k, handler_names.as_deref()) {
                    loggers.push(l);
                }
            }
        }
        Config {
            formatters,
            handlers,
            root: root.unwrap_or(LoggerDef {
                name: "root".into(),
                level: None,
                propagate: true,
                handlers: Vec::new(),
                location: Location::File,
            }),
            loggers,
            disable_existing_loggers: true,
        }
    }

    // === formatters ===

    fn formatter(&mut self, key: &Key) -> Option<FormatterDef> {
        let section = format!("formatter_{}", key.name);
        let why = format!(" for '{}' listed in [formatters] keys", key.name);
        if !self.require_section(&section, Some(key.line), &why, &key.name) {
            return None;
        }
        let line = self.ini.section(&section).map_or(0, |s| s.line);
        let format = self.ini.get_raw(&section, "format");
        let datefmt = self.ini.get_raw(&section, "datefmt").map(|v| v.text);
        let style = match self.ini.get_raw(&section, "style") {
            None => Some(Style::Percent),
            Some(v) => match v.text.as_str() {
                "%" => Some(Style::Percent),
                "{" => Some(Style::Brace),
                "$" => Some(Style::Dollar),
                _ => {
                    self.error(
                        Some(v.line),
                        &section,
                        "Style must be one of: %,{,$",
                        &v.text,
                    );
                    None
                }
            },
        };
        let json = match self.get(&section, "class") {
            Ok(Some(v)) => match v.text.as_str() {
                "" | "logging.Formatter" => false,
                JSON_FORMATTER_CLASS => true,
                _ => {
                    self.error(
                        Some(v.line),
                        &section,
                        format!(
                            "unsupported formatter class (supported: logging.Formatter, \
                             {JSON_FORMATTER_CLASS})"
                        ),
                        &v.text,
                    );
                    false
                }
            },
            _ => false,
        };
        let utc = match self.get(&section, "utc") {
            Ok(Some(v)) => match v.text.to_ascii_lowercase().as_str() {
                "1" | "yes" | "true" | "on" => true,
                "0" | "no" | "false" | "off" => false,
                _ => {
                    self.error(
                        Some(v.line),
                        &section,
                        "utc must be a boolean (1, 0, true, false, yes, no, on, off)",
                        &v.text,
                    );
                    false
                }
            },
            _ => false,
        };
        let style = style?;
        if !json {
            let text = format.as_ref().map_or("%(message)s", |v| v.text.as_str());
            let default = match style {
                Style::Percent => "%(message)s",
                Style::Brace => "{message}",
                Style::Dollar => "${message}",
            };
            let text = if format.is_some() { text } else { default };
            if let Err(e) = Formatter::new(text, style) {
                let fline = format.as_ref().map_or(line, |v| v.line);
                self.error(Some(fline), &section, format!("format: {e}"), text);
            }
        }
        Some(FormatterDef {
            name: key.name.clone(),
            format: format.map(|v| v.text),
            datefmt,
            style,
            utc,
            json,
            location: Location::Line(line),
        })
    }

    // === handlers ===

    fn handler(&mut self, key: &Key, formatters: Option<&[&str]>) -> Option<HandlerDef> {
        let section = format!("handler_{}", key.name);
        let why = format!(" for '{}' listed in [handlers] keys", key.name);
        if !self.require_section(&section, Some(key.line), &why, &key.name) {
            return None;
        }
        let line = self.ini.section(&section).map_or(0, |s| s.line);
        let class = self.require(
            &section,
            "class",
            " (the handler class, e.g. StreamHandler)",
        );
        if let Some(c) = &class {
            if c.text.is_empty() {
                self.error(Some(c.line), &section, "class is empty", "class");
            }
        }
        let args = self.literal(&section, "args", "()");
        let kwargs = self.literal(&section, "kwargs", "{}");
        let level = self.level(&section);
        let formatter = match self.get(&section, "formatter") {
            Ok(Some(v)) if !v.text.is_empty() => {
                if formatters.is_some_and(|f| !f.contains(&v.text.as_str())) {
                    self.error(
                        Some(v.line),
                        &section,
                        "unknown formatter (not listed in [formatters] keys)",
                        &v.text,
                    );
                }
                Some(Located {
                    value: v.text.clone(),
                    location: Location::Line(v.line),
                    text: v.text,
                })
            }
            _ => None,
        };

        let mut ok = class.as_ref().is_some_and(|c| !c.text.is_empty());
        let args = match args {
            Some((PyValue::Tuple(items) | PyValue::List(items), spans, v)) => items
                .into_iter()
                .zip(spans)
                .map(|(value, span)| located(&v, value, span))
                .collect(),
            Some((other, _, v)) => {
                self.error(
                    Some(v.line),
                    &section,
                    format!(
                        "args must be a tuple or list, not {} (write (x,) for one argument)",
                        other.type_name()
                    ),
                    &v.text,
                );
                ok = false;
                Vec::new()
            }
            None => {
                ok = false;
                Vec::new()
            }
        };
        let kwargs = match kwargs {
            Some((PyValue::Dict(entries), spans, v)) => {
                let mut out = Vec::new();
                for ((k, value), span) in entries.into_iter().zip(spans) {
                    match k {
                        PyValue::Str(name) => out.push((name, located(&v, value, span))),
                        other => {
                            let (l, _) = v.position(span.0);
                            self.error(
                                Some(l),
                                &section,
                                format!(
                                    "kwargs: keywords must be strings, not {}",
                                    other.type_name()
                                ),
                                &py_repr(&other),
                            );
                            ok = false;
                        }
                    }
                }
                out
            }
            Some((other, _, v)) => {
                self.error(
                    Some(v.line),
                    &section,
                    format!("kwargs must be a dict, not {}", other.type_name()),
                    &v.text,
                );
                ok = false;
                Vec::new()
            }
            None => {
                ok = false;
                Vec::new()
            }
        };
        let class = class?;
        ok.then(|| HandlerDef {
            name: key.name.clone(),
            class: Located {
                value: class.text.clone(),
                location: Location::Line(class.line),
                text: class.text,
            },
            level,
            formatter,
            args,
            kwargs,
            location: Location::Line(line),
        })
    }

    /// `args`/`kwargs` through the literal parser: the value, its items' spans, the text.
    #[allow(clippy::type_complexity)]
    fn literal(
        &mut self,
        section: &str,
        key: &str,
        default: &str,
    ) -> Option<(PyValue, Vec<(usize, usize)>, Value)> {
        let v = match self.get(section, key) {
            Ok(Some(v)) => v,
            Ok(None) => Value {
                text: default.to_owned(),
                line: self.ini.section(section).map_or(0, |s| s.line),
                pieces: None,
                exact_columns: false,
            },
            Err(()) => return None,
        };
        match pyexpr::parse(&v.text) {
            Ok(p) => Some((p.value, p.items, v)),
            Err(e) => {
                let (line, col) = v.position(e.at);
                let at = col.map(|c| format!(" (column {c})")).unwrap_or_default();
                self.error(
                    Some(line),
                    section,
                    format!("{key}: {}{at}", e.message),
                    &e.token,
                );
                None
            }
        }
    }

    // === loggers ===

    fn logger_handlers(
        &mut self,
        section: &str,
        known: Option<&[&str]>,
    ) -> Option<Vec<Located<String>>> {
        let v = self.require(section, "handlers", " (required, may be empty)")?;
        let mut out = Vec::new();
        for k in self.list(section, "handlers", &v) {
            if known.is_some_and(|h| !h.contains(&k.name.as_str())) {
                self.error(
                    Some(v.line),
                    section,
                    "unknown handler (not listed in [handlers] keys)",
                    &k.name,
                );
            }
            out.push(Located {
                value: k.name.clone(),
                location: Location::Line(k.line),
                text: k.name,
            });
        }
        Some(out)
    }

    fn root_logger(&mut self, handlers: Option<&[&str]>) -> Option<LoggerDef> {
        let section = "logger_root";
        if !self.require_section(section, None, " (the root logger is required)", section) {
            return None;
        }
        let line = self.ini.section(section).map_or(0, |s| s.line);
        let level = self.level(section);
        let handlers = self.logger_handlers(section, handlers)?;
        Some(LoggerDef {
            name: "root".into(),
            level,
            propagate: true,
            handlers,
            location: Location::Line(line),
        })
    }

    fn logger(&mut self, key: &Key, handlers: Option<&[&str]>) -> Option<LoggerDef> {
        let section = format!("logger_{}", key.name);
        let why = format!(" for '{}' listed in [loggers] keys", key.name);
        if !self.require_section(&section, Some(key.line), &why, &key.name) {
            return None;
        }
        let line = self.ini.section(&section).map_or(0, |s| s.line);
        let qualname = self.require(&section, "qualname", " (the dotted logger name)");
        if let Some(q) = &qualname {
            if q.text.is_empty() || q.text == "root" {
                self.error(
                    Some(q.line),
                    &section,
                    "qualname names the root logger: configure it in [logger_root]",
                    if q.text.is_empty() {
                        "qualname"
                    } else {
                        "root"
                    },
                );
            }
        }
        let level = self.level(&section);
        let propagate = match self.get(&section, "propagate") {
            Ok(Some(v)) => match py_int_is_nonzero(&v.text) {
                Some(p) => p,
                None => {
                    self.error(
                        Some(v.line),
                        &section,
                        "propagate must be an integer (0 or 1)",
                        &v.text,
                    );
                    true
                }
            },
            _ => true,
        };
        let handlers = self.logger_handlers(&section, handlers);
        let qualname = qualname?;
        Some(LoggerDef {
            name: qualname.text,
            level,
            propagate,
            handlers: handlers?,
            location: Location::Line(line),
        })
    }
}

/// An item of `args`/`kwargs` with its line and text.
fn located(v: &Value, value: PyValue, (start, end): (usize, usize)) -> Located<PyValue> {
    let (line, _) = v.position(start);
    Located {
        value,
        location: Location::Line(line),
        text: v.text.get(start..end).unwrap_or_default().to_owned(),
    }
}

/// Python's `repr` of a literal, for messages.
fn py_repr(v: &PyValue) -> String {
    let join = |items: &[PyValue]| items.iter().map(py_repr).collect::<Vec<_>>().join(", ");
    match v {
        PyValue::None => "None".into(),
        PyValue::Bool(b) => (if *b { "True" } else { "False" }).into(),
        PyValue::Int(i) => i.to_string(),
        PyValue::Float(f) => format!("{f:?}"),
        PyValue::Str(s) => format!("{s:?}"),
        PyValue::Tuple(items) if items.len() == 1 => format!("({},)", join(items)),
        PyValue::Tuple(items) => format!("({})", join(items)),
        PyValue::List(items) => format!("[{}]", join(items)),
        PyValue::Dict(entries) => {
            let e: Vec<_> = entries
                .iter()
                .map(|(k, v)| format!("{}: {}", py_repr(k), py_repr(v)))
                .collect();
            format!("{{{}}}", e.join(", "))
        }
        PyValue::Stdout => "sys.stdout".into(),
        PyValue::Stderr => "sys.stderr".into(),
    }
}

/// Python's `int(text)` (configparser `getint`) reduced to "is it non-zero": an optional sign,
/// ASCII digits with single underscores between them. `None` when `int()` would fail.
fn py_int_is_nonzero(text: &str) -> Option<bool> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    let valid = !digits.is_empty()
        && !digits.starts_with('_')
        && !digits.ends_with('_')
        && !digits.contains("__")
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'_');
    valid.then(|| digits.bytes().any(|b| (b'1'..=b'9').contains(&b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn getint_rules() {
        assert_eq!(py_int_is_nonzero("0"), Some(false));
        assert_eq!(py_int_is_nonzero("-0"), Some(false));
        assert_eq!(py_int_is_nonzero("00"), Some(false));
        assert_eq!(py_int_is_nonzero("2"), Some(true));
        assert_eq!(py_int_is_nonzero("+1_0"), Some(true));
        assert_eq!(py_int_is_nonzero("true"), None);
        assert_eq!(py_int_is_nonzero(""), None);
        assert_eq!(py_int_is_nonzero("1__0"), None);
        assert_eq!(py_int_is_nonzero("1.0"), None);
    }
}
