//! W0202 `field-never-set`: a check on a field that none of the rule's event types gives a
//! value, so the check is false on every event the rule sees (and `not` of it true).
//!
//! What sets a field is the schema's fact ([`rulec_schema::SetBy`], the field table's `set_by`
//! column: the fd fields need an event on an fd, the socket fields an fd that can be a socket,
//! and so on); `evt.arg.NAME` needs an event with a parameter `NAME`. A rule whose event types
//! are not restricted sees every event, so nothing is reported for it.

use std::collections::BTreeSet;

use super::{Context, Findings, check_fields, condition_part, each_check, names_text, restricted_types};
use crate::check::hir::FieldArgValue;
use crate::diagnostic::{Code, Diagnostic};
use crate::schema::{FieldInfo, SetBy, schema};

pub(super) fn run(cx: &Context, out: &mut Findings) {
    for (_, rule, def) in cx.rules() {
        let Some(types) = restricted_types(rule) else { continue };
        each_check(condition_part(rule, def), &mut |check| {
            for f in check_fields(check) {
                let Some(why) = unset_reason(f.field, param_of(&f.arg), types) else { continue };
                out.push(
                    Diagnostic::new(
                        Code::FieldNeverSet,
                        check.location,
                        format!(
                            "`{}` has no value on any event rule `{}` sees ({}): {why}",
                            f.written,
                            rule.name,
                            names_text(types)
                        ),
                    )
                    .with_label(def.name_loc, "the rule")
                    .with_hint("this check is false on every event the rule sees (and `not` of it true): check the field or the rule's `evt.type`"),
                );
            }
        });
    }
}

/// The parameter name of `evt.arg.NAME`/`evt.rawarg.NAME`.
pub(super) fn param_of(arg: &Option<FieldArgValue>) -> Option<&str> {
    match arg {
        Some(FieldArgValue::Key(k)) => Some(k.as_str()),
        _ => None,
    }
}

/// Why none of `types` gives `field` (with parameter `param`) a value, or None when one may.
pub(super) fn unset_reason(field: &FieldInfo, param: Option<&str>, types: &BTreeSet<String>) -> Option<String> {
    // No event at all is W0201's finding, not this one's.
    if types.is_empty() {
        return None;
    }
    if field.set_by != SetBy::Any && !types.iter().any(|t| field.set_by.set_by_event(t)) {
        return Some(format!("it is set only by {}", field.set_by.describe()));
    }
    let s = schema();
    if let (Some(p), "evt.arg" | "evt.rawarg") = (param, field.name) {
        let names: Vec<&str> = types.iter().map(String::as_str).collect();
        let all_listed = names.iter().all(|n| s.event(n).is_some());
        if all_listed && s.is_param_name(p) && s.param_in_events(&names, p).is_empty() {
            return Some(format!("none of these events has a parameter `{p}`"));
        }
    }
    None
}
