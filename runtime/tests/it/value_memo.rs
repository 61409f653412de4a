//! The verdicts checks remember by value (`CheckPlan::memo` in `runtime/src/eval/compiled.rs`):
//! a check that runs an automaton or pattern engine over its value keeps its last value's bytes
//! and verdict. These tests hold both backends to the plain meaning of the tests (computed here
//! in Rust) on random streams whose values repeat in runs (memo hits), change on every event
//! (misses, until the memo is dropped for missing too often), exceed the longest value
//! remembered, or are absent (on the JIT, calls guarded by the bytes an inline test of the
//! slot fetches); and, with the real fields, across execs that change a process's command line
//! between events of the same thread.

use crate::common::{fake_extract, fev, rule_per_check_ir};

use rulec_bench::workload::SplitMix64 as Rng;
use rulec_compiler::ir::parse::parse;
use rulec_runtime::engine::{Backend, Engine, Sharing};
use rulec_runtime::event::build_event;
use rulec_runtime::{Direction, Event, ParamValue, State, ThreadInfo};

/// Patterns and values are made of few bytes, so patterns often occur in values.
const ALPHABET: &[u8] = b"abAB/";

fn text(r: &mut Rng, min: usize, max: usize) -> String {
    let n = min + r.index(max - min + 1);
    (0..n).map(|_| char::from(*r.pick(ALPHABET))).collect()
}

/// A check of each remembered shape and its meaning on a value.
struct Case {
    ir: String,
    holds: Box<dyn Fn(&str) -> bool>,
}

fn case(r: &mut Rng) -> Case {
    let ps: Vec<String> = (0..1 + r.index(4)).map(|_| text(r, 1, 4)).collect();
    let set = ps.iter().map(|p| format!("\"{p}\"")).collect::<Vec<_>>().join(", ");
    let (ir, holds): (String, Box<dyn Fn(&str) -> bool>) = match r.index(3) {
        0 => {
            let ps = ps.clone();
            (format!("s0 contains anyof ({set})"), Box::new(move |v: &str| ps.iter().any(|p| v.contains(p.as_str()))))
        }
        1 => {
            let p = ps[0].to_ascii_lowercase();
            (
                format!("s0 icontains \"{}\"", ps[0]),
                Box::new(move |v: &str| v.to_ascii_lowercase().contains(p.as_str())),
            )
        }
        _ => {
            let ps = ps.clone();
            (format!("s0 contains allof ({set})"), Box::new(move |v: &str| ps.iter().all(|p| v.contains(p.as_str()))))
        }
    };
    Case { ir, holds }
}

/// The value of event `i` of a stream of `n`: runs of one value first, then a new value on
/// every event (more than the memo's trial), then runs again, with absent and over-long values
/// here and there.
fn value(r: &mut Rng, i: usize, n: usize, last: &Option<String>) -> Option<String> {
    let third = n / 3;
    if r.index(40) == 0 {
        return None;
    }
    if r.index(60) == 0 {
        return Some(text(r, 4100, 4200));
    }
    let fresh = i >= third && i < 2 * third;
    match last {
        Some(v) if !fresh && r.index(4) != 0 => Some(v.clone()),
        _ => Some(text(r, 0, 12)),
    }
}

