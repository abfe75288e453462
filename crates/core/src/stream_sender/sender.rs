//! The queued sender and its thread.

use std::cell::Cell;
use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use crate::sync::Condvar;
use parking_lot::Mutex;

use super::{Backoff, Connection, Connector, DropReporter, StreamCounters};
use crate::fork::ProcessThread;
use crate::report::{report, ErrorThrottle, Report, ReportKind};
use crate::{Level, OverflowPolicy};

/// How often an idle sender checks that its connection is still alive.
const IDLE_CHECK: Duration = Duration::from_millis(250);

/// Largest chunk written at once.
const CHUNK: usize = 16 * 1024;

thread_local! {
    /// On a sender thread, its thread name: a message logged from inside a sender thread
    /// (by a reporter that logs) never waits for a sender of the same kind.
    static ON_SENDER: Cell<Option<&'static str>> = const { Cell::new(None) };
}

/// Whether the current thread is a sender thread named `thread_name`.
fn on_sender(thread_name: &str) -> bool {
    ON_SENDER
        .try_with(|s| s.get() == Some(thread_name))
        .unwrap_or(false)
}

// === impl StreamSenderConfig ===

/// How a [`StreamSender`] queues and reconnects.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StreamSenderConfig {
    /// The name of the sender thread (`tracing-handlers-syslog`). A message pushed from a
    /// sender thread of this name never waits for room: with any policy it is dropped when
    /// the queue is full, and [`flush`](StreamSender::flush) returns at once there.
    pub thread_name: &'static str,
    /// The queue's bound in framed bytes; a message larger than this is dropped.
    pub capacity_bytes: usize,
    /// What [`push`](StreamSender::push) does when the queue is full.
    pub policy: OverflowPolicy,
    /// Reconnect timing.
    pub backoff: Backoff,
}

// === impl Batch ===

#[derive(Debug, Default)]
struct Batch {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl Batch {
    fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
    }
    fn start_of(&self, i: usize) -> usize {
        if i == 0 {
            0
        } else {
            self.ends[i - 1]
        }
    }
}

// === impl StreamSender ===

#[derive(Debug)]
struct State {
    queue: Batch,
    /// Messages the thread has taken from the queue and not yet written or given up: what
    /// [`shutdown`](StreamSender::shutdown) counts as dropped, with the queue, when it
    /// abandons a thread stuck in a write.
    held: u64,
    enqueued: u64,
    completed: u64,
    stopping: bool,
    abandoned: bool,
    running: bool,
}

#[derive(Debug)]
struct Shared<C> {
    state: Mutex<State>,
    work: Condvar,
    room: Condvar,
    progress: Condvar,
    config: StreamSenderConfig,
    /// Shared with the sender of a forked child (see [`StreamSender::here`]).
    connector: Arc<C>,
    counters: Arc<StreamCounters>,
    drops: DropReporter,
    throttle: ErrorThrottle,
}

/// The queued sender: frames pushed by callers go out from its thread, over the
/// connections its [`Connector`] opens. See the [module docs](super).
///
/// Dropping it [shuts it down](Self::shutdown) with a five-second deadline.
///
/// A process forked after the thread started inherits the queue but not the thread (nor
/// may it write on the parent's connection): its first message starts a sender of its own,
/// with its own connection, and what the parent had queued is left to the parent.
#[derive(Debug)]
pub struct StreamSender<C: Connector> {
    shared: Arc<Shared<C>>,
    worker: Mutex<Option<ProcessThread>>,
    /// The process the thread runs in.
    pid: u32,
    /// In a child forked since: that process's sender (`None` when it could not start).
    forked: OnceLock<Option<Box<StreamSender<C>>>>,
}

impl<C: Connector> StreamSender<C> {
    /// Starts the thread; `conn` is a connection made at construction, if any (otherwise
    /// the first message connects). Reports name the sender after
    /// [`connector.describe()`](Connector::describe).
    ///
    /// # Errors
    ///
    /// The thread could not be spawned.
    pub fn start(
        connector: C,
        conn: Option<C::Connection>,
        config: StreamSenderConfig,
        counters: Arc<StreamCounters>,
    ) -> std::io::Result<Self> {
        Self::start_shared(Arc::new(connector), conn, config, counters)
    }

