//! Applying one event to the state ([`State::apply`]): the per-syscall handlers (clone, execve,
//! open, close, dup, sockets, chdir, credentials...) and the helpers that read an event's
//! process fields. Handlers only change the tables through `State`'s own methods and fields.
//!
//! Dispatch is by event id: [`HANDLERS`] names each handled event half once, and the table of
//! handlers by id is made from it and the schema's event table (every version of a name and
//! direction) and fd table (calls that create an fd of a fixed kind), so an event costs one
//! index, never a match on its name. A decoded event carries its row's own name string: one
//! pointer comparison with the row's says the row is the event's, and most events, which have
//! no handler, are settled there; events built with another id are found by name
//! ([`Event::def`]).
//!
//! Handlers read parameters through the schema's typed keys, never by name. A handler of one
//! event reads its own keys (`ev.get(p::chdir_x::PATH)`): a parameter renamed or removed in the
//! event table fails to compile here. The handlers shared by events with the same parameters
//! (the process fields of clone-like and execve-like exits, user and group metaevents) read
//! them through the `any` keys (`p::any::EXE`, the parameter's index by event id); the
//! dispatch reaches them only for the events they serve, and a test checks that each of those
//! events has every parameter they read. The open-like exits differ in their path, dirfd and
//! flags parameters: their handler takes each one's keys (`open_keys!(openat_x, ...)`).

use std::sync::LazyLock;

use rulec_schema::params::{self as p, AnyKey, ParamKey, any, kind};
use rulec_schema::{Dir, EventDef, FdSource};

use super::*;

mod process;

/// The open-like exits: the path (`name`, or `path` for open_by_handle_at), the directory fd
/// of the `*at` forms, the flags (creat has none).
struct OpenKeys {
    fd: ParamKey<kind::Fd>,
    path: ParamKey<kind::Str>,
    dirfd: Option<ParamKey<kind::Fd>>,
    flags: Option<ParamKey<kind::Int>>,
    dev: ParamKey<kind::Int>,
    ino: ParamKey<kind::Int>,
}

macro_rules! open_keys {
    ($m:ident, $path:ident, $dirfd:expr, $flags:expr) => {
        OpenKeys { fd: p::$m::FD, path: p::$m::$path, dirfd: $dirfd, flags: $flags, dev: p::$m::DEV, ino: p::$m::INO }
    };
}

/// A handler of one event half: reads the event through its keys and changes the state.
type Handler = fn(&mut State, &Event);

