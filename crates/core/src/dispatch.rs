//! The dispatch layer: one `tracing` layer that owns the handler set and routes each event
//! through Python's logger tree.
//!
//! Per callsite it caches where events go (the logger's effective level and its handlers), so
//! an event below the effective level costs one hash lookup. It filters inside itself:
//! `enabled` stays true for the other layers of the subscriber.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::hash::{BuildHasherDefault, Hasher};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant, SystemTime};

use crate::fork::{ForkSafeMutex, ForkSafeRwLock};
use arc_swap::ArcSwap;
use tracing_core::callsite::Identifier;
use tracing_core::field::{Field, Visit};
use tracing_core::span;
use tracing_core::{Event, Metadata, Subscriber};
use tracing_log::NormalizeEvent;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

use crate::handler::{Handler, PreparedLine};
use crate::report::{report, Report, ReportKind};
use crate::reuse::ReusedBuffer;
use crate::tree::{logger_name, LoggerTree, NameFilter, Route};
use crate::{relative_created_ms, with_current_thread, FieldSet, Level, Record, CRITICAL_FIELD};

/// One handler in a handler set: its name, level and filters, and the handler itself.
#[derive(Debug)]
pub struct HandlerEntry {
    name: String,
    level: AtomicI32,
    filters: Vec<NameFilter>,
    handler: Arc<dyn Handler>,
}

impl HandlerEntry {
    /// A handler entry at level NOTSET with no filters.
    pub fn new(name: impl Into<String>, handler: Arc<dyn Handler>) -> Self {
        HandlerEntry {
            name: name.into(),
            level: AtomicI32::new(Level::NOTSET.number()),
            filters: Vec::new(),
            handler,
        }
    }

    /// Sets the handler's level (records below it are not handed to it).
    #[must_use]
    pub fn with_level(self, level: Level) -> Self {
        self.level.store(level.number(), Ordering::Relaxed);
        self
    }

    /// Adds a name filter: the handler receives only records from loggers it passes.
    #[must_use]
    pub fn with_filter(mut self, filter: NameFilter) -> Self {
        self.filters.push(filter);
        self
    }

    /// The handler's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The handler's current level.
    pub fn level(&self) -> Level {
        Level::from_number(self.level.load(Ordering::Relaxed))
    }

    /// The handler.
    pub fn handler(&self) -> &Arc<dyn Handler> {
        &self.handler
    }

    #[inline]
    fn accepts(&self, record: &Record<'_>) -> bool {
        record.level.number() >= self.level.load(Ordering::Relaxed)
            && self.filters.iter().all(|f| f.passes(record.name))
    }
}

/// A complete logging configuration: handlers and the logger tree that routes to them (by
/// index into the handler list). Cloning shares the handlers.
#[derive(Debug, Default, Clone)]
pub struct HandlerSet {
    /// The handlers, in the order loggers refer to them.
    pub handlers: Vec<Arc<HandlerEntry>>,
    /// The loggers.
    pub tree: LoggerTree,
}

impl HandlerSet {
    /// An empty set: the root logger at WARNING and no handlers (so Python's last resort
    /// applies).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a handler and returns its index for [`LoggerConfig::handlers`](crate::LoggerConfig).
    pub fn add_handler(&mut self, entry: HandlerEntry) -> usize {
        self.handlers.push(Arc::new(entry));
        self.handlers.len() - 1
    }

    /// The index of the handler called `name`.
    pub fn handler_index(&self, name: &str) -> Option<usize> {
        self.handlers.iter().position(|h| h.name == name)
    }
}

/// A fast hasher for callsite identifiers (which hash a single pointer).
#[derive(Default)]
struct PtrHasher(u64);

