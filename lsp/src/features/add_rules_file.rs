//! The code action that adds a missing file to the configuration: on an undefined macro (or an
//! append to an undefined item) that a workspace file defines but the load order leaves out, an
//! edit of the `rulec.yaml` or `falco.yaml` the load order comes from that puts the file into
//! its `rules_files`, before the open file when that is listed, else last.
//!
//! With no configuration the workspace index already loads such files; with the
//! `rulec.rulesFiles` setting there is no file to edit (the setting is the client's).

use std::collections::HashMap;

use rulec_compiler::yaml::{self, Node, NodeKind};
use rulec_compiler::{Code, FileId, SourceFile};
use tower_lsp_server::ls_types as lsp;

use crate::analysis::{Analysis, Unit, UnitFile};
use crate::convert;
use crate::workspace::DefKind;

/// The most files offered for one name.
const MAX_OFFERS: usize = 3;

/// The actions for the diagnostics of `file` that touch `start..end`.
pub fn actions(analysis: &Analysis, unit: &Unit, file: &UnitFile, start: usize, end: usize) -> Vec<lsp::CodeAction> {
    let Some((config_uri, config_text)) = &analysis.config_file else { return Vec::new() };
    let mut out = Vec::new();
    for d in &unit.result.diagnostics {
        let p = d.primary;
        if p.file != file.source.id || (p.end as usize) < start || (p.start as usize) > end {
            continue;
        }
        let kinds: &[DefKind] = match d.code {
            Code::UndefinedMacro => &[DefKind::Macro],
            Code::UndefinedAppendTarget => &[DefKind::Rule, DefKind::Macro, DefKind::List],
            _ => continue,
        };
        let Some(name) = file.source.text.get(p.start as usize..p.end as usize) else { continue };
        let mut offered = 0;
        for kind in kinds {
            for (def_uri, _) in analysis.workspace.definitions(*kind, name) {
                if offered == MAX_OFFERS || unit.files.iter().any(|f| &f.uri == def_uri) {
                    continue;
                }
                let entry = entry_for(def_uri, config_uri);
                let Some(edit) = insertion(config_text, &entry, &file.uri) else { continue };
                offered += 1;
                let config_name = config_uri.as_str().rsplit('/').next().unwrap_or("the configuration");
                out.push(lsp::CodeAction {
                    title: format!("Add `{entry}` to `rules_files` in {config_name} (it defines `{name}`)"),
                    kind: Some(lsp::CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![convert::diagnostic(unit, &file.source, d)]),
                    edit: Some(lsp::WorkspaceEdit {
                        changes: Some(HashMap::from([(config_uri.clone(), vec![edit])])),
                        ..Default::default()
                    }),
                    ..Default::default()
                });
            }
        }
    }
    out
}

/// How the configuration names `file`: relative to the configuration's folder when inside it.
fn entry_for(file: &lsp::Uri, config: &lsp::Uri) -> String {
    let dir = config.as_str().rsplit_once('/').map_or("", |(d, _)| d);
    let target = file.as_str();
    match target.strip_prefix(dir).and_then(|r| r.strip_prefix('/')) {
        Some(rel) if !dir.is_empty() => rel.to_owned(),
        _ => target.strip_prefix("file://").unwrap_or(target).to_owned(),
    }
}

