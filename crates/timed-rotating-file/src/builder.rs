//! [`TimedRotatingFileSinkBuilder`]: the options of a [`TimedRotatingFileSink`].

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use jiff::civil::Time;
use jiff::tz::TimeZone;
use tracing_handlers_core::nonblocking::{NonBlocking, NonBlockingOptions};
use tracing_handlers_core::FormatHandler;
use tracing_handlers_rotating_file::engine::{non_negative_value, Engine, EngineOptions};
use tracing_handlers_rotating_file::{
    Clock, Compression, RotatingFileError, SystemClock, DEFAULT_FILE_MODE,
};

use crate::policy::Dated;
use crate::schedule::{parse_at_time, Schedule, When};
use crate::TimedRotatingFileSink;

#[derive(Debug, Clone)]
enum WhenArg {
    Text(String),
    Typed(When),
}

#[derive(Debug, Clone)]
enum AtTimeArg {
    None,
    Text(String),
    Typed(Time),
}

/// Builds a [`TimedRotatingFileSink`]; made by [`TimedRotatingFileSink::builder`].
///
/// Python's parameters first, then ours:
///
/// | option | Python | default |
/// |---|---|---|
/// | [`with_when`](Self::with_when) | `when` | `"h"` |
/// | [`with_interval`](Self::with_interval) | `interval` | `1` |
/// | [`with_backup_count`](Self::with_backup_count) | `backupCount` | `0`: keep all |
/// | [`with_delay`](Self::with_delay) | `delay` | `false` |
/// | [`with_utc`](Self::with_utc) | `utc` | `false`: local time |
/// | [`with_at_time`](Self::with_at_time) | `atTime` | none (midnight) |
/// | [`with_max_bytes`](Self::with_max_bytes) | – | `0`; also roll over by size |
/// | [`with_time_zone`](Self::with_time_zone) | – | the system's (`TZ`, `/etc/localtime`) |
/// | [`with_file_mode`](Self::with_file_mode) | – | `0o640` for new files |
/// | [`with_compression`](Self::with_compression) | – | none; [`Compression::Gzip`] in the background |
/// | [`with_max_age`](Self::with_max_age) | – | none |
/// | [`with_max_total_bytes`](Self::with_max_total_bytes) | – | none |
/// | [`with_multiprocess`](Self::with_multiprocess) | – | `true` (lock file, shared schedule) |
/// | [`with_clock`](Self::with_clock) | – | the system clock |
///
/// ```
/// use tracing_handlers_timed_rotating_file::TimedRotatingFileSink;
///
/// let dir = tempfile::tempdir()?;
/// let sink = TimedRotatingFileSink::builder(dir.path().join("app.log"))
///     .with_when("midnight")
///     .with_at_time("01:30")
///     .with_backup_count(7)
///     .build()?;
/// assert!(sink.rollover_at().is_some());
///
/// let err = TimedRotatingFileSink::builder(dir.path().join("app.log"))
///     .with_when("W7")
///     .build()
///     .unwrap_err();
/// assert_eq!(err.to_string(), "Invalid day specified for weekly rollover: W7");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct TimedRotatingFileSinkBuilder {
    path: PathBuf,
    when: WhenArg,
    interval: i64,
    backup_count: i64,
    delay: bool,
    utc: bool,
    at_time: AtTimeArg,
    max_bytes: i64,
    time_zone: Option<TimeZone>,
    file_mode: u32,
    compression: Compression,
    max_age: Option<Duration>,
    max_total_bytes: Option<i64>,
    multiprocess: bool,
    clock: Arc<dyn Clock>,
}

