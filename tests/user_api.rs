//! The public API used the way an application would, in the situations that go wrong: a
//! reporter that panics, a handler that panics while the panic hook logs, `try_init` twice,
//! closed streams, colours and the environment, odd logger names, guards dropped out of order.
//!
//! Tests that touch process-wide state (the global subscriber, the reporter, the panic hook,
//! file descriptors 1 and 2) run their body in a child process.

use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use tracing_handlers::report::{self, Report};
use tracing_handlers::{
    Builder, ColorMode, FormatHandler, Formatter, Level, Logger, MemorySink, Sink, StreamSink,
};
use tracing_handlers_test_support as support;

/// A builder with one in-memory handler on the root logger at TRACE.
fn mem_builder(sink: &Arc<MemorySink>) -> Builder {
    Builder::new()
        .handler(
            "mem",
            Level::NOTSET,
            FormatHandler::new(sink.clone())
                .with_formatter(Formatter::percent("%(levelname)s:%(name)s:%(message)s").unwrap()),
        )
        .root(Logger::new().level(Level::TRACE).handler("mem"))
}

/// A sink whose every write fails.
#[derive(Debug)]
struct FailingSink;

impl Sink for FailingSink {
    fn write_record(&self, _: &[u8], _: Level) -> io::Result<()> {
        Err(io::Error::other("disk on fire"))
    }

    fn describe(&self) -> String {
        "failing".into()
    }
}

/// A sink whose every write panics.
#[derive(Debug)]
struct PanickingSink;

impl Sink for PanickingSink {
    fn write_record(&self, _: &[u8], _: Level) -> io::Result<()> {
        panic!("the sink panics")
    }

    fn describe(&self) -> String {
        "panicking".into()
    }
}

/// Runs this test binary's `test` as a child playing `role`, and fails with its output unless
/// it ran that one test successfully.
fn child_ok(test: &str, role: &str, env: &[(&str, &str)]) -> String {
    let out = support::rerun_as_child(test, role, env);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "child {role} failed: {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    stderr
}

