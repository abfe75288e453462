//! Python's float and integer text forms (`%e`, `%f`, `%g`, radix), written into the buffer.

use std::io::Write as _;

/// Rewrites Rust's exponent (`e4`, `e-5`) starting at `epos` as Python's (`e+04`, `e-05`).
fn fix_exponent(out: &mut Vec<u8>, epos: usize, upper: bool) -> i32 {
    let exp: i32 = std::str::from_utf8(&out[epos + 1..])
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    out.truncate(epos);
    out.push(if upper { b'E' } else { b'e' });
    out.push(if exp < 0 { b'-' } else { b'+' });
    let _ = write!(out, "{:02}", exp.unsigned_abs());
    exp
}

fn find_e(out: &[u8], start: usize) -> Option<usize> {
    out[start..]
        .iter()
        .position(|&b| b == b'e')
        .map(|p| start + p)
}

/// `%.{prec}f` of a finite, non-negative `x`.
pub(crate) fn write_fixed(out: &mut Vec<u8>, x: f64, prec: usize, alt: bool) {
    let _ = write!(out, "{x:.prec$}");
    if alt && prec == 0 {
        out.push(b'.');
    }
}

/// `%.{prec}e` of a finite, non-negative `x`.
pub(crate) fn write_exp(out: &mut Vec<u8>, x: f64, prec: usize, upper: bool, alt: bool) {
    let start = out.len();
    let _ = write!(out, "{x:.prec$e}");
    if let Some(epos) = find_e(out, start) {
        let mut tail = [0u8; 8];
        let tail_len = (out.len() - epos).min(8);
        tail[..tail_len].copy_from_slice(&out[epos..epos + tail_len]);
        if alt && prec == 0 {
            out.truncate(epos);
            out.push(b'.');
            let epos = out.len();
            out.extend_from_slice(&tail[..tail_len]);
            fix_exponent(out, epos, upper);
        } else {
            fix_exponent(out, epos, upper);
        }
    }
}

fn strip_zeros(out: &mut Vec<u8>, start: usize) {
    if !out[start..].contains(&b'.') {
        return;
    }
    while out.len() > start && out[out.len() - 1] == b'0' {
        out.pop();
    }
    if out.len() > start && out[out.len() - 1] == b'.' {
        out.pop();
    }
}

/// `%.{prec}g` of a finite, non-negative `x`. With `add_dot0`, a fixed-point result without
/// a `.` gets `.0` (Python's `format(x, '.3')`).
pub(crate) fn write_general(
    out: &mut Vec<u8>,
    x: f64,
    prec: usize,
    upper: bool,
    alt: bool,
    add_dot0: bool,
) {
    let p = prec.max(1);
    let start = out.len();
    let _ = write!(out, "{:.*e}", p - 1, x);
    let Some(epos) = find_e(out, start) else {
        return;
    };
    let exp: i32 = std::str::from_utf8(&out[epos + 1..])
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    // Python's `format_float_short`: with `add_dot0` (no type, a precision), exponent
    // notation starts one digit earlier.
    let limit = if add_dot0 { p as i64 - 1 } else { p as i64 };
    if -4 <= exp && i64::from(exp) < limit {
        out.truncate(start);
        let digits = (p as i64 - 1 - i64::from(exp)).max(0) as usize;
        let _ = write!(out, "{x:.digits$}");
        if alt {
            if !out[start..].contains(&b'.') {
                out.push(b'.');
            }
        } else {
            strip_zeros(out, start);
            if add_dot0 && !out[start..].contains(&b'.') {
                out.extend_from_slice(b".0");
            }
        }
    } else {
        out.truncate(epos);
        if alt {
            if !out[start..].contains(&b'.') {
                out.push(b'.');
            }
        } else {
            strip_zeros(out, start);
        }
        let epos = out.len();
        let _ = write!(out, "e{exp}");
        fix_exponent(out, epos, upper);
    }
}

/// Writes the digits of `n` (non-negative) in `radix` (2, 8, 10, 16; `upper` for `X`).
pub(crate) fn write_radix(out: &mut Vec<u8>, n: u128, radix: u32, upper: bool) {
    let _ = match (radix, upper) {
        (2, _) => write!(out, "{n:b}"),
        (8, _) => write!(out, "{n:o}"),
        (16, false) => write!(out, "{n:x}"),
        (16, true) => write!(out, "{n:X}"),
        _ => write!(out, "{n}"),
    };
}

/// `inf`/`nan` in Python's spelling.
pub(crate) fn write_non_finite(out: &mut Vec<u8>, x: f64, upper: bool) {
    let s: &[u8] = match (x.is_nan(), upper) {
        (true, false) => b"nan",
        (true, true) => b"NAN",
        (false, false) => b"inf",
        (false, true) => b"INF",
    };
    out.extend_from_slice(s);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(x: f64, p: usize, alt: bool) -> String {
        let mut o = Vec::new();
        write_general(&mut o, x, p, false, alt, false);
        String::from_utf8(o).unwrap()
    }

    fn e(x: f64, p: usize) -> String {
        let mut o = Vec::new();
        write_exp(&mut o, x, p, false, false);
        String::from_utf8(o).unwrap()
    }

    #[test]
    fn python_float_forms() {
        assert_eq!(g(1700000000.007891, 6, false), "1.7e+09");
        assert_eq!(g(1234.5678, 6, false), "1234.57");
        assert_eq!(g(0.0001, 6, false), "0.0001");
        assert_eq!(g(0.00001, 6, false), "1e-05");
        assert_eq!(g(7.0, 6, true), "7.00000");
        assert_eq!(g(0.0, 6, false), "0");
        assert_eq!(g(9.9999995, 6, false), "10");
        assert_eq!(e(1234.5678, 6), "1.234568e+03");
        assert_eq!(e(0.0, 2), "0.00e+00");
        assert_eq!(e(1e-300, 1), "1.0e-300");
    }
}
