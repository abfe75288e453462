//! Against a real rsyslogd that each test starts with a private configuration: a unix socket
//! in a temp dir, loopback UDP/TCP/TLS ports, and an output template exposing facility,
//! severity, app-name, procid, msgid, structured data (raw and parsed by mmpstrucdata) and
//! message. Skips visibly without rsyslogd/openssl, fails under CI.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use tracing_handlers_core::report::{set_error_reporter, Report};
use tracing_handlers_core::{FieldSet, Handler, Level, OverflowPolicy, Record};
use tracing_handlers_syslog::{
    Facility, Framing, MessageFormat, SockType, SyslogBuilder, SyslogHandler, TlsOptions,
};

// === harness ===

fn have(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// `rsyslogd` and `openssl` are there; otherwise a visible SKIP (a failure under CI).
#[allow(clippy::print_stderr)]
fn require_peers(test: &str) -> bool {
    for (program, arg) in [("rsyslogd", "-v"), ("openssl", "version")] {
        if !have(program, arg) {
            assert!(
                std::env::var_os("CI").is_none(),
                "{test}: required peer `{program}` is missing (CI must not skip)"
            );
            eprintln!("SKIP: {test}: `{program}` is not installed");
            return false;
        }
    }
    true
}

/// Every report from inside the logging path, as text.
fn reports() -> &'static Mutex<Vec<String>> {
    static REPORTS: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    REPORTS.get_or_init(|| {
        set_error_reporter(|r: &Report<'_>| {
            if let Ok(mut v) = reports().lock() {
                v.push(r.to_string());
            }
        });
        Mutex::new(Vec::new())
    })
}

fn reports_about(what: &str) -> Vec<String> {
    reports()
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.contains(what))
        .cloned()
        .collect()
}

fn free_port(udp: bool) -> u16 {
    if udp {
        std::net::UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    } else {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A throwaway CA and a server certificate for 127.0.0.1 / localhost.
fn make_certificates(dir: &Path) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=tracing-handlers test CA",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=localhost",
        ],
    );
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ],
    );
}

/// One received message, as the template lays it out.
#[derive(Debug, Clone)]
struct Line {
    input: String,
    facility: u8,
    severity: u8,
    app: String,
    procid: String,
    msgid: String,
    sd: String,
    sd_parsed: String,
    msg: String,
}

struct Rsyslog {
    dir: tempfile::TempDir,
    udp: u16,
    tcp: u16,
    tls: u16,
    child: Option<Child>,
}

