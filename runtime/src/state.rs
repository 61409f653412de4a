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

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

use crate::event::{Direction, Event, ParamValue, SockAddr, SockTuple, render_tuple};
use crate::flags;

/// What kind of object an fd refers to (libscap's `scap_fd_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum FdKind {
    File,
    Directory,
    Ipv4Sock,
    Ipv6Sock,
    UnixSock,
    NetlinkSock,
    /// A socket of another family (packet, bluetooth...) or of unknown family.
    OtherSock,
    Pipe,
    EventFd,
    SignalFd,
    EventPoll,
    Inotify,
    TimerFd,
    Bpf,
    UserFaultFd,
    IoUring,
    Memfd,
    PidFd,
    Unsupported,
}

impl FdKind {
    /// Falco's `fd.type` text.
    pub fn type_name(self) -> &'static str {
        match self {
            FdKind::File => "file",
            FdKind::Directory => "directory",
            FdKind::Ipv4Sock => "ipv4",
            FdKind::Ipv6Sock => "ipv6",
            FdKind::UnixSock => "unix",
            FdKind::NetlinkSock => "netlink",
            FdKind::OtherSock | FdKind::Unsupported => "unknown",
            FdKind::Pipe => "pipe",
            FdKind::EventFd => "event",
            FdKind::SignalFd => "signalfd",
            FdKind::EventPoll => "eventpoll",
            FdKind::Inotify => "inotify",
            FdKind::TimerFd => "timerfd",
            FdKind::Bpf => "bpf",
            FdKind::UserFaultFd => "userfaultfd",
            FdKind::IoUring => "io_uring",
            FdKind::Memfd => "memfd",
            FdKind::PidFd => "pidfd",
        }
    }
    /// Falco's `fd.typechar`.
    pub fn type_char(self) -> char {
        match self {
            FdKind::File => 'f',
            FdKind::Directory => 'd',
            FdKind::Ipv4Sock => '4',
            FdKind::Ipv6Sock => '6',
            FdKind::UnixSock => 'u',
            FdKind::NetlinkSock => 'n',
            FdKind::OtherSock | FdKind::Unsupported => 'o',
            FdKind::Pipe => 'p',
            FdKind::EventFd => 'e',
            FdKind::SignalFd => 's',
            FdKind::EventPoll => 'l',
            FdKind::Inotify => 'i',
            FdKind::TimerFd => 't',
            FdKind::Bpf => 'b',
            FdKind::UserFaultFd => 'u',
            FdKind::IoUring => 'r',
            FdKind::Memfd => 'm',
            FdKind::PidFd => 'P',
        }
    }
    /// True for socket kinds.
    pub fn is_socket(self) -> bool {
        matches!(self, FdKind::Ipv4Sock | FdKind::Ipv6Sock | FdKind::UnixSock | FdKind::NetlinkSock | FdKind::OtherSock)
    }
}

/// Layer-4 protocol of a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[allow(missing_docs)]
pub enum L4Proto {
    #[default]
    Unknown,
    Tcp,
    Udp,
    Icmp,
    Raw,
}

impl L4Proto {
    /// From libscap's `SCAP_L4_*` numbering (0 unknown, 1 NA, 2 TCP, 3 UDP, 4 ICMP, 5 RAW).
    pub fn from_scap(v: u8) -> L4Proto {
        match v {
            2 => L4Proto::Tcp,
            3 => L4Proto::Udp,
            4 => L4Proto::Icmp,
            5 => L4Proto::Raw,
            _ => L4Proto::Unknown,
        }
    }
    /// Falco's `fd.l4proto` text.
    pub fn as_str(self) -> &'static str {
        match self {
            L4Proto::Unknown => "unknown",
            L4Proto::Tcp => "tcp",
            L4Proto::Udp => "udp",
            L4Proto::Icmp => "icmp",
            L4Proto::Raw => "raw",
        }
    }
}

/// Which end of a connection this process holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SockRole {
    /// Not known (socket created, not connected/accepted yet).
    #[default]
    None,
    /// Connected out (`connect`).
    Client,
    /// Accepted or listening (`accept`, `bind`, `listen`).
    Server,
}

/// Socket endpoint details.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SockInfo {
    /// Client address (`fd.cip`), for a connected inet socket.
    pub cip: Option<IpAddr>,
    /// Client port.
    pub cport: u16,
    /// Server address (`fd.sip`), or the bound address of a listening socket.
    pub sip: Option<IpAddr>,
    /// Server port, or the bound port of a listening socket.
    pub sport: u16,
    /// L4 protocol.
    pub l4proto: L4Proto,
    /// Client or server side.
    pub role: SockRole,
    /// Unix socket path.
    pub unix_path: Option<String>,
    /// Unix socket kernel pointers (source, destination).
    pub unix_ptrs: Option<(u64, u64)>,
    /// True after a successful connect/accept.
    pub connected: bool,
}

/// One open file descriptor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FdInfo {
    /// The fd number.
    pub fd: i64,
    /// Object kind.
    pub kind: FdKind,
    /// Falco's `fd.name`: the path for files, `cip:cport->sip:sport` for connected inet
    /// sockets, `ip:port` for bound ones, the unix tuple/path for unix sockets.
    pub name: String,
    /// PPM open flags (`PPM_O_*`), for files.
    pub open_flags: u32,
    /// Inode, when known.
    pub ino: u64,
    /// Device, when known.
    pub dev: u32,
    /// Socket details, for sockets.
    pub sock: Option<SockInfo>,
}

impl FdInfo {
    /// A new fd of `kind` called `name`.
    pub fn new(fd: i64, kind: FdKind, name: impl Into<String>) -> FdInfo {
        FdInfo { fd, kind, name: name.into(), open_flags: 0, ino: 0, dev: 0, sock: None }
    }
    /// A file fd with PPM open flags.
    pub fn file(fd: i64, path: impl Into<String>, open_flags: u32) -> FdInfo {
        FdInfo { open_flags, ..FdInfo::new(fd, FdKind::File, path) }
    }
    /// The directory part of a file fd's name (`fd.directory`).
    pub fn directory(&self) -> Option<&str> {
        if !matches!(self.kind, FdKind::File | FdKind::Directory) {
            return None;
        }
        Some(match last_slash(&self.name) {
            Some(0) => "/",
            Some(i) => &self.name[..i],
            None => "",
        })
    }
    /// The file name part (`fd.filename`).
    pub fn filename(&self) -> Option<&str> {
        if !matches!(self.kind, FdKind::File | FdKind::Directory) {
            return None;
        }
        Some(last_slash(&self.name).map_or(self.name.as_str(), |i| &self.name[i + 1..]))
    }
    /// Opened for writing (`PPM_O_WRONLY` bit, which `O_RDWR` includes).
    pub fn is_open_write(&self) -> bool {
        self.open_flags & flags::PPM_O_WRONLY != 0
    }
    /// Opened for reading.
    pub fn is_open_read(&self) -> bool {
        self.open_flags & flags::PPM_O_RDONLY != 0
    }
}

