//! Non-blocking mode: a [`Sink`] that queues records in memory and writes them in batches
//! from a worker thread.
//!
//! Producers copy each record into a shared buffer under a short lock (a `memcpy`, no
//! allocation in steady state); the worker thread `tracing-handlers-writer` swaps that buffer
//! for its own empty one (double buffering) and writes the whole batch with one
//! [`Sink::write_batch`] call, so a busy file gets a few large `write`s instead of one per
//! record. A batch smaller than 64 KiB is given up to 1 ms to grow before it is written, so a
//! busy logger makes few large writes and the producers and the worker rarely take the lock
//! in turn; [`Sink::flush`] and shutdown write at once.
//!
//! The queue is bounded in bytes ([`NonBlockingOptions::with_capacity_bytes`], 8 MiB by
//! default): at most two buffers of that size exist. When the queue is full the
//! [`OverflowPolicy`] decides: [`Block`](OverflowPolicy::Block) (the default) waits for room
//! and loses nothing; [`DropNewest`](OverflowPolicy::DropNewest) drops the record;
//! [`DropBelow`](OverflowPolicy::DropBelow) drops records below a level and waits for the
//! others. Dropped records are counted ([`NonBlocking::dropped`]), reported through the
//! [reporter](crate::report) and announced in the log itself by a line
//! `[tracing-handlers] N records dropped (queue full)` written before the next batch.
//!
//! ```
//! use std::sync::Arc;
//! use tracing_handlers_core::nonblocking::{NonBlocking, NonBlockingOptions, OverflowPolicy};
//! use tracing_handlers_core::{FieldSet, FormatHandler, Handler, Level, MemorySink, Record, Sink};
//!
//! let memory = Arc::new(MemorySink::new());
//! let queued = NonBlockingOptions::new()
//!     .with_capacity_bytes(1024 * 1024)
//!     .with_policy(OverflowPolicy::Block)
//!     .build(memory.clone())?;
//! let handler = FormatHandler::new(queued);
//! let fields = FieldSet::new();
//! handler.handle(&Record::new(Level::INFO, "portal", "queued", &fields));
//! handler.flush(); // waits until the worker has written it
//! assert_eq!(memory.contents(), b"queued\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::cell::Cell;
use std::fmt;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::sync::Condvar;
use parking_lot::{Mutex, MutexGuard};

use crate::fork::ProcessThread;
use crate::handler::Sink;
use crate::report::{report, ErrorThrottle, Report, ReportKind};
use crate::Level;

/// The default queue capacity: 8 MiB of formatted records.
pub const DEFAULT_CAPACITY_BYTES: usize = 8 * 1024 * 1024;

/// How long dropping a [`NonBlocking`] waits for the queue to drain by default.
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);

/// How many queued bytes make a batch worth writing at once.
const GATHER_BYTES: usize = 64 * 1024;

/// How long the worker lets a smaller batch grow before writing it.
const GATHER_WAIT: Duration = Duration::from_millis(1);

/// The name of the worker thread.
pub const WORKER_THREAD_NAME: &str = "tracing-handlers-writer";

thread_local! {
    /// Set on worker threads: a record logged from inside the worker (by an inner sink or a
    /// reporter that logs) must never wait for the worker itself.
    static ON_WORKER: Cell<bool> = const { Cell::new(false) };
}

fn on_worker() -> bool {
    ON_WORKER.try_with(Cell::get).unwrap_or(false)
}

/// What a producer does when the queue is full.
///
/// ```
/// use tracing_handlers_core::nonblocking::OverflowPolicy;
/// use tracing_handlers_core::Level;
///
/// assert_eq!(OverflowPolicy::default(), OverflowPolicy::Block);
/// let _keep_warnings = OverflowPolicy::DropBelow(Level::WARNING);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OverflowPolicy {
    /// Wait until the worker makes room: nothing is lost (the default).
    #[default]
    Block,
    /// Drop the record that does not fit, and count it.
    DropNewest,
    /// Drop records below the level when the queue is full (counting them); records at or
    /// above it wait for room.
    DropBelow(Level),
}

// === impl NonBlockingOptions ===

