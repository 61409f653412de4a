//! The server's reading of the workspace: the project's load order from its `rulec.yaml` (read
//! by the one reader of that file, `rulec_compiler::config`) or from a `falco.yaml`, and the
//! workspace's rules files, found by content, for the index that orders an open file's
//! dependencies when neither exists.
//!
//! Part of [`super`], the only module that does IO: nothing here talks to the client.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rulec_compiler::FileId;
use rulec_compiler::yaml::{self, NodeKind};

use crate::analysis::{FileText, LoadOrigin};
use crate::file_kind::{self, FileKind};

/// The names of Falco's configuration file, looked for at the workspace root.
const FALCO_CONFIG_NAMES: &[&str] = &["falco.yaml", "falco.yml"];
/// Where Falco's packages install its rules, which a `falco.yaml` usually names.
const FALCO_ETC: &str = "/etc/falco/";
/// Folders never scanned for rules files.
const SKIPPED_DIRS: &[&str] = &["target", "node_modules"];
/// Bounds of the workspace scan: folder depth, YAML files read, size of one file.
const MAX_DEPTH: usize = 8;
const MAX_FILES: usize = 5_000;
const MAX_FILE_BYTES: u64 = 4 << 20;

/// The load order the project's configuration gives, most specific first: the root's
/// `rulec.yaml`, else its `falco.yaml`. `None` when neither exists or names any file.
pub fn project_load_order(root: &Path) -> Option<(LoadOrigin, Vec<PathBuf>)> {
    for name in file_kind::CONFIG_NAMES {
        let path = root.join(name);
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        let (cfg, _) = rulec_compiler::config::parse(FileId(0), &text);
        let files = expand(root, cfg.rules_files.iter().map(|p| p.to_string_lossy().into_owned()).collect());
        return Some((LoadOrigin::ProjectConfig(path), files));
    }
    for name in FALCO_CONFIG_NAMES {
        let path = root.join(name);
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        let files = falco_rules_files(&text).into_iter().map(|p| falco_path(root, &p)).collect();
        return Some((LoadOrigin::FalcoConfig(path), expand(root, files)));
    }
    None
}

/// `rules_files` of a `falco.yaml` (or `rules_file`, its older name), in order. Falco's file has
/// many keys rulec's configuration does not know, so only these two are read.
fn falco_rules_files(text: &str) -> Vec<String> {
    let (docs, _) = yaml::parse(FileId(0), text);
    let Some(doc) = docs.first() else { return Vec::new() };
    let Some((_, value)) = doc.get("rules_files").or_else(|| doc.get("rules_file")) else { return Vec::new() };
    match &value.kind {
        NodeKind::Seq(items) => items.iter().filter_map(|i| Some(i.as_scalar()?.value.clone())).collect(),
        NodeKind::Scalar(s) => vec![s.value.clone()],
        NodeKind::Map(_) => Vec::new(),
    }
}

/// Where a path from a `falco.yaml` is in the workspace: Falco's installed paths
/// (`/etc/falco/rules.d`) are taken from beside the `falco.yaml` when the workspace has them
/// there, as in a checkout of a host's `/etc/falco`.
fn falco_path(root: &Path, written: &str) -> String {
    let local = written.strip_prefix(FALCO_ETC).map(|rest| root.join(rest));
    match local {
        Some(p) if p.exists() => p.to_string_lossy().into_owned(),
        _ => written.to_owned(),
    }
}

/// Paths as written (relative to `root`), with each folder replaced by its YAML files in name
/// order, as Falco loads a folder.
fn expand(root: &Path, written: Vec<String>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for w in written {
        let path = if Path::new(&w).is_relative() { root.join(&w) } else { PathBuf::from(&w) };
        if path.is_dir() {
            let mut inside: Vec<PathBuf> = std::fs::read_dir(&path)
                .into_iter()
                .flatten()
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && is_yaml(p))
                .collect();
            inside.sort();
            out.extend(inside);
        } else {
            out.push(path);
        }
    }
    out
}

fn is_yaml(p: &Path) -> bool {
    p.extension().is_some_and(|e| e == "yaml" || e == "yml")
}

/// Every rules file under `root` (by content; configuration and test files left out), with its
/// text, within the scan's bounds. Hidden folders, `target` and `node_modules` are skipped.
pub fn scan_rules_files(root: &Path) -> Vec<FileText> {
    let mut out = Vec::new();
    let mut budget = MAX_FILES;
    walk(root, 0, &mut budget, &mut out);
    out
}

fn walk(dir: &Path, depth: usize, budget: &mut usize, out: &mut Vec<FileText>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            if depth < MAX_DEPTH && !SKIPPED_DIRS.contains(&name.as_str()) {
                walk(&path, depth + 1, budget, out);
            }
            continue;
        }
        if !is_yaml(&path) || *budget == 0 {
            continue;
        }
        *budget -= 1;
        if std::fs::metadata(&path).map_or(true, |m| m.len() > MAX_FILE_BYTES) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        if file_kind::kind_of(&name, &text) != FileKind::Rules {
            continue;
        }
        if let Some(uri) = super::path_uri(None, &path.to_string_lossy()) {
            out.push((uri, Arc::from(text)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_falco_yaml_rules_files_in_order() {
        let text = "watch_config_files: true\nrules_files:\n  - /etc/falco/falco_rules.yaml\n  - rules.d\n";
        assert_eq!(falco_rules_files(text), ["/etc/falco/falco_rules.yaml", "rules.d"]);
        assert_eq!(falco_rules_files("rules_file: [a.yaml]\n"), ["a.yaml"]);
        assert!(falco_rules_files("json_output: true\n").is_empty());
    }
}
