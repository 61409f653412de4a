//! The engine on rules files with real field extraction and a seeded process/fd state: first and
//! all matching, event-type indexing, disabled rules, lists and macros, exceptions, ancestor
//! fields, output rendering with `<NA>`. Every case runs on every engine configuration (see
//! `common::check_both`).

use crate::common;

use common::*;
use rulec_compiler::items::Priority;
use rulec_runtime::engine::{Backend, Engine, MatchMode, clock};
use rulec_runtime::event::DF_STATE_ONLY;
use rulec_runtime::{Direction, Event, FdInfo, Param, ParamType, ParamValue, State, ThreadInfo};

/// systemd(1) → sshd(100) → bash(200) → cat(300); cat has /etc/shadow on fd 3 and /etc/passwd
/// on fd 4.
fn state() -> State {
    let mut st = State::new();
    let mut add = |tid: i64, ptid: i64, comm: &str, fds: Vec<FdInfo>| {
        let mut t = ThreadInfo::new(tid, tid, ptid);
        t.comm = comm.to_owned();
        t.exe = format!("/usr/bin/{comm}");
        t.args = vec!["-n".to_owned()];
        st.add_process(t, fds);
    };
    add(1, 0, "systemd", vec![]);
    add(100, 1, "sshd", vec![]);
    add(200, 100, "bash", vec![]);
    add(300, 200, "cat", vec![FdInfo::file(3, "/etc/shadow", 0), FdInfo::file(4, "/etc/passwd", 0)]);
    st
}

/// An exit event of thread `tid` on fd `fd`.
fn ev(name: &'static str, tid: i64, fd: i64) -> Event {
    Event {
        ts: 1_700_000_000_123_456_789,
        tid,
        cpu: 0,
        type_id: 1,
        dir: Direction::Exit,
        name,
        params: vec![Param { name: "fd", ty: ParamType::Fd, value: ParamValue::Fd(fd) }].into(),
        dump_flags: 0,
    }
}

fn run(yaml: &str, events: Vec<Event>, mode: MatchMode) -> Vec<Vec<String>> {
    let st = state();
    let evs: Vec<(Event, State)> = events.into_iter().map(|e| (e, st.clone())).collect();
    check_both(yaml, &evs, mode, None).iter().map(|a| names(a)).collect()
}

fn rule(name: &str, cond: &str) -> String {
    format!(
        "- rule: {name}\n  desc: d\n  condition: >-\n    {cond}\n  output: \"{name} %proc.name\"\n  priority: WARNING\n  warn_evttypes: false\n"
    )
}

const THREE: &str = "evt.type = open and proc.name = cat|evt.type = open and fd.name startswith /etc|proc.name = cat";

fn three_rules() -> String {
    THREE.split('|').enumerate().map(|(i, c)| rule(&format!("r{i}"), c)).collect()
}

#[test]
fn first_match_wins_by_default() {
    let got = run(&three_rules(), vec![ev("open", 300, 3), ev("close", 300, 3), ev("open", 200, 3)], MatchMode::First);
    assert_eq!(got, vec![vec!["r0"], vec!["r2"], vec![]]);
}

#[test]
fn all_mode_reports_every_match_in_load_order() {
    let got = run(&three_rules(), vec![ev("open", 300, 3), ev("close", 300, 3), ev("open", 300, 9)], MatchMode::All);
    assert_eq!(got, vec![vec!["r0", "r1", "r2"], vec!["r2"], vec!["r0", "r2"]]);
}

#[test]
fn events_only_reach_rules_of_their_type() {
    // Even a condition that would hold is not evaluated on other event types.
    let yaml = rule("opens", "evt.type in (open, openat) and proc.name = cat")
        + &rule("any", "evt.type = open or proc.name = cat")
        + &rule("not_open", "evt.type != open and proc.name = cat");
    let got = run(&yaml, vec![ev("open", 300, 3), ev("execve", 300, 3)], MatchMode::All);
    assert_eq!(got, vec![vec!["opens", "any"], vec!["any", "not_open"]]);
}

#[test]
fn disabled_rules_are_skipped_until_enabled() {
    let yaml = rule("off", "proc.name = cat").replace("warn_evttypes: false", "warn_evttypes: false\n  enabled: false")
        + &rule("on", "proc.name = cat");
    assert_eq!(run(&yaml, vec![ev("open", 300, 3)], MatchMode::First), vec![vec!["on"]]);
    let r = checked(&yaml);
    let (_, p) = programs(&r);
    for backend in [Backend::Interp, Backend::Jit] {
        let mut e = Engine::new(p.clone(), backend);
        assert_eq!(e.set_enabled("off", true), 1);
        let mut out = Vec::new();
        e.process(&ev("open", 300, 3), &state(), &mut out);
        assert_eq!(names(&out), ["off"], "{backend:?}");
        assert_eq!(e.set_enabled("nope", true), 0);
    }
}

