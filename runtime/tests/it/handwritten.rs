//! The hand-written predicate ([`rulec_runtime::handwritten`]) and the real upstream rules
//! (`falco_rules.yaml` checked by the compiler, run by the engine) agree on every event of
//! generated streams, for the rules of [`handwritten::SUBSET`]; and every rule of the subset
//! fires somewhere in the stream, so the agreement is not vacuous.

use std::collections::BTreeMap;

use rulec_bench::handwritten;
use rulec_bench::workload::Generator;
use rulec_compiler::{FileId, SourceFile};
use rulec_runtime::engine::{Backend, Engine, MatchMode};

fn rules() -> Option<rulec_compiler::check::CheckResult> {
    let p = rulec_test_support::shared("conformance/falco/falco_rules.yaml")?;
    let text = std::fs::read_to_string(&p).expect("the upstream rules file is readable");
    let res = rulec_compiler::check::check(&[SourceFile::new(FileId(0), "falco_rules.yaml", text)]);
    assert!(!res.has_errors(), "falco_rules.yaml does not check: {:?}", res.diagnostics);
    Some(res)
}

fn agree(backend: Backend, seeds: &[u64], events: usize) {
    let Some(res) = rules() else { return };
    for name in handwritten::SUBSET {
        assert!(res.ruleset.rules.iter().any(|r| r.name == *name), "{name} is not in falco_rules.yaml");
    }
    let mut engine = Engine::new(rulec_compiler::compile(&res), backend);
    engine.set_mode(MatchMode::All);
    let mut fired: BTreeMap<&str, usize> = BTreeMap::new();
    let mut alerts = Vec::new();
    let mut hand = Vec::new();
    for &seed in seeds {
        let mut g = Generator::new(seed);
        let mut st = g.state();
        for i in 0..events {
            let ev = g.next_event();
            st.apply(&ev);
            alerts.clear();
            engine.process(&ev, &st, &mut alerts);
            let mut real: Vec<&str> =
                alerts.iter().filter_map(|a| handwritten::SUBSET.iter().find(|n| **n == a.rule).copied()).collect();
            hand.clear();
            handwritten::matches(&ev, &st, &mut hand);
            real.sort_unstable();
            hand.sort_unstable();
            assert_eq!(real, hand, "seed {seed}, event {i}: {ev:?}");
            for r in &hand {
                *fired.entry(r).or_default() += 1;
            }
        }
    }
    eprintln!("{backend:?}: fired {fired:?}");
    for name in handwritten::SUBSET {
        assert!(fired.contains_key(name), "{name} never fired on the generated streams");
    }
}

#[test]
fn handwritten_agrees_with_the_rules_interpreter() {
    agree(Backend::Interp, &[1, 2, 3], 150_000);
}

#[test]
fn handwritten_agrees_with_the_rules_jit() {
    agree(Backend::Jit, &[7], 100_000);
}
