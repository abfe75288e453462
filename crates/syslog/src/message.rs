//! Building the bytes of one syslog message: Python's, RFC 3164 and RFC 5424.

use std::fmt::Write as _;
use std::io::Write as _;
use std::time::SystemTime;

use jiff::tz::TimeZone;
use jiff::Timestamp;
use tracing_handlers_core::{Format, Record, Value, CRITICAL_FIELD};

use crate::facility::{encode_priority, Facility, SeverityMapping};

/// The layout of each message.
///
/// ```
/// use tracing_handlers_syslog::MessageFormat;
/// assert_eq!(MessageFormat::default(), MessageFormat::Python);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum MessageFormat {
    /// Python's `SysLogHandler` bytes: `<PRI>` + ident + the formatted record (no timestamp,
    /// no hostname; the receiver fills them in).
    #[default]
    Python,
    /// RFC 3164 (BSD): `<PRI>Mmm dd hh:mm:ss HOSTNAME TAG[PID]: ` + the formatted record, in
    /// local time. The hostname is left out on unix sockets, where syslog daemons expect
    /// glibc's layout without it.
    Rfc3164,
    /// RFC 5424: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD] BOM` + the formatted
    /// record, with the event's fields as structured data.
    Rfc5424,
}

/// What one message needs besides the record: everything fixed at construction.
#[derive(Debug)]
pub(crate) struct Encoder {
    pub(crate) format: MessageFormat,
    pub(crate) facility: Facility,
    pub(crate) severities: SeverityMapping,
    pub(crate) formatter: Box<dyn Format>,
    /// Python's `ident` prefix (Python format only).
    pub(crate) ident: String,
    /// RFC 3164 TAG / RFC 5424 APP-NAME (sanitised).
    pub(crate) app_name: String,
    /// Short host name for RFC 3164, `None` to leave it out.
    pub(crate) hostname_3164: Option<String>,
    /// Host name for RFC 5424 (`-` when unknown).
    pub(crate) hostname_5424: String,
    pub(crate) sd_id: String,
    pub(crate) msgid_field: Option<String>,
    pub(crate) bom: bool,
    pub(crate) utc: bool,
    pub(crate) zone: TimeZone,
    pub(crate) escape_newlines: bool,
    pub(crate) append_nul: bool,
    pub(crate) max_size: usize,
}

/// The result of encoding one record.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Encoded {
    /// The message was cut to the size limit; this was its full size.
    pub(crate) truncated_from: Option<usize>,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

impl Encoder {
    /// Appends the message for `record` to `out` (empty on entry): header, formatted
    /// record, optional NUL. Framing is the transport's business.
    pub(crate) fn encode(&self, record: &Record<'_>, out: &mut Vec<u8>) -> Encoded {
        let severity = self.severities.severity(record.level);
        let pri = encode_priority(self.facility, severity);
        let _ = write!(out, "<{pri}>");
        match self.format {
            MessageFormat::Python => out.extend_from_slice(self.ident.as_bytes()),
            MessageFormat::Rfc3164 => {
                let (month, day, h, m, s) = self.local_parts(record.created);
                let _ = write!(out, "{} {day:>2} {h:02}:{m:02}:{s:02} ", MONTHS[month]);
                if let Some(host) = &self.hostname_3164 {
                    out.extend_from_slice(host.as_bytes());
                    out.push(b' ');
                }
                let _ = write!(out, "{}[{}]: ", self.app_name, record.process_id);
            }
            MessageFormat::Rfc5424 => {
                out.extend_from_slice(b"1 ");
                self.write_5424_time(record.created, out);
                let _ = write!(
                    out,
                    " {} {} {} ",
                    self.hostname_5424, self.app_name, record.process_id
                );
                self.write_msgid(record, out);
                out.push(b' ');
                self.write_structured_data(record, out);
                out.push(b' ');
                if self.bom {
                    out.extend_from_slice(b"\xEF\xBB\xBF");
                }
            }
        }
        let msg_start = out.len();
        self.formatter.format(record, out);
        if self.escape_newlines && out[msg_start..].iter().any(|&b| b == b'\n' || b == b'\r') {
            let msg = out.split_off(msg_start);
            for b in msg {
                match b {
                    b'\n' => out.extend_from_slice(b"\\n"),
                    b'\r' => out.extend_from_slice(b"\\r"),
                    b => out.push(b),
                }
            }
        }
        let nul = usize::from(self.append_nul);
        let mut encoded = Encoded::default();
        if out.len() + nul > self.max_size {
            encoded.truncated_from = Some(out.len() + nul);
            truncate_visibly(out, msg_start, self.max_size.saturating_sub(nul));
        }
        if self.append_nul {
            out.push(0);
        }
        encoded
    }

