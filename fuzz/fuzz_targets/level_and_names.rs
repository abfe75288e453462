//! Level names and logger names from untrusted text, as the CLI's `--events` lines
//! (`LEVEL<TAB>LOGGER<TAB>MESSAGE`), TOML/JSON configs and received records give them:
//! `Level::from_str`, `Level::parse_python`, `logger_name`, `parent_name`, `is_under`, and the
//! logger tree built and routed with those names.
#![no_main]

use std::sync::{Arc, Once};

use libfuzzer_sys::fuzz_target;
use tracing_handlers_core::dispatch::{Dispatch, HandlerEntry, HandlerSet};
use tracing_handlers_core::report::set_error_reporter;
use tracing_handlers_core::{
    is_under, logger_name, parent_name, FieldSet, FormatHandler, Formatter, Level, MemorySink,
    NameFilter, Record,
};

static QUIET: Once = Once::new();

fuzz_target!(|data: &[u8]| {
    QUIET.call_once(|| set_error_reporter(|_| {}));
    let text = String::from_utf8_lossy(data);
    let sink = Arc::new(MemorySink::new());
    let mut set = HandlerSet::new();
    let formatter =
        Formatter::percent("%(levelname)s %(levelno)d %(name)s %(message)s").expect("valid format");
    let h = set.add_handler(HandlerEntry::new(
        "out",
        Arc::new(FormatHandler::new(sink.clone()).with_formatter(formatter)),
    ));
    set.tree.root_mut().handlers.push(h);
    set.tree.root_mut().level = Level::NOTSET;
    let mut records = Vec::new();
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let mut parts = line.splitn(3, '\t');
        let (Some(level), Some(logger), message) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let _ = Level::parse_python(level).map_err(|e| e.to_string());
        let level = match level.parse::<Level>() {
            Ok(l) => l,
            Err(e) => {
                let _ = e.to_string();
                continue;
            }
        };
        let _ = format!("{level} {level:>12} {level:?}");
        let _ = level.as_str();
        let _ = level.syslog_severity();
        let _ = level.to_tracing();
        let name = logger_name(logger).into_owned();
        let mut p = name.as_str();
        let mut hops = 0;
        while let Some(parent) = parent_name(p) {
            assert!(is_under(&name, parent) || parent.is_empty() || parent == "root");
            p = parent;
            hops += 1;
            assert!(hops <= name.len() + 1, "parent_name does not terminate");
        }
        let _ = NameFilter::new(&name).passes(&name);
        let cfg = set.tree.logger_mut(&name);
        cfg.level = level;
        cfg.propagate = message.is_none_or(|m| !m.starts_with('0'));
        cfg.handlers.push(h);
        records.push((level, name, message.unwrap_or("").to_owned()));
    }
    let dispatch = Dispatch::new(set);
    let fields = FieldSet::new();
    for (level, name, message) in &records {
        let _ = dispatch.effective_level(name);
        dispatch.dispatch(&Record::new(*level, name, message, &fields));
        dispatch.dispatch_received(&Record::new(*level, name, message, &fields));
    }
});
