//! `proc.*` and `thread.*`: the producing thread, its process, parent and ancestors, session
//! and process-group leaders, executable flags and capabilities.
//!
//! Choices, following libsinsp:
//! * `proc.name` is `comm`, `proc.exe` argv[0], `proc.exepath` the resolved executable path
//!   (the empty string, not `None`, while it is not known, as libsinsp's empty `m_exepath`),
//!   `proc.args` the arguments after argv[0] joined by spaces (`[N]`: argument N, from 0),
//!   `proc.cmdline` `comm` + args, `proc.exeline` argv[0] + args.
//! * The parent is the creating thread, as libsinsp's `m_ptid` ([`parent_of`]).
//! * `proc.vpid`, `proc.pvpid` and `thread.vtid` have no value while unknown (-1: a thread met
//!   without its clone, see [`crate::state::ThreadInfo::unknown`]).
//! * Ancestor fields: `[N]` is ancestor N (0 = the process itself); without an argument a
//!   [`Value::List`] of all ancestors (parent first, the process excluded): see the module doc
//!   of [`crate::fields`] for how the evaluator reads it.
//! * `proc.sname`/`proc.sid.exe*` is the process whose vpid is the session id, or the eldest
//!   ancestor in the same session; likewise `proc.vpgid.*` (vpid = vpgid) and `proc.pgid.*`
//!   (pid = pgid). `proc.is_sid_leader` is `sid == vpid`, `proc.is_vpgid_leader`
//!   `vpgid == vpid`, `proc.is_pgid_leader` `pgid == pid`.
//! * `thread.cap_*` is the capability names joined by spaces (`CAP_CHOWN CAP_SYS_ADMIN`).
//! * `user.loginuid` lives in [`super::user`].
//! * `thread.pfmajor/pfminor`, `thread.exectime/totexectime`, `thread.cpu*` need page-fault
//!   and scheduler accounting the state does not keep: always `None`.

use std::collections::HashSet;

use rulec_ir::FieldArgValue;

use super::{Extractor, arg_index, arg_key, nonempty, s, thread};
use crate::event::Event;
use crate::state::{FdInfo, State, Thread};
use crate::value::Value;

/// A namespace id, `None` while unknown (-1: the thread was met without its clone, and no
/// event since carried the id), as libsinsp shows `<NA>`.
fn known_id(v: i64) -> Option<Value> {
    (v >= 0).then_some(Value::Int(v))
}

/// The fields whose value (without an argument) is read from the facts of the event's thread
/// or of its parent ([`parent_of`]) and nothing else, with whether it is the parent's: the
/// same thread and parent (the same [`Thread::version`]s) give the same value, so evaluation
/// may remember verdicts on them by those (`eval/thread_memo.rs`). A field that also reads the
/// event, the fd tables, the name tables or a walk of ancestors stays out.
pub const OF_THREAD_AND_PARENT: [(&str, bool); 10] = [
    ("proc.name", false),
    ("proc.pname", true),
    ("proc.exe", false),
    ("proc.pexe", true),
    ("proc.exepath", false),
    ("proc.pexepath", true),
    ("proc.cmdline", false),
    ("proc.pcmdline", true),
    ("proc.exeline", false),
    ("proc.args", false),
];

