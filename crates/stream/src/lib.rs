//! Python's `StreamHandler` for `tracing-handlers`: records on stderr, stdout or any writer,
//! one write and one flush per record, coloured by level on a terminal.
//!
//! [`StreamSink`] is the byte destination. Put it under a
//! [`FormatHandler`](tracing_handlers_core::FormatHandler) (what the `tracing-handlers`
//! dispatch layer drives), or hand it to tracing-subscriber's `fmt` layer as a
//! [`MakeWriter`](tracing_subscriber::fmt::MakeWriter).
//!
//! ```
//! use std::io::Write;
//! use std::sync::{Arc, Mutex};
//! use tracing_handlers_core::{FieldSet, Formatter, Handler, Level, Record};
//! use tracing_handlers_stream::{ColorMode, StreamSink};
//!
//! /// A writer the example can read back.
//! #[derive(Clone, Default)]
//! struct Shared(Arc<Mutex<Vec<u8>>>);
//! impl Write for Shared {
//!     fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
//!         self.0.lock().unwrap().write(buf)
//!     }
//!     fn flush(&mut self) -> std::io::Result<()> {
//!         Ok(())
//!     }
//! }
//!
//! let out = Shared::default();
//! let handler = StreamSink::from_writer(out.clone())
//!     .with_colors(ColorMode::Always)
//!     .into_handler()
//!     .with_formatter(Formatter::percent("%(message)s")?);
//!
//! let fields = FieldSet::new();
//! handler.handle(&Record::new(Level::ERROR, "portal", "boom", &fields));
//! handler.handle(&Record::new(Level::INFO, "portal", "fine", &fields));
//! assert_eq!(*out.0.lock().unwrap(), b"\x1b[31mboom\x1b[0m\nfine\n");
//!
//! // Python's default: stderr, coloured only on a terminal.
//! let _stderr = StreamSink::stderr().into_handler();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Behaviour
//!
//! | | Python's `StreamHandler` | [`StreamSink`] |
//! |---|---|---|
//! | stream | `sys.stderr` by default | [`StreamSink::stderr`] (default), [`StreamSink::stdout`], [`StreamSink::from_writer`] |
//! | one record | one write of line + terminator, then flush | the same |
//! | terminator | `"\n"`, per instance | [`FormatHandler::with_terminator`](tracing_handlers_core::FormatHandler::with_terminator) |
//! | `close()` | leaves the stream open | shutdown only flushes |
//! | colours | none | by level on a terminal (not with `NO_COLOR` or `TERM=dumb`): [`ColorMode`], [`LevelColors`] |
//!
//! # Feature flags
//!
//! This crate has no feature flags.
//!
//! # Supported Rust versions
//!
//! The minimum supported Rust version is 1.85.

mod color;
mod sink;

pub use color::{ColorMode, LevelColors, RESET};
pub use sink::StreamSink;
