//! The compact form of a format made only of literal text and plain text attributes
//! (`%(asctime)s %(levelname)s %(name)s %(message)s` and most formats in use).
//!
//! A record is formatted by one short loop over a few bytes of operations, with the literal
//! text in one buffer. In direct mode every record is followed by a `write(2)` whose kernel
//! path evicts the caller's caches, so what matters is how little code and data a record
//! touches, not only how few instructions it runs.

use super::attrs::Attr;
use super::{Formatter, Segment};
use crate::Record;

/// A record attribute that is text (or `asctime`), written as it is.
#[derive(Debug, Clone, Copy)]
pub(crate) enum PlainAttr {
    Asctime,
    LevelName,
    Name,
    Message,
    Target,
    ThreadName,
    ProcessName,
}

impl PlainAttr {
    pub(crate) fn of(attr: &Attr) -> Option<PlainAttr> {
        Some(match attr {
            Attr::Asctime => PlainAttr::Asctime,
            Attr::LevelName => PlainAttr::LevelName,
            Attr::Name => PlainAttr::Name,
            Attr::Message | Attr::Msg => PlainAttr::Message,
            Attr::Target => PlainAttr::Target,
            Attr::ThreadName => PlainAttr::ThreadName,
            Attr::ProcessName => PlainAttr::ProcessName,
            _ => return None,
        })
    }

    /// Writes this attribute of `record`; false (nothing written) when the record needs the
    /// general path: a level without a name, or a message whose newlines are escaped.
    #[inline]
    pub(crate) fn write(self, f: &Formatter, record: &Record<'_>, out: &mut Vec<u8>) -> bool {
        let text = match self {
            PlainAttr::Asctime => {
                f.write_asctime(record, out);
                return true;
            }
            PlainAttr::LevelName => match record.level.as_str() {
                Some(name) => name,
                None => return false,
            },
            PlainAttr::Name => record.name,
            PlainAttr::Message if f.escape_newlines => return false,
            PlainAttr::Message => record.message,
            PlainAttr::Target => record.target,
            PlainAttr::ThreadName => record.thread_name,
            PlainAttr::ProcessName => record.process_name,
        };
        out.extend_from_slice(text.as_bytes());
        true
    }
}

#[derive(Debug, Clone, Copy)]
enum Op {
    Literal { start: u16, len: u16 },
    Attr(PlainAttr),
}

#[derive(Debug)]
pub(crate) struct Plan {
    ops: Box<[Op]>,
    literals: Box<[u8]>,
}

impl Plan {
    /// The plan of `segments`, or `None` when some field needs the general path.
    pub(crate) fn compile(segments: &[Segment]) -> Option<Plan> {
        let mut ops = Vec::with_capacity(segments.len());
        let mut literals = Vec::new();
        for segment in segments {
            let op = match segment {
                Segment::Literal(text) => {
                    let start = u16::try_from(literals.len()).ok()?;
                    let len = u16::try_from(text.len()).ok()?;
                    literals.extend_from_slice(text.as_bytes());
                    u16::try_from(literals.len()).ok()?;
                    Op::Literal { start, len }
                }
                Segment::Field(field) => Op::Attr(field.plain?),
            };
            ops.push(op);
        }
        Some(Plan {
            ops: ops.into(),
            literals: literals.into(),
        })
    }

    /// Formats `record`; false (with `out` partly written) when this record needs the
    /// general path (see [`PlainAttr::write`]).
    #[inline]
    pub(crate) fn write(&self, f: &Formatter, record: &Record<'_>, out: &mut Vec<u8>) -> bool {
        for op in self.ops.iter() {
            match *op {
                Op::Literal { start, len } => {
                    let start = usize::from(start);
                    match self.literals.get(start..start + usize::from(len)) {
                        Some(text) => out.extend_from_slice(text),
                        None => return false,
                    }
                }
                Op::Attr(attr) => {
                    if !attr.write(f, record, out) {
                        return false;
                    }
                }
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use crate::{FieldSet, Format, Formatter, Level, Record};

    fn format(f: &Formatter, level: Level, message: &str) -> String {
        let fields = FieldSet::new();
        let mut record = Record::new(level, "portal.api", message, &fields);
        record.target = "portal::api";
        let mut out = b"kept|".to_vec();
        f.format(&record, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn plain_formats_compile_and_others_do_not() {
        for fmt in [
            "%(levelname)s:%(name)s:%(message)s",
            "%(asctime)s %(target)s %(threadName)s %(processName)s %(msg)s 100%%",
        ] {
            assert!(Formatter::percent(fmt).unwrap().plan.is_some(), "{fmt}");
        }
        for fmt in [
            "%(levelname)-8s %(message)s",
            "%(lineno)d %(message)s",
            "%(x)s",
        ] {
            assert!(Formatter::percent(fmt).unwrap().plan.is_none(), "{fmt}");
        }
    }

    #[test]
    fn records_the_plan_cannot_take_fall_back_whole() {
        let f = Formatter::percent("[%(levelname)s] %(name)s/%(target)s: %(message)s").unwrap();
        assert_eq!(
            format(&f, Level::INFO, "a\nb"),
            "kept|[INFO] portal.api/portal::api: a\nb"
        );
        // An unnamed level: Python's `Level 25`, written by the general path.
        assert_eq!(
            format(&f, Level::from_number(25), "m"),
            "kept|[Level 25] portal.api/portal::api: m"
        );
        let f = f.with_escaped_newlines(true);
        assert_eq!(
            format(&f, Level::INFO, "a\nb"),
            "kept|[INFO] portal.api/portal::api: a\\nb"
        );
    }
}
