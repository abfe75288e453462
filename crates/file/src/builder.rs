//! [`FileSinkBuilder`]: the options of a [`FileSink`].

use std::path::{Path, PathBuf};

use tracing_handlers_core::nonblocking::{NonBlocking, NonBlockingOptions};
use tracing_handlers_core::FormatHandler;

use crate::{FileError, FileSink};

/// The default permission bits of a new log file (`rw-r-----`, before the umask).
pub const DEFAULT_FILE_MODE: u32 = 0o640;

/// How the file is opened: Python's `mode` argument.
///
/// ```
/// use tracing_handlers_file::OpenMode;
/// assert_eq!(OpenMode::default(), OpenMode::Append);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OpenMode {
    /// Python's `'a'`: keep what the file holds and append (the default). A closed sink
    /// reopens the file on the next record.
    #[default]
    Append,
    /// Python's `'w'`: empty the file when it is opened. A closed sink drops later records
    /// (so a late record cannot empty the file again).
    Truncate,
}

/// Builds a [`FileSink`]; made by [`FileSink::builder`].
///
/// | option | default |
/// |---|---|
/// | [`with_open_mode`](Self::with_open_mode) | [`OpenMode::Append`] |
/// | [`with_delay`](Self::with_delay) | `false`: the file is opened by [`build`](Self::build) |
/// | [`with_file_mode`](Self::with_file_mode) | [`DEFAULT_FILE_MODE`] (`0o640`), for new files, on unix |
///
/// Missing parent folders are always created.
///
/// ```
/// use tracing_handlers_file::{FileSink, OpenMode};
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("logs/app.log");
/// let sink = FileSink::builder(&path)
///     .with_open_mode(OpenMode::Truncate)
///     .with_delay(true)
///     .with_file_mode(0o600)
///     .build()?;
/// assert!(!path.exists()); // delayed: opened by the first record
/// assert_eq!(sink.path(), path);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct FileSinkBuilder {
    pub(crate) path: PathBuf,
    pub(crate) open_mode: OpenMode,
    pub(crate) delay: bool,
    pub(crate) file_mode: u32,
}

impl FileSinkBuilder {
    pub(crate) fn new(path: impl AsRef<Path>) -> Self {
        FileSinkBuilder {
            path: path.as_ref().to_owned(),
            open_mode: OpenMode::Append,
            delay: false,
            file_mode: DEFAULT_FILE_MODE,
        }
    }

    /// Append (the default) or truncate.
    pub fn with_open_mode(mut self, mode: OpenMode) -> Self {
        self.open_mode = mode;
        self
    }

    /// Opens the file on the first record instead of in [`build`](Self::build) (Python's
    /// `delay=True`). A delayed build cannot fail on opening.
    pub fn with_delay(mut self, delay: bool) -> Self {
        self.delay = delay;
        self
    }

    /// The permission bits of a file this sink creates (the umask still applies). Existing
    /// files keep theirs. Ignored off unix.
    pub fn with_file_mode(mut self, mode: u32) -> Self {
        self.file_mode = mode;
        self
    }

    /// Makes the path absolute and, unless delayed, creates the parent folders and opens
    /// the file.
    ///
    /// # Errors
    ///
    /// [`FileError::Path`] when the current directory is unknown; without delay,
    /// [`FileError::CreateDir`] or [`FileError::Open`] when the file cannot be opened.
    pub fn build(self) -> Result<FileSink, FileError> {
        FileSink::from_builder(self)
    }

    /// Builds a handler that formats records and writes them directly (each record reaches
    /// the OS before the logging call returns).
    ///
    /// ```
    /// use tracing_handlers_core::{FieldSet, Handler, Level, Record};
    /// use tracing_handlers_file::FileSink;
    ///
    /// let dir = tempfile::tempdir()?;
    /// let handler = FileSink::builder(dir.path().join("app.log")).build_handler()?;
    /// let fields = FieldSet::new();
    /// handler.handle(&Record::new(Level::INFO, "portal", "hello", &fields));
    /// assert_eq!(std::fs::read_to_string(dir.path().join("app.log"))?, "hello\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`build`](Self::build).
    pub fn build_handler(self) -> Result<FormatHandler<FileSink>, FileError> {
        Ok(FormatHandler::new(self.build()?))
    }

    /// Builds a handler in non-blocking mode: records are queued and written in batches by a
    /// worker thread (see [`NonBlocking`]).
    ///
    /// ```
    /// use tracing_handlers_core::nonblocking::NonBlockingOptions;
    /// use tracing_handlers_core::{FieldSet, Handler, Level, Record};
    /// use tracing_handlers_file::FileSink;
    ///
    /// let dir = tempfile::tempdir()?;
    /// let handler = FileSink::builder(dir.path().join("app.log"))
    ///     .build_non_blocking(NonBlockingOptions::new())?;
    /// let fields = FieldSet::new();
    /// handler.handle(&Record::new(Level::INFO, "portal", "queued", &fields));
    /// handler.flush();
    /// assert_eq!(std::fs::read_to_string(dir.path().join("app.log"))?, "queued\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`build`](Self::build), and [`FileError::Spawn`] when the worker thread cannot be
    /// started.
    pub fn build_non_blocking(
        self,
        options: NonBlockingOptions,
    ) -> Result<FormatHandler<NonBlocking<FileSink>>, FileError> {
        let sink = self.build()?;
        let path = sink.path().to_owned();
        let queued = options
            .build(sink)
            .map_err(|source| FileError::Spawn { path, source })?;
        Ok(FormatHandler::new(queued))
    }
}
