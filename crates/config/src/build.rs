//! From a validated [`Config`] to the dispatch layer's handler set, in two steps: [`plan`]
//! checks everything without side effects (class names, arguments, formats: what
//! `tracing-handlers check` runs), and [`Plan::open`] opens the handlers.
//!
//! Handler classes are found under the names Python accepts: `StreamHandler`, `FileHandler`
//! and `NullHandler` bare or as `logging.X`; the `logging.handlers` classes as `handlers.X` or
//! `logging.handlers.X`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tracing_handlers_core::dispatch::{HandlerEntry, HandlerSet};
use tracing_handlers_core::nonblocking::{NonBlockingOptions, OverflowPolicy};
use tracing_handlers_core::{
    Format, FormatHandler, Formatter, Handler, JsonFormatter, Level, Record, Sink,
};
use tracing_handlers_file::{FileSink, OpenMode};
use tracing_handlers_stream::{ColorMode, StreamSink};

use crate::args::BoundArgs;
use crate::model::{Config, FormatterDef, HandlerDef, PyValue};
use crate::{ConfigError, ConfigErrors, Location};

/// The handler classes this build knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HandlerClass {
    /// `StreamHandler`.
    Stream,
    /// `FileHandler`.
    File,
    /// `NullHandler`: does nothing.
    Null,
    /// `handlers.WatchedFileHandler`.
    WatchedFile,
    /// `handlers.SysLogHandler`.
    SysLog,
    /// `handlers.RotatingFileHandler`.
    RotatingFile,
    /// `handlers.TimedRotatingFileHandler`.
    TimedRotatingFile,
    /// `handlers.SocketHandler`.
    Socket,
    /// `handlers.NTEventLogHandler` (off Windows: a handler that reports once and does
    /// nothing, as Python's without pywin32).
    NTEventLog,
}

/// Python's handler classes that this build does not provide yet.
const NOT_YET: &[&str] = &[
    "DatagramHandler",
    "SMTPHandler",
    "HTTPHandler",
    "MemoryHandler",
    "QueueHandler",
    "BufferingHandler",
];

/// Resolves `class` as Python's fileConfig and dictConfig would.
///
/// # Errors
///
/// A message for a class Python has that this build lacks, or an unknown class.
pub fn resolve_class(class: &str) -> Result<HandlerClass, String> {
    let class = class.trim();
    let (module, name) = match class.rsplit_once('.') {
        Some((m, n)) => (m, n),
        None => ("", class),
    };
    let in_logging = matches!(module, "" | "logging");
    let in_handlers = matches!(module, "handlers" | "logging.handlers");
    match name {
        "StreamHandler" if in_logging => Ok(HandlerClass::Stream),
        "FileHandler" if in_logging => Ok(HandlerClass::File),
        "NullHandler" if in_logging => Ok(HandlerClass::Null),
        "WatchedFileHandler" if in_handlers => Ok(HandlerClass::WatchedFile),
        "SysLogHandler" if in_handlers => Ok(HandlerClass::SysLog),
        "RotatingFileHandler" if in_handlers => Ok(HandlerClass::RotatingFile),
        "TimedRotatingFileHandler" if in_handlers => Ok(HandlerClass::TimedRotatingFile),
        "SocketHandler" if in_handlers => Ok(HandlerClass::Socket),
        "NTEventLogHandler" if in_handlers => Ok(HandlerClass::NTEventLog),
        n @ ("WatchedFileHandler"
        | "SysLogHandler"
        | "SocketHandler"
        | "NTEventLogHandler"
        | "RotatingFileHandler"
        | "TimedRotatingFileHandler") => {
            Err(format!("unknown handler class (Python needs handlers.{n})"))
        }
        n if NOT_YET.contains(&n) && in_handlers => {
            Err("handler class is not available in this build yet".to_owned())
        }
        n if NOT_YET.contains(&n) && module.is_empty() => {
            Err(format!("unknown handler class (Python needs handlers.{n})"))
        }
        _ => Err("unknown handler class".to_owned()),
    }
}

/// A handler checked and ready to open.
trait PlannedHandler: fmt::Debug + Send + Sync {
    /// One line for `check`: `FileHandler /var/log/app.log (append, 0o640)`.
    fn describe(&self) -> String;
    /// Opens it.
    fn open(&self, formatter: Box<dyn Format>) -> Result<Arc<dyn Handler>, String>;
}

/// Options every formatting handler takes beyond Python's (keyword-only).
const QUEUE_OPTIONS: &[&str] = &[
    "non_blocking",
    "queue_capacity_bytes",
    "overflow",
    "terminator",
];

#[derive(Debug, Clone)]
struct Writing {
    terminator: Option<String>,
    queue: Option<NonBlockingOptions>,
}

impl Writing {
    fn read(args: &mut BoundArgs<'_>) -> Writing {
        let terminator = args.str("terminator");
        let non_blocking = args.bool("non_blocking").unwrap_or(false)
            || args.has("queue_capacity_bytes")
            || args.has("overflow");
        let queue = non_blocking.then(|| {
            let mut opts = NonBlockingOptions::new();
            if let Some(n) = args.size("queue_capacity_bytes") {
                opts = opts.with_capacity_bytes(n.max(1));
            }
            if let Some(policy) = args.str("overflow") {
                match parse_policy(&policy) {
                    Some(p) => opts = opts.with_policy(p),
                    None => args.fail(
                        "overflow",
                        "expected 'block', 'drop_newest' or 'drop_below:LEVEL'",
                    ),
                }
            }
            opts
        });
        Writing { terminator, queue }
    }

    fn describe(&self) -> String {
        match &self.queue {
            Some(q) => format!(
                ", non-blocking ({} bytes, {:?})",
                q.capacity_bytes(),
                q.policy()
            ),
            None => String::new(),
        }
    }

