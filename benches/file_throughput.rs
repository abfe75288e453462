//! File throughput: events per second, end to end, from `tracing::info!` (or the library's own
//! macro) to lines on disk, for our file handler (direct and non-blocking) and the usual
//! alternatives: tracing-subscriber's fmt layer, tracing-appender, spdlog-rs, one raw
//! `write(2)` per line, and CPython's `logging`.
//!
//! `cargo bench --bench file_throughput` (all cases, 1 and 4 threads, median of 3 runs).
//!
//! | variable | default | what |
//! |---|---|---|
//! | `BENCH_EVENTS` | 1000000 | events per case and run (split among the threads) |
//! | `BENCH_PY_EVENTS` | `BENCH_EVENTS / 4` | events per CPython run (it is slow) |
//! | `BENCH_REPEATS` | 3 | runs per case; the median is reported |
//! | `BENCH_MEMORY_EVENTS` | 1000000 | events of the non-blocking memory check (0: skip it) |
//! | `BENCH_ONLY` | (all) | run only the cases whose name contains one of these comma-separated texts (e.g. `ours,fmt`) |
//! | `BENCH_THREADS` | `1,4` | the thread counts, comma-separated |
//!
//! Each run writes a fresh file in a temporary folder; the timing includes the final drain and
//! flush (so every line is in the file), and the file's lines are counted afterwards (outside
//! the timing). The memory check runs in a child process (this binary with `--memory-child`)
//! so its peak RSS is not polluted by the other cases.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tracing_handlers::core::nonblocking::{NonBlockingOptions, OverflowPolicy};
use tracing_handlers::file::FileSink;
use tracing_handlers::{Builder, FormatHandler, Formatter, Handler, Level, Logger, Sink};
use tracing_subscriber::layer::SubscriberExt;

/// Python's format for our handler and CPython: `2025-01-01 12:00:00,123 INFO bench.throughput …`.
const PY_FORMAT: &str = "%(asctime)s %(levelname)s %(name)s %(message)s";

/// The `tracing` target; our logger name is `bench.throughput`.
const TARGET: &str = "bench::throughput";

/// The logger name for spdlog-rs and CPython.
const LOGGER_NAME: &str = "bench.throughput";

/// The message of every event: with our format the whole line is 110 bytes.
macro_rules! message {
    () => {
        "GET /api/v1/items/47110 status=200 bytes=51200 elapsed_ms=12 ok"
    };
}

/// A drain deadline no case should ever reach.
const DEADLINE: Duration = Duration::from_secs(300);

/// The CPython case's name.
const CPYTHON: &str = "CPython logging.FileHandler";

/// The least a direct-mode `tracing` layer can do (see `tracing_floor`).
const FLOOR: &str = "tracing layer floor: message + write(2)";

/// The least a direct-mode `tracing` layer that timestamps its lines can do (see
/// `tracing_floor_stamped`).
const STAMPED_FLOOR: &str = "tracing layer floor + clock: message + time + write(2)";

/// The baseline every ratio is taken against.
const BASELINE: &str = "tracing fmt + Mutex<File>";

// === settings ===

struct Settings {
    events: usize,
    py_events: usize,
    repeats: usize,
    memory_events: usize,
    only: Option<String>,
    threads: Vec<usize>,
}

fn env_usize(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) => v.replace('_', "").parse().unwrap_or_else(|_| {
            eprintln!("{name}={v} is not a number; using {default}");
            default
        }),
        Err(_) => default,
    }
}

impl Settings {
    fn wants(&self, case: &str) -> bool {
        self.only
            .as_deref()
            .is_none_or(|only| only.split(',').any(|o| case.contains(o.trim())))
    }

    fn from_env() -> Self {
        let events = env_usize("BENCH_EVENTS", 1_000_000).max(4);
        Settings {
            events,
            py_events: env_usize("BENCH_PY_EVENTS", events / 4).max(4),
            repeats: env_usize("BENCH_REPEATS", 3).max(1),
            memory_events: env_usize("BENCH_MEMORY_EVENTS", 1_000_000),
            only: std::env::var("BENCH_ONLY").ok().filter(|s| !s.is_empty()),
            threads: std::env::var("BENCH_THREADS")
                .ok()
                .map(|v| {
                    v.split(',')
                        .filter_map(|t| t.trim().parse().ok())
                        .filter(|&t| t > 0)
                        .collect::<Vec<usize>>()
                })
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| vec![1, 4]),
        }
    }
}

// === measuring ===

/// One timed run: how long it took, and anything the case wants to say (drops, losses).
struct Run {
    secs: f64,
    note: String,
}

