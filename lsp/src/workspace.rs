//! The workspace's rules files indexed by the names they define and use, so that an open file
//! with no configured load order is checked after the files that define what it uses, as
//! rust-analyzer resolves a crate against the crates it depends on.
//!
//! Pure: the server reads the files ([`crate::server`]) and hands their texts here. A file's
//! needs are the macros and lists its conditions and lists name, and the rules, macros and
//! lists it appends to or overrides, that it does not define itself and that the files loaded
//! before everything (the stdlib) do not define. Each need is met by one
//! file of the workspace (the one closest to the needing file, then the first by path), whose
//! own needs are met in turn; the files come out in dependency order, a file after the files it
//! needs.

use std::collections::HashSet;

use rulec_compiler::items::{Item, read_items};
use rulec_compiler::yaml;
use rulec_compiler::{FileId, SourceFile};
use tower_lsp_server::ls_types::{Range, Uri};

use crate::analysis::FileText;
use crate::convert;

/// What a definition defines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DefKind {
    Rule,
    Macro,
    List,
}

/// A definition written in a workspace file.
#[derive(Clone, Debug)]
pub struct Def {
    pub kind: DefKind,
    pub name: String,
    /// Where its name is written.
    pub range: Range,
}

/// One rules file of the workspace.
#[derive(Clone, Debug)]
pub struct IndexedFile {
    pub uri: Uri,
    /// Definitions that are not updates of an earlier one, in order.
    pub defines: Vec<Def>,
    /// Names used and not defined here: `(kind, name)`, in first-use order.
    pub needs: Vec<(DefKind, String)>,
}

/// Every rules file of the workspace, in path order.
#[derive(Clone, Debug, Default)]
pub struct WorkspaceIndex {
    pub files: Vec<IndexedFile>,
    /// What the files loaded before every file define: never a need.
    known: HashSet<(DefKind, String)>,
}

impl WorkspaceIndex {
    /// Indexes `files` (the server passes only rules files; others index as empty); `base` are
    /// the files loaded before every file (the stdlib), which are not indexed and whose
    /// definitions need no other file.
    pub fn build(files: &[FileText], base: &[FileText]) -> WorkspaceIndex {
        let mut files: Vec<IndexedFile> = files
            .iter()
            .filter(|(uri, _)| !base.iter().any(|(b, _)| b == uri))
            .map(|(uri, text)| index_file(uri, text))
            .collect();
        files.sort_by(|a, b| a.uri.as_str().cmp(b.uri.as_str()));
        let known =
            base.iter().flat_map(|(uri, text)| index_file(uri, text).defines).map(|d| (d.kind, d.name)).collect();
        WorkspaceIndex { files, known }
    }

    /// The workspace files to load before `uri` (whose text is `text`: the open buffer), in
    /// load order; never `uri` itself.
    pub fn load_order(&self, uri: &Uri, text: &str) -> Vec<Uri> {
        let me = index_file(uri, text);
        let mut order = Vec::new();
        let mut seen: HashSet<&str> = HashSet::from([uri.as_str()]);
        self.visit(&me, &mut seen, &mut order);
        order
    }

    /// Appends to `order` the files that meet `file`'s needs, each after its own.
    fn visit<'a>(&'a self, file: &IndexedFile, seen: &mut HashSet<&'a str>, order: &mut Vec<Uri>) {
        for (kind, name) in &file.needs {
            if self.known.contains(&(*kind, name.clone())) {
                continue;
            }
            let Some(provider) = self.provider(&file.uri, *kind, name) else { continue };
            if !seen.insert(provider.uri.as_str()) {
                continue;
            }
            self.visit(provider, seen, order);
            order.push(provider.uri.clone());
        }
    }

    /// The file that defines `name` for a file at `from`: the one sharing the longest folder
    /// prefix with it, then the first by path.
    fn provider(&self, from: &Uri, kind: DefKind, name: &str) -> Option<&IndexedFile> {
        self.files
            .iter()
            .filter(|f| &f.uri != from && f.defines.iter().any(|d| d.kind == kind && d.name == name))
            .max_by_key(|f| (common_folders(from.as_str(), f.uri.as_str()), std::cmp::Reverse(f.uri.as_str())))
    }

    /// Every definition of `name` of `kind` in the workspace, with its file.
    pub fn definitions(&self, kind: DefKind, name: &str) -> impl Iterator<Item = (&Uri, &Def)> {
        self.files
            .iter()
            .flat_map(|f| f.defines.iter().map(move |d| (&f.uri, d)))
            .filter(move |(_, d)| d.kind == kind && d.name == name)
    }
}

/// How many leading folders two paths share.
fn common_folders(a: &str, b: &str) -> usize {
    let folders = |s: &str| -> Vec<String> {
        let mut parts: Vec<String> = s.split('/').map(str::to_owned).collect();
        parts.pop();
        parts
    };
    folders(a).iter().zip(folders(b).iter()).take_while(|(x, y)| x == y).count()
}

