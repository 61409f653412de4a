//! Building a [`ThreadInfo`], and the [`Thread`] the table keeps of it: the one place for the
//! facts every source of threads derives alike (a capture's process list in
//! `capture/replay.rs`, `/proc` in `proc.rs`, a test world in `rulec-testing`, clone and execve
//! events in `apply.rs`): the ids a new thread has in its pid namespace, an unset loginuid,
//! `comm` from the executable, the working directory's trailing slash, the executable flags
//! from their bits, the container id from the cgroups. Each source sets the facts it has on
//! [`ThreadInfo::new`] and these setters derive the rest.
//!
//! # Derived values, computed once
//!
//! Rules read some values on most events that change only when the thread does: the command
//! line (`proc.cmdline`, `proc.args`, `proc.exeline`) and the names of its user, login user,
//! group and container. A [`Thread`] holds its [`ThreadInfo`] with those values next to it,
//! made when the thread enters the table and again after every change: the table never hands
//! out a `&mut ThreadInfo`, only [`Thread::edit`], which derives them afresh when the change is
//! done, so they cannot be stale. The names also depend on the state's user, group and
//! container tables: each table change starts a new generation ([`NameTables`]); a thread's
//! names are read only when they are of the current generation (else they are looked up, as
//! before), and [`State::apply`](super::State::apply) brings the event's thread up to date
//! before rules read it.
//!
//! # Versions
//!
//! Every change of a thread's facts gives it a new version ([`Thread::version`]) and gives the
//! table ([`ThreadTable`]) a new generation, numbers from one counter never given twice in the
//! process: evaluation remembers verdicts on a thread's values by them
//! (`eval/thread_memo.rs`), so the table hands out a `&mut Thread` only through methods that
//! count as a change, [`Thread::touch`] aside (it changes no fact values are derived from).

use std::collections::HashMap;
use std::ops::Deref;

use super::container::{ContainerInfo, container_id_from_cgroups, short_id};
use super::ids::IdTable;
use super::model::{GroupInfo, ThreadInfo, UserInfo};
use crate::flags;

/// The user, group and container tables, which give names to a thread's ids, and their
/// generation, which every change advances (so a name derived at an older generation is
/// never read).
#[derive(Debug, Clone, Default)]
pub(super) struct NameTables {
    pub(super) users: IdTable<UserInfo>,
    pub(super) groups: IdTable<GroupInfo>,
    /// Container metadata by 12-character id (`container.rs`).
    pub(super) containers: HashMap<String, ContainerInfo>,
    generation: u64,
}

impl NameTables {
    /// The generation: how many changes the tables have seen.
    #[inline]
    pub(super) fn generation(&self) -> u64 {
        self.generation
    }
    /// Marks a change of a table: every name derived before is out of date.
    pub(super) fn changed(&mut self) {
        self.generation += 1;
    }
    /// The name of `uid` in container `cid`'s table (`user.name`); `root` for uid 0, as
    /// libsinsp's fallback user.
    pub(super) fn user_name(&self, cid: &str, uid: u32) -> Option<&str> {
        match self.users.get(cid, uid) {
            Some(u) if !u.name.is_empty() => Some(u.name.as_str()),
            _ if uid == 0 => Some("root"),
            _ => None,
        }
    }
    /// The name of the login uid (`user.loginname`): none while unset.
    pub(super) fn login_name(&self, cid: &str, loginuid: u32) -> Option<&str> {
        if loginuid == ThreadInfo::UNSET_ID { None } else { self.user_name(cid, loginuid) }
    }
    /// The name of `gid` (`group.name`); `root` for gid 0.
    pub(super) fn group_name(&self, cid: &str, gid: u32) -> Option<&str> {
        match self.groups.get(cid, gid) {
            Some(g) if !g.name.is_empty() => Some(g.name.as_str()),
            _ if gid == 0 => Some("root"),
            _ => None,
        }
    }
    /// `container.name`: the table's name of the container; `host` on the host; none for a
    /// container the table lacks.
    pub(super) fn container_name(&self, cid: &str) -> Option<&str> {
        match self.containers.get(cid) {
            Some(c) => c.name.as_deref(),
            None => cid.is_empty().then_some("host"),
        }
    }
}

