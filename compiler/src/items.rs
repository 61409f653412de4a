//! Rules-file items: the YAML documents of one file turned into typed items (rule, macro, list,
//! required_engine_version, required_plugin_versions), with the location of every key and value.
//!
//! This is where the shape of each item is checked, one item at a time, as Falco's reader does:
//! value types, priorities, names, `override` maps, exception shapes as written, engine and
//! plugin version requirements. Merging items across files is [`crate::load`]'s job.

use std::collections::HashSet;

use crate::diagnostic::{Code, Diagnostic, Location};
use crate::text::MappedText;
use crate::yaml::{Node, NodeKind};

/// The engine version rulec implements (Falco 0.44's engine).
pub const ENGINE_VERSION: (u32, u32, u32) = (0, 62, 0);

/// The most items all loaded files may hold together.
pub const MAX_ITEMS: usize = 200_000;

/// A value and where it is written.
#[derive(Clone, Debug, PartialEq)]
pub struct Located<T> {
    pub value: T,
    pub loc: Location,
}

/// A key's value with the location of the key and of the value.
#[derive(Clone, Debug, PartialEq)]
pub struct Keyed<T> {
    pub key: Location,
    pub value: T,
    pub loc: Location,
}

// A rule's priority is part of the IR (the runtime reports it); the loader parses it.
pub use rulec_ir::Priority;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OverrideOp {
    Append,
    Replace,
}

/// One `key: append|replace` entry of an `override` map.
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    pub key: Located<String>,
    pub op: Located<OverrideOp>,
}

/// How an item relates to an earlier item of the same name.
#[derive(Clone, Debug, PartialEq)]
pub struct Update {
    /// `append: true` (deprecated), with the location of the value.
    pub append: Option<Location>,
    /// The `override` entries, with the location of the `override` key (empty when absent).
    pub overrides: Vec<Override>,
    pub override_loc: Option<Location>,
}

impl Update {
    pub fn op(&self, key: &str) -> Option<OverrideOp> {
        self.overrides.iter().find(|o| o.key.value == key).map(|o| o.op.value)
    }

    pub fn is_update(&self) -> bool {
        self.append.is_some() || !self.overrides.is_empty()
    }
}

/// An exception value as written: a scalar or a (possibly nested) sequence of scalars.
#[derive(Clone, Debug, PartialEq)]
pub enum ExValue {
    Scalar(String, Location),
    List(Vec<ExValue>, Location),
}

impl ExValue {
    pub fn loc(&self) -> Location {
        match self {
            ExValue::Scalar(_, l) | ExValue::List(_, l) => *l,
        }
    }
}

