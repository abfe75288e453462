//! The core of `tracing-handlers`: Python's logging model for `tracing`.
//!
//! This crate holds what every handler shares:
//!
//! - [`Level`]: Python's numeric levels (CRITICAL 50 … NOTSET 0, plus TRACE 5), and the
//!   [`critical!`] macro for the level `tracing` lacks;
//! - [`LoggerTree`]: dotted logger names, effective levels and propagation, exactly as
//!   Python's `logging` dispatches;
//! - [`Record`]: the record handlers receive (Python's `LogRecord` attributes);
//! - [`format`](mod@format): Python's `%`, `{` and `$` format styles and a JSON formatter;
//! - [`Handler`] and [`Sink`]: what receives records and formatted bytes;
//! - [`nonblocking`]: [`NonBlocking`], a sink that queues records and writes them in batches
//!   from a worker thread;
//! - [`report`]: the one place runtime failures go;
//! - [`stream_sender`]: for handler authors, the sender thread of stream transports (a
//!   bounded queue, reconnect with backoff, possibly-lost accounting) that the syslog and
//!   socket handlers share;
//!
//! Most applications use the `tracing-handlers` facade and its builder rather than this
//! crate directly. Underneath, a handler set is a logger tree plus handlers, and its
//! [`Dispatch`](dispatch::Dispatch) routes records as Python's `Logger.handle` does, from
//! `tracing` events through its layer or from other sources directly:
//!
//! ```
//! use std::sync::Arc;
//! use tracing_handlers_core::dispatch::{Dispatch, HandlerEntry, HandlerSet};
//! use tracing_handlers_core::{FieldSet, FormatHandler, Formatter, Level, MemorySink, Record};
//! use tracing_subscriber::layer::SubscriberExt;
//!
//! let sink = Arc::new(MemorySink::new());
//! let handler = FormatHandler::new(sink.clone())
//!     .with_formatter(Formatter::percent("%(levelname)s:%(name)s:%(message)s")?);
//! let mut set = HandlerSet::new();
//! let memory = set.add_handler(HandlerEntry::new("memory", Arc::new(handler)));
//! set.tree.root_mut().handlers.push(memory); // the root logger stays at WARNING
//! set.tree.logger_mut("portal").level = Level::DEBUG;
//! let dispatch = Dispatch::new(set);
//!
//! let subscriber = tracing_subscriber::registry().with(dispatch.layer());
//! tracing::subscriber::with_default(subscriber, || {
//!     tracing::debug!(target: "portal::api", "kept: portal is at DEBUG");
//!     tracing::info!(target: "billing", "dropped: root is at WARNING");
//! });
//! let fields = FieldSet::new();
//! dispatch.dispatch(&Record::new(Level::ERROR, "billing", "from elsewhere", &fields));
//! assert_eq!(
//!     sink.text(),
//!     "DEBUG:portal.api:kept: portal is at DEBUG\nERROR:billing:from elsewhere\n"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Supported Rust versions
//!
//! The minimum supported Rust version is 1.85.

mod level;
mod pyfloat;
mod record;
mod tree;

pub mod dispatch;
pub mod fork;
pub mod format;
pub mod handler;
pub mod nonblocking;
pub mod report;
pub mod reuse;
pub mod shutdown;
pub mod stream_sender;
mod sync;
pub mod write;

pub use format::{Format, FormatError, Formatter, JsonFormatter, Style};
pub use handler::{FormatHandler, Handler, MemorySink, Sink};
pub use level::{Level, ParseLevelError};
pub use nonblocking::{NonBlocking, NonBlockingOptions, OverflowPolicy};
pub use record::{
    current_thread, process_id, relative_created_ms, start_time, system_time_from_secs_f64,
    with_current_thread, FieldSet, Record, ThreadIdentity, Value,
};
pub use tree::{
    is_under, logger_name, parent_name, LoggerConfig, LoggerTree, NameFilter, Route, ROOT,
};

#[doc(hidden)]
pub use tracing as __tracing;

/// The field that marks an event from [`critical!`] as CRITICAL (level 50).
pub const CRITICAL_FIELD: &str = "__critical";

/// Emits a CRITICAL event: a `tracing` ERROR event carrying the [`CRITICAL_FIELD`] marker,
/// which every handler of this workspace treats as level 50 (`levelname` `CRITICAL`, syslog
/// `crit`, event-log Error). Other layers see an ERROR event with a `__critical = true` field.
///
/// Takes the same forms as `tracing::error!`.
///
/// ```
/// use tracing_handlers_core::critical;
/// critical!("database unreachable");
/// critical!(target: "portal::db", retries = 3, "database unreachable after {} tries", 3);
/// ```
#[macro_export]
macro_rules! critical {
    (target: $target:expr, parent: $parent:expr, $($arg:tt)+) => {
        $crate::__tracing::event!(target: $target, parent: $parent, $crate::__tracing::Level::ERROR, __critical = true, $($arg)+)
    };
    (target: $target:expr, $($arg:tt)+) => {
        $crate::__tracing::event!(target: $target, $crate::__tracing::Level::ERROR, __critical = true, $($arg)+)
    };
    (parent: $parent:expr, $($arg:tt)+) => {
        $crate::__tracing::event!(parent: $parent, $crate::__tracing::Level::ERROR, __critical = true, $($arg)+)
    };
    ($($arg:tt)+) => {
        $crate::__tracing::event!($crate::__tracing::Level::ERROR, __critical = true, $($arg)+)
    };
}
