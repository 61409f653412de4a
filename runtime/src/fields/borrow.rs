//! Fields read in place: for the fields rules test most (names, paths, fd names and types, and
//! the numbers and flags next to them), a function that returns the value borrowed from the
//! event or the state, with no copy, no per-slot buffer and no [`crate::value::Value`] to build
//! and drop. The evaluator tests a check on such a field directly on the borrowed
//! text ([`crate::eval`]), which keeps the common check (`proc.name in (...)`,
//! `fd.directory = /etc`) to a few pointer reads and one set probe.
//!
//! Each function means exactly what the extractor of the same name in [`super::hot`] (or the
//! class modules) means, integers in the slot type's variant (`Int` signed, `Uint` unsigned);
//! `borrowed_fields_agree_with_value_fields` in the tests compares them on generated streams.
//! Only scalar forms are here: an ancestor field without an index (a list) has none.

use rulec_ir::FieldArgValue;

use super::{Src, arg_index, fd, process};
use crate::flags;
use crate::state::{FdKind, L4Proto, Thread};
use crate::value::ValueRef;

/// A field read in place: its value for the event behind `src` (`None`: absent).
pub type BorrowFn = for<'s> fn(Option<&FieldArgValue>, &'s Src<'_>) -> Option<ValueRef<'s>>;

/// The fields read in place without an argument (an argument, where the checker allows one,
/// does not change them), by name. The JIT calls a reader specialised to each
/// (`crate::eval::callbacks`), so this is a table rather than a match.
pub const PLAIN: &[(&str, BorrowFn)] = &[
    ("proc.name", |_, src| src.thread().and_then(|t| nonempty(&t.comm))),
    ("proc.pname", |_, src| src.parent().and_then(|t| nonempty(&t.comm))),
    ("proc.exe", |_, src| src.thread().and_then(|t| nonempty(&t.exe))),
    ("proc.pexe", |_, src| src.parent().and_then(|t| nonempty(&t.exe))),
    ("proc.exepath", |_, src| src.thread().map(|t| ValueRef::Str(&t.exepath))),
    ("proc.pexepath", |_, src| src.parent().map(|t| ValueRef::Str(&t.exepath))),
    ("proc.cwd", |_, src| src.thread().and_then(|t| nonempty(&t.cwd))),
    ("proc.cmdline", |_, src| src.thread().map(|t| ValueRef::Str(t.cmdline()))),
    ("proc.pcmdline", |_, src| src.parent().map(|t| ValueRef::Str(t.cmdline()))),
    ("proc.exeline", |_, src| src.thread().map(|t| ValueRef::Str(t.exeline()))),
    ("proc.args", |_, src| src.thread().map(|t| ValueRef::Str(t.args_line()))),
    ("fd.name", |_, src| {
        if let Some(n) = src.failed_connect_name() {
            return Some(ValueRef::Str(n));
        }
        match src.fd() {
            Some(f) => Some(ValueRef::Str(&f.name)),
            None => src.null_fd_path().map(ValueRef::Str),
        }
    }),
    ("fd.directory", |_, src| match src.fd() {
        Some(f) => f.directory().map(ValueRef::Str),
        None => src.null_fd_path().map(|p| ValueRef::Str(fd::dir_of_borrowed(p))),
    }),
    ("fd.filename", |_, src| match src.fd() {
        Some(f) => f.filename().map(ValueRef::Str),
        None => src.null_fd_path().map(|p| ValueRef::Str(p.rsplit('/').next().unwrap_or(p))),
    }),
    ("fd.nameraw", |_, src| fd::nameraw(src.ev, src.fd()).map(ValueRef::Str)),
    ("fd.type", |_, src| src.fd().map(|f| ValueRef::Str(f.kind.type_name()))),
    ("fd.typechar", |_, src| {
        let c = match src.fd() {
            Some(f) => Some(f.kind.type_char()),
            None => fd::typechar_without_fd(src.ev, src.thread().is_some()),
        };
        c.map(|c| ValueRef::Str(ascii_char(c)))
    }),
    ("fd.l4proto", |_, src| {
        let f = src.fd()?;
        if !matches!(f.kind, FdKind::Ipv4Sock | FdKind::Ipv6Sock) {
            return None;
        }
        let l4 = f.sock.as_ref().map_or(L4Proto::Unknown, |k| k.l4proto);
        (l4 != L4Proto::Unknown).then(|| ValueRef::Str(l4.as_str()))
    }),
    ("evt.type", |_, src| Some(ValueRef::Str(src.ev.name))),
    ("evt.dir", |_, src| Some(ValueRef::Str(src.ev.dir.as_str()))),
    ("container.id", |_, src| {
        src.thread().map(|t| ValueRef::Str(if t.container_id.is_empty() { "host" } else { &t.container_id }))
    }),
    ("evt.is_open_read", |_, src| Some(open_flag(src, flags::PPM_O_RDONLY))),
    ("evt.is_open_write", |_, src| Some(open_flag(src, flags::PPM_O_WRONLY))),
    ("evt.is_open_create", |_, src| Some(open_flag(src, flags::PPM_O_F_CREATED))),
    ("evt.num", |_, src| {
        let n = src.st.stats().events;
        (n > 0).then_some(ValueRef::Uint(n))
    }),
    ("evt.rawres", |_, src| super::event_res(src.ev).map(ValueRef::Int)),
    ("fd.num", |_, src| src.fd_num().map(ValueRef::Int)),
    ("fd.connected", |_, src| src.fd().map(|f| ValueRef::Bool(f.sock.as_ref().is_some_and(|k| k.connected)))),
    ("proc.pid", |_, src| src.thread().map(|t| ValueRef::Int(t.pid))),
    ("proc.tty", |_, src| src.thread().map(|t| ValueRef::Uint(u64::from(t.tty)))),
    ("thread.tid", |_, src| src.thread().map(|t| ValueRef::Int(t.tid))),
    ("user.uid", |_, src| src.thread().map(|t| ValueRef::Uint(u64::from(t.uid)))),
    ("user.name", |_, src| src.thread()?.user_name(src.st).map(ValueRef::Str)),
    ("user.loginname", |_, src| src.thread()?.login_name(src.st).map(ValueRef::Str)),
    ("group.name", |_, src| src.thread()?.group_name(src.st).map(ValueRef::Str)),
    ("container.name", |_, src| src.thread()?.container_name(src.st).map(ValueRef::Str)),
];

