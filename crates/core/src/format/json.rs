//! One JSON object per record.

use std::io::Write as _;

use super::attrs::write_float_repr;
use super::time::{next_id, write_time, DateKind, Zone};
use super::Format;
use crate::{Record, Value};

/// Formats each record as one JSON object (no trailing newline), for log shippers.
///
/// Keys, in order: `time` (RFC 3339 with milliseconds, in the formatter's zone; `Z` in
/// UTC), `level` (the level name), `levelno`, `logger` (the dotted name), `target`,
/// `message`, `fields` (the event's fields with their JSON types; booleans as `true` /
/// `false`, non-finite floats as the strings `"inf"`, `"-inf"`, `"nan"`; a field shadowed by
/// a later one of the same name is left out), `spans` (only when the record carries spans),
/// `process`, `thread`, `threadName`, `file` and `line` (`null` when unknown).
///
/// ```
/// use tracing_handlers_core::{FieldSet, Format, JsonFormatter, Level, Record};
/// use tracing_handlers_core::system_time_from_secs_f64;
///
/// let mut fields = FieldSet::new();
/// fields.push_str("user", "bob \"b\"");
/// fields.push_i64("attempts", 3);
/// fields.push_bool("locked", true);
/// let mut record = Record::new(Level::WARNING, "portal.web", "login\tfailed", &fields);
/// record.created = system_time_from_secs_f64(1700000000.007891);
/// record.process_id = 4242;
/// record.thread_id = 1234;
/// record.thread_name = "MainThread";
///
/// let mut out = Vec::new();
/// JsonFormatter::new().with_utc(true).format(&record, &mut out);
/// assert_eq!(
///     String::from_utf8(out)?,
///     r#"{"time":"2023-11-14T22:13:20.007Z","level":"WARNING","levelno":30,"logger":"portal.web","target":"portal.web","message":"login\tfailed","fields":{"user":"bob \"b\"","attempts":3,"locked":true},"process":4242,"thread":1234,"threadName":"MainThread","file":null,"line":null}"#
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct JsonFormatter {
    zone: Zone,
    spans: bool,
    id: u64,
}

impl Default for JsonFormatter {
    fn default() -> Self {
        Self::new()
    }
}

impl JsonFormatter {
    /// A JSON formatter with times in the system's local zone that asks for spans.
    ///
    /// ```
    /// # use tracing_handlers_core::{Format, JsonFormatter};
    /// assert!(JsonFormatter::new().needs_spans());
    /// ```
    pub fn new() -> Self {
        JsonFormatter {
            zone: Zone::local(),
            spans: true,
            id: next_id(),
        }
    }

    /// Times in UTC (`…Z`) when `utc`, else in the system's local zone.
    ///
    /// ```
    /// # use tracing_handlers_core::JsonFormatter;
    /// let f = JsonFormatter::new().with_utc(true);
    /// ```
    #[must_use]
    pub fn with_utc(mut self, utc: bool) -> Self {
        self.zone = if utc { Zone::Utc } else { Zone::local() };
        self.id = next_id();
        self
    }

    /// Times in `zone`.
    ///
    /// ```
    /// # use tracing_handlers_core::JsonFormatter;
    /// let f = JsonFormatter::new().with_time_zone(jiff::tz::TimeZone::UTC);
    /// ```
    #[must_use]
    pub fn with_time_zone(mut self, zone: jiff::tz::TimeZone) -> Self {
        self.zone = Zone::Tz(zone);
        self.id = next_id();
        self
    }

    /// Whether to ask the dispatch layer for spans (default true); records without spans
    /// have no `spans` key either way.
    ///
    /// ```
    /// # use tracing_handlers_core::{Format, JsonFormatter};
    /// assert!(!JsonFormatter::new().with_spans(false).needs_spans());
    /// ```
    #[must_use]
    pub fn with_spans(mut self, spans: bool) -> Self {
        self.spans = spans;
        self
    }
}

/// Writes `s` as a JSON string, quotes included.
pub(crate) fn write_json_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut run = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0C => b"\\f",
            0x00..=0x1F | 0x7F => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[run..i]);
        run = i + 1;
        if esc.is_empty() {
            let _ = write!(out, "\\u{b:04x}");
        } else {
            out.extend_from_slice(esc);
        }
    }
    out.extend_from_slice(&bytes[run..]);
    out.push(b'"');
}

