//! Python's FileHandler: `O_APPEND`, one write per record, folders created, mode 0o640.
//! Pass `--non-blocking` to write through the non-blocking queue instead.
//!
//! ```text
//! cargo run --example file -- [--non-blocking] [PATH]
//! ```

use tracing_handlers::{Builder, FileSink, Formatter, Level, Logger, NonBlockingOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let non_blocking = args.iter().any(|a| a == "--non-blocking");
    let path = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .cloned()
        .unwrap_or_else(|| "logs/file-example.log".to_owned());
    let formatter = Formatter::percent("%(asctime)s %(levelname)s %(name)s %(message)s")?;
    let builder = FileSink::builder(&path);
    let builder = if non_blocking {
        let handler = builder
            .build_non_blocking(NonBlockingOptions::new())?
            .with_formatter(formatter);
        Builder::new().handler("file", Level::NOTSET, handler)
    } else {
        let handler = builder.build_handler()?.with_formatter(formatter);
        Builder::new().handler("file", Level::NOTSET, handler)
    };
    let _guard = builder
        .root(Logger::new().level(Level::DEBUG).handler("file"))
        .try_init()?;
    for i in 0..5 {
        tracing::info!(target: "example::file", "record {i}");
    }
    tracing::debug!("written to {path}");
    Ok(())
}