/// One thread (and, for the main thread `tid == pid`, the process).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ThreadInfo {
    /// Thread id (host namespace).
    pub tid: i64,
    /// Process id (thread group id).
    pub pid: i64,
    /// Parent thread id.
    pub ptid: i64,
    /// Session id.
    pub sid: i64,
    /// Process group id as seen in the process's pid namespace.
    pub vpgid: i64,
    /// Process group id (host).
    pub pgid: i64,
    /// Thread id in its pid namespace.
    pub vtid: i64,
    /// Process id in its pid namespace.
    pub vpid: i64,
    /// `comm` (`proc.name`).
    pub comm: String,
    /// argv[0] (`proc.exe`).
    pub exe: String,
    /// Full executable path (`proc.exepath`).
    pub exepath: String,
    /// argv[1..] (`proc.args`).
    pub args: Vec<String>,
    /// Environment `K=V` entries.
    pub env: Vec<String>,
    /// Working directory, with a trailing `/` as Falco keeps it.
    pub cwd: String,
    /// Root directory (chroot).
    pub root: String,
    /// Effective uid.
    pub uid: u32,
    /// Effective gid.
    pub gid: u32,
    /// Login uid (`u32::MAX` when unset, like the kernel's `-1`).
    pub loginuid: u32,
    /// Inheritable capabilities.
    pub cap_inheritable: u64,
    /// Permitted capabilities.
    pub cap_permitted: u64,
    /// Effective capabilities.
    pub cap_effective: u64,
    /// Controlling terminal.
    pub tty: u32,
    /// `(subsystem, path)` cgroup pairs.
    pub cgroups: Vec<(String, String)>,
    /// Container id (12 hex chars), empty on the host.
    pub container_id: String,
    /// Thread start time (ns since epoch; clone event time, or /proc start time).
    pub clone_ts: u64,
    /// Start time of the pid namespace's init.
    pub pidns_init_start_ts: u64,
    /// Max fds.
    pub fdlimit: i64,
    /// PPM clone flags of the creating clone.
    pub clone_flags: u32,
    /// Executable is writable by the user (`proc.is_exe_writable`).
    pub exe_writable: bool,
    /// Executable is on an overlayfs upper layer.
    pub exe_upper_layer: bool,
    /// Executable is on an overlayfs lower layer.
    pub exe_lower_layer: bool,
    /// Executable came from a memfd.
    pub exe_from_memfd: bool,
    /// Executable inode.
    pub exe_ino: u64,
    /// Executable inode ctime.
    pub exe_ino_ctime: u64,
    /// Executable inode mtime.
    pub exe_ino_mtime: u64,
    /// Virtual memory size, KiB.
    pub vmsize_kb: u32,
    /// Resident set size, KiB.
    pub vmrss_kb: u32,
    /// Swap, KiB.
    pub vmswap_kb: u32,
    /// Timestamp of the last event of this thread.
    pub last_seen: u64,
    /// The thread exited but is kept because other threads of its process live on.
    pub exited: bool,
    /// The thread comes from the capture's process list (or /proc), not from a clone the
    /// state saw: its `ptid` is then the parent *process* (the `PPid` of /proc), also for a
    /// secondary thread, whatever its clone flags say.
    pub from_proc_list: bool,
}

impl ThreadInfo {
    /// A thread with the given ids and everything else empty.
    pub fn new(tid: i64, pid: i64, ptid: i64) -> ThreadInfo {
        ThreadInfo { tid, pid, ptid, vtid: tid, vpid: pid, loginuid: u32::MAX, ..ThreadInfo::default() }
    }
    /// The entry libsinsp adds for a thread it meets in an event without knowing it (neither in
    /// the capture's process list nor created by a clone it saw): pid assumed equal to the tid,
    /// parent unknown (-1), `comm` and `exe` the literal `<NA>` libsinsp writes, and uid, gid
    /// and loginuid unknown (`u32::MAX`, shown as 4294967295, with no user name: not root),
    /// vtid/vpid unknown (-1, `proc.vpid` has no value) and no exepath. Events that follow
    /// (execve exit, clone...) fill in what they carry.
    pub fn unknown(tid: i64) -> ThreadInfo {
        ThreadInfo {
            tid,
            pid: tid,
            ptid: -1,
            vtid: -1,
            vpid: -1,
            comm: "<NA>".into(),
            exe: "<NA>".into(),
            cwd: "/".into(),
            uid: u32::MAX,
            gid: u32::MAX,
            loginuid: u32::MAX,
            ..ThreadInfo::default()
        }
    }
    /// True for the main thread of its process (`thread.ismain`).
    pub fn is_main_thread(&self) -> bool {
        self.tid == self.pid
    }
    /// `proc.cmdline`: name and args joined with spaces.
    pub fn cmdline(&self) -> String {
        let mut s = self.comm.clone();
        for a in &self.args {
            s.push(' ');
            s.push_str(a);
        }
        s
    }
    /// The value of environment variable `name`.
    pub fn env_var(&self, name: &str) -> Option<&str> {
        self.env.iter().find_map(|e| e.strip_prefix(name)?.strip_prefix('='))
    }
    /// The cgroup path of `subsys` (`thread.cgroup.SUBSYS`).
    pub fn cgroup(&self, subsys: &str) -> Option<&str> {
        self.cgroups.iter().find(|(s, _)| s == subsys).map(|(_, p)| p.as_str())
    }
    /// Sets cgroups from `subsys=path` strings (scap format) and derives the container id.
    pub fn set_cgroups_from_scap(&mut self, list: &[String]) {
        self.cgroups =
            list.iter().filter_map(|s| s.split_once('=').map(|(a, b)| (a.to_string(), b.to_string()))).collect();
        self.container_id = container_id_from_cgroups(self.cgroups.iter().map(|(_, p)| p.as_str()))
            .map(|(_, id)| short_id(&id))
            .unwrap_or_default();
    }
}

/// A user-table entry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[allow(missing_docs)]
pub struct UserInfo {
    pub uid: u32,
    pub gid: u32,
    pub name: String,
    pub home: String,
    pub shell: String,
}

/// A group-table entry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[allow(missing_docs)]
pub struct GroupInfo {
    pub gid: u32,
    pub name: String,
}

/// Container runtimes recognised in cgroup paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum ContainerRuntime {
    Docker,
    Crio,
    Containerd,
    Podman,
    /// A bare 64-hex cgroup component (e.g. `/kubepods/.../<id>`, runtime not named).
    Unknown,
}

fn is_hex64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|c| c.is_ascii_hexdigit())
}

fn short_id(id: &str) -> String {
    id.chars().take(12).collect()
}

/// Finds a container id in cgroup paths: `docker-<id>.scope`, `/docker/<id>`, `crio-<id>.scope`,
/// `/crio/<id>`, `cri-containerd-<id>.scope`, `libpod-<id>.scope` / `/libpod-<id>`, or a bare
/// 64-hex component (kubepods). Returns the runtime and the full 64-hex id.
pub fn container_id_from_cgroups<'a>(paths: impl IntoIterator<Item = &'a str>) -> Option<(ContainerRuntime, String)> {
    for path in paths {
        let comps: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
        for (i, comp) in comps.iter().enumerate().rev() {
            let c = comp.strip_suffix(".scope").unwrap_or(comp);
            for (prefix, rt) in [
                ("docker-", ContainerRuntime::Docker),
                ("crio-", ContainerRuntime::Crio),
                ("cri-containerd-", ContainerRuntime::Containerd),
                ("libpod-", ContainerRuntime::Podman),
            ] {
                if let Some(id) = c.strip_prefix(prefix)
                    && is_hex64(id)
                {
                    return Some((rt, id.to_string()));
                }
            }
            if is_hex64(c) {
                let rt = match i.checked_sub(1).and_then(|j| comps.get(j)) {
                    Some(&"docker") => ContainerRuntime::Docker,
                    Some(&"crio") => ContainerRuntime::Crio,
                    Some(p) if p.starts_with("libpod") => ContainerRuntime::Podman,
                    _ => ContainerRuntime::Unknown,
                };
                return Some((rt, c.to_string()));
            }
        }
    }
    None
}

/// Caps on table sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Max threads in the thread table.
    pub max_threads: usize,
    /// Max fds in one process's fd table.
    pub max_fds_per_process: usize,
    /// Max entries in the user table and in the group table.
    pub max_users: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { max_threads: 131_072, max_fds_per_process: 4_096, max_users: 65_536 }
    }
}

/// Counters kept by the state machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// Events applied.
    pub events: u64,
    /// Threads evicted because the table was full.
    pub threads_evicted: u64,
    /// Fds not recorded because their process's fd table was full.
    pub fds_evicted: u64,
    /// Users/groups not recorded because the table was full.
    pub users_evicted: u64,
    /// Events whose thread was not in the table.
    pub unknown_thread_events: u64,
    /// Threads removed on `procexit`.
    pub threads_exited: u64,
    /// Entries added for events of unknown threads ([`ThreadInfo::unknown`]).
    pub placeholder_threads: u64,
}

#[derive(Debug, Default, Clone)]
struct FdTable {
    fds: BTreeMap<i64, FdInfo>,
    /// Threads using this table.
    refs: u32,
}

#[derive(Debug, Clone)]
enum Deferred {
    CloseFd { pid: i64, fd: i64 },
    RemoveThread { tid: i64 },
}

/// The position of the last `/` in a path. A plain backwards loop: the last component is short,
/// so this beats `rfind`'s vectorised search on the paths rules test.
#[inline]
pub(crate) fn last_slash(path: &str) -> Option<usize> {
    path.as_bytes().iter().rposition(|&b| b == b'/')
}

