//! An event's parameters ([`Params`]), kept as the record's bytes and decoded when read.
//!
//! A capture or ring-buffer record is copied once into the event's byte buffer (a buffer the
//! reader reuses from event to event); each parameter is a slot naming its place in those
//! bytes. Nothing is decoded until something reads it: strings and byte buffers are read in
//! place ([`Params::raw_at`], no copy), every other value is decoded on its first read into the
//! slot's cell and kept for later reads. Events built from values (golden tests, JSON Lines
//! captures, the generator) hold decoded slots and no bytes. Both kinds read alike through
//! [`ParamRef`].
//!
//! The bytes of a record slot were checked when the record was read
//! ([`super::ParamValue::check`]), so a later decode cannot fail.

use std::cell::OnceCell;
use std::fmt;

use super::{Param, ParamType, ParamValue};

/// One parameter as the event holds it.
#[derive(Clone)]
struct Slot {
    name: &'static str,
    ty: ParamType,
    /// Byte range in [`Params::raw`] (a record slot) ...
    at: u32,
    len: u32,
    /// ... or no bytes and the value given (a built slot).
    built: bool,
    /// The decoded value, once read (always set for a built slot).
    value: OnceCell<ParamValue>,
}

/// A parameter as read: its name, type and decoded value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParamRef<'a> {
    /// The parameter name from the event table (`fd`, `name`...); `p<N>` past the table.
    pub name: &'static str,
    /// Its type in the event table.
    pub ty: ParamType,
    /// The decoded value.
    pub value: &'a ParamValue,
}

/// The parameters of one event, in table order.
#[derive(Clone, Default)]
pub struct Params {
    /// The bytes record slots point into (the record as read; reused by the reader).
    raw: Vec<u8>,
    slots: Vec<Slot>,
    /// The event id whose table row the first `row_len` slots are, in order (a decoded
    /// record's): a key's index in that row needs no name check ([`Params::in_row`]).
    row_id: u16,
    row_len: u16,
}

impl Params {
    /// No parameters.
    pub fn new() -> Params {
        Params::default()
    }

