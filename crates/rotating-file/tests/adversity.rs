//! The rotating file under adversity: its file or folder removed, its lock file deleted or
//! left by a crashed process, writers killed with SIGKILL at random moments. Whatever
//! happens, a logging call does not fail for good, no line of a live writer is lost or
//! written twice, and the handler recovers. Unix: the lock file is how processes share a
//! file there.
#![cfg(unix)]

use std::collections::HashSet;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use tracing_handlers_rotating_file::{Compression, RotatingFileSink};

mod common;
use common::read_rotated;

/// `{tag}{i:08}\n`: ten bytes.
fn line(tag: char, i: usize) -> String {
    format!("{tag}{i:08}\n")
}

/// A gzip-compressing rotating sink at `path`, rolling every `max_bytes`.
fn gzip_sink(path: impl AsRef<Path>, max_bytes: i64, backups: i64) -> RotatingFileSink {
    RotatingFileSink::builder(path.as_ref())
        .with_max_bytes(max_bytes)
        .with_backup_count(backups)
        .with_compression(Compression::Gzip)
        .build()
        .unwrap()
}

/// The lines of every `app.log*` file of `dir` (decompressing `.gz`), and the size of each
/// file.
fn read_all(dir: &Path) -> (Vec<String>, Vec<(String, usize)>) {
    let mut lines = Vec::new();
    let mut sizes = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        if !name.starts_with("app.log") {
            continue;
        }
        let bytes = read_rotated(&entry.path());
        sizes.push((name, bytes.len()));
        lines.extend(String::from_utf8(bytes).unwrap().lines().map(str::to_owned));
    }
    sizes.sort();
    (lines, sizes)
}

/// Python reopens the path at each rollover, so a log removed by hand (or with its folder)
/// comes back at the next boundary. The sink used to rename nothing (the path was gone),
/// reset its count and write on, for ever, into the deleted file.
#[test]
fn a_removed_log_file_or_folder_is_opened_anew_at_the_next_boundary() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    let sink = RotatingFileSink::new(logs.join("app.log"), 100, 5).unwrap();
    for i in 0..5 {
        (&sink).write_all(line('a', i).as_bytes()).unwrap();
    }
    fs::remove_file(logs.join("app.log")).unwrap();
    for i in 0..30 {
        (&sink).write_all(line('b', i).as_bytes()).unwrap();
    }
    // The boundary after b00000003 (90 bytes in the deleted file) opened a new file.
    let (lines, _) = read_all(&logs);
    let expected: HashSet<String> = (4..30)
        .map(|i| line('b', i).trim_end().to_owned())
        .collect();
    assert_eq!(lines.iter().cloned().collect::<HashSet<_>>(), expected);
    assert_eq!(lines.len(), expected.len());

    fs::remove_dir_all(&logs).unwrap();
    for i in 0..30 {
        (&sink).write_all(line('c', i).as_bytes()).unwrap();
    }
    let (lines, sizes) = read_all(&logs);
    assert!(lines.contains(&"c00000029".to_owned()), "{sizes:?}");
    assert!(sizes.iter().all(|(_, len)| *len < 100), "{sizes:?}");
}

/// A lock file deleted while processes write (a cleanup script, `rm -rf` of hidden files):
/// a process started afterwards creates another one. The processes holding the deleted one
/// used to go on counting in it for ever, each half unaware of the other's rotations, so
/// that every file grew past maxBytes. Now a process leaves a lock file whose path names
/// another file at its next boundary: past one boundary, they rotate as one again.
#[test]
fn a_deleted_lock_file_is_left_for_the_one_at_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    // Two sinks of one process have their own lock file descriptions: as two processes.
    let old = RotatingFileSink::new(&path, 100, 1000).unwrap();
    for i in 0..5 {
        (&old).write_all(line('a', i).as_bytes()).unwrap();
    }
    fs::remove_file(dir.path().join(".app.log.lock")).unwrap();
    let new = RotatingFileSink::new(&path, 100, 1000).unwrap();
    for i in 0..100 {
        (&old).write_all(line('b', i).as_bytes()).unwrap();
        (&new).write_all(line('c', i).as_bytes()).unwrap();
    }
    let (lines, sizes) = read_all(dir.path());
    assert_eq!(lines.len(), 205, "lines lost or duplicated");
    assert_eq!(
        lines.iter().collect::<HashSet<_>>().len(),
        205,
        "duplicates"
    );
    let over: Vec<_> = sizes.iter().filter(|(_, len)| *len >= 100).collect();
    assert!(over.len() <= 1, "{over:?} of {sizes:?}");
}

