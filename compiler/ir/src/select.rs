//! Which rules run: an operator's choice applied to a compiled [`Program`] before the engine is
//! built, in the spirit of Falco's `rules:` enable/disable list and its minimum `priority`. Items
//! apply in order, after the rules files' own `enabled:`; a rule pattern may hold `*` wildcards,
//! a tag matches exactly. Then every rule less severe than the minimum priority is turned off.
//!
//! [`apply`] only flips [`crate::Rule::enabled`]; the engine and the live syscall set honour it.

use crate::Program;
use crate::meta::Priority;

/// What one item matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Matcher {
    /// Rule names, `*` matching any run of characters (`Read sensitive*`, `*`).
    Rule(String),
    /// Rules carrying this tag.
    Tag(String),
}

/// One step of the selection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Enable(Matcher),
    Disable(Matcher),
}

/// The whole selection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    pub items: Vec<Item>,
    /// Rules less severe than this do not run.
    pub min_priority: Option<Priority>,
}

/// What [`apply`] did: per item, how many rules it matched (an item that matches none is most
/// likely a typo, worth a warning); the rules left enabled; the rules the minimum priority removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub matched: Vec<usize>,
    pub enabled: usize,
    pub below_priority: usize,
}

/// `*` wildcard match of a whole name; linear in the name times the number of `*`-separated parts.
pub fn wildcard(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let Some(first) = parts.next() else { return pattern == name };
    let Some(mut rest) = name.strip_prefix(first) else { return false };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else { return rest.is_empty() };
    for part in middle {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

impl Matcher {
    fn matches(&self, rule: &crate::Rule) -> bool {
        match self {
            Matcher::Rule(p) => wildcard(p, &rule.name),
            Matcher::Tag(t) => rule.tags.iter().any(|x| x == t),
        }
    }
}

/// Applies `sel` to `program`'s rules.
pub fn apply(program: &mut Program, sel: &Selection) -> Report {
    let mut report = Report::default();
    for item in &sel.items {
        let (m, on) = match item {
            Item::Enable(m) => (m, true),
            Item::Disable(m) => (m, false),
        };
        let mut n = 0;
        for r in program.rules.iter_mut().filter(|r| m.matches(r)) {
            r.enabled = on;
            n += 1;
        }
        report.matched.push(n);
    }
    if let Some(min) = sel.min_priority {
        // Priorities order from the most severe (Emergency) down: "less severe" is greater.
        for r in program.rules.iter_mut().filter(|r| r.enabled && r.priority > min) {
            r.enabled = false;
            report.below_priority += 1;
        }
    }
    report.enabled = program.rules.iter().filter(|r| r.enabled).count();
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_whole_names() {
        for (p, n, want) in [
            ("*", "anything", true),
            ("*", "", true),
            ("Read sensitive*", "Read sensitive file untrusted", true),
            ("Read sensitive*", "Xead sensitive file", false),
            ("*shell*", "Run shell untrusted", true),
            ("*shell", "Run shell untrusted", false),
            ("a*b*c", "abc", true),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "acb", false),
            ("ab*ba", "aba", false),
            ("exact", "exact", true),
            ("exact", "exactly", false),
        ] {
            assert_eq!(wildcard(p, n), want, "{p} vs {n}");
        }
    }
}

#[cfg(test)]
mod apply_tests {
    use super::*;
    use crate::meta::EventTypes;
    use crate::{NodeId, Rule};

    fn rule(name: &str, priority: Priority, tags: &[&str], enabled: bool) -> Rule {
        Rule {
            name: name.into(),
            priority,
            enabled,
            root: NodeId(0),
            event_types: EventTypes::All,
            output: Vec::new(),
            source: crate::DEFAULT_SOURCE.into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
        }
    }

    fn program() -> Program {
        Program {
            slots: Vec::new(),
            checks: Vec::new(),
            nodes: Vec::new(),
            rules: vec![
                rule("Read sensitive file", Priority::Warning, &["filesystem"], true),
                rule("Run shell", Priority::Notice, &["shell", "process"], true),
                rule("Debug thing", Priority::Debug, &["process"], true),
                rule("Off by default", Priority::Critical, &["process"], false),
            ],
        }
    }

    fn enabled(p: &Program) -> Vec<&str> {
        p.rules.iter().filter(|r| r.enabled).map(|r| r.name.as_str()).collect()
    }

    #[test]
    fn items_apply_in_order_then_the_minimum_priority() {
        let mut p = program();
        let sel = Selection {
            items: vec![
                Item::Disable(Matcher::Rule("*".into())),
                Item::Enable(Matcher::Tag("process".into())),
                Item::Disable(Matcher::Rule("Run*".into())),
                Item::Disable(Matcher::Tag("no-such-tag".into())),
            ],
            min_priority: Some(Priority::Notice),
        };
        let report = apply(&mut p, &sel);
        assert_eq!(enabled(&p), ["Off by default"]);
        assert_eq!(report, Report { matched: vec![4, 3, 1, 0], enabled: 1, below_priority: 1 });
    }

    #[test]
    fn an_empty_selection_keeps_the_files_choice() {
        let mut p = program();
        let report = apply(&mut p, &Selection::default());
        assert_eq!(enabled(&p), ["Read sensitive file", "Run shell", "Debug thing"]);
        assert_eq!(report.enabled, 3);
    }
}
