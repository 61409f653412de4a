//! Loading several rules files in order, with Falco's merge semantics.
//!
//! Each file is parsed ([`crate::yaml`]) and read into items ([`crate::items`]); the items are
//! then applied in load order: a definition of an existing name replaces it in place (keeping its
//! position in the order), `append: true` and `override: {key: append|replace}` update an earlier
//! definition, and a rule item with only `enabled` toggles an earlier rule. Exceptions are merged
//! (same name: values appended) and their shapes checked once everything is merged.
//!
//! The result keeps definitions in order and every value's location; which names a condition may
//! use (earlier macros, earlier lists) is checked later, by [`crate::check`].

use std::collections::HashMap;

use rulec_grammar::ast::Op;

use crate::diagnostic::{Code, Diagnostic, FileId, Location};
use crate::items::{
    self, ExValue, Item, Keyed, ListItem, Located, MacroItem, OverrideOp, PluginRequirement, Priority, RawException,
    RuleItem,
};
use crate::source::SourceFile;
use crate::text::MappedText;

pub use crate::items::ENGINE_VERSION;

/// The largest rules file accepted, in bytes.
pub const MAX_FILE_BYTES: usize = 64 << 20;

/// Everything the loaded files define, in definition order.
#[derive(Clone, Debug, Default)]
pub struct Loaded {
    pub lists: Vec<ListDef>,
    pub macros: Vec<MacroDef>,
    pub rules: Vec<RuleDef>,
    /// The highest `required_engine_version` of the files, where it is written.
    pub engine_version: Option<Located<(u32, u32, u32)>>,
    /// Every `required_plugin_versions` entry, in order.
    pub plugin_versions: Vec<PluginRequirement>,
}

#[derive(Clone, Debug)]
pub struct ListDef {
    pub name: String,
    pub name_loc: Location,
    /// The defining item.
    pub loc: Location,
    pub items: Vec<(String, Location)>,
    pub defined_in: FileId,
    /// Items that appended to or replaced parts of this definition since.
    pub updated_by: Vec<Location>,
}

#[derive(Clone, Debug)]
pub struct MacroDef {
    pub name: String,
    pub name_loc: Location,
    pub loc: Location,
    /// Appended conditions are joined with one space, each part mapped to its own file.
    pub condition: MappedText,
    pub defined_in: FileId,
    pub updated_by: Vec<Location>,
}

#[derive(Clone, Debug)]
pub struct RuleDef {
    pub name: String,
    pub name_loc: Location,
    pub loc: Location,
    pub condition: MappedText,
    /// Trimmed, as Falco does.
    pub output: MappedText,
    pub desc: MappedText,
    pub priority: Priority,
    pub priority_loc: Location,
    /// None: not written (the default, `syscall`).
    pub source: Option<String>,
    pub source_loc: Option<Location>,
    pub enabled: bool,
    pub enabled_loc: Option<Location>,
    pub tags: Vec<(String, Location)>,
    pub exceptions: Vec<ExceptionDef>,
    pub warn_evttypes: bool,
    pub warn_evttypes_loc: Option<Location>,
    pub skip_if_unknown_filter: bool,
    pub skip_if_unknown_filter_loc: Option<Location>,
    pub capture: bool,
    pub capture_loc: Option<Location>,
    pub capture_duration: Option<(u64, Location)>,
    pub defined_in: FileId,
    pub updated_by: Vec<Location>,
}

/// A checked exception: `not ((f1 c1 v1 and f2 c2 v2) or ...)`, one conjunction per row.
#[derive(Clone, Debug)]
pub struct ExceptionDef {
    pub name: String,
    pub name_loc: Location,
    /// The exception map (of its first definition).
    pub loc: Location,
    /// The fields; one when written as a single field.
    pub fields: Vec<(String, Location)>,
    /// One operator per field: as written, or the default (`=` for a list of fields, `in` for a
    /// single field) located at its field.
    pub comps: Vec<(String, Location)>,
    /// Written as `fields: FIELD` with flat values (then `values` has one row holding one list).
    pub single: bool,
    /// Rows of values, each with one value per field; a value is a scalar or a list (for `in`,
    /// `pmatch`, `intersects`).
    pub values: Vec<Vec<ExValue>>,
}

/// A rule while loading: its exceptions stay as written until every file is merged.
struct RuleWork {
    def: RuleDef,
    exceptions: Vec<RawException>,
}