/// The thread table, fd tables and user tables.
#[derive(Debug, Clone, Default)]
pub struct State {
    threads: rustc_hash::FxHashMap<i64, ThreadInfo>,
    fdtables: rustc_hash::FxHashMap<i64, FdTable>,
    users: HashMap<(String, u32), UserInfo>,
    groups: HashMap<(String, u32), GroupInfo>,
    deferred: Vec<Deferred>,
    limits: Limits,
    stats: Stats,
}

/// `PPM_AT_FDCWD`.
const AT_FDCWD: i64 = -100;
const EINPROGRESS: i64 = -115;

/// Normalises an absolute path: collapses `//`, `.` and `..`.
pub fn normalize_path(p: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    let mut s = String::with_capacity(p.len() + 1);
    for c in &out {
        s.push('/');
        s.push_str(c);
    }
    if s.is_empty() {
        s.push('/');
    }
    s
}

/// Joins `rel` onto `base` (a directory) and normalises; an absolute `rel` stays as is.
pub fn join_path(base: &str, rel: &str) -> String {
    if rel.starts_with('/') || base.is_empty() {
        if rel.starts_with('/') { normalize_path(rel) } else { rel.to_string() }
    } else {
        normalize_path(&format!("{base}/{rel}"))
    }
}

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

fn with_slash(mut s: String) -> String {
    if !s.ends_with('/') {
        s.push('/');
    }
    s
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
    pub fn thread(&self, tid: i64) -> Option<&ThreadInfo> {
        self.threads.get(&tid)
    }
    /// All threads (in no particular order).
    pub fn threads(&self) -> impl Iterator<Item = &ThreadInfo> {
        self.threads.values()
    }
    /// Number of threads in the table.
    pub fn thread_count(&self) -> usize {
        self.threads.len()
    }
    /// The main thread of `t`'s process (`t` itself for a main thread; `t` when the main thread
    /// is unknown).
    pub fn main_thread<'a>(&'a self, t: &'a ThreadInfo) -> &'a ThreadInfo {
        self.threads.get(&t.pid).unwrap_or(t)
    }
    /// The parent process of `t` (the main thread of the process that created it).
    pub fn parent(&self, t: &ThreadInfo) -> Option<&ThreadInfo> {
        let main = self.main_thread(t);
        let p = self.threads.get(&main.ptid)?;
        let pm = self.main_thread(p);
        if pm.pid == main.pid { None } else { Some(pm) }
    }
    /// Ancestors of `t`: parent, grandparent... (not `t` itself). Stops at a loop or a missing
    /// parent.
    pub fn ancestors<'a>(&'a self, t: &'a ThreadInfo) -> impl Iterator<Item = &'a ThreadInfo> + 'a {
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
        let pid = self.threads.get(&tid)?.pid;
        self.fdtables.get(&pid)?.fds.get(&fd)
    }
    /// All fds of thread `tid`'s process, in fd order.
    pub fn fds(&self, tid: i64) -> impl Iterator<Item = &FdInfo> {
        let pid = self.threads.get(&tid).map(|t| t.pid);
        pid.and_then(|p| self.fdtables.get(&p)).into_iter().flat_map(|t| t.fds.values())
    }
    /// The fd number an event refers to: for dup-like exits the new fd (`res`); otherwise its
    /// `fd` parameter; for fd-creating exit events without one, `res` when non-negative.
    pub fn event_fd(ev: &Event) -> Option<i64> {
        if ev.dir == Direction::Exit && matches!(ev.name, "dup" | "dup2" | "dup3") {
            return ev.int("res").filter(|r| *r >= 0);
        }
        // `ev.param("fd")`, inlined: rules ask this of nearly every event, and comparing with a
        // constant name avoids a `memcmp` call per parameter.
        if let Some(p) = ev.params.iter().find(|p| p.name.as_bytes() == b"fd")
            && let ParamValue::Fd(fd) = p.value
        {
            return Some(fd);
        }
        if ev.dir == Direction::Exit && creates_fd_from_res(ev.name) {
            return ev.int("res").filter(|r| *r >= 0);
        }
        None
    }
    /// The fd info of the fd an event refers to ([`State::event_fd`]), as rules see it.
    pub fn event_fd_info(&self, ev: &Event) -> Option<&FdInfo> {
        self.fd(ev.tid, State::event_fd(ev)?)
    }
    /// User `uid` (host table; `container_id` empty) or in a container's table.
    pub fn user(&self, container_id: &str, uid: u32) -> Option<&UserInfo> {
        self.users.get(&(container_id.to_string(), uid))
    }
    /// Group `gid`.
    pub fn group(&self, container_id: &str, gid: u32) -> Option<&GroupInfo> {
        self.groups.get(&(container_id.to_string(), gid))
    }
    /// Every fd table as (owning pid, its fds in fd order), in no particular order. Includes
    /// tables whose process has no thread yet (a capture's fd list may name one): a thread
    /// added later shares it, so a saved state must keep it (`crate::capture`).
    pub fn fd_tables(&self) -> impl Iterator<Item = (i64, impl Iterator<Item = &FdInfo>)> {
        self.fdtables.iter().map(|(pid, t)| (*pid, t.fds.values()))
    }
    /// Every user as (container id, user), in no particular order.
    pub fn users(&self) -> impl Iterator<Item = (&str, &UserInfo)> {
        self.users.iter().map(|((c, _), u)| (c.as_str(), u))
    }
    /// Every group as (container id, group), in no particular order.
    pub fn groups(&self) -> impl Iterator<Item = (&str, &GroupInfo)> {
        self.groups.iter().map(|((c, _), g)| (c.as_str(), g))
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
        let key = (container_id.to_string(), u.uid);
        if self.users.len() >= self.limits.max_users && !self.users.contains_key(&key) {
            self.stats.users_evicted += 1;
            return;
        }
        self.users.insert(key, u);
    }
    /// Adds a group.
    pub fn add_group(&mut self, container_id: &str, g: GroupInfo) {
        let key = (container_id.to_string(), g.gid);
        if self.groups.len() >= self.limits.max_users && !self.groups.contains_key(&key) {
            self.stats.users_evicted += 1;
            return;
        }
        self.groups.insert(key, g);
    }

    fn insert_thread(&mut self, t: ThreadInfo) {
        if !self.threads.contains_key(&t.tid) && self.threads.len() >= self.limits.max_threads {
            self.evict_threads();
        }
        let pid = t.pid;
        if let Some(old) = self.threads.insert(t.tid, t) {
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
        if tab.fds.len() >= max && !tab.fds.contains_key(&f.fd) {
            self.stats.fds_evicted += 1;
            return;
        }
        tab.fds.insert(f.fd, f);
    }

    fn fd_mut(&mut self, pid: i64, fd: i64) -> Option<&mut FdInfo> {
        self.fdtables.get_mut(&pid)?.fds.get_mut(&fd)
    }

    // ---- events -----------------------------------------------------------------------------

    /// Carries out removals deferred by the last applied event (closed fds, exited threads).
    /// [`State::apply`] calls this first; call it directly at the end of a stream.
    pub fn flush_deferred(&mut self) {
        for d in std::mem::take(&mut self.deferred) {
            match d {
                Deferred::CloseFd { pid, fd } => {
                    if let Some(t) = self.fdtables.get_mut(&pid) {
                        t.fds.remove(&fd);
                    }
                }
                Deferred::RemoveThread { tid } => self.exit_thread(tid),
            }
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
                t.exited = true;
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

    /// Applies one event (see the module doc for what is visible when).
    pub fn apply(&mut self, ev: &Event) {
        self.flush_deferred();
        self.stats.events += 1;
        match self.threads.get_mut(&ev.tid) {
            Some(t) => t.last_seen = ev.ts,
            None => {
                self.stats.unknown_thread_events += 1;
                // Like libsinsp in capture mode, add libsinsp's "fake" entry for a thread met
                // for the first time, so its fds and credentials can be tracked from here on.
                if ev.tid > 0 && creates_unknown_thread(ev) {
                    let mut t = ThreadInfo::unknown(ev.tid);
                    t.last_seen = ev.ts;
                    self.insert_thread(t);
                    self.stats.placeholder_threads += 1;
                }
            }
        }
        // libsinsp's parser has nothing for generic events (`PPME_GENERIC_E/X`): their name
        // (`dup`, `setsid`... on captures older than those syscalls' dedicated events) must not
        // reach the name-based dispatch below, whose handlers expect the dedicated params.
        if ev.is_generic() {
            return;
        }
        match ev.dir {
            Direction::Enter => self.apply_enter(ev),
            Direction::Exit => self.apply_exit(ev),
        }
    }

    fn apply_enter(&mut self, ev: &Event) {
        match ev.name {
            "procexit" => self.deferred.push(Deferred::RemoveThread { tid: ev.tid }),
            "useradded" | "userdeleted" => {
                let u = UserInfo {
                    uid: ev.int("uid").unwrap_or(0) as u32,
                    gid: ev.int("gid").unwrap_or(0) as u32,
                    name: ev.str("name").unwrap_or("").to_string(),
                    home: ev.str("home").unwrap_or("").to_string(),
                    shell: ev.str("shell").unwrap_or("").to_string(),
                };
                let cid = ev.str("container_id").unwrap_or("").to_string();
                if ev.name == "useradded" {
                    self.add_user(&cid, u);
                } else {
                    self.users.remove(&(cid, u.uid));
                }
            }
            "groupadded" | "groupdeleted" => {
                let g = GroupInfo {
                    gid: ev.int("gid").unwrap_or(0) as u32,
                    name: ev.str("name").unwrap_or("").to_string(),
                };
                let cid = ev.str("container_id").unwrap_or("").to_string();
                if ev.name == "groupadded" {
                    self.add_group(&cid, g);
                } else {
                    self.groups.remove(&(cid, g.gid));
                }
            }
            _ => {}
        }
    }

    fn pid_of(&self, tid: i64) -> Option<i64> {
        self.threads.get(&tid).map(|t| t.pid)
    }

    fn apply_exit(&mut self, ev: &Event) {
        let res = ev.int("res");
        match ev.name {
            "clone" | "clone3" | "fork" | "vfork" => self.on_clone(ev),
            "execve" | "execveat" if res.unwrap_or(0) == 0 => self.on_execve(ev),
            "open" | "openat" | "openat2" | "creat" | "open_by_handle_at" => self.on_open(ev),
            "close" => {
                if res.unwrap_or(0) >= 0
                    && let (Some(fd), Some(pid)) = (ev.int("fd"), self.pid_of(ev.tid))
                {
                    self.deferred.push(Deferred::CloseFd { pid, fd });
                }
            }
            "dup" | "dup2" | "dup3" => {
                let old = ev.int("oldfd").or_else(|| ev.int("fd"));
                if let (Some(new), Some(old)) = (res.filter(|r| *r >= 0), old) {
                    let cloexec = ev.int("flags").is_some_and(|f| f as u32 & flags::PPM_O_CLOEXEC != 0);
                    self.dup_fd(ev.tid, old, new, cloexec);
                }
            }
            "fcntl" => {
                let cmd = ev.int("cmd");
                if matches!(cmd, Some(flags::PPM_FCNTL_F_DUPFD | flags::PPM_FCNTL_F_DUPFD_CLOEXEC))
                    && let (Some(new), Some(old)) = (res.filter(|r| *r >= 0), ev.int("fd"))
                {
                    self.dup_fd(ev.tid, old, new, cmd == Some(flags::PPM_FCNTL_F_DUPFD_CLOEXEC));
                }
            }
            "socket" => self.on_socket(ev),
            "socketpair" if res.unwrap_or(0) >= 0 => {
                let src = ev.int("source").unwrap_or(0) as u64;
                let peer = ev.int("peer").unwrap_or(0) as u64;
                for (p, a, b) in [("fd1", src, peer), ("fd2", peer, src)] {
                    if let Some(fd) = ev.int(p).filter(|f| *f >= 0) {
                        let mut f = FdInfo::new(fd, FdKind::UnixSock, format!("{a:x}->{b:x}"));
                        f.sock = Some(SockInfo { unix_ptrs: Some((a, b)), ..SockInfo::default() });
                        self.add_fd_for(ev.tid, f);
                    }
                }
            }
            "connect" => {
                if let Some(r) = res
                    && (r >= 0 || r == EINPROGRESS)
                    && let Some(fd) = ev.int("fd")
                {
                    self.on_connected(ev, fd, SockRole::Client, r >= 0);
                }
            }
            "accept" | "accept4" => {
                let fd = ev.int("fd").or(res);
                if let Some(fd) = fd.filter(|f| *f >= 0) {
                    self.on_connected(ev, fd, SockRole::Server, true);
                }
            }
            "bind" => {
                if res.unwrap_or(-1) >= 0
                    && let (Some(fd), Some(ParamValue::SockAddr(addr))) = (ev.int("fd"), ev.param("addr"))
                {
                    self.on_bind(ev.tid, fd, addr);
                }
            }
            "listen" => {
                if res.unwrap_or(-1) >= 0
                    && let (Some(fd), Some(pid)) = (ev.int("fd"), self.pid_of(ev.tid))
                    && let Some(f) = self.fd_mut(pid, fd)
                {
                    f.sock.get_or_insert_with(SockInfo::default).role = SockRole::Server;
                }
            }
            "pipe" | "pipe2" if res.unwrap_or(-1) >= 0 => {
                let ino = ev.int("ino").unwrap_or(0) as u64;
                let fl = ev.int("flags").unwrap_or(0) as u32;
                for p in ["fd1", "fd2"] {
                    if let Some(fd) = ev.int(p).filter(|f| *f >= 0) {
                        // libsinsp gives pipe() fds no name (only the inode): `fd.name` is
                        // empty, unlike a pipe found in /proc (`pipe:[ino]`, its link text).
                        let mut f = FdInfo::new(fd, FdKind::Pipe, String::new());
                        f.ino = ino;
                        f.open_flags = fl;
                        self.add_fd_for(ev.tid, f);
                    }
                }
            }
            "eventfd" | "eventfd2" => self.simple_fd(ev, FdKind::EventFd, "anon_inode:[eventfd]"),
            "signalfd" | "signalfd4" => self.simple_fd(ev, FdKind::SignalFd, "anon_inode:[signalfd]"),
            "timerfd_create" => self.simple_fd(ev, FdKind::TimerFd, "anon_inode:[timerfd]"),
            "inotify_init" | "inotify_init1" => self.simple_fd(ev, FdKind::Inotify, "anon_inode:inotify"),
            "epoll_create" | "epoll_create1" => self.simple_fd(ev, FdKind::EventPoll, "anon_inode:[eventpoll]"),
            "userfaultfd" => self.simple_fd(ev, FdKind::UserFaultFd, "anon_inode:[userfaultfd]"),
            "io_uring_setup" => self.simple_fd(ev, FdKind::IoUring, "anon_inode:[io_uring]"),
            "bpf" => self.simple_fd(ev, FdKind::Bpf, "anon_inode:bpf"),
            "pidfd_open" | "pidfd_getfd" => self.simple_fd(ev, FdKind::PidFd, "anon_inode:[pidfd]"),
            "memfd_create" => {
                let name = format!("memfd:{}", ev.str("name").unwrap_or(""));
                self.simple_fd(ev, FdKind::Memfd, &name);
            }
            "chdir" => {
                if res.unwrap_or(-1) >= 0
                    && let Some(p) = ev.str("path")
                {
                    let p = p.to_string();
                    self.set_cwd(ev.tid, &p);
                }
            }
            "fchdir" => {
                if res.unwrap_or(-1) >= 0
                    && let Some(fd) = ev.int("fd")
                    && let Some(f) = self.fd(ev.tid, fd)
                {
                    let p = f.name.clone();
                    self.set_cwd(ev.tid, &p);
                }
            }
            "chroot" => {
                if res.unwrap_or(-1) >= 0
                    && let Some(p) = ev.str("path").map(str::to_string)
                    && let Some(t) = self.threads.get_mut(&ev.tid)
                {
                    t.root = join_path(&t.cwd, &p);
                }
            }
            "setuid" | "setresuid" | "setreuid" if res == Some(0) => {
                let uid = ev.int("euid").or_else(|| ev.int("uid"));
                if let Some(u) = uid.map(|u| u as u32).filter(|u| *u != u32::MAX)
                    && let Some(t) = self.threads.get_mut(&ev.tid)
                {
                    t.uid = u;
                }
            }
            "setgid" | "setresgid" | "setregid" if res == Some(0) => {
                let gid = ev.int("egid").or_else(|| ev.int("gid"));
                if let Some(g) = gid.map(|g| g as u32).filter(|g| *g != u32::MAX)
                    && let Some(t) = self.threads.get_mut(&ev.tid)
                {
                    t.gid = g;
                }
            }
            "capset" => {
                if res == Some(0)
                    && let Some(t) = self.threads.get_mut(&ev.tid)
                {
                    if let Some(v) = ev.int("cap_inheritable") {
                        t.cap_inheritable = v as u64;
                    }
                    if let Some(v) = ev.int("cap_permitted") {
                        t.cap_permitted = v as u64;
                    }
                    if let Some(v) = ev.int("cap_effective") {
                        t.cap_effective = v as u64;
                    }
                }
            }
            "setsid" => {
                if let Some(sid) = res.filter(|r| *r > 0)
                    && let Some(t) = self.threads.get_mut(&ev.tid)
                {
                    t.sid = sid;
                }
            }
            _ => {}
        }
    }

    fn add_fd_for(&mut self, tid: i64, f: FdInfo) {
        if let Some(pid) = self.pid_of(tid) {
            self.insert_fd(pid, f);
        }
    }

    fn simple_fd(&mut self, ev: &Event, kind: FdKind, name: &str) {
        let fd = if ev.name == "bpf" || ev.name == "memfd_create" || ev.name.starts_with("pidfd") {
            ev.int("fd")
        } else {
            ev.int("res")
        };
        if let Some(fd) = fd.filter(|f| *f >= 0) {
            let mut f = FdInfo::new(fd, kind, name);
            f.open_flags = ev.int("flags").unwrap_or(0) as u32;
            self.add_fd_for(ev.tid, f);
        }
    }

    fn dup_fd(&mut self, tid: i64, old: i64, new: i64, cloexec: bool) {
        let Some(pid) = self.pid_of(tid) else { return };
        match self.fdtables.get(&pid).and_then(|t| t.fds.get(&old)).cloned() {
            Some(mut f) => {
                f.fd = new;
                f.open_flags &= !flags::PPM_O_CLOEXEC;
                if cloexec {
                    f.open_flags |= flags::PPM_O_CLOEXEC;
                }
                self.insert_fd(pid, f);
            }
            None => {
                if let Some(t) = self.fdtables.get_mut(&pid) {
                    t.fds.remove(&new);
                }
            }
        }
    }

    fn set_cwd(&mut self, tid: i64, path: &str) {
        let Some(t) = self.threads.get(&tid) else {
            return;
        };
        let pid = t.pid;
        let cwd = with_slash(join_path(&t.cwd, path));
        for t in self.threads.values_mut().filter(|t| t.pid == pid) {
            t.cwd = cwd.clone();
        }
    }

    fn on_open(&mut self, ev: &Event) {
        let Some(fd) = ev.int("fd").filter(|f| *f >= 0) else {
            return;
        };
        let Some(t) = self.threads.get(&ev.tid) else {
            return;
        };
        let raw = ev.str("name").or_else(|| ev.str("path")).unwrap_or("");
        let path = if raw.starts_with('/') {
            normalize_path(raw)
        } else {
            let dirfd = ev.int("dirfd").unwrap_or(AT_FDCWD);
            let base = if dirfd == AT_FDCWD || !matches!(ev.param("name"), Some(ParamValue::RelPath(_))) {
                t.cwd.clone()
            } else {
                self.fd(ev.tid, dirfd).map(|f| f.name.clone()).unwrap_or_default()
            };
            if raw.is_empty() { raw.to_string() } else { join_path(&base, raw) }
        };
        let fl = ev.int("flags").unwrap_or(if ev.name == "creat" {
            (flags::PPM_O_CREAT | flags::PPM_O_WRONLY | (1 << 8)) as i64
        } else {
            0
        }) as u32;
        let kind = if fl & flags::PPM_O_DIRECTORY != 0 { FdKind::Directory } else { FdKind::File };
        let mut f = FdInfo::file(fd, path, fl);
        f.kind = kind;
        f.dev = ev.int("dev").unwrap_or(0) as u32;
        f.ino = ev.int("ino").unwrap_or(0) as u64;
        self.add_fd_for(ev.tid, f);
    }

    fn on_socket(&mut self, ev: &Event) {
        let Some(fd) = ev.int("fd").or_else(|| ev.int("res")).filter(|f| *f >= 0) else {
            return;
        };
        let domain = ev.int("domain").unwrap_or(0);
        let kind = match u8::try_from(domain).unwrap_or(0) {
            flags::PPM_AF_INET => FdKind::Ipv4Sock,
            flags::PPM_AF_INET6 => FdKind::Ipv6Sock,
            flags::PPM_AF_UNIX => FdKind::UnixSock,
            flags::PPM_AF_NETLINK => FdKind::NetlinkSock,
            _ => FdKind::OtherSock,
        };
        let l4 = match ev.int("type").unwrap_or(0) & 0xf {
            1 => L4Proto::Tcp,
            2 => L4Proto::Udp,
            3 => L4Proto::Raw,
            _ => L4Proto::Unknown,
        };
        let mut f = FdInfo::new(fd, kind, "");
        f.open_flags = ev.int("flags").unwrap_or(0) as u32;
        f.sock = Some(SockInfo { l4proto: l4, ..SockInfo::default() });
        self.add_fd_for(ev.tid, f);
    }

    fn on_connected(&mut self, ev: &Event, fd: i64, role: SockRole, connected: bool) {
        let Some(pid) = self.pid_of(ev.tid) else {
            return;
        };
        let tuple = match ev.param("tuple") {
            Some(ParamValue::SockTuple(t)) => Some(t.clone()),
            _ => None,
        };
        let prev = self.fdtables.get(&pid).and_then(|t| t.fds.get(&fd)).cloned();
        let mut f = match prev {
            // accept creates a new fd; connect updates the socket's fd.
            Some(f) if role == SockRole::Client => f,
            _ => FdInfo::new(fd, FdKind::OtherSock, ""),
        };
        let mut s = f.sock.take().unwrap_or_default();
        s.role = role;
        s.connected = connected;
        match &tuple {
            Some(SockTuple::V4 { sip, sport, dip, dport }) => {
                f.kind = FdKind::Ipv4Sock;
                s.cip = Some(IpAddr::V4(*sip));
                s.cport = *sport;
                s.sip = Some(IpAddr::V4(*dip));
                s.sport = *dport;
                if s.l4proto == L4Proto::Unknown {
                    s.l4proto = L4Proto::Tcp;
                }
            }
            Some(SockTuple::V6 { sip, sport, dip, dport }) => {
                f.kind = FdKind::Ipv6Sock;
                s.cip = Some(IpAddr::V6(*sip));
                s.cport = *sport;
                s.sip = Some(IpAddr::V6(*dip));
                s.sport = *dport;
                if s.l4proto == L4Proto::Unknown {
                    s.l4proto = L4Proto::Tcp;
                }
            }
            Some(SockTuple::Unix { src, dst, path }) => {
                f.kind = FdKind::UnixSock;
                s.unix_ptrs = Some((*src, *dst));
                s.unix_path = Some(path.clone());
            }
            _ => {}
        }
        if let Some(t) = &tuple
            && !matches!(t, SockTuple::Other(..))
        {
            f.name = render_tuple(t);
        } else if role == SockRole::Client
            && let Some(ParamValue::SockAddr(a)) = ev.param("addr")
        {
            // No tuple (e.g. EINPROGRESS on an old driver): name from the destination address.
            match a {
                SockAddr::V4(ip, p) => {
                    f.kind = FdKind::Ipv4Sock;
                    s.sip = Some(IpAddr::V4(*ip));
                    s.sport = *p;
                }
                SockAddr::V6(ip, p) => {
                    f.kind = FdKind::Ipv6Sock;
                    s.sip = Some(IpAddr::V6(*ip));
                    s.sport = *p;
                }
                SockAddr::Unix(path) => {
                    f.kind = FdKind::UnixSock;
                    s.unix_path = Some(path.clone());
                    f.name = path.clone();
                }
                SockAddr::Other(..) => {}
            }
        }
        f.sock = Some(s);
        self.insert_fd(pid, f);
    }

    fn on_bind(&mut self, tid: i64, fd: i64, addr: &SockAddr) {
        let Some(pid) = self.pid_of(tid) else { return };
        let mut f = self
            .fdtables
            .get(&pid)
            .and_then(|t| t.fds.get(&fd))
            .cloned()
            .unwrap_or_else(|| FdInfo::new(fd, FdKind::OtherSock, ""));
        let mut s = f.sock.take().unwrap_or_default();
        s.role = SockRole::Server;
        match addr {
            SockAddr::V4(ip, p) => {
                f.kind = FdKind::Ipv4Sock;
                s.sip = Some(IpAddr::V4(*ip));
                s.sport = *p;
                f.name = format!("{ip}:{p}");
            }
            SockAddr::V6(ip, p) => {
                f.kind = FdKind::Ipv6Sock;
                s.sip = Some(IpAddr::V6(*ip));
                s.sport = *p;
                f.name = format!("{ip}:{p}");
            }
            SockAddr::Unix(path) => {
                f.kind = FdKind::UnixSock;
                s.unix_path = Some(path.clone());
                f.name = path.clone();
            }
            SockAddr::Other(..) => {}
        }
        f.sock = Some(s);
        self.insert_fd(pid, f);
    }

    fn on_clone(&mut self, ev: &Event) {
        let Some(res) = ev.int("res") else { return };
        if res < 0 {
            return;
        }
        let cflags = ev.int("flags").unwrap_or(0) as u32;
        let is_thread = cflags & flags::PPM_CL_CLONE_THREAD != 0;
        if res > 0 {
            // In the parent: create the child unless its own clone exit already did.
            let child = res;
            if self.threads.contains_key(&child) {
                return;
            }
            let mut t = match self.threads.get(&ev.tid) {
                Some(p) => p.clone(),
                None => {
                    let mut t = ThreadInfo::new(ev.tid, ev.int("pid").unwrap_or(ev.tid), ev.int("ptid").unwrap_or(0));
                    fill_proc_from_event(&mut t, ev);
                    t
                }
            };
            let parent_tid = ev.tid;
            let parent_pid = t.pid;
            let parent_ptid = t.ptid;
            t.tid = child;
            t.exited = false;
            if is_thread {
                t.ptid = parent_ptid;
            } else {
                t.pid = child;
                t.ptid = parent_tid;
                t.vpid = 0;
            }
            t.vtid = 0;
            t.clone_ts = ev.ts;
            t.last_seen = ev.ts;
            t.clone_flags = cflags;
            t.from_proc_list = false;
            self.spawn(t, parent_pid, is_thread);
        } else {
            // In the child: the event describes the child itself.
            let tid = ev.tid;
            let pid = ev.int("pid").unwrap_or(tid);
            let ptid = ev.int("ptid").unwrap_or(0);
            if let Some(t) = self.threads.get_mut(&tid) {
                t.pid = pid;
                t.ptid = ptid;
                fill_proc_from_event(t, ev);
                return;
            }
            let mut t = match self.threads.get(&ptid) {
                Some(p) => p.clone(),
                None => ThreadInfo::new(tid, pid, ptid),
            };
            let parent_pid = t.pid;
            t.tid = tid;
            t.pid = pid;
            t.ptid = ptid;
            t.exited = false;
            t.clone_ts = ev.ts;
            t.last_seen = ev.ts;
            t.clone_flags = cflags;
            t.from_proc_list = false;
            fill_proc_from_event(&mut t, ev);
            self.spawn(t, parent_pid, is_thread);
        }
    }

    fn spawn(&mut self, t: ThreadInfo, parent_pid: i64, is_thread: bool) {
        let pid = t.pid;
        let copy = if !is_thread && pid != parent_pid && !self.fdtables.contains_key(&pid) {
            self.fdtables.get(&parent_pid).map(|t| t.fds.clone())
        } else {
            None
        };
        self.insert_thread(t);
        if let Some(fds) = copy
            && let Some(tab) = self.fdtables.get_mut(&pid)
        {
            tab.fds = fds;
        }
    }

    fn on_execve(&mut self, ev: &Event) {
        let tid = ev.tid;
        if !self.threads.contains_key(&tid) {
            // Normally `apply` added the unknown-thread entry already (not for tid 0).
            let mut t = ThreadInfo::unknown(tid);
            t.pid = ev.int("pid").unwrap_or(tid);
            self.insert_thread(t);
        }
        let Some(t) = self.threads.get_mut(&tid) else {
            return;
        };
        // An entry made for an unknown thread learns its parent from the event (libsinsp
        // shows the execve's `ptid` as `proc.ppid` from that exit on).
        if t.ptid < 0
            && let Some(p) = ev.int("ptid")
        {
            t.ptid = p;
        }
        fill_proc_from_event(t, ev);
        if let Some(v) = ev.str("comm") {
            t.comm = v.to_string();
        } else if !t.exe.is_empty() {
            t.comm = t.exe.rsplit('/').next().unwrap_or(&t.exe).chars().take(15).collect();
        }
        t.env = ev.list("env").unwrap_or_default();
        if let Some(v) = ev.int("tty") {
            t.tty = v as u32;
        }
        if let Some(v) = ev.int("vpgid") {
            t.vpgid = v;
        }
        if let Some(v) = ev.int("pgid") {
            t.pgid = v;
        }
        if let Some(v) = ev.int("loginuid") {
            t.loginuid = v as u32;
        }
        if let Some(v) = ev.int("flags") {
            let v = v as u32;
            t.exe_writable = v & flags::PPM_EXE_WRITABLE != 0;
            t.exe_upper_layer = v & flags::PPM_EXE_UPPER_LAYER != 0;
            t.exe_lower_layer = v & flags::PPM_EXE_LOWER_LAYER != 0;
            t.exe_from_memfd = v & flags::PPM_EXE_FROM_MEMFD != 0;
        }
        if let Some(v) = ev.int("cap_inheritable") {
            t.cap_inheritable = v as u64;
        }
        if let Some(v) = ev.int("cap_permitted") {
            t.cap_permitted = v as u64;
        }
        if let Some(v) = ev.int("cap_effective") {
            t.cap_effective = v as u64;
        }
        if let Some(v) = ev.int("exe_ino") {
            t.exe_ino = v as u64;
        }
        if let Some(v) = ev.int("exe_ino_ctime") {
            t.exe_ino_ctime = v as u64;
        }
        if let Some(v) = ev.int("exe_ino_mtime") {
            t.exe_ino_mtime = v as u64;
        }
        // The exepath comes from the driver (`trusted_exepath`) or, for older layouts, from
        // the enter event's `filename` (merged into the exit by the replay) against the cwd.
        // Layouts with neither (execve before version 18) leave it as it was, as libsinsp
        // does: argv[0] is not a path to the executable (`-su`, `curl`).
        match (ev.str("trusted_exepath"), ev.str("filename")) {
            (Some(p), _) if !p.is_empty() => t.exepath = p.to_string(),
            (_, Some(f)) if !f.is_empty() => t.exepath = join_path(&t.cwd, f),
            _ => {}
        }
        let pid = t.pid;
        // The kernel closes O_CLOEXEC fds on a successful exec.
        if let Some(tab) = self.fdtables.get_mut(&pid) {
            tab.fds.retain(|_, f| f.open_flags & flags::PPM_O_CLOEXEC == 0);
        }
    }
}

/// Whether libsinsp adds an entry for the unknown thread of `ev` (`sinsp_parser::reset` looks
/// the thread up "querying the OS", which in capture mode means the fake entry): not for clone
/// exits, which build the thread themselves, nor for context switches (often kernel threads
/// about to go away), nor for events flagged `EF_SKIPPARSERESET` (procinfo, scapevent, drops,
/// page faults...), which are not attributed to a thread.
fn creates_unknown_thread(ev: &Event) -> bool {
    if ev.dir == Direction::Exit && matches!(ev.name, "clone" | "clone3" | "fork" | "vfork") && !ev.is_generic() {
        return false;
    }
    if ev.name == "switch" {
        return false;
    }
    !crate::fields::event_flags(ev).contains(rulec_schema::EventFlags::SKIPPARSERESET)
}

/// Copies the process fields common to clone and execve exit events into `t`.
fn fill_proc_from_event(t: &mut ThreadInfo, ev: &Event) {
    if let Some(v) = ev.str("exe") {
        t.exe = v.to_string();
    }
    if let Some(v) = ev.list("args") {
        t.args = v;
    }
    if let Some(v) = ev.str("comm") {
        t.comm = v.to_string();
    }
    if let Some(v) = ev.str("cwd") {
        t.cwd = with_slash(v.to_string());
    }
    if let Some(v) = ev.int("fdlimit") {
        t.fdlimit = v;
    }
    if let Some(v) = ev.list("cgroups") {
        t.set_cgroups_from_scap(&v);
    }
    if let Some(v) = ev.int("uid") {
        t.uid = v as u32;
    }
    if let Some(v) = ev.int("gid") {
        t.gid = v as u32;
    }
    if let Some(v) = ev.int("vtid") {
        t.vtid = v;
    }
    if let Some(v) = ev.int("vpid") {
        t.vpid = v;
    }
    if let Some(v) = ev.int("pidns_init_start_ts") {
        t.pidns_init_start_ts = v as u64;
    }
    if let Some(v) = ev.int("vm_size") {
        t.vmsize_kb = v as u32;
    }
    if let Some(v) = ev.int("vm_rss") {
        t.vmrss_kb = v as u32;
    }
    if let Some(v) = ev.int("vm_swap") {
        t.vmswap_kb = v as u32;
    }
}

fn creates_fd_from_res(name: &str) -> bool {
    matches!(
        name,
        "eventfd"
            | "eventfd2"
            | "signalfd"
            | "signalfd4"
            | "timerfd_create"
            | "inotify_init"
            | "inotify_init1"
            | "epoll_create"
            | "epoll_create1"
            | "userfaultfd"
            | "io_uring_setup"
            | "fcntl"
            | "accept"
            | "accept4"
            | "socket"
    )
}

// ---- /proc snapshot ---------------------------------------------------------------------------

fn read_string(p: &Path) -> Option<String> {
    fs::read(p).ok().map(|b| String::from_utf8_lossy(&b).into_owned())
}

fn read_link(p: &Path) -> Option<String> {
    fs::read_link(p).ok().map(|l| l.to_string_lossy().into_owned())
}

/// Inode → (kind, name, sock info) for sockets listed in `<root>/net/{tcp,tcp6,udp,udp6,unix}`.
fn proc_net_sockets(root: &Path) -> HashMap<u64, (FdKind, String, SockInfo)> {
    let mut out = HashMap::new();
    for (file, v6, l4) in [
        ("tcp", false, L4Proto::Tcp),
        ("udp", false, L4Proto::Udp),
        ("tcp6", true, L4Proto::Tcp),
        ("udp6", true, L4Proto::Udp),
    ] {
        let Some(text) = read_string(&root.join("net").join(file)) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(remote), Some(state), Some(ino)) =
                (cols.get(1), cols.get(2), cols.get(3), cols.get(9))
            else {
                continue;
            };
            let (Some((lip, lport)), Some((rip, rport)), Ok(ino)) =
                (parse_proc_addr(local, v6), parse_proc_addr(remote, v6), ino.parse::<u64>())
            else {
                continue;
            };
            let kind = if v6 { FdKind::Ipv6Sock } else { FdKind::Ipv4Sock };
            let listening = *state == "0A" || (l4 == L4Proto::Udp && rport == 0);
            let s = if listening {
                SockInfo { sip: Some(lip), sport: lport, l4proto: l4, role: SockRole::Server, ..SockInfo::default() }
            } else {
                SockInfo {
                    cip: Some(lip),
                    cport: lport,
                    sip: Some(rip),
                    sport: rport,
                    l4proto: l4,
                    connected: true,
                    ..SockInfo::default()
                }
            };
            let name = if listening { format!("{lip}:{lport}") } else { format!("{lip}:{lport}->{rip}:{rport}") };
            out.insert(ino, (kind, name, s));
        }
    }
    if let Some(text) = read_string(&root.join("net").join("unix")) {
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            if let Some(Ok(ino)) = cols.get(6).map(|s| s.parse::<u64>()) {
                let path = cols.get(7).map(|s| s.to_string()).unwrap_or_default();
                let s = SockInfo { unix_path: Some(path.clone()), ..SockInfo::default() };
                out.insert(ino, (FdKind::UnixSock, path, s));
            }
        }
    }
    out
}

