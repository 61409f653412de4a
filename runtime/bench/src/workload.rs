//! A deterministic, seeded generator of realistic mixed syscall event streams, with the matching
//! starting world ([`State`]), for benchmarks and differential tests.
//!
//! This module owns [`Generator`] and [`rulec_runtime::event::build_event`] (an [`Event`] built from the event table's
//! newest layout, parameters by name).
//!
//! # The world
//!
//! A Kubernetes node: `systemd` (1) with `systemd-journald`, `sshd` → `sshd` (alice's session)
//! → `bash` on a tty, `cron`, `containerd`, `kubelet`, a host `postgres`, and three
//! `containerd-shim`s running containers: `nginx` (master + 2 workers, container `c1`), a
//! `python3` gunicorn app with 3 threads (`c2`) and a `java` service with 8 threads (`c3`).
//! Processes have the fds such services have (listening and connected sockets, log files, an
//! epoll fd, unix sockets, stdio); the host and container user tables are seeded.
//!
//! # The stream
//!
//! Exit events only (plus `procexit`), as current drivers send them. Each step picks an active
//! thread (weighted: java 25, python 20, nginx 20, kubelet 10, journald 8, containerd 6,
//! postgres 6, bash 3, sshd 2) and an action from this table (weights per 10 000 steps):
//!
//! | action | weight | | action | weight |
//! |---|---|---|---|---|
//! | read | 2300 | | openat (10% fail ENOENT) | 700 |
//! | write | 1400 | | close (of an fd it opened) | 650 |
//! | futex | 1365 | | lseek | 150 |
//! | epoll_wait | 700 | | ioctl | 100 |
//! | recvfrom | 400 | | getdents64 | 50 |
//! | sendto | 400 | | poll | 150 |
//! | mmap | 250 | | nanosleep | 200 |
//! | munmap | 150 | | select | 50 |
//! | mprotect | 150 | | connect (socket + connect) | 40 |
//! | brk | 50 | | accept4 | 40 |
//! | fstat | 250 | | socket + close | 30 |
//! | newfstatat | 250 | | spawn (clone, execve, I/O, procexit: ~8-14 events) | 20 |
//! | stat | 100 | | suspicious scenario (below) | 5 |
//!
//! Spawns: cron → sh → logrotate, bash → a tool (`ls`, `cat`, `ps`, `grep`, `git`, `vim`,
//! `curl`...), kubelet → `iptables`/`du`, java → a new thread.
//!
//! Suspicious scenarios (what upstream rules look for), chosen uniformly: a terminal shell in
//! a container, `/etc/shadow` read by a container's python, nginx spawning `sh -c`, a shell in
//! a container connecting out and redirecting stdio to the socket, `find / -name id_rsa`,
//! truncating `/var/log/syslog`, executing from `/dev/shm`, executing from a memfd, a packet
//! socket in a container, `ssh` to port 443, a write below `/etc`, a symlink to `/etc/shadow`.
//!
//! Every event is consistent with the world: it is applied to an internal copy of the state
//! before it is returned, and fds/threads it names exist there. The same seed gives the same
//! stream.

use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr};

use rulec_runtime::event::{Direction, Event, ParamType, ParamValue, SockAddr, SockTuple, build_event};
use rulec_runtime::flags;
use rulec_runtime::state::{FdInfo, FdKind, GroupInfo, L4Proto, SockInfo, SockRole, State, ThreadInfo, UserInfo};

/// SplitMix64: small, fast, good enough for workload shapes, and stable across platforms. The
/// generator's source of randomness, and the seeded one the randomised tests share.
#[derive(Debug, Clone)]
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
    /// An index below `n` (0 when `n` is 0).
    pub fn index(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.index(xs.len())]
    }
    /// 1 to `max` elements of `xs`, drawn with repetition.
    pub fn some<T: Copy>(&mut self, xs: &[T], max: usize) -> Vec<T> {
        let n = 1 + self.index(max);
        (0..n).map(|_| *self.pick(xs)).collect()
    }
    /// True `per_mille` times in a thousand.
    pub fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
    /// True `percent` times in a hundred.
    pub fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    /// An index drawn with the given weights.
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|w| u64::from(*w)).sum();
        let mut x = self.below(total);
        for (i, w) in weights.iter().enumerate() {
            let w = u64::from(*w);
            if x < w {
                return i;
            }
            x -= w;
        }
        weights.len().saturating_sub(1)
    }
}

/// What a long-lived process does (which files it opens, which peers it talks to).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Nginx,
    Python,
    Java,
    Kubelet,
    Journald,
    Containerd,
    Postgres,
    Bash,
    Sshd,
}

#[derive(Debug, Clone, Copy)]
struct Actor {
    tid: i64,
    role: Role,
    weight: u32,
}

/// The syscall mix (see the module doc).
const ACTIONS: &[(Action, u32)] = &[
    (Action::Read, 2300),
    (Action::Write, 1400),
    (Action::Futex, 1365),
    (Action::EpollWait, 700),
    (Action::Recvfrom, 400),
    (Action::Sendto, 400),
    (Action::Mmap, 250),
    (Action::Munmap, 150),
    (Action::Mprotect, 150),
    (Action::Brk, 50),
    (Action::Fstat, 250),
    (Action::Newfstatat, 250),
    (Action::Stat, 100),
    (Action::Openat, 700),
    (Action::Close, 650),
    (Action::Lseek, 150),
    (Action::Ioctl, 100),
    (Action::Getdents, 50),
    (Action::Poll, 150),
    (Action::Nanosleep, 200),
    (Action::Select, 50),
    (Action::Connect, 40),
    (Action::Accept, 40),
    (Action::SocketClose, 30),
    (Action::Spawn, 20),
    (Action::Suspicious, 5),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Read,
    Write,
    Futex,
    EpollWait,
    Recvfrom,
    Sendto,
    Mmap,
    Munmap,
    Mprotect,
    Brk,
    Fstat,
    Newfstatat,
    Stat,
    Openat,
    Close,
    Lseek,
    Ioctl,
    Getdents,
    Poll,
    Nanosleep,
    Select,
    Connect,
    Accept,
    SocketClose,
    Spawn,
    Suspicious,
}

const C1: &str = "3f2a9c1b7d4e5a6b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d";
const C2: &str = "8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c";
const C3: &str = "d41d8cd98f00b204e9800998ecf8427ed41d8cd98f00b204e9800998ecf8427e";

fn cgroups_of(cid64: &str, pod: &str) -> Vec<String> {
    ["cpuset", "cpu", "memory", "pids"]
        .iter()
        .map(|s| format!("{s}=/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod{pod}.slice/cri-containerd-{cid64}.scope"))
        .collect()
}

fn nul_join(items: &[&str]) -> Vec<u8> {
    let mut b = Vec::new();
    for i in items {
        b.extend_from_slice(i.as_bytes());
        b.push(0);
    }
    b
}

fn flags32(bits: u32) -> ParamValue {
    ParamValue::Flags { ty: ParamType::Flags32, bits: u64::from(bits) }
}

fn v4(a: u8, b: u8, c: u8, d: u8) -> Ipv4Addr {
    Ipv4Addr::new(a, b, c, d)
}

