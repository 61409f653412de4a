//! The syntax of Falco conditions and output format strings: tokens (logos), grammar (LALRPOP),
//! syntax tree and spans.
//!
//! Parsing never fails: it returns whatever tree it could build plus every syntax error it found,
//! and it never panics, whatever the input. This crate knows nothing of fields, types, rules
//! files, IR or editors.

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
