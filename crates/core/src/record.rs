//! The record every handler receives: Python's `LogRecord`, borrowed from reusable buffers.

use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::ops::Range;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::reuse::ReusedBuffer;
use crate::Level;

/// `processName`: what Python prints for a process that is not a `multiprocessing` child.
pub(crate) const PROCESS_NAME: &str = "MainProcess";

/// One log event as handlers see it: Python's `LogRecord` attributes, borrowed.
///
/// Records built from `tracing` events borrow their text from per-thread buffers that are
/// reused, so building one allocates nothing in steady state. Sources without a callsite (the
/// CLI, the socket receiver) build records from their own data with [`Record::new`].
///
/// | attribute | source |
/// |---|---|
/// | `name` | the logger: the target with `::` read as `.` (`root` for the root logger) |
/// | `levelno` / `levelname` | [`Level`]; events from [`critical!`](crate::critical) are 50 / `CRITICAL` |
/// | `message` | the event's `message` field |
/// | `created`, `msecs`, `relativeCreated` | the time the event was dispatched; msecs truncated as in Python |
/// | `pathname` / `filename` / `module` | the callsite's file as given by `file!()`, its base name, its stem |
/// | `lineno` | the callsite's line, 0 when unknown |
/// | `funcName` | a `funcName` field when the event carries one, else `None` (as Python's records without a caller) |
/// | `thread` / `threadName` | the OS thread identifier / the thread's name, or `Thread-N` |
/// | `process` / `processName` | the process id / `MainProcess` |
/// | any other name | the event's field of that name (Python's `extra`) |
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    /// The level (`levelno`, `levelname`).
    pub level: Level,
    /// The dotted logger name (`name`); `root` for the root logger.
    pub name: &'a str,
    /// The raw `tracing` target (`%(target)s`); equal to `name` for records from other sources.
    pub target: &'a str,
    /// The merged message (`message`).
    pub message: &'a str,
    /// Structured fields other than the message (Python's `extra`).
    pub fields: &'a FieldSet,
    /// When the record was created (`created`, `msecs`).
    pub created: SystemTime,
    /// Milliseconds since logging started (`relativeCreated`).
    pub relative_created: f64,
    /// The source file as the callsite gives it (`pathname`).
    pub file: Option<&'a str>,
    /// The source line (`lineno`).
    pub line: Option<u32>,
    /// The Rust module path of the callsite.
    pub module_path: Option<&'a str>,
    /// The function name (`funcName`), when known.
    pub func_name: Option<&'a str>,
    /// The thread identifier (`thread`).
    pub thread_id: u64,
    /// The thread name (`threadName`).
    pub thread_name: &'a str,
    /// The process id (`process`).
    pub process_id: u32,
    /// The process name (`processName`).
    pub process_name: &'a str,
    /// The active spans, outermost first, formatted as `name{field=value}:name`, when the
    /// handler set asked for them.
    pub spans: Option<&'a str>,
}

impl<'a> Record<'a> {
    /// A record for `message` on logger `name`, created now on the current thread, with no
    /// fields or source location. Set the public fields to override any attribute.
    ///
    /// ```
    /// use tracing_handlers_core::{FieldSet, Level, Record};
    ///
    /// let fields = FieldSet::new();
    /// let record = Record::new(Level::INFO, "portal.api", "hello", &fields);
    /// assert_eq!(record.name, "portal.api");
    /// assert_eq!(record.process_id, std::process::id());
    /// ```
    pub fn new(level: Level, name: &'a str, message: &'a str, fields: &'a FieldSet) -> Self {
        let created = SystemTime::now();
        let thread = current_thread();
        Record {
            level,
            name,
            target: name,
            message,
            fields,
            created,
            relative_created: relative_created_ms(created),
            file: None,
            line: None,
            module_path: None,
            func_name: None,
            thread_id: thread.id,
            thread_name: thread.name,
            process_id: process_id(),
            process_name: PROCESS_NAME,
            spans: None,
        }
    }

    /// `created` as Python's float seconds since the epoch.
    pub fn created_secs_f64(&self) -> f64 {
        match self.created.duration_since(UNIX_EPOCH) {
            Ok(d) => d.as_secs_f64(),
            Err(e) => -e.duration().as_secs_f64(),
        }
    }

