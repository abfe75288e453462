//! [`RotatingFileSinkBuilder`]: the options of a [`RotatingFileSink`].

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tracing_handlers_core::nonblocking::{NonBlocking, NonBlockingOptions};
use tracing_handlers_core::FormatHandler;
use tracing_handlers_file::{OpenMode, DEFAULT_FILE_MODE};

use crate::engine::{Compression, Engine, EngineOptions, SystemClock};
use crate::error::non_negative;
use crate::policy::Cascade;
use crate::{RotatingFileError, RotatingFileSink};

/// Builds a [`RotatingFileSink`]; made by [`RotatingFileSink::builder`].
///
/// Python's parameters first, then ours:
///
/// | option | Python | default |
/// |---|---|---|
/// | [`with_max_bytes`](Self::with_max_bytes) | `maxBytes` | `0`: never rolls over |
/// | [`with_backup_count`](Self::with_backup_count) | `backupCount` | `0`: never rolls over |
/// | [`with_open_mode`](Self::with_open_mode) | `mode` | append (`'w'` only honoured when `maxBytes` is 0) |
/// | [`with_delay`](Self::with_delay) | `delay` | `false` |
/// | [`with_file_mode`](Self::with_file_mode) | – | `0o640` for new files |
/// | [`with_compression`](Self::with_compression) | – | none; [`Compression::Gzip`] compresses rotated files in the background |
/// | [`with_max_age`](Self::with_max_age) | – | none; rotated files older than this are deleted |
/// | [`with_max_total_bytes`](Self::with_max_total_bytes) | – | none; the oldest rotated files are deleted while all together exceed it |
/// | [`with_multiprocess`](Self::with_multiprocess) | – | `true`: a lock file makes rotation safe across processes |
///
/// ```
/// use tracing_handlers_rotating_file::{Compression, RotatingFileSink};
///
/// let dir = tempfile::tempdir()?;
/// let sink = RotatingFileSink::builder(dir.path().join("app.log"))
///     .with_max_bytes(10 * 1024 * 1024)
///     .with_backup_count(5)
///     .with_compression(Compression::Gzip)
///     .build()?;
/// assert_eq!(sink.max_bytes(), 10 * 1024 * 1024);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct RotatingFileSinkBuilder {
    path: PathBuf,
    max_bytes: i64,
    backup_count: i64,
    open_mode: OpenMode,
    delay: bool,
    file_mode: u32,
    compression: Compression,
    max_age: Option<Duration>,
    max_total_bytes: Option<i64>,
    multiprocess: bool,
}

impl RotatingFileSinkBuilder {
    pub(crate) fn new(path: impl AsRef<Path>) -> Self {
        RotatingFileSinkBuilder {
            path: path.as_ref().to_owned(),
            max_bytes: 0,
            backup_count: 0,
            open_mode: OpenMode::Append,
            delay: false,
            file_mode: DEFAULT_FILE_MODE,
            compression: Compression::None,
            max_age: None,
            max_total_bytes: None,
            multiprocess: true,
        }
    }

    /// Python's `maxBytes`: roll over before a record that would bring the file to this many
    /// bytes (bytes, not characters as Python counts). 0 never rolls over; negative values
    /// are a construction error.
    pub fn with_max_bytes(mut self, max_bytes: i64) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// Python's `backupCount`: keep `app.log.1` … `app.log.N`. 0 never rolls over (as in
    /// Python); negative values are a construction error.
    pub fn with_backup_count(mut self, backup_count: i64) -> Self {
        self.backup_count = backup_count;
        self
    }

    /// Python's `mode`: [`OpenMode::Truncate`] (`'w'`) empties the file when it is first
    /// opened, but only when `maxBytes` is 0 (Python forces `'a'` otherwise).
    pub fn with_open_mode(mut self, mode: OpenMode) -> Self {
        self.open_mode = mode;
        self
    }

    /// Python's `delay`: open the file on the first record instead of in `build`.
    pub fn with_delay(mut self, delay: bool) -> Self {
        self.delay = delay;
        self
    }

    /// Permission bits of new files (the log, its lock file, compressed copies); the umask
    /// still applies. Ignored off unix.
    pub fn with_file_mode(mut self, mode: u32) -> Self {
        self.file_mode = mode;
        self
    }

