//! End-to-end tests of `rulec check`: the built binary run on the files in `tests/fixtures/`,
//! checking exit statuses and the whole output as insta snapshots. Each snapshot starts with the
//! fixture sources, so a reviewer sees the input and the report together.
//!
//! Fixtures in `tests/fixtures/check/` carry their expectation on the first line
//! (`# expect: E0401, W0102`): those codes must be reported, no other error code may be, and the
//! exit status is 1 exactly when an `E` code is expected.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// What one run of the binary did.
struct Run {
    status: i32,
    stdout: String,
    stderr: String,
}

/// Runs `rulec ARGS` from the package root, so paths in the output are the relative ones given.
fn rulec(args: &[&str]) -> Run {
    let output =
        Command::new(env!("CARGO_BIN_EXE_rulec")).args(args).current_dir(ROOT).output().expect("the rulec binary runs");
    Run {
        status: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The command, its exit status and both streams, as one text to snapshot.
fn transcript(args: &[&str], run: &Run) -> String {
    let mut out = format!("$ rulec {}\nexit status: {}\n", args.join(" "), run.status);
    out.push_str("--- stdout\n");
    out.push_str(&run.stdout);
    if !run.stderr.is_empty() {
        out.push_str("--- stderr\n");
        out.push_str(&run.stderr);
    }
    out
}

/// The sources of the given files, each under a `--- NAME` line.
fn sources(files: &[&str]) -> String {
    files
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(Path::new(ROOT).join(f)).unwrap_or_default();
            format!("--- {f}\n{text}")
        })
        .collect()
}

/// Snapshots the sources of `files` followed by the transcript of `rulec ARGS`, under `name`.
fn snapshot_run(name: &str, args: &[&str], files: &[&str]) -> Run {
    let run = rulec(args);
    insta::with_settings!({ omit_expression => true }, {
        insta::assert_snapshot!(name, format!("{}{}", sources(files), transcript(args, &run)));
    });
    run
}

fn json(run: &Run) -> Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{}", run.stdout))
}

/// Asserts the documented JSON shape: `files` with counts, `diagnostics` with every key.
fn assert_json_shape(doc: &Value) {
    let files = doc["files"].as_array().expect("`files` is an array");
    for file in files {
        assert!(file["file"].is_string(), "{file}");
        assert!(file["errors"].is_u64() && file["warnings"].is_u64(), "{file}");
    }
    let position = |v: &Value| {
        for key in ["line", "column", "end_line", "end_column"] {
            assert!(v[key].as_u64().is_some_and(|n| n >= 1), "`{key}` is 1-based in {v}");
        }
        assert!(v["file"].is_string(), "{v}");
    };
    for d in doc["diagnostics"].as_array().expect("`diagnostics` is an array") {
        for key in ["code", "name", "message"] {
            assert!(d[key].is_string(), "`{key}` in {d}");
        }
        assert!(matches!(d["severity"].as_str(), Some("error" | "warning")), "{d}");
        assert!(d["hint"].is_string() || d["hint"].is_null(), "{d}");
        position(d);
        for label in d["labels"].as_array().expect("`labels` is an array") {
            position(label);
            assert!(label["message"].is_string(), "{label}");
        }
    }
}

