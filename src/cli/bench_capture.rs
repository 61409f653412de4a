//! `rulec bench --capture FILE`: one filter on one recorded capture, side by side in one run:
//! rulec's JIT, rulec's interpreter, and Falco's libsinsp as Debian's `sysdig -r FILE FILTER`
//! runs it (when `sysdig` is installed).
//!
//! The shared captures are short (hundreds to thousands of events), so the capture's events are
//! played `--times` times in a row ([`rulec_runtime::scap::repeat_events`]) into a temporary
//! file that every contender reads. Each rulec measurement runs in a child process (its own
//! peak memory). Figures, fastest of `--repeat` runs:
//!
//! * **whole run**: wall time from opening the file to the last event (decoding, state,
//!   filter), what `sysdig -r` does too (sysdig prints one short line per match, rulec counts
//!   them);
//! * **filter**: the filter's share per event. For rulec, timed around each evaluation with the
//!   time-stamp counter (as the generated-stream bench does). sysdig cannot be timed from
//!   inside, so its share is its whole run minus the whole run of the same file with the
//!   filter `evt.num=0` (one integer test that matches nothing): an estimate.
//! * **matches**: events the filter accepts; rulec and sysdig should agree (a difference is
//!   printed, not hidden: on a repeated capture the copies replay with state left by the
//!   previous copy, where the two state machines may differ).

use std::path::{Path, PathBuf};

use std::process::{Command as Process, Stdio};
use std::time::Instant;

use rulec_runtime::engine::{Alert, Backend, Engine, MatchMode};
use rulec_runtime::replay::Replay;
use rulec_runtime::scap::{ScapReader, repeat_events};
use rulec_runtime::state::Limits;
use rulec_runtime::{Event, State};
use serde::{Deserialize, Serialize};

use super::bench::{BenchArgs, Clock, Format, Kind, fail, group, peak_rss_kib, run_child};
use super::{EXIT_CANNOT_RUN, EXIT_FINDINGS, EXIT_OK, print_stdout};

/// The filter measured when none is given: the shape of a typical Falco rule (event types, an
/// open-flag test, fd and process fields, a list exclusion), written with fields sysdig 0.29.3
/// knows, so that all three contenders run it.
pub const DEFAULT_FILTER: &str = "(evt.type in (open, openat, openat2) and evt.dir = < and evt.is_open_read = true \
and fd.typechar = f and (fd.name startswith /etc or fd.directory in (/usr/lib, /lib/x86_64-linux-gnu)) \
and not proc.name in (sshd, systemd, dpkg)) or (evt.type in (connect, sendto) and evt.dir = < \
and fd.sport in (53, 80, 443)) or (evt.type = execve and evt.dir = < and proc.pname in (bash, sh, zsh))";

/// What one rulec child measured.
#[derive(Debug, Serialize, Deserialize)]
pub struct CaptureMeasurement {
    pub kind: Kind,
    pub events: usize,
    pub matches: usize,
    /// Fastest whole run (open, decode, state, filter), ns.
    pub whole_ns: u64,
    /// Filter alone per event, ns.
    pub filter_ns_per_event: f64,
    pub peak_rss_kib: u64,
}

/// What the sysdig runs measured.
#[derive(Debug, Serialize)]
struct SysdigMeasurement {
    version: String,
    matches: usize,
    whole_ns: u64,
    baseline_ns: u64,
}

#[derive(Serialize)]
struct Report<'a> {
    capture: String,
    times: usize,
    filter: &'a str,
    rulec: &'a [CaptureMeasurement],
    sysdig: Option<&'a SysdigMeasurement>,
    sysdig_missing: Option<&'a str>,
}

