//! One TCP or TLS connection of the sender thread, with what it needs to know about delivery.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use tracing_handlers_core::stream_sender::{Connection, Connector};

use crate::error::SyslogError;
use crate::transport::TlsOptions;

/// Where the sender connects.
#[derive(Debug, Clone)]
pub(crate) struct StreamTarget {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) tls: Option<(Arc<ClientConfig>, ServerName<'static>)>,
    pub(crate) connect_timeout: Duration,
    pub(crate) write_timeout: Duration,
}

impl StreamTarget {
    pub(crate) fn resolve(&self) -> io::Result<Vec<SocketAddr>> {
        let addrs: Vec<SocketAddr> = (self.host.as_str(), self.port).to_socket_addrs()?.collect();
        if addrs.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                "the host name has no addresses",
            ));
        }
        Ok(addrs)
    }
}

impl Connector for StreamTarget {
    type Connection = Conn;

    /// Connects (and completes the TLS handshake) within the target's connect timeout.
    fn connect(&self) -> io::Result<Conn> {
        let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
        for addr in self.resolve()? {
            match TcpStream::connect_timeout(&addr, self.connect_timeout) {
                Ok(sock) => {
                    sock.set_nodelay(true)?;
                    sock.set_write_timeout(Some(self.write_timeout))?;
                    let counting = Counting { sock, written: 0 };
                    return match &self.tls {
                        None => Ok(Conn::Tcp(counting)),
                        Some((config, name)) => Conn::handshake(counting, config, name, self),
                    };
                }
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    fn describe(&self) -> String {
        let proto = if self.tls.is_some() { "tls" } else { "tcp" };
        if self.host.contains(':') {
            format!("syslog {proto} [{}]:{}", self.host, self.port)
        } else {
            format!("syslog {proto} {}:{}", self.host, self.port)
        }
    }
}

/// Builds the rustls client configuration from `opts`.
pub(crate) fn tls_config(
    opts: &TlsOptions,
    host: &str,
) -> Result<(Arc<ClientConfig>, ServerName<'static>), SyslogError> {
    let tls_err = |what: &str, path: &std::path::Path, e: &dyn std::fmt::Display| {
        SyslogError::Tls(format!("{what} {}: {e}", path.display()))
    };
    let mut roots = RootCertStore::empty();
    let mut n = 0;
    for cert in CertificateDer::pem_file_iter(&opts.ca_file)
        .map_err(|e| tls_err("cannot read CA file", &opts.ca_file, &e))?
    {
        let cert = cert.map_err(|e| tls_err("bad certificate in", &opts.ca_file, &e))?;
        roots
            .add(cert)
            .map_err(|e| tls_err("unusable CA certificate in", &opts.ca_file, &e))?;
        n += 1;
    }
    if n == 0 {
        return Err(SyslogError::Tls(format!(
            "no certificate in CA file {}",
            opts.ca_file.display()
        )));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| SyslogError::Tls(e.to_string()))?
        .with_root_certificates(roots);
    let config = match &opts.client_auth {
        None => builder.with_no_client_auth(),
        Some((cert_file, key_file)) => {
            let chain = CertificateDer::pem_file_iter(cert_file)
                .map_err(|e| tls_err("cannot read certificate file", cert_file, &e))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| tls_err("bad certificate in", cert_file, &e))?;
            let key = PrivateKeyDer::from_pem_file(key_file)
                .map_err(|e| tls_err("cannot read key file", key_file, &e))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| SyslogError::Tls(e.to_string()))?
        }
    };
    let name = opts.server_name.as_deref().unwrap_or(host);
    let server_name = ServerName::try_from(name.to_owned())
        .map_err(|e| SyslogError::Tls(format!("bad server name '{name}': {e}")))?;
    Ok((Arc::new(config), server_name))
}

/// A TCP stream that counts the bytes written to the socket.
#[derive(Debug)]
pub(crate) struct Counting {
    sock: TcpStream,
    written: u64,
}

impl Read for Counting {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.sock.read(buf)
    }
}

impl Write for Counting {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.sock.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.sock.flush()
    }
}

/// A live connection.
#[derive(Debug)]
pub(crate) enum Conn {
    Tcp(Counting),
    Tls(Box<StreamOwned<ClientConnection, Counting>>),
}

