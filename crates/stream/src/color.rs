//! ANSI colours by level: [`ColorMode`] and [`LevelColors`].

use tracing_handlers_core::Level;

/// The ANSI sequence that ends a coloured line.
pub const RESET: &str = "\x1b[0m";

/// Whether a [`StreamSink`](crate::StreamSink) colours its lines.
///
/// ```
/// use tracing_handlers_stream::{ColorMode, StreamSink};
///
/// let sink = StreamSink::from_writer(Vec::new()).with_colors(ColorMode::Always);
/// assert!(sink.colors_enabled());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ColorMode {
    /// Colours when the destination is a terminal (stdout or stderr for which
    /// [`IsTerminal`](std::io::IsTerminal) holds), unless `NO_COLOR` is set to a non-empty
    /// value or `TERM` is `dumb`; never for other writers. Decided when the sink is made.
    /// The default.
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// The ANSI sequence that starts a line at each level; an empty string means no colour.
///
/// A level between two named levels takes the colour of the named level below it (level 25
/// is coloured as INFO).
///
/// ```
/// use tracing_handlers_core::Level;
/// use tracing_handlers_stream::LevelColors;
///
/// let colors = LevelColors::default();
/// assert_eq!(colors.for_level(Level::ERROR), "\x1b[31m");
/// assert_eq!(colors.for_level(Level::INFO), "");
/// let custom = LevelColors { info: "\x1b[32m", ..LevelColors::default() };
/// assert_eq!(custom.for_level(Level::from_number(25)), "\x1b[32m");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LevelColors {
    /// CRITICAL (50) and above; bold red by default.
    pub critical: &'static str,
    /// ERROR (40); red.
    pub error: &'static str,
    /// WARNING (30); yellow.
    pub warning: &'static str,
    /// INFO (20); none.
    pub info: &'static str,
    /// DEBUG (10); dim.
    pub debug: &'static str,
    /// TRACE (5) and below; dim.
    pub trace: &'static str,
}

impl Default for LevelColors {
    fn default() -> Self {
        LevelColors {
            critical: "\x1b[1;31m",
            error: "\x1b[31m",
            warning: "\x1b[33m",
            info: "",
            debug: "\x1b[2m",
            trace: "\x1b[2m",
        }
    }
}

impl LevelColors {
    /// The start sequence for `level`.
    pub fn for_level(&self, level: Level) -> &'static str {
        if level >= Level::CRITICAL {
            self.critical
        } else if level >= Level::ERROR {
            self.error
        } else if level >= Level::WARNING {
            self.warning
        } else if level >= Level::INFO {
            self.info
        } else if level >= Level::DEBUG {
            self.debug
        } else {
            self.trace
        }
    }
}
