//! The `tracing-handlers receive` contract of DESIGN.md, run against the real binary with
//! CPython senders: what the receiver writes equals what CPython's own FileHandler writes for
//! the same records with the same format.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tracing_handlers_test_support::{python, require};

/// Every attribute the record carries, taken from the received record on our side.
const FORMAT: &str = "%(asctime)s %(msecs)03d %(relativeCreated)d %(levelname)-8s %(levelno)s %(name)s %(process)d %(processName)s %(thread)d %(threadName)s %(pathname)s %(filename)s %(module)s:%(lineno)d %(funcName)s [%(request_id)s] %(message)s";

fn write_config(dir: &Path, out: &Path) -> std::path::PathBuf {
    let conf = dir.join("receiver.conf");
    std::fs::write(
        &conf,
        format!(
            "[loggers]\nkeys=root,portal\n\n[handlers]\nkeys=file\n\n[formatters]\nkeys=f\n\n\
             [logger_root]\nlevel=INFO\nhandlers=file\n\n\
             [logger_portal]\nlevel=CRITICAL\nhandlers=\nqualname=portal\n\n\
             [handler_file]\nclass=FileHandler\nlevel=NOTSET\nformatter=f\nargs=({:?}, 'w', 'utf-8')\n\n\
             [formatter_f]\nformat={FORMAT}\n",
            out.to_str().unwrap()
        ),
    )
    .unwrap();
    conf
}

/// Starts `receive` on a free loopback port; returns the child and the port.
fn start(conf: &Path, protocol: &str) -> (Child, u16) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tracing-handlers"))
        .args(["receive", "--listen", "127.0.0.1:0", "--config"])
        .arg(conf)
        .args(["--protocol", protocol])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let port = line
        .trim()
        .strip_prefix("listening on 127.0.0.1:")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .parse()
        .unwrap();
    // Keep draining stderr so the child never blocks on it.
    std::thread::spawn(move || {
        let mut rest = String::new();
        while stderr.read_line(&mut rest).map(|n| n > 0).unwrap_or(false) {}
    });
    (child, port)
}

/// Waits until `out` is as long as `expected`, sends SIGTERM, and checks the exit status.
fn stop(mut child: Child, out: &Path, expected: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::metadata(out).map(|m| m.len()).unwrap_or(0) < expected.len() as u64
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: kill with a valid pid of our own child.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
    }
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
}

const PICKLE_SENDER: &str = r#"
import logging, logging.handlers
log = logging.getLogger('portal.api')
log.setLevel(1)
log.propagate = False
sh = logging.handlers.SocketHandler('127.0.0.1', {PORT})
fh = logging.FileHandler({PATH!r}, encoding='utf-8')
fh.setFormatter(logging.Formatter({FORMAT!r}))
log.addHandler(sh)
log.addHandler(fh)
def handle():
    log.info('hello %s n=%d', 'world', 5, extra={'request_id': 'abc'})
handle()
log.debug('debug h\u00e9llo \u20ac \u65e5\u672c', extra={'request_id': 7})
log.log(25, 'custom level', extra={'request_id': 2.5})
log.warning({'a': 1}, extra={'request_id': None})
log.critical('100%% sure', extra={'request_id': True})
try:
    1 / 0
except ZeroDivisionError:
    log.exception('failed', extra={'request_id': 'e'})
sh.close()
fh.close()
"#;

const JSON_SENDER: &str = r#"
import json, logging, socket
fh = logging.FileHandler({PATH!r}, encoding='utf-8')
fh.setFormatter(logging.Formatter({FORMAT!r}))
log = logging.getLogger('portal.json')
s = socket.create_connection(('127.0.0.1', {PORT}))
cases = [(logging.ERROR, 'boom \u20ac'), (25, 'custom'), (logging.DEBUG, 'quote " and \\ back'), (logging.CRITICAL, 'last')]
for i, (level, msg) in enumerate(cases):
    r = log.makeRecord('portal.json', level, '/srv/app/views.py', 10 + i, msg, (), None,
                       func='view', extra={'request_id': 'r%d' % i})
    fh.handle(r)
    d = {'created': r.created, 'relativeCreated': r.relativeCreated, 'levelno': r.levelno,
         'levelname': r.levelname, 'logger': r.name, 'message': r.getMessage(),
         'pathname': r.pathname, 'lineno': r.lineno, 'funcName': r.funcName,
         'process': r.process, 'processName': r.processName, 'thread': r.thread,
         'threadName': r.threadName, 'fields': {'request_id': r.request_id}}
    s.sendall((json.dumps(d) + '\n').encode())
s.close()
fh.close()
"#;

fn run(sender: &str, protocol: &str, test: &str) {
    if !require("python3", test) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ours = dir.path().join("received.log");
    let theirs = dir.path().join("python.log");
    let conf = write_config(dir.path(), &ours);
    let (child, port) = start(&conf, protocol);
    let script = sender
        .replace("{PORT}", &port.to_string())
        .replace("{PATH!r}", &format!("{:?}", theirs.to_str().unwrap()))
        .replace("{FORMAT!r}", &format!("{FORMAT:?}"));
    python(&script, b"", &[]);
    let expected = std::fs::read_to_string(&theirs).unwrap();
    stop(child, &ours, &expected);
    assert_eq!(std::fs::read_to_string(&ours).unwrap(), expected);
}

#[test]
fn records_from_cpythons_socket_handler_are_written_as_its_file_handler_writes_them() {
    run(
        PICKLE_SENDER,
        "auto",
        "records_from_cpythons_socket_handler_are_written_as_its_file_handler_writes_them",
    );
}

#[test]
fn json_lines_from_a_python_sender_are_written_as_cpythons_file_handler_writes_them() {
    run(
        JSON_SENDER,
        "json",
        "json_lines_from_a_python_sender_are_written_as_cpythons_file_handler_writes_them",
    );
}

#[test]
fn exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let conf = write_config(dir.path(), &dir.path().join("out.log"));
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy = taken.local_addr().unwrap().to_string();
    let bin = env!("CARGO_BIN_EXE_tracing-handlers");
    let code = |args: &[&str]| {
        Command::new(bin)
            .args(args)
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .code()
    };
    let conf = conf.to_str().unwrap();
    assert_eq!(
        code(&["receive", "--listen", &busy, "--config", conf]),
        Some(1)
    );
    let bad = dir.path().join("bad.conf");
    std::fs::write(&bad, "[loggers]\nkeys=root\n").unwrap();
    assert_eq!(
        code(&[
            "receive",
            "--listen",
            "127.0.0.1:0",
            "--config",
            bad.to_str().unwrap()
        ]),
        Some(2)
    );
    assert_eq!(
        code(&[
            "receive",
            "--listen",
            "127.0.0.1:0",
            "--config",
            conf,
            "--protocol",
            "xml"
        ]),
        Some(2)
    );
    assert_eq!(code(&["receive", "--config", conf]), Some(2));
}
