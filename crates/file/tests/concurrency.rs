//! Four threads × 100,000 records into one file, direct and non-blocking: every line is
//! present exactly once and none is torn.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing_handlers_core::nonblocking::NonBlockingOptions;
use tracing_handlers_core::{FieldSet, Handler, Level, Record};
use tracing_handlers_file::FileSink;

const THREADS: usize = 4;
const PER_THREAD: usize = 100_000;
/// `t{thread}-{i:06}` is 9 bytes; the padding brings the line to 110 bytes plus `\n`.
const PADDING: usize = 100;

fn message(t: usize, i: usize) -> String {
    format!("t{t}-{i:06} {}", "x".repeat(PADDING))
}

fn hammer<H: Handler>(handler: Arc<H>) {
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let handler = handler.clone();
            std::thread::spawn(move || {
                let fields = FieldSet::new();
                for i in 0..PER_THREAD {
                    let msg = message(t, i);
                    handler.handle(&Record::new(Level::INFO, "load", &msg, &fields));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

fn check_file(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.ends_with('\n'));
    let padding = "x".repeat(PADDING);
    let mut seen = HashSet::with_capacity(THREADS * PER_THREAD);
    for line in text.lines() {
        let (id, pad) = line
            .split_once(' ')
            .unwrap_or_else(|| panic!("torn: {line:?}"));
        assert_eq!(pad, padding, "torn line {line:?}");
        let (t, i) = id
            .strip_prefix('t')
            .and_then(|s| s.split_once('-'))
            .unwrap_or_else(|| panic!("torn: {line:?}"));
        assert_eq!(i.len(), 6, "torn line {line:?}");
        let key: (usize, usize) = (t.parse().unwrap(), i.parse().unwrap());
        assert!(key.0 < THREADS && key.1 < PER_THREAD, "bad line {line:?}");
        assert!(seen.insert(key), "duplicate line {line:?}");
    }
    assert_eq!(seen.len(), THREADS * PER_THREAD, "lines missing");
}

#[test]
fn direct_four_threads_one_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("direct.log");
    let handler = Arc::new(FileSink::builder(&path).build_handler().unwrap());
    hammer(handler);
    // Direct mode: no flush needed.
    check_file(&path);
}

#[test]
fn non_blocking_four_threads_one_file_drained_by_drop() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("queued-drop.log");
    let handler = Arc::new(
        FileSink::builder(&path)
            .build_non_blocking(NonBlockingOptions::new().with_capacity_bytes(256 * 1024))
            .unwrap(),
    );
    hammer(handler.clone());
    assert_eq!(handler.sink().dropped(), 0);
    drop(Arc::into_inner(handler).expect("the only handle"));
    check_file(&path);
}

#[test]
fn non_blocking_four_threads_one_file_drained_by_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("queued-shutdown.log");
    let handler = Arc::new(
        FileSink::builder(&path)
            .build_non_blocking(NonBlockingOptions::new())
            .unwrap(),
    );
    hammer(handler.clone());
    handler.shutdown(Instant::now() + Duration::from_secs(60));
    check_file(&path);
    assert_eq!(handler.sink().dropped(), 0);
}
