//! The Win32 event types, with their numbers.

use std::fmt;
use std::str::FromStr;

/// A Windows event type (`wType` of `ReportEventW`), with the Win32 numbers
/// (`EVENTLOG_ERROR_TYPE` = 1 and so on).
///
/// ```
/// use tracing_handlers_eventlog_sys::EventType;
///
/// assert_eq!(EventType::Warning.number(), 2);
/// assert_eq!(EventType::from_number(4), Some(EventType::Information));
/// assert_eq!("EVENTLOG_ERROR_TYPE".parse::<EventType>(), Ok(EventType::Error));
/// assert_eq!("information".parse::<EventType>(), Ok(EventType::Information));
/// assert_eq!(EventType::AuditFailure.to_string(), "audit_failure");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    /// `EVENTLOG_SUCCESS` (0).
    Success,
    /// `EVENTLOG_ERROR_TYPE` (1): Python's type for ERROR, CRITICAL and unknown levels.
    Error,
    /// `EVENTLOG_WARNING_TYPE` (2): Python's type for WARNING.
    Warning,
    /// `EVENTLOG_INFORMATION_TYPE` (4): Python's type for DEBUG and INFO.
    Information,
    /// `EVENTLOG_AUDIT_SUCCESS` (8).
    AuditSuccess,
    /// `EVENTLOG_AUDIT_FAILURE` (16).
    AuditFailure,
}

const ALL: [(EventType, u16, &str); 6] = [
    (EventType::Success, 0, "success"),
    (EventType::Error, 1, "error"),
    (EventType::Warning, 2, "warning"),
    (EventType::Information, 4, "information"),
    (EventType::AuditSuccess, 8, "audit_success"),
    (EventType::AuditFailure, 16, "audit_failure"),
];

impl EventType {
    /// The Win32 number (`wType`).
    pub fn number(self) -> u16 {
        ALL.iter()
            .find(|(t, _, _)| *t == self)
            .map(|(_, n, _)| *n)
            .unwrap_or(1)
    }

    /// The type with this Win32 number, if there is one.
    pub fn from_number(number: u16) -> Option<EventType> {
        ALL.iter()
            .find(|(_, n, _)| *n == number)
            .map(|(t, _, _)| *t)
    }

    /// The lowercase name (`error`, `audit_success`), as [`Display`](fmt::Display) prints it
    /// and [`FromStr`] reads it.
    pub fn as_str(self) -> &'static str {
        ALL.iter()
            .find(|(t, _, _)| *t == self)
            .map(|(_, _, s)| *s)
            .unwrap_or("error")
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for EventType {
    type Err = ParseEventTypeError;

    /// Reads a name in any case, with or without Win32's decoration: `error`, `Warning`,
    /// `info`/`information`, `success`, `audit_success`, `audit_failure`,
    /// `EVENTLOG_ERROR_TYPE`, `EVENTLOG_AUDIT_SUCCESS`; or a Win32 number (`4`).
    fn from_str(s: &str) -> Result<EventType, ParseEventTypeError> {
        let trimmed = s.trim();
        if let Ok(n) = trimmed.parse::<u16>() {
            return EventType::from_number(n).ok_or_else(|| ParseEventTypeError(s.to_owned()));
        }
        let lower = trimmed.to_ascii_lowercase();
        let name = lower.strip_prefix("eventlog_").unwrap_or(&lower);
        let name = name.strip_suffix("_type").unwrap_or(name);
        let name = if name == "info" { "information" } else { name };
        ALL.iter()
            .find(|(_, _, n)| *n == name)
            .map(|(t, _, _)| *t)
            .ok_or_else(|| ParseEventTypeError(s.to_owned()))
    }
}

/// A string that names no event type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseEventTypeError(String);

impl fmt::Display for ParseEventTypeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown event type '{}' (expected error, warning, information, success, audit_success or audit_failure)",
            self.0
        )
    }
}

impl std::error::Error for ParseEventTypeError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn win32_numbers() {
        let numbers: Vec<(u16, EventType)> = ALL.iter().map(|(t, n, _)| (*n, *t)).collect();
        assert_eq!(
            numbers,
            vec![
                (0, EventType::Success),
                (1, EventType::Error),
                (2, EventType::Warning),
                (4, EventType::Information),
                (8, EventType::AuditSuccess),
                (16, EventType::AuditFailure),
            ]
        );
        for (t, n, name) in ALL.iter() {
            assert_eq!(t.number(), *n);
            assert_eq!(EventType::from_number(*n), Some(*t));
            assert_eq!(name.parse::<EventType>(), Ok(*t));
            assert_eq!(n.to_string().parse::<EventType>(), Ok(*t));
        }
        assert_eq!(EventType::from_number(3), None);
    }

    #[test]
    fn names_with_win32_decoration() {
        assert_eq!("EVENTLOG_WARNING_TYPE".parse(), Ok(EventType::Warning));
        assert_eq!(
            "EVENTLOG_INFORMATION_TYPE".parse(),
            Ok(EventType::Information)
        );
        assert_eq!(
            "EVENTLOG_AUDIT_FAILURE".parse(),
            Ok(EventType::AuditFailure)
        );
        assert_eq!(" Info ".parse(), Ok(EventType::Information));
        assert!("critical".parse::<EventType>().is_err());
        assert!("3".parse::<EventType>().is_err());
    }
}