    fn start_shared(
        connector: Arc<C>,
        conn: Option<C::Connection>,
        config: StreamSenderConfig,
        counters: Arc<StreamCounters>,
    ) -> std::io::Result<Self> {
        let source = connector.describe();
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                queue: Batch::default(),
                held: 0,
                enqueued: 0,
                completed: 0,
                stopping: false,
                abandoned: false,
                running: true,
            }),
            work: Condvar::new(),
            room: Condvar::new(),
            progress: Condvar::new(),
            config,
            connector,
            counters,
            drops: DropReporter::new(source.clone()),
            throttle: ErrorThrottle::new(source),
        });
        let worker = shared.clone();
        let thread = ProcessThread::spawn(config.thread_name, move || worker.run(conn))?;
        Ok(StreamSender {
            shared,
            worker: Mutex::new(Some(thread)),
            pid: crate::process_id(),
            forked: OnceLock::new(),
        })
    }

    /// The sender of this process: `self`, or in a child forked since the thread started,
    /// the child's own (started on first use; `None` when it cannot start).
    fn here(&self) -> Option<&StreamSender<C>> {
        if self.pid == crate::process_id() {
            return Some(self);
        }
        let sh = &*self.shared;
        self.forked
            .get_or_init(|| {
                match Self::start_shared(sh.connector.clone(), None, sh.config, sh.counters.clone())
                {
                    Ok(sender) => Some(Box::new(sender)),
                    Err(e) => {
                        sh.throttle.failed(&format_args!(
                            "cannot start the sender thread after fork: {e}"
                        ));
                        None
                    }
                }
            })
            .as_deref()
            // A child of that child has a sender of its own again.
            .and_then(StreamSender::here)
    }

    /// Queues one frame made of `parts`, applying the overflow policy when the queue is full.
    pub fn push(&self, parts: &[&[u8]], level: Level) {
        match self.here() {
            Some(sender) => sender.push_here(parts, level),
            None => self.shared.drops.dropped(
                &self.shared.counters,
                1,
                &"no sender thread in this process",
            ),
        }
    }

    fn push_here(&self, parts: &[&[u8]], level: Level) {
        let sh = &*self.shared;
        let len: usize = parts.iter().map(|p| p.len()).sum();
        if len > sh.config.capacity_bytes {
            sh.drops
                .dropped(&sh.counters, 1, &"message larger than the whole buffer");
            return;
        }
        let mut st = sh.state.lock();
        loop {
            if !st.running || st.abandoned {
                drop(st);
                sh.drops
                    .dropped(&sh.counters, 1, &"the sender thread has stopped");
                return;
            }
            if st.queue.bytes.len() + len <= sh.config.capacity_bytes {
                let was_empty = st.queue.ends.is_empty();
                for p in parts {
                    st.queue.bytes.extend_from_slice(p);
                }
                let end = st.queue.bytes.len();
                st.queue.ends.push(end);
                st.enqueued += 1;
                drop(st);
                if was_empty {
                    sh.work.notify_one();
                }
                return;
            }
            let drop_it = on_sender(sh.config.thread_name)
                || match sh.config.policy {
                    OverflowPolicy::DropBelow(min) => level < min,
                    OverflowPolicy::Block => false,
                    _ => true,
                };
            if drop_it {
                drop(st);
                sh.drops.dropped(&sh.counters, 1, &"buffer full");
                return;
            }
            sh.room.wait(&mut st);
        }
    }

    /// Waits until everything queued so far is written (or given up) or `deadline` passes.
    pub fn flush(&self, deadline: Instant) {
        if let Some(sender) = self.here() {
            sender.flush_here(deadline);
        }
    }

    fn flush_here(&self, deadline: Instant) {
        let sh = &*self.shared;
        if on_sender(sh.config.thread_name) {
            return;
        }
        let mut st = sh.state.lock();
        let target = st.enqueued;
        sh.work.notify_one();
        // Once abandoned at a shutdown deadline, nothing more goes out: do not wait again.
        while st.running && !st.abandoned && st.completed < target {
            if sh.progress.wait_until(&mut st, deadline).timed_out() {
                break;
            }
        }
        drop(st);
        sh.drops.report_pending();
    }

    /// Drains until `deadline`, then stops the thread; what is left is dropped and counted.
    ///
    /// A second call after the thread was abandoned returns at once: its deadline has passed.
    pub fn shutdown(&self, deadline: Instant) {
        if self.pid != crate::process_id() {
            // Forked since: only this process's own sender, if it has one, is shut down (the
            // thread and queue are the parent's).
            if let Some(Some(sender)) = self.forked.get() {
                sender.shutdown(deadline);
            }
            return;
        }
        let sh = &*self.shared;
        let mut st = sh.state.lock();
        if st.abandoned {
            drop(st);
            sh.drops.report_pending();
            return;
        }
        st.stopping = true;
        sh.work.notify_one();
        while st.running {
            if sh.progress.wait_until(&mut st, deadline).timed_out() {
                break;
            }
        }
        if st.running {
            st.abandoned = true;
            // The queue, and what the thread holds: it may be stuck in a write or connect
            // well past the deadline (a peer that never reads), and the process may exit
            // before it returns, so its share is counted and reported now, not by it.
            let left = st.queue.ends.len() as u64 + std::mem::take(&mut st.held);
            st.queue.clear();
            drop(st);
            sh.work.notify_one();
            sh.room.notify_all();
            if left > 0 {
                sh.drops
                    .dropped(&sh.counters, left, &"not sent by the shutdown deadline");
            }
            // The thread may be stuck in a connect or write: leave it detached.
        } else {
            drop(st);
            if let Some(thread) = self.worker.lock().take() {
                thread.join();
            }
        }
        sh.drops.report_pending();
    }

    /// How reports name the peer ([`Connector::describe`]).
    pub fn describe(&self) -> String {
        self.shared.connector.describe()
    }
}

