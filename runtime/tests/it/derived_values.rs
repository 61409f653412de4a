//! The values the state derives once per change (command lines; user, group and container
//! names: `runtime/src/state/thread.rs`) follow every change that feeds them: an exec, the
//! parent's exec and exit, set*uid and set*gid, user-table events, an exec into a container's
//! cgroups, a chdir. After each event, every read path (the value extractor, the
//! buffer-reusing one, the borrowed one) and a rule on every engine configuration see the new
//! values, and a name table changed after a thread was added is never read stale.

use crate::common::*;
use rulec_runtime::engine::MatchMode;
use rulec_runtime::event::build_event;
use rulec_runtime::fields::{Src, borrow, lookup, lookup_value};
use rulec_runtime::state::{ContainerInfo, GroupInfo, UserInfo};
use rulec_runtime::{Direction, Event, ParamValue, State, ThreadInfo, Value};

/// The fields checked after every step, in the order of [`Step::want`].
const FIELDS: [&str; 11] = [
    "proc.cmdline",
    "proc.pcmdline",
    "proc.args",
    "proc.exeline",
    "proc.pname",
    "user.name",
    "user.loginname",
    "group.name",
    "container.id",
    "container.name",
    "proc.cwd",
];

const CID: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// init(1) → bash(100, uid 1000, loginuid 1000) with users alice (1000) and bob (2000), group
/// staff (1000), and container `CID` named `web` in the table.
fn world() -> State {
    let mut st = State::new();
    st.add_user("", UserInfo { uid: 1000, gid: 1000, name: "alice".into(), ..UserInfo::default() });
    st.add_user("", UserInfo { uid: 2000, gid: 2000, name: "bob".into(), ..UserInfo::default() });
    st.add_group("", GroupInfo { gid: 1000, name: "staff".into() });
    st.add_container(ContainerInfo { id: CID[..12].into(), name: Some("web".into()), ..ContainerInfo::default() });
    let mut init = ThreadInfo::new(1, 1, 0);
    init.comm = "systemd".into();
    init.exe = "/sbin/init".into();
    st.add_process(init, []);
    let mut bash = ThreadInfo::new(100, 100, 1);
    bash.comm = "bash".into();
    bash.exe = "-bash".into();
    bash.args = vec!["-l".into()];
    bash.set_cwd("/home/alice");
    (bash.uid, bash.gid, bash.loginuid) = (1000, 1000, 1000);
    st.add_process(bash, []);
    st
}

/// A successful execve exit of `tid` running `comm` with `args`; `cgroups` in the scap form.
fn exec(ts: u64, tid: i64, ptid: i64, comm: &str, args: &[&str], cgroups: Option<&str>) -> Event {
    let mut argv: Vec<u8> = Vec::new();
    for a in args {
        argv.extend_from_slice(a.as_bytes());
        argv.push(0);
    }
    let mut values = vec![
        ("res", ParamValue::Errno(0)),
        ("exe", ParamValue::Str(comm.into())),
        ("args", if args.is_empty() { ParamValue::Absent } else { ParamValue::Bytes(argv) }),
        ("tid", ParamValue::Pid(tid)),
        ("pid", ParamValue::Pid(tid)),
        ("ptid", ParamValue::Pid(ptid)),
        ("comm", ParamValue::Str(comm.into())),
        ("trusted_exepath", ParamValue::Path(format!("/usr/bin/{comm}"))),
    ];
    if let Some(c) = cgroups {
        values.push(("cgroups", ParamValue::Bytes(c.as_bytes().to_vec())));
    }
    build_event(ts, tid, "execve", Direction::Exit, values)
}

fn exit(ts: u64, tid: i64, name: &'static str, values: Vec<(&'static str, ParamValue)>) -> Event {
    build_event(ts, tid, name, Direction::Exit, values)
}

