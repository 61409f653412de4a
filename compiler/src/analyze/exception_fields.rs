//! W0205 `exception-field-never-set`: an exception field that none of the rule's event types
//! gives a value. Every row of the exception compares that field, so no row can ever hold and
//! the exception excludes nothing (the same fact as W0202, for the fields an exception names).

use super::field_never_set::unset_reason;
use super::{Context, Findings, names_text, restricted_types};
use crate::diagnostic::{Code, Diagnostic};
use crate::schema::schema;

pub(super) fn run(cx: &Context, out: &mut Findings) {
    for (_, rule, def) in cx.rules() {
        let Some(types) = restricted_types(rule) else { continue };
        for exc in &def.exceptions {
            for (written, loc) in &exc.fields {
                let Some((field, arg)) = schema().resolve_field(written.trim()) else { continue };
                let Some(why) = unset_reason(field, arg.as_deref(), types) else { continue };
                out.push(
                    Diagnostic::new(
                        Code::ExceptionFieldNeverSet,
                        *loc,
                        format!(
                            "exception `{}`: `{}` has no value on any event rule `{}` sees ({}): {why}",
                            exc.name,
                            written.trim(),
                            rule.name,
                            names_text(types)
                        ),
                    )
                    .with_label(exc.name_loc, "this exception can never apply")
                    .with_label(def.name_loc, "the rule")
                    .with_hint("use a field these events set, or remove the exception"),
                );
            }
        }
    }
}
