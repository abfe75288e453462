//! Counters and throttled drop reports.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tracing_handlers_core::report::{report, Report, ReportKind};

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

/// The live counters behind [`SocketStats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) sent: AtomicU64,
    pub(crate) dropped: AtomicU64,
    pub(crate) possibly_lost: AtomicU64,
    pub(crate) connect_attempts: AtomicU64,
    pub(crate) connections: AtomicU64,
}

impl Counters {
    pub(crate) fn snapshot(&self) -> SocketStats {
        SocketStats {
            sent: self.sent.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            possibly_lost: self.possibly_lost.load(Ordering::Relaxed),
            connect_attempts: self.connect_attempts.load(Ordering::Relaxed),
            connections: self.connections.load(Ordering::Relaxed),
        }
    }
}

/// How often accumulated drops are reported at most.
const DROP_REPORT_INTERVAL: Duration = Duration::from_secs(5);

/// Counts dropped messages and reports them in batches (`N records dropped: why`), at most
/// every five seconds plus once at flush and shutdown.
#[derive(Debug)]
pub(crate) struct DropReporter {
    source: String,
    pending: AtomicU64,
    last: Mutex<(Option<Instant>, String)>,
}

impl DropReporter {
    pub(crate) fn new(source: String) -> Self {
        DropReporter {
            source,
            pending: AtomicU64::new(0),
            last: Mutex::new((None, String::new())),
        }
    }

    /// Counts `n` drops for `why` in `counters`, reporting if one is due.
    pub(crate) fn dropped(&self, counters: &Counters, n: u64, why: &dyn fmt::Display) {
        counters.dropped.fetch_add(n, Ordering::Relaxed);
        self.pending.fetch_add(n, Ordering::Relaxed);
        let now = Instant::now();
        let Some(mut last) = self.last.try_lock() else {
            return;
        };
        let due = last
            .0
            .is_none_or(|t| now.duration_since(t) >= DROP_REPORT_INTERVAL);
        last.1.clear();
        let _ = fmt::Write::write_fmt(&mut last.1, format_args!("{why}"));
        if due {
            last.0 = Some(now);
            let why = std::mem::take(&mut last.1);
            drop(last);
            self.emit(&why);
        }
    }

    /// Reports drops not reported yet.
    pub(crate) fn report_pending(&self) {
        let why = {
            let mut last = self.last.lock();
            last.0 = Some(Instant::now());
            std::mem::take(&mut last.1)
        };
        self.emit(&why);
    }

    fn emit(&self, why: &str) {
        let records = self.pending.swap(0, Ordering::Relaxed);
        if records > 0 {
            report(&Report {
                source: &self.source,
                kind: ReportKind::Dropped { records },
                message: &why,
            });
        }
    }
}
