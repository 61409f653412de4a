//! `rulec selftest` on the real kernel: every check is detected (exit 0, a table of ten detected
//! rules with times), and with one rule turned off the run fails (exit 1) naming what was missed;
//! a running deployment is checked through its output file and through its metrics endpoint.
//! Needs root and BTF (skipped elsewhere with a message; a failure under `RULEC_REQUIRE_KERNEL=1`).

use std::process::Command;

fn selftest(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rulec")).arg("selftest").args(args).output().expect("rulec runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_check_is_detected_and_a_disabled_rule_fails_the_run() {
    if !rulec_test_support::kernel("`rulec selftest`") {
        return;
    }
    let _kernel = crate::KERNEL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let (status, stdout, stderr) = selftest(&[]);
    assert_eq!(status, 0, "{stdout}{stderr}");
    assert!(stdout.contains("10 of 10 rules detected"), "{stdout}");
    assert_eq!(stdout.lines().filter(|l| l.contains(" detected ")).count(), 10, "{stdout}");
    let (status, stdout, _) = selftest(&["--disable", "Setuid or setgid bit set", "--timeout", "2"]);
    assert_eq!(status, 1, "{stdout}");
    assert!(stdout.contains("9 of 10 rules detected"), "{stdout}");
    assert!(stdout.lines().any(|l| l.starts_with("Setuid or setgid bit set") && l.contains("MISSED")), "{stdout}");
}

/// A deployment checked from outside: `rulec run` with an output file and a metrics endpoint is
/// already running, and selftest sees every check through either.
#[test]
fn a_running_deployment_is_checked_through_its_output_file_and_its_metrics() {
    if !rulec_test_support::kernel("`rulec selftest` against a running `rulec run`") {
        return;
    }
    let _kernel = crate::KERNEL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = std::env::temp_dir().join(format!("rulec-selftest-deployed-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let alerts = dir.join("alerts.jsonl");
    std::fs::write(&alerts, "").expect("alerts file");
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
    let address = format!("127.0.0.1:{port}");
    let alerts_arg = alerts.to_str().expect("utf-8 path");
    let live = crate::live::Live::start(
        ["run", "--all-matches", "--no-stdout", "--output-file", alerts_arg, "--metrics-address", &address],
        "watching the host",
    );
    let (status, stdout, stderr) = selftest(&["--alerts-file", alerts_arg]);
    assert_eq!(status, 0, "{stdout}{stderr}");
    assert!(stdout.contains("10 of 10 rules detected"), "{stdout}");
    let url = format!("http://{address}/metrics");
    let (status, stdout, stderr) = selftest(&["--metrics-url", &url]);
    assert_eq!(status, 0, "{stdout}{stderr}");
    assert!(stdout.contains("10 of 10 rules detected"), "{stdout}");
    let stopped = live.stop();
    assert_eq!(stopped.code, Some(0), "{}", stopped.stderr);
    // Not a rulec endpoint: a clear error, exit 2.
    let (status, _, stderr) = selftest(&["--metrics-url", "http://127.0.0.1:9/metrics"]);
    assert_eq!(status, 2, "{stderr}");
    assert!(stderr.contains("cannot read http://127.0.0.1:9/metrics"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
