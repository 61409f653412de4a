//! `sysdig -r FILE` as `rulec bench --capture` runs it: Falco's libsinsp reading a capture with a
//! filter, timed from the outside (wall time from start to exit) with its peak memory taken from
//! the kernel's accounting of the exited process (`wait4`'s `ru_maxrss`). Its output (one short
//! line per match) is counted as it arrives, never held.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// One run of sysdig.
#[derive(Debug, Clone, Copy)]
pub struct SysdigRun {
    pub ns: u64,
    /// Events the filter accepted (lines printed).
    pub matches: usize,
    pub peak_rss_kib: u64,
}

/// sysdig's version, or why it cannot be run.
pub fn version() -> Result<String, String> {
    let out = Command::new("sysdig")
        .arg("--version")
        .output()
        .map_err(|_| "`sysdig` is not installed: `apt-get install sysdig` to compare with libsinsp".to_string())?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().trim_start_matches("sysdig version ").to_string())
}

/// Runs `sysdig -r file -p %evt.num filter` once.
pub fn run_once(file: &Path, filter: &str) -> Result<SysdigRun, String> {
    let start = Instant::now();
    let mut child = Command::new("sysdig")
        .arg("-r")
        .arg(file)
        .args(["-p", "%evt.num", filter])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run sysdig: {e}"))?;
    // stderr on a thread of its own, so that neither pipe can fill up and stall sysdig.
    let stderr = child.stderr.take();
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut e) = stderr {
            let _ = e.read_to_string(&mut text);
        }
        text
    });
    let mut matches = 0;
    if let Some(mut out) = child.stdout.take() {
        let mut buf = vec![0u8; 1 << 16];
        loop {
            match out.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => matches += buf[..n].iter().filter(|b| **b == b'\n').count(),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("cannot read sysdig's output: {e}")),
            }
        }
    }
    let (ok, peak_rss_kib) = wait_with_peak_rss(child.id()).map_err(|e| format!("cannot wait for sysdig: {e}"))?;
    let ns = start.elapsed().as_nanos() as u64;
    let err = errors.join().unwrap_or_default();
    if !ok {
        return Err(format!("sysdig failed: {}", err.lines().next().unwrap_or("no message")));
    }
    Ok(SysdigRun { ns, matches, peak_rss_kib })
}

/// Waits for child `pid` to exit: whether it exited with status 0, and its peak resident set in
/// KiB (Linux reports `ru_maxrss` in KiB). The child is reaped here: `std`'s handle must not be
/// waited on afterwards.
fn wait_with_peak_rss(pid: u32) -> std::io::Result<(bool, u64)> {
    let pid = libc::pid_t::try_from(pid).map_err(|_| std::io::Error::other("pid out of range"))?;
    let mut status = 0;
    // SAFETY: rusage is plain data, for which all zeroes is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `status` and `usage` are writable and live for the call; `pid` is our child.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            break;
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
    let ok = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    Ok((ok, u64::try_from(usage.ru_maxrss).unwrap_or(0)))
}