    fn local_parts(&self, t: SystemTime) -> (usize, i8, i8, i8, i8) {
        let ts = Timestamp::try_from(t).unwrap_or(Timestamp::UNIX_EPOCH);
        let zoned = ts.to_zoned(self.zone.clone());
        (
            (zoned.month() - 1) as usize,
            zoned.day(),
            zoned.hour(),
            zoned.minute(),
            zoned.second(),
        )
    }

    fn write_5424_time(&self, t: SystemTime, out: &mut Vec<u8>) {
        let ts = Timestamp::try_from(t).unwrap_or(Timestamp::UNIX_EPOCH);
        let zone = if self.utc {
            TimeZone::UTC
        } else {
            self.zone.clone()
        };
        let zoned = ts.to_zoned(zone);
        let micros = zoned.subsec_nanosecond() / 1000;
        let _ = write!(
            out,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{micros:06}",
            zoned.year(),
            zoned.month(),
            zoned.day(),
            zoned.hour(),
            zoned.minute(),
            zoned.second()
        );
        let offset = zoned.offset().seconds();
        if self.utc || offset == 0 {
            out.push(b'Z');
        } else {
            let sign = if offset < 0 { '-' } else { '+' };
            let a = offset.unsigned_abs();
            let _ = write!(out, "{sign}{:02}:{:02}", a / 3600, (a % 3600) / 60);
        }
    }

    fn write_msgid(&self, record: &Record<'_>, out: &mut Vec<u8>) {
        let value = self
            .msgid_field
            .as_deref()
            .and_then(|name| record.fields.get(name));
        let start = out.len();
        if let Some(v) = value {
            let mut s = String::new();
            let _ = write!(s, "{v}");
            out.extend(s.bytes().filter(|b| (33..=126).contains(b)).take(32));
        }
        if out.len() == start {
            out.push(b'-');
        }
    }

    fn is_sd_field(&self, name: &str) -> bool {
        name != CRITICAL_FIELD && Some(name) != self.msgid_field.as_deref()
    }

    fn write_structured_data(&self, record: &Record<'_>, out: &mut Vec<u8>) {
        let mut any = false;
        let mut text = String::new();
        for (name, value) in record.fields.iter() {
            if !self.is_sd_field(name) {
                continue;
            }
            if !any {
                out.push(b'[');
                out.extend_from_slice(self.sd_id.as_bytes());
                any = true;
            }
            out.push(b' ');
            let name_start = out.len();
            out.extend(name.bytes().filter(|&b| sd_name_byte(b)).take(32));
            if out.len() == name_start {
                out.extend_from_slice(b"_");
            }
            out.extend_from_slice(b"=\"");
            let s: &str = match value {
                Value::Str(s) => s,
                other => {
                    text.clear();
                    let _ = write!(text, "{other}");
                    &text
                }
            };
            escape_param_value(s, out);
            out.push(b'"');
        }
        if any {
            out.push(b']');
        } else {
            out.push(b'-');
        }
    }
}

/// Whether `b` may appear in an SD-NAME (printable US-ASCII except `= ] "` and space).
fn sd_name_byte(b: u8) -> bool {
    (33..=126).contains(&b) && !matches!(b, b'=' | b']' | b'"')
}

/// Writes `s` as an RFC 5424 PARAM-VALUE: `"`, `\` and `]` escaped with `\`.
pub(crate) fn escape_param_value(s: &str, out: &mut Vec<u8>) {
    for &b in s.as_bytes() {
        if matches!(b, b'"' | b'\\' | b']') {
            out.push(b'\\');
        }
        out.push(b);
    }
}

/// Keeps `out` within `limit` bytes: cuts the message part (from `msg_start`) at a character
/// boundary and appends a marker naming the original size. The header is kept whole unless
/// it alone exceeds the limit.
fn truncate_visibly(out: &mut Vec<u8>, msg_start: usize, limit: usize) {
    let original = out.len();
    let marker = format!("...[truncated from {original} bytes]");
    let keep = limit.saturating_sub(marker.len());
    if keep < msg_start || keep > out.len() {
        out.truncate(limit);
        return;
    }
    let mut cut = keep;
    // Step back to a UTF-8 character boundary.
    while cut > msg_start && cut < out.len() && (out[cut] & 0xC0) == 0x80 {
        cut -= 1;
    }
    out.truncate(cut);
    out.extend_from_slice(marker.as_bytes());
}

