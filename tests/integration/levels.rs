//! Reference §1 checks LVL-01..LVL-08 and LVL-11, with loggers and handlers built in code.

use tracing_handlers::{Builder, Level, Logger, NameFilter};
use tracing_handlers_test_support as support;

use crate::support::{pairs, seen, Recorder};

#[test]
fn lvl_01_level_names_match_python() {
    let expected = [
        ("CRITICAL", 50),
        ("FATAL", 50),
        ("ERROR", 40),
        ("WARN", 30),
        ("WARNING", 30),
        ("INFO", 20),
        ("DEBUG", 10),
        ("NOTSET", 0),
    ];
    for (name, n) in expected {
        assert_eq!(Level::parse_python(name).unwrap().number(), n, "{name}");
    }
    assert_eq!(Level::from_number(15).to_string(), "Level 15");
    assert_eq!(Level::from_number(50).to_string(), "CRITICAL");
    assert_eq!(Level::from_number(30).to_string(), "WARNING");
    assert!(Level::parse_python("debug").is_err());
    assert_eq!(Level::TRACE.to_string(), "TRACE");

    // The same table from CPython itself.
    if !support::require("python3", "lvl_01_level_names_match_python") {
        return;
    }
    let out = support::python(
        "import logging\n\
         for n in [50,40,30,20,10,0,15,25,5,-1,99]: print(logging.getLevelName(n))\n\
         for s in ['CRITICAL','FATAL','ERROR','WARN','WARNING','INFO','DEBUG','NOTSET','debug','10','Info']:\n\
         \x20   v = logging.getLevelName(s); print(v if isinstance(v, int) else 'ERR')\n",
        b"",
        &[],
    );
    let py: Vec<String> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let mut ours: Vec<String> = [50, 40, 30, 20, 10, 0, 15, 25, 5, -1, 99]
        .iter()
        .map(|n| {
            let l = Level::from_number(*n);
            // Python has no TRACE: our extension names 5, Python prints `Level 5`.
            if l == Level::TRACE {
                "Level 5".to_owned()
            } else {
                l.to_string()
            }
        })
        .collect();
    for s in [
        "CRITICAL", "FATAL", "ERROR", "WARN", "WARNING", "INFO", "DEBUG", "NOTSET", "debug", "10",
        "Info",
    ] {
        ours.push(match Level::parse_python(s) {
            Ok(l) => l.number().to_string(),
            Err(_) => "ERR".to_owned(),
        });
    }
    assert_eq!(ours, py);
}

#[test]
fn lvl_02_set_level_names_are_exact() {
    let err = Level::parse_python("debug").unwrap_err();
    assert_eq!(err.to_string(), "Unknown level: 'debug'");
    assert_eq!(
        Level::parse_python("10").unwrap_err().to_string(),
        "Unknown level: '10'"
    );
    // A number is accepted, named or not.
    let guard = Builder::new()
        .logger("x", Logger::new().level(Level::from_number(15)))
        .set_default()
        .unwrap();
    assert_eq!(guard.handle().effective_level("x"), Level::from_number(15));
}

#[test]
fn lvl_03_fresh_tree_root_is_warning() {
    let guard = Builder::new().set_default().unwrap();
    let levels = guard.handle();
    assert_eq!(levels.effective_level("root"), Level::WARNING);
    assert_eq!(levels.effective_level("zz"), Level::WARNING);
    let tree = tracing_handlers::core::LoggerTree::new();
    assert!(
        tree.logger("zz").is_none(),
        "zz has no level of its own (NOTSET)"
    );
}

#[test]
fn lvl_04_effective_level_is_inherited() {
    let guard = Builder::new()
        .logger("a", Logger::new().level(Level::ERROR))
        .logger("a.b.c", Logger::new().level(Level::NOTSET))
        .set_default()
        .unwrap();
    assert_eq!(guard.handle().effective_level("a.b.c"), Level::ERROR);
    assert_eq!(guard.handle().effective_level("a::b::c"), Level::ERROR);
}

#[test]
fn lvl_05_handler_levels_apply_on_the_way_up_logger_levels_do_not() {
    let seen = seen();
    let guard = Builder::new()
        .handler("root-h", Level::NOTSET, Recorder::new("root-h", &seen))
        .handler("a-h", Level::CRITICAL, Recorder::new("a-h", &seen))
        .root(Logger::new().level(Level::DEBUG).handler("root-h"))
        .logger("a", Logger::new().level(Level::ERROR).handler("a-h"))
        .set_default()
        .unwrap();
    tracing::error!(target: "a::b::c", "e1");
    tracing_handlers::critical!(target: "a::b::c", "c1");
    tracing::warn!(target: "a::b::c", "w1");
    drop(guard);
    assert_eq!(
        pairs(&seen),
        vec![
            ("root-h".into(), "e1".into()),
            ("a-h".into(), "c1".into()),
            ("root-h".into(), "c1".into()),
        ]
    );
    assert_eq!(seen.lock()[1].1, Level::CRITICAL);
}