/// A case's result: the median run, with the file's line count and size for that run.
struct Outcome {
    case: &'static str,
    threads: usize,
    events: usize,
    secs: f64,
    /// The fastest and slowest runs, in seconds (to show the noise).
    best_secs: f64,
    /// Every run's time, in the order of the rounds (for ratios within a round).
    round_secs: Vec<f64>,
    worst_secs: f64,
    lines: usize,
    bytes: u64,
    note: String,
    /// The median CPU time of the runs (all threads of this process, and child processes),
    /// in seconds: less sensitive than the wall time to other programs sharing the cores.
    cpu_secs: f64,
}

impl Outcome {
    fn cpu_us_per_event(&self) -> f64 {
        self.cpu_secs * 1e6 / self.events as f64
    }

    fn rate(&self) -> f64 {
        self.events as f64 / self.secs
    }

    fn best_rate(&self) -> f64 {
        self.events as f64 / self.best_secs
    }

    fn worst_rate(&self) -> f64 {
        self.events as f64 / self.worst_secs
    }
}

/// CPU time used so far by this process (all threads) and its finished children, in seconds.
fn cpu_time() -> f64 {
    let mut total = 0.0;
    for who in [libc::RUSAGE_SELF, libc::RUSAGE_CHILDREN] {
        // SAFETY: an all-zero `rusage` is valid, and getrusage only writes into it.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: `usage` is a valid, writable `rusage`.
        if unsafe { libc::getrusage(who, &mut usage) } == 0 {
            for t in [usage.ru_utime, usage.ru_stime] {
                total += t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
            }
        }
    }
    total
}

/// Counts the lines of `path` and its size.
fn count_lines(path: &Path) -> (usize, u64) {
    let Ok(file) = File::open(path) else {
        return (0, 0);
    };
    let bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut lines = 0;
    loop {
        let buf = match reader.fill_buf() {
            Ok([]) | Err(_) => break,
            Ok(buf) => buf,
        };
        lines += buf.iter().filter(|&&b| b == b'\n').count();
        let n = buf.len();
        reader.consume(n);
    }
    (lines, bytes)
}

/// A case's timed body: `(path, threads, events per thread)`.
type CaseBody = fn(&Path, usize, usize) -> io::Result<Run>;

/// A case's timed body, possibly capturing (the CPython case).
type CaseFn<'a> = Box<dyn Fn(&Path, usize, usize) -> io::Result<Run> + 'a>;

/// One case of the table.
struct Case<'a> {
    name: &'static str,
    /// Events per run (all threads together).
    events: usize,
    run: CaseFn<'a>,
}

/// A finished run: the timing, and the file's line count and size.
struct Measured {
    run: Run,
    cpu_secs: f64,
    lines: usize,
    bytes: u64,
}

/// Runs `case` once on a fresh file in a fresh folder, counts the file's lines and prints the
/// run; `None` when the case failed.
fn run_once(case: &Case<'_>, threads: usize, rep: usize) -> Option<Measured> {
    let per_thread = case.events / threads;
    let events = per_thread * threads;
    let name = case.name;
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("bench.log");
    let cpu_before = cpu_time();
    let result = (case.run)(&path, threads, per_thread);
    let cpu_secs = cpu_time() - cpu_before;
    match result {
        Ok(run) => {
            let (lines, bytes) = count_lines(&path);
            let lost = events.saturating_sub(lines);
            println!(
                "  {name:<34} {threads}t run {}: {:>10.0} ev/s {:>6.2} CPU-us/ev  {lines} lines{}{}",
                rep + 1,
                events as f64 / run.secs,
                cpu_secs * 1e6 / events as f64,
                if lost > 0 {
                    format!(" ({lost} LOST)")
                } else {
                    String::new()
                },
                if run.note.is_empty() {
                    String::new()
                } else {
                    format!("  [{}]", run.note)
                },
            );
            Some(Measured {
                run,
                cpu_secs,
                lines,
                bytes,
            })
        }
        Err(e) => {
            println!("  {name:<34} {threads}t: FAILED: {e}");
            None
        }
    }
}

