//! Interpreter vs JIT with the real field extractors and the real state machine: the upstream
//! Falco rules and a ruleset over the fields whose values are lists although their type is
//! scalar (ancestors, either end of a connection) run on generated event streams, every rule
//! in all-match mode, and the two backends must raise exactly the same alerts on every event.

use std::path::Path;

use rulec_compiler::check::check;
use rulec_compiler::{FileId, SourceFile};
use rulec_runtime::Generator;
use rulec_runtime::engine::{Alert, Backend, Engine, MatchMode};

fn compare(files: &[SourceFile], seeds: &[u64], events: usize) -> usize {
    let result = check(files);
    assert!(!result.has_errors(), "{:?}", result.diagnostics.iter().filter(|d| d.is_error()).collect::<Vec<_>>());
    let mut alerts_seen = 0;
    for &seed in seeds {
        let mut engines: Vec<Engine> = [Backend::Interp, Backend::Jit]
            .into_iter()
            .map(|b| {
                let mut e = Engine::from_check(&result, b);
                e.set_mode(MatchMode::All);
                e
            })
            .collect();
        assert_eq!(engines[1].backend(), Backend::Jit, "JIT failed: {:?}", engines[1].jit_error());
        let mut generator = Generator::new(seed);
        let mut state = generator.state();
        let (mut a, mut b): (Vec<Alert>, Vec<Alert>) = (Vec::new(), Vec::new());
        for i in 0..events {
            let ev = generator.next_event();
            state.apply(&ev);
            engines[0].process(&ev, &state, &mut a);
            engines[1].process(&ev, &state, &mut b);
            assert_eq!(a, b, "seed {seed}, event {i} ({}): interpreter and JIT disagree", ev.name);
            alerts_seen += a.len();
            a.clear();
            b.clear();
        }
        assert_eq!(engines[0].panics() + engines[1].panics(), 0);
    }
    alerts_seen
}

const LIST_VALUED: &str = r#"
- rule: ancestor pid
  desc: d
  condition: evt.type in (execve, openat, connect, read) and (proc.apid = 1 or proc.apid > 1000 or proc.apid in (2, 3))
  output: "%proc.name %proc.apid"
  priority: INFO
- rule: ancestor pid negated
  desc: d
  condition: evt.type in (openat, read) and not proc.apid = 1 and proc.apid != 0
  output: "%proc.name"
  priority: INFO
- rule: either port
  desc: d
  condition: evt.type in (connect, accept4, sendto, recvfrom, read, write) and (fd.port = 443 or fd.port in (5432, 8080) or fd.port > 30000)
  output: "%fd.name"
  priority: INFO
- rule: either address
  desc: d
  condition: evt.type in (connect, accept4, sendto, recvfrom) and (fd.ip = 127.0.0.1 or fd.net = 10.0.0.0/8)
  output: "%fd.name"
  priority: INFO
- rule: ancestor names
  desc: d
  condition: evt.type in (execve, openat) and (proc.aname in (bash, sshd) or proc.aname startswith contain or proc.aexe endswith /java)
  output: "%proc.name %proc.aname[1]"
  priority: INFO
"#;

#[test]
fn list_valued_fields_agree_on_both_backends() {
    let files = [SourceFile::new(FileId(0), "list_valued.yaml", LIST_VALUED)];
    let alerts = compare(&files, &[1, 2, 3], 40_000);
    assert!(alerts > 0, "the generated streams should trigger these rules");
}

#[test]
fn upstream_rules_agree_on_both_backends() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/falco");
    if !dir.is_dir() {
        eprintln!("skipping: {} not found", dir.display());
        return;
    }
    let files: Vec<SourceFile> = ["falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"]
        .iter()
        .enumerate()
        .map(|(i, n)| SourceFile::new(FileId(i as u32), *n, std::fs::read_to_string(dir.join(n)).expect("readable")))
        .collect();
    let alerts = compare(&files, &[7, 8], 40_000);
    assert!(alerts > 0, "the generated streams contain suspicious scenarios");
}
