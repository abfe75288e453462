//! Property tests (proptest, run in CI): whatever the bytes, the configuration readers and the
//! planner return a value or errors with a message, never a panic; valid generated
//! `logging.conf` files load with every key, level and handler they name.

use std::path::Path;

use proptest::prelude::*;

fn check_no_panic(name: &str, bytes: &[u8]) {
    let path = Path::new(name);
    let (config, errors) = tracing_handlers_config::parse_lossy(path, bytes);
    for e in errors.iter() {
        assert!(!e.to_string().is_empty());
    }
    if let Some(config) = config {
        let _ = tracing_handlers_config::build::plan(&config, path);
    }
}

/// Text that looks like a logging.conf: sections, keys, values with Python literals.
fn conf_like() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        "\\[[a-z_]{0,12}\\]",
        "(keys|level|handlers|qualname|propagate|class|args|kwargs|formatter|format|datefmt|style)\\s?[=:]\\s?[ -~]{0,30}",
        "args=\\((sys\\.stdout|'[a-z./%()]{0,10}'|[0-9]{1,4}|None|True|\\(|\\)|\\[|\\]|\\{|\\}|,|:|handlers\\.[A-Za-z_.]{0,20}){0,8}\\)",
        "[ \\t]+[ -~]{0,20}",
        "[#;][ -~]{0,20}",
        "%\\([a-z]{0,6}\\)s|%%|%",
    ];
    proptest::collection::vec(line, 0..40).prop_map(|lines| lines.join("\n"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    #[test]
    fn any_bytes_as_logging_conf(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        check_no_panic("x.conf", &bytes);
    }

    #[test]
    fn conf_like_text(text in conf_like()) {
        check_no_panic("x.conf", text.as_bytes());
    }

    #[test]
    fn any_text_as_toml_and_json(text in "[ -~\\n]{0,400}") {
        check_no_panic("x.toml", text.as_bytes());
        check_no_panic("x.json", text.as_bytes());
    }

    #[test]
    fn generated_valid_files_load_completely(
        loggers in proptest::collection::btree_set("[a-z]{1,6}(\\.[a-z]{1,6}){0,2}", 0..5),
        level in prop::sample::select(vec!["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", "NOTSET"]),
        propagate in 0u8..2,
    ) {
        let keys: Vec<String> = (0..loggers.len()).map(|i| format!("l{i}")).collect();
        let mut text = format!(
            "[loggers]\nkeys=root{}\n\n[handlers]\nkeys=h\n\n[formatters]\nkeys=f\n\n\
             [logger_root]\nlevel={level}\nhandlers=h\n\n\
             [handler_h]\nclass=NullHandler\nformatter=f\n\n[formatter_f]\nformat=%(message)s\n",
            keys.iter().map(|k| format!(",{k}")).collect::<String>()
        );
        for (k, name) in keys.iter().zip(&loggers) {
            text.push_str(&format!(
                "\n[logger_{k}]\nlevel={level}\nhandlers=h\npropagate={propagate}\nqualname={name}\n"
            ));
        }
        let config = tracing_handlers_config::parse(Path::new("ok.conf"), text.as_bytes())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(config.loggers.len(), loggers.len());
        prop_assert_eq!(config.root.level.map(|l| l.to_string()), Some(level.to_owned()));
        for l in &config.loggers {
            prop_assert!(loggers.contains(&l.name));
            prop_assert_eq!(l.propagate, propagate == 1);
            prop_assert_eq!(l.handlers.len(), 1);
        }
        let set = tracing_handlers_config::build::build(&config, Path::new("ok.conf"))
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(set.handlers.len(), 1);
    }
}
