//! Field extraction: the value of one schema field (with its argument) for one event, given the
//! state the event was applied to, with Falco's (libsinsp's) semantics.
//!
//! This module owns [`extract`] and the per-class extractors in its submodules:
//!
//! * [`evt`]: `evt.*` and `syscall.type` (event metadata, arguments, results, time formats).
//! * [`process`]: `proc.*` and `thread.*` (the thread table, ancestors, sessions, capabilities).
//! * [`fd`]: `fd.*` and `fdlist.*` (the fd table, sockets).
//! * [`user`]: `user.*` and `group.*`.
//! * [`container`]: `container.*`, `k8s.*`, the container-plugin `proc.is_container_*` fields
//!   and `util.cnt`.
//! * [`fspath`]: `fs.path.*`.
//!
//! # Absence
//!
//! `None` means the value cannot be computed for this event (no such thread or fd, the event
//! has no such parameter, the state does not know it). As in Falco, every check on an absent
//! value is false and `exists` is false. A value is never faked to stand for absence.
//!
//! # Value types
//!
//! The `Value` variant follows the field's schema type: signed integer types give
//! [`Value::Int`], unsigned ones, times and ports [`Value::Uint`], `PT_BOOL` [`Value::Bool`],
//! `PT_CHARBUF` [`Value::Str`], `PT_BYTEBUF` [`Value::Bytes`], addresses and networks
//! [`Value::Ip`] (the evaluator compares an address against a CIDR constant by containment),
//! `PT_DOUBLE` [`Value::Double`]. `evt.rawarg` (`PT_DYN`) gives the variant of the parameter's
//! own type. Outputs render a value with `Value`'s `Display`.
//!
//! # Fields whose value is a list
//!
//! * Ancestor fields without an index (`proc.aname`, `proc.aexe`, `proc.aexepath`,
//!   `proc.acmdline`, `proc.apid`, `proc.aargs`): Falco's check holds if ANY ancestor (parent,
//!   grandparent..., not the process itself) matches. They give a [`Value::List`] of every
//!   ancestor's value, nearest first; the evaluator treats a `List` on a scalar-typed field as
//!   "the check holds if any element satisfies it" (for `!=` too: some ancestor differs).
//!   With `[N]` they give the scalar of ancestor N (0 = the process itself).
//! * The filter-only "either side" fields `fd.ip`, `fd.port`, `fd.net`, `fd.proto`: a `List`
//!   of the client and the server value, with the same "any element" reading.
//! * `fd.types` is a real list field (`is_list`): a `List` of the distinct kinds of the
//!   process's fds (sorted), or with `[N]` the kind of fd N.
//!
//! # Dispatch
//!
//! [`extractor`] resolves a field to a plain function once (a table indexed by the field's
//! position in [`schema()`]); evaluators should resolve at compile time and call the function
//! per event. [`extract`] does the resolution and the call.
//!
//! The fields rules test most have a second form ([`hot`]): it writes into a [`Value`] the
//! caller keeps from event to event (reusing its string or list buffer, so evaluating an event
//! allocates nothing) and reads the event's thread, parent and fd through [`Src`], which looks
//! each up once per event however many fields need it. [`extract`] goes through the same
//! function, so both forms have one meaning.

pub mod borrow;
pub mod container;
pub mod evt;
pub mod fd;
pub mod fspath;
pub mod hot;
pub mod process;
pub mod user;

#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::cell::{Cell, OnceCell};
use std::sync::LazyLock;

use rulec_ir::FieldArgValue;
use rulec_schema::params::{AnyKey, any, kind};
use rulec_schema::{EventDef, FieldInfo, schema};

use crate::event::{Direction, Event, ParamValue};
use crate::state::{FdInfo, State, Thread, join_path, normalized};
use crate::value::Value;

/// An extractor: the value of one field (its argument given) for an event and the state rules
/// see for it.
pub type Extractor = fn(Option<&FieldArgValue>, &Event, &State) -> Option<Value>;

