//! Fixture tests of the editor as a new user meets it (issue 16): no setting at all, a rules file
//! next to Falco's, files told apart by content, a `rulec.yaml` that lacks a file, and the
//! project's configuration and test files. Each test is a fixture (`$0` is the cursor) and the
//! feature's answer drawn as text.

use rulec_lsp::features::{code_actions, completion, diagnostics, hover, project_files};
use rulec_lsp::fixture::{Fixture, uri};
use tower_lsp_server::ls_types as lsp;

use super::apply;

/// The upstream macro and list a user's file uses, in a workspace file that is not open.
const FALCO: &str = r#"//- /falco/falco_rules.yaml workspace
- list: shell_binaries
  items: [bash, sh, zsh]

- macro: spawned_process
  condition: (evt.type in (execve, execveat) and evt.dir=<)

- macro: shell_procs
  condition: proc.name in (shell_binaries)
"#;

/// The user's file: Falco's macros, plus a misspelt field in the same condition.
const CUSTOM: &str = r#"- rule: Shell in my app
  desc: a shell in my app
  condition: spawned_process and shell_procs and proc.nme = myapp
  output: "shell (command=%proc.cmdline)"
  priority: WARNING
"#;

/// Each reported file with its diagnostics, one `line:col code message` line each.
fn rendered_diagnostics(f: &Fixture) -> String {
    let mut all = diagnostics::all(&f.analysis);
    all.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
    let mut out = String::new();
    for (u, diags) in all {
        out.push_str(&format!("{}\n", u.as_str()));
        for d in diags {
            let code = match &d.code {
                Some(lsp::NumberOrString::String(s)) => s.clone(),
                _ => String::new(),
            };
            let message = d.message.lines().next().unwrap_or("");
            out.push_str(&format!("  {}:{} {code} {message}\n", d.range.start.line + 1, d.range.start.character));
        }
    }
    out
}

fn hover_text(f: &Fixture) -> String {
    let (u, p) = f.at();
    let h = hover::hover(&f.analysis, u, p).expect("a hover");
    match h.contents {
        lsp::HoverContents::Markup(m) => m.value,
        other => panic!("unexpected hover {other:?}"),
    }
}

// ------------------------------------------------------------------ load order

