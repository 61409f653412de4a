//! The JIT's batch functions (one native call runs every candidate rule of an event type,
//! fetching each slot once) against the interpreter, rule by rule: on generated streams, with
//! the upstream rules, the stdlib and a list of more than 64 rules, in both matching modes, with
//! rules switched off and on after the batches were built, and with rules whose slots are
//! absent on most events.

use rulec_bench::Generator;
use rulec_compiler::FileId;
use rulec_compiler::source::SourceFile;
use rulec_runtime::engine::{Backend, Engine, MatchMode};

use crate::common::{stdlib_files as stdlib, upstream_files as upstream};

/// 80 rules on opens (more than a 64-bit mask holds), each on a path, a process name or a
/// port (absent on files), some never true, one matching most opens.
fn wide() -> Vec<SourceFile> {
    let mut yaml = String::new();
    for i in 0..80 {
        let cond = match i % 5 {
            0 => format!("fd.name = /etc/conf{i}"),
            1 => format!("proc.name = p{i} or fd.name startswith /tmp/{i}"),
            2 => format!("fd.sport = {}", 1000 + i),
            3 => "fd.num >= 0 and fd.name != /nowhere".to_owned(),
            _ => format!("proc.aname[3] = a{i} or proc.pname = bash"),
        };
        yaml.push_str(&format!(
            "- rule: w{i}\n  desc: d\n  condition: evt.type in (open, openat, openat2) and ({cond})\n  output: \"{i} %fd.name %proc.name\"\n  priority: WARNING\n"
        ));
    }
    vec![SourceFile::new(FileId(0), "wide.yaml", yaml)]
}

/// Runs `files` on the interpreter and the JIT side by side over a generated stream, in
/// `mode`, switching rules named in `toggle` off at a third of the stream and on again at two
/// thirds; every event must raise the same alerts, and the evaluation counts must agree.
fn agree(what: &str, files: &[SourceFile], mode: MatchMode, toggle: &[&str], events: usize) {
    let result = rulec_compiler::check::check(files);
    let mut interp = Engine::new(rulec_compiler::compile(&result), Backend::Interp);
    let mut jit = Engine::new(rulec_compiler::compile(&result), Backend::Jit);
    assert_eq!(jit.backend(), Backend::Jit, "{what}: {:?}", jit.jit_error());
    interp.set_mode(mode);
    jit.set_mode(mode);
    let mut g = Generator::new(9);
    let mut st = g.state();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let (mut alerts, mut batched) = (0usize, 0usize);
    for i in 0..events {
        if i == events / 3 || i == 2 * events / 3 {
            let on = i != events / 3;
            for name in toggle {
                assert!(interp.set_enabled(name, on) > 0, "{what}: no rule {name}");
                jit.set_enabled(name, on);
            }
        }
        let ev = g.next_event();
        st.apply(&ev);
        interp.process(&ev, &st, &mut a);
        jit.process(&ev, &st, &mut b);
        assert_eq!(a, b, "{what} {mode:?}: event {i} ({} at {})", ev.name, ev.ts);
        alerts += a.len();
        batched += usize::from(jit.batched());
        a.clear();
        b.clear();
    }
    assert!(alerts > 0, "{what} {mode:?}: the stream should raise alerts");
    assert!(batched > events / 2, "{what} {mode:?}: batches ran on {batched} of {events} events");
    assert_eq!(interp.stats(), jit.stats(), "{what} {mode:?}: evaluations, alerts");
    assert_eq!(jit.panics(), 0);
}

#[test]
fn batches_agree_with_the_interpreter_on_upstream_rules() {
    let Some(files) = upstream() else { return };
    for mode in [MatchMode::First, MatchMode::All] {
        agree("upstream", &files, mode, &["Read sensitive file untrusted", "Terminal shell in container"], 90_000);
    }
}

#[test]
fn batches_agree_with_the_interpreter_on_the_stdlib() {
    let files = stdlib();
    for mode in [MatchMode::First, MatchMode::All] {
        agree("stdlib", &files, mode, &["Shell spawned in a container"], 90_000);
    }
}

