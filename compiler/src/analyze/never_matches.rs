//! W0201 `rule-never-matches`: a rule that no event can match, with the reason: its `evt.type`
//! checks admit no event type (the rule would be indexed under none), or the optimiser reduces
//! its condition to `false` (a part and its negation both required, a junction of falsehoods).

use rulec_ir::Node;

use super::{Context, Findings, condition_part, each_check};
use crate::check::EventTypes;
use crate::diagnostic::{Code, Diagnostic};

/// How many `evt.type` checks a finding points at.
const SHOWN_CHECKS: usize = 4;

pub(super) fn run(cx: &Context, out: &mut Findings) {
    for (i, rule, def) in cx.rules() {
        let no_types = matches!(&rule.event_types, EventTypes::Some(s) if s.is_empty());
        let folded_false = cx
            .program_rule
            .get(i)
            .copied()
            .flatten()
            .and_then(|r| cx.program.rules.get(r))
            .is_some_and(|r| matches!(cx.program.nodes.get(r.root.0 as usize), Some(Node::Const(false))));
        let reason = if no_types {
            "no event type satisfies its `evt.type` checks together"
        } else if folded_false {
            "its condition reduces to `false`: some part of it is required together with its negation, or can never hold"
        } else {
            continue;
        };
        let mut d = Diagnostic::new(
            Code::RuleNeverMatches,
            def.name_loc,
            format!("rule `{}` can never match: {reason}", rule.name),
        )
        .with_hint("the rule never alerts: fix its condition, or remove it");
        if no_types {
            let mut shown = 0;
            each_check(condition_part(rule, def), &mut |k| {
                let on_type =
                    matches!(&k.lhs, crate::check::hir::Value::Field(f) if f.field.name.starts_with("evt.type"));
                if on_type && shown < SHOWN_CHECKS {
                    shown += 1;
                    d.labels.push(crate::diagnostic::Label {
                        location: k.location,
                        message: "an `evt.type` check".to_owned(),
                    });
                }
            });
        }
        out.push(d);
    }
}
