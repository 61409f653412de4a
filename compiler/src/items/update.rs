//! `append` and `override` on an item: the deprecated `append: true` (with its fix to
//! `override:`), the `override` map's entries, and the checks that tie them to the item's keys.

use super::fixes::{append_to_override, whole_lines};
use super::reader::{Reader, at, key_name};
use super::*;
use crate::diagnostic::{Edit, Fix};
use crate::yaml::Node;

impl Reader<'_> {
    /// `append` and `override`, with their own checks: the deprecated `append` warns; both
    /// together is an error; every `override` entry must name a key the kind allows.
    pub(super) fn update(
        &mut self,
        item: &Node,
        appendable: &[&str],
        replaceable: &[&str],
        broken: &mut bool,
    ) -> Update {
        let mut update = Update { append: None, overrides: Vec::new(), override_loc: None };
        if let Some((k, v)) = item.get("append") {
            match self.boolean(k, v, "append") {
                Some(b) if b.value => {
                    update.append = Some(b.loc);
                    let mut d = Diagnostic::new(Code::Deprecated, k.loc, "`append: true` is deprecated")
                        .with_hint("use `override:` with `append` (or `replace`) for each key instead");
                    if item.get("override").is_none()
                        && let Some(fix) = append_to_override(self.text, item, k, v, appendable, replaceable)
                    {
                        d = d.with_fix(fix);
                    }
                    self.diags.push(d);
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
                let mut d =
                    Diagnostic::new(Code::AppendAndOverride, a, "an item cannot use both `append` and `override`")
                        .with_label(k.loc, "override here")
                        .with_hint("remove `append: true`; `override` says how each key is merged");
                if let Some((ak, _)) = item.get("append")
                    && let Some(lines) = whole_lines(self.text, ak.loc.start as usize, a.end as usize)
                {
                    let edit = Edit { location: Location::new(a.file, lines.0, lines.1), replacement: String::new() };
                    let fix = Fix { edits: vec![edit], ..Fix::replace("Remove `append: true`", a, "") };
                    d = d.with_fix(fix.safe());
                }
                self.diags.push(d);
                *broken = true;
            }
        }
        update
    }
}
