//! Inlay hints (the event types each rule matches, after its name) and code lenses ("run tests"
//! on each rule, carrying the `rulec.runTests` command with the rule's name). The server does not
//! run tests itself: the editor packages handle the command by running
//! `rulec test --filter '^NAME$'` in a terminal.

use rulec_compiler::items::Item;
use tower_lsp_server::ls_types as lsp;

use crate::analysis::Analysis;
use crate::convert;
use crate::features::hover::event_types_text;

/// The command a "run tests" lens carries; its one argument is the rule name.
pub const RUN_TESTS_COMMAND: &str = "rulec.runTests";
/// Event types shown in a hint before it is cut.
const MAX_HINT_TYPES: usize = 8;

pub fn inlay_hints(analysis: &Analysis, uri: &lsp::Uri, range: Option<lsp::Range>) -> Vec<lsp::InlayHint> {
    let Some((unit, file)) = analysis.unit_of(uri) else { return Vec::new() };
    let ruleset = &unit.result.ruleset;
    let mut out = Vec::new();
    for rule in &ruleset.rules {
        let Some(def) = ruleset.loaded.rules.get(rule.index) else { continue };
        if def.name_loc.file != file.source.id || !rule.runnable {
            continue;
        }
        let position = convert::position(&file.source, def.name_loc.end as usize);
        if let Some(r) = range
            && (position < r.start || position > r.end)
        {
            continue;
        }
        out.push(lsp::InlayHint {
            position,
            label: lsp::InlayHintLabel::String(format!(
                "evt.type: {}",
                event_types_text(&rule.event_types, MAX_HINT_TYPES)
            )),
            kind: None,
            text_edits: None,
            tooltip: None,
            padding_left: Some(true),
            padding_right: None,
            data: None,
        });
    }
    out
}

pub fn code_lenses(analysis: &Analysis, uri: &lsp::Uri) -> Vec<lsp::CodeLens> {
    let Some((_, file)) = analysis.unit_of(uri) else { return Vec::new() };
    file.items
        .iter()
        .filter_map(|item| match item {
            Item::Rule(r) if !r.name.value.is_empty() => Some(lsp::CodeLens {
                range: convert::range(&file.source, r.name.loc.start as usize, r.name.loc.end as usize),
                command: Some(lsp::Command {
                    title: "▶ Run tests".to_owned(),
                    command: RUN_TESTS_COMMAND.to_owned(),
                    arguments: Some(vec![serde_json::Value::String(r.name.value.clone())]),
                }),
                data: None,
            }),
            _ => None,
        })
        .collect()
}
