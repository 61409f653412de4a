//! Typing one condition or output: fields resolved against the schema, operators checked
//! against field types, constants parsed for their type, transformers and `val()` checked, macros
//! and lists substituted. The result is a [`Cond`] (or output segments); every problem becomes a
//! diagnostic at its exact place in the text.
//!
//! Split by job: this file holds the lowering's state and the walk over expressions and
//! checks; [`operands`] resolves fields, their arguments and transformers; [`constants`] parses
//! right-hand constants for their type (with the warnings about them); [`exceptions`] turns a
//! rule's exceptions into conditions.

mod constants;
mod deprecated;
mod exceptions;
mod list_rhs;
mod operands;

use std::net::IpAddr;

use rulec_grammar::ast::{
    Check, Expr, ExprKind, FieldRef, Literal, Op, Operand, OutputPart, Rhs, TransformArg, Transformer,
};
use rulec_grammar::{Span, SyntaxErrorKind};

use super::Checker;
use super::hir::{CheckRhs, Cond, Const, FieldArgValue, FieldUse, OutputSegment, TransformInput, TypedCheck, Value};
use crate::diagnostic::{Code, Diagnostic, Fix, Location};
use crate::schema::{self, ArgSpec, FieldInfo, FieldType};
use crate::text::MappedText;

/// Where an operand stands: its role decides which fields and transformers are allowed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Side {
    Left,
    /// Inside `val()` or a transformer on the right side.
    Right,
    Output,
}

/// The diagnostic code for each kind of syntax error.
pub(super) fn syntax_code(kind: SyntaxErrorKind) -> Code {
    match kind {
        SyntaxErrorKind::UnterminatedString => Code::UnterminatedString,
        SyntaxErrorKind::InvalidEscape => Code::InvalidEscape,
        SyntaxErrorKind::TooDeep => Code::TooDeep,
        SyntaxErrorKind::Empty => Code::EmptyCondition,
        SyntaxErrorKind::UnknownTransformer => Code::UnknownTransformer,
        SyntaxErrorKind::BadOutputToken => Code::BadOutputToken,
        SyntaxErrorKind::UnexpectedToken
        | SyntaxErrorKind::UnexpectedEnd
        | SyntaxErrorKind::InvalidCharacter
        | SyntaxErrorKind::MissingBlank
        | SyntaxErrorKind::MissingOperator
        | SyntaxErrorKind::EmptyListItem => Code::Syntax,
    }
}

/// The largest condition, in nodes, that macro expansion may produce; past it a rule is
/// rejected rather than letting nested macros grow it exponentially.
const MAX_EXPANDED_NODES: usize = 500_000;

pub(super) struct Lowering<'c, 'a> {
    cx: &'c mut Checker<'a>,
    text: &'c MappedText,
    /// Set when a field was unknown (for `skip-if-unknown-filter`).
    pub unknown_field: bool,
    /// Set when an expanded macro had an unknown field.
    pub macros_with_unknown_field: bool,
    /// Report unknown fields as nothing (the rule will be skipped with one warning).
    pub skip_unknown_fields: bool,
    /// Keep unknown-field diagnostics in `deferred` instead of reporting them (a macro's: Falco
    /// checks fields only in the rules that use a macro, so whether one is an error depends on
    /// those rules; see `Checker::check_rules`).
    pub defer_unknown_fields: bool,
    pub deferred: Vec<Diagnostic>,
    /// Macros expanded here whose conditions (or their macros') name unknown fields.
    pub unknown_macros: Vec<usize>,
    /// Typing a macro's own condition: the macros it uses are shared, not charged to the
    /// check's expansion budget (what a rule expands is charged when a rule uses it).
    pub in_macro: bool,
    /// Nodes of the condition with its macros expanded.
    nodes: usize,
    /// Its deepest level, macros expanded (an upper bound: parentheses count).
    deepest: usize,
}

/// What a condition is with its macros expanded: what the readers that walk it (event types,
/// analyses, lowering) go through.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Expanded {
    /// Nodes.
    pub nodes: usize,
    /// Levels.
    pub depth: usize,
}

/// The deepest a condition may nest with its macros expanded: five times what one condition
/// may nest as written (`rulec_grammar::MAX_DEPTH`), so the recursive readers of checked
/// conditions stay far from the stack's end whatever the macros.
const MAX_EXPANDED_DEPTH: usize = 5 * rulec_grammar::MAX_DEPTH;