impl TimedRotatingFileSinkBuilder {
    pub(crate) fn new(path: impl AsRef<Path>) -> Self {
        TimedRotatingFileSinkBuilder {
            path: path.as_ref().to_owned(),
            when: WhenArg::Typed(When::HOUR),
            interval: 1,
            backup_count: 0,
            delay: false,
            utc: false,
            at_time: AtTimeArg::None,
            max_bytes: 0,
            time_zone: None,
            file_mode: DEFAULT_FILE_MODE,
            compression: Compression::None,
            max_age: None,
            max_total_bytes: None,
            multiprocess: true,
            clock: Arc::new(SystemClock),
        }
    }

    /// Python's `when`, as text (`"S"`, `"M"`, `"H"`, `"D"`, `"midnight"`, `"W0"`…`"W6"`,
    /// any case); checked by `build`, which names a bad value with Python's message.
    pub fn with_when(mut self, when: impl AsRef<str>) -> Self {
        self.when = WhenArg::Text(when.as_ref().to_owned());
        self
    }

    /// Python's `when`, typed.
    pub fn with_when_value(mut self, when: When) -> Self {
        self.when = WhenArg::Typed(when);
        self
    }

    /// Python's `interval`: how many `when` units one file covers (at least 1).
    pub fn with_interval(mut self, interval: i64) -> Self {
        self.interval = interval;
        self
    }

    /// Python's `backupCount`: keep this many rotated files (ours only; compressed ones
    /// count), 0 keeps all. Negative values are a construction error.
    pub fn with_backup_count(mut self, backup_count: i64) -> Self {
        self.backup_count = backup_count;
        self
    }

    /// Python's `delay`: open the file on the first record.
    pub fn with_delay(mut self, delay: bool) -> Self {
        self.delay = delay;
        self
    }

    /// Python's `utc`: schedule and name files in UTC instead of local time.
    pub fn with_utc(mut self, utc: bool) -> Self {
        self.utc = utc;
        self
    }

    /// Python's `atTime`, as `HH:MM` or `HH:MM:SS` (for `midnight` and `W0`…`W6`; ignored
    /// otherwise, as in Python). A date is a construction error.
    pub fn with_at_time(mut self, at_time: impl AsRef<str>) -> Self {
        self.at_time = AtTimeArg::Text(at_time.as_ref().to_owned());
        self
    }

    /// Python's `atTime`, typed.
    pub fn with_at_time_value(mut self, at_time: Time) -> Self {
        self.at_time = AtTimeArg::Typed(at_time);
        self
    }

    /// Also roll over by size, as the size handler's `maxBytes` (bytes; 0: never). A size
    /// rollover within an interval names the file `app.log.SUFFIX`, then `.1`, `.2`…
    pub fn with_max_bytes(mut self, max_bytes: i64) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// Schedule and name files in `tz` (default: the system's time zone; `utc` wins).
    pub fn with_time_zone(mut self, tz: TimeZone) -> Self {
        self.time_zone = Some(tz);
        self
    }

    /// Permission bits of new files (the log, its lock file, compressed copies).
    pub fn with_file_mode(mut self, mode: u32) -> Self {
        self.file_mode = mode;
        self
    }

    /// Compress rotated files (`app.log.2024-01-01.gz`) on a background thread.
    pub fn with_compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    /// Delete rotated files (ours only) last modified longer than `age` ago.
    pub fn with_max_age(mut self, age: Duration) -> Self {
        self.max_age = Some(age);
        self
    }

    /// Delete the oldest rotated files (ours only) while together they exceed `bytes`.
    pub fn with_max_total_bytes(mut self, bytes: i64) -> Self {
        self.max_total_bytes = Some(bytes);
        self
    }

    /// Whether several processes may write through this file (the default): the lock file
    /// holds the shared schedule, so they rotate once per boundary.
    pub fn with_multiprocess(mut self, multiprocess: bool) -> Self {
        self.multiprocess = multiprocess;
        self
    }

