//! Many writers, one rotating file: four processes × 20,000 lines with maxBytes 100 kB
//! (this test binary re-run as children), and four threads rotating at full speed. Every
//! line is found exactly once, none is torn, and no file reaches maxBytes.

use std::collections::HashSet;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing_handlers_core::nonblocking::NonBlockingOptions;
use tracing_handlers_core::{FieldSet, Handler, Level, Record, Sink};
use tracing_handlers_rotating_file::{Compression, RotatingFileSink};
use tracing_handlers_test_support::{child_role, CHILD_ROLE};
#[cfg(unix)]
use tracing_handlers_test_support::{fork, wait_for_child};

mod common;
use common::read_rotated;

const PROCESSES: usize = 4;
const LINES: usize = 20_000;
const MAX_BYTES: u64 = 100_000;

/// `p{writer}-{i:06} ` then a padding of varying length (lines of 12 to 80 bytes).
fn line(writer: usize, i: usize) -> String {
    let pad = "x".repeat((i * 7 + writer * 3) % 68);
    format!("p{writer}-{i:06} {pad}\n")
}

/// Checks every file of `dir` named `app.log*`: lines well formed, each exactly once, each
/// file below `max`. Returns the number of files.
fn check(dir: &Path, writers: usize, lines: usize, max: u64) -> usize {
    let mut seen = HashSet::with_capacity(writers * lines);
    let mut files = 0;
    for entry in fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        if !name.starts_with("app.log") {
            continue;
        }
        files += 1;
        let bytes = read_rotated(&entry.path());
        assert!(
            (bytes.len() as u64) < max,
            "{name} holds {} bytes (maxBytes {max})",
            bytes.len()
        );
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.is_empty() || text.ends_with('\n'), "{name}: torn end");
        for l in text.lines() {
            let (id, _) = l.split_once(' ').unwrap_or_else(|| panic!("torn: {l:?}"));
            let (w, i) = id
                .strip_prefix('p')
                .and_then(|s| s.split_once('-'))
                .unwrap_or_else(|| panic!("torn: {l:?}"));
            let key: (usize, usize) = (w.parse().unwrap(), i.parse().unwrap());
            assert_eq!(format!("{l}\n"), line(key.0, key.1), "torn line in {name}");
            assert!(seen.insert(key), "duplicate {l:?}");
        }
    }
    assert_eq!(seen.len(), writers * lines, "lines missing");
    files
}