/// Runs every case `repeats` times at `threads` threads, in rounds (each round runs every
/// case once), so that a burst of outside load spreads over the cases instead of hitting
/// one; keeps each case's median run.
fn measure(settings: &Settings, threads: usize, cases: &[Case<'_>]) -> Vec<Outcome> {
    let mut runs: Vec<Vec<Measured>> = cases.iter().map(|_| Vec::new()).collect();
    let mut failed = vec![false; cases.len()];
    for rep in 0..settings.repeats {
        for (i, case) in cases.iter().enumerate() {
            if failed[i] {
                continue;
            }
            match run_once(case, threads, rep) {
                Some(m) => runs[i].push(m),
                None => failed[i] = true,
            }
        }
    }
    let mut outcomes = Vec::new();
    for (case, mut runs) in cases.iter().zip(runs) {
        if runs.is_empty() {
            continue;
        }
        let round_secs: Vec<f64> = runs.iter().map(|m| m.run.secs).collect();
        let mut cpu: Vec<f64> = runs.iter().map(|m| m.cpu_secs).collect();
        cpu.sort_by(f64::total_cmp);
        let cpu_secs = cpu[cpu.len() / 2];
        runs.sort_by(|a, b| a.run.secs.total_cmp(&b.run.secs));
        let best_secs = runs[0].run.secs;
        let worst_secs = runs[runs.len() - 1].run.secs;
        let m = runs.swap_remove(runs.len() / 2);
        outcomes.push(Outcome {
            case: case.name,
            threads,
            events: case.events / threads * threads,
            secs: m.run.secs,
            best_secs,
            round_secs,
            worst_secs,
            lines: m.lines,
            bytes: m.bytes,
            note: m.run.note,
            cpu_secs,
        });
    }
    outcomes
}

/// Runs `body(per_thread)` on `threads` scoped threads and waits for all of them.
fn on_threads(threads: usize, per_thread: usize, body: impl Fn(usize) + Sync) {
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| body(per_thread));
        }
    });
}

/// Emits `n` events through whichever `tracing` dispatcher is current on this thread.
#[inline(never)]
fn emit_tracing(n: usize) {
    for _ in 0..n {
        tracing::info!(target: TARGET, message!());
    }
}

/// Emits `n` events on every thread, each thread with `dispatch` as its default.
fn emit_tracing_on_threads(dispatch: &tracing::Dispatch, threads: usize, per_thread: usize) {
    on_threads(threads, per_thread, |n| {
        tracing::dispatcher::with_default(dispatch, || emit_tracing(n));
    });
}

// === case 1: ours, direct ===

/// Our `FileSink` handler behind the `Builder`'s layer: each record formatted on the calling
/// thread and written with one `write(2)`.
fn ours_direct(path: &Path, threads: usize, per_thread: usize) -> io::Result<Run> {
    let handler = FileSink::builder(path)
        .build_handler()
        .map_err(io::Error::other)?
        .with_formatter(Formatter::percent(PY_FORMAT).map_err(io::Error::other)?);
    let (dispatch, layer) = Builder::new()
        .handler("file", Level::NOTSET, handler)
        .root(Logger::new().level(Level::INFO).handler("file"))
        .build()
        .map_err(io::Error::other)?;
    let subscriber = tracing::Dispatch::new(tracing_subscriber::registry().with(layer));
    let start = Instant::now();
    emit_tracing_on_threads(&subscriber, threads, per_thread);
    dispatch.shutdown(Instant::now() + DEADLINE);
    let secs = start.elapsed().as_secs_f64();
    Ok(Run {
        secs,
        note: String::new(),
    })
}

// === case 2: ours, non-blocking ===

/// Our `FileSink` in non-blocking mode (`OverflowPolicy::Block`, lossless); the timing
/// includes the shutdown that drains the queue.
fn ours_non_blocking(path: &Path, threads: usize, per_thread: usize) -> io::Result<Run> {
    let handler = Arc::new(
        FileSink::builder(path)
            .build_non_blocking(NonBlockingOptions::new().with_policy(OverflowPolicy::Block))
            .map_err(io::Error::other)?
            .with_formatter(Formatter::percent(PY_FORMAT).map_err(io::Error::other)?),
    );
    let (dispatch, layer) = Builder::new()
        .shared_handler("file", Level::NOTSET, handler.clone())
        .root(Logger::new().level(Level::INFO).handler("file"))
        .build()
        .map_err(io::Error::other)?;
    let subscriber = tracing::Dispatch::new(tracing_subscriber::registry().with(layer));
    let start = Instant::now();
    emit_tracing_on_threads(&subscriber, threads, per_thread);
    dispatch.shutdown(Instant::now() + DEADLINE);
    let secs = start.elapsed().as_secs_f64();
    Ok(Run {
        secs,
        note: format!("dropped()={}", handler.sink().dropped()),
    })
}

// === case 3: tracing-subscriber fmt over Mutex<File> ===

/// tracing-subscriber's fmt layer writing each event to a `Mutex<File>` (one `write(2)` per
/// event, under the lock).
fn fmt_mutex_file(path: &Path, threads: usize, per_thread: usize) -> io::Result<Run> {
    let file = open_append(path)?;
    let layer = tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .with_writer(Mutex::new(file));
    let subscriber = tracing::Dispatch::new(tracing_subscriber::registry().with(layer));
    let start = Instant::now();
    emit_tracing_on_threads(&subscriber, threads, per_thread);
    drop(subscriber); // closes the file; nothing is buffered
    let secs = start.elapsed().as_secs_f64();
    Ok(Run {
        secs,
        note: String::new(),
    })
}

