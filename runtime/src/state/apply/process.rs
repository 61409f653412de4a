//! The handlers of the events that make or change a process: clone-like exits (a new thread,
//! in the parent or in the child) and execve-like exits (a new program), and the reading of
//! the process fields those events carry into a thread's facts. Lists and strings the thread
//! already holds are overwritten in place: an exec's environment and a clone's cgroups are
//! mostly what the thread had, and building them again costs an allocation per entry.

use crate::event::{ParamType, nul_entries};

use super::*;

impl State {
    /// A clone-like exit (clone, clone3, fork, vfork), in the parent or in the child.
    pub(super) fn on_clone(&mut self, ev: &Event) {
        let Some(res) = ev.get_any(any::RES) else { return };
        if res < 0 {
            return;
        }
        let cflags = ev.get_any(any::FLAGS).unwrap_or(0) as u32;
        let is_thread = cflags & flags::PPM_CL_CLONE_THREAD != 0;
        if res > 0 {
            // In the parent: create the child unless its own clone exit already did.
            let child = res;
            if self.threads.contains_key(&child) {
                return;
            }
            let mut t = match self.threads.get(&ev.tid) {
                Some(p) => p.info().clone(),
                None => {
                    let mut t = ThreadInfo::new(
                        ev.tid,
                        ev.get_any(any::PID).unwrap_or(ev.tid),
                        ev.get_any(any::PTID).unwrap_or(0),
                    );
                    fill_proc_from_event(&mut t, ev);
                    t
                }
            };
            let parent_tid = ev.tid;
            let parent_pid = t.pid;
            let parent_ptid = t.ptid;
            t.tid = child;
            t.exited = false;
            if is_thread {
                t.ptid = parent_ptid;
            } else {
                t.pid = child;
                t.ptid = parent_tid;
                t.vpid = 0;
            }
            t.vtid = 0;
            t.clone_ts = ev.ts;
            t.last_seen = ev.ts;
            t.clone_flags = cflags;
            t.from_proc_list = false;
            self.spawn(t, parent_pid, is_thread);
        } else {
            // In the child: the event describes the child itself.
            let tid = ev.tid;
            let pid = ev.get_any(any::PID).unwrap_or(tid);
            let ptid = ev.get_any(any::PTID).unwrap_or(0);
            if self
                .edit_thread(tid, |t| {
                    t.pid = pid;
                    t.ptid = ptid;
                    fill_proc_from_event(t, ev);
                })
                .is_some()
            {
                return;
            }
            let mut t = match self.threads.get(&ptid) {
                Some(p) => p.info().clone(),
                None => ThreadInfo::new(tid, pid, ptid),
            };
            let parent_pid = t.pid;
            t.tid = tid;
            t.pid = pid;
            t.ptid = ptid;
            t.exited = false;
            t.clone_ts = ev.ts;
            t.last_seen = ev.ts;
            t.clone_flags = cflags;
            t.from_proc_list = false;
            fill_proc_from_event(&mut t, ev);
            self.spawn(t, parent_pid, is_thread);
        }
    }

    fn spawn(&mut self, t: ThreadInfo, parent_pid: i64, is_thread: bool) {
        let pid = t.pid;
        let copy = if !is_thread && pid != parent_pid && !self.fdtables.contains_key(&pid) {
            self.fdtables.get(&parent_pid).cloned()
        } else {
            None
        };
        self.insert_thread(t);
        if let Some(mut fds) = copy
            && let Some(tab) = self.fdtables.get_mut(&pid)
        {
            fds.refs = tab.refs;
            *tab = fds;
        }
    }

    /// A successful execve-like exit (execve, execveat): the thread runs a new program.
    pub(super) fn on_execve(&mut self, ev: &Event) {
        if ev.res().unwrap_or(0) != 0 {
            return;
        }
        let tid = ev.tid;
        if !self.threads.contains_key(&tid) {
            // Normally `apply` added the unknown-thread entry already (not for tid 0).
            let mut t = ThreadInfo::unknown(tid);
            t.pid = ev.get_any(any::PID).unwrap_or(tid);
            self.insert_thread(t);
        }
        let Some(pid) = self.edit_thread(tid, |t| exec_into(t, ev)) else {
            return;
        };
        // The kernel closes O_CLOEXEC fds on a successful exec.
        if let Some(tab) = self.fdtables.get_mut(&pid) {
            tab.retain(|f| f.open_flags & flags::PPM_O_CLOEXEC == 0);
        }
    }
}

