//! Python's logger tree: dotted names, effective levels, propagation.

use std::collections::HashMap;

use crate::Level;

/// The name of the root logger.
pub const ROOT: &str = "root";

/// Reads a `tracing` target as a logger name: `portal::api::v1` is `portal.api.v1`; the empty
/// name and `root` are the root logger.
///
/// ```
/// use tracing_handlers_core::logger_name;
/// assert_eq!(logger_name("portal::api::v1"), "portal.api.v1");
/// assert_eq!(logger_name(""), "root");
/// ```
pub fn logger_name(target: &str) -> std::borrow::Cow<'_, str> {
    if target.is_empty() {
        std::borrow::Cow::Borrowed(ROOT)
    } else if target.contains("::") {
        std::borrow::Cow::Owned(target.replace("::", "."))
    } else {
        std::borrow::Cow::Borrowed(target)
    }
}

/// The parent of a dotted logger name, by component (`a.b.c` → `a.b`; `a` → root), as Python
/// strips trailing `.component`s.
pub fn parent_name(name: &str) -> Option<&str> {
    if name == ROOT {
        return None;
    }
    match name.rfind('.') {
        Some(i) => Some(&name[..i]),
        None => Some(ROOT),
    }
}

/// Whether `name` is `ancestor` or below it, by component: `p.c.d` is under `p.c`, `p.cc` is
/// not. Every name is under the root (and under the empty name, as Python's `Filter("")`).
pub fn is_under(name: &str, ancestor: &str) -> bool {
    if ancestor.is_empty() || ancestor == ROOT {
        return true;
    }
    name == ancestor
        || (name.len() > ancestor.len()
            && name.starts_with(ancestor)
            && name.as_bytes()[ancestor.len()] == b'.')
}

/// One configured logger: Python's `Logger` attributes that dispatch uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggerConfig {
    /// The logger's own level; `NOTSET` inherits from the nearest ancestor that has one.
    pub level: Level,
    /// Whether records continue to the ancestors' handlers after this logger's.
    pub propagate: bool,
    /// Indexes of this logger's handlers in the handler set, in order.
    pub handlers: Vec<usize>,
    /// A disabled logger drops the records logged on it (Python's `disabled`, set by
    /// `disable_existing_loggers`); records from its children still pass through it.
    pub disabled: bool,
}

impl Default for LoggerConfig {
    fn default() -> Self {
        LoggerConfig {
            level: Level::NOTSET,
            propagate: true,
            handlers: Vec::new(),
            disabled: false,
        }
    }
}

/// The configured loggers, by dotted name; the root logger is always present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggerTree {
    loggers: HashMap<String, LoggerConfig>,
}

impl Default for LoggerTree {
    fn default() -> Self {
        let mut loggers = HashMap::new();
        loggers.insert(
            ROOT.to_owned(),
            LoggerConfig {
                level: Level::WARNING,
                ..LoggerConfig::default()
            },
        );
        LoggerTree { loggers }
    }
}

/// Where a record from one logger goes: the decision made once per logger name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The originating logger's effective level: records below it are dropped at once.
    pub effective_level: Level,
    /// The handlers on the way up, in Python's order (own first, then each ancestor's,
    /// stopping after the first logger with `propagate = false`). Empty means Python's last
    /// resort applies.
    pub handlers: Vec<usize>,
    /// Whether the originating logger is disabled.
    pub disabled: bool,
}

impl LoggerTree {
    /// A tree with only the root logger, at WARNING (Python's fresh process).
    pub fn new() -> Self {
        Self::default()
    }

    /// The logger called `name`, created (NOTSET, propagating, no handlers) if absent. The
    /// name is read as [`logger_name`] reads targets.
    pub fn logger_mut(&mut self, name: &str) -> &mut LoggerConfig {
        let name = logger_name(name).into_owned();
        self.loggers.entry(name).or_default()
    }

    /// The logger called `name`, if configured.
    pub fn logger(&self, name: &str) -> Option<&LoggerConfig> {
        self.loggers.get(logger_name(name).as_ref())
    }

    /// The root logger.
    pub fn root_mut(&mut self) -> &mut LoggerConfig {
        self.logger_mut(ROOT)
    }

    /// The configured logger names, sorted, root first.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.loggers.keys().map(String::as_str).collect();
        names.sort_by_key(|n| (*n != ROOT, *n));
        names
    }

    /// The effective level of `name`: its own level, or the first non-NOTSET level of its
    /// ancestors (Python's `getEffectiveLevel`).
    pub fn effective_level(&self, name: &str) -> Level {
        self.route(name).effective_level
    }

    /// Computes where records from logger `name` go (Python's `callHandlers`).
    pub fn route(&self, name: &str) -> Route {
        let name = logger_name(name);
        let mut effective = Level::NOTSET;
        let mut handlers = Vec::new();
        let mut collecting = true;
        let disabled = self.loggers.get(name.as_ref()).is_some_and(|l| l.disabled);
        let mut current = Some(name.as_ref());
        while let Some(n) = current {
            if let Some(cfg) = self.loggers.get(n) {
                if effective == Level::NOTSET && cfg.level != Level::NOTSET {
                    effective = cfg.level;
                }
                if collecting {
                    handlers.extend_from_slice(&cfg.handlers);
                    if !cfg.propagate {
                        collecting = false;
                    }
                }
            }
            current = parent_name(n);
        }
        Route {
            effective_level: effective,
            handlers,
            disabled,
        }
    }
}

/// Python's name filter (`logging.Filter(name)`): passes records from `name` and the loggers
/// below it, by component.
///
/// ```
/// use tracing_handlers_core::NameFilter;
/// let f = NameFilter::new("p.c");
/// assert!(f.passes("p.c") && f.passes("p.c.d"));
/// assert!(!f.passes("p.cc") && !f.passes("p") && !f.passes("x.p.c"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameFilter {
    name: String,
}

impl NameFilter {
    /// A filter for `name` (dotted or `::`); the empty name passes everything.
    pub fn new(name: &str) -> Self {
        let name = if name.is_empty() {
            String::new()
        } else {
            logger_name(name).into_owned()
        };
        NameFilter { name }
    }

    /// Whether a record from logger `name` passes.
    pub fn passes(&self, name: &str) -> bool {
        self.name.is_empty()
            || name == self.name
            || (name.len() > self.name.len()
                && name.starts_with(self.name.as_str())
                && name.as_bytes()[self.name.len()] == b'.')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_by_component() {
        assert_eq!(parent_name("a.b.c"), Some("a.b"));
        assert_eq!(parent_name("a"), Some(ROOT));
        assert_eq!(parent_name(ROOT), None);
        assert!(is_under("a.b.c", "a.b"));
        assert!(!is_under("a.bc", "a.b"));
    }

    #[test]
    fn propagate_stops_collection_but_not_level_inheritance() {
        let mut t = LoggerTree::new();
        t.root_mut().handlers = vec![0];
        t.root_mut().level = Level::INFO;
        let a = t.logger_mut("a");
        a.handlers = vec![1];
        a.propagate = false;
        let r = t.route("a::b");
        assert_eq!(r.handlers, vec![1]);
        assert_eq!(r.effective_level, Level::INFO);
    }
}