fn parse_proc_addr(s: &str, v6: bool) -> Option<(IpAddr, u16)> {
    let (a, p) = s.split_once(':')?;
    let port = u16::from_str_radix(p, 16).ok()?;
    if v6 {
        if a.len() != 32 {
            return None;
        }
        let mut bytes = [0u8; 16];
        for (i, chunk) in bytes.chunks_mut(4).enumerate() {
            let w = u32::from_str_radix(a.get(i * 8..i * 8 + 8)?, 16).ok()?;
            chunk.copy_from_slice(&w.to_le_bytes());
        }
        Some((IpAddr::V6(Ipv6Addr::from(bytes)), port))
    } else {
        let w = u32::from_str_radix(a, 16).ok()?;
        Some((IpAddr::V4(Ipv4Addr::from(w.to_le_bytes())), port))
    }
}

fn status_field<'a>(status: &'a str, key: &str) -> Option<&'a str> {
    status.lines().find_map(|l| l.strip_prefix(key)?.strip_prefix(':')).map(str::trim)
}

fn thread_from_proc(dir: &Path, tid: i64, boot_ns: u64) -> Option<ThreadInfo> {
    let stat = read_string(&dir.join("stat"))?;
    // comm may hold spaces and parens: fields start after the last ')'.
    let (head, rest) = stat.rsplit_once(')')?;
    let comm = head.split_once('(').map(|(_, c)| c.to_string()).unwrap_or_default();
    let f: Vec<&str> = rest.split_whitespace().collect();
    let num = |i: usize| f.get(i).and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
    let status = read_string(&dir.join("status")).unwrap_or_default();
    let pid = status_field(&status, "Tgid").and_then(|s| s.parse().ok()).unwrap_or(tid);
    let mut t = ThreadInfo::new(tid, pid, num(1));
    t.from_proc_list = true;
    t.comm = comm;
    t.pgid = num(2);
    t.sid = num(3);
    t.vpgid = num(2);
    t.tty = num(4) as u32;
    // starttime (field 22, index 19 here) is in clock ticks since boot; assume USER_HZ=100.
    t.clone_ts = boot_ns.saturating_add((num(19) as u64).saturating_mul(10_000_000));
    let ids = |key: &str| -> Vec<u32> {
        status_field(&status, key)
            .map(|s| s.split_whitespace().filter_map(|x| x.parse().ok()).collect())
            .unwrap_or_default()
    };
    t.uid = ids("Uid").get(1).copied().unwrap_or(0);
    t.gid = ids("Gid").get(1).copied().unwrap_or(0);
    let cap = |key: &str| status_field(&status, key).and_then(|s| u64::from_str_radix(s, 16).ok()).unwrap_or(0);
    t.cap_inheritable = cap("CapInh");
    t.cap_permitted = cap("CapPrm");
    t.cap_effective = cap("CapEff");
    let ns = |key: &str| status_field(&status, key).and_then(|s| s.split_whitespace().last()?.parse().ok());
    t.vtid = ns("NSpid").unwrap_or(tid);
    t.vpid = ns("NStgid").unwrap_or(pid);
    t.vmsize_kb = status_field(&status, "VmSize").and_then(|s| s.split_whitespace().next()?.parse().ok()).unwrap_or(0);
    t.vmrss_kb = status_field(&status, "VmRSS").and_then(|s| s.split_whitespace().next()?.parse().ok()).unwrap_or(0);
    t.vmswap_kb = status_field(&status, "VmSwap").and_then(|s| s.split_whitespace().next()?.parse().ok()).unwrap_or(0);
    if let Some(b) = fs::read(dir.join("cmdline")).ok().filter(|b| !b.is_empty()) {
        let mut v = crate::event::split_nul(&b);
        if !v.is_empty() {
            t.exe = v.remove(0);
        }
        t.args = v;
    }
    if let Ok(b) = fs::read(dir.join("environ")) {
        t.env = crate::event::split_nul(&b);
    }
    t.cwd = with_slash(read_link(&dir.join("cwd")).unwrap_or_else(|| "/".into()));
    t.root = read_link(&dir.join("root")).unwrap_or_else(|| "/".into());
    t.exepath = read_link(&dir.join("exe")).unwrap_or_default();
    t.loginuid = read_string(&dir.join("loginuid")).and_then(|s| s.trim().parse().ok()).unwrap_or(u32::MAX);
    if let Some(cg) = read_string(&dir.join("cgroup")) {
        t.cgroups = cg
            .lines()
            .filter_map(|l| {
                let mut it = l.splitn(3, ':');
                let _id = it.next()?;
                let subsys = it.next()?;
                let path = it.next()?;
                Some((if subsys.is_empty() { "unified".to_string() } else { subsys.to_string() }, path.to_string()))
            })
            .collect();
        t.container_id = container_id_from_cgroups(t.cgroups.iter().map(|(_, p)| p.as_str()))
            .map(|(_, id)| short_id(&id))
            .unwrap_or_default();
    }
    Some(t)
}

