//! Tests of the JIT against a tiny reference evaluator written here, with a fake context (a table
//! of check results and typed slot values, some absent) behind test callbacks: hand-built
//! programs for each codegen feature, thousands of random DAGs, malformed programs, compile-time
//! measurements and a compile/drop memory check. Independent of the interpreter in `eval`.

use std::ffi::c_void;
use std::time::{Duration, Instant};

use rulec_ir::{
    Check, CheckId, Cmp, Const, EventTypes, FileId, Location, Node, NodeId, Priority, Program, Rule, Slot, SlotId,
    StrOp, Test,
};
use rulec_schema::{FieldType, schema};

use super::{Callbacks, JitContext, JitProgram, TypedJit};

// ---------------------------------------------------------------------------------------------
// Program building helpers.

fn slot(ty: FieldType) -> Slot {
    let field = schema()
        .fields()
        .iter()
        .find(|f| f.ty == ty && !f.is_list)
        .unwrap_or_else(|| panic!("the schema has a scalar field of type {ty:?}"));
    Slot::Field { field, arg: None }
}

fn check(slot: u32, test: Test) -> Check {
    Check { slot: SlotId(slot), test, location: Location::new(FileId(0), 0, 0) }
}

fn rule(root: u32) -> Rule {
    Rule {
        name: format!("r{root}"),
        priority: Priority::Notice,
        enabled: true,
        root: NodeId(root),
        event_types: EventTypes::All,
        output: Vec::new(),
        source: rulec_ir::DEFAULT_SOURCE.to_owned(),
        tags: Vec::new(),
    }
}

fn ids(v: &[u32]) -> Vec<NodeId> {
    v.iter().map(|&i| NodeId(i)).collect()
}

// ---------------------------------------------------------------------------------------------
// The fake context and the reference semantics.

#[derive(Clone, Copy, PartialEq, Debug)]
enum Val {
    Int(i64),
    Uint(u64),
    /// A present, non-integer value (a string...).
    Other,
}

/// The event as the callbacks see it.
struct Fake {
    checks: Vec<Check>,
    /// Per slot: Some(true) signed, Some(false) unsigned, None not an integer slot.
    sign: Vec<Option<bool>>,
    /// Answers for checks whose meaning is not numeric.
    table: Vec<bool>,
    values: Vec<Option<Val>>,
    slot_calls: Vec<u32>,
    check_calls: Vec<u32>,
}

impl Fake {
    fn new(p: &Program) -> Fake {
        Fake {
            checks: p.checks.clone(),
            sign: p.slots.iter().map(|s| if s.is_list() { None } else { s.ty().int_signedness() }).collect(),
            table: vec![false; p.checks.len()],
            values: vec![None; p.slots.len()],
            slot_calls: vec![0; p.slots.len()],
            check_calls: vec![0; p.checks.len()],
        }
    }

    fn reset_counts(&mut self) {
        self.slot_calls.iter_mut().for_each(|c| *c = 0);
        self.check_calls.iter_mut().for_each(|c| *c = 0);
    }

    /// The meaning of check `c`: integer tests computed from the slot value (absent → false),
    /// anything else from the table.
    fn truth(&self, c: usize) -> bool {
        let Some(check) = self.checks.get(c) else { return false };
        let s = check.slot.0 as usize;
        let value = self.values.get(s).copied().flatten();
        let sign = self.sign.get(s).copied().flatten();
        fn ord<T: Ord>(cmp: Cmp, a: T, b: T) -> bool {
            match cmp {
                Cmp::Eq => a == b,
                Cmp::Ne => a != b,
                Cmp::Lt => a < b,
                Cmp::Le => a <= b,
                Cmp::Gt => a > b,
                Cmp::Ge => a >= b,
            }
        }
        let matches_kind = |k: &Const| matches!((k, sign), (Const::Int(_), Some(true)) | (Const::Uint(_), Some(false)));
        match &check.test {
            Test::Compare { cmp, value: k } if matches_kind(k) => match (value, k) {
                (Some(Val::Int(v)), Const::Int(k)) => ord(*cmp, v, *k),
                (Some(Val::Uint(v)), Const::Uint(k)) => ord(*cmp, v, *k),
                _ => false,
            },
            Test::In(ks) if ks.iter().all(matches_kind) => ks.iter().any(|k| match (value, k) {
                (Some(Val::Int(v)), Const::Int(k)) => v == *k,
                (Some(Val::Uint(v)), Const::Uint(k)) => v == *k,
                _ => false,
            }),
            _ => self.table[c],
        }
    }

    /// The `slot_num` contract: integers of the slot's signedness, as their 64-bit pattern.
    fn num(&self, s: usize) -> Option<i64> {
        match (self.values.get(s).copied().flatten(), self.sign.get(s).copied().flatten()) {
            (Some(Val::Int(i)), Some(true)) => Some(i),
            (Some(Val::Uint(u)), Some(false)) => Some(u as i64),
            _ => None,
        }
    }
}

unsafe extern "C" fn fake_eval_check(ctx: *mut c_void, check: u32) -> u8 {
    // SAFETY: the tests only run rule functions with a pointer to a live, exclusive `Fake`.
    let fake = unsafe { &mut *ctx.cast::<Fake>() };
    if let Some(n) = fake.check_calls.get_mut(check as usize) {
        *n += 1;
    }
    u8::from(fake.truth(check as usize))
}

