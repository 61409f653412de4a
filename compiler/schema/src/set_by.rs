//! Which events can give a field a value: the `set_by` column of `data/fields.tsv`, and the
//! events of each kind it names, derived from the event table.
//!
//! Most fields (the process, user, container and event fields) have a value on every event.
//! The others read something only some events carry: `fd.*` the fd the event refers to (the
//! state machine's `State::event_fd`: an `fd` parameter, or the fd a creating call returns), the
//! socket fields of `fd.*` an fd that can be a socket, `fdlist.*` the fd list of poll-like
//! calls, `fs.path.*` the paths of filesystem calls ([`crate::syscall_paths`]). On any other
//! event such a field has no value, so a check on it is false (and `not` of it true) whatever
//! it compares with. The checker's analyses read this to tell a rule author that a part of a
//! condition can never hold for the rule's event types.
//!
//! This module owns the kinds and the event sets; it knows nothing of rules.

use std::collections::HashSet;
use std::sync::LazyLock;

use crate::event_table::{EventClass, event_table};
use crate::fd_kind::fd_creation;

/// What kind of event a field needs to have a value (the `set_by` column).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub enum SetBy {
    /// Every event (the column is empty).
    #[default]
    Any,
    /// An event that refers to an fd (`fd`).
    Fd,
    /// An event that refers to an fd that can be a socket (`socket`).
    Socket,
    /// A poll-like event with an fd list (`fdlist`).
    FdList,
    /// A filesystem call with path parameters (`path`).
    Path,
}

impl SetBy {
    /// Parses the column: empty, `fd`, `socket`, `fdlist` or `path`.
    pub fn parse(s: &str) -> Result<SetBy, String> {
        Ok(match s.trim() {
            "" => SetBy::Any,
            "fd" => SetBy::Fd,
            "socket" => SetBy::Socket,
            "fdlist" => SetBy::FdList,
            "path" => SetBy::Path,
            other => return Err(format!("bad set_by `{other}`")),
        })
    }

    /// What the kind means, for messages: "an event that refers to an fd".
    pub fn describe(self) -> &'static str {
        match self {
            SetBy::Any => "any event",
            SetBy::Fd => "an event that refers to a file descriptor",
            SetBy::Socket => "an event on a file descriptor that can be a socket",
            SetBy::FdList => "a poll-like event with a list of file descriptors",
            SetBy::Path => "a filesystem call with path parameters",
        }
    }

    /// Whether the event called `event` can give a field of this kind a value. An event name
    /// the event table does not have is taken to set everything (nothing is known against it).
    pub fn set_by_event(self, event: &str) -> bool {
        let sets = &*SETS;
        if !sets.known.contains(event) {
            return true;
        }
        match self {
            SetBy::Any => true,
            SetBy::Fd => sets.fd.contains(event),
            SetBy::Socket => sets.socket.contains(event),
            SetBy::FdList => sets.fdlist.contains(event),
            SetBy::Path => crate::syscall_paths(event).is_some(),
        }
    }
}

/// The event names of each kind, computed once from the event table.
struct Sets {
    known: HashSet<&'static str>,
    fd: HashSet<&'static str>,
    socket: HashSet<&'static str>,
    fdlist: HashSet<&'static str>,
}

static SETS: LazyLock<Sets> = LazyLock::new(|| {
    let mut sets = Sets { known: HashSet::new(), fd: HashSet::new(), socket: HashSet::new(), fdlist: HashSet::new() };
    // Names whose fd is never a socket: calls that create an fd of a fixed other kind (files,
    // pipes, memory files, `data/fd_events.tsv`'s anonymous inodes). Every row of such a name
    // (enter, exit, old versions) agrees.
    let mut never_socket: HashSet<&'static str> = HashSet::new();
    for def in event_table().iter().filter(|d| !d.name.is_empty()) {
        sets.known.insert(def.name);
        let has = |p: &str| def.params.iter().any(|(n, _)| *n == p);
        if has("fd") || def.creates_fd() || fd_creation(def.name).is_some() {
            sets.fd.insert(def.name);
        }
        if has("fds") {
            sets.fdlist.insert(def.name);
        }
        let fixed_kind = fd_creation(def.name).is_some_and(|c| c.kind.is_some());
        let creates_other =
            def.creates_fd() && matches!(def.category.class, EventClass::File | EventClass::Ipc | EventClass::Memory);
        if fixed_kind || creates_other {
            never_socket.insert(def.name);
        }
    }
    sets.socket = sets.fd.iter().copied().filter(|n| !never_socket.contains(n)).collect();
    sets
});

#[cfg(test)]
mod tests {
    use super::SetBy;

    #[test]
    fn kinds_follow_the_event_table() {
        for (kind, yes, no) in [
            (
                SetBy::Fd,
                &["open", "openat", "read", "connect", "accept", "close", "dup2"][..],
                &["execve", "clone", "kill"][..],
            ),
            (
                SetBy::Socket,
                &["connect", "accept4", "sendto", "read", "socket"],
                &["open", "openat", "execve", "pipe", "eventfd"],
            ),
            (SetBy::FdList, &["poll", "ppoll"], &["read", "execve"]),
            (SetBy::Path, &["mkdir", "unlinkat", "rename", "openat"], &["read", "execve", "connect"]),
        ] {
            for e in yes {
                assert!(kind.set_by_event(e), "{kind:?} should be set by {e}");
            }
            for e in no {
                assert!(!kind.set_by_event(e), "{kind:?} should not be set by {e}");
            }
        }
        assert!(SetBy::Any.set_by_event("execve"));
        assert!(SetBy::Fd.set_by_event("no_such_event"), "unknown names are not held against a field");
        assert_eq!(SetBy::parse("sideways"), Err("bad set_by `sideways`".to_string()));
    }

    #[test]
    fn the_column_is_set_where_the_runtime_needs_an_event_fact() {
        let schema = crate::schema();
        let kind = |name: &str| schema.field(name).map(|f| f.set_by);
        assert_eq!(kind("fd.sport"), Some(SetBy::Socket));
        assert_eq!(kind("fd.name"), Some(SetBy::Fd));
        assert_eq!(kind("fdlist.names"), Some(SetBy::FdList));
        assert_eq!(kind("fs.path.name"), Some(SetBy::Path));
        assert_eq!(kind("proc.name"), Some(SetBy::Any));
        // Every fd field says what it needs: none reads the fd table without an fd.
        for f in schema.fields().iter().filter(|f| f.name.starts_with("fd.")) {
            assert!(matches!(f.set_by, SetBy::Fd | SetBy::Socket), "{}", f.name);
        }
    }
}
