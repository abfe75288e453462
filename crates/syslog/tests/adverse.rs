//! Adverse peers: sockets that never read, readers that are gone, oversized datagrams,
//! shutdowns that hit their deadline.

use std::io::Read;
use std::net::{TcpListener, UdpSocket};
use std::os::unix::net::{UnixDatagram, UnixListener};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing_handlers_core::{FieldSet, Handler, Level, OverflowPolicy, Record};
use tracing_handlers_syslog::{SockType, SyslogHandler};
use tracing_handlers_test_support::within;

fn log(handler: &SyslogHandler, msg: &str) {
    let fields = FieldSet::new();
    handler.handle(&Record::new(Level::INFO, "sys", msg, &fields));
}

/// The size of message `i`: some larger than half the socket buffer, which the kernel takes
/// in part when it is nearly full.
fn size_of(i: usize) -> usize {
    if i.is_multiple_of(10) {
        150_000 + i
    } else {
        1000 + i % 997
    }
}

/// A unix stream peer that accepts and stops reading: under a dropping policy the logging
/// call returns (the records that do not fit are dropped and counted), and when the peer
/// reads again it finds whole messages only, in order, each one once, though the socket
/// buffer took some of them only in part.
#[test]
fn a_unix_stream_peer_that_stops_reading_never_blocks_a_dropping_policy_nor_tears_messages() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stream.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let handler = SyslogHandler::builder()
        .with_address(path.as_path())
        .with_socktype(SockType::Stream)
        .with_overflow_policy(OverflowPolicy::DropNewest)
        .with_max_message_size(400_000)
        .with_flush_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let (mut conn, _) = listener.accept().unwrap();
    let handler = Arc::new(handler);
    let h = handler.clone();
    let n = 400;
    within(
        Duration::from_secs(10),
        "logging to a peer that never reads",
        move || {
            for i in 0..n {
                log(&h, &format!("{i} {}", "x".repeat(size_of(i))));
            }
        },
    );
    let stats = handler.stats();
    assert!(stats.dropped > 0, "{stats:?}");
    assert_eq!(stats.sent + stats.dropped, n as u64, "{stats:?}");
    // The peer reads again; the rest of a message taken in part goes out at the flush.
    let reader = std::thread::spawn(move || {
        let mut got = Vec::new();
        conn.read_to_end(&mut got).unwrap();
        got
    });
    let h = handler.clone();
    within(Duration::from_secs(10), "flush", move || h.flush());
    drop(handler);
    let got = reader.join().unwrap();
    let mut last = None;
    let mut count = 0;
    for msg in got.split(|&b| b == 0).filter(|m| !m.is_empty()) {
        let text = std::str::from_utf8(msg).unwrap();
        let body = text
            .strip_prefix("<14>")
            .unwrap_or_else(|| panic!("torn: {text:.40}"));
        let (i, xs) = body.split_once(' ').unwrap();
        let i: usize = i.parse().unwrap_or_else(|_| panic!("torn: {text:.40}"));
        assert_eq!(xs.len(), size_of(i), "message {i} torn");
        assert!(xs.bytes().all(|b| b == b'x'), "message {i} torn");
        assert!(last.is_none_or(|l| l < i), "{i} after {last:?}");
        last = Some(i);
        count += 1;
    }
    assert_eq!(count as u64, stats.sent);
}

/// After a shutdown that hit its deadline (a TCP peer that never reads, the sender thread
/// stuck in a write), a flush, a second shutdown and the drop return at once instead of
/// waiting out their own timeouts again (the exit hook and the guard each call one), and
/// every record is accounted for as sent or dropped by the time shutdown returns.
#[test]
fn after_a_shutdown_deadline_passed_nothing_waits_again_and_every_record_is_counted() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let handler = SyslogHandler::builder()
        .with_address(listener.local_addr().unwrap())
        .with_socktype(SockType::Stream)
        .with_capacity_bytes(256 * 1024)
        .with_flush_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let (_peer, _) = listener.accept().unwrap();
    let n = 20_000;
    let big = "x".repeat(500);
    for i in 0..n {
        log(&handler, &format!("{i} {big}"));
    }
    handler.shutdown(Instant::now() + Duration::from_millis(300));
    let stats = handler.stats();
    assert_eq!(stats.sent + stats.dropped, n, "{stats:?}");
    within(
        Duration::from_secs(4),
        "flush, shutdown and drop",
        move || {
            handler.flush();
            handler.shutdown(Instant::now() + Duration::from_secs(5));
            drop(handler);
        },
    );
}

/// A unix datagram reader that goes away (ECONNREFUSED) and comes back at the same path.
#[test]
fn a_unix_datagram_reader_that_goes_away_and_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dgram.sock");
    let reader = UnixDatagram::bind(&path).unwrap();
    let handler = SyslogHandler::builder()
        .with_address(path.as_path())
        .build()
        .unwrap();
    log(&handler, "one");
    drop(reader);
    log(&handler, "two");
    assert_eq!(handler.stats().dropped, 1);
    std::fs::remove_file(&path).unwrap();
    let reader = UnixDatagram::bind(&path).unwrap();
    log(&handler, "three");
    let mut buf = [0u8; 100];
    let n = reader.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"<14>three\0");
    assert_eq!(handler.stats().sent, 2);
}

/// A UDP message over 64 KiB (a size limit raised past it) is dropped and counted; the next
/// one goes out.
#[test]
fn a_udp_message_too_large_for_a_datagram_is_counted_and_the_next_goes_out() {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let handler = SyslogHandler::builder()
        .with_address(sock.local_addr().unwrap())
        .with_max_message_size(200_000)
        .build()
        .unwrap();
    log(&handler, &"z".repeat(100_000));
    log(&handler, "small");
    let mut buf = [0u8; 100];
    let n = sock.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"<14>small\0");
    let stats = handler.stats();
    assert_eq!((stats.sent, stats.dropped), (1, 1), "{stats:?}");
}
