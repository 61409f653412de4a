//! End-to-end tests of `rulec run`: over recorded captures (`--replay`: alerts in Falco's text
//! and JSON shapes, the summary, rules that fail to load, a capture cut mid-event) and on the
//! live kernel (the eBPF probe; needs root and BTF: skipped elsewhere with a message, a failure
//! under `RULEC_REQUIRE_KERNEL=1`, which CI sets).

use std::io::{BufRead, BufReader, Read};

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn rulec(args: &[&str]) -> (i32, String, String) {
    let output =
        Command::new(env!("CARGO_BIN_EXE_rulec")).args(args).current_dir(ROOT).output().expect("the rulec binary runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// `--rules` arguments for the upstream rules files whose rule the IPv6 capture triggers (the
/// incubating file builds on the stable one's macros).
fn falco_rules() -> Option<Vec<String>> {
    let dir = rulec_test_support::shared("conformance/falco")?;
    Some(
        ["falco_rules.yaml", "falco-incubating_rules.yaml"]
            .iter()
            .flat_map(|f| ["--rules".to_string(), dir.join(f).display().to_string()])
            .collect(),
    )
}

/// `rulec run` arguments: the rules, then the rest.
fn with<'a>(rules: &'a [String], rest: &[&'a str]) -> Vec<&'a str> {
    std::iter::once("run").chain(rules.iter().map(String::as_str)).chain(rest.iter().copied()).collect()
}

fn capture(name: &str) -> Option<PathBuf> {
    rulec_test_support::shared(&format!("captures/{name}"))
}

pub(super) fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn replay_prints_falco_alert_json() {
    let (Some(rules), Some(cap)) = (falco_rules(), capture("libs-test_ipv6_client.scap")) else { return };
    let (status, stdout, stderr) = rulec(&with(&rules, &["--replay", s(&cap), "-o", "json"]));
    assert_eq!(status, 0, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "one alert expected:\n{stdout}");
    let alert: Value = serde_json::from_str(lines[0]).expect("one JSON object per line");
    let keys: Vec<&str> = alert.as_object().expect("object").keys().map(String::as_str).collect();
    assert_eq!(keys, ["hostname", "output", "output_fields", "priority", "rule", "source", "tags", "time"]);
    assert_eq!(alert["rule"], "Unexpected UDP Traffic");
    assert_eq!(alert["priority"], "Notice");
    assert_eq!(alert["source"], "syscall");
    let time = alert["time"].as_str().expect("time string");
    assert!(time.len() == 30 && time.ends_with('Z') && time.as_bytes()[19] == b'.', "{time}");
    let fields = &alert["output_fields"];
    assert!(fields["evt.time"].is_u64(), "evt.time is integer nanoseconds: {fields}");
    assert_eq!(fields["evt.type"], "connect");
    assert_eq!(fields["fd.l4proto"], "udp");
    assert!(fields["user.name"].is_null(), "a value that cannot be extracted is null: {fields}");
    assert!(alert["output"].as_str().expect("output").contains("Notice Unexpected UDP Traffic Seen"));
    assert!(stderr.contains("rulec run summary: 326 events"), "{stderr}");
    assert!(stderr.contains("1  Unexpected UDP Traffic"), "{stderr}");
}

#[test]
fn replay_text_lines_match_json_output() {
    let (Some(rules), Some(cap)) = (falco_rules(), capture("libs-test_ipv6_client.scap")) else { return };
    let (status, text, _) = rulec(&with(&rules, &["--replay", s(&cap)]));
    assert_eq!(status, 0);
    let (_, json, _) = rulec(&with(&rules, &["--replay", s(&cap), "-o", "json"]));
    let outputs: Vec<String> = json
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("json")["output"].as_str().expect("output").to_string())
        .collect();
    assert_eq!(text.lines().collect::<Vec<_>>(), outputs);
}

#[test]
fn replay_without_rules_uses_the_embedded_stdlib() {
    let Some(cap) = capture("libs-curl_google.scap") else { return };
    let (status, _, stderr) = rulec(&["run", "--replay", s(&cap)]);
    assert_eq!(status, 0, "{stderr}");
    assert!(stderr.contains("rulec run summary: 1536 events"), "{stderr}");
}

#[test]
fn rules_with_errors_start_nothing() {
    let dir = std::env::temp_dir().join(format!("rulec-run-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let rules = dir.join("bad.yaml");
    std::fs::write(&rules, "- rule: r\n  desc: d\n  condition: proc.nmae = bash\n  output: o\n  priority: WARNING\n")
        .expect("write rules");
    let (status, stdout, stderr) = rulec(&["run", "--rules", s(&rules), "--replay", "/nonexistent.scap"]);
    assert_eq!(status, 1, "{stderr}");
    assert!(stdout.is_empty());
    assert!(stderr.contains("E0401") && stderr.contains("proc.name"), "{stderr}");
    assert!(stderr.contains("nothing was started"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_capture_cut_mid_event_is_a_clear_error_after_its_events() {
    // A plain (not gzip-wrapped) capture, so that cutting its bytes cuts an event.
    let Some(cap) = capture("libs-sample.scap") else { return };
    let bytes = std::fs::read(&cap).expect("read capture");
    let dir = std::env::temp_dir().join(format!("rulec-run-cut-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let cut = dir.join("cut.scap");
    std::fs::write(&cut, &bytes[..bytes.len() * 3 / 4 + 3]).expect("write cut capture");
    let (status, _, stderr) = rulec(&["run", "--replay", s(&cut)]);
    assert_eq!(status, 2, "{stderr}");
    assert!(stderr.contains("cut.scap"), "the error names the file: {stderr}");
    let processed: u64 = stderr
        .split("rulec run: ")
        .find_map(|l| l.split(" events processed before the error").next().and_then(|n| n.trim().parse().ok()))
        .unwrap_or_else(|| panic!("no count of processed events: {stderr}"));
    assert!(processed > 50, "events before the damage are processed: {stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `rulec run` on the live kernel, or `None` (skipped) where it cannot run.
pub(super) fn live_run(rules: &Path) -> Option<Child> {
    if !rulec_test_support::kernel("live `rulec run`") {
        return None;
    }
    Some(
        Command::new(env!("CARGO_BIN_EXE_rulec"))
            .args(["run", "--rules", s(rules), "-o", "json"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start rulec run"),
    )
}

#[test]
fn live_run_alerts_on_what_the_test_does() {
    let dir = std::env::temp_dir().join(format!("rulec-run-live-{}", std::process::id()));
    let root = dir.join("root");
    for d in ["etc", "usr/bin", "home/u"] {
        std::fs::create_dir_all(root.join(d)).expect("temp root");
    }
    std::fs::write(root.join("etc/shadow"), "root:x:0:\n").expect("fake shadow");
    std::fs::write(root.join("etc/hosts"), "127.0.0.1 localhost\n").expect("fake hosts");
    let r = s(&root).to_string();
    let rules = dir.join("rules.yaml");
    std::fs::write(
        &rules,
        format!(
            r#"
- macro: open_read
  condition: evt.type in (open, openat, openat2) and evt.is_open_read = true and fd.num >= 0
- macro: open_write
  condition: evt.type in (open, openat, openat2) and evt.is_open_write = true and fd.num >= 0
- rule: Read sensitive file
  desc: a file named like a password database is read
  condition: open_read and fd.name = {r}/etc/shadow
  output: sensitive read (file=%fd.name proc=%proc.name exe=%proc.exepath parent=%proc.pname user=%user.name cmdline=%proc.cmdline)
  priority: WARNING
  tags: [filesystem, T1555]
- rule: Write below binary dir
  desc: a file is written in a binary directory
  condition: open_write and fd.directory = {r}/usr/bin
  output: binary dir write (file=%fd.name proc=%proc.name cmdline=%proc.cmdline)
  priority: ERROR
- rule: Shell under unexpected parent
  desc: a shell started by the test's own helper script
  condition: evt.type in (execve, execveat) and evt.dir = < and proc.name = sh and proc.pname = rulec-live-par
  output: shell (proc=%proc.name parent=%proc.pname cmdline=%proc.cmdline exe=%proc.exepath)
  priority: NOTICE
"#
        ),
    )
    .expect("write rules");
    let Some(mut child) = live_run(&rules) else { return };
    // Wait until the probe is attached.
    let stderr = child.stderr.take().expect("stderr");
    let mut err_lines = BufReader::new(stderr).lines();
    let start = Instant::now();
    loop {
        let line = err_lines.next().expect("rulec run ended before it was ready").expect("stderr line");
        if line.contains("watching the host") {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "not ready: {line}");
    }
    // The actions, and a benign look-alike of each.
    let run = |cmd: &str| {
        let st = Command::new("/bin/sh").arg("-c").arg(cmd).status().expect("sh");
        assert!(st.success(), "{cmd}");
    };
    run(&format!("cat {r}/etc/shadow > /dev/null; cat {r}/etc/hosts > /dev/null"));
    run(&format!("echo x > {r}/usr/bin/dropped; echo x > {r}/home/u/notes"));
    let par = dir.join("rulec-live-par");
    std::fs::write(&par, "#!/bin/sh\n/bin/sh -c 'true'\nexit 0\n").expect("script");
    run(&format!("chmod +x {0} && {0} && /bin/sh -c true", s(&par)));
    std::thread::sleep(Duration::from_millis(500));
    // SIGTERM: rulec drains what arrived, prints the summary and exits 0.
    // SAFETY: kill(2) with a child's pid and SIGTERM has no memory effects.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let mut stdout = String::new();
    child.stdout.take().expect("stdout").read_to_string(&mut stdout).expect("read alerts");
    let rest: Vec<String> = err_lines.map_while(Result::ok).collect();
    let status = child.wait().expect("rulec run exits");
    let summary = rest.join("\n");
    assert_eq!(status.code(), Some(0), "{summary}");
    assert!(summary.contains("rulec run summary:") && summary.contains("kernel:"), "{summary}");

    let alerts: Vec<Value> = stdout.lines().map(|l| serde_json::from_str(l).expect("alert JSON")).collect();
    let of = |rule: &str| alerts.iter().filter(|a| a["rule"] == rule).collect::<Vec<_>>();
    let sensitive = of("Read sensitive file");
    assert_eq!(sensitive.len(), 1, "exactly the shadow read, not the hosts read: {stdout}");
    let f = &sensitive[0]["output_fields"];
    assert_eq!(f["fd.name"], format!("{r}/etc/shadow"));
    assert_eq!(f["proc.name"], "cat");
    assert!(f["proc.exepath"].as_str().is_some_and(|p| p.ends_with("/cat")), "{f}");
    assert_eq!(f["proc.pname"], "sh");
    assert_eq!(f["user.name"], "root");
    assert_eq!(f["proc.cmdline"], format!("cat {r}/etc/shadow"));
    assert_eq!(sensitive[0]["tags"], serde_json::json!(["T1555", "filesystem"]));

    let written = of("Write below binary dir");
    assert_eq!(written.len(), 1, "only the write in usr/bin: {stdout}");
    assert_eq!(written[0]["output_fields"]["fd.name"], format!("{r}/usr/bin/dropped"));
    assert_eq!(written[0]["priority"], "Error");

    let shells = of("Shell under unexpected parent");
    assert_eq!(shells.len(), 1, "the shell under the helper script, not the one under sh: {stdout}");
    assert_eq!(shells[0]["output_fields"]["proc.cmdline"], "sh -c true");
    assert_eq!(shells[0]["output_fields"]["proc.exepath"], "/bin/sh");
    let _ = std::fs::remove_dir_all(&dir);
}
