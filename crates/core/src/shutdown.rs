//! Flushing at process exit: records logged before `process::exit` or a return from `main`
//! reach their destination even when no guard is dropped.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Once, Weak};
use std::time::{Duration, Instant};

use crate::dispatch::{Dispatch, WeakDispatch};
use crate::fork::ForkSafeMutex;

// Fork-safe: a child forked while another thread registered takes them all the same.
static REGISTERED: ForkSafeMutex<Vec<(WeakDispatch, Duration)>> =
    ForkSafeMutex::const_new(Vec::new());
static HOOK: Once = Once::new();

/// Shuts `dispatch` down (flushing every handler, waiting at most `deadline` for queued and
/// network handlers) when the process exits normally: a return from `main` or
/// `std::process::exit`. Holds only a weak reference.
pub fn flush_at_exit(dispatch: &Dispatch, deadline: Duration) {
    REGISTERED.lock().push((dispatch.downgrade(), deadline));
    install_exit_hook();
}

/// Registers the one exit hook (flush what is registered, then close the write gate).
fn install_exit_hook() {
    HOOK.call_once(|| {
        // The C runtime's `atexit` (POSIX; also the Windows CRT's).
        // SAFETY: `run_exit_hooks` is an `extern "C" fn()` that never unwinds.
        unsafe {
            libc::atexit(run_exit_hooks);
        }
    });
}

/// `from + by`, or as late as an `Instant` allows when the sum does not fit: a configured
/// timeout of 1e19 seconds means "as long as it takes", not a panic.
pub fn instant_after(from: Instant, by: Duration) -> Instant {
    const CENTURY: Duration = Duration::from_secs(100 * 365 * 86_400);
    from.checked_add(by)
        .or_else(|| from.checked_add(CENTURY.min(by)))
        .unwrap_or(from)
}

/// The deadline `timeout` from now (see [`instant_after`]).
pub fn deadline_after(timeout: Duration) -> Instant {
    instant_after(Instant::now(), timeout)
}

/// Runs the exit flush now (what the exit hook does); later calls do nothing more than flush.
pub fn flush_all_now() {
    let entries: Vec<(WeakDispatch, Duration)> = REGISTERED.lock().clone();
    for (weak, deadline) in entries {
        if let Some(d) = weak.upgrade() {
            d.shutdown(deadline_after(deadline));
        }
    }
}

extern "C" fn run_exit_hooks() {
    let _ = std::panic::catch_unwind(|| {
        flush_all_now();
        close_writes_for_exit(WRITES_AT_EXIT_WAIT);
    });
}

// === The write gate at exit ===
//
// When the process ends, the kernel stops the other threads, and a thread inside a `write(2)`
// that spans page boundaries is cut between pages: a torn last line. So after the exit flush,
// the gate closes: writes not yet begun are skipped (their records were logged after the
// exit began), and the hook waits for the writes in progress. Each thread marks its own slot
// (no shared cache line is written on the way); the hook reads them all.

/// How long the exit hook waits for writes in progress (a write normally takes microseconds;
/// one stuck on a dead network file system must not hold the exit for ever).
const WRITES_AT_EXIT_WAIT: Duration = Duration::from_secs(1);

static EXITING: AtomicBool = AtomicBool::new(false);
static WRITERS: ForkSafeMutex<Vec<Weak<WriterSlot>>> = ForkSafeMutex::const_new(Vec::new());

/// How deep this thread is in gated writes (0: in none).
#[derive(Debug)]
struct WriterSlot {
    depth: AtomicU32,
    /// The process the thread runs in: a child forked since inherits the slots of the
    /// parent's other threads, which do not run there (one caught inside a write would stay
    /// at 1 there for ever).
    pid: u32,
}

thread_local! {
    static WRITER: Arc<WriterSlot> = {
        // Sinks used without our dispatch (under tracing-subscriber's fmt layer) get the
        // gate at exit too.
        install_exit_hook();
        let slot = Arc::new(WriterSlot {
            depth: AtomicU32::new(0),
            pid: crate::process_id(),
        });
        let mut all = WRITERS.lock();
        all.retain(|w| w.strong_count() > 0);
        all.push(Arc::downgrade(&slot));
        slot
    };
}

/// Runs `write` unless the process is exiting and the exit flush is over: then the write is
/// skipped (`None`). While it runs, the exit hook waits for it rather than ending the
/// process in the middle of it. File sinks wrap each system call that appends.
#[inline(always)]
pub fn write_unless_exiting<R>(write: impl FnOnce() -> R) -> Option<R> {
    let mut write = Some(write);
    let gated = WRITER.try_with(|slot| {
        let depth = slot.depth.load(Ordering::Relaxed);
        // Store, then load, both sequentially consistent, against the hook's store of
        // `EXITING` then load of every slot: one of the two sees the other.
        slot.depth.store(depth + 1, Ordering::SeqCst);
        let result = if EXITING.load(Ordering::SeqCst) {
            None
        } else {
            write.take().map(|w| w())
        };
        slot.depth.store(depth, Ordering::Release);
        result
    });
    match (gated, write) {
        (Ok(result), _) => result,
        // This thread's slot is gone (a write from a thread-local destructor): unguarded.
        (Err(_), Some(w)) if !EXITING.load(Ordering::SeqCst) => Some(w()),
        (Err(_), _) => None,
    }
}

/// Closes the gate and waits, at most `wait`, until no other thread is inside a write;
/// reports the writes the process ends in the middle of.
fn close_writes_for_exit(wait: Duration) {
    EXITING.store(true, Ordering::SeqCst);
    let deadline = deadline_after(wait);
    let here = crate::process_id();
    let slots: Vec<Arc<WriterSlot>> = WRITERS
        .lock()
        .iter()
        .filter_map(Weak::upgrade)
        .filter(|slot| slot.pid == here)
        .collect();
    // The exiting thread's own slot is at 0: it is in `exit`, not in a write.
    let mut cut = 0;
    for slot in slots {
        while slot.depth.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            std::thread::yield_now();
        }
        if slot.depth.load(Ordering::SeqCst) > 0 {
            cut += 1;
        }
    }
    if cut > 0 {
        let message = format!(
            "{cut} write(s) still in progress after {wait:?}: the process ends in the middle of them"
        );
        crate::report::report(&crate::report::Report {
            source: "exit",
            kind: crate::report::ReportKind::Failure,
            message: &message,
        });
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::{deadline_after, instant_after};

    #[test]
    fn deadlines_too_far_to_hold_saturate_instead_of_panicking() {
        let now = Instant::now();
        assert_eq!(
            instant_after(now, Duration::from_secs(5)),
            now + Duration::from_secs(5)
        );
        for huge in [
            Duration::MAX,
            Duration::from_secs(u64::MAX / 2),
            Duration::from_secs(1 << 63),
        ] {
            let later = instant_after(now, huge);
            assert!(later >= now + Duration::from_secs(365 * 86_400), "{huge:?}");
            assert!(deadline_after(huge) > now);
        }
    }
}
