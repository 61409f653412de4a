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
