//! Differential tests over generated streams (the workload generator of `rulec-bench`): the
//! field extractors' three read paths agree value for value, and the adaptive evaluation order
//! keeps every alert of the upstream rules.

use rulec_bench::Generator;
use rulec_compiler::FileId;
use rulec_compiler::check::hir::FieldArgValue;
use rulec_compiler::schema::{FieldType, schema};
use rulec_compiler::source::SourceFile;
use rulec_runtime::engine::{Backend, Engine, MatchMode};
use rulec_runtime::fields::{Src, borrow, hot, lookup_value};
use rulec_runtime::value::Value;

/// The buffer-reusing extractors (`hot`) mean exactly what the value-returning ones mean: on a
/// generated stream (threads with ancestors, sockets, files, failed opens), with each field's
/// output buffer kept from event to event as the evaluator keeps it, and with the arguments
/// rules use (`[N]` indexes, none).
/// The arguments the agreement tests try with every field (none, the `[N]` indexes rules use,
/// a negative one, a numeric key).
fn field_args() -> Vec<Option<FieldArgValue>> {
    let mut args = vec![None];
    args.extend([0, 1, 2, 5, -1].map(|i| Some(FieldArgValue::Index(i))));
    args.push(Some(FieldArgValue::Key("3".into())));
    args
}

#[test]
fn hot_fields_agree_with_value_fields() {
    let args = field_args();
    let names: Vec<&str> = schema().fields().iter().map(|f| f.name).filter(|n| hot::lookup(n).is_some()).collect();
    assert!(names.len() >= 20, "expected the hot fields, got {names:?}");
    let mut g = Generator::new(7);
    let mut st = g.state();
    // One buffer per (field, argument), reused across events.
    let mut bufs: Vec<Value> = vec![Value::Bool(false); names.len() * args.len()];
    let mut compared = 0usize;
    for _ in 0..40_000 {
        let ev = g.next_event();
        st.apply(&ev);
        let src = Src::new(&ev, &st);
        for (i, name) in names.iter().enumerate() {
            let (Some(hot), Some(plain)) = (hot::lookup(name), lookup_value(name)) else {
                panic!("{name}: both forms must exist");
            };
            for (j, arg) in args.iter().enumerate() {
                let buf = &mut bufs[i * args.len() + j];
                let got = hot(arg.as_ref(), &src, buf).then(|| buf.clone());
                let want = plain(arg.as_ref(), &ev, &st);
                assert_eq!(got, want, "{name} {arg:?} on {} (tid {})", ev.name, ev.tid);
                compared += usize::from(want.is_some());
            }
        }
    }
    assert!(compared > 100_000, "too few present values compared: {compared}");
}

#[test]
fn borrowed_fields_agree_with_value_fields() {
    let args = field_args();
    let fields: Vec<_> = schema()
        .fields()
        .iter()
        .filter(|f| args.iter().any(|a| borrow::lookup(f.name, a.as_ref()).is_some()))
        .collect();
    assert!(fields.len() >= 30, "expected the borrowed fields, got {}", fields.len());
    // What the evaluator would hold in the slot: the schema's integer variant.
    let normalize = |ty: FieldType, v: Value| match (ty.int_signedness(), v) {
        (Some(true), Value::Uint(u)) => Value::Int(u as i64),
        (Some(false), Value::Int(i)) => Value::Uint(i as u64),
        (_, v) => v,
    };
    let mut g = Generator::new(11);
    let mut st = g.state();
    let mut compared = 0usize;
    let mut absent = 0usize;
    for _ in 0..40_000 {
        let ev = g.next_event();
        st.apply(&ev);
        let src = Src::new(&ev, &st);
        for f in &fields {
            let Some(plain) = lookup_value(f.name) else { panic!("{}: no value extractor", f.name) };
            for arg in &args {
                let Some(borrow) = borrow::lookup(f.name, arg.as_ref()) else { continue };
                let got = borrow(arg.as_ref(), &src).map(|v| v.to_value());
                let want = plain(arg.as_ref(), &ev, &st).map(|v| normalize(f.ty, v));
                assert!(!matches!(want, Some(Value::List(_))), "{} {arg:?}: a list has no borrowed form", f.name);
                assert_eq!(got, want, "{} {arg:?} on {} (tid {})", f.name, ev.name, ev.tid);
                compared += usize::from(want.is_some());
                absent += usize::from(want.is_none());
            }
        }
    }
    assert!(compared > 200_000 && absent > 10_000, "too few values compared: {compared} present, {absent} absent");
}

