//! The sender thread of stream transports (TCP, TLS): core's
//! [`StreamSender`](tracing_handlers_core::stream_sender::StreamSender) over the connections
//! of [`conn`](crate::conn), a queue bounded in bytes, reconnect with backoff, and the
//! accounting of what may have been lost.

use tracing_handlers_core::stream_sender::StreamSender;

use crate::conn::StreamTarget;

/// The name of the sender thread.
pub const SENDER_THREAD_NAME: &str = "tracing-handlers-syslog";

/// The queued sender of TCP and TLS.
pub(crate) type Sender = StreamSender<StreamTarget>;
