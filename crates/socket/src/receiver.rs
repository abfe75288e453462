//! The receiving end: accepts connections from CPython's `SocketHandler` (and ours, and
//! JSON-lines senders) and hands each record to a [`Dispatch`] as CPython's receiver does.

use std::fmt;
use std::io::{self, Read};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tracing_handlers_core::dispatch::Dispatch;
use tracing_handlers_core::report::{report, Report, ReportKind};

use crate::error::SocketError;
use crate::pickle::{load, PickleLimits};
use crate::received::ReceivedRecord;

/// The default limit of one pickle frame or JSON line: 1 MiB.
pub const DEFAULT_MAX_FRAME_BYTES: usize = 1024 * 1024;

/// The default limit of connections served at once.
pub const DEFAULT_MAX_CONNECTIONS: usize = 256;

/// How long a connection must have been quiet before a new one at the connection limit
/// closes it, by default.
pub const DEFAULT_EVICT_QUIET_AFTER: Duration = Duration::from_secs(10);

/// How often blocked reads and the accept loop look at the stop flag.
const POLL: Duration = Duration::from_millis(50);

/// What a receiver accepts on its connections.
///
/// ```
/// use tracing_handlers_socket::ReceiveProtocol;
/// assert_eq!("auto".parse::<ReceiveProtocol>().unwrap(), ReceiveProtocol::Auto);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ReceiveProtocol {
    /// Per connection: a first byte `{` means JSON lines, anything else pickle frames (a
    /// frame length starting with `{` would exceed 2 GiB).
    #[default]
    Auto,
    /// Pickle frames only.
    Pickle,
    /// JSON lines only.
    JsonLines,
}

impl FromStr for ReceiveProtocol {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(ReceiveProtocol::Auto),
            "pickle" => Ok(ReceiveProtocol::Pickle),
            "json" | "jsonl" | "json_lines" | "json-lines" => Ok(ReceiveProtocol::JsonLines),
            _ => Err(format!(
                "unknown protocol '{s}' (expected 'auto', 'pickle' or 'json')"
            )),
        }
    }
}

/// Options of a [`Receiver`].
///
/// | option | default |
/// |---|---|
/// | [`with_protocol`](Self::with_protocol) | [`ReceiveProtocol::Auto`] |
/// | [`with_max_frame_bytes`](Self::with_max_frame_bytes) | [`DEFAULT_MAX_FRAME_BYTES`] (1 MiB, a frame's payload or a line) |
/// | [`with_pickle_limits`](Self::with_pickle_limits) | [`PickleLimits::default`] (depth 32, 100 000 values) |
/// | [`with_max_connections`](Self::with_max_connections) | [`DEFAULT_MAX_CONNECTIONS`] (256) |
/// | [`with_evict_quiet_after`](Self::with_evict_quiet_after) | [`DEFAULT_EVICT_QUIET_AFTER`] (10 s) |
#[derive(Debug, Clone)]
#[must_use]
pub struct ReceiverOptions {
    protocol: ReceiveProtocol,
    max_frame_bytes: usize,
    limits: PickleLimits,
    max_connections: usize,
    evict_quiet_after: Duration,
}

impl Default for ReceiverOptions {
    fn default() -> Self {
        ReceiverOptions {
            protocol: ReceiveProtocol::Auto,
            max_frame_bytes: DEFAULT_MAX_FRAME_BYTES,
            limits: PickleLimits::default(),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            evict_quiet_after: DEFAULT_EVICT_QUIET_AFTER,
        }
    }
}