/// Options of a [`NonBlocking`] sink.
///
/// | option | default |
/// |---|---|
/// | [`with_capacity_bytes`](Self::with_capacity_bytes) | [`DEFAULT_CAPACITY_BYTES`] (8 MiB) |
/// | [`with_policy`](Self::with_policy) | [`OverflowPolicy::Block`] |
/// | [`with_shutdown_timeout`](Self::with_shutdown_timeout) | [`DEFAULT_SHUTDOWN_TIMEOUT`] (30 s) |
///
/// ```
/// use std::time::Duration;
/// use tracing_handlers_core::nonblocking::{NonBlockingOptions, OverflowPolicy};
/// use tracing_handlers_core::MemorySink;
///
/// let sink = NonBlockingOptions::new()
///     .with_capacity_bytes(64 * 1024)
///     .with_policy(OverflowPolicy::DropNewest)
///     .with_shutdown_timeout(Duration::from_secs(5))
///     .build(MemorySink::new())?;
/// assert_eq!(sink.options().capacity_bytes(), 64 * 1024);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NonBlockingOptions {
    capacity_bytes: usize,
    policy: OverflowPolicy,
    shutdown_timeout: Duration,
}

impl Default for NonBlockingOptions {
    fn default() -> Self {
        NonBlockingOptions {
            capacity_bytes: DEFAULT_CAPACITY_BYTES,
            policy: OverflowPolicy::Block,
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
        }
    }
}

impl NonBlockingOptions {
    /// The defaults (see the table above).
    pub fn new() -> Self {
        Self::default()
    }

    /// Bounds the queue to `bytes` of formatted records. A record larger than this is
    /// written directly by the calling thread (after what was queued before it).
    #[must_use]
    pub fn with_capacity_bytes(mut self, bytes: usize) -> Self {
        self.capacity_bytes = bytes;
        self
    }

    /// What producers do when the queue is full.
    #[must_use]
    pub fn with_policy(mut self, policy: OverflowPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// How long dropping the sink waits for the queue to drain.
    #[must_use]
    pub fn with_shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// The queue capacity in bytes.
    pub fn capacity_bytes(&self) -> usize {
        self.capacity_bytes
    }

    /// The overflow policy.
    pub fn policy(&self) -> OverflowPolicy {
        self.policy
    }

    /// The drain timeout used on drop.
    pub fn shutdown_timeout(&self) -> Duration {
        self.shutdown_timeout
    }

    /// Starts the worker thread and returns the queued sink in front of `inner`.
    ///
    /// # Errors
    ///
    /// The worker thread could not be spawned.
    pub fn build<S: Sink>(self, inner: S) -> io::Result<NonBlocking<S>> {
        NonBlocking::with_options(inner, self)
    }
}

// === impl Queue ===

/// One buffer: concatenated records and their end offsets.
#[derive(Default)]
struct Queue {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl Queue {
    fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
    }

    /// Appends `record`; the caller checked that it fits in `capacity`. Growth never
    /// allocates past `capacity` bytes.
    fn push(&mut self, record: &[u8], capacity: usize) {
        let needed = self.bytes.len() + record.len();
        if needed > self.bytes.capacity() {
            let target = needed
                .max(self.bytes.capacity().saturating_mul(2))
                .max(4096)
                .min(capacity.max(needed));
            self.bytes.reserve_exact(target - self.bytes.len());
        }
        self.bytes.extend_from_slice(record);
        self.ends.push(self.bytes.len());
    }
}

// === impl Shared ===

struct State {
    /// What producers append to.
    queue: Queue,
    /// Records dropped since the worker last announced drops.
    dropped_pending: u64,
    /// Records ever appended to `queue`.
    enqueued: u64,
    /// Records the worker has finished with (written or failed).
    completed: u64,
    /// Flush requests made / flush requests satisfied.
    flush_requested: u64,
    flushed: u64,
    /// The worker takes records from the queue (false once it stops or is abandoned).
    accepting: bool,
    /// The worker thread still runs.
    running: bool,
    /// Shutdown has started: drain, then stop.
    stopping: bool,
    /// The shutdown deadline passed: the worker stops after its current write.
    abandoned: bool,
    /// The worker is letting a small batch grow (producers wake it only when the batch is big
    /// enough, or for a flush or shutdown).
    gathering: bool,
}

struct Shared<S> {
    inner: S,
    state: Mutex<State>,
    /// The worker waits here for records, flush requests or shutdown.
    work: Condvar,
    /// Producers wait here for room.
    room: Condvar,
    /// Flushers, oversized writers and shutdown wait here for the worker's progress.
    progress: Condvar,
    options: NonBlockingOptions,
    dropped: AtomicU64,
    throttle: ErrorThrottle,
}

impl<S: Sink> Shared<S> {
    fn report_dropped(&self, records: u64, why: &dyn fmt::Display) {
        report(&Report {
            source: self.throttle.source(),
            kind: ReportKind::Dropped { records },
            message: why,
        });
    }

