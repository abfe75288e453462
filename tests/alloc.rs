//! A steady-state event allocates nothing: a counting global allocator watches 10,000 events
//! go through `tracing`, the dispatch layer, the formatter and a file sink.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use tracing_handlers::{Builder, FileSink, Formatter, Level, Logger};

struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<u64> = const { Cell::new(0) };
}

fn note() {
    let _ = COUNTING.try_with(|on| {
        if on.get() {
            let _ = COUNT.try_with(|c| c.set(c.get() + 1));
        }
    });
}

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Allocations made on this thread while `f` runs.
fn allocations(f: impl FnOnce()) -> u64 {
    COUNT.with(|c| c.set(0));
    COUNTING.with(|on| on.set(true));
    f();
    COUNTING.with(|on| on.set(false));
    COUNT.with(Cell::get)
}

fn events(n: usize) {
    for i in 0..n {
        tracing::info!(target: "portal::api", user = "bob", attempt = i, "request {} served", i);
        // Below the logger's level: dropped early.
        tracing::debug!(target: "portal::api", "not logged {}", i);
    }
}

/// Logs 1,000 events to warm up (callsite caches, thread-local buffers, the cached second),
/// then counts the allocations of 10,000 more, through a file handler with `format`.
fn steady_state_allocations(format: &str) -> u64 {
    let dir = tempfile::tempdir().unwrap();
    let file = FileSink::builder(dir.path().join("app.log"))
        .build_handler()
        .unwrap()
        .with_formatter(Formatter::percent(format).unwrap());
    let guard = Builder::new()
        .handler("file", Level::NOTSET, file)
        .root(Logger::new().level(Level::INFO).handler("file"))
        .set_default()
        .unwrap();
    events(1_000);
    let n = allocations(|| events(10_000));
    drop(guard);
    let text = std::fs::read_to_string(dir.path().join("app.log")).unwrap();
    assert_eq!(text.lines().count(), 11_000);
    n
}

/// The general path: a record built, every kind of attribute formatted.
#[test]
fn steady_state_events_allocate_nothing() {
    let n = steady_state_allocations(
        "%(asctime)s %(levelname)-8s %(name)s [%(threadName)s] %(module)s:%(lineno)d %(message)s user=%(user)s",
    );
    assert_eq!(n, 0, "allocations during 10,000 steady-state events");
}

/// The prepared line of a callsite (a format varying only by time and message).
#[test]
fn steady_state_events_on_a_prepared_line_allocate_nothing() {
    let n = steady_state_allocations("%(asctime)s %(levelname)s %(name)s %(message)s");
    assert_eq!(n, 0, "allocations during 10,000 steady-state events");
}