#[test]
fn a_reporter_that_panics_never_panics_the_logging_call() {
    if support::child_role().as_deref() == Some("panicking-reporter") {
        report::set_error_reporter(|_: &Report<'_>| panic!("the reporter panics"));
        let sink = Arc::new(MemorySink::new());
        let guard = Builder::new()
            .handler("bad", Level::NOTSET, FormatHandler::new(FailingSink))
            .handler("mem", Level::NOTSET, FormatHandler::new(sink.clone()))
            .root(
                Logger::new()
                    .level(Level::INFO)
                    .handler("bad")
                    .handler("mem"),
            )
            .set_default()
            .unwrap();
        let logged = std::panic::catch_unwind(|| {
            tracing::warn!("first");
            tracing::warn!("second");
        });
        assert!(logged.is_ok(), "a logging call panicked");
        drop(guard);
        assert_eq!(sink.text(), "first\nsecond\n");
        return;
    }
    let stderr = child_ok(
        "a_reporter_that_panics_never_panics_the_logging_call",
        "panicking-reporter",
        &[],
    );
    // The report the panicking reporter could not deliver goes to the default one.
    assert!(
        stderr.contains("[tracing-handlers] failing: write failed: disk on fire"),
        "{stderr}"
    );
}

#[test]
fn a_reporter_may_replace_itself_and_log_without_deadlock() {
    if support::child_role().as_deref() == Some("replacing-reporter") {
        let sink = Arc::new(MemorySink::new());
        let guard = Builder::new()
            .handler("bad", Level::NOTSET, FormatHandler::new(FailingSink))
            .handler("mem", Level::NOTSET, FormatHandler::new(sink.clone()))
            .root(
                Logger::new()
                    .level(Level::INFO)
                    .handler("bad")
                    .handler("mem"),
            )
            .try_init()
            .unwrap();
        report::set_error_reporter(|r: &Report<'_>| {
            tracing::error!("reported: {r}");
            report::set_error_reporter(|_: &Report<'_>| {});
        });
        support::within(Duration::from_secs(5), "logging", || {
            tracing::warn!("x");
            tracing::warn!("y");
        });
        drop(guard);
        // The event the reporter logs reaches the other handler, not the failing one.
        assert_eq!(
            sink.text(),
            "reported: failing: write failed: disk on fire\nx\ny\n"
        );
        return;
    }
    child_ok(
        "a_reporter_may_replace_itself_and_log_without_deadlock",
        "replacing-reporter",
        &[],
    );
}

#[test]
fn a_handler_that_panics_while_the_panic_hook_logs_does_not_abort_the_process() {
    if support::child_role().as_deref() == Some("panicking-handler") {
        let sink = Arc::new(MemorySink::new());
        let _guard = Builder::new()
            .handler("panics", Level::NOTSET, FormatHandler::new(PanickingSink))
            .handler("mem", Level::NOTSET, FormatHandler::new(sink.clone()))
            .root(
                Logger::new()
                    .level(Level::INFO)
                    .handler("panics")
                    .handler("mem"),
            )
            .with_panic_hook()
            .try_init()
            .unwrap();
        // The application's own panic: the hook logs it, and "panics" panics on that record
        // (inside a panic hook, where a second panic aborts the process).
        let result = std::thread::Builder::new()
            .name("worker".into())
            .spawn(|| panic!("application bug"))
            .unwrap()
            .join();
        assert!(result.is_err());
        let text = sink.text();
        assert!(
            text.contains("thread 'worker' panicked at ") && text.contains(": application bug\n"),
            "{text:?}"
        );
        // And a handler's own panic inside an ordinary logging call stays contained.
        let logged = std::panic::catch_unwind(|| tracing::warn!("still logging"));
        assert!(logged.is_ok());
        assert!(
            sink.text().ends_with("still logging\n"),
            "{:?}",
            sink.text()
        );
        return;
    }
    child_ok(
        "a_handler_that_panics_while_the_panic_hook_logs_does_not_abort_the_process",
        "panicking-handler",
        &[],
    );
}

/// A writer that panics while the stream sink holds its lock.
struct PanickingWriter;

impl io::Write for PanickingWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.starts_with(b"boom") {
            panic!("the writer panics");
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_panic_inside_a_locked_write_with_the_panic_hook_does_not_deadlock() {
    if support::child_role().as_deref() == Some("locked-panic") {
        let sink = Arc::new(MemorySink::new());
        let _guard = Builder::new()
            .handler(
                "stream",
                Level::NOTSET,
                StreamSink::from_writer(PanickingWriter).into_handler(),
            )
            .handler("mem", Level::NOTSET, FormatHandler::new(sink.clone()))
            .root(
                Logger::new()
                    .level(Level::INFO)
                    .handler("stream")
                    .handler("mem"),
            )
            .with_panic_hook()
            .try_init()
            .unwrap();
        support::within(
            Duration::from_secs(8),
            "logging a record the writer panics on",
            || {
                tracing::warn!("boom");
                tracing::warn!("after");
            },
        );
        // The panic record waits for the lock the panicking write held (its helper thread
        // may still be on its way).
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while !sink.text().contains("panicked at ") && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let text = sink.text();
        assert!(
            text.contains("panicked at ") && text.contains("the writer panics"),
            "{text:?}"
        );
        // So it may land anywhere around this thread's own records, which keep their order.
        let boom = text.find("boom\n");
        let after = text.find("after\n");
        assert!(
            boom.is_some() && after.is_some() && boom < after,
            "{text:?}"
        );
        return;
    }
    child_ok(
        "a_panic_inside_a_locked_write_with_the_panic_hook_does_not_deadlock",
        "locked-panic",
        &[],
    );
}

#[test]
fn try_init_twice_is_an_error_and_the_first_keeps_working() {
    if support::child_role().as_deref() == Some("twice") {
        let first = Arc::new(MemorySink::new());
        let guard = mem_builder(&first).try_init().unwrap();
        let second = Arc::new(MemorySink::new());
        let err = mem_builder(&second).try_init().unwrap_err();
        assert!(
            matches!(err, tracing_handlers::BuildError::AlreadyInitialized(_)),
            "{err:?}"
        );
        assert!(err.to_string().contains("already installed"), "{err}");
        let init =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| mem_builder(&second).init()));
        assert!(init.is_err(), "init panics, as documented");
        tracing::warn!(target: "portal", "after");
        assert_eq!(first.text(), "WARNING:portal:after\n");
        assert_eq!(second.text(), "");
        drop(guard);
        return;
    }
    child_ok(
        "try_init_twice_is_an_error_and_the_first_keeps_working",
        "twice",
        &[],
    );
}

