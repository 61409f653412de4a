//! Finding and loading test files: discovery under the given paths (`*.tests.yaml`,
//! `*.tests.yml`), reading each file and the rules it tests (named by `rules:`, where `stdlib`
//! is the embedded stdlib, or the rules file beside it), and building its suite. A file that
//! cannot be used keeps its diagnostics or its IO problem for the report; nothing here runs a
//! case or prints.

use std::path::{Path, PathBuf};

use rulec_compiler::{Diagnostic, FileId, Location, SourceFile};
use rulec_testing::Suite;
use rulec_testing::parse;

/// The file id test files get (rules files are numbered from 0).
const TEST_FILE_ID: FileId = FileId(1_000_000);

/// One test file as far as it got.
pub(super) struct Loaded {
    pub(super) path: PathBuf,
    /// The test file followed by its rules files, for rendering diagnostics.
    pub(super) files: Vec<SourceFile>,
    pub(super) diagnostics: Vec<Diagnostic>,
    pub(super) suite: Option<Suite>,
    /// An IO problem (unreadable file, missing rules file) in words.
    pub(super) problem: Option<String>,
}

/// Test files under `root`: the file itself when it is one, else every `*.tests.yaml` /
/// `*.tests.yml` below it (hidden directories and `target` skipped), sorted.
pub(super) fn discover(root: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let meta = std::fs::metadata(root).map_err(|e| format!("cannot read {}: {}", root.display(), io_reason(&e)))?;
    if meta.is_file() {
        out.push(root.to_path_buf());
        return Ok(());
    }
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let Ok(ft) = entry.file_type() else { continue };
            if ft.is_dir() {
                if !name.starts_with('.') && name != "target" {
                    stack.push(path);
                }
            } else if name.ends_with(".tests.yaml") || name.ends_with(".tests.yml") {
                found.push(path);
            }
        }
    }
    found.sort();
    out.extend(found);
    Ok(())
}

fn read_text(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {}", path.display(), io_reason(&e)))?;
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = valid.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let col = String::from_utf8_lossy(&valid[line_start..]).chars().count() + 1;
        format!("{}:{line}:{col}: not UTF-8 text; save the file as UTF-8", path.display())
    })
}

pub(super) fn io_reason(error: &std::io::Error) -> String {
    let message = error.to_string();
    match message.rfind(" (os error ") {
        Some(at) if message.ends_with(')') => message[..at].to_owned(),
        _ => message,
    }
}

/// The rules file beside a test file: `foo.tests.yaml` → `foo.yaml` (or `foo.yml`).
fn sibling_rules(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?.to_str()?;
    let stem = name.strip_suffix(".tests.yaml").or_else(|| name.strip_suffix(".tests.yml"))?;
    let dir = path.parent().unwrap_or(Path::new(""));
    [format!("{stem}.yaml"), format!("{stem}.yml")].into_iter().map(|n| dir.join(n)).find(|p| p.exists())
}

pub(super) fn load(path: &Path) -> Loaded {
    let mut l =
        Loaded { path: path.to_path_buf(), files: Vec::new(), diagnostics: Vec::new(), suite: None, problem: None };
    let text = match read_text(path) {
        Ok(t) => t,
        Err(e) => {
            l.problem = Some(e);
            return l;
        }
    };
    let test_src = SourceFile::new(TEST_FILE_ID, path.display().to_string(), text);
    let (file, diags) = parse(&test_src);
    l.files.push(test_src);
    l.diagnostics = diags;
    let Some(file) = file else { return l };
    if l.diagnostics.iter().any(Diagnostic::is_error) {
        return l;
    }
    let dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
    let test_loc = Location::new(TEST_FILE_ID, 0, 0);
    let rule_paths: Vec<(PathBuf, Location)> = if file.rules.is_empty() {
        match sibling_rules(path) {
            Some(p) => vec![(p, test_loc)],
            None => {
                l.problem = Some(format!(
                    "{}: the file names no `rules:` and there is no rules file beside it (for `NAME.tests.yaml`, `NAME.yaml`)",
                    path.display()
                ));
                return l;
            }
        }
    } else {
        file.rules.iter().map(|(p, loc)| (dir.join(p), *loc)).collect()
    };
    let mut sources: Vec<SourceFile> = Vec::new();
    for (p, loc) in &rule_paths {
        // `rules: [stdlib]` names the embedded stdlib's files.
        if p.strip_prefix(&dir).is_ok_and(|rel| crate::cli::stdlib::is_stdlib(rel)) {
            sources.extend(crate::cli::stdlib::sources(sources.len() as u32));
            continue;
        }
        match read_text(p) {
            Ok(text) => sources.push(SourceFile::new(FileId(sources.len() as u32), p.display().to_string(), text)),
            Err(e) => {
                l.diagnostics.push(Diagnostic::new(rulec_compiler::Code::TestRulesFile, *loc, e));
                return l;
            }
        }
    }
    l.files.extend(sources.iter().cloned());
    match Suite::new(file, sources, dir, test_loc) {
        Ok(s) => l.suite = Some(s),
        Err(d) => l.diagnostics.extend(d),
    }
    l
}
