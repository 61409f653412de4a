//! Completion: fields (with type and description), field arguments, operators valid for the
//! field's type, macros, lists, values (`evt.type` names, booleans, priorities), `%field` tokens
//! in outputs, and the YAML keys valid at the cursor (item keys, exception keys, `override`
//! keys and operations).

use rulec_compiler::schema::{FieldInfo, FieldType, schema};
use rulec_grammar::ast::{Op, Transformer};
use tower_lsp_server::ls_types as lsp;

use crate::analysis::{Analysis, Unit};
use crate::cond_context::{self, Expect, field_of};
use crate::convert;
use crate::index::{self, RegionKind};
use crate::yaml_context::{self, YamlPosition};

// The item keys come from the loader, so completion offers exactly what it accepts.
pub use rulec_compiler::items::{
    EXCEPTION_KEYS, LIST_KEYS, MACRO_KEYS, PLUGIN_KEYS, RULE_APPENDABLE, RULE_KEYS, RULE_REPLACEABLE,
};
const TOP_KEYS: &[&str] = &["rule", "macro", "list", "required_engine_version", "required_plugin_versions"];
const BOOL_KEYS: &[&str] = &["enabled", "append", "warn_evttypes", "skip-if-unknown-filter", "capture"];
pub const PRIORITIES: &[&str] =
    &["EMERGENCY", "ALERT", "CRITICAL", "ERROR", "WARNING", "NOTICE", "INFORMATIONAL", "DEBUG"];

/// Completion items at `pos` of `uri`.
pub fn completion(analysis: &Analysis, uri: &lsp::Uri, pos: lsp::Position) -> Vec<lsp::CompletionItem> {
    let Some((unit, file)) = analysis.unit_of(uri) else { return Vec::new() };
    let cursor = convert::offset(&file.source, pos);
    // Inside a condition or output that the YAML reader found.
    if let Some((region, at)) = index::region_at(file, cursor) {
        let mut prefix = region.text.as_str().get(..at).unwrap_or("").to_owned();
        // Past the end of a plain scalar, after blanks YAML dropped: the word before is complete.
        if cursor > region.value_loc.end as usize {
            prefix.push(' ');
        }
        let range_of = |start: usize| {
            if start >= at {
                return convert::range(&file.source, cursor, cursor);
            }
            let loc = region.text.location(rulec_grammar::Span::new(start, at));
            convert::range(&file.source, loc.start as usize, cursor.max(loc.start as usize))
        };
        return match region.kind {
            RegionKind::Condition => condition_items(unit, &prefix, &range_of),
            RegionKind::Output => output_items(&prefix, &range_of),
        };
    }
    // The YAML around the cursor may be half-typed: read the line.
    let line_no = pos.line as usize;
    let line = file.source.line_text(line_no);
    let line_start = file.source.offset_of_utf16(pos.line, 0);
    let col = cursor.saturating_sub(line_start);
    let lines: Vec<&str> = (0..file.source.line_count()).map(|i| file.source.line_text(i)).collect();
    let ctx = yaml_context::context(&lines, line_no, col);
    let range_from = |start: usize| convert::range(&file.source, line_start + start, cursor);
    match &ctx.position {
        YamlPosition::Value { key, value_start, .. }
            if ctx.parents.is_empty() && (key == "condition" || key == "output") =>
        {
            // A condition on a line the YAML reader could not place (the file does not parse).
            let prefix = line.get(*value_start..col).unwrap_or("");
            let range_of = |start: usize| range_from(value_start + start);
            if key == "condition" { condition_items(unit, prefix, &range_of) } else { output_items(prefix, &range_of) }
        }
        YamlPosition::Value { key, typed_start, .. } => value_items(unit, &ctx, key, range_from(*typed_start)),
        YamlPosition::Key { typed_start } => key_items(&ctx, range_from(*typed_start)),
        YamlPosition::Other => Vec::new(),
    }
}

