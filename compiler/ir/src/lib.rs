//! The rule IR: a whole ruleset as one program that both backends (the reference interpreter and
//! the Cranelift JIT, in rulec-runtime) execute with the same meaning.
//!
//! Shape: a table of *slots* (values read from an event: a field with its argument, or a
//! transformer over other slots; each slot is computed at most once per event), a table of
//! *checks* (one test of one slot: a comparison with constants or with another slot), an arena of
//! boolean *nodes* over checks, and one root node per rule. Constants stay plain data here
//! (strings, numbers, networks, pattern sources); backends build their matchers (hash sets,
//! aho-corasick automata, compiled globs and regexes) once when they load a program.
//!
//! The IR has a text form (`text`) and its parser (`parse`), a verifier (`verify`: a failure is
//! a bug in rulec, never a user error) and an optimiser (`opt`). It is lowered from checked rules
//! by the compiler (`rulec_compiler::lower`), through the interning [`build::Builder`].
//!
//! This crate is the only boundary between the compiler and the runtime: a [`Program`] carries
//! everything an engine needs (conditions, outputs, and each rule's name, priority, source, tags
//! and event types), so the runtime never reads the checker's types. It must not depend on the
//! compiler, nor do IO.
//!
//! Meaning, shared by both backends (Falco's): a check on a slot whose value cannot be computed
//! for the event is false (so `proc.name != x` is false, and `not proc.name = x` is true, when
//! `proc.name` is absent); `exists` is true exactly when the value can be computed.

pub mod build;
pub mod cost;
pub mod meta;
pub mod opt;
pub mod parse;
pub mod select;
pub mod text;
pub mod verify;

pub use meta::{EventTypes, FileId, Location, Priority};
/// The condition language's modifiers (`anyof`, `allof`) and transformers (`tolower`, ...), reused
/// as they are.
pub use rulec_grammar::ast::{Modifier, Op, Transformer};
use rulec_schema::{FieldInfo, FieldType, OperatorDef};

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct SlotId(pub u32);

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct CheckId(pub u32);

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct NodeId(pub u32);

/// A whole ruleset, ready for a backend.
#[derive(Clone, Debug, Default)]
pub struct Program {
    pub slots: Vec<Slot>,
    pub checks: Vec<Check>,
    pub nodes: Vec<Node>,
    pub rules: Vec<Rule>,
}

/// A field's argument: `proc.aname[2]` (an index), `evt.arg[flags]`, `proc.env[HOME]` (a key).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum FieldArgValue {
    Index(i64),
    Key(String),
}

/// A value computed from an event.
#[derive(Clone, PartialEq, Debug)]
pub enum Slot {
    Field { field: &'static FieldInfo, arg: Option<FieldArgValue> },
    Transform { func: Transformer, inputs: Vec<SlotInput>, index: Option<String>, ty: FieldType, is_list: bool },
}

impl Slot {
    pub fn ty(&self) -> FieldType {
        match self {
            Slot::Field { field, .. } => field.ty,
            Slot::Transform { ty, .. } => *ty,
        }
    }

    pub fn is_list(&self) -> bool {
        match self {
            Slot::Field { field, .. } => field.is_list,
            Slot::Transform { is_list, .. } => *is_list,
        }
    }

    /// Whether the slot's value can be a list although its type is scalar: the schema's `multi`
    /// column says which fields (`FieldInfo::may_yield_list`: ancestor fields without an index,
    /// fields that stand for either end of a connection). A check on such a value holds when some
    /// element satisfies it, so no backend may treat it as a single number.
    pub fn may_yield_list(&self) -> bool {
        match self {
            Slot::Field { field, arg } => field.may_yield_list(arg.is_some()),
            Slot::Transform { is_list, .. } => *is_list,
        }
    }
}

#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum SlotInput {
    Slot(SlotId),
    Literal(String),
}

/// One test of one slot.
#[derive(Clone, PartialEq, Debug)]
pub struct Check {
    pub slot: SlotId,
    pub test: Test,
    /// Where the check was written (for traces and the LSP).
    pub location: Location,
}

/// Declares an IR operator enum whose variants are named as the grammar's operators (`Op`), with
/// `ALL` and the conversions both ways; spelling and facts come from `Op` and the schema's
/// operator table, so adding an operator of an existing shape adds one name to one list here.
macro_rules! op_subset {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $v:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
        pub enum $name {
            $($(#[$vmeta])* $v),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: [$name; [$($name::$v),+].len()] = [$($name::$v),+];

            /// The condition language's operator.
            pub fn op(self) -> Op {
                match self {
                    $($name::$v => Op::$v),+
                }
            }

            /// The variant for the condition language's operator, if it has this shape.
            pub fn from_op(op: Op) -> Option<$name> {
                $name::ALL.into_iter().find(|x| x.op() == op)
            }

            /// The operator as the IR's text form (and the condition language) writes it.
            pub fn as_str(self) -> &'static str {
                self.op().as_str()
            }

            /// Its row of the schema's operator table (operands, right side, cost).
            pub fn def(self) -> &'static OperatorDef {
                rulec_schema::operator(self.op())
            }
        }
    };
}

