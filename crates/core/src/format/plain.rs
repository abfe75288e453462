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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// The attributes a plan reads, in the order of [`Plan::write`]'s table of sources.
const ATTRS: [PlainAttr; 7] = [
    PlainAttr::Asctime,
    PlainAttr::LevelName,
    PlainAttr::Name,
    PlainAttr::Message,
    PlainAttr::Target,
    PlainAttr::ThreadName,
    PlainAttr::ProcessName,
];

/// The source holding the plan's literal text.
const LITERALS: u8 = ATTRS.len() as u8;
const _: () = assert!(
    ATTRS.len() + 1 == 8,
    "`Plan::write` masks source indices with 7"
);

/// One piece of the line: the bytes `start..start + len` of a source (clamped to it), so
/// a literal is a range of the literal text and an attribute is the whole of its source.
#[derive(Debug, Clone, Copy)]
struct Piece {
    source: u8,
    start: u32,
    len: u32,
}

impl Piece {
    /// This piece's bytes of `source`: its range, clamped to the source.
    #[inline(always)]
    fn of(self, source: &[u8]) -> &[u8] {
        let start = (self.start as usize).min(source.len());
        let end = start.saturating_add(self.len as usize).min(source.len());
        &source[start..end]
    }
}

/// The compact form of a plain format.
///
/// Every piece is written the same way, "copy this range of that source", from a small table
/// of sources filled once per record: no `match` per piece, so no jump table. An indirect
/// jump is what a processor predicts worst right after a system call has emptied its branch
/// history, and in direct mode every record follows one (measured: about 3% of the time of a
/// direct-mode record). Only `asctime`, which is rendered rather than copied, is a branch.
#[derive(Debug)]
pub(crate) struct Plan {
    pieces: Box<[Piece]>,
    literals: Box<[u8]>,
    uses_level_name: bool,
    uses_message: bool,
}

impl Plan {
    /// The plan of `segments`, or `None` when some field needs the general path.
    pub(crate) fn compile(segments: &[Segment]) -> Option<Plan> {
        let mut pieces = Vec::with_capacity(segments.len());
        let mut literals = Vec::new();
        let (mut uses_level_name, mut uses_message) = (false, false);
        for segment in segments {
            let piece = match segment {
                Segment::Literal(text) => {
                    let start = u32::try_from(literals.len()).ok()?;
                    let len = u32::try_from(text.len()).ok()?;
                    literals.extend_from_slice(text.as_bytes());
                    Piece {
                        source: LITERALS,
                        start,
                        len,
                    }
                }
                Segment::Field(field) => {
                    let attr = field.plain?;
                    uses_level_name |= matches!(attr, PlainAttr::LevelName);
                    uses_message |= matches!(attr, PlainAttr::Message);
                    let source = ATTRS.iter().position(|a| *a == attr)?;
                    Piece {
                        source: source as u8,
                        start: 0,
                        len: u32::MAX,
                    }
                }
            };
            pieces.push(piece);
        }
        Some(Plan {
            pieces: pieces.into(),
            literals: literals.into(),
            uses_level_name,
            uses_message,
        })
    }

    /// Formats `record`; false (with nothing written) when this record needs the general
    /// path (see [`PlainAttr::write`]).
    #[inline]
    pub(crate) fn write(&self, f: &Formatter, record: &Record<'_>, out: &mut Vec<u8>) -> bool {
        let level_name = match record.level.as_str() {
            Some(name) => name,
            None if self.uses_level_name => return false,
            None => "",
        };
        if self.uses_message && f.escape_newlines {
            return false;
        }
        let sources: [&[u8]; ATTRS.len() + 1] = [
            b"",
            level_name.as_bytes(),
            record.name.as_bytes(),
            record.message.as_bytes(),
            record.target.as_bytes(),
            record.thread_name.as_bytes(),
            record.process_name.as_bytes(),
            &self.literals,
        ];
        for piece in self.pieces.iter() {
            if piece.source == 0 {
                f.write_asctime(record, out);
                continue;
            }
            // Eight sources: the mask keeps the index in bounds without a branch.
            match piece.of(sources[usize::from(piece.source) & 7]) {
                // A one-byte piece (the spaces between fields) without a call to `memcpy`.
                [byte] => out.push(*byte),
                bytes => out.extend_from_slice(bytes),
            }
        }
        true
    }
}

/// A line in which only the time and the message vary: `head`, the time (when `time`),
/// `mid`, the message (when `message`), `tail`. Everything else a plan writes (level name,
/// logger name, target, process name, literal text) is fixed for the records of one
/// callsite, so it is written once, here, instead of for every record.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct LineShape {
    pub(crate) head: Vec<u8>,
    pub(crate) time: bool,
    pub(crate) mid: Vec<u8>,
    pub(crate) message: bool,
    pub(crate) tail: Vec<u8>,
}

/// The fixed parts of the records [`Plan::shape`] is asked about.
pub(crate) struct FixedParts<'a> {
    pub(crate) level_name: Option<&'a str>,
    pub(crate) name: &'a str,
    pub(crate) target: &'a str,
    pub(crate) process_name: &'a str,
}

