//! The engine under both rotating sinks: opening, the reservation protocol, rotation under
//! the lock, and the background worker (compression, retention).
//!
//! *When* to rotate is data here (a size limit and a shared `rollover_at`); *how* is a
//! [`Policy`] (rename to `.1`..`.N`, or to a dated name). This module is public for the
//! timed crate of this workspace; it is not a stable API.

use std::ffi::OsString;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::mpsc;
use std::sync::Arc;
use std::sync::{Condvar, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use arc_swap::ArcSwapOption;
use tracing_handlers_core::fork::{ForkSafeMutex, ProcessThread};
use tracing_handlers_core::report::ErrorThrottle;
use tracing_handlers_file::AppendFile;

pub use crate::error::non_negative_value;
use crate::shared::{self, generation, next_generation, pack, FlockGuard, Shared, MAGIC, MAX_SIZE};

/// Where the current time comes from: the system clock, or a clock a test controls.
///
/// ```
/// use std::time::{Duration, SystemTime, UNIX_EPOCH};
/// use tracing_handlers_rotating_file::{Clock, ManualClock};
///
/// let clock = ManualClock::new(UNIX_EPOCH + Duration::from_secs(1_700_000_000));
/// clock.advance(Duration::from_secs(30));
/// assert_eq!(clock.now(), UNIX_EPOCH + Duration::from_secs(1_700_000_030));
/// ```
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// The current time.
    fn now(&self) -> SystemTime;
}

/// The system clock ([`SystemTime::now`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that moves only when told: for tests.
#[derive(Debug)]
pub struct ManualClock {
    nanos: std::sync::atomic::AtomicI64,
}

impl ManualClock {
    /// A clock showing `at`.
    pub fn new(at: SystemTime) -> ManualClock {
        let clock = ManualClock {
            nanos: std::sync::atomic::AtomicI64::new(0),
        };
        clock.set(at);
        clock
    }

    /// Shows `at` from now on.
    pub fn set(&self, at: SystemTime) {
        let nanos = match at.duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_nanos()).unwrap_or(i64::MAX),
            Err(e) => -i64::try_from(e.duration().as_nanos()).unwrap_or(i64::MAX),
        };
        self.nanos.store(nanos, SeqCst);
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let by = i64::try_from(by.as_nanos()).unwrap_or(i64::MAX);
        self.nanos.fetch_add(by, SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        let nanos = self.nanos.load(SeqCst);
        if nanos >= 0 {
            UNIX_EPOCH + Duration::from_nanos(nanos.unsigned_abs())
        } else {
            UNIX_EPOCH - Duration::from_nanos(nanos.unsigned_abs())
        }
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> SystemTime {
        (**self).now()
    }
}

/// Whole Unix seconds (Python's `int(time.time())`), floored.
pub fn unix_seconds(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => {
            let d = e.duration();
            let s = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
            if d.subsec_nanos() > 0 {
                -s - 1
            } else {
                -s
            }
        }
    }
}

/// What a rollover is about, for the [`Policy`] that names the rotated file.
#[derive(Debug, Clone, Copy)]
pub struct RollInfo {
    /// The scheduled time boundary in force when the rollover happens (`i64::MAX`: none).
    pub rollover_at: i64,
    /// Whether the time boundary was reached (otherwise the size limit was).
    pub time_due: bool,
    /// The current time, in Unix seconds.
    pub now: i64,
}

/// *How* a rotating sink rotates, and its time schedule.
pub trait Policy: Send + Sync + fmt::Debug + 'static {
    /// Identifies the schedule; processes sharing a lock file with another fingerprint
    /// recompute `rollover_at`. 0 when there is no schedule.
    fn fingerprint(&self) -> u64 {
        0
    }

    /// The first boundary, from the existing file's modification time (or `now` when the
    /// file does not exist): Python's constructor. `i64::MAX` when there is no schedule.
    fn first_rollover(&self, mtime: Option<i64>, now: i64) -> i64 {
        let _ = (mtime, now);
        i64::MAX
    }

    /// The boundary after a rollover at `now` (which consumed `due`).
    fn next_rollover(&self, due: i64, now: i64) -> i64 {
        let _ = (due, now);
        i64::MAX
    }

    /// Moves `base` (which exists, is a regular file and is not empty) out of the way, under
    /// the lock, and applies retention by count. Returns the rotated file's new name.
    ///
    /// # Errors
    ///
    /// A failed rename (the sink reports it and keeps writing to the current file).
    fn roll(&self, base: &Path, info: &RollInfo) -> io::Result<PathBuf>;

    /// Our rotated files (and nothing else), oldest first.
    fn rotated(&self, base: &Path) -> Vec<PathBuf>;
}

/// Compression of rotated files.
///
/// ```
/// use tracing_handlers_rotating_file::Compression;
/// assert_eq!(Compression::default(), Compression::None);
/// assert_eq!(Compression::Gzip.extension(), Some(".gz"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Compression {
    /// Rotated files stay as they are (Python's behaviour, the default).
    #[default]
    None,
    /// Rotated files are compressed to `NAME.gz` by a background thread (feature `gzip`).
    Gzip,
}

impl Compression {
    /// The extension compressed files get.
    pub fn extension(self) -> Option<&'static str> {
        match self {
            Compression::None => None,
            Compression::Gzip => Some(".gz"),
        }
    }
}

