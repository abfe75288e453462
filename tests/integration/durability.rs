//! Every record logged before a normal exit is on disk: 4 threads × 100,000 records into one
//! file handler, direct and non-blocking, in a child process that ends with
//! `std::process::exit(0)` while the guard is still alive (so only the exit hook can flush).
//!
//! And the same while the threads are still logging: an exit (or a shutdown) in the middle
//! of the writing keeps every record whose call returned before it, loses no earlier record
//! of a thread when a later one is on disk, and tears no line.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing_handlers::{
    Builder, FileSink, FormatHandler, Formatter, Level, Logger, NonBlocking, NonBlockingOptions,
    Sink,
};
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
    if let Some(r) = support::child_role() {
        if r == role {
            child(
                Path::new(&std::env::var("TH_LOG_PATH").unwrap()),
                role == "nonblocking",
            );
        }
        return;
    }
    // Only the parent makes the folder: the child ends in `process::exit`, which would
    // leave one of its own behind, empty.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("logs/app.log");
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

// === exit and shutdown while the threads are still logging ===

/// A file sink whose batches take a while, so that the queue is full when a shutdown comes
/// and its drain takes long enough for the producers to run into it.
#[derive(Debug)]
struct SlowFile(FileSink);

impl Sink for SlowFile {
    fn write_record(&self, record: &[u8], level: Level) -> std::io::Result<()> {
        self.0.write_record(record, level)
    }
    fn write_batch(&self, batch: &[u8], ends: &[usize]) -> std::io::Result<()> {
        std::thread::sleep(Duration::from_micros(200));
        self.0.write_batch(batch, ends)
    }
    fn flush(&self) -> std::io::Result<()> {
        self.0.flush()
    }
    fn describe(&self) -> String {
        self.0.describe()
    }
}

/// A file handler (direct, or non-blocking over a slow writer) writing
/// `%(threadName)s %(message)s`.
fn builder_for(path: &Path, non_blocking: bool) -> Builder {
    let formatter = Formatter::percent("%(threadName)s %(message)s").unwrap();
    let file = FileSink::builder(path).build().unwrap();
    let builder = if non_blocking {
        let options = NonBlockingOptions::new().with_capacity_bytes(256 * 1024);
        let sink = NonBlocking::with_options(SlowFile(file), options).unwrap();
        Builder::new().handler(
            "file",
            Level::NOTSET,
            FormatHandler::new(sink).with_formatter(formatter),
        )
    } else {
        Builder::new().handler(
            "file",
            Level::NOTSET,
            FormatHandler::new(file).with_formatter(formatter),
        )
    };
    builder.root(Logger::new().level(Level::INFO).handler("file"))
}

/// Starts `THREADS` threads named `w0`..`w3` that log `"{i} {pad}"` for `i` in `0..limit`,
/// storing `i + 1` in their counter after each call returns.
fn start_writers(
    counts: &Arc<[AtomicUsize; THREADS]>,
    limit: usize,
    dispatch: Option<tracing::Dispatch>,
) -> Vec<std::thread::JoinHandle<()>> {
    (0..THREADS)
        .map(|t| {
            let counts = counts.clone();
            let dispatch = dispatch.clone();
            std::thread::Builder::new()
                .name(format!("w{t}"))
                .spawn(move || {
                    let body = || {
                        for i in 0..limit {
                            tracing::info!("{i} {}", "x".repeat(80));
                            counts[t].store(i + 1, Ordering::Release);
                        }
                    };
                    match &dispatch {
                        Some(d) => tracing::dispatcher::with_default(d, body),
                        None => body(),
                    }
                })
                .unwrap()
        })
        .collect()
}