/// The event halves the state machine handles, each once (every version of its name and
/// direction in the event table), with the handler that applies it. Failed calls (negative
/// `res`) change nothing unless a handler says otherwise. Calls that only create an fd of a
/// fixed kind (eventfd, timerfd, pidfd...) are not listed: the schema's fd table is their row.
const HANDLERS: &[(&str, Dir, Handler)] = &[
    ("procexit", Dir::Enter, |st, ev| st.deferred.push(Deferred::RemoveThread { tid: ev.tid })),
    ("useradded", Dir::Enter, State::on_user_added),
    ("userdeleted", Dir::Enter, |st, ev| {
        let cid = ev.get_any(any::CONTAINER_ID).unwrap_or("");
        st.remove_user(cid, ev.get_any(any::UID).unwrap_or(0) as u32);
    }),
    ("groupadded", Dir::Enter, State::on_group_added),
    ("groupdeleted", Dir::Enter, |st, ev| {
        let cid = ev.get_any(any::CONTAINER_ID).unwrap_or("");
        st.remove_group(cid, ev.get_any(any::GID).unwrap_or(0) as u32);
    }),
    ("clone", Dir::Exit, State::on_clone),
    ("clone3", Dir::Exit, State::on_clone),
    ("fork", Dir::Exit, State::on_clone),
    ("vfork", Dir::Exit, State::on_clone),
    ("execve", Dir::Exit, State::on_execve),
    ("execveat", Dir::Exit, State::on_execve),
    ("open", Dir::Exit, |st, ev| st.on_open(ev, &open_keys!(open_x, NAME, None, Some(p::open_x::FLAGS)))),
    ("openat", Dir::Exit, |st, ev| {
        st.on_open(ev, &open_keys!(openat_x, NAME, Some(p::openat_x::DIRFD), Some(p::openat_x::FLAGS)));
    }),
    ("openat2", Dir::Exit, |st, ev| {
        st.on_open(ev, &open_keys!(openat2_x, NAME, Some(p::openat2_x::DIRFD), Some(p::openat2_x::FLAGS)));
    }),
    ("creat", Dir::Exit, |st, ev| st.on_open(ev, &open_keys!(creat_x, NAME, None, None))),
    ("open_by_handle_at", Dir::Exit, |st, ev| {
        st.on_open(ev, &open_keys!(open_by_handle_at_x, PATH, None, Some(p::open_by_handle_at_x::FLAGS)));
    }),
    ("close", Dir::Exit, |st, ev| {
        if ev.res().unwrap_or(0) >= 0
            && let (Some(fd), Some(pid)) = (ev.get(p::close_x::FD), st.pid_of(ev.tid))
        {
            st.deferred.push(Deferred::CloseFd { pid, fd });
        }
    }),
    ("dup", Dir::Exit, |st, ev| st.on_dup(ev.tid, ev.res(), ev.get(p::dup_x::OLDFD), None)),
    ("dup2", Dir::Exit, |st, ev| st.on_dup(ev.tid, ev.res(), ev.get(p::dup2_x::OLDFD), None)),
    ("dup3", Dir::Exit, |st, ev| st.on_dup(ev.tid, ev.res(), ev.get(p::dup3_x::OLDFD), ev.get(p::dup3_x::FLAGS))),
    ("fcntl", Dir::Exit, |st, ev| {
        let cmd = ev.get(p::fcntl_x::CMD);
        if matches!(cmd, Some(flags::PPM_FCNTL_F_DUPFD | flags::PPM_FCNTL_F_DUPFD_CLOEXEC))
            && let (Some(new), Some(old)) = (ev.res().filter(|r| *r >= 0), ev.get(p::fcntl_x::FD))
        {
            st.dup_fd(ev.tid, old, new, cmd == Some(flags::PPM_FCNTL_F_DUPFD_CLOEXEC));
        }
    }),
    ("socket", Dir::Exit, State::on_socket),
    ("socketpair", Dir::Exit, State::on_socketpair),
    ("connect", Dir::Exit, |st, ev| {
        if let Some(r) = ev.res()
            && (r >= 0 || r == EINPROGRESS)
            && let Some(fd) = ev.get(p::connect_x::FD)
        {
            let (tuple, addr) = (ev.get(p::connect_x::TUPLE), ev.get(p::connect_x::ADDR));
            st.on_connected(ev.tid, fd, tuple, addr, SockRole::Client, r >= 0);
        }
    }),
    // A datagram's tuple names the fd when it has no name yet or is not TCP (an unconnected
    // UDP socket), as libsinsp's `update_fd` does.
    ("sendto", Dir::Exit, |st, ev| {
        st.on_datagram(ev, ev.get(p::sendto_x::FD), ev.get(p::sendto_x::TUPLE), SockRole::Client)
    }),
    ("recvfrom", Dir::Exit, |st, ev| {
        st.on_datagram(ev, ev.get(p::recvfrom_x::FD), ev.get(p::recvfrom_x::TUPLE), SockRole::Server);
    }),
    ("sendmsg", Dir::Exit, |st, ev| {
        st.on_datagram(ev, ev.get(p::sendmsg_x::FD), ev.get(p::sendmsg_x::TUPLE), SockRole::Client)
    }),
    ("recvmsg", Dir::Exit, |st, ev| {
        st.on_datagram(ev, ev.get(p::recvmsg_x::FD), ev.get(p::recvmsg_x::TUPLE), SockRole::Server)
    }),
    ("accept", Dir::Exit, |st, ev| {
        st.on_accept(ev.tid, ev.get(p::accept_x::FD).or(ev.res()), ev.get(p::accept_x::TUPLE));
    }),
    ("accept4", Dir::Exit, |st, ev| {
        st.on_accept(ev.tid, ev.get(p::accept4_x::FD).or(ev.res()), ev.get(p::accept4_x::TUPLE));
    }),
    ("bind", Dir::Exit, |st, ev| {
        if ev.res().unwrap_or(-1) >= 0
            && let (Some(fd), Some(addr)) = (ev.get(p::bind_x::FD), ev.get(p::bind_x::ADDR))
        {
            st.on_bind(ev.tid, fd, addr);
        }
    }),
    ("listen", Dir::Exit, |st, ev| {
        if ev.res().unwrap_or(-1) >= 0
            && let (Some(fd), Some(pid)) = (ev.get(p::listen_x::FD), st.pid_of(ev.tid))
            && let Some(f) = st.fd_mut(pid, fd)
        {
            f.sock.get_or_insert_with(SockInfo::default).role = SockRole::Server;
        }
    }),
    ("pipe", Dir::Exit, |st, ev| {
        let fds = [ev.get(p::pipe_x::FD1), ev.get(p::pipe_x::FD2)];
        st.on_pipe(ev, fds, ev.get(p::pipe_x::INO), None);
    }),
    ("pipe2", Dir::Exit, |st, ev| {
        let fds = [ev.get(p::pipe2_x::FD1), ev.get(p::pipe2_x::FD2)];
        st.on_pipe(ev, fds, ev.get(p::pipe2_x::INO), ev.get(p::pipe2_x::FLAGS));
    }),
    ("memfd_create", Dir::Exit, |st, ev| {
        let name = format!("memfd:{}", ev.get(p::memfd_create_x::NAME).unwrap_or(""));
        let fd = ev.get(p::memfd_create_x::FD);
        st.simple_fd(ev.tid, fd, ev.get(p::memfd_create_x::FLAGS), FdKind::Memfd, &name);
    }),
    ("chdir", Dir::Exit, |st, ev| {
        if ev.res().unwrap_or(-1) >= 0
            && let Some(path) = ev.get(p::chdir_x::PATH)
        {
            st.set_cwd(ev.tid, path);
        }
    }),
    ("fchdir", Dir::Exit, |st, ev| {
        if ev.res().unwrap_or(-1) >= 0
            && let Some(fd) = ev.get(p::fchdir_x::FD)
            && let Some(f) = st.fd(ev.tid, fd)
        {
            let path = f.name.clone();
            st.set_cwd(ev.tid, &path);
        }
    }),
    ("chroot", Dir::Exit, |st, ev| {
        if ev.res().unwrap_or(-1) >= 0
            && let Some(path) = ev.get(p::chroot_x::PATH)
        {
            st.edit_thread(ev.tid, |t| t.root = join_path(&t.cwd, path));
        }
    }),
    ("setuid", Dir::Exit, |st, ev| st.set_uid(ev, ev.get(p::setuid_x::UID))),
    ("setresuid", Dir::Exit, |st, ev| st.set_uid(ev, ev.get(p::setresuid_x::EUID))),
    ("setreuid", Dir::Exit, |st, ev| st.set_uid(ev, ev.get(p::setreuid_x::EUID))),
    ("setgid", Dir::Exit, |st, ev| st.set_gid(ev, ev.get(p::setgid_x::GID))),
    ("setresgid", Dir::Exit, |st, ev| st.set_gid(ev, ev.get(p::setresgid_x::EGID))),
    ("setregid", Dir::Exit, |st, ev| st.set_gid(ev, ev.get(p::setregid_x::EGID))),
    ("capset", Dir::Exit, |st, ev| {
        if ev.res() == Some(0) {
            st.edit_thread(ev.tid, |t| {
                set_caps(
                    t,
                    ev.get(p::capset_x::CAP_INHERITABLE),
                    ev.get(p::capset_x::CAP_PERMITTED),
                    ev.get(p::capset_x::CAP_EFFECTIVE),
                );
            });
        }
    }),
    ("setsid", Dir::Exit, |st, ev| {
        if let Some(sid) = ev.res().filter(|r| *r > 0) {
            st.edit_thread(ev.tid, |t| t.sid = sid);
        }
    }),
];

