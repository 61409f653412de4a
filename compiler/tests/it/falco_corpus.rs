//! The Falco conformance corpus: cases derived from Falco's and libs' own tests (the loader and
//! engine tests of falcosecurity/falco, libs' filter parser and compiler tests), written as data
//! in `compiler/tests/conformance/`, one file per source test file. Each case says what Falco
//! does (load or refuse) and the rulec code that must be reported; this runs them all through
//! `check` and fails on any disagreement that is not written down as a difference with the
//! reason rulec is right.
//!
//! The format, line by line:
//! - `# ...` a comment; `## NAME` the source test the following cases come from.
//! - `accept [CODES]: CONDITION` / `reject CODES: CONDITION`: a condition case. The condition
//!   (with `\n` for a line break) becomes the condition of one rule, after a prelude of macros
//!   and a list (`PRELUDE`) the libs tests' bare identifiers stand for. `accept` means no error
//!   (and each listed warning reported), `reject` means each listed error reported.
//! - `=== NAME` starts a rules-file case, followed by header lines (`expect: accept|reject
//!   [CODES]`, `absent: CODES` for codes that must not be reported, `rulec: ...` and `why: ...`
//!   for a documented difference) and the YAML after a `---` line; another `---` line starts the
//!   next file of the same case (files load in order).

use std::path::{Path, PathBuf};

use rulec_compiler::check::check;
use rulec_compiler::{Code, Diagnostic, FileId, SourceFile};

/// The definitions a condition case may name: the libs parser tests' macro-like identifiers.
const PRELUDE: &str = "\
- macro: a
  condition: evt.type = open
- macro: b
  condition: proc.name = b
- macro: c
  condition: fd.name = c
- macro: macro
  condition: evt.type = execve
- macro: not_macro
  condition: proc.name = x
- macro: and_macro
  condition: proc.name = y
- macro: or_macro
  condition: proc.name = z
- macro: notb
  condition: proc.name = nb
- macro: notz
  condition: proc.name = nz
- macro: some_macro
  condition: proc.name = sm
- list: shell_binaries
  items: [sh, bash]
";

/// What a case expects, as Falco behaves.
#[derive(Debug, Clone, PartialEq)]
struct Expect {
    accept: bool,
    /// Errors (reject) or warnings (accept) that must be reported.
    codes: Vec<Code>,
}

#[derive(Debug)]
struct Case {
    file: String,
    line: usize,
    name: String,
    source_test: String,
    falco: Expect,
    /// Where rulec knowingly differs from Falco: its own verdict, and why it is right (`why:`)
    /// or what it lacks (`gap:`, a known gap listed as such, not as rulec being right).
    rulec: Option<(Expect, String)>,
    gap: bool,
    absent: Vec<Code>,
    files: Vec<String>,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance")
}

fn parse_expect(s: &str, at: &str) -> Expect {
    let mut words = s.split_whitespace();
    let accept = match words.next() {
        Some("accept") => true,
        Some("reject") => false,
        other => panic!("{at}: expected accept or reject, found {other:?}"),
    };
    let codes = words.map(|w| Code::from_str(w).unwrap_or_else(|| panic!("{at}: unknown code {w}"))).collect();
    Expect { accept, codes }
}

fn parse_codes(s: &str, at: &str) -> Vec<Code> {
    s.split_whitespace().map(|w| Code::from_str(w).unwrap_or_else(|| panic!("{at}: unknown code {w}"))).collect()
}

/// A condition as the value of `condition:`, as a block scalar (no quoting to get wrong).
fn rule_with_condition(cond: &str) -> String {
    let mut out = String::from(PRELUDE);
    out.push_str("- rule: case\n  desc: d\n  output: o\n  priority: INFO\n  condition: |-\n");
    for l in cond.split('\n') {
        out.push_str("    ");
        out.push_str(l);
        out.push('\n');
    }
    out
}

