//! The sender thread: a queue bounded in bytes, reconnect on Python's schedule, and the
//! accounting of what may have been lost (adapted from the syslog crate's sender).
//!
//! Producers append framed messages to a shared buffer under a short lock (the pattern of
//! core's `nonblocking`); the thread `tracing-handlers-socket` swaps it for its own buffer,
//! writes it in chunks, and keeps it while the peer is away, so at most twice the capacity is
//! held. When the queue is full the overflow policy decides. After each write the thread asks
//! the kernel how many bytes the peer has not acknowledged yet; when a connection fails, the
//! messages in that unacknowledged tail, and those acknowledged less than a second before
//! (they may still have been unread in the daemon's socket buffer), are counted and reported
//! as possibly lost, and the messages not yet written go out on the next connection.

use std::cell::Cell;
use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use tracing_handlers_core::report::{report, ErrorThrottle, Report, ReportKind};
use tracing_handlers_core::{Level, OverflowPolicy};

use crate::conn::{Conn, StreamTarget};
use crate::stats::{Counters, DropReporter};

/// The name of the sender thread.
pub const SENDER_THREAD_NAME: &str = "tracing-handlers-socket";

/// How often an idle sender checks that its connection is still alive.
const IDLE_CHECK: Duration = Duration::from_millis(250);

/// Largest chunk written at once.
const CHUNK: usize = 16 * 1024;

thread_local! {
    static ON_SENDER: Cell<bool> = const { Cell::new(false) };
}

fn on_sender() -> bool {
    ON_SENDER.try_with(Cell::get).unwrap_or(false)
}

/// Reconnect timing: the first retry after `initial`, then multiplied by `factor` per
/// consecutive failure, at most `max` (Python: 1 s, ×2, 30 s).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Backoff {
    pub(crate) initial: Duration,
    pub(crate) factor: f64,
    pub(crate) max: Duration,
}

impl Backoff {
    /// The wait after the failure that followed a wait of `current`.
    pub(crate) fn next(&self, current: Duration) -> Duration {
        Duration::try_from_secs_f64(current.as_secs_f64() * self.factor.max(1.0))
            .unwrap_or(self.max)
            .min(self.max)
    }
}

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

#[derive(Debug)]
struct State {
    queue: Batch,
    enqueued: u64,
    completed: u64,
    stopping: bool,
    abandoned: bool,
    running: bool,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    work: Condvar,
    room: Condvar,
    progress: Condvar,
    capacity: usize,
    policy: OverflowPolicy,
    target: StreamTarget,
    backoff: Backoff,
    counters: Arc<Counters>,
    drops: DropReporter,
    throttle: ErrorThrottle,
}

/// The queued sender.
#[derive(Debug)]
pub(crate) struct Sender {
    shared: Arc<Shared>,
    worker: Mutex<Option<JoinHandle<()>>>,
}

