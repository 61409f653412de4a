//! [`Repeats`]: the user and group metaevents that changed nothing, remembered by their
//! parameters' bytes, so that the same record again is settled by one look-up.
//!
//! A capture's user and group lists come back as metaevents, and a capture played many times
//! (or a long live run, which re-sends them) repeats the same records: each one is looked up
//! and compared field by field, and changes nothing. A record is remembered only when applying
//! it changed nothing, and only for as long as the name tables stay as they were: the set is
//! keyed by the tables' generation ([`super::thread`]), which every change of a user, group or
//! container entry advances, so a record remembered before a change is never taken for a
//! no-op after it. The key is the record's exact bytes (its length table and values, with the
//! event id beside them): no hashing shortcut decides that two records are the same. Memory is
//! bounded ([`MAX_REPEATS`] records; the set starts again when full).

use rustc_hash::FxHashMap;

use crate::event::Event;

/// Most records remembered.
pub(super) const MAX_REPEATS: usize = 4_096;

/// Records that changed nothing at generation `generation` of the name tables: their bytes,
/// with their event id.
#[derive(Debug, Clone, Default)]
pub(super) struct Repeats {
    generation: u64,
    seen: FxHashMap<Box<[u8]>, u16>,
}

impl Repeats {
    /// The key of `ev`'s record: its length table and values
    /// ([`crate::event::Params::record_bytes`]); `None` for an event that is not a record as
    /// read.
    #[inline]
    fn key(ev: &Event) -> Option<&[u8]> {
        ev.params.record_bytes(ev.type_id)
    }

    /// Whether `ev`'s record changed nothing when applied before, the tables being at
    /// `generation` since.
    #[inline]
    pub(super) fn seen(&mut self, ev: &Event, generation: u64) -> bool {
        if generation != self.generation {
            self.seen.clear();
            self.generation = generation;
        }
        !self.seen.is_empty() && Repeats::key(ev).is_some_and(|k| self.seen.get(k) == Some(&ev.type_id))
    }

    /// Remembers `ev`'s record as changing nothing at `generation`.
    pub(super) fn remember(&mut self, ev: &Event, generation: u64) {
        let Some(key) = Repeats::key(ev) else { return };
        if generation != self.generation {
            return;
        }
        if self.seen.len() >= MAX_REPEATS {
            self.seen.clear();
        }
        self.seen.insert(key.into(), ev.type_id);
    }
}
