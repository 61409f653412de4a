//! List names with spaces, as Falco reads them. Falco's list names are not limited to words
//! (it warns, W0110, but loads them), and a condition names such a list the way it names any
//! list: `evt.type in (test list)`. The grammar reads a space as the end of a value, so before a
//! condition is parsed each written name of such a list has its spaces replaced by a stand-in
//! byte that values may hold; the text keeps its length, so every position still maps to the
//! file, and a list lookup maps the stand-in back.

use std::borrow::Cow;

/// Stands in for a space inside a list name while a condition is parsed (a control character:
/// no list name or value written in a rules file holds it).
const SPACE_STAND_IN: char = '\u{1f}';

/// `text` with every whole occurrence of a spaced list name in `names` spliced, or None when
/// there is none (the common case, at the cost of one scan per spaced name).
pub(crate) fn splice_spaced_list_names<'n>(text: &str, names: impl Iterator<Item = &'n str>) -> Option<String> {
    let mut out: Option<String> = None;
    for name in names.filter(|n| n.contains(' ')) {
        let current = out.as_deref().unwrap_or(text);
        let mut next = String::with_capacity(current.len());
        let mut last = 0;
        let mut changed = false;
        for (at, _) in current.match_indices(name) {
            let before = current[..at].chars().next_back();
            let after = current[at + name.len()..].chars().next();
            let boundary = |c: Option<char>| c.is_none_or(|c| c.is_whitespace() || "(),".contains(c));
            if at < last || !boundary(before) || !boundary(after) {
                continue;
            }
            next.push_str(&current[last..at]);
            next.push_str(&name.replace(' ', &SPACE_STAND_IN.to_string()));
            last = at + name.len();
            changed = true;
        }
        if changed {
            next.push_str(&current[last..]);
            out = Some(next);
        }
    }
    out
}

/// The list name a parsed value stands for (the stand-ins back to spaces).
pub(crate) fn list_name(written: &str) -> Cow<'_, str> {
    if written.contains(SPACE_STAND_IN) {
        Cow::Owned(written.replace(SPACE_STAND_IN, " "))
    } else {
        Cow::Borrowed(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spaced_names_are_spliced_at_word_boundaries_only() {
        let names = ["test list", "plain"];
        let got = splice_spaced_list_names("evt.type in (test list, x) and a = test listing", names.into_iter());
        let got = got.expect("spliced");
        assert_eq!(got.len(), "evt.type in (test list, x) and a = test listing".len());
        assert!(got.contains("(test\u{1f}list, x)"));
        assert!(got.ends_with("test listing"));
        assert_eq!(list_name("test\u{1f}list"), "test list");
        assert!(splice_spaced_list_names("proc.name in (plain)", names.into_iter()).is_none());
    }
}