impl Sender {
    /// Starts the thread; `conn` is a connection made at construction, if any.
    pub(crate) fn start(
        target: StreamTarget,
        conn: Option<Conn>,
        capacity: usize,
        policy: OverflowPolicy,
        backoff: Backoff,
        counters: Arc<Counters>,
    ) -> std::io::Result<Sender> {
        let source = target.describe();
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                queue: Batch::default(),
                enqueued: 0,
                completed: 0,
                stopping: false,
                abandoned: false,
                running: true,
            }),
            work: Condvar::new(),
            room: Condvar::new(),
            progress: Condvar::new(),
            capacity,
            policy,
            target,
            backoff,
            counters,
            drops: DropReporter::new(source.clone()),
            throttle: ErrorThrottle::new(source),
        });
        let worker = shared.clone();
        let handle = std::thread::Builder::new()
            .name(SENDER_THREAD_NAME.to_owned())
            .spawn(move || worker.run(conn))?;
        Ok(Sender {
            shared,
            worker: Mutex::new(Some(handle)),
        })
    }

    /// Queues one frame made of `parts`, applying the overflow policy when the queue is full.
    pub(crate) fn push(&self, parts: &[&[u8]], level: Level) {
        let sh = &*self.shared;
        let len: usize = parts.iter().map(|p| p.len()).sum();
        if len > sh.capacity {
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
            if st.queue.bytes.len() + len <= sh.capacity {
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
            let drop_it = on_sender()
                || match sh.policy {
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
    pub(crate) fn flush(&self, deadline: Instant) {
        let sh = &*self.shared;
        if on_sender() {
            return;
        }
        let mut st = sh.state.lock();
        let target = st.enqueued;
        sh.work.notify_one();
        while st.running && st.completed < target {
            if sh.progress.wait_until(&mut st, deadline).timed_out() {
                break;
            }
        }
        drop(st);
        sh.drops.report_pending();
    }

    /// Drains until `deadline`, then stops the thread; what is left is dropped and counted.
    pub(crate) fn shutdown(&self, deadline: Instant) {
        let sh = &*self.shared;
        let mut st = sh.state.lock();
        st.stopping = true;
        sh.work.notify_one();
        while st.running {
            if sh.progress.wait_until(&mut st, deadline).timed_out() {
                break;
            }
        }
        if st.running {
            st.abandoned = true;
            let left = st.queue.ends.len() as u64;
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
            if let Some(h) = self.worker.lock().take() {
                let _ = h.join();
            }
        }
        sh.drops.report_pending();
    }

    /// How reports name the peer (`socket tcp 127.0.0.1:9020`).
    pub(crate) fn describe(&self) -> String {
        self.shared.target.describe()
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        self.shutdown(Instant::now() + Duration::from_secs(5));
    }
}

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
    fn wrote(&mut self, conn: &Conn, messages: u64) {
        self.chunks
            .push_back((conn.socket_written(), messages, Instant::now()));
        self.trim(conn);
    }

    fn trim(&mut self, conn: &Conn) {
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

impl Shared {
    fn run(&self, mut conn: Option<Conn>) {
        let _ = ON_SENDER.try_with(|s| s.set(true));
        let _exit = ExitGuard { shared: self };
        let mut batch = Batch::default();
        let mut next = 0usize;
        let mut unacked = Unacked::default();
        let mut backoff = self.backoff.initial;
        let mut retry_at = Instant::now();
        loop {
            // 1. Take work.
            {
                let mut st = self.state.lock();
                if st.abandoned {
                    let left = (batch.ends.len() - next) as u64;
                    drop(st);
                    if left > 0 {
                        self.drops.dropped(
                            &self.counters,
                            left,
                            &"not sent by the shutdown deadline",
                        );
                    }
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
                            self.idle_check(&mut conn, &mut unacked);
                        }
                        continue;
                    }
                    std::mem::swap(&mut batch, &mut st.queue);
                    self.room.notify_all();
                }
            }
            // 2. Be connected.
            let closed = conn.as_mut().map(Conn::peer_closed);
            match closed {
                Some(true) => {
                    self.connection_lost(
                        &mut conn,
                        &mut unacked,
                        &"the peer closed the connection",
                    );
                    continue;
                }
                Some(false) => {}
                None => {
                    let now = Instant::now();
                    if now < retry_at {
                        let mut st = self.state.lock();
                        if !st.abandoned {
                            self.work.wait_until(&mut st, retry_at);
                        }
                        continue;
                    }
                    self.counters
                        .connect_attempts
                        .fetch_add(1, Ordering::Relaxed);
                    match Conn::connect(&self.target) {
                        Ok(c) => {
                            self.counters.connections.fetch_add(1, Ordering::Relaxed);
                            conn = Some(c);
                            backoff = self.backoff.initial;
                            self.throttle.succeeded();
                        }
                        Err(e) => {
                            self.throttle.failed(&format_args!(
                                "connect failed: {e} (retrying in {backoff:?})"
                            ));
                            retry_at = now + backoff;
                            backoff = self.backoff.next(backoff);
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
                        self.counters.sent.fetch_add(n, Ordering::Relaxed);
                        unacked.wrote(c, n);
                        next = last;
                        self.completed(n);
                    }
                    Err((accepted, e)) => {
                        // Messages wholly handed to the kernel before the error.
                        let mut whole = next;
                        while whole < last && batch.ends[whole] <= start + accepted {
                            whole += 1;
                        }
                        let n = (whole - next) as u64;
                        if n > 0 {
                            self.counters.sent.fetch_add(n, Ordering::Relaxed);
                            unacked
                                .chunks
                                .push_back((c.socket_written(), n, Instant::now()));
                            self.completed(n);
                        }
                        next = whole;
                        self.connection_lost(
                            &mut conn,
                            &mut unacked,
                            &format_args!("write failed: {e}"),
                        );
                        break;
                    }
                }
            }
        }
    }

    fn completed(&self, n: u64) {
        let mut st = self.state.lock();
        st.completed += n;
        drop(st);
        self.progress.notify_all();
    }

    fn idle_check(&self, conn: &mut Option<Conn>, unacked: &mut Unacked) {
        if let Some(c) = conn.as_mut() {
            if c.peer_closed() {
                self.connection_lost(conn, unacked, &"the peer closed the connection");
            } else {
                unacked.trim(c);
            }
        }
    }

    fn connection_lost(
        &self,
        conn: &mut Option<Conn>,
        unacked: &mut Unacked,
        why: &dyn std::fmt::Display,
    ) {
        if let Some(c) = conn.take() {
            c.close();
        }
        self.throttle.failed(&format_args!("{why}; reconnecting"));
        let lost = unacked.take();
        if lost > 0 {
            self.counters
                .possibly_lost
                .fetch_add(lost, Ordering::Relaxed);
            let msg = format!(
                "possibly lost: accepted by the kernel but not acknowledged by {} before the connection failed ({why})",
                self.target.describe()
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
struct ExitGuard<'a> {
    shared: &'a Shared,
}

impl Drop for ExitGuard<'_> {
    fn drop(&mut self) {
        let sh = self.shared;
        let mut st = sh.state.lock();
        st.running = false;
        let left = st.queue.ends.len() as u64;
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
    use super::*;

    /// SOCK-05: emitting once per second to a closed port, CPython attempts to connect at
    /// t = 0, 1, 3, 7, 15, 31, 61, 91, 121, 151, 181.
    #[test]
    fn pythons_schedule() {
        let b = Backoff {
            initial: Duration::from_secs(1),
            factor: 2.0,
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
        let huge = Backoff { factor: 1e300, ..b };
        assert_eq!(huge.next(Duration::from_secs(30)), Duration::from_secs(30));
    }
}
