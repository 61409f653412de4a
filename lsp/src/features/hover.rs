//! Hover: a field's type, description and operators (for `evt.arg.X`, the events having that
//! parameter); a macro's condition and its full expansion; a list's items; a rule's event types
//! and its estimated cost per event (the engine's cost model, `rulec_compiler::analyze::rule_cost`).
//! On a file's first line, the load order the file is checked in and where it comes from.

use rulec_compiler::check::expand::expand_macros;
use rulec_compiler::check::{CheckResult, EventTypes, Ruleset};
use rulec_compiler::schema::schema;
use tower_lsp_server::ls_types as lsp;

use crate::analysis::{Analysis, Unit, UnitFile};
use crate::convert;
use crate::features::completion::field_doc;
use crate::index::{OccKind, Occurrence};

/// The most text an expansion shows; the rest is cut with a note.
const MAX_EXPANSION: usize = 4000;

/// The occurrence under `cursor` in `file`: the innermost one containing it.
pub fn occurrence_at<'u>(unit: &'u Unit, file: &UnitFile, cursor: usize) -> Option<&'u Occurrence> {
    let occs = unit.occurrences().get(file.source.id.0 as usize)?;
    occs.iter()
        .filter(|o| o.loc.start as usize <= cursor && cursor <= o.loc.end as usize)
        .min_by_key(|o| o.loc.end - o.loc.start)
}

pub fn hover(analysis: &Analysis, uri: &lsp::Uri, pos: lsp::Position) -> Option<lsp::Hover> {
    let (unit, file) = analysis.unit_of(uri)?;
    let cursor = convert::offset(&file.source, pos);
    let occ = occurrence_at(unit, file, cursor);
    let ruleset = &unit.result.ruleset;
    let text = occ.and_then(|occ| match occ.kind {
        OccKind::Field => field_hover(&occ.name),
        OccKind::Macro => macro_hover(ruleset, &occ.name),
        OccKind::List => list_hover(ruleset, &occ.name),
        OccKind::Rule => rule_hover(&unit.result, &occ.name),
        _ => None,
    });
    let (text, range) = match (text, pos.line) {
        (text, 0) => {
            let order = load_order_text(analysis, unit, file);
            (text.map_or(order.clone(), |t| format!("{t}\n\n---\n\n{order}")), None)
        }
        (Some(text), _) => (text, occ.map(|o| convert::range(&file.source, o.loc.start as usize, o.loc.end as usize))),
        (None, _) => return None,
    };
    Some(lsp::Hover {
        contents: lsp::HoverContents::Markup(lsp::MarkupContent { kind: lsp::MarkupKind::Markdown, value: text }),
        range,
    })
}

/// The files `file` is checked after, in order, and where that order comes from.
pub fn load_order_text(analysis: &Analysis, unit: &Unit, file: &UnitFile) -> String {
    let stdlib = unit.files.iter().take_while(|f| analysis.stdlib.contains(&f.uri)).count();
    let mut text = format!("**rulec load order**: {}\n\n", analysis.origin.describe());
    let mut n = 0;
    if stdlib > 0 {
        n += 1;
        text.push_str(&format!("{n}. the embedded stdlib ({stdlib} files; setting `rulec.stdlib`)\n"));
    }
    for f in &unit.files[stdlib..] {
        n += 1;
        if f.uri == file.uri {
            text.push_str(&format!("{n}. this file\n"));
            break;
        }
        text.push_str(&format!("{n}. `{}`\n", shown_path(&f.uri, &file.uri)));
    }
    text
}

/// `uri` as a path, relative to the folder of `from` when it is inside it.
fn shown_path(uri: &lsp::Uri, from: &lsp::Uri) -> String {
    let target = uri.as_str();
    let base = from.as_str().rsplit_once('/').map_or("", |(dir, _)| dir);
    match target.strip_prefix(base).and_then(|rest| rest.strip_prefix('/')) {
        Some(rel) if !base.is_empty() => rel.to_owned(),
        _ => target.strip_prefix("file://").unwrap_or(target).to_owned(),
    }
}

