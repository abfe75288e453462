//! Hot reload under load: records in flight when the set is swapped, saves that keep the
//! file's size and mtime, an explicit reload racing the watcher, and many reloads between
//! direct, non-blocking and rotating handlers while threads log (every record once, no
//! descriptor or thread left behind).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use tracing_handlers_config::reload::Reloader;
use tracing_handlers_core::dispatch::{Dispatch, HandlerEntry, HandlerSet};
use tracing_handlers_core::{FieldSet, Handler, Level, Record};
use tracing_handlers_test_support::within;

/// A handler that holds its first record until released, and notes whether it was shut down
/// while a record was still inside `handle` (a record the shutdown would lose).
#[derive(Debug, Default)]
struct Gate {
    inside: AtomicBool,
    shut_down_while_inside: AtomicBool,
    shut_down: AtomicBool,
    handled: AtomicUsize,
    entered: Mutex<Option<mpsc::Sender<()>>>,
    release: Mutex<Option<mpsc::Receiver<()>>>,
}

impl Handler for Gate {
    fn handle(&self, _record: &Record<'_>) {
        self.inside.store(true, Ordering::SeqCst);
        if let Some(tx) = self.entered.lock().unwrap().take() {
            let _ = tx.send(());
            if let Some(rx) = self.release.lock().unwrap().take() {
                let _ = rx.recv();
            }
        }
        if !self.shut_down.load(Ordering::SeqCst) {
            self.handled.fetch_add(1, Ordering::SeqCst);
        }
        self.inside.store(false, Ordering::SeqCst);
    }

    fn shutdown(&self, _deadline: Instant) {
        if self.inside.load(Ordering::SeqCst) {
            self.shut_down_while_inside.store(true, Ordering::SeqCst);
        }
        self.shut_down.store(true, Ordering::SeqCst);
    }
}

fn set_of(handler: Arc<dyn Handler>) -> HandlerSet {
    let mut set = HandlerSet::new();
    let i = set.add_handler(HandlerEntry::new("h", handler));
    set.tree.root_mut().handlers.push(i);
    set.tree.root_mut().level = Level::DEBUG;
    set
}

/// A record whose logging call began before the swap belongs to the old set; the old set's
/// handlers are shut down only once it is delivered (a socket or syslog handler drops what
/// arrives after its shutdown). With `level_change_first`, a logger level is changed while
/// the record is in flight (which makes a new state sharing the same handlers) before the
/// reload.
fn in_flight_record_is_delivered_before_retirement(level_change_first: bool) {
    within(Duration::from_secs(30), "the test", move || {
        let gate = Arc::new(Gate::default());
        let (entered_tx, entered_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel();
        *gate.entered.lock().unwrap() = Some(entered_tx);
        *gate.release.lock().unwrap() = Some(release_rx);
        let dispatch = Dispatch::new(set_of(gate.clone()));
        let logger = std::thread::spawn({
            let dispatch = dispatch.clone();
            move || {
                let fields = FieldSet::new();
                dispatch.dispatch(&Record::new(Level::INFO, "app", "in flight", &fields));
            }
        });
        entered_rx.recv().unwrap();
        if level_change_first {
            dispatch.set_logger_level("other", Level::ERROR);
        }
        let replacer = std::thread::spawn({
            let dispatch = dispatch.clone();
            move || dispatch.replace(set_of(Arc::new(Gate::default())), Duration::from_secs(20))
        });
        // Give the replacement every chance to retire the old handler too early (no
        // assertion on time: with the fix it waits for the record whatever happens here).
        std::thread::sleep(Duration::from_millis(100));
        release_tx.send(()).unwrap();
        logger.join().unwrap();
        replacer.join().unwrap();
        assert!(
            !gate.shut_down_while_inside.load(Ordering::SeqCst),
            "the old handler was shut down while a record of its set was being handled"
        );
        assert_eq!(gate.handled.load(Ordering::SeqCst), 1);
        assert!(
            gate.shut_down.load(Ordering::SeqCst),
            "the old handler is retired"
        );
    });
}

#[test]
fn a_reload_retires_the_old_handlers_only_after_the_records_in_flight() {
    in_flight_record_is_delivered_before_retirement(false);
}

#[test]
fn a_reload_after_a_level_change_also_waits_for_the_records_in_flight() {
    in_flight_record_is_delivered_before_retirement(true);
}

fn file_config(log: &Path, prefix: &str) -> String {
    format!(
        r#"version = 1
[formatters.f]
format = "{prefix} %(message)s"
[handlers.file]
class = "logging.FileHandler"
filename = "{}"
formatter = "f"
[root]
level = "INFO"
handlers = ["file"]
"#,
        log.display()
    )
}

/// Rewrites `path` in place with `text` and puts its modification time back to `mtime`: what
/// a save within the file system's timestamp granularity looks like.
fn rewrite_keeping_mtime(path: &Path, text: &str, mtime: std::time::SystemTime) {
    std::fs::write(path, text).unwrap();
    let f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    f.set_modified(mtime).unwrap();
}

fn log_one(dispatch: &Dispatch, message: &str) {
    let fields = FieldSet::new();
    dispatch.dispatch(&Record::new(Level::INFO, "app", message, &fields));
}

/// Two saves within one timestamp tick (ext4's coarse clock ticks every few milliseconds;
/// some file systems keep whole seconds) that keep the file's length: the second is still a
/// change.
#[test]
fn a_same_length_save_that_keeps_the_mtime_is_still_noticed() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("logging.toml");
    let log = dir.path().join("out.log");
    std::fs::write(&config, file_config(&log, "A")).unwrap();
    let mtime = std::fs::metadata(&config).unwrap().modified().unwrap();
    let set = tracing_handlers_config::build::build(
        &tracing_handlers_config::load(&config).unwrap(),
        &config,
    )
    .unwrap();
    let dispatch = Dispatch::new(set);
    let reloader = Reloader::new(&config, dispatch.clone());
    log_one(&dispatch, "one");
    rewrite_keeping_mtime(&config, &file_config(&log, "B"), mtime);
    reloader.check();
    log_one(&dispatch, "two");
    // Unchanged since: nothing more to do (and nothing reported again).
    reloader.check();
    log_one(&dispatch, "three");
    dispatch.shutdown(Instant::now() + Duration::from_secs(5));
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        "A one\nB two\nB three\n"
    );
}

