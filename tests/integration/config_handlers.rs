//! Handlers configured from files behave as the same handlers built in code.

use tracing_handlers::Builder;

#[test]
fn a_watched_file_handler_from_toml_follows_a_rename() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let config = dir.path().join("logging.toml");
    std::fs::write(
        &config,
        format!(
            r#"version = 1
[handlers.w]
class = "logging.handlers.WatchedFileHandler"
filename = "{}"
check_interval = 0
[root]
level = "INFO"
handlers = ["w"]
"#,
            log.display()
        ),
    )
    .unwrap();
    let guard = Builder::from_config_file(&config)
        .unwrap()
        .set_default()
        .unwrap();
    tracing::info!("before");
    std::fs::rename(&log, dir.path().join("app.log.1")).unwrap();
    tracing::info!("after");
    drop(guard);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("app.log.1")).unwrap(),
        "before\n"
    );
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "after\n");
}

/// Runs `conf` (a logging.conf with `{ADDRESS}` in it) in CPython and here, logging the same
/// records, and returns the datagrams each side sent to `receive`.
fn syslog_datagrams(
    conf: &str,
    address: &str,
    receive: &dyn Fn() -> Vec<Vec<u8>>,
) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("logging.conf");
    std::fs::write(&path, conf.replace("{ADDRESS}", address)).unwrap();
    let script = format!(
        "import logging, logging.config\n\
         logging.config.fileConfig({path:?})\n\
         logging.getLogger('portal.api').warning('disk low')\n\
         logging.getLogger('portal.api').critical('h\u{e9}llo \u{20ac}')\n\
         logging.getLogger('x').info('info line')\n\
         logging.shutdown()\n",
        path = path.to_str().unwrap()
    );
    tracing_handlers_test_support::python(&script, b"", &[]);
    let python = receive();
    let guard = Builder::from_config_file(&path)
        .unwrap()
        .set_default()
        .unwrap();
    tracing::warn!(target: "portal::api", "disk low");
    tracing_handlers::critical!(target: "portal::api", "héllo €");
    tracing::info!(target: "x", "info line");
    drop(guard);
    (python, receive())
}

const SYSLOG_CONF: &str = "[loggers]
keys=root

[handlers]
keys=syslog

[formatters]
keys=f

[logger_root]
level=INFO
handlers=syslog

[handler_syslog]
class=handlers.SysLogHandler
args=({ADDRESS}, handlers.SysLogHandler.LOG_LOCAL3)
formatter=f

[formatter_f]
format=portal: %(levelname)s %(name)s %(message)s
";

#[test]
fn a_syslog_handler_from_logging_conf_sends_cpythons_bytes_over_udp() {
    if !tracing_handlers_test_support::require(
        "python3",
        "a_syslog_handler_from_logging_conf_sends_cpythons_bytes_over_udp",
    ) {
        return;
    }
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(std::time::Duration::from_millis(500)))
        .unwrap();
    let port = socket.local_addr().unwrap().port();
    let receive = || {
        let mut got = Vec::new();
        let mut buf = [0u8; 2048];
        while let Ok(n) = socket.recv(&mut buf) {
            got.push(buf[..n].to_vec());
        }
        got
    };
    let (python, ours) = syslog_datagrams(SYSLOG_CONF, &format!("('127.0.0.1', {port})"), &receive);
    assert_eq!(python.len(), 3, "CPython sent three datagrams");
    assert_eq!(ours, python);
    assert!(python[1].starts_with(b"<154>portal: CRITICAL")); // local3 (19) * 8 + crit (2)
}