#[derive(Default)]
struct Loader {
    lists: Vec<ListDef>,
    macros: Vec<MacroDef>,
    rules: Vec<RuleWork>,
    list_index: HashMap<String, usize>,
    macro_index: HashMap<String, usize>,
    rule_index: HashMap<String, usize>,
    engine_version: Option<Located<(u32, u32, u32)>>,
    plugin_versions: Vec<PluginRequirement>,
    diags: Vec<Diagnostic>,
}

/// Loads `files` in order. Never panics; every problem is a diagnostic.
pub fn load(files: &[SourceFile]) -> (Loaded, Vec<Diagnostic>) {
    let mut l = Loader::default();
    let mut total_items = 0usize;
    for file in files {
        if let Some(at) = file.not_utf8_at {
            l.diags.push(Diagnostic::new(
                Code::NotUtf8,
                Location::new(file.id, at, at + char::REPLACEMENT_CHARACTER.len_utf8()),
                format!("`{}` is not UTF-8 text: this byte is not valid UTF-8; save the file as UTF-8", file.name),
            ));
            continue;
        }
        if file.text.len() > MAX_FILE_BYTES {
            l.diags.push(Diagnostic::new(
                Code::ResourceLimit,
                Location::new(file.id, 0, 0),
                format!("`{}` is larger than {} MiB; it is not loaded", file.name, MAX_FILE_BYTES >> 20),
            ));
            continue;
        }
        let (docs, d) = crate::yaml::parse(file.id, &file.text);
        l.diags.extend(d);
        let items = items::read_items(&file.text, &docs, &mut l.diags);
        drop(docs);
        total_items += items.len();
        if total_items > items::MAX_ITEMS {
            l.diags.push(Diagnostic::new(
                Code::ResourceLimit,
                Location::new(file.id, 0, 0),
                format!(
                    "the files hold more than {} items; `{}` and the files after it are not loaded",
                    items::MAX_ITEMS,
                    file.name
                ),
            ));
            break;
        }
        for item in items {
            l.apply(item, file.id);
        }
    }
    l.finish()
}

fn undefined(kind: &str, name: &Located<String>, what: &str) -> Diagnostic {
    Diagnostic::new(
        Code::UndefinedAppendTarget,
        name.loc,
        format!("{what} {kind} `{}`, which is not defined before", name.value),
    )
    .with_hint(format!("define the {kind} first (in this file above, or in a file loaded before this one)"))
}

impl Loader {
    fn apply(&mut self, item: Item, file: FileId) {
        match item {
            Item::Rule(r) => self.rule(r, file),
            Item::Macro(m) => self.macro_(m, file),
            Item::List(l) => self.list(l, file),
            Item::RequiredEngineVersion(v) => {
                if self.engine_version.as_ref().is_none_or(|e| v.version.value > e.value) {
                    self.engine_version = Some(v.version);
                }
            }
            Item::RequiredPluginVersions(p) => self.plugin_versions.extend(p),
        }
    }

    fn list(&mut self, item: ListItem, file: FileId) {
        let ListItem { name, loc, items, update, broken } = item;
        let Some(items) = items else { return };
        let append = update.append.is_some() || update.op("items") == Some(OverrideOp::Append);
        if append {
            if broken {
                return;
            }
            let Some(&i) = self.list_index.get(&name.value) else {
                self.diags.push(undefined("list", &name, "appends to"));
                return;
            };
            let def = &mut self.lists[i];
            if items.value.is_empty() {
                self.diags.push(Diagnostic::new(
                    Code::EmptyAppend,
                    items.loc,
                    format!("appending nothing to list `{}`", name.value),
                ));
            }
            def.items.extend(items.value);
            def.updated_by.push(loc);
            return;
        }
        let def = ListDef {
            name: name.value.clone(),
            name_loc: name.loc,
            loc,
            items: items.value,
            defined_in: file,
            updated_by: Vec::new(),
        };
        match self.list_index.get(&name.value) {
            Some(&i) => self.lists[i] = def,
            None => {
                self.list_index.insert(name.value, self.lists.len());
                self.lists.push(def);
            }
        }
    }

