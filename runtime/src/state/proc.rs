//! Seeding a state from a `/proc`-like directory ([`State::from_proc`]): threads, fds and
//! sockets of a live machine (or a copy of its `/proc` in tests).

use super::*;

fn read_string(p: &Path) -> Option<String> {
    fs::read(p).ok().map(|b| String::from_utf8_lossy(&b).into_owned())
}

fn read_link(p: &Path) -> Option<String> {
    fs::read_link(p).ok().map(|l| l.to_string_lossy().into_owned())
}

/// Inode → the fd of a socket listed in `<root>/net/{tcp,tcp6,udp,udp6,unix}` (numbered 0: the
/// fd links that name the inode give its numbers).
fn proc_net_sockets(root: &Path) -> HashMap<u64, FdInfo> {
    let mut out = HashMap::new();
    for (file, v6, l4) in [
        ("tcp", false, L4Proto::Tcp),
        ("udp", false, L4Proto::Udp),
        ("tcp6", true, L4Proto::Tcp),
        ("udp6", true, L4Proto::Udp),
    ] {
        let Some(text) = read_string(&root.join("net").join(file)) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(remote), Some(state), Some(ino)) =
                (cols.get(1), cols.get(2), cols.get(3), cols.get(9))
            else {
                continue;
            };
            let (Some((lip, lport)), Some((rip, rport)), Ok(ino)) =
                (parse_proc_addr(local, v6), parse_proc_addr(remote, v6), ino.parse::<u64>())
            else {
                continue;
            };
            let listening = *state == "0A" || (l4 == L4Proto::Udp && rport == 0);
            let f = if listening {
                FdInfo::inet_bound(0, (lip, lport), l4, SockRole::Server)
            } else {
                FdInfo::inet_connected(0, (lip, lport), (rip, rport), l4, SockRole::None)
            };
            out.insert(ino, f);
        }
    }
    if let Some(text) = read_string(&root.join("net").join("unix")) {
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            if let Some(Ok(ino)) = cols.get(6).map(|s| s.parse::<u64>()) {
                let path = cols.get(7).map(|s| s.to_string()).unwrap_or_default();
                let mut f = FdInfo::new(0, FdKind::UnixSock, path.clone());
                f.sock = Some(SockInfo { unix_path: Some(path), ..SockInfo::default() });
                out.insert(ino, f);
            }
        }
    }
    out
}

fn parse_proc_addr(s: &str, v6: bool) -> Option<(IpAddr, u16)> {
    let (a, p) = s.split_once(':')?;
    let port = u16::from_str_radix(p, 16).ok()?;
    if v6 {
        if a.len() != 32 {
            return None;
        }
        let mut bytes = [0u8; 16];
        for (i, chunk) in bytes.chunks_mut(4).enumerate() {
            let w = u32::from_str_radix(a.get(i * 8..i * 8 + 8)?, 16).ok()?;
            chunk.copy_from_slice(&w.to_le_bytes());
        }
        Some((IpAddr::V6(Ipv6Addr::from(bytes)), port))
    } else {
        let w = u32::from_str_radix(a, 16).ok()?;
        Some((IpAddr::V4(Ipv4Addr::from(w.to_le_bytes())), port))
    }
}

fn status_field<'a>(status: &'a str, key: &str) -> Option<&'a str> {
    status.lines().find_map(|l| l.strip_prefix(key)?.strip_prefix(':')).map(str::trim)
}

