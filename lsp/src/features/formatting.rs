//! Formatting of long conditions: a condition that does not fit on one line is laid out as a
//! folded block scalar, broken before each top-level `and`/`or` and re-indented inside
//! parentheses.
//!
//! A layout is only proposed when it provably keeps the meaning: the edited file is read again,
//! each formatted condition must parse to the same tree as before (spans aside), and the whole
//! unit must check to the same diagnostics, event types and runnable rules. Anything else is left
//! as written.

use rulec_compiler::check::check;
use rulec_compiler::items::{Item, read_items};
use rulec_compiler::yaml::{self, ScalarStyle};
use rulec_compiler::{Diagnostic, SourceFile};
use rulec_grammar::ast::{Expr, ExprKind};
use tower_lsp_server::ls_types as lsp;

use crate::analysis::{Analysis, Unit, UnitFile};
use crate::convert;
use crate::features::code_actions::scalar_style;
use crate::index::{self, RegionKind};

/// The line width a formatted condition aims at, indentation included.
pub const WIDTH: usize = 100;

/// One proposed replacement: bytes `start..end` of the file become `text`.
#[derive(Clone, Debug)]
struct Edit {
    start: usize,
    end: usize,
    text: String,
    /// Index of the item in the file.
    item: usize,
}

pub fn format_document(analysis: &Analysis, uri: &lsp::Uri) -> Vec<lsp::TextEdit> {
    let Some((unit, file)) = analysis.unit_of(uri) else { return Vec::new() };
    let mut edits = candidates(file);
    // Drop every edit whose condition does not read back the same; what remains is checked as a
    // whole below.
    loop {
        let Some(new_text) = apply(&file.source.text, &edits) else { return Vec::new() };
        let bad = changed_items(file, &new_text, &edits);
        if bad.is_empty() {
            break;
        }
        edits.retain(|e| !bad.contains(&e.item));
    }
    if edits.is_empty() {
        return Vec::new();
    }
    let Some(new_text) = apply(&file.source.text, &edits) else { return Vec::new() };
    if !checks_the_same(unit, file, &new_text) {
        return Vec::new();
    }
    edits
        .into_iter()
        .map(|e| lsp::TextEdit { range: convert::range(&file.source, e.start, e.end), new_text: e.text })
        .collect()
}

/// The layouts proposed for the file's long conditions, before any proof.
fn candidates(file: &UnitFile) -> Vec<Edit> {
    let src = &file.source;
    let mut out = Vec::new();
    for region in index::regions(file).into_iter().filter(|r| r.kind == RegionKind::Condition) {
        let parsed = rulec_grammar::parse_condition(region.text.as_str());
        let (Some(expr), true) = (parsed.expr, parsed.errors.is_empty()) else { continue };
        let (_, key_col) = src.line_col_utf16(region.key_loc.start as usize);
        let key_col = key_col as usize;
        let flat = expr.to_string();
        if key_col + "condition: ".len() + flat.len() <= WIDTH {
            continue;
        }
        let indent = key_col + 2;
        let lines = layout(&expr, WIDTH.saturating_sub(indent).max(40));
        let style = scalar_style(&file.docs, region.value_loc);
        let (start, end) = match style {
            Some(ScalarStyle::Literal | ScalarStyle::Folded) => {
                // A block scalar's node starts at its content; the edit starts at its indicator.
                let Some(start) = block_indicator(src, region.key_loc.end as usize) else { continue };
                (start, block_end(src, start, key_col))
            }
            _ => (region.value_loc.start as usize, region.value_loc.end as usize),
        };
        let Some(old) = src.text.get(start..end) else { continue };
        let mut text = String::from(">");
        for l in &lines {
            text.push('\n');
            text.push_str(&" ".repeat(indent));
            text.push_str(l);
        }
        if old.ends_with('\n') {
            text.push('\n');
        }
        if text != old {
            out.push(Edit { start, end, text, item: region.item });
        }
    }
    out
}

/// The `>` or `|` after the key ending at `key_end`, unless its header line has a comment (which
/// the edit would drop).
fn block_indicator(src: &SourceFile, key_end: usize) -> Option<usize> {
    let rest = src.text.get(key_end..)?;
    let header = rest.split('\n').next()?;
    if header.contains('#') {
        return None;
    }
    let at = header.find(['>', '|'])?;
    Some(key_end + at)
}

/// The end of a block scalar whose indicator is at `start`: just after the line break of its last
/// non-blank content line (lines indented deeper than its key).
fn block_end(src: &SourceFile, start: usize, key_col: usize) -> usize {
    let text = &src.text;
    let mut pos = text[start..].find('\n').map_or(text.len(), |i| start + i + 1);
    let mut end = pos;
    while pos < text.len() {
        let line_end = text[pos..].find('\n').map_or(text.len(), |i| pos + i + 1);
        let line = &text[pos..line_end];
        let content = line.trim_end_matches(['\n', '\r']);
        if !content.trim().is_empty() {
            let indent = content.len() - content.trim_start_matches(' ').len();
            if indent <= key_col {
                break;
            }
            end = line_end;
        }
        pos = line_end;
    }
    end
}

