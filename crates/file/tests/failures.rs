//! Failures never panic, are reported once per burst, and the sink recovers.
//!
//! The reporter is process-wide: every test here takes `SERIAL` first.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use tracing_handlers_core::nonblocking::NonBlockingOptions;
use tracing_handlers_core::report::{reset_error_reporter, set_error_reporter, ReportKind};
use tracing_handlers_core::{FieldSet, Handler, Level, Record};
use tracing_handlers_file::FileSink;

static SERIAL: Mutex<()> = Mutex::new(());

type Reports = Arc<Mutex<Vec<(ReportKind, String)>>>;

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn collect_reports() -> Reports {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    set_error_reporter(move |r| sink.lock().unwrap().push((r.kind, r.to_string())));
    seen
}

fn count(reports: &Reports, pred: impl Fn(&ReportKind) -> bool) -> usize {
    reports
        .lock()
        .unwrap()
        .iter()
        .filter(|(k, _)| pred(k))
        .count()
}

fn log_many(handler: &impl Handler, n: usize, prefix: &str) {
    let fields = FieldSet::new();
    for i in 0..n {
        let msg = format!("{prefix} {i}");
        handler.handle(&Record::new(Level::ERROR, "test", &msg, &fields));
    }
}

#[allow(clippy::print_stdout)] // a visible skip
fn dev_full() -> bool {
    if Path::new("/dev/full").exists() {
        true
    } else {
        println!("SKIPPED: /dev/full does not exist here");
        false
    }
}

#[test]
fn dev_full_reports_once_per_burst_and_never_panics() {
    let _g = serial();
    if !dev_full() {
        return;
    }
    let reports = collect_reports();
    let handler = FileSink::builder("/dev/full").build_handler().unwrap();
    log_many(&handler, 1000, "lost");
    handler.flush();
    let seen = reports.lock().unwrap().clone();
    reset_error_reporter();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].0, ReportKind::Failure);
    assert!(seen[0].1.contains("file /dev/full"), "{seen:?}");
    assert!(seen[0].1.contains("No space left"), "{seen:?}");
}

#[test]
fn dev_full_in_non_blocking_mode_reports_once() {
    let _g = serial();
    if !dev_full() {
        return;
    }
    let reports = collect_reports();
    let handler = FileSink::builder("/dev/full")
        .build_non_blocking(NonBlockingOptions::new())
        .unwrap();
    log_many(&handler, 1000, "lost");
    handler.flush();
    drop(handler);
    let failures = count(&reports, |k| *k == ReportKind::Failure);
    reset_error_reporter();
    assert_eq!(failures, 1);
}

#[test]
fn an_unwritable_path_recovers_when_it_becomes_writable() {
    let _g = serial();
    let reports = collect_reports();
    let dir = tempfile::tempdir().unwrap();
    // Tests may run as root: make the path unwritable with a regular file where a folder
    // should be (ENOTDIR), not with permissions.
    let blocker = dir.path().join("logs");
    std::fs::write(&blocker, "not a folder").unwrap();
    let path = blocker.join("sub/app.log");
    let handler = FileSink::builder(&path)
        .with_delay(true)
        .build_handler()
        .unwrap();

    log_many(&handler, 1000, "lost");
    assert_eq!(count(&reports, |k| *k == ReportKind::Failure), 1);
    assert!(!handler.sink().is_open());

    std::fs::remove_file(&blocker).unwrap();
    log_many(&handler, 3, "kept");
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text, "kept 0\nkept 1\nkept 2\n");
    let seen = reports.lock().unwrap().clone();
    reset_error_reporter();
    let recovered: Vec<_> = seen
        .iter()
        .filter(|(k, _)| matches!(k, ReportKind::Recovered { failures: 1000 }))
        .collect();
    assert_eq!(recovered.len(), 1, "{seen:?}");
    assert_eq!(seen.len(), 2, "{seen:?}");
}
