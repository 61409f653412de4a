//! `rulec run`: the detection pipeline. Rules are checked and compiled (the embedded
//! `stdlib-rules/` ruleset unless `--rules` names files), events come from a recorded capture
//! (`--replay`, `.scap` or rulec's JSON Lines, streamed) through the state machine, the JIT engine
//! decides on each event, and alerts go to the outputs (stdout as Falco's text line or alert JSON,
//! and any of a file, a webhook, syslog, a program: [`super::run_opts`]). Stats go to stderr at an
//! interval and at the end; SIGINT/SIGTERM stop the run cleanly with the summary; SIGUSR1 reopens
//! the output file and restarts the program output.
//!
//! This module wires the pieces and owns the pipeline's command line; formatting an alert is
//! [`crate::alert_format`]'s job, delivering it [`rulec_outputs`]'.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use rulec_compiler::SourceFile;
use rulec_runtime::engine::{Alert, Engine};
use rulec_runtime::{Limits, State};

use super::run_opts::{AlertSink, OperatorArgs};
use super::{EXIT_CANNOT_RUN, EXIT_OK};
use crate::alert_format;

#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    /// Rules files, loaded in this order (default: the embedded stdlib-rules ruleset).
    #[arg(long = "rules", short = 'r', value_name = "FILE")]
    pub rules: Vec<PathBuf>,

    /// Settings from a configuration file (`rulec.yaml`, docs/config.md); flags override it.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Alert format on stdout: Falco's text line, or one alert JSON object per line
    /// [default: text].
    #[arg(short = 'o', long = "output", value_enum)]
    pub output: Option<Output>,

    /// Run over a recorded capture (`.scap`, gzip or plain, or rulec's JSON Lines) instead of
    /// the live kernel.
    #[arg(long, value_name = "CAPTURE")]
    pub replay: Option<PathBuf>,

    /// With --replay: read and decode the capture on the same thread as the rules instead of a
    /// second one (the default where the machine has more than one CPU).
    #[arg(long, requires = "replay")]
    pub no_read_ahead: bool,

    /// Print stats to stderr every S seconds (and always at the end).
    #[arg(long, value_name = "S")]
    pub stats_interval: Option<f64>,

    /// Bytes of each CPU's ring buffer for live capture (a power of two, at least 4096)
    /// [default: 8388608].
    #[arg(long, value_name = "BYTES")]
    pub ring_bytes: Option<u32>,

    /// Every matching rule alerts, not only the first (Falco's default is the first).
    #[arg(long)]
    pub all_matches: bool,

    /// Reload the rules (and the configuration) when a file changes, as on SIGHUP.
    #[arg(long)]
    pub watch: bool,

    #[command(flatten)]
    pub ops: OperatorArgs,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, ValueEnum)]
pub enum Output {
    Text,
    Json,
}

/// What a run counts, printed at intervals and at the end.
#[derive(Debug, Default)]
struct RunStats {
    /// Events handed to the loop (a replay's events read by their header only reach the
    /// state alone: its count, `state.events`, has them too).
    events: u64,
    alerts_per_rule: BTreeMap<String, u64>,
    alerts: u64,
    /// Alerts the rate limit held back.
    alerts_suppressed: u64,
    elapsed: Duration,
    /// Threads in the state after the last event.
    threads: usize,
    /// The state's counters after the last event.
    state: rulec_runtime::state::Stats,
}

/// The run's counters and the interval clock, shared by the event loop and, live, by the
/// source's idle hook: interval stats keep coming while no events arrive.
struct Shared {
    stats: RunStats,
    started: Instant,
    last_report: Instant,
    interval: Option<Duration>,
}

impl Shared {
    fn new(interval: Option<Duration>) -> Shared {
        Shared { stats: RunStats::default(), started: Instant::now(), last_report: Instant::now(), interval }
    }

    /// Whether an interval report is due; if so, the clock restarts and the elapsed time is set.
    fn due(&mut self) -> bool {
        match self.interval {
            Some(every) if self.last_report.elapsed() >= every => {
                self.last_report = Instant::now();
                self.stats.elapsed = self.started.elapsed();
                true
            }
            _ => false,
        }
    }
}

