//! The scap event table: one [`EventDef`] per event id (`ppm_event_code`) of libs master
//! (`data/event_table_libs_master.tsv`), with its `PPME_*` name, event name, direction, typed
//! category ([`EventCategory`]), typed `EF_*` flags ([`EventFlags`]) and typed parameters.
//!
//! This is the table the capture readers decode events with and the state machine and fields
//! read facts from (creates an fd, reads from an fd, old version...). Params are only ever
//! appended to an id, so the newest table decodes older captures too. The checker's per-name
//! listing (`events.tsv`, what `falco --list-events` prints) is [`crate::EventInfo`]; a test
//! checks that the two agree on every parameter both list.
//!
//! It owns parsing the TSV and the lookups by id and by (name, direction); it knows nothing of
//! decoded values.

use rustc_hash::FxHashMap as HashMap;
use std::sync::LazyLock;

use crate::params::{AnyKey, any, kind};
use crate::{Dir, ParamType};

const TABLE_TSV: &str = include_str!("../data/event_table_libs_master.tsv");

pub use crate::table_row::MAX_PARAMS;

/// The `EF_*` flags of an event, as bits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct EventFlags(u32);

impl EventFlags {
    /// `EF_CREATES_FD`: the syscall creates an fd.
    pub const CREATES_FD: EventFlags = EventFlags(1 << 0);
    /// `EF_DESTROYS_FD`: the syscall closes an fd.
    pub const DESTROYS_FD: EventFlags = EventFlags(1 << 1);
    /// `EF_USES_FD`: the syscall operates on an fd.
    pub const USES_FD: EventFlags = EventFlags(1 << 2);
    /// `EF_READS_FROM_FD`: a read-like syscall.
    pub const READS_FROM_FD: EventFlags = EventFlags(1 << 3);
    /// `EF_WRITES_TO_FD`: a write-like syscall.
    pub const WRITES_TO_FD: EventFlags = EventFlags(1 << 4);
    /// `EF_MODIFIES_STATE`: the event changes the state libsinsp tracks.
    pub const MODIFIES_STATE: EventFlags = EventFlags(1 << 5);
    /// `EF_UNUSED`: a placeholder id.
    pub const UNUSED: EventFlags = EventFlags(1 << 6);
    /// `EF_WAITS`: the syscall may block.
    pub const WAITS: EventFlags = EventFlags(1 << 7);
    /// `EF_SKIPPARSERESET`: not attributed to a thread by the parser.
    pub const SKIPPARSERESET: EventFlags = EventFlags(1 << 8);
    /// `EF_OLD_VERSION`: superseded by a newer id with the same name and direction.
    pub const OLD_VERSION: EventFlags = EventFlags(1 << 9);
    /// `EF_LARGE_PAYLOAD`: parameter lengths are u32 rather than u16.
    pub const LARGE_PAYLOAD: EventFlags = EventFlags(1 << 10);
    /// `EF_CONVERTER_MANAGED`: libs' scap converter upgrades old versions of it.
    pub const CONVERTER_MANAGED: EventFlags = EventFlags(1 << 11);

