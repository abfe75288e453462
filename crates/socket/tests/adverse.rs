//! Adverse peers: a peer that never reads, one that resets every connection at once, and
//! receivers fed by peers that never go quiet or send lines and frames at the size limit.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing_handlers_core::{Handler, MemorySink};
use tracing_handlers_socket::{Receiver, ReceiverOptions, SocketHandler};
use tracing_handlers_test_support::within;

mod common;
use common::{log, memory_dispatch};

/// A peer that accepts and never reads: the sender thread is stuck in a write (for the
/// write timeout) when the shutdown deadline passes. What it holds is counted as dropped by
/// the time shutdown returns (the process may exit right after), and a flush or drop after
/// that does not wait out its own timeout again.
#[test]
fn a_peer_that_never_reads_every_record_is_counted_when_shutdown_returns() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handler = SocketHandler::builder("127.0.0.1", Some(port))
        .with_capacity_bytes(256 * 1024)
        .with_write_timeout(Duration::from_secs(30))
        .with_flush_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    log(&handler, "first");
    let (_peer, _) = listener.accept().unwrap();
    let n = 20_000;
    let big = "x".repeat(500);
    for i in 1..n {
        log(&handler, &format!("{i} {big}"));
    }
    handler.shutdown(Instant::now() + Duration::from_millis(300));
    let stats = handler.stats();
    assert!(stats.dropped > 0, "{stats:?}");
    assert_eq!(stats.sent + stats.dropped, n, "{stats:?}");
    within(Duration::from_secs(4), "flush and drop", move || {
        handler.flush();
        drop(handler);
    });
}

/// Sets SO_LINGER to 0, so that closing sends a reset.
fn reset_on_close(s: &TcpStream) {
    use std::os::fd::AsRawFd;
    let l = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: a valid socket and a `linger` of the size given.
    let rc = unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&l as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0);
}

/// A peer that accepts every connection and resets it at once: the sender backs off as
/// after failed connects instead of opening a connection for every record.
#[test]
fn a_peer_that_resets_every_connection_at_once_gets_the_backoff() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = stop.clone();
    listener.set_nonblocking(true).unwrap();
    let resetter = std::thread::spawn(move || {
        while !stopped.load(Ordering::Relaxed) {
            match listener.accept() {
                Ok((s, _)) => reset_on_close(&s),
                Err(_) => std::thread::sleep(Duration::from_millis(1)),
            }
        }
    });
    let handler = SocketHandler::builder("127.0.0.1", Some(port))
        .build()
        .unwrap();
    for i in 0..150 {
        log(&handler, &format!("record {i}"));
        std::thread::sleep(Duration::from_millis(10));
    }
    stop.store(true, Ordering::Relaxed);
    resetter.join().unwrap();
    let stats = handler.stats();
    // With the 1 s, 2 s, ... backoff: about four connections; one per record without it.
    assert!(stats.connections <= 20, "{stats:?}");
    handler.shutdown(Instant::now());
}

const LINE: &[u8] = b"{\"levelname\":\"INFO\",\"name\":\"n\",\"msg\":\"";

/// A JSON line of `len` bytes (without its newline).
fn line_of(len: usize) -> Vec<u8> {
    let mut line = LINE.to_vec();
    line.resize(len - 2, b'y');
    line.extend_from_slice(b"\"}");
    assert_eq!(line.len(), len);
    line
}

/// The size limit of a JSON line holds however the bytes arrive: a line of exactly the limit
/// is delivered, one byte over closes the connection, also when its newline comes in the
/// same read.
#[test]
fn a_json_line_one_byte_over_the_limit_is_rejected_even_in_one_read() {
    let (dispatch, sink) = memory_dispatch();
    let receiver = Receiver::bind(
        "127.0.0.1:0",
        dispatch,
        ReceiverOptions::new().with_max_frame_bytes(100),
    )
    .unwrap();
    let mut both = line_of(100);
    both.push(b'\n');
    both.extend_from_slice(&line_of(101));
    both.push(b'\n');
    both.extend_from_slice(&line_of(60));
    both.push(b'\n');
    let mut s = TcpStream::connect(receiver.local_addr()).unwrap();
    s.write_all(&both).unwrap();
    drop(s);
    let give_up = Instant::now() + Duration::from_secs(5);
    while receiver.stats().rejected == 0 && Instant::now() < give_up {
        std::thread::sleep(Duration::from_millis(10));
    }
    receiver.shutdown();
    let stats = receiver.stats();
    assert_eq!((stats.records, stats.rejected), (1, 1), "{stats:?}");
    assert_eq!(sink.text().len(), 100 - LINE.len() - 2 + 1);
}

