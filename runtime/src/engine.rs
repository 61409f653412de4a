//! The rule engine: runs a program's rules on events, with either backend, and turns matches
//! into [`Alert`]s.
//!
//! This module owns rule selection and alert rendering:
//!
//! * **Indexing by event type.** An event is only tested against the rules whose event types
//!   contain its name; rules with [`EventTypes::All`] are tested on every event. Within an
//!   event type, rules keep their load order.
//! * **Matching modes**, as Falco's `rule_matching`: [`MatchMode::First`] (the default: the first
//!   matching rule in load order wins, later ones are not evaluated) and [`MatchMode::All`].
//! * **Disabled rules** are never evaluated (they can be switched on with
//!   [`Engine::set_enabled`]). Events flagged state-only in a capture are not shown to rules.
//! * **Backends.** [`Backend::Interp`] walks the nodes; [`Backend::Jit`] runs native code from
//!   [`crate::jit`]; both evaluate checks through the same [`EvalCtx`], so they agree. If the JIT
//!   cannot compile the program the engine falls back to the interpreter and says why
//!   ([`Engine::jit_error`]).
//! * **Evaluation order.** The engine runs the program in the order it is given
//!   (`rulec_compiler::compile` puts exclusions last: [`rulec_ir::opt::exclusions_last`]); after
//!   its first evaluations it orders every junction by what it observed
//!   ([`crate::eval::order`]) and, on the JIT, recompiles once. Checks are pure, so this changes
//!   how soon a rule's value is known, never the value. The order is chosen after the shared
//!   passes are switched on, and prices each check as this engine will run it, where that is
//!   cheaper than the static model says: a check an exact (hash) shared pass decides is a bit read
//!   ([`rulec_ir::cost::SHARED_BIT`]), and a test the JIT compiles inline costs its comparison
//!   plus its share of the slot's computation among the checks that read it, never less than a
//!   cached fetch ([`rulec_ir::cost::CACHED_SLOT`]), and no call ([`Engine::check_prices`]).
//!   Without that, `evt.is_open_write = true` (a call out of the JIT) looked cheaper than
//!   a path test that one pass decides for thirty rules, and was tried first on every open.
//! * **Shared string passes** ([`Sharing`], `eval/shared.rs`): while profiling, the engine
//!   also counts how many checks of each slot's shared pass an event reaches, and switches on
//!   the passes that pay ([`SHARED_MIN_REACH_EXACT`], [`SHARED_MIN_REACH_SCAN`]); the JIT is
//!   rebuilt to read their verdict bits inline. Verdicts never change, only their cost.
//!   While it counts, the JIT calls back for string tests (only the shared evaluator counts
//!   them); afterwards it compiles them inline ([`crate::jit::Callbacks::slot_str`]).
//! * **One native call per event** ([`Engine::run_batch`]): once profiling is over, the JIT is
//!   rebuilt with one batch function per candidate list that events ran while profiling
//!   ([`crate::jit::JitProgram::compile_batches`]): all of the list's rules in one call, each
//!   slot fetched once for all of them, the matching rules' positions returned, and the
//!   alerts rendered from them in rule order as before. A list's event name decides every check
//!   on `evt.type`, so its batch takes them as constants ([`Compiled::type_verdicts`]). While profiling (and counting shared
//!   passes' reach), and for a list without a batch, the engine calls one rule function per
//!   rule. Switching a rule on or off rebuilds the lists, and the batches with them.
//! * **Compiles off the event path** ([`Compiles`], `engine/compiles.rs`). By default the JIT
//!   is compiled on the calling thread, when the engine is built and when profiling ends, so
//!   which code runs never depends on timing (tests, `rulec bench`). With
//!   [`Compiles::Background`] (`rulec run`) every compile runs on a thread of its own and the
//!   events go on meanwhile on the code the engine has: the interpreter while it profiles (no
//!   compile before then), the earlier JIT code for a later rebuild (the lists changed, or
//!   event types first seen after profiling). Both compute the values the new code computes
//!   (reordering and shared passes change costs, not verdicts); the new code is installed by
//!   the first rule-by-rule evaluation that finds the compile finished (it looks at the
//!   thread's state while one runs), or at once by [`Engine::finish_compile`], which
//!   configuration calls (`set_enabled`, `set_sharing`, `set_adaptive_order`) also make first.
//!   Measured with callgrind on `rulec run --replay` of the upstream rules on libs-curl_google
//!   ×400 (614,400 events): the main thread 971 M → 690 M instructions (its event loop 866 M → 617 M), the compile's 270 M on
//!   a thread of its own; wall clock, the ×40 capture (61,440 events) ends before the compile
//!   does and runs on the interpreter throughout.
//! * **Alert text.** [`Alert::message`] is the rule's output with every `%field` replaced by its
//!   value (`<NA>` when absent). [`Alert::output`] is Falco's line: the event time as
//!   `HH:MM:SS.nnnnnnnnn` (UTC, where Falco uses the local time zone: UTC keeps outputs
//!   reproducible), `: `, the priority, a space and the message:
//!   `12:00:00.000000001: Warning shell spawned (user=root)`.
//! * **Deciding and rendering apart.** [`Engine::process`] decides which rules match and renders
//!   their alerts in one call; [`Engine::process_matches`] only decides (the matching rules'
//!   indices) and [`Engine::render_alerts`] renders them afterwards, for the same event and
//!   state, into the same alerts (they share the decision code, generic over what becomes of a
//!   match: `MatchSink`). `rulec bench --rules` times the two apart: the decision is what the
//!   backends differ in, and the hand-written predicate it is compared with renders nothing.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap as HashMap;
use std::ffi::c_void;

