//! `evt.*` and `syscall.type`: what the event itself says (name, direction, time, arguments,
//! result), plus the few `evt.*` fields that need the fd table (`evt.is_syslog`, fd-resolved
//! `evt.arg.fd`, `evt.abspath`).
//!
//! Choices, following libsinsp:
//! * `evt.num` is the event's ordinal in the stream: the state's count of applied events (1 for
//!   the first event). It is `None` for a state no event was applied to (seeded tests).
//! * Times are rendered in UTC (Falco uses the local time zone; rulec runs with none set, and a
//!   rule comparing wall-clock text is not portable anyway): `evt.time` `HH:MM:SS.nnnnnnnnn`,
//!   `evt.time.s` `HH:MM:SS`, `evt.datetime` `YYYY-MM-DD HH:MM:SS.nnnnnnnnn`,
//!   `evt.datetime.s` without the fraction, `evt.time.iso8601` `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`.
//! * `evt.arg.NAME` / `evt.arg[N]` is the rendered text ([`Event::arg_str`]); like libsinsp it is
//!   resolved through the state for fds (`3(<f>/etc/passwd)`, `-2(ENOENT)`), pids (the
//!   thread's name when known), uids and gids (the user/group name when known).
//!   `evt.rawarg.NAME` is the parameter's typed value.
//! * `evt.res` is `SUCCESS` for a result >= 0, else the errno name (`ENOENT`) or the number;
//!   `evt.rawres` the number; both `None` on enter events and events without a result.
//!   `evt.failed` is always a value (false when there is no result).
//! * `evt.reltime*`, `evt.latency*`, `evt.deltatime*`, `evt.wait_latency`, `evt.around` need
//!   the first event's / the enter event's / the previous event's time, which the state does
//!   not keep: always `None`. So are the plugin fields (`evt.pluginname`, `evt.plugininfo`,
//!   `evt.asynctype`) on syscall events and the table-only `evt.infra.*`.

use std::sync::LazyLock;

use rulec_ir::FieldArgValue;
use rulec_schema::params::any;
use rulec_schema::{EventDef, EventFlags};

use super::{Extractor, arg_index, arg_key, event_info, event_res, s, thread};
use crate::event::{Direction, Event, ParamRef, ParamValue, SockAddr, SockTuple, render_tuple};
use crate::flags;
use crate::state::State;
use crate::value::Value;