/// A pickle frame of exactly the limit is read; one byte over closes the connection.
#[test]
fn a_pickle_frame_at_the_limit_is_read_one_over_is_rejected() {
    let _ = reports();
    let (dispatch, _sink) = memory_dispatch();
    let receiver = Receiver::bind(
        "127.0.0.1:0",
        dispatch,
        ReceiverOptions::new().with_max_frame_bytes(4),
    )
    .unwrap();
    // Four bytes: a pickle that loads (None) but is not a record dict, so it is rejected
    // for that after being read whole; five bytes are rejected by the limit before.
    let mut s = TcpStream::connect(receiver.local_addr()).unwrap();
    s.write_all(&[0, 0, 0, 5, b'N', b'.', 0, 0, 0]).unwrap();
    let mut t = TcpStream::connect(receiver.local_addr()).unwrap();
    t.write_all(&[0, 0, 0, 4, 0x80, 2, b'N', b'.']).unwrap();
    drop((s, t));
    let give_up = Instant::now() + Duration::from_secs(5);
    while receiver.stats().rejected < 2 && Instant::now() < give_up {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(receiver.stats().rejected, 2);
    receiver.shutdown();
    let source = format!("socket receiver {}", receiver.local_addr());
    let mine: Vec<String> = reports()
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.starts_with(&source))
        .cloned()
        .collect();
    assert_eq!(mine.len(), 2, "{mine:?}");
    let over = mine
        .iter()
        .filter(|r| r.contains("exceeds the limit"))
        .count();
    assert_eq!(over, 1, "{mine:?}");
}

/// Every report, as text (the reporter is process-wide: tests filter by source).
fn reports() -> &'static std::sync::Mutex<Vec<String>> {
    static REPORTS: std::sync::OnceLock<std::sync::Mutex<Vec<String>>> = std::sync::OnceLock::new();
    REPORTS.get_or_init(|| {
        tracing_handlers_core::report::set_error_reporter(|r| {
            if let Some(all) = REPORTS.get() {
                all.lock().unwrap().push(r.to_string());
            }
        });
        std::sync::Mutex::new(Vec::new())
    })
}

