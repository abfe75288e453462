//! [`WatchedFileSinkBuilder`]: the options of a [`WatchedFileSink`].

use std::path::{Path, PathBuf};
use std::time::Duration;

use tracing_handlers_core::nonblocking::{NonBlocking, NonBlockingOptions};
use tracing_handlers_core::FormatHandler;
use tracing_handlers_file::{FileError, FileSink, FileSinkBuilder, OpenMode};

use crate::{WatchedFileError, WatchedFileSink};

/// How often, at most, the path is checked by default: 100 ms.
///
/// A record written at least this long after a rotation (`logrotate` renaming or deleting
/// the file) goes to the new file; one `stat` per interval costs nothing measurable.
pub const DEFAULT_CHECK_INTERVAL: Duration = Duration::from_millis(100);

/// Builds a [`WatchedFileSink`]; made by [`WatchedFileSink::builder`].
///
/// Python's parameters (`filename`, `mode`, `encoding`, `delay`) and ours:
///
/// | option | Python | default |
/// |---|---|---|
/// | path (of [`WatchedFileSink::builder`]) | `filename` | made absolute at build |
/// | [`with_open_mode`](Self::with_open_mode) | `mode` | [`OpenMode::Append`] (`'a'`) |
/// | [`with_encoding`](Self::with_encoding) | `encoding` | UTF-8 (the only one accepted) |
/// | [`with_delay`](Self::with_delay) | `delay` | `false`: the file is opened by [`build`](Self::build) |
/// | [`with_file_mode`](Self::with_file_mode) | — | [`DEFAULT_FILE_MODE`](tracing_handlers_file::DEFAULT_FILE_MODE) (`0o640`), for new files, on unix |
/// | [`with_check_interval`](Self::with_check_interval) | — (every record) | [`DEFAULT_CHECK_INTERVAL`] (100 ms) |
///
/// Missing parent folders are always created, at build and whenever the file is reopened.
///
/// ```
/// use std::time::Duration;
/// use tracing_handlers_watched_file::{OpenMode, WatchedFileSink};
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("logs/app.log");
/// let sink = WatchedFileSink::builder(&path)
///     .with_open_mode(OpenMode::Append)
///     .with_encoding("utf-8")
///     .with_delay(true)
///     .with_file_mode(0o600)
///     .with_check_interval(Duration::from_millis(50))
///     .build()?;
/// assert!(!path.exists()); // delayed: opened by the first record
/// assert_eq!(sink.check_interval(), Duration::from_millis(50));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct WatchedFileSinkBuilder {
    pub(crate) path: PathBuf,
    pub(crate) file: FileSinkBuilder,
    pub(crate) encoding: Option<String>,
    pub(crate) check_interval: Duration,
}

impl WatchedFileSinkBuilder {
    pub(crate) fn new(path: impl AsRef<Path>) -> Self {
        let path = path.as_ref().to_owned();
        WatchedFileSinkBuilder {
            file: FileSink::builder(&path),
            path,
            encoding: None,
            check_interval: DEFAULT_CHECK_INTERVAL,
        }
    }

    /// Append (Python's `'a'`, the default) or truncate (`'w'`: the file is emptied when it
    /// is opened, and again whenever it is reopened, as in Python). Writes always use
    /// `O_APPEND`.
    pub fn with_open_mode(mut self, mode: OpenMode) -> Self {
        self.file = self.file.with_open_mode(mode);
        self
    }

    /// Python's `encoding`. Records are always written as UTF-8, so only UTF-8's names are
    /// accepted (`utf-8`, `utf8`, `utf_8`, `u8`, `utf`, `cp65001`, in any case); any other
    /// makes [`build`](Self::build) fail with [`WatchedFileError::Encoding`].
    pub fn with_encoding(mut self, encoding: impl Into<String>) -> Self {
        self.encoding = Some(encoding.into());
        self
    }

    /// Opens the file on the first record instead of in [`build`](Self::build) (Python's
    /// `delay=True`). A delayed build cannot fail on opening.
    pub fn with_delay(mut self, delay: bool) -> Self {
        self.file = self.file.with_delay(delay);
        self
    }

    /// The permission bits of a file this sink creates, at build or when reopening after a
    /// rotation (the umask still applies). Existing files keep theirs. Ignored off unix.
    pub fn with_file_mode(mut self, mode: u32) -> Self {
        self.file = self.file.with_file_mode(mode);
        self
    }

