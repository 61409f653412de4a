//! Parsing a condition: runs the lexer, feeds the LALRPOP parser, and owns the grammar actions
//! that build the tree and turn every recovered parse error into a `SyntaxError` with a message
//! that says what was expected where.

use lalrpop_util::{ErrorRecovery, ParseError};

use crate::ParsedCondition;
use crate::ast::{
    Check, Expr, ExprKind, FieldArg, FieldRef, Ident, ListLit, Literal, Modifier, Op, Operand, Rhs, Transform,
    TransformArg, Transformer,
};
use crate::condition::ConditionParser;
use crate::error::{SyntaxError, SyntaxErrorKind};
use crate::lexer::{Tok, is_blank, lex};
use crate::span::{Span, Spanned};

type Recovery = ErrorRecovery<usize, Tok, std::convert::Infallible>;

/// The right side of a check while it is being built; `None` inside means an error was reported.
pub enum RhsP {
    Value(Literal),
    List(Option<ListLit>),
    Operand(Option<Operand>),
}

/// One slot of a list literal.
pub enum ItemP {
    Value(Literal),
    /// Nothing between two commas, or between a comma and a parenthesis.
    Empty,
    /// Error recovery happened here; it was reported.
    Error,
}

/// One slot of a transformer call.
pub enum ArgP {
    Operand(Option<Operand>),
    Literal(Literal),
    /// Nothing there; the offset is where something was expected.
    Empty(usize),
    Error,
}

/// What messages need to know about a token once the token itself went to the parser.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Keyword,
    Punct,
    /// A word that can only be a field (dotted, or with an argument).
    Field,
    /// A plain word: a macro name, or a field of a class-less name.
    Ident,
    Func,
    Op,
    Modifier,
    Str,
    Index,
    Error,
}

#[derive(Clone, Copy, Debug)]
struct TokInfo {
    start: usize,
    end: usize,
    kind: Kind,
    /// Parentheses open before this token (groups, lists and calls alike).
    open_before: usize,
}

/// The state the grammar actions share: the text, a summary of its tokens (to name what came
/// before and after a problem), and the errors found so far.
pub struct Ctx<'a> {
    text: &'a str,
    toks: Vec<TokInfo>,
    errors: Vec<SyntaxError>,
    /// Where the lexer reported errors, sorted by start: parse errors that merely follow from
    /// them are dropped.
    lex_errors: Vec<Span>,
    /// Whether the lexer found an unterminated string (which runs to the end of the text).
    unterminated: bool,
}

fn kind_of(tok: &Tok) -> Kind {
    match tok {
        Tok::Not | Tok::And | Tok::Or => Kind::Keyword,
        Tok::LParen | Tok::RParen | Tok::Comma => Kind::Punct,
        Tok::Word(f) if f.arg.is_some() || f.name.contains('.') => Kind::Field,
        Tok::Word(_) => Kind::Ident,
        Tok::Func(_) => Kind::Func,
        Tok::Op(_) | Tok::Exists => Kind::Op,
        Tok::Modifier(_) => Kind::Modifier,
        Tok::Str(_) => Kind::Str,
        Tok::Index(_) => Kind::Index,
        Tok::Error => Kind::Error,
    }
}

