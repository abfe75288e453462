//! The pickle subset of Python's `SocketHandler`: a writer that emits what CPython's
//! `pickle.dumps(d, protocol=1)` emits for a record dict, and a restricted reader that accepts
//! only data opcodes.
//!
//! The reader never imports, calls or builds objects: `GLOBAL`, `STACK_GLOBAL`, `REDUCE`,
//! `BUILD`, `INST`, `OBJ`, `NEWOBJ`, `NEWOBJ_EX`, `EXT1/2/4`, `PERSID`, `BINPERSID` and any
//! unknown opcode are errors. It bounds what a frame can make it allocate: the nesting depth,
//! the number of values (memo copies included) and the bytes of text.
//!
//! ```
//! use tracing_handlers_socket::pickle::{load, PickleLimits, PickleValue};
//!
//! // CPython: pickle.dumps({'msg': 'hi', 'levelno': 20}, protocol=1)
//! let bytes = b"}q\x00(X\x03\x00\x00\x00msgq\x01X\x02\x00\x00\x00hiq\x02X\x07\x00\x00\x00levelnoq\x03K\x14u.";
//! let value = load(bytes, &PickleLimits::default())?;
//! assert_eq!(value.get("msg"), Some(&PickleValue::Str("hi".into())));
//! assert_eq!(value.get("levelno"), Some(&PickleValue::Int(20)));
//!
//! // pickle.dumps(os.system) and friends are refused.
//! let err = load(b"cos\nsystem\n.", &PickleLimits::default()).unwrap_err();
//! assert!(err.to_string().contains("GLOBAL"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::HashMap;
use std::fmt;

use tracing_handlers_core::{Record, Value};

/// A value a data-only pickle can hold.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PickleValue {
    /// `None`.
    None,
    /// `True` / `False`.
    Bool(bool),
    /// An integer (pickled integers wider than 128 bits are refused).
    Int(i128),
    /// A float.
    Float(f64),
    /// A `str`.
    Str(String),
    /// A `bytes` (or a Python 2 `str`).
    Bytes(Vec<u8>),
    /// A list.
    List(Vec<PickleValue>),
    /// A tuple.
    Tuple(Vec<PickleValue>),
    /// A dict, in insertion order (a key set twice keeps both entries; [`get`](Self::get)
    /// returns the last, as Python keeps the last).
    Dict(Vec<(PickleValue, PickleValue)>),
}

