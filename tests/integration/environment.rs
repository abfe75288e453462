//! What the environment may change: `TRACING_HANDLERS_CONFIG` wins over the application's
//! configuration path, a missing file means the system default, and `RUST_LOG` applies only
//! when the application opts in. Each case runs in a child process with its own environment.

use tracing_handlers::{configure, Builder, ConfigSource, Level, Logger};
use tracing_handlers_test_support as support;

use crate::support::{pairs, seen, Recorder};

fn child_ok(test: &str, role: &str, env: &[(&str, &str)]) {
    let out = support::rerun_as_child(test, role, env);
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("1 passed"),
        "child failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_environment_file_wins_then_the_application_file_then_the_system_default() {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("app.toml");
    let env = dir.path().join("env.toml");
    std::fs::write(&app, "version = 1\n").unwrap();
    std::fs::write(&env, "version = 1\n").unwrap();
    match support::child_role().as_deref() {
        Some("env-set") => {
            let app = std::env::var("APP_FILE").unwrap();
            let want = std::env::var("TRACING_HANDLERS_CONFIG").unwrap();
            assert_eq!(
                configure(Level::INFO, Some(&app)).source(),
                ConfigSource::Environment(want.into())
            );
        }
        Some("env-unset") => {
            let app = std::env::var("APP_FILE").unwrap();
            assert_eq!(
                configure(Level::INFO, Some(&app)).source(),
                ConfigSource::File(app.clone().into())
            );
            assert_eq!(
                configure(Level::INFO, Some("/nonexistent/logging.conf")).source(),
                ConfigSource::SystemDefault(Level::INFO)
            );
            assert_eq!(
                configure(Level::ERROR, None::<&str>).source(),
                ConfigSource::SystemDefault(Level::ERROR)
            );
        }
        Some(_) => {}
        None => {
            let test = "environment::the_environment_file_wins_then_the_application_file_then_the_system_default";
            child_ok(
                test,
                "env-set",
                &[
                    ("TRACING_HANDLERS_CONFIG", env.to_str().unwrap()),
                    ("APP_FILE", app.to_str().unwrap()),
                ],
            );
            child_ok(test, "env-unset", &[("APP_FILE", app.to_str().unwrap())]);
        }
    }
}

#[test]
fn an_environment_file_that_does_not_exist_is_an_error() {
    if support::child_role().as_deref() == Some("missing") {
        let err = configure(Level::INFO, None::<&str>).try_init().unwrap_err();
        assert!(err.to_string().contains("doesn't exist"), "{err}");
        return;
    }
    child_ok(
        "environment::an_environment_file_that_does_not_exist_is_an_error",
        "missing",
        &[("TRACING_HANDLERS_CONFIG", "/nonexistent/th.toml")],
    );
}

#[test]
fn rust_log_applies_only_when_the_application_opts_in() {
    match support::child_role().as_deref() {
        Some("rust-log") => {
            for opt_in in [false, true] {
                let seen = seen();
                let guard = Builder::new()
                    .handler("h", Level::NOTSET, Recorder::new("h", &seen))
                    .root(Logger::new().level(Level::WARNING).handler("h"))
                    .with_rust_log(opt_in)
                    .set_default()
                    .unwrap();
                tracing::debug!(target: "portal::api", "debug");
                tracing::info!(target: "other", "info");
                drop(guard);
                let got: Vec<String> = pairs(&seen).into_iter().map(|(_, m)| m).collect();
                if opt_in {
                    assert_eq!(got, vec!["debug"]);
                } else {
                    assert!(got.is_empty(), "{got:?}");
                }
            }
        }
        Some(_) => {}
        None => child_ok(
            "environment::rust_log_applies_only_when_the_application_opts_in",
            "rust-log",
            &[("RUST_LOG", "error,portal::api=debug")],
        ),
    }
}