    fn handler<S: Sink>(
        &self,
        sink: S,
        formatter: Box<dyn Format>,
    ) -> Result<Arc<dyn Handler>, String> {
        fn finish<T: Sink>(h: FormatHandler<T>, w: &Writing) -> Arc<dyn Handler> {
            match &w.terminator {
                Some(t) => Arc::new(h.with_terminator(t.clone())),
                None => Arc::new(h),
            }
        }
        Ok(match &self.queue {
            Some(opts) => {
                let queued = opts
                    .clone()
                    .build(sink)
                    .map_err(|e| format!("cannot start the writer thread: {e}"))?;
                finish(
                    FormatHandler::new(queued).with_boxed_formatter(formatter),
                    self,
                )
            }
            None => finish(
                FormatHandler::new(sink).with_boxed_formatter(formatter),
                self,
            ),
        })
    }
}

fn parse_policy(text: &str) -> Option<OverflowPolicy> {
    match text.to_ascii_lowercase().as_str() {
        "block" => Some(OverflowPolicy::Block),
        "drop_newest" | "drop" => Some(OverflowPolicy::DropNewest),
        other => other
            .strip_prefix("drop_below:")
            .and_then(|l| l.parse::<Level>().ok())
            .map(OverflowPolicy::DropBelow),
    }
}

#[derive(Debug)]
struct StreamPlan {
    stdout: bool,
    colors: ColorMode,
    writing: Writing,
}

impl PlannedHandler for StreamPlan {
    fn describe(&self) -> String {
        format!(
            "StreamHandler {} (colors {:?}{})",
            if self.stdout { "stdout" } else { "stderr" },
            self.colors,
            self.writing.describe()
        )
    }

    fn open(&self, formatter: Box<dyn Format>) -> Result<Arc<dyn Handler>, String> {
        let sink = if self.stdout {
            StreamSink::stdout()
        } else {
            StreamSink::stderr()
        };
        self.writing
            .handler(sink.with_colors(self.colors), formatter)
    }
}

fn plan_stream(args: &mut BoundArgs<'_>) -> StreamPlan {
    let stdout = match args.get("stream").map(|v| &v.value) {
        None | Some(PyValue::None | PyValue::Stderr) => false,
        Some(PyValue::Stdout) => true,
        Some(_) => {
            args.fail("stream", "expected sys.stdout or sys.stderr");
            false
        }
    };
    let colors = match args
        .str("colors")
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("auto") => ColorMode::Auto,
        Some("always") => ColorMode::Always,
        Some("never") => ColorMode::Never,
        Some(_) => {
            args.fail("colors", "expected 'auto', 'always' or 'never'");
            ColorMode::Auto
        }
    };
    StreamPlan {
        stdout,
        colors,
        writing: Writing::read(args),
    }
}

#[derive(Debug)]
struct FilePlan {
    path: PathBuf,
    mode: OpenMode,
    delay: bool,
    file_mode: Option<u32>,
    writing: Writing,
}

impl PlannedHandler for FilePlan {
    fn describe(&self) -> String {
        format!(
            "FileHandler {} ({}{}{}{})",
            self.path.display(),
            if self.mode == OpenMode::Truncate {
                "truncate"
            } else {
                "append"
            },
            if self.delay { ", delay" } else { "" },
            self.file_mode
                .map(|m| format!(", mode {m:#o}"))
                .unwrap_or_default(),
            self.writing.describe()
        )
    }

    fn open(&self, formatter: Box<dyn Format>) -> Result<Arc<dyn Handler>, String> {
        let mut builder = FileSink::builder(&self.path)
            .with_open_mode(self.mode)
            .with_delay(self.delay);
        if let Some(m) = self.file_mode {
            builder = builder.with_file_mode(m);
        }
        let sink = builder.build().map_err(|e| e.to_string())?;
        self.writing.handler(sink, formatter)
    }
}

/// Reads Python's `mode`: `'a'` (the default) or `'w'`.
fn open_mode(args: &mut BoundArgs<'_>) -> OpenMode {
    match args.str("mode").as_deref() {
        None | Some("a") => OpenMode::Append,
        Some("w") => OpenMode::Truncate,
        Some(_) => {
            args.fail("mode", "expected 'a' or 'w'");
            OpenMode::Append
        }
    }
}

/// Reads our `file_mode`: permission bits for new files.
fn file_mode(args: &mut BoundArgs<'_>) -> Option<u32> {
    args.int("file_mode").and_then(|m| match u32::try_from(m) {
        Ok(m) if m <= 0o7777 => Some(m),
        _ => {
            args.fail("file_mode", "expected permission bits such as 0o640");
            None
        }
    })
}

/// Reads Python's `encoding`: only UTF-8 is written, under any of Python's names for it.
fn check_encoding(args: &mut BoundArgs<'_>) {
    if let Some(enc) = args.str("encoding") {
        // Python's codec lookup ignores case, `-`, `_` and spaces; these are the names
        // `encodings.aliases` gives UTF-8, and `locale`, which we write as UTF-8 too.
        let norm = enc.to_ascii_lowercase().replace(['-', '_', ' '], "");
        let utf8 = [
            "utf8", "u8", "utf", "cp65001", "utf8ucs2", "utf8ucs4", "locale",
        ];
        if !utf8.contains(&norm.as_str()) {
            args.fail("encoding", "only utf-8 is supported");
        }
    }
    // `errors` cannot matter: records are valid UTF-8 already.
    let _ = args.str("errors");
}

fn plan_file(args: &mut BoundArgs<'_>) -> Option<FilePlan> {
    let filename = args.required_str("filename");
    let mode = open_mode(args);
    check_encoding(args);
    let delay = args.bool("delay").unwrap_or(false);
    let file_mode = file_mode(args);
    let writing = Writing::read(args);
    Some(FilePlan {
        path: PathBuf::from(filename?),
        mode,
        delay,
        file_mode,
        writing,
    })
}

#[derive(Debug)]
struct WatchedFilePlan {
    file: FilePlan,
    check_interval: Option<Duration>,
}

impl PlannedHandler for WatchedFilePlan {
    fn describe(&self) -> String {
        let interval = self
            .check_interval
            .unwrap_or(tracing_handlers_watched_file::DEFAULT_CHECK_INTERVAL);
        format!(
            "Watched{}, checked every {} ms",
            self.file.describe(),
            interval.as_millis()
        )
    }

