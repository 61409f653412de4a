//! `rulec bench --capture FILE`: a whole ruleset (`--rules FILE...`) or one filter (`--filter`)
//! on a recorded capture, side by side in one run: rulec's JIT, rulec's interpreter, and Falco's
//! libsinsp as Debian's `sysdig -r FILE` runs it (when `sysdig` is installed,
//! [`super::bench_sysdig`]), each with its time per event and its peak memory.
//!
//! With `--times 1` every contender reads the file as it is. Short captures are played `--times`
//! times in a row into a temporary file, written by streaming ([`super::capture_repeat`]). Each
//! rulec measurement runs in a child process (its own peak memory); every pass streams the
//! capture through the state machine, so memory does not grow with the capture. Figures, fastest
//! of `--repeat` runs:
//!
//! * **whole run**: wall time from opening the file to the last event (decoding, state, rules;
//!   the file read ahead by a second thread, the events no rule and no state change needs read
//!   by their header only, and the JIT compiled on a third thread, as `rulec run --replay`
//!   does), what `sysdig -r` does too (sysdig prints one short line per match, rulec counts
//!   them);
//! * **eval**: rulec's evaluation share per event, timed around each evaluation with the fenced
//!   time-stamp counter during further streaming passes (the engine of the last whole run, its
//!   evaluation order settled and its compile waited for). sysdig cannot be timed from inside:
//!   with a filter, its share is its whole run minus its run of the same file with `evt.num=0`
//!   (one integer test that matches nothing), an estimate; with rules, that reading alone is
//!   what rulec is compared with.
//! * **matches**: events the filter accepts, or alerts of the ruleset (first match, as Falco
//!   runs by default); the backends must agree, and rulec and sysdig should (a difference is
//!   printed, not hidden: on a repeated capture the copies replay with state left by the
//!   previous copy, where the two state machines may differ).

use std::path::{Path, PathBuf};
use std::process::Command as Process;
use std::time::Instant;

use rulec_compiler::check::CheckResult;
use rulec_runtime::capture::CaptureSource;
use rulec_runtime::engine::{Alert, Backend, Compiles, Engine, MatchMode};
use rulec_runtime::replay::Replay;
use rulec_runtime::state::Limits;
use rulec_runtime::{ScapReader, WantedTypes};
use serde::{Deserialize, Serialize};

use super::bench::{BenchArgs, Clock, Format, Kind, fail, peak_rss_kib, run_child};
use super::bench_sysdig::{self, SysdigRun};
use super::{EXIT_CANNOT_RUN, EXIT_FINDINGS, EXIT_OK, print_stdout};

