//! Rules-file items: the YAML documents of one file turned into typed items (rule, macro, list,
//! required_engine_version, required_plugin_versions), with the location of every key and value.
//!
//! This is where the shape of each item is checked, one item at a time, as Falco's reader does:
//! value types, priorities, names, `override` maps, exception shapes as written, engine and
//! plugin version requirements. Merging items across files is [`crate::load`]'s job.
//!
//! The reading is split by job: [`reader`] holds the reader and its value readers (strings,
//! texts, booleans, key checks) and dispatches each item by kind; [`definitions`] reads rules,
//! macros, lists and exceptions; [`update`] reads `append` and `override`; [`requirements`]
//! reads the engine and plugin version requirements; [`fixes`] builds the fixes some of their
//! diagnostics carry.

mod definitions;
mod fixes;
mod reader;
mod requirements;
mod update;

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

/// Reads the items of one file's documents (parsed from `text`), in order, reporting shape
/// problems. The text is only read to lay out fixes (the indentation of a rewritten key).
pub fn read_items(text: &str, docs: &[Node], diags: &mut Vec<Diagnostic>) -> Vec<Item> {
    let mut r = reader::Reader { text, diags };
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

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test inputs are fixed
mod tests {
    use super::fixes::closest;
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
