//! The stand-in off Windows: reports once, does nothing.

use tracing_handlers_core::report::{report, Report, ReportKind};
use tracing_handlers_core::{Handler, Record};

/// What a configuration naming the event log gets outside Windows: Python's
/// `NTEventLogHandler` without pywin32, which says once that event logging is not available
/// and then drops every record.
///
/// Creating one sends one [notice](ReportKind::Notice) to the
/// [reporter](tracing_handlers_core::report):
/// `eventlog Application/Portal: the Windows Event Log is not available on this platform;
/// this handler drops every record`.
///
/// ```
/// use tracing_handlers_core::{FieldSet, Handler, Level, Record};
/// use tracing_handlers_eventlog::NullEventLog;
///
/// let handler = NullEventLog::new("eventlog Application/Portal");
/// let fields = FieldSet::new();
/// handler.handle(&Record::new(Level::ERROR, "portal", "dropped", &fields));
/// ```
#[derive(Debug)]
pub struct NullEventLog {
    describe: String,
}

impl NullEventLog {
    /// A no-op handler named `describe` in its one report (`eventlog Application/Portal`).
    pub fn new(describe: impl Into<String>) -> Self {
        let describe = describe.into();
        report(&Report {
            source: &describe,
            kind: ReportKind::Notice,
            message: &"the Windows Event Log is not available on this platform; this handler drops every record",
        });
        NullEventLog { describe }
    }

    /// The name its report carried.
    pub fn describe(&self) -> &str {
        &self.describe
    }
}

impl Handler for NullEventLog {
    fn handle(&self, _record: &Record<'_>) {}
}