op_subset! {
    /// A comparison of an ordered value with a constant.
    Cmp { Eq, Ne, Lt, Le, Gt, Ge }
}

op_subset! {
    /// String operators that take one pattern (and, with a modifier, a list of patterns).
    StrOp {
        Eq,
        Ne,
        Contains,
        IContains,
        StartsWith,
        EndsWith,
        Glob,
        IGlob,
        Regex,
        /// On byte buffers: the pattern is raw bytes (`Const::Bytes`).
        BContains,
        BStartsWith,
    }
}

impl StrOp {
    /// The word operator written `s` (`contains`...); `=` and `!=` are comparisons ([`Cmp`]).
    pub fn from_word(s: &str) -> Option<StrOp> {
        StrOp::ALL.into_iter().skip(2).find(|op| op.as_str() == s)
    }
}

impl Cmp {
    /// The comparison written `s` (`<=`).
    pub fn from_symbol(s: &str) -> Option<Cmp> {
        Cmp::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// A constant in a test.
#[derive(Clone, PartialEq, Debug)]
pub enum Const {
    Int(i64),
    Uint(u64),
    Double(f64),
    Bool(bool),
    Str(String),
    Bytes(Vec<u8>),
    /// An address (`prefix` = full length) or a network.
    Net {
        addr: std::net::IpAddr,
        prefix: u8,
    },
}

/// What a check tests. The value domain (signed, unsigned, string...) follows the slot's type;
/// the verifier checks that constants match it.
#[derive(Clone, PartialEq, Debug)]
pub enum Test {
    /// The slot's value can be computed.
    Exists,
    /// An ordered comparison with one constant (numbers, strings, bools; IPs with Eq/Ne).
    Compare { cmp: Cmp, value: Const },
    /// A string or bytes operator with one pattern.
    Str { op: StrOp, pattern: Const },
    /// A string or bytes operator with several patterns and a modifier (`startswith anyof (...)`).
    StrMulti { op: StrOp, modifier: Modifier, patterns: Vec<Const> },
    /// `in (...)`: for a scalar slot, membership; for a list slot, every value is in the set.
    In(Vec<Const>),
    /// `intersects (...)`: some value of the slot is in the set.
    Intersects(Vec<Const>),
    /// `pmatch (...)`: path-prefix match by components, entries may hold globs.
    PMatch(Vec<String>),
    /// A comparison with another slot (`val(...)` on the right side).
    CompareSlot { op: SlotOp, other: SlotId },
}

impl Test {
    /// The condition language's operator this test applies.
    pub fn op(&self) -> Op {
        match self {
            Test::Exists => Op::Exists,
            Test::Compare { cmp, .. } => cmp.op(),
            Test::Str { op, .. } | Test::StrMulti { op, .. } => op.op(),
            Test::In(_) => Op::In,
            Test::Intersects(_) => Op::Intersects,
            Test::PMatch(_) => Op::PMatch,
            Test::CompareSlot { op: SlotOp::Cmp(c), .. } => c.op(),
            Test::CompareSlot { op: SlotOp::Str(s), .. } => s.op(),
            Test::CompareSlot { op: SlotOp::PMatch, .. } => Op::PMatch,
        }
    }
}

/// Operators allowed between two slots.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum SlotOp {
    Cmp(Cmp),
    Str(StrOp),
    /// `pmatch`: the left value is the right value's path or below it (by whole components).
    PMatch,
}

/// A boolean node.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum Node {
    And(Vec<NodeId>),
    Or(Vec<NodeId>),
    Not(NodeId),
    Const(bool),
    Check(CheckId),
}

/// One rule of the program, with what an engine reports about it.
#[derive(Clone, PartialEq, Debug)]
pub struct Rule {
    pub name: String,
    pub priority: Priority,
    pub enabled: bool,
    pub root: NodeId,
    pub event_types: EventTypes,
    pub output: Vec<OutputPiece>,
    /// The event source (Falco's `source`): `syscall` unless the rule says otherwise.
    pub source: String,
    pub tags: Vec<String>,
}

/// The source of a rule that names none.
pub const DEFAULT_SOURCE: &str = "syscall";

/// A piece of a rule's output line.
#[derive(Clone, PartialEq, Debug)]
pub enum OutputPiece {
    Text(String),
    /// A value rendered into the line; `<NA>` when it cannot be computed.
    Slot {
        slot: SlotId,
        written: String,
    },
}
