//! Unit tests of field extraction: a seeded world, hand-built events, exact values (absent
//! cases included), and a check that every field the upstream rules use is implemented.

use std::collections::{BTreeSet, HashSet};
use std::net::{IpAddr, Ipv4Addr};

use rulec_compiler::check::hir::{CheckRhs, Cond, FieldArgValue, OutputSegment, TransformInput, Value as HValue};
use rulec_schema::{FieldType, schema};

use super::{extract, extractor};
use crate::event::build_event;
use crate::event::{Direction, Event, ParamType, ParamValue, SockAddr, SockTuple};
use crate::flags;
use crate::state::{FdInfo, FdKind, GroupInfo, L4Proto, SockInfo, SockRole, State, ThreadInfo, UserInfo};
use crate::value::Value;

const CID: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn world() -> State {
    let mut st = State::new();
    let mut init = ThreadInfo::new(1, 1, 0);
    init.comm = "systemd".into();
    init.exe = "/sbin/init".into();
    init.exepath = "/usr/lib/systemd/systemd".into();
    st.add_process(init, []);
    let mut sshd = ThreadInfo::new(50, 50, 1);
    sshd.comm = "sshd".into();
    sshd.exe = "/usr/sbin/sshd".into();
    sshd.exepath = "/usr/sbin/sshd".into();
    sshd.args = vec!["-D".into()];
    st.add_process(sshd, []);
    let mut bash = ThreadInfo::new(100, 100, 50);
    bash.comm = "bash".into();
    bash.exe = "-bash".into();
    bash.exepath = "/usr/bin/bash".into();
    bash.cwd = "/home/alice/".into();
    bash.uid = 1000;
    bash.gid = 1000;
    bash.loginuid = 1000;
    bash.tty = 34816;
    bash.sid = 100;
    bash.vpgid = 100;
    bash.pgid = 100;
    bash.env = vec!["HOME=/home/alice".into(), "TERM=xterm".into()];
    st.add_process(bash, [FdInfo::file(0, "/dev/pts/0", flags::PPM_O_RDONLY | flags::PPM_O_WRONLY)]);
    let mut cat = ThreadInfo::new(200, 200, 100);
    cat.comm = "cat".into();
    cat.exe = "cat".into();
    cat.exepath = "/usr/bin/cat".into();
    cat.args = vec!["/etc/shadow".into(), "-n".into()];
    cat.cwd = "/home/alice/".into();
    cat.uid = 0;
    cat.gid = 0;
    cat.loginuid = 1000;
    cat.sid = 100;
    cat.vpgid = 200;
    cat.pgid = 200;
    cat.tty = 34816;
    cat.cap_permitted = (1 << 21) | (1 << 13);
    cat.cap_effective = 1 << 21;
    cat.exe_writable = true;
    cat.clone_ts = 1_000;
    let mut sock = FdInfo::new(4, FdKind::Ipv4Sock, "10.0.0.4:40000->93.184.216.34:443");
    sock.sock = Some(SockInfo {
        cip: Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 4))),
        cport: 40000,
        sip: Some(IpAddr::V4(Ipv4Addr::new(93, 184, 216, 34))),
        sport: 443,
        l4proto: L4Proto::Tcp,
        role: SockRole::Client,
        connected: true,
        ..SockInfo::default()
    });
    let mut unix = FdInfo::new(5, FdKind::UnixSock, "/run/x.sock");
    unix.sock = Some(SockInfo { unix_path: Some("/run/x.sock".into()), ..SockInfo::default() });
    st.add_process(
        cat,
        [
            FdInfo::file(3, "/etc/shadow", flags::PPM_O_RDONLY),
            sock,
            unix,
            FdInfo::new(6, FdKind::Pipe, "pipe:[1234]"),
            FdInfo::new(7, FdKind::EventPoll, "anon_inode:[eventpoll]"),
        ],
    );
    // A containerised process.
    let mut nginx = ThreadInfo::new(300, 300, 1);
    nginx.comm = "nginx".into();
    nginx.exe = "/usr/sbin/nginx".into();
    nginx.uid = 101;
    nginx.vpid = 1;
    nginx.set_cgroups_from_scap(&[format!("cpuset=/kubepods/besteffort/pod1/cri-containerd-{CID}.scope")]);
    st.add_process(nginx, []);
    st.add_user(
        "",
        UserInfo { uid: 1000, gid: 1000, name: "alice".into(), home: "/home/alice".into(), shell: "/bin/bash".into() },
    );
    st.add_group("", GroupInfo { gid: 1000, name: "alice".into() });
    st.add_user(
        &CID[..12],
        UserInfo { uid: 101, gid: 101, name: "nginx".into(), home: "/".into(), shell: "/bin/false".into() },
    );
    st
}

fn ev(tid: i64, name: &'static str, values: Vec<(&'static str, ParamValue)>) -> Event {
    build_event(1_700_000_000_123_456_789, tid, name, Direction::Exit, values)
}

fn get(field: &str, arg: Option<FieldArgValue>, e: &Event, st: &State) -> Option<Value> {
    let f = schema().field(field).unwrap_or_else(|| panic!("no field {field}"));
    extract(f, arg.as_ref(), e, st)
}

fn sv(x: &str) -> Option<Value> {
    Some(Value::Str(x.to_string()))
}

fn open_shadow() -> Event {
    ev(
        200,
        "openat",
        vec![
            ("fd", ParamValue::Fd(3)),
            ("dirfd", ParamValue::Fd(-100)),
            ("name", ParamValue::RelPath("/etc/../etc/shadow".into())),
            ("flags", ParamValue::Flags { ty: ParamType::Flags32, bits: u64::from(flags::PPM_O_RDONLY) }),
            ("mode", ParamValue::U32(0)),
        ],
    )
}

#[test]
fn every_schema_field_has_an_extractor() {
    let missing: Vec<&str> = schema().fields().iter().filter(|f| extractor(f).is_none()).map(|f| f.name).collect();
    assert!(missing.is_empty(), "no extractor for {missing:?}");
}