pub(super) fn lookup(name: &str) -> Option<Extractor> {
    let f: Extractor = match name {
        "proc.exe" => |_, ev, st| thread(ev, st).and_then(|t| nonempty(&t.exe)),
        "proc.pexe" => |_, ev, st| parent(ev, st).and_then(|t| nonempty(&t.exe)),
        "proc.aexe" => |arg, ev, st| ancestor_field(arg, ev, st, |t| nonempty(&t.exe)),
        "proc.exepath" => |_, ev, st| thread(ev, st).map(|t| s(t.exepath.as_str())),
        "proc.pexepath" => |_, ev, st| parent(ev, st).map(|t| s(t.exepath.as_str())),
        "proc.aexepath" => |arg, ev, st| ancestor_field(arg, ev, st, |t| nonempty(&t.exepath)),
        "proc.name" => |_, ev, st| thread(ev, st).and_then(|t| nonempty(&t.comm)),
        "proc.pname" => |_, ev, st| parent(ev, st).and_then(|t| nonempty(&t.comm)),
        "proc.aname" => |arg, ev, st| ancestor_field(arg, ev, st, |t| nonempty(&t.comm)),
        "proc.args" => |arg, ev, st| {
            let t = thread(ev, st)?;
            match arg_index(arg) {
                Some(i) => usize::try_from(i).ok().and_then(|i| t.args.get(i)).map(|a| s(a.as_str())),
                None => Some(s(t.args_line())),
            }
        },
        "proc.aargs" => |arg, ev, st| ancestor_field(arg, ev, st, |t| Some(s(t.args_line()))),
        "proc.cmdline" => |_, ev, st| thread(ev, st).map(|t| s(t.cmdline())),
        "proc.pcmdline" => |_, ev, st| parent(ev, st).map(|t| s(t.cmdline())),
        "proc.acmdline" => |arg, ev, st| ancestor_field(arg, ev, st, |t| Some(s(t.cmdline()))),
        "proc.exeline" => |_, ev, st| thread(ev, st).map(|t| s(t.exeline())),
        "proc.cmdnargs" => |_, ev, st| thread(ev, st).map(|t| Value::Uint(t.args.len() as u64)),
        "proc.cmdlenargs" => {
            |_, ev, st| thread(ev, st).map(|t| Value::Uint(t.args.iter().map(|a| a.len() as u64).sum()))
        }
        "proc.env" => |arg, ev, st| {
            let t = thread(ev, st)?;
            match arg_key(arg) {
                Some(k) => t.env_var(&k).map(s),
                None => Some(s(t.env.join(" "))),
            }
        },
        "proc.aenv" => |arg, ev, st| {
            let t = thread(ev, st)?;
            match arg {
                Some(FieldArgValue::Key(k)) if k.parse::<i64>().is_err() => {
                    std::iter::once(t).chain(st.ancestors(t)).find_map(|a| a.env_var(k)).map(s)
                }
                _ => ancestor_field(arg, ev, st, |a| Some(s(a.env.join(" ")))),
            }
        },
        "proc.cwd" => |_, ev, st| thread(ev, st).and_then(|t| nonempty(&t.cwd)),
        "proc.loginshellid" => |_, ev, st| {
            let t = thread(ev, st)?;
            std::iter::once(t).chain(st.ancestors(t)).filter(|a| is_shell(&a.comm)).last().map(|a| Value::Int(a.pid))
        },
        "proc.tty" => |_, ev, st| thread(ev, st).map(|t| Value::Uint(u64::from(t.tty))),
        "proc.pid" => |_, ev, st| thread(ev, st).map(|t| Value::Int(t.pid)),
        "proc.ppid" => |_, ev, st| {
            let t = thread(ev, st)?;
            Some(Value::Int(parent_of(st, t).map_or(t.ptid, |p| if p.pid == t.pid { p.tid } else { t.ptid })))
        },
        "proc.apid" => |arg, ev, st| ancestor_field(arg, ev, st, |t| Some(Value::Int(t.pid))),
        "proc.vpid" => |_, ev, st| thread(ev, st).and_then(|t| known_id(t.vpid)),
        "proc.pvpid" => |_, ev, st| parent(ev, st).and_then(|t| known_id(t.vpid)),
        "proc.sid" => |_, ev, st| thread(ev, st).map(|t| Value::Int(t.sid)),
        "proc.sname" => |_, ev, st| leader(ev, st, |t| t.sid, |t| t.vpid).and_then(|t| nonempty(&t.comm)),
        "proc.sid.exe" => |_, ev, st| leader(ev, st, |t| t.sid, |t| t.vpid).and_then(|t| nonempty(&t.exe)),
        "proc.sid.exepath" => |_, ev, st| leader(ev, st, |t| t.sid, |t| t.vpid).and_then(|t| nonempty(&t.exepath)),
        "proc.vpgid" => |_, ev, st| thread(ev, st).map(|t| Value::Int(t.vpgid)),
        "proc.vpgid.name" => |_, ev, st| leader(ev, st, |t| t.vpgid, |t| t.vpid).and_then(|t| nonempty(&t.comm)),
        "proc.vpgid.exe" => |_, ev, st| leader(ev, st, |t| t.vpgid, |t| t.vpid).and_then(|t| nonempty(&t.exe)),
        "proc.vpgid.exepath" => |_, ev, st| leader(ev, st, |t| t.vpgid, |t| t.vpid).and_then(|t| nonempty(&t.exepath)),
        "proc.pgid" => |_, ev, st| thread(ev, st).map(|t| Value::Int(t.pgid)),
        "proc.pgid.name" => |_, ev, st| leader(ev, st, |t| t.pgid, |t| t.pid).and_then(|t| nonempty(&t.comm)),
        "proc.pgid.exe" => |_, ev, st| leader(ev, st, |t| t.pgid, |t| t.pid).and_then(|t| nonempty(&t.exe)),
        "proc.pgid.exepath" => |_, ev, st| leader(ev, st, |t| t.pgid, |t| t.pid).and_then(|t| nonempty(&t.exepath)),
        "proc.duration" => |_, ev, st| {
            let t = st.main_thread(thread(ev, st)?);
            duration(ev.ts, t.clone_ts)
        },
        "proc.ppid.duration" => |_, ev, st| duration(ev.ts, parent(ev, st)?.clone_ts),
        "proc.pid.ts" => |_, ev, st| {
            let t = st.main_thread(thread(ev, st)?);
            (t.clone_ts > 0).then_some(Value::Uint(t.clone_ts))
        },
        "proc.ppid.ts" => |_, ev, st| {
            let p = parent(ev, st)?;
            (p.clone_ts > 0).then_some(Value::Uint(p.clone_ts))
        },
        "proc.is_exe_writable" => |_, ev, st| thread(ev, st).map(|t| Value::Bool(t.exe_writable)),
        "proc.is_exe_upper_layer" => |_, ev, st| thread(ev, st).map(|t| Value::Bool(t.exe_upper_layer)),
        "proc.is_exe_lower_layer" => |_, ev, st| thread(ev, st).map(|t| Value::Bool(t.exe_lower_layer)),
        "proc.is_exe_from_memfd" => |_, ev, st| thread(ev, st).map(|t| Value::Bool(t.exe_from_memfd)),
        "proc.is_sid_leader" => |_, ev, st| thread(ev, st).map(|t| Value::Bool(t.sid == t.vpid)),
        "proc.is_vpgid_leader" => |_, ev, st| thread(ev, st).map(|t| Value::Bool(t.vpgid == t.vpid)),
        "proc.is_pgid_leader" => |_, ev, st| thread(ev, st).map(|t| Value::Bool(t.pgid == t.pid)),
        "proc.exe_ino" => |_, ev, st| thread(ev, st).filter(|t| t.exe_ino > 0).map(|t| Value::Int(t.exe_ino as i64)),
        "proc.exe_ino.ctime" => {
            |_, ev, st| thread(ev, st).filter(|t| t.exe_ino_ctime > 0).map(|t| Value::Uint(t.exe_ino_ctime))
        }
        "proc.exe_ino.mtime" => {
            |_, ev, st| thread(ev, st).filter(|t| t.exe_ino_mtime > 0).map(|t| Value::Uint(t.exe_ino_mtime))
        }
        "proc.exe_ino.ctime_duration_proc_start" => |_, ev, st| {
            // Time from the executable's last status change to the process start.
            let t = st.main_thread(thread(ev, st)?);
            (t.exe_ino_ctime > 0 && t.clone_ts >= t.exe_ino_ctime).then(|| Value::Uint(t.clone_ts - t.exe_ino_ctime))
        },
        "proc.exe_ino.ctime_duration_pidns_start" => |_, ev, st| {
            // Only when the pid namespace predates the executable's change.
            let t = thread(ev, st)?;
            (t.pidns_init_start_ts > 0 && t.exe_ino_ctime > t.pidns_init_start_ts)
                .then(|| Value::Uint(t.exe_ino_ctime - t.pidns_init_start_ts))
        },
        "proc.pidns_init_start_ts" => {
            |_, ev, st| thread(ev, st).filter(|t| t.pidns_init_start_ts > 0).map(|t| Value::Uint(t.pidns_init_start_ts))
        }
        "thread.cap_permitted" => |_, ev, st| thread(ev, st).map(|t| s(caps_to_string(t.cap_permitted))),
        "thread.cap_inheritable" => |_, ev, st| thread(ev, st).map(|t| s(caps_to_string(t.cap_inheritable))),
        "thread.cap_effective" => |_, ev, st| thread(ev, st).map(|t| s(caps_to_string(t.cap_effective))),
        "proc.fdopencount" => |_, ev, st| thread(ev, st).map(|_| Value::Uint(st.fds(ev.tid).count() as u64)),
        "proc.fdlimit" => |_, ev, st| thread(ev, st).filter(|t| t.fdlimit > 0).map(|t| Value::Int(t.fdlimit)),
        "proc.fdusage" => |_, ev, st| {
            let t = thread(ev, st)?;
            (t.fdlimit > 0).then(|| Value::Double(st.fds(ev.tid).count() as f64 * 100.0 / t.fdlimit as f64))
        },
        "proc.vmsize" => |_, ev, st| Some(Value::Uint(u64::from(st.main_thread(thread(ev, st)?).vmsize_kb))),
        "proc.vmrss" => |_, ev, st| Some(Value::Uint(u64::from(st.main_thread(thread(ev, st)?).vmrss_kb))),
        "proc.vmswap" => |_, ev, st| Some(Value::Uint(u64::from(st.main_thread(thread(ev, st)?).vmswap_kb))),
        "thread.vmsize" => |_, ev, st| thread(ev, st).map(|t| Value::Uint(u64::from(t.vmsize_kb))),
        "thread.vmrss" => |_, ev, st| thread(ev, st).map(|t| Value::Uint(u64::from(t.vmrss_kb))),
        "thread.vmsize.b" => |_, ev, st| thread(ev, st).map(|t| Value::Uint(u64::from(t.vmsize_kb) * 1024)),
        "thread.vmrss.b" => |_, ev, st| thread(ev, st).map(|t| Value::Uint(u64::from(t.vmrss_kb) * 1024)),
        "thread.pfmajor" | "thread.pfminor" | "thread.exectime" | "thread.totexectime" | "thread.cpu"
        | "thread.cpu.user" | "thread.cpu.system" => |_, _, _| None,
        "thread.tid" => |_, ev, st| thread(ev, st).map(|t| Value::Int(t.tid)),
        "thread.ismain" => |_, ev, st| thread(ev, st).map(|t| Value::Bool(t.is_main_thread())),
        "thread.vtid" => |_, ev, st| thread(ev, st).and_then(|t| known_id(t.vtid)),
        "thread.nametid" => |_, ev, st| thread(ev, st).map(|t| s(format!("{}{}", t.comm, t.tid))),
        "thread.cgroups" => |_, ev, st| {
            let t = thread(ev, st)?;
            let parts: Vec<String> = t.cgroups.iter().map(|(k, v)| format!("{k}={v}")).collect();
            Some(s(parts.join(" ")))
        },
        "thread.cgroup" => |arg, ev, st| thread(ev, st)?.cgroup(&arg_key(arg)?).map(s),
        "proc.nthreads" => |_, ev, st| {
            let pid = thread(ev, st)?.pid;
            Some(Value::Uint(st.threads().filter(|t| t.pid == pid && !t.exited).count() as u64))
        },
        "proc.nchilds" => |_, ev, st| {
            let pid = thread(ev, st)?.pid;
            Some(Value::Uint(st.threads().filter(|t| t.pid == pid && !t.exited && t.tid != pid).count() as u64))
        },
        "proc.stdin.type" => |_, ev, st| std_fd(ev, st, 0).map(|f| s(f.kind.type_name())),
        "proc.stdout.type" => |_, ev, st| std_fd(ev, st, 1).map(|f| s(f.kind.type_name())),
        "proc.stderr.type" => |_, ev, st| std_fd(ev, st, 2).map(|f| s(f.kind.type_name())),
        "proc.stdin.name" => |_, ev, st| std_fd(ev, st, 0).map(|f| s(f.name.as_str())),
        "proc.stdout.name" => |_, ev, st| std_fd(ev, st, 1).map(|f| s(f.name.as_str())),
        "proc.stderr.name" => |_, ev, st| std_fd(ev, st, 2).map(|f| s(f.name.as_str())),
        _ => return None,
    };
    Some(f)
}

