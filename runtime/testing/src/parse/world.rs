//! A case's `world:` as written: processes (with their threads, users, container, capabilities
//! and open fds), users and DNS names, into the model's specs; and the processes every world
//! has (`init`, and the default process when none is described). Building the state from these
//! specs is `world.rs`'s job, not this one's.

use std::net::IpAddr;

use rulec_compiler::yaml::Node;
use rulec_compiler::{Code, Location};
use rulec_runtime::event::SockAddr;
use rulec_runtime::flags;
use rulec_runtime::flags::CAP_NAMES;

use super::super::model::{
    CAPS_ALL, ContainerSpec, DEFAULT_AGE, DEFAULT_PID, FdSpec, ProcessSpec, UserSpec, World, well_known_uid,
};
use super::values::{comm_of, flag_value, fnv1a, parse_int, parse_sockaddr};
use super::{CONTAINER_KEYS, FD_KEYS, PROCESS_KEYS, Parser, R, USER_KEYS, WORLD_KEYS};

impl Parser {
    pub(super) fn world(&mut self, node: &Node) -> R<World> {
        let mut world = World::default();
        self.users.clear();
        if node.is_null() {
            return Ok(world);
        }
        let mut entries = self.entries(node, WORLD_KEYS, "`world`")?;
        // Users first: processes may name them.
        entries.sort_by_key(|(k, _, _)| *k != "users");
        for (key, _, v) in entries {
            match key {
                "processes" => {
                    let Some(seq) = v.as_seq() else {
                        self.err(Code::BadTestValue, v.loc, "`processes` must be a sequence of processes");
                        continue;
                    };
                    for p in seq {
                        if let Ok(p) = self.process(p) {
                            if world.processes.iter().any(|q| q.pid == p.pid || q.threads.contains(&p.pid)) {
                                self.err(Code::BadTestValue, p.loc, format!("pid {} is declared twice", p.pid));
                                continue;
                            }
                            world.processes.push(p);
                        }
                    }
                }
                "users" => {
                    let Some(seq) = v.as_seq() else {
                        self.err(Code::BadTestValue, v.loc, "`users` must be a sequence of users");
                        continue;
                    };
                    for u in seq {
                        if let Ok(u) = self.user(u) {
                            self.users.push((u.name.clone(), u.uid));
                            world.users.push(u);
                        }
                    }
                }
                _ => {
                    let Some(map) = v.as_map() else {
                        self.err(Code::BadTestValue, v.loc, "`dns` must be a map of address to name (`10.96.0.1: kubernetes.default.svc.cluster.local`)");
                        continue;
                    };
                    for (k, name) in map {
                        let Ok(addr) = self.string(k, "an address") else {
                            continue;
                        };
                        let Ok(ip) = addr.parse::<IpAddr>() else {
                            self.err(Code::BadTestValue, k.loc, format!("`{addr}` is not an IP address"));
                            continue;
                        };
                        if let Ok(name) = self.string(name, "a host name") {
                            world.dns.push((ip, name));
                        }
                    }
                }
            }
        }
        Ok(world)
    }