#[test]
fn batches_agree_with_the_interpreter_on_more_than_64_rules() {
    for mode in [MatchMode::First, MatchMode::All] {
        agree("wide", &wide(), mode, &["w3", "w8", "w40"], 60_000);
    }
}

/// After a batch call, every candidate rule's own function (what tools call) agrees with
/// the batch's verdict: the per-rule and batch entry points run the same bodies, one with a
/// slot cache per rule, the other with one for the whole list.
#[test]
fn rule_functions_agree_with_batches() {
    let files = wide();
    let result = rulec_compiler::check::check(&files);
    let mut e = Engine::new(rulec_compiler::compile(&result), Backend::Jit);
    e.set_mode(MatchMode::All);
    let mut g = Generator::new(4);
    let mut st = g.state();
    let mut out = Vec::new();
    let mut compared = 0;
    for _ in 0..30_000 {
        let ev = g.next_event();
        st.apply(&ev);
        out.clear();
        e.process(&ev, &st, &mut out);
        if !e.batched() || !matches!(ev.name, "open" | "openat" | "openat2") || ev.state_only() {
            continue;
        }
        let names: Vec<&str> = out.iter().map(|a| a.rule.as_str()).collect();
        for r in 0..e.program().rules.len() {
            let name = e.program().rules[r].name.clone();
            assert_eq!(e.eval_rule(r, &ev, &st), names.contains(&name.as_str()), "{name} on {}", ev.ts);
            compared += 1;
        }
    }
    assert!(compared > 10_000, "{compared}");
}

/// Rules that test `evt.type` beyond their event types' guard: each batch folds those tests
/// for its event name (`Compiled::type_verdicts`), a branch for another name costs nothing,
/// and the verdicts stay the interpreter's.
fn by_type() -> Vec<SourceFile> {
    let rules = [
        "(evt.type = open and fd.name startswith /etc) or (evt.type = openat and fd.num >= 0)",
        "evt.type in (open, openat, openat2, execve) and not evt.type = openat2 and proc.name != nobody",
        "evt.type in (openat, connect) and (evt.type != connect or fd.sport > 0)",
        "evt.type startswith open and evt.type in (openat, sendto)",
    ];
    let mut yaml = String::new();
    for (i, cond) in rules.iter().enumerate() {
        yaml.push_str(&format!(
            "- rule: t{i}\n  desc: d\n  condition: {cond}\n  output: \"{i} %evt.type\"\n  priority: WARNING\n"
        ));
    }
    vec![SourceFile::new(FileId(0), "by_type.yaml", yaml)]
}

#[test]
fn batches_fold_evt_type_tests_as_the_interpreter_decides_them() {
    let result = rulec_compiler::check::check(&by_type());
    assert!(!result.has_errors());
    let compiled = rulec_runtime::eval::Compiled::new(&rulec_compiler::compile(&result));
    let p = compiled.program();
    // Every check on evt.type is known for an event name, and means what its text says.
    let is_type = |c: &rulec_ir::Check| rulec_ir::text::default_written(&p.slots, c.slot) == "%evt.type";
    let on_type = p.checks.iter().filter(|c| is_type(c)).count();
    assert!(on_type >= 8, "{on_type}");
    for name in ["open", "openat", "openat2", "execve", "connect", "sendto", "other"] {
        let known = compiled.type_verdicts(name);
        assert_eq!(known.len(), on_type, "{name}: {known:?}");
    }
    let verdict_of = |name: &str, text: &str| {
        let text_of = |c: u32| rulec_ir::text::CheckText(&p.checks[c as usize]).to_string();
        compiled.type_verdicts(name).iter().find(|(c, _)| text_of(*c).contains(text)).map(|k| k.1)
    };
    assert_eq!(verdict_of("openat", "startswith"), Some(true));
    assert_eq!(verdict_of("sendto", "startswith"), Some(false));
    for mode in [MatchMode::First, MatchMode::All] {
        // Few rules see few events: profiling (8192 rule evaluations) takes 70,000 of them.
        agree("by type", &by_type(), mode, &[], 200_000);
    }
}
