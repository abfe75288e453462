//! Records as they arrive from a peer: built from a pickled record dict or a JSON line, owning
//! their text, and lent to the dispatch layer as a [`Record`].

use std::fmt;
use std::time::SystemTime;

use serde_json::Value as Json;
use tracing_handlers_core::{
    relative_created_ms, system_time_from_secs_f64, FieldSet, Level, Record,
};

use crate::pickle::{PickleValue, RECORD_KEYS};

/// Why a received frame or line is not a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError(String);

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RecordError {}

/// A record received from a peer (CPython's `SocketHandler`, ours, or a JSON-lines sender),
/// owning its text.
///
/// Every attribute of the sender's record is kept: logger name, level by number (an unnamed
/// level stays a number and prints as `Level 25`), message, `created` (so `asctime` and
/// `msecs` are the sender's), `relativeCreated`, source location, process and thread with
/// their names, and every extra key as a field.
///
/// ```
/// use tracing_handlers_socket::ReceivedRecord;
///
/// let line = br#"{"time":"2023-11-14T22:13:20.5Z","levelno":25,"logger":"portal.api","message":"hi","fields":{"user":"bob"},"process":7,"thread":9,"host":"web1"}"#;
/// let r = ReceivedRecord::from_json(line)?;
/// let record = r.record();
/// assert_eq!(record.level.to_string(), "Level 25");
/// assert_eq!(record.name, "portal.api");
/// assert_eq!(record.msecs(), 500);
/// assert_eq!(record.fields.get("user").unwrap().to_string(), "bob");
/// assert_eq!(record.fields.get("host").unwrap().to_string(), "web1");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct ReceivedRecord {
    /// The level (`levelno`).
    pub level: Level,
    /// The logger name (`name`); `root` for the root logger.
    pub name: String,
    /// The message (`msg`, already merged by the sender), with `exc_text` and `stack_info`
    /// appended as CPython's `Formatter` appends them.
    pub message: String,
    /// The extra fields.
    pub fields: FieldSet,
    /// `created`.
    pub created: SystemTime,
    /// `relativeCreated`, in milliseconds.
    pub relative_created: f64,
    /// `pathname` (`None` when empty or absent).
    pub file: Option<String>,
    /// `lineno` (`None` when 0 or absent).
    pub line: Option<u32>,
    /// `funcName`.
    pub func_name: Option<String>,
    /// `thread`.
    pub thread_id: u64,
    /// `threadName`.
    pub thread_name: String,
    /// `process`.
    pub process_id: u32,
    /// `processName`.
    pub process_name: String,
}

impl ReceivedRecord {
    fn empty() -> Self {
        let created = SystemTime::now();
        ReceivedRecord {
            level: Level::NOTSET,
            name: "root".to_owned(),
            message: String::new(),
            fields: FieldSet::new(),
            created,
            relative_created: relative_created_ms(created),
            file: None,
            line: None,
            func_name: None,
            thread_id: 0,
            thread_name: String::new(),
            process_id: 0,
            process_name: String::new(),
        }
    }

