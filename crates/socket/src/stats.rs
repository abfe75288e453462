//! The handler's statistics (the live counters and drop reports are core's
//! [`stream_sender`](tracing_handlers_core::stream_sender)).

use std::sync::atomic::Ordering;

use tracing_handlers_core::stream_sender::StreamCounters;

/// What a [`SocketHandler`](crate::SocketHandler) has done so far.
///
/// ```
/// use tracing_handlers_socket::SocketStats;
/// let s = SocketStats::default();
/// assert_eq!(s.sent + s.dropped + s.possibly_lost + s.connect_attempts + s.connections, 0);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SocketStats {
    /// Records handed to the kernel (a frame or line written whole). Includes those later
    /// counted as possibly lost.
    pub sent: u64,
    /// Records never sent: dropped by the overflow policy (buffer full while the peer is
    /// away), larger than the whole buffer, or still queued when the shutdown deadline passed.
    pub dropped: u64,
    /// Records the kernel had accepted but the peer had not acknowledged when the connection
    /// failed: they may or may not have arrived.
    pub possibly_lost: u64,
    /// Connection attempts (successful or not).
    pub connect_attempts: u64,
    /// Successful connections.
    pub connections: u64,
}

/// The statistics of the live counters the handler shares with its sender thread.
pub(crate) fn snapshot(counters: &StreamCounters) -> SocketStats {
    SocketStats {
        sent: counters.sent.load(Ordering::Relaxed),
        dropped: counters.dropped.load(Ordering::Relaxed),
        possibly_lost: counters.possibly_lost.load(Ordering::Relaxed),
        connect_attempts: counters.connect_attempts.load(Ordering::Relaxed),
        connections: counters.connections.load(Ordering::Relaxed),
    }
}
