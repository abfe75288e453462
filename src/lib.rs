//! Python's `logging` handlers and `logging.conf` for `tracing`.
//!
//! One [`Builder`] composes handlers (stream, file, and more as features land) and Python's
//! logger tree (dotted names, levels, propagation), and installs them as one `tracing` layer.
//! Targets are loggers (`portal::api` is `portal.api`), levels are Python's numbers (with
//! [`critical!`] for CRITICAL), and formats are Python's `%(asctime)s %(levelname)s …`.
//!
//! ```
//! use tracing_handlers::{Builder, Level, Logger, FormatHandler, Formatter, MemorySink};
//! use std::sync::Arc;
//!
//! let sink = Arc::new(MemorySink::new());
//! let guard = Builder::new()
//!     .handler("console", Level::NOTSET, FormatHandler::new(sink.clone())
//!         .with_formatter(Formatter::percent("%(levelname)s:%(name)s:%(message)s")?))
//!     .root(Logger::new().level(Level::INFO).handler("console"))
//!     .set_default()?;
//! tracing::warn!(target: "portal::db", "slow query");
//! tracing_handlers::critical!(target: "portal::db", "database gone");
//! drop(guard);
//! assert_eq!(sink.text(), "WARNING:portal.db:slow query\nCRITICAL:portal.db:database gone\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Feature flags
//!
//! | feature | default | what |
//! |---|---|---|
//! | `stream` | yes | [`stream`]: Python's StreamHandler |
//! | `file` | yes | [`file`](mod@file): Python's FileHandler |
//! | `watched-file` | yes | [`watched_file`]: Python's WatchedFileHandler (follows logrotate, reopens on SIGHUP) |
//! | `syslog` | yes | [`syslog`]: Python's SysLogHandler (unix, UDP, TCP, TLS); the system default's destination |
//! | `rotating-file` | yes | [`rotating_file`]: Python's RotatingFileHandler (size), safe across processes, gzip |
//! | `timed-rotating-file` | yes | [`timed_rotating_file`]: Python's TimedRotatingFileHandler, safe across processes, gzip |
//! | `socket` | yes | [`socket`]: Python's SocketHandler (pickle frames or JSON lines, reconnect, bounded buffer) and the [`Receiver`] |
//! | `eventlog` | yes | [`eventlog`]: Python's NTEventLogHandler (Windows Event Log; off Windows `Unsupported`, and a report-once no-op from config files) |
//! | `log` | yes | routes the `log` crate's records through the handlers |
//! | `config` | yes | [`config`]: `logging.conf`, TOML and JSON files, [`configure`], reload |
//!
//! # Supported Rust versions
//!
//! This crate declares Rust 1.88: its `syslog` feature (on by default) brings `time` 0.3.55,
//! which needs 1.88. The handler crates it re-exports (core, stream, file, watched and
//! rotating files, socket, event log) declare and are checked with 1.85.

mod builder;
#[cfg(feature = "config")]
mod configure;
mod rust_log;
mod system;

pub use builder::{BuildError, Builder, LevelHandle, Logger, LoggingGuard};
#[cfg(feature = "config")]
pub use configure::{configure, ConfigSource, Configure, InitError, CONFIG_ENV};

pub use system::{
    system_default, system_default_at, SYSTEM_FORMAT, SYSTEM_SYSLOG_FORMAT, SYSTEM_SYSLOG_SOCKET,
};
/// Configuration files: `logging.conf`, TOML and JSON (feature `config`).
#[cfg(feature = "config")]
pub use tracing_handlers_config as config;
pub use tracing_handlers_core::dispatch::{Dispatch, DispatchLayer, HandlerEntry, HandlerSet};
pub use tracing_handlers_core::nonblocking::{NonBlocking, NonBlockingOptions, OverflowPolicy};
pub use tracing_handlers_core::report;
pub use tracing_handlers_core::{
    critical, FieldSet, Format, FormatError, FormatHandler, Formatter, Handler, JsonFormatter,
    Level, MemorySink, NameFilter, Record, Sink, Style,
};

/// The core crate, for handler authors.
pub use tracing_handlers_core as core;

/// Python's StreamHandler (feature `stream`).
#[cfg(feature = "stream")]
pub use tracing_handlers_stream as stream;
#[cfg(feature = "stream")]
pub use tracing_handlers_stream::{ColorMode, StreamSink};

/// Python's FileHandler (feature `file`).
#[cfg(feature = "file")]
pub use tracing_handlers_file as file;
#[cfg(feature = "file")]
pub use tracing_handlers_file::{FileError, FileSink, OpenMode};

/// Python's NTEventLogHandler (feature `eventlog`).
#[cfg(feature = "eventlog")]
pub use tracing_handlers_eventlog as eventlog;
#[cfg(feature = "eventlog")]
pub use tracing_handlers_eventlog::{
    EventLogBuilder, EventLogError, EventLogHandler, EventType, LevelMap, NullEventLog,
};
/// Python's RotatingFileHandler (feature `rotating-file`).
#[cfg(feature = "rotating-file")]
pub use tracing_handlers_rotating_file as rotating_file;
#[cfg(feature = "rotating-file")]
pub use tracing_handlers_rotating_file::{Compression, RotatingFileError, RotatingFileSink};
/// Python's SocketHandler and the receiving end (feature `socket`).
#[cfg(feature = "socket")]
pub use tracing_handlers_socket as socket;
#[cfg(feature = "socket")]
pub use tracing_handlers_socket::{
    Protocol, ReceiveProtocol, ReceivedRecord, Receiver, ReceiverOptions, ReceiverStats,
    SocketBuilder, SocketError, SocketHandler, SocketStats,
};
/// Python's SysLogHandler (feature `syslog`).
#[cfg(feature = "syslog")]
pub use tracing_handlers_syslog as syslog;
#[cfg(feature = "syslog")]
pub use tracing_handlers_syslog::{
    Facility, Framing, MessageFormat, SeverityMapping, SockType, SyslogBuilder, SyslogError,
    SyslogHandler, SyslogStats, TlsOptions,
};
/// Python's WatchedFileHandler (feature `watched-file`).
#[cfg(feature = "watched-file")]
pub use tracing_handlers_watched_file as watched_file;
#[cfg(feature = "watched-file")]
pub use tracing_handlers_watched_file::{ReopenHandle, WatchedFileError, WatchedFileSink};

/// Python's TimedRotatingFileHandler (feature `timed-rotating-file`).
#[cfg(feature = "timed-rotating-file")]
pub use tracing_handlers_timed_rotating_file as timed_rotating_file;
#[cfg(feature = "timed-rotating-file")]
pub use tracing_handlers_timed_rotating_file::{TimedRotatingFileSink, When};

/// The README's code blocks, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