use rulec_ir::{self as ir, EventTypes, OutputPiece, Priority, Program};

use crate::eval::order::Profile;
use crate::eval::{Compiled, EvalCtx, ExtractFn, SlotCache, interp};
use crate::event::Event;
use crate::jit::JitProgram;
use crate::state::State;

mod compiles;

pub use compiles::Compiles;

/// Which backend evaluates rule conditions.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Backend {
    /// The reference interpreter.
    Interp,
    /// Native code compiled with Cranelift.
    Jit,
}

/// Falco's `rule_matching`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum MatchMode {
    /// The first matching rule (in load order) wins.
    #[default]
    First,
    /// Every matching rule alerts.
    All,
}

/// One rule matching one event.
#[derive(Clone, PartialEq, Debug)]
pub struct Alert {
    /// The event's time, nanoseconds since the epoch.
    pub time: u64,
    pub rule: String,
    pub priority: Priority,
    pub source: String,
    pub tags: Vec<String>,
    /// Falco's output line: time, priority and message (see the module doc).
    pub output: String,
    /// The rule's output with its fields substituted.
    pub message: String,
    /// Each output field as written (`proc.name`, `proc.aname[2]`, `tolower(proc.name)`) → its
    /// value as printed (`<NA>` when absent).
    pub output_fields: BTreeMap<String, String>,
}

/// Counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EngineStats {
    /// Events given to [`Engine::process`] (state-only ones included).
    pub events: u64,
    /// Rule evaluations.
    pub evaluations: u64,
    /// Alerts produced.
    pub alerts: u64,
}

/// Rule evaluations observed before the engine orders junctions by what it saw
/// ([`crate::eval::order`]).
const PROFILE_WALKS: u32 = 8192;

/// A shared string pass is switched on when, over the first evaluations, an event that reached
/// one of its checks reached at least this many on average: below, the checks' own matchers
/// (which only run when reached) cost less than one pass over every pattern of the slot.
/// Measured with callgrind (instructions per event of the timed passes of `rulec bench`,
/// 20,000 generated events): a hash pass (`=`, `!=`, `in`) switched on for every group reached
/// costs the upstream `falco_rules.yaml` 5% more on the JIT (280 against 267) and saves the
/// stdlib 11% (805 against 909); from 1.5 to 3 checks per event it saves the stdlib as much
/// (807-813) and leaves the upstream rules as they were (266-267).
pub const SHARED_MIN_REACH_EXACT: f64 = 2.0;

/// The same for a pass that scans the value with an automaton (prefixes, suffixes,
/// substrings). Its cost grows with the slot's patterns and the value's length; switched on at
/// 1, 2, 3 or 4 checks per event it never paid in those measurements (stdlib JIT 810-973
/// against 805-813 with hash passes only), so it takes many checks per event (a long unguarded
/// `or` of `startswith`/`contains` on one field).
pub const SHARED_MIN_REACH_SCAN: f64 = 8.0;

/// Whether checks are decided by shared string passes (see `eval/shared.rs`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Sharing {
    /// Each pass switched on when its checks are reached often enough per event
    /// ([`SHARED_MIN_REACH`]) over the first evaluations (the default).
    Measured,
    /// Every pass on (tests).
    On,
    /// Every check on its own matcher (the reference).
    Off,
}

/// Slots of the candidate cache indexed by event-type id (a power of two above the event
/// table's ids, so that each id of a capture has a slot of its own).
const TYPE_CACHE: usize = 512;

/// Slots of the event-name cache behind it (direct-mapped by the name's address; a power of
/// two), for the names that share an id: generic events are named after their syscall.
const NAME_CACHE: usize = 256;

