//! A process that forks after its socket handler started (a daemon forking once logging is
//! up, a pre-forking master): the child inherits the handler's queue but not its sender
//! thread. Its records used to wait for a thread that does not run there and were lost when
//! the child exited; now the child sends them over a connection of its own.
#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tracing_handlers_core::Handler;
use tracing_handlers_socket::{Protocol, SocketHandler};
use tracing_handlers_test_support as support;

mod common;
use common::log;

const CHILD_RECORDS: usize = 50;

fn forker(port: u16) {
    let handler = SocketHandler::builder("127.0.0.1", Some(port))
        .with_protocol(Protocol::JsonLines)
        .build()
        .unwrap();
    log(&handler, "parent 0");
    handler.flush();
    let child = support::fork(|| {
        for i in 0..CHILD_RECORDS {
            log(&handler, &format!("child {i}"));
        }
        handler.flush();
        let started = Instant::now();
        handler.shutdown(started + Duration::from_secs(5));
        i32::from(started.elapsed() > Duration::from_secs(3))
    });
    support::wait_for_child(child, "1: shutting its handler down took over 3 s");
    log(&handler, "parent 1");
    handler.flush();
}

#[test]
fn a_forked_child_sends_over_a_connection_of_its_own() {
    const TEST: &str = "a_forked_child_sends_over_a_connection_of_its_own";
    if let Some(port) = support::child_role().and_then(|r| r.strip_prefix("forker:")?.parse().ok())
    {
        forker(port);
        return;
    }
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let got = Arc::new(Mutex::new(Vec::new()));
    {
        let got = got.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let got = got.clone();
                std::thread::spawn(move || {
                    for line in BufReader::new(stream).lines().map_while(Result::ok) {
                        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
                        let msg = value["message"].as_str().unwrap().to_owned();
                        got.lock().unwrap().push(msg);
                    }
                });
            }
        });
    }
    let out = support::rerun_as_child_within(
        TEST,
        &format!("forker:{port}"),
        &[],
        Duration::from_secs(60),
    );
    support::assert_child_passed(&out);
    let mut expected: Vec<String> = (0..CHILD_RECORDS).map(|i| format!("child {i}")).collect();
    expected.extend(["parent 0".into(), "parent 1".into()]);
    expected.sort_unstable();
    // The processes have exited: their connections are closed, the lines read soon after.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut seen = got.lock().unwrap().clone();
        seen.sort_unstable();
        if seen == expected || Instant::now() > deadline {
            assert_eq!(seen, expected);
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
