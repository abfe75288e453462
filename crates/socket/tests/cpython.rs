//! Interop with CPython: our frames read by CPython's own code, CPython's frames read by our
//! receiver and written as CPython's FileHandler writes them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing_handlers_core::dispatch::{Dispatch, HandlerEntry, HandlerSet};
use tracing_handlers_core::{
    system_time_from_secs_f64, FieldSet, FormatHandler, Formatter, Handler, Level, MemorySink,
    Record,
};
use tracing_handlers_socket::pickle::encode_frame;
use tracing_handlers_socket::{Receiver, ReceiverOptions, SocketHandler};
use tracing_handlers_test_support::{python, require};

const READ_FRAMES: &str = r#"
import sys, pickle, logging, struct, json
STANDARD = {'args', 'created', 'exc_info', 'exc_text', 'filename', 'funcName', 'levelname',
            'levelno', 'lineno', 'module', 'msecs', 'msg', 'name', 'pathname', 'process',
            'processName', 'relativeCreated', 'stack_info', 'thread', 'threadName'}
data = sys.stdin.buffer.read()
out = []
i = 0
while i < len(data):
    n = struct.unpack('>L', data[i:i + 4])[0]
    payload = data[i + 4:i + 4 + n]
    i += 4 + n
    assert payload[:1] == b'}', payload[:4]
    d = pickle.loads(payload)
    assert 'message' not in d
    assert d['args'] is None and d['exc_info'] is None and d['exc_text'] is None
    r = logging.makeLogRecord(d)
    f = logging.Formatter('%(levelname)s|%(levelno)s|%(name)s|%(message)s|%(pathname)s|%(filename)s|%(module)s|%(lineno)d|%(funcName)s|%(process)d|%(processName)s|%(thread)d|%(threadName)s|%(msecs)d')
    out.append({
        'missing': sorted(STANDARD - set(d)),
        'extra': {k: [type(v).__name__, v] for k, v in d.items() if k not in STANDARD},
        'created': r.created,
        'line': f.format(r),
    })
print(json.dumps(out))
"#;

#[test]
fn cpython_reads_our_frames_for_every_level_non_ascii_text_and_extra_fields() {
    if !require(
        "python3",
        "cpython_reads_our_frames_for_every_level_non_ascii_text_and_extra_fields",
    ) {
        return;
    }
    let levels = [
        Level::CRITICAL,
        Level::ERROR,
        Level::WARNING,
        Level::INFO,
        Level::DEBUG,
        Level::TRACE,
        Level::from_number(25),
        Level::NOTSET,
    ];
    let mut fields = FieldSet::new();
    fields.push_str("request_id", "abc");
    fields.push_str("user", "jörg ✓");
    fields.push_i64("attempts", -3);
    fields.push_u64("big", u64::MAX);
    fields.push_f64("ratio", 0.25);
    fields.push_bool("ok", true);
    fields.push_str("lineno", "refused: would overwrite an attribute");
    fields.push_bool("__critical", true);
    let mut frames = Vec::new();
    for (i, level) in levels.iter().enumerate() {
        let msg = format!("héllo wörld € 日本 #{i}\nsecond line");
        let mut r = Record::new(*level, "portal.api", &msg, &fields);
        r.created = system_time_from_secs_f64(1_700_000_000.007_891 + i as f64);
        r.file = Some("src/portal/views.rs");
        r.line = Some(42);
        r.func_name = Some("handle");
        r.thread_id = 140_000_000_000_000 + i as u64;
        r.thread_name = "wörker-1";
        r.process_id = 4242;
        encode_frame(&r, &mut frames);
    }
    // A record without a source location, as makeLogRecord builds one.
    let empty = FieldSet::new();
    encode_frame(
        &Record::new(Level::INFO, "root", "100% done", &empty),
        &mut frames,
    );
    let out = python(READ_FRAMES, &frames, &[]);
    let got: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let got = got.as_array().unwrap();
    assert_eq!(got.len(), levels.len() + 1);
    for (i, level) in levels.iter().enumerate() {
        let g = &got[i];
        assert_eq!(g["missing"], serde_json::json!([]), "{g}");
        let name = level
            .as_str()
            .map_or(format!("Level {}", level.number()), str::to_owned);
        assert_eq!(
            g["line"].as_str().unwrap(),
            format!(
                "{name}|{}|portal.api|héllo wörld € 日本 #{i}\nsecond line|src/portal/views.rs|views.rs|views|42|handle|4242|MainProcess|{}|wörker-1|7",
                level.number(),
                140_000_000_000_000u64 + i as u64
            )
        );
        assert_eq!(
            g["created"].as_f64().unwrap(),
            1_700_000_000.007_891 + i as f64
        );
        assert_eq!(
            g["extra"],
            serde_json::json!({
                "request_id": ["str", "abc"],
                "user": ["str", "jörg ✓"],
                "attempts": ["int", -3],
                "big": ["int", u64::MAX],
                "ratio": ["float", 0.25],
                "ok": ["bool", true],
            })
        );
    }
    let last = got[levels.len()]["line"].as_str().unwrap();
    assert!(
        last.starts_with("INFO|20|root|100% done||||0|None|"),
        "{last}"
    );
}

