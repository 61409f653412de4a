//! Tidy checks of the repository itself: ARCHITECTURE.md names only paths that exist, and every
//! Rust module starts with a `//!` doc saying what it owns (../shared/STYLE.md).

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Where a path written in ARCHITECTURE.md may be relative to: the root, or a crate's sources.
const BASES: &[&str] = &["", "grammar/src", "compiler/src", "compiler/src/check", "runtime/src", "lsp/src"];

#[test]
fn architecture_names_only_existing_paths() {
    let text = std::fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let mut missing = Vec::new();
    let mut checked = 0;
    for (i, piece) in text.split('`').enumerate() {
        // Odd pieces are inside backticks.
        if i % 2 == 0 || piece.contains(' ') || piece.contains("::") || piece.contains('(') {
            continue;
        }
        let looks_like_path = piece.ends_with('/')
            || piece.ends_with(".rs")
            || piece.ends_with(".md")
            || piece.ends_with(".toml")
            || piece.ends_with(".tsv")
            || piece.ends_with(".sh");
        if !looks_like_path || piece.starts_with("../") {
            continue;
        }
        let candidate = piece.trim_end_matches('/').replace("*.tsv", "");
        checked += 1;
        if !BASES.iter().any(|b| root().join(b).join(&candidate).exists()) {
            missing.push(piece.to_owned());
        }
    }
    assert!(checked > 20, "expected ARCHITECTURE.md to name paths, found {checked}");
    assert!(missing.is_empty(), "ARCHITECTURE.md names paths that do not exist: {missing:?}");
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if p.is_dir() {
            if !matches!(name, "target" | "node_modules" | "fuzz") && !name.starts_with('.') {
                rust_files(&p, out);
            }
        } else if name.ends_with(".rs") {
            out.push(p);
        }
    }
}

#[test]
fn every_module_starts_with_a_doc_comment() {
    let mut files = Vec::new();
    for dir in ["src", "grammar", "compiler", "runtime", "lsp", "tests"] {
        rust_files(&root().join(dir), &mut files);
    }
    assert!(files.len() > 50, "found only {} Rust files", files.len());
    let undocumented: Vec<_> = files
        .iter()
        .filter(|f| !std::fs::read_to_string(f).is_ok_and(|t| t.trim_start().starts_with("//!")))
        .map(|f| f.strip_prefix(root()).unwrap_or(f).display().to_string())
        .collect();
    assert!(undocumented.is_empty(), "modules without a `//!` doc: {undocumented:?}");
}

/// Every file under `dir` whose name ends with `suffix`, skipping build output and hidden dirs.
fn files_ending(dir: &Path, suffix: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if p.is_dir() {
            if !matches!(name, "target" | "node_modules") && !name.starts_with('.') {
                files_ending(&p, suffix, out);
            }
        } else if name.ends_with(suffix) {
            out.push(p);
        }
    }
}

/// Codes no input can produce, each with the reason. A code leaves this list when a case
/// produces it (the test fails while it is listed and produced, so the list only shrinks).
const UNPRODUCIBLE_CODES: &[(&str, &str)] = &[(
    "E0412",
    "the grammar rejects every right side of the wrong shape first (E0101, with a fix); the \
     checker's E0412 is a second line of defence for syntax trees not built by the parser",
)];

/// Every code in the code table is produced by some case: its code appears in a snapshot (the
/// recorded output of the checker's case files `compiler/tests/cases/`, the loader's cases, the
/// grammar's, the CLI's and the test runner's), or a test asserts it (`"E0610"` or
/// `Code::DuplicateTestCase` in a test source: test-file cases in `runtime/testing/`).
#[test]
fn every_diagnostic_code_has_a_case() {
    let mut evidence = String::new();
    let mut files = Vec::new();
    files_ending(&root(), ".snap", &mut files);
    assert!(files.len() > 50, "found only {} snapshots", files.len());
    for dir in ["tests", "compiler/tests", "grammar/tests", "lsp/tests", "runtime/tests", "runtime/testing"] {
        files_ending(&root().join(dir), ".rs", &mut files);
    }
    for f in &files {
        let is_test_source = f.extension().is_some_and(|e| e == "rs");
        // This file names codes too, in the list below; it is no evidence.
        let is_tidy = f.ends_with("tests/tidy.rs");
        if is_tidy || is_test_source && !(f.components().any(|c| c.as_os_str() == "tests") || f.ends_with("tests.rs")) {
            continue;
        }
        evidence.push_str(&std::fs::read_to_string(f).unwrap_or_default());
        evidence.push('\n');
    }
    let produced = |code: rulec_compiler::Code| {
        let s = code.as_str();
        let word = evidence.match_indices(s).any(|(i, _)| {
            let next = evidence[i + s.len()..].chars().next();
            !next.is_some_and(|c| c.is_ascii_alphanumeric())
        });
        word || evidence.contains(&format!("Code::{code:?}"))
    };
    let mut missing = Vec::new();
    for &code in rulec_compiler::Code::ALL {
        let listed = UNPRODUCIBLE_CODES.iter().any(|(c, _)| *c == code.as_str());
        match (produced(code), listed) {
            (false, false) => missing.push(code.as_str()),
            (true, true) => panic!("{code} is produced by a case now: remove it from UNPRODUCIBLE_CODES"),
            _ => {}
        }
    }
    assert!(missing.is_empty(), "codes no case produces (add a case file for each): {missing:?}");
}

/// The most lines a Rust source file may have: one reading.
const MAX_LINES: usize = 1_000;

/// Files over [`MAX_LINES`] today, each being split by responsibility (other work streams own
/// the runtime ones). Entries leave as files are split; none may be added.
const OVERSIZED: &[&str] = &["runtime/bench/src/workload.rs", "runtime/src/fields/tests.rs"];

#[test]
fn rust_files_stay_small() {
    let mut files = Vec::new();
    for dir in ["src", "grammar", "compiler", "runtime", "lsp", "tests"] {
        rust_files(&root().join(dir), &mut files);
    }
    let mut over = Vec::new();
    for f in &files {
        let lines = std::fs::read_to_string(f).map_or(0, |t| t.lines().count());
        let name = f.strip_prefix(root()).unwrap_or(f).display().to_string();
        let listed = OVERSIZED.contains(&name.as_str());
        if lines > MAX_LINES && !listed {
            over.push(format!("{name} ({lines} lines)"));
        }
        assert!(!listed || lines > MAX_LINES, "{name} has {lines} lines now: remove it from OVERSIZED");
    }
    for listed in OVERSIZED {
        assert!(root().join(listed).exists(), "{listed} is gone: remove it from OVERSIZED");
    }
    assert!(over.is_empty(), "files over {MAX_LINES} lines (split them by responsibility): {over:?}");
}
