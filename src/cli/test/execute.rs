//! Running the selected cases: the `--filter` selection, the worker threads (results kept in
//! job order whatever order they finish in), and coverage summed per rules set. Rendering and
//! file writes are elsewhere.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use regex::Regex;
use rulec_runtime::engine::Backend;
use rulec_testing::run::CaseResult;
use rulec_testing::{RuleCoverage, coverage};

use super::files::Loaded;

pub(super) fn selected(filter: Option<&Regex>, case: &rulec_testing::Case) -> bool {
    let Some(re) = filter else { return true };
    re.is_match(&case.name)
        || case.expect.iter().any(|e| re.is_match(&e.rule))
        || case.about.iter().any(|(n, _)| re.is_match(n))
}

/// Runs `jobs` on worker threads; the results are in job order whatever order they finish in.
pub(super) fn run_parallel(
    loaded: &[Loaded],
    jobs: &[(usize, usize)],
    backend: Backend,
    threads: Option<usize>,
) -> Vec<CaseResult> {
    let workers = threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, 64)
        .min(jobs.len().max(1));
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, CaseResult)>> = Mutex::new(Vec::with_capacity(jobs.len()));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let j = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&(fi, ci)) = jobs.get(j) else { break };
                    let Some(suite) = loaded.get(fi).and_then(|l| l.suite.as_ref()) else {
                        continue;
                    };
                    let r = suite.run_case(ci, backend);
                    if let Ok(mut d) = done.lock() {
                        d.push((j, r));
                    }
                }
            });
        }
    });
    let mut done = done.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
    done.sort_by_key(|(j, _)| *j);
    done.into_iter().map(|(_, r)| r).collect()
}

/// Coverage per rule, keyed by the rules file that defines it (every test file that loads the
/// rule adds its cases), with that file's name as given.
pub(super) fn coverage_of(loaded: &[Loaded]) -> Vec<(String, RuleCoverage)> {
    // (key, the defining file as named, coverage)
    let mut out: Vec<(String, String, RuleCoverage)> = Vec::new();
    for l in loaded {
        let Some(s) = &l.suite else { continue };
        for c in coverage(s) {
            // By the file that defines the rule: `rules/x.yaml` and `tests/../rules/x.yaml` are
            // one file, and a rule whose file several test files load (with others) is one rule.
            let Some(f) = s.sources.get(c.file) else { continue };
            let key = std::fs::canonicalize(&f.name).map_or_else(|_| f.name.clone(), |p| p.display().to_string());
            let shown = f.name.clone();
            match out.iter_mut().find(|(k, _, o)| *k == key && o.rule == c.rule) {
                Some((_, _, o)) => {
                    o.positive += c.positive;
                    o.negative += c.negative;
                }
                None => out.push((key.clone(), shown.clone(), c)),
            }
        }
    }
    out.into_iter().map(|(_, shown, c)| (shown, c)).collect()
}
