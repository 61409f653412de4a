//! Leaf evaluation, the meaning of one check on one event: the check's read path (cached,
//! borrowed, on the stack, remembered flag verdicts), then its test on the value, element by
//! element for lists. Also the JIT's numeric read ([`EvalCtx::slot_num`]).
//!
//! Both backends reach checks only through [`EvalCtx::eval_check`], which never unwinds.

use super::*;

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
        match &plan.read {
            Read::Cached => {}
            Read::Borrow(get, arg) => return get(arg.as_ref(), &self.src).is_some_and(|v| plan.test_scalar(v, None)),
            Read::Stack(get, arg, norm) => {
                let mut v = Value::Bool(false);
                if !get.write(arg.as_ref(), &self.src, &mut v) {
                    return false;
                }
                normalize(&mut v, *norm);
                return match v.scalar_ref() {
                    Some(r) => plan.test_scalar(r, None),
                    None => plan.test(&v, None),
                };
            }
            Read::FlagText { name, memo } => {
                let ev = self.src.ev;
                // `evt.arg.NAME` is the parameter called NAME when there is one (see
                // `fields::evt`); other shapes take the cached path.
                if let Some(p) = ev.param_named(name)
                    && let crate::event::ParamValue::Flags { ty, bits } = *p.value
                {
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

    /// Evaluates a check reading its slots through the cache.
    pub(super) fn eval_cached(&mut self, plan: &CheckPlan) -> bool {
        if let Matcher::Slot { other, .. } = &plan.m {
            self.ensure(*other);
        }
        self.ensure(plan.slot);
        let generation = self.cache.generation;
        let entries = &self.cache.entries;
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
        plan.test(v, other)
    }

    /// The slot's integer value for the JIT (see [`rulec_slot_num`]).
    pub fn slot_num(&mut self, id: SlotId) -> Option<i64> {
        if let Some(Read::Stack(get, arg, norm)) = self.compiled.reads.get(id.0 as usize) {
            let mut v = Value::Bool(false);
            if !get.write(arg.as_ref(), &self.src, &mut v) {
                return None;
            }
            normalize(&mut v, *norm);
            return match v {
                Value::Int(i) => Some(i),
                Value::Uint(u) => Some(u as i64),
                _ => None,
            };
        }
        match self.slot_guarded(id)? {
            Value::Int(i) => Some(*i),
            // The 64 bits of an unsigned value, as the JIT compares them unsigned.
            Value::Uint(u) => Some(*u as i64),
            _ => None,
        }
    }
}