const O_RDONLY: u32 = flags::PPM_O_RDONLY;
const O_WRONLY: u32 = flags::PPM_O_WRONLY;
const O_RDWR: u32 = flags::PPM_O_RDONLY | flags::PPM_O_WRONLY;
const O_CREAT: u32 = flags::PPM_O_CREAT;
const O_TRUNC: u32 = 1 << 8;
const O_APPEND: u32 = 1 << 3;
const O_CLOEXEC: u32 = flags::PPM_O_CLOEXEC;
const TTY_PTS0: u32 = 34816;
const TTY_PTS1: u32 = 34817;
/// CAP_CHOWN..CAP_SETFCAP minus a few: Docker's default set.
const CAPS_CONTAINER: u64 = 0x0000_0000_a80c_25fb;
const CAPS_ALL: u64 = 0x0000_01ff_ffff_ffff;

/// A seeded stream of events over a seeded world.
#[derive(Debug, Clone)]
pub struct Generator {
    rng: SplitMix64,
    ts: u64,
    initial: State,
    world: State,
    actors: Vec<Actor>,
    queue: VecDeque<Event>,
    next_pid: i64,
}

impl Generator {
    /// A generator for `seed`: the same seed gives the same world and stream.
    pub fn new(seed: u64) -> Self {
        let world = build_world();
        let actors = vec![
            Actor { tid: 1031, role: Role::Nginx, weight: 10 },
            Actor { tid: 1032, role: Role::Nginx, weight: 10 },
            Actor { tid: 1130, role: Role::Python, weight: 8 },
            Actor { tid: 1131, role: Role::Python, weight: 6 },
            Actor { tid: 1132, role: Role::Python, weight: 6 },
            Actor { tid: 1230, role: Role::Java, weight: 4 },
            Actor { tid: 1231, role: Role::Java, weight: 3 },
            Actor { tid: 1232, role: Role::Java, weight: 3 },
            Actor { tid: 1233, role: Role::Java, weight: 3 },
            Actor { tid: 1234, role: Role::Java, weight: 3 },
            Actor { tid: 1235, role: Role::Java, weight: 3 },
            Actor { tid: 1236, role: Role::Java, weight: 3 },
            Actor { tid: 1237, role: Role::Java, weight: 3 },
            Actor { tid: 720, role: Role::Kubelet, weight: 10 },
            Actor { tid: 320, role: Role::Journald, weight: 8 },
            Actor { tid: 700, role: Role::Containerd, weight: 6 },
            Actor { tid: 760, role: Role::Postgres, weight: 6 },
            Actor { tid: 2010, role: Role::Bash, weight: 3 },
            Actor { tid: 2000, role: Role::Sshd, weight: 2 },
        ];
        Generator {
            rng: SplitMix64(seed ^ 0x5EED_0F_F41C0),
            ts: 1_700_000_000_000_000_000 + (seed % 1_000_000) * 1_000,
            initial: world.clone(),
            world,
            actors,
            queue: VecDeque::new(),
            next_pid: 3000,
        }
    }

    /// The starting world (before any generated event).
    pub fn state(&self) -> State {
        self.initial.clone()
    }

    /// The next event. Apply it to a copy of [`Generator::state`] in order (as the engine
    /// does) and the stream is consistent with that state.
    pub fn next_event(&mut self) -> Event {
        loop {
            if let Some(ev) = self.queue.pop_front() {
                self.world.apply(&ev);
                return ev;
            }
            self.step();
        }
    }

    fn tick(&mut self) -> u64 {
        self.ts += 2_000 + self.rng.below(38_000);
        self.ts
    }

