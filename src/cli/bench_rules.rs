//! `rulec bench --rules R --per-rule`: where a ruleset's evaluation time goes on the generated
//! stream, rule by rule and event type by event type, on both backends.
//!
//! Each backend runs in a child process (`--per-rule --child interp|jit`). The child builds the
//! engine, lets it settle with one untimed pass of the whole ruleset (so the evaluation order
//! and shared passes are those of a real run), times the whole ruleset per event as
//! `rulec bench` does, then evaluates every enabled rule on every event of its event types on
//! its own (`Engine::eval_rule`, a fresh event context each time) and times each call. A rule's
//! figure is therefore its cost alone, field extraction included: in a real run rules that read
//! the same fields on one event share that work, so the rules' figures add up to more than the
//! whole ruleset's (the report prints both). This module does not change how the engine
//! evaluates anything; it only calls it.

use std::collections::HashMap;
use std::process::Command as Process;

use rulec_bench::Generator;
use rulec_compiler::ir::EventTypes;
use rulec_runtime::Event;
use rulec_runtime::engine::{Alert, Backend, Engine};
use serde::{Deserialize, Serialize};

use super::bench::{BenchArgs, Clock, Format, Kind, fail, load, run_child};
use super::{EXIT_OK, print_stdout};

/// One rule's cost alone on the stream.
#[derive(Debug, Serialize, Deserialize)]
pub struct RuleCost {
    pub name: String,
    /// Events of the rule's event types (each one evaluation).
    pub evaluations: u64,
    /// Evaluations that matched.
    pub matches: u64,
    /// Its evaluations' time over the whole stream, per event of the stream, ns.
    pub ns_per_event: f64,
}

/// One event type's share of the stream and of the rules' time.
#[derive(Debug, Serialize, Deserialize)]
pub struct TypeCost {
    pub name: String,
    pub events: u64,
    /// Enabled rules indexed under this type (rules for every type included).
    pub rules: usize,
    /// The time of the rules' evaluations on events of this type, per event of the stream, ns.
    pub ns_per_event: f64,
}

/// What one per-rule child measured.
#[derive(Debug, Serialize, Deserialize)]
pub struct RuleCosts {
    pub kind: Kind,
    pub events: usize,
    /// The whole ruleset per event, evaluated by `Engine::process` as `rulec bench` does, ns.
    pub whole_ns_per_event: f64,
    /// Every enabled rule, costliest first.
    pub rules: Vec<RuleCost>,
    /// Every event type of the stream, costliest first.
    pub types: Vec<TypeCost>,
}

pub fn run(args: &BenchArgs) -> i32 {
    match args.child {
        Some(kind @ (Kind::Interp | Kind::Jit)) => match measure(args, kind) {
            Ok(m) => match serde_json::to_string(&m) {
                Ok(json) => print_stdout(&format!("{json}\n")).err().unwrap_or(EXIT_OK),
                Err(e) => fail(&format!("cannot encode the measurement: {e}")),
            },
            Err(msg) => fail(&msg),
        },
        Some(_) => fail("--per-rule measures the interpreter or the JIT on the whole ruleset"),
        None => parent(args),
    }
}

fn parent(args: &BenchArgs) -> i32 {
    let exe = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => return fail(&format!("cannot find the rulec executable: {e}")),
    };
    if let Err(msg) = load(&args.rules) {
        return fail(&msg);
    }
    let mut results = Vec::new();
    for kind in [Kind::Interp, Kind::Jit] {
        let mut cmd = Process::new(&exe);
        cmd.args(["bench", "--per-rule"]);
        for r in &args.rules {
            cmd.arg("--rules").arg(r);
        }
        cmd.args(["--events", &args.events.to_string(), "--seed", &args.seed.to_string()]);
        match run_child::<RuleCosts>(cmd, args, kind) {
            Ok(m) => results.push(m),
            Err(code) => return code,
        }
    }
    let text = match args.format {
        Format::Json => serde_json::to_string_pretty(&results).unwrap_or_default() + "\n",
        Format::Text => render(args, &results),
    };
    print_stdout(&text).err().unwrap_or(EXIT_OK)
}

