//! `{`-style formats: `str.format` replacement fields `{name!conv:spec}` with Python's
//! format-spec mini-language `[[fill]align][sign][#][0][width][,|_][.precision][type]`.

use super::attrs::{write_repr, write_str, Attr, Ctx, Val};
use super::number::{write_exp, write_fixed, write_general, write_non_finite, write_radix};
use super::percent::MAX_WIDTH;
use super::text::{group_digits, pad, truncate_chars, Align};
use super::{FieldSpec, FormatError, Segment};

/// A parsed replacement field's conversion and spec.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Spec {
    pub(crate) conversion: Option<char>,
    pub(crate) fill: Option<char>,
    pub(crate) align: Option<Align>,
    pub(crate) sign: Option<u8>,
    pub(crate) alt: bool,
    pub(crate) zero: bool,
    pub(crate) width: Option<usize>,
    pub(crate) grouping: Option<u8>,
    pub(crate) precision: Option<usize>,
    pub(crate) ty: Option<char>,
    /// The spec text was empty (`format(True, '')` is `True`, not `1`).
    pub(crate) empty: bool,
}

fn err(message: impl Into<String>) -> FormatError {
    FormatError::new(format!("invalid format: {}", message.into()))
}

fn py_repr(s: &str) -> String {
    let mut v = s.as_bytes().to_vec();
    super::text::repr_in_place(&mut v, 0, false);
    String::from_utf8_lossy(&v).into_owned()
}

fn align_of(c: char) -> Option<Align> {
    match c {
        '<' => Some(Align::Left),
        '>' => Some(Align::Right),
        '^' => Some(Align::Center),
        '=' => Some(Align::AfterSign),
        _ => None,
    }
}

/// Parses the part after fill/align: `[+ -]?#?0?(\d+)?[,_]?(\.\d+)?[type]?$`.
fn parse_rest(chars: &[char], spec: &mut Spec) -> Option<()> {
    let mut i = 0;
    let at = |i: usize| chars.get(i).copied();
    if let Some(c @ ('+' | '-' | ' ')) = at(i) {
        spec.sign = Some(c as u8);
        i += 1;
    }
    if at(i) == Some('#') {
        spec.alt = true;
        i += 1;
    }
    if at(i) == Some('0') {
        spec.zero = true;
        i += 1;
    }
    let digits = |i: &mut usize| -> Option<Option<usize>> {
        let begin = *i;
        let mut n: usize = 0;
        while let Some(d) = at(*i).and_then(|c| c.to_digit(10)) {
            n = n.checked_mul(10)?.checked_add(d as usize)?;
            *i += 1;
        }
        Some((*i > begin).then_some(n))
    };
    spec.width = digits(&mut i)?;
    if let Some(c @ (',' | '_')) = at(i) {
        spec.grouping = Some(c as u8);
        i += 1;
    }
    if at(i) == Some('.') {
        i += 1;
        spec.precision = Some(digits(&mut i)??);
    }
    if let Some(c) = at(i) {
        if "bcdefgnosx%".contains(c.to_ascii_lowercase()) {
            spec.ty = Some(c);
            i += 1;
        }
    }
    (i == chars.len()).then_some(())
}

/// Python logging's `fmt_spec` check, then the spec's meaning.
fn parse_spec(text: &str) -> Option<Spec> {
    let chars: Vec<char> = text.chars().collect();
    let mut spec = Spec {
        empty: chars.is_empty(),
        ..Spec::default()
    };
    // `(.?[<>=^])?` with the regex's backtracking: fill+align, align alone, or neither.
    if chars.len() >= 2 && chars[0] != '\n' {
        if let Some(a) = align_of(chars[1]) {
            let mut s = spec.clone();
            s.fill = Some(chars[0]);
            s.align = Some(a);
            if parse_rest(&chars[2..], &mut s).is_some() {
                return Some(s);
            }
        }
    }
    if let Some(a) = chars.first().copied().and_then(align_of) {
        let mut s = spec.clone();
        s.align = Some(a);
        if parse_rest(&chars[1..], &mut s).is_some() {
            return Some(s);
        }
    }
    parse_rest(&chars, &mut spec).map(|()| spec)
}