impl<C: Connector> Drop for StreamSender<C> {
    fn drop(&mut self) {
        self.shutdown(Instant::now() + Duration::from_secs(5));
    }
}

// === impl Unacked ===

/// How long after the peer acknowledged a message it may still be unread by the daemon
/// (sitting in its socket buffer): a connection failing within this time may have lost it.
const READ_GRACE: Duration = Duration::from_secs(1);

/// The thread's view of one connection's delivery: (socket bytes written after the chunk,
/// messages in the chunk, when), oldest first, trimmed to what the peer has not
/// acknowledged or acknowledged less than [`READ_GRACE`] ago.
#[derive(Debug, Default)]
struct Unacked {
    chunks: VecDeque<(u64, u64, Instant)>,
}

impl Unacked {
    fn wrote(&mut self, conn: &impl Connection, messages: u64) {
        self.chunks
            .push_back((conn.socket_written(), messages, Instant::now()));
        self.trim(conn);
    }

    fn trim(&mut self, conn: &impl Connection) {
        let now = Instant::now();
        let acked_to = match conn.unacknowledged() {
            Some(outq) => conn.socket_written().saturating_sub(outq),
            // No way to know: treat what is older than the grace as arrived.
            None => conn.socket_written(),
        };
        // A chunk whose last byte was acknowledged a while ago has been read by the peer.
        while self
            .chunks
            .front()
            .is_some_and(|&(end, _, at)| end <= acked_to && now.duration_since(at) >= READ_GRACE)
        {
            self.chunks.pop_front();
        }
    }

    fn take(&mut self) -> u64 {
        self.chunks.drain(..).map(|(_, n, _)| n).sum()
    }
}

// === impl Link ===

/// A connection lost sooner than this after it was made does not prove the peer healthy:
/// the backoff is not reset, and from the second such loss in a row the next connect waits
/// as after a failed one (a peer that accepts and at once closes or resets is not hammered).
const STABLE_AFTER: Duration = Duration::from_secs(1);

/// The thread's view of its connection: delivery, and when it may connect again.
#[derive(Debug)]
struct Link {
    unacked: Unacked,
    /// The wait after the next failure.
    wait: Duration,
    /// No connect before this.
    retry_at: Instant,
    /// When the live connection was made.
    connected_at: Option<Instant>,
    /// Connections lost in a row, each sooner than [`STABLE_AFTER`] after it was made.
    quick_losses: u32,
}

