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
        // Subfolders hold the other targets' inputs (`tests/fuzz-harness` runs them).
        for entry in entries.flatten().filter(|e| e.path().is_file()) {
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

/// The rulec crates a manifest's `[dependencies]` name (not its dev-dependencies).
fn rulec_dependencies(manifest: &str) -> Vec<String> {
    let mut in_deps = false;
    let mut names = Vec::new();
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_deps = line == "[dependencies]";
        } else if in_deps && line.starts_with("rulec-") {
            names.push(line.split(['.', ' ', '=']).next().unwrap_or(line).to_owned());
        }
    }
    names
}

/// The fuzz targets build in their own workspace (`compiler/fuzz/`, outside `cargo test`), with
/// their own lock file: it must list every rulec crate the compiler and the grammar depend on,
/// directly or not, or `cargo fuzz` (and `cargo check --locked` there) fails once a crate is
/// added. A crate's folder comes from the workspace's `[workspace.dependencies]`.
#[test]
fn fuzz_lock_file_has_every_crate_of_the_compiler() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let read = |p: PathBuf| std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let workspace = read(root.join("../Cargo.toml"));
    let folder = |name: &str| {
        let line = workspace.lines().find(|l| l.starts_with(&format!("{name} = {{ path = ")))?;
        Some(root.join("..").join(line.split('"').nth(1)?))
    };
    let fuzz_lock = read(root.join("fuzz/Cargo.lock"));
    let mut reached: Vec<String> = vec!["rulec-compiler".into(), "rulec-grammar".into()];
    let mut i = 0;
    while let Some(name) = reached.get(i).cloned() {
        let dir = folder(&name).unwrap_or_else(|| panic!("{name} is not in [workspace.dependencies]"));
        for dep in rulec_dependencies(&read(dir.join("Cargo.toml"))) {
            if !reached.contains(&dep) {
                reached.push(dep);
            }
        }
        i += 1;
    }
    assert!(reached.len() >= 4, "{reached:?}");
    let missing: Vec<&String> = reached.iter().filter(|n| !fuzz_lock.contains(&format!("name = \"{n}\"\n"))).collect();
    assert!(missing.is_empty(), "compiler/fuzz/Cargo.lock lacks {missing:?}: run `cargo check` in compiler/fuzz");
}
