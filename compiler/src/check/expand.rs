//! A condition with its macros expanded: every macro reference replaced by the macro's parsed
//! condition, recursively, as the language server's hover and `rulec stdlib show` print it. Pure
//! syntax over the checked ruleset's parsed macros; depth and size are bounded (checking
//! already reports cycles), so it never fails.

use std::collections::HashMap;

use rulec_grammar::ast::{Expr, ExprKind};

use super::Ruleset;

/// Macros nested deeper than this are left unexpanded.
const MAX_DEPTH: usize = 64;

/// `expr` with every macro replaced by its (parenthesised) condition, recursively.
pub fn expand_macros(ruleset: &Ruleset, expr: &Expr) -> Expr {
    let macros: HashMap<&str, &Expr> = ruleset
        .loaded
        .macros
        .iter()
        .zip(&ruleset.macro_exprs)
        .filter_map(|(m, e)| Some((m.name.as_str(), e.as_ref()?)))
        .collect();
    let mut budget = 200_000usize;
    expand(expr, &macros, 0, &mut budget)
}

fn expand(e: &Expr, macros: &HashMap<&str, &Expr>, depth: usize, budget: &mut usize) -> Expr {
    *budget = budget.saturating_sub(1);
    let kind = match &e.kind {
        ExprKind::Or(xs) => ExprKind::Or(xs.iter().map(|x| expand(x, macros, depth, budget)).collect()),
        ExprKind::And(xs) => ExprKind::And(xs.iter().map(|x| expand(x, macros, depth, budget)).collect()),
        ExprKind::Not(x) => ExprKind::Not(Box::new(expand(x, macros, depth, budget))),
        ExprKind::Paren(x) => ExprKind::Paren(Box::new(expand(x, macros, depth, budget))),
        ExprKind::MacroRef(id) => match macros.get(id.name.as_str()) {
            Some(body) if depth < MAX_DEPTH && *budget > 0 => {
                let inner = expand(body, macros, depth + 1, budget);
                // A body that is already one parenthesised group or a single check needs no more.
                match inner.kind {
                    ExprKind::Paren(_) | ExprKind::Check(_) | ExprKind::MacroRef(_) => inner.kind,
                    _ => ExprKind::Paren(Box::new(inner)),
                }
            }
            _ => e.kind.clone(),
        },
        ExprKind::Check(_) | ExprKind::Error => e.kind.clone(),
    };
    Expr { kind, span: e.span }
}