    /// The record as the dispatch layer takes it.
    pub fn record(&self) -> Record<'_> {
        let mut r = Record::new(self.level, &self.name, &self.message, &self.fields);
        r.created = self.created;
        r.relative_created = self.relative_created;
        r.file = self.file.as_deref();
        r.line = self.line;
        r.func_name = self.func_name.as_deref();
        r.thread_id = self.thread_id;
        r.thread_name = &self.thread_name;
        r.process_id = self.process_id;
        r.process_name = &self.process_name;
        r
    }

    /// Appends `exc_text` / `stack_info` to the message as CPython's `Formatter.format`
    /// appends them to the formatted record.
    fn append_text(&mut self, text: &str, exc: bool) {
        if text.is_empty() {
            return;
        }
        if exc {
            if !self.message.ends_with('\n') {
                self.message.push('\n');
            }
        } else {
            self.message.push('\n');
        }
        self.message.push_str(text);
    }

    /// A record from the dict CPython's `SocketHandler` pickles (`pickle.loads` of a frame's
    /// payload).
    ///
    /// # Errors
    ///
    /// The value is not a dict, or `levelno` is missing or not an integer.
    pub fn from_pickle(value: &PickleValue) -> Result<Self, RecordError> {
        let PickleValue::Dict(items) = value else {
            return Err(RecordError("the frame is not a dict".to_owned()));
        };
        let mut r = Self::empty();
        let get = |key: &str| value.get(key);
        let int = |key: &str| match get(key) {
            Some(PickleValue::Int(n)) => Some(*n),
            Some(PickleValue::Bool(b)) => Some((*b).into()),
            _ => None,
        };
        let float = |key: &str| match get(key) {
            Some(PickleValue::Float(x)) => Some(*x),
            Some(PickleValue::Int(n)) => Some(*n as f64),
            _ => None,
        };
        let text = |key: &str| match get(key) {
            Some(PickleValue::Str(s)) => Some(s.clone()),
            _ => None,
        };
        r.level = match (int("levelno"), text("levelname")) {
            (Some(n), _) => Level::from_number(n.clamp(i32::MIN.into(), i32::MAX.into()) as i32),
            (None, Some(name)) => Level::parse_python(&name)
                .map_err(|_| RecordError(format!("no levelno and unknown levelname '{name}'")))?,
            (None, None) => return Err(RecordError("the record has no levelno".to_owned())),
        };
        if let Some(name) = text("name") {
            r.name = name;
        }
        if let Some(msg) = get("msg") {
            msg.write_python_str(&mut r.message);
        }
        if let Some(created) = float("created") {
            r.created = system_time_from_secs_f64(created);
            r.relative_created = relative_created_ms(r.created);
        }
        if let Some(rel) = float("relativeCreated") {
            r.relative_created = rel;
        }
        r.file = text("pathname").filter(|p| !p.is_empty());
        r.line = int("lineno")
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| *n > 0);
        r.func_name = text("funcName");
        r.thread_id = int("thread")
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(0);
        r.thread_name = text("threadName").unwrap_or_default();
        r.process_id = int("process")
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(0);
        r.process_name = text("processName").unwrap_or_default();
        if let Some(t) = text("exc_text") {
            r.append_text(&t, true);
        }
        if let Some(t) = text("stack_info") {
            r.append_text(&t, false);
        }
        let mut scratch = String::new();
        for (k, v) in items {
            let PickleValue::Str(key) = k else { continue };
            if RECORD_KEYS.contains(&key.as_str()) || matches!(key.as_str(), "message" | "asctime")
            {
                continue;
            }
            match v {
                PickleValue::Str(s) => r.fields.push_str(key, s),
                PickleValue::Int(n) => match (i64::try_from(*n), u64::try_from(*n)) {
                    (Ok(i), _) => r.fields.push_i64(key, i),
                    (_, Ok(u)) => r.fields.push_u64(key, u),
                    _ => r.fields.push_display(key, n),
                },
                PickleValue::Float(x) => r.fields.push_f64(key, *x),
                PickleValue::Bool(b) => r.fields.push_bool(key, *b),
                other => {
                    scratch.clear();
                    other.write_python_str(&mut scratch);
                    r.fields.push_str(key, &scratch);
                }
            }
        }
        Ok(r)
    }

    /// A record from one JSON line: the keys [`SocketHandler`](crate::SocketHandler) writes
    /// (`time`, `level`, `levelno`, `logger`, `message`, `fields`, `process`, `thread`,
    /// `threadName`, `host`, `file`, `line`), or Python's attribute names (`created`,
    /// `levelname`, `name`, `msg`, `pathname`, `lineno`, `funcName`, `processName`). `time`
    /// is RFC 3339 text or seconds since the epoch. The members of `fields` and any other
    /// top-level key (`host` among them) become fields, in the line's order.
    ///
    /// # Errors
    ///
    /// Not a JSON object, or neither `levelno` nor a known `level`/`levelname`.
    pub fn from_json(line: &[u8]) -> Result<Self, RecordError> {
        let value: Json =
            serde_json::from_slice(line).map_err(|e| RecordError(format!("bad JSON line: {e}")))?;
        let Json::Object(map) = value else {
            return Err(RecordError("the JSON line is not an object".to_owned()));
        };
        let mut r = Self::empty();
        let str_of = |k: &str| map.get(k).and_then(Json::as_str).map(str::to_owned);
        let num = |k: &str| map.get(k).and_then(Json::as_f64);
        let level_name = str_of("level").or_else(|| str_of("levelname"));
        r.level = match (map.get("levelno").and_then(Json::as_i64), level_name) {
            (Some(n), _) => Level::from_number(n.clamp(i32::MIN.into(), i32::MAX.into()) as i32),
            (None, Some(name)) => name
                .parse::<Level>()
                .map_err(|_| RecordError(format!("no levelno and unknown level '{name}'")))?,
            (None, None) => return Err(RecordError("the line has no level".to_owned())),
        };
        if let Some(name) = str_of("logger").or_else(|| str_of("name")) {
            r.name = name;
        }
        match map.get("message").or_else(|| map.get("msg")) {
            Some(Json::String(s)) => r.message.clone_from(s),
            Some(Json::Null) | None => {}
            Some(other) => r.message = other.to_string(),
        }
        let created = match map.get("time") {
            Some(Json::String(s)) => Some(SystemTime::from(
                s.parse::<jiff::Timestamp>()
                    .map_err(|e| RecordError(format!("bad time '{s}': {e}")))?,
            )),
            Some(Json::Number(n)) => n.as_f64().map(system_time_from_secs_f64),
            _ => num("created").map(system_time_from_secs_f64),
        };
        if let Some(c) = created {
            r.created = c;
            r.relative_created = relative_created_ms(c);
        }
        if let Some(rel) = num("relativeCreated") {
            r.relative_created = rel;
        }
        r.file = str_of("file")
            .or_else(|| str_of("pathname"))
            .filter(|p| !p.is_empty());
        r.line = map
            .get("line")
            .or_else(|| map.get("lineno"))
            .and_then(Json::as_u64)
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| *n > 0);
        r.func_name = str_of("funcName");
        r.thread_id = map.get("thread").and_then(Json::as_u64).unwrap_or(0);
        r.thread_name = str_of("threadName").unwrap_or_default();
        r.process_id = map
            .get("process")
            .and_then(Json::as_u64)
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(0);
        r.process_name = str_of("processName").unwrap_or_default();
        if let Some(t) = str_of("exc_text") {
            r.append_text(&t, true);
        }
        if let Some(t) = str_of("stack_info") {
            r.append_text(&t, false);
        }
        const KNOWN: &[&str] = &[
            "time",
            "level",
            "levelname",
            "levelno",
            "logger",
            "name",
            "message",
            "msg",
            "created",
            "msecs",
            "relativeCreated",
            "file",
            "pathname",
            "filename",
            "module",
            "line",
            "lineno",
            "funcName",
            "thread",
            "threadName",
            "process",
            "processName",
            "exc_text",
            "exc_info",
            "stack_info",
            "args",
            "asctime",
            "target",
            "fields",
            "spans",
        ];
        if let Some(Json::Object(fields)) = map.get("fields") {
            for (k, v) in fields {
                push_json(&mut r.fields, k, v);
            }
        }
        for (k, v) in &map {
            if !KNOWN.contains(&k.as_str()) {
                push_json(&mut r.fields, k, v);
            }
        }
        Ok(r)
    }
}

fn push_json(fields: &mut FieldSet, key: &str, v: &Json) {
    match v {
        Json::String(s) => fields.push_str(key, s),
        Json::Bool(b) => fields.push_bool(key, *b),
        Json::Null => fields.push_str(key, "None"),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                fields.push_i64(key, i);
            } else if let Some(u) = n.as_u64() {
                fields.push_u64(key, u);
            } else if let Some(x) = n.as_f64() {
                fields.push_f64(key, x);
            }
        }
        other => fields.push_display(key, other),
    }
}
