//! Python's numeric levels, with tracing's TRACE as level 5.

use std::fmt;
use std::str::FromStr;

/// A Python logging level: a number, with names for the standard ones.
///
/// The named levels are those of Python's `logging` module plus `TRACE` (5), which stands for
/// tracing's most verbose level. Any other number is a valid level too and is named as Python
/// names it: `Level 25`.
///
/// ```
/// use tracing_handlers_core::Level;
///
/// assert_eq!(Level::WARNING.number(), 30);
/// assert_eq!(Level::from_number(25).to_string(), "Level 25");
/// assert_eq!("warn".parse::<Level>().unwrap(), Level::WARNING);
/// assert!(Level::parse_python("debug").is_err()); // logging.conf names are exact
/// assert_eq!(Level::from(tracing::Level::TRACE), Level::TRACE);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Level(i32);

const NAMED: [(Level, &str); 7] = [
    (Level::CRITICAL, "CRITICAL"),
    (Level::ERROR, "ERROR"),
    (Level::WARNING, "WARNING"),
    (Level::INFO, "INFO"),
    (Level::DEBUG, "DEBUG"),
    (Level::TRACE, "TRACE"),
    (Level::NOTSET, "NOTSET"),
];

/// Aliases Python accepts when parsing names (never produced when printing).
const ALIASES: [(Level, &str); 2] = [(Level::CRITICAL, "FATAL"), (Level::WARNING, "WARN")];

impl Level {
    /// `NOTSET` (0): "inherit from the parent logger"; a handler at NOTSET passes everything.
    pub const NOTSET: Level = Level(0);
    /// `TRACE` (5): tracing's most verbose level (our extension to Python's set).
    pub const TRACE: Level = Level(5);
    /// `DEBUG` (10).
    pub const DEBUG: Level = Level(10);
    /// `INFO` (20).
    pub const INFO: Level = Level(20);
    /// `WARNING` (30), also parsed from `WARN`.
    pub const WARNING: Level = Level(30);
    /// `ERROR` (40).
    pub const ERROR: Level = Level(40);
    /// `CRITICAL` (50), also parsed from `FATAL`. Emitted with [`critical!`](crate::critical).
    pub const CRITICAL: Level = Level(50);

    /// The level with this number, named or not.
    pub const fn from_number(number: i32) -> Level {
        Level(number)
    }

    /// This level's number (`Level::ERROR.number() == 40`).
    pub const fn number(self) -> i32 {
        self.0
    }

    /// The canonical name of a named level (`WARNING`, never `WARN`), or `None` for an
    /// unnamed number.
    #[inline]
    pub fn as_str(self) -> Option<&'static str> {
        // A table indexed by number / 5, not a search of `NAMED` nor a `match` (which
        // compiles to a jump table): this runs for every formatted record, right after the
        // previous record's system call, when an indirect jump is predicted worst.
        const BY_FIFTH: [Option<&str>; 11] = [
            Some("NOTSET"),
            Some("TRACE"),
            Some("DEBUG"),
            None,
            Some("INFO"),
            None,
            Some("WARNING"),
            None,
            Some("ERROR"),
            None,
            Some("CRITICAL"),
        ];
        let n = u32::try_from(self.0).ok()?;
        if n % 5 != 0 {
            return None;
        }
        BY_FIFTH.get((n / 5) as usize).copied().flatten()
    }

    /// The named levels, most severe first: CRITICAL, ERROR, WARNING, INFO, DEBUG, TRACE,
    /// NOTSET.
    pub fn iter() -> impl Iterator<Item = Level> {
        NAMED.iter().map(|(l, _)| *l)
    }

    /// Parses a level name exactly as Python's `logging` does for `setLevel` and
    /// `logging.conf`: the names are case-sensitive (`CRITICAL FATAL ERROR WARN WARNING INFO
    /// DEBUG NOTSET`, plus our `TRACE`), and numeric strings are not names.
    ///
    /// # Errors
    ///
    /// Any other string gives an error whose message is Python's: `Unknown level: 'debug'`.
    pub fn parse_python(name: &str) -> Result<Level, ParseLevelError> {
        NAMED
            .iter()
            .chain(ALIASES.iter())
            .find(|(_, n)| *n == name)
            .map(|(l, _)| *l)
            .ok_or_else(|| ParseLevelError {
                input: name.to_owned(),
            })
    }

    /// The syslog severity (RFC 5424 numbers) for this level, as Python's `SysLogHandler`
    /// maps level names, with TRACE sent as debug: CRITICAL 2 (crit), ERROR 3 (err),
    /// WARNING 4 (warning), INFO 6 (info), DEBUG and TRACE 7 (debug), any other number 4
    /// (Python maps unknown names to warning).
    pub fn syslog_severity(self) -> u8 {
        match self {
            Level::CRITICAL => 2,
            Level::ERROR => 3,
            Level::WARNING => 4,
            Level::INFO => 6,
            Level::DEBUG | Level::TRACE => 7,
            _ => 4,
        }
    }

    /// The nearest `tracing` level at or below this one: 40 and above ERROR, 30..39 WARN,
    /// 20..29 INFO, 10..19 DEBUG, below 10 TRACE.
    pub fn to_tracing(self) -> tracing::Level {
        match self.0 {
            n if n >= 40 => tracing::Level::ERROR,
            n if n >= 30 => tracing::Level::WARN,
            n if n >= 20 => tracing::Level::INFO,
            n if n >= 10 => tracing::Level::DEBUG,
            _ => tracing::Level::TRACE,
        }
    }
}