impl<'c, 'a> Lowering<'c, 'a> {
    pub fn new(cx: &'c mut Checker<'a>, text: &'c MappedText) -> Self {
        Lowering {
            cx,
            text,
            unknown_field: false,
            macros_with_unknown_field: false,
            skip_unknown_fields: false,
            defer_unknown_fields: false,
            deferred: Vec::new(),
            unknown_macros: Vec::new(),
            in_macro: false,
            nodes: 0,
            deepest: 0,
        }
    }

    /// The size of what was lowered, macros expanded: what readers of the condition walk.
    pub(crate) fn expanded(&self) -> Expanded {
        Expanded { nodes: self.nodes, depth: self.deepest }
    }

    fn loc(&self, span: Span) -> Location {
        self.text.location(span)
    }

    fn error(&mut self, code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(code, self.loc(span), message)
    }

    /// Where `span` is written, when the file holds it byte for byte (no escape or line fold
    /// inside, not a synthetic text): only there can a fix replace it.
    fn exact_loc(&self, span: Span) -> Option<Location> {
        let at = self.loc(span);
        (at.end - at.start == span.end - span.start && span.end > span.start).then_some(at)
    }

    /// `d` with the did-you-mean `suggestion` for the text at `span`: the hint always, the fix
    /// when the text can be replaced in the file.
    fn with_suggestion(&self, d: Diagnostic, span: Span, suggestion: &str) -> Diagnostic {
        match self.exact_loc(span) {
            Some(at) => d.with_suggestion(at, suggestion),
            None => d.with_hint(format!("did you mean `{suggestion}`?")),
        }
    }

    fn push(&mut self, d: Diagnostic) {
        // A macro's field-argument errors wait, like its unknown fields, for a rule that uses
        // it (Falco resolves a macro's fields only in the rules that use it).
        if self.defer_unknown_fields && matches!(d.code, Code::MissingFieldArgument | Code::InvalidFieldArgument) {
            self.deferred.push(d);
            return;
        }
        self.cx.push(d);
    }

    pub fn lower_expr(&mut self, e: &Expr, depth: usize) -> Cond {
        self.nodes += 1;
        self.deepest = self.deepest.max(depth);
        match &e.kind {
            ExprKind::Or(xs) => Cond::Or(xs.iter().map(|x| self.lower_expr(x, depth + 1)).collect()),
            ExprKind::And(xs) => Cond::And(xs.iter().map(|x| self.lower_expr(x, depth + 1)).collect()),
            ExprKind::Not(x) => Cond::Not(Box::new(self.lower_expr(x, depth + 1))),
            ExprKind::Paren(x) => self.lower_expr(x, depth + 1),
            ExprKind::Error => Cond::Const(false),
            ExprKind::MacroRef(id) => match self.cx.macro_cond(&id.name) {
                Some((index, cond, expanded, unknown)) => {
                    self.macros_with_unknown_field |= unknown;
                    if unknown && !self.unknown_macros.contains(&index) {
                        self.unknown_macros.push(index);
                    }
                    let reach = depth.saturating_add(expanded.depth);
                    if reach > MAX_EXPANDED_DEPTH {
                        let d = self.error(
                            Code::ResourceLimit,
                            id.span,
                            format!(
                                "expanding macro `{}` here nests the condition deeper than {MAX_EXPANDED_DEPTH} levels",
                                id.name
                            ),
                        );
                        self.push(d.with_hint(
                            "a chain of macros each using the one before nests one level per link; flatten it",
                        ));
                        return Cond::Const(false);
                    }
                    self.deepest = self.deepest.max(reach);
                    let size = expanded.nodes;
                    self.nodes = self.nodes.saturating_add(size);
                    let cond = Cond::Shared(std::sync::Arc::clone(cond));
                    if !self.in_macro
                        && let Some(first) = self.cx.charge_expansion(size)
                    {
                        if !first {
                            return Cond::Const(false);
                        }
                        let d = self.error(
                            Code::ResourceLimit,
                            id.span,
                            format!(
                                "expanding macro `{}` here makes the expanded conditions larger than {} nodes in all",
                                id.name,
                                super::MAX_EXPANSION
                            ),
                        );
                        self.push(d.with_hint(
                            "every rule expands the macros it uses; macros that use each other several times grow exponentially: factor them",
                        ));
                        return Cond::Const(false);
                    }
                    if self.nodes > MAX_EXPANDED_NODES {
                        let d = self.error(
                            Code::ResourceLimit,
                            id.span,
                            format!(
                                "expanding macro `{}` makes this condition larger than {MAX_EXPANDED_NODES} nodes",
                                id.name
                            ),
                        );
                        self.push(
                            d.with_hint("macros that use each other several times grow exponentially; factor them"),
                        );
                        return Cond::Const(false);
                    }
                    cond
                }
                // The macro had errors of its own, already reported where it is defined.
                None => Cond::Const(false),
            },
            ExprKind::Check(c) => self.lower_check(c),
        }
    }