/// Joins phrases as "a, b or c".
pub(crate) fn join_or(parts: &[&str]) -> String {
    match parts {
        [] => "something else".to_string(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// Says in words what LALRPOP's list of expected terminals means.
fn describe_expected(expected: &[String]) -> String {
    let has = |name: &str| expected.iter().any(|e| e.trim_matches('"') == name);
    let mut parts: Vec<&str> = Vec::new();
    let check_start = has("word") && has("not");
    if check_start {
        parts.push("a check (a field comparison, a macro name, `not` or `(`)");
    }
    let table: [(&str, &str); 12] = [
        ("op", "an operator"),
        ("modifier", "`oneof`, `anyof` or `allof`"),
        ("word", "a field"),
        ("func", "a transformer"),
        ("str", "a value"),
        ("not", "`not`"),
        ("(", "`(`"),
        ("and", "`and`"),
        ("or", "`or`"),
        (",", "`,`"),
        (")", "`)`"),
        ("index", "`[`"),
    ];
    for (name, phrase) in table {
        let covered = check_start && matches!(name, "word" | "func" | "not" | "(");
        if has(name) && !covered {
            parts.push(phrase);
        }
    }
    join_or(&parts)
}

impl<'a> Ctx<'a> {
    /// The text of `start..end` for a message, shortened and cut at a line break.
    fn snippet(&self, start: usize, end: usize) -> String {
        let s = self.text.get(start..end).unwrap_or("");
        let line = s.split(['\n', '\r']).next().unwrap_or("");
        let mut out: String = line.chars().take(40).collect();
        if out.len() < s.len() {
            out.push('…');
        }
        format!("`{out}`")
    }

    /// The index of the first token starting at or after `pos`.
    fn tok_index_at(&self, pos: usize) -> usize {
        self.toks.partition_point(|t| t.start < pos)
    }

    fn next_tok(&self, pos: usize) -> Option<TokInfo> {
        self.toks.get(self.tok_index_at(pos)).copied()
    }

    fn prev_tok(&self, pos: usize) -> Option<TokInfo> {
        let i = self.tok_index_at(pos);
        i.checked_sub(1).and_then(|i| self.toks.get(i)).copied()
    }

    /// Names what follows `pos` ("`and`", "the end of the condition") and the span to report:
    /// that token, or an empty span where the text ends.
    fn found_after(&self, pos: usize) -> (String, Span, SyntaxErrorKind) {
        match self.next_tok(pos) {
            Some(t) => (self.snippet(t.start, t.end), Span::new(t.start, t.end), SyntaxErrorKind::UnexpectedToken),
            None => {
                let end = self.text.trim_end_matches(is_blank).len().max(pos);
                ("the end of the condition".to_string(), Span::new(end, end), SyntaxErrorKind::UnexpectedEnd)
            }
        }
    }

    fn push(&mut self, kind: SyntaxErrorKind, span: Span, message: String, hint: Option<String>) {
        self.errors.push(SyntaxError { kind, span, message, hint, fix: Vec::new() });
    }

    /// Gives the error just pushed its mechanical fix.
    fn fix_last(&mut self, fix: Vec<(Span, String)>) {
        if let Some(e) = self.errors.last_mut() {
            e.fix = fix;
        }
    }

    fn error_expr(span: Span) -> Expr {
        Expr { kind: ExprKind::Error, span }
    }

    /// Whether the lexer already reported a problem inside `span` (an unclosed `[` or string
    /// makes the field look operator-less; that is not a second mistake).
    fn lex_error_within(&self, span: Span) -> bool {
        let i = self.lex_errors.partition_point(|e| e.start < span.start);
        self.lex_errors.get(i).is_some_and(|e| e.start <= span.end)
    }

    fn missing_operator(&mut self, field: &FieldRef) {
        if self.lex_error_within(field.span) {
            return;
        }
        let (found, _, _) = self.found_after(field.span.end as usize);
        let name = self.snippet(field.span.start as usize, field.span.end as usize);
        self.push(
            SyntaxErrorKind::MissingOperator,
            field.span,
            format!("expected an operator after {name}, found {found}"),
            Some(format!("compare the field with a value, e.g. `{} = VALUE`, or test it with `exists`", field.name)),
        );
    }

    /// A word alone in check position: a macro reference, unless it can only be a field.
    pub fn macro_ref(&mut self, w: FieldRef) -> Expr {
        if w.arg.is_some() || w.name.contains('.') {
            self.missing_operator(&w);
            return Self::error_expr(w.span);
        }
        let span = w.span;
        Expr { kind: ExprKind::MacroRef(Ident { name: w.name, span }), span }
    }

    /// `lhs op [modifier] [rhs]`: checks that the right side fits the operator.
    pub fn check(
        &mut self,
        lhs: Option<Operand>,
        op: Spanned<Op>,
        modifier: Option<Spanned<Modifier>>,
        rhs: Option<RhsP>,
        span: Span,
    ) -> Expr {
        let Some(lhs) = lhs else { return Self::error_expr(span) };
        let op_text = self.snippet(op.span.start as usize, op.span.end as usize);
        let after = modifier.as_ref().map_or(op.span, |m| m.span);
        let after_text = self.snippet(after.start as usize, after.end as usize);
        let wants_list = op.node.takes_list() || modifier.is_some();
        let rhs = match (op.node, rhs) {
            (Op::Exists, None) => None,
            (Op::Exists, Some(r)) => {
                let rspan = match &r {
                    RhsP::Value(v) => v.span,
                    RhsP::List(l) => l.as_ref().map_or(op.span, |l| l.span),
                    RhsP::Operand(o) => o.as_ref().map_or(op.span, Operand::span),
                };
                let found = self.snippet(rspan.start as usize, rspan.end as usize);
                self.push(
                    SyntaxErrorKind::UnexpectedToken,
                    rspan,
                    format!("`exists` takes no value, found {found}"),
                    Some("remove the value, or use `=` to compare".to_string()),
                );
                return Self::error_expr(span);
            }
            (_, None) => {
                let (found, fspan, kind) = self.found_after(after.end as usize);
                let what = if wants_list { "a list in parentheses" } else { "a value" };
                self.push(kind, fspan, format!("expected {what} after {after_text}, found {found}"), None);
                return Self::error_expr(span);
            }
            (_, Some(RhsP::List(None))) | (_, Some(RhsP::Operand(None))) => {
                return Self::error_expr(span);
            }
            (_, Some(RhsP::List(Some(list)))) if wants_list => Some(Rhs::List(list)),
            (_, Some(RhsP::List(Some(list)))) => {
                let hint = if op.node.takes_modifier() {
                    format!("use `in` to test membership, or a modifier: `{} anyof (...)`", op.node.as_str())
                } else {
                    "use `in` to test membership".to_string()
                };
                self.push(
                    SyntaxErrorKind::UnexpectedToken,
                    list.span,
                    format!("expected a single value after {op_text}, found a list"),
                    Some(hint),
                );
                // `=` before a list can only mean membership.
                if op.node == Op::Eq {
                    self.fix_last(vec![(op.span, "in".to_string())]);
                }
                return Self::error_expr(span);
            }
            // As libs: a list operator may take a transformer or `val()` on its right (the
            // values of a field), not a bare field, which would read as a constant.
            (_, Some(RhsP::Operand(Some(o))))
                if op.node.takes_list() && modifier.is_none() && matches!(o, Operand::Transform(_)) =>
            {
                Some(Rhs::Operand(o))
            }
            (_, Some(r)) if wants_list => {
                let (rspan, hint) = match &r {
                    RhsP::Value(v) => {
                        let t = self.snippet(v.span.start as usize, v.span.end as usize);
                        let t = t.trim_matches('`').to_string();
                        (v.span, Some(format!("write `({t})`")))
                    }
                    RhsP::Operand(Some(o)) => (o.span(), None),
                    _ => (op.span, None),
                };
                let found = self.snippet(rspan.start as usize, rspan.end as usize);
                self.push(
                    SyntaxErrorKind::UnexpectedToken,
                    rspan,
                    format!("expected a list in parentheses after {after_text}, found {found}"),
                    hint,
                );
                if let RhsP::Value(v) = &r {
                    let (start, end) = (v.span.start as usize, v.span.end as usize);
                    self.fix_last(vec![
                        (Span::new(start, start), "(".to_string()),
                        (Span::new(end, end), ")".to_string()),
                    ]);
                }
                return Self::error_expr(span);
            }
            (_, Some(RhsP::Value(v))) => Some(Rhs::Value(v)),
            (_, Some(RhsP::Operand(Some(o)))) => Some(Rhs::Operand(o)),
        };
        let check = Check { lhs, op, modifier, rhs, span };
        Expr { kind: ExprKind::Check(Box::new(check)), span }
    }

    /// `func(args)[index]`; `rp` is the offset of the closing parenthesis.
    pub fn call(
        &mut self,
        f: Spanned<String>,
        args: Vec<ArgP>,
        rp: usize,
        index: Option<FieldArg>,
        span: Span,
    ) -> Option<Operand> {
        let Some(func) = Transformer::from_str(&f.node) else {
            let names: Vec<&str> = Transformer::ALL.iter().map(|t| t.as_str()).collect();
            let hint = if f.node.contains('.') {
                format!("a field takes its argument in brackets: `{}[...]`", f.node)
            } else {
                format!("the transformers are {}", join_or(&names))
            };
            self.push(
                SyntaxErrorKind::UnknownTransformer,
                f.span,
                format!("`{}` is not a transformer", f.node),
                Some(hint),
            );
            return None;
        };
        let name = func.as_str();
        if let [ArgP::Empty(_)] = args.as_slice() {
            self.push(
                SyntaxErrorKind::UnexpectedToken,
                Span::new(rp, rp + 1),
                format!("expected an argument inside `{name}(...)`, found `)`"),
                None,
            );
            return None;
        }
        let mut out = Vec::with_capacity(args.len());
        let mut ok = true;
        for arg in args {
            match arg {
                ArgP::Operand(Some(o)) => out.push(TransformArg::Operand(o)),
                ArgP::Literal(l) => out.push(TransformArg::Literal(l)),
                ArgP::Operand(None) | ArgP::Error => ok = false,
                ArgP::Empty(at) => {
                    ok = false;
                    let (found, fspan, kind) = self.found_after(at);
                    self.push(kind, fspan, format!("expected an argument of `{name}`, found {found}"), None);
                }
            }
        }
        ok.then(|| Operand::Transform(Box::new(Transform { func: Spanned::new(func, f.span), args: out, index, span })))
    }

    /// A list literal; empty items are reported (and left out), `()` is the empty list.
    pub fn list(&mut self, items: Vec<(Option<(usize, usize)>, ItemP)>, span: Span) -> Option<ListLit> {
        if let [(None, ItemP::Empty)] = items.as_slice() {
            return Some(ListLit { items: Vec::new(), span });
        }
        let commas: Vec<Option<(usize, usize)>> = items.iter().map(|(c, _)| *c).collect();
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, (_, item)) in items.into_iter().enumerate() {
            match item {
                ItemP::Value(v) => out.push(v),
                ItemP::Error => ok = false,
                ItemP::Empty => {
                    // Point at the comma that stands where the item should be: the one after the
                    // empty slot, or, for a trailing comma, the one before it.
                    let (message, hint, at) = match commas.get(i + 1).copied().flatten() {
                        Some(c) => ("expected a list item before this `,`, found nothing", "remove the extra comma", c),
                        None => (
                            "the list ends with a comma: expected a list item after it",
                            "remove the trailing comma",
                            commas.get(i).copied().flatten().unwrap_or((span.start as usize, span.end as usize)),
                        ),
                    };
                    self.push(
                        SyntaxErrorKind::EmptyListItem,
                        Span::new(at.0, at.1),
                        message.to_string(),
                        Some(hint.to_string()),
                    );
                }
            }
        }
        ok.then_some(ListLit { items: out, span })
    }

    /// A list where only a value can be: lists do not nest.
    pub fn nested_list(&mut self, span: Span, in_call: bool) {
        let (message, hint) = if in_call {
            (
                "expected a field, a transformer or a quoted string as an argument, found a list in parentheses",
                "a transformer takes operands and quoted strings, not lists",
            )
        } else {
            (
                "expected a list item, found a list in parentheses: lists do not nest",
                "write the inner items in the outer list",
            )
        };
        self.push(SyntaxErrorKind::UnexpectedToken, span, message.to_string(), Some(hint.to_string()));
    }

    /// How many parentheses are open before `pos`.
    fn open_parens(&self, pos: usize) -> usize {
        self.toks.get(self.tok_index_at(pos)).map_or(0, |t| t.open_before)
    }

    /// What may follow a complete check at `pos`, for when LALRPOP's list is empty (it leaves
    /// the end of input out).
    fn after_check(&self, pos: usize) -> String {
        if self.open_parens(pos) > 0 {
            "`and`, `or` or `)`".to_string()
        } else {
            "`and`, `or` or the end of the condition".to_string()
        }
    }

    /// Error recovery in check position: report, and leave an `Error` node.
    pub fn recover_expr(&mut self, e: Recovery, l: usize, r: usize) -> Expr {
        let span = self.recover(e, l, r);
        Self::error_expr(span)
    }

    /// Reports a recovered parse error; returns the span the recovery covers.
    pub fn recover(&mut self, e: Recovery, l: usize, r: usize) -> Span {
        let mut span = Span::new(l, r);
        if let Some((_, _, end)) = e.dropped_tokens.last() {
            span = span.cover(Span::new(*end, *end));
        }
        match e.error {
            ParseError::UnrecognizedToken { token: (ts, tok, te), expected } => {
                span = span.cover(Span::new(ts, te));
                if tok != Tok::Error {
                    self.unexpected(ts, te, &expected);
                }
            }
            ParseError::UnrecognizedEof { location, expected } => {
                // An unterminated string runs to the end; the end it reaches is no second error.
                if !self.unterminated {
                    self.unexpected_end(location, &expected);
                }
            }
            ParseError::ExtraToken { token: (ts, _, te) } => {
                let found = self.snippet(ts, te);
                self.push(
                    SyntaxErrorKind::UnexpectedToken,
                    Span::new(ts, te),
                    format!("expected the end of the condition, found {found}"),
                    None,
                );
            }
            ParseError::InvalidToken { location } => {
                self.push(
                    SyntaxErrorKind::InvalidCharacter,
                    Span::new(location, location),
                    "this text cannot be read as a token".to_string(),
                    None,
                );
            }
            ParseError::User { error } => match error {},
        }
        span
    }

    fn unexpected(&mut self, ts: usize, te: usize, expected: &[String]) {
        let found = self.snippet(ts, te);
        let found_text = self.text.get(ts..te).unwrap_or("");
        let prev = self.prev_tok(ts);
        let wants = |n: &str| expected.iter().any(|e| e.trim_matches('"') == n);
        let mut hint = None;
        let mut lowercase_fix = Vec::new();
        let lower = found_text.to_ascii_lowercase();
        if lower != found_text && (matches!(lower.as_str(), "and" | "or" | "not") || Op::from_str(&lower).is_some()) {
            hint = Some(format!("keywords and operators are lowercase: write `{lower}`"));
            lowercase_fix = vec![(Span::new(ts, te), lower.clone())];
        }
        if let Some(p) = prev {
            let prev_text = self.text.get(p.start..p.end).unwrap_or("");
            if p.kind == Kind::Field && wants("op") {
                if self.lex_error_within(Span::new(p.start, p.end)) {
                    return;
                }
                let name = self.snippet(p.start, p.end);
                self.push(
                    SyntaxErrorKind::MissingOperator,
                    Span::new(p.start, p.end),
                    format!("expected an operator after {name}, found {found}"),
                    hint.or_else(|| Some("compare the field with a value, or test it with `exists`".to_string())),
                );
                return;
            }
            if p.kind == Kind::Op && wants("str") {
                let op = self.snippet(p.start, p.end);
                self.push(
                    SyntaxErrorKind::UnexpectedToken,
                    Span::new(ts, te),
                    format!("expected a value after {op}, found {found}"),
                    hint,
                );
                return;
            }
            if p.kind == Kind::Modifier {
                let m = self.snippet(p.start, p.end);
                self.push(
                    SyntaxErrorKind::UnexpectedToken,
                    Span::new(ts, te),
                    format!("expected a list in parentheses after {m}, found {found}"),
                    hint,
                );
                return;
            }
            if p.kind == Kind::Str && matches!(prev_text, "oneof" | "anyof" | "allof") {
                hint = hint.or_else(|| {
                    Some(format!("`{prev_text}` is a modifier only when a list follows: `{prev_text} (...)`"))
                });
            }
            if p.kind == Kind::Str && matches!(prev_text, "and" | "or" | "not") {
                hint = hint.or_else(|| {
                    Some(format!(
                        "`{prev_text}` was read as the value of the comparison before it; is a value missing?"
                    ))
                });
            }
            if found_text == ")" && self.open_parens(ts) == 0 {
                hint = hint.or_else(|| Some("this `)` has no matching `(`".to_string()));
            }
            let want = describe_expected(expected);
            let want = if want == "something else" { self.after_check(ts) } else { want };
            let message = format!("expected {want} after {}, found {found}", self.snippet(p.start, p.end));
            self.push(SyntaxErrorKind::UnexpectedToken, Span::new(ts, te), message, hint);
        } else {
            let message = format!("expected {}, found {found}", describe_expected(expected));
            self.push(SyntaxErrorKind::UnexpectedToken, Span::new(ts, te), message, hint);
        }
        if !lowercase_fix.is_empty() {
            self.fix_last(lowercase_fix);
        }
    }

    fn unexpected_end(&mut self, location: usize, expected: &[String]) {
        let want = describe_expected(expected);
        let hint = expected.iter().any(|e| e.trim_matches('"') == ")").then(|| "a `(` is still open".to_string());
        let message = match self.prev_tok(location.saturating_add(1)) {
            Some(p) => format!("expected {want} after {}, but the condition ends there", self.snippet(p.start, p.end)),
            None => format!("expected {want}, but the condition ends there"),
        };
        self.push(SyntaxErrorKind::UnexpectedEnd, Span::new(location, location), message, hint);
    }
}

/// Parses a condition; see [`crate::parse_condition`].
pub(crate) fn parse_condition(text: &str) -> ParsedCondition {
    if text.chars().all(is_blank) {
        return ParsedCondition {
            expr: None,
            errors: vec![SyntaxError {
                kind: SyntaxErrorKind::Empty,
                span: Span::new(0, text.len()),
                message: "the condition is empty".to_string(),
                hint: Some("write a check such as `evt.type = open`, or a macro name".to_string()),
                fix: Vec::new(),
            }],
        };
    }
    let lexed = lex(text);
    let mut errors = lexed.errors;
    if lexed.too_deep {
        sort_errors(&mut errors);
        return ParsedCondition { expr: None, errors };
    }
    let mut open = 0usize;
    let toks = lexed
        .tokens
        .iter()
        .map(|(s, t, e)| {
            let info = TokInfo { start: *s, end: *e, kind: kind_of(t), open_before: open };
            match t {
                Tok::LParen | Tok::Func(_) => open += 1,
                Tok::RParen => open = open.saturating_sub(1),
                _ => {}
            }
            info
        })
        .collect();
    let mut lex_errors: Vec<Span> = errors.iter().map(|e| e.span).collect();
    lex_errors.sort_by_key(|s| s.start);
    let unterminated = errors.iter().any(|e| e.kind == SyntaxErrorKind::UnterminatedString);
    let mut cx = Ctx { text, toks, errors: Vec::new(), lex_errors, unterminated };
    let parsed = ConditionParser::new().parse(&mut cx, lexed.tokens.into_iter().map(Ok));
    let expr = match parsed {
        Ok(expr) => Some(expr),
        Err(error) => {
            cx.recover(ErrorRecovery { error, dropped_tokens: Vec::new() }, 0, 0);
            None
        }
    };
    errors.extend(cx.errors);
    sort_errors(&mut errors);
    ParsedCondition { expr, errors }
}

/// Source order; one report per place and kind (recovery can meet the same token twice).
fn sort_errors(errors: &mut Vec<SyntaxError>) {
    errors.sort_by_key(|e| (e.span.start, e.span.end));
    errors.dedup_by(|a, b| a.kind == b.kind && a.span == b.span);
}
