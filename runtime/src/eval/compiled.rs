//! A program compiled once for evaluation ([`Compiled`]): per slot, how its value is got
//! (a field's extractor resolved from the field table, or a transformer) and normalised; per
//! check, its matcher and the read path it takes ([`Read`]: cached, borrowed in place, on the
//! stack, or flag verdicts remembered).
//!
//! This module builds plans; it evaluates nothing (that is `leaf.rs` and `context.rs`).

use super::*;

/// A program with every matcher built: string sets hashed, multi-pattern searches as
/// aho-corasick automata, globs and regexes compiled, networks parsed. Built once, shared by
/// every event.
pub struct Compiled {
    pub(super) program: Program,
    pub(super) slots: Vec<SlotPlan>,
    pub(super) checks: Vec<CheckPlan>,
    /// Per slot, how `slot_num` reads it.
    pub(super) reads: Vec<Read>,
    /// The shared string passes (see `shared.rs`).
    pub(super) shared: Groups,
    /// Distinct for every `Compiled` built in this process (remembered verdicts belong to one).
    pub(super) id: u64,
}

impl std::fmt::Debug for Compiled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compiled")
            .field("slots", &self.slots.len())
            .field("checks", &self.checks.len())
            .field("rules", &self.program.rules.len())
            .finish()
    }
}

/// How a field slot gets its value.
#[derive(Clone, Copy)]
pub(super) enum Getter {
    /// Resolved once from the field table.
    Direct(fields::FieldFn),
    Generic(ExtractFn),
    /// rulec has no extractor for the field: always absent.
    Missing,
}

/// Integer normalisation by slot type (see the module doc).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Norm {
    None,
    Signed,
    Unsigned,
}

