//! Deterministic fuzzing of the pickle reader and a live receiver: random, mutated and
//! hostile frames never panic; each bad frame closes its connection with a report, and the
//! receiver keeps serving.

use std::io::Write;
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing_handlers_core::dispatch::{Dispatch, HandlerEntry, HandlerSet};
use tracing_handlers_core::report::{set_error_reporter, Report};
use tracing_handlers_core::{FieldSet, FormatHandler, Level, MemorySink, Record};
use tracing_handlers_socket::pickle::{encode_frame, load, PickleLimits};
use tracing_handlers_socket::{Receiver, ReceiverOptions};

mod common;
use common::memory_dispatch;

/// xorshift64*: the same inputs on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn valid_payload() -> Vec<u8> {
    let mut fields = FieldSet::new();
    fields.push_str("user", "jörg");
    fields.push_i64("n", -70000);
    fields.push_u64("big", u64::MAX);
    fields.push_f64("x", 1.5);
    fields.push_bool("ok", false);
    let mut r = Record::new(Level::WARNING, "portal.api", "héllo", &fields);
    r.file = Some("src/a.rs");
    r.line = Some(3);
    let mut frame = Vec::new();
    encode_frame(&r, &mut frame);
    frame.split_off(4)
}

fn hostile() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = vec![
        b"cos\nsystem\n(S'echo hi'\ntR.".to_vec(),
        b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00\x8c\x02os\x8c\x06system\x93.".to_vec(),
        b"c__builtin__\neval\n.".to_vec(),
        b"}N)R.".to_vec(),
        b"}(X\x01\x00\x00\x00a}b.".to_vec(),
        b"\x82\x01.".to_vec(),
        b"(cos\nsystem\no.".to_vec(),
        b"X\xff\xff\xff\x7f".to_vec(),
        b"\x8d\xff\xff\xff\xff\xff\xff\xff\xff".to_vec(),
        b"\x8b\xff\xff\xff\x7f".to_vec(),
        b"h\x05.".to_vec(),
        b"u.".to_vec(),
        b"".to_vec(),
        b".".to_vec(),
        b"N".to_vec(),
        b"K\x01.".to_vec(), // not a dict
    ];
    // Deep nesting, by marks and by appends.
    v.push([b"(".repeat(100_000), b"l".repeat(100_000), b".".to_vec()].concat());
    v.push([b"]".repeat(50_000), b"a".repeat(49_999), b".".to_vec()].concat());
    v.push([b")".repeat(10_000), b"\x85".repeat(10_000), b".".to_vec()].concat());
    // A memo bomb: each step doubles a list.
    let mut bomb = b"]q\x00".to_vec();
    for _ in 0..64 {
        bomb.extend_from_slice(b"h\x00h\x00\x86q\x00");
    }
    bomb.push(b'.');
    v.push(bomb);
    // Many values.
    v.push([b"(".to_vec(), b"N".repeat(500_000), b"l.".to_vec()].concat());
    v
}

fn inputs() -> Vec<Vec<u8>> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let valid = valid_payload();
    let mut out = hostile();
    for _ in 0..3000 {
        let len = rng.below(120);
        out.push((0..len).map(|_| rng.next() as u8).collect());
    }
    const OPS: &[u8] = b"().0129NIJKLMGXhjqruaesdlt}])\x80\x85\x86\x87\x88\x89\x8a\x8b\x8c\x94\x95";
    for _ in 0..3000 {
        let len = rng.below(60);
        out.push((0..len).map(|_| OPS[rng.below(OPS.len())]).collect());
    }
    for _ in 0..5000 {
        let mut m = valid.clone();
        for _ in 0..1 + rng.below(4) {
            if m.is_empty() {
                break;
            }
            match rng.below(4) {
                0 => {
                    let i = rng.below(m.len());
                    m[i] = rng.next() as u8;
                }
                1 => {
                    let i = rng.below(m.len());
                    m.insert(i, OPS[rng.below(OPS.len())]);
                }
                2 if m.len() > 1 => {
                    let i = rng.below(m.len());
                    m.remove(i);
                }
                _ => {
                    let i = rng.below(m.len());
                    m.truncate(i);
                }
            }
        }
        out.push(m);
    }
    out
}

#[test]
fn the_reader_never_panics() {
    let limits = PickleLimits::default();
    let mut refused = 0;
    for input in inputs() {
        if load(&input, &limits).is_err() {
            refused += 1;
        }
    }
    assert!(refused > 5000, "{refused}");
    for h in hostile() {
        assert!(load(&h, &limits).is_err() || h == b"K\x01.", "{h:?}");
    }
}

