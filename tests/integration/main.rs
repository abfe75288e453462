//! Integration tests of the facade: one binary, one module per area.
//!
//! - `levels`: Python's level names and dispatch checks (reference §1, LVL-*), built in code.
//! - `dispatch`: the layer among other layers, `critical!`, the `log` bridge, re-entrancy.
//! - `system`: the system default (local syslog socket, stderr fallback).
//!
//! Tests that need global state (the global subscriber, the `log` facade, process exit)
//! re-run this binary as a child process (`tracing_handlers_test_support::rerun_as_child`).

mod config_handlers;
mod dispatch;
mod durability;
mod environment;
mod levels;
mod reload;
mod support;
mod system;
