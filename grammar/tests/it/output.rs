//! Output format strings: text and `%` fields, their spans, the errors, and leniency where Falco
//! is lenient.

use crate::common;

use rulec_grammar::{SyntaxErrorKind, parse_output};

fn show(inputs: &[&str]) -> String {
    inputs.iter().map(|t| common::show_output(t, &parse_output(t))).collect::<Vec<_>>().join("\n")
}

#[test]
fn fields_and_text() {
    let inputs = [
        "Shell spawned (user=%user.name command=%proc.cmdline %container.info)",
        "%proc.aname[2] %proc.aexepath[2] %proc.env[HOME] %proc.env[\"HOME\"]",
        "res=%evt.res flags=%evt.arg.flags path=%evt.arg[1]",
        // A trailing dot ends the sentence; it is not part of the field.
        "opened %fd.name.",
        "%fd.name, %fd.name: %fd.name\"",
        "%tolower(proc.name) %toupper(basename(proc.exepath))",
        "%join(\",\", proc.args) %concat(proc.name, \"-\", proc.pid) %getopt(proc.args, \"c:\")[c]",
        "%tolower( proc.name )",
        "no fields at all",
        "",
        "é %proc.name ü",
    ];
    for t in inputs {
        assert!(parse_output(t).errors.is_empty(), "{t}");
    }
    insta::assert_snapshot!(show(&inputs));
}

#[test]
fn bad_tokens() {
    let inputs = [
        "100%",
        "50% of %proc.name",
        "%%proc.name",
        "%(proc.name)",
        "%.",
        "%foo(proc.name)",
        "%tolower()",
        "%tolower(proc.name",
        "%tolower(proc.name x)",
        "%proc.env[HOME",
    ];
    for t in inputs {
        assert!(!parse_output(t).errors.is_empty(), "{t}");
    }
    insta::assert_snapshot!(show(&inputs));
}

#[test]
fn bad_percent_is_kept_as_text() {
    let p = parse_output("load 100% on %proc.name");
    assert_eq!(p.errors.len(), 1);
    assert_eq!(p.errors[0].kind, SyntaxErrorKind::BadOutputToken);
    let text: String = p.parts.iter().map(|x| x.to_string()).collect();
    assert_eq!(text, "load 100% on %proc.name");
}

#[test]
fn deep_transformers_in_outputs_are_refused_not_overflowed() {
    let t = format!("%{}proc.name{}", "tolower(".repeat(100_000), ")".repeat(100_000));
    let p = parse_output(&t);
    assert!(p.errors.iter().any(|e| e.kind == SyntaxErrorKind::TooDeep));
}
