//! [`ReopenHandle`]: what a SIGHUP handler calls.

use std::sync::Weak;

use tracing_handlers_file::FileError;

use crate::sink::Inner;

/// Makes a [`WatchedFileSink`](crate::WatchedFileSink) reopen its path: what a daemon's
/// SIGHUP handler calls after `logrotate` (nginx reopens on USR1 the same way). Cloneable,
/// `Send + Sync`; it does not keep the sink alive, and does nothing once the sink is dropped.
///
/// Two ways:
///
/// - [`reopen`](Self::reopen) only marks the sink (two atomic stores, no lock, no
///   allocation, no system call): the next record reopens the path before it is written.
///   Nothing happens while no record is written, so the old file stays open until then.
/// - [`reopen_now`](Self::reopen_now) reopens at once and says whether it worked; call it
///   from a signal-handling thread (see `examples/sighup.rs`), not from inside a signal
///   handler.
///
/// Either way a delayed sink that has not opened its file yet, or a closed one, just opens
/// the path on its next record.
///
/// ```
/// use std::io::Write;
/// use tracing_handlers_watched_file::WatchedFileSink;
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("app.log");
/// let sink = WatchedFileSink::new(&path)?;
/// let handle = sink.reopen_handle();
/// writeln!(&sink, "one")?;
/// std::fs::rename(&path, dir.path().join("app.log.1"))?;
/// handle.reopen_now()?; // `app.log` exists again, empty
/// assert_eq!(std::fs::read_to_string(&path)?, "");
/// writeln!(&sink, "two")?;
/// assert_eq!(std::fs::read_to_string(&path)?, "two\n");
/// drop(sink);
/// assert!(!handle.reopen()); // the sink is gone
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct ReopenHandle {
    inner: Weak<Inner>,
}

impl ReopenHandle {
    pub(crate) fn new(inner: Weak<Inner>) -> Self {
        ReopenHandle { inner }
    }

    /// Marks the sink so that its next record reopens the path (whatever the check interval)
    /// before being written. Returns `false` when the sink no longer exists.
    pub fn reopen(&self) -> bool {
        match self.inner.upgrade() {
            Some(inner) => {
                inner.request_reopen();
                true
            }
            None => false,
        }
    }

    /// Reopens the path now, creating the file and its folders. Does nothing when the sink
    /// no longer exists or has no file open (delayed or closed).
    ///
    /// # Errors
    ///
    /// [`FileError::CreateDir`] or [`FileError::Open`] when the path cannot be opened; the
    /// sink then keeps writing to the file it had, and checks the path again at its next
    /// interval.
    pub fn reopen_now(&self) -> Result<(), FileError> {
        match self.inner.upgrade() {
            Some(inner) => inner.reopen_now(),
            None => Ok(()),
        }
    }

    /// Whether the sink still exists.
    pub fn is_alive(&self) -> bool {
        self.inner.strong_count() > 0
    }
}
