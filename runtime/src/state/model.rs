//! The state's record types: fd kinds and fd entries, socket info, threads, users and groups,
//! limits and counters. Plain data with small accessors; the tables that hold them and the
//! event handlers that change them are elsewhere in `state/`.

use std::net::IpAddr;

use super::container::{container_id_from_cgroups, short_id};
use super::path::last_slash;
use crate::flags;

/// What kind of object an fd refers to: the schema's (which also says which calls create
/// which kind, [`rulec_schema::fd_creation`]).
pub use rulec_schema::FdKind;

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