/// The options of an [`Engine`].
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// The log file (made absolute by [`Engine::new`]).
    pub path: PathBuf,
    /// Roll over before a record that would bring the file to this size (0: never).
    pub max_bytes: u64,
    /// Truncate the file when it is first opened (Python's mode `'w'`).
    pub truncate: bool,
    /// Open on the first record instead of in [`Engine::new`].
    pub delay: bool,
    /// Permission bits of new files (log, lock, compressed).
    pub file_mode: u32,
    /// Compression of rotated files.
    pub compression: Compression,
    /// Delete rotated files older than this.
    pub max_age: Option<Duration>,
    /// Delete the oldest rotated files while all of them together are larger than this.
    pub max_total_bytes: Option<u64>,
    /// Share the state through a lock file (safe across processes).
    pub multiprocess: bool,
}

/// The file open now, with the generation it belongs to and the header that counts it.
#[derive(Debug)]
struct Open {
    file: AppendFile,
    generation: u32,
    /// The header (lock file) `generation` belongs to.
    shared: Arc<Shared>,
    /// False when the path is not a regular file (`/dev/null`, a FIFO): never rotated.
    rotates: bool,
}

/// A rotated file for the worker to compress: its identity, and the bytes reserved in it
/// (it is complete once it holds them).
#[derive(Debug, Clone, Copy)]
struct Rotated {
    dev: u64,
    ino: u64,
    len: u64,
}

#[derive(Debug)]
enum Job {
    Compress(Rotated),
    Retain,
}

/// The part of the engine the worker thread shares.
#[derive(Debug)]
struct Core<P> {
    options: EngineOptions,
    lock_path: PathBuf,
    policy: P,
    clock: Arc<dyn Clock>,
    initial_rollover: i64,
    /// The header of the lock file in use (replaced when the lock file is).
    shared: ArcSwapOption<Shared>,
    current: ArcSwapOption<Open>,
    /// Serialises the cold paths of this process (`flock` does not exclude threads). In a
    /// child forked while a thread of the parent held it (inside a rotation, say), the
    /// child's first cold path frees it: the rotation is the parent's, and the lock file's
    /// state recovers from a process killed inside one.
    cold: ForkSafeMutex<bool>,
    timed: bool,
    throttle: ErrorThrottle,
}

/// The rotating file engine.
#[derive(Debug)]
pub struct Engine<P: Policy> {
    core: Arc<Core<P>>,
    // Fork-safe: a child forked while the worker (or a thread submitting to it) held one of
    // these takes them all the same.
    worker: ForkSafeMutex<Option<Worker>>,
    pending: Arc<(ForkSafeMutex<usize>, Condvar)>,
    describe: String,
}

#[derive(Debug)]
struct Worker {
    tx: mpsc::Sender<Job>,
    /// A forked child inherits this, not the thread.
    thread: ProcessThread,
}

/// How long a temporary compressed copy of a process that is gone stays before it is
/// deleted.
#[cfg(unix)]
const STALE_TEMPORARY: Duration = Duration::from_secs(600);

/// How long a rotated file stays uncompressed before another compression takes it up: its
/// own compression failed (a full disk, say) or its process was killed before compressing
/// it. Long enough that no compression of it can still be under way, even of a large file
/// by a busy process.
const LEFT_UNCOMPRESSED: Duration = Duration::from_secs(600);

/// The name of the background thread.
pub const WORKER_THREAD_NAME: &str = "tracing-handlers-rotate";

/// Why opening failed at construction.
#[derive(Debug)]
pub enum OpenError {
    /// The folder could not be created.
    CreateDir(PathBuf, io::Error),
    /// The lock file could not be opened or mapped.
    Lock(PathBuf, io::Error),
    /// The log file could not be opened.
    Open(io::Error),
}

impl OpenError {
    fn into_io(self) -> io::Error {
        match self {
            OpenError::CreateDir(p, e) => io::Error::new(
                e.kind(),
                format!("cannot create folder {}: {e}", p.display()),
            ),
            OpenError::Lock(p, e) => io::Error::new(
                e.kind(),
                format!("cannot open lock file {}: {e}", p.display()),
            ),
            OpenError::Open(e) => io::Error::new(e.kind(), format!("cannot open: {e}")),
        }
    }
}