/// The in-place form of `name` with argument `arg`, if it has one.
pub fn lookup(name: &str, arg: Option<&FieldArgValue>) -> Option<BorrowFn> {
    if arg_index(arg).is_some() {
        let f: BorrowFn = match name {
            "proc.acmdline" => |arg, src| {
                let t = src.thread()?;
                process::ancestor(src.st, t, arg_index(arg)?).map(|a| ValueRef::Str(a.cmdline()))
            },
            "proc.aname" => |arg, src| ancestor(arg, src, |t| &t.comm),
            "proc.aexe" => |arg, src| ancestor(arg, src, |t| &t.exe),
            "proc.aexepath" => |arg, src| ancestor(arg, src, |t| &t.exepath),
            "proc.args" => |arg, src| {
                let i = usize::try_from(arg_index(arg)?).ok()?;
                src.thread()?.args.get(i).map(|a| ValueRef::Str(a))
            },
            _ => return plain(name).map(|i| PLAIN[i].1),
        };
        return Some(f);
    }
    plain(name).map(|i| PLAIN[i].1)
}

/// The index in [`PLAIN`] of field `name`.
pub fn plain(name: &str) -> Option<usize> {
    PLAIN.iter().position(|(n, _)| *n == name)
}

/// `evt.is_open_*`: whether the open flags have `bit` (false for events that are not opens).
fn open_flag(src: &Src<'_>, bit: u32) -> ValueRef<'static> {
    ValueRef::Bool(src.open_flags().is_some_and(|f| f & bit != 0))
}

/// A string value, absent when empty (the state uses "" for "not known").
fn nonempty(s: &str) -> Option<ValueRef<'_>> {
    (!s.is_empty()).then_some(ValueRef::Str(s))
}

/// Ancestor `arg` of the event's thread, through `field` (absent when empty).
fn ancestor<'s>(arg: Option<&FieldArgValue>, src: &'s Src<'_>, field: fn(&Thread) -> &str) -> Option<ValueRef<'s>> {
    let t = src.thread()?;
    process::ancestor(src.st, t, arg_index(arg)?).and_then(|a| nonempty(field(a)))
}

/// The one-character string of an ASCII character (`fd.typechar`); empty for any other.
fn ascii_char(c: char) -> &'static str {
    const ASCII: &str = "\0\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~\x7f";
    let i = c as usize;
    ASCII.get(i..i + 1).filter(|_| c.is_ascii()).unwrap_or("")
}
