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
    let _ = std::panic::catch_unwind(flush_all_now);
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