    /// The flags of the table's spelling, in the order they are printed.
    const NAMES: [(&'static str, EventFlags); 12] = [
        ("EF_CREATES_FD", EventFlags::CREATES_FD),
        ("EF_DESTROYS_FD", EventFlags::DESTROYS_FD),
        ("EF_USES_FD", EventFlags::USES_FD),
        ("EF_READS_FROM_FD", EventFlags::READS_FROM_FD),
        ("EF_WRITES_TO_FD", EventFlags::WRITES_TO_FD),
        ("EF_MODIFIES_STATE", EventFlags::MODIFIES_STATE),
        ("EF_UNUSED", EventFlags::UNUSED),
        ("EF_WAITS", EventFlags::WAITS),
        ("EF_SKIPPARSERESET", EventFlags::SKIPPARSERESET),
        ("EF_OLD_VERSION", EventFlags::OLD_VERSION),
        ("EF_LARGE_PAYLOAD", EventFlags::LARGE_PAYLOAD),
        ("EF_CONVERTER_MANAGED", EventFlags::CONVERTER_MANAGED),
    ];

    /// No flag (`EF_NONE`).
    pub const fn empty() -> EventFlags {
        EventFlags(0)
    }

    /// Whether every flag of `other` is set.
    pub const fn contains(self, other: EventFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether any flag of `other` is set.
    pub const fn intersects(self, other: EventFlags) -> bool {
        self.0 & other.0 != 0
    }

    /// The union of two sets.
    pub const fn union(self, other: EventFlags) -> EventFlags {
        EventFlags(self.0 | other.0)
    }

    /// The flag named `name` (`EF_CREATES_FD`).
    pub fn from_name(name: &str) -> Option<EventFlags> {
        EventFlags::NAMES.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
    }

    /// Parses the table's `EF_A | EF_B` column (`EF_NONE` is empty).
    fn parse(s: &str) -> Result<EventFlags, String> {
        let mut out = EventFlags::empty();
        for tok in s.split('|').map(str::trim).filter(|t| !t.is_empty() && *t != "EF_NONE") {
            out = out.union(EventFlags::from_name(tok).ok_or_else(|| format!("unknown event flag `{tok}`"))?);
        }
        Ok(out)
    }
}

/// Where an event comes from: the source bits of the `EC_*` category.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum EventSource {
    /// `EC_SYSCALL`.
    Syscall,
    /// `EC_TRACEPOINT` (switch, procexit, page faults, signal delivery).
    Tracepoint,
    /// `EC_PLUGIN`.
    Plugin,
    /// `EC_METAEVENT` (container, procinfo, drops, user/group changes...).
    Meta,
    /// `EC_ITER` (the iterator events `task*`).
    Iter,
    /// No source bit in the table (placeholders).
    Unknown,
}

/// The class part of the `EC_*` category, which `evt.category` prints.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[allow(missing_docs)]
pub enum EventClass {
    Unknown,
    Other,
    File,
    Net,
    Ipc,
    Memory,
    Process,
    Sleep,
    System,
    Signal,
    User,
    Time,
    IoRead,
    IoWrite,
    IoOther,
    Wait,
    Scheduler,
    Internal,
}

impl EventClass {
    /// libsinsp's text for the class (`file`, `net`, `IO_read`...), as `evt.category` shows it.
    pub fn as_str(self) -> &'static str {
        use EventClass::*;
        match self {
            Unknown => "unknown",
            Other => "other",
            File => "file",
            Net => "net",
            Ipc => "IPC",
            Memory => "memory",
            Process => "process",
            Sleep => "sleep",
            System => "system",
            Signal => "signal",
            User => "user",
            Time => "time",
            IoRead => "IO_read",
            IoWrite => "IO_write",
            IoOther => "IO_other",
            Wait => "wait",
            Scheduler => "scheduler",
            Internal => "internal",
        }
    }
}

/// The `EC_*` category of an event: its class and its source.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct EventCategory {
    /// What the event is about (`EC_FILE`).
    pub class: EventClass,
    /// Where it comes from (`EC_SYSCALL`).
    pub source: EventSource,
}

impl EventCategory {
    /// Parses the table's `EC_FILE | EC_SYSCALL` column: one class (the first when several are
    /// written, as libsinsp prints it), at most one source.
    fn parse(s: &str) -> Result<EventCategory, String> {
        use EventClass as C;
        let mut class = None;
        let mut source = EventSource::Unknown;
        for tok in s.split('|').map(str::trim).filter(|t| !t.is_empty()) {
            let src = match tok {
                "EC_SYSCALL" => Some(EventSource::Syscall),
                "EC_TRACEPOINT" => Some(EventSource::Tracepoint),
                "EC_PLUGIN" => Some(EventSource::Plugin),
                "EC_METAEVENT" => Some(EventSource::Meta),
                "EC_ITER" => Some(EventSource::Iter),
                _ => None,
            };
            if let Some(src) = src {
                if source != EventSource::Unknown {
                    return Err(format!("two sources in category `{s}`"));
                }
                source = src;
                continue;
            }
            let c = match tok {
                "EC_UNKNOWN" => C::Unknown,
                "EC_OTHER" => C::Other,
                "EC_FILE" => C::File,
                "EC_NET" => C::Net,
                "EC_IPC" => C::Ipc,
                "EC_MEMORY" => C::Memory,
                "EC_PROCESS" => C::Process,
                "EC_SLEEP" => C::Sleep,
                "EC_SYSTEM" => C::System,
                "EC_SIGNAL" => C::Signal,
                "EC_USER" => C::User,
                "EC_TIME" => C::Time,
                "EC_IO_READ" => C::IoRead,
                "EC_IO_WRITE" => C::IoWrite,
                "EC_IO_OTHER" => C::IoOther,
                "EC_WAIT" => C::Wait,
                "EC_SCHEDULER" => C::Scheduler,
                "EC_INTERNAL" => C::Internal,
                other => return Err(format!("unknown event category `{other}`")),
            };
            class.get_or_insert(c);
        }
        Ok(EventCategory { class: class.unwrap_or(C::Unknown), source })
    }
}

