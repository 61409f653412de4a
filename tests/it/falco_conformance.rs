//! `rulec check` on Falco's own rules files (`../shared/conformance/falco/`), which it must
//! accept unchanged, alone and together: exit status 0, no errors, and (as Falco reports for
//! them) no unused macro or list. Skipped with a message where `../shared` is absent.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

/// Falco's load order: the stable rules first, then incubating, then sandbox.
const FILES: [&str; 3] = ["falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"];

fn falco_files() -> Option<Vec<PathBuf>> {
    let dir = rulec_test_support::shared("conformance/falco")?;
    Some(FILES.iter().map(|f| dir.join(f)).collect())
}

/// Runs `rulec check --format json FILES` and asserts it is clean.
fn assert_accepted(files: &[PathBuf]) {
    let output = Command::new(env!("CARGO_BIN_EXE_rulec"))
        .arg("check")
        .args(["--format", "json"])
        .args(files)
        .output()
        .expect("the rulec binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let names: Vec<_> = files.iter().map(|f| f.display().to_string()).collect();
    let doc: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!("rulec check {names:?}: stdout is not JSON ({e}); stderr:\n{}", String::from_utf8_lossy(&output.stderr))
    });
    let diagnostics = doc["diagnostics"].as_array().cloned().unwrap_or_default();
    let errors: Vec<String> = diagnostics.iter().filter(|d| d["severity"] == "error").map(one_line).collect();
    assert!(errors.is_empty(), "rulec check {names:?} reports {} errors:\n{}", errors.len(), errors.join("\n"));
    assert_eq!(output.status.code(), Some(0), "rulec check {names:?}");
    let unused: Vec<String> = diagnostics
        .iter()
        .filter(|d| d["name"] == "unused-macro" || d["name"] == "unused-list")
        .map(one_line)
        .collect();
    assert!(unused.is_empty(), "Falco reports no unused macro or list here, rulec does:\n{}", unused.join("\n"));
    let warnings = diagnostics.len();
    eprintln!("rulec check {names:?}: 0 errors, {warnings} warnings");
}

/// `FILE:LINE:COLUMN: CODE message`, to list findings in a failure message.
fn one_line(d: &Value) -> String {
    let text = |key: &str| d[key].as_str().unwrap_or("?").to_owned();
    format!("{}:{}:{}: {} {}", text("file"), d["line"], d["column"], text("code"), text("message"))
}

#[test]
fn each_falco_file_alone() {
    let Some(files) = falco_files() else { return };
    for file in &files {
        assert_accepted(std::slice::from_ref(file));
    }
}

#[test]
fn falco_files_together() {
    let Some(files) = falco_files() else { return };
    assert_accepted(&files);
}
