//! `rulec bench`: measures rule evaluation on a generated event stream, side by side in one run:
//! the reference interpreter, the Cranelift JIT, and, as the practical limit, a hand-written Rust
//! predicate next to the JIT on the same subset of upstream rules. With `--capture`, a ruleset or
//! a filter on a recorded capture instead, next to sysdig ([`super::bench_capture`]). With
//! `--live`, the cost of watching the host ([`super::bench_live`]).
//!
//! Each measurement runs in a child process (`rulec bench --child KIND`), so that each reports its
//! own peak memory and none inherits another's heap. A child generates the events up front (not
//! timed), then times two passes over them, each repeated and the fastest kept: the state machine
//! alone, and the state machine with evaluation, where each evaluation call is timed on its own
//! with the time-stamp counter (after one untimed pass that lets the engine settle its evaluation
//! order). That per-call figure is what rule evaluation alone costs per event, which is what the
//! engine's design decides. Rendering the alerts of the rules that matched (the output text and
//! fields, which the hand-written predicate does not make: it returns rule names) is timed apart
//! ([`Engine::process_matches`] then [`Engine::render_alerts`], the two halves of
//! [`Engine::process`]) and reported as its own column, per event of the stream.

use std::path::PathBuf;
use std::process::Command as Process;
use std::time::Instant;

use clap::{Args, ValueEnum};
use rulec_bench::Generator;
use rulec_bench::handwritten;
use rulec_compiler::check::{CheckResult, check};
use rulec_runtime::Event;
use rulec_runtime::engine::{Alert, Backend, Engine, MatchMode};
use serde::{Deserialize, Serialize};

use super::{EXIT_CANNOT_RUN, EXIT_OK, print_stdout};

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Rules files, loaded in order (e.g. ../shared/conformance/falco/falco_rules.yaml; `stdlib`
    /// is the embedded default ruleset); needed unless --capture is given.
    #[arg(long = "rules", value_name = "FILE", required_unless_present_any = ["capture", "load", "scale"])]
    pub rules: Vec<PathBuf>,
    /// A second ruleset (files loaded in order; `stdlib` for the embedded one), measured with
    /// both backends on the same stream next to --rules: the cost per event of --rules as a
    /// multiple of this one's.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["capture", "live"])]
    pub compare: Vec<PathBuf>,
    /// Measure on a recorded capture (.scap, plain or gzip) instead: the --rules ruleset, or one
    /// --filter, with rulec's JIT and interpreter, next to `sysdig -r` reading the same file (when
    /// installed), as time per event and peak memory.
    #[arg(long, value_name = "FILE")]
    pub capture: Option<PathBuf>,
    /// With --capture: play the capture's events this many times in a row (short captures are
    /// too quick to time); 1 reads the file as it is.
    #[arg(long, default_value_t = 200, value_name = "N")]
    pub times: usize,
    /// With --capture: the filter to measure, in the condition language (macros and lists are
    /// not available; sysdig gets the same text), or a named one: `@default` (shaped like Falco's
    /// rules; used when neither --filter nor --rules is given) or `@heavy` (41 string tests with no
    /// event-type guard).
    #[arg(long, value_name = "EXPR", requires = "capture", conflicts_with = "rules")]
    pub filter: Option<String>,
    /// Number of generated events.
    #[arg(long, default_value_t = 200_000)]
    pub events: usize,
    /// Seed of the event generator (same seed, same stream).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Timed passes per measurement; the fastest is kept.
    #[arg(long, default_value_t = 5)]
    pub repeat: usize,
    /// With --rules: measure every backend this many times, in turns (one child process per
    /// backend and round), and keep each backend's fastest round, so that a slow spell of a
    /// noisy machine weighs on every backend alike rather than on whichever ran in it.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Measure what watching the host costs instead (needs root and BTF): a syscall loop with
    /// nothing attached, with an empty probe, and under `rulec run --rules ...`; then sustained
    /// loads with kernel drops, CPU and memory ([`super::bench_live`]).
    #[arg(long, conflicts_with = "capture")]
    pub live: bool,
    /// With --live: seconds of each sustained load.
    #[arg(long, default_value_t = 5.0, value_name = "S", requires = "live")]
    pub load_secs: f64,
    /// Measure how checking and building the engine grow with the ruleset's size instead:
    /// generated rules, list items, macros, a macro chain and or-clauses at 1k, 10k and 100k
    /// ([`super::bench_scale`]).
    #[arg(long, conflicts_with_all = ["capture", "live", "rules"])]
    pub scale: bool,
    /// With --scale: the sizes to measure (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "N,N,...", requires = "scale")]
    pub scale_sizes: Vec<usize>,
    /// Where the evaluation time of --rules goes on the generated stream: each rule's cost alone
    /// (ns/event, share, evaluations, matches) and each event type's, on both backends
    /// ([`super::bench_rules`]).
    #[arg(long, conflicts_with_all = ["capture", "live", "scale", "compare"])]
    pub per_rule: bool,
    /// With --per-rule: how many of the costliest rules to list.
    #[arg(long, default_value_t = 20, value_name = "N", requires = "per_rule")]
    pub top: usize,
    /// Internal (--live): run one syscall loop and print what it did as JSON.
    #[arg(long, hide = true, value_name = "SPEC")]
    pub load: Option<String>,
    /// Internal: run one measurement and print it as JSON.
    #[arg(long, value_enum, hide = true)]
    pub child: Option<Kind>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// One measured configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// The interpreter on the whole ruleset (first-match mode, as Falco runs by default).
    Interp,
    /// The JIT on the whole ruleset.
    Jit,
    /// The interpreter on the hand-written subset only (all-match mode).
    SubsetInterp,
    /// The JIT on the hand-written subset only (all-match mode).
    SubsetJit,
    /// The hand-written Rust predicate for the subset.
    Handwritten,
    /// `--capture`: the JIT on the ruleset or filter.
    CaptureJit,
    /// `--capture`: the interpreter on the ruleset or filter.
    CaptureInterp,
}

