//! Properties of the fixes diagnostics carry, over every case file (`compiler/tests/cases/`) and the
//! `--fix` fixture: each fix applies on its own (its edits are in bounds and do not overlap), and
//! a fix marked safe resolves its diagnostic without adding an error.

use rulec_compiler::check::check;
use rulec_compiler::{Diagnostic, FileId, SourceFile};

fn inputs() -> Vec<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths: Vec<_> = std::fs::read_dir(dir.join("tests/cases"))
        .expect("the cases directory")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    paths.push(dir.join("../tests/fixtures/fixable.yaml"));
    paths.sort();
    paths
        .into_iter()
        .map(|p| (p.display().to_string(), std::fs::read_to_string(&p).expect("a readable case")))
        .collect()
}

/// What identifies a diagnostic across an edit that does not touch it (locations move; two
/// diagnostics may share it, so they are counted).
fn key(d: &Diagnostic) -> (rulec_compiler::Code, String) {
    (d.code, d.message.clone())
}

#[test]
fn every_fix_applies_and_safe_fixes_resolve_their_diagnostic() {
    let mut fixes_seen = 0;
    let mut safe_seen = 0;
    for (name, text) in inputs() {
        let files = vec![SourceFile::new(FileId(0), name.clone(), text.clone())];
        let result = check(&files);
        for d in &result.diagnostics {
            for fix in &d.fixes {
                fixes_seen += 1;
                let applied = rulec_compiler::fix::apply(&text, FileId(0), &[fix]);
                assert_eq!(applied.applied, vec![0], "{name}: `{}` does not apply on its own", fix.title);
                let fixed = vec![SourceFile::new(FileId(0), name.clone(), applied.text.clone())];
                let after = check(&fixed);
                if !fix.is_safe() {
                    continue;
                }
                safe_seen += 1;
                let before_errors = result.diagnostics.iter().filter(|d| d.is_error()).count();
                let after_errors = after.diagnostics.iter().filter(|d| d.is_error()).count();
                assert!(
                    after_errors <= before_errors,
                    "{name}: the safe fix `{}` adds errors:\n{}",
                    fix.title,
                    applied.text
                );
                let count = |ds: &[Diagnostic]| ds.iter().filter(|a| key(a) == key(d)).count();
                assert!(
                    count(&after.diagnostics) < count(&result.diagnostics),
                    "{name}: the safe fix `{}` leaves `{}`:\n{}",
                    fix.title,
                    d.message,
                    applied.text
                );
            }
        }
    }
    assert!(fixes_seen > 10 && safe_seen >= 6, "only {fixes_seen} fixes ({safe_seen} safe) in the cases");
}