unsafe extern "C" fn fake_slot_num(ctx: *mut c_void, slot: u32, out: *mut i64) -> u8 {
    // SAFETY: as in `fake_eval_check`.
    let fake = unsafe { &mut *ctx.cast::<Fake>() };
    if let Some(n) = fake.slot_calls.get_mut(slot as usize) {
        *n += 1;
    }
    match fake.num(slot as usize) {
        Some(v) => {
            // SAFETY: compiled code passes a pointer to an 8-byte stack slot.
            unsafe { out.write(v) };
            1
        }
        None => 0,
    }
}

// SAFETY: the callbacks only dereference `ctx` as the `Fake` it points to, bounds-check every id,
// write `out` once, and do not unwind.
unsafe impl JitContext for Fake {
    const CALLBACKS: Callbacks = Callbacks { eval_check: fake_eval_check, slot_num: fake_slot_num, slot_str: None };
}

/// The reference: every node evaluated in id order (children have smaller ids), no short-circuit.
fn reference(p: &Program, fake: &Fake) -> Vec<bool> {
    let mut v: Vec<bool> = Vec::with_capacity(p.nodes.len());
    for node in &p.nodes {
        let b = match node {
            Node::Const(b) => *b,
            Node::Check(c) => fake.truth(c.0 as usize),
            Node::Not(c) => !v[c.0 as usize],
            Node::And(cs) => cs.iter().all(|c| v[c.0 as usize]),
            Node::Or(cs) => cs.iter().any(|c| v[c.0 as usize]),
        };
        v.push(b);
    }
    p.rules.iter().map(|r| v[r.root.0 as usize]).collect()
}

fn run(jit: &TypedJit<Fake>, fake: &mut Fake, rule: usize) -> bool {
    fake.reset_counts();
    let r = jit.eval(rule, fake);
    for (s, &n) in fake.slot_calls.iter().enumerate() {
        assert!(n <= 1, "slot {s} fetched {n} times in one call");
    }
    r
}

// ---------------------------------------------------------------------------------------------
// A small seeded PRNG: the generator's SplitMix64.
use rulec_bench::SplitMix64 as Rng;

const INTS: [i64; 9] = [i64::MIN, i64::MIN + 1, -7, -1, 0, 1, 7, i64::MAX - 1, i64::MAX];
const UINTS: [u64; 9] = [0, 1, 7, 8, i64::MAX as u64, (i64::MAX as u64) + 1, u64::MAX - 1, u64::MAX, 1 << 40];
const CMPS: [Cmp; 6] = [Cmp::Eq, Cmp::Ne, Cmp::Lt, Cmp::Le, Cmp::Gt, Cmp::Ge];

fn rand_int(r: &mut Rng) -> i64 {
    if r.percent(80) { INTS[r.index(INTS.len())] } else { r.next() as i64 }
}

fn rand_uint(r: &mut Rng) -> u64 {
    if r.percent(80) { UINTS[r.index(UINTS.len())] } else { r.next() }
}

/// Slot types of the random programs: integers of both signedness, a port, and a string.
const SLOT_TYPES: [FieldType; 6] =
    [FieldType::Int64, FieldType::Uint64, FieldType::Int32, FieldType::Port, FieldType::Uint32, FieldType::CharBuf];

fn rand_const(r: &mut Rng, signed: Option<bool>) -> Const {
    // Mostly the slot's own kind; sometimes the other (which must go through eval_check).
    let signed = match signed {
        Some(s) if r.percent(90) => s,
        _ => r.percent(50),
    };
    if signed { Const::Int(rand_int(r)) } else { Const::Uint(rand_uint(r)) }
}

fn rand_program(r: &mut Rng, max_nodes: usize, n_rules: usize) -> Program {
    let slots: Vec<Slot> = SLOT_TYPES.iter().map(|&t| slot(t)).collect();
    let n_checks = 1 + r.index(16);
    let mut checks = Vec::new();
    for _ in 0..n_checks {
        let s = r.index(slots.len());
        let signed = slots[s].ty().int_signedness();
        let test = match r.index(10) {
            0..=5 => Test::Compare { cmp: CMPS[r.index(6)], value: rand_const(r, signed) },
            6 | 7 => {
                let n = 1 + r.index(10); // above 8: not inline
                Test::In((0..n).map(|_| rand_const(r, signed)).collect())
            }
            8 => Test::Exists,
            _ => Test::Str { op: StrOp::Contains, pattern: Const::Str("x".into()) },
        };
        checks.push(check(s as u32, test));
    }
    let n_nodes = 1 + r.index(max_nodes);
    let mut nodes = Vec::with_capacity(n_nodes);
    for n in 0..n_nodes {
        let kind = if n == 0 { r.index(2) } else { r.index(10) };
        let node = match kind {
            0 => Node::Const(r.percent(50)),
            1..=4 => Node::Check(CheckId(r.index(n_checks) as u32)),
            5 => Node::Not(NodeId(r.index(n) as u32)),
            _ => {
                let k = r.index(5);
                // Bias children towards recent nodes for deeper DAGs with sharing.
                let cs = (0..k)
                    .map(|_| {
                        let lo = n.saturating_sub(8);
                        NodeId(if r.percent(70) { lo + r.index(n - lo) } else { r.index(n) } as u32)
                    })
                    .collect();
                if kind < 8 { Node::And(cs) } else { Node::Or(cs) }
            }
        };
        nodes.push(node);
    }
    let rules = (0..n_rules).map(|_| rule((n_nodes - 1 - r.index(n_nodes.min(4))) as u32)).collect();
    Program { slots, checks, nodes, rules }
}

