//! The non-blocking sink: batching, overflow policies, flush, shutdown, reports.
//!
//! The reporter is process-wide, so every test here takes `SERIAL` first.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tracing_handlers_core::nonblocking::{NonBlocking, NonBlockingOptions, OverflowPolicy};
use tracing_handlers_core::report::{reset_error_reporter, set_error_reporter, ReportKind};
use tracing_handlers_core::{FieldSet, FormatHandler, Handler, Level, MemorySink, Record, Sink};

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Collects every report as `(kind, text)`.
fn collect_reports() -> Arc<Mutex<Vec<(ReportKind, String)>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    set_error_reporter(move |r| sink.lock().unwrap().push((r.kind, r.to_string())));
    seen
}

/// A memory sink whose batch writes are slow, and which can be told to fail.
#[derive(Debug, Default)]
struct TestSink {
    memory: MemorySink,
    delay: Duration,
    fail: AtomicBool,
    batches: AtomicUsize,
    flushes: AtomicUsize,
    thread_names: Mutex<Vec<String>>,
}

impl TestSink {
    fn slow(delay: Duration) -> Self {
        TestSink {
            delay,
            ..Default::default()
        }
    }

    fn lines(&self) -> Vec<String> {
        self.memory.text().lines().map(str::to_owned).collect()
    }
}

impl Sink for TestSink {
    fn write_record(&self, record: &[u8], level: Level) -> io::Result<()> {
        if self.fail.load(Ordering::Relaxed) {
            return Err(io::Error::other("disk on fire"));
        }
        self.memory.write_record(record, level)
    }

    fn write_batch(&self, batch: &[u8], _ends: &[usize]) -> io::Result<()> {
        self.batches.fetch_add(1, Ordering::Relaxed);
        if let Some(name) = std::thread::current().name() {
            self.thread_names.lock().unwrap().push(name.to_owned());
        }
        std::thread::sleep(self.delay);
        if self.fail.load(Ordering::Relaxed) {
            return Err(io::Error::other("disk on fire"));
        }
        self.memory.write_record(batch, Level::NOTSET)
    }

    fn flush(&self) -> io::Result<()> {
        self.flushes.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    fn describe(&self) -> String {
        "test sink".to_owned()
    }
}

fn log(handler: &impl Handler, level: Level, message: &str) {
    let fields = FieldSet::new();
    handler.handle(&Record::new(level, "test", message, &fields));
}

#[test]
fn flush_makes_everything_visible_and_flushes_the_inner_sink() {
    let _g = serial();
    let inner = Arc::new(TestSink::slow(Duration::from_millis(1)));
    let handler = FormatHandler::new(NonBlocking::new(inner.clone()).unwrap());
    for i in 0..1000 {
        log(&handler, Level::INFO, &format!("line {i}"));
    }
    handler.flush();
    let lines = inner.lines();
    assert_eq!(lines.len(), 1000);
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line, &format!("line {i}"));
    }
    assert!(inner.flushes.load(Ordering::Relaxed) >= 1);
    // Batched: far fewer writes than records.
    assert!(inner.batches.load(Ordering::Relaxed) < 1000);
    let names = inner.thread_names.lock().unwrap().clone();
    assert!(
        names.iter().all(|n| n == "tracing-handlers-writer"),
        "{names:?}"
    );
}