impl Plan {
    /// The line of records whose every attribute but the time and the message is `fixed`,
    /// or `None` when it does not have that shape: the thread name (which varies), the time
    /// after the message, either of them twice, a level without a name, or escaped newlines.
    pub(crate) fn shape(&self, fixed: &FixedParts<'_>, escape_newlines: bool) -> Option<LineShape> {
        let mut shape = LineShape::default();
        // 0: writing `head`, 1: `mid` (after the time), 2: `tail` (after the message).
        let mut part = 0;
        for piece in self.pieces.iter() {
            let text: &[u8] = match ATTRS.get(usize::from(piece.source)) {
                None => piece.of(&self.literals),
                Some(PlainAttr::Asctime) if part == 0 => {
                    shape.time = true;
                    part = 1;
                    continue;
                }
                Some(PlainAttr::Message) if part < 2 && !escape_newlines => {
                    shape.message = true;
                    part = 2;
                    continue;
                }
                Some(PlainAttr::LevelName) => fixed.level_name?.as_bytes(),
                Some(PlainAttr::Name) => fixed.name.as_bytes(),
                Some(PlainAttr::Target) => fixed.target.as_bytes(),
                Some(PlainAttr::ProcessName) => fixed.process_name.as_bytes(),
                Some(PlainAttr::Asctime | PlainAttr::Message | PlainAttr::ThreadName) => {
                    return None
                }
            };
            match part {
                0 => shape.head.extend_from_slice(text),
                1 => shape.mid.extend_from_slice(text),
                _ => shape.tail.extend_from_slice(text),
            }
        }
        Some(shape)
    }
}

#[cfg(test)]
mod tests {
    use super::{FixedParts, LineShape};
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
    fn every_source_and_literal_lands_in_order() {
        let f = Formatter::percent(
            "<%(levelname)s|%(name)s|%(target)s|%(threadName)s|%(processName)s|%(message)s>",
        )
        .unwrap();
        assert!(f.plan.is_some());
        let fields = FieldSet::new();
        let long = "x".repeat(100_000);
        let mut record = Record::new(Level::WARNING, "portal.api", &long, &fields);
        record.target = "portal::api";
        record.thread_name = "worker-1";
        record.process_name = "MainProcess";
        let mut out = Vec::new();
        f.format(&record, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!("<WARNING|portal.api|portal::api|worker-1|MainProcess|{long}>")
        );
        // Sources of one byte and of none.
        let mut record = Record::new(Level::WARNING, "a", "", &fields);
        record.target = "b";
        record.thread_name = "";
        record.process_name = "p";
        let mut out = Vec::new();
        f.format(&record, &mut out);
        assert_eq!(String::from_utf8(out).unwrap(), "<WARNING|a|b||p|>");
        // An unnamed level where the format does not print it.
        let f = Formatter::percent("%(name)s: %(message)s").unwrap();
        assert_eq!(
            format(&f, Level::from_number(25), "m"),
            "kept|portal.api: m"
        );
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

    fn shape(fmt: &str, level_name: Option<&str>) -> Option<LineShape> {
        let f = Formatter::percent(fmt).unwrap();
        f.plan.as_ref().unwrap().shape(
            &FixedParts {
                level_name,
                name: "portal.api",
                target: "portal::api",
                process_name: "MainProcess",
            },
            f.escape_newlines,
        )
    }

    fn parts(s: &LineShape) -> (&[u8], bool, &[u8], bool, &[u8]) {
        (&s.head, s.time, &s.mid, s.message, &s.tail)
    }

    #[test]
    fn shapes_put_the_fixed_parts_around_the_time_and_the_message() {
        let s = shape(
            "%(asctime)s %(levelname)s %(name)s: %(message)s",
            Some("INFO"),
        )
        .unwrap();
        assert_eq!(
            parts(&s),
            (&b""[..], true, &b" INFO portal.api: "[..], true, &b""[..])
        );
        let s = shape("<%(target)s|%(processName)s> %(message)s %%", Some("INFO")).unwrap();
        assert_eq!(
            parts(&s),
            (
                &b"<portal::api|MainProcess> "[..],
                false,
                &b""[..],
                true,
                &b" %"[..]
            )
        );
        let s = shape("[%(asctime)s] %(name)s", Some("INFO")).unwrap();
        assert_eq!(
            parts(&s),
            (&b"["[..], true, &b"] portal.api"[..], false, &b""[..])
        );
        // An unnamed level is fine where the format does not print it.
        assert!(shape("%(name)s %(message)s", None).is_some());
    }

    #[test]
    fn lines_of_other_shapes_have_none() {
        for fmt in [
            "%(message)s %(asctime)s",
            "%(asctime)s %(asctime)s %(message)s",
            "%(message)s %(message)s",
            "%(threadName)s %(message)s",
        ] {
            assert_eq!(shape(fmt, Some("INFO")), None, "{fmt}");
        }
        assert_eq!(shape("%(levelname)s %(message)s", None), None);
        let f = Formatter::percent("%(message)s")
            .unwrap()
            .with_escaped_newlines(true);
        let fixed = FixedParts {
            level_name: Some("INFO"),
            name: "a",
            target: "a",
            process_name: "MainProcess",
        };
        assert_eq!(f.plan.as_ref().unwrap().shape(&fixed, true), None);
    }
}
