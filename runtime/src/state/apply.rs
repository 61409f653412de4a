//! Applying one event to the state ([`State::apply`]): the per-syscall handlers (clone, execve,
//! open, close, dup, sockets, chdir, credentials...) and the helpers that read an event's
//! process fields. Handlers only change the tables through `State`'s own methods and fields.

use super::*;

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
            "useradded" | "userdeleted" => {
                let u = UserInfo {
                    uid: ev.int("uid").unwrap_or(0) as u32,
                    gid: ev.int("gid").unwrap_or(0) as u32,
                    name: ev.str("name").unwrap_or("").to_string(),
                    home: ev.str("home").unwrap_or("").to_string(),
                    shell: ev.str("shell").unwrap_or("").to_string(),
                };
                let cid = ev.str("container_id").unwrap_or("").to_string();
                if ev.name == "useradded" {
                    self.add_user(&cid, u);
                } else {
                    self.users.remove(&(cid, u.uid));
                }
            }
            "groupadded" | "groupdeleted" => {
                let g = GroupInfo {
                    gid: ev.int("gid").unwrap_or(0) as u32,
                    name: ev.str("name").unwrap_or("").to_string(),
                };
                let cid = ev.str("container_id").unwrap_or("").to_string();
                if ev.name == "groupadded" {
                    self.add_group(&cid, g);
                } else {
                    self.groups.remove(&(cid, g.gid));
                }
            }
            _ => {}
        }
    }

    fn pid_of(&self, tid: i64) -> Option<i64> {
        self.threads.get(&tid).map(|t| t.pid)
    }

    fn apply_exit(&mut self, ev: &Event) {
        let res = ev.int("res");
        match ev.name {
            "clone" | "clone3" | "fork" | "vfork" => self.on_clone(ev),
            "execve" | "execveat" if res.unwrap_or(0) == 0 => self.on_execve(ev),
            "open" | "openat" | "openat2" | "creat" | "open_by_handle_at" => self.on_open(ev),
            "close" => {
                if res.unwrap_or(0) >= 0
                    && let (Some(fd), Some(pid)) = (ev.int("fd"), self.pid_of(ev.tid))
                {
                    self.deferred.push(Deferred::CloseFd { pid, fd });
                }
            }
            "dup" | "dup2" | "dup3" => {
                let old = ev.int("oldfd").or_else(|| ev.int("fd"));
                if let (Some(new), Some(old)) = (res.filter(|r| *r >= 0), old) {
                    let cloexec = ev.int("flags").is_some_and(|f| f as u32 & flags::PPM_O_CLOEXEC != 0);
                    self.dup_fd(ev.tid, old, new, cloexec);
                }
            }
            "fcntl" => {
                let cmd = ev.int("cmd");
                if matches!(cmd, Some(flags::PPM_FCNTL_F_DUPFD | flags::PPM_FCNTL_F_DUPFD_CLOEXEC))
                    && let (Some(new), Some(old)) = (res.filter(|r| *r >= 0), ev.int("fd"))
                {
                    self.dup_fd(ev.tid, old, new, cmd == Some(flags::PPM_FCNTL_F_DUPFD_CLOEXEC));
                }
            }
            "socket" => self.on_socket(ev),
            "socketpair" if res.unwrap_or(0) >= 0 => {
                let src = ev.int("source").unwrap_or(0) as u64;
                let peer = ev.int("peer").unwrap_or(0) as u64;
                for (p, a, b) in [("fd1", src, peer), ("fd2", peer, src)] {
                    if let Some(fd) = ev.int(p).filter(|f| *f >= 0) {
                        let mut f = FdInfo::new(fd, FdKind::UnixSock, format!("{a:x}->{b:x}"));
                        f.sock = Some(SockInfo { unix_ptrs: Some((a, b)), ..SockInfo::default() });
                        self.add_fd_for(ev.tid, f);
                    }
                }
            }
            "connect" => {
                if let Some(r) = res
                    && (r >= 0 || r == EINPROGRESS)
                    && let Some(fd) = ev.int("fd")
                {
                    self.on_connected(ev, fd, SockRole::Client, r >= 0);
                }
            }
            "accept" | "accept4" => {
                let fd = ev.int("fd").or(res);
                if let Some(fd) = fd.filter(|f| *f >= 0) {
                    self.on_connected(ev, fd, SockRole::Server, true);
                }
            }
            "bind" => {
                if res.unwrap_or(-1) >= 0
                    && let (Some(fd), Some(ParamValue::SockAddr(addr))) = (ev.int("fd"), ev.param("addr"))
                {
                    self.on_bind(ev.tid, fd, addr);
                }
            }
            "listen" => {
                if res.unwrap_or(-1) >= 0
                    && let (Some(fd), Some(pid)) = (ev.int("fd"), self.pid_of(ev.tid))
                    && let Some(f) = self.fd_mut(pid, fd)
                {
                    f.sock.get_or_insert_with(SockInfo::default).role = SockRole::Server;
                }
            }
            "pipe" | "pipe2" if res.unwrap_or(-1) >= 0 => {
                let ino = ev.int("ino").unwrap_or(0) as u64;
                let fl = ev.int("flags").unwrap_or(0) as u32;
                for p in ["fd1", "fd2"] {
                    if let Some(fd) = ev.int(p).filter(|f| *f >= 0) {
                        // libsinsp gives pipe() fds no name (only the inode): `fd.name` is
                        // empty, unlike a pipe found in /proc (`pipe:[ino]`, its link text).
                        let mut f = FdInfo::new(fd, FdKind::Pipe, String::new());
                        f.ino = ino;
                        f.open_flags = fl;
                        self.add_fd_for(ev.tid, f);
                    }
                }
            }
            "eventfd" | "eventfd2" => self.simple_fd(ev, FdKind::EventFd, "anon_inode:[eventfd]"),
            "signalfd" | "signalfd4" => self.simple_fd(ev, FdKind::SignalFd, "anon_inode:[signalfd]"),
            "timerfd_create" => self.simple_fd(ev, FdKind::TimerFd, "anon_inode:[timerfd]"),
            "inotify_init" | "inotify_init1" => self.simple_fd(ev, FdKind::Inotify, "anon_inode:inotify"),
            "epoll_create" | "epoll_create1" => self.simple_fd(ev, FdKind::EventPoll, "anon_inode:[eventpoll]"),
            "userfaultfd" => self.simple_fd(ev, FdKind::UserFaultFd, "anon_inode:[userfaultfd]"),
            "io_uring_setup" => self.simple_fd(ev, FdKind::IoUring, "anon_inode:[io_uring]"),
            "bpf" => self.simple_fd(ev, FdKind::Bpf, "anon_inode:bpf"),
            "pidfd_open" | "pidfd_getfd" => self.simple_fd(ev, FdKind::PidFd, "anon_inode:[pidfd]"),
            "memfd_create" => {
                let name = format!("memfd:{}", ev.str("name").unwrap_or(""));
                self.simple_fd(ev, FdKind::Memfd, &name);
            }
            "chdir" => {
                if res.unwrap_or(-1) >= 0
                    && let Some(p) = ev.str("path")
                {
                    let p = p.to_string();
                    self.set_cwd(ev.tid, &p);
                }
            }
            "fchdir" => {
                if res.unwrap_or(-1) >= 0
                    && let Some(fd) = ev.int("fd")
                    && let Some(f) = self.fd(ev.tid, fd)
                {
                    let p = f.name.clone();
                    self.set_cwd(ev.tid, &p);
                }
            }
            "chroot" => {
                if res.unwrap_or(-1) >= 0
                    && let Some(p) = ev.str("path").map(str::to_string)
                    && let Some(t) = self.threads.get_mut(&ev.tid)
                {
                    t.root = join_path(&t.cwd, &p);
                }
            }
            "setuid" | "setresuid" | "setreuid" if res == Some(0) => {
                let uid = ev.int("euid").or_else(|| ev.int("uid"));
                if let Some(u) = uid.map(|u| u as u32).filter(|u| *u != u32::MAX)
                    && let Some(t) = self.threads.get_mut(&ev.tid)
                {
                    t.uid = u;
                }
            }
            "setgid" | "setresgid" | "setregid" if res == Some(0) => {
                let gid = ev.int("egid").or_else(|| ev.int("gid"));
                if let Some(g) = gid.map(|g| g as u32).filter(|g| *g != u32::MAX)
                    && let Some(t) = self.threads.get_mut(&ev.tid)
                {
                    t.gid = g;
                }
            }
            "capset" => {
                if res == Some(0)
                    && let Some(t) = self.threads.get_mut(&ev.tid)
                {
                    if let Some(v) = ev.int("cap_inheritable") {
                        t.cap_inheritable = v as u64;
                    }
                    if let Some(v) = ev.int("cap_permitted") {
                        t.cap_permitted = v as u64;
                    }
                    if let Some(v) = ev.int("cap_effective") {
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
            _ => {}
        }
    }

    fn add_fd_for(&mut self, tid: i64, f: FdInfo) {
        if let Some(pid) = self.pid_of(tid) {
            self.insert_fd(pid, f);
        }
    }

    fn simple_fd(&mut self, ev: &Event, kind: FdKind, name: &str) {
        let fd = if ev.name == "bpf" || ev.name == "memfd_create" || ev.name.starts_with("pidfd") {
            ev.int("fd")
        } else {
            ev.int("res")
        };
        if let Some(fd) = fd.filter(|f| *f >= 0) {
            let mut f = FdInfo::new(fd, kind, name);
            f.open_flags = ev.int("flags").unwrap_or(0) as u32;
            self.add_fd_for(ev.tid, f);
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

    fn on_open(&mut self, ev: &Event) {
        let Some(fd) = ev.int("fd").filter(|f| *f >= 0) else {
            return;
        };
        let Some(t) = self.threads.get(&ev.tid) else {
            return;
        };
        let raw = ev.str("name").or_else(|| ev.str("path")).unwrap_or("");
        let path = if raw.starts_with('/') {
            normalize_path(raw)
        } else {
            let dirfd = ev.int("dirfd").unwrap_or(AT_FDCWD);
            let base = if dirfd == AT_FDCWD || !matches!(ev.param("name"), Some(ParamValue::RelPath(_))) {
                t.cwd.clone()
            } else {
                self.fd(ev.tid, dirfd).map(|f| f.name.clone()).unwrap_or_default()
            };
            if raw.is_empty() { raw.to_string() } else { join_path(&base, raw) }
        };
        let fl = ev.int("flags").unwrap_or(if ev.name == "creat" {
            (flags::PPM_O_CREAT | flags::PPM_O_WRONLY | (1 << 8)) as i64
        } else {
            0
        }) as u32;
        let kind = if fl & flags::PPM_O_DIRECTORY != 0 { FdKind::Directory } else { FdKind::File };
        let mut f = FdInfo::file(fd, path, fl);
        f.kind = kind;
        f.dev = ev.int("dev").unwrap_or(0) as u32;
        f.ino = ev.int("ino").unwrap_or(0) as u64;
        self.add_fd_for(ev.tid, f);
    }

    fn on_socket(&mut self, ev: &Event) {
        let Some(fd) = ev.int("fd").or_else(|| ev.int("res")).filter(|f| *f >= 0) else {
            return;
        };
        let domain = ev.int("domain").unwrap_or(0);
        let kind = match u8::try_from(domain).unwrap_or(0) {
            flags::PPM_AF_INET => FdKind::Ipv4Sock,
            flags::PPM_AF_INET6 => FdKind::Ipv6Sock,
            flags::PPM_AF_UNIX => FdKind::UnixSock,
            flags::PPM_AF_NETLINK => FdKind::NetlinkSock,
            _ => FdKind::OtherSock,
        };
        let l4 = match ev.int("type").unwrap_or(0) & 0xf {
            1 => L4Proto::Tcp,
            2 => L4Proto::Udp,
            3 => L4Proto::Raw,
            _ => L4Proto::Unknown,
        };
        let mut f = FdInfo::new(fd, kind, "");
        f.open_flags = ev.int("flags").unwrap_or(0) as u32;
        f.sock = Some(SockInfo { l4proto: l4, ..SockInfo::default() });
        self.add_fd_for(ev.tid, f);
    }

    fn on_connected(&mut self, ev: &Event, fd: i64, role: SockRole, connected: bool) {
        let Some(pid) = self.pid_of(ev.tid) else {
            return;
        };
        let tuple = match ev.param("tuple") {
            Some(ParamValue::SockTuple(t)) => Some(t.clone()),
            _ => None,
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
        match &tuple {
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
        if let Some(t) = &tuple
            && !matches!(t, SockTuple::Other(..))
        {
            f.name = render_tuple(t);
        } else if role == SockRole::Client
            && let Some(ParamValue::SockAddr(a)) = ev.param("addr")
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

    fn on_clone(&mut self, ev: &Event) {
        let Some(res) = ev.int("res") else { return };
        if res < 0 {
            return;
        }
        let cflags = ev.int("flags").unwrap_or(0) as u32;
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
                    let mut t = ThreadInfo::new(ev.tid, ev.int("pid").unwrap_or(ev.tid), ev.int("ptid").unwrap_or(0));
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
            let pid = ev.int("pid").unwrap_or(tid);
            let ptid = ev.int("ptid").unwrap_or(0);
            if let Some(t) = self.threads.get_mut(&tid) {
                t.pid = pid;
                t.ptid = ptid;
                fill_proc_from_event(t, ev);
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
            fill_proc_from_event(&mut t, ev);
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

    fn on_execve(&mut self, ev: &Event) {
        let tid = ev.tid;
        if !self.threads.contains_key(&tid) {
            // Normally `apply` added the unknown-thread entry already (not for tid 0).
            let mut t = ThreadInfo::unknown(tid);
            t.pid = ev.int("pid").unwrap_or(tid);
            self.insert_thread(t);
        }
        let Some(t) = self.threads.get_mut(&tid) else {
            return;
        };
        // An entry made for an unknown thread learns its parent from the event (libsinsp
        // shows the execve's `ptid` as `proc.ppid` from that exit on).
        if t.ptid < 0
            && let Some(p) = ev.int("ptid")
        {
            t.ptid = p;
        }
        fill_proc_from_event(t, ev);
        // An exec with argv[0] only writes an empty `args`: the new program has no arguments
        // (libsinsp sets them from the parameter whatever its length), not the old ones.
        if ev.params.iter().any(|p| p.name == "args" && p.value == ParamValue::Absent) {
            t.args.clear();
        }
        if let Some(v) = ev.str("comm") {
            t.comm = v.to_string();
        } else if !t.exe.is_empty() {
            t.comm = t.exe.rsplit('/').next().unwrap_or(&t.exe).chars().take(15).collect();
        }
        t.env = ev.list("env").unwrap_or_default();
        if let Some(v) = ev.int("tty") {
            t.tty = v as u32;
        }
        if let Some(v) = ev.int("vpgid") {
            t.vpgid = v;
        }
        if let Some(v) = ev.int("pgid") {
            t.pgid = v;
        }
        if let Some(v) = ev.int("loginuid") {
            t.loginuid = v as u32;
        }
        if let Some(v) = ev.int("flags") {
            let v = v as u32;
            t.exe_writable = v & flags::PPM_EXE_WRITABLE != 0;
            t.exe_upper_layer = v & flags::PPM_EXE_UPPER_LAYER != 0;
            t.exe_lower_layer = v & flags::PPM_EXE_LOWER_LAYER != 0;
            t.exe_from_memfd = v & flags::PPM_EXE_FROM_MEMFD != 0;
        }
        if let Some(v) = ev.int("cap_inheritable") {
            t.cap_inheritable = v as u64;
        }
        if let Some(v) = ev.int("cap_permitted") {
            t.cap_permitted = v as u64;
        }
        if let Some(v) = ev.int("cap_effective") {
            t.cap_effective = v as u64;
        }
        if let Some(v) = ev.int("exe_ino") {
            t.exe_ino = v as u64;
        }
        if let Some(v) = ev.int("exe_ino_ctime") {
            t.exe_ino_ctime = v as u64;
        }
        if let Some(v) = ev.int("exe_ino_mtime") {
            t.exe_ino_mtime = v as u64;
        }
        // The exepath comes from the driver (`trusted_exepath`) or, for older layouts, from
        // the enter event's `filename` (merged into the exit by the replay) against the cwd.
        // Layouts with neither (execve before version 18) leave it as it was, as libsinsp
        // does: argv[0] is not a path to the executable (`-su`, `curl`).
        match (ev.str("trusted_exepath"), ev.str("filename")) {
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

/// Copies the process fields common to clone and execve exit events into `t`.
fn fill_proc_from_event(t: &mut ThreadInfo, ev: &Event) {
    if let Some(v) = ev.str("exe") {
        t.exe = v.to_string();
    }
    if let Some(v) = ev.list("args") {
        t.args = v;
    }
    if let Some(v) = ev.str("comm") {
        t.comm = v.to_string();
    }
    if let Some(v) = ev.str("cwd") {
        t.cwd = with_slash(v.to_string());
    }
    if let Some(v) = ev.int("fdlimit") {
        t.fdlimit = v;
    }
    if let Some(v) = ev.list("cgroups") {
        t.set_cgroups_from_scap(&v);
    }
    if let Some(v) = ev.int("uid") {
        t.uid = v as u32;
    }
    if let Some(v) = ev.int("gid") {
        t.gid = v as u32;
    }
    if let Some(v) = ev.int("vtid") {
        t.vtid = v;
    }
    if let Some(v) = ev.int("vpid") {
        t.vpid = v;
    }
    if let Some(v) = ev.int("pidns_init_start_ts") {
        t.pidns_init_start_ts = v as u64;
    }
    if let Some(v) = ev.int("vm_size") {
        t.vmsize_kb = v as u32;
    }
    if let Some(v) = ev.int("vm_rss") {
        t.vmrss_kb = v as u32;
    }
    if let Some(v) = ev.int("vm_swap") {
        t.vmswap_kb = v as u32;
    }
}
