//! Python's FileHandler (being written).
