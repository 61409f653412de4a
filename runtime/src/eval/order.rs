//! Adaptive ordering of junction children: which child of an `and` (an `or`) to try first, from
//! how often each child turned out false (true) on the events seen so far.
//!
//! Evaluation short-circuits, so a junction costs least when its children are tried cheapest
//! and most decisive first: for independent children the order by `cost / P(decisive)`
//! ascending is optimal (decisive: false for `and`, true for `or`). The optimiser can only
//! guess costs from the test kind, and never knows how often a test holds: `proc.exe endswith
//! ssh` and `fd.l4proto = tcp` cost about the same, but the first is false for nearly every
//! event and the second true. So the engine observes its first rule evaluations with
//! [`Profile::observe`] (every node of the rule evaluated, not short-circuited, so each
//! child's frequency is measured on its own) and then reorders ([`Profile::order`]) with the
//! costs the engine gives it: the static model's, except where the engine knows a check runs
//! cheaper (a shared pass's verdict bit, an inline test in the JIT; see `engine.rs`).
//!
//! Meaning does not change: checks are pure (evaluating one has no effect but filling the slot
//! cache), so the value of a junction does not depend on the order of its children. Only the
//! time to reach it does.

use rulec_ir::{Node, NodeId, Program};

use super::EvalCtx;

/// Counts of node outcomes over the observed evaluations.
#[derive(Debug)]
pub struct Profile {
    /// Per node: (times evaluated, times true).
    counts: Vec<(u32, u32)>,
    /// Per node: (walk stamp, value) of the current walk (DAG nodes are counted once per walk).
    memo: Vec<(u32, bool)>,
    stamp: u32,
    /// Walks done.
    walks: u32,
}

impl Profile {
    pub fn new(p: &Program) -> Profile {
        Profile { counts: vec![(0, 0); p.nodes.len()], memo: vec![(0, false); p.nodes.len()], stamp: 0, walks: 0 }
    }

    /// How many rule evaluations were observed.
    pub fn walks(&self) -> u32 {
        self.walks
    }

    /// Evaluates every node under `root` for the context's event (no short-circuit) and counts
    /// the outcomes; returns the root's value.
    pub fn observe(&mut self, ctx: &mut EvalCtx<'_>, root: NodeId) -> bool {
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.stamp = 1;
            self.memo.fill((0, false));
        }
        self.walks = self.walks.saturating_add(1);
        self.walk(ctx, root)
    }

    fn walk(&mut self, ctx: &mut EvalCtx<'_>, id: NodeId) -> bool {
        let i = id.0 as usize;
        match self.memo.get(i) {
            Some(&(s, v)) if s == self.stamp => return v,
            Some(_) => {}
            None => return false,
        }
        let nodes = &ctx.compiled().program().nodes;
        let v = match nodes.get(i) {
            None => false,
            Some(Node::Const(b)) => *b,
            Some(Node::Check(c)) => ctx.eval_check(*c),
            // Children have smaller ids (verified), so the walk terminates.
            Some(Node::Not(x)) => x.0 < id.0 && !self.walk(ctx, *x),
            Some(Node::And(xs)) => {
                let mut all = true;
                for x in xs.iter().filter(|x| x.0 < id.0) {
                    all &= self.walk(ctx, *x);
                }
                all
            }
            Some(Node::Or(xs)) => {
                let mut any = false;
                for x in xs.iter().filter(|x| x.0 < id.0) {
                    any |= self.walk(ctx, *x);
                }
                any
            }
        };
        if let Some(m) = self.memo.get_mut(i) {
            *m = (self.stamp, v);
        }
        if let Some(c) = self.counts.get_mut(i) {
            c.0 = c.0.saturating_add(1);
            c.1 = c.1.saturating_add(u32::from(v));
        }
        v
    }

    /// The new child order of every junction of `p` whose order should change:
    /// `(node, children)`, the children a permutation of the node's. `costs` is what each node
    /// costs as the engine will run it (`rulec_ir::cost::node_costs_priced`; a missing entry
    /// costs 1).
    pub fn order(&self, p: &Program, costs: &[f64]) -> Vec<(NodeId, Vec<NodeId>)> {
        let mut out = Vec::new();
        for (i, n) in p.nodes.iter().enumerate() {
            let (kids, is_and) = match n {
                Node::And(xs) => (xs, true),
                Node::Or(xs) => (xs, false),
                _ => continue,
            };
            let key = |k: &NodeId| -> f64 {
                let (evals, trues) = self.counts.get(k.0 as usize).copied().unwrap_or((0, 0));
                let decisive = if is_and { evals - trues } else { trues };
                // Laplace smoothing: an unobserved child counts as decisive half the time.
                let p = (f64::from(decisive) + 1.0) / (f64::from(evals) + 2.0);
                costs.get(k.0 as usize).copied().unwrap_or(1.0) / p
            };
            let mut keyed: Vec<(f64, NodeId)> = kids.iter().map(|k| (key(k), *k)).collect();
            // Stable, so ties keep the optimiser's order.
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
            let order: Vec<NodeId> = keyed.into_iter().map(|(_, k)| k).collect();
            if order != *kids {
                out.push((NodeId(i as u32), order));
            }
        }
        out
    }
}
