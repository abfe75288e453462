//! [`WatchedFileSink`]: Python's WatchedFileHandler destination.

use std::fs::Metadata;
use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing_handlers_core::fork::ForkSafeMutex;
use tracing_handlers_core::report::ErrorThrottle;
use tracing_handlers_core::{Level, Sink};
use tracing_handlers_file::{FileError, FileSink, OpenMode};
use tracing_subscriber::fmt::MakeWriter;

use crate::{ReopenHandle, WatchedFileError, WatchedFileSinkBuilder};

/// A log file that follows `logrotate`: Python's `WatchedFileHandler` destination, as a
/// [`Sink`], an [`io::Write`] and a [`MakeWriter`].
///
/// Everything the plain [`FileSink`] does (absolute path, `O_APPEND`, one `write(2)` per
/// record, folders created, file mode), plus:
///
/// - **Watching.** At most once per [check interval](WatchedFileSinkBuilder::with_check_interval)
///   (100 ms by default), the record being written `stat`s the path and compares its device
///   and inode with the open file's (`fstat`). When the path is missing or is another file
///   (`logrotate`'s `create`, a deleted file, a deleted folder), the sink reopens the path,
///   creating the file and its folders, and writes there. Between checks a record costs one
///   monotonic clock read and one atomic load more than the plain file sink.
/// - **copytruncate.** An in-place truncation keeps the inode, so nothing is reopened; since
///   every write uses `O_APPEND`, writing goes on at the start of the truncated file, with
///   no NUL bytes.
/// - **Reopen on request.** A [`ReopenHandle`] (from [`reopen_handle`](Self::reopen_handle))
///   is what a SIGHUP handler calls, like nginx's USR1.
/// - **Reopen on failure.** A write that fails because the file is gone (`ENOENT`,
///   `ESTALE`), or fails while the path names another file, reopens at once and writes the
///   record again.
///
/// Reopening after a rotation is silent (it is the normal case). A failed reopen is reported
/// once per burst through the [reporter](tracing_handlers_core::report), with the recovery;
/// meanwhile records keep going to the file already open, so none are dropped, and the path
/// is tried again at the next interval.
///
/// Clones share one file, one watch and one reopen state.
///
/// ```
/// use std::io::Write;
/// use tracing_handlers_watched_file::WatchedFileSink;
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("app.log");
/// let sink = WatchedFileSink::new(&path)?;
/// writeln!(&sink, "before")?;
/// std::fs::rename(&path, dir.path().join("app.log.1"))?; // what logrotate's `create` does
/// sink.reopen_handle().reopen(); // or wait for the check interval
/// writeln!(&sink, "after")?;
/// assert_eq!(std::fs::read_to_string(&path)?, "after\n");
/// assert_eq!(std::fs::read_to_string(dir.path().join("app.log.1"))?, "before\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct WatchedFileSink {
    inner: Arc<Inner>,
}

/// The state shared by a sink, its clones and its [`ReopenHandle`]s.
#[derive(Debug)]
pub(crate) struct Inner {
    file: FileSink,
    /// The origin of `next_check`.
    base: Instant,
    interval: Duration,
    interval_nanos: u64,
    /// Nanoseconds after `base` from which the next record checks the path; 0 forces a check.
    next_check: AtomicU64,
    /// Set by [`ReopenHandle::reopen`]: the next check reopens whatever the path holds.
    requested: AtomicBool,
    reopens: AtomicU64,
    /// Serialises checks and reopens (the cold path only).
    watching: ForkSafeMutex<()>,
    throttle: ErrorThrottle,
    describe: String,
}

impl WatchedFileSink {
    /// A sink appending to `path`, opened now, with the default options.
    ///
    /// # Errors
    ///
    /// As [`WatchedFileSinkBuilder::build`].
    pub fn new(path: impl AsRef<Path>) -> Result<WatchedFileSink, WatchedFileError> {
        Self::builder(path).build()
    }