#[test]
fn four_processes_rotate_one_file_without_losing_a_line() {
    if let Some(role) = child_role() {
        if let Some(rest) = role.strip_prefix("size-writer:") {
            let (w, dir) = rest.split_once(':').unwrap();
            let w: usize = w.parse().unwrap();
            let sink =
                RotatingFileSink::new(Path::new(dir).join("app.log"), MAX_BYTES as i64, 10_000)
                    .unwrap();
            for i in 0..LINES {
                (&sink).write_all(line(w, i).as_bytes()).unwrap();
            }
        }
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..PROCESSES)
        .map(|w| {
            Command::new(&exe)
                .args([
                    "four_processes_rotate_one_file_without_losing_a_line",
                    "--exact",
                    "--test-threads=1",
                ])
                .env(
                    CHILD_ROLE,
                    format!("size-writer:{w}:{}", dir.path().display()),
                )
                .stdout(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success(), "a writer process failed");
    }
    let files = check(dir.path(), PROCESSES, LINES, MAX_BYTES);
    // About 3.5 MB in files below 100 kB: every boundary rotated once.
    assert!(files >= 36, "{files} files");
    // The lock file is hidden beside the log.
    assert!(dir.path().join(".app.log.lock").exists());
}

fn hammer(sink: Arc<dyn Sink>, threads: usize, lines: usize) {
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let sink = sink.clone();
            std::thread::spawn(move || {
                for i in 0..lines {
                    sink.write_record(line(t, i).as_bytes(), Level::INFO)
                        .unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

#[test]
fn rotation_while_threads_write_at_full_speed_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let sink = RotatingFileSink::new(dir.path().join("app.log"), 64 * 1024, 1000).unwrap();
    hammer(Arc::new(sink), 4, 50_000);
    check(dir.path(), 4, 50_000, 64 * 1024);
}

#[test]
fn non_blocking_batches_rotate_record_by_record() {
    let dir = tempfile::tempdir().unwrap();
    let handler = RotatingFileSink::builder(dir.path().join("app.log"))
        .with_max_bytes(10_000)
        .with_backup_count(1000)
        .build_non_blocking(NonBlockingOptions::new())
        .unwrap();
    let fields = FieldSet::new();
    for i in 0..20_000 {
        let l = line(0, i);
        handler.handle(&Record::new(
            Level::INFO,
            "t",
            l.strip_suffix('\n').unwrap(),
            &fields,
        ));
    }
    handler.flush();
    check(dir.path(), 1, 20_000, 10_000);
}

#[test]
fn compression_happens_off_the_callers_thread() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let sink = RotatingFileSink::builder(&path)
        .with_max_bytes(8 << 20)
        .with_backup_count(3)
        .with_compression(Compression::Gzip)
        .build()
        .unwrap();
    let mut written = 0usize;
    let mut i = 0;
    // Fill the file to just below maxBytes with poorly compressible lines.
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    loop {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let l = format!(
            "p0-{i:06} {:016x}{:016x}{:016x}\n",
            seed,
            seed.rotate_left(17),
            seed.rotate_left(41)
        );
        if written + l.len() >= (8 << 20) {
            break;
        }
        (&sink).write_all(l.as_bytes()).unwrap();
        written += l.len();
        i += 1;
    }
    let started = Instant::now();
    let last = format!("p0-999999 {}\n", "after the rollover ".repeat(5));
    (&sink).write_all(last.as_bytes()).unwrap();
    let call = started.elapsed();
    // The logging call returned after the rename: the rotated file is still being
    // compressed by the background thread.
    assert!(dir.path().join("app.log.1").exists());
    assert!(!dir.path().join("app.log.1.gz").exists());
    assert!(
        !sink.wait_background(Some(Instant::now())),
        "compression already done?"
    );
    let waited = Instant::now();
    assert!(sink.wait_background(Some(Instant::now() + Duration::from_secs(120))));
    let compression = waited.elapsed();
    assert!(dir.path().join("app.log.1.gz").exists());
    assert!(!dir.path().join("app.log.1").exists());
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::GzDecoder::new(fs::File::open(dir.path().join("app.log.1.gz")).unwrap()),
        &mut text,
    )
    .unwrap();
    assert_eq!(text.len(), written);
    assert_eq!(text.lines().count(), i);
    assert_eq!(fs::read_to_string(&path).unwrap(), last);
    #[allow(clippy::print_stderr)]
    {
        eprintln!("rolling call took {call:?}; the background compression {compression:?} more");
    }
}

#[test]
fn retention_by_total_size_and_age_keeps_only_our_names() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("app.log.bak"), "not ours\n").unwrap();
    fs::write(dir.path().join("app.log.99"), "above backupCount\n").unwrap();
    let sink = RotatingFileSink::builder(dir.path().join("app.log"))
        .with_max_bytes(1000)
        .with_backup_count(50)
        .with_max_total_bytes(3000)
        .build()
        .unwrap();
    for i in 0..400 {
        (&sink).write_all(line(0, i).as_bytes()).unwrap();
    }
    assert!(sink.wait_background(Some(Instant::now() + Duration::from_secs(30))));
    let total: u64 = (1..=50)
        .filter_map(|i| fs::metadata(dir.path().join(format!("app.log.{i}"))).ok())
        .map(|m| m.len())
        .sum();
    assert!(total <= 3000 && total > 1500, "{total}");
    assert!(dir.path().join("app.log.1").exists());
    assert!(dir.path().join("app.log.bak").exists());
    assert!(dir.path().join("app.log.99").exists());

    let aged = RotatingFileSink::builder(dir.path().join("old.log"))
        .with_max_bytes(100)
        .with_backup_count(5)
        .with_max_age(Duration::from_secs(3600))
        .build()
        .unwrap();
    fs::write(dir.path().join("old.log.1"), "stale\n").unwrap();
    fs::File::options()
        .write(true)
        .open(dir.path().join("old.log.1"))
        .unwrap()
        .set_modified(std::time::SystemTime::now() - Duration::from_secs(7200))
        .unwrap();
    for i in 0..2 {
        (&aged)
            .write_all(format!("{:060}\n", i).as_bytes())
            .unwrap();
    }
    assert!(aged.wait_background(Some(Instant::now() + Duration::from_secs(30))));
    // The stale file moved to .2 and was deleted; the fresh rotation stays.
    assert!(!dir.path().join("old.log.2").exists());
    assert!(dir.path().join("old.log.1").exists());
}

