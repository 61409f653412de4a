//! Flag and constant tables: the PPM flag and enum sets with their names and bits (used to
//! render parameters as text and by the state machine), errno names and capability names.
//!
//! The driver encodes flags in its own PPM encodings (`driver/ppm_events_public.h`), not the
//! Linux values: `PPM_O_RDONLY` is `1<<0` whereas Linux `O_RDONLY` is 0. The names and their
//! order come from the `flag_values` column of the reference events.tsv (which is the order of
//! libs' flag tables and therefore the order names are printed in); the bit values are the PPM
//! constants. Only the common sets are here; a parameter without a table renders as a number.
//! Errno names are the Linux (asm-generic) ones.

/// `PPM_AF_UNIX`.
pub const PPM_AF_UNIX: u8 = 1;
/// `PPM_AF_INET`.
pub const PPM_AF_INET: u8 = 2;
/// `PPM_AF_INET6`.
pub const PPM_AF_INET6: u8 = 10;
/// `PPM_AF_NETLINK`.
pub const PPM_AF_NETLINK: u8 = 16;

/// PPM open flags (subset used by the state machine).
pub const PPM_O_RDONLY: u32 = 1 << 0;
/// `PPM_O_WRONLY`.
pub const PPM_O_WRONLY: u32 = 1 << 1;
/// `PPM_O_CREAT`.
pub const PPM_O_CREAT: u32 = 1 << 2;
/// `PPM_O_DIRECTORY`.
pub const PPM_O_DIRECTORY: u32 = 1 << 10;
/// `PPM_O_CLOEXEC`.
pub const PPM_O_CLOEXEC: u32 = 1 << 12;
/// `PPM_O_TMPFILE`.
pub const PPM_O_TMPFILE: u32 = 1 << 13;
/// `PPM_O_F_CREATED`: the open created the file.
pub const PPM_O_F_CREATED: u32 = 1 << 14;
/// `PPM_FD_UPPER_LAYER`: overlayfs upper layer.
pub const PPM_FD_UPPER_LAYER: u32 = 1 << 15;
/// `PPM_FD_LOWER_LAYER`: overlayfs lower layer.
pub const PPM_FD_LOWER_LAYER: u32 = 1 << 16;

/// `PPM_CL_CLONE_FILES`.
pub const PPM_CL_CLONE_FILES: u32 = 1 << 0;
/// `PPM_CL_CLONE_FS`.
pub const PPM_CL_CLONE_FS: u32 = 1 << 1;
/// `PPM_CL_CLONE_THREAD`.
pub const PPM_CL_CLONE_THREAD: u32 = 1 << 13;
/// `PPM_CL_CLONE_VFORK`.
pub const PPM_CL_CLONE_VFORK: u32 = 1 << 27;
/// `PPM_CL_CHILD_IN_PIDNS`.
pub const PPM_CL_CHILD_IN_PIDNS: u32 = 1 << 29;

/// `PPM_EXE_WRITABLE` (execve exit `flags`).
pub const PPM_EXE_WRITABLE: u32 = 1 << 0;
/// `PPM_EXE_UPPER_LAYER`.
pub const PPM_EXE_UPPER_LAYER: u32 = 1 << 1;
/// `PPM_EXE_FROM_MEMFD`.
pub const PPM_EXE_FROM_MEMFD: u32 = 1 << 2;
/// `PPM_EXE_LOWER_LAYER`.
pub const PPM_EXE_LOWER_LAYER: u32 = 1 << 3;

/// `PPM_FCNTL_F_DUPFD`.
pub const PPM_FCNTL_F_DUPFD: i64 = 1;
/// `PPM_FCNTL_F_DUPFD_CLOEXEC`.
pub const PPM_FCNTL_F_DUPFD_CLOEXEC: i64 = 26;

/// A table of flag names and PPM values, in libs print order.
#[derive(Debug)]
pub struct FlagSet {
    /// (name, value) pairs in print order.
    pub entries: &'static [(&'static str, u64)],
    /// The value is one of the entries rather than a bit set.
    pub is_enum: bool,
}