impl Link {
    fn new(initial: Duration, connected: bool) -> Link {
        let now = Instant::now();
        Link {
            unacked: Unacked::default(),
            wait: initial,
            retry_at: now,
            connected_at: connected.then_some(now),
            quick_losses: 0,
        }
    }

    /// A connect failed (or a connection died at once) at `now`: no attempt before the
    /// current wait has passed, and the wait grows. Returns the wait.
    fn retry_later(&mut self, now: Instant, backoff: &Backoff) -> Duration {
        let wait = self.wait;
        self.retry_at = crate::shutdown::instant_after(now, wait);
        self.wait = backoff.next(wait);
        wait
    }

    /// The connection was lost: a connection that lasted starts the backoff over and is
    /// replaced at once (Python's behaviour); one lost at once is replaced at once only the
    /// first time in a row.
    fn lost(&mut self, backoff: &Backoff) {
        let now = Instant::now();
        let lasted = self
            .connected_at
            .take()
            .is_none_or(|at| now.duration_since(at) >= STABLE_AFTER);
        if lasted {
            self.quick_losses = 0;
            self.wait = backoff.initial;
            return;
        }
        self.quick_losses = self.quick_losses.saturating_add(1);
        if self.quick_losses >= 2 {
            self.retry_later(now, backoff);
        }
    }
}

// === impl Shared ===

impl<C: Connector> Shared<C> {
    fn run(&self, mut conn: Option<C::Connection>) {
        let _ = ON_SENDER.try_with(|s| s.set(Some(self.config.thread_name)));
        let _exit = ExitGuard { shared: self };
        let mut batch = Batch::default();
        let mut next = 0usize;
        let mut link = Link::new(self.config.backoff.initial, conn.is_some());
        let mut tried_at_stop = false;
        loop {
            // 1. Take work.
            {
                let mut st = self.state.lock();
                if st.abandoned {
                    // What was left of `batch` was counted by `shutdown`.
                    return;
                }
                if next == batch.ends.len() {
                    batch.clear();
                    next = 0;
                    if st.queue.ends.is_empty() {
                        if st.stopping {
                            drop(st);
                            if let Some(c) = conn.take() {
                                c.close();
                            }
                            return;
                        }
                        let idle = self.work.wait_for(&mut st, IDLE_CHECK).timed_out();
                        drop(st);
                        if idle {
                            self.idle_check(&mut conn, &mut link);
                        }
                        continue;
                    }
                    std::mem::swap(&mut batch, &mut st.queue);
                    st.held = batch.ends.len() as u64;
                    self.room.notify_all();
                }
            }
            // 2. Be connected.
            let closed = conn.as_mut().map(Connection::peer_closed);
            match closed {
                Some(true) => {
                    self.connection_lost(&mut conn, &mut link, &"the peer closed the connection");
                    continue;
                }
                Some(false) => {}
                None => {
                    let now = Instant::now();
                    if now < link.retry_at {
                        let mut st = self.state.lock();
                        // At shutdown, one attempt at once: the peer may be back, and the
                        // deadline may end before the backoff does.
                        if !st.stopping || tried_at_stop {
                            if !st.abandoned {
                                self.work.wait_until(&mut st, link.retry_at);
                            }
                            continue;
                        }
                        tried_at_stop = true;
                    }
                    self.counters
                        .connect_attempts
                        .fetch_add(1, Ordering::Relaxed);
                    match self.connector.connect() {
                        Ok(c) => {
                            self.counters.connections.fetch_add(1, Ordering::Relaxed);
                            conn = Some(c);
                            link.connected_at = Some(now);
                            self.throttle.succeeded();
                        }
                        Err(e) => {
                            let wait = link.retry_later(now, &self.config.backoff);
                            self.throttle.failed(&format_args!(
                                "connect failed: {e} (retrying in {wait:?})"
                            ));
                            continue;
                        }
                    }
                }
            }
            // 3. Write what is pending, chunk by chunk.
            let Some(c) = conn.as_mut() else { continue };
            while next < batch.ends.len() {
                let start = batch.start_of(next);
                let mut last = next + 1;
                while last < batch.ends.len() && batch.ends[last] - start <= CHUNK {
                    last += 1;
                }
                let end = batch.ends[last - 1];
                match c.write_chunk(&batch.bytes[start..end]) {
                    Ok(()) => {
                        let n = (last - next) as u64;
                        next = last;
                        if !self.completed(n) {
                            break;
                        }
                        link.unacked.wrote(c, n);
                    }
                    Err((accepted, e)) => {
                        // Messages wholly handed to the kernel before the error.
                        let mut whole = next;
                        while whole < last && batch.ends[whole] <= start + accepted {
                            whole += 1;
                        }
                        let n = (whole - next) as u64;
                        if n > 0 && self.completed(n) {
                            link.unacked
                                .chunks
                                .push_back((c.socket_written(), n, Instant::now()));
                        }
                        next = whole;
                        self.connection_lost(
                            &mut conn,
                            &mut link,
                            &format_args!("write failed: {e}"),
                        );
                        break;
                    }
                }
            }
        }
    }

