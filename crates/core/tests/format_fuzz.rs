//! Pseudo-random format strings in all three styles: parsing and formatting never panic.
//! In its own binary because it silences the process-wide reporter.

use tracing_handlers_core::report::{reset_error_reporter, set_error_reporter, Report};
use tracing_handlers_core::{FieldSet, Format, Formatter, Level, Record, Style};

/// Pseudo-random formats from an alphabet of syntax characters: parsing never panics,
/// and every accepted format writes valid UTF-8 for records with odd values.
#[test]
fn random_formats_never_panic() {
    const ALPHABET: &[&str] = &[
        "%", "(", ")", "{", "}", "$", "!", ":", ".", "[", "]", "-", "+", " ", "#", "0", "5", "12",
        "s", "r", "a", "d", "x", "X", "o", "e", "f", "g", "G", "c", "%", ",", "_", "<", ">", "^",
        "=", "é", "€", "\n", "message", "asctime", "levelno", "created", "msecs", "nope", "fields",
        "spans", "user", "ratio", "big", "ok", "funcName", "lineno",
    ];
    let mut fields = FieldSet::new();
    fields.push_str("user", "b\"o'b\n");
    fields.push_f64("ratio", f64::NAN);
    fields.push_f64("big", -f64::INFINITY);
    fields.push_i64("ok", i64::MIN);
    set_error_reporter(|_r: &Report<'_>| {});
    let mut record = Record::new(Level::from_number(-3), "n", "héllo\u{0}€", &fields);
    record.line = Some(u32::MAX);
    record.spans = Some("a{x=1}:b");
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut accepted = 0;
    for _ in 0..20_000 {
        let len = (next() % 12) as usize;
        let fmt: String = (0..len)
            .map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize])
            .collect();
        for style in [Style::Percent, Style::Brace, Style::Dollar] {
            if let Ok(f) = Formatter::new(&fmt, style) {
                accepted += 1;
                let mut out = Vec::new();
                f.format(&record, &mut out);
                assert!(std::str::from_utf8(&out).is_ok(), "{fmt:?}");
            }
        }
    }
    reset_error_reporter();
    assert!(accepted > 100, "{accepted}");
}
