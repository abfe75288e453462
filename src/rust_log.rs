//! `RUST_LOG`, honoured only when the application opts in: its directives set logger levels.

use tracing_handlers_core::report::{report, Report, ReportKind};
use tracing_handlers_core::{Level, LoggerTree};

/// Applies `RUST_LOG`-style directives to `tree`: `LEVEL` sets the root logger's level,
/// `TARGET=LEVEL` a logger's (`portal::api=debug` is the logger `portal.api`); `off` is above
/// CRITICAL. Directives are comma separated; later ones win. Returns the directives that could
/// not be read (span and field filters `target[span]{field}` have no equivalent in Python's
/// logger tree).
pub(crate) fn apply(tree: &mut LoggerTree, spec: &str) -> Vec<String> {
    let mut bad = Vec::new();
    for directive in spec.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        if directive.contains(['[', '{']) {
            bad.push(directive.to_owned());
            continue;
        }
        let (target, level) = match directive.rsplit_once('=') {
            Some((t, l)) => (Some(t.trim()), l.trim()),
            None => (None, directive),
        };
        let level = if level.eq_ignore_ascii_case("off") {
            Some(Level::from_number(i32::MAX))
        } else {
            level.parse::<Level>().ok()
        };
        match (target, level) {
            (None, Some(level)) => tree.root_mut().level = level,
            // `a=b=info` is not a directive (env_logger refuses it too), not the logger `a=b`.
            (Some(t), Some(level)) if !t.is_empty() && !t.contains('=') => {
                tree.logger_mut(t).level = level;
            }
            // A bare target means "everything from it" in env_logger.
            (None, None) => tree.logger_mut(directive).level = Level::TRACE,
            _ => bad.push(directive.to_owned()),
        }
    }
    bad
}

/// Reads `RUST_LOG` and applies it; unreadable directives are reported once.
pub(crate) fn apply_env(tree: &mut LoggerTree) {
    #[allow(clippy::disallowed_methods)] // the application opted in
    let Ok(spec) = std::env::var("RUST_LOG") else {
        return;
    };
    let bad = apply(tree, &spec);
    if !bad.is_empty() {
        let message = format!("ignored directives: {}", bad.join(", "));
        report(&Report {
            source: "RUST_LOG",
            kind: ReportKind::Notice,
            message: &message,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives_set_logger_levels() {
        let mut tree = LoggerTree::new();
        let bad = apply(
            &mut tree,
            "info, portal::api=debug,noisy=off , web=WARN,x[span]=trace,y=loud",
        );
        assert_eq!(tree.effective_level("root"), Level::INFO);
        assert_eq!(tree.effective_level("portal.api.v1"), Level::DEBUG);
        assert_eq!(tree.effective_level("portal"), Level::INFO);
        assert!(tree.effective_level("noisy") > Level::CRITICAL);
        assert_eq!(tree.effective_level("web"), Level::WARNING);
        assert_eq!(bad, vec!["x[span]=trace", "y=loud"]);
    }
}

#[cfg(test)]
mod odd_values {
    use super::*;

    #[test]
    fn odd_values_never_panic_and_bad_ones_are_returned() {
        let huge = "a::b=debug,".repeat(100_000);
        let long_target = format!("{}=info", "x".repeat(1_000_000));
        for spec in [
            "",
            ",,,",
            " , ",
            "::",
            "::=debug",
            "é=info",
            "..a=info",
            "a..b=warn",
            "\u{0}",
            huge.as_str(),
            long_target.as_str(),
        ] {
            let mut tree = LoggerTree::new();
            assert!(apply(&mut tree, spec).is_empty(), "{spec:?}");
            let _ = tree.effective_level("a.b");
        }
        for spec in ["=", "==", "=debug", "info=", "a=b=info", "a=99999999999"] {
            let mut tree = LoggerTree::new();
            assert_eq!(apply(&mut tree, spec), vec![spec.to_owned()], "{spec:?}");
            assert_eq!(tree.effective_level("root"), Level::WARNING, "{spec:?}");
            assert_eq!(tree.effective_level("a"), Level::WARNING, "{spec:?}");
        }
        let mut tree = LoggerTree::new();
        assert!(apply(&mut tree, "OFF").is_empty());
        assert!(tree.effective_level("a.b") > Level::CRITICAL);
    }
}
