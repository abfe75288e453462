//! Python's TimedRotatingFileHandler: `logs/timed.log` rolls over every second
//! (`when='S'`, `interval=1`), each finished interval renamed with Python's suffix for its
//! start (`timed.log.2025-01-31_14-05-09`), at most five kept (`backupCount=5`). As in
//! Python, the rollover happens with the first record after the boundary.
//!
//! ```text
//! cargo run --example timed_rotating_file
//! cargo run --example timed_rotating_file -- --config examples/timed_rotating_file.conf
//! ```
//!
//! With `--config` the same setup comes from a Python `logging.conf`. Each run starts by
//! removing the files of an earlier run, then logs a record every 100 ms for 3.5 seconds and
//! lists what is on disk.

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use tracing_handlers::{Builder, Formatter, Level, Logger, TimedRotatingFileSink};

mod common;
use common::say;

const DIR: &str = "logs";
const BASE: &str = "timed.log";

fn main() -> ExitCode {
    common::main_with_config_arg("timed_rotating_file", run)
}

fn run(config: Option<&str>) -> Result<(), Box<dyn std::error::Error>> {
    common::remove_earlier_run(DIR, BASE)?;

    let builder = match config {
        Some(path) => {
            say!("configured from {path}");
            Builder::from_config_file(path)?
        }
        None => {
            say!("configured in code: when 'S', interval 1, backupCount 5");
            let handler = TimedRotatingFileSink::builder(Path::new(DIR).join(BASE))
                .with_when("S")
                .with_interval(1)
                .with_backup_count(5)
                .build_handler()?
                .with_formatter(Formatter::percent(
                    "%(asctime)s %(levelname)-8s %(name)s: %(message)s",
                )?);
            Builder::new()
                .handler("timed", Level::NOTSET, handler)
                .root(Logger::new().level(Level::DEBUG).handler("timed"))
        }
    };
    let guard = builder.try_init()?;
    let start = Instant::now();
    let mut records = 0u32;
    while start.elapsed() < Duration::from_millis(3500) {
        records += 1;
        tracing::info!(target: "example::timed", "record {records:02} (a record every 100 ms)");
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(guard); // flushes

    say!("logged {records} records in 3.5 s; on disk now (oldest first):");
    let mut rotated = common::log_files(DIR, BASE)?;
    rotated.retain(|name| name != BASE && !name.starts_with('.'));
    rotated.sort(); // the suffix sorts by time
    for name in &rotated {
        list(name)?;
    }
    list(BASE)?;
    say!(
        "{} rotated file(s), each named for the second its records began; \
         the newest 5 are kept",
        rotated.len()
    );
    Ok(())
}

/// One line per file: line count and the times of its first and last records.
fn list(name: &str) -> std::io::Result<()> {
    let path = Path::new(DIR).join(name);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            say!("  {:<38} (absent)", path.display());
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    // The time of day of a record: `HH:MM:SS,mmm` after the date of `asctime`.
    let time = |line: &str| line.get(11..23).unwrap_or("?").to_owned();
    let lines: Vec<&str> = text.lines().collect();
    let span = match (lines.first(), lines.last()) {
        (Some(first), Some(last)) => format!("{} .. {}", time(first), time(last)),
        _ => "empty".to_owned(),
    };
    say!("  {:<38} {:>2} lines  {span}", path.display(), lines.len());
    Ok(())
}
