//! Record attributes by Python name, and their values with Python's types.

use std::io::Write as _;

use super::text::{repr_in_place, write_escaped_newlines};
use super::Formatter;
use crate::{Record, Value};

/// A name a format refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Attr {
    Asctime,
    Created,
    Msecs,
    RelativeCreated,
    LevelName,
    LevelNo,
    Name,
    Message,
    Msg,
    Args,
    Module,
    Filename,
    Pathname,
    Lineno,
    FuncName,
    Process,
    ProcessName,
    Thread,
    ThreadName,
    ExcInfo,
    ExcText,
    StackInfo,
    Target,
    Fields,
    Spans,
    /// Anything else: a field of the event (Python's `extra`), or a default.
    Extra(Box<str>),
}

impl Attr {
    pub(crate) fn from_name(name: &str) -> Attr {
        match name {
            "asctime" => Attr::Asctime,
            "created" => Attr::Created,
            "msecs" => Attr::Msecs,
            "relativeCreated" => Attr::RelativeCreated,
            "levelname" => Attr::LevelName,
            "levelno" => Attr::LevelNo,
            "name" => Attr::Name,
            "message" => Attr::Message,
            "msg" => Attr::Msg,
            "args" => Attr::Args,
            "module" => Attr::Module,
            "filename" => Attr::Filename,
            "pathname" => Attr::Pathname,
            "lineno" => Attr::Lineno,
            "funcName" => Attr::FuncName,
            "process" => Attr::Process,
            "processName" => Attr::ProcessName,
            "thread" => Attr::Thread,
            "threadName" => Attr::ThreadName,
            "exc_info" => Attr::ExcInfo,
            "exc_text" => Attr::ExcText,
            "stack_info" => Attr::StackInfo,
            "target" => Attr::Target,
            "fields" => Attr::Fields,
            "spans" => Attr::Spans,
            other => Attr::Extra(other.into()),
        }
    }

    /// The name as written in the format.
    pub(crate) fn name(&self) -> &str {
        match self {
            Attr::Asctime => "asctime",
            Attr::Created => "created",
            Attr::Msecs => "msecs",
            Attr::RelativeCreated => "relativeCreated",
            Attr::LevelName => "levelname",
            Attr::LevelNo => "levelno",
            Attr::Name => "name",
            Attr::Message => "message",
            Attr::Msg => "msg",
            Attr::Args => "args",
            Attr::Module => "module",
            Attr::Filename => "filename",
            Attr::Pathname => "pathname",
            Attr::Lineno => "lineno",
            Attr::FuncName => "funcName",
            Attr::Process => "process",
            Attr::ProcessName => "processName",
            Attr::Thread => "thread",
            Attr::ThreadName => "threadName",
            Attr::ExcInfo => "exc_info",
            Attr::ExcText => "exc_text",
            Attr::StackInfo => "stack_info",
            Attr::Target => "target",
            Attr::Fields => "fields",
            Attr::Spans => "spans",
            Attr::Extra(n) => n,
        }
    }
}