    /// The worker thread's loop.
    fn run(&self) {
        let _ = ON_WORKER.try_with(|w| w.set(true));
        let _exit = ExitGuard { shared: self };
        let mut batch = Queue::default();
        let mut st = self.state.lock();
        loop {
            while st.queue.is_empty()
                && st.flush_requested == st.flushed
                && st.dropped_pending == 0
                && !st.stopping
            {
                self.work.wait(&mut st);
            }
            if st.abandoned
                || (st.stopping
                    && st.queue.is_empty()
                    && st.flush_requested == st.flushed
                    && st.dropped_pending == 0)
            {
                return;
            }
            // A small batch is given a moment to grow: fewer, larger writes, and the producers
            // and the worker take the lock in turn far less often. A flush, a shutdown or a
            // batch that reached the target ends the wait at once.
            if !st.stopping
                && st.flush_requested == st.flushed
                && st.queue.bytes.len() < GATHER_BYTES.min(self.options.capacity_bytes / 2)
            {
                st.gathering = true;
                let _ = self.work.wait_for(&mut st, GATHER_WAIT);
                st.gathering = false;
            }
            std::mem::swap(&mut batch, &mut st.queue);
            let dropped = std::mem::take(&mut st.dropped_pending);
            let flush_to = st.flush_requested;
            let need_flush = flush_to > st.flushed;
            let records = batch.ends.len() as u64;
            MutexGuard::unlocked(&mut st, || {
                self.room.notify_all();
                self.write_out(&batch, dropped, need_flush);
            });
            batch.clear();
            st.completed += records;
            st.flushed = st.flushed.max(flush_to);
            self.progress.notify_all();
        }
    }

    fn write_out(&self, batch: &Queue, dropped: u64, need_flush: bool) {
        if dropped > 0 {
            let line = format!("[tracing-handlers] {dropped} records dropped (queue full)\n");
            self.report_dropped(dropped, &"queue full");
            if let Err(e) = self.inner.write_record(line.as_bytes(), Level::WARNING) {
                self.throttle.failed(&format_args!("write failed: {e}"));
            }
        }
        if !batch.is_empty() {
            match self.inner.write_batch(&batch.bytes, &batch.ends) {
                Ok(()) => self.throttle.succeeded(),
                Err(e) => self.throttle.failed(&format_args!(
                    "write failed: {e} ({} queued records lost)",
                    batch.ends.len()
                )),
            }
        }
        if need_flush {
            if let Err(e) = self.inner.flush() {
                self.throttle.failed(&format_args!("flush failed: {e}"));
            }
        }
    }
}

/// Marks the worker as gone when it returns or panics, so nobody waits for it forever.
struct ExitGuard<'a, S: Sink> {
    shared: &'a Shared<S>,
}

impl<S: Sink> Drop for ExitGuard<'_, S> {
    fn drop(&mut self) {
        let sh = self.shared;
        let mut st = sh.state.lock();
        st.running = false;
        st.accepting = false;
        let lost = st.queue.ends.len() as u64;
        st.queue.clear();
        drop(st);
        sh.room.notify_all();
        sh.progress.notify_all();
        if lost > 0 {
            sh.dropped.fetch_add(lost, Ordering::Relaxed);
            sh.report_dropped(lost, &"the writer thread stopped before writing them");
        }
    }
}

// === impl NonBlocking ===

/// A sink that queues records in memory and writes them from a worker thread.
///
/// See the [module docs](self) for the design. Dropping it drains the queue (waiting at most
/// the [shutdown timeout](NonBlockingOptions::with_shutdown_timeout)) and stops the worker;
/// after [`shutdown`](NonBlocking::shutdown), records go straight to the inner sink, so a late
/// record is never lost.
pub struct NonBlocking<S: Sink> {
    shared: Arc<Shared<S>>,
    worker: Mutex<Option<ProcessThread>>,
    /// The process the worker runs in. A child forked from it inherits the queue but not the
    /// worker: there records are written directly, and nothing waits for the worker.
    pid: u32,
}