    fn lower_check(&mut self, c: &Check) -> Cond {
        let Some(lhs) = self.lower_operand(&c.lhs, Side::Left) else { return Cond::Const(false) };
        let op = c.op.node;
        let op_span = c.op.span;

        // Is the operator defined for the left side's type?
        let allowed = allowed_ops(&lhs);
        if !allowed.contains(&op) {
            let ty = type_name(&lhs);
            let list = allowed.iter().map(|o| o.as_str()).collect::<Vec<_>>().join(" ");
            let d = self.error(
                Code::OperatorNotAllowed,
                op_span,
                format!("operator `{}` is not defined for `{}`, of type {ty}", op.as_str(), written(&c.lhs)),
            );
            self.push(
                d.with_label(self.loc(c.lhs.span()), format!("this is of type {ty}"))
                    .with_hint(format!("operators for this type: {list}")),
            );
            return Cond::Const(false);
        }
        if let Some(m) = &c.modifier {
            if !op.takes_modifier() {
                let d = self.error(
                    Code::BadRightSide,
                    m.span,
                    format!("`{}` cannot follow `{}`", m.node.as_str(), op.as_str()),
                );
                let ops: Vec<&str> = Op::ALL.into_iter().filter(|o| o.takes_modifier()).map(Op::as_str).collect();
                self.push(d.with_hint(format!("modifiers follow string operators: {}", ops.join(" "))));
                return Cond::Const(false);
            }
        }

        let rhs = match (&c.rhs, op) {
            (None, Op::Exists) => CheckRhs::None,
            (None, _) => {
                let d =
                    self.error(Code::BadRightSide, op_span, format!("`{}` needs a value on its right", op.as_str()));
                self.push(d);
                return Cond::Const(false);
            }
            (Some(rhs), Op::Exists) => {
                let d = self.error(Code::BadRightSide, rhs.span(), "`exists` takes no value");
                self.push(d);
                return Cond::Const(false);
            }
            (Some(Rhs::List(list)), _) if op.takes_list() || c.modifier.is_some() => {
                let mut values = Vec::new();
                let mut ok = true;
                for item in &list.items {
                    let expanded = if item.quote.is_none() { self.cx.list_items(&item.value) } else { None };
                    if let Some(items) = &expanded
                        && let Some(first) = self.cx.charge_expansion(items.len())
                    {
                        if !first {
                            return Cond::Const(false);
                        }
                        let d = self.error(
                            Code::ResourceLimit,
                            item.span,
                            format!(
                                "using list `{}` here makes the expanded conditions hold more than {} values in all",
                                item.value,
                                super::MAX_EXPANSION
                            ),
                        );
                        self.push(d);
                        return Cond::Const(false);
                    }
                    match expanded {
                        Some(items) => {
                            for v in items {
                                match self.parse_const(&v, item.span, &lhs, op) {
                                    Some(k) => values.push(k),
                                    None => ok = false,
                                }
                            }
                        }
                        None => match self.parse_const(&item.value, item.span, &lhs, op) {
                            Some(k) => {
                                self.warn_field_as_string(item);
                                values.push(k)
                            }
                            None => ok = false,
                        },
                    }
                }
                if !ok {
                    return Cond::Const(false);
                }
                CheckRhs::List(values)
            }
            (Some(Rhs::List(list)), _) => {
                let d = self.error(
                    Code::BadRightSide,
                    list.span,
                    format!("`{}` compares with one value, not a list", op.as_str()),
                );
                self.push(d.with_hint("use `in (...)` for membership, or a modifier: `startswith anyof (...)`"));
                return Cond::Const(false);
            }
            (Some(Rhs::Operand(o)), _) if op.takes_list() && c.modifier.is_none() => {
                match self.list_op_with_field(&lhs, op, o) {
                    Some(check) => return check,
                    None => return Cond::Const(false),
                }
            }
            (Some(rhs), _) if op.takes_list() || c.modifier.is_some() => {
                let what = if c.modifier.is_some() { "a modifier" } else { op.as_str() };
                let d = self.error(
                    Code::BadRightSide,
                    rhs.span(),
                    format!("`{what}` needs a parenthesised list on its right"),
                );
                let hint = match rhs {
                    Rhs::Value(l) => format!("write `({})`", l.value),
                    _ => "write `(a, b, ...)`".to_owned(),
                };
                self.push(d.with_hint(hint));
                return Cond::Const(false);
            }
            (Some(Rhs::Value(lit)), _) => {
                self.warn_field_as_string(lit);
                match self.parse_const(&lit.value, lit.span, &lhs, op) {
                    Some(k) => {
                        if op == Op::Regex {
                            self.warn_simple_regex(&lit.value, lit.span);
                        }
                        CheckRhs::Const(k)
                    }
                    None => return Cond::Const(false),
                }
            }
            (Some(Rhs::Operand(o)), _) => {
                // As libs: a field that takes no field on its right takes none on its left either.
                if let Value::Field(f) = &lhs
                    && f.field.flags.no_rhs
                {
                    let d = self.error(
                        Code::ValMisuse,
                        o.span(),
                        format!("`{}` can only be compared with a constant, not with a field", f.written),
                    );
                    self.push(d.with_hint("write the value to compare with"));
                    return Cond::Const(false);
                }
                let Some(v) = self.lower_operand(o, Side::Right) else { return Cond::Const(false) };
                if !comparable(&lhs, &v) {
                    let d = self.error(
                        Code::ValMisuse,
                        o.span(),
                        format!("cannot compare {} with {}", type_name(&lhs), type_name(&v)),
                    );
                    self.push(d.with_label(self.loc(c.lhs.span()), format!("this is of type {}", type_name(&lhs))));
                    return Cond::Const(false);
                }
                CheckRhs::Value(v)
            }
        };
        Cond::Check(Box::new(TypedCheck {
            lhs,
            op,
            modifier: c.modifier.as_ref().map(|m| m.node),
            rhs,
            location: self.loc(c.span),
        }))
    }