/// Runs `script` (with `{PORT}` and `{PATH}` replaced) in CPython; returns what its own
/// FileHandler wrote, and what our receiver wrote with the same format.
fn cpython_to_receiver(format: &str, script: &str) -> (String, String, Receiver) {
    let sink = Arc::new(MemorySink::new());
    let mut set = HandlerSet::new();
    let h = set.add_handler(HandlerEntry::new(
        "out",
        Arc::new(
            FormatHandler::new(sink.clone()).with_formatter(Formatter::percent(format).unwrap()),
        ),
    ));
    set.tree.root_mut().handlers.push(h);
    // A logger level that must not apply to received records (CPython's receiver ignores it).
    set.tree.logger_mut("portal").level = Level::CRITICAL;
    let receiver =
        Receiver::bind("127.0.0.1:0", Dispatch::new(set), ReceiverOptions::new()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("python.log");
    let script = script
        .replace("{PORT}", &receiver.local_addr().port().to_string())
        .replace("{PATH}", path.to_str().unwrap())
        .replace("{FORMAT}", format);
    python(&script, b"", &[]);
    let deadline = Instant::now() + Duration::from_secs(10);
    let expected = std::fs::read_to_string(&path).unwrap();
    while sink.text().len() < expected.len() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    receiver.shutdown();
    (expected, sink.text(), receiver)
}

const PY_SENDER: &str = r#"
import logging, logging.handlers
log = logging.getLogger('portal.api')
log.setLevel(1)
log.propagate = False
sh = logging.handlers.SocketHandler('127.0.0.1', {PORT})
fh = logging.FileHandler('{PATH}', encoding='utf-8')
fh.setFormatter(logging.Formatter('{FORMAT}'))
log.addHandler(sh)
log.addHandler(fh)
def handle():
    log.info('hello %s n=%d', 'world', 5, extra={'request_id': 'abc'})
handle()
log.debug('debug héllo € 日本', extra={'request_id': 7})
log.log(25, 'custom level', extra={'request_id': 2.5})
log.log(15, 'level fifteen', extra={'request_id': None})
log.warning({'a': 1}, extra={'request_id': True})
log.critical('100%% sure', extra={'request_id': 'c'})
try:
    1 / 0
except ZeroDivisionError:
    log.exception('failed', extra={'request_id': 'e'})
sh.close()
fh.close()
"#;

#[test]
fn records_from_cpythons_socket_handler_are_written_as_cpythons_file_handler_writes_them() {
    if !require(
        "python3",
        "records_from_cpythons_socket_handler_are_written_as_cpythons_file_handler_writes_them",
    ) {
        return;
    }
    let format = "%(asctime)s %(msecs)03d %(relativeCreated)d %(levelname)-8s %(levelno)s %(name)s %(process)d %(processName)s %(thread)d %(threadName)s %(pathname)s %(filename)s %(module)s:%(lineno)d %(funcName)s [%(request_id)s] %(message)s";
    let (expected, got, receiver) = cpython_to_receiver(format, PY_SENDER);
    assert!(expected.contains("Traceback (most recent call last):"));
    assert!(expected.contains("Level 25"));
    assert_eq!(got, expected);
    let stats = receiver.stats();
    assert_eq!((stats.records, stats.rejected), (7, 0));
}

#[test]
fn our_handler_and_our_receiver_agree() {
    let format = "%(asctime)s %(levelname)s %(name)s %(thread)d %(threadName)s %(process)d %(lineno)d %(user)s %(message)s";
    let sink = Arc::new(MemorySink::new());
    let direct = Arc::new(MemorySink::new());
    let mut set = HandlerSet::new();
    let h = set.add_handler(HandlerEntry::new(
        "out",
        Arc::new(
            FormatHandler::new(sink.clone()).with_formatter(Formatter::percent(format).unwrap()),
        ),
    ));
    set.tree.root_mut().handlers.push(h);
    let receiver =
        Receiver::bind("127.0.0.1:0", Dispatch::new(set), ReceiverOptions::new()).unwrap();
    let reference =
        FormatHandler::new(direct.clone()).with_formatter(Formatter::percent(format).unwrap());
    for protocol in [
        tracing_handlers_socket::Protocol::Pickle,
        tracing_handlers_socket::Protocol::JsonLines,
    ] {
        let handler = SocketHandler::builder("127.0.0.1", Some(receiver.local_addr().port()))
            .with_protocol(protocol)
            .build()
            .unwrap();
        let mut fields = FieldSet::new();
        fields.push_str("user", "bøb");
        for level in [Level::ERROR, Level::from_number(25), Level::TRACE] {
            let mut r = Record::new(level, "portal.api", "mëssage \"quoted\"", &fields);
            r.line = Some(7);
            handler.handle(&r);
            reference.handle(&r);
        }
        handler.shutdown(Instant::now() + Duration::from_secs(5));
        // One connection after the other, so the order is known.
        let want = if protocol == tracing_handlers_socket::Protocol::Pickle {
            3
        } else {
            6
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while receiver.stats().records < want && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    receiver.shutdown();
    assert_eq!(sink.text(), direct.text());
    assert_eq!(receiver.stats().records, 6);
}
