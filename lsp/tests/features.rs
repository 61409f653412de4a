//! Fixture tests of every feature: a rules file written inline with a `$0` cursor, the feature's
//! function called on the snapshot, and the result drawn as text (edits applied, ranges
//! underlined) in an insta snapshot, so a reviewer sees input and answer together.

use rulec_lsp::features::{
    code_actions, completion, diagnostics, formatting, hover, lenses, navigation, semantic_tokens, symbols,
};
use rulec_lsp::fixture::{Fixture, uri};
use tower_lsp_server::ls_types as lsp;

/// The analyses Falco lacks, as the server shows them.
#[path = "features/analyses.rs"]
mod analyses;

/// The editor as a new user meets it: no setting, files told apart by content.
#[path = "features/zero_config.rs"]
mod zero_config;

const BASE: &str = r#"- list: shell_binaries
  items: [bash, sh, zsh]

- macro: spawned_process
  condition: evt.type in (execve, execveat) and evt.dir = <

- macro: shell_procs
  condition: spawned_process and proc.name in (shell_binaries)

- rule: Shell in container
  desc: a shell
  condition: shell_procs and container.id != host
  output: "Shell (user=%user.name command=%proc.cmdline)"
  priority: WARNING
"#;

/// The fixture `BASE` followed by `extra` (which holds the cursor).
fn with_base(extra: &str) -> Fixture {
    Fixture::parse(&format!("{BASE}\n{extra}"))
}

fn labels(items: &[lsp::CompletionItem]) -> Vec<&str> {
    items.iter().map(|i| i.label.as_str()).collect()
}

fn complete(f: &Fixture) -> Vec<lsp::CompletionItem> {
    let (u, p) = f.at();
    completion::completion(&f.analysis, u, p)
}

/// The text with LSP edits applied.
fn apply(text: &str, edits: &[lsp::TextEdit]) -> String {
    let file = rulec_compiler::SourceFile::new(rulec_compiler::FileId(0), "", text.to_owned());
    let mut spans: Vec<(usize, usize, &str)> = edits
        .iter()
        .map(|e| {
            let s = file.offset_of_utf16(e.range.start.line, e.range.start.character);
            let t = file.offset_of_utf16(e.range.end.line, e.range.end.character);
            (s, t, e.new_text.as_str())
        })
        .collect();
    spans.sort_by_key(|s| std::cmp::Reverse(s.0));
    let mut out = text.to_owned();
    for (s, t, new) in spans {
        out.replace_range(s..t, new);
    }
    out
}

/// The lines of `text` holding each range, with the range underlined.
fn underline(text: &str, ranges: &[lsp::Range]) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::new();
    for r in ranges {
        let line = lines.get(r.start.line as usize).copied().unwrap_or("");
        let col = |c: u32| line.encode_utf16().take(c as usize).count();
        // Columns are UTF-16; the underline is drawn in chars, which agree for these fixtures.
        let start = col(r.start.character);
        let end = if r.end.line == r.start.line { col(r.end.character) } else { line.encode_utf16().count() };
        out.push_str(&format!(
            "{:>3} | {line}\n    | {}{}\n",
            r.start.line + 1,
            " ".repeat(start),
            "^".repeat(end.saturating_sub(start).max(1))
        ));
    }
    out
}

// ------------------------------------------------------------------ completion

#[test]
fn completes_fields_with_type_and_range() {
    let f =
        with_base("- rule: r\n  desc: d\n  condition: spawned_process and proc.na$0\n  output: o\n  priority: INFO\n");
    let items = complete(&f);
    let name = items.iter().find(|i| i.label == "proc.name").expect("proc.name offered");
    assert_eq!(name.detail.as_deref(), Some("string"));
    let Some(lsp::CompletionTextEdit::Edit(edit)) = &name.text_edit else { panic!("no edit") };
    // The whole typed word, dots included, is replaced.
    let (u, _) = f.at();
    let applied = apply(f.text(u), std::slice::from_ref(edit));
    assert!(applied.contains("\n  condition: spawned_process and proc.name\n"), "{applied}");
    let lsp::Documentation::MarkupContent(doc) = name.documentation.as_ref().expect("documented") else { panic!() };
    assert!(doc.value.contains("operators:"), "{}", doc.value);
    assert!(labels(&items).contains(&"spawned_process"), "macros are offered too");
    assert!(labels(&items).contains(&"not"));
}