const ROUNDS: usize = 500;

/// An explicit reload and the watcher's, racing: whichever finishes last must not put an
/// older version of the file in force (and then, its stamp being current, keep it there).
#[test]
fn an_explicit_reload_racing_the_watcher_never_leaves_an_older_file_in_force() {
    within(Duration::from_secs(60), "the test", || {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("logging.toml");
        let log = dir.path().join("out.log");
        std::fs::write(&config, file_config(&log, "P0")).unwrap();
        let set = tracing_handlers_config::build::build(
            &tracing_handlers_config::load(&config).unwrap(),
            &config,
        )
        .unwrap();
        let dispatch = Dispatch::new(set);
        let reloader = Arc::new(Reloader::new(&config, dispatch.clone()));
        let stop = Arc::new(AtomicBool::new(false));
        let watcher = std::thread::spawn({
            let reloader = reloader.clone();
            let stop = stop.clone();
            move || {
                while !stop.load(Ordering::Acquire) {
                    reloader.check();
                }
            }
        });
        let mut stale = Vec::new();
        for round in 1..=ROUNDS {
            let prefix = format!("P{round}");
            // Saved in place, then reloaded explicitly (as `reload_now` after an edit).
            let tmp = config.with_extension("tmp");
            std::fs::write(&tmp, file_config(&log, &prefix)).unwrap();
            std::fs::rename(&tmp, &config).unwrap();
            reloader.reload_now().unwrap();
            // The explicit reload returned: the file's current version is in force, and stays
            // so whatever the watcher does next.
            let probe = format!("probe{round}");
            log_one(&dispatch, &probe);
            std::thread::sleep(Duration::from_millis(2));
            log_one(&dispatch, &probe);
            let text = std::fs::read_to_string(&log).unwrap();
            let written: Vec<&str> = text
                .lines()
                .filter(|l| l.ends_with(&format!(" {probe}")))
                .collect();
            if written
                .iter()
                .any(|l| !l.starts_with(&format!("{prefix} ")))
            {
                stale.push(written.iter().map(|s| s.to_string()).collect::<Vec<_>>());
            }
        }
        stop.store(true, Ordering::Release);
        watcher.join().unwrap();
        // Whatever happened during the race, the watcher now agrees with the file.
        reloader.check();
        log_one(&dispatch, "last");
        dispatch.shutdown(Instant::now() + Duration::from_secs(5));
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(
            text.ends_with(&format!("P{ROUNDS} last\n")),
            "ends with {:?}",
            text.lines().last()
        );
        assert!(stale.is_empty(), "an older file was in force: {stale:?}");
    });
}

