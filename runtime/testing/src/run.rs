//! The runner core: a parsed test file with its rules checked and lowered ([`Suite`]), and one
//! case run ([`Suite::run_case`]) through the same state machine ([`State::apply`]) and
//! [`Engine`] as live capture, on either backend. The result says which expected alerts came,
//! which did not (with a trace of the rule's condition on the events it was tested on, see
//! [`super::trace`]), which came different, and which came unexpected.
//!
//! Cases share nothing mutable: each builds its own world, engine and slot cache, so a caller
//! may run them on several threads (the CLI does) and get the same results in any order.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rulec_compiler::check::{CheckResult, EventTypes};
use rulec_compiler::ir::Program;
use rulec_compiler::items::Priority;
use rulec_compiler::{Code, Diagnostic, Location, SourceFile};

use super::model::{Case, Expect, Input, TestFile};
use super::trace::{self, TraceNode};
use super::world;
use rulec_runtime::capture;
use rulec_runtime::engine::{Alert, Backend, Engine, MatchMode};
use rulec_runtime::eval::{Compiled, EvalCtx, SlotCache};
use rulec_runtime::event::Event;
use rulec_runtime::state::{Limits, State};

/// The most events traced for one missing alert.
pub const MAX_TRACES: usize = 3;

/// A test file ready to run: its rules loaded, checked and lowered once for every case.
#[derive(Debug)]
pub struct Suite {
    pub file: TestFile,
    /// The rules files, in load order.
    pub sources: Vec<SourceFile>,
    pub check: CheckResult,
    /// The directory captures are relative to.
    pub base_dir: PathBuf,
    program: Program,
    /// Lowered but not optimised: the tracer shows the condition's own shape.
    trace_program: Program,
}

/// How a case ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Status {
    Pass,
    Fail,
    /// Not run (`skip: reason`).
    Skip(String),
    /// Could not run (an unreadable capture).
    Error(String),
}

/// An alert with the number (1-based) of the event that raised it.
#[derive(Clone, Debug)]
pub struct ActualAlert {
    pub alert: Alert,
    pub event: usize,
}

/// An expected alert that did not come, and why.
#[derive(Clone, Debug)]
pub struct Missing {
    /// Index into the case's `expect`.
    pub expect: usize,
    /// What stands out (the rule is disabled, no event of its types, another rule won...).
    pub notes: Vec<String>,
    /// The rule's condition on the events it was tested on.
    pub traces: Vec<EventTrace>,
}

/// A rule's condition traced on one event.
#[derive(Clone, Debug)]
pub struct EventTrace {
    /// 1-based event number.
    pub event: usize,
    /// `execve pid=200 exe=/bin/sh ...`.
    pub summary: String,
    pub tree: TraceNode,
}

/// An expected alert matched by rule (and event) whose details differ.
#[derive(Clone, Debug)]
pub struct Mismatch {
    pub expect: usize,
    /// Index into the actual alerts.
    pub actual: usize,
    pub problems: Vec<String>,
}

/// The result of one case on one backend.
#[derive(Clone, Debug)]
pub struct CaseResult {
    pub status: Status,
    pub alerts: Vec<ActualAlert>,
    pub missing: Vec<Missing>,
    pub mismatched: Vec<Mismatch>,
    /// Indices into `alerts` that no expectation accounts for (and the case does not allow).
    pub unexpected: Vec<usize>,
    pub events: usize,
    pub duration: Duration,
    /// The backend that actually ran (the interpreter when the JIT could not compile).
    pub backend: Backend,
    pub jit_error: Option<String>,
}

impl Suite {
    /// Checks `rules` (ids as given) for `file`, and checks that every rule the cases name
    /// exists. Errors in the rules are returned with one [`Code::TestRulesFile`] pointing at the
    /// test file's `rules` (or at `test_loc`, the test file, when it does not name them).
    pub fn new(
        file: TestFile,
        sources: Vec<SourceFile>,
        base_dir: PathBuf,
        test_loc: Location,
    ) -> Result<Suite, Vec<Diagnostic>> {
        let check = rulec_compiler::check::check(&sources);
        let mut diags: Vec<Diagnostic> = Vec::new();
        if check.has_errors() {
            let at = file.rules.first().map_or(test_loc, |(_, l)| *l);
            diags.push(Diagnostic::new(
                Code::TestRulesFile,
                at,
                "the rules under test have errors; fix them first (`rulec check`)",
            ));
            diags.extend(check.diagnostics.iter().filter(|d| d.is_error()).cloned());
            return Err(diags);
        }
        let names: Vec<&str> = check.ruleset.loaded.rules.iter().map(|r| r.name.as_str()).collect();
        let mut unknown = |name: &str, at: Location, what: &str| {
            if !names.contains(&name) {
                let mut d = Diagnostic::new(
                    Code::UnknownTestRule,
                    at,
                    format!("{what} `{name}`, which the rules do not define"),
                );
                if let Some(s) = closest_name(name, &names) {
                    d = d.with_hint(format!("did you mean `{s}`?"));
                }
                diags.push(d);
            }
        };
        for case in &file.cases {
            for e in &case.expect {
                unknown(&e.rule, e.rule_loc, "expects rule");
            }
            for (n, l) in case.enable.iter().chain(&case.disable) {
                unknown(n, *l, "switches rule");
            }
            for (n, l) in &case.about {
                unknown(n, *l, "is about rule");
            }
        }
        if !diags.is_empty() {
            return Err(diags);
        }
        // The checker's optimised program runs the cases; the condition tracer reads the rules
        // as written, unoptimised.
        let trace_program = rulec_compiler::lower::lower(&check);
        let program = rulec_compiler::compile(&check);
        Ok(Suite { file, sources, check, base_dir, program, trace_program })
    }

