//! The embedded stdlib through the binary: `rulec stdlib list|show|doc`, `rulec check
//! --with-stdlib`, `rulec test` with `rules: [stdlib]`, docs/stdlib.md kept equal to the
//! generator, the issue-12 counts and conventions (from `rulec stdlib list --format json`, which
//! derives everything from the rules), and the false-positive check over ../shared/captures.

use std::collections::BTreeMap;
use std::path::Path;

use crate::rulec;
use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Exit status, stdout and stderr of `rulec ARGS` run from the package root.

/// Every stdlib rule as `rulec stdlib list --format json` describes it.
fn rules() -> Vec<Value> {
    let (status, stdout, stderr) = rulec(&["stdlib", "list", "--format", "json"]);
    assert_eq!(status, 0, "{stderr}");
    serde_json::from_str::<Value>(&stdout).expect("JSON").as_array().cloned().expect("an array")
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect()).unwrap_or_default()
}

#[test]
fn list_and_show() {
    let (status, stdout, _) = rulec(&["stdlib", "list"]);
    assert_eq!(status, 0);
    assert!(stdout.starts_with("RULE "), "{stdout}");
    let listed = rules();
    assert!(stdout.ends_with(&format!("{} rules\n", listed.len())), "{stdout}");
    let place = |r: &Value| format!("{}:{}", r["file"].as_str().unwrap_or_default(), r["line"]);
    for r in &listed {
        assert!(stdout.contains(r["name"].as_str().unwrap_or("?")) && stdout.contains(&place(r)), "{r}\n{stdout}");
    }

    let (status, stdout, _) = rulec(&["stdlib", "show", "Shell spawned in a container"]);
    assert_eq!(status, 0);
    let shell = listed.iter().find(|r| r["name"] == "Shell spawned in a container").expect("the rule is listed");
    assert!(stdout.starts_with(&format!("# rule `Shell spawned in a container` at {}\n", place(shell))), "{stdout}");
    assert!(stdout.contains("- rule: Shell spawned in a container\n  desc:"), "{stdout}");
    // The expanded condition replaces the macros by their text.
    assert!(stdout.contains("# condition with macros expanded\n") && stdout.contains("evt.type in (execve, execveat)"));
    let (status, stdout, _) = rulec(&["stdlib", "show", "spawned_process"]);
    assert_eq!(status, 0);
    assert!(stdout.contains("- macro: spawned_process\n  condition:"), "{stdout}");

    let (status, stdout, stderr) = rulec(&["stdlib", "show", "shell_binarys"]);
    assert_eq!((status, stdout.as_str()), (2, ""));
    assert!(
        stderr.contains("no rule, macro or list named `shell_binarys`") && stderr.contains("`shell_binaries`"),
        "{stderr}"
    );
}