pub fn run(cli: &RunArgs) -> i32 {
    let built = match super::reload::build(cli) {
        Ok(b) => b,
        Err(e) => {
            // The details (rendered diagnostics) first, the summary last.
            let (details, summary) = e.text.rsplit_once('\n').unwrap_or(("", &e.text));
            if !details.is_empty() {
                eprintln!("{details}");
            }
            eprintln!("rulec run: {summary}; nothing was started");
            return e.code;
        }
    };
    for note in &built.notes {
        eprintln!("rulec run: {note}");
    }
    let args = &built.args;
    let mut engine = built.engine;
    let mut sink = match start_outputs(args) {
        Ok(sink) => sink,
        Err(e) => {
            eprintln!("rulec run: {e}; nothing was started");
            return EXIT_CANNOT_RUN;
        }
    };
    let watched: Vec<PathBuf> = cli.config.iter().chain(args.rules.iter()).cloned().collect();
    let reloader = match super::reload::Reloader::new(cli, &watched, args.watch) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("rulec run: {e}; nothing was started");
            return EXIT_CANNOT_RUN;
        }
    };
    let reopen = Arc::new(AtomicBool::new(false));
    if let Err(e) = signal_hook::flag::register(signal_hook::consts::SIGUSR1, Arc::clone(&reopen)) {
        eprintln!("rulec run: cannot handle SIGUSR1: {e}");
        return EXIT_CANNOT_RUN;
    }
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

    let metrics = match &args.ops.metrics_address {
        None => None,
        Some(addr) => {
            let m = Arc::new(crate::metrics::Metrics::new());
            if let Err(e) = crate::metrics::serve(addr, Arc::clone(&m)) {
                eprintln!("rulec run: {e}; nothing was started");
                return EXIT_CANNOT_RUN;
            }
            Some(m)
        }
    };
    sink.blocking = args.replay.is_some();
    let mut run = Running {
        engine: &mut engine,
        sink: &mut sink,
        reopen: &reopen,
        interval,
        metrics: metrics.map(|m| MetricsLoop { metrics: m, ..MetricsLoop::default() }),
        kernel: None,
        reloader,
        syscall_requests: None,
        jit_said: false,
        wanted: None,
    };
    let code = match &args.replay {
        Some(path) => replay(path, !args.no_read_ahead, &mut run, &stop),
        None => live(args, &mut run, &stop),
    };
    if let Some(text) = sink.finish(Duration::from_secs(5)) {
        eprintln!("  outputs:{text}");
    }
    code
}

/// The outputs the options ask for, started, with the rate limiter; or why they cannot start.
fn start_outputs(args: &RunArgs) -> Result<AlertSink, String> {
    let configs = args.ops.outputs(args.output == Some(Output::Json))?;
    if configs.is_empty() {
        return Err("no output: --no-stdout needs --output-file, --webhook, --syslog or --program".into());
    }
    let limiter = args.ops.limiter()?;
    let outputs = rulec_outputs::Outputs::start(&configs).map_err(|e| e.to_string())?;
    Ok(AlertSink { outputs, limiter, hostname: alert_format::hostname(), blocking: false })
}

/// What the event loop works with besides its events.
struct Running<'a> {
    engine: &'a mut Engine,
    sink: &'a mut AlertSink,
    /// Raised by SIGUSR1: reopen the outputs.
    reopen: &'a AtomicBool,
    interval: Option<Duration>,
    /// With `--metrics-address`: what the loop counts for the metrics.
    metrics: Option<MetricsLoop>,
    /// Live runs: the probe's counters.
    kernel: Option<Arc<std::sync::Mutex<crate::live::LiveReport>>>,
    /// SIGHUP and `--watch`: rebuilds the engine off the loop.
    reloader: super::reload::Reloader,
    /// Live runs: where a reload puts the new ruleset's syscalls for the probe.
    syscall_requests: Option<Arc<std::sync::Mutex<Option<Vec<u32>>>>>,
    /// Whether the engine's JIT failure was said (see [`Running::say_jit_error`]).
    jit_said: bool,
    /// Replays: the event types the rules and the state need decoded (the others are read by
    /// their header), kept in step with the rules by a reload.
    wanted: Option<rulec_runtime::WantedTypes>,
}

impl Running<'_> {
    /// Swaps in a finished reload (a refused one leaves the old rules running), and counts it.
    fn reloaded(&mut self, outcome: super::reload::Outcome) {
        let ok = outcome.is_ok();
        // The reload thread has said the outcome; here a built engine takes effect.
        if let Ok(built) = outcome {
            *self.engine = built.engine;
            self.jit_said = false;
            if let Some(req) = &self.syscall_requests
                && let Ok(mut r) = req.lock()
            {
                *r = Some(crate::live::syscalls_for(self.engine.program()));
            }
            if let Some(w) = &self.wanted {
                let engine = &*self.engine;
                w.update(|name| engine.wants(name));
            }
        }
        if let Some(m) = &self.metrics {
            m.metrics.reloaded(ok);
        }
    }

    /// Says, once per engine, that its JIT could not be compiled. The engine compiles in the
    /// background ([`rulec_runtime::engine::Compiles::Background`]), so this is known only once
    /// its compile is done: the loop looks at housekeeping and at the end (a run that ends
    /// before its compile does ran on the interpreter and says nothing).
    fn say_jit_error(&mut self) {
        if !self.jit_said
            && let Some(e) = self.engine.jit_error()
        {
            eprintln!("rulec run: the JIT is unavailable ({e}); rules run on the interpreter");
            self.jit_said = true;
        }
    }
}

