//! Leaf evaluation, the meaning of one check on one event: the check's read path (cached,
//! borrowed, on the stack, remembered flag verdicts), then its test on the value, element by
//! element for lists; a test that scans its value answers from the verdict it remembers for
//! the last value when the bytes are the same ([`CheckPlan::memo`]). Also the JIT's numeric
//! read ([`EvalCtx::slot_num`]).
//!
//! Both backends reach checks only through [`EvalCtx::eval_check`], which never unwinds.

use super::*;

/// What [`EvalCtx::slot_bytes`] found.
pub(super) enum SlotBytes {
    Absent,
    /// Address and length of the bytes, valid while the context lives.
    Bytes(*const u8, usize),
    Other,
}

impl SlotBytes {
    /// What a field read in place gives as bytes ([`EvalCtx::slot_bytes`] of a borrowed slot).
    #[inline(always)]
    pub(super) fn borrowed(v: Option<ValueRef<'_>>) -> SlotBytes {
        match v {
            Some(v) => v.as_bytes().map_or(SlotBytes::Other, |b| SlotBytes::Bytes(b.as_ptr(), b.len())),
            None => SlotBytes::Absent,
        }
    }
}

impl CheckPlan {
    /// The test on a present value (any-semantics for lists, see the module doc).
    pub(super) fn test(&self, v: &Value, other: Option<&Value>) -> bool {
        match (v, &self.m) {
            (_, Matcher::Exists) => true,
            (Value::List(xs), Matcher::In(set)) if self.list => {
                !xs.is_empty() && xs.iter().all(|x| x.scalar_ref().is_some_and(|x| set.contains(x)))
            }
            (Value::List(xs), _) => xs.iter().any(|x| x.scalar_ref().is_some_and(|x| self.test_scalar(x, other))),
            _ => v.scalar_ref().is_some_and(|v| self.test_scalar(v, other)),
        }
    }

    /// The test on one present scalar (a list's element, or the whole value of a scalar slot).
    #[inline]
    pub(super) fn test_scalar(&self, v: ValueRef<'_>, other: Option<&Value>) -> bool {
        match &self.m {
            Matcher::Exists => true,
            Matcher::Never => false,
            Matcher::Compare { cmp, rhs } => compare(v, *cmp, rhs),
            Matcher::Single { op, pat } => v.as_bytes().is_some_and(|b| single(*op, pat, b)),
            Matcher::Multi { op, modifier, total, set } => {
                v.as_bytes().is_some_and(|b| multi(*op, *modifier, *total, set, b))
            }
            Matcher::In(set) | Matcher::Intersects(set) => set.contains(v),
            Matcher::PMatch(ps) => v.as_bytes().is_some_and(|b| ps.matches(b)),
            Matcher::Slot { op, .. } => match other {
                Some(Value::List(ys)) => ys.iter().any(|y| slot_op(*op, v, y)),
                Some(y) => slot_op(*op, v, y),
                None => false,
            },
        }
    }
}

/// `plan`'s test on a present scalar `v`, through the check's value memo when it has one (see
/// [`CheckPlan::memo`]).
#[inline]
fn test_remembered(cache: &mut SlotCache, plan: &CheckPlan, v: ValueRef<'_>) -> bool {
    if plan.memo.is_none() {
        return plan.test_scalar(v, None);
    }
    test_remembered_in(&mut cache.value_memo, plan, v)
}

/// [`test_remembered`] on the memo table: the remembered verdict when `v`'s bytes are the last
/// ones the check tested, else the test, remembered with the bytes (values up to
/// [`MEMO_MAX_LEN`] bytes), unless the memo was dropped for missing too often.
fn test_remembered_in(memos: &mut Vec<ValueMemo>, plan: &CheckPlan, v: ValueRef<'_>) -> bool {
    let (Some(m), Some(bytes)) = (plan.memo, v.as_bytes()) else { return plan.test_scalar(v, None) };
    let m = m as usize;
    if memos.len() <= m {
        memos.resize(m + 1, ValueMemo::default());
    }
    let Some(e) = memos.get_mut(m) else { return plan.test_scalar(v, None) };
    if e.off {
        return plan.test_scalar(v, None);
    }
    // Counted during the trial only (then `tests` stays past it).
    let judging = e.tests <= MEMO_TRIAL;
    e.tests += u32::from(judging);
    if e.valid && e.bytes == bytes {
        e.hits += u32::from(judging);
        return e.verdict;
    }
    let verdict = plan.test_scalar(v, None);
    if e.tests >= MEMO_TRIAL && e.hits * MEMO_MIN_HIT_RATE < e.tests {
        // Values rarely repeat for this check: stop comparing and copying them.
        *e = ValueMemo { off: true, ..ValueMemo::default() };
    } else if bytes.len() <= MEMO_MAX_LEN {
        e.bytes.clear();
        e.bytes.extend_from_slice(bytes);
        e.verdict = verdict;
        e.valid = true;
    } else {
        e.valid = false;
    }
    verdict
}

