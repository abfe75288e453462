//! The timed handler under adversity: parameters at the edge of what a date can hold, and
//! a clock that jumps.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use tracing_handlers_timed_rotating_file::{ManualClock, TimedRotatingFileSink};

fn lines_in(dir: &std::path::Path) -> Vec<String> {
    let mut lines = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name().to_string_lossy().starts_with("app.log") {
            let text = std::fs::read_to_string(entry.path()).unwrap();
            lines.extend(text.lines().map(str::to_owned));
        }
    }
    lines.sort();
    lines
}

/// A huge `interval` (Python's integers make it "never"): `D` used to overflow computing
/// the first boundary (a panic in `build`, a wrapped boundary in a release build), and
/// `MIDNIGHT`/`W` above some twenty thousand years of days made `jiff` panic at the first
/// rollover, inside the logging call.
#[test]
fn a_huge_interval_never_panics_and_means_never() {
    for when in ["S", "M", "H", "D", "MIDNIGHT", "W0"] {
        for interval in [10_000_000, i64::MAX / 3, i64::MAX] {
            let dir = tempfile::tempdir().unwrap();
            let clock = Arc::new(ManualClock::new(
                UNIX_EPOCH + Duration::from_secs(1_700_000_000),
            ));
            let sink = TimedRotatingFileSink::builder(dir.path().join("app.log"))
                .with_when(when)
                .with_interval(interval)
                .with_utc(true)
                .with_clock(clock.clone())
                .build()
                .unwrap();
            for (i, step) in [0, 8 * 86400, 400 * 86400, 40_000 * 86400]
                .iter()
                .enumerate()
            {
                clock.advance(Duration::from_secs(*step));
                (&sink).write_all(format!("{i}\n").as_bytes()).unwrap();
                let now = 1_700_000_000 + clock_offset(&clock);
                assert!(
                    sink.rollover_at().is_none_or(|at| at > now),
                    "{when} x {interval}: boundary {:?} not after {now}",
                    sink.rollover_at()
                );
            }
            assert_eq!(
                lines_in(dir.path()),
                ["0", "1", "2", "3"],
                "{when} x {interval}"
            );
        }
    }
}

fn clock_offset(clock: &ManualClock) -> i64 {
    use tracing_handlers_timed_rotating_file::Clock;
    clock.now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64 - 1_700_000_000
}

/// The clock set back (before 1970 even), forward by years, then back again: no panic, no
/// line lost, one rollover for the jump forward, none for the jumps back (Python's rule:
/// the boundary stays until the clock reaches it).
#[test]
fn clock_jumps_roll_over_once_forward_and_never_backward() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(
        UNIX_EPOCH + Duration::from_secs(1_700_000_000),
    ));
    let sink = TimedRotatingFileSink::builder(dir.path().join("app.log"))
        .with_when("M")
        .with_utc(true)
        .with_clock(clock.clone())
        .build()
        .unwrap();
    (&sink).write_all(b"a\n").unwrap();
    clock.set(UNIX_EPOCH - Duration::from_secs(1_000_000));
    (&sink).write_all(b"b\n").unwrap();
    clock.set(UNIX_EPOCH + Duration::from_secs(1_800_000_000));
    (&sink).write_all(b"c\n").unwrap();
    (&sink).write_all(b"d\n").unwrap();
    clock.set(UNIX_EPOCH + Duration::from_secs(1_700_000_000));
    (&sink).write_all(b"e\n").unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.path().join("app.log.2023-11-14_22-13")).unwrap(),
        "a\nb\n"
    );
    assert_eq!(std::fs::read_to_string(sink.path()).unwrap(), "c\nd\ne\n");
    assert_eq!(sink.rollover_at(), Some(1_800_000_060));
}