/// Python's `field_spec` for a field name: `^(\d+|\w+)(\.\w+|\[[^]]+\])*$`.
fn check_name(name: &str) -> Result<(), FormatError> {
    let plain = !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_');
    if plain && name.chars().all(|c| c.is_ascii_digit()) {
        return Err(err(format!(
            "positional fields are not supported: {}",
            py_repr(name)
        )));
    }
    if plain {
        return Ok(());
    }
    let head_end = name.find(['.', '[']).unwrap_or(name.len());
    let head = &name[..head_end];
    if !head.is_empty() && head.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return Err(err(format!(
            "attribute and index access are not supported: {}",
            py_repr(name)
        )));
    }
    Err(err(format!(
        "invalid field name/expression: {}",
        py_repr(name)
    )))
}

/// Parses a `{`-style format into segments (Python's `string.Formatter.parse` and
/// `StrFormatStyle.validate`).
pub(crate) fn parse(fmt: &str) -> Result<Vec<Segment>, FormatError> {
    let chars: Vec<char> = fmt.chars().collect();
    let mut segments = Vec::new();
    let mut lit = String::new();
    let mut fields = 0;
    let mut positional = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        match c {
            '}' => {
                if chars.get(i) == Some(&'}') {
                    lit.push('}');
                    i += 1;
                    continue;
                }
                return Err(err("Single '}' encountered in format string"));
            }
            '{' => match chars.get(i) {
                None => return Err(err("Single '{' encountered in format string")),
                Some('{') => {
                    lit.push('{');
                    i += 1;
                    continue;
                }
                Some(_) => {}
            },
            c => {
                lit.push(c);
                continue;
            }
        }
        // A replacement field: the name runs to `}`, `:` or `!` (brackets skipped).
        let name_start = i;
        let mut end_char = None;
        while i < chars.len() {
            let c = chars[i];
            i += 1;
            match c {
                '{' => return Err(err("unexpected '{' in field name")),
                '[' => {
                    while i < chars.len() && chars[i] != ']' {
                        i += 1;
                    }
                }
                '}' | ':' | '!' => {
                    end_char = Some(c);
                    break;
                }
                _ => {}
            }
        }
        let name_end = if end_char.is_some() { i - 1 } else { i };
        let name: String = chars[name_start..name_end].iter().collect();
        let mut conversion = None;
        let mut spec_text = String::new();
        match end_char {
            Some('}') => {}
            Some(c) => {
                let mut spec_follows = c == ':';
                if c == '!' {
                    let Some(&conv) = chars.get(i) else {
                        return Err(err("end of string while looking for conversion specifier"));
                    };
                    i += 1;
                    conversion = Some(conv);
                    spec_follows = true;
                    if let Some(&n) = chars.get(i) {
                        i += 1;
                        if n == '}' {
                            spec_follows = false;
                        } else if n != ':' {
                            return Err(err("expected ':' after conversion specifier"));
                        }
                    }
                }
                if spec_follows {
                    let mut depth = 1;
                    let mut closed = false;
                    while i < chars.len() {
                        let c = chars[i];
                        i += 1;
                        match c {
                            '{' => depth += 1,
                            '}' => {
                                depth -= 1;
                                if depth == 0 {
                                    closed = true;
                                    break;
                                }
                            }
                            _ => {}
                        }
                        spec_text.push(c);
                    }
                    if !closed {
                        return Err(err("unmatched '{' in format spec"));
                    }
                }
            }
            None => return Err(err("expected '}' before end of string")),
        }
        // StrFormatStyle.validate, in its order.
        if !name.is_empty() {
            check_name(&name)?;
        }
        if let Some(conv) = conversion {
            if !"rsa".contains(conv) {
                return Err(err(format!(
                    "invalid conversion: {}",
                    py_repr(&conv.to_string())
                )));
            }
        }
        if spec_text.contains('{') {
            return Err(err(format!(
                "nested replacement fields are not supported: {}",
                py_repr(&spec_text)
            )));
        }
        let mut spec = parse_spec(&spec_text)
            .ok_or_else(|| err(format!("bad specifier: {}", py_repr(&spec_text))))?;
        if spec.width.is_some_and(|w| w > MAX_WIDTH)
            || spec.precision.is_some_and(|p| p > MAX_WIDTH)
        {
            return Err(err("Too many decimal digits in format string"));
        }
        if name.is_empty() {
            // Python's validation skips it; formatting would fail.
            positional = true;
            continue;
        }
        spec.conversion = conversion;
        fields += 1;
        if !lit.is_empty() {
            segments.push(Segment::Literal(std::mem::take(&mut lit).into_boxed_str()));
        }
        segments.push(Segment::field(
            Attr::from_name(&name),
            FieldSpec::Brace(spec),
        ));
    }
    if fields == 0 {
        return Err(err("no fields"));
    }
    if positional {
        return Err(err(
            "Replacement index 0 out of range for positional args tuple",
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
        let fill = spec.fill.unwrap_or(if spec.zero { '0' } else { ' ' });
        let align = match spec.align {
            None | Some(Align::AfterSign) => Align::Left,
            Some(a) => a,
        };
        pad(out, start, 0, w, fill, align);
    }
}

fn finish_number(out: &mut Vec<u8>, start: usize, prefix_len: usize, spec: &Spec) {
    if let Some(w) = spec.width {
        let fill = spec.fill.unwrap_or(if spec.zero { '0' } else { ' ' });
        let align = spec.align.unwrap_or(if spec.zero {
            Align::AfterSign
        } else {
            Align::Right
        });
        pad(out, start, prefix_len, w, fill, align);
    }
}

fn sign_byte(negative: bool, spec: &Spec) -> Option<u8> {
    match (negative, spec.sign) {
        (true, _) => Some(b'-'),
        (false, Some(b'+')) => Some(b'+'),
        (false, Some(b' ')) => Some(b' '),
        _ => None,
    }
}

fn write_int(out: &mut Vec<u8>, n: i128, spec: &Spec) {
    let start = out.len();
    if let Some(s) = sign_byte(n < 0, spec) {
        out.push(s);
    }
    let (radix, upper, prefix): (u32, bool, &[u8]) = match spec.ty {
        Some('b') => (2, false, b"0b"),
        Some('o') => (8, false, b"0o"),
        Some('x') => (16, false, b"0x"),
        Some('X') => (16, true, b"0X"),
        _ => (10, false, b""),
    };
    if spec.alt {
        out.extend_from_slice(prefix);
    }
    let prefix_len = out.len() - start;
    let digits_start = out.len();
    write_radix(out, n.unsigned_abs(), radix, upper);
    if let Some(sep) = spec.grouping {
        let group = if radix == 10 { 3 } else { 4 };
        let end = out.len();
        group_digits(out, digits_start, end, group, sep);
    }
    finish_number(out, start, prefix_len, spec);
}

fn write_float(out: &mut Vec<u8>, x: f64, spec: &Spec) {
    let start = out.len();
    if let Some(s) = sign_byte(x.is_sign_negative() && !x.is_nan(), spec) {
        out.push(s);
    }
    let prefix_len = out.len() - start;
    let body = out.len();
    let upper = spec.ty.is_some_and(|t| t.is_ascii_uppercase());
    let a = x.abs();
    let percent = spec.ty == Some('%');
    if !x.is_finite() {
        write_non_finite(out, x, upper);
    } else {
        match spec.ty {
            Some('f' | 'F') => write_fixed(out, a, spec.precision.unwrap_or(6), spec.alt),
            Some('%') => write_fixed(out, a * 100.0, spec.precision.unwrap_or(6), spec.alt),
            Some('e' | 'E') => write_exp(out, a, spec.precision.unwrap_or(6), upper, spec.alt),
            Some('g' | 'G' | 'n') => {
                write_general(out, a, spec.precision.unwrap_or(6), upper, spec.alt, false)
            }
            _ => match spec.precision {
                None => super::attrs::write_float_repr(out, a),
                Some(p) => write_general(out, a, p, false, spec.alt, true),
            },
        }
        if let Some(sep) = spec.grouping {
            let int_end = out[body..]
                .iter()
                .position(|b| !b.is_ascii_digit())
                .map_or(out.len(), |p| body + p);
            group_digits(out, body, int_end, 3, sep);
        }
    }
    if percent {
        out.push(b'%');
    }
    finish_number(out, start, prefix_len, spec);
}

/// Applies `spec` to `val` as Python's `format(value, spec)` after the `!r`/`!s`/`!a`
/// conversion. A spec the value's type rejects (Python's `ValueError` at format time) is
/// applied as to the value's `str()`.
pub(crate) fn render(out: &mut Vec<u8>, val: &Val<'_>, spec: &Spec, ctx: &Ctx<'_, '_>) {
    let start = out.len();
    match spec.conversion {
        Some('r') => {
            write_repr(out, val, ctx, false);
            return finish_text(out, start, spec);
        }
        Some('a') => {
            write_repr(out, val, ctx, true);
            return finish_text(out, start, spec);
        }
        Some(_) => {
            write_str(out, val, ctx);
            return finish_text(out, start, spec);
        }
        None => {}
    }
    match *val {
        Val::Bool(b) if !spec.empty => return render_int(out, b.into(), val, spec, ctx),
        Val::Int(n) => return render_int(out, n, val, spec, ctx),
        Val::Float(x) => {
            if matches!(
                spec.ty,
                None | Some('e' | 'E' | 'f' | 'F' | 'g' | 'G' | 'n' | '%')
            ) {
                return write_float(out, x, spec);
            }
        }
        _ => {}
    }
    write_str(out, val, ctx);
    finish_text(out, start, spec);
}

fn render_int(out: &mut Vec<u8>, n: i128, val: &Val<'_>, spec: &Spec, ctx: &Ctx<'_, '_>) {
    match spec.ty {
        None | Some('d' | 'n' | 'b' | 'o' | 'x' | 'X') => write_int(out, n, spec),
        Some('e' | 'E' | 'f' | 'F' | 'g' | 'G' | '%') => write_float(out, n as f64, spec),
        Some('c') => {
            let start = out.len();
            let c = u32::try_from(n)
                .ok()
                .and_then(char::from_u32)
                .unwrap_or('\u{FFFD}');
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            finish_text(
                out,
                start,
                &Spec {
                    precision: None,
                    ..spec.clone()
                },
            );
        }
        Some(_) => {
            let start = out.len();
            write_str(out, val, ctx);
            finish_text(out, start, spec);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_errors_like_python() {
        let e = |f: &str| parse(f).unwrap_err().to_string();
        assert_eq!(
            e("{message"),
            "invalid format: expected '}' before end of string"
        );
        assert_eq!(
            e("message}"),
            "invalid format: Single '}' encountered in format string"
        );
        assert_eq!(
            e("{message} {"),
            "invalid format: Single '{' encountered in format string"
        );
        assert_eq!(e("{}"), "invalid format: no fields");
        assert_eq!(e("no fields"), "invalid format: no fields");
        assert_eq!(e("{message!x}"), "invalid format: invalid conversion: 'x'");
        assert_eq!(e("{message:<<<}"), "invalid format: bad specifier: '<<<'");
        assert_eq!(
            e("{message!}"),
            "invalid format: unmatched '{' in format spec"
        );
        assert_eq!(
            e("{message!rr}"),
            "invalid format: expected ':' after conversion specifier"
        );
        assert_eq!(
            e("{a-b} {message}"),
            "invalid format: invalid field name/expression: 'a-b'"
        );
        assert!(parse("{{x}} {message:>08.3f} {levelname!r:^10}").is_ok());
    }

    #[test]
    fn spec_mini_language() {
        let s = parse_spec("*^+#010,.3f").unwrap();
        assert_eq!(s.fill, Some('*'));
        assert_eq!(s.align, Some(Align::Center));
        assert_eq!(s.sign, Some(b'+'));
        assert!(s.alt && s.zero);
        assert_eq!(
            (s.width, s.grouping, s.precision, s.ty),
            (Some(10), Some(b','), Some(3), Some('f'))
        );
        assert_eq!(parse_spec("<").unwrap().align, Some(Align::Left));
        assert_eq!(parse_spec("<<").unwrap().fill, Some('<'));
        assert!(parse_spec("z").is_none());
        assert!(parse_spec("5.").is_none());
    }

    #[test]
    fn odd_inputs_never_panic() {
        for f in [
            "{",
            "}",
            "{{",
            "{:",
            "{!",
            "{a!",
            "{a!r",
            "{a[",
            "{a[}",
            "{a:{",
            "{é:é^é}",
            "{a:99999999999999999999999}",
        ] {
            let _ = parse(f);
        }
    }
}
