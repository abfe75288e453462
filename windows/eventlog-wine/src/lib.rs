//! Anchor of the Windows test workspace. The tests that run under Wine are those of
//! `tracing-handlers-eventlog-sys` (`crates/eventlog-sys/tests/wine.rs` and its unit tests):
//!
//! ```text
//! cd windows && /usr/bin/cargo test --locked --target x86_64-pc-windows-gnu \
//!     -p tracing-handlers-eventlog-sys
//! ```

pub use tracing_handlers_eventlog_sys as sys;
