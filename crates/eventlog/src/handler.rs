//! The handler: encode each record, report it through `ReportEventW`.

use std::cell::RefCell;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};

use tracing_handlers_core::report::{report, ErrorThrottle, Report, ReportKind};
use tracing_handlers_core::reuse::with_reused;
use tracing_handlers_core::{Handler, Record};
#[cfg(windows)]
use tracing_handlers_eventlog_sys::EventSource;

use crate::builder::EventLogBuilder;
use crate::encoder::{Encoded, Encoder};
use crate::error::EventLogError;

thread_local! {
    static BUFS: RefCell<(Vec<u8>, Vec<u16>)> = RefCell::new((Vec::with_capacity(256), Vec::with_capacity(256)));
}

/// Where events go.
#[derive(Debug)]
enum Backend {
    #[cfg(windows)]
    Windows(EventSource),
    /// Portable tests of the whole handler path.
    #[cfg(test)]
    Capture(std::sync::Mutex<Vec<(Encoded, String)>>),
}

impl Backend {
    fn report(&self, event: &Encoded, text: &[u16]) -> io::Result<()> {
        let _ = (event, text);
        match *self {
            #[cfg(windows)]
            Backend::Windows(ref source) => {
                source.report(event.event_type, event.category, event.event_id, text)
            }
            #[cfg(test)]
            Backend::Capture(ref events) => {
                let s = String::from_utf16_lossy(&text[..text.len() - 1]);
                events.lock().unwrap().push((*event, s));
                Ok(())
            }
        }
    }
}

/// Python's `NTEventLogHandler` for the dispatch layer: formats each record with its
/// [`Format`](tracing_handlers_core::Format) and reports it to the Windows Event Log with the
/// event type, id and category of its level. Build one with [`EventLogHandler::builder`];
/// off Windows `build` returns [`EventLogError::Unsupported`] (and
/// [`build_or_null`](EventLogBuilder::build_or_null) gives a [`NullEventLog`](crate::NullEventLog)).
///
/// Unlike Python, which registers and deregisters the source around every record, the
/// source is opened once at build and closed when the handler is dropped.
///
/// ```no_run
/// use tracing_handlers_core::{FieldSet, Handler, Level, Record};
/// use tracing_handlers_eventlog::EventLogHandler;
///
/// let handler = EventLogHandler::new("Portal")?; // Windows only
/// let fields = FieldSet::new();
/// // Event 1, category 0, type Warning, text "disk almost full":
/// handler.handle(&Record::new(Level::WARNING, "portal.disk", "disk almost full", &fields));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
#[cfg_attr(not(any(windows, test)), allow(dead_code))]
pub struct EventLogHandler {
    encoder: Encoder,
    backend: Backend,
    appname: String,
    logtype: String,
    throttle: ErrorThrottle,
    truncation_reported: AtomicBool,
}

/// Registers and opens the source (Windows).
#[cfg(windows)]
pub(crate) fn open(builder: EventLogBuilder) -> Result<EventLogHandler, EventLogError> {
    if builder.register {
        let key = tracing_handlers_eventlog_sys::source_key(&builder.logtype, &builder.appname);
        if let Err(e) = tracing_handlers_eventlog_sys::register_source(
            &builder.appname,
            builder.dllname(),
            &builder.logtype,
        ) {
            let hint = if e.kind() == io::ErrorKind::PermissionDenied {
                " (needs administrator rights: register the source at install time and turn registration off)"
            } else {
                ""
            };
            let msg = format!(
                "cannot register the event source at HKLM\\{key}: {e}{hint}; events are still reported"
            );
            report(&Report {
                source: &builder.describe(),
                kind: ReportKind::Notice,
                message: &msg,
            });
        }
    }
    let source = EventSource::register(&builder.appname).map_err(|source| EventLogError::Open {
        appname: builder.appname.clone(),
        source,
    })?;
    Ok(EventLogHandler::assemble(builder, Backend::Windows(source)))
}

/// The event log exists only on Windows.
#[cfg(not(windows))]
pub(crate) fn open(builder: EventLogBuilder) -> Result<EventLogHandler, EventLogError> {
    let _ = builder;
    Err(EventLogError::Unsupported)
}

#[cfg_attr(not(any(windows, test)), allow(dead_code))]
impl EventLogHandler {
    /// A builder for the event source `appname` with Python's defaults.
    pub fn builder(appname: impl Into<String>) -> EventLogBuilder {
        EventLogBuilder::new(appname)
    }

