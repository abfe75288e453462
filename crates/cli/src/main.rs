//! The `tracing-handlers` command: check configs, emit events through the configured logging,
//! receive records from socket handlers.

use std::io::{self, BufRead};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use tracing_handlers::config::reload::DEFAULT_POLL_INTERVAL;
use tracing_handlers::{configure, Builder, Dispatch, FieldSet, Level, LoggingGuard, Record};

/// Python's logging handlers for tracing: emit events through a logging configuration.
#[derive(Debug, Parser)]
#[command(name = "tracing-handlers", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate a configuration file and print the resolved loggers and handlers.
    Check {
        /// The configuration file (logging.conf/.ini, .toml or .json).
        config: std::path::PathBuf,
    },
    /// Install the configured logging and emit events.
    Emit(EmitArgs),
    /// Accept socket-handler connections (ours and CPython's SocketHandler) and hand each
    /// record to the configured handlers.
    Receive(ReceiveArgs),
}

#[derive(Debug, clap::Args)]
struct ReceiveArgs {
    /// Where to listen: HOST:PORT (port 0 picks a free port, printed once listening).
    #[arg(long, value_name = "HOST:PORT")]
    listen: String,
    /// The logging configuration that receives the records.
    #[arg(long, value_name = "CONFIG")]
    config: std::path::PathBuf,
    /// What connections send: `auto` tells pickle frames from JSON lines per connection.
    #[arg(long, value_name = "auto|pickle|json", default_value = "auto", value_parser = parse_protocol)]
    protocol: tracing_handlers::ReceiveProtocol,
}

/// A rate: a finite number of events per second above zero.
fn parse_rate(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(r) if r.is_finite() && r > 0.0 => Ok(r),
        _ => Err(format!("expected events per second above 0, got '{s}'")),
    }
}

/// Paces a sequence of events: the `i`-th is due `i / rate` seconds after the first.
struct Pacer {
    start: Instant,
    rate: Option<f64>,
}

impl Pacer {
    fn new(rate: Option<f64>) -> Self {
        Pacer {
            start: Instant::now(),
            rate,
        }
    }

    /// Sleeps until event `i` is due. A time too far ahead to represent (a rate of 1e-300
    /// per second) is waited for as long as an `Instant` allows, never a panic.
    fn wait_for(&self, i: u64) {
        let Some(rate) = self.rate else { return };
        let offset = Duration::try_from_secs_f64(i as f64 / rate).unwrap_or(Duration::MAX);
        let due = tracing_handlers::core::shutdown::instant_after(self.start, offset);
        let wait = due.saturating_duration_since(Instant::now());
        if !wait.is_zero() {
            std::thread::sleep(wait);
        }
    }
}

fn parse_protocol(s: &str) -> Result<tracing_handlers::ReceiveProtocol, String> {
    s.parse()
}

#[derive(Debug, clap::Args)]
struct EmitArgs {
    /// A logging configuration file (logging.conf, .toml or .json); without it, the system
    /// default.
    #[arg(long, value_name = "CONFIG")]
    config: Option<std::path::PathBuf>,
    /// Reload the configuration when the file changes while emitting.
    #[arg(long, requires = "config")]
    watch: bool,
    /// The logger: dotted (`portal.api`) or a Rust path (`portal::api`); `root` is the root
    /// logger.
    #[arg(long, value_name = "NAME", default_value = "root")]
    target: String,
    /// The level: a name in any case (CRITICAL, FATAL, ERROR, WARNING, WARN, INFO, DEBUG,
    /// TRACE, NOTSET) or a number.
    #[arg(long, value_name = "LEVEL", default_value = "INFO", value_parser = parse_level)]
    level: Level,
    /// The message; `{i}` is the event's index within its thread, `{t}` the thread's index.
    #[arg(long, value_name = "TEXT", default_value = "message {i}")]
    message: String,
    /// Events per thread.
    #[arg(long, value_name = "N", default_value_t = 1)]
    count: u64,
    /// Threads emitting concurrently (at most 4096).
    #[arg(long, value_name = "T", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=MAX_THREADS))]
    threads: u32,
    /// Events per second per thread, or of the `--events` lines (unpaced when absent).
    #[arg(long, value_name = "PER_SEC", value_parser = parse_rate)]
    rate: Option<f64>,
    /// Emit one event per line `LEVEL<TAB>LOGGER<TAB>MESSAGE` from FILE (`-` for stdin), in
    /// order, from one thread.
    #[arg(long, value_name = "FILE|-", conflicts_with_all = ["target", "level", "message", "count", "threads"])]
    events: Option<String>,
}

