//! `$`-style formats: Python's `string.Template` (`$name`, `${name}`, `$$`).

use super::attrs::Attr;
use super::{FieldSpec, FormatError, Segment};

fn is_start(b: u8) -> bool {
    b == b'_' || b.is_ascii_alphabetic()
}

fn is_continue(b: u8) -> bool {
    b == b'_' || b.is_ascii_alphanumeric()
}

/// Parses a `$`-style format (`StringTemplateStyle.validate`: a `$` that starts nothing
/// valid is `bare '$' not allowed`; at least one field).
pub(crate) fn parse(fmt: &str) -> Result<Vec<Segment>, FormatError> {
    let b = fmt.as_bytes();
    let mut segments = Vec::new();
    let mut lit_start = 0;
    let mut lit = String::new();
    let mut fields = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'$' {
            i += 1;
            continue;
        }
        lit.push_str(&fmt[lit_start..i]);
        let name_range;
        if b.get(i + 1) == Some(&b'$') {
            lit.push('$');
            i += 2;
            lit_start = i;
            continue;
        } else if b.get(i + 1).copied().is_some_and(is_start) {
            let s = i + 1;
            let mut e = s;
            while e < b.len() && is_continue(b[e]) {
                e += 1;
            }
            name_range = s..e;
            i = e;
        } else if b.get(i + 1) == Some(&b'{') && b.get(i + 2).copied().is_some_and(is_start) {
            let s = i + 2;
            let mut e = s;
            while e < b.len() && is_continue(b[e]) {
                e += 1;
            }
            if b.get(e) != Some(&b'}') {
                return Err(FormatError::new("invalid format: bare '$' not allowed"));
            }
            name_range = s..e;
            i = e + 1;
        } else {
            return Err(FormatError::new("invalid format: bare '$' not allowed"));
        }
        lit_start = i;
        fields += 1;
        if !lit.is_empty() {
            segments.push(Segment::Literal(std::mem::take(&mut lit).into_boxed_str()));
        }
        segments.push(Segment::field(
            Attr::from_name(&fmt[name_range]),
            FieldSpec::Str,
        ));
    }
    lit.push_str(&fmt[lit_start..]);
    if fields == 0 {
        return Err(FormatError::new("invalid format: no fields"));
    }
    if !lit.is_empty() {
        segments.push(Segment::Literal(lit.into_boxed_str()));
    }
    Ok(segments)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_rules() {
        let e = |f: &str| parse(f).unwrap_err().to_string();
        assert_eq!(e("$"), "invalid format: bare '$' not allowed");
        assert_eq!(e("$1 $message"), "invalid format: bare '$' not allowed");
        assert_eq!(e("${message"), "invalid format: bare '$' not allowed");
        assert_eq!(e("$$"), "invalid format: no fields");
        assert_eq!(e("no"), "invalid format: no fields");
        let segs = parse("$$${a}b $c_1é").unwrap();
        assert_eq!(segs.len(), 5);
        for f in ["$é", "${", "${}", "${é}", "$$$", "é$a"] {
            let _ = parse(f);
        }
    }
}
