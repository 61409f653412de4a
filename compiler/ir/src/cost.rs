//! The engine's cost model: an estimate of what evaluating each node of a program costs, in
//! units of one integer comparison on a cached value (the test's own cost, as the optimiser
//! prices operators in the schema's operator table, plus computing the slot the test reads).
//!
//! Two readers share it: the runtime's adaptive order (`runtime/src/eval/order.rs`), which
//! weighs each junction child's cost against how often it decides, and the checker's cost
//! analysis, which reports costly checks and each rule's estimated time per event
//! ([`NS_PER_UNIT`]). The model does no measuring: it is a function of the program alone.

use crate::{Node, NodeId, Op, Program, Slot, Test};

/// Nanoseconds per unit of the model, measured with `rulec bench` (release build, 200,000
/// generated events, fastest of 5, on a busy 2-core machine) on rulesets that differ only in the
/// checks every event runs, against one rule `evt.num = 0` (2.5 units): ten rules
/// `proc.cmdline contains "..."` (6 units each) cost 839 ns more per event on the JIT (14.6 ns
/// per unit; interpreter 19.2), ten rules `proc.name = "..."` (3.5 units each) 217 ns more (6.7
/// ns per unit; interpreter 3.5). The model prices substring searches low against equality; this
/// figure is the middle of the four. It sizes costs for people (the language server's hover, the
/// costly-check warning); it does not promise them.
pub const NS_PER_UNIT: f64 = 10.0;

/// The cost of evaluating every node under the root of rule `rule` with no short-circuit: an
/// upper bound of what the rule costs on one event of its types (shared nodes counted once).
pub fn rule_cost(p: &Program, costs: &[f64], root: NodeId) -> f64 {
    let mut seen = vec![false; p.nodes.len()];
    let mut stack = vec![root];
    let mut total = 0.0;
    while let Some(id) = stack.pop() {
        let i = id.0 as usize;
        if i >= p.nodes.len() || std::mem::replace(&mut seen[i], true) {
            continue;
        }
        match &p.nodes[i] {
            Node::Check(_) | Node::Const(_) => total += costs.get(i).copied().unwrap_or(1.0),
            Node::Not(x) => stack.push(*x),
            Node::And(xs) | Node::Or(xs) => stack.extend(xs.iter().filter(|x| x.0 < id.0)),
        }
    }
    total
}

/// An estimate of each node's evaluation cost, in rough units of one integer comparison on a
/// cached value: the test's own cost (as the optimiser counts it) plus computing the slot.
pub fn node_costs(p: &Program) -> Vec<f64> {
    node_costs_priced(p, &[])
}

/// What a check whose verdict a shared per-event pass decides costs: reading its bit (the pass
/// itself runs once per event for every check of its group, and the engine switches a pass on
/// only when an event reaches several of them).
pub const SHARED_BIT: f64 = 0.5;

/// What a slot the per-event cache already holds costs to fetch again. A slot that many checks
/// read (an event's path, its process name) is computed once per event and then fetched by
/// every rule: the engine prices the compiled code's inline tests at their share of
/// [`slot_cost`] among the slot's readers, never below this.
pub const CACHED_SLOT: f64 = 1.0;

/// [`node_costs`] with the engine's own price for some checks: `checks[c]`, when `Some`, is
/// what check `c` costs as the engine runs it (a bit a shared pass left, an inline test on a
/// cached slot), in place of the model's estimate.
pub fn node_costs_priced(p: &Program, checks: &[Option<f64>]) -> Vec<f64> {
    let slot_cost: Vec<f64> = p.slots.iter().map(|s| slot_cost(p, s)).collect();
    let mut costs: Vec<f64> = Vec::with_capacity(p.nodes.len());
    for n in &p.nodes {
        let get = |costs: &Vec<f64>, x: &NodeId| costs.get(x.0 as usize).copied().unwrap_or(1.0);
        let c = match n {
            Node::Const(_) => 0.0,
            Node::Check(c) if checks.get(c.0 as usize).is_some_and(Option::is_some) => {
                checks[c.0 as usize].unwrap_or(1.0)
            }
            Node::Check(c) => p.checks.get(c.0 as usize).map_or(1.0, |c| {
                let mut cost = test_cost(&c.test) + slot_cost.get(c.slot.0 as usize).copied().unwrap_or(1.0);
                if let Test::CompareSlot { other, .. } = &c.test {
                    cost += slot_cost.get(other.0 as usize).copied().unwrap_or(1.0);
                }
                cost
            }),
            Node::Not(x) => get(&costs, x),
            // An upper bound: every child evaluated.
            Node::And(xs) | Node::Or(xs) => xs.iter().map(|x| get(&costs, x)).sum::<f64>().min(1e9),
        };
        costs.push(c);
    }
    costs
}

/// What a test costs on computed values ([`op_cost`] of its operator).
pub fn test_cost(t: &Test) -> f64 {
    op_cost(t.op(), matches!(t, Test::CompareSlot { .. }))
}

/// What one test with operator `op` costs on a computed value: against another value of the
/// event (`val()`, `against_value`), or against constants. The schema's operator table prices a
/// string check in the optimiser's units, where a text comparison is 3; here a comparison is 1,
/// so a string operator costs its figure less 2.
pub fn op_cost(op: Op, against_value: bool) -> f64 {
    match op {
        _ if against_value => 3.0,
        Op::Exists => 1.0,
        Op::In | Op::Intersects => 1.5,
        Op::PMatch => 4.0,
        _ => f64::from(rulec_schema::operator(op).cost) - 2.0,
    }
}

