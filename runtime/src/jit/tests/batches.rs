//! Tests of the batch functions (one per candidate list): a batch call against the rule
//! functions one by one and the reference evaluator, on random programs and lists.

use super::*;
use crate::jit::SlotReaders;

/// Random candidate lists over `n` rules, as the engine could make them: an empty one, short
/// ones (a rule may repeat), and one longer than 64.
fn rand_lists(r: &mut Rng, n: usize) -> Vec<Vec<usize>> {
    let mut lists = vec![Vec::new()];
    for _ in 0..3 {
        let len = 1 + r.index(8);
        lists.push((0..len).map(|_| r.index(n)).collect());
    }
    lists.push((0..70).map(|_| r.index(n)).collect());
    lists
}

/// Runs batch `list` on `fake`: the positions it reports, checking that no slot was fetched
/// twice in the call (whatever the number of rules that read it).
fn batch(jit: &JitProgram, list: usize, fake: &mut Fake, first: bool) -> Vec<u32> {
    fake.reset_counts();
    let mut out = vec![u32::MAX; 80];
    let ptr = (fake as *mut Fake).cast::<c_void>();
    // SAFETY: the program was compiled with `Fake::CALLBACKS` and no verdict bits; `fake` is
    // ours for the call.
    let n = unsafe { jit.eval_batch(list, ptr, first, &mut out) }.expect("the list exists and fits");
    for (s, &c) in fake.slot_calls.iter().enumerate() {
        assert!(c <= 1, "slot {s} fetched {c} times in one batch call");
    }
    out.truncate(n);
    out
}

/// A program compiled with batch functions of either form (rules inlined, or bodies called).
fn compile_batches(p: &Program, lists: &[Vec<usize>], inline_batches: bool) -> Result<JitProgram, String> {
    let opts = super::super::Options { inline_batches, ..Default::default() };
    JitProgram::compile_lists(p, Fake::CALLBACKS, &SlotReaders::default(), &[], Some((lists, &[])), opts)
}

#[test]
fn jit_batches_match_per_rule_calls() {
    let mut r = Rng(0x5EED_0B47);
    let mut cases = 0usize;
    for prog_no in 0..300 {
        let p = rand_program(&mut r, 80, 12);
        let lists = rand_lists(&mut r, p.rules.len());
        let inline = prog_no % 2 == 0;
        let jit = compile_batches(&p, &lists, inline).unwrap_or_else(|e| panic!("program {prog_no}: {e}"));
        assert_eq!(jit.batch_count(), lists.len());
        let mut fake = Fake::new(&p);
        for ev in 0..30 {
            // A quarter of the slots absent (see `rand_event`).
            rand_event(&mut r, &mut fake);
            let want = reference(&p, &fake);
            // The rule functions of a program compiled with batches call the same bodies.
            for (i, &w) in want.iter().enumerate() {
                fake.reset_counts();
                let ptr = (&mut fake as *mut Fake).cast::<c_void>();
                // SAFETY: as in `batch`.
                assert_eq!(unsafe { jit.eval_rule(i, ptr) }, w, "program {prog_no}, event {ev}, rule {i}");
            }
            for (k, list) in lists.iter().enumerate() {
                let all: Vec<u32> =
                    list.iter().enumerate().filter(|&(_, &rule)| want[rule]).map(|(pos, _)| pos as u32).collect();
                let what = || format!("program {prog_no} (inline {inline}), event {ev}, list {k} {list:?}:\n{p:#?}");
                assert_eq!(batch(&jit, k, &mut fake, false), all, "{}", what());
                let first: Vec<u32> = all.first().copied().into_iter().collect();
                assert_eq!(batch(&jit, k, &mut fake, true), first, "{}", what());
                cases += 1;
            }
        }
    }
    eprintln!("batches: {cases} list calls agree");
    assert!(cases > 20_000);
}

