//! The process and fd state machine: a thread table (with parent chain, credentials,
//! capabilities, container id, exe flags) and per-process fd tables, kept current by applying
//! events in stream order with [`State::apply`].
//!
//! # When state changes become visible
//!
//! Falco (libsinsp) parses every event *before* rules see it, so a rule on an exit event sees
//! the state that event produced: on `execve` exit the new `proc.exe`/`proc.args`, on `open`
//! exit the new fd, on `connect` exit the tuple. Removals are the exception: the fd closed by
//! `close` and the thread ended by `procexit` are still there while rules look at that event,
//! and are erased when the next event is parsed. [`State::apply`] does the same: it first
//! carries out the removals deferred by the previous event, then applies this event; so call
//! `apply(ev)` and then evaluate rules on `ev` against the state. Failed syscalls (negative
//! `res`) change nothing (except `connect` returning `EINPROGRESS`, which sets the tuple as
//! Falco does).
//!
//! Enter events carry the arguments in old captures while the exit carries the result; the
//! state machine only looks at exit events (and at enter-only events such as `procexit`), so
//! old-layout exits need their enter params merged first: [`crate::replay`] does that.
//!
//! # Sharing
//!
//! Threads of one process (same `pid`) share one fd table (`CLONE_THREAD`). A process created
//! by fork/clone without `CLONE_THREAD` gets a copy of its parent's fd table (`CLONE_FILES`
//! sharing between processes is not modelled: it gets a copy too). The working directory is
//! per process: `chdir` updates every thread of the process.
//!
//! On successful `execve`, fds opened with `O_CLOEXEC` are dropped, as the kernel does.
//!
//! # Bounds
//!
//! [`Limits`] caps the thread table, each fd table and the user/group tables. When the thread
//! table is full, the least recently active eighth is evicted; a full fd table refuses new fds.
//! Both are counted in [`Stats`].

//!
//! # Layout
//!
//! * `model.rs`: the record types ([`ThreadInfo`], [`FdInfo`], [`UserInfo`]...).
//! * `thread.rs`: building a [`ThreadInfo`] (the facts every source derives alike), the thread
//!   table (with a generation every change of a thread replaces) and the [`Thread`] it keeps:
//!   the facts and the values derived from them once per change (command lines, user, group
//!   and container names), and a version every change replaces.
//! * `fdtable.rs`: one process's fd table (small fds by number in a vector, the others in an
//!   ordered map; read in fd order).
//! * `apply.rs`: [`State::apply`] and the per-syscall handlers (`apply/process.rs`: clone and
//!   execve).
//! * `proc.rs`: seeding from `/proc`.
//! * `path.rs`: path normalisation and joining.
//! * `container.rs`: container ids from cgroup paths and the container table.
//! * `dns.rs`: the address → name table.

mod apply;
mod container;
mod dns;
mod fdtable;
mod ids;
mod model;
mod path;
mod proc;
mod repeats;
mod thread;

use std::collections::{HashMap, HashSet};
use std::fs;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

use crate::event::{Direction, Event, ParamValue, SockAddr, SockTuple, render_tuple};
use crate::flags;

pub use apply::{changes_on, changing_names};
pub use container::{ContainerInfo, ContainerRuntime, MAX_CONTAINERS, container_id_from_cgroups};
pub use dns::MAX_DNS_NAMES;
use fdtable::FdTable;
pub use model::*;
pub use path::{join_path, normalize_path, normalized};
pub use proc::linux_open_flags_to_ppm;
pub use thread::Thread;
use thread::{NameTables, ThreadTable};

#[derive(Debug, Clone)]
enum Deferred {
    CloseFd { pid: i64, fd: i64 },
    RemoveThread { tid: i64 },
}

/// The thread table, fd tables and user tables.
#[derive(Debug, Clone, Default)]
pub struct State {
    threads: ThreadTable,
    /// Whether a thread with a tid of 0 or less ever entered the table: until one does, the
    /// events without a thread (metaevents, idle switches: tid 0 or -1, a third of a capture)
    /// need no lookup.
    tids_below_one: bool,
    fdtables: rustc_hash::FxHashMap<i64, FdTable>,
    /// Users, groups and containers, which name a thread's ids (`thread.rs`).
    names: NameTables,
    /// User and group records that changed nothing (`repeats.rs`).
    repeats: repeats::Repeats,
    /// Address → name (`dns.rs`).
    dns_names: HashMap<IpAddr, String>,
    deferred: Vec<Deferred>,
    limits: Limits,
    stats: Stats,
}

