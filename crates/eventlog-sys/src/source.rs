//! The event source: its name, log and registry key (portable), and its checks.

use std::fmt;

/// Python's default log: `Application`.
pub const DEFAULT_LOGTYPE: &str = "Application";

/// The registry key (under `HKEY_LOCAL_MACHINE`) that holds the event logs' sources.
pub const EVENTLOG_KEY: &str = r"SYSTEM\CurrentControlSet\Services\EventLog";

/// `TypesSupported` of a registered source: error | warning | information (7), as Python
/// writes it.
pub const TYPES_SUPPORTED: u32 = 7;

/// The message file registered when none is given: .NET Framework's `EventLogMessages.dll`,
/// present on every supported Windows, whose message table maps every event id (0–65535)
/// to `%1` — the event's text alone, as pywin32's `win32service.pyd` (Python's default) does
/// for id 1.
pub const DEFAULT_MESSAGE_FILE: &str =
    r"%SystemRoot%\Microsoft.NET\Framework\v4.0.30319\EventLogMessages.dll";

/// The registry key of source `appname` in log `logtype`, below `HKEY_LOCAL_MACHINE`:
/// `SYSTEM\CurrentControlSet\Services\EventLog\<logtype>\<appname>`.
///
/// ```
/// use tracing_handlers_eventlog_sys::source_key;
///
/// assert_eq!(source_key("Application", "Portal"),
///            r"SYSTEM\CurrentControlSet\Services\EventLog\Application\Portal");
/// ```
pub fn source_key(logtype: &str, appname: &str) -> String {
    format!("{}\\{}\\{}", EVENTLOG_KEY, logtype, appname)
}

/// Why a source or log name cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidName {
    /// `appname` or `logtype`.
    pub what: &'static str,
    /// The name as given.
    pub name: String,
    /// Why not.
    pub reason: &'static str,
}

impl fmt::Display for InvalidName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {} '{}': {}", self.what, self.name, self.reason)
    }
}

impl std::error::Error for InvalidName {}

/// Checks a source (`what` = `appname`) or log (`logtype`) name: not empty, no backslash
/// (it would name a registry sub-key), no NUL, at most 255 characters (a registry key
/// name's limit).
///
/// ```
/// use tracing_handlers_eventlog_sys::check_name;
///
/// assert!(check_name("appname", "Portal").is_ok());
/// assert!(check_name("appname", r"Portal\api").is_err());
/// assert!(check_name("logtype", "").is_err());
/// ```
///
/// # Errors
///
/// [`InvalidName`] saying why.
pub fn check_name(what: &'static str, name: &str) -> Result<(), InvalidName> {
    let reason = if name.is_empty() {
        Some("must not be empty")
    } else if name.contains('\\') {
        Some("must not contain a backslash")
    } else if name.contains('\0') {
        Some("must not contain NUL")
    } else if name.encode_utf16().count() > 255 {
        Some("longer than 255 characters")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(InvalidName {
            what,
            name: name.to_owned(),
            reason,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_and_names() {
        assert_eq!(
            source_key("System", "svc"),
            "SYSTEM\\CurrentControlSet\\Services\\EventLog\\System\\svc"
        );
        assert!(check_name("appname", &"a".repeat(255)).is_ok());
        let e = check_name("appname", &"a".repeat(256)).unwrap_err();
        assert_eq!(e.reason, "longer than 255 characters");
        assert_eq!(
            check_name("appname", "a\0").unwrap_err().to_string(),
            "invalid appname 'a\0': must not contain NUL"
        );
    }
}
