//! The restricted Python literal parser for `args`/`kwargs` (being written).
