//! IR optimisation: rewrites a program into an equivalent, smaller and cheaper one.
//!
//! Every pass preserves meaning exactly, under the IR's semantics (see the module doc of
//! [`super`]): evaluating a check is pure (no side effects, no errors: an absent value makes a
//! check false), so boolean algebra over *nodes* is sound. What is NOT sound is rewriting a
//! negation *into* a check: with an absent `proc.name`, `not proc.name = x` is true while
//! `proc.name != x` is false. So negations are only pushed through `and`/`or` (De Morgan) and
//! stop at checks.
//!
//! The passes, all done in one bottom-up rebuild of the node arena (children first):
//!
//! 1. **Negation normal form**: `not` is pushed through `and`/`or` by De Morgan and double
//!    negations cancel, so `not` only ever sits directly above a check.
//! 2. **Constant folding**: `not true` → `false`; `true` disappears from `and`, `false` from
//!    `or`; `false` in `and` (`true` in `or`) absorbs the whole junction; an empty `and` is
//!    `true`, an empty `or` is `false`, a junction of one child is that child.
//! 3. **Flattening**: `a and (b and c)` → `and(a, b, c)` (likewise for `or`).
//! 4. **Idempotence and complements**: a child repeated in a junction is kept once; `a and not
//!    a` is `false`, `a or not a` is `true` (a check has one boolean value per event).
//! 5. **Set merging**: in an `or`, checks on the same scalar slot merge: `a = x or a in (y, z)`
//!    → `a in (x, y, z)`; `a startswith x or a startswith anyof (y, z)` → `a startswith anyof
//!    (x, y, z)` (also for `contains`, `icontains`, `endswith`, `glob`, `iglob`, `regex`,
//!    `bcontains`, `bstartswith`); `a pmatch (x) or a pmatch (y)` → `a pmatch (x, y)`;
//!    `a intersects (x) or a intersects (y)` → `a intersects (x, y)` (on list slots too). The
//!    dual holds in an `and` of negated checks: `not a = x and not a = y` → `not a in (x, y)`.
//!    `in` on a list slot means "every value is in the set", which does not distribute over
//!    `or`, so list slots only merge `intersects`.
//! 6. **Hash-consing**: identical checks (same slot and test) and identical nodes are shared.
//! 7. **Cost ordering**: the children of each junction are stably sorted by an estimated cost,
//!    so that short-circuit evaluation tries cheap checks first. A check costs its operator's
//!    `cost` in the schema's operator table (`rulec_schema::OPERATORS`: `exists` 1, text
//!    (in)equality, `in` and `intersects` 3, `contains`/`startswith`/`endswith` (one pattern
//!    or many) 4, `pmatch` 5, `glob`/`iglob` 6, `regex` 8), except that numeric/bool
//!    comparisons cost 1, IP comparisons and numeric `val()` 2, other `val()` comparisons 4,
//!    and `val()` with a string operator that compiles per event (`glob`, `regex`) 10; a
//!    transformer slot adds 2. A `not` costs its child; a junction the sum of its children.
//!    Equal costs keep their written order, so the result is deterministic.
//! 8. **Garbage collection**: nodes, checks and slots no longer reachable from a rule root or
//!    output are dropped, ids renumbered in their old order (so children keep smaller ids).
//!
//! One more rewrite runs after [`optimize`], on its own so that it does not change the optimised
//! numbering: [`exclusions_last`] moves the `not ...` children of each `and` after the others.

use std::collections::{HashMap, HashSet};

use super::Modifier;

use super::build::Builder;
use super::{Check, Cmp, Const, Node, NodeId, Op, OutputPiece, Program, Slot, SlotId, SlotInput, SlotOp, StrOp, Test};
use rulec_schema::FieldType;

/// Optimises `p` in place (see the module doc for the passes).
pub fn optimize(p: &mut Program) {
    let old = std::mem::take(p);
    let mut o = Opt { old: &old, b: Builder::default(), memo: HashMap::new(), costs: Vec::new() };
    // Slots are kept with their ids (checks refer to them); unused ones go in `gc`.
    o.b.program.slots = old.slots.clone();
    let roots: Vec<NodeId> = old.rules.iter().map(|r| o.simplify(r.root, false)).collect();
    let mut out = o.b.program;
    out.rules = old.rules.clone();
    for (r, root) in out.rules.iter_mut().zip(roots) {
        r.root = root;
    }
    gc(&mut out);
    *p = out;
}

