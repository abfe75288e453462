//! [`StreamSink`]: Python's StreamHandler destination.

use std::fmt;
use std::io::{self, IsTerminal, Write};

use tracing_handlers_core::fork::{write_std, ForkSafeMutex, StdStream};
use tracing_handlers_core::{FormatHandler, Level, Sink};
use tracing_subscriber::fmt::MakeWriter;

use crate::color::{ColorMode, LevelColors, RESET};

enum Target {
    Stderr,
    Stdout,
    Writer(ForkSafeMutex<Box<dyn Write + Send>>),
}

/// A stream: Python's `StreamHandler` destination (stderr by default, stdout, or any
/// writer), as a [`Sink`], an [`io::Write`] and a
/// [`MakeWriter`].
///
/// Each record is written with one `write_all` of the whole line, then the stream is flushed
/// (SH-04), so a line is visible as soon as the logging call returns. Shutting down never
/// closes the stream (SH-03). On a terminal, lines are coloured by level (see
/// [`with_colors`](StreamSink::with_colors)).
///
/// ```
/// use std::io::Write;
/// use tracing_handlers_stream::StreamSink;
///
/// let mut sink = StreamSink::stderr();
/// writeln!(sink, "straight to stderr")?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct StreamSink {
    target: Target,
    colors: Option<LevelColors>,
    level_colors: LevelColors,
    describe: &'static str,
}

impl fmt::Debug for StreamSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamSink")
            .field("stream", &self.describe)
            .field("colors", &self.colors.is_some())
            .finish_non_exhaustive()
    }
}

impl Default for StreamSink {
    /// [`StreamSink::stderr`], Python's default.
    fn default() -> Self {
        StreamSink::stderr()
    }
}

impl StreamSink {
    fn with_target(target: Target, describe: &'static str) -> Self {
        StreamSink {
            target,
            colors: None,
            level_colors: LevelColors::default(),
            describe,
        }
        .with_colors(ColorMode::Auto)
    }

    /// The process's standard error (Python's default), coloured when it is a terminal.
    pub fn stderr() -> Self {
        Self::with_target(Target::Stderr, "stream stderr")
    }

    /// The process's standard output, coloured when it is a terminal.
    pub fn stdout() -> Self {
        Self::with_target(Target::Stdout, "stream stdout")
    }

    /// Any writer, behind a mutex (never coloured unless [`ColorMode::Always`]).
    ///
    /// ```
    /// use tracing_handlers_core::{Level, Sink};
    /// use tracing_handlers_stream::StreamSink;
    ///
    /// let sink = StreamSink::from_writer(std::io::sink());
    /// sink.write_record(b"discarded\n", Level::INFO)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_writer(writer: impl Write + Send + 'static) -> Self {
        Self::with_target(
            Target::Writer(ForkSafeMutex::new(Box::new(writer))),
            "stream writer",
        )
    }

    /// Colours lines by level: always, never, or (the default, [`ColorMode::Auto`]) when the
    /// stream is a terminal, `NO_COLOR` is unset or empty and `TERM` is not `dumb`.
    #[must_use]
    pub fn with_colors(mut self, mode: ColorMode) -> Self {
        let on = match mode {
            ColorMode::Always => true,
            ColorMode::Never => false,
            ColorMode::Auto => match self.target {
                Target::Stderr => io::stderr().is_terminal() && colors_allowed_by_env(),
                Target::Stdout => io::stdout().is_terminal() && colors_allowed_by_env(),
                Target::Writer(_) => false,
            },
        };
        self.colors = on.then_some(self.level_colors);
        self
    }

    /// Uses `colors` instead of the default ones (when colours are on).
    #[must_use]
    pub fn with_level_colors(mut self, colors: LevelColors) -> Self {
        self.level_colors = colors;
        if self.colors.is_some() {
            self.colors = Some(colors);
        }
        self
    }

    /// Whether lines are coloured.
    pub fn colors_enabled(&self) -> bool {
        self.colors.is_some()
    }

    /// A handler formatting records onto this stream (Python's `StreamHandler`).
    ///
    /// ```
    /// use tracing_handlers_core::{FieldSet, Handler, Level, Record};
    /// use tracing_handlers_stream::StreamSink;
    ///
    /// let handler = StreamSink::stderr().into_handler();
    /// let fields = FieldSet::new();
    /// handler.handle(&Record::new(Level::WARNING, "portal", "to stderr", &fields));
    /// ```
    pub fn into_handler(self) -> FormatHandler<StreamSink> {
        FormatHandler::new(self)
    }

    fn write_line(&self, line: &[u8]) -> io::Result<()> {
        match &self.target {
            Target::Stderr => write_std(StdStream::Stderr, line),
            Target::Stdout => write_std(StdStream::Stdout, line),
            Target::Writer(w) => {
                let mut out = w.lock();
                out.write_all(line)?;
                out.flush()
            }
        }
    }

    fn flush_stream(&self) -> io::Result<()> {
        match &self.target {
            Target::Stderr => io::stderr().flush(),
            Target::Stdout => io::stdout().flush(),
            Target::Writer(w) => w.lock().flush(),
        }
    }
}

/// Whether the environment lets [`ColorMode::Auto`] colour a terminal: not when `NO_COLOR` is
/// set to a non-empty value (<https://no-color.org>), nor when `TERM` is `dumb` (a terminal
/// that shows escape sequences as text, such as Emacs' `M-x shell`).
fn colors_allowed_by_env() -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
    !no_color && !dumb
}

// === impl Sink ===

impl Sink for StreamSink {
    fn write_record(&self, record: &[u8], _level: Level) -> io::Result<()> {
        self.write_line(record)
    }

    /// Writes the whole batch with one `write_all`, then flushes.
    fn write_batch(&self, batch: &[u8], _ends: &[usize]) -> io::Result<()> {
        self.write_line(batch)
    }

    fn flush(&self) -> io::Result<()> {
        self.flush_stream()
    }

    fn line_style(&self, level: Level) -> Option<(&'static str, &'static str)> {
        let start = self.colors.as_ref()?.for_level(level);
        (!start.is_empty()).then_some((start, RESET))
    }

    fn describe(&self) -> String {
        self.describe.to_owned()
    }
}

// === impl io::Write ===

/// Each `write` call writes the whole buffer (one record) and flushes.
impl Write for &StreamSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_line(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.flush_stream()
    }
}

/// As for `&StreamSink`.
impl Write for StreamSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.flush_stream()
    }
}

// === impl MakeWriter ===

/// Lets tracing-subscriber's `fmt` layer write to the stream: each event is one write.
impl<'a> MakeWriter<'a> for StreamSink {
    type Writer = &'a StreamSink;

    fn make_writer(&'a self) -> Self::Writer {
        self
    }
}