pub(super) fn lookup(name: &str) -> Option<Extractor> {
    let f: Extractor = match name {
        "evt.num" => |_, _, st| {
            let n = st.stats().events;
            (n > 0).then_some(Value::Uint(n))
        },
        "evt.time" | "evt.outputtime" => |_, ev, _| Some(s(fmt_time(ev.ts, false, true))),
        "evt.time.s" => |_, ev, _| Some(s(fmt_time(ev.ts, false, false))),
        "evt.time.iso8601" => |_, ev, _| {
            let (date, time) = civil(ev.ts);
            Some(s(format!("{date}T{time}.{:09}Z", ev.ts % 1_000_000_000)))
        },
        "evt.datetime" => |_, ev, _| Some(s(fmt_time(ev.ts, true, true))),
        "evt.datetime.s" => |_, ev, _| Some(s(fmt_time(ev.ts, true, false))),
        "evt.rawtime" => |_, ev, _| Some(Value::Uint(ev.ts)),
        "evt.rawtime.s" => |_, ev, _| Some(Value::Uint(ev.ts / 1_000_000_000)),
        "evt.rawtime.ns" => |_, ev, _| Some(Value::Uint(ev.ts % 1_000_000_000)),
        "evt.reltime"
        | "evt.reltime.s"
        | "evt.reltime.ns"
        | "evt.latency"
        | "evt.latency.s"
        | "evt.latency.ns"
        | "evt.latency.quantized"
        | "evt.latency.human"
        | "evt.deltatime"
        | "evt.deltatime.s"
        | "evt.deltatime.ns"
        | "evt.wait_latency"
        | "evt.around"
        | "evt.pluginname"
        | "evt.plugininfo"
        | "evt.asynctype"
        | "evt.infra.docker.name"
        | "evt.infra.docker.container.id"
        | "evt.infra.docker.container.name"
        | "evt.infra.docker.container.image" => |_, _, _| None,
        "evt.source" => |_, _, _| Some(s("syscall")),
        "evt.is_async" => |_, _, _| Some(Value::Bool(false)),
        "evt.hostname" => |_, _, _| HOSTNAME.as_deref().map(s),
        "evt.dir" => |_, ev, _| Some(s(ev.dir.as_str())),
        "evt.type" => |_, ev, _| Some(s(ev.name)),
        "evt.type.is" => |arg, ev, _| {
            let want = arg_key(arg)?;
            Some(Value::Uint(u64::from(want == ev.name)))
        },
        "syscall.type" => |_, ev, _| is_syscall(ev).then(|| s(ev.name)),
        "evt.category" => |_, ev, _| Some(s(category(ev))),
        "evt.cpu" => |_, ev, _| Some(Value::Int(i64::from(ev.cpu))),
        "evt.args" | "evt.info" => |_, ev, st| Some(s(args_text(ev, st))),
        "evt.arg" => |arg, ev, st| {
            let p = param_for(arg, ev)?;
            Some(s(render_param(ev, st, p)))
        },
        "evt.rawarg" => |arg, ev, _| raw_value(&param_for(arg, ev)?.value),
        "evt.buffer" => |_, ev, _| buffer(ev).map(|b| Value::Bytes(b.to_vec())),
        "evt.buflen" => |_, ev, _| io_len(ev).map(Value::Uint),
        "evt.res" => |_, ev, _| {
            let mut text = String::new();
            res_text(event_res(ev)?, &mut text);
            Some(s(text))
        },
        "evt.rawres" => |_, ev, _| event_res(ev).map(Value::Int),
        "evt.failed" => |_, ev, _| Some(Value::Bool(event_res(ev).is_some_and(|r| r < 0))),
        "evt.is_io" => |_, ev, _| Some(Value::Bool(is_read(ev) || is_write(ev))),
        "evt.is_io_read" => |_, ev, _| Some(Value::Bool(is_read(ev))),
        "evt.is_io_write" => |_, ev, _| Some(Value::Bool(is_write(ev))),
        "evt.io_dir" => |_, ev, _| {
            if is_read(ev) {
                Some(s("r"))
            } else if is_write(ev) {
                Some(s("w"))
            } else {
                None
            }
        },
        "evt.is_wait" => |_, ev, _| Some(Value::Bool(has_flag(ev, EventFlags::WAITS))),
        "evt.is_syslog" => |_, ev, st| {
            let fd = st.event_fd_info(ev);
            Some(Value::Bool(is_write(ev) && fd.is_some_and(|f| f.name == "/dev/log")))
        },
        "evt.count" => |_, _, _| Some(Value::Uint(1)),
        "evt.count.error" => |_, ev, _| Some(count(failed(ev))),
        "evt.count.error.file" => |_, ev, _| Some(count(failed(ev) && category(ev) == "file")),
        "evt.count.error.net" => |_, ev, _| Some(count(failed(ev) && category(ev) == "net")),
        "evt.count.error.memory" => |_, ev, _| Some(count(failed(ev) && category(ev) == "memory")),
        "evt.count.error.other" => {
            |_, ev, _| Some(count(failed(ev) && !matches!(category(ev), "file" | "net" | "memory")))
        }
        "evt.count.exit" => |_, ev, _| Some(count(ev.dir == Direction::Exit)),
        "evt.count.procinfo" => |_, ev, _| Some(count(ev.name == "procinfo")),
        "evt.count.threadinfo" => |_, ev, _| Some(count(ev.name == "procinfo")),
        "evt.abspath" => |arg, ev, st| abspath(arg, ev, st).map(s),
        "evt.buflen.in" => |_, ev, _| io_len(ev).filter(|_| is_read(ev)).map(Value::Uint),
        "evt.buflen.out" => |_, ev, _| io_len(ev).filter(|_| is_write(ev)).map(Value::Uint),
        "evt.buflen.file" => |_, ev, st| io_len(ev).filter(|_| fd_is_file(ev, st)).map(Value::Uint),
        "evt.buflen.file.in" => |_, ev, st| io_len(ev).filter(|_| is_read(ev) && fd_is_file(ev, st)).map(Value::Uint),
        "evt.buflen.file.out" => |_, ev, st| io_len(ev).filter(|_| is_write(ev) && fd_is_file(ev, st)).map(Value::Uint),
        "evt.buflen.net" => |_, ev, st| io_len(ev).filter(|_| fd_is_sock(ev, st)).map(Value::Uint),
        "evt.buflen.net.in" => |_, ev, st| io_len(ev).filter(|_| is_read(ev) && fd_is_sock(ev, st)).map(Value::Uint),
        "evt.buflen.net.out" => |_, ev, st| io_len(ev).filter(|_| is_write(ev) && fd_is_sock(ev, st)).map(Value::Uint),
        "evt.is_open_read" => {
            |_, ev, _| Some(Value::Bool(open_flags(ev).is_some_and(|f| f & flags::PPM_O_RDONLY != 0)))
        }
        "evt.is_open_write" => {
            |_, ev, _| Some(Value::Bool(open_flags(ev).is_some_and(|f| f & flags::PPM_O_WRONLY != 0)))
        }
        "evt.is_open_exec" => |_, ev, _| {
            // libsinsp: created (O_CREAT or O_TMPFILE) with an execute bit in the mode.
            let created = open_flags(ev).is_some_and(|f| f & (flags::PPM_O_CREAT | flags::PPM_O_TMPFILE) != 0);
            let mode = ev.get_any(any::MODE).unwrap_or(0);
            Some(Value::Bool(created && mode & 0o111 != 0))
        },
        "evt.is_open_create" => {
            |_, ev, _| Some(Value::Bool(open_flags(ev).is_some_and(|f| f & flags::PPM_O_F_CREATED != 0)))
        }
        _ => return None,
    };
    Some(f)
}