#[test]
fn evt_fields() {
    let st = world();
    let e = open_shadow();
    assert_eq!(get("evt.type", None, &e, &st), sv("openat"));
    assert_eq!(get("evt.dir", None, &e, &st), sv("<"));
    assert_eq!(get("evt.num", None, &e, &st), None, "no event applied yet");
    assert_eq!(get("evt.time", None, &e, &st), sv("22:13:20.123456789"));
    assert_eq!(get("evt.time.s", None, &e, &st), sv("22:13:20"));
    assert_eq!(get("evt.datetime", None, &e, &st), sv("2023-11-14 22:13:20.123456789"));
    assert_eq!(get("evt.time.iso8601", None, &e, &st), sv("2023-11-14T22:13:20.123456789Z"));
    assert_eq!(get("evt.rawtime.s", None, &e, &st), Some(Value::Uint(1_700_000_000)));
    assert_eq!(get("evt.rawtime.ns", None, &e, &st), Some(Value::Uint(123_456_789)));
    assert_eq!(get("evt.res", None, &e, &st), sv("SUCCESS"));
    assert_eq!(get("evt.rawres", None, &e, &st), Some(Value::Int(3)));
    assert_eq!(get("evt.failed", None, &e, &st), Some(Value::Bool(false)));
    assert_eq!(get("evt.is_open_read", None, &e, &st), Some(Value::Bool(true)));
    assert_eq!(get("evt.is_open_write", None, &e, &st), Some(Value::Bool(false)));
    assert_eq!(get("evt.category", None, &e, &st), sv("file"));
    assert_eq!(get("syscall.type", None, &e, &st), sv("openat"));
    assert_eq!(get("evt.source", None, &e, &st), sv("syscall"));
    assert_eq!(get("evt.type.is", Some(FieldArgValue::Key("openat".into())), &e, &st), Some(Value::Uint(1)));
    assert_eq!(get("evt.type.is", Some(FieldArgValue::Key("open".into())), &e, &st), Some(Value::Uint(0)));
    // evt.arg: rendered (fd resolved through the state); evt.rawarg typed.
    assert_eq!(get("evt.arg", Some(FieldArgValue::Key("flags".into())), &e, &st), sv("O_RDONLY"));
    assert_eq!(get("evt.arg", Some(FieldArgValue::Key("fd".into())), &e, &st), sv("3(<f>/etc/shadow)"));
    assert_eq!(get("evt.arg", Some(FieldArgValue::Index(2)), &e, &st), sv("/etc/../etc/shadow"));
    assert_eq!(get("evt.rawarg", Some(FieldArgValue::Key("flags".into())), &e, &st), Some(Value::Uint(1)));
    assert_eq!(get("evt.rawarg", Some(FieldArgValue::Key("dirfd".into())), &e, &st), Some(Value::Int(-100)));
    assert_eq!(get("evt.arg", Some(FieldArgValue::Key("nosuch".into())), &e, &st), None);
    assert_eq!(get("evt.abspath", None, &e, &st), sv("/etc/shadow"));
    assert_eq!(get("evt.latency", None, &e, &st), None);

    // A failed open: errno name, raw number, failed; fd.* from the event's path.
    let mut fail = open_shadow();
    fail.params.set_value(0, ParamValue::Fd(-2));
    assert_eq!(get("evt.res", None, &fail, &st), sv("ENOENT"));
    assert_eq!(get("evt.rawres", None, &fail, &st), Some(Value::Int(-2)));
    assert_eq!(get("evt.failed", None, &fail, &st), Some(Value::Bool(true)));
    assert_eq!(get("evt.arg", Some(FieldArgValue::Key("fd".into())), &fail, &st), sv("-2(ENOENT)"));
    // libsinsp: -1 while the syscall has created no fd (not the errno).
    assert_eq!(get("fd.num", None, &fail, &st), Some(Value::Int(-1)));
    assert_eq!(get("fd.name", None, &fail, &st), sv("/etc/shadow"));
    assert_eq!(get("fd.directory", None, &fail, &st), sv("/etc"));
    // libsinsp: the type the creating syscall would have made.
    assert_eq!(get("fd.typechar", None, &fail, &st), sv("f"));
    assert_eq!(get("fd.nameraw", None, &fail, &st), sv("/etc/../etc/shadow"));

    // Enter events have no result.
    let enter = build_event(1, 200, "openat", Direction::Enter, vec![("dirfd", ParamValue::Fd(-100))]);
    assert_eq!(get("evt.res", None, &enter, &st), None);
    assert_eq!(get("evt.failed", None, &enter, &st), Some(Value::Bool(false)));
    assert_eq!(get("evt.dir", None, &enter, &st), sv(">"));

    // I/O buffers and lengths.
    let rd = ev(
        200,
        "read",
        vec![
            ("res", ParamValue::Errno(5)),
            ("data", ParamValue::Bytes(b"root:".to_vec())),
            ("fd", ParamValue::Fd(3)),
            ("size", ParamValue::U32(4096)),
        ],
    );
    assert_eq!(get("evt.buffer", None, &rd, &st), Some(Value::Bytes(b"root:".to_vec())));
    assert_eq!(get("evt.buflen", None, &rd, &st), Some(Value::Uint(5)));
    assert_eq!(get("evt.is_io_read", None, &rd, &st), Some(Value::Bool(true)));
    assert_eq!(get("evt.io_dir", None, &rd, &st), sv("r"));
    assert_eq!(get("evt.category", None, &rd, &st), sv("IO_read"));

    // evt.arg.uid resolves to the user name; evt.num counts applied events.
    let mut st2 = world();
    let su = ev(200, "setuid", vec![("res", ParamValue::Errno(0)), ("uid", ParamValue::Uid(1000))]);
    st2.apply(&su);
    assert_eq!(get("evt.arg", Some(FieldArgValue::Key("uid".into())), &su, &st2), sv("alice"));
    assert_eq!(get("evt.rawarg", Some(FieldArgValue::Key("uid".into())), &su, &st2), Some(Value::Uint(1000)));
    assert_eq!(get("evt.num", None, &su, &st2), Some(Value::Uint(1)));

    // Two-path calls.
    let ren = ev(
        100,
        "renameat2",
        vec![
            ("res", ParamValue::Errno(0)),
            ("olddirfd", ParamValue::Fd(-100)),
            ("oldpath", ParamValue::RelPath("a.txt".into())),
            ("newdirfd", ParamValue::Fd(-100)),
            ("newpath", ParamValue::RelPath("/tmp/b.txt".into())),
        ],
    );
    assert_eq!(get("evt.abspath", Some(FieldArgValue::Key("src".into())), &ren, &st), sv("/home/alice/a.txt"));
    assert_eq!(get("evt.abspath", Some(FieldArgValue::Key("dst".into())), &ren, &st), sv("/tmp/b.txt"));
    assert_eq!(get("fs.path.source", None, &ren, &st), sv("/home/alice/a.txt"));
    assert_eq!(get("fs.path.sourceraw", None, &ren, &st), sv("a.txt"));
    // A dirfd of AT_FDCWD is named so, as libsinsp (and sysdig) print it, not as errno 100.
    assert_eq!(get("evt.arg", Some(FieldArgValue::Key("olddirfd".into())), &ren, &st), sv("-100(AT_FDCWD)"));
    assert_eq!(get("fs.path.target", None, &ren, &st), sv("/tmp/b.txt"));
    assert_eq!(get("fs.path.name", None, &ren, &st), None);
    let mk = ev(
        100,
        "mkdirat",
        vec![
            ("res", ParamValue::Errno(0)),
            ("dirfd", ParamValue::Fd(-100)),
            ("path", ParamValue::RelPath("d/../e".into())),
        ],
    );
    assert_eq!(get("fs.path.name", None, &mk, &st), sv("/home/alice/e"));
    assert_eq!(get("fs.path.nameraw", None, &mk, &st), sv("d/../e"));
}

