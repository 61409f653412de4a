//! `fd.*` and `fdlist.*`: the fd the event refers to ([`State::event_fd`]), looked up in the
//! process's fd table, and the fd list of poll-like events.
//!
//! Choices, following libsinsp:
//! * `fd.num` is the event's fd number even when the fd is unknown or negative (a failed open
//!   gives `-2`), so `fd.num >= 0` separates successes.
//! * `fd.name` is the state's name: the normalised path for files, `cip:cport->sip:sport` for
//!   connected inet sockets, `ip:port` for bound ones, the unix path or pointer tuple for unix
//!   sockets, `pipe:[ino]`, `anon_inode:[eventfd]`... When the fd is not in the table and the
//!   event is an open-family call (typically a failed open), `fd.name`, `fd.directory`,
//!   `fd.filename` and `fd.nameraw` come from the event's path, made absolute.
//! * `fd.directory`/`fd.filename` only for files and directories.
//! * `fd.lip/lport` (local) and `fd.rip/rport` (remote) follow the socket's role: for a client
//!   (connect) local is the client end, for a server (accept/bind/listen) the server end; no
//!   role, no value. `fd.ip`, `fd.port`, `fd.net`, `fd.proto` (filter-only, "either end") give
//!   a [`Value::List`] of the client and the server value.
//! * `fd.net`/`fd.cnet`... give the address; the evaluator compares it with a CIDR constant by
//!   containment.
//! * `fd.name_changed` is true on a successful (or in-progress) connect and on a datagram
//!   send/receive whose tuple differs from the fd's name; libsinsp renames the fd then.
//! * `fd.cip.name` and the other DNS-name fields read the state's DNS table ([`State::dns_name`]):
//!   `None` for an address it does not name.
//! * `fd.nameraw`: the path as the open call passed it when the event is an open; otherwise the
//!   state keeps only the normalised name, which is returned.
//! * `fd.dev.major`/`minor` split the kernel's device number (20 minor bits), as libsinsp.

use std::collections::BTreeSet;
use std::net::IpAddr;

use rulec_schema::params::any;
use rulec_schema::service_names;

use super::{Extractor, abs_path_of, arg_index, s};
use crate::event::{Direction, Event, ParamValue, SockTuple, render_tuple};
use crate::flags;
use crate::state::{FdInfo, FdKind, L4Proto, SockInfo, SockRole, State};
use crate::value::Value;