/// Waits until every writer has logged at least `at_least` records.
fn wait_for_progress(counts: &[AtomicUsize; THREADS], at_least: usize) {
    let give_up = Instant::now() + Duration::from_secs(60);
    while counts.iter().any(|c| c.load(Ordering::Acquire) < at_least) {
        assert!(Instant::now() < give_up, "the writers made no progress");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Reads the file: per thread, the indices on disk. Panics on a torn or duplicated line.
fn indices_per_thread(path: &Path) -> HashMap<String, Vec<usize>> {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "the last line is torn"
    );
    let mut per_thread: HashMap<String, Vec<usize>> = HashMap::new();
    let mut seen = HashSet::new();
    for line in text.lines() {
        let mut parts = line.split(' ');
        let (Some(thread), Some(index), Some(pad), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            panic!("torn line: {line:?}");
        };
        let index: usize = index.parse().unwrap_or_else(|_| panic!("torn: {line:?}"));
        assert!(
            thread.starts_with('w') && pad.len() == 80 && pad.bytes().all(|b| b == b'x'),
            "torn: {line:?}"
        );
        assert!(
            seen.insert((thread.to_owned(), index)),
            "duplicate: {line:?}"
        );
        per_thread.entry(thread.to_owned()).or_default().push(index);
    }
    per_thread
}

/// Each thread's records on disk are `0..n` in the order it logged them, with
/// `logged[t] <= n` (every record whose call returned before the exit is there).
fn check_prefixes(path: &Path, logged: &[usize]) {
    let per_thread = indices_per_thread(path);
    for (t, &logged) in logged.iter().enumerate() {
        let on_disk = per_thread
            .get(&format!("w{t}"))
            .cloned()
            .unwrap_or_default();
        for (position, &index) in on_disk.iter().enumerate() {
            assert_eq!(
                index, position,
                "thread w{t}: record {position} missing or out of order (found {index} there)"
            );
        }
        assert!(
            on_disk.len() >= logged,
            "thread w{t}: {logged} records logged before the exit, {} on disk",
            on_disk.len()
        );
    }
}

fn exit_child(path: &Path, snapshot: &Path, non_blocking: bool) -> ! {
    // If the exit hook hung (a drain that never ends while producers keep going), fail loudly
    // instead of hanging the test run.
    #[allow(clippy::print_stderr)]
    std::thread::spawn(|| {
        std::thread::sleep(Duration::from_secs(120));
        eprintln!("watchdog: the process did not exit");
        std::process::abort();
    });
    let guard = builder_for(path, non_blocking).try_init().unwrap();
    let counts: Arc<[AtomicUsize; THREADS]> = Arc::new(Default::default());
    let _writers = start_writers(&counts, usize::MAX, None);
    wait_for_progress(&counts, 2_000);
    let logged: Vec<String> = counts
        .iter()
        .map(|c| c.load(Ordering::Acquire).to_string())
        .collect();
    std::fs::write(snapshot, logged.join(",")).unwrap();
    // The writers are still logging: only the exit hook stands between them and the end.
    std::mem::forget(guard);
    std::process::exit(0);
}

fn run_exit_while_logging(role: &str, test: &str) {
    if let Some(r) = support::child_role() {
        if r == role {
            exit_child(
                Path::new(&std::env::var("TH_LOG_PATH").unwrap()),
                Path::new(&std::env::var("TH_SNAPSHOT").unwrap()),
                role == "exit-nonblocking",
            );
        }
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let snapshot = dir.path().join("logged");
    let out = support::rerun_as_child(
        test,
        role,
        &[
            ("TH_LOG_PATH", path.to_str().unwrap()),
            ("TH_SNAPSHOT", snapshot.to_str().unwrap()),
        ],
    );
    assert!(
        out.status.success(),
        "child failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let logged: Vec<usize> = std::fs::read_to_string(&snapshot)
        .unwrap()
        .split(',')
        .map(|n| n.parse().unwrap())
        .collect();
    assert_eq!(logged.len(), THREADS);
    check_prefixes(&path, &logged);
}

#[test]
fn exit_while_four_threads_log_direct_keeps_what_was_logged_before_it() {
    run_exit_while_logging(
        "exit-direct",
        "durability::exit_while_four_threads_log_direct_keeps_what_was_logged_before_it",
    );
}

#[test]
fn exit_while_four_threads_log_non_blocking_keeps_what_was_logged_before_it() {
    run_exit_while_logging(
        "exit-nonblocking",
        "durability::exit_while_four_threads_log_non_blocking_keeps_what_was_logged_before_it",
    );
}

/// A shutdown in the middle of the writing: the threads go on logging through it and after
/// it, and every record ends up on disk once, in each thread's order.
fn shutdown_while_logging(non_blocking: bool) {
    const PER_WRITER: usize = 50_000;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let (dispatch, layer) = builder_for(&path, non_blocking).build().unwrap();
    let subscriber = tracing::Dispatch::new(tracing_subscriber::layer::SubscriberExt::with(
        tracing_subscriber::registry(),
        layer,
    ));
    let counts: Arc<[AtomicUsize; THREADS]> = Arc::new(Default::default());
    let writers = start_writers(&counts, PER_WRITER, Some(subscriber));
    wait_for_progress(&counts, 5_000);
    dispatch.shutdown(Instant::now() + Duration::from_secs(30));
    let at_shutdown: Vec<usize> = counts.iter().map(|c| c.load(Ordering::Acquire)).collect();
    for w in writers {
        w.join().unwrap();
    }
    dispatch.shutdown(Instant::now() + Duration::from_secs(30));
    assert!(
        at_shutdown.iter().any(|&n| n < PER_WRITER),
        "the writers had finished before the shutdown: the test proves nothing ({at_shutdown:?})"
    );
    check_prefixes(&path, &[PER_WRITER; THREADS]);
    let lines: usize = indices_per_thread(&path).values().map(Vec::len).sum();
    assert_eq!(lines, THREADS * PER_WRITER);
}

#[test]
fn shutdown_while_four_threads_log_direct_loses_nothing() {
    shutdown_while_logging(false);
}

#[test]
fn shutdown_while_four_threads_log_non_blocking_loses_nothing() {
    shutdown_while_logging(true);
}

// === a record logged while the thread's own thread-locals are being destroyed ===

fn thread_exit_child(path: &Path) -> ! {
    struct LogsOnDrop;
    impl Drop for LogsOnDrop {
        fn drop(&mut self) {
            tracing::warn!("logged from a thread-local destructor");
        }
    }
    thread_local! {
        static LOGS_ON_DROP: LogsOnDrop = const { LogsOnDrop };
    }
    let formatter = Formatter::percent("%(levelname)s %(threadName)s %(message)s").unwrap();
    let handler = FileSink::builder(path).build_handler().unwrap();
    let guard = Builder::new()
        .handler("file", Level::NOTSET, handler.with_formatter(formatter))
        .root(Logger::new().level(Level::INFO).handler("file"))
        .try_init()
        .unwrap();
    let body = || {
        // This thread-local is set up before the thread first logs, so its destructor runs
        // after those of the logging path's own thread-locals.
        LOGS_ON_DROP.with(|_| {});
        tracing::info!("logged while running");
    };
    let named = std::thread::Builder::new().name("pool-worker".into());
    named.spawn(body).unwrap().join().unwrap();
    // The first unnamed thread to log in this process: Thread-1.
    std::thread::spawn(body).join().unwrap();
    drop(guard);
    std::process::exit(0);
}

#[test]
fn a_record_logged_by_a_thread_local_destructor_is_written() {
    let role = "thread-exit";
    if let Some(r) = support::child_role() {
        if r == role {
            thread_exit_child(Path::new(&std::env::var("TH_LOG_PATH").unwrap()));
        }
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let out = support::rerun_as_child(
        "durability::a_record_logged_by_a_thread_local_destructor_is_written",
        role,
        &[("TH_LOG_PATH", path.to_str().unwrap())],
    );
    assert!(
        out.status.success(),
        "child failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The destructor's record keeps the thread's name, though the logging path's own
    // thread-locals are gone by then.
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "INFO pool-worker logged while running\n\
         WARNING pool-worker logged from a thread-local destructor\n\
         INFO Thread-1 logged while running\n\
         WARNING Thread-1 logged from a thread-local destructor\n"
    );
}

/// A daemon that forks once logging is up, its child going on logging through `tracing` and
/// ending with `process::exit`: the child's records reach the file through the non-blocking
/// handler it inherited (whose writer thread stayed in the parent), the exit hook does not
/// wait for that thread, and what the parent logs after the fork is there too.
#[cfg(unix)]
#[test]
fn a_child_forked_after_init_logs_and_exits_with_every_record_on_disk() {
    const TEST: &str =
        "durability::a_child_forked_after_init_logs_and_exits_with_every_record_on_disk";
    const CHILD_RECORDS: usize = 1_000;
    if support::child_role().as_deref() == Some("daemon") {
        let path = std::env::var("TH_LOG_PATH").unwrap();
        let guard = Builder::new()
            .handler(
                "file",
                Level::NOTSET,
                FileSink::builder(&path)
                    .build_non_blocking(NonBlockingOptions::new())
                    .unwrap()
                    .with_formatter(Formatter::percent("%(message)s").unwrap()),
            )
            .root(Logger::new().level(Level::INFO).handler("file"))
            .try_init()
            .unwrap();
        tracing::info!("before the fork");
        let child = support::fork(|| {
            for i in 0..CHILD_RECORDS {
                tracing::info!("child {i}");
            }
            std::process::exit(0)
        });
        support::wait_for_child(child, "its exit");
        tracing::info!("after the fork");
        drop(guard);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("daemon.log");
    let started = Instant::now();
    let out = support::rerun_as_child_within(
        TEST,
        "daemon",
        &[("TH_LOG_PATH", path.to_str().unwrap())],
        Duration::from_secs(60),
    );
    support::assert_child_passed(&out);
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: HashSet<&str> = text.lines().collect();
    assert_eq!(text.lines().count(), CHILD_RECORDS + 2, "every record once");
    assert!(lines.contains("before the fork") && lines.contains("after the fork"));
    for i in 0..CHILD_RECORDS {
        assert!(
            lines.contains(format!("child {i}").as_str()),
            "child {i} missing"
        );
    }
    // No wait for a writer thread that does not run in the child: well under the 30 s
    // shutdown timeout (a generous bound, not a timing measurement).
    assert!(
        started.elapsed() < Duration::from_secs(25),
        "{:?}",
        started.elapsed()
    );
}
