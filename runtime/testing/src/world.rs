//! From a case's written world and events to what the engine runs on: [`build_world`] seeds a
//! [`State`] (with its container and DNS tables) with the declared processes, threads, fds and users;
//! [`build_event`] turns an [`EventSpec`] into an [`Event`] with the event table's newest layout
//! ([`rulec_runtime::event::build_event`]), filling in what a real driver would have sent and the case
//! left out, from the state as it is just before the event.
//!
//! Defaults, in one place so the docs can list them: stdio fds 0-2 on `/dev/null` (the tty when
//! the process has one); a host root user table with the usual system users, also in every
//! container; capabilities all for root on the host or a privileged container, Docker's default
//! set in a container, none for other users; an exit's return value 0, or for fd-returning
//! calls the lowest free fd, for clone/fork a new pid; `*dirfd` and `*dir` fd arguments `AT_FDCWD`; open
//! `flags` `O_RDONLY`; execve `args` empty, `env` the process's, `flags` none and
//! `trusted_exepath` the `exe` when absolute; connect `tuple` from `addr` (from `10.0.0.2`, or the loopback to the loopback, port 40000 + fd).

use std::net::{IpAddr, Ipv4Addr};

use super::model::{
    BASE_TIME, CAPS_ALL, CAPS_CONTAINER, EventSpec, FdSpec, ProcessSpec, WELL_KNOWN_USERS, World, nul_join,
};
use rulec_runtime::event::{Direction, Event, ParamType, ParamValue, SockAddr, SockTuple};
use rulec_runtime::flags;
use rulec_runtime::state::{
    ContainerInfo, FdInfo, FdKind, GroupInfo, L4Proto, SockInfo, SockRole, State, ThreadInfo, UserInfo,
};

/// The state a world describes, container metadata and DNS names included.
pub fn build_world(world: &World) -> State {
    let mut st = State::new();
    for (ip, name) in &world.dns {
        st.add_dns_name(*ip, name.clone());
    }
    let mut tables: Vec<String> = vec![String::new()];
    for p in &world.processes {
        if let Some(c) = &p.container {
            let short: String = c.id.chars().take(12).collect();
            if st.container(&short).is_none() {
                st.add_container(ContainerInfo {
                    id: short.clone(),
                    name: c.name.clone(),
                    image: c.image.clone(),
                    privileged: c.privileged,
                });
            }
            if !tables.contains(&short) {
                tables.push(short);
            }
        }
    }
    for cid in &tables {
        for (name, uid) in WELL_KNOWN_USERS {
            let home = if *uid == 0 { "/root".to_owned() } else { "/nonexistent".to_owned() };
            let shell = if *uid == 0 { "/bin/bash" } else { "/usr/sbin/nologin" };
            st.add_user(
                cid,
                UserInfo { uid: *uid, gid: *uid, name: (*name).to_owned(), home, shell: shell.to_owned() },
            );
            st.add_group(cid, GroupInfo { gid: *uid, name: (*name).to_owned() });
        }
    }
    for u in &world.users {
        let cid: String = u.container.as_deref().unwrap_or("").chars().take(12).collect();
        st.add_user(
            &cid,
            UserInfo { uid: u.uid, gid: u.gid, name: u.name.clone(), home: u.home.clone(), shell: u.shell.clone() },
        );
        st.add_group(&cid, GroupInfo { gid: u.gid, name: u.name.clone() });
    }
    for p in &world.processes {
        let t = thread_of(p);
        if let Some(name) = &p.user_name
            && st.user(&t.container_id, p.uid).is_none_or(|u| u.name != *name)
        {
            let home = if p.uid == 0 { "/root".to_owned() } else { format!("/home/{name}") };
            st.add_user(
                &t.container_id,
                UserInfo { uid: p.uid, gid: p.gid, name: name.clone(), home, shell: "/bin/bash".into() },
            );
            st.add_group(&t.container_id, GroupInfo { gid: p.gid, name: name.clone() });
        }
        let fds = fds_of(p);
        for &tid in &p.threads {
            let mut th = t.clone();
            th.tid = tid;
            th.vtid = tid;
            st.add_thread(th);
        }
        st.add_process(t, fds);
    }
    st
}

/// The 64-digit id of a container whose written id may be shorter (padded with zeros).
pub fn full_container_id(id: &str) -> String {
    let mut s = id.to_ascii_lowercase();
    while s.len() < 64 {
        s.push('0');
    }
    s
}

