//! Program-wide analysis that the JIT does once before generating any code: it validates every id
//! the code generator will follow (so a malformed [`Program`] gives `Err`, never a panic or an
//! out-of-bounds access), folds constant sub-DAGs, and decides for each check whether it compiles
//! inline (an integer comparison on a cached slot value, a bool one's equality with a constant
//! as 0 or 1, or a string test against constants on the slot's bytes) or as a call to
//! `eval_check`.

use rulec_ir::{Check, Cmp, Const, Modifier, Node, Program, Slot, StrOp, Test};
use rulec_schema::{FieldType, SetBy};

use super::VerdictBit;

/// Largest `in (...)` set that compiles inline (one `icmp` per element, or-ed together).
pub(crate) const MAX_INLINE_IN: usize = 8;

/// The integer comparison an inline leaf performs. The slot value and the constants are both
/// 64-bit patterns as `slot_num` writes them: two's complement for signed slots, the raw `u64`
/// bits for unsigned ones; `signed` picks the matching condition codes.
#[derive(Clone, PartialEq, Debug)]
pub(crate) enum NumTest {
    Cmp {
        cmp: Cmp,
        signed: bool,
        value: i64,
    },
    /// Membership in a small set (equality is the same in both signedness views).
    In(Vec<i64>),
}

/// Most patterns one inline string test compares against (a length test per distinct length,
/// then a few loads per pattern of the value's length); larger sets stay with the shared
/// evaluator's hashed set.
pub(crate) const MAX_INLINE_STR_SET: usize = 64;
/// The same for prefixes and suffixes, each tried in turn (a compare and a few loads each).
pub(crate) const MAX_INLINE_AFFIXES: usize = 16;
/// Longest pattern compared inline (8 bytes per load).
pub(crate) const MAX_INLINE_STR_LEN: usize = 64;

/// A string test against constants, on the bytes `slot_str` gives (present and a string).
#[derive(Clone, PartialEq, Debug)]
pub(crate) enum StrTest {
    /// Equal to one of the patterns (`=`, `in`, `= anyof`).
    In(Vec<Vec<u8>>),
    /// Not equal to the pattern (`!=`).
    Ne(Vec<u8>),
    /// Starts with one of the patterns (`startswith`, `bstartswith`, their `anyof`).
    Prefix(Vec<Vec<u8>>),
    /// Ends with one of the patterns.
    Suffix(Vec<Vec<u8>>),
    /// Contains one of the patterns (`contains`, `bcontains`, their `anyof`), each of at most
    /// [`super::strings::MAX_NEEDLE`] bytes: a call to [`super::strings::contains_word`] per
    /// pattern on the bytes already fetched, the pattern passed in a register.
    Contains(Vec<Vec<u8>>),
}

/// How one check is compiled.
#[derive(Clone, PartialEq, Debug)]
pub(crate) enum Leaf {
    /// Inline: fetch `slot` with `slot_num` (once per rule function) and test it; absent → false.
    Num { slot: u32, test: NumTest },
    /// Inline: fetch `slot`'s bytes with `slot_str` (once per rule function) and compare them
    /// with the constants; absent → false; a value `slot_str` cannot give as bytes → `Call`.
    Str { slot: u32, test: StrTest },
    /// Inline when fresh: the verdict bit (see [`VerdictBit`]), else `eval_check` as `Call`.
    Bit(VerdictBit),
    /// `eval_check` behind the slot's bytes as a `Str` leaf of the same function fetches them
    /// (once per call, shared with those leaves): an absent value is false without the call
    /// (every check on an absent value is false), any other answer calls. For a test the JIT
    /// does not inline (`contains`...) on a slot that inline tests read anyway: on the events
    /// that lack the value (most events have no `fd.name`), no call.
    Guarded { slot: u32 },
    /// Call `eval_check(ctx, check)`.
    Call,
}

