//! Level → value mappings as data: event types, event ids and categories per level.

use crate::EventType;

/// Python's `NTEventLogHandler.getMessageID`: event id 1 for every record.
pub const DEFAULT_EVENT_ID: u32 = 1;

/// Python's `NTEventLogHandler.getEventCategory`: category 0 for every record.
pub const DEFAULT_CATEGORY: u16 = 0;

/// One value per named level, and one for every other level number.
///
/// Levels are Python's numbers: CRITICAL 50, ERROR 40, WARNING 30, INFO 20, DEBUG 10 and
/// tracing's TRACE 5. As Python's `typemap`, a record's level number must be exactly one of
/// these to get its slot; any other number (25, 60, NOTSET) gets [`other`](Self::other).
///
/// [`LevelMap::event_types`] is Python's type mapping; [`LevelMap::uniform`] gives every
/// level one value (Python's event id 1 and category 0 are
/// `LevelMap::uniform(DEFAULT_EVENT_ID)` and `LevelMap::uniform(DEFAULT_CATEGORY)`).
///
/// ```
/// use tracing_handlers_eventlog_sys::{EventType, LevelMap, DEFAULT_EVENT_ID};
///
/// let types = LevelMap::event_types();
/// assert_eq!(types.get(30), EventType::Warning);
/// assert_eq!(types.get(25), EventType::Error); // Python: any other level is an error
///
/// let mut ids = LevelMap::uniform(DEFAULT_EVENT_ID);
/// ids.error = 1000;
/// *ids.slot_mut(50) = 1001;
/// assert_eq!((ids.get(40), ids.get(50), ids.get(20)), (1000, 1001, 1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LevelMap<T> {
    /// CRITICAL (50; `critical!` events).
    pub critical: T,
    /// ERROR (40).
    pub error: T,
    /// WARNING (30).
    pub warning: T,
    /// INFO (20).
    pub info: T,
    /// DEBUG (10).
    pub debug: T,
    /// TRACE (5), tracing's most verbose level.
    pub trace: T,
    /// Every other level number (Python's default type, `deftype`).
    pub other: T,
}

impl<T: Copy> LevelMap<T> {
    /// The same value for every level.
    pub const fn uniform(value: T) -> Self {
        LevelMap {
            critical: value,
            error: value,
            warning: value,
            info: value,
            debug: value,
            trace: value,
            other: value,
        }
    }

    /// The value for the level number `levelno` (exact match, as Python's dictionary
    /// lookup; other numbers get [`other`](Self::other)).
    pub fn get(&self, levelno: i32) -> T {
        match levelno {
            50 => self.critical,
            40 => self.error,
            30 => self.warning,
            20 => self.info,
            10 => self.debug,
            5 => self.trace,
            _ => self.other,
        }
    }

    /// The slot [`get`](Self::get) reads for `levelno` (so an unnamed number gives
    /// [`other`](Self::other)).
    pub fn slot_mut(&mut self, levelno: i32) -> &mut T {
        match levelno {
            50 => &mut self.critical,
            40 => &mut self.error,
            30 => &mut self.warning,
            20 => &mut self.info,
            10 => &mut self.debug,
            5 => &mut self.trace,
            _ => &mut self.other,
        }
    }
}

impl LevelMap<EventType> {
    /// Python's type mapping (`NTEventLogHandler.typemap` and `deftype`): DEBUG and INFO
    /// Information, WARNING Warning, ERROR and CRITICAL Error, any other level number Error.
    ///
    /// TRACE (5) is Information, as the workspace sends TRACE everywhere as the most verbose
    /// level Python has; CPython would treat the unknown level 5 as Error.
    pub const fn event_types() -> Self {
        LevelMap {
            critical: EventType::Error,
            error: EventType::Error,
            warning: EventType::Warning,
            info: EventType::Information,
            debug: EventType::Information,
            trace: EventType::Information,
            other: EventType::Error,
        }
    }
}

impl Default for LevelMap<EventType> {
    /// [`LevelMap::event_types`].
    fn default() -> Self {
        LevelMap::event_types()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// NT-02: Python's type for each level number.
    #[test]
    fn python_type_mapping() {
        let types = LevelMap::event_types();
        let expected = [
            (10, EventType::Information),
            (20, EventType::Information),
            (30, EventType::Warning),
            (40, EventType::Error),
            (50, EventType::Error),
            (25, EventType::Error),
            (0, EventType::Error),
            (60, EventType::Error),
            (-1, EventType::Error),
            (5, EventType::Information),
        ];
        for (level, ty) in expected.iter() {
            assert_eq!(types.get(*level), *ty, "level {}", level);
        }
        assert_eq!(LevelMap::default(), types);
    }

    #[test]
    fn python_ids_and_categories() {
        let ids = LevelMap::uniform(DEFAULT_EVENT_ID);
        let cats = LevelMap::uniform(DEFAULT_CATEGORY);
        for level in [0, 5, 10, 20, 25, 30, 40, 50, 99].iter() {
            assert_eq!(ids.get(*level), 1);
            assert_eq!(cats.get(*level), 0);
        }
    }

    #[test]
    fn slots_per_level() {
        let mut ids = LevelMap::uniform(1u32);
        *ids.slot_mut(40) = 100;
        *ids.slot_mut(25) = 7;
        assert_eq!(ids.error, 100);
        assert_eq!(ids.other, 7);
        assert_eq!(ids.get(60), 7);
        assert_eq!(ids.get(30), 1);
    }
}