#[test]
fn lvl_06_root_level_is_irrelevant_to_propagation() {
    let seen = seen();
    let guard = Builder::new()
        .handler("root-h", Level::NOTSET, Recorder::new("root-h", &seen))
        .root(Logger::new().level(Level::CRITICAL).handler("root-h"))
        .logger("a", Logger::new())
        .logger("a.b.c", Logger::new().level(Level::DEBUG))
        .set_default()
        .unwrap();
    tracing::debug!(target: "a::b::c", "d1");
    tracing::debug!(target: "a", "not emitted: a inherits CRITICAL");
    drop(guard);
    assert_eq!(pairs(&seen), vec![("root-h".into(), "d1".into())]);
}

#[test]
fn lvl_07_propagate_false_stops_at_that_logger() {
    let seen = seen();
    let guard = Builder::new()
        .handler("root-h", Level::NOTSET, Recorder::new("root-h", &seen))
        .handler("a-h", Level::NOTSET, Recorder::new("a-h", &seen))
        .root(Logger::new().level(Level::DEBUG).handler("root-h"))
        .logger("a", Logger::new().handler("a-h").propagate(false))
        .set_default()
        .unwrap();
    tracing::info!(target: "a::b::c", "x");
    tracing::info!(target: "b", "y");
    drop(guard);
    assert_eq!(
        pairs(&seen),
        vec![("a-h".into(), "x".into()), ("root-h".into(), "y".into())]
    );
}

#[test]
fn lvl_08_last_resort_when_no_handler_exists() {
    let seen = seen();
    let guard = Builder::new()
        .last_resort(Recorder::new("last-resort", &seen))
        .set_default()
        .unwrap();
    tracing::info!("i");
    tracing::warn!("w");
    drop(guard);
    assert_eq!(pairs(&seen), vec![("last-resort".into(), "w".into())]);
}

#[test]
fn lvl_08_last_resort_writes_the_bare_message_to_stderr() {
    if support::child_role().as_deref() == Some("lvl08") {
        let _guard = Builder::new().try_init().unwrap();
        tracing::info!("i");
        tracing::warn!("w");
        return;
    }
    let out = support::rerun_as_child(
        "levels::lvl_08_last_resort_writes_the_bare_message_to_stderr",
        "lvl08",
        &[],
    );
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.lines().any(|l| l == "w"), "stderr: {stderr}");
    assert!(!stderr.lines().any(|l| l == "i"), "stderr: {stderr}");
}

#[test]
fn lvl_08_handlers_filtered_by_level_still_count_as_found() {
    // Python counts every handler on the chain, whatever its level: no last resort then.
    let seen = seen();
    let guard = Builder::new()
        .handler("root-h", Level::CRITICAL, Recorder::new("root-h", &seen))
        .root(Logger::new().level(Level::DEBUG).handler("root-h"))
        .last_resort(Recorder::new("last-resort", &seen))
        .set_default()
        .unwrap();
    tracing::warn!("w");
    drop(guard);
    assert!(pairs(&seen).is_empty());
}

#[test]
fn lvl_11_name_filter_is_by_component() {
    let f = NameFilter::new("p.c");
    for name in ["p.c", "p.c.d"] {
        assert!(f.passes(name), "{name}");
    }
    for name in ["p.cc", "p", "x.p.c"] {
        assert!(!f.passes(name), "{name}");
    }
    // On a handler, through the dispatch layer.
    let seen = seen();
    let guard = Builder::new()
        .handler("h", Level::NOTSET, Recorder::new("h", &seen))
        .handler_filter("h", NameFilter::new("p::c"))
        .root(Logger::new().level(Level::DEBUG).handler("h"))
        .set_default()
        .unwrap();
    tracing::info!(target: "p::c", "p::c");
    tracing::info!(target: "p::c::d", "p::c::d");
    tracing::info!(target: "p::cc", "p::cc");
    tracing::info!(target: "p", "p");
    tracing::info!(target: "x::p::c", "x::p::c");
    drop(guard);
    let got: Vec<String> = pairs(&seen).into_iter().map(|(_, m)| m).collect();
    assert_eq!(got, vec!["p::c", "p::c::d"]);
}

#[test]
fn levels_change_at_run_time() {
    let seen = seen();
    let guard = Builder::new()
        .handler("h", Level::NOTSET, Recorder::new("h", &seen))
        .root(Logger::new().level(Level::INFO).handler("h"))
        .set_default()
        .unwrap();
    let levels = guard.handle();
    tracing::debug!(target: "portal::api", "hidden");
    levels.set_logger_level("portal", Level::DEBUG);
    tracing::debug!(target: "portal::api", "shown");
    assert!(levels.set_handler_level("h", Level::ERROR));
    tracing::warn!(target: "portal::api", "hidden by the handler level");
    assert!(!levels.set_handler_level("nope", Level::ERROR));
    drop(guard);
    let got: Vec<String> = pairs(&seen).into_iter().map(|(_, m)| m).collect();
    assert_eq!(got, vec!["shown"]);
}
