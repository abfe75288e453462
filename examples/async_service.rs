//! The builder in a tokio service: handlers installed before the runtime starts, tasks that
//! log from many worker threads, spans, a runtime level change, and a clean shutdown that
//! flushes the non-blocking file handler.
//!
//! ```text
//! cargo run --example async_service
//! ```

use std::time::Duration;

use tracing::Instrument;
use tracing_handlers::{
    Builder, FileSink, Formatter, Level, Logger, NonBlockingOptions, StreamSink,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let file = FileSink::builder("logs/service.log")
        .build_non_blocking(NonBlockingOptions::new())?
        .with_formatter(Formatter::percent(
            "%(asctime)s %(levelname)s %(name)s [%(spans)s] %(message)s",
        )?);
    let console = StreamSink::stderr()
        .into_handler()
        .with_formatter(Formatter::percent("%(levelname)s %(name)s: %(message)s")?);
    let guard = Builder::new()
        .handler("file", Level::NOTSET, file)
        .handler("console", Level::WARNING, console)
        .root(
            Logger::new()
                .level(Level::INFO)
                .handler("file")
                .handler("console"),
        )
        .try_init()?;
    let levels = guard.handle();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()?;
    runtime.block_on(async move {
        let mut tasks = Vec::new();
        for id in 0..4u32 {
            let span = tracing::info_span!("request", id);
            tasks.push(tokio::spawn(
                async move {
                    tracing::info!("accepted");
                    tokio::time::sleep(Duration::from_millis(10 * u64::from(id))).await;
                    tracing::debug!(target: "async_service::db", "query took {} ms", 3 * id);
                    if id == 3 {
                        tracing::warn!("slow client");
                    }
                    tracing::info!("done");
                }
                .instrument(span),
            ));
        }
        // An operator turns on DEBUG for the database logger while the service runs.
        levels.set_logger_level("async_service.db", Level::DEBUG);
        for t in tasks {
            let _ = t.await;
        }
    });
    tracing::info!("shutting down");
    // Dropping the guard drains the non-blocking file handler.
    drop(guard);
    Ok(())
}
