//! The builder: handlers and loggers composed in code, installed as the global subscriber.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tracing_handlers_core::dispatch::{Dispatch, DispatchLayer, HandlerEntry, HandlerSet};
use tracing_handlers_core::{Handler, Level, NameFilter};
use tracing_subscriber::layer::SubscriberExt;

/// One logger's settings for [`Builder::logger`] and [`Builder::root`].
///
/// ```
/// use tracing_handlers::{Level, Logger};
/// let api = Logger::new().level(Level::DEBUG).handler("file").propagate(false);
/// # let _ = api;
/// ```
#[derive(Debug, Clone)]
pub struct Logger {
    level: Level,
    handlers: Vec<String>,
    propagate: bool,
}

impl Default for Logger {
    fn default() -> Self {
        Logger {
            level: Level::NOTSET,
            handlers: Vec::new(),
            propagate: true,
        }
    }
}

impl Logger {
    /// A logger at NOTSET (inheriting its level), propagating, with no handlers of its own.
    pub fn new() -> Self {
        Self::default()
    }

    /// The logger's own level.
    #[must_use]
    pub fn level(mut self, level: Level) -> Self {
        self.level = level;
        self
    }

    /// Adds the handler called `name` to this logger.
    #[must_use]
    pub fn handler(mut self, name: impl Into<String>) -> Self {
        self.handlers.push(name.into());
        self
    }

    /// Whether records go on to the ancestors' handlers (default true).
    #[must_use]
    pub fn propagate(mut self, propagate: bool) -> Self {
        self.propagate = propagate;
        self
    }
}

/// A handler as added: name, level, filters, handler.
type HandlerSpec = (String, Level, Vec<NameFilter>, Arc<dyn Handler>);

/// A problem found when building the handler set.
#[derive(Debug)]
#[non_exhaustive]
pub enum BuildError {
    /// A logger names a handler that was not added.
    UnknownHandler {
        /// The logger's name.
        logger: String,
        /// The missing handler's name.
        handler: String,
    },
    /// Two handlers have the same name.
    DuplicateHandler(String),
    /// A global subscriber was already installed.
    AlreadyInitialized(String),
    /// The configuration watcher could not start.
    Watch(String),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::UnknownHandler { logger, handler } => {
                write!(f, "logger '{logger}' refers to unknown handler '{handler}'")
            }
            BuildError::DuplicateHandler(name) => write!(f, "handler '{name}' is defined twice"),
            BuildError::AlreadyInitialized(e) => {
                write!(f, "a global tracing subscriber is already installed: {e}")
            }
            BuildError::Watch(e) => write!(f, "cannot watch the configuration file: {e}"),
        }
    }
}

impl std::error::Error for BuildError {}

/// Composes handlers and loggers, then installs them.
///
/// | setting | default |
/// |---|---|
/// | root logger level | WARNING (Python's) |
/// | other loggers | NOTSET, propagating |
/// | handler level | NOTSET (passes everything its loggers pass) |
/// | exit flush deadline | 10 s |
/// | panic hook | off |
/// | `log` crate bridge | on (feature `log`) |
/// | `RUST_LOG` (`with_rust_log`) | ignored |
///
/// ```
/// use tracing_handlers::{Builder, Level, Logger, FormatHandler, Formatter, MemorySink};
/// use std::sync::Arc;
///
/// let sink = Arc::new(MemorySink::new());
/// let guard = Builder::new()
///     .handler("mem", Level::INFO, FormatHandler::new(sink.clone())
///         .with_formatter(Formatter::percent("%(levelname)s %(name)s %(message)s")?))
///     .root(Logger::new().level(Level::DEBUG).handler("mem"))
///     .set_default()?;
/// tracing::info!(target: "portal::api", "started");
/// tracing::debug!("below the handler's level");
/// drop(guard);
/// assert_eq!(sink.text(), "INFO portal.api started\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub struct Builder {
    handlers: Vec<HandlerSpec>,
    loggers: Vec<(String, Logger)>,
    root: Logger,
    exit_deadline: Duration,
    panic_hook: bool,
    log_bridge: bool,
    last_resort: Option<Arc<dyn Handler>>,
    preset: Option<HandlerSet>,
    #[cfg(feature = "config")]
    watch: Option<(std::path::PathBuf, Duration)>,
    /// The configuration file the preset handler set was built from, and the version read.
    #[cfg(feature = "config")]
    pub(crate) loaded_config: Option<(
        std::path::PathBuf,
        tracing_handlers_config::reload::FileVersion,
    )>,
    rust_log: bool,
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field(
                "handlers",
                &self.handlers.iter().map(|h| &h.0).collect::<Vec<_>>(),
            )
            .field("loggers", &self.loggers)
            .field("root", &self.root)
            .finish()
    }
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            handlers: Vec::new(),
            loggers: Vec::new(),
            root: Logger::new().level(Level::WARNING),
            exit_deadline: Duration::from_secs(10),
            panic_hook: false,
            log_bridge: true,
            last_resort: None,
            preset: None,
            #[cfg(feature = "config")]
            watch: None,
            #[cfg(feature = "config")]
            loaded_config: None,
            rust_log: false,
        }
    }
}