impl<P: Policy> Engine<P> {
    /// An engine for `options.path` (absolute), rotating as `policy` says, reading time from
    /// `clock`. Unless `delay`, opens the file now.
    ///
    /// # Errors
    ///
    /// Opening failed (only without `delay`).
    pub fn new(
        options: EngineOptions,
        policy: P,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, OpenError> {
        let now = unix_seconds(clock.now());
        let mtime = fs::metadata(&options.path)
            .ok()
            .and_then(|m| m.modified().ok())
            .map(unix_seconds);
        let initial_rollover = policy.first_rollover(mtime, now);
        let timed = initial_rollover != i64::MAX;
        let describe = format!("file {}", options.path.display());
        let core = Arc::new(Core {
            lock_path: shared::lock_path_for(&options.path),
            throttle: ErrorThrottle::new(describe.clone()),
            options,
            policy,
            clock,
            initial_rollover,
            shared: ArcSwapOption::empty(),
            current: ArcSwapOption::empty(),
            cold: ForkSafeMutex::new(true),
            timed,
        });
        if !core.options.delay {
            let mut first = core.cold.lock();
            core.open_locked(&mut first)?;
        }
        Ok(Engine {
            core,
            worker: ForkSafeMutex::new(None),
            pending: Arc::new((ForkSafeMutex::new(0), Condvar::new())),
            describe,
        })
    }

    /// The absolute path of the active file.
    pub fn path(&self) -> &Path {
        &self.core.options.path
    }

    /// The lock file (in multi-process mode, once opened).
    pub fn lock_path(&self) -> Option<&Path> {
        self.core.shared.load().as_ref().and_then(|s| {
            s.lock_path()
                .is_some()
                .then_some(self.core.lock_path.as_path())
        })
    }

    /// `file PATH`, for reports.
    pub fn describe(&self) -> &str {
        &self.describe
    }

    /// The scheduled time boundary in Unix seconds (`None` without a schedule or before the
    /// file was first opened).
    pub fn rollover_at(&self) -> Option<i64> {
        let at = match self.core.shared.load().as_ref() {
            Some(s) => s.header().rollover_at.load(SeqCst),
            None => self.core.initial_rollover,
        };
        (at != i64::MAX).then_some(at)
    }

    /// The options.
    pub fn options(&self) -> &EngineOptions {
        &self.core.options
    }

    /// The policy.
    pub fn policy(&self) -> &P {
        &self.core.policy
    }

    /// Writes one record (rolling over first when due).
    ///
    /// # Errors
    ///
    /// The I/O error.
    pub fn write_record(&self, record: &[u8]) -> io::Result<()> {
        if record.is_empty() {
            return Ok(());
        }
        self.write_batch(record, &[record.len()])
    }

    /// Writes several records, deciding the rollover before each one: consecutive records
    /// that fit go out with one `write`.
    ///
    /// # Errors
    ///
    /// The first I/O error; the records before it were written.
    pub fn write_batch(&self, batch: &[u8], ends: &[usize]) -> io::Result<()> {
        let core = &*self.core;
        let max = core.options.max_bytes;
        let mut start = 0usize;
        let mut i = 0usize;
        while i < ends.len() {
            if ends[i] <= start {
                i += 1;
                continue;
            }
            let guard = core.current.load();
            let Some(open) = guard.as_ref() else {
                drop(guard);
                self.cold(Cold::Open)?;
                continue;
            };
            if !open.rotates {
                return open.file.append(&batch[start..ends[ends.len() - 1]]);
            }
            let h = open.shared.header();
            let word = h.word.load(SeqCst);
            if generation(word) != open.generation {
                let stale = open.generation;
                drop(guard);
                self.cold(Cold::Reopen(stale))?;
                continue;
            }
            let time_due = core.timed && {
                let at = h.rollover_at.load(Relaxed);
                at != i64::MAX && unix_seconds(core.clock.now()) >= at
            };
            let size = shared::size(word);
            let mut j = i;
            if !time_due {
                if max == 0 {
                    j = ends.len();
                } else {
                    // Python: roll over iff size + len >= maxBytes; an empty file takes
                    // its first record whatever its size.
                    while j < ends.len() {
                        let before = if j == i {
                            size
                        } else {
                            size + (ends[j - 1] - start) as u64
                        };
                        let after = size + (ends[j] - start) as u64;
                        if before == 0 || after < max {
                            j += 1;
                        } else {
                            break;
                        }
                    }
                }
            }
            if j == i {
                let generation = open.generation;
                let len = (ends[i] - start) as u64;
                drop(guard);
                self.cold(Cold::Rotate { generation, len })?;
                continue;
            }
            let end = ends[j - 1];
            let new = pack(open.generation, (size + (end - start) as u64).min(MAX_SIZE));
            if h.word.compare_exchange(word, new, SeqCst, Relaxed).is_err() {
                continue;
            }
            if let Err((e, unwritten)) = open.file.append_counting(&batch[start..end]) {
                // Give back the room that was not written (a full disk): counted, it would
                // rotate the file early and keep a compression waiting for bytes that never
                // come. Once the file was rotated its count is final.
                let _ = h.word.fetch_update(SeqCst, SeqCst, |w| {
                    (generation(w) == open.generation).then(|| {
                        pack(
                            open.generation,
                            shared::size(w).saturating_sub(unwritten as u64),
                        )
                    })
                });
                return Err(e);
            }
            start = end;
            i = j;
        }
        Ok(())
    }

    fn cold(&self, what: Cold) -> io::Result<()> {
        let jobs = self.core.cold_path(what)?;
        for job in jobs {
            self.submit(job);
        }
        Ok(())
    }

    /// The worker of this process, if it has one: one inherited from the parent across a
    /// `fork` runs no thread here (it would take jobs and never do them), so it is let go,
    /// with the parent's pending jobs.
    fn own_worker(&self) -> MutexGuard<'_, Option<Worker>> {
        let mut worker = self.worker.lock();
        if worker.as_ref().is_some_and(|w| !w.thread.runs_here()) {
            *worker = None;
            *self.pending.0.lock() = 0;
        }
        worker
    }

