//! Handlers configured from files behave as the same handlers built in code.

use tracing_handlers::Builder;

#[test]
fn a_watched_file_handler_from_toml_follows_a_rename() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let config = dir.path().join("logging.toml");
    std::fs::write(
        &config,
        format!(
            r#"version = 1
[handlers.w]
class = "logging.handlers.WatchedFileHandler"
filename = "{}"
check_interval = 0
[root]
level = "INFO"
handlers = ["w"]
"#,
            log.display()
        ),
    )
    .unwrap();
    let guard = Builder::from_config_file(&config)
        .unwrap()
        .set_default()
        .unwrap();
    tracing::info!("before");
    std::fs::rename(&log, dir.path().join("app.log.1")).unwrap();
    tracing::info!("after");
    drop(guard);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("app.log.1")).unwrap(),
        "before\n"
    );
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "after\n");
}