fn render(args: &BenchArgs, results: &[RuleCosts]) -> String {
    let names = args.rules.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ");
    let mut out = format!(
        "rulec bench --per-rule: {} generated events (seed {}), fastest of {} passes, rules: {names}\n\
         Each rule alone, field extraction included (rules share it in a real run, so the rules add\n\
         up to more than the whole ruleset).\n",
        args.events, args.seed, args.repeat
    );
    for m in results {
        let sum: f64 = m.rules.iter().map(|r| r.ns_per_event).sum();
        out.push_str(&format!(
            "\n{}: whole ruleset {:.1} ns/event; rules alone add up to {:.1} ns/event\n",
            m.kind.label(),
            m.whole_ns_per_event,
            sum
        ));
        let shown = m.rules.len().min(args.top);
        out.push_str(&format!("costliest {shown} of {} enabled rules:\n", m.rules.len()));
        let w = m.rules.iter().take(shown).map(|r| r.name.len()).max().unwrap_or(0).max(4);
        out.push_str(&format!(
            "{:<w$} {:>9} {:>7} {:>12} {:>8} {:>8}\n",
            "rule", "ns/event", "share", "evaluations", "matches", "ns/eval"
        ));
        for r in m.rules.iter().take(shown) {
            out.push_str(&format!(
                "{:<w$} {:>9.2} {:>6.1}% {:>12} {:>8} {:>8.1}\n",
                r.name,
                r.ns_per_event,
                100.0 * r.ns_per_event / sum.max(1e-9),
                r.evaluations,
                r.matches,
                r.ns_per_event * m.events as f64 / r.evaluations.max(1) as f64
            ));
        }
        out.push_str("by event type (types no rule sees cost nothing and are left out):\n");
        out.push_str(&format!("{:<16} {:>9} {:>7} {:>9} {:>6}\n", "event", "events", "share", "ns/event", "rules"));
        for t in m.types.iter().filter(|t| t.rules > 0) {
            out.push_str(&format!(
                "{:<16} {:>9} {:>6.1}% {:>9.2} {:>6}\n",
                t.name,
                t.events,
                100.0 * t.events as f64 / m.events.max(1) as f64,
                t.ns_per_event,
                t.rules
            ));
        }
    }
    out
}

