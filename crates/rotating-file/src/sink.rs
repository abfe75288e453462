//! [`RotatingFileSink`]: Python's RotatingFileHandler destination.

use std::path::Path;
use std::time::Instant;

use crate::engine::Engine;
use crate::policy::Cascade;
use crate::{RotatingFileError, RotatingFileSinkBuilder};

/// A log file rotated by size: Python's `RotatingFileHandler` destination, as a [`Sink`](tracing_handlers_core::Sink), an
/// [`io::Write`](std::io::Write) and a [`MakeWriter`](tracing_subscriber::fmt::MakeWriter).
///
/// Before each record, the sink rolls over when the record would bring the file to
/// `maxBytes` bytes (never an empty file): `app.log` becomes `app.log.1`, `app.log.1`
/// becomes `app.log.2`, and so on up to `backupCount`; the active file keeps its name.
/// A record is never split. Each record (or each run of records of a batch that fit) is
/// written with one `write(2)` on an `O_APPEND` file.
///
/// Several processes may write through the same path: they share the size count and
/// rotate once per boundary (see the [crate docs](crate#many-processes-one-file)).
///
/// ```
/// use std::io::Write;
/// use tracing_handlers_rotating_file::RotatingFileSink;
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("app.log");
/// let sink = RotatingFileSink::builder(&path)
///     .with_max_bytes(20)
///     .with_backup_count(2)
///     .build()?;
/// for i in 0..4 {
///     // One `write` per record (`write!` would write the pieces one by one).
///     (&sink).write_all(format!("m{i:03}\n").as_bytes())?; // 5 bytes each
/// }
/// // The 4th record would have made the file 20 bytes: it went to a new file.
/// assert_eq!(std::fs::read_to_string(&path)?, "m003\n");
/// assert_eq!(std::fs::read_to_string(dir.path().join("app.log.1"))?, "m000\nm001\nm002\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct RotatingFileSink {
    pub(crate) engine: Engine<Cascade>,
    pub(crate) max_bytes: u64,
    pub(crate) backup_count: u64,
}

impl RotatingFileSink {
    /// A builder for a sink writing to `path`.
    pub fn builder(path: impl AsRef<Path>) -> RotatingFileSinkBuilder {
        RotatingFileSinkBuilder::new(path)
    }

    /// A sink for `path` with Python's positional parameters `maxBytes` and `backupCount`.
    ///
    /// # Errors
    ///
    /// As [`RotatingFileSinkBuilder::build`].
    pub fn new(
        path: impl AsRef<Path>,
        max_bytes: i64,
        backup_count: i64,
    ) -> Result<RotatingFileSink, RotatingFileError> {
        Self::builder(path)
            .with_max_bytes(max_bytes)
            .with_backup_count(backup_count)
            .build()
    }

    /// The absolute path of the active file.
    pub fn path(&self) -> &Path {
        self.engine.path()
    }

    /// The lock file beside the log (multi-process mode, once the file was opened).
    pub fn lock_path(&self) -> Option<&Path> {
        self.engine.lock_path()
    }

    /// `maxBytes`.
    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// `backupCount`.
    pub fn backup_count(&self) -> u64 {
        self.backup_count
    }

    /// Whether the file is open.
    pub fn is_open(&self) -> bool {
        self.engine.is_open()
    }

    /// Closes the file; the next record opens it again.
    pub fn close(&self) {
        self.engine.close();
    }

    /// Waits until background work (compression, retention) handed over so far is done, or
    /// `deadline` passes; returns whether it is done.
    pub fn wait_background(&self, deadline: Option<Instant>) -> bool {
        self.engine.wait_background(deadline)
    }
}

crate::engine_sink_impls!(RotatingFileSink);
