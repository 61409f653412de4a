//! The condition lexer: turns a condition into the tokens the LALRPOP grammar reads.
//!
//! The language is context-sensitive, so the raw token sets (two `logos` DFAs) are driven by a
//! small state machine that knows where it is in a check:
//!
//! - `Check` mode, at the start of a check: `not`, `(`, a field or macro name (with an optional
//!   `[arg]`), or `name(` opening a transformer;
//! - `Infix` mode, after an operand or a whole check: an operator, `and`, `or`, `)`;
//! - `Value` mode, after an operator: one *bare string* (which may hold `/ * . - : < > ! [ ]`),
//!   a quoted string, a `name(` transformer, a `(` list, or a modifier (`anyof (`);
//! - `List` mode, inside a list literal: values and commas;
//! - `Args` mode, inside a transformer's parentheses: operands, quoted strings and commas.
//!
//! A stack of open parentheses remembers which mode resumes when each one closes, and how deep
//! the nesting is, so that too deep an input is refused here, before anything recursive sees it.
//! Errors the lexer can recover from locally (a bad escape, a missing blank, an unclosed string)
//! are reported and lexing goes on; a character that starts no token becomes `Tok::Error`, which
//! the grammar then skips through its error recovery without reporting it twice.

use logos::Logos;

use crate::MAX_DEPTH;
use crate::ast::{FieldArg, FieldRef, Literal, Modifier, Op};
use crate::error::{SyntaxError, SyntaxErrorKind};
use crate::span::{Span, Spanned};

/// A token as the grammar sees it. Tokens carry their decoded payload; locations travel beside
/// them as byte offsets.
#[derive(Clone, PartialEq, Debug)]
pub enum Tok {
    Not,
    And,
    Or,
    LParen,
    RParen,
    Comma,
    /// A field or macro name in operand position, with its `[arg]` if one was glued to it.
    Word(FieldRef),
    /// `name(`: the opening of a transformer call; the payload spans the name only.
    Func(Spanned<String>),
    /// A comparison operator other than `exists`.
    Op(Op),
    /// `exists`, apart because nothing follows it.
    Exists,
    Modifier(Modifier),
    /// A value: a bare string or a quoted string (decoded).
    Str(Literal),
    /// `[arg]` glued to the closing parenthesis of a transformer call.
    Index(FieldArg),
    /// A character that starts no token; the lexer has reported it already.
    Error,
}

/// Tokens in code position (checks, operators, transformer arguments). Blanks are the five that
/// Falco accepts: space, tab, `\b`, `\r`, `\n`.
#[derive(Logos, Clone, Copy, PartialEq, Eq, Debug)]
#[logos(skip r"[ \t\r\n\x08]+")]
enum CodeTok {
    #[regex(r"[A-Za-z0-9_.]+")]
    Word,
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token(",")]
    Comma,
    #[token("=")]
    #[token("==")]
    Eq,
    #[token("!=")]
    Ne,
    #[token("<")]
    Lt,
    #[token("<=")]
    Le,
    #[token(">")]
    Gt,
    #[token(">=")]
    Ge,
    #[token("\"")]
    #[token("'")]
    Quote,
}

/// Tokens in value position (after an operator, inside a list literal). A bare string runs until
/// a blank, a parenthesis, a comma, `=` or a quote.
#[derive(Logos, Clone, Copy, PartialEq, Eq, Debug)]
#[logos(skip r"[ \t\r\n\x08]+")]
enum ValueTok {
    #[regex(r#"[^ \t\r\n\x08(),="']+"#)]
    Bare,
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token(",")]
    Comma,
    #[token("=")]
    #[token("==")]
    Eq,
    #[token("\"")]
    #[token("'")]
    Quote,
}

/// Runs one step of a logos lexer over `text[pos..]`; offsets returned are absolute.
///
/// A fresh logos lexer per token is cheap (it is a cursor over the slice) and lets the mode
/// machine pick the token set for every token.
fn raw<'s, T>(text: &'s str, pos: usize) -> Option<(Result<T, ()>, usize, usize)>
where
    T: Logos<'s, Source = str, Error = (), Extras = ()>,
{
    let rest = text.get(pos..)?;
    let mut lex = T::lexer(rest);
    let tok = lex.next()?;
    let span = lex.span();
    Some((tok, pos + span.start, pos + span.end))
}

/// The blanks of the condition language.
pub(crate) fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n' | '\x08')
}

