//! The system default: the local syslog socket at the given level, stderr when none exists.

use std::os::unix::net::UnixDatagram;
use std::time::Duration;

use tracing_handlers::{system_default_at, Level};

#[test]
fn system_default_sends_rfc3164_to_the_local_socket_at_the_level() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.sock");
    let syslog = UnixDatagram::bind(&path).unwrap();
    syslog
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let guard = system_default_at(Level::INFO, &path).set_default().unwrap();
    tracing::debug!(target: "portal::api", "below the level");
    tracing::info!(target: "portal::api", "started");
    tracing_handlers::critical!(target: "portal::db", "gone");
    drop(guard);
    let mut buf = [0u8; 1024];
    let mut got = Vec::new();
    for _ in 0..2 {
        let n = syslog.recv(&mut buf).unwrap();
        got.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    let pid = std::process::id();
    // `<PRI>Mmm dd hh:mm:ss program[pid]: LEVEL logger: message`, no hostname on the
    // local socket (glibc's layout, which imuxsock expects).
    assert!(got[0].starts_with("<14>"), "{got:?}");
    assert!(
        got[0].ends_with(&format!("[{pid}]: INFO portal.api: started")),
        "{got:?}"
    );
    assert_eq!(got[0].as_bytes()[7], b' ', "{got:?}");
    assert!(got[1].starts_with("<10>"), "{got:?}");
    assert!(got[1].ends_with(&format!("[{pid}]: CRITICAL portal.db: gone")));
    syslog.set_nonblocking(true).unwrap();
    assert!(syslog.recv(&mut buf).is_err(), "nothing below INFO");
}

#[test]
fn system_default_without_a_socket_falls_back_to_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let builder = system_default_at(Level::INFO, dir.path().join("missing.sock"));
    let set = builder.build_set().unwrap();
    assert!(format!("{set:?}").contains("stream stderr"), "{set:?}");
}
