//! The IR's text form read back (`rulec_ir::parse`): print → parse → print is the identity on
//! the optimised programs of Falco's upstream rules files (and the parsed program equals the
//! printed one but for check locations, which the text does not hold), every parsed program
//! verifies, and malformed text gets an error at a line and column, never a panic.

use rulec_compiler::ir::parse::parse;
use rulec_compiler::ir::{Location, Program, verify::verify};
use rulec_compiler::{FileId, SourceFile, check::check, compile};

fn upstream() -> Option<Vec<(&'static str, String)>> {
    let mut files = Vec::new();
    for n in ["falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"] {
        let path = rulec_test_support::shared(&format!("conformance/falco/{n}"))?;
        files.push((n, std::fs::read_to_string(&path).expect("the upstream rules file is readable")));
    }
    Some(files)
}

fn compiled(files: &[(&str, String)]) -> Program {
    let sources: Vec<SourceFile> =
        files.iter().enumerate().map(|(i, (n, t))| SourceFile::new(FileId(i as u32), *n, t.clone())).collect();
    let r = check(&sources);
    assert!(!r.has_errors(), "{:#?}", r.diagnostics.iter().filter(|d| d.is_error()).collect::<Vec<_>>());
    compile(&r)
}

/// `p` with every check location cleared (the text form does not hold them).
fn without_locations(mut p: Program) -> Program {
    for c in &mut p.checks {
        c.location = Location::default();
    }
    p
}

fn assert_round_trip(p: &Program, what: &str) {
    let text = p.to_string();
    let parsed = match parse(&text) {
        Ok(q) => q,
        Err(e) => {
            let line = text.lines().nth(e.line.saturating_sub(1)).unwrap_or("");
            panic!("{what}: the printed program does not parse: {e}\n  {line}");
        }
    };
    if let Err(errs) = verify(&parsed) {
        panic!("{what}: the parsed program does not verify:\n{}", errs.join("\n"));
    }
    assert_eq!(parsed.to_string(), text, "{what}: print -> parse -> print changed the text");
    let want = without_locations(p.clone());
    assert_eq!(parsed.slots, want.slots, "{what}: slots differ");
    assert_eq!(parsed.checks, want.checks, "{what}: checks differ");
    assert_eq!(parsed.nodes, want.nodes, "{what}: nodes differ");
    assert_eq!(parsed.rules, want.rules, "{what}: rules differ");
}

#[test]
fn upstream_programs_round_trip() {
    let Some(files) = upstream() else { return };
    for f in &files {
        assert_round_trip(&compiled(std::slice::from_ref(f)), f.0);
    }
    assert_round_trip(&compiled(&files), "all three files");
}

#[test]
fn outputs_tags_and_sources_round_trip() {
    let yaml = r#"
- rule: r
  desc: d
  condition: evt.type = open and evt.arg.flags contains O_RDWR and proc.aname[2] = sh and proc.env[HOME] = "/root"
  output: "flags=%evt.arg.flags %proc.name %tolower(proc.cmdline) %proc.pid %proc.aname[2]"
  priority: INFO
  tags: [a, "b c"]
- rule: s
  desc: d
  condition: fd.sip in (10.0.0.0/8, "::1") and evt.rawres < -1 and fd.net = 192.168.0.0/16 and not proc.name exists
  output: "%fd.sip"
  priority: DEBUG
  enabled: false
"#;
    let p = compiled(&[("t.yaml", yaml.to_owned())]);
    let text = p.to_string();
    assert!(text.contains(r#"tags: ("a", "b c")"#), "{text}");
    assert!(text.contains(r#"as "%evt.arg.flags""#), "{text}");
    assert_round_trip(&p, "small");
    // Rules of other sources are not lowered from rules files yet; the text carries the source.
    let hand = "slots:\nchecks:\nnodes:\n  n0 = true\nrules:\n  r0 \"k\" Notice enabled root=n0 types=()\n     output: \"x\"\n     source: \"k8s_audit\"\n";
    let p = parse(hand).expect("parses");
    assert_eq!(p.rules[0].source, "k8s_audit");
    assert_eq!(p.to_string(), hand);
}

/// Each malformed text and the `line:col: message` start it must give.
#[test]
fn errors_have_a_line_and_column() {
    let cases: &[(&str, &str)] = &[
        ("s0 = proc.name\n", "1:1: expected a section header"),
        ("slots:\n  s1 = proc.name\n", "2:3: expected `s0`"),
        ("slots:\n  s0 = proc.nope\n", "2:8: unknown field `proc.nope`"),
        ("slots:\n  s0 = frob(s0)\n", "2:8: unknown transformer `frob`"),
        ("slots:\n  s0 = proc.name\nchecks:\n  c0 = s0 like \"x\"\n", "4:11: unknown operator `like`"),
        ("slots:\n  s0 = proc.name\nchecks:\n  c0 = s0 = \"x\n", "4:13: unterminated string"),
        ("slots:\n  s0 = proc.pid\nchecks:\n  c0 = s0 in (1, 2\n", "4:19: expected `,`"),
        ("slots:\n  s0 = proc.pid\nchecks:\n  c0 = s0 = 1x\n", "4:13: `1x` is not a constant"),
        ("slots:\n  s0 = fd.sip\nchecks:\n  c0 = s0 = 10.0.0.0/33\n", "4:13: bad network prefix"),
        ("nodes:\n  n0 = xor(n1)\n", "2:8: expected a node"),
        ("nodes:\n  n0 = true junk\n", "2:13: unexpected text at the end of the line"),
        ("rules:\n     output: \"x\"\n", "2:6: expected a rule"),
        ("rules:\n  r0 \"a\" Loud enabled root=n0 types=all\n", "2:10: unknown priority `Loud`"),
        ("rules:\n  r0 \"a\" Debug on root=n0 types=all\n", "2:16: expected `enabled` or `disabled`"),
        ("rules:\n  r0 \"a\" Debug enabled root=n0 types=all\n     colour: red\n", "3:6: expected `rN`, `output:`"),
        ("slots:\n  s0 = proc.name\nchecks:\n  c0 = s0 = \"\\q\"\n", "4:14: unknown escape `\\q`"),
    ];
    for (text, want) in cases {
        match parse(text) {
            Ok(p) => panic!("{text:?} parsed:\n{p}"),
            Err(e) => assert!(e.to_string().starts_with(want), "{text:?}: got `{e}`, want `{want}...`"),
        }
    }
}

/// Every prefix and every one-char corruption of a printed program parses or fails cleanly.
#[test]
fn never_panics_on_damaged_text() {
    let yaml = "- rule: r\n  desc: d\n  condition: evt.type = open and proc.name in (a, b) and not fd.name startswith /etc and fd.sip = 10.0.0.1 and tolower(proc.name) glob \"*x*\" and proc.pid > 3\n  output: \"%proc.name %fd.name\"\n  priority: INFO\n  tags: [t]\n";
    let text = compiled(&[("t.yaml", yaml.to_owned())]).to_string();
    let chars: Vec<char> = text.chars().collect();
    for n in 0..chars.len() {
        let prefix: String = chars[..n].iter().collect();
        let _ = parse(&prefix);
        for bad in ['"', '(', ')', ',', '\\', 's', '9', ' ', '\n', 'é'] {
            let mut damaged = chars.clone();
            damaged[n] = bad;
            let damaged: String = damaged.into_iter().collect();
            if let Ok(p) = parse(&damaged) {
                // A damaged program may still parse; the verifier must then not panic either.
                let _ = verify(&p);
            }
        }
    }
}
