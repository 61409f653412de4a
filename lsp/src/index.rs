//! What is written where: every field, macro, list, rule name, operator, keyword and literal in a
//! file's conditions, outputs, item names, list items and exceptions, as file locations.
//!
//! Hover, go to definition, references, rename and semantic tokens all read this one index.
//! Conditions are parsed from each item's own text (not the merged definition), so an appended
//! or replaced item is indexed where it is written. Positions come from the grammar's spans
//! mapped through [`MappedText::location`], which is exact inside plain, quoted and block scalars.

use rulec_compiler::Location;
use rulec_compiler::items::{ExValue, Item};
use rulec_compiler::text::MappedText;
use rulec_grammar::Span;
use rulec_grammar::ast::{Expr, ExprKind, Literal, Operand, OutputPart, Rhs, TransformArg};

use crate::analysis::{Unit, UnitFile};

#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum OccKind {
    Field,
    Macro,
    List,
    Rule,
    Operator,
    Keyword,
    String,
    Number,
    Transformer,
}

/// One name or token as written.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Occurrence {
    pub kind: OccKind,
    /// The name (for fields: as written, e.g. `evt.arg.flags`; for literals: the decoded value).
    pub name: String,
    pub loc: Location,
    /// The item that defines the name (not an append or override of it).
    pub def: bool,
}

/// Which text of an item a region is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum RegionKind {
    Condition,
    Output,
}

/// A condition or output as written in one item of a file.
#[derive(Debug)]
pub struct Region<'a> {
    pub kind: RegionKind,
    pub text: &'a MappedText,
    /// The YAML value (quotes and block indicator included).
    pub value_loc: Location,
    /// The key (`condition`, `output`).
    pub key_loc: Location,
    /// Index of the item in the file.
    pub item: usize,
}

/// Every condition and output region of a file, in file order.
pub fn regions(file: &UnitFile) -> Vec<Region<'_>> {
    let mut out = Vec::new();
    for (i, item) in file.items.iter().enumerate() {
        let (cond, output) = match item {
            Item::Rule(r) => (r.condition.as_ref(), r.output.as_ref()),
            Item::Macro(m) => (m.condition.as_ref(), None),
            _ => (None, None),
        };
        if let Some(c) = cond {
            out.push(Region { kind: RegionKind::Condition, text: &c.value, value_loc: c.loc, key_loc: c.key, item: i });
        }
        if let Some(o) = output {
            out.push(Region { kind: RegionKind::Output, text: &o.value, value_loc: o.loc, key_loc: o.key, item: i });
        }
    }
    out.sort_by_key(|r| r.value_loc.start);
    out
}

/// The decoded offset of file offset `cursor` in `text`: the last decoded position written at or
/// before the cursor. `None` when the text has no byte of this file at or before the cursor.
pub fn decoded_offset(text: &MappedText, file: rulec_compiler::FileId, cursor: usize) -> Option<usize> {
    let s = text.as_str();
    let mut best: Option<(usize, usize)> = None;
    let positions = s.char_indices().map(|(i, _)| i).chain(std::iter::once(s.len()));
    for i in positions {
        let (f, o) = text.offset(i);
        if f != file || o > cursor {
            continue;
        }
        // Later decoded positions at the same file offset (a produced run) do not win: the
        // cursor sits before what the run produced.
        if best.is_none_or(|(bo, _)| o > bo) {
            best = Some((o, i));
        }
    }
    best.map(|(_, i)| i)
}

/// The region holding file offset `cursor`, and the decoded offset there. Blanks after the
/// value on its last line count as part of it (YAML drops them from a plain scalar, but the
/// cursor there is still "in" the condition).
pub fn region_at(file: &UnitFile, cursor: usize) -> Option<(Region<'_>, usize)> {
    regions(file).into_iter().find_map(|r| {
        let (start, end) = (r.value_loc.start as usize, r.value_loc.end as usize);
        let trailing_blanks = cursor > end
            && file.source.text.get(end..cursor).is_some_and(|gap| gap.chars().all(|c| c == ' ' || c == '\t'));
        let inside = start <= cursor && (cursor <= end || trailing_blanks);
        if !inside {
            return None;
        }
        let at = decoded_offset(r.text, file.source.id, cursor)?;
        Some((r, at))
    })
}

/// Indexes one file of `unit`.
pub fn occurrences(unit: &Unit, file: &UnitFile) -> Vec<Occurrence> {
    let loaded = &unit.result.ruleset.loaded;
    let is_list = |name: &str| loaded.lists.iter().any(|l| l.name == name);
    let mut out = Vec::new();
    for item in &file.items {
        match item {
            Item::Rule(r) => {
                let def = !r.update.is_update();
                push(&mut out, OccKind::Rule, &r.name.value, r.name.loc, def);
                if let Some(c) = &r.condition {
                    condition(&mut out, &c.value, &is_list);
                }
                if let Some(o) = &r.output {
                    output(&mut out, &o.value);
                }
                if let Some(ex) = &r.exceptions {
                    for e in &ex.value {
                        for v in e.fields.iter().flat_map(scalars) {
                            push(&mut out, OccKind::Field, &v.0, v.1, false);
                        }
                        for v in e.comps.iter().flat_map(scalars) {
                            push(&mut out, OccKind::Operator, &v.0, v.1, false);
                        }
                    }
                }
            }
            Item::Macro(m) => {
                push(&mut out, OccKind::Macro, &m.name.value, m.name.loc, !m.update.is_update());
                if let Some(c) = &m.condition {
                    condition(&mut out, &c.value, &is_list);
                }
            }
            Item::List(l) => {
                push(&mut out, OccKind::List, &l.name.value, l.name.loc, !l.update.is_update());
                if let Some(items) = &l.items {
                    for (name, loc) in &items.value {
                        if is_list(name) {
                            push(&mut out, OccKind::List, name, *loc, false);
                        }
                    }
                }
            }
            Item::RequiredEngineVersion(_) | Item::RequiredPluginVersions(_) => {}
        }
    }
    out.retain(|o| o.loc.file == file.source.id);
    out.sort_by_key(|o| (o.loc.start, o.loc.end));
    out
}

