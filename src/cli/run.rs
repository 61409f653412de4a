//! `rulec run`: the detection pipeline. Rules are checked and compiled (the embedded
//! `stdlib-rules/` ruleset unless `--rules` names files), events come from a recorded capture
//! (`--replay`, `.scap` or rulec's JSON Lines, streamed) through the state machine, the JIT engine
//! decides on each event, and alerts go to stdout as Falco's text line or alert JSON. Stats go to
//! stderr at an interval and at the end; SIGINT/SIGTERM stop the run cleanly with the summary.
//!
//! This module wires the pieces and owns the command line; formatting an alert is
//! [`crate::alert_format`]'s job.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use rulec_compiler::{Diagnostic, FileId, SourceFile};
use rulec_runtime::engine::{Alert, Backend, Engine, MatchMode};
use rulec_runtime::{Limits, State};

use super::{EXIT_CANNOT_RUN, EXIT_FINDINGS, EXIT_OK};
use crate::alert_format::{self, AlertFormat};
use crate::render::Renderer;

/// The ruleset `rulec run` uses when no `--rules` is given: the files of `stdlib-rules/`,
/// embedded at build time, in load order.
pub const STDLIB_RULES: &[(&str, &str)] =
    &[("stdlib-rules/example.yaml", include_str!("../../stdlib-rules/example.yaml"))];

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Rules files, loaded in this order (default: the embedded stdlib-rules ruleset).
    #[arg(long = "rules", short = 'r', value_name = "FILE")]
    pub rules: Vec<PathBuf>,

    /// Alert format on stdout: Falco's text line, or one alert JSON object per line.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Output::Text)]
    pub output: Output,

    /// Run over a recorded capture (`.scap`, gzip or plain, or rulec's JSON Lines) instead of
    /// the live kernel.
    #[arg(long, value_name = "CAPTURE")]
    pub replay: Option<PathBuf>,

    /// Print stats to stderr every S seconds (and always at the end).
    #[arg(long, value_name = "S")]
    pub stats_interval: Option<f64>,

    /// Bytes of each CPU's ring buffer for live capture (a power of two, at least 4096).
    #[arg(long, value_name = "BYTES", default_value_t = 8 << 20)]
    pub ring_bytes: u32,

    /// Every matching rule alerts, not only the first (Falco's default is the first).
    #[arg(long)]
    pub all_matches: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, ValueEnum)]
pub enum Output {
    Text,
    Json,
}

/// What a run counts, printed at intervals and at the end.
#[derive(Debug, Default)]
struct RunStats {
    events: u64,
    alerts_per_rule: BTreeMap<String, u64>,
    alerts: u64,
    /// Alerts that could not be written (stdout closed).
    alerts_lost: u64,
    elapsed: Duration,
    /// Threads in the state after the last event.
    threads: usize,
    /// The state's counters after the last event.
    state: rulec_runtime::state::Stats,
}

/// Alerts out and stats at intervals: owned by the event loop, and shared with the live source,
/// which calls [`Reporter::idle`] while no events arrive, so that interval stats keep coming
/// and alerts already written reach the reader when the host is quiet.
struct Reporter {
    stats: RunStats,
    out: std::io::BufWriter<std::io::StdoutLock<'static>>,
    started: Instant,
    last_report: Instant,
    interval: Option<Duration>,
    /// Adds to each interval report (the kernel's counters, live).
    on_report: Box<dyn FnMut()>,
}

impl Reporter {
    fn new(interval: Option<Duration>, on_report: Box<dyn FnMut()>) -> Reporter {
        Reporter {
            stats: RunStats::default(),
            out: std::io::BufWriter::new(std::io::stdout().lock()),
            started: Instant::now(),
            last_report: Instant::now(),
            interval,
            on_report,
        }
    }

    /// Prints the interval report when one is due.
    fn tick(&mut self) {
        if let Some(every) = self.interval
            && self.last_report.elapsed() >= every
        {
            let _ = self.out.flush();
            self.stats.elapsed = self.started.elapsed();
            report(&self.stats, false);
            (self.on_report)();
            self.last_report = Instant::now();
        }
    }

