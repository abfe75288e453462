//! Python's NTEventLogHandler: records reported to the Windows Event Log (source
//! `tracing-handlers-example` in the `Application` log) with Python's event types (DEBUG and
//! INFO Information, WARNING Warning, ERROR, CRITICAL and any other level Error), event id 1
//! and category 0. The example prints that mapping, then on Windows reports a few events
//! (see Event Viewer, Windows Logs > Application). Elsewhere `build()` returns
//! `Unsupported`; the example says so and exits 0.
//!
//! With `--config PATH` the handlers come from a `logging.conf` (`examples/eventlog.conf`: the
//! event log at WARNING and a console handler on stdout). Off Windows that file still loads:
//! the event log handler reports once (shown here on stdout through the reporter) and drops
//! every record, as Python's does without pywin32, while the console handler goes on.
//!
//! ```text
//! cargo run --example eventlog -- [--config examples/eventlog.conf]
//! ```

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::error::Error;
use std::io::Write as _;
use std::process::ExitCode;

use tracing_handlers::report::{set_error_reporter, Report};
use tracing_handlers::{
    critical, Builder, EventLogError, EventLogHandler, Formatter, Level, Logger,
};

/// The event source (Python's `appname`).
const APPNAME: &str = "tracing-handlers-example";

const USAGE: &str = "usage: cargo run --example eventlog -- [--config PATH]";

fn parse_args() -> Result<Option<String>, String> {
    let mut config = None;
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--config" => config = Some(it.next().ok_or("--config needs a path")?),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument '{other}'")),
        }
    }
    Ok(config)
}

fn main() -> ExitCode {
    let config = match parse_args() {
        Ok(c) => c,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("eventlog example: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = match &config {
        Some(path) => from_config(path),
        None => in_code(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("eventlog example: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The same few records at every level.
fn log_records() {
    tracing::debug!(target: "portal::db", "query done");
    tracing::info!(target: "portal::api", user = "bob", "user logged in");
    tracing::warn!(target: "portal::api", "disk {}% full", 91);
    tracing::error!(target: "portal::db", "connection lost");
    critical!(target: "portal", "shutting down");
}

fn in_code() -> Result<(), Box<dyn Error>> {
    let builder = EventLogHandler::builder(APPNAME)
        .with_logtype("Application")
        .with_formatter(Formatter::percent("%(levelname)s %(name)s: %(message)s")?);
    println!(
        "{}: what each level becomes (Python's mapping):",
        builder.describe()
    );
    let levels = [
        Level::DEBUG,
        Level::INFO,
        Level::WARNING,
        Level::ERROR,
        Level::CRITICAL,
        Level::from_number(25),
    ];
    for level in levels {
        let n = level.number();
        println!(
            "  {:<9} ({n:>2}) -> type {:<12} event id {}, category {}",
            level.to_string(),
            format!("{},", builder.event_type(n)),
            builder.event_id(n),
            builder.category(n)
        );
    }
    // On Windows `build` registers the source in the registry as Python does (that needs
    // administrator rights; without them the failure is reported once and events are still
    // reported) and opens it.
    let handler = match builder.build() {
        Ok(handler) => handler,
        Err(EventLogError::Unsupported) => {
            println!(
                "build(): Unsupported: the Windows Event Log is not available on this platform"
            );
            println!("nothing to write here: run this on Windows,");
            println!("or see a configuration naming it load: --config examples/eventlog.conf");
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    };
    let describe = handler.describe().to_owned();
    let guard = Builder::new()
        .handler("eventlog", Level::NOTSET, handler)
        .root(Logger::new().level(Level::DEBUG).handler("eventlog"))
        .try_init()?;
    log_records();
    drop(guard);
    println!("{describe}: reported 5 events");
    println!("see Event Viewer > Windows Logs > Application, source {APPNAME}");
    Ok(())
}

fn from_config(path: &str) -> Result<(), Box<dyn Error>> {
    // Reports (the event log's notice off Windows, write failures) go to stderr by default;
    // shown on stdout here so the whole story is in one place.
    set_error_reporter(|r: &Report<'_>| {
        let _ = writeln!(std::io::stdout().lock(), "  reporter: {r}");
    });
    println!("loading {path}:");
    let guard = Builder::from_config_file(path)?.try_init()?;
    println!("logging 5 records, DEBUG to CRITICAL (the file's levels decide which pass):");
    log_records();
    drop(guard);
    if cfg!(windows) {
        println!("WARNING and above went to the Application log too (source {APPNAME})");
    } else {
        println!(
            "the console handler printed them; the event log handler dropped its WARNING and above"
        );
    }
    Ok(())
}