/// What the state machine does with one event id: the name and direction of the id's table
/// row (a decoded event carries that row's own name string, so one pointer comparison says the
/// row is the event's) and the handler, if any.
struct ById {
    name: &'static str,
    dir: Dir,
    handler: Option<Handler>,
}

/// What the state machine does with each event id: [`HANDLERS`] for every version of their
/// names and directions, and for exits of the schema's fd table that fix their fd's kind,
/// [`State::on_fixed_fd`].
static BY_ID: LazyLock<Vec<ById>> = LazyLock::new(|| {
    rulec_schema::event_table()
        .iter()
        .map(|def| {
            let listed = HANDLERS.iter().find(|(name, dir, _)| *name == def.name && *dir == def.dir);
            let handler = listed.map(|h| h.2).or_else(|| {
                let fixed = rulec_schema::fd_creation(def.name).is_some_and(|c| c.kind.is_some());
                (def.dir == Dir::Exit && fixed).then_some(State::on_fixed_fd as Handler)
            });
            ById { name: def.name, dir: def.dir, handler }
        })
        .collect()
});

/// Whether the state machine does anything with events of table row `id` besides counting
/// them and seeing their thread ([`State::apply_unread`]): the row has a handler.
pub fn changes_on(id: u16) -> bool {
    BY_ID.get(usize::from(id)).is_some_and(|e| e.handler.is_some())
}

/// The names of the events the state machine changes on (some version or direction has a
/// handler: [`HANDLERS`] and the fd table's fixed-kind creators), sorted: what a live capture
/// must record whatever its rules ask for, or the tables drift from the host's.
pub fn changing_names() -> &'static [&'static str] {
    static NAMES: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
        let mut names: Vec<&'static str> = BY_ID.iter().filter(|e| e.handler.is_some()).map(|e| e.name).collect();
        names.sort_unstable();
        names.dedup();
        names
    });
    &NAMES
}