#[cfg(unix)]
#[test]
fn a_syslog_handler_from_logging_conf_sends_cpythons_bytes_on_a_unix_socket() {
    if !tracing_handlers_test_support::require(
        "python3",
        "a_syslog_handler_from_logging_conf_sends_cpythons_bytes_on_a_unix_socket",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let sock_path = dir.path().join("log.sock");
    let socket = std::os::unix::net::UnixDatagram::bind(&sock_path).unwrap();
    socket
        .set_read_timeout(Some(std::time::Duration::from_millis(500)))
        .unwrap();
    let receive = || {
        let mut got = Vec::new();
        let mut buf = [0u8; 2048];
        while let Ok(n) = socket.recv(&mut buf) {
            got.push(buf[..n].to_vec());
        }
        got
    };
    let address = format!("'{}'", sock_path.display());
    let (python, ours) = syslog_datagrams(SYSLOG_CONF, &address, &receive);
    assert_eq!(python.len(), 3);
    assert_eq!(ours, python);
}

#[test]
fn a_syslog_handler_from_toml_takes_every_option() {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(std::time::Duration::from_millis(2000)))
        .unwrap();
    let port = socket.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("logging.toml");
    std::fs::write(
        &config,
        format!(
            r#"version = 1
[formatters.f]
format = "%(message)s"
[handlers.syslog]
class = "logging.handlers.SysLogHandler"
address = ["127.0.0.1", {port}]
facility = "local7"
socktype = 2
format = "rfc5424"
app_name = "portal"
hostname = "web1"
sd_id = "meta@32473"
msgid_field = "msgid"
escaped_newlines = true
max_message_size = 2048
utc = true
formatter = "f"
[root]
level = "DEBUG"
handlers = ["syslog"]
"#
        ),
    )
    .unwrap();
    let plan = tracing_handlers::config::check(&config).unwrap();
    assert!(
        plan.describe().contains("SysLogHandler 127.0.0.1:"),
        "{}",
        plan.describe()
    );
    let guard = Builder::from_config_file(&config)
        .unwrap()
        .set_default()
        .unwrap();
    tracing::error!(user = "bob", msgid = "LOGIN", "two\nlines");
    drop(guard);
    let mut buf = [0u8; 2048];
    let n = socket.recv(&mut buf).unwrap();
    let text = String::from_utf8_lossy(&buf[..n]).into_owned();
    // local7 (23) * 8 + err (3) = 187; RFC 5424 header, structured data, escaped newline.
    assert!(text.starts_with("<187>1 "), "{text}");
    assert!(text.contains(" web1 portal "), "{text}");
    assert!(text.contains(" LOGIN [meta@32473 user=\"bob\"]"), "{text}");
    assert!(text.ends_with("two\\nlines"), "{text}");
}

#[test]
fn rotating_handlers_from_toml_rotate_and_compress() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("logging.toml");
    let size_log = dir.path().join("size.log");
    let timed_log = dir.path().join("timed.log");
    std::fs::write(
        &config,
        format!(
            r#"version = 1
[handlers.size]
class = "logging.handlers.RotatingFileHandler"
filename = "{}"
maxBytes = 200
backupCount = 3
compression = "gzip"
max_total_bytes = 100000
[handlers.timed]
class = "logging.handlers.TimedRotatingFileHandler"
filename = "{}"
when = "midnight"
atTime = "03:30"
backupCount = 7
utc = true
maxBytes = 150
multiprocess = false
[root]
level = "INFO"
handlers = ["size", "timed"]
"#,
            size_log.display(),
            timed_log.display()
        ),
    )
    .unwrap();
    let describe = tracing_handlers::config::check(&config).unwrap().describe();
    assert!(describe.contains("RotatingFileHandler"), "{describe}");
    let guard = Builder::from_config_file(&config)
        .unwrap()
        .set_default()
        .unwrap();
    for i in 0..20 {
        tracing::info!("record {i:02} with some padding");
    }
    drop(guard);
    // 20 records of 32 bytes, 200-byte files: rotated (and compressed off the caller's thread;
    // shutdown waited for it).
    assert!(dir.path().join("size.log.1.gz").exists());
    assert!(std::fs::metadata(&size_log).unwrap().len() <= 200);
    // The timed handler also rotates by size (ours).
    assert!(std::fs::metadata(&timed_log).unwrap().len() <= 150);
    let rotated: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("timed.log."))
        .collect();
    assert!(!rotated.is_empty(), "timed handler rotated by size");
}

