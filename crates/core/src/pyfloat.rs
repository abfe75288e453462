//! Python's `repr(float)`: the shortest text that reads back as the same float.

use std::fmt;

/// Writes `x` as Python's `repr(float)` / `str(float)` does: `7.0`, `1700000000.007891`,
/// `1e+16`, `1.5e-05`, `inf`, `nan`.
pub(crate) fn write_repr(out: &mut dyn fmt::Write, x: f64) -> fmt::Result {
    if x.is_nan() {
        return out.write_str("nan");
    }
    if x.is_infinite() {
        return out.write_str(if x > 0.0 { "inf" } else { "-inf" });
    }
    // Rust's `{:e}` gives the shortest round-trip digits, like Python's repr.
    let mut buf = [0u8; 40];
    let mut cursor = std::io::Cursor::new(&mut buf[..]);
    let _ = std::io::Write::write_fmt(&mut cursor, format_args!("{x:e}"));
    let len = cursor.position() as usize;
    let sci = std::str::from_utf8(&buf[..len]).unwrap_or("0e0");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    out.write_str(sign)?;
    let mut digit_buf = [0u8; 40];
    let mut n = 0;
    for b in mantissa.bytes().filter(|b| *b != b'.') {
        digit_buf[n] = b;
        n += 1;
    }
    let digits = std::str::from_utf8(&digit_buf[..n]).unwrap_or("0");
    if (-4..16).contains(&exp) {
        if exp < 0 {
            out.write_str("0.")?;
            for _ in 0..(-exp - 1) {
                out.write_char('0')?;
            }
            out.write_str(digits)
        } else {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                out.write_str(digits)?;
                for _ in digits.len()..int_len {
                    out.write_char('0')?;
                }
                out.write_str(".0")
            } else {
                out.write_str(&digits[..int_len])?;
                out.write_char('.')?;
                out.write_str(&digits[int_len..])
            }
        }
    } else {
        out.write_str(&digits[..1])?;
        if digits.len() > 1 {
            out.write_char('.')?;
            out.write_str(&digits[1..])?;
        }
        write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
    }
}

#[cfg(test)]
mod tests {
    fn repr(x: f64) -> String {
        let mut s = String::new();
        super::write_repr(&mut s, x).unwrap();
        s
    }

    #[test]
    fn matches_python_repr() {
        assert_eq!(repr(7.0), "7.0");
        assert_eq!(repr(1700000000.007891), "1700000000.007891");
        assert_eq!(repr(1e16), "1e+16");
        assert_eq!(repr(1.5e-5), "1.5e-05");
        assert_eq!(repr(0.0001), "0.0001");
        assert_eq!(repr(-2.5), "-2.5");
        assert_eq!(repr(0.0), "0.0");
        assert_eq!(repr(123456789012345680.0), "1.2345678901234568e+17");
        assert_eq!(repr(1234.5678), "1234.5678");
    }
}
