//! Conversions at the protocol edge: compiler byte locations to LSP ranges (0-based lines,
//! UTF-16 columns) and back, and compiler diagnostics to LSP diagnostics.
//!
//! Only this crate knows LSP types; the compiler deals in byte offsets. Every conversion clamps,
//! so a position a client sends past the end of a line or file never panics.

use rulec_compiler::{Code, Diagnostic, Severity, SourceFile};
use tower_lsp_server::ls_types as lsp;

use crate::analysis::Unit;

/// The LSP position of byte `offset` of `file`.
pub fn position(file: &SourceFile, offset: usize) -> lsp::Position {
    let (line, character) = file.line_col_utf16(offset);
    lsp::Position { line, character }
}

/// The LSP range of bytes `start..end` of `file`.
pub fn range(file: &SourceFile, start: usize, end: usize) -> lsp::Range {
    lsp::Range { start: position(file, start), end: position(file, end.max(start)) }
}

/// The byte offset of an LSP position, clamped into the text.
pub fn offset(file: &SourceFile, pos: lsp::Position) -> usize {
    file.offset_of_utf16(pos.line, pos.character)
}

/// A compiler location as an LSP location, when its file is part of `unit` and a client can
/// open it (not an embedded stdlib file).
pub fn location(unit: &Unit, loc: rulec_compiler::Location) -> Option<lsp::Location> {
    let f = unit.file(loc.file).filter(|f| !crate::analysis::is_virtual_stdlib(&f.uri))?;
    Some(lsp::Location { uri: f.uri.clone(), range: range(&f.source, loc.start as usize, loc.end as usize) })
}

/// The LSP diagnostic for one compiler diagnostic, whose primary location is in `file`.
///
/// The message is the one `rulec check` prints, with its hint as a `help:` line (editors show
/// both), the code is the stable code (`E0401`), and labels become related information.
pub fn diagnostic(unit: &Unit, file: &SourceFile, d: &Diagnostic) -> lsp::Diagnostic {
    diagnostic_with(file, d, |loc| location(unit, loc))
}

/// The LSP diagnostic for a diagnostic of a file checked on its own (a configuration or test
/// file): labels in the same file become related information, under `uri`.
pub fn lone_diagnostic(uri: &lsp::Uri, file: &SourceFile, d: &Diagnostic) -> lsp::Diagnostic {
    diagnostic_with(file, d, |loc| {
        (loc.file == file.id)
            .then(|| lsp::Location { uri: uri.clone(), range: range(file, loc.start as usize, loc.end as usize) })
    })
}

fn diagnostic_with(
    file: &SourceFile,
    d: &Diagnostic,
    locate: impl Fn(rulec_compiler::Location) -> Option<lsp::Location>,
) -> lsp::Diagnostic {
    let mut message = d.message.clone();
    if let Some(hint) = &d.hint {
        message.push_str("\nhelp: ");
        message.push_str(hint);
    }
    let related: Vec<lsp::DiagnosticRelatedInformation> = d
        .labels
        .iter()
        .filter_map(|l| {
            Some(lsp::DiagnosticRelatedInformation { location: locate(l.location)?, message: l.message.clone() })
        })
        .collect();
    let tags = match d.code {
        Code::UnusedMacro | Code::UnusedList => Some(vec![lsp::DiagnosticTag::UNNECESSARY]),
        Code::Deprecated => Some(vec![lsp::DiagnosticTag::DEPRECATED]),
        _ => None,
    };
    lsp::Diagnostic {
        range: range(file, d.primary.start as usize, d.primary.end as usize),
        severity: Some(match d.severity {
            Severity::Error => lsp::DiagnosticSeverity::ERROR,
            Severity::Warning => lsp::DiagnosticSeverity::WARNING,
        }),
        code: Some(lsp::NumberOrString::String(d.code.as_str().to_owned())),
        code_description: None,
        source: Some("rulec".to_owned()),
        message,
        related_information: if related.is_empty() { None } else { Some(related) },
        tags,
        data: None,
    }
}