fn open_append(path: &Path) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

// === case 4: one write(2) per pre-formatted line ===

/// The floor of direct mode: one `write(2)` of an already formatted line per event, no
/// formatting, no dispatch.
fn raw_write(path: &Path, threads: usize, per_thread: usize) -> io::Result<Run> {
    let file = open_append(path)?;
    let line = sample_line();
    let start = Instant::now();
    on_threads(threads, per_thread, |n| {
        let mut f = &file;
        for _ in 0..n {
            if let Err(e) = f.write_all(line.as_bytes()) {
                eprintln!("write failed: {e}");
                return;
            }
        }
    });
    drop(file);
    let secs = start.elapsed().as_secs_f64();
    Ok(Run {
        secs,
        note: String::new(),
    })
}

/// The line our handler writes, with a fixed time: what the raw-write case writes.
fn sample_line() -> String {
    format!(
        "2025-01-01 12:00:00,123 INFO {LOGGER_NAME} {}\n",
        message!()
    )
}

// === case 4b: the least a direct-mode tracing layer can do ===

/// The floor of any direct-mode `tracing` layer: a layer that copies the event's message after
/// a fixed prefix (the same 110-byte line) and writes it with one `write(2)`. No routing, no
/// levels, no clock, no format: what is left is `tracing`'s own dispatch, the message visit
/// and the system call.
fn tracing_floor(path: &Path, threads: usize, per_thread: usize) -> io::Result<Run> {
    floor_run(path, threads, per_thread, false)
}

/// The floor of a direct-mode layer that writes the time of each event, as every logging
/// library does (Python's `asctime` with milliseconds): the floor above plus one read of the
/// system clock and the milliseconds written into a date-and-second prefix formatted once per
/// second (UTC). What our handler adds beyond this is routing, levels and the general format.
fn tracing_floor_stamped(path: &Path, threads: usize, per_thread: usize) -> io::Result<Run> {
    floor_run(path, threads, per_thread, true)
}

fn floor_run(path: &Path, threads: usize, per_thread: usize, stamped: bool) -> io::Result<Run> {
    let layer = FloorLayer {
        file: open_append(path)?,
        stamped,
    };
    let subscriber = tracing::Dispatch::new(tracing_subscriber::registry().with(layer));
    let start = Instant::now();
    emit_tracing_on_threads(&subscriber, threads, per_thread);
    drop(subscriber);
    let secs = start.elapsed().as_secs_f64();
    Ok(Run {
        secs,
        note: String::new(),
    })
}

struct FloorLayer {
    file: File,
    /// Writes the event's time (see `tracing_floor_stamped`) instead of a fixed one.
    stamped: bool,
}

/// `YYYY-MM-DD HH:MM:SS,` for `secs` since the epoch, in UTC.
fn utc_second_prefix(secs: u64) -> String {
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's civil_from_days.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02},",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Appends the `message` field to a line.
struct MessageOnly<'a>(&'a mut String);

impl tracing::field::Visit for MessageOnly<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        use std::fmt::Write as _;
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        }
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for FloorLayer {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        thread_local! {
            static LINE: std::cell::RefCell<String> = std::cell::RefCell::new(String::with_capacity(256));
            static SECOND: std::cell::RefCell<(u64, String)> = const { std::cell::RefCell::new((u64::MAX, String::new())) };
        }
        LINE.with(|line| {
            let mut line = line.borrow_mut();
            line.clear();
            if self.stamped {
                let since = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default();
                SECOND.with(|second| {
                    let mut second = second.borrow_mut();
                    if second.0 != since.as_secs() {
                        *second = (since.as_secs(), utc_second_prefix(since.as_secs()));
                    }
                    line.push_str(&second.1);
                });
                let ms = since.subsec_millis();
                line.push(char::from(b'0' + (ms / 100) as u8));
                line.push(char::from(b'0' + (ms / 10 % 10) as u8));
                line.push(char::from(b'0' + (ms % 10) as u8));
                line.push_str(" INFO bench.throughput ");
            } else {
                line.push_str(concat!(
                    "2025-01-01 12:00:00,123 INFO ",
                    "bench.throughput "
                ));
            }
            event.record(&mut MessageOnly(&mut line));
            line.push('\n');
            if let Err(e) = (&self.file).write_all(line.as_bytes()) {
                eprintln!("write failed: {e}");
            }
        });
    }
}

// === case 5: tracing-appender non_blocking ===

/// tracing-appender's `non_blocking` made lossless (`lossy(false)`) under the fmt layer; the
/// timing includes dropping the `WorkerGuard` (which drains the channel).
fn appender_lossless(path: &Path, threads: usize, per_thread: usize) -> io::Result<Run> {
    appender(path, threads, per_thread, false)
}

