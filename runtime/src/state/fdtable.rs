//! One process's fd table ([`FdTable`]): the fds of the threads that share it, by number, and
//! how many threads share it. It owns the layout of the fds only; which fds enter it (the
//! handlers in `apply.rs`) and when a full table refuses one (`State`'s cap, counted in
//! `Stats`) are decided by its callers.
//!
//! # Layout
//!
//! Most fds are small numbers (the kernel gives the lowest free one), and a process opens and
//! closes them on most of its syscalls: fds from 0 up to [`FdTable::LOW_MAX`] live in a
//! vector indexed by fd number, so a look-up is an index and an insert or a removal moves no
//! other entry. The vector grows on demand, but only while at least a quarter of it would be
//! in use (a lone high fd does not make a process pay for every slot below it); the other fds
//! (negative numbers, big ones, and small ones the vector does not reach yet) live in an
//! ordered map, and move into the vector when it grows over them. So the map never holds an fd
//! the vector covers, and the table reads in fd order as: the map's negative fds, the vector,
//! the map's fds past the vector.

use std::collections::BTreeMap;

use super::model::FdInfo;

/// The fds of one process (of every thread that shares its table), in fd order.
#[derive(Debug, Default, Clone)]
pub(super) struct FdTable {
    /// Fd `i` at index `i`, for `0 <= i < low.len()`.
    low: Vec<Option<FdInfo>>,
    /// Every other fd: negative, or at least `low.len()`.
    high: BTreeMap<i64, FdInfo>,
    /// How many fds `low` holds.
    low_count: usize,
    /// Threads using this table.
    pub(super) refs: u32,
}

impl FdTable {
    /// Fds below this may live in the vector indexed by fd number.
    pub(super) const LOW_MAX: usize = 1024;
    /// The vector's first length: enough for the usual handful of fds, without a second growth.
    const LOW_MIN: usize = 16;

    /// The number of fds.
    pub(super) fn len(&self) -> usize {
        self.low_count + self.high.len()
    }

    /// The vector index of `fd`, when the vector covers it.
    #[inline]
    fn low_index(&self, fd: i64) -> Option<usize> {
        usize::try_from(fd).ok().filter(|i| *i < self.low.len())
    }

    /// Fd `fd`.
    #[inline]
    pub(super) fn get(&self, fd: i64) -> Option<&FdInfo> {
        match self.low_index(fd) {
            Some(i) => self.low[i].as_ref(),
            None => self.high.get(&fd),
        }
    }

    /// Fd `fd`, to change (its number must stay `fd`).
    #[inline]
    pub(super) fn get_mut(&mut self, fd: i64) -> Option<&mut FdInfo> {
        match self.low_index(fd) {
            Some(i) => self.low[i].as_mut(),
            None => self.high.get_mut(&fd),
        }
    }

    /// Whether the table has fd `fd`.
    pub(super) fn contains(&self, fd: i64) -> bool {
        self.get(fd).is_some()
    }

    /// Puts `f` in the table under its number, replacing the fd of that number.
    pub(super) fn insert(&mut self, f: FdInfo) {
        let fd = f.fd;
        if self.low_index(fd).is_none() {
            self.grow_for(fd);
        }
        match self.low_index(fd) {
            Some(i) => {
                let slot = &mut self.low[i];
                self.low_count += usize::from(slot.is_none());
                *slot = Some(f);
            }
            None => {
                self.high.insert(fd, f);
            }
        }
    }

    /// Grows the vector to cover `fd` when `fd` is below [`FdTable::LOW_MAX`] and a quarter of
    /// the grown vector would be in use; moves the map's fds it then covers into it.
    fn grow_for(&mut self, fd: i64) {
        let Ok(i) = usize::try_from(fd) else { return };
        if i >= FdTable::LOW_MAX {
            return;
        }
        let new_len = (i + 1).next_power_of_two().max(FdTable::LOW_MIN);
        if new_len > FdTable::LOW_MIN.max(4 * (self.len() + 1)) {
            return;
        }
        let old_len = self.low.len();
        self.low.resize_with(new_len, || None);
        // The map's fds in old_len..new_len are the vector's now (none is negative).
        while let Some(entry) = self.high.range(old_len as i64..new_len as i64).next() {
            let at = *entry.0;
            if let Some(f) = self.high.remove(&at) {
                self.low[at as usize] = Some(f);
                self.low_count += 1;
            }
        }
    }

    /// Removes fd `fd`.
    pub(super) fn remove(&mut self, fd: i64) {
        match self.low_index(fd) {
            Some(i) => {
                let slot = &mut self.low[i];
                self.low_count -= usize::from(slot.is_some());
                *slot = None;
            }
            None => {
                self.high.remove(&fd);
            }
        }
    }

    /// Keeps the fds for which `keep` is true.
    pub(super) fn retain(&mut self, mut keep: impl FnMut(&FdInfo) -> bool) {
        for slot in &mut self.low {
            if slot.as_ref().is_some_and(|f| !keep(f)) {
                *slot = None;
                self.low_count -= 1;
            }
        }
        self.high.retain(|_, f| keep(f));
    }

    /// Every fd, in fd order.
    pub(super) fn values(&self) -> impl Iterator<Item = &FdInfo> {
        let past = self.low.len() as i64;
        let negative = self.high.range(..0).map(|(_, f)| f);
        negative.chain(self.low.iter().flatten()).chain(self.high.range(past..).map(|(_, f)| f))
    }
}

#[cfg(test)]
mod tests;
