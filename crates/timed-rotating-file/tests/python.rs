//! Python's TimedRotatingFileHandler checks (reference §8, TRFH-*), against CPython's own
//! output for the same records at the same (injected) times; the deliberate differences
//! (TRFH-05, TRFH-09, TRFH-10, DST-right first boundaries) are checked on their own.

use std::fs;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use jiff::tz::TimeZone;
use tracing_handlers_core::{FieldSet, FormatHandler, Handler, Level, Record};
use tracing_handlers_test_support::{python, require};
use tracing_handlers_timed_rotating_file::{
    ManualClock, TimedRotatingFileSink, TimedRotatingFileSinkBuilder,
};

/// 2023-11-14 22:13:20 UTC, a Tuesday.
const T0: i64 = 1_700_000_000;

const RUNNER: &str = r#"
import ast, datetime, logging, logging.handlers, os, sys, tempfile, time
time.tzset()
spec = ast.literal_eval(sys.stdin.read())
now = [spec['t0']]
time.time = lambda: now[0]
d = tempfile.mkdtemp()
for name, content, mtime in spec['setup']:
    p = os.path.join(d, name)
    with open(p, 'w') as f:
        f.write(content)
    os.utime(p, (mtime, mtime))
kw = spec['kwargs']
if 'atTime' in kw:
    kw['atTime'] = datetime.time.fromisoformat(kw['atTime'])
h = logging.handlers.TimedRotatingFileHandler(os.path.join(d, spec['file']), **kw)
for t, msg in spec['records']:
    now[0] = t
    h.handle(logging.makeLogRecord({'msg': msg, 'levelname': 'INFO', 'levelno': 20}))
h.close()
for name in sorted(os.listdir(d)):
    with open(os.path.join(d, name), encoding='utf-8') as f:
        print(name + '\t' + f.read().replace('\n', '|'))
"#;

struct Case<'a> {
    tz: &'a str,
    file: &'a str,
    setup: &'a [(&'a str, &'a str, i64)],
    /// Python keyword arguments; `delay=True` is added when the file does not exist yet
    /// (Python would otherwise take the real mtime of the file it just created).
    kwargs: &'a str,
    t0: i64,
    records: Vec<(i64, String)>,
}

fn cpython(case: &Case<'_>) -> String {
    let setup: Vec<String> = case
        .setup
        .iter()
        .map(|(n, c, m)| format!("({n:?}, {c:?}, {m})"))
        .collect();
    let records: Vec<String> = case
        .records
        .iter()
        .map(|(t, m)| format!("({t}, {m:?})"))
        .collect();
    let exists = case.setup.iter().any(|s| s.0 == case.file);
    let kwargs = if exists || case.kwargs.contains("delay") {
        case.kwargs.to_owned()
    } else {
        format!("{}, 'delay': True", case.kwargs)
    };
    let spec = format!(
        "{{'file': {:?}, 'setup': [{}], 'kwargs': {{{}}}, 't0': {}, 'records': [{}]}}",
        case.file,
        setup.join(", "),
        kwargs,
        case.t0,
        records.join(", ")
    );
    String::from_utf8(python(RUNNER, spec.as_bytes(), &[("TZ", case.tz)])).unwrap()
}

fn listing(dir: &Path) -> String {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    names
        .iter()
        .map(|n| {
            let text = fs::read_to_string(dir.join(n)).unwrap();
            format!("{n}\t{}\n", text.replace('\n', "|"))
        })
        .collect()
}

fn at(t: i64) -> std::time::SystemTime {
    UNIX_EPOCH + Duration::from_secs(t as u64)
}