/// The result of the analysis, indexed like the program's tables.
#[derive(Debug)]
pub(crate) struct Plan {
    /// Per node: `Some(b)` when the node's value is the constant `b` whatever the event.
    pub folded: Vec<Option<bool>>,
    /// Per check.
    pub leaves: Vec<Leaf>,
}

/// The constant as the 64-bit pattern of a slot of the given signedness, when its kind matches
/// (`Int` for signed slots, `Uint` for unsigned ones). A mismatched kind is left to `eval_check`.
fn const_bits(c: &Const, signed: bool) -> Option<i64> {
    match (c, signed) {
        (Const::Int(i), true) => Some(*i),
        // Reinterpreting the bits is intended: unsigned slots are compared with unsigned condition
        // codes on the same bits, so `u64` order is preserved.
        (Const::Uint(u), false) => Some(*u as i64),
        _ => None,
    }
}

/// The patterns of a string test, when every one is a string or bytes constant short enough
/// to compare inline and there are 1 to [`MAX_INLINE_STR_SET`] of them.
fn patterns<'a>(cs: impl IntoIterator<Item = &'a Const>) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    for c in cs {
        let b: &[u8] = match c {
            Const::Str(s) => s.as_bytes(),
            Const::Bytes(b) => b,
            _ => return None,
        };
        if b.len() > MAX_INLINE_STR_LEN || out.len() == MAX_INLINE_STR_SET {
            return None;
        }
        out.push(b.to_vec());
    }
    (!out.is_empty()).then_some(out)
}

/// The inline form of a string test against constants, if it has one. Each form means what
/// the shared evaluator's matcher means on a present string value (`eval/strings.rs`,
/// `eval/compare.rs`): byte equality, prefix, suffix; a modifier other than `anyof`, `!=` with
/// a modifier, and every other operator stay calls.
fn str_test(test: &Test) -> Option<StrTest> {
    let one = |c: &Const| patterns([c]);
    match test {
        Test::Compare { cmp: Cmp::Eq, value } => one(value).map(StrTest::In),
        Test::Compare { cmp: Cmp::Ne, value } => one(value).and_then(|mut v| v.pop()).map(StrTest::Ne),
        Test::Str { op, pattern } => {
            let ps = one(pattern)?;
            match op {
                StrOp::Eq => Some(StrTest::In(ps)),
                StrOp::Ne => ps.into_iter().next().map(StrTest::Ne),
                StrOp::StartsWith | StrOp::BStartsWith => Some(StrTest::Prefix(ps)),
                StrOp::EndsWith => Some(StrTest::Suffix(ps)),
                StrOp::Contains | StrOp::BContains => needles(ps),
                _ => None,
            }
        }
        Test::StrMulti { op, modifier: Modifier::AnyOf, patterns: cs } => {
            let ps = patterns(cs)?;
            let affixes = (ps.len() <= MAX_INLINE_AFFIXES).then_some(());
            match op {
                StrOp::Eq => Some(StrTest::In(ps)),
                StrOp::StartsWith | StrOp::BStartsWith => affixes.map(|()| StrTest::Prefix(ps)),
                StrOp::EndsWith => affixes.map(|()| StrTest::Suffix(ps)),
                StrOp::Contains | StrOp::BContains => affixes.and_then(|()| needles(ps)),
                _ => None,
            }
        }
        Test::In(cs) => patterns(cs).map(StrTest::In),
        _ => None,
    }
}

/// A `contains` test on patterns short enough to pass in a register.
fn needles(ps: Vec<Vec<u8>>) -> Option<StrTest> {
    ps.iter().all(|p| p.len() <= super::strings::MAX_NEEDLE).then_some(StrTest::Contains(ps))
}