    /// A builder for a sink writing to `path`.
    pub fn builder(path: impl AsRef<Path>) -> WatchedFileSinkBuilder {
        WatchedFileSinkBuilder::new(path)
    }

    pub(crate) fn from_parts(file: FileSink, interval: Duration) -> WatchedFileSink {
        let describe = format!("watched file {}", file.path().display());
        let base = Instant::now();
        let interval_nanos = u64::try_from(interval.as_nanos()).unwrap_or(u64::MAX);
        WatchedFileSink {
            inner: Arc::new(Inner {
                file,
                base,
                interval,
                interval_nanos,
                next_check: AtomicU64::new(interval_nanos),
                requested: AtomicBool::new(false),
                reopens: AtomicU64::new(0),
                watching: ForkSafeMutex::new(()),
                throttle: ErrorThrottle::new(describe.clone()),
                describe,
            }),
        }
    }

    /// The absolute path of the file.
    pub fn path(&self) -> &Path {
        self.inner.file.path()
    }

    /// How the file is opened (and reopened).
    pub fn open_mode(&self) -> OpenMode {
        self.inner.file.open_mode()
    }

    /// How often, at most, the path is checked.
    pub fn check_interval(&self) -> Duration {
        self.inner.interval
    }

    /// Whether a file is open now (not yet with `delay` before the first record).
    pub fn is_open(&self) -> bool {
        self.inner.file.is_open()
    }

    /// How many times the file was reopened: after a rotation was noticed, on request, or
    /// after a failed write.
    ///
    /// ```
    /// use tracing_handlers_watched_file::WatchedFileSink;
    ///
    /// let dir = tempfile::tempdir()?;
    /// let sink = WatchedFileSink::new(dir.path().join("app.log"))?;
    /// sink.reopen_handle().reopen_now()?;
    /// assert_eq!(sink.reopens(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reopens(&self) -> u64 {
        self.inner.reopens.load(Ordering::Relaxed)
    }

    /// A handle that makes this sink reopen its file (for a SIGHUP handler). It does not
    /// keep the sink alive.
    pub fn reopen_handle(&self) -> ReopenHandle {
        ReopenHandle::new(Arc::downgrade(&self.inner))
    }

    /// Closes the file (Python's `close()`). In [append](OpenMode::Append) mode the next
    /// record opens it again; in [truncate](OpenMode::Truncate) mode later records are
    /// dropped.
    pub fn close(&self) {
        let _guard = self.inner.watching.lock();
        self.inner.file.close();
    }

    fn write_bytes(&self, bytes: &[u8], batch: Option<&[usize]>) -> io::Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        let inner = &*self.inner;
        if inner.check_due() {
            inner.check();
        }
        let write = || match batch {
            None => inner.file.write_record(bytes, Level::NOTSET),
            Some(ends) => inner.file.write_batch(bytes, ends),
        };
        match write() {
            Ok(()) => Ok(()),
            Err(e) => inner.after_failed_write(e, write),
        }
    }
}

// === impl Inner ===

