//! Construction errors of [`WatchedFileSink`](crate::WatchedFileSink).

use std::error::Error;
use std::fmt;
use std::path::{Path, PathBuf};

use tracing_handlers_file::FileError;

/// Why a [`WatchedFileSink`](crate::WatchedFileSink) could not be built.
///
/// `Display` is lowercase and names the path.
///
/// ```
/// use tracing_handlers_watched_file::{WatchedFileError, WatchedFileSink};
///
/// let dir = tempfile::tempdir()?;
/// let err = WatchedFileSink::builder(dir.path().join("app.log"))
///     .with_encoding("latin-1")
///     .build()
///     .unwrap_err();
/// assert!(matches!(err, WatchedFileError::Encoding { .. }));
/// assert!(err.to_string().starts_with("unsupported encoding \"latin-1\""));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum WatchedFileError {
    /// The file could not be opened, its folders created, its path made absolute, or the
    /// non-blocking worker started (the same errors as the plain file sink's).
    File(FileError),
    /// An encoding other than UTF-8 was asked for (Python's `encoding`); records are always
    /// written as UTF-8.
    Encoding {
        /// The log file's path, as given.
        path: PathBuf,
        /// The encoding asked for.
        encoding: String,
    },
}

impl WatchedFileError {
    /// The path the error is about.
    pub fn path(&self) -> &Path {
        match self {
            WatchedFileError::File(e) => e.path(),
            WatchedFileError::Encoding { path, .. } => path,
        }
    }
}

impl From<FileError> for WatchedFileError {
    fn from(e: FileError) -> Self {
        WatchedFileError::File(e)
    }
}

impl fmt::Display for WatchedFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WatchedFileError::File(e) => e.fmt(f),
            WatchedFileError::Encoding { path, encoding } => write!(
                f,
                "unsupported encoding {encoding:?} for log file {}: only UTF-8 is written",
                path.display()
            ),
        }
    }
}

impl Error for WatchedFileError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            WatchedFileError::File(e) => Some(e),
            WatchedFileError::Encoding { .. } => None,
        }
    }
}
