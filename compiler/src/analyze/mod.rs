//! Analyses Falco lacks: warnings that only a typed, resolved condition can give, run on the
//! checked rules after [`crate::check`] has typed them.
//!
//! One analysis per file, each with its own code: a rule that can never match
//! ([`never_matches`], W0201), a check on a field none of the rule's event types sets
//! ([`field_never_set`], W0202), a sub-condition that is always true or false
//! ([`constant_subcondition`], W0203), a rule that repeats an earlier one ([`duplicate_rule`],
//! W0204), an exception field none of the rule's event types sets ([`exception_fields`], W0205)
//! and a costly check on the hot path ([`costly_check`], W0206), priced by the engine's cost
//! model ([`rulec_ir::cost`]).
//!
//! Only runnable rules are analysed, and only when their condition is whole (a rule with errors,
//! or using a macro with errors, has nothing sound to reason about), and
//! each finding is reported once, where it is written: a finding inside a macro that many rules
//! use is reported at the macro, labelled with the first rule it was found for. This module does
//! no IO and reads the checker's result; it never changes it.

mod constant_subcondition;
mod costly_check;
mod duplicate_rule;
mod exception_fields;
mod field_never_set;
mod never_matches;

use std::collections::{BTreeSet, HashSet};
use std::fmt::Write as _;

use crate::check::hir::{CheckRhs, Cond, FieldUse, TransformInput, TypedCheck, Value};
use crate::check::{CheckResult, CheckedRule, EventTypes};
use crate::diagnostic::{Diagnostic, Location};
use crate::ir::Program;
use crate::load::RuleDef;

/// Every analysis's findings on `result`, in no particular order (the checker sorts).
pub fn analyze(result: &CheckResult) -> Vec<Diagnostic> {
    let cx = Context::new(result);
    let mut out = Findings::default();
    never_matches::run(&cx, &mut out);
    field_never_set::run(&cx, &mut out);
    constant_subcondition::run(&cx, &mut out);
    duplicate_rule::run(&cx, &mut out);
    exception_fields::run(&cx, &mut out);
    costly_check::run(&cx, &mut out);
    out.diagnostics
}

/// The estimated cost of rule `name` on one event of its types, in the cost model's units
/// (every check evaluated, shared ones once: an upper bound); None for a rule that does not run.
/// Multiply by [`rulec_ir::cost::NS_PER_UNIT`] for nanoseconds.
pub fn rule_cost(result: &CheckResult, name: &str) -> Option<f64> {
    let cx = Context::new(result);
    let i = result.ruleset.rules.iter().rposition(|r| r.name == name)?;
    cx.cost_of(i)
}

/// What every analysis reads: the checked rules and their optimised program.
pub(crate) struct Context<'a> {
    pub result: &'a CheckResult,
    /// The runnable rules lowered and optimised, as the engine would run them (the checker's
    /// [`CheckResult::program`]).
    pub program: &'a Program,
    /// Per checked rule: its rule in `program` (runnable rules only).
    pub program_rule: Vec<Option<usize>>,
    /// The cost model's estimate of each node of `program`.
    pub node_costs: Vec<f64>,
}

impl<'a> Context<'a> {
    fn new(result: &'a CheckResult) -> Context<'a> {
        let program = &result.program;
        let mut next = 0;
        let program_rule = result
            .ruleset
            .rules
            .iter()
            .map(|r| {
                r.runnable.then(|| {
                    next += 1;
                    next - 1
                })
            })
            .collect();
        let node_costs = rulec_ir::cost::node_costs(program);
        Context { result, program, program_rule, node_costs }
    }

    /// The runnable rules with their definitions, in load order (index into the checked rules).
    pub fn rules(&self) -> impl Iterator<Item = (usize, &'a CheckedRule, &'a RuleDef)> + '_ {
        let loaded = &self.result.ruleset.loaded;
        self.result
            .ruleset
            .rules
            .iter()
            .enumerate()
            .filter(|(_, r)| r.runnable && !has_placeholder(&r.cond))
            .filter_map(move |(i, r)| Some((i, r, loaded.rules.get(r.index)?)))
    }

    /// The cost of checked rule `i` (see [`rule_cost`]).
    pub fn cost_of(&self, i: usize) -> Option<f64> {
        let rule = self.program.rules.get((*self.program_rule.get(i)?)?)?;
        Some(rulec_ir::cost::rule_cost(self.program, &self.node_costs, rule.root))
    }
}

/// Diagnostics, each primary location reported once.
#[derive(Default)]
pub(crate) struct Findings {
    diagnostics: Vec<Diagnostic>,
    seen: HashSet<(crate::diagnostic::Code, Location)>,
}

impl Findings {
    pub fn push(&mut self, d: Diagnostic) {
        if self.seen.insert((d.code, d.primary)) {
            self.diagnostics.push(d);
        }
    }
}

/// Whether `c` holds a constant: the checker writes one only in place of a part it could not
/// type (an undefined macro, an unknown field), so the condition is not the one written, and
/// reasoning about it would only echo that error (a rule whose only `evt.type` check sat in
/// the broken macro would "never match").
fn has_placeholder(c: &Cond) -> bool {
    match c {
        Cond::And(cs) | Cond::Or(cs) => cs.iter().any(has_placeholder),
        Cond::Not(c) => has_placeholder(c),
        Cond::Shared(c) => has_placeholder(c),
        Cond::Const(_) => true,
        Cond::Check(_) => false,
    }
}

