//! Building a [`ThreadInfo`]: the one place for the facts every source of threads derives
//! alike (a capture's process list in `capture/replay.rs`, `/proc` in `proc.rs`, a test world
//! in `rulec-testing`, clone and execve events in `apply.rs`): the ids a new thread has in its
//! pid namespace, an unset loginuid, `comm` from the executable, the working directory's
//! trailing slash, the executable flags from their bits, the container id from the cgroups.
//! Each source sets the facts it has on [`ThreadInfo::new`] and these setters derive the rest.

use super::container::{container_id_from_cgroups, short_id};
use super::model::ThreadInfo;
use crate::flags;

impl ThreadInfo {
    /// An unset uid, gid or loginuid (the kernel's `-1`, shown as 4294967295).
    pub const UNSET_ID: u32 = u32::MAX;
    /// The most characters of `comm` (the kernel's `TASK_COMM_LEN` less its NUL).
    pub const COMM_LEN: usize = 15;

    /// A thread with the given ids and everything else empty: in its pid namespace it has the
    /// same ids (`vtid`, `vpid`), its loginuid is unset. Every source of threads (a capture's
    /// process list, /proc, a test world, clone events) starts from here.
    pub fn new(tid: i64, pid: i64, ptid: i64) -> ThreadInfo {
        ThreadInfo { tid, pid, ptid, vtid: tid, vpid: pid, loginuid: ThreadInfo::UNSET_ID, ..ThreadInfo::default() }
    }
    /// The entry libsinsp adds for a thread it meets in an event without knowing it (neither in
    /// the capture's process list nor created by a clone it saw): pid assumed equal to the tid,
    /// parent unknown (-1), `comm` and `exe` the literal `<NA>` libsinsp writes, and uid, gid
    /// and loginuid unknown (`u32::MAX`, shown as 4294967295, with no user name: not root),
    /// vtid/vpid unknown (-1, `proc.vpid` has no value) and no exepath. Events that follow
    /// (execve exit, clone...) fill in what they carry.
    pub fn unknown(tid: i64) -> ThreadInfo {
        ThreadInfo {
            tid,
            pid: tid,
            ptid: -1,
            vtid: -1,
            vpid: -1,
            comm: "<NA>".into(),
            exe: "<NA>".into(),
            cwd: "/".into(),
            uid: ThreadInfo::UNSET_ID,
            gid: ThreadInfo::UNSET_ID,
            loginuid: ThreadInfo::UNSET_ID,
            ..ThreadInfo::default()
        }
    }
    /// True for the main thread of its process (`thread.ismain`).
    pub fn is_main_thread(&self) -> bool {
        self.tid == self.pid
    }
    /// `proc.cmdline`: name and args joined with spaces.
    pub fn cmdline(&self) -> String {
        let mut s = self.comm.clone();
        for a in &self.args {
            s.push(' ');
            s.push_str(a);
        }
        s
    }
    /// The value of environment variable `name`.
    pub fn env_var(&self, name: &str) -> Option<&str> {
        self.env.iter().find_map(|e| e.strip_prefix(name)?.strip_prefix('='))
    }
    /// The cgroup path of `subsys` (`thread.cgroup.SUBSYS`).
    pub fn cgroup(&self, subsys: &str) -> Option<&str> {
        self.cgroups.iter().find(|(s, _)| s == subsys).map(|(_, p)| p.as_str())
    }
    /// The `comm` the kernel gives a program started from `exe`: its base name, at most
    /// [`ThreadInfo::COMM_LEN`] characters.
    pub fn comm_of(exe: &str) -> String {
        exe.rsplit('/').next().unwrap_or(exe).chars().take(ThreadInfo::COMM_LEN).collect()
    }
    /// Sets the working directory, with the trailing `/` Falco keeps (`proc.cwd`).
    pub fn set_cwd(&mut self, cwd: impl Into<String>) {
        let mut cwd = cwd.into();
        if !cwd.ends_with('/') {
            cwd.push('/');
        }
        self.cwd = cwd;
    }
    /// Sets the executable flags from the `PPM_EXE_*` bits of an execve exit or a test world.
    pub fn set_exe_flags(&mut self, bits: u32) {
        self.exe_writable = bits & flags::PPM_EXE_WRITABLE != 0;
        self.exe_upper_layer = bits & flags::PPM_EXE_UPPER_LAYER != 0;
        self.exe_lower_layer = bits & flags::PPM_EXE_LOWER_LAYER != 0;
        self.exe_from_memfd = bits & flags::PPM_EXE_FROM_MEMFD != 0;
    }
    /// Sets the `(subsystem, path)` cgroups and derives the container id from them.
    pub fn set_cgroups(&mut self, cgroups: Vec<(String, String)>) {
        self.cgroups = cgroups;
        self.container_id = container_id_from_cgroups(self.cgroups.iter().map(|(_, p)| p.as_str()))
            .map(|(_, id)| short_id(&id))
            .unwrap_or_default();
    }
    /// Sets the cgroups from `subsys=path` strings (the scap format; entries without `=` are
    /// skipped) and derives the container id.
    pub fn set_cgroups_from_scap(&mut self, list: &[String]) {
        self.set_cgroups(
            list.iter().filter_map(|s| s.split_once('=').map(|(a, b)| (a.to_string(), b.to_string()))).collect(),
        );
    }
}
