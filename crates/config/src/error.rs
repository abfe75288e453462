//! Configuration errors: every problem names the file, where in it, and the offending token.

use std::fmt;
use std::path::{Path, PathBuf};

/// Where in a configuration file a problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Location {
    /// The whole file (it is missing, empty, unreadable).
    File,
    /// A 1-based line (INI files).
    Line(u32),
    /// A section or key path when no line is known (`[handler_console]`, `handlers.console.level`).
    Section(String),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File => Ok(()),
            Location::Line(n) => write!(f, "line {n}"),
            Location::Section(s) => f.write_str(s),
        }
    }
}

/// One problem in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file.
    pub file: PathBuf,
    /// Where in the file.
    pub location: Location,
    /// The section the problem is in, when known (`handler_console`).
    pub section: Option<String>,
    /// The offending text, quoted in the message.
    pub token: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl ConfigError {
    /// A problem at `location` in `file`.
    pub fn new(file: &Path, location: Location, message: impl Into<String>) -> Self {
        ConfigError {
            file: file.to_path_buf(),
            location,
            section: None,
            token: None,
            message: message.into(),
        }
    }

    /// Names the section the problem is in.
    #[must_use]
    pub fn in_section(mut self, section: impl Into<String>) -> Self {
        self.section = Some(section.into());
        self
    }

    /// Names the offending token.
    #[must_use]
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }
}

impl fmt::Display for ConfigError {
    /// `logging.conf:12: [handler_console] unknown level: 'info'`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        match &self.location {
            Location::File => {}
            Location::Line(n) => write!(f, ":{n}")?,
            Location::Section(s) => write!(f, ": {s}")?,
        }
        f.write_str(": ")?;
        if let Some(section) = &self.section {
            write!(f, "[{section}] ")?;
        }
        f.write_str(&self.message)?;
        if let Some(token) = &self.token {
            write!(f, ": '{token}'")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// Every problem found in one configuration file, in file order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl ConfigErrors {
    /// Whether there are no problems.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The problems.
    pub fn iter(&self) -> impl Iterator<Item = &ConfigError> {
        self.0.iter()
    }

    /// Adds a problem.
    pub fn push(&mut self, error: ConfigError) {
        self.0.push(error);
    }

    /// Puts the problems in file order: whole-file problems first, then by line, then those
    /// located by key path (in the order found).
    pub fn sort(&mut self) {
        self.0.sort_by_key(|e| match e.location {
            Location::File => 0,
            Location::Line(n) => u64::from(n) + 1,
            Location::Section(_) => u64::MAX,
        });
    }
}

impl fmt::Display for ConfigErrors {
    /// One problem per line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

impl From<ConfigError> for ConfigErrors {
    fn from(e: ConfigError) -> Self {
        ConfigErrors(vec![e])
    }
}
