//! Syntax errors: what the parser could not accept, where, and what to do about it.
//!
//! The compiler turns each kind into a diagnostic with a stable code; this crate only says what
//! went wrong.

use crate::span::Span;

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum SyntaxErrorKind {
    /// A token that cannot appear here (also a missing token: `found` is then the next one).
    UnexpectedToken,
    /// The text ended where more was needed.
    UnexpectedEnd,
    /// A quoted string with no closing quote.
    UnterminatedString,
    /// A backslash escape that Falco does not accept.
    InvalidEscape,
    /// A character that cannot start any token.
    InvalidCharacter,
    /// A word operator (`contains`, `startswith`...) or keyword not followed by a blank.
    MissingBlank,
    /// A field with no operator after it (`proc.name` alone).
    MissingOperator,
    /// `name(...)` where `name` is not a transformer.
    UnknownTransformer,
    /// A list literal with an empty element: `(a,,b)` or `(a,)`.
    EmptyListItem,
    /// Nesting deeper than the parser allows.
    TooDeep,
    /// An empty condition (or one made only of blanks).
    Empty,
    /// A malformed `%` token in an output format string.
    BadOutputToken,
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub struct SyntaxError {
    pub kind: SyntaxErrorKind,
    pub span: Span,
    /// A full sentence saying what is wrong, e.g. "expected an operator after field `proc.name`".
    pub message: String,
    /// What to do about it, when there is something useful to say.
    pub hint: Option<String>,
    /// The hint as a mechanical rewrite, when it is one with a single reading (`=` before a
    /// list becomes `in`, a bare value after `in` gets parentheses, `AND` becomes `and`): each
    /// span of the text is replaced by its string. Empty when there is none.
    pub fix: Vec<(Span, String)>,
}
