//! Measures records per second into one file from 4 threads, direct and non-blocking.
//!
//! `cargo run --release -p tracing-handlers-file --example throughput [records-per-thread]`
#![allow(clippy::print_stdout)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing_handlers_core::nonblocking::NonBlocking;
use tracing_handlers_core::{Level, Sink};
use tracing_handlers_file::FileSink;

fn run<S: Sink>(name: &str, sink: Arc<S>, per_thread: usize) {
    let start = Instant::now();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let sink = sink.clone();
            std::thread::spawn(move || {
                let mut line = Vec::with_capacity(128);
                for i in 0..per_thread {
                    line.clear();
                    line.extend_from_slice(format!("t{t}-{i:06} ").as_bytes());
                    line.resize(110, b'x');
                    line.push(b'\n');
                    let _ = sink.write_record(&line, Level::INFO);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("producer panicked");
    }
    sink.shutdown(Instant::now() + Duration::from_secs(60));
    let secs = start.elapsed().as_secs_f64();
    let total = 4 * per_thread;
    println!(
        "{name}: {total} records in {secs:.3} s = {:.2} M records/s",
        total as f64 / secs / 1e6
    );
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let per_thread: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir()?;
    run(
        "direct",
        Arc::new(FileSink::new(dir.path().join("direct.log"))?),
        per_thread,
    );
    run(
        "non-blocking",
        Arc::new(NonBlocking::new(FileSink::new(
            dir.path().join("queued.log"),
        )?)?),
        per_thread,
    );
    Ok(())
}
