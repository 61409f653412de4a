//! End-to-end tests of `rulec test`: the example and golden suites on both backends, a failing
//! case's rendered diff and a bad test file's diagnostics (snapshots), JSON and JUnit output
//! (the JUnit XML checked against the JUnit schema), `--bless` round trips, filtering,
//! coverage, discovery, captures and exit statuses.
//!
//! The golden tests of the upstream Falco rules and the capture case read `../shared`; where it
//! is absent they are skipped with a message.

#![allow(clippy::unwrap_used)] // test code: a failure is the report

use std::path::{Path, PathBuf};
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn rulec_env(args: &[&str], env: &[(&str, &str)], dir: &Path) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rulec"));
    cmd.args(args).current_dir(dir).env("NO_COLOR", "1").env_remove("CI");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let output = cmd.output().expect("the rulec binary runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn rulec(args: &[&str]) -> (i32, String, String) {
    rulec_env(args, &[], Path::new(ROOT))
}

/// `../shared`, or `None` (with a message) when this checkout has none.
fn shared() -> Option<PathBuf> {
    rulec_test_support::shared("conformance/falco/falco_rules.yaml")?;
    rulec_test_support::shared("")
}

#[test]
fn example_rules_pass_on_both_backends() {
    for backend in ["interp", "jit"] {
        let (status, stdout, stderr) = rulec(&["test", "stdlib-rules", "--backend", backend, "--require-coverage"]);
        assert_eq!(status, 0, "{backend}\n{stdout}{stderr}");
        assert!(stdout.ends_with("225 passed, 0 failed\n"), "{stdout}");
        // Coverage is per rule of the file that defines it, each counted once however many
        // tests files load it.
        assert!(stdout.contains("coverage: 83 of 83 enabled rules have a positive and a negative case"), "{stdout}");
    }
}

