//! The builder: Python's `SysLogHandler(address, facility, socktype)` plus our options.

use std::net::ToSocketAddrs;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use jiff::tz::TimeZone;
use tracing_handlers_core::report::ErrorThrottle;
use tracing_handlers_core::stream_sender::{
    Backoff, Connector, DropReporter, Growth, StreamSenderConfig,
};
use tracing_handlers_core::{Format, Formatter, OverflowPolicy};

use crate::conn::{tls_config, StreamTarget};
use crate::direct::UdpSender;
use crate::error::SyslogError;
use crate::facility::{Facility, SeverityMapping};
use crate::handler::{SyslogHandler, Transport};
use crate::message::{header_field, program_name, system_hostname, Encoder, MessageFormat};
use crate::sender::{Sender, SENDER_THREAD_NAME};
use crate::stats::Counters;
use crate::transport::{Address, Framing, SockType, TlsOptions};

/// The default size limit of one message, in bytes (rsyslog's default `maxMessageSize`).
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 8192;

/// The default buffer of the TCP/TLS sender thread: 8 MiB of framed messages.
pub const DEFAULT_CAPACITY_BYTES: usize = 8 * 1024 * 1024;

/// The default RFC 5424 SD-ID for the event's fields (32473 is the enterprise number
/// reserved for documentation, RFC 5612; set your own with
/// [`with_sd_id`](SyslogBuilder::with_sd_id)).
pub const DEFAULT_SD_ID: &str = "fields@32473";

/// Options of a [`SyslogHandler`]: Python's three parameters, then ours.
///
/// | option | default |
/// |---|---|
/// | [`with_address`](Self::with_address) (Python `address`) | `("localhost", 514)` |
/// | [`with_facility`](Self::with_facility) (Python `facility`) | `user` |
/// | [`with_socktype`](Self::with_socktype) (Python `socktype`) | unset: UDP for host/port; datagram then stream for unix paths |
/// | [`with_tls`](Self::with_tls) | off (TLS implies a stream socket) |
/// | [`with_format`](Self::with_format) | [`MessageFormat::Python`] |
/// | [`with_formatter`](Self::with_formatter) | the bare message (Python's default `Formatter`) |
/// | [`with_ident`](Self::with_ident) (Python `ident`) | empty |
/// | [`with_app_name`](Self::with_app_name) | the executable's file name |
/// | [`with_hostname`](Self::with_hostname) | the system's host name (RFC 3164: without domain; never on unix sockets) |
/// | [`with_severity_mapping`](Self::with_severity_mapping) | Python's ([`SeverityMapping::default`]) |
/// | [`with_framing`](Self::with_framing) | [`Framing::OctetCounting`] (TCP, TLS) |
/// | [`with_append_nul`](Self::with_append_nul) (Python `append_nul`) | on for the Python format on unix and UDP, off otherwise |
/// | [`with_escaped_newlines`](Self::with_escaped_newlines) | off: newlines kept |
/// | [`with_max_message_size`](Self::with_max_message_size) | [`DEFAULT_MAX_MESSAGE_SIZE`] (8192) |
/// | [`with_sd_id`](Self::with_sd_id) / [`with_msgid_field`](Self::with_msgid_field) | [`DEFAULT_SD_ID`] / `msgid` |
/// | [`with_utf8_bom`](Self::with_utf8_bom) / [`with_utc`](Self::with_utc) | on / off (RFC 5424) |
/// | [`with_capacity_bytes`](Self::with_capacity_bytes) | [`DEFAULT_CAPACITY_BYTES`] (8 MiB, TCP/TLS) |
/// | [`with_overflow_policy`](Self::with_overflow_policy) | TCP/TLS: [`OverflowPolicy::DropNewest`]; unix/UDP: [`OverflowPolicy::Block`] |
/// | [`with_reconnect_backoff`](Self::with_reconnect_backoff) | 1 s, ×2, at most 30 s (Python's SocketHandler) |
/// | [`with_connect_timeout`](Self::with_connect_timeout) | 5 s |
/// | [`with_flush_timeout`](Self::with_flush_timeout) | 5 s |
/// | [`with_connect_at_startup`](Self::with_connect_at_startup) | on: TCP/TLS `build` fails when the peer refuses (Python) |
///
/// ```
/// use tracing_handlers_core::{Formatter, OverflowPolicy};
/// use tracing_handlers_syslog::{Framing, MessageFormat, SockType, SyslogHandler};
///
/// # let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
/// # let port = listener.local_addr()?.port();
/// let handler = SyslogHandler::builder()
///     .with_address(("127.0.0.1", port))
///     .with_socktype(SockType::Stream)
///     .with_facility("local3".parse()?)
///     .with_format(MessageFormat::Rfc5424)
///     .with_app_name("portal")
///     .with_formatter(Formatter::percent("%(name)s %(message)s")?)
///     .with_framing(Framing::OctetCounting)
///     .with_overflow_policy(OverflowPolicy::DropNewest)
///     .build()?;
/// # drop(handler);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
#[must_use]
pub struct SyslogBuilder {
    address: Address,
    facility: Facility,
    socktype: Option<SockType>,
    tls: Option<TlsOptions>,
    format: MessageFormat,
    formatter: Option<Box<dyn Format>>,
    ident: String,
    app_name: Option<String>,
    hostname: Option<String>,
    severities: SeverityMapping,
    framing: Framing,
    append_nul: Option<bool>,
    escape_newlines: bool,
    max_message_size: usize,
    sd_id: String,
    msgid_field: Option<String>,
    bom: bool,
    utc: bool,
    capacity_bytes: usize,
    policy: Option<OverflowPolicy>,
    backoff: Backoff,
    connect_timeout: Duration,
    flush_timeout: Duration,
    connect_at_startup: bool,
}