    fn macro_(&mut self, item: MacroItem, file: FileId) {
        let MacroItem { name, loc, condition, update, broken } = item;
        let Some(condition) = condition else { return };
        let append = update.append.is_some() || update.op("condition") == Some(OverrideOp::Append);
        if append {
            if broken {
                return;
            }
            let Some(&i) = self.macro_index.get(&name.value) else {
                self.diags.push(undefined("macro", &name, "appends to"));
                return;
            };
            let def = &mut self.macros[i];
            def.condition.append(" ", &condition.value);
            def.updated_by.push(loc);
            return;
        }
        let def = MacroDef {
            name: name.value.clone(),
            name_loc: name.loc,
            loc,
            condition: condition.value,
            defined_in: file,
            updated_by: Vec::new(),
        };
        match self.macro_index.get(&name.value) {
            Some(&i) => self.macros[i] = def,
            None => {
                self.macro_index.insert(name.value, self.macros.len());
                self.macros.push(def);
            }
        }
    }

    fn rule(&mut self, r: RuleItem, file: FileId) {
        if r.update.is_update() {
            self.update_rule(r);
            return;
        }
        let has_core = r.condition.is_some() || r.output.is_some() || r.desc.is_some() || r.priority.is_some();
        if !has_core && !r.broken {
            // No condition/output/desc/priority: the item toggles an earlier rule.
            let Some(enabled) = r.enabled else {
                self.diags.push(
                    Diagnostic::new(
                        Code::MissingKey,
                        r.name.loc,
                        format!("rule `{}` has no condition, output, desc or priority", r.name.value),
                    )
                    .with_hint(
                        "a new rule needs all four; to enable or disable an existing rule, write `enabled: true|false`",
                    ),
                );
                return;
            };
            let Some(&i) = self.rule_index.get(&r.name.value) else {
                self.diags.push(undefined("rule", &r.name, "enables or disables"));
                return;
            };
            self.diags.push(
                Diagnostic::new(Code::Deprecated, enabled.key, "a rule item with only `enabled` is deprecated")
                    .with_hint("write `override: {enabled: replace}` next to `enabled`"),
            );
            let def = &mut self.rules[i].def;
            def.enabled = enabled.value;
            def.enabled_loc = Some(enabled.loc);
            def.updated_by.push(r.loc);
            return;
        }
        let missing: Vec<&str> = [
            (r.condition.is_none(), "condition"),
            (r.output.is_none(), "output"),
            (r.desc.is_none(), "desc"),
            (r.priority.is_none(), "priority"),
        ]
        .into_iter()
        .filter(|(m, _)| *m)
        .map(|(_, k)| k)
        .collect();
        // A priority that was written but is invalid has its error already; the rule is still
        // defined (with a stand-in priority) so that its condition and output get checked in the
        // same run, as a compiler reports every error it can at once.
        let priority = match (r.priority, r.broken) {
            (None, true) if r.priority_written => {
                Some(Keyed { key: r.name.loc, value: Priority::Informational, loc: r.name.loc })
            }
            (p, _) => p,
        };
        let (Some(condition), Some(output), Some(desc), Some(priority)) = (r.condition, r.output, r.desc, priority)
        else {
            // A broken item already has its error; a missing key on top would only repeat it.
            if !r.broken {
                let list = missing.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ");
                let hint = if self.rule_index.contains_key(&r.name.value) {
                    "this redefines an existing rule, so it needs every key; to change some keys only, use `override:`"
                } else {
                    "a new rule needs condition, output, desc and priority"
                };
                self.diags.push(
                    Diagnostic::new(Code::MissingKey, r.name.loc, format!("rule `{}` has no {list}", r.name.value))
                        .with_hint(hint),
                );
            }
            return;
        };
        let def = RuleDef {
            name: r.name.value.clone(),
            name_loc: r.name.loc,
            loc: r.loc,
            condition: condition.value,
            output: output.value.trim(),
            desc: desc.value,
            priority: priority.value,
            priority_loc: priority.loc,
            source: r.source.as_ref().filter(|s| !s.value.is_empty()).map(|s| s.value.clone()),
            source_loc: r.source.as_ref().filter(|s| !s.value.is_empty()).map(|s| s.loc),
            enabled: r.enabled.as_ref().is_none_or(|e| e.value),
            enabled_loc: r.enabled.as_ref().map(|e| e.loc),
            tags: r.tags.map(|t| t.value).unwrap_or_default(),
            exceptions: Vec::new(),
            warn_evttypes: r.warn_evttypes.as_ref().is_none_or(|e| e.value),
            warn_evttypes_loc: r.warn_evttypes.as_ref().map(|e| e.loc),
            skip_if_unknown_filter: r.skip_if_unknown_filter.as_ref().is_some_and(|e| e.value),
            skip_if_unknown_filter_loc: r.skip_if_unknown_filter.as_ref().map(|e| e.loc),
            capture: r.capture.as_ref().is_some_and(|e| e.value),
            capture_loc: r.capture.as_ref().map(|e| e.loc),
            capture_duration: r.capture_duration.map(|c| (c.value, c.loc)),
            defined_in: file,
            updated_by: Vec::new(),
        };
        if let Some(&i) = self.rule_index.get(&r.name.value)
            && let Some(d) = source_mismatch(&self.rules[i].def, r.source.as_ref(), r.name.loc, "redefines")
        {
            self.diags.push(d);
            return;
        }
        let work = RuleWork { def, exceptions: r.exceptions.map(|e| e.value).unwrap_or_default() };
        match self.rule_index.get(&r.name.value) {
            Some(&i) => self.rules[i] = work,
            None => {
                self.rule_index.insert(r.name.value, self.rules.len());
                self.rules.push(work);
            }
        }
    }