pub(super) enum SlotPlan {
    Field { field: &'static FieldInfo, arg: Option<FieldArgValue>, get: Getter, norm: Norm },
    Transform { func: Transformer, inputs: Vec<SlotInput>, index: Option<String> },
}

pub(super) struct CheckPlan {
    pub(super) slot: SlotId,
    /// The slot is a list slot (`in` means "all values").
    pub(super) list: bool,
    /// How the check reads the slot's value.
    pub(super) read: Read,
    pub(super) m: Matcher,
    /// The shared pass deciding this check, if its group is switched on: (group, where its
    /// verdict is).
    pub(super) shared: Option<(u32, VerdictBit)>,
    /// The group the check belongs to, switched on or not (reach is counted by it).
    pub(super) group: Option<u32>,
    /// The check's entry in the slot cache's value memo ([`SlotCache`]'s `value_memo`), for a
    /// test that scans the value (see [`scans_value`]): its last verdict is kept with the
    /// value's bytes, and a value equal to the last one is not scanned again.
    pub(super) memo: Option<u32>,
}

/// Whether a matcher runs an automaton or a pattern engine over the value (several patterns,
/// case folding, globs, regexes, path sets), so that comparing the value with the last one
/// tested costs less than testing it: the values it sees repeat from event to event (a
/// process's command line, the name of a file read in a loop). Equalities, sets, anchored
/// single patterns and one substring (a vectorised search, about as cheap as the comparison:
/// measured, remembering them cost the stdlib's JIT 4% per event) keep no memo.
pub(super) fn scans_value(m: &Matcher) -> bool {
    match m {
        Matcher::Single { pat, .. } => !matches!(pat, Single::Bytes(_) | Single::Sub(_)),
        Matcher::Multi { set, .. } => !matches!(set, MultiSet::Exact(_)),
        Matcher::PMatch(_) => true,
        _ => false,
    }
}

/// Longest value whose verdicts a check remembers (see [`CheckPlan::memo`]): longer ones are
/// tested every time, so the memo holds at most this many bytes per check.
pub(super) const MEMO_MAX_LEN: usize = 4096;

/// Values a check tests before its memo is judged, once: when fewer than one in
/// [`MEMO_MIN_HIT_RATE`] of them repeated the last one, the memo is dropped for good and
/// the check tests every value (a file name that changes on every open pays the comparison
/// and copy for nothing).
pub(super) const MEMO_TRIAL: u32 = 1024;

/// See [`MEMO_TRIAL`].
pub(super) const MEMO_MIN_HIT_RATE: u32 = 4;

/// One check's remembered verdict: the bytes of the last value it tested and its verdict on
/// them (`bytes` empty and `valid` false until a value was tested), and how well remembering
/// pays ([`MEMO_TRIAL`]).
#[derive(Clone, Debug, Default)]
pub(super) struct ValueMemo {
    pub(super) valid: bool,
    pub(super) verdict: bool,
    /// The memo is dropped: every value is tested.
    pub(super) off: bool,
    pub(super) tests: u32,
    pub(super) hits: u32,
    pub(super) bytes: Vec<u8>,
}

/// How a check (or the JIT's `slot_num`) gets a field slot's value. Each way gives the same
/// value (the borrowed and stack forms are tested against the cached one), so this only
/// decides the cost: copying a string into the slot's buffer and keeping it pays when several
/// checks read a computed value (`proc.cmdline`); a name the state already holds is cheaper to
/// read again in place, and a number is cheaper to recompute than to store.
#[derive(Clone)]
pub(super) enum Read {
    /// Through the per-event slot cache ([`SlotCache`]): computed once, kept for the event.
    Cached,
    /// Borrowed from the event or the state ([`fields::borrow`]): no copy, nothing kept.
    Borrow(fields::borrow::BorrowFn, Option<FieldArgValue>),
    /// A number, bool or address computed into a local value: nothing to keep.
    Stack(fields::FieldFn, Option<FieldArgValue>, Norm),
    /// A test on `evt.arg.NAME` whose parameter holds flags (`evt.arg.flags contains O_TRUNC`):
    /// the rendered text, hence the verdict, depends only on the event's name, the parameter's
    /// type and its bits, so verdicts are remembered by those in the slot cache's memo `memo`
    /// (flag values repeat: most opens have one of a few flag sets) and the text is only
    /// rendered on a miss.
    FlagText { name: Box<str>, memo: u32 },
}

/// Remembered verdicts of one flag-text check: a few entries, direct-mapped.
pub(super) const FLAG_MEMO_WAYS: usize = 8;

#[derive(Clone, Copy, Debug, Default)]
pub(super) struct FlagMemoEntry {
    /// Address of the event's name (a `&'static str`: equal address and length, equal text);
    /// 0: empty.
    pub(super) name: usize,
    /// The name's length, and the parameter type's discriminant in the low byte.
    pub(super) len_ty: u64,
    pub(super) bits: u64,
    pub(super) verdict: bool,
}

/// The parameter name of an `evt.arg.NAME` slot read with the real extractors (whose flag
/// parameters a check can remember verdicts for: see [`Read::FlagText`]).
pub(super) fn flag_param(plan: &SlotPlan) -> Option<&str> {
    match plan {
        SlotPlan::Field { field, arg: Some(FieldArgValue::Key(k)), get: Getter::Direct(_), .. }
            if field.name == "evt.arg" =>
        {
            Some(k)
        }
        _ => None,
    }
}

/// How slot `slot` can be read without the cache, if it can: a field slot with the real
/// extractors, whose value is never a list.
pub(super) fn read_of(p: &Program, plan: &SlotPlan, slot: usize) -> Read {
    let SlotPlan::Field { field, arg, get: Getter::Direct(f), norm } = plan else { return Read::Cached };
    if p.slots.get(slot).is_none_or(Slot::may_yield_list) {
        return Read::Cached;
    }
    if let Some(b) = fields::borrow::lookup(field.name, arg.as_ref()) {
        return Read::Borrow(b, arg.clone());
    }
    let copy_type = *norm != Norm::None || matches!(field.ty, FieldType::Bool | FieldType::Double | FieldType::IpAddr);
    if copy_type { Read::Stack(*f, arg.clone(), *norm) } else { Read::Cached }
}
impl Compiled {
    /// Compiles `p`, reading fields with [`fields::extract`]'s extractors.
    pub fn new(p: &Program) -> Compiled {
        Compiled::build(p, None)
    }

    /// Compiles `p`, reading every field through `extract` instead.
    pub fn with_extractor(p: &Program, extract: ExtractFn) -> Compiled {
        Compiled::build(p, Some(extract))
    }

