//! W0203 `constant-subcondition`: a part of a condition that is always true or always false,
//! whatever the event.
//!
//! Found on the typed condition (macros expanded, lists substituted), in each `and`/`or`:
//! a part next to its own negation (`a or not a` always holds, `a and not a` never: a check has
//! one value per event, and an absent field makes `a` false and `not a` true), and, in an `and`,
//! one scalar field required to equal values that no single value can (`proc.name = a and
//! proc.name = b`, `evt.type in (open, openat) and evt.type = execve`).

use std::collections::{BTreeSet, HashMap};

use rulec_grammar::ast::Op;

use super::{Context, Findings, canon, condition_part, first_location, small_enough};
use crate::check::hir::{CheckRhs, Cond, TypedCheck, Value};
use crate::diagnostic::{Code, Diagnostic, Location};

pub(super) fn run(cx: &Context, out: &mut Findings) {
    for (_, rule, def) in cx.rules() {
        let cond = condition_part(rule, def);
        if small_enough(cond) {
            walk(cond, &rule.name, out);
        }
    }
}

fn walk(c: &Cond, rule: &str, out: &mut Findings) {
    let (kids, is_and) = match c.unshared() {
        Cond::And(kids) => (kids, true),
        Cond::Or(kids) => (kids, false),
        Cond::Not(inner) => return walk(inner, rule, out),
        Cond::Const(_) | Cond::Check(_) | Cond::Shared(_) => return,
    };
    for k in kids {
        walk(k, rule, out);
    }
    let canons: Vec<String> = kids.iter().map(canon).collect();
    for (k, kid) in kids.iter().enumerate() {
        let Cond::Not(inner) = kid.unshared() else { continue };
        let inner_canon = canon(inner);
        let Some(j) = canons.iter().position(|c| *c == inner_canon) else { continue };
        let (Some(at), Some(neg)) = (first_location(&kids[j]), first_location(&kids[k])) else { continue };
        let (verdict, joined) = if is_and { ("always false", "and") } else { ("always true", "or") };
        report(
            out,
            at,
            neg,
            format!("this part of the condition is {verdict}: it is joined with its own negation by `{joined}`"),
            rule,
        );
    }
    if is_and {
        contradictory_values(kids, rule, out);
    }
}

/// In an `and`: checks that require one scalar value to be in sets with nothing in common.
fn contradictory_values(kids: &[Cond], rule: &str, out: &mut Findings) {
    // Per left side (in canonical form): the values still allowed and the first check.
    let mut allowed: HashMap<String, (BTreeSet<String>, Location)> = HashMap::new();
    for kid in kids {
        let Cond::Check(check) = kid.unshared() else { continue };
        let Some(values) = required_values(check) else { continue };
        let key = canon(&Cond::Check(Box::new(TypedCheck {
            op: Op::Exists,
            modifier: None,
            rhs: CheckRhs::None,
            ..(**check).clone()
        })));
        match allowed.get_mut(&key) {
            None => {
                allowed.insert(key, (values, check.location));
            }
            Some((set, first)) => {
                let before = !set.is_empty();
                set.retain(|v| values.contains(v));
                if before && set.is_empty() {
                    let first = *first;
                    report(
                        out,
                        first,
                        check.location,
                        "this part of the condition is always false: one value cannot satisfy both checks".to_owned(),
                        rule,
                    );
                }
            }
        }
    }
}

/// The values a check on a scalar value requires it to equal (`=` or `in` constants).
fn required_values(check: &TypedCheck) -> Option<BTreeSet<String>> {
    if check.modifier.is_some() || check.lhs.is_list() {
        return None;
    }
    if let Value::Field(f) = &check.lhs
        && f.field.may_yield_list(f.arg.is_some())
    {
        return None;
    }
    let key = |c: &crate::check::hir::Const| format!("{c:?}");
    match (&check.op, &check.rhs) {
        (Op::Eq, CheckRhs::Const(c)) => Some(BTreeSet::from([key(c)])),
        (Op::In, CheckRhs::List(cs)) => Some(cs.iter().map(key).collect()),
        _ => None,
    }
}

fn report(out: &mut Findings, at: Location, other: Location, message: String, rule: &str) {
    out.push(Diagnostic::new(Code::ConstantSubcondition, at, message).with_label(other, "the other part").with_hint(
        format!("found in rule `{rule}`: remove the part that decides nothing, or fix the one that was meant"),
    ));
}