    fn open(&self, formatter: Box<dyn Format>) -> Result<Arc<dyn Handler>, String> {
        let f = &self.file;
        let mut builder = tracing_handlers_watched_file::WatchedFileSink::builder(&f.path)
            .with_open_mode(f.mode)
            .with_delay(f.delay);
        if let Some(m) = f.file_mode {
            builder = builder.with_file_mode(m);
        }
        if let Some(i) = self.check_interval {
            builder = builder.with_check_interval(i);
        }
        let sink = builder.build().map_err(|e| e.to_string())?;
        f.writing.handler(sink, formatter)
    }
}

/// A plan for a handler whose builder owns its formatter, so it is used once: `open` takes
/// it and finishes it with `finish`.
struct OncePlan<B> {
    builder: parking_lot::Mutex<Option<B>>,
    describe: String,
    finish: Finish<B>,
}

/// Finishes a builder with the handler's formatter.
type Finish<B> = fn(B, Box<dyn Format>) -> Result<Arc<dyn Handler>, String>;

impl<B> OncePlan<B> {
    fn new(builder: B, describe: String, finish: Finish<B>) -> Self {
        OncePlan {
            builder: parking_lot::Mutex::new(Some(builder)),
            describe,
            finish,
        }
    }
}

impl<B> fmt::Debug for OncePlan<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OncePlan")
            .field("describe", &self.describe)
            .finish()
    }
}

impl<B: Send> PlannedHandler for OncePlan<B> {
    fn describe(&self) -> String {
        self.describe.clone()
    }

    fn open(&self, formatter: Box<dyn Format>) -> Result<Arc<dyn Handler>, String> {
        let builder = self
            .builder
            .lock()
            .take()
            .ok_or_else(|| "this plan was opened already".to_owned())?;
        (self.finish)(builder, formatter)
    }
}

/// Sets the options of a handler that sends through a queue and a connection (syslog over a
/// socket, the socket handler) on its builder: the two builders share these method names,
/// not a type.
macro_rules! sender_options {
    ($b:ident, $args:ident) => {{
        if let Some(v) = $args.size("queue_capacity_bytes") {
            $b = $b.with_capacity_bytes(v);
        }
        if let Some(policy) = $args.str("overflow") {
            match parse_policy(&policy) {
                Some(p) => $b = $b.with_overflow_policy(p),
                None => $args.fail(
                    "overflow",
                    "expected 'block', 'drop_newest' or 'drop_below:LEVEL'",
                ),
            }
        }
        let (start, factor, max) = reconnect_backoff($args);
        $b = $b.with_reconnect_backoff(start, factor, max);
        if let Some(v) = $args.seconds("connect_timeout") {
            $b = $b.with_connect_timeout(v);
        }
        if let Some(v) = $args.seconds("flush_timeout") {
            $b = $b.with_flush_timeout(v);
        }
    }};
}

/// Python's `SysLogHandler(address=('localhost', 514), facility=LOG_USER, socktype=None)` and
/// our options.
fn plan_syslog(args: &mut BoundArgs<'_>) -> OncePlan<tracing_handlers_syslog::SyslogBuilder> {
    use tracing_handlers_syslog::{
        Address, Facility, Framing, MessageFormat, SockType, SyslogBuilder, TlsOptions,
    };
    let mut b = SyslogBuilder::new();
    let mut describe = String::from("SysLogHandler");
    match args.get("address").map(|v| &v.value) {
        None | Some(PyValue::None) => describe.push_str(" localhost:514"),
        Some(PyValue::Str(path)) => {
            describe.push_str(&format!(" {path}"));
            b = b.with_address(Address::unix(path));
        }
        Some(PyValue::Tuple(items) | PyValue::List(items)) => match items.as_slice() {
            [PyValue::Str(host), PyValue::Int(port)] if u16::try_from(*port).is_ok() => {
                describe.push_str(&format!(" {host}:{port}"));
                b = b.with_address(Address::inet(host.clone(), *port as u16));
            }
            _ => args.fail("address", "expected (host, port) or a unix socket path"),
        },
        Some(_) => args.fail("address", "expected (host, port) or a unix socket path"),
    }
    match args.get("facility").map(|v| v.value.clone()) {
        None | Some(PyValue::None) => {}
        Some(PyValue::Int(n)) => match u32::try_from(n).ok().map(Facility::from_number) {
            Some(Ok(f)) => b = b.with_facility(f),
            _ => args.fail("facility", "unknown facility"),
        },
        Some(PyValue::Str(name)) => match name.parse::<Facility>() {
            Ok(f) => b = b.with_facility(f),
            Err(_) => args.fail("facility", "unknown facility"),
        },
        Some(_) => args.fail("facility", "expected a facility name or number"),
    }
    match args.get("socktype").map(|v| &v.value) {
        None | Some(PyValue::None) => {}
        Some(PyValue::Int(1)) => b = b.with_socktype(SockType::Stream),
        Some(PyValue::Int(2)) => b = b.with_socktype(SockType::Dgram),
        Some(_) => args.fail(
            "socktype",
            "expected socket.SOCK_STREAM or socket.SOCK_DGRAM",
        ),
    }
    if let Some(format) = args.str("format") {
        match format.to_ascii_lowercase().as_str() {
            "python" => b = b.with_format(MessageFormat::Python),
            "rfc3164" => b = b.with_format(MessageFormat::Rfc3164),
            "rfc5424" => b = b.with_format(MessageFormat::Rfc5424),
            _ => args.fail("format", "expected 'python', 'rfc3164' or 'rfc5424'"),
        }
        describe.push_str(&format!(" {format}"));
    }
    if let Some(framing) = args.str("framing") {
        match framing.to_ascii_lowercase().as_str() {
            "octet_counting" | "octet-counting" => b = b.with_framing(Framing::OctetCounting),
            "lf" => b = b.with_framing(Framing::Lf),
            "nul" => b = b.with_framing(Framing::Nul),
            _ => args.fail("framing", "expected 'octet_counting', 'lf' or 'nul'"),
        }
    }
    if let Some(v) = args.bool("append_nul") {
        b = b.with_append_nul(v);
    }
    if let Some(v) = args.str("ident") {
        b = b.with_ident(v);
    }
    if let Some(v) = args.str("app_name") {
        b = b.with_app_name(v);
    }
    if let Some(v) = args.str("hostname") {
        b = b.with_hostname(v);
    }
    if let Some(v) = args.bool("escaped_newlines") {
        b = b.with_escaped_newlines(v);
    }
    if let Some(v) = args.size("max_message_size") {
        b = b.with_max_message_size(v);
    }
    if let Some(v) = args.str("sd_id") {
        b = b.with_sd_id(v);
    }
    if let Some(v) = args.str("msgid_field") {
        b = b.with_msgid_field(Some(v));
    }
    if let Some(v) = args.bool("utc") {
        b = b.with_utc(v);
    }
    sender_options!(b, args);
    if args.bool("tls").unwrap_or(false) || args.has("ca_file") {
        match args.str("ca_file") {
            Some(ca) => {
                let mut tls = TlsOptions::new(ca);
                match (args.str("cert_file"), args.str("key_file")) {
                    (Some(c), Some(k)) => tls = tls.with_client_auth(c, k),
                    (None, None) => {}
                    _ => args.fail("cert_file", "cert_file and key_file go together"),
                }
                if let Some(name) = args.str("server_name") {
                    tls = tls.with_server_name(name);
                }
                b = b.with_tls(tls);
                describe.push_str(" tls");
            }
            None => args.fail("tls", "TLS needs ca_file"),
        }
    }
    OncePlan::new(b, describe, |b, formatter| {
        let handler = b
            .with_boxed_formatter(formatter)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Arc::new(handler))
    })
}

