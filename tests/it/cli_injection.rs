//! Output injection on the live kernel: a process whose command line and a file whose name hold
//! a newline, ANSI escapes, quotes, backslashes and invalid UTF-8 raise alerts, and every output
//! kind keeps each alert one well-formed line or document: stdout (text), a file and a program
//! (JSON lines), syslog (one datagram, no control character), a webhook (one JSON body). Needs
//! root and BTF (skipped elsewhere with a message; a failure under `RULEC_REQUIRE_KERNEL=1`).

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::UnixDatagram;
use std::process::Command;
use std::time::{Duration, Instant};

use rulec_test_support::http::Receiver;
use serde_json::Value;

use crate::live::Live;

/// The hostile bytes: a newline, colour and title escapes, a bell, quotes, a backslash, and bytes
/// that are not UTF-8.
const HOSTILE: &[u8] = b"INJECT\nforged: line\x1b[31mred\x1b[0m\x1b]0;title\x07 \"dq\" 'sq' \\ \xff\xfe end";

fn no_control(s: &str) -> bool {
    !s.chars().any(char::is_control)
}

#[test]
fn hostile_event_data_stays_inside_one_line_in_every_output() {
    if !rulec_test_support::kernel("live output injection") {
        return;
    }
    let _kernel = crate::KERNEL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = std::env::temp_dir().join(format!("rulec-injection-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let rules = dir.join("rules.yaml");
    std::fs::write(
        &rules,
        r#"
- rule: Hostile exec
  desc: a command line carrying the test's marker
  condition: evt.type in (execve, execveat) and evt.dir = < and proc.cmdline contains INJECT
  output: exec (cmdline=%proc.cmdline args=%proc.args name=%proc.name)
  priority: WARNING
- rule: Hostile open
  desc: a file name carrying the test's marker
  condition: evt.type in (open, openat, openat2) and evt.dir = < and fd.name contains INJECT
  output: open (file=%fd.name proc=%proc.name)
  priority: WARNING
"#,
    )
    .expect("rules");
    let file = dir.join("alerts.jsonl");
    let piped = dir.join("piped.jsonl");
    let socket = dir.join("log.sock");
    let syslog = UnixDatagram::bind(&socket).expect("bind");
    syslog.set_read_timeout(Some(Duration::from_millis(500))).expect("timeout");
    let reader = std::thread::spawn(move || {
        let mut got = Vec::new();
        let mut buf = vec![0u8; 65536];
        let end = Instant::now() + Duration::from_secs(60);
        while Instant::now() < end {
            match syslog.recv(&mut buf) {
                Ok(n) => got.push(buf[..n].to_vec()),
                Err(_) if got.len() >= 2 => break,
                Err(_) => {}
            }
        }
        got
    });
    let rx = Receiver::start(200, Duration::ZERO);
    let program = format!("cat >> '{}'", piped.display());
    let mut args: Vec<std::ffi::OsString> = vec!["run".into(), "--rules".into(), rules.clone().into()];
    args.extend(["-o", "text", "--output-file"].map(Into::into));
    args.push(file.clone().into());
    args.push("--syslog".into());
    args.push(socket.clone().into());
    args.extend(["--program", &program, "--webhook", &rx.url].map(Into::into));
    let live = Live::start(args, "watching the host");
    // The hostile command line, and a file with the hostile name opened by `cat`.
    let hostile_file = dir.join(OsStr::from_bytes(HOSTILE));
    std::fs::write(&hostile_file, "x").expect("hostile file");
    let st = Command::new("/bin/sh")
        .arg("-c")
        .arg("cat \"$1\" > /dev/null")
        .arg(OsStr::from_bytes(HOSTILE))
        .arg(&hostile_file)
        .status()
        .expect("sh");
    assert!(st.success());
    std::thread::sleep(Duration::from_millis(500));
    let stopped = live.stop();
    let summary = stopped.stderr;
    assert_eq!(stopped.code, Some(0), "{summary}");

    // stdout, text: valid UTF-8, one line per alert, no control character anywhere.
    let stdout = String::from_utf8(stopped.stdout_bytes).expect("stdout is UTF-8 whatever the event bytes");
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines.iter().any(|l| l.contains("exec (cmdline=")), "{stdout}\n{summary}");
    assert!(lines.iter().any(|l| l.contains("open (file=")), "{stdout}\n{summary}");
    assert!(lines.iter().all(|l| no_control(l)), "{stdout:?}");
    assert!(lines.iter().all(|l| !l.starts_with("forged")), "no forged line: {stdout:?}");

    // File and program: one JSON document per line, as many as stdout's lines.
    for path in [&file, &piped] {
        let text = std::fs::read_to_string(path).expect("UTF-8 JSON lines");
        let docs: Vec<Value> =
            text.lines().map(|l| serde_json::from_str(l).expect("each line one JSON document")).collect();
        assert_eq!(docs.len(), lines.len(), "{}", path.display());
        assert!(text.lines().all(no_control));
        let exec = docs.iter().find(|d| d["rule"] == "Hostile exec").expect("exec alert");
        let cmdline = exec["output_fields"]["proc.cmdline"].as_str().expect("cmdline");
        assert!(cmdline.contains("INJECT\nforged: line\u{1b}[31m"), "the value survives, escaped in JSON: {cmdline:?}");
    }
    // Syslog: one datagram per alert, UTF-8, no control character.
    let messages = reader.join().expect("syslog reader");
    assert_eq!(messages.len(), lines.len());
    for m in &messages {
        let m = std::str::from_utf8(m).expect("UTF-8 syslog message");
        assert!(no_control(m) && m.starts_with("<12>1 "), "{m:?}");
    }
    // Webhook: one JSON body per alert.
    let bodies = rx.requests();
    assert_eq!(bodies.len(), lines.len());
    for b in bodies {
        let _: Value = serde_json::from_str(&b.body).expect("JSON body");
        assert!(no_control(&b.body));
    }
    let _ = std::fs::remove_dir_all(&dir);
}