impl Hasher for PtrHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 =
                (self.0.rotate_left(5) ^ u64::from(*b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
    fn write_usize(&mut self, n: usize) {
        self.0 = (n as u64)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(29);
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<PtrHasher>>;

/// A callsite's route, borrowed from the current state (the per-thread cache) or owned
/// (just worked out).
enum CallsiteRef<'a> {
    Borrowed(&'a CallsiteRoute),
    Owned(Arc<CallsiteRoute>),
}

impl std::ops::Deref for CallsiteRef<'_> {
    type Target = CallsiteRoute;
    fn deref(&self) -> &CallsiteRoute {
        match self {
            CallsiteRef::Borrowed(r) => r,
            CallsiteRef::Owned(r) => r,
        }
    }
}

/// One entry of the per-thread route cache.
#[derive(Clone, Copy)]
struct RouteSlot {
    generation: u64,
    callsite: usize,
    route: *const CallsiteRoute,
    /// The callsite is one of `tracing-log`'s: its records are routed by their own target.
    log: bool,
}

const ROUTE_CACHE_SLOTS: usize = 16;

const EMPTY_SLOT: RouteSlot = RouteSlot {
    generation: 0,
    callsite: 0,
    route: std::ptr::null(),
    log: false,
};

thread_local! {
    /// Recently used callsite routes of this thread (direct-mapped by callsite address).
    static ROUTE_CACHE: [Cell<RouteSlot>; ROUTE_CACHE_SLOTS] = const {
        [const { Cell::new(EMPTY_SLOT) }; ROUTE_CACHE_SLOTS]
    };
}

/// A route with the logger name it was computed for.
#[derive(Debug)]
struct CachedRoute {
    name: Box<str>,
    route: Route,
}

/// Where a callsite's events go.
#[derive(Debug)]
struct CallsiteRoute {
    route: Arc<CachedRoute>,
    /// The level of its events (CRITICAL for a `critical!` callsite).
    level: Level,
    /// Set when every handler on the route that takes the callsite's logger prepared its
    /// line.
    fast: Option<FastPath>,
}

/// A callsite whose handlers write its records from their time and message alone (see
/// [`Handler::prepare`]): no `Record` is built for them.
#[derive(Debug)]
struct FastPath {
    /// The handlers' indices in the set, in the route's order, each with its line.
    handlers: Box<[(usize, PreparedLine)]>,
}

/// A handler set plus its route caches; replaced whole on reload or level change.
#[derive(Debug)]
struct State {
    /// Unique per state ever made: what the per-thread route cache checks.
    generation: u64,
    set: HandlerSet,
    needs_spans: bool,
    /// Whether any handler reads `relativeCreated` (else it is left 0 and not computed).
    needs_relative: bool,
    /// Per callsite: the route, the level of its events, its fast path.
    by_callsite: ForkSafeRwLock<FastMap<Identifier, Arc<CallsiteRoute>>>,
    /// Routes by target name, for records without a callsite of their own; at most
    /// [`MAX_CACHED_NAMES`] of them.
    by_name: ForkSafeRwLock<HashMap<Box<str>, Arc<CachedRoute>>>,
}

/// How many target names a handler set keeps routes for: the loggers of a real program fit
/// many times over, while a peer sending a new logger name with every record cannot make
/// the cache grow without bound.
const MAX_CACHED_NAMES: usize = 4096;

impl State {
    fn new(set: HandlerSet) -> Self {
        static GENERATION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let needs_spans = set.handlers.iter().any(|h| h.handler.needs_spans());
        let needs_relative = set
            .handlers
            .iter()
            .any(|h| h.handler.needs_relative_created());
        State {
            needs_relative,
            generation: GENERATION.fetch_add(1, Ordering::Relaxed),
            set,
            needs_spans,
            by_callsite: ForkSafeRwLock::new(FastMap::default()),
            by_name: ForkSafeRwLock::new(HashMap::new()),
        }
    }

    fn route_for_name(&self, target: &str) -> Arc<CachedRoute> {
        if let Some(r) = self.by_name.read().get(target) {
            return r.clone();
        }
        let name = logger_name(target).into_owned();
        let route = Arc::new(CachedRoute {
            route: self.set.tree.route(&name),
            name: name.into_boxed_str(),
        });
        let mut by_name = self.by_name.write();
        if by_name.len() >= MAX_CACHED_NAMES && !by_name.contains_key(target) {
            // Names come from outside too (a receiver's peers, `--events`, `log` targets):
            // past the bound, routes are worked out per record instead of kept for ever.
            return route;
        }
        by_name.entry(target.into()).or_insert(route).clone()
    }

    /// The route of an event's callsite (see [`CallsiteRoute`]), through this
    /// thread's cache: no lock, no shared write. `None` for `log` records (bridged by
    /// `tracing-log`), which share a few callsites and are routed by their own target.
    fn cached_route(&self, event: &Event<'_>) -> Option<CallsiteRef<'_>> {
        let meta = event.metadata();
        let key = meta as *const Metadata<'static> as usize;
        let slot = (key >> 4) % ROUTE_CACHE_SLOTS;
        let hit = ROUTE_CACHE
            .try_with(|cache| {
                let s = cache[slot].get();
                (s.generation == self.generation && s.callsite == key).then_some(s)
            })
            .ok()
            .flatten();
        if let Some(s) = hit {
            if s.log {
                return None;
            }
            // SAFETY: `s.route` points into an `Arc<CallsiteRoute>` held by
            // `self.by_callsite` (the slot's generation is this state's, and generations are
            // never reused). A state never removes entries, and `&self` keeps the state alive
            // for `'_`.
            return Some(CallsiteRef::Borrowed(unsafe { &*s.route }));
        }
        self.cache_miss(event, key, slot)
    }

    /// Fills this thread's cache slot for a callsite seen for the first time (in this
    /// state): out of line, so the hit path above stays a few cache lines.
    #[cold]
    #[inline(never)]
    fn cache_miss(&self, event: &Event<'_>, key: usize, slot: usize) -> Option<CallsiteRef<'_>> {
        let mut entry = RouteSlot {
            generation: self.generation,
            callsite: key,
            ..EMPTY_SLOT
        };
        let result = if event.is_log() {
            entry.log = true;
            None
        } else {
            let callsite = self.route_for_callsite(event.metadata());
            entry.route = Arc::as_ptr(&callsite);
            Some(CallsiteRef::Owned(callsite))
        };
        let _ = ROUTE_CACHE.try_with(|cache| cache[slot].set(entry));
        result
    }

    /// The route of a callsite, the level of its events (`critical!` ones are CRITICAL) and
    /// its fast path (decided once).
    fn route_for_callsite(&self, meta: &'static Metadata<'static>) -> Arc<CallsiteRoute> {
        let id = meta.callsite();
        if let Some(r) = self.by_callsite.read().get(&id) {
            return r.clone();
        }
        let route = self.route_for_name(meta.target());
        let level = if meta.fields().field(CRITICAL_FIELD).is_some() {
            Level::CRITICAL
        } else {
            Level::from(*meta.level())
        };
        let fast = self.fast_path(&route, level, meta.target());
        let callsite = Arc::new(CallsiteRoute { route, level, fast });
        self.by_callsite
            .write()
            .entry(id)
            .or_insert(callsite)
            .clone()
    }

    /// The fast path of a callsite at `level` routed by `route`: when every handler on the
    /// route whose filters pass the logger prepares its line (and there is one at least).
    fn fast_path(&self, route: &CachedRoute, level: Level, target: &str) -> Option<FastPath> {
        let mut handlers = Vec::with_capacity(route.route.handlers.len());
        for &index in &route.route.handlers {
            let entry = self.set.handlers.get(index)?;
            if entry.filters.iter().all(|f| f.passes(&route.name)) {
                handlers.push((index, entry.handler.prepare(level, &route.name, target)?));
            }
        }
        (!handlers.is_empty()).then(|| FastPath {
            handlers: handlers.into(),
        })
    }
}

struct Shared {
    state: ArcSwap<State>,
    last_resort: Arc<dyn Handler>,
    /// Python's `logging.disable(level)`: records at or below it are dropped everywhere.
    disabled_up_to: AtomicI32,
    shut_down: AtomicBool,
    /// Serialises reload and level changes (readers never take it).
    writer: ForkSafeMutex<()>,
    /// States replaced by level changes since the last reload, which calls in flight may
    /// still hold (a reload waits for them before retiring the handlers they share).
    superseded: ForkSafeMutex<Vec<Weak<State>>>,
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dispatch")
            .field("state", &self.state.load())
            .field("last_resort", &self.last_resort)
            .finish()
    }
}

/// The owner of a handler set and the router of records through the logger tree.
///
/// Cheap to clone (all clones share one state). [`layer`](Dispatch::layer) gives the `tracing`
/// layer; [`dispatch`](Dispatch::dispatch) takes records from sources without a callsite.
///
/// ```
/// use std::sync::Arc;
/// use tracing_handlers_core::dispatch::{Dispatch, HandlerEntry, HandlerSet};
/// use tracing_handlers_core::{FieldSet, FormatHandler, Level, MemorySink, Record};
///
/// let sink = Arc::new(MemorySink::new());
/// let mut set = HandlerSet::new();
/// let console = set.add_handler(HandlerEntry::new("console", Arc::new(FormatHandler::new(sink.clone()))));
/// set.tree.root_mut().handlers.push(console);
/// set.tree.logger_mut("portal").level = Level::DEBUG;
///
/// let dispatch = Dispatch::new(set);
/// let fields = FieldSet::new();
/// dispatch.dispatch(&Record::new(Level::DEBUG, "portal.api", "kept", &fields));
/// dispatch.dispatch(&Record::new(Level::DEBUG, "other", "dropped: root is at WARNING", &fields));
/// assert_eq!(sink.text(), "kept\n");
/// ```
#[derive(Clone, Debug)]
pub struct Dispatch {
    shared: Arc<Shared>,
}

/// Python's last resort: WARNING and above, the bare message, to stderr.
#[derive(Debug)]
struct StderrLastResort;

impl Handler for StderrLastResort {
    fn handle(&self, record: &Record<'_>) {
        thread_local! {
            static LINE: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
        }
        crate::reuse::with_reused(&LINE, Vec::new, |line| {
            line.clear();
            line.extend_from_slice(record.message.as_bytes());
            line.push(b'\n');
            let _ = crate::fork::write_std(crate::fork::StdStream::Stderr, line);
        });
    }
}

thread_local! {
    /// Handlers this thread is inside of (by address), to refuse re-entry.
    // One cell per slot: entering a handler writes one word (a `Cell` of the whole array
    // copied 64 bytes out and back per record, stalling on the store just made).
    static ACTIVE: [Cell<usize>; 8] = const { [const { Cell::new(0) }; 8] };
    static DEPTH: Cell<usize> = const { Cell::new(0) };
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Per-thread buffers an event's text is collected into (reused: no allocation once grown).
#[derive(Default)]
struct Scratch {
    message: String,
    fields: FieldSet,
    spans: String,
    func_name: String,
}

impl Scratch {
    fn clear(&mut self) {
        self.message.clear();
        self.fields.clear();
        self.spans.clear();
        self.func_name.clear();
    }
}

impl ReusedBuffer for Scratch {
    fn release_if_large(&mut self) {
        self.message.release_if_large();
        self.fields.release_if_large();
        self.spans.release_if_large();
        self.func_name.release_if_large();
    }
}

/// Marks a handler active on this thread for the guard's lifetime.
struct ActiveGuard {
    depth: usize,
}

impl ActiveGuard {
    /// `None` when the handler is already active on this thread (re-entry) or nesting is too
    /// deep.
    fn enter(addr: usize) -> Option<ActiveGuard> {
        let depth = DEPTH.try_with(Cell::get).ok()?;
        ACTIVE
            .try_with(|active| {
                let slot = active.get(depth)?;
                if active[..depth].iter().any(|a| a.get() == addr) {
                    return None;
                }
                slot.set(addr);
                Some(())
            })
            .ok()??;
        let _ = DEPTH.try_with(|d| d.set(depth + 1));
        Some(ActiveGuard { depth })
    }
}

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        let _ = DEPTH.try_with(|d| d.set(self.depth));
    }
}

impl Dispatch {
    /// A dispatcher owning `set`, with Python's last resort on stderr.
    pub fn new(set: HandlerSet) -> Self {
        Self::with_last_resort(set, Arc::new(StderrLastResort))
    }

    /// A dispatcher whose last resort (used when no handler is found on a record's way up, for
    /// WARNING and above) is `last_resort` instead of stderr.
    pub fn with_last_resort(set: HandlerSet, last_resort: Arc<dyn Handler>) -> Self {
        let _ = crate::start_time();
        Dispatch {
            shared: Arc::new(Shared {
                state: ArcSwap::from_pointee(State::new(set)),
                last_resort,
                disabled_up_to: AtomicI32::new(0),
                shut_down: AtomicBool::new(false),
                writer: ForkSafeMutex::new(()),
                superseded: ForkSafeMutex::new(Vec::new()),
            }),
        }
    }

    /// The `tracing` layer that feeds this dispatcher.
    pub fn layer(&self) -> DispatchLayer {
        DispatchLayer {
            dispatch: self.clone(),
        }
    }

    /// Whether a record at `level` from logger `name` would be handed to any handler (or the
    /// last resort): Python's `isEnabledFor`.
    pub fn is_enabled(&self, name: &str, level: Level) -> bool {
        if level.number() <= self.shared.disabled_up_to.load(Ordering::Relaxed) {
            return false;
        }
        let state = self.shared.state.load();
        let route = state.route_for_name(name);
        !route.route.disabled && level >= route.route.effective_level
    }

    /// Routes a record built by the caller (the CLI, a `log` record): the effective level of
    /// `record.name` decides, then the handlers on the way up receive it.
    pub fn dispatch(&self, record: &Record<'_>) {
        if record.level.number() <= self.shared.disabled_up_to.load(Ordering::Relaxed) {
            return;
        }
        let state = self.shared.state.load();
        let route = state.route_for_name(record.name);
        if route.route.disabled || record.level < route.route.effective_level {
            return;
        }
        self.deliver(&state, &route.route, record);
    }

    /// Routes a record that was already filtered by a sender's logger levels (a record from
    /// the socket receiver): logger levels are not applied again, handler levels are, as
    /// CPython's receiver does.
    pub fn dispatch_received(&self, record: &Record<'_>) {
        let state = self.shared.state.load();
        let route = state.route_for_name(record.name);
        self.deliver(&state, &route.route, record);
    }

    // Inlined along the hot path on purpose: in direct mode every record ends in a
    // `write(2)` whose kernel path empties the return-address predictor, so each stack frame
    // between the event and the system call costs a mispredicted return on the way back.
    #[inline(always)]
    fn deliver(&self, state: &State, route: &Route, record: &Record<'_>) {
        if route.handlers.is_empty() {
            if record.level >= Level::WARNING {
                self.call(&self.shared.last_resort, record);
            }
            return;
        }
        for &i in &route.handlers {
            if let Some(entry) = state.set.handlers.get(i) {
                if entry.accepts(record) {
                    self.call(&entry.handler, record);
                }
            }
        }
    }

    #[inline(always)]
    fn call(&self, handler: &Arc<dyn Handler>, record: &Record<'_>) {
        call_with(handler, |h| h.handle(record));
    }

    /// The fast path of a callsite (see [`FastPath`]): the message and the time go straight
    /// to the handlers' prepared lines. False, with nothing delivered, when this thread's
    /// scratch buffers are in use (re-entry, thread teardown): the caller takes the general
    /// path.
    #[inline(always)]
    fn deliver_prepared(
        &self,
        state: &State,
        fast: &FastPath,
        level: Level,
        created: SystemTime,
        event: &Event<'_>,
    ) -> bool {
        // Handler levels can change at any time (their filters were checked once). As in
        // Python, a record no handler takes is not formatted.
        let taker = |index: usize| {
            state
                .set
                .handlers
                .get(index)
                .filter(|e| level.number() >= e.level.load(Ordering::Relaxed))
        };
        if fast
            .handlers
            .iter()
            .all(|(index, _)| taker(*index).is_none())
        {
            return true;
        }
        SCRATCH
            .try_with(|cell| {
                let Ok(mut scratch) = cell.try_borrow_mut() else {
                    return false;
                };
                scratch.message.clear();
                collect_message(event, &mut scratch.message);
                for (index, line) in fast.handlers.iter() {
                    if let Some(entry) = taker(*index) {
                        call_with(&entry.handler, |h| {
                            h.write_prepared(line, created, &scratch.message, level);
                        });
                    }
                }
                scratch.release_if_large();
                true
            })
            .unwrap_or(false)
    }

    /// Python's `logging.disable(level)`: drops every record at or below `level`;
    /// `disable(Level::NOTSET)` re-enables everything. As in Python (whose `disable` starts
    /// at 0), a record at level 0 or below is not emitted: `logger.log(0, ...)` writes
    /// nothing there either.
    pub fn disable(&self, level: Level) {
        self.shared
            .disabled_up_to
            .store(level.number(), Ordering::Relaxed);
    }

    /// Sets the level of logger `name` (dotted or `::`; `root` for the root logger) at run
    /// time. Takes effect for the next event.
    pub fn set_logger_level(&self, name: &str, level: Level) {
        self.update_tree(|tree| tree.logger_mut(name).level = level);
    }

    /// Changes the logger tree at run time (levels, propagation, handler lists).
    pub fn update_tree(&self, change: impl FnOnce(&mut LoggerTree)) {
        let _w = self.shared.writer.lock();
        let old = self.shared.state.load_full();
        let mut tree = old.set.tree.clone();
        change(&mut tree);
        let set = HandlerSet {
            handlers: old.set.handlers.clone(),
            tree,
        };
        self.shared.state.store(Arc::new(State::new(set)));
        // Calls still holding the old state deliver to these same handlers: a reload waits
        // for them too before retiring the handlers.
        let mut superseded = self.shared.superseded.lock();
        superseded.retain(|w| w.strong_count() > 0);
        superseded.push(Arc::downgrade(&old));
    }

    /// Sets the level of the handler called `name`; `false` when there is none.
    pub fn set_handler_level(&self, name: &str, level: Level) -> bool {
        let state = self.shared.state.load();
        match state.set.handlers.iter().find(|h| h.name == name) {
            Some(h) => {
                h.level.store(level.number(), Ordering::Relaxed);
                true
            }
            None => false,
        }
    }

    /// The effective level of logger `name`.
    pub fn effective_level(&self, name: &str) -> Level {
        self.shared.state.load().set.tree.effective_level(name)
    }

    /// Replaces the whole handler set (a reload). Records dispatched before the call go to the
    /// old handlers, records after it to the new ones; old handlers that the new set does not
    /// share are flushed and shut down within `deadline`.
    pub fn replace(&self, set: HandlerSet, deadline: Duration) {
        let _w = self.shared.writer.lock();
        let old = self.shared.state.swap(Arc::new(State::new(set)));
        let new = self.shared.state.load();
        let retired: Vec<Arc<HandlerEntry>> = old
            .set
            .handlers
            .iter()
            .filter(|h| {
                !new.set
                    .handlers
                    .iter()
                    .any(|n| Arc::ptr_eq(&n.handler, &h.handler))
            })
            .cloned()
            .collect();
        drop(new);
        let deadline = crate::shutdown::deadline_after(deadline);
        // Records whose logging call began before the swap still hold the old state (or one
        // an earlier level change superseded, sharing its handlers): they belong to the old
        // handlers, so those are shut down only once these records are delivered (a socket or
        // syslog handler drops what arrives after its shutdown).
        let superseded = std::mem::take(&mut *self.shared.superseded.lock());
        self.wait_for_readers(&old, &superseded, deadline);
        drop(old);
        for h in retired {
            h.handler.shutdown(deadline);
        }
    }

    /// Waits until no logging call holds `old` (which this caller holds once) or any of the
    /// `superseded` states, or until `deadline`. A thread inside a handler (a handler that
    /// reloads) may hold the old state itself: it does not wait for itself.
    fn wait_for_readers(&self, old: &Arc<State>, superseded: &[Weak<State>], deadline: Instant) {
        if DEPTH.try_with(Cell::get).unwrap_or(0) > 0 {
            return;
        }
        let mut spins = 0u32;
        // `ArcSwap::swap` and `store` turn every reader's borrowed load of the old pointer
        // into a counted reference before returning, so the counts below see them all.
        while Arc::strong_count(old) > 1 || superseded.iter().any(|w| w.strong_count() > 0) {
            if Instant::now() >= deadline {
                return;
            }
            spins += 1;
            if spins < 64 {
                std::thread::yield_now();
            } else {
                std::thread::sleep(Duration::from_micros(100));
            }
        }
    }

    /// Flushes every handler.
    pub fn flush(&self) {
        let state = self.shared.state.load();
        for h in &state.set.handlers {
            h.handler.flush();
        }
    }

    /// Flushes and shuts down every handler, giving up at `deadline`. Idempotent: a second
    /// call only flushes.
    pub fn shutdown(&self, deadline: Instant) {
        if self.shared.shut_down.swap(true, Ordering::AcqRel) {
            self.flush();
            return;
        }
        let state = self.shared.state.load();
        for h in &state.set.handlers {
            h.handler.shutdown(deadline);
        }
    }

    /// The names of the configured handlers, in order.
    pub fn handler_names(&self) -> Vec<String> {
        self.shared
            .state
            .load()
            .set
            .handlers
            .iter()
            .map(|h| h.name.clone())
            .collect()
    }

    /// A weak reference (for exit hooks that must not keep the handlers alive).
    pub fn downgrade(&self) -> WeakDispatch {
        WeakDispatch(Arc::downgrade(&self.shared))
    }

    fn on_event(&self, event: &Event<'_>, span_text: impl FnOnce(&mut String)) {
        let state = self.shared.state.load();
        let callsite = state.cached_route(event);
        let (normalized, by_name);
        let (route, level, fast, meta, is_log) = match &callsite {
            Some(c) => (&*c.route, c.level, c.fast.as_ref(), event.metadata(), false),
            None => {
                normalized = event.normalized_metadata();
                let meta: &Metadata<'_> = normalized.as_ref().unwrap_or_else(|| event.metadata());
                by_name = state.route_for_name(meta.target());
                (&*by_name, Level::from(*meta.level()), None, meta, true)
            }
        };
        if route.route.disabled
            || level < route.route.effective_level
            || level.number() <= self.shared.disabled_up_to.load(Ordering::Relaxed)
        {
            return;
        }
        let created = SystemTime::now();
        if let Some(fast) = fast {
            if self.deliver_prepared(&state, fast, level, created, event) {
                return;
            }
        }
        let facts = EventFacts {
            route,
            meta,
            level,
            created,
            is_log,
            event,
        };
        let mut span_text = Some(span_text);
        let _ = SCRATCH.try_with(|cell| {
            let Ok(mut scratch) = cell.try_borrow_mut() else {
                return;
            };
            if let Some(span_text) = span_text.take() {
                self.build_and_deliver(&state, facts, &mut scratch, span_text);
            }
            // One huge message or field must not pin its memory for the thread's lifetime.
            scratch.release_if_large();
        });
        if let Some(span_text) = span_text {
            // Re-entered while this thread's scratch is in use (a Display impl that logs), or
            // logged by a thread-local destructor after the scratch's own: private buffers.
            self.build_and_deliver_privately(&state, facts, span_text);
        }
    }

    #[cold]
    #[inline(never)]
    fn build_and_deliver_privately(
        &self,
        state: &State,
        facts: EventFacts<'_, '_>,
        span_text: impl FnOnce(&mut String),
    ) {
        let mut scratch = Scratch::default();
        self.build_and_deliver(state, facts, &mut scratch, span_text);
    }

    #[inline(always)]
    fn build_and_deliver(
        &self,
        state: &State,
        facts: EventFacts<'_, '_>,
        scratch: &mut Scratch,
        span_text: impl FnOnce(&mut String),
    ) {
        let EventFacts {
            route,
            meta,
            level,
            created,
            is_log,
            event,
        } = facts;
        scratch.clear();
        collect_fields(event, scratch, is_log);
        let spans = if state.needs_spans {
            span_text(&mut scratch.spans);
            Some(scratch.spans.as_str())
        } else {
            None
        };
        with_current_thread(|thread| {
            let record = Record {
                level,
                name: &route.name,
                target: meta.target(),
                message: &scratch.message,
                fields: &scratch.fields,
                created,
                relative_created: if state.needs_relative {
                    relative_created_ms(created)
                } else {
                    0.0
                },
                file: meta.file(),
                line: meta.line(),
                module_path: meta.module_path(),
                func_name: if scratch.func_name.is_empty() {
                    None
                } else {
                    Some(scratch.func_name.as_str())
                },
                thread_id: thread.id,
                thread_name: thread.name,
                process_id: crate::record::process_id(),
                process_name: crate::record::PROCESS_NAME,
                spans,
            };
            self.deliver(state, &route.route, &record);
        });
    }
}

/// Runs `f` on `handler` unless this thread is already inside it: an event logged from
/// inside a handler's own write would recurse or deadlock if handed back to it, so it is
/// dropped for that handler. A panic in the handler is reported, not passed on.
#[inline(always)]
fn call_with(handler: &Arc<dyn Handler>, f: impl FnOnce(&dyn Handler)) {
    let addr = Arc::as_ptr(handler) as *const () as usize;
    let Some(_guard) = ActiveGuard::enter(addr) else {
        return;
    };
    if catch_unwind(AssertUnwindSafe(|| f(&**handler))).is_err() {
        report(&Report {
            source: "dispatch",
            kind: ReportKind::Failure,
            message: &"a handler panicked; the record was dropped for it",
        });
    }
}

/// Collects `event`'s message and fields into `scratch`.
#[inline(always)]
fn collect_fields(event: &Event<'_>, scratch: &mut Scratch, is_log: bool) {
    let mut visitor = FieldVisitor {
        scratch,
        skip_log_fields: is_log,
    };
    // A field's `Display` or `Debug` is the caller's code and may panic: the logging call
    // must not, and the record is still written, with what was formatted.
    if catch_unwind(AssertUnwindSafe(|| event.record(&mut visitor))).is_err() {
        formatting_panicked(&mut visitor.scratch.message);
    }
}

/// Collects only `event`'s message, for prepared lines, which print no other field: the
/// other fields are not formatted at all.
#[inline(always)]
fn collect_message(event: &Event<'_>, message: &mut String) {
    if catch_unwind(AssertUnwindSafe(|| {
        event.record(&mut MessageVisitor(message))
    }))
    .is_err()
    {
        formatting_panicked(message);
    }
}

#[cold]
fn formatting_panicked(message: &mut String) {
    message.push_str(FORMATTING_PANICKED);
    report(&Report {
        source: "dispatch",
        kind: ReportKind::Failure,
        message: &"a field's Display or Debug panicked; the record is written with what was formatted before it",
    });
}

/// The message of an event, as [`FieldVisitor`] reads it.
struct MessageVisitor<'s>(&'s mut String);

impl Visit for MessageVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.push_str(value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        }
    }

    // As for `FieldVisitor`, a number or a boolean called `message` is a field.
    fn record_i64(&mut self, _: &Field, _: i64) {}
    fn record_u64(&mut self, _: &Field, _: u64) {}
    fn record_f64(&mut self, _: &Field, _: f64) {}
    fn record_bool(&mut self, _: &Field, _: bool) {}
}

