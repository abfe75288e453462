//! Steady-state formatting allocates nothing: a counting global allocator around 10,000
//! records per formatter (the seconds change every 10 records, so the per-thread date cache
//! is refilled too).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tracing_handlers_core::{
    system_time_from_secs_f64, FieldSet, Format, Formatter, JsonFormatter, Level, Record, Style,
};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

fn counting() -> bool {
    COUNTING.try_with(Cell::get).unwrap_or(false)
}

// SAFETY: delegates to the system allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if counting() {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if counting() {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_formatting(f: &dyn Format, records: &[Record<'_>], out: &mut Vec<u8>) -> usize {
    // Warm-up: grows the buffer, fills the thread's caches.
    for r in records.iter().take(50) {
        out.clear();
        f.format(r, out);
    }
    ALLOCATIONS.store(0, Ordering::Relaxed);
    COUNTING.with(|c| c.set(true));
    for r in records {
        out.clear();
        f.format(r, out);
    }
    COUNTING.with(|c| c.set(false));
    ALLOCATIONS.load(Ordering::Relaxed)
}

#[test]
fn steady_state_formatting_does_not_allocate() {
    let mut fields = FieldSet::new();
    fields.push_str("user", "bob");
    fields.push_i64("attempts", 3);
    fields.push_f64("ratio", 0.25);
    fields.push_bool("ok", true);
    let base = system_time_from_secs_f64(1700000000.007891);
    let records: Vec<Record<'_>> = (0..10_000u64)
        .map(|i| {
            let mut r = Record::new(
                Level::WARNING,
                "portal.web.views",
                "user bob\nfailed",
                &fields,
            );
            r.created = base + Duration::from_millis(i * 100);
            r.file = Some("/srv/portal/web/views.py");
            r.line = Some(42);
            r
        })
        .collect();
    let ny = jiff::tz::TimeZone::get("America/New_York").unwrap();
    let formatters: Vec<(&str, Box<dyn Format>)> = vec![
        (
            "percent, local time",
            Box::new(Formatter::percent("%(asctime)s %(levelname)-8s %(name)s %(message)s").unwrap()),
        ),
        (
            "percent, many attributes",
            Box::new(
                Formatter::percent(
                    "%(asctime)s %(msecs)03d %(created).3f %(relativeCreated)d %(levelno)x %(name)r \
                     %(lineno)5d %(filename)s %(funcName)s %(user)s %(ratio)s %(ok)d %(fields)s %(nope)s",
                )
                .unwrap()
                .with_time_zone(ny.clone())
                .with_escaped_newlines(true),
            ),
        ),
        (
            "brace, datefmt",
            Box::new(
                Formatter::new("{asctime} {levelname:^10} {created:>20,.2f} {attempts:#x} {message!r}", Style::Brace)
                    .unwrap()
                    .with_datefmt("%a %d %b %Y %H:%M:%S %z %Z"),
            ),
        ),
        ("dollar, UTC", Box::new(Formatter::new("${asctime} $levelname $message", Style::Dollar).unwrap().with_utc(true))),
        ("json, local time", Box::new(JsonFormatter::new())),
        ("json, New York", Box::new(JsonFormatter::new().with_time_zone(ny))),
    ];
    // The counter works: a deliberate allocation is seen.
    ALLOCATIONS.store(0, Ordering::Relaxed);
    COUNTING.with(|c| c.set(true));
    drop(std::hint::black_box(vec![1u8; 16]));
    COUNTING.with(|c| c.set(false));
    assert!(ALLOCATIONS.load(Ordering::Relaxed) > 0);

    let mut out = Vec::new();
    // The missing `%(nope)s` is reported on the first record (allocating once), in warm-up.
    tracing_handlers_core::report::set_error_reporter(
        |_r: &tracing_handlers_core::report::Report<'_>| {},
    );
    for (name, f) in &formatters {
        let n = allocations_formatting(f.as_ref(), &records, &mut out);
        assert_eq!(n, 0, "{name}: {n} allocations for 10,000 records");
    }
}