/// What a check can merge with, in a junction (see pass 5).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum MergeKind {
    /// Membership: `=`, `in`, `= anyof`.
    Set,
    Intersects,
    /// One of the string operators that take `anyof`.
    Str(StrOp),
    PMatch,
}

struct Opt<'a> {
    old: &'a Program,
    b: Builder,
    /// (old node, negated) → new node.
    memo: HashMap<(NodeId, bool), NodeId>,
    /// Cost of each new node (same index).
    costs: Vec<u32>,
}

impl Opt<'_> {
    fn node(&self, id: NodeId) -> &Node {
        &self.b.program.nodes[id.0 as usize]
    }

    /// Interns a node of the new arena and records its cost.
    fn mk(&mut self, n: Node) -> NodeId {
        let cost = match &n {
            Node::Const(_) => 0,
            Node::Check(c) => self.check_cost(&self.b.program.checks[c.0 as usize]),
            Node::Not(x) => self.costs[x.0 as usize],
            Node::And(xs) | Node::Or(xs) => {
                xs.iter().fold(0u32, |acc, x| acc.saturating_add(self.costs[x.0 as usize])).min(1_000_000)
            }
        };
        let id = self.b.node(n);
        if id.0 as usize == self.costs.len() {
            self.costs.push(cost);
        }
        id
    }

    /// The new node for old node `id`, negated when `neg`.
    fn simplify(&mut self, id: NodeId, neg: bool) -> NodeId {
        if let Some(&r) = self.memo.get(&(id, neg)) {
            return r;
        }
        let old = self.old;
        let r = match old.nodes.get(id.0 as usize) {
            // Out of range (a lowering bug the verifier reports): evaluates as false, like the
            // interpreter does.
            None => self.mk(Node::Const(neg)),
            Some(Node::Const(b)) => self.mk(Node::Const(*b != neg)),
            Some(Node::Check(c)) => match old.checks.get(c.0 as usize) {
                None => self.mk(Node::Const(neg)),
                Some(chk) => {
                    let nc = self.b.check(chk.clone());
                    let n = self.mk(Node::Check(nc));
                    if neg { self.not(n) } else { n }
                }
            },
            Some(Node::Not(x)) => self.simplify(*x, !neg),
            Some(Node::And(xs)) => {
                let kids: Vec<NodeId> = xs.iter().map(|x| self.simplify(*x, neg)).collect();
                self.junction(kids, !neg)
            }
            Some(Node::Or(xs)) => {
                let kids: Vec<NodeId> = xs.iter().map(|x| self.simplify(*x, neg)).collect();
                self.junction(kids, neg)
            }
        };
        self.memo.insert((id, neg), r);
        r
    }

    /// The negation of a new node (only ever a check, a constant or a negation in NNF).
    fn not(&mut self, n: NodeId) -> NodeId {
        match self.node(n).clone() {
            Node::Const(b) => self.mk(Node::Const(!b)),
            Node::Not(x) => x,
            _ => self.mk(Node::Not(n)),
        }
    }

    /// Builds `and(kids)` (`is_and`) or `or(kids)`, simplified.
    fn junction(&mut self, kids: Vec<NodeId>, is_and: bool) -> NodeId {
        // `true` is the unit of `and`, `false` absorbs it; the reverse for `or`.
        let unit = is_and;
        let mut flat = Vec::new();
        let mut seen = HashSet::new();
        for k in kids {
            let grand = match self.node(k) {
                Node::And(ys) if is_and => ys.clone(),
                Node::Or(ys) if !is_and => ys.clone(),
                Node::Const(b) if *b == unit => continue,
                Node::Const(_) => return self.mk(Node::Const(!unit)),
                _ => vec![k],
            };
            for g in grand {
                if seen.insert(g) {
                    flat.push(g);
                }
            }
        }
        for &k in &flat {
            if let Node::Not(x) = self.node(k)
                && seen.contains(x)
            {
                return self.mk(Node::Const(!unit));
            }
        }
        let merged = self.merge(flat, is_and);
        let mut seen = HashSet::new();
        let mut flat: Vec<NodeId> = merged.into_iter().filter(|k| seen.insert(*k)).collect();
        flat.sort_by_key(|k| self.costs[k.0 as usize]);
        match flat.len() {
            0 => self.mk(Node::Const(unit)),
            1 => flat[0],
            _ => self.mk(if is_and { Node::And(flat) } else { Node::Or(flat) }),
        }
    }

    /// The check a junction child stands for, if it can merge: a check in an `or`, a negated
    /// check in an `and`.
    fn mergeable(&self, k: NodeId, is_and: bool) -> Option<(&Check, MergeKind)> {
        let c = match (self.node(k), is_and) {
            (Node::Check(c), false) => *c,
            (Node::Not(x), true) => match self.node(*x) {
                Node::Check(c) => *c,
                _ => return None,
            },
            _ => return None,
        };
        let check = self.b.program.checks.get(c.0 as usize)?;
        let list = self.b.program.slots.get(check.slot.0 as usize)?.is_list();
        let kind = match &check.test {
            Test::Compare { cmp: Cmp::Eq, .. } | Test::In(_) if !list => MergeKind::Set,
            Test::Str { op: StrOp::Eq, .. } if !list => MergeKind::Set,
            Test::StrMulti { op: StrOp::Eq, modifier: Modifier::AnyOf, .. } if !list => MergeKind::Set,
            Test::Intersects(_) => MergeKind::Intersects,
            Test::Str { op, .. } | Test::StrMulti { op, modifier: Modifier::AnyOf, .. } if !list && multi_op(*op) => {
                MergeKind::Str(*op)
            }
            Test::PMatch(_) if !list => MergeKind::PMatch,
            _ => return None,
        };
        Some((check, kind))
    }

    /// Pass 5: merges the mergeable children of a junction that test the same slot the same
    /// way. The merged check takes the place of the first of its group.
    fn merge(&mut self, flat: Vec<NodeId>, is_and: bool) -> Vec<NodeId> {
        let mut groups: HashMap<(SlotId, MergeKind), usize> = HashMap::new();
        let mut members: Vec<Vec<usize>> = Vec::new();
        let mut group_of = vec![None; flat.len()];
        for (i, &k) in flat.iter().enumerate() {
            if let Some((check, kind)) = self.mergeable(k, is_and) {
                let g = *groups.entry((check.slot, kind)).or_insert_with(|| {
                    members.push(Vec::new());
                    members.len() - 1
                });
                members[g].push(i);
                group_of[i] = Some(g);
            }
        }
        if members.iter().all(|m| m.len() < 2) {
            return flat;
        }
        let mut out = Vec::with_capacity(flat.len());
        for (i, &k) in flat.iter().enumerate() {
            let Some(g) = group_of[i] else {
                out.push(k);
                continue;
            };
            let group = &members[g];
            if group.len() < 2 {
                out.push(k);
            } else if group[0] == i {
                let checks: Vec<Check> =
                    group.iter().filter_map(|&j| self.mergeable(flat[j], is_and).map(|(c, _)| c.clone())).collect();
                let merged = merged_check(&checks);
                let c = self.b.check(merged);
                let n = self.mk(Node::Check(c));
                out.push(if is_and { self.not(n) } else { n });
            }
        }
        out
    }

    fn check_cost(&self, c: &Check) -> u32 {
        let slot = self.b.program.slots.get(c.slot.0 as usize);
        let extra = match slot {
            Some(Slot::Transform { .. }) => 2,
            _ => 0,
        };
        let ty = slot.map(Slot::ty);
        let numeric = ty.is_some_and(|t| t.is_numeric() || t == FieldType::Bool);
        let ip = ty.is_some_and(FieldType::is_ip);
        let cost = |op: Op| rulec_schema::operator(op).cost;
        let base = match &c.test {
            Test::Compare { .. } if numeric => 1,
            Test::Compare { .. } if ip => 2,
            Test::CompareSlot { op: SlotOp::Cmp(_), .. } if numeric => 2,
            Test::CompareSlot { op: SlotOp::Cmp(_), .. } => 4,
            // The pattern is compiled per event.
            Test::CompareSlot { op: SlotOp::Str(op), .. } if op.def().rhs.is_compiled_pattern() => 10,
            // The path set is built per event.
            Test::CompareSlot { op: SlotOp::PMatch, .. } => 10,
            Test::CompareSlot { .. } => 4,
            test => cost(test.op()),
        };
        base + extra
    }
}

