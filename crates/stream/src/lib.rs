//! Python's StreamHandler (being written).