// === Many reloads between different handler kinds while threads log ===

const THREADS: usize = 3;
const PER_THREAD: usize = 20_000;

#[derive(Clone, Copy, Debug)]
enum Kind {
    Direct,
    NonBlocking,
    Rotating,
    OtherFile,
}

fn kind_config(dir: &Path, kind: Kind, generation: usize) -> String {
    let a = dir.join("a.log");
    let b = dir.join("b.log");
    let (class, file, extra) = match kind {
        Kind::Direct => ("logging.FileHandler", &a, ""),
        Kind::NonBlocking => ("logging.FileHandler", &a, "non_blocking = true\n"),
        Kind::Rotating => (
            "logging.handlers.RotatingFileHandler",
            &a,
            "maxBytes = 200000\nbackupCount = 1000\n",
        ),
        Kind::OtherFile => ("logging.FileHandler", &b, "non_blocking = true\n"),
    };
    format!(
        r#"version = 1
[formatters.f]
format = "g{generation} %(message)s"
[handlers.out]
class = "{class}"
filename = "{}"
formatter = "f"
{extra}
[root]
level = "INFO"
handlers = ["out"]
"#,
        file.display()
    )
}

fn count_dir(path: &str) -> usize {
    std::fs::read_dir(path).map(|d| d.count()).unwrap_or(0)
}

fn save_atomically(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

fn all_lines(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let p: PathBuf = entry.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("a.log") || name.starts_with("b.log") {
            let text = std::fs::read_to_string(&p).unwrap();
            assert!(
                text.is_empty() || text.ends_with('\n'),
                "{name}: a torn last line"
            );
            out.extend(text.lines().map(str::to_owned));
        }
    }
    out
}

#[test]
fn many_reloads_between_handler_kinds_keep_every_record_once_and_leak_nothing() {
    within(Duration::from_secs(120), "the test", || {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("logging.toml");
        let kinds = [
            Kind::Direct,
            Kind::NonBlocking,
            Kind::Rotating,
            Kind::OtherFile,
        ];
        std::fs::write(&config, kind_config(dir.path(), kinds[0], 0)).unwrap();
        let set = tracing_handlers_config::build::build(
            &tracing_handlers_config::load(&config).unwrap(),
            &config,
        )
        .unwrap();
        let dispatch = Dispatch::new(set);
        let reloader = Reloader::new(&config, dispatch.clone());
        // Warm up (the first record opens what is opened lazily), then count.
        log_one(&dispatch, "warm-up");
        let fds_before = count_dir("/proc/self/fd");
        let threads_before = count_dir("/proc/self/task");

        let done = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = (0..THREADS)
            .map(|t| {
                let dispatch = dispatch.clone();
                std::thread::spawn(move || {
                    let fields = FieldSet::new();
                    let mut message = String::new();
                    for i in 0..PER_THREAD {
                        use std::fmt::Write as _;
                        message.clear();
                        let _ = write!(message, "t{t}-{i}");
                        dispatch.dispatch(&Record::new(Level::INFO, "app", &message, &fields));
                    }
                })
            })
            .collect();
        let mut generation = 0;
        while !done.load(Ordering::Acquire) {
            generation += 1;
            let kind = kinds[generation % kinds.len()];
            save_atomically(&config, &kind_config(dir.path(), kind, generation));
            reloader.reload_now().unwrap();
            if writers.iter().all(|w| w.is_finished()) {
                done.store(true, Ordering::Release);
            }
        }
        for w in writers {
            w.join().unwrap();
        }
        // A few hundred more reloads with nothing logging, for the leak counts.
        for _ in 0..200 {
            generation += 1;
            let kind = kinds[generation % kinds.len()];
            save_atomically(&config, &kind_config(dir.path(), kind, generation));
            reloader.reload_now().unwrap();
        }
        // Back to the first kind, then compare.
        generation += 1;
        generation += (kinds.len() - generation % kinds.len()) % kinds.len();
        save_atomically(&config, &kind_config(dir.path(), kinds[0], generation));
        reloader.reload_now().unwrap();
        log_one(&dispatch, "after");
        let fds_after = count_dir("/proc/self/fd");
        let threads_after = count_dir("/proc/self/task");
        dispatch.shutdown(Instant::now() + Duration::from_secs(10));

        let lines = all_lines(dir.path());
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for line in &lines {
            let (prefix, message) = line.split_once(' ').expect("a formatted line");
            assert!(
                prefix.starts_with('g') && prefix[1..].parse::<usize>().is_ok(),
                "torn line {line:?}"
            );
            *seen.entry(message).or_default() += 1;
        }
        let dups: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).take(5).collect();
        assert!(dups.is_empty(), "written twice: {dups:?}");
        for t in 0..THREADS {
            for i in 0..PER_THREAD {
                let m = format!("t{t}-{i}");
                assert!(seen.contains_key(m.as_str()), "lost {m}");
            }
        }
        assert!(generation > 200, "{generation} reloads");
        // Other tests of this binary run in parallel and open files or threads of their own:
        // allow a little slack, not one per reload.
        assert!(
            fds_after <= fds_before + 8,
            "descriptors {fds_before} -> {fds_after} after {generation} reloads"
        );
        assert!(
            threads_after <= threads_before + 8,
            "threads {threads_before} -> {threads_after} after {generation} reloads"
        );
    });
}