impl Builder {
    /// An empty configuration: root at WARNING, no handlers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a handler called `name` that receives records at `level` and above.
    pub fn handler(mut self, name: impl Into<String>, level: Level, handler: impl Handler) -> Self {
        self.handlers
            .push((name.into(), level, Vec::new(), Arc::new(handler)));
        self
    }

    /// Adds a shared handler (one you keep a reference to, for example to read its counters).
    pub fn shared_handler(
        mut self,
        name: impl Into<String>,
        level: Level,
        handler: Arc<dyn Handler>,
    ) -> Self {
        self.handlers
            .push((name.into(), level, Vec::new(), handler));
        self
    }

    /// Restricts the handler called `handler` to records from loggers `filter` passes
    /// (Python's `logging.Filter(name)` on a handler).
    pub fn handler_filter(mut self, handler: &str, filter: NameFilter) -> Self {
        if let Some(h) = self.handlers.iter_mut().find(|h| h.0 == handler) {
            h.2.push(filter);
        }
        self
    }

    /// Configures the logger `name` (dotted, or a Rust path with `::`).
    pub fn logger(mut self, name: impl Into<String>, logger: Logger) -> Self {
        self.loggers.push((name.into(), logger));
        self
    }

    /// Configures the root logger (default: WARNING, no handlers).
    pub fn root(mut self, logger: Logger) -> Self {
        self.root = logger;
        self
    }

    /// How long the exit hook and the guard wait for queued and network handlers to drain.
    pub fn exit_deadline(mut self, deadline: Duration) -> Self {
        self.exit_deadline = deadline;
        self
    }

    /// Installs a panic hook that logs the panic (message and location) at CRITICAL on the
    /// logger `panic`, then runs the previous hook.
    ///
    /// The record is logged from a short-lived helper thread named as the panicking one (so
    /// `%(thread)d` is the helper's), which the panicking thread waits for, at most a second:
    /// a handler that panicked on it inside the hook itself would abort the process.
    pub fn with_panic_hook(mut self) -> Self {
        self.panic_hook = true;
        self
    }

    /// Applies the `RUST_LOG` environment variable on top of the configured levels: `LEVEL`
    /// sets the root logger's level and `TARGET=LEVEL` a logger's (`portal::api=debug`), `off`
    /// silences. Off by default: `RUST_LOG` is honoured only where the application asks.
    pub fn with_rust_log(mut self, honour: bool) -> Self {
        self.rust_log = honour;
        self
    }

    /// Whether [`try_init`](Builder::try_init) routes the `log` crate's records through the
    /// handlers too (default true, with the `log` feature).
    pub fn with_log_bridge(mut self, bridge: bool) -> Self {
        self.log_bridge = bridge;
        self
    }

