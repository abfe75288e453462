//! Handlers: what the dispatch layer hands records to.
//!
//! Two shapes exist. A [`Handler`] takes the whole [`Record`] (syslog, socket and event-log
//! handlers send structured records). A [`Sink`] takes formatted bytes (stream and file
//! handlers); [`FormatHandler`] turns a sink into a handler by formatting each record with a
//! [`Format`] into a reused per-thread buffer.

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::io;
use std::time::{Instant, SystemTime};

use crate::format::plain::{FixedParts, LineShape};
use crate::format::{Format, Formatter};
use crate::report::ErrorThrottle;
use crate::reuse::ReusedBuffer;
use crate::{Level, Record};

/// Receives records from the dispatch layer.
///
/// The dispatch layer applies the handler's level and filters before calling
/// [`handle`](Handler::handle) (or [`write_prepared`](Handler::write_prepared)), never calls
/// either re-entrantly from the same thread, and calls [`shutdown`](Handler::shutdown) once
/// when the handler set is dropped or the process exits.
pub trait Handler: Send + Sync + fmt::Debug + 'static {
    /// Writes or sends one record. Never panics and never fails: errors go to the
    /// [reporter](crate::report).
    fn handle(&self, record: &Record<'_>);

    /// Pushes everything handled so far to its destination (the OS for files, the peer for
    /// network handlers), waiting as needed.
    fn flush(&self) {}

    /// Flushes and releases resources, giving up on what cannot be delivered by `deadline`.
    fn shutdown(&self, deadline: Instant) {
        let _ = deadline;
        self.flush();
    }

    /// Whether records for this handler need [`Record::spans`] filled in.
    fn needs_spans(&self) -> bool {
        false
    }

    /// Whether records for this handler need [`Record::relative_created`] (true unless the
    /// handler says otherwise; when no handler needs it, the dispatch layer leaves it 0).
    fn needs_relative_created(&self) -> bool {
        true
    }

    /// The fast path of [`FormatHandler`]: for the records of one callsite (one level and
    /// one logger), a line whose only varying parts are the time and the message, so the
    /// dispatch layer can skip building a [`Record`] and hand over just those two (to
    /// [`write_prepared`](Handler::write_prepared)). `None` (the default) keeps
    /// [`handle`](Handler::handle) for every record. [`PreparedLine`] has no public
    /// constructor: other handlers keep the default.
    fn prepare(&self, level: Level, name: &str, target: &str) -> Option<PreparedLine> {
        let _ = (level, name, target);
        None
    }

    /// Writes the record of level `level` created at `created` with text `message`, for
    /// a callsite this handler [`prepare`](Handler::prepare)d `line` for: the same bytes
    /// [`handle`](Handler::handle) would write for it.
    fn write_prepared(
        &self,
        line: &PreparedLine,
        created: SystemTime,
        message: &str,
        level: Level,
    ) {
        let _ = (line, created, message, level);
    }
}

/// A line prepared by a handler for the records of one callsite (see [`Handler::prepare`]).
#[derive(Debug)]
pub struct PreparedLine {
    /// The terminator included.
    shape: LineShape,
}

/// A destination for formatted records: the byte sink under stream and file handlers.
///
/// Each call to [`write_record`](Sink::write_record) carries one whole record, terminator
/// included; a sink writes it with one `write` where the OS allows, so concurrent writers
/// never interleave inside a line.
pub trait Sink: Send + Sync + fmt::Debug + 'static {
    /// Writes one complete record logged at `level` (queued sinks use the level for their
    /// overflow policy).
    ///
    /// # Errors
    ///
    /// The I/O error, for the caller to report; the sink must stay usable afterwards.
    fn write_record(&self, record: &[u8], level: Level) -> io::Result<()>;

    /// Writes several complete records, concatenated; `ends[i]` is the end offset of record
    /// `i` in `batch`. The default writes them one by one (as level NOTSET); sinks that can
    /// write a batch in one call (plain files) override it.
    ///
    /// # Errors
    ///
    /// The first I/O error; records before it were written.
    fn write_batch(&self, batch: &[u8], ends: &[usize]) -> io::Result<()> {
        let mut start = 0;
        for &end in ends {
            self.write_record(&batch[start..end], Level::NOTSET)?;
            start = end;
        }
        Ok(())
    }

    /// Flushes anything buffered below this sink.
    ///
    /// # Errors
    ///
    /// The I/O error.
    fn flush(&self) -> io::Result<()> {
        Ok(())
    }

    /// Text placed before and after a record's text (before the terminator), such as ANSI
    /// colours on a terminal. `None` by default. It must not change over the sink's life
    /// (the dispatch layer may ask once per callsite).
    fn line_style(&self, level: Level) -> Option<(&'static str, &'static str)> {
        let _ = level;
        None
    }

    /// Waits until what was written is at its destination or `deadline` passes (queued
    /// sinks drain here), then flushes.
    fn shutdown(&self, deadline: Instant) {
        let _ = deadline;
        let _ = self.flush();
    }

    /// How reports name this sink: `file /var/log/app.log`, `stream stderr`.
    fn describe(&self) -> String;
}

