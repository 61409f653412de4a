//! The event listing: one [`EventInfo`] per event name of `data/events.tsv` (which halves
//! `falco --list-events` lists, section, default flag, the symbolic values of flag parameters),
//! with the parameters of each half taken from the scap event table (the newest row of that
//! name and direction, or the generic row for a syscall without a dedicated event): each
//! event's parameters are defined once, in `data/event_table_libs_master.tsv`. Also the extra
//! names Falco accepts as `evt.type` values although the listing does not have them
//! ([`EXTRA_EVENT_TYPE_NAMES`]).

/// Which part of `falco --list-events` the event comes from.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Section {
    Syscall,
    Tracepoint,
    Plugin,
    Meta,
}

impl Section {
    fn parse(s: &str) -> Option<Section> {
        Some(match s {
            "Syscall events" => Section::Syscall,
            "Tracepoint events" => Section::Tracepoint,
            "Plugin events" => Section::Plugin,
            "Metaevents" => Section::Meta,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Section::Syscall => "syscall",
            Section::Tracepoint => "tracepoint",
            Section::Plugin => "plugin",
            Section::Meta => "meta",
        }
    }
}

/// Enter (`>`) or exit (`<`) half of an event. In the scap event table even ids are enter
/// events, odd ids exit events.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Dir {
    /// `>`: syscall entry (or a non-syscall event such as `procexit`, `switch`, `container`).
    Enter,
    /// `<`: syscall exit.
    Exit,
}

impl Dir {
    /// Direction of an event-table id.
    pub fn of_id(id: u16) -> Dir {
        if id & 1 == 0 { Dir::Enter } else { Dir::Exit }
    }

    /// `>` or `<`, as Falco's `evt.dir`.
    pub fn as_str(self) -> &'static str {
        match self {
            Dir::Enter => ">",
            Dir::Exit => "<",
        }
    }
}

/// The type of an event parameter (libs' `ppm_param_type`, without the `PT_` prefix in the
/// tables). One type serves the checker's listing (`events.tsv`), the scap event table
/// (`event_table_libs_master.tsv`), the capture readers and the runtime's decoded values.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum ParamType {
    /// `PT_NONE`: no declared type (parameters of events built by hand in tests).
    None,
    Int8,
    Int16,
    Int32,
    Int64,
    Uint8,
    Uint16,
    Uint32,
    Uint64,
    CharBuf,
    ByteBuf,
    Errno,
    SockAddr,
    SockTuple,
    Fd,
    Pid,
    FdList,
    FsPath,
    FsRelPath,
    SyscallId,
    SigType,
    RelTime,
    AbsTime,
    Port,
    L4Proto,
    SockFamily,
    Bool,
    Ipv4Addr,
    Ipv6Addr,
    /// `PT_DYN`: a per-event type index byte, then the value.
    Dynamic,
    Flags8,
    Flags16,
    Flags32,
    EnumFlags8,
    EnumFlags16,
    EnumFlags32,
    Uid,
    Gid,
    Double,
    SigSet,
    CharBufArray,
    CharBufPairArray,
    Ipv4Net,
    Ipv6Net,
    IpAddr,
    IpNet,
    Mode,
    /// A 32-bit fd on the wire (read as [`ParamType::Fd`]).
    Fd32,
    /// A 32-bit pid on the wire (read as [`ParamType::Pid`]).
    Pid32,
}

impl ParamType {
    /// The width in bytes of a fixed-width integer type on the wire, and whether it is signed;
    /// `None` for every other type (strings, buffers, addresses, `DYN`, doubles).
    pub fn int_width(self) -> Option<(usize, bool)> {
        use ParamType::*;
        Some(match self {
            Int8 => (1, true),
            Uint8 | Flags8 | EnumFlags8 | SigType | L4Proto | SockFamily => (1, false),
            Int16 => (2, true),
            Uint16 | Flags16 | EnumFlags16 | SyscallId | Port => (2, false),
            Int32 | Fd32 | Pid32 => (4, true),
            Uint32 | Flags32 | EnumFlags32 | Uid | Gid | Ipv4Addr => (4, false),
            Int64 | Errno | Fd | Pid | RelTime | AbsTime => (8, true),
            Uint64 | SigSet => (8, false),
            _ => return Option::None,
        })
    }

