//! Diagnostics of each file, as `rulec check` reports them for the same load order.

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
    analysis.reported_files().map(|(u, f)| (f.uri.clone(), file_diagnostics(u, f))).collect()
}
