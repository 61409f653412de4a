//! Interpreter vs JIT with the real field extractors and the real state machine: the upstream
//! Falco rules, a ruleset over the fields whose values are lists although their type is scalar
//! (ancestors, either end of a connection) and one over the fields checks read in place
//! (`fields::borrow`) run on generated event streams, every rule in all-match mode. The
//! reference is the interpreter reading every value through the slot cache and deciding every
//! check with its own matcher; the interpreter (shared string passes switched on by measurement)
//! and the JIT, once with every shared pass on and once with none (its string tests against
//! constants then compiled inline), with in-place reads must raise exactly the same alerts on
//! every event.

use rulec_bench::Generator;
use rulec_compiler::check::check;
use rulec_compiler::{FileId, SourceFile};
use rulec_runtime::engine::{Alert, Backend, Engine, MatchMode, Sharing};

fn compare(files: &[SourceFile], seeds: &[u64], events: usize) -> usize {
    let result = check(files);
    assert!(!result.has_errors(), "{:?}", result.diagnostics.iter().filter(|d| d.is_error()).collect::<Vec<_>>());
    let mut alerts_seen = 0;
    for &seed in seeds {
        let mut engines: Vec<Engine> = [Backend::Interp, Backend::Interp, Backend::Jit, Backend::Jit]
            .into_iter()
            .map(|b| {
                let mut e = Engine::new(rulec_compiler::compile(&result), b);
                e.set_mode(MatchMode::All);
                e
            })
            .collect();
        engines[0].disable_direct_reads();
        engines[0].set_sharing(Sharing::Off);
        engines[2].set_sharing(Sharing::On);
        engines[3].set_sharing(Sharing::Off);
        assert_eq!(engines[2].backend(), Backend::Jit, "JIT failed: {:?}", engines[2].jit_error());
        let mut generator = Generator::new(seed);
        let mut state = generator.state();
        let (mut a, mut b, mut c, mut d): (Vec<Alert>, Vec<Alert>, Vec<Alert>, Vec<Alert>) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for i in 0..events {
            let ev = generator.next_event();
            state.apply(&ev);
            engines[0].process(&ev, &state, &mut a);
            engines[1].process(&ev, &state, &mut b);
            engines[2].process(&ev, &state, &mut c);
            engines[3].process(&ev, &state, &mut d);
            assert_eq!(a, b, "seed {seed}, event {i} ({}): the reference and the interpreter disagree", ev.name);
            assert_eq!(a, c, "seed {seed}, event {i} ({}): interpreter and JIT disagree", ev.name);
            assert_eq!(a, d, "seed {seed}, event {i} ({}): interpreter and JIT (inline strings) disagree", ev.name);
            alerts_seen += a.len();
            a.clear();
            b.clear();
            c.clear();
            d.clear();
        }
        assert_eq!(engines.iter().map(Engine::panics).sum::<u64>(), 0);
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

/// Every field with an in-place form, under each kind of test: one rule per check, so that each
/// check decides its rule's verdict.
const BORROWED_CHECKS: &[&str] = &[
    "proc.name in (bash, sh, zsh, dash)",
    "proc.pname = sshd",
    "proc.exe endswith /python3",
    "proc.pexe startswith /usr/",
    "proc.exepath glob \"/usr/*/bash\"",
    "proc.pexepath contains sbin",
    "proc.cwd = /root/",
    "proc.aname[2] in (sshd, systemd)",
    "proc.aexe[1] icontains BASH",
    "proc.aexepath[3] != \"\"",
    "proc.args[0] = -c",
    "proc.args[1] startswith /tmp",
    "fd.name pmatch (/etc, /var/log)",
    "fd.directory in (/etc, /tmp, /)",
    "fd.filename glob \"*.log\"",
    "fd.type = ipv4",
    "fd.typechar in (p, u)",
    "fd.l4proto = udp",
    "fd.num > 100",
    "fd.num in (0, 1, 2)",
    "fd.num < 0",
    "fd.num in (3, 5, 7)",
    "fd.num = 4",
    "fd.connected = true",
    "evt.is_open_read = true",
    "evt.is_open_write = false",
    "evt.is_open_create = true",
    "evt.dir = \"<\"",
    "evt.rawres < 0",
    "evt.num > 30000 and evt.num < 30010",
    "container.id != host",
    "user.name = root",
    "proc.tty != 0",
    "user.uid >= 1000",
    "proc.pid < 100",
    "thread.tid = 1",
    "evt.type in (openat, connect)",
    "evt.arg.flags contains O_TRUNC",
    "evt.arg.flags contains O_CREAT and evt.arg.flags contains O_WRONLY",
    "evt.arg[flags] = O_RDONLY",
    "evt.arg.flags icontains cloexec",
    "evt.arg.domain contains AF_PACKET",
    "evt.arg.domain in (AF_INET, AF_UNIX)",
];

#[test]
fn borrowed_fields_agree_with_cached_reads() {
    let mut text = String::new();
    for (i, c) in BORROWED_CHECKS.iter().enumerate() {
        text.push_str(&format!(
            "- rule: check {i}\n  desc: d\n  condition: evt.type in (execve, openat, read, write, close, connect, sendto, recvfrom, setuid, socket) and {c}\n  output: \"%evt.type\"\n  priority: INFO\n"
        ));
    }
    let files = [SourceFile::new(FileId(0), "borrowed.yaml", text)];
    let alerts = compare(&files, &[4, 5], 20_000);
    assert!(alerts > 1000, "the generated streams should trigger these rules often, got {alerts}");
}

#[test]
fn list_valued_fields_agree_on_both_backends() {
    let files = [SourceFile::new(FileId(0), "list_valued.yaml", LIST_VALUED)];
    let alerts = compare(&files, &[1, 2, 3], 40_000);
    assert!(alerts > 0, "the generated streams should trigger these rules");
}

#[test]
fn upstream_rules_agree_on_both_backends() {
    let Some(dir) = rulec_test_support::shared("conformance/falco") else { return };
    let files: Vec<SourceFile> = ["falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"]
        .iter()
        .enumerate()
        .map(|(i, n)| SourceFile::new(FileId(i as u32), *n, std::fs::read_to_string(dir.join(n)).expect("readable")))
        .collect();
    let alerts = compare(&files, &[7, 8], 40_000);
    assert!(alerts > 0, "the generated streams contain suspicious scenarios");
}
