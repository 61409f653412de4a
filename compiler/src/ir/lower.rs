//! Lowering checked rules ([`crate::check::hir`]) to the IR: one [`Program`] for the whole
//! ruleset.
//!
//! This module owns the mapping from the checker's vocabulary (an [`Op`] with an optional
//! modifier and a right side) to the IR's [`Test`]s, and the sharing of work between rules:
//!
//! * slots are hash-consed (the same field with the same argument, or the same transformer over
//!   the same inputs, is one slot), so a value is extracted once per event however many rules
//!   read it;
//! * checks are hash-consed on (slot, test), ignoring where they were written (the first
//!   occurrence's location is kept), so a macro used by forty rules is one set of checks;
//! * nodes are hash-consed too, so the arena is a DAG in which every child has a smaller id than
//!   its parent (the verifier relies on that to rule out cycles).
//!
//! Only runnable rules are lowered (a rule with errors has nothing sound to run); disabled rules
//! are lowered with `enabled: false` so that an engine can switch them on.

use std::collections::HashMap;

use rulec_grammar::ast::{Op, Transformer};

use super::{
    Check, CheckId, Cmp, Const, Node, NodeId, OutputPiece, Program, Rule, Slot, SlotId, SlotInput, SlotOp, StrOp, Test,
};
use crate::check::CheckResult;
use crate::check::hir::{self, CheckRhs, Cond, FieldArgValue, OutputSegment, TransformInput, TypedCheck};
use crate::items::Priority;

/// Lowers every runnable checked rule of `result` into one program (not optimised: see
/// [`super::opt::optimize`]).
pub fn lower(result: &CheckResult) -> Program {
    let mut b = Builder::default();
    for rule in result.ruleset.rules.iter().filter(|r| r.runnable) {
        let root = b.cond(&rule.cond);
        let output = rule
            .output
            .iter()
            .map(|seg| match seg {
                OutputSegment::Text(t) => OutputPiece::Text(t.clone()),
                OutputSegment::Value { value, written } => {
                    OutputPiece::Slot { slot: b.value(value), written: written.clone() }
                }
            })
            .collect();
        let def = result.ruleset.loaded.rules.get(rule.index);
        b.program.rules.push(Rule {
            index: rule.index,
            name: rule.name.clone(),
            // The loaded rule always exists for a checked rule; Debug is only a fallback that
            // keeps lowering total.
            priority: def.map_or(Priority::Debug, |d| d.priority),
            enabled: rule.enabled,
            root,
            event_types: rule.event_types.clone(),
            output,
        });
    }
    b.program
}

/// The identity of a slot for hash-consing: fields by name and argument, transformers by
/// function, inputs and index (the type follows from those).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
enum SlotKey {
    Field(&'static str, Option<FieldArgValue>),
    Transform(Transformer, Vec<SlotInput>, Option<String>),
}

fn slot_key(s: &Slot) -> SlotKey {
    match s {
        Slot::Field { field, arg } => SlotKey::Field(field.name, arg.clone()),
        Slot::Transform { func, inputs, index, .. } => SlotKey::Transform(*func, inputs.clone(), index.clone()),
    }
}

/// The identity of a check for hash-consing: its slot and test, not its location. `Debug` of a
/// test is exact (floats print so that they read back to the same value), so equal keys mean
/// equal tests.
pub(crate) fn check_key(slot: SlotId, test: &Test) -> String {
    format!("{}|{test:?}", slot.0)
}

/// Builds a program with every slot, check and node interned.
#[derive(Default)]
pub(crate) struct Builder {
    pub program: Program,
    slots: HashMap<SlotKey, SlotId>,
    checks: HashMap<String, CheckId>,
    nodes: HashMap<Node, NodeId>,
}

impl Builder {
    pub fn slot(&mut self, s: Slot) -> SlotId {
        let key = slot_key(&s);
        if let Some(&id) = self.slots.get(&key) {
            return id;
        }
        let id = SlotId(self.program.slots.len() as u32);
        self.program.slots.push(s);
        self.slots.insert(key, id);
        id
    }

    pub fn check(&mut self, c: Check) -> CheckId {
        let key = check_key(c.slot, &c.test);
        if let Some(&id) = self.checks.get(&key) {
            return id;
        }
        let id = CheckId(self.program.checks.len() as u32);
        self.program.checks.push(c);
        self.checks.insert(key, id);
        id
    }

    /// Interns a node. Callers build children first, so children always get smaller ids.
    pub fn node(&mut self, n: Node) -> NodeId {
        if let Some(&id) = self.nodes.get(&n) {
            return id;
        }
        let id = NodeId(self.program.nodes.len() as u32);
        self.program.nodes.push(n.clone());
        self.nodes.insert(n, id);
        id
    }