pub(super) fn lookup(name: &str) -> Option<Extractor> {
    let f: Extractor = match name {
        "fd.num" => |_, ev, _| fd_num(ev).map(Value::Int),
        "fd.type" => |_, ev, st| fdi(ev, st).map(|f| s(f.kind.type_name())),
        "fd.typechar" => |_, ev, st| match fdi(ev, st) {
            Some(f) => Some(s(f.kind.type_char().to_string())),
            None => typechar_without_fd(ev, super::thread(ev, st).is_some()).map(|c| s(c.to_string())),
        },
        "fd.name" => |_, ev, st| {
            if let Some(n) = failed_connect_name(ev) {
                return Some(s(n));
            }
            match fdi(ev, st) {
                Some(f) => Some(s(f.name.as_str())),
                None => null_fd_path(ev, st).map(s),
            }
        },
        "fd.directory" => |_, ev, st| match fdi(ev, st) {
            Some(f) => f.directory().map(s),
            None => null_fd_path(ev, st).map(|p| s(dir_of(&p))),
        },
        "fd.filename" => |_, ev, st| match fdi(ev, st) {
            Some(f) => f.filename().map(s),
            None => null_fd_path(ev, st).map(|p| s(p.rsplit('/').next().unwrap_or(&p))),
        },
        "fd.containername" => |_, ev, st| {
            let cid = super::thread(ev, st)?.container_id.clone();
            let name = match fdi(ev, st) {
                Some(f) => f.name.clone(),
                None => null_fd_path(ev, st)?.into_owned(),
            };
            Some(s(format!("{}:{name}", container_or_host(&cid))))
        },
        "fd.containerdirectory" => |_, ev, st| {
            let cid = super::thread(ev, st)?.container_id.clone();
            let dir = match fdi(ev, st) {
                Some(f) => f.directory()?.to_string(),
                None => dir_of(&null_fd_path(ev, st)?),
            };
            Some(s(format!("{}:{dir}", container_or_host(&cid))))
        },
        "fd.nameraw" => |_, ev, st| nameraw(ev, fdi(ev, st)).map(s),
        "fd.ip" => |_, ev, st| both(ev, st, |k| k.cip.map(Value::Ip), |k| k.sip.map(Value::Ip)),
        "fd.net" => |_, ev, st| both(ev, st, |k| k.cip.map(Value::Ip), |k| k.sip.map(Value::Ip)),
        "fd.cip" | "fd.cnet" => |_, ev, st| inet(ev, st)?.cip.map(Value::Ip),
        "fd.sip" | "fd.snet" => |_, ev, st| inet(ev, st)?.sip.map(Value::Ip),
        "fd.lip" | "fd.lnet" => |_, ev, st| local(inet(ev, st)?).0.map(Value::Ip),
        "fd.rip" | "fd.rnet" => |_, ev, st| remote(inet(ev, st)?).0.map(Value::Ip),
        "fd.port" => |_, ev, st| both(ev, st, |k| port(k.cport), |k| port(k.sport)),
        "fd.cport" => |_, ev, st| port(inet(ev, st)?.cport),
        "fd.sport" => |_, ev, st| port(inet(ev, st)?.sport),
        "fd.lport" => |_, ev, st| local(inet(ev, st)?).1.and_then(port),
        "fd.rport" => |_, ev, st| remote(inet(ev, st)?).1.and_then(port),
        // Filter-only and typed as a port: a service name on the right is a port number.
        "fd.proto" => |_, ev, st| both(ev, st, |k| port(k.cport), |k| port(k.sport)),
        "fd.cproto" => |_, ev, st| proto(inet(ev, st)?.cport),
        "fd.sproto" => |_, ev, st| proto(inet(ev, st)?.sport),
        "fd.lproto" => |_, ev, st| local(inet(ev, st)?).1.and_then(proto),
        "fd.rproto" => |_, ev, st| remote(inet(ev, st)?).1.and_then(proto),
        "fd.l4proto" => |_, ev, st| {
            let f = fdi(ev, st)?;
            if !matches!(f.kind, FdKind::Ipv4Sock | FdKind::Ipv6Sock) {
                return None;
            }
            let l4 = f.sock.as_ref().map_or(L4Proto::Unknown, |k| k.l4proto);
            (l4 != L4Proto::Unknown).then(|| s(l4.as_str()))
        },
        "fd.sockfamily" => |_, ev, st| match fdi(ev, st)?.kind {
            FdKind::Ipv4Sock | FdKind::Ipv6Sock => Some(s("ip")),
            FdKind::UnixSock => Some(s("unix")),
            _ => None,
        },
        "fd.is_server" => {
            |_, ev, st| fdi(ev, st).map(|f| Value::Bool(f.sock.as_ref().is_some_and(|k| k.role == SockRole::Server)))
        }
        "fd.uid" => |_, ev, st| {
            let fd = State::event_fd(ev)?;
            fdi(ev, st)?;
            Some(s(format!("{}{fd}", ev.tid)))
        },
        "fd.connected" => |_, ev, st| fdi(ev, st).map(|f| Value::Bool(f.sock.as_ref().is_some_and(|k| k.connected))),
        "fd.name_changed" => |_, ev, st| {
            let f = fdi(ev, st)?;
            Some(Value::Bool(name_changed(ev, f)))
        },
        "fd.cip.name" => |_, ev, st| ip_name(ev, st, |k| k.cip),
        "fd.sip.name" => |_, ev, st| ip_name(ev, st, |k| k.sip),
        "fd.lip.name" => |_, ev, st| ip_name(ev, st, |k| if k.role != SockRole::Server { k.cip } else { k.sip }),
        "fd.rip.name" => |_, ev, st| ip_name(ev, st, |k| if k.role != SockRole::Server { k.sip } else { k.cip }),
        "fd.dev" => |_, ev, st| fdi(ev, st).map(|f| Value::Int(i64::from(f.dev))),
        "fd.dev.major" => |_, ev, st| fdi(ev, st).map(|f| Value::Int(i64::from(f.dev >> 20))),
        "fd.dev.minor" => |_, ev, st| fdi(ev, st).map(|f| Value::Int(i64::from(f.dev & 0xf_ffff))),
        "fd.ino" => |_, ev, st| fdi(ev, st).map(|f| Value::Int(f.ino as i64)),
        "fd.types" => |arg, ev, st| {
            super::thread(ev, st)?;
            match arg_index(arg) {
                Some(n) => st.fd(ev.tid, n).map(|f| Value::List(vec![s(f.kind.type_name())])),
                None => {
                    let kinds: BTreeSet<&str> = st.fds(ev.tid).map(|f| f.kind.type_name()).collect();
                    Some(Value::List(kinds.into_iter().map(s).collect()))
                }
            }
        },
        "fd.is_upper_layer" => {
            |_, ev, st| fdi(ev, st).map(|f| Value::Bool(f.open_flags & flags::PPM_FD_UPPER_LAYER != 0))
        }
        "fd.is_lower_layer" => {
            |_, ev, st| fdi(ev, st).map(|f| Value::Bool(f.open_flags & flags::PPM_FD_LOWER_LAYER != 0))
        }
        "fdlist.nums" => |_, ev, _| fdlist(ev, |fd, _| Some(fd.to_string())),
        "fdlist.names" => |_, ev, st| fdlist(ev, |fd, tid| st.fd(tid, fd).map(|f| f.name.clone())),
        "fdlist.cips" => |_, ev, st| fdlist(ev, |fd, tid| sock_of(st, tid, fd)?.cip.map(|i| i.to_string())),
        "fdlist.sips" => |_, ev, st| fdlist(ev, |fd, tid| sock_of(st, tid, fd)?.sip.map(|i| i.to_string())),
        "fdlist.cports" => {
            |_, ev, st| fdlist(ev, |fd, tid| sock_of(st, tid, fd).filter(|k| k.cport > 0).map(|k| k.cport.to_string()))
        }
        "fdlist.sports" => {
            |_, ev, st| fdlist(ev, |fd, tid| sock_of(st, tid, fd).filter(|k| k.sport > 0).map(|k| k.sport.to_string()))
        }
        _ => return None,
    };
    Some(f)
}

