//! For handler authors: the sender thread of stream transports (TCP, TLS, unix stream
//! sockets), with a queue bounded in bytes, reconnect with backoff, and the accounting of
//! what may have been lost. The syslog (TCP, TLS) and socket handlers are built on it.
//!
//! Producers append framed messages to a shared buffer under a short lock (the pattern of
//! [`nonblocking`](crate::nonblocking)); the sender thread swaps it for its own buffer, writes
//! it in chunks, and keeps it while the peer is away, so at most twice the capacity is held.
//! When the queue is full the [`OverflowPolicy`](crate::OverflowPolicy) decides. After each
//! write the thread asks the [`Connection`] how many bytes the peer has not acknowledged yet;
//! when a connection fails, the messages in that unacknowledged tail, and those acknowledged
//! less than a second before (they may still have been unread in the peer's socket buffer),
//! are counted as [possibly lost](StreamCounters::possibly_lost) and reported, and the
//! messages not yet written go out on the next connection.
//!
//! What differs between transports is the [`Connector`] (how to open a connection and how
//! reports name the peer) and its [`Connection`] (how to write a chunk and what the kernel
//! knows about delivery). The handler keeps its own public statistics type and fills it from
//! the [`StreamCounters`] it shares with the thread.
//!
//! ```
//! use std::io::{self, Read, Write};
//! use std::net::{SocketAddr, TcpListener, TcpStream};
//! use std::sync::atomic::Ordering;
//! use std::sync::Arc;
//! use std::time::{Duration, Instant};
//! use tracing_handlers_core::stream_sender::{
//!     Backoff, Connection, Connector, Growth, StreamCounters, StreamSender, StreamSenderConfig,
//! };
//! use tracing_handlers_core::{Level, OverflowPolicy};
//!
//! #[derive(Debug)]
//! struct Tcp(SocketAddr);
//!
//! struct TcpConn {
//!     sock: TcpStream,
//!     written: u64,
//! }
//!
//! impl Connector for Tcp {
//!     type Connection = TcpConn;
//!     fn connect(&self) -> io::Result<TcpConn> {
//!         Ok(TcpConn { sock: TcpStream::connect(self.0)?, written: 0 })
//!     }
//!     fn describe(&self) -> String {
//!         format!("demo tcp {}", self.0)
//!     }
//! }
//!
//! impl Connection for TcpConn {
//!     fn write_chunk(&mut self, buf: &[u8]) -> Result<(), (usize, io::Error)> {
//!         // Nothing is known to have arrived on failure: the whole chunk is written again.
//!         self.sock.write_all(buf).map_err(|e| (0, e))?;
//!         self.written += buf.len() as u64;
//!         Ok(())
//!     }
//!     fn socket_written(&self) -> u64 {
//!         self.written
//!     }
//!     fn unacknowledged(&self) -> Option<u64> {
//!         None
//!     }
//!     fn peer_closed(&mut self) -> bool {
//!         false
//!     }
//!     fn close(self) {}
//! }
//!
//! let listener = TcpListener::bind("127.0.0.1:0")?;
//! let counters = Arc::new(StreamCounters::default());
//! let config = StreamSenderConfig {
//!     thread_name: "demo-sender",
//!     capacity_bytes: 64 * 1024,
//!     policy: OverflowPolicy::DropNewest,
//!     backoff: Backoff {
//!         initial: Duration::from_secs(1),
//!         max: Duration::from_secs(30),
//!         growth: Growth::Double,
//!     },
//! };
//! let sender = StreamSender::start(Tcp(listener.local_addr()?), None, config, counters.clone())?;
//! sender.push(&[b"hello", b"\n"], Level::INFO);
//! sender.shutdown(Instant::now() + Duration::from_secs(5));
//!
//! let (mut peer, _) = listener.accept()?;
//! let mut got = String::new();
//! peer.read_to_string(&mut got)?;
//! assert_eq!(got, "hello\n");
//! assert_eq!(counters.sent.load(Ordering::Relaxed), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::io;
use std::time::Duration;

mod counters;
mod sender;

pub use counters::{DropReporter, StreamCounters};
pub use sender::{StreamSender, StreamSenderConfig};

// === impl Connector ===

/// Opens the connections of a [`StreamSender`]: TCP, TLS over TCP, a unix stream socket.
///
/// Both methods run on the sender thread ([`describe`](Self::describe) also at start).
pub trait Connector: fmt::Debug + Send + Sync + 'static {
    /// A live connection.
    type Connection: Connection;

    /// Connects (and completes any handshake) within the connector's own timeout; the
    /// thread retries after the [`Backoff`] on failure.
    ///
    /// # Errors
    ///
    /// The connection could not be made; the error is reported (throttled) as
    /// `connect failed: {error} (retrying in …)`.
    fn connect(&self) -> io::Result<Self::Connection>;

    /// How reports name the peer (`syslog tcp 127.0.0.1:514`): the source of every report
    /// of the sender, and the peer named in possibly-lost reports.
    fn describe(&self) -> String;
}