    /// Whole milliseconds of `created` past the second, truncated as Python's `msecs`.
    pub fn msecs(&self) -> u32 {
        match self.created.duration_since(UNIX_EPOCH) {
            Ok(d) => d.subsec_millis(),
            Err(e) => {
                let nanos = e.duration().subsec_nanos();
                if nanos == 0 {
                    0
                } else {
                    (1_000_000_000 - nanos) / 1_000_000
                }
            }
        }
    }

    /// `pathname`'s last component (`filename`).
    pub fn filename(&self) -> Option<&'a str> {
        self.file.map(|p| p.rsplit(['/', '\\']).next().unwrap_or(p))
    }

    /// `filename` without its extension (`module`).
    pub fn module(&self) -> Option<&'a str> {
        self.filename()
            .map(|f| f.rsplit_once('.').map_or(f, |(stem, _)| stem))
    }
}

/// The instant logging started, for `relativeCreated`: the first time anything asked.
pub fn start_time() -> SystemTime {
    static START: OnceLock<SystemTime> = OnceLock::new();
    *START.get_or_init(SystemTime::now)
}

/// Milliseconds from [`start_time`] to `created`, as Python's `relativeCreated`.
pub fn relative_created_ms(created: SystemTime) -> f64 {
    let start = start_time();
    match created.duration_since(start) {
        Ok(d) => d.as_secs_f64() * 1000.0,
        Err(e) => -(e.duration().as_secs_f64() * 1000.0),
    }
}

/// Converts Python's float `created` to a `SystemTime`. A value no `SystemTime` can hold
/// (NaN, an infinity, or too far from 1970 for this platform: it may come from a peer on the
/// network) gives the epoch, never a panic.
pub fn system_time_from_secs_f64(secs: f64) -> SystemTime {
    let time = if secs >= 0.0 {
        Duration::try_from_secs_f64(secs)
            .ok()
            .and_then(|d| UNIX_EPOCH.checked_add(d))
    } else {
        Duration::try_from_secs_f64(-secs)
            .ok()
            .and_then(|d| UNIX_EPOCH.checked_sub(d))
    };
    time.unwrap_or(UNIX_EPOCH)
}

/// The process id, cached; a fork clears the cache so children report their own id.
pub fn process_id() -> u32 {
    use std::sync::atomic::AtomicU32;
    static PID: AtomicU32 = AtomicU32::new(0);
    let pid = PID.load(std::sync::atomic::Ordering::Relaxed);
    if pid != 0 {
        return pid;
    }
    #[cfg(unix)]
    {
        static HOOK: std::sync::Once = std::sync::Once::new();
        extern "C" fn forget_pid() {
            PID.store(0, std::sync::atomic::Ordering::Relaxed);
            crate::fork::GENERATION.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        // SAFETY: registering a fork handler that only stores to an atomic.
        HOOK.call_once(|| unsafe {
            libc::pthread_atfork(None, None, Some(forget_pid));
        });
    }
    let pid = std::process::id();
    PID.store(pid, std::sync::atomic::Ordering::Relaxed);
    pid
}

/// The current thread's identity as records carry it.
#[derive(Debug, Clone, Copy)]
pub struct ThreadIdentity<'a> {
    /// The OS thread identifier (`pthread_self` on Unix, as Python's `threading.get_ident`).
    pub id: u64,
    /// The thread's name, or `Thread-N` for an unnamed thread (N counts unnamed threads in the
    /// order they first log, from 1).
    pub name: &'a str,
}

/// What a thread's identity is computed from, once per thread; freed when the thread ends
/// (a server that starts a thread per connection must not keep every name it ever saw).
struct OwnedIdentity {
    id: u64,
    name: Box<str>,
}

/// The calling thread's identity, with a name that lives for ever, for records built outside
/// the dispatch ([`Record::new`]). Names are interned: each distinct name is kept once for
/// the life of the process (an unnamed thread's `Thread-N` is distinct per thread; the
/// dispatch, through [`with_current_thread`], keeps none).
pub fn current_thread() -> ThreadIdentity<'static> {
    use std::cell::Cell;
    thread_local! {
        static INTERNED: Cell<Option<ThreadIdentity<'static>>> = const { Cell::new(None) };
    }
    if let Ok(Some(identity)) = INTERNED.try_with(Cell::get) {
        return identity;
    }
    let mut identity = ThreadIdentity {
        id: os_thread_id(),
        name: "<exiting>",
    };
    with_current_thread(|t| {
        identity = ThreadIdentity {
            id: t.id,
            name: intern(t.name),
        };
    });
    let _ = INTERNED.try_with(|c| c.set(Some(identity)));
    identity
}

