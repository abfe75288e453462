//! Python's `RotatingFileHandler` for `tracing-handlers`: a log file rotated by size to
//! `app.log.1` … `app.log.N`, safe when several processes write it, with optional gzip
//! compression and retention by age and total size off the write path.
//!
//! [`RotatingFileSink`] is the byte destination. Put it under a
//! [`FormatHandler`](tracing_handlers_core::FormatHandler) (what the `tracing-handlers`
//! dispatch layer drives), wrap it in [`NonBlocking`](tracing_handlers_core::NonBlocking)
//! for a queued writer thread, or hand it to tracing-subscriber's `fmt` layer as a
//! [`MakeWriter`](tracing_subscriber::fmt::MakeWriter).
//!
//! ```
//! use tracing_handlers_core::{FieldSet, Formatter, Handler, Level, Record};
//! use tracing_handlers_rotating_file::RotatingFileSink;
//!
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("logs/portal.log"); // `logs/` is created
//! let handler = RotatingFileSink::builder(&path)
//!     .with_max_bytes(1024 * 1024)
//!     .with_backup_count(3)
//!     .build_handler()?
//!     .with_formatter(Formatter::percent("%(levelname)s %(message)s")?);
//!
//! let fields = FieldSet::new();
//! handler.handle(&Record::new(Level::WARNING, "portal", "disk low", &fields));
//! assert_eq!(std::fs::read_to_string(&path)?, "WARNING disk low\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Under tracing-subscriber's `fmt` layer:
//!
//! ```
//! use std::sync::Arc;
//! use tracing_handlers_rotating_file::RotatingFileSink;
//! use tracing_subscriber::layer::SubscriberExt;
//!
//! let dir = tempfile::tempdir()?;
//! let sink = Arc::new(RotatingFileSink::new(dir.path().join("app.log"), 10 << 20, 5)?);
//! let subscriber = tracing_subscriber::registry().with(
//!     tracing_subscriber::fmt::layer().with_ansi(false).with_writer(sink.clone()),
//! );
//! tracing::subscriber::with_default(subscriber, || tracing::info!("hello"));
//! assert!(std::fs::read_to_string(sink.path())?.contains("hello"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Behaviour
//!
//! | | Python's `RotatingFileHandler` | [`RotatingFileSink`] |
//! |---|---|---|
//! | decision | before each record: roll iff `size + len(record) >= maxBytes` | the same, in **bytes** (Python counts characters, RFH-05) |
//! | empty file | 3.11 rolls it over anyway (RFH-07, empty `.1`) | never rolled over (as current CPython) |
//! | `maxBytes == 0` or `backupCount == 0` | never rolls over | the same |
//! | names | `app.log.1` … `app.log.N`, above `N` untouched, gaps kept | the same; `app.log.i.gz` when compressed |
//! | not a regular file (`/dev/null`) | never rolls over | the same |
//! | `mode='w'` | honoured only with `maxBytes == 0` | the same ([`RotatingFileSinkBuilder::with_open_mode`]) |
//! | several processes | lines lost (reference §14) | safe (below) |
//! | missing folder | error | created |
//! | new file permissions | `0o666` minus umask | `0o640` minus umask |
//! | compression, retention by age or total size | no | [`Compression::Gzip`], [`RotatingFileSinkBuilder::with_max_age`], [`RotatingFileSinkBuilder::with_max_total_bytes`] |
//!
//! # Many processes, one file
//!
//! Python's handler loses lines when several processes (Gunicorn workers) rotate the same
//! file: each renames on its own and keeps writing to renamed files. Here, by default, a
//! lock file `.NAME.lock` beside the log holds a small shared header, mapped into every
//! writing process:
//!
//! - the **generation** of the active file and the **bytes** written to it, packed in one
//!   64-bit word. A writer reserves room for its record with one compare-and-swap that also
//!   checks that its open file is still the active one, then writes with one `write(2)`.
//!   The common path takes no lock and makes no extra system call;
//! - near a boundary (the reservation would reach `maxBytes`, or the time schedule is due)
//!   the writer takes an exclusive `flock` on the lock file, checks again, renames, opens the
//!   new file and publishes the next generation. Exactly one process rotates per boundary;
//!   the others see the new generation and reopen the path (the inode changed);
//! - a record reserved before a rotation is written to the file it was counted in (now
//!   renamed): nothing is lost or written twice, and since every byte is reserved before it
//!   is written, a file never exceeds `maxBytes`, whatever the number of writers, unless a
//!   single record is larger;
//! - the **time schedule** (`rollover_at`) of the timed handler lives in the same header,
//!   so processes agree on when to rotate;
//! - the bytes reserved in a file when it is rotated are known, so compression reads a
//!   rotated file once it holds them all (a writer killed between its reservation and its
//!   `write` delays only that file's compression, by at most two seconds).
//!
//! All writers must use the same path and parameters, and the file must not be rotated by
//! another tool (use the watched-file handler with `logrotate`). A process that dies while
//! holding the lock releases it (`flock`), and what a process killed inside a rollover or a
//! compression leaves behind is put right by the next one. As Python does at each rollover,
//! a file (or folder) removed from outside is created anew at the next boundary. A lock file
//! deleted or replaced is left for the one at its path at the next boundary; the lock file
//! must never be truncated: processes that map it would die of `SIGBUS`. Off unix, and with
//! [`with_multiprocess(false)`](RotatingFileSinkBuilder::with_multiprocess), the header lives
//! in memory and only one process may write the file.
//!
//! # Compression and retention
//!
//! With [`Compression::Gzip`] a background thread (`tracing-handlers-rotate`) compresses each
//! rotated file to a hidden temporary file, then, under the lock, renames it to
//! `NAME.gz` (wherever the rotated file has moved meanwhile) and deletes the original. The
//! logging call never waits for it. Retention by age and by total size runs on the same
//! thread after each rollover and only ever deletes our own rotated names.
//!
//! # Feature flags
//!
//! | feature | default | what |
//! |---|---|---|
//! | `gzip` | yes | [`Compression::Gzip`] (with `flate2`) |
//!
//! # Supported Rust versions
//!
//! The minimum supported Rust version is 1.85.

mod builder;
#[doc(hidden)]
pub mod engine;
mod error;
mod policy;
mod shared;
mod sink;

pub use builder::RotatingFileSinkBuilder;
pub use engine::{Clock, Compression, ManualClock, SystemClock};
pub use error::RotatingFileError;
pub use sink::RotatingFileSink;
pub use tracing_handlers_file::{OpenMode, DEFAULT_FILE_MODE};
