//! The one place runtime failures inside the logging path go.
//!
//! A logging call never returns an error and never panics: a handler that cannot write hands
//! the failure to the reporter and keeps going. The default reporter writes one short line to
//! stderr (ignoring failures to do so); [`set_error_reporter`] replaces it, for example to
//! count failures in a metric. Handlers throttle their own reports with [`ErrorThrottle`], so
//! a failing disk gives one line per burst, not one per record.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::fork::{ForkSafeMutex, ForkSafeRwLock};

/// What a report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReportKind {
    /// An operation failed (the first failure of a burst, or a reminder while it lasts).
    Failure,
    /// The handler works again after `failures` failed operations.
    Recovered {
        /// How many operations failed during the burst.
        failures: u64,
    },
    /// Records were dropped on purpose (a full queue with a dropping policy).
    Dropped {
        /// How many records were dropped since the last such report.
        records: u64,
    },
    /// Anything else worth telling the operator once (a missing format field, for example).
    Notice,
}

/// One report from inside the logging path.
#[derive(Clone, Copy)]
pub struct Report<'a> {
    /// Which handler or component reports (`file /var/log/app.log`).
    pub source: &'a str,
    /// What kind of report this is.
    pub kind: ReportKind,
    /// The text: the operation and the error (`write failed: No space left on device`).
    pub message: &'a dyn fmt::Display,
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Report")
            .field("source", &self.source)
            .field("kind", &self.kind)
            .field("message", &format_args!("{}", self.message))
            .finish()
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            ReportKind::Recovered { failures } => write!(
                f,
                "{}: recovered after {} failed operation{}: {}",
                self.source,
                failures,
                if failures == 1 { "" } else { "s" },
                self.message
            ),
            ReportKind::Dropped { records } => {
                write!(
                    f,
                    "{}: {} records dropped: {}",
                    self.source, records, self.message
                )
            }
            _ => write!(f, "{}: {}", self.source, self.message),
        }
    }
}

type Reporter = Arc<dyn Fn(&Report<'_>) + Send + Sync>;

static REPORTER: ForkSafeRwLock<Option<Reporter>> = ForkSafeRwLock::const_new(None);

/// Replaces the process-wide error reporter.
///
/// The reporter should not log through `tracing` (an event it logs while a handler is failing
/// is dropped rather than handed back to that handler) and should not panic: a reporter that
/// panics is contained (the logging call still returns normally) and that report goes to the
/// [`default_reporter`] instead. It may replace itself.
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
/// use tracing_handlers_core::report::{report, set_error_reporter, Report, ReportKind};
///
/// let seen = Arc::new(AtomicUsize::new(0));
/// let counter = seen.clone();
/// set_error_reporter(move |_r: &Report<'_>| {
///     counter.fetch_add(1, Ordering::Relaxed);
/// });
/// report(&Report { source: "demo", kind: ReportKind::Notice, message: &"hello" });
/// assert_eq!(seen.load(Ordering::Relaxed), 1);
/// # tracing_handlers_core::report::reset_error_reporter();
/// ```
pub fn set_error_reporter(reporter: impl Fn(&Report<'_>) + Send + Sync + 'static) {
    *REPORTER.write() = Some(Arc::new(reporter));
}

/// Restores the default reporter (a line on stderr).
pub fn reset_error_reporter() {
    *REPORTER.write() = None;
}

/// Hands `report` to the current reporter (never panics: a panic in a replaced reporter is
/// caught, and the report then goes to the [`default_reporter`]).
pub fn report(report: &Report<'_>) {
    let reporter = REPORTER.read().clone();
    match reporter {
        Some(r) => {
            let call = std::panic::AssertUnwindSafe(|| r(report));
            if std::panic::catch_unwind(call).is_err() {
                default_reporter(report);
            }
        }
        None => default_reporter(report),
    }
}

/// Writes `[tracing-handlers] <report>` to stderr; a failure to write is ignored (never a
/// panic, unlike `eprintln!`).
pub fn default_reporter(report: &Report<'_>) {
    let line = format!("[tracing-handlers] {report}\n");
    let _ = crate::fork::write_std(crate::fork::StdStream::Stderr, line.as_bytes());
}

/// How often a failure that goes on is reported again.
const REMINDER_INTERVAL: Duration = Duration::from_secs(30);

/// Rate-limits the reports of one handler: the first failure of a burst is reported, the rest
/// are counted, a reminder follows every 30 seconds while the burst lasts, and the first
/// success after it reports the recovery with the count.
///
/// The success path costs one relaxed atomic load.
#[derive(Debug)]
pub struct ErrorThrottle {
    source: String,
    failing: AtomicBool,
    failures: AtomicU64,
    last_report: ForkSafeMutex<Option<Instant>>,
}

impl ErrorThrottle {
    /// A throttle for reports from `source` (for example `file /var/log/app.log`).
    pub fn new(source: impl Into<String>) -> Self {
        ErrorThrottle {
            source: source.into(),
            failing: AtomicBool::new(false),
            failures: AtomicU64::new(0),
            last_report: ForkSafeMutex::new(None),
        }
    }

    /// The name reports carry.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether the last operation failed.
    pub fn is_failing(&self) -> bool {
        self.failing.load(Ordering::Relaxed)
    }

    /// Records a failure; reports it if it starts a burst or a reminder is due.
    pub fn failed(&self, what: &dyn fmt::Display) {
        let n = self.failures.fetch_add(1, Ordering::Relaxed) + 1;
        let first = !self.failing.swap(true, Ordering::AcqRel);
        let now = Instant::now();
        let mut last = self.last_report.lock();
        let due = match *last {
            None => true,
            Some(t) => now.duration_since(t) >= REMINDER_INTERVAL,
        };
        if first || due {
            *last = Some(now);
            drop(last);
            if first {
                report(&Report {
                    source: &self.source,
                    kind: ReportKind::Failure,
                    message: what,
                });
            } else {
                let msg = format!("{what} (still failing; {n} failed operations so far)");
                report(&Report {
                    source: &self.source,
                    kind: ReportKind::Failure,
                    message: &msg,
                });
            }
        }
    }

    /// Records a success; reports the recovery when it ends a burst.
    #[inline]
    pub fn succeeded(&self) {
        if self.failing.load(Ordering::Relaxed) {
            self.recover();
        }
    }

    #[cold]
    fn recover(&self) {
        if self.failing.swap(false, Ordering::AcqRel) {
            let failures = self.failures.swap(0, Ordering::Relaxed);
            *self.last_report.lock() = None;
            report(&Report {
                source: &self.source,
                kind: ReportKind::Recovered { failures },
                message: &"writing again",
            });
        }
    }
}