/// An extractor that writes the value into `out` (reusing the buffer `out` holds) and returns
/// whether it is present; when it returns false, `out` holds nothing meaningful.
pub type IntoExtractor = fn(Option<&FieldArgValue>, &Src<'_>, &mut Value) -> bool;

/// How a field is computed: one of the two extractor forms (see the module doc).
#[derive(Clone, Copy, Debug)]
pub enum FieldFn {
    Value(Extractor),
    Into(IntoExtractor),
}

impl FieldFn {
    /// Writes the value into `out`; whether it is present.
    #[inline]
    pub fn write(self, arg: Option<&FieldArgValue>, src: &Src<'_>, out: &mut Value) -> bool {
        match self {
            FieldFn::Into(f) => f(arg, src, out),
            FieldFn::Value(f) => match f(arg, src.ev, src.st) {
                Some(v) => {
                    *out = v;
                    true
                }
                None => false,
            },
        }
    }

    /// The value, freshly allocated.
    pub fn get(self, arg: Option<&FieldArgValue>, ev: &Event, st: &State) -> Option<Value> {
        match self {
            FieldFn::Value(f) => f(arg, ev, st),
            FieldFn::Into(f) => {
                let mut out = Value::Bool(false);
                f(arg, &Src::new(ev, st), &mut out).then_some(out)
            }
        }
    }
}

/// What extractors read: the event and the state after it, plus the lookups many fields of one
/// event share (its thread, that thread's parent, the fd the event refers to), each done at
/// most once.
pub struct Src<'a> {
    pub ev: &'a Event,
    pub st: &'a State,
    thread: Cell<Option<Option<&'a Thread>>>,
    parent: Cell<Option<Option<&'a Thread>>>,
    fd_num: Cell<Option<Option<i64>>>,
    fd: Cell<Option<Option<&'a FdInfo>>>,
    /// The open flags of an open-family event ([`evt::open_flags`]), read by every
    /// `evt.is_open_*` check.
    open_flags: Cell<Option<Option<u32>>>,
    /// The path an open-family event names when its fd is not in the table.
    null_fd_path: OnceCell<Option<Cow<'a, str>>>,
    /// The connection a failed `connect` names ([`fd::failed_connect_name`]).
    failed_connect: OnceCell<Option<String>>,
}

impl std::fmt::Debug for Src<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Src").field("event", &self.ev.name).field("ts", &self.ev.ts).finish_non_exhaustive()
    }
}

