//! End-to-end tests of the rest of the command line (`codes`, `--help`, `--version`) and of the
//! generated and shared documents staying true: `docs/diagnostics.md` is `rulec codes`, and the
//! README's test command is what CI runs.

use std::path::Path;

use crate::rulec;
use rulec_compiler::diagnostic::{Code, reference_markdown};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(ROOT).join(path)).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

#[test]
fn diagnostics_doc_is_generated_from_the_code_table() {
    let doc = read("docs/diagnostics.md");
    assert!(
        doc == reference_markdown(),
        "docs/diagnostics.md is out of date with compiler/src/diagnostic.rs; regenerate it with\n\n    \
         cargo run -- codes > docs/diagnostics.md\n"
    );
}

#[test]
fn codes_prints_the_reference() {
    let (status, stdout, _) = rulec(&["codes"]);
    assert_eq!(status, 0);
    assert_eq!(stdout, reference_markdown());

    let (status, stdout, _) = rulec(&["codes", "--format", "text"]);
    assert_eq!(status, 0);
    for code in Code::ALL {
        assert!(stdout.contains(code.as_str()) && stdout.contains(code.slug()), "{code}");
    }
}

#[test]
fn codes_looks_one_code_up() {
    let (status, by_code, _) = rulec(&["codes", "--format", "text", "e0401"]);
    assert_eq!(status, 0);
    let (_, by_name, _) = rulec(&["codes", "--format", "text", "unknown-field"]);
    assert_eq!(by_code, by_name);
    insta::assert_snapshot!(by_code);

    let (status, _, stderr) = rulec(&["codes", "E9999"]);
    assert_eq!(status, 2);
    assert!(stderr.starts_with("rulec: no diagnostic code or name `E9999`"), "{stderr}");
}

#[test]
fn version_and_help() {
    let (status, stdout, _) = rulec(&["--version"]);
    assert_eq!(status, 0);
    assert_eq!(stdout, format!("rulec {}\n", env!("CARGO_PKG_VERSION")));

    let (status, stdout, _) = rulec(&["--help"]);
    assert_eq!(status, 0);
    insta::assert_snapshot!("help", stdout);

    let (status, stdout, _) = rulec(&["check", "--help"]);
    assert_eq!(status, 0);
    insta::assert_snapshot!("check_help", stdout);
}

#[test]
fn readme_test_command_is_what_ci_runs() {
    let readme = read("README.md");
    let ci = read(".ci/run");
    // The quick start's two commands: the main job (`rulec run` on the host) and the tests.
    for command in ["cargo build --release && sudo target/release/rulec run", "cargo test --workspace"] {
        assert!(readme.contains(command), "README.md shows `{command}`");
    }
    assert!(ci.lines().any(|l| l.trim() == "cargo test --workspace"), ".ci/run runs the README's test command exactly");
    assert!(Path::new(ROOT).join("docs/examples/example.yaml").is_file());
    let doc = "docs/diagnostics.md";
    assert!(readme.contains(doc) && Path::new(ROOT).join(doc).is_file(), "{doc}");
}
