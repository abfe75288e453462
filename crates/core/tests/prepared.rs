//! The fast path of a callsite (`Handler::prepare` / `write_prepared`): a `FormatHandler`
//! writes the records of one callsite from their time and message alone. Its bytes must be
//! those `handle` writes for the same record, for every format it takes, and the dispatch
//! must use it only where the general path would write the same.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tracing_handlers_core::dispatch::{Dispatch, HandlerEntry, HandlerSet};

use tracing_handlers_core::{
    FieldSet, FormatHandler, Formatter, Handler, Level, MemorySink, NameFilter, Record, Style,
};
use tracing_subscriber::layer::SubscriberExt;

fn formatters() -> Vec<(String, Formatter)> {
    let mut all = Vec::new();
    for fmt in [
        "%(asctime)s %(levelname)s %(name)s %(message)s",
        "%(asctime)s %(levelname)s %(name)s: %(message)s",
        "%(levelname)s:%(name)s:%(message)s",
        "%(message)s",
        "[%(asctime)s] <%(target)s|%(processName)s> %(msg)s 100%%",
        "%(asctime)s",
        "%(name)s only",
        "%(levelname)s %(message)s %(asctime)s",
        "%(threadName)s %(message)s",
        "%(message)s %(message)s",
    ] {
        let f = Formatter::percent(fmt).unwrap();
        all.push((fmt.to_owned(), f.clone()));
        all.push((format!("{fmt} utc"), f.clone().with_utc(true)));
        all.push((
            format!("{fmt} datefmt"),
            f.clone().with_datefmt("%d/%m/%Y %H.%M.%S"),
        ));
        all.push((format!("{fmt} escaped"), f.with_escaped_newlines(true)));
    }
    all.push((
        "brace".to_owned(),
        Formatter::new("{asctime} {levelname} {name} {message}", Style::Brace).unwrap(),
    ));
    all.push((
        "dollar".to_owned(),
        Formatter::new("$asctime $levelname $name $message", Style::Dollar).unwrap(),
    ));
    all
}

#[test]
fn a_prepared_line_is_the_bytes_handle_writes_for_the_same_record() {
    let times = [
        UNIX_EPOCH + Duration::from_millis(1_700_000_000_123),
        UNIX_EPOCH + Duration::from_millis(1_700_000_000_999),
        UNIX_EPOCH + Duration::from_millis(1_700_000_001_000),
        UNIX_EPOCH + Duration::from_millis(1_709_251_199_001),
    ];
    let messages = [
        "",
        "disk low",
        "a\nb",
        "é€𝄞 %(name)s {x} $y",
        &"x".repeat(100_000),
    ];
    let levels = [
        Level::TRACE,
        Level::DEBUG,
        Level::INFO,
        Level::WARNING,
        Level::ERROR,
        Level::CRITICAL,
        Level::from_number(25),
    ];
    let mut prepared_any = 0;
    for (what, formatter) in formatters() {
        for terminator in ["\n", "\r\n", ""] {
            let expected_sink = Arc::new(MemorySink::new());
            let expected = FormatHandler::new(expected_sink.clone())
                .with_formatter(formatter.clone())
                .with_terminator(terminator);
            let got_sink = Arc::new(MemorySink::new());
            let got = FormatHandler::new(got_sink.clone())
                .with_formatter(formatter.clone())
                .with_terminator(terminator);
            for level in levels {
                let Some(line) = got.prepare(level, "portal.api", "portal::api") else {
                    continue;
                };
                prepared_any += 1;
                let fields = FieldSet::new();
                for created in times {
                    for message in messages {
                        let mut record = Record::new(level, "portal.api", message, &fields);
                        record.target = "portal::api";
                        record.created = created;
                        expected.handle(&record);
                        got.write_prepared(&line, created, message, level);
                        assert_eq!(
                            String::from_utf8_lossy(&got_sink.contents()),
                            String::from_utf8_lossy(&expected_sink.contents()),
                            "{what} {level:?} {terminator:?}"
                        );
                    }
                }
            }
        }
    }
    // Most of the plain formats take the fast path.
    assert!(prepared_any > 100, "{prepared_any}");
}

#[test]
fn formats_that_vary_by_more_than_time_and_message_are_not_prepared() {
    let handler = |fmt: &str| {
        FormatHandler::new(Arc::new(MemorySink::new()))
            .with_formatter(Formatter::percent(fmt).unwrap())
    };
    for fmt in [
        "%(threadName)s %(message)s",
        "%(message)s %(asctime)s",
        "%(message)s %(message)s",
        "%(lineno)d %(message)s",
        "%(levelname)-8s %(message)s",
        "%(user)s %(message)s",
    ] {
        assert!(
            handler(fmt).prepare(Level::INFO, "a", "a").is_none(),
            "{fmt}"
        );
    }
    // A level without a name, where the format prints it.
    assert!(handler("%(levelname)s %(message)s")
        .prepare(Level::from_number(25), "a", "a")
        .is_none());
    assert!(FormatHandler::new(Arc::new(MemorySink::new()))
        .with_formatter(
            Formatter::percent("%(message)s")
                .unwrap()
                .with_escaped_newlines(true)
        )
        .prepare(Level::INFO, "a", "a")
        .is_none());
}

