//! Facilities, severities and the level → severity mapping (Python's constants and names).

use std::fmt;
use std::str::FromStr;

use tracing_handlers_core::Level;

use crate::error::SyslogError;

// === impl Facility ===

/// A syslog facility: a number 0..=23 with Python's names (`SysLogHandler.facility_names`).
///
/// Parsed from Python's names (`"local0"`, `"daemon"`, exact lowercase as Python, or with a
/// `LOG_` prefix in any case as in `handlers.SysLogHandler.LOG_LOCAL0`) or from a number.
///
/// ```
/// use tracing_handlers_syslog::Facility;
///
/// assert_eq!(Facility::LOCAL0.number(), 16);
/// assert_eq!("local7".parse::<Facility>()?, Facility::LOCAL7);
/// assert_eq!("LOG_DAEMON".parse::<Facility>()?, Facility::DAEMON);
/// assert_eq!("3".parse::<Facility>()?, Facility::DAEMON);
/// assert_eq!(Facility::from_number(13)?.name(), "security");
/// assert!("Local0".parse::<Facility>().is_err()); // Python's names are exact
/// assert!(Facility::from_number(24).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Facility(u8);

/// Python's `facility_names`, indexed by number.
const FACILITY_NAMES: [&str; 24] = [
    "kern",
    "user",
    "mail",
    "daemon",
    "auth",
    "syslog",
    "lpr",
    "news",
    "uucp",
    "cron",
    "authpriv",
    "ftp",
    "ntp",
    "security",
    "console",
    "solaris-cron",
    "local0",
    "local1",
    "local2",
    "local3",
    "local4",
    "local5",
    "local6",
    "local7",
];

/// Python's `LOG_*` constant names, indexed by number.
const FACILITY_CONSTANTS: [&str; 24] = [
    "LOG_KERN",
    "LOG_USER",
    "LOG_MAIL",
    "LOG_DAEMON",
    "LOG_AUTH",
    "LOG_SYSLOG",
    "LOG_LPR",
    "LOG_NEWS",
    "LOG_UUCP",
    "LOG_CRON",
    "LOG_AUTHPRIV",
    "LOG_FTP",
    "LOG_NTP",
    "LOG_SECURITY",
    "LOG_CONSOLE",
    "LOG_SOLCRON",
    "LOG_LOCAL0",
    "LOG_LOCAL1",
    "LOG_LOCAL2",
    "LOG_LOCAL3",
    "LOG_LOCAL4",
    "LOG_LOCAL5",
    "LOG_LOCAL6",
    "LOG_LOCAL7",
];

impl Facility {
    /// `kern` (0).
    pub const KERN: Facility = Facility(0);
    /// `user` (1): Python's default.
    pub const USER: Facility = Facility(1);
    /// `mail` (2).
    pub const MAIL: Facility = Facility(2);
    /// `daemon` (3).
    pub const DAEMON: Facility = Facility(3);
    /// `auth` (4).
    pub const AUTH: Facility = Facility(4);
    /// `syslog` (5).
    pub const SYSLOG: Facility = Facility(5);
    /// `lpr` (6).
    pub const LPR: Facility = Facility(6);
    /// `news` (7).
    pub const NEWS: Facility = Facility(7);
    /// `uucp` (8).
    pub const UUCP: Facility = Facility(8);
    /// `cron` (9).
    pub const CRON: Facility = Facility(9);
    /// `authpriv` (10).
    pub const AUTHPRIV: Facility = Facility(10);
    /// `ftp` (11).
    pub const FTP: Facility = Facility(11);
    /// `ntp` (12).
    pub const NTP: Facility = Facility(12);
    /// `security` (13, RFC 5424's "log audit").
    pub const SECURITY: Facility = Facility(13);
    /// `console` (14, RFC 5424's "log alert").
    pub const CONSOLE: Facility = Facility(14);
    /// `solaris-cron` (15, RFC 5424's "clock daemon").
    pub const SOLARIS_CRON: Facility = Facility(15);
    /// `local0` (16).
    pub const LOCAL0: Facility = Facility(16);
    /// `local1` (17).
    pub const LOCAL1: Facility = Facility(17);
    /// `local2` (18).
    pub const LOCAL2: Facility = Facility(18);
    /// `local3` (19).
    pub const LOCAL3: Facility = Facility(19);
    /// `local4` (20).
    pub const LOCAL4: Facility = Facility(20);
    /// `local5` (21).
    pub const LOCAL5: Facility = Facility(21);
    /// `local6` (22).
    pub const LOCAL6: Facility = Facility(22);
    /// `local7` (23).
    pub const LOCAL7: Facility = Facility(23);

