//! Hot reload of `rulec run` on the live kernel: a rules file that gained an error is refused on
//! SIGHUP (its diagnostics printed, the old rules keep alerting); a corrected one is swapped in when
//! `--watch` sees the file change (the new rule alerts, the old one no longer does) while the stream
//! goes on; SIGHUP reloads again. The outcome is printed as soon as the build ends, whether or not
//! events flow. Needs root and BTF (skipped elsewhere with a message; a failure under
//! `RULEC_REQUIRE_KERNEL=1`).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::live::Live;

/// How long a reload may take to report its outcome.
const WITHIN: Duration = Duration::from_secs(30);

fn rule_on(marker: &Path, name: &str) -> String {
    format!(
        "- rule: {name}\n  desc: the test's marker is opened\n  condition: evt.type in (open, openat, openat2) and evt.dir = < and fd.name = {}\n  output: marker (file=%fd.name)\n  priority: WARNING\n",
        marker.display()
    )
}

fn open(p: &Path) {
    let st = Command::new("cat").arg(p).stdout(Stdio::null()).status().expect("cat");
    assert!(st.success());
}

#[test]
fn a_bad_reload_is_refused_and_a_good_one_swaps_in() {
    if !rulec_test_support::kernel("live `rulec run --watch`") {
        return;
    }
    let _kernel = crate::KERNEL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = std::env::temp_dir().join(format!("rulec-reload-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (one, two) = (dir.join("marker-one"), dir.join("marker-two"));
    std::fs::write(&one, "1").expect("marker");
    std::fs::write(&two, "2").expect("marker");
    let rules = dir.join("rules.yaml");
    std::fs::write(&rules, rule_on(&one, "Marker one")).expect("rules");
    let rules_arg = rules.to_str().expect("utf-8 path");
    let mut live = Live::start(["run", "-o", "json", "--watch", "--rules", rules_arg], "watching the host");
    open(&one);

    // A broken ruleset: refused, the old rule still alerts.
    std::fs::write(&rules, "- rule: Broken\n  desc: x\n  condition: evt.type = \n  output: x\n  priority: WARNING\n")
        .expect("rules");
    live.signal(libc::SIGHUP);
    live.wait_for("reload refused", WITHIN);
    open(&one);

    // A good one: swapped in; only the new rule alerts from now on.
    // This one through `--watch` alone: the file's change is the request.
    std::fs::write(&rules, rule_on(&two, "Marker two")).expect("rules");
    live.wait_for("reloaded: 1 rules enabled", WITHIN);
    open(&one);
    open(&two);

    // Once more, with the same rules.
    live.signal(libc::SIGHUP);
    live.wait_for("reloaded: 1 rules enabled", WITHIN);
    open(&two);
    std::thread::sleep(Duration::from_millis(500));
    let stopped = live.stop();
    let log = &stopped.stderr;
    assert_eq!(stopped.code, Some(0), "{log}");
    let rules_fired: Vec<String> = stopped
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("JSON")["rule"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(rules_fired, ["Marker one", "Marker one", "Marker two", "Marker two"], "{log}");
    assert!(log.contains("E0"), "the refused ruleset's diagnostics are printed: {log}");
    let _ = std::fs::remove_dir_all(&dir);
}