    fn update_rule(&mut self, r: RuleItem) {
        if r.broken {
            return;
        }
        let Some(&i) = self.rule_index.get(&r.name.value) else {
            let what = if r.update.append.is_some() { "appends to" } else { "overrides" };
            self.diags.push(undefined("rule", &r.name, what));
            return;
        };
        let legacy = r.update.append.is_some();
        let what = if legacy { "appends to" } else { "overrides" };
        if let Some(d) = source_mismatch(&self.rules[i].def, r.source.as_ref(), r.name.loc, what) {
            self.diags.push(d);
            return;
        }
        if legacy && r.condition.is_none() && r.exceptions.is_none() {
            self.diags.push(
                Diagnostic::new(
                    Code::MissingKey,
                    r.name.loc,
                    format!("this item appends to rule `{}` but has no `condition` or `exceptions`", r.name.value),
                )
                .with_hint("`append: true` appends a condition or exceptions; to change other keys, use `override:`"),
            );
            return;
        }
        let mut diags = Vec::new();
        let work = &mut self.rules[i];
        let def = &mut work.def;
        let op = |key: &str| if legacy { None } else { r.update.op(key) };
        let text_update = |target: &mut MappedText, value: &Keyed<MappedText>, op: Option<OverrideOp>, trim: bool| {
            let v = if trim { value.value.trim() } else { value.value.clone() };
            match op {
                Some(OverrideOp::Append) => target.append(" ", &v),
                Some(OverrideOp::Replace) => *target = v,
                None => {}
            }
        };
        if let Some(c) = &r.condition {
            let o = if legacy { Some(OverrideOp::Append) } else { op("condition") };
            text_update(&mut def.condition, c, o, false);
        }
        if let Some(ex) = r.exceptions {
            let o = if legacy { Some(OverrideOp::Append) } else { op("exceptions") };
            match o {
                Some(OverrideOp::Replace) => work.exceptions = ex.value,
                Some(OverrideOp::Append) => merge_exceptions(&mut work.exceptions, ex.value, &r.name.value, &mut diags),
                None => {}
            }
        }
        let def = &mut work.def;
        if legacy {
            // Falco's `append: true` only appends conditions and exceptions.
            for (present, key) in [
                (r.output.as_ref().map(|k| k.key), "output"),
                (r.desc.as_ref().map(|k| k.key), "desc"),
                (r.priority.as_ref().map(|k| k.key), "priority"),
                (r.tags.as_ref().map(|k| k.key), "tags"),
                (r.enabled.as_ref().map(|k| k.key), "enabled"),
            ] {
                if let Some(loc) = present {
                    diags.push(
                        Diagnostic::new(Code::UnknownKey, loc, format!("`{key}` is ignored by `append: true`"))
                            .with_hint(format!("use `override: {{{key}: ...}}` to change it")),
                    );
                }
            }
        } else {
            if let Some(o) = &r.output {
                text_update(&mut def.output, o, op("output"), true);
            }
            if let Some(d) = &r.desc {
                text_update(&mut def.desc, d, op("desc"), false);
            }
            if let (Some(p), Some(_)) = (&r.priority, op("priority")) {
                def.priority = p.value;
                def.priority_loc = p.loc;
            }
            if let Some(t) = r.tags {
                match op("tags") {
                    Some(OverrideOp::Replace) => def.tags = t.value,
                    Some(OverrideOp::Append) => {
                        for tag in t.value {
                            if !def.tags.iter().any(|(x, _)| *x == tag.0) {
                                def.tags.push(tag);
                            }
                        }
                    }
                    None => {}
                }
            }
            let flag = |target: &mut bool, loc: &mut Option<Location>, v: &Option<Keyed<bool>>, key: &str| {
                if let (Some(v), Some(_)) = (v, op(key)) {
                    *target = v.value;
                    *loc = Some(v.loc);
                }
            };
            flag(&mut def.enabled, &mut def.enabled_loc, &r.enabled, "enabled");
            flag(&mut def.warn_evttypes, &mut def.warn_evttypes_loc, &r.warn_evttypes, "warn_evttypes");
            flag(
                &mut def.skip_if_unknown_filter,
                &mut def.skip_if_unknown_filter_loc,
                &r.skip_if_unknown_filter,
                "skip-if-unknown-filter",
            );
            flag(&mut def.capture, &mut def.capture_loc, &r.capture, "capture");
            if let (Some(c), Some(_)) = (&r.capture_duration, op("capture_duration")) {
                def.capture_duration = Some((c.value, c.loc));
            }
        }
        def.updated_by.push(r.loc);
        self.diags.extend(diags);
    }