    /// Number of parameters.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// True when the event has no parameters.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The `i`-th parameter, decoded.
    pub fn get(&self, i: usize) -> Option<ParamRef<'_>> {
        let s = self.slots.get(i)?;
        Some(ParamRef { name: s.name, ty: s.ty, value: self.decoded(s) })
    }

    /// The first parameter, decoded.
    pub fn first(&self) -> Option<ParamRef<'_>> {
        self.get(0)
    }

    /// Every parameter, decoded, in order.
    pub fn iter(&self) -> Iter<'_> {
        Iter { params: self, next: 0 }
    }

    /// Appends a parameter given by value.
    pub fn push(&mut self, p: Param) {
        self.slots.push(Slot { name: p.name, ty: p.ty, at: 0, len: 0, built: true, value: OnceCell::from(p.value) });
    }

    /// Replaces parameter `i` (which must exist) by `p`, given by value.
    pub fn set(&mut self, i: usize, p: Param) {
        self.leave_row(i, p.name);
        if let Some(s) = self.slots.get_mut(i) {
            *s = Slot { name: p.name, ty: p.ty, at: 0, len: 0, built: true, value: OnceCell::from(p.value) };
        }
    }

    /// Gives parameter `i` (which must exist) the value `value`, keeping its name and type.
    pub fn set_value(&mut self, i: usize, value: ParamValue) {
        if let Some(s) = self.slots.get(i) {
            let (name, ty) = (s.name, s.ty);
            self.set(i, Param { name, ty, value });
        }
    }

    /// True when parameter `i` is the parameter at index `i` of event `id`'s table row (the
    /// reader's slots, in row order), so its name need not be compared.
    #[inline]
    pub(crate) fn in_row(&self, id: u16, i: usize) -> bool {
        self.row_id == id && i < usize::from(self.row_len)
    }

    /// Records that the first `len` slots are event `id`'s table row in order.
    pub(crate) fn set_row(&mut self, id: u16, len: usize) {
        self.row_id = id;
        self.row_len = len.min(self.slots.len()) as u16;
    }

    /// Slot `i` takes a parameter called `name`: the row ends before it unless the name is
    /// the one it had.
    fn leave_row(&mut self, i: usize, name: &str) {
        if i < usize::from(self.row_len) && self.slots.get(i).is_none_or(|s| s.name != name) {
            self.row_len = i as u16;
        }
    }

    /// The name of parameter `i`.
    pub fn name_at(&self, i: usize) -> Option<&'static str> {
        self.slots.get(i).map(|s| s.name)
    }

    /// The type of parameter `i`.
    pub fn ty_at(&self, i: usize) -> Option<ParamType> {
        self.slots.get(i).map(|s| s.ty)
    }

    /// The index of the parameter called `name`.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.slots.iter().position(|s| s.name == name)
    }

    /// The record bytes of parameter `i`, read in place: `None` for a parameter given by value
    /// (read it with [`Params::get`]). Empty for an absent parameter.
    #[inline]
    pub fn raw_at(&self, i: usize) -> Option<&[u8]> {
        let s = self.slots.get(i)?;
        if s.built {
            return None;
        }
        self.raw.get(s.at as usize..(s.at + s.len) as usize)
    }

    /// True when parameter `i` is absent (a zero-length value).
    #[inline]
    pub fn is_absent(&self, i: usize) -> bool {
        match self.slots.get(i) {
            Some(s) if s.built => matches!(s.value.get(), Some(ParamValue::Absent) | None),
            Some(s) => s.len == 0,
            None => true,
        }
    }

    /// The decoded value of parameter `i`.
    #[inline]
    pub fn value_at(&self, i: usize) -> Option<&ParamValue> {
        self.slots.get(i).map(|s| self.decoded(s))
    }

    fn decoded<'a>(&'a self, s: &'a Slot) -> &'a ParamValue {
        s.value.get_or_init(|| {
            let b = self.raw.get(s.at as usize..(s.at + s.len) as usize).unwrap_or(&[]);
            // Checked when the record was read; a failure here would be a reader bug, and the
            // raw bytes are the honest fallback.
            ParamValue::decode(s.ty, b).unwrap_or_else(|_| ParamValue::Bytes(b.to_vec()))
        })
    }

    /// Starts refilling these parameters from a new record: the slots are cleared and the
    /// byte buffer handed out (emptied, its capacity kept) for the reader to fill; it comes
    /// back with [`Params::set_record`].
    pub(crate) fn take_buffer(&mut self) -> Vec<u8> {
        self.slots.clear();
        self.row_len = 0;
        let mut b = std::mem::take(&mut self.raw);
        b.clear();
        b
    }

    /// Makes `raw` the record bytes that [`Params::push_raw`] slots point into.
    pub(crate) fn set_record(&mut self, raw: Vec<u8>) {
        self.raw = raw;
    }

    /// Makes room for `n` more parameters.
    #[inline]
    pub(crate) fn reserve(&mut self, n: usize) {
        self.slots.reserve(n);
    }

    /// Appends a parameter held in the record bytes at `at..at + len` (checked by the caller).
    pub(crate) fn push_raw(&mut self, name: &'static str, ty: ParamType, at: usize, len: usize) {
        self.slots.push(Slot { name, ty, at: at as u32, len: len as u32, built: false, value: OnceCell::new() });
    }

    /// Copies parameter `i` of `other` in as parameter `into` of these (or appended when
    /// `into` is `None`): record bytes are copied after this event's, a value is cloned.
    pub(crate) fn copy_from(&mut self, other: &Params, i: usize, into: Option<usize>) {
        let Some(s) = other.slots.get(i) else {
            return;
        };
        let slot = match other.raw_at(i) {
            Some(b) => {
                let at = self.raw.len();
                self.raw.extend_from_slice(b);
                Slot {
                    name: s.name,
                    ty: s.ty,
                    at: at as u32,
                    len: b.len() as u32,
                    built: false,
                    value: OnceCell::new(),
                }
            }
            None => s.clone(),
        };
        if let Some(j) = into {
            self.leave_row(j, s.name);
        }
        match into.and_then(|j| self.slots.get_mut(j)) {
            Some(d) => *d = slot,
            None => self.slots.push(slot),
        }
    }
}

impl From<Vec<Param>> for Params {
    fn from(v: Vec<Param>) -> Params {
        v.into_iter().collect()
    }
}

/// The parameters of an event in order ([`Params::iter`]).
#[derive(Debug)]
pub struct Iter<'a> {
    params: &'a Params,
    next: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = ParamRef<'a>;
    fn next(&mut self) -> Option<ParamRef<'a>> {
        let p = self.params.get(self.next)?;
        self.next += 1;
        Some(p)
    }
}

impl<'a> IntoIterator for &'a Params {
    type Item = ParamRef<'a>;
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl FromIterator<Param> for Params {
    fn from_iter<I: IntoIterator<Item = Param>>(it: I) -> Params {
        let mut p = Params::new();
        for x in it {
            p.push(x);
        }
        p
    }
}

impl PartialEq for Params {
    fn eq(&self, other: &Params) -> bool {
        self.len() == other.len() && self.iter().zip(other.iter()).all(|(a, b)| a == b)
    }
}

impl fmt::Debug for Params {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every parameter type of the event table, once.
    fn table_types() -> Vec<ParamType> {
        let mut out: Vec<ParamType> = Vec::new();
        for id in 0..u16::MAX {
            let Some(def) = rulec_schema::event_def(id) else {
                if id > 1024 {
                    break;
                }
                continue;
            };
            for &(_, ty) in def.params.iter() {
                if !out.contains(&ty) {
                    out.push(ty);
                }
            }
        }
        out
    }