impl FlagSet {
    /// Names of the set bits joined with `|`, as libsinsp resolves `FLAGS*` values: entries are
    /// tried in order, each matching one consumes its bits; a zero entry matches only zero. A value
    /// with no matching name renders as the number.
    pub fn render_bits(&self, bits: u64) -> String {
        let mut rest = bits;
        let mut out = String::new();
        for &(name, v) in self.entries {
            let hit = if v == 0 { bits == 0 } else { rest & v == v && rest != 0 };
            if hit {
                if !out.is_empty() {
                    out.push('|');
                }
                out.push_str(name);
                rest &= !v;
            }
        }
        if out.is_empty() { bits.to_string() } else { out }
    }
    /// The name of the entry equal to `v`, else the number.
    pub fn render_enum(&self, v: u64) -> String {
        self.entries.iter().find(|(_, x)| *x == v).map_or_else(|| v.to_string(), |(n, _)| (*n).to_string())
    }
}

/// `PPM_O_*` file flags (open, openat, socket, pipe2, dup3, eventfd2, ... `flags`).
pub static FILE_FLAGS: FlagSet = FlagSet {
    entries: &[
        ("O_LARGEFILE", 1 << 11),
        ("O_DIRECTORY", 1 << 10),
        ("O_DIRECT", 1 << 9),
        ("O_TRUNC", 1 << 8),
        ("O_SYNC", 1 << 7),
        ("O_NONBLOCK", 1 << 6),
        ("O_EXCL", 1 << 5),
        ("O_DSYNC", 1 << 4),
        ("O_APPEND", 1 << 3),
        ("O_CREAT", 1 << 2),
        ("O_RDWR", 3),
        ("O_WRONLY", 2),
        ("O_RDONLY", 1),
        ("O_CLOEXEC", 1 << 12),
        ("O_NONE", 0),
        ("O_TMPFILE", 1 << 13),
        ("O_F_CREATED", 1 << 14),
        ("FD_UPPER_LAYER", 1 << 15),
        ("FD_LOWER_LAYER", 1 << 16),
    ],
    is_enum: false,
};

/// `PPM_CL_*` clone flags (clone/fork/vfork/clone3 `flags`, setns `nstype`, unshare `flags`).
pub static CLONE_FLAGS: FlagSet = FlagSet {
    entries: &[
        ("CLONE_FILES", 1 << 0),
        ("CLONE_FS", 1 << 1),
        ("CLONE_IO", 1 << 2),
        ("CLONE_NEWIPC", 1 << 3),
        ("CLONE_NEWNET", 1 << 4),
        ("CLONE_NEWNS", 1 << 5),
        ("CLONE_NEWPID", 1 << 6),
        ("CLONE_NEWUTS", 1 << 7),
        ("CLONE_PARENT", 1 << 8),
        ("CLONE_PARENT_SETTID", 1 << 9),
        ("CLONE_PTRACE", 1 << 10),
        ("CLONE_SIGHAND", 1 << 11),
        ("CLONE_SYSVSEM", 1 << 12),
        ("CLONE_THREAD", 1 << 13),
        ("CLONE_UNTRACED", 1 << 14),
        ("CLONE_VM", 1 << 15),
        ("CLONE_INVERTED", 1 << 16),
        ("NAME_CHANGED", 1 << 17),
        ("CLOSED", 1 << 18),
        ("CLONE_NEWUSER", 1 << 20),
        ("CLONE_CHILD_CLEARTID", 1 << 23),
        ("CLONE_CHILD_SETTID", 1 << 24),
        ("CLONE_SETTLS", 1 << 25),
        ("CLONE_STOPPED", 1 << 26),
        ("CLONE_VFORK", 1 << 27),
        ("CLONE_NEWCGROUP", 1 << 28),
        ("CLONE_CHILD_IN_PIDNS", 1 << 29),
    ],
    is_enum: false,
};

