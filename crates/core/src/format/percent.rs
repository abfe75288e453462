//! `%`-style formats: `%(name)[flags][width][.precision]conversion`, as Python's `%` operator
//! applies them to the record's attribute dictionary.

use super::attrs::{write_repr, write_str, Attr, Ctx, Val};
use super::number::{write_exp, write_fixed, write_general, write_non_finite, write_radix};
use super::text::{pad, truncate_chars, Align};
use super::{FieldSpec, FormatError, Segment};

/// One `%(name)…` conversion.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Spec {
    pub(crate) minus: bool,
    pub(crate) zero: bool,
    pub(crate) plus: bool,
    pub(crate) space: bool,
    pub(crate) alt: bool,
    pub(crate) width: Option<usize>,
    pub(crate) precision: Option<usize>,
    pub(crate) conv: u8,
}

impl Spec {
    /// `%(name)s`: no flags, width or precision.
    pub(crate) fn plain_str() -> Spec {
        Spec {
            conv: b's',
            ..Spec::default()
        }
    }
}

/// The largest width or precision accepted (Python's limit is memory; ours keeps a typo from
/// allocating gigabytes per record).
pub(crate) const MAX_WIDTH: usize = 10_000;

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Python's `PercentStyle.validation_pattern` search:
/// `%\(\w+\)[#0+ -]*(\*|\d+)?(\.(\*|\d+))?[diouxefgcrsa%]`, case-insensitive.
fn python_validates(fmt: &str) -> bool {
    let chars: Vec<char> = fmt.chars().collect();
    (0..chars.len()).any(|start| {
        let mut i = start;
        let at = |i: usize| chars.get(i).copied();
        if at(i) != Some('%') || at(i + 1) != Some('(') {
            return false;
        }
        i += 2;
        let name_start = i;
        while at(i).is_some_and(is_word) {
            i += 1;
        }
        if i == name_start || at(i) != Some(')') {
            return false;
        }
        i += 1;
        while at(i).is_some_and(|c| "#0+ -".contains(c)) {
            i += 1;
        }
        if at(i) == Some('*') {
            i += 1;
        } else {
            while at(i).is_some_and(|c| c.is_ascii_digit()) {
                i += 1;
            }
        }
        if at(i) == Some('.') && at(i + 1).is_some_and(|c| c == '*' || c.is_ascii_digit()) {
            i += 1;
            if at(i) == Some('*') {
                i += 1;
            } else {
                while at(i).is_some_and(|c| c.is_ascii_digit()) {
                    i += 1;
                }
            }
        }
        at(i).is_some_and(|c| "diouxefgcrsa%".contains(c.to_ascii_lowercase()))
    })
}

fn err(message: impl Into<String>) -> FormatError {
    FormatError::new(message)
}

fn unsupported(c: char, index: usize) -> FormatError {
    let shown = if (' '..='~').contains(&c) { c } else { '?' };
    err(format!(
        "unsupported format character '{shown}' (0x{:x}) at index {index}",
        c as u32
    ))
}