// === Invalid files and editors' save patterns ===

/// Every report made in this test binary: (source, failure?, message).
static REPORTS: Mutex<Vec<(String, bool, String)>> = Mutex::new(Vec::new());

fn reports_about(config: &Path) -> Vec<(bool, String)> {
    let source = format!("config {}", config.display());
    REPORTS
        .lock()
        .unwrap()
        .iter()
        .filter(|(s, _, _)| *s == source)
        .map(|(_, failure, m)| (*failure, m.clone()))
        .collect()
}

/// One way of saving an invalid file.
type BadSave = Box<dyn Fn()>;

/// Invalid new files (a syntax error, a handler whose file cannot be opened, an empty file,
/// a directory in the file's place) keep the running set and are reported once per change,
/// however often the watcher looks; a file that is missing (between a rename and a create)
/// keeps the running set silently; then a valid file is loaded.
#[test]
fn invalid_saves_keep_the_running_set_and_are_reported_once_each() {
    tracing_handlers_core::report::set_error_reporter(|r| {
        REPORTS.lock().unwrap().push((
            r.source.to_owned(),
            matches!(r.kind, tracing_handlers_core::report::ReportKind::Failure),
            r.message.to_string(),
        ));
    });
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("logging.toml");
    let log = dir.path().join("out.log");
    std::fs::write(&config, file_config(&log, "A")).unwrap();
    let set = tracing_handlers_config::build::build(
        &tracing_handlers_config::load(&config).unwrap(),
        &config,
    )
    .unwrap();
    let dispatch = Dispatch::new(set);
    let reloader = Reloader::new(&config, dispatch.clone());
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, "").unwrap();
    let bad_saves: Vec<(&str, BadSave)> = vec![
        ("syntax", {
            let config = config.clone();
            Box::new(move || save_atomically(&config, "version = 1\n[root\n"))
        }),
        ("unopenable", {
            let config = config.clone();
            let target = blocker.join("x.log");
            Box::new(move || save_atomically(&config, &file_config(&target, "X")))
        }),
        ("truncated mid-save", {
            let config = config.clone();
            let log = log.clone();
            Box::new(move || {
                let text = file_config(&log, "X");
                std::fs::write(&config, &text[..text.len() / 2]).unwrap();
            })
        }),
        ("empty", {
            let config = config.clone();
            Box::new(move || std::fs::write(&config, "").unwrap())
        }),
        ("directory", {
            let config = config.clone();
            Box::new(move || {
                std::fs::remove_file(&config).unwrap();
                std::fs::create_dir(&config).unwrap();
            })
        }),
    ];
    let mut expected_failures = 0;
    for (what, save) in &bad_saves {
        if config.is_dir() {
            std::fs::remove_dir(&config).unwrap();
        }
        save();
        for _ in 0..5 {
            reloader.check();
        }
        expected_failures += 1;
        log_one(&dispatch, what);
        let failures = reports_about(&config).iter().filter(|r| r.0).count();
        assert_eq!(failures, expected_failures, "after the {what} save");
    }
    std::fs::remove_dir(&config).unwrap();
    // Missing (renamed away, not yet created): silent, the running set stays.
    for _ in 0..5 {
        reloader.check();
    }
    log_one(&dispatch, "missing");
    std::fs::write(&config, file_config(&log, "B")).unwrap();
    reloader.check();
    reloader.check();
    log_one(&dispatch, "valid again");
    dispatch.shutdown(Instant::now() + Duration::from_secs(5));
    let reports = reports_about(&config);
    assert_eq!(
        reports.iter().filter(|r| r.0).count(),
        bad_saves.len(),
        "{reports:?}"
    );
    assert_eq!(
        reports.iter().filter(|r| !r.0).count(),
        1,
        "one reload: {reports:?}"
    );
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        "A syntax\nA unopenable\nA truncated mid-save\nA empty\nA directory\nA missing\nB valid again\n"
    );
}