/// The codes reported in a JSON document.
fn codes(doc: &Value) -> Vec<String> {
    doc["diagnostics"]
        .as_array()
        .map(|ds| ds.iter().filter_map(|d| d["code"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

/// The codes a fixture expects, from its `# expect:` first line.
fn expected_codes(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let first = text.lines().next().unwrap_or_default();
    let list = first
        .strip_prefix("# expect:")
        .unwrap_or_else(|| panic!("{} must start with `# expect: CODE, ...`", path.display()));
    list.split(',').map(|c| c.trim().to_owned()).filter(|c| !c.is_empty()).collect()
}

/// Checks a run against expected codes: all reported, no unexpected error, the right status.
fn assert_expected(what: &str, run_json: &Run, expected: &[String]) {
    let doc = json(run_json);
    let reported = codes(&doc);
    for code in expected {
        assert!(reported.contains(code), "{what}: expected {code}, reported {reported:?}");
    }
    for code in &reported {
        assert!(
            code.starts_with('W') || expected.contains(code),
            "{what}: unexpected error {code} (expected {expected:?})\n{}",
            run_json.stdout
        );
    }
    let want_status = if expected.iter().any(|c| c.starts_with('E')) { 1 } else { 0 };
    assert_eq!(run_json.status, want_status, "{what}: exit status");
}

#[test]
fn valid_file_is_ok() {
    let file = "tests/fixtures/valid.yaml";
    let run = snapshot_run("valid", &["check", file], &[file]);
    assert_eq!(run.status, 0, "{}", run.stdout);
    assert_eq!(run.stdout, format!("{file}: ok\n"));
    assert_eq!(run.stderr, "");
}

#[test]
fn example_rules_in_the_readme_are_ok() {
    let file = "docs/examples/example.yaml";
    let run = rulec(&["check", file]);
    assert_eq!(run.status, 0, "{}", run.stdout);
    assert_eq!(run.stdout, format!("{file}: ok\n"));
}

/// Every fixture with deliberate errors, in text (snapshot) and JSON (expectations).
#[test]
fn fixtures_with_errors() {
    let dir = Path::new(ROOT).join("tests/fixtures/check");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/fixtures/check exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty());

    let mut outcomes = Vec::new();
    for path in &paths {
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_owned();
        let file = format!("tests/fixtures/check/{stem}.yaml");
        snapshot_run(&format!("check_{stem}"), &["check", &file], &[&file]);
        let run_json = rulec(&["check", "--format", "json", &file]);
        assert_json_shape(&json(&run_json));
        outcomes.push((file, run_json, expected_codes(path)));
    }

    // Until the compiler's checker lands, `check` is a stub that reports nothing; then only the
    // snapshots above are compared. Once it reports anything, every expectation holds.
    if outcomes.iter().all(|(_, run, _)| codes(&json(run)).is_empty()) {
        eprintln!("note: the checker reported nothing on any fixture: expectations not enforced yet");
        return;
    }
    for (file, run, expected) in &outcomes {
        assert_expected(file, run, expected);
    }
}

#[test]
fn json_output_of_errors() {
    for stem in ["several", "multibyte"] {
        let file = format!("tests/fixtures/check/{stem}.yaml");
        let args = ["check", "--format", "json", file.as_str()];
        let run = snapshot_run(&format!("json_{stem}"), &args, &[&file]);
        assert_json_shape(&json(&run));
    }
}

#[test]
fn json_output_of_a_clean_file() {
    let run = rulec(&["check", "--format", "json", "tests/fixtures/valid.yaml"]);
    assert_eq!(run.status, 0);
    let doc = json(&run);
    assert_json_shape(&doc);
    assert_eq!(
        doc,
        serde_json::json!({
            "files": [{"file": "tests/fixtures/valid.yaml", "errors": 0, "warnings": 0}],
            "diagnostics": []
        })
    );
}

/// Later files replace and append to earlier ones, and each diagnostic belongs to the file of
/// its primary location.
#[test]
fn several_files_load_in_order() {
    let base = "tests/fixtures/multi/base.yaml";
    let extend = "tests/fixtures/multi/extend.yaml";
    let broken = "tests/fixtures/multi/broken_second.yaml";
    let cases: [(&str, Vec<&str>, Vec<String>); 4] = [
        ("multi_base", vec![base], vec![]),
        ("multi_extend_alone", vec![extend], vec!["E0207".to_owned()]),
        ("multi_base_extend", vec![base, extend], vec![]),
        ("multi_base_broken", vec![base, broken], vec!["E0401".to_owned()]),
    ];
    let mut outcomes = Vec::new();
    for (name, files, expected) in &cases {
        let mut args = vec!["check"];
        args.extend(files);
        snapshot_run(name, &args, files);
        let mut json_args = vec!["check", "--format", "json"];
        json_args.extend(files);
        let run = rulec(&json_args);
        let doc = json(&run);
        assert_json_shape(&doc);
        let listed: Vec<&str> =
            doc["files"].as_array().into_iter().flatten().filter_map(|f| f["file"].as_str()).collect();
        assert_eq!(&listed, files, "one summary per file, in order");
        outcomes.push((name, run, doc, expected));
    }
    if outcomes.iter().all(|(_, _, doc, _)| codes(doc).is_empty()) {
        eprintln!("note: the checker reported nothing: load-order expectations not enforced yet");
        return;
    }
    for (name, run, doc, expected) in &outcomes {
        assert_expected(name, run, expected);
        if **name == "multi_base_broken" {
            assert_eq!(doc["files"][0]["errors"], 0, "base.yaml is clean: {doc}");
            assert_eq!(doc["files"][1]["errors"], 1, "the error is the second file's: {doc}");
        }
    }
}

#[test]
fn no_warnings_hides_warnings() {
    let file = "tests/fixtures/check/unused_macro.yaml";
    let run = rulec(&["check", "--no-warnings", file]);
    assert_eq!(run.status, 0);
    assert_eq!(run.stdout, format!("{file}: ok\n"));
    let run = rulec(&["check", "--no-warnings", "--format", "json", file]);
    let doc = json(&run);
    assert_eq!(doc["files"][0]["warnings"], 0);
    assert!(doc["diagnostics"].as_array().is_some_and(|ds| ds.iter().all(|d| d["severity"] == "error")));
}

#[test]
fn no_colour_when_stdout_is_not_a_terminal() {
    // The test harness captures stdout through a pipe, so rulec must not colour it.
    let run = rulec(&["check", "tests/fixtures/check/several.yaml"]);
    assert!(!run.stdout.contains('\x1b'), "{}", run.stdout);
}

#[test]
fn unreadable_files_stop_the_run_with_status_2() {
    let run = snapshot_run(
        "missing_file",
        &["check", "tests/fixtures/valid.yaml", "tests/fixtures/does-not-exist.yaml"],
        &[],
    );
    assert_eq!(run.status, 2);
    assert_eq!(run.stdout, "", "nothing is checked when a file cannot be read");
    assert!(run.stderr.starts_with("rulec: cannot read tests/fixtures/does-not-exist.yaml: "), "{}", run.stderr);

    // A file that is not UTF-8 is read and reported (E0213, exit 1): see
    // a_file_that_is_not_utf8_gets_a_diagnostic_at_line_and_column.
    let run = rulec(&["check", "tests/fixtures/not_utf8.yaml"]);
    assert_eq!(run.status, 1);
    assert!(run.stdout.contains("error[E0213]"), "{}", run.stdout);

    let run = rulec(&["check", "tests/fixtures"]);
    assert_eq!(run.status, 2);
    assert!(run.stderr.starts_with("rulec: cannot read tests/fixtures: "), "{}", run.stderr);
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        vec!["check"],
        vec!["check", "--format", "xml", "tests/fixtures/valid.yaml"],
        vec!["check", "--frobnicate", "tests/fixtures/valid.yaml"],
        vec!["no-such-command"],
        vec![],
    ] {
        let run = rulec(&args);
        assert_eq!(run.status, 2, "rulec {args:?}\n{}", run.stderr);
        assert!(!run.stderr.is_empty(), "rulec {args:?} explains itself");
    }
}

#[test]
fn emit_ir_prints_the_program_the_backends_run() {
    let file = "tests/fixtures/valid.yaml";
    let run = rulec(&["check", "--emit-ir", file]);
    assert_eq!(run.status, 0, "{}", run.stdout);
    let (report, ir) = run.stdout.split_once("\n\n").expect("the report, a blank line, the IR");
    assert_eq!(report, format!("{file}: ok"));
    for section in ["slots:", "checks:", "nodes:", "rules:"] {
        assert!(ir.lines().any(|l| l == section), "{section} missing in:\n{ir}");
    }
    // The list is expanded into the rule's set; the macro's event types reach the rule.
    assert!(ir.contains(r#"in ("apt", "apt-get", "dpkg", "yum", "dnf", "rpm", "apk")"#), "{ir}");
    assert!(ir.contains(r#""Package manager run" Notice enabled"#) && ir.contains("types=(execve, execveat)"), "{ir}");
    // A file with errors has no program to show.
    let bad = rulec(&["check", "--emit-ir", "tests/fixtures/check/unknown_field.yaml"]);
    assert_eq!(bad.status, 1);
    assert!(!bad.stdout.contains("slots:"), "{}", bad.stdout);
}

/// Copies `fixture` into a fresh directory and runs `rulec ARGS FILE` there, so the file can be
/// rewritten and the output names it relatively. Returns the run and the file's text after it.
fn run_on_copy(dir_name: &str, fixture: &str, args: &[&str]) -> (Run, String, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("rulec-{dir_name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let file = dir.join("rules.yaml");
    std::fs::copy(Path::new(ROOT).join(fixture), &file).expect("the fixture copies");
    let run = rerun(&dir, args);
    let text = std::fs::read_to_string(&file).expect("the copy reads back");
    (run, text, dir)
}

fn rerun(dir: &Path, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_rulec"))
        .args(args)
        .arg("rules.yaml")
        .current_dir(dir)
        .output()
        .expect("the rulec binary runs");
    Run {
        status: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[test]
fn fix_applies_the_safe_fixes_and_reports_what_remains() {
    let original = std::fs::read_to_string(Path::new(ROOT).join("tests/fixtures/fixable.yaml")).expect("fixture");
    let (run, fixed, dir) = run_on_copy("fix", "tests/fixtures/fixable.yaml", &["check", "--fix"]);
    insta::assert_snapshot!(
        "fix_applies_safe_fixes",
        format!("{fixed}\n{}", transcript(&["check", "--fix", "rules.yaml"], &run))
    );
    assert_ne!(fixed, original);
    // The guess (`proc.nmae` -> `proc.name`) is reported, not applied.
    assert!(fixed.contains("proc.nmae") && run.stdout.contains("did you mean `proc.name`?"), "{}", run.stdout);
    assert_eq!(run.status, 1, "the unknown field remains an error");
    // Idempotent: a second run changes nothing and reports no fix.
    let again = rerun(&dir, &["check", "--fix"]);
    assert!(!again.stdout.contains("fixed "), "{}", again.stdout);
    assert_eq!(std::fs::read_to_string(dir.join("rules.yaml")).expect("reads"), fixed);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn fix_with_diff_prints_the_changes_and_writes_nothing() {
    let original = std::fs::read_to_string(Path::new(ROOT).join("tests/fixtures/fixable.yaml")).expect("fixture");
    let (run, text, dir) = run_on_copy("fix-diff", "tests/fixtures/fixable.yaml", &["check", "--fix", "--diff"]);
    assert_eq!(text, original, "--diff must not write");
    let diff = run.stdout.split("\nfixed ").next().unwrap_or("");
    insta::assert_snapshot!("fix_diff", diff);
    assert!(run.stdout.contains("would apply 6 fixes in 1 file"), "{}", run.stdout);
    // Without --fix, --diff is a usage error.
    assert_eq!(rerun(&dir, &["check", "--diff"]).status, 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_valid_file_has_nothing_to_fix() {
    let (run, text, dir) = run_on_copy("fix-valid", "tests/fixtures/valid.yaml", &["check", "--fix"]);
    assert_eq!(run.status, 0, "{}", run.stdout);
    assert!(!run.stdout.contains("fixed "), "{}", run.stdout);
    assert_eq!(text, std::fs::read_to_string(Path::new(ROOT).join("tests/fixtures/valid.yaml")).expect("reads"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--format json` carries each diagnostic's fixes as `--fix` and the language server's code
/// actions see them: a title, `safe` or `suggestion`, and edits whose line and column agree with
/// their byte offsets into the file. `fixable.yaml` has safe fixes (snapshot), `several.yaml` a
/// suggestion (in the `json_several` snapshot).
#[test]
fn json_output_carries_the_fixes() {
    let fixable = "tests/fixtures/fixable.yaml";
    snapshot_run("json_fixes", &["check", "--format", "json", fixable], &[fixable]);
    let mut kinds = Vec::new();
    for file in [fixable, "tests/fixtures/check/several.yaml"] {
        let doc = json(&rulec(&["check", "--format", "json", file]));
        assert_json_shape(&doc);
        let text = std::fs::read_to_string(Path::new(ROOT).join(file)).expect("fixture");
        for d in doc["diagnostics"].as_array().into_iter().flatten() {
            for fix in d["fixes"].as_array().into_iter().flatten() {
                assert!(fix["title"].is_string(), "{fix}");
                kinds.push(fix["applicability"].as_str().expect("applicability").to_owned());
                let edits = fix["edits"].as_array().expect("`edits` is an array");
                assert!(!edits.is_empty(), "{fix}");
                for edit in edits {
                    assert_eq!(edit["file"], file);
                    assert!(edit["replacement"].is_string(), "{edit}");
                    let byte =
                        |key: &str| edit[key].as_u64().and_then(|n| usize::try_from(n).ok()).expect("byte offset");
                    let (start, end) = (byte("start_byte"), byte("end_byte"));
                    assert!(start <= end && text.is_char_boundary(start) && text.is_char_boundary(end), "{edit}");
                    let before = &text[..start];
                    let line = before.matches('\n').count() + 1;
                    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
                    let at = (edit["line"].as_u64(), edit["column"].as_u64());
                    assert_eq!(at, (Some(line as u64), Some(column as u64)), "{edit}");
                }
            }
        }
    }
    assert!(kinds.iter().any(|k| k == "safe") && kinds.iter().any(|k| k == "suggestion"), "{kinds:?}");
    assert!(kinds.iter().all(|k| k == "safe" || k == "suggestion"), "{kinds:?}");
}

/// A rules file that is not UTF-8 is reported at its first bad byte with a code, in text and in
/// JSON (one document), not with a byte offset.
#[test]
fn a_file_that_is_not_utf8_gets_a_diagnostic_at_line_and_column() {
    let dir = std::env::temp_dir().join(format!("rulec-check-utf8-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("latin1.yaml");
    std::fs::write(
        &file,
        b"- rule: r\n  desc: caf\xe9 \xff\n  condition: evt.type = open\n  output: o\n  priority: INFO\n",
    )
    .unwrap();
    let path = file.to_str().unwrap();
    let run = rulec(&["check", path]);
    assert_eq!(run.status, 1, "{}", run.stdout);
    assert!(run.stdout.contains("error[E0213]") && run.stdout.contains(&format!("{path}:2:12")), "{}", run.stdout);
    let run = rulec(&["check", "--format", "json", path]);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("one JSON document");
    assert_eq!(doc["diagnostics"][0]["code"], "E0213");
    assert_eq!((doc["diagnostics"][0]["line"].as_u64(), doc["diagnostics"][0]["column"].as_u64()), (Some(2), Some(12)));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Many diagnostics on one long line (issue 14): the text report draws a window of the line
/// around each, at most `--max-diagnostics` per file (100 by default) with a note of the rest,
/// so its size does not grow with errors times line length; the counts stay whole.
#[test]
fn many_diagnostics_on_a_long_line_make_a_bounded_report() {
    let dir = std::env::temp_dir().join(format!("rulec-check-long-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("percent.yaml");
    let percents = "%".repeat(8000);
    std::fs::write(
        &file,
        format!("- rule: r\n  desc: d\n  condition: evt.type = open\n  output: \"{percents}\"\n  priority: INFO\n"),
    )
    .unwrap();
    let path = file.to_str().unwrap();
    let run = rulec(&["check", path]);
    assert_eq!(run.status, 1);
    assert!(run.stdout.len() < 100_000, "{} bytes", run.stdout.len());
    assert_eq!(run.stdout.matches("error[E0107]").count(), 100);
    assert!(run.stdout.contains("note: 7900 more diagnostics in"), "{}", &run.stdout[run.stdout.len() - 300..]);
    assert!(run.stdout.ends_with(&format!("{path}: 8000 errors, 0 warnings\n")));
    assert!(run.stdout.contains("%%…\n"), "the line is cut to a window");
    let run = rulec(&["check", "--max-diagnostics", "0", path]);
    assert_eq!(run.stdout.matches("error[E0107]").count(), 8000);
    assert!(run.stdout.len() < 8000 * 400, "{} bytes", run.stdout.len());
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--emit-ir` with `--format json` keeps stdout one JSON document: the IR is in it.
#[test]
fn emitted_ir_is_inside_the_json_document() {
    let run = rulec(&["check", "--format", "json", "--emit-ir", "docs/examples/example.yaml"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).expect("one JSON document");
    assert!(doc["ir"].as_str().is_some_and(|ir| ir.contains("Shell spawned in a container")), "{doc}");
}
