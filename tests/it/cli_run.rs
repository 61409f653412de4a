//! End-to-end tests of `rulec run`: over recorded captures (`--replay`: alerts in Falco's text
//! and JSON shapes, the summary, rules that fail to load, a capture cut mid-event) and on the
//! live kernel (the eBPF probe; needs root and BTF: skipped elsewhere with a message, a failure
//! under `RULEC_REQUIRE_KERNEL=1`, which CI sets).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::live::Live;
use crate::rulec;

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

/// `path` with its symbolic links resolved (itself when it cannot be).
pub(super) fn real(path: &str) -> String {
    std::fs::canonicalize(path).map_or_else(|_| path.to_string(), |p| p.display().to_string())
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
    // Read on the rules' thread, the same events before the same error.
    let (status_here, _, stderr_here) = rulec(&["run", "--no-read-ahead", "--replay", s(&cut)]);
    assert_eq!((status_here, &stderr_here), (status, &stderr));
    assert!(stderr.contains("cut.scap"), "the error names the file: {stderr}");
    let processed: u64 = stderr
        .split("rulec run: ")
        .find_map(|l| l.split(" events processed before the error").next().and_then(|n| n.trim().parse().ok()))
        .unwrap_or_else(|| panic!("no count of processed events: {stderr}"));
    assert!(processed > 50, "events before the damage are processed: {stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A capture read by a second thread (the default on more than one CPU) and one read on the
/// rules' thread (`--no-read-ahead`) give the same alerts, in the same order, and the same
/// summary, over captures played long enough to cross the reading thread's chunks: a container
/// capture under the stdlib (40 alerts) and the IPv6 client under the upstream rules (200).
#[test]
fn replay_reads_ahead_with_the_same_alerts() {
    let Some(upstream) = falco_rules() else { return };
    let dir = std::env::temp_dir().join(format!("rulec-run-ahead-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let cases = [
        ("falco-psp_run_as_user_0_container.scap", 40, vec![], "165720 events", 40),
        ("libs-test_ipv6_client.scap", 200, upstream, "65200 events", 200),
    ];
    for (name, times, rules, events, alerts) in cases {
        let Some(cap) = capture(name) else { return };
        let long = dir.join(name);
        let (status, _, stderr) = rulec(&["capture", "repeat", s(&cap), s(&long), "--times", &times.to_string()]);
        assert_eq!(status, 0, "{stderr}");
        let run = |extra: &[&str]| {
            let mut args = with(&rules, &["--replay", s(&long), "-o", "json", "--all-matches"]);
            args.extend_from_slice(extra);
            let (status, stdout, stderr) = rulec(&args);
            assert_eq!(status, 0, "{stderr}");
            let summary = stderr.lines().find(|l| l.starts_with("rulec run summary:")).map(|l| {
                // The rate differs from run to run; the counts must not.
                let (count, rest) = l.split_once(" (").unwrap_or((l, ""));
                format!("{count} {}", rest.split_once(')').map_or("", |r| r.1))
            });
            (stdout, summary.unwrap_or_else(|| panic!("no summary: {stderr}")))
        };
        let (ahead, here) = (run(&[]), run(&["--no-read-ahead"]));
        assert!(ahead.1.contains(events) && ahead.1.ends_with(&format!(" {alerts} alerts")), "{name}: {}", ahead.1);
        assert_eq!(ahead.0.lines().count(), alerts, "{name}");
        assert_eq!(ahead.1, here.1, "{name}");
        assert!(ahead.0 == here.0, "{name}: different alerts:\n{}\n---\n{}", ahead.0, here.0);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Helper programs for the live test's actions (python3 is in CI's package list).
const NET_PY: &str =
    "import socket, sys\nfor port in sys.argv[1:]:\n    socket.create_connection(('127.0.0.1', int(port))).close()\n";
const PTRACE_PY: &str = r#"import ctypes, os, signal, time
libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
libc.ptrace.restype = ctypes.c_long
child = os.fork()
if child == 0:
    time.sleep(30)
    os._exit(0)
if libc.ptrace(16, child, None, None) != 0:  # PTRACE_ATTACH
    raise SystemExit("PTRACE_ATTACH failed: errno %d" % ctypes.get_errno())
os.waitpid(child, 0)
libc.ptrace(17, child, None, None)  # PTRACE_DETACH: a ptrace call the rule must not flag
os.kill(child, signal.SIGKILL)
os.waitpid(child, 0)
"#;
const MEMFD_PY: &str = r#"import os
fd = os.memfd_create("rulec-payload", 0)
os.write(fd, open("/bin/true", "rb").read())
for from_memfd in (True, False):
    pid = os.fork()
    if pid == 0:
        if from_memfd:
            os.execve(fd, ["rulec-payload"], {})
        os.execve("/bin/true", ["true"], {})
    _, status = os.waitpid(pid, 0)
    assert status == 0, status
"#;

#[test]
fn live_run_alerts_on_what_the_test_does() {
    let dir = std::env::temp_dir().join(format!("rulec-run-live-{}", std::process::id()));
    let root = dir.join("root");
    for d in ["etc", "usr/bin", "home/u"] {
        std::fs::create_dir_all(root.join(d)).expect("temp root");
    }
    std::fs::write(root.join("etc/shadow"), "root:x:0:\n").expect("fake shadow");
    std::fs::write(root.join("etc/hosts"), "127.0.0.1 localhost\n").expect("fake hosts");
    std::fs::write(root.join("home/u/.bash_history"), "ls\n").expect("fake history");
    std::fs::write(root.join("home/u/old-notes"), "x\n").expect("a file to delete");
    for tool in ["tool", "tool2"] {
        std::fs::write(root.join("usr/bin").join(tool), "#!/bin/sh\n").expect("a file to chmod");
    }
    for (name, text) in [("net.py", NET_PY), ("ptrace.py", PTRACE_PY), ("memfd.py", MEMFD_PY)] {
        std::fs::write(dir.join(name), text).expect("helper script");
    }
    // Two local listeners: a connection to the first is unexpected, to the second allowed.
    let listeners: Vec<std::net::TcpListener> =
        (0..2).map(|_| std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback listener")).collect();
    let port = |i: usize| listeners[i].local_addr().expect("listener address").port();
    let (bad_port, ok_port) = (port(0), port(1));
    let r = s(&root).to_string();
    let d = s(&dir).to_string();
    // The python3 the shell ends up running (after wrappers such as pyenv's shims), with its
    // symbolic links resolved: proc.exepath is the executable the kernel ran (libsinsp's
    // `trusted_exepath`), not the path exec was given.
    let python =
        Command::new("python3").args(["-c", "import sys; print(sys.executable)"]).output().expect("python3 runs");
    let python = real(String::from_utf8_lossy(&python.stdout).trim());
    let sh = real("/bin/sh");
    let rules = dir.join("rules.yaml");
    std::fs::write(
        &rules,
        format!(
            r#"
- macro: open_read
  condition: evt.type in (open, openat, openat2) and evt.is_open_read = true and fd.num >= 0
- macro: open_write
  condition: evt.type in (open, openat, openat2) and evt.is_open_write = true and fd.num >= 0
- macro: spawned_process
  condition: evt.type in (execve, execveat) and evt.dir = < and evt.arg.res = 0
- rule: Read sensitive file
  desc: a file named like a password database is read
  condition: open_read and fd.name = {r}/etc/shadow
  output: sensitive read (file=%fd.name proc=%proc.name exe=%proc.exepath parent=%proc.pname user=%user.name cmdline=%proc.cmdline)
  priority: WARNING
  tags: [filesystem, T1555]
- rule: Write below binary dir
  desc: a file is written in a binary directory
  condition: open_write and fd.directory = {r}/usr/bin
  output: binary dir write (file=%fd.name proc=%proc.name exe=%proc.exepath parent=%proc.pname user=%user.name cmdline=%proc.cmdline)
  priority: ERROR
- rule: Shell under unexpected parent
  desc: a shell started by the test's own helper script
  condition: spawned_process and proc.name = sh and proc.pname = rulec-live-par and proc.pcmdline contains "{d}/"
  output: shell (proc=%proc.name parent=%proc.pname cmdline=%proc.cmdline exe=%proc.exepath user=%user.name)
  priority: NOTICE
- list: allowed_local_ports
  items: [{ok_port}]
- rule: Unexpected loopback connection
  desc: a TCP connection from the test's helper to a local port that is not an allowed one
  condition: >
    evt.type = connect and evt.dir = < and (fd.typechar = 4 or fd.typechar = 6)
    and (evt.rawres >= 0 or evt.res = EINPROGRESS) and fd.sip = 127.0.0.1
    and proc.cmdline contains "{d}/net.py" and not fd.sport in (allowed_local_ports)
  output: loopback connection (connection=%fd.name port=%fd.sport proc=%proc.name exe=%proc.exepath parent=%proc.pname user=%user.name cmdline=%proc.cmdline)
  priority: NOTICE
- macro: ptrace_attach_or_injection
  condition: >
    (evt.type = ptrace and evt.dir = < and
    (evt.arg.request contains PTRACE_POKETEXT or evt.arg.request contains PTRACE_POKEDATA or
    evt.arg.request contains PTRACE_ATTACH or evt.arg.request contains PTRACE_SEIZE or
    evt.arg.request contains PTRACE_SETREGS))
- rule: PTRACE attached to process
  desc: the test's helper attaches to its own child
  condition: ptrace_attach_or_injection and proc.cmdline contains "{d}/ptrace.py"
  output: ptrace (request=%evt.arg.request proc=%proc.name exe=%proc.exepath parent=%proc.pname user=%user.name cmdline=%proc.cmdline)
  priority: WARNING
- rule: Fileless execution via memfd_create
  desc: a program runs from a memfd
  condition: spawned_process and proc.is_exe_from_memfd = true and proc.pcmdline contains "{d}/memfd.py"
  output: memfd exec (proc=%proc.name exe=%proc.exepath parent=%proc.pname user=%user.name cmdline=%proc.cmdline)
  priority: CRITICAL
- rule: Set Setuid or Setgid bit
  desc: >
    chmod sets the setuid or setgid bit (the mode by flag name, as libsinsp renders it)
  condition: >
    evt.type in (chmod, fchmod, fchmodat) and evt.dir = < and
    (evt.arg.mode contains S_ISUID or evt.arg.mode contains S_ISGID)
    and proc.cmdline contains "{r}/"
  output: setuid bit (file=%fs.path.name mode=%evt.arg.mode proc=%proc.name exe=%proc.exepath parent=%proc.pname user=%user.name cmdline=%proc.cmdline)
  priority: NOTICE
- rule: Delete or rename shell history
  desc: a shell history file is deleted or renamed
  condition: >
    evt.type in (unlink, unlinkat, rename, renameat, renameat2) and evt.dir = < and
    (evt.arg.name endswith "ash_history" or evt.arg.path endswith "ash_history" or evt.arg.oldpath endswith "ash_history")
    and proc.cmdline contains "{r}/"
  output: history deleted (file=%fs.path.name proc=%proc.name exe=%proc.exepath parent=%proc.pname user=%user.name cmdline=%proc.cmdline)
  priority: WARNING
"#
        ),
    )
    .expect("write rules");
    let _kernel = crate::KERNEL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if !rulec_test_support::kernel("live `rulec run`") {
        return;
    }
    let live = Live::start(["run", "--rules", s(&rules), "-o", "json"], "watching the host");
    // The actions, each with a benign look-alike.
    let run = |cmd: &str| {
        let out = Command::new("/bin/sh").arg("-c").arg(cmd).output().expect("sh");
        assert!(out.status.success(), "{cmd}: {}", String::from_utf8_lossy(&out.stderr));
    };
    run(&format!("cat {r}/etc/shadow > /dev/null; cat {r}/etc/hosts > /dev/null"));
    run(&format!("echo x > {r}/usr/bin/dropped; echo x > {r}/home/u/notes"));
    let par = dir.join("rulec-live-par");
    std::fs::write(&par, "#!/bin/sh\n/bin/sh -c 'true'\nexit 0\n").expect("script");
    run(&format!("chmod +x {0} && {0} && /bin/sh -c true", s(&par)));
    run(&format!("python3 {d}/net.py {bad_port} {ok_port}"));
    run(&format!("python3 {d}/ptrace.py"));
    run(&format!("python3 {d}/memfd.py"));
    run(&format!("chmod u+s {r}/usr/bin/tool; chmod 0755 {r}/usr/bin/tool2"));
    run(&format!("rm {r}/home/u/.bash_history; rm {r}/home/u/old-notes"));
    std::thread::sleep(Duration::from_millis(1000));
    // SIGTERM: rulec drains what arrived, prints the summary and exits 0.
    let stopped = live.stop();
    let (stdout, summary) = (stopped.stdout, stopped.stderr);
    assert_eq!(stopped.code, Some(0), "{summary}");
    assert!(summary.contains("rulec run summary:") && summary.contains("kernel:"), "{summary}");
    drop(listeners);

    let alerts: Vec<Value> = stdout.lines().map(|l| serde_json::from_str(l).expect("alert JSON")).collect();
    // Exactly one alert of `rule`, with these output fields (a value ending in `*` is a prefix).
    let one = |rule: &str, want: &[(&str, &str)]| -> Value {
        let found: Vec<&Value> = alerts.iter().filter(|a| a["rule"] == rule).collect();
        assert_eq!(found.len(), 1, "one `{rule}` alert expected:\n{stdout}\n{summary}");
        let f = &found[0]["output_fields"];
        for (field, value) in want {
            let got = match &f[*field] {
                Value::String(v) => v.clone(),
                Value::Null => panic!("{rule}: no {field} in {f}"),
                v => v.to_string(),
            };
            let ok = match value.strip_suffix('*') {
                Some(prefix) => got.starts_with(prefix),
                None => got == *value,
            };
            assert!(ok, "{rule}: {field} is {got:?}, expected {value:?}: {f}");
        }
        found[0].clone()
    };
    let sensitive = one(
        "Read sensitive file",
        &[
            ("fd.name", &format!("{r}/etc/shadow")),
            ("proc.name", "cat"),
            ("proc.pname", "sh"),
            ("user.name", "root"),
            ("proc.cmdline", &format!("cat {r}/etc/shadow")),
        ],
    );
    let f = &sensitive["output_fields"];
    assert!(f["proc.exepath"].as_str().is_some_and(|p| p.ends_with("/cat")), "{f}");
    assert_eq!(sensitive["tags"], serde_json::json!(["T1555", "filesystem"]));

    let written = one(
        "Write below binary dir",
        &[("fd.name", &format!("{r}/usr/bin/dropped")), ("proc.name", "sh"), ("user.name", "root")],
    );
    assert_eq!(written["priority"], "Error");

    one(
        "Shell under unexpected parent",
        &[("proc.cmdline", "sh -c true"), ("proc.exepath", &sh), ("proc.pname", "rulec-live-par")],
    );
    one(
        "Unexpected loopback connection",
        &[
            ("fd.name", "127.0.0.1:*"),
            ("fd.sport", &bad_port.to_string()),
            ("proc.name", "python3"),
            ("proc.exepath", &python),
            ("proc.pname", "sh"),
            ("user.name", "root"),
            ("proc.cmdline", &format!("python3 {d}/net.py {bad_port} {ok_port}")),
        ],
    );
    one(
        "PTRACE attached to process",
        &[
            ("evt.arg.request", "PTRACE_ATTACH"),
            ("proc.name", "python3"),
            ("proc.exepath", &python),
            ("proc.pname", "sh"),
            ("user.name", "root"),
            ("proc.cmdline", &format!("python3 {d}/ptrace.py")),
        ],
    );
    one(
        "Fileless execution via memfd_create",
        &[
            // comm as the kernel names a program run from an fd (fexecve), the path as d_path
            // names a memfd (Falco's trusted_exepath).
            ("proc.name", "memfd:rulec-pay"),
            ("proc.exepath", "/memfd:rulec-payload (deleted)"),
            ("proc.pname", "python3"),
            ("user.name", "root"),
            ("proc.cmdline", "memfd:rulec-pay"),
        ],
    );
    let setuid = one(
        "Set Setuid or Setgid bit",
        &[
            ("fs.path.name", &format!("{r}/usr/bin/tool")),
            ("proc.name", "chmod"),
            ("proc.pname", "sh"),
            ("user.name", "root"),
            ("proc.cmdline", &format!("chmod u+s {r}/usr/bin/tool")),
        ],
    );
    let mode = setuid["output_fields"]["evt.arg.mode"].as_str().unwrap_or_default().to_string();
    assert!(mode.contains("S_ISUID") && mode.contains("S_IRUSR") && !mode.contains('0'), "{mode}");
    one(
        "Delete or rename shell history",
        &[
            ("fs.path.name", &format!("{r}/home/u/.bash_history")),
            ("proc.name", "rm"),
            ("proc.pname", "sh"),
            ("user.name", "root"),
            ("proc.cmdline", &format!("rm {r}/home/u/.bash_history")),
        ],
    );
    let _ = std::fs::remove_dir_all(&dir);
}