static HOSTNAME: LazyLock<Option<String>> = LazyLock::new(|| {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
});

fn count(b: bool) -> Value {
    Value::Uint(u64::from(b))
}

fn failed(ev: &Event) -> bool {
    event_res(ev).is_some_and(|r| r < 0)
}

fn has_flag(ev: &Event, flag: EventFlags) -> bool {
    event_info(ev).is_some_and(|i| i.flags.contains(flag))
}

fn is_read(ev: &Event) -> bool {
    has_flag(ev, EventFlags::READS_FROM_FD)
}

fn is_write(ev: &Event) -> bool {
    has_flag(ev, EventFlags::WRITES_TO_FD)
}

fn fd_is_file(ev: &Event, st: &State) -> bool {
    st.event_fd_info(ev).is_some_and(|f| matches!(f.kind, crate::state::FdKind::File | crate::state::FdKind::Directory))
}

fn fd_is_sock(ev: &Event, st: &State) -> bool {
    st.event_fd_info(ev).is_some_and(|f| f.kind.is_socket())
}

/// True for syscall events (not tracepoints such as `procexit`/`switch`, nor meta-events).
pub(crate) fn is_syscall(ev: &Event) -> bool {
    event_info(ev).map_or(true, EventDef::is_syscall)
}

/// libsinsp's category text for the event (`file`, `net`, `IO_read`...).
pub(crate) fn category(ev: &Event) -> &'static str {
    event_info(ev).map_or("unknown", |i| i.category.class.as_str())
}

/// The I/O size of a read/write-like exit: its non-negative result.
fn io_len(ev: &Event) -> Option<u64> {
    if ev.dir != Direction::Exit || !(is_read(ev) || is_write(ev)) {
        return None;
    }
    u64::try_from(event_res(ev)?).ok()
}