/// A word that can name a transformer or a macro: a letter or `_`, then letters, digits, `_`.
fn is_ident(w: &str) -> bool {
    let mut cs = w.chars();
    matches!(cs.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && cs.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// An operator written as a word (`contains`, `in`...), not a symbol.
fn word_op(w: &str) -> Option<Op> {
    Op::from_str(w).filter(|op| op.as_str().starts_with(|c: char| c.is_ascii_alphabetic()))
}

/// How a character is named in a message: blanks are invisible, so they get words.
pub(crate) fn describe_char(c: Option<char>) -> String {
    match c {
        None => "the end of the text".to_string(),
        Some(' ') => "a space".to_string(),
        Some('\t') => "a tab".to_string(),
        Some('\n') | Some('\r') => "a line break".to_string(),
        Some('`') => "a backquote".to_string(),
        Some(c) if c.is_control() => format!("the control character U+{:04X}", c as u32),
        Some(c) => format!("`{c}`"),
    }
}

/// Scans a quoted string whose opening quote is at `start`: decodes the escapes Falco accepts
/// and reports the others, and reports a missing closing quote (the value then runs to the end
/// of the text, so that parsing can go on). Returns the literal and the offset after it.
pub(crate) fn scan_quoted(text: &str, start: usize, errors: &mut Vec<SyntaxError>) -> (Literal, usize) {
    let rest = &text[start..];
    let mut chars = rest.char_indices();
    let quote = match chars.next() {
        Some((_, q)) => q,
        None => {
            let lit = Literal { value: String::new(), quote: None, span: Span::new(start, start) };
            return (lit, start);
        }
    };
    let mut value = String::new();
    while let Some((i, c)) = chars.next() {
        if c == quote {
            let end = start + i + c.len_utf8();
            let lit = Literal { value, quote: Some(quote), span: Span::new(start, end) };
            return (lit, end);
        }
        if c != '\\' {
            value.push(c);
            continue;
        }
        let Some((j, e)) = chars.next() else { break };
        let decoded = match e {
            'b' => Some('\x08'),
            'f' => Some('\x0c'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            '\\' => Some('\\'),
            '/' => Some('/'),
            // A legacy escape Falco keeps for upstream rules (`proc.args contains "\ "`): it
            // stands for a backslash, not a space.
            ' ' => Some('\\'),
            e if e == quote => Some(quote),
            _ => None,
        };
        match decoded {
            Some(d) => value.push(d),
            None => {
                let span = Span::new(start + i, start + j + e.len_utf8());
                let other = if quote == '"' { '\'' } else { '"' };
                let hint = if e == other {
                    format!("`{e}` needs no escape inside {quote}...{quote}; write it alone")
                } else {
                    format!("the escapes are \\b \\f \\n \\r \\t \\\\ \\/ and \\{quote}; write \\\\ for a backslash")
                };
                errors.push(SyntaxError {
                    kind: SyntaxErrorKind::InvalidEscape,
                    span,
                    message: format!("`\\{e}` is not a valid escape in a quoted string"),
                    hint: Some(hint),
                    fix: Vec::new(),
                });
                // Keep the text as written so that the rest of the string still means something.
                value.push('\\');
                value.push(e);
            }
        }
    }
    errors.push(SyntaxError {
        kind: SyntaxErrorKind::UnterminatedString,
        span: Span::new(start, text.len()),
        message: format!("this string is never closed: expected a closing `{quote}`"),
        hint: Some(format!("add `{quote}` where the string ends")),
        fix: Vec::new(),
    });
    let lit = Literal { value, quote: Some(quote), span: Span::new(start, text.len()) };
    (lit, text.len())
}

/// Scans a bracket argument whose `[` is at `open`, glued to `owner` (a field name or a
/// transformer call): `[2]`, `[HOME]`, `["HOME"]`, `[/proc*]`. Returns the argument (absent when
/// nothing usable was inside) and the offset after what was consumed.
pub(crate) fn scan_bracket_arg(
    text: &str,
    open: usize,
    owner: &str,
    errors: &mut Vec<SyntaxError>,
) -> (Option<FieldArg>, usize) {
    let p = open + 1;
    let rest = &text[p..];
    match rest.chars().next() {
        Some('"' | '\'') => {
            let (lit, end) = scan_quoted(text, p, errors);
            let arg = FieldArg { value: lit.value, span: lit.span, quoted: true };
            if text[end..].starts_with(']') {
                (Some(arg), end + 1)
            } else {
                let found = text[end..].chars().next();
                if found.is_some() {
                    errors.push(missing_bracket(owner, end, found));
                }
                // At the end of the text, the unterminated string has been reported already.
                (Some(arg), end)
            }
        }
        Some(']') => {
            errors.push(SyntaxError {
                kind: SyntaxErrorKind::UnexpectedToken,
                span: Span::new(open, p + 1),
                message: format!("expected an argument between `[` and `]` after `{owner}`"),
                hint: Some(format!("write `{owner}[ARG]`, or remove the brackets")),
                fix: Vec::new(),
            });
            (None, p + 1)
        }
        _ => {
            let stop = rest
                .char_indices()
                .find(|&(_, c)| is_blank(c) || matches!(c, '[' | ']' | '"' | '\''))
                .map_or(text.len(), |(i, _)| p + i);
            let arg = FieldArg { value: text[p..stop].to_string(), span: Span::new(p, stop), quoted: false };
            let arg = if stop > p { Some(arg) } else { None };
            if text[stop..].starts_with(']') {
                return (arg, stop + 1);
            }
            errors.push(missing_bracket(owner, stop, text[stop..].chars().next()));
            (arg, stop)
        }
    }
}

fn missing_bracket(owner: &str, at: usize, found: Option<char>) -> SyntaxError {
    let (kind, end) = match found {
        None => (SyntaxErrorKind::UnexpectedEnd, at),
        Some(c) => (SyntaxErrorKind::UnexpectedToken, at + c.len_utf8()),
    };
    SyntaxError {
        kind,
        span: Span::new(at, end),
        message: format!("expected `]` to close the argument of `{owner}`, found {}", describe_char(found)),
        hint: Some("a bare argument cannot hold blanks, brackets or quotes; quote it".to_string()),
        fix: Vec::new(),
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Check,
    Infix,
    /// After operator `op`; `modifier_ok` while a modifier may still come.
    Value {
        op: Op,
        modifier_ok: bool,
    },
    List,
    Args,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum FrameKind {
    Group,
    List,
    Call,
}

#[derive(Clone, Copy, Debug)]
struct Frame {
    kind: FrameKind,
    /// The mode to go back to once this parenthesis closes.
    resume: Mode,
    /// Nesting depth inside this parenthesis.
    depth: usize,
}

/// What lexing produced: the tokens with their byte ranges, the errors found on the way, and
/// whether lexing stopped because the input nests too deep.
pub(crate) struct Lexed {
    pub tokens: Vec<(usize, Tok, usize)>,
    pub errors: Vec<SyntaxError>,
    pub too_deep: bool,
}

struct Lexer<'a> {
    text: &'a str,
    pos: usize,
    mode: Mode,
    stack: Vec<Frame>,
    /// `not`s in a row at the current level: they nest like parentheses do.
    nots: usize,
    tokens: Vec<(usize, Tok, usize)>,
    errors: Vec<SyntaxError>,
    too_deep: bool,
}

/// Lexes a whole condition.
pub(crate) fn lex(text: &str) -> Lexed {
    let mut lx = Lexer {
        text,
        pos: 0,
        mode: Mode::Check,
        stack: Vec::new(),
        nots: 0,
        tokens: Vec::new(),
        errors: Vec::new(),
        too_deep: false,
    };
    while !lx.too_deep && lx.step() {}
    Lexed { tokens: lx.tokens, errors: lx.errors, too_deep: lx.too_deep }
}

impl<'a> Lexer<'a> {
    fn depth(&self) -> usize {
        self.stack.last().map_or(0, |f| f.depth) + self.nots
    }

    fn emit(&mut self, start: usize, tok: Tok, end: usize) {
        if tok != Tok::Not {
            self.nots = 0;
        }
        self.tokens.push((start, tok, end));
    }

    fn error(&mut self, kind: SyntaxErrorKind, span: Span, message: String, hint: Option<String>) {
        self.errors.push(SyntaxError { kind, span, message, hint, fix: Vec::new() });
    }

    fn too_deep_at(&mut self, start: usize, end: usize) {
        self.too_deep = true;
        self.error(
            SyntaxErrorKind::TooDeep,
            Span::new(start, end),
            format!("this condition nests deeper than {MAX_DEPTH} levels of parentheses, `not` and transformer calls"),
            Some("split it into macros".to_string()),
        );
    }

    /// Opens a parenthesis (the token is `tok`, already lexed at `start..end`).
    fn open(&mut self, kind: FrameKind, resume: Mode, start: usize, tok: Tok, end: usize) {
        let depth = self.depth() + 1;
        if depth > MAX_DEPTH {
            self.too_deep_at(start, end);
            return;
        }
        self.emit(start, tok, end);
        self.stack.push(Frame { kind, resume, depth });
    }

    /// Closes the innermost parenthesis; a `)` with none open is left for the grammar to report.
    fn close(&mut self, start: usize, end: usize) {
        self.emit(start, Tok::RParen, end);
        match self.stack.pop() {
            Some(frame) => {
                self.mode = frame.resume;
                if frame.kind == FrameKind::Call && self.text[end..].starts_with('[') {
                    let owner = "the transformer call";
                    let (arg, after) = scan_bracket_arg(self.text, end, owner, &mut self.errors);
                    self.pos = after;
                    if let Some(arg) = arg {
                        self.emit(end, Tok::Index(arg), after);
                    }
                }
            }
            None => self.mode = Mode::Infix,
        }
    }

    /// One token (or a few glued ones); false at the end of the text.
    fn step(&mut self) -> bool {
        match self.mode {
            Mode::Value { .. } | Mode::List => self.step_value(),
            Mode::Check | Mode::Infix | Mode::Args => self.step_code(),
        }
    }

    fn invalid_char(&mut self, start: usize) {
        let c = self.text[start..].chars().next();
        let end = start + c.map_or(0, char::len_utf8);
        self.pos = end.max(start + 1).min(self.text.len());
        let hint = match c {
            Some('&') | Some('|') => Some("write `and` / `or` for boolean operators".to_string()),
            Some('!') => Some("write `not` to negate, or `!=` to compare".to_string()),
            _ => None,
        };
        self.error(
            SyntaxErrorKind::InvalidCharacter,
            Span::new(start, end),
            format!("{} cannot start a token here", describe_char(c)),
            hint,
        );
        self.emit(start, Tok::Error, end);
    }

    fn step_code(&mut self) -> bool {
        let Some((res, start, end)) = raw::<CodeTok>(self.text, self.pos) else {
            return false;
        };
        self.pos = end;
        let op = match res {
            Err(()) => {
                self.invalid_char(start);
                return true;
            }
            Ok(CodeTok::Word) => {
                self.word(start, end);
                return true;
            }
            Ok(CodeTok::LParen) => {
                // In check position `(` groups; elsewhere it is an error the grammar reports, but
                // the frame keeps the parentheses balanced for what follows.
                let (kind, resume, mode) = match self.mode {
                    Mode::Check => (FrameKind::Group, Mode::Infix, Mode::Check),
                    Mode::Args => (FrameKind::List, Mode::Args, Mode::List),
                    _ => (FrameKind::Group, Mode::Infix, Mode::Check),
                };
                self.open(kind, resume, start, Tok::LParen, end);
                self.mode = mode;
                return true;
            }
            Ok(CodeTok::RParen) => {
                self.close(start, end);
                return true;
            }
            Ok(CodeTok::Comma) => {
                self.emit(start, Tok::Comma, end);
                return true;
            }
            Ok(CodeTok::Quote) => {
                let (lit, after) = scan_quoted(self.text, start, &mut self.errors);
                self.pos = after;
                self.emit(start, Tok::Str(lit), after);
                if self.mode == Mode::Check {
                    self.mode = Mode::Infix;
                }
                return true;
            }
            Ok(CodeTok::Eq) => Op::Eq,
            Ok(CodeTok::Ne) => Op::Ne,
            Ok(CodeTok::Lt) => Op::Lt,
            Ok(CodeTok::Le) => Op::Le,
            Ok(CodeTok::Gt) => Op::Gt,
            Ok(CodeTok::Ge) => Op::Ge,
        };
        self.emit(start, Tok::Op(op), end);
        self.mode = Mode::Value { op, modifier_ok: op.takes_modifier() };
        true
    }

    /// Reports a keyword or word operator glued to what follows it (`contains"x"`, `not-x`).
    fn need_blank(&mut self, word: &str, start: usize, end: usize, paren_ok: bool) {
        let next = self.text[end..].chars().next();
        let ok = match next {
            None => true,
            Some(c) => is_blank(c) || c == ')' || c == ',' || (paren_ok && c == '('),
        };
        if !ok {
            let hint = if paren_ok { "add a space or `(` after it" } else { "add a space after it" };
            self.error(
                SyntaxErrorKind::MissingBlank,
                Span::new(start, end),
                format!("expected a blank after `{word}`, found {}", describe_char(next)),
                Some(hint.to_string()),
            );
        }
    }

    /// A word in code position: keyword, operator, transformer call or field/macro name.
    fn word(&mut self, start: usize, end: usize) {
        let text = self.text;
        let w = &text[start..end];
        let glued_paren = text[end..].starts_with('(');
        match (self.mode, w) {
            (Mode::Check | Mode::Infix, "not") => {
                self.need_blank(w, start, end, true);
                self.nots += 1;
                if self.depth() > MAX_DEPTH {
                    self.too_deep_at(start, end);
                    return;
                }
                self.emit(start, Tok::Not, end);
                self.mode = Mode::Check;
            }
            (Mode::Check | Mode::Infix, "and" | "or") => {
                self.need_blank(w, start, end, true);
                let tok = if w == "and" { Tok::And } else { Tok::Or };
                self.emit(start, tok, end);
                self.mode = Mode::Check;
            }
            (Mode::Infix, _) if let Some(op) = word_op(w) => {
                if !matches!(op, Op::In | Op::Intersects | Op::PMatch | Op::Exists) {
                    self.need_blank(w, start, end, false);
                }
                if op == Op::Exists {
                    self.emit(start, Tok::Exists, end);
                    self.mode = Mode::Infix;
                } else {
                    self.emit(start, Tok::Op(op), end);
                    self.mode = Mode::Value { op, modifier_ok: op.takes_modifier() };
                }
            }
            _ if glued_paren => {
                let resume = if self.mode == Mode::Args { Mode::Args } else { Mode::Infix };
                let name = Spanned::new(w.to_string(), Span::new(start, end));
                self.pos = end + 1;
                self.open(FrameKind::Call, resume, start, Tok::Func(name), end + 1);
                self.mode = Mode::Args;
            }
            _ => {
                let field = self.field(start, end);
                self.emit(start, Tok::Word(field.clone()), field.span.end as usize);
                if self.mode == Mode::Check {
                    self.mode = Mode::Infix;
                }
            }
        }
    }

    /// A field (or macro) name at `start..end`, with the `[arg]` glued to it if there is one.
    fn field(&mut self, start: usize, end: usize) -> FieldRef {
        let text = self.text;
        let name = &text[start..end];
        let (arg, after) = if text[end..].starts_with('[') {
            scan_bracket_arg(text, end, name, &mut self.errors)
        } else {
            (None, end)
        };
        self.pos = after;
        FieldRef { name: name.to_string(), name_span: Span::new(start, end), arg, span: Span::new(start, after) }
    }

    fn step_value(&mut self) -> bool {
        let Some((res, start, end)) = raw::<ValueTok>(self.text, self.pos) else {
            return false;
        };
        self.pos = end;
        let in_list = self.mode == Mode::List;
        match res {
            Err(()) => self.invalid_char(start),
            Ok(ValueTok::Bare) => self.bare(start, end),
            Ok(ValueTok::Quote) => {
                let (lit, after) = scan_quoted(self.text, start, &mut self.errors);
                self.pos = after;
                self.emit(start, Tok::Str(lit), after);
                if !in_list {
                    self.mode = Mode::Infix;
                }
            }
            Ok(ValueTok::LParen) => {
                let resume = if in_list { Mode::List } else { Mode::Infix };
                self.open(FrameKind::List, resume, start, Tok::LParen, end);
                self.mode = Mode::List;
            }
            Ok(ValueTok::RParen) => self.close(start, end),
            Ok(ValueTok::Comma) => {
                self.emit(start, Tok::Comma, end);
                if !in_list {
                    self.mode = Mode::Infix;
                }
            }
            Ok(ValueTok::Eq) => {
                self.emit(start, Tok::Op(Op::Eq), end);
                if !in_list {
                    self.mode = Mode::Value { op: Op::Eq, modifier_ok: false };
                }
            }
        }
        true
    }

    /// A bare string in value position: a value, a modifier before its list, or a transformer
    /// call (`val(`, and any other `name(` so that the grammar can name the unknown transformer).
    fn bare(&mut self, start: usize, end: usize) {
        let text = self.text;
        let w = &text[start..end];
        if let Mode::Value { op, modifier_ok } = self.mode {
            let before_paren = text[end..].trim_start_matches(is_blank).starts_with('(');
            if let (true, true, Some(m)) = (modifier_ok, before_paren, Modifier::from_str(w)) {
                self.emit(start, Tok::Modifier(m), end);
                self.mode = Mode::Value { op, modifier_ok: false };
                return;
            }
            if text[end..].starts_with('(') && is_ident(w) {
                let name = Spanned::new(w.to_string(), Span::new(start, end));
                self.pos = end + 1;
                self.open(FrameKind::Call, Mode::Infix, start, Tok::Func(name), end + 1);
                self.mode = Mode::Args;
                return;
            }
            self.mode = Mode::Infix;
        }
        let lit = Literal { value: w.to_string(), quote: None, span: Span::new(start, end) };
        self.emit(start, Tok::Str(lit), end);
    }
}
