//! Formatters: Python's `%`, `{` and `$` format styles, and JSON lines.
//!
//! (Placeholder: being written. The public API below is fixed.)

use std::fmt;

use crate::Record;

/// Turns a record into bytes (without the terminator).
pub trait Format: Send + Sync + fmt::Debug {
    /// Appends the formatted record to `out`. Never fails: a record missing a referenced
    /// field is still written, with `-` in its place.
    fn format(&self, record: &Record<'_>, out: &mut Vec<u8>);

    /// Whether this format prints spans (so the dispatch layer must collect them).
    fn needs_spans(&self) -> bool {
        false
    }
}

/// Python's three format styles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Style {
    /// `%(name)s` printf style (the default).
    #[default]
    Percent,
    /// `{name:>8}` str.format style.
    Brace,
    /// `$name` / `${name}` string.Template style.
    Dollar,
}

/// A format string that is not valid for its style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError {
    message: String,
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FormatError {}

/// Python's `logging.Formatter`.
#[derive(Debug, Clone)]
pub struct Formatter {
    _fmt: String,
}

impl Default for Formatter {
    fn default() -> Self {
        Formatter {
            _fmt: "%(message)s".into(),
        }
    }
}

impl Formatter {
    /// A `%`-style formatter.
    ///
    /// # Errors
    ///
    /// Invalid format syntax.
    pub fn percent(fmt: &str) -> Result<Self, FormatError> {
        Self::new(fmt, Style::Percent)
    }

    /// A formatter for `fmt` in `style`.
    ///
    /// # Errors
    ///
    /// Invalid format syntax.
    pub fn new(fmt: &str, style: Style) -> Result<Self, FormatError> {
        let _ = style;
        Ok(Formatter { _fmt: fmt.into() })
    }
}

impl Format for Formatter {
    fn format(&self, record: &Record<'_>, out: &mut Vec<u8>) {
        let s = self
            ._fmt
            .replace("%(levelname)s", &record.level.to_string())
            .replace("%(name)s", record.name)
            .replace("%(message)s", record.message);
        out.extend_from_slice(s.as_bytes());
    }
}
