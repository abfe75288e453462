//! The event's insertion string: UTF-16, NUL-terminated, within `ReportEventW`'s limit.

/// The most UTF-16 code units `ReportEventW` takes in one insertion string (31,839 as
/// documented for `lpStrings`; the terminating NUL not counted).
pub const MAX_STRING_UNITS: usize = 31_839;

/// Encodes `text` as the NUL-terminated UTF-16 string `ReportEventW` takes, into `out`
/// (cleared first, so a buffer can be reused).
///
/// - A NUL inside `text` would end the string early: it becomes U+FFFD.
/// - A text longer than `max_units` UTF-16 code units (without the NUL) is cut at a
///   character boundary (never inside a surrogate pair) and ends with
///   `...[truncated from N characters]`, N counting UTF-16 code units; the result then has
///   at most `max_units` units before the NUL. The original length is returned.
///
/// ```
/// use tracing_handlers_eventlog_sys::{encode_message, MAX_STRING_UNITS};
///
/// let mut wide = Vec::new();
/// assert_eq!(encode_message("disk \u{e9}", MAX_STRING_UNITS, &mut wide), None);
/// assert_eq!(wide, [100, 105, 115, 107, 32, 0xe9, 0]);
///
/// let long = "x".repeat(100);
/// assert_eq!(encode_message(&long, 40, &mut wide), Some(100));
/// assert_eq!(String::from_utf16_lossy(&wide[..wide.len() - 1]),
///            "xxxxxx...[truncated from 100 characters]");
/// ```
pub fn encode_message(text: &str, max_units: usize, out: &mut Vec<u16>) -> Option<usize> {
    out.clear();
    let total: usize = text.chars().map(char::len_utf16).sum();
    if total <= max_units {
        out.reserve(total + 1);
        push_units(text, usize::MAX, out);
        out.push(0);
        return None;
    }
    let marker = format!("...[truncated from {} characters]", total);
    let marker_units = marker.len(); // ASCII
    let keep = max_units.saturating_sub(marker_units);
    out.reserve(max_units + 1);
    push_units(text, keep, out);
    let room = max_units - out.len();
    out.extend(marker.encode_utf16().take(room));
    out.push(0);
    Some(total)
}

/// Pushes whole characters of `text` while they fit in `limit` units, NUL as U+FFFD.
fn push_units(text: &str, limit: usize, out: &mut Vec<u16>) {
    let mut pair = [0u16; 2];
    let mut used = 0;
    for c in text.chars() {
        let c = if c == '\0' { '\u{fffd}' } else { c };
        let units = c.encode_utf16(&mut pair);
        if used + units.len() > limit {
            break;
        }
        used += units.len();
        out.extend_from_slice(units);
    }
}

/// `text` as a NUL-terminated UTF-16 string (for names: source, server, registry keys).
pub fn wide_z(text: &str) -> Vec<u16> {
    text.encode_utf16().chain(std::iter::once(0)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(wide: &[u16]) -> String {
        assert_eq!(wide.last(), Some(&0), "NUL-terminated");
        assert!(!wide[..wide.len() - 1].contains(&0), "no inner NUL");
        String::from_utf16(&wide[..wide.len() - 1]).expect("valid UTF-16")
    }

    #[test]
    fn short_text_is_kept_whole() {
        let mut out = Vec::new();
        let text = "multi\nline \u{e9} \u{65e5}\u{672c} \u{1f600}";
        assert_eq!(encode_message(text, MAX_STRING_UNITS, &mut out), None);
        assert_eq!(text_of(&out), text);
        // The emoji is a surrogate pair: two units.
        assert_eq!(out.len(), text.chars().count() + 1 + 1);
    }

    #[test]
    fn inner_nul_is_replaced() {
        let mut out = Vec::new();
        encode_message("a\0b", 10, &mut out);
        assert_eq!(text_of(&out), "a\u{fffd}b");
    }

    #[test]
    fn exactly_the_limit_is_not_cut() {
        let mut out = Vec::new();
        let text = "y".repeat(MAX_STRING_UNITS);
        assert_eq!(encode_message(&text, MAX_STRING_UNITS, &mut out), None);
        assert_eq!(out.len(), MAX_STRING_UNITS + 1);
    }

    #[test]
    fn long_text_is_cut_visibly_within_the_limit() {
        let mut out = Vec::new();
        let text = "z".repeat(40_000);
        assert_eq!(
            encode_message(&text, MAX_STRING_UNITS, &mut out),
            Some(40_000)
        );
        assert_eq!(out.len(), MAX_STRING_UNITS + 1);
        let s = text_of(&out);
        assert!(
            s.ends_with("z...[truncated from 40000 characters]"),
            "{}",
            s
        );
    }

    #[test]
    fn cut_never_splits_a_surrogate_pair() {
        let mut out = Vec::new();
        // Each emoji is 2 units; the marker for 60 units is 33 units long.
        let text = "\u{1f600}".repeat(30);
        let marker = "...[truncated from 60 characters]";
        let max = marker.len() + 5; // room for 2 emoji and a half
        assert_eq!(encode_message(&text, max, &mut out), Some(60));
        let s = text_of(&out);
        assert_eq!(s, format!("\u{1f600}\u{1f600}{}", marker));
        assert!(out.len() - 1 <= max);
    }

    #[test]
    fn tiny_limit_still_terminates() {
        let mut out = Vec::new();
        assert_eq!(encode_message("abcdef", 3, &mut out), Some(6));
        assert_eq!(text_of(&out), "...");
        assert_eq!(encode_message("abc", 0, &mut out), Some(3));
        assert_eq!(out, [0]);
    }

    #[test]
    fn buffer_is_reused() {
        let mut out = Vec::new();
        encode_message("first message", 100, &mut out);
        encode_message("2nd", 100, &mut out);
        assert_eq!(text_of(&out), "2nd");
        assert_eq!(wide_z("ab"), [97, 98, 0]);
    }
}
