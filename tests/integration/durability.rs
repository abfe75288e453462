//! Every record logged before a normal exit is on disk: 4 threads × 100,000 records into one
//! file handler, direct and non-blocking, in a child process that ends with
//! `std::process::exit(0)` while the guard is still alive (so only the exit hook can flush).

use std::collections::HashSet;
use std::path::Path;

use tracing_handlers::{Builder, FileSink, Formatter, Level, Logger, NonBlockingOptions};
use tracing_handlers_test_support as support;

const THREADS: usize = 4;
const PER_THREAD: usize = 100_000;

fn child(path: &Path, non_blocking: bool) -> ! {
    let formatter = Formatter::percent("%(threadName)s %(message)s").unwrap();
    let builder = FileSink::builder(path);
    let builder = if non_blocking {
        let handler = builder
            .build_non_blocking(NonBlockingOptions::new())
            .unwrap();
        Builder::new().handler("file", Level::NOTSET, handler.with_formatter(formatter))
    } else {
        let handler = builder.build_handler().unwrap();
        Builder::new().handler("file", Level::NOTSET, handler.with_formatter(formatter))
    };
    let guard = builder
        .root(Logger::new().level(Level::INFO).handler("file"))
        .try_init()
        .unwrap();
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            std::thread::Builder::new()
                .name(format!("w{t}"))
                .spawn(move || {
                    for i in 0..PER_THREAD {
                        tracing::info!("{i:06} {}", "x".repeat(80));
                    }
                })
                .unwrap()
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    // No drop of the guard, no flush: the exit hook must drain.
    std::mem::forget(guard);
    std::process::exit(0);
}

fn check(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut seen = HashSet::new();
    let mut lines = 0;
    for line in text.lines() {
        lines += 1;
        let mut parts = line.split(' ');
        let (Some(thread), Some(index), Some(pad), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            panic!("torn line {lines}: {line:?}");
        };
        assert!(
            thread.starts_with('w') && index.len() == 6 && pad.len() == 80,
            "torn: {line:?}"
        );
        assert!(
            seen.insert((thread.to_owned(), index.to_owned())),
            "duplicate: {line:?}"
        );
    }
    assert_eq!(lines, THREADS * PER_THREAD);
    assert_eq!(seen.len(), THREADS * PER_THREAD);
}

fn run(role: &str, test: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("logs/app.log");
    if let Some(r) = support::child_role() {
        if r == role {
            child(
                Path::new(&std::env::var("TH_LOG_PATH").unwrap()),
                role == "nonblocking",
            );
        }
        return;
    }
    let out = support::rerun_as_child(test, role, &[("TH_LOG_PATH", path.to_str().unwrap())]);
    assert!(
        out.status.success(),
        "child failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    check(&path);
}

#[test]
fn four_threads_direct_all_lines_on_disk_after_process_exit() {
    run(
        "direct",
        "durability::four_threads_direct_all_lines_on_disk_after_process_exit",
    );
}

#[test]
fn four_threads_non_blocking_all_lines_on_disk_after_process_exit() {
    run(
        "nonblocking",
        "durability::four_threads_non_blocking_all_lines_on_disk_after_process_exit",
    );
}
