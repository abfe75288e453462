//! The validated configuration: one model for `logging.conf`, TOML and JSON.
//!
//! Loaders turn a file into a [`Config`]; [`build`](crate::build) turns a `Config` into the
//! dispatch layer's handler set.

use tracing_handlers_core::{Level, Style};

use crate::error::Location;

/// A value from `args`/`kwargs` (or a TOML/JSON handler key): Python's literals plus the names
/// real configurations use.
#[derive(Debug, Clone, PartialEq)]
pub enum PyValue {
    /// `None` (JSON `null`).
    None,
    /// `True`/`False`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Str(String),
    /// A tuple.
    Tuple(Vec<PyValue>),
    /// A list.
    List(Vec<PyValue>),
    /// A dict, in source order.
    Dict(Vec<(PyValue, PyValue)>),
    /// `sys.stdout` (also `ext://sys.stdout`).
    Stdout,
    /// `sys.stderr` (also `ext://sys.stderr`).
    Stderr,
}

impl PyValue {
    /// Python's name for the value's type, for messages (`str`, `int`, `tuple`).
    pub fn type_name(&self) -> &'static str {
        match self {
            PyValue::None => "NoneType",
            PyValue::Bool(_) => "bool",
            PyValue::Int(_) => "int",
            PyValue::Float(_) => "float",
            PyValue::Str(_) => "str",
            PyValue::Tuple(_) => "tuple",
            PyValue::List(_) => "list",
            PyValue::Dict(_) => "dict",
            PyValue::Stdout | PyValue::Stderr => "stream",
        }
    }
}

/// A value with where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// Where it was written.
    pub location: Location,
    /// The text as written (for messages).
    pub text: String,
}

/// A formatter definition (`[formatter_x]` or `formatters.x`).
#[derive(Debug, Clone, PartialEq)]
pub struct FormatterDef {
    /// The formatter's name (the key).
    pub name: String,
    /// `format`; `None` is the style's default (`%(message)s`).
    pub format: Option<String>,
    /// `datefmt`.
    pub datefmt: Option<String>,
    /// `style`.
    pub style: Style,
    /// Time in UTC instead of local time (our extension: `utc = true`).
    pub utc: bool,
    /// A JSON formatter (our extension: `class = "json"` or `tracing_handlers.JsonFormatter`).
    pub json: bool,
    /// Where the definition starts.
    pub location: Location,
}

/// A handler definition (`[handler_x]` or `handlers.x`).
#[derive(Debug, Clone, PartialEq)]
pub struct HandlerDef {
    /// The handler's name (the key).
    pub name: String,
    /// `class`, as written (`StreamHandler`, `handlers.RotatingFileHandler`,
    /// `logging.handlers.SysLogHandler`).
    pub class: Located<String>,
    /// `level`.
    pub level: Option<Level>,
    /// `formatter`: the name of a formatter definition.
    pub formatter: Option<Located<String>>,
    /// Positional `args` (fileConfig only).
    pub args: Vec<Located<PyValue>>,
    /// Keyword arguments (`kwargs` in fileConfig; every other key in dictConfig), in order.
    pub kwargs: Vec<(String, Located<PyValue>)>,
    /// Where the definition starts.
    pub location: Location,
}

/// A logger definition (`[logger_x]`, `loggers.x`, or the root).
#[derive(Debug, Clone, PartialEq)]
pub struct LoggerDef {
    /// The dotted logger name (`qualname`); `root` for the root logger.
    pub name: String,
    /// `level`; `None` leaves the level as it is (NOTSET for a new logger, WARNING for root).
    pub level: Option<Level>,
    /// `propagate`; fileConfig's default is true.
    pub propagate: bool,
    /// The handlers by name, duplicates removed, in order.
    pub handlers: Vec<Located<String>>,
    /// Where the definition starts.
    pub location: Location,
}

/// A whole configuration, validated for syntax and references.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The formatters, in definition order.
    pub formatters: Vec<FormatterDef>,
    /// The handlers, in `[handlers] keys` order (dictConfig: sorted by name, as Python).
    pub handlers: Vec<HandlerDef>,
    /// The root logger.
    pub root: LoggerDef,
    /// The other loggers, in definition order.
    pub loggers: Vec<LoggerDef>,
    /// `disable_existing_loggers` (default true, as Python). Accepted and documented: loggers
    /// not named in the file have no configuration of their own here, so they inherit from
    /// their ancestors either way.
    pub disable_existing_loggers: bool,
}