/// Options both rotating handlers take beyond Python's.
const ROTATION_OPTIONS: &[&str] = &[
    "file_mode",
    "compression",
    "max_age",
    "max_total_bytes",
    "multiprocess",
];

#[derive(Debug)]
enum RotatingBuilder {
    Size(tracing_handlers_rotating_file::RotatingFileSinkBuilder),
    Time(tracing_handlers_timed_rotating_file::TimedRotatingFileSinkBuilder),
}

#[derive(Debug)]
struct RotatingPlan {
    builder: RotatingBuilder,
    describe: String,
    writing: Writing,
}

impl PlannedHandler for RotatingPlan {
    fn describe(&self) -> String {
        format!("{}{}", self.describe, self.writing.describe())
    }

    fn open(&self, formatter: Box<dyn Format>) -> Result<Arc<dyn Handler>, String> {
        match &self.builder {
            RotatingBuilder::Size(b) => {
                let sink = b.clone().build().map_err(|e| e.to_string())?;
                self.writing.handler(sink, formatter)
            }
            RotatingBuilder::Time(b) => {
                let sink = b.clone().build().map_err(|e| e.to_string())?;
                self.writing.handler(sink, formatter)
            }
        }
    }
}

/// Applies [`RotationExtras`] to either rotating builder (they share the option names but not
/// a type).
macro_rules! with_rotation_extras {
    ($builder:expr, $extras:expr) => {{
        use tracing_handlers_rotating_file::Compression;
        let mut b = $builder;
        let extras = &$extras;
        if let Some(m) = extras.file_mode {
            b = b.with_file_mode(m);
        }
        if extras.gzip {
            b = b.with_compression(Compression::Gzip);
        }
        if let Some(a) = extras.max_age {
            b = b.with_max_age(a);
        }
        if let Some(t) = extras.max_total_bytes {
            b = b.with_max_total_bytes(t);
        }
        if let Some(m) = extras.multiprocess {
            b = b.with_multiprocess(m);
        }
        b
    }};
}

/// The options both rotating handlers take beyond Python's.
struct RotationExtras {
    file_mode: Option<u32>,
    gzip: bool,
    max_age: Option<Duration>,
    max_total_bytes: Option<i64>,
    multiprocess: Option<bool>,
}

fn rotation_extras(args: &mut BoundArgs<'_>) -> RotationExtras {
    let file_mode = file_mode(args);
    let gzip = match args
        .str("compression")
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("none") => false,
        Some("gzip") => true,
        Some(_) => {
            args.fail("compression", "expected 'gzip' or None");
            false
        }
    };
    RotationExtras {
        file_mode,
        gzip,
        max_age: args.seconds("max_age"),
        max_total_bytes: args.int("max_total_bytes"),
        multiprocess: args.bool("multiprocess"),
    }
}

/// Python's `RotatingFileHandler(filename, mode='a', maxBytes=0, backupCount=0,
/// encoding=None, delay=False, errors=None)`.
fn plan_rotating(args: &mut BoundArgs<'_>) -> Option<RotatingPlan> {
    use tracing_handlers_rotating_file::RotatingFileSink;
    let filename = args.required_str("filename");
    let mode = open_mode(args);
    let max_bytes = args.int("maxBytes").unwrap_or(0);
    let backup_count = args.int("backupCount").unwrap_or(0);
    check_encoding(args);
    let delay = args.bool("delay").unwrap_or(false);
    let extras = rotation_extras(args);
    let writing = Writing::read(args);
    let filename = filename?;
    let mut b = RotatingFileSink::builder(&filename)
        .with_open_mode(mode)
        .with_max_bytes(max_bytes)
        .with_backup_count(backup_count)
        .with_delay(delay);
    b = with_rotation_extras!(b, extras);
    if let Err(e) = b.check() {
        args.fail(
            parameter_of(
                &e.to_string(),
                &["maxBytes", "backupCount", "max_total_bytes"],
            ),
            e.to_string(),
        );
    }
    Some(RotatingPlan {
        describe: format!(
            "RotatingFileHandler {filename} (maxBytes {max_bytes}, backupCount {backup_count}{})",
            if extras.gzip { ", gzip" } else { "" }
        ),
        builder: RotatingBuilder::Size(b),
        writing,
    })
}

