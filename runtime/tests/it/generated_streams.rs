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