/// The parent: writes the repeated capture, runs the children and sysdig, prints the table.
pub fn run(args: &BenchArgs, capture: &Path) -> i32 {
    let filter = args.filter.as_deref().unwrap_or(DEFAULT_FILTER);
    if let Err(msg) = ruleset(filter) {
        return fail(&msg);
    }
    let raw = match std::fs::read(capture) {
        Ok(b) => b,
        Err(e) => return fail(&format!("cannot read {}: {e}", capture.display())),
    };
    let times = args.times.max(1);
    let repeated = match repeat_events(&raw, times) {
        Ok(b) => b,
        Err(e) => return fail(&format!("{}: {e}", capture.display())),
    };
    let tmp = TempFile(std::env::temp_dir().join(format!("rulec-bench-{}.scap", std::process::id())));
    if let Err(e) = std::fs::write(&tmp.0, &repeated) {
        return fail(&format!("cannot write {}: {e}", tmp.0.display()));
    }
    drop(repeated);
    let exe = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => return fail(&format!("cannot find the rulec executable: {e}")),
    };
    let mut rulec = Vec::new();
    for kind in [Kind::CaptureJit, Kind::CaptureInterp] {
        let mut cmd = Process::new(&exe);
        cmd.arg("bench").arg("--capture").arg(&tmp.0).args(["--times", "1", "--filter", filter]);
        match run_child::<CaptureMeasurement>(cmd, args, kind) {
            Ok(m) => rulec.push(m),
            Err(code) => return code,
        }
    }
    let (sysdig, missing) = match sysdig_runs(&tmp.0, filter, args.repeat.max(1)) {
        Ok(s) => (Some(s), None),
        Err(why) => (None, Some(why)),
    };
    let capture_name = capture.display().to_string();
    let text = match args.format {
        Format::Json => {
            let report = Report {
                capture: capture_name,
                times,
                filter,
                rulec: &rulec,
                sysdig: sysdig.as_ref(),
                sysdig_missing: missing.as_deref(),
            };
            serde_json::to_string_pretty(&report).unwrap_or_default() + "\n"
        }
        Format::Text => render(&capture_name, times, filter, args.repeat, &rulec, sysdig.as_ref(), missing.as_deref()),
    };
    if let Err(code) = print_stdout(&text) {
        return code;
    }
    if rulec.windows(2).any(|w| w[0].matches != w[1].matches) {
        eprintln!("rulec bench: the interpreter and the JIT accepted different numbers of events: this is a bug");
        return EXIT_FINDINGS;
    }
    EXIT_OK
}

/// Removed when dropped.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn render(
    capture: &str,
    times: usize,
    filter: &str,
    repeat: usize,
    rulec: &[CaptureMeasurement],
    sysdig: Option<&SysdigMeasurement>,
    missing: Option<&str>,
) -> String {
    let events = rulec.first().map_or(0, |m| m.events);
    let mut out = format!(
        "rulec bench: {capture} played {times} times ({} events), fastest of {repeat} runs\nfilter: {filter}\n\n",
        group(events as u64)
    );
    out.push_str(&format!(
        "{:<30} {:>9} {:>13} {:>16} {:>17} {:>10}\n",
        "", "matches", "whole run ms", "whole ns/event", "filter ns/event", "peak RSS"
    ));
    let per = |ns: u64| ns as f64 / events.max(1) as f64;
    for m in rulec {
        out.push_str(&format!(
            "{:<30} {:>9} {:>13.1} {:>16.1} {:>17.1} {:>6} MiB\n",
            m.kind.label(),
            m.matches,
            m.whole_ns as f64 / 1e6,
            per(m.whole_ns),
            m.filter_ns_per_event,
            m.peak_rss_kib / 1024
        ));
    }
    match (sysdig, missing) {
        (Some(s), _) => {
            let filter_share = per(s.whole_ns.saturating_sub(s.baseline_ns));
            out.push_str(&format!(
                "{:<30} {:>9} {:>13.1} {:>16.1} {:>16.1}*\n",
                format!("sysdig {} -r", s.version),
                s.matches,
                s.whole_ns as f64 / 1e6,
                per(s.whole_ns),
                filter_share
            ));
            out.push_str("\n* sysdig's whole run minus its run of the same file with the filter `evt.num=0`\n");
            if let Some(jit) = rulec.first() {
                // The share is the difference of two timed runs: when it is a small part of the
                // run it is mostly noise, and a ratio to it (thousands of x) would say nothing.
                let share_ns = s.whole_ns.saturating_sub(s.baseline_ns);
                let filter = if share_ns as f64 >= SHARE_RESOLUTION * s.whole_ns as f64 && filter_share > 0.0 {
                    format!("filter {:.2}x sysdig's share", jit.filter_ns_per_event / filter_share)
                } else {
                    format!(
                        "filter not compared (sysdig's share is under {:.0}% of its run, within its noise)",
                        SHARE_RESOLUTION * 100.0
                    )
                };
                out.push_str(&format!(
                    "rulec JIT vs sysdig: whole run {:.2}x sysdig's time, {filter}\n",
                    jit.whole_ns as f64 / s.whole_ns.max(1) as f64,
                ));
                if jit.matches != s.matches {
                    out.push_str(&format!(
                        "note: rulec accepted {} events, sysdig {} (see `rulec bench --help`)\n",
                        jit.matches, s.matches
                    ));
                }
            }
        }
        (None, Some(why)) => out.push_str(&format!("\nsysdig: not measured ({why})\n")),
        (None, None) => {}
    }
    out
}

/// The smallest part of sysdig's whole run its filter share (a difference of two timed runs) must
/// be for a ratio to it to mean something.
const SHARE_RESOLUTION: f64 = 0.05;

