//! The system default: what an application logs to when no configuration file exists.

use std::path::Path;

use tracing_handlers_core::{FormatHandler, Formatter, Level};

use crate::{Builder, Logger};

/// The format of the system default's records when they go to stderr.
pub const SYSTEM_FORMAT: &str = "%(asctime)s %(levelname)s %(name)s: %(message)s";

/// The format of the message part of the system default's syslog records (after the
/// RFC 3164 header `Mmm dd hh:mm:ss program[pid]: `, which carries the time and the tag that
/// rsyslog filters on).
pub const SYSTEM_SYSLOG_FORMAT: &str = "%(levelname)s %(name)s: %(message)s";

/// The local syslog socket the system default uses.
pub const SYSTEM_SYSLOG_SOCKET: &str = "/dev/log";

/// The seed's default: everything at `level` and above goes to the local syslog
/// (`/dev/log`, facility `user`, RFC 3164 with the program's name as tag), or to stderr when
/// no syslog socket exists at startup (or the `syslog` feature is off).
///
/// A handler configured explicitly for a missing socket keeps retrying it instead; only
/// this default falls back.
///
/// ```no_run
/// let _guard = tracing_handlers::system_default(tracing_handlers::Level::INFO).init();
/// tracing::info!("to the system log");
/// ```
pub fn system_default(level: Level) -> Builder {
    system_default_at(level, SYSTEM_SYSLOG_SOCKET)
}

/// As [`system_default`], with the syslog socket at `socket` instead of `/dev/log`.
///
/// ```
/// # #[cfg(all(unix, feature = "syslog"))] {
/// use std::os::unix::net::UnixDatagram;
/// # let dir = tempfile::tempdir()?;
/// let path = dir.path().join("log.sock");
/// let syslog = UnixDatagram::bind(&path)?;
/// let guard = tracing_handlers::system_default_at(tracing_handlers::Level::INFO, &path)
///     .set_default()?;
/// tracing::warn!(target: "portal::api", "disk low");
/// drop(guard);
/// let mut buf = [0u8; 512];
/// let n = syslog.recv(&mut buf)?;
/// let text = String::from_utf8_lossy(&buf[..n]);
/// assert!(text.starts_with("<12>"));
/// assert!(text.ends_with(&format!("[{}]: WARNING portal.api: disk low", std::process::id())));
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn system_default_at(level: Level, socket: impl AsRef<Path>) -> Builder {
    let root = Logger::new().level(level).handler("system");
    #[cfg(all(unix, feature = "syslog"))]
    if socket.as_ref().exists() {
        use tracing_handlers_syslog::{MessageFormat, SyslogHandler};
        let formatter = Formatter::percent(SYSTEM_SYSLOG_FORMAT).unwrap_or_default();
        let built = SyslogHandler::builder()
            .with_address(socket.as_ref())
            .with_format(MessageFormat::Rfc3164)
            .with_formatter(formatter)
            .build();
        if let Ok(handler) = built {
            return Builder::new()
                .handler("system", Level::NOTSET, handler)
                .root(root);
        }
    }
    #[cfg(not(all(unix, feature = "syslog")))]
    let _ = socket;
    let formatter = Formatter::percent(SYSTEM_FORMAT).unwrap_or_default();
    Builder::new()
        .handler(
            "system",
            Level::NOTSET,
            FormatHandler::new(StderrSink).with_formatter(formatter),
        )
        .root(root)
}

/// Writes records to stderr with one write each (the fallback when no syslog socket exists).
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