/// What a successful execve-like exit `ev` tells of the thread `t` now running the new
/// program; returns its pid.
fn exec_into(t: &mut ThreadInfo, ev: &Event) -> i64 {
    // An entry made for an unknown thread learns its parent from the event (libsinsp
    // shows the execve's `ptid` as `proc.ppid` from that exit on).
    if t.ptid < 0
        && let Some(ptid) = ev.get_any(any::PTID)
    {
        t.ptid = ptid;
    }
    fill_proc_from_event(t, ev);
    // An exec with argv[0] only writes an empty `args`: the new program has no arguments
    // (libsinsp sets them from the parameter whatever its length), not the old ones.
    if ev.param_any(any::ARGS).is_some_and(|p| *p.value == ParamValue::Absent) {
        t.args.clear();
    }
    if ev.get_any(any::COMM).is_none() && !t.exe.is_empty() {
        t.comm = ThreadInfo::comm_of(&t.exe);
    }
    if !set_list(&mut t.env, ev, any::ENV) {
        t.env.clear();
    }
    if let Some(v) = ev.get_any(any::TTY) {
        t.tty = v as u32;
    }
    if let Some(v) = ev.get_any(any::VPGID) {
        t.vpgid = v;
    }
    if let Some(v) = ev.get_any(any::PGID) {
        t.pgid = v;
    }
    if let Some(v) = ev.get_any(any::LOGINUID) {
        t.loginuid = v as u32;
    }
    if let Some(v) = ev.get_any(any::FLAGS) {
        t.set_exe_flags(v as u32);
    }
    set_caps(t, ev.get_any(any::CAP_INHERITABLE), ev.get_any(any::CAP_PERMITTED), ev.get_any(any::CAP_EFFECTIVE));
    if let Some(v) = ev.get_any(any::EXE_INO) {
        t.exe_ino = v as u64;
    }
    if let Some(v) = ev.get_any(any::EXE_INO_CTIME) {
        t.exe_ino_ctime = v as u64;
    }
    if let Some(v) = ev.get_any(any::EXE_INO_MTIME) {
        t.exe_ino_mtime = v as u64;
    }
    // The exepath comes from the driver (`trusted_exepath`) or, for older layouts, from
    // the enter event's `filename` (merged into the exit by the replay) against the cwd.
    // Layouts with neither (execve before version 18) leave it as it was, as libsinsp
    // does: argv[0] is not a path to the executable (`-su`, `curl`).
    // execveat has no `filename`: its exits read none.
    match (ev.get_any(any::TRUSTED_EXEPATH), ev.get_any(any::FILENAME)) {
        (Some(p), _) if !p.is_empty() => t.exepath = p.to_string(),
        (_, Some(f)) if !f.is_empty() => t.exepath = join_path(&t.cwd, f),
        _ => {}
    }
    t.pid
}

/// Copies the process fields common to clone-like and execve-like exits into `t` (execve
/// exits have no pid-namespace fields: they read as absent).
fn fill_proc_from_event(t: &mut ThreadInfo, ev: &Event) {
    if let Some(v) = ev.get_any(any::EXE) {
        set_text(&mut t.exe, v);
    }
    set_list(&mut t.args, ev, any::ARGS);
    if let Some(v) = ev.get_any(any::COMM) {
        set_text(&mut t.comm, v);
    }
    if let Some(v) = ev.get_any(any::CWD) {
        t.set_cwd_text(v);
    }
    if let Some(v) = ev.get_any(any::FDLIMIT) {
        t.fdlimit = v;
    }
    match ev.raw_any(any::CGROUPS) {
        // The cgroups the thread has already (a clone's, mostly): no list is built.
        Some((ParamType::ByteBuf, b)) if !b.is_empty() && t.cgroups_are(nul_entries(b)) => t.derive_container_id(),
        _ => {
            if let Some(v) = ev.list_any(any::CGROUPS) {
                t.set_cgroups_from_scap(&v);
            }
        }
    }
    if let Some(v) = ev.get_any(any::UID) {
        t.uid = v as u32;
    }
    if let Some(v) = ev.get_any(any::GID) {
        t.gid = v as u32;
    }
    if let Some(v) = ev.get_any(any::VTID) {
        t.vtid = v;
    }
    if let Some(v) = ev.get_any(any::VPID) {
        t.vpid = v;
    }
    if let Some(v) = ev.get_any(any::PIDNS_INIT_START_TS) {
        t.pidns_init_start_ts = v as u64;
    }
    if let Some(v) = ev.get_any(any::VM_SIZE) {
        t.vmsize_kb = v as u32;
    }
    if let Some(v) = ev.get_any(any::VM_RSS) {
        t.vmrss_kb = v as u32;
    }
    if let Some(v) = ev.get_any(any::VM_SWAP) {
        t.vmswap_kb = v as u32;
    }
}

/// Sets `dst` to `text`, in its own buffer (nothing written when it holds `text` already).
fn set_text(dst: &mut String, text: &str) {
    if dst != text {
        dst.clear();
        dst.push_str(text);
    }
}

/// Sets `dst` to list parameter `key` of `ev` as [`Event::list_any`] reads it, its entries
/// written over the strings `dst` holds; false, `dst` unchanged, when the event has no such
/// parameter or it is absent.
fn set_list<K>(dst: &mut Vec<String>, ev: &Event, key: AnyKey<K>) -> bool {
    match ev.raw_any(key) {
        // A record's bytes, an absent parameter's empty: the entries read in place.
        Some((ParamType::ByteBuf, b)) => {
            if b.is_empty() {
                return false;
            }
            let mut n = 0;
            for entry in nul_entries(b) {
                match dst.get_mut(n) {
                    Some(s) => set_text(s, &entry),
                    None => dst.push(entry.into_owned()),
                }
                n += 1;
            }
            dst.truncate(n);
            true
        }
        _ => match ev.list_any(key) {
            Some(v) => {
                *dst = v;
                true
            }
            None => false,
        },
    }
}
