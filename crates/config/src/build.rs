//! Building a validated [`Config`](crate::Config) into a handler set (being written).
