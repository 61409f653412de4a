//! Go to definition, find references and rename for macros, lists and rules, across the files
//! of every check unit that sees the same definition.

use std::collections::{BTreeMap, HashSet};

use rulec_compiler::Location;
use rulec_compiler::items::{is_valid_list_name, is_valid_macro_name};
use tower_lsp_server::jsonrpc;
use tower_lsp_server::ls_types as lsp;

use crate::analysis::{Analysis, Unit, is_virtual_stdlib};
use crate::convert;
use crate::features::hover::occurrence_at;
use crate::index::OccKind;

/// A name that navigation knows: a macro, list or rule.
#[derive(Clone, PartialEq, Eq, Debug)]
struct Symbol {
    kind: OccKind,
    name: String,
}

fn symbol_at(analysis: &Analysis, uri: &lsp::Uri, pos: lsp::Position) -> Option<(Symbol, lsp::Range)> {
    let (unit, file) = analysis.unit_of(uri)?;
    let cursor = convert::offset(&file.source, pos);
    let occ = occurrence_at(unit, file, cursor)?;
    if !matches!(occ.kind, OccKind::Macro | OccKind::List | OccKind::Rule) {
        return None;
    }
    let range = convert::range(&file.source, occ.loc.start as usize, occ.loc.end as usize);
    Some((Symbol { kind: occ.kind, name: occ.name.clone() }, range))
}

/// Where `unit` defines `sym`.
fn definition_in(unit: &Unit, sym: &Symbol) -> Option<Location> {
    let loaded = &unit.result.ruleset.loaded;
    match sym.kind {
        OccKind::Macro => loaded.macros.iter().find(|m| m.name == sym.name).map(|m| m.name_loc),
        OccKind::List => loaded.lists.iter().find(|l| l.name == sym.name).map(|l| l.name_loc),
        OccKind::Rule => loaded.rules.iter().find(|r| r.name == sym.name).map(|r| r.name_loc),
        _ => None,
    }
}

pub fn definition(analysis: &Analysis, uri: &lsp::Uri, pos: lsp::Position) -> Option<lsp::Location> {
    let (sym, _) = symbol_at(analysis, uri, pos)?;
    let (unit, _) = analysis.unit_of(uri)?;
    convert::location(unit, definition_in(unit, &sym)?)
}

/// Every place `sym` is written, in every unit that resolves it to the same definition as the
/// unit of `uri`; definitions included when `with_defs`.
fn occurrences_of(analysis: &Analysis, uri: &lsp::Uri, sym: &Symbol, with_defs: bool) -> Vec<lsp::Location> {
    let Some((home, _)) = analysis.unit_of(uri) else { return Vec::new() };
    let target = definition_in(home, sym).and_then(|l| convert::location(home, l));
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for unit in &analysis.units {
        let def = definition_in(unit, sym).and_then(|l| convert::location(unit, l));
        if def != target {
            continue;
        }
        for (file, occs) in unit.files.iter().zip(unit.occurrences()) {
            if is_virtual_stdlib(&file.uri) {
                continue;
            }
            for o in occs.iter().filter(|o| o.kind == sym.kind && o.name == sym.name && (with_defs || !o.def)) {
                let range = convert::range(&file.source, o.loc.start as usize, o.loc.end as usize);
                if seen.insert((file.uri.clone(), range.start, range.end)) {
                    out.push(lsp::Location { uri: file.uri.clone(), range });
                }
            }
        }
    }
    out.sort_by(|a, b| (a.uri.as_str(), a.range.start).cmp(&(b.uri.as_str(), b.range.start)));
    out
}

pub fn references(
    analysis: &Analysis,
    uri: &lsp::Uri,
    pos: lsp::Position,
    include_declaration: bool,
) -> Vec<lsp::Location> {
    match symbol_at(analysis, uri, pos) {
        Some((sym, _)) => occurrences_of(analysis, uri, &sym, include_declaration),
        None => Vec::new(),
    }
}