    /// Parses a type name as the tables spell it (`FSPATH`, `FLAGS32`); `DYN` (the libs table)
    /// and `DYNAMIC` (the listing) are the same type.
    pub fn parse(s: &str) -> Option<ParamType> {
        use ParamType::*;
        Some(match s {
            "NONE" => None,
            "INT8" => Int8,
            "INT16" => Int16,
            "INT32" => Int32,
            "INT64" => Int64,
            "UINT8" => Uint8,
            "UINT16" => Uint16,
            "UINT32" => Uint32,
            "UINT64" => Uint64,
            "CHARBUF" => CharBuf,
            "BYTEBUF" => ByteBuf,
            "ERRNO" => Errno,
            "SOCKADDR" => SockAddr,
            "SOCKTUPLE" => SockTuple,
            "FD" => Fd,
            "PID" => Pid,
            "FDLIST" => FdList,
            "FSPATH" => FsPath,
            "FSRELPATH" => FsRelPath,
            "SYSCALLID" => SyscallId,
            "SIGTYPE" => SigType,
            "RELTIME" => RelTime,
            "ABSTIME" => AbsTime,
            "PORT" => Port,
            "L4PROTO" => L4Proto,
            "SOCKFAMILY" => SockFamily,
            "BOOL" => Bool,
            "IPV4ADDR" => Ipv4Addr,
            "IPV6ADDR" => Ipv6Addr,
            "DYN" | "DYNAMIC" => Dynamic,
            "FLAGS8" => Flags8,
            "FLAGS16" => Flags16,
            "FLAGS32" => Flags32,
            "ENUMFLAGS8" => EnumFlags8,
            "ENUMFLAGS16" => EnumFlags16,
            "ENUMFLAGS32" => EnumFlags32,
            "UID" => Uid,
            "GID" => Gid,
            "DOUBLE" => Double,
            "SIGSET" => SigSet,
            "CHARBUFARRAY" => CharBufArray,
            "CHARBUF_PAIR_ARRAY" => CharBufPairArray,
            "IPV4NET" => Ipv4Net,
            "IPV6NET" => Ipv6Net,
            "IPADDR" => IpAddr,
            "IPNET" => IpNet,
            "MODE" => Mode,
            "FD32" => Fd32,
            "PID32" => Pid32,
            _ => return Option::None,
        })
    }

    /// Whether the type is an enum (one value) rather than a set of flag bits.
    pub fn is_enum_flags(self) -> bool {
        matches!(self, ParamType::EnumFlags8 | ParamType::EnumFlags16 | ParamType::EnumFlags32)
    }

    /// The type `evt.rawarg.NAME` has for a parameter of this type, when it is a comparable
    /// scalar. Sockaddrs, tuples, fd lists and dynamic parameters have no comparable raw form.
    pub fn field_type(self) -> Option<super::FieldType> {
        use super::FieldType as F;
        use ParamType::*;
        Some(match self {
            Int8 => F::Int8,
            Int16 => F::Int16,
            Int32 => F::Int32,
            // errno, fds and pids are 64-bit signed integers on the wire.
            Int64 | Errno | Fd | Pid => F::Int64,
            Uint8 | SigType | L4Proto | SockFamily | Flags8 | EnumFlags8 => F::Uint8,
            Uint16 | SyscallId | Flags16 | EnumFlags16 => F::Uint16,
            Uint32 | Flags32 | EnumFlags32 | Uid | Gid | Mode | SigSet => F::Uint32,
            Uint64 => F::Uint64,
            CharBuf | FsPath | FsRelPath => F::CharBuf,
            ByteBuf => F::ByteBuf,
            RelTime => F::RelTime,
            AbsTime => F::AbsTime,
            Port => F::Port,
            Bool => F::Bool,
            Ipv4Addr | Ipv6Addr => F::IpAddr,
            Double => F::Double,
            // Never in the listing (`events.tsv`); the libs table's extra types have no
            // comparable raw form either, except the 32-bit fds and pids.
            Fd32 | Pid32 => F::Int64,
            SockAddr | SockTuple | FdList | Dynamic | None | CharBufArray | CharBufPairArray | Ipv4Net | Ipv6Net
            | IpAddr | IpNet => return Option::None,
        })
    }