/// `PPM_PROT_*` (mmap/mprotect `prot`).
pub static PROT_FLAGS: FlagSet = FlagSet {
    entries: &[
        ("PROT_READ", 1 << 0),
        ("PROT_WRITE", 1 << 1),
        ("PROT_EXEC", 1 << 2),
        ("PROT_SEM", 1 << 3),
        ("PROT_GROWSDOWN", 1 << 4),
        ("PROT_GROWSUP", 1 << 5),
        ("PROT_SAO", 1 << 6),
        ("PROT_NONE", 0),
    ],
    is_enum: false,
};

/// `PPM_MAP_*` (mmap `flags`).
pub static MMAP_FLAGS: FlagSet = FlagSet {
    entries: &[
        ("MAP_SHARED", 1 << 0),
        ("MAP_PRIVATE", 1 << 1),
        ("MAP_FIXED", 1 << 2),
        ("MAP_ANONYMOUS", 1 << 3),
        ("MAP_32BIT", 1 << 4),
        ("MAP_RENAME", 1 << 5),
        ("MAP_NORESERVE", 1 << 6),
        ("MAP_POPULATE", 1 << 7),
        ("MAP_NONBLOCK", 1 << 8),
        ("MAP_GROWSDOWN", 1 << 9),
        ("MAP_DENYWRITE", 1 << 10),
        ("MAP_EXECUTABLE", 1 << 11),
        ("MAP_INHERIT", 1 << 12),
        ("MAP_FILE", 1 << 13),
        ("MAP_LOCKED", 1 << 14),
    ],
    is_enum: false,
};

/// `PPM_AF_*` socket families (socket/socketpair `domain`).
pub static SOCKET_FAMILIES: FlagSet = FlagSet {
    entries: &[
        ("AF_NFC", 39),
        ("AF_ALG", 38),
        ("AF_CAIF", 37),
        ("AF_IEEE802154", 36),
        ("AF_PHONET", 35),
        ("AF_ISDN", 34),
        ("AF_RXRPC", 33),
        ("AF_IUCV", 32),
        ("AF_BLUETOOTH", 31),
        ("AF_TIPC", 30),
        ("AF_CAN", 29),
        ("AF_LLC", 26),
        ("AF_WANPIPE", 25),
        ("AF_PPPOX", 24),
        ("AF_IRDA", 23),
        ("AF_SNA", 22),
        ("AF_RDS", 21),
        ("AF_ATMSVC", 20),
        ("AF_ECONET", 19),
        ("AF_ASH", 18),
        ("AF_PACKET", 17),
        ("AF_ROUTE", 16),
        ("AF_NETLINK", 16),
        ("AF_KEY", 15),
        ("AF_SECURITY", 14),
        ("AF_NETBEUI", 13),
        ("AF_DECnet", 12),
        ("AF_ROSE", 11),
        ("AF_INET6", 10),
        ("AF_X25", 9),
        ("AF_ATMPVC", 8),
        ("AF_BRIDGE", 7),
        ("AF_NETROM", 6),
        ("AF_APPLETALK", 5),
        ("AF_IPX", 4),
        ("AF_AX25", 3),
        ("AF_INET", 2),
        ("AF_LOCAL", 1),
        ("AF_UNIX", 1),
        ("AF_UNSPEC", 0),
    ],
    is_enum: true,
};