/// The per-rule measurement, in this (child) process.
fn measure(args: &BenchArgs, kind: Kind) -> Result<RuleCosts, String> {
    let result = load(&args.rules)?;
    let mut generator = Generator::new(args.seed);
    let initial = generator.state();
    let events: Vec<Event> = (0..args.events).map(|_| generator.next_event()).collect();
    let backend = if kind == Kind::Jit { Backend::Jit } else { Backend::Interp };
    let mut engine = Engine::new(rulec_compiler::compile(&result), backend);
    if let Some(err) = engine.jit_error() {
        return Err(format!("the JIT could not compile the rules: {err}"));
    }
    let program = engine.program();
    let rules: Vec<usize> = (0..program.rules.len()).filter(|&i| program.rules[i].enabled).collect();
    let types: Vec<EventTypes> = program.rules.iter().map(|r| r.event_types.clone()).collect();
    let rule_names: Vec<String> = program.rules.iter().map(|r| r.name.clone()).collect();
    // The rules each event name is evaluated on, as the engine indexes them.
    let mut by_name: HashMap<&'static str, Vec<usize>> = HashMap::new();
    for ev in &events {
        by_name.entry(ev.name).or_insert_with(|| {
            rules
                .iter()
                .copied()
                .filter(|&r| match &types[r] {
                    EventTypes::All => true,
                    EventTypes::Some(names) => names.contains(ev.name),
                })
                .collect()
        });
    }

    let clock = Clock::calibrate();
    let n = events.len().max(1) as f64;
    let per_event = |ticks: u64, calls: u64| -> f64 {
        ((ticks as f64 - calls as f64 * clock.overhead_ticks) * clock.ns_per_tick / n).max(0.0)
    };
    // The whole ruleset: one untimed pass first (the engine settles its order; `Engine::new`
    // recompiles for it on this thread, not in the background), then the fastest of `repeat`
    // passes, each call timed as `rulec bench` times it.
    let whole = |engine: &mut Engine| -> u64 {
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
        ticks
    };
    whole(&mut engine);
    let repeat = args.repeat.max(1);
    let whole_ticks = (0..repeat).map(|_| whole(&mut engine)).min().unwrap_or(0);

    // Each rule alone: per rule, the fastest of `repeat` passes of its time.
    let slots = rule_names.len();
    // Each (rule, event type) pair: the fastest of `repeat` passes of its time, and (from the
    // first pass) its evaluations and matches. A rule's figure and an event type's are sums of
    // these pairs, so the two tables add up to the same total.
    type Pair = (usize, &'static str);
    let mut best: HashMap<Pair, u64> = HashMap::new();
    let mut evaluations: HashMap<Pair, u64> = HashMap::new();
    let mut matches = vec![0u64; slots];
    for pass in 0..repeat {
        let mut state = initial.clone();
        let mut ticks: HashMap<Pair, u64> = HashMap::new();
        for ev in &events {
            state.apply(ev);
            if ev.state_only() {
                continue;
            }
            let Some(candidates) = by_name.get(ev.name) else { continue };
            for &r in candidates {
                let t0 = clock.now();
                let matched = engine.eval_rule(r, ev, &state);
                let t = clock.now().wrapping_sub(t0);
                *ticks.entry((r, ev.name)).or_default() += t;
                if pass == 0 {
                    *evaluations.entry((r, ev.name)).or_default() += 1;
                    matches[r] += u64::from(matched);
                }
            }
        }
        for (pair, t) in ticks {
            let b = best.entry(pair).or_insert(u64::MAX);
            *b = (*b).min(t);
        }
    }
    // Per rule and per event type: (ticks, evaluations).
    let mut per_rule = vec![(0u64, 0u64); slots];
    let mut per_type: HashMap<&'static str, (u64, u64)> = HashMap::new();
    for (&(r, name), &t) in &best {
        let n = evaluations.get(&(r, name)).copied().unwrap_or(0);
        per_rule[r].0 += t;
        per_rule[r].1 += n;
        let e = per_type.entry(name).or_default();
        e.0 += t;
        e.1 += n;
    }

    let mut rule_costs: Vec<RuleCost> = rules
        .iter()
        .map(|&r| RuleCost {
            name: rule_names[r].clone(),
            evaluations: per_rule[r].1,
            matches: matches[r],
            ns_per_event: per_event(per_rule[r].0, per_rule[r].1),
        })
        .collect();
    rule_costs.sort_by(|a, b| b.ns_per_event.total_cmp(&a.ns_per_event).then_with(|| a.name.cmp(&b.name)));
    let mut counts: HashMap<&'static str, u64> = HashMap::new();
    for ev in events.iter().filter(|e| !e.state_only()) {
        *counts.entry(ev.name).or_default() += 1;
    }
    let mut type_costs: Vec<TypeCost> = counts
        .iter()
        .map(|(&name, &count)| {
            let (ticks, calls) = per_type.get(name).copied().unwrap_or((0, 0));
            TypeCost {
                name: name.to_owned(),
                events: count,
                rules: by_name.get(name).map_or(0, Vec::len),
                ns_per_event: per_event(ticks, calls),
            }
        })
        .collect();
    type_costs.sort_by(|a, b| {
        b.ns_per_event
            .total_cmp(&a.ns_per_event)
            .then_with(|| b.events.cmp(&a.events))
            .then_with(|| a.name.cmp(&b.name))
    });
    Ok(RuleCosts {
        kind,
        events: events.len(),
        whole_ns_per_event: per_event(whole_ticks, events.len() as u64),
        rules: rule_costs,
        types: type_costs,
    })
}
