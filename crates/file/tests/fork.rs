//! A process that forks after its non-blocking file handler started (a daemon that forks
//! once logging is up, a pre-forking master): the child inherits the queue but not the
//! writer thread. Its records used to wait in a queue nobody drained, and were lost when
//! the child exited after waiting out the whole shutdown deadline.
#![cfg(unix)]

use std::path::Path;
use std::time::{Duration, Instant};

use tracing_handlers_core::nonblocking::NonBlockingOptions;
use tracing_handlers_core::{Level, Sink};
use tracing_handlers_file::FileSink;
use tracing_handlers_test_support as support;

const CHILD_LINES: usize = 100;

fn forker(path: &Path) {
    let sink = NonBlockingOptions::new()
        .with_shutdown_timeout(Duration::from_secs(3))
        .build(FileSink::builder(path).build().unwrap())
        .unwrap();
    sink.write_record(b"parent 0\n", Level::INFO).unwrap();
    sink.flush().unwrap();
    // SAFETY: the child writes through the sink, drops it and leaves with `_exit`.
    match unsafe { libc::fork() } {
        0 => {
            for i in 0..CHILD_LINES {
                let _ = sink.write_record(format!("child {i}\n").as_bytes(), Level::INFO);
            }
            let _ = sink.flush();
            let started = Instant::now();
            drop(sink);
            let slow = started.elapsed() > Duration::from_secs(2);
            // SAFETY: ends the forked child without the parent's exit hooks.
            unsafe { libc::_exit(i32::from(slow)) };
        }
        -1 => panic!("fork: {}", std::io::Error::last_os_error()),
        pid => {
            let mut status = 0;
            // SAFETY: waits for this process's child.
            assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
            assert!(
                libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
                "child status {status} (1: dropping its sink took over 2 s)"
            );
            sink.write_record(b"parent 1\n", Level::INFO).unwrap();
        }
    }
}

#[test]
fn a_forked_child_writes_through_the_non_blocking_sink_it_inherited() {
    const TEST: &str = "a_forked_child_writes_through_the_non_blocking_sink_it_inherited";
    if support::child_role().as_deref() == Some("forker") {
        forker(Path::new(&std::env::var("TH_LOG_PATH").unwrap()));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let out = support::rerun_as_child_within(
        TEST,
        "forker",
        &[("TH_LOG_PATH", path.to_str().unwrap())],
        Duration::from_secs(60),
    );
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("1 passed"),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort_unstable();
    let mut expected: Vec<String> = (0..CHILD_LINES).map(|i| format!("child {i}")).collect();
    expected.extend(["parent 0".into(), "parent 1".into()]);
    expected.sort_unstable();
    assert_eq!(lines, expected);
}