    /// The facility with this number.
    ///
    /// # Errors
    ///
    /// [`SyslogError::InvalidFacility`] for a number above 23.
    pub fn from_number(number: u32) -> Result<Facility, SyslogError> {
        if number < 24 {
            Ok(Facility(number as u8))
        } else {
            Err(SyslogError::InvalidFacility(number.to_string()))
        }
    }

    /// The number (`Facility::LOCAL0.number() == 16`).
    pub const fn number(self) -> u8 {
        self.0
    }

    /// Python's name (`local0`, `solaris-cron`).
    pub fn name(self) -> &'static str {
        FACILITY_NAMES[self.0 as usize]
    }

    /// Every facility, by number.
    pub fn iter() -> impl Iterator<Item = Facility> {
        (0..24).map(Facility)
    }
}

impl Default for Facility {
    /// `user`, Python's default.
    fn default() -> Self {
        Facility::USER
    }
}

impl fmt::Display for Facility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

impl fmt::Debug for Facility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Facility({}={})", self.name(), self.0)
    }
}

impl FromStr for Facility {
    type Err = SyslogError;

    /// Python's name (exact), a `LOG_*` constant name (any case) or a number 0..=23.
    fn from_str(s: &str) -> Result<Facility, SyslogError> {
        if let Ok(n) = s.parse::<u32>() {
            return Facility::from_number(n);
        }
        if let Some(i) = FACILITY_NAMES.iter().position(|n| *n == s) {
            return Ok(Facility(i as u8));
        }
        if let Some(i) = FACILITY_CONSTANTS
            .iter()
            .position(|n| n.eq_ignore_ascii_case(s))
        {
            return Ok(Facility(i as u8));
        }
        Err(SyslogError::InvalidFacility(s.to_owned()))
    }
}

#[cfg(unix)]
impl From<syslog::Facility> for Facility {
    /// The same facility as the `syslog` crate's constant (whose value is already shifted).
    fn from(f: syslog::Facility) -> Facility {
        Facility(((f as u32) >> 3) as u8)
    }
}

// === impl Severity ===

/// A syslog severity (RFC 5424 numbers 0..=7), with Python's priority names.
///
/// ```
/// use tracing_handlers_syslog::Severity;
///
/// assert_eq!(Severity::ERR.number(), 3);
/// assert_eq!("critical".parse::<Severity>()?, Severity::CRIT);
/// assert_eq!("warn".parse::<Severity>()?, Severity::WARNING);
/// assert_eq!(Severity::INFO.to_string(), "info");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Severity(u8);

/// Canonical names by number, then Python's aliases.
const SEVERITY_NAMES: [(&str, u8); 12] = [
    ("emerg", 0),
    ("alert", 1),
    ("crit", 2),
    ("err", 3),
    ("warning", 4),
    ("notice", 5),
    ("info", 6),
    ("debug", 7),
    ("panic", 0),
    ("critical", 2),
    ("error", 3),
    ("warn", 4),
];

impl Severity {
    /// `emerg` (0).
    pub const EMERG: Severity = Severity(0);
    /// `alert` (1).
    pub const ALERT: Severity = Severity(1);
    /// `crit` (2).
    pub const CRIT: Severity = Severity(2);
    /// `err` (3).
    pub const ERR: Severity = Severity(3);
    /// `warning` (4).
    pub const WARNING: Severity = Severity(4);
    /// `notice` (5).
    pub const NOTICE: Severity = Severity(5);
    /// `info` (6).
    pub const INFO: Severity = Severity(6);
    /// `debug` (7).
    pub const DEBUG: Severity = Severity(7);

    /// The severity with this number.
    ///
    /// # Errors
    ///
    /// [`SyslogError::InvalidSeverity`] for a number above 7.
    pub fn from_number(number: u32) -> Result<Severity, SyslogError> {
        if number < 8 {
            Ok(Severity(number as u8))
        } else {
            Err(SyslogError::InvalidSeverity(number.to_string()))
        }
    }

    /// The number (`Severity::ERR.number() == 3`).
    pub const fn number(self) -> u8 {
        self.0
    }

    /// The canonical name (`err`, never `error`).
    pub fn name(self) -> &'static str {
        SEVERITY_NAMES[self.0 as usize].0
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

impl fmt::Debug for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Severity({}={})", self.name(), self.0)
    }
}