/// The condition laid out in lines of at most `width` where possible.
pub fn layout(e: &Expr, width: usize) -> Vec<String> {
    let flat = e.to_string();
    if flat.len() <= width {
        return vec![flat];
    }
    match &e.kind {
        ExprKind::And(xs) | ExprKind::Or(xs) => {
            let word = if matches!(e.kind, ExprKind::And(_)) { "and " } else { "or " };
            let mut lines = Vec::new();
            for (i, x) in xs.iter().enumerate() {
                if i == 0 {
                    lines.extend(layout(x, width));
                } else {
                    lines.extend(prefixed(word, layout(x, width.saturating_sub(word.len()))));
                }
            }
            lines
        }
        ExprKind::Paren(x) => {
            let mut lines = prefixed("(", layout(x, width.saturating_sub(2)));
            if let Some(last) = lines.last_mut() {
                last.push(')');
            }
            lines
        }
        ExprKind::Not(x) => prefixed("not ", layout(x, width.saturating_sub(4))),
        _ => vec![flat],
    }
}

/// `lines` with `prefix` before the first and its width of blanks before the others.
fn prefixed(prefix: &str, lines: Vec<String>) -> Vec<String> {
    let pad = " ".repeat(prefix.len());
    lines
        .into_iter()
        .enumerate()
        .map(|(i, l)| if i == 0 { format!("{prefix}{l}") } else { format!("{pad}{l}") })
        .collect()
}

/// The text with `edits` applied (they do not overlap and are in file order).
fn apply(text: &str, edits: &[Edit]) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for e in edits {
        out.push_str(text.get(at..e.start)?);
        out.push_str(&e.text);
        at = e.end;
    }
    out.push_str(text.get(at..)?);
    Some(out)
}

/// The items among `edits` whose condition no longer parses to the same tree in `new_text` (or
/// all of them when the new file does not read back item for item).
fn changed_items(file: &UnitFile, new_text: &str, edits: &[Edit]) -> Vec<usize> {
    let all = || edits.iter().map(|e| e.item).collect();
    let (docs, mut diags) = yaml::parse(file.source.id, new_text);
    let items = read_items(new_text, &docs, &mut diags);
    if items.len() != file.items.len() {
        return all();
    }
    let condition = |item: &Item| match item {
        Item::Rule(r) => r.condition.as_ref().map(|c| c.value.as_str().to_owned()),
        Item::Macro(m) => m.condition.as_ref().map(|c| c.value.as_str().to_owned()),
        _ => None,
    };
    edits
        .iter()
        .filter(|e| {
            let old = file.items.get(e.item).and_then(condition);
            let new = items.get(e.item).and_then(condition);
            match (old, new) {
                (Some(o), Some(n)) => !same_tree(&o, &n),
                _ => true,
            }
        })
        .map(|e| e.item)
        .collect()
}

/// Whether two conditions parse, without errors, to the same tree, spans aside.
pub fn same_tree(a: &str, b: &str) -> bool {
    let (pa, pb) = (rulec_grammar::parse_condition(a), rulec_grammar::parse_condition(b));
    if !pa.errors.is_empty() || !pb.errors.is_empty() {
        return false;
    }
    match (pa.expr, pb.expr) {
        (Some(mut x), Some(mut y)) => {
            x.clear_spans();
            y.clear_spans();
            x == y
        }
        _ => false,
    }
}

/// Whether the unit checks the same with `new_text` for `file`: the same diagnostics (positions
/// aside), the same rules runnable, with the same event types.
fn checks_the_same(unit: &Unit, file: &UnitFile, new_text: &str) -> bool {
    let sources: Vec<SourceFile> = unit
        .files
        .iter()
        .map(|f| {
            let text = if f.source.id == file.source.id { new_text.to_owned() } else { f.source.text.clone() };
            SourceFile::new(f.source.id, f.source.name.clone(), text)
        })
        .collect();
    let after = check(&sources);
    let key = |d: &Diagnostic| (d.code, d.severity, d.message.clone(), d.hint.clone());
    let mut before_d: Vec<_> = unit.result.diagnostics.iter().map(key).collect();
    let mut after_d: Vec<_> = after.diagnostics.iter().map(key).collect();
    before_d.sort();
    after_d.sort();
    let rules = |rs: &[rulec_compiler::check::CheckedRule]| -> Vec<(String, bool, String)> {
        rs.iter().map(|r| (r.name.clone(), r.runnable, format!("{:?}", r.event_types))).collect()
    };
    before_d == after_d && rules(&unit.result.ruleset.rules) == rules(&after.ruleset.rules)
}