impl ReceiverOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// What connections may send.
    pub fn with_protocol(mut self, protocol: ReceiveProtocol) -> Self {
        self.protocol = protocol;
        self
    }

    /// The largest pickle payload or JSON line accepted; a larger one closes the connection.
    pub fn with_max_frame_bytes(mut self, bytes: usize) -> Self {
        self.max_frame_bytes = bytes.max(1);
        self
    }

    /// Bounds on what one pickle may build.
    pub fn with_pickle_limits(mut self, limits: PickleLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The most connections served at once. A connection beyond them closes the one that
    /// has been quiet longest, if it has been quiet for the
    /// [eviction time](Self::with_evict_quiet_after); otherwise the new one is closed at
    /// once. Both are reported.
    pub fn with_max_connections(mut self, n: usize) -> Self {
        self.max_connections = n.max(1);
        self
    }

    /// How long a connection must have sent nothing before a new connection at the
    /// [limit](Self::with_max_connections) may take its place (`Duration::MAX`: never).
    /// Without it, peers that connect and go silent (a scanner, a hung sender) would lock
    /// every other sender out for good.
    pub fn with_evict_quiet_after(mut self, quiet: Duration) -> Self {
        self.evict_quiet_after = quiet;
        self
    }
}

/// What a [`Receiver`] has done so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReceiverStats {
    /// Connections accepted.
    pub connections: u64,
    /// Records handed to the dispatch layer.
    pub records: u64,
    /// Connections closed because of a malformed, oversized or hostile frame or line (or
    /// because too many were open).
    pub rejected: u64,
}

#[derive(Debug, Default)]
struct Counters {
    connections: AtomicU64,
    records: AtomicU64,
    rejected: AtomicU64,
}

#[derive(Debug)]
struct Shared {
    dispatch: Dispatch,
    options: ReceiverOptions,
    stop: AtomicBool,
    active: AtomicUsize,
    counters: Counters,
    source: String,
    workers: Mutex<Vec<JoinHandle<()>>>,
    /// The connections being served, for the limit to close a quiet one.
    conns: Mutex<Vec<Arc<Conn>>>,
    /// What [`Conn::last_read`] counts from.
    started: Instant,
}

/// A connection being served.
#[derive(Debug)]
struct Conn {
    peer: SocketAddr,
    /// A handle on the socket, to shut it down from the accepting thread.
    stream: TcpStream,
    /// When bytes last arrived, in milliseconds since the receiver started.
    last_read: AtomicU64,
    /// Shut down to make room: no longer counts as one to close (its thread is ending).
    closed: AtomicBool,
}

/// Accepts socket-handler connections and hands each record to a [`Dispatch`] with
/// [`Dispatch::dispatch_received`]: under its own logger name and level, handler levels
/// applied and logger levels not (as CPython's `logging` receiver). One thread serves each
/// connection.
///
/// A malformed, oversized or hostile frame closes its connection with a report; the other
/// connections go on. [`shutdown`](Receiver::shutdown) stops accepting, lets each
/// connection hand over what has already arrived, and flushes the handlers.
///
/// ```
/// use std::sync::Arc;
/// use tracing_handlers_core::dispatch::{Dispatch, HandlerEntry, HandlerSet};
/// use tracing_handlers_core::{FieldSet, FormatHandler, Formatter, Handler, Level, MemorySink, Record};
/// use tracing_handlers_socket::{Receiver, ReceiverOptions, SocketHandler};
///
/// // The receiving side: one handler on the root logger.
/// let sink = Arc::new(MemorySink::new());
/// let mut set = HandlerSet::new();
/// let h = set.add_handler(HandlerEntry::new("out", Arc::new(
///     FormatHandler::new(sink.clone()).with_formatter(Formatter::percent("%(levelname)s:%(name)s:%(message)s:%(user)s")?))));
/// set.tree.root_mut().handlers.push(h);
/// let receiver = Receiver::bind("127.0.0.1:0", Dispatch::new(set), ReceiverOptions::new())?;
///
/// // The sending side.
/// let sender = SocketHandler::builder("127.0.0.1", Some(receiver.local_addr().port())).build()?;
/// let mut fields = FieldSet::new();
/// fields.push_str("user", "bob");
/// sender.handle(&Record::new(Level::DEBUG, "portal.api", "hello", &fields));
/// sender.shutdown(std::time::Instant::now() + std::time::Duration::from_secs(5));
///
/// receiver.shutdown();
/// assert_eq!(sink.text(), "DEBUG:portal.api:hello:bob\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Receiver {
    shared: Arc<Shared>,
    local_addr: SocketAddr,
    acceptor: Mutex<Option<JoinHandle<()>>>,
}

