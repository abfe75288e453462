//! The handler and its builder: Python's `SocketHandler(host, port)` plus our options.

use std::cell::RefCell;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing_handlers_core::reuse::with_reused;
use tracing_handlers_core::stream_sender::{Backoff, Growth, StreamCounters, StreamSenderConfig};
use tracing_handlers_core::{Handler, OverflowPolicy, Record};

use crate::conn::{StreamTarget, Target};
use crate::error::SocketError;
use crate::sender::{Sender, SENDER_THREAD_NAME};
use crate::stats::SocketStats;

/// Python's `logging.handlers.DEFAULT_TCP_LOGGING_PORT`.
pub const DEFAULT_TCP_LOGGING_PORT: u16 = 9020;

/// The default buffer of the sender thread: 8 MiB of encoded records.
pub const DEFAULT_CAPACITY_BYTES: usize = 8 * 1024 * 1024;

thread_local! {
    static BUF: RefCell<Vec<u8>> = RefCell::new(Vec::with_capacity(512));
}

/// What goes over the wire.
///
/// ```
/// use tracing_handlers_socket::Protocol;
/// assert_eq!("json".parse::<Protocol>().unwrap(), Protocol::JsonLines);
/// assert_eq!(Protocol::default(), Protocol::Pickle);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Protocol {
    /// CPython's frames: a 4-byte big-endian length and a pickle of the record dict
    /// ([`pickle::encode_frame`](crate::pickle::encode_frame)). Python's receivers read them.
    #[default]
    Pickle,
    /// One JSON object per line ([`jsonl::encode_line`](crate::jsonl::encode_line)), for
    /// Vector, Fluent Bit and Logstash.
    JsonLines,
}

impl FromStr for Protocol {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "pickle" => Ok(Protocol::Pickle),
            "json" | "jsonl" | "json_lines" | "json-lines" => Ok(Protocol::JsonLines),
            _ => Err(format!(
                "unknown protocol '{s}' (expected 'pickle' or 'json')"
            )),
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Protocol::Pickle => "pickle",
            Protocol::JsonLines => "json",
        })
    }
}

/// Options of a [`SocketHandler`]: Python's two parameters, then ours.
///
/// | option | default |
/// |---|---|
/// | `host` (Python `host`) | required; a unix socket path when `port` is `None` |
/// | `port` (Python `port`) | required; `None` for a unix stream socket |
/// | [`with_protocol`](Self::with_protocol) | [`Protocol::Pickle`] (CPython's frames) |
/// | [`with_capacity_bytes`](Self::with_capacity_bytes) | [`DEFAULT_CAPACITY_BYTES`] (8 MiB) |
/// | [`with_overflow_policy`](Self::with_overflow_policy) | [`OverflowPolicy::DropNewest`] |
/// | [`with_reconnect_backoff`](Self::with_reconnect_backoff) | 1 s, ×2, at most 30 s (Python's `retryStart`, `retryFactor`, `retryMax`) |
/// | [`with_connect_timeout`](Self::with_connect_timeout) | 1 s (Python's) |
/// | [`with_write_timeout`](Self::with_write_timeout) | 5 s |
/// | [`with_flush_timeout`](Self::with_flush_timeout) | 5 s |
/// | [`with_hostname`](Self::with_hostname) | the system's host name (the JSON `host` key) |
///
/// ```
/// use std::time::Duration;
/// use tracing_handlers_core::OverflowPolicy;
/// use tracing_handlers_socket::{Protocol, SocketHandler};
///
/// let handler = SocketHandler::builder("127.0.0.1", Some(9020))
///     .with_protocol(Protocol::JsonLines)
///     .with_capacity_bytes(1024 * 1024)
///     .with_overflow_policy(OverflowPolicy::DropNewest)
///     .with_reconnect_backoff(Duration::from_secs(1), 2.0, Duration::from_secs(30))
///     .build()?;
/// # drop(handler);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct SocketBuilder {
    host: String,
    port: Option<u16>,
    protocol: Protocol,
    capacity_bytes: usize,
    policy: OverflowPolicy,
    backoff: Backoff,
    connect_timeout: Duration,
    write_timeout: Duration,
    flush_timeout: Duration,
    hostname: Option<String>,
}

