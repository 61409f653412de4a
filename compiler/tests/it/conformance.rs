//! The upstream Falco rules files must check with zero errors, alone and together, and with only
//! the warnings Falco itself gives (none, for these files), plus the true findings of rulec's own
//! analyses (`rulec_compiler::analyze`), each listed with its judgement.

use std::path::PathBuf;

use rulec_compiler::check::check;
use rulec_compiler::{FileId, SourceFile};

fn conformance_dir() -> Option<PathBuf> {
    rulec_test_support::shared("conformance/falco")
}

const FILES: [&str; 3] = ["falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"];

fn load(dir: &PathBuf, names: &[&str]) -> Vec<SourceFile> {
    names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let text = std::fs::read_to_string(dir.join(n)).expect("conformance file readable");
            SourceFile::new(FileId(i as u32), *n, text)
        })
        .collect()
}

fn render(files: &[SourceFile], result: &rulec_compiler::check::CheckResult) -> String {
    let mut out = String::new();
    for d in &result.diagnostics {
        let f = &files[d.primary.file.0 as usize];
        let lc = f.line_col(d.primary.start as usize);
        out.push_str(&format!("{}:{}:{}: {} {}\n", f.name, lc.line, lc.col, d.code, d.message));
    }
    out
}

/// The analyses' findings on the upstream files (file, line, code), each a true finding:
///
/// - `falco-sandbox_rules.yaml:1049` W0202: the macro `user_known_container_drift_activities`
///   tests `evt.arg.filename`, a parameter of `chmod`-family events, and the rule `Container
///   Drift Detected (open+create)` uses it on `creat`/`open`/`openat`/`openat2`, which have no
///   such parameter: for that rule the exclusion can never hold (harmless, but dead).
const ANALYSIS_FINDINGS: &[(&str, u32, &str)] = &[("falco-sandbox_rules.yaml", 1049, "W0202")];

#[test]
fn each_file_alone_and_all_together_check_clean() {
    let Some(dir) = conformance_dir() else { return };
    let mut sets: Vec<Vec<&str>> = FILES.iter().map(|f| vec![*f]).collect();
    sets.push(FILES.to_vec());
    for set in sets {
        let files = load(&dir, &set);
        let mut result = check(&files);
        let mut found: Vec<(&str, u32, &str)> = Vec::new();
        result.diagnostics.retain(|d| {
            let analysis = d.code.as_str().starts_with("W02");
            if analysis {
                let f = &files[d.primary.file.0 as usize];
                found.push((f.name.as_str(), f.line_col(d.primary.start as usize).line, d.code.as_str()));
            }
            !analysis
        });
        let expected: Vec<(&str, u32, &str)> =
            ANALYSIS_FINDINGS.iter().copied().filter(|(f, ..)| set.contains(f)).collect();
        assert_eq!(found, expected, "{set:?}: the analyses' findings");
        assert!(result.diagnostics.is_empty(), "{set:?}:\n{}", render(&files, &result));
        let expected_rules = set
            .iter()
            .map(|f| match *f {
                "falco_rules.yaml" => 25,
                "falco-incubating_rules.yaml" => 31,
                _ => 37,
            })
            .sum::<usize>();
        assert_eq!(result.ruleset.rules.len(), expected_rules, "{set:?}");
        assert!(result.ruleset.rules.iter().all(|r| r.runnable), "{set:?}");
    }
}

#[test]
fn every_upstream_rule_is_restricted_to_few_event_types() {
    let Some(dir) = conformance_dir() else { return };
    let files = load(&dir, &FILES);
    let result = check(&files);
    for rule in &result.ruleset.rules {
        let n = rule.event_types.len(usize::MAX);
        assert!(n <= 100, "rule {} matches {n} event types", rule.name);
    }
}
