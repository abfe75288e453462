//! The `tracing-handlers emit` contract of DESIGN.md, run against the real binary.
//!
//! Without `--config`, `TRACING_HANDLERS_CONFIG` names the configuration (else the system
//! default applies, which goes to the local syslog when `/dev/log` exists). These tests point
//! the variable at a file that writes `%(asctime)s %(levelname)s %(name)s: %(message)s` lines
//! to stderr, which they read.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// A configuration equivalent to the system default's stderr fallback, at every level.
/// It lives in Cargo's folder for test files (under `target/`), not in the system's
/// temporary folder, which nothing would clean.
fn stderr_config() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        let path = dir.join("emit-stderr.toml");
        // Written beside and renamed into place: another run of these tests may read it.
        let staged = dir.join(format!("emit-stderr.toml.{}", std::process::id()));
        std::fs::write(
            &staged,
            r#"version = 1
[formatters.system]
format = "%(asctime)s %(levelname)s %(name)s: %(message)s"
[handlers.stderr]
class = "logging.StreamHandler"
formatter = "system"
colors = "never"
[root]
level = "NOTSET"
handlers = ["stderr"]
"#,
        )
        .unwrap();
        std::fs::rename(&staged, &path).unwrap();
        path
    })
}

fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tracing-handlers"));
    cmd.env("TRACING_HANDLERS_CONFIG", stderr_config());
    cmd
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("binary runs")
}

/// The `LEVEL name: message` part of each stderr line (after the 24-byte asctime).
fn records(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| !l.starts_with("tracing-handlers:"))
        .map(|l| {
            // "YYYY-MM-DD HH:MM:SS,mmm " is 24 bytes.
            assert!(
                l.len() > 24 && l.as_bytes()[4] == b'-',
                "not a record line: {l:?}"
            );
            l[24..].to_owned()
        })
        .collect()
}

