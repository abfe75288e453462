//! Python's SysLogHandler: records sent as syslog messages over UDP to a socket this example
//! binds on a free loopback port, then each datagram printed as received (non-printable
//! characters escaped: `\0` for Python's trailing NUL, `\u{feff}` for the RFC 5424 BOM), so the
//! `<PRI>` (facility × 8 + severity) and the three formats are visible: Python's bytes (the
//! default), RFC 3164 and RFC 5424 with the event's fields as structured data.
//!
//! `--address PATH` sends to a local syslog socket (`/dev/log`) instead, when it exists;
//! `--config PATH` takes the handlers from a `logging.conf` (`examples/syslog.conf`, which
//! CPython's `logging.config.fileConfig` reads too, sends to `127.0.0.1:19514`, the fixed port
//! the example then listens on).
//!
//! ```text
//! cargo run --example syslog -- [--address /dev/log | --config examples/syslog.conf]
//! ```

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::error::Error;
use std::net::UdpSocket;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use tracing_handlers::{
    critical, Builder, Facility, Formatter, Level, Logger, MessageFormat, SyslogHandler,
};

/// The port `examples/syslog.conf` sends to.
const CONFIG_PORT: u16 = 19514;

const USAGE: &str =
    "usage: cargo run --example syslog -- [--address /dev/log | --config examples/syslog.conf]";

enum Mode {
    Formats,
    Local(String),
    Config(String),
}

fn parse_args() -> Result<Mode, String> {
    let mut mode = Mode::Formats;
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--address" => mode = Mode::Local(it.next().ok_or("--address needs a path")?),
            "--config" => mode = Mode::Config(it.next().ok_or("--config needs a path")?),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument '{other}'")),
        }
    }
    Ok(mode)
}

fn main() -> ExitCode {
    let mode = match parse_args() {
        Ok(m) => m,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("syslog example: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = match &mode {
        Mode::Formats => formats(),
        Mode::Local(path) => local(path),
        Mode::Config(path) => config(path),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("syslog example: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A UDP "collector" on loopback, read with a short timeout.
fn collector(port: u16) -> Result<UdpSocket, Box<dyn Error>> {
    let socket = UdpSocket::bind(("127.0.0.1", port))
        .map_err(|e| format!("cannot bind 127.0.0.1:{port} for the collector: {e}"))?;
    socket.set_read_timeout(Some(Duration::from_millis(200)))?;
    Ok(socket)
}

/// Prints every datagram waiting on `socket`, escaped; returns how many there were.
fn print_datagrams(socket: &UdpSocket) -> usize {
    let mut buf = vec![0u8; 65536];
    let mut n = 0;
    // UDP sends happen on the logging call, so everything is queued already; the timeout
    // ends the loop.
    while let Ok(len) = socket.recv(&mut buf) {
        println!("  {}", escape(&buf[..len]));
        n += 1;
    }
    n
}

/// The bytes as text, control characters and the BOM escaped, invalid UTF-8 as `\xNN`.
fn escape(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\0' => out.push_str("\\0"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if c.is_control() || c == '\u{feff}' => {
                    out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// The same few records at every level, with fields.
fn log_records() {
    tracing::debug!(target: "portal::db", rows = 42, "query done");
    tracing::info!(target: "portal::api", user = "bob", msgid = "LOGIN", "user logged in");
    tracing::warn!(target: "portal::api", "disk {}% full", 91);
    tracing::error!(target: "portal::db", retry_in_s = 5, "connection lost");
    critical!(target: "portal", "shutting down");
}

/// Installs `handler` on the root logger (at DEBUG) for this thread, logs, and prints what
/// arrived.
fn show(title: &str, socket: &UdpSocket, handler: SyslogHandler) -> Result<(), Box<dyn Error>> {
    println!("{title}:");
    let guard = Builder::new()
        .handler("syslog", Level::NOTSET, handler)
        .root(Logger::new().level(Level::DEBUG).handler("syslog"))
        .set_default()?;
    log_records();
    drop(guard);
    print_datagrams(socket);
    println!();
    Ok(())
}

fn formats() -> Result<(), Box<dyn Error>> {
    let socket = collector(0)?;
    let port = socket.local_addr()?.port();
    println!("collector: udp 127.0.0.1:{port}; facility local0 (16), so <PRI> = 128 + severity");
    println!("(debug 7, info 6, warning 4, err 3, crit 2)\n");

    let python = SyslogHandler::builder()
        .with_address(("127.0.0.1", port))
        .with_facility(Facility::LOCAL0)
        .with_ident("portal: ")
        .with_formatter(Formatter::percent("%(levelname)s %(name)s: %(message)s")?)
        .build()?;
    show(
        "Python's bytes (the default): <PRI> + ident + record + NUL",
        &socket,
        python,
    )?;

    let rfc3164 = SyslogHandler::builder()
        .with_address(("127.0.0.1", port))
        .with_facility(Facility::LOCAL0)
        .with_format(MessageFormat::Rfc3164)
        .with_app_name("portal")
        .with_formatter(Formatter::percent("%(levelname)s %(name)s: %(message)s")?)
        .build()?;
    show(
        "RFC 3164: <PRI>Mmm dd hh:mm:ss HOST TAG[PID]: record",
        &socket,
        rfc3164,
    )?;

    let rfc5424 = SyslogHandler::builder()
        .with_address(("127.0.0.1", port))
        .with_facility(Facility::LOCAL0)
        .with_format(MessageFormat::Rfc5424)
        .with_app_name("portal")
        .with_formatter(Formatter::percent("%(name)s: %(message)s")?)
        .build()?;
    show(
        "RFC 5424: <PRI>1 TIME HOST APP PROCID MSGID [fields] BOM record (field msgid: MSGID)",
        &socket,
        rfc5424,
    )?;
    Ok(())
}

fn local(path: &str) -> Result<(), Box<dyn Error>> {
    if !Path::new(path).exists() {
        println!("no syslog socket at {path} (no syslog daemon here?): nothing sent");
        println!("run without --address to see the messages on a loopback UDP socket instead");
        return Ok(());
    }
    let handler = Arc::new(
        SyslogHandler::builder()
            .with_address(path)
            .with_format(MessageFormat::Rfc3164)
            .with_app_name("portal")
            .with_formatter(Formatter::percent("%(levelname)s %(name)s: %(message)s")?)
            .build()?,
    );
    println!(
        "{}: RFC 3164, facility user, tag portal[{}]",
        handler.describe(),
        std::process::id()
    );
    let guard = Builder::new()
        .shared_handler("syslog", Level::NOTSET, handler.clone())
        .root(Logger::new().level(Level::DEBUG).handler("syslog"))
        .try_init()?;
    log_records();
    drop(guard);
    let s = handler.stats();
    println!("{} sent, {} dropped", s.sent, s.dropped);
    println!("see them with: journalctl -t portal --since -1min (or in /var/log/syslog)");
    Ok(())
}

fn config(path: &str) -> Result<(), Box<dyn Error>> {
    let builder = Builder::from_config_file(path)?;
    let socket = collector(CONFIG_PORT)?;
    println!("handlers from {path}; collector: udp 127.0.0.1:{CONFIG_PORT}\n");
    let guard = builder.try_init()?;
    log_records();
    drop(guard);
    let n = print_datagrams(&socket);
    println!("\n5 records logged, {n} datagram(s) received (the file's levels decide which pass)");
    Ok(())
}