impl PickleValue {
    /// The value of the last entry with the string key `key`, when `self` is a dict.
    pub fn get(&self, key: &str) -> Option<&PickleValue> {
        match self {
            PickleValue::Dict(items) => items
                .iter()
                .rev()
                .find(|(k, _)| matches!(k, PickleValue::Str(s) if s == key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// Writes the value as Python's `str()` would (`repr()` inside containers).
    pub fn write_python_str(&self, out: &mut String) {
        match self {
            PickleValue::Str(s) => out.push_str(s),
            other => other.write_python_repr(out),
        }
    }

    /// Writes the value as Python's `repr()` would (close enough for logging: strings are
    /// quoted with `'` and escape `\\`, `'` and control characters).
    pub fn write_python_repr(&self, out: &mut String) {
        use std::fmt::Write as _;
        match self {
            PickleValue::None => out.push_str("None"),
            PickleValue::Bool(true) => out.push_str("True"),
            PickleValue::Bool(false) => out.push_str("False"),
            PickleValue::Int(n) => {
                let _ = write!(out, "{n}");
            }
            PickleValue::Float(x) => {
                let _ = write!(out, "{}", Value::F64(*x));
            }
            PickleValue::Str(s) => {
                out.push('\'');
                for c in s.chars() {
                    match c {
                        '\\' => out.push_str("\\\\"),
                        '\'' => out.push_str("\\'"),
                        '\n' => out.push_str("\\n"),
                        '\r' => out.push_str("\\r"),
                        '\t' => out.push_str("\\t"),
                        c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                            let _ = write!(out, "\\x{:02x}", c as u32);
                        }
                        c => out.push(c),
                    }
                }
                out.push('\'');
            }
            PickleValue::Bytes(b) => {
                out.push_str("b'");
                for &byte in b {
                    match byte {
                        b'\\' => out.push_str("\\\\"),
                        b'\'' => out.push_str("\\'"),
                        b'\n' => out.push_str("\\n"),
                        b'\r' => out.push_str("\\r"),
                        b'\t' => out.push_str("\\t"),
                        0x20..=0x7e => out.push(byte as char),
                        _ => {
                            let _ = write!(out, "\\x{byte:02x}");
                        }
                    }
                }
                out.push('\'');
            }
            PickleValue::List(items) => {
                out.push('[');
                write_items(items, out);
                out.push(']');
            }
            PickleValue::Tuple(items) => {
                out.push('(');
                write_items(items, out);
                if items.len() == 1 {
                    out.push(',');
                }
                out.push(')');
            }
            PickleValue::Dict(items) => {
                out.push('{');
                for (i, (k, v)) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    k.write_python_repr(out);
                    out.push_str(": ");
                    v.write_python_repr(out);
                }
                out.push('}');
            }
        }
    }
}

fn write_items(items: &[PickleValue], out: &mut String) {
    for (i, v) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        v.write_python_repr(out);
    }
}

/// Bounds on what one pickle may make the reader build.
///
/// | limit | default |
/// |---|---|
/// | `max_depth`: containers inside containers | 32 |
/// | `max_values`: values built, memo copies included | 100 000 |
/// | `max_text_bytes`: bytes of `str`/`bytes`, memo copies included | 4 MiB |
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PickleLimits {
    /// Deepest nesting of containers.
    pub max_depth: u32,
    /// Most values built in total.
    pub max_values: u64,
    /// Most bytes of text and bytes built in total.
    pub max_text_bytes: u64,
}

impl Default for PickleLimits {
    fn default() -> Self {
        PickleLimits {
            max_depth: 32,
            max_values: 100_000,
            max_text_bytes: 4 * 1024 * 1024,
        }
    }
}

/// Why a pickle was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickleError {
    offset: usize,
    message: String,
}

impl PickleError {
    fn new(offset: usize, message: impl Into<String>) -> Self {
        PickleError {
            offset,
            message: message.into(),
        }
    }

    /// The byte offset of the offending opcode.
    pub fn offset(&self) -> usize {
        self.offset
    }
}

impl fmt::Display for PickleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad pickle at byte {}: {}", self.offset, self.message)
    }
}

impl std::error::Error for PickleError {}

/// A value on the stack with its accounting.
#[derive(Debug, Clone)]
struct Item {
    value: PickleValue,
    depth: u32,
    values: u64,
    bytes: u64,
}

#[derive(Debug)]
enum Slot {
    Mark,
    Item(Item),
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    op_at: usize,
    stack: Vec<Slot>,
    memo: HashMap<u32, Item>,
    limits: PickleLimits,
    values: u64,
    bytes: u64,
}

/// Opcodes refused because they import, call or build objects.
fn forbidden_name(op: u8) -> Option<&'static str> {
    Some(match op {
        b'c' => "GLOBAL",
        0x93 => "STACK_GLOBAL",
        b'R' => "REDUCE",
        b'b' => "BUILD",
        b'i' => "INST",
        b'o' => "OBJ",
        0x81 => "NEWOBJ",
        0x92 => "NEWOBJ_EX",
        0x82 => "EXT1",
        0x83 => "EXT2",
        0x84 => "EXT4",
        b'P' => "PERSID",
        b'Q' => "BINPERSID",
        0x97 => "NEXT_BUFFER",
        0x98 => "READONLY_BUFFER",
        0x90 => "ADDITEMS",
        0x8f => "EMPTY_SET",
        0x91 => "FROZENSET",
        b'S' => "STRING",
        b'V' => "UNICODE",
        _ => return None,
    })
}