/// The edit of the configuration text that adds `entry` to `rules_files`: before the entry
/// naming `before` (by file name) when there is one, else after the last entry; the key is
/// added at the end when the file has none.
pub fn insertion(config: &str, entry: &str, before: &lsp::Uri) -> Option<lsp::TextEdit> {
    let source = SourceFile::new(FileId(0), "", config.to_owned());
    let (docs, diags) = yaml::parse(source.id, &source.text);
    if !diags.is_empty() {
        return None;
    }
    let edit =
        |at: usize, end: usize, text: String| lsp::TextEdit { range: convert::range(&source, at, end), new_text: text };
    let root = docs.first().filter(|d| !d.is_null());
    let found = root.and_then(|d| d.get("rules_files").or_else(|| d.get("rules_file")));
    let Some((key, value)) = found else {
        if root.is_some_and(|d| d.as_map().is_none()) {
            return None;
        }
        let sep = if config.is_empty() || config.ends_with('\n') { "" } else { "\n" };
        return Some(edit(config.len(), config.len(), format!("{sep}rules_files:\n  - {entry}\n")));
    };
    let before_name = before.as_str().rsplit('/').next().unwrap_or("");
    let names = |n: &Node| n.as_scalar().is_some_and(|s| s.value.rsplit('/').next() == Some(before_name));
    let flow = config.as_bytes().get(value.loc.start as usize) == Some(&b'[');
    match &value.kind {
        NodeKind::Seq(items) if flow => {
            let (at, text) = match (items.iter().find(|i| names(i)), items.last()) {
                (Some(i), _) => (i.loc.start as usize, format!("{entry}, ")),
                (None, Some(last)) => (last.loc.end as usize, format!(", {entry}")),
                (None, None) => (value.loc.start as usize + 1, entry.to_owned()),
            };
            Some(edit(at, at, text))
        }
        NodeKind::Seq(items) if !items.is_empty() => {
            let line_start = |at: usize| config[..at].rfind('\n').map_or(0, |i| i + 1);
            let first = &items[0];
            let dash_col = (first.loc.start as usize - line_start(first.loc.start as usize)).saturating_sub(2);
            let indent = " ".repeat(dash_col);
            match items.iter().find(|i| names(i)) {
                Some(i) => {
                    let at = line_start(i.loc.start as usize);
                    Some(edit(at, at, format!("{indent}- {entry}\n")))
                }
                None => {
                    let last = items.last()?.loc.end as usize;
                    let at = config[last..].find('\n').map_or(config.len(), |i| last + i);
                    Some(edit(at, at, format!("\n{indent}- {entry}")))
                }
            }
        }
        NodeKind::Scalar(_) if value.is_null() => {
            let at = key.loc.end as usize;
            let end = config[at..].find('\n').map_or(config.len(), |i| at + i);
            Some(edit(at, end, format!(":\n  - {entry}")))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(text: &str, e: &lsp::TextEdit) -> String {
        let f = SourceFile::new(FileId(0), "", text.to_owned());
        let s = f.offset_of_utf16(e.range.start.line, e.range.start.character);
        let t = f.offset_of_utf16(e.range.end.line, e.range.end.character);
        format!("{}{}{}", &text[..s], e.new_text, &text[t..])
    }

    fn add(text: &str) -> String {
        let me: lsp::Uri = "file:///w/mine.yaml".parse().expect("uri");
        let e = insertion(text, "falco_rules.yaml", &me).expect("an edit");
        apply(text, &e)
    }

    #[test]
    fn adds_before_the_open_file_or_last() {
        assert_eq!(
            add("rules_files:\n  - a.yaml\n  - mine.yaml\n"),
            "rules_files:\n  - a.yaml\n  - falco_rules.yaml\n  - mine.yaml\n"
        );
        assert_eq!(
            add("rules_files:\n- a.yaml\nstdout: true\n"),
            "rules_files:\n- a.yaml\n- falco_rules.yaml\nstdout: true\n"
        );
        assert_eq!(add("rules_files: [mine.yaml]\n"), "rules_files: [falco_rules.yaml, mine.yaml]\n");
        assert_eq!(add("rules_files: []\n"), "rules_files: [falco_rules.yaml]\n");
        assert_eq!(add("stdout: true"), "stdout: true\nrules_files:\n  - falco_rules.yaml\n");
        assert_eq!(add("rules_files:\nstdout: true\n"), "rules_files:\n  - falco_rules.yaml\nstdout: true\n");
    }
}