/// The handler of `ev`, if the state machine handles it: the handler of its table row
/// ([`Event::def`]), none for a generic event (libsinsp's parser has nothing for
/// `PPME_GENERIC_E/X`: their name, `dup` or `setsid` on captures older than those syscalls'
/// dedicated events, must not reach the handlers, which expect the dedicated params).
#[inline]
fn handler_of(ev: &Event) -> Option<Handler> {
    let by_id = &*BY_ID;
    match by_id.get(usize::from(ev.type_id)) {
        // A decoded event: its id's row is its row (what `Event::def` finds first). Most
        // events have no handler and are settled here, without the generic test; a generic
        // event of its own row (id 0 or 1) has none either.
        Some(e) if e.dir == ev.dir && std::ptr::eq(e.name, ev.name) => {
            let handler = e.handler?;
            (!ev.is_generic()).then_some(handler)
        }
        // Built by hand or by the generator, with any id: the row by name.
        _ => {
            if ev.is_generic() {
                return None;
            }
            by_id.get(usize::from(ev.def()?.id))?.handler
        }
    }
}

impl State {
    /// Applies one event (see the module doc for what is visible when).
    pub fn apply(&mut self, ev: &Event) {
        self.flush_deferred();
        self.stats.events += 1;
        self.see_thread(ev.tid, ev.ts, || creates_unknown_thread(ev.name, ev.dir, ev.is_generic(), ev.event_flags()));
        if let Some(handler) = handler_of(ev) {
            handler(self, ev);
        }
    }

    /// Applies an event read no further than its header, of a row no handler has (the
    /// replay's events that no rule looks at either: `capture::replay::WantedTypes`): counted
    /// and its thread seen exactly as [`State::apply`] does, which is all `apply` does with it.
    pub fn apply_unread(&mut self, def: &EventDef, tid: i64, ts: u64) {
        self.flush_deferred();
        self.stats.events += 1;
        self.see_thread(tid, ts, || creates_unknown_thread(def.name, def.dir, false, def.flags));
    }

    /// An event of thread `tid` at `ts`: the thread's last sighting, or, for a thread the table
    /// lacks (tid > 0) and an event that `creates` says may, libsinsp's "fake" entry for a
    /// thread met for the first time (as in capture mode), so that its fds and credentials can
    /// be tracked from here on.
    #[inline(always)]
    fn see_thread(&mut self, tid: i64, ts: u64, creates: impl FnOnce() -> bool) {
        let known = (tid > 0 || self.tids_below_one) && self.threads.touch(tid, ts, &self.names);
        if !known {
            self.stats.unknown_thread_events += 1;
            // Metaevents and idle switches have no thread (tid 0 or -1): counted only.
            if tid > 0 && creates() {
                self.unknown_thread(tid, ts);
            }
        }
    }

    #[inline(never)]
    fn unknown_thread(&mut self, tid: i64, ts: u64) {
        let mut t = ThreadInfo::unknown(tid);
        t.last_seen = ts;
        self.insert_thread(t);
        self.stats.placeholder_threads += 1;
    }

    fn pid_of(&self, tid: i64) -> Option<i64> {
        self.threads.get(&tid).map(|t| t.pid)
    }

    /// Changes thread `tid` through `change` (its derived values follow: [`Thread::edit`]);
    /// `None` when the table has no such thread.
    fn edit_thread<R>(&mut self, tid: i64, change: impl FnOnce(&mut ThreadInfo) -> R) -> Option<R> {
        Some(self.threads.get_mut(&tid)?.edit(&self.names, change))
    }

    /// An exit of the schema's fd table with a fixed kind and name (eventfd, timerfd,
    /// pidfd...): the fd is its `res` or its `fd` parameter, as the row says.
    fn on_fixed_fd(&mut self, ev: &Event) {
        if let Some(c) = rulec_schema::fd_creation(ev.name)
            && let (Some(kind), Some(name)) = (c.kind, c.name)
        {
            let fd = match c.fd {
                FdSource::Res => ev.res(),
                FdSource::FdParam => ev.get_any(any::FD),
            };
            self.simple_fd(ev.tid, fd, ev.get_any(any::FLAGS), kind, name);
        }
    }

    fn on_socketpair(&mut self, ev: &Event) {
        if ev.res().unwrap_or(0) < 0 {
            return;
        }
        let src = ev.get(p::socketpair_x::SOURCE).unwrap_or(0) as u64;
        let peer = ev.get(p::socketpair_x::PEER).unwrap_or(0) as u64;
        for (key, a, b) in [(p::socketpair_x::FD1, src, peer), (p::socketpair_x::FD2, peer, src)] {
            if let Some(fd) = ev.get(key).filter(|f| *f >= 0) {
                let mut f = FdInfo::new(fd, FdKind::UnixSock, format!("{a:x}->{b:x}"));
                f.sock = Some(SockInfo { unix_ptrs: Some((a, b)), ..SockInfo::default() });
                self.add_fd_for(ev.tid, f);
            }
        }
    }