#[test]
fn block_policy_loses_nothing_with_a_tiny_queue() {
    let _g = serial();
    let inner = Arc::new(TestSink::slow(Duration::from_micros(200)));
    let sink = NonBlockingOptions::new()
        .with_capacity_bytes(64)
        .with_policy(OverflowPolicy::Block)
        .build(inner.clone())
        .unwrap();
    let handler = Arc::new(FormatHandler::new(sink));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let handler = handler.clone();
            std::thread::spawn(move || {
                for i in 0..500 {
                    log(&*handler, Level::DEBUG, &format!("t{t}-{i:04}"));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    handler.flush();
    assert_eq!(handler.sink().dropped(), 0);
    let mut lines = inner.lines();
    lines.sort();
    let mut expected: Vec<String> = (0..4)
        .flat_map(|t| (0..500).map(move |i| format!("t{t}-{i:04}")))
        .collect();
    expected.sort();
    assert_eq!(lines, expected);
}

#[test]
fn drop_newest_counts_drops_and_writes_a_dropped_line() {
    let _g = serial();
    let reports = collect_reports();
    let inner = Arc::new(TestSink::slow(Duration::from_millis(20)));
    let sink = NonBlockingOptions::new()
        .with_capacity_bytes(100)
        .with_policy(OverflowPolicy::DropNewest)
        .build(inner.clone())
        .unwrap();
    let handler = FormatHandler::new(sink);
    for i in 0..1000 {
        log(&handler, Level::INFO, &format!("record {i:04}"));
    }
    handler.flush();
    let dropped = handler.sink().dropped();
    assert!(dropped > 0, "nothing dropped");
    let lines = inner.lines();
    let written = lines.iter().filter(|l| l.starts_with("record ")).count() as u64;
    assert_eq!(written + dropped, 1000);
    let announced: u64 = lines
        .iter()
        .filter_map(|l| {
            l.strip_prefix("[tracing-handlers] ")?
                .strip_suffix(" records dropped (queue full)")?
                .parse::<u64>()
                .ok()
        })
        .sum();
    assert_eq!(announced, dropped, "{lines:?}");
    let reported: u64 = reports
        .lock()
        .unwrap()
        .iter()
        .filter_map(|(k, _)| match k {
            ReportKind::Dropped { records } => Some(*records),
            _ => None,
        })
        .sum();
    assert_eq!(reported, dropped);
    reset_error_reporter();
}

#[test]
fn drop_below_keeps_records_at_or_above_the_level() {
    let _g = serial();
    let _reports = collect_reports();
    let inner = Arc::new(TestSink::slow(Duration::from_millis(5)));
    let sink = NonBlockingOptions::new()
        .with_capacity_bytes(50)
        .with_policy(OverflowPolicy::DropBelow(Level::WARNING))
        .build(inner.clone())
        .unwrap();
    let handler = FormatHandler::new(sink);
    for i in 0..300 {
        let level = if i % 3 == 0 {
            Level::ERROR
        } else {
            Level::DEBUG
        };
        log(&handler, level, &format!("{level} {i:03}"));
    }
    handler.flush();
    let lines = inner.lines();
    let errors = lines.iter().filter(|l| l.starts_with("ERROR ")).count();
    let debugs = lines.iter().filter(|l| l.starts_with("DEBUG ")).count() as u64;
    assert_eq!(errors, 100, "an ERROR record was dropped");
    assert!(handler.sink().dropped() > 0);
    assert_eq!(debugs + handler.sink().dropped(), 200);
    reset_error_reporter();
}

#[test]
fn a_record_larger_than_the_queue_is_written_in_order() {
    let _g = serial();
    let inner = Arc::new(TestSink::slow(Duration::from_millis(1)));
    let sink = NonBlockingOptions::new()
        .with_capacity_bytes(64)
        .build(inner.clone())
        .unwrap();
    let big = "x".repeat(10_000);
    let handler = FormatHandler::new(sink);
    log(&handler, Level::INFO, "small before");
    log(&handler, Level::INFO, &big);
    log(&handler, Level::INFO, "small after");
    handler.flush();
    assert_eq!(
        inner.lines(),
        vec!["small before".to_owned(), big, "small after".to_owned()]
    );
}

#[test]
fn shutdown_drains_and_later_records_are_written_directly() {
    let _g = serial();
    let inner = Arc::new(TestSink::slow(Duration::from_millis(2)));
    let sink = NonBlocking::new(inner.clone()).unwrap();
    for i in 0..2000 {
        sink.write_record(format!("r{i}\n").as_bytes(), Level::INFO)
            .unwrap();
    }
    let lost = sink.shutdown(Instant::now() + Duration::from_secs(30));
    assert_eq!(lost, 0);
    assert_eq!(inner.lines().len(), 2000);
    sink.write_record(b"late\n", Level::INFO).unwrap();
    assert_eq!(inner.lines().last().map(String::as_str), Some("late"));
    sink.flush().unwrap();
}

#[test]
fn drop_drains_the_queue() {
    let _g = serial();
    let inner = Arc::new(TestSink::slow(Duration::from_millis(2)));
    {
        let handler = FormatHandler::new(NonBlocking::new(inner.clone()).unwrap());
        for i in 0..2000 {
            log(&handler, Level::INFO, &format!("r{i}"));
        }
    }
    assert_eq!(inner.lines().len(), 2000);
}

#[test]
fn a_passed_shutdown_deadline_reports_what_was_not_written() {
    let _g = serial();
    let reports = collect_reports();
    let inner = Arc::new(TestSink::slow(Duration::from_millis(300)));
    let sink = NonBlocking::new(inner.clone()).unwrap();
    sink.write_record(b"first\n", Level::INFO).unwrap();
    // Let the worker take "first" and sit in its slow write.
    let deadline = Instant::now() + Duration::from_secs(10);
    while inner.batches.load(Ordering::Relaxed) == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    for i in 0..10 {
        sink.write_record(format!("r{i}\n").as_bytes(), Level::INFO)
            .unwrap();
    }
    let lost = sink.shutdown(Instant::now() + Duration::from_millis(50));
    assert_eq!(lost, 10);
    assert_eq!(sink.dropped(), 10);
    // Later records do not wait for the stuck worker.
    sink.write_record(b"direct\n", Level::INFO).unwrap();
    std::thread::sleep(Duration::from_millis(400));
    let lines = inner.lines();
    assert!(lines.contains(&"first".to_owned()));
    assert!(lines.contains(&"direct".to_owned()));
    assert!(reports
        .lock()
        .unwrap()
        .iter()
        .any(|(k, text)| *k == ReportKind::Dropped { records: 10 } && text.contains("deadline")));
    reset_error_reporter();
}

#[test]
fn worker_write_errors_are_reported_once_per_burst_then_recovery() {
    let _g = serial();
    let reports = collect_reports();
    let inner = Arc::new(TestSink::slow(Duration::from_micros(100)));
    inner.fail.store(true, Ordering::Relaxed);
    let handler = FormatHandler::new(NonBlocking::new(inner.clone()).unwrap());
    for i in 0..1000 {
        log(&handler, Level::INFO, &format!("lost {i}"));
    }
    handler.flush();
    inner.fail.store(false, Ordering::Relaxed);
    log(&handler, Level::INFO, "back");
    handler.flush();
    let seen = reports.lock().unwrap().clone();
    let failures = seen
        .iter()
        .filter(|(k, _)| *k == ReportKind::Failure)
        .count();
    let recoveries = seen
        .iter()
        .filter(|(k, _)| matches!(k, ReportKind::Recovered { .. }))
        .count();
    assert_eq!(failures, 1, "{seen:?}");
    assert_eq!(recoveries, 1, "{seen:?}");
    assert!(seen[0].1.contains("test sink") && seen[0].1.contains("disk on fire"));
    assert_eq!(inner.lines(), vec!["back".to_owned()]);
    reset_error_reporter();
}

#[test]
fn line_style_and_describe_come_from_the_inner_sink() {
    let _g = serial();
    let sink = NonBlocking::new(MemorySink::new()).unwrap();
    assert_eq!(sink.describe(), "memory");
    assert_eq!(sink.line_style(Level::ERROR), None);
}

/// An inner sink that logs back into the queue in front of it while the worker writes.
#[derive(Default)]
struct Reentrant {
    memory: MemorySink,
    callback: std::sync::OnceLock<Box<dyn Fn() + Send + Sync>>,
}

impl std::fmt::Debug for Reentrant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Reentrant")
    }
}

impl Sink for Reentrant {
    fn write_record(&self, record: &[u8], level: Level) -> io::Result<()> {
        self.memory.write_record(record, level)
    }

    fn write_batch(&self, batch: &[u8], _ends: &[usize]) -> io::Result<()> {
        self.memory.write_record(batch, Level::NOTSET)?;
        if let Some(callback) = self.callback.get() {
            callback();
        }
        Ok(())
    }

    fn describe(&self) -> String {
        "reentrant".to_owned()
    }
}

#[test]
fn logging_from_the_worker_thread_never_waits_for_itself() {
    let _g = serial();
    let inner = Arc::new(Reentrant::default());
    let sink = Arc::new(
        NonBlockingOptions::new()
            .with_capacity_bytes(16)
            .with_policy(OverflowPolicy::Block)
            .build(inner.clone())
            .unwrap(),
    );
    let weak = Arc::downgrade(&sink);
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let _ = inner.callback.set(Box::new(move || {
        // Only the first few batches log back, or this would never end.
        if counter.fetch_add(1, Ordering::Relaxed) < 3 {
            if let Some(sink) = weak.upgrade() {
                // Fills the queue past its capacity, then flushes: both would wait for
                // the worker, which is this thread.
                for _ in 0..3 {
                    sink.write_record(b"from the worker\n", Level::ERROR)
                        .unwrap();
                }
                sink.flush().unwrap();
            }
        }
    }));
    sink.write_record(b"start\n", Level::INFO).unwrap();
    // Each batch with a callback queues one more record: wait for the chain to end.
    let deadline = Instant::now() + Duration::from_secs(10);
    while calls.load(Ordering::Relaxed) < 4 && Instant::now() < deadline {
        sink.flush().unwrap();
    }
    sink.flush().unwrap();
    let lines = inner.memory.text();
    assert!(lines.starts_with("start\n"), "{lines:?}");
    assert_eq!(lines.matches("from the worker").count(), 9, "{lines:?}");
    assert_eq!(sink.dropped(), 0);
}