/// `PPM_FCNTL_*` (fcntl `cmd`).
pub static FCNTL_CMDS: FlagSet = FlagSet {
    entries: &[
        ("F_GETPIPE_SZ", 29),
        ("F_SETPIPE_SZ", 28),
        ("F_NOTIFY", 27),
        ("F_DUPFD_CLOEXEC", 26),
        ("F_CANCELLK", 25),
        ("F_GETLEASE", 24),
        ("F_SETLEASE", 23),
        ("F_GETOWN_EX", 22),
        ("F_SETOWN_EX", 21),
        ("F_SETLKW64", 19),
        ("F_SETLK64", 18),
        ("F_GETLK64", 17),
        ("F_GETSIG", 15),
        ("F_SETSIG", 13),
        ("F_GETOWN", 12),
        ("F_SETOWN", 10),
        ("F_SETLKW", 9),
        ("F_SETLK", 8),
        ("F_GETLK", 6),
        ("F_SETFL", 5),
        ("F_GETFL", 4),
        ("F_SETFD", 3),
        ("F_GETFD", 2),
        ("F_DUPFD", 1),
        ("F_OFD_GETLK", 30),
        ("F_OFD_SETLK", 31),
        ("F_OFD_SETLKW", 32),
        ("UNKNOWN", 0),
    ],
    is_enum: true,
};

/// `PPM_EXE_*` (execve/execveat exit `flags`).
pub static EXE_FLAGS: FlagSet = FlagSet {
    entries: &[
        ("EXE_WRITABLE", 1 << 0),
        ("EXE_UPPER_LAYER", 1 << 1),
        ("EXE_FROM_MEMFD", 1 << 2),
        ("EXE_LOWER_LAYER", 1 << 3),
    ],
    is_enum: false,
};

/// `PPM_S_*` (chmod, fchmod, fchmodat `mode`): the kernel's twelve permission bits by name, in
/// the drivers' order. libsinsp renders a `MODE` parameter with this table (`S_IRUSR|S_ISUID`),
/// which is what `evt.arg.mode` compares, so upstream rules match `contains "S_ISUID"`.
pub static CHMOD_MODES: FlagSet = FlagSet {
    entries: &[
        ("S_IXOTH", 0o1),
        ("S_IWOTH", 0o2),
        ("S_IROTH", 0o4),
        ("S_IXGRP", 0o10),
        ("S_IWGRP", 0o20),
        ("S_IRGRP", 0o40),
        ("S_IXUSR", 0o100),
        ("S_IWUSR", 0o200),
        ("S_IRUSR", 0o400),
        ("S_ISVTX", 0o1000),
        ("S_ISGID", 0o2000),
        ("S_ISUID", 0o4000),
    ],
    is_enum: false,
};

/// access `mode`.
pub static ACCESS_FLAGS: FlagSet =
    FlagSet { entries: &[("F_OK", 0), ("R_OK", 1 << 2), ("W_OK", 1 << 1), ("X_OK", 1 << 0)], is_enum: false };

/// memfd_create `flags`.
pub static MEMFD_FLAGS: FlagSet =
    FlagSet { entries: &[("MFD_CLOEXEC", 1), ("MFD_ALLOW_SEALING", 2), ("MFD_HUGETLB", 4)], is_enum: false };

/// unlinkat `flags`.
pub static UNLINKAT_FLAGS: FlagSet = FlagSet { entries: &[("AT_REMOVEDIR", 0x200)], is_enum: false };

/// linkat `flags`.
pub static LINKAT_FLAGS: FlagSet =
    FlagSet { entries: &[("AT_SYMLINK_FOLLOW", 0x400), ("AT_EMPTY_PATH", 0x1000)], is_enum: false };

/// renameat2 `flags`.
pub static RENAME_FLAGS: FlagSet =
    FlagSet { entries: &[("RENAME_NOREPLACE", 1), ("RENAME_EXCHANGE", 2), ("RENAME_WHITEOUT", 4)], is_enum: false };

/// creat `creat_flags`.
pub static CREAT_FLAGS: FlagSet =
    FlagSet { entries: &[("FD_UPPER_LAYER_CREAT", 1), ("FD_LOWER_LAYER_CREAT", 2)], is_enum: false };