/// One row of the scap event table.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct EventDef {
    /// Event id (`ppm_event_code`).
    pub id: u16,
    /// `PPME_*` enum name; empty for an id the table does not have.
    pub enum_name: &'static str,
    /// Event name (`open`).
    pub name: &'static str,
    /// Direction.
    pub dir: Dir,
    /// `EC_*` category.
    pub category: EventCategory,
    /// `EF_*` flags.
    pub flags: EventFlags,
    /// Parameters (name, type), in wire order.
    pub params: Vec<(&'static str, ParamType)>,
}

impl EventDef {
    /// A syscall event (`EC_SYSCALL`), as opposed to tracepoint and meta events (switch,
    /// procexit, procinfo, container...).
    #[inline]
    pub fn is_syscall(&self) -> bool {
        self.category.source == EventSource::Syscall
    }

    /// Parameter lengths are u32 (`EF_LARGE_PAYLOAD`).
    #[inline]
    pub fn large_payload(&self) -> bool {
        self.flags.contains(EventFlags::LARGE_PAYLOAD)
    }

    /// The syscall creates an fd (`EF_CREATES_FD`).
    #[inline]
    pub fn creates_fd(&self) -> bool {
        self.flags.contains(EventFlags::CREATES_FD)
    }

    /// The event concerns an fd: creates, uses or destroys one.
    #[inline]
    pub fn fd_related(&self) -> bool {
        self.flags.intersects(EventFlags::CREATES_FD.union(EventFlags::USES_FD).union(EventFlags::DESTROYS_FD))
    }

    /// The index of parameter `name`, if the event has one.
    pub fn param_index(&self, name: &str) -> Option<usize> {
        self.params.iter().position(|(n, _)| *n == name)
    }
}

/// The parsed table and its name index.
struct Table {
    rows: Vec<EventDef>,
    /// (name, direction) → index of the newest (not `EF_OLD_VERSION`) row.
    newest: HashMap<(&'static str, Dir), usize>,
    load_errors: Vec<String>,
}

static TABLE: LazyLock<Table> = LazyLock::new(|| parse_table(TABLE_TSV));

fn parse_table(tsv: &'static str) -> Table {
    let mut rows: Vec<EventDef> = Vec::new();
    let mut load_errors = Vec::new();
    for (lineno, line) in tsv.lines().enumerate().skip(1) {
        let row = match parse_row(line) {
            Ok(r) => r,
            Err(e) => {
                load_errors.push(format!("event_table_libs_master.tsv:{}: {e}", lineno + 1));
                continue;
            }
        };
        if usize::from(row.id) < rows.len() {
            load_errors.push(format!("event_table_libs_master.tsv:{}: id {} out of order", lineno + 1, row.id));
            continue;
        }
        // Ids are dense in the TSV; keep the index == id invariant even if they were not.
        while rows.len() < usize::from(row.id) {
            let missing = rows.len() as u16;
            rows.push(EventDef {
                id: missing,
                enum_name: "",
                name: "unknown",
                dir: Dir::of_id(missing),
                category: EventCategory { class: EventClass::Unknown, source: EventSource::Unknown },
                flags: EventFlags::empty(),
                params: Vec::new(),
            });
        }
        rows.push(row);
    }
    let mut newest: HashMap<(&'static str, Dir), usize> = HashMap::default();
    for (i, e) in rows.iter().enumerate() {
        let old = e.flags.contains(EventFlags::OLD_VERSION);
        // Later rows are newer versions; an old-version row never replaces a current one.
        let keep_prev =
            newest.get(&(e.name, e.dir)).is_some_and(|&j| old && !rows[j].flags.contains(EventFlags::OLD_VERSION));
        if !keep_prev {
            newest.insert((e.name, e.dir), i);
        }
    }
    Table { rows, newest, load_errors }
}

/// One data row, its columns typed (the split is [`crate::table_row`]'s, shared with build.rs).
fn parse_row(line: &'static str) -> Result<EventDef, String> {
    let raw = crate::table_row::split_row(line)?;
    let dir = if raw.dir == "E" { Dir::Enter } else { Dir::Exit };
    let category = EventCategory::parse(raw.category)?;
    let flags = EventFlags::parse(raw.flags)?;
    let mut params = Vec::with_capacity(raw.params.len());
    for (n, t) in raw.params {
        let ty = ParamType::parse(t).ok_or_else(|| format!("unknown parameter type `{t}`"))?;
        params.push((n, ty));
    }
    Ok(EventDef { id: raw.id, enum_name: raw.enum_name, name: raw.name, dir, category, flags, params })
}

/// The scap event table (libs master), indexed by id.
#[inline]
pub fn event_table() -> &'static [EventDef] {
    &TABLE.rows
}

/// The table row for `id`.
#[inline]
pub fn event_def(id: u16) -> Option<&'static EventDef> {
    TABLE.rows.get(usize::from(id))
}