    fn push(&mut self, tid: i64, name: &'static str, values: Vec<(&'static str, ParamValue)>) {
        let ts = self.tick();
        let dir = if name == "procexit" { Direction::Enter } else { Direction::Exit };
        let mut ev = build_event(ts, tid, name, dir, values);
        ev.cpu = (tid % 2) as u16;
        self.queue.push_back(ev);
    }

    fn step(&mut self) {
        let weights: Vec<u32> = self.actors.iter().map(|a| a.weight).collect();
        let actor = self.actors[self.rng.weighted(&weights)];
        let aw: Vec<u32> = ACTIONS.iter().map(|(_, w)| *w).collect();
        let action = ACTIONS[self.rng.weighted(&aw)].0;
        self.act(actor, action);
    }

    /// Fds of `tid`'s process matching `pred`, from the world as it will be after the queue
    /// (the queue is empty when this is called).
    fn fds_where(&self, tid: i64, pred: impl Fn(&FdInfo) -> bool) -> Vec<(i64, FdKind, String)> {
        self.world.fds(tid).filter(|f| pred(f)).map(|f| (f.fd, f.kind, f.name.clone())).collect()
    }

    fn free_fd(&self, tid: i64) -> i64 {
        let mut n = 3;
        let used: Vec<i64> = self.world.fds(tid).map(|f| f.fd).collect();
        while used.contains(&n) {
            n += 1;
        }
        n
    }

    fn act(&mut self, a: Actor, action: Action) {
        let tid = a.tid;
        match action {
            Action::Read | Action::Write => {
                let files = self.fds_where(tid, |f| {
                    matches!(f.kind, FdKind::File | FdKind::Pipe | FdKind::Ipv4Sock | FdKind::UnixSock) && f.fd > 2
                });
                if files.is_empty() {
                    return self.act(a, Action::Futex);
                }
                let (fd, _, name) = self.rng.pick(&files).clone();
                let data = payload(a.role, &name, action == Action::Write);
                let size = 4096u32;
                let res = if self.rng.chance(20) { -11 } else { data.len() as i64 };
                let ev = if action == Action::Read { "read" } else { "write" };
                self.push(
                    tid,
                    ev,
                    vec![
                        ("res", ParamValue::Errno(res)),
                        ("data", ParamValue::Bytes(if res < 0 { Vec::new() } else { data })),
                        ("fd", ParamValue::Fd(fd)),
                        ("size", ParamValue::U32(size)),
                    ],
                );
            }
            Action::Futex => {
                let addr = 0x7f00_0000_0000 + self.rng.below(1 << 20) * 8;
                let res = if self.rng.chance(300) { -110 } else { 0 };
                self.push(
                    tid,
                    "futex",
                    vec![
                        ("res", ParamValue::Errno(res)),
                        ("addr", ParamValue::U64(addr)),
                        ("op", ParamValue::Flags { ty: ParamType::Flags16, bits: 128 | 9 }),
                        ("val", ParamValue::U64(0)),
                    ],
                );
            }
            Action::EpollWait => {
                let n = self.rng.below(4) as i64;
                self.push(
                    tid,
                    "epoll_wait",
                    vec![("res", ParamValue::Errno(n)), ("maxevents", ParamValue::Errno(1024))],
                );
            }
            Action::Recvfrom | Action::Sendto => {
                let socks =
                    self.fds_where(tid, |f| f.kind == FdKind::Ipv4Sock && f.sock.as_ref().is_some_and(|s| s.connected));
                if socks.is_empty() {
                    return self.act(a, if action == Action::Recvfrom { Action::Read } else { Action::Write });
                }
                let (fd, _, name) = self.rng.pick(&socks).clone();
                let data = payload(a.role, &name, action == Action::Sendto);
                let len = data.len() as i64;
                if action == Action::Recvfrom {
                    self.push(
                        tid,
                        "recvfrom",
                        vec![
                            ("res", ParamValue::Errno(len)),
                            ("data", ParamValue::Bytes(data)),
                            ("fd", ParamValue::Fd(fd)),
                            ("size", ParamValue::U32(65536)),
                        ],
                    );
                } else {
                    self.push(
                        tid,
                        "sendto",
                        vec![
                            ("res", ParamValue::Errno(len)),
                            ("data", ParamValue::Bytes(data)),
                            ("fd", ParamValue::Fd(fd)),
                            ("size", ParamValue::U32(len as u32)),
                        ],
                    );
                }
            }
            Action::Mmap => {
                let len = 4096 * (1 + self.rng.below(256));
                let addr = 0x7f3a_0000_0000 + self.rng.below(1 << 24) * 4096;
                self.push(
                    tid,
                    "mmap",
                    vec![
                        ("res", ParamValue::Errno(addr as i64)),
                        ("vm_size", ParamValue::U32(812_344)),
                        ("vm_rss", ParamValue::U32(120_100)),
                        ("vm_swap", ParamValue::U32(0)),
                        ("addr", ParamValue::U64(0)),
                        ("length", ParamValue::U64(len)),
                        ("prot", flags32(3)),
                        ("flags", flags32(10)),
                        ("fd", ParamValue::Fd(-1)),
                        ("offset", ParamValue::U64(0)),
                    ],
                );
            }
            Action::Munmap => {
                let addr = 0x7f3a_0000_0000 + self.rng.below(1 << 24) * 4096;
                self.push(
                    tid,
                    "munmap",
                    vec![
                        ("res", ParamValue::Errno(0)),
                        ("vm_size", ParamValue::U32(810_000)),
                        ("vm_rss", ParamValue::U32(119_000)),
                        ("vm_swap", ParamValue::U32(0)),
                        ("addr", ParamValue::U64(addr)),
                        ("length", ParamValue::U64(65536)),
                    ],
                );
            }
            Action::Mprotect => {
                let addr = 0x7f3a_0000_0000 + self.rng.below(1 << 24) * 4096;
                self.push(
                    tid,
                    "mprotect",
                    vec![
                        ("res", ParamValue::Errno(0)),
                        ("addr", ParamValue::U64(addr)),
                        ("length", ParamValue::U64(4096)),
                        ("prot", flags32(1)),
                    ],
                );
            }
            Action::Brk => {
                let addr = 0x5555_5600_0000 + self.rng.below(1 << 16) * 4096;
                self.push(
                    tid,
                    "brk",
                    vec![
                        ("res", ParamValue::U64(addr)),
                        ("vm_size", ParamValue::U32(20_000)),
                        ("vm_rss", ParamValue::U32(6_000)),
                        ("vm_swap", ParamValue::U32(0)),
                        ("addr", ParamValue::U64(addr)),
                    ],
                );
            }
            Action::Fstat | Action::Lseek | Action::Ioctl | Action::Getdents => {
                let fds = self.fds_where(tid, |f| f.kind == FdKind::File || f.kind == FdKind::Directory);
                if fds.is_empty() {
                    return self.act(a, Action::Futex);
                }
                let (fd, _, _) = self.rng.pick(&fds).clone();
                match action {
                    Action::Fstat => {
                        self.push(tid, "fstat", vec![("res", ParamValue::Errno(0)), ("fd", ParamValue::Fd(fd))])
                    }
                    Action::Lseek => self.push(
                        tid,
                        "lseek",
                        vec![
                            ("res", ParamValue::Errno(0)),
                            ("fd", ParamValue::Fd(fd)),
                            ("offset", ParamValue::U64(0)),
                            ("whence", ParamValue::Flags { ty: ParamType::EnumFlags8, bits: 0 }),
                        ],
                    ),
                    Action::Ioctl => self.push(
                        tid,
                        "ioctl",
                        vec![
                            ("res", ParamValue::Errno(-25)),
                            ("fd", ParamValue::Fd(fd)),
                            ("request", ParamValue::U64(0x5401)),
                            ("argument", ParamValue::U64(0x7ffd_1234_5678)),
                        ],
                    ),
                    _ => self.push(tid, "getdents64", vec![("res", ParamValue::Errno(0)), ("fd", ParamValue::Fd(fd))]),
                }
            }
            Action::Newfstatat | Action::Stat => {
                let path = self.path_for(a.role, false);
                let res = if self.rng.chance(150) { -2 } else { 0 };
                if action == Action::Stat {
                    self.push(tid, "stat", vec![("res", ParamValue::Errno(res)), ("path", ParamValue::Path(path))]);
                } else {
                    self.push(
                        tid,
                        "newfstatat",
                        vec![
                            ("res", ParamValue::Errno(res)),
                            ("dirfd", ParamValue::Fd(-100)),
                            ("path", ParamValue::RelPath(path)),
                            ("flags", flags32(0)),
                        ],
                    );
                }
            }
            Action::Openat => {
                let opened = self.fds_where(tid, |f| f.kind == FdKind::File && f.fd >= 3).len();
                if opened > 24 {
                    return self.act(a, Action::Close);
                }
                let write = self.rng.chance(250);
                let path = self.path_for(a.role, write);
                let fail = self.rng.chance(100);
                let fd = if fail { -2 } else { self.free_fd(tid) };
                let fl = if write { O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC } else { O_RDONLY | O_CLOEXEC };
                self.push_open(tid, fd, &path, fl, 0o644);
            }
            Action::Close => {
                let fds = self.fds_where(tid, |f| f.kind == FdKind::File && f.fd >= 3 && f.open_flags & O_CLOEXEC != 0);
                if fds.is_empty() {
                    return self.act(a, Action::Fstat);
                }
                let (fd, _, _) = self.rng.pick(&fds).clone();
                self.push(tid, "close", vec![("res", ParamValue::Errno(0)), ("fd", ParamValue::Fd(fd))]);
            }
            Action::Poll => {
                let fds: Vec<(i64, u16)> =
                    self.fds_where(tid, |f| f.kind.is_socket()).iter().take(4).map(|(fd, _, _)| (*fd, 1u16)).collect();
                self.push(
                    tid,
                    "poll",
                    vec![
                        ("res", ParamValue::Errno(i64::from(!fds.is_empty()))),
                        ("fds", ParamValue::FdList(fds)),
                        ("timeout", ParamValue::I64(1000)),
                    ],
                );
            }
            Action::Nanosleep => self.push(
                tid,
                "nanosleep",
                vec![("res", ParamValue::Errno(0)), ("interval", ParamValue::RelTime(10_000_000))],
            ),
            Action::Select => self.push(tid, "select", vec![("res", ParamValue::Errno(0))]),
            Action::Connect => self.connect_out(a),
            Action::Accept => self.accept_in(a),
            Action::SocketClose => {
                let fd = self.free_fd(tid);
                self.push_socket(tid, fd, flags::PPM_AF_INET, 2);
                self.push(tid, "close", vec![("res", ParamValue::Errno(0)), ("fd", ParamValue::Fd(fd))]);
            }
            Action::Spawn => self.spawn_benign(),
            Action::Suspicious => self.suspicious(),
        }
    }

    fn push_open(&mut self, tid: i64, fd: i64, path: &str, fl: u32, mode: u32) {
        let ino = if fd >= 0 { 100_000 + self.rng.below(900_000) } else { 0 };
        self.push(
            tid,
            "openat",
            vec![
                ("fd", ParamValue::Fd(fd)),
                ("dirfd", ParamValue::Fd(-100)),
                ("name", ParamValue::RelPath(path.to_string())),
                ("flags", flags32(fl)),
                ("mode", ParamValue::U32(mode)),
                ("dev", ParamValue::U32(if fd >= 0 { 0x10_0001 } else { 0 })),
                ("ino", ParamValue::U64(ino)),
            ],
        );
    }

    fn push_socket(&mut self, tid: i64, fd: i64, domain: u8, ty: u32) {
        self.push(
            tid,
            "socket",
            vec![
                ("fd", ParamValue::Fd(fd)),
                ("domain", ParamValue::Flags { ty: ParamType::EnumFlags32, bits: u64::from(domain) }),
                ("type", ParamValue::U32(ty)),
                ("proto", ParamValue::U32(0)),
                ("flags", flags32(O_CLOEXEC)),
            ],
        );
    }

    fn push_connect(&mut self, tid: i64, fd: i64, src: Ipv4Addr, sport: u16, dst: Ipv4Addr, dport: u16, res: i64) {
        self.push(
            tid,
            "connect",
            vec![
                ("res", ParamValue::Errno(res)),
                ("tuple", ParamValue::SockTuple(SockTuple::V4 { sip: src, sport, dip: dst, dport })),
                ("fd", ParamValue::Fd(fd)),
                ("addr", ParamValue::SockAddr(SockAddr::V4(dst, dport))),
            ],
        );
    }

    fn local_ip(role: Role) -> Ipv4Addr {
        match role {
            Role::Nginx => v4(10, 244, 1, 5),
            Role::Python => v4(10, 244, 1, 7),
            Role::Java => v4(10, 244, 2, 9),
            _ => v4(10, 0, 0, 4),
        }
    }

    fn connect_out(&mut self, a: Actor) {
        let (dst, dport) = match a.role {
            Role::Python => (v4(10, 0, 0, 5), 5432),
            Role::Java => (*self.rng.pick(&[v4(10, 0, 1, 20), v4(10, 0, 1, 21)]), 9092),
            Role::Kubelet => (v4(10, 0, 0, 1), 6443),
            Role::Nginx => (v4(10, 244, 1, 7), 8000),
            _ => (v4(10, 0, 0, 53), 53),
        };
        let fd = self.free_fd(a.tid);
        let sport = 32768 + self.rng.below(28000) as u16;
        let res = if self.rng.chance(100) {
            -111
        } else if self.rng.chance(300) {
            -115
        } else {
            0
        };
        self.push_socket(a.tid, fd, flags::PPM_AF_INET, 1);
        self.push_connect(a.tid, fd, Self::local_ip(a.role), sport, dst, dport, res);
        if res == -111 {
            self.push(a.tid, "close", vec![("res", ParamValue::Errno(0)), ("fd", ParamValue::Fd(fd))]);
        }
    }

    fn accept_in(&mut self, a: Actor) {
        let listening = self.fds_where(a.tid, |f| {
            f.kind == FdKind::Ipv4Sock && f.sock.as_ref().is_some_and(|s| s.role == SockRole::Server && !s.connected)
        });
        let Some((_, _, name)) = listening.first().cloned() else {
            return self.act(a, Action::EpollWait);
        };
        let port: u16 = name.rsplit(':').next().and_then(|p| p.parse().ok()).unwrap_or(80);
        let fd = self.free_fd(a.tid);
        let client = v4(10, 244, 0, 1 + self.rng.below(200) as u8);
        let cport = 32768 + self.rng.below(28000) as u16;
        self.push(
            a.tid,
            "accept4",
            vec![
                ("fd", ParamValue::Fd(fd)),
                (
                    "tuple",
                    ParamValue::SockTuple(SockTuple::V4 {
                        sip: client,
                        sport: cport,
                        dip: Self::local_ip(a.role),
                        dport: port,
                    }),
                ),
                ("queuepct", ParamValue::U8(0)),
                ("queuelen", ParamValue::U32(0)),
                ("queuemax", ParamValue::U32(511)),
                ("flags", ParamValue::I32(0)),
            ],
        );
        let req = format!("GET /api/v1/items/{} HTTP/1.1\r\nHost: shop.example.com\r\n", self.rng.below(1000));
        self.push(
            a.tid,
            "read",
            vec![
                ("res", ParamValue::Errno(req.len() as i64)),
                ("data", ParamValue::Bytes(req.into_bytes())),
                ("fd", ParamValue::Fd(fd)),
                ("size", ParamValue::U32(1024)),
            ],
        );
        self.push(a.tid, "close", vec![("res", ParamValue::Errno(0)), ("fd", ParamValue::Fd(fd))]);
    }

    fn path_for(&mut self, role: Role, write: bool) -> String {
        let n = self.rng.below(64);
        match (role, write) {
            (Role::Nginx, false) => self
                .rng
                .pick(&[
                    "/usr/share/nginx/html/index.html".to_string(),
                    "/etc/nginx/mime.types".to_string(),
                    format!("/usr/share/nginx/html/static/app.{n}.js"),
                    format!("/usr/share/nginx/html/img/p{n}.png"),
                ])
                .clone(),
            (Role::Nginx, true) => format!("/var/cache/nginx/proxy_temp/{}/{n:02}/00000{n}", n % 10),
            (Role::Python, false) => self
                .rng
                .pick(&[
                    format!("/usr/local/lib/python3.11/site-packages/flask/mod{n}.py"),
                    format!("/app/templates/page{n}.html"),
                    "/proc/self/status".to_string(),
                    "/etc/localtime".to_string(),
                    "/usr/lib/x86_64-linux-gnu/libssl.so.3".to_string(),
                ])
                .clone(),
            (Role::Python, true) => format!("/tmp/tmp{:08x}", self.rng.next() as u32),
            (Role::Java, false) => self
                .rng
                .pick(&[
                    "/app/config/application.yml".to_string(),
                    "/proc/self/stat".to_string(),
                    "/sys/fs/cgroup/cpu.max".to_string(),
                    "/opt/java/openjdk/lib/modules".to_string(),
                    "/etc/resolv.conf".to_string(),
                ])
                .clone(),
            (Role::Java, true) => format!("/app/logs/service.{n}.log"),
            (Role::Kubelet, false) => self
                .rng
                .pick(&[
                    format!("/proc/{}/stat", 1000 + n),
                    format!("/sys/fs/cgroup/kubepods.slice/kubepods-besteffort.slice/cpu.stat{n}"),
                    "/etc/kubernetes/kubelet.conf".to_string(),
                    format!("/var/lib/kubelet/pods/0f1e2d3c-{n:04}/volumes"),
                ])
                .clone(),
            (Role::Kubelet, true) => format!("/var/lib/kubelet/pods/0f1e2d3c-{n:04}/etc-hosts"),
            (Role::Journald, false) => format!("/proc/{}/cmdline", 1000 + n),
            (Role::Journald, true) => "/var/log/journal/7c1a/system.journal".to_string(),
            (Role::Containerd, false) => {
                format!("/run/containerd/io.containerd.runtime.v2.task/k8s.io/{}/config.json", &C1[..12])
            }
            (Role::Containerd, true) => "/var/lib/containerd/io.containerd.metadata.v1.bolt/meta.db".to_string(),
            (Role::Postgres, _) => format!("/var/lib/postgresql/15/main/base/16384/{}", 2600 + n),
            (Role::Bash | Role::Sshd, false) => self
                .rng
                .pick(&[
                    "/etc/passwd".to_string(),
                    "/home/alice/.bashrc".to_string(),
                    "/usr/lib/x86_64-linux-gnu/libc.so.6".to_string(),
                    "/etc/ld.so.cache".to_string(),
                ])
                .clone(),
            (Role::Bash | Role::Sshd, true) => "/home/alice/.bash_history".to_string(),
        }
    }

    /// Clone in `parent`, then execve of `exe args` in the child; returns the child's pid.
    #[allow(clippy::too_many_arguments)]
    fn spawn(
        &mut self,
        parent: i64,
        exe: &str,
        args: &[&str],
        container: Option<(&str, &str)>,
        tty: u32,
        uid: u32,
        exe_flags: u32,
    ) -> i64 {
        let child = self.next_pid;
        self.next_pid += 1 + self.rng.below(3) as i64;
        let p = self.world.thread(parent).map_or_else(|| ThreadInfo::new(parent, parent, 1), |t| t.info().clone());
        self.push(
            parent,
            "clone",
            vec![
                ("res", ParamValue::Pid(child)),
                ("exe", ParamValue::Str(p.exe.clone())),
                ("args", ParamValue::Bytes(nul_join(&p.args.iter().map(String::as_str).collect::<Vec<_>>()))),
                ("tid", ParamValue::Pid(parent)),
                ("pid", ParamValue::Pid(p.pid)),
                ("ptid", ParamValue::Pid(p.ptid)),
                ("cwd", ParamValue::Str(p.cwd.clone())),
                ("fdlimit", ParamValue::I64(1_048_576)),
                ("comm", ParamValue::Str(p.comm.clone())),
                ("flags", flags32(0)),
                ("uid", ParamValue::U32(p.uid)),
                ("gid", ParamValue::U32(p.gid)),
                ("vtid", ParamValue::Pid(child)),
                ("vpid", ParamValue::Pid(child)),
            ],
        );
        let comm = rulec_runtime::state::ThreadInfo::comm_of(exe);
        let cgroups = match container {
            Some((cid, pod)) => cgroups_of(cid, pod),
            None => p.cgroups.iter().map(|(k, v)| format!("{k}={v}")).collect(),
        };
        let cg: Vec<&str> = cgroups.iter().map(String::as_str).collect();
        let caps = if container.is_some() || !p.container_id.is_empty() {
            CAPS_CONTAINER
        } else if uid == 0 {
            CAPS_ALL
        } else {
            0
        };
        let exepath =
            if exe.starts_with('/') || exe.starts_with("memfd:") { exe.to_string() } else { format!("/usr/bin/{exe}") };
        let vm_size = 8_000 + self.rng.below(20_000) as u32;
        let vm_rss = 1_000 + self.rng.below(4_000) as u32;
        let exe_ino = 1_000_000 + self.rng.below(1_000_000);
        self.push(
            child,
            "execve",
            vec![
                ("res", ParamValue::Errno(0)),
                ("exe", ParamValue::Str(exe.to_string())),
                ("args", ParamValue::Bytes(nul_join(args))),
                ("tid", ParamValue::Pid(child)),
                ("pid", ParamValue::Pid(child)),
                ("ptid", ParamValue::Pid(parent)),
                ("cwd", ParamValue::Str(p.cwd.clone())),
                ("fdlimit", ParamValue::U64(1_048_576)),
                ("vm_size", ParamValue::U32(vm_size)),
                ("vm_rss", ParamValue::U32(vm_rss)),
                ("vm_swap", ParamValue::U32(0)),
                ("comm", ParamValue::Str(comm)),
                ("cgroups", ParamValue::Bytes(nul_join(&cg))),
                (
                    "env",
                    ParamValue::Bytes(nul_join(&[
                        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                        "LANG=C.UTF-8",
                    ])),
                ),
                ("tty", ParamValue::U32(tty)),
                ("vpgid", ParamValue::Pid(child)),
                ("loginuid", ParamValue::Uid(p.loginuid)),
                ("flags", flags32(exe_flags)),
                ("cap_inheritable", ParamValue::U64(0)),
                ("cap_permitted", ParamValue::U64(caps)),
                ("cap_effective", ParamValue::U64(caps)),
                ("exe_ino", ParamValue::U64(exe_ino)),
                ("exe_ino_ctime", ParamValue::AbsTime(1_690_000_000_000_000_000)),
                ("exe_ino_mtime", ParamValue::AbsTime(1_690_000_000_000_000_000)),
                ("uid", ParamValue::Uid(uid)),
                ("trusted_exepath", ParamValue::Path(exepath)),
                ("pgid", ParamValue::Pid(child)),
                ("gid", ParamValue::Gid(uid)),
            ],
        );
        child
    }

    fn exit(&mut self, tid: i64) {
        self.push(
            tid,
            "procexit",
            vec![
                ("status", ParamValue::Errno(0)),
                ("ret", ParamValue::Errno(0)),
                ("sig", ParamValue::SigType(0)),
                ("core", ParamValue::U8(0)),
                ("reaper_tid", ParamValue::Pid(1)),
            ],
        );
    }

    /// A few reads of files, like a short-lived tool does.
    fn tool_io(&mut self, tid: i64, paths: &[&str]) {
        for (i, p) in paths.iter().enumerate() {
            let fd = 3 + i as i64 + 10;
            self.push_open(tid, fd, p, O_RDONLY | O_CLOEXEC, 0);
            let data = b"# generated\nroot:x:0:0:root:/root:/bin/bash\n".to_vec();
            self.push(
                tid,
                "read",
                vec![
                    ("res", ParamValue::Errno(data.len() as i64)),
                    ("data", ParamValue::Bytes(data)),
                    ("fd", ParamValue::Fd(fd)),
                    ("size", ParamValue::U32(4096)),
                ],
            );
            self.push(tid, "close", vec![("res", ParamValue::Errno(0)), ("fd", ParamValue::Fd(fd))]);
        }
    }

    fn spawn_benign(&mut self) {
        match self.rng.below(4) {
            0 => {
                let sh = self.spawn(640, "/bin/sh", &["-c", "run-parts --report /etc/cron.hourly"], None, 0, 0, 0);
                let lr = self.spawn(sh, "/usr/sbin/logrotate", &["/etc/logrotate.conf"], None, 0, 0, 0);
                self.tool_io(lr, &["/etc/logrotate.conf", "/var/lib/logrotate/status"]);
                self.exit(lr);
                self.exit(sh);
            }
            1 => {
                let tools: &[(&str, &[&str], &[&str])] = &[
                    ("/usr/bin/ls", &["-la"], &["/etc/ld.so.cache"]),
                    ("/usr/bin/cat", &["/etc/hosts"], &["/etc/hosts"]),
                    ("/usr/bin/ps", &["aux"], &["/proc/1/stat", "/proc/720/stat"]),
                    ("/usr/bin/grep", &["-r", "TODO", "src"], &["/home/alice/src/main.rs"]),
                    ("/usr/bin/git", &["status"], &["/home/alice/src/.git/HEAD"]),
                    ("/usr/bin/vim", &["notes.txt"], &["/home/alice/notes.txt"]),
                ];
                let (exe, args, files) = *self.rng.pick(tools);
                let c = self.spawn(2010, exe, args, None, TTY_PTS0, 1000, 0);
                self.tool_io(c, files);
                self.exit(c);
            }
            2 => {
                let c = if self.rng.chance(500) {
                    self.spawn(
                        720,
                        "/usr/sbin/iptables",
                        &["-w", "5", "-t", "nat", "-L", "KUBE-SERVICES"],
                        None,
                        0,
                        0,
                        0,
                    )
                } else {
                    self.spawn(720, "/usr/bin/du", &["-s", "/var/lib/kubelet/pods"], None, 0, 0, 0)
                };
                self.tool_io(c, &["/etc/ld.so.cache"]);
                self.exit(c);
            }
            _ => {
                // A new java worker thread.
                let tid = self.next_pid;
                self.next_pid += 1;
                self.push(
                    1230,
                    "clone",
                    vec![
                        ("res", ParamValue::Pid(tid)),
                        ("tid", ParamValue::Pid(1230)),
                        ("pid", ParamValue::Pid(1230)),
                        (
                            "flags",
                            flags32(flags::PPM_CL_CLONE_THREAD | flags::PPM_CL_CLONE_FILES | flags::PPM_CL_CLONE_FS),
                        ),
                    ],
                );
                self.push(
                    tid,
                    "futex",
                    vec![("res", ParamValue::Errno(0)), ("addr", ParamValue::U64(0x7f00_0000_1000))],
                );
                self.exit(tid);
            }
        }
    }

    fn suspicious(&mut self) {
        let c1 = Some((C1, "a1b2c3d4_0001"));
        match self.rng.below(12) {
            0 => {
                // kubectl exec -it: a terminal shell in the nginx container.
                let sh = self.spawn(1010, "/bin/bash", &[], c1, TTY_PTS1, 0, 0);
                self.tool_io(sh, &["/etc/bash.bashrc"]);
                self.exit(sh);
            }
            1 => {
                // The python app reads /etc/shadow.
                let fd = self.free_fd(1130);
                self.push_open(1131, fd, "/etc/shadow", O_RDONLY, 0);
                self.push(1131, "close", vec![("res", ParamValue::Errno(0)), ("fd", ParamValue::Fd(fd))]);
            }
            2 => {
                // An nginx worker runs a shell.
                let sh = self.spawn(1031, "/bin/sh", &["-c", "id; uname -a"], None, 0, 101, 0);
                self.exit(sh);
            }
            3 => {
                // Reverse shell in a container: connect out, redirect stdio.
                let sh = self.spawn(1031, "/bin/sh", &["-i"], None, 0, 101, 0);
                let fd = 3;
                self.push_socket(sh, fd, flags::PPM_AF_INET, 1);
                self.push_connect(sh, fd, v4(10, 244, 1, 5), 40112, v4(203, 0, 113, 7), 4444, 0);
                for newfd in 0..3 {
                    self.push(
                        sh,
                        "dup2",
                        vec![
                            ("res", ParamValue::Fd(newfd)),
                            ("oldfd", ParamValue::Fd(fd)),
                            ("newfd", ParamValue::Fd(newfd)),
                        ],
                    );
                }
                self.exit(sh);
            }
            4 => {
                let c = self.spawn(2010, "/usr/bin/find", &["/", "-name", "id_rsa"], None, TTY_PTS0, 1000, 0);
                self.exit(c);
            }
            5 => {
                let fd = self.free_fd(2010);
                self.push_open(2010, fd, "/var/log/syslog", O_WRONLY | O_TRUNC, 0);
                self.push(2010, "close", vec![("res", ParamValue::Errno(0)), ("fd", ParamValue::Fd(fd))]);
            }
            6 => {
                let c = self.spawn(2010, "/dev/shm/.x/kworker", &["--donate-level", "1"], None, TTY_PTS0, 1000, 0);
                self.exit(c);
            }
            7 => {
                let c = self.spawn(1130, "memfd:payload", &[], None, 0, 1000, flags::PPM_EXE_FROM_MEMFD);
                self.exit(c);
            }
            8 => {
                let fd = self.free_fd(1130);
                self.push_socket(1132, fd, 17, 3);
                self.push(1132, "close", vec![("res", ParamValue::Errno(0)), ("fd", ParamValue::Fd(fd))]);
            }
            9 => {
                let c =
                    self.spawn(2010, "/usr/bin/ssh", &["-p", "443", "alice@198.51.100.20"], None, TTY_PTS0, 1000, 0);
                let fd = 3;
                self.push_socket(c, fd, flags::PPM_AF_INET, 1);
                self.push_connect(c, fd, v4(10, 0, 0, 4), 51022, v4(198, 51, 100, 20), 443, 0);
                self.exit(c);
            }
            10 => {
                let fd = self.free_fd(2010);
                self.push_open(2010, fd, "/etc/cron.d/backdoor", O_WRONLY | O_CREAT | flags::PPM_O_F_CREATED, 0o644);
                self.push(2010, "close", vec![("res", ParamValue::Errno(0)), ("fd", ParamValue::Fd(fd))]);
            }
            _ => {
                self.push(
                    2010,
                    "symlinkat",
                    vec![
                        ("res", ParamValue::Errno(0)),
                        ("target", ParamValue::Str("/etc/shadow".into())),
                        ("linkdirfd", ParamValue::Fd(-100)),
                        ("linkpath", ParamValue::RelPath("/tmp/.s".into())),
                    ],
                );
            }
        }
    }
}

