//! The stdlib ruleset embedded at build time: the one list of its files, in load order. `rulec
//! run` without `--rules`, `rulec check --with-stdlib`, `rulec stdlib` and the language server all
//! read it from here. Adding a rules file to the stdlib means adding it to [`FILES`] (a test fails
//! when a `.yaml` rules file of the folder is missing from it).

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

#[cfg(test)]
mod tests {
    use super::FILES;

    /// Every rules file of the folder is embedded, and every embedded file exists.
    #[test]
    fn files_lists_every_rules_file_of_the_folder() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".yaml") && !n.ends_with(".tests.yaml"))
            .map(|n| format!("stdlib-rules/{n}"))
            .collect();
        on_disk.sort();
        let mut listed: Vec<String> = FILES.iter().map(|f| f.path.to_string()).collect();
        listed.sort();
        assert_eq!(listed, on_disk, "stdlib-rules/src/lib.rs FILES must list every rules file of stdlib-rules/");
    }
}
