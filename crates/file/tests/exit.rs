//! A process that exits while other threads are writing leaves no torn line. The kernel ends
//! the other threads at exit, and one inside a `write(2)` that spans page boundaries would be
//! cut between pages; the exit hook closes the write gate and waits for writes in progress.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tracing_handlers_core::{Level, Sink};
use tracing_handlers_file::FileSink;
use tracing_handlers_test_support as support;

/// Records of this many bytes (newline included): most cross a page boundary.
const RECORD: usize = 6000;
const RUNS: usize = 40;

fn child(path: &Path) -> ! {
    let sink = Arc::new(FileSink::builder(path).build().unwrap());
    let mut line = vec![b'x'; RECORD - 1];
    line.push(b'\n');
    for _ in 0..4 {
        let (sink, line) = (sink.clone(), line.clone());
        std::thread::spawn(move || loop {
            let _ = sink.write_record(&line, Level::INFO);
        });
    }
    std::thread::sleep(Duration::from_millis(15));
    std::process::exit(0);
}

#[test]
fn exit_while_threads_write_leaves_no_torn_line() {
    const TEST: &str = "exit_while_threads_write_leaves_no_torn_line";
    if support::child_role().as_deref() == Some("writer") {
        child(Path::new(&std::env::var("TH_LOG_PATH").unwrap()));
    }
    let dir = tempfile::tempdir().unwrap();
    let mut torn = Vec::new();
    for run in 0..RUNS {
        let path = dir.path().join(format!("run{run}.log"));
        let out =
            support::rerun_as_child(TEST, "writer", &[("TH_LOG_PATH", path.to_str().unwrap())]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let len = std::fs::metadata(&path).unwrap().len() as usize;
        assert!(len > 0, "run {run}: nothing written");
        if len % RECORD != 0 {
            torn.push((run, len));
        }
        std::fs::remove_file(&path).unwrap();
    }
    assert!(
        torn.is_empty(),
        "torn last lines (run, file length): {torn:?}"
    );
}