fn parent<'a>(ev: &Event, st: &'a State) -> Option<&'a Thread> {
    parent_of(st, thread(ev, st)?)
}

/// The parent as libsinsp's `proc.p*` fields see it (`m_ptid`): for a secondary thread whose
/// clone flags say `CLONE_THREAD`, its creator (approximated by its process's main thread); for
/// main threads the parent process ([`State::parent`]). Ancestor fields start from the main
/// thread, so for such a thread `proc.aname[1]` is the parent process while `proc.pname` is its
/// own process. For threads found in the capture's process list (or /proc) at start-up
/// ([`crate::state::ThreadInfo::from_proc_list`]) libsinsp's `m_ptid` is the parent process, as recorded.
pub fn parent_of<'a>(st: &'a State, t: &'a Thread) -> Option<&'a Thread> {
    if !t.is_main_thread()
        && !t.from_proc_list
        && t.clone_flags & crate::flags::PPM_CL_CLONE_THREAD != 0
        && let Some(m) = st.thread(t.pid)
        && m.tid != t.tid
    {
        return Some(m);
    }
    st.parent(t)
}

fn std_fd<'a>(ev: &Event, st: &'a State, fd: i64) -> Option<&'a FdInfo> {
    st.fd(ev.tid, fd)
}

fn duration(now: u64, start: u64) -> Option<Value> {
    (start > 0 && now >= start).then(|| Value::Uint(now - start))
}

