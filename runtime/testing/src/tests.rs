//! Tests of the test-runner library: parsing with positions and codes, world and event
//! defaults, running cases on both backends, tracing, coverage and the `--bless` rewrite.

#![allow(clippy::unwrap_used)] // fixed inputs

use std::path::PathBuf;

use rulec_compiler::{Code, FileId, Location, SourceFile};

use super::bless::{BlessEdit, apply};
use super::model::{DEFAULT_PID, Input};
use super::run::{Status, Suite};
use super::trace::TraceKind;
use super::*;
use rulec_runtime::engine::Backend;
use rulec_runtime::event::{ParamValue, SockAddr};
use rulec_runtime::params;

const RULES: &str = r#"
- macro: spawned_process
  condition: (evt.type in (execve, execveat))
- list: shells
  items: [bash, sh, zsh]
- rule: Shell in container
  desc: d
  condition: spawned_process and container.id != host and proc.name in (shells)
  output: shell %proc.name in %container.id (image=%container.image.repository)
  priority: NOTICE
- rule: Shadow read
  desc: d
  condition: evt.type = openat and evt.is_open_read = true and fd.name = /etc/shadow and not proc.name in (passwd, sudo)
  output: shadow read by %proc.name
  priority: WARNING
- rule: Any shell
  desc: d
  condition: spawned_process and proc.name in (shells)
  output: any shell %proc.name
  priority: INFO
- rule: Disabled rule
  desc: d
  condition: evt.type = openat and fd.name = /etc/hosts
  output: hosts
  priority: DEBUG
  enabled: false
"#;

fn test_file(text: &str) -> SourceFile {
    SourceFile::new(FileId(7), "t.tests.yaml", text)
}

fn parsed(text: &str) -> (Option<TestFile>, Vec<rulec_compiler::Diagnostic>) {
    parse(&test_file(text))
}

fn suite(text: &str) -> Suite {
    let (file, diags) = parsed(text);
    assert!(diags.is_empty(), "{diags:?}");
    let rules = vec![SourceFile::new(FileId(0), "rules.yaml", RULES)];
    Suite::new(file.unwrap(), rules, PathBuf::from("."), Location::new(FileId(7), 0, 0)).unwrap()
}

/// The code and `line:col` of each diagnostic.
fn codes(text: &str) -> Vec<(Code, String)> {
    let f = test_file(text);
    let (_, diags) = parse(&f);
    diags
        .iter()
        .map(|d| {
            let lc = f.line_col(d.primary.start as usize);
            (d.code, format!("{}:{}", lc.line, lc.col))
        })
        .collect()
}

#[test]
fn a_minimal_case_gets_every_default() {
    let (file, diags) = parsed(
        "cases:\n  - name: x\n    events:\n      - {execve: {exe: /bin/sh}}\n      - {openat: {name: /etc/x}, after: 5s}\n",
    );
    assert!(diags.is_empty(), "{diags:?}");
    let file = file.unwrap();
    let Input::Events { world, events } = &file.cases[0].input else { panic!() };
    let pids: Vec<i64> = world.processes.iter().map(|p| p.pid).collect();
    assert_eq!(pids, [1, DEFAULT_PID]);
    assert_eq!(events[0].ts, model::BASE_TIME);
    assert_eq!(events[1].ts, model::BASE_TIME + 5_000_000_000);
    assert_eq!(events[0].tid, None);
    let st = world::build_world(world);
    let t = st.thread(DEFAULT_PID).unwrap();
    assert_eq!((t.uid, t.ptid, t.cwd.as_str(), t.comm.as_str()), (0, 1, "/", "test-process"));
    assert_eq!(st.fds(DEFAULT_PID).map(|f| f.fd).collect::<Vec<_>>(), [0, 1, 2]);
    assert_eq!(st.user("", 0).unwrap().name, "root");
    // Filled in from the state: fd 3 for the open, flags O_RDONLY, dirfd AT_FDCWD.
    let ev = world::build_event(&events[1], DEFAULT_PID, &st);
    assert_eq!(ev.value(params::openat_x::FD), Some(&ParamValue::Fd(3)));
    assert_eq!(ev.arg_str(params::openat_x::FLAGS).as_deref(), Some("O_RDONLY"));
    assert_eq!(ev.value(params::openat_x::DIRFD), Some(&ParamValue::Fd(-100)));
}

