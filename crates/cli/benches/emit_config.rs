//! `tracing-handlers emit` through a `logging.conf` with a FileHandler, against CPython's
//! `logging` with the same file, in one run: events per second end to end (process start to
//! every line on disk), and the ratio.
//!
//! ```text
//! cargo bench -p tracing-handlers-cli --bench emit_config
//! BENCH_EVENTS=200000 cargo bench -p tracing-handlers-cli --bench emit_config   # quicker
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::Path;
use std::process::Command;
use std::time::Instant;

const CONF: &str = "[loggers]
keys=root

[handlers]
keys=file

[formatters]
keys=f

[logger_root]
level=INFO
handlers=file

[handler_file]
class=FileHandler
args=('app.log', 'w')
KWARGS
formatter=f

[formatter_f]
format=%(asctime)s %(levelname)s %(name)s %(message)s
";

const PYTHON: &str = "
import logging, logging.config, sys, time
n = int(sys.argv[1])
logging.config.fileConfig('logging.conf')
log = logging.getLogger()
for i in range(n):
    log.info('message %d', i)
logging.shutdown()
";

fn lines(path: &Path) -> usize {
    std::fs::read(path)
        .map(|b| b.iter().filter(|c| **c == b'\n').count())
        .unwrap_or(0)
}

/// Runs `cmd` in `dir` with `conf`, returns events per second and the lines on disk.
fn run(dir: &Path, conf: &str, mut cmd: Command, events: usize) -> (f64, usize) {
    std::fs::write(dir.join("logging.conf"), conf).unwrap();
    let _ = std::fs::remove_file(dir.join("app.log"));
    let start = Instant::now();
    let status = cmd.current_dir(dir).status().unwrap();
    let elapsed = start.elapsed().as_secs_f64();
    assert!(status.success(), "{cmd:?} failed");
    (events as f64 / elapsed, lines(&dir.join("app.log")))
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let events: usize = std::env::var("BENCH_EVENTS")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(1_000_000);
    let py_events = (events / 4).max(1);
    let dir = tempfile::tempdir().unwrap();
    let ours = |kwargs: &str| {
        let conf = CONF.replace("KWARGS", kwargs);
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tracing-handlers"));
        cmd.args([
            "emit",
            "--config",
            "logging.conf",
            "--count",
            &events.to_string(),
        ]);
        cmd.env_remove("TRACING_HANDLERS_CONFIG");
        run(dir.path(), &conf, cmd, events)
    };
    let mut rows = Vec::new();
    for round in 0..3 {
        let direct = ours("");
        let queued = ours("kwargs={'non_blocking': True}");
        let python = if tracing_handlers_test_support::available("python3") {
            let mut cmd = Command::new("python3");
            cmd.args(["-c", PYTHON, &py_events.to_string()]);
            Some(run(dir.path(), &CONF.replace("KWARGS", ""), cmd, py_events))
        } else {
            None
        };
        println!(
            "round {round}: direct {:.0} ev/s ({} lines), non-blocking {:.0} ev/s ({} lines), CPython {}",
            direct.0,
            direct.1,
            queued.0,
            queued.1,
            python.map_or("skipped".to_owned(), |p| format!("{:.0} ev/s ({} lines)", p.0, p.1))
        );
        assert_eq!(direct.1, events, "every line on disk (direct)");
        assert_eq!(queued.1, events, "every line on disk (non-blocking)");
        rows.push((direct.0, queued.0, python.map(|p| p.0)));
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let direct = median(rows.iter().map(|r| r.0).collect());
    let queued = median(rows.iter().map(|r| r.1).collect());
    println!("\n| case | events/s (median of 3) | vs CPython |");
    println!("|---|---:|---:|");
    match rows.iter().map(|r| r.2).collect::<Option<Vec<f64>>>() {
        Some(py) => {
            let py = median(py);
            println!(
                "| emit, FileHandler (direct) | {direct:.0} | {:.1}x |",
                direct / py
            );
            println!(
                "| emit, FileHandler (non_blocking) | {queued:.0} | {:.1}x |",
                queued / py
            );
            println!("| CPython fileConfig + FileHandler | {py:.0} | 1.0x |");
            println!(
                "\ntarget: emit through a logging.conf FileHandler >= 20x CPython: direct {}, non-blocking {}",
                if direct / py >= 20.0 { "met" } else { "MISSED" },
                if queued / py >= 20.0 { "met" } else { "MISSED" }
            );
        }
        None => println!("SKIP: python3 is not installed; no CPython comparison"),
    }
}
