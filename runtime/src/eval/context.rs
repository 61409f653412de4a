//! The per-event evaluation context ([`EvalCtx`]) and the slot cache it fills
//! ([`SlotCache`]): slot values computed lazily, at most once per event, into buffers reused
//! from event to event.
//!
//! This module owns when a slot is computed; what a check makes of the value is `leaf.rs`.

use super::*;

/// Slot values of the current event, reused from event to event without reallocating: an entry
/// is valid when its generation is the current one, and its `Value` keeps its buffers (string,
/// list) for the next event's extraction to write into.
#[derive(Debug, Default)]
pub struct SlotCache {
    pub(super) generation: u64,
    pub(super) entries: Vec<Entry>,
    pub(super) panics: u64,
    /// Remembered verdicts of flag-text checks ([`Read::FlagText`]), `FLAG_MEMO_WAYS` per
    /// check; they depend on the program only, so a cache reused for another program must be
    /// cleared: `memo_owner` is the [`Compiled::id`] they belong to.
    pub(super) flag_memo: Vec<FlagMemoEntry>,
    /// Per flag-text memo, the event type and index its parameter was last found at (the
    /// first index tried on the next event: see [`Event::param_named_hinted`]).
    pub(super) flag_pos: Vec<(u16, u32)>,
    /// Remembered verdicts of checks that scan their value, one per check with a
    /// [`CheckPlan::memo`]; they too belong to `memo_owner`'s program.
    pub(super) value_memo: Vec<ValueMemo>,
    /// Verdicts of the thread group remembered by thread (`thread_memo.rs`); they too belong
    /// to `memo_owner`'s program.
    pub(super) thread_memo: Vec<u64>,
    /// While counting: per entry of the thread memo, the tid and versions it would hold (see
    /// [`Reach`]'s `misses`).
    pub(super) thread_probe: Vec<[u64; 3]>,
    pub(super) memo_owner: u64,
    /// The shared passes' stamps and verdict bits (see `shared.rs`), reached during an event
    /// only through the context's [`VerdictHeader`] (the JIT's code reads them too).
    pub(super) verdicts: Vec<u64>,
    /// While set, evaluations of checks that belong to a shared pass are counted in `reach`
    /// (the engine does so during its first evaluations, to decide which passes pay).
    pub(super) counting: bool,
    pub(super) reach: Vec<Reach>,
}

/// How often one shared pass's checks were reached: on how many events (`events`, the last
/// one's generation `seen`) and how many times in all (`checks`); for the thread group
/// (`thread_memo.rs`), on how many of those events its memo would have missed (`misses`), each
/// miss evaluating all its `size` checks.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Reach {
    pub(super) seen: u64,
    pub(super) events: u64,
    pub(super) checks: u64,
    pub(super) misses: u64,
    pub(super) size: u64,
}

#[derive(Debug, Clone)]
pub(super) struct Entry {
    /// The generation the entry was computed in (0: never).
    pub(super) generation: u64,
    /// Whether the value could be computed; `value` is meaningless when not.
    pub(super) present: bool,
    pub(super) value: Value,
}

impl Entry {
    const EMPTY: Entry = Entry { generation: 0, present: false, value: Value::Bool(false) };

    #[inline]
    pub(super) fn get(&self, generation: u64) -> Option<&Value> {
        (self.generation == generation && self.present).then_some(&self.value)
    }
}

impl SlotCache {
    pub fn new() -> SlotCache {
        SlotCache::default()
    }

    /// Per shared pass (by group index), the average number of its checks reached on an event
    /// that reached one, over the evaluations counted (`None`: never reached); for the thread
    /// group, less the checks its memo's misses would have evaluated (all of its checks on
    /// each), so that it is the number of evaluations the group saves per event.
    pub fn reach(&self, groups: usize) -> Vec<Option<f64>> {
        (0..groups)
            .map(|g| {
                let r = self.reach.get(g).filter(|r| r.events > 0)?;
                Some((r.checks as f64 - r.misses as f64 * r.size as f64) / r.events as f64)
            })
            .collect()
    }

    /// Makes the cache ready for an event of `compiled` ([`EvalCtx::new`]'s rare work): skips
    /// generation 0 on wrap-around, sizes the entries and verdict words for the program, and
    /// forgets the memos and verdicts of another program.
    #[cold]
    #[inline(never)]
    fn prepare(&mut self, compiled: &Compiled) {
        if self.generation == 0 {
            // Wrapped (after 2^64 events): generation 0 marks entries never computed, so skip it
            // and forget every entry, which may carry any older generation.
            self.generation = 1;
            for e in &mut self.entries {
                e.generation = 0;
            }
            self.verdicts.fill(0);
        }
        if self.entries.len() < compiled.slots.len() {
            self.entries.resize(compiled.slots.len(), Entry::EMPTY);
        }
        if self.memo_owner != compiled.id {
            self.flag_memo.clear();
            self.flag_pos.clear();
            self.value_memo.clear();
            self.thread_memo.clear();
            self.thread_probe.clear();
            self.verdicts.fill(0);
            self.memo_owner = compiled.id;
        }
        if self.verdicts.len() < compiled.shared.words {
            self.verdicts.resize(compiled.shared.words, 0);
        }
    }

    /// How many checks or slot computations panicked (and were taken as false / absent): a
    /// rulec bug if non-zero.
    pub fn panics(&self) -> u64 {
        self.panics
    }
}

/// The context of one event: what the backends evaluate checks in. It starts with the
/// [`VerdictHeader`] that code compiled with the program's verdict bits reads
/// ([`Compiled::verdict_bits`]), hence `repr(C)`.
#[repr(C)]
pub struct EvalCtx<'a> {
    /// The cache's `verdicts`, borrowed for the event (all accesses go through this pointer).
    pub(super) header: VerdictHeader,
    pub(super) compiled: &'a Compiled,
    pub(super) cache: &'a mut SlotCache,
    /// The event, the state, and the thread/fd lookups its fields share.
    pub(super) src: fields::Src<'a>,
}

