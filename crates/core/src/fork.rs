//! For handler authors: a lock that a process forked while another of its threads held it
//! can still take.
//!
//! `fork` copies only the calling thread. A lock another thread held at that moment is held
//! in the child by a thread that does not run there, so the child's first attempt to take it
//! waits for ever. Python frees its handlers' locks in the child for this reason
//! (`os.register_at_fork`); [`ForkSafeMutex`] does the same, lazily: the first lock taken in
//! a new process frees it, as if its holder had been killed.

use std::sync::atomic::{AtomicU32, Ordering::Relaxed, Ordering::SeqCst};

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

/// How many `fork`s separate this process from the first one that asked for its id
/// ([`process_id`](crate::process_id) counts them from then on).
pub(crate) static GENERATION: AtomicU32 = AtomicU32::new(0);

/// The stack of a thread started in a child forked since the first process: larger with each
/// generation than any before it. The C library keeps the stacks of the parent's threads,
/// which do not run in the child, for reuse; a new thread on one of them would put its
/// `parking_lot` wait record where a dead thread's still sits in the library's shared wait
/// queue, making a loop there that hangs every thread that waits after it. A stack larger
/// than every kept one is never one of them. (glibc also reuses a kept stack up to four
/// times the size asked for: with `RUST_MIN_STACK` above 9 MiB in the parent, the first
/// generation's stacks could land on the parent's again.)
fn stack_size_after_forks() -> Option<usize> {
    const BASE: usize = 2 * 1024 * 1024;
    const STEP: usize = 256 * 1024;
    match GENERATION.load(Relaxed) {
        0 => None,
        n => Some(BASE + STEP * n.min(1024) as usize),
    }
}

/// A thread's handle and the process the thread runs in. A child forked since has the
/// handle but not the thread: there, joining it would panic (std finds the thread gone
/// without a result), so [`join`](Self::join) and dropping let the handle go instead.
///
/// ```
/// use tracing_handlers_core::fork::ProcessThread;
///
/// let thread = ProcessThread::spawn("demo-worker", || {})?;
/// assert!(thread.runs_here());
/// thread.join();
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct ProcessThread {
    handle: Option<std::thread::JoinHandle<()>>,
    pid: u32,
}

impl ProcessThread {
    /// Starts `f` on a thread named `name`.
    ///
    /// # Errors
    ///
    /// The thread could not be started.
    pub fn spawn(
        name: impl Into<String>,
        f: impl FnOnce() + Send + 'static,
    ) -> std::io::Result<ProcessThread> {
        let mut builder = std::thread::Builder::new().name(name.into());
        if let Some(size) = stack_size_after_forks() {
            builder = builder.stack_size(size);
        }
        let handle = builder.spawn(f)?;
        Ok(ProcessThread {
            handle: Some(handle),
            pid: crate::process_id(),
        })
    }

    /// Whether the thread runs in this process (false in a child forked since it started).
    pub fn runs_here(&self) -> bool {
        self.pid == crate::process_id()
    }

    /// The thread, to unpark it (meaningful where it [runs](Self::runs_here)).
    pub fn thread(&self) -> Option<&std::thread::Thread> {
        self.handle.as_ref().map(std::thread::JoinHandle::thread)
    }

    /// Waits for the thread to end, where it runs; in a child forked since, returns at once.
    pub fn join(mut self) {
        if let Some(handle) = self.handle.take() {
            if self.runs_here() {
                let _ = handle.join();
            } else {
                std::mem::forget(handle);
            }
        }
    }
}

impl Drop for ProcessThread {
    /// Detaches the thread where it runs; in a child forked since, lets the handle go.
    fn drop(&mut self) {
        if let Some(handle) = self.handle.take() {
            if !self.runs_here() {
                std::mem::forget(handle);
            }
        }
    }
}
