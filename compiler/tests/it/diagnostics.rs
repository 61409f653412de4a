//! Snapshot tests of the checker's diagnostics: each file in `tests/cases/` is checked, and its
//! snapshot holds the source and every diagnostic drawn under the line it points at, so a
//! reviewer sees the input, the message and the exact position together.

use std::fmt::Write as _;

use rulec_compiler::check::check;
use rulec_compiler::{Diagnostic, FileId, SourceFile};

/// Draws `d` under the source line of its start, with carets over its span (clipped to the line).
fn draw(out: &mut String, file: &SourceFile, d: &Diagnostic) {
    let start = file.line_col(d.primary.start as usize);
    let end = file.line_col(d.primary.end as usize);
    let sev = if d.is_error() { "error" } else { "warning" };
    let _ = writeln!(out, "{sev}[{}] {}: {}", d.code, d.code.slug(), d.message);
    let _ = writeln!(out, "  --> {}:{}:{}-{}:{}", file.name, start.line, start.col, end.line, end.col);
    let line = file.line_text(start.line as usize - 1);
    let width = if end.line == start.line { (end.col - start.col).max(1) } else { 1 };
    let _ = writeln!(out, "   | {line}");
    let _ = writeln!(out, "   | {}{}", " ".repeat(start.col as usize - 1), "^".repeat(width as usize));
    for label in &d.labels {
        let lc = file.line_col(label.location.start as usize);
        let _ = writeln!(out, "   = note: {}:{}: {}", lc.line, lc.col, label.message);
    }
    if let Some(h) = &d.hint {
        let _ = writeln!(out, "   = hint: {h}");
    }
}

#[test]
fn cases() {
    // The cases are in `compiler/tests/cases/`, beside this binary's folder.
    insta::glob!("../cases", "*.yaml", |path| {
        let text = std::fs::read_to_string(path).expect("case readable");
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("case").to_owned();
        let files = vec![SourceFile::new(FileId(0), name, text.clone())];
        let result = check(&files);
        let mut out = String::new();
        for d in &result.diagnostics {
            draw(&mut out, &files[0], d);
        }
        if result.diagnostics.is_empty() {
            out.push_str("(no diagnostics)\n");
        }
        insta::assert_snapshot!(format!("{text}\n---\n{out}"));
    });
}
