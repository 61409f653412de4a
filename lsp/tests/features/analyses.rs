//! The analyses Falco lacks (`rulec_compiler::analyze`, codes W0201–W0206) as the language
//! server shows them: each analysis's warning on a fixture, drawn under the text it points at,
//! and the estimated cost per event in a rule's hover.

use rulec_lsp::features::{diagnostics, hover};
use rulec_lsp::fixture::Fixture;
use tower_lsp_server::ls_types as lsp;

/// The analyses' warnings of the fixture's only file: code, message, and the range underlined.
fn analysis_warnings(text: &str) -> String {
    let f = Fixture::parse(text);
    let (_, file_text) = &f.files[0];
    let lines: Vec<&str> = file_text.lines().collect();
    let mut out = String::new();
    for (_, diags) in diagnostics::all(&f.analysis) {
        for d in diags {
            let code = match &d.code {
                Some(lsp::NumberOrString::String(s)) => s.clone(),
                _ => String::new(),
            };
            if !code.starts_with("W02") {
                continue;
            }
            assert_eq!(d.severity, Some(lsp::DiagnosticSeverity::WARNING), "{code}");
            let first = d.message.lines().next().unwrap_or("");
            let r = d.range;
            let line = lines.get(r.start.line as usize).copied().unwrap_or("");
            let end = if r.end.line == r.start.line { r.end.character } else { line.len() as u32 };
            out.push_str(&format!(
                "{code} {first}\n{:>3} | {line}\n    | {}{}\n",
                r.start.line + 1,
                " ".repeat(r.start.character as usize),
                "^".repeat(end.saturating_sub(r.start.character).max(1) as usize)
            ));
        }
    }
    if out.is_empty() { "(none)\n".to_owned() } else { out }
}

fn rule(name: &str, condition: &str) -> String {
    format!(
        "- rule: {name}\n  desc: d\n  condition: {condition}\n  output: \"{name} %proc.name\"\n  priority: WARNING\n"
    )
}

#[test]
fn shows_rules_that_never_match() {
    insta::assert_snapshot!(analysis_warnings(&rule("r", "evt.type = open and evt.type = execve")));
    assert_eq!(analysis_warnings(&rule("r", "evt.type = open or evt.type = execve")), "(none)\n");
}

#[test]
fn shows_fields_no_event_of_the_rule_sets() {
    insta::assert_snapshot!(analysis_warnings(&rule("r", "evt.type = execve and fd.sport = 22")));
    assert_eq!(analysis_warnings(&rule("r", "evt.type = accept and fd.sport = 22")), "(none)\n");
}

#[test]
fn shows_constant_subconditions() {
    insta::assert_snapshot!(analysis_warnings(&rule(
        "r",
        "evt.type = execve and (proc.name = a or not proc.name = a)"
    )));
    assert_eq!(analysis_warnings(&rule("r", "evt.type = execve and (proc.name = a or not proc.name = b)")), "(none)\n");
}

#[test]
fn shows_duplicate_rules() {
    let first = rule("r", "evt.type = execve and proc.name = sh");
    let again = rule("r", "proc.name = sh and evt.type = execve and user.uid = 0").replace("rule: r", "rule: s");
    insta::assert_snapshot!(analysis_warnings(&format!("{first}{again}")));
    let other = rule("s", "proc.name = sh and evt.type = execve and user.uid = 0");
    assert_eq!(analysis_warnings(&format!("{first}{other}")), "(none)\n");
}

#[test]
fn shows_exception_fields_no_event_of_the_rule_sets() {
    let with = |ty: &str| {
        format!(
            "{}  exceptions:\n    - name: ports\n      fields: [fd.sport]\n      comps: [=]\n      values:\n        - [22]\n",
            rule("r", &format!("evt.type = {ty} and proc.name = nc"))
        )
    };
    insta::assert_snapshot!(analysis_warnings(&with("execve")));
    assert_eq!(analysis_warnings(&with("accept")), "(none)\n");
}

#[test]
fn shows_costly_checks_and_the_cost_in_the_hover() {
    insta::assert_snapshot!(analysis_warnings(&rule("r", "evt.type = read and fd.name regex \"/etc/.*\"")));
    assert_eq!(analysis_warnings(&rule("r", "evt.type = open and fd.name regex \"/etc/.*\"")), "(none)\n");

    let f =
        Fixture::parse(&rule("r", "evt.type = open and fd.name startswith /etc").replacen("rule: r", "rule: r$0", 1));
    let (u, p) = f.at();
    let Some(lsp::Hover { contents: lsp::HoverContents::Markup(m), .. }) = hover::hover(&f.analysis, u, p) else {
        panic!("a hover expected");
    };
    assert!(m.value.contains("estimated cost: at most"), "{}", m.value);
    assert!(m.value.contains("ns per event of its types"), "{}", m.value);
}