/// Parses a `%`-style format into segments, with Python's messages for what its
/// validation or its `%` operator would reject.
pub(crate) fn parse(fmt: &str) -> Result<Vec<Segment>, FormatError> {
    if !python_validates(fmt) {
        return Err(err(format!("Invalid format '{fmt}' for '%' style")));
    }
    let chars: Vec<char> = fmt.chars().collect();
    let mut segments = Vec::new();
    let mut lit = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        if c != '%' {
            lit.push(c);
            continue;
        }
        let Some(&next) = chars.get(i) else {
            return Err(err("incomplete format"));
        };
        if next == '%' {
            lit.push('%');
            i += 1;
            continue;
        }
        if next != '(' {
            return Err(err("not enough arguments for format string"));
        }
        // The key runs to the matching parenthesis.
        i += 1;
        let key_start = i;
        let mut depth = 1;
        while i < chars.len() {
            match chars[i] {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        if i >= chars.len() {
            return Err(err("incomplete format key"));
        }
        let key: String = chars[key_start..i].iter().collect();
        i += 1;
        let mut spec = Spec::default();
        while let Some(&f) = chars.get(i) {
            match f {
                '-' => spec.minus = true,
                '0' => spec.zero = true,
                '+' => spec.plus = true,
                ' ' => spec.space = true,
                '#' => spec.alt = true,
                _ => break,
            }
            i += 1;
        }
        let number = |i: &mut usize, what: &str| -> Result<Option<usize>, FormatError> {
            if chars.get(*i) == Some(&'*') {
                return Err(err("* wants int"));
            }
            let begin = *i;
            let mut n: usize = 0;
            while let Some(d) = chars.get(*i).and_then(|c| c.to_digit(10)) {
                n = n
                    .checked_mul(10)
                    .and_then(|n| n.checked_add(d as usize))
                    .filter(|&n| n <= MAX_WIDTH)
                    .ok_or_else(|| err(format!("{what} too big")))?;
                *i += 1;
            }
            Ok((*i > begin).then_some(n))
        };
        spec.width = number(&mut i, "width")?;
        if chars.get(i) == Some(&'.') {
            i += 1;
            spec.precision = Some(number(&mut i, "precision")?.unwrap_or(0));
        }
        while chars.get(i).is_some_and(|c| matches!(c, 'h' | 'l' | 'L')) {
            i += 1;
        }
        let Some(&conv) = chars.get(i) else {
            return Err(err("incomplete format"));
        };
        if !"sradiuoxXeEfFgGc".contains(conv) {
            return Err(unsupported(conv, i));
        }
        i += 1;
        spec.conv = conv as u8;
        if !lit.is_empty() {
            segments.push(Segment::Literal(std::mem::take(&mut lit).into_boxed_str()));
        }
        segments.push(Segment::field(
            Attr::from_name(&key),
            FieldSpec::Percent(spec),
        ));
    }
    if !lit.is_empty() {
        segments.push(Segment::Literal(lit.into_boxed_str()));
    }
    Ok(segments)
}

fn finish_text(out: &mut Vec<u8>, start: usize, spec: &Spec) {
    if let Some(p) = spec.precision {
        truncate_chars(out, start, p);
    }
    if let Some(w) = spec.width {
        let align = if spec.minus {
            Align::Left
        } else {
            Align::Right
        };
        pad(out, start, 0, w, ' ', align);
    }
}

fn as_int(val: &Val<'_>) -> Option<i128> {
    match *val {
        Val::Int(n) => Some(n),
        Val::Bool(b) => Some(b.into()),
        Val::Float(x) if x.is_finite() => Some(x.trunc() as i128),
        _ => None,
    }
}

fn as_float(val: &Val<'_>) -> Option<f64> {
    match *val {
        Val::Int(n) => Some(n as f64),
        Val::Bool(b) => Some(f64::from(u8::from(b))),
        Val::Float(x) => Some(x),
        _ => None,
    }
}

fn sign_byte(negative: bool, spec: &Spec) -> Option<u8> {
    if negative {
        Some(b'-')
    } else if spec.plus {
        Some(b'+')
    } else if spec.space {
        Some(b' ')
    } else {
        None
    }
}

fn finish_number(out: &mut Vec<u8>, start: usize, prefix_len: usize, spec: &Spec, zero_ok: bool) {
    if let Some(w) = spec.width {
        if spec.minus {
            pad(out, start, 0, w, ' ', Align::Left);
        } else if spec.zero && zero_ok {
            pad(out, start, prefix_len, w, '0', Align::AfterSign);
        } else {
            pad(out, start, 0, w, ' ', Align::Right);
        }
    }
}

fn write_int(out: &mut Vec<u8>, n: i128, spec: &Spec) {
    let start = out.len();
    if let Some(s) = sign_byte(n < 0, spec) {
        out.push(s);
    }
    let (radix, upper) = match spec.conv {
        b'x' => (16, false),
        b'X' => (16, true),
        b'o' => (8, false),
        _ => (10, false),
    };
    if spec.alt && radix != 10 {
        out.extend_from_slice(match spec.conv {
            b'x' => b"0x",
            b'X' => b"0X",
            _ => b"0o",
        });
    }
    let prefix_len = out.len() - start;
    let digits_start = out.len();
    write_radix(out, n.unsigned_abs(), radix, upper);
    if let Some(p) = spec.precision {
        pad(out, digits_start, 0, p, '0', Align::Right);
    }
    finish_number(out, start, prefix_len, spec, true);
}

fn write_float(out: &mut Vec<u8>, x: f64, spec: &Spec) {
    let start = out.len();
    if let Some(s) = sign_byte(x.is_sign_negative() && !x.is_nan(), spec) {
        out.push(s);
    }
    let upper = spec.conv.is_ascii_uppercase();
    let a = x.abs();
    if !x.is_finite() {
        write_non_finite(out, x, upper);
        finish_number(out, start, 0, spec, false);
        return;
    }
    let prefix_len = out.len() - start;
    let prec = spec.precision.unwrap_or(6);
    match spec.conv.to_ascii_lowercase() {
        b'f' => write_fixed(out, a, prec, spec.alt),
        b'e' => write_exp(out, a, prec, upper, spec.alt),
        _ => write_general(out, a, prec, upper, spec.alt, false),
    }
    finish_number(out, start, prefix_len, spec, true);
}

/// Applies `spec` to `val`. A value of the wrong type for the conversion (Python's
/// `TypeError` at format time) is written as with `s`.
pub(crate) fn render(out: &mut Vec<u8>, val: &Val<'_>, spec: &Spec, ctx: &Ctx<'_, '_>) {
    let start = out.len();
    match spec.conv {
        b'r' | b'a' => {
            write_repr(out, val, ctx, spec.conv == b'a');
            return finish_text(out, start, spec);
        }
        b'd' | b'i' | b'u' => {
            if let Some(n) = as_int(val) {
                return write_int(out, n, spec);
            }
        }
        b'x' | b'X' | b'o' => {
            if let Val::Int(_) | Val::Bool(_) = val {
                if let Some(n) = as_int(val) {
                    return write_int(out, n, spec);
                }
            }
        }
        b'e' | b'E' | b'f' | b'F' | b'g' | b'G' => {
            if let Some(x) = as_float(val) {
                return write_float(out, x, spec);
            }
        }
        b'c' => {
            let c = match *val {
                Val::Int(n) => u32::try_from(n).ok().and_then(char::from_u32),
                Val::Str(s) if s.chars().count() == 1 => s.chars().next(),
                _ => None,
            };
            if let Some(c) = c {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                return finish_text(out, start, spec);
            }
        }
        _ => {}
    }
    write_str(out, val, ctx);
    finish_text(out, start, spec);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_messages() {
        let e = |f: &str| parse(f).unwrap_err().to_string();
        assert_eq!(e("no fields"), "Invalid format 'no fields' for '%' style");
        assert_eq!(e("%(message)"), "Invalid format '%(message)' for '%' style");
        assert_eq!(e("%(message)s %(x"), "incomplete format key");
        assert_eq!(e("%(message)s %"), "incomplete format");
        assert_eq!(
            e("%(message)s %s"),
            "not enough arguments for format string"
        );
        assert_eq!(e("%(message)*s"), "* wants int");
        assert_eq!(
            e("%(message)S"),
            "unsupported format character 'S' (0x53) at index 10"
        );
        assert_eq!(
            e("%(message)%"),
            "unsupported format character '%' (0x25) at index 10"
        );
        assert_eq!(e("%(message)s %(a)5"), "incomplete format");
        assert!(parse("%(message)s 100%%").is_ok());
        assert!(parse("%(message)-8.3ld").is_err());
        assert!(parse("%(message)s %(lineno)-8.3ld").is_ok());
    }

    #[test]
    fn odd_inputs_never_panic() {
        for f in [
            "",
            "%",
            "%(",
            "%()",
            "%()s",
            "%(a)s%(",
            "%(a)s%(()",
            "%(a)s%(é)\u{1F600}",
            "%(a)99999999999999999999999s",
            "%(a).s",
            "%(a)s%-",
            "é%(a)s%",
            "%(a)#0+ -5.2ld",
        ] {
            let _ = parse(f);
        }
    }
}