/// Engines that reorder after their first evaluations raise exactly the alerts of engines
/// that keep the optimiser's order, on both backends and in both matching modes (the
/// upstream rules, a generated stream long enough for the reordering to happen early).
#[test]
fn adaptive_order_keeps_every_alert() {
    let Some(path) = rulec_test_support::shared("conformance/falco/falco_rules.yaml") else { return };
    let text = std::fs::read_to_string(&path).expect("the upstream rules file is readable");
    let result = rulec_compiler::check::check(&[SourceFile::new(FileId(0), "falco_rules.yaml", text)]);
    for backend in [Backend::Interp, Backend::Jit] {
        for mode in [MatchMode::First, MatchMode::All] {
            let mut adaptive = Engine::new(rulec_compiler::compile(&result), backend);
            let mut fixed = Engine::new(rulec_compiler::compile(&result), backend);
            fixed.set_adaptive_order(false);
            adaptive.set_mode(mode);
            fixed.set_mode(mode);
            let mut g = Generator::new(3);
            let mut st = g.state();
            let (mut a, mut b) = (Vec::new(), Vec::new());
            let mut alerts = 0;
            for _ in 0..120_000 {
                let ev = g.next_event();
                st.apply(&ev);
                adaptive.process(&ev, &st, &mut a);
                fixed.process(&ev, &st, &mut b);
                assert_eq!(a, b, "{backend:?} {mode:?} on {} at {}", ev.name, ev.ts);
                alerts += a.len();
                a.clear();
                b.clear();
            }
            assert!(alerts > 0, "the stream should raise alerts");
            assert_ne!(
                format!("{}", adaptive.program()),
                format!("{}", fixed.program()),
                "the adaptive engine should have reordered something"
            );
            assert_eq!(adaptive.panics(), 0);
        }
    }
}

/// Where in rule `rule`'s evaluation order (depth first, children in their current order) the
/// first check on field `field` comes.
fn first_check_on(p: &rulec_ir::Program, rule: usize, field: &str) -> Option<usize> {
    let mut stack = vec![p.rules[rule].root];
    let mut seen = 0;
    while let Some(id) = stack.pop() {
        match &p.nodes[id.0 as usize] {
            rulec_ir::Node::Check(c) => {
                let slot = &p.slots[p.checks[c.0 as usize].slot.0 as usize];
                if matches!(slot, rulec_ir::Slot::Field { field: f, .. } if f.name == field) {
                    return Some(seen);
                }
                seen += 1;
            }
            rulec_ir::Node::Not(x) => stack.push(*x),
            rulec_ir::Node::And(xs) | rulec_ir::Node::Or(xs) => stack.extend(xs.iter().rev()),
            rulec_ir::Node::Const(_) => {}
        }
    }
    None
}

/// The adaptive order prices checks as the engine runs them: 31 rules `open for writing and
/// fd.name = PATH` (one shared pass decides every path; the JIT tests a path inline, and calls
/// out for `evt.is_open_write`) try the path first on both backends, as it is false on nearly
/// every open and costs a bit read or an inline comparison.
#[test]
fn adaptive_order_tries_shared_and_inline_tests_first() {
    let mut yaml = String::from(
        "- macro: open_write\n  condition: (evt.type in (open, openat, openat2) and evt.is_open_write = true and fd.typechar = 'f' and fd.num >= 0)\n",
    );
    for i in 0..31 {
        yaml.push_str(&format!(
            "- rule: w{i}\n  desc: d\n  condition: open_write and fd.name = /etc/conf{i}\n  output: o\n  priority: WARNING\n"
        ));
    }
    let result = rulec_compiler::check::check(&[SourceFile::new(FileId(0), "w.yaml", yaml)]);
    for backend in [Backend::Interp, Backend::Jit] {
        let mut e = Engine::new(rulec_compiler::compile(&result), backend);
        let mut g = Generator::new(5);
        let mut st = g.state();
        let mut out = Vec::new();
        for _ in 0..200_000 {
            let ev = g.next_event();
            st.apply(&ev);
            e.process(&ev, &st, &mut out);
        }
        assert!(e.shared_checks() >= 31, "{backend:?}: the path pass should be on");
        let p = e.program();
        for r in 0..p.rules.len() {
            let path = first_check_on(p, r, "fd.name").expect("the rule tests fd.name");
            let write = first_check_on(p, r, "evt.is_open_write").expect("the rule tests evt.is_open_write");
            assert!(path < write, "{backend:?}: rule {} tries evt.is_open_write first:\n{p}", p.rules[r].name);
        }
    }
}

