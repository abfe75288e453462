//! The builder: Python's `NTEventLogHandler(appname, dllname=None, logtype='Application')`
//! plus our options.

use std::sync::Arc;

use tracing_handlers_core::{Format, Formatter, Handler};
use tracing_handlers_eventlog_sys::{
    check_name, EventType, LevelMap, DEFAULT_CATEGORY, DEFAULT_EVENT_ID, DEFAULT_LOGTYPE,
    DEFAULT_MESSAGE_FILE, MAX_STRING_UNITS,
};

use crate::encoder::Encoder;
use crate::error::EventLogError;
use crate::handler::EventLogHandler;
use crate::null::NullEventLog;

/// Options of an [`EventLogHandler`]: Python's three parameters, then ours.
///
/// | option | default |
/// |---|---|
/// | `appname` ([`EventLogHandler::builder`]; Python `appname`) | required: the event source |
/// | [`with_dllname`](Self::with_dllname) (Python `dllname`) | [`DEFAULT_MESSAGE_FILE`] (.NET's `EventLogMessages.dll`: every id shows the text alone) |
/// | [`with_logtype`](Self::with_logtype) (Python `logtype`) | `Application` |
/// | [`with_formatter`](Self::with_formatter) | the bare message (Python's default `Formatter`) |
/// | [`with_event_types`](Self::with_event_types) | Python's: DEBUG, INFO (and TRACE) Information; WARNING Warning; ERROR, CRITICAL and any other level Error |
/// | [`with_event_ids`](Self::with_event_ids) / [`with_event_id`](Self::with_event_id) | 1 for every level (Python's `getMessageID`) |
/// | [`with_categories`](Self::with_categories) / [`with_category`](Self::with_category) | 0 for every level (Python's `getEventCategory`) |
/// | [`with_registration`](Self::with_registration) | on: write the source's registry key at build, as Python (a failure is reported, not returned) |
/// | [`with_max_message_units`](Self::with_max_message_units) | [`MAX_STRING_UNITS`] (31,839 UTF-16 units, `ReportEventW`'s limit) |
///
/// ```
/// use tracing_handlers_core::Formatter;
/// use tracing_handlers_eventlog::{EventLogError, EventLogHandler, EventType, LevelMap};
///
/// let mut ids = LevelMap::uniform(100u32);
/// ids.error = 200;
/// ids.critical = 300;
/// let builder = EventLogHandler::builder("Portal")
///     .with_logtype("Application")
///     .with_formatter(Formatter::percent("%(name)s: %(message)s")?)
///     .with_event_ids(ids)
///     .with_category(2);
/// assert_eq!(builder.event_type(25), EventType::Error);
/// match builder.build() {
///     Ok(handler) => { /* on Windows: hand it to the facade's Builder */ }
///     Err(EventLogError::Unsupported) => assert!(!cfg!(windows)),
///     Err(e) => return Err(e.into()),
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
#[must_use]
pub struct EventLogBuilder {
    pub(crate) appname: String,
    pub(crate) dllname: Option<String>,
    pub(crate) logtype: String,
    formatter: Option<Box<dyn Format>>,
    types: LevelMap<EventType>,
    ids: LevelMap<u32>,
    categories: LevelMap<u16>,
    pub(crate) register: bool,
    max_units: usize,
}

impl EventLogBuilder {
    /// A builder for the event source `appname` with Python's defaults.
    pub fn new(appname: impl Into<String>) -> Self {
        EventLogBuilder {
            appname: appname.into(),
            dllname: None,
            logtype: DEFAULT_LOGTYPE.to_owned(),
            formatter: None,
            types: LevelMap::event_types(),
            ids: LevelMap::uniform(DEFAULT_EVENT_ID),
            categories: LevelMap::uniform(DEFAULT_CATEGORY),
            register: true,
            max_units: MAX_STRING_UNITS,
        }
    }

    /// The message file registered as the source's `EventMessageFile` (Python's `dllname`;
    /// `%SystemRoot%`-style variables allowed, it is a REG_EXPAND_SZ).
    pub fn with_dllname(mut self, dllname: impl Into<String>) -> Self {
        self.dllname = Some(dllname.into());
        self
    }

    /// The log the source belongs to (Python's `logtype`): `Application` by default.
    pub fn with_logtype(mut self, logtype: impl Into<String>) -> Self {
        self.logtype = logtype.into();
        self
    }

    /// Formats each record into the event text.
    pub fn with_formatter(mut self, formatter: impl Format + 'static) -> Self {
        self.formatter = Some(Box::new(formatter));
        self
    }

    /// Uses an already boxed formatter.
    pub fn with_boxed_formatter(mut self, formatter: Box<dyn Format>) -> Self {
        self.formatter = Some(formatter);
        self
    }