fn rand_event(r: &mut Rng, fake: &mut Fake) {
    for s in 0..fake.values.len() {
        fake.values[s] = if r.percent(25) {
            None
        } else {
            match fake.sign[s] {
                Some(true) => Some(Val::Int(rand_int(r))),
                Some(false) => Some(Val::Uint(rand_uint(r))),
                None => Some(Val::Other),
            }
        };
    }
    for t in fake.table.iter_mut() {
        *t = r.percent(50);
    }
}

// ---------------------------------------------------------------------------------------------
// Random differential testing.

#[test]
fn jit_matches_reference_on_random_programs() {
    let mut r = Rng(0x5EED_0001);
    let mut cases = 0usize;
    for prog_no in 0..400 {
        let p = rand_program(&mut r, 60, 4);
        let jit = TypedJit::<Fake>::compile(&p).unwrap_or_else(|e| panic!("program {prog_no}: {e}"));
        let mut fake = Fake::new(&p);
        for ev in 0..40 {
            rand_event(&mut r, &mut fake);
            let want = reference(&p, &fake);
            for (i, &w) in want.iter().enumerate() {
                let got = run(&jit, &mut fake, i);
                assert_eq!(got, w, "program {prog_no}, event {ev}, rule {i}:\n{p:#?}\nvalues {:?}", fake.values);
                cases += 1;
            }
        }
    }
    eprintln!("random: {cases} cases agree");
    assert!(cases > 10_000);
}