impl std::fmt::Debug for EvalCtx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EvalCtx").field("event", &self.src.ev.name).field("ts", &self.src.ev.ts).finish()
    }
}

impl<'a> EvalCtx<'a> {
    /// Starts evaluating `ev` (with `state` as it is after `ev`): every slot is recomputed on
    /// first use.
    ///
    /// Inlined into the engine's per-event paths: what it does on every event is one
    /// generation step, two comparisons and the context's stores; sizing the cache for the
    /// program, forgetting another program's memos and the generation's wrap-around are
    /// [`SlotCache::prepare`]'s (out of line: with them inline, saving and restoring the
    /// registers they use cost a batch event about 20 instructions more, measured with
    /// callgrind).
    #[inline]
    pub fn new(compiled: &'a Compiled, cache: &'a mut SlotCache, ev: &'a Event, state: &'a State) -> EvalCtx<'a> {
        cache.generation = cache.generation.wrapping_add(1);
        // Sized for the program when `memo_owner` became its id (`prepare`): a program's slots
        // and verdict words never change under one id, and the cache never shrinks.
        if cache.generation == 0 || cache.memo_owner != compiled.id {
            cache.prepare(compiled);
        }
        let header = VerdictHeader {
            words: cache.verdicts.as_mut_ptr(),
            len: cache.verdicts.len(),
            generation: cache.generation,
        };
        EvalCtx { header, compiled, cache, src: fields::Src::new(ev, state) }
    }

    /// Starts or stops counting how often the checks of each shared pass are reached (see
    /// [`SlotCache::reach`]).
    pub fn set_counting(&mut self, on: bool) {
        self.cache.counting = on;
    }

    pub fn compiled(&self) -> &'a Compiled {
        self.compiled
    }

    pub fn event(&self) -> &'a Event {
        self.src.ev
    }

    pub fn state(&self) -> &'a State {
        self.src.st
    }

    /// The value of slot `id` for this event (`None`: absent, or no such slot).
    pub fn slot(&mut self, id: SlotId) -> Option<&Value> {
        self.ensure(id);
        self.cache.entries.get(id.0 as usize).and_then(|e| e.get(self.cache.generation))
    }

    /// Like [`EvalCtx::slot`], but a panic while computing (a rulec bug) gives `None` and is
    /// counted.
    pub fn slot_guarded(&mut self, id: SlotId) -> Option<&Value> {
        let ok = catch_unwind(AssertUnwindSafe(|| self.ensure(id))).is_ok();
        if !ok {
            self.cache.panics += 1;
            if let Some(e) = self.cache.entries.get_mut(id.0 as usize) {
                e.generation = self.cache.generation;
                e.present = false;
            }
        }
        self.cache.entries.get(id.0 as usize).and_then(|e| e.get(self.cache.generation))
    }

    #[inline]
    pub(super) fn ensure(&mut self, id: SlotId) {
        let i = id.0 as usize;
        let generation = self.cache.generation;
        match self.cache.entries.get(i) {
            Some(e) if e.generation == generation => {}
            Some(_) => self.compute(id),
            None => {}
        }
    }

    /// Computes slot `id` (whose entry exists and is stale) into its entry.
    pub(super) fn compute(&mut self, id: SlotId) {
        let i = id.0 as usize;
        let generation = self.cache.generation;
        let compiled = self.compiled;
        // The cache may be longer than this program's slot table (it is reused across
        // programs); ids past the table are absent (their entry stays stale).
        let Some(plan) = compiled.slots.get(i) else { return };
        match plan {
            SlotPlan::Field { field, arg, get, norm } => {
                let Some(entry) = self.cache.entries.get_mut(i) else { return };
                // Mark the entry first: should the extractor panic, the value is not taken
                // from a half-written buffer.
                entry.generation = generation;
                entry.present = false;
                let (ev, st) = (self.src.ev, self.src.st);
                let present = match get {
                    Getter::Direct(f) => f.write(arg.as_ref(), &self.src, &mut entry.value),
                    Getter::Generic(f) => match f(field, arg.as_ref(), ev, st) {
                        Some(v) => {
                            entry.value = v;
                            true
                        }
                        None => false,
                    },
                    Getter::Missing => false,
                };
                if present && *norm != Norm::None {
                    normalize(&mut entry.value, *norm);
                }
                entry.present = present;
            }
            SlotPlan::Transform { func, inputs, index } => {
                // Inputs have smaller ids (verified), so this recursion terminates.
                for input in inputs {
                    if let SlotInput::Slot(s) = input
                        && s.0 < id.0
                    {
                        self.ensure(*s);
                    }
                }
                let entries = &self.cache.entries;
                let vals: Vec<Option<&Value>> = inputs
                    .iter()
                    .map(|input| match input {
                        SlotInput::Slot(s) if s.0 < id.0 => entries.get(s.0 as usize).and_then(|e| e.get(generation)),
                        _ => None,
                    })
                    .collect();
                let lits: Vec<Option<&str>> = inputs
                    .iter()
                    .map(|input| match input {
                        SlotInput::Literal(l) => Some(l.as_str()),
                        SlotInput::Slot(_) => None,
                    })
                    .collect();
                let value = transform(*func, &vals, &lits, index.as_deref());
                if let Some(entry) = self.cache.entries.get_mut(i) {
                    entry.generation = generation;
                    entry.present = value.is_some();
                    if let Some(v) = value {
                        entry.value = v;
                    }
                }
            }
        }
    }
}