/// The most `--threads` takes. Past some tens of thousands of threads the process runs out of
/// memory mappings (two or more per thread), and a thread whose start fails *after* the
/// system created it (std's guard stack for stack overflows) aborts the whole process instead
/// of reporting; well under that, a thread that cannot start is a counted runtime failure.
const MAX_THREADS: i64 = 4096;

fn parse_level(s: &str) -> Result<Level, String> {
    s.parse::<Level>().map_err(|e| e.to_string())
}

/// A diagnostic on stderr; failures to write it are ignored.
#[allow(clippy::print_stderr)]
fn diag(msg: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    let _ = writeln!(io::stderr().lock(), "tracing-handlers: {msg}");
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::SUCCESS
                }
                _ => ExitCode::from(2),
            };
        }
    };
    match cli.command {
        Command::Check { config } => check(&config),
        Command::Emit(args) => emit(args),
        Command::Receive(args) => receive(&args),
    }
}

/// `receive`: listen until SIGTERM or SIGINT, then flush and exit 0.
fn receive(args: &ReceiveArgs) -> ExitCode {
    use tracing_handlers::{Receiver, ReceiverOptions};
    let builder = match Builder::from_config_file(&args.config) {
        Ok(b) => b,
        Err(errors) => {
            for e in errors.iter() {
                diag(format_args!("{e}"));
            }
            return ExitCode::from(2);
        }
    };
    let guard = match builder.with_log_bridge(false).try_init() {
        Ok(g) => g,
        Err(e) => {
            diag(format_args!("{e}"));
            return ExitCode::from(1);
        }
    };
    // Before listening, so a signal right after the announcement is not lost.
    let mut signals = match TerminationSignals::new() {
        Ok(s) => s,
        Err(e) => {
            diag(format_args!("cannot handle signals: {e}"));
            return ExitCode::from(1);
        }
    };
    let options = ReceiverOptions::new().with_protocol(args.protocol);
    let receiver = match Receiver::bind(args.listen.as_str(), guard.dispatch().clone(), options) {
        Ok(r) => r,
        Err(e) => {
            diag(format_args!("{e}"));
            return ExitCode::from(1);
        }
    };
    announce(&receiver.local_addr());
    signals.wait();
    receiver.shutdown();
    drop(guard);
    ExitCode::SUCCESS
}

