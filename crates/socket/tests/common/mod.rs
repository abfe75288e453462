//! Helpers shared by the socket handler's test files.

// Each test file compiles this module on its own and uses part of it.
#![allow(dead_code)]

use std::sync::Arc;

use tracing_handlers_core::dispatch::{Dispatch, HandlerEntry, HandlerSet};
use tracing_handlers_core::{FieldSet, FormatHandler, Handler, Level, MemorySink, Record};
use tracing_handlers_socket::SocketHandler;

/// A dispatcher whose root logger writes every record's message into the returned sink.
pub(crate) fn memory_dispatch() -> (Dispatch, Arc<MemorySink>) {
    let sink = Arc::new(MemorySink::new());
    let mut set = HandlerSet::new();
    let h = set.add_handler(HandlerEntry::new(
        "out",
        Arc::new(FormatHandler::new(sink.clone())),
    ));
    set.tree.root_mut().handlers.push(h);
    (Dispatch::new(set), sink)
}

/// Hands `handler` an INFO record from logger `portal`.
pub(crate) fn log(handler: &SocketHandler, msg: &str) {
    let fields = FieldSet::new();
    handler.handle(&Record::new(Level::INFO, "portal", msg, &fields));
}