    /// Flag-like parameters whose rendered text (`evt.arg.NAME`) is a `|`-joined list of names.
    pub fn is_flags(self) -> bool {
        use ParamType::*;
        matches!(self, Flags8 | Flags16 | Flags32 | EnumFlags8 | EnumFlags16 | EnumFlags32 | Mode)
    }
}

/// One parameter of an event half.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Param {
    pub name: &'static str,
    pub ty: ParamType,
    /// The symbolic values of a flags/enum parameter (`O_RDONLY`...), empty otherwise.
    pub flags: Vec<&'static str>,
}

/// One event name with its enter and exit halves (either may be absent from the table: most
/// syscalls are listed with their exit half only).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct EventInfo {
    pub name: &'static str,
    pub section: Section,
    /// The `default` column: `No` marks the high-volume I/O events (read, write, send...) that
    /// Falco does not capture unless a rule asks for them.
    pub default: bool,
    pub enter: Option<Vec<Param>>,
    pub exit: Option<Vec<Param>>,
}

impl EventInfo {
    /// The parameters of both halves, exit first (the exit half carries the full set).
    pub fn params(&self) -> impl Iterator<Item = (Dir, &Param)> {
        let exit = self.exit.iter().flatten().map(|p| (Dir::Exit, p));
        let enter = self.enter.iter().flatten().map(|p| (Dir::Enter, p));
        exit.chain(enter)
    }

    /// The parameter called `name`, looked up in the exit half first.
    pub fn param(&self, name: &str) -> Option<&Param> {
        self.params().map(|(_, p)| p).find(|p| p.name == name)
    }

    /// Generic syscalls (no dedicated event; parameters `ID`, `nativeID`).
    pub fn is_generic(&self) -> bool {
        self.params().any(|(_, p)| p.ty == ParamType::SyscallId)
    }
}

/// Names that Falco accepts as `evt.type` values although `events.tsv` (the `falco
/// --list-events` listing) does not have them.
///
/// Why: libsinsp validates an `evt.type` value (`sinsp_filter_check_event::validate_filter_value`)
/// by looking it up in two tables, and accepts it if either has it:
/// 1. the whole event table (every `PPME_*` entry, including the ones the listing leaves out:
///    the generic event `syscall`, the unused placeholders named `NA`, the old-version
///    `k8s`/`mesos`/`tracer` metaevents, and the iterator events `task`/`task_file_*` of recent
///    libs), and
/// 2. the syscall-code table (`ppm_sc` names: every syscall the drivers know, plus the five
///    tracepoint codes). The listing shows generic syscalls under their own name (those rows
///    are already in events.tsv, with parameters `SYSCALLID ID, UINT16 nativeID`), but a
///    syscall that has a dedicated event under a different name is only listed under the
///    event's name: `pread64` is the event `pread`, `prlimit64` is `prlimit`, `_llseek` is
///    `llseek`, `setuid32` is `setuid`... Those spellings are accepted too, though at run time
///    `evt.type` always holds the event name, so `evt.type = pread64` can never match.
///
/// Plugins may also declare async event names, which Falco then accepts; rulec knows no plugin
/// at compile time, so those are not here.
///
/// The iterator events (`task*`) come from libs master; if the Falco release being matched
/// predates them we accept a few names Falco would reject, which keeps us a superset.
pub const EXTRA_EVENT_TYPE_NAMES: &[&str] = &[
    // Event-table names not in the listing.
    "syscall",
    "NA",
    "k8s",
    "mesos",
    "tracer",
    "task",
    "task_file_anon_inode",
    "task_file_directory",
    "task_file_memfd",
    "task_file_pipe",
    "task_file_regular",
    "task_file_socket_inet",
    "task_file_socket_inet6",
    "task_file_socket_netlink",
    "task_file_socket_unix",
    // Syscall-code names whose event has another name.
    "unknown",
    "_llseek",
    "fcntl64",
    "pread64",
    "pwrite64",
    "prlimit64",
    "sendfile64",
    "ugetrlimit",
    "getuid32",
    "geteuid32",
    "getgid32",
    "getegid32",
    "setuid32",
    "setgid32",
    "setresuid32",
    "setresgid32",
    "getresuid32",
    "getresgid32",
    // Tracepoint codes of the syscall-code table (their events are switch, procexit,
    // page_fault and signaldeliver).
    "sched_process_exit",
    "sched_switch",
    "page_fault_user",
    "page_fault_kernel",
    "signal_deliver",
];

