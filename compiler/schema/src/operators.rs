//! The operator table: one row per operator of the condition language, saying which values it
//! applies to, what its right side is, and what a check with it costs. The field table's operator
//! sets ([`FieldType::default_ops`]), the checker's constant parsing, the IR's verifier and both
//! cost models (the optimiser's order and the runtime's adaptive order) read these rows instead of
//! keeping their own lists of operators.
//!
//! The spelling and the grammar (`Op`, its word, whether it takes a list or a modifier) stay in
//! the grammar crate, which knows nothing of types; how an operator evaluates stays in the
//! runtime's evaluator. A test in the runtime checks that every operator here has an IR case that
//! runs on both backends.

use rulec_grammar::ast::Op;

use crate::FieldType;

/// The kinds of value an operator's left side may be, as a small bit set.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Operands(u8);

impl Operands {
    /// Printable text (`PT_CHARBUF`).
    pub const TEXT: Operands = Operands(1);
    /// Raw bytes (`PT_BYTEBUF`).
    pub const BYTES: Operands = Operands(1 << 1);
    /// Integers, doubles, times and ports ([`FieldType::is_numeric`]).
    pub const NUMBER: Operands = Operands(1 << 2);
    /// Addresses and networks.
    pub const IP: Operands = Operands(1 << 3);
    pub const BOOL: Operands = Operands(1 << 4);
    /// Every kind of value.
    pub const ANY: Operands = Operands(0x1f);

    /// Both sets together.
    pub const fn or(self, other: Operands) -> Operands {
        Operands(self.0 | other.0)
    }

    /// Whether a value of type `ty` may be the left side. A `PT_DYN` value (`evt.rawarg`) may
    /// be anything, so every operator accepts it here; the checker decides per parameter.
    pub fn accepts(self, ty: FieldType) -> bool {
        let kind = match ty {
            FieldType::Dyn => return true,
            FieldType::CharBuf => Operands::TEXT,
            FieldType::ByteBuf => Operands::BYTES,
            FieldType::Bool => Operands::BOOL,
            FieldType::IpAddr | FieldType::IpNet => Operands::IP,
            _ => Operands::NUMBER,
        };
        self.0 & kind.0 != 0
    }
}

/// What the constants on an operator's right side are (each item of a list, for `in`,
/// `intersects` and `pmatch`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Rhs {
    /// `exists` has no right side.
    Nothing,
    /// A value of the left side's type: a number for a number, an address or network for an
    /// address, an event name for `evt.type`, text for text.
    Typed,
    /// The text as written, taken as bytes when the left side is a byte buffer.
    Text,
    /// An even number of hex digits, the raw bytes a byte-buffer operator looks for.
    Hex,
    /// A glob pattern (`*`, `?`, `[...]`), checked when the rules load.
    Glob,
    /// A regular expression that must match the whole value, checked when the rules load.
    Regex,
}

impl Rhs {
    /// Whether the pattern is compiled from the right side's text (once per constant, or once
    /// per event when the right side is another field).
    pub fn is_compiled_pattern(self) -> bool {
        matches!(self, Rhs::Glob | Rhs::Regex)
    }
}

/// One row of the operator table.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct OperatorDef {
    pub op: Op,
    /// The values it applies to (the field table's `ops_allowed_by_type` column follows this).
    pub operands: Operands,
    pub rhs: Rhs,
    /// Estimated cost of one check on a text value, in the optimiser's units (a comparison of
    /// text is 3; numbers and addresses compare cheaper, see `rulec_ir::opt`). The runtime's
    /// adaptive order reads the same figure.
    pub cost: u32,
}

const fn row(op: Op, operands: Operands, rhs: Rhs, cost: u32) -> OperatorDef {
    OperatorDef { op, operands, rhs, cost }
}

const TEXT_BYTES: Operands = Operands::TEXT.or(Operands::BYTES);
const ORDERED: Operands = Operands::TEXT.or(Operands::NUMBER);

/// Every operator, in [`Op::ALL`] order (a test keeps the two aligned, so [`operator`] indexes).
#[rustfmt::skip]
pub const OPERATORS: [OperatorDef; Op::ALL.len()] = [
    row(Op::Exists,      Operands::ANY,   Rhs::Nothing, 1),
    row(Op::Eq,          Operands::ANY,   Rhs::Typed,   3),
    row(Op::Ne,          Operands::ANY,   Rhs::Typed,   3),
    row(Op::Lt,          ORDERED,         Rhs::Typed,   3),
    row(Op::Le,          ORDERED,         Rhs::Typed,   3),
    row(Op::Gt,          ORDERED,         Rhs::Typed,   3),
    row(Op::Ge,          ORDERED,         Rhs::Typed,   3),
    row(Op::Contains,    TEXT_BYTES,      Rhs::Text,    4),
    row(Op::IContains,   Operands::TEXT,  Rhs::Text,    4),
    row(Op::BContains,   Operands::BYTES, Rhs::Hex,     4),
    row(Op::StartsWith,  TEXT_BYTES,      Rhs::Text,    4),
    row(Op::BStartsWith, Operands::BYTES, Rhs::Hex,     4),
    row(Op::EndsWith,    TEXT_BYTES,      Rhs::Text,    4),
    row(Op::Glob,        Operands::TEXT,  Rhs::Glob,    6),
    row(Op::IGlob,       Operands::TEXT,  Rhs::Glob,    6),
    row(Op::Regex,       Operands::TEXT,  Rhs::Regex,   8),
    row(Op::In,          Operands::ANY,   Rhs::Typed,   3),
    row(Op::Intersects,  Operands::ANY,   Rhs::Typed,   3),
    row(Op::PMatch,      Operands::TEXT,  Rhs::Glob,    5),
];

/// The row of `op`.
pub fn operator(op: Op) -> &'static OperatorDef {
    // `Op` is a fieldless enum declared in `Op::ALL` order, so its discriminant is its row.
    &OPERATORS[op as usize]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::OpSet;

    #[test]
    fn rows_follow_the_grammar_order() {
        for (i, op) in Op::ALL.into_iter().enumerate() {
            assert_eq!(OPERATORS[i].op, op, "row {i}");
            assert_eq!(operator(op).op, op);
        }
    }

    /// The table restates the field table's `ops_allowed_by_type` column for scalar fields (the
    /// schema's tests compare every field with it); spot checks of what that means.
    #[test]
    fn operand_kinds_give_the_operator_sets() {
        let text = FieldType::CharBuf.default_ops();
        assert!(text.contains(Op::Regex) && text.contains(Op::Lt) && !text.contains(Op::BContains));
        let bytes = FieldType::ByteBuf.default_ops();
        assert!(bytes.contains(Op::BStartsWith) && bytes.contains(Op::Contains) && !bytes.contains(Op::Glob));
        assert_eq!(FieldType::IpNet.default_ops(), OpSet::of(&[Op::Eq, Op::Ne, Op::In, Op::Intersects, Op::Exists]));
        assert!(!FieldType::Uint64.default_ops().contains(Op::Contains));
        assert_eq!(FieldType::Dyn.default_ops(), OpSet::ALL);
    }

    #[test]
    fn patterns_are_text_operators() {
        for def in OPERATORS.iter().filter(|d| d.rhs.is_compiled_pattern()) {
            assert_eq!(def.operands, Operands::TEXT, "{:?}", def.op);
        }
        for def in OPERATORS.iter().filter(|d| d.rhs == Rhs::Hex) {
            assert_eq!(def.operands, Operands::BYTES, "{:?}", def.op);
        }
    }
}