/// What one file defines and needs.
pub fn index_file(uri: &Uri, text: &str) -> IndexedFile {
    let source = SourceFile::new(FileId(0), uri.as_str(), text.to_owned());
    let (docs, mut diags) = yaml::parse(source.id, &source.text);
    let items = read_items(&source.text, &docs, &mut diags);
    let mut defines: Vec<Def> = Vec::new();
    let mut used: Vec<(DefKind, String)> = Vec::new();
    for item in &items {
        let (kind, name, update, condition) = match item {
            Item::Rule(r) => (DefKind::Rule, &r.name, &r.update, r.condition.as_ref()),
            Item::Macro(m) => (DefKind::Macro, &m.name, &m.update, m.condition.as_ref()),
            Item::List(l) => {
                for (value, _) in l.items.iter().flat_map(|k| k.value.iter()) {
                    used.push((DefKind::List, value.clone()));
                }
                (DefKind::List, &l.name, &l.update, None)
            }
            Item::RequiredEngineVersion(_) | Item::RequiredPluginVersions(_) => continue,
        };
        let defined_here = defines.iter().any(|d| d.kind == kind && d.name == name.value);
        if update.is_update() && !defined_here {
            used.push((kind, name.value.clone()));
        } else if !update.is_update() {
            let range = convert::range(&source, name.loc.start as usize, name.loc.end as usize);
            defines.push(Def { kind, name: name.value.clone(), range });
        }
        if let Some(cond) = condition {
            let parsed = rulec_grammar::parse_condition(cond.value.as_str());
            if let Some(expr) = &parsed.expr {
                used.extend(expr.macro_refs().into_iter().map(|id| (DefKind::Macro, id.name.clone())));
                for check in expr.checks() {
                    if let Some(rulec_grammar::ast::Rhs::List(l)) = &check.rhs {
                        let bare = l.items.iter().filter(|i| i.quote.is_none());
                        used.extend(bare.map(|i| (DefKind::List, i.value.clone())));
                    }
                }
            }
        }
    }
    let mut needs: Vec<(DefKind, String)> = Vec::new();
    for u in used {
        // A bare list item or value names a list only if some file defines one: unmet needs are
        // simply not met, so values are harmless here.
        if !defines.iter().any(|d| d.kind == u.0 && d.name == u.1) && !needs.contains(&u) {
            needs.push(u);
        }
    }
    IndexedFile { uri: uri.clone(), defines, needs }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn uri(p: &str) -> Uri {
        format!("file:///w/{p}").parse().expect("uri")
    }

    fn index(files: &[(&str, &str)]) -> WorkspaceIndex {
        let texts: Vec<FileText> = files.iter().map(|(p, t)| (uri(p), Arc::from(*t))).collect();
        WorkspaceIndex::build(&texts, &[])
    }

    #[test]
    fn orders_the_files_a_file_needs_before_it() {
        let ws = index(&[
            (
                "falco_rules.yaml",
                "- list: shells\n  items: [bash]\n- macro: spawned_process\n  condition: evt.type = execve\n",
            ),
            ("extra.yaml", "- macro: shell_procs\n  condition: spawned_process and proc.name in (shells)\n"),
            ("unrelated.yaml", "- macro: other\n  condition: evt.type = open\n"),
        ]);
        let mine =
            "- rule: r\n  desc: d\n  condition: shell_procs and not other_thing\n  output: o\n  priority: INFO\n";
        let order = ws.load_order(&uri("mine.yaml"), mine);
        assert_eq!(order, vec![uri("falco_rules.yaml"), uri("extra.yaml")]);
    }

    #[test]
    fn appends_need_the_definition_and_the_closest_file_wins() {
        let ws = index(&[
            ("a/copy/falco_rules.yaml", "- list: shells\n  items: [bash]\n"),
            ("b/falco_rules.yaml", "- list: shells\n  items: [sh]\n"),
        ]);
        let mine = "- list: shells\n  items: [zsh]\n  override:\n    items: append\n";
        assert_eq!(ws.load_order(&uri("b/mine.yaml"), mine), vec![uri("b/falco_rules.yaml")]);
        // A file that defines what it uses needs nothing.
        assert!(ws.load_order(&uri("b/own.yaml"), "- list: shells\n  items: [a]\n").is_empty());
    }

    #[test]
    fn what_the_base_defines_is_not_needed() {
        let base: Vec<FileText> = vec![(uri("stdlib.yaml"), Arc::from("- list: shells\n  items: [bash]\n"))];
        let texts: Vec<FileText> = vec![(uri("falco_rules.yaml"), Arc::from("- list: shells\n  items: [sh]\n"))];
        let ws = WorkspaceIndex::build(&texts, &base);
        let mine = "- macro: m\n  condition: proc.name in (shells)\n";
        assert!(ws.load_order(&uri("mine.yaml"), mine).is_empty());
    }
}
