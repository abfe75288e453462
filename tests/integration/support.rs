//! Shared pieces of the integration tests.

use std::sync::Arc;

use parking_lot::Mutex;
use tracing_handlers::{Handler, Level, Record};

/// A handler that records `(handler name, level, logger, message)` into a shared list, so
/// tests can check which handlers saw what, in which order.
#[derive(Debug, Clone)]
pub(crate) struct Recorder {
    name: &'static str,
    seen: Seen,
}

impl Recorder {
    pub(crate) fn new(name: &'static str, seen: &Seen) -> Self {
        Recorder {
            name,
            seen: seen.clone(),
        }
    }
}

impl Handler for Recorder {
    fn handle(&self, record: &Record<'_>) {
        self.seen.lock().push((
            self.name.to_owned(),
            record.level,
            record.name.to_owned(),
            record.message.to_owned(),
        ));
    }
}

pub(crate) type Seen = Arc<Mutex<Vec<(String, Level, String, String)>>>;

pub(crate) fn seen() -> Seen {
    Arc::new(Mutex::new(Vec::new()))
}

/// `(handler, message)` pairs, in order.
pub(crate) fn pairs(seen: &Seen) -> Vec<(String, String)> {
    seen.lock()
        .iter()
        .map(|(h, _, _, m)| (h.clone(), m.clone()))
        .collect()
}