    fn submit(&self, job: Job) {
        let mut worker = self.own_worker();
        if worker.is_none() {
            let (tx, rx) = mpsc::channel::<Job>();
            let core = self.core.clone();
            let pending = self.pending.clone();
            let spawned = ProcessThread::spawn(WORKER_THREAD_NAME, move || {
                while let Ok(job) = rx.recv() {
                    core.run_job(job);
                    let (count, cv) = &*pending;
                    let mut n = count.lock();
                    *n = n.saturating_sub(1);
                    cv.notify_all();
                }
            });
            match spawned {
                Ok(thread) => *worker = Some(Worker { tx, thread }),
                Err(e) => {
                    // No thread: do the work here rather than not at all.
                    self.core
                        .throttle
                        .failed(&format_args!("cannot start the rotation thread: {e}"));
                    drop(worker);
                    self.core.run_job(job);
                    return;
                }
            }
        }
        let Some(w) = worker.as_ref() else { return };
        *self.pending.0.lock() += 1;
        if let Err(mpsc::SendError(job)) = w.tx.send(job) {
            *self.pending.0.lock() -= 1;
            drop(worker);
            self.core.run_job(job);
        }
    }

    /// Waits until the background thread has compressed and pruned everything handed to it so
    /// far, or `deadline` passes. Returns whether it is idle.
    pub fn wait_background(&self, deadline: Option<Instant>) -> bool {
        drop(self.own_worker());
        let (count, cv) = &*self.pending;
        let mut n = count.lock();
        while *n > 0 {
            n = match deadline {
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return false;
                    }
                    cv.wait_timeout(n, left)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
                None => cv.wait(n).unwrap_or_else(PoisonError::into_inner),
            };
        }
        true
    }

    /// Waits for the background thread until `deadline`, then stops it.
    pub fn shutdown(&self, deadline: Instant) {
        if self.wait_background(Some(deadline)) {
            if let Some(w) = self.own_worker().take() {
                drop(w.tx);
                w.thread.join();
            }
        }
    }

    /// Closes the active file; the next record opens it again.
    pub fn close(&self) {
        let _cold = self.core.cold.lock();
        self.core.current.store(None);
    }

    /// Whether a file is open.
    pub fn is_open(&self) -> bool {
        self.core.current.load().is_some()
    }
}

impl<P: Policy> Drop for Engine<P> {
    fn drop(&mut self) {
        // Let pending compression finish (a rotated file is never deleted before its
        // compressed copy is complete, so stopping early loses nothing; waiting avoids
        // leaving temporary files behind).
        self.shutdown(Instant::now() + Duration::from_secs(10));
    }
}

enum Cold {
    Open,
    Reopen(u32),
    Rotate { generation: u32, len: u64 },
}

impl<P: Policy> Core<P> {
    fn cold_path(&self, what: Cold) -> io::Result<Vec<Job>> {
        let mut first = self.cold.lock();
        match what {
            Cold::Open => {
                if self.current.load().is_none() {
                    self.open_locked(&mut first).map_err(OpenError::into_io)?;
                }
                Ok(Vec::new())
            }
            Cold::Reopen(stale) => {
                if self
                    .current
                    .load()
                    .as_ref()
                    .is_some_and(|o| o.generation == stale)
                {
                    self.open_locked(&mut first).map_err(OpenError::into_io)?;
                }
                Ok(Vec::new())
            }
            Cold::Rotate { generation, len } => self.rotate_locked(&mut first, generation, len),
        }
    }

    /// The header in use, opening the lock file the first time. Called with the in-process
    /// mutex held.
    fn shared(&self) -> Result<Arc<Shared>, OpenError> {
        if let Some(s) = self.shared.load_full() {
            return Ok(s);
        }
        let s = Arc::new(if self.options.multiprocess {
            self.open_lock_file()?
        } else {
            Shared::private()
        });
        self.shared.store(Some(s.clone()));
        Ok(s)
    }

    fn open_lock_file(&self) -> Result<Shared, OpenError> {
        self.create_dir()?;
        Shared::open(&self.lock_path, self.options.file_mode)
            .map_err(|e| OpenError::Lock(self.lock_path.clone(), e))
    }

    /// Takes the inter-process lock of the header in use (called with the in-process mutex
    /// held). When the lock file was deleted or replaced (its path names another file, or
    /// none), the processes that open the path from now on share another header: leave ours
    /// for the one at the path (creating it), so all of them rotate as one again.
    fn lock(&self) -> Result<(Arc<Shared>, Option<FlockGuard>), OpenError> {
        let lock_error = |e| OpenError::Lock(self.lock_path.clone(), e);
        let mut shared = self.shared()?;
        if !shared.opened_here() {
            // Forked since the lock file was opened: before any `flock`, which on the
            // parent's descriptor would neither wait for the parent (or a sibling) nor, once
            // released, leave the lock they hold.
            shared = Arc::new(self.open_lock_file()?);
            self.shared.store(Some(shared.clone()));
        }
        let mut moves = 0;
        loop {
            let guard = shared.lock().map_err(lock_error)?;
            // A lock file replaced again and again from outside is kept after three moves.
            if moves == 3 || shared.is_current() {
                return Ok((shared, guard));
            }
            drop(guard);
            moves += 1;
            shared = Arc::new(self.open_lock_file()?);
            self.shared.store(Some(shared.clone()));
        }
    }

