//! The metadata a capture holds besides events: section header, machine info, process, fd,
//! interface, user and group lists, and the reader's counters.

use super::*;

/// Section header block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SectionHeader {
    /// Major version (1).
    pub major: u16,
    /// Minor version (0 on old files, 2 current).
    pub minor: u16,
}

/// Machine info block.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MachineInfo {
    /// CPUs.
    pub num_cpus: u32,
    /// Memory size in bytes.
    pub memory_bytes: u64,
    /// Max pid.
    pub max_pid: u64,
    /// Host name.
    pub hostname: String,
    /// Boot time (ns since epoch), 0 in old files.
    pub boot_ts: u64,
}

/// One process-list entry (a thread from the /proc snapshot at capture start).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[allow(missing_docs)]
pub struct ProcEntry {
    pub tid: i64,
    pub pid: i64,
    pub ptid: i64,
    pub sid: i64,
    pub vpgid: i64,
    pub comm: String,
    pub exe: String,
    pub exepath: String,
    pub args: Vec<String>,
    pub cwd: String,
    pub fdlimit: u64,
    pub flags: u32,
    pub uid: u32,
    pub gid: u32,
    pub vmsize_kb: u32,
    pub vmrss_kb: u32,
    pub vmswap_kb: u32,
    pub pfmajor: u64,
    pub pfminor: u64,
    pub env: Vec<String>,
    pub vtid: i64,
    pub vpid: i64,
    /// `subsys=path` entries.
    pub cgroups: Vec<String>,
    pub root: String,
    pub pidns_init_start_ts: u64,
    pub tty: u32,
    pub loginuid: Option<u32>,
    pub exe_writable: bool,
    pub cap_inheritable: u64,
    pub cap_permitted: u64,
    pub cap_effective: u64,
    pub exe_upper_layer: bool,
    pub exe_ino: u64,
    pub exe_ino_ctime: u64,
    pub exe_ino_mtime: u64,
    pub exe_from_memfd: bool,
    pub exe_lower_layer: bool,
    pub pgid: Option<i64>,
}

/// What an fd-list entry describes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum FdRecord {
    Ipv4Sock {
        sip: Ipv4Addr,
        dip: Ipv4Addr,
        sport: u16,
        dport: u16,
        l4proto: u8,
    },
    Ipv4Serv {
        ip: Ipv4Addr,
        port: u16,
        l4proto: u8,
    },
    Ipv6Sock {
        sip: Ipv6Addr,
        dip: Ipv6Addr,
        sport: u16,
        dport: u16,
        l4proto: u8,
    },
    Ipv6Serv {
        ip: Ipv6Addr,
        port: u16,
        l4proto: u8,
    },
    Unix {
        source: u64,
        dest: u64,
        path: String,
    },
    /// `FILE` (1) or `FILE_V2` (16, with flags and dev).
    File {
        open_flags: u32,
        name: String,
        dev: u32,
    },
    /// Any other type (`scap_fd_type` number) with its name.
    Named {
        ty: u8,
        name: String,
    },
}

/// One fd-list entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FdEntry {
    /// Owning thread.
    pub tid: i64,
    /// Fd number.
    pub fd: i64,
    /// Inode.
    pub ino: u64,
    /// Details.
    pub record: FdRecord,
}

/// One network interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    /// Name.
    pub name: String,
    /// Address (v4 or v6, as text).
    pub addr: String,
}

/// Counters of the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReaderStats {
    /// Blocks read.
    pub blocks: u64,
    /// Events returned, decoded or not.
    pub events: u64,
    /// Of those, events returned by their header alone (a type the replay does not decode:
    /// `capture::replay::WantedTypes`).
    pub unread: u64,
    /// Events of ids beyond the table, skipped.
    pub skipped_unknown: u64,
    /// Unknown metadata blocks skipped.
    pub skipped_blocks: u64,
    /// Section headers seen (more than one in a concatenated capture).
    pub sections: u64,
}
