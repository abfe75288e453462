//! A daemon that reopens its log file on SIGHUP, as nginx does on USR1: `logrotate`'s
//! `postrotate` sends the signal and the switch to the new file is immediate, instead of
//! waiting for the sink's next check.
//!
//! ```text
//! cargo run -p tracing-handlers-watched-file --example sighup -- /tmp/sighup.log [SECONDS]
//! mv /tmp/sighup.log /tmp/sighup.log.1 && kill -HUP <pid>
//! ```
//!
//! The signal is received by signal-hook's iterator on its own thread, which calls
//! [`ReopenHandle::reopen_now`]; the signal handler proper does nothing else.

#[cfg(unix)]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    use std::time::{Duration, Instant};

    use signal_hook::consts::SIGHUP;
    use signal_hook::iterator::Signals;
    use tracing_handlers_core::report::{report, Report, ReportKind};
    use tracing_handlers_core::{FieldSet, Formatter, Handler, Level, Record};
    use tracing_handlers_watched_file::WatchedFileSink;

    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| "logs/sighup.log".to_owned());
    let seconds: u64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(10);

    let sink = WatchedFileSink::new(&path)?;
    let reopen = sink.reopen_handle();
    let handler = tracing_handlers_core::FormatHandler::new(sink)
        .with_formatter(Formatter::percent("%(asctime)s %(levelname)s %(message)s")?);

    let mut signals = Signals::new([SIGHUP])?;
    let signal_handle = signals.handle();
    let signal_thread = std::thread::spawn(move || {
        for _ in signals.forever() {
            if let Err(e) = reopen.reopen_now() {
                // Never through `tracing`: the reporter is the logging path's own channel.
                report(&Report {
                    source: "sighup example",
                    kind: ReportKind::Failure,
                    message: &e,
                });
            }
        }
    });

    let fields = FieldSet::new();
    let pid = std::process::id();
    let end = Instant::now() + Duration::from_secs(seconds);
    let mut i = 0u64;
    while Instant::now() < end {
        let msg = format!("pid {pid}: record {i} (kill -HUP {pid} to reopen {path})");
        handler.handle(&Record::new(Level::INFO, "sighup", &msg, &fields));
        i += 1;
        std::thread::sleep(Duration::from_millis(200));
    }
    signal_handle.close();
    signal_thread.join().expect("signal thread");
    Ok(())
}

#[cfg(not(unix))]
fn main() {}