    pub(super) fn build(p: &Program, extract: Option<ExtractFn>) -> Compiled {
        let slots: Vec<SlotPlan> = p
            .slots
            .iter()
            .map(|s| match s {
                Slot::Field { field, arg } => {
                    let get = match extract {
                        Some(f) => Getter::Generic(f),
                        None => fields::extractor(field).map_or(Getter::Missing, Getter::Direct),
                    };
                    SlotPlan::Field { field, arg: arg.clone(), get, norm: norm_of(field.ty) }
                }
                Slot::Transform { func, inputs, index, .. } => {
                    SlotPlan::Transform { func: *func, inputs: inputs.clone(), index: index.clone() }
                }
            })
            .collect();
        let reads: Vec<Read> = slots.iter().enumerate().map(|(i, plan)| read_of(p, plan, i)).collect();
        let mut memos = 0u32;
        let mut value_memos = 0u32;
        let shared = Groups::build(p, &slots, &reads);
        let checks = p
            .checks
            .iter()
            .zip(&shared.of_check)
            .map(|(c, &group)| {
                let list = p.slots.get(c.slot.0 as usize).is_some_and(Slot::is_list);
                let m = build_matcher(&c.test);
                // A comparison with another slot reads both through the cache.
                let read = match (&m, reads.get(c.slot.0 as usize)) {
                    (Matcher::Slot { .. }, _) | (_, None) => Read::Cached,
                    _ if list => Read::Cached,
                    (_, Some(Read::Cached)) => match flag_param(&slots[c.slot.0 as usize]) {
                        Some(name) => {
                            memos += 1;
                            Read::FlagText { name: name.into(), memo: memos - 1 }
                        }
                        None => Read::Cached,
                    },
                    (_, Some(r)) => r.clone(),
                };
                let memo = (!list && scans_value(&m)).then(|| {
                    value_memos += 1;
                    value_memos - 1
                });
                // Groups start switched off: see `Compiled::share`.
                CheckPlan { slot: c.slot, list, read, m, shared: None, group: group.map(|(g, _)| g), memo }
            })
            .collect();
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let id = NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Compiled { program: p.clone(), slots, checks, reads, shared, id }
    }

    /// Per slot, the JIT callbacks specialised to it, for contexts of this program: a slot that
    /// reads a field in place with no argument gets its field's own readers
    /// (`callbacks::plain_readers`), which answer as [`JIT_CALLBACKS`]' general ones do.
    pub fn slot_readers(&self) -> SlotReaders {
        let p = self.program();
        let mut readers = SlotReaders::default();
        for (i, read) in self.reads.iter().enumerate() {
            let plain = match (read, p.slots.get(i)) {
                (Read::Borrow(_, None), Some(Slot::Field { field, arg: None })) => fields::borrow::plain(field.name)
                    .and_then(|k| super::callbacks::plain_readers(k, field.ty == FieldType::Bool)),
                _ => None,
            };
            readers.strs.push(plain.map(|r| r.0));
            readers.num.push(plain.map(|r| r.1));
        }
        readers.remembered = self.remembered_slots();
        readers
    }

    /// Per slot, whether a check on it remembers its verdicts by value ([`Read::FlagText`]).
    pub fn remembered_slots(&self) -> Vec<bool> {
        let mut out = vec![false; self.reads.len()];
        for c in &self.checks {
            if matches!(c.read, Read::FlagText { .. })
                && let Some(r) = out.get_mut(c.slot.0 as usize)
            {
                *r = true;
            }
        }
        out
    }

    /// Per check, where its verdict is when a shared pass decides it (for the JIT:
    /// [`crate::jit::JitProgram::compile_shared`] with contexts of this program).
    pub fn verdict_bits(&self) -> Vec<Option<VerdictBit>> {
        self.checks.iter().map(|c| c.shared.map(|(_, b)| b)).collect()
    }

    /// Per check, whether a shared pass that is one hash lookup (see
    /// [`Compiled::shared_pass_is_exact`]) is switched on for it: its verdict is then a bit
    /// read, the lookup paid once per event for the whole group.
    pub fn decided_by_exact_pass(&self) -> Vec<bool> {
        self.checks.iter().map(|c| c.shared.is_some_and(|(g, _)| self.shared_pass_is_exact(g as usize))).collect()
    }