/// A candidate-cache entry: an event name (its address and length) and its candidate list;
/// address 0: empty.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct NameCacheEntry {
    name: usize,
    len: usize,
    /// Index into `Engine::lists`, or [`NO_RULES`].
    list: u32,
}

impl NameCacheEntry {
    const EMPTY: NameCacheEntry = NameCacheEntry { name: 0, len: 0, list: 0 };

    /// The key of an event name: its address and length (a `&'static str`, so equal keys mean
    /// equal text).
    #[inline]
    fn key(name: &str) -> (usize, usize) {
        (name.as_ptr() as usize, name.len())
    }

    /// The entry's list when it holds `key`.
    #[inline]
    fn list_of(self, key: (usize, usize)) -> Option<u32> {
        ((self.name, self.len) == key).then_some(self.list)
    }
}

/// A name-cache entry's list for a name whose candidate list is empty: the event is settled
/// without looking at the list.
const NO_RULES: u32 = u32::MAX;

/// Runs a program's rules on events.
pub struct Engine {
    compiled: Compiled,
    jit: Option<JitProgram>,
    /// Whether [`Backend::Jit`] was asked for (it runs unless `jit_error` says why not).
    jit_asked: bool,
    /// Where the JIT is compiled.
    compiles: Compiles,
    /// A compile running in the background (see `engine/compiles.rs`).
    pending: Option<compiles::Pending>,
    /// Whether `jit` compiles string tests inline.
    jit_strings: bool,
    /// Whether batch functions were tried for the current lists (a failure is not retried).
    batches_tried: bool,
    /// Per list, whether an event ran it while profiling: only those get a batch function
    /// (compiling one costs about what compiling its rules does; an event type not seen in
    /// the first evaluations keeps the per-rule calls). Empty: every list.
    seen: Vec<bool>,
    /// Per list, whether `jit` has a batch function for it; empty when `jit` holds no batch
    /// functions for the lists as they are now (see [`Engine::run_batch`]).
    batched: Vec<bool>,
    /// Events run rule by rule since the batches were built, on lists without one: when they
    /// reach [`PROFILE_WALKS`], every list gets a batch (one more rebuild at most).
    unbatched_runs: u32,
    /// The positions of the rules a batch call matched (as long as the longest list).
    matched: Vec<u32>,
    jit_error: Option<String>,
    mode: MatchMode,
    enabled: Vec<bool>,
    /// Event name → index into `lists`: the enabled rules to test, in load order (the `All`
    /// rules included).
    by_type: HashMap<String, u32>,
    /// Candidate lists; `lists[0]` holds the enabled rules with `EventTypes::All`, what an event
    /// of any other name is tested on.
    lists: Vec<Vec<usize>>,
    /// `by_type` behind two caches whose entries are keyed by the address and length of the
    /// event's name (a `&'static str`, so equal keys mean equal text): one slot per event-type
    /// id (`type_cache`), which most events hit with no hashing at all, and one slot per
    /// hashed name address (`name_cache`), for the names an id's slot does not hold (a
    /// generic event's syscall names, an event built with another name's id).
    /// Held in the engine (not boxed): one load less on every event.
    type_cache: [NameCacheEntry; TYPE_CACHE],
    name_cache: Box<[NameCacheEntry; NAME_CACHE]>,
    /// While set, rule evaluations are observed to order junctions (see [`crate::eval::order`]).
    profile: Option<Profile>,
    sharing: Sharing,
    cache: SlotCache,
    stats: EngineStats,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("backend", &self.backend())
            .field("mode", &self.mode)
            .field("rules", &self.enabled.len())
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// An engine running `program` as given (see `rulec_compiler::compile` for the program of a
    /// checked ruleset).
    pub fn new(program: Program, backend: Backend) -> Engine {
        Engine::build(Compiled::new(&program), backend, Compiles::Inline)
    }

    /// An engine compiling its JIT where `compiles` says (see [`Compiles`]).
    pub fn with_compiles(program: Program, backend: Backend, compiles: Compiles) -> Engine {
        Engine::build(Compiled::new(&program), backend, compiles)
    }

    /// An engine reading fields through `extract` instead of [`crate::fields::extract`].
    pub fn with_extractor(program: Program, backend: Backend, extract: ExtractFn) -> Engine {
        Engine::build(Compiled::with_extractor(&program, extract), backend, Compiles::Inline)
    }

