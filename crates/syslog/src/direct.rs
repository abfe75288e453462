//! Transports that send on the caller's thread, as Python does: UDP and unix sockets.

use std::io;
#[cfg(unix)]
use std::io::Write as _;
use std::net::{SocketAddr, UdpSocket};

#[cfg(unix)]
use std::os::unix::net::{UnixDatagram, UnixStream};
#[cfg(unix)]
use std::path::PathBuf;

#[cfg(unix)]
use parking_lot::Mutex;

#[cfg(unix)]
use crate::transport::SockType;

/// What happened to one message.
#[derive(Debug)]
pub(crate) enum Outcome {
    Sent,
    /// Not sent, on purpose (a full socket buffer under a dropping policy).
    WouldBlock,
    /// Not sent: the error.
    Failed(io::Error),
}

fn outcome(r: io::Result<()>) -> Outcome {
    match r {
        Ok(()) => Outcome::Sent,
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Outcome::WouldBlock,
        Err(e) => Outcome::Failed(e),
    }
}

// === impl UdpSender ===

/// One unconnected UDP socket, `sendto` per message (Python's behaviour).
#[derive(Debug)]
pub(crate) struct UdpSender {
    sock: UdpSocket,
    addr: SocketAddr,
}

impl UdpSender {
    pub(crate) fn new(addr: SocketAddr, nonblocking: bool) -> io::Result<Self> {
        let bind: SocketAddr = if addr.is_ipv4() {
            (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
        } else {
            (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
        };
        let sock = UdpSocket::bind(bind)?;
        sock.set_nonblocking(nonblocking)?;
        Ok(UdpSender { sock, addr })
    }

    pub(crate) fn send(&self, msg: &[u8]) -> Outcome {
        outcome(self.sock.send_to(msg, self.addr).map(|_| ()))
    }
}

// === impl UnixSender ===

#[cfg(unix)]
#[derive(Debug)]
enum UnixSock {
    Dgram(UnixDatagram),
    Stream(UnixStream),
}

#[cfg(unix)]
#[derive(Debug)]
struct UnixState {
    sock: Option<UnixSock>,
    /// The type that worked last (Python reconnects with it).
    worked: Option<SockType>,
}

/// A unix-domain socket (`/dev/log`): datagram first, then stream, unless a type is given.
/// A socket missing at startup is not an error: every message retries the connection.
#[cfg(unix)]
#[derive(Debug)]
pub(crate) struct UnixSender {
    path: PathBuf,
    socktype: Option<SockType>,
    nonblocking: bool,
    state: Mutex<UnixState>,
}

#[cfg(unix)]
impl UnixSender {
    /// Tries to connect; a failure is kept for later retries (Python ignores it too).
    pub(crate) fn new(
        path: PathBuf,
        socktype: Option<SockType>,
        nonblocking: bool,
    ) -> (Self, Option<io::Error>) {
        let sender = UnixSender {
            path,
            socktype,
            nonblocking,
            state: Mutex::new(UnixState {
                sock: None,
                worked: socktype,
            }),
        };
        let err = {
            let mut st = sender.state.lock();
            sender.connect(&mut st).err()
        };
        (sender, err)
    }

    pub(crate) fn is_connected(&self) -> bool {
        self.state.lock().sock.is_some()
    }

    fn connect(&self, st: &mut UnixState) -> io::Result<()> {
        st.sock = None;
        let order: &[SockType] = match st.worked.or(self.socktype) {
            Some(SockType::Dgram) => &[SockType::Dgram],
            Some(SockType::Stream) => &[SockType::Stream],
            None => &[SockType::Dgram, SockType::Stream],
        };
        let mut last = io::Error::new(io::ErrorKind::NotFound, "no socket type to try");
        for &kind in order {
            let attempt = match kind {
                SockType::Dgram => UnixDatagram::unbound().and_then(|s| {
                    s.connect(&self.path)?;
                    s.set_nonblocking(self.nonblocking)?;
                    Ok(UnixSock::Dgram(s))
                }),
                SockType::Stream => UnixStream::connect(&self.path).map(UnixSock::Stream),
            };
            match attempt {
                Ok(s) => {
                    st.sock = Some(s);
                    if self.socktype.is_some() || st.worked.is_none() {
                        st.worked = Some(kind);
                    }
                    return Ok(());
                }
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    fn send_once(sock: &mut UnixSock, msg: &[u8]) -> io::Result<()> {
        match sock {
            UnixSock::Dgram(s) => s.send(msg).map(|_| ()),
            UnixSock::Stream(s) => s.write_all(msg),
        }
    }

    /// Sends `msg`; on failure reconnects and sends once more (Python's behaviour).
    pub(crate) fn send(&self, msg: &[u8]) -> Outcome {
        let mut st = self.state.lock();
        if let Some(sock) = st.sock.as_mut() {
            match Self::send_once(sock, msg) {
                Ok(()) => return Outcome::Sent,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Outcome::WouldBlock,
                Err(_) => {}
            }
        }
        if let Err(e) = self.connect(&mut st) {
            return Outcome::Failed(e);
        }
        let r = match st.sock.as_mut() {
            Some(sock) => Self::send_once(sock, msg),
            None => Err(io::Error::new(io::ErrorKind::NotConnected, "not connected")),
        };
        if r.as_ref()
            .is_err_and(|e| e.kind() != io::ErrorKind::WouldBlock)
        {
            st.sock = None;
        }
        outcome(r)
    }
}