    fn add_fd_for(&mut self, tid: i64, f: FdInfo) {
        if let Some(pid) = self.pid_of(tid) {
            self.insert_fd(pid, f);
        }
    }

    /// An fd of a kind and name the call fixes (eventfd, memfd...): `fd` is its returned fd.
    fn simple_fd(&mut self, tid: i64, fd: Option<i64>, open_flags: Option<i64>, kind: FdKind, name: &str) {
        let Some(fd) = fd.filter(|f| *f >= 0) else { return };
        let mut f = FdInfo::new(fd, kind, name);
        f.open_flags = open_flags.unwrap_or(0) as u32;
        self.add_fd_for(tid, f);
    }

    fn on_dup(&mut self, tid: i64, res: Option<i64>, old: Option<i64>, dup_flags: Option<i64>) {
        if let (Some(new), Some(old)) = (res.filter(|r| *r >= 0), old) {
            let cloexec = dup_flags.is_some_and(|f| f as u32 & flags::PPM_O_CLOEXEC != 0);
            self.dup_fd(tid, old, new, cloexec);
        }
    }

    fn on_pipe(&mut self, ev: &Event, fds: [Option<i64>; 2], ino: Option<i64>, pipe_flags: Option<i64>) {
        if ev.res().unwrap_or(-1) < 0 {
            return;
        }
        for fd in fds.into_iter().flatten().filter(|f| *f >= 0) {
            // libsinsp gives pipe() fds no name (only the inode): `fd.name` is empty, unlike
            // a pipe found in /proc (`pipe:[ino]`, its link text).
            let mut f = FdInfo::new(fd, FdKind::Pipe, String::new());
            f.ino = ino.unwrap_or(0) as u64;
            f.open_flags = pipe_flags.unwrap_or(0) as u32;
            self.add_fd_for(ev.tid, f);
        }
    }

    fn on_accept(&mut self, tid: i64, fd: Option<i64>, tuple: Option<&SockTuple>) {
        if let Some(fd) = fd.filter(|f| *f >= 0) {
            self.on_connected(tid, fd, tuple, None, SockRole::Server, true);
        }
    }

    /// A successful set*uid: the effective uid, unless the call left it unchanged (-1).
    fn set_uid(&mut self, ev: &Event, uid: Option<i64>) {
        if ev.res() == Some(0)
            && let Some(u) = uid.map(|u| u as u32).filter(|u| *u != ThreadInfo::UNSET_ID)
        {
            self.edit_thread(ev.tid, |t| t.uid = u);
        }
    }

    /// A successful set*gid: the effective gid, unless the call left it unchanged (-1).
    fn set_gid(&mut self, ev: &Event, gid: Option<i64>) {
        if ev.res() == Some(0)
            && let Some(g) = gid.map(|g| g as u32).filter(|g| *g != ThreadInfo::UNSET_ID)
        {
            self.edit_thread(ev.tid, |t| t.gid = g);
        }
    }

    fn dup_fd(&mut self, tid: i64, old: i64, new: i64, cloexec: bool) {
        let Some(pid) = self.pid_of(tid) else { return };
        match self.fdtables.get(&pid).and_then(|t| t.get(old)).cloned() {
            Some(mut f) => {
                f.fd = new;
                f.open_flags &= !flags::PPM_O_CLOEXEC;
                if cloexec {
                    f.open_flags |= flags::PPM_O_CLOEXEC;
                }
                self.insert_fd(pid, f);
            }
            None => {
                if let Some(t) = self.fdtables.get_mut(&pid) {
                    t.remove(new);
                }
            }
        }
    }

    fn set_cwd(&mut self, tid: i64, path: &str) {
        let Some(t) = self.threads.get(&tid) else {
            return;
        };
        let pid = t.pid;
        let cwd = join_path(&t.cwd, path);
        for t in self.threads.values_mut().filter(|t| t.pid == pid) {
            t.edit(&self.names, |t| t.set_cwd(cwd.as_str()));
        }
    }