impl Kind {
    const ALL: [Kind; 5] = [Kind::Interp, Kind::Jit, Kind::SubsetInterp, Kind::SubsetJit, Kind::Handwritten];

    pub(super) fn label(self) -> &'static str {
        match self {
            Kind::CaptureJit => "rulec, JIT",
            Kind::CaptureInterp => "rulec, interpreter",
            Kind::Interp => "interpreter, all rules",
            Kind::Jit => "JIT, all rules",
            Kind::SubsetInterp => "interpreter, subset",
            Kind::SubsetJit => "JIT, subset",
            Kind::Handwritten => "hand-written Rust, subset",
        }
    }
}

/// What one child measured.
#[derive(Debug, Serialize, Deserialize)]
pub struct Measurement {
    pub kind: Kind,
    pub events: usize,
    pub rules: usize,
    /// Fastest pass of the state machine alone, ns.
    pub state_ns: u64,
    /// State machine plus evaluation, ns.
    pub total_ns: u64,
    /// Evaluation alone per event, ns (timed around each evaluation call): which rules match,
    /// their alerts not rendered.
    pub eval_ns_per_event: f64,
    /// Rendering the alerts of the rules that matched, per event of the stream, ns (timed
    /// around each rendering call; 0 for the hand-written predicate, which renders nothing).
    #[serde(default)]
    pub render_ns_per_event: f64,
    pub events_per_sec: f64,
    /// Alerts raised in one pass (the backends must agree).
    pub alerts: usize,
    /// Peak resident memory of the child, KiB (VmHWM).
    pub peak_rss_kib: u64,
    /// Time to build the engine (check excluded), ms: JIT compilation for the JIT.
    pub build_ms: f64,
    /// Set by the parent: a measurement of the `--compare` ruleset.
    #[serde(default)]
    pub compared: bool,
}