/// `PPM_POLL*` (fd list flags).
/// `ptrace` request codes as the driver reports them: an enum numbered in the order of the
/// event table's `request` flag names (PTRACE_UNKNOWN = 0, PTRACE_TRACEME = 1, ...), not the
/// kernel's own request numbers.
pub static PTRACE_REQUESTS: FlagSet = FlagSet {
    entries: &[
        ("PTRACE_SINGLEBLOCK", 38),
        ("PTRACE_SYSEMU_SINGLESTEP", 37),
        ("PTRACE_SYSEMU", 36),
        ("PTRACE_ARCH_PRCTL", 35),
        ("PTRACE_SET_THREAD_AREA", 34),
        ("PTRACE_GET_THREAD_AREA", 33),
        ("PTRACE_OLDSETOPTIONS", 32),
        ("PTRACE_SETFPXREGS", 31),
        ("PTRACE_GETFPXREGS", 30),
        ("PTRACE_SETFPREGS", 29),
        ("PTRACE_GETFPREGS", 28),
        ("PTRACE_SETREGS", 27),
        ("PTRACE_GETREGS", 26),
        ("PTRACE_SETSIGMASK", 25),
        ("PTRACE_GETSIGMASK", 24),
        ("PTRACE_PEEKSIGINFO", 23),
        ("PTRACE_LISTEN", 22),
        ("PTRACE_INTERRUPT", 21),
        ("PTRACE_SEIZE", 20),
        ("PTRACE_SETREGSET", 19),
        ("PTRACE_GETREGSET", 18),
        ("PTRACE_SETSIGINFO", 17),
        ("PTRACE_GETSIGINFO", 16),
        ("PTRACE_GETEVENTMSG", 15),
        ("PTRACE_SETOPTIONS", 14),
        ("PTRACE_SYSCALL", 13),
        ("PTRACE_DETACH", 12),
        ("PTRACE_ATTACH", 11),
        ("PTRACE_SINGLESTEP", 10),
        ("PTRACE_KILL", 9),
        ("PTRACE_CONT", 8),
        ("PTRACE_POKEUSR", 7),
        ("PTRACE_POKEDATA", 6),
        ("PTRACE_POKETEXT", 5),
        ("PTRACE_PEEKUSR", 4),
        ("PTRACE_PEEKDATA", 3),
        ("PTRACE_PEEKTEXT", 2),
        ("PTRACE_TRACEME", 1),
        ("PTRACE_UNKNOWN", 0),
    ],
    is_enum: true,
};

pub static POLL_FLAGS: FlagSet = FlagSet {
    entries: &[
        ("POLLIN", 1 << 0),
        ("POLLPRI", 1 << 1),
        ("POLLOUT", 1 << 2),
        ("POLLRDHUP", 1 << 3),
        ("POLLERR", 1 << 4),
        ("POLLHUP", 1 << 5),
        ("POLLNVAL", 1 << 6),
        ("POLLRDNORM", 1 << 7),
        ("POLLRDBAND", 1 << 8),
        ("POLLWRNORM", 1 << 9),
        ("POLLWRBAND", 1 << 10),
    ],
    is_enum: false,
};

/// `PPM_MS_*` mount flags (mount `flags`), the kernel's `MS_*` bits without the `MS_` prefix.
pub static MOUNT_FLAGS: FlagSet = FlagSet {
    entries: &[
        ("RDONLY", 1 << 0),
        ("NOSUID", 1 << 1),
        ("NODEV", 1 << 2),
        ("NOEXEC", 1 << 3),
        ("SYNCHRONOUS", 1 << 4),
        ("REMOUNT", 1 << 5),
        ("MANDLOCK", 1 << 6),
        ("DIRSYNC", 1 << 7),
        ("NOATIME", 1 << 10),
        ("NODIRATIME", 1 << 11),
        ("BIND", 1 << 12),
        ("MOVE", 1 << 13),
        ("REC", 1 << 14),
        ("SILENT", 1 << 15),
        ("POSIXACL", 1 << 16),
        ("UNBINDABLE", 1 << 17),
        ("PRIVATE", 1 << 18),
        ("SLAVE", 1 << 19),
        ("SHARED", 1 << 20),
        ("RELATIME", 1 << 21),
        ("KERNMOUNT", 1 << 22),
        ("I_VERSION", 1 << 23),
        ("STRICTATIME", 1 << 24),
        ("LAZYTIME", 1 << 25),
        ("NOSEC", 1 << 28),
        ("BORN", 1 << 29),
        ("ACTIVE", 1 << 30),
        ("NOUSER", 1 << 31),
    ],
    is_enum: false,
};