    /// Runs case `index` on `backend`.
    pub fn run_case(&self, index: usize, backend: Backend) -> CaseResult {
        let started = Instant::now();
        let mut result = CaseResult {
            status: Status::Pass,
            alerts: Vec::new(),
            missing: Vec::new(),
            mismatched: Vec::new(),
            unexpected: Vec::new(),
            events: 0,
            duration: Duration::ZERO,
            backend,
            jit_error: None,
        };
        let Some(case) = self.file.cases.get(index) else {
            result.status = Status::Error(format!("no case {index}"));
            return result;
        };
        if let Some(reason) = &case.skip {
            result.status = Status::Skip(reason.clone());
            return result;
        }
        let mut engine = Engine::new(self.program.clone(), backend);
        engine.set_mode(self.file.match_mode);
        for (n, _) in &case.enable {
            engine.set_enabled(n, true);
        }
        for (n, _) in &case.disable {
            engine.set_enabled(n, false);
        }
        result.backend = engine.backend();
        result.jit_error = engine.jit_error().map(str::to_owned);
        let mut alerts = Vec::new();
        let mut out = Vec::new();
        let run = self.for_each_event(case, &mut |ev, state, n| {
            out.clear();
            engine.process(ev, state, &mut out);
            alerts.extend(out.drain(..).map(|alert| ActualAlert { alert, event: n }));
        });
        match run {
            Ok(n) => result.events = n,
            Err(e) => {
                result.status = Status::Error(e);
                result.duration = started.elapsed();
                return result;
            }
        }
        result.alerts = alerts;
        compare(case, &mut result);
        if !result.missing.is_empty() {
            self.explain_missing(case, &mut result);
        }
        if !(result.missing.is_empty() && result.mismatched.is_empty() && result.unexpected.is_empty()) {
            result.status = Status::Fail;
        }
        result.duration = started.elapsed();
        result
    }

    /// Feeds the case's events through a fresh state, calling `f` with each event, the state
    /// rules see for it, and its 1-based number; returns the number of events.
    fn for_each_event(&self, case: &Case, f: &mut dyn FnMut(&Event, &State, usize)) -> Result<usize, String> {
        match &case.input {
            Input::Events { world, events } => {
                let mut state = world::build_world(world);
                let default_tid = world.processes.last().map_or(super::model::DEFAULT_PID, |p| p.pid);
                for (i, spec) in events.iter().enumerate() {
                    let tid = spec.tid.unwrap_or(default_tid);
                    let ev = world::build_event(spec, tid, &state);
                    state.apply(&ev);
                    f(&ev, &state, i + 1);
                }
                Ok(events.len())
            }
            Input::Capture { path, .. } => {
                let full = self.capture_path(path);
                // A `.scap` or a rulec capture (`rulec_runtime::capture`), told apart by content.
                let mut replay = capture::open_replay(&full, Limits::default())
                    .map_err(|e| format!("cannot read capture {}: {e}", full.display()))?;
                let mut n = 0;
                while let Some(ev) = replay.next() {
                    let ev = ev.map_err(|e| format!("capture {}: {e}", full.display()))?;
                    n += 1;
                    f(&ev, replay.state(), n);
                }
                Ok(n)
            }
        }
    }

    /// Where a capture named in a case is.
    pub fn capture_path(&self, written: &str) -> PathBuf {
        let p = Path::new(written);
        if p.is_absolute() { p.to_path_buf() } else { self.base_dir.join(p) }
    }

