//! The engine compiling its JIT in the background (`Compiles::Background`): it agrees with the
//! interpreter and with an engine compiling inline on every event, before its code is in (the
//! interpreter runs), while a compile runs (the code it had) and after; `finish_compile` waits
//! for the code and installs it; a compile that fails is reported and leaves the interpreter.

use rulec_bench::Generator;
use rulec_compiler::source::SourceFile;
use rulec_ir::{Node, NodeId, Program};
use rulec_runtime::engine::{Backend, Compiles, Engine, MatchMode};

use crate::common::{checked, stdlib_files as stdlib, upstream_files as upstream};

/// Runs `files` over a generated stream on the interpreter, the JIT compiling inline and the
/// JIT compiling in the background, side by side, switching `toggle` off at two thirds of the
/// stream (a rebuild for the new lists while the background engine runs JIT code already);
/// every event must raise the same alerts on the three.
fn agree(what: &str, files: &[SourceFile], mode: MatchMode, toggle: &str, events: usize) {
    let result = rulec_compiler::check::check(files);
    let program = rulec_compiler::compile(&result);
    let mut interp = Engine::new(program.clone(), Backend::Interp);
    let mut inline = Engine::new(program.clone(), Backend::Jit);
    let mut bg = Engine::with_compiles(program, Backend::Jit, Compiles::Background);
    assert_eq!(bg.backend(), Backend::Jit);
    for e in [&mut interp, &mut inline, &mut bg] {
        e.set_mode(mode);
    }
    // Nothing is compiled before profiling is done: the interpreter profiles.
    assert!(!bg.compiling() && !bg.batched(), "{what}");
    let mut g = Generator::new(11);
    let mut st = g.state();
    let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
    let (mut alerts, mut compiling, mut batched) = (0usize, 0usize, 0usize);
    for i in 0..events {
        if i == 2 * events / 3 {
            for e in [&mut interp, &mut inline, &mut bg] {
                assert!(e.set_enabled(toggle, false) > 0, "{what}: no rule {toggle}");
            }
            assert!(!bg.compiling(), "{what}: set_enabled waits for a running compile");
        }
        let ev = g.next_event();
        st.apply(&ev);
        interp.process(&ev, &st, &mut a);
        inline.process(&ev, &st, &mut b);
        bg.process(&ev, &st, &mut c);
        assert_eq!(a, b, "{what} {mode:?}: inline JIT, event {i} ({} at {})", ev.name, ev.ts);
        assert_eq!(a, c, "{what} {mode:?}: background JIT, event {i} ({} at {})", ev.name, ev.ts);
        alerts += a.len();
        compiling += usize::from(bg.compiling());
        batched += usize::from(bg.batched());
        a.clear();
        b.clear();
        c.clear();
    }
    assert!(alerts > 0, "{what} {mode:?}: the stream should raise alerts");
    // After the profile, and after the lists changed: each time a compile was started.
    assert!(compiling >= 2, "{what} {mode:?}: compiling after {compiling} events");
    assert!(batched > 0, "{what} {mode:?}: the background code was never installed");
    bg.finish_compile();
    assert!(!bg.compiling() && bg.batched(), "{what} {mode:?}: {:?}", bg.jit_error());
    assert_eq!(bg.jit_error(), None);
    assert_eq!(interp.stats(), bg.stats(), "{what} {mode:?}: evaluations, alerts");
    assert_eq!(bg.panics(), 0);
}

#[test]
fn background_compiles_agree_on_upstream_rules() {
    let Some(files) = upstream() else { return };
    for mode in [MatchMode::First, MatchMode::All] {
        agree("upstream", &files, mode, "Read sensitive file untrusted", 120_000);
    }
}

#[test]
fn background_compiles_agree_on_the_stdlib() {
    let files = stdlib();
    for mode in [MatchMode::First, MatchMode::All] {
        agree("stdlib", &files, mode, "Shell spawned in a container", 120_000);
    }
}

/// `finish_compile` waits for the running compile and installs its code; an engine compiling
/// inline never has one running.
#[test]
fn finish_compile_installs_the_running_compile() {
    let program = program_of(OPENS);
    let mut bg = Engine::with_compiles(program.clone(), Backend::Jit, Compiles::Background);
    // No profile: the batch functions are compiled at once, in the background.
    bg.set_adaptive_order(false);
    assert!(bg.compiling());
    bg.finish_compile();
    assert!(!bg.compiling());
    assert!(bg.batched(), "{:?}", bg.jit_error());
    let mut inline = Engine::new(program, Backend::Jit);
    inline.set_adaptive_order(false);
    assert!(!inline.compiling() && inline.batched());
    inline.finish_compile();
    assert!(inline.batched());
}

const OPENS: &str = "- rule: opens\n  desc: d\n  condition: evt.type in (open, openat) and fd.name startswith /etc\n  output: \"%fd.name\"\n  priority: WARNING\n";

fn program_of(yaml: &str) -> Program {
    rulec_compiler::compile(&checked(yaml))
}

/// A compile that fails, in the background as inline, is reported by `jit_error` once done;
/// the engine then runs on the interpreter, with the same alerts.
#[test]
fn a_failed_compile_is_reported() {
    let mut program = program_of(OPENS);
    // `not not root` with the outer node first: the JIT wants children below their parents
    // (the interpreter does not mind), so its compile fails.
    let n = program.nodes.len() as u32;
    let root = program.rules[0].root;
    program.nodes.push(Node::Not(NodeId(n + 1)));
    program.nodes.push(Node::Not(root));
    program.rules[0].root = NodeId(n);
    let inline = Engine::new(program.clone(), Backend::Jit);
    assert_eq!(inline.backend(), Backend::Interp);
    let inline_error = inline.jit_error().map(str::to_owned);
    assert!(inline_error.is_some());
    let mut bg = Engine::with_compiles(program, Backend::Jit, Compiles::Background);
    // Nothing failed yet.
    assert_eq!((bg.backend(), bg.jit_error()), (Backend::Jit, None));
    bg.set_adaptive_order(false);
    bg.finish_compile();
    assert_eq!(bg.backend(), Backend::Interp);
    assert_eq!(bg.jit_error().map(str::to_owned), inline_error);
    let mut interp = Engine::new(program_of(OPENS), Backend::Interp);
    let mut g = Generator::new(5);
    let mut st = g.state();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for _ in 0..20_000 {
        let ev = g.next_event();
        st.apply(&ev);
        interp.process(&ev, &st, &mut a);
        bg.process(&ev, &st, &mut b);
    }
    assert!(!a.is_empty());
    assert_eq!(a, b);
}