/// Python's `TimedRotatingFileHandler(filename, when='h', interval=1, backupCount=0,
/// encoding=None, delay=False, utc=False, atTime=None, errors=None)`; `atTime` is written
/// `'HH:MM[:SS]'` (a config file cannot build a `datetime.time`), and `maxBytes` adds size
/// rotation (ours).
fn plan_timed(args: &mut BoundArgs<'_>) -> Option<RotatingPlan> {
    use tracing_handlers_timed_rotating_file::TimedRotatingFileSink;
    let filename = args.required_str("filename");
    let when = args.str("when").unwrap_or_else(|| "h".to_owned());
    let interval = args.int("interval").unwrap_or(1);
    let backup_count = args.int("backupCount").unwrap_or(0);
    check_encoding(args);
    let delay = args.bool("delay").unwrap_or(false);
    let utc = args.bool("utc").unwrap_or(false);
    let at_time = args.str("atTime");
    let max_bytes = args.int("maxBytes");
    let extras = rotation_extras(args);
    let writing = Writing::read(args);
    let filename = filename?;
    let mut b = TimedRotatingFileSink::builder(&filename)
        .with_when(&when)
        .with_interval(interval)
        .with_backup_count(backup_count)
        .with_delay(delay)
        .with_utc(utc);
    if let Some(t) = &at_time {
        b = b.with_at_time(t);
    }
    if let Some(m) = max_bytes {
        b = b.with_max_bytes(m);
    }
    b = with_rotation_extras!(b, extras);
    if let Err(e) = b.check() {
        let text = e.to_string();
        args.fail(
            parameter_of(
                &text,
                &[
                    "when",
                    "interval",
                    "atTime",
                    "backupCount",
                    "maxBytes",
                    "max_total_bytes",
                ],
            ),
            text,
        );
    }
    Some(RotatingPlan {
        describe: format!(
            "TimedRotatingFileHandler {filename} (when {when}, interval {interval}, backupCount {backup_count}{}{})",
            if utc { ", utc" } else { "" },
            if extras.gzip { ", gzip" } else { "" }
        ),
        builder: RotatingBuilder::Time(b),
        writing,
    })
}