pub fn run(args: &BenchArgs) -> i32 {
    if let Some(spec) = &args.load {
        return super::bench_live::load_child(spec);
    }
    if args.live {
        return super::bench_live::run(args);
    }
    if args.scale {
        return super::bench_scale::run(args);
    }
    if args.per_rule {
        return super::bench_rules::run(args);
    }
    if let Some(capture) = &args.capture {
        return match args.child {
            Some(kind @ (Kind::CaptureJit | Kind::CaptureInterp)) => super::bench_capture::measure(args, capture, kind),
            Some(_) => fail("this measurement needs --rules, not --capture"),
            None => super::bench_capture::run(args, capture),
        };
    }
    match args.child {
        Some(kind) => match measure(args, kind) {
            Ok(m) => match serde_json::to_string(&m) {
                Ok(json) => print_stdout(&format!("{json}\n")).err().unwrap_or(EXIT_OK),
                Err(e) => fail(&format!("cannot encode the measurement: {e}")),
            },
            Err(msg) => fail(&msg),
        },
        None => parent(args),
    }
}

/// Runs one measurement in a child process (`cmd` plus `--repeat R --child KIND`) and reads
/// what it printed; on failure, says why and gives the exit status.
pub(super) fn run_child<T: serde::de::DeserializeOwned>(
    mut cmd: Process,
    args: &BenchArgs,
    kind: Kind,
) -> Result<T, i32> {
    cmd.args(["--repeat", &args.repeat.to_string(), "--child"]);
    cmd.arg(kind.to_possible_value().map(|v| v.get_name().to_owned()).unwrap_or_default());
    let out = cmd.output().map_err(|e| fail(&format!("cannot run a measurement: {e}")))?;
    if !out.status.success() {
        eprint!("{}", String::from_utf8_lossy(&out.stderr));
        return Err(fail(&format!("the {} measurement failed", kind.label())));
    }
    serde_json::from_slice::<T>(&out.stdout)
        .map_err(|e| fail(&format!("unreadable measurement from the {} child: {e}", kind.label())))
}

pub(super) fn fail(msg: &str) -> i32 {
    eprintln!("rulec bench: {msg}");
    EXIT_CANNOT_RUN
}

/// Runs every measurement in a child process and prints them side by side: both backends on
/// --rules, the hand-written subset when --rules holds its rules, and both backends on --compare.
fn parent(args: &BenchArgs) -> i32 {
    let exe = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => return fail(&format!("cannot find the rulec executable: {e}")),
    };
    let with_subset = match load(&args.rules) {
        Ok(result) => handwritten::SUBSET.iter().all(|n| result.ruleset.rules.iter().any(|r| r.name == *n)),
        Err(msg) => return fail(&msg),
    };
    let kinds: &[Kind] = if with_subset { &Kind::ALL } else { &[Kind::Interp, Kind::Jit] };
    let mut plan: Vec<(&[PathBuf], Kind, bool)> = kinds.iter().map(|&k| (args.rules.as_slice(), k, false)).collect();
    if !args.compare.is_empty() {
        plan.extend([Kind::Interp, Kind::Jit].map(|k| (args.compare.as_slice(), k, true)));
    }
    // Per entry of the plan, its fastest round so far.
    let mut results: Vec<Option<Measurement>> = plan.iter().map(|_| None).collect();
    for _ in 0..args.rounds.max(1) {
        for (&(rules, kind, compared), best) in plan.iter().zip(&mut results) {
            let mut cmd = Process::new(&exe);
            cmd.arg("bench");
            for r in rules {
                cmd.arg("--rules").arg(r);
            }
            cmd.args(["--events", &args.events.to_string(), "--seed", &args.seed.to_string()]);
            let m = match run_child::<Measurement>(cmd, args, kind) {
                Ok(m) => Measurement { compared, ..m },
                Err(code) => return code,
            };
            if best.as_ref().is_none_or(|b| m.eval_ns_per_event < b.eval_ns_per_event) {
                *best = Some(m);
            }
        }
    }
    let results: Vec<Measurement> = results.into_iter().flatten().collect();
    let text = match args.format {
        Format::Json => serde_json::to_string_pretty(&results).unwrap_or_default() + "\n",
        Format::Text => render(args, &results),
    };
    if let Err(code) = print_stdout(&text) {
        return code;
    }
    // The backends must agree; a disagreement is a bug worth failing the command for.
    let alerts =
        |k: Kind, compared: bool| results.iter().find(|m| m.kind == k && m.compared == compared).map(|m| m.alerts);
    if alerts(Kind::Interp, false) != alerts(Kind::Jit, false)
        || alerts(Kind::Interp, true) != alerts(Kind::Jit, true)
        || alerts(Kind::SubsetInterp, false) != alerts(Kind::SubsetJit, false)
        || alerts(Kind::SubsetJit, false) != alerts(Kind::Handwritten, false)
    {
        eprintln!("rulec bench: the backends raised different numbers of alerts (see the table): this is a bug");
        return super::EXIT_FINDINGS;
    }
    EXIT_OK
}