    fn process(&mut self, node: &Node) -> R<ProcessSpec> {
        let entries = self.entries(node, PROCESS_KEYS, "a process")?;
        let before = self.diags.len();
        let get = |k: &str| entries.iter().find(|(key, _, _)| *key == k).map(|(_, _, v)| *v);
        let Some(pid_node) = get("pid") else {
            self.err(Code::TestFileShape, node.loc, "a process needs a `pid`");
            return Err(());
        };
        let pid: i64 = self.int(pid_node, "`pid`")?;
        if pid <= 0 {
            self.err(Code::BadTestValue, pid_node.loc, "a pid must be positive");
        }
        let name = get("name").map(|v| self.string(v, "`name`")).transpose()?;
        let exe = get("exe").map(|v| self.string(v, "`exe`")).transpose()?;
        let (name, exe) = match (name, exe) {
            (Some(n), Some(e)) => (n, e),
            (Some(n), None) => (n.clone(), format!("/usr/bin/{n}")),
            (None, Some(e)) => (comm_of(&e), e),
            (None, None) => {
                self.err_hint(
                    Code::TestFileShape,
                    node.loc,
                    "a process needs an `exe` or a `name`",
                    "for example `{pid: 200, exe: /bin/bash}`",
                );
                return Err(());
            }
        };
        let exepath = match get("exepath") {
            Some(v) => self.string(v, "`exepath`")?,
            None => exe.clone(),
        };
        // Defaults as for the processes a world gets without asking; the file's keys follow.
        let mut p = default_process(pid, &name, 1, node.loc);
        p.exe = exe;
        p.exepath = exepath;
        let mut gid_given = false;
        for (key, _, v) in &entries {
            let v = *v;
            match *key {
                "ppid" => p.ppid = self.int(v, "`ppid`").unwrap_or(1),
                "threads" => {
                    if let Some(seq) = v.as_seq() {
                        for t in seq {
                            if let Ok(t) = self.int(t, "a thread id") {
                                p.threads.push(t);
                            }
                        }
                    } else {
                        self.err(Code::BadTestValue, v.loc, "`threads` must be a sequence of thread ids");
                    }
                }
                "args" => p.args = self.args(v).unwrap_or_default(),
                "user" => {
                    if let Ok((uid, name)) = self.user_ref(v) {
                        p.uid = uid;
                        p.user_name = name;
                        if !gid_given {
                            p.gid = uid;
                        }
                    }
                }
                "uid" => {
                    if let Ok(uid) = self.int_in::<u32>(v, "`uid`") {
                        p.uid = uid;
                        if !gid_given {
                            p.gid = uid;
                        }
                    }
                }
                "gid" => {
                    if let Ok(g) = self.int_in::<u32>(v, "`gid`") {
                        p.gid = g;
                        gid_given = true;
                    }
                }
                "loginuid" => p.loginuid = self.int_in::<u32>(v, "`loginuid`").unwrap_or(u32::MAX),
                "cwd" => p.cwd = self.string(v, "`cwd`").unwrap_or_else(|()| "/".into()),
                "env" => p.env = self.env(v).unwrap_or_default(),
                "tty" => p.tty = self.int_in::<u32>(v, "`tty`").unwrap_or(0),
                "vpid" => p.vpid = self.int(v, "`vpid`").ok(),
                "container" => p.container = self.container(v).ok(),
                "caps" => p.caps = self.caps(v).ok(),
                "age" => p.age = self.duration(v, "`age`").unwrap_or(DEFAULT_AGE),
                "exe_flags" => p.exe_flags = self.flag_names(v, &flags::EXE_FLAGS, "`exe_flags`").unwrap_or(0) as u32,
                "fds" => {
                    let Some(seq) = v.as_seq() else {
                        self.err(Code::BadTestValue, v.loc, "`fds` must be a sequence of fds");
                        continue;
                    };
                    for f in seq {
                        if let Ok(f) = self.fd(f) {
                            p.fds.push(f);
                        }
                    }
                }
                _ => {}
            }
        }
        if self.diags.len() > before { Err(()) } else { Ok(p) }
    }

