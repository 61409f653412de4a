//! The text and JSON rendering of diagnostics (`rulec::render`) on hand-made diagnostics, so these
//! snapshots do not move when the checker changes: spans on multi-byte lines, labels in other
//! files, hints, spans at and past the end of a file.

use rulec::render::Renderer;
use rulec_compiler::{Code, Diagnostic, FileId, Location, SourceFile};

const RULE: &str = "\
- rule: Café ☕ tool started
  desc: Détection d'un outil « café » — 日本語 aussi.
  condition: evt.type = execve and proc.name = \"café☕日本\" and proc.nme = x
  priority: INFO
";

const BASE: &str = "\
- macro: spawned_process
  condition: (evt.type in (execve, execveat))
";

fn files() -> Vec<SourceFile> {
    vec![SourceFile::new(FileId(0), "rule.yaml", RULE), SourceFile::new(FileId(1), "base.yaml", BASE)]
}

/// The byte range of the last occurrence of `needle` in `text`.
fn span(file: FileId, text: &str, needle: &str) -> Location {
    let start = text.rfind(needle).expect("needle is in the text");
    Location::new(file, start, start + needle.len())
}

fn unknown_field() -> Diagnostic {
    Diagnostic::new(Code::UnknownField, span(FileId(0), RULE, "proc.nme"), "unknown field `proc.nme`")
        .with_hint("did you mean `proc.name`?")
        .with_label(span(FileId(0), RULE, "Café ☕ tool started"), "in this rule")
        .with_label(span(FileId(1), BASE, "spawned_process"), "a macro, defined here")
}

/// Display width of the characters these tests use: the CJK characters and the cup are two
/// columns wide on a terminal, the rest one.
fn width(s: &str) -> usize {
    s.chars().map(|c| if matches!(c, '☕' | '日' | '本' | '語') { 2 } else { 1 }).sum()
}

#[test]
fn text_with_labels_hint_and_multibyte_line() {
    let files = files();
    let text = Renderer::new(&files).text(&unknown_field(), false);
    insta::assert_snapshot!(text);
}

#[test]
fn caret_sits_under_the_span_after_multibyte_characters() {
    let files = files();
    let text = Renderer::new(&files).text(&unknown_field(), false);
    let lines: Vec<&str> = text.lines().collect();
    let source_row = lines.iter().position(|l| l.contains("and proc.nme = x")).expect("the condition line is shown");
    let underline = lines[source_row + 1];
    let source = lines[source_row];
    // Both rows share the margin (` 3 │ ` and `   │ `), so display columns compare directly.
    let caret_column = width(&underline[..underline.find('┬').expect("an underline")]);
    let field_column = width(&source[..source.find("proc.nme").expect("the field")]);
    assert_eq!(caret_column, field_column, "\n{source}\n{underline}");
    // And the header's line:column counts characters, not bytes.
    assert!(text.contains("[ rule.yaml:3:62 ]"), "{text}");
}

#[test]
fn json_counts_columns_in_characters() {
    let files = files();
    let json = serde_json::to_string_pretty(&Renderer::new(&files).json(&unknown_field())).expect("serialisable");
    insta::assert_snapshot!(json);
}

#[test]
fn warning_without_hint_or_labels() {
    let files = files();
    let d = Diagnostic::new(
        Code::UnusedMacro,
        span(FileId(1), BASE, "spawned_process"),
        "macro `spawned_process` is never used",
    );
    insta::assert_snapshot!(Renderer::new(&files).text(&d, false));
}

#[test]
fn span_running_over_several_lines() {
    let files = files();
    let start = RULE.find("desc").expect("desc");
    let end = RULE.find("\n  priority").expect("priority");
    let d = Diagnostic::new(Code::BadValueType, Location::new(FileId(0), start, end), "spans lines");
    insta::assert_snapshot!(Renderer::new(&files).text(&d, false));
}

#[test]
fn spans_at_and_past_the_end_are_clamped() {
    let files = files();
    let renderer = Renderer::new(&files);
    let at_end = Location::new(FileId(1), BASE.len(), BASE.len());
    let past_end = Location::new(FileId(1), BASE.len() + 10, BASE.len() + 50);
    for location in [at_end, past_end] {
        let d = Diagnostic::new(Code::YamlSyntax, location, "unexpected end of file");
        let text = renderer.text(&d, false);
        assert!(text.starts_with("error[E0201]: unexpected end of file\n"), "{text}");
        let json = renderer.json(&d);
        assert_eq!((json.position.line, json.position.column), (3, 1));
        assert_eq!((json.position.end_line, json.position.end_column), (3, 1));
    }
}

#[test]
fn location_in_a_file_that_was_not_loaded() {
    let files = files();
    let d =
        Diagnostic::new(Code::Syntax, Location::new(FileId(9), 0, 3), "lost").with_hint("a compiler bug, shown anyway");
    let renderer = Renderer::new(&files);
    insta::assert_snapshot!(renderer.text(&d, false));
    assert_eq!(renderer.json(&d).file, "<unknown>");
}

#[test]
fn colour_only_when_asked() {
    let files = files();
    let renderer = Renderer::new(&files);
    assert!(!renderer.text(&unknown_field(), false).contains('\x1b'));
    assert!(renderer.text(&unknown_field(), true).contains('\x1b'));
}
