//! Every condition and output of the upstream Falco rules files (the conformance set) must parse
//! with zero errors, print back to text that parses to the same tree, and parse fast.

use crate::common;

use std::time::{Duration, Instant};

use rulec_grammar::ast::ExprKind;
use rulec_grammar::{parse_condition, parse_output};

#[test]
fn every_conformance_condition_parses_without_errors() {
    let Some(found) = common::conformance_values(&["condition"]) else { return };
    assert!(found.len() > 400, "expected the ~450 upstream conditions, found {}", found.len());
    let mut failures = Vec::new();
    for f in &found {
        let parsed = parse_condition(&f.value);
        let mut has_error_node = false;
        if let Some(e) = &parsed.expr {
            e.walk(&mut |x| has_error_node |= matches!(x.kind, ExprKind::Error));
        }
        if !parsed.errors.is_empty() || parsed.expr.is_none() || has_error_node {
            failures.push(format!("{}:{}:\n{}", f.file, f.line, common::show(&f.value, &parsed)));
        }
    }
    assert!(failures.is_empty(), "{} conditions failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn every_conformance_condition_round_trips_through_display() {
    let Some(found) = common::conformance_values(&["condition"]) else { return };
    for f in &found {
        let parsed = parse_condition(&f.value);
        let expr = parsed.expr.expect("a tree");
        common::assert_round_trip(&f.value, &expr);
    }
}

#[test]
fn every_conformance_output_parses_and_prints_back() {
    let Some(found) = common::conformance_values(&["output"]) else { return };
    assert!(found.len() > 80, "expected the ~94 upstream outputs, found {}", found.len());
    for f in &found {
        let parsed = parse_output(&f.value);
        assert!(parsed.errors.is_empty(), "{}:{}:\n{}", f.file, f.line, common::show_output(&f.value, &parsed));
        let printed: String = parsed.parts.iter().map(|p| p.to_string()).collect();
        assert_eq!(printed, f.value);
    }
}

#[test]
fn conformance_conditions_parse_fast() {
    let Some(found) = common::conformance_values(&["condition"]) else { return };
    // Warm up (first-touch costs), then take the best of a few runs to keep CI noise out.
    for f in &found {
        parse_condition(&f.value);
    }
    let mut best = Duration::MAX;
    for _ in 0..5 {
        let t = Instant::now();
        for f in &found {
            std::hint::black_box(parse_condition(&f.value));
        }
        best = best.min(t.elapsed());
    }
    eprintln!("parsed {} conditions in {best:?}", found.len());
    // The whole check of the three files must stay well under 100 ms; parsing is a small part of
    // it, even unoptimised.
    assert!(best < Duration::from_millis(75), "parsing took {best:?}");
}