impl<'a> EvalCtx<'a> {
    /// Evaluates check `id` on this event; false for an unknown id. A panic (a rulec bug) makes
    /// it false and is counted, so this never unwinds.
    pub fn eval_check(&mut self, id: CheckId) -> bool {
        match catch_unwind(AssertUnwindSafe(|| self.eval_check_raw(id))) {
            Ok(b) => b,
            Err(_) => {
                self.cache.panics += 1;
                false
            }
        }
    }

    pub(super) fn eval_check_raw(&mut self, id: CheckId) -> bool {
        let compiled = self.compiled;
        let Some(plan) = compiled.checks.get(id.0 as usize) else { return false };
        if self.cache.counting
            && let Some(g) = plan.group
        {
            self.count_reach(g as usize);
        }
        if let Some((group, bit)) = plan.shared {
            return self.shared_verdict(group, bit);
        }
        self.eval_own(plan)
    }

    /// A check on its own (not through a shared pass): its read path, then its matcher.
    /// Inlined: it is most of [`EvalCtx::eval_check_raw`], which every callback runs (measured:
    /// a call here cost the upstream rules 3 instructions per event).
    #[inline(always)]
    pub(super) fn eval_own(&mut self, plan: &CheckPlan) -> bool {
        match &plan.read {
            Read::Cached => {}
            Read::Borrow(get, arg) => {
                let cache = &mut *self.cache;
                return get(arg.as_ref(), &self.src).is_some_and(|v| test_remembered(cache, plan, v));
            }
            Read::Stack(get, arg, norm) => {
                let mut v = Value::Bool(false);
                if !get.write(arg.as_ref(), &self.src, &mut v) {
                    return false;
                }
                normalize(&mut v, *norm);
                return match v.scalar_ref() {
                    Some(r) => test_remembered(self.cache, plan, r),
                    None => plan.test(&v, None),
                };
            }
            Read::FlagText { name, memo } => {
                let ev = self.src.ev;
                // `evt.arg.NAME` is the parameter called NAME when there is one (see
                // `fields::evt`); other shapes take the cached path.
                // Where the parameter was on the last event of this type that had it.
                let m = *memo as usize;
                let known = self.cache.flag_pos.get(m).filter(|h| h.0 == ev.type_id).map(|h| h.1 as usize);
                if let Some((pos, p)) = ev.param_named_hinted(name, known.unwrap_or(0))
                    && let crate::event::ParamValue::Flags { ty, bits } = *p.value
                {
                    if known != Some(pos) {
                        if self.cache.flag_pos.len() <= m {
                            self.cache.flag_pos.resize(m + 1, (0, 0));
                        }
                        if let Some(h) = self.cache.flag_pos.get_mut(m) {
                            *h = (ev.type_id, pos as u32);
                        }
                    }
                    let key = FlagMemoEntry {
                        name: ev.name.as_ptr() as usize,
                        len_ty: ((ev.name.len() as u64) << 8) | u64::from(ty as u8),
                        bits,
                        verdict: false,
                    };
                    let way = (key.name ^ bits.rotate_left(7) as usize ^ (bits >> 11) as usize) % FLAG_MEMO_WAYS;
                    let i = *memo as usize * FLAG_MEMO_WAYS + way;
                    if let Some(e) = self.cache.flag_memo.get(i)
                        && e.name == key.name
                        && e.len_ty == key.len_ty
                        && e.bits == key.bits
                    {
                        return e.verdict;
                    }
                    let verdict = self.eval_cached(plan);
                    if self.cache.flag_memo.len() <= i {
                        self.cache.flag_memo.resize(i + 1, FlagMemoEntry::default());
                    }
                    if let Some(e) = self.cache.flag_memo.get_mut(i) {
                        *e = FlagMemoEntry { verdict, ..key };
                    }
                    return verdict;
                }
            }
        }
        self.eval_cached(plan)
    }

