//! Output format strings: literal text with `%field`, `%field[arg]` and `%transformer(...)`.
//!
//! A small hand-written scanner: the format is flat text with `%` escapes, and only transformer
//! calls nest. Like Falco, a field name is a run of `[A-Za-z0-9_.]`; a trailing dot is left to
//! the text ("opened %fd.name." ends a sentence), since no field name ends with a dot.

use crate::MAX_DEPTH;
use crate::ParsedOutput;
use crate::ast::{FieldRef, Literal, Operand, OutputPart, Transform, TransformArg, Transformer};
use crate::error::{SyntaxError, SyntaxErrorKind};
use crate::lexer::{describe_char, is_blank, scan_bracket_arg, scan_quoted};
use crate::parser::join_or;
use crate::span::{Span, Spanned};

fn is_field_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'.'
}

struct Scanner<'a> {
    text: &'a str,
    errors: Vec<SyntaxError>,
}

impl<'a> Scanner<'a> {
    fn error(&mut self, kind: SyntaxErrorKind, span: Span, message: String, hint: Option<String>) {
        self.errors.push(SyntaxError { kind, span, message, hint, fix: Vec::new() });
    }

    fn skip_blanks(&self, mut p: usize) -> usize {
        while let Some(c) = self.text[p..].chars().next().filter(|&c| is_blank(c)) {
            p += c.len_utf8();
        }
        p
    }

    fn bad(&mut self, percent: usize, at: usize, what: &str) {
        let found = self.text[at..].chars().next();
        let end = at + found.map_or(0, char::len_utf8);
        self.error(
            SyntaxErrorKind::BadOutputToken,
            Span::new(percent, end),
            format!("expected {what}, found {}", describe_char(found)),
            Some("write `%field`, `%field[arg]` or `%transformer(field)`".to_string()),
        );
    }

    /// An operand at `p`: a field or a transformer call. `percent` is where the `%` was, for
    /// error spans at the top level. Returns the operand and the offset after it, or `None`
    /// (with an error reported).
    fn operand(&mut self, p: usize, percent: usize, depth: usize) -> Option<(Operand, usize)> {
        let text = self.text;
        let bytes = text.as_bytes();
        let mut end = p;
        while end < bytes.len() && is_field_char(bytes[end]) {
            end += 1;
        }
        let word = &text[p..end];
        if bytes.get(end) == Some(&b'(') && !word.is_empty() && !word.contains('.') {
            return self.call(p, end, depth);
        }
        // Trailing dots are punctuation of the surrounding text.
        let name = word.trim_end_matches('.');
        if name.is_empty() {
            let what = if depth == 0 {
                "a field name or a transformer after `%`"
            } else {
                "a field name, a transformer or a quoted string"
            };
            self.bad(percent, p, what);
            return None;
        }
        let name_end = p + name.len();
        let (arg, after) = if name_end == end && bytes.get(end) == Some(&b'[') {
            scan_bracket_arg(text, end, name, &mut self.errors)
        } else {
            (None, name_end)
        };
        let field =
            FieldRef { name: name.to_string(), name_span: Span::new(p, name_end), arg, span: Span::new(p, after) };
        Some((Operand::Field(field), after))
    }

    /// `name(args)[index]` with the name at `start..paren`.
    fn call(&mut self, start: usize, paren: usize, depth: usize) -> Option<(Operand, usize)> {
        let text = self.text;
        let name = &text[start..paren];
        if depth >= MAX_DEPTH {
            self.error(
                SyntaxErrorKind::TooDeep,
                Span::new(start, paren + 1),
                format!("transformer calls nest deeper than {MAX_DEPTH} levels here"),
                None,
            );
            return None;
        }
        let Some(func) = Transformer::from_str(name) else {
            let names: Vec<&str> = Transformer::ALL.iter().map(|t| t.as_str()).collect();
            self.error(
                SyntaxErrorKind::UnknownTransformer,
                Span::new(start, paren),
                format!("`{name}` is not a transformer"),
                Some(format!("the transformers are {}", join_or(&names))),
            );
            return None;
        };
        let mut args = Vec::new();
        let mut p = self.skip_blanks(paren + 1);
        if text[p..].starts_with(')') {
            self.error(
                SyntaxErrorKind::BadOutputToken,
                Span::new(p, p + 1),
                format!("expected an argument inside `{name}(...)`, found `)`"),
                None,
            );
            return None;
        }
        loop {
            if text[p..].starts_with(['"', '\'']) {
                let (lit, after): (Literal, usize) = scan_quoted(text, p, &mut self.errors);
                args.push(TransformArg::Literal(lit));
                p = after;
            } else {
                let (o, after) = self.operand(p, p, depth + 1)?;
                args.push(TransformArg::Operand(o));
                p = after;
            }
            p = self.skip_blanks(p);
            match text[p..].chars().next() {
                Some(',') => p = self.skip_blanks(p + 1),
                Some(')') => {
                    p += 1;
                    break;
                }
                found => {
                    let end = p + found.map_or(0, char::len_utf8);
                    self.error(
                        SyntaxErrorKind::BadOutputToken,
                        Span::new(p, end),
                        format!("expected `,` or `)` in the call of `{name}`, found {}", describe_char(found)),
                        None,
                    );
                    return None;
                }
            }
        }
        let (index, after) =
            if text[p..].starts_with('[') { scan_bracket_arg(text, p, name, &mut self.errors) } else { (None, p) };
        let t =
            Transform { func: Spanned::new(func, Span::new(start, paren)), args, index, span: Span::new(start, after) };
        Some((Operand::Transform(Box::new(t)), after))
    }
}

/// Parses an output format string; see [`crate::parse_output`].
pub(crate) fn parse_output(text: &str) -> ParsedOutput {
    let mut sc = Scanner { text, errors: Vec::new() };
    let mut parts = Vec::new();
    let bytes = text.as_bytes();
    let mut text_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'%' {
            i += 1;
            continue;
        }
        match sc.operand(i + 1, i, 0) {
            Some((operand, end)) => {
                if text_start < i {
                    let span = Span::new(text_start, i);
                    parts.push(OutputPart::Text { text: text[text_start..i].to_string(), span });
                }
                parts.push(OutputPart::Field { operand, span: Span::new(i, end) });
                i = end;
                text_start = end;
            }
            // The `%` stays in the text, as Falco would print it if it let it through.
            None => i += 1,
        }
    }
    if text_start < text.len() {
        let span = Span::new(text_start, text.len());
        parts.push(OutputPart::Text { text: text[text_start..].to_string(), span });
    }
    let mut errors = sc.errors;
    errors.sort_by_key(|e| (e.span.start, e.span.end));
    ParsedOutput { parts, errors }
}
