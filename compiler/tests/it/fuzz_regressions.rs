//! Inputs kept from fuzzing (compiler/fuzz/regressions/, and the seed corpus): each must check
//! without panicking and with every diagnostic inside the file. A crash the fuzzer finds is added
//! to that folder as a regression case.

use std::path::PathBuf;

use rulec_compiler::{FileId, SourceFile};

#[test]
fn fuzz_regressions_and_seeds_check_without_panic() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut n = 0;
    for dir in ["regressions", "seeds/check_rules"] {
        let entries = std::fs::read_dir(root.join(dir)).expect("fuzz folder exists");
        for entry in entries.flatten() {
            let bytes = std::fs::read(entry.path()).expect("readable");
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let files = [SourceFile::new(FileId(0), entry.path().display().to_string(), text.clone())];
            let result = rulec_compiler::check::check(&files);
            for d in &result.diagnostics {
                assert!(d.primary.start <= d.primary.end && d.primary.end as usize <= text.len(), "{d:?}");
            }
            n += 1;
        }
    }
    assert!(n >= 10, "expected the regression and seed inputs, found {n}");
}

#[test]
fn condition_seeds_parse_without_panic() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/parse_condition");
    for entry in std::fs::read_dir(dir).expect("seed folder exists").flatten() {
        let text = String::from_utf8_lossy(&std::fs::read(entry.path()).expect("readable")).into_owned();
        let parsed = rulec_grammar::parse_condition(&text);
        for e in &parsed.errors {
            assert!(text.get(e.span.range()).is_some(), "{e:?}");
        }
    }
}