/// An exception as written in one item, before merging and shape validation.
#[derive(Clone, Debug, PartialEq)]
pub struct RawException {
    pub name: Located<String>,
    /// The whole exception map.
    pub loc: Location,
    pub fields: Option<ExValue>,
    pub comps: Option<ExValue>,
    /// The `values` sequence and its location.
    pub values: Option<Located<Vec<ExValue>>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RuleItem {
    pub name: Located<String>,
    /// The whole item.
    pub loc: Location,
    pub condition: Option<Keyed<MappedText>>,
    pub output: Option<Keyed<MappedText>>,
    pub desc: Option<Keyed<MappedText>>,
    pub priority: Option<Keyed<Priority>>,
    /// The item has a `priority` key, valid or not (an invalid one leaves `priority` None).
    pub priority_written: bool,
    pub source: Option<Keyed<String>>,
    pub enabled: Option<Keyed<bool>>,
    pub tags: Option<Keyed<Vec<(String, Location)>>>,
    pub exceptions: Option<Keyed<Vec<RawException>>>,
    pub warn_evttypes: Option<Keyed<bool>>,
    pub skip_if_unknown_filter: Option<Keyed<bool>>,
    pub capture: Option<Keyed<bool>>,
    pub capture_duration: Option<Keyed<u64>>,
    pub update: Update,
    /// Some key had an error (already reported): a missing value must not be reported again.
    pub broken: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MacroItem {
    pub name: Located<String>,
    pub loc: Location,
    pub condition: Option<Keyed<MappedText>>,
    pub update: Update,
    pub broken: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ListItem {
    pub name: Located<String>,
    pub loc: Location,
    pub items: Option<Keyed<Vec<(String, Location)>>>,
    pub update: Update,
    pub broken: bool,
}

/// `required_engine_version`, as (major, minor, patch).
#[derive(Clone, Debug, PartialEq)]
pub struct EngineVersionItem {
    pub version: Located<(u32, u32, u32)>,
    pub loc: Location,
}

/// One entry of `required_plugin_versions`: a plugin and the versions that satisfy it.
#[derive(Clone, Debug, PartialEq)]
pub struct PluginRequirement {
    pub name: Located<String>,
    pub version: Located<String>,
    /// Other plugins (name, version) that satisfy the requirement too.
    pub alternatives: Vec<(Located<String>, Located<String>)>,
    pub loc: Location,
}

// Items are short-lived (read, then merged), so the size of a rule item does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    Rule(RuleItem),
    Macro(MacroItem),
    List(ListItem),
    RequiredEngineVersion(EngineVersionItem),
    RequiredPluginVersions(Vec<PluginRequirement>),
}

/// Keys that `override` may name on rules, with `append`, and with `replace`.
pub const RULE_APPENDABLE: &[&str] = &["condition", "output", "desc", "tags", "exceptions"];
pub const RULE_REPLACEABLE: &[&str] = &[
    "condition",
    "output",
    "desc",
    "priority",
    "tags",
    "exceptions",
    "enabled",
    "warn_evttypes",
    "skip-if-unknown-filter",
    "capture",
    "capture_duration",
];

/// The keys each kind of item may have (the LSP completes from these too).
pub const RULE_KEYS: &[&str] = &[
    "rule",
    "condition",
    "output",
    "desc",
    "priority",
    "source",
    "enabled",
    "tags",
    "exceptions",
    "override",
    "append",
    "warn_evttypes",
    "skip-if-unknown-filter",
    "capture",
    "capture_duration",
];
pub const MACRO_KEYS: &[&str] = &["macro", "condition", "override", "append"];
pub const LIST_KEYS: &[&str] = &["list", "items", "override", "append"];
pub const EXCEPTION_KEYS: &[&str] = &["name", "fields", "comps", "values"];
pub const PLUGIN_KEYS: &[&str] = &["name", "version", "alternatives"];

/// Falco's macro name pattern, `[a-zA-Z]+[a-zA-Z0-9_]*`: the condition parser's identifiers.
pub fn is_valid_macro_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic()) && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Falco's list name pattern, a bare string: `[^()"'[:space:]=,]+`.
pub fn is_valid_list_name(name: &str) -> bool {
    !name.is_empty()
        && !name
            .chars()
            .any(|c| matches!(c, '(' | ')' | '"' | '\'' | '=' | ',' | ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c'))
}

/// Parses `x.y.z` (a pre-release or build suffix is allowed and ignored).
pub fn parse_semver(s: &str) -> Option<(u32, u32, u32)> {
    let core = s.split(['-', '+']).next()?;
    let mut parts = core.split('.');
    let mut next = || -> Option<u32> {
        let p = parts.next()?;
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        p.parse().ok()
    };
    let v = (next()?, next()?, next()?);
    if parts.next().is_some() {
        return None;
    }
    Some(v)
}

/// Reads the items of one file's documents, in order, reporting shape problems.
pub fn read_items(docs: &[Node], diags: &mut Vec<Diagnostic>) -> Vec<Item> {
    let mut r = Reader { diags };
    let mut out = Vec::new();
    for doc in docs {
        if doc.is_null() {
            continue;
        }
        let Some(items) = doc.as_seq() else {
            r.diags.push(
                Diagnostic::new(
                    Code::BadFileShape,
                    doc.loc,
                    format!("a rules file must be a sequence of items, but this document is {}", doc.describe()),
                )
                .with_hint("start each item with `- `, e.g. `- rule: NAME`"),
            );
            continue;
        };
        for item in items {
            if item.is_null() {
                continue;
            }
            if out.len() >= MAX_ITEMS {
                r.diags.push(Diagnostic::new(
                    Code::ResourceLimit,
                    item.loc,
                    format!("more than {MAX_ITEMS} items; the rest of the file is ignored"),
                ));
                return out;
            }
            if let Some(i) = r.item(item) {
                out.push(i);
            }
        }
    }
    out
}

struct Reader<'d> {
    diags: &'d mut Vec<Diagnostic>,
}

/// Where to point for a value: the value, or the key when the value is absent.
fn at(key: &Node, val: &Node) -> Location {
    if val.is_null() && val.loc.start == val.loc.end { key.loc } else { val.loc }
}

fn key_name(k: &Node) -> Option<&str> {
    k.as_scalar().map(|s| s.value.as_str())
}

impl Reader<'_> {
    fn err(&mut self, code: Code, loc: Location, msg: impl Into<String>) {
        self.diags.push(Diagnostic::new(code, loc, msg));
    }

    fn bad_type(&mut self, key: &Node, val: &Node, key_str: &str, want: &str) {
        let found = val.describe();
        self.diags.push(Diagnostic::new(
            Code::BadValueType,
            at(key, val),
            format!("`{key_str}` must be {want}, but it is {found}"),
        ));
    }

    /// Warns about keys the item kind does not have, and about repeated keys (the first wins,
    /// as with Falco's YAML library).
    fn check_keys(&mut self, map: &[(Node, Node)], allowed: &[&str], what: &str) {
        let mut seen: HashSet<&str> = HashSet::new();
        for (k, _) in map {
            let Some(name) = key_name(k) else {
                self.err(Code::UnknownKey, k.loc, format!("a {what} key must be a string; this one is ignored"));
                continue;
            };
            if !seen.insert(name) {
                self.err(
                    Code::UnknownKey,
                    k.loc,
                    format!("`{name}` appears twice in this {what}; the first one is used"),
                );
            } else if !allowed.contains(&name) {
                let d = Diagnostic::new(
                    Code::UnknownKey,
                    k.loc,
                    format!("unknown key `{name}` in a {what}; it is ignored"),
                );
                let d = match closest(name, allowed) {
                    Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                    None => d.with_hint(format!("a {what} has the keys: {}", allowed.join(", "))),
                };
                self.diags.push(d);
            }
        }
    }

    /// A non-empty scalar as a string.
    fn string(&mut self, key: &Node, val: &Node, key_str: &str) -> Option<Located<String>> {
        match val.as_scalar() {
            Some(s) if !s.value.is_empty() => Some(Located { value: s.value.clone(), loc: val.loc }),
            Some(_) => {
                self.err(Code::BadValueType, at(key, val), format!("`{key_str}` must not be empty"));
                None
            }
            None => {
                self.bad_type(key, val, key_str, "a string");
                None
            }
        }
    }

    fn text(&mut self, key: &Node, val: &Node, key_str: &str) -> Option<Keyed<MappedText>> {
        match val.as_scalar() {
            Some(s) if !s.value.is_empty() => Some(Keyed { key: key.loc, value: s.text.clone(), loc: val.loc }),
            Some(_) => {
                self.err(Code::BadValueType, at(key, val), format!("`{key_str}` must not be empty"));
                None
            }
            None => {
                self.bad_type(key, val, key_str, "a string");
                None
            }
        }
    }

    fn boolean(&mut self, key: &Node, val: &Node, key_str: &str) -> Option<Keyed<bool>> {
        let b = val.as_scalar().and_then(|s| match s.value.as_str() {
            "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "y" | "Y" => Some(true),
            "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "n" | "N" => Some(false),
            _ => None,
        });
        match b {
            Some(value) => Some(Keyed { key: key.loc, value, loc: val.loc }),
            None => {
                self.bad_type(key, val, key_str, "true or false");
                None
            }
        }
    }

    /// A sequence of scalars (numbers are kept as written).
    fn string_seq(&mut self, key: &Node, val: &Node, key_str: &str) -> Option<Keyed<Vec<(String, Location)>>> {
        let Some(seq) = val.as_seq() else {
            self.bad_type(key, val, key_str, "a sequence of strings");
            return None;
        };
        let mut out = Vec::with_capacity(seq.len());
        let mut ok = true;
        for v in seq {
            match v.as_scalar() {
                Some(s) => out.push((s.value.clone(), v.loc)),
                None => {
                    ok = false;
                    self.err(
                        Code::BadValueType,
                        v.loc,
                        format!("each entry of `{key_str}` must be a string, but this one is {}", v.describe()),
                    );
                }
            }
        }
        ok.then_some(Keyed { key: key.loc, value: out, loc: val.loc })
    }

    fn item(&mut self, item: &Node) -> Option<Item> {
        let Some(map) = item.as_map() else {
            self.err(
                Code::BadFileShape,
                item.loc,
                format!("each item of a rules file must be a map (`- rule: ...`), but this one is {}", item.describe()),
            );
            return None;
        };
        // The kind is decided by which key is present, in Falco's order, not by key order.
        for kind in ["required_engine_version", "required_plugin_versions", "list", "macro", "rule"] {
            if let Some((k, v)) = item.get(kind) {
                return match kind {
                    "required_engine_version" => self.engine_version(item, map, k, v),
                    "required_plugin_versions" => self.plugin_versions(map, k, v),
                    "list" => self.list(item, map, k, v),
                    "macro" => self.macro_(item, map, k, v),
                    _ => self.rule(item, map, k, v),
                };
            }
        }
        let loc = map.first().map_or(item.loc, |(k, _)| k.loc);
        self.diags.push(Diagnostic::new(Code::UnknownItem, loc, "unknown top-level item; it is ignored").with_hint(
            "an item starts with one of rule, macro, list, required_engine_version, required_plugin_versions",
        ));
        None
    }

    fn engine_version(&mut self, item: &Node, map: &[(Node, Node)], k: &Node, v: &Node) -> Option<Item> {
        self.check_keys(map, &["required_engine_version"], "required_engine_version item");
        let Some(s) = v.as_scalar().filter(|s| !s.value.is_empty()) else {
            self.bad_type(k, v, "required_engine_version", "a version (`0.57.0`, or a number N meaning 0.N.0)");
            return None;
        };
        let text = s.value.trim();
        let version = if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            text.parse::<u32>().ok().map(|n| (0, n, 0))
        } else {
            parse_semver(text)
        };
        let Some(version) = version else {
            self.err(
                Code::EngineVersion,
                v.loc,
                format!("`{text}` is not an engine version: write `x.y.z`, or a number N meaning 0.N.0"),
            );
            return None;
        };
        if version > ENGINE_VERSION {
            let (a, b, c) = ENGINE_VERSION;
            self.diags.push(
                Diagnostic::new(
                    Code::EngineVersion,
                    v.loc,
                    format!(
                        "this file requires engine version {}.{}.{}, newer than the engine rulec implements ({a}.{b}.{c})",
                        version.0, version.1, version.2
                    ),
                )
                .with_hint("the file uses features rulec does not know yet"),
            );
        }
        Some(Item::RequiredEngineVersion(EngineVersionItem {
            version: Located { value: version, loc: v.loc },
            loc: item.loc,
        }))
    }

    fn plugin_versions(&mut self, map: &[(Node, Node)], k: &Node, v: &Node) -> Option<Item> {
        self.check_keys(map, &["required_plugin_versions"], "required_plugin_versions item");
        let Some(seq) = v.as_seq() else {
            self.err(
                Code::InvalidPluginVersions,
                at(k, v),
                format!(
                    "`required_plugin_versions` must be a sequence of `{{name, version}}` maps, but it is {}",
                    v.describe()
                ),
            );
            return None;
        };
        let mut out = Vec::new();
        for entry in seq {
            let Some((name, version)) = self.plugin_entry(entry, "required_plugin_versions entry") else {
                continue;
            };
            let mut alternatives = Vec::new();
            if let Some((ak, av)) = entry.get("alternatives") {
                match av.as_seq() {
                    Some(alts) => {
                        for alt in alts {
                            if let Some(pair) = self.plugin_entry(alt, "plugin alternative") {
                                alternatives.push(pair);
                            }
                        }
                    }
                    None => self.err(
                        Code::InvalidPluginVersions,
                        at(ak, av),
                        format!(
                            "`alternatives` must be a sequence of `{{name, version}}` maps, but it is {}",
                            av.describe()
                        ),
                    ),
                }
            }
            out.push(PluginRequirement { name, version, alternatives, loc: entry.loc });
        }
        Some(Item::RequiredPluginVersions(out))
    }

    fn plugin_entry(&mut self, entry: &Node, what: &str) -> Option<(Located<String>, Located<String>)> {
        let Some(map) = entry.as_map() else {
            self.err(
                Code::InvalidPluginVersions,
                entry.loc,
                format!("a {what} must be a map with `name` and `version`"),
            );
            return None;
        };
        self.check_keys(map, if what.contains("alternative") { &["name", "version"] } else { PLUGIN_KEYS }, what);
        let mut get = |key: &str| -> Option<Located<String>> {
            match entry.get(key) {
                Some((_, v)) => match v.as_scalar().filter(|s| !s.value.is_empty()) {
                    Some(s) => Some(Located { value: s.value.clone(), loc: v.loc }),
                    None => {
                        self.err(
                            Code::InvalidPluginVersions,
                            v.loc,
                            format!("`{key}` of a {what} must be a non-empty string"),
                        );
                        None
                    }
                },
                None => {
                    self.err(Code::InvalidPluginVersions, entry.loc, format!("a {what} needs `{key}`"));
                    None
                }
            }
        };
        let name = get("name");
        let version = get("version");
        let (name, version) = (name?, version?);
        if parse_semver(&version.value).is_none() {
            self.err(
                Code::InvalidPluginVersions,
                version.loc,
                format!("`{}` is not a version: write `x.y.z`", version.value),
            );
            return None;
        }
        Some((name, version))
    }

    /// `append` and `override`, with their own checks: the deprecated `append` warns; both
    /// together is an error; every `override` entry must name a key the kind allows.
    fn update(&mut self, item: &Node, appendable: &[&str], replaceable: &[&str], broken: &mut bool) -> Update {
        let mut update = Update { append: None, overrides: Vec::new(), override_loc: None };
        if let Some((k, v)) = item.get("append") {
            match self.boolean(k, v, "append") {
                Some(b) if b.value => {
                    update.append = Some(b.loc);
                    self.diags.push(
                        Diagnostic::new(Code::Deprecated, k.loc, "`append: true` is deprecated")
                            .with_hint("use `override:` with `append` (or `replace`) for each key instead"),
                    );
                }
                Some(_) => {}
                None => *broken = true,
            }
        }
        if let Some((k, v)) = item.get("override") {
            update.override_loc = Some(k.loc);
            let mut named: Vec<&str> = Vec::new();
            match v.as_map() {
                None => {
                    *broken = true;
                    self.bad_type(k, v, "override", "a map of `key: append|replace`");
                }
                Some(entries) => {
                    for (ok, ov) in entries {
                        if let Some(key) = key_name(ok) {
                            named.push(key);
                        }
                        let Some(key) = key_name(ok) else {
                            *broken = true;
                            self.err(Code::InvalidOverride, ok.loc, "an `override` key must be a string");
                            continue;
                        };
                        let can_append = appendable.contains(&key);
                        let can_replace = replaceable.contains(&key);
                        let op = match ov.as_scalar().map(|s| s.value.as_str()) {
                            Some("append") if can_append => Some(OverrideOp::Append),
                            Some("replace") if can_replace => Some(OverrideOp::Replace),
                            Some("append") if can_replace => {
                                self.err(
                                    Code::InvalidOverride,
                                    ok.loc,
                                    format!("`{key}` cannot be appended to; use `replace`"),
                                );
                                None
                            }
                            Some(op @ ("append" | "replace")) if !can_append && !can_replace => {
                                let mut all: Vec<&str> = appendable.to_vec();
                                all.extend(replaceable.iter().filter(|r| !appendable.contains(r)));
                                self.diags.push(
                                    Diagnostic::new(
                                        Code::InvalidOverride,
                                        ok.loc,
                                        format!("`{key}` cannot be overridden ({op})"),
                                    )
                                    .with_hint(format!("`override` may name: {}", all.join(", "))),
                                );
                                None
                            }
                            Some("replace") => {
                                self.err(
                                    Code::InvalidOverride,
                                    ok.loc,
                                    format!("`{key}` cannot be replaced; use `append`"),
                                );
                                None
                            }
                            _ => {
                                let allowed = match (can_append, can_replace) {
                                    (true, true) => "`append` or `replace`",
                                    (true, false) => "`append`",
                                    (false, true) => "`replace`",
                                    (false, false) => "nothing (this key cannot be overridden)",
                                };
                                self.err(
                                    Code::InvalidOverride,
                                    at(ok, ov),
                                    format!("invalid override operation for `{key}`: allowed is {allowed}"),
                                );
                                None
                            }
                        };
                        match op {
                            Some(op) => update.overrides.push(Override {
                                key: Located { value: key.to_string(), loc: ok.loc },
                                op: Located { value: op, loc: ov.loc },
                            }),
                            None => *broken = true,
                        }
                    }
                }
            }
            // Every overridable key present must be named under `override`, and every key named
            // must be present.
            let map = if v.as_map().is_some() { item.as_map().unwrap_or(&[]) } else { &[] };
            for (mk, _) in map {
                let Some(name) = key_name(mk) else { continue };
                if (appendable.contains(&name) || replaceable.contains(&name)) && !named.contains(&name) {
                    self.diags.push(
                        Diagnostic::new(
                            Code::InvalidOverride,
                            mk.loc,
                            format!("`{name}` is present but `override` does not say what to do with it"),
                        )
                        .with_label(k.loc, "override")
                        .with_hint(format!("add `{name}: append` or `{name}: replace` under `override`")),
                    );
                    *broken = true;
                }
            }
            for o in &update.overrides {
                if item.get(&o.key.value).is_none() {
                    self.diags.push(Diagnostic::new(
                        Code::InvalidOverride,
                        o.key.loc,
                        format!("`override` names `{}`, but the item has no `{}`", o.key.value, o.key.value),
                    ));
                    *broken = true;
                }
            }
            if let Some(a) = update.append {
                self.diags.push(
                    Diagnostic::new(Code::AppendAndOverride, a, "an item cannot use both `append` and `override`")
                        .with_label(k.loc, "override here")
                        .with_hint("remove `append: true`; `override` says how each key is merged"),
                );
                *broken = true;
            }
        }
        update
    }

    /// The item's name (`rule: NAME`...).
    fn name(&mut self, k: &Node, v: &Node, kind: &str) -> Option<Located<String>> {
        self.string(k, v, kind)
    }

    fn list(&mut self, item: &Node, map: &[(Node, Node)], k: &Node, v: &Node) -> Option<Item> {
        self.check_keys(map, LIST_KEYS, "list");
        let name = self.name(k, v, "list")?;
        if !is_valid_list_name(&name.value) {
            self.diags.push(
                Diagnostic::new(Code::InvalidListName, name.loc, format!("invalid list name `{}`", name.value))
                    .with_hint("a list name cannot hold blanks, quotes, parentheses, `=` or `,` (conditions could not refer to it)"),
            );
        }
        let mut broken = false;
        let items = match item.get("items") {
            Some((ik, iv)) => {
                let r = self.string_seq(ik, iv, "items");
                broken |= r.is_none();
                r
            }
            None => None,
        };
        let update = self.update(item, &["items"], &["items"], &mut broken);
        if items.is_none() && !broken {
            self.err(Code::MissingKey, name.loc, format!("list `{}` has no `items`", name.value));
            broken = true;
        }
        Some(Item::List(ListItem { name, loc: item.loc, items, update, broken }))
    }

    fn macro_(&mut self, item: &Node, map: &[(Node, Node)], k: &Node, v: &Node) -> Option<Item> {
        self.check_keys(map, MACRO_KEYS, "macro");
        let name = self.name(k, v, "macro")?;
        if !is_valid_macro_name(&name.value) {
            self.diags.push(
                Diagnostic::new(Code::InvalidMacroName, name.loc, format!("invalid macro name `{}`", name.value))
                    .with_hint("a macro name is a letter followed by letters, digits and `_` (conditions could not refer to it)"),
            );
        }
        let mut broken = false;
        let condition = match item.get("condition") {
            Some((ck, cv)) => {
                let r = self.text(ck, cv, "condition");
                broken |= r.is_none();
                r
            }
            None => None,
        };
        let update = self.update(item, &["condition"], &["condition"], &mut broken);
        if condition.is_none() && !broken {
            self.err(Code::MissingKey, name.loc, format!("macro `{}` has no `condition`", name.value));
            broken = true;
        }
        Some(Item::Macro(MacroItem { name, loc: item.loc, condition, update, broken }))
    }

    fn rule(&mut self, item: &Node, map: &[(Node, Node)], k: &Node, v: &Node) -> Option<Item> {
        self.check_keys(map, RULE_KEYS, "rule");
        let name = self.name(k, v, "rule")?;
        let mut broken = false;
        let mut rule = RuleItem {
            name,
            loc: item.loc,
            condition: None,
            output: None,
            desc: None,
            priority: None,
            priority_written: false,
            source: None,
            enabled: None,
            tags: None,
            exceptions: None,
            warn_evttypes: None,
            skip_if_unknown_filter: None,
            capture: None,
            capture_duration: None,
            update: Update { append: None, overrides: Vec::new(), override_loc: None },
            broken: false,
        };
        macro_rules! track {
            ($e:expr) => {{
                let r = $e;
                broken |= r.is_none();
                r
            }};
        }
        let mut seen: HashSet<&str> = HashSet::new();
        for (key, val) in map {
            let Some(kname) = key_name(key) else { continue };
            if !seen.insert(kname) {
                continue;
            }
            match kname {
                "condition" => rule.condition = track!(self.text(key, val, kname)),
                "output" => rule.output = track!(self.text(key, val, kname)),
                "desc" => rule.desc = track!(self.text(key, val, kname)),
                "priority" => {
                    rule.priority_written = true;
                    rule.priority = track!(self.string(key, val, kname).and_then(|p| {
                        match Priority::parse(p.value.trim()) {
                            Some(value) => Some(Keyed { key: key.loc, value, loc: p.loc }),
                            None => {
                                self.diags.push(
                                    Diagnostic::new(Code::InvalidPriority, p.loc, format!("invalid priority `{}`", p.value))
                                        .with_hint("use one of Emergency, Alert, Critical, Error, Warning, Notice, Informational (Info), Debug"),
                                );
                                None
                            }
                        }
                    }))
                }
                "source" => {
                    rule.source =
                        track!(self.string(key, val, kname).map(|s| Keyed { key: key.loc, value: s.value, loc: s.loc }))
                }
                "enabled" => rule.enabled = track!(self.boolean(key, val, kname)),
                "warn_evttypes" => rule.warn_evttypes = track!(self.boolean(key, val, kname)),
                "skip-if-unknown-filter" => rule.skip_if_unknown_filter = track!(self.boolean(key, val, kname)),
                "capture" => rule.capture = track!(self.boolean(key, val, kname)),
                "capture_duration" => {
                    let n = val.as_scalar().and_then(|s| s.value.trim().parse::<u64>().ok());
                    rule.capture_duration = match n {
                        Some(value) => Some(Keyed { key: key.loc, value, loc: val.loc }),
                        None => {
                            broken = true;
                            self.bad_type(key, val, kname, "a number of milliseconds");
                            None
                        }
                    };
                }
                "tags" => rule.tags = track!(self.string_seq(key, val, kname)),
                "exceptions" => rule.exceptions = self.exceptions(key, val, &mut broken),
                _ => {}
            }
        }
        rule.update = self.update(item, RULE_APPENDABLE, RULE_REPLACEABLE, &mut broken);
        // Appending exceptions without values adds nothing (Falco warns too).
        if (rule.update.append.is_some() || rule.update.op("exceptions").is_some())
            && let Some(exs) = &rule.exceptions
        {
            {
                for ex in &exs.value {
                    if ex.values.as_ref().is_none_or(|v| v.value.is_empty()) {
                        self.diags.push(Diagnostic::new(
                            Code::EmptyAppend,
                            ex.name.loc,
                            format!("exception `{}` is appended or overridden with no values", ex.name.value),
                        ));
                    }
                }
            }
        }
        rule.broken = broken;
        Some(Item::Rule(rule))
    }

    /// The well-formed exceptions (the others are reported, and make the item `broken`).
    fn exceptions(&mut self, key: &Node, val: &Node, broken: &mut bool) -> Option<Keyed<Vec<RawException>>> {
        if val.is_null() {
            return Some(Keyed { key: key.loc, value: Vec::new(), loc: at(key, val) });
        }
        let Some(seq) = val.as_seq() else {
            self.bad_type(key, val, "exceptions", "a sequence of `{name, fields, comps, values}` maps");
            *broken = true;
            return None;
        };
        let mut out: Vec<RawException> = Vec::new();
        let mut ok = true;
        for ex in seq {
            let Some(map) = ex.as_map() else {
                ok = false;
                self.err(
                    Code::InvalidException,
                    ex.loc,
                    format!("an exception must be a map, but this one is {}", ex.describe()),
                );
                continue;
            };
            self.check_keys(map, EXCEPTION_KEYS, "exception");
            let name = match ex.get("name") {
                Some((nk, nv)) => match nv.as_scalar().filter(|s| !s.value.is_empty()) {
                    Some(s) => Located { value: s.value.clone(), loc: nv.loc },
                    None => {
                        ok = false;
                        self.err(
                            Code::InvalidException,
                            at(nk, nv),
                            "an exception's `name` must be a non-empty string",
                        );
                        continue;
                    }
                },
                None => {
                    ok = false;
                    self.err(Code::InvalidException, ex.loc, "an exception needs a `name`");
                    continue;
                }
            };
            if let Some(prev) = out.iter().find(|p| p.name.value == name.value) {
                self.diags.push(
                    Diagnostic::new(
                        Code::DuplicateExceptionName,
                        name.loc,
                        format!("exception `{}` is defined twice in this rule", name.value),
                    )
                    .with_label(prev.name.loc, "first defined here"),
                );
            }
            let entry = |r: &mut Self, k: &str| -> Result<Option<ExValue>, ()> {
                match ex.get(k) {
                    None => Ok(None),
                    Some((ek, ev)) => r.ex_value(ek, ev, k).map(Some).ok_or(()),
                }
            };
            let (Ok(fields), Ok(comps)) = (entry(self, "fields"), entry(self, "comps")) else {
                ok = false;
                continue;
            };
            let values = match ex.get("values") {
                None => None,
                Some((vk, vv)) if vv.is_null() => Some(Located { value: Vec::new(), loc: at(vk, vv) }),
                Some((vk, vv)) => match vv.as_seq() {
                    None => {
                        ok = false;
                        self.err(
                            Code::InvalidException,
                            at(vk, vv),
                            format!("an exception's `values` must be a sequence, but it is {}", vv.describe()),
                        );
                        continue;
                    }
                    Some(vals) => {
                        let mut out_vals = Vec::with_capacity(vals.len());
                        let mut good = true;
                        for v in vals {
                            match self.ex_value(vk, v, "values") {
                                Some(x) => out_vals.push(x),
                                None => good = false,
                            }
                        }
                        if !good {
                            ok = false;
                            continue;
                        }
                        Some(Located { value: out_vals, loc: vv.loc })
                    }
                },
            };
            out.push(RawException { name, loc: ex.loc, fields, comps, values });
        }
        *broken |= !ok;
        Some(Keyed { key: key.loc, value: out, loc: val.loc })
    }

    /// A scalar or a sequence (of scalars or sequences) inside an exception.
    fn ex_value(&mut self, key: &Node, val: &Node, what: &str) -> Option<ExValue> {
        match &val.kind {
            NodeKind::Seq(items) => {
                let mut out = Vec::with_capacity(items.len());
                for i in items {
                    out.push(self.ex_value(key, i, what)?);
                }
                Some(ExValue::List(out, val.loc))
            }
            NodeKind::Scalar(s) if !val.is_null() && !s.value.is_empty() => {
                Some(ExValue::Scalar(s.value.clone(), val.loc))
            }
            _ => {
                self.err(
                    Code::InvalidException,
                    at(key, val),
                    format!(
                        "an exception's `{what}` must hold strings or sequences of strings, but this is {}",
                        val.describe()
                    ),
                );
                None
            }
        }
    }
}

/// The allowed word closest to `word` (a small edit distance), for "did you mean" hints.
fn closest<'a>(word: &str, allowed: &[&'a str]) -> Option<&'a str> {
    allowed
        .iter()
        .map(|a| (edit_distance(word, a), *a))
        .filter(|(d, a)| *d <= 2.max(a.len() / 4) && *d < a.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, a)| a)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len() > 64 || b.len() > 64 {
        return usize::MAX;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test inputs are fixed
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(is_valid_macro_name("open_write"));
        assert!(is_valid_macro_name("a1"));
        assert!(!is_valid_macro_name("_a"));
        assert!(!is_valid_macro_name("1a"));
        assert!(!is_valid_macro_name("a-b"));
        assert!(is_valid_list_name("a-b.c/d"));
        assert!(!is_valid_list_name("a b"));
        assert!(!is_valid_list_name("a,b"));
    }

    #[test]
    fn versions_and_priorities() {
        assert_eq!(parse_semver("0.57.0"), Some((0, 57, 0)));
        assert_eq!(parse_semver("1.2.3-rc1"), Some((1, 2, 3)));
        assert_eq!(parse_semver("1.2"), None);
        assert_eq!(Priority::parse("INFO"), Some(Priority::Informational));
        assert_eq!(Priority::parse("warning"), Some(Priority::Warning));
        assert_eq!(Priority::parse("warn"), None);
        assert_eq!(closest("conditon", RULE_KEYS), Some("condition"));
    }
}