impl Inner {
    /// The hot path: one clock read and one atomic load; a compare-and-swap elects one
    /// record per interval to check (as tracing-appender's `should_rollover`).
    #[inline]
    fn check_due(&self) -> bool {
        let now = u64::try_from(self.base.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let next = self.next_check.load(Ordering::Relaxed);
        if now < next {
            return false;
        }
        self.next_check
            .compare_exchange(
                next,
                now.saturating_add(self.interval_nanos),
                Ordering::AcqRel,
                Ordering::Relaxed,
            )
            .is_ok()
    }

    /// Makes the next record check (and, with `requested`, reopen).
    pub(crate) fn request_reopen(&self) {
        self.requested.store(true, Ordering::Release);
        self.next_check.store(0, Ordering::Release);
    }

    /// Reopens now if a file is open (a delayed or closed sink opens on its next record).
    pub(crate) fn reopen_now(&self) -> Result<(), FileError> {
        let _guard = self.watching.lock();
        self.requested.store(false, Ordering::Release);
        if !self.file.is_open() {
            return Ok(());
        }
        self.reopen_locked()
    }

    /// Python's `reopenIfNeeded`, at most once per interval.
    #[cold]
    fn check(&self) {
        let _guard = self.watching.lock();
        let requested = self.requested.swap(false, Ordering::AcqRel);
        if !self.file.is_open() || !(requested || self.path_changed()) {
            return;
        }
        match self.reopen_locked() {
            Ok(()) => self.throttle.succeeded(),
            Err(e) => self.throttle.failed(&format_args!("reopen failed: {e}")),
        }
    }

    fn reopen_locked(&self) -> Result<(), FileError> {
        self.file.reopen()?;
        self.reopens.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Whether the path is missing or names another file than the open one.
    fn path_changed(&self) -> bool {
        let Some(file) = self.file.file() else {
            return false;
        };
        let at_path = match std::fs::metadata(self.file.path()) {
            Ok(meta) => meta,
            Err(e) => return is_gone(&e),
        };
        match file.metadata() {
            Ok(open) => !same_file(&at_path, &open),
            // The open file cannot even be inspected (ESTALE on NFS): use the path.
            Err(_) => true,
        }
    }

    /// A failed write: when the file is gone, reopen and write the record again once.
    #[cold]
    fn after_failed_write(
        &self,
        error: io::Error,
        write: impl Fn() -> io::Result<()>,
    ) -> io::Result<()> {
        {
            let _guard = self.watching.lock();
            if !self.file.is_open() || !(is_gone(&error) || self.path_changed()) {
                return Err(error);
            }
            if let Err(e) = self.reopen_locked() {
                return Err(io::Error::new(
                    error.kind(),
                    format!("{error}; then reopen failed: {e}"),
                ));
            }
        }
        write()
    }
}

/// Errors that mean the file (or its folder) no longer exists where it was.
fn is_gone(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::NotFound
            | io::ErrorKind::NotADirectory
            | io::ErrorKind::StaleNetworkFileHandle
    )
}

#[cfg(unix)]
fn same_file(a: &Metadata, b: &Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

/// Off unix there is no inode to compare: only a missing path is noticed.
#[cfg(not(unix))]
fn same_file(_a: &Metadata, _b: &Metadata) -> bool {
    true
}

// === impl Sink ===

impl Sink for WatchedFileSink {
    fn write_record(&self, record: &[u8], _level: Level) -> io::Result<()> {
        self.write_bytes(record, None)
    }

    /// Writes the whole batch with one `write`, after the same check as one record.
    fn write_batch(&self, batch: &[u8], ends: &[usize]) -> io::Result<()> {
        self.write_bytes(batch, Some(ends))
    }

    fn describe(&self) -> String {
        self.inner.describe.clone()
    }
}

// === impl io::Write ===

/// Each `write` call writes the whole buffer with one `write(2)` (it is one record).
impl Write for &WatchedFileSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_bytes(buf, None)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// As for `&WatchedFileSink`.
impl Write for WatchedFileSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

// === impl MakeWriter ===

/// Lets tracing-subscriber's `fmt` layer write to the file: each event is one `write`.
impl<'a> MakeWriter<'a> for WatchedFileSink {
    type Writer = &'a WatchedFileSink;

    fn make_writer(&'a self) -> Self::Writer {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap()
    }

    #[test]
    fn no_stat_within_the_interval_then_a_reopen_after_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        let sink = WatchedFileSink::builder(&path)
            .with_check_interval(Duration::from_millis(200))
            .build()
            .unwrap();
        sink.write_record(b"a\n", Level::INFO).unwrap();
        std::fs::rename(&path, dir.path().join("app.log.1")).unwrap();
        // Within the interval: still the renamed file (bounded staleness).
        sink.write_record(b"b\n", Level::INFO).unwrap();
        assert!(!path.exists());
        std::thread::sleep(Duration::from_millis(220));
        sink.write_record(b"c\n", Level::INFO).unwrap();
        assert_eq!(read(&path), "c\n");
        assert_eq!(read(&dir.path().join("app.log.1")), "a\nb\n");
        assert_eq!(sink.reopens(), 1);
    }

    #[test]
    fn marked_reopen_happens_at_the_next_record_whatever_the_interval() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        let sink = WatchedFileSink::builder(&path)
            .with_check_interval(Duration::from_secs(3600))
            .build()
            .unwrap();
        let handle = sink.reopen_handle();
        sink.write_record(b"a\n", Level::INFO).unwrap();
        std::fs::rename(&path, dir.path().join("app.log.1")).unwrap();
        assert!(handle.reopen());
        assert!(!path.exists(), "marking does not open");
        sink.write_record(b"b\n", Level::INFO).unwrap();
        assert_eq!(read(&path), "b\n");
        // The same file at the path: a requested reopen still reopens.
        assert!(handle.reopen());
        sink.write_record(b"c\n", Level::INFO).unwrap();
        assert_eq!(read(&path), "b\nc\n");
        assert_eq!(sink.reopens(), 2);
        // Checks are then back to one per (long) interval.
        std::fs::rename(&path, dir.path().join("app.log.2")).unwrap();
        sink.write_record(b"d\n", Level::INFO).unwrap();
        assert!(!path.exists());
    }

