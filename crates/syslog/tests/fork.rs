//! A child forked after the syslog handler connected to a local stream socket: it used to
//! write on the parent's connection, where its messages and the parent's could interleave
//! mid-message, and where a non-blocking parent's unsent rest of a message was the child's to
//! send too. The child now connects on its own.
#![cfg(unix)]

use std::io::Read;
use std::os::unix::net::UnixListener;
use std::path::Path;
use std::time::Duration;

use tracing_handlers_core::{FieldSet, Handler, Level, Record};
use tracing_handlers_syslog::{SockType, SyslogHandler};
use tracing_handlers_test_support as support;

fn log(handler: &SyslogHandler, msg: &str) {
    let fields = FieldSet::new();
    handler.handle(&Record::new(Level::INFO, "sys", msg, &fields));
}

#[test]
fn a_forked_child_logs_over_a_unix_stream_connection_of_its_own() {
    const TEST: &str = "a_forked_child_logs_over_a_unix_stream_connection_of_its_own";
    if support::child_role().as_deref() == Some("forker") {
        let path = std::env::var("TH_SOCKET").unwrap();
        let handler = SyslogHandler::builder()
            .with_address(Path::new(&path))
            .with_socktype(SockType::Stream)
            .build()
            .unwrap();
        log(&handler, "parent before");
        let child = support::fork(|| {
            log(&handler, "child");
            handler.flush();
            0
        });
        support::wait_for_child(child, "its logging");
        log(&handler, "parent after");
        handler.flush();
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let reader = std::thread::spawn(move || {
        // Every connection's messages, in the order the connections came.
        let mut connections = Vec::new();
        listener.set_nonblocking(true).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        let mut streams = Vec::new();
        while std::time::Instant::now() < deadline && streams.len() < 2 {
            match listener.accept() {
                Ok((s, _)) => streams.push(s),
                Err(_) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
        for mut s in streams {
            s.set_nonblocking(false).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let mut got = Vec::new();
            let _ = s.read_to_end(&mut got);
            let messages: Vec<String> = got
                .split(|&b| b == 0)
                .filter(|m| !m.is_empty())
                .map(|m| String::from_utf8_lossy(m).into_owned())
                .collect();
            connections.push(messages);
        }
        connections
    });
    let out = support::rerun_as_child_within(
        TEST,
        "forker",
        &[("TH_SOCKET", path.to_str().unwrap())],
        Duration::from_secs(30),
    );
    support::assert_child_passed(&out);
    let connections = reader.join().unwrap();
    assert_eq!(
        connections,
        [
            vec![
                "<14>parent before".to_owned(),
                "<14>parent after".to_owned()
            ],
            vec!["<14>child".to_owned()],
        ]
    );
}
