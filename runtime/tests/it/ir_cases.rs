//! IR case files, as Cranelift's filetests: every `runtime/tests/ir_cases/*.ir` holds a program in
//! the IR's text form and, in `;` comment lines before it, events with the rules each must
//! match. One test runs every case on the interpreter and on the JIT, on the program as written
//! and on its optimised form (`optimize` then `exclusions_last`), and the verifier runs on every
//! parsed and optimised program.
//!
//! Header lines (other `;` lines are comments):
//!
//! ```text
//! ; event: open proc.name="bash" proc.pid=42 fd.types=["file", "pipe"]
//! ; match: r0, r2          (or `none`)
//! ; optimised: c0 = s0 in ("a", "b")
//! ```
//!
//! * `event:` an event name (its `evt.type`) and field values, `field=constant` in the IR's
//!   constant syntax (`"text"`, `-3`, `80u`, `1.5`, `true`, `hex:00ff`, `10.0.0.1`) or a list of
//!   strings in brackets; a field not given is absent. Values are read by field name through the
//!   test field source (`common::fake_extract`), with an argument as written: `proc.aname[2]=...`.
//! * `match:` the rules (`rN`) that hold on the event before it, whatever their event types or
//!   enabled flag; every other rule must not hold.
//! * `optimised:` a line that the optimised program's text must contain (for cases about a
//!   rewrite).

use crate::common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use common::fake_extract;
use rulec_compiler::ir::opt::{exclusions_last, optimize};
use rulec_compiler::ir::parse::{constant, parse};
use rulec_compiler::ir::verify::verify;
use rulec_compiler::ir::{Const, Op, Program, StrOp, Test};
use rulec_compiler::schema::OPERATORS;
use rulec_runtime::engine::{Backend, Engine};
use rulec_runtime::{Direction, Event, Param, ParamType, ParamValue, State};

/// One event of a case and the rules that must match it.
struct Step {
    line: usize,
    event: Event,
    want: Vec<usize>,
}

struct Case {
    steps: Vec<Step>,
    optimised: Vec<String>,
    program: Program,
}

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ir_cases")
}

/// Names of events and fields live as long as the test (events hold `&'static str`).
fn leak(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}

fn value(text: &str, at: &str) -> Result<(ParamValue, usize), String> {
    if let Some(rest) = text.strip_prefix('[') {
        let mut items = Vec::new();
        let mut used = 1;
        let mut rest = rest;
        loop {
            let trimmed = rest.trim_start();
            used += rest.len() - trimmed.len();
            rest = trimmed;
            if let Some(r) = rest.strip_prefix(']') {
                let _ = r;
                return Ok((ParamValue::StrArray(items), used + 1));
            }
            let (k, n) = constant(rest).map_err(|e| format!("{at}: list item: {e}"))?;
            let Const::Str(s) = k else { return Err(format!("{at}: lists hold strings")) };
            items.push(s);
            used += n;
            rest = &rest[n..];
            let trimmed = rest.trim_start();
            used += rest.len() - trimmed.len();
            rest = trimmed;
            if let Some(r) = rest.strip_prefix(',') {
                used += 1;
                rest = r;
            }
        }
    }
    let (k, n) = constant(text).map_err(|e| format!("{at}: {e}"))?;
    let v = match k {
        Const::Int(i) => ParamValue::I64(i),
        Const::Uint(u) => ParamValue::U64(u),
        Const::Double(d) => ParamValue::Double(d),
        Const::Bool(b) => ParamValue::Bool(b),
        Const::Str(s) => ParamValue::Str(s),
        Const::Bytes(b) => ParamValue::Bytes(b),
        Const::Net { addr: std::net::IpAddr::V4(a), .. } => ParamValue::Ipv4(a),
        Const::Net { addr: std::net::IpAddr::V6(a), .. } => ParamValue::Ipv6(a),
    };
    Ok((v, n))
}

/// `open proc.name="bash" proc.pid=42`.
fn event(text: &str, at: &str) -> Result<Event, String> {
    let text = text.trim();
    let (name, mut rest) = text.split_once(' ').unwrap_or((text, ""));
    let mut params = Vec::new();
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        let Some((field, after)) = rest.split_once('=') else {
            return Err(format!("{at}: expected `field=value` at `{rest}`"));
        };
        let (v, n) = value(after, at)?;
        params.push(Param { name: leak(field.trim()), ty: ParamType::None, value: v });
        rest = &after[n..];
    }
    Ok(Event {
        ts: 1_700_000_000_000_000_000,
        tid: 1,
        cpu: 0,
        type_id: 0,
        dir: Direction::Exit,
        name: leak(name),
        params: params.into(),
        dump_flags: 0,
    })
}

