//! Python's `WatchedFileHandler` for `tracing-handlers`: a log file that follows `logrotate`
//! and reopens on request, written with `O_APPEND` and one `write` per record.
//!
//! [`WatchedFileSink`] is the byte destination. Put it under a
//! [`FormatHandler`](tracing_handlers_core::FormatHandler) (what the `tracing-handlers`
//! dispatch layer drives), wrap it in [`NonBlocking`](tracing_handlers_core::NonBlocking),
//! or hand it to tracing-subscriber's `fmt` layer as a
//! [`MakeWriter`](tracing_subscriber::fmt::MakeWriter).
//!
//! ```
//! use std::time::Duration;
//! use tracing_handlers_core::{FieldSet, Formatter, Handler, Level, Record};
//! use tracing_handlers_watched_file::WatchedFileSink;
//!
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("logs/portal.log"); // `logs/` is created
//! let handler = WatchedFileSink::builder(&path)
//!     .with_check_interval(Duration::ZERO) // stat before every record, as Python
//!     .build_handler()?
//!     .with_formatter(Formatter::percent("%(levelname)s %(message)s")?);
//! let fields = FieldSet::new();
//! handler.handle(&Record::new(Level::INFO, "portal", "before", &fields));
//!
//! // logrotate's `create`: rename, then a new empty file.
//! std::fs::rename(&path, dir.path().join("logs/portal.log.1"))?;
//! std::fs::File::create(&path)?;
//! handler.handle(&Record::new(Level::INFO, "portal", "after", &fields));
//!
//! assert_eq!(std::fs::read_to_string(&path)?, "INFO after\n");
//! assert_eq!(std::fs::read_to_string(dir.path().join("logs/portal.log.1"))?, "INFO before\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Behaviour
//!
//! | | Python's `WatchedFileHandler` | [`WatchedFileSink`] |
//! |---|---|---|
//! | parameters | `filename, mode='a', encoding=None, delay=False` | the same ([`WatchedFileSinkBuilder`]); only UTF-8 |
//! | when the path is checked | `stat` before every record | at most once per [check interval](WatchedFileSinkBuilder::with_check_interval) (100 ms by default; `ZERO` = every record) |
//! | path missing, or another device/inode | close, reopen (creating the file) | the same, creating missing folders too |
//! | copytruncate (same inode, size 0) | no reopen; `O_APPEND` writes from offset 0 | the same |
//! | `delay=True` | first record opens without recording dev/ino, so the second record always reopens once (3.11 quirk) | no spurious reopen: the open file's identity is read with `fstat` at each check |
//! | reopen on request | — | [`ReopenHandle`] (SIGHUP, like nginx's USR1) |
//! | write fails because the file is gone (`ENOENT`, `ESTALE`) | `handleError` | reopen at once and write the record again |
//! | new file permissions | `0o666` minus umask | `0o640` minus umask, [`WatchedFileSinkBuilder::with_file_mode`] |
//! | missing folder at construction | `FileNotFoundError` | created |
//!
//! **Staleness.** Between checks a record costs one monotonic clock read and one atomic
//! load more than the plain file sink, so the sink keeps the plain file sink's speed (see
//! `examples/watched_throughput.rs`). The price: records written less than one interval after
//! a rotation may still go to the renamed file (never lost, unless the rotated file is
//! compressed at once: use `logrotate`'s `delaycompress`, as for any daemon). A record
//! written at least one interval after the rotation finished goes to the new file.
//!
//! **Several processes** may write one watched file: each record is one `O_APPEND` write,
//! so lines never interleave, and each process follows rotations on its own.
//!
//! **Windows**: there is no inode to compare, so only a missing path is noticed; a
//! [`ReopenHandle`] works everywhere.
//!
//! # Feature flags
//!
//! This crate has no feature flags.
//!
//! # Supported Rust versions
//!
//! The minimum supported Rust version is 1.85.

mod builder;
mod error;
mod handle;
mod sink;

pub use builder::{WatchedFileSinkBuilder, DEFAULT_CHECK_INTERVAL};
pub use error::WatchedFileError;
pub use handle::ReopenHandle;
pub use sink::WatchedFileSink;
pub use tracing_handlers_file::{FileError, OpenMode, DEFAULT_FILE_MODE};

/// The README's code blocks, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
