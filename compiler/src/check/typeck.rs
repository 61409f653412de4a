//! Typing one condition or output: fields resolved against the schema, operators checked
//! against field types, constants parsed for their type, transformers and `val()` checked, macros
//! and lists substituted. The result is a [`Cond`] (or output segments); every problem becomes a
//! diagnostic at its exact place in the text.

use std::net::IpAddr;

use rulec_grammar::ast::{
    Check, Expr, ExprKind, FieldRef, Literal, Op, Operand, OutputPart, Rhs, TransformArg, Transformer,
};
use rulec_grammar::{Span, SyntaxErrorKind};

use super::Checker;
use super::hir::{CheckRhs, Cond, Const, FieldArgValue, FieldUse, OutputSegment, TransformInput, TypedCheck, Value};
use crate::diagnostic::{Code, Diagnostic, Location};
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
    nodes: usize,
}

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
            nodes: 0,
        }
    }

    fn loc(&self, span: Span) -> Location {
        self.text.location(span)
    }

    fn error(&mut self, code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(code, self.loc(span), message)
    }

    fn push(&mut self, d: Diagnostic) {
        self.cx.push(d);
    }

    pub fn lower_expr(&mut self, e: &Expr, depth: usize) -> Cond {
        self.nodes += 1;
        match &e.kind {
            ExprKind::Or(xs) => Cond::Or(xs.iter().map(|x| self.lower_expr(x, depth + 1)).collect()),
            ExprKind::And(xs) => Cond::And(xs.iter().map(|x| self.lower_expr(x, depth + 1)).collect()),
            ExprKind::Not(x) => Cond::Not(Box::new(self.lower_expr(x, depth + 1))),
            ExprKind::Paren(x) => self.lower_expr(x, depth + 1),
            ExprKind::Error => Cond::Const(false),
            ExprKind::MacroRef(id) => match self.cx.macro_cond(&id.name) {
                Some((index, cond, unknown)) => {
                    self.macros_with_unknown_field |= unknown;
                    if unknown && !self.unknown_macros.contains(&index) {
                        self.unknown_macros.push(index);
                    }
                    let size = cond_size(cond);
                    self.nodes += size;
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
                    cond.clone()
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
                self.push(d.with_hint("modifiers follow string operators: = != contains icontains bcontains startswith bstartswith endswith glob iglob regex"));
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

    /// Resolves a field or transformer expression.
    fn lower_operand(&mut self, o: &Operand, side: Side) -> Option<Value> {
        match o {
            // A bare field on the right exists only inside val() and transformers: the grammar
            // reads any other right-hand word as a constant.
            Operand::Field(f) => self.resolve_field(f, side).map(Value::Field),
            Operand::Transform(t) => {
                let func = t.func.node;
                if func == Transformer::Val && side == Side::Left {
                    let d = self.error(
                        Code::ValMisuse,
                        t.func.span,
                        "`val()` can only be used on the right side of a comparison",
                    );
                    self.push(d.with_hint("write the field itself on the left: `proc.name = val(proc.pname)`"));
                    return None;
                }
                let mut inputs = Vec::new();
                for a in &t.args {
                    match a {
                        TransformArg::Operand(inner) => {
                            let v = self.lower_operand(inner, side)?;
                            if let Value::Field(fu) = &v {
                                if fu.field.flags.no_transformer && func != Transformer::Val {
                                    let d = self.error(
                                        Code::TransformerType,
                                        inner.span(),
                                        format!("`{}` cannot be used inside a transformer", fu.written),
                                    );
                                    self.push(d);
                                    return None;
                                }
                            }
                            inputs.push(TransformInput::Value(v));
                        }
                        TransformArg::Literal(l) => inputs.push(TransformInput::Literal(l.value.clone())),
                    }
                }
                let (ty, is_list) = self.transform_type(func, &inputs, t)?;
                if t.index.is_some() && func != Transformer::GetOpt {
                    let d = self.error(
                        Code::TransformerType,
                        t.span,
                        format!("`{}()` takes no `[...]` index", func.as_str()),
                    );
                    self.push(d);
                    return None;
                }
                if func == Transformer::Val {
                    // val() is the field itself, read as a value rather than as a string constant.
                    let Some(TransformInput::Value(v)) = inputs.into_iter().next() else { return None };
                    return Some(v);
                }
                Some(Value::Transform {
                    func,
                    args: inputs,
                    index: t.index.as_ref().map(|i| i.value.clone()),
                    ty,
                    is_list,
                })
            }
        }
    }

    /// The type a transformer produces, after checking its inputs.
    fn transform_type(
        &mut self,
        func: Transformer,
        inputs: &[TransformInput],
        t: &rulec_grammar::ast::Transform,
    ) -> Option<(FieldType, bool)> {
        let arity_err = |this: &mut Self, want: &str| {
            let d = this.error(
                Code::TransformerType,
                t.span,
                format!("`{}()` takes {want}, found {}", func.as_str(), inputs.len()),
            );
            this.push(d);
            None
        };
        let is_str = |i: &TransformInput| match i {
            TransformInput::Value(v) => v.ty().is_string() && !v.is_list(),
            TransformInput::Literal(_) => true,
        };
        match func {
            Transformer::ToLower | Transformer::ToUpper | Transformer::B64 | Transformer::Basename => {
                if inputs.len() != 1 {
                    return arity_err(self, "one argument");
                }
                if !matches!(&inputs[0], TransformInput::Value(_)) || !is_str(&inputs[0]) {
                    return self.type_err(func, t, "a string field");
                }
                Some((FieldType::CharBuf, false))
            }
            Transformer::Len => {
                if inputs.len() != 1 {
                    return arity_err(self, "one argument");
                }
                match &inputs[0] {
                    TransformInput::Value(v) if v.is_list() || v.ty().is_string() => Some((FieldType::Uint64, false)),
                    _ => self.type_err(func, t, "a string or list field"),
                }
            }
            Transformer::Val => {
                if inputs.len() != 1 {
                    return arity_err(self, "one argument");
                }
                match &inputs[0] {
                    TransformInput::Value(Value::Field(f)) => {
                        if f.field.flags.no_rhs {
                            let d = self.error(
                                Code::ValMisuse,
                                t.span,
                                format!("`{}` cannot be used as a value on the right side", f.written),
                            );
                            self.push(d);
                            return None;
                        }
                        Some((f.field.ty, f.field.is_list))
                    }
                    _ => {
                        let d = self.error(Code::ValMisuse, t.span, "`val()` takes one field");
                        self.push(d);
                        None
                    }
                }
            }
            Transformer::Join => {
                if inputs.len() != 2 {
                    return arity_err(self, "two arguments (a separator and a list field)");
                }
                match (&inputs[0], &inputs[1]) {
                    (TransformInput::Literal(_), TransformInput::Value(v)) if v.is_list() || v.ty().is_string() => {
                        Some((FieldType::CharBuf, false))
                    }
                    _ => self.type_err(func, t, "a quoted separator and a list field"),
                }
            }
            Transformer::Concat => {
                if inputs.len() < 2 {
                    return arity_err(self, "two or more arguments");
                }
                if !inputs.iter().all(is_str) {
                    return self.type_err(func, t, "strings or string fields");
                }
                Some((FieldType::CharBuf, false))
            }
            Transformer::GetOpt => {
                if inputs.len() != 2 {
                    return arity_err(self, "two arguments (an arguments field and an option string)");
                }
                match (&inputs[0], &inputs[1]) {
                    (TransformInput::Value(v), TransformInput::Literal(_)) if v.ty().is_string() => {}
                    _ => return self.type_err(func, t, "an arguments field and a quoted option string"),
                }
                if t.index.is_none() {
                    let d = self.error(
                        Code::TransformerType,
                        t.span,
                        "`getopt()` needs the option to read: `getopt(proc.args, \"c:\")[c]`",
                    );
                    self.push(d);
                    return None;
                }
                Some((FieldType::CharBuf, false))
            }
        }
    }

    fn type_err<T>(&mut self, func: Transformer, t: &rulec_grammar::ast::Transform, want: &str) -> Option<T> {
        let d = self.error(Code::TransformerType, t.span, format!("`{}()` takes {want}", func.as_str()));
        self.push(d);
        None
    }

    /// Resolves a field reference against the schema, with its argument.
    fn resolve_field(&mut self, f: &FieldRef, side: Side) -> Option<FieldUse> {
        let schema = schema::schema();
        let Some((info, dot_arg)) = schema.resolve_field(&f.name) else {
            self.unknown_field = true;
            if self.skip_unknown_fields {
                return None;
            }
            let code = if side == Side::Output { Code::OutputField } else { Code::UnknownField };
            let mut d = self.error(code, f.name_span, format!("unknown field `{}`", f.name));
            if let Some(s) = schema.suggest_field(&f.name) {
                d = d.with_hint(format!("did you mean `{s}`?"));
            } else if !f.name.contains('.') {
                d = d.with_hint("fields are written `class.name`, e.g. `proc.name`; `rulec fields` lists them all");
            }
            if self.defer_unknown_fields && side != Side::Output {
                self.deferred.push(d);
            } else {
                self.push(d);
            }
            return None;
        };
        if side == Side::Output && info.flags.filter_only {
            let d = self.error(
                Code::OutputField,
                f.span,
                format!("`{}` can be used in conditions only, not in outputs", f.name),
            );
            self.push(d);
            return None;
        }
        if side != Side::Output && info.flags.print_only {
            let d = self.error(
                Code::UnknownField,
                f.span,
                format!("`{}` can be used in outputs only, not in conditions", f.name),
            );
            self.push(d);
            return None;
        }
        // The argument: `[..]` or a dot suffix, never both.
        let (arg_text, arg_span) = match (&f.arg, dot_arg) {
            (Some(a), None) => (Some(a.value.clone()), a.span),
            (None, Some(d)) => {
                let start = f.name_span.start as usize + info.name.len() + 1;
                (Some(d), Span::new(start, f.name_span.end as usize))
            }
            (None, None) => (None, f.span),
            (Some(a), Some(_)) => {
                let d = self.error(Code::InvalidFieldArgument, a.span, format!("`{}` already has an argument", f.name));
                self.push(d);
                return None;
            }
        };
        let arg = match (info.arg, arg_text) {
            (ArgSpec::None, Some(_)) => {
                let d = self.error(Code::InvalidFieldArgument, arg_span, format!("`{}` takes no argument", info.name));
                self.push(d);
                return None;
            }
            (ArgSpec::Required, None) => {
                let d = self.error(Code::MissingFieldArgument, f.span, format!("`{}` needs an argument", info.name));
                self.push(d.with_hint(arg_hint(info)));
                return None;
            }
            (_, None) => None,
            (_, Some(text)) => Some(self.check_field_arg(info, text, arg_span)?),
        };
        Some(FieldUse {
            field: info,
            arg,
            written: self.text.as_str().get(f.span.range()).unwrap_or(&f.name).to_owned(),
        })
    }

    fn check_field_arg(&mut self, info: &'static FieldInfo, text: String, span: Span) -> Option<FieldArgValue> {
        let schema = schema::schema();
        let index = text.parse::<i64>().ok();
        let bad = |this: &mut Self, msg: String| {
            let d = this.error(Code::InvalidFieldArgument, span, msg);
            this.push(d.with_hint(arg_hint(info)));
            None
        };
        match info.name {
            n if info.is_ancestor_field() => match index {
                Some(i) if i >= 0 => Some(FieldArgValue::Index(i)),
                _ => bad(
                    self,
                    format!(
                        "`{n}[..]` takes an ancestor level (0 is the process itself, 1 its parent...), not `{text}`"
                    ),
                ),
            },
            "evt.type.is" => {
                if schema.is_event_name(&text) {
                    Some(FieldArgValue::Key(text))
                } else {
                    bad(self, format!("unknown event type `{text}`"))
                }
            }
            "evt.arg" | "evt.rawarg" => {
                if let (Some(i), "evt.arg") = (index, info.name) {
                    return Some(FieldArgValue::Index(i));
                }
                if schema.events_with_param(&text).is_empty() {
                    let mut d = self.error(
                        Code::InvalidFieldArgument,
                        span,
                        format!("no event has a parameter named `{text}`"),
                    );
                    if let Some(s) = super::suggest(&text, schema.param_names()) {
                        d = d.with_hint(format!("did you mean `{s}`?"));
                    }
                    self.push(d);
                    return None;
                }
                Some(FieldArgValue::Key(text))
            }
            _ => match (info.arg_kind_index(), info.arg_kind_key(), index) {
                (true, _, Some(i)) => Some(FieldArgValue::Index(i)),
                (true, false, None) => bad(self, format!("`{}[..]` takes a number, not `{text}`", info.name)),
                _ => Some(FieldArgValue::Key(text)),
            },
        }
    }

    /// Parses a constant for comparison with `lhs` by `op`.
    fn parse_const(&mut self, value: &str, span: Span, lhs: &Value, op: Op) -> Option<Const> {
        let ty = lhs.ty();
        let bad = |this: &mut Self, code: Code, msg: String, hint: Option<String>| {
            let mut d = this.error(code, span, msg);
            if let Some(h) = hint {
                d = d.with_hint(h);
            }
            this.push(d);
            None
        };
        match op {
            Op::BContains | Op::BStartsWith => {
                return match decode_hex(value) {
                    Some(b) => Some(Const::Bytes(b)),
                    None => bad(
                        self,
                        Code::InvalidHex,
                        format!("`{}` needs hex bytes, found `{value}`", op.as_str()),
                        Some("write an even number of hex digits, e.g. `7f454c46`".into()),
                    ),
                };
            }
            Op::Regex => {
                return match regex::Regex::new(&format!("^(?:{value})$")) {
                    Ok(_) => Some(Const::Str(value.to_owned())),
                    Err(e) => {
                        bad(self, Code::InvalidRegex, format!("invalid regex: {}", first_line(&e.to_string())), None)
                    }
                };
            }
            Op::Glob | Op::IGlob | Op::PMatch => {
                return match glob_error(value) {
                    None => Some(Const::Str(value.to_owned())),
                    Some(msg) => bad(self, Code::InvalidGlob, format!("invalid pattern `{value}`: {msg}"), None),
                };
            }
            Op::Contains | Op::IContains | Op::StartsWith | Op::EndsWith => {
                return Some(if ty == FieldType::ByteBuf {
                    Const::Bytes(value.as_bytes().to_vec())
                } else {
                    Const::Str(value.to_owned())
                });
            }
            _ => {}
        }
        let field_name = match lhs {
            Value::Field(f) => f.field.name,
            Value::Transform { .. } => "",
        };
        match ty {
            FieldType::CharBuf => {
                if field_name == "evt.type" && matches!(op, Op::Eq | Op::Ne | Op::In | Op::Intersects) {
                    let schema = schema::schema();
                    if !schema.is_event_name(value) {
                        let hint = super::suggest(value, schema.event_names()).map(|s| format!("did you mean `{s}`?"));
                        return bad(self, Code::UnknownEventType, format!("unknown event type `{value}`"), hint);
                    }
                }
                Some(Const::Str(value.to_owned()))
            }
            FieldType::ByteBuf => Some(Const::Bytes(value.as_bytes().to_vec())),
            FieldType::Bool => match value {
                "true" => Some(Const::Bool(true)),
                "false" => Some(Const::Bool(false)),
                _ => bad(
                    self,
                    Code::InvalidValue,
                    format!("`{value}` is not a bool"),
                    Some("write `true` or `false`".into()),
                ),
            },
            FieldType::Double => match value.parse::<f64>() {
                Ok(x) if x.is_finite() => Some(Const::Double(x)),
                _ => bad(self, Code::InvalidValue, format!("`{value}` is not a number"), None),
            },
            FieldType::Port => match parse_uint(value) {
                Some(n) if n <= u64::from(u16::MAX) => Some(Const::Uint(n)),
                Some(_) => bad(self, Code::InvalidValue, format!("`{value}` is not a port (0-65535)"), None),
                None => match schema::service_port(value) {
                    Some(p) => Some(Const::Uint(u64::from(p))),
                    None => bad(
                        self,
                        Code::InvalidValue,
                        format!("`{value}` is neither a port number nor a known service name"),
                        Some("write a number, or a service name such as `ssh`, `http`, `https`".into()),
                    ),
                },
            },
            FieldType::IpAddr | FieldType::IpNet => match parse_net(value) {
                Some((addr, None)) if ty == FieldType::IpAddr => Some(Const::Ip(addr)),
                Some((addr, prefix)) => {
                    Some(Const::Net { addr, prefix: prefix.unwrap_or(if addr.is_ipv4() { 32 } else { 128 }) })
                }
                None => bad(
                    self,
                    Code::InvalidValue,
                    format!("`{value}` is not an IP address or network"),
                    Some("write an address (`10.0.0.1`, `::1`) or a CIDR network (`10.0.0.0/8`)".into()),
                ),
            },
            FieldType::Dyn => Some(match parse_int(value) {
                Some(n) => Const::Int(n),
                None => Const::Str(value.to_owned()),
            }),
            t if t.is_signed() => match parse_int(value) {
                Some(n) => Some(Const::Int(n)),
                None => bad(self, Code::InvalidValue, format!("`{value}` is not an integer"), None),
            },
            _ => match parse_uint(value) {
                Some(n) => Some(Const::Uint(n)),
                None => bad(
                    self,
                    Code::InvalidValue,
                    format!("`{value}` is not a non-negative integer ({})", ty.name()),
                    None,
                ),
            },
        }
    }

    /// W0107: `proc.name = proc.pname` compares with the string "proc.pname".
    fn warn_field_as_string(&mut self, lit: &Literal) {
        if lit.quote.is_some() || !lit.value.contains('.') {
            return;
        }
        if schema::schema().resolve_field(&lit.value).is_some() {
            let d = self.error(
                Code::FieldAsString,
                lit.span,
                format!("`{}` is compared as a string, not as the field of that name", lit.value),
            );
            self.push(d.with_hint(format!(
                "to compare with the field's value, write `val({})`; to mean the text, quote it",
                lit.value
            )));
        }
    }

    /// W0108: a regex that a simpler operator can express.
    fn warn_simple_regex(&mut self, pattern: &str, span: Span) {
        let is_lit = |s: &str| !s.is_empty() && !s.chars().any(|c| "\\.^$*+?()[]{}|".contains(c));
        let better = if is_lit(pattern) {
            Some(format!("= {pattern}"))
        } else if let Some(p) = pattern.strip_suffix(".*").filter(|p| is_lit(p)) {
            Some(format!("startswith {p}"))
        } else if let Some(p) = pattern.strip_prefix(".*").and_then(|p| p.strip_suffix(".*")).filter(|p| is_lit(p)) {
            Some(format!("contains {p}"))
        } else {
            pattern.strip_prefix(".*").filter(|p| is_lit(p)).map(|p| format!("endswith {p}"))
        };
        if let Some(b) = better {
            let d = self.error(Code::RegexCouldBeSimpler, span, format!("this regex can be written `{b}`"));
            self.push(d.with_hint("simpler operators are faster and easier to read"));
        }
    }

    /// Output format string → segments.
    pub fn lower_output(&mut self) -> Vec<OutputSegment> {
        let parsed = rulec_grammar::parse_output(self.text.as_str());
        for err in &parsed.errors {
            let mut d = self.error(syntax_code(err.kind), err.span, err.message.clone());
            if let Some(h) = &err.hint {
                d = d.with_hint(h.clone());
            }
            self.push(d);
        }
        let mut out = Vec::new();
        for part in &parsed.parts {
            match part {
                OutputPart::Text { text, .. } => out.push(OutputSegment::Text(text.clone())),
                OutputPart::Field { operand, span } => {
                    if let Some(value) = self.lower_operand(operand, Side::Output) {
                        let written = self.text.as_str().get(span.range()).unwrap_or("").to_owned();
                        out.push(OutputSegment::Value { value, written });
                    }
                }
            }
        }
        out
    }

    /// A rule's exceptions as one condition, `(f1 c1 v1 and ...) or (...)`; None when there are
    /// no exception values.
    ///
    /// Each row is written out as condition text whose pieces map back to the YAML values they
    /// came from, then parsed and typed like any condition: so exceptions get the same checks and
    /// diagnostics as conditions, at the place of the offending field, operator or value.
    pub fn lower_exceptions(&mut self, exceptions: &[crate::load::ExceptionDef]) -> Option<Cond> {
        let mut rows = Vec::new();
        for exc in exceptions {
            for row in &exc.values {
                let mut checks = Vec::new();
                for (i, value) in row.iter().enumerate() {
                    let (Some((field, floc)), Some((comp, cloc))) = (exc.fields.get(i), exc.comps.get(i)) else {
                        continue; // shape errors were reported by the loader
                    };
                    let mut text = MappedText::synthetic(field.clone(), *floc);
                    text.append(" ", &MappedText::synthetic(comp.clone(), *cloc));
                    let takes_list = Op::from_str(comp).is_some_and(Op::takes_list);
                    text.append(" ", &exception_value_text(value, takes_list));
                    let parsed = rulec_grammar::parse_condition(text.as_str());
                    if let Some(err) = parsed.errors.first() {
                        let d = Diagnostic::new(
                            Code::InvalidException,
                            text.location(err.span),
                            format!("exception `{}`: {}", exc.name, err.message),
                        );
                        self.push(d);
                        continue;
                    }
                    let Some(expr) = parsed.expr else { continue };
                    let mut sub = Lowering::new(self.cx, &text);
                    sub.skip_unknown_fields = self.skip_unknown_fields;
                    checks.push(sub.lower_expr(&expr, 0));
                    self.unknown_field |= sub.unknown_field;
                }
                if !checks.is_empty() {
                    rows.push(if checks.len() == 1 { checks.remove(0) } else { Cond::And(checks) });
                }
            }
        }
        match rows.len() {
            0 => None,
            1 => rows.pop(),
            _ => Some(Cond::Or(rows)),
        }
    }
}

fn cond_size(c: &Cond) -> usize {
    match c {
        Cond::And(xs) | Cond::Or(xs) => 1 + xs.iter().map(cond_size).sum::<usize>(),
        Cond::Not(x) => 1 + cond_size(x),
        Cond::Const(_) | Cond::Check(_) => 1,
    }
}

fn arg_hint(info: &FieldInfo) -> String {
    match info.name {
        n if info.is_ancestor_field() => format!("write `{n}[N]`: 0 is the process itself, 1 its parent, and so on"),
        "evt.arg" => "write `evt.arg.NAME` (a parameter name) or `evt.arg[N]`".into(),
        "evt.rawarg" => "write `evt.rawarg.NAME` with a parameter name".into(),
        "evt.type.is" => "write `evt.type.is.open` with an event name".into(),
        "thread.cgroup" => "write `thread.cgroup.SUBSYSTEM`, e.g. `thread.cgroup.cpuset`".into(),
        n => format!("write `{n}[ARG]`; `rulec fields` describes the argument"),
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

/// The regex crate's message is a multi-line drawing; keep its last line, the explanation.
fn first_line(s: &str) -> &str {
    let last = s.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or(s).trim();
    last.strip_prefix("error: ").unwrap_or(last)
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if s.is_empty() || s.len() % 2 != 0 || !s.is_ascii() {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok()).collect()
}

fn parse_uint(s: &str) -> Option<u64> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

fn parse_int(s: &str) -> Option<i64> {
    match s.strip_prefix('-') {
        Some(rest) => parse_uint(rest).and_then(|n| i64::try_from(n).ok()).map(|n| -n),
        None => parse_uint(s).and_then(|n| i64::try_from(n).ok()),
    }
}

/// An address, or a network `addr/prefix`.
fn parse_net(s: &str) -> Option<(IpAddr, Option<u8>)> {
    match s.split_once('/') {
        None => Some((s.parse().ok()?, None)),
        Some((a, p)) => {
            let addr: IpAddr = a.parse().ok()?;
            let prefix: u8 = p.parse().ok()?;
            let max = if addr.is_ipv4() { 32 } else { 128 };
            (prefix <= max).then_some((addr, Some(prefix)))
        }
    }
}

/// Why a glob pattern is malformed (an unclosed `[`, or a trailing backslash), if it is.
fn glob_error(p: &str) -> Option<&'static str> {
    let mut chars = p.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if chars.next().is_none() {
                    return Some("it ends with a lone backslash");
                }
            }
            '[' => {
                // A `]` right after `[` (or after `[!` / `[^`) is a member, not the end.
                let mut first = true;
                loop {
                    match chars.next() {
                        None => return Some("a `[` is not closed"),
                        Some(']') if !first => break,
                        Some('!' | '^') if first => continue,
                        _ => {}
                    }
                    first = false;
                }
            }
            _ => {}
        }
    }
    None
}

/// An exception value as condition text: a list in parentheses for list operators (a bare name
/// of a list is substituted like in a condition), otherwise one value, quoted unless it is a
/// plain word.
fn exception_value_text(value: &crate::items::ExValue, takes_list: bool) -> MappedText {
    use crate::items::ExValue;
    let word = |s: &str, loc: Location| MappedText::synthetic(quote_if_needed(s), loc);
    match value {
        ExValue::Scalar(s, loc) if takes_list => {
            let mut t = MappedText::synthetic("(", *loc);
            t.append("", &word(s, *loc));
            t.append("", &MappedText::synthetic(")", *loc));
            t
        }
        ExValue::Scalar(s, loc) => word(s, *loc),
        ExValue::List(items, loc) => {
            let mut t = MappedText::synthetic("(", *loc);
            for (i, item) in items.iter().enumerate() {
                let sep = if i == 0 { "" } else { ", " };
                match item {
                    ExValue::Scalar(s, l) => t.append(sep, &word(s, *l)),
                    ExValue::List(_, l) => t.append(sep, &word("", *l)),
                }
            }
            t.append("", &MappedText::synthetic(")", *loc));
            t
        }
    }
}

/// A value as a condition token: bare when it is a safe bare word, else double-quoted.
fn quote_if_needed(s: &str) -> String {
    let bare = !s.is_empty()
        && !s.chars().any(|c| c.is_whitespace() || matches!(c, '(' | ')' | ',' | '=' | '"' | '\'' | '\\'));
    if bare {
        return s.to_owned();
    }
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::glob_error;

    #[test]
    fn glob_brackets() {
        assert_eq!(glob_error("/tmp/[ab]*"), None);
        assert_eq!(glob_error("[]]"), None);
        assert_eq!(glob_error("[!]x]"), None);
        assert!(glob_error("/tmp/[ab").is_some());
        assert!(glob_error("[!]").is_some());
        assert!(glob_error("abc\\").is_some());
    }
}