/// A user's file that appends to a stdlib list and overrides a stdlib macro: clean with
/// `--with-stdlib`, unknown names without it; a mistake in it is reported in the user's file,
/// and a stdlib file's own name shows in the summary.
#[test]
fn check_with_stdlib() {
    let dir = std::env::temp_dir().join(format!("rulec-stdlib-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let user = dir.join("user.yaml");
    std::fs::write(&user, USER).unwrap();
    let user = user.display().to_string();

    let (status, stdout, _) = rulec(&["check", "--with-stdlib", &user]);
    assert_eq!(status, 0, "{stdout}");
    let first = format!("{}: ok\n", rulec_stdlib::FILES[0].path);
    assert!(stdout.starts_with(&first) && stdout.ends_with(&format!("{user}: ok\n")), "{stdout}");

    let (status, stdout, _) = rulec(&["check", "--format", "json", &user]);
    assert_eq!(status, 1, "{stdout}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let codes: Vec<&str> =
        report["diagnostics"].as_array().unwrap().iter().filter_map(|d| d["name"].as_str()).collect();
    assert!(codes.contains(&"undefined-macro"), "{codes:?}");

    std::fs::write(dir.join("bad.yaml"), USER.replace("spawned_process and", "spawned_proces and")).unwrap();
    let bad = dir.join("bad.yaml").display().to_string();
    let (status, stdout, _) = rulec(&["check", "--with-stdlib", "--format", "json", &bad]);
    assert_eq!(status, 1);
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let files = strings(&Value::Array(report["files"].as_array().unwrap().iter().map(|f| f["file"].clone()).collect()));
    assert!(files.first().is_some_and(|f| f.starts_with("stdlib-rules/")) && files.last() == Some(&bad), "{files:?}");
    let diag = &report["diagnostics"][0];
    assert_eq!(
        (diag["file"].as_str(), diag["hint"].as_str()),
        (Some(bad.as_str()), Some("did you mean `spawned_process`?"))
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The user file the language server's stdlib tests use too.
const USER: &str = include_str!("../fixtures/stdlib_user.yaml");

/// A test file can name the embedded stdlib as its rules.
#[test]
fn test_files_can_name_the_stdlib() {
    let dir = std::env::temp_dir().join(format!("rulec-stdlib-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("mine.tests.yaml");
    std::fs::write(
        &file,
        "rules: [stdlib]\ncases:\n  - name: a shell in a container\n    rule: Shell spawned in a container\n    world:\n      processes:\n        - {pid: 200, exe: /usr/sbin/nginx, container: {id: abc123def456, name: web}}\n    events:\n      - {pid: 200, execve: {exe: /bin/sh, args: [-c, id]}}\n    expect:\n      - {rule: Shell spawned in a container}\n",
    )
    .unwrap();
    let (status, stdout, stderr) = rulec(&["test", &file.display().to_string()]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(status, 0, "{stdout}{stderr}");
}

#[test]
fn docs_stdlib_md_is_generated_from_the_rules() {
    let (status, generated, stderr) = rulec(&["stdlib", "doc"]);
    assert_eq!(status, 0, "{stderr}");
    let on_disk = std::fs::read_to_string(Path::new(ROOT).join("docs/stdlib.md")).unwrap_or_default();
    assert!(
        on_disk == generated,
        "docs/stdlib.md differs from what the rules say: regenerate it with `cargo run -- stdlib doc > docs/stdlib.md`"
    );
}

/// The issue's thresholds (issue 12).
const MIN_RULES: usize = 60;
const MIN_TACTICS: usize = 10;

/// The stdlib's conventions, rule by rule: a description, an ATT&CK tactic (`TA00NN`) and
/// technique (`TNNNN`) tag, and an output naming the process, its parent, the user and the
/// container.
#[test]
fn every_rule_follows_the_stdlib_conventions() {
    let mut problems = Vec::new();
    for r in rules() {
        let name = r["name"].as_str().unwrap_or_default();
        let output = r["output"].as_str().unwrap_or_default();
        let mut missing = Vec::new();
        if r["desc"].as_str().is_none_or(str::is_empty) {
            missing.push("a desc".to_owned());
        }
        if strings(&r["tactics"]).is_empty() {
            missing.push("a TA00NN tactic tag".to_owned());
        }
        if strings(&r["techniques"]).is_empty() {
            missing.push("a TNNNN technique tag".to_owned());
        }
        let parent = output.contains("%proc.pname") || output.contains("%proc.aname");
        for (field, present) in [
            ("%proc.name", output.contains("%proc.name")),
            ("%proc.pname (or %proc.aname)", parent),
            ("%user.name", output.contains("%user.name")),
            ("%container.id", output.contains("%container.id")),
        ] {
            if !present {
                missing.push(format!("{field} in its output"));
            }
        }
        if !missing.is_empty() {
            problems.push(format!(
                "{name} ({}:{}) lacks {}",
                r["file"].as_str().unwrap_or(""),
                r["line"],
                missing.join(", ")
            ));
        }
    }
    assert!(problems.is_empty(), "stdlib rules that break its conventions:\n{}", problems.join("\n"));
}

/// The counts issue 12 asks for: printed (visible with `--nocapture`), and held to the
/// thresholds.
#[test]
fn stdlib_counts_meet_issue_12() {
    let rules = rules();
    let mut tactics: Vec<String> = rules.iter().flat_map(|r| strings(&r["tactics"])).collect();
    tactics.sort();
    tactics.dedup();
    let tested = |r: &&Value| r["positive"].as_u64() > Some(0) && r["negative"].as_u64() > Some(0);
    let untested: Vec<&str> = rules.iter().filter(|r| !tested(r)).filter_map(|r| r["name"].as_str()).collect();
    let n_tested = rules.len() - untested.len();
    eprintln!(
        "stdlib: {} rules, {} ATT&CK tactics ({}), {} rules with a positive and a negative golden case",
        rules.len(),
        tactics.len(),
        tactics.join(", "),
        n_tested
    );
    assert!(rules.len() >= MIN_RULES, "{} stdlib rules, issue 12 wants at least {MIN_RULES}", rules.len());
    assert!(tactics.len() >= MIN_TACTICS, "{} tactics, issue 12 wants at least {MIN_TACTICS}", tactics.len());
    assert!(untested.is_empty(), "rules without both a positive and a negative case: {untested:?}");
}

/// One expected alert count of the false-positive check, with why it is right.
#[derive(Debug)]
struct Expected {
    capture: String,
    rule: String,
    count: u64,
}

/// Reads stdlib-rules/expected-alerts.yaml with the compiler's YAML reader.
fn expected_alerts() -> Vec<Expected> {
    let path = Path::new(ROOT).join("stdlib-rules/expected-alerts.yaml");
    let text = std::fs::read_to_string(&path).expect("stdlib-rules/expected-alerts.yaml");
    let (docs, diags) = rulec_compiler::yaml::parse(rulec_compiler::FileId(0), &text);
    assert!(diags.is_empty(), "expected-alerts.yaml: {diags:?}");
    let scalar = |n: &rulec_compiler::yaml::Node, key: &str| {
        n.get(key).and_then(|(_, v)| v.as_scalar()).map(|s| s.value.clone()).unwrap_or_default()
    };
    let items = docs.first().and_then(|d| d.as_seq()).unwrap_or_default();
    items
        .iter()
        .map(|n| {
            let e = Expected {
                capture: scalar(n, "capture"),
                rule: scalar(n, "rule"),
                count: scalar(n, "count").parse().unwrap_or(0),
            };
            assert!(
                !scalar(n, "reason").trim().is_empty() && !e.capture.is_empty() && !e.rule.is_empty() && e.count > 0,
                "expected-alerts.yaml: every entry needs capture, rule, a count > 0 and a reason: {e:?}"
            );
            e
        })
        .collect()
}

/// The whole stdlib replayed over every capture of ../shared/captures (ordinary workloads)
/// raises exactly the alerts listed, with their reasons, in stdlib-rules/expected-alerts.yaml.
#[test]
fn stdlib_false_positives_on_the_shared_captures() {
    let Some(dir) = rulec_test_support::shared("captures") else { return };
    let mut captures: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "scap" || x == "gz"))
        .collect();
    captures.sort();
    assert!(!captures.is_empty(), "no captures in {}", dir.display());
    let mut actual: BTreeMap<(String, String), u64> = BTreeMap::new();
    for capture in &captures {
        let name = capture.file_name().unwrap().to_string_lossy().into_owned();
        let (status, stdout, stderr) = rulec(&["run", "--replay", &capture.display().to_string(), "-o", "json"]);
        assert_eq!(status, 0, "rulec run --replay {name}: {stderr}");
        for line in stdout.lines().filter(|l| l.starts_with('{')) {
            let alert: Value = serde_json::from_str(line).expect("one JSON alert per line");
            let rule = alert["rule"].as_str().unwrap_or_default().to_owned();
            *actual.entry((name.clone(), rule)).or_default() += 1;
        }
    }
    let expected: BTreeMap<(String, String), u64> =
        expected_alerts().into_iter().map(|e| ((e.capture, e.rule), e.count)).collect();
    let mut fix = Vec::new();
    for ((capture, rule), n) in &actual {
        match expected.get(&(capture.clone(), rule.clone())) {
            Some(m) if m == n => {}
            Some(m) => fix.push(format!("change the count of `{rule}` on {capture} from {m} to {n} (and its reason)")),
            None => fix.push(format!(
                "`{rule}` raised {n} alert(s) on {capture}: fix the rule, or add to stdlib-rules/expected-alerts.yaml:\n  - capture: {capture}\n    rule: {rule}\n    count: {n}\n    reason: <why this alert is right>"
            )),
        }
    }
    for ((capture, rule), m) in &expected {
        if !actual.contains_key(&(capture.clone(), rule.clone())) {
            fix.push(format!(
                "remove `{rule}` on {capture} ({m} expected, none raised) from stdlib-rules/expected-alerts.yaml"
            ));
        }
    }
    assert!(
        fix.is_empty(),
        "the stdlib's alerts on the captures of {} differ from stdlib-rules/expected-alerts.yaml:\n{}",
        dir.display(),
        fix.join("\n")
    );
}