    /// Replaces Python's last resort (WARNING and above to stderr when a record finds no
    /// handler).
    pub fn last_resort(mut self, handler: impl Handler) -> Self {
        self.last_resort = Some(Arc::new(handler));
        self
    }

    /// Uses a complete, already built handler set (from a configuration file) instead of the
    /// handlers and loggers added to this builder.
    pub fn handler_set(mut self, set: HandlerSet) -> Self {
        self.preset = Some(set);
        #[cfg(feature = "config")]
        {
            self.loaded_config = None;
        }
        self
    }

    /// Reloads the handler set from `path` whenever the file changes, checking every
    /// `interval` (feature `config`).
    #[cfg(feature = "config")]
    pub fn watch_config(mut self, path: impl Into<std::path::PathBuf>, interval: Duration) -> Self {
        self.watch = Some((path.into(), interval));
        self
    }

    /// Builds the handler set without installing anything.
    ///
    /// # Errors
    ///
    /// A logger naming an unknown handler, or two handlers with one name.
    pub fn build_set(&self) -> Result<HandlerSet, BuildError> {
        let mut set = self.configured_set()?;
        if self.rust_log {
            crate::rust_log::apply_env(&mut set.tree);
        }
        Ok(set)
    }

    fn configured_set(&self) -> Result<HandlerSet, BuildError> {
        if let Some(set) = &self.preset {
            return Ok(set.clone());
        }
        let mut set = HandlerSet::new();
        let mut index = HashMap::new();
        for (name, level, filters, handler) in &self.handlers {
            if index.contains_key(name.as_str()) {
                return Err(BuildError::DuplicateHandler(name.clone()));
            }
            let mut entry = HandlerEntry::new(name.clone(), handler.clone()).with_level(*level);
            for f in filters {
                entry = entry.with_filter(f.clone());
            }
            index.insert(name.as_str(), set.add_handler(entry));
        }
        let resolve = |logger: &str, names: &[String]| -> Result<Vec<usize>, BuildError> {
            names
                .iter()
                .map(|h| {
                    index
                        .get(h.as_str())
                        .copied()
                        .ok_or_else(|| BuildError::UnknownHandler {
                            logger: logger.to_owned(),
                            handler: h.clone(),
                        })
                })
                .collect()
        };
        let root_handlers = resolve("root", &self.root.handlers)?;
        let root = set.tree.root_mut();
        root.level = self.root.level;
        root.handlers = root_handlers;
        root.propagate = self.root.propagate;
        for (name, logger) in &self.loggers {
            let handlers = resolve(name, &logger.handlers)?;
            let cfg = set.tree.logger_mut(name);
            cfg.level = logger.level;
            cfg.propagate = logger.propagate;
            cfg.handlers = handlers;
        }
        Ok(set)
    }

    /// Builds the dispatcher and its `tracing` layer, for composing with other layers
    /// yourself.
    ///
    /// # Errors
    ///
    /// As [`build_set`](Builder::build_set).
    pub fn build(&self) -> Result<(Dispatch, DispatchLayer), BuildError> {
        let set = self.build_set()?;
        let dispatch = match &self.last_resort {
            Some(lr) => Dispatch::with_last_resort(set, lr.clone()),
            None => Dispatch::new(set),
        };
        let layer = dispatch.layer();
        Ok((dispatch, layer))
    }

    /// Installs the handlers as the global `tracing` subscriber (and the `log` bridge),
    /// registers the exit flush and, if asked, the panic hook.
    ///
    /// # Errors
    ///
    /// A build error, or a global subscriber already installed.
    pub fn try_init(self) -> Result<LoggingGuard, BuildError> {
        let (dispatch, layer) = self.build()?;
        // Before installing: an error returned here must leave nothing installed.
        let watcher = self.start_watcher(&dispatch)?;
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::set_global_default(subscriber)
            .map_err(|e| BuildError::AlreadyInitialized(e.to_string()))?;
        #[cfg(feature = "log")]
        if self.log_bridge {
            // Another logger may own the `log` facade already; tracing still works then.
            let _ = tracing_log::LogTracer::init();
        }
        tracing_handlers_core::shutdown::flush_at_exit(&dispatch, self.exit_deadline);
        if self.panic_hook {
            install_panic_hook();
        }
        Ok(LoggingGuard {
            dispatch,
            deadline: self.exit_deadline,
            watcher,
            _scope: None,
        })
    }