    /// Compress rotated files (`app.log.1.gz`), on a background thread: the logging call
    /// never waits for it. Compressed files count for `backupCount` and retention.
    pub fn with_compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    /// Delete rotated files (ours only) last modified longer than `age` ago, after each
    /// rollover, on the background thread.
    pub fn with_max_age(mut self, age: Duration) -> Self {
        self.max_age = Some(age);
        self
    }

    /// Delete the oldest rotated files (ours only) while together they take more than
    /// `bytes`, after each rollover, on the background thread. Negative values are a
    /// construction error.
    pub fn with_max_total_bytes(mut self, bytes: i64) -> Self {
        self.max_total_bytes = Some(bytes);
        self
    }

    /// Whether several processes may write through this file (the default): a lock file
    /// `.NAME.lock` beside the log holds the shared state and serialises rollovers. Without
    /// it, only one process may write the file (as with Python's handler).
    pub fn with_multiprocess(mut self, multiprocess: bool) -> Self {
        self.multiprocess = multiprocess;
        self
    }

    /// Checks the parameters without touching the file system (what [`build`](Self::build)
    /// checks first; `tracing-handlers check` uses it).
    ///
    /// # Errors
    ///
    /// As [`build`](Self::build), but never an error of opening.
    pub fn check(&self) -> Result<(), RotatingFileError> {
        non_negative("maxBytes", self.max_bytes)?;
        non_negative("backupCount", self.backup_count)?;
        if let Some(v) = self.max_total_bytes {
            non_negative("maxTotalBytes", v)?;
        }
        if self.compression == Compression::Gzip && !cfg!(feature = "gzip") {
            return Err(RotatingFileError::CompressionUnavailable);
        }
        Ok(())
    }

    /// Checks the parameters, makes the path absolute and, unless delayed, creates the
    /// folders and opens the file (and the lock file).
    ///
    /// # Errors
    ///
    /// [`RotatingFileError::Negative`] naming the parameter and value,
    /// [`RotatingFileError::CompressionUnavailable`], or the error of opening.
    pub fn build(self) -> Result<RotatingFileSink, RotatingFileError> {
        let max_bytes = non_negative("maxBytes", self.max_bytes)?;
        let backup_count = non_negative("backupCount", self.backup_count)?;
        let max_total_bytes = self
            .max_total_bytes
            .map(|v| non_negative("maxTotalBytes", v))
            .transpose()?;
        if self.compression == Compression::Gzip && !cfg!(feature = "gzip") {
            return Err(RotatingFileError::CompressionUnavailable);
        }
        let path = std::path::absolute(&self.path).map_err(|source| RotatingFileError::Path {
            path: self.path.clone(),
            source,
        })?;
        let options = EngineOptions {
            path: path.clone(),
            // backupCount 0: Python never renames (the file grows without bound).
            max_bytes: if backup_count == 0 { 0 } else { max_bytes },
            truncate: self.open_mode == OpenMode::Truncate && max_bytes == 0,
            delay: self.delay,
            file_mode: self.file_mode,
            compression: self.compression,
            max_age: self.max_age,
            max_total_bytes,
            multiprocess: self.multiprocess,
        };
        let engine = Engine::new(options, Cascade { backup_count }, Arc::new(SystemClock))
            .map_err(|e| RotatingFileError::from_open(&path, e))?;
        Ok(RotatingFileSink {
            engine,
            max_bytes,
            backup_count,
        })
    }

    /// Builds a handler that formats records and writes them directly.
    ///
    /// # Errors
    ///
    /// As [`build`](Self::build).
    pub fn build_handler(self) -> Result<FormatHandler<RotatingFileSink>, RotatingFileError> {
        Ok(FormatHandler::new(self.build()?))
    }

    /// Builds a handler in non-blocking mode: records are queued and written in batches by a
    /// worker thread, still rolled over record by record.
    ///
    /// # Errors
    ///
    /// As [`build`](Self::build), and [`RotatingFileError::Spawn`].
    pub fn build_non_blocking(
        self,
        options: NonBlockingOptions,
    ) -> Result<FormatHandler<NonBlocking<RotatingFileSink>>, RotatingFileError> {
        let sink = self.build()?;
        let path = sink.path().to_owned();
        let queued = options
            .build(sink)
            .map_err(|source| RotatingFileError::Spawn { path, source })?;
        Ok(FormatHandler::new(queued))
    }
}