    #[test]
    fn delayed_sink_reopen_now_does_not_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        let sink = WatchedFileSink::builder(&path)
            .with_delay(true)
            .build()
            .unwrap();
        sink.reopen_handle().reopen_now().unwrap();
        assert!(!path.exists());
        assert!(!sink.is_open());
        sink.write_record(b"a\n", Level::INFO).unwrap();
        assert_eq!(read(&path), "a\n");
        assert_eq!(sink.reopens(), 0);
    }

    /// Python reopens with the original mode: `'w'` empties whatever is at the path.
    #[test]
    fn truncate_mode_empties_the_new_file_on_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        std::fs::write(&path, "old\n").unwrap();
        let sink = WatchedFileSink::builder(&path)
            .with_open_mode(OpenMode::Truncate)
            .with_check_interval(Duration::ZERO)
            .build()
            .unwrap();
        assert_eq!(read(&path), "");
        sink.write_record(b"a\n", Level::INFO).unwrap();
        std::fs::write(dir.path().join("tmp"), "ext\n").unwrap();
        std::fs::rename(dir.path().join("tmp"), &path).unwrap();
        sink.write_record(b"b\n", Level::INFO).unwrap();
        assert_eq!(read(&path), "b\n");
    }

    #[test]
    fn clones_share_the_file_and_the_watch() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        let sink = WatchedFileSink::builder(&path)
            .with_check_interval(Duration::ZERO)
            .build()
            .unwrap();
        let clone = sink.clone();
        std::fs::remove_file(&path).unwrap();
        (&clone).write_all(b"a\n").unwrap();
        (&sink).write_all(b"b\n").unwrap();
        assert_eq!(read(&path), "a\nb\n");
        assert_eq!(sink.reopens(), 1);
        let handle = sink.reopen_handle();
        drop(sink);
        assert!(handle.is_alive());
        drop(clone);
        assert!(!handle.is_alive());
        assert!(!handle.reopen());
        handle.reopen_now().unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn new_files_get_the_file_mode_after_a_rotation_too() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        let sink = WatchedFileSink::builder(&path)
            .with_file_mode(0o600)
            .with_check_interval(Duration::ZERO)
            .build()
            .unwrap();
        std::fs::remove_file(&path).unwrap();
        sink.write_record(b"a\n", Level::INFO).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn fmt_layer_writes_through_make_writer() {
        use tracing_subscriber::layer::SubscriberExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        let sink = WatchedFileSink::new(&path).unwrap();
        let subscriber = tracing_subscriber::registry().with(
            tracing_subscriber::fmt::layer()
                .with_writer(sink)
                .without_time()
                .with_ansi(false)
                .with_target(false)
                .with_level(false),
        );
        tracing::subscriber::with_default(subscriber, || tracing::info!("through fmt"));
        assert_eq!(read(&path), "through fmt\n");
    }
}