#[test]
fn proc_fields() {
    let st = world();
    let e = open_shadow();
    assert_eq!(get("proc.name", None, &e, &st), sv("cat"));
    assert_eq!(get("proc.exe", None, &e, &st), sv("cat"));
    assert_eq!(get("proc.exepath", None, &e, &st), sv("/usr/bin/cat"));
    assert_eq!(get("proc.args", None, &e, &st), sv("/etc/shadow -n"));
    assert_eq!(get("proc.args", Some(FieldArgValue::Index(1)), &e, &st), sv("-n"));
    assert_eq!(get("proc.cmdline", None, &e, &st), sv("cat /etc/shadow -n"));
    assert_eq!(get("proc.exeline", None, &e, &st), sv("cat /etc/shadow -n"));
    assert_eq!(get("proc.cmdnargs", None, &e, &st), Some(Value::Uint(2)));
    assert_eq!(get("proc.pname", None, &e, &st), sv("bash"));
    assert_eq!(get("proc.pexe", None, &e, &st), sv("-bash"));
    assert_eq!(get("proc.pexepath", None, &e, &st), sv("/usr/bin/bash"));
    assert_eq!(get("proc.pcmdline", None, &e, &st), sv("bash"));
    assert_eq!(get("proc.pid", None, &e, &st), Some(Value::Int(200)));
    assert_eq!(get("proc.ppid", None, &e, &st), Some(Value::Int(100)));
    assert_eq!(get("thread.tid", None, &e, &st), Some(Value::Int(200)));
    assert_eq!(get("proc.aname", Some(FieldArgValue::Index(0)), &e, &st), sv("cat"));
    assert_eq!(get("proc.aname", Some(FieldArgValue::Index(2)), &e, &st), sv("sshd"));
    assert_eq!(get("proc.aname", Some(FieldArgValue::Index(3)), &e, &st), sv("systemd"));
    assert_eq!(get("proc.aname", Some(FieldArgValue::Index(4)), &e, &st), None);
    assert_eq!(
        get("proc.aname", None, &e, &st),
        Some(Value::List(vec![Value::Str("bash".into()), Value::Str("sshd".into()), Value::Str("systemd".into())]))
    );
    assert_eq!(get("proc.apid", Some(FieldArgValue::Index(1)), &e, &st), Some(Value::Int(100)));
    assert_eq!(get("proc.aexepath", Some(FieldArgValue::Index(2)), &e, &st), sv("/usr/sbin/sshd"));
    assert_eq!(get("proc.acmdline", Some(FieldArgValue::Index(2)), &e, &st), sv("sshd -D"));
    assert_eq!(get("proc.tty", None, &e, &st), Some(Value::Uint(34816)));
    assert_eq!(get("proc.sid", None, &e, &st), Some(Value::Int(100)));
    assert_eq!(get("proc.sname", None, &e, &st), sv("bash"));
    assert_eq!(get("proc.is_sid_leader", None, &e, &st), Some(Value::Bool(false)));
    assert_eq!(get("proc.is_vpgid_leader", None, &e, &st), Some(Value::Bool(true)));
    assert_eq!(get("proc.vpgid.name", None, &e, &st), sv("cat"));
    assert_eq!(get("proc.loginshellid", None, &e, &st), Some(Value::Int(100)));
    assert_eq!(get("proc.is_exe_writable", None, &e, &st), Some(Value::Bool(true)));
    assert_eq!(get("proc.is_exe_upper_layer", None, &e, &st), Some(Value::Bool(false)));
    assert_eq!(get("proc.cwd", None, &e, &st), sv("/home/alice/"));
    assert_eq!(get("proc.fdopencount", None, &e, &st), Some(Value::Uint(5)));
    assert_eq!(get("proc.duration", None, &e, &st), Some(Value::Uint(1_700_000_000_123_456_789 - 1_000)));
    assert_eq!(get("thread.cap_permitted", None, &e, &st), sv("CAP_NET_RAW CAP_SYS_ADMIN"));
    assert_eq!(get("thread.cap_effective", None, &e, &st), sv("CAP_SYS_ADMIN"));
    assert_eq!(get("thread.cap_inheritable", None, &e, &st), sv(""));
    assert_eq!(get("proc.stdin.name", None, &e, &st), None, "cat has no fd 0");
    let b = ev(100, "close", vec![("res", ParamValue::Errno(0)), ("fd", ParamValue::Fd(0))]);
    assert_eq!(get("proc.env", None, &b, &st), sv("HOME=/home/alice TERM=xterm"));
    assert_eq!(get("proc.env", Some(FieldArgValue::Key("TERM".into())), &b, &st), sv("xterm"));
    assert_eq!(get("proc.env", Some(FieldArgValue::Key("NOPE".into())), &b, &st), None);
    assert_eq!(get("proc.aenv", Some(FieldArgValue::Key("HOME".into())), &e, &st), sv("/home/alice"));
    assert_eq!(get("proc.stdin.type", None, &b, &st), sv("file"));
    assert_eq!(get("proc.is_sid_leader", None, &b, &st), Some(Value::Bool(true)));
    // The top of the tree has no parent; an unknown thread has nothing.
    let top = ev(1, "close", vec![("res", ParamValue::Errno(0)), ("fd", ParamValue::Fd(9))]);
    assert_eq!(get("proc.pname", None, &top, &st), None);
    assert_eq!(get("proc.aname", None, &top, &st), None);
    let ghost = ev(9999, "close", vec![("res", ParamValue::Errno(0)), ("fd", ParamValue::Fd(9))]);
    for f in ["proc.name", "proc.cmdline", "proc.pid", "user.uid", "container.id", "thread.cap_permitted"] {
        assert_eq!(get(f, None, &ghost, &st), None, "{f} of an unknown thread");
    }
}