impl<S: Sink> fmt::Debug for NonBlocking<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NonBlocking")
            .field("inner", &self.shared.inner)
            .field("options", &self.shared.options)
            .field("dropped", &self.dropped())
            .finish_non_exhaustive()
    }
}

impl<S: Sink> NonBlocking<S> {
    /// A queued sink in front of `inner` with the default options.
    ///
    /// ```
    /// use tracing_handlers_core::nonblocking::NonBlocking;
    /// use tracing_handlers_core::{Level, MemorySink, Sink};
    ///
    /// let sink = NonBlocking::new(MemorySink::new())?;
    /// sink.write_record(b"one\n", Level::INFO)?;
    /// sink.flush()?;
    /// assert_eq!(sink.inner().contents(), b"one\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// The worker thread could not be spawned.
    pub fn new(inner: S) -> io::Result<Self> {
        Self::with_options(inner, NonBlockingOptions::default())
    }

    /// A queued sink in front of `inner` with `options`.
    ///
    /// # Errors
    ///
    /// The worker thread could not be spawned.
    pub fn with_options(inner: S, options: NonBlockingOptions) -> io::Result<Self> {
        let throttle = ErrorThrottle::new(inner.describe());
        let shared = Arc::new(Shared {
            inner,
            state: Mutex::new(State {
                queue: Queue::default(),
                dropped_pending: 0,
                enqueued: 0,
                completed: 0,
                flush_requested: 0,
                flushed: 0,
                accepting: true,
                running: true,
                stopping: false,
                abandoned: false,
                gathering: false,
            }),
            work: Condvar::new(),
            room: Condvar::new(),
            progress: Condvar::new(),
            options,
            dropped: AtomicU64::new(0),
            throttle,
        });
        let worker_shared = shared.clone();
        let worker = ProcessThread::spawn(WORKER_THREAD_NAME, move || worker_shared.run())?;
        Ok(NonBlocking {
            shared,
            worker: Mutex::new(Some(worker)),
            pid: crate::process_id(),
        })
    }

    /// Whether this is a child forked since the worker started (the worker does not run
    /// here; what the parent had queued is the parent's to write).
    #[inline]
    fn forked(&self) -> bool {
        self.pid != crate::process_id()
    }

    /// The sink the worker writes to.
    pub fn inner(&self) -> &S {
        &self.shared.inner
    }

    /// The options this sink was built with.
    pub fn options(&self) -> &NonBlockingOptions {
        &self.shared.options
    }

    /// How many records were dropped so far: by the overflow policy when the queue was full,
    /// or because they were still queued when the shutdown deadline passed.
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    /// Bytes queued and not yet taken by the worker.
    pub fn queued_bytes(&self) -> usize {
        self.shared.state.lock().queue.bytes.len()
    }