/// One handler over a memory sink with `fmt`, on the root logger at NOTSET.
fn dispatch_with(
    fmt: &str,
    entry: impl FnOnce(HandlerEntry) -> HandlerEntry,
) -> (Dispatch, Arc<MemorySink>) {
    let sink = Arc::new(MemorySink::new());
    let handler = FormatHandler::new(sink.clone()).with_formatter(Formatter::percent(fmt).unwrap());
    let mut set = HandlerSet::new();
    let index = set.add_handler(entry(HandlerEntry::new("memory", Arc::new(handler))));
    set.tree.root_mut().handlers.push(index);
    set.tree.root_mut().level = Level::NOTSET;
    (Dispatch::new(set), sink)
}

fn with_dispatch(dispatch: &Dispatch, f: impl FnOnce()) {
    let subscriber = tracing_subscriber::registry().with(dispatch.layer());
    tracing::subscriber::with_default(subscriber, f);
}

#[test]
fn prepared_lines_carry_level_logger_target_and_process_names() {
    let (dispatch, sink) = dispatch_with(
        "%(levelname)s %(name)s %(target)s %(processName)s: %(message)s",
        |e| e,
    );
    with_dispatch(&dispatch, || {
        for i in 0..3 {
            tracing::info!(target: "portal::api", "info {i}");
            tracing::warn!(target: "portal::api", user = "bob", "with a field {i}");
            tracing::error!(target: "portal::api", message = 5_i64);
            tracing_handlers_core::critical!(target: "portal::db", "down {i}");
            tracing::trace!("trace {i}");
        }
    });
    let expected: Vec<String> = (0..3)
        .flat_map(|i| {
            [
                format!("INFO portal.api portal::api MainProcess: info {i}"),
                format!("WARNING portal.api portal::api MainProcess: with a field {i}"),
                // A `message` field that is not text is a field, not the message.
                "ERROR portal.api portal::api MainProcess: ".to_owned(),
                format!("CRITICAL portal.db portal::db MainProcess: down {i}"),
                format!("TRACE prepared prepared MainProcess: trace {i}"),
            ]
        })
        .collect();
    assert_eq!(sink.text().lines().collect::<Vec<_>>(), expected);
}

#[test]
fn the_fast_path_follows_handler_levels_changed_at_run_time() {
    let (dispatch, sink) = dispatch_with("%(levelname)s %(message)s", |e| e);
    with_dispatch(&dispatch, || {
        let log = |i: usize| {
            tracing::info!("info {i}");
            tracing::error!("error {i}");
        };
        log(0);
        log(1);
        assert!(dispatch.set_handler_level("memory", Level::ERROR));
        log(2);
        assert!(dispatch.set_handler_level("memory", Level::NOTSET));
        log(3);
    });
    assert_eq!(
        sink.text(),
        "INFO info 0\nERROR error 0\nINFO info 1\nERROR error 1\nERROR error 2\nINFO info 3\nERROR error 3\n"
    );
}

#[test]
fn a_handler_whose_filter_refuses_the_logger_gets_nothing_on_any_path() {
    let (dispatch, sink) =
        dispatch_with("%(message)s", |e| e.with_filter(NameFilter::new("portal")));
    with_dispatch(&dispatch, || {
        for i in 0..3 {
            tracing::info!(target: "portal::api", "kept {i}");
            tracing::info!(target: "other", "refused {i}");
        }
    });
    assert_eq!(sink.text(), "kept 0\nkept 1\nkept 2\n");
}

#[test]
fn the_time_of_a_prepared_line_is_the_events() {
    let (dispatch, sink) = dispatch_with("%(asctime)s|%(message)s", |e| e);
    let before = SystemTime::now();
    with_dispatch(&dispatch, || {
        for i in 0..3 {
            tracing::info!("m{i}");
        }
    });
    let after = SystemTime::now();
    let text = sink.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3);
    // The local time as Python prints it, from a formatter alone, for the bounds.
    let show = |t: SystemTime| {
        let fields = FieldSet::new();
        let mut record = Record::new(Level::INFO, "root", "", &fields);
        record.created = t;
        let mut out = Vec::new();
        tracing_handlers_core::Format::format(
            &Formatter::percent("%(asctime)s").unwrap(),
            &record,
            &mut out,
        );
        String::from_utf8(out).unwrap()
    };
    let (low, high) = (show(before), show(after));
    for (i, line) in lines.iter().enumerate() {
        let (time, message) = line.split_once('|').unwrap();
        assert_eq!(message, format!("m{i}"));
        assert!(
            low.as_str() <= time && time <= high.as_str(),
            "{low} <= {time} <= {high}"
        );
    }
}

