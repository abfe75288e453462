//! Formatters: Python's `%`, `{` and `$` format styles, and JSON lines.
//!
//! [`Formatter`] is Python's `logging.Formatter`: the format string is parsed once, at
//! construction, with Python's validation and error messages; formatting a record then
//! writes straight into the caller's buffer and allocates nothing in steady state (the
//! formatted second of `asctime` is cached per thread).
//!
//! ```
//! use tracing_handlers_core::{FieldSet, Format, Formatter, Level, Record, Style};
//!
//! let mut fields = FieldSet::new();
//! fields.push_str("ip", "10.0.0.7");
//! let mut record = Record::new(Level::WARNING, "portal.web.views", "login failed", &fields);
//! record.line = Some(42);
//!
//! let mut out = Vec::new();
//! Formatter::percent("%(levelname)-8s|%(name).6s|%(lineno)05d|%(ip)s|%(message)s")?
//!     .format(&record, &mut out);
//! assert_eq!(out, b"WARNING |portal|00042|10.0.0.7|login failed");
//!
//! out.clear();
//! Formatter::new("{levelname!r:^11}{levelno:#x} ${ip}", Style::Brace)?.format(&record, &mut out);
//! assert_eq!(out, b" 'WARNING' 0x1e $10.0.0.7");
//!
//! assert_eq!(
//!     Formatter::percent("no fields").unwrap_err().to_string(),
//!     "Invalid format 'no fields' for '%' style"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Attributes
//!
//! Every attribute of Python's `LogRecord` can be named (`asctime created msecs
//! relativeCreated levelname levelno name message msg module filename pathname lineno
//! funcName process processName thread threadName`, and `args exc_info exc_text
//! stack_info`, which print `()` / `None`), with Python's types: `%(msecs)s` is `7.0`,
//! `%(lineno)s` of a record without a line is `0`, `%(funcName)s` without one is `None`,
//! `pathname`, `filename` and `module` without a file are empty, as in
//! `logging.makeLogRecord({})`. See [`Record`] for where each comes from. Extensions:
//!
//! | name | value |
//! |---|---|
//! | `target` | the raw `tracing` target |
//! | `fields` | the event's fields as `k=v` separated by spaces (empty when none) |
//! | `spans` | the active spans (empty when none); a format naming it makes [`Format::needs_spans`] true |
//!
//! Any other name is looked up in the event's fields (Python's `extra`), then in the
//! formatter's [`defaults`](Formatter::with_defaults).
//!
//! # Deviations from Python
//!
//! - A record lacking a named field is still written, with `-` in the field's place (Python
//!   loses the record); the first time, per field of the format, the missing name is
//!   reported through [`crate::report::report`].
//! - A conversion the value's type rejects at format time (`%(message)d`, `{name:x}`) is
//!   applied to the value's `str()` instead of losing the record.
//! - What Python only rejects when a record is formatted (`%(message)s %q`, `{0}`,
//!   `{message:{width}}`, attribute and index access) is rejected at construction, with
//!   Python's message where it has one.
//! - Widths and precisions above 10,000 are rejected at construction.
//! - `%r` of non-ASCII text uses a close approximation of `str.isprintable`.
//! - `{:010,}`-style zero padding does not insert separators into the padding.
//!
//! # Builder defaults
//!
//! | option | default |
//! |---|---|
//! | [`with_datefmt`](Formatter::with_datefmt) | none: `YYYY-MM-DD HH:MM:SS,mmm` |
//! | [`with_utc`](Formatter::with_utc) / [`with_time_zone`](Formatter::with_time_zone) | the system's local zone |
//! | [`with_defaults`](Formatter::with_defaults) | none |
//! | [`with_escaped_newlines`](Formatter::with_escaped_newlines) | off: newlines kept |

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

use crate::report::{report, Report, ReportKind};
use crate::Record;

mod attrs;
mod brace;
mod dollar;
mod json;
mod number;
mod percent;
pub(crate) mod plain;
mod text;
mod time;

pub use json::JsonFormatter;

use attrs::{resolve, Attr, Ctx, Val};
use time::Zone;

