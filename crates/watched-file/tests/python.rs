//! Python's WatchedFileHandler checks (reference §6, WFH-01..06): each scenario runs in
//! CPython and through our sink (checking before every record, as Python does), and the
//! resulting files must be byte for byte the same.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use tracing_handlers_core::{FieldSet, Formatter, Handler, Level, Record};
use tracing_handlers_test_support::{child_role, python, require, rerun_as_child};
use tracing_handlers_watched_file::WatchedFileSink;

/// The filesystem steps of each scenario, done by Python in its own run.
const SCRIPT: &str = r#"
import logging, logging.handlers, os, shutil, sys
d = os.environ["DIR"]; sc = os.environ["SCENARIO"]
p = os.path.join(d, "app.log")
h = logging.handlers.WatchedFileHandler(p, delay=(sc == "delay"), encoding="utf-8")
h.setFormatter(logging.Formatter("%(message)s"))
lg = logging.getLogger("wfh"); lg.propagate = False; lg.setLevel(logging.DEBUG); lg.addHandler(h)
if sc == "delay":
    print(os.path.exists(p))
lg.info("1-before")
if sc in ("rename", "delay"):
    os.rename(p, p + ".1"); lg.info("2-after-rename")
elif sc == "delete":
    os.unlink(p); lg.info("3-after-delete")
elif sc == "copytruncate":
    shutil.copyfile(p, p + ".1")
    with open(p, "r+") as f: f.truncate(0)
    lg.info("4-after-truncate")
elif sc == "replace":
    with open(p + ".tmp", "w") as f: f.write("ext\n")
    os.replace(p + ".tmp", p); lg.info("5-after-replace")
if sc == "delay":
    os.rename(p, p + ".2"); lg.info("6-after-second-rename")
h.close()
"#;

fn ours(scenario: &str, dir: &Path) -> bool {
    let p = dir.join("app.log");
    let handler = WatchedFileSink::builder(&p)
        .with_delay(scenario == "delay")
        .with_encoding("utf-8")
        .with_check_interval(Duration::ZERO)
        .build_handler()
        .unwrap()
        .with_formatter(Formatter::percent("%(message)s").unwrap());
    let fields = FieldSet::new();
    let log = |msg: &str| handler.handle(&Record::new(Level::INFO, "wfh", msg, &fields));
    let existed_before = p.exists();
    log("1-before");
    let with_ext = |ext: &str| dir.join(format!("app.log{ext}"));
    match scenario {
        "rename" | "delay" => {
            std::fs::rename(&p, with_ext(".1")).unwrap();
            log("2-after-rename");
        }
        "delete" => {
            std::fs::remove_file(&p).unwrap();
            log("3-after-delete");
        }
        "copytruncate" => {
            std::fs::copy(&p, with_ext(".1")).unwrap();
            std::fs::OpenOptions::new()
                .write(true)
                .open(&p)
                .unwrap()
                .set_len(0)
                .unwrap();
            log("4-after-truncate");
        }
        "replace" => {
            std::fs::write(with_ext(".tmp"), "ext\n").unwrap();
            std::fs::rename(with_ext(".tmp"), &p).unwrap();
            log("5-after-replace");
        }
        other => panic!("unknown scenario {other}"),
    }
    if scenario == "delay" {
        std::fs::rename(&p, with_ext(".2")).unwrap();
        log("6-after-second-rename");
    }
    existed_before
}

fn files(dir: &Path) -> BTreeMap<String, String> {
    support::log_files(dir)
        .into_iter()
        .map(|(name, bytes)| (name, String::from_utf8(bytes).unwrap()))
        .collect()
}

