//! Support for the project's other YAML files: completion of the keys a `rulec.yaml` or a
//! `*.tests.yaml` allows where the cursor is (from the key tables their readers check against,
//! `rulec_compiler::config::KEYS` and `rulec_testing::parse::*_KEYS`), and go to definition from
//! a rule name in a test file to the rule. Their diagnostics are their readers' own (see
//! [`crate::analysis::ProjectFile`]).
//!
//! Where the cursor is, is read from the text (the parent keys by indentation), not from the
//! YAML tree: a key being typed has no `:` yet, which the tree cannot hold.

use rulec_testing::parse as tests;
use tower_lsp_server::ls_types as lsp;

use crate::analysis::{Analysis, ProjectFile};
use crate::convert;
use crate::file_kind::FileKind;
use crate::workspace::DefKind;

/// The keys allowed under each parent key of a test file (`""`: the top level).
fn test_keys(parent: &[String]) -> &'static [&'static str] {
    let last = parent.last().map(String::as_str).unwrap_or("");
    match last {
        "" => tests::FILE_KEYS,
        "cases" => tests::CASE_KEYS,
        "world" => tests::WORLD_KEYS,
        "processes" => tests::PROCESS_KEYS,
        "users" => tests::USER_KEYS,
        "container" => tests::CONTAINER_KEYS,
        "fds" => tests::FD_KEYS,
        "expect" => tests::EXPECT_KEYS,
        _ => &[],
    }
}

/// The keys allowed under each parent key of a `rulec.yaml`.
fn config_keys(parent: &[String]) -> Vec<&'static str> {
    match parent {
        [] => rulec_compiler::config::KEYS.iter().map(|(k, _)| *k).collect(),
        [top] => rulec_compiler::config::KEYS
            .iter()
            .find(|(k, _)| *k == top.as_str())
            .map_or(Vec::new(), |(_, sub)| sub.to_vec()),
        _ => Vec::new(),
    }
}

/// Key completion in an open configuration or test file.
pub fn completion(analysis: &Analysis, uri: &lsp::Uri, pos: lsp::Position) -> Option<Vec<lsp::CompletionItem>> {
    let file = analysis.project_file(uri)?;
    let text = &file.source.text;
    let cursor = convert::offset(&file.source, pos);
    let line_start = text[..cursor].rfind('\n').map_or(0, |i| i + 1);
    let typed = &text[line_start..cursor];
    // A key position: indentation, an optional `- `, then a word without `:`.
    let word = typed.trim_start().trim_start_matches("- ").trim_start();
    if word.contains(':') || !word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Some(Vec::new());
    }
    let indent = typed.len() - word.len();
    let parents = parent_keys(&text[..line_start], indent);
    let keys: Vec<&str> = match file.kind {
        FileKind::Config => config_keys(&parents),
        FileKind::Tests => test_keys(&parents).to_vec(),
        FileKind::Rules | FileKind::Other => Vec::new(),
    };
    let replace = convert::range(&file.source, cursor - word.len(), cursor);
    let items = keys
        .into_iter()
        .filter(|k| k.starts_with(word))
        .map(|k| lsp::CompletionItem {
            label: k.to_owned(),
            kind: Some(lsp::CompletionItemKind::PROPERTY),
            text_edit: Some(lsp::CompletionTextEdit::Edit(lsp::TextEdit {
                range: replace,
                new_text: format!("{k}: "),
            })),
            ..Default::default()
        })
        .collect();
    Some(items)
}

/// The keys enclosing a line indented by `indent`, outermost first, from the lines `before` it:
/// each is the nearest line above with less indentation that holds a key (`- ` counts as
/// indentation, as YAML reads it).
fn parent_keys(before: &str, indent: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut limit = indent;
    for line in before.lines().rev() {
        let body = line.trim_start();
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        let item = body.trim_start_matches("- ").trim_start();
        let at = line.len() - item.len();
        if at >= limit {
            continue;
        }
        if let Some((key, _)) = item.split_once(':') {
            out.push(key.trim().to_owned());
        }
        limit = at;
        if at == 0 {
            break;
        }
    }
    out.reverse();
    out
}

/// Go to definition from a rule name in a test file: the rule in an open unit, else in the
/// workspace's rules files.
pub fn definition(analysis: &Analysis, uri: &lsp::Uri, pos: lsp::Position) -> Option<lsp::Location> {
    let file: &ProjectFile = analysis.project_file(uri)?;
    let cursor = convert::offset(&file.source, pos) as u32;
    let (name, _) = file.rule_refs.iter().find(|(_, l)| l.start <= cursor && cursor <= l.end)?;
    for unit in &analysis.units {
        if let Some(rule) = unit.result.ruleset.loaded.rules.iter().find(|r| &r.name == name)
            && let Some(loc) = convert::location(unit, rule.name_loc)
        {
            return Some(loc);
        }
    }
    let (file_uri, def) = analysis.workspace.definitions(DefKind::Rule, name).next()?;
    Some(lsp::Location { uri: file_uri.clone(), range: def.range })
}

#[cfg(test)]
mod tests_ {
    use super::parent_keys;

    #[test]
    fn finds_parent_keys_by_indentation() {
        let text = "cases:\n  - name: a\n    world:\n      processes:\n        - pid: 1\n";
        assert_eq!(parent_keys(text, 10), ["cases", "world", "processes"]);
        assert_eq!(parent_keys("cases:\n  - name: a\n", 4), ["cases"]);
        assert!(parent_keys("rules: [a.yaml]\n", 0).is_empty());
    }
}
