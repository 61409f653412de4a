//! The language server with the embedded stdlib loaded first (`//- stdlib` fixtures, as the
//! server does by default): a user's file that uses, appends to or overrides stdlib macros and
//! lists is checked clean, completion and hover know them, and navigation leaves out the
//! embedded files no client can open.

use rulec_lsp::features::{completion, diagnostics, hover, navigation};
use rulec_lsp::fixture::{Fixture, uri};
use tower_lsp_server::ls_types as lsp;

/// A user's file on top of the stdlib: it uses `spawned_process`, `container` and
/// `shell_binaries`, appends to the list and overrides a macro.
const USER: &str = r#"- list: shell_binaries
  items: [fish]
  override:
    items: append

- macro: container
  condition: (container.id != host and container.id != "")
  override:
    condition: replace

- rule: Fish in a container
  desc: the fish shell started in a container
  condition: spawned_process and container and proc.name in (shell_binaries)
  output: "fish (proc=%proc.name container=%container.id)"
  priority: NOTICE
"#;

fn messages(f: &Fixture) -> Vec<String> {
    diagnostics::all(&f.analysis)
        .into_iter()
        .filter(|(u, _)| *u == uri("/main.yaml"))
        .flat_map(|(_, d)| d)
        .map(|d| d.message)
        .collect()
}

#[test]
fn a_file_using_the_stdlib_checks_clean_with_it_and_not_without() {
    let with = Fixture::parse(&format!("//- stdlib\n//- /main.yaml\n{USER}"));
    assert_eq!(messages(&with), Vec::<String>::new());
    // Only the open file is reported on: the stdlib's own files are not.
    assert!(diagnostics::all(&with.analysis).iter().all(|(u, _)| *u == uri("/main.yaml")));
    let without = Fixture::parse(USER);
    let m = messages(&without);
    assert!(m.iter().any(|m| m.contains("spawned_process")), "{m:?}");
}

#[test]
fn completion_offers_stdlib_macros_and_lists() {
    let f = Fixture::parse(&format!(
        "//- stdlib\n//- /main.yaml\n{}",
        USER.replace("condition: spawned_process and", "condition: spawned_$0")
    ));
    let (u, p) = f.at();
    let items = completion::completion(&f.analysis, u, p);
    assert!(
        items.iter().any(|i| i.label == "spawned_process"),
        "{:?}",
        items.iter().map(|i| &i.label).collect::<Vec<_>>()
    );
    let f = Fixture::parse(&format!("//- stdlib\n//- /main.yaml\n{}", USER.replace("in (shell_binaries)", "in ($0)")));
    let (u, p) = f.at();
    let items = completion::completion(&f.analysis, u, p);
    assert!(
        items.iter().any(|i| i.label == "shell_binaries"),
        "{:?}",
        items.iter().map(|i| &i.label).collect::<Vec<_>>()
    );
}

fn hover_text(f: &Fixture) -> String {
    let (u, p) = f.at();
    match hover::hover(&f.analysis, u, p).map(|h| h.contents) {
        Some(lsp::HoverContents::Markup(m)) => m.value,
        other => format!("{other:?}"),
    }
}

#[test]
fn hover_shows_stdlib_definitions() {
    let f = Fixture::parse(&format!(
        "//- stdlib\n//- /main.yaml\n{}",
        USER.replace("condition: spawned_process", "condition: spawned_pro$0cess")
    ));
    let h = hover_text(&f);
    assert!(h.starts_with("**macro** `spawned_process`") && h.contains("execve"), "{h}");
    let f = Fixture::parse(&format!(
        "//- stdlib\n//- /main.yaml\n{}",
        USER.replace("in (shell_binaries)", "in (shell_bin$0aries)")
    ));
    let h = hover_text(&f);
    // The stdlib's items and the appended one.
    assert!(h.starts_with("**list** `shell_binaries`") && h.contains("bash") && h.contains("fish"), "{h}");
}

#[test]
fn navigation_leaves_out_the_embedded_files() {
    let f = Fixture::parse(&format!(
        "//- stdlib\n//- /main.yaml\n{}",
        USER.replace("condition: spawned_process", "condition: spawned_pro$0cess")
    ));
    let (u, p) = f.at();
    assert_eq!(navigation::definition(&f.analysis, u, p), None);
    let refs = navigation::references(&f.analysis, u, p, true);
    assert!(!refs.is_empty() && refs.iter().all(|l| l.uri == uri("/main.yaml")), "{refs:?}");
    let err = navigation::rename(&f.analysis, u, p, "spawned").unwrap_err();
    assert!(err.message.contains("embedded stdlib"), "{}", err.message);
}
