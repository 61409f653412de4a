//! Typed keys for event parameters, generated from the scap event table (`build.rs`): for every
//! event name and direction a module (`open_x`, `execve_e`) with one [`ParamKey`] per
//! parameter name of any of its versions (`open_x::FD`, `execve_x::EXE`). A key knows its
//! parameter's index in each table row of its event, so the runtime reads a parameter by
//! index (`Event::get(open_x::FD)`), and a parameter renamed or removed in the table is a
//! compile error where it is read. The key's [`kind`] says what the value is (an fd, an
//! integer, a string...), so asking an fd parameter for a string does not compile either.
//!
//! This module owns the keys and their lookup by event id; it knows nothing of decoded values
//! (the runtime reads them, one reader per kind).

use std::marker::PhantomData;

use crate::Dir;

/// The families of parameter types: the marker a [`ParamKey`] carries, which decides how a
/// value is read ([`crate::param_family`] maps each table type to one).
pub mod kind {
    /// File descriptors (`FD`, `FD32`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Fd;
    /// Integers of every width and meaning (errno, pid, uid, flags, mode, times...).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Int;
    /// Strings and paths (`CHARBUF`, `FSPATH`, `FSRELPATH`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Str;
    /// Byte buffers (`BYTEBUF`), some of them NUL-separated lists (args, env, cgroups).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Bytes;
    /// String arrays (`CHARBUFARRAY`, `CHARBUF_PAIR_ARRAY`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Strs;
    /// Socket addresses (`SOCKADDR`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct SockAddr;
    /// Connection tuples (`SOCKTUPLE`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct SockTuple;
    /// Fd lists of poll-like calls (`FDLIST`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct FdList;
    /// Everything else (dynamic, double, addresses and nets), read as the decoded value.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Other;
}

/// One parameter of one event half, as the table defines it: the event name and direction,
/// the parameter name, and its index in every table row (event version) that has it. Only the
/// generated modules make keys.
#[derive(Debug)]
pub struct ParamKey<K> {
    event: &'static str,
    dir: Dir,
    name: &'static str,
    /// (event id, index of the parameter in that row).
    rows: &'static [(u16, u8)],
    kind: PhantomData<K>,
}

impl<K> Clone for ParamKey<K> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<K> Copy for ParamKey<K> {}

impl<K> PartialEq for ParamKey<K> {
    fn eq(&self, other: &Self) -> bool {
        self.event == other.event && self.dir == other.dir && self.name == other.name
    }
}
impl<K> Eq for ParamKey<K> {}

impl<K> ParamKey<K> {
    const fn new(event: &'static str, dir: Dir, name: &'static str, rows: &'static [(u16, u8)]) -> Self {
        ParamKey { event, dir, name, rows, kind: PhantomData }
    }

    /// The event name (`open`).
    pub const fn event(&self) -> &'static str {
        self.event
    }

    /// The direction of the event half.
    pub const fn dir(&self) -> Dir {
        self.dir
    }

    /// The parameter name (`fd`).
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The parameter's index in the table row of event id `id`, when that row is a version of
    /// this event that has the parameter.
    #[inline]
    pub fn index_in(&self, id: u16) -> Option<usize> {
        self.rows.iter().find(|(i, _)| *i == id).map(|(_, at)| usize::from(*at))
    }

    /// The event ids (table rows) that have this parameter.
    pub fn ids(&self) -> impl Iterator<Item = u16> + '_ {
        self.rows.iter().map(|(id, _)| *id)
    }
}

/// One parameter name over every event that has it (the generated [`any`] module): its index
/// by event id, for readers that ask any event for its `fd` or `res`.
#[derive(Debug)]
pub struct AnyKey<K> {
    name: &'static str,
    /// Index of the parameter by event id; 255 where the row has no such parameter.
    by_id: &'static [u8],
    kind: PhantomData<K>,
}

impl<K> Clone for AnyKey<K> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<K> Copy for AnyKey<K> {}

impl<K> PartialEq for AnyKey<K> {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}
impl<K> Eq for AnyKey<K> {}

impl<K> AnyKey<K> {
    const fn new(name: &'static str, by_id: &'static [u8]) -> Self {
        AnyKey { name, by_id, kind: PhantomData }
    }

    /// The parameter name (`fd`).
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The parameter's index in the table row of event id `id`, when that row has it.
    #[inline]
    pub fn index_in(&self, id: u16) -> Option<usize> {
        self.by_id.get(usize::from(id)).filter(|i| **i != 255).map(|i| usize::from(*i))
    }
}

include!(concat!(env!("OUT_DIR"), "/params.rs"));
