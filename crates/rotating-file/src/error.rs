//! Construction errors of the rotating sinks.

use std::error::Error;
use std::fmt;
use std::io;
use std::path::PathBuf;

/// Why a rotating sink could not be built: a bad parameter (named with its value) or a file
/// that could not be opened (named with its path and the OS error).
///
/// ```
/// use tracing_handlers_rotating_file::{RotatingFileError, RotatingFileSink};
///
/// let dir = tempfile::tempdir()?;
/// let err = RotatingFileSink::builder(dir.path().join("app.log"))
///     .with_max_bytes(-1)
///     .build()
///     .unwrap_err();
/// assert!(matches!(err, RotatingFileError::Negative { name: "maxBytes", value: -1 }));
/// assert_eq!(err.to_string(), "maxBytes must not be negative: -1");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum RotatingFileError {
    /// A size or count that must not be negative.
    Negative {
        /// The parameter, as Python (or our extension) names it: `maxBytes`, `backupCount`.
        name: &'static str,
        /// The value given.
        value: i64,
    },
    /// `interval` must be at least 1.
    Interval {
        /// The value given.
        value: i64,
    },
    /// An unknown `when`; the message is Python's.
    When {
        /// The value given.
        value: String,
        /// Python's message (`Invalid rollover interval specified: X`).
        message: String,
    },
    /// An `atTime` that is not a time of day `HH:MM[:SS]` (a date, or out of range).
    AtTime {
        /// The value given.
        value: String,
    },
    /// Compression was asked for without the `gzip` feature.
    CompressionUnavailable,
    /// The path could not be made absolute (the current directory is unknown).
    Path {
        /// The path as given.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// The file's parent folders could not be created.
    CreateDir {
        /// The folder that could not be created.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// The lock file (multi-process mode) could not be opened or mapped.
    LockFile {
        /// The lock file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// The log file could not be opened.
    Open {
        /// The absolute path of the log file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// The worker thread of non-blocking mode could not be started.
    Spawn {
        /// The absolute path of the log file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
}

impl fmt::Display for RotatingFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RotatingFileError::Negative { name, value } => {
                write!(f, "{name} must not be negative: {value}")
            }
            RotatingFileError::Interval { value } => {
                write!(f, "interval must be at least 1: {value}")
            }
            RotatingFileError::When { message, .. } => f.write_str(message),
            RotatingFileError::AtTime { value } => write!(
                f,
                "atTime must be a time of day HH:MM[:SS] without a date: {value:?}"
            ),
            RotatingFileError::CompressionUnavailable => f.write_str(
                "compression needs the `gzip` feature of tracing-handlers-rotating-file",
            ),
            RotatingFileError::Path { path, source } => write!(
                f,
                "cannot make log file path {} absolute: {source}",
                path.display()
            ),
            RotatingFileError::CreateDir { path, source } => {
                write!(f, "cannot create log folder {}: {source}", path.display())
            }
            RotatingFileError::LockFile { path, source } => {
                write!(f, "cannot open lock file {}: {source}", path.display())
            }
            RotatingFileError::Open { path, source } => {
                write!(f, "cannot open log file {}: {source}", path.display())
            }
            RotatingFileError::Spawn { path, source } => write!(
                f,
                "cannot start the writer thread for log file {}: {source}",
                path.display()
            ),
        }
    }
}

impl Error for RotatingFileError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            RotatingFileError::Path { source, .. }
            | RotatingFileError::CreateDir { source, .. }
            | RotatingFileError::LockFile { source, .. }
            | RotatingFileError::Open { source, .. }
            | RotatingFileError::Spawn { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl RotatingFileError {
    /// The error for a failed open at construction.
    #[doc(hidden)]
    pub fn from_open(path: &std::path::Path, e: crate::engine::OpenError) -> Self {
        match e {
            crate::engine::OpenError::CreateDir(path, source) => {
                RotatingFileError::CreateDir { path, source }
            }
            crate::engine::OpenError::Lock(path, source) => {
                RotatingFileError::LockFile { path, source }
            }
            crate::engine::OpenError::Open(source) => RotatingFileError::Open {
                path: path.to_owned(),
                source,
            },
        }
    }
}

/// `value` as a non-negative count, or the error naming it.
pub(crate) fn non_negative(name: &'static str, value: i64) -> Result<u64, RotatingFileError> {
    u64::try_from(value).map_err(|_| RotatingFileError::Negative { name, value })
}

/// `value` as a non-negative count, or [`RotatingFileError::Negative`] naming it (for the
/// builders of this workspace).
///
/// # Errors
///
/// When `value` is negative.
pub fn non_negative_value(name: &'static str, value: i64) -> Result<u64, RotatingFileError> {
    non_negative(name, value)
}
