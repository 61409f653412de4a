//! The value of a field (or transformer) for one event, as the evaluators and output rendering
//! see it. Absence (a value that cannot be computed for the event) is `None` wherever a value is
//! asked for, never a special `Value`.

use std::net::IpAddr;

#[derive(Clone, PartialEq, Debug)]
pub enum Value {
    Int(i64),
    Uint(u64),
    Double(f64),
    Bool(bool),
    Str(String),
    Bytes(Vec<u8>),
    Ip(IpAddr),
    /// A list field's values (`fd.types`, `proc.aname` without index when listed...).
    List(Vec<Value>),
}

impl Value {
    /// The value as an integer, for numeric comparisons: unsigned values above `i64::MAX` do not
    /// fit and give None.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Uint(u) => i64::try_from(*u).ok(),
            Value::Bool(b) => Some(i64::from(*b)),
            _ => None,
        }
    }

    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Uint(u) => Some(*u),
            Value::Int(i) => u64::try_from(*i).ok(),
            Value::Bool(b) => Some(u64::from(*b)),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The bytes of a string or byte buffer.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Str(s) => Some(s.as_bytes()),
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }
}

/// A scalar value read in place: what checks test when a field's value can be borrowed from the
/// event or the state instead of copied into a [`Value`] (see [`crate::fields::borrow`]). Every
/// scalar `Value` has one ([`Value::scalar_ref`]), so a check means the same on both.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum ValueRef<'a> {
    Int(i64),
    Uint(u64),
    Double(f64),
    Bool(bool),
    Str(&'a str),
    Bytes(&'a [u8]),
    Ip(IpAddr),
}

impl ValueRef<'_> {
    /// The bytes of a string or byte buffer.
    #[inline]
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            ValueRef::Str(s) => Some(s.as_bytes()),
            ValueRef::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// An owned copy.
    pub fn to_value(&self) -> Value {
        match *self {
            ValueRef::Int(i) => Value::Int(i),
            ValueRef::Uint(u) => Value::Uint(u),
            ValueRef::Double(d) => Value::Double(d),
            ValueRef::Bool(b) => Value::Bool(b),
            ValueRef::Str(s) => Value::Str(s.to_owned()),
            ValueRef::Bytes(b) => Value::Bytes(b.to_vec()),
            ValueRef::Ip(a) => Value::Ip(a),
        }
    }
}

impl Value {
    /// The value as a [`ValueRef`]; `None` for a list.
    #[inline]
    pub fn scalar_ref(&self) -> Option<ValueRef<'_>> {
        Some(match self {
            Value::Int(i) => ValueRef::Int(*i),
            Value::Uint(u) => ValueRef::Uint(*u),
            Value::Double(d) => ValueRef::Double(*d),
            Value::Bool(b) => ValueRef::Bool(*b),
            Value::Str(s) => ValueRef::Str(s),
            Value::Bytes(b) => ValueRef::Bytes(b),
            Value::Ip(a) => ValueRef::Ip(*a),
            Value::List(_) => return None,
        })
    }
}

impl std::fmt::Display for Value {
    /// How the value appears in an alert's output line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Int(i) => write!(f, "{i}"),
            Value::Uint(u) => write!(f, "{u}"),
            Value::Double(d) => write!(f, "{d}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Str(s) => f.write_str(s),
            Value::Bytes(b) => f.write_str(&String::from_utf8_lossy(b)),
            Value::Ip(ip) => write!(f, "{ip}"),
            Value::List(vs) => {
                f.write_str("(")?;
                for (i, v) in vs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str(")")
            }
        }
    }
}