#[test]
fn user_and_container_fields() {
    let st = world();
    let e = open_shadow();
    assert_eq!(get("user.uid", None, &e, &st), Some(Value::Uint(0)));
    assert_eq!(get("user.name", None, &e, &st), sv("root"), "uid 0 is root without a table entry");
    assert_eq!(get("user.loginuid", None, &e, &st), Some(Value::Int(1000)));
    assert_eq!(get("user.loginname", None, &e, &st), sv("alice"));
    assert_eq!(get("group.name", None, &e, &st), sv("root"));
    let b = ev(100, "close", vec![("res", ParamValue::Errno(0)), ("fd", ParamValue::Fd(0))]);
    assert_eq!(get("user.name", None, &b, &st), sv("alice"));
    assert_eq!(get("user.homedir", None, &b, &st), sv("/home/alice"));
    assert_eq!(get("user.shell", None, &b, &st), sv("/bin/bash"));
    assert_eq!(get("group.gid", None, &b, &st), Some(Value::Uint(1000)));
    assert_eq!(get("group.name", None, &b, &st), sv("alice"));
    let top = ev(50, "close", vec![("res", ParamValue::Errno(0)), ("fd", ParamValue::Fd(9))]);
    assert_eq!(get("user.loginuid", None, &top, &st), Some(Value::Int(-1)));
    assert_eq!(get("user.loginname", None, &top, &st), None);
    assert_eq!(get("container.id", None, &top, &st), sv("host"));
    assert_eq!(get("container.name", None, &top, &st), sv("host"));
    assert_eq!(get("container.image.repository", None, &top, &st), None);
    let n = ev(300, "close", vec![("res", ParamValue::Errno(0)), ("fd", ParamValue::Fd(9))]);
    assert_eq!(get("container.id", None, &n, &st), sv(&CID[..12]));
    assert_eq!(get("container.full_id", None, &n, &st), sv(CID));
    assert_eq!(get("container.type", None, &n, &st), sv("containerd"));
    assert_eq!(get("container.name", None, &n, &st), None);
    assert_eq!(get("container.privileged", None, &n, &st), None);
    assert_eq!(get("container.mount.dest", Some(FieldArgValue::Key("/proc*".into())), &n, &st), None);
    assert_eq!(get("k8s.ns.name", None, &n, &st), None);
    assert_eq!(get("user.name", None, &n, &st), sv("nginx"), "the container's user table");
    assert_eq!(get("user.name", None, &b, &st), sv("alice"));
}