/// `name`, kept once for the life of the process.
fn intern(name: &str) -> &'static str {
    static NAMES: OnceLock<crate::fork::ForkSafeMutex<std::collections::HashSet<&'static str>>> =
        OnceLock::new();
    let mut names = NAMES.get_or_init(Default::default).lock();
    if let Some(kept) = names.get(name) {
        return kept;
    }
    let kept: &'static str = Box::leak(name.into());
    names.insert(kept);
    kept
}

/// Runs `f` with the calling thread's [`ThreadIdentity`] (computed once per thread).
///
/// ```
/// let mut name = String::new();
/// tracing_handlers_core::with_current_thread(|t| name = t.name.to_owned());
/// assert_eq!(Some(name.as_str()), std::thread::current().name());
/// ```
#[inline]
pub fn with_current_thread(f: impl FnOnce(ThreadIdentity<'_>)) {
    use std::cell::Cell;
    use std::sync::atomic::{AtomicU64, Ordering};
    static UNNAMED: AtomicU64 = AtomicU64::new(1);
    thread_local! {
        static IDENTITY: OwnedIdentity = OwnedIdentity {
            id: os_thread_id(),
            name: match std::thread::current().name() {
                Some(n) => n.into(),
                None => {
                    let n = UNNAMED.fetch_add(1, Ordering::Relaxed);
                    let _ = UNNAMED_N.try_with(|c| c.set(n));
                    format!("Thread-{n}").into()
                }
            },
        };
        /// The `N` of this unnamed thread's `Thread-N`: without a destructor, so it outlives
        /// `IDENTITY` for records logged by later thread-local destructors.
        static UNNAMED_N: Cell<u64> = const { Cell::new(0) };
    }
    let mut f = Some(f);
    let _ = IDENTITY.try_with(|t| {
        if let Some(f) = f.take() {
            f(ThreadIdentity {
                id: t.id,
                name: &t.name,
            });
        }
    });
    if let Some(f) = f {
        // A record logged by a thread-local destructor after this one's: the same name,
        // made again.
        let name = match std::thread::current().name() {
            Some(n) => n.to_owned(),
            None => match UNNAMED_N.try_with(Cell::get) {
                Ok(n) if n > 0 => format!("Thread-{n}"),
                _ => "<exiting>".to_owned(),
            },
        };
        f(ThreadIdentity {
            id: os_thread_id(),
            name: &name,
        });
    }
}

#[cfg(unix)]
fn os_thread_id() -> u64 {
    // SAFETY: pthread_self has no preconditions.
    unsafe { libc::pthread_self() as u64 }
}

#[cfg(not(unix))]
fn os_thread_id() -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    std::thread::current().id().hash(&mut h);
    h.finish()
}

/// A field's value, borrowed from a [`FieldSet`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// Text (strings, and values recorded with `Debug` or `Display`).
    Str(&'a str),
    /// A signed integer.
    I64(i64),
    /// An unsigned integer.
    U64(u64),
    /// A float.
    F64(f64),
    /// A boolean (Python prints `True`/`False`).
    Bool(bool),
}

impl fmt::Display for Value<'_> {
    /// The value as Python's `str()` would print it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Value::Str(s) => f.write_str(s),
            Value::I64(n) => write!(f, "{n}"),
            Value::U64(n) => write!(f, "{n}"),
            Value::F64(x) => crate::pyfloat::write_repr(f, x),
            Value::Bool(true) => f.write_str("True"),
            Value::Bool(false) => f.write_str("False"),
        }
    }
}

