//! The state's record types: fd kinds and fd entries, socket info, threads, users and groups,
//! limits and counters. Plain data with small accessors; the tables that hold them and the
//! event handlers that change them are elsewhere in `state/`.

use std::net::IpAddr;

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
    /// libscap's `SCAP_L4_*` numbers (0 unknown, 1 NA, 2 TCP, 3 UDP, 4 ICMP, 5 RAW).
    const SCAP: [(L4Proto, u8); 5] =
        [(L4Proto::Unknown, 0), (L4Proto::Tcp, 2), (L4Proto::Udp, 3), (L4Proto::Icmp, 4), (L4Proto::Raw, 5)];
    /// From libscap's `SCAP_L4_*` numbering (NA and unknown numbers are `Unknown`).
    pub fn from_scap(v: u8) -> L4Proto {
        L4Proto::SCAP.iter().find(|(_, n)| *n == v).map_or(L4Proto::Unknown, |(p, _)| *p)
    }
    /// libscap's `SCAP_L4_*` number.
    pub fn scap_number(self) -> u8 {
        L4Proto::SCAP.iter().find(|(p, _)| *p == self).map_or(0, |(_, n)| *n)
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
    /// A connected inet socket, oriented client → server as libsinsp keeps it: `fd.name` is
    /// `cip:cport->sip:sport`, the kind follows the addresses' family.
    pub fn inet_connected(
        fd: i64,
        client: (IpAddr, u16),
        server: (IpAddr, u16),
        l4proto: L4Proto,
        role: SockRole,
    ) -> FdInfo {
        let name = format!("{}:{}->{}:{}", client.0, client.1, server.0, server.1);
        let mut f = FdInfo::new(fd, inet_kind(client.0.is_ipv6() || server.0.is_ipv6()), name);
        f.sock = Some(SockInfo {
            cip: Some(client.0),
            cport: client.1,
            sip: Some(server.0),
            sport: server.1,
            l4proto,
            role,
            connected: true,
            ..SockInfo::default()
        });
        f
    }
    /// An inet socket bound to `addr` without a peer (listening, or bound only): `fd.name` is
    /// `ip:port`.
    pub fn inet_bound(fd: i64, addr: (IpAddr, u16), l4proto: L4Proto, role: SockRole) -> FdInfo {
        let mut f = FdInfo::new(fd, inet_kind(addr.0.is_ipv6()), format!("{}:{}", addr.0, addr.1));
        f.sock = Some(SockInfo { sip: Some(addr.0), sport: addr.1, l4proto, role, ..SockInfo::default() });
        f
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

fn inet_kind(v6: bool) -> FdKind {
    if v6 { FdKind::Ipv6Sock } else { FdKind::Ipv4Sock }
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