/// An ancestor field without an index: every ancestor of the thread looked up.
pub const ANCESTOR_SCAN: f64 = 12.0;

/// What applying a transformer costs, before its inputs.
pub const TRANSFORM: f64 = 4.0;

/// An input of a transformer that is itself a transformer (one level down is enough for an
/// estimate, and bounds the recursion).
pub const TRANSFORM_INPUT: f64 = 8.0;

/// What computing a slot costs, by what the extractor has to look up or build.
pub fn slot_cost(p: &Program, s: &Slot) -> f64 {
    match s {
        Slot::Field { field, arg } => field_cost(field.name, arg.as_ref()),
        Slot::Transform { inputs, .. } => {
            TRANSFORM
                + inputs
                    .iter()
                    .filter_map(|i| match i {
                        crate::SlotInput::Slot(s) => p.slots.get(s.0 as usize),
                        crate::SlotInput::Literal(_) => None,
                    })
                    .map(|s| match s {
                        // One level down is enough for an estimate (and bounds the recursion).
                        Slot::Field { .. } => slot_cost(p, s),
                        Slot::Transform { .. } => TRANSFORM_INPUT,
                    })
                    .sum::<f64>()
        }
    }
}

/// What computing field `name` (with its argument) costs, by what the extractor has to look up
/// or build.
pub fn field_cost(name: &str, arg: Option<&crate::FieldArgValue>) -> f64 {
    let index = match arg {
        Some(crate::FieldArgValue::Index(i)) => (*i).clamp(0, 64) as f64,
        _ => 0.0,
    };
    // Relative costs: the event's own fields are cheapest; the thread is one hash
    // lookup; the fd a thread and a process lookup plus an ordered-map search; each
    // ancestor one more lookup; rendered arguments and joined strings allocate. (An ancestor
    // field is one the schema marks so: `proc.args` starts like one but is not.)
    let ancestors = rulec_schema::schema().field(name).is_some_and(rulec_schema::FieldInfo::is_ancestor_field);
    match name {
        _ if ancestors && arg.is_none() => ANCESTOR_SCAN,
        _ if ancestors => 3.0 + 2.0 * index,
        "proc.cmdline" | "proc.args" | "proc.exeline" | "proc.env" => 4.0,
        "proc.pcmdline" => 5.5,
        _ if name.starts_with("proc.p") || name.starts_with("proc.s") || name.starts_with("proc.vpgid") => 4.0,
        // A flag parameter's verdicts are remembered by value (`Read::FlagText`): usually
        // a parameter lookup and a probe.
        "evt.arg" if matches!(arg, Some(crate::FieldArgValue::Key(_))) => 2.5,
        _ if name.starts_with("evt.arg") || name.starts_with("evt.args") || name.starts_with("evt.info") => 10.0,
        _ if name.starts_with("evt.") || name.starts_with("syscall.") => 1.5,
        _ if name.starts_with("user.") || name.starts_with("group.") => 5.0,
        _ if name.starts_with("fdlist.") || name == "fd.types" => 8.0,
        _ if name.starts_with("fd.") => 4.0,
        _ => 2.5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FieldArgValue;

    #[test]
    fn tests_are_priced_from_the_operator_table() {
        assert_eq!(op_cost(Op::Eq, false), 1.0);
        assert_eq!(op_cost(Op::Exists, false), 1.0);
        assert_eq!(op_cost(Op::In, false), 1.5);
        assert_eq!(op_cost(Op::Contains, false), 2.0);
        assert_eq!(op_cost(Op::Regex, false), 6.0);
        assert_eq!(op_cost(Op::Regex, true), 3.0);
    }

    #[test]
    fn engine_prices_replace_the_model_s_for_their_checks_and_junctions_above() {
        let text = "slots:\n  s0 = fd.name\n  s1 = proc.name\nchecks:\n  c0 = s0 = \"/a\"\n  c1 = s1 = \"b\"\n\
                    nodes:\n  n0 = c0\n  n1 = c1\n  n2 = and(n0, n1)\nrules:\n  r0 \"r\" Notice enabled root=n2 types=all\n     output: \"x\"\n";
        let p = crate::parse::parse(text).expect("a valid program");
        let model = node_costs(&p);
        assert_eq!(model[0], 5.0, "fd.name (4) and an equality (1)");
        let priced = node_costs_priced(&p, &[Some(SHARED_BIT)]);
        assert_eq!(priced[0], SHARED_BIT);
        assert_eq!(priced[1], model[1], "an unpriced check keeps the model's cost");
        assert_eq!(priced[2], SHARED_BIT + model[1]);
    }

    #[test]
    fn ancestor_scans_are_the_schema_s_ancestor_fields() {
        assert_eq!(field_cost("proc.aname", None), ANCESTOR_SCAN);
        assert_eq!(field_cost("proc.aname", Some(&FieldArgValue::Index(2))), 7.0);
        // `proc.args` starts like an ancestor field but reads the process itself.
        assert_eq!(field_cost("proc.args", None), 4.0);
        assert_eq!(field_cost("fd.name", None), 4.0);
    }
}
