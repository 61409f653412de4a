//! An event's parameters ([`Params`]), kept as the record's bytes and decoded when read.
//!
//! A capture or ring-buffer record is copied once into the event's byte buffer (a buffer the
//! reader reuses from event to event). Its parameters are the record's, in order: each is a
//! byte range in that buffer ([`Loc`], eight bytes, written by the reader's one pass over the
//! record's length table), and its name and type are those of the event's table row (held
//! once, as the row itself), so reading a record builds nothing per parameter. Parameters
//! after the record's (an enter event's, appended by the replay to its exit) and every
//! parameter of an event built from values (golden tests, JSON Lines captures, the generator)
//! are [`Slot`]s that carry their own name and type, and either a byte range or their value.
//!
//! Nothing is decoded until something reads it: integers are read from their bytes
//! ([`ParamValue::int_from_raw`]), strings and byte buffers in place ([`Params::raw_at`], no
//! copy); a read that asks for a [`ParamValue`] ([`Params::get`], [`Params::value_at`])
//! decodes the bytes into a per-index cache cell on first read and keeps it for later reads.
//! Starting the next record empties only the cells that were filled (a bit mask says which),
//! so an event nobody asked for a value of costs no cache work.
//!
//! The bytes of a record parameter were checked when the record was read
//! ([`ParamValue::check`]), so a later decode cannot fail.

use std::cell::{Cell, OnceCell};
use std::fmt;

use rulec_schema::EventDef;

use super::{Param, ParamType, ParamValue};

/// Names of parameters past an event's table row (`p<N>`), shared by every reader: they are
/// read as byte buffers.
pub(crate) const EXTRA_NAMES: [&str; rulec_schema::MAX_PARAMS] = [
    "p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9", "p10", "p11", "p12", "p13", "p14", "p15", "p16", "p17",
    "p18", "p19", "p20", "p21", "p22", "p23", "p24", "p25", "p26", "p27", "p28", "p29", "p30", "p31", "p32", "p33",
    "p34", "p35", "p36", "p37", "p38", "p39", "p40", "p41", "p42", "p43", "p44", "p45", "p46", "p47", "p48", "p49",
    "p50", "p51", "p52", "p53", "p54", "p55", "p56", "p57", "p58", "p59", "p60", "p61", "p62", "p63",
];

/// The byte range of one record parameter in [`Params::raw`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Loc {
    pub(crate) at: u32,
    pub(crate) end: u32,
}

impl Loc {
    #[inline]
    fn range(self) -> std::ops::Range<usize> {
        self.at as usize..self.end as usize
    }
}

/// A parameter that is not one of the record's: its own name and type, and where its value is.
#[derive(Clone)]
struct Slot {
    name: &'static str,
    ty: ParamType,
    held: Held,
}

/// Where a [`Slot`]'s value is.
#[derive(Clone)]
enum Held {
    /// Bytes in [`Params::raw`] (copied from another event's record), decoded when read.
    Bytes(Loc),
    /// Given by value.
    Value(ParamValue),
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

/// Bit of [`Params::filled`] that stands for every cache cell from this index on.
const HIGH_CELLS: u32 = 63;

/// The parameters of one event, in table order: the record's first, then the [`Slot`]s.
#[derive(Clone, Default)]
pub struct Params {
    /// The bytes record parameters and byte slots point into (the record as read; reused by
    /// the reader).
    raw: Vec<u8>,
    /// The record's parameters, in order.
    locs: Vec<Loc>,
    /// The names and types of the record's parameters: its event's table row (parameters
    /// past the row are [`EXTRA_NAMES`], byte buffers).
    row: &'static [(&'static str, ParamType)],
    /// The table row of the record, while its parameters are the record's
    /// ([`Params::record_def`]).
    def: Option<&'static EventDef>,
    /// The parameters after the record's.
    slots: Vec<Slot>,
    /// Decoded values of the parameters held as bytes, by index, filled on first read.
    cache: Vec<OnceCell<ParamValue>>,
    /// Which cache cells may be filled: bit `i` for cell `i`, [`HIGH_CELLS`] for any from it on.
    filled: Cell<u64>,
    /// The event id whose table row the first `row_len` parameters are, in order (a decoded
    /// record's): a key's index in that row needs no name check ([`Params::in_row`]).
    row_id: u16,
    row_len: u16,
    /// Parameters of another event's record appended after this record's (the replay's merge
    /// of an enter event into its exit, [`Params::join_record`]): the last `joined.len()` of
    /// `locs`, each named and typed by its index in `joined_row` (that record's row), so that
    /// appending one builds no [`Slot`].
    joined_row: &'static [(&'static str, ParamType)],
    joined: Vec<Joined>,
}