/// tracing-appender's default `non_blocking` (lossy: a full channel drops lines).
fn appender_lossy(path: &Path, threads: usize, per_thread: usize) -> io::Result<Run> {
    appender(path, threads, per_thread, true)
}

fn appender(path: &Path, threads: usize, per_thread: usize, lossy: bool) -> io::Result<Run> {
    let file = open_append(path)?;
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(lossy)
        .finish(file);
    let errors = writer.error_counter();
    let layer = tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .with_writer(writer);
    let subscriber = tracing::Dispatch::new(tracing_subscriber::registry().with(layer));
    let start = Instant::now();
    emit_tracing_on_threads(&subscriber, threads, per_thread);
    drop(subscriber);
    drop(guard);
    let secs = start.elapsed().as_secs_f64();
    Ok(Run {
        secs,
        note: format!("dropped_lines()={}", errors.dropped_lines()),
    })
}

// === case 6: spdlog-rs ===

/// spdlog-rs's pattern for our line (spdlog writes the level as `info`).
fn spdlog_formatter() -> impl spdlog::formatter::Formatter + 'static {
    spdlog::formatter::PatternFormatter::new(spdlog::formatter::pattern!(
        "{year}-{month}-{day} {hour}:{minute}:{second},{millisecond} {level} {logger} {payload}{eol}"
    ))
}

fn spdlog_file_sink(path: &Path) -> io::Result<Arc<spdlog::sink::FileSink>> {
    spdlog::sink::FileSink::builder()
        .path(path)
        .formatter(spdlog_formatter())
        .build_arc()
        .map_err(io::Error::other)
}

fn spdlog_logger(sink: Arc<dyn spdlog::sink::Sink>) -> io::Result<Arc<spdlog::Logger>> {
    spdlog::Logger::builder()
        .name(LOGGER_NAME)
        .sink(sink)
        .build_arc()
        .map_err(io::Error::other)
}

#[inline(never)]
fn emit_spdlog(logger: &spdlog::Logger, n: usize) {
    for _ in 0..n {
        spdlog::info!(logger: logger, message!());
    }
}

/// spdlog-rs's `FileSink` (a `BufWriter<File>` under a mutex), flushed at the end.
fn spdlog_file(path: &Path, threads: usize, per_thread: usize) -> io::Result<Run> {
    let logger = spdlog_logger(spdlog_file_sink(path)?)?;
    let start = Instant::now();
    on_threads(threads, per_thread, |n| emit_spdlog(&logger, n));
    logger.flush();
    drop(logger);
    let secs = start.elapsed().as_secs_f64();
    Ok(Run {
        secs,
        note: String::new(),
    })
}

/// spdlog-rs's `AsyncPoolSink` (blocking overflow policy, its own one-thread pool) over its
/// `FileSink`; the timing includes dropping the pool (which drains and joins it).
fn spdlog_async(path: &Path, threads: usize, per_thread: usize) -> io::Result<Run> {
    let pool = spdlog::ThreadPool::builder()
        .build_arc()
        .map_err(io::Error::other)?;
    let file_sink = spdlog_file_sink(path)?;
    let async_sink = spdlog::sink::AsyncPoolSink::builder()
        .sink(file_sink)
        .thread_pool(pool)
        .overflow_policy(spdlog::sink::OverflowPolicy::Block)
        .build_arc()
        .map_err(io::Error::other)?;
    let logger = spdlog_logger(async_sink)?;
    let start = Instant::now();
    on_threads(threads, per_thread, |n| emit_spdlog(&logger, n));
    logger.flush();
    drop(logger); // the last reference to the async sink, its pool and the file sink
    let secs = start.elapsed().as_secs_f64();
    Ok(Run {
        secs,
        note: String::new(),
    })
}

// === case 7: CPython ===

const PY_SCRIPT: &str = r#"
import logging, sys, threading, time
path, threads, per_thread, fmt, name, msg = sys.argv[1:7]
threads, per_thread = int(threads), int(per_thread)
handler = logging.FileHandler(path)
handler.setFormatter(logging.Formatter(fmt))
log = logging.getLogger(name)
log.setLevel(logging.INFO)
log.addHandler(handler)
log.propagate = False
def work():
    info = log.info
    for _ in range(per_thread):
        info(msg)
workers = [threading.Thread(target=work) for _ in range(threads)]
start = time.perf_counter()
for w in workers:
    w.start()
for w in workers:
    w.join()
handler.flush()
handler.close()
secs = time.perf_counter() - start
print(f"{secs:.6f} {threads * per_thread / secs:.0f}")
"#;