/// A rule's condition without its exceptions: the checker writes a rule with exception values as
/// `and(condition, not(exceptions))`.
pub(crate) fn condition_part<'c>(rule: &'c CheckedRule, def: &RuleDef) -> &'c Cond {
    let has_rows = def.exceptions.iter().any(|e| !e.values.is_empty());
    match &rule.cond {
        Cond::And(parts) if has_rows && parts.len() == 2 && matches!(parts[1].unshared(), Cond::Not(_)) => &parts[0],
        c => c,
    }
}

/// Calls `f` on every check of `c`.
pub(crate) fn each_check<'c>(c: &'c Cond, f: &mut impl FnMut(&'c TypedCheck)) {
    match c {
        Cond::And(cs) | Cond::Or(cs) => cs.iter().for_each(|c| each_check(c, f)),
        Cond::Not(c) => each_check(c, f),
        Cond::Shared(c) => each_check(c, f),
        Cond::Const(_) => {}
        Cond::Check(check) => f(check),
    }
}

/// The fields a check reads (both sides, through transformers).
pub(crate) fn check_fields(check: &TypedCheck) -> Vec<&FieldUse> {
    fn walk<'v>(v: &'v Value, out: &mut Vec<&'v FieldUse>) {
        match v {
            Value::Field(f) => out.push(f),
            Value::Transform { args, .. } => {
                for a in args {
                    if let TransformInput::Value(v) = a {
                        walk(v, out);
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(&check.lhs, &mut out);
    if let CheckRhs::Value(v) = &check.rhs {
        walk(v, &mut out);
    }
    out
}

/// The most nodes a condition may have for the analyses that compare its parts in canonical form
/// (W0203, W0204), whose work grows with size times depth: far above any real rule (the largest
/// upstream rule has a few hundred), far below what would make checking slow on hostile input.
pub(crate) const MAX_COMPARED_NODES: usize = 20_000;

/// Whether `c` has at most [`MAX_COMPARED_NODES`] nodes.
pub(crate) fn small_enough(c: &Cond) -> bool {
    fn count(c: &Cond, left: &mut usize) -> bool {
        if *left == 0 {
            return false;
        }
        *left -= 1;
        match c {
            Cond::And(cs) | Cond::Or(cs) => cs.iter().all(|c| count(c, left)),
            Cond::Not(c) => count(c, left),
            Cond::Shared(c) => {
                *left += 1;
                count(c, left)
            }
            Cond::Const(_) | Cond::Check(_) => true,
        }
    }
    let mut left = MAX_COMPARED_NODES;
    count(c, &mut left)
}

/// The location of the first check of `c`, where a finding about `c` is reported.
pub(crate) fn first_location(c: &Cond) -> Option<Location> {
    let mut first = None;
    each_check(c, &mut |k| {
        first.get_or_insert(k.location);
    });
    first
}

/// A text that two conditions share exactly when they mean the same by their form: checks
/// without their locations, `and`/`or` children in sorted order.
pub(crate) fn canon(c: &Cond) -> String {
    let mut s = String::new();
    write_canon(c, &mut s);
    s
}

fn write_canon(c: &Cond, out: &mut String) {
    match c {
        Cond::And(cs) | Cond::Or(cs) => {
            let mut kids: Vec<String> = cs.iter().map(canon).collect();
            kids.sort_unstable();
            kids.dedup();
            out.push_str(if matches!(c, Cond::And(_)) { "and(" } else { "or(" });
            out.push_str(&kids.join(", "));
            out.push(')');
        }
        Cond::Not(c) => {
            out.push_str("not(");
            write_canon(c, out);
            out.push(')');
        }
        Cond::Shared(c) => write_canon(c, out),
        Cond::Const(b) => out.push_str(if *b { "true" } else { "false" }),
        Cond::Check(k) => {
            write_value(&k.lhs, out);
            let _ = write!(out, " {}", k.op.as_str());
            if let Some(m) = k.modifier {
                let _ = write!(out, " {m:?}");
            }
            match &k.rhs {
                CheckRhs::None => {}
                CheckRhs::Const(c) => {
                    let _ = write!(out, " {c:?}");
                }
                CheckRhs::List(cs) => {
                    let mut items: Vec<String> = cs.iter().map(|c| format!("{c:?}")).collect();
                    items.sort_unstable();
                    items.dedup();
                    let _ = write!(out, " ({})", items.join(", "));
                }
                CheckRhs::Value(v) => {
                    out.push_str(" val(");
                    write_value(v, out);
                    out.push(')');
                }
            }
        }
    }
}

fn write_value(v: &Value, out: &mut String) {
    match v {
        Value::Field(f) => {
            let _ = write!(out, "{}{:?}", f.field.name, f.arg);
        }
        Value::Transform { func, args, index, .. } => {
            let _ = write!(out, "{func:?}[{index:?}](");
            for a in args {
                match a {
                    TransformInput::Value(v) => write_value(v, out),
                    TransformInput::Literal(l) => {
                        let _ = write!(out, "{l:?}");
                    }
                }
                out.push(',');
            }
            out.push(')');
        }
    }
}

/// The rule's event types when they are a restriction (not every type).
pub(crate) fn restricted_types(rule: &CheckedRule) -> Option<&BTreeSet<String>> {
    match &rule.event_types {
        EventTypes::All => None,
        EventTypes::Some(s) => Some(s),
    }
}

/// `execve, execveat` (at most a few names, then how many more).
pub(crate) fn names_text(types: &BTreeSet<String>) -> String {
    const SHOWN: usize = 6;
    let names: Vec<&str> = types.iter().take(SHOWN).map(String::as_str).collect();
    match types.len().saturating_sub(SHOWN) {
        0 => names.join(", "),
        more => format!("{}, and {more} more", names.join(", ")),
    }
}