/// An event type remembered as having no rule to run gets its rules once they are enabled,
/// and loses them again when they are disabled (the engine's name cache follows the lists).
#[test]
fn an_event_type_without_rules_gets_them_when_enabled() {
    let yaml = rule("opens", "evt.type = open and proc.name = cat")
        .replace("warn_evttypes: false", "warn_evttypes: false\n  enabled: false");
    let r = checked(&yaml);
    let (_, p) = programs(&r);
    for backend in [Backend::Interp, Backend::Jit] {
        let mut e = Engine::new(p.clone(), backend);
        let seen = |e: &mut Engine| {
            let mut out = Vec::new();
            for _ in 0..3 {
                e.process(&ev("open", 300, 3), &state(), &mut out);
                e.process(&ev("close", 300, 3), &state(), &mut out);
            }
            names(&out)
        };
        assert!(seen(&mut e).is_empty(), "{backend:?}: disabled");
        assert_eq!(e.set_enabled("opens", true), 1);
        assert_eq!(seen(&mut e), ["opens"; 3], "{backend:?}: enabled");
        assert_eq!(e.set_enabled("opens", false), 1);
        assert!(seen(&mut e).is_empty(), "{backend:?}: disabled again");
    }
}

/// Events of different names that share a type id (a generic event is named after its
/// syscall), alternating, each reach their own name's rules every time: the engine's per-id
/// candidate cache holds one name per id, the name cache behind it the others.
#[test]
fn events_sharing_a_type_id_reach_their_own_rules() {
    let yaml = rule("opens", "evt.type = open and proc.name = cat")
        + &rule("mprotects", "evt.type = mprotect and proc.name = cat");
    let mut events = Vec::new();
    let mut want = Vec::new();
    for _ in 0..4 {
        for (name, rules) in [("open", vec!["opens"]), ("mprotect", vec!["mprotects"]), ("close", vec![])] {
            events.push(ev(name, 300, 3));
            want.push(rules);
        }
    }
    assert!(events.iter().all(|e| e.type_id == 1));
    assert_eq!(run(&yaml, events, MatchMode::All), want);
}

/// Turning adaptive ordering off gives the JIT its batch functions whatever was set before it:
/// sharing switched on first, or after.
#[test]
fn batches_exist_whatever_order_the_engine_is_set_up_in() {
    use rulec_runtime::engine::Sharing;
    let (_, program) = programs(&checked(&three_rules()));
    for sharing_first in [true, false] {
        let mut e = Engine::new(program.clone(), Backend::Jit);
        assert_eq!(e.backend(), Backend::Jit, "{:?}", e.jit_error());
        if sharing_first {
            e.set_sharing(Sharing::On);
            e.set_adaptive_order(false);
        } else {
            e.set_adaptive_order(false);
            e.set_sharing(Sharing::On);
        }
        assert!(e.batched(), "sharing set first: {sharing_first}: no batch functions");
        let mut alerts = Vec::new();
        let st = state();
        e.process(&ev("open", 300, 3), &st, &mut alerts);
        assert_eq!(names(&alerts), ["r0"], "sharing set first: {sharing_first}");
    }
}

#[test]
fn state_only_events_are_not_shown_to_rules() {
    let mut e = ev("open", 300, 3);
    e.dump_flags = DF_STATE_ONLY;
    assert_eq!(run(&rule("r", "proc.name = cat"), vec![e], MatchMode::All), vec![Vec::<String>::new()]);
}

#[test]
fn lists_and_macros_expand() {
    let yaml = "- list: shells\n  items: [bash, sh]\n- list: more\n  items: [shells, zsh]\n".to_owned()
        + "- macro: by_shell\n  condition: proc.pname in (more)\n"
        + "- macro: reads_etc\n  condition: evt.type = open and fd.name pmatch (/etc)\n"
        + &rule("m", "reads_etc and by_shell")
        + &rule("n", "reads_etc and not by_shell");
    let got = run(&yaml, vec![ev("open", 300, 3), ev("open", 200, 3)], MatchMode::All);
    // bash (200) has no fd 3: fd.name is absent, so `reads_etc` is false.
    assert_eq!(got, vec![vec!["m"], vec![]]);
}

#[test]
fn exceptions_exclude_matching_rows() {
    let yaml = r#"
- rule: read etc
  desc: d
  condition: evt.type = open and fd.name startswith /etc
  output: "%proc.name %fd.name"
  priority: ERROR
  exceptions:
    - name: known_pairs
      fields: [proc.name, fd.name]
      values:
        - [cat, /etc/shadow]
        - [vi, /etc/passwd]
    - name: parents
      fields: proc.pname
      comps: in
      values: [sshd, login]
"#;
    let got = run(yaml, vec![ev("open", 300, 3), ev("open", 300, 4)], MatchMode::All);
    assert_eq!(got, vec![vec![] as Vec<&str>, vec!["read etc"]]);
}

