//! The syntax of Falco conditions and output format strings: tokens (logos), grammar (LALRPOP),
//! syntax tree and spans.
//!
//! Parsing never fails: it returns whatever tree it could build plus every syntax error it found,
//! and it never panics, whatever the input. This crate knows nothing of fields, types, rules
//! files, IR or editors.

// `Op::from_str` and `Transformer::from_str` return `Option`, on purpose (no error type is
// wanted), so clippy's suggestion to implement `FromStr` instead does not fit.
#[allow(clippy::should_implement_trait)]
pub mod ast;
pub mod error;
pub mod span;

pub use error::{SyntaxError, SyntaxErrorKind};
pub use span::{Span, Spanned};

/// The deepest nesting of parentheses, `not` and transformer calls that the parser accepts; past
/// it a `TooDeep` error is reported instead of risking the stack.
pub const MAX_DEPTH: usize = 200;

/// The result of parsing a condition: the tree (absent only when nothing could be recovered) and
/// the syntax errors, in source order.
#[derive(Clone, Debug)]
pub struct ParsedCondition {
    pub expr: Option<ast::Expr>,
    pub errors: Vec<SyntaxError>,
}

/// The result of parsing an output format string.
#[derive(Clone, Debug)]
pub struct ParsedOutput {
    pub parts: Vec<ast::OutputPart>,
    pub errors: Vec<SyntaxError>,
}

mod lexer;
mod output;
mod parser;
mod print;

lalrpop_util::lalrpop_mod!(
    #[allow(clippy::all, clippy::pedantic, clippy::unwrap_used, unused)]
    condition
);

/// Parses a condition. Never fails and never panics: the result holds the tree (with
/// `ExprKind::Error` where error recovery happened) and every syntax error found, in source order.
/// The tree is absent for an empty condition and for one nesting deeper than [`MAX_DEPTH`].
///
/// `Display` on the tree prints canonical text that parses back to the same tree, spans aside.
pub fn parse_condition(text: &str) -> ParsedCondition {
    parser::parse_condition(text)
}

/// Parses an output format string (`text %field %field[arg] %tolower(field)`). Never panics; a
/// malformed `%` is reported and kept as text.
pub fn parse_output(text: &str) -> ParsedOutput {
    output::parse_output(text)
}
