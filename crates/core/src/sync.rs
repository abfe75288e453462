//! A condition variable for `parking_lot`'s mutex whose waiting threads sleep in `std`'s
//! thread parking, for the queues our own threads wait on (the non-blocking writer, the
//! stream sender).
//!
//! Why not `parking_lot`'s condition variable: a thread waiting on it is queued in a table
//! the whole process shares, through a record kept in that thread's thread-local storage, at
//! the top of its stack. After a `fork` the thread does not run in the child but its record
//! stays queued, and the C library hands its stack to the next thread the child starts: that
//! thread's own record, written over the old one, then sits in the queue already, and the
//! first time it waits the queue becomes a loop that hangs every thread of the child that
//! waits after it (the application's too). Our writer threads wait most of the time, so a
//! fork almost always finds them queued. `std`'s parking waits in the kernel, which copies no
//! waiting thread into the child. The mutex stays `parking_lot`'s: it is held for moments,
//! and under contention `std`'s is slower (a quarter fewer records per second with four
//! producers).

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::PoisonError;
use std::thread::Thread;
use std::time::{Duration, Instant};

use parking_lot::MutexGuard;

/// Whether a timed wait ended because its time was up.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WaitTimeoutResult(bool);

impl WaitTimeoutResult {
    pub(crate) fn timed_out(self) -> bool {
        self.0
    }
}

/// A condition variable for a `parking_lot` mutex, whose waiters park with `std`.
///
/// A waiter puts itself on the list with the mutex held, then unlocks and parks; a notifier
/// that changed the state under the mutex takes waiters off the list and unparks them. A
/// wake-up that comes between the unlock and the park is kept by the thread's park token.
#[derive(Debug, Default)]
pub(crate) struct Condvar {
    sleepers: std::sync::Mutex<Vec<Thread>>,
    /// How many are on the list (written with the list locked): notifying with nobody
    /// waiting costs one load. A waiter lists itself with the caller's mutex held, and a
    /// notifier changed the state under that mutex first, so it sees every waiter that went
    /// to wait before its change.
    waiting: AtomicUsize,
}

impl Condvar {
    pub(crate) const fn new() -> Self {
        Condvar {
            sleepers: std::sync::Mutex::new(Vec::new()),
            waiting: AtomicUsize::new(0),
        }
    }

    /// Waits for a notification (or a spurious wake-up).
    pub(crate) fn wait<T>(&self, guard: &mut MutexGuard<'_, T>) {
        self.park(guard, None);
    }

    /// Waits for a notification for at most `timeout`.
    pub(crate) fn wait_for<T>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        timeout: Duration,
    ) -> WaitTimeoutResult {
        self.wait_until(guard, Instant::now() + timeout)
    }

    /// Waits for a notification until `deadline`.
    pub(crate) fn wait_until<T>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        deadline: Instant,
    ) -> WaitTimeoutResult {
        if Instant::now() >= deadline {
            return WaitTimeoutResult(true);
        }
        self.park(guard, Some(deadline));
        WaitTimeoutResult(Instant::now() >= deadline)
    }

    fn park<T>(&self, guard: &mut MutexGuard<'_, T>, deadline: Option<Instant>) {
        let me = std::thread::current();
        let id = me.id();
        {
            let mut list = self.list();
            list.push(me);
            self.waiting.store(list.len(), Relaxed);
        }
        MutexGuard::unlocked(guard, || match deadline {
            None => std::thread::park(),
            Some(deadline) => {
                std::thread::park_timeout(deadline.saturating_duration_since(Instant::now()));
            }
        });
        // Still listed after a time-out or a spurious wake-up: leave the list.
        let mut list = self.list();
        if let Some(at) = list.iter().position(|t| t.id() == id) {
            list.swap_remove(at);
            self.waiting.store(list.len(), Relaxed);
        }
    }

    /// Wakes one waiting thread, if any; returns whether one was waiting.
    pub(crate) fn notify_one(&self) -> bool {
        if self.waiting.load(Relaxed) == 0 {
            return false;
        }
        let woken = {
            let mut list = self.list();
            let woken = list.pop();
            self.waiting.store(list.len(), Relaxed);
            woken
        };
        woken.map(|t| t.unpark()).is_some()
    }

    /// Wakes every waiting thread, if any; returns whether some were waiting.
    pub(crate) fn notify_all(&self) -> bool {
        if self.waiting.load(Relaxed) == 0 {
            return false;
        }
        let woken = {
            let mut list = self.list();
            self.waiting.store(0, Relaxed);
            std::mem::take(&mut *list)
        };
        let any = !woken.is_empty();
        for t in woken {
            t.unpark();
        }
        any
    }

    fn list(&self) -> std::sync::MutexGuard<'_, Vec<Thread>> {
        self.sleepers.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parking_lot::Mutex;
    use std::sync::Arc;

    #[test]
    fn a_notification_after_the_state_changed_wakes_the_waiter() {
        let shared = Arc::new((Mutex::new(0u32), Condvar::new()));
        let waiter = {
            let shared = shared.clone();
            std::thread::spawn(move || {
                let (value, cv) = &*shared;
                let mut v = value.lock();
                while *v < 1000 {
                    cv.wait(&mut v);
                }
            })
        };
        for _ in 0..1000 {
            let (value, cv) = &*shared;
            *value.lock() += 1;
            cv.notify_one();
        }
        waiter.join().unwrap();
        assert!(!shared.1.notify_all(), "nobody waits any more");
    }

    #[test]
    fn timed_waits_time_out() {
        let mutex = Mutex::new(1);
        let cv = Condvar::new();
        let mut guard = mutex.lock();
        assert!(cv
            .wait_for(&mut guard, Duration::from_millis(5))
            .timed_out());
        assert!(cv.wait_until(&mut guard, Instant::now()).timed_out());
        *guard += 1;
        drop(guard);
        assert_eq!(*mutex.lock(), 2);
    }
}