    fn build(compiled: Compiled, backend: Backend, compiles: Compiles) -> Engine {
        let p = compiled.program();
        let enabled = p.rules.iter().map(|r| r.enabled).collect();
        let profile = Some(Profile::new(p));
        let mut e = Engine {
            compiled,
            jit: None,
            jit_asked: backend == Backend::Jit,
            compiles,
            pending: None,
            jit_strings: false,
            batches_tried: false,
            seen: Vec::new(),
            batched: Vec::new(),
            unbatched_runs: 0,
            matched: Vec::new(),
            jit_error: None,
            mode: MatchMode::First,
            enabled,
            by_type: HashMap::default(),
            lists: vec![Vec::new()],
            type_cache: [NameCacheEntry::EMPTY; TYPE_CACHE],
            name_cache: Box::new([NameCacheEntry::EMPTY; NAME_CACHE]),
            profile,
            sharing: Sharing::Measured,
            cache: SlotCache::new(),
            stats: EngineStats::default(),
        };
        e.reindex();
        // Profiling with measured sharing from the start: string tests are called back. In the
        // background, the interpreter profiles and the JIT is compiled once, after it.
        if compiles == Compiles::Inline {
            e.rebuild_jit();
        }
        e
    }

    pub fn set_mode(&mut self, mode: MatchMode) {
        self.mode = mode;
    }

    pub fn mode(&self) -> MatchMode {
        self.mode
    }

    /// Enables or disables every rule called `name`; returns how many there are.
    pub fn set_enabled(&mut self, name: &str, enabled: bool) -> usize {
        self.finish_compile();
        let mut n = 0;
        for (i, r) in self.compiled.program().rules.iter().enumerate() {
            if r.name == name {
                self.enabled[i] = enabled;
                n += 1;
            }
        }
        self.reindex();
        n
    }

    /// The backend running: the one asked for, or the interpreter when the JIT failed to
    /// compile. With [`Compiles::Background`], the interpreter runs the events before the JIT
    /// code is in ([`Engine::compiling`], [`Engine::finish_compile`]).
    pub fn backend(&self) -> Backend {
        if self.jit_asked && self.jit_error.is_none() { Backend::Jit } else { Backend::Interp }
    }

    /// Why the JIT could not be used, when [`Backend::Jit`] was asked for and failed (with
    /// [`Compiles::Background`], known once the compile has finished and been installed).
    pub fn jit_error(&self) -> Option<&str> {
        self.jit_error.as_deref()
    }

    pub fn program(&self) -> &Program {
        self.compiled.program()
    }

    pub fn stats(&self) -> EngineStats {
        self.stats
    }

    /// Reads every value through the per-event slot cache, never in place (tests compare the
    /// two: see [`crate::eval::Compiled::disable_direct_reads`]). The JIT, if running, calls
    /// into the same evaluator, so it needs no rebuild.
    pub fn disable_direct_reads(&mut self) {
        self.compiled.disable_direct_reads();
    }

    /// How checks are decided by shared string passes: [`Sharing::On`] and [`Sharing::Off`]
    /// apply at once (the JIT, if running, is rebuilt for the new verdict bits);
    /// [`Sharing::Measured`] decides when the first evaluations are done.
    pub fn set_sharing(&mut self, sharing: Sharing) {
        self.finish_compile();
        self.sharing = sharing;
        let on = match sharing {
            Sharing::On => true,
            Sharing::Off => false,
            Sharing::Measured => return self.refresh_jit(),
        };
        for g in 0..self.compiled.shared_groups() {
            self.compiled.share(g, on);
        }
        self.rebuild_jit();
    }

    /// Whether evaluations count how often shared passes' checks are reached (see
    /// [`Engine::adapt`]): only the shared evaluator counts, so the JIT then calls back for
    /// string tests rather than compiling them inline.
    fn counting(&self) -> bool {
        self.profile.is_some() && self.sharing == Sharing::Measured
    }

    /// Whether events are now run as one JIT batch call per candidate list (after profiling,
    /// see [`Engine::run_batch`]), rather than one call per rule.
    pub fn batched(&self) -> bool {
        !self.batched.is_empty() && self.profile.is_none()
    }

    /// How many checks shared string passes decide (see `eval/shared.rs`).
    pub fn shared_checks(&self) -> usize {
        self.compiled.verdict_bits().iter().filter(|b| b.is_some()).count()
    }

    /// Checks or slot computations that panicked (a rulec bug when non-zero).
    pub fn panics(&self) -> u64 {
        self.cache.panics()
    }

    /// Whether some enabled rule is tested on events named `name` (a rule without event
    /// types is tested on every event): what a replay must decode for this engine
    /// (`capture::replay::WantedTypes`).
    pub fn wants(&self, name: &str) -> bool {
        let list = self.by_type.get(name).map_or(0, |&i| i as usize);
        self.lists.get(list).is_some_and(|l| !l.is_empty())
    }