/// The payload of a read/write on `name` by `role`: a short realistic buffer.
fn payload(role: Role, name: &str, write: bool) -> Vec<u8> {
    let s: &str = match (role, write) {
        (Role::Nginx, false) => "GET /index.html HTTP/1.1\r\nHost: shop.example.com\r\nUser-Agent: curl/8.5.0\r\n",
        (Role::Nginx, true) => "10.244.0.17 - - [14/Nov/2023:22:13:20 +0000] \"GET / HTTP/1.1\" 200 615\n",
        (Role::Python, _) if name.contains("5432") => "Q\0\0\0\x1cSELECT * FROM items WHERE id=$1\0",
        (Role::Python, _) => "{\"level\":\"info\",\"msg\":\"request served\",\"status\":200}\n",
        (Role::Java, _) if name.contains("9092") => "\0\0\0\x2a\0\x03\0\x09\0\0\0\x01\0\x0cservice-java",
        (Role::Java, _) => "2023-11-14 22:13:20.123 INFO [main] c.e.Service - heartbeat ok\n",
        (Role::Kubelet, _) => "cpu  2255 34 2290 22625563 6290 127 456 0 0 0\n",
        (Role::Journald, _) => "MESSAGE=Started session 42 of user alice.\n",
        (Role::Containerd, _) => "{\"ociVersion\":\"1.1.0\",\"process\":{\"terminal\":false}}",
        (Role::Postgres, _) => "\0\0\0\0\x08\x01\0\0\0\0\0\0",
        (Role::Bash | Role::Sshd, _) => "ls -la\n",
    };
    s.as_bytes().to_vec()
}