pub fn prepare_rename(analysis: &Analysis, uri: &lsp::Uri, pos: lsp::Position) -> Option<lsp::PrepareRenameResponse> {
    let (sym, range) = symbol_at(analysis, uri, pos)?;
    Some(lsp::PrepareRenameResponse::RangeWithPlaceholder { range, placeholder: sym.name })
}

/// The edits renaming the symbol at `pos` to `new_name` everywhere it is written.
pub fn rename(
    analysis: &Analysis,
    uri: &lsp::Uri,
    pos: lsp::Position,
    new_name: &str,
) -> jsonrpc::Result<Option<lsp::WorkspaceEdit>> {
    let Some((sym, _)) = symbol_at(analysis, uri, pos) else { return Ok(None) };
    if let Some((unit, _)) = analysis.unit_of(uri)
        && let Some(def) = definition_in(unit, &sym)
        && unit.file(def.file).is_some_and(|f| is_virtual_stdlib(&f.uri))
    {
        return Err(jsonrpc::Error::invalid_params(format!(
            "`{}` is defined in the embedded stdlib, which cannot be edited: override it in your file instead",
            sym.name
        )));
    }
    let valid = match sym.kind {
        OccKind::Macro => is_valid_macro_name(new_name),
        OccKind::List => is_valid_list_name(new_name),
        _ => !new_name.trim().is_empty() && !new_name.contains('\n'),
    };
    if !valid {
        return Err(jsonrpc::Error::invalid_params(format!(
            "`{new_name}` is not a valid {} name",
            kind_name(sym.kind)
        )));
    }
    let mut changes: BTreeMap<String, (lsp::Uri, Vec<lsp::TextEdit>)> = BTreeMap::new();
    for loc in occurrences_of(analysis, uri, &sym, true) {
        // The text at the location must be the name itself: a name written quoted (`"x"`) is
        // renamed inside its quotes, and anything else is left alone rather than garbled.
        let Some(range) = name_range(analysis, &loc, &sym.name) else { continue };
        let new_text = if sym.kind == OccKind::Rule && needs_yaml_quotes(new_name) && !quoted_at(analysis, &loc) {
            format!("\"{}\"", new_name.replace('\\', "\\\\").replace('"', "\\\""))
        } else {
            new_name.to_owned()
        };
        changes
            .entry(loc.uri.as_str().to_owned())
            .or_insert_with(|| (loc.uri.clone(), Vec::new()))
            .1
            .push(lsp::TextEdit { range, new_text });
    }
    let changes = changes.into_values().collect();
    Ok(Some(lsp::WorkspaceEdit { changes: Some(changes), ..Default::default() }))
}

fn kind_name(kind: OccKind) -> &'static str {
    match kind {
        OccKind::Macro => "macro",
        OccKind::List => "list",
        _ => "rule",
    }
}

/// The text of an LSP location in the snapshot.
fn text_at<'a>(analysis: &'a Analysis, loc: &lsp::Location) -> Option<(&'a rulec_compiler::SourceFile, usize, usize)> {
    let file = analysis.units.iter().find_map(|u| u.file_by_uri(&loc.uri))?;
    let start = convert::offset(&file.source, loc.range.start);
    let end = convert::offset(&file.source, loc.range.end);
    Some((&file.source, start, end))
}

fn name_range(analysis: &Analysis, loc: &lsp::Location, name: &str) -> Option<lsp::Range> {
    let (source, start, end) = text_at(analysis, loc)?;
    let written = source.text.get(start..end)?;
    let at = written.find(name)?;
    Some(convert::range(source, start + at, start + at + name.len()))
}

fn quoted_at(analysis: &Analysis, loc: &lsp::Location) -> bool {
    text_at(analysis, loc).and_then(|(s, a, b)| s.text.get(a..b).map(|t| t.starts_with(['"', '\'']))).unwrap_or(false)
}

/// Whether a plain YAML scalar could not hold `s` as is.
pub fn needs_yaml_quotes(s: &str) -> bool {
    s.is_empty()
        || s.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@`".contains(c) || c.is_whitespace())
        || s.ends_with(char::is_whitespace)
        || s.contains(": ")
        || s.contains(" #")
        || s.ends_with(':')
}
