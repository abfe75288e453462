//! Construction errors.

use std::fmt;
use std::io;

/// Why a syslog handler could not be built.
///
/// Runtime failures (a peer that went away, a full socket) are never returned: they go to the
/// [reporter](tracing_handlers_core::report) and the counters of [`SyslogStats`](crate::SyslogStats).
#[derive(Debug)]
#[non_exhaustive]
pub enum SyslogError {
    /// A facility name or number that Python does not know (`local9`, `24`).
    InvalidFacility(String),
    /// A severity name or number outside 0..=7.
    InvalidSeverity(String),
    /// An option value that cannot work (the text says which and why).
    InvalidOption(String),
    /// The host of a network address could not be resolved.
    Resolve {
        /// `host:port` as given.
        address: String,
        /// The resolver's error.
        source: io::Error,
    },
    /// The first connection (TCP, TLS) failed and the handler was asked to fail in that case
    /// (Python's behaviour for TCP).
    Connect {
        /// The address.
        address: String,
        /// The error.
        source: io::Error,
    },
    /// A socket could not be created or configured.
    Io {
        /// What was being done.
        context: &'static str,
        /// The error.
        source: io::Error,
    },
    /// TLS setup failed: unreadable or invalid certificate or key files, or a bad server name.
    Tls(String),
    /// The transport does not exist on this platform (unix sockets outside unix).
    Unsupported(&'static str),
    /// The sender thread could not be started.
    Thread(io::Error),
}

impl fmt::Display for SyslogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SyslogError::InvalidFacility(s) => write!(f, "unknown syslog facility '{s}'"),
            SyslogError::InvalidSeverity(s) => write!(f, "unknown syslog severity '{s}'"),
            SyslogError::InvalidOption(s) => write!(f, "invalid syslog option: {s}"),
            SyslogError::Resolve { address, source } => {
                write!(f, "cannot resolve syslog address {address}: {source}")
            }
            SyslogError::Connect { address, source } => {
                write!(f, "cannot connect to syslog at {address}: {source}")
            }
            SyslogError::Io { context, source } => write!(f, "{context}: {source}"),
            SyslogError::Tls(s) => write!(f, "syslog tls setup failed: {s}"),
            SyslogError::Unsupported(s) => write!(f, "unsupported on this platform: {s}"),
            SyslogError::Thread(e) => write!(f, "cannot start the syslog sender thread: {e}"),
        }
    }
}

impl std::error::Error for SyslogError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SyslogError::Resolve { source, .. }
            | SyslogError::Connect { source, .. }
            | SyslogError::Io { source, .. } => Some(source),
            SyslogError::Thread(e) => Some(e),
            _ => None,
        }
    }
}