impl<'a> Reader<'a> {
    fn err(&self, message: impl Into<String>) -> PickleError {
        PickleError::new(self.op_at, message)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], PickleError> {
        if n > self.data.len() - self.pos {
            return Err(self.err(format!("truncated: {n} bytes announced")));
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn u8(&mut self) -> Result<u8, PickleError> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, PickleError> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32, PickleError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> Result<u64, PickleError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    /// A text argument ending in `\n` (at most 80 bytes).
    fn line(&mut self) -> Result<&'a str, PickleError> {
        let rest = &self.data[self.pos..];
        let end = rest
            .iter()
            .take(81)
            .position(|&b| b == b'\n')
            .ok_or_else(|| self.err("text argument without newline or too long"))?;
        let s =
            std::str::from_utf8(&rest[..end]).map_err(|_| self.err("text argument not ASCII"))?;
        self.pos += end + 1;
        Ok(s)
    }

    fn len_arg(&mut self, n: u64) -> Result<usize, PickleError> {
        let remaining = (self.data.len() - self.pos) as u64;
        if n > remaining {
            return Err(self.err(format!("announces {n} bytes but only {remaining} remain")));
        }
        Ok(n as usize)
    }

    fn charge(&mut self, values: u64, bytes: u64) -> Result<(), PickleError> {
        self.values += values;
        self.bytes += bytes;
        if self.values > self.limits.max_values {
            return Err(self.err(format!("more than {} values", self.limits.max_values)));
        }
        if self.bytes > self.limits.max_text_bytes {
            return Err(self.err(format!(
                "more than {} bytes of text",
                self.limits.max_text_bytes
            )));
        }
        Ok(())
    }

    fn push(&mut self, value: PickleValue) -> Result<(), PickleError> {
        let bytes = match &value {
            PickleValue::Str(s) => s.len() as u64,
            PickleValue::Bytes(b) => b.len() as u64,
            _ => 0,
        };
        self.charge(1, bytes)?;
        self.stack.push(Slot::Item(Item {
            value,
            depth: 0,
            values: 1,
            bytes,
        }));
        Ok(())
    }

    fn push_item(&mut self, item: Item) {
        self.stack.push(Slot::Item(item));
    }

    fn pop(&mut self) -> Result<Item, PickleError> {
        match self.stack.pop() {
            Some(Slot::Item(i)) => Ok(i),
            Some(Slot::Mark) => Err(self.err("expected a value, found a mark")),
            None => Err(self.err("stack underflow")),
        }
    }

    fn top(&mut self) -> Result<&mut Item, PickleError> {
        let at = self.op_at;
        match self.stack.last_mut() {
            Some(Slot::Item(i)) => Ok(i),
            _ => Err(PickleError::new(at, "expected a value on the stack")),
        }
    }

    /// The values above the topmost mark, which is removed.
    fn pop_mark(&mut self) -> Result<Vec<Item>, PickleError> {
        let at = self
            .stack
            .iter()
            .rposition(|s| matches!(s, Slot::Mark))
            .ok_or_else(|| self.err("no mark on the stack"))?;
        let items = self
            .stack
            .drain(at + 1..)
            .map(|s| match s {
                Slot::Item(i) => i,
                Slot::Mark => unreachable!("rposition found the last mark"),
            })
            .collect();
        self.stack.pop();
        Ok(items)
    }

    /// A container of `items`, checked against the depth limit.
    fn container(
        &mut self,
        items: Vec<Item>,
        make: impl FnOnce(Vec<PickleValue>) -> PickleValue,
    ) -> Result<Item, PickleError> {
        let depth = items.iter().map(|i| i.depth + 1).max().unwrap_or(1);
        if depth > self.limits.max_depth {
            return Err(self.err(format!("nested deeper than {}", self.limits.max_depth)));
        }
        self.charge(1, 0)?;
        let values = 1 + items.iter().map(|i| i.values).sum::<u64>();
        let bytes = items.iter().map(|i| i.bytes).sum();
        Ok(Item {
            value: make(items.into_iter().map(|i| i.value).collect()),
            depth,
            values,
            bytes,
        })
    }

    fn empty(&mut self, value: PickleValue) -> Result<(), PickleError> {
        self.charge(1, 0)?;
        self.push_item(Item {
            value,
            depth: 1,
            values: 1,
            bytes: 0,
        });
        Ok(())
    }

    /// Adds `children` to the list or dict on top of the stack.
    fn extend_top(&mut self, children: Vec<Item>, dict: bool) -> Result<(), PickleError> {
        if dict && children.len() % 2 != 0 {
            return Err(self.err("odd number of items for a dict"));
        }
        let max_depth = self.limits.max_depth;
        let at = self.op_at;
        let top = self.top()?;
        let depth = children.iter().map(|c| c.depth + 1).max().unwrap_or(0);
        if depth > max_depth {
            return Err(PickleError::new(
                at,
                format!("nested deeper than {max_depth}"),
            ));
        }
        top.depth = top.depth.max(depth);
        for c in &children {
            top.values += c.values;
            top.bytes += c.bytes;
        }
        match (&mut top.value, dict) {
            (PickleValue::List(list), false) => {
                list.extend(children.into_iter().map(|c| c.value));
            }
            (PickleValue::Dict(map), true) => {
                let mut it = children.into_iter();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    map.push((k.value, v.value));
                }
            }
            _ => {
                return Err(PickleError::new(
                    at,
                    if dict {
                        "SETITEM(S) on something other than a dict"
                    } else {
                        "APPEND(S) on something other than a list"
                    },
                ))
            }
        }
        Ok(())
    }

