//! Fd kinds (libscap's `scap_fd_type`, [`FdKind`]) and which syscalls create which kind
//! (`data/fd_events.tsv`, [`fd_creation`]): rulec's own table, keyed by event name, next to the
//! libs event table. A row says the kind and name of the fd an exit creates and whether the fd
//! is the return value (`res`) or the `fd` parameter; kind `-` marks a call whose kind its own
//! handler decides (a socket's family, a duplicated fd's kind) but whose return value is the fd.
//! The state machine creates the fd of every row with a kind; `fd.*` fields of an exit without
//! an `fd` parameter refer to `res` for the `res` rows.

use std::sync::LazyLock;

use rustc_hash::FxHashMap as HashMap;

const FD_EVENTS_TSV: &str = include_str!("../data/fd_events.tsv");

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

/// Every kind once, with its names and numbers: the identifier rulec's capture files store
/// ([`FdKind::ident`]), the short name of `data/fd_events.tsv` and of `/proc`'s
/// `anon_inode:[...]` links ([`FdKind::from_short_name`]), and libscap's `scap_fd_type` number
/// for the kinds fd lists record by name ([`FdKind::from_scap`], [`FdKind::scap_type`]; sockets
/// are recorded apart, with their addresses).
const KINDS: [(FdKind, &str, Option<&str>, Option<u8>); 19] = {
    use FdKind::*;
    [
        (File, "file", Some("file"), Some(1)),
        (Directory, "directory", Some("directory"), Some(2)),
        (Ipv4Sock, "ipv4_sock", None, None),
        (Ipv6Sock, "ipv6_sock", None, None),
        (UnixSock, "unix_sock", None, None),
        (NetlinkSock, "netlink_sock", None, Some(15)),
        (OtherSock, "other_sock", None, None),
        (Pipe, "pipe", Some("pipe"), Some(7)),
        (EventFd, "event_fd", Some("eventfd"), Some(9)),
        (SignalFd, "signal_fd", Some("signalfd"), Some(11)),
        (EventPoll, "event_poll", Some("eventpoll"), Some(12)),
        (Inotify, "inotify", Some("inotify"), Some(13)),
        (TimerFd, "timer_fd", Some("timerfd"), Some(14)),
        (Bpf, "bpf", Some("bpf"), Some(17)),
        (UserFaultFd, "user_fault_fd", Some("userfaultfd"), Some(18)),
        (IoUring, "io_uring", Some("io_uring"), Some(19)),
        (Memfd, "memfd", Some("memfd"), Some(20)),
        (PidFd, "pid_fd", Some("pidfd"), Some(21)),
        (Unsupported, "unsupported", None, Some(10)),
    ]
};

impl FdKind {
    /// Every kind, in declaration order.
    pub fn all() -> impl Iterator<Item = FdKind> {
        KINDS.iter().map(|k| k.0)
    }
    fn row(self) -> &'static (FdKind, &'static str, Option<&'static str>, Option<u8>) {
        // The table is in declaration order (a test checks it), so a kind's row is at its index.
        KINDS.get(self as usize).filter(|k| k.0 == self).unwrap_or(&KINDS[KINDS.len() - 1])
    }
    /// Every kind's identifier ([`FdKind::ident`]), in declaration order.
    pub const IDENTS: [&'static str; KINDS.len()] = {
        let mut out = [""; KINDS.len()];
        let mut i = 0;
        while i < KINDS.len() {
            out[i] = KINDS[i].1;
            i += 1;
        }
        out
    };
    /// The kind's stable identifier (`ipv4_sock`, `event_fd`), as rulec's capture files store it.
    pub fn ident(self) -> &'static str {
        self.row().1
    }
    /// The kind of identifier `s` ([`FdKind::ident`]).
    pub fn from_ident(s: &str) -> Option<FdKind> {
        KINDS.iter().find(|k| k.1 == s).map(|k| k.0)
    }
    /// The kind of a short name (`eventfd`, `io_uring`), as `data/fd_events.tsv` spells it and
    /// as `/proc` links name anonymous inodes (`anon_inode:[eventfd]`).
    pub fn from_short_name(s: &str) -> Option<FdKind> {
        KINDS.iter().find(|k| k.2 == Some(s)).map(|k| k.0)
    }
    /// The kind of libscap's `scap_fd_type` number, as fd lists of captures record it; sockets
    /// are recorded apart, with their addresses (`Unsupported` for any other number).
    pub fn from_scap(ty: u8) -> FdKind {
        KINDS.iter().find(|k| k.3 == Some(ty)).map_or(FdKind::Unsupported, |k| k.0)
    }
    /// libscap's `scap_fd_type` number of a kind fd lists record by name (`None` for sockets,
    /// which are recorded with their addresses).
    pub fn scap_type(self) -> Option<u8> {
        self.row().3
    }

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