/// A thread of the state's table: its facts (read through `Deref`) and the values derived
/// from them (see the module doc).
#[derive(Debug, Clone)]
pub struct Thread {
    info: ThreadInfo,
    /// `comm` and the arguments joined by spaces (`proc.cmdline`).
    cmdline: String,
    /// The arguments joined by spaces (`proc.args`).
    args_line: String,
    /// argv[0] and the arguments joined by spaces (`proc.exeline`).
    exeline: String,
    names: Names,
    /// A number no other thread, nor this one before its last change, had (see
    /// [`Thread::version`]).
    version: u64,
}

/// A thread's names, as of generation `generation` of the [`NameTables`], and the ids they
/// name (so a change that leaves them alone does not look them up again).
#[derive(Debug, Clone)]
struct Names {
    generation: u64,
    ids: (u32, u32, u32),
    container_id: String,
    user: Option<String>,
    login: Option<String>,
    group: Option<String>,
    container: Option<String>,
}

impl Names {
    fn of(t: &ThreadInfo, tables: &NameTables) -> Names {
        let cid = t.container_id.as_str();
        Names {
            generation: tables.generation,
            ids: Names::ids_of(t),
            container_id: t.container_id.clone(),
            user: tables.user_name(cid, t.uid).map(str::to_owned),
            login: tables.login_name(cid, t.loginuid).map(str::to_owned),
            group: tables.group_name(cid, t.gid).map(str::to_owned),
            container: tables.container_name(cid).map(str::to_owned),
        }
    }
    /// The uid, gid and loginuid the names are of.
    fn ids_of(t: &ThreadInfo) -> (u32, u32, u32) {
        (t.uid, t.gid, t.loginuid)
    }
    /// Whether these names are those of `t`'s ids and container in the tables as they are.
    fn current(&self, t: &ThreadInfo, tables: &NameTables) -> bool {
        self.generation == tables.generation && self.ids == Names::ids_of(t) && self.container_id == t.container_id
    }
}

impl Deref for Thread {
    type Target = ThreadInfo;
    fn deref(&self) -> &ThreadInfo {
        &self.info
    }
}

impl Thread {
    /// `info` as the table keeps it, its derived values made.
    pub(super) fn new(info: ThreadInfo, tables: &NameTables) -> Thread {
        let names = Names::of(&info, tables);
        let (cmdline, args_line, exeline) = (String::new(), String::new(), String::new());
        let mut t = Thread { info, cmdline, args_line, exeline, names, version: next_stamp() };
        t.derive(tables);
        t
    }
    /// Changes the thread's facts through `change`, then derives its values again.
    pub(super) fn edit<R>(&mut self, tables: &NameTables, change: impl FnOnce(&mut ThreadInfo) -> R) -> R {
        let r = change(&mut self.info);
        self.derive(tables);
        self.version = next_stamp();
        r
    }
    /// The thread's version: equal versions, equal facts and values derived from them (the
    /// names of its ids aside, which follow the name tables: [`Thread::touch`]). Versions come
    /// from one counter for the whole process, shared with the thread tables' generations;
    /// a copy of a state keeps them until its threads change.
    pub fn version(&self) -> u64 {
        self.version
    }
    /// Notes an event of the thread at `ts`, and brings its names up to date when a table
    /// changed since they were derived.
    #[inline]
    pub(super) fn touch(&mut self, ts: u64, tables: &NameTables) {
        self.info.last_seen = ts;
        if self.names.generation != tables.generation {
            self.refresh_names(tables);
        }
    }
    /// The names derived again, out of line: `State::apply` touches the thread of every
    /// event, and the names change seldom (inlined, their building and dropping made every
    /// event save and restore more registers).
    #[cold]
    #[inline(never)]
    fn refresh_names(&mut self, tables: &NameTables) {
        self.names = Names::of(&self.info, tables);
    }
    /// Marks the thread exited (kept while other threads of its process live on).
    pub(super) fn set_exited(&mut self) {
        self.info.exited = true;
        self.version = next_stamp();
    }

