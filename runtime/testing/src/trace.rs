//! Why a rule did not match an event: its condition tree with the value of every subexpression
//! (as `opa test --var-values` shows), for the report of a missing alert.
//!
//! The tracer walks the IR nodes of the rule (lowered but not optimised, so the tree keeps the
//! shape of the condition and its macros) and asks [`EvalCtx::eval_check`] for the leaves, the
//! same function both backends use, so the values are the engine's. Every node is evaluated
//! (no short-circuit: nodes are pure) so the report can show them all. Each check is shown with
//! the source text it was written as (its IR location points into the rules file, or into the
//! macro it came from) and the value the field had; a compound node with the text that spans
//! its checks when that text is short and on one line.
//!
//! Which children a report expands is decided here too ([`TraceNode::decisive`]): the ones
//! that make the node's value (the false children of a false `and`, the true ones of a true
//! `or`...); the others stay one line each.

use rulec_compiler::ir::{Node, NodeId, Slot};
use rulec_compiler::{Location, SourceFile};

use rulec_runtime::eval::EvalCtx;

/// The deepest tree traced; deeper nodes are summarised.
pub const MAX_DEPTH: usize = 64;

/// What kind of node a trace node is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TraceKind {
    And,
    Or,
    Not,
    Const,
    Check,
}

/// One node of a traced condition.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceNode {
    pub kind: TraceKind,
    pub value: bool,
    /// The source text (whitespace collapsed), when known.
    pub text: Option<String>,
    /// Where the text is.
    pub location: Option<Location>,
    /// For a check: the field as written and its value for the event (`proc.name=bash`;
    /// `<NA>` when absent).
    pub actual: Option<String>,
    pub children: Vec<TraceNode>,
}

impl TraceNode {
    /// Whether child `i` decides this node's value (and so deserves to be expanded).
    pub fn decisive(&self, i: usize) -> bool {
        let Some(c) = self.children.get(i) else { return false };
        match self.kind {
            TraceKind::And | TraceKind::Or => {
                let short = self.kind != TraceKind::And;
                // A false `and` is decided by its false children, a true `or` by its true ones;
                // otherwise every child counts.
                if self.value == short { c.value == short } else { true }
            }
            TraceKind::Not => true,
            _ => false,
        }
    }

    /// The number of checks in the tree.
    pub fn checks(&self) -> usize {
        match self.kind {
            TraceKind::Check => 1,
            _ => self.children.iter().map(TraceNode::checks).sum(),
        }
    }
}

/// Traces rule root `root` of the context's program on the context's event.
pub fn trace(ctx: &mut EvalCtx<'_>, root: NodeId, sources: &[SourceFile]) -> TraceNode {
    node(ctx, root, sources, 0)
}

fn node(ctx: &mut EvalCtx<'_>, id: NodeId, sources: &[SourceFile], depth: usize) -> TraceNode {
    let program = ctx.compiled().program();
    let leaf = |kind, value, text: Option<String>| TraceNode {
        kind,
        value,
        text,
        location: None,
        actual: None,
        children: Vec::new(),
    };
    if depth > MAX_DEPTH {
        let v = rulec_runtime::eval::interp::eval_node(ctx, id);
        return leaf(TraceKind::Const, v, Some("… (nested too deep to show)".into()));
    }
    match program.nodes.get(id.0 as usize) {
        None => leaf(TraceKind::Const, false, Some("<missing node>".into())),
        Some(Node::Const(b)) => leaf(TraceKind::Const, *b, Some(b.to_string())),
        Some(Node::Check(c)) => {
            let value = ctx.eval_check(*c);
            let check = program.checks.get(c.0 as usize);
            let location = check.map(|c| c.location);
            let text = location.and_then(|l| source_text(sources, l));
            let actual = check.map(|ch| {
                let name = slot_name(program.slots.get(ch.slot.0 as usize));
                let v = ctx.slot_guarded(ch.slot).map_or_else(|| "<NA>".to_owned(), ToString::to_string);
                format!("{name}={v}")
            });
            TraceNode { kind: TraceKind::Check, value, text, location, actual, children: Vec::new() }
        }
        Some(Node::Not(x)) => {
            let child = node(ctx, *x, sources, depth + 1);
            compound(TraceKind::Not, !child.value, vec![child], sources)
        }
        Some(Node::And(xs)) => {
            let xs = xs.clone();
            let children: Vec<TraceNode> = xs.iter().map(|x| node(ctx, *x, sources, depth + 1)).collect();
            let value = children.iter().all(|c| c.value);
            compound(TraceKind::And, value, children, sources)
        }
        Some(Node::Or(xs)) => {
            let xs = xs.clone();
            let children: Vec<TraceNode> = xs.iter().map(|x| node(ctx, *x, sources, depth + 1)).collect();
            let value = children.iter().any(|c| c.value);
            compound(TraceKind::Or, value, children, sources)
        }
    }
}