#[test]
fn try_init_whose_config_watcher_cannot_start_installs_nothing() {
    if support::child_role().as_deref() == Some("no-threads") {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("logging.toml");
        std::fs::write(
            &config,
            "version = 1\n[handlers.null]\nclass = \"logging.NullHandler\"\n[root]\nhandlers = [\"null\"]\n",
        )
        .unwrap();
        let err = Builder::from_config_file(&config)
            .unwrap()
            .watch_config(&config, Duration::from_millis(100))
            .try_init()
            .unwrap_err();
        assert!(
            matches!(err, tracing_handlers::BuildError::Watch(_)),
            "{err:?}"
        );
        // The error left nothing installed: the application can fall back.
        assert!(!tracing::dispatcher::has_been_set());
        let sink = Arc::new(MemorySink::new());
        let guard = mem_builder(&sink).try_init().unwrap();
        tracing::warn!(target: "portal", "fallback");
        assert_eq!(sink.text(), "WARNING:portal:fallback\n");
        drop(guard);
        return;
    }
    // Every new thread asks for a stack no system can map, so the watcher's cannot start.
    child_ok(
        "try_init_whose_config_watcher_cannot_start_installs_nothing",
        "no-threads",
        &[("RUST_MIN_STACK", "1125899906842624")],
    );
}

#[test]
fn a_stdout_stream_on_a_closed_pipe_reports_once_and_does_not_panic() {
    if support::child_role().as_deref() == Some("closed-stdout") {
        let mut fds = [0i32; 2];
        // SAFETY: plain descriptor calls on descriptors this process owns.
        unsafe {
            assert_eq!(libc::pipe(fds.as_mut_ptr()), 0);
            libc::close(fds[0]);
            assert_eq!(libc::dup2(fds[1], 1), 1);
        }
        let guard = Builder::new()
            .handler("out", Level::NOTSET, StreamSink::stdout().into_handler())
            .root(Logger::new().level(Level::INFO).handler("out"))
            .set_default()
            .unwrap();
        let logged = std::panic::catch_unwind(|| {
            for i in 0..5 {
                tracing::warn!("line {i}");
            }
        });
        drop(guard);
        let mut err = StreamSink::stderr();
        let _ = io::Write::write_all(
            &mut err,
            format!("LOGGED OK {}\n", logged.is_ok()).as_bytes(),
        );
        // The harness would fail writing its summary to the closed pipe.
        // SAFETY: ends the child process at once.
        unsafe { libc::_exit(0) };
    }
    let out = support::rerun_as_child(
        "a_stdout_stream_on_a_closed_pipe_reports_once_and_does_not_panic",
        "closed-stdout",
        &[],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    assert!(stderr.contains("LOGGED OK true"), "{stderr}");
    assert_eq!(
        stderr.matches("stream stdout: write failed").count(),
        1,
        "{stderr}"
    );
}

/// Whether a stderr `StreamSink` made with `ColorMode::Auto` colours, with stderr on a
/// pseudo-terminal.
#[cfg(target_os = "linux")]
fn auto_colors_on_a_terminal() -> bool {
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty writes the two descriptors; dup2 puts the terminal on stderr.
    unsafe {
        assert_eq!(
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                std::ptr::null()
            ),
            0
        );
        assert_eq!(libc::dup2(slave, 2), 2);
    }
    StreamSink::stderr()
        .with_colors(ColorMode::Auto)
        .colors_enabled()
}

#[cfg(target_os = "linux")]
#[test]
fn auto_colours_follow_no_color_and_term_dumb() {
    if let Some(role) = support::child_role() {
        let expected = role == "colours";
        let got = auto_colors_on_a_terminal();
        assert_eq!(got, expected, "role {role}");
        return;
    }
    let test = "auto_colours_follow_no_color_and_term_dumb";
    child_ok(test, "colours", &[("NO_COLOR", ""), ("TERM", "xterm")]);
    child_ok(test, "plain", &[("NO_COLOR", "1"), ("TERM", "xterm")]);
    child_ok(test, "plain", &[("TERM", "dumb")]);
}

#[test]
fn odd_logger_names_neither_panic_nor_lose_records() {
    let sink = Arc::new(MemorySink::new());
    let long = "x.".repeat(20_000);
    let mut builder = mem_builder(&sink);
    // (`""` would be the root logger, as in Python, and replace its handlers.)
    for name in ["..a", "a..b", "a::::b", "é.ü", long.as_str()] {
        builder = builder.logger(name, Logger::new().level(Level::INFO));
    }
    let guard = builder.set_default().unwrap();
    let levels = guard.handle();
    for name in [
        "",
        ".",
        "..",
        "..a",
        "a..b",
        "a.",
        "::",
        "a::",
        "é.ü",
        long.as_str(),
        "root",
    ] {
        levels.set_logger_level(name, Level::DEBUG);
        let _ = levels.effective_level(name);
    }
    tracing::warn!(target: "", "empty");
    tracing::warn!(target: ".", "dot");
    tracing::warn!(target: "..a", "dots");
    tracing::warn!(target: "a..b", "inner dots");
    tracing::warn!(target: "::", "colons");
    tracing::warn!(target: "é::ü", "non-ascii");
    drop(guard);
    let text = sink.text();
    for message in ["empty", "dot", "dots", "inner dots", "colons", "non-ascii"] {
        assert!(text.contains(&format!(":{message}\n")), "{message}: {text}");
    }
    assert!(text.contains("WARNING:é.ü:non-ascii\n"), "{text}");
    eprintln!("{text}");
}