    #[test]
    fn check_agrees_with_decode() {
        let types = table_types();
        assert!(types.len() > 20, "the table's types: {types:?}");
        for ty in types {
            for len in 0..48usize {
                for first in [0u8, 1, 2, 10, 0xff] {
                    let b: Vec<u8> = (0..len).map(|i| if i == 0 { first } else { i as u8 }).collect();
                    let (c, d) = (ParamValue::check(ty, &b), ParamValue::decode(ty, &b));
                    assert_eq!(c.is_ok(), d.is_ok(), "{ty:?} of {len} bytes starting {first}: {c:?} vs {d:?}");
                }
            }
        }
    }

    #[test]
    fn int_from_raw_agrees_with_decode() {
        let mut read = 0;
        for ty in table_types() {
            for len in 1..20usize {
                for first in [0u8, 1, 0x7f, 0x80, 0xff] {
                    let b: Vec<u8> = (0..len).map(|i| if i + 1 == len { first } else { (i as u8) ^ first }).collect();
                    let Some(v) = ParamValue::int_from_raw(ty, &b) else { continue };
                    read += 1;
                    let d = ParamValue::decode(ty, &b).map(|d| d.as_i64());
                    assert_eq!(d, Ok(Some(v)), "{ty:?} of {len} bytes ending {first}");
                }
            }
        }
        assert!(read > 100, "integer types read: {read}");
    }

    /// Slots that follow an event's row keep that standing only while their names do.
    #[test]
    fn row_slots_end_where_a_name_changes() {
        let mut p = Params::new();
        let mut raw = Vec::new();
        for (n, v) in [("fd", 3i64), ("res", 0)] {
            p.push_raw(n, ParamType::Fd, raw.len(), 8);
            raw.extend_from_slice(&v.to_le_bytes());
        }
        p.set_record(raw);
        p.set_row(7, 2);
        assert!(p.in_row(7, 0) && p.in_row(7, 1) && !p.in_row(7, 2) && !p.in_row(8, 0));
        p.set_value(1, ParamValue::Fd(4));
        assert!(p.in_row(7, 1), "a value set under the same name stays in the row");
        p.set(1, Param { name: "other", ty: ParamType::Fd, value: ParamValue::Fd(5) });
        assert!(p.in_row(7, 0) && !p.in_row(7, 1));
        let _ = p.take_buffer();
        assert!(!p.in_row(7, 0));
    }

    /// A record's parameters read in place and decoded lazily mean what decoded ones do.
    #[test]
    fn record_slots_read_like_values() {
        let mut raw = b"xx".to_vec();
        let fd = 7i64.to_le_bytes();
        let name = b"/etc/shadow\0";
        let bad = b"caf\xff\0";
        let mut rec = Params::new();
        let mut put = |rec: &mut Params, n: &'static str, ty: ParamType, b: &[u8]| {
            rec.push_raw(n, ty, raw.len(), b.len());
            raw.extend_from_slice(b);
        };
        put(&mut rec, "fd", ParamType::Fd, &fd);
        put(&mut rec, "name", ParamType::FsPath, name);
        put(&mut rec, "comm", ParamType::CharBuf, bad);
        put(&mut rec, "flags", ParamType::Flags32, &[]);
        rec.set_record(raw);
        let built: Params = vec![
            Param { name: "fd", ty: ParamType::Fd, value: ParamValue::Fd(7) },
            Param { name: "name", ty: ParamType::FsPath, value: ParamValue::Path("/etc/shadow".into()) },
            Param { name: "comm", ty: ParamType::CharBuf, value: ParamValue::Str("caf\u{fffd}".into()) },
            Param { name: "flags", ty: ParamType::Flags32, value: ParamValue::Absent },
        ]
        .into();
        assert_eq!(rec, built);
        assert_eq!(rec.raw_at(1), Some(&name[..]));
        assert_eq!(built.raw_at(1), None);
        assert!(rec.is_absent(3) && built.is_absent(3) && !rec.is_absent(0));
        // Copied into another event: record bytes follow that event's own.
        let mut other: Params = vec![Param { name: "res", ty: ParamType::Errno, value: ParamValue::Errno(0) }].into();
        other.copy_from(&rec, 1, None);
        other.copy_from(&built, 0, None);
        assert_eq!(other.get(1).map(|p| p.value.clone()), Some(ParamValue::Path("/etc/shadow".into())));
        assert_eq!(other.get(2).map(|p| p.value.clone()), Some(ParamValue::Fd(7)));
        assert_eq!(other.raw_at(1), Some(&name[..]));
    }
}