/// `PPM_AT_FDCWD`.
pub(crate) const AT_FDCWD: i64 = -100;
const EINPROGRESS: i64 = -115;

/// The pids met while walking a parent chain ([`State::ancestors`]), without allocating for the
/// usual short chains.
struct SeenPids {
    inline: [i64; SeenPids::INLINE],
    len: usize,
    more: Option<HashSet<i64>>,
}

impl SeenPids {
    const INLINE: usize = 16;

    fn new(first: i64) -> SeenPids {
        let mut inline = [0; SeenPids::INLINE];
        inline[0] = first;
        SeenPids { inline, len: 1, more: None }
    }

    /// Adds `pid`; false when it was already there.
    fn insert(&mut self, pid: i64) -> bool {
        if self.inline[..self.len].contains(&pid) {
            return false;
        }
        if self.len < SeenPids::INLINE {
            self.inline[self.len] = pid;
            self.len += 1;
            return true;
        }
        self.more.get_or_insert_with(HashSet::new).insert(pid)
    }
}

impl State {
    /// An empty state with default limits.
    pub fn new() -> State {
        State::default()
    }
    /// An empty state with the given limits.
    pub fn with_limits(limits: Limits) -> State {
        State { limits, ..State::default() }
    }

    // ---- queries ----------------------------------------------------------------------------

