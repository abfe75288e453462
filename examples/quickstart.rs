//! The main job in one file: Python-style logging for a tracing application.
//!
//! Logs INFO and above to the terminal (coloured when it is one) and everything from the
//! `quickstart` logger down to DEBUG into `logs/quickstart.log`, with Python's formats.
//!
//! ```text
//! cargo run --example quickstart
//! ```

use tracing_handlers::{critical, Builder, FileSink, Formatter, Level, Logger, StreamSink};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let console = StreamSink::stderr()
        .into_handler()
        .with_formatter(Formatter::percent(
            "%(asctime)s %(levelname)-8s %(name)s: %(message)s",
        )?);
    let file = FileSink::builder("logs/quickstart.log")
        .build_handler()?
        .with_formatter(Formatter::percent(
            "%(asctime)s %(levelname)s [%(threadName)s] %(name)s %(module)s:%(lineno)d %(message)s",
        )?);

    let _guard = Builder::new()
        .handler("console", Level::INFO, console)
        .handler("file", Level::DEBUG, file)
        .root(Logger::new().level(Level::INFO).handler("console"))
        .logger(
            "quickstart",
            Logger::new().level(Level::DEBUG).handler("file"),
        )
        .with_panic_hook()
        .try_init()?;

    tracing::debug!("only in the file: the quickstart logger is at DEBUG, the console at INFO");
    tracing::info!(user = "bob", "user logged in");
    tracing::warn!(target: "portal::db", "slow query: no handler of its own, so root's console");
    tracing::error!("payment failed");
    critical!("disk full");

    let worker = std::thread::Builder::new()
        .name("worker".into())
        .spawn(|| tracing::info!("hello from a named thread"))?;
    let _ = worker.join();

    tracing::info!("see logs/quickstart.log for the DEBUG lines");
    Ok(())
}