#[test]
fn completes_operators_for_the_field_type() {
    let f = with_base("- macro: m\n  condition: proc.pid $0\n");
    let ops = labels(&complete(&f)).join(" ");
    insta::assert_snapshot!(ops, @"exists = != < <= > >= in intersects");
    let f = with_base("- macro: m\n  condition: proc.name $0\n");
    let ops = labels(&complete(&f)).join(" ");
    assert!(ops.contains("contains") && ops.contains("startswith") && ops.contains("glob"), "{ops}");
    // After a macro, only `and`/`or` make sense.
    let f = with_base("- macro: m\n  condition: spawned_process $0\n");
    assert_eq!(labels(&complete(&f)), vec!["and", "or"]);
}

#[test]
fn completes_values_lists_and_event_types() {
    let f = with_base("- macro: m\n  condition: evt.type = ope$0\n");
    let l = labels(&complete(&f)).join(" ");
    assert!(l.contains("open ") && l.contains("openat"), "{l}");
    let f = with_base("- macro: m\n  condition: proc.name in (sh$0\n");
    assert!(labels(&complete(&f)).contains(&"shell_binaries"));
    let f = with_base("- macro: m\n  condition: evt.type in (open, $0)\n");
    let items = complete(&f);
    let l = labels(&items);
    assert!(l.contains(&"openat") && l.contains(&"shell_binaries"));
    let f = with_base("- macro: m\n  condition: evt.is_io = $0\n");
    assert_eq!(labels(&complete(&f))[..2], ["true", "false"]);
}

#[test]
fn completes_field_arguments() {
    let f = with_base("- macro: m\n  condition: evt.arg.fla$0\n");
    assert!(labels(&complete(&f)).contains(&"evt.arg.flags"));
    let f = with_base("- macro: m\n  condition: evt.arg[na$0\n");
    assert!(labels(&complete(&f)).contains(&"name"));
}

#[test]
fn completes_output_fields_after_percent() {
    let f =
        with_base("- rule: r\n  desc: d\n  condition: spawned_process\n  output: \"x %proc.$0 y\"\n  priority: INFO\n");
    let items = complete(&f);
    assert!(labels(&items).contains(&"proc.name"));
    let f =
        with_base("- rule: r\n  desc: d\n  condition: spawned_process\n  output: \"x proc.$0\"\n  priority: INFO\n");
    assert!(complete(&f).is_empty(), "no field without a %");
}

#[test]
fn completes_inside_block_scalars() {
    let f = with_base("- macro: m\n  condition: >\n    spawned_process and\n    not shell_p$0\n");
    let items = complete(&f);
    let it = items.iter().find(|i| i.label == "shell_procs").expect("macro offered");
    let Some(lsp::CompletionTextEdit::Edit(e)) = &it.text_edit else { panic!() };
    assert_eq!((e.range.start.line, e.range.start.character, e.range.end.character), (18, 8, 15));
}

#[test]
fn completes_while_the_yaml_is_broken() {
    // The unterminated flow sequence makes the file invalid YAML; the line still reads.
    let f = with_base("- macro: m\n  condition: proc.na$0\n- list: x\n  items: [a\n");
    assert!(labels(&complete(&f)).contains(&"proc.name"));
}

#[test]
fn completes_yaml_keys_and_values() {
    let f = with_base("- rule: r\n  desc: d\n  $0\n");
    let keys = labels(&complete(&f)).join(" ");
    insta::assert_snapshot!(keys, @"condition output priority source enabled tags exceptions override append warn_evttypes skip-if-unknown-filter capture capture_duration");
    let f = with_base("- rule: r\n  exceptions:\n    - name: e\n      $0\n");
    assert_eq!(labels(&complete(&f)), vec!["fields", "comps", "values"]);
    let f = with_base("- rule: Shell in container\n  condition: and x\n  override:\n    condition: $0\n");
    assert_eq!(labels(&complete(&f)), vec!["append", "replace"]);
    let f = with_base("- rule: Shell in container\n  priority: ERROR\n  override:\n    priority: $0\n");
    assert_eq!(labels(&complete(&f)), vec!["replace"]);
    let f = with_base("- rule: r\n  priority: $0\n");
    assert!(labels(&complete(&f)).contains(&"WARNING"));
    let f = with_base("- rule: r\n  enabled: $0\n");
    assert_eq!(labels(&complete(&f)), vec!["true", "false"]);
    let f = with_base("- m$0\n");
    assert_eq!(
        labels(&complete(&f)),
        vec!["rule", "macro", "list", "required_engine_version", "required_plugin_versions"]
    );
    let f = with_base("- macro: $0\n");
    assert_eq!(labels(&complete(&f)), vec!["spawned_process", "shell_procs"]);
}

