//! Python's `TimedRotatingFileHandler` for `tracing-handlers`: a log file rotated on a
//! schedule (`S`, `M`, `H`, `D`, `midnight`, `W0`…`W6`, × `interval`, at `atTime`, local
//! time or UTC), optionally by size too, safe when several processes write it, with gzip
//! compression and retention off the write path.
//!
//! [`TimedRotatingFileSink`] is the byte destination: under a
//! [`FormatHandler`](tracing_handlers_core::FormatHandler), in
//! [`NonBlocking`](tracing_handlers_core::NonBlocking) mode, or as a
//! [`MakeWriter`](tracing_subscriber::fmt::MakeWriter) for tracing-subscriber's `fmt` layer.
//!
//! ```
//! use tracing_handlers_core::{FieldSet, Handler, Level, Record};
//! use tracing_handlers_timed_rotating_file::TimedRotatingFileSink;
//!
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("portal.log");
//! let handler = TimedRotatingFileSink::builder(&path)
//!     .with_when("midnight")
//!     .with_backup_count(14)
//!     .build_handler()?;
//! let fields = FieldSet::new();
//! handler.handle(&Record::new(Level::INFO, "portal", "started", &fields));
//! assert_eq!(std::fs::read_to_string(&path)?, "started\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Behaviour
//!
//! | | Python's `TimedRotatingFileHandler` (3.11) | [`TimedRotatingFileSink`] |
//! |---|---|---|
//! | first boundary | from the existing file's mtime, else now | the same; then shared by all processes through the lock file |
//! | `S`/`M`/`H`/`D` | every `interval` units from then, not aligned | the same |
//! | `midnight`, `W0`…`W6`, `atTime` | next local midnight / `atTime` / end of weekday | the same, computed in the time zone with `jiff`, so the wall-clock time holds across DST changes (Python's first boundary can be an hour off when a DST change comes before it) |
//! | `midnight` × N | rolls every midnight, misnames files (TRFH-09) | rolls every N days |
//! | name | `base.` + strftime(suffix, `rolloverAt − interval`) | the same suffixes (local time without Python's ±1 h adjustment for `S`/`M`/`H`/`D`) |
//! | name taken | the old file is deleted (TRFH-05) | a counter: `base.SUFFIX.1`, `.2`, … (nothing is lost) |
//! | retention | files starting with the base name whose dot-parts match the suffix pattern (also `app.logx.…`, TRFH-10) | exactly `base.SUFFIX[.N][.gz]` |
//! | empty file | rolled over (3.11) | never rolled over; the schedule moves on |
//! | several processes | each rotates on its own, lines lost (reference §14) | safe: one rotation per boundary, the schedule shared in the lock file |
//! | size limit, compression, age and total-size retention, file mode | no | [`with_max_bytes`](TimedRotatingFileSinkBuilder::with_max_bytes), [`Compression::Gzip`], [`with_max_age`](TimedRotatingFileSinkBuilder::with_max_age), [`with_max_total_bytes`](TimedRotatingFileSinkBuilder::with_max_total_bytes), [`with_file_mode`](TimedRotatingFileSinkBuilder::with_file_mode) |
//!
//! The multi-process design (lock file, shared header, reservation protocol) is described in
//! [`tracing_handlers_rotating_file`'s docs](tracing_handlers_rotating_file#many-processes-one-file).
//! The decision is taken when a record is written, with the sink's clock (Python's
//! `int(time.time())`): a record is written to the file of the interval in which it is
//! written.
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
mod policy;
mod schedule;
mod sink;

pub use builder::TimedRotatingFileSinkBuilder;
pub use schedule::{Schedule, When};
pub use sink::TimedRotatingFileSink;
pub use tracing_handlers_rotating_file::{
    Clock, Compression, ManualClock, RotatingFileError, SystemClock,
};

/// The construction error (shared with the size handler).
pub type TimedRotatingFileError = RotatingFileError;