    /// Output format string → segments.
    pub fn lower_output(&mut self) -> Vec<OutputSegment> {
        let parsed = rulec_grammar::parse_output(self.text.as_str());
        for err in &parsed.errors {
            let mut d = self.error(syntax_code(err.kind), err.span, err.message.clone());
            if let Some(h) = &err.hint {
                d = d.with_hint(h.clone());
            }
            if let Some(fix) = super::syntax_fix(self.text, err) {
                d = d.with_fix(fix);
            }
            self.push(d);
        }
        let mut out = Vec::new();
        for part in &parsed.parts {
            match part {
                OutputPart::Text { text, .. } => out.push(OutputSegment::Text(text.clone())),
                OutputPart::Field { operand, span } => {
                    if let Some(deprecated::Deprecation::Dropped) = self.deprecated_output_field(operand) {
                        continue;
                    }
                    if let Some(value) = self.lower_operand(operand, Side::Output) {
                        let written = self.text.as_str().get(span.range()).unwrap_or("").to_owned();
                        out.push(OutputSegment::Value { value, written });
                    }
                }
            }
        }
        out
    }
}

/// The operators allowed on a value.
fn allowed_ops(v: &Value) -> Vec<Op> {
    match v {
        Value::Field(f) => f.field.ops.to_vec(),
        Value::Transform { ty, is_list, .. } => schema::ops_for_type(*ty, *is_list).to_vec(),
    }
}

fn type_name(v: &Value) -> String {
    if v.is_list() { format!("list of {}", v.ty().name()) } else { v.ty().name().to_owned() }
}

fn written(o: &Operand) -> String {
    match o {
        Operand::Field(f) => f.name.clone(),
        Operand::Transform(t) => format!("{}(...)", t.func.node.as_str()),
    }
}

/// Whether two values can be compared (`lhs op val(rhs)`).
fn comparable(a: &Value, b: &Value) -> bool {
    let (x, y) = (a.ty(), b.ty());
    x == y
        || (x.is_numeric() && y.is_numeric())
        || (x.is_string() && y.is_string())
        || (matches!(x, FieldType::IpAddr | FieldType::IpNet) && matches!(y, FieldType::IpAddr | FieldType::IpNet))
}
