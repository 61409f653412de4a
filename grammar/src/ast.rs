//! The syntax tree of conditions and output format strings.
//!
//! The tree is faithful to the text: parentheses are kept, `==` and `=` are one operator, field
//! names are kept whole (`evt.arg.flags` is not split into field and argument here, because that
//! needs the field table, which this crate does not know). Every node carries the span of the text
//! it came from, in bytes of the parsed string.

use crate::span::{Span, Spanned};

/// A boolean expression.
#[derive(Clone, PartialEq, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, PartialEq, Debug)]
pub enum ExprKind {
    /// Two or more operands joined by `or`, in source order.
    Or(Vec<Expr>),
    /// Two or more operands joined by `and`, in source order.
    And(Vec<Expr>),
    Not(Box<Expr>),
    /// `( expr )`, kept so that spans, formatting and the LSP see the text as written.
    Paren(Box<Expr>),
    Check(Box<Check>),
    /// A bare identifier in check position: a reference to a macro.
    MacroRef(Ident),
    /// What error recovery left where a piece of the condition could not be parsed; an error
    /// was reported for it.
    Error,
}

#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// `LHS OP [MODIFIER] [RHS]`; `rhs` is `None` only for `exists`.
#[derive(Clone, PartialEq, Debug)]
pub struct Check {
    pub lhs: Operand,
    pub op: Spanned<Op>,
    pub modifier: Option<Spanned<Modifier>>,
    pub rhs: Option<Rhs>,
    pub span: Span,
}

/// The 19 comparison operators (`==` is spelled `Eq` too).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub enum Op {
    Exists,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Contains,
    IContains,
    BContains,
    StartsWith,
    BStartsWith,
    EndsWith,
    Glob,
    IGlob,
    Regex,
    In,
    Intersects,
    PMatch,
}

impl Op {
    pub const ALL: [Op; 19] = [
        Op::Exists,
        Op::Eq,
        Op::Ne,
        Op::Lt,
        Op::Le,
        Op::Gt,
        Op::Ge,
        Op::Contains,
        Op::IContains,
        Op::BContains,
        Op::StartsWith,
        Op::BStartsWith,
        Op::EndsWith,
        Op::Glob,
        Op::IGlob,
        Op::Regex,
        Op::In,
        Op::Intersects,
        Op::PMatch,
    ];

    /// The operator as written in a condition (`=` for `Eq`).
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Exists => "exists",
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Contains => "contains",
            Op::IContains => "icontains",
            Op::BContains => "bcontains",
            Op::StartsWith => "startswith",
            Op::BStartsWith => "bstartswith",
            Op::EndsWith => "endswith",
            Op::Glob => "glob",
            Op::IGlob => "iglob",
            Op::Regex => "regex",
            Op::In => "in",
            Op::Intersects => "intersects",
            Op::PMatch => "pmatch",
        }
    }

    pub fn from_str(s: &str) -> Option<Op> {
        if s == "==" {
            return Some(Op::Eq);
        }
        Op::ALL.into_iter().find(|op| op.as_str() == s)
    }

    /// Operators whose right side is a parenthesised list.
    pub fn takes_list(self) -> bool {
        matches!(self, Op::In | Op::Intersects | Op::PMatch)
    }

    /// Operators that accept the `oneof`/`anyof`/`allof` modifiers.
    pub fn takes_modifier(self) -> bool {
        matches!(
            self,
            Op::Eq
                | Op::Ne
                | Op::Contains
                | Op::IContains
                | Op::BContains
                | Op::StartsWith
                | Op::BStartsWith
                | Op::EndsWith
                | Op::Glob
                | Op::IGlob
                | Op::Regex
        )
    }
}

/// `oneof` / `anyof` / `allof` after a string operator, with a list on the right.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Modifier {
    OneOf,
    AnyOf,
    AllOf,
}

impl Modifier {
    pub const ALL: [Modifier; 3] = [Modifier::OneOf, Modifier::AnyOf, Modifier::AllOf];

