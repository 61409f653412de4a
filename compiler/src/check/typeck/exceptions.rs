//! A rule's exceptions as a condition: each exception's fields, comparisons and values written
//! out as condition text and lowered like any condition, so their errors point at the values.

use super::*;

impl Lowering<'_, '_> {
    /// A rule's exceptions as one condition, `(f1 c1 v1 and ...) or (...)`; None when there are
    /// no exception values.
    ///
    /// Each row is written out as condition text whose pieces map back to the YAML values they
    /// came from, then parsed and typed like any condition: so exceptions get the same checks and
    /// diagnostics as conditions, at the place of the offending field, operator or value.
    pub fn lower_exceptions(&mut self, exceptions: &[crate::load::ExceptionDef]) -> Option<Cond> {
        let mut rows = Vec::new();
        for exc in exceptions {
            if exc.values.is_empty() {
                self.check_exception_fields(exc);
            }
            for row in &exc.values {
                let mut checks = Vec::new();
                for (i, value) in row.iter().enumerate() {
                    let (Some((field, floc)), Some((comp, cloc))) = (exc.fields.get(i), exc.comps.get(i)) else {
                        continue; // shape errors were reported by the loader
                    };
                    let mut text = MappedText::synthetic(field.clone(), *floc);
                    text.append(" ", &MappedText::synthetic(comp.clone(), *cloc));
                    let takes_list = Op::from_str(comp).is_some_and(Op::takes_list);
                    if let crate::items::ExValue::Scalar(v, vloc) = value {
                        self.warn_exception_value(v, *vloc);
                    }
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

impl Lowering<'_, '_> {
    /// The fields of an exception without values, checked as Falco checks them (they name
    /// nothing yet, but a misspelt field is an error all the same).
    fn check_exception_fields(&mut self, exc: &crate::load::ExceptionDef) {
        for (field, floc) in &exc.fields {
            let mut text = MappedText::synthetic(field.clone(), *floc);
            text.append(" ", &MappedText::synthetic("exists", *floc));
            let parsed = rulec_grammar::parse_condition(text.as_str());
            if let Some(err) = parsed.errors.first() {
                let d = Diagnostic::new(
                    Code::InvalidException,
                    *floc,
                    format!("exception `{}`: `{field}` is not a field: {}", exc.name, err.message),
                );
                self.push(d);
                continue;
            }
            if let Some(expr) = parsed.expr {
                let mut sub = Lowering::new(self.cx, &text);
                sub.skip_unknown_fields = self.skip_unknown_fields;
                sub.lower_expr(&expr, 0);
                self.unknown_field |= sub.unknown_field;
            }
        }
    }

    /// W0107 for an exception value that reads as a field or a transformer but is compared as a
    /// string (Falco warns for the same values, quoted or not: YAML quotes are not condition
    /// quotes).
    fn warn_exception_value(&mut self, value: &str, at: Location) {
        let trimmed = value.trim();
        let squeezed: String = value.chars().filter(|c| !c.is_whitespace()).collect();
        let message = if !trimmed.contains(char::is_whitespace)
            && trimmed.contains('.')
            && schema::schema().resolve_field(trimmed).is_some()
        {
            format!("exception value `{value}` is compared as a string, not as the field `{trimmed}`")
        } else if squeezed != value && transformer_call(&squeezed) {
            format!(
                "exception value `{value}` is compared as a string: a transformer is read as one only when written without spaces (`{squeezed}`)"
            )
        } else {
            return;
        };
        let d = Diagnostic::new(Code::FieldAsString, at, message);
        self.push(d.with_hint("to compare with a field's value, write the transformer without spaces, e.g. `toupper(proc.pname)`; to mean the text, leave it"));
    }
}

/// Whether `s` is a whole transformer call, `name(...)` with a known transformer name: Falco
/// splices such an exception value into the condition as written, so it compares with the
/// transformed field, not with the text.
fn transformer_call(s: &str) -> bool {
    let Some((name, rest)) = s.split_once('(') else { return false };
    rest.ends_with(')')
        && !s.contains(char::is_whitespace)
        && rulec_grammar::ast::Transformer::from_str(name).is_some()
        && !s.contains(['"', '\''])
}

/// An exception value as condition text: a list in parentheses for list operators (a bare name
/// of a list is substituted like in a condition), otherwise one value, written as the grammar
/// prints a literal (bare when it reads back bare).
fn exception_value_text(value: &crate::items::ExValue, takes_list: bool) -> MappedText {
    use crate::items::ExValue;
    let word = |s: &str, loc: Location| MappedText::synthetic(Literal::unquoted(s).to_string(), loc);
    match value {
        ExValue::Scalar(s, loc) if takes_list => {
            let mut t = MappedText::synthetic("(", *loc);
            t.append("", &word(s, *loc));
            t.append("", &MappedText::synthetic(")", *loc));
            t
        }
        ExValue::Scalar(s, loc) if transformer_call(s) => MappedText::synthetic(s.clone(), *loc),
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
