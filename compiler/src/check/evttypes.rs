//! The event types a rule can match, computed from its checked condition.
//!
//! Falco's rule index rests on this: an event is only tested against the rules that can match
//! its type. The computation works under negation by De Morgan: below a `not`, `and` becomes a
//! union and `or` an intersection, `evt.type = X` means every type but X, and any check that does
//! not constrain `evt.type` means every type. A rule matches "all" types when the result is the
//! whole universe.

use std::collections::BTreeSet;

use rulec_grammar::ast::Op;

use super::hir::{CheckRhs, Cond, Const, EventTypes, FieldArgValue, TypedCheck, Value};
use crate::schema::schema;

/// Falco warns when a syscall rule can match more event types than this.
pub const TOO_MANY_EVENT_TYPES: usize = 100;

/// A set of event names, or the complement of one (so that `evt.type != open` stays small).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Set {
    Only(BTreeSet<String>),
    AllBut(BTreeSet<String>),
}

impl Set {
    fn all() -> Set {
        Set::AllBut(BTreeSet::new())
    }

    fn union(self, other: Set) -> Set {
        match (self, other) {
            (Set::Only(a), Set::Only(b)) => Set::Only(a.union(&b).cloned().collect()),
            (Set::AllBut(a), Set::AllBut(b)) => Set::AllBut(a.intersection(&b).cloned().collect()),
            (Set::Only(a), Set::AllBut(b)) | (Set::AllBut(b), Set::Only(a)) => {
                Set::AllBut(b.difference(&a).cloned().collect())
            }
        }
    }

    fn intersect(self, other: Set) -> Set {
        match (self, other) {
            (Set::Only(a), Set::Only(b)) => Set::Only(a.intersection(&b).cloned().collect()),
            (Set::AllBut(a), Set::AllBut(b)) => Set::AllBut(a.union(&b).cloned().collect()),
            (Set::Only(a), Set::AllBut(b)) | (Set::AllBut(b), Set::Only(a)) => {
                Set::Only(a.difference(&b).cloned().collect())
            }
        }
    }

    fn complement(self) -> Set {
        match self {
            Set::Only(a) => Set::AllBut(a),
            Set::AllBut(a) => Set::Only(a),
        }
    }
}

/// The event types `cond` can be true for.
pub fn event_types(cond: &Cond) -> EventTypes {
    match types(cond, false) {
        Set::Only(s) => EventTypes::Some(s),
        Set::AllBut(excluded) => {
            let universe = schema().syscall_event_names();
            if excluded.is_empty() {
                EventTypes::All
            } else {
                EventTypes::Some(universe.into_iter().filter(|n| !excluded.contains(*n)).map(str::to_owned).collect())
            }
        }
    }
}

/// The types for which `cond` (or its negation, when `negated`) can hold.
fn types(cond: &Cond, negated: bool) -> Set {
    match cond {
        Cond::Const(b) => {
            if *b != negated {
                Set::all()
            } else {
                Set::Only(BTreeSet::new())
            }
        }
        Cond::Not(c) => types(c, !negated),
        Cond::Shared(c) => types(c, negated),
        Cond::And(cs) | Cond::Or(cs) => {
            let is_and = matches!(cond, Cond::And(_)) != negated;
            let mut sets = cs.iter().map(|c| types(c, negated));
            let first = sets.next().unwrap_or_else(|| if is_and { Set::all() } else { Set::Only(BTreeSet::new()) });
            sets.fold(first, |acc, s| if is_and { acc.intersect(s) } else { acc.union(s) })
        }
        Cond::Check(check) => match check_types(check) {
            Some(s) if negated => s.complement(),
            Some(s) => s,
            None => Set::all(),
        },
    }
}

/// The types for which a check on `evt.type` holds; None for checks that do not constrain it.
fn check_types(check: &TypedCheck) -> Option<Set> {
    let Value::Field(f) = &check.lhs else { return None };
    if check.modifier.is_some() {
        return None;
    }
    let names = |consts: &[Const]| -> BTreeSet<String> {
        consts.iter().filter_map(|c| if let Const::Str(s) = c { Some(s.clone()) } else { None }).collect()
    };
    match f.field.name {
        "evt.type" => match (&check.op, &check.rhs) {
            (Op::Eq, CheckRhs::Const(c)) => Some(Set::Only(names(std::slice::from_ref(c)))),
            (Op::Ne, CheckRhs::Const(c)) => Some(Set::AllBut(names(std::slice::from_ref(c)))),
            (Op::In | Op::Intersects, CheckRhs::List(cs)) => Some(Set::Only(names(cs))),
            _ => None,
        },
        // `evt.type.is.open = 1` (or `= true`) holds exactly for one type.
        "evt.type.is" => {
            let Some(FieldArgValue::Key(name)) = &f.arg else { return None };
            let one = Set::Only(BTreeSet::from([name.clone()]));
            let truthy = |c: &Const| matches!(c, Const::Uint(1) | Const::Int(1) | Const::Bool(true));
            match (&check.op, &check.rhs) {
                (Op::Eq, CheckRhs::Const(c)) if truthy(c) => Some(one),
                (Op::Ne, CheckRhs::Const(c)) if truthy(c) => Some(one.complement()),
                (Op::Eq, CheckRhs::Const(_)) => Some(one.complement()),
                _ => None,
            }
        }
        _ => None,
    }
}