    /// The modifier written `s`.
    pub fn from_str(s: &str) -> Option<Modifier> {
        Modifier::ALL.into_iter().find(|m| m.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Modifier::OneOf => "oneof",
            Modifier::AnyOf => "anyof",
            Modifier::AllOf => "allof",
        }
    }
}

/// Something that produces a value from an event: a field or a transformer applied to operands.
#[derive(Clone, PartialEq, Debug)]
pub enum Operand {
    Field(FieldRef),
    Transform(Box<Transform>),
}

impl Operand {
    pub fn span(&self) -> Span {
        match self {
            Operand::Field(f) => f.span,
            Operand::Transform(t) => t.span,
        }
    }
}

/// A field as written: `proc.name`, `proc.aname[2]`, `proc.env["HOME"]`, `evt.arg.flags`.
///
/// `name` is the whole dotted word; dot-suffix arguments (`evt.arg.flags`) stay inside it and are
/// split off by the compiler, which knows the field table.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct FieldRef {
    pub name: String,
    pub name_span: Span,
    /// The bracket argument, `[..]`, if any.
    pub arg: Option<FieldArg>,
    /// The whole reference, argument included.
    pub span: Span,
}

/// The text between `[` and `]` (quotes removed and escapes decoded when it was quoted).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct FieldArg {
    pub value: String,
    pub span: Span,
    pub quoted: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Transformer {
    ToLower,
    ToUpper,
    B64,
    Basename,
    Len,
    Val,
    Join,
    Concat,
    GetOpt,
}

impl Transformer {
    pub const ALL: [Transformer; 9] = [
        Transformer::ToLower,
        Transformer::ToUpper,
        Transformer::B64,
        Transformer::Basename,
        Transformer::Len,
        Transformer::Val,
        Transformer::Join,
        Transformer::Concat,
        Transformer::GetOpt,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Transformer::ToLower => "tolower",
            Transformer::ToUpper => "toupper",
            Transformer::B64 => "b64",
            Transformer::Basename => "basename",
            Transformer::Len => "len",
            Transformer::Val => "val",
            Transformer::Join => "join",
            Transformer::Concat => "concat",
            Transformer::GetOpt => "getopt",
        }
    }

    pub fn from_str(s: &str) -> Option<Transformer> {
        Transformer::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// `func(args...)`, optionally indexed (`getopt(proc.args, "c:")[c]`).
#[derive(Clone, PartialEq, Debug)]
pub struct Transform {
    pub func: Spanned<Transformer>,
    pub args: Vec<TransformArg>,
    pub index: Option<FieldArg>,
    pub span: Span,
}

#[derive(Clone, PartialEq, Debug)]
pub enum TransformArg {
    Operand(Operand),
    /// A quoted string (the separator of `join`, the option string of `getopt`, a piece of `concat`).
    Literal(Literal),
}

/// A constant: a bare word or a quoted string, decoded.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Literal {
    pub value: String,
    /// The quote character, when the literal was quoted.
    pub quote: Option<char>,
    pub span: Span,
}

impl Literal {
    /// A literal made by a program rather than read from text: unquoted, so that printing it
    /// writes it bare when it reads back bare and quoted with escapes otherwise.
    pub fn unquoted(value: impl Into<String>) -> Literal {
        Literal { value: value.into(), quote: None, span: Span::default() }
    }
}

/// The right side of a check.
#[derive(Clone, PartialEq, Debug)]
pub enum Rhs {
    Value(Literal),
    List(ListLit),
    /// A transformer expression, `val(proc.pname)` or `tolower(val(...))`.
    Operand(Operand),
}

impl Rhs {
    pub fn span(&self) -> Span {
        match self {
            Rhs::Value(l) => l.span,
            Rhs::List(l) => l.span,
            Rhs::Operand(o) => o.span(),
        }
    }
}

