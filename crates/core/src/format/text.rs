//! Byte-level text helpers shared by the styles: padding, truncation, Python's `repr`.
//!
//! Everything works in place on the output buffer, so no temporary string is needed.

use std::io::Write as _;

/// Where padding goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    /// `<`: text first, padding after.
    Left,
    /// `>`: padding first.
    Right,
    /// `^`: padding split, the odd one on the right.
    Center,
    /// `=`: padding between the sign (or `0x` prefix) and the digits.
    AfterSign,
}

/// The number of characters in UTF-8 `bytes`.
pub(crate) fn char_count(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count()
}

/// Keeps at most `max` characters of `out[start..]`.
pub(crate) fn truncate_chars(out: &mut Vec<u8>, start: usize, max: usize) {
    let mut n = 0;
    for i in start..out.len() {
        if out[i] & 0xC0 != 0x80 {
            if n == max {
                out.truncate(i);
                return;
            }
            n += 1;
        }
    }
}

/// Pads `out[start..]` to `width` characters with `fill`. For [`Align::AfterSign`] the
/// padding goes after the first `prefix_len` bytes.
pub(crate) fn pad(
    out: &mut Vec<u8>,
    start: usize,
    prefix_len: usize,
    width: usize,
    fill: char,
    align: Align,
) {
    let start = start.min(out.len());
    let count = char_count(&out[start..]);
    if count >= width {
        return;
    }
    let n = width - count;
    let mut buf = [0u8; 4];
    let fill = fill.encode_utf8(&mut buf).as_bytes();
    let (left, right) = match align {
        Align::Left => (0, n),
        Align::Right | Align::AfterSign => (n, 0),
        Align::Center => (n / 2, n - n / 2),
    };
    if left > 0 {
        for _ in 0..left {
            out.extend_from_slice(fill);
        }
        let at = if align == Align::AfterSign {
            (start + prefix_len).min(out.len())
        } else {
            start
        };
        out[at..].rotate_right(left * fill.len());
    }
    for _ in 0..right {
        out.extend_from_slice(fill);
    }
}

fn utf8_len(first: u8) -> usize {
    match first {
        0x00..=0x7F => 1,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        _ => 1,
    }
}

/// Python's `str.isprintable` for one character (an approximation outside the common
/// ranges: control, format, separator, private-use and noncharacter code points are
/// non-printable; unassigned code points are treated as printable).
fn is_printable(c: char) -> bool {
    let u = c as u32;
    !matches!(u,
        0x00..=0x1F
        | 0x7F..=0xA0
        | 0xAD
        | 0x600..=0x605
        | 0x61C
        | 0x6DD
        | 0x70F
        | 0x1680
        | 0x180E
        | 0x2000..=0x200F
        | 0x2028..=0x202F
        | 0x205F..=0x206F
        | 0x3000
        | 0xD800..=0xF8FF
        | 0xFEFF
        | 0xFFF9..=0xFFFB
        | 0xFFFE..=0xFFFF
        | 0x1BCA0..=0x1BCA3
        | 0x1D173..=0x1D17A
        | 0xE0000..=0xE0FFF
        | 0xF0000..=0x10FFFF)
}