    fn memo_put(&mut self, index: u32) -> Result<(), PickleError> {
        if self.memo.len() as u64 >= self.limits.max_values && !self.memo.contains_key(&index) {
            return Err(self.err("too many memo entries"));
        }
        let item = self.top()?.clone();
        // The copy is what a later GET will clone: charge it once now.
        self.charge(item.values, item.bytes)?;
        self.memo.insert(index, item);
        Ok(())
    }

    fn memo_get(&mut self, index: u32) -> Result<(), PickleError> {
        let item = self
            .memo
            .get(&index)
            .ok_or_else(|| self.err(format!("memo key {index} was never stored")))?
            .clone();
        self.charge(item.values, item.bytes)?;
        self.push_item(item);
        Ok(())
    }

    fn string(&mut self, n: usize) -> Result<(), PickleError> {
        let raw = self.take(n)?;
        let s = std::str::from_utf8(raw).map_err(|_| self.err("str is not valid UTF-8"))?;
        self.push(PickleValue::Str(s.to_owned()))
    }

    fn long_bytes(&mut self, n: usize) -> Result<(), PickleError> {
        if n > 16 {
            return Err(self.err("integer wider than 128 bits"));
        }
        let raw = self.take(n)?;
        let mut v: i128 = 0;
        for (i, &b) in raw.iter().enumerate() {
            v |= (b as i128) << (8 * i);
        }
        if n > 0 && n < 16 && raw[n - 1] & 0x80 != 0 {
            v -= 1i128 << (8 * n);
        }
        self.push(PickleValue::Int(v))
    }

