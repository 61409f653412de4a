//! The IR pipeline on real and small rulesets: lowering and optimisation always give programs
//! the verifier accepts (a failure is a rulec bug), the optimiser's rewrites are the ones
//! documented, and the text form is stable (insta snapshot).

use rulec_compiler::check::{CheckResult, check};
use rulec_compiler::ir::{Node, Program, Test, opt::optimize, verify::verify};
use rulec_compiler::lower::lower;
use rulec_compiler::{FileId, SourceFile};

fn checked(files: &[(&str, String)]) -> CheckResult {
    let sources: Vec<SourceFile> =
        files.iter().enumerate().map(|(i, (n, t))| SourceFile::new(FileId(i as u32), *n, t.clone())).collect();
    check(&sources)
}

fn assert_verifies(p: &Program, what: &str) {
    if let Err(errs) = verify(p) {
        panic!("{what}: verifier failed:\n{}", errs.join("\n"));
    }
}

fn pipeline(r: &CheckResult, what: &str) -> (Program, Program) {
    let lowered = lower(r);
    assert_verifies(&lowered, &format!("{what} (lowered)"));
    let mut opt = lowered.clone();
    optimize(&mut opt);
    assert_verifies(&opt, &format!("{what} (optimised)"));
    // Optimising is idempotent in effect: a second run finds nothing structural to change.
    let mut again = opt.clone();
    optimize(&mut again);
    assert_verifies(&again, &format!("{what} (optimised twice)"));
    assert_eq!(again.to_string(), opt.to_string(), "{what}: optimize is not idempotent");
    (lowered, opt)
}

#[test]
fn upstream_rules_lower_optimise_and_verify() {
    let names = ["falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"];
    let mut files = Vec::new();
    for n in names {
        let Some(path) = rulec_test_support::shared(&format!("conformance/falco/{n}")) else { return };
        files.push((n, std::fs::read_to_string(&path).expect("the upstream rules file is readable")));
    }
    for f in &files {
        let r = checked(std::slice::from_ref(f));
        assert!(!r.has_errors(), "{} has errors", f.0);
        let (lowered, opt) = pipeline(&r, f.0);
        let runnable = r.ruleset.rules.iter().filter(|r| r.runnable).count();
        assert_eq!(lowered.rules.len(), runnable, "{}: every runnable rule is lowered", f.0);
        assert!(opt.nodes.len() <= lowered.nodes.len(), "{}: optimisation grew the node arena", f.0);
        eprintln!(
            "{}: {} rules; lowered {} slots / {} checks / {} nodes; optimised {} / {} / {}",
            f.0,
            lowered.rules.len(),
            lowered.slots.len(),
            lowered.checks.len(),
            lowered.nodes.len(),
            opt.slots.len(),
            opt.checks.len(),
            opt.nodes.len()
        );
    }
    let all = checked(&files);
    pipeline(&all, "all three files");
}

const SMALL: &str = r#"
- list: shells
  items: [bash, sh, zsh]
- macro: spawned
  condition: evt.type = execve and evt.dir = <
- macro: sensitive
  condition: fd.name startswith /etc/shadow or fd.name startswith /etc/sudoers or fd.name = /etc/passwd
- rule: Shell in container
  desc: a shell
  condition: spawned and proc.name in (shells) and not proc.pname = sshd and not proc.pname = login
  output: "shell %proc.name (parent=%proc.pname cmd=%tolower(proc.cmdline))"
  priority: WARNING
  tags: [shell]
- rule: Read sensitive
  desc: read
  condition: evt.type in (open, openat) and (sensitive) and not (not proc.name exists)
  output: "read %fd.name by %proc.name"
  priority: ERROR
  exceptions:
    - name: known
      fields: [proc.name, fd.name]
      values:
        - [cat, /etc/passwd]
        - [vi, /etc/shadow]
- rule: Disabled
  desc: off
  condition: evt.type = open and proc.name glob "*sh" and proc.name regex "[a-z]+"
  output: off
  priority: DEBUG
  enabled: false
"#;

#[test]
fn small_ruleset_ir_text() {
    let r = checked(&[("small.yaml", SMALL.to_owned())]);
    assert!(!r.has_errors(), "{:#?}", r.diagnostics);
    let (lowered, opt) = pipeline(&r, "small");
    insta::assert_snapshot!("small_lowered", lowered.to_string());
    insta::assert_snapshot!("small_optimised", opt.to_string());
    assert!(!opt.rules[2].enabled, "disabled rules are lowered, disabled");
}

fn one_rule(cond: &str) -> (Program, Program) {
    let text = format!("- rule: r\n  desc: d\n  condition: >-\n    {cond}\n  output: o\n  priority: INFO\n");
    let r = checked(&[("t.yaml", text)]);
    assert!(!r.has_errors(), "{cond}: {:#?}", r.diagnostics);
    pipeline(&r, cond)
}

fn root(p: &Program) -> &Node {
    &p.nodes[p.rules[0].root.0 as usize]
}

#[test]
fn equalities_merge_into_one_set() {
    let (_, p) = one_rule("proc.name = a or proc.name = b or proc.name in (c, d) or proc.pid = 1");
    assert!(matches!(root(&p), Node::Or(xs) if xs.len() == 2), "{p}");
    assert!(p.checks.iter().any(|c| matches!(&c.test, Test::In(xs) if xs.len() == 4)), "{p}");
}

