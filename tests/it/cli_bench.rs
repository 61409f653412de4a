//! `rulec bench` end to end, on small inputs (the figures are not checked, only that every
//! contender ran and agreed): the generated-stream bench on the upstream rules, and the capture
//! bench (a filter or a whole ruleset) against sysdig when it is installed. Skipped, with a message, without `../shared`.

use std::process::Command;

use crate::rulec;
use serde_json::Value;

fn shared(rel: &str) -> Option<String> {
    rulec_test_support::shared(rel).map(|p| p.display().to_string())
}

#[test]
fn generated_stream_bench_runs_every_backend() {
    let Some(rules) = shared("conformance/falco/falco_rules.yaml") else { return };
    let (status, stdout, stderr) =
        rulec(&["bench", "--rules", &rules, "--events", "4000", "--repeat", "1", "--rounds", "2", "--format", "json"]);
    assert_eq!(status, 0, "{stderr}");
    let doc: Value = serde_json::from_str(&stdout).expect("JSON");
    let kinds: Vec<&str> = doc.as_array().expect("array").iter().filter_map(|m| m["kind"].as_str()).collect();
    // Two rounds, each backend's fastest kept: one measurement per backend.
    assert_eq!(kinds, ["interp", "jit", "subset-interp", "subset-jit", "handwritten"]);
    let alerts = |i: usize| doc[i]["alerts"].as_u64().expect("alerts");
    assert_eq!(alerts(0), alerts(1), "interpreter and JIT");
    assert_eq!(alerts(2), alerts(3));
    assert_eq!(alerts(3), alerts(4), "JIT and hand-written");
    for m in doc.as_array().expect("array") {
        assert!(m["eval_ns_per_event"].as_f64().is_some_and(|x| x > 0.0), "{m}");
        // Rendering the alerts is timed apart from deciding them (none for the hand-written).
        let render = m["render_ns_per_event"].as_f64().expect("render_ns_per_event");
        assert!(render >= 0.0 && (m["kind"] != "handwritten" || render == 0.0), "{m}");
    }
    let (status, stdout, stderr) = rulec(&["bench", "--rules", &rules, "--events", "2000", "--repeat", "1"]);
    assert_eq!(status, 0, "{stderr}");
    assert!(stdout.contains("render ns/event"), "{stdout}");
}

/// The embedded stdlib (`--rules stdlib`, which holds none of the hand-written subset's rules,
/// so the subset is not measured) next to the upstream rules (`--compare`), on one stream.
#[test]
fn stdlib_bench_compares_with_another_ruleset() {
    let Some(upstream) = shared("conformance/falco/falco_rules.yaml") else { return };
    let args = ["bench", "--rules", "stdlib", "--compare", &upstream, "--events", "4000", "--repeat", "1"];
    let (status, stdout, stderr) = rulec(&[&args[..], &["--format", "json"]].concat());
    assert_eq!(status, 0, "{stderr}");
    let doc: Value = serde_json::from_str(&stdout).expect("JSON");
    let runs: Vec<(&str, bool)> = doc
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|m| Some((m["kind"].as_str()?, m["compared"].as_bool()?)))
        .collect();
    assert_eq!(runs, [("interp", false), ("jit", false), ("interp", true), ("jit", true)]);
    assert_ne!(doc[0]["rules"], doc[2]["rules"], "two different rulesets");
    let (status, stdout, stderr) = rulec(&args);
    assert_eq!(status, 0, "{stderr}");
    assert!(stdout.contains("JIT, all rules: stdlib ") && stdout.contains(&format!(" vs {upstream} ")), "{stdout}");
}