/// The loop's side of the metrics: counts kept without locks, published once a second.
#[derive(Default)]
struct MetricsLoop {
    metrics: Arc<crate::metrics::Metrics>,
    /// Events by type name (keyed by the name's address: names are static table strings).
    by_type: std::collections::HashMap<usize, (&'static str, u64)>,
    /// Alerts by rule, with the priority.
    alerts: BTreeMap<String, (&'static str, u64)>,
    /// Every [`EVAL_SAMPLE`]th evaluation is timed; the estimate of the total, ns.
    eval_ns: f64,
    last_publish: Option<Instant>,
}

/// One evaluation in this many is timed for the metrics' evaluation time.
const EVAL_SAMPLE: u64 = 64;

impl MetricsLoop {
    fn publish(
        &mut self,
        state: &State,
        engine: &Engine,
        sink: &AlertSink,
        kernel: Option<&std::sync::Mutex<crate::live::LiveReport>>,
    ) {
        let outputs = sink.outputs.stats();
        let cpus = kernel.and_then(|k| k.lock().ok().map(|r| r.cpus.clone())).unwrap_or_default();
        let suppressed: Vec<(&str, u64)> = sink
            .limiter
            .as_ref()
            .map(|l| l.suppressed().iter().map(|(r, n)| (r.as_str(), *n)).collect())
            .unwrap_or_default();
        let snapshot = crate::metrics::Snapshot {
            events_by_type: self.by_type.values().map(|(n, c)| (*n, *c)).collect(),
            kernel: &cpus,
            state: state.stats(),
            threads: state.thread_count(),
            alerts: self.alerts.iter().map(|(r, (p, n))| (r.as_str(), *p, *n)).collect(),
            suppressed,
            outputs: &outputs,
            evaluations: engine.stats().evaluations,
            eval_seconds: self.eval_ns / 1e9,
        };
        self.metrics.publish(&snapshot);
        self.last_publish = Some(Instant::now());
    }
}

/// Reads the rules files (`stdlib` among them is the embedded stdlib), or the embedded stdlib.
pub(super) fn load_rules(paths: &[PathBuf]) -> Result<Vec<SourceFile>, String> {
    if paths.is_empty() {
        return Ok(super::stdlib::sources(0));
    }
    super::stdlib::read_rules(paths)
}

/// Replays the capture at `path`, its reading on a second thread when `read_ahead` and the
/// machine has more than one CPU ([`rulec_runtime::capture::ahead`]).
fn replay(path: &std::path::Path, read_ahead: bool, run: &mut Running<'_>, stop: &AtomicBool) -> i32 {
    let read_ahead = read_ahead && rulec_runtime::capture::ahead::pays();
    let mut replay = match rulec_runtime::capture::open_replay_with(path, Limits::default(), read_ahead) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("rulec run: cannot replay {}: {e}", path.display());
            return EXIT_CANNOT_RUN;
        }
    };
    // Events no rule and no part of the state looks at are read by their header only, as live
    // capture never asks the kernel for them; the metrics count events by type, so with them
    // every event is decoded.
    if run.metrics.is_none() {
        let engine = &*run.engine;
        let wanted = rulec_runtime::WantedTypes::for_consumer(|name| engine.wants(name));
        replay.decode_only(wanted.clone());
        run.wanted = Some(wanted);
    }
    let shared = RefCell::new(Shared::new(run.interval));
    let (result, stopped) = drive(replay, run, Some(stop), &shared, &mut || {});
    let stats = &shared.borrow().stats;
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
fn live(args: &RunArgs, run: &mut Running<'_>, stop: &Arc<AtomicBool>) -> i32 {
    let syscalls = crate::live::syscalls_for(run.engine.program());
    let state = State::from_proc(std::path::Path::new("/proc"));
    let mut events =
        match crate::live::LiveEvents::start(&syscalls, args.ring_bytes.unwrap_or(8 << 20), Arc::clone(stop)) {
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
    run.kernel = Some(Arc::clone(&kernel));
    run.syscall_requests = Some(events.syscall_requests());
    let shared = Rc::new(RefCell::new(Shared::new(run.interval)));
    {
        // While the rings are empty, the loop does not run: the source reports for it.
        let (shared, kernel) = (Rc::clone(&shared), Arc::clone(&kernel));
        events.on_idle(Box::new(move || {
            let mut sh = shared.borrow_mut();
            if sh.due() {
                report(&sh.stats, false);
                if let Ok(r) = kernel.lock() {
                    eprintln!("{}", r.summary(false));
                }
            }
        }));
    }
    let replay = rulec_runtime::Replay::with_state(events, state);
    let print_kernel = |last: bool| {
        if let Ok(r) = kernel.lock() {
            eprintln!("{}", r.summary(last));
        }
    };
    // The live source ends by itself on a signal, after reading what the rings already hold, so
    // the loop is not told to stop: those last events are processed, not dropped.
    let (result, _) = drive(replay, run, None, &shared, &mut || print_kernel(false));
    let Ok(_) = result;
    report(&shared.borrow().stats, true);
    print_kernel(true);
    EXIT_OK
}

/// Events between two looks at reloads, reopen requests, the state's counters and the report
/// clock.
const HOUSEKEEPING: u64 = 64;

/// The event loop shared by replay and live capture: state, engine, alerts out, stats (in
/// `shared`). With `stop`, the loop ends when it is raised (without reading the rest of the
/// source); `on_report` adds to each interval report. Returns the source's result and whether
/// `stop` ended the loop.
fn drive<S: rulec_runtime::EventSource>(
    replay: rulec_runtime::Replay<S>,
    run: &mut Running<'_>,
    stop: Option<&AtomicBool>,
    shared: &RefCell<Shared>,
    on_report: &mut dyn FnMut(),
) -> (Result<State, S::Error>, bool) {
    let mut alerts: Vec<Alert> = Vec::new();
    let mut stopped = false;
    let result = replay.for_each_while(|ev, st| {
        if stop.is_some_and(|s| s.load(Ordering::Relaxed)) {
            stopped = true;
            return false;
        }
        let mut sh = shared.borrow_mut();
        let stats = &mut sh.stats;
        stats.events += 1;
        // Housekeeping every few events, not on each: the loop's own cost per event is the
        // probe's budget too.
        let tick = stats.events % HOUSEKEEPING == 1;
        // A finished reload takes effect before this event is evaluated.
        if let Some(outcome) = run.reloader.poll() {
            run.reloaded(outcome);
        }
        if let Some(m) = &mut run.metrics {
            m.by_type.entry(ev.name.as_ptr() as usize).or_insert((ev.name, 0)).1 += 1;
            if stats.events.is_multiple_of(EVAL_SAMPLE) {
                let t = Instant::now();
                run.engine.process(ev, st, &mut alerts);
                m.eval_ns += t.elapsed().as_nanos() as f64 * EVAL_SAMPLE as f64;
            } else {
                run.engine.process(ev, st, &mut alerts);
            }
            for a in &alerts {
                m.alerts.entry(a.rule.clone()).or_insert((a.priority.as_str(), 0)).1 += 1;
            }
            if m.last_publish.is_none_or(|t| t.elapsed() >= Duration::from_secs(1)) {
                m.publish(st, run.engine, run.sink, run.kernel.as_deref());
            }
        } else {
            run.engine.process(ev, st, &mut alerts);
        }
        // Most events raise no alert: a test, not a drain (whose setup and drop cost 26
        // instructions on every event, measured with callgrind).
        if !alerts.is_empty() {
            for a in alerts.drain(..) {
                stats.alerts += 1;
                *stats.alerts_per_rule.entry(a.rule.clone()).or_default() += 1;
                if !run.sink.emit(&a) {
                    stats.alerts_suppressed += 1;
                }
            }
        }
        if !tick {
            return true;
        }
        run.say_jit_error();
        if run.reopen.load(Ordering::Relaxed) && run.reopen.swap(false, Ordering::Relaxed) {
            run.sink.outputs.reopen();
        }
        stats.threads = st.thread_count();
        stats.state = st.stats();
        if sh.due() {
            report(&sh.stats, false);
            if let Some(text) = run.sink.interval_report() {
                eprintln!("  outputs:{text}");
            }
            on_report();
        }
        true
    });
    run.say_jit_error();
    let mut sh = shared.borrow_mut();
    sh.stats.elapsed = sh.started.elapsed();
    if let Ok(state) = &result {
        sh.stats.threads = state.thread_count();
        sh.stats.state = state.stats();
    }
    (result, stopped)
}

/// Stats to stderr: events and their rate, state tables and evictions, alerts per rule.
fn report(stats: &RunStats, last: bool) {
    let secs = stats.elapsed.as_secs_f64().max(1e-9);
    let st = &stats.state;
    let unread = st.events.saturating_sub(stats.events);
    let events = stats.events + unread;
    let mut text = format!(
        "rulec run {}: {} events ({:.0}/s), {} alerts",
        if last { "summary" } else { "stats" },
        events,
        events as f64 / secs,
        stats.alerts
    );
    if stats.alerts_suppressed > 0 {
        text.push_str(&format!(" ({} suppressed by the rate limit)", stats.alerts_suppressed));
    }
    if unread > 0 {
        text.push_str(&format!(
            "\n  {unread} of the events read by their header only (no rule or state change needs them)"
        ));
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
