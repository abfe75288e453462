//! Helpers shared by the tests that read rotated files.

/// For a file named `app.log.SUFFIX` of a `when='S'` UTC schedule, the Unix second its
/// interval starts at (Python names the file for the start of the interval it covers);
/// `None` for the active `app.log`. Panics on a suffix with a counter (`.1`): two rotations
/// for one second.
pub(crate) fn rotated_second(name: &str) -> Option<i64> {
    let suffix = name.strip_prefix("app.log.")?;
    assert!(!suffix.contains('.'), "two rotations for {suffix}");
    let start = jiff::civil::DateTime::strptime("%Y-%m-%d_%H-%M-%S", suffix)
        .unwrap_or_else(|e| panic!("not a rotated name {name:?}: {e}"))
        .to_zoned(jiff::tz::TimeZone::UTC)
        .unwrap()
        .timestamp()
        .as_second();
    Some(start)
}