fn fds_from_proc(dir: &Path, socks: &HashMap<u64, (FdKind, String, SockInfo)>, max: usize) -> Vec<FdInfo> {
    let mut out = Vec::new();
    let Ok(rd) = fs::read_dir(dir.join("fd")) else {
        return out;
    };
    for ent in rd.flatten().take(max) {
        let Some(fd) = ent.file_name().to_str().and_then(|s| s.parse::<i64>().ok()) else {
            continue;
        };
        let Some(target) = read_link(&ent.path()) else {
            continue;
        };
        let bracket_ino = |s: &str| s.split_once('[').and_then(|(_, r)| r.strip_suffix(']')?.parse::<u64>().ok());
        let f = if let Some(rest) = target.strip_prefix("socket:") {
            match bracket_ino(rest).and_then(|i| socks.get(&i).map(|s| (i, s))) {
                Some((ino, (kind, name, s))) => {
                    let mut f = FdInfo::new(fd, *kind, name.clone());
                    f.ino = ino;
                    f.sock = Some(s.clone());
                    f
                }
                None => FdInfo::new(fd, FdKind::OtherSock, target.clone()),
            }
        } else if let Some(rest) = target.strip_prefix("pipe:") {
            let mut f = FdInfo::new(fd, FdKind::Pipe, target.clone());
            f.ino = bracket_ino(rest).unwrap_or(0);
            f
        } else if let Some(rest) = target.strip_prefix("anon_inode:") {
            let kind = match rest.trim_matches(|c| c == '[' || c == ']') {
                "eventfd" => FdKind::EventFd,
                "signalfd" => FdKind::SignalFd,
                "eventpoll" => FdKind::EventPoll,
                "inotify" => FdKind::Inotify,
                "timerfd" => FdKind::TimerFd,
                "userfaultfd" => FdKind::UserFaultFd,
                "io_uring" => FdKind::IoUring,
                "pidfd" => FdKind::PidFd,
                s if s.starts_with("bpf") => FdKind::Bpf,
                _ => FdKind::Unsupported,
            };
            FdInfo::new(fd, kind, target.clone())
        } else if target.starts_with("/memfd:") {
            FdInfo::new(fd, FdKind::Memfd, target.trim_start_matches('/').to_string())
        } else if target.starts_with('/') {
            let kind = if fs::metadata(&target).is_ok_and(|m| m.is_dir()) { FdKind::Directory } else { FdKind::File };
            let mut f = FdInfo::new(fd, kind, target.clone());
            // fdinfo "flags:" is octal Linux flags; map the access mode and the common bits.
            if let Some(fl) = read_string(&dir.join("fdinfo").join(fd.to_string()))
                .and_then(|s| s.lines().find_map(|l| l.strip_prefix("flags:").map(|v| v.trim().to_string())))
                .and_then(|v| u32::from_str_radix(&v, 8).ok())
            {
                f.open_flags = linux_open_flags_to_ppm(fl);
            }
            f
        } else {
            FdInfo::new(fd, FdKind::Unsupported, target.clone())
        };
        out.push(f);
    }
    out
}