fn thread_of(p: &ProcessSpec) -> ThreadInfo {
    let mut t = ThreadInfo::new(p.pid, p.pid, p.ppid);
    t.comm = p.name.clone();
    t.exe = p.exe.clone();
    t.exepath = p.exepath.clone();
    t.args = p.args.clone();
    t.env = p.env.clone();
    t.set_cwd(p.cwd.as_str());
    t.uid = p.uid;
    t.gid = p.gid;
    t.loginuid = p.loginuid;
    t.tty = p.tty;
    t.sid = p.pid;
    t.pgid = p.pid;
    t.vpgid = p.pid;
    t.fdlimit = 1_048_576;
    t.clone_ts = BASE_TIME.saturating_sub(p.age);
    t.vmsize_kb = 10_000;
    t.vmrss_kb = 2_000;
    t.set_exe_flags(p.exe_flags);
    if let Some(c) = &p.container {
        let full = full_container_id(&c.id);
        let cgroups: Vec<String> = ["cpuset", "cpu", "memory"].iter().map(|s| format!("{s}=/docker/{full}")).collect();
        t.set_cgroups_from_scap(&cgroups);
    }
    if let Some(v) = p.vpid {
        t.vpid = v;
        t.vtid = v;
    }
    let caps = p.caps.unwrap_or(match &p.container {
        Some(c) if c.privileged => CAPS_ALL,
        Some(_) if p.uid == 0 => CAPS_CONTAINER,
        None if p.uid == 0 => CAPS_ALL,
        _ => 0,
    });
    t.cap_permitted = caps;
    t.cap_effective = caps;
    t
}

fn fds_of(p: &ProcessSpec) -> Vec<FdInfo> {
    let stdio = if p.tty != 0 { format!("/dev/pts/{}", p.tty & 0xff) } else { "/dev/null".to_owned() };
    let mut out: Vec<FdInfo> =
        (0..3).filter(|fd| !p.fds.iter().any(|f| f.fd() == *fd)).map(|fd| FdInfo::file(fd, stdio.clone(), 3)).collect();
    for f in &p.fds {
        out.push(match f {
            FdSpec::File { fd, path, flags } => FdInfo::file(*fd, path.clone(), *flags),
            FdSpec::Dir { fd, path } => {
                let mut i = FdInfo::file(*fd, path.clone(), flags::PPM_O_RDONLY | flags::PPM_O_DIRECTORY);
                i.kind = FdKind::Directory;
                i
            }
            FdSpec::Unix { fd, path } => {
                let mut i = FdInfo::new(*fd, FdKind::UnixSock, path.clone());
                i.sock = Some(SockInfo { unix_path: Some(path.clone()), ..SockInfo::default() });
                i
            }
            FdSpec::Pipe { fd } => FdInfo::new(*fd, FdKind::Pipe, format!("pipe:[{}]", 40_000 + fd)),
            FdSpec::Socket { fd, udp, local, remote, server } => {
                socket_fd(*fd, *udp, local.as_ref(), remote.as_ref(), *server)
            }
        });
    }
    out
}

fn ip_port(a: Option<&SockAddr>) -> Option<(IpAddr, u16)> {
    match a? {
        SockAddr::V4(ip, port) => Some((IpAddr::V4(*ip), *port)),
        SockAddr::V6(ip, port) => Some((IpAddr::V6(*ip), *port)),
        _ => None,
    }
}

fn socket_fd(fd: i64, udp: bool, local: Option<&SockAddr>, remote: Option<&SockAddr>, server: bool) -> FdInfo {
    let local = ip_port(local).unwrap_or((IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), if server { 8080 } else { 40_000 }));
    let l4proto = if udp { L4Proto::Udp } else { L4Proto::Tcp };
    match ip_port(remote) {
        Some(r) if server => FdInfo::inet_connected(fd, r, local, l4proto, SockRole::Server),
        Some(r) => FdInfo::inet_connected(fd, local, r, l4proto, SockRole::Client),
        None => FdInfo::inet_bound(fd, local, l4proto, if server { SockRole::Server } else { SockRole::None }),
    }
}

