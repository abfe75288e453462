//! The handler: encode each record, hand it to the transport.

use std::cell::RefCell;
use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tracing_handlers_core::report::{report, ErrorThrottle, Report, ReportKind};
use tracing_handlers_core::reuse::with_reused;
use tracing_handlers_core::stream_sender::DropReporter;
use tracing_handlers_core::{Handler, Record};

use crate::builder::SyslogBuilder;
#[cfg(unix)]
use crate::direct::UnixSender;
use crate::direct::{Outcome, UdpSender};
use crate::message::Encoder;
use crate::sender::Sender;
use crate::stats::{Counters, SyslogStats};
use crate::transport::Framing;

thread_local! {
    static BUF: RefCell<Vec<u8>> = RefCell::new(Vec::with_capacity(512));
}

#[derive(Debug)]
pub(crate) enum Transport {
    #[cfg(unix)]
    Unix(UnixSender),
    Udp(UdpSender),
    Stream {
        sender: Sender,
        framing: Framing,
    },
}

/// Python's `SysLogHandler` for the dispatch layer: formats each record with its
/// [`Format`](tracing_handlers_core::Format), adds the syslog header, and sends it over a unix
/// socket, UDP, TCP or TLS. Build one with [`SyslogHandler::builder`].
///
/// Unix sockets and UDP send on the caller's thread (one datagram per record, as Python);
/// TCP and TLS go through a sender thread with a bounded buffer, so the caller never waits
/// beyond the [overflow policy](SyslogBuilder::with_overflow_policy).
///
/// ```
/// # use std::os::unix::net::UnixDatagram;
/// use tracing_handlers_core::{FieldSet, Handler, Level, Record};
/// use tracing_handlers_syslog::{Facility, SyslogHandler};
///
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("log.sock");
/// let receiver = UnixDatagram::bind(&path)?;
/// let handler = SyslogHandler::builder()
///     .with_address(path.as_path())
///     .with_facility(Facility::LOCAL0)
///     .with_ident("portal: ")
///     .build()?;
/// let fields = FieldSet::new();
/// handler.handle(&Record::new(Level::ERROR, "portal.db", "connection lost", &fields));
/// let mut buf = [0u8; 256];
/// let n = receiver.recv(&mut buf)?;
/// assert_eq!(&buf[..n], b"<131>portal: connection lost\0");
/// assert_eq!(handler.stats().sent, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct SyslogHandler {
    pub(crate) encoder: Encoder,
    pub(crate) transport: Transport,
    pub(crate) counters: Counters,
    pub(crate) throttle: ErrorThrottle,
    pub(crate) drops: DropReporter,
    pub(crate) flush_timeout: Duration,
    pub(crate) truncation_reported: AtomicBool,
}

impl SyslogHandler {
    /// A builder with Python's defaults (UDP to `localhost:514`, facility `user`).
    pub fn builder() -> SyslogBuilder {
        SyslogBuilder::new()
    }

    /// The counters so far.
    pub fn stats(&self) -> SyslogStats {
        self.counters.snapshot()
    }

    /// How reports name this handler (`syslog unix /dev/log`, `syslog tcp 10.0.0.5:514`).
    pub fn describe(&self) -> &str {
        self.throttle.source()
    }

    /// Whether a unix socket is connected now (always true for other transports).
    pub fn is_connected(&self) -> bool {
        match &self.transport {
            #[cfg(unix)]
            Transport::Unix(u) => u.is_connected(),
            _ => true,
        }
    }

    fn send(&self, record: &Record<'_>, buf: &mut Vec<u8>) {
        buf.clear();
        let encoded = self.encoder.encode(record, buf);
        if let Some(size) = encoded.truncated_from {
            self.counters.truncated.fetch_add(1, Ordering::Relaxed);
            if !self.truncation_reported.swap(true, Ordering::Relaxed) {
                let msg = format!(
                    "a {size}-byte message was cut to the limit of {} bytes (reported once; see the truncated counter)",
                    self.encoder.max_size
                );
                report(&Report {
                    source: self.throttle.source(),
                    kind: ReportKind::Notice,
                    message: &msg,
                });
            }
        }
        let outcome = match &self.transport {
            #[cfg(unix)]
            Transport::Unix(u) => u.send(buf),
            Transport::Udp(u) => u.send(buf),
            Transport::Stream { sender, framing } => {
                match framing {
                    Framing::OctetCounting => {
                        let mut prefix = [0u8; 24];
                        let mut cursor = std::io::Cursor::new(&mut prefix[..]);
                        let _ = write!(cursor, "{} ", buf.len());
                        let n = cursor.position() as usize;
                        sender.push(&[&prefix[..n], buf], record.level);
                    }
                    Framing::Lf => sender.push(&[buf, b"\n"], record.level),
                    Framing::Nul => sender.push(&[buf, b"\0"], record.level),
                }
                return;
            }
        };
        match outcome {
            Outcome::Sent => {
                self.counters.stream.sent.fetch_add(1, Ordering::Relaxed);
                self.throttle.succeeded();
            }
            Outcome::WouldBlock => {
                self.drops.dropped(
                    &self.counters.stream,
                    1,
                    &"socket buffer full (dropping policy)",
                );
            }
            Outcome::Failed(e) => {
                self.counters.stream.dropped.fetch_add(1, Ordering::Relaxed);
                self.throttle.failed(&format_args!("send failed: {e}"));
            }
        }
    }
}

impl Handler for SyslogHandler {
    fn handle(&self, record: &Record<'_>) {
        with_reused(
            &BUF,
            || Vec::with_capacity(512),
            |buf| self.send(record, buf),
        );
    }

    fn flush(&self) {
        let deadline = tracing_handlers_core::shutdown::deadline_after(self.flush_timeout);
        match &self.transport {
            Transport::Stream { sender, .. } => sender.flush(deadline),
            #[cfg(unix)]
            Transport::Unix(u) => u.flush(deadline),
            Transport::Udp(_) => {}
        }
        self.drops.report_pending();
    }

    fn shutdown(&self, deadline: Instant) {
        match &self.transport {
            Transport::Stream { sender, .. } => sender.shutdown(deadline),
            #[cfg(unix)]
            Transport::Unix(u) => u.flush(deadline),
            Transport::Udp(_) => {}
        }
        self.drops.report_pending();
    }

    fn needs_spans(&self) -> bool {
        self.encoder.formatter.needs_spans()
    }
}