#[test]
fn event_arguments_are_typed_by_the_event_table() {
    let (file, diags) = parsed(
        "cases:\n  - name: x\n    events:\n\
         \x20     - {openat: {name: /etc/shadow, flags: O_RDONLY|O_CLOEXEC, mode: 0644}, res: 3}\n\
         \x20     - {connect: {fd: 3, addr: '10.0.0.1:443'}, res: EINPROGRESS}\n\
         \x20     - {socket: {domain: AF_PACKET, type: 3}}\n\
         \x20     - {execve: {exe: /bin/bash, args: [-i, -l]}}\n",
    );
    assert!(diags.is_empty(), "{diags:?}");
    let Input::Events { events, .. } = &parsed_input(file) else { panic!() };
    let get = |i: usize, n: &str| events[i].params.iter().find(|(k, _)| *k == n).map(|(_, v)| v.clone());
    assert_eq!(get(0, "fd"), Some(ParamValue::Fd(3)));
    assert_eq!(get(0, "mode"), Some(ParamValue::U32(0o644)));
    assert!(matches!(get(0, "flags"), Some(ParamValue::Flags { bits, .. }) if bits == (1 | 1 << 12)));
    assert_eq!(get(1, "res"), Some(ParamValue::Errno(-115)));
    assert_eq!(get(1, "addr"), Some(ParamValue::SockAddr(SockAddr::V4("10.0.0.1".parse().unwrap(), 443))));
    assert!(matches!(get(2, "domain"), Some(ParamValue::Flags { bits: 17, .. })));
    assert_eq!(get(3, "args"), Some(ParamValue::Bytes(b"-i\0-l\0".to_vec())));
}

fn parsed_input(file: Option<TestFile>) -> Input {
    file.unwrap().cases.remove(0).input
}

#[test]
fn bad_test_files_are_reported_where_the_mistake_is() {
    assert_eq!(
        codes("cases:\n  - name: x\n    events:\n      - {opennat: {name: /x}}\n"),
        [(Code::UnknownTestEvent, "4:10".into())]
    );
    assert_eq!(
        codes("cases:\n  - name: x\n    events:\n      - {openat: {nmae: /x}}\n"),
        [(Code::UnknownEventParam, "4:19".into())]
    );
    assert_eq!(
        codes("cases:\n  - name: x\n    events:\n      - {openat: {flags: O_READ}}\n"),
        [(Code::BadParamValue, "4:26".into())]
    );
    assert_eq!(
        codes("cases:\n  - name: x\n    evnts: []\n"),
        [(Code::UnknownTestKey, "3:5".into()), (Code::TestFileShape, "2:5".into())]
    );
    assert_eq!(
        codes("cases:\n  - name: x\n    events:\n      - {pid: 42, execve: {}}\n"),
        [(Code::UnknownTestProcess, "4:9".into())]
    );
    assert_eq!(
        codes("cases:\n  - {name: x, events: [{close: {}}]}\n  - {name: x, events: [{close: {}}]}\n"),
        [(Code::DuplicateTestCase, "3:5".into())]
    );
    assert_eq!(
        codes("cases:\n  - name: x\n    each: [{a: 1}]\n    events: [{execve: {exe: '${b}'}}]\n"),
        [(Code::TestParameter, "4:29".into())]
    );
    assert_eq!(
        codes("cases:\n  - name: x\n    events: [{close: {}, after: 5}]\n"),
        [(Code::BadTestValue, "3:33".into())]
    );
    assert_eq!(
        codes("cases:\n  - name: x\n    world: {processes: [{pid: 5, exe: /x, caps: [CAP_NOPE]}]}\n    events: []\n"),
        [(Code::BadTestValue, "3:50".into())]
    );
    assert_eq!(codes("- a\n")[0].0, Code::TestFileShape);
    assert_eq!(codes("cases: [\n")[0].0, Code::YamlSyntax);
    // Every mistake of a file is reported, not only the first.
    assert_eq!(
        codes("cases:\n  - name: x\n    events: [{bad1: {}}]\n  - name: y\n    events: [{bad2: {}}]\n").len(),
        2
    );
}

#[test]
fn hints_name_the_closest_word() {
    let (_, d) = parsed("cases:\n  - name: x\n    events:\n      - {openat: {nmae: /x}}\n");
    assert!(d[0].hint.as_deref().unwrap().contains("did you mean `name`?"), "{:?}", d[0].hint);
    let (_, d) = parsed("cases:\n  - name: x\n    events:\n      - {execv: {}}\n");
    assert!(d[0].hint.as_deref().unwrap().contains("execve"), "{:?}", d[0].hint);
}