fn ours(
    case: &Case<'_>,
    build: impl Fn(TimedRotatingFileSinkBuilder) -> TimedRotatingFileSinkBuilder,
) -> String {
    let dir = tempfile::tempdir().unwrap();
    for (n, c, m) in case.setup {
        let p = dir.path().join(n);
        fs::write(&p, c).unwrap();
        fs::File::options()
            .write(true)
            .open(&p)
            .unwrap()
            .set_modified(at(*m))
            .unwrap();
    }
    let clock = Arc::new(ManualClock::new(at(case.t0)));
    let sink = build(
        TimedRotatingFileSink::builder(dir.path().join(case.file))
            .with_time_zone(TimeZone::get(case.tz).unwrap())
            .with_clock(clock.clone()),
    )
    .build()
    .unwrap();
    let handler = FormatHandler::new(sink);
    let fields = FieldSet::new();
    for (t, m) in &case.records {
        clock.set(at(*t));
        handler.handle(&Record::new(Level::INFO, "root", m, &fields));
    }
    drop(handler);
    listing(dir.path())
}

fn compare(
    name: &str,
    case: Case<'_>,
    build: impl Fn(TimedRotatingFileSinkBuilder) -> TimedRotatingFileSinkBuilder,
) {
    if !require("python3", name) {
        return;
    }
    let theirs = cpython(&case);
    let mine = ours(&case, build);
    assert_eq!(mine, theirs, "{name}: ours (left) vs CPython (right)");
}

fn every(start: i64, step: i64, n: i64) -> Vec<(i64, String)> {
    (0..n)
        .map(|i| (start + i * step, format!("r{i:02}")))
        .collect()
}

#[test]
fn trfh01_02_compute_rollover_matches_cpython() {
    if !require("python3", "trfh01") {
        return;
    }
    let script = r#"
import datetime, logging.handlers, os, sys, tempfile, time
time.tzset()
d = tempfile.mkdtemp()
for line in sys.stdin.read().splitlines():
    when, interval, at, t = line.split(',')
    kw = {'when': when, 'interval': int(interval), 'delay': True}
    if at:
        kw['atTime'] = datetime.time.fromisoformat(at)
    h = logging.handlers.TimedRotatingFileHandler(os.path.join(d, 'x.log'), **kw)
    r = h.computeRollover(int(t))
    same = time.localtime(int(t)).tm_isdst == time.localtime(r).tm_isdst
    print(r, int(same))
"#;
    let whens = [
        ("S", 1, ""),
        ("S", 2, ""),
        ("M", 1, ""),
        ("M", 2, ""),
        ("H", 1, ""),
        ("H", 2, ""),
        ("D", 1, ""),
        ("D", 2, ""),
        ("D", 1, "01:30"),
        ("midnight", 1, ""),
        ("midnight", 2, ""),
        ("midnight", 1, "01:30"),
        ("midnight", 1, "23:00"),
        ("midnight", 1, "22:13:20"),
        ("W0", 1, ""),
        ("W1", 1, ""),
        ("W2", 1, ""),
        ("W6", 1, ""),
        ("W1", 1, "01:30"),
        ("W4", 1, "12:00"),
    ];
    for tz in ["UTC", "America/New_York", "Europe/Berlin"] {
        let mut input = String::new();
        let mut cases = Vec::new();
        for (k, t) in (0..40).map(|k| (k, T0 + k * 86_400 * 3 + k * 3517)) {
            for &(when, interval, at_time) in &whens {
                // Around the DST changes of 2024 too.
                let t = if k % 2 == 0 { t } else { t + 86_400 * 120 };
                input.push_str(&format!("{when},{interval},{at_time},{t}\n"));
                cases.push((when, interval, at_time, t));
            }
        }
        let out = String::from_utf8(python(script, input.as_bytes(), &[("TZ", tz)])).unwrap();
        let zone = TimeZone::get(tz).unwrap();
        let mut compared = 0;
        for ((when, interval, at_time, t), line) in cases.iter().zip(out.lines()) {
            let (r, same) = line.split_once(' ').unwrap();
            let mut b = TimedRotatingFileSink::builder("/nonexistent-dir/x.log")
                .with_when(when)
                .with_interval(*interval)
                .with_time_zone(zone.clone())
                .with_delay(true);
            if !at_time.is_empty() {
                b = b.with_at_time(at_time);
            }
            let ours = b.build().unwrap().schedule().compute_rollover(*t);
            if same == "1" || when.len() == 1 {
                assert_eq!(
                    ours.to_string(),
                    r,
                    "{tz} when={when} interval={interval} atTime={at_time:?} t={t}"
                );
                compared += 1;
            } else {
                // Python's first midnight/weekly boundary is an hour off when a DST change
                // comes first: ours keeps the wall-clock time.
                let z = jiff::Timestamp::from_second(ours)
                    .unwrap()
                    .to_zoned(zone.clone());
                let want = if at_time.is_empty() {
                    "00:00:00"
                } else {
                    at_time
                };
                let want = if want.len() == 5 {
                    format!("{want}:00")
                } else {
                    want.to_owned()
                };
                assert_eq!(z.strftime("%H:%M:%S").to_string(), want, "{tz} {when} {t}");
            }
        }
        assert!(compared > 500, "{tz}: {compared}");
    }
}