// === A network handler in the retired set ===

fn socket_config(port: u16, generation: usize) -> String {
    format!(
        r#"version = 1
[handlers.net{generation}]
class = "logging.handlers.SocketHandler"
host = "127.0.0.1"
port = {port}
protocol = "json"
[root]
level = "INFO"
handlers = ["net{generation}"]
"#
    )
}

/// Threads log at full speed to a socket handler while the configuration is reloaded again
/// and again: each reload retires a socket handler whose sender thread stops at its shutdown,
/// and a record whose call began before the swap must still be sent by it.
#[test]
fn reloads_between_socket_handlers_lose_no_record_in_flight() {
    const SOCKET_THREADS: usize = 3;
    const SOCKET_PER_THREAD: usize = 5_000;
    within(Duration::from_secs(60), "the test", || {
        use std::io::BufRead as _;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::<String>::new()));
        std::thread::spawn({
            let received = received.clone();
            move || {
                for conn in listener.incoming() {
                    let Ok(conn) = conn else { return };
                    let received = received.clone();
                    std::thread::spawn(move || {
                        for line in std::io::BufReader::new(conn).lines() {
                            let Ok(line) = line else { return };
                            if let Some(start) = line.find("rec:") {
                                if let Some(len) = line[start..].find(":end") {
                                    let id = line[start..start + len].to_owned();
                                    received.lock().unwrap().push(id);
                                }
                            }
                        }
                    });
                }
            }
        });
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("logging.toml");
        std::fs::write(&config, socket_config(port, 0)).unwrap();
        let set = tracing_handlers_config::build::build(
            &tracing_handlers_config::load(&config).unwrap(),
            &config,
        )
        .unwrap();
        let dispatch = Dispatch::new(set);
        let reloader = Reloader::new(&config, dispatch.clone());
        let writers: Vec<_> = (0..SOCKET_THREADS)
            .map(|t| {
                let dispatch = dispatch.clone();
                std::thread::spawn(move || {
                    let fields = FieldSet::new();
                    for i in 0..SOCKET_PER_THREAD {
                        let message = format!("rec:{t}:{i}:end");
                        dispatch.dispatch(&Record::new(Level::INFO, "app", &message, &fields));
                    }
                })
            })
            .collect();
        let mut generation = 0;
        while !writers.iter().all(|w| w.is_finished()) {
            generation += 1;
            save_atomically(&config, &socket_config(port, generation));
            reloader.reload_now().unwrap();
        }
        for w in writers {
            w.join().unwrap();
        }
        dispatch.shutdown(Instant::now() + Duration::from_secs(20));
        let expected = SOCKET_THREADS * SOCKET_PER_THREAD;
        // The receiver reads what was sent: wait for it to catch up, or give up after a
        // while and compare what is there (a deadline, not a timing assertion).
        let give_up = Instant::now() + Duration::from_secs(20);
        while received.lock().unwrap().len() < expected && Instant::now() < give_up {
            std::thread::sleep(Duration::from_millis(10));
        }
        let received = received.lock().unwrap();
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for id in received.iter() {
            *seen.entry(id.as_str()).or_default() += 1;
        }
        let dups = seen.values().filter(|n| **n > 1).count();
        assert_eq!(dups, 0, "records sent twice");
        assert_eq!(
            seen.len(),
            expected,
            "records lost over {generation} reloads"
        );
    });
}