/// The string operators whose `or` merges into one `anyof` check.
fn multi_op(op: StrOp) -> bool {
    !matches!(op, StrOp::Eq | StrOp::Ne)
}

/// One check equivalent to the `or` of `checks` (all on one slot, of one merge kind).
fn merged_check(checks: &[Check]) -> Check {
    let first = &checks[0];
    let mut consts: Vec<Const> = Vec::new();
    let mut paths: Vec<String> = Vec::new();
    let mut str_op = None;
    let mut kind_in = false;
    let mut kind_intersects = false;
    for c in checks {
        match &c.test {
            Test::Compare { value, .. } => {
                kind_in = true;
                consts.push(value.clone());
            }
            Test::In(xs) => {
                kind_in = true;
                consts.extend(xs.iter().cloned());
            }
            Test::Intersects(xs) => {
                kind_intersects = true;
                consts.extend(xs.iter().cloned());
            }
            Test::Str { op, pattern } => {
                if *op == StrOp::Eq {
                    kind_in = true;
                } else {
                    str_op = Some(*op);
                }
                consts.push(pattern.clone());
            }
            Test::StrMulti { op, patterns, .. } => {
                if *op == StrOp::Eq {
                    kind_in = true;
                } else {
                    str_op = Some(*op);
                }
                consts.extend(patterns.iter().cloned());
            }
            Test::PMatch(ps) => paths.extend(ps.iter().cloned()),
            Test::Exists | Test::CompareSlot { .. } => {}
        }
    }
    dedup_by_key(&mut consts, |k| format!("{k:?}"));
    dedup_by_key(&mut paths, Clone::clone);
    let test = if kind_in {
        Test::In(consts)
    } else if kind_intersects {
        Test::Intersects(consts)
    } else if let Some(op) = str_op {
        Test::StrMulti { op, modifier: Modifier::AnyOf, patterns: consts }
    } else {
        Test::PMatch(paths)
    };
    Check { slot: first.slot, test, location: first.location }
}

