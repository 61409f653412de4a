//! The item reader: the state of reading one file's items, the readers of single values (strings,
//! texts, booleans, string sequences) with their type diagnostics, the key check (unknown and
//! repeated keys) and the dispatch of each item to the reader of its kind. It reads one item at a
//! time and never merges items (that is [`crate::load`]'s job).

use std::collections::HashSet;

use super::fixes::closest;
use super::*;
use crate::text::MappedText;
use crate::yaml::Node;

pub(super) struct Reader<'d> {
    pub(super) text: &'d str,
    pub(super) diags: &'d mut Vec<Diagnostic>,
}

/// Where to point for a value: the value, or the key when the value is absent.
pub(super) fn at(key: &Node, val: &Node) -> Location {
    if val.is_null() && val.loc.start == val.loc.end { key.loc } else { val.loc }
}

pub(super) fn key_name(k: &Node) -> Option<&str> {
    k.as_scalar().map(|s| s.value.as_str())
}

impl Reader<'_> {
    pub(super) fn err(&mut self, code: Code, loc: Location, msg: impl Into<String>) {
        self.diags.push(Diagnostic::new(code, loc, msg));
    }

    pub(super) fn bad_type(&mut self, key: &Node, val: &Node, key_str: &str, want: &str) {
        let found = val.describe();
        self.diags.push(Diagnostic::new(
            Code::BadValueType,
            at(key, val),
            format!("`{key_str}` must be {want}, but it is {found}"),
        ));
    }

    /// Warns about keys the item kind does not have, and about repeated keys (the first wins,
    /// as with Falco's YAML library).
    pub(super) fn check_keys(&mut self, map: &[(Node, Node)], allowed: &[&str], what: &str) {
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
                    Some(s) => d.with_suggestion(k.loc, s),
                    None => d.with_hint(format!("a {what} has the keys: {}", allowed.join(", "))),
                };
                self.diags.push(d);
            }
        }
    }

    /// A non-empty scalar as a string.
    pub(super) fn string(&mut self, key: &Node, val: &Node, key_str: &str) -> Option<Located<String>> {
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

    pub(super) fn text(&mut self, key: &Node, val: &Node, key_str: &str) -> Option<Keyed<MappedText>> {
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

    pub(super) fn boolean(&mut self, key: &Node, val: &Node, key_str: &str) -> Option<Keyed<bool>> {
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
    pub(super) fn string_seq(
        &mut self,
        key: &Node,
        val: &Node,
        key_str: &str,
    ) -> Option<Keyed<Vec<(String, Location)>>> {
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

    pub(super) fn item(&mut self, item: &Node) -> Option<Item> {
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
}