/// The data buffer of an I/O event (`data`), as libsinsp's `evt.buffer`.
fn buffer(ev: &Event) -> Option<&[u8]> {
    match ev.get_any(any::DATA)? {
        ParamValue::Bytes(b) => Some(b),
        ParamValue::Str(s) => Some(s.as_bytes()),
        _ => None,
    }
}

/// `evt.res` of a result `r`, appended to `out`: `SUCCESS` when not negative, else the errno's
/// name (its number when it has none).
pub(crate) fn res_text(r: i64, out: &mut String) {
    if r >= 0 {
        out.push_str("SUCCESS");
    } else if let Some(name) = flags::errno_name(r.unsigned_abs()) {
        out.push_str(name);
    } else {
        use std::fmt::Write;
        let _ = write!(out, "{r}");
    }
}

/// The open flags of an open-family event (libsinsp's `evt.is_open_*` look at these only).
pub(crate) fn open_flags(ev: &Event) -> Option<u32> {
    if !matches!(ev.name, "open" | "openat" | "openat2" | "open_by_handle_at") {
        return None;
    }
    // Read from the record's bytes where it can be (what decoding it would give).
    ev.get_any(any::FLAGS).map(|f| f as u32)
}

/// The parameter named by `evt.arg.NAME` / `evt.arg[N]`.
fn param_for<'a>(arg: Option<&FieldArgValue>, ev: &'a Event) -> Option<ParamRef<'a>> {
    let p = match arg? {
        FieldArgValue::Index(i) => ev.param_at(usize::try_from(*i).ok()?)?,
        FieldArgValue::Key(k) => match ev.param_named(k) {
            Some(p) => p,
            None => ev.param_at(k.parse::<usize>().ok()?)?,
        },
    };
    Some(p)
}

/// `evt.arg.X` text of one parameter, resolved through the state like libsinsp does.
pub(crate) fn render_param(ev: &Event, st: &State, p: ParamRef<'_>) -> String {
    match p.value {
        ParamValue::Fd(fd) if *fd >= 0 => match st.fd(ev.tid, *fd) {
            Some(f) => format!("{fd}(<{}>{})", f.kind.type_char(), f.name),
            None => fd.to_string(),
        },
        // A dirfd meaning the working directory, as libsinsp names it (not ENETDOWN's errno).
        ParamValue::Fd(crate::state::AT_FDCWD) => format!("{}(AT_FDCWD)", crate::state::AT_FDCWD),
        ParamValue::Fd(fd) => match flags::errno_name(fd.unsigned_abs()) {
            Some(n) => format!("{fd}({n})"),
            None => fd.to_string(),
        },
        ParamValue::Pid(pid) => match st.thread(*pid) {
            Some(t) if !t.comm.is_empty() => t.comm.clone(),
            _ => pid.to_string(),
        },
        ParamValue::Uid(uid) if *uid != u32::MAX => {
            let cid = thread(ev, st).map_or("", |t| t.container_id.as_str());
            match st.user(cid, *uid) {
                Some(u) if !u.name.is_empty() => u.name.clone(),
                _ => uid.to_string(),
            }
        }
        ParamValue::Uid(_) => "-1".to_string(),
        ParamValue::Gid(gid) if *gid != u32::MAX => {
            let cid = thread(ev, st).map_or("", |t| t.container_id.as_str());
            match st.group(cid, *gid) {
                Some(g) if !g.name.is_empty() => g.name.clone(),
                _ => gid.to_string(),
            }
        }
        ParamValue::Gid(_) => "-1".to_string(),
        _ => p.value.render(flags::flag_set_for(ev.name, p.name)),
    }
}

/// `evt.args`: every parameter as `name=value`, resolved.
fn args_text(ev: &Event, st: &State) -> String {
    let mut out = String::new();
    for (i, p) in ev.params.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(p.name);
        out.push('=');
        out.push_str(&render_param(ev, st, p));
    }
    out
}