/// Turns a record into bytes (without the terminator).
pub trait Format: Send + Sync + fmt::Debug {
    /// Appends the formatted record to `out`. Never fails: a record missing a referenced
    /// field is still written, with `-` in its place.
    fn format(&self, record: &Record<'_>, out: &mut Vec<u8>);

    /// Whether this format prints spans (so the dispatch layer must collect them).
    fn needs_spans(&self) -> bool {
        false
    }

    /// Whether this format prints `relativeCreated` (the dispatch layer skips computing it
    /// when no handler needs it). True unless a format says otherwise.
    fn needs_relative_created(&self) -> bool {
        true
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
///
/// Its `Display` is Python's `ValueError` message:
///
/// ```
/// use tracing_handlers_core::{Formatter, Style};
///
/// let e = Formatter::new("{message", Style::Brace).unwrap_err();
/// assert_eq!(e.to_string(), "invalid format: expected '}' before end of string");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError {
    message: String,
}

impl FormatError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        FormatError {
            message: message.into(),
        }
    }
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FormatError {}

// === impl Segment ===

/// How a field's value is turned into text.
#[derive(Debug, Clone)]
pub(crate) enum FieldSpec {
    Percent(percent::Spec),
    Brace(brace::Spec),
    /// `str(value)` (`$` style).
    Str,
}

#[derive(Debug)]
pub(crate) struct Field {
    attr: Attr,
    spec: FieldSpec,
    /// A text attribute printed as `str(value)` with nothing around it (`%(name)s`,
    /// `{name}`, `$name`): copied without the general path.
    plain: Option<plain::PlainAttr>,
    /// Whether a record lacking this field was reported already.
    reported: AtomicBool,
}

/// One piece of a parsed format.
#[derive(Debug)]
pub(crate) enum Segment {
    Literal(Box<str>),
    Field(Field),
}

impl Segment {
    pub(crate) fn field(attr: Attr, spec: FieldSpec) -> Segment {
        let plain_spec = match &spec {
            FieldSpec::Percent(s) => *s == percent::Spec::plain_str(),
            FieldSpec::Brace(s) => s.conversion.is_none() && s.empty,
            FieldSpec::Str => true,
        };
        let plain = if plain_spec {
            plain::PlainAttr::of(&attr)
        } else {
            None
        };
        Segment::Field(Field {
            attr,
            spec,
            plain,
            reported: AtomicBool::new(false),
        })
    }
}

// === impl Formatter ===

/// Python's `logging.Formatter`: a `%`, `{` or `$` format, a `datefmt`, a time zone and
/// `defaults`.
///
/// ```
/// use tracing_handlers_core::{FieldSet, Format, Formatter, Level, Record};
/// use tracing_handlers_core::system_time_from_secs_f64;
///
/// let fields = FieldSet::new();
/// let mut record = Record::new(Level::INFO, "portal", "hello", &fields);
/// record.created = system_time_from_secs_f64(1700000000.007891);
///
/// let f = Formatter::percent("%(asctime)s %(levelname)s %(message)s")?.with_utc(true);
/// let mut out = Vec::new();
/// f.format(&record, &mut out);
/// assert_eq!(out, b"2023-11-14 22:13:20,007 INFO hello");
///
/// let f = Formatter::percent("%(asctime)s %(ip)s")?
///     .with_datefmt("%d/%m/%Y %H:%M:%S")
///     .with_utc(true)
///     .with_defaults([("ip", "-")]);
/// out.clear();
/// f.format(&record, &mut out);
/// assert_eq!(out, b"14/11/2023 22:13:20 -");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Formatter {
    fmt: Arc<str>,
    style: Style,
    segments: Arc<[Segment]>,
    /// The compact form of `segments`, when every field is a plain text attribute.
    plan: Option<Arc<plain::Plan>>,
    datefmt: Option<Arc<str>>,
    zone: Zone,
    defaults: Arc<[(Box<str>, Box<str>)]>,
    escape_newlines: bool,
    needs_spans: bool,
    /// Identity of the time configuration, for the per-thread cache of the formatted second.
    id: u64,
}

