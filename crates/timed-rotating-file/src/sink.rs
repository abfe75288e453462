//! [`TimedRotatingFileSink`]: Python's TimedRotatingFileHandler destination.

use std::path::Path;
use std::time::Instant;

use tracing_handlers_rotating_file::engine::Engine;

use crate::policy::Dated;
use crate::{Schedule, TimedRotatingFileSinkBuilder};

/// A log file rotated on a schedule: Python's `TimedRotatingFileHandler` destination, as a
/// [`Sink`](tracing_handlers_core::Sink), an [`io::Write`](std::io::Write) and a [`MakeWriter`](tracing_subscriber::fmt::MakeWriter).
///
/// Before each record, the sink rolls over when the scheduled boundary has passed:
/// `app.log` becomes `app.log.SUFFIX`, named for the start of the interval it covers, and a
/// new `app.log` is opened (the active file keeps its name).
///
/// ```
/// use std::io::Write;
/// use std::time::{Duration, UNIX_EPOCH};
/// use std::sync::Arc;
/// use tracing_handlers_timed_rotating_file::{ManualClock, TimedRotatingFileSink};
///
/// let dir = tempfile::tempdir()?;
/// let clock = Arc::new(ManualClock::new(UNIX_EPOCH + Duration::from_secs(1_700_000_000)));
/// let sink = TimedRotatingFileSink::builder(dir.path().join("app.log"))
///     .with_when("M")
///     .with_utc(true)
///     .with_clock(clock.clone())
///     .build()?;
/// (&sink).write_all(b"first\n")?;
/// clock.advance(Duration::from_secs(60));
/// (&sink).write_all(b"second\n")?;
/// let rotated = dir.path().join("app.log.2023-11-14_22-13");
/// assert_eq!(std::fs::read_to_string(rotated)?, "first\n");
/// assert_eq!(std::fs::read_to_string(sink.path())?, "second\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct TimedRotatingFileSink {
    pub(crate) engine: Engine<Dated>,
}

impl TimedRotatingFileSink {
    /// A builder for a sink writing to `path`.
    pub fn builder(path: impl AsRef<Path>) -> TimedRotatingFileSinkBuilder {
        TimedRotatingFileSinkBuilder::new(path)
    }

    /// The absolute path of the active file.
    pub fn path(&self) -> &Path {
        self.engine.path()
    }

    /// The lock file beside the log (multi-process mode, once the file was opened).
    pub fn lock_path(&self) -> Option<&Path> {
        self.engine.lock_path()
    }

    /// The schedule.
    pub fn schedule(&self) -> &Schedule {
        &self.engine.policy().schedule
    }

    /// The next boundary, in Unix seconds (Python's `rolloverAt`).
    pub fn rollover_at(&self) -> Option<i64> {
        self.engine.rollover_at()
    }

    /// Whether the file is open.
    pub fn is_open(&self) -> bool {
        self.engine.is_open()
    }

    /// Closes the file; the next record opens it again.
    pub fn close(&self) {
        self.engine.close();
    }

    /// Waits until background work (compression, retention) handed over so far is done, or
    /// `deadline` passes; returns whether it is done.
    pub fn wait_background(&self, deadline: Option<Instant>) -> bool {
        self.engine.wait_background(deadline)
    }
}

tracing_handlers_rotating_file::engine_sink_impls!(TimedRotatingFileSink);