    /// `user: alice` (a well-known name), `user: 1000`, or `user: {uid: 1000, name: alice}`.
    fn user_ref(&mut self, node: &Node) -> R<(u32, Option<String>)> {
        if let Some(s) = node.as_scalar() {
            if let Some(uid) = parse_int(&s.value) {
                let uid = u32::try_from(uid)
                    .map_err(|_| self.err(Code::BadTestValue, node.loc, "a uid must fit in 32 bits"))?;
                return Ok((uid, None));
            }
            let declared = self.users.iter().find(|(n, _)| *n == s.value).map(|(_, u)| *u);
            return match declared.or_else(|| well_known_uid(&s.value)) {
                Some(uid) => Ok((uid, Some(s.value.clone()))),
                None => {
                    self.err_hint(
                        Code::BadTestValue,
                        node.loc,
                        format!("`{}` is not a user rulec knows the uid of", s.value),
                        format!("write `user: {{uid: 1000, name: {}}}`, or declare it under `world: users:`; known names: root, daemon, bin, sys, mail, www-data, nobody", s.value),
                    );
                    Err(())
                }
            };
        }
        let mut uid = None;
        let mut name = None;
        for (key, _, v) in self.entries(node, &["uid", "name"], "`user`")? {
            match key {
                "uid" => uid = self.int_in::<u32>(v, "`uid`").ok(),
                _ => name = self.string(v, "`name`").ok(),
            }
        }
        match (uid, name) {
            (Some(u), n) => Ok((u, n)),
            (None, Some(n)) => {
                match self.users.iter().find(|(u, _)| *u == n).map(|(_, u)| *u).or_else(|| well_known_uid(&n)) {
                    Some(u) => Ok((u, Some(n))),
                    None => {
                        self.err(Code::BadTestValue, node.loc, format!("give the `uid` of user `{n}`"));
                        Err(())
                    }
                }
            }
            (None, None) => {
                self.err(Code::BadTestValue, node.loc, "`user` needs a `uid` or a `name`");
                Err(())
            }
        }
    }

    fn user(&mut self, node: &Node) -> R<UserSpec> {
        let entries = self.entries(node, USER_KEYS, "a user")?;
        let mut u = UserSpec {
            uid: 0,
            gid: 0,
            name: String::new(),
            home: String::new(),
            shell: "/bin/sh".into(),
            container: None,
        };
        let mut has_uid = false;
        let mut gid = None;
        for (key, _, v) in entries {
            match key {
                "uid" => {
                    u.uid = self.int_in::<u32>(v, "`uid`")?;
                    has_uid = true;
                }
                "gid" => gid = Some(self.int_in::<u32>(v, "`gid`")?),
                "name" => u.name = self.string(v, "`name`")?,
                "home" => u.home = self.string(v, "`home`")?,
                "shell" => u.shell = self.string(v, "`shell`")?,
                _ => u.container = Some(self.string(v, "`container` (an id)")?),
            }
        }
        if !has_uid || u.name.is_empty() {
            self.err(Code::TestFileShape, node.loc, "a user needs a `uid` and a `name`");
            return Err(());
        }
        u.gid = gid.unwrap_or(u.uid);
        if u.home.is_empty() {
            u.home = if u.uid == 0 { "/root".into() } else { format!("/home/{}", u.name) };
        }
        Ok(u)
    }

    fn container(&mut self, node: &Node) -> R<ContainerSpec> {
        let mut c = ContainerSpec { id: String::new(), name: None, image: None, privileged: false };
        let mut id_loc = node.loc;
        if let Some(s) = node.as_scalar() {
            c.id = s.value.clone();
        } else {
            for (key, _, v) in self.entries(node, CONTAINER_KEYS, "`container`")? {
                match key {
                    "id" => {
                        c.id = self.string(v, "`id`")?;
                        id_loc = v.loc;
                    }
                    "name" => c.name = Some(self.string(v, "`name`")?),
                    "image" => c.image = Some(self.string(v, "`image`")?),
                    _ => c.privileged = self.boolean(v, "`privileged`")?,
                }
            }
            if c.id.is_empty() {
                // A stable id from what identifies the container, so two processes declaring
                // the same container agree.
                let key = format!("{}|{}", c.name.as_deref().unwrap_or(""), c.image.as_deref().unwrap_or(""));
                c.id = format!("{:012x}", fnv1a(key.as_bytes()) & 0xffff_ffff_ffff);
            }
        }
        if !(12..=64).contains(&c.id.len()) || !c.id.bytes().all(|b| b.is_ascii_hexdigit()) {
            self.err_hint(
                Code::BadTestValue,
                id_loc,
                format!("container id `{}` is not 12 to 64 hex digits", c.id),
                "Falco shows the first 12 hex digits of the runtime's id, e.g. `abc123def456`",
            );
            return Err(());
        }
        c.id = c.id.to_ascii_lowercase();
        Ok(c)
    }