#[test]
fn routes_to_several_handlers_write_each_its_own_line_in_order() {
    let sinks: Vec<Arc<MemorySink>> = (0..4).map(|_| Arc::new(MemorySink::new())).collect();
    let handler = |i: usize, fmt: &str| {
        Arc::new(
            FormatHandler::new(sinks[i].clone()).with_formatter(Formatter::percent(fmt).unwrap()),
        )
    };
    let mut set = HandlerSet::new();
    let a = set.add_handler(HandlerEntry::new(
        "a",
        handler(0, "a %(levelname)s %(message)s"),
    ));
    let b = set.add_handler(
        HandlerEntry::new("b", handler(1, "b %(name)s: %(message)s")).with_level(Level::ERROR),
    );
    let c = set.add_handler(
        HandlerEntry::new("c", handler(2, "c %(message)s"))
            .with_filter(NameFilter::new("portal.db")),
    );
    // Not preparable: its logger's callsites take the general path, for every handler.
    let d = set.add_handler(HandlerEntry::new(
        "d",
        handler(3, "d %(threadName)s %(message)s"),
    ));
    set.tree.root_mut().level = Level::NOTSET;
    set.tree.root_mut().handlers.extend([a, b]);
    set.tree.logger_mut("portal").handlers.push(c);
    set.tree.logger_mut("worker").handlers.push(d);
    let dispatch = Dispatch::new(set);
    with_dispatch(&dispatch, || {
        for i in 0..3 {
            tracing::info!(target: "portal::api", "api {i}");
            tracing::error!(target: "portal::db", "db {i}");
            tracing::error!(target: "worker", "work {i}");
            if i == 1 {
                assert!(dispatch.set_handler_level("a", Level::CRITICAL));
            }
        }
    });
    assert_eq!(
        sinks[0].text(),
        "a INFO api 0\na ERROR db 0\na ERROR work 0\na INFO api 1\na ERROR db 1\na ERROR work 1\n"
    );
    assert_eq!(
        sinks[1].text(),
        "b portal.db: db 0\nb worker: work 0\nb portal.db: db 1\nb worker: work 1\nb portal.db: db 2\nb worker: work 2\n"
    );
    assert_eq!(sinks[2].text(), "c db 0\nc db 1\nc db 2\n");
    // `d %(threadName)s %(message)s`: this thread's name, then the message.
    let text = sinks[3].text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    for (i, line) in lines.iter().enumerate() {
        assert!(
            line.starts_with("d ") && line.ends_with(&format!(" work {i}")),
            "{line}"
        );
    }
}

/// Logs the same events through a prepared line (`%(message)s`) and through the general path
/// (`%(threadName)s|%(message)s`, which no callsite can prepare): the messages must agree.
#[test]
fn the_message_is_the_same_on_both_paths_whatever_its_field_type() {
    struct Panics;
    impl std::fmt::Display for Panics {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("half")?;
            panic!("a Display that panics");
        }
    }
    let events = || {
        for _ in 0..2 {
            tracing::info!("plain {}", 1);
            tracing::info!(message = "a str");
            tracing::info!(message = ?vec![1, 2]);
            tracing::info!(message = %"display");
            tracing::info!(message = 5_i64);
            tracing::info!(message = 5_u64);
            tracing::info!(message = 1.5_f64);
            tracing::info!(message = true);
            tracing::info!(message = 5_i128);
            tracing::info!(message = 5_u128);
            tracing::info!(message = &std::io::Error::other("an error") as &dyn std::error::Error);
            tracing::info!(user = "bob", n = 3, "with fields");
            tracing::info!("{}", Panics);
        }
    };
    let (fast, fast_sink) = dispatch_with("%(message)s", |e| e);
    let (general, general_sink) = dispatch_with("%(threadName)s|%(message)s", |e| e);
    with_dispatch(&fast, events);
    with_dispatch(&general, events);
    let general_text = general_sink.text();
    let general_messages: Vec<&str> = general_text
        .lines()
        .map(|l| l.split_once('|').unwrap().1)
        .collect();
    let fast_text = fast_sink.text();
    let fast_messages: Vec<&str> = fast_text.lines().collect();
    assert_eq!(fast_messages, general_messages);
    assert_eq!(fast_messages.len(), 26);
    assert_eq!(
        fast_messages[..13],
        [
            "plain 1",
            "a str",
            "[1, 2]",
            "display",
            "",
            "",
            "",
            "",
            "5",
            "5",
            "an error",
            "with fields",
            "half [formatting panicked]",
        ]
    );
}

/// Fields a prepared line does not print are not formatted at all, from the first event of
/// a callsite on.
#[test]
fn fields_a_prepared_line_does_not_print_are_not_formatted() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static FORMATTED: AtomicUsize = AtomicUsize::new(0);
    struct Counted;
    impl std::fmt::Display for Counted {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            FORMATTED.fetch_add(1, Ordering::Relaxed);
            f.write_str("counted")
        }
    }
    let (dispatch, sink) = dispatch_with("%(levelname)s %(message)s", |e| e);
    with_dispatch(&dispatch, || {
        for i in 0..3 {
            tracing::warn!(extra = %Counted, "m{i}");
        }
    });
    assert_eq!(sink.text(), "WARNING m0\nWARNING m1\nWARNING m2\n");
    assert_eq!(FORMATTED.load(Ordering::Relaxed), 0);
}