/// The fd the event refers to, as rules see it.
fn fdi<'a>(ev: &Event, st: &'a State) -> Option<&'a FdInfo> {
    st.event_fd_info(ev)
}

fn container_or_host(cid: &str) -> &str {
    if cid.is_empty() { "host" } else { cid }
}

/// `fd.nameraw`: an open's path parameter as the caller gave it, else the name of the event's fd
/// `fd` (also what [`super::hot`] and [`super::borrow`] give, without a copy).
pub(super) fn nameraw<'a>(ev: &'a Event, fd: Option<&'a FdInfo>) -> Option<&'a str> {
    if is_open(ev)
        && let Some(raw) = ev.get_any(any::NAME)
    {
        return Some(raw);
    }
    fd.map(|f| f.name.as_str())
}

fn is_open(ev: &Event) -> bool {
    matches!(ev.name, "open" | "openat" | "openat2" | "creat")
}

/// For an open-family event whose fd is not in the table (a failed open, or an enter event):
/// the path it names, made absolute.
pub(super) fn null_fd_path<'e>(ev: &'e Event, st: &State) -> Option<std::borrow::Cow<'e, str>> {
    if !is_open(ev) {
        return None;
    }
    // The parameter read once: its type says whether it is relative to `dirfd`.
    let p = ev.param_any(any::NAME)?;
    let relative = matches!(p.value, ParamValue::RelPath(_));
    abs_path_of(ev, st, relative.then_some(any::DIRFD), p.value.as_str()?)
}

/// `fd.name` of a `connect` exit that failed, as libsinsp gives it: the connection the event's
/// tuple names (`0->ffff... /var/run/nscd/socket`), whatever the fd table says (a failed
/// connect leaves the fd unnamed). `None` for any other event, or without a tuple.
pub(crate) fn failed_connect_name(ev: &Event) -> Option<String> {
    if ev.dir != Direction::Exit || ev.name != "connect" || super::event_res(ev).is_none_or(|r| r >= 0) {
        return None;
    }
    ev.get(rulec_schema::params::connect_x::TUPLE).map(render_tuple)
}

/// `fd.typechar` of an event whose fd is not in the table (not created yet, failed, or opened
/// before the capture), as libsinsp gives it: for an event that concerns an fd (creates, uses or
/// destroys one) of a known thread, the type the creating syscall makes (`f` for open and creat,
/// `4` for socket and accept whatever the family, `p` pipe, `e` eventfd, `s` signalfd, `t`
/// timerfd_create, `i` inotify_init), `o` for any other; nothing for other events.
pub(crate) fn typechar_without_fd(ev: &Event, thread_known: bool) -> Option<char> {
    if !thread_known || !rulec_schema::event_def(ev.type_id).is_some_and(rulec_schema::EventDef::fd_related) {
        return None;
    }
    Some(match ev.name {
        "open" | "openat" | "openat2" | "creat" => 'f',
        "socket" | "accept" | "accept4" => '4',
        "pipe" => 'p',
        "eventfd" => 'e',
        "signalfd" => 's',
        "timerfd_create" => 't',
        "inotify_init" => 'i',
        _ => 'o',
    })
}