    fn run(&mut self) -> Result<PickleValue, PickleError> {
        loop {
            self.op_at = self.pos;
            let op = self
                .u8()
                .map_err(|_| PickleError::new(self.pos, "ends without STOP"))?;
            match op {
                b'.' => {
                    let item = self.pop()?;
                    return Ok(item.value);
                }
                0x80 => {
                    let proto = self.u8()?;
                    if proto > 5 {
                        return Err(self.err(format!("unsupported protocol {proto}")));
                    }
                }
                0x95 => {
                    // FRAME: an 8-byte length; the framed bytes follow inline.
                    self.u64()?;
                }
                b'(' => self.stack.push(Slot::Mark),
                b'0' => {
                    if self.stack.pop().is_none() {
                        return Err(self.err("stack underflow"));
                    }
                }
                b'1' => {
                    self.pop_mark()?;
                }
                b'2' => {
                    let item = self.top()?.clone();
                    self.charge(item.values, item.bytes)?;
                    self.push_item(item);
                }
                b'N' => self.push(PickleValue::None)?,
                0x88 => self.push(PickleValue::Bool(true))?,
                0x89 => self.push(PickleValue::Bool(false))?,
                b'I' => {
                    let text = self.line()?;
                    let v = match text {
                        "01" => PickleValue::Bool(true),
                        "00" => PickleValue::Bool(false),
                        t => PickleValue::Int(t.parse::<i128>().map_err(|_| self.err("bad INT"))?),
                    };
                    self.push(v)?;
                }
                b'L' => {
                    let text = self.line()?;
                    let t = text.strip_suffix('L').unwrap_or(text);
                    let n = t.parse::<i128>().map_err(|_| self.err("bad LONG"))?;
                    self.push(PickleValue::Int(n))?;
                }
                b'F' => {
                    let text = self.line()?;
                    let x = text.parse::<f64>().map_err(|_| self.err("bad FLOAT"))?;
                    self.push(PickleValue::Float(x))?;
                }
                b'J' => {
                    let n = self.u32()? as i32;
                    self.push(PickleValue::Int(n.into()))?;
                }
                b'K' => {
                    let n = self.u8()?;
                    self.push(PickleValue::Int(n.into()))?;
                }
                b'M' => {
                    let n = self.u16()?;
                    self.push(PickleValue::Int(n.into()))?;
                }
                0x8a => {
                    let n = self.u8()? as usize;
                    self.long_bytes(n)?;
                }
                0x8b => {
                    let n = self.u32()?;
                    let n = self.len_arg(n.into())?;
                    self.long_bytes(n)?;
                }
                b'G' => {
                    let b = self.take(8)?;
                    let mut a = [0u8; 8];
                    a.copy_from_slice(b);
                    self.push(PickleValue::Float(f64::from_be_bytes(a)))?;
                }
                b'X' => {
                    let n = self.u32()?;
                    let n = self.len_arg(n.into())?;
                    self.string(n)?;
                }
                0x8c => {
                    let n = self.u8()? as usize;
                    self.string(n)?;
                }
                0x8d => {
                    let n = self.u64()?;
                    let n = self.len_arg(n)?;
                    self.string(n)?;
                }
                b'T' | b'B' => {
                    let n = self.u32()?;
                    let n = self.len_arg(n.into())?;
                    let b = self.take(n)?.to_vec();
                    self.push(PickleValue::Bytes(b))?;
                }
                b'U' | b'C' => {
                    let n = self.u8()? as usize;
                    let b = self.take(n)?.to_vec();
                    self.push(PickleValue::Bytes(b))?;
                }
                0x8e => {
                    let n = self.u64()?;
                    let n = self.len_arg(n)?;
                    let b = self.take(n)?.to_vec();
                    self.push(PickleValue::Bytes(b))?;
                }
                b'}' => self.empty(PickleValue::Dict(Vec::new()))?,
                b']' => self.empty(PickleValue::List(Vec::new()))?,
                b')' => self.empty(PickleValue::Tuple(Vec::new()))?,
                b'd' => {
                    let items = self.pop_mark()?;
                    if items.len() % 2 != 0 {
                        return Err(self.err("odd number of items for a dict"));
                    }
                    let item = self.container(items, |vals| {
                        let mut map = Vec::with_capacity(vals.len() / 2);
                        let mut it = vals.into_iter();
                        while let (Some(k), Some(v)) = (it.next(), it.next()) {
                            map.push((k, v));
                        }
                        PickleValue::Dict(map)
                    })?;
                    self.push_item(item);
                }
                b'l' => {
                    let items = self.pop_mark()?;
                    let item = self.container(items, PickleValue::List)?;
                    self.push_item(item);
                }
                b't' => {
                    let items = self.pop_mark()?;
                    let item = self.container(items, PickleValue::Tuple)?;
                    self.push_item(item);
                }
                0x85..=0x87 => {
                    let n = (op - 0x84) as usize;
                    let mut items = Vec::with_capacity(n);
                    for _ in 0..n {
                        items.push(self.pop()?);
                    }
                    items.reverse();
                    let item = self.container(items, PickleValue::Tuple)?;
                    self.push_item(item);
                }
                b'a' => {
                    let child = self.pop()?;
                    self.extend_top(vec![child], false)?;
                }
                b'e' => {
                    let items = self.pop_mark()?;
                    self.extend_top(items, false)?;
                }
                b's' => {
                    let v = self.pop()?;
                    let k = self.pop()?;
                    self.extend_top(vec![k, v], true)?;
                }
                b'u' => {
                    let items = self.pop_mark()?;
                    self.extend_top(items, true)?;
                }
                b'p' => {
                    let text = self.line()?;
                    let i = text.parse::<u32>().map_err(|_| self.err("bad PUT index"))?;
                    self.memo_put(i)?;
                }
                b'q' => {
                    let i = self.u8()?;
                    self.memo_put(i.into())?;
                }
                b'r' => {
                    let i = self.u32()?;
                    self.memo_put(i)?;
                }
                0x94 => {
                    let i = u32::try_from(self.memo.len())
                        .map_err(|_| self.err("too many memo entries"))?;
                    self.memo_put(i)?;
                }
                b'g' => {
                    let text = self.line()?;
                    let i = text.parse::<u32>().map_err(|_| self.err("bad GET index"))?;
                    self.memo_get(i)?;
                }
                b'h' => {
                    let i = self.u8()?;
                    self.memo_get(i.into())?;
                }
                b'j' => {
                    let i = self.u32()?;
                    self.memo_get(i)?;
                }
                other => {
                    return Err(match forbidden_name(other) {
                        Some(name) => self.err(format!(
                            "opcode {name} ({}) is not allowed: only data opcodes are accepted",
                            show_op(other)
                        )),
                        None => self.err(format!("unknown opcode {}", show_op(other))),
                    })
                }
            }
            if self.stack.len() as u64 > self.limits.max_values {
                return Err(self.err("stack too deep"));
            }
        }
    }
}