fn item(label: &str, kind: lsp::CompletionItemKind, range: lsp::Range) -> lsp::CompletionItem {
    lsp::CompletionItem {
        label: label.to_owned(),
        kind: Some(kind),
        text_edit: Some(lsp::CompletionTextEdit::Edit(lsp::TextEdit { range, new_text: label.to_owned() })),
        ..Default::default()
    }
}

fn markdown(text: String) -> lsp::Documentation {
    lsp::Documentation::MarkupContent(lsp::MarkupContent { kind: lsp::MarkupKind::Markdown, value: text })
}

/// The items for a condition whose text before the cursor is `prefix`.
fn condition_items(unit: &Unit, prefix: &str, range_of: &dyn Fn(usize) -> lsp::Range) -> Vec<lsp::CompletionItem> {
    let ctx = cond_context::context(prefix);
    let range = range_of(ctx.typed_start);
    let typed = prefix.get(ctx.typed_start..).unwrap_or("");
    let loaded = &unit.result.ruleset.loaded;
    let mut out = Vec::new();
    match ctx.expect {
        Expect::Operand => {
            out.extend(field_items(typed, range));
            for m in &loaded.macros {
                let mut it = item(&m.name, lsp::CompletionItemKind::FUNCTION, range);
                it.detail = Some(format!("macro: {}", one_line(m.condition.as_str(), 80)));
                out.push(it);
            }
            out.push(item("not", lsp::CompletionItemKind::KEYWORD, range));
            for t in Transformer::ALL {
                let mut it = item(t.as_str(), lsp::CompletionItemKind::METHOD, range);
                it.detail = Some("transformer".into());
                it.insert_text_format = Some(lsp::InsertTextFormat::SNIPPET);
                it.text_edit = Some(lsp::CompletionTextEdit::Edit(lsp::TextEdit {
                    range,
                    new_text: format!("{}($1)", t.as_str()),
                }));
                out.push(it);
            }
        }
        Expect::AfterOperand(word) => {
            let field = word.as_deref().and_then(field_of);
            let is_macro = word.as_deref().is_some_and(|w| loaded.macros.iter().any(|m| m.name == w));
            if is_macro {
                out.extend(conjunctions(range));
            } else {
                out.extend(operator_items(field, range));
                if field.is_none() {
                    out.extend(conjunctions(range));
                }
            }
        }
        Expect::Value { field, op } => {
            let info = field.as_deref().and_then(field_of);
            if op.takes_list() {
                for l in &loaded.lists {
                    let mut it = item(&format!("({})", l.name), lsp::CompletionItemKind::ENUM, range);
                    it.filter_text = Some(l.name.clone());
                    out.push(it);
                }
            } else {
                out.extend(value_items_for_field(info, range));
                let mut val = item("val", lsp::CompletionItemKind::METHOD, range);
                val.insert_text_format = Some(lsp::InsertTextFormat::SNIPPET);
                val.text_edit =
                    Some(lsp::CompletionTextEdit::Edit(lsp::TextEdit { range, new_text: "val($1)".into() }));
                val.detail = Some("compare with another field's value".into());
                out.push(val);
            }
        }
        Expect::ListItem { field } => {
            for l in &loaded.lists {
                let mut it = item(&l.name, lsp::CompletionItemKind::ENUM, range);
                it.detail = Some(format!(
                    "list: {}",
                    one_line(&l.items.iter().map(|i| i.0.as_str()).collect::<Vec<_>>().join(", "), 80)
                ));
                out.push(it);
            }
            out.extend(value_items_for_field(field.as_deref().and_then(field_of), range));
        }
        Expect::Conjunction => out.extend(conjunctions(range)),
        Expect::FieldArg { field } => out.extend(field_arg_items(&field, typed, range)),
        Expect::InString => {}
    }
    out
}

fn conjunctions(range: lsp::Range) -> Vec<lsp::CompletionItem> {
    ["and", "or"].iter().map(|w| item(w, lsp::CompletionItemKind::KEYWORD, range)).collect()
}

