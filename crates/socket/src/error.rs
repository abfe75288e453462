//! Construction errors.

use std::fmt;
use std::io;

/// Why a socket handler or receiver could not be built.
///
/// Runtime failures of the handler (a peer that went away, a full buffer) are never returned:
/// they go to the [reporter](tracing_handlers_core::report) and the counters of
/// [`SocketStats`](crate::SocketStats).
#[derive(Debug)]
#[non_exhaustive]
pub enum SocketError {
    /// An option value that cannot work (the text says which and why).
    InvalidOption(String),
    /// The receiver could not bind its address.
    Bind {
        /// The address as given.
        address: String,
        /// The error.
        source: io::Error,
    },
    /// A socket could not be configured.
    Io {
        /// What was being done.
        context: &'static str,
        /// The error.
        source: io::Error,
    },
    /// A thread could not be started.
    Thread(io::Error),
    /// The transport does not exist on this platform (unix sockets outside unix).
    Unsupported(&'static str),
}

impl fmt::Display for SocketError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SocketError::InvalidOption(s) => write!(f, "invalid socket handler option: {s}"),
            SocketError::Bind { address, source } => {
                write!(f, "cannot listen on {address}: {source}")
            }
            SocketError::Io { context, source } => write!(f, "{context}: {source}"),
            SocketError::Thread(e) => write!(f, "cannot start a socket thread: {e}"),
            SocketError::Unsupported(s) => write!(f, "unsupported on this platform: {s}"),
        }
    }
}

impl std::error::Error for SocketError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SocketError::Bind { source, .. } | SocketError::Io { source, .. } => Some(source),
            SocketError::Thread(e) => Some(e),
            _ => None,
        }
    }
}