fn show_op(op: u8) -> String {
    if op.is_ascii_graphic() {
        format!("'{}'", op as char)
    } else {
        format!("0x{op:02x}")
    }
}

/// Reads one pickle made only of data opcodes, within `limits`.
///
/// # Errors
///
/// A forbidden or unknown opcode, truncated or inconsistent data, or a limit exceeded.
pub fn load(data: &[u8], limits: &PickleLimits) -> Result<PickleValue, PickleError> {
    let mut r = Reader {
        data,
        pos: 0,
        op_at: 0,
        stack: Vec::new(),
        memo: HashMap::new(),
        limits: *limits,
        values: 0,
        bytes: 0,
    };
    // Dropping a deep value recurses; the depth limit keeps that bounded.
    r.run()
}

// === writer ===

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'X');
    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn put_int(out: &mut Vec<u8>, n: i128) {
    use std::io::Write as _;
    if (0..=0xff).contains(&n) {
        out.push(b'K');
        out.push(n as u8);
    } else if (0..=0xffff).contains(&n) {
        out.push(b'M');
        out.extend_from_slice(&(n as u16).to_le_bytes());
    } else if (i32::MIN as i128..=i32::MAX as i128).contains(&n) {
        out.push(b'J');
        out.extend_from_slice(&(n as i32).to_le_bytes());
    } else {
        let _ = writeln!(out, "L{n}L");
    }
}

