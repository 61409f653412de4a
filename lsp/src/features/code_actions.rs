//! Quick fixes for diagnostics. The compiler attaches its fixes to each diagnostic as data
//! (did-you-means for fields, macros, keys, parameters and event types; `append: true` to
//! `override:`; priority spellings; `=` to `in`; parentheses for a list; `val(...)`), and this
//! module only turns them into code actions. The one fix it adds itself is quoting a value that
//! looks like a field, since the right quote depends on the YAML scalar the condition is in.
//! Adding a missing file to the configuration is [`super::add_rules_file`].

use std::collections::HashMap;

use rulec_compiler::yaml::{Node, NodeKind, ScalarStyle};
use rulec_compiler::{Code, Fix, Location};
use tower_lsp_server::ls_types as lsp;

use crate::analysis::{Analysis, Unit, UnitFile};
use crate::convert;
use crate::index;

pub fn code_actions(analysis: &Analysis, uri: &lsp::Uri, range: lsp::Range) -> Vec<lsp::CodeActionOrCommand> {
    let Some((unit, file)) = analysis.unit_of(uri) else { return Vec::new() };
    let start = convert::offset(&file.source, range.start);
    let end = convert::offset(&file.source, range.end);
    let mut out = Vec::new();
    for d in &unit.result.diagnostics {
        let p = d.primary;
        if p.file != file.source.id || (p.end as usize) < start || (p.start as usize) > end {
            continue;
        }
        let lsp_diag = convert::diagnostic(unit, &file.source, d);
        let mut fixes: Vec<Fix> = d.fixes.clone();
        if d.code == Code::FieldAsString {
            let written = file.source.text.get(p.start as usize..p.end as usize).unwrap_or("");
            if !written.is_empty() {
                let q = quote_for(file, p);
                let title = format!("Quote `{written}` (compare with the text)");
                fixes.insert(0, Fix::replace(title, p, format!("{q}{written}{q}")));
            }
        }
        // With one way to fix it, that way is the one to prefer; with several, the user chooses.
        let preferred = fixes.len() == 1;
        for fix in fixes {
            let Some(changes) = workspace_changes(unit, &fix) else { continue };
            out.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                title: fix.title,
                kind: Some(lsp::CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![lsp_diag.clone()]),
                edit: Some(lsp::WorkspaceEdit { changes: Some(changes), ..Default::default() }),
                is_preferred: Some(preferred),
                ..Default::default()
            }));
        }
    }
    let added = super::add_rules_file::actions(analysis, unit, file, start, end);
    out.extend(added.into_iter().map(lsp::CodeActionOrCommand::CodeAction));
    out
}

/// A fix's edits as LSP text edits per document; `None` when an edit is in a file the unit does
/// not hold (a fix is applied whole or not at all).
fn workspace_changes(unit: &Unit, fix: &Fix) -> Option<HashMap<lsp::Uri, Vec<lsp::TextEdit>>> {
    let mut changes: HashMap<lsp::Uri, Vec<lsp::TextEdit>> = HashMap::new();
    for e in &fix.edits {
        let f = unit.files.iter().find(|f| f.source.id == e.location.file)?;
        let range = convert::range(&f.source, e.location.start as usize, e.location.end as usize);
        changes.entry(f.uri.clone()).or_default().push(lsp::TextEdit { range, new_text: e.replacement.clone() });
    }
    Some(changes)
}

/// The quote to add around a value inside the condition at `at`: one that the YAML scalar
/// holding the condition keeps as is.
fn quote_for(file: &UnitFile, at: Location) -> char {
    let style = index::regions(file)
        .into_iter()
        .find(|r| r.value_loc.start <= at.start && at.end <= r.value_loc.end)
        .and_then(|r| scalar_style(&file.docs, r.value_loc));
    match style {
        Some(ScalarStyle::DoubleQuoted) => '\'',
        _ => '"',
    }
}

/// The style of the scalar written at `loc`.
pub fn scalar_style(docs: &[Node], loc: Location) -> Option<ScalarStyle> {
    fn find(n: &Node, loc: Location) -> Option<ScalarStyle> {
        match &n.kind {
            NodeKind::Scalar(s) if n.loc == loc => Some(s.style),
            NodeKind::Scalar(_) => None,
            NodeKind::Seq(xs) => xs.iter().find_map(|x| find(x, loc)),
            NodeKind::Map(kvs) => kvs.iter().find_map(|(_, v)| find(v, loc)),
        }
    }
    docs.iter().find_map(|d| find(d, loc))
}