    /// Counts one check of shared pass `g` reached on this event.
    #[cold]
    fn count_reach(&mut self, g: usize) {
        if self.cache.reach.len() <= g {
            self.cache.reach.resize(g + 1, Reach::default());
        }
        let generation = self.header.generation;
        let first = self.cache.reach.get(g).is_some_and(|r| r.seen != generation);
        // The thread group's memo, would it run: whether it would miss on this event.
        let thread_group = self.compiled.shared.groups.get(g).filter(|grp| grp.by_thread);
        let miss = match thread_group {
            Some(grp) if first => Some((self.thread_memo_probe(grp), grp.checks.len() as u64)),
            _ => None,
        };
        if let Some(r) = self.cache.reach.get_mut(g) {
            if first {
                r.seen = generation;
                r.events += 1;
            }
            if let Some((miss, size)) = miss {
                r.misses += u64::from(miss);
                r.size = size;
            }
            r.checks += 1;
        }
    }

    /// A check decided by a shared pass: its bit, after running the pass if it has not run
    /// for this event.
    fn shared_verdict(&mut self, group: u32, vb: VerdictBit) -> bool {
        let (stamp, word) = (vb.stamp as usize, vb.word as usize);
        if word >= self.header.len {
            return false;
        }
        // SAFETY: `words` is the cache's verdict buffer, `len` long and borrowed by this context
        // for its whole life (nothing else touches it meanwhile); `stamp < word < len`.
        let fresh = unsafe { self.header.words.add(stamp).read() } == self.header.generation;
        if !fresh && !self.run_pass(group) {
            return false;
        }
        // SAFETY: as above.
        let w = unsafe { self.header.words.add(word).read() };
        w & (1 << vb.bit) != 0
    }

    /// Runs shared pass `group` for this event: its verdict words, then its stamp. False when
    /// there is no such group or its words are out of the buffer (a rulec bug).
    fn run_pass(&mut self, group: u32) -> bool {
        let compiled = self.compiled;
        let Some(g) = compiled.shared.groups.get(group as usize) else { return false };
        let (stamp, n) = (g.stamp as usize, g.words as usize);
        if stamp + 1 + n > self.header.len {
            return false;
        }
        if g.by_thread {
            // SAFETY: in bounds (checked above) of the buffer this context borrows.
            let out = unsafe { self.header.words.add(stamp + 1) };
            self.thread_memo_pass(g, out);
            // SAFETY: in bounds, as above.
            unsafe { self.header.words.add(stamp).write(self.header.generation) };
            return true;
        }
        // SAFETY: in bounds (checked above) of the buffer this context borrows; the slice is
        // dropped before the header's pointer is used again.
        let out = unsafe { std::slice::from_raw_parts_mut(self.header.words.add(stamp + 1), n) };
        match &g.read {
            Read::Borrow(get, arg) => {
                let v = get(arg.as_ref(), &self.src);
                g.pass(v.as_ref().and_then(ValueRef::as_bytes), out)
            }
            Read::Stack(get, arg, norm) => {
                let mut v = Value::Bool(false);
                let present = get.write(arg.as_ref(), &self.src, &mut v);
                normalize(&mut v, *norm);
                g.pass(if present { v.as_bytes() } else { None }, out)
            }
            Read::Cached | Read::FlagText { .. } => {
                self.ensure(g.slot);
                match self.cache.entries.get(g.slot.0 as usize).and_then(|e| e.get(self.header.generation)) {
                    // A list after all: each check's own matcher, element by element.
                    Some(v @ Value::List(_)) => {
                        out.fill(0);
                        for (bit, c) in g.checks.iter().enumerate() {
                            if compiled.checks.get(c.0 as usize).is_some_and(|plan| plan.test(v, None)) {
                                out[bit / 64] |= 1 << (bit % 64);
                            }
                        }
                    }
                    v => g.pass(v.and_then(Value::as_bytes), out),
                }
            }
        }
        // SAFETY: in bounds, as above.
        unsafe { self.header.words.add(stamp).write(self.header.generation) };
        true
    }