/// `--per-rule` on the embedded stdlib: every enabled rule listed once per backend with its
/// evaluations and matches counted on the stream, which both backends must agree on, and the
/// event types the rules see; the text report lists the costliest `--top` rules.
#[test]
fn per_rule_bench_lists_every_rule_on_both_backends() {
    let args = ["bench", "--rules", "stdlib", "--per-rule", "--events", "3000", "--repeat", "1"];
    let (status, stdout, stderr) = rulec(&[&args[..], &["--format", "json"]].concat());
    assert_eq!(status, 0, "{stderr}");
    let doc: Value = serde_json::from_str(&stdout).expect("JSON");
    let runs = doc.as_array().expect("array");
    let kinds: Vec<&str> = runs.iter().filter_map(|m| m["kind"].as_str()).collect();
    assert_eq!(kinds, ["interp", "jit"]);
    let counts = |m: &Value| -> Vec<(String, u64, u64)> {
        let mut v: Vec<(String, u64, u64)> = m["rules"]
            .as_array()
            .expect("rules")
            .iter()
            .map(|r| {
                let n = |k: &str| r[k].as_u64().expect(k);
                (r["name"].as_str().expect("name").to_owned(), n("evaluations"), n("matches"))
            })
            .collect();
        v.sort();
        v
    };
    let (interp, jit) = (counts(&runs[0]), counts(&runs[1]));
    assert_eq!(interp, jit, "the backends evaluate and match the same rules");
    let stdlib = rulec(&["stdlib", "list", "--format", "json"]).1;
    let listed = serde_json::from_str::<Value>(&stdlib).expect("JSON");
    let enabled = listed.as_array().expect("array").iter().filter(|r| r["enabled"] == true).count();
    assert_eq!(interp.len(), enabled, "every enabled stdlib rule is listed once");
    assert!(interp.iter().any(|r| r.1 > 0), "some rule sees the stream's events: {interp:?}");
    let types = runs[1]["types"].as_array().expect("types");
    let open = types.iter().find(|t| t["name"] == "openat").expect("openat in the stream");
    assert!(open["rules"].as_u64().is_some_and(|n| n > 0) && open["events"].as_u64().is_some_and(|n| n > 0), "{open}");
    let (status, stdout, stderr) = rulec(&[&args[..], &["--top", "3"]].concat());
    assert_eq!(status, 0, "{stderr}");
    assert!(stdout.contains("costliest 3 of ") && stdout.contains("by event type"), "{stdout}");
    let (status, _, stderr) = rulec(&["bench", "--rules", "stdlib", "--per-rule", "--compare", "stdlib"]);
    assert_ne!(status, 0);
    assert!(stderr.contains("--compare"), "{stderr}");
}

#[test]
fn capture_bench_compares_with_sysdig() {
    let Some(capture) = shared("captures/libs-curl_google.scap") else { return };
    let (status, stdout, stderr) =
        rulec(&["bench", "--capture", &capture, "--times", "3", "--repeat", "1", "--format", "json"]);
    assert_eq!(status, 0, "{stderr}");
    let doc: Value = serde_json::from_str(&stdout).expect("JSON");
    let runs = doc["rulec"].as_array().expect("rulec runs");
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0]["kind"], "capture-jit");
    assert_eq!(runs[0]["matches"], runs[1]["matches"], "JIT and interpreter");
    // The capture has 1536 events; played three times.
    assert_eq!(runs[0]["events"].as_u64(), Some(3 * 1536));
    assert!(runs[0]["matches"].as_u64().is_some_and(|m| m > 0), "the default filter matches this capture");
    let sysdig_installed = Command::new("sysdig").arg("--version").output().is_ok_and(|o| o.status.success());
    if sysdig_installed {
        assert_eq!(doc["sysdig"]["matches"], runs[0]["matches"], "rulec and libsinsp accept the same events");
    } else {
        eprintln!("sysdig is not installed: only its absence is checked");
        assert!(doc["sysdig_missing"].as_str().is_some_and(|m| m.contains("apt-get install sysdig")), "{doc}");
    }
}

/// A whole ruleset on a capture (issue 15): both backends stream the same events, raise the same
/// alerts, and each contender reports its time per event and peak memory; sysdig, when installed,
/// reads the file with a filter that matches nothing.
#[test]
fn capture_bench_runs_a_whole_ruleset() {
    let Some(capture) = shared("captures/falco-psp_run_as_user_0_container.scap") else { return };
    let args = ["bench", "--capture", &capture, "--rules", "stdlib", "--times", "2", "--repeat", "1"];
    let (status, stdout, stderr) = rulec(&[&args[..], &["--format", "json"]].concat());
    assert_eq!(status, 0, "{stderr}");
    let doc: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(doc["rules"], serde_json::json!(["stdlib"]));
    assert!(doc["filter"].is_null(), "{doc}");
    assert_eq!(doc["times"], 2);
    let runs = doc["rulec"].as_array().expect("rulec runs");
    let kinds: Vec<&str> = runs.iter().filter_map(|m| m["kind"].as_str()).collect();
    assert_eq!(kinds, ["capture-jit", "capture-interp"]);
    for m in runs {
        // The capture has 4143 events; played twice.
        assert_eq!(m["events"].as_u64(), Some(2 * 4143), "{m}");
        assert!(m["rules"].as_u64().is_some_and(|n| n > 50), "the stdlib's rules: {m}");
        for figure in ["whole_ns", "peak_rss_kib"] {
            assert!(m[figure].as_u64().is_some_and(|x| x > 0), "{figure}: {m}");
        }
        assert!(m["eval_ns_per_event"].as_f64().is_some_and(|x| x > 0.0), "{m}");
    }
    assert_eq!(runs[0]["matches"], runs[1]["matches"], "JIT and interpreter raise the same alerts");
    assert!(runs[0]["matches"].as_u64().is_some_and(|m| m > 0), "the stdlib alerts on this capture: {doc}");
    let sysdig_installed = Command::new("sysdig").arg("--version").output().is_ok_and(|o| o.status.success());
    if sysdig_installed {
        let s = &doc["sysdig"];
        assert!(s["matches"].is_null() && s["whole_ns"].is_null(), "no filter for sysdig with a ruleset: {s}");
        assert!(s["baseline_ns"].as_u64().is_some_and(|x| x > 0), "{s}");
        assert!(s["peak_rss_kib"].as_u64().is_some_and(|x| x > 1024), "{s}");
    }
    let (status, stdout, stderr) = rulec(&args);
    assert_eq!(status, 0, "{stderr}");
    assert!(stdout.contains("rules: stdlib") && stdout.contains("JIT vs interpreter, evaluation:"), "{stdout}");
}