fn escape_char(out: &mut Vec<u8>, c: char, quote: u8, ascii: bool) {
    match c {
        '\\' => out.extend_from_slice(b"\\\\"),
        '\n' => out.extend_from_slice(b"\\n"),
        '\r' => out.extend_from_slice(b"\\r"),
        '\t' => out.extend_from_slice(b"\\t"),
        c if c as u32 == u32::from(quote) => {
            out.push(b'\\');
            out.push(quote);
        }
        c if (c.is_ascii() || !ascii) && is_printable(c) => {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
        c => {
            let u = c as u32;
            let _ = if u < 0x100 {
                write!(out, "\\x{u:02x}")
            } else if u < 0x10000 {
                write!(out, "\\u{u:04x}")
            } else {
                write!(out, "\\U{u:08x}")
            };
        }
    }
}

/// Replaces the UTF-8 text `out[start..]` by Python's `repr()` of it (`ascii()` when
/// `ascii`): single quotes unless the text contains `'` and no `"`.
pub(crate) fn repr_in_place(out: &mut Vec<u8>, start: usize, ascii: bool) {
    let start = start.min(out.len());
    let end = out.len();
    let has_single = out[start..end].contains(&b'\'');
    let has_double = out[start..end].contains(&b'"');
    let quote = if has_single && !has_double {
        b'"'
    } else {
        b'\''
    };
    out.push(quote);
    let mut i = start;
    while i < end {
        let len = utf8_len(out[i]).min(end - i);
        let mut tmp = [0u8; 4];
        tmp[..len].copy_from_slice(&out[i..i + len]);
        let c = std::str::from_utf8(&tmp[..len])
            .ok()
            .and_then(|s| s.chars().next())
            .unwrap_or('\u{FFFD}');
        i += len;
        escape_char(out, c, quote, ascii);
    }
    out.push(quote);
    out.copy_within(end.., start);
    out.truncate(out.len() - (end - start));
}

/// Inserts `sep` every `group` digits (from the right) into the ASCII digits
/// `out[start..end]`; returns the new end.
pub(crate) fn group_digits(
    out: &mut Vec<u8>,
    start: usize,
    end: usize,
    group: usize,
    sep: u8,
) -> usize {
    let digits = end - start;
    if digits == 0 || group == 0 {
        return end;
    }
    let seps = (digits - 1) / group;
    if seps == 0 {
        return end;
    }
    let old_len = out.len();
    out.resize(old_len + seps, 0);
    // Shift the tail (after the digits) right by `seps`.
    out.copy_within(end..old_len, end + seps);
    // Rewrite the digits from the right, inserting separators.
    let mut src = end;
    let mut dst = end + seps;
    let mut n = 0;
    while src > start {
        if n == group {
            dst -= 1;
            out[dst] = sep;
            n = 0;
        }
        src -= 1;
        dst -= 1;
        out[dst] = out[src];
        n += 1;
    }
    end + seps
}

/// Writes `text` with `\n` and `\r` written as the two-character escapes.
pub(crate) fn write_escaped_newlines(out: &mut Vec<u8>, text: &str) {
    for &b in text.as_bytes() {
        match b {
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b => out.push(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repr(s: &str) -> String {
        let mut out = b"xx".to_vec();
        out.extend_from_slice(s.as_bytes());
        repr_in_place(&mut out, 2, false);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn repr_like_python() {
        assert_eq!(repr("portal.web.views"), "xx'portal.web.views'");
        assert_eq!(repr("it's"), "xx\"it's\"");
        assert_eq!(repr("it's \"x\""), "xx'it\\'s \"x\"'");
        assert_eq!(repr("a\nb\t\\\u{1}"), "xx'a\\nb\\t\\\\\\x01'");
        assert_eq!(repr("héllo € 日本"), "xx'héllo € 日本'");
        assert_eq!(repr("\u{a0}\u{200b}"), "xx'\\xa0\\u200b'");
    }

    #[test]
    fn padding_and_grouping() {
        let mut out = b"ab".to_vec();
        pad(&mut out, 0, 0, 5, '*', Align::Center);
        assert_eq!(out, b"*ab**");
        let mut out = b"-42".to_vec();
        pad(&mut out, 0, 1, 6, '0', Align::AfterSign);
        assert_eq!(out, b"-00042");
        let mut out = b"x1234567y".to_vec();
        let end = group_digits(&mut out, 1, 8, 3, b',');
        assert_eq!(out, b"x1,234,567y");
        assert_eq!(end, 10);
        let mut out = "héllo".as_bytes().to_vec();
        truncate_chars(&mut out, 0, 2);
        assert_eq!(out, "hé".as_bytes());
    }
}