/// A compound node, labelled with the text spanning its checks when it is one short line.
fn compound(kind: TraceKind, value: bool, children: Vec<TraceNode>, sources: &[SourceFile]) -> TraceNode {
    let mut span: Option<Location> = None;
    let mut one_file = true;
    visit_locations(&children, &mut |l| match &mut span {
        None => span = Some(l),
        Some(s) if s.file == l.file => {
            s.start = s.start.min(l.start);
            s.end = s.end.max(l.end);
        }
        Some(_) => one_file = false,
    });
    let (text, location) = match span.filter(|_| one_file) {
        Some(l) => {
            let t = sources.iter().find(|f| f.id == l.file).and_then(|f| f.text.get(l.start as usize..l.end as usize));
            match t {
                Some(t) if t.len() <= 140 && !t.contains('\n') => {
                    let t = balance(t);
                    (Some(if kind == TraceKind::Not { format!("not {t}") } else { t }), Some(l))
                }
                _ => (None, Some(l)),
            }
        }
        None => (None, None),
    };
    TraceNode { kind, value, text, location, actual: None, children }
}

fn visit_locations(nodes: &[TraceNode], f: &mut impl FnMut(Location)) {
    for n in nodes {
        if n.kind == TraceKind::Check
            && let Some(l) = n.location
        {
            f(l);
        }
        visit_locations(&n.children, f);
    }
}

/// A span between two checks may cut a parenthesised group open: close or open it again.
fn balance(t: &str) -> String {
    let mut depth: i64 = 0;
    let mut min: i64 = 0;
    for c in t.chars() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                min = min.min(depth);
            }
            _ => {}
        }
    }
    let open = "(".repeat(usize::try_from(-min).unwrap_or(0));
    let close = ")".repeat(usize::try_from(depth - min).unwrap_or(0));
    format!("{open}{t}{close}")
}

/// The text at `loc`, whitespace runs collapsed to one space.
pub fn source_text(sources: &[SourceFile], loc: Location) -> Option<String> {
    let f = sources.iter().find(|f| f.id == loc.file)?;
    let t = f.text.get(loc.start as usize..loc.end as usize)?;
    Some(t.split_whitespace().collect::<Vec<_>>().join(" "))
}

fn slot_name(slot: Option<&Slot>) -> String {
    match slot {
        Some(Slot::Field { field, arg }) => match arg {
            Some(rulec_compiler::check::hir::FieldArgValue::Index(i)) => format!("{}[{i}]", field.name),
            Some(rulec_compiler::check::hir::FieldArgValue::Key(k)) => {
                if field.name == "evt.arg" {
                    format!("evt.arg.{k}")
                } else {
                    format!("{}[{k}]", field.name)
                }
            }
            None => field.name.to_owned(),
        },
        Some(Slot::Transform { func, .. }) => format!("{func:?}(…)").to_ascii_lowercase(),
        None => "<slot>".into(),
    }
}
