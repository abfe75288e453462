//! Python's `SysLogHandler` for `tracing-handlers`: a [`Handler`](tracing_handlers_core::Handler)
//! that sends each record to syslog over a unix socket (`/dev/log`), UDP, TCP or TLS.
//!
//! - **Python's bytes by default** on unix sockets and UDP: `<PRI>` + ident + the formatted
//!   record + NUL (`append_nul`), with Python's facility names and level → severity map.
//! - **RFC 3164** (`Mmm dd hh:mm:ss HOST TAG[PID]: `, local time) and **RFC 5424** with the
//!   event's fields as structured data, escaped per the RFC ([`MessageFormat`]).
//! - **TCP and TLS** (rustls, RFC 5425) with RFC 6587 octet counting by default (LF or
//!   Python's NUL on request, [`Framing`]), a sender thread with a buffer bounded in bytes
//!   and an [overflow policy](tracing_handlers_core::OverflowPolicy), reconnect with backoff,
//!   and the count of messages possibly lost when a connection dies ([`SyslogStats`]).
//! - Size limits with visible truncation, newlines kept or escaped.
//!
//! ```
//! # use std::os::unix::net::UnixDatagram;
//! use tracing_handlers_core::{FieldSet, Formatter, Handler, Level, Record};
//! use tracing_handlers_syslog::{MessageFormat, SyslogHandler};
//!
//! # let dir = tempfile::tempdir()?;
//! # let path = dir.path().join("log.sock");
//! # let receiver = UnixDatagram::bind(&path)?;
//! let handler = SyslogHandler::builder()
//!     .with_address(path.as_path()) // "/dev/log" in real life
//!     .with_format(MessageFormat::Rfc3164)
//!     .with_app_name("portal")
//!     .with_formatter(Formatter::percent("%(levelname)s %(name)s: %(message)s")?)
//!     .build()?;
//! let fields = FieldSet::new();
//! handler.handle(&Record::new(Level::WARNING, "portal.api", "slow", &fields));
//! let mut buf = [0u8; 256];
//! let n = receiver.recv(&mut buf)?;
//! let text = String::from_utf8_lossy(&buf[..n]);
//! assert!(text.starts_with("<12>"));
//! assert!(text.ends_with(&format!(" portal[{}]: WARNING portal.api: slow", std::process::id())));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! See the crate's README for the transports, the deviations from Python, the rsyslog
//! configuration that matches, and why the `syslog` crate is used only for its facility
//! constants.
//!
//! # Feature flags
//!
//! None: TLS (rustls with the `ring` provider) is always built.
//!
//! # Supported Rust versions
//!
//! This crate declares Rust 1.88: the `syslog` crate it uses brings `time` 0.3.55, which
//! needs 1.88.

mod builder;
mod conn;
mod direct;
mod error;
mod facility;
mod handler;
mod message;
mod sender;
mod stats;
mod transport;

pub use builder::{SyslogBuilder, DEFAULT_CAPACITY_BYTES, DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_SD_ID};
pub use error::SyslogError;
pub use facility::{encode_priority, Facility, Severity, SeverityMapping};
pub use handler::SyslogHandler;
pub use message::MessageFormat;
pub use sender::SENDER_THREAD_NAME;
pub use stats::SyslogStats;
pub use transport::{
    Address, Framing, SockType, TlsOptions, DEV_LOG, SYSLOG_PORT, SYSLOG_TLS_PORT,
};

/// The README's code blocks, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