/// `fd.num` as libsinsp gives it: the fd the event refers to ([`State::event_fd`]), except on
/// the events of a syscall that creates an fd (`EF_CREATES_FD`) while there is none: -1 on the
/// enter event (no fd yet) and on an exit whose returned fd is an error (not the errno).
pub(crate) fn fd_num(ev: &Event) -> Option<i64> {
    let creates = || rulec_schema::event_def(ev.type_id).is_some_and(rulec_schema::EventDef::creates_fd);
    match State::event_fd(ev) {
        Some(n) if n < 0 && ev.dir == Direction::Exit && creates() => Some(-1),
        None if ev.dir == Direction::Enter && creates() => Some(-1),
        n => n,
    }
}

fn dir_of(p: &str) -> String {
    dir_of_borrowed(p).to_string()
}

/// The directory part of a path as `fd.directory` gives it (`/` for a file in the root, empty
/// for a bare name).
pub(super) fn dir_of_borrowed(p: &str) -> &str {
    match p.rfind('/') {
        Some(0) => "/",
        Some(i) => &p[..i],
        None => "",
    }
}

/// The socket details of an inet socket fd.
/// The state's DNS name ([`State::dns_name`]) of one address of the event's socket.
fn ip_name(ev: &Event, st: &State, ip: fn(&SockInfo) -> Option<std::net::IpAddr>) -> Option<Value> {
    let sock = st.event_fd_info(ev)?.sock.as_ref()?;
    st.dns_name(ip(sock)?).map(s)
}

fn inet<'a>(ev: &Event, st: &'a State) -> Option<&'a SockInfo> {
    let f = fdi(ev, st)?;
    if !matches!(f.kind, FdKind::Ipv4Sock | FdKind::Ipv6Sock) {
        return None;
    }
    f.sock.as_ref()
}

fn sock_of(st: &State, tid: i64, fd: i64) -> Option<&SockInfo> {
    let f = st.fd(tid, fd)?;
    if !matches!(f.kind, FdKind::Ipv4Sock | FdKind::Ipv6Sock) {
        return None;
    }
    f.sock.as_ref()
}

/// (address, port) of the local end.
fn local(k: &SockInfo) -> (Option<IpAddr>, Option<u16>) {
    match k.role {
        SockRole::Client => (k.cip, Some(k.cport)),
        SockRole::Server => (k.sip, Some(k.sport)),
        SockRole::None => (None, None),
    }
}

/// (address, port) of the remote end.
fn remote(k: &SockInfo) -> (Option<IpAddr>, Option<u16>) {
    match k.role {
        SockRole::Client => (k.sip, Some(k.sport)),
        SockRole::Server if k.cip.is_some() => (k.cip, Some(k.cport)),
        _ => (None, None),
    }
}

fn port(p: u16) -> Option<Value> {
    (p > 0).then_some(Value::Uint(u64::from(p)))
}

/// The service name of a port (`http`), as libsinsp's `fd.*proto` fields.
fn proto(p: u16) -> Option<Value> {
    if p == 0 {
        return None;
    }
    // The table holds aliases too; /etc/services' canonical name wins (Debian's spelling).
    const ALIASES: &[&str] = &["dns", "imap", "postgres"];
    service_names().iter().find(|(n, q)| *q == p && !ALIASES.contains(n)).map(|(n, _)| s(*n))
}

/// Client and server values of an inet socket, as a list (either end may satisfy the check).
/// Both ends of the connection as a list; the fields using it must say `either_end` in the
/// schema's `multi` column (`compiler/schema/data/fields.tsv`), or the JIT would inline a
/// numeric check on what is a list.
fn both(
    ev: &Event,
    st: &State,
    c: fn(&SockInfo) -> Option<Value>,
    sv: fn(&SockInfo) -> Option<Value>,
) -> Option<Value> {
    let k = inet(ev, st)?;
    let v: Vec<Value> = [c(k), sv(k)].into_iter().flatten().collect();
    (!v.is_empty()).then_some(Value::List(v))
}

pub(super) fn name_changed(ev: &Event, f: &FdInfo) -> bool {
    let ok = super::event_res(ev).is_some_and(|r| r >= 0 || r == -115);
    match ev.name {
        "connect" => ok,
        "sendto" | "sendmsg" | "recvfrom" | "recvmsg" => match ev.get_any(any::TUPLE) {
            Some(t) if !matches!(t, SockTuple::Other(..)) => ok && render_tuple(t) != f.name,
            _ => false,
        },
        _ => false,
    }
}

/// A comma-separated list over the fds of a poll-like event's `fds` parameter.
fn fdlist(ev: &Event, each: impl Fn(i64, i64) -> Option<String>) -> Option<Value> {
    let list = ev.get_any(any::FDS)?;
    let parts: Vec<String> = list.iter().filter_map(|(fd, _)| each(*fd, ev.tid)).collect();
    Some(s(parts.join(",")))
}
