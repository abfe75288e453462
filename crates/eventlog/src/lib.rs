//! Python's `NTEventLogHandler` for `tracing-handlers`: a
//! [`Handler`](tracing_handlers_core::Handler) that reports each record to the Windows Event
//! Log through `RegisterEventSourceW`/`ReportEventW`.
//!
//! - **Python's mapping** by default: event type from the record's level number (DEBUG and
//!   INFO Information, WARNING Warning, ERROR and CRITICAL Error, any other number Error;
//!   TRACE Information), event id 1, category 0, the formatted record as the single
//!   insertion string. Each is data ([`LevelMap`]) and configurable per level.
//! - **Source registration** as Python (`HKLM\SYSTEM\CurrentControlSet\Services\EventLog\
//!   <logtype>\<appname>`, `EventMessageFile`, `TypesSupported` = 7), failing softly: without
//!   administrator rights the failure is reported once and events are still reported.
//! - **Off Windows** [`EventLogBuilder::build`] returns [`EventLogError::Unsupported`]; a
//!   `logging.conf` naming `handlers.NTEventLogHandler` still loads, with a
//!   [`NullEventLog`] that reports once and drops every record, as Python does without
//!   pywin32.
//!
//! ```
//! use tracing_handlers_core::Formatter;
//! use tracing_handlers_eventlog::{EventLogError, EventLogHandler, EventType};
//!
//! let builder = EventLogHandler::builder("Portal") // the event source (Python's appname)
//!     .with_formatter(Formatter::percent("%(levelname)s %(name)s: %(message)s")?);
//! assert_eq!(builder.event_type(30), EventType::Warning);
//! assert_eq!((builder.event_id(30), builder.category(30)), (1, 0));
//! match builder.build() {
//!     // hand it to the facade: Builder::new().handler("eventlog", Level::WARNING, handler)
//!     Ok(handler) => assert_eq!(handler.describe(), "eventlog Application/Portal"),
//!     Err(EventLogError::Unsupported) => assert!(!cfg!(windows)),
//!     Err(e) => return Err(e.into()),
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The portable part (types, mapping, the UTF-16 text and its limits) and the Win32 calls
//! live in `tracing-handlers-eventlog-sys`, which builds with Rust 1.63 and is tested under
//! Wine; see the crate's README.
//!
//! # Feature flags
//!
//! None: the Windows code is selected by `#[cfg(windows)]`.
//!
//! # Supported Rust versions
//!
//! The minimum supported Rust version is 1.85 (`tracing-handlers-eventlog-sys`: 1.63).

mod builder;
mod encoder;
mod error;
mod handler;
mod null;

pub use builder::EventLogBuilder;
pub use error::EventLogError;
pub use handler::EventLogHandler;
pub use null::NullEventLog;
pub use tracing_handlers_eventlog_sys::{
    EventType, LevelMap, ParseEventTypeError, DEFAULT_CATEGORY, DEFAULT_EVENT_ID, DEFAULT_LOGTYPE,
    DEFAULT_MESSAGE_FILE, MAX_STRING_UNITS,
};

/// The README's code blocks, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