    fn caps(&mut self, node: &Node) -> R<u64> {
        if let Some(s) = node.as_scalar() {
            match s.value.to_ascii_lowercase().as_str() {
                "all" => return Ok(CAPS_ALL),
                "none" | "" => return Ok(0),
                _ => {}
            }
        }
        let names = self.name_list(node, "`caps`")?;
        let mut bits = 0u64;
        for (name, loc) in names {
            let upper = name.to_ascii_uppercase();
            let full = if upper.starts_with("CAP_") { upper } else { format!("CAP_{upper}") };
            match CAP_NAMES.iter().position(|c| *c == full) {
                Some(i) => bits |= 1 << i,
                None => self.err_hint(
                    Code::BadTestValue,
                    loc,
                    format!("`{name}` is not a capability"),
                    "write names like CAP_SYS_ADMIN, or `all`, or `none`",
                ),
            }
        }
        Ok(bits)
    }

    /// Names as a sequence or as one `A|B` string.
    fn name_list(&mut self, node: &Node, what: &str) -> R<Vec<(String, Location)>> {
        let items = self.strings(node, what)?;
        let mut out = Vec::new();
        for (s, loc) in items {
            for part in s.split(['|', ',']).map(str::trim).filter(|p| !p.is_empty()) {
                out.push((part.to_owned(), loc));
            }
        }
        Ok(out)
    }

    fn flag_names(&mut self, node: &Node, set: &flags::FlagSet, what: &str) -> R<u64> {
        if let Some(s) = node.as_scalar()
            && let Some(v) = parse_int(&s.value)
        {
            return Ok(v as u64);
        }
        let mut bits = 0;
        for (name, loc) in self.name_list(node, what)? {
            match flag_value(set, &name) {
                Some(v) => bits |= v,
                None => {
                    let names: Vec<&str> = set.entries.iter().map(|(n, _)| *n).collect();
                    self.err_hint(
                        Code::BadParamValue,
                        loc,
                        format!("`{name}` is not one of the names of {what}"),
                        format!("known: {}", names.join(", ")),
                    );
                    return Err(());
                }
            }
        }
        Ok(bits)
    }

    fn args(&mut self, node: &Node) -> R<Vec<String>> {
        if let Some(s) = node.as_scalar() {
            return Ok(s.value.split_whitespace().map(str::to_owned).collect());
        }
        Ok(self.strings(node, "`args`")?.into_iter().map(|(s, _)| s).collect())
    }

    fn env(&mut self, node: &Node) -> R<Vec<String>> {
        if let Some(map) = node.as_map() {
            let mut out = Vec::new();
            for (k, v) in map {
                let k = self.string(k, "an environment variable")?;
                let v = if v.is_null() { String::new() } else { self.string(v, "an environment value")? };
                out.push(format!("{k}={v}"));
            }
            return Ok(out);
        }
        Ok(self.strings(node, "`env`")?.into_iter().map(|(s, _)| s).collect())
    }