/// `PPM_MNT_*` / `PPM_UMOUNT_*` flags (umount2 `flags`), the kernel's bits.
pub static UMOUNT2_FLAGS: FlagSet =
    FlagSet { entries: &[("FORCE", 1), ("DETACH", 2), ("EXPIRE", 4), ("NOFOLLOW", 8)], is_enum: false };

/// `PPM_BPF_*` commands (bpf `cmd`): the kernel's `enum bpf_cmd`, where `BPF_PROG_RUN` is another
/// name of `BPF_PROG_TEST_RUN`.
pub static BPF_COMMANDS: FlagSet = FlagSet {
    entries: &[
        ("BPF_MAP_CREATE", 0),
        ("BPF_MAP_LOOKUP_ELEM", 1),
        ("BPF_MAP_UPDATE_ELEM", 2),
        ("BPF_MAP_DELETE_ELEM", 3),
        ("BPF_MAP_GET_NEXT_KEY", 4),
        ("BPF_PROG_LOAD", 5),
        ("BPF_OBJ_PIN", 6),
        ("BPF_OBJ_GET", 7),
        ("BPF_PROG_ATTACH", 8),
        ("BPF_PROG_DETACH", 9),
        ("BPF_PROG_TEST_RUN", 10),
        ("BPF_PROG_RUN", 10),
        ("BPF_PROG_GET_NEXT_ID", 11),
        ("BPF_MAP_GET_NEXT_ID", 12),
        ("BPF_PROG_GET_FD_BY_ID", 13),
        ("BPF_MAP_GET_FD_BY_ID", 14),
        ("BPF_OBJ_GET_INFO_BY_FD", 15),
        ("BPF_PROG_QUERY", 16),
        ("BPF_RAW_TRACEPOINT_OPEN", 17),
        ("BPF_BTF_LOAD", 18),
        ("BPF_BTF_GET_FD_BY_ID", 19),
        ("BPF_TASK_FD_QUERY", 20),
        ("BPF_MAP_LOOKUP_AND_DELETE_ELEM", 21),
        ("BPF_MAP_FREEZE", 22),
        ("BPF_BTF_GET_NEXT_ID", 23),
        ("BPF_MAP_LOOKUP_BATCH", 24),
        ("BPF_MAP_LOOKUP_AND_DELETE_BATCH", 25),
        ("BPF_MAP_UPDATE_BATCH", 26),
        ("BPF_MAP_DELETE_BATCH", 27),
        ("BPF_LINK_CREATE", 28),
        ("BPF_LINK_UPDATE", 29),
        ("BPF_LINK_GET_FD_BY_ID", 30),
        ("BPF_LINK_GET_NEXT_ID", 31),
        ("BPF_ENABLE_STATS", 32),
        ("BPF_ITER_CREATE", 33),
        ("BPF_LINK_DETACH", 34),
        ("BPF_PROG_BIND_MAP", 35),
    ],
    is_enum: true,
};

