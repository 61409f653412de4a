//! Quick fixes for diagnostics: apply a did-you-mean (unknown field, macro, key, parameter,
//! event type), quote a value that looks like a field (or compare with `val(...)` instead), and
//! replace the deprecated `append: true` with `override:`.

use std::collections::HashMap;

use rulec_compiler::yaml::{Node, NodeKind, ScalarStyle};
use rulec_compiler::{Code, Diagnostic, Location};
use tower_lsp_server::ls_types as lsp;

use crate::analysis::{Analysis, Unit, UnitFile};
use crate::convert;
use crate::features::completion::RULE_APPENDABLE;
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
        let mut push = |title: String, edits: Vec<lsp::TextEdit>, preferred: bool| {
            let mut changes = HashMap::new();
            changes.insert(uri.clone(), edits);
            out.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                title,
                kind: Some(lsp::CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![lsp_diag.clone()]),
                edit: Some(lsp::WorkspaceEdit { changes: Some(changes), ..Default::default() }),
                is_preferred: Some(preferred),
                ..Default::default()
            }));
        };
        let primary_range = convert::range(&file.source, p.start as usize, p.end as usize);
        if let Some(s) = did_you_mean(d) {
            push(
                format!("Replace with `{s}`"),
                vec![lsp::TextEdit { range: primary_range, new_text: s.to_owned() }],
                true,
            );
        }
        match d.code {
            Code::FieldAsString => {
                let written = file.source.text.get(p.start as usize..p.end as usize).unwrap_or("");
                if !written.is_empty() {
                    let q = quote_for(file, p);
                    push(
                        format!("Quote `{written}` (compare with the text)"),
                        vec![lsp::TextEdit { range: primary_range, new_text: format!("{q}{written}{q}") }],
                        false,
                    );
                    push(
                        format!("Write `val({written})` (compare with the field's value)"),
                        vec![lsp::TextEdit { range: primary_range, new_text: format!("val({written})") }],
                        false,
                    );
                }
            }
            Code::Deprecated if d.message.contains("`append: true`") => {
                if let Some(edit) = append_to_override(unit, file, p) {
                    push("Replace `append: true` with `override:`".to_owned(), vec![edit], true);
                }
            }
            _ => {}
        }
    }
    out
}

/// The suggestion of a "did you mean `x`?" hint.
fn did_you_mean(d: &Diagnostic) -> Option<&str> {
    let hint = d.hint.as_deref()?;
    let rest = hint.strip_prefix("did you mean `")?;
    rest.strip_suffix("`?")
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

/// The top-level item map holding `at`.
fn item_node(docs: &[Node], at: Location) -> Option<&Node> {
    docs.iter()
        .filter_map(Node::as_seq)
        .flatten()
        .find(|n| n.loc.start <= at.start && at.end <= n.loc.end && n.as_map().is_some())
}

/// `append: true` → `override:` naming each key of the item with `append` where allowed and
/// `replace` elsewhere.
fn append_to_override(_unit: &Unit, file: &UnitFile, key_loc: Location) -> Option<lsp::TextEdit> {
    let node = item_node(&file.docs, key_loc)?;
    let map = node.as_map()?;
    let kind = map.first()?.0.as_scalar()?.value.clone();
    let (append_key, append_value) = map.iter().find(|(k, _)| k.loc == key_loc)?;
    let appendable: &[&str] = match kind.as_str() {
        "rule" => RULE_APPENDABLE,
        "macro" => &["condition"],
        "list" => &["items"],
        _ => return None,
    };
    let (_, col) = file.source.line_col_utf16(append_key.loc.start as usize);
    let indent = " ".repeat(col as usize + 2);
    let mut text = String::from("override:");
    for (k, _) in map {
        let Some(key) = k.as_scalar().map(|s| s.value.as_str()) else { continue };
        if key == kind || key == "append" || key == "override" || key == "source" {
            continue;
        }
        let op = if appendable.contains(&key) { "append" } else { "replace" };
        text.push_str(&format!("\n{indent}{key}: {op}"));
    }
    Some(lsp::TextEdit {
        range: convert::range(&file.source, append_key.loc.start as usize, append_value.loc.end as usize),
        new_text: text,
    })
}
