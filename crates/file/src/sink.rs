//! [`FileSink`]: Python's FileHandler destination.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tracing_handlers_core::fork::{ForkSafeMutex, ForkSafeRwLock};
use tracing_handlers_core::{Level, Sink};
use tracing_subscriber::fmt::MakeWriter;

use crate::{AppendFile, FileError, FileSinkBuilder, OpenMode};

/// A log file: Python's `FileHandler` destination, as a [`Sink`], an [`io::Write`] and a
/// [`MakeWriter`].
///
/// - The path is made absolute when the sink is built (FH-01); missing parent folders are
///   created; new files get the [file mode](FileSinkBuilder::with_file_mode) (`0o640` by
///   default).
/// - The file is always opened with `O_APPEND`, so every write lands at the end of the file
///   even when other processes write to it or truncate it.
/// - Each record is written with one `write(2)` of the whole record (looping only on a short
///   write), without any lock: concurrent threads and processes never interleave inside a
///   line.
/// - Failures never panic: a failed write returns the error (a
///   [`FormatHandler`](tracing_handlers_core::FormatHandler) above reports it once per
///   burst). When the file cannot be opened, every later record tries to open it again
///   (creating the folders), so logging resumes as soon as the path is writable.
///
/// ```
/// use std::io::Write;
/// use tracing_handlers_file::FileSink;
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("app.log");
/// let sink = FileSink::new(&path)?;
/// (&sink).write_all(b"first\n")?;
/// writeln!(&sink, "second")?;
/// assert_eq!(std::fs::read_to_string(&path)?, "first\nsecond\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct FileSink {
    path: PathBuf,
    open_mode: OpenMode,
    #[cfg_attr(not(unix), allow(dead_code))]
    file_mode: u32,
    /// The open file. Writers hold the read lock during their `write` (one uncontended
    /// atomic pair, cheaper than a hazard-pointer load), so a reopen or close never closes
    /// a file a write is still using.
    file: ForkSafeRwLock<Option<AppendFile>>,
    /// Serialises opening (the cold path only).
    opening: ForkSafeMutex<()>,
    /// Set by [`close`](FileSink::close) in truncate mode: later records are dropped.
    closed: AtomicBool,
    describe: String,
}

impl FileSink {
    /// A sink appending to `path`, opened now, with the default options.
    ///
    /// # Errors
    ///
    /// As [`FileSinkBuilder::build`].
    pub fn new(path: impl AsRef<Path>) -> Result<FileSink, FileError> {
        Self::builder(path).build()
    }

    /// A builder for a sink writing to `path`.
    pub fn builder(path: impl AsRef<Path>) -> FileSinkBuilder {
        FileSinkBuilder::new(path)
    }

    pub(crate) fn from_builder(b: FileSinkBuilder) -> Result<FileSink, FileError> {
        let path = std::path::absolute(&b.path).map_err(|source| FileError::Path {
            path: b.path.clone(),
            source,
        })?;
        let sink = FileSink {
            describe: format!("file {}", path.display()),
            path,
            open_mode: b.open_mode,
            file_mode: b.file_mode,
            file: ForkSafeRwLock::new(None),
            opening: ForkSafeMutex::new(()),
            closed: AtomicBool::new(false),
        };
        if !b.delay {
            let file = sink
                .open_file()
                .map_err(|e| e.into_file_error(&sink.path))?;
            *sink.file.write() = Some(AppendFile::new(file));
        }
        Ok(sink)
    }

    /// The absolute path of the file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How the file is opened.
    pub fn open_mode(&self) -> OpenMode {
        self.open_mode
    }

    /// Whether the file is open now.
    pub fn is_open(&self) -> bool {
        self.file.read().is_some()
    }

