//! What a YAML document is, told from its name and content: a rules file, a `rulec.yaml`
//! configuration, a golden-test file (`*.tests.yaml`), or other YAML, which the server leaves
//! alone (no check, no diagnostics).
//!
//! Rules files are recognised by content, not by name: a document whose top level is a sequence
//! holding a `rule`, `macro`, `list`, `required_engine_version` or `required_plugin_versions`
//! item. Most other YAML (Kubernetes manifests, compose files, CI configuration) is a map at the
//! top, which a scan of the first column rejects before any parsing.

use rulec_compiler::FileId;
use rulec_compiler::yaml::{self, Node};

/// The keys that make a top-level sequence item a rules-file item.
const ITEM_KEYS: &[&str] = &["rule", "macro", "list", "required_engine_version", "required_plugin_versions"];

/// The file names of rulec's configuration file.
pub const CONFIG_NAMES: &[&str] = &["rulec.yaml", "rulec.yml"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Rules,
    /// `rulec.yaml`: `rulec run`'s configuration.
    Config,
    /// `*.tests.yaml`: golden-event tests for `rulec test`.
    Tests,
    Other,
}

/// The kind of the document at `path` (a URI or a path; only its last segment matters) with
/// `text`.
pub fn kind_of(path: &str, text: &str) -> FileKind {
    let name = path.rsplit('/').next().unwrap_or(path);
    if CONFIG_NAMES.contains(&name) {
        FileKind::Config
    } else if name.ends_with(".tests.yaml") || name.ends_with(".tests.yml") {
        FileKind::Tests
    } else if is_rules_text(text) || (name.contains("rules") && is_blank(text)) {
        // A new, still empty file named like a rules file is one (completion of its first
        // item's keys works); any other file must show its items.
        FileKind::Rules
    } else {
        FileKind::Other
    }
}

/// Whether `text` is a rules file: some document's top-level sequence holds a rules-file item.
pub fn is_rules_text(text: &str) -> bool {
    // A top-level sequence starts a line with `-` (block) or `[` (flow); without one there is
    // nothing to parse.
    let maybe = text.lines().any(|l| l.starts_with('-') && !l.starts_with("---") || l.starts_with('['));
    if !maybe {
        return false;
    }
    let (docs, _) = yaml::parse(FileId(0), text);
    docs.iter().any(is_rules_doc)
}

/// Whether `text` holds nothing but blank lines and comments.
fn is_blank(text: &str) -> bool {
    text.lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
}

fn is_rules_doc(doc: &Node) -> bool {
    doc.as_seq().is_some_and(|items| {
        items.iter().any(|item| {
            item.as_map().is_some_and(|kvs| {
                kvs.iter().any(|(k, _)| k.as_scalar().is_some_and(|s| ITEM_KEYS.contains(&s.value.as_str())))
            })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_rules_files_by_content() {
        assert_eq!(kind_of("file:///w/custom.yaml", "- macro: m\n  condition: evt.type = open\n"), FileKind::Rules);
        assert_eq!(kind_of("/w/rules.d/x.yml", "# c\n- required_engine_version: 0.26.0\n"), FileKind::Rules);
        assert_eq!(kind_of("/w/a.yaml", "[{list: l, items: [a]}]\n"), FileKind::Rules);
        // A key that comes second in the item still counts.
        assert_eq!(kind_of("/w/a.yaml", "- desc: d\n  rule: r\n"), FileKind::Rules);
    }

    #[test]
    fn leaves_other_yaml_alone() {
        assert_eq!(kind_of("/w/falco_rules.yaml", "apiVersion: v1\nkind: Pod\n"), FileKind::Other);
        assert_eq!(kind_of("/w/ci.yaml", "- name: build\n  run: make\n"), FileKind::Other);
        assert_eq!(kind_of("/w/empty.yaml", ""), FileKind::Other);
        assert_eq!(kind_of("/w/empty_rules.yaml", "# soon\n"), FileKind::Rules);
        assert_eq!(kind_of("/w/doc.yaml", "---\nkey: value\n"), FileKind::Other);
    }

    #[test]
    fn tells_config_and_test_files_by_name() {
        assert_eq!(kind_of("file:///w/rulec.yaml", "rules_files: [a.yaml]\n"), FileKind::Config);
        assert_eq!(kind_of("file:///w/x.tests.yaml", "cases: []\n"), FileKind::Tests);
    }
}
