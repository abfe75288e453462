//! Python's StreamHandler: records to stdout (or stderr), coloured by level on a terminal.
//!
//! ```text
//! cargo run --example stream
//! ```

use tracing_handlers::{critical, Builder, ColorMode, Formatter, Level, Logger, StreamSink};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let stdout = StreamSink::stdout()
        .with_colors(ColorMode::Auto)
        .into_handler()
        .with_formatter(Formatter::new(
            "{levelname:<8} {name}: {message}",
            tracing_handlers::Style::Brace,
        )?);
    let _guard = Builder::new()
        .handler("stdout", Level::NOTSET, stdout)
        .root(Logger::new().level(Level::TRACE).handler("stdout"))
        .try_init()?;
    tracing::trace!("trace");
    tracing::debug!("debug");
    tracing::info!("info");
    tracing::warn!("warning");
    tracing::error!("error");
    critical!("critical");
    Ok(())
}