fn proc(tid: i64, ptid: i64, comm: &str, exe: &str, exepath: &str, args: &[&str]) -> ThreadInfo {
    let mut t = ThreadInfo::new(tid, tid, ptid);
    t.comm = comm.to_string();
    t.exe = exe.to_string();
    t.exepath = exepath.to_string();
    t.args = args.iter().map(|s| s.to_string()).collect();
    t.cwd = "/".to_string();
    t.sid = tid;
    t.vpgid = tid;
    t.pgid = tid;
    t.fdlimit = 1_048_576;
    t.cap_permitted = CAPS_ALL;
    t.cap_effective = CAPS_ALL;
    t.clone_ts = 1_699_999_000_000_000_000;
    t.vmsize_kb = 100_000;
    t.vmrss_kb = 20_000;
    t.env = vec!["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_string()];
    t
}

fn in_container(mut t: ThreadInfo, cid64: &str, pod: &str, vpid: i64) -> ThreadInfo {
    t.set_cgroups_from_scap(&cgroups_of(cid64, pod));
    t.vpid = vpid;
    t.vtid = vpid;
    t.cap_permitted = CAPS_CONTAINER;
    t.cap_effective = CAPS_CONTAINER;
    t
}

fn stdio(dev: &str) -> Vec<FdInfo> {
    (0..3).map(|fd| FdInfo::file(fd, dev, O_RDWR)).collect()
}

fn sock(fd: i64, local: (Ipv4Addr, u16), remote: Option<(Ipv4Addr, u16)>, client: bool) -> FdInfo {
    let mut f = FdInfo::new(fd, FdKind::Ipv4Sock, "");
    let mut s = SockInfo { l4proto: L4Proto::Tcp, ..SockInfo::default() };
    match remote {
        Some((rip, rport)) if client => {
            s.cip = Some(IpAddr::V4(local.0));
            s.cport = local.1;
            s.sip = Some(IpAddr::V4(rip));
            s.sport = rport;
            s.role = SockRole::Client;
            s.connected = true;
            f.name = format!("{}:{}->{}:{}", local.0, local.1, rip, rport);
        }
        Some((rip, rport)) => {
            s.cip = Some(IpAddr::V4(rip));
            s.cport = rport;
            s.sip = Some(IpAddr::V4(local.0));
            s.sport = local.1;
            s.role = SockRole::Server;
            s.connected = true;
            f.name = format!("{}:{}->{}:{}", rip, rport, local.0, local.1);
        }
        None => {
            s.sip = Some(IpAddr::V4(local.0));
            s.sport = local.1;
            s.role = SockRole::Server;
            f.name = format!("{}:{}", local.0, local.1);
        }
    }
    f.sock = Some(s);
    f
}

fn unix(fd: i64, path: &str) -> FdInfo {
    let mut f = FdInfo::new(fd, FdKind::UnixSock, path);
    f.sock = Some(SockInfo { unix_path: Some(path.to_string()), ..SockInfo::default() });
    f
}

fn epoll(fd: i64) -> FdInfo {
    FdInfo::new(fd, FdKind::EventPoll, "anon_inode:[eventpoll]")
}

fn build_world() -> State {
    let mut st = State::new();
    let any = v4(0, 0, 0, 0);
    let users: &[(&str, u32, &str, &str)] = &[
        ("root", 0, "/root", "/bin/bash"),
        ("daemon", 1, "/usr/sbin", "/usr/sbin/nologin"),
        ("www-data", 33, "/var/www", "/usr/sbin/nologin"),
        ("postgres", 114, "/var/lib/postgresql", "/bin/bash"),
        ("alice", 1000, "/home/alice", "/bin/bash"),
        ("nobody", 65534, "/nonexistent", "/usr/sbin/nologin"),
    ];
    for (name, uid, home, shell) in users {
        st.add_user(
            "",
            UserInfo { uid: *uid, gid: *uid, name: name.to_string(), home: home.to_string(), shell: shell.to_string() },
        );
        st.add_group("", GroupInfo { gid: *uid, name: name.to_string() });
    }
    for (cid, extra) in [(&C1[..12], ("nginx", 101)), (&C2[..12], ("app", 1000)), (&C3[..12], ("app", 1000))] {
        st.add_user(
            cid,
            UserInfo { uid: 0, gid: 0, name: "root".into(), home: "/root".into(), shell: "/bin/sh".into() },
        );
        st.add_user(
            cid,
            UserInfo {
                uid: extra.1,
                gid: extra.1,
                name: extra.0.into(),
                home: "/home/app".into(),
                shell: "/bin/sh".into(),
            },
        );
        st.add_group(cid, GroupInfo { gid: 0, name: "root".into() });
        st.add_group(cid, GroupInfo { gid: extra.1, name: extra.0.into() });
    }

    st.add_process(proc(1, 0, "systemd", "/sbin/init", "/usr/lib/systemd/systemd", &["splash"]), stdio("/dev/null"));
    let mut jd =
        proc(320, 1, "systemd-journal", "/lib/systemd/systemd-journald", "/usr/lib/systemd/systemd-journald", &[]);
    jd.loginuid = u32::MAX;
    st.add_process(
        jd,
        [
            stdio("/dev/null"),
            vec![
                unix(3, "/run/systemd/journal/socket"),
                unix(4, "/run/systemd/journal/stdout"),
                FdInfo::file(8, "/var/log/journal/7c1a/system.journal", O_RDWR | O_CLOEXEC),
                epoll(7),
            ],
        ]
        .concat(),
    );
    st.add_process(
        proc(610, 1, "sshd", "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups", "/usr/sbin/sshd", &[]),
        [stdio("/dev/null"), vec![sock(3, (any, 22), None, false)]].concat(),
    );
    st.add_process(proc(640, 1, "cron", "/usr/sbin/cron", "/usr/sbin/cron", &["-f"]), stdio("/dev/null"));
    st.add_process(
        proc(700, 1, "containerd", "/usr/bin/containerd", "/usr/bin/containerd", &[]),
        [
            stdio("/dev/null"),
            vec![
                unix(8, "/run/containerd/containerd.sock"),
                epoll(5),
                FdInfo::file(9, "/var/lib/containerd/io.containerd.metadata.v1.bolt/meta.db", O_RDWR | O_CLOEXEC),
            ],
        ]
        .concat(),
    );
    st.add_process(
        proc(
            720,
            1,
            "kubelet",
            "/usr/bin/kubelet",
            "/usr/bin/kubelet",
            &[
                "--config=/var/lib/kubelet/config.yaml",
                "--container-runtime-endpoint=unix:///run/containerd/containerd.sock",
            ],
        ),
        [
            stdio("/dev/null"),
            vec![
                sock(7, (v4(10, 0, 0, 4), 50122), Some((v4(10, 0, 0, 1), 6443)), true),
                sock(9, (any, 10250), None, false),
                epoll(4),
            ],
        ]
        .concat(),
    );
    let mut pg = proc(
        760,
        1,
        "postgres",
        "/usr/lib/postgresql/15/bin/postgres",
        "/usr/lib/postgresql/15/bin/postgres",
        &["-D", "/var/lib/postgresql/15/main", "-c", "config_file=/etc/postgresql/15/main/postgresql.conf"],
    );
    pg.uid = 114;
    pg.gid = 114;
    pg.cap_permitted = 0;
    pg.cap_effective = 0;
    st.add_process(
        pg,
        [
            stdio("/dev/null"),
            vec![
                sock(5, (v4(10, 0, 0, 5), 5432), None, false),
                FdInfo::file(9, "/var/lib/postgresql/15/main/base/16384/2619", O_RDWR | O_CLOEXEC),
            ],
        ]
        .concat(),
    );

    // alice's ssh session.
    let mut sshd_s = proc(2000, 610, "sshd", "sshd: alice [priv]", "/usr/sbin/sshd", &[]);
    sshd_s.loginuid = 1000;
    st.add_process(
        sshd_s,
        [stdio("/dev/null"), vec![sock(4, (v4(10, 0, 0, 4), 22), Some((v4(192, 168, 1, 20), 53122)), false)]].concat(),
    );
    let mut bash = proc(2010, 2000, "bash", "-bash", "/usr/bin/bash", &[]);
    bash.uid = 1000;
    bash.gid = 1000;
    bash.loginuid = 1000;
    bash.tty = TTY_PTS0;
    bash.cwd = "/home/alice/".to_string();
    bash.cap_permitted = 0;
    bash.cap_effective = 0;
    st.add_process(bash, [stdio("/dev/pts/0"), vec![FdInfo::file(255, "/dev/pts/0", O_RDWR)]].concat());

    // Containers.
    let shims = [(1010, C1, "a1b2c3d4_0001"), (1110, C2, "a1b2c3d4_0002"), (1210, C3, "a1b2c3d4_0003")];
    for (pid, cid, _) in shims {
        st.add_process(
            proc(
                pid,
                1,
                "containerd-shim",
                "/usr/bin/containerd-shim-runc-v2",
                "/usr/bin/containerd-shim-runc-v2",
                &["-namespace", "k8s.io", "-id", cid, "-address", "/run/containerd/containerd.sock"],
            ),
            [stdio("/dev/null"), vec![unix(3, "/run/containerd/s/shim.sock"), epoll(4)]].concat(),
        );
    }
    let master = in_container(
        proc(1030, 1010, "nginx", "/usr/sbin/nginx", "/usr/sbin/nginx", &["-g", "daemon off;"]),
        C1,
        shims[0].2,
        1,
    );
    let nginx_fds = |f: &mut Vec<FdInfo>| {
        f.push(FdInfo::file(4, "/var/log/nginx/access.log", O_WRONLY | O_APPEND | O_CREAT));
        f.push(FdInfo::file(5, "/var/log/nginx/error.log", O_WRONLY | O_APPEND | O_CREAT));
        f.push(sock(6, (any, 80), None, false));
    };
    let mut fds = stdio("/dev/null");
    nginx_fds(&mut fds);
    st.add_process(master, fds);
    for (i, pid) in [1031, 1032].into_iter().enumerate() {
        let mut w = in_container(
            proc(pid, 1030, "nginx", "/usr/sbin/nginx", "/usr/sbin/nginx", &["-g", "daemon off;"]),
            C1,
            shims[0].2,
            29 + i as i64,
        );
        w.uid = 101;
        w.gid = 101;
        w.sid = 1;
        w.vpgid = 1;
        let mut fds = stdio("/dev/null");
        nginx_fds(&mut fds);
        fds.push(epoll(8));
        st.add_process(w, fds);
    }
    let mut py = in_container(
        proc(
            1130,
            1110,
            "python3",
            "/usr/local/bin/python3",
            "/usr/local/bin/python3.11",
            &["/usr/local/bin/gunicorn", "app:app", "-b", "0.0.0.0:8000"],
        ),
        C2,
        shims[1].2,
        1,
    );
    py.uid = 1000;
    py.gid = 1000;
    py.cwd = "/app/".into();
    st.add_process(
        py.clone(),
        [
            stdio("/dev/null"),
            vec![
                epoll(4),
                sock(5, (any, 8000), None, false),
                sock(6, (v4(10, 244, 1, 7), 41234), Some((v4(10, 0, 0, 5), 5432)), true),
            ],
        ]
        .concat(),
    );
    for tid in [1131, 1132] {
        let mut t = py.clone();
        t.tid = tid;
        t.vtid = tid - 1129;
        st.add_thread(t);
    }
    let mut java = in_container(
        proc(
            1230,
            1210,
            "java",
            "/opt/java/openjdk/bin/java",
            "/opt/java/openjdk/bin/java",
            &["-Xmx512m", "-XX:+UseG1GC", "-jar", "/app/service.jar"],
        ),
        C3,
        shims[2].2,
        1,
    );
    java.cwd = "/app/".into();
    st.add_process(
        java.clone(),
        [
            stdio("/dev/null"),
            vec![
                FdInfo::file(3, "/app/logs/service.log", O_WRONLY | O_APPEND | O_CREAT),
                FdInfo::file(4, "/app/service.jar", O_RDONLY),
                epoll(12),
                sock(20, (v4(10, 244, 2, 9), 52344), Some((v4(10, 0, 1, 20), 9092)), true),
                sock(21, (any, 8080), None, false),
            ],
        ]
        .concat(),
    );
    for tid in 1231..=1237 {
        let mut t = java.clone();
        t.tid = tid;
        t.vtid = tid - 1229;
        t.comm = if tid < 1234 { "GC Thread#0".into() } else { "http-nio-8080-e".into() };
        st.add_thread(t);
    }
    st
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let mut a = Generator::new(42);
        let mut b = Generator::new(42);
        let mut c = Generator::new(43);
        let sa: Vec<Event> = (0..2000).map(|_| a.next_event()).collect();
        let sb: Vec<Event> = (0..2000).map(|_| b.next_event()).collect();
        let sc: Vec<Event> = (0..2000).map(|_| c.next_event()).collect();
        assert_eq!(sa, sb);
        assert_ne!(sa, sc);
        assert_eq!(a.state().thread_count(), Generator::new(1).state().thread_count());
    }

    /// Every event's thread is known and every fd it names exists in the state it is applied to;
    /// the mix follows the table; timestamps increase.
    #[test]
    fn stream_is_consistent_and_realistic() {
        let mut g = Generator::new(9);
        let mut st = g.state();
        let mut counts: HashMap<&str, usize> = HashMap::new();
        let mut last = 0;
        let n = 100_000;
        for _ in 0..n {
            let ev = g.next_event();
            assert!(ev.ts > last, "time goes forward");
            last = ev.ts;
            assert!(st.thread(ev.tid).is_some() || ev.name == "execve", "unknown thread in {ev:?}");
            if matches!(ev.name, "read" | "write" | "close" | "fstat" | "lseek" | "recvfrom" | "sendto") {
                let fd = ev.get_any(rulec_runtime::params::any::FD).unwrap_or(-1);
                assert!(st.fd(ev.tid, fd).is_some(), "fd {fd} unknown before {ev:?}");
            }
            st.apply(&ev);
            *counts.entry(ev.name).or_default() += 1;
        }
        assert_eq!(st.stats().unknown_thread_events, 0);
        let share = |name: &str| counts.get(name).copied().unwrap_or(0) as f64 / n as f64;
        assert!(share("read") > 0.18 && share("read") < 0.30, "read share {}", share("read"));
        assert!(share("futex") > 0.10, "futex share {}", share("futex"));
        assert!(share("openat") > 0.04 && share("openat") < 0.10, "openat share {}", share("openat"));
        assert!(share("execve") > 0.0 && share("execve") < 0.005, "execve share {}", share("execve"));
        for name in ["clone", "connect", "accept4", "procexit", "socket", "mmap", "epoll_wait"] {
            assert!(counts.contains_key(name), "no {name} in the stream");
        }
        assert!(st.thread_count() < 100, "spawned processes exit: {}", st.thread_count());
    }

    #[test]
    fn built_events_use_the_newest_layout() {
        let e = build_event(1, 2, "openat", Direction::Exit, vec![("fd", ParamValue::Fd(3))]);
        let names: Vec<&str> = e.params.iter().map(|p| p.name).collect();
        assert_eq!(names, ["fd", "dirfd", "name", "flags", "mode", "dev", "ino"]);
        assert!(e.params.is_absent(1));
        assert_eq!(e.type_id, 307);
    }
}