fn thread_from_proc(dir: &Path, tid: i64, boot_ns: u64) -> Option<ThreadInfo> {
    let stat = read_string(&dir.join("stat"))?;
    // comm may hold spaces and parens: fields start after the last ')'.
    let (head, rest) = stat.rsplit_once(')')?;
    let comm = head.split_once('(').map(|(_, c)| c.to_string()).unwrap_or_default();
    let f: Vec<&str> = rest.split_whitespace().collect();
    let num = |i: usize| f.get(i).and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
    let status = read_string(&dir.join("status")).unwrap_or_default();
    let pid = status_field(&status, "Tgid").and_then(|s| s.parse().ok()).unwrap_or(tid);
    let mut t = ThreadInfo::new(tid, pid, num(1));
    t.from_proc_list = true;
    t.comm = comm;
    t.pgid = num(2);
    t.sid = num(3);
    t.vpgid = num(2);
    t.tty = num(4) as u32;
    // starttime (field 22, index 19 here) is in clock ticks since boot; assume USER_HZ=100.
    t.clone_ts = boot_ns.saturating_add((num(19) as u64).saturating_mul(10_000_000));
    let ids = |key: &str| -> Vec<u32> {
        status_field(&status, key)
            .map(|s| s.split_whitespace().filter_map(|x| x.parse().ok()).collect())
            .unwrap_or_default()
    };
    t.uid = ids("Uid").get(1).copied().unwrap_or(0);
    t.gid = ids("Gid").get(1).copied().unwrap_or(0);
    let cap = |key: &str| status_field(&status, key).and_then(|s| u64::from_str_radix(s, 16).ok()).unwrap_or(0);
    t.cap_inheritable = cap("CapInh");
    t.cap_permitted = cap("CapPrm");
    t.cap_effective = cap("CapEff");
    let ns = |key: &str| status_field(&status, key).and_then(|s| s.split_whitespace().last()?.parse().ok());
    t.vtid = ns("NSpid").unwrap_or(tid);
    t.vpid = ns("NStgid").unwrap_or(pid);
    t.vmsize_kb = status_field(&status, "VmSize").and_then(|s| s.split_whitespace().next()?.parse().ok()).unwrap_or(0);
    t.vmrss_kb = status_field(&status, "VmRSS").and_then(|s| s.split_whitespace().next()?.parse().ok()).unwrap_or(0);
    t.vmswap_kb = status_field(&status, "VmSwap").and_then(|s| s.split_whitespace().next()?.parse().ok()).unwrap_or(0);
    if let Some(b) = fs::read(dir.join("cmdline")).ok().filter(|b| !b.is_empty()) {
        let mut v = crate::event::split_nul(&b);
        if !v.is_empty() {
            t.exe = v.remove(0);
        }
        t.args = v;
    }
    if let Ok(b) = fs::read(dir.join("environ")) {
        t.env = crate::event::split_nul(&b);
    }
    t.set_cwd(read_link(&dir.join("cwd")).unwrap_or_else(|| "/".into()));
    t.root = read_link(&dir.join("root")).unwrap_or_else(|| "/".into());
    t.exepath = read_link(&dir.join("exe")).unwrap_or_default();
    t.loginuid = read_string(&dir.join("loginuid")).and_then(|s| s.trim().parse().ok()).unwrap_or(ThreadInfo::UNSET_ID);
    if let Some(cg) = read_string(&dir.join("cgroup")) {
        t.set_cgroups(
            cg.lines()
                .filter_map(|l| {
                    let mut it = l.splitn(3, ':');
                    let _id = it.next()?;
                    let subsys = it.next()?;
                    let path = it.next()?;
                    Some((if subsys.is_empty() { "unified".to_string() } else { subsys.to_string() }, path.to_string()))
                })
                .collect(),
        );
    }
    Some(t)
}

fn fds_from_proc(dir: &Path, socks: &HashMap<u64, FdInfo>, max: usize) -> Vec<FdInfo> {
    let mut out = Vec::new();
    let Ok(rd) = fs::read_dir(dir.join("fd")) else {
        return out;
    };
    for ent in rd.flatten().take(max) {
        let Some(fd) = ent.file_name().to_str().and_then(|s| s.parse::<i64>().ok()) else {
            continue;
        };
        let Some(target) = read_link(&ent.path()) else {
            continue;
        };
        let bracket_ino = |s: &str| s.split_once('[').and_then(|(_, r)| r.strip_suffix(']')?.parse::<u64>().ok());
        let f = if let Some(rest) = target.strip_prefix("socket:") {
            match bracket_ino(rest).and_then(|i| socks.get(&i).map(|s| (i, s))) {
                Some((ino, sock)) => FdInfo { fd, ino, ..sock.clone() },
                None => FdInfo::new(fd, FdKind::OtherSock, target.clone()),
            }
        } else if let Some(rest) = target.strip_prefix("pipe:") {
            let mut f = FdInfo::new(fd, FdKind::Pipe, target.clone());
            f.ino = bracket_ino(rest).unwrap_or(0);
            f
        } else if let Some(rest) = target.strip_prefix("anon_inode:") {
            let short = rest.trim_matches(|c| c == '[' || c == ']');
            let kind = match FdKind::from_short_name(short) {
                Some(k) => k,
                None if short.starts_with("bpf") => FdKind::Bpf,
                None => FdKind::Unsupported,
            };
            FdInfo::new(fd, kind, target.clone())
        } else if target.starts_with("/memfd:") {
            FdInfo::new(fd, FdKind::Memfd, target.trim_start_matches('/').to_string())
        } else if target.starts_with('/') {
            let kind = if fs::metadata(&target).is_ok_and(|m| m.is_dir()) { FdKind::Directory } else { FdKind::File };
            let mut f = FdInfo::new(fd, kind, target.clone());
            // fdinfo "flags:" is octal Linux flags; map the access mode and the common bits.
            if let Some(fl) = read_string(&dir.join("fdinfo").join(fd.to_string()))
                .and_then(|s| s.lines().find_map(|l| l.strip_prefix("flags:").map(|v| v.trim().to_string())))
                .and_then(|v| u32::from_str_radix(&v, 8).ok())
            {
                f.open_flags = linux_open_flags_to_ppm(fl);
            }
            f
        } else {
            FdInfo::new(fd, FdKind::Unsupported, target.clone())
        };
        out.push(f);
    }
    out
}