/// One parsed row of `events.tsv`.
pub(super) struct Row {
    pub section: Section,
    pub default: bool,
    pub dir: Dir,
    pub name: &'static str,
    pub params: Vec<Param>,
}

/// Parses one data row of `events.tsv` (5 tab-separated columns: section, default, direction,
/// name, flag values); the parameters are the scap table's.
pub(super) fn parse_row(line: &'static str) -> Result<Row, String> {
    let cols: Vec<&'static str> = line.split('\t').collect();
    if cols.len() != 5 {
        return Err(format!("expected 5 columns, found {}", cols.len()));
    }
    let section = Section::parse(cols[0]).ok_or_else(|| format!("unknown section `{}`", cols[0]))?;
    let default = match cols[1] {
        "Yes" => true,
        "No" => false,
        other => return Err(format!("bad default `{other}`")),
    };
    let dir = match cols[2] {
        ">" => Dir::Enter,
        "<" => Dir::Exit,
        other => return Err(format!("bad direction `{other}`")),
    };
    let name = cols[3];
    if name.is_empty() || name.contains(char::is_whitespace) {
        return Err(format!("bad event name `{name}`"));
    }
    let flag_values = parse_flag_values(cols[4])?;
    // A syscall without a dedicated event is listed under its own name with the generic
    // event's parameters (`ID`, `nativeID`); a test pins how many halves are generic.
    let def = match crate::newest_event_def(name, dir) {
        Some(def) => def,
        None => crate::event_def(if dir == Dir::Enter { 0 } else { 1 }).ok_or("no generic event row")?,
    };
    let params = def
        .params
        .iter()
        .map(|&(pname, ty)| {
            let flags = flag_values.iter().find(|(n, _)| *n == pname).map(|(_, v)| v.clone()).unwrap_or_default();
            Param { name: pname, ty, flags }
        })
        .collect::<Vec<_>>();
    for (n, _) in &flag_values {
        if !params.iter().any(|p| p.name == *n) {
            return Err(format!("flag values for unknown parameter `{n}`"));
        }
    }
    Ok(Row { section, default, dir, name, params })
}

/// `flags=A|B; mode=C|D` → [("flags", [A, B]), ("mode", [C, D])].
fn parse_flag_values(s: &'static str) -> Result<Vec<(&'static str, Vec<&'static str>)>, String> {
    let mut out = Vec::new();
    for part in s.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, values) = part.split_once('=').ok_or_else(|| format!("bad flag values `{part}`"))?;
        out.push((name.trim(), values.split('|').map(str::trim).filter(|v| !v.is_empty()).collect()));
    }
    Ok(out)
}