#[test]
fn guards_dropped_out_of_order_and_handles_used_after_shutdown_do_not_panic() {
    let a = Arc::new(MemorySink::new());
    let b = Arc::new(MemorySink::new());
    let outer = mem_builder(&a).set_default().unwrap();
    let inner = mem_builder(&b).set_default().unwrap();
    tracing::warn!("to inner");
    let levels = inner.handle();
    drop(outer);
    tracing::warn!("after the outer guard");
    drop(inner);
    tracing::warn!("after both");
    levels.set_logger_level("portal", Level::INFO);
    assert!(!levels.set_handler_level("missing", Level::INFO));
    assert_eq!(levels.effective_level("portal.api"), Level::INFO);
    assert!(
        b.text().starts_with("WARNING:user_api:to inner\n"),
        "{}",
        b.text()
    );
}

#[test]
fn levels_change_from_many_threads_while_others_log() {
    let sink = Arc::new(MemorySink::new());
    let guard = mem_builder(&sink).set_default().unwrap();
    let levels = guard.handle();
    let dispatch = guard.dispatch().clone();
    support::within(
        Duration::from_secs(8),
        "logging while levels change",
        move || {
            std::thread::scope(|s| {
                for t in 0..2 {
                    let levels = levels.clone();
                    s.spawn(move || {
                        for i in 0..2_000 {
                            let level = if i % 2 == 0 {
                                Level::DEBUG
                            } else {
                                Level::ERROR
                            };
                            levels.set_logger_level(&format!("portal.t{t}"), level);
                            levels.set_handler_level("mem", level);
                        }
                    });
                }
                for _ in 0..2 {
                    let dispatch = dispatch.clone();
                    s.spawn(move || {
                        let fields = tracing_handlers::FieldSet::new();
                        for _ in 0..2_000 {
                            dispatch.dispatch(&tracing_handlers::Record::new(
                                Level::CRITICAL,
                                "portal.t0",
                                "m",
                                &fields,
                            ));
                        }
                    });
                }
            });
        },
    );
    drop(guard);
    assert_eq!(sink.text().lines().count(), 4_000);
}

/// A `Display` that panics.
struct PanickingDisplay;

impl fmt::Display for PanickingDisplay {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        panic!("display panics")
    }
}

#[test]
fn a_field_whose_display_panics_does_not_panic_the_logging_call() {
    // A format that prints the field `x`: it is formatted, and panics.
    let sink = Arc::new(MemorySink::new());
    let guard = Builder::new()
        .handler(
            "mem",
            Level::NOTSET,
            FormatHandler::new(sink.clone())
                .with_formatter(Formatter::percent("%(levelname)s %(x)s %(message)s").unwrap()),
        )
        .root(Logger::new().level(Level::TRACE).handler("mem"))
        .set_default()
        .unwrap();
    let logged = std::panic::catch_unwind(|| {
        tracing::warn!(x = %PanickingDisplay, "in a field");
        tracing::warn!(x = 1, "in the message: {}", PanickingDisplay);
        tracing::warn!(x = 2, "and the next record is whole");
    });
    drop(guard);
    assert!(logged.is_ok(), "the logging call panicked");
    let text = sink.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].contains("[formatting panicked]"), "{text}");
    assert!(
        lines[1].contains("in the message: ") && lines[1].ends_with("[formatting panicked]"),
        "{text}"
    );
    assert_eq!(lines[2], "WARNING 2 and the next record is whole", "{text}");

    // A format that does not print it (a prepared line): it is not formatted at all.
    let sink = Arc::new(MemorySink::new());
    let guard = mem_builder(&sink).set_default().unwrap();
    let logged = std::panic::catch_unwind(|| {
        tracing::warn!(x = %PanickingDisplay, "in a field");
        tracing::warn!("in the message: {}", PanickingDisplay);
    });
    drop(guard);
    assert!(logged.is_ok(), "the logging call panicked");
    assert_eq!(
        sink.text(),
        "WARNING:user_api:in a field\nWARNING:user_api:in the message:  [formatting panicked]\n"
    );
}