#[test]
fn negated_equalities_merge_under_and() {
    let (_, p) = one_rule("evt.type = open and not proc.name = a and not proc.name = b");
    assert!(p.checks.iter().any(|c| matches!(&c.test, Test::In(xs) if xs.len() == 2)), "{p}");
    let text = p.to_string();
    assert!(text.contains("not n"), "the merged set stays negated: {text}");
}

#[test]
fn startswith_merges_into_anyof() {
    let (_, p) =
        one_rule("fd.name startswith /etc or fd.name startswith /usr or fd.name startswith anyof (/bin, /sbin)");
    assert_eq!(p.checks.len(), 1, "{p}");
    assert!(p.to_string().contains("startswith anyof (\"/etc\", \"/usr\", \"/bin\", \"/sbin\")"), "{p}");
}

#[test]
fn negation_is_not_pushed_into_checks() {
    // `not a = x` must not become `a != x` (they differ when a is absent).
    let (_, p) = one_rule("not proc.name = bash");
    assert!(matches!(root(&p), Node::Not(_)), "{p}");
    assert!(!p.to_string().contains("!="), "{p}");
}

#[test]
fn de_morgan_and_double_negation() {
    let (_, p) = one_rule("not (proc.name = a or not proc.pid = 1)");
    // not (A or not B) = (not A) and B
    let Node::And(xs) = root(&p) else { panic!("{p}") };
    assert_eq!(xs.len(), 2);
    assert!(xs.iter().any(|x| matches!(p.nodes[x.0 as usize], Node::Check(_))), "{p}");
    assert!(xs.iter().any(|x| matches!(p.nodes[x.0 as usize], Node::Not(_))), "{p}");
}

#[test]
fn constants_fold_and_complements_cancel() {
    let (_, p) = one_rule("proc.name = a and not proc.name = a");
    assert_eq!(root(&p), &Node::Const(false), "{p}");
    let (_, p) = one_rule("proc.name = a or not proc.name = a");
    assert_eq!(root(&p), &Node::Const(true), "{p}");
    assert!(p.checks.is_empty() && p.slots.is_empty(), "unused checks and slots are collected: {p}");
}

#[test]
fn cheap_checks_come_first() {
    let (_, p) =
        one_rule("proc.name regex \"b.*\" and fd.name glob \"/tmp/*\" and proc.name contains x and proc.pid > 3");
    let Node::And(xs) = root(&p) else { panic!("{p}") };
    let kinds: Vec<String> = xs
        .iter()
        .map(|x| match &p.nodes[x.0 as usize] {
            Node::Check(c) => {
                format!("{:?}", p.checks[c.0 as usize].test).split([' ', '{', '(']).next().unwrap_or("").to_owned()
            }
            n => format!("{n:?}"),
        })
        .collect();
    assert_eq!(kinds, ["Compare", "Str", "Str", "Str"], "{p}");
    let text = p.to_string();
    let pos = |s: &str| text.find(s).unwrap_or(usize::MAX);
    assert!(pos("> 3") < pos("contains") && pos("contains") < pos("glob") && pos("glob") < pos("regex"), "{text}");
}

#[test]
fn identical_checks_are_shared_across_rules() {
    let text = "- macro: m\n  condition: proc.name = bash\n".to_owned()
        + "- rule: a\n  desc: d\n  condition: m and evt.type = open\n  output: o\n  priority: INFO\n"
        + "- rule: b\n  desc: d\n  condition: m and evt.type = open\n  output: o\n  priority: INFO\n";
    let r = checked(&[("t.yaml", text)]);
    let (lowered, opt) = pipeline(&r, "shared");
    assert_eq!(lowered.checks.len(), 2, "{lowered}");
    assert_eq!(lowered.rules[0].root, lowered.rules[1].root, "{lowered}");
    assert_eq!(opt.checks.len(), 2, "{opt}");
}

/// Issue 13: `compile` continues from the program `check` optimised for its analyses instead of
/// lowering the rules a second time. Proved by what `compile` reads: with the checked rules
/// taken away after checking, it still returns every rule, which it could not if it lowered them.
/// And it returns what the whole pipeline (lower → optimise → exclusions last) gives.
#[test]
fn compile_continues_from_the_checked_program() {
    let Some(path) = rulec_test_support::shared("conformance/falco/falco_rules.yaml") else { return };
    let text = std::fs::read_to_string(&path).expect("the upstream rules file is readable");
    let mut r = checked(&[("falco_rules.yaml", text)]);
    assert!(!r.has_errors(), "falco_rules.yaml has errors");
    let runnable = r.ruleset.rules.iter().filter(|r| r.runnable).count();
    assert!(runnable > 20, "the upstream file has its rules ({runnable})");
    let mut whole = lower(&r);
    optimize(&mut whole);
    rulec_compiler::ir::opt::exclusions_last(&mut whole);
    assert_eq!(r.program.rules.len(), runnable, "check keeps every runnable rule's program");

    let compiled = rulec_compiler::compile(&r);
    assert_eq!(compiled.to_string(), whole.to_string(), "compile gives what the whole pipeline gives");

    r.ruleset.rules.clear();
    assert_eq!(lower(&r).rules.len(), 0, "lowering reads the checked rules");
    let from_check = rulec_compiler::compile(&r);
    assert_eq!(
        from_check.to_string(),
        whole.to_string(),
        "compile lowered the (now empty) checked rules again instead of continuing from check's program"
    );
}
