//! The verdicts remembered by thread (`runtime/src/eval/thread_memo.rs`): checks on
//! `proc.name`, `proc.pname`, `proc.cmdline`... keep their verdicts per thread until the thread
//! table changes. These tests hold that memo to plain evaluation: the table's generation moves
//! on every change of a thread's facts and on nothing else, and on random streams of execs,
//! clones, exits, chdirs and ordinary events (also read against older copies of the state), the
//! interpreter and the JIT (a function per rule, and one batch call per event) with the memo
//! switched on give the verdicts of the interpreter without it, rule by rule and event by event.

use rulec_bench::workload::SplitMix64 as Rng;
use rulec_compiler::ir::parse::parse;
use rulec_runtime::engine::{Backend, Engine, MatchMode, Sharing};
use rulec_runtime::event::build_event;
use rulec_runtime::{Direction, Event, ParamValue, State, ThreadInfo};

use crate::common::rule_per_check_ir;

fn ev(ts: u64, tid: i64, name: &'static str, values: Vec<(&'static str, ParamValue)>) -> Event {
    build_event(ts, tid, name, Direction::Exit, values)
}

/// A successful execve exit of `tid` (parent `ptid`) running `comm` with `args`.
fn exec(ts: u64, tid: i64, ptid: i64, comm: &str, args: &[&str]) -> Event {
    let argv = crate::common::nul_joined(args);
    let values = vec![
        ("res", ParamValue::Errno(0)),
        ("exe", ParamValue::Str(format!("/bin/{comm}"))),
        ("args", if args.is_empty() { ParamValue::Absent } else { ParamValue::Bytes(argv) }),
        ("tid", ParamValue::Pid(tid)),
        ("pid", ParamValue::Pid(tid)),
        ("ptid", ParamValue::Pid(ptid)),
        ("comm", ParamValue::Str(comm.into())),
    ];
    ev(ts, tid, "execve", values)
}

fn close(ts: u64, tid: i64) -> Event {
    ev(ts, tid, "close", vec![("res", ParamValue::Errno(0))])
}

/// init(1) → sh(100).
fn world() -> State {
    let mut st = State::new();
    let mut init = ThreadInfo::new(1, 1, 0);
    init.comm = "init".into();
    init.exe = "/sbin/init".into();
    st.add_process(init, []);
    let mut sh = ThreadInfo::new(100, 100, 1);
    sh.comm = "sh".into();
    sh.exe = "/bin/sh".into();
    st.add_process(sh, []);
    st
}

#[test]
fn the_generation_moves_on_every_change_of_a_thread_and_only_then() {
    let mut st = world();
    let mut seen = vec![st.threads_generation()];
    let changed = |st: &State, what: &str, seen: &mut Vec<u64>| {
        let g = st.threads_generation();
        assert!(!seen.contains(&g), "{what}: generation {g} seen before ({seen:?})");
        seen.push(g);
    };
    let copy = st.clone();
    assert_eq!(copy.threads_generation(), st.threads_generation(), "an unchanged copy has the same threads");
    st.apply(&close(1, 100));
    assert_eq!(st.threads_generation(), *seen.last().unwrap(), "an event that changes no thread");
    st.apply(&exec(2, 100, 1, "wget", &["http://x"]));
    changed(&st, "exec", &mut seen);
    st.apply(&ev(3, 100, "clone", vec![("res", ParamValue::Pid(200))]));
    changed(&st, "clone", &mut seen);
    st.apply(&ev(4, 200, "chdir", vec![("res", ParamValue::Errno(0)), ("path", ParamValue::Str("/tmp".into()))]));
    changed(&st, "chdir", &mut seen);
    st.apply(&build_event(5, 200, "procexit", Direction::Enter, vec![]));
    st.apply(&close(6, 100));
    changed(&st, "exit (removed at the next event)", &mut seen);
    // The copy, changed on its own, never takes a generation the original had.
    let mut copy = copy;
    copy.apply(&exec(7, 100, 1, "nc", &["-l"]));
    changed(&copy, "exec in a copy", &mut seen);
}

/// The program: per slot a few checks, one rule per check.
const CHECKS: [(&str, &str); 12] = [
    ("s0", "in (\"nc\", \"wget\", \"sh\")"),
    ("s0", "contains \"ge\""),
    ("s0", "startswith \"n\""),
    ("s1", "in (\"sh\", \"init\")"),
    ("s1", "contains \"ge\""),
    ("s1", "endswith \"h\""),
    ("s2", "contains anyof (\"-l\", \"http\")"),
    ("s2", "= \"sh\""),
    ("s2", "icontains \"X\""),
    ("s3", "startswith \"/bin/\""),
    ("s3", "glob \"*c\""),
    ("s3", "!= \"/sbin/init\""),
];