    fn reindex(&mut self) {
        let rules = &self.compiled.program().rules;
        let mut by_type: HashMap<String, Vec<usize>> = HashMap::default();
        for (i, r) in rules.iter().enumerate() {
            if let EventTypes::Some(names) = &r.event_types
                && self.enabled[i]
            {
                for n in names {
                    by_type.entry(n.clone()).or_default();
                }
            }
        }
        let mut any_type = Vec::new();
        for (i, r) in rules.iter().enumerate().filter(|(i, _)| self.enabled[*i]) {
            match &r.event_types {
                EventTypes::All => {
                    any_type.push(i);
                    for list in by_type.values_mut() {
                        list.push(i);
                    }
                }
                EventTypes::Some(names) => {
                    for n in names {
                        if let Some(list) = by_type.get_mut(n) {
                            list.push(i);
                        }
                    }
                }
            }
        }
        let mut lists = vec![any_type];
        let mut index = HashMap::default();
        // In name order, so that the lists (and the JIT's batch functions) do not depend on the
        // hash map's order.
        let mut by_type: Vec<(String, Vec<usize>)> = by_type.into_iter().collect();
        by_type.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        for (name, list) in by_type {
            index.insert(name, lists.len() as u32);
            lists.push(list);
        }
        let longest = lists.iter().map(Vec::len).max().unwrap_or(0);
        self.matched.resize(longest, 0);
        self.by_type = index;
        self.lists = lists;
        self.type_cache.fill(NameCacheEntry::EMPTY);
        self.name_cache.fill(NameCacheEntry::EMPTY);
        // The batch functions run the old lists: rebuilt when next needed (see `run_candidates`).
        self.batched.clear();
        self.drop_compile();
        self.batches_tried = false;
        // Profiling is what tells which lists are run; after it, every list gets a batch.
        self.seen = if self.profile.is_some() { vec![false; self.lists.len()] } else { Vec::new() };
    }

    /// The candidate list of `ev` as its id's slot of the type cache holds it ([`NO_RULES`]: an
    /// empty list); `None` when the slot holds another name.
    #[inline]
    fn cached_candidates(&self, ev: &Event) -> Option<u32> {
        // Field by field (not `list_of` on a copy of the entry): the list is then loaded from the
        // entry's address as the key was, one instruction less per event (measured in the asm).
        let e = &self.type_cache[usize::from(ev.type_id) % TYPE_CACHE];
        (NameCacheEntry::key(ev.name) == (e.name, e.len)).then_some(e.list)
    }

    /// The name cache's slot of an event name's key.
    #[inline]
    fn name_slot(key: (usize, usize)) -> usize {
        // Fibonacci hashing of the address: the top bits of the product pick the slot.
        let h = (key.0 ^ key.1.rotate_left(16)).wrapping_mul(0x9E37_79B9_7F4A_7C15_u64 as usize);
        h >> (usize::BITS - NAME_CACHE.trailing_zeros())
    }

    /// The candidate list of `ev` when its id's slot holds another name: from the name cache,
    /// else by the hashed lookup (remembered there); either way now in the id's slot too
    /// ([`NO_RULES`] for an empty list).
    fn candidates_miss(&mut self, ev: &Event) -> u32 {
        let (name, len) = NameCacheEntry::key(ev.name);
        let slot = Engine::name_slot((name, len));
        let i = self.name_cache.get(slot).and_then(|e| e.list_of((name, len))).unwrap_or_else(|| {
            let i = self.by_type.get(ev.name).copied().unwrap_or(0);
            if self.lists.get(i as usize).is_none_or(Vec::is_empty) { NO_RULES } else { i }
        });
        let entry = NameCacheEntry { name, len, list: i };
        if let Some(e) = self.name_cache.get_mut(slot) {
            *e = entry;
        }
        if let Some(e) = self.type_cache.get_mut(usize::from(ev.type_id) % TYPE_CACHE) {
            *e = entry;
        }
        i
    }

    /// Runs the rules on `ev` (with `state` as it is after `ev`), appending alerts to `out`.
    pub fn process(&mut self, ev: &Event, state: &State, out: &mut Vec<Alert>) {
        self.run(ev, state, out);
    }

    /// Decides which rules match `ev` (with `state` as it is after `ev`) without rendering
    /// their alerts: appends the matching rules' indices (into the program's rules) to
    /// `matched`, in the order [`Engine::process`] would alert. [`Engine::render_alerts`] then
    /// gives exactly the alerts `process` would have given. `process` is the two in one; they
    /// are apart so that a measurement can tell the decision's cost from the rendering's.
    pub fn process_matches(&mut self, ev: &Event, state: &State, matched: &mut Vec<usize>) {
        self.run(ev, state, &mut Decided(matched));
    }