    /// Closes the file (Python's `close()`). In [append](OpenMode::Append) mode the next
    /// record opens it again (FH-04); in [truncate](OpenMode::Truncate) mode later records
    /// are dropped (FH-05).
    ///
    /// ```
    /// use tracing_handlers_core::{Level, Sink};
    /// use tracing_handlers_file::FileSink;
    ///
    /// let dir = tempfile::tempdir()?;
    /// let sink = FileSink::new(dir.path().join("app.log"))?;
    /// sink.close();
    /// assert!(!sink.is_open());
    /// sink.write_record(b"reopened\n", Level::INFO)?;
    /// assert!(sink.is_open());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn close(&self) {
        let _guard = self.opening.lock();
        if self.open_mode == OpenMode::Truncate {
            self.closed.store(true, Ordering::Release);
        }
        let old = self.file.write().take();
        // The file is closed here, outside the lock.
        drop(old);
    }

    /// The open file, if any: for inspection (its metadata, its device and inode), as the
    /// watched file sink does. Later records may go to another file after a
    /// [`reopen`](FileSink::reopen).
    ///
    /// ```
    /// use tracing_handlers_file::FileSink;
    ///
    /// let dir = tempfile::tempdir()?;
    /// let sink = FileSink::new(dir.path().join("app.log"))?;
    /// assert_eq!(sink.file().expect("open").metadata()?.len(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn file(&self) -> Option<Arc<File>> {
        self.file.read().as_ref().map(|open| open.file().clone())
    }

    /// Opens the path again now (creating missing folders) and sends later records to the
    /// newly opened file; the previous file is closed once writes in flight finish. This is
    /// what a daemon does on SIGHUP after `logrotate` renamed its file away.
    ///
    /// In [truncate](OpenMode::Truncate) mode the reopened file is emptied (as Python's
    /// `WatchedFileHandler` reopening with `'w'`); after [`close`](FileSink::close) in that
    /// mode nothing is opened. When opening fails, the previous file (if any) stays in use.
    ///
    /// ```
    /// use tracing_handlers_core::{Level, Sink};
    /// use tracing_handlers_file::FileSink;
    ///
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("app.log");
    /// let sink = FileSink::new(&path)?;
    /// sink.write_record(b"old\n", Level::INFO)?;
    /// std::fs::rename(&path, dir.path().join("app.log.1"))?;
    /// sink.reopen()?;
    /// sink.write_record(b"new\n", Level::INFO)?;
    /// assert_eq!(std::fs::read_to_string(&path)?, "new\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`FileError::CreateDir`] or [`FileError::Open`] when the file cannot be opened.
    pub fn reopen(&self) -> Result<(), FileError> {
        let _guard = self.opening.lock();
        if self.closed.load(Ordering::Acquire) {
            return Ok(());
        }
        let file = self
            .open_file()
            .map_err(|e| e.into_file_error(&self.path))?;
        let old = self.file.write().replace(AppendFile::new(file));
        // The previous file is closed here, outside the lock.
        drop(old);
        Ok(())
    }

    /// Writes `bytes` with one `write` (a loop only on a short write), opening the file first
    /// when it is not open.
    #[inline(always)]
    fn write_bytes(&self, bytes: &[u8]) -> io::Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        let guard = self.file.read();
        match &*guard {
            Some(open) => open.append(bytes),
            None => {
                drop(guard);
                self.open_and_write(bytes)
            }
        }
    }

    #[cold]
    fn open_and_write(&self, bytes: &[u8]) -> io::Result<()> {
        let _guard = self.opening.lock();
        if let Some(open) = &*self.file.read() {
            return open.append(bytes);
        }
        if self.closed.load(Ordering::Acquire) {
            // Python: a closed handler in mode 'w' drops the record.
            return Ok(());
        }
        let file = self.open_file().map_err(OpenError::into_io)?;
        let open = AppendFile::new(file);
        let result = open.append(bytes);
        *self.file.write() = Some(open);
        result
    }

    fn open_file(&self) -> Result<File, OpenError> {
        match self.options().open(&self.path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if let Some(parent) = self.path.parent() {
                    std::fs::create_dir_all(parent)
                        .map_err(|e| OpenError::CreateDir(parent.to_owned(), e))?;
                }
                self.options().open(&self.path).map_err(OpenError::Open)
            }
            other => other.map_err(OpenError::Open),
        }
    }

    fn options(&self) -> OpenOptions {
        let mut options = OpenOptions::new();
        // O_APPEND in both modes: Truncate empties the file once when it is opened, and
        // every write still lands at the end.
        options.append(true).create(true);
        if self.open_mode == OpenMode::Truncate {
            // `append` and `truncate` together are refused by std; use the flag directly.
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.custom_flags(libc::O_TRUNC);
            }
            #[cfg(not(unix))]
            {
                options = OpenOptions::new();
                options.write(true).create(true).truncate(true);
            }
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(self.file_mode);
        }
        options
    }
}

/// Why opening failed, before it becomes a [`FileError`] or an `io::Error`.
enum OpenError {
    CreateDir(PathBuf, io::Error),
    Open(io::Error),
}

impl OpenError {
    fn into_file_error(self, file: &Path) -> FileError {
        match self {
            OpenError::CreateDir(path, source) => FileError::CreateDir { path, source },
            OpenError::Open(source) => FileError::Open {
                path: file.to_owned(),
                source,
            },
        }
    }

    fn into_io(self) -> io::Error {
        match self {
            OpenError::CreateDir(path, e) => io::Error::new(
                e.kind(),
                format!("cannot create folder {}: {e}", path.display()),
            ),
            OpenError::Open(e) => io::Error::new(e.kind(), format!("cannot open: {e}")),
        }
    }
}

// === impl Sink ===

impl Sink for FileSink {
    #[inline]
    fn write_record(&self, record: &[u8], _level: Level) -> io::Result<()> {
        self.write_bytes(record)
    }

    /// Writes the whole batch with one `write`.
    fn write_batch(&self, batch: &[u8], _ends: &[usize]) -> io::Result<()> {
        self.write_bytes(batch)
    }

    fn describe(&self) -> String {
        self.describe.clone()
    }
}

// === impl io::Write ===

/// Each `write` call writes the whole buffer with one `write(2)` (it is one record).
impl Write for &FileSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_bytes(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// As for `&FileSink`.
impl Write for FileSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

// === impl MakeWriter ===

/// Lets tracing-subscriber's `fmt` layer write to the file: each event is one `write`.
impl<'a> MakeWriter<'a> for FileSink {
    type Writer = &'a FileSink;

    fn make_writer(&'a self) -> Self::Writer {
        self
    }
}