#[test]
fn trfh03_minutes_with_two_backups() {
    compare(
        "trfh03",
        Case {
            tz: "UTC",
            file: "m.log",
            setup: &[],
            kwargs: "'when': 'M', 'backupCount': 2, 'delay': True",
            t0: T0,
            records: every(T0, 30, 9),
        },
        |b| b.with_when("M").with_backup_count(2).with_delay(true),
    );
}

#[test]
fn trfh04_the_schedule_starts_from_an_existing_files_mtime() {
    compare(
        "trfh04",
        Case {
            tz: "UTC",
            file: "old.log",
            setup: &[("old.log", "stale\n", T0 - 3 * 86_400)],
            kwargs: "'when': 'D'",
            t0: T0,
            records: vec![
                (T0, "a".into()),
                (T0 + 10, "b".into()),
                (T0 + 86_400 + 5, "c".into()),
            ],
        },
        |b| b.with_when("D"),
    );
}

#[test]
fn trfh06_seconds_with_interval() {
    compare(
        "trfh06",
        Case {
            tz: "UTC",
            file: "sec.log",
            setup: &[],
            kwargs: "'when': 'S', 'interval': 5",
            t0: T0,
            records: vec![
                (T0, "a".into()),
                (T0 + 7, "b".into()),
                (T0 + 13, "c".into()),
            ],
        },
        |b| b.with_when("S").with_interval(5),
    );
}

#[test]
fn trfh07_hours_in_utc() {
    compare(
        "trfh07",
        Case {
            tz: "Asia/Kolkata",
            file: "h.log",
            setup: &[],
            kwargs: "'when': 'H', 'utc': True",
            t0: T0,
            records: every(T0, 1800, 7),
        },
        |b| b.with_when("H").with_utc(true),
    );
}

#[test]
fn trfh08_midnight_across_dst_in_new_york() {
    // Fall back: created Sat 2023-11-04 12:00 EDT.
    let fall = 1_699_113_600;
    compare(
        "trfh08 fall",
        Case {
            tz: "America/New_York",
            file: "dst.log",
            setup: &[],
            kwargs: "'when': 'midnight'",
            t0: fall,
            records: vec![
                (fall, "sat".into()),
                (1_699_156_805, "sun 00:00:05 EDT".into()),
                (1_699_203_600, "sun 12:00 EST".into()),
                (1_699_246_801, "mon 00:00:01 EST".into()),
                (1_699_290_000, "mon 12:00".into()),
            ],
        },
        |b| b.with_when("midnight"),
    );
    // Spring forward: created Sat 2024-03-09 12:00 EST.
    let spring = 1_710_003_600;
    compare(
        "trfh08 spring",
        Case {
            tz: "America/New_York",
            file: "dst.log",
            setup: &[],
            kwargs: "'when': 'midnight', 'backupCount': 5",
            t0: spring,
            records: (0..12)
                .map(|i| (spring + i * 6 * 3600 + 5, format!("r{i}")))
                .collect(),
        },
        |b| b.with_when("midnight").with_backup_count(5),
    );
    // Weekly on Monday from Wed 2024-03-06.
    let wed = 1_709_740_800;
    compare(
        "trfh08 W6",
        Case {
            tz: "America/New_York",
            file: "w.log",
            setup: &[],
            kwargs: "'when': 'W0'",
            t0: wed,
            records: (0..30)
                .map(|i| (wed + i * 12 * 3600, format!("r{i}")))
                .collect(),
        },
        |b| b.with_when("W0"),
    );
}