/// Converts Linux `O_*` open flags (x86-64 values) to the PPM encoding.
pub fn linux_open_flags_to_ppm(fl: u32) -> u32 {
    let mut p = match fl & 3 {
        0 => flags::PPM_O_RDONLY,
        1 => flags::PPM_O_WRONLY,
        _ => flags::PPM_O_RDONLY | flags::PPM_O_WRONLY,
    };
    for (linux, ppm) in [
        (0o100, flags::PPM_O_CREAT),
        (0o2000, 1 << 3),  // O_APPEND
        (0o200, 1 << 5),   // O_EXCL
        (0o4000, 1 << 6),  // O_NONBLOCK
        (0o1000, 1 << 8),  // O_TRUNC
        (0o40000, 1 << 9), // O_DIRECT
        (0o200000, flags::PPM_O_DIRECTORY),
        (0o100000, 1 << 11), // O_LARGEFILE
        (0o2000000, flags::PPM_O_CLOEXEC),
    ] {
        if fl & linux != 0 {
            p |= ppm;
        }
    }
    p
}

impl State {
    /// Seeds a state from a `/proc`-like directory: every `<root>/<pid>/task/<tid>` (or
    /// `<root>/<pid>` when `task/` is unreadable) with its stat, status, cmdline, environ, cwd,
    /// exe, root, loginuid, cgroup and fd links, and sockets resolved through
    /// `<root>/net/{tcp,tcp6,udp,udp6,unix}`. Processes that vanish or cannot be read are
    /// skipped (races and permission errors are expected). Start times assume `USER_HZ` = 100
    /// and take the boot time from `<root>/stat` `btime`.
    pub fn from_proc(root: &Path) -> State {
        State::from_proc_with_limits(root, Limits::default())
    }