/// The event `spec` describes, for thread `tid`, with the defaults of the module doc taken from
/// `state` (the state before the event).
pub fn build_event(spec: &EventSpec, tid: i64, state: &State) -> Event {
    let info = rulec_compiler::schema::newest_event_def(spec.name, spec.dir);
    let mut values = spec.params.clone();
    let has = |values: &[(&'static str, ParamValue)], n: &str| values.iter().any(|(k, _)| *k == n);
    let table: Vec<(&'static str, ParamType)> = info.map(|i| i.params.clone()).unwrap_or_default();
    let thread = state.thread(tid);
    if spec.dir == Direction::Exit
        && let Some(&(ret, ty)) = table.first()
        && !has(&values, ret)
    {
        let v = match (spec.name, ty) {
            ("clone" | "clone3" | "fork" | "vfork", _) => Some(ParamValue::Pid(next_pid(state))),
            ("dup2" | "dup3", _) => {
                values.iter().find(|(k, _)| *k == "newfd").map(|(_, v)| ParamValue::Fd(v.as_i64().unwrap_or(0)))
            }
            (_, ParamType::Fd | ParamType::Fd32) => Some(ParamValue::Fd(free_fd(state, tid))),
            (_, ParamType::Errno) => Some(ParamValue::Errno(0)),
            (_, ParamType::Pid | ParamType::Pid32) => Some(ParamValue::Pid(0)),
            _ => None,
        };
        if let Some(v) = v {
            values.push((ret, v));
        }
    }
    for &(name, ty) in &table {
        if has(&values, name) {
            continue;
        }
        let v = match (spec.name, name, ty) {
            (_, n, ParamType::Fd | ParamType::Fd32) if n.ends_with("dirfd") || n.ends_with("dir") => {
                Some(ParamValue::Fd(-100))
            }
            ("open" | "openat" | "openat2", "flags", _) => {
                Some(ParamValue::Flags { ty, bits: u64::from(flags::PPM_O_RDONLY) })
            }
            ("execve" | "execveat", "args", _) => Some(ParamValue::Bytes(Vec::new())),
            ("execve" | "execveat", "env", _) => thread.map(|t| ParamValue::Bytes(nul_join(&t.env))),
            ("execve" | "execveat" | "clone" | "clone3" | "fork" | "vfork", "flags", _) => {
                Some(ParamValue::Flags { ty, bits: 0 })
            }
            ("execve" | "execveat", "trusted_exepath", _) => values
                .iter()
                .find(|(k, _)| *k == "exe")
                .and_then(|(_, v)| v.as_str())
                .filter(|e| e.starts_with('/'))
                .map(|e| ParamValue::Path(e.to_owned())),
            ("execve" | "execveat", "tid", _) => Some(ParamValue::Pid(tid)),
            ("execve" | "execveat", "pid", _) => thread.map(|t| ParamValue::Pid(t.pid)),
            ("execve" | "execveat", "ptid", _) => thread.map(|t| ParamValue::Pid(t.ptid)),
            ("connect", "tuple", _) => {
                let fd = values.iter().find(|(k, _)| *k == "fd").and_then(|(_, v)| v.as_i64()).unwrap_or(-1);
                let local = state.fd(tid, fd).and_then(|f| f.sock.as_ref()).and_then(|s| s.sip.map(|ip| (ip, s.sport)));
                values.iter().find(|(k, _)| *k == "addr").and_then(|(_, v)| match v {
                    ParamValue::SockAddr(SockAddr::V4(dip, dport)) => {
                        let (sip, sport) = match local {
                            Some((IpAddr::V4(ip), port)) if !ip.is_unspecified() => (ip, port),
                            // A connection to the loopback comes from the loopback.
                            _ => (
                                if dip.is_loopback() { Ipv4Addr::LOCALHOST } else { Ipv4Addr::new(10, 0, 0, 2) },
                                40_000u16.saturating_add(u16::try_from(fd.max(0)).unwrap_or(0)),
                            ),
                        };
                        Some(ParamValue::SockTuple(SockTuple::V4 { sip, sport, dip: *dip, dport: *dport }))
                    }
                    ParamValue::SockAddr(SockAddr::V6(dip, dport)) => Some(ParamValue::SockTuple(SockTuple::V6 {
                        sip: "fd00::2".parse().unwrap_or(std::net::Ipv6Addr::LOCALHOST),
                        sport: 40_000,
                        dip: *dip,
                        dport: *dport,
                    })),
                    _ => None,
                })
            }
            _ => None,
        };
        if let Some(v) = v {
            values.push((name, v));
        }
    }
    rulec_runtime::event::build_event(spec.ts, tid, spec.name, spec.dir, values)
}

/// A pid no thread has: above every known one, and at least 1000.
fn next_pid(state: &State) -> i64 {
    state.threads().map(|t| t.tid.max(t.pid)).max().unwrap_or(0).max(999) + 1
}

/// The lowest fd at or above 3 that `tid`'s process has not open.
fn free_fd(state: &State, tid: i64) -> i64 {
    let used: Vec<i64> = state.fds(tid).map(|f| f.fd).collect();
    (3..).find(|n| !used.contains(n)).unwrap_or(3)
}
