//! The stdlib ruleset embedded at build time: the one list of its files, in load order. `rulec
//! run` without `--rules`, `rulec check --with-stdlib`, `rulec stdlib` and the language server all
//! read it from here. Adding a rules file to the stdlib means adding it to [`FILES`] (a test fails
//! when a `.yaml` rules file of the folder is missing from it). [`TESTS`] embeds the golden tests
//! beside them, so that `rulec stdlib doc` can say which rules are tested.

/// One embedded rules file: its path relative to the repository root (what diagnostics and
/// `rule.file` show) and its text.
#[derive(Debug, Clone, Copy)]
pub struct StdlibFile {
    pub path: &'static str,
    pub text: &'static str,
}

macro_rules! stdlib_files {
    ($($name:literal),* $(,)?) => {
        &[$(StdlibFile { path: concat!("stdlib-rules/", $name), text: include_str!(concat!("../", $name)) }),*]
    };
}

/// The stdlib's rules files in load order: shared macros and lists first, then the themed files
/// whose rules use them.
#[rustfmt::skip]
pub const FILES: &[StdlibFile] = stdlib_files![
    "macros.yaml",
    "credential_access.yaml",
    "persistence.yaml",
    "privilege.yaml",
    "defense_evasion.yaml",
    "execution.yaml",
    "containers.yaml",
    "network.yaml",
    "kernel.yaml",
    "impact.yaml",
    "discovery.yaml",
    "lateral_movement.yaml",
    "exfiltration.yaml",
    "command_and_control.yaml",
    "collection.yaml",
];

/// The stdlib's golden-test files (`*.tests.yaml`), in any order; a test fails when one of the
/// folder is missing.
#[rustfmt::skip]
pub const TESTS: &[StdlibFile] = stdlib_files![
    "collection.tests.yaml",
    "command_and_control.tests.yaml",
    "containers.tests.yaml",
    "credential_access.tests.yaml",
    "defense_evasion.tests.yaml",
    "discovery.tests.yaml",
    "execution.tests.yaml",
    "exfiltration.tests.yaml",
    "impact.tests.yaml",
    "kernel.tests.yaml",
    "lateral_movement.tests.yaml",
    "network.tests.yaml",
    "persistence.tests.yaml",
    "privilege.tests.yaml",
];

/// The name that stands for the whole embedded stdlib where a rules file could be named
/// (`rulec bench --rules stdlib`, `rules: [stdlib]` in a test file).
pub const NAME: &str = "stdlib";

#[cfg(test)]
mod tests {
    use super::{FILES, StdlibFile, TESTS};

    /// The folder's rules files (`tests: false`) or golden-test files (`tests: true`), sorted;
    /// `expected-alerts.yaml` is neither (the false-positive check's allowlist).
    fn on_disk(tests: bool) -> Vec<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".yaml") && n.ends_with(".tests.yaml") == tests)
            .filter(|n| n != "expected-alerts.yaml")
            .map(|n| format!("stdlib-rules/{n}"))
            .collect();
        names.sort();
        names
    }

    fn listed(files: &[StdlibFile]) -> Vec<String> {
        let mut names: Vec<String> = files.iter().map(|f| f.path.to_string()).collect();
        names.sort();
        names
    }

    /// Every rules file of the folder is embedded, and every embedded file exists.
    #[test]
    fn files_lists_every_rules_file_of_the_folder() {
        assert_eq!(
            listed(FILES),
            on_disk(false),
            "stdlib-rules/src/lib.rs FILES must list every rules file of stdlib-rules/"
        );
    }

    /// Every golden-test file of the folder is embedded, and every embedded one exists.
    #[test]
    fn tests_lists_every_test_file_of_the_folder() {
        assert_eq!(
            listed(TESTS),
            on_disk(true),
            "stdlib-rules/src/lib.rs TESTS must list every *.tests.yaml of stdlib-rules/"
        );
    }
}