fn put_float(out: &mut Vec<u8>, x: f64) {
    out.push(b'G');
    out.extend_from_slice(&x.to_be_bytes());
}

fn put_bool(out: &mut Vec<u8>, b: bool) {
    out.extend_from_slice(if b { b"I01\n" } else { b"I00\n" });
}

fn put_value(out: &mut Vec<u8>, v: Value<'_>) {
    match v {
        Value::Str(s) => put_str(out, s),
        Value::I64(n) => put_int(out, n.into()),
        Value::U64(n) => put_int(out, n.into()),
        Value::F64(x) => put_float(out, x),
        Value::Bool(b) => put_bool(out, b),
    }
}

/// The attributes of a record as CPython's `SocketHandler` sends them, in its order. Extra
/// fields with these names (or `message`, `asctime`) are not sent: Python refuses them.
pub const RECORD_KEYS: [&str; 20] = [
    "name",
    "msg",
    "args",
    "levelname",
    "levelno",
    "pathname",
    "filename",
    "module",
    "exc_info",
    "exc_text",
    "stack_info",
    "lineno",
    "funcName",
    "created",
    "msecs",
    "relativeCreated",
    "thread",
    "threadName",
    "processName",
    "process",
];

/// Whether an extra field called `name` cannot be sent (it would overwrite an attribute, or
/// is internal to this workspace).
pub(crate) fn reserved(name: &str) -> bool {
    RECORD_KEYS.contains(&name) || matches!(name, "message" | "asctime") || name.starts_with("__")
}

