//! JSON lines: one object per record, for Vector, Fluent Bit and Logstash.

use std::io::Write as _;

use tracing_handlers_core::{Record, Value};

fn put_str(out: &mut Vec<u8>, s: &str) {
    // Writing a &str to a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

fn put_value(out: &mut Vec<u8>, v: Value<'_>) {
    match v {
        Value::Str(s) => put_str(out, s),
        Value::I64(n) => {
            let _ = write!(out, "{n}");
        }
        Value::U64(n) => {
            let _ = write!(out, "{n}");
        }
        Value::F64(x) if x.is_finite() => {
            let _ = serde_json::to_writer(&mut *out, &x);
        }
        Value::F64(x) => put_str(
            out,
            if x.is_nan() {
                "nan"
            } else if x > 0.0 {
                "inf"
            } else {
                "-inf"
            },
        ),
        Value::Bool(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
    }
}

/// Appends one JSON line for `record` (newline included).
///
/// Keys, in order: `time` (RFC 3339 in UTC with microseconds), `level` (the level name, or
/// `Level N`), `levelno`, `logger`, `message`, `fields` (the event's fields with their JSON
/// types; non-finite floats as `"nan"`, `"inf"`, `"-inf"`; a field shadowed by a later one
/// of the same name left out), `process`, `thread`, `threadName`, `host` (when known),
/// `file` and `line` (`null` when unknown).
///
/// ```
/// use tracing_handlers_core::{system_time_from_secs_f64, FieldSet, Level, Record};
/// use tracing_handlers_socket::jsonl::encode_line;
///
/// let mut fields = FieldSet::new();
/// fields.push_i64("attempts", 3);
/// let mut record = Record::new(Level::WARNING, "portal.web", "login \"failed\"", &fields);
/// record.created = system_time_from_secs_f64(1700000000.5);
/// record.process_id = 42;
/// record.thread_id = 7;
/// record.thread_name = "MainThread";
/// let mut out = Vec::new();
/// encode_line(&record, Some("web1"), &mut out);
/// assert_eq!(
///     String::from_utf8(out)?,
///     "{\"time\":\"2023-11-14T22:13:20.500000Z\",\"level\":\"WARNING\",\"levelno\":30,\"logger\":\"portal.web\",\"message\":\"login \\\"failed\\\"\",\"fields\":{\"attempts\":3},\"process\":42,\"thread\":7,\"threadName\":\"MainThread\",\"host\":\"web1\",\"file\":null,\"line\":null}\n"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn encode_line(record: &Record<'_>, host: Option<&str>, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"time\":\"");
    match jiff::Timestamp::try_from(record.created) {
        Ok(t) => {
            let _ = write!(out, "{}", t.strftime("%Y-%m-%dT%H:%M:%S%.6fZ"));
        }
        Err(_) => out.extend_from_slice(b"1970-01-01T00:00:00.000000Z"),
    }
    out.extend_from_slice(b"\",\"level\":");
    match record.level.as_str() {
        Some(n) => put_str(out, n),
        None => put_str(out, &record.level.to_string()),
    }
    let _ = write!(out, ",\"levelno\":{},\"logger\":", record.level.number());
    put_str(out, record.name);
    out.extend_from_slice(b",\"message\":");
    put_str(out, record.message);
    out.extend_from_slice(b",\"fields\":{");
    let mut first = true;
    for (name, value) in record.fields.unshadowed() {
        if name.starts_with("__") {
            continue;
        }
        if !first {
            out.push(b',');
        }
        first = false;
        put_str(out, name);
        out.push(b':');
        put_value(out, value);
    }
    let _ = write!(
        out,
        "}},\"process\":{},\"thread\":{},\"threadName\":",
        record.process_id, record.thread_id
    );
    put_str(out, record.thread_name);
    if let Some(h) = host {
        out.extend_from_slice(b",\"host\":");
        put_str(out, h);
    }
    out.extend_from_slice(b",\"file\":");
    match record.file {
        Some(f) => put_str(out, f),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"line\":");
    match record.line {
        Some(l) => {
            let _ = write!(out, "{l}");
        }
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b"}\n");
}

/// The host name of this machine (`gethostname`), if the OS tells.
pub(crate) fn system_hostname() -> Option<String> {
    #[cfg(unix)]
    {
        let mut buf = [0u8; 256];
        // SAFETY: the buffer is valid for its length; gethostname NUL-terminates within it
        // or truncates, and we stop at the first NUL or the end.
        let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
        if rc == 0 {
            let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
            let name = String::from_utf8_lossy(&buf[..end]).into_owned();
            if !name.is_empty() {
                return Some(name);
            }
        }
        None
    }
    #[cfg(not(unix))]
    {
        None
    }
}