impl Default for SyslogBuilder {
    fn default() -> Self {
        SyslogBuilder {
            address: Address::default(),
            facility: Facility::USER,
            socktype: None,
            tls: None,
            format: MessageFormat::Python,
            formatter: None,
            ident: String::new(),
            app_name: None,
            hostname: None,
            severities: SeverityMapping::default(),
            framing: Framing::OctetCounting,
            append_nul: None,
            escape_newlines: false,
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            sd_id: DEFAULT_SD_ID.to_owned(),
            msgid_field: Some("msgid".to_owned()),
            bom: true,
            utc: false,
            capacity_bytes: DEFAULT_CAPACITY_BYTES,
            policy: None,
            backoff: Backoff {
                initial: Duration::from_secs(1),
                max: Duration::from_secs(30),
                growth: Growth::Double,
            },
            connect_timeout: Duration::from_secs(5),
            flush_timeout: Duration::from_secs(5),
            connect_at_startup: true,
        }
    }
}

impl SyslogBuilder {
    /// Python's defaults (see the table).
    pub fn new() -> Self {
        Self::default()
    }

    /// Where to send (Python's `address`): a unix socket path (`"/dev/log"`, a `Path`) or
    /// `(host, port)`.
    pub fn with_address(mut self, address: impl Into<Address>) -> Self {
        self.address = address.into();
        self
    }

    /// The facility (Python's `facility`), for example `"local0".parse()?` or
    /// [`Facility::LOCAL0`].
    pub fn with_facility(mut self, facility: Facility) -> Self {
        self.facility = facility;
        self
    }

    /// Datagram or stream (Python's `socktype`).
    pub fn with_socktype(mut self, socktype: SockType) -> Self {
        self.socktype = Some(socktype);
        self
    }

    /// Sends over TLS (RFC 5425) to the host/port address; implies a stream socket.
    pub fn with_tls(mut self, tls: TlsOptions) -> Self {
        self.tls = Some(tls);
        self
    }

    /// The message layout.
    pub fn with_format(mut self, format: MessageFormat) -> Self {
        self.format = format;
        self
    }

    /// Formats the message part of each record (Python's `setFormatter`).
    pub fn with_formatter(mut self, formatter: impl Format + 'static) -> Self {
        self.formatter = Some(Box::new(formatter));
        self
    }

    /// As [`with_formatter`](Self::with_formatter), already boxed.
    pub fn with_boxed_formatter(mut self, formatter: Box<dyn Format>) -> Self {
        self.formatter = Some(formatter);
        self
    }

    /// Python's `ident`: text put before the formatted record in the Python format (for
    /// example `"portal[123]: "`, so rsyslog sees a tag).
    pub fn with_ident(mut self, ident: impl Into<String>) -> Self {
        self.ident = ident.into();
        self
    }

    /// The RFC 3164 TAG and RFC 5424 APP-NAME (printable ASCII, at most 48 bytes).
    pub fn with_app_name(mut self, name: impl Into<String>) -> Self {
        self.app_name = Some(name.into());
        self
    }

    /// The HOSTNAME field of RFC 3164 and RFC 5424 messages.
    pub fn with_hostname(mut self, name: impl Into<String>) -> Self {
        self.hostname = Some(name.into());
        self
    }

    /// Which severity each level gets.
    pub fn with_severity_mapping(mut self, mapping: SeverityMapping) -> Self {
        self.severities = mapping;
        self
    }

    /// How messages are delimited over TCP and TLS.
    pub fn with_framing(mut self, framing: Framing) -> Self {
        self.framing = framing;
        self
    }

