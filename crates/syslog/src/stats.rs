//! Counters (drops are reported by core's
//! [`DropReporter`](tracing_handlers_core::stream_sender::DropReporter)).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tracing_handlers_core::stream_sender::StreamCounters;

/// What a [`SyslogHandler`](crate::SyslogHandler) has done so far.
///
/// ```
/// use tracing_handlers_syslog::SyslogStats;
/// let s = SyslogStats::default();
/// assert_eq!(s.sent + s.dropped + s.possibly_lost + s.truncated, 0);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyslogStats {
    /// Messages handed to the kernel (a datagram sent, or a stream frame written). Includes
    /// those later counted as possibly lost.
    pub sent: u64,
    /// Messages never sent: dropped by the overflow policy, by a socket that refused them
    /// (missing unix socket, full datagram queue with a dropping policy, oversized datagram),
    /// or still queued when the shutdown deadline passed.
    pub dropped: u64,
    /// Stream frames the kernel had accepted but the peer had not acknowledged when the
    /// connection failed: they may or may not have arrived.
    pub possibly_lost: u64,
    /// Messages cut to the size limit (still sent, with a visible marker).
    pub truncated: u64,
}

/// The live counters behind [`SyslogStats`]: those of the stream sender, shared with its
/// thread (and also counting datagrams), and the truncations.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) stream: Arc<StreamCounters>,
    pub(crate) truncated: AtomicU64,
}

impl Counters {
    pub(crate) fn snapshot(&self) -> SyslogStats {
        SyslogStats {
            sent: self.stream.sent.load(Ordering::Relaxed),
            dropped: self.stream.dropped.load(Ordering::Relaxed),
            possibly_lost: self.stream.possibly_lost.load(Ordering::Relaxed),
            truncated: self.truncated.load(Ordering::Relaxed),
        }
    }
}
