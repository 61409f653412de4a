//! `rulec run --metrics-address` on the live kernel: /metrics answers OpenMetrics text whose
//! families carry what the run did (an alert the test causes, events by type, kernel records,
//! output deliveries), /healthz answers ok while the loop runs, other paths 404. Needs root and
//! BTF (skipped elsewhere with a message; a failure under `RULEC_REQUIRE_KERNEL=1`).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::live::Live;

/// `GET path` on loopback: (status, body).
fn get(port: u16, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect to the metrics server");
    s.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").expect("request");
    let mut text = String::new();
    s.read_to_string(&mut text).expect("response");
    let status = text.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

/// The sum of the samples whose line starts with `prefix` (one per CPU, say).
fn total(metrics: &str, prefix: &str) -> f64 {
    metrics.lines().filter(|l| l.starts_with(prefix)).filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok()).sum()
}

/// A python3 program that makes the probe count what `/metrics` must show beside the drops: a
/// 32-bit syscall (`int $0x80` with ia32 `read`, 3, which is x86_64's `close`, a syscall the
/// state machine always wants: skipped and counted), and an `open` whose path lies in a page
/// of a file mapping never touched before (the entry cannot read it without a page fault, so
/// the exit reads it: counted as read at exit). Prints whether the 32-bit call ran.
const COUNTED_BY_THE_PROBE: &str = "import ctypes, mmap, sys\n\
    path = sys.argv[1]\n\
    open(path, 'wb').write(path.encode() + bytes(4096))\n\
    f = open(path, 'rb')\n\
    m = mmap.mmap(f.fileno(), 4096, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ | mmap.PROT_WRITE)\n\
    libc = ctypes.CDLL(None, use_errno=True)\n\
    fd = libc.open(ctypes.c_void_p(ctypes.addressof(ctypes.c_char.from_buffer(m))), 0)\n\
    assert fd >= 0, ctypes.get_errno()\n\
    code = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)\n\
    code.write(bytes([0x53, 0xbb, 0xff, 0xff, 0xff, 0xff, 0xb8, 3, 0, 0, 0, 0xcd, 0x80, 0x5b, 0xc3]))\n\
    call = ctypes.CFUNCTYPE(ctypes.c_int)(ctypes.addressof(ctypes.c_char.from_buffer(code)))\n\
    print(call())\n";

/// The value of the first sample whose line starts with `prefix`.
fn sample(metrics: &str, prefix: &str) -> Option<f64> {
    metrics.lines().find(|l| l.starts_with(prefix)).and_then(|l| l.rsplit(' ').next()).and_then(|v| v.parse().ok())
}

#[test]
fn metrics_and_health_are_served_while_running() {
    if !rulec_test_support::kernel("live `rulec run --metrics-address`") {
        return;
    }
    let _kernel = crate::KERNEL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = std::env::temp_dir().join(format!("rulec-metrics-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let marker = dir.join("metrics-marker");
    std::fs::write(&marker, "x").expect("marker");
    let rules = dir.join("rules.yaml");
    std::fs::write(
        &rules,
        format!(
            "- rule: Marker read\n  desc: the test's marker file is opened\n  condition: evt.type in (open, openat, openat2) and evt.dir = < and fd.name = {}\n  output: marker (proc=%proc.name)\n  priority: WARNING\n",
            marker.display()
        ),
    )
    .expect("rules");
    let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
    let metrics_address = format!("127.0.0.1:{port}");
    let rules_arg = rules.to_str().expect("utf-8 path");
    let live = Live::start(
        ["run", "-o", "json", "--rules", rules_arg, "--metrics-address", &metrics_address],
        "watching the host",
    );
    let st = Command::new("cat").arg(&marker).stdout(Stdio::null()).status().expect("cat");
    assert!(st.success());
    let counted = Command::new("python3")
        .args(["-c", COUNTED_BY_THE_PROBE])
        .arg(dir.join("path-in-a-fresh-mapping"))
        .output()
        .expect("python3");
    assert!(counted.status.success(), "{}", String::from_utf8_lossy(&counted.stderr));
    // -EBADF (9) from the ia32 read of fd -1; a kernel without ia32 emulation would have killed it.
    assert_eq!(String::from_utf8_lossy(&counted.stdout).trim(), "-9");
    // Publications happen about once a second while events flow.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut metrics = String::new();
    while Instant::now() < deadline {
        let (status, body) = get(port, "/metrics");
        assert_eq!(status, 200);
        metrics = body;
        // The kernel's counters reach the loop about once a second, after the first events.
        if sample(&metrics, "rulec_alerts_total{").is_some_and(|v| v >= 1.0)
            && sample(&metrics, "rulec_kernel_records_total{").is_some()
            && total(&metrics, "rulec_kernel_compat_skipped_total{") >= 1.0
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    let (health, body) = get(port, "/healthz");
    let (missing, _) = get(port, "/nope");
    let stdout = live.stop().stdout;

    assert_eq!(
        sample(&metrics, r#"rulec_alerts_total{rule="Marker read",priority="Warning"}"#),
        Some(1.0),
        "{metrics}"
    );
    assert!(sample(&metrics, r#"rulec_events_total{type="openat"}"#).is_some_and(|v| v >= 1.0), "{metrics}");
    assert!(sample(&metrics, r#"rulec_kernel_records_total{cpu="#).is_some(), "{metrics}");
    assert!(sample(&metrics, r#"rulec_kernel_drops_total{cpu="#).is_some(), "{metrics}");
    assert!(total(&metrics, "rulec_kernel_compat_skipped_total{cpu=") >= 1.0, "{metrics}");
    let read_at_exit: f64 = metrics
        .lines()
        .filter(|l| l.starts_with("rulec_kernel_arguments_total{") && l.contains(r#"problem="read_at_exit""#))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert!(read_at_exit >= 1.0, "{metrics}");
    assert!(metrics.contains(r#"problem="cut""#) && metrics.contains(r#"problem="unreadable""#), "{metrics}");
    assert!(sample(&metrics, "rulec_state_threads ").is_some_and(|v| v > 10.0), "seeded from /proc: {metrics}");
    assert!(sample(&metrics, "rulec_engine_evaluations_total").is_some_and(|v| v >= 1.0), "{metrics}");
    assert!(metrics.contains("# TYPE rulec_output_alerts counter"), "{metrics}");
    assert!(sample(&metrics, r#"rulec_info{version="#) == Some(1.0), "{metrics}");
    assert!(metrics.trim_end().ends_with("# EOF"), "OpenMetrics text ends with # EOF");
    assert_eq!((health, body.as_str()), (200, r#"{"status": "ok"}"#));
    assert_eq!(missing, 404);
    assert_eq!(stdout.lines().count(), 1, "one alert: {stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}