fn read_cases(path: &Path) -> Vec<Case> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("?").to_owned();
    let text = std::fs::read_to_string(path).expect("corpus file readable");
    let mut cases: Vec<Case> = Vec::new();
    let mut source_test = String::new();
    // A `rulec:` (and `why:` or `gap:`) written before a condition case, for that case.
    let mut pending: Option<(Expect, String, bool)> = None;
    // The rules-file case being read, and whether its YAML has started.
    let mut block: Option<(Case, bool)> = None;
    let finish = |block: &mut Option<(Case, bool)>, cases: &mut Vec<Case>| {
        if let Some((c, started)) = block.take() {
            assert!(started, "{}:{}: case {} has no `---` and YAML", c.file, c.line, c.name);
            cases.push(c);
        }
    };
    for (i, line) in text.lines().enumerate() {
        let at = format!("{name}:{}", i + 1);
        if let Some((case, started)) = &mut block {
            if *started && !line.starts_with("===") && !line.starts_with("## ") {
                if line == "---" {
                    case.files.push(String::new());
                } else if let Some(f) = case.files.last_mut() {
                    f.push_str(line);
                    f.push('\n');
                }
                continue;
            }
            if !*started {
                if line == "---" {
                    *started = true;
                    case.files.push(String::new());
                } else if let Some(v) = line.strip_prefix("expect:") {
                    case.falco = parse_expect(v, &at);
                } else if let Some(v) = line.strip_prefix("absent:") {
                    case.absent = parse_codes(v, &at);
                } else if let Some(v) = line.strip_prefix("rulec:") {
                    case.rulec = Some((parse_expect(v, &at), String::new()));
                } else if let Some((v, gap)) =
                    line.strip_prefix("why:").map(|v| (v, false)).or(line.strip_prefix("gap:").map(|v| (v, true)))
                {
                    let (_, why) = case.rulec.as_mut().unwrap_or_else(|| panic!("{at}: `why` without `rulec`"));
                    why.push_str(v.trim());
                    case.gap = gap;
                } else if !line.trim().is_empty() && !line.starts_with('#') {
                    panic!("{at}: unexpected header line {line:?}");
                }
                continue;
            }
        }
        finish(&mut block, &mut cases);
        if line.trim().is_empty() || (line.starts_with('#') && !line.starts_with("## ")) {
            continue;
        }
        if let Some(v) = line.strip_prefix("rulec:") {
            pending = Some((parse_expect(v, &at), String::new(), false));
            continue;
        }
        if let Some((v, gap)) =
            line.strip_prefix("why:").map(|v| (v, false)).or(line.strip_prefix("gap:").map(|v| (v, true)))
        {
            let p = pending.as_mut().unwrap_or_else(|| panic!("{at}: `why` or `gap` without `rulec`"));
            p.1 = v.trim().to_owned();
            p.2 = gap;
            continue;
        }
        if let Some(t) = line.strip_prefix("## ") {
            source_test = t.trim().to_owned();
        } else if let Some(n) = line.strip_prefix("=== ") {
            let case = Case {
                file: name.clone(),
                line: i + 1,
                name: n.trim().to_owned(),
                source_test: source_test.clone(),
                falco: Expect { accept: true, codes: Vec::new() },
                rulec: None,
                gap: false,
                absent: Vec::new(),
                files: Vec::new(),
            };
            block = Some((case, false));
        } else if let Some((head, cond)) = line.split_once(": ") {
            let cond = cond.replace("\\n", "\n");
            let (rulec, gap) = match pending.take() {
                Some((e, why, gap)) => (Some((e, why)), gap),
                None => (None, false),
            };
            cases.push(Case {
                file: name.clone(),
                line: i + 1,
                name: cond.clone(),
                source_test: source_test.clone(),
                falco: parse_expect(head, &at),
                rulec,
                gap,
                absent: Vec::new(),
                files: vec![rule_with_condition(&cond)],
            });
        } else {
            panic!("{at}: not a case: {line:?}");
        }
    }
    finish(&mut block, &mut cases);
    cases
}