    /// Counts `n` messages as written whole; `false` when the sender was abandoned
    /// meanwhile: `shutdown` has already counted them as dropped, so they are not counted
    /// as sent too.
    fn completed(&self, n: u64) -> bool {
        let mut st = self.state.lock();
        if st.abandoned {
            return false;
        }
        st.completed += n;
        st.held = st.held.saturating_sub(n);
        self.counters.sent.fetch_add(n, Ordering::Relaxed);
        drop(st);
        self.progress.notify_all();
        true
    }

    fn idle_check(&self, conn: &mut Option<C::Connection>, link: &mut Link) {
        if let Some(c) = conn.as_mut() {
            if c.peer_closed() {
                self.connection_lost(conn, link, &"the peer closed the connection");
            } else {
                link.unacked.trim(c);
            }
        }
    }

    fn connection_lost(
        &self,
        conn: &mut Option<C::Connection>,
        link: &mut Link,
        why: &dyn std::fmt::Display,
    ) {
        if let Some(c) = conn.take() {
            c.close();
        }
        link.lost(&self.config.backoff);
        self.throttle.failed(&format_args!("{why}; reconnecting"));
        let lost = link.unacked.take();
        if lost > 0 {
            self.counters
                .possibly_lost
                .fetch_add(lost, Ordering::Relaxed);
            let msg = format!(
                "possibly lost: accepted by the kernel but not acknowledged by {} before the connection failed ({why})",
                self.connector.describe()
            );
            report(&Report {
                source: self.throttle.source(),
                kind: ReportKind::Dropped { records: lost },
                message: &msg,
            });
        }
    }
}

/// Marks the thread as gone when it returns or panics, so nobody waits for it forever.
struct ExitGuard<'a, C: Connector> {
    shared: &'a Shared<C>,
}