/// The host name (`gethostname`), or `None`.
#[cfg(unix)]
pub(crate) fn system_hostname() -> Option<String> {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname NUL-terminates on success
    // (and we stop at the buffer end otherwise).
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return None;
    }
    let len = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    let name = String::from_utf8_lossy(&buf[..len]).into_owned();
    (!name.is_empty()).then_some(name)
}

/// The host name (`COMPUTERNAME`, which Windows sets for every process), or `None`.
#[cfg(not(unix))]
pub(crate) fn system_hostname() -> Option<String> {
    std::env::var("COMPUTERNAME").ok().filter(|n| !n.is_empty())
}

/// The program's name: the executable's file name, for TAG and APP-NAME.
pub(crate) fn program_name() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "rust".to_owned())
}

/// Printable US-ASCII without spaces, at most `max` bytes; `-` when nothing is left.
pub(crate) fn header_field(s: &str, max: usize) -> String {
    let v: String = s
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(max)
        .collect();
    if v.is_empty() {
        "-".to_owned()
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_handlers_core::{FieldSet, Formatter, Level};

    fn encoder(format: MessageFormat) -> Encoder {
        Encoder {
            format,
            facility: Facility::LOCAL0,
            severities: SeverityMapping::default(),
            formatter: Box::new(Formatter::default()),
            ident: String::new(),
            app_name: "portal".into(),
            hostname_3164: Some("host".into()),
            hostname_5424: "host.example".into(),
            sd_id: "fields@32473".into(),
            msgid_field: Some("msgid".into()),
            bom: true,
            utc: true,
            zone: TimeZone::UTC,
            escape_newlines: false,
            append_nul: false,
            max_size: 8192,
        }
    }

    fn at(record: &mut Record<'_>) {
        record.created = tracing_handlers_core::system_time_from_secs_f64(1700000000.123456);
        record.process_id = 99;
    }

    #[test]
    fn rfc3164_layout() {
        let mut e = encoder(MessageFormat::Rfc3164);
        let fields = FieldSet::new();
        let mut r = Record::new(Level::ERROR, "a", "boom", &fields);
        at(&mut r);
        let mut out = Vec::new();
        e.encode(&r, &mut out);
        assert_eq!(out, b"<131>Nov 14 22:13:20 host portal[99]: boom");
        e.hostname_3164 = None;
        out.clear();
        e.encode(&r, &mut out);
        assert_eq!(out, b"<131>Nov 14 22:13:20 portal[99]: boom");
    }

    #[test]
    fn rfc5424_layout_and_escaping() {
        let e = encoder(MessageFormat::Rfc5424);
        let mut fields = FieldSet::new();
        fields.push_str("user", "a\"b\\c]d");
        fields.push_i64("n", 3);
        fields.push_str("msgid", "LOGIN");
        fields.push_bool(CRITICAL_FIELD, true);
        fields.push_str("bad name=", "x");
        let mut r = Record::new(Level::CRITICAL, "a", "héllo", &fields);
        at(&mut r);
        let mut out = Vec::new();
        e.encode(&r, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<130>1 2023-11-14T22:13:20.123456Z host.example portal 99 LOGIN \
             [fields@32473 user=\"a\\\"b\\\\c\\]d\" n=\"3\" badname=\"x\"] \u{feff}héllo"
        );
        let empty = FieldSet::new();
        let mut r = Record::new(Level::INFO, "a", "m", &empty);
        at(&mut r);
        let mut out = Vec::new();
        e.encode(&r, &mut out);
        assert!(out.starts_with(
            b"<134>1 2023-11-14T22:13:20.123456Z host.example portal 99 - - \xEF\xBB\xBFm"
        ));
    }

    #[test]
    fn truncation_is_visible_and_keeps_utf8() {
        let mut e = encoder(MessageFormat::Python);
        e.max_size = 40;
        e.append_nul = true;
        let fields = FieldSet::new();
        let msg = "é".repeat(100);
        let r = Record::new(Level::INFO, "a", &msg, &fields);
        let mut out = Vec::new();
        let info = e.encode(&r, &mut out);
        assert_eq!(info.truncated_from, Some(206));
        assert!(out.len() <= 40);
        assert!(out.ends_with(b"...[truncated from 205 bytes]\0"), "{out:?}");
        assert!(std::str::from_utf8(&out[..out.len() - 1]).is_ok());
    }

    #[test]
    fn newlines_escaped_by_option() {
        let mut e = encoder(MessageFormat::Python);
        e.escape_newlines = true;
        let fields = FieldSet::new();
        let r = Record::new(Level::INFO, "a", "a\nb\rc", &fields);
        let mut out = Vec::new();
        e.encode(&r, &mut out);
        assert_eq!(out, b"<134>a\\nb\\rc");
    }
}