impl Default for Formatter {
    /// Python's default: `%(message)s`.
    fn default() -> Self {
        Self::percent("%(message)s").unwrap_or_else(|_| unreachable_default())
    }
}

#[cold]
fn unreachable_default() -> Formatter {
    Formatter {
        fmt: "%(message)s".into(),
        style: Style::Percent,
        segments: Arc::new([Segment::field(Attr::Message, FieldSpec::Str)]),
        plan: None,
        datefmt: None,
        zone: Zone::local(),
        defaults: Arc::new([]),
        escape_newlines: false,
        needs_spans: false,
        id: time::next_id(),
    }
}

impl Formatter {
    /// A `%`-style formatter.
    ///
    /// ```
    /// # use tracing_handlers_core::Formatter;
    /// assert!(Formatter::percent("%(levelname)s:%(name)s:%(message)s").is_ok());
    /// ```
    ///
    /// # Errors
    ///
    /// Invalid format syntax, with Python's message.
    pub fn percent(fmt: &str) -> Result<Self, FormatError> {
        Self::new(fmt, Style::Percent)
    }

    /// A formatter for `fmt` in `style`.
    ///
    /// ```
    /// # use tracing_handlers_core::{Formatter, Style};
    /// assert!(Formatter::new("${asctime} $levelname ${message}", Style::Dollar).is_ok());
    /// assert_eq!(
    ///     Formatter::new("$ $message", Style::Dollar).unwrap_err().to_string(),
    ///     "invalid format: bare '$' not allowed"
    /// );
    /// ```
    ///
    /// # Errors
    ///
    /// Invalid format syntax, with Python's message (see the [module docs](self) for what
    /// we reject beyond Python's construction-time validation). An empty `fmt` is the
    /// style's default (`%(message)s`, `{message}`, `${message}`), as in Python.
    pub fn new(fmt: &str, style: Style) -> Result<Self, FormatError> {
        // Python: `fmt or style.default_format`.
        let fmt = match (fmt, style) {
            ("", Style::Percent) => "%(message)s",
            ("", Style::Brace) => "{message}",
            ("", Style::Dollar) => "${message}",
            (fmt, _) => fmt,
        };
        let segments = match style {
            Style::Percent => percent::parse(fmt)?,
            Style::Brace => brace::parse(fmt)?,
            Style::Dollar => dollar::parse(fmt)?,
        };
        let needs_spans = segments
            .iter()
            .any(|s| matches!(s, Segment::Field(f) if f.attr == Attr::Spans));
        let plan = plain::Plan::compile(&segments).map(Arc::new);
        Ok(Formatter {
            fmt: fmt.into(),
            style,
            segments: segments.into(),
            plan,
            datefmt: None,
            zone: Zone::local(),
            defaults: Arc::new([]),
            escape_newlines: false,
            needs_spans,
            id: time::next_id(),
        })
    }

    /// The format string.
    ///
    /// ```
    /// # use tracing_handlers_core::Formatter;
    /// assert_eq!(Formatter::default().fmt(), "%(message)s");
    /// ```
    pub fn fmt(&self) -> &str {
        &self.fmt
    }

    /// The format's style.
    ///
    /// ```
    /// # use tracing_handlers_core::{Formatter, Style};
    /// assert_eq!(Formatter::default().style(), Style::Percent);
    /// ```
    pub fn style(&self) -> Style {
        self.style
    }

    /// The `datefmt`, if any.
    ///
    /// ```
    /// # use tracing_handlers_core::Formatter;
    /// assert_eq!(Formatter::default().with_datefmt("%H:%M").datefmt(), Some("%H:%M"));
    /// ```
    pub fn datefmt(&self) -> Option<&str> {
        self.datefmt.as_deref()
    }

