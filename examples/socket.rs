//! Python's SocketHandler: each record goes over TCP as CPython's frame (a 4-byte length and a
//! pickle of the record dict), or as a JSON line with `--json`, to a receiver (Python's
//! cookbook receiver, started here in-process on a free loopback port) that hands it to a
//! StreamHandler on stdout. The receiver shows what arrived: level, logger, message, the
//! event's fields and the sender's process, thread and source line.
//!
//! With `--config PATH` the sending side comes from a `logging.conf` instead
//! (`examples/socket.conf`: a `handlers.SocketHandler` to `127.0.0.1:19020`, a file CPython's
//! `logging.config.fileConfig` reads too); the receiver then listens on that fixed port.
//!
//! ```text
//! cargo run --example socket -- [--json] [--config examples/socket.conf]
//! ```

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::error::Error;
use std::process::ExitCode;
use std::sync::Arc;

use tracing_handlers::{
    critical, Builder, ColorMode, Formatter, Level, Logger, Protocol, Receiver, ReceiverOptions,
    SocketHandler, StreamSink,
};

/// The port `examples/socket.conf` sends to (Python's DEFAULT_TCP_LOGGING_PORT is 9020).
const CONFIG_PORT: u16 = 19020;

const USAGE: &str = "usage: cargo run --example socket -- [--json] [--config PATH]";

struct Args {
    json: bool,
    config: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        json: false,
        config: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--json" => args.json = true,
            "--config" => args.config = Some(it.next().ok_or("--config needs a path")?),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument '{other}'")),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("socket example: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("socket example: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), Box<dyn Error>> {
    // The receiving side: a StreamHandler on stdout under the root logger. The receiver
    // applies handler levels, not logger levels (as CPython's receiver).
    let stdout = StreamSink::stdout()
        .with_colors(ColorMode::Never)
        .into_handler()
        .with_formatter(Formatter::percent(
            "  received: %(levelname)-8s %(name)s: %(message)s [%(fields)s] \
             (pid %(process)d, %(threadName)s, %(filename)s:%(lineno)d)",
        )?);
    let (dispatch, _layer) = Builder::new()
        .handler("stdout", Level::NOTSET, stdout)
        .root(Logger::new().level(Level::DEBUG).handler("stdout"))
        .build()?;
    // The configuration (when given) is read first: its problems are the ones to tell.
    let config = match &args.config {
        Some(path) => Some((path, Builder::from_config_file(path)?)),
        None => None,
    };
    let port = if config.is_some() { CONFIG_PORT } else { 0 };
    let receiver = Receiver::bind(
        format!("127.0.0.1:{port}"),
        dispatch,
        ReceiverOptions::new(),
    )?;
    println!(
        "receiver listening on {} (pickle frames or JSON lines, told apart per connection)",
        receiver.local_addr()
    );

    // The sending side: Python's SocketHandler(host, port) on the root logger.
    let (builder, sender) = match config {
        Some((path, builder)) => {
            if args.json {
                println!("(--json is ignored with --config: the file decides the protocol)");
            }
            println!("sender: the handlers of {path}");
            println!("(its SocketHandler sends to 127.0.0.1:{CONFIG_PORT})");
            (builder, None)
        }
        None => {
            let protocol = if args.json {
                Protocol::JsonLines
            } else {
                Protocol::Pickle
            };
            let handler = Arc::new(
                SocketHandler::builder("127.0.0.1", Some(receiver.local_addr().port()))
                    .with_protocol(protocol)
                    .build()?,
            );
            println!("sender: {} as {protocol}", handler.describe());
            let builder = Builder::new()
                .shared_handler("socket", Level::NOTSET, handler.clone())
                .root(Logger::new().level(Level::DEBUG).handler("socket"));
            (builder, Some(handler))
        }
    };
    let guard = builder.try_init()?;

    println!("logging 5 records...");
    tracing::info!(target: "portal::api", user = "bob", status = 200, "request served");
    tracing::debug!(target: "portal::db", rows = 42, elapsed_ms = 3.5, "query done");
    tracing::warn!(target: "portal::api", "disk {}% full", 91);
    tracing::error!(target: "portal::db", retry_in_s = 5, "connection lost");
    critical!(target: "portal", "shutting down");

    // Dropping the guard flushes: the sender thread connects (on the first record, as
    // Python), writes everything queued, and closes the connection. The receiver's shutdown
    // then waits until that connection has handed over every record.
    drop(guard);
    receiver.shutdown();

    if let Some(handler) = sender {
        let s = handler.stats();
        println!(
            "sender: {} sent, {} dropped, {} connection(s)",
            s.sent, s.dropped, s.connections
        );
    }
    let r = receiver.stats();
    println!(
        "receiver: {} record(s) from {} connection(s), {} rejected",
        r.records, r.connections, r.rejected
    );
    Ok(())
}
