//! Python's `SocketHandler` for `tracing-handlers`, without its losses, and the receiving
//! end, so a Python service and a Rust service can ship logs to each other.
//!
//! - [`SocketHandler`]: a [`Handler`](tracing_handlers_core::Handler) that sends each record
//!   over TCP (or a unix stream socket) as CPython's frames (a 4-byte big-endian length and
//!   a pickle of the record dict, exactly the keys CPython sends: [`pickle::encode_frame`])
//!   or as JSON lines for Vector, Fluent Bit and Logstash ([`jsonl::encode_line`]). It
//!   reconnects on Python's schedule (1 s, doubling, at most 30 s), but unlike Python the
//!   records logged while the peer is away wait in a bounded buffer and go out on
//!   reconnect, oldest first; overflow drops and counts ([`SocketStats`]), and the caller
//!   never blocks beyond the [overflow policy](tracing_handlers_core::OverflowPolicy).
//! - [`Receiver`]: accepts CPython's `SocketHandler` (and ours) and JSON lines, and hands
//!   each record to a [`Dispatch`](tracing_handlers_core::dispatch::Dispatch) under its own
//!   logger name and level, as CPython's receiver does. The pickle reader
//!   ([`pickle::load`]) accepts only data opcodes and bounds what a frame may allocate; a
//!   bad frame closes its connection with a report.
//!
//! ```
//! use std::sync::Arc;
//! use std::time::{Duration, Instant};
//! use tracing_handlers_core::dispatch::{Dispatch, HandlerEntry, HandlerSet};
//! use tracing_handlers_core::{FieldSet, FormatHandler, Formatter, Handler, Level, MemorySink, Record};
//! use tracing_handlers_socket::{Receiver, ReceiverOptions, SocketHandler};
//!
//! // A receiver writing "LEVEL name: message" lines.
//! let sink = Arc::new(MemorySink::new());
//! let mut set = HandlerSet::new();
//! let out = set.add_handler(HandlerEntry::new("out", Arc::new(FormatHandler::new(sink.clone())
//!     .with_formatter(Formatter::percent("%(levelname)s %(name)s: %(message)s")?))));
//! set.tree.root_mut().handlers.push(out);
//! let receiver = Receiver::bind("127.0.0.1:0", Dispatch::new(set), ReceiverOptions::new())?;
//!
//! // A sender: Python's SocketHandler(host, port).
//! let handler = SocketHandler::builder("127.0.0.1", Some(receiver.local_addr().port())).build()?;
//! let fields = FieldSet::new();
//! handler.handle(&Record::new(Level::ERROR, "portal.db", "connection lost", &fields));
//! handler.shutdown(Instant::now() + Duration::from_secs(5));
//!
//! receiver.shutdown();
//! assert_eq!(sink.text(), "ERROR portal.db: connection lost\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! See the crate's README for the options and the deviations from Python.
//!
//! # Feature flags
//!
//! None.
//!
//! # Supported Rust versions
//!
//! The minimum supported Rust version is 1.85.

mod conn;
mod error;
mod handler;
pub mod jsonl;
pub mod pickle;
mod received;
mod receiver;
mod sender;
mod stats;

pub use error::SocketError;
pub use handler::{
    Protocol, SocketBuilder, SocketHandler, DEFAULT_CAPACITY_BYTES, DEFAULT_TCP_LOGGING_PORT,
};
pub use received::{ReceivedRecord, RecordError};
pub use receiver::{
    ReceiveProtocol, Receiver, ReceiverOptions, ReceiverStats, DEFAULT_EVICT_QUIET_AFTER,
    DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_FRAME_BYTES,
};
pub use sender::SENDER_THREAD_NAME;
pub use stats::SocketStats;

/// The README's code blocks, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