    /// Drains the queue until `deadline`, stops the worker and shuts the inner sink down.
    /// Returns how many queued records could not be written because the deadline passed
    /// (they are also counted in [`dropped`](Self::dropped) and reported). Later records are
    /// written synchronously to the inner sink.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use tracing_handlers_core::nonblocking::NonBlocking;
    /// use tracing_handlers_core::{Level, MemorySink, Sink};
    ///
    /// let sink = NonBlocking::new(MemorySink::new())?;
    /// sink.write_record(b"before\n", Level::INFO)?;
    /// assert_eq!(sink.shutdown(Instant::now() + Duration::from_secs(5)), 0);
    /// sink.write_record(b"after\n", Level::INFO)?; // written directly
    /// assert_eq!(sink.inner().contents(), b"before\nafter\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn shutdown(&self, deadline: Instant) -> u64 {
        let sh = &*self.shared;
        if self.forked() {
            // The worker is the parent's: there is nothing here to drain or stop.
            sh.inner.shutdown(deadline);
            return 0;
        }
        let mut st = sh.state.lock();
        if st.abandoned {
            return 0;
        }
        st.stopping = true;
        sh.work.notify_one();
        while st.running {
            if sh.progress.wait_until(&mut st, deadline).timed_out() {
                break;
            }
        }
        let mut lost = 0;
        if st.running {
            st.abandoned = true;
            st.accepting = false;
            lost = st.queue.ends.len() as u64 + st.dropped_pending;
            st.queue.clear();
            st.dropped_pending = 0;
            drop(st);
            sh.work.notify_one();
            sh.room.notify_all();
            sh.progress.notify_all();
            if lost > 0 {
                sh.dropped.fetch_add(lost, Ordering::Relaxed);
                sh.report_dropped(lost, &"not written by the shutdown deadline");
            }
            // The worker is stuck in a write: leave it detached.
        } else {
            drop(st);
            if let Some(worker) = self.worker.lock().take() {
                worker.join();
            }
        }
        sh.inner.shutdown(deadline);
        lost
    }

    /// Writes `record` (larger than the queue) on the calling thread once everything queued
    /// before it is written.
    #[cold]
    fn write_oversized(&self, record: &[u8], level: Level) -> io::Result<()> {
        let sh = &*self.shared;
        let mut st = sh.state.lock();
        let target = st.enqueued;
        while st.accepting && st.completed < target && !on_worker() {
            sh.work.notify_one();
            sh.progress.wait(&mut st);
        }
        drop(st);
        sh.inner.write_record(record, level)
    }
}

impl<S: Sink> Sink for NonBlocking<S> {
    fn write_record(&self, record: &[u8], level: Level) -> io::Result<()> {
        if record.is_empty() {
            return Ok(());
        }
        let sh = &*self.shared;
        if self.forked() {
            return sh.inner.write_record(record, level);
        }
        let capacity = sh.options.capacity_bytes;
        if record.len() > capacity {
            return self.write_oversized(record, level);
        }
        let mut st = sh.state.lock();
        loop {
            if !st.accepting {
                drop(st);
                return sh.inner.write_record(record, level);
            }
            if st.stopping && !on_worker() {
                // Draining for shutdown: wait until the worker is done, then write directly
                // (keeps this thread's order and lets the drain finish).
                sh.progress.wait(&mut st);
                continue;
            }
            if st.queue.bytes.len() + record.len() <= capacity {
                let was_empty = st.queue.is_empty();
                st.queue.push(record, capacity);
                st.enqueued += 1;
                let wake = was_empty
                    || (st.gathering && st.queue.bytes.len() >= GATHER_BYTES.min(capacity / 2));
                drop(st);
                if wake {
                    sh.work.notify_one();
                }
                return Ok(());
            }
            let drop_it = match sh.options.policy {
                OverflowPolicy::Block => false,
                OverflowPolicy::DropNewest => true,
                OverflowPolicy::DropBelow(min) => level < min,
            };
            if drop_it {
                st.dropped_pending += 1;
                drop(st);
                sh.dropped.fetch_add(1, Ordering::Relaxed);
                return Ok(());
            }
            if on_worker() {
                // Waiting for room would wait for this very thread: write directly.
                drop(st);
                return sh.inner.write_record(record, level);
            }
            sh.room.wait(&mut st);
        }
    }

    fn flush(&self) -> io::Result<()> {
        let sh = &*self.shared;
        if self.forked() {
            return sh.inner.flush();
        }
        let mut st = sh.state.lock();
        if st.accepting && !on_worker() {
            st.flush_requested += 1;
            let ticket = st.flush_requested;
            sh.work.notify_one();
            while st.accepting && st.flushed < ticket {
                sh.progress.wait(&mut st);
            }
            if st.flushed >= ticket {
                return Ok(());
            }
        }
        drop(st);
        sh.inner.flush()
    }

    fn line_style(&self, level: Level) -> Option<(&'static str, &'static str)> {
        self.shared.inner.line_style(level)
    }

    fn shutdown(&self, deadline: Instant) {
        NonBlocking::shutdown(self, deadline);
    }

    fn describe(&self) -> String {
        self.shared.inner.describe()
    }
}

impl<S: Sink> Drop for NonBlocking<S> {
    fn drop(&mut self) {
        let deadline = crate::shutdown::deadline_after(self.shared.options.shutdown_timeout);
        NonBlocking::shutdown(self, deadline);
    }
}
