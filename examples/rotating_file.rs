//! Python's RotatingFileHandler: `logs/rotating.log` rolls over before a record would take it
//! past 2 KB, keeping three backups (`.1` newest … `.3` oldest); older records are dropped.
//! The small `.rotating.log.lock` beside it makes rotation safe when several processes share
//! the file (`with_multiprocess`, on by default).
//!
//! ```text
//! cargo run --example rotating_file
//! cargo run --example rotating_file -- --config examples/rotating_file.conf
//! ```
//!
//! With `--config` the same setup comes from a Python `logging.conf`. Each run starts by
//! removing the files of an earlier run, then logs 200 records and lists what is on disk.

use std::path::Path;
use std::process::ExitCode;

use tracing_handlers::{Builder, Formatter, Level, Logger, RotatingFileSink};

mod common;
use common::say;

const DIR: &str = "logs";
const BASE: &str = "rotating.log";
const RECORDS: u32 = 200;

fn main() -> ExitCode {
    common::main_with_config_arg("rotating_file", run)
}

fn run(config: Option<&str>) -> Result<(), Box<dyn std::error::Error>> {
    common::remove_earlier_run(DIR, BASE)?;

    let builder = match config {
        Some(path) => {
            say!("configured from {path}");
            Builder::from_config_file(path)?
        }
        None => {
            say!("configured in code: maxBytes 2048, backupCount 3");
            let handler = RotatingFileSink::builder(Path::new(DIR).join(BASE))
                .with_max_bytes(2048)
                .with_backup_count(3)
                .build_handler()?
                .with_formatter(Formatter::percent(
                    "%(asctime)s %(levelname)-8s %(name)s: %(message)s",
                )?);
            Builder::new()
                .handler("rotating", Level::NOTSET, handler)
                .root(Logger::new().level(Level::DEBUG).handler("rotating"))
        }
    };
    let guard = builder.try_init()?;
    for i in 1..=RECORDS {
        if i % 50 == 0 {
            tracing::warn!(target: "example::rotating", "record {i:03} of {RECORDS}: a milestone");
        } else {
            tracing::info!(target: "example::rotating", "record {i:03} of {RECORDS}");
        }
    }
    drop(guard); // flushes

    say!("logged {RECORDS} records; on disk now (newest first):");
    list(&Path::new(DIR).join(BASE))?;
    for n in 1..=3 {
        list(&Path::new(DIR).join(format!("{BASE}.{n}")))?;
    }
    let lock = Path::new(DIR).join(format!(".{BASE}.lock"));
    if lock.exists() {
        say!(
            "  {} (shared rotation state for many processes)",
            lock.display()
        );
    }
    say!("records older than those in {DIR}/{BASE}.3 were dropped (backupCount 3)");
    Ok(())
}

/// One line per file: size, line count and the records it holds.
fn list(path: &Path) -> std::io::Result<()> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            say!("  {:<22} (absent)", path.display());
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    let record = |line: &str| {
        line.split_once("record ")
            .and_then(|(_, rest)| rest.get(..3))
            .unwrap_or("?")
            .to_owned()
    };
    let lines: Vec<&str> = text.lines().collect();
    let range = match (lines.first(), lines.last()) {
        (Some(first), Some(last)) => format!("records {}..{}", record(first), record(last)),
        _ => "empty".to_owned(),
    };
    say!(
        "  {:<22} {:>5} bytes {:>3} lines  {range}",
        path.display(),
        text.len(),
        lines.len()
    );
    Ok(())
}
