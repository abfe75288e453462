//! Flushing at process exit: records logged before `process::exit` or a return from `main`
//! reach their destination even when no guard is dropped.

use std::sync::Once;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::dispatch::{Dispatch, WeakDispatch};

static REGISTERED: Mutex<Vec<(WeakDispatch, Duration)>> = Mutex::new(Vec::new());
static HOOK: Once = Once::new();

/// Shuts `dispatch` down (flushing every handler, waiting at most `deadline` for queued and
/// network handlers) when the process exits normally: a return from `main` or
/// `std::process::exit`. Holds only a weak reference.
pub fn flush_at_exit(dispatch: &Dispatch, deadline: Duration) {
    REGISTERED.lock().push((dispatch.downgrade(), deadline));
    HOOK.call_once(|| {
        // The C runtime's `atexit` (POSIX; also the Windows CRT's).
        // SAFETY: `run_exit_hooks` is an `extern "C" fn()` that never unwinds.
        unsafe {
            libc::atexit(run_exit_hooks);
        }
    });
}

/// Runs the exit flush now (what the exit hook does); later calls do nothing more than flush.
pub fn flush_all_now() {
    let entries: Vec<(WeakDispatch, Duration)> = REGISTERED.lock().clone();
    for (weak, deadline) in entries {
        if let Some(d) = weak.upgrade() {
            d.shutdown(Instant::now() + deadline);
        }
    }
}

extern "C" fn run_exit_hooks() {
    let _ = std::panic::catch_unwind(flush_all_now);
}