/// Removes later duplicates, keeping order.
fn dedup_by_key<T, K: std::hash::Hash + Eq>(xs: &mut Vec<T>, key: impl Fn(&T) -> K) {
    let mut seen = HashSet::new();
    xs.retain(|x| seen.insert(key(x)));
}

/// Pass 8: drops what no rule can reach and renumbers canonically: nodes in post-order of a
/// depth-first walk from the rule roots (rules in order, children in order), checks in order of
/// first use in that walk, slots in their old order. So children keep smaller ids, and the
/// numbering depends only on the structure (optimising twice gives the same text).
fn gc(p: &mut Program) {
    let mut node_map: Vec<Option<u32>> = vec![None; p.nodes.len()];
    let mut order: Vec<usize> = Vec::new();
    for r in &p.rules {
        visit(&p.nodes, r.root.0 as usize, &mut node_map, &mut order);
    }
    let mut check_map: Vec<Option<u32>> = vec![None; p.checks.len()];
    let mut check_order: Vec<usize> = Vec::new();
    for &i in &order {
        if let Node::Check(c) = &p.nodes[i]
            && let Some(m) = check_map.get_mut(c.0 as usize)
            && m.is_none()
        {
            *m = Some(check_order.len() as u32);
            check_order.push(c.0 as usize);
        }
    }
    let mut live_slots = vec![false; p.slots.len()];
    let mark = |live: &mut Vec<bool>, s: SlotId| {
        if let Some(l) = live.get_mut(s.0 as usize) {
            *l = true;
        }
    };
    for &i in &check_order {
        let c = &p.checks[i];
        mark(&mut live_slots, c.slot);
        if let Test::CompareSlot { other, .. } = &c.test {
            mark(&mut live_slots, *other);
        }
    }
    for r in &p.rules {
        for piece in &r.output {
            if let OutputPiece::Slot { slot, .. } = piece {
                mark(&mut live_slots, *slot);
            }
        }
    }
    for i in (0..p.slots.len()).rev() {
        if live_slots[i]
            && let Slot::Transform { inputs, .. } = &p.slots[i]
        {
            for input in inputs.clone() {
                if let SlotInput::Slot(s) = input {
                    mark(&mut live_slots, s);
                }
            }
        }
    }
    let mut next = 0u32;
    let slot_map: Vec<u32> = live_slots
        .iter()
        .map(|&l| {
            let id = next;
            if l {
                next += 1;
            }
            id
        })
        .collect();
    let ms = |s: SlotId| SlotId(slot_map.get(s.0 as usize).copied().unwrap_or(s.0));
    let mc = |c: super::CheckId| super::CheckId(check_map.get(c.0 as usize).copied().flatten().unwrap_or(c.0));
    let mn = |n: NodeId| NodeId(node_map.get(n.0 as usize).copied().flatten().unwrap_or(n.0));

    let slots = std::mem::take(&mut p.slots);
    p.slots = slots
        .into_iter()
        .zip(&live_slots)
        .filter(|(_, l)| **l)
        .map(|(s, _)| match s {
            Slot::Transform { func, inputs, index, ty, is_list } => Slot::Transform {
                func,
                inputs: inputs
                    .into_iter()
                    .map(|i| match i {
                        SlotInput::Slot(s) => SlotInput::Slot(ms(s)),
                        lit => lit,
                    })
                    .collect(),
                index,
                ty,
                is_list,
            },
            field => field,
        })
        .collect();
    let checks = std::mem::take(&mut p.checks);
    p.checks = check_order
        .iter()
        .map(|&i| {
            let mut c = checks[i].clone();
            c.slot = ms(c.slot);
            if let Test::CompareSlot { other, .. } = &mut c.test {
                *other = ms(*other);
            }
            c
        })
        .collect();
    let nodes = std::mem::take(&mut p.nodes);
    p.nodes = order
        .iter()
        .map(|&i| match &nodes[i] {
            Node::And(xs) => Node::And(xs.iter().copied().map(mn).collect()),
            Node::Or(xs) => Node::Or(xs.iter().copied().map(mn).collect()),
            Node::Not(x) => Node::Not(mn(*x)),
            Node::Check(c) => Node::Check(mc(*c)),
            Node::Const(b) => Node::Const(*b),
        })
        .collect();
    for r in &mut p.rules {
        r.root = mn(r.root);
        for piece in &mut r.output {
            if let OutputPiece::Slot { slot, .. } = piece {
                *slot = ms(*slot);
            }
        }
    }
}

