//! Addresses, socket types, framing and TLS options: where and how messages travel.

use std::fmt;
use std::path::PathBuf;

/// Python's default syslog port, for UDP and TCP (`SYSLOG_UDP_PORT`, `SYSLOG_TCP_PORT`).
pub const SYSLOG_PORT: u16 = 514;

/// The RFC 5425 port for syslog over TLS.
pub const SYSLOG_TLS_PORT: u16 = 6514;

/// The local syslog socket on Linux and most unixes.
pub const DEV_LOG: &str = "/dev/log";

/// Where messages go: Python's `address` argument.
///
/// ```
/// use tracing_handlers_syslog::Address;
/// assert_eq!(Address::default(), Address::inet("localhost", 514));
/// assert_eq!(Address::from("/dev/log"), Address::unix("/dev/log"));
/// assert_eq!(Address::from(("10.0.0.5", 514)).to_string(), "10.0.0.5:514");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Address {
    /// A unix-domain socket path (Python's string address, such as `/dev/log`).
    Unix(PathBuf),
    /// A host and port (Python's `(host, port)` tuple).
    Inet {
        /// Host name or IP address.
        host: String,
        /// Port.
        port: u16,
    },
}

impl Address {
    /// A unix-domain socket at `path`.
    pub fn unix(path: impl Into<PathBuf>) -> Address {
        Address::Unix(path.into())
    }

    /// `host:port`.
    pub fn inet(host: impl Into<String>, port: u16) -> Address {
        Address::Inet {
            host: host.into(),
            port,
        }
    }
}

impl Default for Address {
    /// Python's default: `('localhost', 514)`.
    fn default() -> Self {
        Address::inet("localhost", SYSLOG_PORT)
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Unix(p) => write!(f, "{}", p.display()),
            Address::Inet { host, port } if host.contains(':') => write!(f, "[{host}]:{port}"),
            Address::Inet { host, port } => write!(f, "{host}:{port}"),
        }
    }
}

impl From<&str> for Address {
    fn from(path: &str) -> Address {
        Address::unix(path)
    }
}

impl From<PathBuf> for Address {
    fn from(path: PathBuf) -> Address {
        Address::Unix(path)
    }
}

impl From<&std::path::Path> for Address {
    fn from(path: &std::path::Path) -> Address {
        Address::unix(path)
    }
}

impl<H: Into<String>> From<(H, u16)> for Address {
    fn from((host, port): (H, u16)) -> Address {
        Address::inet(host, port)
    }
}

impl From<std::net::SocketAddr> for Address {
    fn from(addr: std::net::SocketAddr) -> Address {
        Address::inet(addr.ip().to_string(), addr.port())
    }
}

/// Python's `socktype`: datagram or stream.
///
/// Unset (Python's `None`): UDP for host/port addresses; for unix paths datagram first, then
/// stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SockType {
    /// `socket.SOCK_DGRAM`: UDP, or a unix datagram socket.
    Dgram,
    /// `socket.SOCK_STREAM`: TCP (or TLS with [`with_tls`](crate::SyslogBuilder::with_tls)),
    /// or a unix stream socket.
    Stream,
}

/// How messages are delimited on stream transports (TCP, TLS). Datagram transports send one
/// message per datagram and ignore it.
///
/// ```
/// use tracing_handlers_syslog::Framing;
/// assert_eq!(Framing::default(), Framing::OctetCounting);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Framing {
    /// RFC 6587 octet counting, `LEN SP MSG` (the default, and what RFC 5425 requires for
    /// TLS): transparent, messages may contain newlines.
    #[default]
    OctetCounting,
    /// Each message followed by LF (non-transparent framing): a newline inside a message
    /// splits it, so combine with newline escaping.
    Lf,
    /// Each message followed by NUL: Python's TCP bytes. rsyslog's imtcp merges such records
    /// into one unless it is configured with `AddtlFrameDelimiter="0"`.
    Nul,
}

/// TLS options (RFC 5425): which certificate authority to trust, and an optional client
/// certificate for mutual authentication.
///
/// ```
/// use tracing_handlers_syslog::TlsOptions;
/// let tls = TlsOptions::new("/etc/ssl/syslog-ca.pem")
///     .with_client_auth("/etc/ssl/client.pem", "/etc/ssl/client.key")
///     .with_server_name("logs.example.com");
/// # let _ = tls;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsOptions {
    pub(crate) ca_file: PathBuf,
    pub(crate) client_auth: Option<(PathBuf, PathBuf)>,
    pub(crate) server_name: Option<String>,
}

impl TlsOptions {
    /// Trust the CA certificates in the PEM file `ca_file`.
    pub fn new(ca_file: impl Into<PathBuf>) -> Self {
        TlsOptions {
            ca_file: ca_file.into(),
            client_auth: None,
            server_name: None,
        }
    }

    /// Presents the certificate chain in `cert_file` with the private key in `key_file` (PEM).
    #[must_use]
    pub fn with_client_auth(
        mut self,
        cert_file: impl Into<PathBuf>,
        key_file: impl Into<PathBuf>,
    ) -> Self {
        self.client_auth = Some((cert_file.into(), key_file.into()));
        self
    }

    /// The name the server's certificate must carry (default: the address's host).
    #[must_use]
    pub fn with_server_name(mut self, name: impl Into<String>) -> Self {
        self.server_name = Some(name.into());
        self
    }
}