impl<'a> Src<'a> {
    pub fn new(ev: &'a Event, st: &'a State) -> Src<'a> {
        Src {
            ev,
            st,
            thread: Cell::new(None),
            parent: Cell::new(None),
            fd_num: Cell::new(None),
            fd: Cell::new(None),
            open_flags: Cell::new(None),
            null_fd_path: OnceCell::new(),
            failed_connect: OnceCell::new(),
        }
    }

    /// The thread that produced the event ([`thread`]).
    #[inline]
    pub fn thread(&self) -> Option<&'a Thread> {
        if let Some(t) = self.thread.get() {
            return t;
        }
        let t = self.st.thread(self.ev.tid);
        self.thread.set(Some(t));
        t
    }

    /// Its parent as `proc.p*` fields see it ([`process::parent_of`]).
    #[inline]
    pub fn parent(&self) -> Option<&'a Thread> {
        if let Some(p) = self.parent.get() {
            return p;
        }
        let p = self.thread().and_then(|t| process::parent_of(self.st, t));
        self.parent.set(Some(p));
        p
    }

    /// The number of the fd the event refers to, as `fd.num` gives it ([`fd::fd_num`]).
    #[inline]
    pub fn fd_num(&self) -> Option<i64> {
        if let Some(n) = self.fd_num.get() {
            return n;
        }
        let n = fd::fd_num(self.ev);
        self.fd_num.set(Some(n));
        n
    }

    /// For an open-family event whose fd is not in the table, the path it names, made absolute
    /// (what `fd.name` and its relatives give then).
    pub fn null_fd_path(&self) -> Option<&str> {
        self.null_fd_path.get_or_init(|| fd::null_fd_path(self.ev, self.st)).as_deref()
    }

    /// For a `connect` exit that failed, the connection its tuple names, which is what `fd.name`
    /// gives then ([`fd::failed_connect_name`]).
    #[inline]
    pub fn failed_connect_name(&self) -> Option<&str> {
        if self.ev.dir != Direction::Exit || self.ev.name != "connect" {
            return None;
        }
        self.failed_connect.get_or_init(|| fd::failed_connect_name(self.ev)).as_deref()
    }

    /// The open flags of an open-family event ([`evt::open_flags`]).
    #[inline]
    pub fn open_flags(&self) -> Option<u32> {
        if let Some(f) = self.open_flags.get() {
            return f;
        }
        let f = evt::open_flags(self.ev);
        self.open_flags.set(Some(f));
        f
    }

    /// The fd the event refers to ([`State::event_fd_info`], which is this lookup, the thread
    /// taken from [`Src::thread`]).
    #[inline]
    pub fn fd(&self) -> Option<&'a FdInfo> {
        if let Some(f) = self.fd.get() {
            return f;
        }
        // Through the thread this source looks up once (rules read its fields too).
        let f = self.fd_num().and_then(|n| self.st.fd_of(self.thread()?, n));
        self.fd.set(Some(f));
        f
    }
}

/// The value of `field` (with `arg`, as the checker resolved it) for `ev`, `state` being the
/// state after applying `ev` ([`State::apply`]). `None` when it cannot be computed.
pub fn extract(field: &'static FieldInfo, arg: Option<&FieldArgValue>, ev: &Event, state: &State) -> Option<Value> {
    extractor(field)?.get(arg, ev, state)
}

/// The extractor of `field`, or `None` for a field rulec does not implement (there are none in
/// the embedded schema; a test keeps it so).
pub fn extractor(field: &FieldInfo) -> Option<FieldFn> {
    static TABLE: LazyLock<Vec<Option<FieldFn>>> =
        LazyLock::new(|| schema().fields().iter().map(|f| lookup(f.name)).collect());
    let fields = schema().fields();
    // Fields handed out by the schema live in its table: find the slot by address (O(1)). A
    // FieldInfo from elsewhere (a copy) falls back to a lookup by name.
    let base = fields.as_ptr() as usize;
    let addr = field as *const FieldInfo as usize;
    let size = std::mem::size_of::<FieldInfo>().max(1);
    if addr >= base {
        let idx = (addr - base) / size;
        if let Some(f) = fields.get(idx)
            && std::ptr::eq(f, field)
        {
            return TABLE.get(idx).copied().flatten();
        }
    }
    lookup(field.name)
}

/// The extractor for a field name (no argument handling: `evt.arg`, not `evt.arg.flags`): the
/// buffer-reusing form when there is one.
pub fn lookup(name: &str) -> Option<FieldFn> {
    match hot::lookup(name) {
        Some(f) => Some(FieldFn::Into(f)),
        None => lookup_value(name).map(FieldFn::Value),
    }
}

/// The value-returning extractor for a field name (every field has one; [`hot`]'s fields have
/// the other form too, and a test keeps the two equal).
pub fn lookup_value(name: &str) -> Option<Extractor> {
    let (class, _) = name.split_once('.')?;
    match class {
        "evt" | "syscall" => evt::lookup(name),
        "proc" | "thread" => process::lookup(name).or_else(|| container::lookup(name)),
        "fd" | "fdlist" => fd::lookup(name),
        "user" | "group" => user::lookup(name),
        "container" | "k8s" | "util" => container::lookup(name),
        "fs" => fspath::lookup(name),
        _ => None,
    }
}

