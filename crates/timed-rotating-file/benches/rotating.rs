//! Throughput of the rotating handlers against the plain file handler and CPython's
//! RotatingFileHandler: `cargo bench -p tracing-handlers-timed-rotating-file --bench rotating`.
//!
//! One thread logs EVENTS records of about 100 bytes through a `FormatHandler`
//! (`%(message)s`); the rotating sinks roll over every 10 MB. Prints events per second and
//! the ratios; asserts nothing (timings belong here, not in tests).

#![allow(clippy::print_stdout, missing_docs)]

use std::time::{Duration, Instant};

use tracing_handlers_core::nonblocking::NonBlockingOptions;
use tracing_handlers_core::{FieldSet, FormatHandler, Handler, Level, Record, Sink};
use tracing_handlers_file::FileSink;
use tracing_handlers_rotating_file::RotatingFileSink;
use tracing_handlers_timed_rotating_file::TimedRotatingFileSink;

const EVENTS: usize = 1_000_000;
const MAX_BYTES: i64 = 10 * 1024 * 1024;

fn run(handler: &dyn Handler) -> Duration {
    let fields = FieldSet::new();
    let msg = "x".repeat(90);
    let started = Instant::now();
    for i in 0..EVENTS {
        let m = format!("{i:08} {msg}");
        handler.handle(&Record::new(Level::INFO, "bench", &m, &fields));
    }
    handler.flush();
    started.elapsed()
}

fn direct<S: Sink>(sink: S) -> Box<dyn Handler> {
    Box::new(FormatHandler::new(sink))
}

fn queued<S: Sink>(sink: S) -> Box<dyn Handler> {
    Box::new(FormatHandler::new(
        NonBlockingOptions::new().build(sink).unwrap(),
    ))
}

fn rate(d: Duration) -> f64 {
    EVENTS as f64 / d.as_secs_f64()
}

fn best(mut f: impl FnMut() -> Duration) -> Duration {
    (0..3).map(|_| f()).min().unwrap()
}

fn cpython() -> Option<f64> {
    let script = r#"
import logging, logging.handlers, os, shutil, sys, tempfile, time
d = tempfile.mkdtemp()
h = logging.handlers.RotatingFileHandler(os.path.join(d, 'py.log'), maxBytes=10*1024*1024, backupCount=5)
h.setFormatter(logging.Formatter('%(message)s'))
log = logging.getLogger('bench'); log.addHandler(h); log.setLevel(logging.INFO); log.propagate = False
msg = 'x' * 90
n = 200000
t = time.perf_counter()
for i in range(n):
    log.info('%08d %s', i, msg)
h.close()
print(n / (time.perf_counter() - t))
shutil.rmtree(d)
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .output()
        .ok()?;
    String::from_utf8(out.stdout).ok()?.trim().parse().ok()
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let mut n = 0;
    let mut path = |name: &str| {
        n += 1;
        dir.path().join(format!("{n}-{name}.log"))
    };
    let plain = best(|| run(&*direct(FileSink::new(path("plain")).unwrap())));
    let rotating = best(|| {
        run(&*direct(
            RotatingFileSink::new(path("rot"), MAX_BYTES, 5).unwrap(),
        ))
    });
    let timed = best(|| {
        run(&*direct(
            TimedRotatingFileSink::builder(path("timed"))
                .with_when("H")
                .with_max_bytes(MAX_BYTES)
                .with_backup_count(5)
                .build()
                .unwrap(),
        ))
    });
    let plain_nb = best(|| run(&*queued(FileSink::new(path("plain-nb")).unwrap())));
    let rotating_nb = best(|| {
        run(&*queued(
            RotatingFileSink::new(path("rot-nb"), MAX_BYTES, 5).unwrap(),
        ))
    });
    let timed_nb = best(|| {
        run(&*queued(
            TimedRotatingFileSink::builder(path("timed-nb"))
                .with_when("H")
                .with_max_bytes(MAX_BYTES)
                .with_backup_count(5)
                .build()
                .unwrap(),
        ))
    });
    println!("{EVENTS} events of ~100 bytes, one thread, rotation every 10 MB (best of 3)");
    let row = |name: &str, d: Duration, base: Duration| {
        println!(
            "{name:<38} {:>12.0} events/s   cost vs plain {:+6.1}%",
            rate(d),
            (d.as_secs_f64() / base.as_secs_f64() - 1.0) * 100.0
        );
    };
    row("plain FileSink, direct", plain, plain);
    row("RotatingFileSink, direct", rotating, plain);
    row("TimedRotatingFileSink (H + 10 MB), direct", timed, plain);
    row("plain FileSink, non-blocking", plain_nb, plain_nb);
    row("RotatingFileSink, non-blocking", rotating_nb, plain_nb);
    row("TimedRotatingFileSink, non-blocking", timed_nb, plain_nb);
    match cpython() {
        Some(py) => {
            println!("{:<38} {py:>12.0} events/s", "CPython RotatingFileHandler");
            println!(
                "ratios vs CPython: rotating {:.1}x, timed {:.1}x (direct); {:.1}x, {:.1}x (non-blocking)",
                rate(rotating) / py,
                rate(timed) / py,
                rate(rotating_nb) / py,
                rate(timed_nb) / py
            );
        }
        None => println!("CPython: python3 not available"),
    }
}