    /// Python's `datefmt`: `asctime` becomes C `strftime(datefmt)` of the time, without
    /// milliseconds (`%f` is not a directive and stays `%f`, as on glibc). An empty `datefmt`
    /// is no `datefmt` (Python tests `if datefmt:`), so the default `asctime` stays: a
    /// `logging.conf` line `datefmt=` means the default.
    ///
    /// ```
    /// # use tracing_handlers_core::{FieldSet, Format, Formatter, Level, Record, system_time_from_secs_f64};
    /// let fields = FieldSet::new();
    /// let mut record = Record::new(Level::INFO, "a", "m", &fields);
    /// record.created = system_time_from_secs_f64(1700000000.5);
    /// let f = Formatter::percent("%(asctime)s")?.with_datefmt("%Y-%m-%dT%H:%M:%S%z").with_utc(true);
    /// let mut out = Vec::new();
    /// f.format(&record, &mut out);
    /// assert_eq!(out, b"2023-11-14T22:13:20+0000");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_datefmt(mut self, datefmt: &str) -> Self {
        self.datefmt = (!datefmt.is_empty()).then(|| datefmt.into());
        self.id = time::next_id();
        self
    }

    /// Shows times in UTC (Python's `converter = time.gmtime`; `%Z` prints `GMT` as there)
    /// when `utc`, else in the system's local zone.
    ///
    /// ```
    /// # use tracing_handlers_core::Formatter;
    /// let f = Formatter::percent("%(asctime)s %(message)s")?.with_utc(true);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_utc(mut self, utc: bool) -> Self {
        self.zone = if utc { Zone::Utc } else { Zone::local() };
        self.id = time::next_id();
        self
    }

    /// Shows times in `zone` (daylight saving time included).
    ///
    /// ```
    /// # use tracing_handlers_core::Formatter;
    /// let zone = jiff::tz::TimeZone::get("America/New_York")?;
    /// let f = Formatter::percent("%(asctime)s %(message)s")?.with_time_zone(zone);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_time_zone(mut self, zone: jiff::tz::TimeZone) -> Self {
        self.zone = Zone::Tz(zone);
        self.id = time::next_id();
        self
    }

    /// Python's `defaults`: text for names a record lacks (record attributes and the
    /// event's fields win).
    ///
    /// ```
    /// # use tracing_handlers_core::{FieldSet, Format, Formatter, Level, Record};
    /// let f = Formatter::percent("%(ip)s %(message)s")?.with_defaults([("ip", "-")]);
    /// let fields = FieldSet::new();
    /// let mut out = Vec::new();
    /// f.format(&Record::new(Level::INFO, "a", "hello", &fields), &mut out);
    /// assert_eq!(out, b"- hello");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_defaults<K, V>(mut self, defaults: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut all: Vec<(Box<str>, Box<str>)> = self.defaults.iter().cloned().collect();
        for (k, v) in defaults {
            let (k, v) = (k.as_ref(), v.as_ref());
            all.retain(|(name, _)| &**name != k);
            all.push((k.into(), v.into()));
        }
        self.defaults = all.into();
        self
    }

    /// Writes newlines (and carriage returns) in the message as `\n` (`\r`), so every
    /// record stays on one line (our extension; off by default, as Python).
    ///
    /// ```
    /// # use tracing_handlers_core::{FieldSet, Format, Formatter, Level, Record};
    /// let f = Formatter::default().with_escaped_newlines(true);
    /// let fields = FieldSet::new();
    /// let mut out = Vec::new();
    /// f.format(&Record::new(Level::INFO, "a", "two\nlines", &fields), &mut out);
    /// assert_eq!(out, b"two\\nlines");
    /// ```
    #[must_use]
    pub fn with_escaped_newlines(mut self, escape: bool) -> Self {
        self.escape_newlines = escape;
        self
    }

    pub(crate) fn write_asctime(&self, record: &Record<'_>, out: &mut Vec<u8>) {
        self.write_asctime_at(record.created, out);
    }

    /// `asctime` for a record created at `created`.
    #[inline]
    pub(crate) fn write_asctime_at(&self, created: SystemTime, out: &mut Vec<u8>) {
        let kind = match &self.datefmt {
            Some(d) => time::DateKind::Strftime(d),
            None => time::DateKind::Default,
        };
        time::write_time(out, self.id, &self.zone, kind, created);
    }

    /// The line of every record with the attributes in `fixed` (one callsite's records),
    /// when only its time and message vary; see [`plain::LineShape`].
    pub(crate) fn line_shape(&self, fixed: &plain::FixedParts<'_>) -> Option<plain::LineShape> {
        self.plan.as_ref()?.shape(fixed, self.escape_newlines)
    }

    /// The general path: every segment with its spec.
    #[inline(never)]
    fn format_segments(&self, record: &Record<'_>, out: &mut Vec<u8>) {
        let ctx = Ctx {
            record,
            formatter: self,
        };
        for segment in self.segments.iter() {
            match segment {
                Segment::Literal(s) => out.extend_from_slice(s.as_bytes()),
                Segment::Field(field) => self.write_field(field, &ctx, out),
            }
        }
    }

    fn write_field(&self, field: &Field, ctx: &Ctx<'_, '_>, out: &mut Vec<u8>) {
        if let Some(attr) = field.plain {
            if attr.write(self, ctx.record, out) {
                return;
            }
        }
        let val = match resolve(&field.attr, ctx) {
            Some(v) => v,
            None => {
                if !field.reported.swap(true, Ordering::Relaxed) {
                    report(&Report {
                        source: "formatter",
                        kind: ReportKind::Notice,
                        message: &format_args!(
                            "record has no field '{}' (written as '-')",
                            field.attr.name()
                        ),
                    });
                }
                Val::Str("-")
            }
        };
        match &field.spec {
            FieldSpec::Percent(spec) => percent::render(out, &val, spec, ctx),
            FieldSpec::Brace(spec) => brace::render(out, &val, spec, ctx),
            FieldSpec::Str => attrs::write_str(out, &val, ctx),
        }
    }
}

