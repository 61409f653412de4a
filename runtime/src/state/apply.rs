//! Applying one event to the state ([`State::apply`]): the per-syscall handlers (clone, execve,
//! open, close, dup, sockets, chdir, credentials...) and the helpers that read an event's
//! process fields. Handlers only change the tables through `State`'s own methods and fields.
//!
//! Handlers read parameters through the schema's typed keys (`ev.get(open_x::FD)`), never by
//! name: a parameter renamed or removed in the event table fails to compile here. A handler
//! serving several events takes the keys of the one at hand (`ProcKeys`, `OpenKeys`).

use rulec_schema::params::{self as p, ParamKey, kind};

use super::*;

/// The process fields of clone-like and execve-like exits (`fill_proc_from_event`); the three
/// the execve exits lack are optional.
struct ProcKeys {
    exe: ParamKey<kind::Str>,
    args: ParamKey<kind::Bytes>,
    comm: ParamKey<kind::Str>,
    cwd: ParamKey<kind::Str>,
    fdlimit: ParamKey<kind::Int>,
    cgroups: ParamKey<kind::Bytes>,
    uid: ParamKey<kind::Int>,
    gid: ParamKey<kind::Int>,
    vm_size: ParamKey<kind::Int>,
    vm_rss: ParamKey<kind::Int>,
    vm_swap: ParamKey<kind::Int>,
    vtid: Option<ParamKey<kind::Int>>,
    vpid: Option<ParamKey<kind::Int>>,
    pidns_init_start_ts: Option<ParamKey<kind::Int>>,
}

/// The [`ProcKeys`] of an event module: `proc_keys!(clone_x)` (all of them) or
/// `proc_keys!(execve_x, no_ns)` (without the pid-namespace fields).
macro_rules! proc_keys {
    ($m:ident) => {
        ProcKeys {
            vtid: Some(p::$m::VTID),
            vpid: Some(p::$m::VPID),
            pidns_init_start_ts: Some(p::$m::PIDNS_INIT_START_TS),
            ..proc_keys!($m, no_ns)
        }
    };
    ($m:ident, no_ns) => {
        ProcKeys {
            exe: p::$m::EXE,
            args: p::$m::ARGS,
            comm: p::$m::COMM,
            cwd: p::$m::CWD,
            fdlimit: p::$m::FDLIMIT,
            cgroups: p::$m::CGROUPS,
            uid: p::$m::UID,
            gid: p::$m::GID,
            vm_size: p::$m::VM_SIZE,
            vm_rss: p::$m::VM_RSS,
            vm_swap: p::$m::VM_SWAP,
            vtid: None,
            vpid: None,
            pidns_init_start_ts: None,
        }
    };
}

/// The clone-like exits (one layout for the four).
struct CloneKeys {
    proc: ProcKeys,
    res: ParamKey<kind::Int>,
    flags: ParamKey<kind::Int>,
    pid: ParamKey<kind::Int>,
    ptid: ParamKey<kind::Int>,
}

macro_rules! clone_keys {
    ($m:ident) => {
        CloneKeys { proc: proc_keys!($m), res: p::$m::RES, flags: p::$m::FLAGS, pid: p::$m::PID, ptid: p::$m::PTID }
    };
}

/// The execve-like exits; `filename` is the enter event's (merged into the exit by the replay)
/// or the exit's own in newer layouts; execveat has none.
struct ExecKeys {
    proc: ProcKeys,
    pid: ParamKey<kind::Int>,
    ptid: ParamKey<kind::Int>,
    env: ParamKey<kind::Bytes>,
    tty: ParamKey<kind::Int>,
    vpgid: ParamKey<kind::Int>,
    pgid: ParamKey<kind::Int>,
    loginuid: ParamKey<kind::Int>,
    flags: ParamKey<kind::Int>,
    cap_inheritable: ParamKey<kind::Int>,
    cap_permitted: ParamKey<kind::Int>,
    cap_effective: ParamKey<kind::Int>,
    exe_ino: ParamKey<kind::Int>,
    exe_ino_ctime: ParamKey<kind::Int>,
    exe_ino_mtime: ParamKey<kind::Int>,
    trusted_exepath: ParamKey<kind::Str>,
    filename: Option<ParamKey<kind::Str>>,
}