    fn fd(&mut self, node: &Node) -> R<FdSpec> {
        let entries = self.entries(node, FD_KEYS, "an fd")?;
        let get = |k: &str| entries.iter().find(|(key, _, _)| *key == k).map(|(_, _, v)| *v);
        let Some(fd_node) = get("fd") else {
            self.err(Code::TestFileShape, node.loc, "an fd needs its number, `fd`");
            return Err(());
        };
        let fd = self.int(fd_node, "`fd`")?;
        let kinds: Vec<&str> =
            ["file", "dir", "socket", "unix", "pipe"].into_iter().filter(|k| get(k).is_some()).collect();
        if kinds.len() != 1 {
            self.err_hint(
                Code::TestFileShape,
                node.loc,
                "an fd needs exactly one of `file`, `dir`, `socket`, `unix`, `pipe`",
                "for example `{fd: 3, file: /etc/passwd}`",
            );
            return Err(());
        }
        let kind_node = get(kinds[0]).ok_or(())?;
        let spec = match kinds[0] {
            "file" => {
                let flags = match get("flags") {
                    Some(v) => self.flag_names(v, &flags::FILE_FLAGS, "`flags`")? as u32,
                    None => flags::PPM_O_RDONLY,
                };
                FdSpec::File { fd, path: self.string(kind_node, "`file` (a path)")?, flags }
            }
            "dir" => FdSpec::Dir { fd, path: self.string(kind_node, "`dir` (a path)")? },
            "unix" => FdSpec::Unix { fd, path: self.string(kind_node, "`unix` (a path)")? },
            "pipe" => FdSpec::Pipe { fd },
            _ => {
                let proto = self.string(kind_node, "`socket`")?;
                let udp = match proto.as_str() {
                    "tcp" => false,
                    "udp" => true,
                    _ => {
                        self.err(Code::BadTestValue, kind_node.loc, "`socket` must be `tcp` or `udp`");
                        return Err(());
                    }
                };
                let addr = |p: &mut Parser, k: &str| -> R<Option<SockAddr>> {
                    match get(k) {
                        None => Ok(None),
                        Some(v) => {
                            let s = p.string(v, k)?;
                            match parse_sockaddr(&s) {
                                Some(a @ (SockAddr::V4(..) | SockAddr::V6(..))) => Ok(Some(a)),
                                _ => {
                                    p.err(
                                        Code::BadTestValue,
                                        v.loc,
                                        format!("`{s}` is not an address with a port (`10.0.0.1:443`, `[::1]:80`)"),
                                    );
                                    Err(())
                                }
                            }
                        }
                    }
                };
                let local = addr(self, "local")?;
                let remote = addr(self, "remote")?;
                let server = match get("role").map(|v| self.string(v, "`role`")).transpose()?.as_deref() {
                    Some("server") => true,
                    Some("client") => false,
                    Some(other) => {
                        self.err(
                            Code::BadTestValue,
                            get("role").map_or(node.loc, |v| v.loc),
                            format!("`role` must be `client` or `server`, not `{other}`"),
                        );
                        return Err(());
                    }
                    None => remote.is_none(),
                };
                FdSpec::Socket { fd, udp, local, remote, server }
            }
        };
        Ok(spec)
    }
}

/// Adds `init` (pid 1) unless declared, and the default process when the world has none.
pub(super) fn with_default_process(mut world: World) -> World {
    let has = |w: &World, pid: i64| w.processes.iter().any(|p| p.pid == pid || p.threads.contains(&pid));
    if world.processes.iter().all(|p| p.pid == 1) && !has(&world, DEFAULT_PID) {
        world.processes.push(default_process(
            DEFAULT_PID,
            "test-process",
            1,
            world.processes.first().map_or(Location::new(rulec_compiler::FileId(0), 0, 0), |p| p.loc),
        ));
    }
    if !has(&world, 1) {
        let loc = world.processes.first().map_or(Location::new(rulec_compiler::FileId(0), 0, 0), |p| p.loc);
        let mut init = default_process(1, "init", 0, loc);
        init.exe = "/sbin/init".into();
        init.exepath = "/sbin/init".into();
        world.processes.insert(0, init);
    }
    world
}

fn default_process(pid: i64, name: &str, ppid: i64, loc: Location) -> ProcessSpec {
    ProcessSpec {
        pid,
        ppid,
        threads: Vec::new(),
        name: name.into(),
        exe: format!("/usr/bin/{name}"),
        exepath: format!("/usr/bin/{name}"),
        args: Vec::new(),
        uid: 0,
        gid: 0,
        user_name: None,
        loginuid: u32::MAX,
        cwd: "/".into(),
        env: vec!["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into()],
        tty: 0,
        vpid: None,
        container: None,
        caps: None,
        age: DEFAULT_AGE,
        exe_flags: 0,
        fds: Vec::new(),
        loc,
    }
}
