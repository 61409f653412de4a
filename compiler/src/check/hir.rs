//! The checked form of a rule's condition: macros expanded, lists substituted, exceptions
//! applied, every field resolved against the schema and every constant parsed for its type.
//!
//! This is what the IR is lowered from. It keeps a location for every check so that evaluation
//! traces and the LSP can point back at the text.

use std::net::IpAddr;

use rulec_grammar::ast::{Modifier, Op, Transformer};

use crate::diagnostic::Location;
use crate::schema::{FieldInfo, FieldType};

/// A boolean condition over one event.
#[derive(Clone, PartialEq, Debug)]
pub enum Cond {
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Not(Box<Cond>),
    Const(bool),
    Check(Box<TypedCheck>),
    /// A macro's condition, typed once and shared by every use: expanding a macro copies
    /// nothing, so a chain of macros each using the one before costs memory linear in its
    /// length. Readers treat it as the condition it holds.
    Shared(std::sync::Arc<Cond>),
}

impl Cond {
    /// The condition itself, through any [`Cond::Shared`] layers: what readers that look at a
    /// condition's shape (not only walk it) match on.
    pub fn unshared(&self) -> &Cond {
        let mut c = self;
        while let Cond::Shared(inner) = c {
            c = inner;
        }
        c
    }
}

#[derive(Clone, PartialEq, Debug)]
pub struct TypedCheck {
    pub lhs: Value,
    pub op: Op,
    pub modifier: Option<Modifier>,
    pub rhs: CheckRhs,
    /// The check as written (inside a macro, the macro's text).
    pub location: Location,
}

#[derive(Clone, PartialEq, Debug)]
pub enum CheckRhs {
    /// `exists`.
    None,
    /// One constant (`=`, `contains`...).
    Const(Const),
    /// A list of constants (`in`, `intersects`, `pmatch`, and operators with a modifier).
    List(Vec<Const>),
    /// A value computed from the event (`val(field)`, possibly transformed).
    Value(Value),
}

/// A value computed from the event: a field, or a transformer over values.
#[derive(Clone, PartialEq, Debug)]
pub enum Value {
    Field(FieldUse),
    Transform { func: Transformer, args: Vec<TransformInput>, index: Option<String>, ty: FieldType, is_list: bool },
}

#[derive(Clone, PartialEq, Debug)]
pub enum TransformInput {
    Value(Value),
    Literal(String),
}

impl Value {
    /// The type of what the value produces.
    pub fn ty(&self) -> FieldType {
        match self {
            Value::Field(f) => f.field.ty,
            Value::Transform { ty, .. } => *ty,
        }
    }

    pub fn is_list(&self) -> bool {
        match self {
            Value::Field(f) => f.field.is_list,
            Value::Transform { is_list, .. } => *is_list,
        }
    }
}

/// A field with its argument, resolved.
#[derive(Clone, PartialEq, Debug)]
pub struct FieldUse {
    pub field: &'static FieldInfo,
    pub arg: Option<FieldArgValue>,
    /// The field as written (`evt.arg.flags`, `proc.aname[2]`), for messages and output.
    pub written: String,
}

// A field's argument and a rule's event types are IR vocabulary (the runtime reads them);
// the checker produces them.
pub use rulec_ir::{EventTypes, FieldArgValue};

/// A constant parsed for the type of the value it is compared with.
#[derive(Clone, PartialEq, Debug)]
pub enum Const {
    Str(String),
    Int(i64),
    Uint(u64),
    Double(f64),
    Bool(bool),
    Ip(IpAddr),
    Net { addr: IpAddr, prefix: u8 },
    Bytes(Vec<u8>),
}

/// One piece of a rule's output, checked.
#[derive(Clone, PartialEq, Debug)]
pub enum OutputSegment {
    Text(String),
    Value { value: Value, written: String },
}
