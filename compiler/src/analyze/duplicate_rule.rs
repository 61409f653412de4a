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

/// The subset tests one check may make in all: far above what real rulesets need (each rule is
/// tested against the few earlier ones indexed under its parts), a bound on hostile ones.
const MAX_TESTS: usize = 1_000_000;

/// Earlier rules with one (source, output): their `and` operands, each set indexed under one of
/// its parts, the one fewest earlier sets had when it came (a part every rule shares, such as
/// an event-type guard, indexes none of them while a distinctive one is there).
#[derive(Default)]
struct Group {
    sets: Vec<(usize, BTreeSet<String>)>,
    by_part: HashMap<String, Vec<usize>>,
    /// Sets with no part: implied by every condition.
    empty: Vec<usize>,
    /// How many sets hold each part.
    counts: HashMap<String, usize>,
}

impl Group {
    /// The earliest set that `parts` includes: only sets indexed under one of `parts` can be.
    fn earliest_subset(&self, parts: &BTreeSet<String>, tests: &mut usize) -> Option<usize> {
        let mut best = self.empty.first().copied();
        for p in parts {
            for &k in self.by_part.get(p).map_or(&[][..], Vec::as_slice) {
                if best.is_some_and(|b| b <= k) {
                    continue;
                }
                *tests += 1;
                if self.sets[k].1.is_subset(parts) {
                    best = Some(k);
                }
            }
        }
        best
    }

    fn add(&mut self, rule: usize, parts: BTreeSet<String>) {
        for p in &parts {
            *self.counts.entry(p.clone()).or_default() += 1;
        }
        let k = self.sets.len();
        let key = parts.iter().min_by_key(|p| (self.counts.get(*p).copied().unwrap_or(0), std::cmp::Reverse(*p)));
        match key {
            Some(p) => self.by_part.entry(p.clone()).or_default().push(k),
            None => self.empty.push(k),
        }
        self.sets.push((rule, parts));
    }
}

pub(super) fn run(cx: &Context, out: &mut Findings) {
    let mut earlier: HashMap<(String, String), Group> = HashMap::new();
    let mut tests = 0;
    for (i, rule, def) in cx.rules() {
        if !rule.enabled || !small_enough(&rule.cond) {
            continue;
        }
        if tests > MAX_TESTS {
            return;
        }
        let key = (def.source.clone().unwrap_or_default(), def.output.as_str().trim().to_owned());
        let parts = conjuncts(&rule.cond);
        let group = earlier.entry(key).or_default();
        let found = group.earliest_subset(&parts, &mut tests).map(|k| &group.sets[k]);
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
        group.add(i, parts);
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