    fn create_dir(&self) -> Result<(), OpenError> {
        if let Some(parent) = self.options.path.parent() {
            if !parent.as_os_str().is_empty() && !parent.is_dir() {
                fs::create_dir_all(parent).map_err(|e| OpenError::CreateDir(parent.into(), e))?;
            }
        }
        Ok(())
    }

    /// Opens the path and makes it the current file, registering a new file in the header.
    /// Called with the in-process mutex held (`first`: no file was opened yet).
    fn open_locked(&self, first: &mut bool) -> Result<(), OpenError> {
        let (shared, _flock) = self.lock()?;
        let h = shared.header();
        let fresh = h.magic.load(SeqCst) != MAGIC;
        if fresh || h.fingerprint.load(SeqCst) != self.policy.fingerprint() {
            // A new lock file, or another schedule: Python's rule (from the existing file's
            // mtime, computed at construction).
            h.rollover_at.store(self.initial_rollover, SeqCst);
            h.fingerprint.store(self.policy.fingerprint(), SeqCst);
        }
        let truncate = self.options.truncate && *first;
        let file = self.open_file(truncate)?;
        *first = false;
        let meta = file.metadata().map_err(OpenError::Open)?;
        let rotates = meta.is_file();
        let (dev, ino) = identity(&meta);
        let word = h.word.load(SeqCst);
        let mut gen = generation(word);
        if fresh || h.dev.load(SeqCst) != dev || h.ino.load(SeqCst) != ino || truncate {
            // A file no process has registered (new, replaced from outside, or emptied):
            // a new generation, counting what it holds.
            gen = next_generation(gen);
            h.dev.store(dev, SeqCst);
            h.ino.store(ino, SeqCst);
            h.word.store(pack(gen, meta.len()), SeqCst);
        } else {
            // The registered file: its count is never below what it holds (every byte is
            // reserved before it is written), unless a process was killed inside a rollover
            // after retiring the generation (count 0) and before renaming the file. Count
            // what it holds, or it would grow to twice `maxBytes`.
            let _ = h.word.fetch_update(SeqCst, SeqCst, |w| {
                (generation(w) == gen && shared::size(w) < meta.len())
                    .then(|| pack(gen, meta.len()))
            });
        }
        if fresh {
            shared.set_magic();
        }
        self.current.store(Some(Arc::new(Open {
            file: AppendFile::new(file),
            generation: gen,
            shared,
            rotates,
        })));
        Ok(())
    }

