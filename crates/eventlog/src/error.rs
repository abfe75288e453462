//! Construction errors.

use std::fmt;
use std::io;

/// Why an event log handler could not be built.
///
/// Runtime failures (a `ReportEventW` that fails) are never returned: they go to the
/// [reporter](tracing_handlers_core::report). A source that cannot be registered in the
/// registry is reported too, not returned: the handler still reports events.
#[derive(Debug)]
#[non_exhaustive]
pub enum EventLogError {
    /// The Windows Event Log exists only on Windows. A `logging.conf` that names the handler
    /// still loads elsewhere, with [`NullEventLog`](crate::NullEventLog) in its place.
    Unsupported,
    /// An `appname` or `logtype` that cannot name a registry key (empty, with a backslash or
    /// NUL, too long).
    InvalidName(tracing_handlers_eventlog_sys::InvalidName),
    /// `RegisterEventSourceW` failed.
    Open {
        /// The source name (`appname`).
        appname: String,
        /// The OS error.
        source: io::Error,
    },
}

impl fmt::Display for EventLogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventLogError::Unsupported => {
                f.write_str("the Windows Event Log is not available on this platform")
            }
            EventLogError::InvalidName(e) => write!(f, "{e}"),
            EventLogError::Open { appname, source } => {
                write!(f, "cannot open the event source '{appname}': {source}")
            }
        }
    }
}

impl std::error::Error for EventLogError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            EventLogError::InvalidName(e) => Some(e),
            EventLogError::Open { source, .. } => Some(source),
            EventLogError::Unsupported => None,
        }
    }
}
