//! The sender thread: core's
//! [`StreamSender`](tracing_handlers_core::stream_sender::StreamSender) over the connections
//! of [`conn`](crate::conn), a queue bounded in bytes, reconnect on Python's schedule, and the
//! accounting of what may have been lost.

use tracing_handlers_core::stream_sender::StreamSender;

use crate::conn::StreamTarget;

/// The name of the sender thread.
pub const SENDER_THREAD_NAME: &str = "tracing-handlers-socket";

/// The queued sender.
pub(crate) type Sender = StreamSender<StreamTarget>;
