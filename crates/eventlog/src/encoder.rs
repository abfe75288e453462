//! From a record to what `ReportEventW` takes: type, category, id and the text (portable).

use tracing_handlers_core::{Format, Record};
use tracing_handlers_eventlog_sys::{encode_message, EventType, LevelMap};

/// The mapping and the formatter of one handler.
#[derive(Debug)]
pub(crate) struct Encoder {
    pub(crate) formatter: Box<dyn Format>,
    pub(crate) types: LevelMap<EventType>,
    pub(crate) ids: LevelMap<u32>,
    pub(crate) categories: LevelMap<u16>,
    pub(crate) max_units: usize,
}

/// One event, its text in the caller's buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Encoded {
    pub(crate) event_type: EventType,
    pub(crate) category: u16,
    pub(crate) event_id: u32,
    /// The text's length in UTF-16 units when it was cut to the limit.
    pub(crate) truncated_from: Option<usize>,
}

impl Encoder {
    /// Python's `emit`: the type, id and category from the record's level number, the
    /// formatted record as the single insertion string (into `wide`, NUL-terminated).
    pub(crate) fn encode(
        &self,
        record: &Record<'_>,
        text: &mut Vec<u8>,
        wide: &mut Vec<u16>,
    ) -> Encoded {
        let levelno = record.level.number();
        text.clear();
        self.formatter.format(record, text);
        let truncated_from = encode_message(&String::from_utf8_lossy(text), self.max_units, wide);
        Encoded {
            event_type: self.types.get(levelno),
            category: self.categories.get(levelno),
            event_id: self.ids.get(levelno),
            truncated_from,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_handlers_core::{FieldSet, Formatter, Level};
    use tracing_handlers_eventlog_sys::{DEFAULT_CATEGORY, DEFAULT_EVENT_ID, MAX_STRING_UNITS};

    pub(crate) fn python_encoder(formatter: Formatter) -> Encoder {
        Encoder {
            formatter: Box::new(formatter),
            types: LevelMap::event_types(),
            ids: LevelMap::uniform(DEFAULT_EVENT_ID),
            categories: LevelMap::uniform(DEFAULT_CATEGORY),
            max_units: MAX_STRING_UNITS,
        }
    }

    fn text(wide: &[u16]) -> String {
        String::from_utf16(&wide[..wide.len() - 1]).unwrap()
    }

    #[test]
    fn formatted_record_is_the_text() {
        let enc = python_encoder(Formatter::percent("%(levelname)s:%(name)s:%(message)s").unwrap());
        let fields = FieldSet::new();
        let (mut t, mut w) = (Vec::new(), Vec::new());
        let e = enc.encode(
            &Record::new(Level::WARNING, "portal.db", "slow \u{e9}", &fields),
            &mut t,
            &mut w,
        );
        assert_eq!(
            e,
            Encoded {
                event_type: EventType::Warning,
                category: 0,
                event_id: 1,
                truncated_from: None
            }
        );
        assert_eq!(text(&w), "WARNING:portal.db:slow \u{e9}");
        let e = enc.encode(
            &Record::new(Level::from_number(25), "portal", "odd", &fields),
            &mut t,
            &mut w,
        );
        assert_eq!(e.event_type, EventType::Error);
        assert_eq!(text(&w), "Level 25:portal:odd");
    }

    #[test]
    fn per_level_ids_categories_and_limit() {
        let mut enc = python_encoder(Formatter::default());
        enc.ids.error = 1000;
        enc.categories.error = 3;
        enc.types.debug = EventType::Success;
        enc.max_units = 40;
        let fields = FieldSet::new();
        let (mut t, mut w) = (Vec::new(), Vec::new());
        let e = enc.encode(
            &Record::new(Level::ERROR, "a", &"x".repeat(100), &fields),
            &mut t,
            &mut w,
        );
        assert_eq!(
            (e.event_type, e.category, e.event_id),
            (EventType::Error, 3, 1000)
        );
        assert_eq!(e.truncated_from, Some(100));
        assert_eq!(text(&w), "xxxxxx...[truncated from 100 characters]");
        let e = enc.encode(
            &Record::new(Level::DEBUG, "a", "d", &fields),
            &mut t,
            &mut w,
        );
        assert_eq!(
            (e.event_type, e.category, e.event_id),
            (EventType::Success, 0, 1)
        );
    }
}