    /// As [`try_init`](Builder::try_init).
    ///
    /// # Panics
    ///
    /// If building fails or a global subscriber is already installed.
    pub fn init(self) -> LoggingGuard {
        match self.try_init() {
            Ok(g) => g,
            Err(e) => panic!("tracing-handlers: cannot initialise logging: {e}"),
        }
    }

    /// Installs the handlers for the current thread only, until the guard is dropped (for
    /// tests: `tracing::subscriber::set_default`).
    ///
    /// # Errors
    ///
    /// A build error.
    pub fn set_default(self) -> Result<LoggingGuard, BuildError> {
        let (dispatch, layer) = self.build()?;
        let watcher = self.start_watcher(&dispatch)?;
        let subscriber = tracing_subscriber::registry().with(layer);
        let scope = tracing::subscriber::set_default(subscriber);
        Ok(LoggingGuard {
            dispatch,
            deadline: self.exit_deadline,
            watcher,
            _scope: Some(scope),
        })
    }

    #[cfg(feature = "config")]
    fn start_watcher(&self, dispatch: &Dispatch) -> Result<Option<Watcher>, BuildError> {
        use tracing_handlers_config::reload::ConfigWatcher;
        let Some((path, interval)) = &self.watch else {
            return Ok(None);
        };
        let (path, dispatch, interval) = (path.clone(), dispatch.clone(), *interval);
        match &self.loaded_config {
            // A save since the file was loaded is reloaded at the watcher's first look.
            Some((loaded, version)) if *loaded == path => {
                ConfigWatcher::start_from_version(path, dispatch, interval, version.clone())
            }
            _ => ConfigWatcher::start(path, dispatch, interval),
        }
        .map(Some)
        .map_err(|e| BuildError::Watch(e.to_string()))
    }

    #[cfg(not(feature = "config"))]
    fn start_watcher(&self, _dispatch: &Dispatch) -> Result<Option<Watcher>, BuildError> {
        Ok(None)
    }
}

#[cfg(feature = "config")]
type Watcher = tracing_handlers_config::reload::ConfigWatcher;
#[cfg(not(feature = "config"))]
type Watcher = ();

/// How long a panicking thread waits for its panic to be logged. The record is logged by a
/// helper thread (see [`install_panic_hook`]); when that helper is stuck (the panic happened
/// while a handler held a lock its write needs) the panicking thread goes on after this
/// long, and the helper finishes once the unwinding releases the lock.
const PANIC_LOG_WAIT: Duration = Duration::from_secs(1);

thread_local! {
    /// Whether this thread is a panic hook's helper, logging another thread's panic.
    static PANIC_LOGGER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // A panic of the helper itself (a handler that panics on the panic record) is not
        // logged again: that would go on for ever.
        if !PANIC_LOGGER.try_with(std::cell::Cell::get).unwrap_or(true) {
            let location = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()))
                .unwrap_or_default();
            let payload = info
                .payload()
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| info.payload().downcast_ref::<String>().map(String::as_str))
                .unwrap_or("(non-text payload)");
            let thread = std::thread::current();
            let name = thread.name().unwrap_or("<unnamed>");
            let message = format!("thread '{name}' panicked at {location}: {payload}");
            log_panic(thread.name().map(str::to_owned), location, message);
        }
        previous(info);
    }));
}