impl Conn {
    fn handshake(
        mut counting: Counting,
        config: &Arc<ClientConfig>,
        name: &ServerName<'static>,
        target: &StreamTarget,
    ) -> io::Result<Conn> {
        let mut tls = ClientConnection::new(config.clone(), name.clone())
            .map_err(|e| io::Error::other(e.to_string()))?;
        // One deadline for the whole handshake: a server that trickles bytes must not
        // stretch it read by read.
        let timeout = target.connect_timeout;
        let deadline = tracing_handlers_core::shutdown::deadline_after(timeout);
        let timed_out = || {
            io::Error::new(
                io::ErrorKind::TimedOut,
                format!("the TLS handshake did not finish within {timeout:?}"),
            )
        };
        while tls.is_handshaking() {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return Err(timed_out());
            }
            counting.sock.set_read_timeout(Some(left))?;
            counting.sock.set_write_timeout(Some(left))?;
            match tls.complete_io(&mut counting) {
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    return Err(timed_out())
                }
                Err(e) => return Err(e),
            }
        }
        counting.sock.set_read_timeout(None)?;
        counting
            .sock
            .set_write_timeout(Some(target.write_timeout))?;
        Ok(Conn::Tls(Box::new(StreamOwned::new(tls, counting))))
    }

    fn counting(&self) -> &Counting {
        match self {
            Conn::Tcp(c) => c,
            Conn::Tls(s) => &s.sock,
        }
    }

    fn counting_mut(&mut self) -> &mut Counting {
        match self {
            Conn::Tcp(c) => c,
            Conn::Tls(s) => &mut s.sock,
        }
    }
}

impl Connection for Conn {
    /// Bytes written to the socket so far (TLS records included).
    fn socket_written(&self) -> u64 {
        self.counting().written
    }

    /// Writes `buf` whole. On failure returns how many bytes of `buf` are known to have been
    /// handed to the kernel (exact over TCP; 0 over TLS, where the whole chunk is resent).
    fn write_chunk(&mut self, buf: &[u8]) -> Result<(), (usize, io::Error)> {
        match self {
            Conn::Tcp(c) => {
                let mut done = 0;
                while done < buf.len() {
                    match c.write(&buf[done..]) {
                        Ok(0) => {
                            return Err((done, io::ErrorKind::WriteZero.into()));
                        }
                        Ok(n) => done += n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err((done, e)),
                    }
                }
                Ok(())
            }
            Conn::Tls(s) => s
                .write_all(buf)
                .and_then(|()| s.flush())
                .map_err(|e| (0, e)),
        }
    }

    /// Bytes written but not yet acknowledged by the peer, where the OS tells (Linux).
    fn unacknowledged(&self) -> Option<u64> {
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd;
            let mut n: libc::c_int = 0;
            // SAFETY: TIOCOUTQ (SIOCOUTQ) writes one int for a valid socket descriptor.
            let rc = unsafe {
                libc::ioctl(
                    self.counting().sock.as_raw_fd(),
                    libc::TIOCOUTQ,
                    &mut n as *mut libc::c_int,
                )
            };
            if rc == 0 && n >= 0 {
                return Some(n as u64);
            }
        }
        None
    }

    /// Whether the peer has closed or reset the connection (checked without blocking).
    fn peer_closed(&mut self) -> bool {
        let mut byte = [0u8; 1];
        let sock = &self.counting().sock;
        if sock.set_nonblocking(true).is_err() {
            return true;
        }
        let peeked = sock.peek(&mut byte);
        let closed = match peeked {
            Ok(0) => true,
            Ok(_) => match self {
                // A syslog server sends nothing; over TLS, read what came (a close_notify,
                // a key update) and ask rustls.
                Conn::Tcp(_) => false,
                Conn::Tls(s) => {
                    let r = s.conn.read_tls(&mut s.sock);
                    match r {
                        Ok(0) | Err(_) => true,
                        Ok(_) => match s.conn.process_new_packets() {
                            Ok(state) => state.peer_has_closed(),
                            Err(_) => true,
                        },
                    }
                }
            },
            Err(e) => e.kind() != io::ErrorKind::WouldBlock,
        };
        let _ = self.counting_mut().sock.set_nonblocking(false);
        closed
    }

    /// Closes politely (TLS close_notify).
    fn close(mut self) {
        if let Conn::Tls(s) = &mut self {
            s.conn.send_close_notify();
            let _ = s.conn.write_tls(&mut s.sock);
        }
        let _ = self.counting().sock.shutdown(std::net::Shutdown::Both);
    }
}
