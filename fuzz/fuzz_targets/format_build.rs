//! The core formatter: `Formatter::new(fmt, style)` from an arbitrary format string, with an
//! arbitrary `datefmt`, zone and defaults; when it builds, a record (arbitrary message, field
//! text and `created` time) goes through a `FormatHandler` into memory and straight into a
//! `Vec`. Output must be UTF-8 whenever the inputs are.
//!
//! Input: byte 0 = flags (bits 0-1 style, 2 UTC, 3 escaped newlines, 4 datefmt, 5 defaults),
//! bytes 1..9 = `created` as an f64 (little endian), then NUL-separated
//! `fmt \0 datefmt \0 message \0 field-value`.
#![no_main]

use std::sync::{Arc, Once};

use libfuzzer_sys::fuzz_target;
use tracing_handlers_core::report::set_error_reporter;
use tracing_handlers_core::{
    system_time_from_secs_f64, FieldSet, Format, FormatHandler, Formatter, Handler, Level,
    MemorySink, Record, Style,
};

static QUIET: Once = Once::new();

fuzz_target!(|data: &[u8]| {
    QUIET.call_once(|| set_error_reporter(|_| {}));
    if data.len() < 9 {
        return;
    }
    let flags = data[0];
    let created = f64::from_le_bytes(data[1..9].try_into().expect("8 bytes"));
    let text = String::from_utf8_lossy(&data[9..]);
    let mut parts = text.split('\0');
    let fmt = parts.next().unwrap_or("");
    let datefmt = parts.next().unwrap_or("");
    let message = parts.next().unwrap_or("hello");
    let value = parts.next().unwrap_or("bob");

    let style = match flags & 3 {
        0 => Style::Percent,
        1 => Style::Brace,
        2 => Style::Dollar,
        _ => Style::Percent,
    };
    let formatter = match Formatter::new(fmt, style) {
        Ok(f) => f,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let mut formatter = formatter
        .with_utc(flags & 4 != 0)
        .with_escaped_newlines(flags & 8 != 0);
    if flags & 16 != 0 {
        formatter = formatter.with_datefmt(datefmt);
    }
    if flags & 32 != 0 {
        formatter = formatter.with_defaults([("user", value), ("missing", value)]);
    }

    let mut fields = FieldSet::new();
    fields.push_str("user", value);
    fields.push_i64("n", created as i64);
    fields.push_f64("ratio", created);
    fields.push_bool("ok", flags & 64 != 0);
    fields.push_u64("big", u64::MAX);
    let level = Level::from_number(i32::from(flags as i8));
    let mut record = Record::new(level, "fuzz.name", message, &fields);
    record.created = system_time_from_secs_f64(created);
    record.relative_created = created;
    record.line = Some(u32::from(flags) << 24);
    record.file = Some(value);
    record.func_name = Some(message);
    record.thread_name = value;
    record.process_name = message;
    record.spans = Some(value);

    let mut out = Vec::new();
    formatter.format(&record, &mut out);
    assert!(std::str::from_utf8(&out).is_ok(), "non-UTF-8 output");

    let sink = Arc::new(MemorySink::new());
    let handler = FormatHandler::new(sink.clone()).with_formatter(formatter);
    handler.handle(&record);
    handler.handle(&record);
    let written = sink.contents();
    assert!(std::str::from_utf8(&written).is_ok(), "non-UTF-8 output");
});
