//! Python's configparser INI dialect (being written).