#[test]
fn ancestor_fields_with_real_state() {
    let conds = [
        "proc.aname = systemd",
        "proc.aname = cat",
        "proc.aname in (sshd, nope)",
        "proc.aname != bash",
        "proc.aname[0] = cat",
        "proc.aname[1] = bash",
        "proc.aname[2] = sshd",
        "proc.aname[3] = systemd",
        "proc.aname[9] exists",
        "not proc.aname[9] = x",
        "proc.pname = bash",
        "proc.aname startswith ssh",
    ];
    let yaml: String = conds.iter().enumerate().map(|(i, c)| rule(&format!("a{i}"), c)).collect();
    let got = run(&yaml, vec![ev("open", 300, 3)], MatchMode::All);
    let want: Vec<String> = [0, 2, 3, 4, 5, 6, 7, 9, 10, 11].iter().map(|i| format!("a{i}")).collect();
    assert_eq!(got[0], want);
}

#[test]
fn output_rendering() {
    let yaml = r#"
- rule: render
  desc: d
  condition: evt.type = open and proc.name = cat
  output: "%proc.name read %fd.name (parent=%proc.pname gp=%proc.aname[2] ip=%fd.sip up=%toupper(proc.name))"
  priority: CRITICAL
  tags: [filesystem, mitre_credential_access]
"#;
    let st = state();
    let alerts = check_both(yaml, &[(ev("open", 300, 3), st)], MatchMode::First, None);
    let a = &alerts[0][0];
    assert_eq!(a.message, "cat read /etc/shadow (parent=bash gp=sshd ip=<NA> up=CAT)");
    assert_eq!(a.output, format!("{}: Critical {}", clock(a.time), a.message));
    assert!(a.output.starts_with("22:13:20.123456789: Critical cat read"), "{}", a.output);
    assert_eq!(a.priority, Priority::Critical);
    assert_eq!(a.source, "syscall");
    assert_eq!(a.tags, ["filesystem", "mitre_credential_access"]);
    assert_eq!(a.time, 1_700_000_000_123_456_789);
    let fields: Vec<(&str, &str)> = a.output_fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(
        fields,
        [
            ("fd.name", "/etc/shadow"),
            ("fd.sip", "<NA>"),
            ("proc.aname[2]", "sshd"),
            ("proc.name", "cat"),
            ("proc.pname", "bash"),
            ("toupper(proc.name)", "CAT")
        ]
    );
}

#[test]
fn compile_gives_an_engine_its_program() {
    let r = checked(&three_rules());
    for backend in [Backend::Interp, Backend::Jit] {
        let mut e = Engine::new(rulec_compiler::compile(&r), backend);
        assert_eq!(e.backend(), backend, "{:?}", e.jit_error());
        let mut out = Vec::new();
        e.process(&ev("open", 300, 3), &state(), &mut out);
        assert_eq!(names(&out), ["r0"]);
        assert!(e.eval_rule(2, &ev("close", 300, 3), &state()));
        assert!(!e.eval_rule(99, &ev("close", 300, 3), &state()), "unknown rule index is false");
        let s = e.stats();
        assert_eq!((s.events, s.alerts), (1, 1));
    }
}

#[test]
fn unknown_threads_give_absent_values() {
    let yaml =
        rule("present", "proc.name exists") + &rule("absent", "not proc.name exists") + &rule("ne", "proc.name != cat");
    let got = run(&yaml, vec![ev("open", 4242, 3)], MatchMode::All);
    assert_eq!(got, vec![vec!["absent"]]);
}

/// Integer fields whose value is a list although their type is scalar (`proc.apid` without an
/// index lists every ancestor's pid): numeric checks on them must mean "some ancestor", on the
/// JIT's inline path as in the interpreter.
#[test]
fn integer_ancestor_fields_match_any_ancestor_on_both_backends() {
    let conds = [
        "proc.apid = 1",
        "proc.apid = 100",
        "proc.apid > 150",
        "proc.apid in (100, 7)",
        "proc.apid = 300",
        "proc.apid[1] = 200",
    ];
    let yaml: String = conds.iter().enumerate().map(|(i, c)| rule(&format!("p{i}"), c)).collect();
    let got = run(&yaml, vec![ev("open", 300, 3)], MatchMode::All);
    let want: Vec<String> = [0, 1, 2, 3, 5].iter().map(|i| format!("p{i}")).collect();
    assert_eq!(got[0], want);
}