/// The newest (not `EF_OLD_VERSION`) row for a name and direction.
pub fn newest_event_def(name: &str, dir: Dir) -> Option<&'static EventDef> {
    TABLE.newest.get(&(name, dir)).and_then(|&i| TABLE.rows.get(i))
}

/// True for `PPME_GENERIC_E`/`PPME_GENERIC_X` (ids 0 and 1): syscalls without a dedicated
/// event, which carry the syscall's `ppm_sc` code instead (see [`crate::syscalls`]).
#[inline]
pub fn is_generic_id(id: u16) -> bool {
    id <= 1
}

/// Rows of the embedded table that did not parse (a test keeps this empty).
pub fn event_table_load_errors() -> &'static [String] {
    &TABLE.load_errors
}

/// One path parameter of a filesystem syscall: the parameter, the directory-fd parameter it is
/// relative to (the `*at` calls), and whether it is not a path of the process at all (a
/// symlink's content, kept as written). The keys read either half of the call.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct PathParam {
    /// The path parameter (`name`, `oldpath`).
    pub path: AnyKey<kind::Str>,
    /// The directory fd the path is relative to (`dirfd`, `olddirfd`), for the `*at` calls.
    pub dirfd: Option<AnyKey<kind::Fd>>,
    /// The text is not resolved against anything (symlink targets).
    pub literal: bool,
}

/// The paths a filesystem syscall operates on, as libsinsp's `fs.path.*` and `evt.abspath`
/// define them: one path, or the source and target of a two-path call (for a symlink the
/// source is the link's content, the target the link created).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SyscallPaths {
    /// Single-path calls (open, mkdir, unlinkat, fchmodat...).
    One(PathParam),
    /// Two-path calls (rename, link, symlink and their `*at` forms).
    Two {
        /// The path operated from.
        source: PathParam,
        /// The path operated on.
        target: PathParam,
    },
}

impl SyscallPaths {
    /// Whether a path is relative to a directory-fd parameter (the `*at` calls).
    pub fn has_dirfd(self) -> bool {
        match self {
            SyscallPaths::One(p) => p.dirfd.is_some(),
            SyscallPaths::Two { source, target } => source.dirfd.is_some() || target.dirfd.is_some(),
        }
    }
}

/// The path parameters of the filesystem syscall `name`, for the calls libsinsp defines
/// `fs.path.*` for; `None` for every other event.
pub fn syscall_paths(name: &str) -> Option<SyscallPaths> {
    const fn p(path: AnyKey<kind::Str>, dirfd: Option<AnyKey<kind::Fd>>) -> PathParam {
        PathParam { path, dirfd, literal: false }
    }
    const fn literal(path: AnyKey<kind::Str>) -> PathParam {
        PathParam { path, dirfd: None, literal: true }
    }
    use SyscallPaths::{One, Two};
    Some(match name {
        "mkdir" | "rmdir" | "unlink" => One(p(any::PATH, None)),
        "mkdirat" => One(p(any::PATH, Some(any::DIRFD))),
        "unlinkat" => One(p(any::NAME, Some(any::DIRFD))),
        "open" | "creat" => One(p(any::NAME, None)),
        "openat" | "openat2" => One(p(any::NAME, Some(any::DIRFD))),
        "chmod" => One(p(any::FILENAME, None)),
        "fchmodat" => One(p(any::FILENAME, Some(any::DIRFD))),
        "rename" | "link" => Two { source: p(any::OLDPATH, None), target: p(any::NEWPATH, None) },
        "renameat" | "renameat2" => {
            Two { source: p(any::OLDPATH, Some(any::OLDDIRFD)), target: p(any::NEWPATH, Some(any::NEWDIRFD)) }
        }
        "linkat" => Two { source: p(any::OLDPATH, Some(any::OLDDIR)), target: p(any::NEWPATH, Some(any::NEWDIR)) },
        "symlink" => Two { source: literal(any::TARGET), target: p(any::LINKPATH, None) },
        "symlinkat" => Two { source: literal(any::TARGET), target: p(any::LINKPATH, Some(any::LINKDIRFD)) },
        _ => return None,
    })
}