/// Logs a panic at CRITICAL on the logger `panic`, from a helper thread.
///
/// A handler that panics while the panic hook runs would abort the process ("thread panicked
/// while processing panic"): the dispatcher's `catch_unwind` cannot stop a panic inside a
/// panic hook. On the helper such a panic is an ordinary one, caught by the dispatcher. The
/// helper uses this thread's subscriber and name, and this thread waits for it (at most
/// [`PANIC_LOG_WAIT`]). When no thread can be started the record is logged here.
fn log_panic(thread_name: Option<String>, location: String, message: String) {
    let current = tracing::dispatcher::get_default(Clone::clone);
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let log = move || {
        tracing::dispatcher::with_default(&current, || {
            tracing_handlers_core::critical!(
                target: "panic",
                location = location.as_str(),
                "{}",
                message
            );
        });
    };
    let shared = Arc::new(std::sync::Mutex::new(Some(log)));
    let for_helper = shared.clone();
    let mut helper = std::thread::Builder::new();
    if let Some(name) = thread_name {
        helper = helper.name(name);
    }
    let spawned = helper.spawn(move || {
        let _ = PANIC_LOGGER.try_with(|p| p.set(true));
        let log = for_helper.lock().ok().and_then(|mut l| l.take());
        if let Some(log) = log {
            log();
        }
        let _ = done_tx.send(());
    });
    match spawned {
        Ok(_) => {
            let _ = done_rx.recv_timeout(PANIC_LOG_WAIT);
        }
        Err(_) => {
            let log = shared.lock().ok().and_then(|mut l| l.take());
            if let Some(log) = log {
                log();
            }
        }
    }
}

/// Keeps logging installed; dropping it flushes and shuts the handlers down (waiting at most
/// the exit deadline for queued and network handlers).
#[must_use = "dropping the guard shuts logging down"]
pub struct LoggingGuard {
    dispatch: Dispatch,
    deadline: Duration,
    /// Stopped before the handlers shut down, so no reload starts a new set after it.
    watcher: Option<Watcher>,
    _scope: Option<tracing::subscriber::DefaultGuard>,
}

impl fmt::Debug for LoggingGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoggingGuard")
            .field("dispatch", &self.dispatch)
            .finish()
    }
}

impl LoggingGuard {
    /// A handle to change levels at run time.
    pub fn handle(&self) -> LevelHandle {
        LevelHandle {
            dispatch: self.dispatch.clone(),
        }
    }

    /// The dispatcher (for records from sources without a callsite, and reloads).
    pub fn dispatch(&self) -> &Dispatch {
        &self.dispatch
    }

    /// Flushes every handler now.
    pub fn flush(&self) {
        self.dispatch.flush();
    }
}

impl Drop for LoggingGuard {
    fn drop(&mut self) {
        // The watcher first (it joins its thread): a reload between the shutdown and the
        // watcher's own drop would open a fresh handler set after it.
        self.watcher = None;
        self.dispatch
            .shutdown(tracing_handlers_core::shutdown::deadline_after(
                self.deadline,
            ));
    }
}

/// Changes logger and handler levels while the program runs (the seed's "System Settings").
///
/// ```
/// # use tracing_handlers::{Builder, Level, Logger};
/// let guard = Builder::new().root(Logger::new().level(Level::INFO)).set_default()?;
/// let levels = guard.handle();
/// levels.set_logger_level("portal.api", Level::DEBUG);
/// assert_eq!(levels.effective_level("portal.api.v1"), Level::DEBUG);
/// assert_eq!(levels.effective_level("portal"), Level::INFO);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct LevelHandle {
    dispatch: Dispatch,
}

impl LevelHandle {
    /// Sets a logger's level (`root` for the root logger); the next event sees it.
    pub fn set_logger_level(&self, logger: &str, level: Level) {
        self.dispatch.set_logger_level(logger, level);
    }

    /// Sets a handler's level; `false` when no handler has that name.
    pub fn set_handler_level(&self, handler: &str, level: Level) -> bool {
        self.dispatch.set_handler_level(handler, level)
    }

    /// A logger's effective level.
    pub fn effective_level(&self, logger: &str) -> Level {
        self.dispatch.effective_level(logger)
    }
}