    fn finish(mut self) -> (Loaded, Vec<Diagnostic>) {
        let mut rules = Vec::with_capacity(self.rules.len());
        for work in std::mem::take(&mut self.rules) {
            let mut def = work.def;
            def.exceptions =
                work.exceptions.into_iter().filter_map(|ex| check_exception(ex, &def.name, &mut self.diags)).collect();
            rules.push(def);
        }
        // In file order (the loader finds some problems only when items are merged).
        self.diags.sort_by_key(|d| (d.primary.file, d.primary.start));
        let loaded = Loaded {
            lists: self.lists,
            macros: self.macros,
            rules,
            engine_version: self.engine_version,
            plugin_versions: self.plugin_versions,
        };
        (loaded, self.diags)
    }
}

/// E0214 when an item that `what`s rule `def` names another source. An empty or absent
/// `source` on an append or override keeps the rule's; a redefinition without one means
/// `syscall`, the default.
fn source_mismatch(def: &RuleDef, source: Option<&Keyed<String>>, at: Location, what: &str) -> Option<Diagnostic> {
    let old = def.source.as_deref().unwrap_or("syscall");
    let (new, loc) = match source {
        Some(s) if !s.value.is_empty() => (s.value.as_str(), s.loc),
        _ if what != "redefines" => return None,
        _ => ("syscall", at),
    };
    if new == old {
        return None;
    }
    Some(
        Diagnostic::new(
            Code::SourceMismatch,
            loc,
            format!("this item {what} rule `{}` of source `{old}` with source `{new}`", def.name),
        )
        .with_label(def.name_loc, format!("rule `{}` is defined here with source `{old}`", def.name))
        .with_hint("a rule keeps its source: give this item the rule's source, or give the new rule another name"),
    )
}

/// Appends exceptions: one with the name of an existing exception adds its values to it; a new
/// one needs its `fields`.
fn merge_exceptions(into: &mut Vec<RawException>, new: Vec<RawException>, rule: &str, diags: &mut Vec<Diagnostic>) {
    for ex in new {
        if let Some(prev) = into.iter_mut().find(|p| p.name.value == ex.name.value) {
            if let Some(vals) = ex.values {
                match &mut prev.values {
                    Some(pv) => pv.value.extend(vals.value),
                    None => prev.values = Some(vals),
                }
            }
        } else if ex.fields.is_none() {
            diags.push(
                Diagnostic::new(
                    Code::InvalidException,
                    ex.name.loc,
                    format!(
                        "rule `{rule}` has no exception `{}` to append values to, and this one has no `fields`",
                        ex.name.value
                    ),
                )
                .with_hint("a new exception needs `fields` (and `comps` unless they are all `=`)"),
            );
        } else {
            into.push(ex);
        }
    }
}

