//! Diagnostics of each file, as `rulec check` reports them for the same load order; for an open
//! `rulec.yaml` or `*.tests.yaml`, what `rulec run --config` or `rulec test` would say of it.

use tower_lsp_server::ls_types as lsp;

use crate::analysis::{Analysis, Unit, UnitFile};
use crate::convert;

/// The diagnostics whose primary location is in `file`.
pub fn file_diagnostics(unit: &Unit, file: &UnitFile) -> Vec<lsp::Diagnostic> {
    unit.result
        .diagnostics
        .iter()
        .filter(|d| d.primary.file == file.source.id)
        .map(|d| convert::diagnostic(unit, &file.source, d))
        .collect()
}

/// Every reported file of the snapshot with its diagnostics.
pub fn all(analysis: &Analysis) -> Vec<(lsp::Uri, Vec<lsp::Diagnostic>)> {
    let rules = analysis.reported_files().map(|(u, f)| (f.uri.clone(), file_diagnostics(u, f)));
    let project = analysis.project_files.iter().map(|f| {
        (f.uri.clone(), f.diagnostics.iter().map(|d| convert::lone_diagnostic(&f.uri, &f.source, d)).collect())
    });
    rules.chain(project).collect()
}