#[test]
fn bad_parameters_are_construction_errors_naming_the_value() {
    let dir = tempfile::tempdir().unwrap();
    let b = || RotatingFileSink::builder(dir.path().join("app.log")).with_delay(true);
    assert_eq!(
        b().with_max_bytes(-1).build().unwrap_err().to_string(),
        "maxBytes must not be negative: -1"
    );
    assert_eq!(
        b().with_backup_count(-3).build().unwrap_err().to_string(),
        "backupCount must not be negative: -3"
    );
    assert_eq!(
        b().with_max_total_bytes(-9)
            .build()
            .unwrap_err()
            .to_string(),
        "maxTotalBytes must not be negative: -9"
    );
    // A folder where the file should be: an error naming the path, not a panic.
    fs::create_dir(dir.path().join("adir")).unwrap();
    let e = RotatingFileSink::new(dir.path().join("adir"), 10, 1).unwrap_err();
    assert!(e.to_string().contains("adir"), "{e}");
}

/// A pre-forking server opens its log before it forks its workers (Gunicorn's `preload_app`,
/// or any Rust master that logs before `fork`): the workers inherit the lock file's
/// descriptor, and an `flock` on a shared descriptor does not exclude the processes sharing
/// it, so their rotations ran at the same time and renamed files over each other.
#[cfg(unix)]
#[test]
fn workers_forked_after_the_log_was_opened_rotate_without_losing_a_line() {
    const FORKS: usize = 4;
    const FORK_LINES: usize = 5_000;
    const FORK_MAX: u64 = 2_000;
    if let Some(dir) = child_role().and_then(|r| r.strip_prefix("forker:").map(str::to_owned)) {
        let sink = RotatingFileSink::new(Path::new(&dir).join("app.log"), FORK_MAX as i64, 100_000)
            .unwrap();
        // The master logs first: the file and the lock file are open before the fork.
        (&sink).write_all(line(FORKS, 0).as_bytes()).unwrap();
        let workers: Vec<_> = (0..FORKS)
            .map(|w| {
                fork(|| {
                    let failed = (0..FORK_LINES)
                        .filter(|&i| (&sink).write_all(line(w, i).as_bytes()).is_err())
                        .count();
                    i32::from(failed > 0)
                })
            })
            .collect();
        for pid in workers {
            wait_for_child(pid, "1: a write failed");
        }
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = tracing_handlers_test_support::rerun_as_child_within(
        "workers_forked_after_the_log_was_opened_rotate_without_losing_a_line",
        &format!("forker:{}", dir.path().display()),
        &[],
        Duration::from_secs(120),
    );
    tracing_handlers_test_support::assert_child_passed(&out);
    // The master's line is writer FORKS's line 0: count it as one more writer of one line.
    let mut seen = 0;
    let mut keys = HashSet::new();
    for entry in fs::read_dir(dir.path()).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        if !name.starts_with("app.log") {
            continue;
        }
        let text = String::from_utf8(read_rotated(&entry.path())).unwrap();
        assert!(
            (text.len() as u64) < FORK_MAX,
            "{name} holds {} bytes (maxBytes {FORK_MAX})",
            text.len()
        );
        for l in text.lines() {
            seen += 1;
            assert!(keys.insert(l.to_owned()), "duplicate {l:?} in {name}");
        }
    }
    assert_eq!(seen, FORKS * FORK_LINES + 1, "lines missing");
}