/// `remembered[s]`: slot `s`'s checks remember their verdicts by value where the evaluator
/// runs them (see [`super::SlotReaders::remembered`]): string tests on it stay calls.
fn classify(p: &Program, check: &Check, strings: bool, remembered: &[bool]) -> Leaf {
    let Some(slot) = p.slots.get(check.slot.0 as usize) else {
        return Leaf::Call;
    };
    // A value that may be a list (ancestors, either end of a connection) means "any element";
    // only the shared evaluator knows that, so such checks are never inlined.
    if slot.may_yield_list() {
        return Leaf::Call;
    }
    if slot.ty() == FieldType::Bool && !slot.is_list() {
        // `slot_num` gives a bool as 0 or 1 (`evt.is_open_read = true`: no call per check).
        return match &check.test {
            Test::Compare { cmp: cmp @ (Cmp::Eq | Cmp::Ne), value: Const::Bool(b) } => {
                Leaf::Num { slot: check.slot.0, test: NumTest::Cmp { cmp: *cmp, signed: false, value: i64::from(*b) } }
            }
            _ => Leaf::Call,
        };
    }
    let Some(signed) = slot.ty().int_signedness() else {
        return match str_test(&check.test) {
            Some(test) if strings && !slot.is_list() && !remembered.get(check.slot.0 as usize).is_some_and(|r| *r) => {
                Leaf::Str { slot: check.slot.0, test }
            }
            _ => Leaf::Call,
        };
    };
    let test = match &check.test {
        Test::Compare { cmp, value } => match const_bits(value, signed) {
            Some(value) => NumTest::Cmp { cmp: *cmp, signed, value },
            None => return Leaf::Call,
        },
        Test::In(values) if !values.is_empty() && values.len() <= MAX_INLINE_IN => {
            let bits: Option<Vec<i64>> = values.iter().map(|v| const_bits(v, signed)).collect();
            match bits {
                Some(bits) => NumTest::In(bits),
                None => return Leaf::Call,
            }
        }
        _ => return Leaf::Call,
    };
    Leaf::Num { slot: check.slot.0, test }
}

/// Per check of `p`, whether it compiles inline (with string tests inline when `strings`)
/// rather than as a call to `eval_check`, shared verdict bits aside.
pub(crate) fn inline_checks(p: &Program, strings: bool, remembered: &[bool]) -> Vec<bool> {
    p.checks.iter().map(|c| !matches!(classify(p, c, strings, remembered), Leaf::Call)).collect()
}

fn child_ok(parent: usize, child: u32) -> Result<usize, String> {
    let c = child as usize;
    if c < parent {
        Ok(c)
    } else {
        Err(format!("node {parent} has child {child}: children must have smaller ids than their parent"))
    }
}