#[test]
fn jit_batch_fetches_a_slot_once_for_all_its_rules() {
    // Three rules on slot 0 (one of them twice in the list), one on slot 1.
    let checks = vec![
        cmp(0, Cmp::Gt, Const::Int(1)),
        cmp(0, Cmp::Lt, Const::Int(10)),
        cmp(0, Cmp::Ne, Const::Int(5)),
        cmp(1, Cmp::Eq, Const::Uint(3)),
    ];
    let nodes = vec![
        Node::Check(CheckId(0)),
        Node::Check(CheckId(1)),
        Node::Check(CheckId(2)),
        Node::Check(CheckId(3)),
        Node::And(ids(&[0, 3])),
    ];
    let p = base(checks, nodes, &[0, 1, 2, 4]);
    let lists = vec![vec![0, 1, 2, 1, 3]];
    for inline in [true, false] {
        let jit = compile_batches(&p, &lists, inline).expect("compiles");
        let mut f = Fake::new(&p);
        f.values[0] = Some(Val::Int(7));
        f.values[1] = Some(Val::Uint(3));
        assert_eq!(batch(&jit, 0, &mut f, false), [0, 1, 2, 3, 4]);
        assert_eq!(f.slot_calls, [1, 1, 0]);
        assert_eq!(batch(&jit, 0, &mut f, true), [0]);
        // The first rule matched: nothing after it ran.
        assert_eq!(f.slot_calls, [1, 0, 0]);
        f.values[0] = Some(Val::Int(5));
        assert_eq!(batch(&jit, 0, &mut f, false), [0, 1, 3, 4]);
        assert_eq!(batch(&jit, 0, &mut f, true), [0]);
        // Absent: every rule on slot 0 is false, and the slot is asked for once.
        f.values[0] = None;
        assert_eq!(batch(&jit, 0, &mut f, false), Vec::<u32>::new());
        assert_eq!(f.slot_calls, [1, 0, 0]);
        // Each standalone rule call fetches again (a cache of its own).
        f.values[0] = Some(Val::Int(7));
        f.reset_counts();
        let ptr = (&mut f as *mut Fake).cast::<c_void>();
        // SAFETY: as in `batch`.
        assert!(unsafe { jit.eval_rule(0, ptr) && jit.eval_rule(1, ptr) });
        assert_eq!(f.slot_calls[0], 2);
    }
}

#[test]
fn jit_batch_api_edges() {
    let p = base(vec![cmp(0, Cmp::Gt, Const::Int(1))], vec![Node::Check(CheckId(0))], &[0, 0]);
    for inline in [true, false] {
        assert!(compile_batches(&p, &[vec![0, 2]], inline).is_err(), "a list naming a rule out of range is refused");
    }
    let lists = vec![vec![0, 1], Vec::new()];
    // SAFETY: no verdict bits.
    let jit = unsafe { JitProgram::compile_batches(&p, Fake::CALLBACKS, &SlotReaders::default(), &[], &lists, &[]) }
        .expect("compiles");
    let mut f = Fake::new(&p);
    f.values[0] = Some(Val::Int(2));
    let ptr = (&mut f as *mut Fake).cast::<c_void>();
    let mut short = [0u32; 1];
    // SAFETY: as in `batch`.
    unsafe {
        assert_eq!(jit.eval_batch(0, ptr, false, &mut short), None, "an output shorter than the list");
        assert_eq!(jit.eval_batch(2, ptr, false, &mut short), None, "no such list");
        assert_eq!(jit.eval_batch(1, ptr, false, &mut []), Some(0), "the empty list");
    }
    assert_eq!(batch(&jit, 0, &mut f, false), [0, 1]);
    let plain = JitProgram::compile(&p, Fake::CALLBACKS).expect("compiles");
    assert_eq!(plain.batch_count(), 0);
}

#[test]
fn jit_batch_folds_its_known_verdicts() {
    // Rule 0: check 0 and check 1; rule 1: not check 0; rule 2: check 1 alone. Batch 0 knows
    // check 0 true, batch 1 knows it false, batch 2 knows nothing (same rules: its own function).
    let checks = vec![cmp(0, Cmp::Gt, Const::Int(1)), cmp(1, Cmp::Eq, Const::Uint(3))];
    let nodes = vec![Node::Check(CheckId(0)), Node::Check(CheckId(1)), Node::And(ids(&[0, 1])), Node::Not(NodeId(0))];
    let p = base(checks, nodes, &[2, 3, 1]);
    let lists = vec![vec![0, 1, 2]; 3];
    let known = vec![vec![(0, true)], vec![(0, false)]];
    // SAFETY: no verdict bits; each batch is run below on events where its verdicts hold
    // (slot 0 above 1 for batch 0, not for batch 1).
    let jit = unsafe { JitProgram::compile_batches(&p, Fake::CALLBACKS, &SlotReaders::default(), &[], &lists, &known) }
        .expect("compiles");
    let mut f = Fake::new(&p);
    f.values[1] = Some(Val::Uint(3));
    f.values[0] = Some(Val::Int(7));
    // Check 0 is not evaluated: its slot is never fetched.
    assert_eq!(batch(&jit, 0, &mut f, false), [0, 2]);
    assert_eq!(f.slot_calls, [0, 1, 0]);
    f.values[0] = Some(Val::Int(0));
    // Rule 0 is false without looking at slot 1, rule 1 true without looking at slot 0.
    assert_eq!(batch(&jit, 1, &mut f, true), [1]);
    assert_eq!(f.slot_calls, [0, 0, 0]);
    assert_eq!(batch(&jit, 1, &mut f, false), [1, 2]);
    // Without known verdicts the same list evaluates check 0.
    assert_eq!(batch(&jit, 2, &mut f, false), [1, 2]);
    assert_eq!(f.slot_calls, [1, 1, 0]);
    // A verdict for a check out of range is refused.
    // SAFETY: never run.
    let bad = unsafe {
        JitProgram::compile_batches(&p, Fake::CALLBACKS, &SlotReaders::default(), &[], &lists, &[vec![(9, true)]])
    };
    assert!(bad.is_err());
}