fn field_hover(written: &str) -> Option<String> {
    let s = schema();
    let (info, arg) = s.resolve_field(written)?;
    let mut text = field_doc(info);
    if let (Some(param), "evt.arg" | "evt.rawarg") = (arg.as_deref(), info.name) {
        let mut events: Vec<&str> = s.events_with_param(param).into_iter().map(|(e, _)| e.name).collect();
        events.dedup();
        if events.is_empty() {
            text.push_str(&format!("\n\nno event has a parameter `{param}`"));
        } else {
            text.push_str(&format!("\n\nevents with parameter `{param}`: {}", events.join(", ")));
        }
    }
    Some(text)
}

fn macro_hover(ruleset: &Ruleset, name: &str) -> Option<String> {
    let i = ruleset.loaded.macros.iter().position(|m| m.name == name)?;
    let def = &ruleset.loaded.macros[i];
    let mut text = format!("**macro** `{name}`\n\n```\n{}\n```", def.condition.as_str().trim());
    if let Some(Some(expr)) = ruleset.macro_exprs.get(i) {
        let expansion = expand_macros(ruleset, expr).to_string();
        if expansion != expr.to_string() {
            let shown = cut(&expansion, MAX_EXPANSION);
            text.push_str(&format!("\n\nexpands to:\n\n```\n{shown}\n```"));
        }
    }
    Some(text)
}

fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{} … ({} more bytes)", &s[..end], s.len() - end)
}

fn list_hover(ruleset: &Ruleset, name: &str) -> Option<String> {
    let i = ruleset.loaded.lists.iter().position(|l| l.name == name)?;
    let values = ruleset.list_values.get(i)?;
    let shown: Vec<&str> = values.iter().take(200).map(String::as_str).collect();
    let more =
        if values.len() > shown.len() { format!(", … ({} more)", values.len() - shown.len()) } else { String::new() };
    Some(format!("**list** `{name}` ({} items)\n\n{}{more}", values.len(), shown.join(", ")))
}

fn rule_hover(result: &CheckResult, name: &str) -> Option<String> {
    let ruleset = &result.ruleset;
    let rule = ruleset.rules.iter().find(|r| r.name == name)?;
    let def = ruleset.loaded.rules.get(rule.index)?;
    let mut text = format!("**rule** `{name}` ({})", def.priority.as_str());
    if !rule.enabled {
        text.push_str(", disabled");
    }
    text.push_str("\n\n");
    let desc = def.desc.as_str().trim();
    if !desc.is_empty() {
        text.push_str(desc);
        text.push_str("\n\n");
    }
    if rule.runnable {
        text.push_str(&format!("evt.type: {}", event_types_text(&rule.event_types, usize::MAX)));
        if let Some(units) = rulec_compiler::analyze::rule_cost(result, name) {
            text.push_str(&format!(
                "\n\nestimated cost: at most {units:.1} units, about {:.0} ns per event of its types (every check evaluated; the engine's cost model)",
                units * rulec_compiler::ir::cost::NS_PER_UNIT
            ));
        }
    } else {
        text.push_str("not runnable (see its diagnostics)");
    }
    Some(text)
}

/// `open, openat, openat2`, cut after `max` names; `all` when the rule does not restrict types.
pub fn event_types_text(types: &EventTypes, max: usize) -> String {
    match types {
        EventTypes::All => "all (no evt.type restriction)".to_owned(),
        EventTypes::Some(set) => {
            let names: Vec<&str> = set.iter().take(max).map(String::as_str).collect();
            let more = set.len().saturating_sub(names.len());
            if more > 0 { format!("{}, … (+{more})", names.join(", ")) } else { names.join(", ") }
        }
    }
}