    /// Evaluates a check reading its slots through the cache.
    pub(super) fn eval_cached(&mut self, plan: &CheckPlan) -> bool {
        if let Matcher::Slot { other, .. } = &plan.m {
            self.ensure(*other);
        }
        self.ensure(plan.slot);
        let generation = self.cache.generation;
        let cache = &mut *self.cache;
        let entries = &cache.entries;
        let Some(v) = entries.get(plan.slot.0 as usize).and_then(|e| e.get(generation)) else {
            return false;
        };
        let other = match &plan.m {
            Matcher::Slot { other, .. } => match entries.get(other.0 as usize).and_then(|e| e.get(generation)) {
                Some(o) => Some(o),
                None => return false,
            },
            _ => None,
        };
        match (plan.memo, v) {
            (Some(_), Value::Str(_) | Value::Bytes(_)) => match v.scalar_ref() {
                Some(r) => test_remembered_in(&mut cache.value_memo, plan, r),
                None => plan.test(v, other),
            },
            _ => plan.test(v, other),
        }
    }

    /// The slot's value as bytes for the JIT's inline string tests (see [`rulec_slot_str`]):
    /// read the way the slot's checks read it (in place, or through the cache), so the bytes
    /// stay where they are until the context is dropped. A value that is not a string, or is
    /// only computed on the stack, is [`SlotBytes::Other`]: the JIT then calls the check.
    pub(super) fn slot_bytes(&mut self, id: SlotId) -> SlotBytes {
        let of = |v: Option<&[u8]>| v.map_or(SlotBytes::Other, |b| SlotBytes::Bytes(b.as_ptr(), b.len()));
        match self.compiled.reads.get(id.0 as usize) {
            Some(Read::Borrow(get, arg)) => SlotBytes::borrowed(get(arg.as_ref(), &self.src)),
            Some(Read::Cached) => match self.slot_guarded(id) {
                Some(v) => of(value_bytes(v)),
                None => SlotBytes::Absent,
            },
            _ => SlotBytes::Other,
        }
    }

    /// The slot's integer value for the JIT (see [`rulec_slot_num`]); a bool slot's value as 0
    /// or 1 (the JIT compares `= true` and its kin as integers: `jit/plan.rs`).
    pub fn slot_num(&mut self, id: SlotId) -> Option<i64> {
        let compiled = self.compiled;
        let bool_slot = || compiled.program().slots.get(id.0 as usize).is_some_and(|s| s.ty() == FieldType::Bool);
        let of = |v: ValueRef<'_>| match v {
            ValueRef::Bool(b) => bool_slot().then_some(i64::from(b)),
            v => num_of(v, false),
        };
        match compiled.reads.get(id.0 as usize) {
            Some(Read::Stack(get, arg, norm)) => {
                let mut v = Value::Bool(false);
                if !get.write(arg.as_ref(), &self.src, &mut v) {
                    return None;
                }
                normalize(&mut v, *norm);
                of(v.scalar_ref()?)
            }
            // In place: integers already in the slot type's variant (`fields::borrow`).
            Some(Read::Borrow(get, arg)) => of(get(arg.as_ref(), &self.src)?),
            _ => {
                let v = self.slot_guarded(id)?.scalar_ref()?;
                of(v)
            }
        }
    }
}

/// A value as the JIT's integer slots hold it ([`rulec_slot_num`]): an integer's bits, and a
/// bool as 0 or 1 when the slot's type is bool (`bool_slot`); nothing for any other value.
#[inline(always)]
pub(super) fn num_of(v: ValueRef<'_>, bool_slot: bool) -> Option<i64> {
    match v {
        ValueRef::Int(i) => Some(i),
        // The 64 bits of an unsigned value, as the JIT compares them unsigned.
        ValueRef::Uint(u) => Some(u as i64),
        ValueRef::Bool(b) if bool_slot => Some(i64::from(b)),
        _ => None,
    }
}