    /// Reads the time from `clock` (tests).
    pub fn with_clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Checks the parameters without touching the file system (what [`build`](Self::build)
    /// checks first; `tracing-handlers check` uses it).
    ///
    /// # Errors
    ///
    /// As [`build`](Self::build), but never an error of opening.
    pub fn check(&self) -> Result<(), RotatingFileError> {
        self.checked().map(|_| ())
    }

    fn checked(&self) -> Result<Checked, RotatingFileError> {
        let when = match &self.when {
            WhenArg::Text(s) => s.parse::<When>()?,
            WhenArg::Typed(w) => *w,
        };
        if self.interval < 1 {
            return Err(RotatingFileError::Interval {
                value: self.interval,
            });
        }
        let at_time = match &self.at_time {
            AtTimeArg::None => None,
            AtTimeArg::Text(s) => Some(parse_at_time(s)?),
            AtTimeArg::Typed(t) => Some(*t),
        };
        let backup_count = non_negative_value("backupCount", self.backup_count)?;
        let max_bytes = non_negative_value("maxBytes", self.max_bytes)?;
        let max_total_bytes = self
            .max_total_bytes
            .map(|v| non_negative_value("maxTotalBytes", v))
            .transpose()?;
        if self.compression == Compression::Gzip && !cfg!(feature = "gzip") {
            return Err(RotatingFileError::CompressionUnavailable);
        }
        Ok(Checked {
            when,
            at_time,
            backup_count,
            max_bytes,
            max_total_bytes,
        })
    }

    /// Checks the parameters and, unless delayed, opens the file.
    ///
    /// # Errors
    ///
    /// [`RotatingFileError::When`] (Python's message), [`RotatingFileError::Interval`],
    /// [`RotatingFileError::AtTime`], [`RotatingFileError::Negative`],
    /// [`RotatingFileError::CompressionUnavailable`], or the error of opening.
    pub fn build(self) -> Result<TimedRotatingFileSink, RotatingFileError> {
        let Checked {
            when,
            at_time,
            backup_count,
            max_bytes,
            max_total_bytes,
        } = self.checked()?;
        let tz = if self.utc {
            TimeZone::UTC
        } else {
            self.time_zone.clone().unwrap_or_else(TimeZone::system)
        };
        let path = std::path::absolute(&self.path).map_err(|source| RotatingFileError::Path {
            path: self.path.clone(),
            source,
        })?;
        let schedule = Schedule::new(when, self.interval, at_time, tz);
        let options = EngineOptions {
            path: path.clone(),
            max_bytes,
            truncate: false,
            delay: self.delay,
            file_mode: self.file_mode,
            compression: self.compression,
            max_age: self.max_age,
            max_total_bytes,
            multiprocess: self.multiprocess,
        };
        let policy = Dated {
            schedule,
            backup_count,
        };
        let engine = Engine::new(options, policy, self.clock.clone())
            .map_err(|e| RotatingFileError::from_open(&path, e))?;
        Ok(TimedRotatingFileSink { engine })
    }

    /// Builds a handler that formats records and writes them directly.
    ///
    /// # Errors
    ///
    /// As [`build`](Self::build).
    pub fn build_handler(self) -> Result<FormatHandler<TimedRotatingFileSink>, RotatingFileError> {
        Ok(FormatHandler::new(self.build()?))
    }

    /// Builds a handler in non-blocking mode (a worker thread writes batches; the rollover is
    /// still decided record by record).
    ///
    /// # Errors
    ///
    /// As [`build`](Self::build), and [`RotatingFileError::Spawn`].
    pub fn build_non_blocking(
        self,
        options: NonBlockingOptions,
    ) -> Result<FormatHandler<NonBlocking<TimedRotatingFileSink>>, RotatingFileError> {
        let sink = self.build()?;
        let path = sink.path().to_owned();
        let queued = options
            .build(sink)
            .map_err(|source| RotatingFileError::Spawn { path, source })?;
        Ok(FormatHandler::new(queued))
    }
}

/// The parameters after checking.
struct Checked {
    when: When,
    at_time: Option<Time>,
    backup_count: u64,
    max_bytes: u64,
    max_total_bytes: Option<u64>,
}