fn rules_list(text: &str, at: &str) -> Result<Vec<usize>, String> {
    let text = text.trim();
    if text == "none" {
        return Ok(Vec::new());
    }
    text.split(',')
        .map(|r| r.trim().strip_prefix('r').and_then(|n| n.parse().ok()).ok_or_else(|| format!("{at}: bad rule `{r}`")))
        .collect()
}

fn load(path: &Path) -> Result<Case, String> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{name}: {e}"))?;
    let program = parse(&text).map_err(|e| format!("{name}:{e}"))?;
    let mut steps: Vec<Step> = Vec::new();
    let mut pending: Option<(usize, Event)> = None;
    let mut optimised = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let at = format!("{name}:{}", i + 1);
        let Some(comment) = line.trim().strip_prefix(';') else { continue };
        let comment = comment.trim();
        if let Some(e) = comment.strip_prefix("event:") {
            if pending.is_some() {
                return Err(format!("{at}: the event before has no `; match:` line"));
            }
            pending = Some((i + 1, event(e, &at)?));
        } else if let Some(m) = comment.strip_prefix("match:") {
            let Some((line, event)) = pending.take() else {
                return Err(format!("{at}: `; match:` without an event before it"));
            };
            steps.push(Step { line, event, want: rules_list(m, &at)? });
        } else if let Some(o) = comment.strip_prefix("optimised:") {
            optimised.push(o.trim().to_owned());
        }
    }
    if pending.is_some() {
        return Err(format!("{name}: the last event has no `; match:` line"));
    }
    if steps.is_empty() {
        return Err(format!("{name}: no events"));
    }
    Ok(Case { steps, optimised, program })
}

fn run(name: &str, case: &Case) -> Result<(), String> {
    verify(&case.program).map_err(|e| format!("{name}: the program does not verify:\n{}", e.join("\n")))?;
    let mut opt = case.program.clone();
    optimize(&mut opt);
    exclusions_last(&mut opt);
    verify(&opt).map_err(|e| format!("{name}: the optimised program does not verify:\n{}\n{opt}", e.join("\n")))?;
    let opt_text = opt.to_string();
    for want in &case.optimised {
        if !opt_text.lines().any(|l| l.trim() == want) {
            return Err(format!("{name}: the optimised program has no line `{want}`:\n{opt_text}"));
        }
    }
    let state = State::new();
    for (variant, program) in [("as written", &case.program), ("optimised", &opt)] {
        for backend in [Backend::Interp, Backend::Jit] {
            let mut engine = Engine::with_extractor(program.clone(), backend, fake_extract);
            if engine.backend() != backend {
                return Err(format!("{name}: {variant}: the JIT failed: {:?}", engine.jit_error()));
            }
            for step in &case.steps {
                let got: Vec<usize> =
                    (0..program.rules.len()).filter(|&r| engine.eval_rule(r, &step.event, &state)).collect();
                if got != step.want {
                    return Err(format!(
                        "{name}:{}: {variant} on {backend:?}: matched {got:?}, expected {:?}",
                        step.line, step.want
                    ));
                }
            }
            if engine.panics() != 0 {
                return Err(format!("{name}: {variant} on {backend:?}: a check panicked"));
            }
        }
    }
    Ok(())
}

/// Every case file, in name order.
fn case_paths() -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .expect("runtime/tests/ir_cases exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "ir"))
        .collect();
    paths.sort();
    paths
}

#[test]
fn ir_cases_on_both_backends() {
    let paths = case_paths();
    assert!(paths.len() >= 15, "expected at least 15 cases, found {}", paths.len());
    let mut failures = Vec::new();
    for path in &paths {
        let name = path.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        if let Err(e) = load(path).and_then(|case| run(&name, &case)) {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n\n{}", failures.len(), paths.len(), failures.join("\n\n"));
    eprintln!("{} IR cases passed on the interpreter and the JIT", paths.len());
}

/// Every operator of the schema's operator table is evaluated by some case (so on both backends,
/// as written and optimised), and every string operator also with a modifier (the set form of
/// its matcher): adding an operator adds a case, or this fails.
#[test]
fn every_operator_of_the_table_has_a_case() {
    let mut used = HashSet::new();
    let mut with_modifier = HashSet::new();
    for path in case_paths() {
        let case = load(&path).unwrap_or_else(|e| panic!("{e}"));
        for check in &case.program.checks {
            used.insert(check.test.op());
            if let Test::StrMulti { op, .. } = &check.test {
                with_modifier.insert(*op);
            }
        }
    }
    let missing: Vec<&str> = OPERATORS.iter().map(|d| d.op).filter(|op| !used.contains(op)).map(Op::as_str).collect();
    assert!(missing.is_empty(), "operators without an IR case in runtime/tests/ir_cases/: {missing:?}");
    let missing: Vec<&str> =
        StrOp::ALL.into_iter().filter(|op| !with_modifier.contains(op)).map(StrOp::as_str).collect();
    assert!(missing.is_empty(), "string operators without a case using a modifier: {missing:?}");
}