/// CPython's `logging.FileHandler` with the same format (it writes and flushes each record);
/// the script times itself (interpreter start-up excluded).
fn cpython(
    python: &Path,
    script: &Path,
    path: &Path,
    threads: usize,
    per: usize,
) -> io::Result<Run> {
    let out = Command::new(python)
        .arg(script)
        .arg(path)
        .arg(threads.to_string())
        .arg(per.to_string())
        .arg(PY_FORMAT)
        .arg(LOGGER_NAME)
        .arg(message!())
        .output()?;
    if !out.status.success() {
        return Err(io::Error::other(format!(
            "python3 failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let secs = stdout
        .split_whitespace()
        .next()
        .and_then(|s| s.parse::<f64>().ok())
        .ok_or_else(|| io::Error::other(format!("unexpected python output: {stdout}")))?;
    Ok(Run {
        secs,
        note: format!(
            "python reports {} ev/s",
            stdout.split_whitespace().nth(1).unwrap_or("?")
        ),
    })
}

fn find_python() -> Option<PathBuf> {
    let ok = Command::new("python3")
        .arg("-c")
        .arg("import logging")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    ok.then(|| PathBuf::from("python3"))
}

// === memory of the non-blocking mode ===

/// A deliberately slow file: writes in 64 KiB pieces with a 1 ms pause after each (about
/// 64 MB/s), so producers outrun the worker and the queue stays full.
#[derive(Debug)]
struct SlowFile {
    file: File,
}

impl SlowFile {
    fn write_slowly(&self, bytes: &[u8]) -> io::Result<()> {
        for piece in bytes.chunks(64 * 1024) {
            (&self.file).write_all(piece)?;
            std::thread::sleep(Duration::from_millis(1));
        }
        Ok(())
    }
}

impl Sink for SlowFile {
    fn write_record(&self, record: &[u8], _level: Level) -> io::Result<()> {
        self.write_slowly(record)
    }

    fn write_batch(&self, batch: &[u8], _ends: &[usize]) -> io::Result<()> {
        self.write_slowly(batch)
    }

    fn describe(&self) -> String {
        "slow file".to_owned()
    }
}

/// Events logged before the memory baseline is taken (they are in the file too).
const WARM_UP: usize = 10;

/// A field of `/proc/self/status` in KiB (`VmRSS`, `VmHWM`).
fn proc_status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|l| {
        let rest = l.strip_prefix(field)?.strip_prefix(':')?;
        rest.trim().trim_end_matches("kB").trim().parse().ok()
    })
}

/// The child process's side of the memory check: 4 threads push `events` events as fast as
/// they can into a non-blocking handler over [`SlowFile`]; prints one `MEMORY …` line.
fn memory_child(events: usize) -> io::Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("slow.log");
    let sink = NonBlockingOptions::new()
        .with_policy(OverflowPolicy::Block)
        .build(SlowFile {
            file: open_append(&path)?,
        })?;
    let handler = Arc::new(
        FormatHandler::new(sink)
            .with_formatter(Formatter::percent(PY_FORMAT).map_err(io::Error::other)?),
    );
    let (dispatch, layer) = Builder::new()
        .shared_handler("slow", Level::NOTSET, handler.clone())
        .root(Logger::new().level(Level::INFO).handler("slow"))
        .build()
        .map_err(io::Error::other)?;
    let subscriber = tracing::Dispatch::new(tracing_subscriber::registry().with(layer));
    // Warm up (thread-locals, callsite cache), then take the baseline.
    tracing::dispatcher::with_default(&subscriber, || emit_tracing(WARM_UP));
    handler.flush();
    let baseline = proc_status_kib("VmRSS").unwrap_or(0);
    let peak_sampled = std::sync::atomic::AtomicU64::new(baseline);
    let done = std::sync::atomic::AtomicBool::new(false);
    let threads = 4;
    let start = Instant::now();
    std::thread::scope(|s| {
        s.spawn(|| {
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                if let Some(rss) = proc_status_kib("VmRSS") {
                    peak_sampled.fetch_max(rss, std::sync::atomic::Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(2));
            }
        });
        emit_tracing_on_threads(&subscriber, threads, events / threads);
        dispatch.shutdown(Instant::now() + DEADLINE);
        done.store(true, std::sync::atomic::Ordering::Relaxed);
    });
    let secs = start.elapsed().as_secs_f64();
    let hwm = proc_status_kib("VmHWM").unwrap_or(0);
    let (lines, _) = count_lines(&path);
    println!(
        "MEMORY baseline_kib={baseline} hwm_kib={hwm} sampled_peak_kib={} lines={lines} events={} dropped={} secs={secs:.3}",
        peak_sampled.into_inner(),
        events / threads * threads + WARM_UP,
        handler.sink().dropped(),
    );
    Ok(())
}

/// Runs the memory check in a child process and prints its result.
fn memory_check(settings: &Settings) {
    println!(
        "\n## Memory: {} events from 4 threads into a non-blocking (Block) handler over a slow sink (~64 MB/s)",
        settings.memory_events
    );
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            println!("memory check FAILED: no current exe: {e}");
            return;
        }
    };
    let out = Command::new(exe)
        .arg("--memory-child")
        .env("BENCH_MEMORY_EVENTS", settings.memory_events.to_string())
        .output();
    let out = match out {
        Ok(o) if o.status.success() => o,
        Ok(o) => {
            println!(
                "memory check FAILED: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            return;
        }
        Err(e) => {
            println!("memory check FAILED: {e}");
            return;
        }
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let Some(line) = stdout.lines().find(|l| l.starts_with("MEMORY ")) else {
        println!("memory check FAILED: no result in {stdout}");
        return;
    };
    let field = |name: &str| -> u64 {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('=')?.parse().ok())
            .unwrap_or(0)
    };
    let baseline = field("baseline_kib");
    let peak = field("hwm_kib").max(field("sampled_peak_kib"));
    let above = peak.saturating_sub(baseline) as f64 / 1024.0;
    println!(
        "baseline RSS {:.1} MiB, peak RSS (VmHWM) {:.1} MiB: {above:.1} MiB above baseline (target < 30 MiB: {})",
        baseline as f64 / 1024.0,
        peak as f64 / 1024.0,
        if above < 30.0 { "met" } else { "MISSED" },
    );
    println!(
        "lines on disk {} of {} events, dropped() = {} (target 0: {}), {} s",
        field("lines"),
        field("events"),
        field("dropped"),
        if field("dropped") == 0 && field("lines") == field("events") {
            "met"
        } else {
            "MISSED"
        },
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix("secs="))
            .unwrap_or("?"),
    );
}

