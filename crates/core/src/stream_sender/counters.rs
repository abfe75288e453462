//! The live counters of a sender and throttled drop reports.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::fork::ForkSafeMutex;

use crate::report::{report, Report, ReportKind};

// === impl StreamCounters ===

/// What a [`StreamSender`](super::StreamSender) has done so far, shared with the handler,
/// which copies them into its own statistics type.
///
/// ```
/// use std::sync::atomic::Ordering;
/// use tracing_handlers_core::stream_sender::StreamCounters;
///
/// let c = StreamCounters::default();
/// c.sent.fetch_add(1, Ordering::Relaxed);
/// assert_eq!(c.sent.load(Ordering::Relaxed), 1);
/// ```
#[derive(Debug, Default)]
pub struct StreamCounters {
    /// Messages handed to the kernel (written whole). Includes those later counted as
    /// possibly lost. A handler that also sends directly (datagrams) counts those here too.
    pub sent: AtomicU64,
    /// Messages never sent: dropped by the overflow policy, larger than the whole buffer, or
    /// still queued when the shutdown deadline passed (see [`DropReporter::dropped`]).
    pub dropped: AtomicU64,
    /// Messages the kernel had accepted but the peer had not acknowledged when the
    /// connection failed: they may or may not have arrived.
    pub possibly_lost: AtomicU64,
    /// Connection attempts (successful or not).
    pub connect_attempts: AtomicU64,
    /// Successful connections.
    pub connections: AtomicU64,
}

// === impl DropReporter ===

/// How often accumulated drops are reported at most.
const DROP_REPORT_INTERVAL: Duration = Duration::from_secs(5);

/// Counts dropped messages and reports them in batches (`N records dropped: why`), at most
/// every five seconds plus once at flush and shutdown.
///
/// ```
/// use std::sync::atomic::Ordering;
/// use tracing_handlers_core::stream_sender::{DropReporter, StreamCounters};
///
/// let counters = StreamCounters::default();
/// let drops = DropReporter::new("demo tcp 127.0.0.1:9".to_owned());
/// drops.dropped(&counters, 2, &"buffer full"); // reported: the first report is due
/// drops.dropped(&counters, 1, &"buffer full"); // counted, reported at the next flush
/// drops.report_pending();
/// assert_eq!(counters.dropped.load(Ordering::Relaxed), 3);
/// ```
#[derive(Debug)]
pub struct DropReporter {
    source: String,
    pending: AtomicU64,
    last: ForkSafeMutex<(Option<Instant>, String)>,
}

impl DropReporter {
    /// A reporter whose reports come from `source` (`syslog tcp 127.0.0.1:514`).
    pub fn new(source: String) -> Self {
        DropReporter {
            source,
            pending: AtomicU64::new(0),
            last: ForkSafeMutex::new((None, String::new())),
        }
    }

    /// Counts `n` drops for `why` in `counters`, reporting if one is due.
    pub fn dropped(&self, counters: &StreamCounters, n: u64, why: &dyn fmt::Display) {
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
    pub fn report_pending(&self) {
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
