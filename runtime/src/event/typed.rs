//! Typed reads of an event's parameters through the schema's generated keys
//! ([`rulec_schema::params`]): `ev.get(open_x::FD)` is the `fd` of an open exit as an `i64`,
//! `ev.get(execve_x::EXE)` the `exe` as a `&str`. A key resolves to the parameter's index in the
//! event's own table row (by event id: an array index or a scan of a few versions, then one
//! name check), so a read of a parameter the event has costs no search; otherwise it is looked
//! for by name (an enter parameter the replay appended to its exit, or an event whose
//! parameters do not follow its id's row, built by hand). Absent (zero-length) parameters read
//! as `None`.
//!
//! [`Event::param_named`] is the one lookup by a name known only at run time (`evt.arg.NAME`).

use rulec_schema::params::{AnyKey, ParamKey, kind};

use super::{Event, ParamRef, ParamType, ParamValue, Params, SockAddr, SockTuple, split_nul};

/// How a key's family reads a value.
pub trait ParamKind {
    /// What a read yields.
    type Out<'a>;
    /// Reads the decoded value; `None` when it is not of the family's shape.
    fn read(v: &ParamValue) -> Option<Self::Out<'_>>;
    /// Reads parameter `i` (present) of `p`: decoded by default; strings and byte buffers
    /// are read in place from the record when they can be.
    #[inline]
    fn read_at(p: &Params, i: usize) -> Option<Self::Out<'_>> {
        Self::read(p.value_at(i)?)
    }
}

impl ParamKind for kind::Fd {
    type Out<'a> = i64;
    #[inline]
    fn read(v: &ParamValue) -> Option<i64> {
        v.as_i64()
    }
    #[inline]
    fn read_at(p: &Params, i: usize) -> Option<i64> {
        int_at(p, i)
    }
}

impl ParamKind for kind::Int {
    type Out<'a> = i64;
    #[inline]
    fn read(v: &ParamValue) -> Option<i64> {
        v.as_i64()
    }
    #[inline]
    fn read_at(p: &Params, i: usize) -> Option<i64> {
        int_at(p, i)
    }
}

impl ParamKind for kind::Str {
    type Out<'a> = &'a str;
    #[inline]
    fn read(v: &ParamValue) -> Option<&str> {
        v.as_str()
    }
    #[inline]
    fn read_at(p: &Params, i: usize) -> Option<&str> {
        if let Some((ty, b)) = p.typed_raw_at(i)
            && ParamValue::is_text(ty)
            && let Ok(s) = std::str::from_utf8(super::until_nul(b))
        {
            return Some(s);
        }
        // Not UTF-8 (decoded with replacement characters) or given by value.
        Self::read(p.value_at(i)?)
    }
}

impl ParamKind for kind::Bytes {
    type Out<'a> = &'a [u8];
    #[inline]
    fn read(v: &ParamValue) -> Option<&[u8]> {
        v.as_bytes()
    }
    #[inline]
    fn read_at(p: &Params, i: usize) -> Option<&[u8]> {
        if let Some((ParamType::ByteBuf, b)) = p.typed_raw_at(i) {
            return Some(b);
        }
        Self::read(p.value_at(i)?)
    }
}

impl ParamKind for kind::Strs {
    type Out<'a> = Vec<String>;
    fn read(v: &ParamValue) -> Option<Vec<String>> {
        as_list(v)
    }
}

impl ParamKind for kind::SockAddr {
    type Out<'a> = &'a SockAddr;
    #[inline]
    fn read(v: &ParamValue) -> Option<&SockAddr> {
        match v {
            ParamValue::SockAddr(a) => Some(a),
            _ => None,
        }
    }
}

impl ParamKind for kind::SockTuple {
    type Out<'a> = &'a SockTuple;
    #[inline]
    fn read(v: &ParamValue) -> Option<&SockTuple> {
        match v {
            ParamValue::SockTuple(t) => Some(t),
            _ => None,
        }
    }
}

impl ParamKind for kind::FdList {
    type Out<'a> = &'a [(i64, u16)];
    #[inline]
    fn read(v: &ParamValue) -> Option<&[(i64, u16)]> {
        match v {
            ParamValue::FdList(l) => Some(l),
            _ => None,
        }
    }
}

impl ParamKind for kind::Other {
    type Out<'a> = &'a ParamValue;
    #[inline]
    fn read(v: &ParamValue) -> Option<&ParamValue> {
        Some(v)
    }
}

/// An integer-like parameter, read from the record's bytes when it has them (no decode, no
/// cell to fill), else decoded.
#[inline]
fn int_at(p: &Params, i: usize) -> Option<i64> {
    if let Some((ty, b)) = p.typed_raw_at(i)
        && let Some(v) = ParamValue::int_from_raw(ty, b)
    {
        return Some(v);
    }
    p.value_at(i)?.as_i64()
}

/// A NUL-separated list (args, env, cgroups) or a string array, as strings.
fn as_list(v: &ParamValue) -> Option<Vec<String>> {
    match v {
        ParamValue::Bytes(b) => Some(split_nul(b)),
        ParamValue::StrArray(v) => Some(v.clone()),
        ParamValue::Str(s) => Some(vec![s.clone()]),
        _ => None,
    }
}