    /// Notes and traces for each missing alert.
    fn explain_missing(&self, case: &Case, result: &mut CaseResult) {
        let compiled = Compiled::new(&self.trace_program);
        let mut cache = SlotCache::new();
        for m in &mut result.missing {
            let Some(e) = case.expect.get(m.expect) else { continue };
            let Some(rule) = self.trace_program.rules.iter().find(|r| r.name == e.rule) else {
                m.notes.push(
                    "the rule cannot run (its condition or output has errors, or its source is not syscall)".into(),
                );
                continue;
            };
            let enabled_here = (rule.enabled || case.enable.iter().any(|(n, _)| *n == e.rule))
                && !case.disable.iter().any(|(n, _)| *n == e.rule);
            if !enabled_here {
                m.notes.push(format!("the rule is disabled; add `enable: [{}]` to the case to test it", e.rule));
            }
            let types = rule.event_types.clone();
            let root = rule.root;
            let mut traces = Vec::new();
            let mut candidates = 0usize;
            let mut matched_at = Vec::new();
            let _ = self.for_each_event(case, &mut |ev, state, n| {
                let relevant = match &types {
                    EventTypes::All => true,
                    EventTypes::Some(names) => names.contains(ev.name),
                };
                if !relevant || e.event.is_some_and(|want| want != n) {
                    return;
                }
                candidates += 1;
                let mut ctx = EvalCtx::new(&compiled, &mut cache, ev, state);
                let tree = trace::trace(&mut ctx, root, &self.sources);
                if tree.value {
                    matched_at.push(n);
                }
                if traces.len() < MAX_TRACES {
                    traces.push(EventTrace { event: n, summary: summarize(ev), tree });
                }
            });
            if candidates == 0 {
                let want = match &types {
                    EventTypes::All => "any".to_owned(),
                    EventTypes::Some(names) => names.iter().cloned().collect::<Vec<_>>().join(", "),
                };
                let which = match e.event {
                    Some(n) => format!("event {n} is not one of the rule's event types ({want})"),
                    None => format!("no event of the rule's event types ({want}) in the case"),
                };
                m.notes.push(which);
            } else if candidates > traces.len() {
                m.notes.push(format!("{} more events of its types not shown", candidates - traces.len()));
            }
            for n in matched_at {
                let others: Vec<&str> =
                    result.alerts.iter().filter(|a| a.event == n).map(|a| a.alert.rule.as_str()).collect();
                if enabled_here && self.file.match_mode == MatchMode::First && !others.is_empty() {
                    m.notes.push(format!(
                        "the condition holds on event {n}, but with `match: first` an earlier rule alerted instead: {}",
                        others.join(", ")
                    ));
                } else if enabled_here {
                    m.notes.push(format!("the condition holds on event {n}"));
                }
            }
            m.traces = traces;
        }
    }
}

/// Pairs expectations with alerts (see the module doc of [`super`]).
fn compare(case: &Case, result: &mut CaseResult) {
    let mut used = vec![false; result.alerts.len()];
    for (ei, e) in case.expect.iter().enumerate() {
        let candidates: Vec<usize> = (0..result.alerts.len())
            .filter(|&i| {
                !used[i] && result.alerts[i].alert.rule == e.rule && e.event.is_none_or(|n| n == result.alerts[i].event)
            })
            .collect();
        if let Some(&i) = candidates.iter().find(|&&i| problems(e, &result.alerts[i]).is_empty()) {
            used[i] = true;
        } else if let Some(&i) = candidates.first() {
            used[i] = true;
            result.mismatched.push(Mismatch { expect: ei, actual: i, problems: problems(e, &result.alerts[i]) });
        } else {
            result.missing.push(Missing { expect: ei, notes: Vec::new(), traces: Vec::new() });
        }
    }
    if !case.allow_other_alerts {
        result.unexpected = (0..result.alerts.len()).filter(|&i| !used[i]).collect();
    }
}

/// How an alert differs from an expectation of its rule.
pub fn problems(e: &Expect, a: &ActualAlert) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(p) = e.priority
        && p != a.alert.priority
    {
        out.push(format!("priority: expected {}, got {}", upper(p), upper(a.alert.priority)));
    }
    if let Some(o) = &e.output
        && *o != a.alert.message
    {
        out.push(format!("output: expected {o:?}, got {:?}", a.alert.message));
    }
    for s in &e.output_contains {
        if !a.alert.message.contains(s.as_str()) {
            out.push(format!("output does not contain {s:?}: {:?}", a.alert.message));
        }
    }
    for (k, v) in &e.fields {
        match a.alert.output_fields.get(k) {
            None => out.push(format!(
                "field {k}: not in the rule's output (it has: {})",
                a.alert.output_fields.keys().cloned().collect::<Vec<_>>().join(", ")
            )),
            Some(got) if got != v => out.push(format!("field {k}: expected {v:?}, got {got:?}")),
            Some(_) => {}
        }
    }
    out
}

/// A priority as rules files usually write it (`NOTICE`).
pub fn upper(p: Priority) -> String {
    p.as_str().to_ascii_uppercase()
}

/// `execve tid=200 exe=/bin/sh args=-c.id. res=0` (the event's arguments as Falco renders them).
pub fn summarize(ev: &Event) -> String {
    let mut s = format!("{} {} tid={}", ev.dir.as_str(), ev.name, ev.tid);
    for p in &ev.params {
        if *p.value == rulec_runtime::event::ParamValue::Absent {
            continue;
        }
        let v = p.value.render(rulec_runtime::flags::flag_set_for(ev.name, p.name));
        if v.len() > 60 {
            continue;
        }
        s.push_str(&format!(" {}={}", p.name, v));
        if s.len() > 160 {
            s.push_str(" …");
            break;
        }
    }
    s
}

fn closest_name<'a>(name: &str, names: &[&'a str]) -> Option<&'a str> {
    let lower = name.to_ascii_lowercase();
    names.iter().copied().find(|n| n.to_ascii_lowercase() == lower).or_else(|| super::parse::closest(name, names))
}