    /// Python's `NTEventLogHandler(appname)`: log `Application`, event id 1, category 0,
    /// Python's event types, the bare message.
    ///
    /// # Errors
    ///
    /// As [`EventLogBuilder::build`]: [`EventLogError::Unsupported`] outside Windows.
    pub fn new(appname: impl Into<String>) -> Result<EventLogHandler, EventLogError> {
        EventLogBuilder::new(appname).build()
    }

    fn assemble(builder: EventLogBuilder, backend: Backend) -> EventLogHandler {
        let throttle = ErrorThrottle::new(builder.describe());
        let appname = builder.appname.clone();
        let logtype = builder.logtype.clone();
        EventLogHandler {
            encoder: builder.into_encoder(),
            backend,
            appname,
            logtype,
            throttle,
            truncation_reported: AtomicBool::new(false),
        }
    }

    /// The event source name (Python's `appname`).
    pub fn appname(&self) -> &str {
        &self.appname
    }

    /// The log (Python's `logtype`).
    pub fn logtype(&self) -> &str {
        &self.logtype
    }

    /// How reports name this handler: `eventlog Application/Portal`.
    pub fn describe(&self) -> &str {
        self.throttle.source()
    }

    fn send(&self, record: &Record<'_>, text: &mut Vec<u8>, wide: &mut Vec<u16>) {
        let event = self.encoder.encode(record, text, wide);
        if let Some(units) = event.truncated_from {
            if !self.truncation_reported.swap(true, Ordering::Relaxed) {
                let msg = format!(
                    "an event text of {units} UTF-16 units was cut to the limit of {} (reported once)",
                    self.encoder.max_units
                );
                report(&Report {
                    source: self.throttle.source(),
                    kind: ReportKind::Notice,
                    message: &msg,
                });
            }
        }
        match self.backend.report(&event, wide) {
            Ok(()) => self.throttle.succeeded(),
            Err(e) => self
                .throttle
                .failed(&format_args!("ReportEventW failed: {e}")),
        }
    }
}

impl Handler for EventLogHandler {
    fn handle(&self, record: &Record<'_>) {
        with_reused(&BUFS, Default::default, |(text, wide)| {
            self.send(record, text, wide);
        });
    }