#[test]
fn a_live_receiver_closes_bad_connections_reports_them_and_keeps_serving() {
    let reports = Arc::new(AtomicU64::new(0));
    let counted = reports.clone();
    set_error_reporter(move |r: &Report<'_>| {
        if r.to_string().contains("closed") {
            counted.fetch_add(1, Ordering::Relaxed);
        }
    });
    let (dispatch, sink) = memory_dispatch();
    let receiver = Receiver::bind(
        "127.0.0.1:0",
        dispatch,
        ReceiverOptions::new().with_max_frame_bytes(64 * 1024),
    )
    .unwrap();
    let addr = receiver.local_addr();
    let mut rng = Rng(7);
    let all = inputs();
    let mut sent = 0u64;
    let mut picks: Vec<Vec<u8>> = hostile();
    for _ in 0..150 {
        picks.push(all[rng.below(all.len())].clone());
    }
    for p in &picks {
        let mut s = TcpStream::connect(addr).unwrap();
        let mut frame = (p.len() as u32).to_be_bytes().to_vec();
        frame.extend_from_slice(p);
        // The receiver may close early (oversized frame): ignore write errors.
        let _ = s.write_all(&frame);
        sent += 1;
    }
    // Oversized and hostile framing: a huge length, a JSON line without end, garbage JSON.
    for raw in [
        b"\xff\xff\xff\xf0".to_vec(),
        [b"{".to_vec(), b"x".repeat(70 * 1024)].concat(),
        b"{\"levelno\": [1, 2\n".to_vec(),
        b"[1,2,3]\n".to_vec(),
        b"\x00\x00\x00\x10short".to_vec(),
    ] {
        let mut s = TcpStream::connect(addr).unwrap();
        let _ = s.write_all(&raw);
        sent += 1;
    }
    // Still serving: a valid frame on a new connection arrives.
    let mut s = TcpStream::connect(addr).unwrap();
    let payload = valid_payload();
    s.write_all(&(payload.len() as u32).to_be_bytes()).unwrap();
    s.write_all(&payload).unwrap();
    drop(s);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !sink.text().contains("héllo") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    receiver.shutdown();
    assert!(sink.text().contains("héllo"));
    let stats = receiver.stats();
    assert_eq!(stats.connections, sent + 1);
    // Every connection that sent something bad was closed and reported; a mutation that
    // happens to be a valid record is delivered instead.
    assert!(stats.rejected >= sent - 10, "{stats:?} of {sent}");
    assert_eq!(reports.load(Ordering::Relaxed), stats.rejected);
    tracing_handlers_core::report::reset_error_reporter();
}

/// A pickle frame (protocol 2 opcodes) of a record dict: `levelno` 30, `msg`, and one float
/// attribute.
fn frame_with_float(key: &str, value: f64, msg: &str) -> Vec<u8> {
    fn text(out: &mut Vec<u8>, s: &str) {
        out.push(b'X');
        out.extend_from_slice(&(s.len() as u32).to_le_bytes());
        out.extend_from_slice(s.as_bytes());
    }
    let mut p = b"}(".to_vec();
    text(&mut p, "levelno");
    p.extend_from_slice(b"K\x1e");
    text(&mut p, "msg");
    text(&mut p, msg);
    text(&mut p, key);
    p.push(b'G');
    p.extend_from_slice(&value.to_be_bytes());
    p.extend_from_slice(b"u.");
    let mut frame = (p.len() as u32).to_be_bytes().to_vec();
    frame.extend_from_slice(&p);
    frame
}

#[test]
fn extreme_times_and_numbers_from_a_peer_are_written_not_panicked() {
    use tracing_handlers_core::{Formatter, JsonFormatter};
    let text = Arc::new(MemorySink::new());
    let json = Arc::new(MemorySink::new());
    let mut set = HandlerSet::new();
    let formatter = Formatter::percent(
        "%(asctime)s %(created)f %(msecs)d %(relativeCreated)d %(lineno)d %(message)s",
    )
    .unwrap();
    let t = set.add_handler(HandlerEntry::new(
        "text",
        Arc::new(FormatHandler::new(text.clone()).with_formatter(formatter)),
    ));
    let j = set.add_handler(HandlerEntry::new(
        "json",
        Arc::new(FormatHandler::new(json.clone()).with_formatter(JsonFormatter::new())),
    ));
    set.tree.root_mut().handlers.extend([t, j]);
    let receiver =
        Receiver::bind("127.0.0.1:0", Dispatch::new(set), ReceiverOptions::new()).unwrap();
    let addr = receiver.local_addr();
    let extremes = [
        1e300,
        -1e300,
        1e19,
        -1e19,
        9.2e18,
        -9.2e18,
        f64::MAX,
        f64::MIN_POSITIVE,
        253402300800.0, // the year 10000
        -62135596801.0, // before the year 1
        f64::NAN,
        f64::INFINITY,
    ];
    let mut expected = Vec::new();
    for (i, value) in extremes.iter().enumerate() {
        for key in ["created", "relativeCreated", "msecs"] {
            let msg = format!("pickle {key} {i}");
            let mut s = TcpStream::connect(addr).unwrap();
            s.write_all(&frame_with_float(key, *value, &msg)).unwrap();
            expected.push(msg);
        }
        if !value.is_finite() {
            continue; // JSON has no NaN or infinity
        }
        let number = format!("{value:e}");
        for (key, line) in [
            (
                "created",
                format!(r#"{{"levelno": 30, "message": "json created {i}", "created": {number}}}"#),
            ),
            (
                "time",
                format!(r#"{{"levelno": 30, "message": "json time {i}", "time": {number}}}"#),
            ),
            (
                "line",
                format!(r#"{{"levelno": 30, "message": "json line {i}", "line": {number}}}"#),
            ),
        ] {
            let mut s = TcpStream::connect(addr).unwrap();
            s.write_all(format!("{line}\n").as_bytes()).unwrap();
            expected.push(format!("json {key} {i}"));
        }
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    let all_in = || {
        let got = text.text();
        expected.iter().all(|m| got.contains(m.as_str()))
    };
    while !all_in() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    receiver.shutdown();
    let got = text.text();
    let missing: Vec<&String> = expected
        .iter()
        .filter(|m| !got.contains(m.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "not delivered: {missing:?}\nstats: {:?}",
        receiver.stats()
    );
    assert_eq!(json.text().lines().count(), got.lines().count());
}
