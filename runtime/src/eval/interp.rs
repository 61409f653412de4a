//! The reference interpreter: evaluates a rule by walking its boolean nodes with short-circuit
//! `and`/`or`, asking [`EvalCtx::eval_check`] for the leaves.
//!
//! It is the definition the JIT is tested against, so it stays as simple as possible: no
//! caching of node results (nodes are pure, and checks already share slot values through the
//! context's cache). An id out of range (which the verifier rules out) is false.

use rulec_ir::{Node, NodeId};

use super::EvalCtx;

/// Whether rule `rule` (an index into the program's rules) matches the context's event; false
/// when there is no such rule.
pub fn eval_rule(ctx: &mut EvalCtx<'_>, rule: usize) -> bool {
    match ctx.compiled().program().rules.get(rule) {
        Some(r) => eval_node(ctx, r.root),
        None => false,
    }
}

/// The value of node `id` for the context's event.
pub fn eval_node(ctx: &mut EvalCtx<'_>, id: NodeId) -> bool {
    // The program outlives the context's borrow of it, so walking it while evaluating checks
    // (which mutates the context's slot cache) is fine.
    let nodes = &ctx.compiled().program().nodes;
    match nodes.get(id.0 as usize) {
        None => false,
        Some(Node::Const(b)) => *b,
        Some(Node::Check(c)) => ctx.eval_check(*c),
        Some(Node::Not(x)) => !eval_node(ctx, *x),
        Some(Node::And(xs)) => xs.iter().all(|x| eval_node(ctx, *x)),
        Some(Node::Or(xs)) => xs.iter().any(|x| eval_node(ctx, *x)),
    }
}