#[derive(Debug, Clone)]
enum Name {
    Static(&'static str),
    Owned(Range<usize>),
}

#[derive(Debug, Clone)]
enum Slot {
    Str(Range<usize>),
    I64(i64),
    U64(u64),
    F64(f64),
    Bool(bool),
}

/// An ordered set of named fields, stored in one reusable text buffer.
///
/// Clearing keeps the capacity, so a thread-local `FieldSet` reused across events allocates
/// nothing once it has grown to the largest event's size. A later field with the same name as
/// an earlier one shadows it in [`get`](FieldSet::get).
///
/// ```
/// use tracing_handlers_core::{FieldSet, Value};
///
/// let mut fields = FieldSet::new();
/// fields.push_str("user", "bob");
/// fields.push_i64("attempts", 3);
/// fields.push_display("peer", &std::net::Ipv4Addr::LOCALHOST);
/// assert_eq!(fields.get("user"), Some(Value::Str("bob")));
/// assert_eq!(fields.get("peer").unwrap().to_string(), "127.0.0.1");
/// assert_eq!(fields.len(), 3);
/// ```
#[derive(Debug, Clone, Default)]
pub struct FieldSet {
    text: String,
    entries: Vec<(Name, Slot)>,
}

impl FieldSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Removes every field, keeping the allocated capacity.
    pub fn clear(&mut self) {
        self.text.clear();
        self.entries.clear();
    }
}

impl ReusedBuffer for FieldSet {
    fn release_if_large(&mut self) {
        self.text.release_if_large();
        self.entries.release_if_large();
    }
}

