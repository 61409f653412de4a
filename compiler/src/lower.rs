//! Lowering checked rules ([`crate::check::hir`]) to the IR: one [`Program`] for the whole
//! ruleset, and [`compile`], the whole way from a checked ruleset to the program an engine runs.
//!
//! This module owns the mapping from the checker's vocabulary (an [`Op`] with an optional
//! modifier and a right side) to the IR's [`Test`]s, and each rule's metadata (priority, source,
//! tags) from the loaded rules. Work is shared between rules by building through the IR's
//! interning [`Builder`]: slots, checks (on slot and test, ignoring where they were written) and
//! nodes are hash-consed, so a macro used by forty rules is one set of checks and the arena is a
//! DAG in which every child has a smaller id than its parent.
//!
//! Only runnable rules are lowered (a rule with errors has nothing sound to run); disabled rules
//! are lowered with `enabled: false` so that an engine can switch them on.

use rulec_grammar::ast::Op;
use rulec_ir::build::Builder;
use rulec_ir::{DEFAULT_SOURCE, Priority};

use crate::check::CheckResult;
use crate::check::hir::{self, CheckRhs, Cond, OutputSegment, TransformInput, TypedCheck};
use crate::ir::{
    Check, CheckId, Cmp, Const, Node, NodeId, OutputPiece, Program, Rule, Slot, SlotId, SlotInput, SlotOp, StrOp, Test,
};

/// The program an engine runs for a checked ruleset: the optimised program [`crate::check::check`]
/// built for its analyses ([`CheckResult::program`], not lowered again), with exclusions moved
/// last ([`rulec_ir::opt::exclusions_last`]) and verified ([`rulec_ir::verify::verify`]).
pub fn compile(result: &CheckResult) -> Program {
    let mut program = result.program.clone();
    rulec_ir::opt::exclusions_last(&mut program);
    if let Err(errs) = rulec_ir::verify::verify(&program) {
        // A verifier failure is a bug in rulec, not in the rules: debug builds (and so every test)
        // stop on it; a release build runs the program, whose out-of-range ids both backends
        // evaluate as false.
        debug_assert!(errs.is_empty(), "the compiled program does not verify:\n{}", errs.join("\n"));
    }
    program
}

/// The runnable rules of `result` lowered and optimised ([`rulec_ir::opt::optimize`]): what
/// [`crate::check::check`] keeps in [`CheckResult::program`] for the analyses and [`compile`].
pub(crate) fn optimized(result: &CheckResult) -> Program {
    let mut program = lower(result);
    rulec_ir::opt::optimize(&mut program);
    program
}

/// Lowers every runnable checked rule of `result` into one program (not optimised: see
/// [`rulec_ir::opt::optimize`]).
pub fn lower(result: &CheckResult) -> Program {
    let mut b = Lowering(Builder::default(), std::collections::HashMap::new());
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
        b.0.program.rules.push(Rule {
            name: rule.name.clone(),
            // The loaded rule always exists for a checked rule; Debug is only a fallback that
            // keeps lowering total.
            priority: def.map_or(Priority::Debug, |d| d.priority),
            enabled: rule.enabled,
            root,
            event_types: rule.event_types.clone(),
            output,
            source: def.and_then(|d| d.source.clone()).unwrap_or_else(|| DEFAULT_SOURCE.to_owned()),
            tags: def.map(|d| d.tags.iter().map(|(t, _)| t.clone()).collect()).unwrap_or_default(),
        });
    }
    b.0.program
}

/// The builder, with the lowering of checked conditions and values; and each shared (macro)
/// condition's node once lowered, so that a macro used by many rules, or by a chain of macros,
/// is lowered once.
struct Lowering(Builder, std::collections::HashMap<*const Cond, NodeId>);

impl Lowering {
    fn slot(&mut self, s: Slot) -> SlotId {
        self.0.slot(s)
    }

    fn check(&mut self, c: Check) -> CheckId {
        self.0.check(c)
    }

    fn node(&mut self, n: Node) -> NodeId {
        self.0.node(n)
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
            Cond::Shared(inner) => {
                let key = std::sync::Arc::as_ptr(inner);
                if let Some(&id) = self.1.get(&key) {
                    return id;
                }
                let id = self.cond(inner);
                self.1.insert(key, id);
                id
            }
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
                Test::StrMulti { op: StrOp::from_op(op)?, modifier, patterns: items.iter().map(konst).collect() }
            }
            (CheckRhs::Const(k), op, None) => match Cmp::from_op(op) {
                Some(cmp) => Test::Compare { cmp, value: konst(k) },
                None => Test::Str { op: StrOp::from_op(op)?, pattern: konst(k) },
            },
            _ => return None,
        };
        Some(self.check(Check { slot, test, location: c.location }))
    }
}

/// `lhs OP val(rhs)`: ordered comparisons stay comparisons, string operators stay string
/// operators, `pmatch` tests a path against one path; the other list operators have no slot
/// form (the checker made them equalities).
fn slot_op(op: Op) -> Option<SlotOp> {
    if op == Op::PMatch {
        return Some(SlotOp::PMatch);
    }
    match Cmp::from_op(op) {
        Some(c) => Some(SlotOp::Cmp(c)),
        None => StrOp::from_op(op).map(SlotOp::Str),
    }
}

/// A checked constant as an IR constant: an address is a network of full length, so that one
/// containment test serves both.
fn konst(k: &hir::Const) -> Const {
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