    /// [`State::from_proc`] with explicit limits.
    pub fn from_proc_with_limits(root: &Path, limits: Limits) -> State {
        let mut st = State::with_limits(limits);
        let boot_ns = read_string(&root.join("stat"))
            .and_then(|s| s.lines().find_map(|l| l.strip_prefix("btime ")?.trim().parse::<u64>().ok()))
            .map_or(0, |s| s.saturating_mul(1_000_000_000));
        let socks = proc_net_sockets(root);
        let Ok(rd) = fs::read_dir(root) else {
            return st;
        };
        for ent in rd.flatten() {
            let Some(pid) = ent.file_name().to_str().and_then(|s| s.parse::<i64>().ok()) else {
                continue;
            };
            let pdir = ent.path();
            let Some(main) = thread_from_proc(&pdir, pid, boot_ns) else {
                continue;
            };
            let fds = fds_from_proc(&pdir, &socks, limits.max_fds_per_process);
            let main_copy = main.clone();
            st.add_process(main, fds);
            if let Ok(tasks) = fs::read_dir(pdir.join("task")) {
                for task in tasks.flatten() {
                    let Some(tid) = task.file_name().to_str().and_then(|s| s.parse::<i64>().ok()) else {
                        continue;
                    };
                    if tid == pid {
                        continue;
                    }
                    let t = match thread_from_proc(&task.path(), tid, boot_ns) {
                        Some(mut t) => {
                            t.pid = pid;
                            t.ptid = main_copy.ptid;
                            t
                        }
                        None => continue,
                    };
                    st.add_thread(t);
                }
            }
        }
        if let Some(passwd) = read_string(&root.join("1/root/etc/passwd")) {
            for l in passwd.lines() {
                let c: Vec<&str> = l.split(':').collect();
                if let (Some(name), Some(Ok(uid)), Some(Ok(gid))) =
                    (c.first(), c.get(2).map(|s| s.parse()), c.get(3).map(|s| s.parse()))
                {
                    st.add_user(
                        "",
                        UserInfo {
                            uid,
                            gid,
                            name: name.to_string(),
                            home: c.get(5).unwrap_or(&"").to_string(),
                            shell: c.get(6).unwrap_or(&"").to_string(),
                        },
                    );
                }
            }
        }
        if let Some(group) = read_string(&root.join("1/root/etc/group")) {
            for l in group.lines() {
                let c: Vec<&str> = l.split(':').collect();
                if let (Some(name), Some(Ok(gid))) = (c.first(), c.get(2).map(|s| s.parse())) {
                    st.add_group("", GroupInfo { gid, name: name.to_string() });
                }
            }
        }
        st
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
        assert_eq!(
            (c.comm.as_str(), c.exepath.as_str(), c.cmdline().as_str()),
            ("cat", "/usr/bin/cat", "cat /etc/passwd")
        );
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
}