#[test]
fn hours_minutes_and_days_with_idle_gaps_match_cpython() {
    let mut records = Vec::new();
    let mut t = T0;
    for i in 0..60i64 {
        t += [7, 1800, 3599, 3600, 3601, 20_000, 86_400][(i % 7) as usize];
        records.push((t, format!("g{i:02}")));
    }
    for (when, backup) in [("S", 3), ("M", 4), ("H", 5), ("D", 2)] {
        compare(
            when,
            Case {
                tz: "Europe/Berlin",
                file: "gap.log",
                setup: &[],
                kwargs: &format!("'when': '{when}', 'backupCount': {backup}, 'utc': True"),
                t0: T0,
                records: records.clone(),
            },
            |b| b.with_when(when).with_backup_count(backup).with_utc(true),
        );
    }
}

#[test]
fn trfh12_invalid_when_values_give_pythons_messages() {
    if !require("python3", "trfh12") {
        return;
    }
    let script = r#"
import logging.handlers, sys
for w in sys.stdin.read().split(','):
    try:
        logging.handlers.TimedRotatingFileHandler('/nonexistent/x.log', when=w, delay=True)
        print('ok')
    except ValueError as e:
        print(e)
"#;
    let values = [
        "X",
        "W7",
        "W",
        "W12",
        "midnight2",
        "w3",
        "s",
        "",
        "Wx",
        "MIDNIGHT",
    ];
    let out = String::from_utf8(python(script, values.join(",").as_bytes(), &[])).unwrap();
    for (v, want) in values.iter().zip(out.lines()) {
        let got = match TimedRotatingFileSink::builder("/nonexistent/x.log")
            .with_when(v)
            .with_delay(true)
            .build()
        {
            Ok(_) => "ok".to_owned(),
            Err(e) => e.to_string(),
        };
        assert_eq!(got, want, "when={v:?}");
    }
}

// === deliberate differences ===

#[test]
fn trfh05_a_taken_name_gets_a_counter_instead_of_being_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("c.log.2023-11-14"), "earlier\n").unwrap();
    let clock = Arc::new(ManualClock::new(at(T0)));
    let sink = TimedRotatingFileSink::builder(dir.path().join("c.log"))
        .with_when("midnight")
        .with_utc(true)
        .with_clock(clock.clone())
        .build()
        .unwrap();
    use std::io::Write;
    (&sink).write_all(b"today\n").unwrap();
    clock.advance(Duration::from_secs(3 * 3600));
    (&sink).write_all(b"tomorrow\n").unwrap();
    assert_eq!(
        listing(dir.path()),
        "c.log\ttomorrow|\nc.log.2023-11-14\tearlier|\nc.log.2023-11-14.1\ttoday|\n"
    );
}

#[test]
fn trfh09_midnight_times_two_rolls_every_other_day() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(at(T0)));
    let sink = TimedRotatingFileSink::builder(dir.path().join("n.log"))
        .with_when("midnight")
        .with_interval(2)
        .with_utc(true)
        .with_clock(clock.clone())
        .build()
        .unwrap();
    use std::io::Write;
    // Tue 22:13, Wed 12:00, Thu 12:00, Fri 12:00, Sat 12:00.
    for (t, m) in [
        (T0, "tue"),
        (1_700_049_600, "wed"),
        (1_700_136_000, "thu"),
        (1_700_222_400, "fri"),
        (1_700_308_800, "sat"),
    ] {
        clock.set(at(t));
        (&sink).write_all(format!("{m}\n").as_bytes()).unwrap();
    }
    // First boundary: the coming midnight, Wed (as Python); then every 2 days (Fri, Sun),
    // files named for the start of their interval.
    assert_eq!(
        listing(dir.path()),
        "n.log\tfri|sat|\nn.log.2023-11-13\ttue|\nn.log.2023-11-15\twed|thu|\n"
    );
}

