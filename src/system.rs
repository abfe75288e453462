//! The system default: what an application logs to when no configuration file exists.

use tracing_handlers_core::{FormatHandler, Formatter, Level};

use crate::{Builder, Logger};

/// The format of the system default's records.
pub const SYSTEM_FORMAT: &str = "%(asctime)s %(levelname)s %(name)s: %(message)s";

/// The seed's default: everything at `level` and above goes to the local syslog.
///
/// Until the syslog handler lands, stderr stands in for it (the documented fallback when no
/// syslog socket exists).
///
/// ```no_run
/// let _guard = tracing_handlers::system_default(tracing_handlers::Level::INFO).init();
/// tracing::info!("to the system log");
/// ```
pub fn system_default(level: Level) -> Builder {
    let formatter = Formatter::percent(SYSTEM_FORMAT).unwrap_or_default();
    Builder::new()
        .handler(
            "system",
            Level::NOTSET,
            FormatHandler::new(StderrSink).with_formatter(formatter),
        )
        .root(Logger::new().level(level).handler("system"))
}

/// Writes records to stderr with one write each (the stand-in for syslog).
#[derive(Debug)]
struct StderrSink;

impl tracing_handlers_core::Sink for StderrSink {
    fn write_record(&self, record: &[u8], _level: Level) -> std::io::Result<()> {
        use std::io::Write as _;
        std::io::stderr().lock().write_all(record)
    }

    fn describe(&self) -> String {
        "stream stderr".to_owned()
    }
}