impl FieldSet {
    /// The number of fields.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no fields.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn name_of<'s>(&'s self, name: &'s Name) -> &'s str {
        match name {
            Name::Static(s) => s,
            Name::Owned(r) => &self.text[r.clone()],
        }
    }

    fn value_of(&self, slot: &Slot) -> Value<'_> {
        match slot {
            Slot::Str(r) => Value::Str(&self.text[r.clone()]),
            Slot::I64(n) => Value::I64(*n),
            Slot::U64(n) => Value::U64(*n),
            Slot::F64(x) => Value::F64(*x),
            Slot::Bool(b) => Value::Bool(*b),
        }
    }

    /// The value of the last field called `name`.
    pub fn get(&self, name: &str) -> Option<Value<'_>> {
        self.entries
            .iter()
            .rev()
            .find(|(n, _)| self.name_of(n) == name)
            .map(|(_, slot)| self.value_of(slot))
    }

    /// The fields in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Value<'_>)> + '_ {
        self.entries
            .iter()
            .map(move |(n, slot)| (self.name_of(n), self.value_of(slot)))
    }

    /// The fields in the order they were added, each name once: a field that a later one of
    /// the same name shadows is left out (as a Python dict keeps the last value).
    ///
    /// The usual few fields are compared with the later ones, allocating nothing; many (a
    /// received record may carry 100,000) go through a map of each name's last position, so
    /// this stays linear.
    ///
    /// ```
    /// # use tracing_handlers_core::FieldSet;
    /// let mut fields = FieldSet::new();
    /// fields.push_str("user", "first");
    /// fields.push_i64("attempts", 3);
    /// fields.push_str("user", "last");
    /// let names: Vec<&str> = fields.unshadowed().map(|(name, _)| name).collect();
    /// assert_eq!(names, ["attempts", "user"]);
    /// ```
    pub fn unshadowed(&self) -> impl Iterator<Item = (&str, Value<'_>)> + '_ {
        const SCAN_UP_TO: usize = 16;
        let last: Option<HashMap<&str, usize>> = (self.len() > SCAN_UP_TO).then(|| {
            // Later positions overwrite earlier ones: each name maps to its last field.
            self.iter()
                .enumerate()
                .map(|(i, (name, _))| (name, i))
                .collect()
        });
        self.iter()
            .enumerate()
            .filter(move |(i, (name, _))| match &last {
                Some(last) => last.get(name) == Some(i),
                None => !self.iter().skip(i + 1).any(|(later, _)| later == *name),
            })
            .map(|(_, field)| field)
    }

    fn intern(&mut self, name: &str) -> Name {
        let start = self.text.len();
        self.text.push_str(name);
        Name::Owned(start..self.text.len())
    }

    fn push(&mut self, name: Name, slot: Slot) {
        self.entries.push((name, slot));
    }

    /// Adds a text field.
    pub fn push_str(&mut self, name: &str, value: &str) {
        let name = self.intern(name);
        let start = self.text.len();
        self.text.push_str(value);
        self.push(name, Slot::Str(start..self.text.len()));
    }

    /// Adds a field whose text is `value`'s `Display` output.
    pub fn push_display(&mut self, name: &str, value: &dyn fmt::Display) {
        let name = self.intern(name);
        let start = self.text.len();
        let _ = write!(self.text, "{value}");
        self.push(name, Slot::Str(start..self.text.len()));
    }

    /// Adds a field whose text is `value`'s `Debug` output.
    pub fn push_debug(&mut self, name: &str, value: &dyn fmt::Debug) {
        let name = self.intern(name);
        let start = self.text.len();
        let _ = write!(self.text, "{value:?}");
        self.push(name, Slot::Str(start..self.text.len()));
    }

    /// Adds a signed integer field.
    pub fn push_i64(&mut self, name: &str, value: i64) {
        let name = self.intern(name);
        self.push(name, Slot::I64(value));
    }

    /// Adds an unsigned integer field.
    pub fn push_u64(&mut self, name: &str, value: u64) {
        let name = self.intern(name);
        self.push(name, Slot::U64(value));
    }

    /// Adds a float field.
    pub fn push_f64(&mut self, name: &str, value: f64) {
        let name = self.intern(name);
        self.push(name, Slot::F64(value));
    }

    /// Adds a boolean field.
    pub fn push_bool(&mut self, name: &str, value: bool) {
        let name = self.intern(name);
        self.push(name, Slot::Bool(value));
    }

    /// Adds a field with a `'static` name (no copy of the name is made).
    pub fn push_static(&mut self, name: &'static str, value: Value<'_>) {
        let slot = match value {
            Value::Str(s) => {
                let start = self.text.len();
                self.text.push_str(s);
                Slot::Str(start..self.text.len())
            }
            Value::I64(n) => Slot::I64(n),
            Value::U64(n) => Slot::U64(n),
            Value::F64(x) => Slot::F64(x),
            Value::Bool(b) => Slot::Bool(b),
        };
        self.push(Name::Static(name), slot);
    }

    /// Adds a `'static`-named field whose text is written by `write` (no intermediate string).
    pub fn push_static_with(
        &mut self,
        name: &'static str,
        write: impl FnOnce(&mut String) -> fmt::Result,
    ) {
        let start = self.text.len();
        let _ = write(&mut self.text);
        self.push(Name::Static(name), Slot::Str(start..self.text.len()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msecs_truncate_like_python() {
        let fields = FieldSet::new();
        let mut r = Record::new(Level::INFO, "a", "m", &fields);
        r.created = UNIX_EPOCH + Duration::from_nanos(1_700_000_000_007_891_000);
        assert_eq!(r.msecs(), 7);
        r.created = system_time_from_secs_f64(1700000000.123456);
        assert_eq!(r.msecs(), 123);
    }

    #[test]
    fn file_name_and_module() {
        let fields = FieldSet::new();
        let mut r = Record::new(Level::INFO, "a", "m", &fields);
        r.file = Some("src/portal/views.rs");
        assert_eq!(r.filename(), Some("views.rs"));
        assert_eq!(r.module(), Some("views"));
    }

    #[test]
    fn later_fields_shadow_earlier() {
        let mut f = FieldSet::new();
        f.push_i64("a", 1);
        f.push_str("a", "two");
        assert_eq!(f.get("a"), Some(Value::Str("two")));
        f.clear();
        assert!(f.get("a").is_none());
    }

    #[test]
    fn created_times_no_system_time_can_hold_give_the_epoch() {
        use super::system_time_from_secs_f64;
        use std::time::{Duration, UNIX_EPOCH};
        assert_eq!(
            system_time_from_secs_f64(1.5),
            UNIX_EPOCH + Duration::from_millis(1500)
        );
        assert_eq!(
            system_time_from_secs_f64(-1.5),
            UNIX_EPOCH - Duration::from_millis(1500)
        );
        for v in [
            1e300,
            -1e300,
            1e19,
            -1e19,
            f64::MAX,
            f64::MIN,
            f64::NAN,
            f64::INFINITY,
        ] {
            assert_eq!(system_time_from_secs_f64(v), UNIX_EPOCH, "{v}");
        }
    }
}
