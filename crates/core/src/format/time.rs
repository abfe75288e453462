//! `asctime` and JSON timestamps: time zones, C `strftime`, and the per-thread cache of the
//! formatted second.

use std::cell::RefCell;
use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use jiff::civil::{DateTime, Weekday};
use jiff::tz::TimeZone;
use jiff::Timestamp;

/// Which clock a formatter's times are shown in.
#[derive(Debug, Clone)]
pub(crate) enum Zone {
    /// Python's `converter = time.gmtime` (`%Z` prints `GMT`, as glibc's `gmtime`).
    Utc,
    /// A time zone (the system's local zone by default).
    Tz(TimeZone),
}

impl Zone {
    /// The system's local zone, loaded once per process (UTC when it cannot be found).
    pub(crate) fn local() -> Zone {
        static SYSTEM: OnceLock<TimeZone> = OnceLock::new();
        Zone::Tz(
            SYSTEM
                .get_or_init(|| TimeZone::try_system().unwrap_or(TimeZone::UTC))
                .clone(),
        )
    }
}

/// A fresh identity for a formatter configuration (the cache key).
pub(crate) fn next_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Seconds (floored) and truncated milliseconds of `t`, as Python's `time.localtime(created)`
/// and `msecs`.
pub(crate) fn split_time(t: SystemTime) -> (i64, u32) {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => (
            i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            d.subsec_millis(),
        ),
        Err(e) => {
            let d = e.duration();
            let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
            if d.subsec_nanos() == 0 {
                (-secs, 0)
            } else {
                (-secs - 1, (1_000_000_000 - d.subsec_nanos()) / 1_000_000)
            }
        }
    }
}

/// What text a cached second holds.
#[derive(Debug, Clone, Copy)]
pub(crate) enum DateKind<'a> {
    /// `YYYY-MM-DD HH:MM:SS` then `,mmm` (Python's default `asctime`).
    Default,
    /// `strftime(datefmt)`, no milliseconds.
    Strftime(&'a str),
    /// RFC 3339 with milliseconds: `YYYY-MM-DDTHH:MM:SS.mmm+HH:MM` (`Z` for UTC).
    Rfc3339,
}

/// The broken-down time `strftime` needs.
struct Tm<'a> {
    dt: DateTime,
    offset_secs: i32,
    abbrev: &'a str,
    epoch: i64,
}