/// SIGTERM and SIGINT (on Windows: Ctrl-C and the console's termination signal), caught from
/// construction on so that one arriving before [`wait`](Self::wait) is not lost.
struct TerminationSignals {
    #[cfg(unix)]
    signals: signal_hook::iterator::Signals,
    #[cfg(not(unix))]
    raised: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl TerminationSignals {
    const SIGNALS: [i32; 2] = [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT];

    #[cfg(unix)]
    fn new() -> io::Result<Self> {
        Ok(TerminationSignals {
            signals: signal_hook::iterator::Signals::new(Self::SIGNALS)?,
        })
    }

    #[cfg(not(unix))]
    fn new() -> io::Result<Self> {
        let raised = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        for signal in Self::SIGNALS {
            signal_hook::flag::register(signal, raised.clone())?;
        }
        Ok(TerminationSignals { raised })
    }

    /// Blocks until one of the signals has arrived.
    #[cfg(unix)]
    fn wait(&mut self) {
        let _ = self.signals.forever().next();
    }

    /// Blocks until one of the signals has arrived (the flag is polled: the portable
    /// `signal-hook` API has no blocking wait).
    #[cfg(not(unix))]
    fn wait(&mut self) {
        while !self.raised.load(std::sync::atomic::Ordering::Acquire) {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

/// `listening on HOST:PORT` on stderr (the contract the end-to-end tests read).
#[allow(clippy::print_stderr)]
fn announce(addr: &std::net::SocketAddr) {
    use std::io::Write as _;
    let mut err = io::stderr().lock();
    let _ = writeln!(err, "listening on {addr}");
    let _ = err.flush();
}

/// `check CONFIG`: validate without opening anything; problems on stderr, exit 2.
fn check(path: &std::path::Path) -> ExitCode {
    use std::io::Write as _;
    match tracing_handlers::config::check(path) {
        Ok(plan) => {
            let mut out = io::stdout().lock();
            let _ = out.write_all(plan.describe().as_bytes());
            let _ = out.flush();
            ExitCode::SUCCESS
        }
        Err(errors) => {
            for e in errors.iter() {
                diag(format_args!("{e}"));
            }
            ExitCode::from(2)
        }
    }
}

fn install(args: &EmitArgs) -> Result<LoggingGuard, ExitCode> {
    // --config wins; without it the rules of `configure` apply (TRACING_HANDLERS_CONFIG, else
    // the system default, here with every level passing).
    let builder = match &args.config {
        Some(path) => {
            let builder = Builder::from_config_file(path).map_err(|errors| {
                for e in errors.iter() {
                    diag(format_args!("{e}"));
                }
                ExitCode::from(2)
            })?;
            if args.watch {
                builder.watch_config(path.clone(), DEFAULT_POLL_INTERVAL)
            } else {
                builder
            }
        }
        None => configure(Level::NOTSET, None::<&std::path::Path>)
            .builder()
            .map_err(|e| {
                diag(format_args!("{e}"));
                ExitCode::from(2)
            })?,
    };
    builder.with_log_bridge(false).try_init().map_err(|e| {
        diag(format_args!("{e}"));
        ExitCode::from(1)
    })
}

fn emit(args: EmitArgs) -> ExitCode {
    let guard = match install(&args) {
        Ok(g) => g,
        Err(code) => return code,
    };
    let dispatch = guard.dispatch().clone();
    let result = match &args.events {
        Some(path) => emit_events(&dispatch, path, args.rate),
        None => emit_generated(&dispatch, &args),
    };
    drop(guard);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            diag(format_args!("{e}"));
            ExitCode::from(1)
        }
    }
}

/// Emits from `--threads` threads; an error (exit 1) when some could not be started, after
/// the others have finished.
fn emit_generated(dispatch: &Dispatch, args: &EmitArgs) -> Result<(), String> {
    let target: Arc<str> = tracing_handlers::core::logger_name(&args.target).into();
    let template: Arc<str> = args.message.as_str().into();
    let threads: Vec<_> = (0..args.threads)
        .map(|t| {
            let dispatch = dispatch.clone();
            let target = target.clone();
            let template = template.clone();
            let (count, level, rate) = (args.count, args.level, args.rate);
            std::thread::Builder::new()
                .name(format!("emit-{t}"))
                .spawn(move || {
                    let fields = FieldSet::new();
                    let mut message = String::new();
                    let pacer = Pacer::new(rate);
                    for i in 0..count {
                        pacer.wait_for(i);
                        expand(&template, i, t, &mut message);
                        dispatch.dispatch(&Record::new(level, &target, &message, &fields));
                    }
                })
        })
        .collect();
    let mut failed = 0;
    let mut first_error = None;
    for t in threads {
        match t {
            Ok(handle) => {
                let _ = handle.join();
            }
            Err(e) => {
                failed += 1;
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        None => Ok(()),
        Some(e) => Err(format!(
            "{failed} of {} threads could not be started ({e}); their events were not emitted",
            args.threads
        )),
    }
}

/// Replaces `{i}` and `{t}` in `template`.
fn expand(template: &str, i: u64, t: u32, out: &mut String) {
    use std::fmt::Write as _;
    out.clear();
    let mut rest = template;
    while let Some(pos) = rest.find('{') {
        out.push_str(&rest[..pos]);
        let tail = &rest[pos..];
        if let Some(after) = tail.strip_prefix("{i}") {
            let _ = write!(out, "{i}");
            rest = after;
        } else if let Some(after) = tail.strip_prefix("{t}") {
            let _ = write!(out, "{t}");
            rest = after;
        } else {
            out.push('{');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
}

fn emit_events(dispatch: &Dispatch, path: &str, rate: Option<f64>) -> Result<(), String> {
    let reader: Box<dyn BufRead> = if path == "-" {
        Box::new(io::BufReader::new(io::stdin()))
    } else {
        let file = std::fs::File::open(path).map_err(|e| format!("{path}: cannot read: {e}"))?;
        Box::new(io::BufReader::new(file))
    };
    let fields = FieldSet::new();
    let pacer = Pacer::new(rate);
    let mut emitted = 0;
    for (n, line) in reader.split(b'\n').enumerate() {
        let line = line.map_err(|e| format!("{path}: cannot read: {e}"))?;
        let line = String::from_utf8_lossy(&line);
        let line = line.strip_suffix('\r').unwrap_or(&line);
        if line.is_empty() {
            continue;
        }
        let mut parts = line.splitn(3, '\t');
        let (Some(level), Some(logger), Some(message)) = (parts.next(), parts.next(), parts.next())
        else {
            diag(format_args!(
                "{path}:{}: expected LEVEL<TAB>LOGGER<TAB>MESSAGE, skipped",
                n + 1
            ));
            continue;
        };
        let level = match level.parse::<Level>() {
            Ok(l) => l,
            Err(e) => {
                diag(format_args!("{path}:{}: {e}, skipped", n + 1));
                continue;
            }
        };
        let name = tracing_handlers::core::logger_name(logger);
        pacer.wait_for(emitted);
        emitted += 1;
        dispatch.dispatch(&Record::new(level, &name, message, &fields));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::expand;

    #[test]
    fn placeholders() {
        let mut s = String::new();
        expand("m {i} of {t} {x} {", 7, 2, &mut s);
        assert_eq!(s, "m 7 of 2 {x} {");
    }
}