#[test]
fn capture_bench_rejects_bad_input() {
    let Some(capture) = shared("captures/libs-curl_google.scap") else { return };
    let (status, _, stderr) = rulec(&["bench", "--capture", &capture, "--filter", "proc.nme = curl"]);
    assert_eq!(status, 2);
    assert!(stderr.contains("unknown field `proc.nme`"), "{stderr}");
    assert!(stderr.contains("--filter:1:1: E0401"), "the column in the filter: {stderr}");
    let (status, _, stderr) = rulec(&["bench", "--capture", "Cargo.toml", "--times", "2"]);
    assert_eq!(status, 2);
    assert!(stderr.contains("Cargo.toml: scap: at byte"), "{stderr}");
    let (status, _, stderr) = rulec(&["bench", "--capture", &capture, "--times", "1000000000"]);
    assert_eq!(status, 2);
    assert!(stderr.contains("ask for fewer copies"), "{stderr}");
    let (status, _, stderr) = rulec(&["bench", "--filter", "proc.name = x"]);
    assert_eq!(status, 2, "{stderr}");
    let (status, _, stderr) = rulec(&["bench", "--capture", &capture, "--filter", "@hevy"]);
    assert_eq!(status, 2);
    assert!(stderr.contains("no such preset (the presets are @default, @heavy)"), "{stderr}");
    let (status, _, stderr) = rulec(&["bench", "--capture", &capture, "--filter", "@heavy", "--rules", "stdlib"]);
    assert_eq!(status, 2, "a filter or rules, not both: {stderr}");
}

/// `rulec bench --live` on the real kernel, shortened (one run per loop, short loads): every
/// setup is measured and every sustained load reports rulec's records, CPU and memory. The
/// figures are not checked (a test is no benchmark); that they exist and are sane is.
#[test]
fn live_bench_measures_every_setup() {
    let Some(rules) = shared("conformance/falco/falco_rules.yaml") else { return };
    if !rulec_test_support::kernel("`rulec bench --live`") {
        return;
    }
    let _kernel = crate::KERNEL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let (status, stdout, stderr) =
        rulec(&["bench", "--live", "--rules", &rules, "--repeat", "1", "--load-secs", "0.3", "--format", "json"]);
    assert_eq!(status, 0, "{stderr}");
    let doc: Value = serde_json::from_str(&stdout).expect("JSON");
    let setups: Vec<&str> =
        doc["costs"].as_array().expect("costs").iter().filter_map(|c| c["setup"].as_str()).collect();
    assert_eq!(setups, ["nothing attached", "empty probe (floor)", "rulec run"]);
    // CI runs as root: the cost loops get real-time priority there.
    assert_eq!(doc["realtime"].as_bool(), Some(true), "{stdout}");
    for c in doc["costs"].as_array().expect("costs") {
        assert!(c["getppid_ns"].as_f64().is_some_and(|x| x > 0.0), "{c}");
        assert!(c["openat_close_ns"].as_f64().is_some_and(|x| x > 0.0), "{c}");
    }
    let rates = doc["rates"].as_array().expect("rates");
    assert_eq!(rates.len(), 3);
    for r in rates {
        // The load's own syscalls reach rulec (minus drops, which are counted).
        let made = r["achieved_per_sec"].as_f64().expect("rate") * 0.3;
        let seen = (r["kernel_records"].as_u64().expect("records") + r["drops"].as_u64().expect("drops")) as f64;
        assert!(seen >= made * 0.9, "rulec saw {seen} records of ~{made} syscalls made: {r}");
        assert!(r["peak_rss_kib"].as_u64().is_some_and(|k| k > 1000), "{r}");
    }
}