/// The flag table for parameter `param` of event `event`, when we have one.
pub fn flag_set_for(event: &str, param: &str) -> Option<&'static FlagSet> {
    Some(match (event, param) {
        ("clone" | "clone3" | "fork" | "vfork" | "unshare", "flags") | ("setns", "nstype") => &CLONE_FLAGS,
        ("execve" | "execveat", "flags") => &EXE_FLAGS,
        ("mmap" | "mmap2", "flags") => &MMAP_FLAGS,
        ("mmap" | "mmap2" | "mprotect", "prot") => &PROT_FLAGS,
        ("socket" | "socketpair", "domain") => &SOCKET_FAMILIES,
        ("fcntl", "cmd") => &FCNTL_CMDS,
        ("access" | "faccessat" | "faccessat2", "mode") => &ACCESS_FLAGS,
        ("chmod" | "fchmod" | "fchmodat", "mode") => &CHMOD_MODES,
        ("memfd_create", "flags") => &MEMFD_FLAGS,
        ("unlinkat", "flags") => &UNLINKAT_FLAGS,
        ("linkat", "flags") => &LINKAT_FLAGS,
        ("renameat2", "flags") => &RENAME_FLAGS,
        ("creat", "creat_flags") => &CREAT_FLAGS,
        ("ptrace", "request") => &PTRACE_REQUESTS,
        ("mount", "flags") => &MOUNT_FLAGS,
        ("umount2", "flags") => &UMOUNT2_FLAGS,
        ("bpf", "cmd") => &BPF_COMMANDS,
        (
            "open" | "openat" | "openat2" | "open_by_handle_at" | "socket" | "pipe2" | "dup3" | "eventfd2"
            | "inotify_init1" | "signalfd4" | "userfaultfd",
            "flags",
        ) => &FILE_FLAGS,
        _ => return None,
    })
}

const ERRNO_NAMES: [&str; 134] = [
    "",
    "EPERM",
    "ENOENT",
    "ESRCH",
    "EINTR",
    "EIO",
    "ENXIO",
    "E2BIG",
    "ENOEXEC",
    "EBADF",
    "ECHILD",
    "EAGAIN",
    "ENOMEM",
    "EACCES",
    "EFAULT",
    "ENOTBLK",
    "EBUSY",
    "EEXIST",
    "EXDEV",
    "ENODEV",
    "ENOTDIR",
    "EISDIR",
    "EINVAL",
    "ENFILE",
    "EMFILE",
    "ENOTTY",
    "ETXTBSY",
    "EFBIG",
    "ENOSPC",
    "ESPIPE",
    "EROFS",
    "EMLINK",
    "EPIPE",
    "EDOM",
    "ERANGE",
    "EDEADLK",
    "ENAMETOOLONG",
    "ENOLCK",
    "ENOSYS",
    "ENOTEMPTY",
    "ELOOP",
    "",
    "ENOMSG",
    "EIDRM",
    "ECHRNG",
    "EL2NSYNC",
    "EL3HLT",
    "EL3RST",
    "ELNRNG",
    "EUNATCH",
    "ENOCSI",
    "EL2HLT",
    "EBADE",
    "EBADR",
    "EXFULL",
    "ENOANO",
    "EBADRQC",
    "EBADSLT",
    "",
    "EBFONT",
    "ENOSTR",
    "ENODATA",
    "ETIME",
    "ENOSR",
    "ENONET",
    "ENOPKG",
    "EREMOTE",
    "ENOLINK",
    "EADV",
    "ESRMNT",
    "ECOMM",
    "EPROTO",
    "EMULTIHOP",
    "EDOTDOT",
    "EBADMSG",
    "EOVERFLOW",
    "ENOTUNIQ",
    "EBADFD",
    "EREMCHG",
    "ELIBACC",
    "ELIBBAD",
    "ELIBSCN",
    "ELIBMAX",
    "ELIBEXEC",
    "EILSEQ",
    "ERESTART",
    "ESTRPIPE",
    "EUSERS",
    "ENOTSOCK",
    "EDESTADDRREQ",
    "EMSGSIZE",
    "EPROTOTYPE",
    "ENOPROTOOPT",
    "EPROTONOSUPPORT",
    "ESOCKTNOSUPPORT",
    "EOPNOTSUPP",
    "EPFNOSUPPORT",
    "EAFNOSUPPORT",
    "EADDRINUSE",
    "EADDRNOTAVAIL",
    "ENETDOWN",
    "ENETUNREACH",
    "ENETRESET",
    "ECONNABORTED",
    "ECONNRESET",
    "ENOBUFS",
    "EISCONN",
    "ENOTCONN",
    "ESHUTDOWN",
    "ETOOMANYREFS",
    "ETIMEDOUT",
    "ECONNREFUSED",
    "EHOSTDOWN",
    "EHOSTUNREACH",
    "EALREADY",
    "EINPROGRESS",
    "ESTALE",
    "EUCLEAN",
    "ENOTNAM",
    "ENAVAIL",
    "EISNAM",
    "EREMOTEIO",
    "EDQUOT",
    "ENOMEDIUM",
    "EMEDIUMTYPE",
    "ECANCELED",
    "ENOKEY",
    "EKEYEXPIRED",
    "EKEYREVOKED",
    "EKEYREJECTED",
    "EOWNERDEAD",
    "ENOTRECOVERABLE",
    "ERFKILL",
    "EHWPOISON",
];