/// The JIT's readers specialised to one slot ([`Compiled::slot_readers`]) answer exactly as the
/// general callbacks do, for every field read in place with no argument, on a generated
/// stream: the same answer, the same bytes, the same integer. A program whose fields are read
/// through another extractor gets no specialised reader.
#[test]
fn slot_readers_answer_as_the_general_callbacks() {
    use crate::common::{checked, fake_extract, programs, rules_for};
    use rulec_runtime::eval::{Compiled, EvalCtx, SlotCache, rulec_slot_num, rulec_slot_str};
    let conds: Vec<String> = borrow::PLAIN.iter().map(|(name, _)| format!("{name} exists")).collect();
    let conds: Vec<&str> = conds.iter().map(String::as_str).collect();
    let (_, p) = programs(&checked(&rules_for(&conds)));
    let compiled = Compiled::new(&p);
    let readers = compiled.slot_readers();
    let specialised = readers.strs.iter().filter(|r| r.is_some()).count();
    assert_eq!(specialised, borrow::PLAIN.len(), "one reader per field read in place");
    assert_eq!(readers.num.iter().filter(|r| r.is_some()).count(), specialised);
    let faked = Compiled::with_extractor(&p, fake_extract).slot_readers();
    let none = faked.strs.iter().all(Option::is_none) && faked.num.iter().all(Option::is_none);
    assert!(none, "another extractor: no specialised reader");

    let mut g = Generator::new(5);
    let mut st = g.state();
    let mut cache = SlotCache::new();
    let (mut bytes, mut numbers, mut absent) = (0usize, 0usize, 0usize);
    for _ in 0..20_000 {
        let ev = g.next_event();
        st.apply(&ev);
        let mut ctx = EvalCtx::new(&compiled, &mut cache, &ev, &st);
        let ptr = (&mut ctx as *mut EvalCtx<'_>).cast::<std::ffi::c_void>();
        for slot in 0..p.slots.len() {
            let (Some(read_str), Some(read_num)) = (readers.strs[slot], readers.num[slot]) else { continue };
            let id = slot as u32;
            let (mut want, mut got) = ([0usize; 2], [0usize; 2]);
            let (mut want_n, mut got_n) = (0i64, 0i64);
            // SAFETY: `ptr` is the live, exclusive context `ctx` of `compiled`, whose slot `id`
            // the readers were made for; the outputs are valid for two words and one i64.
            let (ws, gs, wn, gn) = unsafe {
                (
                    rulec_slot_str(ptr.cast(), id, want.as_mut_ptr()),
                    read_str(ptr, id, got.as_mut_ptr()),
                    rulec_slot_num(ptr.cast(), id, &mut want_n),
                    read_num(ptr, id, &mut got_n),
                )
            };
            let name = rulec_compiler::ir::text::SlotText(&p.slots[slot]).to_string();
            assert_eq!((gs, gn), (ws, wn), "{name} on {} (tid {})", ev.name, ev.tid);
            if ws == 1 {
                // SAFETY: answer 1: the words are the address and length of bytes that stay
                // valid while `ctx` lives.
                let (got, want) = unsafe {
                    (
                        std::slice::from_raw_parts(got[0] as *const u8, got[1]),
                        std::slice::from_raw_parts(want[0] as *const u8, want[1]),
                    )
                };
                assert_eq!(got, want, "{name}: the same bytes");
                bytes += 1;
            }
            if wn == 1 {
                assert_eq!(got_n, want_n, "{name}: the same integer");
                numbers += 1;
            }
            absent += usize::from(ws == 0);
        }
    }
    assert!(
        bytes > 100_000 && numbers > 20_000 && absent > 10_000,
        "too few answers: {bytes} bytes, {numbers} integers, {absent} absent"
    );
}