/// What is measured: a ruleset, or one filter made into a one-rule ruleset.
enum Subject<'a> {
    Rules(&'a [PathBuf]),
    Filter(&'a str),
}

impl<'a> Subject<'a> {
    fn of(args: &'a BenchArgs) -> Result<Subject<'a>, String> {
        if !args.rules.is_empty() {
            return Ok(Subject::Rules(&args.rules));
        }
        super::bench_filters::resolve(args.filter.as_deref().unwrap_or("@default")).map(Subject::Filter)
    }

    fn check(&self) -> Result<CheckResult, String> {
        match self {
            Subject::Rules(paths) => super::bench::load(paths),
            Subject::Filter(f) => super::filter::one_rule("--filter", "bench filter", f, "%evt.num"),
        }
    }

    /// The arguments that give a child the same subject.
    fn pass_to(&self, cmd: &mut Process) {
        match self {
            Subject::Rules(paths) => paths.iter().for_each(|p| {
                cmd.arg("--rules").arg(p);
            }),
            Subject::Filter(f) => {
                cmd.args(["--filter", f]);
            }
        }
    }

    /// A filter reports every event it accepts; a ruleset alerts as Falco does by default.
    fn mode(&self) -> MatchMode {
        match self {
            Subject::Rules(_) => MatchMode::First,
            Subject::Filter(_) => MatchMode::All,
        }
    }
}

/// What one rulec child measured.
#[derive(Debug, Serialize, Deserialize)]
pub struct CaptureMeasurement {
    pub kind: Kind,
    pub events: usize,
    /// Rules in the engine (1 for a filter).
    pub rules: usize,
    pub matches: usize,
    /// Fastest whole run (open, decode, state, rules), ns.
    pub whole_ns: u64,
    /// Evaluation alone per event, ns.
    pub eval_ns_per_event: f64,
    pub peak_rss_kib: u64,
}

/// What the sysdig runs measured: the filter (none for a ruleset) and `evt.num=0`.
#[derive(Debug, Serialize)]
pub(super) struct SysdigMeasurement {
    pub version: String,
    /// Events the filter accepted (none without a filter).
    pub matches: Option<usize>,
    /// Fastest run with the filter, ns.
    pub whole_ns: Option<u64>,
    /// Fastest run with `evt.num=0`, ns: reading and state alone.
    pub baseline_ns: u64,
    /// Peak resident memory, KiB, of the runs (the larger of the two kinds).
    pub peak_rss_kib: u64,
}

#[derive(Serialize)]
struct Report<'a> {
    capture: String,
    times: usize,
    rules: Option<Vec<String>>,
    filter: Option<&'a str>,
    rulec: &'a [CaptureMeasurement],
    sysdig: Option<&'a SysdigMeasurement>,
    sysdig_missing: Option<&'a str>,
}

/// Removed when dropped.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The parent: the file to read (repeated when asked), the children, sysdig, the table.
pub fn run(args: &BenchArgs, capture: &Path) -> i32 {
    let subject = match Subject::of(args) {
        Ok(s) => s,
        Err(msg) => return fail(&msg),
    };
    if let Err(msg) = subject.check() {
        return fail(&msg);
    }
    let times = args.times.max(1);
    let temp =
        (times > 1).then(|| TempFile(std::env::temp_dir().join(format!("rulec-bench-{}.scap", std::process::id()))));
    let file = match &temp {
        // Read where it is: no copy, whatever its size. Checked here, not in each child.
        None => match ScapReader::open(capture) {
            Ok(_) => capture.to_path_buf(),
            Err(e) => return fail(&format!("{}: {e}", capture.display())),
        },
        Some(temp) => match super::capture_repeat::repeat_file(capture, &temp.0, times) {
            Ok(_) => temp.0.clone(),
            Err(msg) => return fail(&msg),
        },
    };
    let exe = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => return fail(&format!("cannot find the rulec executable: {e}")),
    };
    let mut rulec = Vec::new();
    for kind in [Kind::CaptureJit, Kind::CaptureInterp] {
        let mut cmd = Process::new(&exe);
        cmd.arg("bench").arg("--capture").arg(&file).args(["--times", "1"]);
        subject.pass_to(&mut cmd);
        match run_child::<CaptureMeasurement>(cmd, args, kind) {
            Ok(m) => rulec.push(m),
            Err(code) => return code,
        }
    }
    let filter = match subject {
        Subject::Filter(f) => Some(f),
        Subject::Rules(_) => None,
    };
    let (sysdig, missing) = match sysdig_runs(&file, filter, args.repeat.max(1)) {
        Ok(s) => (Some(s), None),
        Err(why) => (None, Some(why)),
    };
    let capture_name = capture.display().to_string();
    let rules = match subject {
        Subject::Rules(paths) => Some(paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>()),
        Subject::Filter(_) => None,
    };
    let text = match args.format {
        Format::Json => {
            let report = Report {
                capture: capture_name,
                times,
                rules,
                filter,
                rulec: &rulec,
                sysdig: sysdig.as_ref(),
                sysdig_missing: missing.as_deref(),
            };
            serde_json::to_string_pretty(&report).unwrap_or_default() + "\n"
        }
        Format::Text => {
            // A named filter is shown by its name (its text is in `bench_filters`).
            let shown = match args.filter.as_deref() {
                Some(f) if f.starts_with('@') => f,
                None => "@default",
                Some(_) => filter.unwrap_or(""),
            };
            let what = rules.map_or_else(|| format!("filter: {shown}"), |r| format!("rules: {}", r.join(", ")));
            let head = Head { capture: &capture_name, times, what: &what, repeat: args.repeat };
            super::bench_capture_render::render(&head, &rulec, sysdig.as_ref(), missing.as_deref())
        }
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

/// What the table's heading says.
pub(super) struct Head<'a> {
    pub capture: &'a str,
    pub times: usize,
    pub what: &'a str,
    pub repeat: usize,
}

/// Runs `sysdig -r FILE` with `evt.num=0` and, when given, the filter, `repeat` times each.
fn sysdig_runs(file: &Path, filter: Option<&str>, repeat: usize) -> Result<SysdigMeasurement, String> {
    let version = bench_sysdig::version()?;
    let fastest = |runs: &[SysdigRun]| runs.iter().map(|r| r.ns).min();
    let (mut with_filter, mut baseline) = (Vec::new(), Vec::new());
    for _ in 0..repeat {
        if let Some(f) = filter {
            with_filter.push(bench_sysdig::run_once(file, f)?);
        }
        baseline.push(bench_sysdig::run_once(file, "evt.num=0")?);
    }
    Ok(SysdigMeasurement {
        version,
        matches: with_filter.last().map(|r| r.matches),
        whole_ns: fastest(&with_filter),
        baseline_ns: fastest(&baseline).unwrap_or(0),
        peak_rss_kib: with_filter.iter().chain(&baseline).map(|r| r.peak_rss_kib).max().unwrap_or(0),
    })
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

/// The engine as `rulec run` builds it: the JIT compiled in the background, off the loop
/// (whether it compiled is known once [`Engine::finish_compile`] has waited for it).
fn engine(result: &CheckResult, kind: Kind, mode: MatchMode) -> Engine {
    let backend = if kind == Kind::CaptureJit { Backend::Jit } else { Backend::Interp };
    let mut e = Engine::with_compiles(rulec_compiler::compile(result), backend, Compiles::Background);
    e.set_mode(mode);
    e
}

/// Opens the capture as `rulec run --replay` does: read ahead by a second thread on a machine
/// with more than one CPU ([`rulec_runtime::capture::ahead`]).
fn open(capture: &Path) -> Result<Replay<CaptureSource>, String> {
    rulec_runtime::capture::open_replay_with(capture, Limits::default(), rulec_runtime::capture::ahead::pays())
        .map_err(|e| format!("{}: {e}", capture.display()))
}

fn measure_inner(args: &BenchArgs, capture: &Path, kind: Kind) -> Result<CaptureMeasurement, String> {
    let subject = Subject::of(args)?;
    let result = subject.check()?;
    let repeat = args.repeat.max(1);
    let read_err = |e| format!("{}: {e}", capture.display());

    // Whole runs: open, decode, state, rules; a fresh engine each (settling its order and
    // compiling for it in the background are part of a run, as in `rulec run`).
    let mut whole_ns = u64::MAX;
    let mut matches = 0;
    let mut last = None;
    for _ in 0..repeat {
        let mut engine = engine(&result, kind, subject.mode());
        let start = Instant::now();
        let mut alerts: Vec<Alert> = Vec::new();
        let mut n = 0;
        let mut replay = open(capture)?;
        // As `rulec run --replay` reads a capture: the events no rule and no state change
        // needs by their header only.
        replay.decode_only(WantedTypes::for_consumer(|name| engine.wants(name)));
        replay
            .for_each(|ev, st| {
                engine.process(ev, st, &mut alerts);
                n += alerts.len();
                alerts.clear();
            })
            .map_err(read_err)?;
        whole_ns = whole_ns.min(start.elapsed().as_nanos() as u64);
        // Untimed: a compile the run outran is waited for, so that the evaluation passes below
        // run the JIT's final code, and a failed one is told.
        engine.finish_compile();
        if let Some(err) = engine.jit_error() {
            return Err(format!("the JIT could not compile the rules: {err}"));
        }
        matches = n;
        last = Some(engine);
    }
    let mut engine = last.ok_or("no run was made")?;
    let rules = engine.program().rules.len();

    // The evaluation share: more streaming passes, each evaluation timed on its own.
    let clock = Clock::calibrate();
    let (mut best, mut events) = (u64::MAX, 0usize);
    for _ in 0..repeat {
        let (mut ticks, mut n) = (0u64, 0usize);
        let mut alerts: Vec<Alert> = Vec::new();
        open(capture)?
            .for_each(|ev, st| {
                let t0 = clock.now();
                engine.process(ev, st, &mut alerts);
                ticks += clock.now().wrapping_sub(t0);
                alerts.clear();
                n += 1;
            })
            .map_err(read_err)?;
        best = best.min(ticks);
        events = n;
    }
    let per = events.max(1) as f64;
    let eval_ns_per_event = ((best as f64 / per - clock.overhead_ticks) * clock.ns_per_tick).max(0.0);
    Ok(CaptureMeasurement { kind, events, rules, matches, whole_ns, eval_ns_per_event, peak_rss_kib: peak_rss_kib() })
}