// === impl Connection ===

/// One live connection of a [`StreamSender`], with what the kernel knows about delivery.
pub trait Connection: Send + 'static {
    /// Writes `buf` (one or more whole messages) whole.
    ///
    /// # Errors
    ///
    /// How many bytes of `buf` are known to have been handed to the kernel (the messages
    /// wholly within them count as sent; the others are written again on the next
    /// connection), and the error. The connection is then closed.
    fn write_chunk(&mut self, buf: &[u8]) -> Result<(), (usize, io::Error)>;

    /// Bytes written to the socket so far on this connection, including what the transport
    /// adds (TLS records): the scale of [`unacknowledged`](Self::unacknowledged).
    fn socket_written(&self) -> u64;

    /// Bytes written but not yet acknowledged by the peer, where the OS tells (Linux:
    /// `TIOCOUTQ`). `None`: messages written more than a second ago count as arrived.
    fn unacknowledged(&self) -> Option<u64>;

    /// Whether the peer has closed or reset the connection, checked without blocking.
    fn peer_closed(&mut self) -> bool;

    /// Closes the connection (politely where the protocol says how: TLS close_notify).
    fn close(self);
}

// === impl Backoff ===

/// Reconnect timing: after a failed connect no attempt is made for `initial`, then for the
/// previous wait grown by [`growth`](Growth), at most `max`. A connection that lasts starts
/// over; one the peer closes or resets within a second does not, and from the second such
/// connection in a row the next connect waits as after a failed one.
///
/// ```
/// use std::time::Duration;
/// use tracing_handlers_core::stream_sender::{Backoff, Growth};
///
/// let b = Backoff { initial: Duration::from_secs(1), max: Duration::from_secs(30), growth: Growth::Double };
/// assert_eq!(b.next(Duration::from_secs(4)), Duration::from_secs(8));
/// assert_eq!(b.next(Duration::from_secs(20)), Duration::from_secs(30));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    /// The wait after the first failure.
    pub initial: Duration,
    /// The longest wait.
    pub max: Duration,
    /// How each wait grows from the previous one.
    pub growth: Growth,
}

/// How a [`Backoff`] wait grows from the previous one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Growth {
    /// Twice the previous wait, in exact `Duration` arithmetic.
    Double,
    /// The previous wait times the factor (at least 1), computed in seconds as `f64`
    /// (Python's `SocketHandler`: `retryFactor`).
    Factor(f64),
}

impl Backoff {
    /// The wait after the failure that followed a wait of `current`.
    pub fn next(&self, current: Duration) -> Duration {
        match self.growth {
            // Saturating: a huge configured wait must not panic the sender thread.
            Growth::Double => current.saturating_mul(2).min(self.max),
            Growth::Factor(factor) => {
                Duration::try_from_secs_f64(current.as_secs_f64() * factor.max(1.0))
                    .unwrap_or(self.max)
                    .min(self.max)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_waits_saturate_instead_of_panicking() {
        let b = Backoff {
            initial: Duration::MAX,
            growth: Growth::Double,
            max: Duration::MAX,
        };
        assert_eq!(b.next(Duration::MAX), Duration::MAX);
    }

    /// SOCK-05: emitting once per second to a closed port, CPython attempts to connect at
    /// t = 0, 1, 3, 7, 15, 31, 61, 91, 121, 151, 181.
    #[test]
    fn pythons_schedule() {
        let b = Backoff {
            initial: Duration::from_secs(1),
            growth: Growth::Factor(2.0),
            max: Duration::from_secs(30),
        };
        let mut t = Duration::ZERO;
        let mut wait = b.initial;
        let mut attempts = vec![0];
        while t < Duration::from_secs(200) {
            t += wait;
            wait = b.next(wait);
            if t < Duration::from_secs(200) {
                attempts.push(t.as_secs());
            }
        }
        assert_eq!(attempts, [0, 1, 3, 7, 15, 31, 61, 91, 121, 151, 181]);
        let huge = Backoff {
            growth: Growth::Factor(1e300),
            ..b
        };
        assert_eq!(huge.next(Duration::from_secs(30)), Duration::from_secs(30));
    }

    #[test]
    fn doubling_is_exact() {
        let b = Backoff {
            initial: Duration::from_nanos(1),
            growth: Growth::Double,
            max: Duration::from_secs(30),
        };
        assert_eq!(
            b.next(Duration::new(1, 100_000_001)),
            Duration::new(2, 200_000_002)
        );
        assert_eq!(b.next(Duration::from_secs(29)), Duration::from_secs(30));
    }
}