#[test]
fn fd_fields() {
    let st = world();
    let e = open_shadow();
    assert_eq!(get("fd.num", None, &e, &st), Some(Value::Int(3)));
    assert_eq!(get("fd.name", None, &e, &st), sv("/etc/shadow"));
    assert_eq!(get("fd.directory", None, &e, &st), sv("/etc"));
    assert_eq!(get("fd.filename", None, &e, &st), sv("shadow"));
    assert_eq!(get("fd.type", None, &e, &st), sv("file"));
    assert_eq!(get("fd.typechar", None, &e, &st), sv("f"));
    assert_eq!(get("fd.l4proto", None, &e, &st), None);
    assert_eq!(get("fd.sip", None, &e, &st), None);
    assert_eq!(get("fd.containername", None, &e, &st), sv("host:/etc/shadow"));
    let w = |fd: i64| {
        ev(
            200,
            "write",
            vec![("res", ParamValue::Errno(1)), ("data", ParamValue::Bytes(b"x".to_vec())), ("fd", ParamValue::Fd(fd))],
        )
    };
    let s = w(4);
    assert_eq!(get("fd.name", None, &s, &st), sv("10.0.0.4:40000->93.184.216.34:443"));
    assert_eq!(get("fd.typechar", None, &s, &st), sv("4"));
    assert_eq!(get("fd.type", None, &s, &st), sv("ipv4"));
    assert_eq!(get("fd.directory", None, &s, &st), None);
    let ip = |a, b, c, d| Some(Value::Ip(IpAddr::V4(Ipv4Addr::new(a, b, c, d))));
    assert_eq!(get("fd.cip", None, &s, &st), ip(10, 0, 0, 4));
    assert_eq!(get("fd.sip", None, &s, &st), ip(93, 184, 216, 34));
    assert_eq!(get("fd.lip", None, &s, &st), ip(10, 0, 0, 4));
    assert_eq!(get("fd.rip", None, &s, &st), ip(93, 184, 216, 34));
    assert_eq!(get("fd.snet", None, &s, &st), ip(93, 184, 216, 34));
    assert_eq!(get("fd.sport", None, &s, &st), Some(Value::Uint(443)));
    assert_eq!(get("fd.lport", None, &s, &st), Some(Value::Uint(40000)));
    assert_eq!(get("fd.rport", None, &s, &st), Some(Value::Uint(443)));
    assert_eq!(get("fd.sproto", None, &s, &st), sv("https"));
    assert_eq!(get("fd.l4proto", None, &s, &st), sv("tcp"));
    assert_eq!(get("fd.sockfamily", None, &s, &st), sv("ip"));
    assert_eq!(get("fd.is_server", None, &s, &st), Some(Value::Bool(false)));
    assert_eq!(get("fd.connected", None, &s, &st), Some(Value::Bool(true)));
    assert_eq!(get("fd.name_changed", None, &s, &st), Some(Value::Bool(false)));
    assert_eq!(
        get("fd.ip", None, &s, &st),
        Some(Value::List(vec![
            Value::Ip(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 4))),
            Value::Ip(IpAddr::V4(Ipv4Addr::new(93, 184, 216, 34)))
        ]))
    );
    assert_eq!(get("fd.port", None, &s, &st), Some(Value::List(vec![Value::Uint(40000), Value::Uint(443)])));
    assert_eq!(get("fd.cip.name", None, &s, &st), None);
    let u = w(5);
    assert_eq!(get("fd.name", None, &u, &st), sv("/run/x.sock"));
    assert_eq!(get("fd.typechar", None, &u, &st), sv("u"));
    assert_eq!(get("fd.sockfamily", None, &u, &st), sv("unix"));
    assert_eq!(get("fd.l4proto", None, &u, &st), None);
    assert_eq!(get("fd.cip", None, &u, &st), None);
    let p = w(6);
    assert_eq!(get("fd.typechar", None, &p, &st), sv("p"));
    assert_eq!(get("fd.name", None, &p, &st), sv("pipe:[1234]"));
    let l = w(7);
    assert_eq!(get("fd.typechar", None, &l, &st), sv("l"));
    let gone = w(42);
    assert_eq!(get("fd.num", None, &gone, &st), Some(Value::Int(42)));
    assert_eq!(get("fd.name", None, &gone, &st), None);
    assert_eq!(
        get("fd.types", None, &s, &st),
        Some(Value::List(
            ["eventpoll", "file", "ipv4", "pipe", "unix"].iter().map(|x| Value::Str(x.to_string())).collect()
        ))
    );
    assert_eq!(
        get("fd.types", Some(FieldArgValue::Index(4)), &s, &st),
        Some(Value::List(vec![Value::Str("ipv4".into())]))
    );
    // A connect renames the fd.
    let mut st2 = world();
    let c = ev(
        200,
        "connect",
        vec![
            ("res", ParamValue::Errno(0)),
            (
                "tuple",
                ParamValue::SockTuple(SockTuple::V4 {
                    sip: Ipv4Addr::new(10, 0, 0, 4),
                    sport: 40001,
                    dip: Ipv4Addr::new(1, 1, 1, 1),
                    dport: 53,
                }),
            ),
            ("fd", ParamValue::Fd(4)),
            ("addr", ParamValue::SockAddr(SockAddr::V4(Ipv4Addr::new(1, 1, 1, 1), 53))),
        ],
    );
    st2.apply(&c);
    assert_eq!(get("fd.name", None, &c, &st2), sv("10.0.0.4:40001->1.1.1.1:53"));
    assert_eq!(get("fd.name_changed", None, &c, &st2), Some(Value::Bool(true)));
    assert_eq!(get("fd.sproto", None, &c, &st2), sv("domain"));
    // poll's fd list.
    let pl = ev(200, "poll", vec![("res", ParamValue::Errno(1)), ("fds", ParamValue::FdList(vec![(3, 1), (4, 1)]))]);
    assert_eq!(get("fdlist.nums", None, &pl, &st), sv("3,4"));
    assert_eq!(get("fdlist.names", None, &pl, &st), sv("/etc/shadow,10.0.0.4:40000->93.184.216.34:443"));
    assert_eq!(get("fdlist.sports", None, &pl, &st), sv("443"));
}

/// Each value's variant follows its field's schema type.
#[test]
fn value_variants_follow_the_schema() {
    let st = world();
    let events = [open_shadow(), ev(200, "write", vec![("res", ParamValue::Errno(1)), ("fd", ParamValue::Fd(4))])];
    for f in schema().fields() {
        if f.ty == FieldType::Dyn {
            continue;
        }
        for e in &events {
            let arg = match f.name {
                "evt.arg" => Some(FieldArgValue::Key("fd".into())),
                "evt.type.is" => Some(FieldArgValue::Key("openat".into())),
                "thread.cgroup" => Some(FieldArgValue::Key("cpuset".into())),
                _ => None,
            };
            let Some(v) = extract(f, arg.as_ref(), e, &st) else { continue };
            let items = match &v {
                Value::List(vs) => vs.clone(),
                v => vec![v.clone()],
            };
            for v in items {
                let ok = match f.ty {
                    ty if ty.int_signedness() == Some(true) => matches!(v, Value::Int(_)),
                    ty if ty.int_signedness() == Some(false) => matches!(v, Value::Uint(_)),
                    FieldType::Double => matches!(v, Value::Double(_)),
                    FieldType::Bool => matches!(v, Value::Bool(_)),
                    FieldType::CharBuf => matches!(v, Value::Str(_)),
                    FieldType::ByteBuf => matches!(v, Value::Bytes(_)),
                    FieldType::IpAddr | FieldType::IpNet => matches!(v, Value::Ip(_)),
                    _ => true,
                };
                assert!(ok, "{} ({:?}) gave {v:?}", f.name, f.ty);
            }
        }
    }
}