    /// The thread `tid`.
    pub fn thread(&self, tid: i64) -> Option<&Thread> {
        self.threads.get(&tid)
    }
    /// All threads (in no particular order).
    pub fn threads(&self) -> impl Iterator<Item = &ThreadInfo> {
        self.threads.values().map(Thread::info)
    }
    /// The thread table's generation: the same number means the same threads with the same
    /// facts (see `thread.rs`'s `ThreadTable`).
    pub fn threads_generation(&self) -> u64 {
        self.threads.generation()
    }
    /// Number of threads in the table.
    pub fn thread_count(&self) -> usize {
        self.threads.len()
    }
    /// The main thread of `t`'s process (`t` itself for a main thread; `t` when the main thread
    /// is unknown).
    pub fn main_thread<'a>(&'a self, t: &'a Thread) -> &'a Thread {
        // A thread of the table whose tid is its pid is the entry under that pid: no lookup
        // (the walk up a process tree meets mostly main threads).
        if t.is_main_thread() {
            return t;
        }
        self.threads.get(&t.pid).unwrap_or(t)
    }
    /// The parent process of `t` (the main thread of the process that created it).
    pub fn parent(&self, t: &Thread) -> Option<&Thread> {
        let main = self.main_thread(t);
        let p = self.threads.get(&main.ptid)?;
        let pm = self.main_thread(p);
        if pm.pid == main.pid { None } else { Some(pm) }
    }
    /// Ancestors of `t`: parent, grandparent... (not `t` itself). Stops at a loop or a missing
    /// parent.
    pub fn ancestors<'a>(&'a self, t: &'a Thread) -> impl Iterator<Item = &'a Thread> + 'a {
        // Rules walk ancestors on every exec and open: the pids seen so far live inline (chains
        // are short), a hashed set only takes over for very long chains.
        let mut seen = SeenPids::new(t.pid);
        let mut cur = Some(t);
        std::iter::from_fn(move || {
            let p = self.parent(cur?)?;
            if !seen.insert(p.pid) {
                cur = None;
                return None;
            }
            cur = Some(p);
            Some(p)
        })
    }
    /// Fd `fd` of thread `tid`'s process.
    pub fn fd(&self, tid: i64, fd: i64) -> Option<&FdInfo> {
        self.fd_of(self.threads.get(&tid)?, fd)
    }
    /// [`State::fd`] for a thread already looked up (its process's table).
    #[inline]
    pub fn fd_of(&self, t: &Thread, fd: i64) -> Option<&FdInfo> {
        self.fdtables.get(&t.pid)?.get(fd)
    }
    /// All fds of thread `tid`'s process, in fd order.
    pub fn fds(&self, tid: i64) -> impl Iterator<Item = &FdInfo> {
        let pid = self.threads.get(&tid).map(|t| t.pid);
        pid.and_then(|p| self.fdtables.get(&p)).into_iter().flat_map(FdTable::values)
    }
    /// The fd number an event refers to: for dup-like exits the new fd (`res`); otherwise its
    /// `fd` parameter; for fd-creating exit events without one, `res` when non-negative.
    pub fn event_fd(ev: &Event) -> Option<i64> {
        if ev.dir == Direction::Exit && matches!(ev.name, "dup" | "dup2" | "dup3") {
            return ev.res().filter(|r| *r >= 0);
        }
        if let Some(p) = ev.param_any(rulec_schema::params::any::FD)
            && let ParamValue::Fd(fd) = *p.value
        {
            return Some(fd);
        }
        if ev.dir == Direction::Exit && rulec_schema::creates_fd_from_res(ev.name) {
            return ev.res().filter(|r| *r >= 0);
        }
        None
    }
    /// The fd info of the fd an event refers to ([`State::event_fd`]), as rules see it.
    pub fn event_fd_info(&self, ev: &Event) -> Option<&FdInfo> {
        self.fd(ev.tid, State::event_fd(ev)?)
    }
    /// User `uid` (host table; `container_id` empty) or in a container's table.
    #[inline]
    pub fn user(&self, container_id: &str, uid: u32) -> Option<&UserInfo> {
        self.names.users.get(container_id, uid)
    }
    /// Group `gid`.
    #[inline]
    pub fn group(&self, container_id: &str, gid: u32) -> Option<&GroupInfo> {
        self.names.groups.get(container_id, gid)
    }
    /// Every fd table as (owning pid, its fds in fd order), in no particular order. Includes
    /// tables whose process has no thread yet (a capture's fd list may name one): a thread
    /// added later shares it, so a saved state must keep it (`crate::capture`).
    pub fn fd_tables(&self) -> impl Iterator<Item = (i64, impl Iterator<Item = &FdInfo>)> {
        self.fdtables.iter().map(|(pid, t)| (*pid, t.values()))
    }
    /// Every user as (container id, user), in no particular order.
    pub fn users(&self) -> impl Iterator<Item = (&str, &UserInfo)> {
        self.names.users.iter()
    }
    /// Every group as (container id, group), in no particular order.
    pub fn groups(&self) -> impl Iterator<Item = (&str, &GroupInfo)> {
        self.names.groups.iter()
    }
    /// Counters.
    pub fn stats(&self) -> Stats {
        self.stats
    }
    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    // ---- seeding ----------------------------------------------------------------------------

    /// Adds (or replaces) a thread. Threads of one `pid` share the fd table.
    pub fn add_thread(&mut self, mut t: ThreadInfo) {
        if t.cwd.is_empty() {
            t.cwd = "/".into();
        }
        self.insert_thread(t);
    }
    /// Adds a process (its main thread) with its fds.
    pub fn add_process(&mut self, t: ThreadInfo, fds: impl IntoIterator<Item = FdInfo>) {
        let pid = t.pid;
        self.add_thread(t);
        for f in fds {
            self.insert_fd(pid, f);
        }
    }
    /// Adds an fd to process `pid`'s table (creating the table if needed).
    pub fn add_fd(&mut self, pid: i64, fd: FdInfo) {
        self.insert_fd(pid, fd);
    }
    /// Adds a user to the table of `container_id` (empty: host).
    pub fn add_user(&mut self, container_id: &str, u: UserInfo) {
        let put = self.names.users.put(container_id, u.uid, u, self.limits.max_users);
        self.after_put(put);
    }
    /// Counts a refused user or group entry, or tells derived names that one changed.
    fn after_put(&mut self, put: ids::Put) {
        match put {
            ids::Put::Unchanged => {}
            ids::Put::Refused => self.stats.users_evicted += 1,
            ids::Put::Set => self.names.changed(),
        }
    }
    /// Removes user `uid` from the table of `container_id`.
    pub fn remove_user(&mut self, container_id: &str, uid: u32) {
        if self.names.users.remove(container_id, uid).is_some() {
            self.names.changed();
        }
    }
    /// Adds a group.
    pub fn add_group(&mut self, container_id: &str, g: GroupInfo) {
        let put = self.names.groups.put(container_id, g.gid, g, self.limits.max_users);
        self.after_put(put);
    }
    /// Removes group `gid` from the table of `container_id`.
    pub fn remove_group(&mut self, container_id: &str, gid: u32) {
        if self.names.groups.remove(container_id, gid).is_some() {
            self.names.changed();
        }
    }

    fn insert_thread(&mut self, t: ThreadInfo) {
        if !self.threads.contains_key(&t.tid) && self.threads.len() >= self.limits.max_threads {
            self.evict_threads();
        }
        let pid = t.pid;
        self.tids_below_one |= t.tid < 1;
        if let Some(old) = self.threads.insert(t.tid, Thread::new(t, &self.names)) {
            self.unref_table(old.pid);
        }
        self.fdtables.entry(pid).or_default().refs += 1;
    }

    fn unref_table(&mut self, pid: i64) {
        if let Some(tab) = self.fdtables.get_mut(&pid) {
            tab.refs = tab.refs.saturating_sub(1);
            if tab.refs == 0 {
                self.fdtables.remove(&pid);
            }
        }
    }

    fn remove_thread(&mut self, tid: i64) {
        if let Some(t) = self.threads.remove(&tid) {
            self.unref_table(t.pid);
        }
    }

    fn evict_threads(&mut self) {
        let n = (self.limits.max_threads / 8).max(1);
        let mut ages: Vec<(u64, i64)> = self.threads.values().map(|t| (t.last_seen, t.tid)).collect();
        ages.sort_unstable();
        for &(_, tid) in ages.iter().take(n) {
            self.remove_thread(tid);
            self.stats.threads_evicted += 1;
        }
    }

    fn insert_fd(&mut self, pid: i64, f: FdInfo) {
        let max = self.limits.max_fds_per_process;
        let tab = self.fdtables.entry(pid).or_default();
        if tab.len() >= max && !tab.contains(f.fd) {
            self.stats.fds_evicted += 1;
            return;
        }
        tab.insert(f);
    }

    fn fd_mut(&mut self, pid: i64, fd: i64) -> Option<&mut FdInfo> {
        self.fdtables.get_mut(&pid)?.get_mut(fd)
    }

    // ---- events -----------------------------------------------------------------------------

    /// Carries out removals deferred by the last applied event (closed fds, exited threads).
    /// [`State::apply`] calls this first; call it directly at the end of a stream.
    #[inline]
    pub fn flush_deferred(&mut self) {
        // Called before every event; most have nothing deferred: a test, no call.
        if !self.deferred.is_empty() {
            self.carry_out_deferred();
        }
    }

    #[cold]
    #[inline(never)]
    fn carry_out_deferred(&mut self) {
        let mut pending = std::mem::take(&mut self.deferred);
        for d in pending.drain(..) {
            match d {
                Deferred::CloseFd { pid, fd } => {
                    if let Some(t) = self.fdtables.get_mut(&pid) {
                        t.remove(fd);
                    }
                }
                Deferred::RemoveThread { tid } => self.exit_thread(tid),
            }
        }
        // The emptied list keeps its buffer for the next events' deferred work.
        if self.deferred.is_empty() {
            self.deferred = pending;
        }
    }

    fn exit_thread(&mut self, tid: i64) {
        let Some(t) = self.threads.get(&tid) else {
            return;
        };
        let pid = t.pid;
        let refs = self.fdtables.get(&pid).map_or(0, |t| t.refs);
        self.stats.threads_exited += 1;
        if tid == pid && refs > 1 {
            // Keep the main thread (proc.* fields come from it) until the last thread goes.
            if let Some(t) = self.threads.get_mut(&tid) {
                t.set_exited();
            }
            return;
        }
        self.remove_thread(tid);
        if tid != pid
            && let Some(main) = self.threads.get(&pid)
            && main.exited
            && self.fdtables.get(&pid).map_or(0, |t| t.refs) == 1
        {
            self.remove_thread(pid);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Param, ParamType};

    fn ev(tid: i64, id: u16, name: &'static str, params: Vec<(&'static str, ParamValue)>) -> Event {
        Event {
            ts: 1,
            tid,
            cpu: 0,
            type_id: id,
            dir: Direction::of_id(id),
            name,
            params: params.into_iter().map(|(n, v)| Param { name: n, ty: ParamType::None, value: v }).collect(),
            dump_flags: 0,
        }
    }

    fn shell() -> State {
        let mut st = State::new();
        let mut init = ThreadInfo::new(1, 1, 0);
        init.comm = "init".into();
        st.add_process(init, []);
        let mut sh = ThreadInfo::new(100, 100, 1);
        sh.comm = "bash".into();
        sh.exe = "/bin/bash".into();
        sh.cwd = "/home/u/".into();
        st.add_process(sh, [FdInfo::file(0, "/dev/pts/0", flags::PPM_O_RDONLY | flags::PPM_O_WRONLY)]);
        st
    }

    #[test]
    fn fork_exec_open_close() {
        let mut st = shell();
        // Parent's clone exit: child 200.
        st.apply(&ev(
            100,
            223,
            "clone",
            vec![("res", ParamValue::Pid(200)), ("flags", ParamValue::Flags { ty: ParamType::Flags32, bits: 0 })],
        ));
        let child = st.thread(200).expect("child created");
        assert_eq!(child.pid, 200);
        assert_eq!(child.ptid, 100);
        assert_eq!(child.comm, "bash");
        assert_eq!(st.fd(200, 0).map(|f| f.name.as_str()), Some("/dev/pts/0"), "fds inherited");
        let names: Vec<_> = st.ancestors(st.thread(200).expect("child")).map(|t| t.comm.clone()).collect();
        assert_eq!(names, ["bash", "init"]);

        st.apply(&ev(
            200,
            293,
            "execve",
            vec![
                ("res", ParamValue::Errno(0)),
                ("exe", ParamValue::Str("cat".into())),
                ("args", ParamValue::Bytes(b"/etc/passwd\0".to_vec())),
                ("pid", ParamValue::Pid(200)),
                ("ptid", ParamValue::Pid(100)),
                ("cwd", ParamValue::Str("/home/u".into())),
                ("comm", ParamValue::Str("cat".into())),
                ("trusted_exepath", ParamValue::Path("/usr/bin/cat".into())),
            ],
        ));
        let c = st.thread(200).expect("child");
        assert_eq!((c.comm.as_str(), c.exepath.as_str(), c.cmdline()), ("cat", "/usr/bin/cat", "cat /etc/passwd"));
        assert_eq!(st.parent(c).map(|p| p.comm.as_str()), Some("bash"));

        let open = ev(
            200,
            307,
            "openat",
            vec![
                ("fd", ParamValue::Fd(3)),
                ("dirfd", ParamValue::Fd(-100)),
                ("name", ParamValue::RelPath("../x/./f.txt".into())),
                ("flags", ParamValue::Flags { ty: ParamType::Flags32, bits: 2 | 4 }),
            ],
        );
        st.apply(&open);
        let f = st.event_fd_info(&open).expect("fd 3");
        assert_eq!(f.name, "/home/x/f.txt");
        assert!(f.is_open_write());
        assert_eq!(f.directory(), Some("/home/x"));

        let close = ev(200, 5, "close", vec![("res", ParamValue::Errno(0)), ("fd", ParamValue::Fd(3))]);
        st.apply(&close);
        assert!(st.event_fd_info(&close).is_some(), "fd visible during its close event");
        st.apply(&ev(200, 186, "procexit", vec![]));
        assert!(st.fd(200, 3).is_none(), "closed fd removed at the next event");
        assert!(st.thread(200).is_some(), "thread visible during procexit");
        st.flush_deferred();
        assert!(st.thread(200).is_none());
        assert_eq!(st.stats().threads_exited, 1);
    }

    #[test]
    fn threads_share_fds_and_cwd() {
        let mut st = shell();
        st.apply(&ev(
            100,
            223,
            "clone",
            vec![
                ("res", ParamValue::Pid(101)),
                ("flags", ParamValue::Flags { ty: ParamType::Flags32, bits: u64::from(flags::PPM_CL_CLONE_THREAD) }),
            ],
        ));
        assert_eq!(st.thread(101).map(|t| t.pid), Some(100));
        st.apply(&ev(101, 95, "chdir", vec![("res", ParamValue::Errno(0)), ("path", ParamValue::Str("/tmp".into()))]));
        assert_eq!(st.thread(100).map(|t| t.cwd.as_str()), Some("/tmp/"));
        st.apply(&ev(101, 3, "open", vec![("fd", ParamValue::Fd(5)), ("name", ParamValue::Path("/a".into()))]));
        assert!(st.fd(100, 5).is_some(), "fd opened by a thread is seen by the process");
        st.apply(&ev(
            101,
            363,
            "dup2",
            vec![("res", ParamValue::Fd(9)), ("oldfd", ParamValue::Fd(5)), ("newfd", ParamValue::Fd(9))],
        ));
        assert_eq!(st.fd(100, 9).map(|f| f.name.as_str()), Some("/a"));
    }

    #[test]
    fn limits_are_enforced_and_counted() {
        let mut st = State::with_limits(Limits { max_threads: 8, max_fds_per_process: 2, max_users: 1 });
        for i in 0..20 {
            let mut t = ThreadInfo::new(i, i, 0);
            t.last_seen = i as u64;
            st.add_thread(t);
        }
        assert!(st.thread_count() <= 8);
        assert!(st.stats().threads_evicted >= 12);
        assert!(st.thread(19).is_some(), "newest kept");
        for fd in 0..5 {
            st.add_fd(19, FdInfo::file(fd, "/x", 0));
        }
        assert_eq!(st.fds(19).count(), 2);
        assert_eq!(st.stats().fds_evicted, 3);
        st.add_user("", UserInfo { uid: 1, ..UserInfo::default() });
        st.add_user("", UserInfo { uid: 2, ..UserInfo::default() });
        assert_eq!(st.stats().users_evicted, 1);
    }

    #[test]
    fn container_ids() {
        let id = "3f1c2b9d7a6e5f4c3b2a19087f6e5d4c3b2a19087f6e5d4c3b2a19087f6e5d4c";
        for (p, rt) in [
            (format!("/docker/{id}"), ContainerRuntime::Docker),
            (format!("/system.slice/docker-{id}.scope"), ContainerRuntime::Docker),
            (format!("/kubepods.slice/kubepods-pod1.slice/crio-{id}.scope"), ContainerRuntime::Crio),
            (format!("/kubepods/besteffort/pod1/{id}"), ContainerRuntime::Unknown),
            (format!("/system.slice/cri-containerd-{id}.scope"), ContainerRuntime::Containerd),
            (format!("/machine.slice/libpod-{id}.scope/container"), ContainerRuntime::Podman),
        ] {
            assert_eq!(container_id_from_cgroups([p.as_str()]), Some((rt, id.to_string())), "{p}");
        }
        assert_eq!(container_id_from_cgroups(["/user.slice/session-1.scope", "/"]), None);
        let mut t = ThreadInfo::new(1, 1, 0);
        t.set_cgroups_from_scap(&[format!("cpu=/docker/{id}")]);
        assert_eq!(t.container_id, &id[..12]);
        assert_eq!(t.cgroup("cpu"), Some(format!("/docker/{id}").as_str()));
    }

    #[test]
    fn paths() {
        assert_eq!(normalize_path("/a/../../b//c/."), "/b/c");
        assert_eq!(join_path("/home/u/", "x"), "/home/u/x");
        assert_eq!(join_path("/home/u/", "/etc/../etc/passwd"), "/etc/passwd");
    }

    #[test]
    fn from_proc_reads_this_machine() {
        let st = State::from_proc(Path::new("/proc"));
        let me = std::process::id() as i64;
        let t = st.thread(me).expect("own process in /proc snapshot");
        assert!(!t.comm.is_empty());
        assert!(t.exepath.ends_with(t.comm.as_str()) || !t.exepath.is_empty());
        assert!(st.fds(me).count() >= 1, "own fds read");
        // Robust to a missing or odd root.
        assert_eq!(State::from_proc(Path::new("/nonexistent-proc-root")).thread_count(), 0);
        let tmp = std::env::temp_dir().join(format!("rulec-fakeproc-{me}"));
        let _ = fs::create_dir_all(tmp.join("42"));
        let _ = fs::write(tmp.join("42/stat"), "42 (we ird) S 1 42 42 0");
        let _ = fs::write(tmp.join("43"), "not a dir");
        let st = State::from_proc(&tmp);
        assert_eq!(st.thread(42).map(|t| t.comm.as_str()), Some("we ird"));
        let _ = fs::remove_dir_all(&tmp);
    }

    #[test]
    fn datagrams_name_unconnected_udp_sockets() {
        let mut st = shell();
        let udp = |fd| {
            ev(
                100,
                19,
                "socket",
                vec![
                    ("fd", ParamValue::Fd(fd)),
                    ("domain", ParamValue::U32(2)),
                    ("type", ParamValue::U32(2)),
                    ("proto", ParamValue::U32(0)),
                ],
            )
        };
        let tuple = |sport, dport| {
            ParamValue::SockTuple(SockTuple::V4 {
                sip: Ipv4Addr::new(127, 0, 0, 1),
                sport,
                dip: Ipv4Addr::new(127, 0, 0, 1),
                dport,
            })
        };
        st.apply(&udp(5));
        st.apply(&udp(6));
        // A client's sendto names its socket after the datagram's tuple (it as the client)...
        st.apply(&ev(
            100,
            31,
            "sendto",
            vec![
                ("res", ParamValue::Errno(3)),
                ("data", ParamValue::Absent),
                ("fd", ParamValue::Fd(5)),
                ("size", ParamValue::U32(3)),
                ("tuple", tuple(40000, 5353)),
            ],
        ));
        let f = st.fd(100, 5).expect("fd 5");
        assert_eq!(f.name, "127.0.0.1:40000->127.0.0.1:5353");
        let s = f.sock.as_ref().expect("socket");
        assert_eq!((s.sport, s.cport, s.l4proto, s.role), (5353, 40000, L4Proto::Udp, SockRole::Client));
        // ...a server's recvfrom after the sender (source) and itself (destination, the server).
        let recv = |fd, t| {
            ev(
                100,
                35,
                "recvfrom",
                vec![
                    ("res", ParamValue::Errno(3)),
                    ("data", ParamValue::Absent),
                    ("tuple", t),
                    ("fd", ParamValue::Fd(fd)),
                    ("size", ParamValue::U32(64)),
                ],
            )
        };
        st.apply(&recv(6, tuple(40000, 5353)));
        let s = st.fd(100, 6).and_then(|f| f.sock.clone()).expect("fd 6");
        assert_eq!((s.sport, s.role), (5353, SockRole::Server));
        // A reply on the client's socket (its tuple reversed) keeps the name, as libsinsp does.
        st.apply(&recv(5, tuple(5353, 40000)));
        assert_eq!(st.fd(100, 5).map(|f| f.name.as_str()), Some("127.0.0.1:40000->127.0.0.1:5353"));
        // A failed call changes nothing; a named TCP socket keeps its connection.
        let mut failed = recv(5, tuple(1, 2));
        failed.params.set_value(0, ParamValue::Errno(-11));
        st.apply(&failed);
        assert_eq!(st.fd(100, 5).map(|f| f.name.as_str()), Some("127.0.0.1:40000->127.0.0.1:5353"));
        if let Some(s) = st.fd_mut(100, 5).and_then(|f| f.sock.as_mut()) {
            s.l4proto = L4Proto::Tcp;
        }
        st.apply(&recv(5, tuple(1, 2)));
        assert_eq!(st.fd(100, 5).map(|f| f.name.as_str()), Some("127.0.0.1:40000->127.0.0.1:5353"));
    }

    #[test]
    fn an_exec_carries_its_cwd_and_cgroups() {
        let mut st = shell();
        let id = "0123456789abcdef".repeat(4);
        st.apply(&ev(
            100,
            293,
            "execve",
            vec![
                ("res", ParamValue::Errno(0)),
                ("exe", ParamValue::Str("true".into())),
                ("args", ParamValue::Absent),
                ("tid", ParamValue::Pid(100)),
                ("pid", ParamValue::Pid(100)),
                ("ptid", ParamValue::Pid(1)),
                ("cwd", ParamValue::Str("/srv/app".into())),
                ("fdlimit", ParamValue::Absent),
                ("pgft_maj", ParamValue::Absent),
                ("pgft_min", ParamValue::Absent),
                ("vm_size", ParamValue::Absent),
                ("vm_rss", ParamValue::Absent),
                ("vm_swap", ParamValue::Absent),
                ("comm", ParamValue::Str("true".into())),
                (
                    "cgroups",
                    ParamValue::Bytes(
                        format!("cpuset=/\0pids=/system.slice/docker-{id}.scope\0unified=/\0").into_bytes(),
                    ),
                ),
            ],
        ));
        let t = st.thread(100).expect("thread");
        assert_eq!(t.cwd, "/srv/app/");
        assert_eq!(t.container_id, id[..12]);
    }
}