    /// How often, at most, the path is checked for a new file: the staleness bound. A record
    /// looks at the clock (no system call); when `interval` has passed since the last check,
    /// that one record `stat`s the path and reopens it if it is missing or is another file
    /// (another device or inode) than the one open. Other threads keep writing meanwhile.
    ///
    /// `Duration::ZERO` checks before every record, as Python does. Whatever the interval, a
    /// write that fails because the file is gone (`ENOENT`, `ESTALE`) reopens at once and
    /// writes the record again.
    pub fn with_check_interval(mut self, interval: Duration) -> Self {
        self.check_interval = interval;
        self
    }

    /// Checks the encoding, makes the path absolute and, unless delayed, creates the parent
    /// folders and opens the file.
    ///
    /// # Errors
    ///
    /// [`WatchedFileError::Encoding`] for an encoding other than UTF-8;
    /// [`WatchedFileError::File`] when the path cannot be made absolute or, without delay,
    /// the file cannot be opened.
    pub fn build(self) -> Result<WatchedFileSink, WatchedFileError> {
        if let Some(encoding) = &self.encoding {
            if !is_utf8_name(encoding) {
                return Err(WatchedFileError::Encoding {
                    path: self.path,
                    encoding: encoding.clone(),
                });
            }
        }
        let file = self.file.build()?;
        Ok(WatchedFileSink::from_parts(file, self.check_interval))
    }

    /// Builds a handler that formats records and writes them directly (each record reaches
    /// the OS before the logging call returns).
    ///
    /// ```
    /// use tracing_handlers_core::{FieldSet, Handler, Level, Record};
    /// use tracing_handlers_watched_file::WatchedFileSink;
    ///
    /// let dir = tempfile::tempdir()?;
    /// let handler = WatchedFileSink::builder(dir.path().join("app.log")).build_handler()?;
    /// let fields = FieldSet::new();
    /// handler.handle(&Record::new(Level::INFO, "portal", "hello", &fields));
    /// assert_eq!(std::fs::read_to_string(dir.path().join("app.log"))?, "hello\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`build`](Self::build).
    pub fn build_handler(self) -> Result<FormatHandler<WatchedFileSink>, WatchedFileError> {
        Ok(FormatHandler::new(self.build()?))
    }

    /// Builds a handler in non-blocking mode: records are queued and written in batches by a
    /// worker thread (see [`NonBlocking`]); the worker checks the path as a direct writer
    /// does, once per batch at most. The [`ReopenHandle`](crate::ReopenHandle) is reached
    /// with `handler.sink().inner().reopen_handle()`.
    ///
    /// ```
    /// use tracing_handlers_core::nonblocking::NonBlockingOptions;
    /// use tracing_handlers_core::{FieldSet, Handler, Level, Record};
    /// use tracing_handlers_watched_file::WatchedFileSink;
    ///
    /// let dir = tempfile::tempdir()?;
    /// let handler = WatchedFileSink::builder(dir.path().join("app.log"))
    ///     .build_non_blocking(NonBlockingOptions::new())?;
    /// let fields = FieldSet::new();
    /// // The reopen handle for a SIGHUP handler, through the queue.
    /// let reopen = handler.sink().inner().reopen_handle();
    /// handler.handle(&Record::new(Level::INFO, "portal", "queued", &fields));
    /// handler.flush();
    /// assert_eq!(std::fs::read_to_string(dir.path().join("app.log"))?, "queued\n");
    /// assert!(reopen.reopen());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`build`](Self::build), and [`WatchedFileError::File`] with
    /// [`FileError::Spawn`] when the worker thread cannot be started.
    pub fn build_non_blocking(
        self,
        options: NonBlockingOptions,
    ) -> Result<FormatHandler<NonBlocking<WatchedFileSink>>, WatchedFileError> {
        let sink = self.build()?;
        let path = sink.path().to_owned();
        let queued = options
            .build(sink)
            .map_err(|source| FileError::Spawn { path, source })?;
        Ok(FormatHandler::new(queued))
    }
}

/// Python's names for UTF-8 (its codec aliases), compared case-insensitively with `-`, `_`
/// and spaces ignored.
fn is_utf8_name(name: &str) -> bool {
    let norm: String = name
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | ' '))
        .flat_map(char::to_lowercase)
        .collect();
    matches!(norm.as_str(), "utf8" | "u8" | "utf" | "cp65001")
}

#[cfg(test)]
mod tests {
    use super::is_utf8_name;

    #[test]
    fn utf8_names() {
        for ok in ["utf-8", "UTF-8", "utf8", "utf_8", "U8", "utf", "cp65001"] {
            assert!(is_utf8_name(ok), "{ok}");
        }
        for bad in ["latin-1", "ascii", "utf-16", "", "locale"] {
            assert!(!is_utf8_name(bad), "{bad}");
        }
    }
}
