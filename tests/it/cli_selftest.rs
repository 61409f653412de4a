//! `rulec selftest` on the real kernel: every check is detected (exit 0, a table of ten detected
//! rules with times), and with one rule turned off the run fails (exit 1) naming what was missed.
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