impl Plan {
    /// Validates the program's ids and builds the plan; string tests compile inline only with
    /// `strings` (the callbacks have a `slot_str`).
    pub(crate) fn new(
        p: &Program,
        bits: &[Option<VerdictBit>],
        strings: bool,
        remembered: &[bool],
    ) -> Result<Plan, String> {
        if p.checks.len() > u32::MAX as usize || p.slots.len() > u32::MAX as usize || p.nodes.len() > u32::MAX as usize
        {
            return Err("program tables exceed u32 ids".into());
        }
        for (i, check) in p.checks.iter().enumerate() {
            if check.slot.0 as usize >= p.slots.len() {
                return Err(format!("check {i} reads slot {} of {}", check.slot.0, p.slots.len()));
            }
            if let Test::CompareSlot { other, .. } = &check.test
                && other.0 as usize >= p.slots.len()
            {
                return Err(format!("check {i} compares with slot {} of {}", other.0, p.slots.len()));
            }
        }
        let folded = fold(p, &[])?;
        for (r, rule) in p.rules.iter().enumerate() {
            if rule.root.0 as usize >= p.nodes.len() {
                return Err(format!("rule {r} (`{}`) has root node {} of {}", rule.name, rule.root.0, p.nodes.len()));
            }
        }
        let leaves = p
            .checks
            .iter()
            .enumerate()
            .map(|(i, c)| match (classify(p, c, strings, remembered), bits.get(i)) {
                // A word's byte offset must fit the `i32` of a load's offset. A shared pass that
                // is switched on decides its checks, string tests included.
                (Leaf::Call | Leaf::Str { .. }, Some(Some(b)))
                    if b.stamp < b.word && b.word < i32::MAX as u32 / 8 && b.bit < 64 =>
                {
                    Leaf::Bit(*b)
                }
                (leaf, _) => leaf,
            })
            .collect::<Vec<Leaf>>();
        // Calls on a slot that inline string tests fetch anyway wait for its bytes, when most
        // events lack the value (a field only events with an fd, a socket or a path set: the
        // schema's `set_by`); a value nearly every event has (a process's name) would be
        // fetched for nothing before the call (measured: upstream rules 212 -> 217
        // instructions per event with every call guarded).
        let fetched: std::collections::HashSet<u32> =
            leaves.iter().filter_map(|l| if let Leaf::Str { slot, .. } = l { Some(*slot) } else { None }).collect();
        let rarely_set = |slot: u32| matches!(p.slots.get(slot as usize), Some(Slot::Field { field, .. }) if field.set_by != SetBy::Any);
        let leaves = leaves
            .into_iter()
            .zip(&p.checks)
            .map(|(leaf, c)| match leaf {
                Leaf::Call if fetched.contains(&c.slot.0) && rarely_set(c.slot.0) => Leaf::Guarded { slot: c.slot.0 },
                leaf => leaf,
            })
            .collect();
        Ok(Plan { folded, leaves })
    }

    /// This plan for code that may take the checks of `known` (check id, verdict) as constants:
    /// what one batch function knows about its events (see
    /// [`super::JitProgram::compile_batches`]). The nodes they decide fold (a folded node is a
    /// jump, a rule folded false costs nothing); the leaves stay as they are.
    pub(crate) fn with_known(&self, p: &Program, known: &[(u32, bool)]) -> Result<Plan, String> {
        Ok(Plan { folded: fold(p, known)?, leaves: self.leaves.clone() })
    }
}

/// Per node of `p`, `Some(b)` when its value is the constant `b` whatever the event, the checks
/// of `known` taking their given verdicts; `Err` on an id out of range.
fn fold(p: &Program, known: &[(u32, bool)]) -> Result<Vec<Option<bool>>, String> {
    let mut consts: Vec<Option<bool>> = vec![None; p.checks.len()];
    for &(c, v) in known {
        match consts.get_mut(c as usize) {
            Some(slot) => *slot = Some(v),
            None => return Err(format!("known verdict for check {c} of {}", p.checks.len())),
        }
    }
    let mut folded: Vec<Option<bool>> = Vec::with_capacity(p.nodes.len());
    for (n, node) in p.nodes.iter().enumerate() {
        let f = match node {
            Node::Const(b) => Some(*b),
            Node::Check(c) => match consts.get(c.0 as usize) {
                Some(v) => *v,
                None => return Err(format!("node {n} uses check {} of {}", c.0, p.checks.len())),
            },
            Node::Not(c) => folded[child_ok(n, c.0)?].map(|b| !b),
            // And: false as soon as one child is false, true when all are (empty And is true).
            // Or: the dual. `absorbing` is the value that decides the whole node.
            Node::And(cs) | Node::Or(cs) => {
                let absorbing = matches!(node, Node::Or(_));
                let mut all_neutral = true;
                let mut decided = false;
                for c in cs {
                    match folded[child_ok(n, c.0)?] {
                        Some(b) if b == absorbing => decided = true,
                        Some(_) => {}
                        None => all_neutral = false,
                    }
                }
                if decided {
                    Some(absorbing)
                } else if all_neutral {
                    Some(!absorbing)
                } else {
                    None
                }
            }
        };
        folded.push(f);
    }
    Ok(folded)
}
