//! Operands: fields resolved against the schema (with did-you-mean fixes), their arguments
//! checked by kind, transformers typed, `val()` placed. What an operand is, not what it is
//! compared with.

use super::*;

impl Lowering<'_, '_> {
    /// Resolves a field or transformer expression.
    pub(super) fn lower_operand(&mut self, o: &Operand, side: Side) -> Option<Value> {
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
                            // As libs: `val()` holds one field and nothing holds `val()`.
                            if let Operand::Transform(it) = inner
                                && (func == Transformer::Val || it.func.node == Transformer::Val)
                            {
                                let (span, message, hint) = if func == Transformer::Val {
                                    (it.func.span, "`val()` takes a field, not a transformer", "write `val(FIELD)`")
                                } else {
                                    (
                                        it.func.span,
                                        "`val()` cannot be used inside a transformer",
                                        "apply the transformer to the field itself: `toupper(proc.pname)`",
                                    )
                                };
                                let d = self.error(Code::ValMisuse, span, message);
                                self.push(d.with_hint(hint));
                                return None;
                            }
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
    pub(super) fn transform_type(
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

    pub(super) fn type_err<T>(
        &mut self,
        func: Transformer,
        t: &rulec_grammar::ast::Transform,
        want: &str,
    ) -> Option<T> {
        let d = self.error(Code::TransformerType, t.span, format!("`{}()` takes {want}", func.as_str()));
        self.push(d);
        None
    }

    /// Resolves a field reference against the schema, with its argument.
    pub(super) fn resolve_field(&mut self, f: &FieldRef, side: Side) -> Option<FieldUse> {
        let schema = schema::schema();
        let Some((info, dot_arg)) = schema.resolve_field(&f.name) else {
            self.unknown_field = true;
            if self.skip_unknown_fields {
                return None;
            }
            let code = if side == Side::Output { Code::OutputField } else { Code::UnknownField };
            let mut d = self.error(code, f.name_span, format!("unknown field `{}`", f.name));
            if let Some(s) = schema.suggest_field(&f.name) {
                d = self.with_suggestion(d, f.name_span, s);
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

    pub(super) fn check_field_arg(
        &mut self,
        info: &'static FieldInfo,
        text: String,
        span: Span,
    ) -> Option<FieldArgValue> {
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
                    // `evt.rawarg` needs the parameter's type, so libs refuses an unknown name;
                    // `evt.arg` looks the name up per event, so Falco loads the rule and the
                    // check simply never has a value.
                    let code =
                        if info.name == "evt.arg" { Code::UnknownEventParameter } else { Code::InvalidFieldArgument };
                    let mut d = self.error(code, span, format!("no event has a parameter named `{text}`"));
                    if let Some(s) = crate::check::suggest(&text, schema.param_names()) {
                        d = self.with_suggestion(d, span, s);
                    }
                    self.push(d);
                    if code == Code::InvalidFieldArgument {
                        return None;
                    }
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
}

pub(super) fn arg_hint(info: &FieldInfo) -> String {
    match info.name {
        n if info.is_ancestor_field() => format!("write `{n}[N]`: 0 is the process itself, 1 its parent, and so on"),
        "evt.arg" => "write `evt.arg.NAME` (a parameter name) or `evt.arg[N]`".into(),
        "evt.rawarg" => "write `evt.rawarg.NAME` with a parameter name".into(),
        "evt.type.is" => "write `evt.type.is.open` with an event name".into(),
        "thread.cgroup" => "write `thread.cgroup.SUBSYSTEM`, e.g. `thread.cgroup.cpuset`".into(),
        n => format!("write `{n}[ARG]`; `rulec fields` describes the argument"),
    }
}
