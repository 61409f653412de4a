//! Rules files shaped to exhaust the checker (issue 14): lists and macros that each include the
//! one before, once (a chain: quadratic if every level keeps its own copy) or twice (doubling:
//! exponential). Each must end quickly with E0212 at the item that crosses the limit, or check
//! clean when the shape is large but harmless, never exhaust memory. The inputs are generated
//! here rather than stored.

use rulec_compiler::check::check;
use rulec_compiler::{Code, Diagnostic, FileId, SourceFile};
use std::time::Instant;

fn run(text: String) -> Vec<Diagnostic> {
    let file = SourceFile::new(FileId(0), "hostile.yaml", text);
    let started = Instant::now();
    let result = check(std::slice::from_ref(&file));
    // Generous: a debug build on a loaded machine; a blow-up takes minutes or aborts.
    assert!(started.elapsed().as_secs() < 60, "took {:?}", started.elapsed());
    result.diagnostics
}

fn rule_using(cond: &str) -> String {
    format!("- rule: r\n  desc: d\n  condition: {cond}\n  output: o\n  priority: INFO\n")
}

fn limit_at(diags: &[Diagnostic], name: &str) -> bool {
    diags.iter().any(|d| d.code == Code::ResourceLimit && d.message.contains(&format!("`{name}")))
}

#[test]
fn doubling_lists_stay_small() {
    let mut text = String::from("- list: l0\n  items: [a, b]\n");
    for i in 1..=26 {
        text.push_str(&format!("- list: l{i}\n  items: [l{}, l{}]\n", i - 1, i - 1));
    }
    text.push_str(&rule_using("evt.type = open and proc.name in (l26)"));
    let diags = run(text);
    // Repeats are kept once: l26 is {a, b}, as Falco's set would be.
    assert!(diags.iter().all(|d| !d.is_error()), "{diags:?}");
}

#[test]
fn a_long_chain_of_lists_hits_the_limit() {
    let n = 16_000;
    let mut text = String::from("- list: l0\n  items: [x0]\n");
    for i in 1..n {
        text.push_str(&format!("- list: l{i}\n  items: [l{}, x{i}]\n", i - 1));
    }
    text.push_str(&rule_using(&format!("evt.type = open and proc.name in (l{})", n - 1)));
    let diags = run(text);
    assert!(diags.iter().any(|d| d.code == Code::ResourceLimit), "{:?}", &diags[..diags.len().min(3)]);
}

#[test]
fn a_long_chain_of_macros_hits_the_limit() {
    let n = 8_000;
    let mut text = String::from("- macro: m0\n  condition: proc.name = x0\n");
    for i in 1..n {
        text.push_str(&format!("- macro: m{i}\n  condition: (m{} and proc.name = x{i})\n", i - 1));
    }
    text.push_str(&rule_using(&format!("evt.type = open and m{}", n - 1)));
    let diags = run(text);
    assert!(diags.iter().any(|d| d.code == Code::ResourceLimit), "{:?}", &diags[..diags.len().min(3)]);
}

#[test]
fn doubling_macros_hit_the_limit_where_they_cross_it() {
    let mut text = String::from("- macro: m0\n  condition: proc.name = a\n");
    for i in 1..=40 {
        text.push_str(&format!("- macro: m{i}\n  condition: (m{} or m{})\n", i - 1, i - 1));
    }
    text.push_str(&rule_using("evt.type = open and m40"));
    let diags = run(text);
    assert!(limit_at(&diags, "m") || diags.iter().any(|d| d.code == Code::ResourceLimit), "{diags:?}");
}