    fn open_file(&self, truncate: bool) -> Result<File, OpenError> {
        let options = || {
            let mut o = OpenOptions::new();
            o.append(true).create(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                o.mode(self.options.file_mode);
                if truncate {
                    o.custom_flags(libc::O_TRUNC);
                }
            }
            #[cfg(not(unix))]
            if truncate {
                // std refuses `append` with `truncate`; without `O_APPEND` here, the file
                // is written from its start, which after truncation is its end.
                o = OpenOptions::new();
                o.write(true).create(true).truncate(true);
            }
            o
        };
        match options().open(&self.options.path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                self.create_dir()?;
                options().open(&self.options.path).map_err(OpenError::Open)
            }
            other => other.map_err(OpenError::Open),
        }
    }

    fn rotate_locked(&self, first: &mut bool, expected: u32, len: u64) -> io::Result<Vec<Job>> {
        let (shared, flock) = self.lock().map_err(OpenError::into_io)?;
        let h = shared.header();
        let word = h.word.load(SeqCst);
        let current = self.current.load_full();
        let stale = current
            .as_ref()
            .is_none_or(|o| o.generation != expected || !Arc::ptr_eq(&o.shared, &shared));
        if generation(word) != expected || stale {
            // Another process (or thread) rotated, or the lock file was replaced: follow.
            drop(flock);
            if current.as_ref().is_none_or(|o| o.generation == expected) {
                self.open_locked(first).map_err(OpenError::into_io)?;
            }
            return Ok(Vec::new());
        }
        let now = unix_seconds(self.clock.now());
        let rollover_at = h.rollover_at.load(SeqCst);
        let time_due = self.timed && rollover_at != i64::MAX && now >= rollover_at;
        let size = shared::size(word);
        let max = self.options.max_bytes;
        let size_due = max > 0 && size > 0 && size + len >= max;
        if !time_due && !size_due {
            return Ok(Vec::new());
        }
        let mut jobs = Vec::new();
        let base = &self.options.path;
        let registered = (h.dev.load(SeqCst), h.ino.load(SeqCst));
        let replaced = fs::metadata(base).map_or(true, |m| {
            // Not a FIFO or a folder put there: opening it could block, or fail for ever.
            m.is_file() && identity(&m) != registered
        });
        if replaced && current.as_ref().is_some_and(|o| o.rotates) {
            // The file we write was removed (or the folder with it) or replaced from
            // outside: as Python does at its rollover, open the path anew (creating the
            // folder and the file) rather than writing on into a file nobody sees, or
            // renaming a file we did not count. The next record decides again.
            drop(flock);
            self.open_locked(first).map_err(OpenError::into_io)?;
            return Ok(Vec::new());
        }
        // Through a symbolic link: a link to a regular file rolls, the link itself renamed
        // and a regular file opened at the path, as CPython's `os.rename` does.
        let meta = fs::metadata(base).ok();
        let rolled = match &meta {
            // An empty file is never rolled over; a missing one has nothing to roll.
            Some(m) if m.is_file() && m.len() > 0 => {
                let info = RollInfo {
                    rollover_at,
                    time_due,
                    now,
                };
                // Retire the generation before the rename: a writer that has not yet
                // reserved its room in this file (the reservation is a compare-and-swap on
                // the word) then fails, follows us once we are done, and never writes into
                // the renamed file after the boundary.
                let retired = h.word.swap(pack(next_generation(expected), 0), SeqCst);
                match self.policy.roll(base, &info) {
                    Ok(_) => Some(shared::size(retired)),
                    Err(e) => {
                        h.word.store(retired, SeqCst);
                        self.throttle.failed(&format_args!("rollover failed: {e}"));
                        None
                    }
                }
            }
            _ => None,
        };
        if time_due {
            h.rollover_at
                .store(self.policy.next_rollover(rollover_at, now), SeqCst);
        }
        if let Some(reserved) = rolled {
            let (dev, ino) = (h.dev.load(SeqCst), h.ino.load(SeqCst));
            let file = self.open_file(false).map_err(OpenError::into_io)?;
            let m = file.metadata()?;
            let (ndev, nino) = identity(&m);
            let gen = next_generation(expected);
            h.dev.store(ndev, SeqCst);
            h.ino.store(nino, SeqCst);
            h.word.store(pack(gen, m.len()), SeqCst);
            self.current.store(Some(Arc::new(Open {
                file: AppendFile::new(file),
                generation: gen,
                shared: shared.clone(),
                rotates: m.is_file(),
            })));
            if self.options.compression != Compression::None {
                jobs.push(Job::Compress(Rotated {
                    dev,
                    ino,
                    len: reserved,
                }));
            } else if self.options.max_age.is_some() || self.options.max_total_bytes.is_some() {
                jobs.push(Job::Retain);
            }
        } else if size_due && !time_due {
            // Could not roll (failure, or the file was emptied or removed from outside):
            // count what the path holds now so the next record does not retry at once.
            let actual = fs::metadata(base).map(|m| m.len()).unwrap_or(0);
            let actual = if actual > 0 && actual + len >= max {
                0
            } else {
                actual
            };
            h.word.store(pack(expected, actual), SeqCst);
        }
        Ok(jobs)
    }

    fn run_job(&self, job: Job) {
        match job {
            Job::Compress(r) => {
                let mut left = Vec::new();
                if let Err(e) = self.compress(r, Some(&mut left)) {
                    self.throttle
                        .failed(&format_args!("compression failed: {e}"));
                }
                // Rotated files an earlier compression left plain: tried again now.
                for r in left {
                    if let Err(e) = self.compress(r, None) {
                        self.throttle
                            .failed(&format_args!("compression failed: {e}"));
                    }
                }
                self.retain();
            }
            Job::Retain => self.retain(),
        }
    }

    /// Locates the rotated file with identity `(dev, ino)` among our names.
    fn locate(&self, dev: u64, ino: u64) -> Option<PathBuf> {
        self.policy
            .rotated(&self.options.path)
            .into_iter()
            .find(|p| fs::metadata(p).is_ok_and(|m| identity(&m) == (dev, ino)))
    }

    /// Compresses the rotated file `r`. With `left`, also lists the rotated files other
    /// compressions left plain (see [`sweep`](Self::sweep)).
    fn compress(&self, r: Rotated, left: Option<&mut Vec<Rotated>>) -> io::Result<()> {
        // Rotations move rotated files (under the locks): find and open it under them too,
        // or a rotation running meanwhile hides it and it stays uncompressed for ever.
        let (source, mut input) = {
            let _cold = self.cold.lock();
            let _flock = self.lock().map_err(OpenError::into_io)?;
            self.sweep(left.map(|left| (left, (r.dev, r.ino))));
            let Some(source) = self.locate(r.dev, r.ino) else {
                return Ok(());
            };
            let input = File::open(&source)?;
            (source, input)
        };
        // Writers that reserved room in the rotated file finish their write first: it is
        // complete once it holds every byte reserved in it. A writer killed (or failing)
        // between its reservation and its write never completes it: stop waiting after a
        // while (for this file only: nothing is left behind for the next one).
        let deadline = Instant::now() + Duration::from_secs(2);
        let meta = loop {
            let meta = input.metadata()?;
            if meta.len() >= r.len || Instant::now() >= deadline {
                break meta;
            }
            std::thread::sleep(Duration::from_millis(1));
        };
        if identity(&meta) != (r.dev, r.ino) {
            return Ok(());
        }
        let modified = meta.modified().ok();
        let mut tmp_name = OsString::from(".");
        tmp_name.push(source.file_name().unwrap_or_default());
        tmp_name.push(format!(".gz.tmp-{}", std::process::id()));
        let tmp = source.with_file_name(tmp_name);
        let result = (|| {
            let out = {
                let mut o = OpenOptions::new();
                o.write(true).create(true).truncate(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    o.mode(self.options.file_mode);
                }
                o.open(&tmp)?
            };
            let out = gzip(&mut input, out)?;
            out.sync_all()?;
            if let Some(t) = modified {
                let _ = out.set_modified(t);
            }
            // Put it in place under the lock: the source may have moved meanwhile.
            let _cold = self.cold.lock();
            let _flock = self.lock().map_err(OpenError::into_io)?;
            match self.locate(r.dev, r.ino) {
                Some(now_at) => {
                    let mut gz = now_at.clone().into_os_string();
                    gz.push(".gz");
                    fs::rename(&tmp, &gz)?;
                    fs::remove_file(&now_at)?;
                }
                None => fs::remove_file(&tmp)?,
            }
            Ok(())
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }

    /// Repairs what a process killed while compressing leaves behind (called under the
    /// locks): a rotated file beside its compressed copy (killed after putting the complete
    /// copy in place, before deleting the original: every line of it would be kept twice)
    /// loses the original, and a temporary copy whose process is gone is deleted.
    ///
    /// With `left`, it also lists there the rotated files, other than the one being
    /// compressed, that stayed plain for [`LEFT_UNCOMPRESSED`]: their compression failed
    /// (a full disk) or their process was killed before it.
    fn sweep(&self, mut left: Option<(&mut Vec<Rotated>, (u64, u64))>) {
        let base = &self.options.path;
        for plain in self.policy.rotated(base) {
            if plain.extension().is_some_and(|e| e == "gz") {
                continue;
            }
            let mut gz = plain.clone().into_os_string();
            gz.push(".gz");
            if Path::new(&gz).is_file() {
                if let Err(e) = remove_if_exists(&plain) {
                    self.throttle
                        .failed(&format_args!("cannot delete {}: {e}", plain.display()));
                }
                continue;
            }
            let Some((left, compressing)) = &mut left else {
                continue;
            };
            let Ok(meta) = fs::metadata(&plain) else {
                continue;
            };
            let settled = meta
                .modified()
                .is_ok_and(|m| m.elapsed().is_ok_and(|age| age > LEFT_UNCOMPRESSED));
            let (dev, ino) = identity(&meta);
            if meta.is_file() && settled && (dev, ino) != *compressing {
                left.push(Rotated {
                    dev,
                    ino,
                    len: meta.len(),
                });
            }
        }
        #[cfg(unix)]
        {
            // `.NAME.gz.tmp-PID`, NAME one of ours (`BASE.` and a suffix).
            let (Some(dir), Some(name)) = (base.parent(), base.file_name()) else {
                return;
            };
            let mut prefix = OsString::from(".");
            prefix.push(name);
            prefix.push(".");
            let Ok(entries) = fs::read_dir(dir) else {
                return;
            };
            for entry in entries.flatten() {
                let file = entry.file_name();
                let Some(rest) = file
                    .as_encoded_bytes()
                    .strip_prefix(prefix.as_encoded_bytes())
                else {
                    continue;
                };
                let Some(at) = rest.windows(8).rposition(|w| w == b".gz.tmp-") else {
                    continue;
                };
                let pid = std::str::from_utf8(&rest[at + 8..])
                    .ok()
                    .and_then(|p| p.parse::<libc::pid_t>().ok());
                let Some(pid) = pid.filter(|&p| p > 0) else {
                    continue;
                };
                // SAFETY: signal 0 only checks whether the process exists.
                let gone = unsafe { libc::kill(pid, 0) } == -1
                    && io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH);
                // And untouched for a while: a process in another PID namespace (another
                // container writing the same folder) is invisible here, but a copy it is
                // writing keeps changing.
                let stale = || {
                    entry
                        .metadata()
                        .and_then(|m| m.modified())
                        .is_ok_and(|m| m.elapsed().is_ok_and(|age| age > STALE_TEMPORARY))
                };
                if gone && at > 0 && stale() {
                    let _ = remove_if_exists(&entry.path());
                }
            }
        }
    }

    /// Retention by age and total size, oldest first, our names only.
    fn retain(&self) {
        if self.options.max_age.is_none() && self.options.max_total_bytes.is_none() {
            return;
        }
        if self.shared.load().is_none() {
            return;
        }
        let _cold = self.cold.lock();
        let Ok(_flock) = self.lock() else { return };
        let now = self.clock.now();
        let files: Vec<(PathBuf, u64, Option<SystemTime>)> = self
            .policy
            .rotated(&self.options.path)
            .into_iter()
            .filter_map(|p| {
                let m = fs::metadata(&p).ok()?;
                Some((p, m.len(), m.modified().ok()))
            })
            .collect();
        let mut total: u64 = files.iter().map(|f| f.1).sum();
        for (path, len, modified) in files {
            let too_old = match (self.options.max_age, modified) {
                (Some(age), Some(m)) => now.duration_since(m).is_ok_and(|d| d > age),
                _ => false,
            };
            let too_big = self.options.max_total_bytes.is_some_and(|cap| total > cap);
            if too_old || too_big {
                match fs::remove_file(&path) {
                    Ok(()) => total -= len,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => total -= len,
                    Err(e) => self
                        .throttle
                        .failed(&format_args!("cannot delete {}: {e}", path.display())),
                }
            }
        }
    }
}