impl<C: Connector> Drop for ExitGuard<'_, C> {
    fn drop(&mut self) {
        let sh = self.shared;
        let mut st = sh.state.lock();
        st.running = false;
        let left = st.queue.ends.len() as u64 + std::mem::take(&mut st.held);
        st.queue.clear();
        drop(st);
        sh.room.notify_all();
        sh.progress.notify_all();
        if left > 0 {
            sh.drops
                .dropped(&sh.counters, left, &"the sender thread stopped");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io;

    use super::*;
    use crate::stream_sender::Growth;

    /// A peer that is never there.
    #[derive(Debug)]
    struct Refused;

    struct NoConn;

    impl Connector for Refused {
        type Connection = NoConn;
        fn connect(&self) -> io::Result<NoConn> {
            Err(io::ErrorKind::ConnectionRefused.into())
        }
        fn describe(&self) -> String {
            "test tcp 127.0.0.1:9".to_owned()
        }
    }

    impl Connection for NoConn {
        fn write_chunk(&mut self, _: &[u8]) -> Result<(), (usize, io::Error)> {
            unreachable!()
        }
        fn socket_written(&self) -> u64 {
            0
        }
        fn unacknowledged(&self) -> Option<u64> {
            None
        }
        fn peer_closed(&mut self) -> bool {
            false
        }
        fn close(self) {}
    }

    /// A peer that refuses the first connect, then takes everything.
    #[derive(Debug, Default)]
    struct BackLater {
        attempts: std::sync::atomic::AtomicUsize,
        got: Arc<parking_lot::Mutex<Vec<u8>>>,
    }

    struct Recording(Arc<parking_lot::Mutex<Vec<u8>>>, u64);

    impl Connector for BackLater {
        type Connection = Recording;
        fn connect(&self) -> io::Result<Recording> {
            if self.attempts.fetch_add(1, Ordering::SeqCst) == 0 {
                return Err(io::ErrorKind::ConnectionRefused.into());
            }
            Ok(Recording(self.got.clone(), 0))
        }
        fn describe(&self) -> String {
            "test tcp 127.0.0.1:9".to_owned()
        }
    }

    impl Connection for Recording {
        fn write_chunk(&mut self, chunk: &[u8]) -> Result<(), (usize, io::Error)> {
            self.0.lock().extend_from_slice(chunk);
            self.1 += chunk.len() as u64;
            Ok(())
        }
        fn socket_written(&self) -> u64 {
            self.1
        }
        fn unacknowledged(&self) -> Option<u64> {
            Some(0)
        }
        fn peer_closed(&mut self) -> bool {
            false
        }
        fn close(self) {}
    }

    #[test]
    fn shutdown_tries_a_peer_that_is_back_at_once_instead_of_waiting_out_the_backoff() {
        let counters = Arc::new(StreamCounters::default());
        let connector = BackLater::default();
        let got = connector.got.clone();
        let config = StreamSenderConfig {
            thread_name: "test-stream-sender",
            capacity_bytes: 1024,
            policy: OverflowPolicy::DropNewest,
            backoff: Backoff {
                initial: Duration::from_secs(3600),
                max: Duration::from_secs(3600),
                growth: Growth::Double,
            },
        };
        let sender = StreamSender::start(connector, None, config, counters.clone()).unwrap();
        sender.push(&[b"one\n"], Level::INFO);
        // The first connect is refused: the next would be in an hour.
        let give_up = Instant::now() + Duration::from_secs(5);
        while counters.connect_attempts.load(Ordering::Relaxed) < 1 && Instant::now() < give_up {
            std::thread::sleep(Duration::from_millis(5));
        }
        sender.push(&[b"two\n"], Level::INFO);
        sender.shutdown(Instant::now() + Duration::from_secs(5));
        assert_eq!(&got.lock()[..], b"one\ntwo\n");
        assert_eq!(counters.sent.load(Ordering::Relaxed), 2);
        assert_eq!(counters.dropped.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn what_the_peer_never_took_is_dropped_at_the_shutdown_deadline() {
        let counters = Arc::new(StreamCounters::default());
        let config = StreamSenderConfig {
            thread_name: "test-stream-sender",
            capacity_bytes: 8,
            policy: OverflowPolicy::DropNewest,
            backoff: Backoff {
                initial: Duration::from_secs(60),
                max: Duration::from_secs(60),
                growth: Growth::Double,
            },
        };
        let sender = StreamSender::start(Refused, None, config, counters.clone()).unwrap();
        assert_eq!(sender.describe(), "test tcp 127.0.0.1:9");
        sender.push(&[b"123456789"], Level::ERROR); // larger than the whole buffer
        assert_eq!(counters.dropped.load(Ordering::Relaxed), 1);
        for _ in 0..3 {
            sender.push(&[b"ab", b"\n"], Level::INFO);
        }
        sender.shutdown(Instant::now() + Duration::from_millis(200));
        // Each of the three is dropped: by the policy when it did not fit, or (in the queue,
        // or held by the thread waiting to reconnect) at the deadline; the thread may count
        // its share just after shutdown returns.
        let give_up = Instant::now() + Duration::from_secs(5);
        while counters.dropped.load(Ordering::Relaxed) < 4 && Instant::now() < give_up {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(counters.dropped.load(Ordering::Relaxed), 4);
        assert_eq!(counters.sent.load(Ordering::Relaxed), 0);
        assert_eq!(counters.connections.load(Ordering::Relaxed), 0);
        assert!(counters.connect_attempts.load(Ordering::Relaxed) >= 1);
    }
}