/// Ancestor N of the event's process (0 = itself, 1 = parent...).
pub(crate) fn ancestor<'a>(st: &'a State, t: &'a Thread, n: i64) -> Option<&'a Thread> {
    match n {
        0 => Some(st.main_thread(t)),
        n if n > 0 => st.ancestors(t).nth(usize::try_from(n - 1).ok()?),
        _ => None,
    }
}

/// An ancestor field: with `[N]` the value for ancestor N; without, the list of every
/// ancestor's value (parent first), `None` when there is no ancestor with a value. The fields
/// using it must say `ancestors` in the schema's `multi` column
/// (`compiler/schema/data/fields.tsv`), or the JIT would inline a numeric check on what is
/// a list.
fn ancestor_field(
    arg: Option<&FieldArgValue>,
    ev: &Event,
    st: &State,
    get: fn(&Thread) -> Option<Value>,
) -> Option<Value> {
    let t = thread(ev, st)?;
    match arg_index(arg) {
        Some(n) => get(ancestor(st, t, n)?),
        None => {
            let all: Vec<Value> = st.ancestors(t).filter_map(get).collect();
            (!all.is_empty()).then_some(Value::List(all))
        }
    }
}

/// The leader of the group `id_of(t)` (session, process group): the process whose
/// `pid_of` equals the id, else the eldest ancestor still in the group.
fn leader<'a>(ev: &Event, st: &'a State, id_of: fn(&Thread) -> i64, pid_of: fn(&Thread) -> i64) -> Option<&'a Thread> {
    let t = st.main_thread(thread(ev, st)?);
    let id = id_of(t);
    if pid_of(t) == id {
        return Some(t);
    }
    let mut found = None;
    let mut seen = HashSet::new();
    for a in st.ancestors(t) {
        if id_of(a) != id || !seen.insert(a.pid) {
            break;
        }
        found = Some(a);
        if pid_of(a) == id {
            break;
        }
    }
    found
}

fn is_shell(comm: &str) -> bool {
    matches!(comm, "ash" | "bash" | "csh" | "ksh" | "sh" | "tcsh" | "zsh" | "dash" | "fish")
}

/// The names of the set capability bits, space-separated, in bit order.
pub fn caps_to_string(caps: u64) -> String {
    let mut out = String::new();
    for (i, name) in crate::flags::CAP_NAMES.iter().enumerate() {
        if caps & (1u64 << i) != 0 {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(name);
        }
    }
    out
}