/// A lock file written by a crashed process of an earlier version, whose in-flight writer
/// counters stayed raised (a writer killed with SIGKILL in the middle of its `write`), or
/// filled with garbage. Compression used to wait 2 s for those writers before every rotated
/// file, for ever (the queue growing without bound when files rotate faster).
#[test]
fn compression_does_not_wait_for_writers_killed_long_ago() {
    let dir = tempfile::tempdir().unwrap();
    for (name, header) in [
        ("app.log", {
            let mut h = vec![0u8; 4096];
            h[..8].copy_from_slice(b"TRHROT01");
            for slot in 0..4 {
                h[64 + 8 * slot] = 1;
            }
            h
        }),
        ("app.log", vec![0xff; 4096]),
    ] {
        let path = dir.path().join(name);
        fs::write(dir.path().join(".app.log.lock"), header).unwrap();
        let sink = gzip_sink(&path, 100, 100);
        // Eight rotations: sixteen seconds of waiting with the old counters.
        for i in 0..81 {
            (&sink).write_all(line('a', i).as_bytes()).unwrap();
        }
        assert!(
            sink.wait_background(Some(Instant::now() + Duration::from_secs(6))),
            "compression held up"
        );
        drop(sink);
        let (lines, sizes) = read_all(dir.path());
        assert_eq!(lines.len(), 81);
        assert_eq!(
            sizes.iter().filter(|(n, _)| n.ends_with(".gz")).count(),
            8,
            "{sizes:?}"
        );
        for entry in fs::read_dir(dir.path()).unwrap() {
            let p = entry.unwrap().path();
            if p.file_name().unwrap() != ".app.log.lock" {
                fs::remove_file(p).unwrap();
            }
        }
    }
}

/// Rotations that follow each other faster than the background thread compresses: each
/// rotated file is still found (wherever the cascade moved it) and compressed. The thread
/// used to look for the file without the lock, and when a rotation was renaming
/// `app.log.1` to `app.log.2` at that moment it found nothing and left the file
/// uncompressed for ever.
#[test]
fn every_rotated_file_is_compressed_while_rotations_move_them() {
    let dir = tempfile::tempdir().unwrap();
    let sink = gzip_sink(dir.path().join("app.log"), 100, 1000);
    let threads: Vec<_> = (0..2)
        .map(|t| {
            let sink = &sink;
            move || {
                for i in 0..600 {
                    (&*sink)
                        .write_all(line(if t == 0 { 'a' } else { 'b' }, i).as_bytes())
                        .unwrap();
                }
            }
        })
        .collect();
    std::thread::scope(|s| {
        for t in threads {
            s.spawn(t);
        }
    });
    assert!(sink.wait_background(Some(Instant::now() + Duration::from_secs(60))));
    let (lines, sizes) = read_all(dir.path());
    assert_eq!(lines.len(), 1200);
    assert_eq!(lines.iter().collect::<HashSet<_>>().len(), 1200);
    let plain: Vec<_> = sizes
        .iter()
        .filter(|(n, _)| n != "app.log" && !n.ends_with(".gz"))
        .collect();
    assert!(plain.is_empty(), "left uncompressed: {plain:?}");
}

const KILL_MAX: u64 = 4000;

fn kill_line(tag: &str, i: usize) -> String {
    let pad = "x".repeat((i * 7) % 60);
    format!("{tag}-{i:06} {pad}\n")
}

fn kill_sink(dir: &str) -> RotatingFileSink {
    gzip_sink(Path::new(dir).join("app.log"), KILL_MAX as i64, 100_000)
}

/// Waits for `child` until `deadline`, killing it and failing then: a hang is a failure.
fn wait_until(child: &mut std::process::Child, deadline: Instant, what: &str) {
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "{what} failed: {status}");
            return;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{what} hangs");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Writers killed with SIGKILL at random moments (in a `write`, inside a rollover, while