#[test]
fn with_no_setting_the_workspace_files_that_define_the_names_are_loaded_first() {
    // The user's file is named like nothing in particular and nothing is configured: Falco's
    // macros resolve from the workspace, and the one real mistake is what is reported.
    let f = Fixture::parse(&format!("{FALCO}//- /custom.yaml\n{CUSTOM}"));
    insta::assert_snapshot!(rendered_diagnostics(&f), @r"
    file:///fixture/custom.yaml
      3:49 E0401 unknown field `proc.nme`
    ");
}

#[test]
fn an_undefined_macro_does_not_hide_the_other_errors() {
    // No file defines Falco's macros: both macros are undefined, and the field is still checked.
    let f = Fixture::parse(&format!("//- /custom.yaml\n{CUSTOM}"));
    insta::assert_snapshot!(rendered_diagnostics(&f), @r"
    file:///fixture/custom.yaml
      3:13 E0301 undefined macro `spawned_process`
      3:33 E0301 undefined macro `shell_procs`
      3:49 E0401 unknown field `proc.nme`
    ");
}

#[test]
fn the_first_line_says_which_load_order_is_in_force() {
    let f = Fixture::parse(&format!("{FALCO}//- /custom.yaml\n- rule: Shell$0 in my app{}", &CUSTOM[23..]));
    let text = hover_text(&f);
    insta::assert_snapshot!(text, @r"
    **rule** `Shell in my app` (Warning)

    a shell in my app

    not runnable (see its diagnostics)

    ---

    **rulec load order**: no configuration: the workspace's files that define the names this file uses

    1. `falco/falco_rules.yaml`
    2. this file
    ");
    // With a configuration file, the hover names it, and the stdlib comes first.
    let f = Fixture::parse(&format!(
        "//- stdlib\n//- /rulec.yaml config\nrules_files: [falco/falco_rules.yaml, custom.yaml]\n{}//- /custom.yaml rulesFile\n$0{CUSTOM}",
        FALCO.replace("workspace", "rulesFile")
    ));
    let text = hover_text(&f);
    assert!(text.starts_with("**rulec load order**: `rules_files` of `/rulec.yaml`"), "{text}");
    assert!(
        text.contains("1. the embedded stdlib (") && text.contains("2. `falco/falco_rules.yaml`\n3. this file"),
        "{text}"
    );
}

#[test]
fn a_code_action_adds_the_missing_file_to_the_configuration() {
    let fixture = format!(
        "//- /rulec.yaml config\nrules_files:\n  - custom.yaml\n{FALCO}//- /custom.yaml rulesFile\n{}",
        CUSTOM.replace("spawned_process and", "spawned_$0process and")
    );
    let f = Fixture::parse(&fixture);
    let (u, p) = f.at();
    let actions = code_actions::code_actions(&f.analysis, u, lsp::Range { start: p, end: p });
    let action = actions
        .iter()
        .find_map(|a| match a {
            lsp::CodeActionOrCommand::CodeAction(a) if a.title.contains("rules_files") => Some(a),
            _ => None,
        })
        .expect("an action that adds the file");
    let changes = action.edit.as_ref().and_then(|e| e.changes.as_ref()).expect("edits");
    let config = uri("/rulec.yaml");
    let edited = apply(f.text(&config), &changes[&config]);
    insta::assert_snapshot!(format!("# {}\n{edited}", action.title), @r"
    # Add `falco/falco_rules.yaml` to `rules_files` in rulec.yaml (it defines `spawned_process`)
    rules_files:
      - falco/falco_rules.yaml
      - custom.yaml
    ");
}

// ------------------------------------------------------------------ files by content

#[test]
fn rules_files_are_recognised_by_content_and_other_yaml_is_left_alone() {
    let f = Fixture::parse(&format!(
        "//- /rules.d/10-custom.yaml\n{CUSTOM}//- /deploy.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: x}}\n//- /ci.yaml\n- name: build\n  run: make\n"
    ));
    let reported: Vec<String> = diagnostics::all(&f.analysis).into_iter().map(|(u, _)| u.as_str().to_owned()).collect();
    assert_eq!(reported, ["file:///fixture/rules.d/10-custom.yaml"]);
    // Nothing is served on other YAML.
    let deploy = uri("/deploy.yaml");
    let at = lsp::Position { line: 0, character: 1 };
    assert!(hover::hover(&f.analysis, &deploy, at).is_none());
    assert!(completion::completion(&f.analysis, &deploy, at).is_empty());
}

// ------------------------------------------------------------------ rulec.yaml and tests

fn project_completion(f: &Fixture) -> Vec<String> {
    let (u, p) = f.at();
    let items = project_files::completion(&f.analysis, u, p).expect("a project file");
    items.into_iter().map(|i| i.label).collect()
}

#[test]
fn rulec_yaml_is_validated_and_its_keys_complete() {
    let f = Fixture::parse("//- /rulec.yaml\nrules_files: [a.yaml]\nstdot: true\nwebhook:\n  url: http://x\n");
    insta::assert_snapshot!(rendered_diagnostics(&f), @r"
    file:///fixture/rulec.yaml
      2:0 E0702 the configuration has no key `stdot`
    ");
    // A key being typed (the YAML is broken there) completes from the keys of its parent.
    let f = Fixture::parse("//- /rulec.yaml\nrules_files: [a.yaml]\nwebhook:\n  url: http://x\n  time$0\n");
    assert_eq!(project_completion(&f), ["timeout"]);
    let f = Fixture::parse("//- /rulec.yaml\nrules_files: [a.yaml]\nmin$0\n");
    assert_eq!(project_completion(&f), ["min_priority"]);
}

const TESTS: &str = r#"//- /shell.tests.yaml
cases:
  - name: a shell
    rule: Shell in my ap$0p
    events:
      - {execve: {exe: /bin/sh}}
    expect: []
"#;

#[test]
fn test_files_go_to_their_rules_and_complete_their_keys() {
    let f = Fixture::parse(&format!("{TESTS}//- /shell.yaml workspace\n{CUSTOM}"));
    let (u, p) = f.at();
    let def = project_files::definition(&f.analysis, u, p).expect("the rule");
    assert_eq!(def.uri, uri("/shell.yaml"));
    assert_eq!((def.range.start.line, def.range.start.character, def.range.end.character), (0, 8, 23));
    // Keys of a case, of the file, of an expected alert.
    let f = Fixture::parse("//- /x.tests.yaml\ncases:\n  - name: a\n    exp$0\n");
    assert_eq!(project_completion(&f), ["expect"]);
    let f = Fixture::parse("//- /x.tests.yaml\nru$0\n");
    assert_eq!(project_completion(&f), ["rules"]);
    let f = Fixture::parse("//- /x.tests.yaml\ncases:\n  - name: a\n    expect:\n      - rule: r\n        out$0\n");
    assert_eq!(project_completion(&f), ["output", "output_contains"]);
    // A misspelt key is reported by the test-file reader.
    let f = Fixture::parse("//- /x.tests.yaml\ncases:\n  - name: a\n    evnts: []\n    expect: []\n");
    assert!(rendered_diagnostics(&f).contains("evnts"), "{}", rendered_diagnostics(&f));
}