#[test]
fn without_any_configuration_the_system_default_applies() {
    let out = Command::new(env!("CARGO_BIN_EXE_tracing-handlers"))
        .args(["emit", "--level", "error", "--message", "to the system log"])
        .env_remove("TRACING_HANDLERS_CONFIG")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    if std::path::Path::new("/dev/log").exists() {
        // The record went to the local syslog: nothing on stderr.
        assert!(
            out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    } else {
        // No syslog socket at startup: stderr stands in.
        assert_eq!(records(&out), vec!["ERROR root: to the system log"]);
    }
}

#[test]
fn defaults_are_root_info_one_message() {
    let out = run(&["emit"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty(), "stdout is for handlers' output only");
    assert_eq!(records(&out), vec!["INFO root: message 0"]);
}

#[test]
fn target_level_message_and_count() {
    let out = run(&[
        "emit",
        "--target",
        "portal::api",
        "--level",
        "warn",
        "--message",
        "m{i}",
        "--count",
        "3",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        records(&out),
        vec![
            "WARNING portal.api: m0",
            "WARNING portal.api: m1",
            "WARNING portal.api: m2"
        ]
    );
}

#[test]
fn numeric_and_any_case_levels() {
    let out = run(&["emit", "--level", "25", "--message", "x"]);
    assert_eq!(records(&out), vec!["Level 25 root: x"]);
    let out = run(&["emit", "--level", "Critical", "--message", "x"]);
    assert_eq!(records(&out), vec!["CRITICAL root: x"]);
    let out = run(&["emit", "--level", "fatal", "--message", "x"]);
    assert_eq!(records(&out), vec!["CRITICAL root: x"]);
    let out = run(&["emit", "--level", "TRACE", "--message", "x"]);
    assert_eq!(records(&out), vec!["TRACE root: x"]);
}

#[test]
fn threads_index_their_events() {
    let out = run(&[
        "emit",
        "--threads",
        "3",
        "--count",
        "4",
        "--message",
        "t{t} i{i}",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let mut got = records(&out);
    got.sort();
    let mut want: Vec<String> = (0..3)
        .flat_map(|t| (0..4).map(move |i| format!("INFO root: t{t} i{i}")))
        .collect();
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn rate_paces_each_thread() {
    let start = std::time::Instant::now();
    let out = run(&["emit", "--count", "5", "--rate", "20"]);
    assert_eq!(out.status.code(), Some(0));
    // 5 events at 20/s: the last is due 200 ms after the first (no upper bound: noisy machines).
    assert!(start.elapsed() >= std::time::Duration::from_millis(200));
    assert_eq!(records(&out).len(), 5);
}

#[test]
fn extreme_rates_never_panic() {
    // The first event is due at once whatever the rate; a rate this small once overflowed
    // the interval's conversion.
    for rate in ["1e-300", "5e-324", "1e300", "1.7976931348623157e308"] {
        let out = run(&["emit", "--count", "1", "--rate", rate]);
        assert_eq!(out.status.code(), Some(0), "--rate {rate}: {out:?}");
        assert_eq!(records(&out).len(), 1, "--rate {rate}");
    }
    let out = run(&["emit", "--count", "3", "--rate", "1e300"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(records(&out).len(), 3);
}

#[test]
fn rate_paces_the_events_file() {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("events.tsv");
    std::fs::write(
        &events,
        "INFO\troot\ta\nINFO\troot\tb\nnot an event\nINFO\troot\tc\nINFO\troot\td\nINFO\troot\te\n",
    )
    .unwrap();
    let start = std::time::Instant::now();
    let out = run(&["emit", "--events", events.to_str().unwrap(), "--rate", "20"]);
    assert_eq!(out.status.code(), Some(0));
    // 5 events at 20/s (the skipped line is not paced): the last is due 200 ms after the
    // first (no upper bound: noisy machines).
    assert!(start.elapsed() >= std::time::Duration::from_millis(200));
    assert_eq!(records(&out).len(), 5);
}

#[test]
fn events_from_stdin_in_order() {
    let mut child = bin()
        .args(["emit", "--events", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(
            b"ERROR\tportal.db\tboom\nwarning\tportal::api\ttabs\tkept\n10\troot\tdebug text\n",
        )
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        records(&out),
        vec![
            "ERROR portal.db: boom",
            "WARNING portal.api: tabs\tkept",
            "DEBUG root: debug text"
        ]
    );
}

#[test]
fn events_file_with_a_bad_line_reports_it_and_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.tsv");
    std::fs::write(
        &path,
        "INFO\troot\tone\nnot a record\nLOUD\troot\tbad level\nINFO\troot\ttwo\n",
    )
    .unwrap();
    let out = run(&["emit", "--events", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(records(&out), vec!["INFO root: one", "INFO root: two"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(":2: expected LEVEL<TAB>LOGGER<TAB>MESSAGE"),
        "{stderr}"
    );
    assert!(stderr.contains(":3: Unknown level: 'LOUD'"), "{stderr}");
}

#[test]
fn an_unreadable_events_file_is_a_runtime_failure() {
    let out = run(&["emit", "--events", "/nonexistent/events.tsv"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/events.tsv"));
}

#[test]
fn bad_arguments_exit_2() {
    for args in [
        &["emit", "--level", "loud"][..],
        &["emit", "--count", "x"],
        &["emit", "--threads", "0"],
        // Far past what a process can start: refused up front, not an abort mid-run.
        &["emit", "--threads", "100000"],
        &["emit", "--events", "-", "--count", "2"],
        &["emit", "--events", "-", "--target", "a"],
        &["emit", "--watch"],
        &["emit", "--rate", "0"],
        &["emit", "--rate", "-3"],
        &["emit", "--rate", "NaN"],
        &["emit", "--rate", "inf"],
        &["emit", "--rate", "fast"],
        &["frobnicate"],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn threads_that_cannot_be_started_are_a_runtime_failure_said_once() {
    // Address space for a few thread stacks only: most of the 2,000 threads cannot start.
    // The ones that did still emit; the run says once how many did not, and exits 1.
    let out = Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 400000 && exec \"$0\" emit --threads 2000 --count 1 --message 'x {t}'")
        .arg(env!("CARGO_BIN_EXE_tracing-handlers"))
        .env("TRACING_HANDLERS_CONFIG", stderr_config())
        .output()
        .expect("sh runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let diags: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("tracing-handlers:"))
        .collect();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert!(
        diags[0].contains("of 2000 threads could not be started")
            && diags[0].ends_with("their events were not emitted"),
        "{}",
        diags[0]
    );
    let failed: usize = diags[0]["tracing-handlers: ".len()..]
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(failed > 0, "{failed}");
    assert_eq!(records(&out).len(), 2000 - failed);
}