/// Where the fd an exit creates is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FdSource {
    /// The return value (`res`).
    Res,
    /// The `fd` parameter.
    FdParam,
}

/// One row of `data/fd_events.tsv`: the fd a call creates.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct FdCreation {
    /// The kind of the fd, when the row fixes it (`None`: the call's handler decides).
    pub kind: Option<FdKind>,
    /// Where the fd is.
    pub fd: FdSource,
    /// The fd's name (`anon_inode:[eventfd]`), when the row fixes it.
    pub name: Option<&'static str>,
}

struct FdTable {
    rows: HashMap<&'static str, FdCreation>,
    load_errors: Vec<String>,
}

static FD_TABLE: LazyLock<FdTable> = LazyLock::new(|| {
    // Asked for every exit event the state machine has no arm for: a fast hash of the name.
    let mut rows = HashMap::default();
    let mut load_errors = Vec::new();
    for (lineno, line) in crate::data_lines(FD_EVENTS_TSV) {
        match parse_row(line) {
            Ok((event, row)) => {
                if rows.insert(event, row).is_some() {
                    load_errors.push(format!("fd_events.tsv:{lineno}: `{event}` twice"));
                }
            }
            Err(e) => load_errors.push(format!("fd_events.tsv:{lineno}: {e}")),
        }
    }
    FdTable { rows, load_errors }
});

fn parse_row(line: &'static str) -> Result<(&'static str, FdCreation), String> {
    let cols: Vec<&'static str> = line.split('\t').collect();
    let [event, kind, fd, name] = cols[..] else {
        return Err(format!("expected 4 columns, found {}", cols.len()));
    };
    let kind = match kind {
        "-" => None,
        k => Some(FdKind::from_short_name(k).ok_or_else(|| format!("unknown fd kind `{k}`"))?),
    };
    let fd = match fd {
        "res" => FdSource::Res,
        "fd" => FdSource::FdParam,
        other => return Err(format!("fd must be `res` or `fd`, not `{other}`")),
    };
    let name = (name != "-").then_some(name);
    if kind.is_some() != name.is_some() {
        return Err("a row names its fd exactly when it fixes its kind".to_string());
    }
    Ok((event, FdCreation { kind, fd, name }))
}

/// The fd the exit of `event` creates, when `data/fd_events.tsv` has a row for it.
pub fn fd_creation(event: &str) -> Option<&'static FdCreation> {
    FD_TABLE.rows.get(event)
}

/// Rows of `data/fd_events.tsv` that did not parse (a test keeps this empty).
pub fn fd_events_load_errors() -> &'static [String] {
    &FD_TABLE.load_errors
}

/// Exit events whose return value (`res`) is the fd they create, for events that have no `fd`
/// parameter of their own: the state machine adds the fd under that number and `fd.*` fields
/// of the exit refer to it.
pub fn creates_fd_from_res(name: &str) -> bool {
    fd_creation(name).is_some_and(|c| c.fd == FdSource::Res)
}