#[test]
fn bad_rotation_parameters_are_named_by_check() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("logging.conf");
    std::fs::write(
        &config,
        "[loggers]\nkeys=root\n\n[handlers]\nkeys=a,b\n\n[formatters]\nkeys=\n\n\
         [logger_root]\nhandlers=a,b\n\n\
         [handler_a]\nclass=handlers.RotatingFileHandler\nargs=('a.log', 'a', -1, 2)\n\n\
         [handler_b]\nclass=handlers.TimedRotatingFileHandler\nargs=('b.log', 'X')\n",
    )
    .unwrap();
    let errors = tracing_handlers::config::check(&config)
        .unwrap_err()
        .to_string();
    assert!(
        errors.contains(":15: [handler_a] maxBytes must not be negative: -1"),
        "{errors}"
    );
    assert!(
        errors.contains(":17: [handler_b] Invalid rollover interval specified: X"),
        "{errors}"
    );
    assert!(!dir.path().join("a.log").exists(), "check opens nothing");
}

/// Reads every pickle frame a peer sends on one connection until it closes.
fn read_frames(
    listener: &std::net::TcpListener,
) -> Vec<tracing_handlers::socket::pickle::PickleValue> {
    use std::io::Read;
    let (mut conn, _) = listener.accept().unwrap();
    conn.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let mut data = Vec::new();
    conn.read_to_end(&mut data).unwrap();
    let mut frames = Vec::new();
    let mut rest = &data[..];
    while rest.len() >= 4 {
        let n = u32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
        let limits = tracing_handlers::socket::pickle::PickleLimits::default();
        frames.push(tracing_handlers::socket::pickle::load(&rest[4..4 + n], &limits).unwrap());
        rest = &rest[4 + n..];
    }
    frames
}

