//! The test infrastructure's own rules, checked like data: every crate's integration tests are
//! one binary (`tests/it/`), so that adding a test file does not add a binary that links the
//! whole workspace; and only `tests/support/` (`rulec-test-support`) knows where `../shared` is,
//! so that every test that needs it skips, or fails under `RULEC_REQUIRE_SHARED=1`, the same way.

use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The crates whose `tests/` folders hold integration tests.
const CRATES: &[&str] = &[
    ".",
    "grammar",
    "compiler/schema",
    "compiler/ir",
    "compiler",
    "runtime",
    "runtime/testing",
    "runtime/bench",
    "runtime/outputs",
    "lsp",
];

/// Integration-test files allowed beside `tests/it/`, each with the reason.
const OWN_BINARIES: &[(&str, &str)] = &[
    // Another part of the project owns the tidy checks; `cargo test -p rulec --test tidy` is
    // how ARCHITECTURE.md's path check is run.
    ("tests/tidy.rs", "the repository's tidy checks"),
    // rulec-lsp has one integration-test file, so it is one binary already.
    ("lsp/tests/features.rs", "the only integration test of rulec-lsp"),
];

#[test]
fn each_crate_has_one_integration_test_binary() {
    let mut extra = Vec::new();
    for krate in CRATES {
        let dir = Path::new(ROOT).join(krate).join("tests");
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "rs") {
                let rel = Path::new(krate).join("tests").join(entry.file_name());
                let rel = rel.strip_prefix(".").unwrap_or(&rel).display().to_string();
                if !OWN_BINARIES.iter().any(|(p, _)| *p == rel) {
                    extra.push(rel);
                }
            }
        }
    }
    assert!(
        extra.is_empty(),
        "integration tests go in the crate's tests/it/ as a module (listed in tests/it/main.rs), not in a \
         binary of their own: {extra:?}"
    );
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if !matches!(name.as_str(), "target" | "node_modules" | "fuzz") && !name.starts_with('.') {
                rust_files(&path, out);
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

#[test]
fn only_the_support_crate_knows_where_shared_is() {
    let support = Path::new(ROOT).join("tests/support");
    let mut files = Vec::new();
    rust_files(Path::new(ROOT), &mut files);
    // A string literal that walks up to the shared directory: `"../shared`, `"/../../shared`...
    // (written in two pieces so that this file does not match itself).
    let up = concat!("..", "/");
    let mut offenders = Vec::new();
    for file in files.iter().filter(|f| !f.starts_with(&support)) {
        let Ok(text) = std::fs::read_to_string(file) else { continue };
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            let in_literal = code.split('"').skip(1).step_by(2).any(|lit| lit.contains(&format!("{up}shared")));
            if in_literal {
                offenders.push(format!("{}:{}", file.strip_prefix(ROOT).unwrap_or(file).display(), i + 1));
            }
        }
    }
    assert!(offenders.is_empty(), "use rulec_test_support::shared(...) to reach the shared directory: {offenders:?}");
}
