//! The project file, `rulec.toml`: what `rulec test` runs when it is given no path, like
//! pytest's `testpaths`. It is found by looking in the current directory and then in each
//! parent; the first one wins. Its `tests` paths are relative to the file's own directory.
//!
//! ```toml
//! tests = ["stdlib-rules", "tests/golden"]
//! ```
//!
//! A file that cannot be used (bad TOML, an unknown key, a path that does not exist) is an
//! error with `file:line:col`, never a silent fall back to searching the current directory.
//! This module only reads the file; discovery under the paths is `files.rs`'s job.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

/// The project file's name.
pub(super) const FILE_NAME: &str = "rulec.toml";

/// The file's shape. Unknown keys are errors, so a misspelt `test = [...]` is not ignored.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectFile {
    tests: Spanned<Vec<Spanned<String>>>,
}

/// The nearest `rulec.toml` from the current directory upwards, as a path relative to the
/// current directory (`rulec.toml`, `../rulec.toml`, ...), so that the paths it names print as
/// short relative paths; `None` when there is none.
pub(super) fn find() -> Option<PathBuf> {
    let cwd = std::env::current_dir().ok()?;
    let mut relative = PathBuf::new();
    for dir in cwd.ancestors() {
        if dir.join(FILE_NAME).is_file() {
            return Some(relative.join(FILE_NAME));
        }
        relative.push("..");
    }
    None
}

/// The test paths the project file at `path` names, joined to its directory; the error is one
/// line, `file:line:col: message`.
pub(super) fn load(path: &Path) -> Result<Vec<PathBuf>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let at = |offset: usize, message: &str| {
        let (line, col) = line_col(&text, offset);
        format!("{}:{line}:{col}: {message}", path.display())
    };
    let file: ProjectFile = toml::from_str(&text).map_err(|e| {
        let message = e.message().trim_end();
        at(e.span().map_or(0, |s| s.start), message)
    })?;
    let dir = path.parent().unwrap_or(Path::new(""));
    if file.tests.get_ref().is_empty() {
        return Err(at(file.tests.span().start, "`tests` names no path: list the test files or directories to run"));
    }
    let mut tests = Vec::new();
    for entry in file.tests.get_ref() {
        let joined = dir.join(entry.get_ref());
        if !joined.exists() {
            return Err(at(
                entry.span().start,
                &format!("`{}` does not exist (paths are relative to this file)", entry.get_ref()),
            ));
        }
        tests.push(joined);
    }
    Ok(tests)
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> Result<Vec<PathBuf>, String> {
        let dir = std::env::temp_dir().join(format!("rulec-project-{}-{}", std::process::id(), text.len()));
        std::fs::create_dir_all(dir.join("rules")).expect("temp dir");
        let path = dir.join(FILE_NAME);
        std::fs::write(&path, text).expect("temp file");
        let result = load(&path).map_err(|e| e.replace(&dir.display().to_string(), "DIR"));
        let _ = std::fs::remove_dir_all(&dir);
        result
    }

    #[test]
    fn paths_are_relative_to_the_file() {
        let tests = load_text("tests = [\"rules\"]\n").expect("loads");
        assert!(tests[0].ends_with("rules") && tests[0].is_absolute(), "{tests:?}");
    }

    #[test]
    fn errors_say_file_line_and_column() {
        assert_eq!(
            load_text("tests = [\"rules\",\n  \"nope\"]\n").expect_err("an error"),
            "DIR/rulec.toml:2:3: `nope` does not exist (paths are relative to this file)"
        );
        assert_eq!(
            load_text("tests = []\n").expect_err("an error"),
            "DIR/rulec.toml:1:9: `tests` names no path: list the test files or directories to run"
        );
        let unknown = load_text("tests = [\"rules\"]\ntest = 1\n").expect_err("an error");
        assert!(unknown.starts_with("DIR/rulec.toml:2:1: unknown field `test`"), "{unknown}");
        let bad = load_text("tests = [\"rules\"\n").expect_err("an error");
        assert!(bad.starts_with("DIR/rulec.toml:"), "{bad}");
        let wrong_type = load_text("tests = \"rules\"\n").expect_err("an error");
        assert!(wrong_type.starts_with("DIR/rulec.toml:1:9: "), "{wrong_type}");
        let missing = load_text("\n").expect_err("an error");
        assert!(missing.contains("missing field `tests`"), "{missing}");
    }

    #[test]
    fn columns_count_characters() {
        assert_eq!(line_col("é = 1\nab", 7), (2, 1));
        assert_eq!(line_col("é = 1", 3), (1, 3));
    }
}