    /// The alerts of the rules `matched` on `ev` (what [`Engine::process_matches`] gave for this event
    /// and state), appended to `out` in order; an index out of range is skipped.
    pub fn render_alerts(&mut self, ev: &Event, state: &State, matched: &[usize], out: &mut Vec<Alert>) {
        let mut ctx = EvalCtx::new(&self.compiled, &mut self.cache, ev, state);
        for &r in matched {
            out.matched(&mut ctx, r);
        }
    }

    /// [`Engine::process`] with what becomes of each match left to `out`.
    #[inline(always)]
    fn run<S: MatchSink>(&mut self, ev: &Event, state: &State, out: &mut S) {
        self.stats.events += 1;
        if ev.state_only() {
            return;
        }
        // The common path saves no registers: what calls anything else ends with that call.
        let Some(list) = self.cached_candidates(ev) else {
            return self.process_uncached(ev, state, out);
        };
        // Most events: no rule to run, no context to set up.
        if list != NO_RULES {
            self.run_candidates(ev, state, out, list);
        }
    }

    /// [`Engine::process`] for an event whose name the cache does not hold (kept out of line,
    /// so that the common path of `process` saves no registers: measured with callgrind, 10
    /// instructions less on every event).
    #[cold]
    #[inline(never)]
    fn process_uncached<S: MatchSink>(&mut self, ev: &Event, state: &State, out: &mut S) {
        let list = self.candidates_miss(ev);
        if list != NO_RULES {
            self.run_candidates(ev, state, out, list);
        }
    }

    /// Runs the rules of candidate list `list` on `ev` (kept out of [`Engine::process`], so
    /// that the common case, an event no rule looks at, stays a small function). `list` comes
    /// last so that `process`'s own arguments stay in their registers: measured with callgrind,
    /// 3 instructions less on every event.
    #[inline(never)]
    fn run_candidates<S: MatchSink>(&mut self, ev: &Event, state: &State, out: &mut S, list: u32) {
        let list = list as usize;
        if self.profile.is_none()
            && self.batched.get(list).copied().unwrap_or(false)
            && self.run_batch(list, ev, state, out)
        {
            return;
        }
        self.run_rules(list, ev, state, out);
    }

    /// [`Engine::run_candidates`] rule by rule: while profiling, on the interpreter, and for a
    /// list without a batch function (kept apart so that the batch call stays a small path).
    #[inline(never)]
    fn run_rules<S: MatchSink>(&mut self, list: usize, ev: &Event, state: &State, out: &mut S) {
        if self.pending.is_some() {
            // A background compile: its code goes in once finished (see `engine/compiles.rs`).
            self.poll_compile();
        }
        if self.profile.is_none() && self.jit.is_some() && self.pending.is_none() {
            if self.batched.is_empty() && !self.batches_tried {
                // The lists changed since the JIT was built (a rule switched on or off).
                self.rebuild_jit();
                if self.batched.get(list).copied().unwrap_or(false) && self.run_batch(list, ev, state, out) {
                    return;
                }
            } else if !self.batched.is_empty() {
                // An event type first seen after profiling: rule by rule for now, and batched
                // at the next rebuild if such events keep coming.
                self.unbatched_runs = self.unbatched_runs.saturating_add(1);
                if self.unbatched_runs >= PROFILE_WALKS && !self.seen.is_empty() {
                    // Every list gets a batch; the batches there are run until it is in.
                    self.seen.clear();
                    self.rebuild_jit();
                }
            }
        }
        let Some(candidates) = self.lists.get(list) else { return };
        if self.profile.is_some()
            && let Some(seen) = self.seen.get_mut(list)
        {
            *seen = true;
        }
        let count = self.counting();
        let mut ctx = EvalCtx::new(&self.compiled, &mut self.cache, ev, state);
        for &r in candidates {
            self.stats.evaluations += 1;
            // While profiling, how often each shared pass's checks are reached (by the real,
            // short-circuit evaluation, not the profile's full walk).
            ctx.set_counting(count);
            let matched = run_rule(self.jit.as_ref(), &mut ctx, r);
            ctx.set_counting(false);
            if let Some(profile) = &mut self.profile
                && let Some(rule) = ctx.compiled().program().rules.get(r)
            {
                // The verdict is `matched`; this only counts outcomes, on the cached slots.
                profile.observe(&mut ctx, rule.root);
            }
            if !matched {
                continue;
            }
            out.matched(&mut ctx, r);
            self.stats.alerts += 1;
            if self.mode == MatchMode::First {
                break;
            }
        }
        if self.profile.as_ref().is_some_and(|p| p.walks() >= PROFILE_WALKS) {
            self.adapt();
        }
    }

