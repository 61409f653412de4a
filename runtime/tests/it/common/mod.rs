//! Shared helpers for the evaluation tests: rules text → programs, events whose field values
//! are given directly (a fake field source), and `check_both`, which runs a ruleset on events
//! through every engine configuration (interpreter and JIT, optimised and not) and insists they
//! all agree.

#![allow(dead_code)]

use rulec_compiler::check::hir::FieldArgValue;
use rulec_compiler::check::{CheckResult, check};
use rulec_compiler::ir::opt::{exclusions_last, optimize};
use rulec_compiler::ir::{Program, verify::verify};
use rulec_compiler::lower::lower;
use rulec_compiler::schema::FieldInfo;
use rulec_compiler::{FileId, SourceFile};
use rulec_runtime::engine::{Alert, Backend, Engine, MatchMode};
use rulec_runtime::eval::ExtractFn;
use rulec_runtime::{Direction, Event, Param, ParamType, ParamValue, State, Value};

/// The upstream `falco_rules.yaml` as a source file (`None` when ../shared is not beside the
/// repository: the caller skips, or fails under `RULEC_REQUIRE_SHARED`).
pub fn upstream_files() -> Option<Vec<SourceFile>> {
    let path = rulec_test_support::shared("conformance/falco/falco_rules.yaml")?;
    let text = std::fs::read_to_string(&path).expect("the upstream rules file is readable");
    Some(vec![SourceFile::new(FileId(0), "falco_rules.yaml", text)])
}

/// The embedded stdlib's rules files.
pub fn stdlib_files() -> Vec<SourceFile> {
    rulec_stdlib::FILES.iter().enumerate().map(|(i, f)| SourceFile::new(FileId(i as u32), f.path, f.text)).collect()
}

/// Checks one rules file; panics with the diagnostics if it has errors.
pub fn checked(yaml: &str) -> CheckResult {
    let r = check(&[SourceFile::new(FileId(0), "test.yaml", yaml)]);
    assert!(
        !r.has_errors(),
        "rules have errors:\n{:#?}",
        r.diagnostics.iter().filter(|d| d.is_error()).collect::<Vec<_>>()
    );
    r
}

/// The lowered program and its optimised version, both verified.
pub fn programs(r: &CheckResult) -> (Program, Program) {
    let lowered = lower(r);
    if let Err(e) = verify(&lowered) {
        panic!("lowered program does not verify: {e:#?}\n{lowered}");
    }
    let mut opt = lowered.clone();
    optimize(&mut opt);
    if let Err(e) = verify(&opt) {
        panic!("optimised program does not verify: {e:#?}\n{opt}");
    }
    // Both run with exclusions last, as engines of `rulec_compiler::compile` do.
    let mut lowered = lowered;
    exclusions_last(&mut lowered);
    exclusions_last(&mut opt);
    (lowered, opt)
}

/// One rule per condition, named `c0`, `c1`...
pub fn rules_for(conds: &[&str]) -> String {
    let mut s = String::new();
    for (i, c) in conds.iter().enumerate() {
        s.push_str(&format!(
            "- rule: c{i}\n  desc: d\n  condition: >-\n    {c}\n  output: \"out %proc.name\"\n  priority: WARNING\n  warn_evttypes: false\n"
        ));
    }
    s
}

/// The fake field source: a field's value is the event parameter named like the field with its
/// argument (`proc.name`, `proc.aname[2]`, `evt.arg[flags]`); `evt.type` is the event's name.
pub fn fake_extract(field: &'static FieldInfo, arg: Option<&FieldArgValue>, ev: &Event, _: &State) -> Option<Value> {
    if field.name == "evt.type" {
        return Some(Value::Str(ev.name.to_owned()));
    }
    let key = match arg {
        None => field.name.to_owned(),
        Some(FieldArgValue::Index(i)) => format!("{}[{i}]", field.name),
        Some(FieldArgValue::Key(k)) => format!("{}[{k}]", field.name),
    };
    let p = ev.params.iter().find(|p| p.name == key)?;
    to_value(&p.value)
}

fn to_value(v: &ParamValue) -> Option<Value> {
    Some(match v {
        ParamValue::Absent => return None,
        ParamValue::Str(s) | ParamValue::Path(s) => Value::Str(s.clone()),
        ParamValue::I64(i) => Value::Int(*i),
        ParamValue::U64(u) => Value::Uint(*u),
        ParamValue::U32(u) => Value::Uint(u64::from(*u)),
        ParamValue::Port(p) => Value::Uint(u64::from(*p)),
        ParamValue::Bool(b) => Value::Bool(*b),
        ParamValue::Double(d) => Value::Double(*d),
        ParamValue::Ipv4(a) => Value::Ip((*a).into()),
        ParamValue::Ipv6(a) => Value::Ip((*a).into()),
        ParamValue::Bytes(b) => Value::Bytes(b.clone()),
        ParamValue::StrArray(xs) => Value::List(xs.iter().map(|x| Value::Str(x.clone())).collect()),
        _ => return None,
    })
}