    /// The one derivation of every value a [`Thread`] holds besides its facts. The strings
    /// keep their buffers from one derivation to the next.
    fn derive(&mut self, tables: &NameTables) {
        let t = &self.info;
        join_into(&mut self.cmdline, Some(&t.comm), &t.args);
        join_into(&mut self.args_line, None, &t.args);
        join_into(&mut self.exeline, Some(&t.exe), &t.args);
        if !self.names.current(t, tables) {
            self.names = Names::of(t, tables);
        }
    }

    /// The facts.
    pub fn info(&self) -> &ThreadInfo {
        &self.info
    }
    /// `proc.cmdline`: `comm` and the arguments joined by spaces.
    pub fn cmdline(&self) -> &str {
        &self.cmdline
    }
    /// `proc.args`: the arguments after argv[0] joined by spaces.
    pub fn args_line(&self) -> &str {
        &self.args_line
    }
    /// `proc.exeline`: argv[0] and the arguments joined by spaces.
    pub fn exeline(&self) -> &str {
        &self.exeline
    }
    /// `user.name` in `st`'s tables.
    pub fn user_name<'a>(&'a self, st: &'a super::State) -> Option<&'a str> {
        self.name(st, |n| n.user.as_deref(), |tb, t| tb.user_name(&t.container_id, t.uid))
    }
    /// `user.loginname`.
    pub fn login_name<'a>(&'a self, st: &'a super::State) -> Option<&'a str> {
        self.name(st, |n| n.login.as_deref(), |tb, t| tb.login_name(&t.container_id, t.loginuid))
    }
    /// `group.name`.
    pub fn group_name<'a>(&'a self, st: &'a super::State) -> Option<&'a str> {
        self.name(st, |n| n.group.as_deref(), |tb, t| tb.group_name(&t.container_id, t.gid))
    }
    /// `container.name`.
    pub fn container_name<'a>(&'a self, st: &'a super::State) -> Option<&'a str> {
        self.name(st, |n| n.container.as_deref(), |tb, t| tb.container_name(&t.container_id))
    }
    /// A name held for the tables' current generation, else looked up.
    fn name<'a>(
        &'a self,
        st: &'a super::State,
        held: fn(&Names) -> Option<&str>,
        look_up: fn(&'a NameTables, &'a ThreadInfo) -> Option<&'a str>,
    ) -> Option<&'a str> {
        if self.names.generation == st.names.generation { held(&self.names) } else { look_up(&st.names, &self.info) }
    }
}

/// The thread table: threads by tid, and its generation, a number every change of a thread's
/// facts replaces (a thread added, removed or edited; not [`Thread::touch`], which changes no
/// fact a value is derived from but `last_seen` and the names of its ids). A value computed
/// from the facts of the table's threads at one generation is the same at that generation
/// whichever state it is read in: generations come from one counter for the whole process, so
/// two tables share one only when one is a clone of the other, unchanged since (evaluation
/// remembers verdicts by it: `eval/thread_memo.rs`).
#[derive(Debug, Clone, Default)]
pub(super) struct ThreadTable {
    map: rustc_hash::FxHashMap<i64, Thread>,
    generation: u64,
}

/// The last thread version or table generation given (0: an empty table never changed).
static STAMPS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A thread version or table generation never given before.
fn next_stamp() -> u64 {
    STAMPS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1
}