/// One parameter of [`Params::joined`]: its index in the row it was joined from (its name and
/// type), and the index in this record's row of the parameter of that name ([`u8::MAX`]:
/// none), by which a read of this row's parameter finds it ([`Params::past_row`]).
#[derive(Clone, Copy, Debug)]
struct Joined {
    from: u8,
    to: u8,
}

impl Params {
    /// No parameters.
    pub fn new() -> Params {
        Params::default()
    }

    /// Number of parameters.
    #[inline]
    pub fn len(&self) -> usize {
        self.locs.len() + self.slots.len()
    }

    /// True when the event has no parameters.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `i`-th parameter, decoded.
    pub fn get(&self, i: usize) -> Option<ParamRef<'_>> {
        let (name, ty) = self.meta(i)?;
        Some(ParamRef { name, ty, value: self.value_at(i)? })
    }

    /// The first parameter, decoded.
    pub fn first(&self) -> Option<ParamRef<'_>> {
        self.get(0)
    }

    /// Every parameter, decoded, in order.
    pub fn iter(&self) -> Iter<'_> {
        Iter { params: self, next: 0 }
    }

    /// Parameters given by value that are event `id`'s table row, in order, one value per
    /// parameter of `row` (absent where `values` runs short): a key's index in the row then
    /// needs no name check ([`Params::in_row`]), as for a decoded record.
    pub(crate) fn of_row(
        id: u16,
        row: &'static [(&'static str, ParamType)],
        values: impl IntoIterator<Item = ParamValue>,
    ) -> Params {
        let mut values = values.into_iter();
        let mut p = Params::new();
        for &(name, ty) in row {
            p.push(Param { name, ty, value: values.next().unwrap_or(ParamValue::Absent) });
        }
        p.row_id = id;
        p.row_len = u16::try_from(row.len()).unwrap_or(u16::MAX);
        p
    }

    /// Appends a parameter given by value.
    pub fn push(&mut self, p: Param) {
        self.slots.push(Slot { name: p.name, ty: p.ty, held: Held::Value(p.value) });
    }

    /// Replaces parameter `i` (which must exist) by `p`, given by value.
    pub fn set(&mut self, i: usize, p: Param) {
        self.leave_row(i, p.name);
        if i < self.locs.len() {
            self.unpack_record();
        }
        if let Some(s) = self.slot_mut(i) {
            *s = Slot { name: p.name, ty: p.ty, held: Held::Value(p.value) };
        }
    }

    /// Gives parameter `i` (which must exist) the value `value`, keeping its name and type.
    pub fn set_value(&mut self, i: usize, value: ParamValue) {
        if let Some((name, ty)) = self.meta(i) {
            self.set(i, Param { name, ty, value });
        }
    }

    /// True when parameter `i` is the parameter at index `i` of event `id`'s table row (the
    /// reader's parameters, in row order), so its name need not be compared.
    #[inline]
    pub(crate) fn in_row(&self, id: u16, i: usize) -> bool {
        self.row_id == id && i < usize::from(self.row_len)
    }

    /// The table row of event `id` when these parameters are exactly a record read with it:
    /// the record's parameters, all within the row, and nothing after them.
    #[inline]
    pub(crate) fn plain_row(&self, id: u16) -> Option<&'static [(&'static str, ParamType)]> {
        let plain = self.row_id == id && usize::from(self.row_len) == self.locs.len() && self.slots.is_empty();
        plain.then_some(self.row)
    }

    /// Where the parameter at index `i` of event `id`'s table row is, when that row is the
    /// record's, every parameter of the record is the row's (in order, none past it) and `i`
    /// is past them: `Some(Some(j))` when it was joined as parameter `j`
    /// ([`Params::join_record`]), `Some(None)` when it is not among these parameters, `None`
    /// when that takes a search by name (parameters appended as [`Slot`]s, or a record that
    /// does not follow its row). A row names each parameter once, so no record parameter has
    /// its name and the joined one is the first that does.
    #[inline]
    pub(crate) fn past_row(&self, id: u16, i: usize) -> Option<Option<usize>> {
        let own = self.locs.len() - self.joined.len();
        if self.row_id != id || usize::from(self.row_len) != own || i < own {
            return None;
        }
        match self.joined.iter().position(|k| usize::from(k.to) == i) {
            Some(k) => Some(Some(own + k)),
            None => self.slots.is_empty().then_some(None),
        }
    }

    /// Parameter `i` takes a parameter called `name`: the row ends before it unless the name
    /// is the one it had.
    fn leave_row(&mut self, i: usize, name: &str) {
        if i < usize::from(self.row_len) && self.name_at(i).is_none_or(|n| n != name) {
            self.row_len = i as u16;
        }
    }

    /// The name and type of parameter `i`.
    #[inline]
    fn meta(&self, i: usize) -> Option<(&'static str, ParamType)> {
        if i < self.locs.len() {
            return Some(self.loc_meta(i));
        }
        self.slots.get(i - self.locs.len()).map(|s| (s.name, s.ty))
    }

    /// The name and type of parameter `i`, one held as bytes at `locs[i]`: the record's row
    /// (`p<N>` byte buffers past it), or the row of the record it was joined from.
    #[inline]
    fn loc_meta(&self, i: usize) -> (&'static str, ParamType) {
        let own = self.locs.len() - self.joined.len();
        let m = if i < own {
            self.row.get(i)
        } else {
            self.joined.get(i - own).and_then(|k| self.joined_row.get(usize::from(k.from)))
        };
        match m {
            Some(&m) => m,
            None => (EXTRA_NAMES.get(i).copied().unwrap_or("p?"), ParamType::ByteBuf),
        }
    }

    /// The name of parameter `i`.
    #[inline]
    pub fn name_at(&self, i: usize) -> Option<&'static str> {
        self.meta(i).map(|m| m.0)
    }

    /// The type of parameter `i`.
    #[inline]
    pub fn ty_at(&self, i: usize) -> Option<ParamType> {
        self.meta(i).map(|m| m.1)
    }

    /// The index of the parameter called `name`.
    pub fn position(&self, name: &str) -> Option<usize> {
        (0..self.len()).find(|&i| self.name_at(i) == Some(name))
    }

    /// Where parameter `i`'s bytes are: `None` for a parameter given by value.
    #[inline]
    fn loc(&self, i: usize) -> Option<Loc> {
        if let Some(&l) = self.locs.get(i) {
            return Some(l);
        }
        match self.slots.get(i - self.locs.len())?.held {
            Held::Bytes(l) => Some(l),
            Held::Value(_) => None,
        }
    }

    /// The record bytes of parameter `i`, read in place: `None` for a parameter given by value
    /// (read it with [`Params::get`]). Empty for an absent parameter.
    #[inline]
    pub fn raw_at(&self, i: usize) -> Option<&[u8]> {
        self.raw.get(self.loc(i)?.range())
    }

    /// The type and record bytes of parameter `i` ([`Params::ty_at`] and [`Params::raw_at`]
    /// in one look).
    #[inline]
    pub(crate) fn typed_raw_at(&self, i: usize) -> Option<(ParamType, &[u8])> {
        if let Some(&l) = self.locs.get(i) {
            return Some((self.loc_meta(i).1, self.raw.get(l.range())?));
        }
        let s = self.slots.get(i - self.locs.len())?;
        match s.held {
            Held::Bytes(l) => Some((s.ty, self.raw.get(l.range())?)),
            Held::Value(_) => None,
        }
    }

    /// True when parameter `i` is absent (a zero-length value).
    #[inline]
    pub fn is_absent(&self, i: usize) -> bool {
        if let Some(l) = self.locs.get(i) {
            return l.at == l.end;
        }
        match self.slots.get(i.wrapping_sub(self.locs.len())).map(|s| &s.held) {
            Some(Held::Bytes(l)) => l.at == l.end,
            Some(Held::Value(v)) => matches!(v, ParamValue::Absent),
            None => true,
        }
    }

    /// The decoded value of parameter `i`.
    #[inline]
    pub fn value_at(&self, i: usize) -> Option<&ParamValue> {
        let ty = match self.slots.get(i.wrapping_sub(self.locs.len())) {
            Some(Slot { held: Held::Value(v), .. }) => return Some(v),
            Some(s) => s.ty,
            None => self.ty_at(i)?,
        };
        let b = self.raw.get(self.loc(i)?.range()).unwrap_or(&[]);
        let Some(cell) = self.cache.get(i) else {
            // Every parameter held as bytes has a cell; none is a bug, and the value is
            // still right, read as it is.
            debug_assert!(false, "no cache cell for parameter {i}");
            return None;
        };
        if let Some(v) = cell.get() {
            return Some(v);
        }
        let bit = i.min(HIGH_CELLS as usize);
        self.filled.set(self.filled.get() | 1 << bit);
        Some(cell.get_or_init(|| {
            // Checked when the record was read; a failure here would be a reader bug, and the
            // raw bytes are the honest fallback.
            ParamValue::decode(ty, b).unwrap_or_else(|_| ParamValue::Bytes(b.to_vec()))
        }))
    }

    /// Empties the cache cells that were filled.
    fn clear_cache(&mut self) {
        let mut m = self.filled.replace(0);
        while m != 0 {
            let i = m.trailing_zeros();
            if i == HIGH_CELLS {
                self.cache.iter_mut().skip(i as usize).for_each(|c| drop(c.take()));
            } else if let Some(c) = self.cache.get_mut(i as usize) {
                c.take();
            }
            m &= m - 1;
        }
    }

    /// One cache cell for each parameter.
    #[inline]
    fn grow_cache(&mut self) {
        let n = self.len();
        if self.cache.len() < n {
            self.cache.resize_with(n, OnceCell::new);
        }
    }

    /// The record's parameters become slots (with their row's names and types), so that one
    /// of them can be replaced.
    #[cold]
    fn unpack_record(&mut self) {
        let mut slots: Vec<Slot> = (0..self.locs.len())
            .filter_map(|i| {
                let (name, ty) = self.meta(i)?;
                Some(Slot { name, ty, held: Held::Bytes(self.locs[i]) })
            })
            .collect();
        slots.append(&mut self.slots);
        self.slots = slots;
        self.locs.clear();
        self.joined.clear();
        self.def = None;
    }

    /// The slot of parameter `i`, past the record's.
    fn slot_mut(&mut self, i: usize) -> Option<&mut Slot> {
        self.slots.get_mut(i.checked_sub(self.locs.len())?)
    }

    /// Starts refilling these parameters from a new record: the parameters are cleared and
    /// the byte buffer handed out (emptied, its capacity kept) for the reader to fill; it
    /// comes back with [`Params::set_record`].
    #[inline]
    pub(crate) fn take_buffer(&mut self) -> Vec<u8> {
        self.clear();
        std::mem::take(&mut self.raw)
    }

    /// Clears the parameters, keeping the byte buffer's capacity (emptied).
    #[inline]
    pub(crate) fn clear(&mut self) {
        self.locs.clear();
        self.joined.clear();
        self.slots.clear();
        self.row = &[];
        self.def = None;
        self.row_len = 0;
        if self.filled.get() != 0 {
            self.clear_cache();
        }
        self.raw.clear();
    }

    /// The list the reader fills with the record's parameters (emptied by
    /// [`Params::take_buffer`]), before [`Params::set_record`].
    #[inline]
    pub(crate) fn locs_mut(&mut self) -> &mut Vec<Loc> {
        &mut self.locs
    }

    /// Makes `raw` the record bytes the [`Params::locs_mut`] ranges point into (each checked
    /// by the reader), and the table row `def` their names and types.
    pub(crate) fn set_record(&mut self, raw: Vec<u8>, def: &'static EventDef) -> Vec<u8> {
        let old = self.set_record_row(raw, def.id, &def.params[..]);
        self.keep_def(def);
        old
    }

    /// [`Params::set_record`] with the record's bytes copied into the buffer these parameters
    /// already have (cleared, its capacity kept): no buffer changes hands.
    #[inline]
    pub(crate) fn set_record_copied(&mut self, bytes: &[u8], def: &'static EventDef) {
        self.raw.clear();
        self.raw.extend_from_slice(bytes);
        self.set_row(def.id, &def.params[..]);
        self.keep_def(def);
    }

    /// Keeps `def` as the record's row where it settles `Event::def` alone: the first
    /// parameter is the record's, and not a syscall id (the event would be generic, named after
    /// its syscall).
    #[inline]
    fn keep_def(&mut self, def: &'static EventDef) {
        let generic = def.params.first().is_some_and(|p| p.1 == ParamType::SyscallId);
        self.def = (!self.locs.is_empty() && !generic).then_some(def);
    }

    /// [`Params::set_record`] with the row given alone (no [`Params::record_def`]).
    fn set_record_row(&mut self, raw: Vec<u8>, id: u16, row: &'static [(&'static str, ParamType)]) -> Vec<u8> {
        let mut old = std::mem::replace(&mut self.raw, raw);
        old.clear();
        self.set_row(id, row);
        old
    }

    /// The names and types of the record's parameters: row `row` of event `id`.
    #[inline]
    fn set_row(&mut self, id: u16, row: &'static [(&'static str, ParamType)]) {
        self.row = row;
        self.def = None;
        self.row_id = id;
        self.row_len = self.locs.len().min(row.len()) as u16;
        self.grow_cache();
    }

    /// The table row of event `id` that a record was read with, while the record's
    /// parameters are still its own (a parameter replaced by one of another type ends that);
    /// none for a record without parameters or of a generic row ([`Params::set_record`]).
    #[inline]
    pub(crate) fn record_def(&self, id: u16) -> Option<&'static EventDef> {
        self.def.filter(|d| d.id == id)
    }

    /// The bytes of a record's length table and values, which say exactly what its
    /// parameters are (their lengths, then their bytes), when these parameters are a record
    /// read with event `id`'s row and nothing else (a replaced or appended one has no place in
    /// them). The table is the `nparams` lengths of the row's width just before the first
    /// value, as records lay them out.
    #[inline]
    pub(crate) fn record_bytes(&self, id: u16) -> Option<&[u8]> {
        let def = self.record_def(id)?;
        let (first, last) = (self.locs.first()?, self.locs.last()?);
        let width = if def.large_payload() { 4 } else { 2 };
        let table = (first.at as usize).checked_sub(width * self.locs.len())?;
        if !self.slots.is_empty() || !self.joined.is_empty() {
            return None;
        }
        self.raw.get(table..last.end as usize)
    }

    /// Completes these parameters with the present ones of `other` (the replay's merge of an
    /// enter event into its exit): `plan[i]` is where `other`'s parameter `i` goes, the index
    /// in these parameters' row of the parameter of its name ([`u8::MAX`]: none): one of these
    /// parameters as they were (it fills that one when it is absent, else is left out) or one
    /// past them (it is appended). Appended parameters of `other`'s row are
    /// joined: `other`'s bytes are copied after these parameters' once, and each becomes a
    /// byte range of them named by its index in that row, no [`Slot`] built; anything else
    /// goes through [`Params::copy_from`].
    pub(crate) fn join_record(&mut self, other: &Params, plan: &[u8]) {
        let own = self.len();
        // The parameters of `other`'s record within its row can be joined, while nothing has
        // been appended here but joined ones of that row.
        let of_row = (other.locs.len() - other.joined.len()).min(other.row.len());
        let mut joins = self.slots.is_empty() && (self.joined.is_empty() || std::ptr::eq(self.joined_row, other.row));
        // Where `other`'s bytes start here, once copied (`u32::MAX`: not yet).
        let mut base = u32::MAX;
        for (i, &l) in other.locs.iter().enumerate() {
            if l.at == l.end {
                continue;
            }
            let j = usize::from(plan.get(i).copied().unwrap_or(u8::MAX));
            if j < own {
                if self.is_absent(j) {
                    self.copy_from(other, i, Some(j));
                    joins &= self.slots.is_empty();
                }
                continue;
            }
            if !joins || i >= of_row {
                self.copy_from(other, i, None);
                joins = false;
                continue;
            }
            if base == u32::MAX {
                base = self.raw.len() as u32;
                self.raw.extend_from_slice(&other.raw);
                self.joined_row = other.row;
            }
            self.locs.push(Loc { at: l.at.wrapping_add(base), end: l.end.wrapping_add(base) });
            self.joined.push(Joined { from: i as u8, to: j as u8 });
        }
        self.grow_cache();
    }

    /// Copies parameter `i` of `other` in as parameter `into` of these (or appended when
    /// `into` is `None`): record bytes are copied after this event's, a value is cloned.
    #[inline(never)]
    pub(crate) fn copy_from(&mut self, other: &Params, i: usize, into: Option<usize>) {
        let Some((name, ty)) = other.meta(i) else {
            return;
        };
        let held = match other.raw_at(i) {
            Some(b) => {
                let at = self.raw.len() as u32;
                self.raw.extend_from_slice(b);
                Held::Bytes(Loc { at, end: self.raw.len() as u32 })
            }
            None => match other.value_at(i) {
                Some(v) => Held::Value(v.clone()),
                None => return,
            },
        };
        let Some(j) = into.filter(|&j| j < self.len()) else {
            self.slots.push(Slot { name, ty, held });
            self.grow_cache();
            return;
        };
        self.leave_row(j, name);
        if let Some(c) = self.cache.get_mut(j) {
            c.take();
        }
        match held {
            // The same name and type as the record's own: only the bytes move.
            Held::Bytes(l) if j < self.locs.len() && self.meta(j) == Some((name, ty)) => self.locs[j] = l,
            held => {
                if j < self.locs.len() {
                    self.unpack_record();
                }
                if let Some(s) = self.slot_mut(j) {
                    *s = Slot { name, ty, held };
                }
            }
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
                // A first byte of each family (and fd-list counts), a second of zero or not.
                for first in [0u8, 1, 2, 3, 4, 10, 0xff] {
                    for second in [0u8, 1] {
                        let b: Vec<u8> = (0..len)
                            .map(|i| match i {
                                0 => first,
                                1 => second,
                                _ => i as u8,
                            })
                            .collect();
                        let (c, d) = (ParamValue::check(ty, &b), ParamValue::decode(ty, &b));
                        assert_eq!(c, d.map(drop), "{ty:?} of {len} bytes starting {first}, {second}");
                    }
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

    /// A record of `fd` and `res` (fds 3 and 0) read as `close_x`-like row `ROW` of event 7.
    const ROW: &[(&str, ParamType)] = &[("fd", ParamType::Fd), ("res", ParamType::Fd)];

    fn record(vals: &[i64]) -> Params {
        record_of(7, ROW, vals)
    }

    /// A record of integers `vals` read with row `row` of event `id`.
    fn record_of(id: u16, row: &'static [(&'static str, ParamType)], vals: &[i64]) -> Params {
        let mut p = Params::new();
        let mut raw = b"hd".to_vec();
        for v in vals {
            let at = raw.len() as u32;
            raw.extend_from_slice(&v.to_le_bytes());
            p.locs_mut().push(Loc { at, end: raw.len() as u32 });
        }
        let _ = p.set_record_row(raw, id, row);
        p
    }

    /// A parameter of the exit's row past its record's, joined from the enter, is found by its
    /// index in that row; one neither has is known to be missing; a slot appended (or another
    /// row) leaves it to the search by name.
    #[test]
    fn joined_parameters_are_found_by_their_row_index() {
        const EXIT: &[(&str, ParamType)] =
            &[("res", ParamType::Fd), ("fd", ParamType::Fd), ("name", ParamType::Fd), ("dev", ParamType::Fd)];
        const ENTER: &[(&str, ParamType)] = &[("name", ParamType::Fd), ("flags", ParamType::Fd), ("fd", ParamType::Fd)];
        let enter = record_of(2, ENTER, &[10, 11, 12]);
        let mut exit = record_of(3, EXIT, &[0]);
        assert_eq!(exit.past_row(3, 1), Some(None), "a plain record shorter than its row");
        exit.join_record(&enter, &[2, u8::MAX, 1]);
        assert_eq!(exit.len(), 4);
        for (i, want) in [(1, Some(3)), (2, Some(1)), (3, None)] {
            assert_eq!(exit.past_row(3, i), Some(want), "row parameter {i}");
            assert_eq!(want, exit.position(EXIT[i].0), "row parameter {i}");
        }
        assert_eq!(exit.value_at(3), Some(&ParamValue::Fd(12)));
        assert_eq!((exit.past_row(3, 0), exit.past_row(2, 1)), (None, None));
        exit.push(Param { name: "dev", ty: ParamType::Fd, value: ParamValue::Fd(1) });
        assert_eq!((exit.past_row(3, 1), exit.past_row(3, 3)), (Some(Some(3)), None));
    }

    /// Parameters that follow an event's row keep that standing only while their names do.
    #[test]
    fn row_slots_end_where_a_name_changes() {
        let mut p = record(&[3, 0]);
        assert!(p.in_row(7, 0) && p.in_row(7, 1) && !p.in_row(7, 2) && !p.in_row(8, 0));
        p.set_value(1, ParamValue::Fd(4));
        assert!(p.in_row(7, 1), "a value set under the same name stays in the row");
        assert_eq!(p.value_at(1), Some(&ParamValue::Fd(4)));
        assert_eq!(p.value_at(0), Some(&ParamValue::Fd(3)), "the other parameter keeps its bytes");
        p.set(1, Param { name: "other", ty: ParamType::Fd, value: ParamValue::Fd(5) });
        assert!(p.in_row(7, 0) && !p.in_row(7, 1));
        let _ = p.take_buffer();
        assert!(!p.in_row(7, 0));
    }

    /// Decoded values are cached per event: the next record read into the same parameters
    /// never sees the last one's values, wherever they were cached.
    #[test]
    fn cache_is_emptied_between_records() {
        let mut p = Params::new();
        for round in 0..3i64 {
            let _ = p.take_buffer();
            let mut raw = Vec::new();
            for i in 0..70i64 {
                let at = raw.len() as u32;
                raw.extend_from_slice(&(round * 100 + i).to_le_bytes());
                p.locs_mut().push(Loc { at, end: raw.len() as u32 });
            }
            // 70 parameters: past the row (byte buffers), the cells past 63 included.
            let _ = p.set_record_row(raw, 7, ROW);
            for i in [0usize, 1, 5, 62, 63, 64, 69] {
                let want = (round * 100 + i as i64).to_le_bytes();
                let got = p.value_at(i).cloned();
                let want =
                    if i < 2 { ParamValue::Fd(round * 100 + i as i64) } else { ParamValue::Bytes(want.to_vec()) };
                assert_eq!(got, Some(want), "round {round} parameter {i}");
            }
        }
    }

    /// A parameter copied from another event over one of the record's own keeps the record's
    /// other parameters as they were, by name and by value.
    #[test]
    fn copy_over_a_record_parameter() {
        let mut exit = record(&[3, 0]);
        let _ = exit.value_at(0);
        let enter = record(&[9, 1]);
        exit.copy_from(&enter, 0, Some(0));
        assert_eq!(exit.value_at(0), Some(&ParamValue::Fd(9)), "the cached value is dropped");
        assert_eq!(exit.raw_at(0), Some(&9i64.to_le_bytes()[..]));
        assert!(exit.in_row(7, 0) && exit.in_row(7, 1));
        let built: Params = vec![Param { name: "res", ty: ParamType::Errno, value: ParamValue::Errno(-2) }].into();
        exit.copy_from(&built, 0, Some(1));
        assert_eq!(
            exit.get(1).map(|p| (p.name, p.ty, p.value.clone())),
            Some(("res", ParamType::Errno, ParamValue::Errno(-2)))
        );
        assert_eq!(exit.value_at(0), Some(&ParamValue::Fd(9)));
        exit.copy_from(&enter, 1, None);
        assert_eq!((exit.len(), exit.name_at(2), exit.value_at(2)), (3, Some("res"), Some(&ParamValue::Fd(1))));
    }

    /// A record's parameters read in place and decoded lazily mean what decoded ones do.
    #[test]
    fn record_slots_read_like_values() {
        let mut raw = b"xx".to_vec();
        let fd = 7i64.to_le_bytes();
        let name = b"/etc/shadow\0";
        let bad = b"caf\xff\0";
        const ROW4: &[(&str, ParamType)] = &[
            ("fd", ParamType::Fd),
            ("name", ParamType::FsPath),
            ("comm", ParamType::CharBuf),
            ("flags", ParamType::Flags32),
        ];
        let mut rec = Params::new();
        for b in [&fd[..], name, bad, &[]] {
            let at = raw.len() as u32;
            raw.extend_from_slice(b);
            rec.locs_mut().push(Loc { at, end: raw.len() as u32 });
        }
        let _ = rec.set_record_row(raw, 9, ROW4);
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

    /// An enter record joined to its exit record reads as the same parameters appended one by
    /// one would ([`Params::copy_from`]), by name, type, value and bytes, with no slot built;
    /// the exit is no longer a plain record, and replacing a joined parameter keeps the rest.
    #[test]
    fn joined_parameters_read_like_appended_ones() {
        const ENTER: &[(&str, ParamType)] =
            &[("fd", ParamType::Fd), ("name", ParamType::FsPath), ("flags", ParamType::Flags32)];
        let mut enter = Params::new();
        let mut raw = b"header".to_vec();
        for b in [&5i64.to_le_bytes()[..], b"/etc/passwd\0", &[], &[1, 0, 0, 0]] {
            let at = raw.len() as u32;
            raw.extend_from_slice(b);
            enter.locs_mut().push(Loc { at, end: raw.len() as u32 });
        }
        // Four record parameters for a row of three: the last is `p3`, past the row.
        let _ = enter.set_record_row(raw, 6, ENTER);
        // The exit's `res` and an absent `fd`, which the enter's fills; the plan sends the
        // enter's `name` and `p3` past the exit's parameters, and its `flags` (absent) too.
        let mut exit = record(&[0, 0]);
        let exit_fd = exit.locs[0];
        exit.locs[0] = Loc { at: exit_fd.at, end: exit_fd.at };
        let mut slow = exit.clone();
        exit.join_record(&enter, &[0, 2, 3]);
        slow.copy_from(&enter, 0, Some(0));
        for i in [1, 3] {
            slow.copy_from(&enter, i, None);
        }
        assert_eq!(exit, slow);
        assert_eq!(exit.len(), 4);
        assert_eq!((exit.joined.len(), exit.slots.len()), (1, 1), "the name joined, p3 a slot");
        for i in 0..4 {
            assert_eq!(exit.raw_at(i), slow.raw_at(i), "parameter {i}");
            assert_eq!(exit.ty_at(i), slow.ty_at(i), "parameter {i}");
        }
        assert_eq!(exit.name_at(2), Some("name"));
        assert_eq!(exit.position("p3"), Some(3));
        assert!(exit.plain_row(7).is_none() && exit.record_bytes(7).is_none());
        exit.set_value(2, ParamValue::Path("/tmp/x".into()));
        assert_eq!(exit.get(2).map(|p| (p.name, p.value.clone())), Some(("name", ParamValue::Path("/tmp/x".into()))));
        assert_eq!(exit.value_at(0), Some(&ParamValue::Fd(5)));
        assert_eq!(exit.value_at(3), slow.value_at(3));
        let _ = exit.take_buffer();
        assert!(exit.is_empty() && exit.joined.is_empty());
    }

    /// Strings and lists decode as the lossy UTF-8 walk reads them, valid or not (valid text
    /// takes a faster check first).
    #[test]
    fn text_decodes_as_the_lossy_walk_does() {
        let pieces: [&[u8]; 7] =
            [b"", b"PATH=/usr/bin", b"caf\xc3\xa9", b"bad\xff", b"\xe2\x82", b"x\xf0\x9f\x98\x80y", b"a"];
        for a in pieces {
            for b in pieces {
                let mut list = a.to_vec();
                list.push(0);
                list.extend_from_slice(b);
                let want: Vec<String> = if list == [0] {
                    Vec::new()
                } else {
                    list.split(|&c| c == 0).map(|s| String::from_utf8_lossy(s).into_owned()).collect()
                };
                let list = if b.is_empty() { &list[..list.len() - 1] } else { &list[..] };
                let want = if b.is_empty() && !a.is_empty() { want[..1].to_vec() } else { want };
                assert_eq!(crate::event::split_nul(list), want, "{list:?}");
                let text = String::from_utf8_lossy(a).into_owned();
                let got = ParamValue::decode(ParamType::CharBuf, &[a, b"\0", b].concat());
                let want =
                    if a.is_empty() && b.is_empty() { ParamValue::Str(String::new()) } else { ParamValue::Str(text) };
                assert_eq!(got, Ok(want), "{a:?}");
            }
        }
    }
}