impl Receiver {
    /// Listens on `addr` (port 0 picks a free port: see [`local_addr`](Self::local_addr))
    /// and starts accepting.
    ///
    /// # Errors
    ///
    /// [`SocketError::Bind`] when the address cannot be bound; [`SocketError::Io`] or
    /// [`SocketError::Thread`] when the OS refuses the rest.
    pub fn bind(
        addr: impl ToSocketAddrs + fmt::Debug,
        dispatch: Dispatch,
        options: ReceiverOptions,
    ) -> Result<Receiver, SocketError> {
        let listener = TcpListener::bind(&addr).map_err(|source| SocketError::Bind {
            address: shown_address(&addr),
            source,
        })?;
        let local_addr = listener.local_addr().map_err(|source| SocketError::Io {
            context: "cannot read the listening address",
            source,
        })?;
        listener
            .set_nonblocking(true)
            .map_err(|source| SocketError::Io {
                context: "cannot make the listener non-blocking",
                source,
            })?;
        let shared = Arc::new(Shared {
            dispatch,
            options,
            stop: AtomicBool::new(false),
            active: AtomicUsize::new(0),
            counters: Counters::default(),
            source: format!("socket receiver {local_addr}"),
            workers: Mutex::new(Vec::new()),
            conns: Mutex::new(Vec::new()),
            started: Instant::now(),
        });
        let sh = shared.clone();
        let acceptor = std::thread::Builder::new()
            .name("tracing-handlers-receiver".to_owned())
            .spawn(move || sh.accept_loop(listener))
            .map_err(SocketError::Thread)?;
        Ok(Receiver {
            shared,
            local_addr,
            acceptor: Mutex::new(Some(acceptor)),
        })
    }

    /// The address listened on (with the real port when 0 was asked).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The counters so far.
    pub fn stats(&self) -> ReceiverStats {
        let c = &self.shared.counters;
        ReceiverStats {
            connections: c.connections.load(Ordering::Relaxed),
            records: c.records.load(Ordering::Relaxed),
            rejected: c.rejected.load(Ordering::Relaxed),
        }
    }