#[cfg(feature = "gzip")]
fn gzip(input: &mut File, out: File) -> io::Result<File> {
    let mut enc =
        flate2::write::GzEncoder::new(io::BufWriter::new(out), flate2::Compression::default());
    io::copy(input, &mut enc)?;
    let buf = enc.finish()?;
    buf.into_inner().map_err(|e| e.into_error())
}

#[cfg(not(feature = "gzip"))]
fn gzip(_input: &mut File, _out: File) -> io::Result<File> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "gzip support is not compiled in (feature `gzip`)",
    ))
}

#[cfg(unix)]
fn identity(m: &fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (m.dev(), m.ino())
}

#[cfg(not(unix))]
fn identity(_m: &fs::Metadata) -> (u64, u64) {
    (0, 0)
}

/// `base` + `.` + `suffix` (no extension logic: `app.log` -> `app.log.1`).
pub fn with_suffix(base: &Path, suffix: &str) -> PathBuf {
    let mut name = base.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    PathBuf::from(name)
}

/// Renames `from` to `to`, replacing `to`.
///
/// # Errors
///
/// The OS error.
pub fn rename(from: &Path, to: &Path) -> io::Result<()> {
    fs::rename(from, to)
}

/// Removes `path` if it exists.
///
/// # Errors
///
/// The OS error, except "not found".
pub fn remove_if_exists(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// What [`engine_sink_impls!`](crate::engine_sink_impls) names, reachable from other crates.
#[doc(hidden)]
pub mod __support {
    pub use tracing_handlers_core::{Level, Sink};
    pub use tracing_subscriber::fmt::MakeWriter;
}

/// Implements `Sink`, `io::Write` (for the type and a reference to it) and `MakeWriter` for a
/// sink type whose `engine` field is an [`Engine`]: every rotating sink writes the same way.
/// Each `write` call is one record, never split across files.
#[doc(hidden)]
#[macro_export]
macro_rules! engine_sink_impls {
    ($sink:ty) => {
        impl $crate::engine::__support::Sink for $sink {
            fn write_record(
                &self,
                record: &[u8],
                _level: $crate::engine::__support::Level,
            ) -> ::std::io::Result<()> {
                self.engine.write_record(record)
            }

            fn write_batch(&self, batch: &[u8], ends: &[usize]) -> ::std::io::Result<()> {
                self.engine.write_batch(batch, ends)
            }

            fn shutdown(&self, deadline: ::std::time::Instant) {
                self.engine.shutdown(deadline);
            }

            fn describe(&self) -> ::std::string::String {
                self.engine.describe().to_owned()
            }
        }

        /// Each `write` call is one record: it is never split across files. Write a whole
        /// record at once (`write!` writes its pieces with separate calls; format into a
        /// buffer first).
        impl ::std::io::Write for &$sink {
            fn write(&mut self, buf: &[u8]) -> ::std::io::Result<usize> {
                self.engine.write_record(buf)?;
                Ok(buf.len())
            }

            fn flush(&mut self) -> ::std::io::Result<()> {
                Ok(())
            }
        }

        /// As for a reference to the sink.
        impl ::std::io::Write for $sink {
            fn write(&mut self, buf: &[u8]) -> ::std::io::Result<usize> {
                ::std::io::Write::write(&mut &*self, buf)
            }

            fn flush(&mut self) -> ::std::io::Result<()> {
                Ok(())
            }
        }

        /// Lets tracing-subscriber's `fmt` layer write to the file: each event is one record.
        impl<'a> $crate::engine::__support::MakeWriter<'a> for $sink {
            type Writer = &'a $sink;

            fn make_writer(&'a self) -> Self::Writer {
                self
            }
        }
    };
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::policy::Cascade;

    fn engine(path: &Path) -> Engine<Cascade> {
        let options = EngineOptions {
            path: path.to_owned(),
            max_bytes: 100,
            truncate: false,
            delay: false,
            file_mode: 0o640,
            compression: Compression::None,
            max_age: None,
            max_total_bytes: None,
            multiprocess: true,
        };
        Engine::new(options, Cascade { backup_count: 10 }, Arc::new(SystemClock)).unwrap()
    }

    /// A process killed inside a rollover, after it retired the generation (count 0) and
    /// before it renamed the full file: the others reopen the path, find the same file, and
    /// used to take the count of 0 for it, filling it to twice `maxBytes`.
    #[test]
    fn a_rollover_killed_before_its_rename_leaves_no_file_past_max_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        let survivor = engine(&path);
        let killed = engine(&path);
        for i in 0..9 {
            killed
                .write_record(format!("k{i:08}\n").as_bytes())
                .unwrap();
        }
        // What the killed process did before its rename, then nothing more.
        let open = killed.core.current.load_full().unwrap();
        let h = open.shared.header();
        h.word
            .swap(pack(next_generation(open.generation), 0), SeqCst);
        std::mem::forget(killed);
        let fresh = engine(&path);
        for i in 0..30 {
            survivor
                .write_record(format!("s{i:08}\n").as_bytes())
                .unwrap();
            fresh.write_record(format!("f{i:08}\n").as_bytes()).unwrap();
        }
        let mut lines = 0;
        for entry in fs::read_dir(dir.path()).unwrap() {
            let entry = entry.unwrap();
            if entry.file_name().to_string_lossy().starts_with("app.log") {
                let text = fs::read_to_string(entry.path()).unwrap();
                assert!(
                    text.len() < 100,
                    "{:?}: {} bytes",
                    entry.file_name(),
                    text.len()
                );
                lines += text.lines().count();
            }
        }
        assert_eq!(lines, 69);
    }
}
