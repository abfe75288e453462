//! Many boundaries under load: four sinks on one path (each with its own lock-file mapping,
//! as four processes would have), each written by its own thread, while a manual clock
//! steps one second at a time. Every line must land in the file of an interval its write
//! could have happened in: a writer that sees the new schedule must never write into the
//! file just renamed away.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Barrier};
use std::time::{Duration, UNIX_EPOCH};

mod common;

use tracing_handlers_timed_rotating_file::{Clock, ManualClock, TimedRotatingFileSink};

const WRITERS: usize = 4;
const STEPS: usize = 200;
const START: u64 = 1_700_000_000;

fn seconds(clock: &ManualClock) -> u64 {
    clock.now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

#[test]
fn every_line_is_in_the_file_of_an_interval_its_write_overlapped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let clock = Arc::new(ManualClock::new(UNIX_EPOCH + Duration::from_secs(START)));
    let sinks: Vec<_> = (0..WRITERS)
        .map(|_| {
            Arc::new(
                TimedRotatingFileSink::builder(&path)
                    .with_when("S")
                    .with_utc(true)
                    .with_multiprocess(true)
                    .with_clock(clock.clone())
                    .build()
                    .unwrap(),
            )
        })
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let written = Arc::new(AtomicUsize::new(0));
    let go = Arc::new(Barrier::new(WRITERS + 1));
    let writers: Vec<_> = sinks
        .iter()
        .enumerate()
        .map(|(w, sink)| {
            let (sink, clock, stop, go, written) = (
                sink.clone(),
                clock.clone(),
                stop.clone(),
                go.clone(),
                written.clone(),
            );
            std::thread::spawn(move || {
                let mut after = Vec::new();
                go.wait();
                let mut i = 0usize;
                while !stop.load(SeqCst) {
                    let before = seconds(&clock);
                    let line = format!("w{w}-{i} {before}\n");
                    (&*sink).write_all(line.as_bytes()).unwrap();
                    after.push(seconds(&clock));
                    written.fetch_add(1, SeqCst);
                    i += 1;
                }
                after
            })
        })
        .collect();
    go.wait();
    // Each second gets writes before the clock moves on (and after the last step), so
    // every boundary is crossed by a write: exactly one rotation per step.
    let wait_for_writes = || {
        let seen = written.load(SeqCst);
        std::thread::sleep(Duration::from_micros(300));
        while written.load(SeqCst) < seen + 2 * WRITERS {
            std::thread::yield_now();
        }
    };
    for _ in 0..STEPS {
        wait_for_writes();
        clock.advance(Duration::from_secs(1));
    }
    wait_for_writes();
    stop.store(true, SeqCst);
    let mut after = HashMap::new();
    for (w, t) in writers.into_iter().enumerate() {
        for (i, a) in t.join().unwrap().into_iter().enumerate() {
            after.insert(format!("w{w}-{i}"), a);
        }
    }

    let mut seen = 0;
    let mut rotated = 0;
    for entry in fs::read_dir(dir.path()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if !name.starts_with("app.log") {
            continue;
        }
        let interval = common::rotated_second(&name).map(|start| {
            let start = start as u64;
            (start, start + 1)
        });
        rotated += usize::from(interval.is_some());
        let text = fs::read_to_string(dir.path().join(&name)).unwrap();
        for l in text.lines() {
            let (id, before) = l.split_once(' ').unwrap_or_else(|| panic!("torn {l:?}"));
            let before: u64 = before.parse().unwrap_or_else(|_| panic!("torn {l:?}"));
            let after = after
                .remove(id)
                .unwrap_or_else(|| panic!("duplicate or unknown {l:?}"));
            if let Some((start, end)) = interval {
                assert!(
                    before < end && after >= start,
                    "{id} written in [{before}, {after}] is in {name} [{start}, {end})"
                );
            }
            seen += 1;
        }
    }
    assert!(after.is_empty(), "{} lines lost", after.len());
    assert!(seen > 0);
    assert_eq!(rotated, STEPS, "one rotation per boundary");
}