    /// The checks on `evt.type` whose verdict an event called `name` decides, with that verdict
    /// (check id, verdict): the real extractor's `evt.type` is the event's name, always present,
    /// so such a check is a constant for the events of one name. Each verdict is the check's own
    /// matcher on that value, as the interpreter would compute it. With another extractor
    /// ([`Compiled::with_extractor`]) nothing is known.
    pub fn type_verdicts(&self, name: &str) -> Vec<(u32, bool)> {
        let is_type = |slot: SlotId| {
            matches!(
                self.slots.get(slot.0 as usize),
                Some(SlotPlan::Field { field, arg: None, get: Getter::Direct(_), norm: Norm::None })
                    if field.name == "evt.type" && !field.is_list
            )
        };
        self.checks
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.list && !matches!(c.m, Matcher::Slot { .. }) && is_type(c.slot))
            .map(|(i, c)| (i as u32, c.test_scalar(ValueRef::Str(name), None)))
            .collect()
    }

    /// The program this was compiled from.
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// Reads every slot through the per-event cache, never in place (for tests comparing the
    /// two ways: they must give the same verdicts).
    pub fn disable_direct_reads(&mut self) {
        // A new identity: verdicts remembered under the old reads are dropped.
        self.id = self.id.wrapping_add(1 << 48);
        for c in &mut self.checks {
            c.read = Read::Cached;
        }
        for r in &mut self.reads {
            *r = Read::Cached;
        }
        for g in &mut self.shared.groups {
            g.read = Read::Cached;
        }
    }

    /// Switches shared pass `group` on or off for its checks (off: each check on its own
    /// matcher). Code compiled with the old [`Compiled::verdict_bits`] still computes the same
    /// values (a check it reads inline finds no fresh stamp and calls back), but only code
    /// compiled with the new ones reads the bits inline.
    pub fn share(&mut self, group: usize, on: bool) {
        let bits: Vec<Option<(u32, VerdictBit)>> =
            self.shared.of_check.iter().map(|b| b.filter(|(g, _)| *g as usize == group && on)).collect();
        for (plan, (b, of)) in self.checks.iter_mut().zip(bits.into_iter().zip(&self.shared.of_check)) {
            if of.is_some_and(|(g, _)| g as usize == group) {
                plan.shared = b;
            }
        }
    }

    /// Whether shared pass `group` is one hash lookup (`=`, `!=`, `in`) rather than a scan of
    /// the value by an automaton.
    pub fn shared_pass_is_exact(&self, group: usize) -> bool {
        self.shared.groups.get(group).is_some_and(|g| g.exact_only)
    }

    /// Number of shared passes (switched on or not).
    pub fn shared_groups(&self) -> usize {
        self.shared.groups.len()
    }

    /// Puts the children of junction `node` in the order `children`, which must be a
    /// permutation of them (else nothing changes and this returns false). Every node keeps its
    /// value (see [`order`]); only the evaluation order of the junction changes.
    pub fn reorder(&mut self, node: NodeId, children: Vec<NodeId>) -> bool {
        let Some(Node::And(kids) | Node::Or(kids)) = self.program.nodes.get_mut(node.0 as usize) else {
            return false;
        };
        let (mut a, mut b) = (kids.clone(), children.clone());
        a.sort_unstable();
        b.sort_unstable();
        if a != b {
            return false;
        }
        *kids = children;
        true
    }
}

pub(super) fn norm_of(ty: FieldType) -> Norm {
    match ty.int_signedness() {
        Some(true) => Norm::Signed,
        Some(false) => Norm::Unsigned,
        None => Norm::None,
    }
}

/// Normalises an integer value (or a list's) to the slot's signedness, in place.
pub(super) fn normalize(v: &mut Value, norm: Norm) {
    match (norm, &mut *v) {
        // Reinterpreting the 64 bits is what the JIT does with `slot_num`; the extractors give
        // the schema's variant anyway, so this only matters for a buggy extractor.
        (Norm::Signed, Value::Uint(u)) => {
            let i = *u as i64;
            *v = Value::Int(i);
        }
        (Norm::Unsigned, Value::Int(i)) => {
            let u = *i as u64;
            *v = Value::Uint(u);
        }
        (Norm::Signed | Norm::Unsigned, Value::List(xs)) => {
            for x in xs {
                normalize(x, norm);
            }
        }
        _ => {}
    }
}
