//! [`IdTable`]: the user and group tables, entries keyed by container id and numeric id.
//!
//! Most lookups are of the host's table (an empty container id), made on every derivation of a
//! thread's names and every user or group event, so the table is shaped for them: the host's
//! entries in a map by id alone, each container's in a map of its own found by the container
//! id as a borrowed `&str`. No lookup builds a key string; the Fx hash of a `u32` is one
//! multiplication. The table owns no limits: the state counts and refuses entries beyond its
//! own.

use rustc_hash::FxHashMap;

/// What [`IdTable::put`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Put {
    /// An equal entry was there already.
    Unchanged,
    /// A new entry, refused: the tables were full.
    Refused,
    /// The entry was added or replaced.
    Set,
}

/// Entries of type `V` by (container id, id); the host's table is the empty container id.
#[derive(Debug, Clone)]
pub(crate) struct IdTable<V> {
    host: FxHashMap<u32, V>,
    containers: FxHashMap<Box<str>, FxHashMap<u32, V>>,
    len: usize,
}

impl<V> Default for IdTable<V> {
    fn default() -> IdTable<V> {
        IdTable { host: FxHashMap::default(), containers: FxHashMap::default(), len: 0 }
    }
}

impl<V> IdTable<V> {
    /// Entries in all tables.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The entry of `id` in container `cid`'s table.
    #[inline]
    pub(crate) fn get(&self, cid: &str, id: u32) -> Option<&V> {
        if cid.is_empty() { self.host.get(&id) } else { self.containers.get(cid)?.get(&id) }
    }

    /// Sets the entry of `id` in `cid`'s table; the entry it replaces, if any.
    pub(crate) fn insert(&mut self, cid: &str, id: u32, v: V) -> Option<V> {
        let table = if cid.is_empty() { &mut self.host } else { self.containers.entry(cid.into()).or_default() };
        let old = table.insert(id, v);
        if old.is_none() {
            self.len += 1;
        }
        old
    }

    /// Sets the entry of `id` in `cid`'s table to `v`, unless it holds an equal entry already
    /// ([`Put::Unchanged`]: a capture's user list replayed changes no name) or `v` would be a new
    /// entry in tables that hold `limit` entries ([`Put::Refused`]: the caller counts it).
    pub(crate) fn put(&mut self, cid: &str, id: u32, v: V, limit: usize) -> Put
    where
        V: PartialEq,
    {
        match self.get(cid, id) {
            Some(old) if *old == v => return Put::Unchanged,
            None if self.len >= limit => return Put::Refused,
            _ => {}
        }
        self.insert(cid, id, v);
        Put::Set
    }

    /// Removes the entry of `id` from `cid`'s table (a container's table goes with its last
    /// entry); the entry, if there was one.
    pub(crate) fn remove(&mut self, cid: &str, id: u32) -> Option<V> {
        let old = if cid.is_empty() {
            self.host.remove(&id)
        } else {
            let table = self.containers.get_mut(cid)?;
            let old = table.remove(&id);
            if table.is_empty() {
                self.containers.remove(cid);
            }
            old
        };
        if old.is_some() {
            self.len -= 1;
        }
        old
    }

    /// Every entry as (container id, entry), in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &V)> {
        let host = self.host.values().map(|v| ("", v));
        host.chain(self.containers.iter().flat_map(|(c, t)| t.values().map(move |v| (&**c, v))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_and_container_tables_are_apart() {
        let mut t: IdTable<&str> = IdTable::default();
        assert_eq!(t.insert("", 0, "root"), None);
        assert_eq!(t.insert("abc", 0, "croot"), None);
        assert_eq!(t.insert("abc", 7, "seven"), None);
        assert_eq!(t.insert("abc", 7, "sept"), Some("seven"));
        assert_eq!(t.len(), 3);
        assert_eq!((t.get("", 0), t.get("abc", 0), t.get("abc", 7)), (Some(&"root"), Some(&"croot"), Some(&"sept")));
        assert_eq!((t.get("", 7), t.get("abd", 0)), (None, None));
        let mut all: Vec<_> = t.iter().collect();
        all.sort();
        assert_eq!(all, [("", &"root"), ("abc", &"croot"), ("abc", &"sept")]);
        assert_eq!(t.remove("abc", 0), Some("croot"));
        assert_eq!(t.remove("abc", 7), Some("sept"));
        assert_eq!(t.remove("abc", 7), None);
        assert_eq!(t.remove("nope", 1), None);
        assert_eq!(t.len(), 1);
        assert!(t.containers.is_empty(), "a container's table goes with its last entry");
        assert_eq!(t.put("", 0, "root", 1), Put::Unchanged);
        assert_eq!(t.put("abc", 1, "one", 1), Put::Refused);
        assert_eq!(t.put("", 0, "toor", 1), Put::Set, "a replacement is no new entry");
        assert_eq!((t.get("", 0), t.len()), (Some(&"toor"), 1));
    }
}
