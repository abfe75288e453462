//! A process that forks after its file handler started (a daemon that forks once logging is
//! up, a pre-forking master): the child inherits the handler but none of the parent's other
//! threads, whatever they were doing with it at that moment (waiting in the queue's writer,
//! inside a write, waiting to reopen).
#![cfg(unix)]

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
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
    let child = support::fork(|| {
        for i in 0..CHILD_LINES {
            let _ = sink.write_record(format!("child {i}\n").as_bytes(), Level::INFO);
        }
        let _ = sink.flush();
        // What dropping it does, with the 3 s shutdown timeout.
        let started = Instant::now();
        sink.shutdown(started + Duration::from_secs(3));
        i32::from(started.elapsed() > Duration::from_secs(2))
    });
    support::wait_for_child(child, "1: shutting its sink down took over 2 s");
    sink.write_record(b"parent 1\n", Level::INFO).unwrap();
}

/// A child of a process whose non-blocking sink had started inherits the queue but not the
/// writer thread: its records used to wait in a queue nobody drained, and were lost when the
/// child exited after waiting out the whole shutdown deadline.
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
    support::assert_child_passed(&out);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort_unstable();
    let mut expected: Vec<String> = (0..CHILD_LINES).map(|i| format!("child {i}")).collect();
    expected.extend(["parent 0".into(), "parent 1".into()]);
    expected.sort_unstable();
    assert_eq!(lines, expected);
}

/// The exit of a child forked while another thread of the parent was inside a write: that
/// thread's slot in the exit gate came along with it, marked as writing, and the child's
/// exit waited the whole second for a write that does not happen there, then (now that such
/// waits are reported) said it ended in the middle of one.
#[test]
fn a_forked_child_exits_without_waiting_for_the_parents_writes() {
    const TEST: &str = "a_forked_child_exits_without_waiting_for_the_parents_writes";
    if support::child_role().as_deref() == Some("fifo") {
        blocked_writer_then_fork(Path::new(&std::env::var("TH_FIFO").unwrap()));
        return;
    }
    let out = rerun_with_fifo(TEST, "fifo");
    let stderr = String::from_utf8_lossy(&out.stderr);
    support::assert_child_passed(&out);
    assert!(!stderr.contains("still in progress"), "{stderr}");
}

/// A child forked while one thread of the parent was inside a write and another waited in
/// `reopen` (a SIGHUP handler after `logrotate`) for that write to finish: the child's first
/// record waited for ever behind the reopen, which does not happen there.
#[test]
fn a_child_forked_during_a_reopen_writes() {
    const TEST: &str = "a_child_forked_during_a_reopen_writes";
    if support::child_role().as_deref() == Some("reopen") {
        reopen_then_fork(Path::new(&std::env::var("TH_FIFO").unwrap()));
        return;
    }
    support::assert_child_passed(&rerun_with_fifo(TEST, "reopen"));
}

/// Runs `test` as `role` in a child process, with `TH_FIFO` naming a new named pipe.
fn rerun_with_fifo(test: &str, role: &str) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a path from a live CString.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    support::rerun_as_child_within(
        test,
        role,
        &[("TH_FIFO", fifo.to_str().unwrap())],
        Duration::from_secs(60),
    )
}

/// A sink on the named pipe `fifo` and a thread writing 64 KiB records to it until told to
/// stop: once the pipe is full (nobody reads it), that thread stays inside a write.
struct BlockedWriter {
    /// The pipe's reading end (non-blocking), to drain it.
    reader: File,
    sink: Arc<FileSink>,
    stop: Arc<AtomicBool>,
    writer: std::thread::JoinHandle<()>,
}

impl BlockedWriter {
    fn start(fifo: &Path) -> BlockedWriter {
        let reader = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(fifo)
            .unwrap();
        let sink = Arc::new(FileSink::builder(fifo).build().unwrap());
        let stop = Arc::new(AtomicBool::new(false));
        let writer = {
            let (sink, stop) = (sink.clone(), stop.clone());
            std::thread::spawn(move || {
                let record = vec![b'x'; 64 * 1024];
                while !stop.load(Ordering::Acquire) {
                    let _ = sink.write_record(&record, Level::INFO);
                }
            })
        };
        // The pipe holds 64 KiB: the writer is now inside its second write, for good.
        std::thread::sleep(Duration::from_millis(300));
        BlockedWriter {
            reader,
            sink,
            stop,
            writer,
        }
    }

    /// Stops the writer, draining the pipe until it has left its write, then empties it.
    fn stop(&mut self) {
        self.stop.store(true, Ordering::Release);
        let mut buf = vec![0u8; 64 * 1024];
        while !self.writer.is_finished() {
            let _ = self.reader.read(&mut buf);
        }
        while self.reader.read(&mut buf).is_ok_and(|n| n > 0) {}
    }
}

/// A thread blocked in a write into a pipe nobody reads, a fork, the child's `exit`; then
/// the pipe is drained so the parent's own exit has nothing in progress.
fn blocked_writer_then_fork(fifo: &Path) {
    let mut blocked = BlockedWriter::start(fifo);
    let child = support::fork(|| std::process::exit(0));
    support::wait_for_child(child, "its exit");
    blocked.stop();
}

/// A writer blocked in a pipe nobody reads, a `reopen` waiting for it, a fork. The parent
/// then drains the pipe, lets both finish and tells the child to write one record, which
/// must come through the pipe.
fn reopen_then_fork(fifo: &Path) {
    let mut blocked = BlockedWriter::start(fifo);
    let reopener = {
        let sink = blocked.sink.clone();
        std::thread::spawn(move || sink.reopen().unwrap())
    };
    // Long enough for the reopen to be waiting for the write.
    std::thread::sleep(Duration::from_millis(300));
    let go = fifo.with_extension("go");
    let sink = &blocked.sink;
    let child = support::fork(|| {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !go.exists() {
            if Instant::now() > deadline {
                return 2;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        i32::from(sink.write_record(b"child\n", Level::INFO).is_err())
    });
    blocked.stop();
    reopener.join().unwrap();
    std::fs::write(&go, b"").unwrap();
    support::wait_for_child(child, "1: its write failed, 2: it was never told to write");
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + Duration::from_secs(10);
    while !got.ends_with(b"child\n") && Instant::now() < deadline {
        match blocked.reader.read(&mut buf) {
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
    assert!(got.ends_with(b"child\n"), "read {} bytes", got.len());
}
