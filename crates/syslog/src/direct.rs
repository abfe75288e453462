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
use tracing_handlers_core::fork::ForkSafeMutex;

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

/// Writes `msg` whole to a unix stream, after what is left of the previous message (`tail`).
///
/// On a blocking stream (the `Block` policy) this is `write_all`. On a non-blocking one (a
/// dropping policy) the caller never waits: a message the peer has no room for is not sent
/// (`WouldBlock`, dropped by the policy); when the peer takes only part of one, the rest is
/// kept in `tail` and goes out before anything else (half a message followed by the next
/// would merge them), and the message counts as sent.
#[cfg(unix)]
fn write_stream(s: &mut UnixStream, tail: &mut Vec<u8>, msg: &[u8]) -> io::Result<()> {
    fn write_some(s: &mut UnixStream, buf: &[u8]) -> io::Result<usize> {
        loop {
            match s.write(buf) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
    while !tail.is_empty() {
        let n = write_some(s, tail)?;
        tail.drain(..n);
    }
    let mut done = 0;
    while done < msg.len() {
        match write_some(s, &msg[done..]) {
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && done > 0 => {
                tail.extend_from_slice(&msg[done..]);
                return Ok(());
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

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
    /// The rest of a message a non-blocking stream took only part of (see `write_stream`).
    tail: Vec<u8>,
    /// The process that connected `sock`. A child forked since connects anew: on a shared
    /// stream its messages and the parent's could interleave mid-message, and `tail` is
    /// the rest of a message of the parent's.
    pid: u32,
}

/// A unix-domain socket (`/dev/log`): datagram first, then stream, unless a type is given.
/// A socket missing at startup is not an error: every message retries the connection.
#[cfg(unix)]
#[derive(Debug)]
pub(crate) struct UnixSender {
    path: PathBuf,
    socktype: Option<SockType>,
    nonblocking: bool,
    state: ForkSafeMutex<UnixState>,
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
            state: ForkSafeMutex::new(UnixState {
                sock: None,
                worked: socktype,
                tail: Vec::new(),
                pid: tracing_handlers_core::process_id(),
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
        st.tail.clear();
        st.pid = tracing_handlers_core::process_id();
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
                SockType::Stream => UnixStream::connect(&self.path).and_then(|s| {
                    // Under a dropping policy a peer that stops reading must not block the
                    // caller: a message that does not fit is dropped (`send_once`).
                    s.set_nonblocking(self.nonblocking)?;
                    Ok(UnixSock::Stream(s))
                }),
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

    fn send_once(st: &mut UnixState, msg: &[u8]) -> io::Result<()> {
        match &mut st.sock {
            Some(UnixSock::Dgram(s)) => s.send(msg).map(|_| ()),
            Some(UnixSock::Stream(s)) => write_stream(s, &mut st.tail, msg),
            None => Err(io::Error::new(io::ErrorKind::NotConnected, "not connected")),
        }
    }

    /// Writes what is left of a message a non-blocking stream took only part of, waiting
    /// until `deadline` at most; if the peer does not take it by then, the connection is
    /// closed (the peer sees it end inside that message) and the next message reconnects.
    pub(crate) fn flush(&self, deadline: std::time::Instant) {
        let mut st = self.state.lock();
        let st = &mut *st;
        if st.pid != tracing_handlers_core::process_id() {
            // The parent's connection and the rest of the parent's message: not ours.
            return;
        }
        let Some(UnixSock::Stream(s)) = &mut st.sock else {
            return;
        };
        while !st.tail.is_empty() {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                break;
            }
            let wrote = s
                .set_nonblocking(false)
                .and_then(|()| s.set_write_timeout(Some(left)))
                .and_then(|()| s.write(&st.tail));
            match wrote {
                Ok(n) if n > 0 => {
                    st.tail.drain(..n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                _ => break,
            }
        }
        let restored = s
            .set_write_timeout(None)
            .and_then(|()| s.set_nonblocking(self.nonblocking));
        if !st.tail.is_empty() || restored.is_err() {
            st.sock = None;
            st.tail.clear();
        }
    }

    /// Sends `msg`; on failure reconnects and sends once more (Python's behaviour).
    pub(crate) fn send(&self, msg: &[u8]) -> Outcome {
        let mut st = self.state.lock();
        if st.sock.is_some() && st.pid == tracing_handlers_core::process_id() {
            match Self::send_once(&mut st, msg) {
                Ok(()) => return Outcome::Sent,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Outcome::WouldBlock,
                Err(_) => {}
            }
        }
        if let Err(e) = self.connect(&mut st) {
            return Outcome::Failed(e);
        }
        let r = Self::send_once(&mut st, msg);
        if r.as_ref()
            .is_err_and(|e| e.kind() != io::ErrorKind::WouldBlock)
        {
            st.sock = None;
        }
        outcome(r)
    }
}
