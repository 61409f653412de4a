//! Differential test of the language's meaning against Falco's libsinsp: for every filter in
//! `tests/fixtures/sysdig_verdicts/filters.txt` and every capture, the fixture holds the events
//! Debian's sysdig 0.29.3 (libsinsp) matched (`record.sh` regenerates it). Here each filter
//! becomes a rule, the capture is replayed through the state machine and the engine, on both
//! backends, and the matched events are compared. It does not call sysdig.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use rulec_compiler::check::check;
use rulec_compiler::{FileId, SourceFile};
use rulec_runtime::engine::{Backend, Engine, MatchMode};
use rulec_runtime::replay;

/// Filters on which rulec is known to differ from sysdig 0.29.3, with the reason. Every other
/// filter must agree exactly on every capture.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[];

struct Fixture {
    capture: String,
    /// filter → matched (evt.num, type, dir)
    matches: BTreeMap<String, Vec<(u64, String, String)>>,
}

fn read_fixtures(dir: &Path) -> Vec<Fixture> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    let mut paths: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("").to_owned();
        if path.extension().and_then(|e| e.to_str()) != Some("txt") || stem == "filters" {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("fixture readable");
        let mut matches: BTreeMap<String, Vec<(u64, String, String)>> = BTreeMap::new();
        let mut current: Option<String> = None;
        for line in text.lines().skip(1) {
            if let Some(f) = line.strip_prefix("# ") {
                current = Some(f.to_owned());
                matches.entry(f.to_owned()).or_default();
            } else if let Some(f) = &current {
                let cols: Vec<&str> = line.split_whitespace().collect();
                if let [num, ty, dir] = cols[..] {
                    if let Ok(n) = num.parse() {
                        matches.entry(f.clone()).or_default().push((n, ty.to_owned(), dir.to_owned()));
                    }
                }
            }
        }
        out.push(Fixture { capture: stem, matches });
    }
    out
}

fn rules_yaml(filters: &[String]) -> String {
    let mut y = String::new();
    for (i, f) in filters.iter().enumerate() {
        let quoted = f.replace('\\', "\\\\").replace('"', "\\\"");
        y.push_str(&format!(
            "- rule: f{i}\n  desc: filter {i}\n  condition: \"{quoted}\"\n  output: \"%evt.num\"\n  priority: INFO\n  warn_evttypes: false\n\n"
        ));
    }
    y
}

#[test]
fn verdicts_agree_with_sysdig() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let captures = root.join("../../shared/captures");
    if !captures.is_dir() {
        eprintln!("skipping: {} not found", captures.display());
        return;
    }
    let fixtures = read_fixtures(&root.join("tests/fixtures/sysdig_verdicts"));
    assert!(!fixtures.is_empty(), "no sysdig verdict fixtures");
    let filters: Vec<String> = std::fs::read_to_string(root.join("tests/fixtures/sysdig_verdicts/filters.txt"))
        .expect("filters.txt")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect();
    let files = [SourceFile::new(FileId(0), "filters.yaml", rules_yaml(&filters))];
    let result = check(&files);
    let errors: Vec<_> = result.diagnostics.iter().filter(|d| d.is_error()).map(|d| d.message.clone()).collect();
    assert!(errors.is_empty(), "rulec rejects filters sysdig accepts: {errors:?}");

    let mut failures = Vec::new();
    let mut report = Vec::new();
    for backend in [Backend::Interp, Backend::Jit] {
        for fx in &fixtures {
            let mut engine = Engine::from_check(&result, backend);
            engine.set_mode(MatchMode::All);
            let Ok(rep) = replay(captures.join(format!("{}.scap", fx.capture))) else {
                eprintln!("skipping {}: cannot open", fx.capture);
                continue;
            };
            // Our matches: filter index → (event number, type, dir).
            let mut ours: Vec<BTreeSet<(u64, String, String)>> = vec![BTreeSet::new(); filters.len()];
            let mut n = 0u64;
            let mut alerts = Vec::new();
            let _ = rep.for_each(|ev, st| {
                n += 1;
                engine.process(ev, st, &mut alerts);
                for a in alerts.drain(..) {
                    if let Some(i) = a.rule.strip_prefix('f').and_then(|i| i.parse::<usize>().ok()) {
                        ours[i].insert((n, ev.name.to_owned(), ev.dir.as_str().to_owned()));
                    }
                }
            });
            for (i, f) in filters.iter().enumerate() {
                let Some(theirs) = fx.matches.get(f) else { continue };
                let theirs: BTreeSet<_> = theirs.iter().cloned().collect();
                let only_ours: Vec<_> = ours[i].difference(&theirs).take(3).collect();
                let only_theirs: Vec<_> = theirs.difference(&ours[i]).take(3).collect();
                let agree = only_ours.is_empty() && only_theirs.is_empty();
                if backend == Backend::Interp {
                    report.push(format!(
                        "{:<5} {:<38} {:<80} sysdig {:>4} rulec {:>4}{}",
                        if agree { "ok" } else { "DIFF" },
                        fx.capture,
                        f,
                        theirs.len(),
                        ours[i].len(),
                        if agree { String::new() } else { format!("  only rulec {only_ours:?} only sysdig {only_theirs:?}") }
                    ));
                }
                if !agree && !KNOWN_DIFFERENCES.iter().any(|(k, _)| k == f) {
                    failures.push(format!("{backend:?} {} `{f}`", fx.capture));
                }
            }
        }
    }
    eprintln!("verdicts vs sysdig 0.29.3:\n{}", report.join("\n"));
    assert!(failures.is_empty(), "disagreements with sysdig: {failures:#?}");
}
