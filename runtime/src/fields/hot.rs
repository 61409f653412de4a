//! The fields rules test most, in the form that writes into a caller's [`Value`]
//! ([`super::IntoExtractor`]): the evaluator keeps one `Value` per slot from event to event, so
//! a string field copies its bytes into the buffer the previous event left there, and an
//! ancestor list reuses its vector and its strings. They read the thread, parent and fd through
//! [`Src`], which looks each up once per event.
//!
//! Each function here means exactly what the value-returning extractor of the same name in the
//! class modules means (the choices are documented there); `hot_fields_agree_with_value_fields`
//! in the tests compares the two on generated streams, reusing buffers as the evaluator does.

use rulec_ir::FieldArgValue;

use super::{IntoExtractor, Src, arg_index, evt, fd, process};
use crate::state::{FdKind, L4Proto, SockInfo, Thread};
use crate::value::Value;

pub fn lookup(name: &str) -> Option<IntoExtractor> {
    let f: IntoExtractor = match name {
        "proc.name" => |_, src, out| src.thread().is_some_and(|t| nonempty(out, &t.comm)),
        "proc.pname" => |_, src, out| src.parent().is_some_and(|t| nonempty(out, &t.comm)),
        "proc.aname" => |arg, src, out| ancestor_field(arg, src, out, |t| &t.comm),
        "proc.exe" => |_, src, out| src.thread().is_some_and(|t| nonempty(out, &t.exe)),
        "proc.pexe" => |_, src, out| src.parent().is_some_and(|t| nonempty(out, &t.exe)),
        "proc.aexe" => |arg, src, out| ancestor_field(arg, src, out, |t| &t.exe),
        "proc.exepath" => |_, src, out| src.thread().is_some_and(|t| set_str(out, &t.exepath)),
        "proc.pexepath" => |_, src, out| src.parent().is_some_and(|t| set_str(out, &t.exepath)),
        "proc.aexepath" => |arg, src, out| ancestor_field(arg, src, out, |t| &t.exepath),
        "proc.cwd" => |_, src, out| src.thread().is_some_and(|t| nonempty(out, &t.cwd)),
        "proc.cmdline" => |_, src, out| src.thread().is_some_and(|t| set_str(out, t.cmdline())),
        "proc.pcmdline" => |_, src, out| src.parent().is_some_and(|t| set_str(out, t.cmdline())),
        "proc.args" => |arg, src, out| {
            let Some(t) = src.thread() else { return false };
            match arg_index(arg) {
                Some(i) => usize::try_from(i).ok().and_then(|i| t.args.get(i)).is_some_and(|a| set_str(out, a)),
                None => set_str(out, t.args_line()),
            }
        },
        "fd.name" => |_, src, out| {
            if let Some(n) = src.failed_connect_name() {
                return set_str(out, n);
            }
            match src.fd() {
                Some(f) => set_str(out, &f.name),
                None => src.null_fd_path().is_some_and(|p| set_str(out, p)),
            }
        },
        "fd.directory" => |_, src, out| match src.fd() {
            Some(f) => f.directory().is_some_and(|d| set_str(out, d)),
            None => src.null_fd_path().is_some_and(|p| set_str(out, fd::dir_of_borrowed(p))),
        },
        "fd.filename" => |_, src, out| match src.fd() {
            Some(f) => f.filename().is_some_and(|n| set_str(out, n)),
            None => src.null_fd_path().is_some_and(|p| set_str(out, p.rsplit('/').next().unwrap_or(p))),
        },
        "fd.num" => |_, src, out| src.fd_num().is_some_and(|n| set(out, Value::Int(n))),
        "fd.type" => |_, src, out| src.fd().is_some_and(|f| set_str(out, f.kind.type_name())),
        "fd.typechar" => |_, src, out| {
            let c = match src.fd() {
                Some(f) => Some(f.kind.type_char()),
                None => fd::typechar_without_fd(src.ev, src.thread().is_some()),
            };
            c.is_some_and(|c| write_str(out, |b| b.push(c)))
        },
        "fd.l4proto" => |_, src, out| {
            let Some(f) = src.fd() else { return false };
            if !matches!(f.kind, FdKind::Ipv4Sock | FdKind::Ipv6Sock) {
                return false;
            }
            let l4 = f.sock.as_ref().map_or(L4Proto::Unknown, |k| k.l4proto);
            l4 != L4Proto::Unknown && set_str(out, l4.as_str())
        },
        "fd.ip" | "fd.net" => |_, src, out| {
            let Some(k) = inet(src) else { return false };
            let mut list = take_list(out);
            list.clear();
            if let Some(ip) = k.cip {
                list.push(Value::Ip(ip));
            }
            if let Some(ip) = k.sip {
                list.push(Value::Ip(ip));
            }
            let present = !list.is_empty();
            *out = Value::List(list);
            present
        },
        "fd.cip" | "fd.cnet" => |_, src, out| inet(src).and_then(|k| k.cip).is_some_and(|ip| set(out, Value::Ip(ip))),
        "fd.sip" | "fd.snet" => |_, src, out| inet(src).and_then(|k| k.sip).is_some_and(|ip| set(out, Value::Ip(ip))),
        "fd.cport" => |_, src, out| inet(src).is_some_and(|k| port(out, k.cport)),
        "fd.sport" => |_, src, out| inet(src).is_some_and(|k| port(out, k.sport)),
        "fd.connected" => {
            |_, src, out| src.fd().is_some_and(|f| set(out, Value::Bool(f.sock.as_ref().is_some_and(|k| k.connected))))
        }
        "fd.name_changed" => |_, src, out| src.fd().is_some_and(|f| set(out, Value::Bool(fd::name_changed(src.ev, f)))),
        "evt.type" => |_, src, out| set_str(out, src.ev.name),
        "evt.res" => |_, src, out| super::event_res(src.ev).is_some_and(|r| write_str(out, |b| evt::res_text(r, b))),
        "fd.nameraw" => |_, src, out| fd::nameraw(src.ev, src.fd()).is_some_and(|n| set_str(out, n)),
        "container.id" => |_, src, out| {
            src.thread().is_some_and(|t| set_str(out, if t.container_id.is_empty() { "host" } else { &t.container_id }))
        },
        "thread.cap_effective" => {
            |_, src, out| src.thread().is_some_and(|t| write_str(out, |b| caps(b, t.cap_effective)))
        }
        "user.name" => |_, src, out| src.thread().and_then(|t| t.user_name(src.st)).is_some_and(|n| set_str(out, n)),
        _ => return None,
    };
    Some(f)
}

