//! Records per second into one file, plain [`FileSink`] against [`WatchedFileSink`] (default
//! check interval), with 1 and 4 threads; prints the ratio (the target: within 10%).
//!
//! `cargo run --release -p tracing-handlers-watched-file --example watched_throughput [records-per-thread]`
#![allow(clippy::print_stdout)]

use std::sync::Arc;
use std::time::Instant;

use tracing_handlers_core::{Level, Sink};
use tracing_handlers_file::FileSink;
use tracing_handlers_watched_file::WatchedFileSink;

/// Records per second of `threads` threads writing `per_thread` 111-byte records each.
fn run<S: Sink>(sink: Arc<S>, threads: usize, per_thread: usize) -> f64 {
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let sink = sink.clone();
            std::thread::spawn(move || {
                let mut line = Vec::with_capacity(128);
                for i in 0..per_thread {
                    line.clear();
                    line.extend_from_slice(format!("t{t}-{i:07} ").as_bytes());
                    line.resize(110, b'x');
                    line.push(b'\n');
                    let _ = sink.write_record(&line, Level::INFO);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("writer panicked");
    }
    (threads * per_thread) as f64 / start.elapsed().as_secs_f64()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let per_thread: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(300_000);
    let dir = tempfile::tempdir()?;
    for threads in [1, 4] {
        // Alternate and keep the best of five, to damp noise from other processes.
        let (mut plain, mut watched) = (0f64, 0f64);
        for round in 0..5 {
            let p = dir.path().join(format!("plain-{threads}-{round}.log"));
            let w = dir.path().join(format!("watched-{threads}-{round}.log"));
            plain = plain.max(run(Arc::new(FileSink::new(p)?), threads, per_thread));
            watched = watched.max(run(Arc::new(WatchedFileSink::new(w)?), threads, per_thread));
        }
        println!(
            "{threads} thread(s): plain {:.0} records/s, watched {:.0} records/s, watched/plain = {:.3}",
            plain,
            watched,
            watched / plain
        );
    }
    Ok(())
}
