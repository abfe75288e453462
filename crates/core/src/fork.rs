//! For handler authors: a lock that a process forked while another of its threads held it
//! can still take.
//!
//! `fork` copies only the calling thread. A lock another thread held at that moment is held
//! in the child by a thread that does not run there, so the child's first attempt to take it
//! waits for ever. Python frees its handlers' locks in the child for this reason
//! (`os.register_at_fork`); [`ForkSafeMutex`] does the same, lazily: the first lock taken in
//! a new process frees it, as if its holder had been killed.

use std::sync::atomic::{AtomicU32, Ordering::SeqCst};

use parking_lot::{Mutex, MutexGuard};

/// No process has this id: the owner while a child frees the lock.
const FREEING: u32 = u32::MAX;

/// A mutex whose holder may have been left behind by a `fork`.
///
/// Every lock goes through [`lock`](Self::lock). In the process that made it, that is a
/// plain `parking_lot` lock. In a child forked since, the first lock frees the mutex if it is
/// held (its holder was a thread of the parent, which does not run in the child) and hands it
/// to the child's threads from then on. Use it for state that stays sound when the thread
/// changing it stops half-way, as a killed process would leave it: the guarded value is
/// whatever the parent's thread had made of it.
///
/// ```
/// use tracing_handlers_core::fork::ForkSafeMutex;
///
/// let pending = ForkSafeMutex::new(0usize);
/// *pending.lock() += 1;
/// assert_eq!(*pending.lock(), 1);
/// ```
#[derive(Debug)]
pub struct ForkSafeMutex<T> {
    mutex: Mutex<T>,
    /// The process whose threads take the mutex ([`FREEING`] while a child frees it).
    owner: AtomicU32,
}

impl<T> ForkSafeMutex<T> {
    /// A mutex owned by this process.
    pub fn new(value: T) -> Self {
        ForkSafeMutex {
            mutex: Mutex::new(value),
            owner: AtomicU32::new(crate::process_id()),
        }
    }

    /// A mutex for a `static`: owned by the first process that takes it (until then it was
    /// never held, and a child has nothing to free).
    pub const fn const_new(value: T) -> Self {
        ForkSafeMutex {
            mutex: Mutex::new(value),
            owner: AtomicU32::new(0),
        }
    }

    /// Takes the mutex (see the type's docs for what happens first in a forked child).
    pub fn lock(&self) -> MutexGuard<'_, T> {
        let here = crate::process_id();
        loop {
            let owner = self.owner.load(SeqCst);
            if owner == here {
                return self.mutex.lock();
            }
            if owner != FREEING
                && self
                    .owner
                    .compare_exchange(owner, FREEING, SeqCst, SeqCst)
                    .is_ok()
            {
                if self.mutex.is_locked() {
                    // SAFETY: no thread of this process has taken the mutex (each goes
                    // through here and waits while this runs): it is held by a thread of
                    // the process this one was forked from, which does not run here.
                    unsafe { self.mutex.force_unlock() };
                }
                self.owner.store(here, SeqCst);
            } else {
                std::thread::yield_now();
            }
        }
    }
}

impl<T: Default> Default for ForkSafeMutex<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}