// === report ===

fn find<'a>(outcomes: &'a [Outcome], case: &str, threads: usize) -> Option<&'a Outcome> {
    outcomes
        .iter()
        .find(|o| o.case == case && o.threads == threads)
}

fn print_table(outcomes: &[Outcome]) {
    println!("\n## Results (median of runs; ratio vs \"{BASELINE}\" at the same thread count)\n");
    println!(
        "| case | threads | events/s (median) | runs min-max | vs fmt+Mutex<File> | best vs best | CPU µs/event | CPU vs fmt | lines on disk | bytes/line | notes |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for o in outcomes {
        let baseline = find(outcomes, BASELINE, o.threads);
        let ratio = baseline
            .map(|b| format!("{:.2}x", o.rate() / b.rate()))
            .unwrap_or_else(|| "-".to_owned());
        let best_ratio = baseline
            .map(|b| format!("{:.2}x", o.best_rate() / b.best_rate()))
            .unwrap_or_else(|| "-".to_owned());
        let cpu_ratio = baseline
            .map(|b| format!("{:.2}x", b.cpu_us_per_event() / o.cpu_us_per_event()))
            .unwrap_or_else(|| "-".to_owned());
        let lost = o.events.saturating_sub(o.lines);
        let mut notes = o.note.clone();
        if lost > 0 {
            if !notes.is_empty() {
                notes.push_str(", ");
            }
            notes.push_str(&format!("{lost} lines LOST"));
        }
        println!(
            "| {} | {} | {:.0} | {:.0}-{:.0} | {} | {} | {:.2} | {} | {}/{} | {:.0} | {} |",
            o.case,
            o.threads,
            o.rate(),
            o.worst_rate(),
            o.best_rate(),
            ratio,
            best_ratio,
            o.cpu_us_per_event(),
            cpu_ratio,
            o.lines,
            o.events,
            if o.lines > 0 {
                o.bytes as f64 / o.lines as f64
            } else {
                0.0
            },
            notes,
        );
    }
}