#[test]
fn trfh10_retention_deletes_only_our_names() {
    let dir = tempfile::tempdir().unwrap();
    for n in [
        "s.log.2023-11-01",
        "s.log.2023-11-02",
        "s.log.2023-11-03",
        "s.log.2023-11-04",
        "s.log.2023-11-05.gz",
        "s.log.bak",
        "s.logx.2023-11-01",
        "other.2023-11-01",
        "s.2023-11-01.log",
    ] {
        fs::write(dir.path().join(n), "x\n").unwrap();
    }
    let clock = Arc::new(ManualClock::new(at(T0)));
    let sink = TimedRotatingFileSink::builder(dir.path().join("s.log"))
        .with_when("D")
        .with_backup_count(2)
        .with_utc(true)
        .with_clock(clock.clone())
        .build()
        .unwrap();
    use std::io::Write;
    (&sink).write_all(b"one\n").unwrap();
    clock.advance(Duration::from_secs(86_400));
    (&sink).write_all(b"two\n").unwrap();
    let names: Vec<String> = listing(dir.path())
        .lines()
        .map(|l| l.split('\t').next().unwrap().to_owned())
        .collect();
    assert_eq!(
        names,
        [
            "other.2023-11-01",
            "s.2023-11-01.log",
            "s.log",
            "s.log.2023-11-05.gz",
            "s.log.2023-11-14",
            "s.log.bak",
            "s.logx.2023-11-01"
        ]
    );
}

#[test]
fn bad_parameters_name_the_value() {
    let b = || TimedRotatingFileSink::builder("/nonexistent/x.log").with_delay(true);
    let e = |b: TimedRotatingFileSinkBuilder| b.build().unwrap_err().to_string();
    assert_eq!(e(b().with_interval(0)), "interval must be at least 1: 0");
    assert_eq!(
        e(b().with_backup_count(-2)),
        "backupCount must not be negative: -2"
    );
    assert_eq!(
        e(b().with_max_bytes(-5)),
        "maxBytes must not be negative: -5"
    );
    assert_eq!(
        e(b().with_at_time("2024-01-01 01:30")),
        "atTime must be a time of day HH:MM[:SS] without a date: \"2024-01-01 01:30\""
    );
    assert!(e(b().with_at_time("25:00")).contains("\"25:00\""));
    assert!(b().with_at_time("01:30:15").build().is_ok());
}

#[test]
fn size_and_time_together_number_the_files_of_one_interval() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(at(T0)));
    let sink = TimedRotatingFileSink::builder(dir.path().join("b.log"))
        .with_when("M")
        .with_utc(true)
        .with_max_bytes(12)
        .with_compression(tracing_handlers_timed_rotating_file::Compression::Gzip)
        .with_clock(clock.clone())
        .build()
        .unwrap();
    use std::io::Write;
    for m in ["a1\n", "a2\n", "a3\n", "a4\n", "a5\n"] {
        (&sink).write_all(m.as_bytes()).unwrap();
    }
    clock.advance(Duration::from_secs(60));
    (&sink).write_all(b"b1\n").unwrap();
    assert!(sink.wait_background(Some(std::time::Instant::now() + Duration::from_secs(30))));
    let mut names: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    // 3-byte records, maxBytes 12: three per file (9 + 3 reaches 12); then the minute ends.
    assert_eq!(
        names,
        [
            "b.log",
            "b.log.2023-11-14_22-13.1.gz",
            "b.log.2023-11-14_22-13.gz"
        ]
    );
    let gz = |n: &str| {
        let mut s = String::new();
        std::io::Read::read_to_string(
            &mut flate2::read::GzDecoder::new(fs::File::open(dir.path().join(n)).unwrap()),
            &mut s,
        )
        .unwrap();
        s
    };
    assert_eq!(gz("b.log.2023-11-14_22-13.gz"), "a1\na2\na3\n");
    assert_eq!(gz("b.log.2023-11-14_22-13.1.gz"), "a4\na5\n");
    assert_eq!(
        fs::read_to_string(dir.path().join("b.log")).unwrap(),
        "b1\n"
    );
}
