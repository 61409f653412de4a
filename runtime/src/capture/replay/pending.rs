//! [`PendingEnters`]: each thread's enter event waiting for its exit, for the replay's merge
//! of the two ([`super::Replay`]).
//!
//! A map from thread id to event, with the newest enter kept apart from it: an exit mostly
//! follows its own thread's enter at once (every syscall of a single-threaded stretch), and
//! then takes it back with one compare, no hashing. The map never holds an event of the
//! thread whose enter is kept apart, so a thread has at most one pending enter, as in a plain
//! map; at most `cap` are kept, all forgotten when a new thread's would pass that.

use crate::event::Event;

/// The remainders [`PendingEnters::shards`] counts.
const SHARDS: usize = 64;

/// The [`PendingEnters::shards`] entry of thread `tid`.
#[inline]
fn shard(tid: i64) -> usize {
    (tid as u64 % SHARDS as u64) as usize
}

/// Each thread's pending enter event (see the module doc).
#[derive(Debug)]
pub(super) struct PendingEnters {
    /// The newest enter, when its exit has not come yet.
    newest: Option<Box<Event>>,
    /// The other threads' pending enters (none of `newest`'s thread).
    older: rustc_hash::FxHashMap<i64, Box<Event>>,
    /// How many of `older`'s threads have each remainder of their id by [`SHARDS`]: a thread
    /// whose count is zero has none there, known without a look-up (threads whose exit never
    /// came, gone or blocked, stay in the map, which is then seldom empty).
    shards: [u32; SHARDS],
    /// The most pending enters kept.
    cap: usize,
}

impl PendingEnters {
    /// None pending; at most `cap` kept.
    pub(super) fn new(cap: usize) -> PendingEnters {
        PendingEnters { newest: None, older: Default::default(), shards: [0; SHARDS], cap }
    }

    /// True when no enter is pending.
    #[inline]
    pub(super) fn is_empty(&self) -> bool {
        self.newest.is_none() && self.older.is_empty()
    }

    /// How many enters are pending.
    pub(super) fn len(&self) -> usize {
        usize::from(self.newest.is_some()) + self.older.len()
    }

    /// Whether thread `tid` has a pending enter.
    fn contains(&self, tid: i64) -> bool {
        self.newest.as_ref().is_some_and(|e| e.tid == tid) || self.older.contains_key(&tid)
    }

    /// Keeps `ev` as its thread's pending enter (all are forgotten first when a new thread's
    /// would make more than the cap); returns the one it replaces, if that thread had one.
    #[inline]
    pub(super) fn insert(&mut self, ev: Box<Event>) -> Option<Box<Event>> {
        let tid = ev.tid;
        if self.len() >= self.cap && !self.contains(tid) {
            self.newest = None;
            self.older.clear();
            self.shards = [0; SHARDS];
        }
        match self.newest.replace(ev) {
            Some(prev) if prev.tid == tid => Some(prev),
            Some(prev) => {
                let replaced = self.take_older(tid);
                // `prev`'s thread has no event in the map: it was the newest one's.
                self.shards[shard(prev.tid)] += 1;
                self.older.insert(prev.tid, prev);
                replaced
            }
            None => self.take_older(tid),
        }
    }

    /// Takes thread `tid`'s pending enter.
    #[inline]
    pub(super) fn remove(&mut self, tid: i64) -> Option<Box<Event>> {
        if self.newest.as_ref().is_some_and(|e| e.tid == tid) {
            return self.newest.take();
        }
        self.take_older(tid)
    }

    /// Takes thread `tid`'s event from the map (no look-up when its shard has none).
    #[inline]
    fn take_older(&mut self, tid: i64) -> Option<Box<Event>> {
        let n = &mut self.shards[shard(tid)];
        if *n == 0 {
            return None;
        }
        let ev = self.older.remove(&tid)?;
        *n -= 1;
        Some(ev)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn event(tid: i64, ts: u64) -> Box<Event> {
        let mut e = Event::empty();
        e.tid = tid;
        e.ts = ts;
        Box::new(e)
    }

    /// The pending enters behave as one map from thread to event with the same cap (what the
    /// replay kept before), over random inserts and removals of a few threads: the same
    /// events come back, and the same are pending at every step.
    #[test]
    fn behaves_as_a_map_with_a_cap() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for cap in [1, 2, 3, 5, 64] {
            let mut p = PendingEnters::new(cap);
            let mut model: HashMap<i64, Box<Event>> = HashMap::new();
            for ts in 0..20_000u64 {
                let tid = next(7) as i64 - 1;
                if next(2) == 0 {
                    if model.len() >= cap && !model.contains_key(&tid) {
                        model.clear();
                    }
                    let want = model.insert(tid, event(tid, ts)).map(|e| e.ts);
                    assert_eq!(p.insert(event(tid, ts)).map(|e| e.ts), want, "insert {tid} at {ts}, cap {cap}");
                } else {
                    let want = model.remove(&tid).map(|e| e.ts);
                    assert_eq!(p.remove(tid).map(|e| e.ts), want, "remove {tid} at {ts}, cap {cap}");
                }
                assert_eq!((p.len(), p.is_empty()), (model.len(), model.is_empty()));
                let counted: u32 = p.shards.iter().sum();
                assert_eq!(counted as usize, p.older.len(), "the shards count the map's events");
                for t in -1..6 {
                    assert_eq!(p.contains(t), model.contains_key(&t));
                }
            }
        }
    }

    /// An exit that follows its own thread's enter takes it back without the map; enters
    /// whose exits do not come at once go to the map, which then finds them.
    #[test]
    fn an_exit_after_its_enter_leaves_the_map_alone() {
        let mut p = PendingEnters::new(16);
        for ts in 0..100 {
            assert!(p.insert(event(7, ts)).is_none());
            assert_eq!(p.remove(7).map(|e| e.ts), Some(ts));
        }
        assert_eq!(p.older.capacity(), 0, "the map was never used");
        assert!(p.insert(event(1, 1)).is_none());
        assert!(p.insert(event(2, 2)).is_none());
        assert_eq!((p.older.len(), p.remove(1).map(|e| e.ts)), (1, Some(1)));
        assert_eq!((p.remove(2).map(|e| e.ts), p.is_empty()), (Some(2), true));
    }
}