/// The parameter a construction error is about (for its location), by the name the message
/// uses; `when` is named by Python's messages about intervals and days.
fn parameter_of(message: &str, candidates: &[&'static str]) -> &'static str {
    let lower = message.to_ascii_lowercase();
    candidates
        .iter()
        .find(|c| lower.contains(&c.to_ascii_lowercase()))
        .copied()
        .unwrap_or(if lower.contains("rollover") || lower.contains("day") {
            "when"
        } else {
            candidates[0]
        })
}

#[derive(Debug)]
struct SocketPlan {
    builder: tracing_handlers_socket::SocketBuilder,
    describe: String,
}

impl PlannedHandler for SocketPlan {
    fn describe(&self) -> String {
        self.describe.clone()
    }

    /// The handler sends records, not formatted text: the formatter is not used (as
    /// CPython's `SocketHandler`, which pickles the record's attributes).
    fn open(&self, _formatter: Box<dyn Format>) -> Result<Arc<dyn Handler>, String> {
        let handler = self.builder.clone().build().map_err(|e| e.to_string())?;
        Ok(Arc::new(handler))
    }
}

/// Reads the reconnect schedule of the socket and syslog handlers: Python's SocketHandler
/// attributes `retryStart`, `retryFactor` and `retryMax` (1 s, 2, 30 s).
fn reconnect_backoff(args: &mut BoundArgs<'_>) -> (Duration, f64, Duration) {
    let start = args
        .seconds("retry_start")
        .unwrap_or(Duration::from_secs(1));
    let max = args.seconds("retry_max").unwrap_or(Duration::from_secs(30));
    let factor = match args.get("retry_factor").map(|v| &v.value) {
        None | Some(PyValue::None) => 2.0,
        Some(PyValue::Float(x)) if x.is_finite() && *x >= 1.0 => *x,
        Some(PyValue::Int(i)) if *i >= 1 => *i as f64,
        Some(_) => {
            args.fail("retry_factor", "expected a number >= 1");
            2.0
        }
    };
    (start, factor, max)
}

/// Python's `SocketHandler(host, port)` (`port=None`: `host` is a unix socket path) and our
/// options.
fn plan_socket(args: &mut BoundArgs<'_>) -> Option<SocketPlan> {
    use tracing_handlers_socket::{Protocol, SocketBuilder};
    let host = args.required_str("host")?;
    let port = match args.get("port").map(|v| &v.value) {
        None => {
            let _ = args.required_str("port");
            return None;
        }
        Some(PyValue::None) => None,
        Some(PyValue::Int(p)) if u16::try_from(*p).is_ok() => Some(*p as u16),
        Some(_) => {
            args.fail("port", "expected a port number (0-65535) or None");
            return None;
        }
    };
    let mut b = SocketBuilder::new(host.clone(), port);
    let mut describe = match port {
        Some(p) if host.contains(':') => format!("SocketHandler [{host}]:{p}"),
        Some(p) => format!("SocketHandler {host}:{p}"),
        None => format!("SocketHandler unix {host}"),
    };
    if let Some(p) = args.str("protocol") {
        match p.parse::<Protocol>() {
            Ok(p) => {
                describe.push_str(&format!(" {p}"));
                b = b.with_protocol(p);
            }
            Err(_) => args.fail("protocol", "expected 'pickle' or 'json'"),
        }
    }
    sender_options!(b, args);
    if let Some(v) = args.seconds("write_timeout") {
        b = b.with_write_timeout(v);
    }
    if let Some(v) = args.str("hostname") {
        b = b.with_hostname(v);
    }
    Some(SocketPlan {
        builder: b,
        describe,
    })
}

/// Reads a `{LEVEL: value}` dict (level names, any case, or `other`) into `map`.
fn level_map<T: Copy>(
    args: &mut BoundArgs<'_>,
    name: &str,
    map: &mut tracing_handlers_eventlog::LevelMap<T>,
    value: impl Fn(&PyValue) -> Option<T>,
    expected: &str,
) {
    let Some(given) = args.get(name) else {
        return;
    };
    let entries = match &given.value {
        PyValue::None => return,
        PyValue::Dict(entries) => entries,
        _ => {
            args.fail(name, format!("expected a dict of level name to {expected}"));
            return;
        }
    };
    for (key, v) in entries {
        let slot = match key {
            PyValue::Str(k) if k.eq_ignore_ascii_case("other") => Some(&mut map.other),
            PyValue::Str(k) => match k.parse::<Level>() {
                Ok(l) if l.as_str().is_some() && l != Level::NOTSET => {
                    Some(map.slot_mut(l.number()))
                }
                _ => None,
            },
            _ => None,
        };
        let Some(slot) = slot else {
            args.fail(
                name,
                "keys must be level names (TRACE, DEBUG, INFO, WARNING, ERROR, CRITICAL) or 'other'",
            );
            continue;
        };
        match value(v) {
            Some(v) => *slot = v,
            None => args.fail(name, format!("expected {expected} as values")),
        }
    }
}

/// Python's `NTEventLogHandler(appname, dllname=None, logtype='Application')` and our
/// options.
fn plan_eventlog(
    args: &mut BoundArgs<'_>,
) -> Option<OncePlan<tracing_handlers_eventlog::EventLogBuilder>> {
    use tracing_handlers_eventlog::{EventLogBuilder, EventType, LevelMap};
    let appname = args.required_str("appname")?;
    let mut b = EventLogBuilder::new(appname);
    if let Some(dll) = args.str("dllname") {
        // Python: an empty dllname means the default too.
        if !dll.is_empty() {
            b = b.with_dllname(dll);
        }
    }
    if let Some(logtype) = args.str("logtype") {
        b = b.with_logtype(logtype);
    }
    if let Err(tracing_handlers_eventlog::EventLogError::InvalidName(e)) = b.validate() {
        args.fail(e.what, e.to_string());
    }
    let event_id = |v: &PyValue| match v {
        PyValue::Int(n) => u32::try_from(*n).ok(),
        _ => None,
    };
    let category = |v: &PyValue| match v {
        PyValue::Int(n) => u16::try_from(*n).ok(),
        _ => None,
    };
    let event_type = |v: &PyValue| match v {
        PyValue::Int(n) => u16::try_from(*n).ok().and_then(EventType::from_number),
        PyValue::Str(s) => s.parse().ok(),
        _ => None,
    };
    let mut ids = LevelMap::uniform(tracing_handlers_eventlog::DEFAULT_EVENT_ID);
    if let Some(v) = args.get("event_id").map(|v| v.value.clone()) {
        match event_id(&v) {
            Some(id) => ids = LevelMap::uniform(id),
            None if v == PyValue::None => {}
            None => args.fail("event_id", "expected an event id (0 to 4294967295)"),
        }
    }
    level_map(
        args,
        "event_ids",
        &mut ids,
        event_id,
        "event ids (0 to 4294967295)",
    );
    let mut cats = LevelMap::uniform(tracing_handlers_eventlog::DEFAULT_CATEGORY);
    if let Some(v) = args.get("category").map(|v| v.value.clone()) {
        match category(&v) {
            Some(c) => cats = LevelMap::uniform(c),
            None if v == PyValue::None => {}
            None => args.fail("category", "expected a category (0 to 65535)"),
        }
    }
    level_map(
        args,
        "categories",
        &mut cats,
        category,
        "categories (0 to 65535)",
    );
    let mut types = LevelMap::event_types();
    level_map(
        args,
        "event_types",
        &mut types,
        event_type,
        "event types ('error', 'warning', 'information', 'success', 'audit_success', 'audit_failure')",
    );
    b = b
        .with_event_ids(ids)
        .with_categories(cats)
        .with_event_types(types);
    if let Some(v) = args.bool("register") {
        b = b.with_registration(v);
    }
    if let Some(v) = args.size("max_message_units") {
        b = b.with_max_message_units(v);
    }
    let mut describe = format!("NTEventLogHandler {}/{}", b.logtype(), b.appname());
    if !cfg!(windows) {
        describe.push_str(" (no event log on this platform: reports once, drops records)");
    }
    // Off Windows: the report-once no-op handler, so the configuration still loads.
    Some(OncePlan::new(b, describe, |b, formatter| {
        b.with_boxed_formatter(formatter)
            .build_or_null()
            .map_err(|e| e.to_string())
    }))
}

#[derive(Debug)]
struct NullPlan;

/// Python's `NullHandler`: does nothing.
#[derive(Debug)]
struct NullHandler;

impl Handler for NullHandler {
    fn handle(&self, _: &Record<'_>) {}
}

impl PlannedHandler for NullPlan {
    fn describe(&self) -> String {
        "NullHandler".to_owned()
    }
    fn open(&self, _: Box<dyn Format>) -> Result<Arc<dyn Handler>, String> {
        Ok(Arc::new(NullHandler))
    }
}

/// How to build one formatter (each handler gets its own instance).
#[derive(Debug, Clone)]
enum FormatterSpec {
    Python(Formatter),
    Json(JsonFormatter),
}

impl FormatterSpec {
    fn instance(&self) -> Box<dyn Format> {
        match self {
            FormatterSpec::Python(f) => Box::new(f.clone()),
            FormatterSpec::Json(j) => Box::new(j.clone()),
        }
    }
}

// One error per formatter, at construction only; its size is over clippy's line only where
// `PathBuf` is larger (Windows).
#[allow(clippy::result_large_err)]
fn plan_formatter(path: &Path, def: &FormatterDef) -> Result<FormatterSpec, ConfigError> {
    if def.json {
        return Ok(FormatterSpec::Json(JsonFormatter::new().with_utc(def.utc)));
    }
    let fmt = def.format.as_deref().unwrap_or("");
    let mut f = Formatter::new(fmt, def.style).map_err(|e| {
        ConfigError::new(path, def.location.clone(), e.to_string())
            .in_section(format!("formatter_{}", def.name))
            .with_token(fmt.to_owned())
    })?;
    if let Some(d) = &def.datefmt {
        f = f.with_datefmt(d);
    }
    Ok(FormatterSpec::Python(f.with_utc(def.utc)))
}

#[derive(Debug)]
struct PlannedEntry {
    name: String,
    level: Level,
    formatter: Option<String>,
    handler: Box<dyn PlannedHandler>,
    location: Location,
}

/// A configuration checked for everything but opening the handlers.
#[derive(Debug)]
pub struct Plan {
    path: PathBuf,
    formatters: Vec<(String, FormatterSpec)>,
    handlers: Vec<PlannedEntry>,
    config: Config,
}

fn plan_handler(path: &Path, def: &HandlerDef) -> Result<Box<dyn PlannedHandler>, ConfigErrors> {
    let class = resolve_class(&def.class.value).map_err(|msg| {
        ConfigError::new(path, def.class.location.clone(), msg)
            .in_section(format!("handler_{}", def.name))
            .with_token(def.class.value.clone())
    })?;
    let planned: Option<Box<dyn PlannedHandler>>;
    let mut args;
    match class {
        HandlerClass::Stream => {
            let extra: Vec<&'static str> =
                ["colors"].iter().chain(QUEUE_OPTIONS).copied().collect();
            args = BoundArgs::bind(path, def, &["stream"], &extra);
            planned = Some(Box::new(plan_stream(&mut args)));
        }
        HandlerClass::File => {
            let extra: Vec<&'static str> =
                ["file_mode"].iter().chain(QUEUE_OPTIONS).copied().collect();
            args = BoundArgs::bind(
                path,
                def,
                &["filename", "mode", "encoding", "delay", "errors"],
                &extra,
            );
            planned = plan_file(&mut args).map(|p| Box::new(p) as Box<dyn PlannedHandler>);
        }
        HandlerClass::WatchedFile => {
            let extra: Vec<&'static str> = ["file_mode", "check_interval"]
                .iter()
                .chain(QUEUE_OPTIONS)
                .copied()
                .collect();
            args = BoundArgs::bind(
                path,
                def,
                &["filename", "mode", "encoding", "delay", "errors"],
                &extra,
            );
            let check_interval = args.seconds("check_interval");
            planned = plan_file(&mut args).map(|file| {
                Box::new(WatchedFilePlan {
                    file,
                    check_interval,
                }) as Box<dyn PlannedHandler>
            });
        }
        HandlerClass::SysLog => {
            const EXTRA: &[&str] = &[
                "format",
                "framing",
                "append_nul",
                "ident",
                "app_name",
                "hostname",
                "escaped_newlines",
                "max_message_size",
                "sd_id",
                "msgid_field",
                "utc",
                "queue_capacity_bytes",
                "overflow",
                "retry_start",
                "retry_factor",
                "retry_max",
                "connect_timeout",
                "flush_timeout",
                "tls",
                "ca_file",
                "cert_file",
                "key_file",
                "server_name",
            ];
            args = BoundArgs::bind(path, def, &["address", "facility", "socktype"], EXTRA);
            planned = Some(Box::new(plan_syslog(&mut args)));
        }
        HandlerClass::RotatingFile => {
            let extra: Vec<&'static str> = ROTATION_OPTIONS
                .iter()
                .chain(QUEUE_OPTIONS)
                .copied()
                .collect();
            args = BoundArgs::bind(
                path,
                def,
                &[
                    "filename",
                    "mode",
                    "maxBytes",
                    "backupCount",
                    "encoding",
                    "delay",
                    "errors",
                ],
                &extra,
            );
            planned = plan_rotating(&mut args).map(|p| Box::new(p) as Box<dyn PlannedHandler>);
        }
        HandlerClass::TimedRotatingFile => {
            let extra: Vec<&'static str> = ["maxBytes"]
                .iter()
                .chain(ROTATION_OPTIONS)
                .chain(QUEUE_OPTIONS)
                .copied()
                .collect();
            args = BoundArgs::bind(
                path,
                def,
                &[
                    "filename",
                    "when",
                    "interval",
                    "backupCount",
                    "encoding",
                    "delay",
                    "utc",
                    "atTime",
                    "errors",
                ],
                &extra,
            );
            planned = plan_timed(&mut args).map(|p| Box::new(p) as Box<dyn PlannedHandler>);
        }
        HandlerClass::Socket => {
            const EXTRA: &[&str] = &[
                "protocol",
                "queue_capacity_bytes",
                "overflow",
                "retry_start",
                "retry_factor",
                "retry_max",
                "connect_timeout",
                "write_timeout",
                "flush_timeout",
                "hostname",
            ];
            args = BoundArgs::bind(path, def, &["host", "port"], EXTRA);
            planned = plan_socket(&mut args).map(|p| Box::new(p) as Box<dyn PlannedHandler>);
        }
        HandlerClass::NTEventLog => {
            const EXTRA: &[&str] = &[
                "event_id",
                "event_ids",
                "category",
                "categories",
                "event_types",
                "register",
                "max_message_units",
            ];
            args = BoundArgs::bind(path, def, &["appname", "dllname", "logtype"], EXTRA);
            planned = plan_eventlog(&mut args).map(|p| Box::new(p) as Box<dyn PlannedHandler>);
        }
        HandlerClass::Null => {
            args = BoundArgs::bind(path, def, &[], &[]);
            planned = Some(Box::new(NullPlan));
        }
    }
    args.finish()?;
    planned.ok_or_else(|| {
        ConfigError::new(path, def.location.clone(), "handler could not be planned")
            .in_section(format!("handler_{}", def.name))
            .into()
    })
}

/// Checks `config` (read from `path`) completely without opening anything.
///
/// # Errors
///
/// Every problem: unknown classes, bad arguments, bad formats.
pub fn plan(config: &Config, path: &Path) -> Result<Plan, ConfigErrors> {
    let mut errors = ConfigErrors::default();
    let mut formatters = Vec::new();
    for def in &config.formatters {
        match plan_formatter(path, def) {
            Ok(spec) => formatters.push((def.name.clone(), spec)),
            Err(e) => errors.push(e),
        }
    }
    let mut handlers = Vec::new();
    for def in &config.handlers {
        match plan_handler(path, def) {
            Ok(handler) => handlers.push(PlannedEntry {
                name: def.name.clone(),
                level: def.level.unwrap_or(Level::NOTSET),
                formatter: def.formatter.as_ref().map(|f| f.value.clone()),
                handler,
                location: def.location.clone(),
            }),
            Err(e) => errors.0.extend(e.0),
        }
    }
    if errors.is_empty() {
        Ok(Plan {
            path: path.to_path_buf(),
            formatters,
            handlers,
            config: config.clone(),
        })
    } else {
        Err(errors)
    }
}

impl Plan {
    /// Opens every handler and builds the logger tree.
    ///
    /// # Errors
    ///
    /// Every handler that could not be opened (each naming its section).
    pub fn open(&self) -> Result<HandlerSet, ConfigErrors> {
        let mut errors = ConfigErrors::default();
        let mut set = HandlerSet::new();
        for entry in &self.handlers {
            let formatter = entry
                .formatter
                .as_ref()
                .and_then(|name| self.formatters.iter().find(|(n, _)| n == name))
                .map_or_else(
                    || Box::new(Formatter::default()) as Box<dyn Format>,
                    |(_, f)| f.instance(),
                );
            match entry.handler.open(formatter) {
                Ok(handler) => {
                    set.add_handler(
                        HandlerEntry::new(entry.name.clone(), handler).with_level(entry.level),
                    );
                }
                Err(msg) => errors.push(
                    ConfigError::new(&self.path, entry.location.clone(), msg)
                        .in_section(format!("handler_{}", entry.name)),
                ),
            }
        }
        if !errors.is_empty() {
            // Close what was opened: nothing of a failed configuration stays installed.
            let deadline = std::time::Instant::now() + Duration::from_secs(5);
            for h in &set.handlers {
                h.handler().shutdown(deadline);
            }
            return Err(errors);
        }
        let index = |name: &str| set.handler_index(name);
        let root_handlers: Vec<usize> = self
            .config
            .root
            .handlers
            .iter()
            .filter_map(|h| index(&h.value))
            .collect();
        let mut tree = tracing_handlers_core::LoggerTree::new();
        let root = tree.root_mut();
        if let Some(level) = self.config.root.level {
            root.level = level;
        }
        root.handlers = root_handlers;
        for logger in &self.config.loggers {
            let handlers: Vec<usize> = logger
                .handlers
                .iter()
                .filter_map(|h| index(&h.value))
                .collect();
            let cfg = tree.logger_mut(&logger.name);
            cfg.level = logger.level.unwrap_or(Level::NOTSET);
            cfg.propagate = logger.propagate;
            cfg.handlers = handlers;
        }
        set.tree = tree;
        Ok(set)
    }

    /// What `tracing-handlers check` prints: the loggers (with effective levels) and the
    /// handlers, one per line.
    pub fn describe(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let _ = writeln!(out, "loggers:");
        let level_text =
            |l: Option<Level>| l.map_or_else(|| "NOTSET".to_owned(), |l| l.to_string());
        let root_level = self.config.root.level.unwrap_or(Level::WARNING);
        let names = |hs: &[crate::Located<String>]| {
            hs.iter()
                .map(|h| h.value.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(
            out,
            "  root level={} handlers=[{}]",
            root_level,
            names(&self.config.root.handlers)
        );
        let mut tree = tracing_handlers_core::LoggerTree::new();
        tree.root_mut().level = root_level;
        for l in &self.config.loggers {
            let cfg = tree.logger_mut(&l.name);
            cfg.level = l.level.unwrap_or(Level::NOTSET);
            cfg.propagate = l.propagate;
        }
        for l in &self.config.loggers {
            let _ = writeln!(
                out,
                "  {} level={} effective={} propagate={} handlers=[{}]",
                l.name,
                level_text(l.level),
                tree.effective_level(&l.name),
                u8::from(l.propagate),
                names(&l.handlers)
            );
        }
        let _ = writeln!(out, "handlers:");
        for h in &self.handlers {
            let _ = writeln!(
                out,
                "  {} level={} formatter={} {}",
                h.name,
                h.level,
                h.formatter.as_deref().unwrap_or("-"),
                h.handler.describe()
            );
        }
        out
    }
}

/// Plans and opens `config` in one step.
///
/// # Errors
///
/// As [`plan`] and [`Plan::open`].
pub fn build(config: &Config, path: &Path) -> Result<HandlerSet, ConfigErrors> {
    plan(config, path)?.open()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_names_as_python_accepts_them() {
        for c in ["StreamHandler", "logging.StreamHandler"] {
            assert_eq!(resolve_class(c), Ok(HandlerClass::Stream), "{c}");
        }
        for c in ["FileHandler", "logging.FileHandler"] {
            assert_eq!(resolve_class(c), Ok(HandlerClass::File), "{c}");
        }
        assert!(resolve_class("handlers.StreamHandler").is_err());
        assert!(resolve_class("RotatingFileHandler")
            .unwrap_err()
            .contains("handlers.RotatingFileHandler"));
        assert_eq!(
            resolve_class("handlers.SysLogHandler"),
            Ok(HandlerClass::SysLog)
        );
        for c in ["handlers.SocketHandler", "logging.handlers.SocketHandler"] {
            assert_eq!(resolve_class(c), Ok(HandlerClass::Socket), "{c}");
        }
        assert!(resolve_class("SocketHandler")
            .unwrap_err()
            .contains("handlers.SocketHandler"));
        for c in ["handlers.SysLogHandler", "logging.handlers.SysLogHandler"] {
            assert_eq!(resolve_class(c), Ok(HandlerClass::SysLog), "{c}");
        }
        for c in [
            "handlers.NTEventLogHandler",
            "logging.handlers.NTEventLogHandler",
        ] {
            assert_eq!(resolve_class(c), Ok(HandlerClass::NTEventLog), "{c}");
        }
        assert!(resolve_class("NTEventLogHandler")
            .unwrap_err()
            .contains("handlers.NTEventLogHandler"));
        assert!(resolve_class("handlers.SMTPHandler")
            .unwrap_err()
            .contains("not available"));
        assert_eq!(
            resolve_class("logging.handlers.SysLogHandler"),
            Ok(HandlerClass::SysLog)
        );
        assert!(resolve_class("os.system").unwrap_err().contains("unknown"));
    }
}