    fn cond(&mut self, c: &Cond) -> NodeId {
        match c {
            Cond::And(xs) => {
                let kids = xs.iter().map(|x| self.cond(x)).collect();
                self.node(Node::And(kids))
            }
            Cond::Or(xs) => {
                let kids = xs.iter().map(|x| self.cond(x)).collect();
                self.node(Node::Or(kids))
            }
            Cond::Not(x) => {
                let kid = self.cond(x);
                self.node(Node::Not(kid))
            }
            Cond::Const(b) => self.node(Node::Const(*b)),
            Cond::Check(tc) => match self.typed_check(tc) {
                Some(id) => self.node(Node::Check(id)),
                // A shape the checker never produces; false keeps lowering total.
                None => self.node(Node::Const(false)),
            },
        }
    }

    /// A value read from the event → its slot (inputs of a transformer first, so they get
    /// smaller ids).
    fn value(&mut self, v: &hir::Value) -> SlotId {
        match v {
            hir::Value::Field(f) => self.slot(Slot::Field { field: f.field, arg: f.arg.clone() }),
            hir::Value::Transform { func, args, index, ty, is_list } => {
                let inputs = args
                    .iter()
                    .map(|a| match a {
                        TransformInput::Value(v) => SlotInput::Slot(self.value(v)),
                        TransformInput::Literal(s) => SlotInput::Literal(s.clone()),
                    })
                    .collect();
                self.slot(Slot::Transform { func: *func, inputs, index: index.clone(), ty: *ty, is_list: *is_list })
            }
        }
    }

    fn typed_check(&mut self, c: &TypedCheck) -> Option<CheckId> {
        let slot = self.value(&c.lhs);
        let test = match (&c.rhs, c.op, c.modifier) {
            (_, Op::Exists, _) => Test::Exists,
            (CheckRhs::Value(v), op, _) => {
                let other = self.value(v);
                Test::CompareSlot { op: slot_op(op)?, other }
            }
            (CheckRhs::List(items), Op::In, None) => Test::In(items.iter().map(konst).collect()),
            (CheckRhs::List(items), Op::Intersects, None) => Test::Intersects(items.iter().map(konst).collect()),
            (CheckRhs::List(items), Op::PMatch, None) => Test::PMatch(
                items
                    .iter()
                    .map(|k| match k {
                        hir::Const::Str(s) => Some(s.clone()),
                        _ => None,
                    })
                    .collect::<Option<Vec<_>>>()?,
            ),
            (CheckRhs::List(items), op, Some(modifier)) => {
                Test::StrMulti { op: str_op(op)?, modifier, patterns: items.iter().map(konst).collect() }
            }
            (CheckRhs::Const(k), op, None) => match cmp_op(op) {
                Some(cmp) => Test::Compare { cmp, value: konst(k) },
                None => Test::Str { op: str_op(op)?, pattern: konst(k) },
            },
            _ => return None,
        };
        Some(self.check(Check { slot, test, location: c.location }))
    }
}

/// The ordered comparisons.
fn cmp_op(op: Op) -> Option<Cmp> {
    Some(match op {
        Op::Eq => Cmp::Eq,
        Op::Ne => Cmp::Ne,
        Op::Lt => Cmp::Lt,
        Op::Le => Cmp::Le,
        Op::Gt => Cmp::Gt,
        Op::Ge => Cmp::Ge,
        _ => return None,
    })
}

/// The string operators (with `=`/`!=`, which take a modifier too).
fn str_op(op: Op) -> Option<StrOp> {
    Some(match op {
        Op::Eq => StrOp::Eq,
        Op::Ne => StrOp::Ne,
        Op::Contains => StrOp::Contains,
        Op::IContains => StrOp::IContains,
        Op::StartsWith => StrOp::StartsWith,
        Op::EndsWith => StrOp::EndsWith,
        Op::Glob => StrOp::Glob,
        Op::IGlob => StrOp::IGlob,
        Op::Regex => StrOp::Regex,
        Op::BContains => StrOp::BContains,
        Op::BStartsWith => StrOp::BStartsWith,
        _ => return None,
    })
}

/// `lhs OP val(rhs)`: ordered comparisons stay comparisons, string operators stay string
/// operators; list operators have no slot form.
fn slot_op(op: Op) -> Option<SlotOp> {
    match cmp_op(op) {
        Some(c) => Some(SlotOp::Cmp(c)),
        None => str_op(op).map(SlotOp::Str),
    }
}

/// A checked constant as an IR constant: an address is a network of full length, so that one
/// containment test serves both.
pub(crate) fn konst(k: &hir::Const) -> Const {
    match k {
        hir::Const::Str(s) => Const::Str(s.clone()),
        hir::Const::Int(i) => Const::Int(*i),
        hir::Const::Uint(u) => Const::Uint(*u),
        hir::Const::Double(d) => Const::Double(*d),
        hir::Const::Bool(b) => Const::Bool(*b),
        hir::Const::Ip(addr) => Const::Net { addr: *addr, prefix: if addr.is_ipv4() { 32 } else { 128 } },
        hir::Const::Net { addr, prefix } => Const::Net { addr: *addr, prefix: *prefix },
        hir::Const::Bytes(b) => Const::Bytes(b.clone()),
    }
}
