//! The upstream Falco rules files must check with zero errors, alone and together, and with only
//! the warnings Falco itself gives (none, for these files).

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

#[test]
fn each_file_alone_and_all_together_check_clean() {
    let Some(dir) = conformance_dir() else { return };
    let mut sets: Vec<Vec<&str>> = FILES.iter().map(|f| vec![*f]).collect();
    sets.push(FILES.to_vec());
    for set in sets {
        let files = load(&dir, &set);
        let result = check(&files);
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