/// A field yields a list only where the schema says it may (`FieldInfo::may_yield_list`: list
/// fields and the `multi` column), which is what keeps the JIT from inlining a numeric check on
/// a list.
#[test]
fn lists_only_where_the_schema_says() {
    let st = world();
    let events = [open_shadow(), ev(200, "write", vec![("res", ParamValue::Errno(1)), ("fd", ParamValue::Fd(4))])];
    let mut lists = 0;
    for f in schema().fields() {
        for e in &events {
            for arg in [None, Some(FieldArgValue::Index(1))] {
                if arg.is_some() && !f.arg.accepts_arg() {
                    continue;
                }
                if let Some(Value::List(_)) = extract(f, arg.as_ref(), e, &st) {
                    lists += 1;
                    assert!(f.may_yield_list(arg.is_some()), "{} ({arg:?}) yields a list", f.name);
                }
            }
        }
    }
    assert!(lists > 0, "the world has ancestors and sockets, so some field yields a list");
}

/// No extractor panics on odd events: absent params, wrong types, unknown threads and fds.
#[test]
fn no_panics_on_odd_events() {
    let st = world();
    let odd = [
        Event {
            ts: 0,
            tid: -1,
            cpu: 0,
            type_id: 9999,
            dir: Direction::Exit,
            name: "bogus",
            params: crate::Params::new(),
            dump_flags: 0,
        },
        build_event(0, 200, "openat", Direction::Exit, vec![("fd", ParamValue::Str("x".into()))]),
        build_event(0, 200, "openat", Direction::Exit, vec![("name", ParamValue::RelPath(String::new()))]),
        build_event(0, 200, "renameat2", Direction::Exit, vec![("olddirfd", ParamValue::Fd(77))]),
        build_event(u64::MAX, 200, "poll", Direction::Exit, vec![("fds", ParamValue::FdList(vec![(-5, 0)]))]),
        build_event(
            0,
            200,
            "read",
            Direction::Exit,
            vec![("res", ParamValue::Errno(i64::MIN)), ("fd", ParamValue::Fd(i64::MIN))],
        ),
    ];
    let args = [
        None,
        Some(FieldArgValue::Index(-1)),
        Some(FieldArgValue::Index(i64::MAX)),
        Some(FieldArgValue::Key(String::new())),
        Some(FieldArgValue::Key("fd".into())),
    ];
    for f in schema().fields() {
        for e in &odd {
            for a in &args {
                let _ = extract(f, a.as_ref(), e, &st);
            }
        }
    }
}

// ---- the fields the upstream rules use -------------------------------------------------------

fn collect_value(v: &HValue, out: &mut HashSet<(String, Option<FieldArgValue>)>) {
    match v {
        HValue::Field(f) => {
            out.insert((f.field.name.to_string(), f.arg.clone()));
        }
        HValue::Transform { args, .. } => {
            for a in args {
                if let TransformInput::Value(v) = a {
                    collect_value(v, out);
                }
            }
        }
    }
}

fn collect(c: &Cond, out: &mut HashSet<(String, Option<FieldArgValue>)>) {
    match c {
        Cond::And(cs) | Cond::Or(cs) => cs.iter().for_each(|c| collect(c, out)),
        Cond::Not(c) => collect(c, out),
        Cond::Shared(c) => collect(c, out),
        Cond::Const(_) => {}
        Cond::Check(tc) => {
            collect_value(&tc.lhs, out);
            if let CheckRhs::Value(v) = &tc.rhs {
                collect_value(v, out);
            }
        }
    }
}

/// The container plugin's metadata fields: the state has none of it, so they are always absent
/// (documented in [`super::container`]).
const NO_METADATA: &[&str] = &[
    "container.image.repository",
    "container.privileged",
    "container.mount.dest",
    "container.start_ts",
    "k8s.ns.name",
    "k8s.pod.name",
    "container.name",
    "container.image",
    "container.image.tag",
    "container.mounts",
    "fd.sip.name",
    "fd.cip.name",
    "fd.rip.name",
    "fd.lip.name",
    "evt.plugininfo",
    "evt.pluginname",
];