macro_rules! exec_keys {
    ($m:ident, $filename:expr) => {
        ExecKeys {
            proc: proc_keys!($m, no_ns),
            pid: p::$m::PID,
            ptid: p::$m::PTID,
            env: p::$m::ENV,
            tty: p::$m::TTY,
            vpgid: p::$m::VPGID,
            pgid: p::$m::PGID,
            loginuid: p::$m::LOGINUID,
            flags: p::$m::FLAGS,
            cap_inheritable: p::$m::CAP_INHERITABLE,
            cap_permitted: p::$m::CAP_PERMITTED,
            cap_effective: p::$m::CAP_EFFECTIVE,
            exe_ino: p::$m::EXE_INO,
            exe_ino_ctime: p::$m::EXE_INO_CTIME,
            exe_ino_mtime: p::$m::EXE_INO_MTIME,
            trusted_exepath: p::$m::TRUSTED_EXEPATH,
            filename: $filename,
        }
    };
}

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

/// The user and group metaevents (added and deleted share a layout).
struct UserKeys {
    uid: ParamKey<kind::Int>,
    gid: ParamKey<kind::Int>,
    name: ParamKey<kind::Str>,
    home: ParamKey<kind::Str>,
    shell: ParamKey<kind::Str>,
    container_id: ParamKey<kind::Str>,
}

macro_rules! user_keys {
    ($m:ident) => {
        UserKeys {
            uid: p::$m::UID,
            gid: p::$m::GID,
            name: p::$m::NAME,
            home: p::$m::HOME,
            shell: p::$m::SHELL,
            container_id: p::$m::CONTAINER_ID,
        }
    };
}

impl State {
    /// Applies one event (see the module doc for what is visible when).
    pub fn apply(&mut self, ev: &Event) {
        self.flush_deferred();
        self.stats.events += 1;
        match self.threads.get_mut(&ev.tid) {
            Some(t) => t.last_seen = ev.ts,
            None => {
                self.stats.unknown_thread_events += 1;
                // Like libsinsp in capture mode, add libsinsp's "fake" entry for a thread met
                // for the first time, so its fds and credentials can be tracked from here on.
                if ev.tid > 0 && creates_unknown_thread(ev) {
                    let mut t = ThreadInfo::unknown(ev.tid);
                    t.last_seen = ev.ts;
                    self.insert_thread(t);
                    self.stats.placeholder_threads += 1;
                }
            }
        }
        // libsinsp's parser has nothing for generic events (`PPME_GENERIC_E/X`): their name
        // (`dup`, `setsid`... on captures older than those syscalls' dedicated events) must not
        // reach the name-based dispatch below, whose handlers expect the dedicated params.
        if ev.is_generic() {
            return;
        }
        match ev.dir {
            Direction::Enter => self.apply_enter(ev),
            Direction::Exit => self.apply_exit(ev),
        }
    }

    fn apply_enter(&mut self, ev: &Event) {
        match ev.name {
            "procexit" => self.deferred.push(Deferred::RemoveThread { tid: ev.tid }),
            "useradded" => {
                let (cid, u) = user_of(ev, &user_keys!(useradded_e));
                self.add_user(&cid, u);
            }
            "userdeleted" => {
                let (cid, u) = user_of(ev, &user_keys!(userdeleted_e));
                self.users.remove(&(cid, u.uid));
            }
            "groupadded" => {
                let g = GroupInfo {
                    gid: ev.get(p::groupadded_e::GID).unwrap_or(0) as u32,
                    name: ev.get(p::groupadded_e::NAME).unwrap_or("").to_string(),
                };
                self.add_group(ev.get(p::groupadded_e::CONTAINER_ID).unwrap_or(""), g);
            }
            "groupdeleted" => {
                let gid = ev.get(p::groupdeleted_e::GID).unwrap_or(0) as u32;
                let cid = ev.get(p::groupdeleted_e::CONTAINER_ID).unwrap_or("").to_string();
                self.groups.remove(&(cid, gid));
            }
            _ => {}
        }
    }

    fn pid_of(&self, tid: i64) -> Option<i64> {
        self.threads.get(&tid).map(|t| t.pid)
    }

