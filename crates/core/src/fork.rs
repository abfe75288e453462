//! For handler authors: locks that a process forked while another of its threads held them
//! can still take, and threads that know which process they run in.
//!
//! `fork` copies only the calling thread. A lock another thread held at that moment is held
//! in the child by a thread that does not run there, so the child's first attempt to take it
//! waits for ever. Python gives its handlers' locks a fresh state in the child for this
//! reason (`os.register_at_fork`, `_at_fork_reinit`); [`ForkSafeMutex`] and
//! [`ForkSafeRwLock`] do the same, lazily: the first lock taken in a new process starts the
//! lock afresh, keeping the value it guards.
//!
//! They are built on `std`'s locks, not `parking_lot`'s: a thread of the parent that was
//! *waiting* for a `parking_lot` lock at the fork stays queued in that library's shared wait
//! table in the child, and an unlock there can hand the lock to it (a fair unlock does so
//! directly), leaving it held by no one who runs. `std`'s locks keep all their state in the
//! lock itself (waiters wait in the kernel, which copies no waiting thread into the child),
//! so a fresh lock is the whole repair.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicU32, Ordering::Acquire, Ordering::Relaxed, Ordering::SeqCst};
use std::sync::{Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// No process has this id: the owner while a child starts a lock afresh.
const FREEING: u32 = u32::MAX;

/// No process has this id either: a lock made by `const_new` and never taken.
const NEVER_TAKEN: u32 = 0;

/// Makes the calling process the owner of a lock whose owner is `owner`; in a process other
/// than the owner (a child forked since), `start_afresh` runs first, while every other
/// thread of this process that wants the lock waits here.
#[inline(always)]
fn claim(owner: &AtomicU32, start_afresh: impl FnOnce()) {
    let here = crate::process_id();
    if owner.load(Acquire) != here {
        claim_slow(owner, here, start_afresh);
    }
}

/// The lock in `cell`, owned by this process: in a child forked since, the first call
/// replaces it with `fresh(old)` (a new lock holding the old one's value) while every other
/// thread of the child waits in [`claim`]. `fresh` must not panic (the old lock is moved out
/// of the cell while it runs).
#[inline(always)]
fn claimed<'a, L>(owner: &AtomicU32, cell: &'a UnsafeCell<L>, fresh: impl FnOnce(L) -> L) -> &'a L {
    claim(owner, || {
        // SAFETY: every other thread of this process waits in `claim` (none has a reference
        // into the cell: each got the lock only through here), and the value moves out of
        // the old lock into the new one, so nothing is dropped twice.
        unsafe {
            let old = std::ptr::read(cell.get());
            std::ptr::write(cell.get(), fresh(old));
        }
    });
    // SAFETY: the cell is written only inside `claim`, never while this reference lives.
    unsafe { &*cell.get() }
}

#[cold]
#[inline(never)]
fn claim_slow(owner: &AtomicU32, here: u32, start_afresh: impl FnOnce()) {
    let mut start_afresh = Some(start_afresh);
    loop {
        let seen = owner.load(SeqCst);
        if seen == here {
            return;
        }
        if seen != FREEING
            && owner
                .compare_exchange(seen, FREEING, SeqCst, SeqCst)
                .is_ok()
        {
            if seen != NEVER_TAKEN {
                if let Some(start_afresh) = start_afresh.take() {
                    start_afresh();
                }
            }
            owner.store(here, SeqCst);
            return;
        }
        std::thread::yield_now();
    }
}

/// A mutex whose holder may have been left behind by a `fork`.
///
/// Every lock goes through [`lock`](Self::lock). In the process that made it, that is a
/// plain `std` lock. In a child forked since, the first lock gives the mutex a fresh state
/// (its holder, if any, was a thread of the parent, which does not run in the child) and
/// hands it to the child's threads from then on. Use it for state that stays sound when the
/// thread changing it stops half-way, as a killed process would leave it: the guarded value
/// is whatever the parent's thread had made of it. A panic while the lock is held does not
/// poison it, as with `parking_lot`.
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
    /// Replaced (never otherwise written through the cell) only by the first lock in a
    /// forked child, while every other thread of that child waits in [`claim`].
    mutex: UnsafeCell<Mutex<T>>,
    /// The process whose threads take the mutex ([`FREEING`] while a child starts it afresh).
    owner: AtomicU32,
}

// SAFETY: as `Mutex<T>`; the cell is written only while no thread of the process uses it.
unsafe impl<T: Send> Send for ForkSafeMutex<T> {}
// SAFETY: as `Mutex<T>`; the cell is written only while no thread of the process uses it.
unsafe impl<T: Send> Sync for ForkSafeMutex<T> {}

impl<T> ForkSafeMutex<T> {
    /// A mutex owned by this process.
    pub fn new(value: T) -> Self {
        ForkSafeMutex {
            mutex: UnsafeCell::new(Mutex::new(value)),
            owner: AtomicU32::new(crate::process_id()),
        }
    }