/// `%field` completion in an output: after a `%`, fields.
fn output_items(prefix: &str, range_of: &dyn Fn(usize) -> lsp::Range) -> Vec<lsp::CompletionItem> {
    let start = prefix
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
        .map_or(0, |i| i + prefix[i..].chars().next().map_or(1, char::len_utf8));
    if !prefix[..start].ends_with('%') {
        return Vec::new();
    }
    let typed = &prefix[start..];
    field_items(typed, range_of(start)).into_iter().filter(|i| !i.label.is_empty()).collect()
}

/// Every visible field; with a typed `evt.arg.`-style prefix, the field with each argument.
fn field_items(typed: &str, range: lsp::Range) -> Vec<lsp::CompletionItem> {
    let s = schema();
    let mut out: Vec<lsp::CompletionItem> = s
        .fields()
        .iter()
        .filter(|f| !f.is_hidden())
        .map(|f| {
            let mut it = item(f.name, lsp::CompletionItemKind::FIELD, range);
            it.detail = Some(type_name(f));
            it.documentation = Some(markdown(field_doc(f)));
            if f.is_deprecated() {
                it.tags = Some(vec![lsp::CompletionItemTag::DEPRECATED]);
            }
            it
        })
        .collect();
    // `evt.arg.NAME`, `evt.type.is.TYPE`: the dot suffix is part of the word being typed.
    for (prefix, names) in dot_args() {
        if typed.starts_with(&format!("{prefix}.")) {
            for n in names {
                let label = format!("{prefix}.{n}");
                let mut it = item(&label, lsp::CompletionItemKind::FIELD, range);
                it.detail = field_of(prefix).map(type_name);
                out.push(it);
            }
        }
    }
    out
}

fn dot_args() -> Vec<(&'static str, Vec<&'static str>)> {
    let s = schema();
    vec![
        ("evt.arg", s.param_names().collect()),
        ("evt.rawarg", s.param_names().collect()),
        ("evt.type.is", s.event_names().collect()),
        ("evt.abspath", vec!["src", "dst"]),
    ]
}

fn field_arg_items(field: &str, _typed: &str, range: lsp::Range) -> Vec<lsp::CompletionItem> {
    match field {
        "evt.arg" | "evt.rawarg" => {
            schema().param_names().map(|p| item(p, lsp::CompletionItemKind::VALUE, range)).collect()
        }
        f if f.starts_with("proc.a") || f == "proc.args" => {
            (0..=5).map(|i| item(&i.to_string(), lsp::CompletionItemKind::VALUE, range)).collect()
        }
        _ => Vec::new(),
    }
}

pub fn type_name(f: &FieldInfo) -> String {
    if f.is_list { format!("list of {}", f.ty.display_name()) } else { f.ty.display_name().to_owned() }
}

/// A field's description, operators and argument, as Markdown.
pub fn field_doc(f: &FieldInfo) -> String {
    let mut doc = format!("`{}` ({})\n\n{}", f.name, type_name(f), f.description);
    if let Some(h) = f.arg_hint() {
        doc.push_str(&format!("\n\nargument: `{h}`"));
    }
    let ops: Vec<&str> = f.ops.iter().map(Op::as_str).collect();
    if !ops.is_empty() {
        doc.push_str(&format!("\n\noperators: {}", ops.iter().map(|o| format!("`{o}`")).collect::<Vec<_>>().join(" ")));
    }
    if f.is_deprecated() {
        doc.push_str("\n\n*deprecated*");
    }
    doc
}

fn operator_items(field: Option<&FieldInfo>, range: lsp::Range) -> Vec<lsp::CompletionItem> {
    let ops: Vec<Op> = match field {
        Some(f) => f.ops.iter().collect(),
        None => Op::ALL.to_vec(),
    };
    ops.into_iter()
        .map(|op| {
            let mut it = item(op.as_str(), lsp::CompletionItemKind::OPERATOR, range);
            if let Some(f) = field {
                it.detail = Some(format!("{} {}", f.name, op.as_str()));
            }
            it
        })
        .collect()
}