    /// The event type per level (Python's `typemap` and `deftype`).
    pub fn with_event_types(mut self, types: LevelMap<EventType>) -> Self {
        self.types = types;
        self
    }

    /// The event id per level (Python: 1 for all).
    pub fn with_event_ids(mut self, ids: LevelMap<u32>) -> Self {
        self.ids = ids;
        self
    }

    /// One event id for every level.
    pub fn with_event_id(self, id: u32) -> Self {
        self.with_event_ids(LevelMap::uniform(id))
    }

    /// The category per level (Python: 0 for all).
    pub fn with_categories(mut self, categories: LevelMap<u16>) -> Self {
        self.categories = categories;
        self
    }

    /// One category for every level.
    pub fn with_category(self, category: u16) -> Self {
        self.with_categories(LevelMap::uniform(category))
    }

    /// Whether `build` writes the source's registry key (`HKLM\SYSTEM\CurrentControlSet\
    /// Services\EventLog\<logtype>\<appname>`) as Python does. That needs administrator
    /// rights; without them the failure is reported once and the handler still reports
    /// events (Windows then shows them with a "description cannot be found" preamble unless
    /// the source was registered at install time). Turn it off when an installer registers
    /// the source.
    pub fn with_registration(mut self, register: bool) -> Self {
        self.register = register;
        self
    }

    /// Cuts event texts longer than `units` UTF-16 code units (at most
    /// [`MAX_STRING_UNITS`]), ending them with `...[truncated from N characters]`; the first
    /// cut is reported.
    pub fn with_max_message_units(mut self, units: usize) -> Self {
        self.max_units = units.min(MAX_STRING_UNITS);
        self
    }

    /// The event source name.
    pub fn appname(&self) -> &str {
        &self.appname
    }

    /// The log name.
    pub fn logtype(&self) -> &str {
        &self.logtype
    }

    /// The message file that registration writes.
    pub fn dllname(&self) -> &str {
        self.dllname.as_deref().unwrap_or(DEFAULT_MESSAGE_FILE)
    }

    /// The event type a record at level number `levelno` gets (Python's `getEventType`).
    pub fn event_type(&self, levelno: i32) -> EventType {
        self.types.get(levelno)
    }

    /// The event id a record at level number `levelno` gets (Python's `getMessageID`).
    pub fn event_id(&self, levelno: i32) -> u32 {
        self.ids.get(levelno)
    }

    /// The category a record at level number `levelno` gets (Python's
    /// `getEventCategory`).
    pub fn category(&self, levelno: i32) -> u16 {
        self.categories.get(levelno)
    }

    /// How reports name the handler: `eventlog Application/Portal`.
    pub fn describe(&self) -> String {
        format!("eventlog {}/{}", self.logtype, self.appname)
    }

    /// Checks the names (what `build` checks before touching Windows).
    ///
    /// # Errors
    ///
    /// [`EventLogError::InvalidName`] for an `appname` or `logtype` that cannot name a
    /// registry key.
    pub fn validate(&self) -> Result<(), EventLogError> {
        check_name("appname", &self.appname).map_err(EventLogError::InvalidName)?;
        check_name("logtype", &self.logtype).map_err(EventLogError::InvalidName)
    }

    /// Registers the source (unless turned off; failures are reported) and opens it.
    ///
    /// # Errors
    ///
    /// [`EventLogError::Unsupported`] outside Windows; [`EventLogError::InvalidName`];
    /// [`EventLogError::Open`] when `RegisterEventSourceW` fails.
    pub fn build(self) -> Result<EventLogHandler, EventLogError> {
        self.validate()?;
        crate::handler::open(self)
    }

    /// [`build`](Self::build) on Windows; elsewhere a [`NullEventLog`] that reports once
    /// that the event log is not available and drops every record (Python's behaviour off
    /// Windows). For code that runs on every platform with one configuration.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tracing_handlers_eventlog::EventLogHandler;
    ///
    /// let handler: Arc<dyn tracing_handlers_core::Handler> =
    ///     EventLogHandler::builder("Portal").build_or_null()?;
    /// // tracing_handlers::Builder::new().shared_handler("eventlog", Level::WARNING, handler)
    /// # drop(handler);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`build`](Self::build), except `Unsupported`.
    pub fn build_or_null(self) -> Result<Arc<dyn Handler>, EventLogError> {
        self.validate()?;
        let describe = self.describe();
        match crate::handler::open(self) {
            Ok(handler) => Ok(Arc::new(handler)),
            Err(EventLogError::Unsupported) => Ok(Arc::new(NullEventLog::new(describe))),
            Err(e) => Err(e),
        }
    }

    pub(crate) fn into_encoder(self) -> Encoder {
        Encoder {
            formatter: self
                .formatter
                .unwrap_or_else(|| Box::new(Formatter::default())),
            types: self.types,
            ids: self.ids,
            categories: self.categories,
            max_units: self.max_units,
        }
    }
}