    fn needs_spans(&self) -> bool {
        self.encoder.formatter.needs_spans()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_handlers_core::{FieldSet, Formatter, Level};
    use tracing_handlers_eventlog_sys::EventType;

    fn capture(builder: EventLogBuilder) -> EventLogHandler {
        EventLogHandler::assemble(builder, Backend::Capture(Default::default()))
    }

    fn events(h: &EventLogHandler) -> Vec<(EventType, u16, u32, String)> {
        match &h.backend {
            Backend::Capture(e) => e
                .lock()
                .unwrap()
                .iter()
                .map(|(e, s)| (e.event_type, e.category, e.event_id, s.clone()))
                .collect(),
            #[allow(unreachable_patterns)]
            _ => unreachable!(),
        }
    }

    #[test]
    fn python_defaults_through_handle() {
        let h = capture(EventLogHandler::builder("Portal"));
        assert_eq!(h.describe(), "eventlog Application/Portal");
        let fields = FieldSet::new();
        for (level, msg) in [
            (10, "d"),
            (20, "i"),
            (30, "w"),
            (40, "e"),
            (50, "c"),
            (25, "x"),
            (5, "t"),
        ] {
            h.handle(&Record::new(Level::from_number(level), "p", msg, &fields));
        }
        use EventType::*;
        let expected: Vec<(EventType, u16, u32, String)> = [
            (Information, "d"),
            (Information, "i"),
            (Warning, "w"),
            (Error, "e"),
            (Error, "c"),
            (Error, "x"),
            (Information, "t"),
        ]
        .into_iter()
        .map(|(t, s)| (t, 0, 1, s.to_owned()))
        .collect();
        assert_eq!(events(&h), expected);
    }

    #[test]
    fn options_through_handle() {
        let mut ids = tracing_handlers_eventlog_sys::LevelMap::uniform(7u32);
        ids.critical = 9;
        let h = capture(
            EventLogHandler::builder("Portal")
                .with_logtype("System")
                .with_formatter(Formatter::percent("%(levelname)s %(name)s: %(message)s").unwrap())
                .with_event_ids(ids)
                .with_category(4)
                .with_max_message_units(40),
        );
        let fields = FieldSet::new();
        h.handle(&Record::new(Level::CRITICAL, "portal.db", "gone", &fields));
        h.handle(&Record::new(
            Level::INFO,
            "portal",
            &"y".repeat(50),
            &fields,
        ));
        let got = events(&h);
        assert_eq!(
            got[0],
            (
                EventType::Error,
                4,
                9,
                "CRITICAL portal.db: gone".to_owned()
            )
        );
        assert_eq!(got[1].2, 7);
        assert!(
            got[1].3.ends_with("...[truncated from 63 characters]"),
            "{}",
            got[1].3
        );
        assert!(h.truncation_reported.load(Ordering::Relaxed));
    }

    /// The records both sides handle: (level number, message). TRACE (5) is left out: Python
    /// reports its unknown level 5 as Error, we report TRACE as Information (DESIGN.md).
    const RECORDS: &[(i32, &str)] = &[
        (10, "debug"),
        (20, "info"),
        (30, "warning"),
        (40, "error"),
        (50, "critical"),
        (25, "level 25"),
        (0, "level 0"),
        (15, "level 15"),
        (60, "level 60"),
        (20, "multi\nline \u{e9} \u{65e5}\u{672c}"),
    ];

    /// NT-02 against CPython 3.11's own class: pywin32 is replaced by stub modules carrying
    /// the Win32 constants and recording the calls, so `NTEventLogHandler.emit` runs off
    /// Windows; it must hand `ReportEvent` what our handler hands `ReportEventW`.
    #[test]
    fn same_events_as_cpython() {
        if !tracing_handlers_test_support::require("python3", "same_events_as_cpython") {
            return;
        }
        let records: Vec<String> = RECORDS
            .iter()
            .map(|(l, m)| format!("({l}, {m:?})"))
            .collect();
        let script = format!(
            r#"
import json, logging, logging.handlers, sys, types
calls = []
evt = types.ModuleType("win32evtlog")
evt.EVENTLOG_ERROR_TYPE, evt.EVENTLOG_WARNING_TYPE, evt.EVENTLOG_INFORMATION_TYPE = 1, 2, 4
util = types.ModuleType("win32evtlogutil")
util.__file__ = "C:/Python/Lib/site-packages/win32/lib/win32evtlogutil.py"
util.AddSourceToRegistry = lambda *a: calls.append(["register", *a])
util.ReportEvent = lambda *a: calls.append(["report", *a])
sys.modules["win32evtlog"], sys.modules["win32evtlogutil"] = evt, util
h = logging.handlers.NTEventLogHandler("Portal", logtype="Application")
h.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
for level, msg in [{records}]:
    h.handle(logging.LogRecord("portal.db", level, "app.py", 1, msg, None, None))
json.dump(calls, sys.stdout, ensure_ascii=False)
"#,
            records = records.join(", ")
        );
        let out = tracing_handlers_test_support::python(&script, b"", &[]);
        let text = String::from_utf8(out).unwrap();
        // [["register", "Portal", "<dll>", "Application"], ["report", "Portal", 1, 0, 4, ["DEBUG portal.db: debug"]], ...]
        let python: Vec<(EventType, u16, u32, String)> = text
            .split("[\"report\", \"Portal\", ")
            .skip(1)
            .map(|call| {
                let (nums, rest) = call.split_once(", [\"").unwrap();
                let n: Vec<u32> = nums.split(", ").map(|x| x.parse().unwrap()).collect();
                let msg = rest.rsplit_once("\"]]").unwrap().0;
                let msg = msg.replace("\\n", "\n");
                let ty = EventType::from_number(n[2] as u16).unwrap();
                (ty, n[1] as u16, n[0], msg)
            })
            .collect();
        assert!(text.starts_with("[[\"register\", \"Portal\", "), "{text}");
        assert!(
            text.contains("win32service.pyd\", \"Application\"]"),
            "{text}"
        );

        let h = capture(
            EventLogHandler::builder("Portal")
                .with_formatter(Formatter::percent("%(levelname)s %(name)s: %(message)s").unwrap()),
        );
        let fields = FieldSet::new();
        for &(level, msg) in RECORDS {
            h.handle(&Record::new(
                Level::from_number(level),
                "portal.db",
                msg,
                &fields,
            ));
        }
        assert_eq!(events(&h), python);
        assert_eq!(python.len(), RECORDS.len());
        assert_eq!(
            python[5].0,
            EventType::Error,
            "level 25 is an error (NT-02)"
        );
    }
}
