//! Python's WatchedFileHandler: `logs/watched.log` is followed across a `logrotate`-style
//! rename. The example logs five records, renames the file to `logs/watched.log.1` (as
//! logrotate's `create` does), waits past the check interval (100 ms), logs five more, and
//! shows that the sink noticed and recreated `logs/watched.log` for the later records.
//!
//! ```text
//! cargo run --example watched_file
//! cargo run --example watched_file -- --config examples/watched_file.conf
//! ```
//!
//! With `--config` the same setup comes from a Python `logging.conf`. Each run starts by
//! removing the files of an earlier run. With logrotate's `create`, logrotate makes the new
//! empty file itself and the sink opens that one; `with_check_interval(Duration::ZERO)` checks
//! before every record, as Python does; `reopen_handle()` serves a SIGHUP handler
//! (`crates/watched-file/examples/sighup.rs`).

use std::process::ExitCode;
use std::time::Duration;

use tracing_handlers::watched_file::DEFAULT_CHECK_INTERVAL;
use tracing_handlers::{Builder, Formatter, Level, Logger, WatchedFileSink};

mod common;
use common::say;

const LOG: &str = "logs/watched.log";
const ROTATED: &str = "logs/watched.log.1";

fn main() -> ExitCode {
    common::main_with_config_arg("watched_file", run)
}

fn run(config: Option<&str>) -> Result<(), Box<dyn std::error::Error>> {
    common::remove_earlier_run("logs", "watched.log")?;

    let builder = match config {
        Some(path) => {
            say!("configured from {path}");
            Builder::from_config_file(path)?
        }
        None => {
            say!(
                "configured in code: checked every {} ms",
                DEFAULT_CHECK_INTERVAL.as_millis()
            );
            let handler = WatchedFileSink::builder(LOG)
                .with_check_interval(DEFAULT_CHECK_INTERVAL)
                .build_handler()?
                .with_formatter(Formatter::percent(
                    "%(asctime)s %(levelname)-8s %(name)s: %(message)s",
                )?);
            Builder::new()
                .handler("watched", Level::NOTSET, handler)
                .root(Logger::new().level(Level::DEBUG).handler("watched"))
        }
    };
    let guard = builder.try_init()?;
    for i in 1..=5 {
        tracing::info!(target: "example::watched", "record {i:02}: before the rotation");
    }

    std::fs::rename(LOG, ROTATED).map_err(|e| format!("rename {LOG} -> {ROTATED}: {e}"))?;
    say!("renamed {LOG} -> {ROTATED} (logrotate's `create`)");
    // The sink looks at the path at most once per check interval; wait past it.
    std::thread::sleep(DEFAULT_CHECK_INTERVAL + Duration::from_millis(150));

    for i in 6..=10 {
        tracing::info!(target: "example::watched", "record {i:02}: after the rotation");
    }
    drop(guard); // flushes

    for path in [ROTATED, LOG] {
        show(path)?;
    }
    say!("the first record after the check interval reopened {LOG}; nothing was lost");
    Ok(())
}

/// A file's line count and its records' messages.
fn show(path: &str) -> std::io::Result<()> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            say!("{path}: absent");
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    let lines: Vec<&str> = text.lines().collect();
    say!("{path}: {} lines", lines.len());
    for line in lines {
        let message = line.split_once(": ").map_or(line, |(_, m)| m);
        say!("    {message}");
    }
    Ok(())
}