    /// Whether a NUL ends each message (Python's `append_nul`).
    pub fn with_append_nul(mut self, append: bool) -> Self {
        self.append_nul = Some(append);
        self
    }

    /// Writes newlines and carriage returns in the message part as `\n` and `\r`.
    pub fn with_escaped_newlines(mut self, escape: bool) -> Self {
        self.escape_newlines = escape;
        self
    }

    /// Cuts longer messages (framing excluded) to `bytes`, ending them with
    /// `...[truncated from N bytes]` and counting them.
    pub fn with_max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes;
        self
    }

    /// The SD-ID of the RFC 5424 structured-data element holding the event's fields.
    pub fn with_sd_id(mut self, sd_id: impl Into<String>) -> Self {
        self.sd_id = sd_id.into();
        self
    }

    /// The field whose value becomes the RFC 5424 MSGID (`None`: always `-`).
    pub fn with_msgid_field(mut self, field: Option<String>) -> Self {
        self.msgid_field = field;
        self
    }

    /// Whether RFC 5424 messages start with the UTF-8 BOM (the RFC requires it for UTF-8).
    pub fn with_utf8_bom(mut self, bom: bool) -> Self {
        self.bom = bom;
        self
    }

    /// RFC 5424 timestamps in UTC (`Z`) instead of local time with offset.
    pub fn with_utc(mut self, utc: bool) -> Self {
        self.utc = utc;
        self
    }

    /// The TCP/TLS buffer, in bytes of framed messages.
    pub fn with_capacity_bytes(mut self, bytes: usize) -> Self {
        self.capacity_bytes = bytes;
        self
    }

    /// What the caller does when the buffer (TCP/TLS) or the socket (unix, UDP) is full:
    /// wait, or drop and count.
    pub fn with_overflow_policy(mut self, policy: OverflowPolicy) -> Self {
        self.policy = Some(policy);
        self
    }

    /// Reconnect timing for TCP/TLS, as the socket handler's: after a failed connect no
    /// attempt is made for `initial`, then for `factor` times the previous wait (at least 1),
    /// at most `max`; a connection that lasts starts over (one the peer drops within a second
    /// counts as failed from the second in a row). The default is 1 s, 2, 30 s.
    pub fn with_reconnect_backoff(mut self, initial: Duration, factor: f64, max: Duration) -> Self {
        self.backoff = Backoff {
            initial,
            max: max.max(initial),
            growth: Growth::Factor(factor),
        };
        self
    }

    /// How long one TCP connect and TLS handshake may take.
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long [`Handler::flush`](tracing_handlers_core::Handler::flush) waits for the
    /// TCP/TLS buffer to drain.
    pub fn with_flush_timeout(mut self, timeout: Duration) -> Self {
        self.flush_timeout = timeout;
        self
    }

    /// Whether `build` connects TCP/TLS at once and fails when it cannot (Python's TCP
    /// behaviour, the default); `false` starts anyway and keeps retrying.
    pub fn with_connect_at_startup(mut self, connect: bool) -> Self {
        self.connect_at_startup = connect;
        self
    }

    fn is_stream_inet(&self) -> bool {
        matches!(self.address, Address::Inet { .. })
            && (self.tls.is_some() || self.socktype == Some(SockType::Stream))
    }

    /// Opens the transport and returns the handler.
    ///
    /// # Errors
    ///
    /// - [`SyslogError::InvalidOption`]: TLS with a unix path or a datagram socket type, a
    ///   size limit below 64 bytes, an empty buffer, an invalid SD-ID;
    /// - [`SyslogError::Resolve`]: the host has no address;
    /// - [`SyslogError::Connect`]: TCP/TLS refused at startup (unless
    ///   [`with_connect_at_startup(false)`](Self::with_connect_at_startup));
    /// - [`SyslogError::Tls`]: unreadable certificates or keys;
    /// - [`SyslogError::Unsupported`]: a unix path outside unix;
    /// - [`SyslogError::Io`], [`SyslogError::Thread`]: the OS refused a socket or thread.
    ///
    /// A unix socket that is missing is not an error: each record retries it (Python's
    /// behaviour), and failures go to the reporter.
    pub fn build(self) -> Result<SyslogHandler, SyslogError> {
        if self.max_message_size < 64 {
            return Err(SyslogError::InvalidOption(format!(
                "max message size {} is below 64 bytes",
                self.max_message_size
            )));
        }
        if self.capacity_bytes == 0 {
            return Err(SyslogError::InvalidOption(
                "the buffer capacity is 0".to_owned(),
            ));
        }
        if self.sd_id.is_empty()
            || self.sd_id.len() > 32
            || !self
                .sd_id
                .bytes()
                .all(|b| (33..=126).contains(&b) && !matches!(b, b'=' | b']' | b'"'))
        {
            return Err(SyslogError::InvalidOption(format!(
                "'{}' is not a valid SD-ID",
                self.sd_id
            )));
        }
        if self.tls.is_some() {
            if let Address::Unix(p) = &self.address {
                return Err(SyslogError::InvalidOption(format!(
                    "tls needs a host and port, not the unix path {}",
                    p.display()
                )));
            }
            if self.socktype == Some(SockType::Dgram) {
                return Err(SyslogError::InvalidOption(
                    "tls needs a stream socket, not SOCK_DGRAM".to_owned(),
                ));
            }
        }
        let stream = self.is_stream_inet();
        let unix = matches!(self.address, Address::Unix(_));
        let policy = self.policy.unwrap_or(if stream {
            OverflowPolicy::DropNewest
        } else {
            OverflowPolicy::Block
        });
        let append_nul = self
            .append_nul
            .unwrap_or(!stream && self.format == MessageFormat::Python);
        let host = self.hostname.clone().or_else(system_hostname);
        let encoder = Encoder {
            format: self.format,
            facility: self.facility,
            severities: self.severities,
            formatter: self
                .formatter
                .unwrap_or_else(|| Box::new(Formatter::default())),
            ident: self.ident,
            app_name: header_field(self.app_name.as_deref().unwrap_or(&program_name()), 48),
            hostname_3164: if unix {
                None
            } else {
                host.as_deref()
                    .map(|h| header_field(h.split('.').next().unwrap_or(h), 255))
            },
            hostname_5424: header_field(host.as_deref().unwrap_or("-"), 255),
            sd_id: self.sd_id,
            msgid_field: self.msgid_field,
            bom: self.bom,
            utc: self.utc,
            zone: TimeZone::system(),
            escape_newlines: self.escape_newlines,
            append_nul,
            max_size: self.max_message_size,
        };
        let counters = Counters::default();
        let nonblocking = policy != OverflowPolicy::Block;
        let (transport, source) = match &self.address {
            #[cfg(unix)]
            Address::Unix(path) => {
                let (sender, _missing) =
                    crate::direct::UnixSender::new(path.clone(), self.socktype, nonblocking);
                (
                    Transport::Unix(sender),
                    format!("syslog unix {}", path.display()),
                )
            }
            #[cfg(not(unix))]
            Address::Unix(_) => {
                return Err(SyslogError::Unsupported(
                    "unix-domain syslog sockets exist only on unix",
                ))
            }
            Address::Inet { host, port } if !stream => {
                let shown = self.address.to_string();
                let addr = (host.as_str(), *port)
                    .to_socket_addrs()
                    .map_err(|source| SyslogError::Resolve {
                        address: shown.clone(),
                        source,
                    })?
                    .next()
                    .ok_or_else(|| SyslogError::Resolve {
                        address: shown.clone(),
                        source: std::io::Error::new(
                            std::io::ErrorKind::NotFound,
                            "the host name has no addresses",
                        ),
                    })?;
                let sender =
                    UdpSender::new(addr, nonblocking).map_err(|source| SyslogError::Io {
                        context: "cannot create the UDP socket",
                        source,
                    })?;
                (Transport::Udp(sender), format!("syslog udp {shown}"))
            }
            Address::Inet { host, port } => {
                let tls = match &self.tls {
                    Some(opts) => Some(tls_config(opts, host)?),
                    None => None,
                };
                let target = StreamTarget {
                    host: host.clone(),
                    port: *port,
                    tls,
                    connect_timeout: self.connect_timeout,
                    write_timeout: Duration::from_secs(30),
                };
                target.resolve().map_err(|source| SyslogError::Resolve {
                    address: self.address.to_string(),
                    source,
                })?;
                let conn = if self.connect_at_startup {
                    Some(target.connect().map_err(|source| SyslogError::Connect {
                        address: self.address.to_string(),
                        source,
                    })?)
                } else {
                    None
                };
                let config = StreamSenderConfig {
                    thread_name: SENDER_THREAD_NAME,
                    capacity_bytes: self.capacity_bytes,
                    policy,
                    backoff: self.backoff,
                };
                let sender = Sender::start(target, conn, config, counters.stream.clone())
                    .map_err(SyslogError::Thread)?;
                let source = sender.describe();
                (
                    Transport::Stream {
                        sender,
                        framing: self.framing,
                    },
                    source,
                )
            }
        };
        Ok(SyslogHandler {
            encoder,
            transport,
            counters,
            throttle: ErrorThrottle::new(source.clone()),
            drops: DropReporter::new(source),
            flush_timeout: self.flush_timeout,
            truncation_reported: AtomicBool::new(false),
        })
    }
}