/// Converts Linux `O_*` open flags (x86-64 values) to the PPM encoding.
pub fn linux_open_flags_to_ppm(fl: u32) -> u32 {
    let mut p = match fl & 3 {
        0 => flags::PPM_O_RDONLY,
        1 => flags::PPM_O_WRONLY,
        _ => flags::PPM_O_RDONLY | flags::PPM_O_WRONLY,
    };
    for (linux, ppm) in [
        (0o100, flags::PPM_O_CREAT),
        (0o2000, 1 << 3),  // O_APPEND
        (0o200, 1 << 5),   // O_EXCL
        (0o4000, 1 << 6),  // O_NONBLOCK
        (0o1000, 1 << 8),  // O_TRUNC
        (0o40000, 1 << 9), // O_DIRECT
        (0o200000, flags::PPM_O_DIRECTORY),
        (0o100000, 1 << 11), // O_LARGEFILE
        (0o2000000, flags::PPM_O_CLOEXEC),
    ] {
        if fl & linux != 0 {
            p |= ppm;
        }
    }
    p
}

impl State {
    /// Seeds a state from a `/proc`-like directory: every `<root>/<pid>/task/<tid>` (or
    /// `<root>/<pid>` when `task/` is unreadable) with its stat, status, cmdline, environ, cwd,
    /// exe, root, loginuid, cgroup and fd links, and sockets resolved through
    /// `<root>/net/{tcp,tcp6,udp,udp6,unix}`. Processes that vanish or cannot be read are
    /// skipped (races and permission errors are expected). Start times assume `USER_HZ` = 100
    /// and take the boot time from `<root>/stat` `btime`.
    pub fn from_proc(root: &Path) -> State {
        State::from_proc_with_limits(root, Limits::default())
    }

    /// [`State::from_proc`] with explicit limits.
    pub fn from_proc_with_limits(root: &Path, limits: Limits) -> State {
        let mut st = State::with_limits(limits);
        let boot_ns = read_string(&root.join("stat"))
            .and_then(|s| s.lines().find_map(|l| l.strip_prefix("btime ")?.trim().parse::<u64>().ok()))
            .map_or(0, |s| s.saturating_mul(1_000_000_000));
        let socks = proc_net_sockets(root);
        let Ok(rd) = fs::read_dir(root) else {
            return st;
        };
        for ent in rd.flatten() {
            let Some(pid) = ent.file_name().to_str().and_then(|s| s.parse::<i64>().ok()) else {
                continue;
            };
            let pdir = ent.path();
            let Some(main) = thread_from_proc(&pdir, pid, boot_ns) else {
                continue;
            };
            let fds = fds_from_proc(&pdir, &socks, limits.max_fds_per_process);
            let main_copy = main.clone();
            st.add_process(main, fds);
            if let Ok(tasks) = fs::read_dir(pdir.join("task")) {
                for task in tasks.flatten() {
                    let Some(tid) = task.file_name().to_str().and_then(|s| s.parse::<i64>().ok()) else {
                        continue;
                    };
                    if tid == pid {
                        continue;
                    }
                    let t = match thread_from_proc(&task.path(), tid, boot_ns) {
                        Some(mut t) => {
                            t.pid = pid;
                            t.ptid = main_copy.ptid;
                            t
                        }
                        None => continue,
                    };
                    st.add_thread(t);
                }
            }
        }
        // The host's user database through init's root; where that is denied (a container
        // without CAP_SYS_PTRACE over pid 1), rulec's own.
        let host_file = |f: &str| {
            read_string(&root.join("1/root/etc").join(f)).or_else(|| read_string(&root.join("self/root/etc").join(f)))
        };
        if let Some(passwd) = host_file("passwd") {
            for l in passwd.lines() {
                let c: Vec<&str> = l.split(':').collect();
                if let (Some(name), Some(Ok(uid)), Some(Ok(gid))) =
                    (c.first(), c.get(2).map(|s| s.parse()), c.get(3).map(|s| s.parse()))
                {
                    st.add_user(
                        "",
                        UserInfo {
                            uid,
                            gid,
                            name: name.to_string(),
                            home: c.get(5).unwrap_or(&"").to_string(),
                            shell: c.get(6).unwrap_or(&"").to_string(),
                        },
                    );
                }
            }
        }
        if let Some(group) = host_file("group") {
            for l in group.lines() {
                let c: Vec<&str> = l.split(':').collect();
                if let (Some(name), Some(Ok(gid))) = (c.first(), c.get(2).map(|s| s.parse())) {
                    st.add_group("", GroupInfo { gid, name: name.to_string() });
                }
            }
        }
        st
    }
}
