//! *When* a timed rotation happens: Python's `when`, `interval`, `atTime` and `utc`, computed
//! in a real time zone (DST-right) with `jiff`.

use std::fmt;
use std::str::FromStr;

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan, Zoned};
use tracing_handlers_rotating_file::RotatingFileError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum WhenKind {
    /// S, M, H, D: a fixed number of seconds, not aligned to the clock.
    Fixed {
        seconds: i64,
        letter: char,
    },
    Midnight,
    /// 0 = Monday.
    Weekday(u8),
}

/// Python's `when`: `S`, `M`, `H`, `D`, `MIDNIGHT` or `W0`…`W6` (0 is Monday),
/// case-insensitive.
///
/// ```
/// use tracing_handlers_timed_rotating_file::When;
///
/// let when: When = "midnight".parse()?;
/// assert_eq!(when, When::MIDNIGHT);
/// assert_eq!(when.to_string(), "MIDNIGHT");
/// assert_eq!("w0".parse::<When>()?, When::weekday(0).unwrap());
/// assert_eq!(
///     "X".parse::<When>().unwrap_err().to_string(),
///     "Invalid rollover interval specified: X"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct When(WhenKind);

impl When {
    /// `S`: every `interval` seconds.
    pub const SECOND: When = When(WhenKind::Fixed {
        seconds: 1,
        letter: 'S',
    });
    /// `M`: every `interval` minutes.
    pub const MINUTE: When = When(WhenKind::Fixed {
        seconds: 60,
        letter: 'M',
    });
    /// `H`: every `interval` hours (Python's default).
    pub const HOUR: When = When(WhenKind::Fixed {
        seconds: 3600,
        letter: 'H',
    });
    /// `D`: every `interval` × 24 hours (not aligned to midnight; see [`When::MIDNIGHT`]).
    pub const DAY: When = When(WhenKind::Fixed {
        seconds: 86400,
        letter: 'D',
    });
    /// `MIDNIGHT`: at midnight (or `atTime`), local time unless `utc`.
    pub const MIDNIGHT: When = When(WhenKind::Midnight);

    /// `W0`…`W6`: weekly, on the given weekday (0 is Monday): at the end of that day, or at
    /// `atTime` on it. `None` for a day above 6.
    pub fn weekday(day: u8) -> Option<When> {
        (day <= 6).then_some(When(WhenKind::Weekday(day)))
    }

    /// The strftime suffix of rotated names (Python's `suffix`).
    pub fn suffix_format(self) -> &'static str {
        match self.0 {
            WhenKind::Fixed { letter: 'S', .. } => "%Y-%m-%d_%H-%M-%S",
            WhenKind::Fixed { letter: 'M', .. } => "%Y-%m-%d_%H-%M",
            WhenKind::Fixed { letter: 'H', .. } => "%Y-%m-%d_%H",
            _ => "%Y-%m-%d",
        }
    }

    /// The suffix shape, `9` standing for a digit.
    fn suffix_shape(self) -> &'static str {
        match self.0 {
            WhenKind::Fixed { letter: 'S', .. } => "9999-99-99_99-99-99",
            WhenKind::Fixed { letter: 'M', .. } => "9999-99-99_99-99",
            WhenKind::Fixed { letter: 'H', .. } => "9999-99-99_99",
            _ => "9999-99-99",
        }
    }

    /// Whether `s` has the shape of this `when`'s suffix (Python's `extMatch`, exactly).
    pub(crate) fn matches_suffix(self, s: &str) -> bool {
        let shape = self.suffix_shape();
        s.len() == shape.len()
            && s.bytes().zip(shape.bytes()).all(|(c, p)| match p {
                b'9' => c.is_ascii_digit(),
                p => c == p,
            })
    }
}

impl fmt::Display for When {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            WhenKind::Fixed { letter, .. } => write!(f, "{letter}"),
            WhenKind::Midnight => f.write_str("MIDNIGHT"),
            WhenKind::Weekday(d) => write!(f, "W{d}"),
        }
    }
}

impl FromStr for When {
    type Err = RotatingFileError;

    /// Python's parsing, with Python's messages.
    fn from_str(s: &str) -> Result<When, RotatingFileError> {
        let upper = s.to_uppercase();
        let err = |message: String| RotatingFileError::When {
            value: s.to_owned(),
            message,
        };
        match upper.as_str() {
            "S" => Ok(When::SECOND),
            "M" => Ok(When::MINUTE),
            "H" => Ok(When::HOUR),
            "D" => Ok(When::DAY),
            "MIDNIGHT" => Ok(When::MIDNIGHT),
            w if w.starts_with('W') => {
                if w.len() != 2 {
                    return Err(err(format!(
                        "You must specify a day for weekly rollover from 0 to 6 (0 is Monday): {upper}"
                    )));
                }
                let c = w.as_bytes()[1];
                if !(b'0'..=b'6').contains(&c) {
                    return Err(err(format!(
                        "Invalid day specified for weekly rollover: {upper}"
                    )));
                }
                Ok(When(WhenKind::Weekday(c - b'0')))
            }
            _ => Err(err(format!("Invalid rollover interval specified: {upper}"))),
        }
    }
}

/// Parses Python's `atTime` from `HH:MM` or `HH:MM:SS` (a date is refused).
pub(crate) fn parse_at_time(value: &str) -> Result<Time, RotatingFileError> {
    let err = || RotatingFileError::AtTime {
        value: value.to_owned(),
    };
    let parts: Vec<&str> = value.trim().split(':').collect();
    if !(2..=3).contains(&parts.len())
        || parts
            .iter()
            .any(|p| p.len() != 2 || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(err());
    }
    let n = |i: usize| {
        parts
            .get(i)
            .map_or(Ok(0), |p| p.parse::<i8>().map_err(|_| err()))
    };
    Time::new(n(0)?, n(1)?, n(2)?, 0).map_err(|_| err())
}

