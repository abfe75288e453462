//! Python's `FileHandler` for `tracing-handlers`: a log file written with `O_APPEND`, one
//! `write` per record, missing folders created, a mode for new files, direct or
//! non-blocking.
//!
//! [`FileSink`] is the byte destination. Put it under a
//! [`FormatHandler`](tracing_handlers_core::FormatHandler) (what the `tracing-handlers`
//! dispatch layer drives), wrap it in [`NonBlocking`](tracing_handlers_core::NonBlocking)
//! for a queued, batched writer thread, or hand it to tracing-subscriber's `fmt` layer as a
//! [`MakeWriter`](tracing_subscriber::fmt::MakeWriter). [`AppendFile`] is the append
//! itself (one system call per record), shared with the rotating handlers.
//!
//! ```
//! use tracing_handlers_core::{FieldSet, Formatter, Handler, Level, Record};
//! use tracing_handlers_file::{FileSink, OpenMode};
//!
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("logs/portal.log"); // `logs/` is created
//! let handler = FileSink::builder(&path)
//!     .with_open_mode(OpenMode::Append)
//!     .with_file_mode(0o640)
//!     .build_handler()?
//!     .with_formatter(Formatter::percent("%(message)s")?);
//!
//! let fields = FieldSet::new();
//! handler.handle(&Record::new(Level::WARNING, "portal", "disk low", &fields));
//! // Direct mode: the record is in the file as soon as `handle` returns.
//! assert_eq!(std::fs::read_to_string(&path)?, "disk low\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Behaviour
//!
//! | | Python's `FileHandler` | [`FileSink`] |
//! |---|---|---|
//! | path | made absolute at construction | the same |
//! | `mode` | `'a'` (default), `'w'` | [`OpenMode::Append`] (default), [`OpenMode::Truncate`] |
//! | `delay` | open on first emit | [`FileSinkBuilder::with_delay`] |
//! | missing folder | `FileNotFoundError` | created |
//! | new file permissions | `0o666` minus umask | `0o640` minus umask, [`FileSinkBuilder::with_file_mode`] |
//! | one record | one write of line + terminator | one `write(2)`, `O_APPEND` in both modes |
//! | write after `close()` | `'a'` reopens, `'w'` drops | the same |
//! | failing disk | `handleError` per record | the error is returned; the handler reports once per burst and recovers |
//!
//! # Feature flags
//!
//! This crate has no feature flags.
//!
//! # Supported Rust versions
//!
//! The minimum supported Rust version is 1.85.

mod append;
mod builder;
mod error;
mod sink;

pub use append::AppendFile;
pub use builder::{FileSinkBuilder, OpenMode, DEFAULT_FILE_MODE};
pub use error::FileError;
pub use sink::FileSink;