fn value_items_for_field(field: Option<&FieldInfo>, range: lsp::Range) -> Vec<lsp::CompletionItem> {
    let Some(f) = field else { return Vec::new() };
    match (f.name, f.ty) {
        ("evt.type", _) => schema()
            .event_names()
            .map(|n| {
                let mut it = item(n, lsp::CompletionItemKind::ENUM_MEMBER, range);
                it.detail = Some("event type".into());
                it
            })
            .collect(),
        (_, FieldType::Bool) => {
            ["true", "false"].iter().map(|v| item(v, lsp::CompletionItemKind::VALUE, range)).collect()
        }
        ("evt.dir", _) => ["<", ">"].iter().map(|v| item(v, lsp::CompletionItemKind::VALUE, range)).collect(),
        _ => Vec::new(),
    }
}

fn keys_of(kind: Option<&str>) -> &'static [&'static str] {
    match kind {
        Some("rule") => RULE_KEYS,
        Some("macro") => MACRO_KEYS,
        Some("list") => LIST_KEYS,
        _ => &[],
    }
}

/// YAML keys valid at the cursor, minus those already written.
fn key_items(ctx: &yaml_context::YamlContext, range: lsp::Range) -> Vec<lsp::CompletionItem> {
    let kind = ctx.item_kind.as_deref();
    let keys: Vec<&str> = if ctx.top_level_entry {
        TOP_KEYS.to_vec()
    } else {
        match ctx.parents.first().map(String::as_str) {
            None => keys_of(kind).to_vec(),
            Some("override") => match kind {
                Some("rule") => RULE_REPLACEABLE.to_vec(),
                Some("macro") => vec!["condition"],
                Some("list") => vec!["items"],
                _ => Vec::new(),
            },
            Some("exceptions") => EXCEPTION_KEYS.to_vec(),
            Some("required_plugin_versions") | Some("alternatives") => PLUGIN_KEYS.to_vec(),
            Some(_) => Vec::new(),
        }
    };
    keys.into_iter()
        .filter(|k| !ctx.siblings.iter().any(|s| s == k))
        .map(|k| lsp::CompletionItem {
            text_edit: Some(lsp::CompletionTextEdit::Edit(lsp::TextEdit { range, new_text: format!("{k}: ") })),
            ..item(k, lsp::CompletionItemKind::PROPERTY, range)
        })
        .collect()
}

/// Values of YAML keys: priorities, booleans, override operations, names of existing items.
fn value_items(unit: &Unit, ctx: &yaml_context::YamlContext, key: &str, range: lsp::Range) -> Vec<lsp::CompletionItem> {
    let value = |v: &str| item(v, lsp::CompletionItemKind::VALUE, range);
    if ctx.parents.first().map(String::as_str) == Some("override") {
        let appendable = match ctx.item_kind.as_deref() {
            Some("rule") => RULE_APPENDABLE.contains(&key),
            Some("macro") => key == "condition",
            Some("list") => key == "items",
            _ => false,
        };
        let mut ops = Vec::new();
        if appendable {
            ops.push(value("append"));
        }
        ops.push(value("replace"));
        return ops;
    }
    let loaded = &unit.result.ruleset.loaded;
    match key {
        "priority" => PRIORITIES.iter().map(|p| value(p)).collect(),
        k if BOOL_KEYS.contains(&k) => ["true", "false"].iter().map(|v| value(v)).collect(),
        "source" => vec![value("syscall")],
        "rule" if ctx.parents.is_empty() => loaded.rules.iter().map(|r| value(&r.name)).collect(),
        "macro" if ctx.parents.is_empty() => loaded.macros.iter().map(|m| value(&m.name)).collect(),
        "list" if ctx.parents.is_empty() => loaded.lists.iter().map(|l| value(&l.name)).collect(),
        "comps" => Op::ALL.iter().map(|o| value(o.as_str())).collect(),
        _ => Vec::new(),
    }
}

fn one_line(s: &str, max: usize) -> String {
    let flat: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > max { format!("{}…", flat.chars().take(max).collect::<String>()) } else { flat }
}
