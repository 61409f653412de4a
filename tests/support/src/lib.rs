//! The one way tests find the project's shared data: `../shared` beside the checkout (upstream
//! Falco rules, `.scap` captures, reference tables; see `../shared/README.md`).
//!
//! A developer's checkout may lack it, so a test that needs it skips with a message saying what
//! is missing. CI always has it, and there a missing directory is a broken setup rather than a
//! reason to skip: with `RULEC_REQUIRE_SHARED=1` in the environment (`.ci/run` sets it) the
//! helper panics with a message instead, so a test cannot pass by skipping silently.
//!
//! The same holds for the live kernel: tests that load the eBPF probe ask [`kernel`], which skips
//! with a message without root and BTF, and panics under `RULEC_REQUIRE_KERNEL=1` (CI runs as
//! root on a kernel with BTF).
//!
//! This crate has no dependencies and knows nothing of rulec: it only answers "where is it" and
//! "can the probe run here".

pub mod http;

use std::path::{Path, PathBuf};

/// The environment variable that turns a skip into a failure.
pub const REQUIRE_VAR: &str = "RULEC_REQUIRE_SHARED";

/// Where `../shared/REL` would be, whether or not it exists: for optional extras a test can do
/// without (it still goes through this crate, so there is one definition of the place).
pub fn shared_path(rel: &str) -> PathBuf {
    shared_root().join(rel)
}

/// `../shared/REL` when it exists. When it does not: `None` after printing why the test is
/// skipped, or, under `RULEC_REQUIRE_SHARED=1`, a panic naming what is missing.
///
/// The usual call is `let Some(dir) = rulec_test_support::shared("conformance/falco") else { return };`.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let path = shared_path(rel);
    if path.exists() {
        return Some(path);
    }
    let what =
        format!("../shared/{rel} (the project's shared data, see ../shared/README.md) is not at {}", path.display());
    if required() {
        panic!("{REQUIRE_VAR}=1 and {what}; this test must not be skipped here");
    }
    eprintln!("skipping: {what} (set {REQUIRE_VAR}=1 to make this an error)");
    None
}

/// The files of `../shared/REL` whose extension is `ext`, sorted by path; none when the
/// directory is absent (after [`shared`]'s message, or its panic where the data is required).
///
/// The usual call is `rulec_test_support::shared_files("captures", "scap")`.
pub fn shared_files(rel: &str, ext: &str) -> Vec<PathBuf> {
    let Some(dir) = shared(rel) else { return Vec::new() };
    let entries =
        std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{} is not a readable directory: {e}", dir.display()));
    let mut files: Vec<PathBuf> =
        entries.filter_map(|e| Some(e.ok()?.path())).filter(|p| p.extension().is_some_and(|x| x == ext)).collect();
    files.sort();
    files
}

/// The environment variable that makes "cannot load the probe here" a failure.
pub const REQUIRE_KERNEL_VAR: &str = "RULEC_REQUIRE_KERNEL";

/// Whether this process can load the eBPF probe: root (effective uid 0) and kernel BTF. When it
/// cannot: `false` after printing why `test` is skipped, or, under `RULEC_REQUIRE_KERNEL=1`, a
/// panic saying what is missing.
///
/// The usual call is `if !rulec_test_support::kernel("live rulec run") { return; }`.
pub fn kernel(test: &str) -> bool {
    let root = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Uid:")).map(|l| l.split_whitespace().nth(2) == Some("0")))
        .unwrap_or(false);
    let btf = Path::new("/sys/kernel/btf/vmlinux").exists();
    if root && btf {
        return true;
    }
    let what = format!("{test} needs root and kernel BTF (root: {root}, /sys/kernel/btf/vmlinux: {btf})");
    if std::env::var_os(REQUIRE_KERNEL_VAR).is_some_and(|v| v == "1") {
        panic!("{REQUIRE_KERNEL_VAR}=1 and {what}; this test must not be skipped here");
    }
    eprintln!("skipping: {what} (set {REQUIRE_KERNEL_VAR}=1 to make this an error)");
    false
}

/// Whether a missing `../shared` is an error in this environment.
pub fn required() -> bool {
    std::env::var_os(REQUIRE_VAR).is_some_and(|v| v == "1")
}

/// `../shared`: the directory beside the workspace root (this crate is `tests/support/`).
fn shared_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let workspace = manifest.parent().and_then(Path::parent).unwrap_or(manifest);
    let parent = workspace.parent().unwrap_or(workspace);
    parent.join("shared")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    /// Set in the child process: the test below then asks for a directory that is not there.
    const CHILD_VAR: &str = "RULEC_TEST_SUPPORT_CHILD";

    /// Runs in the child process only (in the parent it returns at once): asks for a part of
    /// `../shared` that no checkout has.
    #[test]
    fn child_asks_for_a_missing_directory() {
        if std::env::var_os(CHILD_VAR).is_none() {
            return;
        }
        let found = shared("no-such-directory-for-this-test");
        assert!(found.is_none(), "the directory cannot exist");
    }

    /// Runs `child_asks_for_a_missing_directory` in a child process with `require` as the value
    /// of the variable; returns (succeeded, stderr).
    fn child(require: Option<&str>) -> (bool, String) {
        let exe = std::env::current_exe().expect("the test binary's path");
        let mut cmd = Command::new(exe);
        cmd.args(["--exact", "tests::child_asks_for_a_missing_directory", "--nocapture", "--test-threads=1"])
            .env(CHILD_VAR, "1");
        match require {
            Some(v) => cmd.env(REQUIRE_VAR, v),
            None => cmd.env_remove(REQUIRE_VAR),
        };
        let out = cmd.output().expect("the test binary runs again");
        (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
    }

    #[test]
    fn a_missing_directory_fails_when_required() {
        let (ok, stderr) = child(Some("1"));
        assert!(!ok, "RULEC_REQUIRE_SHARED=1 with a missing directory must fail the test\n{stderr}");
        assert!(stderr.contains("RULEC_REQUIRE_SHARED=1"), "{stderr}");
        assert!(stderr.contains("../shared/no-such-directory-for-this-test"), "{stderr}");
    }

    #[test]
    fn a_missing_directory_skips_otherwise() {
        for require in [None, Some("0")] {
            let (ok, stderr) = child(require);
            assert!(ok, "{require:?}: a missing directory is a skip\n{stderr}");
            assert!(stderr.contains("skipping: ../shared/no-such-directory-for-this-test"), "{stderr}");
        }
    }

    #[test]
    fn the_path_is_beside_the_workspace() {
        let p = shared_path("conformance/falco");
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        assert_eq!(
            p.parent().and_then(Path::parent).and_then(Path::parent).map(Path::to_path_buf),
            std::fs::canonicalize(&root).ok().and_then(|r| r.parent().map(Path::to_path_buf)),
            "{}",
            p.display()
        );
    }
}
