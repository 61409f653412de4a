//! `rulec run`'s outputs and rule selection end to end, over a recorded capture (`--replay`):
//! every output (stdout, file, webhook to a loopback receiver, syslog to a socket, a program)
//! gets every alert; a dead webhook costs the run nothing and is counted; an output that cannot
//! start stops the run before anything starts; `--disable`/`--enable`/`--min-priority` choose the
//! rules; `--rate-limit` suppresses and counts. Needs `../shared` (the capture).

use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use rulec_test_support::http::{Receiver, dead_url};

/// Two rules the curl capture triggers often: 48 `open` exits (Notice, tag a) and 54 `close`
/// exits (Debug, tag b).
pub(super) const RULES: &str = r#"
- rule: Any open
  desc: every open exit
  condition: evt.type = open and evt.dir = <
  output: "open %fd.name by %proc.name (cmd=%proc.cmdline)"
  priority: NOTICE
  tags: [a]
- rule: Any close
  desc: every close exit
  condition: evt.type = close and evt.dir = <
  output: "close %fd.num by %proc.name"
  priority: DEBUG
  tags: [b]
"#;

struct Setup {
    dir: PathBuf,
    rules: String,
    capture: String,
}

fn setup(name: &str) -> Option<Setup> {
    let capture = rulec_test_support::shared("captures/libs-curl_google.scap")?;
    let dir = std::env::temp_dir().join(format!("rulec-outputs-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let rules = dir.join("rules.yaml");
    std::fs::write(&rules, RULES).expect("rules");
    Some(Setup { rules: s(&rules).to_string(), capture: s(&capture).to_string(), dir })
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// `rulec run --rules R --replay C ARGS`: (status, stdout, stderr).
fn run(st: &Setup, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rulec"))
        .args(["run", "--rules", &st.rules, "--replay", &st.capture])
        .args(args)
        .output()
        .expect("rulec runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn rules_of(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).expect("JSON line")["rule"].as_str().unwrap_or("").to_string()
        })
        .collect()
}

#[test]
fn every_output_gets_every_alert() {
    let Some(st) = setup("all") else { return };
    let rx = Receiver::start(200, Duration::ZERO);
    let file = st.dir.join("alerts.jsonl");
    let piped = st.dir.join("piped.jsonl");
    let socket = st.dir.join("log.sock");
    let syslog = UnixDatagram::bind(&socket).expect("bind");
    syslog.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    // Read while rulec runs: a Unix datagram queue holds few messages, and a full one makes the
    // sender wait, as a stalled syslog daemon would.
    let reader = std::thread::spawn(move || {
        let mut got = Vec::new();
        let mut buf = vec![0u8; 65536];
        while let Ok(n) = syslog.recv(&mut buf) {
            got.push(String::from_utf8_lossy(&buf[..n]).into_owned());
            if got.len() == 102 {
                break;
            }
        }
        got
    });
    let program = format!("cat >> '{}'", piped.display());
    let (status, stdout, stderr) = run(
        &st,
        &[
            "-o",
            "json",
            "--output-file",
            s(&file),
            "--webhook",
            &rx.url,
            "--webhook-header",
            "X-Fleet: lab",
            "--syslog",
            s(&socket),
            "--program",
            &program,
        ],
    );
    assert_eq!(status, 0, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 102, "48 opens and 54 closes:\n{stderr}");
    let file_lines = std::fs::read_to_string(&file).expect("file output");
    assert_eq!(file_lines.lines().collect::<Vec<_>>(), lines, "the file holds the same JSON lines");
    let piped_lines = std::fs::read_to_string(&piped).expect("program output");
    assert_eq!(piped_lines.lines().collect::<Vec<_>>(), lines, "the program read the same JSON lines");
    let bodies: Vec<String> = rx.requests().into_iter().map(|r| r.body).collect();
    assert_eq!(bodies, lines, "one POST per alert, its body the alert JSON");
    assert!(rx.requests().iter().all(|r| r.headers.contains(&("x-fleet".into(), "lab".into()))));
    let messages = reader.join().expect("reader");
    assert_eq!(messages.len(), lines.len(), "a syslog datagram per alert");
    for (line, msg) in lines.iter().zip(&messages) {
        let doc: serde_json::Value = serde_json::from_str(line).expect("JSON");
        let text = doc["output"].as_str().expect("output");
        let pri = if doc["priority"] == "Notice" { "<13>1 " } else { "<15>1 " };
        assert!(msg.starts_with(pri) && msg.ends_with(text), "{msg}");
    }
    for name in ["stdout", "file", "webhook", "syslog", "program"] {
        assert!(
            stderr.lines().any(|l| l.contains(&format!("output {name}")) && l.contains(": 102 delivered, 0 failed")),
            "{name} delivered all:\n{stderr}"
        );
    }
}

#[test]
fn a_dead_webhook_costs_the_run_nothing_and_is_counted() {
    let Some(st) = setup("dead") else { return };
    let url = dead_url();
    let (status, stdout, stderr) =
        run(&st, &["-o", "json", "--webhook", &url, "--webhook-attempts", "1", "--webhook-timeout", "0.5"]);
    assert_eq!(status, 0, "{stderr}");
    assert_eq!(stdout.lines().count(), 102);
    assert!(
        stderr.lines().any(|l| l.contains("output webhook") && l.contains("0 delivered, 102 failed")),
        "every alert counted as failed:\n{stderr}"
    );
}

#[test]
fn an_output_that_cannot_start_stops_the_run_first() {
    let Some(st) = setup("bad") else { return };
    let bad = st.dir.join("missing-dir").join("alerts.jsonl");
    let (status, stdout, stderr) = run(&st, &["--output-file", s(&bad)]);
    assert_eq!(status, 2, "{stderr}");
    assert!(stdout.is_empty());
    assert!(stderr.contains("alerts.jsonl") && stderr.contains("nothing was started"), "{stderr}");
    let (status, _, stderr) = run(&st, &["--no-stdout"]);
    assert_eq!(status, 2);
    assert!(stderr.contains("no output"), "{stderr}");
}

#[test]
fn rules_are_chosen_by_name_tag_and_priority() {
    let Some(st) = setup("select") else { return };
    let count = |rules: &[String], name: &str| rules.iter().filter(|r| *r == name).count();
    let (_, out, _) = run(&st, &["-o", "json", "--disable", "tag:b"]);
    let r = rules_of(&out);
    assert_eq!((count(&r, "Any open"), count(&r, "Any close")), (48, 0));
    let (_, out, _) = run(&st, &["-o", "json", "--disable", "*", "--enable", "Any cl*"]);
    let r = rules_of(&out);
    assert_eq!((count(&r, "Any open"), count(&r, "Any close")), (0, 54));
    let (_, out, _) = run(&st, &["-o", "json", "--min-priority", "notice"]);
    let r = rules_of(&out);
    assert_eq!((count(&r, "Any open"), count(&r, "Any close")), (48, 0), "Debug is below Notice");
    let (status, _, stderr) = run(&st, &["--disable", "No such rule"]);
    assert_eq!(status, 0);
    assert!(stderr.contains("warning: --disable No such rule matches no rule"), "{stderr}");
    let (status, _, stderr) = run(&st, &["--min-priority", "loud"]);
    assert_eq!(status, 2);
    assert!(stderr.contains("--min-priority loud"), "{stderr}");
}

#[test]
fn the_rate_limit_suppresses_and_counts_per_rule() {
    let Some(st) = setup("rate") else { return };
    let (status, out, stderr) = run(&st, &["-o", "json", "--rate-limit", "0.001", "--rate-burst", "3"]);
    assert_eq!(status, 0, "{stderr}");
    let r = rules_of(&out);
    // The capture lasts 8 s: at 0.001/s no token comes back, so the burst is all.
    assert_eq!(r.iter().filter(|x| *x == "Any open").count(), 3);
    assert_eq!(r.iter().filter(|x| *x == "Any close").count(), 3);
    assert!(stderr.contains("102 alerts (96 suppressed by the rate limit)"), "{stderr}");
    assert!(stderr.contains("45  suppressed by the rate limit: Any open"), "{stderr}");
    assert!(stderr.contains("51  suppressed by the rate limit: Any close"), "{stderr}");
}

/// SIGUSR1 reopens the output file: after logrotate-style renaming, alerts go to a new file at
/// the configured path. On the live kernel (a replay ends before a signal could be sent).
#[test]
fn sigusr1_reopens_the_output_file() {
    if !rulec_test_support::kernel("live `rulec run --output-file` with SIGUSR1") {
        return;
    }
    let _kernel = crate::KERNEL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    use crate::live::Live;
    use std::process::Stdio;
    let dir = std::env::temp_dir().join(format!("rulec-outputs-cli-usr1-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let marker = dir.join("usr1-marker");
    std::fs::write(&marker, "x").expect("marker");
    let rules = dir.join("rules.yaml");
    std::fs::write(
        &rules,
        format!(
            "- rule: Marker read\n  desc: the marker is opened\n  condition: evt.type in (open, openat, openat2) and evt.dir = < and fd.name = {}\n  output: marker (proc=%proc.name)\n  priority: WARNING\n",
            marker.display()
        ),
    )
    .expect("rules");
    let file = dir.join("alerts.jsonl");
    let rotated = dir.join("alerts.jsonl.1");
    let live =
        Live::start(["run", "--no-stdout", "--rules", s(&rules), "--output-file", s(&file)], "watching the host");
    let cat = || {
        let st = Command::new("cat").arg(&marker).stdout(Stdio::null()).status().expect("cat");
        assert!(st.success());
    };
    let lines = |p: &Path| std::fs::read_to_string(p).map(|t| t.lines().count()).unwrap_or(0);
    cat();
    let wait = |p: &Path, n: usize| {
        let end = std::time::Instant::now() + Duration::from_secs(20);
        while lines(p) < n && std::time::Instant::now() < end {
            std::thread::sleep(Duration::from_millis(50));
        }
        lines(p)
    };
    assert_eq!(wait(&file, 1), 1, "the first alert reaches the file");
    std::fs::rename(&file, &rotated).expect("rotate");
    live.signal(libc::SIGUSR1);
    std::thread::sleep(Duration::from_millis(300));
    cat();
    assert_eq!(wait(&file, 1), 1, "after SIGUSR1 the alert goes to a new file at the path");
    assert_eq!(lines(&rotated), 1, "the rotated file keeps what it had");
    let stopped = live.stop();
    assert_eq!(stopped.code, Some(0), "{}", stopped.stderr);
    let _ = std::fs::remove_dir_all(&dir);
}