/// The scalars of an exception value, flattened.
fn scalars(v: &ExValue) -> Vec<(String, Location)> {
    match v {
        ExValue::Scalar(s, l) => vec![(s.clone(), *l)],
        ExValue::List(xs, _) => xs.iter().flat_map(scalars).collect(),
    }
}

fn push(out: &mut Vec<Occurrence>, kind: OccKind, name: &str, loc: Location, def: bool) {
    out.push(Occurrence { kind, name: name.to_owned(), loc, def });
}

/// Indexes a condition as written.
pub fn condition(out: &mut Vec<Occurrence>, text: &MappedText, is_list: &dyn Fn(&str) -> bool) {
    let parsed = rulec_grammar::parse_condition(text.as_str());
    if let Some(e) = &parsed.expr {
        let mut w = Walker { text, out, is_list };
        w.expr(e);
    }
}

/// Indexes an output format string.
pub fn output(out: &mut Vec<Occurrence>, text: &MappedText) {
    let parsed = rulec_grammar::parse_output(text.as_str());
    let is_list = |_: &str| false;
    let mut w = Walker { text, out, is_list: &is_list };
    for part in &parsed.parts {
        if let OutputPart::Field { operand, .. } = part {
            w.operand(operand);
        }
    }
}

struct Walker<'a, 'o> {
    text: &'a MappedText,
    out: &'o mut Vec<Occurrence>,
    is_list: &'a dyn Fn(&str) -> bool,
}

impl Walker<'_, '_> {
    fn push(&mut self, kind: OccKind, name: &str, span: Span) {
        let loc = self.text.location(span);
        self.out.push(Occurrence { kind, name: name.to_owned(), loc, def: false });
    }

    fn expr(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Or(xs) | ExprKind::And(xs) => {
                let word = if matches!(e.kind, ExprKind::Or(_)) { "or" } else { "and" };
                for (i, x) in xs.iter().enumerate() {
                    if i > 0 {
                        self.keyword_between(word, xs[i - 1].span.end as usize, x.span.start as usize);
                    }
                    self.expr(x);
                }
            }
            ExprKind::Not(x) => {
                let start = e.span.start as usize;
                if self.text.as_str().get(start..start + 3) == Some("not") {
                    self.push(OccKind::Keyword, "not", Span::new(start, start + 3));
                }
                self.expr(x);
            }
            ExprKind::Paren(x) => self.expr(x),
            ExprKind::MacroRef(id) => self.push(OccKind::Macro, &id.name, id.span),
            ExprKind::Check(c) => {
                self.operand(&c.lhs);
                self.push(OccKind::Operator, c.op.node.as_str(), c.op.span);
                if let Some(m) = &c.modifier {
                    self.push(OccKind::Operator, m.node.as_str(), m.span);
                }
                match &c.rhs {
                    Some(Rhs::Value(l)) => self.literal(l),
                    Some(Rhs::List(l)) => {
                        for item in &l.items {
                            if item.quote.is_none() && (self.is_list)(&item.value) {
                                self.push(OccKind::List, &item.value, item.span);
                            } else {
                                self.literal(item);
                            }
                        }
                    }
                    Some(Rhs::Operand(o)) => self.operand(o),
                    None => {}
                }
            }
            ExprKind::Error => {}
        }
    }

    /// The `and`/`or` between two operands: the only word in the gap between them.
    fn keyword_between(&mut self, word: &str, from: usize, to: usize) {
        let Some(gap) = self.text.as_str().get(from..to) else { return };
        if let Some(at) = gap.find(word) {
            self.push(OccKind::Keyword, word, Span::new(from + at, from + at + word.len()));
        }
    }

    fn literal(&mut self, l: &Literal) {
        let number = l.quote.is_none() && !l.value.is_empty() && l.value.parse::<f64>().is_ok();
        self.push(if number { OccKind::Number } else { OccKind::String }, &l.value, l.span);
    }

    fn operand(&mut self, o: &Operand) {
        match o {
            Operand::Field(f) => self.push(OccKind::Field, &f.name, f.name_span),
            Operand::Transform(t) => {
                self.push(OccKind::Transformer, t.func.node.as_str(), t.func.span);
                for a in &t.args {
                    match a {
                        TransformArg::Operand(o) => self.operand(o),
                        TransformArg::Literal(l) => self.literal(l),
                    }
                }
            }
        }
    }
}