#[test]
fn parameterised_cases_expand_with_their_values() {
    let (file, diags) = parsed(
        "cases:\n  - name: shell ${s}\n    each: [{s: bash}, {s: zsh}]\n    events: [{execve: {exe: '/bin/${s}'}}]\n  - name: plain\n    each: [{n: 1}]\n    events: []\n",
    );
    assert!(diags.is_empty(), "{diags:?}");
    let names: Vec<String> = file.unwrap().cases.iter().map(|c| c.name.clone()).collect();
    assert_eq!(names, ["shell bash", "shell zsh", "plain [n=1]"]);
}

#[test]
fn values_of_the_format() {
    assert_eq!(parse::parse_duration("250ms"), Some(250_000_000));
    assert_eq!(parse::parse_duration("1.5s"), Some(1_500_000_000));
    assert_eq!(parse::parse_duration("5"), None);
    assert_eq!(parse::parse_int("0x10"), Some(16));
    assert_eq!(parse::parse_int("0644"), Some(0o644));
    assert_eq!(parse::parse_int("-3"), Some(-3));
    assert_eq!(parse::parse_int("3a"), None);
    assert_eq!(parse::errno_number("ENOENT"), Some(2));
    assert_eq!(parse::parse_sockaddr("[::1]:80"), Some(SockAddr::V6("::1".parse().unwrap(), 80)));
    assert_eq!(parse::parse_sockaddr("/run/x.sock"), Some(SockAddr::Unix("/run/x.sock".into())));
    assert!(parse::parse_socktuple("10.0.0.2:1->10.0.0.1:2").is_some());
    assert_eq!(world::full_container_id("abc123def456").len(), 64);
}

const CASES: &str = r#"
cases:
  - name: shell in container
    rule: Shell in container
    world:
      processes:
        - {pid: 10, exe: /usr/bin/runc, container: {id: abc123def456, image: "nginx:1.25"}}
    events:
      - {execve: {exe: /bin/sh, args: [-c, id]}}
    expect:
      - {rule: Shell in container, priority: NOTICE, output: "shell sh in abc123def456 (image=nginx)"}
  - name: shell on host
    rule: Shell in container
    events:
      - {execve: {exe: /bin/bash}}
    expect: [Any shell]
  - name: shadow by passwd is missing
    world:
      processes: [{pid: 20, exe: /usr/bin/passwd}]
    events:
      - {openat: {name: /etc/shadow}}
    expect: [Shadow read]
  - name: unexpected and mismatched
    world:
      processes: [{pid: 30, exe: /usr/bin/cat}]
    events:
      - {openat: {name: /etc/shadow}}
      - {execve: {exe: /bin/zsh}}
    expect:
      - {rule: Shadow read, priority: ERROR}
  - name: other alerts allowed
    allow_other_alerts: true
    events:
      - {execve: {exe: /bin/zsh}}
    expect: []
  - name: disabled rule switched on
    enable: [Disabled rule]
    events:
      - {openat: {name: /etc/hosts}}
    expect: [Disabled rule]
  - name: skipped
    skip: not today
    events: []
"#;

#[test]
fn cases_run_the_same_on_both_backends() {
    let s = suite(CASES);
    for backend in [Backend::Interp, Backend::Jit] {
        let statuses: Vec<Status> = (0..s.file.cases.len()).map(|i| s.run_case(i, backend).status).collect();
        assert_eq!(
            statuses,
            [
                Status::Pass,
                Status::Pass,
                Status::Fail,
                Status::Fail,
                Status::Pass,
                Status::Pass,
                Status::Skip("not today".into())
            ],
            "{backend:?}"
        );
    }
}

#[test]
fn a_failure_says_what_is_missing_different_and_unexpected() {
    let s = suite(CASES);
    let r = s.run_case(3, Backend::Jit);
    assert!(r.missing.is_empty());
    assert_eq!(r.mismatched.len(), 1);
    assert_eq!(r.mismatched[0].problems, ["priority: expected ERROR, got WARNING"]);
    assert_eq!(r.unexpected.len(), 1);
    assert_eq!(r.alerts[r.unexpected[0]].alert.rule, "Any shell");
    assert_eq!(r.alerts[r.unexpected[0]].event, 2);
}