/// An event with the values of [`FIELDS`] its thread must show once it is applied.
struct Step {
    ev: Event,
    want: [Option<&'static str>; 11],
}

fn steps() -> Vec<Step> {
    let ok = || ("res", ParamValue::Errno(0));
    let docker = format!("cpu=/docker/{CID}\0");
    let docker: &'static str = Box::leak(docker.into_boxed_str());
    let host = [Some("alice"), Some("alice"), Some("staff"), Some("host"), Some("host")];
    let with = |proc: [Option<&'static str>; 5], names: [Option<&'static str>; 5], cwd: &'static str| {
        let mut w = [None; 11];
        w[..5].copy_from_slice(&proc);
        w[5..10].copy_from_slice(&names);
        w[10] = Some(cwd);
        w
    };
    vec![
        // bash forks 200: the child has its parent's command line.
        Step {
            ev: exit(1, 100, "clone", vec![("res", ParamValue::Pid(200))]),
            want: with(
                [Some("bash -l"), Some("systemd"), Some("-l"), Some("-bash -l"), Some("systemd")],
                host,
                "/home/alice/",
            ),
        },
        Step {
            ev: exit(2, 200, "close", vec![ok(), ("fd", ParamValue::Fd(9))]),
            want: with(
                [Some("bash -l"), Some("bash -l"), Some("-l"), Some("-bash -l"), Some("bash")],
                host,
                "/home/alice/",
            ),
        },
        // The child execs: its own lines change, its parent's do not.
        Step {
            ev: exec(3, 200, 100, "cat", &["/etc/shadow", "-n"], None),
            want: with(
                [
                    Some("cat /etc/shadow -n"),
                    Some("bash -l"),
                    Some("/etc/shadow -n"),
                    Some("cat /etc/shadow -n"),
                    Some("bash"),
                ],
                host,
                "/home/alice/",
            ),
        },
        // The parent execs: the child sees it at its next event.
        Step {
            ev: exec(4, 100, 1, "zsh", &["-i"], None),
            want: with(
                [Some("zsh -i"), Some("systemd"), Some("-i"), Some("zsh -i"), Some("systemd")],
                host,
                "/home/alice/",
            ),
        },
        Step {
            ev: exit(5, 200, "close", vec![ok(), ("fd", ParamValue::Fd(9))]),
            want: with(
                [
                    Some("cat /etc/shadow -n"),
                    Some("zsh -i"),
                    Some("/etc/shadow -n"),
                    Some("cat /etc/shadow -n"),
                    Some("zsh"),
                ],
                host,
                "/home/alice/",
            ),
        },
        // Credentials: the names follow the ids.
        Step {
            ev: exit(6, 200, "setuid", vec![ok(), ("uid", ParamValue::Uid(2000))]),
            want: with(
                [
                    Some("cat /etc/shadow -n"),
                    Some("zsh -i"),
                    Some("/etc/shadow -n"),
                    Some("cat /etc/shadow -n"),
                    Some("zsh"),
                ],
                [Some("bob"), Some("alice"), Some("staff"), Some("host"), Some("host")],
                "/home/alice/",
            ),
        },
        Step {
            ev: exit(7, 200, "setgid", vec![ok(), ("gid", ParamValue::Gid(0))]),
            want: with(
                [
                    Some("cat /etc/shadow -n"),
                    Some("zsh -i"),
                    Some("/etc/shadow -n"),
                    Some("cat /etc/shadow -n"),
                    Some("zsh"),
                ],
                [Some("bob"), Some("alice"), Some("root"), Some("host"), Some("host")],
                "/home/alice/",
            ),
        },
        // The user table changes under the thread (an event of another thread).
        Step {
            ev: build_event(
                8,
                1,
                "useradded",
                Direction::Enter,
                vec![
                    ("uid", ParamValue::U32(2000)),
                    ("gid", ParamValue::U32(2000)),
                    ("name", ParamValue::Str("robert".into())),
                    ("home", ParamValue::Str("/home/robert".into())),
                    ("shell", ParamValue::Str("/bin/sh".into())),
                    ("container_id", ParamValue::Str(String::new())),
                ],
            ),
            want: with(
                [Some("systemd"), None, Some(""), Some("/sbin/init"), None],
                [Some("root"), None, Some("root"), Some("host"), Some("host")],
                "/",
            ),
        },
        Step {
            ev: exit(9, 200, "close", vec![ok(), ("fd", ParamValue::Fd(9))]),
            want: with(
                [
                    Some("cat /etc/shadow -n"),
                    Some("zsh -i"),
                    Some("/etc/shadow -n"),
                    Some("cat /etc/shadow -n"),
                    Some("zsh"),
                ],
                [Some("robert"), Some("alice"), Some("root"), Some("host"), Some("host")],
                "/home/alice/",
            ),
        },
        // A chdir, then the parent exits: the child has no parent from the next event on.
        Step {
            ev: exit(10, 200, "chdir", vec![ok(), ("path", ParamValue::Str("/tmp".into()))]),
            want: with(
                [
                    Some("cat /etc/shadow -n"),
                    Some("zsh -i"),
                    Some("/etc/shadow -n"),
                    Some("cat /etc/shadow -n"),
                    Some("zsh"),
                ],
                [Some("robert"), Some("alice"), Some("root"), Some("host"), Some("host")],
                "/tmp/",
            ),
        },
        Step {
            ev: build_event(11, 100, "procexit", Direction::Enter, vec![]),
            want: with(
                [Some("zsh -i"), Some("systemd"), Some("-i"), Some("zsh -i"), Some("systemd")],
                host,
                "/home/alice/",
            ),
        },
        // An exec into a container's cgroups, with no arguments: the container's names, and
        // the user and group tables of the container (which has none: uid 2000 has no name
        // there, gid 0 is root).
        Step {
            ev: exec(12, 200, 100, "sh", &[], Some(docker)),
            want: with(
                [Some("sh"), None, Some(""), Some("sh"), None],
                [None, None, Some("root"), Some(&CID[..12]), Some("web")],
                "/tmp/",
            ),
        },
    ]
}

