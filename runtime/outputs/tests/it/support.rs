//! Shared test helpers: alerts, a temporary folder, and waiting for a condition with a deadline.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use rulec_outputs::Delivery;

/// The `n`-th test alert: a JSON document shaped like Falco's, and its text line.
pub fn alert(n: u32) -> Delivery {
    let json = format!(
        r#"{{"hostname":"node-1","output":"12:00:00.000000000: Warning n={n}","output_fields":{{"evt.time":1,"proc.name":"sh"}},"priority":"Warning","rule":"Test rule","source":"syscall","tags":["t"],"time":"2026-12-06T12:00:00.000000000Z"}}"#
    );
    Delivery {
        text: format!("12:00:00.000000000: Warning n={n}"),
        json,
        severity: 4,
        time: "2026-12-06T12:00:00.000000000Z".into(),
        hostname: "node-1".into(),
    }
}

/// A fresh empty folder under the system's temporary folder.
pub fn temp_dir(name: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "rulec-outputs-{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Polls `f` every 10 ms until it holds or `secs` pass; returns whether it held.
pub fn eventually(secs: u64, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    f()
}
