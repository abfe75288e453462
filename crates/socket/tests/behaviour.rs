//! The sender's behaviour: reconnect schedule, buffering while the peer is away, peer
//! closes, unix paths, overflow (reference §9, SOCK-05..08).

use std::io::Read;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing_handlers_core::dispatch::{Dispatch, HandlerEntry, HandlerSet};
use tracing_handlers_core::{
    FieldSet, FormatHandler, Handler, Level, MemorySink, OverflowPolicy, Record,
};
use tracing_handlers_socket::pickle::{load, PickleLimits, PickleValue};
use tracing_handlers_socket::{Receiver, ReceiverOptions, SocketHandler};

mod common;
use common::{log, memory_dispatch};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn read_msg(stream: &mut impl Read) -> String {
    let mut len = [0u8; 4];
    stream.read_exact(&mut len).unwrap();
    let mut payload = vec![0u8; u32::from_be_bytes(len) as usize];
    stream.read_exact(&mut payload).unwrap();
    match load(&payload, &PickleLimits::default()).unwrap().get("msg") {
        Some(PickleValue::Str(s)) => s.clone(),
        other => panic!("no msg: {other:?}"),
    }
}

#[test]
fn a_receiver_that_starts_2s_late_gets_every_record_once_in_order() {
    let port = free_port();
    // Python's schedule: attempts at 0 s and 1 s fail, the one at 3 s connects.
    let handler = SocketHandler::builder("127.0.0.1", Some(port))
        .build()
        .unwrap();
    let start = Instant::now();
    let mut receiver = None;
    let mut expected = String::new();
    for i in 0..25 {
        let due = start + Duration::from_millis(100 * i);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        if receiver.is_none() && start.elapsed() >= Duration::from_secs(2) {
            let (dispatch, sink) = memory_dispatch();
            receiver = Some((
                Receiver::bind(("127.0.0.1", port), dispatch, ReceiverOptions::new()).unwrap(),
                sink,
            ));
        }
        let msg = format!("record {i}");
        log(&handler, &msg);
        expected.push_str(&msg);
        expected.push('\n');
    }
    handler.shutdown(Instant::now() + Duration::from_secs(10));
    let (receiver, sink) = receiver.unwrap();
    receiver.shutdown();
    assert_eq!(sink.text(), expected);
    let stats = handler.stats();
    assert_eq!((stats.sent, stats.dropped, stats.connections), (25, 0, 1));
    assert!(stats.connect_attempts >= 3, "{stats:?}");
}

#[test]
fn reconnect_attempts_follow_the_doubling_schedule() {
    let port = free_port();
    let handler = SocketHandler::builder("127.0.0.1", Some(port))
        .with_reconnect_backoff(Duration::from_millis(100), 2.0, Duration::from_millis(400))
        .build()
        .unwrap();
    let start = Instant::now();
    // Attempts at 0, 0.1, 0.3, 0.7, 1.1, 1.5 s while records keep coming for 1.65 s.
    while start.elapsed() < Duration::from_millis(1650) {
        log(&handler, "x");
        std::thread::sleep(Duration::from_millis(10));
    }
    let attempts = handler.stats().connect_attempts;
    assert!((5..=6).contains(&attempts), "{attempts} attempts");
    assert_eq!(handler.stats().connections, 0);
    handler.shutdown(Instant::now());
}

#[test]
fn after_the_peer_closes_the_next_records_go_out_on_a_new_connection() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handler = SocketHandler::builder("127.0.0.1", Some(port))
        .build()
        .unwrap();
    log(&handler, "one");
    let (mut first, _) = listener.accept().unwrap();
    assert_eq!(read_msg(&mut first), "one");
    drop(first);
    std::thread::sleep(Duration::from_millis(300));
    log(&handler, "two");
    log(&handler, "three");
    let (mut second, _) = listener.accept().unwrap();
    assert_eq!(read_msg(&mut second), "two");
    assert_eq!(read_msg(&mut second), "three");
    handler.flush();
    assert_eq!(handler.stats().connections, 2);
}

#[cfg(unix)]
#[test]
fn a_unix_path_that_appears_later_gets_the_records() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.sock");
    let handler = SocketHandler::builder(path.to_str().unwrap(), None)
        .with_reconnect_backoff(Duration::from_millis(200), 2.0, Duration::from_secs(1))
        .build()
        .unwrap();
    log(&handler, "early");
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(handler.stats().connections, 0);
    assert!(handler.stats().connect_attempts >= 1);
    let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    let (mut conn, _) = listener.accept().unwrap();
    assert_eq!(read_msg(&mut conn), "early");
    assert_eq!(
        handler.describe(),
        format!("socket unix {}", path.display())
    );
}

#[test]
fn a_full_buffer_drops_and_counts_without_blocking_the_caller() {
    let handler = SocketHandler::builder("127.0.0.1", Some(free_port()))
        .with_capacity_bytes(2000)
        .with_overflow_policy(OverflowPolicy::DropNewest)
        .build()
        .unwrap();
    let start = Instant::now();
    for i in 0..200 {
        log(&handler, &format!("record {i} {}", "x".repeat(200)));
    }
    assert!(start.elapsed() < Duration::from_secs(1));
    let stats = handler.stats();
    assert_eq!(stats.sent, 0);
    assert!(stats.dropped >= 190, "{stats:?}");
    handler.shutdown(Instant::now());
}

#[test]
fn logger_levels_are_not_applied_again_handler_levels_are() {
    let sink = Arc::new(MemorySink::new());
    let mut set = HandlerSet::new();
    let h = set.add_handler(
        HandlerEntry::new("out", Arc::new(FormatHandler::new(sink.clone())))
            .with_level(Level::INFO),
    );
    set.tree.root_mut().handlers.push(h);
    set.tree.logger_mut("portal").level = Level::ERROR;
    let receiver =
        Receiver::bind("127.0.0.1:0", Dispatch::new(set), ReceiverOptions::new()).unwrap();
    let handler = SocketHandler::builder("127.0.0.1", Some(receiver.local_addr().port()))
        .build()
        .unwrap();
    let fields = FieldSet::new();
    handler.handle(&Record::new(Level::INFO, "portal.api", "kept", &fields));
    handler.handle(&Record::new(
        Level::DEBUG,
        "portal.api",
        "below the handler",
        &fields,
    ));
    handler.shutdown(Instant::now() + Duration::from_secs(5));
    receiver.shutdown();
    assert_eq!(sink.text(), "kept\n");
}

#[test]
fn timeouts_too_long_to_add_to_now_never_panic() {
    use tracing_handlers_core::{FieldSet, Handler, Level, Record};
    // Nothing listens on port 1: the sender keeps failing to connect, with a backoff and a
    // flush timeout no deadline can hold.
    let handler = tracing_handlers_socket::SocketHandler::builder("127.0.0.1", Some(1))
        .with_reconnect_backoff(Duration::MAX, 2.0, Duration::MAX)
        .with_flush_timeout(Duration::MAX)
        .with_connect_timeout(Duration::MAX)
        .build()
        .unwrap();
    let fields = FieldSet::new();
    handler.handle(&Record::new(
        Level::WARNING,
        "portal",
        "kept or counted",
        &fields,
    ));
    std::thread::sleep(Duration::from_millis(100)); // a connect attempt fails, the retry is far off
    handler.shutdown(Instant::now() + Duration::from_millis(200));
    handler.flush();
    assert_eq!(handler.stats().dropped, 1);
}
