//! Against the real `logrotate` (3.21 in CI): `create` while writing 500 lines/s,
//! `copytruncate`, and several processes through rotations.
//!
//! Each test writes a private logrotate config and state file into its tempdir and runs
//! `logrotate -f -s STATE CONF`.

mod support;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use support::{index_lines, line, log_files, logrotate, run_logrotate, stanza};
use tracing_handlers_core::{Level, Sink};
use tracing_handlers_test_support::{child_role, rerun_as_child};
use tracing_handlers_watched_file::{WatchedFileSink, DEFAULT_CHECK_INTERVAL};

/// Which generation a file holds after `rotations` rotations: `app.log` is the newest
/// (generation `rotations`), `app.log.N` is generation `rotations - N`.
fn generation(name: &str, rotations: usize) -> usize {
    match name.strip_prefix("app.log") {
        Some("") => rotations,
        Some(n) => rotations - n.trim_start_matches('.').parse::<usize>().unwrap(),
        None => panic!("unexpected file {name}"),
    }
}

struct Rotation {
    start: Instant,
    end: Instant,
}

#[test]
fn create_three_forced_rotations_at_500_lines_per_second() {
    let Some(bin) = logrotate("create_three_forced_rotations_at_500_lines_per_second") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let sink = Arc::new(WatchedFileSink::new(&path).unwrap());
    assert_eq!(sink.check_interval(), DEFAULT_CHECK_INTERVAL);
    let stop = Arc::new(AtomicBool::new(false));

    // The writer: one line every 2 ms, noting the time before and after each write.
    let writer = {
        let (sink, stop) = (sink.clone(), stop.clone());
        std::thread::spawn(move || {
            let start = Instant::now();
            let mut times = Vec::new();
            let mut i = 0usize;
            while !stop.load(Ordering::Relaxed) {
                let due = start + Duration::from_millis(2) * i as u32;
                if let Some(wait) = due.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
                let text = format!("{}\n", line("w", i));
                let before = Instant::now();
                sink.write_record(text.as_bytes(), Level::INFO).unwrap();
                times.push((before, Instant::now()));
                i += 1;
            }
            times
        })
    };

    let conf = stanza(&path, "create 0640");
    let mut rotations = Vec::new();
    std::thread::sleep(Duration::from_millis(600));
    for _ in 0..3 {
        let start = Instant::now();
        run_logrotate(&bin, dir.path(), &conf);
        rotations.push(Rotation {
            start,
            end: Instant::now(),
        });
        std::thread::sleep(Duration::from_millis(700));
    }
    stop.store(true, Ordering::Relaxed);
    let times = writer.join().unwrap();
    let written = times.len();
    assert!(written > 1000, "only {written} lines written");

    let names: Vec<String> = log_files(dir.path()).into_iter().map(|f| f.0).collect();
    assert_eq!(names, ["app.log", "app.log.1", "app.log.2", "app.log.3"]);
    let found = index_lines(dir.path());
    // Every line exactly once (index_lines panics on a duplicate).
    assert_eq!(found.len(), written, "lines missing");
    let mut in_window = 0;
    for (i, (before, after)) in times.iter().enumerate() {
        let name = &found[&("w".to_owned(), i)];
        let gen = generation(name, 3);
        // At least the generation of every rotation that ended one interval before the
        // write began; at most that of every rotation that started before it ended.
        let lo = rotations
            .iter()
            .filter(|r| r.end + DEFAULT_CHECK_INTERVAL <= *before)
            .count();
        let hi = rotations.iter().filter(|r| r.start <= *after).count();
        assert!(
            lo <= gen && gen <= hi,
            "line {i} is in {name} (generation {gen}), expected {lo}..={hi}"
        );
        if lo != hi {
            in_window += 1;
        }
    }
    assert_eq!(sink.reopens(), 3);
    println!("{written} lines, {in_window} of them inside a rotation's staleness window");
}