fn print_targets(outcomes: &[Outcome], thread_counts: &[usize]) {
    println!("\n## Targets (ratio of the medians; the verdict is on it)\n");
    let check = |what: &str, ours: &str, other: &str, threads: usize, target: Option<f64>| match (
        find(outcomes, ours, threads),
        find(outcomes, other, threads),
    ) {
        (Some(a), Some(b)) => {
            let ratio = a.rate() / b.rate();
            let best = a.best_rate() / b.best_rate();
            // Each round runs both cases a few seconds apart: their ratio within a round is
            // less exposed to the machine's slow drifts than the ratio of the medians.
            let mut paired: Vec<f64> = a
                .round_secs
                .iter()
                .zip(&b.round_secs)
                .map(|(a_secs, b_secs)| (a.events as f64 / a_secs) / (b.events as f64 / b_secs))
                .collect();
            paired.sort_by(f64::total_cmp);
            let paired = paired.get(paired.len() / 2).copied().unwrap_or(f64::NAN);
            let cpu = b.cpu_us_per_event() / a.cpu_us_per_event();
            let verdict = match target {
                Some(t) if ratio >= t => format!("target >= {t}x: met"),
                Some(t) => format!("target >= {t}x: MISSED"),
                None => "for info".to_owned(),
            };
            println!(
                "- {what}, {threads} thread(s): {ratio:.3}x ({verdict}); best run vs best run {best:.2}x, median of the rounds' ratios {paired:.2}x, CPU per event {cpu:.2}x"
            );
        }
        _ => println!("- {what}, {threads} thread(s): not measured"),
    };
    for &threads in thread_counts {
        check(
            "direct vs tracing fmt + Mutex<File>",
            "ours direct",
            BASELINE,
            threads,
            Some(1.5),
        );
        check(
            "direct vs the tracing layer floor (1.0x = no cost beyond it)",
            "ours direct",
            FLOOR,
            threads,
            None,
        );
        check(
            "the tracing layer floor vs tracing fmt + Mutex<File> (what any direct layer could reach)",
            FLOOR,
            BASELINE,
            threads,
            None,
        );
        check(
            "direct vs the floor + clock (1.0x = no cost beyond a timestamped line)",
            "ours direct",
            STAMPED_FLOOR,
            threads,
            None,
        );
        check(
            "the floor + clock vs tracing fmt + Mutex<File> (what a timestamping direct layer could reach)",
            STAMPED_FLOOR,
            BASELINE,
            threads,
            None,
        );
        check(
            "non-blocking lossless vs spdlog-rs FileSink",
            "ours non-blocking (Block)",
            "spdlog-rs FileSink (buffered)",
            threads,
            Some(1.25),
        );
        check(
            "non-blocking lossless vs tracing-appender lossless",
            "ours non-blocking (Block)",
            "tracing-appender lossless",
            threads,
            Some(2.0),
        );
        check(
            "non-blocking lossless vs spdlog-rs AsyncPoolSink",
            "ours non-blocking (Block)",
            "spdlog-rs AsyncPoolSink (Block)",
            threads,
            None,
        );
        check(
            "direct vs CPython FileHandler",
            "ours direct",
            CPYTHON,
            threads,
            None,
        );
        check(
            "non-blocking vs CPython FileHandler",
            "ours non-blocking (Block)",
            CPYTHON,
            threads,
            None,
        );
    }
}

fn main() {
    let settings = Settings::from_env();
    if std::env::args().any(|a| a == "--memory-child") {
        if let Err(e) = memory_child(settings.memory_events) {
            eprintln!("memory child failed: {e}");
            std::process::exit(1);
        }
        return;
    }
    println!(
        "# file_throughput: {} events per case and run, {} runs per case (median), line: {} bytes",
        settings.events,
        settings.repeats,
        sample_line().len()
    );
    let native: [(&'static str, CaseBody); 10] = [
        ("ours direct", ours_direct),
        ("ours non-blocking (Block)", ours_non_blocking),
        (BASELINE, fmt_mutex_file),
        ("write(2) per pre-formatted line", raw_write),
        (FLOOR, tracing_floor),
        (STAMPED_FLOOR, tracing_floor_stamped),
        ("tracing-appender lossless", appender_lossless),
        ("tracing-appender lossy (default)", appender_lossy),
        ("spdlog-rs FileSink (buffered)", spdlog_file),
        ("spdlog-rs AsyncPoolSink (Block)", spdlog_async),
    ];
    let python = find_python();
    let script = tempfile::Builder::new()
        .suffix(".py")
        .tempfile()
        .and_then(|mut f| f.write_all(PY_SCRIPT.as_bytes()).map(|()| f))
        .expect("a temporary script file");
    let mut cases: Vec<Case<'_>> = native
        .into_iter()
        .filter(|(name, _)| settings.wants(name))
        .map(|(name, run)| Case {
            name,
            events: settings.events,
            run: Box::new(run),
        })
        .collect();
    if settings.wants(CPYTHON) {
        match &python {
            Some(py) => cases.push(Case {
                name: CPYTHON,
                events: settings.py_events,
                run: Box::new(|path, threads, per| cpython(py, script.path(), path, threads, per)),
            }),
            None => println!("SKIP: CPython logging: python3 not found"),
        }
    }
    let mut outcomes = Vec::new();
    for &threads in &settings.threads {
        println!("\n## {threads} thread(s)");
        outcomes.extend(measure(&settings, threads, &cases));
    }
    print_table(&outcomes);
    print_targets(&outcomes, &settings.threads);
    if settings.memory_events > 0 && settings.wants("memory") {
        memory_check(&settings);
    }
}