impl Event {
    /// The parameter of `key`, present or absent, if the event has it.
    #[inline]
    pub fn param_of<K>(&self, key: ParamKey<K>) -> Option<ParamRef<'_>> {
        self.params.get(self.resolve(key.index_in(self.type_id), key.name())?)
    }

    /// The value of the parameter of `key`; `None` when the event lacks it or it is absent.
    #[inline]
    pub fn value<K>(&self, key: ParamKey<K>) -> Option<&ParamValue> {
        let i = self.present(key.index_in(self.type_id), key.name())?;
        self.params.value_at(i)
    }

    /// The parameter of `key`, read as its family says (an fd or integer as `i64`, a string
    /// as `&str`, a tuple as `&SockTuple`...).
    #[inline]
    pub fn get<K: ParamKind>(&self, key: ParamKey<K>) -> Option<K::Out<'_>> {
        K::read_at(&self.params, self.present(key.index_in(self.type_id), key.name())?)
    }

    /// A NUL-separated byte-buffer parameter (args, env, cgroups) split into strings.
    pub fn list(&self, key: ParamKey<kind::Bytes>) -> Option<Vec<String>> {
        self.list_at(self.present(key.index_in(self.type_id), key.name())?)
    }

    /// The parameter called `key.name()` of whichever event this is, present or absent.
    #[inline]
    pub fn param_any<K>(&self, key: AnyKey<K>) -> Option<ParamRef<'_>> {
        self.params.get(self.resolve(key.index_in(self.type_id), key.name())?)
    }

    /// The value of [`Event::param_any`], read as its family says; `None` when absent.
    #[inline]
    pub fn get_any<K: ParamKind>(&self, key: AnyKey<K>) -> Option<K::Out<'_>> {
        K::read_at(&self.params, self.present(key.index_in(self.type_id), key.name())?)
    }

    /// The type and record bytes of parameter `key.name()` of whichever event this is, read in
    /// place; `None` for a parameter given by value (read it with [`Event::get_any`]).
    #[inline]
    pub fn raw_any<K>(&self, key: AnyKey<K>) -> Option<(ParamType, &[u8])> {
        self.params.typed_raw_at(self.resolve(key.index_in(self.type_id), key.name())?)
    }

    /// A NUL-separated list or string array of whichever event this is, as strings
    /// ([`Event::list`] by an `any` key).
    pub fn list_any<K>(&self, key: AnyKey<K>) -> Option<Vec<String>> {
        self.list_at(self.present(key.index_in(self.type_id), key.name())?)
    }

    /// The parameter called `name`, a name known only at run time (`evt.arg.NAME`); the
    /// readers of known parameters use keys ([`Event::get`]).
    pub fn param_named(&self, name: &str) -> Option<ParamRef<'_>> {
        self.params.get(self.params.position(name)?)
    }

    /// [`Event::param_named`] looking at index `hint` first (where the parameter was on an
    /// earlier event of the same layout: one name compared instead of every name before it),
    /// with the index it was found at. The same parameter as `param_named`'s: an event's
    /// parameter names are distinct (its table row's; the replay appends only parameters the
    /// exit lacks), so a parameter called `name` at `hint` is the first one.
    #[inline]
    pub fn param_named_hinted(&self, name: &str, hint: usize) -> Option<(usize, ParamRef<'_>)> {
        let i = if self.params.name_at(hint) == Some(name) { hint } else { self.params.position(name)? };
        Some((i, self.params.get(i)?))
    }

    /// A list parameter: a byte buffer split in place, else the decoded value.
    fn list_at(&self, i: usize) -> Option<Vec<String>> {
        if let Some((ParamType::ByteBuf, b)) = self.params.typed_raw_at(i) {
            return Some(split_nul(b));
        }
        as_list(self.params.value_at(i)?)
    }

    /// The index of parameter `name`, at index `at` of the event's row; past the record's
    /// parameters, where the replay joined it from the enter event ([`Params::past_row`]: the
    /// capture may have fewer parameters than the row); else found by name (a parameter
    /// appended otherwise, or an event whose parameters do not follow its id's row). An event
    /// whose row has no such parameter and whose parameters are exactly its record's
    /// ([`Params::plain_row`]) has none: known without looking at the names (most events
    /// asked for an `fd` have none).
    #[inline(always)]
    fn resolve(&self, at: Option<usize>, name: &str) -> Option<usize> {
        match at {
            Some(i) if self.params.in_row(self.type_id, i) => return Some(i),
            Some(i) => {
                if let Some(found) = self.params.past_row(self.type_id, i) {
                    return found;
                }
                if self.params.name_at(i) == Some(name) {
                    return Some(i);
                }
            }
            None if self.params.plain_row(self.type_id).is_some() => return None,
            None => {}
        }
        self.params.position(name)
    }

    /// [`Event::resolve`], for a present (not absent) parameter.
    #[inline]
    fn present(&self, at: Option<usize>, name: &str) -> Option<usize> {
        self.resolve(at, name).filter(|&i| !self.params.is_absent(i))
    }
}

#[cfg(test)]
mod tests;
