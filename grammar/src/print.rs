//! Canonical condition text: `Display` for the syntax tree.
//!
//! The printed text re-parses to the same tree, spans aside: parentheses are printed where the
//! tree has `Paren` nodes (and, for trees built by hand, wherever precedence needs them), literals
//! keep the quote they were written with, and values that could not be read back bare are quoted
//! with escapes.

use std::fmt::{self, Display, Formatter, Write};

use crate::ast::{
    Check, Expr, ExprKind, FieldArg, FieldRef, Ident, ListLit, Literal, Modifier, Op, Operand, OutputPart, Rhs,
    Transform, TransformArg, Transformer,
};
use crate::lexer::is_blank;

/// Whether `s` reads back as one bare string in value position.
fn bare_value_ok(s: &str) -> bool {
    !s.is_empty() && !s.chars().any(|c| is_blank(c) || matches!(c, '(' | ')' | ',' | '=' | '"' | '\''))
}

/// Whether `s` reads back as a bare bracket argument.
fn bare_arg_ok(s: &str) -> bool {
    !s.is_empty() && !s.chars().any(|c| is_blank(c) || matches!(c, '[' | ']' | '"' | '\''))
}

/// Writes `s` between `quote`s, escaping what the lexer would otherwise read differently.
fn write_quoted(f: &mut Formatter<'_>, s: &str, quote: char) -> fmt::Result {
    f.write_char(quote)?;
    for c in s.chars() {
        match c {
            '\\' => f.write_str("\\\\")?,
            '\x08' => f.write_str("\\b")?,
            '\x0c' => f.write_str("\\f")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if c == quote => {
                f.write_char('\\')?;
                f.write_char(c)?;
            }
            c => f.write_char(c)?,
        }
    }
    f.write_char(quote)
}

fn quote_char(q: Option<char>) -> char {
    match q {
        Some('\'') => '\'',
        _ => '"',
    }
}

/// Binding strength, to know when a hand-built tree needs parentheses to print as it means.
fn precedence(e: &Expr) -> u8 {
    match e.kind {
        ExprKind::Or(_) => 1,
        ExprKind::And(_) => 2,
        ExprKind::Not(_) => 3,
        _ => 4,
    }
}

fn write_operand_of(f: &mut Formatter<'_>, e: &Expr, min: u8) -> fmt::Result {
    if precedence(e) < min { write!(f, "({e})") } else { write!(f, "{e}") }
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Or(xs) | ExprKind::And(xs) => {
                let (sep, min) = match self.kind {
                    ExprKind::Or(_) => (" or ", 2),
                    _ => (" and ", 3),
                };
                for (i, x) in xs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(sep)?;
                    }
                    write_operand_of(f, x, min)?;
                }
                Ok(())
            }
            ExprKind::Not(x) => {
                f.write_str("not ")?;
                write_operand_of(f, x, 3)
            }
            ExprKind::Paren(x) => write!(f, "({x})"),
            ExprKind::Check(c) => write!(f, "{c}"),
            ExprKind::MacroRef(id) => write!(f, "{id}"),
            // Not valid syntax, on purpose: an erroneous tree must not print as a valid one.
            ExprKind::Error => f.write_str("<error>"),
        }
    }
}

impl Display for Ident {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl Display for Check {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.lhs, self.op.node)?;
        if let Some(m) = &self.modifier {
            write!(f, " {}", m.node)?;
        }
        if let Some(rhs) = &self.rhs {
            write!(f, " {rhs}")?;
        }
        Ok(())
    }
}

impl Display for Op {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Display for Modifier {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Display for Transformer {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Display for Operand {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Field(x) => write!(f, "{x}"),
            Operand::Transform(t) => write!(f, "{t}"),
        }
    }
}

impl Display for FieldRef {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if let Some(arg) = &self.arg {
            write!(f, "{arg}")?;
        }
        Ok(())
    }
}

/// Prints with its brackets: `[2]`, `["a b"]`.
impl Display for FieldArg {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_char('[')?;
        if self.quoted || !bare_arg_ok(&self.value) {
            write_quoted(f, &self.value, '"')?;
        } else {
            f.write_str(&self.value)?;
        }
        f.write_char(']')
    }
}

impl Display for Transform {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}(", self.func.node)?;
        for (i, a) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{a}")?;
        }
        f.write_char(')')?;
        if let Some(index) = &self.index {
            write!(f, "{index}")?;
        }
        Ok(())
    }
}

impl Display for TransformArg {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            TransformArg::Operand(o) => write!(f, "{o}"),
            // A bare word here would read back as a field, so literals are always quoted.
            TransformArg::Literal(l) => write_quoted(f, &l.value, quote_char(l.quote)),
        }
    }
}

/// Bare when it was bare and can be read back bare; otherwise quoted.
impl Display for Literal {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self.quote {
            None if bare_value_ok(&self.value) => f.write_str(&self.value),
            q => write_quoted(f, &self.value, quote_char(q)),
        }
    }
}

impl Display for ListLit {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_char('(')?;
        for (i, item) in self.items.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{item}")?;
        }
        f.write_char(')')
    }
}

impl Display for Rhs {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Rhs::Value(v) => write!(f, "{v}"),
            Rhs::List(l) => write!(f, "{l}"),
            Rhs::Operand(o) => write!(f, "{o}"),
        }
    }
}

/// Text as it is, fields with their `%`.
impl Display for OutputPart {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            OutputPart::Text { text, .. } => f.write_str(text),
            OutputPart::Field { operand, .. } => write!(f, "%{operand}"),
        }
    }
}