/// A schedule: when the next rollovers are, and how rotated files are named.
#[derive(Debug, Clone)]
pub struct Schedule {
    when: When,
    interval: i64,
    at_time: Option<Time>,
    tz: TimeZone,
}

impl Schedule {
    /// A schedule for `when` × `interval` (≥ 1) in `tz`, at `at_time` (midnight and weekly
    /// only).
    pub fn new(when: When, interval: i64, at_time: Option<Time>, tz: TimeZone) -> Schedule {
        Schedule {
            when,
            interval: interval.max(1),
            at_time,
            tz,
        }
    }

    /// The `when`.
    pub fn when(&self) -> When {
        self.when
    }

    /// The time zone.
    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }

    fn zoned(&self, t: i64) -> Zoned {
        Timestamp::from_second(t)
            .unwrap_or(Timestamp::UNIX_EPOCH)
            .to_zoned(self.tz.clone())
    }

    fn at(&self, date: Date, time: Time) -> i64 {
        date.to_datetime(time)
            .to_zoned(self.tz.clone())
            .map(|z| z.timestamp().as_second())
            .unwrap_or(i64::MAX)
    }

    /// Python's `computeRollover(t)`: the next boundary after `t` (Unix seconds). For
    /// `MIDNIGHT`/`W` the wall-clock time is kept across DST changes.
    pub fn compute_rollover(&self, t: i64) -> i64 {
        match self.when.0 {
            WhenKind::Fixed { .. } => t.saturating_add(self.length()),
            WhenKind::Midnight | WhenKind::Weekday(_) => {
                let z = self.zoned(t);
                let today = z.date();
                // The day whose `atTime` (or whose end) is next.
                let (mut day, time) = match self.at_time {
                    None => (today, None),
                    Some(at) if at >= z.time() => (today, Some(at)),
                    Some(at) => (today.tomorrow().unwrap_or(today), Some(at)),
                };
                if let WhenKind::Weekday(d) = self.when.0 {
                    let current = i64::from(day.weekday().to_monday_zero_offset());
                    let wanted = i64::from(d);
                    let wait = (wanted - current).rem_euclid(7);
                    day = day.checked_add(wait.days()).unwrap_or(day);
                }
                match time {
                    Some(at) => self.at(day, at),
                    None => self.at(day.tomorrow().unwrap_or(day), Time::midnight()),
                }
            }
        }
    }

    /// The first boundary: from the existing file's mtime, otherwise from now (Python's
    /// constructor).
    pub fn first_rollover(&self, mtime: Option<i64>, now: i64) -> i64 {
        self.compute_rollover(mtime.unwrap_or(now))
    }

    /// The boundary after a rollover at `now`. `MIDNIGHT`/`W` with `interval` N roll every
    /// N days/weeks (Python 3.11 rolls every day and misnames the files, TRFH-09).
    pub fn next_rollover(&self, now: i64) -> i64 {
        let mut next = self.compute_rollover(now);
        match self.when.0 {
            WhenKind::Fixed { .. } => {
                while next <= now {
                    next = next.saturating_add(self.length());
                }
            }
            _ => {
                let step = self.calendar_step();
                if self.interval > 1 {
                    next = self.shift_days(next, (self.interval - 1).saturating_mul(step));
                }
                while next <= now && next != i64::MAX {
                    next = self.shift_days(next, self.interval.saturating_mul(step));
                }
            }
        }
        next
    }

    /// A fixed interval in seconds (saturating: Python's integers do not overflow, and a
    /// huge `interval` means "never").
    fn length(&self) -> i64 {
        match self.when.0 {
            WhenKind::Fixed { seconds, .. } => seconds.saturating_mul(self.interval),
            _ => 0,
        }
    }

    fn calendar_step(&self) -> i64 {
        match self.when.0 {
            WhenKind::Weekday(_) => 7,
            _ => 1,
        }
    }

    /// `t` moved by `days` calendar days, keeping the wall-clock time.
    /// Beyond what a date can be (a huge `interval`): `i64::MAX` forward ("never"),
    /// `i64::MIN` backward.
    fn shift_days(&self, t: i64, days: i64) -> i64 {
        jiff::Span::new()
            .try_days(days)
            .ok()
            .and_then(|span| self.zoned(t).checked_add(span).ok())
            .map_or(if days < 0 { i64::MIN } else { i64::MAX }, |z| {
                z.timestamp().as_second()
            })
    }

    /// The start of the interval that ends at `rollover_at` (Python's
    /// `rolloverAt - interval`, DST-right for `MIDNIGHT`/`W`).
    pub fn interval_start(&self, rollover_at: i64) -> i64 {
        match self.when.0 {
            WhenKind::Fixed { .. } => rollover_at.saturating_sub(self.length()),
            _ => self.shift_days(
                rollover_at,
                self.interval
                    .saturating_mul(self.calendar_step())
                    .saturating_neg(),
            ),
        }
    }

    /// The suffix of the file rotated at the boundary `rollover_at`.
    pub fn suffix(&self, rollover_at: i64) -> String {
        self.zoned(self.interval_start(rollover_at))
            .strftime(self.when.suffix_format())
            .to_string()
    }

    /// Identifies the schedule (FNV-1a of its parameters) for the shared lock-file header.
    pub(crate) fn fingerprint(&self) -> u64 {
        let text = format!(
            "{}/{}/{:?}/{}",
            self.when,
            self.interval,
            self.at_time,
            self.tz.iana_name().unwrap_or("?")
        );
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in text.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h | 1
    }
}