/// Field values for the fake source.
pub fn s(v: &str) -> ParamValue {
    ParamValue::Str(v.to_owned())
}
pub fn int(v: i64) -> ParamValue {
    ParamValue::I64(v)
}
pub fn uint(v: u64) -> ParamValue {
    ParamValue::U64(v)
}
pub fn list(xs: &[&str]) -> ParamValue {
    ParamValue::StrArray(xs.iter().map(|x| (*x).to_owned()).collect())
}
pub fn ip(v: &str) -> ParamValue {
    match v.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(a)) => ParamValue::Ipv4(a),
        Ok(std::net::IpAddr::V6(a)) => ParamValue::Ipv6(a),
        Err(_) => panic!("bad ip {v}"),
    }
}

/// An event named `name` carrying field values for [`fake_extract`].
/// A command line as a record holds it: each argument followed by a NUL.
pub fn nul_joined(args: &[&str]) -> Vec<u8> {
    args.iter().flat_map(|a| a.bytes().chain([0])).collect()
}

pub fn fev(name: &'static str, fields: &[(&'static str, ParamValue)]) -> Event {
    Event {
        ts: 1_700_000_000_123_456_789,
        tid: 1,
        cpu: 0,
        type_id: 0,
        dir: Direction::Exit,
        name,
        params: fields.iter().map(|(n, v)| Param { name: n, ty: ParamType::None, value: v.clone() }).collect(),
        dump_flags: 0,
    }
}

/// Alerts of `yaml` on each event (each event with its state), through every engine
/// configuration: interpreter and JIT (a call per rule, and without profiling, so from the
/// first event, one batch call per event), lowered and optimised. Asserts they all agree and
/// returns the interpreter's alerts on the optimised program, per event.
pub fn check_both(
    yaml: &str,
    events: &[(Event, State)],
    mode: MatchMode,
    extract: Option<ExtractFn>,
) -> Vec<Vec<Alert>> {
    let r = checked(yaml);
    let (lowered, opt) = programs(&r);
    let mut reference: Option<Vec<Vec<Alert>>> = None;
    for (pname, program) in [("optimised", &opt), ("lowered", &lowered)] {
        for (backend, batched) in [(Backend::Interp, false), (Backend::Jit, false), (Backend::Jit, true)] {
            let mut engine = match extract {
                Some(f) => Engine::with_extractor(program.clone(), backend, f),
                None => Engine::new(program.clone(), backend),
            };
            engine.set_mode(mode);
            if batched {
                engine.set_adaptive_order(false);
                assert!(engine.batched(), "{pname}: no batch functions");
            }
            if backend == Backend::Jit {
                assert_eq!(engine.backend(), Backend::Jit, "JIT failed: {:?}", engine.jit_error());
            }
            let got: Vec<Vec<Alert>> = events
                .iter()
                .map(|(ev, st)| {
                    let mut out = Vec::new();
                    engine.process(ev, st, &mut out);
                    out
                })
                .collect();
            assert_eq!(engine.panics(), 0, "{pname} {backend:?}: a check panicked");
            match &reference {
                None => reference = Some(got),
                Some(want) => {
                    for (i, (w, g)) in want.iter().zip(&got).enumerate() {
                        assert_eq!(w, g, "{pname} {backend:?} (batched: {batched}) disagrees on event {i}");
                    }
                }
            }
        }
    }
    reference.unwrap_or_default()
}

/// Names of the rules that alerted.
pub fn names(alerts: &[Alert]) -> Vec<String> {
    alerts.iter().map(|a| a.rule.clone()).collect()
}

/// Table-driven evaluation: each case is (condition, fields of its event, expected). All
/// conditions become one ruleset (rule `cN` for case N); every case's event is run with
/// `MatchMode::All` on every configuration, and rule `cN` must alert on event N exactly when
/// expected.
/// One table case: a condition, the field values of its event, whether the rule must match.
pub type Case = (&'static str, Vec<(&'static str, ParamValue)>, bool);

pub fn run_table(cases: &[Case]) {
    let conds: Vec<&str> = cases.iter().map(|c| c.0).collect();
    let yaml = rules_for(&conds);
    let events: Vec<(Event, State)> = cases.iter().map(|c| (fev("open", &c.1), State::new())).collect();
    let alerts = check_both(&yaml, &events, MatchMode::All, Some(fake_extract));
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let hit = alerts[i].iter().any(|a| a.rule == format!("c{i}"));
        if hit != case.2 {
            failures.push(format!("case {i}: `{}` on {:?}: expected {}, got {hit}", case.0, case.1, case.2));
        }
    }
    assert!(failures.is_empty(), "{} failing cases:\n{}", failures.len(), failures.join("\n"));
}

/// IR text of one rule per check in `checks` (IR check syntax on the slots `s0`, `s1`...,
/// which read `fields` in order), each rule's condition its check alone, every event type.
pub fn rule_per_check_ir(fields: &[&str], checks: &[String]) -> String {
    let mut ir = String::from("slots:\n");
    for (i, f) in fields.iter().enumerate() {
        ir.push_str(&format!("  s{i} = {f}\n"));
    }
    ir.push_str("checks:\n");
    for (i, c) in checks.iter().enumerate() {
        ir.push_str(&format!("  c{i} = {c}\n"));
    }
    ir.push_str("nodes:\n");
    for i in 0..checks.len() {
        ir.push_str(&format!("  n{i} = c{i}\n"));
    }
    ir.push_str("rules:\n");
    for i in 0..checks.len() {
        ir.push_str(&format!("  r{i} \"r{i}\" Notice enabled root=n{i} types=all\n     output: \"x\"\n"));
    }
    ir
}
