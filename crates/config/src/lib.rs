//! Configuration files for `tracing-handlers`: Python's `logging.conf` (fileConfig) and the
//! dictConfig schema in TOML or JSON, read into one model, validated, and built into the
//! dispatch layer's handler set; plus reloading when the file changes.
//!
//! The pipeline is raw → validated → built: a loader ([`load`]) reads the file into a
//! [`Config`], reporting every problem at once with the file, line (or section) and offending
//! token; [`build`](build::build) opens the handlers. A config file is never code: `args` and
//! `kwargs` go through a restricted literal parser that accepts Python literals and the
//! handful of names real configurations use, and nothing else.
//!
//! ```
//! use std::path::Path;
//!
//! let good = b"[loggers]\nkeys=root\n\n[handlers]\nkeys=console\n\n[formatters]\nkeys=\n\n\
//! [logger_root]\nlevel=INFO\nhandlers=console\n\n\
//! [handler_console]\nclass=StreamHandler\nargs=(sys.stderr,)\n";
//! let config = tracing_handlers_config::parse(Path::new("logging.conf"), good)?;
//! assert_eq!(config.handlers.len(), 1);
//!
//! // Every problem at once, each with the file, line, section and token.
//! let bad = String::from_utf8_lossy(good)
//!     .replace("level=INFO", "level=LOUD")
//!     .replace("(sys.stderr,)", "(sys.stderr,");
//! let errors = tracing_handlers_config::parse(Path::new("logging.conf"), bad.as_bytes())
//!     .unwrap_err();
//! assert_eq!(
//!     errors.to_string(),
//!     "logging.conf:11: [logger_root] Unknown level: 'LOUD'\n\
//!      logging.conf:16: [handler_console] args: unexpected end of expression (column 18): ''"
//! );
//! # Ok::<(), tracing_handlers_config::ConfigErrors>(())
//! ```
//!
//! # Supported Rust versions
//!
//! This crate declares Rust 1.88: it depends on the syslog handler, whose `syslog` crate
//! brings `time` 0.3.55, which needs 1.88.

mod args;
pub mod build;
mod dict;
mod error;
mod fileconfig;
mod ini;
mod model;
mod pyexpr;
pub mod reload;

pub use error::{ConfigError, ConfigErrors, Location};
pub use model::{Config, FormatterDef, HandlerDef, Located, LoggerDef, PyValue};

use std::path::Path;

/// The configuration formats, chosen by file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigFormat {
    /// `.conf`, `.ini` (and anything else): Python's fileConfig INI.
    Ini,
    /// `.toml`: the dictConfig schema.
    Toml,
    /// `.json`: the dictConfig schema.
    Json,
}

impl ConfigFormat {
    /// The format a path's extension names; INI for anything but `.toml` and `.json`.
    pub fn of(path: &Path) -> ConfigFormat {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("toml") => ConfigFormat::Toml,
            Some("json") => ConfigFormat::Json,
            _ => ConfigFormat::Ini,
        }
    }
}

/// Reads and validates the configuration file at `path` (format by extension).
///
/// # Errors
///
/// Every problem found, each naming the file, the line or section, and the token.
pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
    parse_read(path, std::fs::read(path))
}

/// As [`load`], and which version of the file was read: a
/// [`ConfigWatcher`](reload::ConfigWatcher) started from it later reloads when the file is no
/// longer that version, so a save between loading and watching is not missed.
///
/// # Errors
///
/// As [`load`].
pub fn load_version(path: &Path) -> Result<(Config, reload::FileVersion), ConfigErrors> {
    let (version, bytes) = reload::FileVersion::read(path);
    Ok((parse_read(path, bytes)?, version))
}

/// Validates what reading `path` gave: its bytes, or why it could not be read.
pub(crate) fn parse_read(
    path: &Path,
    read: std::io::Result<Vec<u8>>,
) -> Result<Config, ConfigErrors> {
    let bytes =
        read.map_err(|e| ConfigError::new(path, Location::File, format!("cannot read: {e}")))?;
    parse(path, &bytes)
}

/// Validates configuration text as if read from `path` (which picks the format and names the
/// file in errors).
///
/// # Errors
///
/// Every problem found.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Config, ConfigErrors> {
    match parse_lossy(path, bytes) {
        (Some(config), errors) if errors.is_empty() => Ok(config),
        (_, errors) => Err(errors),
    }
}

/// Reads, validates and plans the file at `path` (everything `check` does: no handler is
/// opened), collecting the problems of every stage at once.
///
/// # Errors
///
/// Every problem found, in file order where lines are known.
pub fn check(path: &Path) -> Result<build::Plan, ConfigErrors> {
    let bytes = std::fs::read(path)
        .map_err(|e| ConfigError::new(path, Location::File, format!("cannot read: {e}")))?;
    let (config, mut errors) = parse_lossy(path, &bytes);
    let Some(config) = config else {
        return Err(errors);
    };
    match build::plan(&config, path) {
        Ok(plan) if errors.is_empty() => Ok(plan),
        Ok(_) => Err(errors),
        Err(more) => {
            // A section that already failed to read gives no second, derived complaint.
            let failed: Vec<String> = errors.iter().filter_map(section_of).collect();
            errors.0.extend(
                more.0
                    .into_iter()
                    .filter(|e| section_of(e).is_none_or(|s| !failed.contains(&s))),
            );
            errors.sort();
            Err(errors)
        }
    }
}

/// The handler or formatter a problem belongs to (`handler_file`, or `handler_file` for the
/// key path `handlers.file.mode`).
fn section_of(e: &ConfigError) -> Option<String> {
    if let Some(s) = &e.section {
        return Some(s.clone());
    }
    match &e.location {
        Location::Section(path) => {
            let mut parts = path.split('.');
            match (parts.next(), parts.next()) {
                (Some("handlers"), Some(name)) => Some(format!("handler_{name}")),
                (Some("formatters"), Some(name)) => Some(format!("formatter_{name}")),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The configuration with its invalid parts left out (when anything is left), and every
/// problem found.
pub fn parse_lossy(path: &Path, bytes: &[u8]) -> (Option<Config>, ConfigErrors) {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return (
            None,
            ConfigError::new(path, Location::File, "is an empty file").into(),
        );
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count()
                + 1;
            let e = ConfigError::new(path, Location::Line(line as u32), "is not valid UTF-8");
            return (None, e.into());
        }
    };
    match ConfigFormat::of(path) {
        ConfigFormat::Ini => {
            let (config, errors) = fileconfig::parse_lossy(path, text);
            (Some(config), errors)
        }
        ConfigFormat::Toml => dict::parse_toml_lossy(path, text),
        ConfigFormat::Json => dict::parse_json_lossy(path, text),
    }
}
