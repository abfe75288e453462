//! Python's StreamHandler checks (reference §4: SH-01..SH-04), colours, and the `fmt` layer.

use std::io::{self, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tracing_handlers_core::{FieldSet, Formatter, Handler, Level, Record, Sink};
use tracing_handlers_stream::{ColorMode, LevelColors, StreamSink};

/// A writer that only shows bytes once flushed, and counts writes and flushes.
#[derive(Clone, Default)]
struct Probe {
    pending: Arc<Mutex<Vec<u8>>>,
    visible: Arc<Mutex<Vec<u8>>>,
    writes: Arc<AtomicUsize>,
    flushes: Arc<AtomicUsize>,
}

impl Probe {
    fn text(&self) -> String {
        String::from_utf8(self.visible.lock().unwrap().clone()).unwrap()
    }
}

impl Write for Probe {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writes.fetch_add(1, Ordering::Relaxed);
        self.pending.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.flushes.fetch_add(1, Ordering::Relaxed);
        let mut pending = self.pending.lock().unwrap();
        self.visible.lock().unwrap().append(&mut pending);
        Ok(())
    }
}

fn log(handler: &impl Handler, level: Level, message: &str) {
    let fields = FieldSet::new();
    handler.handle(&Record::new(level, "test", message, &fields));
}

#[test]
fn sh01_default_formatter_writes_the_message_and_a_newline() {
    let probe = Probe::default();
    let handler = StreamSink::from_writer(probe.clone()).into_handler();
    log(&handler, Level::WARNING, "a");
    assert_eq!(probe.text(), "a\n");
}

#[test]
fn sh02_terminator() {
    let probe = Probe::default();
    let handler = StreamSink::from_writer(probe.clone())
        .into_handler()
        .with_terminator("\r\n");
    log(&handler, Level::WARNING, "b");
    assert_eq!(probe.text(), "b\r\n");
}

#[test]
fn sh03_shutdown_leaves_the_stream_usable() {
    let probe = Probe::default();
    let handler = StreamSink::from_writer(probe.clone()).into_handler();
    log(&handler, Level::INFO, "before");
    handler.shutdown(Instant::now() + Duration::from_secs(1));
    // The sink still writes after shutdown...
    log(&handler, Level::INFO, "after");
    drop(handler);
    // ...and the writer itself is untouched by the drop.
    let mut writer = probe.clone();
    writer.write_all(b"by hand\n").unwrap();
    writer.flush().unwrap();
    assert_eq!(probe.text(), "before\nafter\nby hand\n");

    // stderr and stdout stay usable after their sinks shut down.
    let sink = StreamSink::stderr();
    sink.shutdown(Instant::now() + Duration::from_secs(1));
    drop(sink);
    io::stderr().write_all(b"").unwrap();
    let sink = StreamSink::stdout();
    sink.shutdown(Instant::now() + Duration::from_secs(1));
    drop(sink);
    io::stdout().flush().unwrap();
}

#[test]
fn sh04_one_write_and_a_flush_per_record() {
    let probe = Probe::default();
    let handler = StreamSink::from_writer(probe.clone())
        .into_handler()
        .with_formatter(Formatter::percent("%(levelname)s:%(message)s").unwrap());
    for i in 1..=3 {
        log(&handler, Level::ERROR, &format!("line {i}"));
        // Visible as soon as the call returns: flushed.
        assert!(probe.text().ends_with(&format!("line {i}\n")));
        assert_eq!(
            probe.writes.load(Ordering::Relaxed),
            i,
            "one write per record"
        );
        assert_eq!(
            probe.flushes.load(Ordering::Relaxed),
            i,
            "one flush per record"
        );
    }
}

#[test]
fn always_wraps_the_line_in_ansi_codes_before_the_terminator() {
    let probe = Probe::default();
    let handler = StreamSink::from_writer(probe.clone())
        .with_colors(ColorMode::Always)
        .into_handler()
        .with_terminator("\r\n");
    log(&handler, Level::CRITICAL, "c");
    log(&handler, Level::ERROR, "e");
    log(&handler, Level::WARNING, "w");
    log(&handler, Level::INFO, "i");
    log(&handler, Level::DEBUG, "d");
    log(&handler, Level::TRACE, "t");
    assert_eq!(
        probe.text(),
        "\x1b[1;31mc\x1b[0m\r\n\
         \x1b[31me\x1b[0m\r\n\
         \x1b[33mw\x1b[0m\r\n\
         i\r\n\
         \x1b[2md\x1b[0m\r\n\
         \x1b[2mt\x1b[0m\r\n"
    );
}

#[test]
fn custom_level_colors() {
    let probe = Probe::default();
    let handler = StreamSink::from_writer(probe.clone())
        .with_colors(ColorMode::Always)
        .with_level_colors(LevelColors {
            info: "\x1b[32m",
            ..LevelColors::default()
        })
        .into_handler();
    log(&handler, Level::INFO, "green");
    assert_eq!(probe.text(), "\x1b[32mgreen\x1b[0m\n");
}

#[test]
fn never_and_a_non_terminal_writer_give_no_colours() {
    for sink in [
        StreamSink::from_writer(io::sink()).with_colors(ColorMode::Never),
        StreamSink::from_writer(io::sink()),
        StreamSink::from_writer(io::sink()).with_colors(ColorMode::Auto),
        StreamSink::stderr().with_colors(ColorMode::Never),
    ] {
        assert!(!sink.colors_enabled());
        for level in Level::iter() {
            assert_eq!(sink.line_style(level), None);
        }
    }
    let probe = Probe::default();
    let handler = StreamSink::from_writer(probe.clone()).into_handler();
    log(&handler, Level::ERROR, "plain");
    assert_eq!(probe.text(), "plain\n");
}

#[test]
fn auto_follows_the_terminal_for_std_streams() {
    use std::io::IsTerminal;
    assert_eq!(
        StreamSink::stderr().colors_enabled(),
        io::stderr().is_terminal()
    );
    assert_eq!(
        StreamSink::stdout().colors_enabled(),
        io::stdout().is_terminal()
    );
    assert_eq!(StreamSink::default().describe(), "stream stderr");
}

#[test]
fn usable_as_a_make_writer_under_the_fmt_layer() {
    use tracing_subscriber::layer::SubscriberExt;
    let probe = Probe::default();
    let subscriber = tracing_subscriber::registry().with(
        tracing_subscriber::fmt::layer()
            .with_writer(StreamSink::from_writer(probe.clone()))
            .with_ansi(false)
            .without_time(),
    );
    tracing::subscriber::with_default(subscriber, || {
        tracing::warn!(target: "portal", "through fmt");
    });
    assert_eq!(probe.text(), " WARN portal: through fmt\n");
    assert_eq!(probe.writes.load(Ordering::Relaxed), 1);
}