impl From<tracing::Level> for Level {
    #[inline]
    fn from(level: tracing::Level) -> Level {
        // Counted, not matched (a match compiles to a jump table; this runs for every event).
        // `tracing` orders the more verbose level as the greater: ERROR is the least.
        const BY_VERBOSITY: [Level; 5] = [
            Level::ERROR,
            Level::WARNING,
            Level::INFO,
            Level::DEBUG,
            Level::TRACE,
        ];
        let verbosity = usize::from(level > tracing::Level::ERROR)
            + usize::from(level > tracing::Level::WARN)
            + usize::from(level > tracing::Level::INFO)
            + usize::from(level > tracing::Level::DEBUG);
        BY_VERBOSITY[verbosity]
    }
}

impl fmt::Display for Level {
    /// Python's `getLevelName`: the name, or `Level <n>` for an unnamed number.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.as_str() {
            Some(name) => f.pad(name),
            None => {
                // Padding must apply to the whole text, so format into a small stack buffer.
                let mut buf = [0u8; 24];
                let mut cursor = std::io::Cursor::new(&mut buf[..]);
                let _ = std::io::Write::write_fmt(&mut cursor, format_args!("Level {}", self.0));
                let len = cursor.position() as usize;
                f.pad(std::str::from_utf8(&buf[..len]).unwrap_or("Level ?"))
            }
        }
    }
}

impl fmt::Debug for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Level({self}={})", self.0)
    }
}

impl FromStr for Level {
    type Err = ParseLevelError;

    /// Parses a level in our APIs, TOML and the CLI: any name or alias in any case, or a
    /// number (`25`, `-1`).
    fn from_str(s: &str) -> Result<Level, ParseLevelError> {
        let trimmed = s.trim();
        if let Ok(n) = trimmed.parse::<i32>() {
            return Ok(Level(n));
        }
        NAMED
            .iter()
            .chain(ALIASES.iter())
            .find(|(_, n)| n.eq_ignore_ascii_case(trimmed))
            .map(|(l, _)| *l)
            .ok_or_else(|| ParseLevelError {
                input: s.to_owned(),
            })
    }
}

/// A string that names no level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseLevelError {
    input: String,
}

impl ParseLevelError {
    /// The text that was not a level name.
    pub fn input(&self) -> &str {
        &self.input
    }
}

impl fmt::Display for ParseLevelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Unknown level: '{}'", self.input)
    }
}

impl std::error::Error for ParseLevelError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for level in Level::iter() {
            assert_eq!(Level::parse_python(&level.to_string()).unwrap(), level);
        }
        assert_eq!(Level::parse_python("WARN").unwrap(), Level::WARNING);
        assert_eq!(Level::parse_python("FATAL").unwrap(), Level::CRITICAL);
        assert_eq!(format!("{:<9}|", Level::from_number(15)), "Level 15 |");
        assert_eq!(format!("{:>9}|", Level::INFO), "     INFO|");
    }

    #[test]
    fn tracing_levels_map_to_python_numbers() {
        for (from, to) in [
            (tracing::Level::ERROR, 40),
            (tracing::Level::WARN, 30),
            (tracing::Level::INFO, 20),
            (tracing::Level::DEBUG, 10),
            (tracing::Level::TRACE, 5),
        ] {
            assert_eq!(Level::from(from).number(), to, "{from}");
        }
    }

    #[test]
    fn only_the_named_numbers_have_names() {
        for n in -60..=120 {
            let named = NAMED.iter().find(|(l, _)| l.number() == n).map(|(_, s)| *s);
            assert_eq!(Level::from_number(n).as_str(), named, "{n}");
        }
        for n in [i32::MIN, i32::MAX, 1_000_000_000] {
            assert_eq!(Level::from_number(n).as_str(), None);
        }
    }

    #[test]
    fn case_insensitive_and_numbers_outside_logging_conf() {
        assert_eq!("debug".parse::<Level>().unwrap(), Level::DEBUG);
        assert_eq!("Fatal".parse::<Level>().unwrap(), Level::CRITICAL);
        assert_eq!("25".parse::<Level>().unwrap(), Level::from_number(25));
        assert!("verbose".parse::<Level>().is_err());
    }
}