/// compressing) while three others write and rotate with compression. The survivors and a
/// process started afterwards go on: no hang, every line of theirs exactly once, no line
/// of anyone twice, no file at maxBytes.
#[test]
fn writers_killed_at_random_moments_leave_the_others_whole() {
    use std::process::{Command, Stdio};
    use tracing_handlers_test_support::{child_role, CHILD_ROLE};
    const NAME: &str = "writers_killed_at_random_moments_leave_the_others_whole";
    const STEADY: usize = 3;
    const LINES: usize = 6000;
    if let Some(role) = child_role() {
        let mut parts = role.splitn(3, ':');
        let (kind, tag, dir) = (parts.next(), parts.next().unwrap(), parts.next().unwrap());
        let sink = kill_sink(dir);
        let n = if kind == Some("steady") {
            LINES
        } else {
            usize::MAX
        };
        for i in 0..n {
            (&sink).write_all(kill_line(tag, i).as_bytes()).unwrap();
            if i % 20 == 19 {
                std::thread::sleep(Duration::from_micros(500));
            }
        }
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    let exe = std::env::current_exe().unwrap();
    let spawn = |role: String| {
        Command::new(&exe)
            .args([NAME, "--exact", "--test-threads=1"])
            .env(CHILD_ROLE, role)
            .stdout(Stdio::null())
            .spawn()
            .unwrap()
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut steady: Vec<_> = (0..STEADY)
        .map(|w| spawn(format!("steady:s{w}:{d}")))
        .collect();
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    #[allow(clippy::print_stderr)]
    {
        eprintln!("seed {seed}");
    }
    let mut victims = 0;
    while steady.iter_mut().any(|c| c.try_wait().unwrap().is_none()) && victims < 40 {
        let mut victim = spawn(format!("victim:v{victims}:{d}"));
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(Duration::from_micros(2_000 + seed % 60_000));
        victim.kill().unwrap();
        victim.wait().unwrap();
        victims += 1;
    }
    for (w, c) in steady.iter_mut().enumerate() {
        wait_until(c, deadline, &format!("steady writer {w}"));
    }
    // A process started afterwards writes and rotates too.
    let mut late = spawn(format!("steady:late:{d}"));
    wait_until(&mut late, deadline, "the late writer");

    let (lines, sizes) = read_all(dir.path());
    let over: Vec<_> = sizes
        .iter()
        .filter(|(_, n)| *n as u64 >= KILL_MAX)
        .collect();
    assert!(over.is_empty(), "{over:?}");
    let mut seen = HashSet::new();
    for l in &lines {
        assert!(seen.insert(l.as_str()), "duplicate {l:?} in {sizes:?}");
        let (id, _) = l.split_once(' ').unwrap_or_else(|| panic!("torn {l:?}"));
        let (tag, i) = id.split_once('-').unwrap_or_else(|| panic!("torn {l:?}"));
        assert_eq!(format!("{l}\n"), kill_line(tag, i.parse().unwrap()), "torn");
    }
    let mut lost = Vec::new();
    for tag in (0..STEADY)
        .map(|w| format!("s{w}"))
        .chain(["late".to_owned()])
    {
        for i in 0..LINES {
            let l = kill_line(&tag, i);
            if !seen.contains(l.strip_suffix('\n').unwrap()) {
                lost.push(l);
            }
        }
    }
    if !lost.is_empty() {
        panic!(
            "lost {} lines, first {:?}, last {:?}; files {sizes:?}",
            lost.len(),
            lost.first(),
            lost.last()
        );
    }
    #[allow(clippy::print_stderr)]
    {
        eprintln!("{victims} writers killed, {} files", sizes.len());
    }
}

/// What a process killed while compressing leaves: killed between putting the complete
/// compressed copy in place and deleting the original, both stayed (every line kept
/// twice, for ever); killed while writing the copy, its hidden temporary file stayed for
/// ever. The next compression, by any process, repairs both.
#[test]
fn what_a_process_killed_while_compressing_leaves_is_repaired() {
    let dir = tempfile::tempdir().unwrap();
    let sink = gzip_sink(dir.path().join("app.log"), 100, 10);
    for i in 0..10 {
        (&sink).write_all(line('a', i).as_bytes()).unwrap();
    }
    assert!(sink.wait_background(Some(Instant::now() + Duration::from_secs(30))));
    let gz = dir.path().join("app.log.1.gz");
    let mut text = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(fs::File::open(&gz).unwrap()),
        &mut text,
    )
    .unwrap();
    // The original back beside its compressed copy, and two temporary copies untouched for
    // an hour: one of a process that is gone, one of a live process (the parent of this
    // one).
    fs::write(dir.path().join("app.log.1"), &text).unwrap();
    let mut gone = std::process::Command::new("true").spawn().unwrap();
    let gone_pid = gone.id();
    gone.wait().unwrap();
    let dead_tmp = dir.path().join(format!(".app.log.1.gz.tmp-{gone_pid}"));
    let live_tmp = dir.path().join(format!(
        ".app.log.1.gz.tmp-{}",
        std::os::unix::process::parent_id()
    ));
    for tmp in [&dead_tmp, &live_tmp] {
        fs::write(tmp, b"partial").unwrap();
        fs::File::options()
            .write(true)
            .open(tmp)
            .unwrap()
            .set_modified(std::time::SystemTime::now() - Duration::from_secs(3600))
            .unwrap();
    }
    for i in 10..20 {
        (&sink).write_all(line('a', i).as_bytes()).unwrap();
    }
    assert!(sink.wait_background(Some(Instant::now() + Duration::from_secs(30))));
    let (lines, sizes) = read_all(dir.path());
    assert_eq!(lines.len(), 20, "{sizes:?}");
    assert_eq!(lines.iter().collect::<HashSet<_>>().len(), 20, "{sizes:?}");
    assert!(!dead_tmp.exists());
    assert!(live_tmp.exists());
}

/// A rotated file whose compression failed (a full disk; here a folder in the way of the
/// temporary copy) stayed plain for ever. A compression after it has stayed plain a while
/// takes it up; one that has not is left to the compression that may still be under way.
#[test]
fn a_rotated_file_whose_compression_failed_is_compressed_by_a_later_one() {
    let dir = tempfile::tempdir().unwrap();
    let sink = gzip_sink(dir.path().join("app.log"), 100, 10);
    let blocker = dir
        .path()
        .join(format!(".app.log.1.gz.tmp-{}", std::process::id()));
    fs::create_dir(&blocker).unwrap();
    for i in 0..10 {
        (&sink).write_all(line('a', i).as_bytes()).unwrap();
    }
    assert!(sink.wait_background(Some(Instant::now() + Duration::from_secs(30))));
    let failed = dir.path().join("app.log.1");
    assert!(failed.is_file(), "{:?}", read_all(dir.path()).1);
    fs::remove_dir(&blocker).unwrap();

    // Plain for a moment only: the next compression leaves it alone.
    for i in 10..20 {
        (&sink).write_all(line('a', i).as_bytes()).unwrap();
    }
    assert!(sink.wait_background(Some(Instant::now() + Duration::from_secs(30))));
    let plain = |dir: &Path| -> Vec<String> {
        read_all(dir)
            .1
            .into_iter()
            .map(|(n, _)| n)
            .filter(|n| n != "app.log" && !n.ends_with(".gz"))
            .collect()
    };
    assert_eq!(plain(dir.path()), ["app.log.2"]);

    // Plain for an hour: the next compression takes it up too.
    fs::File::options()
        .write(true)
        .open(dir.path().join("app.log.2"))
        .unwrap()
        .set_modified(std::time::SystemTime::now() - Duration::from_secs(3600))
        .unwrap();
    for i in 20..30 {
        (&sink).write_all(line('a', i).as_bytes()).unwrap();
    }
    assert!(sink.wait_background(Some(Instant::now() + Duration::from_secs(30))));
    assert_eq!(plain(dir.path()), Vec::<String>::new());
    let (lines, sizes) = read_all(dir.path());
    assert_eq!(lines.len(), 30, "{sizes:?}");
    assert_eq!(lines.iter().collect::<HashSet<_>>().len(), 30, "{sizes:?}");
}

/// Records that could not be written (a full disk; here the process's file-size limit) kept
/// the room they had reserved in the file's count: once the disk had room again the file
/// rotated long before `maxBytes` (here at 2,000 bytes of 10,000, while the disk was still
/// full), and a compression of it would have waited for bytes that never came.
#[test]
fn records_that_could_not_be_written_do_not_count_toward_max_bytes() {
    const TEST: &str = "records_that_could_not_be_written_do_not_count_toward_max_bytes";
    if tracing_handlers_test_support::child_role().as_deref() == Some("fsize") {
        use tracing_handlers_core::{Level, Sink};
        let dir = std::env::var("TH_DIR").unwrap();
        let path = Path::new(&dir).join("app.log");
        let sink = RotatingFileSink::builder(&path)
            .with_max_bytes(10_000)
            .with_backup_count(3)
            .build()
            .unwrap();
        let record = |i: usize| format!("{:099}\n", i);
        let limit = |bytes: libc::rlim_t| {
            let lim = libc::rlimit {
                rlim_cur: bytes,
                rlim_max: libc::RLIM_INFINITY,
            };
            // SAFETY: sets this process's own limit from a live struct.
            assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_FSIZE, &lim) }, 0);
        };
        // SAFETY: ignoring a signal: past the limit, writes fail with EFBIG instead.
        unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) };
        limit(2_000);
        let failed = (0..100)
            .filter(|&i| {
                sink.write_record(record(i).as_bytes(), Level::INFO)
                    .is_err()
            })
            .count();
        limit(libc::RLIM_INFINITY);
        let mut i = 100;
        while !Path::new(&dir).join("app.log.1").exists() && i < 1_000 {
            sink.write_record(record(i).as_bytes(), Level::INFO)
                .unwrap();
            i += 1;
        }
        let rotated = fs::metadata(Path::new(&dir).join("app.log.1"))
            .unwrap()
            .len();
        assert_eq!(rotated, 9_900, "rotated at {rotated} bytes");
        assert_eq!(failed, 80, "20 records of 100 bytes fit under the limit");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = tracing_handlers_test_support::rerun_as_child_within(
        TEST,
        "fsize",
        &[("TH_DIR", dir.path().to_str().unwrap())],
        Duration::from_secs(60),
    );
    tracing_handlers_test_support::assert_child_passed(&out);
}