/// What rulec reported, against what is expected: None when they agree.
fn disagreement(expect: &Expect, absent: &[Code], diags: &[Diagnostic]) -> Option<String> {
    let errors: Vec<&Diagnostic> = diags.iter().filter(|d| d.is_error()).collect();
    let has = |c: Code| diags.iter().any(|d| d.code == c);
    let mut wrong = Vec::new();
    if expect.accept && !errors.is_empty() {
        wrong.push("rulec rejects, Falco accepts".to_owned());
    }
    if !expect.accept && errors.is_empty() {
        wrong.push("rulec accepts, Falco rejects".to_owned());
    }
    for &c in &expect.codes {
        if !has(c) {
            wrong.push(format!("{c} not reported"));
        }
    }
    for &c in absent {
        if has(c) {
            wrong.push(format!("{c} reported"));
        }
    }
    if wrong.is_empty() {
        return None;
    }
    // The prelude's unused definitions are noise here.
    let noise = [Code::UnusedMacro, Code::UnusedList];
    let got: Vec<String> =
        diags.iter().filter(|d| !noise.contains(&d.code)).map(|d| format!("    {} {}", d.code, d.message)).collect();
    Some(format!("{}; rulec reported:\n{}", wrong.join(", "), got.join("\n")))
}

#[test]
fn falco_conformance_corpus() {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("compiler/tests/conformance exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "cases"))
        .collect();
    paths.sort();
    let mut total = 0;
    let mut differences = Vec::new();
    let mut gaps = Vec::new();
    let mut failures = Vec::new();
    for path in &paths {
        for case in read_cases(path) {
            total += 1;
            let files: Vec<SourceFile> = case
                .files
                .iter()
                .enumerate()
                .map(|(i, t)| SourceFile::new(FileId(i as u32), format!("f{i}.yaml"), t.clone()))
                .collect();
            let result = check(&files);
            let where_ = format!("{}:{} `{}` (from {})", case.file, case.line, case.name, case.source_test);
            match &case.rulec {
                None => {
                    if let Some(d) = disagreement(&case.falco, &case.absent, &result.diagnostics) {
                        failures.push(format!("{where_}: {d}"));
                    }
                }
                Some((mine, why)) => {
                    assert!(!why.is_empty(), "{where_}: a difference needs a `why`");
                    assert_ne!(mine.accept, case.falco.accept, "{where_}: `rulec:` must differ from Falco's verdict");
                    match disagreement(mine, &case.absent, &result.diagnostics) {
                        Some(d) => failures.push(format!("{where_} (documented difference): {d}")),
                        None if case.gap => gaps.push(format!("{where_}: {why}")),
                        None => differences.push(format!("{where_}: {why}")),
                    }
                }
            }
        }
    }
    let agreed = total - differences.len() - gaps.len() - failures.len();
    eprintln!(
        "Falco conformance corpus: {total} cases in {} files; {agreed} agree with Falco, {} differ where rulec is right, {} known gaps",
        paths.len(),
        differences.len(),
        gaps.len()
    );
    for d in &differences {
        eprintln!("  difference: {d}");
    }
    for g in &gaps {
        eprintln!("  gap: {g}");
    }
    assert!(failures.is_empty(), "{} cases disagree:\n{}", failures.len(), failures.join("\n"));
    assert!(total >= 300, "the corpus must hold at least 300 cases, it holds {total}");
}

/// `in`/`intersects` with a field on the right (accepted as libs accepts them) reach the IR as
/// an equality between the two values, and the program verifies.
#[test]
fn list_operators_with_a_field_compile_to_an_equality() {
    let text = "- rule: r\n  desc: d\n  output: o\n  priority: INFO\n  condition: evt.type = execve and proc.name in val(proc.pname) and proc.exe intersects toupper(proc.pexe)\n";
    let files = [SourceFile::new(FileId(0), "r.yaml", text)];
    let result = check(&files);
    assert!(!result.has_errors(), "{:?}", result.diagnostics);
    assert!(result.ruleset.rules[0].runnable);
    let program = rulec_compiler::compile(&result);
    let printed = program.to_string();
    assert_eq!(program.rules.len(), 1);
    assert!(printed.contains("proc.pname"), "{printed}");
}
