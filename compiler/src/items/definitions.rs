//! Rules, macros and lists as written, with their names and exceptions: each key read into its
//! typed value, the kind's key checks, and `override`/`append` through [`super::update`].

use std::collections::HashSet;

use super::fixes::priority_fix;
use super::reader::{Reader, at, key_name};
use super::*;
use crate::yaml::Node;

impl Reader<'_> {
    pub(super) fn name(&mut self, k: &Node, v: &Node, kind: &str) -> Option<Located<String>> {
        self.string(k, v, kind)
    }

    pub(super) fn list(&mut self, item: &Node, map: &[(Node, Node)], k: &Node, v: &Node) -> Option<Item> {
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

    pub(super) fn macro_(&mut self, item: &Node, map: &[(Node, Node)], k: &Node, v: &Node) -> Option<Item> {
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

    pub(super) fn rule(&mut self, item: &Node, map: &[(Node, Node)], k: &Node, v: &Node) -> Option<Item> {
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
                                let mut d =
                                    Diagnostic::new(Code::InvalidPriority, p.loc, format!("invalid priority `{}`", p.value))
                                        .with_hint("use one of Emergency, Alert, Critical, Error, Warning, Notice, Informational (Info), Debug");
                                if let Some(fix) = priority_fix(self.text, &p) {
                                    d = d.with_fix(fix);
                                }
                                self.diags.push(d);
                                None
                            }
                        }
                    }))
                }
                "source" => {
                    // Empty is allowed, as in Falco: the rule's own source (an append keeps the
                    // rule's; a new rule gets the default).
                    rule.source = track!(match val.as_scalar() {
                        Some(s) => Some(Keyed { key: key.loc, value: s.value.clone(), loc: val.loc }),
                        None => {
                            self.bad_type(key, val, kname, "a string");
                            None
                        }
                    })
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
    pub(super) fn exceptions(&mut self, key: &Node, val: &Node, broken: &mut bool) -> Option<Keyed<Vec<RawException>>> {
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
    pub(super) fn ex_value(&mut self, key: &Node, val: &Node, what: &str) -> Option<ExValue> {
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
