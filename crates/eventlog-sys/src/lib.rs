//! The Windows Event Log below `tracing-handlers-eventlog`: what Python's `NTEventLogHandler`
//! sends, as data, and the Win32 calls that send it.
//!
//! - [`EventType`]: the Win32 event types with their numbers (Error 1, Warning 2,
//!   Information 4, …);
//! - [`LevelMap`]: one value per level, as data — [`LevelMap::event_types`] is Python's
//!   mapping (DEBUG and INFO Information, WARNING Warning, ERROR and CRITICAL Error, any other
//!   level number Error), and event ids and categories per level default to Python's 1 and 0
//!   ([`DEFAULT_EVENT_ID`], [`DEFAULT_CATEGORY`]);
//! - [`encode_message`]: the event text as `ReportEventW` takes it (UTF-16, NUL-terminated,
//!   inner NULs replaced, cut visibly at [`MAX_STRING_UNITS`]);
//! - [`source_key`] and [`check_name`]: the source's registry key and name rules;
//! - on Windows only (so absent from docs built elsewhere): `EventSource`
//!   (`RegisterEventSourceW`, `ReportEventW`, `DeregisterEventSource`) and `register_source`
//!   (Python's `AddSourceToRegistry`).
//!
//! Everything but the last item is portable and tested on every platform.
//!
//! ```
//! use tracing_handlers_eventlog_sys::{encode_message, EventType, LevelMap, MAX_STRING_UNITS};
//!
//! let types = LevelMap::event_types();
//! let ids = LevelMap::uniform(1u32);
//! let mut text = Vec::new();
//! encode_message("disk almost full", MAX_STRING_UNITS, &mut text);
//! assert_eq!((types.get(30), ids.get(30)), (EventType::Warning, 1));
//! assert_eq!(text.last(), Some(&0));
//! # #[cfg(windows)]
//! # fn report(text: &[u16]) -> std::io::Result<()> {
//! #     use tracing_handlers_eventlog_sys::EventSource;
//! // On Windows:
//! EventSource::register("Portal")?.report(EventType::Warning, 0, 1, text)?;
//! #     Ok(())
//! # }
//! ```
//!
//! # Feature flags
//!
//! None. The Win32 functions are declared by hand (`extern "system"`, linked from
//! `advapi32`): five functions do not justify `windows-sys`, and without it this crate has no
//! dependencies at all.
//!
//! # Supported Rust versions
//!
//! The minimum supported Rust version is 1.63 (Debian 12's rustc, with which the Windows
//! tests are cross-built and run under Wine; see `windows/` in the repository).

#![warn(missing_docs)]

mod event_type;
mod level_map;
mod message;
mod source;
#[cfg(windows)]
mod windows;

pub use event_type::{EventType, ParseEventTypeError};
pub use level_map::{LevelMap, DEFAULT_CATEGORY, DEFAULT_EVENT_ID};
pub use message::{encode_message, wide_z, MAX_STRING_UNITS};
pub use source::{
    check_name, source_key, InvalidName, DEFAULT_LOGTYPE, DEFAULT_MESSAGE_FILE, EVENTLOG_KEY,
    TYPES_SUPPORTED,
};
#[cfg(windows)]
pub use windows::{register_source, EventSource};