impl ThreadTable {
    /// The current generation (see the type's doc).
    pub(super) fn generation(&self) -> u64 {
        self.generation
    }
    /// Marks a change: a generation no table had before.
    fn changed(&mut self) {
        self.generation = next_stamp();
    }
    pub(super) fn get(&self, tid: &i64) -> Option<&Thread> {
        self.map.get(tid)
    }
    pub(super) fn contains_key(&self, tid: &i64) -> bool {
        self.map.contains_key(tid)
    }
    pub(super) fn len(&self) -> usize {
        self.map.len()
    }
    pub(super) fn values(&self) -> impl Iterator<Item = &Thread> {
        self.map.values()
    }
    /// Thread `tid`, to change: a change of the table whether or not the caller changes it.
    pub(super) fn get_mut(&mut self, tid: &i64) -> Option<&mut Thread> {
        self.changed();
        self.map.get_mut(tid)
    }
    /// Every thread, to change (see [`ThreadTable::get_mut`]).
    pub(super) fn values_mut(&mut self) -> impl Iterator<Item = &mut Thread> {
        self.changed();
        self.map.values_mut()
    }
    pub(super) fn insert(&mut self, tid: i64, t: Thread) -> Option<Thread> {
        self.changed();
        self.map.insert(tid, t)
    }
    pub(super) fn remove(&mut self, tid: &i64) -> Option<Thread> {
        self.changed();
        self.map.remove(tid)
    }
    /// [`Thread::touch`] on thread `tid`, if the table has it (no change of generation).
    pub(super) fn touch(&mut self, tid: i64, ts: u64, tables: &NameTables) -> bool {
        match self.map.get_mut(&tid) {
            Some(t) => {
                t.touch(ts, tables);
                true
            }
            None => false,
        }
    }
}

/// `first` (when given) and `args`, joined by spaces, into `out`.
fn join_into(out: &mut String, first: Option<&str>, args: &[String]) {
    out.clear();
    if let Some(f) = first {
        out.push_str(f);
    }
    for (i, a) in args.iter().enumerate() {
        if i > 0 || first.is_some() {
            out.push(' ');
        }
        out.push_str(a);
    }
}

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
        self.set_cwd_text(&cwd.into());
    }
    /// [`ThreadInfo::set_cwd`], written into the cwd's own buffer: nothing written when the
    /// thread is in that directory already (a clone or an exec tells its cwd again).
    pub(super) fn set_cwd_text(&mut self, cwd: &str) {
        let slash = cwd.ends_with('/');
        let same = if slash { self.cwd == cwd } else { self.cwd.strip_suffix('/') == Some(cwd) };
        if !same {
            self.cwd.clear();
            self.cwd.push_str(cwd);
            if !slash {
                self.cwd.push('/');
            }
        }
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
        self.derive_container_id();
    }
    /// The container id from the cgroups.
    pub(super) fn derive_container_id(&mut self) {
        self.container_id = container_id_from_cgroups(self.cgroups.iter().map(|(_, p)| p.as_str()))
            .map(|(_, id)| short_id(&id))
            .unwrap_or_default();
    }
    /// Sets the cgroups from `subsys=path` strings (the scap format; entries without `=` are
    /// skipped) and derives the container id.
    pub fn set_cgroups_from_scap(&mut self, list: &[String]) {
        self.set_cgroups(
            list.iter().filter_map(|s| scap_cgroup(s).map(|(a, b)| (a.to_string(), b.to_string()))).collect(),
        );
    }
    /// Whether the cgroups are those the `subsys=path` strings `list` give
    /// ([`ThreadInfo::set_cgroups_from_scap`] would set the same ones).
    pub(super) fn cgroups_are<S: AsRef<str>>(&self, list: impl IntoIterator<Item = S>) -> bool {
        let mut have = self.cgroups.iter();
        for s in list {
            let Some((subsys, path)) = scap_cgroup(s.as_ref()) else { continue };
            if have.next().is_none_or(|(a, b)| a != subsys || b != path) {
                return false;
            }
        }
        have.next().is_none()
    }
}

/// The subsystem and path of a scap cgroup entry, `subsys=path` (none without a `=`).
fn scap_cgroup(s: &str) -> Option<(&str, &str)> {
    s.split_once('=')
}