    /// Stops accepting, lets every connection hand over what has already arrived (until
    /// nothing more comes for a moment, at most about a second for a peer that never goes
    /// quiet), waits for them, and flushes the handlers.
    pub fn shutdown(&self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.acceptor.lock().take() {
            let _ = h.join();
        }
        let workers = std::mem::take(&mut *self.shared.workers.lock());
        for w in workers {
            let _ = w.join();
        }
        self.shared.dispatch.flush();
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl Shared {
    fn fail(&self, peer: &SocketAddr, what: &dyn fmt::Display) {
        self.counters.rejected.fetch_add(1, Ordering::Relaxed);
        let msg = format!("connection from {peer}: {what}; closed");
        report(&Report {
            source: &self.source,
            kind: ReportKind::Failure,
            message: &msg,
        });
    }

    fn accept_loop(self: Arc<Self>, listener: TcpListener) {
        loop {
            // Read before accepting: connections already queued when the stop came are
            // still served (their records are handed over before shutdown returns).
            let stopping = self.stop.load(Ordering::SeqCst);
            match listener.accept() {
                Ok((stream, peer)) => self.start(stream, peer),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if stopping {
                        return;
                    }
                    std::thread::sleep(POLL);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let msg = format!("accept failed: {e}");
                    report(&Report {
                        source: &self.source,
                        kind: ReportKind::Failure,
                        message: &msg,
                    });
                    if stopping {
                        return;
                    }
                    std::thread::sleep(POLL);
                }
            }
        }
    }

    fn start(self: &Arc<Self>, stream: TcpStream, peer: SocketAddr) {
        self.counters.connections.fetch_add(1, Ordering::Relaxed);
        let mut workers = self.workers.lock();
        workers.retain(|w| !w.is_finished());
        if self.active.load(Ordering::SeqCst) >= self.options.max_connections
            && !self.close_quiet_connection(&peer)
        {
            drop(workers);
            self.fail(
                &peer,
                &format_args!(
                    "more than {} connections at once",
                    self.options.max_connections
                ),
            );
            return;
        }
        self.active.fetch_add(1, Ordering::SeqCst);
        let sh = self.clone();
        let spawned = std::thread::Builder::new()
            .name("tracing-handlers-receiver-conn".to_owned())
            .spawn(move || {
                let _active = Active(&sh.active);
                sh.serve(stream, peer);
            });
        match spawned {
            Ok(h) => workers.push(h),
            Err(e) => {
                self.active.fetch_sub(1, Ordering::SeqCst);
                drop(workers);
                self.fail(&peer, &format_args!("cannot start a thread: {e}"));
            }
        }
    }

    /// Milliseconds since the receiver started.
    fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// At the connection limit: shuts down the connection quiet longest, if it has been
    /// quiet long enough, to make room for one from `peer`. Its thread then ends (and
    /// leaves the count) on its own.
    fn close_quiet_connection(&self, peer: &SocketAddr) -> bool {
        let now = self.now_ms();
        let conns = self.conns.lock();
        let Some(quietest) = conns
            .iter()
            .filter(|c| !c.closed.load(Ordering::Relaxed))
            .min_by_key(|c| c.last_read.load(Ordering::Relaxed))
        else {
            return false;
        };
        let quiet =
            Duration::from_millis(now.saturating_sub(quietest.last_read.load(Ordering::Relaxed)));
        if quiet < self.options.evict_quiet_after {
            return false;
        }
        quietest.closed.store(true, Ordering::Relaxed);
        let _ = quietest.stream.shutdown(std::net::Shutdown::Both);
        let msg = format!(
            "connection from {} quiet for {} s closed to make room for one from {peer} (at the limit of {} connections)",
            quietest.peer,
            quiet.as_secs(),
            self.options.max_connections
        );
        report(&Report {
            source: &self.source,
            kind: ReportKind::Failure,
            message: &msg,
        });
        true
    }

    fn serve(&self, stream: TcpStream, peer: SocketAddr) {
        let _ = stream.set_nonblocking(false);
        let _ = stream.set_read_timeout(Some(POLL));
        let conn = stream.try_clone().ok().map(|handle| {
            let conn = Arc::new(Conn {
                peer,
                stream: handle,
                last_read: AtomicU64::new(self.now_ms()),
                closed: AtomicBool::new(false),
            });
            self.conns.lock().push(conn.clone());
            conn
        });
        let _registered = Registered {
            conns: &self.conns,
            conn: conn.clone(),
        };
        let mut conn = ConnReader {
            stream,
            buf: Vec::new(),
            start: 0,
            stop: &self.stop,
            quiet_since: None,
            stop_seen: None,
            cut: false,
            activity: conn.as_deref().map(|c| (&c.last_read, self)),
        };
        match self.read_records(&mut conn) {
            Ok(()) => {}
            Err(ServeError::Io(e)) => self.fail(&peer, &format_args!("read failed: {e}")),
            Err(ServeError::Bad(what)) => self.fail(&peer, &what),
        }
        let _ = conn.stream.shutdown(std::net::Shutdown::Both);
    }

    fn deliver(&self, record: &ReceivedRecord) {
        self.counters.records.fetch_add(1, Ordering::Relaxed);
        self.shared_dispatch().dispatch_received(&record.record());
    }

    fn shared_dispatch(&self) -> &Dispatch {
        &self.dispatch
    }

    fn read_records(&self, conn: &mut ConnReader<'_>) -> Result<(), ServeError> {
        let max = self.options.max_frame_bytes;
        // Decide the protocol from the first byte.
        if !conn.want(1)? {
            return Ok(());
        }
        let json = match self.options.protocol {
            ReceiveProtocol::JsonLines => true,
            ReceiveProtocol::Pickle => false,
            ReceiveProtocol::Auto => conn.pending()[0] == b'{',
        };
        if json {
            loop {
                let line = match conn.line(max)? {
                    Some(l) => l,
                    None => return Ok(()),
                };
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                let record =
                    ReceivedRecord::from_json(line).map_err(|e| ServeError::Bad(e.to_string()))?;
                self.deliver(&record);
            }
        }
        loop {
            if !conn.want(4)? {
                return Ok(());
            }
            let p = conn.pending();
            let len = u32::from_be_bytes([p[0], p[1], p[2], p[3]]) as usize;
            if len > max {
                return Err(ServeError::Bad(format!(
                    "a frame of {len} bytes exceeds the limit of {max}"
                )));
            }
            if !conn.want(4 + len)? {
                let when = if conn.cut {
                    "the receiver stopped"
                } else {
                    "the connection ended"
                };
                return Err(ServeError::Bad(format!(
                    "{when} inside a frame of {len} bytes"
                )));
            }
            let payload = &conn.pending()[4..4 + len];
            let value =
                load(payload, &self.options.limits).map_err(|e| ServeError::Bad(e.to_string()))?;
            let record =
                ReceivedRecord::from_pickle(&value).map_err(|e| ServeError::Bad(e.to_string()))?;
            drop(value);
            conn.consume(4 + len);
            self.deliver(&record);
        }
    }
}

#[derive(Debug)]
enum ServeError {
    Io(io::Error),
    Bad(String),
}

impl From<io::Error> for ServeError {
    fn from(e: io::Error) -> Self {
        ServeError::Io(e)
    }
}

struct Active<'a>(&'a AtomicUsize);

