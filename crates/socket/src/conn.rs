//! One connection of the sender thread: TCP or a unix stream socket.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
#[cfg(unix)]
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::Duration;

use tracing_handlers_core::stream_sender::{Connection, Connector};

/// Where the sender connects: Python's `(host, port)`, or `host` as a unix socket path when
/// `port` is `None`.
#[derive(Debug, Clone)]
pub(crate) struct StreamTarget {
    pub(crate) address: Target,
    pub(crate) connect_timeout: Duration,
    pub(crate) write_timeout: Duration,
}

#[derive(Debug, Clone)]
pub(crate) enum Target {
    Inet { host: String, port: u16 },
    Unix(PathBuf),
}

impl StreamTarget {
    fn resolve(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        let addrs: Vec<SocketAddr> = (host, port).to_socket_addrs()?.collect();
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

    /// Connects within the target's connect timeout.
    fn connect(&self) -> io::Result<Conn> {
        let sock = match &self.address {
            Target::Inet { host, port } => {
                let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
                let mut found = None;
                for addr in StreamTarget::resolve(host, *port)? {
                    match TcpStream::connect_timeout(&addr, self.connect_timeout) {
                        Ok(s) => {
                            found = Some(s);
                            break;
                        }
                        Err(e) => last = e,
                    }
                }
                let s = found.ok_or(last)?;
                s.set_nodelay(true)?;
                s.set_write_timeout(Some(self.write_timeout))?;
                Sock::Tcp(s)
            }
            #[cfg(unix)]
            Target::Unix(path) => {
                let s = UnixStream::connect(path)?;
                s.set_write_timeout(Some(self.write_timeout))?;
                Sock::Unix(s)
            }
            #[cfg(not(unix))]
            Target::Unix(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    "unix sockets exist only on unix",
                ))
            }
        };
        Ok(Conn { sock, written: 0 })
    }

    fn describe(&self) -> String {
        match &self.address {
            Target::Inet { host, port } if host.contains(':') => {
                format!("socket tcp [{host}]:{port}")
            }
            Target::Inet { host, port } => format!("socket tcp {host}:{port}"),
            Target::Unix(p) => format!("socket unix {}", p.display()),
        }
    }
}

/// A live connection, counting the bytes written to it.
#[derive(Debug)]
pub(crate) struct Conn {
    sock: Sock,
    written: u64,
}

#[derive(Debug)]
enum Sock {
    Tcp(TcpStream),
    #[cfg(unix)]
    Unix(UnixStream),
}

impl Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = match &mut self.sock {
            Sock::Tcp(s) => s.write(buf)?,
            #[cfg(unix)]
            Sock::Unix(s) => s.write(buf)?,
        };
        self.written += n as u64;
        Ok(n)
    }
}

impl Connection for Conn {
    /// Bytes written to the socket so far.
    fn socket_written(&self) -> u64 {
        self.written
    }

    /// Writes `buf` whole. On failure returns how many bytes of `buf` were handed to the
    /// kernel.
    fn write_chunk(&mut self, buf: &[u8]) -> Result<(), (usize, io::Error)> {
        let mut done = 0;
        while done < buf.len() {
            match self.write(&buf[done..]) {
                Ok(0) => return Err((done, io::ErrorKind::WriteZero.into())),
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err((done, e)),
            }
        }
        Ok(())
    }

    /// Bytes written but not yet acknowledged by the peer, where the OS tells (Linux, TCP).
    fn unacknowledged(&self) -> Option<u64> {
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd;
            let fd = match &self.sock {
                Sock::Tcp(s) => s.as_raw_fd(),
                Sock::Unix(s) => s.as_raw_fd(),
            };
            let mut n: libc::c_int = 0;
            // SAFETY: TIOCOUTQ (SIOCOUTQ) writes one int for a valid socket descriptor.
            let rc = unsafe { libc::ioctl(fd, libc::TIOCOUTQ, &mut n as *mut libc::c_int) };
            if rc == 0 && n >= 0 {
                return Some(n as u64);
            }
        }
        None
    }

    /// Whether the peer has closed or reset the connection (checked without blocking).
    /// Anything the peer sends (a receiver sends nothing) is read and ignored.
    fn peer_closed(&mut self) -> bool {
        fn check<S: Read>(s: &mut S, set_nb: impl Fn(bool) -> io::Result<()>) -> bool {
            if set_nb(true).is_err() {
                return true;
            }
            let mut buf = [0u8; 512];
            let closed = loop {
                match s.read(&mut buf) {
                    Ok(0) => break true,
                    Ok(_) => continue,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => break e.kind() != io::ErrorKind::WouldBlock,
                }
            };
            let _ = set_nb(false);
            closed
        }
        match &self.sock {
            Sock::Tcp(s) => check(&mut &*s, |nb| s.set_nonblocking(nb)),
            #[cfg(unix)]
            Sock::Unix(s) => check(&mut &*s, |nb| s.set_nonblocking(nb)),
        }
    }

    /// Closes both directions.
    fn close(self) {
        match &self.sock {
            Sock::Tcp(s) => {
                let _ = s.shutdown(std::net::Shutdown::Both);
            }
            #[cfg(unix)]
            Sock::Unix(s) => {
                let _ = s.shutdown(std::net::Shutdown::Both);
            }
        }
    }
}