#[test]
fn jit_matches_reference_on_wide_random_programs() {
    let mut r = Rng(0x5EED_0002);
    for prog_no in 0..40 {
        let p = rand_program(&mut r, 400, 16);
        let jit = TypedJit::<Fake>::compile(&p).unwrap_or_else(|e| panic!("program {prog_no}: {e}"));
        let mut fake = Fake::new(&p);
        for _ in 0..50 {
            rand_event(&mut r, &mut fake);
            let want = reference(&p, &fake);
            for (i, &w) in want.iter().enumerate() {
                assert_eq!(run(&jit, &mut fake, i), w, "program {prog_no}, rule {i}");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Hand-built programs.

/// Slots: 0 Int64, 1 Uint64, 2 CharBuf.
fn base(checks: Vec<Check>, nodes: Vec<Node>, roots: &[u32]) -> Program {
    Program {
        slots: vec![slot(FieldType::Int64), slot(FieldType::Uint64), slot(FieldType::CharBuf)],
        checks,
        nodes,
        rules: roots.iter().map(|&r| rule(r)).collect(),
    }
}

fn cmp(slot: u32, cmp: Cmp, value: Const) -> Check {
    check(slot, Test::Compare { cmp, value })
}

#[test]
fn jit_short_circuits_and_or_not() {
    // 0,1,2: called checks (Exists on the string slot).
    let checks = (0..3).map(|_| check(2, Test::Exists)).collect();
    let nodes = vec![
        Node::Check(CheckId(0)),
        Node::Check(CheckId(1)),
        Node::Check(CheckId(2)),
        Node::And(ids(&[0, 1, 2])), // 3
        Node::Or(ids(&[0, 1, 2])),  // 4
        Node::Not(NodeId(3)),       // 5
    ];
    let p = base(checks, nodes, &[3, 4, 5]);
    let jit = TypedJit::<Fake>::compile(&p).expect("compiles");
    let mut f = Fake::new(&p);
    f.table = vec![false, true, true];
    assert!(!run(&jit, &mut f, 0));
    assert_eq!(f.check_calls, [1, 0, 0], "And stops at the first false child");
    assert!(run(&jit, &mut f, 1));
    assert_eq!(f.check_calls, [1, 1, 0], "Or stops at the first true child");
    assert!(run(&jit, &mut f, 2));
    f.table = vec![true, true, true];
    assert!(run(&jit, &mut f, 0));
    assert_eq!(f.check_calls, [1, 1, 1]);
    assert!(!run(&jit, &mut f, 2));
}

#[test]
fn jit_numeric_semantics() {
    let checks = vec![
        cmp(0, Cmp::Lt, Const::Int(0)),                          // 0: signed
        cmp(1, Cmp::Gt, Const::Uint(5)),                         // 1: unsigned, 2^63 > 5
        cmp(1, Cmp::Ne, Const::Uint(5)),                         // 2: absent → false
        cmp(1, Cmp::Eq, Const::Uint(u64::MAX)),                  // 3
        check(0, Test::In(vec![Const::Int(-3), Const::Int(9)])), // 4
        cmp(0, Cmp::Ge, Const::Int(i64::MIN)),                   // 5
        cmp(1, Cmp::Le, Const::Uint(i64::MAX as u64)),           // 6
    ];
    let nodes: Vec<Node> = (0..7).map(|c| Node::Check(CheckId(c))).chain([Node::Not(NodeId(2))]).collect();
    let p = base(checks, nodes, &[0, 1, 2, 3, 4, 5, 6, 7]);
    let jit = TypedJit::<Fake>::compile(&p).expect("compiles");
    let mut f = Fake::new(&p);
    let eval = |f: &mut Fake| -> Vec<bool> { (0..8).map(|i| run(&jit, f, i)).collect() };

    f.values = vec![Some(Val::Int(-1)), Some(Val::Uint(1 << 63)), None];
    assert_eq!(eval(&mut f), [true, true, true, false, false, true, false, false]);
    f.values = vec![Some(Val::Int(9)), Some(Val::Uint(u64::MAX)), None];
    assert_eq!(eval(&mut f), [false, true, true, true, true, true, false, false]);
    // Absent: every numeric check is false, `!=` included, and `not (x != 5)` is true.
    f.values = vec![None, None, None];
    assert_eq!(eval(&mut f), [false, false, false, false, false, false, false, true]);
    // No check went through eval_check: all of them are inline.
    assert_eq!(f.check_calls, [0; 7]);
}

#[test]
fn jit_fetches_a_slot_once_per_call() {
    let checks = vec![cmp(0, Cmp::Gt, Const::Int(1)), cmp(0, Cmp::Lt, Const::Int(10)), cmp(0, Cmp::Ne, Const::Int(5))];
    let nodes =
        vec![Node::Check(CheckId(0)), Node::Check(CheckId(1)), Node::Check(CheckId(2)), Node::And(ids(&[0, 1, 2]))];
    let p = base(checks, nodes, &[3]);
    let jit = TypedJit::<Fake>::compile(&p).expect("compiles");
    let mut f = Fake::new(&p);
    f.values[0] = Some(Val::Int(7));
    assert!(run(&jit, &mut f, 0));
    assert_eq!(f.slot_calls[0], 1);
    f.values[0] = Some(Val::Int(5));
    assert!(!run(&jit, &mut f, 0));
    assert_eq!(f.slot_calls[0], 1);
    f.values[0] = None;
    assert!(!run(&jit, &mut f, 0));
    assert_eq!(f.slot_calls[0], 1);
}

#[test]
fn jit_evaluates_shared_nodes_once() {
    // S = Or(c0, c1) shared by two Ands; rule = Or(And(S, c2), And(S, c3)).
    let checks = (0..4).map(|_| check(2, Test::Exists)).collect();
    let nodes = vec![
        Node::Check(CheckId(0)),
        Node::Check(CheckId(1)),
        Node::Check(CheckId(2)),
        Node::Check(CheckId(3)),
        Node::Or(ids(&[0, 1])),  // 4 = S
        Node::And(ids(&[4, 2])), // 5
        Node::And(ids(&[4, 3])), // 6
        Node::Or(ids(&[5, 6])),  // 7
        Node::Not(NodeId(4)),    // 8
        Node::And(ids(&[4, 8])), // 9: S and not S
    ];
    let p = base(checks, nodes, &[7, 9]);
    let jit = TypedJit::<Fake>::compile(&p).expect("compiles");
    let mut f = Fake::new(&p);
    for bits in 0..16u32 {
        f.table = (0..4).map(|i| bits & (1 << i) != 0).collect();
        let want = reference(&p, &f);
        assert_eq!(run(&jit, &mut f, 0), want[0], "bits {bits:04b}");
        assert!(f.check_calls[0] <= 1 && f.check_calls[1] <= 1, "S evaluated once: {:?}", f.check_calls);
        assert!(!run(&jit, &mut f, 1));
        assert!(f.check_calls[0] <= 1 && f.check_calls[1] <= 1, "S evaluated once: {:?}", f.check_calls);
    }
}

#[test]
fn jit_folds_constants() {
    let checks = vec![check(2, Test::Exists)];
    let nodes = vec![
        Node::Check(CheckId(0)),
        Node::Const(false),
        Node::Const(true),
        Node::And(ids(&[0, 1])), // 3: false without calling c0
        Node::Or(ids(&[0, 2])),  // 4: true
        Node::And(ids(&[2, 0])), // 5: = c0
        Node::And(vec![]),       // 6: true
        Node::Or(vec![]),        // 7: false
        Node::Not(NodeId(7)),    // 8: true
    ];
    let p = base(checks, nodes, &[3, 4, 5, 6, 7, 8]);
    let jit = TypedJit::<Fake>::compile(&p).expect("compiles");
    let mut f = Fake::new(&p);
    f.table = vec![true];
    let got: Vec<bool> = (0..6).map(|i| run(&jit, &mut f, i)).collect();
    assert_eq!(got, [false, true, true, true, false, true]);
    f.reset_counts();
    for i in [0, 1, 3, 4, 5] {
        jit.eval(i, &mut f);
    }
    assert_eq!(f.check_calls, [0], "folded rules call nothing");
}

#[test]
fn jit_compiles_exponential_dags_linearly() {
    // n_{k+1} = Or(And(n_k, a_k), And(Not(n_k), b_k)): as a tree, 2^60 leaves.
    let checks: Vec<Check> = (0..121).map(|_| check(2, Test::Exists)).collect();
    let mut nodes = vec![Node::Check(CheckId(0))];
    let mut top = 0u32;
    for k in 0..60u32 {
        let a = nodes.len() as u32;
        nodes.push(Node::Check(CheckId(1 + 2 * k)));
        nodes.push(Node::Check(CheckId(2 + 2 * k)));
        nodes.push(Node::And(ids(&[top, a])));
        nodes.push(Node::Not(NodeId(top)));
        nodes.push(Node::And(ids(&[a + 3, a + 1])));
        nodes.push(Node::Or(ids(&[a + 2, a + 4])));
        top = a + 5;
    }
    let p = base(checks, nodes, &[top]);
    let start = Instant::now();
    let jit = TypedJit::<Fake>::compile(&p).expect("compiles");
    assert!(start.elapsed() < Duration::from_secs(20));
    let mut f = Fake::new(&p);
    let mut r = Rng(7);
    for _ in 0..200 {
        for t in f.table.iter_mut() {
            *t = r.percent(50);
        }
        assert_eq!(run(&jit, &mut f, 0), reference(&p, &f)[0]);
        assert!(f.check_calls.iter().all(|&n| n <= 1), "each check at most once");
    }
}

#[test]
fn jit_handles_deep_nesting() {
    // 50_000 nested Not/And levels: no recursion in the JIT's own code.
    let checks = vec![check(2, Test::Exists), check(2, Test::Exists)];
    let mut nodes = vec![Node::Check(CheckId(0)), Node::Check(CheckId(1))];
    for i in 2..50_000u32 {
        nodes.push(if i % 2 == 0 { Node::Not(NodeId(i - 1)) } else { Node::And(ids(&[i - 1, 1])) });
    }
    let root = nodes.len() as u32 - 1;
    let p = base(checks, nodes, &[root]);
    // Run on a thread with a generous stack: Cranelift's own passes, not ours, bound the depth.
    let res = std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || {
            let jit = TypedJit::<Fake>::compile(&p).map_err(|e| e.to_string())?;
            let mut f = Fake::new(&p);
            let mut out = Vec::new();
            for t in [[false, false], [true, false], [false, true], [true, true]] {
                f.table = t.to_vec();
                out.push((run(&jit, &mut f, 0), reference(&p, &f)[0]));
            }
            Ok::<_, String>(out)
        })
        .expect("spawn")
        .join()
        .expect("no panic");
    for (got, want) in res.expect("compiles") {
        assert_eq!(got, want);
    }
}

#[test]
fn jit_rejects_malformed_programs() {
    let ok_checks = || vec![cmp(0, Cmp::Eq, Const::Int(1))];
    let cases: Vec<(&str, Program)> = vec![
        ("root out of range", base(ok_checks(), vec![Node::Check(CheckId(0))], &[1])),
        ("check out of range", base(ok_checks(), vec![Node::Check(CheckId(1))], &[0])),
        ("child not smaller", base(ok_checks(), vec![Node::Not(NodeId(0))], &[0])),
        ("child ahead", base(ok_checks(), vec![Node::And(ids(&[1])), Node::Const(true)], &[1])),
        ("slot out of range", base(vec![cmp(9, Cmp::Eq, Const::Int(1))], vec![Node::Check(CheckId(0))], &[0])),
        (
            "other slot out of range",
            base(
                vec![check(0, Test::CompareSlot { op: rulec_ir::SlotOp::Cmp(Cmp::Eq), other: SlotId(7) })],
                vec![Node::Check(CheckId(0))],
                &[0],
            ),
        ),
    ];
    for (what, p) in cases {
        let r = JitProgram::compile(&p, Fake::CALLBACKS);
        assert!(r.is_err(), "{what}: accepted");
    }
}

#[test]
fn jit_api_edges() {
    let empty = JitProgram::compile(&Program::default(), Fake::CALLBACKS).expect("empty program");
    assert_eq!(empty.rule_count(), 0);
    assert!(empty.get_rule_fn(0).is_none());
    let mut f = Fake::new(&Program::default());
    let ctx = (&mut f as *mut Fake).cast::<c_void>();
    // SAFETY: out-of-range rules never call back; `ctx` points to a live Fake anyway.
    assert!(!unsafe { empty.eval_rule(3, ctx) });
    // SAFETY: as above.
    assert_eq!(unsafe { empty.rule_fn(3)(ctx) }, 0);

    // Two rules with the same root share one function; the raw API agrees with the typed one.
    let p = base(vec![check(2, Test::Exists)], vec![Node::Check(CheckId(0))], &[0, 0]);
    let jit = JitProgram::compile(&p, Fake::CALLBACKS).expect("compiles");
    assert_eq!(jit.rule_count(), 2);
    assert_eq!(jit.rule_fn(0) as usize, jit.rule_fn(1) as usize);
    let mut f = Fake::new(&p);
    f.table = vec![true];
    let ctx = (&mut f as *mut Fake).cast::<c_void>();
    // SAFETY: `ctx` points to a live Fake, which the callbacks expect.
    assert!(unsafe { jit.eval_rule(1, ctx) });

    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<JitProgram>();
}

// ---------------------------------------------------------------------------------------------
// Compile time and memory.

/// `rules` rules of about `nodes_per_rule` nodes each, every rule its own sub-DAG with some
/// sharing, over inline and called checks.
fn big_program(rules: usize, nodes_per_rule: usize, seed: u64) -> Program {
    let mut r = Rng(seed);
    let slots: Vec<Slot> = SLOT_TYPES.iter().map(|&t| slot(t)).collect();
    let mut checks = Vec::new();
    for _ in 0..2000 {
        let s = r.index(slots.len());
        let signed = slots[s].ty().int_signedness();
        let test = if signed.is_some() && r.percent(50) {
            Test::Compare { cmp: CMPS[r.index(6)], value: rand_const(&mut r, signed) }
        } else {
            Test::Str { op: StrOp::Eq, pattern: Const::Str("x".into()) }
        };
        checks.push(check(s as u32, test));
    }
    let mut nodes = Vec::new();
    let mut roots = Vec::new();
    for _ in 0..rules {
        let start = nodes.len();
        for i in 0..nodes_per_rule {
            let n = start + i;
            let node = if i < nodes_per_rule / 2 {
                Node::Check(CheckId(r.index(checks.len()) as u32))
            } else if r.percent(15) {
                Node::Not(NodeId((start + r.index(i)) as u32))
            } else {
                let k = 2 + r.index(3);
                let cs = (0..k).map(|_| NodeId((n - 1 - r.index(i.min(6))) as u32)).collect();
                if r.percent(50) { Node::And(cs) } else { Node::Or(cs) }
            };
            nodes.push(node);
        }
        roots.push((nodes.len() - 1) as u32);
    }
    Program { slots, checks, nodes, rules: roots.into_iter().map(rule).collect() }
}

fn time_compile(p: &Program) -> Duration {
    let start = Instant::now();
    let jit = JitProgram::compile(p, Fake::CALLBACKS).expect("compiles");
    let t = start.elapsed();
    drop(jit);
    t
}

#[test]
fn jit_compile_time_large_program() {
    let p = big_program(500, 50, 11);
    let t = time_compile(&p);
    eprintln!("compile 500 rules x 50 nodes ({} nodes): {t:?}", p.nodes.len());
    // Falco-sized: about 90 rules whose macros expand to a few hundred nodes each.
    let falco = big_program(90, 250, 12);
    let tf = time_compile(&falco);
    eprintln!("compile 90 rules x 250 nodes ({} nodes): {tf:?}", falco.nodes.len());
    for (opt_level, verifier) in [("none", true), ("none", false), ("speed", false)] {
        let opts = super::Options { opt_level, verifier, ..Default::default() };
        let start = Instant::now();
        let jit = JitProgram::compile_with(&falco, Fake::CALLBACKS, &[], opts).expect("compiles");
        let t = start.elapsed();
        drop(jit);
        eprintln!("  90 x 250 with opt_level={opt_level} verifier={verifier}: {t:?}");
    }
    // Generous: debug builds run the Cranelift verifier.
    assert!(t < Duration::from_secs(60), "{t:?}");
    assert!(tf < Duration::from_secs(60), "{tf:?}");
    // Still correct on a sample.
    let jit = TypedJit::<Fake>::compile(&falco).expect("compiles");
    let mut f = Fake::new(&falco);
    let mut r = Rng(3);
    for _ in 0..20 {
        rand_event(&mut r, &mut f);
        let want = reference(&falco, &f);
        for (i, &w) in want.iter().enumerate() {
            assert_eq!(run(&jit, &mut f, i), w);
        }
    }
}

/// Falco's three upstream rules files, lowered naively from the checker's conditions (macros
/// expanded, no sharing: one node per condition node, an upper bound on the real IR's size):
/// integer comparisons and small `in` sets keep their tests (they compile inline), every other
/// check becomes a called check.
fn falco_program() -> Option<Program> {
    use rulec_compiler::check::hir::CheckRhs;
    use rulec_compiler::check::{self, Cond, hir};
    use rulec_compiler::source::SourceFile;
    use rulec_grammar::ast::Op;

    let dir = rulec_test_support::shared("conformance/falco")?;
    let names = ["falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"];
    let mut files = Vec::new();
    for (i, n) in names.iter().enumerate() {
        let text = std::fs::read_to_string(dir.join(n)).ok()?;
        files.push(SourceFile::new(FileId(i as u32), *n, text));
    }
    let result = check::check(&files);

    struct Lower {
        p: Program,
        slot_keys: std::collections::HashMap<String, u32>,
    }
    impl Lower {
        fn slot(&mut self, v: &hir::Value) -> u32 {
            let key = format!("{v:?}");
            if let Some(&s) = self.slot_keys.get(&key) {
                return s;
            }
            let slot = match v {
                hir::Value::Field(fu) => Slot::Field { field: fu.field, arg: fu.arg.clone() },
                hir::Value::Transform { func, index, ty, is_list, .. } => Slot::Transform {
                    func: *func,
                    inputs: Vec::new(),
                    index: index.clone(),
                    ty: *ty,
                    is_list: *is_list,
                },
            };
            let id = self.p.slots.len() as u32;
            self.p.slots.push(slot);
            self.slot_keys.insert(key, id);
            id
        }
        fn cond(&mut self, c: &Cond) -> u32 {
            let node = match c {
                Cond::Shared(x) => return self.cond(x),
                Cond::Const(b) => Node::Const(*b),
                Cond::Not(x) => Node::Not(NodeId(self.cond(x))),
                Cond::And(xs) => Node::And(xs.iter().map(|x| NodeId(self.cond(x))).collect()),
                Cond::Or(xs) => Node::Or(xs.iter().map(|x| NodeId(self.cond(x))).collect()),
                Cond::Check(tc) => {
                    let slot = self.slot(&tc.lhs);
                    let num = |k: &hir::Const| match k {
                        hir::Const::Int(i) => Some(Const::Int(*i)),
                        hir::Const::Uint(u) => Some(Const::Uint(*u)),
                        _ => None,
                    };
                    let cmp = match tc.op {
                        Op::Eq => Some(Cmp::Eq),
                        Op::Ne => Some(Cmp::Ne),
                        Op::Lt => Some(Cmp::Lt),
                        Op::Le => Some(Cmp::Le),
                        Op::Gt => Some(Cmp::Gt),
                        Op::Ge => Some(Cmp::Ge),
                        _ => None,
                    };
                    let test = match (&tc.rhs, cmp, tc.op) {
                        (CheckRhs::Const(k), Some(cmp), _) if num(k).is_some() => {
                            Test::Compare { cmp, value: num(k).unwrap_or(Const::Int(0)) }
                        }
                        (CheckRhs::List(ks), _, Op::In) if ks.iter().all(|k| num(k).is_some()) => {
                            Test::In(ks.iter().filter_map(num).collect())
                        }
                        _ => Test::Exists,
                    };
                    let id = self.p.checks.len() as u32;
                    self.p.checks.push(check(slot, test));
                    Node::Check(CheckId(id))
                }
            };
            let id = self.p.nodes.len() as u32;
            self.p.nodes.push(node);
            id
        }
    }
    let mut l = Lower { p: Program::default(), slot_keys: Default::default() };
    for r in result.ruleset.rules.iter().filter(|r| r.runnable) {
        let root = l.cond(&r.cond);
        l.p.rules.push(rule(root));
    }
    Some(l.p)
}

#[test]
fn jit_compile_time_falco() {
    let Some(p) = falco_program() else {
        eprintln!("skipping: Falco's rules files not found");
        return;
    };
    let inline = p.checks.iter().filter(|c| !matches!(c.test, Test::Exists)).count();
    eprintln!(
        "falco: {} rules, {} nodes, {} checks ({inline} numeric), {} slots",
        p.rules.len(),
        p.nodes.len(),
        p.checks.len(),
        p.slots.len()
    );
    assert!(p.rules.len() > 50, "the three files hold about 90 runnable rules");
    for (opt_level, verifier) in [("none", true), ("none", false), ("speed", false), ("none", false)] {
        let opts = super::Options { opt_level, verifier, ..Default::default() };
        let start = Instant::now();
        let jit = JitProgram::compile_with(&p, Fake::CALLBACKS, &[], opts).expect("compiles");
        let t = start.elapsed();
        drop(jit);
        eprintln!("falco: opt_level={opt_level} verifier={verifier}: {t:?}");
    }
    let t = time_compile(&p);
    eprintln!("falco: default options: {t:?}");
    assert!(t < Duration::from_secs(30), "{t:?}");
}

fn resident_pages() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/statm").ok()?;
    s.split_whitespace().nth(1)?.parse().ok()
}

/// The measurement itself; runs only in the child process `jit_compile_drop_does_not_leak`
/// starts (other tests running in parallel in this process would disturb resident memory).
#[test]
fn jit_memory_probe() {
    if std::env::var_os("RULEC_JIT_MEMORY_PROBE").is_none() {
        return;
    }
    let p = big_program(40, 50, 5);
    let page_kib = 4u64; // statm counts pages; 4 KiB on the platforms we run on
    let mut base = 0;
    // The verifier only costs time here: what matters is what compile/drop keeps.
    let opts = super::Options { verifier: false, ..Default::default() };
    for i in 0..200 {
        let jit = JitProgram::compile_with(&p, Fake::CALLBACKS, &[], opts).expect("compiles");
        let mut f = Fake::new(&p);
        let ctx = (&mut f as *mut Fake).cast::<c_void>();
        // SAFETY: `ctx` points to a live Fake, which the callbacks expect.
        let _ = unsafe { jit.eval_rule(0, ctx) };
        drop(jit);
        if i == 19 {
            base = resident_pages().expect("statm");
        }
    }
    let end = resident_pages().expect("statm");
    let growth_kib = end.saturating_sub(base) * page_kib;
    println!("JIT_MEMORY base={} KiB end={} KiB growth={growth_kib} KiB", base * page_kib, end * page_kib);
    assert!(growth_kib < 4096, "resident memory grew by {growth_kib} KiB over 180 compile/drop cycles");
}

#[test]
fn jit_compile_drop_does_not_leak() {
    if resident_pages().is_none() {
        eprintln!("skipping: no /proc/self/statm");
        return;
    }
    let exe = std::env::current_exe().expect("test binary");
    let out = std::process::Command::new(exe)
        .args(["jit::tests::jit_memory_probe", "--exact", "--nocapture", "--test-threads=1"])
        .env("RULEC_JIT_MEMORY_PROBE", "1")
        .output()
        .expect("runs the probe");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().find_map(|l| l.find("JIT_MEMORY").map(|i| &l[i..])).unwrap_or("");
    eprintln!("{line}");
    assert!(out.status.success(), "probe failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(!line.is_empty(), "the probe did not run:\n{stdout}");
}

#[test]
fn plan_inlines_string_tests_against_constants_only() {
    use super::VerdictBit;
    use super::plan::{Leaf, Plan, StrTest};
    let s = |v: &str| Const::Str(v.to_owned());
    let many: Vec<Const> = (0..65).map(|i| s(&format!("p{i}"))).collect();
    let checks = vec![
        check(2, Test::Str { op: StrOp::Eq, pattern: s("bash") }),
        check(2, Test::Compare { cmp: Cmp::Ne, value: s("bash") }),
        check(2, Test::In(vec![s("a"), s("bb")])),
        check(2, Test::Str { op: StrOp::EndsWith, pattern: s(".so") }),
        check(2, Test::Str { op: StrOp::Contains, pattern: s("../") }),
        // Too many constants, too long a pattern, an operator or a comparison that stays a
        // call, a set mixing kinds.
        check(2, Test::In(many)),
        check(2, Test::Str { op: StrOp::Eq, pattern: s(&"x".repeat(65)) }),
        check(2, Test::Str { op: StrOp::IContains, pattern: s("sh") }),
        check(2, Test::Str { op: StrOp::Contains, pattern: s("123456789") }),
        check(2, Test::Compare { cmp: Cmp::Lt, value: s("m") }),
        check(2, Test::In(vec![s("a"), Const::Int(1)])),
    ];
    let nodes: Vec<Node> = (0..checks.len() as u32).map(|c| Node::Check(CheckId(c))).collect();
    let p = base(checks, nodes, &[0]);
    let plan = Plan::new(&p, &[], true, &[]).expect("plan");
    let str_leaf = |test: StrTest| Leaf::Str { slot: 2, test };
    assert_eq!(plan.leaves[0], str_leaf(StrTest::In(vec![b"bash".to_vec()])));
    assert_eq!(plan.leaves[1], str_leaf(StrTest::Ne(b"bash".to_vec())));
    assert_eq!(plan.leaves[2], str_leaf(StrTest::In(vec![b"a".to_vec(), b"bb".to_vec()])));
    assert_eq!(plan.leaves[3], str_leaf(StrTest::Suffix(vec![b".so".to_vec()])));
    assert_eq!(plan.leaves[4], str_leaf(StrTest::Contains(vec![b"../".to_vec()])));
    assert!(plan.leaves[5..].iter().all(|l| *l == Leaf::Call), "{:?}", &plan.leaves[5..]);
    // On a field most events lack, they call behind the bytes the inline tests fetch.
    let mut fd = p.clone();
    let field = schema().fields().iter().find(|f| f.name == "fd.name").expect("fd.name");
    fd.slots[2] = Slot::Field { field, arg: None };
    let guarded = Plan::new(&fd, &[], true, &[]).expect("plan");
    assert!(guarded.leaves[5..].iter().all(|l| *l == Leaf::Guarded { slot: 2 }), "{:?}", &guarded.leaves[5..]);
    // Without `slot_str` every string test is a call; a shared pass's bit wins over inlining.
    let off = Plan::new(&p, &[], false, &[]).expect("plan");
    assert!(off.leaves.iter().all(|l| *l == Leaf::Call));
    // Nor on a slot whose checks the evaluator answers from remembered verdicts.
    let remembered = Plan::new(&p, &[], true, &[false, false, true]).expect("plan");
    assert!(remembered.leaves.iter().all(|l| *l == Leaf::Call));
    let bit = VerdictBit { stamp: 0, word: 1, bit: 3 };
    let shared = Plan::new(&p, &[Some(bit)], true, &[]).expect("plan");
    assert_eq!(shared.leaves[0], Leaf::Bit(bit));
    assert_eq!(shared.leaves[1], str_leaf(StrTest::Ne(b"bash".to_vec())));
}

#[test]
fn plan_inlines_bool_comparisons_as_integers() {
    use super::plan::{Leaf, NumTest, Plan};
    let checks = vec![
        check(0, Test::Compare { cmp: Cmp::Eq, value: Const::Bool(true) }),
        check(0, Test::Compare { cmp: Cmp::Ne, value: Const::Bool(false) }),
        // Not an equality with a bool constant: calls.
        check(0, Test::Exists),
        check(0, Test::Compare { cmp: Cmp::Eq, value: Const::Int(1) }),
    ];
    let nodes: Vec<Node> = (0..checks.len() as u32).map(|c| Node::Check(CheckId(c))).collect();
    let p = Program { slots: vec![slot(FieldType::Bool)], checks, nodes, rules: vec![rule(0)] };
    let plan = Plan::new(&p, &[], false, &[]).expect("plan");
    let num = |cmp: Cmp, value: i64| Leaf::Num { slot: 0, test: NumTest::Cmp { cmp, signed: false, value } };
    assert_eq!(plan.leaves[..2], [num(Cmp::Eq, 1), num(Cmp::Ne, 0)]);
    assert_eq!(plan.leaves[2..], [Leaf::Call, Leaf::Call]);
}

mod batches;