    /// No events are arriving: flush the alerts written so far, report if due.
    fn idle(&mut self) {
        let _ = self.out.flush();
        self.tick();
    }
}

pub fn run(args: &RunArgs) -> i32 {
    let files = match load_rules(&args.rules) {
        Ok(files) => files,
        Err(message) => {
            eprintln!("rulec run: {message}");
            return EXIT_CANNOT_RUN;
        }
    };
    let result = rulec_compiler::check::check(&files);
    let errors: Vec<&Diagnostic> = result.diagnostics.iter().filter(|d| d.is_error()).collect();
    if !errors.is_empty() {
        let renderer = Renderer::new(&files);
        for d in &errors {
            eprintln!("{}", renderer.text(d, false));
        }
        eprintln!("rulec run: the rules have {} error(s); nothing was started", errors.len());
        return EXIT_FINDINGS;
    }
    let mut engine = Engine::new(rulec_compiler::compile(&result), Backend::Jit);
    if let Some(e) = engine.jit_error() {
        eprintln!("rulec run: the JIT is unavailable ({e}); rules run on the interpreter");
    }
    engine.set_mode(if args.all_matches { MatchMode::All } else { MatchMode::First });
    let format = AlertFormat { json: args.output == Output::Json, hostname: alert_format::hostname() };

    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        if let Err(e) = signal_hook::flag::register(sig, Arc::clone(&stop)) {
            eprintln!("rulec run: cannot handle signal {sig}: {e}");
            return EXIT_CANNOT_RUN;
        }
    }
    let interval = match args.stats_interval {
        Some(s) if !(s.is_finite() && s > 0.0) => {
            eprintln!("rulec run: --stats-interval must be a positive number of seconds, not {s}");
            return EXIT_CANNOT_RUN;
        }
        s => s.map(Duration::from_secs_f64),
    };

    match &args.replay {
        Some(path) => replay(path, &mut engine, &format, &stop, interval),
        None => live(args, &mut engine, &format, &stop, interval),
    }
}

/// Reads the rules files, or the embedded stdlib.
fn load_rules(paths: &[PathBuf]) -> Result<Vec<SourceFile>, String> {
    if paths.is_empty() {
        return Ok(STDLIB_RULES
            .iter()
            .enumerate()
            .map(|(i, (name, text))| SourceFile::new(FileId(i as u32), *name, (*text).to_string()))
            .collect());
    }
    super::check::read_files(paths)
}

fn replay(
    path: &std::path::Path,
    engine: &mut Engine,
    format: &AlertFormat,
    stop: &AtomicBool,
    interval: Option<Duration>,
) -> i32 {
    let replay = match rulec_runtime::capture::open_replay(path, Limits::default()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("rulec run: cannot replay {}: {e}", path.display());
            return EXIT_CANNOT_RUN;
        }
    };
    let reporter = Rc::new(RefCell::new(Reporter::new(interval, Box::new(|| {}))));
    let (result, stopped) = drive(replay, engine, format, Some(stop), &reporter);
    let stats = &reporter.borrow().stats;
    match result {
        Ok(_) => {
            report(stats, true);
            if stopped {
                eprintln!("rulec run: stopped by signal");
            }
            EXIT_OK
        }
        Err(e) => {
            // Everything before the damage was processed and its alerts printed.
            eprintln!("rulec run: {}: {e}", path.display());
            eprintln!("rulec run: {} events processed before the error, {} alerts", stats.events, stats.alerts);
            EXIT_CANNOT_RUN
        }
    }
}

