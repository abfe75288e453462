//! The restricted Python literal parser behind fileConfig's `args` and `kwargs`
//! (`crates/config/src/pyexpr.rs`), reached through a `logging.conf` handler section, and the
//! argument binding that follows it.
//!
//! Input: first byte picks the handler class, the rest is split at the first NUL into
//! `args` and `kwargs`. Line breaks become INI continuation lines, so a value may span
//! several lines as in a real file.
#![no_main]

use std::fmt::Write as _;
use std::path::Path;

use libfuzzer_sys::fuzz_target;

const CLASSES: &[&str] = &[
    "StreamHandler",
    "FileHandler",
    "handlers.RotatingFileHandler",
    "handlers.TimedRotatingFileHandler",
    "handlers.WatchedFileHandler",
    "handlers.SysLogHandler",
    "handlers.SocketHandler",
    "handlers.NTEventLogHandler",
    "NullHandler",
];

fn continued(value: &str) -> String {
    value
        .replace("\r\n", "\n")
        .replace(['\r'], "\n")
        .replace('\n', "\n ")
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let (args, kwargs) = match text.split_once('\0') {
        Some((a, k)) => (a, Some(k)),
        None => (text, None),
    };
    let class = CLASSES[usize::from(which) % CLASSES.len()];
    let mut conf = String::from(
        "[loggers]\nkeys=root\n\n[handlers]\nkeys=h\n\n[formatters]\nkeys=\n\n\
         [logger_root]\nlevel=INFO\nhandlers=h\n\n[handler_h]\n",
    );
    let _ = writeln!(conf, "class={class}");
    let _ = writeln!(conf, "args={}", continued(args));
    if let Some(kwargs) = kwargs {
        let _ = writeln!(conf, "kwargs={}", continued(kwargs));
    }
    let path = Path::new("fuzz/logging.conf");
    let (config, errors) = tracing_handlers_config::parse_lossy(path, conf.as_bytes());
    let _ = errors.to_string();
    if let Some(config) = config {
        if let Ok(plan) = tracing_handlers_config::build::plan(&config, path) {
            let _ = plan.describe();
        }
    }
});
