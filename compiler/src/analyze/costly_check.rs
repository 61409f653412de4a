//! W0206 `costly-check`: a check that the engine's cost model ([`rulec_ir::cost`], the same
//! estimate the runtime's adaptive order uses) prices high, in a rule that runs on the hot path:
//! on every event (no `evt.type` restriction) or on the high-volume I/O events (the event
//! listing's non-default events: read, write, send...). A regex, a substring or glob search on
//! a computed field, an ancestor scan without a level: each is paid on nearly every event.

use std::collections::BTreeSet;

use rulec_ir::cost::{self, NS_PER_UNIT};

use super::{Context, Findings, each_check};
use crate::check::EventTypes;
use crate::check::hir::{CheckRhs, TransformInput, TypedCheck, Value};
use crate::diagnostic::{Code, Diagnostic};
use crate::schema::schema;

/// A check priced at this many units or more is costly: a regex on any field, a substring or
/// prefix search on an fd, command line or ancestor field, an ancestor scan.
pub(crate) const COSTLY: f64 = 6.0;

pub(super) fn run(cx: &Context, out: &mut Findings) {
    for (_, rule, def) in cx.rules() {
        let Some(path) = hot_path(&rule.event_types) else { continue };
        each_check(&rule.cond, &mut |check| {
            let units = check_cost(check);
            if units < COSTLY {
                return;
            }
            let scan = scans_ancestors(check);
            let what = if scan { "an ancestor scan" } else { "a costly check" };
            let hint = if scan {
                "an ancestor field without a level walks every ancestor of the process: name the level (`proc.aname[2]`), or restrict the rule's `evt.type`"
            } else {
                "restrict the rule's `evt.type` to the events it is about, so that this check runs only on them"
            };
            out.push(
                Diagnostic::new(
                    Code::CostlyCheck,
                    check.location,
                    format!(
                        "{what}: about {units:.1} units (≈ {:.0} ns) per event, and rule `{}` runs on {path}",
                        units * NS_PER_UNIT,
                        rule.name
                    ),
                )
                .with_label(def.name_loc, "the rule")
                .with_hint(hint),
            );
        });
    }
}

/// Where a rule of these event types runs, when that is the hot path.
fn hot_path(types: &EventTypes) -> Option<String> {
    let set: &BTreeSet<String> = match types {
        EventTypes::All => return Some("every event (its condition does not restrict `evt.type`)".to_owned()),
        EventTypes::Some(s) => s,
    };
    let s = schema();
    let hot: Vec<&str> =
        set.iter().map(String::as_str).filter(|t| s.event(t).is_some_and(|e| !e.default)).take(4).collect();
    if hot.is_empty() {
        return None;
    }
    Some(format!("high-volume I/O events ({}{})", hot.join(", "), if hot.len() == 4 { ", ..." } else { "" }))
}

/// The model's price of one check: its test and the values it reads.
pub(crate) fn check_cost(check: &TypedCheck) -> f64 {
    let against_value = matches!(check.rhs, CheckRhs::Value(_));
    let mut units = cost::op_cost(check.op, against_value) + value_cost(&check.lhs, 0);
    if let CheckRhs::Value(v) = &check.rhs {
        units += value_cost(v, 0);
    }
    units
}

fn value_cost(v: &Value, depth: u32) -> f64 {
    match v {
        Value::Field(f) => cost::field_cost(f.field.name, f.arg.as_ref()),
        // As the model prices a transformer slot: one level of inputs.
        Value::Transform { .. } if depth > 0 => cost::TRANSFORM_INPUT,
        Value::Transform { args, .. } => {
            cost::TRANSFORM
                + args
                    .iter()
                    .map(|a| match a {
                        TransformInput::Value(v) => value_cost(v, depth + 1),
                        TransformInput::Literal(_) => 0.0,
                    })
                    .sum::<f64>()
        }
    }
}

fn scans_ancestors(check: &TypedCheck) -> bool {
    super::check_fields(check).iter().any(|f| f.field.is_ancestor_field() && f.arg.is_none())
}