impl<S: Sink + ?Sized> Sink for Box<S> {
    fn write_record(&self, record: &[u8], level: Level) -> io::Result<()> {
        (**self).write_record(record, level)
    }
    fn write_batch(&self, batch: &[u8], ends: &[usize]) -> io::Result<()> {
        (**self).write_batch(batch, ends)
    }
    fn flush(&self) -> io::Result<()> {
        (**self).flush()
    }
    fn line_style(&self, level: Level) -> Option<(&'static str, &'static str)> {
        (**self).line_style(level)
    }
    fn shutdown(&self, deadline: Instant) {
        (**self).shutdown(deadline)
    }
    fn describe(&self) -> String {
        (**self).describe()
    }
}

impl<S: Sink + ?Sized> Sink for std::sync::Arc<S> {
    fn write_record(&self, record: &[u8], level: Level) -> io::Result<()> {
        (**self).write_record(record, level)
    }
    fn write_batch(&self, batch: &[u8], ends: &[usize]) -> io::Result<()> {
        (**self).write_batch(batch, ends)
    }
    fn flush(&self) -> io::Result<()> {
        (**self).flush()
    }
    fn line_style(&self, level: Level) -> Option<(&'static str, &'static str)> {
        (**self).line_style(level)
    }
    fn shutdown(&self, deadline: Instant) {
        (**self).shutdown(deadline)
    }
    fn describe(&self) -> String {
        (**self).describe()
    }
}

/// A handler's formatter: ours by value, anything else boxed.
#[derive(Debug)]
enum HandlerFormat {
    Python(Formatter),
    Other(Box<dyn Format>),
}

impl HandlerFormat {
    #[inline]
    fn get(&self) -> &dyn Format {
        match self {
            HandlerFormat::Python(f) => f,
            HandlerFormat::Other(f) => &**f,
        }
    }

    #[inline]
    fn format(&self, record: &Record<'_>, out: &mut Vec<u8>) {
        match self {
            HandlerFormat::Python(f) => f.format(record, out),
            HandlerFormat::Other(f) => f.format(record, out),
        }
    }
}

thread_local! {
    static LINE: RefCell<Vec<u8>> = RefCell::new(Vec::with_capacity(256));
}

/// A handler that formats each record and writes the bytes to a [`Sink`]: Python's
/// `StreamHandler.emit` (format, append the terminator, one write, flush).
///
/// ```
/// use std::sync::Arc;
/// use tracing_handlers_core::{FieldSet, FormatHandler, Formatter, Handler, Level, Record, MemorySink};
///
/// let sink = Arc::new(MemorySink::new());
/// let handler = FormatHandler::new(sink.clone())
///     .with_formatter(Formatter::percent("%(levelname)s:%(name)s:%(message)s")?);
/// let fields = FieldSet::new();
/// handler.handle(&Record::new(Level::WARNING, "portal", "disk low", &fields));
/// assert_eq!(sink.contents(), b"WARNING:portal:disk low\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct FormatHandler<S> {
    sink: S,
    formatter: HandlerFormat,
    terminator: Cow<'static, str>,
    throttle: ErrorThrottle,
}

impl<S: Sink> FormatHandler<S> {
    /// A handler writing to `sink` with Python's default formatter (the bare message) and
    /// terminator `"\n"`.
    pub fn new(sink: S) -> Self {
        let throttle = ErrorThrottle::new(sink.describe());
        FormatHandler {
            sink,
            formatter: HandlerFormat::Python(Formatter::default()),
            terminator: Cow::Borrowed("\n"),
            throttle,
        }
    }

    /// Uses `formatter` for every record.
    #[must_use]
    pub fn with_formatter<F: Format + 'static>(mut self, formatter: F) -> Self {
        // Our own formatter is kept by value, so formatting is a direct (inlinable) call.
        let mut slot = Some(formatter);
        let python = (&mut slot as &mut dyn std::any::Any)
            .downcast_mut::<Option<Formatter>>()
            .and_then(Option::take);
        if let Some(python) = python {
            self.formatter = HandlerFormat::Python(python);
        } else if let Some(other) = slot {
            self.formatter = HandlerFormat::Other(Box::new(other));
        }
        self
    }

    /// Uses an already boxed formatter.
    #[must_use]
    pub fn with_boxed_formatter(mut self, formatter: Box<dyn Format>) -> Self {
        self.formatter = HandlerFormat::Other(formatter);
        self
    }

    /// Ends every record with `terminator` instead of `"\n"` (Python's `terminator`).
    #[must_use]
    pub fn with_terminator(mut self, terminator: impl Into<Cow<'static, str>>) -> Self {
        self.terminator = terminator.into();
        self
    }

    /// The sink below this handler.
    pub fn sink(&self) -> &S {
        &self.sink
    }

    // Inlined into `handle`: one stack frame less between the event and the write (see
    // `Dispatch::deliver`).
    #[inline(always)]
    fn write_line(&self, record: &Record<'_>, line: &mut Vec<u8>) {
        line.clear();
        let style = self.sink.line_style(record.level);
        if let Some((before, _)) = style {
            line.extend_from_slice(before.as_bytes());
        }
        self.formatter.format(record, line);
        if let Some((_, after)) = style {
            line.extend_from_slice(after.as_bytes());
        }
        match self.terminator.as_bytes() {
            // The usual terminator, without a call to `memcpy` for one byte.
            [byte] => line.push(*byte),
            terminator => line.extend_from_slice(terminator),
        }
        match self.sink.write_record(line, record.level) {
            Ok(()) => self.throttle.succeeded(),
            Err(e) => self.throttle.failed(&format_args!("write failed: {e}")),
        }
    }
}