impl SocketBuilder {
    /// Python's `SocketHandler(host, port)`: `port` `None` makes `host` a unix socket path.
    pub fn new(host: impl Into<String>, port: Option<u16>) -> Self {
        SocketBuilder {
            host: host.into(),
            port,
            protocol: Protocol::Pickle,
            capacity_bytes: DEFAULT_CAPACITY_BYTES,
            policy: OverflowPolicy::DropNewest,
            backoff: Backoff {
                initial: Duration::from_secs(1),
                max: Duration::from_secs(30),
                growth: Growth::Factor(2.0),
            },
            connect_timeout: Duration::from_secs(1),
            write_timeout: Duration::from_secs(5),
            flush_timeout: Duration::from_secs(5),
            hostname: None,
        }
    }

    /// Pickle frames (CPython's) or JSON lines.
    pub fn with_protocol(mut self, protocol: Protocol) -> Self {
        self.protocol = protocol;
        self
    }

    /// Bounds the buffer of records waiting for the peer, in encoded bytes. The sender
    /// thread holds one more buffer of at most this size while it writes or waits to
    /// reconnect, so up to twice this much is held. A record larger than this is dropped.
    pub fn with_capacity_bytes(mut self, bytes: usize) -> Self {
        self.capacity_bytes = bytes;
        self
    }