/// Stores a value without a buffer to reuse.
fn set(out: &mut Value, v: Value) -> bool {
    *out = v;
    true
}

/// Copies `s` into `out`'s string buffer (making `out` a string).
fn set_str(out: &mut Value, s: &str) -> bool {
    write_str(out, |b| b.push_str(s))
}

/// Clears `out`'s string buffer (making `out` an empty string) and lets `fill` write it.
fn write_str(out: &mut Value, fill: impl FnOnce(&mut String)) -> bool {
    if !matches!(out, Value::Str(_)) {
        *out = Value::Str(String::new());
    }
    if let Value::Str(b) = out {
        b.clear();
        fill(b);
    }
    true
}

/// A string value, absent when empty (the state uses "" for "not known"), as
/// [`super::nonempty`].
fn nonempty(out: &mut Value, s: &str) -> bool {
    !s.is_empty() && set_str(out, s)
}

/// `out`'s list vector (its elements' buffers reusable), `out` left as a placeholder.
fn take_list(out: &mut Value) -> Vec<Value> {
    match std::mem::replace(out, Value::Bool(false)) {
        Value::List(v) => v,
        _ => Vec::new(),
    }
}

/// Ancestor fields (see [`process`]): with `[N]` ancestor N's value; without, every ancestor's
/// non-empty value, parent first, absent when there is none.
fn ancestor_field(arg: Option<&FieldArgValue>, src: &Src<'_>, out: &mut Value, field: fn(&Thread) -> &str) -> bool {
    let Some(t) = src.thread() else { return false };
    match arg_index(arg) {
        Some(n) => process::ancestor(src.st, t, n).is_some_and(|a| nonempty(out, field(a))),
        None => {
            let mut list = take_list(out);
            let mut n = 0;
            for a in src.st.ancestors(t) {
                let v = field(a);
                if v.is_empty() {
                    continue;
                }
                match list.get_mut(n) {
                    Some(slot) => {
                        set_str(slot, v);
                    }
                    None => list.push(Value::Str(v.to_owned())),
                }
                n += 1;
            }
            list.truncate(n);
            *out = Value::List(list);
            n > 0
        }
    }
}

/// The socket details of an inet socket fd.
fn inet<'a>(src: &Src<'a>) -> Option<&'a SockInfo> {
    let f = src.fd()?;
    if !matches!(f.kind, FdKind::Ipv4Sock | FdKind::Ipv6Sock) {
        return None;
    }
    f.sock.as_ref()
}

/// A port, absent when 0.
fn port(out: &mut Value, p: u16) -> bool {
    p > 0 && set(out, Value::Uint(u64::from(p)))
}

/// [`process::caps_to_string`] into a buffer.
fn caps(b: &mut String, caps: u64) {
    for (i, name) in crate::flags::CAP_NAMES.iter().enumerate() {
        if caps & (1u64 << i) != 0 {
            if !b.is_empty() {
                b.push(' ');
            }
            b.push_str(name);
        }
    }
}