/// Events that between them give a value to every field the upstream rules use (other than the
/// metadata ones).
fn scenarios() -> (State, Vec<Event>) {
    let mut st = world();
    // A child of cat with an environment, in a container, exe flags.
    let mut evs = vec![open_shadow()];
    let exec = build_event(
        2,
        201,
        "execve",
        Direction::Exit,
        vec![
            ("res", ParamValue::Errno(0)),
            ("exe", ParamValue::Str("/usr/bin/curl".into())),
            ("args", ParamValue::Bytes(b"-s\0http://x\0".to_vec())),
            ("tid", ParamValue::Pid(201)),
            ("pid", ParamValue::Pid(201)),
            ("ptid", ParamValue::Pid(200)),
            ("cwd", ParamValue::Str("/tmp".into())),
            ("comm", ParamValue::Str("curl".into())),
            ("env", ParamValue::Bytes(b"HTTP_PROXY=http://p\0".to_vec())),
            ("tty", ParamValue::U32(1)),
            (
                "flags",
                ParamValue::Flags {
                    ty: ParamType::Flags32,
                    bits: u64::from(flags::PPM_EXE_UPPER_LAYER | flags::PPM_EXE_FROM_MEMFD),
                },
            ),
            ("exe_ino", ParamValue::U64(77)),
            ("exe_ino_ctime", ParamValue::AbsTime(5)),
            ("exe_ino_mtime", ParamValue::AbsTime(6)),
            ("cap_permitted", ParamValue::U64(1)),
            ("cap_effective", ParamValue::U64(1)),
            ("trusted_exepath", ParamValue::Path("/usr/bin/curl".into())),
            ("vpgid", ParamValue::Pid(201)),
        ],
    );
    st.apply(&build_event(10, 200, "clone", Direction::Exit, vec![("res", ParamValue::Pid(201))]));
    // A deep ancestry (for proc.aname[7]).
    let mut ptid = 201;
    for pid in 400..408 {
        let mut t = ThreadInfo::new(pid, pid, ptid);
        t.comm = format!("p{pid}");
        st.add_process(t, []);
        ptid = pid;
    }
    evs.push(build_event(
        2,
        407,
        "close",
        Direction::Exit,
        vec![("res", ParamValue::Errno(0)), ("fd", ParamValue::Fd(1))],
    ));
    st.apply(&exec);
    evs.push(exec);
    evs.push(build_event(
        3,
        200,
        "write",
        Direction::Exit,
        vec![("res", ParamValue::Errno(1)), ("data", ParamValue::Bytes(b"x".to_vec())), ("fd", ParamValue::Fd(4))],
    ));
    evs.push(build_event(
        4,
        200,
        "sendto",
        Direction::Exit,
        vec![("res", ParamValue::Errno(1)), ("fd", ParamValue::Fd(4))],
    ));
    evs.push(build_event(
        5,
        100,
        "setuid",
        Direction::Exit,
        vec![("res", ParamValue::Errno(0)), ("uid", ParamValue::Uid(1000))],
    ));
    evs.push(build_event(
        6,
        100,
        "symlinkat",
        Direction::Exit,
        vec![
            ("res", ParamValue::Errno(0)),
            ("target", ParamValue::Str("/etc/shadow".into())),
            ("linkdirfd", ParamValue::Fd(-100)),
            ("linkpath", ParamValue::RelPath("x".into())),
        ],
    ));
    evs.push(build_event(
        7,
        100,
        "ptrace",
        Direction::Exit,
        vec![
            ("res", ParamValue::Errno(0)),
            ("request", ParamValue::Flags { ty: ParamType::EnumFlags16, bits: 16 }),
            ("pid", ParamValue::Pid(200)),
        ],
    ));
    evs.push(build_event(
        8,
        100,
        "socket",
        Direction::Exit,
        vec![("fd", ParamValue::Fd(9)), ("domain", ParamValue::Flags { ty: ParamType::EnumFlags32, bits: 17 })],
    ));
    evs.push(build_event(
        9,
        100,
        "ioctl",
        Direction::Exit,
        vec![("res", ParamValue::Errno(0)), ("fd", ParamValue::Fd(0)), ("request", ParamValue::U64(0x5401))],
    ));
    for (name, p) in [("linkat", "oldpath"), ("unlinkat", "name"), ("renameat2", "oldpath"), ("open", "name")] {
        evs.push(build_event(
            10,
            100,
            name,
            Direction::Exit,
            vec![
                ("res", ParamValue::Errno(0)),
                (p, ParamValue::RelPath("f".into())),
                ("newpath", ParamValue::RelPath("g".into())),
                ("cmd", ParamValue::I32(1)),
                ("fd", ParamValue::Fd(0)),
            ],
        ));
    }
    evs.push(build_event(
        11,
        100,
        "fchmodat",
        Direction::Exit,
        vec![
            ("res", ParamValue::Errno(0)),
            ("dirfd", ParamValue::Fd(-100)),
            ("filename", ParamValue::RelPath("f".into())),
            ("mode", ParamValue::Mode(0o4755)),
        ],
    ));
    evs.push(build_event(
        12,
        100,
        "fcntl",
        Direction::Exit,
        vec![
            ("res", ParamValue::Errno(0)),
            ("fd", ParamValue::Fd(0)),
            ("cmd", ParamValue::Flags { ty: ParamType::EnumFlags8, bits: 1 }),
        ],
    ));
    evs.push(build_event(
        13,
        100,
        "chmod",
        Direction::Exit,
        vec![
            ("res", ParamValue::Errno(0)),
            ("filename", ParamValue::Path("/x".into())),
            ("mode", ParamValue::Mode(0o755)),
        ],
    ));
    evs.push(build_event(
        14,
        100,
        "execve",
        Direction::Exit,
        vec![("res", ParamValue::Errno(0)), ("linkpath", ParamValue::Str("l".into()))],
    ));
    evs.push(build_event(
        15,
        100,
        "symlink",
        Direction::Exit,
        vec![
            ("res", ParamValue::Errno(0)),
            ("target", ParamValue::Str("t".into())),
            ("linkpath", ParamValue::Path("/l".into())),
        ],
    ));
    evs.push(build_event(
        16,
        100,
        "dup2",
        Direction::Exit,
        vec![("res", ParamValue::Fd(0)), ("oldfd", ParamValue::Fd(0)), ("newfd", ParamValue::Fd(0))],
    ));
    evs.push(build_event(
        17,
        100,
        "memfd_create",
        Direction::Exit,
        vec![
            ("fd", ParamValue::Fd(0)),
            ("name", ParamValue::Str("m".into())),
            ("flags", ParamValue::Flags { ty: ParamType::Flags32, bits: 1 }),
        ],
    ));
    evs.push(build_event(
        18,
        100,
        "bpf",
        Direction::Exit,
        vec![("fd", ParamValue::Fd(0)), ("cmd", ParamValue::I64(5))],
    ));
    evs.push(build_event(
        19,
        100,
        "mount",
        Direction::Exit,
        vec![
            ("res", ParamValue::Errno(0)),
            ("dev", ParamValue::Str("d".into())),
            ("dir", ParamValue::Path("/m".into())),
            ("type", ParamValue::Str("t".into())),
            ("flags", ParamValue::Flags { ty: ParamType::Flags32, bits: 0 }),
        ],
    ));
    evs.push(build_event(
        20,
        100,
        "setresuid",
        Direction::Exit,
        vec![
            ("res", ParamValue::Errno(0)),
            ("ruid", ParamValue::Uid(0)),
            ("euid", ParamValue::Uid(0)),
            ("suid", ParamValue::Uid(0)),
        ],
    ));
    evs.push(build_event(
        21,
        100,
        "userfaultfd",
        Direction::Exit,
        vec![("res", ParamValue::Errno(3)), ("flags", ParamValue::Flags { ty: ParamType::Flags32, bits: 0 })],
    ));
    evs.push(build_event(
        22,
        100,
        "prctl",
        Direction::Exit,
        vec![
            ("res", ParamValue::Errno(0)),
            ("option", ParamValue::Flags { ty: ParamType::EnumFlags32, bits: 15 }),
            ("arg2_str", ParamValue::Str("x".into())),
            ("arg2_int", ParamValue::I64(0)),
        ],
    ));
    evs.push(build_event(
        23,
        100,
        "init_module",
        Direction::Exit,
        vec![
            ("res", ParamValue::Errno(0)),
            ("img", ParamValue::Bytes(vec![1])),
            ("length", ParamValue::U64(1)),
            ("uargs", ParamValue::Str("".into())),
        ],
    ));
    evs.push(build_event(
        24,
        100,
        "finit_module",
        Direction::Exit,
        vec![
            ("res", ParamValue::Errno(0)),
            ("fd", ParamValue::Fd(0)),
            ("uargs", ParamValue::Str("".into())),
            ("flags", ParamValue::Flags { ty: ParamType::Flags32, bits: 0 }),
        ],
    ));
    evs.push(build_event(
        25,
        100,
        "unshare",
        Direction::Exit,
        vec![("res", ParamValue::Errno(0)), ("flags", ParamValue::Flags { ty: ParamType::Flags32, bits: 0 })],
    ));
    evs.push(build_event(
        26,
        100,
        "setns",
        Direction::Exit,
        vec![
            ("res", ParamValue::Errno(0)),
            ("fd", ParamValue::Fd(0)),
            ("nstype", ParamValue::Flags { ty: ParamType::Flags32, bits: 0 }),
        ],
    ));
    evs.push(build_event(
        27,
        100,
        "execveat",
        Direction::Exit,
        vec![
            ("res", ParamValue::Errno(0)),
            ("dirfd", ParamValue::Fd(-100)),
            ("pathname", ParamValue::RelPath("p".into())),
            ("flags", ParamValue::Flags { ty: ParamType::Flags32, bits: 0 }),
        ],
    ));
    evs.push(build_event(
        28,
        100,
        "pipe2",
        Direction::Exit,
        vec![("res", ParamValue::Errno(0)), ("fd1", ParamValue::Fd(0))],
    ));
    evs.push(build_event(
        29,
        100,
        "mkdirat",
        Direction::Exit,
        vec![("res", ParamValue::Errno(0)), ("dirfd", ParamValue::Fd(-100)), ("path", ParamValue::RelPath("p".into()))],
    ));
    evs.push(build_event(
        30,
        100,
        "chown",
        Direction::Exit,
        vec![
            ("res", ParamValue::Errno(0)),
            ("path", ParamValue::Path("/p".into())),
            ("uid", ParamValue::Uid(0)),
            ("gid", ParamValue::Gid(0)),
        ],
    ));
    evs.push(build_event(
        31,
        100,
        "kill",
        Direction::Exit,
        vec![("res", ParamValue::Errno(0)), ("pid", ParamValue::Pid(1)), ("sig", ParamValue::SigType(9))],
    ));
    evs.push(build_event(
        32,
        100,
        "mmap",
        Direction::Exit,
        vec![
            ("res", ParamValue::Errno(0)),
            ("prot", ParamValue::Flags { ty: ParamType::Flags32, bits: 4 }),
            ("fd", ParamValue::Fd(0)),
        ],
    ));
    evs.push(build_event(
        33,
        100,
        "mprotect",
        Direction::Exit,
        vec![("res", ParamValue::Errno(0)), ("prot", ParamValue::Flags { ty: ParamType::Flags32, bits: 4 })],
    ));
    evs.push(build_event(34, 100, "container", Direction::Enter, vec![("json", ParamValue::Str("{}".into()))]));
    evs.push(build_event(
        35,
        100,
        "rename",
        Direction::Exit,
        vec![
            ("res", ParamValue::Errno(0)),
            ("oldpath", ParamValue::Path("/a".into())),
            ("newpath", ParamValue::Path("/b".into())),
        ],
    ));
    evs.push(build_event(
        36,
        100,
        "link",
        Direction::Exit,
        vec![
            ("res", ParamValue::Errno(0)),
            ("oldpath", ParamValue::Path("/a".into())),
            ("newpath", ParamValue::Path("/b".into())),
        ],
    ));
    evs.push(build_event(
        37,
        100,
        "unlink",
        Direction::Exit,
        vec![("res", ParamValue::Errno(0)), ("path", ParamValue::Path("/a".into()))],
    ));
    evs.push(build_event(
        38,
        100,
        "read",
        Direction::Exit,
        vec![("res", ParamValue::Errno(1)), ("data", ParamValue::Bytes(vec![0x7f])), ("fd", ParamValue::Fd(0))],
    ));
    st.apply(&build_event(
        39,
        100,
        "chdir",
        Direction::Exit,
        vec![("res", ParamValue::Errno(0)), ("path", ParamValue::Path("/home/alice".into()))],
    ));
    (st, evs)
}