    /// A mutex for a `static`: owned by the first process that takes it (until then it was
    /// never held, and a child has nothing to start afresh).
    pub const fn const_new(value: T) -> Self {
        ForkSafeMutex {
            mutex: UnsafeCell::new(Mutex::new(value)),
            owner: AtomicU32::new(NEVER_TAKEN),
        }
    }

    /// Takes the mutex (see the type's docs for what happens first in a forked child).
    pub fn lock(&self) -> MutexGuard<'_, T> {
        self.mutex().lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes the mutex if no other thread holds it.
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        match self.mutex().try_lock() {
            Ok(guard) => Some(guard),
            Err(std::sync::TryLockError::Poisoned(e)) => Some(e.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    }

    /// The mutex of this process, started afresh first in a forked child.
    #[inline(always)]
    fn mutex(&self) -> &Mutex<T> {
        claimed(&self.owner, &self.mutex, |old| {
            Mutex::new(old.into_inner().unwrap_or_else(PoisonError::into_inner))
        })
    }
}

impl<T: Default> Default for ForkSafeMutex<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}

/// A readers-writer lock whose holders may have been left behind by a `fork`: as
/// [`ForkSafeMutex`], for values read far more often than they change.
///
/// ```
/// use tracing_handlers_core::fork::ForkSafeRwLock;
///
/// let names = ForkSafeRwLock::new(vec!["root"]);
/// names.write().push("portal");
/// assert_eq!(names.read().len(), 2);
/// ```
#[derive(Debug)]
pub struct ForkSafeRwLock<T> {
    /// As [`ForkSafeMutex`]'s cell.
    lock: UnsafeCell<RwLock<T>>,
    owner: AtomicU32,
}

// SAFETY: as `RwLock<T>`; the cell is written only while no thread of the process uses it.
unsafe impl<T: Send> Send for ForkSafeRwLock<T> {}
// SAFETY: as `RwLock<T>`; the cell is written only while no thread of the process uses it.
unsafe impl<T: Send + Sync> Sync for ForkSafeRwLock<T> {}

impl<T> ForkSafeRwLock<T> {
    /// A lock owned by this process.
    pub fn new(value: T) -> Self {
        ForkSafeRwLock {
            lock: UnsafeCell::new(RwLock::new(value)),
            owner: AtomicU32::new(crate::process_id()),
        }
    }

    /// A lock for a `static` (see [`ForkSafeMutex::const_new`]).
    pub const fn const_new(value: T) -> Self {
        ForkSafeRwLock {
            lock: UnsafeCell::new(RwLock::new(value)),
            owner: AtomicU32::new(NEVER_TAKEN),
        }
    }

    /// Shared access (see [`ForkSafeMutex`] for what happens first in a forked child).
    #[inline(always)]
    pub fn read(&self) -> RwLockReadGuard<'_, T> {
        self.lock().read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Exclusive access.
    pub fn write(&self) -> RwLockWriteGuard<'_, T> {
        self.lock().write().unwrap_or_else(PoisonError::into_inner)
    }

    #[inline(always)]
    fn lock(&self) -> &RwLock<T> {
        claimed(&self.owner, &self.lock, |old| {
            RwLock::new(old.into_inner().unwrap_or_else(PoisonError::into_inner))
        })
    }
}

impl<T: Default> Default for ForkSafeRwLock<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}

/// A standard stream, for [`write_std`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StdStream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// Writes `bytes` whole to a standard stream, and flushes it.
///
/// In the process logging started in, this goes through `std`'s lock on the stream, so the
/// bytes never land inside a line the program writes with `eprintln!` or `println!` (which
/// hold the lock across several writes). In a child forked since, it writes with `write(2)`
/// directly: a thread of the parent that held that lock at the fork holds it in the child for
/// ever, and `std` cannot know (on other platforms `std`'s lock is always used).
///
/// ```
/// use tracing_handlers_core::fork::{write_std, StdStream};
///
/// write_std(StdStream::Stderr, b"a line for stderr\n")?;
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Errors
///
/// The stream's write error.
pub fn write_std(stream: StdStream, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    if in_forked_child() {
        let fd = match stream {
            StdStream::Stdout => libc::STDOUT_FILENO,
            StdStream::Stderr => libc::STDERR_FILENO,
        };
        // SAFETY: a standard descriptor; pointer and length from a live slice (a closed
        // descriptor is an error, not undefined).
        return crate::write::write_whole(bytes, |b| unsafe {
            libc::write(fd, b.as_ptr().cast(), b.len())
        })
        .map_err(|(e, _)| e);
    }
    match stream {
        StdStream::Stdout => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes)?;
            out.flush()
        }
        StdStream::Stderr => {
            let mut out = std::io::stderr().lock();
            out.write_all(bytes)?;
            out.flush()
        }
    }
}

/// Whether this process was forked from the one that first asked for its
/// [`process_id`](crate::process_id) (that first call starts the count).
pub fn in_forked_child() -> bool {
    let _ = crate::process_id();
    GENERATION.load(Relaxed) > 0
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
