//! Reloading: when the file changes (noticed within a second, atomic-rename saves included)
//! or on an explicit call, the new handler set replaces the old one whole. An invalid new file
//! keeps the old set and reports why.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tracing_handlers_core::dispatch::Dispatch;
use tracing_handlers_core::fork::ForkSafeMutex;
use tracing_handlers_core::fork::ProcessThread;
use tracing_handlers_core::report::{report, Report, ReportKind};

use crate::ConfigErrors;

/// How often the watcher looks at the file by default.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_millis(250);

/// How long retired handlers get to drain after a reload.
const RETIRE_DEADLINE: Duration = Duration::from_secs(10);

/// What identifies one version of the file: a save that replaces it (new inode), rewrites it
/// (new mtime or size) or changes its bytes (a same-length save within one tick of the file
/// system's clock keeps mtime and size) changes this.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    #[cfg(unix)]
    inode: (u64, u64),
    /// A hash of the contents; `None` when they could not be read (a directory).
    contents: Option<u64>,
}

/// The file as it is now: its stamp (`None` when it is missing) and its bytes.
fn look(path: &Path) -> (Option<Stamp>, std::io::Result<Vec<u8>>) {
    // The bytes first: a save landing between the two reads changes the metadata after the
    // bytes were taken, so the next look sees a new stamp and reads the newer bytes.
    let bytes = std::fs::read(path);
    let Ok(meta) = std::fs::metadata(path) else {
        return (None, bytes);
    };
    let contents = bytes.as_ref().ok().map(|b| {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        b.hash(&mut h);
        h.finish()
    });
    let stamp = Stamp {
        modified: meta.modified().ok(),
        len: meta.len(),
        #[cfg(unix)]
        inode: {
            use std::os::unix::fs::MetadataExt;
            (meta.dev(), meta.ino())
        },
        contents,
    };
    (Some(stamp), bytes)
}

/// One version of a configuration file, as it was read (see [`load_version`](crate::load_version)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileVersion(Option<Stamp>);

impl FileVersion {
    /// The file's version now and its bytes, read together.
    pub(crate) fn read(path: &Path) -> (FileVersion, std::io::Result<Vec<u8>>) {
        let (stamp, bytes) = look(path);
        (FileVersion(stamp), bytes)
    }
}

/// Reloads one configuration file into one dispatcher.
#[derive(Debug)]
pub struct Reloader {
    path: PathBuf,
    dispatch: Dispatch,
    /// The version last loaded (or tried). Held for the whole of a reload, which serialises
    /// the watcher's reloads with explicit ones: a reload that read an older version can
    /// never replace the set after one that read a newer version.
    last: ForkSafeMutex<Option<Stamp>>,
}

impl Reloader {
    /// A reloader for `path` feeding `dispatch` (which should hold that file's handlers now).
    pub fn new(path: impl Into<PathBuf>, dispatch: Dispatch) -> Self {
        let path = path.into();
        let loaded = FileVersion(look(&path).0);
        Self::from_version(path, dispatch, loaded)
    }

    /// A reloader for `path` feeding `dispatch`, which holds the handlers of the `loaded`
    /// version of the file: if the file changed since, the first [`check`](Self::check)
    /// reloads.
    pub fn from_version(path: impl Into<PathBuf>, dispatch: Dispatch, loaded: FileVersion) -> Self {
        Reloader {
            path: path.into(),
            dispatch,
            last: ForkSafeMutex::new(loaded.0),
        }
    }

    /// The file this reloader reads.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads, checks and opens the file now and swaps the handler set in. Records logged
    /// before the swap go to the old handlers (which are then flushed and closed), records
    /// after it to the new ones: none is lost or written twice.
    ///
    /// # Errors
    ///
    /// The problems in the new file; the old handler set stays in place.
    pub fn reload_now(&self) -> Result<(), ConfigErrors> {
        let mut last = self.last.lock();
        let (stamp, bytes) = look(&self.path);
        *last = stamp;
        self.apply(bytes)
    }

    /// Builds the set from `bytes` (the file as read) and swaps it in.
    fn apply(&self, bytes: std::io::Result<Vec<u8>>) -> Result<(), ConfigErrors> {
        let config = crate::parse_read(&self.path, bytes)?;
        let set = crate::build::build(&config, &self.path)?;
        self.dispatch.replace(set, RETIRE_DEADLINE);
        Ok(())
    }

    /// Reloads if the file changed since the last look; reports the outcome.
    pub fn check(&self) {
        let result = {
            let mut last = self.last.lock();
            let (now, bytes) = look(&self.path);
            if now.is_none() || *last == now {
                // Unchanged, or missing (mid-save, or removed): keep the running set.
                return;
            }
            *last = now;
            self.apply(bytes)
        };
        let source = format!("config {}", self.path.display());
        match result {
            Ok(()) => report(&Report {
                source: &source,
                kind: ReportKind::Notice,
                message: &"reloaded",
            }),
            Err(errors) => {
                let message = format!("not reloaded, keeping the running configuration:\n{errors}");
                report(&Report {
                    source: &source,
                    kind: ReportKind::Failure,
                    message: &message,
                });
            }
        }
    }
}

/// A thread that reloads a configuration file when it changes. Dropping it stops the thread.
///
/// The thread runs in the process that started it: a child forked since does not watch
/// the file (it keeps the handlers it inherited).
#[derive(Debug)]
pub struct ConfigWatcher {
    reloader: Arc<Reloader>,
    stop: Arc<AtomicBool>,
    thread: Option<ProcessThread>,
}

impl ConfigWatcher {
    /// Watches `path` for `dispatch`, looking every `interval`.
    ///
    /// # Errors
    ///
    /// The watcher thread could not start.
    pub fn start(
        path: impl Into<PathBuf>,
        dispatch: Dispatch,
        interval: Duration,
    ) -> std::io::Result<Self> {
        Self::start_reloader(Reloader::new(path, dispatch), interval)
    }

    /// Watches `path` for `dispatch`, which holds the handlers of the `loaded` version of the
    /// file (from [`load_version`](crate::load_version)): a save made since then is reloaded
    /// at the first look.
    ///
    /// # Errors
    ///
    /// The watcher thread could not start.
    pub fn start_from_version(
        path: impl Into<PathBuf>,
        dispatch: Dispatch,
        interval: Duration,
        loaded: FileVersion,
    ) -> std::io::Result<Self> {
        Self::start_reloader(Reloader::from_version(path, dispatch, loaded), interval)
    }

    fn start_reloader(reloader: Reloader, interval: Duration) -> std::io::Result<Self> {
        let reloader = Arc::new(reloader);
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let reloader = reloader.clone();
            let stop = stop.clone();
            ProcessThread::spawn("tracing-handlers-config-watch", move || {
                while !stop.load(Ordering::Acquire) {
                    std::thread::park_timeout(interval);
                    if stop.load(Ordering::Acquire) {
                        break;
                    }
                    reloader.check();
                }
            })?
        };
        Ok(ConfigWatcher {
            reloader,
            stop,
            thread: Some(thread),
        })
    }

    /// Reloads now, whether or not the file changed.
    ///
    /// # Errors
    ///
    /// As [`Reloader::reload_now`].
    pub fn reload_now(&self) -> Result<(), ConfigErrors> {
        self.reloader.reload_now()
    }
}

impl Drop for ConfigWatcher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            // In a child forked since it started, the thread runs in the parent only, and
            // `join` returns at once.
            if let Some(thread) = t.thread().filter(|_| t.runs_here()) {
                thread.unpark();
            }
            t.join();
        }
    }
}