/// Appended to the message of a record one of whose fields panicked while formatting.
const FORMATTING_PANICKED: &str = " [formatting panicked]";

/// What [`Dispatch::on_event`] decided about an event before building its record.
#[derive(Clone, Copy)]
struct EventFacts<'a, 'e> {
    route: &'a CachedRoute,
    meta: &'a Metadata<'a>,
    level: Level,
    created: SystemTime,
    /// A `log` record through the bridge, whose `log.*` fields are not the user's.
    is_log: bool,
    event: &'a Event<'e>,
}

/// A weak reference to a [`Dispatch`].
#[derive(Debug, Clone)]
pub struct WeakDispatch(Weak<Shared>);

impl WeakDispatch {
    /// The dispatcher, if it still exists.
    pub fn upgrade(&self) -> Option<Dispatch> {
        self.0.upgrade().map(|shared| Dispatch { shared })
    }
}

struct FieldVisitor<'s> {
    scratch: &'s mut Scratch,
    skip_log_fields: bool,
}

impl FieldVisitor<'_> {
    fn skip(&self, field: &Field) -> bool {
        let name = field.name();
        name == CRITICAL_FIELD || (self.skip_log_fields && name.starts_with("log."))
    }
}

impl Visit for FieldVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "message" => self.scratch.message.push_str(value),
            "funcName" => self.scratch.func_name.push_str(value),
            _ if self.skip(field) => {}
            name => self
                .scratch
                .fields
                .push_static(name, crate::Value::Str(value)),
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        match field.name() {
            "message" => {
                let _ = write!(self.scratch.message, "{value:?}");
            }
            "funcName" => {
                let _ = write!(self.scratch.func_name, "{value:?}");
            }
            _ if self.skip(field) => {}
            name => self
                .scratch
                .fields
                .push_static_with(name, |s| write!(s, "{value:?}")),
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if !self.skip(field) {
            self.scratch
                .fields
                .push_static(field.name(), crate::Value::I64(value));
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if !self.skip(field) {
            self.scratch
                .fields
                .push_static(field.name(), crate::Value::U64(value));
        }
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        if !self.skip(field) {
            self.scratch
                .fields
                .push_static(field.name(), crate::Value::F64(value));
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        if !self.skip(field) {
            self.scratch
                .fields
                .push_static(field.name(), crate::Value::Bool(value));
        }
    }
}

/// Span fields formatted once when the span is created, for `%(spans)s`.
struct SpanFields(String);

struct SpanFieldVisitor<'a>(&'a mut String);

