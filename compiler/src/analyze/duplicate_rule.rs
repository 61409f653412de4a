//! W0204 `duplicate-rule`: a rule whose output and source are an earlier rule's and whose
//! condition is the earlier one's, or implies it.
//!
//! Implication is read from the form of the typed conditions (macros expanded): the later rule
//! requires every part (`and` operand) the earlier one requires, and maybe more. Then every event
//! the later rule matches, the earlier rule matches with the same output: the later rule adds no
//! alert, and when only the first matching rule alerts (Falco's and rulec's default) it never
//! fires at all. Conditions are compared in a canonical form (no locations, junction operands in
//! sorted order), so the same condition written through other macros or in another order counts.

use std::collections::{BTreeSet, HashMap};

use super::{Context, Findings, canon, small_enough};
use crate::check::hir::Cond;
use crate::diagnostic::{Code, Diagnostic};

pub(super) fn run(cx: &Context, out: &mut Findings) {
    // Earlier rules by (source, output): their name, location and `and` operands.
    let mut earlier: HashMap<(String, String), Vec<(usize, BTreeSet<String>)>> = HashMap::new();
    for (i, rule, def) in cx.rules() {
        if !rule.enabled || !small_enough(&rule.cond) {
            continue;
        }
        let key = (def.source.clone().unwrap_or_default(), def.output.as_str().trim().to_owned());
        let parts = conjuncts(&rule.cond);
        let group = earlier.entry(key).or_default();
        let found = group.iter().find(|(_, before)| before.is_subset(&parts));
        if let Some((j, before)) = found {
            let first = &cx.result.ruleset.rules[*j];
            let first_def = cx.result.ruleset.loaded.rules.get(first.index);
            let how = if *before == parts { "the same condition as" } else { "a condition that implies that of" };
            let mut d = Diagnostic::new(
                Code::DuplicateRule,
                def.name_loc,
                format!("rule `{}` has {how} the earlier rule `{}`, and the same output", rule.name, first.name),
            )
            .with_hint("every event it matches, the earlier rule matches too: it adds no alert (and never fires when only the first matching rule alerts); remove it, or change its output");
            if let Some(fd) = first_def {
                d = d.with_label(fd.name_loc, "the earlier rule");
            }
            out.push(d);
        }
        group.push((i, parts));
    }
}

/// The `and` operands of a condition (nested `and`s flattened), each in canonical form.
fn conjuncts(c: &Cond) -> BTreeSet<String> {
    fn walk(c: &Cond, out: &mut BTreeSet<String>) {
        match c.unshared() {
            Cond::And(cs) => cs.iter().for_each(|c| walk(c, out)),
            c => {
                out.insert(canon(c));
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(c, &mut out);
    out
}