impl FromStr for Severity {
    type Err = SyslogError;

    /// Python's priority names (`emerg panic alert crit critical err error warning warn
    /// notice info debug`, exact) or a number 0..=7.
    fn from_str(s: &str) -> Result<Severity, SyslogError> {
        if let Ok(n) = s.parse::<u32>() {
            return Severity::from_number(n);
        }
        SEVERITY_NAMES
            .iter()
            .find(|(n, _)| *n == s)
            .map(|(_, v)| Severity(*v))
            .ok_or_else(|| SyslogError::InvalidSeverity(s.to_owned()))
    }
}

/// The PRI value: `facility * 8 + severity` (Python's `encodePriority`).
///
/// ```
/// use tracing_handlers_syslog::{encode_priority, Facility, Severity};
/// assert_eq!(encode_priority(Facility::LOCAL7, Severity::DEBUG), 191);
/// assert_eq!(encode_priority(Facility::USER, Severity::WARNING), 12);
/// ```
pub fn encode_priority(facility: Facility, severity: Severity) -> u8 {
    (facility.0 << 3) | severity.0
}

// === impl SeverityMapping ===

/// Which severity each level is sent with: data, as `tracing-journald`'s `PriorityMappings`.
///
/// The default is Python's map (CRITICAL crit, ERROR err, WARNING warning, INFO info, DEBUG
/// debug), with TRACE sent as debug and any other level number as warning (Python maps
/// unknown level names to warning).
///
/// ```
/// use tracing_handlers_core::Level;
/// use tracing_handlers_syslog::{Severity, SeverityMapping};
///
/// let mut map = SeverityMapping::default();
/// assert_eq!(map.severity(Level::from_number(25)), Severity::WARNING);
/// map.info = Severity::NOTICE;
/// assert_eq!(map.severity(Level::INFO), Severity::NOTICE);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeverityMapping {
    /// For CRITICAL (50) records (default `crit`).
    pub critical: Severity,
    /// For ERROR (40) records (default `err`).
    pub error: Severity,
    /// For WARNING (30) records (default `warning`).
    pub warning: Severity,
    /// For INFO (20) records (default `info`).
    pub info: Severity,
    /// For DEBUG (10) records (default `debug`).
    pub debug: Severity,
    /// For TRACE (5) records (default `debug`).
    pub trace: Severity,
    /// For any other level number (default `warning`, as Python).
    pub other: Severity,
}

impl Default for SeverityMapping {
    fn default() -> Self {
        SeverityMapping {
            critical: Severity::CRIT,
            error: Severity::ERR,
            warning: Severity::WARNING,
            info: Severity::INFO,
            debug: Severity::DEBUG,
            trace: Severity::DEBUG,
            other: Severity::WARNING,
        }
    }
}

impl SeverityMapping {
    /// The severity for `level`.
    pub fn severity(&self, level: Level) -> Severity {
        match level {
            Level::CRITICAL => self.critical,
            Level::ERROR => self.error,
            Level::WARNING => self.warning,
            Level::INFO => self.info,
            Level::DEBUG => self.debug,
            Level::TRACE => self.trace,
            _ => self.other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_mapping_is_cores() {
        let map = SeverityMapping::default();
        for n in 0..=60 {
            let level = Level::from_number(n);
            assert_eq!(map.severity(level).number(), level.syslog_severity(), "{n}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn agrees_with_the_syslog_crate() {
        assert_eq!(
            Facility::from(syslog::Facility::LOG_LOCAL0),
            Facility::LOCAL0
        );
        assert_eq!(Facility::from(syslog::Facility::LOG_KERN), Facility::KERN);
        assert_eq!(
            Facility::from(syslog::Facility::LOG_AUDIT),
            Facility::SECURITY
        );
        assert_eq!(
            Facility::from(syslog::Facility::LOG_LOCAL7),
            Facility::LOCAL7
        );
    }

    #[test]
    fn python_encode_priority() {
        // SYS-05
        let p = |f: &str, s: &str| encode_priority(f.parse().unwrap(), s.parse().unwrap());
        assert_eq!(p("local0", "error"), 131);
        assert_eq!(p("daemon", "error"), 27);
        assert_eq!(p("local7", "error"), 187);
        assert_eq!(p("auth", "error"), 35);
        assert_eq!(p("local7", "debug"), 191);
        assert_eq!(p("1", "warning"), 12);
        for f in Facility::iter() {
            assert_eq!(f.name().parse::<Facility>().unwrap(), f);
        }
    }
}