impl Rsyslog {
    fn start() -> Rsyslog {
        let dir = tempfile::tempdir().unwrap();
        make_certificates(dir.path());
        let mut r = Rsyslog {
            udp: free_port(true),
            tcp: free_port(false),
            tls: free_port(false),
            dir,
            child: None,
        };
        let d = r.dir.path().display().to_string();
        let conf = format!(
            r#"global(workDirectory="{d}" maxMessageSize="64k"
  DefaultNetstreamDriverCAFile="{d}/ca.pem" DefaultNetstreamDriverCertFile="{d}/server.pem"
  DefaultNetstreamDriverKeyFile="{d}/server.key")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="{d}/log.sock")
module(load="imudp")
input(type="imudp" address="127.0.0.1" port="{udp}")
module(load="imtcp" MaxSessions="200")
input(type="imtcp" address="127.0.0.1" port="{tcp}")
input(type="imtcp" address="127.0.0.1" port="{tls}" StreamDriver.Name="gtls" StreamDriver.Mode="1" StreamDriver.AuthMode="anon")
module(load="mmpstrucdata")
template(name="fields" type="string"
  string="%inputname%|%syslogfacility%|%syslogseverity%|%app-name%|%procid%|%msgid%|%structured-data%|%$!rfc5424-sd%|%msg%\n")
action(type="mmpstrucdata")
action(type="omfile" file="{d}/out.log" template="fields")
"#,
            udp = r.udp,
            tcp = r.tcp,
            tls = r.tls,
        );
        std::fs::write(r.conf(), conf).unwrap();
        let check = Command::new("rsyslogd")
            .args(["-N1", "-f"])
            .arg(r.conf())
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "rsyslogd -N1: {}",
            String::from_utf8_lossy(&check.stderr)
        );
        r.launch();
        r
    }

    fn conf(&self) -> PathBuf {
        self.dir.path().join("rsyslog.conf")
    }

    fn pidfile(&self) -> PathBuf {
        self.dir.path().join("rsyslogd.pid")
    }

    fn sock(&self) -> PathBuf {
        self.dir.path().join("log.sock")
    }

    fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    fn launch(&mut self) {
        let _ = std::fs::remove_file(self.pidfile());
        let child = Command::new("rsyslogd")
            .arg("-n")
            .arg("-f")
            .arg(self.conf())
            .arg("-i")
            .arg(self.pidfile())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("rsyslogd starts");
        self.child = Some(child);
        // Ready once the pid file exists and both TCP ports accept (gnutls takes seconds).
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = self.pidfile().exists()
                && self.sock().exists()
                && std::net::TcpStream::connect(("127.0.0.1", self.tcp)).is_ok()
                && std::net::TcpStream::connect(("127.0.0.1", self.tls)).is_ok();
            if ready {
                return;
            }
            assert!(Instant::now() < deadline, "rsyslogd did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGTERM, then wait for the exit.
    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SAFETY: kill(2) on our own child's pid.
            unsafe {
                libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
            }
            let _ = child.wait();
        }
    }

    fn lines(&self) -> Vec<Line> {
        let text = std::fs::read(self.dir.path().join("out.log")).unwrap_or_default();
        String::from_utf8_lossy(&text)
            .lines()
            .filter_map(|l| {
                let p: Vec<&str> = l.splitn(9, '|').collect();
                (p.len() == 9).then(|| Line {
                    input: p[0].to_owned(),
                    facility: p[1].parse().unwrap_or(255),
                    severity: p[2].parse().unwrap_or(255),
                    app: p[3].to_owned(),
                    procid: p[4].to_owned(),
                    msgid: p[5].to_owned(),
                    sd: p[6].to_owned(),
                    sd_parsed: p[7].to_owned(),
                    msg: p[8].trim_start_matches([' ', '\u{feff}']).to_owned(),
                })
            })
            .collect()
    }

    /// The lines whose message contains `token`, once there are `n` of them (or the
    /// timeout passes).
    fn wait_for(&self, token: &str, n: usize, timeout: Duration) -> Vec<Line> {
        let deadline = Instant::now() + timeout;
        loop {
            let found: Vec<Line> = self
                .lines()
                .into_iter()
                .filter(|l| l.msg.contains(token))
                .collect();
            if found.len() >= n || Instant::now() > deadline {
                return found;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Rsyslog {
    fn drop(&mut self) {
        self.stop();
    }
}

fn record<'a>(level: Level, message: &'a str, fields: &'a FieldSet) -> Record<'a> {
    Record::new(level, "portal.web", message, fields)
}

fn pid() -> String {
    std::process::id().to_string()
}

/// A builder for the transport called `kind` of `rs`, with a Python-style ident tag.
fn builder(rs: &Rsyslog, kind: &str) -> SyslogBuilder {
    let b = SyslogHandler::builder()
        .with_facility(Facility::LOCAL3)
        .with_ident(format!("thtest[{}]: ", pid()))
        .with_app_name("thtest")
        .with_flush_timeout(Duration::from_secs(30));
    match kind {
        "unix" => b.with_address(rs.sock().as_path()),
        "udp" => b.with_address(("127.0.0.1", rs.udp)),
        "tcp" => b
            .with_address(("127.0.0.1", rs.tcp))
            .with_socktype(SockType::Stream),
        "tls" => b
            .with_address(("127.0.0.1", rs.tls))
            .with_tls(TlsOptions::new(rs.ca())),
        _ => unreachable!(),
    }
}

// === tests ===

#[test]
fn every_level_arrives_with_its_severity_and_facility_on_every_transport() {
    if !require_peers("every_level_arrives") {
        return;
    }
    let rs = Rsyslog::start();
    let levels = [
        (Level::CRITICAL, 2u8),
        (Level::ERROR, 3),
        (Level::WARNING, 4),
        (Level::INFO, 6),
        (Level::DEBUG, 7),
        (Level::TRACE, 7),
        (Level::from_number(25), 4),
    ];
    for (kind, input) in [
        ("unix", "imuxsock"),
        ("udp", "imudp"),
        ("tcp", "imtcp"),
        ("tls", "imtcp"),
    ] {
        let handler = builder(&rs, kind).build().unwrap();
        let fields = FieldSet::new();
        let token = format!("lv-{kind}");
        for (level, _) in levels {
            let msg = format!("{token} {level} héllo wörld ✓ 日本語");
            handler.handle(&record(level, &msg, &fields));
        }
        handler.flush();
        let lines = rs.wait_for(&token, levels.len(), Duration::from_secs(20));
        assert_eq!(lines.len(), levels.len(), "{kind}: {lines:#?}");
        for (level, severity) in levels {
            let msg = format!("{token} {level} héllo wörld ✓ 日本語");
            let line = lines
                .iter()
                .find(|l| l.msg == msg)
                .unwrap_or_else(|| panic!("{kind}: no line {msg:?} in {lines:#?}"));
            assert_eq!(line.input, input, "{kind}");
            assert_eq!(line.facility, 19, "{kind} {level}: local3");
            assert_eq!(line.severity, severity, "{kind} {level}");
            assert_eq!(line.app, "thtest", "{kind}");
            assert_eq!(line.procid, pid(), "{kind}");
        }
        handler.shutdown(Instant::now() + Duration::from_secs(5));
        let stats = handler.stats();
        assert_eq!(stats.sent, levels.len() as u64, "{kind}: {stats:?}");
        assert_eq!(stats.dropped + stats.possibly_lost, 0, "{kind}: {stats:?}");
    }
}

#[test]
fn rfc5424_fields_become_structured_data_params() {
    if !require_peers("rfc5424_structured_data") {
        return;
    }
    let rs = Rsyslog::start();
    for kind in ["tcp", "udp", "tls"] {
        let handler = builder(&rs, kind)
            .with_format(MessageFormat::Rfc5424)
            .build()
            .unwrap();
        let mut fields = FieldSet::new();
        fields.push_str("user", "a\"b\\c]d é");
        fields.push_i64("attempts", 3);
        fields.push_bool("ok", false);
        fields.push_str("msgid", "LOGIN");
        let token = format!("sd-{kind}");
        let msg = format!("{token} login\nfailed");
        handler.handle(&record(Level::WARNING, &msg, &fields));
        handler.flush();
        let lines = rs.wait_for(&token, 1, Duration::from_secs(20));
        assert_eq!(lines.len(), 1, "{kind}: {lines:#?}");
        let l = &lines[0];
        assert_eq!((l.facility, l.severity), (19, 4), "{kind}");
        assert_eq!(l.app, "thtest");
        assert_eq!(l.procid, pid());
        assert_eq!(l.msgid, "LOGIN");
        assert_eq!(
            l.sd, r#"[fields@32473 user="a\"b\\c\]d é" attempts="3" ok="False"]"#,
            "{kind}"
        );
        assert_eq!(
            l.sd_parsed,
            r#"{ "fields@32473": { "user": "a\"b\\c]d é", "attempts": "3", "ok": "False" } }"#,
            "{kind}"
        );
        // rsyslog escapes control characters on reception: the newline arrives as #012.
        assert_eq!(l.msg, format!("{token} login#012failed"), "{kind}");
    }
}

#[test]
fn ten_thousand_messages_on_one_tcp_connection_arrive_as_ten_thousand() {
    if !require_peers("ten_thousand_tcp") {
        return;
    }
    let rs = Rsyslog::start();
    let handler = builder(&rs, "tcp")
        .with_overflow_policy(OverflowPolicy::Block)
        .build()
        .unwrap();
    let fields = FieldSet::new();
    for i in 0..10_000 {
        let msg = format!("tenk {i} with\nnewline");
        handler.handle(&record(Level::INFO, &msg, &fields));
    }
    handler.flush();
    let lines = rs.wait_for("tenk ", 10_000, Duration::from_secs(60));
    assert_eq!(lines.len(), 10_000);
    let seen: BTreeSet<usize> = lines
        .iter()
        .map(|l| l.msg.split(' ').nth(1).unwrap().parse().unwrap())
        .collect();
    assert_eq!(seen.len(), 10_000);
    assert_eq!(handler.stats().sent, 10_000);
}

#[test]
fn rsyslog_restart_mid_stream_reconnects_and_counts_possible_losses() {
    if !require_peers("restart_mid_stream") {
        return;
    }
    reports();
    let mut rs = Rsyslog::start();
    let handler = Arc::new(
        builder(&rs, "tcp")
            .with_reconnect_backoff(Duration::from_millis(50), 2.0, Duration::from_millis(400))
            .with_overflow_policy(OverflowPolicy::Block)
            .build()
            .unwrap(),
    );
    let progress = Arc::new(AtomicUsize::new(0));
    let restarted = Arc::new(AtomicBool::new(false));
    let producer = {
        let (handler, progress, restarted) = (handler.clone(), progress.clone(), restarted.clone());
        std::thread::spawn(move || {
            let fields = FieldSet::new();
            for i in 0..3000 {
                if i == 2500 {
                    while !restarted.load(Ordering::Acquire) {
                        std::thread::sleep(Duration::from_millis(10));
                    }
                }
                let msg = format!("restart {i}");
                handler.handle(&record(Level::INFO, &msg, &fields));
                progress.store(i, Ordering::Release);
                if i % 10 == 0 {
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        })
    };
    while progress.load(Ordering::Acquire) < 1000 {
        std::thread::sleep(Duration::from_millis(1));
    }
    rs.stop();
    std::thread::sleep(Duration::from_millis(300));
    rs.launch();
    restarted.store(true, Ordering::Release);
    producer.join().unwrap();
    handler.flush();
    let lines = rs.wait_for("restart ", 3000, Duration::from_secs(30));
    let seen: BTreeSet<usize> = lines
        .iter()
        .map(|l| l.msg.split(' ').nth(1).unwrap().parse().unwrap())
        .collect();
    assert_eq!(seen.len(), lines.len(), "no duplicates");
    for i in 2500..3000 {
        assert!(
            seen.contains(&i),
            "message {i} sent after the restart is missing"
        );
    }
    let stats = handler.stats();
    let missing = 3000 - seen.len() as u64;
    assert!(
        missing <= stats.possibly_lost + stats.dropped,
        "{missing} missing but only {stats:?} accounted for"
    );
    assert_eq!(stats.dropped, 0, "{stats:?}");
    let source = format!("127.0.0.1:{}", rs.tcp);
    let reconnects = reports_about(&source);
    assert!(
        reconnects.iter().any(|r| r.contains("reconnecting")),
        "{reconnects:#?}"
    );
    if stats.possibly_lost > 0 {
        assert!(
            reconnects.iter().any(|r| r.contains(&format!(
                "{} records dropped: possibly lost",
                stats.possibly_lost
            ))),
            "{reconnects:#?}"
        );
    }
    let mut out = std::io::stderr().lock();
    let _ = writeln!(out, "restart: missing {missing}, {stats:?}");
}

#[test]
fn a_burst_of_100k_never_blocks_beyond_the_policy() {
    if !require_peers("burst_100k") {
        return;
    }
    reports();
    let mut rs = Rsyslog::start();
    let handler = builder(&rs, "tcp")
        .with_overflow_policy(OverflowPolicy::DropNewest)
        .with_capacity_bytes(256 * 1024)
        .with_reconnect_backoff(Duration::from_millis(50), 2.0, Duration::from_millis(200))
        .build()
        .unwrap();
    let fields = FieldSet::new();
    let burst = |tag: &str| {
        let start = Instant::now();
        let mut slowest = Duration::ZERO;
        for i in 0..100_000 {
            let msg = format!("{tag} {i}");
            let t = Instant::now();
            handler.handle(&record(Level::INFO, &msg, &fields));
            slowest = slowest.max(t.elapsed());
        }
        (start.elapsed(), slowest)
    };
    // Peer up: what does not fit is dropped and counted, the rest arrives.
    let (total, slowest) = burst("burst-up");
    assert!(
        slowest < Duration::from_secs(2),
        "one call took {slowest:?}"
    );
    assert!(total < Duration::from_secs(60), "{total:?}");
    handler.flush();
    let stats = handler.stats();
    assert_eq!(stats.sent + stats.dropped, 100_000, "{stats:?}");
    let lines = rs.wait_for("burst-up ", stats.sent as usize, Duration::from_secs(60));
    assert_eq!(lines.len() as u64, stats.sent, "{stats:?}");
    if stats.dropped > 0 {
        assert!(!reports_about("records dropped: buffer full").is_empty());
    }
    // Peer down: every call still returns at once; the buffer keeps what fits. The burst
    // starts once the sender has noticed (until then the kernel still accepts writes on the
    // dead connection, a window whose size depends only on timing).
    // Noticed: the connection is reported lost (or a reconnect failed); when the kernel
    // still held unacknowledged messages, they are counted as possibly lost as well.
    let source = format!("syslog tcp 127.0.0.1:{}", rs.tcp);
    let lost_reports = || {
        reports_about(&source)
            .iter()
            .filter(|r| r.contains("reconnecting") || r.contains("connect failed"))
            .count()
    };
    let (up, reported) = (handler.stats(), lost_reports());
    rs.stop();
    let deadline = Instant::now() + Duration::from_secs(10);
    while handler.stats().possibly_lost == up.possibly_lost
        && lost_reports() == reported
        && Instant::now() < deadline
    {
        handler.handle(&record(Level::INFO, "probe", &fields));
        std::thread::sleep(Duration::from_millis(1));
    }
    let stats = handler.stats();
    assert!(
        stats.possibly_lost > up.possibly_lost || lost_reports() > reported,
        "the stopped peer was never noticed: {stats:?}"
    );
    let (total, slowest) = burst("burst-down");
    assert!(
        slowest < Duration::from_secs(2),
        "one call took {slowest:?}"
    );
    assert!(total < Duration::from_secs(60), "{total:?}");
    let after = handler.stats();
    assert!(
        after.dropped - stats.dropped >= 90_000,
        "peer down, yet few drops: {after:?}"
    );
    handler.shutdown(Instant::now() + Duration::from_millis(200));
}

#[test]
fn rfc3164_over_unix_and_udp_is_parsed_with_its_tag() {
    if !require_peers("rfc3164") {
        return;
    }
    let rs = Rsyslog::start();
    for kind in ["unix", "udp"] {
        let handler = builder(&rs, kind)
            .with_format(MessageFormat::Rfc3164)
            .with_framing(Framing::Lf)
            .build()
            .unwrap();
        let fields = FieldSet::new();
        let token = format!("bsd-{kind}");
        handler.handle(&record(Level::ERROR, &token, &fields));
        let lines = rs.wait_for(&token, 1, Duration::from_secs(20));
        assert_eq!(lines.len(), 1, "{kind}");
        assert_eq!(
            (lines[0].facility, lines[0].severity, lines[0].app.as_str()),
            (19, 3, "thtest")
        );
        assert_eq!(lines[0].procid, pid());
        assert_eq!(lines[0].msg, token);
    }
}

/// A TLS server that accepts and never answers (a hung daemon, a plain-TCP port behind a
/// firewall that holds connections): `build` fails within the connect timeout with an error
/// that says so, not with a bare "Resource temporarily unavailable".
#[test]
fn a_tls_handshake_that_never_finishes_fails_within_the_connect_timeout_and_says_so() {
    if !have("openssl", "version") {
        assert!(
            std::env::var_os("CI").is_none(),
            "openssl is required under CI"
        );
        println!("SKIP: openssl is missing");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    make_certificates(dir.path());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let held = std::thread::spawn(move || listener.accept().map(|(s, _)| s));
    let ca = dir.path().join("ca.pem");
    let result = tracing_handlers_test_support::within(
        Duration::from_secs(20),
        "a build whose TLS handshake never finishes",
        move || {
            SyslogHandler::builder()
                .with_address(("127.0.0.1", port))
                .with_tls(TlsOptions::new(ca))
                .with_connect_timeout(Duration::from_millis(300))
                .build()
                .map(|_| ())
                .map_err(|e| e.to_string())
        },
    );
    let err = result.expect_err("the handshake cannot finish");
    assert!(
        err.contains("the TLS handshake did not finish within 300ms"),
        "{err}"
    );
    drop(held.join());
}
