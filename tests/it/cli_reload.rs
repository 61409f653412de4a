//! Hot reload of `rulec run` on the live kernel: a rules file that gained an error is refused on
//! SIGHUP (its diagnostics printed, the old rules keep alerting); a corrected one is swapped in when
//! `--watch` sees the file change (the new rule alerts, the old one no longer does) while the stream
//! goes on; SIGHUP reloads again. The outcome is printed as soon as the build ends, whether or not
//! events flow. Needs root and BTF (skipped elsewhere with a message; a failure under
//! `RULEC_REQUIRE_KERNEL=1`).

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn rule_on(marker: &Path, name: &str) -> String {
    format!(
        "- rule: {name}\n  desc: the test's marker is opened\n  condition: evt.type in (open, openat, openat2) and evt.dir = < and fd.name = {}\n  output: marker (file=%fd.name)\n  priority: WARNING\n",
        marker.display()
    )
}

/// Waits for a stderr line containing `want` (lines go to `log` too).
fn wait_for(lines: &mpsc::Receiver<String>, log: &mut Vec<String>, want: &str) {
    let end = Instant::now() + Duration::from_secs(30);
    while Instant::now() < end {
        if let Ok(l) = lines.recv_timeout(Duration::from_millis(200)) {
            let hit = l.contains(want);
            log.push(l);
            if hit {
                return;
            }
        }
    }
    panic!("no `{want}` on stderr:\n{}", log.join("\n"));
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
    let mut child = Command::new(env!("CARGO_BIN_EXE_rulec"))
        .args(["run", "-o", "json", "--watch", "--rules"])
        .arg(&rules)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start rulec run");
    let (tx, lines) = mpsc::channel();
    let stderr = child.stderr.take().expect("stderr");
    std::thread::spawn(move || {
        for l in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(l);
        }
    });
    let mut log = Vec::new();
    wait_for(&lines, &mut log, "watching the host");
    open(&one);
    let hup = || {
        // SAFETY: kill(2) with a child's pid and a signal number has no memory effects.
        unsafe { libc::kill(child.id() as i32, libc::SIGHUP) };
    };

    // A broken ruleset: refused, the old rule still alerts.
    std::fs::write(&rules, "- rule: Broken\n  desc: x\n  condition: evt.type = \n  output: x\n  priority: WARNING\n")
        .expect("rules");
    hup();
    wait_for(&lines, &mut log, "reload refused");
    open(&one);

    // A good one: swapped in; only the new rule alerts from now on.
    // This one through `--watch` alone: the file's change is the request.
    std::fs::write(&rules, rule_on(&two, "Marker two")).expect("rules");
    wait_for(&lines, &mut log, "reloaded: 1 rules enabled");
    open(&one);
    open(&two);

    // Once more, with the same rules.
    hup();
    wait_for(&lines, &mut log, "reloaded: 1 rules enabled");
    open(&two);
    std::thread::sleep(Duration::from_millis(500));
    // SAFETY: as above.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let mut stdout = String::new();
    child.stdout.take().expect("stdout").read_to_string(&mut stdout).expect("alerts");
    let status = child.wait().expect("exits");
    while let Ok(l) = lines.recv_timeout(Duration::from_secs(2)) {
        log.push(l);
    }
    assert_eq!(status.code(), Some(0), "{}", log.join("\n"));
    let rules_fired: Vec<String> = stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("JSON")["rule"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(rules_fired, ["Marker one", "Marker one", "Marker two", "Marker two"], "{}", log.join("\n"));
    assert!(log.iter().any(|l| l.contains("E0")), "the refused ruleset's diagnostics are printed: {}", log.join("\n"));
    let _ = std::fs::remove_dir_all(&dir);
}
