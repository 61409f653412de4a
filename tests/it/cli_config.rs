//! `rulec run --config rulec.yaml` end to end over a recorded capture: the file's settings apply
//! (rules files relative to it, JSON output, a file output, its `rules:` selection, a rate
//! limit), flags override them, and a file with mistakes stops the run with each problem at its
//! line and column and a stable code (E0701 shape, E0702 unknown key, E0703 bad value). The
//! JSON Schema in docs/ names exactly the keys the reader knows. Needs `../shared` (the capture).

use std::path::Path;
use std::process::Command;

/// The two rules of the outputs tests (Any open: Notice, tag a; Any close: Debug, tag b).
use super::cli_outputs::RULES;

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rulec")).args(args).output().expect("rulec runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("rulec-config-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8")
}

#[test]
fn the_files_settings_apply_and_flags_override_them() {
    let Some(capture) = rulec_test_support::shared("captures/libs-curl_google.scap") else { return };
    let dir = temp("apply");
    std::fs::write(dir.join("rules.yaml"), RULES).expect("rules");
    let config = dir.join("rulec.yaml");
    std::fs::write(
        &config,
        "rules_files: [rules.yaml]\njson_output: true\nfile_output: {path: alerts.jsonl}\nrules:\n  - disable: {tag: b}\nrate_limit: {rate: 0.001, burst: 5}\n",
    )
    .expect("config");
    let (status, stdout, stderr) = run(&["run", "--config", s(&config), "--replay", s(&capture)]);
    assert_eq!(status, 0, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 5, "the burst of the one enabled rule:\n{stdout}\n{stderr}");
    for l in &lines {
        let doc: serde_json::Value = serde_json::from_str(l).expect("JSON, from json_output");
        assert_eq!(doc["rule"], "Any open");
    }
    let file = std::fs::read_to_string(dir.join("alerts.jsonl")).expect("the file output, relative to the config");
    assert_eq!(file.lines().collect::<Vec<_>>(), lines);
    // A flag overrides the file: text output, and a second selection item after the file's.
    let (status, stdout, stderr) =
        run(&["run", "--config", s(&config), "--replay", s(&capture), "-o", "text", "--disable", "tag:a"]);
    assert_eq!(status, 0, "{stderr}");
    assert!(stdout.is_empty(), "both rules off: {stdout}");
}

#[test]
fn mistakes_are_reported_at_their_line_and_column() {
    let dir = temp("bad");
    let config = dir.join("rulec.yaml");
    std::fs::write(&config, "json_output: maybe\nrule_files: [x.yaml]\nwebhook: {timeout: 2}\n").expect("config");
    let (status, stdout, stderr) = run(&["run", "--config", s(&config), "--replay", "/nonexistent.scap"]);
    assert_eq!(status, 2, "{stderr}");
    assert!(stdout.is_empty());
    let path = s(&config);
    for want in [
        format!("{path}:1:14"),
        "E0703".to_string(),
        format!("{path}:2:1"),
        "E0702".to_string(),
        "rules_files".to_string(),
        format!("{path}:3:10"),
        "`webhook` needs `url`".to_string(),
        "the configuration has 3 error(s); nothing was started".to_string(),
    ] {
        assert!(stderr.contains(&want), "missing {want:?} in:\n{stderr}");
    }
    std::fs::write(&config, "a: 1\n---\nb: 2\n").expect("config");
    let (status, _, stderr) = run(&["run", "--config", s(&config)]);
    assert_eq!(status, 2);
    assert!(stderr.contains("E0701") && stderr.contains("one YAML document"), "{stderr}");
}

#[test]
fn the_json_schema_names_exactly_the_keys_the_reader_knows() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rulec-config.schema.json"))
            .expect("schema"),
    )
    .expect("JSON");
    let props = schema["properties"].as_object().expect("properties");
    let mut schema_keys: Vec<&str> = props.keys().map(String::as_str).collect();
    schema_keys.sort_unstable();
    let mut reader_keys: Vec<&str> = rulec::config::KEYS.iter().map(|(k, _)| *k).collect();
    reader_keys.sort_unstable();
    assert_eq!(schema_keys, reader_keys);
    for (key, sub) in rulec::config::KEYS {
        if sub.is_empty() {
            continue;
        }
        let mut s: Vec<&str> =
            props[*key]["properties"].as_object().expect("object key").keys().map(String::as_str).collect();
        s.sort_unstable();
        let mut r = sub.to_vec();
        r.sort_unstable();
        assert_eq!(s, r, "{key}");
    }
}

/// The example configurations shipped in the docs and in the DaemonSet's ConfigMap are valid.
#[test]
fn the_shipped_configurations_read_cleanly() {
    use rulec_compiler::FileId;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let example = std::fs::read_to_string(root.join("docs/examples/rulec.yaml")).expect("example");
    let (_, diags) = rulec::config::parse(FileId(0), &example);
    assert!(diags.is_empty(), "docs/examples/rulec.yaml: {diags:?}");
    let manifest = std::fs::read_to_string(root.join("runtime/deploy/k8s/daemonset.yaml")).expect("manifest");
    let (docs, diags) = rulec_compiler::yaml::parse(FileId(0), &manifest);
    assert!(diags.is_empty(), "{diags:?}");
    let embedded = docs
        .iter()
        .find(|d| d.get("kind").and_then(|(_, v)| v.as_scalar()).is_some_and(|s| s.value == "ConfigMap"))
        .and_then(|d| d.get("data"))
        .and_then(|(_, data)| data.get("rulec.yaml"))
        .and_then(|(_, v)| v.as_scalar())
        .map(|s| s.value.clone())
        .expect("the ConfigMap holds rulec.yaml");
    let (cfg, diags) = rulec::config::parse(FileId(0), &embedded);
    assert!(diags.is_empty(), "the DaemonSet's rulec.yaml: {diags:?}");
    assert_eq!(cfg.metrics_address.as_deref(), Some("0.0.0.0:8765"), "the probes' port");
}