/// Appends one frame for `record`: the 4-byte big-endian length, then the pickle of the
/// record dict exactly as CPython's `SocketHandler.makePickle` builds it (protocol 1
/// opcodes; `msg` the merged message, `args` and `exc_info` `None`, extra fields after the
/// standard attributes).
///
/// Records without a source location send `pathname`, `filename` and `module` as `""`,
/// `lineno` 0 and `funcName` `None` (what `logging.makeLogRecord` gives a record without a
/// caller).
///
/// ```
/// use tracing_handlers_core::{FieldSet, Level, Record};
/// use tracing_handlers_socket::pickle::{encode_frame, load, PickleLimits, PickleValue};
///
/// let mut fields = FieldSet::new();
/// fields.push_str("request_id", "abc");
/// let record = Record::new(Level::INFO, "portal", "hello world n=5", &fields);
/// let mut frame = Vec::new();
/// encode_frame(&record, &mut frame);
/// let len = u32::from_be_bytes(frame[..4].try_into()?) as usize;
/// assert_eq!(len, frame.len() - 4);
/// assert_eq!(frame[4], b'}'); // EMPTY_DICT, no PROTO opcode (SOCK-01)
/// let d = load(&frame[4..], &PickleLimits::default())?;
/// assert_eq!(d.get("msg"), Some(&PickleValue::Str("hello world n=5".into())));
/// assert_eq!(d.get("args"), Some(&PickleValue::None));
/// assert_eq!(d.get("request_id"), Some(&PickleValue::Str("abc".into())));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn encode_frame(record: &Record<'_>, out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(&[0; 4]);
    out.push(b'}');
    out.push(b'(');
    let level_name;
    let levelname = match record.level.as_str() {
        Some(n) => n,
        None => {
            level_name = record.level.to_string();
            &level_name
        }
    };
    put_str(out, "name");
    put_str(out, record.name);
    put_str(out, "msg");
    put_str(out, record.message);
    put_str(out, "args");
    out.push(b'N');
    put_str(out, "levelname");
    put_str(out, levelname);
    put_str(out, "levelno");
    put_int(out, record.level.number().into());
    put_str(out, "pathname");
    put_str(out, record.file.unwrap_or(""));
    put_str(out, "filename");
    put_str(out, record.filename().unwrap_or(""));
    put_str(out, "module");
    put_str(out, record.module().unwrap_or(""));
    put_str(out, "exc_info");
    out.push(b'N');
    put_str(out, "exc_text");
    out.push(b'N');
    put_str(out, "stack_info");
    out.push(b'N');
    put_str(out, "lineno");
    put_int(out, record.line.unwrap_or(0).into());
    put_str(out, "funcName");
    match record.func_name {
        Some(f) => put_str(out, f),
        None => out.push(b'N'),
    }
    put_str(out, "created");
    put_float(out, record.created_secs_f64());
    put_str(out, "msecs");
    put_float(out, f64::from(record.msecs()));
    put_str(out, "relativeCreated");
    put_float(out, record.relative_created);
    put_str(out, "thread");
    put_int(out, record.thread_id.into());
    put_str(out, "threadName");
    put_str(out, record.thread_name);
    put_str(out, "processName");
    put_str(out, record.process_name);
    put_str(out, "process");
    put_int(out, record.process_id.into());
    for (name, value) in record.fields.unshadowed() {
        if reserved(name) {
            continue;
        }
        put_str(out, name);
        put_value(out, value);
    }
    out.push(b'u');
    out.push(b'.');
    let len = (out.len() - start - 4) as u32;
    out[start..start + 4].copy_from_slice(&len.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> PickleLimits {
        PickleLimits::default()
    }

    #[test]
    fn integers_round_trip() {
        for n in [
            0i128,
            255,
            256,
            65535,
            65536,
            -1,
            i32::MIN.into(),
            i32::MAX.into(),
            1 << 40,
            u64::MAX.into(),
            -(1 << 50),
        ] {
            let mut b = Vec::new();
            put_int(&mut b, n);
            b.push(b'.');
            assert_eq!(load(&b, &limits()), Ok(PickleValue::Int(n)), "{n}");
        }
    }

    #[test]
    fn long1_is_twos_complement() {
        assert_eq!(load(b"\x8a\x01\xff.", &limits()), Ok(PickleValue::Int(-1)));
        assert_eq!(
            load(b"\x8a\x02\xff\x00.", &limits()),
            Ok(PickleValue::Int(255))
        );
        assert_eq!(load(b"\x8a\x00.", &limits()), Ok(PickleValue::Int(0)));
    }

    #[test]
    fn forbidden_opcodes_are_named() {
        for (bytes, name) in [
            (&b"cos\nsystem\n."[..], "GLOBAL"),
            (b"N)R.", "REDUCE"),
            (b"\x80\x04\x8c\x02os\x8c\x06system\x93.", "STACK_GLOBAL"),
            (b"}Nb.", "BUILD"),
            (b"(ios\nsystem\n.", "INST"),
            (b"\x82\x01.", "EXT1"),
        ] {
            let e = load(bytes, &limits()).unwrap_err();
            assert!(e.to_string().contains(name), "{e}");
        }
    }

    #[test]
    fn limits_hold() {
        let nested = [b"]".repeat(100), b"a".repeat(99), b".".to_vec()].concat();
        let e = load(&nested, &limits()).unwrap_err();
        assert!(e.to_string().contains("deeper"), "{e}");
        // A memo bomb: a list that doubles by appending copies of itself.
        let mut bomb = b"]q\x00".to_vec();
        for _ in 0..40 {
            bomb.extend_from_slice(b"h\x00aq\x00");
        }
        bomb.push(b'.');
        assert!(load(&bomb, &limits()).is_err());
        // Huge announced lengths fail without allocating.
        assert!(load(b"X\xff\xff\xff\xff", &limits()).is_err());
        assert!(load(b"\x8d\xff\xff\xff\xff\xff\xff\xff\xff", &limits()).is_err());
    }
}