    fn on_open(&mut self, ev: &Event, keys: &OpenKeys) {
        let Some(fd) = ev.get(keys.fd).filter(|f| *f >= 0) else {
            return;
        };
        let Some(t) = self.threads.get(&ev.tid) else {
            return;
        };
        let pid = t.pid;
        let raw = ev.get(keys.path).unwrap_or("");
        let path = if raw.starts_with('/') {
            normalize_path(raw)
        } else if raw.is_empty() {
            String::new()
        } else {
            let dirfd = keys.dirfd.and_then(|k| ev.get(k)).unwrap_or(AT_FDCWD);
            let relative = matches!(ev.value(keys.path), Some(ParamValue::RelPath(_)));
            let base = if dirfd == AT_FDCWD || !relative {
                t.cwd.as_str()
            } else {
                self.fdtables.get(&pid).and_then(|tab| tab.get(dirfd)).map_or("", |f| f.name.as_str())
            };
            join_path(base, raw)
        };
        // creat is open with O_CREAT|O_WRONLY|O_TRUNC.
        let creat = (flags::PPM_O_CREAT | flags::PPM_O_WRONLY | (1 << 8)) as i64;
        let fl = match keys.flags {
            Some(k) => ev.get(k).unwrap_or(0),
            None => creat,
        } as u32;
        let kind = if fl & flags::PPM_O_DIRECTORY != 0 { FdKind::Directory } else { FdKind::File };
        let mut f = FdInfo::file(fd, path, fl);
        f.kind = kind;
        f.dev = ev.get(keys.dev).unwrap_or(0) as u32;
        f.ino = ev.get(keys.ino).unwrap_or(0) as u64;
        self.insert_fd(pid, f);
    }

    fn on_socket(&mut self, ev: &Event) {
        let Some(fd) = ev.get(p::socket_x::FD).or_else(|| ev.res()).filter(|f| *f >= 0) else {
            return;
        };
        let domain = ev.get(p::socket_x::DOMAIN).unwrap_or(0);
        let kind = match u8::try_from(domain).unwrap_or(0) {
            flags::PPM_AF_INET => FdKind::Ipv4Sock,
            flags::PPM_AF_INET6 => FdKind::Ipv6Sock,
            flags::PPM_AF_UNIX => FdKind::UnixSock,
            flags::PPM_AF_NETLINK => FdKind::NetlinkSock,
            _ => FdKind::OtherSock,
        };
        let l4 = match ev.get(p::socket_x::TYPE).unwrap_or(0) & 0xf {
            1 => L4Proto::Tcp,
            2 => L4Proto::Udp,
            3 => L4Proto::Raw,
            _ => L4Proto::Unknown,
        };
        let mut f = FdInfo::new(fd, kind, "");
        f.open_flags = ev.get(p::socket_x::FLAGS).unwrap_or(0) as u32;
        f.sock = Some(SockInfo { l4proto: l4, ..SockInfo::default() });
        self.add_fd_for(ev.tid, f);
    }

    /// A socket connected (connect: `addr` is its destination) or accepted (a new fd).
    fn on_connected(
        &mut self,
        tid: i64,
        fd: i64,
        tuple: Option<&SockTuple>,
        addr: Option<&SockAddr>,
        role: SockRole,
        connected: bool,
    ) {
        let Some(pid) = self.pid_of(tid) else {
            return;
        };
        let prev = self.fdtables.get(&pid).and_then(|t| t.get(fd)).cloned();
        let mut f = match prev {
            // accept creates a new fd; connect updates the socket's fd.
            Some(f) if role == SockRole::Client => f,
            _ => FdInfo::new(fd, FdKind::OtherSock, ""),
        };
        let mut s = f.sock.take().unwrap_or_default();
        s.role = role;
        s.connected = connected;
        let ends = match tuple {
            Some(SockTuple::V4 { sip, sport, dip, dport }) => {
                Some(((IpAddr::V4(*sip), *sport), (IpAddr::V4(*dip), *dport)))
            }
            Some(SockTuple::V6 { sip, sport, dip, dport }) => {
                Some(((IpAddr::V6(*sip), *sport), (IpAddr::V6(*dip), *dport)))
            }
            _ => None,
        };
        if let Some(((cip, cport), (sip, sport))) = ends {
            f.kind = if cip.is_ipv6() { FdKind::Ipv6Sock } else { FdKind::Ipv4Sock };
            (s.cip, s.cport, s.sip, s.sport) = (Some(cip), cport, Some(sip), sport);
            if s.l4proto == L4Proto::Unknown {
                s.l4proto = L4Proto::Tcp;
            }
        }
        if let Some(SockTuple::Unix { src, dst, path }) = tuple {
            f.kind = FdKind::UnixSock;
            s.unix_ptrs = Some((*src, *dst));
            s.unix_path = Some(path.clone());
        }
        if let Some(t) = tuple
            && !matches!(t, SockTuple::Other(..))
        {
            f.name = render_tuple(t);
        } else if role == SockRole::Client
            && let Some(a) = addr
        {
            // No tuple (e.g. EINPROGRESS on an old driver): the destination address.
            set_server_addr(&mut f, &mut s, a);
        }
        f.sock = Some(s);
        self.insert_fd(pid, f);
    }