    /// Runs candidate list `list` as one call of its JIT batch function (which runs the rules
    /// in order, fetching each slot value once for all of them), then renders the matches in
    /// order; false when the JIT has no batch for it (nothing was run). Inlined into
    /// [`Engine::run_candidates`], so that a batch event goes through one function's register
    /// saves and argument moves, not two (measured with callgrind: 25 instructions less per
    /// batch event).
    #[inline(always)]
    fn run_batch<S: MatchSink>(&mut self, list: usize, ev: &Event, state: &State, out: &mut S) -> bool {
        let (Some(jit), Some(candidates)) = (self.jit.as_ref(), self.lists.get(list)) else { return false };
        let first = self.mode == MatchMode::First;
        let mut ctx = EvalCtx::new(&self.compiled, &mut self.cache, ev, state);
        let ptr = (&mut ctx as *mut EvalCtx<'_>).cast::<c_void>();
        // SAFETY: as in `run_rule`: the program was compiled with `JIT_CALLBACKS` for this
        // context's program (`compile_jit`), and `ctx` is ours alone for the call.
        let Some(n) = (unsafe { jit.eval_batch(list, ptr, first, &mut self.matched) }) else { return false };
        // In `First` mode the rules after the match were not run.
        let run = match (first, self.matched.first()) {
            (true, Some(&p)) if n > 0 => p as usize + 1,
            _ => candidates.len(),
        };
        self.stats.evaluations += run as u64;
        for &pos in self.matched.iter().take(n) {
            let Some(&r) = candidates.get(pos as usize) else { continue };
            out.matched(&mut ctx, r);
            self.stats.alerts += 1;
        }
        true
    }

    /// Whether the engine orders junctions by the outcomes of its first evaluations (the
    /// default; see [`crate::eval::order`]). Switching it off keeps the optimiser's order
    /// from now on.
    pub fn set_adaptive_order(&mut self, on: bool) {
        self.finish_compile();
        if !on {
            // Nothing will be observed: every list gets a batch function, which the JIT only
            // builds when not profiling, so it is rebuilt whatever else changed (before, turning
            // profiling off after `set_sharing` left the engine without batch functions).
            let was = self.profile.take().is_some();
            self.seen.clear();
            if was {
                return self.rebuild_jit();
            }
        } else if self.profile.is_none() {
            self.profile = Some(Profile::new(self.compiled.program()));
        }
        self.refresh_jit();
    }

    /// Orders junctions by the profile, switches on the shared passes that pay (with
    /// [`Sharing::Measured`]) and stops profiling; the JIT, if running, is rebuilt for the new
    /// order and verdict bits.
    fn adapt(&mut self) {
        let Some(profile) = self.profile.take() else { return };
        let mut changed = false;
        if self.sharing == Sharing::Measured {
            let reach = self.cache.reach(self.compiled.shared_groups());
            for (g, r) in reach.into_iter().enumerate() {
                let min =
                    if self.compiled.shared_pass_is_exact(g) { SHARED_MIN_REACH_EXACT } else { SHARED_MIN_REACH_SCAN };
                if r.is_some_and(|r| r >= min) {
                    self.compiled.share(g, true);
                    changed = true;
                }
            }
        }
        // The order is chosen once the passes are known: a check a pass decides is a bit read.
        let costs = rulec_ir::cost::node_costs_priced(self.compiled.program(), &self.check_prices());
        let changes = profile.order(self.compiled.program(), &costs);
        changed |= !changes.is_empty();
        for (node, children) in changes {
            self.compiled.reorder(node, children);
        }
        // Profiling is over: the JIT may also compile string tests inline now.
        if changed || !self.jit_strings {
            self.rebuild_jit();
        }
    }

    /// Per check, what it costs as this engine runs it after profiling, where that differs
    /// from the static model (`None`): a bit of a shared pass that is one hash lookup (a
    /// scanning pass stays priced by the model: the first check reached pays the whole scan,
    /// measured dearer on the upstream rules when priced as a bit), and on the JIT a test
    /// compiled inline on the slot's cached value (the model prices computing the slot, which
    /// an event pays once for all the checks that read it, and no call out of the code).
    fn check_prices(&self) -> Vec<Option<f64>> {
        let p = self.compiled.program();
        let exact = self.compiled.decided_by_exact_pass();
        let inline = if self.backend() == Backend::Jit {
            crate::jit::inline_checks(p, true, &self.compiled.remembered_slots())
        } else {
            Vec::new()
        };
        // A slot is computed once per event and then fetched from the cache by every other
        // check that reads it: an inline test pays its share of the computation, never less
        // than a cached fetch (a slot only one or two checks read, such as an ancestor's name,
        // keeps most of its price).
        let mut readers = vec![0u32; p.slots.len()];
        for c in &p.checks {
            if let Some(r) = readers.get_mut(c.slot.0 as usize) {
                *r += 1;
            }
        }
        p.checks
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if exact.get(i).copied().unwrap_or(false) {
                    Some(rulec_ir::cost::SHARED_BIT)
                } else if inline.get(i).copied().unwrap_or(false) {
                    let slot = p.slots.get(c.slot.0 as usize).map_or(1.0, |s| rulec_ir::cost::slot_cost(p, s));
                    let share = slot / f64::from(readers.get(c.slot.0 as usize).copied().unwrap_or(1).max(1));
                    Some(rulec_ir::cost::test_cost(&c.test) + share.max(rulec_ir::cost::CACHED_SLOT))
                } else {
                    None
                }
            })
            .collect()
    }

    /// Whether rule `rule` (an index into the program's rules) matches `ev`, whatever its event
    /// types and whether it is enabled (for tests and tools).
    pub fn eval_rule(&mut self, rule: usize, ev: &Event, state: &State) -> bool {
        let mut ctx = EvalCtx::new(&self.compiled, &mut self.cache, ev, state);
        run_rule(self.jit.as_ref(), &mut ctx, rule)
    }
}

