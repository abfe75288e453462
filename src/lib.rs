//! tracing-handlers facade (being written).