    /// A sendto, recvfrom, sendmsg or recvmsg on a socket fd the state knows: the event's tuple
    /// becomes the fd's addresses and name unless the fd is a named TCP socket (whose connection
    /// cannot change) or already has this connection, in either direction;
    /// an unknown protocol is then UDP, and an unknown role is guessed from the direction
    /// (`role`: Client for a send, Server for a receive).
    fn on_datagram(&mut self, ev: &Event, fd: Option<i64>, tuple: Option<&SockTuple>, role: SockRole) {
        let (Some(fd), Some(tuple)) = (fd, tuple) else { return };
        if ev.res().unwrap_or(-1) < 0 {
            return;
        }
        let Some(pid) = self.pid_of(ev.tid) else { return };
        let Some(f) = self.fd_mut(pid, fd) else { return };
        let s = f.sock.get_or_insert_with(SockInfo::default);
        if !f.name.is_empty() && s.l4proto == L4Proto::Tcp {
            return;
        }
        let (kind, c, cport, sv, sport) = match tuple {
            SockTuple::V4 { sip, sport, dip, dport } => {
                (FdKind::Ipv4Sock, IpAddr::V4(*sip), *sport, IpAddr::V4(*dip), *dport)
            }
            SockTuple::V6 { sip, sport, dip, dport } => {
                (FdKind::Ipv6Sock, IpAddr::V6(*sip), *sport, IpAddr::V6(*dip), *dport)
            }
            _ => return,
        };
        // The fd's own connection seen from either end (a reply on a connected socket) stays
        // as it is.
        let same = |a: (Option<IpAddr>, u16, Option<IpAddr>, u16)| a == (Some(c), cport, Some(sv), sport);
        if same((s.cip, s.cport, s.sip, s.sport)) || same((s.sip, s.sport, s.cip, s.cport)) {
            return;
        }
        f.kind = kind;
        s.cip = Some(c);
        s.cport = cport;
        s.sip = Some(sv);
        s.sport = sport;
        if s.l4proto == L4Proto::Unknown {
            s.l4proto = L4Proto::Udp;
        }
        if s.role == SockRole::None {
            s.role = role;
        }
        f.name = render_tuple(tuple);
    }

    fn on_bind(&mut self, tid: i64, fd: i64, addr: &SockAddr) {
        let Some(pid) = self.pid_of(tid) else { return };
        let mut f = self
            .fdtables
            .get(&pid)
            .and_then(|t| t.get(fd))
            .cloned()
            .unwrap_or_else(|| FdInfo::new(fd, FdKind::OtherSock, ""));
        let mut s = f.sock.take().unwrap_or_default();
        s.role = SockRole::Server;
        set_server_addr(&mut f, &mut s, addr);
        if let (Some(ip), SockAddr::V4(..) | SockAddr::V6(..)) = (s.sip, addr) {
            f.name = format!("{ip}:{}", s.sport);
        }
        f.sock = Some(s);
        self.insert_fd(pid, f);
    }
}

/// Whether libsinsp adds an entry for the unknown thread of `ev` (`sinsp_parser::reset` looks
/// the thread up "querying the OS", which in capture mode means the fake entry): not for clone
/// exits, which build the thread themselves, nor for context switches (often kernel threads
/// about to go away), nor for events flagged `EF_SKIPPARSERESET` (procinfo, scapevent, drops,
/// page faults...), which are not attributed to a thread.
fn creates_unknown_thread(name: &str, dir: Dir, generic: bool, flags: rulec_schema::EventFlags) -> bool {
    if dir == Direction::Exit && matches!(name, "clone" | "clone3" | "fork" | "vfork") && !generic {
        return false;
    }
    if name == "switch" {
        return false;
    }
    !flags.contains(rulec_schema::EventFlags::SKIPPARSERESET)
}

impl State {
    /// A user metaevent: the entry is built only when it is new or changed (a capture's user
    /// list, replayed, repeats entries the table already has; an unchanged entry is recognised
    /// on the record's bytes, [`text_is`], and a record that changed nothing is settled by one
    /// look-up the next time, `repeats.rs`).
    fn on_user_added(&mut self, ev: &Event) {
        let generation = self.names.generation();
        if self.repeats.seen(ev, generation) {
            return;
        }
        let cid = container_of(ev);
        let (uid, gid) = (ev.get_any(any::UID).unwrap_or(0) as u32, ev.get_any(any::GID).unwrap_or(0) as u32);
        let same = |u: &UserInfo| {
            u.gid == gid
                && text_is(ev, any::NAME, &u.name)
                && text_is(ev, any::HOME, &u.home)
                && text_is(ev, any::SHELL, &u.shell)
        };
        if self.user(cid, uid).is_some_and(same) {
            self.repeats.remember(ev, generation);
            return;
        }
        let name = ev.get_any(any::NAME).unwrap_or("");
        let home = ev.get_any(any::HOME).unwrap_or("");
        let shell = ev.get_any(any::SHELL).unwrap_or("");
        let u = UserInfo { uid, gid, name: name.to_string(), home: home.to_string(), shell: shell.to_string() };
        self.add_user(cid, u);
    }