/// `(a, b, "c d")`; the span covers the parentheses.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct ListLit {
    pub items: Vec<Literal>,
    pub span: Span,
}

/// One piece of an output format string.
#[derive(Clone, PartialEq, Debug)]
pub enum OutputPart {
    Text {
        text: String,
        span: Span,
    },
    /// `%field`, `%field[arg]` or `%transformer(...)`; `span` covers the `%`.
    Field {
        operand: Operand,
        span: Span,
    },
}

impl Expr {
    /// Calls `f` on this expression and every expression below it, parents first.
    pub fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Expr)) {
        f(self);
        match &self.kind {
            ExprKind::Or(xs) | ExprKind::And(xs) => xs.iter().for_each(|x| x.walk(f)),
            ExprKind::Not(x) | ExprKind::Paren(x) => x.walk(f),
            ExprKind::Check(_) | ExprKind::MacroRef(_) | ExprKind::Error => {}
        }
    }

    /// Every check in the expression, in source order.
    pub fn checks(&self) -> Vec<&Check> {
        let mut out = Vec::new();
        self.walk(&mut |e| {
            if let ExprKind::Check(c) = &e.kind {
                out.push(&**c);
            }
        });
        out
    }

    /// Sets every span in the tree to the default, so that two trees compare by structure and
    /// text alone (a printed and re-parsed condition, a reformatted one).
    pub fn clear_spans(&mut self) {
        self.span = Span::default();
        match &mut self.kind {
            ExprKind::Or(xs) | ExprKind::And(xs) => xs.iter_mut().for_each(Expr::clear_spans),
            ExprKind::Not(x) | ExprKind::Paren(x) => x.clear_spans(),
            ExprKind::MacroRef(id) => id.span = Span::default(),
            ExprKind::Error => {}
            ExprKind::Check(c) => {
                c.span = Span::default();
                c.op.span = Span::default();
                if let Some(m) = &mut c.modifier {
                    m.span = Span::default();
                }
                c.lhs.clear_spans();
                match &mut c.rhs {
                    None => {}
                    Some(Rhs::Value(l)) => l.span = Span::default(),
                    Some(Rhs::Operand(o)) => o.clear_spans(),
                    Some(Rhs::List(l)) => {
                        l.span = Span::default();
                        l.items.iter_mut().for_each(|i| i.span = Span::default());
                    }
                }
            }
        }
    }

    /// Every macro reference in the expression, in source order.
    pub fn macro_refs(&self) -> Vec<&Ident> {
        let mut out = Vec::new();
        self.walk(&mut |e| {
            if let ExprKind::MacroRef(id) = &e.kind {
                out.push(id);
            }
        });
        out
    }
}

impl Operand {
    /// Every field this operand reads, in source order.
    pub fn fields(&self) -> Vec<&FieldRef> {
        let mut out = Vec::new();
        fn go<'a>(o: &'a Operand, out: &mut Vec<&'a FieldRef>) {
            match o {
                Operand::Field(f) => out.push(f),
                Operand::Transform(t) => {
                    for a in &t.args {
                        if let TransformArg::Operand(o) = a {
                            go(o, out);
                        }
                    }
                }
            }
        }
        go(self, &mut out);
        out
    }

    /// Sets every span in the operand to the default (see [`Expr::clear_spans`]).
    pub fn clear_spans(&mut self) {
        match self {
            Operand::Field(f) => {
                f.span = Span::default();
                f.name_span = Span::default();
                if let Some(a) = &mut f.arg {
                    a.span = Span::default();
                }
            }
            Operand::Transform(t) => {
                t.span = Span::default();
                t.func.span = Span::default();
                if let Some(i) = &mut t.index {
                    i.span = Span::default();
                }
                for a in &mut t.args {
                    match a {
                        TransformArg::Operand(o) => o.clear_spans(),
                        TransformArg::Literal(l) => l.span = Span::default(),
                    }
                }
            }
        }
    }
}