impl Format for Formatter {
    #[inline]
    fn format(&self, record: &Record<'_>, out: &mut Vec<u8>) {
        if let Some(plan) = &self.plan {
            let start = out.len();
            if plan.write(self, record, out) {
                return;
            }
            out.truncate(start);
        }
        self.format_segments(record, out);
    }

    fn needs_spans(&self) -> bool {
        self.needs_spans
    }

    fn needs_relative_created(&self) -> bool {
        self.segments
            .iter()
            .any(|s| matches!(s, Segment::Field(f) if f.attr == Attr::RelativeCreated))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FieldSet, Level};

    #[test]
    fn spans_make_needs_spans_true() {
        assert!(Formatter::percent("%(spans)s %(message)s")
            .unwrap()
            .needs_spans());
        assert!(Formatter::new("{spans}", Style::Brace)
            .unwrap()
            .needs_spans());
        assert!(!Formatter::default().needs_spans());
    }

    #[test]
    fn fields_and_target_extensions() {
        let mut fields = FieldSet::new();
        fields.push_str("user", "bob");
        fields.push_f64("ratio", 7.0);
        fields.push_bool("ok", false);
        let mut record = Record::new(Level::INFO, "portal.api", "m\nx", &fields);
        record.target = "portal::api";
        let f = Formatter::percent("%(target)s [%(fields)s] %(message)s").unwrap();
        let mut out = Vec::new();
        f.format(&record, &mut out);
        assert_eq!(out, b"portal::api [user=bob ratio=7.0 ok=False] m\nx");
        let empty = FieldSet::new();
        let record = Record::new(Level::from_number(25), "a", "m", &empty);
        out.clear();
        Formatter::percent("[%(fields)s] %(levelname)s %(spans)s|")
            .unwrap()
            .format(&record, &mut out);
        assert_eq!(out, b"[] Level 25 |");
    }

    #[test]
    fn an_empty_datefmt_is_the_default_asctime_as_in_python() {
        // `datefmt=` in a logging.conf (the Python docs' own example has it): Python's
        // `formatTime` tests `if datefmt:`, so the default `YYYY-MM-DD HH:MM:SS,mmm` is used.
        let fields = FieldSet::new();
        let mut record = Record::new(Level::INFO, "a", "m", &fields);
        record.created = crate::system_time_from_secs_f64(1700000000.007891);
        let f = Formatter::percent("%(asctime)s|%(message)s")
            .unwrap()
            .with_datefmt("")
            .with_utc(true);
        assert_eq!(f.datefmt(), None);
        let mut out = Vec::new();
        f.format(&record, &mut out);
        assert_eq!(out, b"2023-11-14 22:13:20,007|m");
    }
}