    /// A group metaevent, built only when new or changed (as [`State::on_user_added`]).
    fn on_group_added(&mut self, ev: &Event) {
        let generation = self.names.generation();
        if self.repeats.seen(ev, generation) {
            return;
        }
        let cid = container_of(ev);
        let gid = ev.get_any(any::GID).unwrap_or(0) as u32;
        if self.group(cid, gid).is_some_and(|g| text_is(ev, any::NAME, &g.name)) {
            self.repeats.remember(ev, generation);
            return;
        }
        let name = ev.get_any(any::NAME).unwrap_or("");
        self.add_group(cid, GroupInfo { gid, name: name.to_string() });
    }
}

/// The container id of a user or group event: empty (the host's table) for most.
fn container_of(ev: &Event) -> &str {
    if text_is(ev, any::CONTAINER_ID, "") { "" } else { ev.get_any(any::CONTAINER_ID).unwrap_or("") }
}

/// Whether text parameter `key` of `ev` reads as `text` (an absent or missing one as empty),
/// decided without reading the parameter as a string when the event holds its record's bytes
/// ([`Event::raw_any`]). A read gives the bytes up to their first NUL,
/// as UTF-8: those bytes equal to `text`'s (valid UTF-8, being a `str`'s) are the text a read
/// gives. Other bytes read as another text, or, not being UTF-8, as one with replacement
/// characters, which a caller that then builds its entry from the read values finds equal again
/// (an `IdTable::put` of an equal entry changes nothing). Saves the UTF-8 check and the search
/// for the NUL of every string of the user and group events a capture's lists repeat.
// Inlined into its two handlers: their lookups of the event's row fold together (callgrind:
// a group event 337 -> 308 instructions).
#[inline(always)]
fn text_is(ev: &Event, key: AnyKey<kind::Str>, text: &str) -> bool {
    if let Some((ty, b)) = ev.raw_any(key)
        && ParamValue::is_text(ty)
    {
        // The bytes up to the first NUL are `text` when they start with it (and `text` has no
        // NUL of its own), and end or go on with a NUL right after it.
        let t = text.as_bytes();
        return b.get(..t.len()).is_some_and(|head| same_text(head, t)) && b.get(t.len()).is_none_or(|c| *c == 0);
    }
    ev.get_any(key).unwrap_or("") == text
}

/// Whether `a` and `b` (of one length) are equal and without a NUL: eight bytes at a time (the
/// texts of user and group entries are short: a call to a comparison and a search costs more).
fn same_text(a: &[u8], b: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let (mut a8, mut b8) = (a.chunks_exact(8), b.chunks_exact(8));
    for (x, y) in (&mut a8).zip(&mut b8) {
        let (Ok(x), Ok(y)) = (<[u8; 8]>::try_from(x), <[u8; 8]>::try_from(y)) else { return false };
        let (x, y) = (u64::from_ne_bytes(x), u64::from_ne_bytes(y));
        // A zero byte in `y` leaves its high bit set here (the classic test, exact as a whole).
        if x != y || y.wrapping_sub(ONES) & !y & HIGHS != 0 {
            return false;
        }
    }
    let (ra, rb) = (a8.remainder(), b8.remainder());
    ra.len() == rb.len() && ra.iter().zip(rb).all(|(x, y)| x == y && *y != 0)
}

/// Points socket `f` (its details `s`) at `addr` as its server end: a bind's address, or a
/// connect's destination when the event has no tuple. The kind follows the address family; a
/// unix socket is named by its path.
fn set_server_addr(f: &mut FdInfo, s: &mut SockInfo, addr: &SockAddr) {
    let (kind, ip, port) = match addr {
        SockAddr::V4(ip, port) => (FdKind::Ipv4Sock, IpAddr::V4(*ip), *port),
        SockAddr::V6(ip, port) => (FdKind::Ipv6Sock, IpAddr::V6(*ip), *port),
        SockAddr::Unix(path) => {
            f.kind = FdKind::UnixSock;
            s.unix_path = Some(path.clone());
            f.name = path.clone();
            return;
        }
        SockAddr::Other(..) => return,
    };
    f.kind = kind;
    (s.sip, s.sport) = (Some(ip), port);
}

/// Sets the capabilities an event carries (capset, execve exits).
fn set_caps(t: &mut ThreadInfo, inheritable: Option<i64>, permitted: Option<i64>, effective: Option<i64>) {
    if let Some(v) = inheritable {
        t.cap_inheritable = v as u64;
    }
    if let Some(v) = permitted {
        t.cap_permitted = v as u64;
    }
    if let Some(v) = effective {
        t.cap_effective = v as u64;
    }
}

#[cfg(test)]
mod tests;
