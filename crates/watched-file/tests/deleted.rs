//! The file deleted, then its folder deleted (and recreated, or not): the sink recreates what
//! is missing and goes on, reporting nothing worse than one line per event kind. A path that
//! cannot be reopened for a while is reported once, then its recovery once.
//!
//! The reporter is process-wide: every test here takes `SERIAL` first.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tracing_handlers_core::report::{reset_error_reporter, set_error_reporter, ReportKind};
use tracing_handlers_core::{FieldSet, FormatHandler, Handler, Level, Record};
use tracing_handlers_watched_file::WatchedFileSink;

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

fn handler(path: &Path, interval: Duration) -> FormatHandler<WatchedFileSink> {
    WatchedFileSink::builder(path)
        .with_check_interval(interval)
        .build_handler()
        .unwrap()
}

fn log(handler: &impl Handler, msg: &str) {
    let fields = FieldSet::new();
    handler.handle(&Record::new(Level::INFO, "test", msg, &fields));
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

fn deleted_file_then_folder(interval: Duration, wait: Duration) {
    let reports = collect_reports();
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("logs");
    let path = folder.join("app.log");
    let h = handler(&path, interval);
    log(&h, "a");
    assert_eq!(read(&path), "a\n");

    std::fs::remove_file(&path).unwrap();
    std::thread::sleep(wait);
    log(&h, "b");
    assert_eq!(read(&path), "b\n", "file recreated");

    std::fs::remove_dir_all(&folder).unwrap();
    std::fs::create_dir(&folder).unwrap();
    std::thread::sleep(wait);
    log(&h, "c");
    assert_eq!(read(&path), "c\n", "file recreated in the recreated folder");

    std::fs::remove_dir_all(&folder).unwrap();
    std::thread::sleep(wait);
    log(&h, "d");
    log(&h, "e");
    assert_eq!(read(&path), "d\ne\n", "folder and file recreated");
    assert_eq!(h.sink().reopens(), 3);

    reset_error_reporter();
    let reports = reports.lock().unwrap();
    assert!(reports.is_empty(), "reopening is silent: {reports:?}");
}

#[test]
fn deleted_file_and_folder_checked_every_record() {
    let _g = serial();
    deleted_file_then_folder(Duration::ZERO, Duration::ZERO);
}

#[test]
fn deleted_file_and_folder_default_interval() {
    let _g = serial();
    deleted_file_then_folder(
        tracing_handlers_watched_file::DEFAULT_CHECK_INTERVAL,
        tracing_handlers_watched_file::DEFAULT_CHECK_INTERVAL + Duration::from_millis(20),
    );
}

/// The folder replaced by a plain file: the path cannot be reopened. One failure report for
/// the whole burst (records meanwhile go to the file still open), one recovery report.
#[test]
fn unreopenable_path_reported_once_then_recovery_once() {
    let _g = serial();
    let reports = collect_reports();
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("logs");
    let path = folder.join("app.log");
    let h = handler(&path, Duration::ZERO);
    log(&h, "a");
    std::fs::rename(&folder, dir.path().join("logs.old")).unwrap();
    std::fs::write(&folder, b"not a folder").unwrap();
    for i in 0..50 {
        log(&h, &format!("blocked {i}"));
    }
    // Nothing lost: the records went to the file still open (now under logs.old).
    let old = read(&dir.path().join("logs.old/app.log"));
    assert_eq!(old.lines().count(), 51);
    std::fs::remove_file(&folder).unwrap();
    log(&h, "back");
    assert_eq!(read(&path), "back\n");
    reset_error_reporter();

    assert_eq!(
        count(&reports, |k| *k == ReportKind::Failure),
        1,
        "{reports:?}"
    );
    assert_eq!(
        count(&reports, |k| matches!(k, ReportKind::Recovered { .. })),
        1,
        "{reports:?}"
    );
    assert_eq!(reports.lock().unwrap().len(), 2, "{reports:?}");
    let first = &reports.lock().unwrap()[0].1;
    assert!(
        first.starts_with("watched file ") && first.contains("reopen failed"),
        "{first}"
    );
}
