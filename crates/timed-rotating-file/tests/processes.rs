//! Four processes × 20,000 lines through one `when='S'` timed file (this test binary re-run
//! as children): every line exactly once, none torn, one rotation per boundary, and each
//! rotated file holds only lines written during its own interval (Python's intervals: the
//! file `app.log.SUFFIX` covers [SUFFIX, SUFFIX + 1 s)).
//!
//! Each line carries the time just before its write call; the child reports the time just
//! after it on stdout. The write happened at some instant between the two, so a line
//! belongs in its file iff `[before, after]` meets the file's interval.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

mod common;

use tracing_handlers_test_support::{child_role, CHILD_ROLE};
use tracing_handlers_timed_rotating_file::TimedRotatingFileSink;

const PROCESSES: usize = 4;
const LINES: usize = 20_000;

fn nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

#[test]
fn four_processes_rotate_each_second_once_and_keep_lines_in_their_interval() {
    if let Some(role) = child_role() {
        if let Some(rest) = role.strip_prefix("timed-writer:") {
            let (w, dir) = rest.split_once(':').unwrap();
            let sink = TimedRotatingFileSink::builder(Path::new(dir).join("app.log"))
                .with_when("S")
                .with_utc(true)
                .build()
                .unwrap();
            let mut report = String::with_capacity(LINES * 24);
            report.push('\n'); // the harness prints `test NAME ... ` without a newline
            for i in 0..LINES {
                let before = nanos();
                let line = format!("p{w}-{i:06} {before}\n");
                (&sink).write_all(line.as_bytes()).unwrap();
                let after = nanos();
                report.push_str(&format!("A p{w}-{i:06} {after}\n"));
                if i % 100 == 99 {
                    // About 3 seconds in all: a few boundaries.
                    std::thread::sleep(Duration::from_millis(15));
                }
            }
            std::io::stdout().write_all(report.as_bytes()).unwrap();
        }
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..PROCESSES)
        .map(|w| {
            Command::new(&exe)
                .args([
                    "four_processes_rotate_each_second_once_and_keep_lines_in_their_interval",
                    "--exact",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(
                    CHILD_ROLE,
                    format!("timed-writer:{w}:{}", dir.path().display()),
                )
                .stdout(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut after: HashMap<String, u128> = HashMap::new();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "a writer process failed");
        for l in String::from_utf8(out.stdout).unwrap().lines() {
            if let Some(rest) = l.strip_prefix("A ") {
                let (id, t) = rest.split_once(' ').unwrap();
                after.insert(id.to_owned(), t.parse().unwrap());
            }
        }
    }
    assert_eq!(after.len(), PROCESSES * LINES, "child reports missing");
    let mut seen = 0usize;
    let mut rotated = 0;
    let mut ids = std::collections::HashSet::new();
    for entry in fs::read_dir(dir.path()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if !name.starts_with("app.log") {
            continue;
        }
        let interval = common::rotated_second(&name).map(|start| {
            let start = start as u128;
            (start * 1_000_000_000, (start + 1) * 1_000_000_000)
        });
        rotated += usize::from(interval.is_some());
        let text = fs::read_to_string(dir.path().join(&name)).unwrap();
        assert!(text.is_empty() || text.ends_with('\n'));
        for l in text.lines() {
            let (id, before) = l.split_once(' ').unwrap_or_else(|| panic!("torn {l:?}"));
            let before: u128 = before.parse().unwrap_or_else(|_| panic!("torn {l:?}"));
            let after = *after.get(id).unwrap_or_else(|| panic!("unknown {l:?}"));
            assert!(ids.insert(id.to_owned()), "duplicate {id}");
            if let Some((start, end)) = interval {
                assert!(
                    before < end && after >= start,
                    "{id} written in [{before}, {after}] is in {name} [{start}, {end})"
                );
            }
            seen += 1;
        }
    }
    assert_eq!(seen, PROCESSES * LINES, "lines lost");
    assert!(rotated >= 2, "only {rotated} rotations");
}