/// A value with its Python type.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Val<'a> {
    /// `str`.
    Str(&'a str),
    /// `int`.
    Int(i128),
    /// `float`.
    Float(f64),
    /// `bool`.
    Bool(bool),
    /// An object whose `str()` and `repr()` are this text (`None`, `()`).
    Object(&'static str),
    /// `str`: `Level N` for an unnamed level.
    UnnamedLevel(i32),
    /// `str`: the formatted time.
    Asctime,
    /// `str`: the fields as `k=v k=v`.
    Fields,
    /// `str`: the message with newlines escaped.
    EscapedMessage(&'a str),
}

/// What rendering a value needs besides the value.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ctx<'a, 'r> {
    pub(crate) record: &'a Record<'r>,
    pub(crate) formatter: &'a Formatter,
}

fn message_val<'a>(ctx: &Ctx<'_, 'a>) -> Val<'a> {
    let m = ctx.record.message;
    if ctx.formatter.escape_newlines && m.bytes().any(|b| b == b'\n' || b == b'\r') {
        Val::EscapedMessage(m)
    } else {
        Val::Str(m)
    }
}

/// The value of `attr` for the record, or `None` when the record lacks the field and no
/// default names it.
pub(crate) fn resolve<'a>(attr: &'a Attr, ctx: &Ctx<'a, 'a>) -> Option<Val<'a>> {
    let r = ctx.record;
    Some(match attr {
        Attr::Asctime => Val::Asctime,
        Attr::Created => Val::Float(r.created_secs_f64()),
        Attr::Msecs => Val::Float(f64::from(r.msecs())),
        Attr::RelativeCreated => Val::Float(r.relative_created),
        Attr::LevelName => match r.level.as_str() {
            Some(s) => Val::Str(s),
            None => Val::UnnamedLevel(r.level.number()),
        },
        Attr::LevelNo => Val::Int(r.level.number().into()),
        Attr::Name => Val::Str(r.name),
        Attr::Message | Attr::Msg => message_val(ctx),
        Attr::Args => Val::Object("()"),
        Attr::Module => Val::Str(r.module().unwrap_or("")),
        Attr::Filename => Val::Str(r.filename().unwrap_or("")),
        Attr::Pathname => Val::Str(r.file.unwrap_or("")),
        Attr::Lineno => Val::Int(r.line.unwrap_or(0).into()),
        Attr::FuncName => match r.func_name {
            Some(f) => Val::Str(f),
            None => Val::Object("None"),
        },
        Attr::Process => Val::Int(r.process_id.into()),
        Attr::ProcessName => Val::Str(r.process_name),
        Attr::Thread => Val::Int(r.thread_id.into()),
        Attr::ThreadName => Val::Str(r.thread_name),
        Attr::ExcInfo | Attr::ExcText | Attr::StackInfo => Val::Object("None"),
        Attr::Target => Val::Str(r.target),
        Attr::Fields => Val::Fields,
        Attr::Spans => Val::Str(r.spans.unwrap_or("")),
        Attr::Extra(name) => match r.fields.get(name) {
            Some(v) => from_value(v),
            None => {
                let (_, v) = ctx.formatter.defaults.iter().find(|(k, _)| **k == **name)?;
                Val::Str(v)
            }
        },
    })
}

fn from_value(v: Value<'_>) -> Val<'_> {
    match v {
        Value::Str(s) => Val::Str(s),
        Value::I64(n) => Val::Int(n.into()),
        Value::U64(n) => Val::Int(n.into()),
        Value::F64(x) => Val::Float(x),
        Value::Bool(b) => Val::Bool(b),
    }
}

struct VecWriter<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for VecWriter<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// Writes Python's `repr(float)`.
pub(crate) fn write_float_repr(out: &mut Vec<u8>, x: f64) {
    let _ = crate::pyfloat::write_repr(&mut VecWriter(out), x);
}

/// Writes a field value as `Value`'s `Display` (Python's `str()`).
pub(crate) fn write_value(out: &mut Vec<u8>, v: Value<'_>) {
    match v {
        Value::Str(s) => out.extend_from_slice(s.as_bytes()),
        Value::I64(n) => {
            let _ = write!(out, "{n}");
        }
        Value::U64(n) => {
            let _ = write!(out, "{n}");
        }
        Value::F64(x) => write_float_repr(out, x),
        Value::Bool(b) => out.extend_from_slice(if b { b"True" } else { b"False" }),
    }
}

/// Writes Python's `str(value)`.
pub(crate) fn write_str(out: &mut Vec<u8>, val: &Val<'_>, ctx: &Ctx<'_, '_>) {
    match *val {
        Val::Str(s) => out.extend_from_slice(s.as_bytes()),
        Val::Int(n) => {
            let _ = write!(out, "{n}");
        }
        Val::Float(x) => write_float_repr(out, x),
        Val::Bool(b) => out.extend_from_slice(if b { b"True" } else { b"False" }),
        Val::Object(s) => out.extend_from_slice(s.as_bytes()),
        Val::UnnamedLevel(n) => {
            let _ = write!(out, "Level {n}");
        }
        Val::Asctime => ctx.formatter.write_asctime(ctx.record, out),
        Val::Fields => {
            for (i, (k, v)) in ctx.record.fields.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                out.extend_from_slice(k.as_bytes());
                out.push(b'=');
                write_value(out, v);
            }
        }
        Val::EscapedMessage(m) => write_escaped_newlines(out, m),
    }
}

/// Writes Python's `repr(value)` (`ascii(value)` when `ascii`).
pub(crate) fn write_repr(out: &mut Vec<u8>, val: &Val<'_>, ctx: &Ctx<'_, '_>, ascii: bool) {
    let start = out.len();
    write_str(out, val, ctx);
    if matches!(
        val,
        Val::Str(_) | Val::UnnamedLevel(_) | Val::Asctime | Val::Fields | Val::EscapedMessage(_)
    ) {
        repr_in_place(out, start, ascii);
    }
}