/// The Linux name of errno `e` (`2` → `ENOENT`); also the kernel-internal restart codes
/// (512..=516) libsinsp names.
pub fn errno_name(e: u64) -> Option<&'static str> {
    match e {
        512 => Some("ERESTARTSYS"),
        513 => Some("ERESTARTNOINTR"),
        514 => Some("ERESTARTNOHAND"),
        515 => Some("ENOIOCTLCMD"),
        516 => Some("ERESTART_RESTARTBLOCK"),
        _ => ERRNO_NAMES.get(usize::try_from(e).ok()?).copied().filter(|s| !s.is_empty()),
    }
}

/// Linux capability names by bit number (the driver's PPM capability bits use the same order).
pub const CAP_NAMES: [&str; 41] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

#[cfg(test)]
mod ptrace_tests {
    use super::*;

    #[test]
    fn ptrace_requests_render_by_name() {
        let set = flag_set_for("ptrace", "request").expect("ptrace has a request table");
        assert_eq!(set.render_enum(11), "PTRACE_ATTACH");
        assert_eq!(set.render_enum(20), "PTRACE_SEIZE");
        assert_eq!(set.render_enum(5), "PTRACE_POKETEXT");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_flags_render_like_sysdig() {
        assert_eq!(FILE_FLAGS.render_bits(4097), "O_RDONLY|O_CLOEXEC");
        assert_eq!(FILE_FLAGS.render_bits(0), "O_NONE");
        assert_eq!(FILE_FLAGS.render_bits(3 | (1 << 2) | (1 << 8)), "O_TRUNC|O_CREAT|O_RDWR");
        assert_eq!(FILE_FLAGS.render_bits(1 << 30), (1u64 << 30).to_string());
    }

    #[test]
    fn mount_flags_and_bpf_commands_render_by_name() {
        assert_eq!(MOUNT_FLAGS.render_bits((1 << 14) | (1 << 18)), "REC|PRIVATE");
        assert_eq!(UMOUNT2_FLAGS.render_bits(2), "DETACH");
        assert_eq!(BPF_COMMANDS.render_enum(5), "BPF_PROG_LOAD");
        assert_eq!(BPF_COMMANDS.render_enum(11), "BPF_PROG_GET_NEXT_ID");
        assert_eq!(BPF_COMMANDS.render_enum(35), "BPF_PROG_BIND_MAP");
    }

    #[test]
    fn enums_and_errnos() {
        assert_eq!(SOCKET_FAMILIES.render_enum(2), "AF_INET");
        assert_eq!(SOCKET_FAMILIES.render_enum(1), "AF_LOCAL");
        assert_eq!(SOCKET_FAMILIES.render_enum(99), "99");
        assert_eq!(errno_name(2), Some("ENOENT"));
        assert_eq!(errno_name(115), Some("EINPROGRESS"));
        assert_eq!(errno_name(133), Some("EHWPOISON"));
        assert_eq!(errno_name(41), None);
        assert_eq!(errno_name(u64::MAX), None);
    }
}
