//! A record lacking a named field: written with `-`, reported once per field of the format.
//! In its own test binary because the reporter is process-wide.

use std::sync::{Arc, Mutex};

use tracing_handlers_core::report::{reset_error_reporter, set_error_reporter, Report, ReportKind};
use tracing_handlers_core::{FieldSet, Format, Formatter, Level, Record, Style};

#[test]
fn missing_field_is_dash_and_reported_once() {
    let seen: Arc<Mutex<Vec<(String, ReportKind, String)>>> = Arc::default();
    let sink = seen.clone();
    set_error_reporter(move |r: &Report<'_>| {
        sink.lock()
            .unwrap()
            .push((r.source.to_owned(), r.kind, r.message.to_string()));
    });

    let fields = FieldSet::new();
    let record = Record::new(Level::INFO, "portal", "hello", &fields);
    let cases = [
        ("%(nope)s %(message)s", Style::Percent, "- hello"),
        (
            "%(nope)5s|%(nope)-3d|%(message)s",
            Style::Percent,
            "    -|-  |hello",
        ),
        ("{nope:>4} {message}", Style::Brace, "   - hello"),
        ("$nope ${message}", Style::Dollar, "- hello"),
    ];
    let mut expected_reports = 0;
    for (fmt, style, expected) in cases {
        let f = Formatter::new(fmt, style).unwrap();
        for _ in 0..3 {
            let mut out = Vec::new();
            f.format(&record, &mut out);
            assert_eq!(String::from_utf8(out).unwrap(), expected, "{fmt}");
        }
        expected_reports += fmt.matches("nope").count();
        assert_eq!(seen.lock().unwrap().len(), expected_reports, "{fmt}");
    }
    // A present field, or a default, is not reported.
    let mut with = FieldSet::new();
    with.push_str("nope", "here");
    let f = Formatter::percent("%(nope)s %(ip)s")
        .unwrap()
        .with_defaults([("ip", "1.2.3.4")]);
    let mut out = Vec::new();
    f.format(
        &Record::new(Level::INFO, "portal", "hello", &with),
        &mut out,
    );
    assert_eq!(out, b"here 1.2.3.4");
    assert_eq!(seen.lock().unwrap().len(), expected_reports);

    let reports = seen.lock().unwrap();
    for (source, kind, message) in reports.iter() {
        assert_eq!(source, "formatter");
        assert_eq!(*kind, ReportKind::Notice);
        assert_eq!(message, "record has no field 'nope' (written as '-')");
    }
    drop(reports);
    reset_error_reporter();
}