/// Live capture: the state seeded from /proc, then the probe's events through the same loop.
fn live(
    args: &RunArgs,
    engine: &mut Engine,
    format: &AlertFormat,
    stop: &Arc<AtomicBool>,
    interval: Option<Duration>,
) -> i32 {
    let syscalls = crate::live::syscalls_for(engine.program());
    let state = State::from_proc(std::path::Path::new("/proc"));
    let mut events = match crate::live::LiveEvents::start(&syscalls, args.ring_bytes, Arc::clone(stop)) {
        Ok(ev) => ev,
        Err(e) => {
            eprintln!("rulec run: {e}");
            return EXIT_CANNOT_RUN;
        }
    };
    eprintln!(
        "rulec run: watching the host ({} syscalls, {} threads from /proc); Ctrl-C stops",
        syscalls.len(),
        state.thread_count()
    );
    let kernel = events.report();
    let kernel_at_intervals = Arc::clone(&kernel);
    let print_kernel = Box::new(move || {
        if let Ok(r) = kernel_at_intervals.lock() {
            eprintln!("{}", r.summary(false));
        }
    });
    let reporter = Rc::new(RefCell::new(Reporter::new(interval, print_kernel)));
    {
        let reporter = Rc::clone(&reporter);
        events.on_idle(Box::new(move || reporter.borrow_mut().idle()));
    }
    let replay = rulec_runtime::Replay::with_state(events, state);
    // The live source ends by itself on a signal, after reading what the rings already hold, so
    // the loop is not told to stop: those last events are processed, not dropped.
    let (result, _) = drive(replay, engine, format, None, &reporter);
    let Ok(_) = result;
    report(&reporter.borrow().stats, true);
    if let Ok(r) = kernel.lock() {
        eprintln!("{}", r.summary(true));
    }
    EXIT_OK
}

/// The event loop shared by replay and live capture: state, engine, alerts out, stats. With
/// `stop`, the loop ends when it is raised (without reading the rest of the source). Returns the
/// source's result and whether `stop` ended it.
fn drive<S, E>(
    replay: rulec_runtime::Replay<S>,
    engine: &mut Engine,
    format: &AlertFormat,
    stop: Option<&AtomicBool>,
    reporter: &RefCell<Reporter>,
) -> (Result<State, E>, bool)
where
    S: Iterator<Item = Result<rulec_runtime::Event, E>>,
{
    let mut alerts: Vec<Alert> = Vec::new();
    let mut stopped = false;
    let result = replay.for_each_while(|ev, st| {
        if stop.is_some_and(|s| s.load(Ordering::Relaxed)) {
            stopped = true;
            return false;
        }
        let mut r = reporter.borrow_mut();
        let r = &mut *r;
        r.stats.events += 1;
        engine.process(ev, st, &mut alerts);
        for a in alerts.drain(..) {
            r.stats.alerts += 1;
            *r.stats.alerts_per_rule.entry(a.rule.clone()).or_default() += 1;
            let line = alert_format::render(&a, format);
            if writeln!(r.out, "{line}").is_err() {
                r.stats.alerts_lost += 1;
            }
        }
        r.stats.threads = st.thread_count();
        r.stats.state = st.stats();
        r.tick();
        true
    });
    let mut r = reporter.borrow_mut();
    let _ = r.out.flush();
    r.stats.elapsed = r.started.elapsed();
    if let Ok(state) = &result {
        r.stats.threads = state.thread_count();
        r.stats.state = state.stats();
    }
    (result, stopped)
}

/// Stats to stderr: events and their rate, state tables and evictions, alerts per rule.
fn report(stats: &RunStats, last: bool) {
    let secs = stats.elapsed.as_secs_f64().max(1e-9);
    let st = &stats.state;
    let mut text = format!(
        "rulec run {}: {} events ({:.0}/s), {} alerts",
        if last { "summary" } else { "stats" },
        stats.events,
        stats.events as f64 / secs,
        stats.alerts
    );
    if stats.alerts_lost > 0 {
        text.push_str(&format!(", {} alerts NOT written (stdout closed)", stats.alerts_lost));
    }
    text.push_str(&format!(
        "\n  state: {} threads, {} evicted, {} fds evicted, {} events of unknown threads",
        stats.threads, st.threads_evicted, st.fds_evicted, st.unknown_thread_events
    ));
    for (rule, n) in &stats.alerts_per_rule {
        text.push_str(&format!("\n  {n:>8}  {rule}"));
    }
    eprintln!("{text}");
}