/// Takes a connection off the list of those being served when its thread is done with it.
struct Registered<'a> {
    conns: &'a Mutex<Vec<Arc<Conn>>>,
    conn: Option<Arc<Conn>>,
}

impl Drop for Registered<'_> {
    fn drop(&mut self) {
        if let Some(conn) = &self.conn {
            self.conns.lock().retain(|c| !Arc::ptr_eq(c, conn));
        }
    }
}

impl Drop for Active<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// How long a stopping receiver waits for more bytes on a connection that has gone quiet.
const DRAIN_QUIET: Duration = Duration::from_millis(200);

/// How long a stopping receiver goes on reading a connection whose peer never goes quiet (a
/// busy sender): after this the connection is closed, so shutdown (SIGTERM) is prompt.
const DRAIN_MAX: Duration = Duration::from_secs(1);

/// A buffered reader over one connection that gives up when the receiver stops and the
/// peer has gone quiet.
struct ConnReader<'a> {
    stream: TcpStream,
    buf: Vec<u8>,
    start: usize,
    stop: &'a AtomicBool,
    quiet_since: Option<Instant>,
    /// When this reader first saw the stop flag.
    stop_seen: Option<Instant>,
    /// Whether reading ended because the receiver stopped, not at the end of the stream.
    cut: bool,
    /// Where to note that bytes arrived (for the connection limit's choice of a quiet one).
    activity: Option<(&'a AtomicU64, &'a Shared)>,
}