#[test]
fn remembered_verdicts_are_the_tests_verdicts() {
    const RULES: usize = 12;
    const EVENTS: usize = 4000;
    let mut held = 0;
    for seed in 1..=4u64 {
        let mut r = Rng(seed);
        let mut cases: Vec<Case> = (0..RULES - 1).map(|_| case(&mut r)).collect();
        // A test the JIT compiles inline on the same slot: the others become calls guarded by
        // the bytes it fetches (an absent value is false without a call).
        cases.push(Case { ir: "s0 startswith \"a\"".into(), holds: Box::new(|v: &str| v.starts_with('a')) });
        let ir = rule_per_check_ir(&["fd.name"], &cases.iter().map(|c| c.ir.clone()).collect::<Vec<_>>());
        let program = parse(&ir).unwrap_or_else(|e| panic!("seed {seed}: {e:?}\n{ir}"));
        let mut engines = Vec::new();
        for backend in [Backend::Interp, Backend::Jit] {
            let mut e = Engine::with_extractor(program.clone(), backend, fake_extract);
            e.set_sharing(Sharing::Off);
            assert_eq!(e.backend(), backend, "{:?}", e.jit_error());
            engines.push(e);
        }
        let st = State::new();
        let mut last = None;
        for i in 0..EVENTS {
            let v = value(&mut r, i, EVENTS, &last);
            let ev = match &v {
                Some(v) => fev("open", &[("fd.name", ParamValue::Str(v.clone()))]),
                None => fev("open", &[]),
            };
            for (k, c) in cases.iter().enumerate() {
                let want = v.as_deref().is_some_and(|v| (c.holds)(v));
                for e in &mut engines {
                    assert_eq!(e.eval_rule(k, &ev, &st), want, "seed {seed}, event {i} {v:?}: `{}`", c.ir);
                }
                held += usize::from(want);
            }
            last = v;
        }
        for e in &engines {
            assert_eq!(e.panics(), 0, "seed {seed}: a check panicked");
        }
    }
    let total = 4 * RULES * EVENTS;
    assert!(held > total / 20 && held < total * 19 / 20, "{held} of {total} held");
}

fn exec(ts: u64, tid: i64, comm: &str, args: &[&str]) -> Event {
    let argv = crate::common::nul_joined(args);
    let values = vec![
        ("res", ParamValue::Errno(0)),
        ("exe", ParamValue::Str(comm.into())),
        ("args", ParamValue::Bytes(argv)),
        ("tid", ParamValue::Pid(tid)),
        ("pid", ParamValue::Pid(tid)),
        ("ptid", ParamValue::Pid(1)),
        ("comm", ParamValue::Str(comm.into())),
    ];
    build_event(ts, tid, "execve", Direction::Exit, values)
}

/// With the real fields (the command line read in place from the thread), a thread's exec
/// changes what its next events' checks see: a remembered verdict never outlives the value.
#[test]
fn an_exec_changes_the_remembered_verdict() {
    let program = parse(
        "slots:\n  s0 = proc.cmdline\nchecks:\n  c0 = s0 contains anyof (\"wget\", \"nc -e\", \"base64 -d\")\n\
         nodes:\n  n0 = c0\nrules:\n  r0 \"r0\" Notice enabled root=n0 types=all\n     output: \"x\"\n",
    )
    .unwrap_or_else(|e| panic!("{e:?}"));
    let mut st = State::new();
    let mut init = ThreadInfo::new(1, 1, 0);
    init.comm = "init".into();
    st.add_process(init, []);
    let mut sh = ThreadInfo::new(100, 100, 1);
    sh.comm = "sh".into();
    st.add_process(sh, []);
    let mut engines: Vec<Engine> = [Backend::Interp, Backend::Jit].map(|b| Engine::new(program.clone(), b)).into();
    let steps: [(&str, &[&str], bool); 5] = [
        ("sh", &["-c", "ls"], false),
        ("wget", &["http://x/y"], true),
        ("sh", &["-c", "ls"], false),
        ("sh", &["-c", "echo | base64 -d"], true),
        ("nc", &["-l"], false),
    ];
    let mut ts = 1;
    for (comm, args, want) in steps {
        let ev = exec(ts, 100, comm, args);
        st.apply(&ev);
        // The exec itself and further events of the same thread, same value: same verdict.
        let other = build_event(ts + 1, 100, "close", Direction::Exit, vec![("res", ParamValue::Errno(0))]);
        st.apply(&other);
        for e in &mut engines {
            for ev in [&ev, &other, &other] {
                assert_eq!(e.eval_rule(0, ev, &st), want, "{comm} {args:?} on {:?}", e.backend());
            }
        }
        ts += 10;
    }
}