// ---- helpers shared by the submodules ----------------------------------------------------------

/// The thread that produced the event.
pub(crate) fn thread<'a>(ev: &Event, st: &'a State) -> Option<&'a Thread> {
    st.thread(ev.tid)
}

pub(crate) fn s(v: impl Into<String>) -> Value {
    Value::Str(v.into())
}

/// A string value, `None` when empty (the state uses "" for "not known").
pub(crate) fn nonempty(v: &str) -> Option<Value> {
    if v.is_empty() { None } else { Some(Value::Str(v.to_string())) }
}

/// The `N` of `[N]`, if the argument is an index (a key that parses as a number counts too:
/// `proc.aname[2]` may reach us either way).
pub(crate) fn arg_index(arg: Option<&FieldArgValue>) -> Option<i64> {
    match arg? {
        FieldArgValue::Index(i) => Some(*i),
        FieldArgValue::Key(k) => k.trim().parse().ok(),
    }
}

/// The text of a `[KEY]` / `.KEY` argument.
pub(crate) fn arg_key(arg: Option<&FieldArgValue>) -> Option<String> {
    match arg? {
        FieldArgValue::Key(k) => Some(k.clone()),
        FieldArgValue::Index(i) => Some(i.to_string()),
    }
}

/// `PPM_AT_FDCWD`.
pub(crate) const AT_FDCWD: i64 = -100;

/// The absolute form of the path in parameter `path_param`, relative paths being resolved
/// against the directory fd in `dirfd_param` (or the thread's cwd for `AT_FDCWD` / no dirfd),
/// as libsinsp does for `evt.abspath`, `fs.path.*` and failed opens.
pub(crate) fn abs_path<'e>(
    ev: &'e Event,
    st: &State,
    dirfd_param: Option<AnyKey<kind::Fd>>,
    path_param: AnyKey<kind::Str>,
) -> Option<Cow<'e, str>> {
    abs_path_of(ev, st, dirfd_param, ev.get_any(path_param)?)
}

/// [`abs_path`] of a path parameter already read (`raw`, the event's own text).
pub(crate) fn abs_path_of<'e>(
    ev: &Event,
    st: &State,
    dirfd_param: Option<AnyKey<kind::Fd>>,
    raw: &'e str,
) -> Option<Cow<'e, str>> {
    if raw.starts_with('/') {
        // Borrowed from the event when already normal (most absolute paths).
        return Some(normalized(raw));
    }
    let dirfd = dirfd_param.and_then(|p| ev.get_any(p)).unwrap_or(AT_FDCWD);
    let base = if dirfd == AT_FDCWD { thread(ev, st)?.cwd.clone() } else { st.fd(ev.tid, dirfd)?.name.clone() };
    if raw.is_empty() {
        return Some(Cow::Owned(base));
    }
    Some(Cow::Owned(join_path(&base, raw)))
}

/// The scap event-table row of the event ([`Event::def`]).
#[inline]
pub(crate) fn event_info(ev: &Event) -> Option<&'static EventDef> {
    ev.def()
}

/// The syscall's result as libsinsp reads it for `evt.res`/`evt.rawres`/`evt.failed`: the `res`
/// parameter, or for exits of fd-creating calls without one (open, socket, accept...) the fd
/// they return (their first parameter).
pub(crate) fn event_res(ev: &Event) -> Option<i64> {
    if let Some(p) = ev.param_any(any::RES) {
        if ev.dir != Direction::Exit {
            return None;
        }
        return p.value.as_i64();
    }
    if ev.dir != Direction::Exit {
        return None;
    }
    // The fd they return is their first parameter.
    match ev.param_any(any::FD) {
        Some(p) if ev.params.name_at(0) == Some(p.name) => match *p.value {
            ParamValue::Fd(fd) => Some(fd),
            _ => None,
        },
        _ => None,
    }
}