    fn apply_exit(&mut self, ev: &Event) {
        let res = ev.res();
        match ev.name {
            "clone" => self.on_clone(ev, &clone_keys!(clone_x)),
            "clone3" => self.on_clone(ev, &clone_keys!(clone3_x)),
            "fork" => self.on_clone(ev, &clone_keys!(fork_x)),
            "vfork" => self.on_clone(ev, &clone_keys!(vfork_x)),
            "execve" if res.unwrap_or(0) == 0 => {
                self.on_execve(ev, &exec_keys!(execve_x, Some(p::execve_x::FILENAME)));
            }
            "execveat" if res.unwrap_or(0) == 0 => self.on_execve(ev, &exec_keys!(execveat_x, None)),
            "open" => self.on_open(ev, &open_keys!(open_x, NAME, None, Some(p::open_x::FLAGS))),
            "openat" => {
                self.on_open(ev, &open_keys!(openat_x, NAME, Some(p::openat_x::DIRFD), Some(p::openat_x::FLAGS)));
            }
            "openat2" => {
                self.on_open(ev, &open_keys!(openat2_x, NAME, Some(p::openat2_x::DIRFD), Some(p::openat2_x::FLAGS)));
            }
            "creat" => self.on_open(ev, &open_keys!(creat_x, NAME, None, None)),
            "open_by_handle_at" => {
                self.on_open(ev, &open_keys!(open_by_handle_at_x, PATH, None, Some(p::open_by_handle_at_x::FLAGS)));
            }
            "close" => {
                if res.unwrap_or(0) >= 0
                    && let (Some(fd), Some(pid)) = (ev.get(p::close_x::FD), self.pid_of(ev.tid))
                {
                    self.deferred.push(Deferred::CloseFd { pid, fd });
                }
            }
            "dup" => self.on_dup(ev.tid, res, ev.get(p::dup_x::OLDFD), None),
            "dup2" => self.on_dup(ev.tid, res, ev.get(p::dup2_x::OLDFD), None),
            "dup3" => self.on_dup(ev.tid, res, ev.get(p::dup3_x::OLDFD), ev.get(p::dup3_x::FLAGS)),
            "fcntl" => {
                let cmd = ev.get(p::fcntl_x::CMD);
                if matches!(cmd, Some(flags::PPM_FCNTL_F_DUPFD | flags::PPM_FCNTL_F_DUPFD_CLOEXEC))
                    && let (Some(new), Some(old)) = (res.filter(|r| *r >= 0), ev.get(p::fcntl_x::FD))
                {
                    self.dup_fd(ev.tid, old, new, cmd == Some(flags::PPM_FCNTL_F_DUPFD_CLOEXEC));
                }
            }
            "socket" => self.on_socket(ev),
            "socketpair" if res.unwrap_or(0) >= 0 => {
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
            "connect" => {
                if let Some(r) = res
                    && (r >= 0 || r == EINPROGRESS)
                    && let Some(fd) = ev.get(p::connect_x::FD)
                {
                    let (tuple, addr) = (ev.get(p::connect_x::TUPLE), ev.get(p::connect_x::ADDR));
                    self.on_connected(ev.tid, fd, tuple, addr, SockRole::Client, r >= 0);
                }
            }
            // A datagram's tuple names the fd when it has no name yet or is not TCP (an
            // unconnected UDP socket), as libsinsp's `update_fd` does.
            "sendto" if res.unwrap_or(-1) >= 0 => {
                if let (Some(fd), Some(t)) = (ev.get(p::sendto_x::FD), ev.get(p::sendto_x::TUPLE)) {
                    self.on_datagram(ev.tid, fd, t, SockRole::Client);
                }
            }
            "recvfrom" if res.unwrap_or(-1) >= 0 => {
                if let (Some(fd), Some(t)) = (ev.get(p::recvfrom_x::FD), ev.get(p::recvfrom_x::TUPLE)) {
                    self.on_datagram(ev.tid, fd, t, SockRole::Server);
                }
            }
            "sendmsg" if res.unwrap_or(-1) >= 0 => {
                if let (Some(fd), Some(t)) = (ev.get(p::sendmsg_x::FD), ev.get(p::sendmsg_x::TUPLE)) {
                    self.on_datagram(ev.tid, fd, t, SockRole::Client);
                }
            }
            "recvmsg" if res.unwrap_or(-1) >= 0 => {
                if let (Some(fd), Some(t)) = (ev.get(p::recvmsg_x::FD), ev.get(p::recvmsg_x::TUPLE)) {
                    self.on_datagram(ev.tid, fd, t, SockRole::Server);
                }
            }
            "accept" => self.on_accept(ev.tid, ev.get(p::accept_x::FD).or(res), ev.get(p::accept_x::TUPLE)),
            "accept4" => self.on_accept(ev.tid, ev.get(p::accept4_x::FD).or(res), ev.get(p::accept4_x::TUPLE)),
            "bind" => {
                if res.unwrap_or(-1) >= 0
                    && let (Some(fd), Some(addr)) = (ev.get(p::bind_x::FD), ev.get(p::bind_x::ADDR))
                {
                    self.on_bind(ev.tid, fd, addr);
                }
            }
            "listen" => {
                if res.unwrap_or(-1) >= 0
                    && let (Some(fd), Some(pid)) = (ev.get(p::listen_x::FD), self.pid_of(ev.tid))
                    && let Some(f) = self.fd_mut(pid, fd)
                {
                    f.sock.get_or_insert_with(SockInfo::default).role = SockRole::Server;
                }
            }
            "pipe" if res.unwrap_or(-1) >= 0 => {
                let fds = [ev.get(p::pipe_x::FD1), ev.get(p::pipe_x::FD2)];
                self.on_pipe(ev.tid, fds, ev.get(p::pipe_x::INO), None);
            }
            "pipe2" if res.unwrap_or(-1) >= 0 => {
                let fds = [ev.get(p::pipe2_x::FD1), ev.get(p::pipe2_x::FD2)];
                self.on_pipe(ev.tid, fds, ev.get(p::pipe2_x::INO), ev.get(p::pipe2_x::FLAGS));
            }
            "memfd_create" => {
                let name = format!("memfd:{}", ev.get(p::memfd_create_x::NAME).unwrap_or(""));
                let fd = ev.get(p::memfd_create_x::FD);
                self.simple_fd(ev.tid, fd, ev.get(p::memfd_create_x::FLAGS), FdKind::Memfd, &name);
            }
            "chdir" => {
                if res.unwrap_or(-1) >= 0
                    && let Some(path) = ev.get(p::chdir_x::PATH)
                {
                    let path = path.to_string();
                    self.set_cwd(ev.tid, &path);
                }
            }
            "fchdir" => {
                if res.unwrap_or(-1) >= 0
                    && let Some(fd) = ev.get(p::fchdir_x::FD)
                    && let Some(f) = self.fd(ev.tid, fd)
                {
                    let path = f.name.clone();
                    self.set_cwd(ev.tid, &path);
                }
            }
            "chroot" => {
                if res.unwrap_or(-1) >= 0
                    && let Some(path) = ev.get(p::chroot_x::PATH).map(str::to_string)
                    && let Some(t) = self.threads.get_mut(&ev.tid)
                {
                    t.root = join_path(&t.cwd, &path);
                }
            }
            "setuid" if res == Some(0) => self.set_uid(ev.tid, ev.get(p::setuid_x::UID)),
            "setresuid" if res == Some(0) => self.set_uid(ev.tid, ev.get(p::setresuid_x::EUID)),
            "setreuid" if res == Some(0) => self.set_uid(ev.tid, ev.get(p::setreuid_x::EUID)),
            "setgid" if res == Some(0) => self.set_gid(ev.tid, ev.get(p::setgid_x::GID)),
            "setresgid" if res == Some(0) => self.set_gid(ev.tid, ev.get(p::setresgid_x::EGID)),
            "setregid" if res == Some(0) => self.set_gid(ev.tid, ev.get(p::setregid_x::EGID)),
            "capset" => {
                if res == Some(0)
                    && let Some(t) = self.threads.get_mut(&ev.tid)
                {
                    if let Some(v) = ev.get(p::capset_x::CAP_INHERITABLE) {
                        t.cap_inheritable = v as u64;
                    }
                    if let Some(v) = ev.get(p::capset_x::CAP_PERMITTED) {
                        t.cap_permitted = v as u64;
                    }
                    if let Some(v) = ev.get(p::capset_x::CAP_EFFECTIVE) {
                        t.cap_effective = v as u64;
                    }
                }
            }
            "setsid" => {
                if let Some(sid) = res.filter(|r| *r > 0)
                    && let Some(t) = self.threads.get_mut(&ev.tid)
                {
                    t.sid = sid;
                }
            }
            // Calls creating an fd of a fixed kind and name (eventfd, timerfd, pidfd...): the
            // schema's fd table says which, and where the fd is.
            _ => {
                if let Some(c) = rulec_schema::fd_creation(ev.name)
                    && let (Some(kind), Some(name)) = (c.kind, c.name)
                {
                    let fd = match c.fd {
                        rulec_schema::FdSource::Res => res,
                        rulec_schema::FdSource::FdParam => ev.get_any(p::any::FD),
                    };
                    self.simple_fd(ev.tid, fd, ev.get_any(p::any::FLAGS), kind, name);
                }
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

    fn on_pipe(&mut self, tid: i64, fds: [Option<i64>; 2], ino: Option<i64>, pipe_flags: Option<i64>) {
        for fd in fds.into_iter().flatten().filter(|f| *f >= 0) {
            // libsinsp gives pipe() fds no name (only the inode): `fd.name` is empty, unlike
            // a pipe found in /proc (`pipe:[ino]`, its link text).
            let mut f = FdInfo::new(fd, FdKind::Pipe, String::new());
            f.ino = ino.unwrap_or(0) as u64;
            f.open_flags = pipe_flags.unwrap_or(0) as u32;
            self.add_fd_for(tid, f);
        }
    }

    fn on_accept(&mut self, tid: i64, fd: Option<i64>, tuple: Option<&SockTuple>) {
        if let Some(fd) = fd.filter(|f| *f >= 0) {
            self.on_connected(tid, fd, tuple, None, SockRole::Server, true);
        }
    }

    fn set_uid(&mut self, tid: i64, uid: Option<i64>) {
        if let Some(u) = uid.map(|u| u as u32).filter(|u| *u != u32::MAX)
            && let Some(t) = self.threads.get_mut(&tid)
        {
            t.uid = u;
        }
    }

    fn set_gid(&mut self, tid: i64, gid: Option<i64>) {
        if let Some(g) = gid.map(|g| g as u32).filter(|g| *g != u32::MAX)
            && let Some(t) = self.threads.get_mut(&tid)
        {
            t.gid = g;
        }
    }

    fn dup_fd(&mut self, tid: i64, old: i64, new: i64, cloexec: bool) {
        let Some(pid) = self.pid_of(tid) else { return };
        match self.fdtables.get(&pid).and_then(|t| t.fds.get(&old)).cloned() {
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
                    t.fds.remove(&new);
                }
            }
        }
    }

    fn set_cwd(&mut self, tid: i64, path: &str) {
        let Some(t) = self.threads.get(&tid) else {
            return;
        };
        let pid = t.pid;
        let cwd = with_slash(join_path(&t.cwd, path));
        for t in self.threads.values_mut().filter(|t| t.pid == pid) {
            t.cwd = cwd.clone();
        }
    }

    fn on_open(&mut self, ev: &Event, keys: &OpenKeys) {
        let Some(fd) = ev.get(keys.fd).filter(|f| *f >= 0) else {
            return;
        };
        let Some(t) = self.threads.get(&ev.tid) else {
            return;
        };
        let raw = ev.get(keys.path).unwrap_or("");
        let path = if raw.starts_with('/') {
            normalize_path(raw)
        } else {
            let dirfd = keys.dirfd.and_then(|k| ev.get(k)).unwrap_or(AT_FDCWD);
            let relative = matches!(ev.value(keys.path), Some(ParamValue::RelPath(_)));
            let base = if dirfd == AT_FDCWD || !relative {
                t.cwd.clone()
            } else {
                self.fd(ev.tid, dirfd).map(|f| f.name.clone()).unwrap_or_default()
            };
            if raw.is_empty() { raw.to_string() } else { join_path(&base, raw) }
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
        self.add_fd_for(ev.tid, f);
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
        let prev = self.fdtables.get(&pid).and_then(|t| t.fds.get(&fd)).cloned();
        let mut f = match prev {
            // accept creates a new fd; connect updates the socket's fd.
            Some(f) if role == SockRole::Client => f,
            _ => FdInfo::new(fd, FdKind::OtherSock, ""),
        };
        let mut s = f.sock.take().unwrap_or_default();
        s.role = role;
        s.connected = connected;
        match tuple {
            Some(SockTuple::V4 { sip, sport, dip, dport }) => {
                f.kind = FdKind::Ipv4Sock;
                s.cip = Some(IpAddr::V4(*sip));
                s.cport = *sport;
                s.sip = Some(IpAddr::V4(*dip));
                s.sport = *dport;
                if s.l4proto == L4Proto::Unknown {
                    s.l4proto = L4Proto::Tcp;
                }
            }
            Some(SockTuple::V6 { sip, sport, dip, dport }) => {
                f.kind = FdKind::Ipv6Sock;
                s.cip = Some(IpAddr::V6(*sip));
                s.cport = *sport;
                s.sip = Some(IpAddr::V6(*dip));
                s.sport = *dport;
                if s.l4proto == L4Proto::Unknown {
                    s.l4proto = L4Proto::Tcp;
                }
            }
            Some(SockTuple::Unix { src, dst, path }) => {
                f.kind = FdKind::UnixSock;
                s.unix_ptrs = Some((*src, *dst));
                s.unix_path = Some(path.clone());
            }
            _ => {}
        }
        if let Some(t) = tuple
            && !matches!(t, SockTuple::Other(..))
        {
            f.name = render_tuple(t);
        } else if role == SockRole::Client
            && let Some(a) = addr
        {
            // No tuple (e.g. EINPROGRESS on an old driver): name from the destination address.
            match a {
                SockAddr::V4(ip, p) => {
                    f.kind = FdKind::Ipv4Sock;
                    s.sip = Some(IpAddr::V4(*ip));
                    s.sport = *p;
                }
                SockAddr::V6(ip, p) => {
                    f.kind = FdKind::Ipv6Sock;
                    s.sip = Some(IpAddr::V6(*ip));
                    s.sport = *p;
                }
                SockAddr::Unix(path) => {
                    f.kind = FdKind::UnixSock;
                    s.unix_path = Some(path.clone());
                    f.name = path.clone();
                }
                SockAddr::Other(..) => {}
            }
        }
        f.sock = Some(s);
        self.insert_fd(pid, f);
    }

    /// A sendto, recvfrom, sendmsg or recvmsg on a socket fd the state knows: the event's tuple
    /// becomes the fd's addresses and name unless the fd is a named TCP socket (whose connection
    /// cannot change) or already has this connection, in either direction;
    /// an unknown protocol is then UDP, and an unknown role is guessed from the direction
    /// (`role`: Client for a send, Server for a receive).
    fn on_datagram(&mut self, tid: i64, fd: i64, tuple: &SockTuple, role: SockRole) {
        let Some(pid) = self.pid_of(tid) else { return };
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
            .and_then(|t| t.fds.get(&fd))
            .cloned()
            .unwrap_or_else(|| FdInfo::new(fd, FdKind::OtherSock, ""));
        let mut s = f.sock.take().unwrap_or_default();
        s.role = SockRole::Server;
        match addr {
            SockAddr::V4(ip, p) => {
                f.kind = FdKind::Ipv4Sock;
                s.sip = Some(IpAddr::V4(*ip));
                s.sport = *p;
                f.name = format!("{ip}:{p}");
            }
            SockAddr::V6(ip, p) => {
                f.kind = FdKind::Ipv6Sock;
                s.sip = Some(IpAddr::V6(*ip));
                s.sport = *p;
                f.name = format!("{ip}:{p}");
            }
            SockAddr::Unix(path) => {
                f.kind = FdKind::UnixSock;
                s.unix_path = Some(path.clone());
                f.name = path.clone();
            }
            SockAddr::Other(..) => {}
        }
        f.sock = Some(s);
        self.insert_fd(pid, f);
    }

    fn on_clone(&mut self, ev: &Event, keys: &CloneKeys) {
        let Some(res) = ev.get(keys.res) else { return };
        if res < 0 {
            return;
        }
        let cflags = ev.get(keys.flags).unwrap_or(0) as u32;
        let is_thread = cflags & flags::PPM_CL_CLONE_THREAD != 0;
        if res > 0 {
            // In the parent: create the child unless its own clone exit already did.
            let child = res;
            if self.threads.contains_key(&child) {
                return;
            }
            let mut t = match self.threads.get(&ev.tid) {
                Some(p) => p.clone(),
                None => {
                    let mut t =
                        ThreadInfo::new(ev.tid, ev.get(keys.pid).unwrap_or(ev.tid), ev.get(keys.ptid).unwrap_or(0));
                    fill_proc_from_event(&mut t, ev, &keys.proc);
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
            let pid = ev.get(keys.pid).unwrap_or(tid);
            let ptid = ev.get(keys.ptid).unwrap_or(0);
            if let Some(t) = self.threads.get_mut(&tid) {
                t.pid = pid;
                t.ptid = ptid;
                fill_proc_from_event(t, ev, &keys.proc);
                return;
            }
            let mut t = match self.threads.get(&ptid) {
                Some(p) => p.clone(),
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
            fill_proc_from_event(&mut t, ev, &keys.proc);
            self.spawn(t, parent_pid, is_thread);
        }
    }

    fn spawn(&mut self, t: ThreadInfo, parent_pid: i64, is_thread: bool) {
        let pid = t.pid;
        let copy = if !is_thread && pid != parent_pid && !self.fdtables.contains_key(&pid) {
            self.fdtables.get(&parent_pid).map(|t| t.fds.clone())
        } else {
            None
        };
        self.insert_thread(t);
        if let Some(fds) = copy
            && let Some(tab) = self.fdtables.get_mut(&pid)
        {
            tab.fds = fds;
        }
    }

    fn on_execve(&mut self, ev: &Event, keys: &ExecKeys) {
        let tid = ev.tid;
        if !self.threads.contains_key(&tid) {
            // Normally `apply` added the unknown-thread entry already (not for tid 0).
            let mut t = ThreadInfo::unknown(tid);
            t.pid = ev.get(keys.pid).unwrap_or(tid);
            self.insert_thread(t);
        }
        let Some(t) = self.threads.get_mut(&tid) else {
            return;
        };
        // An entry made for an unknown thread learns its parent from the event (libsinsp
        // shows the execve's `ptid` as `proc.ppid` from that exit on).
        if t.ptid < 0
            && let Some(ptid) = ev.get(keys.ptid)
        {
            t.ptid = ptid;
        }
        fill_proc_from_event(t, ev, &keys.proc);
        // An exec with argv[0] only writes an empty `args`: the new program has no arguments
        // (libsinsp sets them from the parameter whatever its length), not the old ones.
        if ev.params.iter().any(|p| p.name == "args" && p.value == ParamValue::Absent) {
            t.args.clear();
        }
        if let Some(v) = ev.get(keys.proc.comm) {
            t.comm = v.to_string();
        } else if !t.exe.is_empty() {
            t.comm = t.exe.rsplit('/').next().unwrap_or(&t.exe).chars().take(15).collect();
        }
        t.env = ev.list(keys.env).unwrap_or_default();
        if let Some(v) = ev.get(keys.tty) {
            t.tty = v as u32;
        }
        if let Some(v) = ev.get(keys.vpgid) {
            t.vpgid = v;
        }
        if let Some(v) = ev.get(keys.pgid) {
            t.pgid = v;
        }
        if let Some(v) = ev.get(keys.loginuid) {
            t.loginuid = v as u32;
        }
        if let Some(v) = ev.get(keys.flags) {
            let v = v as u32;
            t.exe_writable = v & flags::PPM_EXE_WRITABLE != 0;
            t.exe_upper_layer = v & flags::PPM_EXE_UPPER_LAYER != 0;
            t.exe_lower_layer = v & flags::PPM_EXE_LOWER_LAYER != 0;
            t.exe_from_memfd = v & flags::PPM_EXE_FROM_MEMFD != 0;
        }
        if let Some(v) = ev.get(keys.cap_inheritable) {
            t.cap_inheritable = v as u64;
        }
        if let Some(v) = ev.get(keys.cap_permitted) {
            t.cap_permitted = v as u64;
        }
        if let Some(v) = ev.get(keys.cap_effective) {
            t.cap_effective = v as u64;
        }
        if let Some(v) = ev.get(keys.exe_ino) {
            t.exe_ino = v as u64;
        }
        if let Some(v) = ev.get(keys.exe_ino_ctime) {
            t.exe_ino_ctime = v as u64;
        }
        if let Some(v) = ev.get(keys.exe_ino_mtime) {
            t.exe_ino_mtime = v as u64;
        }
        // The exepath comes from the driver (`trusted_exepath`) or, for older layouts, from
        // the enter event's `filename` (merged into the exit by the replay) against the cwd.
        // Layouts with neither (execve before version 18) leave it as it was, as libsinsp
        // does: argv[0] is not a path to the executable (`-su`, `curl`).
        match (ev.get(keys.trusted_exepath), keys.filename.and_then(|k| ev.get(k))) {
            (Some(p), _) if !p.is_empty() => t.exepath = p.to_string(),
            (_, Some(f)) if !f.is_empty() => t.exepath = join_path(&t.cwd, f),
            _ => {}
        }
        let pid = t.pid;
        // The kernel closes O_CLOEXEC fds on a successful exec.
        if let Some(tab) = self.fdtables.get_mut(&pid) {
            tab.fds.retain(|_, f| f.open_flags & flags::PPM_O_CLOEXEC == 0);
        }
    }
}

/// Whether libsinsp adds an entry for the unknown thread of `ev` (`sinsp_parser::reset` looks
/// the thread up "querying the OS", which in capture mode means the fake entry): not for clone
/// exits, which build the thread themselves, nor for context switches (often kernel threads
/// about to go away), nor for events flagged `EF_SKIPPARSERESET` (procinfo, scapevent, drops,
/// page faults...), which are not attributed to a thread.
fn creates_unknown_thread(ev: &Event) -> bool {
    if ev.dir == Direction::Exit && matches!(ev.name, "clone" | "clone3" | "fork" | "vfork") && !ev.is_generic() {
        return false;
    }
    if ev.name == "switch" {
        return false;
    }
    !ev.event_flags().contains(rulec_schema::EventFlags::SKIPPARSERESET)
}

/// A user metaevent's container id and user.
fn user_of(ev: &Event, k: &UserKeys) -> (String, UserInfo) {
    let u = UserInfo {
        uid: ev.get(k.uid).unwrap_or(0) as u32,
        gid: ev.get(k.gid).unwrap_or(0) as u32,
        name: ev.get(k.name).unwrap_or("").to_string(),
        home: ev.get(k.home).unwrap_or("").to_string(),
        shell: ev.get(k.shell).unwrap_or("").to_string(),
    };
    (ev.get(k.container_id).unwrap_or("").to_string(), u)
}

/// Copies the process fields common to clone and execve exit events into `t`.
fn fill_proc_from_event(t: &mut ThreadInfo, ev: &Event, k: &ProcKeys) {
    if let Some(v) = ev.get(k.exe) {
        t.exe = v.to_string();
    }
    if let Some(v) = ev.list(k.args) {
        t.args = v;
    }
    if let Some(v) = ev.get(k.comm) {
        t.comm = v.to_string();
    }
    if let Some(v) = ev.get(k.cwd) {
        t.cwd = with_slash(v.to_string());
    }
    if let Some(v) = ev.get(k.fdlimit) {
        t.fdlimit = v;
    }
    if let Some(v) = ev.list(k.cgroups) {
        t.set_cgroups_from_scap(&v);
    }
    if let Some(v) = ev.get(k.uid) {
        t.uid = v as u32;
    }
    if let Some(v) = ev.get(k.gid) {
        t.gid = v as u32;
    }
    if let Some(v) = k.vtid.and_then(|k| ev.get(k)) {
        t.vtid = v;
    }
    if let Some(v) = k.vpid.and_then(|k| ev.get(k)) {
        t.vpid = v;
    }
    if let Some(v) = k.pidns_init_start_ts.and_then(|k| ev.get(k)) {
        t.pidns_init_start_ts = v as u64;
    }
    if let Some(v) = ev.get(k.vm_size) {
        t.vmsize_kb = v as u32;
    }
    if let Some(v) = ev.get(k.vm_rss) {
        t.vmrss_kb = v as u32;
    }
    if let Some(v) = ev.get(k.vm_swap) {
        t.vmswap_kb = v as u32;
    }
}