/// Shutdown (SIGTERM in `tracing-handlers receive`) returns promptly while peers are
/// connected: one that never goes quiet (a record every 20 ms), and one that sent a frame's
/// length and stalls.
#[test]
fn shutdown_returns_while_a_peer_never_goes_quiet_and_another_stalls_mid_frame() {
    let (dispatch, _sink) = memory_dispatch();
    let receiver = Receiver::bind("127.0.0.1:0", dispatch, ReceiverOptions::new()).unwrap();
    let addr = receiver.local_addr();
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = stop.clone();
    let busy = std::thread::spawn(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        let mut line = line_of(80);
        line.push(b'\n');
        while !stopped.load(Ordering::Relaxed) && s.write_all(&line).is_ok() {
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    let mut stalled = TcpStream::connect(addr).unwrap();
    stalled.write_all(&[0, 0, 1, 0, 0x80]).unwrap();
    let give_up = Instant::now() + Duration::from_secs(5);
    while receiver.stats().records < 3 && Instant::now() < give_up {
        std::thread::sleep(Duration::from_millis(10));
    }
    let receiver = Arc::new(receiver);
    let r = receiver.clone();
    within(Duration::from_secs(8), "receiver shutdown", move || {
        r.shutdown()
    });
    stop.store(true, Ordering::Relaxed);
    busy.join().unwrap();
    assert!(receiver.stats().records >= 3);
    drop(stalled);
}

/// A receiver into a memory sink that serves at most `max` connections and closes one
/// quiet for `quiet` to make room.
fn limited_receiver(max: usize, quiet: Duration) -> (Receiver, Arc<MemorySink>) {
    let (dispatch, sink) = memory_dispatch();
    let options = ReceiverOptions::new()
        .with_max_connections(max)
        .with_evict_quiet_after(quiet);
    (
        Receiver::bind("127.0.0.1:0", dispatch, options).unwrap(),
        sink,
    )
}

/// Waits until `receiver` has accepted `n` connections.
fn until_accepted(receiver: &Receiver, n: u64) {
    let give_up = Instant::now() + Duration::from_secs(5);
    while receiver.stats().connections < n && Instant::now() < give_up {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(receiver.stats().connections, n);
}

/// Peers that connect and go silent (a port scanner, a hung sender) used to take the
/// connection limit for good: every later sender was closed at once. A new connection at the
/// limit now closes the one that has been quiet longest, once it has been quiet a while.
#[test]
fn a_connection_at_the_limit_takes_the_place_of_the_quietest_one() {
    let _ = reports();
    let (receiver, sink) = limited_receiver(2, Duration::from_millis(300));
    let mut first = TcpStream::connect(receiver.local_addr()).unwrap();
    until_accepted(&receiver, 1);
    std::thread::sleep(Duration::from_millis(100));
    let mut second = TcpStream::connect(receiver.local_addr()).unwrap();
    until_accepted(&receiver, 2);
    // Both silent; the first the longer. The second sends one line now and then.
    std::thread::sleep(Duration::from_millis(400));
    second
        .write_all(b"{\"levelname\":\"INFO\",\"name\":\"n\",\"msg\":\"from the second\"}\n")
        .unwrap();
    std::thread::sleep(Duration::from_millis(50));
    let sender = SocketHandler::builder("127.0.0.1", Some(receiver.local_addr().port()))
        .build()
        .unwrap();
    log(&sender, "from a new sender");
    let give_up = Instant::now() + Duration::from_secs(10);
    while !sink.text().contains("from a new sender") && Instant::now() < give_up {
        std::thread::sleep(Duration::from_millis(10));
    }
    // The quietest connection was closed, the other one still delivers.
    first
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut byte = [0u8; 1];
    assert!(matches!(
        std::io::Read::read(&mut first, &mut byte),
        Ok(0) | Err(_)
    ));
    second
        .write_all(b"{\"levelname\":\"INFO\",\"name\":\"n\",\"msg\":\"the second again\"}\n")
        .unwrap();
    drop(second);
    sender.shutdown(Instant::now() + Duration::from_secs(5));
    receiver.shutdown();
    let text = sink.text();
    assert!(
        text.contains("from the second") && text.contains("the second again"),
        "{text}"
    );
    let source = format!("socket receiver {}", receiver.local_addr());
    let closed: Vec<String> = reports()
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.starts_with(&source) && r.contains("closed to make room"))
        .cloned()
        .collect();
    assert_eq!(closed.len(), 1, "{closed:?}");
    assert!(
        closed[0].contains(&first.local_addr().unwrap().to_string()),
        "{closed:?}"
    );
}

/// At the limit with every connection recently active, a new one is closed at once (and
/// reported): busy senders are not cut off for it.
#[test]
fn a_connection_at_the_limit_of_busy_ones_is_refused() {
    let _ = reports();
    let (receiver, _sink) = limited_receiver(1, Duration::from_secs(60));
    let mut busy = TcpStream::connect(receiver.local_addr()).unwrap();
    until_accepted(&receiver, 1);
    busy.write_all(b"{\"levelname\":\"INFO\",\"name\":\"n\",\"msg\":\"busy\"}\n")
        .unwrap();
    let mut late = TcpStream::connect(receiver.local_addr()).unwrap();
    late.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut byte = [0u8; 1];
    assert!(matches!(
        std::io::Read::read(&mut late, &mut byte),
        Ok(0) | Err(_)
    ));
    assert_eq!(receiver.stats().rejected, 1);
    busy.write_all(b"{\"levelname\":\"INFO\",\"name\":\"n\",\"msg\":\"still served\"}\n")
        .unwrap();
    drop(busy);
    receiver.shutdown();
    assert_eq!(receiver.stats().records, 2);
}

/// Two connections at once at the limit, with one quiet connection to close: the first takes
/// its place, the second is refused (the closed one, still ending, is not closed twice to
/// let a second one in past the limit).
#[test]
fn one_quiet_connection_makes_room_for_one_newcomer_only() {
    let (receiver, _sink) = limited_receiver(1, Duration::from_millis(200));
    let _quiet = TcpStream::connect(receiver.local_addr()).unwrap();
    until_accepted(&receiver, 1);
    std::thread::sleep(Duration::from_millis(300));
    // Both wait in the listen queue and are accepted one right after the other.
    let newcomers: Vec<TcpStream> = (0..2)
        .map(|_| TcpStream::connect(receiver.local_addr()).unwrap())
        .collect();
    until_accepted(&receiver, 3);
    let give_up = Instant::now() + Duration::from_secs(5);
    while receiver.stats().rejected < 1 && Instant::now() < give_up {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(receiver.stats().rejected, 1);
    drop(newcomers);
    receiver.shutdown();
}
