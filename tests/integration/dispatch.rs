//! The dispatch layer among other layers: filtering inside itself, `critical!`, the `log`
//! bridge, and events logged from inside a handler.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tracing_handlers::{Builder, FormatHandler, Level, Logger, MemorySink, Sink};
use tracing_handlers_test_support as support;
use tracing_subscriber::layer::SubscriberExt;

use crate::support::{pairs, seen, Recorder};

/// Counts every event it sees.
struct CountingLayer(Arc<AtomicUsize>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for CountingLayer {
    fn on_event(&self, _: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
fn other_layers_still_see_events_our_loggers_drop() {
    let seen = seen();
    let (_dispatch, layer) = Builder::new()
        .handler("h", Level::NOTSET, Recorder::new("h", &seen))
        .root(Logger::new().level(Level::ERROR).handler("h"))
        .build()
        .unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let subscriber = tracing_subscriber::registry()
        .with(layer)
        .with(CountingLayer(count.clone()));
    tracing::subscriber::with_default(subscriber, || {
        tracing::trace!("t");
        tracing::debug!("d");
        tracing::info!("i");
        tracing::error!("e");
    });
    assert_eq!(count.load(Ordering::Relaxed), 4);
    assert_eq!(pairs(&seen), vec![("h".into(), "e".into())]);
}

#[test]
fn a_handler_at_critical_passes_only_critical_events() {
    let seen = seen();
    let guard = Builder::new()
        .handler("crit", Level::CRITICAL, Recorder::new("crit", &seen))
        .root(Logger::new().level(Level::TRACE).handler("crit"))
        .set_default()
        .unwrap();
    tracing::error!("plain error");
    tracing_handlers::critical!("critical one");
    tracing_handlers::critical!(target: "portal::db", code = 7, "critical {}", "two");
    drop(guard);
    let got = seen.lock().clone();
    assert_eq!(got.len(), 2);
    assert!(got.iter().all(|(_, l, _, _)| *l == Level::CRITICAL));
    assert_eq!(got[1].2, "portal.db");
    assert_eq!(got[1].3, "critical two");
}

#[test]
fn fields_spans_and_source_reach_the_record() {
    #[derive(Debug)]
    struct Grab(Arc<parking_lot::Mutex<Vec<String>>>);
    impl tracing_handlers::Handler for Grab {
        fn handle(&self, r: &tracing_handlers::Record<'_>) {
            let fields: Vec<String> = r.fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
            self.0.lock().push(format!(
                "{}|{}|{}|{:?}|{}|{:?}",
                r.name,
                r.message,
                fields.join(","),
                r.module(),
                r.line.unwrap_or(0) > 0,
                r.spans
            ));
        }
        fn needs_spans(&self) -> bool {
            true
        }
    }
    let out = Arc::new(parking_lot::Mutex::new(Vec::new()));
    let guard = Builder::new()
        .handler("g", Level::NOTSET, Grab(out.clone()))
        .root(Logger::new().level(Level::DEBUG).handler("g"))
        .set_default()
        .unwrap();
    let span = tracing::info_span!("request", id = 42);
    span.in_scope(|| {
        tracing::info!(
            user = "bob",
            n = 3,
            ok = true,
            ratio = 0.5,
            "hello {}",
            "world"
        );
    });
    drop(guard);
    let got = out.lock().clone();
    assert_eq!(
        got,
        vec![format!(
            "integration.dispatch|hello world|user=bob,n=3,ok=True,ratio=0.5|Some(\"dispatch\")|true|Some(\"request{{id=42}}\")"
        )]
    );
}

/// A value whose `Display` logs (the classic re-entrancy trap).
struct LogsWhenDisplayed;

impl fmt::Display for LogsWhenDisplayed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        tracing::warn!(target: "inner", "logged from Display");
        f.write_str("outer value")
    }
}

#[test]
fn an_event_from_a_display_impl_neither_deadlocks_nor_recurses() {
    // With a scoped subscriber tracing itself drops nested events; the global subscriber (what
    // applications use) hands them to us, so this runs in a child process.
    if support::child_role().as_deref() == Some("display") {
        let sink = Arc::new(MemorySink::new());
        let guard = Builder::new()
            .handler("mem", Level::NOTSET, FormatHandler::new(sink.clone()))
            .root(Logger::new().level(Level::DEBUG).handler("mem"))
            .try_init()
            .unwrap();
        run_with_timeout(|| {
            tracing::warn!("outer {}", LogsWhenDisplayed);
        });
        drop(guard);
        // The inner event is handled while the outer one is being built: both are written.
        assert_eq!(sink.text(), "logged from Display\nouter outer value\n");
        return;
    }
    expect_child_success(
        "dispatch::an_event_from_a_display_impl_neither_deadlocks_nor_recurses",
        "display",
    );
}

/// A sink whose write logs: that event must not come back into the same handler.
#[derive(Debug)]
struct LoggingSink {
    inner: MemorySink,
    writes: AtomicUsize,
}

impl Sink for LoggingSink {
    fn write_record(&self, record: &[u8], level: Level) -> std::io::Result<()> {
        self.writes.fetch_add(1, Ordering::Relaxed);
        tracing::error!(target: "from_the_writer", "logged while writing");
        self.inner.write_record(record, level)
    }
    fn describe(&self) -> String {
        "logging sink".into()
    }
}

#[test]
fn an_event_from_inside_a_writer_does_not_reenter_that_handler() {
    if support::child_role().as_deref() == Some("writer") {
        let sink = Arc::new(LoggingSink {
            inner: MemorySink::new(),
            writes: AtomicUsize::new(0),
        });
        let other = seen();
        let guard = Builder::new()
            .handler("writer", Level::NOTSET, FormatHandler::new(sink.clone()))
            .handler("other", Level::NOTSET, Recorder::new("other", &other))
            .root(
                Logger::new()
                    .level(Level::DEBUG)
                    .handler("writer")
                    .handler("other"),
            )
            .try_init()
            .unwrap();
        run_with_timeout(|| {
            for i in 0..3 {
                tracing::info!("record {i}");
            }
        });
        drop(guard);
        assert_eq!(
            sink.writes.load(Ordering::Relaxed),
            3,
            "no recursion into the writer"
        );
        assert_eq!(sink.inner.text(), "record 0\nrecord 1\nrecord 2\n");
        // The nested events still reach the handlers that were not busy.
        let msgs: Vec<String> = pairs(&other).into_iter().map(|(_, m)| m).collect();
        assert_eq!(
            msgs.iter().filter(|m| *m == "logged while writing").count(),
            3
        );
        return;
    }
    expect_child_success(
        "dispatch::an_event_from_inside_a_writer_does_not_reenter_that_handler",
        "writer",
    );
}

#[test]
fn a_panicking_handler_does_not_panic_the_caller() {
    #[derive(Debug)]
    struct Panics;
    impl tracing_handlers::Handler for Panics {
        fn handle(&self, _: &tracing_handlers::Record<'_>) {
            panic!("handler bug");
        }
    }
    let seen = seen();
    let guard = Builder::new()
        .handler("bad", Level::NOTSET, Panics)
        .handler("good", Level::NOTSET, Recorder::new("good", &seen))
        .root(
            Logger::new()
                .level(Level::DEBUG)
                .handler("bad")
                .handler("good"),
        )
        .set_default()
        .unwrap();
    tracing::warn!("still delivered");
    drop(guard);
    assert_eq!(
        pairs(&seen),
        vec![("good".into(), "still delivered".into())]
    );
}

#[test]
fn log_crate_records_are_routed_by_their_own_target() {
    if support::child_role().as_deref() == Some("log-bridge") {
        let seen = seen();
        let _guard = Builder::new()
            .handler("h", Level::NOTSET, Recorder::new("h", &seen))
            .root(Logger::new().level(Level::WARNING).handler("h"))
            .logger("portal.legacy", Logger::new().level(Level::DEBUG))
            .try_init()
            .unwrap();
        log::debug!(target: "portal::legacy::db", "from log");
        log::debug!(target: "elsewhere", "dropped");
        log::error!(target: "elsewhere", "kept");
        let got: Vec<String> = seen
            .lock()
            .iter()
            .map(|(_, l, n, m)| format!("{l}|{n}|{m}"))
            .collect();
        assert_eq!(
            got,
            vec!["DEBUG|portal.legacy.db|from log", "ERROR|elsewhere|kept"]
        );
        return;
    }
    expect_child_success(
        "dispatch::log_crate_records_are_routed_by_their_own_target",
        "log-bridge",
    );
}

/// Re-runs `test` as a child in `role` and asserts it passed.
fn expect_child_success(test: &str, role: &str) {
    let out = support::rerun_as_child(test, role, &[]);
    assert!(
        out.status.success(),
        "child failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("1 passed"),
        "the child ran the test: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// Runs `f` on another thread and fails the test if it does not finish (a deadlock).
fn run_with_timeout(f: impl FnOnce() + Send + 'static) {
    support::within(Duration::from_secs(20), "the logging call", f);
}

#[test]
fn the_panic_hook_logs_the_panic_at_critical() {
    if support::child_role().as_deref() == Some("panic-hook") {
        let seen = seen();
        let _guard = Builder::new()
            .handler("h", Level::NOTSET, Recorder::new("h", &seen))
            .root(Logger::new().level(Level::WARNING).handler("h"))
            .with_panic_hook()
            .try_init()
            .unwrap();
        let result = std::thread::Builder::new()
            .name("worker".into())
            .spawn(|| panic!("disk on fire"))
            .unwrap()
            .join();
        assert!(result.is_err());
        let got = seen.lock().clone();
        assert_eq!(got.len(), 1, "{got:?}");
        let (_, level, logger, message) = &got[0];
        assert_eq!(*level, Level::CRITICAL);
        assert_eq!(logger, "panic");
        assert!(
            message.starts_with("thread 'worker' panicked at "),
            "{message}"
        );
        assert!(message.ends_with(": disk on fire"), "{message}");
        return;
    }
    expect_child_success(
        "dispatch::the_panic_hook_logs_the_panic_at_critical",
        "panic-hook",
    );
}

#[test]
fn records_at_level_zero_or_below_are_not_emitted_as_in_python() {
    // CPython: `logger.log(0, ...)` writes nothing, because `manager.disable` starts at 0
    // and `isEnabledFor` refuses levels at or below it; `disable(NOTSET)` puts it back to 0.
    let seen = seen();
    let (dispatch, _layer) = Builder::new()
        .handler("all", Level::NOTSET, Recorder::new("all", &seen))
        .root(Logger::new().level(Level::NOTSET).handler("all"))
        .build()
        .unwrap();
    let fields = tracing_handlers::FieldSet::new();
    let emit = |n: i32| {
        let level = Level::from_number(n);
        let message = n.to_string();
        dispatch.dispatch(&tracing_handlers::Record::new(level, "", &message, &fields));
        dispatch.is_enabled("", level)
    };
    assert_eq!([emit(-3), emit(0), emit(1)], [false, false, true]);
    dispatch.disable(Level::ERROR);
    assert_eq!([emit(40), emit(41)], [false, true]);
    dispatch.disable(Level::NOTSET);
    assert_eq!([emit(0), emit(5)], [false, true]);
    // Python's `disable(-5)` stores -5, and level 0 then passes.
    dispatch.disable(Level::from_number(-5));
    assert_eq!([emit(-5), emit(0)], [false, true]);
    let messages: Vec<String> = seen.lock().iter().map(|r| r.3.clone()).collect();
    assert_eq!(messages, ["1", "41", "5", "0"]);
}