fn render(args: &BenchArgs, results: &[Measurement]) -> String {
    let mut out = format!(
        "rulec bench: {} generated events (seed {}), fastest of {} passes in each of {} rounds, rules: {}\n\n",
        args.events,
        args.seed,
        args.repeat,
        args.rounds.max(1),
        args.rules.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    );
    let label = |m: &Measurement| {
        if m.compared { format!("{} (compared)", m.kind.label()) } else { m.kind.label().to_owned() }
    };
    let w = results.iter().map(|m| label(m).len()).max().unwrap_or(0).max(28);
    out.push_str(&format!(
        "{:<w$} {:>6} {:>14} {:>14} {:>9} {:>12} {:>10} {:>16}\n",
        "backend", "rules", "eval ns/event", "events/s", "alerts", "peak RSS", "build ms", "render ns/event"
    ));
    let names = |paths: &[PathBuf]| paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ");
    for m in results {
        out.push_str(&format!(
            "{:<w$} {:>6} {:>14.1} {:>14} {:>9} {:>9} MiB {:>10.2} {:>16}\n",
            label(m),
            m.rules,
            m.eval_ns_per_event,
            group(m.events_per_sec as u64),
            m.alerts,
            m.peak_rss_kib / 1024,
            m.build_ms,
            if m.kind == Kind::Handwritten { "-".to_owned() } else { format!("{:.1}", m.render_ns_per_event) }
        ));
    }
    let find = |k: Kind| results.iter().find(|m| m.kind == k && !m.compared);
    if !args.compare.is_empty() {
        out.push_str(&format!("\ncompared: {}\n", names(&args.compare)));
        for k in [Kind::Interp, Kind::Jit] {
            let other = results.iter().find(|m| m.kind == k && m.compared);
            if let (Some(a), Some(b)) = (find(k), other) {
                out.push_str(&format!(
                    "{}: {} {:.1} ns/event ({} rules) vs {} {:.1} ns/event ({} rules): {:.2}x\n",
                    k.label(),
                    names(&args.rules),
                    a.eval_ns_per_event,
                    a.rules,
                    names(&args.compare),
                    b.eval_ns_per_event,
                    b.rules,
                    a.eval_ns_per_event / b.eval_ns_per_event.max(0.001)
                ));
            }
        }
    }
    if let (Some(i), Some(j)) = (find(Kind::Interp), find(Kind::Jit)) {
        out.push_str(&format!(
            "\nJIT vs interpreter, all rules: {:.2}x faster\n",
            i.eval_ns_per_event / j.eval_ns_per_event.max(0.001)
        ));
    }
    if let (Some(j), Some(h)) = (find(Kind::SubsetJit), find(Kind::Handwritten)) {
        out.push_str(&format!(
            "JIT vs hand-written Rust, subset: {:.2}x the hand-written time\n",
            j.eval_ns_per_event / h.eval_ns_per_event.max(0.001)
        ));
    }
    out.push_str(
        "(eval: deciding which rules match; render: the matches' alert text and fields, timed apart, \
         which the hand-written predicate does not make)\n",
    );
    out.push_str(&format!(
        "state machine alone: {:.1} ns/event\n",
        results.first().map_or(0.0, |m| m.state_ns as f64 / m.events as f64)
    ));
    out
}