/// Checks an exception's shape and normalizes it (default operators, one row per value tuple).
fn check_exception(ex: RawException, rule: &str, diags: &mut Vec<Diagnostic>) -> Option<ExceptionDef> {
    let name = ex.name.value.clone();
    let mut err = |loc: Location, msg: String| {
        diags.push(Diagnostic::new(Code::InvalidException, loc, format!("exception `{name}` of rule `{rule}`: {msg}")));
    };
    let values = ex.values.map(|v| v.value).unwrap_or_default();
    let Some(fields) = ex.fields else {
        err(ex.name.loc, "it has no `fields`".into());
        return None;
    };
    // An exception may use every operator of the condition language but `exists` (it needs a value).
    let valid_op = |op: &str| Op::from_str(op).is_some_and(|op| op != Op::Exists);
    match fields {
        ExValue::Scalar(field, floc) => {
            let comp = match ex.comps {
                None => ("in".to_string(), floc),
                Some(ExValue::Scalar(c, cloc)) => {
                    if !Op::from_str(&c).is_some_and(Op::takes_list) {
                        err(
                            cloc,
                            format!("with a single field, `comps` must be one of in, pmatch, intersects, not `{c}`"),
                        );
                        return None;
                    }
                    (c, cloc)
                }
                Some(ExValue::List(_, cloc)) => {
                    err(cloc, "with a single field, `comps` must be one operator, not a list".into());
                    return None;
                }
            };
            let mut flat = Vec::with_capacity(values.len());
            let mut vloc: Option<Location> = None;
            for v in values {
                match v {
                    ExValue::Scalar(..) => {
                        let l = v.loc();
                        vloc = Some(vloc.map_or(l, |p: Location| Location { end: p.end.max(l.end), ..p }));
                        flat.push(v);
                    }
                    ExValue::List(_, l) => {
                        err(l, "with a single field, each value must be a single string".into());
                        return None;
                    }
                }
            }
            let rows = match vloc {
                Some(l) => vec![vec![ExValue::List(flat, l)]],
                None => Vec::new(),
            };
            Some(ExceptionDef {
                name: ex.name.value,
                name_loc: ex.name.loc,
                loc: ex.loc,
                fields: vec![(field, floc)],
                comps: vec![comp],
                single: true,
                values: rows,
            })
        }
        ExValue::List(fs, flist_loc) => {
            let mut fields = Vec::with_capacity(fs.len());
            for f in fs {
                match f {
                    ExValue::Scalar(s, l) => fields.push((s, l)),
                    ExValue::List(_, l) => {
                        err(l, "each of `fields` must be a field name".into());
                        return None;
                    }
                }
            }
            if fields.is_empty() {
                err(flist_loc, "`fields` is empty".into());
                return None;
            }
            let comps = match ex.comps {
                None => fields.iter().map(|(_, l)| ("=".to_string(), *l)).collect(),
                Some(ExValue::Scalar(_, cloc)) => {
                    err(cloc, "when `fields` is a list, `comps` must be a list of the same length".into());
                    return None;
                }
                Some(ExValue::List(cs, cloc)) => {
                    if cs.len() != fields.len() {
                        err(
                            cloc,
                            format!("{} fields but {} comps: they must have the same length", fields.len(), cs.len()),
                        );
                        return None;
                    }
                    let mut comps = Vec::with_capacity(cs.len());
                    for c in cs {
                        match c {
                            ExValue::Scalar(s, l) if valid_op(&s) => comps.push((s, l)),
                            ExValue::Scalar(s, l) => {
                                err(l, format!("`{s}` is not a comparison operator"));
                                return None;
                            }
                            ExValue::List(_, l) => {
                                err(l, "each of `comps` must be an operator".into());
                                return None;
                            }
                        }
                    }
                    comps
                }
            };
            let mut rows = Vec::with_capacity(values.len());
            for v in values {
                match v {
                    ExValue::List(items, l) => {
                        if items.len() != fields.len() {
                            err(
                                l,
                                format!("this value has {} items but there are {} fields", items.len(), fields.len()),
                            );
                            return None;
                        }
                        rows.push(items);
                    }
                    ExValue::Scalar(_, l) => {
                        err(l, format!("with a list of fields, each value must be a list of {} items", fields.len()));
                        return None;
                    }
                }
            }
            Some(ExceptionDef {
                name: ex.name.value,
                name_loc: ex.name.loc,
                loc: ex.loc,
                fields,
                comps,
                single: false,
                values: rows,
            })
        }
    }
}