impl Visit for SpanFieldVisitor<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if !self.0.is_empty() {
            self.0.push(' ');
        }
        let _ = write!(self.0, "{}={:?}", field.name(), value);
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if !self.0.is_empty() {
            self.0.push(' ');
        }
        let _ = write!(self.0, "{}={}", field.name(), value);
    }
}

/// The `tracing` layer of a [`Dispatch`]. Add it to a `tracing_subscriber::Registry`.
#[derive(Clone, Debug)]
pub struct DispatchLayer {
    dispatch: Dispatch,
}

impl DispatchLayer {
    /// The dispatcher this layer feeds.
    pub fn dispatch(&self) -> &Dispatch {
        &self.dispatch
    }
}

impl<S> Layer<S> for DispatchLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &span::Attributes<'_>, id: &span::Id, ctx: Context<'_, S>) {
        if !self.dispatch.shared.state.load().needs_spans {
            return;
        }
        if let Some(span) = ctx.span(id) {
            let mut text = String::new();
            attrs.record(&mut SpanFieldVisitor(&mut text));
            span.extensions_mut().insert(SpanFields(text));
        }
    }

    fn on_record(&self, id: &span::Id, values: &span::Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            let mut ext = span.extensions_mut();
            if let Some(fields) = ext.get_mut::<SpanFields>() {
                values.record(&mut SpanFieldVisitor(&mut fields.0));
            }
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        self.dispatch.on_event(event, |out: &mut String| {
            if let Some(scope) = ctx.event_scope(event) {
                for span in scope.from_root() {
                    if !out.is_empty() {
                        out.push(':');
                    }
                    out.push_str(span.name());
                    let ext = span.extensions();
                    if let Some(fields) = ext.get::<SpanFields>() {
                        if !fields.0.is_empty() {
                            let _ = write!(out, "{{{}}}", fields.0);
                        }
                    }
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FieldSet, FormatHandler, Formatter, MemorySink};

    /// A peer that sends every record under a new logger name (or an `--events` file that
    /// does) must not make the route cache grow for ever; records past the bound are still
    /// routed by their own name.
    #[test]
    fn routes_by_name_are_cached_up_to_a_bound_and_still_right_past_it() {
        let sink = Arc::new(MemorySink::new());
        let handler = FormatHandler::new(sink.clone())
            .with_formatter(Formatter::percent("%(name)s").unwrap());
        let mut set = HandlerSet::new();
        let memory = set.add_handler(HandlerEntry::new("memory", Arc::new(handler)));
        set.tree.logger_mut("quiet").level = Level::CRITICAL;
        set.tree.root_mut().handlers.push(memory);
        let dispatch = Dispatch::new(set);
        let fields = FieldSet::new();
        let total = MAX_CACHED_NAMES + 1000;
        for i in 0..total {
            let name = format!("peer{i}::quiet");
            dispatch.dispatch(&Record::new(Level::ERROR, &name, "m", &fields));
            let name = format!("quiet.n{i}");
            dispatch.dispatch(&Record::new(Level::ERROR, &name, "dropped", &fields));
        }
        assert_eq!(
            dispatch.shared.state.load().by_name.read().len(),
            MAX_CACHED_NAMES
        );
        let text = sink.text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), total);
        // `dispatch` prints the caller's name; the route is by its dotted form.
        assert_eq!(lines[total - 1], format!("peer{}::quiet", total - 1));
        // A name cached before the bound keeps its route.
        dispatch.dispatch(&Record::new(Level::ERROR, "quiet.n0", "dropped", &fields));
        dispatch.dispatch(&Record::new(Level::ERROR, "peer0::quiet", "m", &fields));
        assert!(sink.text().ends_with("peer0::quiet\n"));
        assert_eq!(sink.text().lines().count(), total + 1);
    }
}