#[test]
fn golden_tests_of_the_upstream_rules_pass_on_both_backends() {
    if shared().is_none() {
        return;
    }
    for backend in ["interp", "jit"] {
        let (status, stdout, stderr) = rulec(&["test", "tests/golden", "--backend", backend]);
        assert_eq!(status, 0, "{backend}\n{stdout}{stderr}");
        assert!(stdout.ends_with("52 passed, 0 failed\n"), "{backend}\n{stdout}");
    }
    // Every one of the 25 rules has a positive and a negative case; `--require-coverage` holds.
    let (status, _, _) = rulec(&["test", "tests/golden", "--require-coverage"]);
    assert_eq!(status, 0, "every upstream rule must have a positive and a negative case");
    let (_, stdout, _) = rulec(&["test", "tests/golden", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let cov = doc["coverage"].as_array().unwrap();
    assert_eq!(cov.len(), 25);
    for c in cov {
        let rule = c["rule"].as_str().unwrap();
        assert!(c["negative"].as_u64().unwrap() > 0, "{rule} has no negative case");
        assert!(c["positive"].as_u64().unwrap() > 0, "{rule} has no positive case");
    }
}

#[test]
fn upstream_setuid_rule_matches_modes_by_flag_name() {
    if shared().is_none() {
        return;
    }
    for backend in ["interp", "jit"] {
        let (status, stdout, stderr) =
            rulec(&["test", "tests/fixtures/test_runner/upstream_setuid.tests.yaml", "--backend", backend]);
        assert_eq!(status, 0, "{backend}\n{stdout}{stderr}");
        assert!(stdout.ends_with("2 passed, 0 failed\n"), "{backend}\n{stdout}");
    }
}

#[test]
fn a_failing_case_shows_a_diff_and_the_condition_values() {
    let (status, stdout, _) = rulec(&["test", "tests/fixtures/test_runner/failing.cases.yaml"]);
    assert_eq!(status, 1);
    insta::assert_snapshot!("failing_cases", stdout);
}

#[test]
fn bad_test_files_are_reported_like_rules_files() {
    let (status, stdout, _) = rulec(&["test", "tests/fixtures/test_runner/bad/mistakes.yaml"]);
    assert_eq!(status, 2);
    insta::assert_snapshot!("bad_test_file", stdout);
    for (file, code) in
        [("unknown_rule.yaml", "E0609"), ("missing_rules.yaml", "E0608"), ("broken_rules.yaml", "E0401")]
    {
        let (status, stdout, _) = rulec(&["test", &format!("tests/fixtures/test_runner/bad/{file}")]);
        assert_eq!(status, 2, "{file}: {stdout}");
        assert!(stdout.contains(code), "{file}: {stdout}");
        assert!(stdout.contains("1 test file could not run"), "{stdout}");
    }
    let (status, _, stderr) = rulec(&["test", "tests/fixtures/check"]);
    assert_eq!(status, 2);
    assert!(stderr.contains("no test files"), "{stderr}");
}

#[test]
fn json_output_has_every_case_and_the_traces() {
    let (status, stdout, _) =
        rulec(&["test", "tests/fixtures/test_runner/failing.cases.yaml", "--format", "json", "--backend", "interp"]);
    assert_eq!(status, 1);
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["summary"], serde_json::json!({"passed": 1, "failed": 3, "skipped": 1}));
    let cases = doc["files"][0]["cases"].as_array().unwrap();
    let statuses: Vec<&str> = cases.iter().map(|c| c["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["pass", "fail", "fail", "fail", "skip"]);
    assert_eq!(cases[0]["backend"], "interp");
    let missing = &cases[1]["missing"][0];
    assert_eq!(missing["rule"], "Shadow file read by an unexpected program");
    let tree = &missing["traces"][0]["condition"];
    assert_eq!(tree["kind"], "and");
    assert_eq!(tree["value"], false);
    assert!(cases[1]["diff"].as_str().unwrap().contains("--- expected"));
    assert_eq!(cases[3]["alerts"][0]["output_fields"]["proc.name"], "cat");
    assert_eq!(cases[4]["reason"], "waiting for a fix upstream");
}

// ---- JUnit ----------------------------------------------------------------------------------

/// Checks a JUnit XML report against Jenkins' JUnit schema, `junit-10.xsd` of the jenkinsci
/// xunit plugin (the schema Jenkins, GitLab and most dashboards read, by Gregory Boissinot, MIT),
/// by structure, since no Rust crate validates XSD:
///
/// * root `testsuites` (attributes name, time, tests, failures, disabled, errors, all optional)
///   holding only `testsuite` elements;
/// * `testsuite`: `name` and `tests` required; failures, errors, disabled, skipped, time,
///   timestamp, hostname, id, package, file, log, url, version optional; children `properties`,
///   `testcase`, `system-out`, `system-err`;
/// * `testcase`: `name` required; assertions, time, classname, status, file, line optional;
///   children `skipped`, `error`, `failure`, `system-out`, `system-err`;
/// * `skipped` (message), `failure` and `error` (message, type) optional attributes, text content;
/// * counts are non-negative integers, times decimals.
///
/// Beyond the schema, the counts must agree with the test cases.
fn validate_junit(xml: &str) -> (usize, usize, usize) {
    use quick_xml::Reader;
    use quick_xml::events::Event;

    // element, required attributes, optional attributes, allowed children
    type Element = (&'static str, &'static [&'static str], &'static [&'static str], &'static [&'static str]);
    let allowed: &[Element] = &[
        (
            "testsuites",
            &[],
            &["name", "time", "tests", "failures", "disabled", "errors", "timestamp", "uuid"],
            &["testsuite"],
        ),
        (
            "testsuite",
            &["name", "tests"],
            &[
                "failures",
                "errors",
                "disabled",
                "skipped",
                "time",
                "timestamp",
                "hostname",
                "id",
                "package",
                "file",
                "log",
                "url",
                "version",
            ],
            &["properties", "testcase", "system-out", "system-err"],
        ),
        ("properties", &[], &[], &["property"]),
        ("property", &["name", "value"], &[], &[]),
        (
            "testcase",
            &["name"],
            &["assertions", "time", "classname", "status", "file", "line", "timestamp"],
            &["skipped", "error", "failure", "system-out", "system-err"],
        ),
        ("skipped", &[], &["message"], &[]),
        ("failure", &[], &["message", "type"], &[]),
        ("error", &[], &["message", "type"], &[]),
        ("system-out", &[], &[], &[]),
        ("system-err", &[], &[], &[]),
    ];
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<String> = Vec::new();
    let (mut cases, mut failures, mut skipped) = (0, 0, 0);
    // Per open testsuite: declared tests/failures and counted cases/failures.
    let mut suite: Option<(usize, usize, usize, usize)> = None;
    loop {
        let ev = reader.read_event().unwrap_or_else(|e| panic!("not well-formed XML: {e}\n{xml}"));
        let (start, empty) = match &ev {
            Event::Start(s) => (Some(s.clone()), false),
            Event::Empty(s) => (Some(s.clone()), true),
            _ => (None, false),
        };
        if let Some(s) = start {
            let name = String::from_utf8(s.name().as_ref().to_vec()).unwrap();
            let (_, required, optional, _) = allowed
                .iter()
                .find(|(n, ..)| *n == name)
                .unwrap_or_else(|| panic!("element <{name}> is not in the schema"));
            match stack.last() {
                None => assert_eq!(name, "testsuites", "the root must be <testsuites>"),
                Some(parent) => {
                    let (_, _, _, children) = allowed.iter().find(|(n, ..)| n == parent).unwrap();
                    assert!(children.contains(&name.as_str()), "<{name}> inside <{parent}>");
                }
            }
            let mut attrs = std::collections::HashMap::new();
            for a in s.attributes() {
                let a = a.unwrap();
                let key = String::from_utf8(a.key.as_ref().to_vec()).unwrap();
                assert!(
                    required.contains(&key.as_str()) || optional.contains(&key.as_str()),
                    "attribute {key} on <{name}>"
                );
                let value = a.normalized_value(quick_xml::XmlVersion::Implicit1_0).unwrap().into_owned();
                if matches!(key.as_str(), "tests" | "failures" | "errors" | "skipped" | "disabled" | "assertions") {
                    assert!(value.parse::<u64>().is_ok(), "{key}={value} on <{name}> is not a count");
                }
                if key == "time" {
                    assert!(value.parse::<f64>().is_ok_and(|t| t >= 0.0), "time={value} on <{name}>");
                }
                attrs.insert(key, value);
            }
            for r in *required {
                assert!(attrs.contains_key(*r), "<{name}> lacks required attribute {r}");
            }
            match name.as_str() {
                "testsuite" => {
                    let n = |k: &str| attrs.get(k).and_then(|v| v.parse().ok()).unwrap_or(0);
                    suite = Some((n("tests"), n("failures") + n("errors"), 0, 0));
                }
                "testcase" => {
                    cases += 1;
                    if let Some(s) = &mut suite {
                        s.2 += 1;
                    }
                }
                "failure" | "error" => {
                    failures += 1;
                    if let Some(s) = &mut suite {
                        s.3 += 1;
                    }
                }
                "skipped" => skipped += 1,
                _ => {}
            }
            if !empty {
                stack.push(name);
            } else if name == "testsuite"
                && let Some((tests, fails, counted, counted_fails)) = suite.take()
            {
                assert_eq!((tests, fails), (counted, counted_fails), "testsuite counts");
            }
        }
        match ev {
            Event::End(e) => {
                let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                assert_eq!(stack.pop().as_deref(), Some(name.as_str()));
                if name == "testsuite"
                    && let Some((tests, fails, counted, counted_fails)) = suite.take()
                {
                    assert_eq!((tests, fails), (counted, counted_fails), "testsuite counts");
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert!(stack.is_empty());
    (cases, failures, skipped)
}

#[test]
fn junit_output_is_valid_against_the_junit_schema() {
    let (status, xml, _) = rulec(&[
        "test",
        "stdlib-rules",
        "tests/fixtures/test_runner/failing.cases.yaml",
        "tests/fixtures/test_runner/bad/unknown_rule.yaml",
        "--format",
        "junit",
    ]);
    assert_eq!(status, 2, "{xml}");
    assert!(xml.starts_with("<?xml"), "{xml}");
    // The stdlib's 225 + 5 cases, and the file that could not run as one errored case.
    assert_eq!(validate_junit(&xml), (231, 4, 1));
    assert!(xml.contains("why `Shadow file read by an unexpected program` did not alert"), "{xml}");
}

// ---- --bless --------------------------------------------------------------------------------

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rulec-cli-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn bless_writes_the_actual_alerts_and_round_trips() {
    let dir = temp_dir("bless");
    std::fs::copy(Path::new(ROOT).join("docs/examples/example.yaml"), dir.join("example.yaml")).unwrap();
    let original =
        std::fs::read_to_string(Path::new(ROOT).join("tests/fixtures/test_runner/bless/example.tests.yaml")).unwrap();
    let file = dir.join("example.tests.yaml");
    std::fs::write(&file, &original).unwrap();

    let (status, stdout, _) = rulec_env(&["test", "."], &[], &dir);
    assert_eq!(status, 1, "{stdout}");
    assert!(stdout.contains("1 passed, 3 failed"), "{stdout}");

    // Never in CI.
    let (status, _, stderr) = rulec_env(&["test", ".", "--bless"], &[("CI", "true")], &dir);
    assert_eq!(status, 2);
    assert!(stderr.contains("CI"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), original);

    let (status, stdout, _) = rulec_env(&["test", ".", "--bless"], &[], &dir);
    assert_eq!(status, 0, "{stdout}");
    assert!(stdout.contains("blessed: flow case"), "{stdout}");
    let blessed = std::fs::read_to_string(&file).unwrap();
    insta::assert_snapshot!("blessed_file", blessed);

    // The blessed file passes, and blessing again changes nothing.
    let (status, stdout, _) = rulec_env(&["test", ".", "--backend", "interp"], &[], &dir);
    assert_eq!(status, 0, "{stdout}");
    assert!(stdout.contains("4 passed, 0 failed"), "{stdout}");
    let (status, _, _) = rulec_env(&["test", ".", "--bless"], &[], &dir);
    assert_eq!(status, 0);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), blessed);
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- selection, coverage, discovery ----------------------------------------------------------

#[test]
fn filter_selects_cases_by_name_or_rule() {
    let (status, stdout, _) = rulec(&["test", "stdlib-rules", "--filter", "^zsh"]);
    assert_eq!(status, 0);
    assert!(stdout.contains("zsh in a container") && stdout.ends_with("1 passed, 0 failed\n"), "{stdout}");
    let (_, stdout, _) = rulec(&["test", "stdlib-rules", "--filter", "Outbound connection from a web server"]);
    assert!(stdout.ends_with("4 passed, 0 failed\n"), "{stdout}");
    let (status, _, stderr) = rulec(&["test", "stdlib-rules", "--filter", "("]);
    assert_eq!(status, 2);
    assert!(stderr.contains("--filter"), "{stderr}");
}

#[test]
fn discovery_finds_test_files_and_the_rules_beside_them() {
    let (status, stdout, _) = rulec(&["test", "tests/fixtures/test_runner/discover"]);
    assert_eq!(status, 0, "{stdout}");
    assert!(stdout.contains("discover/a.tests.yaml\n  PASS   bash runs"), "{stdout}");
    assert!(stdout.contains("discover/sub/b.tests.yml\n  PASS   ls is no shell"), "{stdout}");
    // Two test files of one rules file add up: `Shell run` is covered both ways.
    assert!(stdout.contains("coverage: 1 of 2 enabled rules have a positive and a negative case\n  no positive case, no negative case: Untested\n"), "{stdout}");
    let (status, _, _) = rulec(&["test", "tests/fixtures/test_runner/discover", "--require-coverage"]);
    assert_eq!(status, 1);
}

#[test]
fn verbose_output_has_timings_and_results_keep_their_order() {
    let (_, stdout, _) = rulec(&["test", "stdlib-rules", "-v"]);
    assert!(stdout.contains("[jit, 2 events, "), "{stdout}");
    assert!(stdout.contains(" positive, ") && stdout.trim_end().ends_with("ms)"), "{stdout}");
    let (_, one, _) = rulec(&["test", "stdlib-rules", "tests/fixtures/test_runner/failing.cases.yaml", "--jobs", "1"]);
    let (_, many, _) = rulec(&["test", "stdlib-rules", "tests/fixtures/test_runner/failing.cases.yaml", "--jobs", "8"]);
    assert_eq!(one, many);
}

#[test]
fn a_case_can_replay_a_capture() {
    if shared().is_none() {
        return;
    }
    let (status, stdout, _) = rulec(&["test", "tests/fixtures/test_runner/capture.tests.yaml", "-v"]);
    assert_eq!(status, 0, "{stdout}");
    assert!(stdout.contains("curl in a recorded capture  [jit, 1536 events"), "{stdout}");
}

#[test]
fn a_case_can_replay_a_rulec_capture() {
    // The committed JSON Lines capture needs nothing from ../shared.
    let (status, stdout, stderr) = rulec(&["test", "tests/fixtures/test_runner/capture_jsonl.tests.yaml", "-v"]);
    assert_eq!(status, 0, "{stdout}{stderr}");
    assert!(stdout.contains("PASS   curl in a rulec capture  [jit, 40 events"), "{stdout}");
}

#[test]
fn the_json_schema_allows_exactly_the_keys_the_parser_does() {
    use rulec_testing::parse::{
        CASE_KEYS, CONTAINER_KEYS, EVENT_KEYS, EXPECT_KEYS, FD_KEYS, FILE_KEYS, PROCESS_KEYS, USER_KEYS, WORLD_KEYS,
    };
    let text = std::fs::read_to_string(Path::new(ROOT).join("docs/rulec-test.schema.json")).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    let keys = |v: &serde_json::Value| {
        let mut k: Vec<String> = v["properties"].as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    let sorted = |k: &[&str]| {
        let mut k: Vec<String> = k.iter().map(|s| (*s).to_owned()).collect();
        k.sort();
        k
    };
    let defs = &schema["$defs"];
    assert_eq!(keys(&schema), sorted(FILE_KEYS));
    assert_eq!(keys(&defs["case"]), sorted(CASE_KEYS));
    assert_eq!(keys(&defs["world"]), sorted(WORLD_KEYS));
    assert_eq!(keys(&defs["process"]), sorted(PROCESS_KEYS));
    assert_eq!(keys(&defs["process"]["properties"]["container"]["oneOf"][1]), sorted(CONTAINER_KEYS));
    assert_eq!(keys(&defs["world"]["properties"]["users"]["items"]), sorted(USER_KEYS));
    assert_eq!(keys(&defs["fd"]), sorted(FD_KEYS));
    assert_eq!(keys(&defs["event"]), sorted(EVENT_KEYS));
    assert_eq!(keys(&defs["expect"]["oneOf"][1]), sorted(EXPECT_KEYS));
}

/// `rulec test` with no path at the project root runs the `tests` paths of `rulec.toml` (the
/// example rules and the golden tests), not the fixtures below `tests/fixtures/` that are meant
/// to fail, and passes.
#[test]
fn rulec_test_at_the_project_root_passes() {
    if shared().is_none() {
        return;
    }
    let (status, stdout, stderr) = rulec(&["test"]);
    assert_eq!(status, 0, "{stdout}{stderr}");
    assert!(stdout.ends_with("290 passed, 0 failed\n"), "{stdout}");
    assert!(!stdout.contains("tests/fixtures"), "{stdout}");
}

/// A project's `rulec.toml` is found from a subdirectory too; its paths are relative to it;
/// what it does not name is not run; a bad one is an error with file:line:col.
#[test]
fn rulec_toml_names_the_test_paths() {
    let dir = temp_dir("project");
    std::fs::create_dir_all(dir.join("rules")).unwrap();
    std::fs::create_dir_all(dir.join("elsewhere/deeper")).unwrap();
    for f in ["example.yaml", "example.tests.yaml"] {
        std::fs::copy(Path::new(ROOT).join("docs/examples").join(f), dir.join("rules").join(f)).unwrap();
    }
    // A failing test file the project file does not name.
    std::fs::copy(
        Path::new(ROOT).join("tests/fixtures/test_runner/failing.cases.yaml"),
        dir.join("elsewhere/failing.tests.yaml"),
    )
    .unwrap();
    std::fs::write(dir.join("rulec.toml"), "tests = [\"rules\"]\n").unwrap();
    for cwd in [dir.clone(), dir.join("elsewhere/deeper")] {
        let (status, stdout, stderr) = rulec_env(&["test"], &[], &cwd);
        assert_eq!(status, 0, "{}: {stdout}{stderr}", cwd.display());
        assert!(stdout.ends_with("13 passed, 0 failed\n"), "{stdout}");
        assert!(!stdout.contains("failing"), "{stdout}");
    }
    // Paths on the command line win over the project file.
    let (status, stdout, _) = rulec_env(&["test", "elsewhere"], &[], &dir);
    assert_ne!(status, 0, "{stdout}");
    assert!(stdout.starts_with("elsewhere/failing.tests.yaml\n"), "{stdout}");

    std::fs::write(dir.join("rulec.toml"), "tests = [\"rules\"]\ntest_paths = [\"x\"]\n").unwrap();
    let (status, _, stderr) = rulec_env(&["test"], &[], &dir.join("elsewhere"));
    assert_eq!(status, 2, "{stderr}");
    assert!(stderr.starts_with("rulec: ../rulec.toml:2:1: unknown field `test_paths`"), "{stderr}");
    std::fs::write(dir.join("rulec.toml"), "tests = [\"rules\", \"missing\"]\n").unwrap();
    let (status, _, stderr) = rulec_env(&["test"], &[], &dir);
    assert_eq!(status, 2, "{stderr}");
    assert!(stderr.starts_with("rulec: rulec.toml:1:19: `missing` does not exist"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}