impl ConnReader<'_> {
    fn pending(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    fn consume(&mut self, n: usize) {
        self.start += n;
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
    }

    /// Reads more bytes; `false` at the end of the stream (or when stopping, once the peer
    /// is quiet or [`DRAIN_MAX`] has passed).
    fn fill(&mut self, want: usize) -> io::Result<bool> {
        if self.stop.load(Ordering::SeqCst) {
            let seen = *self.stop_seen.get_or_insert_with(Instant::now);
            if seen.elapsed() >= DRAIN_MAX {
                self.cut = true;
                return Ok(false);
            }
        }
        if self.start > 0 && self.start >= self.buf.len() / 2 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        // Never read more than `want` beyond what is pending, in 64 KiB steps: a huge
        // announced length costs memory only as its bytes arrive.
        let room = want
            .saturating_sub(self.buf.len() - self.start)
            .clamp(1, 64 * 1024);
        let old = self.buf.len();
        self.buf.resize(old + room.max(16 * 1024), 0);
        loop {
            match self.stream.read(&mut self.buf[old..]) {
                Ok(n) => {
                    self.buf.truncate(old + n);
                    self.quiet_since = None;
                    if let Some((last_read, shared)) = self.activity {
                        last_read.store(shared.now_ms(), Ordering::Relaxed);
                    }
                    return Ok(n > 0);
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    if self.stop.load(Ordering::SeqCst) {
                        let since = *self.quiet_since.get_or_insert_with(Instant::now);
                        if since.elapsed() >= DRAIN_QUIET {
                            self.buf.truncate(old);
                            self.cut = true;
                            return Ok(false);
                        }
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.buf.truncate(old);
                    return Err(e);
                }
            }
        }
    }

    /// Makes `n` bytes pending; `false` when the stream ends first.
    fn want(&mut self, n: usize) -> io::Result<bool> {
        while self.pending().len() < n {
            if !self.fill(n)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The next line without its `\n`; `None` at the end of the stream (a last line without
    /// `\n` is returned).
    fn line(&mut self, max: usize) -> Result<Option<&[u8]>, ServeError> {
        let mut scanned = 0;
        loop {
            if let Some(i) = self.pending()[scanned..].iter().position(|&b| b == b'\n') {
                let end = scanned + i;
                // However the bytes arrived (the newline may come in the same read).
                if end > max {
                    return Err(ServeError::Bad(format!(
                        "a line longer than the limit of {max} bytes"
                    )));
                }
                let start = self.start;
                self.start += end + 1;
                // Keep the bytes until the next call (consumed lazily by `fill`).
                let line = &self.buf[start..start + end];
                return Ok(Some(line));
            }
            scanned = self.pending().len();
            if scanned > max {
                return Err(ServeError::Bad(format!(
                    "a line longer than the limit of {max} bytes"
                )));
            }
            if !self.fill(max + 1)? {
                if self.pending().is_empty() {
                    return Ok(None);
                }
                if self.cut {
                    return Err(ServeError::Bad(
                        "the receiver stopped inside a line".to_owned(),
                    ));
                }
                let start = self.start;
                self.start = self.buf.len();
                return Ok(Some(&self.buf[start..]));
            }
        }
    }
}

/// An address as a person wrote it: a `"host:port"` text as given, anything else (a
/// `(host, port)` tuple, a `SocketAddr`) as `ip:port` once resolved.
fn shown_address(addr: &(impl ToSocketAddrs + fmt::Debug)) -> String {
    let debug = format!("{addr:?}");
    if let Some(text) = debug.strip_prefix('"').and_then(|d| d.strip_suffix('"')) {
        return text.to_owned();
    }
    match addr.to_socket_addrs().map(|mut all| all.next()) {
        Ok(Some(resolved)) => resolved.to_string(),
        _ => debug,
    }
}

#[cfg(test)]
mod address_tests {
    use super::shown_address;

    #[test]
    fn addresses_are_shown_as_written_or_resolved() {
        assert_eq!(shown_address(&"localhost:9020"), "localhost:9020");
        assert_eq!(shown_address(&("127.0.0.1", 9020)), "127.0.0.1:9020");
        let addr: std::net::SocketAddr = "[::1]:9020".parse().unwrap();
        assert_eq!(shown_address(&addr), "[::1]:9020");
    }
}