/// `evt.rawarg.X`: the parameter's value with its own type.
pub(crate) fn raw_value(v: &ParamValue) -> Option<Value> {
    Some(match v {
        ParamValue::Absent => return None,
        ParamValue::I8(x) => Value::Int((*x).into()),
        ParamValue::I16(x) => Value::Int((*x).into()),
        ParamValue::I32(x) => Value::Int((*x).into()),
        ParamValue::I64(x) | ParamValue::Errno(x) | ParamValue::Fd(x) | ParamValue::Pid(x) => Value::Int(*x),
        ParamValue::U8(x) | ParamValue::SigType(x) | ParamValue::L4Proto(x) | ParamValue::SockFamily(x) => {
            Value::Uint((*x).into())
        }
        ParamValue::U16(x) | ParamValue::Port(x) | ParamValue::SyscallId(x) => Value::Uint((*x).into()),
        ParamValue::U32(x) | ParamValue::Uid(x) | ParamValue::Gid(x) | ParamValue::Mode(x) | ParamValue::SigSet(x) => {
            Value::Uint((*x).into())
        }
        ParamValue::U64(x) | ParamValue::RelTime(x) | ParamValue::AbsTime(x) => Value::Uint(*x),
        ParamValue::Flags { bits, .. } => Value::Uint(*bits),
        ParamValue::Bool(b) => Value::Bool(*b),
        ParamValue::Double(d) => Value::Double(*d),
        ParamValue::Ipv4(a) => Value::Ip((*a).into()),
        ParamValue::Ipv6(a) => Value::Ip((*a).into()),
        ParamValue::Str(x) | ParamValue::Path(x) | ParamValue::RelPath(x) => Value::Str(x.clone()),
        ParamValue::Bytes(b) => Value::Bytes(b.clone()),
        ParamValue::Dyn { raw, .. } => Value::Bytes(raw.clone()),
        ParamValue::StrArray(v) => Value::Str(v.join(",")),
        ParamValue::SockAddr(a) => match a {
            SockAddr::V4(ip, p) => Value::Str(format!("{ip}:{p}")),
            SockAddr::V6(ip, p) => Value::Str(format!("{ip}:{p}")),
            SockAddr::Unix(p) => Value::Str(p.clone()),
            SockAddr::Other(..) => return None,
        },
        ParamValue::SockTuple(t) => match t {
            SockTuple::Other(..) => return None,
            t => Value::Str(render_tuple(t)),
        },
        ParamValue::FdList(_) => Value::Str(v.render(None)),
    })
}

/// `evt.abspath[.src|.dst]`: the absolute path of a *at() call's directory fd + relative path.
/// Without a suffix, the first (source) path, as libsinsp.
fn abspath(arg: Option<&FieldArgValue>, ev: &Event, st: &State) -> Option<String> {
    let which = arg_key(arg);
    let dst = which.as_deref() == Some("dst");
    // Only the `*at` calls: the others' paths are not relative to a directory fd.
    let paths = rulec_schema::syscall_paths(ev.name).filter(|p| p.has_dirfd())?;
    let p = match paths {
        rulec_schema::SyscallPaths::One(p) => p,
        rulec_schema::SyscallPaths::Two { source, target } => {
            if dst {
                target
            } else {
                source
            }
        }
    };
    if p.literal {
        return ev.get_any(p.path).map(str::to_string);
    }
    let _ = arg_index(arg);
    super::abs_path(ev, st, p.dirfd, p.path).map(std::borrow::Cow::into_owned)
}

// ---- time formatting ---------------------------------------------------------------------------

/// `(YYYY-MM-DD, HH:MM:SS)` of a nanosecond UTC timestamp (also the date of JSON alerts).
pub fn civil(ts: u64) -> (String, String) {
    let secs = ts / 1_000_000_000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (format!("{y:04}-{m:02}-{d:02}"), format!("{:02}:{:02}:{:02}", rem / 3600, (rem / 60) % 60, rem % 60))
}

fn fmt_time(ts: u64, with_date: bool, with_ns: bool) -> String {
    let (date, time) = civil(ts);
    let mut out = String::new();
    if with_date {
        out.push_str(&date);
        out.push(' ');
    }
    out.push_str(&time);
    if with_ns {
        out.push_str(&format!(".{:09}", ts % 1_000_000_000));
    }
    out
}