fn program_ir() -> String {
    let checks: Vec<String> = CHECKS.iter().map(|(slot, test)| format!("{slot} {test}")).collect();
    rule_per_check_ir(&["proc.name", "proc.pname", "proc.cmdline", "proc.exe"], &checks)
}

const COMMS: [&str; 5] = ["nc", "wget", "sh", "getty", "bash"];
const ARGS: [&[&str]; 4] = [&[], &["-l"], &["http://x", "-X"], &["-c", "ls"]];

#[test]
fn remembered_thread_verdicts_are_plain_verdicts_on_random_streams() {
    let program = parse(&program_ir()).unwrap_or_else(|e| panic!("{e:?}"));
    let mut compared = 0usize;
    for seed in 1..=6u64 {
        let mut r = Rng(seed);
        let mut reference = Engine::new(program.clone(), Backend::Interp);
        reference.set_sharing(Sharing::Off);
        let mut engines: Vec<Engine> = [Backend::Interp, Backend::Jit]
            .map(|b| {
                let mut e = Engine::new(program.clone(), b);
                e.set_sharing(Sharing::On);
                assert_eq!(e.backend(), b, "{:?}", e.jit_error());
                e
            })
            .into();
        // One batch call per event, from the first event (alerts of every rule).
        let mut batched = Engine::new(program.clone(), Backend::Jit);
        batched.set_mode(MatchMode::All);
        batched.set_adaptive_order(false);
        batched.set_sharing(Sharing::On);
        assert!(batched.batched(), "no batch functions: {:?}", batched.jit_error());
        let mut st = world();
        let mut older: Vec<State> = vec![st.clone()];
        let mut tids: Vec<i64> = vec![1, 100];
        let mut next_tid = 200;
        for i in 0..3000u64 {
            let ts = 10 + i;
            let tid = *r.pick(&tids);
            let e = match r.index(20) {
                0 => exec(ts, tid, 1, COMMS[r.index(COMMS.len())], ARGS[r.index(ARGS.len())]),
                1 if tids.len() < 40 => {
                    next_tid += 1;
                    tids.push(next_tid);
                    ev(ts, tid, "clone", vec![("res", ParamValue::Pid(next_tid))])
                }
                2 if tid != 1 => {
                    tids.retain(|&t| t != tid);
                    build_event(ts, tid, "procexit", Direction::Enter, vec![])
                }
                3 => {
                    ev(ts, tid, "chdir", vec![("res", ParamValue::Errno(0)), ("path", ParamValue::Str("/tmp".into()))])
                }
                // An event of a thread the table never had, now and then.
                4 => close(ts, 90_000 + r.index(3) as i64),
                _ => close(ts, tid),
            };
            st.apply(&e);
            if r.index(50) == 0 {
                older.push(st.clone());
            }
            // Mostly the current state; sometimes an older copy (the same tids, other facts).
            let old = r.index(10) == 0;
            let at = if old { r.index(older.len()) } else { 0 };
            let state = if old { &older[at] } else { &st };
            let mut alerts = Vec::new();
            batched.process(&e, state, &mut alerts);
            let mut matched: Vec<String> = alerts.iter().map(|a| a.rule.clone()).collect();
            for rule in 0..CHECKS.len() {
                let want = reference.eval_rule(rule, &e, state);
                if want {
                    let at = matched.iter().position(|m| *m == format!("r{rule}"));
                    let at = at.unwrap_or_else(|| panic!("seed {seed}, event {i}: batch missed rule {rule}"));
                    matched.remove(at);
                }
                for eng in &mut engines {
                    let got = eng.eval_rule(rule, &e, state);
                    assert_eq!(
                        got,
                        want,
                        "seed {seed}, event {i} ({} of {}), rule {rule} on {:?}",
                        e.name,
                        e.tid,
                        eng.backend()
                    );
                }
                compared += 1;
            }
            assert!(matched.is_empty(), "seed {seed}, event {i}: batch matched {matched:?} too");
        }
        for eng in engines.iter().chain([&batched]) {
            assert_eq!(eng.panics(), 0, "seed {seed}: a check panicked");
        }
    }
    assert!(compared > 100_000, "{compared}");
}