pub(super) fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push('_');
        }
        out.push(c);
    }
    out
}

/// Checks the rules files in order; `stdlib` stands for the embedded stdlib's files.
pub(super) fn load(paths: &[PathBuf]) -> Result<CheckResult, String> {
    let files = super::stdlib::read_rules(paths)?;
    let result = check(&files);
    if result.has_errors() {
        return Err("the rules have errors: run `rulec check` on them first".into());
    }
    Ok(result)
}

/// One measurement, in this (child) process.
fn measure(args: &BenchArgs, kind: Kind) -> Result<Measurement, String> {
    if matches!(kind, Kind::CaptureJit | Kind::CaptureInterp) {
        return Err("this measurement needs --capture".into());
    }
    let result = load(&args.rules)?;
    let mut generator = Generator::new(args.seed);
    let initial = generator.state();
    let events: Vec<Event> = (0..args.events).map(|_| generator.next_event()).collect();
    let repeat = args.repeat.max(1);

    let built = Instant::now();
    let mut engine = match kind {
        Kind::Handwritten | Kind::CaptureJit | Kind::CaptureInterp => None,
        Kind::Interp | Kind::SubsetInterp => Some(Engine::new(rulec_compiler::compile(&result), Backend::Interp)),
        Kind::Jit | Kind::SubsetJit => Some(Engine::new(rulec_compiler::compile(&result), Backend::Jit)),
    };
    let build_ms = built.elapsed().as_secs_f64() * 1000.0;
    let mut rules = engine.as_ref().map_or(handwritten::SUBSET.len(), |e| e.program().rules.len());
    if let Some(engine) = &mut engine {
        if let Some(err) = engine.jit_error() {
            return Err(format!("the JIT could not compile the rules: {err}"));
        }
        if matches!(kind, Kind::SubsetInterp | Kind::SubsetJit) {
            let names: Vec<String> = engine.program().rules.iter().map(|r| r.name.clone()).collect();
            for name in &names {
                engine.set_enabled(name, handwritten::SUBSET.contains(&name.as_str()));
            }
            engine.set_mode(MatchMode::All);
            rules = handwritten::SUBSET.len();
        }
    }

    // Evaluation is timed per event with the CPU's time-stamp counter around the evaluation
    // call only, so the state machine's cost (and its noise) stays out of the figure; the
    // counter's own cost is measured and subtracted. Each pass starts from the same state; the
    // fastest pass is kept.
    let clock = Clock::calibrate();
    let mut alerts_in_pass = 0;
    // Ticks spent rendering alerts in the pass that rendered fastest (kept apart from the
    // fastest evaluation: a preemption inside one rendering call would dominate its pass's
    // few calls), and how many rendering calls a pass makes (the same in every pass).
    let mut render_in_pass = (u64::MAX, 0u64);
    let mut eval_pass = || {
        let mut state = initial.clone();
        let mut alerts: Vec<Alert> = Vec::new();
        let mut matched: Vec<usize> = Vec::new();
        let mut names: Vec<&'static str> = Vec::new();
        let mut count = 0usize;
        let (mut ticks, mut render_ticks, mut renders) = (0u64, 0u64, 0u64);
        match &mut engine {
            Some(engine) => {
                for ev in &events {
                    state.apply(ev);
                    let t0 = clock.now();
                    engine.process_matches(ev, &state, &mut matched);
                    ticks += clock.now().wrapping_sub(t0);
                    if !matched.is_empty() {
                        let t1 = clock.now();
                        engine.render_alerts(ev, &state, &matched, &mut alerts);
                        render_ticks += clock.now().wrapping_sub(t1);
                        renders += 1;
                        count += alerts.len();
                        alerts.clear();
                        matched.clear();
                    }
                }
            }
            None => {
                for ev in &events {
                    state.apply(ev);
                    let t0 = clock.now();
                    handwritten::matches(ev, &state, &mut names);
                    ticks += clock.now().wrapping_sub(t0);
                    count += names.len();
                    names.clear();
                }
            }
        }
        alerts_in_pass = count;
        (ticks, (render_ticks, renders))
    };
    let state_pass = || {
        let mut state = initial.clone();
        let start = Instant::now();
        for ev in &events {
            state.apply(ev);
        }
        std::hint::black_box(&state);
        start.elapsed().as_nanos() as u64
    };
    let (mut state_ns, mut eval_ticks) = (u64::MAX, u64::MAX);
    // One untimed pass first: the engine settles its evaluation order during its first
    // evaluations (and the JIT recompiles once for it), which is start-up, not evaluation.
    // `Engine::new` compiles on this thread (`Compiles::Inline`), so no timed pass runs a
    // compile or code it is about to replace.
    eval_pass();
    for _ in 0..repeat {
        state_ns = state_ns.min(state_pass());
        let (ticks, render) = eval_pass();
        eval_ticks = eval_ticks.min(ticks);
        render_in_pass = render_in_pass.min(render);
    }
    let n = args.events.max(1) as f64;
    let per_event = ((eval_ticks as f64 / n - clock.overhead_ticks) * clock.ns_per_tick).max(0.0);
    // The counter's own cost is paid once per rendering call (on the events with matches).
    let (render_ticks, renders) = render_in_pass;
    let render_ns = ((render_ticks as f64 - renders as f64 * clock.overhead_ticks) * clock.ns_per_tick / n).max(0.0);
    let total_ns = state_ns + (per_event * n) as u64;
    Ok(Measurement {
        kind,
        events: args.events,
        rules,
        state_ns,
        total_ns,
        eval_ns_per_event: per_event,
        render_ns_per_event: render_ns,
        events_per_sec: if per_event > 0.0 { 1e9 / per_event } else { 0.0 },
        alerts: alerts_in_pass,
        peak_rss_kib: peak_rss_kib(),
        build_ms,
        compared: false,
    })
}