#[test]
fn copytruncate_no_nul_bytes_and_writing_restarts_at_offset_zero() {
    let Some(bin) = logrotate("copytruncate_no_nul_bytes_and_writing_restarts_at_offset_zero")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let sink = WatchedFileSink::builder(&path)
        .with_check_interval(Duration::ZERO)
        .build()
        .unwrap();
    let write = |who: &str, n: usize| {
        for i in 0..n {
            let text = format!("{}\n", line(who, i));
            sink.write_record(text.as_bytes(), Level::INFO).unwrap();
        }
    };
    let conf = stanza(&path, "copytruncate");
    write("before", 200);
    run_logrotate(&bin, dir.path(), &conf);
    write("after", 50);

    let files = log_files(dir.path());
    assert_eq!(files.len(), 2);
    let expect = |who: &str, n: usize| -> Vec<u8> {
        (0..n)
            .flat_map(|i| format!("{}\n", line(who, i)).into_bytes())
            .collect()
    };
    // Same inode: nothing to reopen; O_APPEND: the next write lands at offset 0.
    assert_eq!(files[0].0, "app.log");
    assert_eq!(
        files[0].1,
        expect("after", 50),
        "no NUL hole, only new lines"
    );
    assert_eq!(files[1].0, "app.log.1");
    assert_eq!(files[1].1, expect("before", 200));
    assert_eq!(sink.reopens(), 0);

    // A second round while a thread writes: no NUL bytes anywhere, no torn lines.
    let sink = Arc::new(sink);
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (sink, stop) = (sink.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let text = format!("{}\n", line("busy", i));
                sink.write_record(text.as_bytes(), Level::INFO).unwrap();
                i += 1;
                std::thread::sleep(Duration::from_millis(2));
            }
        })
    };
    std::thread::sleep(Duration::from_millis(300));
    run_logrotate(&bin, dir.path(), &conf);
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    let found = index_lines(dir.path()); // panics on NUL bytes or torn lines
    assert!(found.keys().any(|(who, _)| who == "busy"));
    let current = std::fs::read(&path).unwrap();
    assert!(
        current.starts_with(b"busy-"),
        "app.log starts with a whole line"
    );
    assert_eq!(sink.reopens(), 0);
}

const PROCS: usize = 4;
const PER_PROC: usize = 2000;

/// Several processes on one watched file through three `create` rotations: nothing lost,
/// nothing duplicated, nothing torn.
#[test]
fn several_processes_through_logrotate_create() {
    if child_role().as_deref() == Some("writer") {
        support::writer_child();
        return;
    }
    let Some(bin) = logrotate("several_processes_through_logrotate_create") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let children = spawn_writers("several_processes_through_logrotate_create", &path);
    let conf = stanza(&path, "create 0640");
    wait_for_all_writers(&path);
    for _ in 0..3 {
        run_logrotate(&bin, dir.path(), &conf);
        std::thread::sleep(Duration::from_millis(300));
    }
    assert!(
        children.iter().all(|c| !c.is_finished()),
        "the writers finished before the last rotation: the test proves nothing"
    );
    join_writers(children);
    check_all_lines(dir.path(), 4);
    // Every process followed the last rotation.
    let newest = String::from_utf8(std::fs::read(&path).unwrap()).unwrap();
    for p in 0..PROCS {
        assert!(
            newest.contains(&format!("p{p}-")),
            "p{p} never wrote to the new app.log"
        );
    }
}

/// Waits until every writer process has written to `path`.
fn wait_for_all_writers(path: &Path) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if (0..PROCS).all(|p| text.contains(&format!("p{p}-"))) {
            return;
        }
        assert!(Instant::now() < deadline, "the writers never started");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn spawn_writers(test: &'static str, path: &Path) -> Vec<std::thread::JoinHandle<()>> {
    (0..PROCS)
        .map(|p| {
            let path = path.to_str().unwrap().to_owned();
            std::thread::spawn(move || {
                let out = rerun_as_child(
                    test,
                    "writer",
                    &[
                        ("LOG", &path),
                        ("PROC", &p.to_string()),
                        ("COUNT", &PER_PROC.to_string()),
                        ("PACE_US", "1000"),
                    ],
                );
                assert!(
                    out.status.success(),
                    "writer {p} failed: {}",
                    String::from_utf8_lossy(&out.stdout)
                );
            })
        })
        .collect()
}

fn join_writers(children: Vec<std::thread::JoinHandle<()>>) {
    for c in children {
        c.join().unwrap();
    }
}

fn check_all_lines(dir: &Path, files: usize) {
    let found = index_lines(dir);
    assert_eq!(found.len(), PROCS * PER_PROC, "lines lost");
    for p in 0..PROCS {
        for i in 0..PER_PROC {
            assert!(found.contains_key(&(format!("p{p}"), i)), "p{p}-{i} lost");
        }
    }
    assert_eq!(log_files(dir).len(), files);
}