// ------------------------------------------------------------------ hover

fn hover_text(f: &Fixture) -> String {
    let (u, p) = f.at();
    match hover::hover(&f.analysis, u, p) {
        Some(h) => {
            let lsp::HoverContents::Markup(m) = h.contents else { panic!("markdown expected") };
            let range = h.range.map(|r| underline(f.text(u), &[r])).unwrap_or_default();
            format!("{range}\n{}", m.value)
        }
        None => "(no hover)".to_owned(),
    }
}

#[test]
fn hovers_fields() {
    let f = with_base("- macro: m\n  condition: proc.na$0me = x and evt.arg.flags contains O_CREAT\n");
    insta::assert_snapshot!(hover_text(&f));
    let f = with_base("- macro: m\n  condition: proc.name = x and evt.arg.fl$0ags contains O_CREAT\n");
    let h = hover_text(&f);
    assert!(h.contains("events with parameter `flags`:") && h.contains("open"), "{h}");
}

#[test]
fn hovers_macros_with_their_expansion() {
    let f = with_base("- macro: m\n  condition: shell_pr$0ocs\n");
    insta::assert_snapshot!(hover_text(&f));
}

#[test]
fn hovers_lists_and_rules() {
    let f = with_base("- macro: m\n  condition: proc.name in (shell_bin$0aries)\n");
    insta::assert_snapshot!(hover_text(&f));
    let f = Fixture::parse(&BASE.replace("rule: Shell in", "rule: Shell$0 in"));
    insta::assert_snapshot!(hover_text(&f));
}

// ------------------------------------------------------------------ navigation

const MULTI: &str = r#"//- /base.yaml rulesFile
- list: shell_binaries
  items: [bash, sh]

- macro: shell_procs
  condition: proc.name in (shell_binaries)
//- /user.yaml
- rule: r1
  desc: d
  condition: evt.type = execve and shell_p$0rocs
  output: o
  priority: INFO

- rule: r2
  desc: d
  condition: >
    evt.type = execve and
    not shell_procs and proc.pname in (shell_binaries)
  output: o
  priority: INFO
"#;

fn render_locations(f: &Fixture, locs: &[lsp::Location]) -> String {
    locs.iter()
        .map(|l| format!("{}\n{}", l.uri.as_str(), underline(f.text(&l.uri), &[l.range])))
        .collect::<Vec<_>>()
        .join("")
}