/// The process's peak resident set (VmHWM), KiB; 0 where /proc is unavailable.
pub(super) fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// A cheap cycle counter (the x86 time-stamp counter; elsewhere a monotonic clock in ns) with
/// its rate and its own cost measured once.
pub(super) struct Clock {
    pub(super) ns_per_tick: f64,
    /// The cost of one `now()` pair, in ticks, subtracted from every timed call.
    pub(super) overhead_ticks: f64,
    origin: Instant,
}

impl Clock {
    pub(super) fn calibrate() -> Clock {
        let mut clock = Clock { ns_per_tick: 1.0, overhead_ticks: 0.0, origin: Instant::now() };
        let (t0, i0) = (clock.now(), Instant::now());
        while i0.elapsed().as_millis() < 50 {
            std::hint::spin_loop();
        }
        let (t1, ns) = (clock.now(), i0.elapsed().as_nanos() as f64);
        clock.ns_per_tick = ns / (t1.wrapping_sub(t0).max(1)) as f64;
        // The cheapest of many empty pairs is the counter's own cost.
        clock.overhead_ticks = (0..20_000)
            .map(|_| {
                let a = clock.now();
                clock.now().wrapping_sub(a)
            })
            .min()
            .unwrap_or(0) as f64;
        clock
    }

    #[inline(always)]
    pub(super) fn now(&self) -> u64 {
        #[cfg(target_arch = "x86_64")]
        {
            let _ = self.origin;
            // RDTSC alone is not ordered: the CPU may read the counter before the work in front
            // of it has finished (the state machine's update, before an evaluation) or before
            // the timed work has, so that cost would leak into or out of the figure. LFENCE on
            // both sides waits for earlier instructions to finish and keeps later ones waiting.
            // SAFETY: LFENCE and RDTSC have no memory effects and exist on every x86_64 CPU.
            unsafe {
                core::arch::x86_64::_mm_lfence();
                let t = core::arch::x86_64::_rdtsc();
                core::arch::x86_64::_mm_lfence();
                t
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            self.origin.elapsed().as_nanos() as u64
        }
    }
}