/// The value of `field` on `ev` through each read path, which must agree.
fn read(field: &str, ev: &Event, st: &State) -> Option<Value> {
    let plain = lookup_value(field).unwrap_or_else(|| panic!("{field}: no extractor"))(None, ev, st);
    let fast = lookup(field).and_then(|f| f.get(None, ev, st));
    assert_eq!(fast, plain, "{field}: the buffer-reusing form disagrees on {} of {}", ev.name, ev.tid);
    if let Some(b) = borrow::lookup(field, None) {
        let src = Src::new(ev, st);
        assert_eq!(b(None, &src).map(|v| v.to_value()), plain, "{field}: the borrowed form disagrees");
    }
    plain
}

#[test]
fn derived_values_follow_every_change() {
    let mut st = world();
    for (i, step) in steps().into_iter().enumerate() {
        st.apply(&step.ev);
        let mut conds = Vec::new();
        for (field, want) in FIELDS.iter().zip(step.want) {
            let got = read(field, &step.ev, &st);
            assert_eq!(got, want.map(|w| Value::Str(w.into())), "step {i} ({}): {field}", step.ev.name);
            conds.push(match want {
                Some(w) => format!("{field} = \"{w}\""),
                None => format!("not {field} exists"),
            });
        }
        // The same values through rules, on every engine configuration (check_both compares
        // them): the rule holds on this event and state.
        let yaml = format!(
            "- rule: step\n  desc: d\n  condition: >-\n    {}\n  output: \"%proc.cmdline %user.name\"\n  priority: WARNING\n  warn_evttypes: false\n",
            conds.join(" and ")
        );
        let alerts = check_both(&yaml, &[(step.ev.clone(), st.clone())], MatchMode::All, None);
        assert_eq!(alerts.iter().map(|a| names(a)).collect::<Vec<_>>(), vec![vec!["step".to_string()]], "step {i}");
    }
}

/// A table changed after a thread entered the state: its names are looked up afresh until the
/// thread's next event brings them up to date, never read as they were.
#[test]
fn names_are_never_read_stale() {
    // Before any table changed, root and the host are named all the same.
    let mut st = State::new();
    let root = ThreadInfo { uid: 0, gid: 0, ..ThreadInfo::new(9, 9, 0) };
    st.add_process(root, []);
    let ev = exit(1, 9, "close", vec![("res", ParamValue::Errno(0)), ("fd", ParamValue::Fd(3))]);
    let names = ["user.name", "group.name", "container.name"].map(|f| read(f, &ev, &st));
    assert_eq!(names, ["root", "root", "host"].map(|n| Some(Value::Str(n.into()))));

    let mut t = ThreadInfo::new(10, 10, 0);
    (t.uid, t.gid, t.loginuid) = (3000, 3000, 3000);
    st.add_process(t, []);
    let ev = exit(1, 10, "close", vec![("res", ParamValue::Errno(0)), ("fd", ParamValue::Fd(3))]);
    let names = |st: &State| ["user.name", "user.loginname", "group.name"].map(|f| read(f, &ev, st));
    assert_eq!(names(&st), [None, None, None]);
    st.add_user("", UserInfo { uid: 3000, name: "carol".into(), ..UserInfo::default() });
    st.add_group("", GroupInfo { gid: 3000, name: "ops".into() });
    let carol = [Some(Value::Str("carol".into())), Some(Value::Str("carol".into())), Some(Value::Str("ops".into()))];
    assert_eq!(names(&st), carol, "looked up while the thread's names are out of date");
    st.apply(&ev);
    assert_eq!(names(&st), carol, "held once the thread's event brought them up to date");
    st.remove_user("", 3000);
    assert_eq!(names(&st), [None, None, Some(Value::Str("ops".into()))]);
}