fn run_rule(jit: Option<&JitProgram>, ctx: &mut EvalCtx<'_>, rule: usize) -> bool {
    match jit {
        Some(j) => {
            let ptr = (ctx as *mut EvalCtx<'_>).cast::<c_void>();
            // SAFETY: the program was compiled with `JIT_CALLBACKS`, which take exactly this: a
            // pointer to a live `EvalCtx` used by nobody else during the call (we hold `&mut`),
            // for the program the context was compiled from; they bounds-check every id. The
            // context starts with its `VerdictHeader` (see `compile_jit`).
            unsafe { j.eval_rule(rule, ptr) }
        }
        None => interp::eval_rule(ctx, rule),
    }
}

/// What the engine does with a rule that matched (see [`Engine::process_matches`]).
trait MatchSink {
    /// Rule `rule` (an index into the program's rules) matched the event of `ctx`.
    fn matched(&mut self, ctx: &mut EvalCtx<'_>, rule: usize);
}

/// Alerts rendered at once ([`Engine::process`]; [`Engine::render_alerts`] after the decision).
impl MatchSink for Vec<Alert> {
    #[inline]
    fn matched(&mut self, ctx: &mut EvalCtx<'_>, rule: usize) {
        if let Some(rule) = ctx.compiled().program().rules.get(rule) {
            self.push(render(ctx, rule));
        }
    }
}

/// Matching rules only, for [`Engine::render_alerts`] ([`Engine::process_matches`]).
struct Decided<'m>(&'m mut Vec<usize>);

impl MatchSink for Decided<'_> {
    #[inline]
    fn matched(&mut self, _: &mut EvalCtx<'_>, rule: usize) {
        self.0.push(rule);
    }
}

fn render(ctx: &mut EvalCtx<'_>, rule: &ir::Rule) -> Alert {
    let mut message = String::new();
    let mut output_fields = BTreeMap::new();
    for piece in &rule.output {
        match piece {
            OutputPiece::Text(t) => message.push_str(t),
            OutputPiece::Slot { slot, written } => {
                let text = ctx.slot_guarded(*slot).map_or_else(|| "<NA>".to_owned(), ToString::to_string);
                message.push_str(&text);
                let key = written.strip_prefix('%').unwrap_or(written);
                output_fields.insert(key.to_owned(), text);
            }
        }
    }
    let time = ctx.event().ts;
    Alert {
        time,
        rule: rule.name.clone(),
        priority: rule.priority,
        source: rule.source.clone(),
        tags: rule.tags.clone(),
        output: format!("{}: {} {}", clock(time), rule.priority.as_str(), message),
        message,
        output_fields,
    }
}

/// `HH:MM:SS.nnnnnnnnn` of a time in nanoseconds since the epoch, UTC.
pub fn clock(ns: u64) -> String {
    let secs = ns / 1_000_000_000;
    let (h, m, s) = ((secs / 3600) % 24, (secs / 60) % 60, secs % 60);
    format!("{h:02}:{m:02}:{s:02}.{:09}", ns % 1_000_000_000)
}