/// Runs `scenario` in Python (when python3 exists) and in Rust; returns our files after
/// checking they equal Python's.
fn compare(scenario: &str) -> BTreeMap<String, String> {
    let rust_dir = tempfile::tempdir().unwrap();
    let existed = ours(scenario, rust_dir.path());
    let got = files(rust_dir.path());
    if require("python3", &format!("wfh_{scenario}")) {
        let py_dir = tempfile::tempdir().unwrap();
        let out = python(
            SCRIPT,
            b"",
            &[
                ("DIR", py_dir.path().to_str().unwrap()),
                ("SCENARIO", scenario),
            ],
        );
        if scenario == "delay" {
            assert_eq!(String::from_utf8(out).unwrap(), "False\n");
        }
        assert_eq!(
            got,
            files(py_dir.path()),
            "{scenario}: differs from CPython"
        );
    }
    if scenario == "delay" {
        assert!(!existed, "delay: the file exists before the first record");
    }
    got
}

fn map(entries: &[(&str, &str)]) -> BTreeMap<String, String> {
    entries
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn wfh_01_rename_then_emit_goes_to_a_new_file() {
    assert_eq!(
        compare("rename"),
        map(&[("app.log", "2-after-rename\n"), ("app.log.1", "1-before\n")])
    );
}

#[test]
fn wfh_02_deleted_file_is_recreated() {
    assert_eq!(compare("delete"), map(&[("app.log", "3-after-delete\n")]));
}

#[test]
fn wfh_03_copytruncate_no_reopen_no_nul_padding() {
    let got = compare("copytruncate");
    assert_eq!(got["app.log"].len(), 17);
    assert_eq!(
        got,
        map(&[
            ("app.log", "4-after-truncate\n"),
            ("app.log.1", "1-before\n")
        ])
    );
}

#[test]
fn wfh_04_replaced_file_is_appended_to() {
    assert_eq!(
        compare("replace"),
        map(&[("app.log", "ext\n5-after-replace\n")])
    );
}

/// Python's quirk (dev/ino not recorded by a delayed open, so the second record always
/// reopens) changes nothing visible: renames are followed from the first record on.
#[test]
fn wfh_05_delay_renames_still_followed() {
    assert_eq!(
        compare("delay"),
        map(&[
            ("app.log", "6-after-second-rename\n"),
            ("app.log.1", "1-before\n"),
            ("app.log.2", "2-after-rename\n"),
        ])
    );
}

/// WFH-06: 4 processes × 2000 lines, 3 external renames during the run: 8000 lines across the
/// 4 files, none malformed. Our writers use the default check interval.
#[test]
fn wfh_06_four_processes_three_external_renames() {
    const PROCS: usize = 4;
    const PER_PROC: usize = 2000;
    if child_role().as_deref() == Some("writer") {
        support::writer_child();
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let children: Vec<_> = (0..PROCS)
        .map(|p| {
            let path = path.to_str().unwrap().to_owned();
            std::thread::spawn(move || {
                let out = rerun_as_child(
                    "wfh_06_four_processes_three_external_renames",
                    "writer",
                    &[
                        ("LOG", &path),
                        ("PROC", &p.to_string()),
                        ("COUNT", &PER_PROC.to_string()),
                        ("PACE_US", "1000"),
                    ],
                );
                assert!(out.status.success(), "writer {p} failed");
            })
        })
        .collect();
    // Wait until every process writes, then rename three times while they go on.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !(0..PROCS).all(|p| {
        std::fs::read_to_string(&path)
            .unwrap_or_default()
            .contains(&format!("p{p}-"))
    }) {
        assert!(
            std::time::Instant::now() < deadline,
            "writers never started"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    for k in 1..=3 {
        std::fs::rename(&path, dir.path().join(format!("app.log.{k}"))).unwrap();
        std::thread::sleep(Duration::from_millis(300));
    }
    assert!(
        children.iter().all(|c| !c.is_finished()),
        "the writers finished before the last rename"
    );
    for c in children {
        c.join().unwrap();
    }
    let found = support::index_lines(dir.path()); // panics on torn or duplicate lines
    assert_eq!(found.len(), PROCS * PER_PROC);
    assert_eq!(support::log_files(dir.path()).len(), 4);
}