#[test]
fn goes_to_definitions_across_files() {
    let f = Fixture::parse(MULTI);
    let (u, p) = f.at();
    let def = navigation::definition(&f.analysis, u, p).expect("a definition");
    insta::assert_snapshot!(render_locations(&f, &[def]), @r"
    file:///fixture/base.yaml
      4 | - macro: shell_procs
        |          ^^^^^^^^^^^
    ");
}

#[test]
fn finds_references_across_files() {
    let f = Fixture::parse(MULTI);
    let (u, p) = f.at();
    let refs = navigation::references(&f.analysis, u, p, true);
    insta::assert_snapshot!(render_locations(&f, &refs));
    let f = Fixture::parse(&MULTI.replace("$0", "").replace("(shell_binaries)\n//-", "(shell_bin$0aries)\n//-"));
    let (u, p) = f.at();
    let refs = navigation::references(&f.analysis, u, p, false);
    assert_eq!(refs.len(), 2, "{}", render_locations(&f, &refs));
}

#[test]
fn renames_macros_in_every_file() {
    let f = Fixture::parse(MULTI);
    let (u, p) = f.at();
    let edit = navigation::rename(&f.analysis, u, p, "shell_processes").expect("valid").expect("an edit");
    let mut out = String::new();
    let mut changes: Vec<_> = edit.changes.expect("changes").into_iter().collect();
    changes.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
    for (uri, edits) in changes {
        out.push_str(&format!("//- {}\n{}", uri.as_str(), apply(f.text(&uri), &edits)));
    }
    insta::assert_snapshot!(out);
    let err = navigation::rename(&f.analysis, u, p, "not a name").expect_err("invalid name");
    assert!(err.message.contains("not a valid macro name"), "{}", err.message);
    assert!(navigation::prepare_rename(&f.analysis, u, p).is_some());
}

#[test]
fn renames_rules_quoting_when_needed() {
    let f = Fixture::parse(
        "- rule: A$0\n  desc: d\n  condition: evt.type = open\n  output: o\n  priority: INFO\n- rule: A\n  enabled: false\n  override:\n    enabled: replace\n",
    );
    let (u, p) = f.at();
    let edit = navigation::rename(&f.analysis, u, p, "B: b").expect("valid").expect("edit");
    let text = apply(f.text(u), &edit.changes.expect("changes")[u]);
    assert!(text.starts_with("- rule: \"B: b\"\n") && text.contains("- rule: \"B: b\"\n  enabled"), "{text}");
}

// ------------------------------------------------------------------ semantic tokens

fn render_tokens(f: &Fixture, u: &lsp::Uri) -> String {
    let text = f.text(u);
    let lines: Vec<&str> = text.lines().collect();
    let names = semantic_tokens::TOKEN_TYPES;
    semantic_tokens::tokens(&f.analysis, u)
        .iter()
        .map(|t| {
            let line: Vec<u16> = lines.get(t.line as usize).copied().unwrap_or("").encode_utf16().collect();
            let s = (t.col as usize).min(line.len());
            let e = ((t.col + t.len) as usize).min(line.len());
            let word = String::from_utf16_lossy(&line[s..e]);
            let decl = if t.mods & 1 == 1 { " (declaration)" } else { "" };
            format!("{}:{} {} `{word}`{decl}", t.line + 1, t.col, names[t.ty as usize].as_str())
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn semantic_tokens_in_every_scalar_style() {
    let text = r#"- macro: plain
  condition: proc.name = bash and not fd.num > 3

- macro: quoted
  condition: "proc.name in (\"a b\", x) and\
    \ evt.type = open"

- macro: single
  condition: 'proc.name = ''it'' or plain'

- macro: block
  condition: >
    quoted and
      tolower(proc.name) startswith "sh"
    or single

- rule: unicode
  desc: d
  condition: proc.name = "é𝄞" and block and fd.name pmatch (lst)
  output: "%proc.name é𝄞 %evt.arg.flags"
  priority: INFO

- list: lst
  items: [/tmp]
"#;
    let f = Fixture::parse(text);
    insta::assert_snapshot!(render_tokens(&f, &uri("/main.yaml")));
    // The wire form is the same tokens, delta-encoded.
    let data = semantic_tokens::semantic_tokens(&f.analysis, &uri("/main.yaml")).data;
    assert_eq!(data.len(), semantic_tokens::tokens(&f.analysis, &uri("/main.yaml")).len());
}

// ------------------------------------------------------------------ code actions

fn fix(text: &str, title_part: &str) -> String {
    let f = Fixture::parse(text);
    let (u, p) = f.at();
    let actions = code_actions::code_actions(&f.analysis, u, lsp::Range { start: p, end: p });
    let titles: Vec<String> = actions
        .iter()
        .map(|a| match a {
            lsp::CodeActionOrCommand::CodeAction(a) => a.title.clone(),
            lsp::CodeActionOrCommand::Command(c) => c.title.clone(),
        })
        .collect();
    let chosen = actions.into_iter().find_map(|a| match a {
        lsp::CodeActionOrCommand::CodeAction(a) if a.title.contains(title_part) => Some(a),
        _ => None,
    });
    let Some(action) = chosen else { panic!("no action with `{title_part}` among {titles:?}") };
    let edits = &action.edit.expect("an edit").changes.expect("changes")[u];
    format!("# {}\n{}", action.title, apply(f.text(u), edits))
}

#[test]
fn fixes_unknown_fields_and_macros() {
    insta::assert_snapshot!(fix("- macro: m\n  condition: proc.nmae$0 = bash\n- rule: r\n  desc: d\n  condition: m\n  output: o\n  priority: INFO\n", "Replace"), @r"
    # Replace with `proc.name`
    - macro: m
      condition: proc.name = bash
    - rule: r
      desc: d
      condition: m
      output: o
      priority: INFO
    ");
    insta::assert_snapshot!(fix("- macro: shell_procs\n  condition: proc.name = sh\n- rule: r\n  desc: d\n  condition: evt.type = open and shell_prcs$0\n  output: o\n  priority: INFO\n", "Replace"), @r"
    # Replace with `shell_procs`
    - macro: shell_procs
      condition: proc.name = sh
    - rule: r
      desc: d
      condition: evt.type = open and shell_procs
      output: o
      priority: INFO
    ");
}

#[test]
fn quotes_a_value_that_looks_like_a_field() {
    let text = "- rule: r\n  desc: d\n  condition: evt.type = open and proc.name = proc.pn$0ame\n  output: o\n  priority: INFO\n";
    insta::assert_snapshot!(fix(text, "Quote"), @r#"
    # Quote `proc.pname` (compare with the text)
    - rule: r
      desc: d
      condition: evt.type = open and proc.name = "proc.pname"
      output: o
      priority: INFO
    "#);
    assert!(fix(text, "val(").contains("proc.name = val(proc.pname)"));
    // Inside a double-quoted YAML scalar, the quote must be the other one.
    let text = "- rule: r\n  desc: d\n  condition: \"evt.type = open and proc.name = proc.pn$0ame\"\n  output: o\n  priority: INFO\n";
    assert!(fix(text, "Quote").contains("proc.name = 'proc.pname'\""));
}

#[test]
fn replaces_deprecated_append() {
    let text = format!(
        "{BASE}\n- rule: Shell in container\n  condition: and proc.pname != x\n  exceptions: []\n  append$0: true\n"
    );
    let fixed = fix(&text, "override");
    insta::assert_snapshot!(fixed.lines().skip(16).collect::<Vec<_>>().join("\n"), @r"
    - rule: Shell in container
      condition: and proc.pname != x
      exceptions: []
      override:
        condition: append
        exceptions: append
    ");
    // The fixed file checks without the warning.
    let f = Fixture::parse(fixed.split_once('\n').map_or("", |x| x.1));
    let diags = diagnostics::all(&f.analysis);
    assert!(diags.iter().flat_map(|(_, d)| d).all(|d| !d.message.contains("deprecated")), "{diags:?}");
}

#[test]
fn fixes_carried_by_the_compiler() {
    let rule = |cond: &str, priority: &str| {
        format!("- rule: r\n  desc: d\n  condition: {cond}\n  output: o\n  priority: {priority}\n")
    };
    // A priority spelling with one meaning.
    insta::assert_snapshot!(fix(&rule("evt.type = open", "WA$0RN"), "WARNING"), @r"
    # Replace with `WARNING`
    - rule: r
      desc: d
      condition: evt.type = open
      output: o
      priority: WARNING
    ");
    // `=` before a list, a bare value after `in`, an upper-case keyword.
    let fixed = fix(&rule("evt.type = open and proc.name = (a$0, b)", "INFO"), "in");
    assert!(fixed.starts_with("# Replace `=` with `in`") && fixed.contains("proc.name in (a, b)"), "{fixed}");
    let fixed = fix(&rule("evt.type = open and proc.name in b$0ash", "INFO"), "parentheses");
    assert!(fixed.contains("proc.name in (bash)"), "{fixed}");
    let fixed = fix(&rule("evt.type = open A$0ND proc.name = a", "INFO"), "and");
    assert!(fixed.contains("evt.type = open and proc.name = a"), "{fixed}");
    // Did-you-means: a key, an event type, an event parameter.
    let fixed = fix("- macro: m\n  conditon$0: evt.type = open\n  condition: evt.type = open\n", "Replace");
    assert!(
        fixed.starts_with("# Replace with `condition`") && fixed.contains("  condition: evt.type = open\n  condition"),
        "{fixed}"
    );
    let fixed = fix(&rule("evt.type = opn$0at", "INFO"), "Replace");
    assert!(fixed.contains("evt.type = openat"), "{fixed}");
    let fixed = fix(&rule("evt.type = open and evt.arg.flgs$0 contains O_CREAT", "INFO"), "Replace");
    assert!(fixed.contains("evt.arg.flags contains"), "{fixed}");
}

// ------------------------------------------------------------------ formatting

const LONG: &str = r#"- macro: long_macro
  condition: (evt.type in (open, openat, openat2) and evt.is_open_write = true and fd.typechar = f and fd.num >= 0) or (proc.name in (bash, sh) and not proc.pname in (sshd, login))

- macro: short
  condition: proc.name = x

- rule: Long rule
  desc: d
  condition: >
    long_macro and short and proc.cmdline contains "a very long argument string that goes on" and not fd.name startswith /tmp
  output: o
  priority: INFO
"#;

#[test]
fn formats_long_conditions_keeping_their_meaning() {
    let f = Fixture::parse(LONG);
    let u = uri("/main.yaml");
    let edits = formatting::format_document(&f.analysis, &u);
    let formatted = apply(LONG, &edits);
    insta::assert_snapshot!(formatted);
    // Formatting is idempotent and the result checks the same.
    let again = Fixture::parse(&formatted);
    assert!(formatting::format_document(&again.analysis, &u).is_empty());
    let before: Vec<_> = diagnostics::all(&f.analysis).into_iter().flat_map(|(_, d)| d).map(|d| d.message).collect();
    let after: Vec<_> = diagnostics::all(&again.analysis).into_iter().flat_map(|(_, d)| d).map(|d| d.message).collect();
    assert_eq!(before, after);
}

#[test]
fn layout_breaks_at_top_level_operators() {
    let e = rulec_grammar::parse_condition("a and (b or c or proc.name in (x, y, z)) and not (d and e)")
        .expr
        .expect("parses");
    assert_eq!(
        formatting::layout(&e, 30).join("\n"),
        "a\nand (b\n     or c\n     or proc.name in (x, y, z))\nand not (d and e)"
    );
    assert!(formatting::same_tree("a and b", "a\n and   b"));
    assert!(!formatting::same_tree("a and b or c", "a and (b or c)"));
}

#[test]
fn formatting_leaves_conditions_with_errors_alone() {
    let text = LONG.replace("fd.num >= 0)", "fd.num >= 0");
    let f = Fixture::parse(&text);
    let edits = formatting::format_document(&f.analysis, &uri("/main.yaml"));
    // Only the rule's condition is formatted; the broken macro is left as written.
    assert_eq!(edits.len(), 1);
    assert!(apply(&text, &edits).contains("(evt.type in (open, openat, openat2) and evt.is_open_write"));
}

// ------------------------------------------------------------------ hints, lenses, symbols

#[test]
fn inlay_hints_show_event_types() {
    let f = Fixture::parse(BASE);
    let u = uri("/main.yaml");
    let hints = lenses::inlay_hints(&f.analysis, &u, None);
    let rendered: Vec<String> = hints
        .iter()
        .map(|h| {
            let lsp::InlayHintLabel::String(s) = &h.label else { panic!() };
            format!("{}:{} {s}", h.position.line + 1, h.position.character)
        })
        .collect();
    insta::assert_snapshot!(rendered.join("\n"), @"10:26 evt.type: execve, execveat");
}

#[test]
fn code_lenses_run_tests() {
    let f = Fixture::parse(BASE);
    let lenses = lenses::code_lenses(&f.analysis, &uri("/main.yaml"));
    assert_eq!(lenses.len(), 1);
    let cmd = lenses[0].command.as_ref().expect("a command");
    assert_eq!(cmd.command, "rulec.runTests");
    assert_eq!(cmd.arguments, Some(vec![serde_json::json!("Shell in container")]));
}

#[test]
fn symbols_and_folding() {
    let f = Fixture::parse(BASE);
    let u = uri("/main.yaml");
    let syms: Vec<String> = symbols::document_symbols(&f.analysis, &u)
        .iter()
        .map(|s| format!("{:?} {} {}-{}", s.kind, s.name, s.range.start.line + 1, s.range.end.line + 1))
        .collect();
    insta::assert_snapshot!(syms.join("\n"), @r"
    Array shell_binaries 1-2
    Function spawned_process 4-5
    Function shell_procs 7-8
    Event Shell in container 10-14
    ");
    let ws = symbols::workspace_symbols(&f.analysis, "SHELL");
    assert_eq!(ws.len(), 3);
    let folds: Vec<String> = symbols::folding_ranges(&f.analysis, &u)
        .iter()
        .map(|r| format!("{}-{}", r.start_line + 1, r.end_line + 1))
        .collect();
    assert_eq!(folds.join(" "), "1-2 4-5 7-8 10-14");
}

// ------------------------------------------------------------------ diagnostics

#[test]
fn diagnostics_match_the_checker() {
    let f = Fixture::parse(
        "- macro: m\n  condition: proc.nmae = x\n- rule: r\n  desc: d\n  condition: m and undefined_macro\n  output: o\n  priority: INFO\n",
    );
    let all = diagnostics::all(&f.analysis);
    let rendered: Vec<String> = all[0]
        .1
        .iter()
        .map(|d| {
            let code = match &d.code {
                Some(lsp::NumberOrString::String(s)) => s.clone(),
                _ => String::new(),
            };
            format!("{}:{} {code} {}", d.range.start.line + 1, d.range.start.character, d.message)
        })
        .collect();
    insta::assert_snapshot!(rendered.join("\n"), @r"
    2:13 E0401 unknown field `proc.nmae`
    help: did you mean `proc.name`?
    5:19 E0301 undefined macro `undefined_macro`
    ");
}

#[test]
fn diagnostics_follow_the_configured_load_order() {
    // user.yaml uses a macro of base.yaml: fine when base.yaml is configured first...
    let f = Fixture::parse(&MULTI.replace("$0", ""));
    let user =
        diagnostics::all(&f.analysis).into_iter().find(|(u, _)| *u == uri("/user.yaml")).expect("user.yaml reported");
    assert!(user.1.is_empty(), "{:?}", user.1);
    // ...an error when no file of the workspace defines it.
    let alone = MULTI.replace("$0", "").replace("- macro: shell_procs", "- macro: other_procs");
    let f = Fixture::parse(&alone);
    let user = diagnostics::all(&f.analysis).into_iter().find(|(u, _)| *u == uri("/user.yaml")).expect("reported");
    assert!(user.1.iter().any(|d| d.message.contains("undefined macro `shell_procs`")), "{:?}", user.1);
}

// ------------------------------------------------------------------ robustness

/// Every feature at every position of some odd files: none may panic.
#[test]
fn no_feature_panics_anywhere() {
    let texts = [
        BASE.to_owned(),
        LONG.to_owned(),
        "- rule: \"é𝄞\"\n  condition: 'a\n\n   b' and \"\\x41\\u00e9\" = %\n  output: \"%\"\n".to_owned(),
        "- macro: x\n  condition: [a, b\n- list\n: :\n\t- rule\n".to_owned(),
        String::new(),
        "key: value\n".to_owned(),
        "- rule: r\n  condition: |\n    proc.name in (a,\n     b) and evt.type = \"open\n".to_owned(),
    ];
    for text in texts {
        let f = Fixture::parse(&text);
        let u = uri("/main.yaml");
        let lines = text.lines().count() as u32 + 2;
        for line in 0..lines {
            for character in 0..90 {
                let p = lsp::Position { line, character };
                let _ = completion::completion(&f.analysis, &u, p);
                let _ = hover::hover(&f.analysis, &u, p);
                let _ = navigation::definition(&f.analysis, &u, p);
                let _ = navigation::references(&f.analysis, &u, p, true);
                let _ = navigation::rename(&f.analysis, &u, p, "new_name");
                let _ = code_actions::code_actions(&f.analysis, &u, lsp::Range { start: p, end: p });
            }
        }
        let _ = semantic_tokens::semantic_tokens(&f.analysis, &u);
        let _ = formatting::format_document(&f.analysis, &u);
        let _ = symbols::folding_ranges(&f.analysis, &u);
        let _ = symbols::document_symbols(&f.analysis, &u);
        let _ = lenses::inlay_hints(&f.analysis, &u, None);
        // An unknown document answers nothing.
        assert!(completion::completion(&f.analysis, &uri("/nope.yaml"), lsp::Position::default()).is_empty());
    }
}

// ------------------------------------------------------------------ the embedded stdlib
//
// `//- stdlib` fixtures load the embedded stdlib first, as the server does by default: a user's
// file that uses, appends to or overrides stdlib macros and lists is checked clean, completion
// and hover know them, and navigation leaves out the embedded files no client can open.

/// A user's file on top of the stdlib: it uses `spawned_process`, `container` and
/// `shell_binaries`, appends to the list and overrides a macro.
const STDLIB_USER: &str = include_str!("../../tests/fixtures/stdlib_user.yaml");

fn stdlib_messages(f: &Fixture) -> Vec<String> {
    diagnostics::all(&f.analysis)
        .into_iter()
        .filter(|(u, _)| *u == uri("/main.yaml"))
        .flat_map(|(_, d)| d)
        .map(|d| d.message)
        .collect()
}

#[test]
fn stdlib_names_check_clean_with_the_stdlib_and_not_without() {
    let with = Fixture::parse(&format!("//- stdlib\n//- /main.yaml\n{STDLIB_USER}"));
    assert_eq!(stdlib_messages(&with), Vec::<String>::new());
    // Only the open file is reported on: the stdlib's own files are not.
    assert!(diagnostics::all(&with.analysis).iter().all(|(u, _)| *u == uri("/main.yaml")));
    let without = Fixture::parse(STDLIB_USER);
    let m = stdlib_messages(&without);
    assert!(m.iter().any(|m| m.contains("spawned_process")), "{m:?}");
}

#[test]
fn stdlib_macros_and_lists_complete() {
    let f = Fixture::parse(&format!(
        "//- stdlib\n//- /main.yaml\n{}",
        STDLIB_USER.replace("condition: spawned_process and", "condition: spawned_$0")
    ));
    let (u, p) = f.at();
    let items = completion::completion(&f.analysis, u, p);
    assert!(
        items.iter().any(|i| i.label == "spawned_process"),
        "{:?}",
        items.iter().map(|i| &i.label).collect::<Vec<_>>()
    );
    let f = Fixture::parse(&format!(
        "//- stdlib\n//- /main.yaml\n{}",
        STDLIB_USER.replace("in (shell_binaries)", "in ($0)")
    ));
    let (u, p) = f.at();
    let items = completion::completion(&f.analysis, u, p);
    assert!(
        items.iter().any(|i| i.label == "shell_binaries"),
        "{:?}",
        items.iter().map(|i| &i.label).collect::<Vec<_>>()
    );
}

#[test]
fn stdlib_definitions_hover() {
    let f = Fixture::parse(&format!(
        "//- stdlib\n//- /main.yaml\n{}",
        STDLIB_USER.replace("condition: spawned_process", "condition: spawned_pro$0cess")
    ));
    let h = hover_text(&f);
    assert!(h.contains("**macro** `spawned_process`") && h.contains("execve"), "{h}");
    let f = Fixture::parse(&format!(
        "//- stdlib\n//- /main.yaml\n{}",
        STDLIB_USER.replace("in (shell_binaries)", "in (shell_bin$0aries)")
    ));
    let h = hover_text(&f);
    // The stdlib's items and the appended one.
    assert!(h.contains("**list** `shell_binaries`") && h.contains("bash") && h.contains("fish"), "{h}");
}

#[test]
fn stdlib_navigation_leaves_out_the_embedded_files() {
    let f = Fixture::parse(&format!(
        "//- stdlib\n//- /main.yaml\n{}",
        STDLIB_USER.replace("condition: spawned_process", "condition: spawned_pro$0cess")
    ));
    let (u, p) = f.at();
    assert_eq!(navigation::definition(&f.analysis, u, p), None);
    let refs = navigation::references(&f.analysis, u, p, true);
    assert!(!refs.is_empty() && refs.iter().all(|l| l.uri == uri("/main.yaml")), "{refs:?}");
    let err = navigation::rename(&f.analysis, u, p, "spawned").unwrap_err();
    assert!(err.message.contains("embedded stdlib"), "{}", err.message);
}
