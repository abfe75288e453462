//! Binding a handler's `args`/`kwargs` (or TOML/JSON keys) to its class's parameters, and
//! reading them as typed values with errors that name the token.

use std::path::Path;

use crate::model::{HandlerDef, Located, PyValue};
use crate::{ConfigError, ConfigErrors, Location};

/// The source text of a value as an error's token: a plain string literal loses its quotes,
/// since the message quotes the token itself (`'latin-1'`, not `''latin-1''`).
fn token_text(text: &str) -> String {
    for q in ['\'', '"'] {
        if let Some(inner) = text.strip_prefix(q).and_then(|t| t.strip_suffix(q)) {
            if !inner.contains(q) {
                return inner.to_owned();
            }
        }
    }
    text.to_owned()
}

/// A handler's arguments bound to parameter names.
#[derive(Debug)]
pub(crate) struct BoundArgs<'a> {
    path: &'a Path,
    section: String,
    location: Location,
    values: Vec<(&'static str, &'a Located<PyValue>)>,
    errors: ConfigErrors,
}

impl<'a> BoundArgs<'a> {
    /// Binds `def`'s positional `args` to `positional` (Python's parameter order) and its
    /// keywords to `positional` or `extra` (our keyword-only extensions). Too many positional
    /// arguments, unknown or repeated keywords are errors.
    pub(crate) fn bind(
        path: &'a Path,
        def: &'a HandlerDef,
        positional: &[&'static str],
        extra: &[&'static str],
    ) -> Self {
        let mut bound = BoundArgs {
            path,
            section: format!("handler_{}", def.name),
            location: def.location.clone(),
            values: Vec::new(),
            errors: ConfigErrors::default(),
        };
        for (i, arg) in def.args.iter().enumerate() {
            match positional.get(i) {
                Some(name) => bound.values.push((name, arg)),
                None => {
                    let e = bound.error(
                        &arg.location,
                        format!(
                            "{} takes at most {} positional argument{}",
                            def.class.value,
                            positional.len(),
                            if positional.len() == 1 { "" } else { "s" }
                        ),
                    );
                    bound.errors.push(e.with_token(token_text(&arg.text)));
                }
            }
        }
        for (key, value) in &def.kwargs {
            let name = positional
                .iter()
                .chain(extra.iter())
                .find(|n| **n == key.as_str());
            match name {
                Some(name) if bound.values.iter().any(|(n, _)| n == name) => {
                    let e = bound.error(&value.location, "argument given twice");
                    bound.errors.push(e.with_token(key.clone()));
                }
                Some(name) => bound.values.push((name, value)),
                None => {
                    let e = bound.error(
                        &value.location,
                        format!("{} has no parameter of that name", def.class.value),
                    );
                    bound.errors.push(e.with_token(key.clone()));
                }
            }
        }
        bound
    }

    fn error(&self, location: &Location, message: impl Into<String>) -> ConfigError {
        ConfigError::new(self.path, location.clone(), message).in_section(self.section.clone())
    }

    fn invalid(&mut self, value: &Located<PyValue>, what: &str) {
        let e = self.error(&value.location, format!("expected {what}"));
        self.errors.push(e.with_token(token_text(&value.text)));
    }

    /// Records a problem with parameter `name`'s value, named first (a positional value or a
    /// key of `kwargs` alike) unless the message names it. The value is quoted after the
    /// message unless the message shows it already.
    pub(crate) fn fail(&mut self, name: &str, message: impl Into<String>) {
        let message = message.into();
        let message = if message.contains(name) {
            message
        } else {
            format!("{name}: {message}")
        };
        let (location, token) = match self.get(name) {
            Some(v) => (v.location.clone(), Some(v.text.clone())),
            None => (self.location.clone(), None),
        };
        let mut e = self.error(&location, message.clone());
        if let Some(t) = token {
            let bare = t.trim_matches(|c| c == '\'' || c == '"');
            if !message.contains(bare) {
                e = e.with_token(token_text(&t));
            }
        }
        self.errors.push(e);
    }

    /// The raw value of parameter `name`, if given.
    pub(crate) fn get(&self, name: &str) -> Option<&'a Located<PyValue>> {
        self.values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
    }

    /// Whether parameter `name` was given (and is not `None`).
    pub(crate) fn has(&self, name: &str) -> bool {
        self.get(name).is_some_and(|v| v.value != PyValue::None)
    }

    /// A required string parameter.
    pub(crate) fn required_str(&mut self, name: &str) -> Option<String> {
        match self.get(name) {
            Some(v) => self.str_of(v),
            None => {
                let e = self.error(&self.location, "missing required argument");
                self.errors.push(e.with_token(name.to_owned()));
                None
            }
        }
    }

    fn str_of(&mut self, v: &Located<PyValue>) -> Option<String> {
        match &v.value {
            PyValue::Str(s) => Some(s.clone()),
            _ => {
                self.invalid(v, "a string");
                None
            }
        }
    }

    /// An optional string parameter (`None` counts as absent).
    pub(crate) fn str(&mut self, name: &str) -> Option<String> {
        let v = self.get(name)?;
        if v.value == PyValue::None {
            return None;
        }
        self.str_of(v)
    }

    /// An optional boolean parameter, with Python's truthiness for integers.
    pub(crate) fn bool(&mut self, name: &str) -> Option<bool> {
        let v = self.get(name)?;
        match &v.value {
            PyValue::Bool(b) => Some(*b),
            PyValue::Int(i) => Some(*i != 0),
            PyValue::None => None,
            _ => {
                self.invalid(v, "True or False");
                None
            }
        }
    }

    /// An optional integer parameter.
    pub(crate) fn int(&mut self, name: &str) -> Option<i64> {
        let v = self.get(name)?;
        match &v.value {
            PyValue::Int(i) => Some(*i),
            PyValue::None => None,
            _ => {
                self.invalid(v, "an integer");
                None
            }
        }
    }

    /// An optional non-negative integer parameter that fits `usize`.
    pub(crate) fn size(&mut self, name: &str) -> Option<usize> {
        let v = self.get(name)?;
        match &v.value {
            PyValue::Int(i) if *i >= 0 => usize::try_from(*i).ok(),
            PyValue::None => None,
            _ => {
                self.invalid(v, "a non-negative integer");
                None
            }
        }
    }

    /// An optional non-negative number of seconds (int or float).
    pub(crate) fn seconds(&mut self, name: &str) -> Option<std::time::Duration> {
        let v = self.get(name)?;
        let secs = match &v.value {
            PyValue::Float(x) => *x,
            PyValue::Int(i) => *i as f64,
            PyValue::None => return None,
            _ => f64::NAN,
        };
        match std::time::Duration::try_from_secs_f64(secs) {
            Ok(d) => Some(d),
            Err(_) => {
                self.invalid(v, "a non-negative number of seconds");
                None
            }
        }
    }

    /// The problems found so far; empty means every read succeeded.
    pub(crate) fn finish(self) -> Result<(), ConfigErrors> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self.errors)
        }
    }
}
