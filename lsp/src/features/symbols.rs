//! Document symbols (the file's rules, macros and lists), workspace symbols (every definition any
//! unit loads) and folding ranges (items and multi-line values).

use std::collections::HashSet;

use rulec_compiler::items::Item;
use rulec_compiler::yaml::{Node, NodeKind};
use tower_lsp_server::ls_types as lsp;

use crate::analysis::{Analysis, UnitFile};
use crate::convert;

#[allow(deprecated)] // `DocumentSymbol::deprecated` must be spelled out; it is not used.
pub fn document_symbols(analysis: &Analysis, uri: &lsp::Uri) -> Vec<lsp::DocumentSymbol> {
    let Some((_, file)) = analysis.unit_of(uri) else { return Vec::new() };
    let src = &file.source;
    file.items
        .iter()
        .filter_map(|item| {
            let (name, kind, loc, detail) = match item {
                Item::Rule(r) => {
                    (&r.name, lsp::SymbolKind::EVENT, r.loc, r.priority.as_ref().map(|p| p.value.as_str().to_owned()))
                }
                Item::Macro(m) => (&m.name, lsp::SymbolKind::FUNCTION, m.loc, Some("macro".to_owned())),
                Item::List(l) => (&l.name, lsp::SymbolKind::ARRAY, l.loc, Some("list".to_owned())),
                _ => return None,
            };
            Some(lsp::DocumentSymbol {
                name: if name.value.is_empty() { "(unnamed)".to_owned() } else { name.value.clone() },
                detail,
                kind,
                tags: None,
                deprecated: None,
                range: convert::range(src, loc.start as usize, loc.end as usize),
                selection_range: convert::range(src, name.loc.start as usize, name.loc.end as usize),
                children: None,
            })
        })
        .collect()
}

pub fn workspace_symbols(analysis: &Analysis, query: &str) -> Vec<lsp::WorkspaceSymbol> {
    let query = query.to_lowercase();
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for unit in &analysis.units {
        let loaded = &unit.result.ruleset.loaded;
        let defs = loaded
            .rules
            .iter()
            .map(|r| (&r.name, r.name_loc, lsp::SymbolKind::EVENT))
            .chain(loaded.macros.iter().map(|m| (&m.name, m.name_loc, lsp::SymbolKind::FUNCTION)))
            .chain(loaded.lists.iter().map(|l| (&l.name, l.name_loc, lsp::SymbolKind::ARRAY)));
        for (name, loc, kind) in defs {
            if !name.to_lowercase().contains(&query) {
                continue;
            }
            let Some(location) = convert::location(unit, loc) else { continue };
            if !seen.insert((location.uri.as_str().to_owned(), location.range.start)) {
                continue;
            }
            out.push(lsp::WorkspaceSymbol {
                name: name.clone(),
                kind,
                tags: None,
                container_name: None,
                location: lsp::OneOf::Left(location),
                data: None,
            });
            if out.len() >= 1000 {
                return out;
            }
        }
    }
    out
}

pub fn folding_ranges(analysis: &Analysis, uri: &lsp::Uri) -> Vec<lsp::FoldingRange> {
    let Some((_, file)) = analysis.unit_of(uri) else { return Vec::new() };
    let mut out = Vec::new();
    for doc in &file.docs {
        // The document itself is the whole file: fold its items, not it.
        match &doc.kind {
            NodeKind::Seq(items) => items.iter().for_each(|i| fold(file, i, &mut out)),
            _ => fold(file, doc, &mut out),
        }
    }
    out.sort_by_key(|r| (r.start_line, r.end_line));
    out.dedup_by_key(|r| (r.start_line, r.end_line));
    out
}

fn fold(file: &UnitFile, node: &Node, out: &mut Vec<lsp::FoldingRange>) {
    let src = &file.source;
    let (start, _) = src.line_col_utf16(node.loc.start as usize);
    let (mut end, end_col) = src.line_col_utf16(node.loc.end as usize);
    // A node that ends with its line break ends on the line before.
    if end_col == 0 && end > start {
        end -= 1;
    }
    if end > start {
        out.push(lsp::FoldingRange {
            start_line: start,
            start_character: None,
            end_line: end,
            end_character: None,
            kind: Some(lsp::FoldingRangeKind::Region),
            collapsed_text: None,
        });
    }
    match &node.kind {
        NodeKind::Seq(xs) => xs.iter().for_each(|x| fold(file, x, out)),
        NodeKind::Map(kvs) => kvs.iter().for_each(|(_, v)| fold(file, v, out)),
        NodeKind::Scalar(_) => {}
    }
}
