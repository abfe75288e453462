//! Helpers shared by the watched-file tests: the real `logrotate`, writer children, line
//! bookkeeping.
#![allow(dead_code)] // each test binary uses a part

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use tracing_handlers_core::{Level, Sink};
use tracing_handlers_watched_file::WatchedFileSink;

/// The `logrotate` binary: on `PATH`, or in `/usr/sbin` (not on every user's `PATH`). `None`
/// after a visible skip (outside CI; under CI a missing logrotate fails the test).
pub(crate) fn logrotate(test: &str) -> Option<PathBuf> {
    if tracing_handlers_test_support::available("logrotate") {
        return Some(PathBuf::from("logrotate"));
    }
    let sbin = Path::new("/usr/sbin/logrotate");
    if sbin.exists() {
        return Some(sbin.to_owned());
    }
    tracing_handlers_test_support::require("logrotate", test);
    None
}

/// Runs `logrotate -f -s STATE CONF` with a private config holding `body`, panicking with
/// its output when it fails.
pub(crate) fn run_logrotate(bin: &Path, dir: &Path, body: &str) {
    let conf = dir.join("logrotate.conf");
    std::fs::write(&conf, body).unwrap();
    let out = Command::new(bin)
        .arg("-f")
        .arg("-s")
        .arg(dir.join("logrotate.state"))
        .arg(&conf)
        .output()
        .expect("logrotate runs");
    assert!(
        out.status.success(),
        "logrotate failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A logrotate stanza for `path` with `directive` (`create 0640`, `copytruncate`).
pub(crate) fn stanza(path: &Path, directive: &str) -> String {
    format!(
        "{} {{\n    rotate 20\n    {directive}\n    missingok\n}}\n",
        path.display()
    )
}

/// Line padding: long enough that a torn line would show.
pub(crate) const PADDING: usize = 90;

/// `{who}-{i:06} xxxx…` (no newline).
pub(crate) fn line(who: &str, i: usize) -> String {
    format!("{who}-{i:06} {}", "x".repeat(PADDING))
}

/// Parses a line made by [`line`]: `(who, i)`, panicking on a malformed (torn) line.
pub(crate) fn parse(text: &str) -> (String, usize) {
    let (id, pad) = text
        .split_once(' ')
        .unwrap_or_else(|| panic!("malformed line {text:?}"));
    assert_eq!(pad.len(), PADDING, "torn line {text:?}");
    assert!(pad.bytes().all(|b| b == b'x'), "torn line {text:?}");
    let (who, i) = id
        .rsplit_once('-')
        .unwrap_or_else(|| panic!("malformed line {text:?}"));
    assert_eq!(i.len(), 6, "torn line {text:?}");
    (who.to_owned(), i.parse().unwrap())
}

/// Every file in `dir` whose name starts with `app.log`, with its bytes.
pub(crate) fn log_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_name().to_string_lossy().starts_with("app.log"))
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

/// Where each `(who, i)` was found: file name per line; panics on NUL bytes, torn lines or
/// duplicates.
pub(crate) fn index_lines(dir: &Path) -> HashMap<(String, usize), String> {
    let mut found = HashMap::new();
    for (name, bytes) in log_files(dir) {
        assert!(!bytes.contains(&0), "{name} has NUL bytes");
        let text = String::from_utf8(bytes).unwrap();
        assert!(
            text.is_empty() || text.ends_with('\n'),
            "{name} ends mid-line"
        );
        for l in text.lines() {
            let key = parse(l);
            if let Some(other) = found.insert(key.clone(), name.clone()) {
                panic!("{key:?} found twice: in {other} and {name}");
            }
        }
    }
    found
}

/// The child role of the multi-process tests: writes `count` lines as `p{PROC}` to `LOG`,
/// one every `PACE_US` microseconds, through a watched sink with the default interval.
pub(crate) fn writer_child() {
    let path = std::env::var("LOG").unwrap();
    let who = format!("p{}", std::env::var("PROC").unwrap());
    let count: usize = std::env::var("COUNT").unwrap().parse().unwrap();
    let pace = Duration::from_micros(std::env::var("PACE_US").unwrap().parse().unwrap());
    let sink = WatchedFileSink::new(&path).unwrap();
    let start = Instant::now();
    let mut buf = String::new();
    for i in 0..count {
        if let Some(wait) = (start + pace * i as u32).checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        buf.clear();
        buf.push_str(&line(&who, i));
        buf.push('\n');
        sink.write_record(buf.as_bytes(), Level::INFO).unwrap();
    }
}
