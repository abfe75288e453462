//! Construction errors of [`FileSink`](crate::FileSink).

use std::error::Error;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// Why a [`FileSink`](crate::FileSink) could not be built.
///
/// Every variant names the path; `Display` is lowercase and includes the OS error.
///
/// ```
/// use tracing_handlers_file::{FileError, FileSink};
///
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("not-a-folder"), b"")?;
/// let err = FileSink::new(dir.path().join("not-a-folder/app.log")).unwrap_err();
/// assert!(matches!(err, FileError::Open { .. }));
/// assert!(err.to_string().starts_with("cannot open log file "));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum FileError {
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
    /// The file could not be opened (or created).
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

impl FileError {
    /// The path the error is about.
    pub fn path(&self) -> &Path {
        match self {
            FileError::Path { path, .. }
            | FileError::CreateDir { path, .. }
            | FileError::Open { path, .. }
            | FileError::Spawn { path, .. } => path,
        }
    }

    /// The underlying OS error.
    pub fn io_error(&self) -> &io::Error {
        match self {
            FileError::Path { source, .. }
            | FileError::CreateDir { source, .. }
            | FileError::Open { source, .. }
            | FileError::Spawn { source, .. } => source,
        }
    }
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileError::Path { path, source } => write!(
                f,
                "cannot make log file path {} absolute: {source}",
                path.display()
            ),
            FileError::CreateDir { path, source } => {
                write!(f, "cannot create log folder {}: {source}", path.display())
            }
            FileError::Open { path, source } => {
                write!(f, "cannot open log file {}: {source}", path.display())
            }
            FileError::Spawn { path, source } => write!(
                f,
                "cannot start the writer thread for log file {}: {source}",
                path.display()
            ),
        }
    }
}

impl Error for FileError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(self.io_error())
    }
}