/// The master rotated (and compressed) before forking, so its compression thread exists; the
/// workers inherit the engine but not the thread. Their rotated files were never compressed
/// (the jobs went to a thread that does not run there) and dropping the sink waited out its
/// 10 s for them.
#[cfg(unix)]
#[test]
fn workers_forked_after_a_compression_compress_their_own_rotations() {
    const FORKS: usize = 3;
    const FORK_LINES: usize = 300;
    if let Some(dir) = child_role().and_then(|r| r.strip_prefix("forker:").map(str::to_owned)) {
        let sink = RotatingFileSink::builder(Path::new(&dir).join("app.log"))
            .with_max_bytes(2_000)
            .with_backup_count(100_000)
            .with_compression(Compression::Gzip)
            .build()
            .unwrap();
        for i in 0..FORK_LINES {
            (&sink).write_all(line(FORKS, i).as_bytes()).unwrap();
        }
        assert!(sink.wait_background(Some(Instant::now() + Duration::from_secs(30))));
        let workers: Vec<_> = (0..FORKS)
            .map(|w| {
                fork(|| {
                    for i in 0..FORK_LINES {
                        let _ = (&sink).write_all(line(w, i).as_bytes());
                    }
                    // What dropping the sink does: wait for its compression (10 s at most).
                    let started = Instant::now();
                    Sink::shutdown(&sink, started + Duration::from_secs(10));
                    i32::from(started.elapsed() > Duration::from_secs(5))
                })
            })
            .collect();
        for pid in workers {
            wait_for_child(pid, "1: shutting the sink down took over 5 s");
        }
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = tracing_handlers_test_support::rerun_as_child_within(
        "workers_forked_after_a_compression_compress_their_own_rotations",
        &format!("forker:{}", dir.path().display()),
        &[],
        Duration::from_secs(120),
    );
    tracing_handlers_test_support::assert_child_passed(&out);
    let mut plain = Vec::new();
    let mut lines = HashSet::new();
    for entry in fs::read_dir(dir.path()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if !name.starts_with("app.log") {
            continue;
        }
        if name != "app.log" && !name.ends_with(".gz") {
            plain.push(name.clone());
        }
        let text = String::from_utf8(read_rotated(&dir.path().join(&name))).unwrap();
        for l in text.lines() {
            assert!(lines.insert(l.to_owned()), "duplicate {l:?}");
        }
    }
    assert!(plain.is_empty(), "left uncompressed: {plain:?}");
    assert_eq!(lines.len(), (FORKS + 1) * FORK_LINES, "lines missing");
}

/// A fork while another thread of the master was inside a rotation (here waiting for the
/// lock file, which another process holds): the child inherited the engine's in-process
/// lock as held by a thread that does not run there, and its first rotation waited for it
/// for ever.
#[cfg(unix)]
#[test]
fn a_child_forked_during_a_rotation_rotates_too() {
    use std::os::unix::io::AsRawFd;
    const TEST: &str = "a_child_forked_during_a_rotation_rotates_too";
    if let Some(dir) = child_role().and_then(|r| r.strip_prefix("forker:").map(str::to_owned)) {
        let dir = Path::new(&dir);
        let sink = Arc::new(RotatingFileSink::new(dir.join("app.log"), 200, 1_000).unwrap());
        (&*sink).write_all(line(9, 0).as_bytes()).unwrap();
        // Another process's rollover, as far as this one can tell: the lock file locked on a
        // descriptor of its own.
        let other = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(dir.join(".app.log.lock"))
            .unwrap();
        // SAFETY: a plain flock on a descriptor we own.
        assert_eq!(unsafe { libc::flock(other.as_raw_fd(), libc::LOCK_EX) }, 0);
        let writer = {
            let sink = sink.clone();
            std::thread::spawn(move || {
                for i in 0..40 {
                    (&*sink).write_all(line(0, i).as_bytes()).unwrap();
                }
            })
        };
        // The writer is now inside its rotation, waiting for the lock file.
        std::thread::sleep(Duration::from_millis(300));
        let child = fork(|| {
            let failed = (0..40)
                .filter(|&i| (&*sink).write_all(line(1, i).as_bytes()).is_err())
                .count();
            i32::from(failed > 0)
        });
        std::thread::sleep(Duration::from_millis(300));
        // SAFETY: releases the lock taken above.
        assert_eq!(unsafe { libc::flock(other.as_raw_fd(), libc::LOCK_UN) }, 0);
        wait_for_child(child, "1: a write failed");
        writer.join().unwrap();
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = tracing_handlers_test_support::rerun_as_child_within(
        TEST,
        &format!("forker:{}", dir.path().display()),
        &[],
        Duration::from_secs(30),
    );
    tracing_handlers_test_support::assert_child_passed(&out);
    let mut lines = HashSet::new();
    for entry in fs::read_dir(dir.path()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.starts_with("app.log") {
            let text = String::from_utf8(read_rotated(&dir.path().join(&name))).unwrap();
            for l in text.lines() {
                assert!(lines.insert(l.to_owned()), "duplicate {l:?}");
            }
        }
    }
    assert_eq!(lines.len(), 81, "lines missing");
}