#[test]
fn a_socket_handler_from_logging_conf_sends_the_dicts_cpython_sends() {
    use tracing_handlers::socket::pickle::PickleValue;
    if !tracing_handlers_test_support::require(
        "python3",
        "a_socket_handler_from_logging_conf_sends_the_dicts_cpython_sends",
    ) {
        return;
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("logging.conf");
    std::fs::write(
        &path,
        format!(
            "[loggers]\nkeys=root\n\n[handlers]\nkeys=sock\n\n[formatters]\nkeys=\n\n\
             [logger_root]\nlevel=INFO\nhandlers=sock\n\n\
             [handler_sock]\nclass=handlers.SocketHandler\nargs=('127.0.0.1', {port})\n"
        ),
    )
    .unwrap();
    let script = format!(
        "import logging, logging.config\n\
         logging.config.fileConfig({path:?})\n\
         logging.getLogger('portal.api').warning('disk low')\n\
         logging.getLogger('portal.api').critical('h\u{e9}llo \u{20ac}')\n\
         logging.getLogger('x').info('info line')\n\
         logging.shutdown()\n",
        path = path.to_str().unwrap()
    );
    tracing_handlers_test_support::python(&script, b"", &[]);
    let python = read_frames(&listener);
    let guard = Builder::from_config_file(&path)
        .unwrap()
        .set_default()
        .unwrap();
    tracing::warn!(target: "portal::api", "disk low");
    tracing_handlers::critical!(target: "portal::api", "héllo €");
    tracing::info!(target: "x", "info line");
    drop(guard);
    let ours = read_frames(&listener);
    assert_eq!(python.len(), 3);
    assert_eq!(ours.len(), 3);
    let keys = |d: &PickleValue| -> Vec<String> {
        let PickleValue::Dict(items) = d else {
            panic!("not a dict")
        };
        let mut k: Vec<String> = items
            .iter()
            .map(|(k, _)| match k {
                PickleValue::Str(s) => s.clone(),
                other => panic!("{other:?}"),
            })
            .collect();
        k.sort();
        k
    };
    for (p, o) in python.iter().zip(&ours) {
        // CPython 3.12+ adds taskName, which a tracing record has no equivalent of.
        let mut theirs = keys(p);
        theirs.retain(|k| k != "taskName");
        assert_eq!(keys(o), theirs);
        for k in [
            "name",
            "msg",
            "args",
            "levelname",
            "levelno",
            "exc_info",
            "exc_text",
            "stack_info",
            "processName",
        ] {
            assert_eq!(o.get(k), p.get(k), "{k}");
        }
    }
}

const EVENTLOG_CONF: &str = "\
[loggers]
keys=root

[handlers]
keys=eventlog

[formatters]
keys=plain

[formatter_plain]
format=%(levelname)s %(name)s: %(message)s

[handler_eventlog]
class=handlers.NTEventLogHandler
level=WARNING
formatter=plain
args=('Portal', None, 'Application')
kwargs={'event_ids': {'ERROR': 1000, 'other': 7}, 'category': 2, 'register': False}

[logger_root]
level=INFO
handlers=eventlog
";

/// Off Windows, a logging.conf naming NTEventLogHandler loads (check and from_config_file),
/// the handler reports once that the event log is missing and drops records, as CPython's
/// does without pywin32 (NT-01). The child process owns the global reporter and stderr.
#[cfg(not(windows))]
#[test]
fn an_eventlog_handler_from_logging_conf_loads_and_reports_once_off_windows() {
    use tracing_handlers_test_support::{child_role, rerun_as_child};
    const TEST: &str =
        "config_handlers::an_eventlog_handler_from_logging_conf_loads_and_reports_once_off_windows";
    if let Some(role) = child_role() {
        if role == "eventlog" {
            let path = std::path::PathBuf::from(std::env::var("EVENTLOG_CONF").unwrap());
            let plan = tracing_handlers_config::check(&path).unwrap();
            let text = plan.describe();
            assert!(
                text.contains("eventlog level=WARNING formatter=plain NTEventLogHandler Application/Portal (no event log on this platform"),
                "{text}"
            );
            let guard = Builder::from_config_file(&path)
                .unwrap()
                .set_default()
                .unwrap();
            tracing::warn!(target: "portal", "dropped warning");
            tracing::error!(target: "portal", "dropped error");
            drop(guard);
        }
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("logging.conf");
    std::fs::write(&path, EVENTLOG_CONF).unwrap();
    let out = rerun_as_child(
        TEST,
        "eventlog",
        &[("EVENTLOG_CONF", path.to_str().unwrap())],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let notice = "[tracing-handlers] eventlog Application/Portal: the Windows Event Log is not available on this platform; this handler drops every record\n";
    assert_eq!(stderr.matches(notice).count(), 1, "{stderr}");
    assert!(!stderr.contains("dropped"), "{stderr}");

    // CPython with the same file (without our kwargs): loads, says so once on stdout, drops.
    if tracing_handlers_test_support::require("python3", TEST) {
        let conf = EVENTLOG_CONF
            .lines()
            .filter(|l| !l.starts_with("kwargs="))
            .collect::<Vec<_>>()
            .join("\n");
        std::fs::write(&path, conf).unwrap();
        let script = format!(
            "import logging, logging.config\n\
             logging.config.fileConfig({p:?})\n\
             logging.getLogger('portal').error('dropped error')\n",
            p = path.to_str().unwrap()
        );
        let stdout = tracing_handlers_test_support::python(&script, b"", &[]);
        assert_eq!(
            String::from_utf8(stdout).unwrap(),
            "The Python Win32 extensions for NT (service, event logging) appear not to be available.\n"
        );
    }
}