/// Runs `sysdig -r FILE` with the filter and with `evt.num=0`, `repeat` times each.
fn sysdig_runs(file: &Path, filter: &str, repeat: usize) -> Result<SysdigMeasurement, String> {
    let version = Process::new("sysdig")
        .arg("--version")
        .output()
        .map_err(|_| "`sysdig` is not installed: `apt-get install sysdig` to compare with libsinsp".to_string())?;
    let version = String::from_utf8_lossy(&version.stdout).trim().trim_start_matches("sysdig version ").to_string();
    let once = |f: &str| -> Result<(u64, usize), String> {
        let start = Instant::now();
        let out = Process::new("sysdig")
            .arg("-r")
            .arg(file)
            .args(["-p", "%evt.num", f])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run sysdig: {e}"))?;
        let ns = start.elapsed().as_nanos() as u64;
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            return Err(format!("sysdig failed: {}", err.lines().next().unwrap_or("no message")));
        }
        Ok((ns, out.stdout.split(|b| *b == b'\n').filter(|l| !l.is_empty()).count()))
    };
    let (mut whole, mut baseline, mut matches) = (u64::MAX, u64::MAX, 0);
    for _ in 0..repeat {
        let (ns, n) = once(filter)?;
        whole = whole.min(ns);
        matches = n;
        baseline = baseline.min(once("evt.num=0")?.0);
    }
    Ok(SysdigMeasurement { version, matches, whole_ns: whole, baseline_ns: baseline })
}

/// The filter as a one-rule ruleset.
fn ruleset(filter: &str) -> Result<rulec_compiler::check::CheckResult, String> {
    super::filter::one_rule("--filter", "bench filter", filter, "%evt.num")
}

/// One rulec measurement, in this (child) process.
pub fn measure(args: &BenchArgs, capture: &Path, kind: Kind) -> i32 {
    match measure_inner(args, capture, kind) {
        Ok(m) => match serde_json::to_string(&m) {
            Ok(json) => print_stdout(&format!("{json}\n")).err().unwrap_or(EXIT_OK),
            Err(e) => fail(&format!("cannot encode the measurement: {e}")),
        },
        Err(msg) => {
            eprintln!("rulec bench: {msg}");
            EXIT_CANNOT_RUN
        }
    }
}

fn engine(result: &rulec_compiler::check::CheckResult, kind: Kind) -> Result<Engine, String> {
    let backend = if kind == Kind::CaptureJit { Backend::Jit } else { Backend::Interp };
    let mut e = Engine::new(rulec_compiler::compile(result), backend);
    if let Some(err) = e.jit_error() {
        return Err(format!("the JIT could not compile the filter: {err}"));
    }
    e.set_mode(MatchMode::All);
    Ok(e)
}

fn open(capture: &Path) -> Result<Replay, String> {
    let reader = ScapReader::open(capture).map_err(|e| format!("{}: {e}", capture.display()))?;
    Ok(Replay::from_reader(reader, Limits::default()))
}

fn measure_inner(args: &BenchArgs, capture: &Path, kind: Kind) -> Result<CaptureMeasurement, String> {
    let result = ruleset(args.filter.as_deref().unwrap_or(DEFAULT_FILTER))?;
    let repeat = args.repeat.max(1);

    // Whole runs: open, decode, state, filter.
    let mut whole_ns = u64::MAX;
    let mut matches = 0;
    for _ in 0..repeat {
        let mut engine = engine(&result, kind)?;
        let start = Instant::now();
        let mut alerts: Vec<Alert> = Vec::new();
        let mut n = 0;
        let replay = open(capture)?;
        replay
            .for_each(|ev, st| {
                engine.process(ev, st, &mut alerts);
                n += alerts.len();
                alerts.clear();
            })
            .map_err(|e| format!("{}: {e}", capture.display()))?;
        whole_ns = whole_ns.min(start.elapsed().as_nanos() as u64);
        matches = n;
    }

    // The filter alone: events decoded up front, each evaluation timed.
    let replay = open(capture)?;
    let initial: State = replay.state().clone();
    let events: Vec<Event> = replay.collect::<Result<_, _>>().map_err(|e| format!("{}: {e}", capture.display()))?;
    let mut engine = engine(&result, kind)?;
    let clock = Clock::calibrate();
    let mut best = u64::MAX;
    // One untimed pass first: the engine settles its evaluation order (and the JIT recompiles
    // for it) during its first evaluations.
    for pass in 0..=repeat {
        let mut state = initial.clone();
        let mut alerts: Vec<Alert> = Vec::new();
        let mut ticks = 0u64;
        for ev in &events {
            state.apply(ev);
            let t0 = clock.now();
            engine.process(ev, &state, &mut alerts);
            ticks += clock.now().wrapping_sub(t0);
            alerts.clear();
        }
        if pass > 0 {
            best = best.min(ticks);
        }
    }
    let n = events.len().max(1) as f64;
    let filter_ns_per_event = ((best as f64 / n - clock.overhead_ticks) * clock.ns_per_tick).max(0.0);
    Ok(CaptureMeasurement {
        kind,
        events: events.len(),
        matches,
        whole_ns,
        filter_ns_per_event,
        peak_rss_kib: peak_rss_kib(),
    })
}