#[test]
fn a_missing_alert_is_traced_with_every_subexpression() {
    let s = suite(CASES);
    let r = s.run_case(2, Backend::Interp);
    assert_eq!(r.missing.len(), 1);
    let t = &r.missing[0].traces[0];
    assert_eq!(t.event, 1);
    assert!(t.summary.contains("openat") && t.summary.contains("/etc/shadow"), "{}", t.summary);
    assert!(!t.tree.value);
    // The failing part: `not proc.name in (passwd, sudo)`, with the value that made it fail.
    let mut found = false;
    fn walk(n: &trace::TraceNode, f: &mut dyn FnMut(&trace::TraceNode)) {
        f(n);
        for c in &n.children {
            walk(c, f);
        }
    }
    walk(&t.tree, &mut |n| {
        if n.kind == TraceKind::Check && n.text.as_deref() == Some("proc.name in (passwd, sudo)") {
            assert!(n.value);
            assert_eq!(n.actual.as_deref(), Some("proc.name=passwd"));
            found = true;
        }
    });
    assert!(found, "{:#?}", t.tree);
}

#[test]
fn first_match_notes_which_rule_won() {
    let text = "cases:\n  - name: x\n    world: {processes: [{pid: 5, exe: /x, container: abcdefabcdef}]}\n    events: [{execve: {exe: /bin/sh}}]\n    expect: [Any shell]\n";
    let s = suite(text);
    let r = s.run_case(0, Backend::Jit);
    assert_eq!(r.status, Status::Fail);
    assert!(
        r.missing[0].notes.iter().any(|n| n.contains("earlier rule") && n.contains("Shell in container")),
        "{:?}",
        r.missing[0].notes
    );
    let s = suite(&text.replace("cases:", "match: all\ncases:"));
    let r = s.run_case(0, Backend::Jit);
    assert_eq!(r.alerts.len(), 2);
}

#[test]
fn unknown_rules_are_reported() {
    let (file, _) = parsed("cases:\n  - name: x\n    events: []\n    expect: [Shadow reed]\n");
    let rules = vec![SourceFile::new(FileId(0), "rules.yaml", RULES)];
    let err = Suite::new(file.unwrap(), rules, PathBuf::new(), Location::new(FileId(7), 0, 0)).unwrap_err();
    assert_eq!(err[0].code, Code::UnknownTestRule);
    let bad = vec![SourceFile::new(FileId(0), "rules.yaml", "- rule: x\n")];
    let (file, _) = parsed("cases: []\n");
    let err = Suite::new(file.unwrap(), bad, PathBuf::new(), Location::new(FileId(7), 0, 0)).unwrap_err();
    assert_eq!(err[0].code, Code::TestRulesFile);
}

#[test]
fn coverage_counts_positive_and_negative_cases() {
    let s = suite(CASES);
    let c = coverage(&s);
    let get = |n: &str| c.iter().find(|c| c.rule == n).unwrap().clone();
    assert_eq!((get("Shell in container").positive, get("Shell in container").negative), (1, 1));
    assert!(get("Shell in container").complete());
    assert_eq!((get("Shadow read").positive, get("Shadow read").negative), (2, 0));
    assert!(!get("Disabled rule").enabled);
}

#[test]
fn bless_rewrites_only_the_expectation() {
    let text = "# keep me\ncases:\n  - name: a   # and me\n    events: [{execve: {exe: /bin/sh}}]\n    expect:\n      - rule: Old\n  - name: b\n    events: [{execve: {exe: /bin/sh}}]\n  - {name: c, events: [{execve: {exe: /bin/sh}}]}\n";
    let (file, d) = parsed(text);
    assert!(d.is_empty(), "{d:?}");
    let file = file.unwrap();
    let alerts = vec![("Any shell".to_owned(), rulec_compiler::items::Priority::Informational)];
    let edits: Vec<BlessEdit> = file
        .cases
        .iter()
        .map(|c| BlessEdit { case_loc: c.loc, expect_loc: c.expect_loc, alerts: alerts.clone() })
        .collect();
    let new = apply(text, &edits);
    assert_eq!(
        new,
        "# keep me\ncases:\n  - name: a   # and me\n    events: [{execve: {exe: /bin/sh}}]\n    expect:\n      - rule: Any shell\n        priority: INFORMATIONAL\n  - name: b\n    events: [{execve: {exe: /bin/sh}}]\n    expect:\n      - rule: Any shell\n        priority: INFORMATIONAL\n  - {name: c, events: [{execve: {exe: /bin/sh}}], expect: [{rule: Any shell, priority: INFORMATIONAL}]}\n"
    );
    // What was written reads back as the expectation, and the run passes.
    let s = suite(&new);
    for i in 0..3 {
        assert_eq!(s.run_case(i, Backend::Jit).status, Status::Pass);
    }
    // No alerts: `expect: []`.
    let edits =
        vec![BlessEdit { case_loc: file.cases[0].loc, expect_loc: file.cases[0].expect_loc, alerts: Vec::new() }];
    assert!(apply(text, &edits).contains("    expect: []\n  - name: b"));
    assert_eq!(bless::yaml_str("a: b"), "\"a: b\"");
}

