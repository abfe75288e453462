//! The seed's promise: the application logs to the system log at the level its settings say,
//! and an operator's configuration file replaces that without a rebuild.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tracing_handlers_config::{ConfigError, ConfigErrors, Location};

use crate::{system_default, BuildError, Builder, Level, LoggingGuard};

/// The environment variable naming a configuration file that wins over the application's.
pub const CONFIG_ENV: &str = "TRACING_HANDLERS_CONFIG";

/// Where the logging configuration comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    /// The file named by [`CONFIG_ENV`].
    Environment(PathBuf),
    /// The application's configuration file, which exists.
    File(PathBuf),
    /// No file: the system default at the settings level.
    SystemDefault(Level),
}

/// Why logging could not be configured.
#[derive(Debug)]
#[non_exhaustive]
pub enum InitError {
    /// The configuration file has problems (all of them, each naming file, line and token).
    Config(ConfigErrors),
    /// Installing failed.
    Build(BuildError),
}

impl fmt::Display for InitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InitError::Config(e) => write!(f, "{e}"),
            InitError::Build(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for InitError {}

impl From<BuildError> for InitError {
    fn from(e: BuildError) -> Self {
        InitError::Build(e)
    }
}

impl From<ConfigErrors> for InitError {
    fn from(e: ConfigErrors) -> Self {
        InitError::Config(e)
    }
}

/// Logging as the application's settings and the operator's files say; made by [`configure`].
#[derive(Debug)]
#[must_use]
pub struct Configure {
    settings_level: Level,
    path: Option<PathBuf>,
    watch: Option<Duration>,
    panic_hook: bool,
}

/// Decides the logging configuration of an application:
///
/// 1. the file named by `TRACING_HANDLERS_CONFIG`, when set (it must exist);
/// 2. otherwise `config_path`, when given and the file exists (`logging.conf`, `.toml` or
///    `.json`);
/// 3. otherwise the system default ([`system_default`]) at `settings_level`.
///
/// ```no_run
/// use tracing_handlers::{configure, Level};
///
/// let _guard = configure(Level::INFO, Some("/etc/cantemo/portal/logging.conf"))
///     .watch(true) // reload when the operator edits the file
///     .try_init()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn configure(settings_level: Level, config_path: Option<impl AsRef<Path>>) -> Configure {
    Configure {
        settings_level,
        path: config_path.map(|p| p.as_ref().to_path_buf()),
        watch: None,
        panic_hook: false,
    }
}

impl Configure {
    /// Reloads the configuration file when it changes (checked every 250 ms; no effect on the
    /// system default).
    pub fn watch(mut self, watch: bool) -> Self {
        self.watch = watch.then_some(tracing_handlers_config::reload::DEFAULT_POLL_INTERVAL);
        self
    }

    /// Installs the panic hook (see [`Builder::with_panic_hook`]).
    pub fn with_panic_hook(mut self) -> Self {
        self.panic_hook = true;
        self
    }

    /// Which configuration applies, by the rules of [`configure`].
    pub fn source(&self) -> ConfigSource {
        #[allow(clippy::disallowed_methods)] // the one place the environment is read
        if let Some(p) = std::env::var_os(CONFIG_ENV).filter(|p| !p.is_empty()) {
            return ConfigSource::Environment(PathBuf::from(p));
        }
        match &self.path {
            Some(p) if p.exists() => ConfigSource::File(p.clone()),
            _ => ConfigSource::SystemDefault(self.settings_level),
        }
    }

    /// The builder for the chosen configuration (files are read and opened here).
    ///
    /// # Errors
    ///
    /// Every problem in the configuration file.
    pub fn builder(&self) -> Result<Builder, InitError> {
        let mut builder = match self.source() {
            ConfigSource::Environment(path) | ConfigSource::File(path) => {
                let builder = Builder::from_config_file(&path)?;
                match self.watch {
                    Some(interval) => builder.watch_config(path, interval),
                    None => builder,
                }
            }
            ConfigSource::SystemDefault(level) => system_default(level),
        };
        if self.panic_hook {
            builder = builder.with_panic_hook();
        }
        Ok(builder)
    }

    /// Installs the chosen configuration globally.
    ///
    /// # Errors
    ///
    /// Configuration problems, or a global subscriber already installed.
    pub fn try_init(self) -> Result<LoggingGuard, InitError> {
        Ok(self.builder()?.try_init()?)
    }
}

impl Builder {
    /// A builder holding the handlers and loggers of a configuration file (`logging.conf`,
    /// `.ini`, `.toml` or `.json`), opened and ready to install.
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("logging.toml");
    /// std::fs::write(&path, r#"
    /// version = 1
    /// [handlers.null]
    /// class = "logging.NullHandler"
    /// [root]
    /// level = "INFO"
    /// handlers = ["null"]
    /// "#)?;
    /// let guard = tracing_handlers::Builder::from_config_file(&path)?.set_default()?;
    /// assert_eq!(guard.handle().effective_level("anything"), tracing_handlers::Level::INFO);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// Every problem in the file, each naming the file, line (or section) and token.
    pub fn from_config_file(path: impl AsRef<Path>) -> Result<Builder, ConfigErrors> {
        let path = path.as_ref();
        if !path.exists() {
            return Err(ConfigError::new(path, Location::File, "doesn't exist").into());
        }
        let (config, version) = tracing_handlers_config::load_version(path)?;
        let set = tracing_handlers_config::build::build(&config, path)?;
        let mut builder = Builder::new().handler_set(set);
        builder.loaded_config = Some((path.to_owned(), version));
        Ok(builder)
    }
}