/// Every field (with its argument) the upstream rules use in conditions and outputs is
/// implemented: for some event of the scenarios it has a value.
#[test]
fn upstream_rule_fields_are_implemented() {
    let Some(dir) = rulec_test_support::shared("conformance/falco") else { return };
    let mut used = HashSet::new();
    for name in ["falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"] {
        let Ok(text) = std::fs::read_to_string(dir.join(name)) else { continue };
        let file = rulec_compiler::SourceFile::new(rulec_compiler::FileId(0), name, text);
        let res = rulec_compiler::check::check(&[file]);
        for r in &res.ruleset.rules {
            collect(&r.cond, &mut used);
            for seg in &r.output {
                if let OutputSegment::Value { value, .. } = seg {
                    collect_value(value, &mut used);
                }
            }
        }
    }
    let names: BTreeSet<&str> = used.iter().map(|(n, _)| n.as_str()).collect();
    eprintln!("{} distinct fields ({} with arguments) used by the upstream rules", names.len(), used.len());
    assert!(names.len() >= 60, "expected the upstream rules' ~71 fields, found {names:?}");
    let (st, evs) = scenarios();
    let mut unimplemented = Vec::new();
    for (name, arg) in &used {
        if NO_METADATA.contains(&name.as_str()) {
            continue;
        }
        let Some(f) = schema().field(name) else {
            unimplemented.push(format!("{name} (not in schema)"));
            continue;
        };
        // `evt.arg.X` of a parameter none of the scenario events has is tried with the
        // parameter as it exists on some event.
        if !evs.iter().any(|e| extract(f, arg.as_ref(), e, &st).is_some()) {
            unimplemented.push(format!("{name}{arg:?}"));
        }
    }
    assert!(unimplemented.is_empty(), "no value for {unimplemented:?}");
}