impl<S: Sink> FormatHandler<S> {
    /// Re-entered on this thread (or during thread teardown): a private buffer.
    #[cold]
    #[inline(never)]
    fn write_line_privately(&self, record: &Record<'_>) {
        let mut line = Vec::with_capacity(256);
        self.write_line(record, &mut line);
    }
}

impl<S: Sink> Handler for FormatHandler<S> {
    fn handle(&self, record: &Record<'_>) {
        let done = LINE.try_with(|cell| match cell.try_borrow_mut() {
            Ok(mut line) => {
                self.write_line(record, &mut line);
                line.release_if_large();
                true
            }
            Err(_) => false,
        });
        if done != Ok(true) {
            self.write_line_privately(record);
        }
    }

    fn flush(&self) {
        if let Err(e) = self.sink.flush() {
            self.throttle.failed(&format_args!("flush failed: {e}"));
        }
    }

    fn shutdown(&self, deadline: Instant) {
        self.sink.shutdown(deadline);
    }

    fn needs_spans(&self) -> bool {
        self.formatter.get().needs_spans()
    }

    fn needs_relative_created(&self) -> bool {
        self.formatter.get().needs_relative_created()
    }

    fn prepare(&self, level: Level, name: &str, target: &str) -> Option<PreparedLine> {
        let HandlerFormat::Python(formatter) = &self.formatter else {
            return None;
        };
        // A sink's style (colours) is asked per record; keep that where a sink has one.
        if self.sink.line_style(level).is_some() {
            return None;
        }
        let mut shape = formatter.line_shape(&FixedParts {
            level_name: level.as_str(),
            name,
            target,
            process_name: crate::record::PROCESS_NAME,
        })?;
        shape.tail.extend_from_slice(self.terminator.as_bytes());
        Some(PreparedLine { shape })
    }

    fn write_prepared(
        &self,
        line: &PreparedLine,
        created: SystemTime,
        message: &str,
        level: Level,
    ) {
        let HandlerFormat::Python(formatter) = &self.formatter else {
            return;
        };
        let write = |out: &mut Vec<u8>| {
            let shape = &line.shape;
            out.clear();
            out.extend_from_slice(&shape.head);
            if shape.time {
                formatter.write_asctime_at(created, out);
            }
            out.extend_from_slice(&shape.mid);
            if shape.message {
                out.extend_from_slice(message.as_bytes());
            }
            out.extend_from_slice(&shape.tail);
            match self.sink.write_record(out, level) {
                Ok(()) => self.throttle.succeeded(),
                Err(e) => self.throttle.failed(&format_args!("write failed: {e}")),
            }
        };
        let done = LINE.try_with(|cell| match cell.try_borrow_mut() {
            Ok(mut out) => {
                write(&mut out);
                out.release_if_large();
                true
            }
            Err(_) => false,
        });
        if done != Ok(true) {
            write(&mut Vec::with_capacity(256));
        }
    }
}

/// A sink that keeps everything in memory: for tests and examples.
#[derive(Debug, Default)]
pub struct MemorySink {
    bytes: crate::fork::ForkSafeMutex<Vec<u8>>,
}

impl MemorySink {
    /// An empty sink.
    pub fn new() -> Self {
        Self::default()
    }

    /// A copy of everything written so far.
    pub fn contents(&self) -> Vec<u8> {
        self.bytes.lock().clone()
    }

    /// Everything written so far, as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes.lock()).into_owned()
    }

    /// Empties the sink.
    pub fn clear(&self) {
        self.bytes.lock().clear();
    }
}

impl Sink for MemorySink {
    fn write_record(&self, record: &[u8], _level: Level) -> io::Result<()> {
        self.bytes.lock().extend_from_slice(record);
        Ok(())
    }

    fn describe(&self) -> String {
        "memory".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::{FieldSet, FormatHandler, Handler, Level, MemorySink, Record};

    #[test]
    fn every_terminator_ends_the_record() {
        let fields = FieldSet::new();
        for terminator in ["\n", "", "\r\n", ";", "é", " <end>\n"] {
            let sink = Arc::new(MemorySink::new());
            let handler = FormatHandler::new(sink.clone()).with_terminator(terminator);
            handler.handle(&Record::new(Level::INFO, "portal", "one", &fields));
            handler.handle(&Record::new(Level::INFO, "portal", "two", &fields));
            assert_eq!(sink.text(), format!("one{terminator}two{terminator}"));
        }
    }
}
