//! Reloading the configuration while threads log: no record lost, none written twice.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tracing_handlers::config::reload::Reloader;
use tracing_handlers::{Builder, Level};

const THREADS: usize = 4;
const PER_THREAD: usize = 25_000;

fn write_config(path: &Path, log: &Path, prefix: &str, non_blocking: bool) {
    // Written beside and renamed into place, as editors save.
    let text = format!(
        r#"version = 1
[formatters.f]
format = "{prefix} %(message)s"
[handlers.file]
class = "logging.FileHandler"
filename = "{}"
formatter = "f"
non_blocking = {non_blocking}
[root]
level = "INFO"
handlers = ["file"]
"#,
        log.display()
    );
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

#[test]
fn a_reload_while_four_threads_log_loses_and_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("logging.toml");
    let log = dir.path().join("out.log");
    write_config(&config, &log, "A", false);
    let guard = Builder::from_config_file(&config)
        .unwrap()
        .set_default()
        .unwrap();
    let dispatch = guard.dispatch().clone();
    let reloader = Reloader::new(&config, dispatch.clone());
    let done = Arc::new(AtomicBool::new(false));
    // Each writer logs at least PER_THREAD records, and goes on until three reloads are
    // done, so the reloads happen while logging however fast the machine writes.
    let reloaded = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let subscriber = tracing::dispatcher::get_default(|d| d.clone());
    let writers: Vec<_> = (0..THREADS)
        .map(|t| {
            let subscriber = subscriber.clone();
            let reloaded = reloaded.clone();
            std::thread::spawn(move || {
                tracing::dispatcher::with_default(&subscriber, || {
                    let mut i = 0;
                    while i < PER_THREAD || reloaded.load(Ordering::Acquire) < 3 {
                        tracing::info!("t{t}-{i}");
                        i += 1;
                    }
                    i
                })
            })
        })
        .collect();
    // Reload repeatedly while they write: alternate formats and direct/non-blocking handlers.
    let mut generation = 0;
    let reloads = std::thread::spawn({
        let done = done.clone();
        let reloaded = reloaded.clone();
        let config = config.clone();
        let log = log.clone();
        move || {
            while !done.load(Ordering::Acquire) {
                generation += 1;
                let prefix = if generation % 2 == 0 { "A" } else { "B" };
                write_config(&config, &log, prefix, generation % 3 == 0);
                reloader.reload_now().unwrap();
                reloaded.fetch_add(1, Ordering::Release);
                std::thread::sleep(Duration::from_millis(5));
            }
            generation
        }
    });
    let logged: usize = writers.into_iter().map(|w| w.join().unwrap()).sum();
    done.store(true, Ordering::Release);
    let generations = reloads.join().unwrap();
    assert!(
        generations >= 3,
        "reloaded {generations} times while logging"
    );
    assert_eq!(dispatch.effective_level("x"), Level::INFO);
    drop(guard);

    let text = std::fs::read_to_string(&log).unwrap();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut prefixes = [0usize; 2];
    for line in text.lines() {
        let (prefix, message) = line.split_once(' ').expect("a formatted line");
        match prefix {
            "A" => prefixes[0] += 1,
            "B" => prefixes[1] += 1,
            other => panic!("torn or unknown line {other:?}: {line:?}"),
        }
        *seen.entry(message).or_default() += 1;
    }
    assert!(
        prefixes[0] > 0 && prefixes[1] > 0,
        "both configurations wrote: {prefixes:?}"
    );
    assert!(logged >= THREADS * PER_THREAD);
    assert_eq!(seen.len(), logged, "every record once");
    assert!(seen.values().all(|n| *n == 1), "no duplicates");
}

#[test]
fn an_invalid_new_file_keeps_the_old_handlers() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("logging.toml");
    let log = dir.path().join("out.log");
    write_config(&config, &log, "A", false);
    let guard = Builder::from_config_file(&config)
        .unwrap()
        .set_default()
        .unwrap();
    let reloader = Reloader::new(&config, guard.dispatch().clone());
    std::fs::write(&config, "version = 1\n[root]\nlevel = \"LOUD\"\n").unwrap();
    let err = reloader.reload_now().unwrap_err().to_string();
    assert!(err.contains("Unknown level: 'LOUD'"), "{err}");
    tracing::info!("still logging");
    drop(guard);
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "A still logging\n");
}

#[test]
fn the_watcher_notices_an_atomic_save_within_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("logging.toml");
    let log = dir.path().join("out.log");
    write_config(&config, &log, "A", false);
    let guard = Builder::from_config_file(&config)
        .unwrap()
        .watch_config(&config, Duration::from_millis(100))
        .set_default()
        .unwrap();
    tracing::info!("one");
    write_config(&config, &log, "B", false);
    wait_for_prefix(&log, "B");
    drop(guard);
}

#[test]
fn a_save_between_loading_the_file_and_starting_the_watcher_is_reloaded() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("logging.toml");
    let log = dir.path().join("out.log");
    write_config(&config, &log, "A", false);
    let builder = Builder::from_config_file(&config).unwrap();
    // Saved while the application goes on setting up, before the watcher starts.
    write_config(&config, &log, "B", false);
    let guard = builder
        .watch_config(&config, Duration::from_millis(100))
        .set_default()
        .unwrap();
    wait_for_prefix(&log, "B");
    drop(guard);
}

/// Logs probes until one reaches `log` with the format prefix `prefix` (a reload to that
/// version of the configuration): noticed within a second; the deadline allows for a loaded
/// machine before failing.
fn wait_for_prefix(log: &Path, prefix: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let wanted = format!("{prefix} probe");
    let mut i = 0;
    loop {
        tracing::info!("probe {i}");
        i += 1;
        if std::fs::read_to_string(log).unwrap().contains(&wanted) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the reload was not noticed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A child forked after logging was installed with a watched configuration drops its guard
/// (returns from `main`): dropping the watcher joined its thread, which runs only in the
/// parent, and the join panicked ("threads should not terminate unexpectedly").
#[cfg(unix)]
#[test]
fn a_forked_child_drops_its_watching_guard_without_a_panic() {
    const TEST: &str = "reload::a_forked_child_drops_its_watching_guard_without_a_panic";
    use tracing_handlers_test_support as support;
    if support::child_role().as_deref() == Some("watching-daemon") {
        let config = std::path::PathBuf::from(std::env::var("TH_CONFIG").unwrap());
        let log = std::path::PathBuf::from(std::env::var("TH_LOG_PATH").unwrap());
        write_config(&config, &log, "A", false);
        let guard = Builder::from_config_file(&config)
            .unwrap()
            .watch_config(&config, Duration::from_millis(100))
            .try_init()
            .unwrap();
        // The guard moves into the child's closure: the child drops it there; this process
        // drops it with the closure, when `fork` returns.
        let child = support::fork(move || {
            tracing::info!("from the child");
            drop(guard);
            0
        });
        support::wait_for_child(child, "dropping its guard");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("logging.toml");
    let log = dir.path().join("out.log");
    let out = support::rerun_as_child_within(
        TEST,
        "watching-daemon",
        &[
            ("TH_CONFIG", config.to_str().unwrap()),
            ("TH_LOG_PATH", log.to_str().unwrap()),
        ],
        Duration::from_secs(60),
    );
    support::assert_child_passed(&out);
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("panicked"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "A from the child\n");
}