#[test]
fn world_processes_threads_fds_and_metadata() {
    let text = r#"
cases:
  - name: x
    world:
      dns: {10.96.0.1: kubernetes.default}
      users: [{uid: 1000, name: alice}]
      processes:
        - pid: 50
          exe: /usr/bin/java
          threads: [51, 52]
          user: alice
          tty: 34816
          caps: [SYS_ADMIN, CAP_NET_RAW]
          exe_flags: [EXE_UPPER_LAYER]
          container: {name: app, image: "registry:5000/team/app:v1", privileged: true}
          fds:
            - {fd: 3, file: /var/log/app.log, flags: O_WRONLY|O_APPEND}
            - {fd: 4, socket: tcp, local: "0.0.0.0:8080"}
            - {fd: 5, socket: udp, remote: "10.0.0.53:53"}
            - {fd: 6, unix: /run/app.sock}
            - {fd: 7, pipe: true}
            - {fd: 8, dir: /etc}
    events: []
"#;
    let (file, d) = parsed(text);
    assert!(d.is_empty(), "{d:?}");
    let Input::Events { world, .. } = parsed_input(file) else { panic!() };
    let st = world::build_world(&world);
    let t = st.thread(52).unwrap();
    assert_eq!((t.pid, t.uid, t.tty), (50, 1000, 34816));
    assert_eq!(t.cap_effective, (1 << 21) | (1 << 13));
    assert!(t.exe_upper_layer);
    assert_eq!(t.container_id.len(), 12);
    let c = st.container(&t.container_id).unwrap();
    assert_eq!(c.image.as_deref(), Some("registry:5000/team/app:v1"));
    assert_eq!(st.user(&t.container_id, 1000).unwrap().name, "alice");
    let kinds: Vec<&str> = st.fds(50).map(|f| f.kind.type_name()).collect();
    assert_eq!(kinds, ["file", "file", "file", "file", "ipv4", "ipv4", "unix", "pipe", "directory"]);
    assert_eq!(st.fd(50, 5).unwrap().name, "10.0.0.2:40000->10.0.0.53:53");
}

#[test]
fn no_input_makes_the_parser_or_the_runner_panic() {
    // Every prefix of a real file (cut anywhere, mid-token included) and a few odd documents:
    // parsing never panics, and whatever parses also runs.
    let mut inputs: Vec<String> =
        (0..CASES.len()).filter(|i| CASES.is_char_boundary(*i)).map(|i| CASES[..i].to_owned()).collect();
    inputs.extend(
        [
            "cases: [{name: x, events: [{execve: {args: {a: b}}}]}]",
            "cases: [{name: x, events: [{openat: {fd: 99999999999999999999}}]}]",
            "cases: [{name: x, events: [{openat: {name: [1, [2]]}}], expect: [{rule: [x]}]}]",
            "cases: [{name: x, each: [{a: [1]}], events: [{execve: {exe: 'x${a}y'}}]}]",
            "cases: [{name: x, world: {processes: [{pid: -1, exe: x}, {pid: 0, name: y}]}, events: []}]",
            "cases: [{name: x, events: [{after: 99999999999h, close: {}}, {dir: enter, procexit: {}}]}]",
            "cases: [{name: x, world: {processes: [{pid: 5, exe: x, fds: [{fd: 1, socket: tcp, local: '[::]:80'}]}]}, events: [{pid: 5, dup2: {oldfd: 1, newfd: 1}}]}]",
        ]
        .map(str::to_owned),
    );
    let rules = vec![SourceFile::new(FileId(0), "rules.yaml", RULES)];
    for text in inputs {
        let (file, diags) = parsed(&text);
        if let Some(file) = file.filter(|_| diags.is_empty())
            && let Ok(s) = Suite::new(file, rules.clone(), PathBuf::new(), Location::new(FileId(7), 0, 0))
        {
            for i in 0..s.file.cases.len() {
                let _ = s.run_case(i, Backend::Interp);
            }
        }
    }
}