/// Post-order numbering of the nodes reachable from `i`.
fn visit(nodes: &[Node], i: usize, map: &mut [Option<u32>], order: &mut Vec<usize>) {
    if map.get(i).is_none_or(Option::is_some) {
        return;
    }
    match &nodes[i] {
        Node::And(xs) | Node::Or(xs) => {
            for x in xs {
                visit(nodes, x.0 as usize, map, order);
            }
        }
        Node::Not(x) => visit(nodes, x.0 as usize, map, order),
        Node::Check(_) | Node::Const(_) => {}
    }
    map[i] = Some(order.len() as u32);
    order.push(i);
}

/// Within each `and`, moves the exclusions (negated checks, and junctions of nothing but
/// exclusions) after the other children, each group keeping its order. Rules are written as
/// selective tests followed by `and not ...` exceptions that almost always hold; the optimiser
/// orders a junction's children by the cost of their test alone, which puts cheap exceptions
/// first, so an event that fails the selective part (most events) would still compute every
/// exception's fields. Checks are pure, so the order of a junction's children never changes
/// its value, only how soon evaluation stops. Ids are unchanged.
pub fn exclusions_last(p: &mut Program) {
    fn exclusion(nodes: &[Node], id: NodeId, depth: u32) -> bool {
        match nodes.get(id.0 as usize) {
            Some(Node::Not(_)) => true,
            // Bounded: children have smaller ids, but a deep tree should not cost much here.
            Some(Node::And(xs) | Node::Or(xs)) if depth < 8 => {
                !xs.is_empty() && xs.iter().all(|x| exclusion(nodes, *x, depth + 1))
            }
            _ => false,
        }
    }
    for i in 0..p.nodes.len() {
        let Node::And(kids) = &p.nodes[i] else { continue };
        let keys: Vec<bool> = kids.iter().map(|k| exclusion(&p.nodes, *k, 0)).collect();
        if keys.windows(2).all(|w| w[0] <= w[1]) {
            continue;
        }
        let mut pairs: Vec<(bool, NodeId)> = keys.into_iter().zip(kids.iter().copied()).collect();
        // Stable: each group keeps the optimiser's order.
        pairs.sort_by_key(|(k, _)| *k);
        p.nodes[i] = Node::And(pairs.into_iter().map(|(_, k)| k).collect());
    }
}
