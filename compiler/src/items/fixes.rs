//! The fixes that item diagnostics carry: `append: true` rewritten as `override:`, a key's lines
//! deleted, a priority spelled as Falco spells it. They read the file's text only to keep its
//! layout (indentation, whole lines); they decide nothing about the items themselves.

use super::reader::key_name;
use super::*;
use crate::diagnostic::Fix;
use crate::yaml::Node;

/// `append: true` rewritten as the `override:` map that means the same: every key of the item
/// that `override` may name, with `append` where the key allows it and `replace` elsewhere.
/// Safe when every such key is appendable (then the meaning is exactly that of `append: true`);
/// `None` when the item is not written in block style (the rewrite could not keep its layout).
pub(super) fn append_to_override(
    text: &str,
    item: &Node,
    key: &Node,
    value: &Node,
    appendable: &[&str],
    replaceable: &[&str],
) -> Option<Fix> {
    let start = key.loc.start as usize;
    let line_start = text.get(..start)?.rfind('\n').map_or(0, |i| i + 1);
    let prefix = text.get(line_start..start)?;
    if !prefix.chars().all(|c| c == ' ' || c == '-') {
        return None;
    }
    let indent = " ".repeat(prefix.chars().count() + 2);
    let mut all_appendable = true;
    let mut out = String::from("override:");
    for (k, _) in item.as_map()? {
        let Some(name) = key_name(k) else { continue };
        let op = if appendable.contains(&name) {
            "append"
        } else if replaceable.contains(&name) {
            all_appendable = false;
            "replace"
        } else {
            continue;
        };
        out.push_str(&format!("\n{indent}{name}: {op}"));
    }
    let location = Location { end: value.loc.end, ..key.loc };
    let fix = Fix::replace("Replace `append: true` with `override:`", location, out);
    Some(if all_appendable { fix.safe() } else { fix })
}

/// The byte range of the whole lines holding `start..end` (through the final newline), when
/// nothing but blanks (and a comment) shares them; for deleting a key and its value.
pub(super) fn whole_lines(text: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    let line_start = text.get(..start)?.rfind('\n').map_or(0, |i| i + 1);
    if !text.get(line_start..start)?.chars().all(|c| c == ' ') {
        return None;
    }
    let rest = text.get(end..)?;
    let line_end = rest.find('\n').map_or(text.len(), |i| end + i + 1);
    let tail = text.get(end..line_end)?.trim();
    (tail.is_empty() || tail.starts_with('#')).then_some((line_start, line_end))
}

/// For a priority Falco does not accept: the name it stands for when it is the start of exactly
/// one name (`WARN`, `crit`, `Information`: safe), or else the closest name to a typo (a guess).
/// The fix keeps the case the priority is written in (`WARN` → `WARNING`, `warn` → `warning`).
/// Only a plain scalar is rewritten, so quoting cannot be lost.
pub(super) fn priority_fix(text: &str, written: &Located<String>) -> Option<Fix> {
    const NAMES: &[&str] = &["emergency", "alert", "critical", "error", "warning", "notice", "informational", "debug"];
    let value = written.value.trim();
    let lower = value.to_ascii_lowercase();
    if value.is_empty()
        || text.get(written.loc.start as usize..written.loc.end as usize) != Some(written.value.as_str())
    {
        return None;
    }
    let prefixed: Vec<&str> = NAMES.iter().copied().filter(|n| n.starts_with(&lower)).collect();
    let (name, safe) = match prefixed.as_slice() {
        [one] if lower.len() >= 3 => (*one, true),
        _ => (closest(&lower, NAMES)?, false),
    };
    let cased = if value.chars().all(|c| !c.is_ascii_lowercase()) {
        name.to_ascii_uppercase()
    } else if value.chars().next().is_some_and(|c| c.is_ascii_uppercase()) {
        let mut c = name.to_owned();
        c[..1].make_ascii_uppercase();
        c
    } else {
        name.to_owned()
    };
    let fix = Fix::replace(format!("Replace with `{cased}`"), written.loc, cased);
    Some(if safe { fix.safe() } else { fix })
}

/// The allowed word closest to `word`, for "did you mean" hints ([`crate::schema::closest`]).
pub(super) fn closest<'a>(word: &str, allowed: &[&'a str]) -> Option<&'a str> {
    crate::schema::closest(word, allowed.iter().copied())
}