fn write_json_value(out: &mut Vec<u8>, v: Value<'_>) {
    match v {
        Value::Str(s) => write_json_str(out, s),
        Value::I64(n) => {
            let _ = write!(out, "{n}");
        }
        Value::U64(n) => {
            let _ = write!(out, "{n}");
        }
        Value::F64(x) if x.is_finite() => write_float_repr(out, x),
        Value::F64(x) => out.extend_from_slice(if x.is_nan() {
            b"\"nan\""
        } else if x > 0.0 {
            b"\"inf\""
        } else {
            b"\"-inf\""
        }),
        Value::Bool(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
    }
}

impl Format for JsonFormatter {
    fn format(&self, record: &Record<'_>, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"time\":\"");
        write_time(out, self.id, &self.zone, DateKind::Rfc3339, record.created);
        out.extend_from_slice(b"\",\"level\":");
        match record.level.as_str() {
            Some(name) => write_json_str(out, name),
            None => {
                let _ = write!(out, "\"Level {}\"", record.level.number());
            }
        }
        let _ = write!(out, ",\"levelno\":{},\"logger\":", record.level.number());
        write_json_str(out, record.name);
        out.extend_from_slice(b",\"target\":");
        write_json_str(out, record.target);
        out.extend_from_slice(b",\"message\":");
        write_json_str(out, record.message);
        out.extend_from_slice(b",\"fields\":{");
        let mut first = true;
        for (name, value) in record.fields.unshadowed() {
            if !first {
                out.push(b',');
            }
            first = false;
            write_json_str(out, name);
            out.push(b':');
            write_json_value(out, value);
        }
        out.push(b'}');
        if let Some(spans) = record.spans {
            out.extend_from_slice(b",\"spans\":");
            write_json_str(out, spans);
        }
        let _ = write!(
            out,
            ",\"process\":{},\"thread\":{},\"threadName\":",
            record.process_id, record.thread_id
        );
        write_json_str(out, record.thread_name);
        out.extend_from_slice(b",\"file\":");
        match record.file {
            Some(f) => write_json_str(out, f),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"line\":");
        match record.line {
            Some(l) => {
                let _ = write!(out, "{l}");
            }
            None => out.extend_from_slice(b"null"),
        }
        out.push(b'}');
    }

    fn needs_relative_created(&self) -> bool {
        false
    }

    fn needs_spans(&self) -> bool {
        self.spans
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FieldSet, Level};

    /// A record received with 80,000 extra fields (one 1 MiB JSON line, within the socket
    /// receiver's default frame limit) took about 40 s to format, each field being compared
    /// with every later one. Shadowed names are now found in linear time, and
    /// a later field of the same name still wins, once, at its position.
    #[test]
    fn many_fields_format_in_linear_time_and_the_last_of_a_name_wins() {
        let mut fields = FieldSet::new();
        for i in 0..80_000 {
            fields.push_i64(&format!("f{i:05}"), i);
        }
        let record = Record::new(Level::INFO, "a", "m", &fields);
        let start = std::time::Instant::now();
        let mut out = Vec::new();
        JsonFormatter::new().format(&record, &mut out);
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "{:?}",
            start.elapsed()
        );
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("\"f00000\":0,") && text.contains("\"f79999\":79999}"));

        for count in [3, 16, 17, 40] {
            let mut fields = FieldSet::new();
            fields.push_str("user", "first");
            for i in 0..count {
                fields.push_i64(&format!("n{i}"), i);
            }
            fields.push_str("user", "last");
            let record = Record::new(Level::INFO, "a", "m", &fields);
            let mut out = Vec::new();
            JsonFormatter::new().format(&record, &mut out);
            let text = String::from_utf8(out).unwrap();
            assert_eq!(text.matches("\"user\"").count(), 1, "{count}: {text}");
            assert!(text.contains("\"user\":\"last\"}"), "{count}: {text}");
        }
    }

    #[test]
    fn escapes() {
        let mut out = Vec::new();
        write_json_str(&mut out, "a\"b\\c\n\u{1}\u{7f}é€");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\"a\\\"b\\\\c\\n\\u0001\\u007fé€\""
        );
    }
}