    /// What the caller does when the buffer is full: drop and count (the default), drop
    /// below a level, or wait.
    pub fn with_overflow_policy(mut self, policy: OverflowPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Reconnect timing: after a failed connect no attempt is made for `initial`, then for
    /// `factor` times the previous wait, at most `max`; a connection that lasts starts over
    /// (one the peer drops within a second counts as failed from the second in a row).
    pub fn with_reconnect_backoff(mut self, initial: Duration, factor: f64, max: Duration) -> Self {
        self.backoff = Backoff {
            initial,
            max: max.max(initial),
            growth: Growth::Factor(factor),
        };
        self
    }

    /// How long one connect may take.
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long one write may block before the connection is given up (and its unsent
    /// records go out on the next one).
    pub fn with_write_timeout(mut self, timeout: Duration) -> Self {
        self.write_timeout = timeout;
        self
    }

    /// How long [`Handler::flush`] waits for the buffer to drain.
    pub fn with_flush_timeout(mut self, timeout: Duration) -> Self {
        self.flush_timeout = timeout;
        self
    }

    /// The `host` of JSON lines (default: the system's host name).
    pub fn with_hostname(mut self, name: impl Into<String>) -> Self {
        self.hostname = Some(name.into());
        self
    }

    /// Starts the sender thread and returns the handler. Nothing connects yet: as Python,
    /// the first record does.
    ///
    /// # Errors
    ///
    /// - [`SocketError::InvalidOption`]: an empty host or buffer, a zero timeout, a
    ///   backoff factor below 1 or not finite;
    /// - [`SocketError::Unsupported`]: a unix socket path outside unix;
    /// - [`SocketError::Thread`]: the sender thread could not start.
    pub fn build(self) -> Result<SocketHandler, SocketError> {
        if self.host.is_empty() {
            return Err(SocketError::InvalidOption("the host is empty".to_owned()));
        }
        if self.capacity_bytes == 0 {
            return Err(SocketError::InvalidOption(
                "the buffer capacity is 0".to_owned(),
            ));
        }
        if self.connect_timeout.is_zero() || self.write_timeout.is_zero() {
            return Err(SocketError::InvalidOption(
                "a zero connect or write timeout".to_owned(),
            ));
        }
        if let Growth::Factor(factor) = self.backoff.growth {
            if !(factor.is_finite() && factor >= 1.0) {
                return Err(SocketError::InvalidOption(format!(
                    "the backoff factor {factor} is not a finite number >= 1"
                )));
            }
        }
        let address = match self.port {
            Some(port) => Target::Inet {
                host: self.host,
                port,
            },
            None if cfg!(unix) => Target::Unix(PathBuf::from(self.host)),
            None => {
                return Err(SocketError::Unsupported(
                    "unix-domain sockets exist only on unix",
                ))
            }
        };
        let target = StreamTarget {
            address,
            connect_timeout: self.connect_timeout,
            write_timeout: self.write_timeout,
        };
        let counters = Arc::new(StreamCounters::default());
        let config = StreamSenderConfig {
            thread_name: SENDER_THREAD_NAME,
            capacity_bytes: self.capacity_bytes,
            policy: self.policy,
            backoff: self.backoff,
        };
        let sender =
            Sender::start(target, None, config, counters.clone()).map_err(SocketError::Thread)?;
        let hostname = match self.protocol {
            Protocol::JsonLines => self.hostname.or_else(crate::jsonl::system_hostname),
            Protocol::Pickle => None,
        };
        Ok(SocketHandler {
            sender,
            protocol: self.protocol,
            hostname,
            counters,
            flush_timeout: self.flush_timeout,
        })
    }
}

/// Python's `SocketHandler` for the dispatch layer, without its losses: each record is
/// encoded (CPython's pickle frame, or a JSON line) and queued for a sender thread that
/// connects, reconnects on Python's schedule and keeps what was logged while the peer was
/// away in a bounded buffer, sending it oldest first on reconnect. The caller never waits
/// beyond the [overflow policy](SocketBuilder::with_overflow_policy).
///
/// ```
/// use std::io::Read;
/// use tracing_handlers_core::{FieldSet, Handler, Level, Record};
/// use tracing_handlers_socket::SocketHandler;
///
/// let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
/// let port = listener.local_addr()?.port();
/// let handler = SocketHandler::builder("127.0.0.1", Some(port)).build()?;
/// let fields = FieldSet::new();
/// handler.handle(&Record::new(Level::WARNING, "portal", "disk low", &fields));
/// handler.flush();
/// let (mut peer, _) = listener.accept()?;
/// let mut len = [0u8; 4];
/// peer.read_exact(&mut len)?;
/// let mut payload = vec![0u8; u32::from_be_bytes(len) as usize];
/// peer.read_exact(&mut payload)?;
/// assert_eq!(payload[0], b'}'); // a pickled dict, as CPython's SocketHandler sends
/// assert_eq!(handler.stats().sent, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct SocketHandler {
    sender: Sender,
    protocol: Protocol,
    hostname: Option<String>,
    counters: Arc<StreamCounters>,
    flush_timeout: Duration,
}

impl SocketHandler {
    /// A builder for Python's `SocketHandler(host, port)` (`port` `None`: `host` is a unix
    /// stream socket path).
    pub fn builder(host: impl Into<String>, port: Option<u16>) -> SocketBuilder {
        SocketBuilder::new(host, port)
    }

    /// The counters so far.
    pub fn stats(&self) -> SocketStats {
        crate::stats::snapshot(&self.counters)
    }

    /// How reports name this handler (`socket tcp 127.0.0.1:9020`).
    pub fn describe(&self) -> String {
        self.sender.describe()
    }

    /// The wire protocol.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    fn send(&self, record: &Record<'_>, buf: &mut Vec<u8>) {
        buf.clear();
        match self.protocol {
            Protocol::Pickle => crate::pickle::encode_frame(record, buf),
            Protocol::JsonLines => crate::jsonl::encode_line(record, self.hostname.as_deref(), buf),
        }
        self.sender.push(&[buf], record.level);
    }
}

impl Handler for SocketHandler {
    fn handle(&self, record: &Record<'_>) {
        with_reused(
            &BUF,
            || Vec::with_capacity(512),
            |buf| self.send(record, buf),
        );
    }

    fn flush(&self) {
        self.sender
            .flush(tracing_handlers_core::shutdown::deadline_after(
                self.flush_timeout,
            ));
    }

    fn shutdown(&self, deadline: Instant) {
        self.sender.shutdown(deadline);
    }
}
