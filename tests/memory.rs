//! Logging keeps no memory it does not need: one huge record does not pin its memory for the
//! rest of the thread's life (the per-thread buffers give it back once the record is
//! written), and a thread that logs and ends leaves nothing behind (a server starting a
//! thread per connection must not grow for ever). A global allocator counts the bytes alive;
//! the tests here take turns, so nothing else allocates beside the one measuring.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use tracing_handlers::{Builder, FileSink, Formatter, Level, Logger};

struct Live;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator; only counts the bytes alive.
unsafe impl GlobalAlloc for Live {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_add(
                new_size as isize - layout.size() as isize,
                Ordering::Relaxed,
            );
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Live = Live;

const MIB: isize = 1024 * 1024;

static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn a_huge_message_field_or_span_does_not_stay_in_the_thread_buffers() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let file = FileSink::builder(&path)
        .build_handler()
        .unwrap()
        .with_formatter(
            Formatter::percent("%(levelname)s %(spans)s %(message)s payload=%(payload)s").unwrap(),
        );
    let guard = Builder::new()
        .handler("file", Level::NOTSET, file)
        .root(Logger::new().level(Level::INFO).handler("file"))
        .set_default()
        .unwrap();
    let small = |i: usize| tracing::info!(payload = i, "ordinary {}", i);
    // Warm up: callsite caches and the buffers at their usual size.
    for i in 0..100 {
        small(i);
    }
    let before = LIVE.load(Ordering::Relaxed);

    let huge = "x".repeat(20 * MIB as usize);
    tracing::info!(payload = 1, "{huge}");
    tracing::info!(payload = %huge, "a huge field");
    tracing::info_span!("request", body = %huge).in_scope(|| tracing::info!(payload = 2, "m"));
    drop(huge);
    // Ordinary records after them regrow the buffers to their usual size, no more.
    for i in 0..100 {
        small(i);
    }

    let after = LIVE.load(Ordering::Relaxed);
    assert!(
        after - before < MIB,
        "{} KiB more alive after three 20 MiB records than before them",
        (after - before) / 1024
    );
    drop(guard);
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 203);
    assert_eq!(
        lines[100].len(),
        "INFO  ".len() + 20 * MIB as usize + " payload=1".len()
    );
    assert!(lines[101].ends_with(&format!(
        "a huge field payload={}",
        "x".repeat(20 * MIB as usize)
    )));
    assert!(lines[102].starts_with("INFO request{body=xxx"));
    assert!(lines[102].ends_with(" m payload=2"));
}

#[test]
fn threads_that_log_and_end_leave_nothing_allocated() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("threads.log");
    let file = FileSink::builder(&path)
        .build_handler()
        .unwrap()
        .with_formatter(Formatter::percent("%(threadName)s %(message)s").unwrap());
    let guard = Builder::new()
        .handler("file", Level::NOTSET, file)
        .root(Logger::new().level(Level::INFO).handler("file"))
        .set_default()
        .unwrap();
    let dispatch = tracing::dispatcher::get_default(Clone::clone);
    let connection = |name: Option<String>| {
        let dispatch = dispatch.clone();
        let builder = match name {
            Some(name) => std::thread::Builder::new().name(name),
            None => std::thread::Builder::new(),
        };
        builder
            .spawn(move || {
                tracing::dispatcher::with_default(&dispatch, || tracing::info!("served"))
            })
            .unwrap()
            .join()
            .unwrap();
    };
    // Warm up: what is set up once per process.
    for _ in 0..100 {
        connection(None);
    }
    let before = LIVE.load(Ordering::Relaxed);
    const THREADS: usize = 5_000;
    let pad = "x".repeat(100);
    for i in 0..THREADS {
        connection(Some(format!("connection-{i}-{pad}")));
        connection(None);
    }
    let after = LIVE.load(Ordering::Relaxed);
    assert!(
        after - before < 64 * 1024,
        "{} KiB more alive after {} threads logged once each and ended",
        (after - before) / 1024,
        2 * THREADS
    );
    drop(guard);
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), 100 + 2 * THREADS);
    assert!(text.contains(&format!("connection-{}-{pad} served\n", THREADS - 1)));
    assert!(text.contains("Thread-"));
}