fn with_tm<R>(zone: &Zone, secs: i64, f: impl FnOnce(&Tm<'_>) -> R) -> R {
    let ts = Timestamp::from_second(secs).unwrap_or(Timestamp::UNIX_EPOCH);
    match zone {
        Zone::Utc => f(&Tm {
            dt: jiff::tz::Offset::UTC.to_datetime(ts),
            offset_secs: 0,
            abbrev: "GMT",
            epoch: secs,
        }),
        Zone::Tz(tz) => {
            let info = tz.to_offset_info(ts);
            let offset = info.offset();
            f(&Tm {
                dt: offset.to_datetime(ts),
                offset_secs: offset.seconds(),
                abbrev: info.abbreviation(),
                epoch: secs,
            })
        }
    }
}

/// The longest formatted second kept in the cache (longer `datefmt` results are rendered
/// for every record).
const CACHED_TEXT: usize = 64;

/// One formatted second of one formatter configuration.
#[derive(Clone, Copy)]
struct Entry {
    id: u64,
    second: i64,
    len: u8,
    /// Where the milliseconds go (`Default`: the end; `Rfc3339`: before the offset).
    split: u8,
    text: [u8; CACHED_TEXT],
}

const EMPTY_ENTRY: Entry = Entry {
    id: 0,
    second: 0,
    len: 0,
    split: 0,
    text: [0; CACHED_TEXT],
};

struct Cache {
    entries: [Entry; 4],
    next: usize,
}

thread_local! {
    // Const-initialised and without heap data: no lazy set-up or destructor on each access.
    static CACHE: RefCell<Cache> = const {
        RefCell::new(Cache { entries: [EMPTY_ENTRY; 4], next: 0 })
    };
}

/// Writes the time `t` as `kind` in `zone`. `id` identifies the (zone, kind) configuration
/// for the per-thread cache of the formatted second.
pub(crate) fn write_time(
    out: &mut Vec<u8>,
    id: u64,
    zone: &Zone,
    kind: DateKind<'_>,
    t: SystemTime,
) {
    let (second, millis) = split_time(t);
    let cached = CACHE.try_with(|cache| {
        let Ok(mut cache) = cache.try_borrow_mut() else {
            return false;
        };
        let cache = &mut *cache;
        let slot = match cache.entries.iter().position(|e| e.id == id) {
            Some(i) => i,
            None => {
                let i = cache.next;
                cache.next = (cache.next + 1) % cache.entries.len();
                cache.entries[i].id = 0;
                i
            }
        };
        let entry = &mut cache.entries[slot];
        if (entry.id != id || entry.second != second)
            && !refill(entry, out, id, zone, kind, second, millis)
        {
            return true;
        }
        emit(
            out,
            &entry.text[..usize::from(entry.len)],
            usize::from(entry.split),
            kind,
            millis,
        );
        true
    });
    if cached != Ok(true) {
        write_uncached(out, zone, kind, second, millis);
    }
}

/// Without the cache (re-entered, or during thread teardown).
#[cold]
#[inline(never)]
fn write_uncached(out: &mut Vec<u8>, zone: &Zone, kind: DateKind<'_>, second: i64, millis: u32) {
    let start = out.len();
    let split = render_second(out, zone, kind, second);
    insert_millis(out, start + split, kind, millis);
}

/// Puts the milliseconds in at `at` of a second rendered at the end of `out`, without a
/// temporary: append them, then rotate the tail after them.
fn insert_millis(out: &mut Vec<u8>, at: usize, kind: DateKind<'_>, millis: u32) {
    let tail_len = out.len() - at;
    write_millis(out, kind, millis);
    out[at..].rotate_left(tail_len);
}

/// Renders `second` into `entry` (a new second, or a formatter new to this thread); false
/// when the text is too long to cache and was written to `out` whole instead.
#[cold]
#[inline(never)]
fn refill(
    entry: &mut Entry,
    out: &mut Vec<u8>,
    id: u64,
    zone: &Zone,
    kind: DateKind<'_>,
    second: i64,
    millis: u32,
) -> bool {
    let start = out.len();
    let split = render_second(out, zone, kind, second);
    let text = &out[start..];
    if text.len() > CACHED_TEXT {
        // Too long to cache: written in place. The entry stays this formatter's (with a
        // second no record has), so the next record does not evict another formatter's.
        insert_millis(out, start + split, kind, millis);
        entry.id = id;
        entry.second = i64::MIN;
        return false;
    }
    entry.text[..text.len()].copy_from_slice(text);
    entry.len = text.len() as u8;
    entry.split = split as u8;
    entry.id = id;
    entry.second = second;
    out.truncate(start);
    true
}

fn write_millis(out: &mut Vec<u8>, kind: DateKind<'_>, millis: u32) {
    let sep = match kind {
        DateKind::Default => b',',
        DateKind::Rfc3339 => b'.',
        DateKind::Strftime(_) => return,
    };
    // Three digits by hand: this runs for every record.
    let m = millis.min(999);
    out.extend_from_slice(&[
        sep,
        b'0' + (m / 100) as u8,
        b'0' + (m / 10 % 10) as u8,
        b'0' + (m % 10) as u8,
    ]);
}

fn emit(out: &mut Vec<u8>, text: &[u8], split: usize, kind: DateKind<'_>, millis: u32) {
    let split = split.min(text.len());
    out.extend_from_slice(&text[..split]);
    write_millis(out, kind, millis);
    out.extend_from_slice(&text[split..]);
}

/// Renders the second into `out`; returns where (relative to the start) the milliseconds go.
fn render_second(out: &mut Vec<u8>, zone: &Zone, kind: DateKind<'_>, second: i64) -> usize {
    let start = out.len();
    with_tm(zone, second, |tm| match kind {
        DateKind::Default => {
            strftime(out, "%Y-%m-%d %H:%M:%S", tm);
            out.len() - start
        }
        DateKind::Strftime(f) => {
            strftime(out, f, tm);
            out.len() - start
        }
        DateKind::Rfc3339 => {
            strftime(out, "%Y-%m-%dT%H:%M:%S", tm);
            let split = out.len() - start;
            if matches!(zone, Zone::Utc) {
                out.push(b'Z');
            } else {
                let o = tm.offset_secs;
                let sign = if o < 0 { '-' } else { '+' };
                let a = o.unsigned_abs();
                let _ = write!(out, "{sign}{:02}:{:02}", a / 3600, a / 60 % 60);
            }
            split
        }
    })
}

const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn wday(w: Weekday) -> usize {
    w.to_sunday_zero_offset() as usize
}

/// Padding of a numeric directive, as glibc's flags choose it.
#[derive(Clone, Copy, PartialEq)]
enum Pad {
    Zero,
    Space,
    None,
}

fn num(out: &mut Vec<u8>, value: i64, width: usize, default: Pad, flag: Option<Pad>) {
    let pad = flag.unwrap_or(default);
    let _ = match pad {
        Pad::Zero => write!(out, "{value:0width$}"),
        Pad::Space => write!(out, "{value:width$}"),
        Pad::None => write!(out, "{value}"),
    };
}

fn text(out: &mut Vec<u8>, s: &str, upper: bool) {
    if upper {
        out.extend(s.bytes().map(|b| b.to_ascii_uppercase()));
    } else {
        out.extend_from_slice(s.as_bytes());
    }
}

/// C `strftime` in the C locale, as glibc implements it, for the directives Python users
/// write. Unknown directives are copied literally (`%f` stays `%f`, as on glibc); glibc's
/// `-`, `_`, `0` and `^` flags are honoured, `E`/`O` modifiers ignored.
fn strftime(out: &mut Vec<u8>, fmt: &str, tm: &Tm<'_>) {
    let b = fmt.as_bytes();
    let dt = tm.dt;
    let date = dt.date();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'%' {
            let next = b[i..]
                .iter()
                .position(|&c| c == b'%')
                .map_or(b.len(), |p| i + p);
            out.extend_from_slice(&b[i..next]);
            i = next;
            continue;
        }
        let begin = i;
        i += 1;
        let mut flag = None;
        let mut upper = false;
        while i < b.len() {
            match b[i] {
                b'-' => flag = Some(Pad::None),
                b'_' => flag = Some(Pad::Space),
                b'0' => flag = Some(Pad::Zero),
                b'^' => upper = true,
                b'#' => {}
                _ => break,
            }
            i += 1;
        }
        while i < b.len() && matches!(b[i], b'E' | b'O') {
            i += 1;
        }
        let Some(&c) = b.get(i) else {
            out.extend_from_slice(&b[begin..]);
            break;
        };
        i += 1;
        let hour12 = match dt.hour() % 12 {
            0 => 12,
            h => h,
        };
        let yday = i64::from(date.day_of_year()) - 1;
        let wd = wday(date.weekday()) as i64;
        match c {
            b'%' => out.push(b'%'),
            b'a' => text(out, &DAYS[wd as usize][..3], upper),
            b'A' => text(out, DAYS[wd as usize], upper),
            b'b' | b'h' => text(out, &MONTHS[(dt.month() - 1) as usize][..3], upper),
            b'B' => text(out, MONTHS[(dt.month() - 1) as usize], upper),
            b'c' => strftime(out, "%a %b %e %H:%M:%S %Y", tm),
            b'C' => num(
                out,
                i64::from(dt.year()).div_euclid(100),
                2,
                Pad::Zero,
                flag,
            ),
            b'd' => num(out, dt.day().into(), 2, Pad::Zero, flag),
            b'D' | b'x' => strftime(out, "%m/%d/%y", tm),
            b'e' => num(out, dt.day().into(), 2, Pad::Space, flag),
            b'F' => strftime(out, "%Y-%m-%d", tm),
            b'G' => num(out, date.iso_week_date().year().into(), 1, Pad::None, flag),
            b'g' => num(
                out,
                i64::from(date.iso_week_date().year()).rem_euclid(100),
                2,
                Pad::Zero,
                flag,
            ),
            b'H' => num(out, dt.hour().into(), 2, Pad::Zero, flag),
            b'I' => num(out, hour12.into(), 2, Pad::Zero, flag),
            b'j' => num(out, yday + 1, 3, Pad::Zero, flag),
            b'k' => num(out, dt.hour().into(), 2, Pad::Space, flag),
            b'l' => num(out, hour12.into(), 2, Pad::Space, flag),
            b'm' => num(out, dt.month().into(), 2, Pad::Zero, flag),
            b'M' => num(out, dt.minute().into(), 2, Pad::Zero, flag),
            b'n' => out.push(b'\n'),
            b'p' => out.extend_from_slice(if dt.hour() < 12 { b"AM" } else { b"PM" }),
            b'P' => out.extend_from_slice(if dt.hour() < 12 { b"am" } else { b"pm" }),
            b'r' => strftime(out, "%I:%M:%S %p", tm),
            b'R' => strftime(out, "%H:%M", tm),
            b's' => num(out, tm.epoch, 1, Pad::None, flag),
            b'S' => num(out, dt.second().into(), 2, Pad::Zero, flag),
            b't' => out.push(b'\t'),
            b'T' | b'X' => strftime(out, "%H:%M:%S", tm),
            b'u' => num(out, if wd == 0 { 7 } else { wd }, 1, Pad::None, flag),
            b'U' => num(out, (yday + 7 - wd) / 7, 2, Pad::Zero, flag),
            b'V' => num(out, date.iso_week_date().week().into(), 2, Pad::Zero, flag),
            b'w' => num(out, wd, 1, Pad::None, flag),
            b'W' => num(out, (yday + 7 - (wd + 6) % 7) / 7, 2, Pad::Zero, flag),
            b'y' => num(
                out,
                i64::from(dt.year()).rem_euclid(100),
                2,
                Pad::Zero,
                flag,
            ),
            b'Y' => num(out, dt.year().into(), 1, Pad::None, flag),
            b'z' => {
                let o = tm.offset_secs;
                out.push(if o < 0 { b'-' } else { b'+' });
                let a = o.unsigned_abs();
                let _ = write!(out, "{:02}{:02}", a / 3600, a / 60 % 60);
            }
            b'Z' => text(out, tm.abbrev, upper),
            _ => {
                // Unknown: copied as written (glibc), up to and including this character,
                // which may be the start of a multi-byte character.
                let mut end = i;
                while end < b.len() && b[end] & 0xC0 == 0x80 {
                    end += 1;
                }
                out.extend_from_slice(&b[begin..end]);
                i = end;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(zone: &Zone, fmt: &str, secs: i64) -> String {
        let mut out = Vec::new();
        with_tm(zone, secs, |tm| strftime(&mut out, fmt, tm));
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn strftime_like_glibc() {
        let z = Zone::Utc;
        assert_eq!(
            render(&z, "%Y-%m-%dT%H:%M:%S%z %Z", 1_700_000_000),
            "2023-11-14T22:13:20+0000 GMT"
        );
        assert_eq!(
            render(&z, "%e|%j|%p|%I|%a %A %b %B|%y|%%|%c|%x|%X|%D|%T|%s|%u|%w|%G|%V|%U|%W|%k|%l|%C|%h|%R|%r|%F|%Q|%f|%", 1_700_000_000),
            "14|318|PM|10|Tue Tuesday Nov November|23|%|Tue Nov 14 22:13:20 2023|11/14/23|22:13:20|11/14/23|22:13:20|1700000000|2|2|2023|46|46|46|22|10|20|Nov|22:13|10:13:20 PM|2023-11-14|%Q|%f|%"
        );
        assert_eq!(
            render(&z, "%-d/%-m %_H %^a é%", 1_700_000_000),
            "14/11 22 TUE é%"
        );
        let tz = Zone::Tz(TimeZone::get("America/New_York").unwrap());
        assert_eq!(render(&tz, "%H %z %Z", 1_700_000_000), "17 -0500 EST");
    }

    #[test]
    fn cached_and_uncached_agree() {
        let t = UNIX_EPOCH + std::time::Duration::from_millis(1_700_000_000_007);
        let mut out = Vec::new();
        write_time(&mut out, 999_999, &Zone::Utc, DateKind::Rfc3339, t);
        write_time(&mut out, 999_999, &Zone::Utc, DateKind::Rfc3339, t);
        assert_eq!(out, b"2023-11-14T22:13:20.007Z2023-11-14T22:13:20.007Z");
        let mut out = Vec::new();
        let split = render_second(&mut out, &Zone::Utc, DateKind::Default, 1_700_000_000);
        assert_eq!(split, out.len());
    }

    #[test]
    fn texts_too_long_to_cache_are_written_whole_and_keep_their_slot() {
        let t = UNIX_EPOCH + std::time::Duration::from_millis(1_700_000_000_007);
        let long = "%Y-%m-%d %H:%M:%S %A %B | %Y-%m-%d %H:%M:%S %A %B | %Y-%m-%d %H:%M:%S";
        let expected = render(&Zone::Utc, long, 1_700_000_000);
        assert!(expected.len() > CACHED_TEXT);
        let (long_id, short_id) = (next_id(), next_id());
        for _ in 0..3 {
            let mut out = b"|".to_vec();
            write_time(&mut out, long_id, &Zone::Utc, DateKind::Strftime(long), t);
            assert_eq!(out, format!("|{expected}").as_bytes());
            out.clear();
            write_time(&mut out, short_id, &Zone::Utc, DateKind::Default, t);
            assert_eq!(out, b"2023-11-14 22:13:20,007");
        }
        // The long text did not push the short one out of this thread's cache.
        let ids: Vec<u64> = CACHE.with(|c| c.borrow().entries.iter().map(|e| e.id).collect());
        assert_eq!(ids.iter().filter(|&&id| id == long_id).count(), 1);
        assert_eq!(ids.iter().filter(|&&id| id == short_id).count(), 1);
    }

    #[test]
    fn negative_times_floor() {
        let t = UNIX_EPOCH - std::time::Duration::from_millis(1500);
        assert_eq!(split_time(t), (-2, 500));
    }
}
