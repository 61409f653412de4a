//! Rule coverage: for every rule of a suite's rules, how many cases show it firing (positive:
//! the case expects it) and how many show it staying quiet (negative: the case names it in
//! `rule:` and does not expect it). Skipped cases do not count. `--require-coverage` fails a run
//! when an enabled rule has no positive or no negative case.

use super::model::TestFile;
use super::run::Suite;

/// Coverage of one rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleCoverage {
    pub rule: String,
    /// The rules file that defines it (an index into the suite's sources): one rule tested by
    /// several test files, each loading it with other files, is one rule.
    pub file: usize,
    /// Enabled by default and runnable: the rules `--require-coverage` holds to account.
    pub enabled: bool,
    pub positive: usize,
    pub negative: usize,
}

impl RuleCoverage {
    /// Has both kinds of case.
    pub fn complete(&self) -> bool {
        self.positive > 0 && self.negative > 0
    }
}

/// Coverage of every rule of `suite`'s rules, in load order (one entry per rule name).
pub fn coverage(suite: &Suite) -> Vec<RuleCoverage> {
    let mut out: Vec<RuleCoverage> = Vec::new();
    for r in &suite.check.ruleset.rules {
        if out.iter().any(|c| c.rule == r.name) {
            continue;
        }
        let (positive, negative) = case_counts(&suite.file, &r.name);
        out.push(RuleCoverage {
            rule: r.name.clone(),
            file: suite.check.ruleset.loaded.rules.get(r.index).map_or(0, |d| d.defined_in.0 as usize),
            enabled: r.enabled && r.runnable,
            positive,
            negative,
        });
    }
    out
}

/// How many cases of `file` show `rule` firing (positive) and staying quiet (negative); skipped
/// cases do not count. Needs only the parsed file, not its rules.
pub fn case_counts(file: &TestFile, rule: &str) -> (usize, usize) {
    let (mut positive, mut negative) = (0, 0);
    for case in file.cases.iter().filter(|c| c.skip.is_none()) {
        if case.expect.iter().any(|e| e.rule == rule) {
            positive += 1;
        } else if case.about.iter().any(|(n, _)| n == rule) {
            negative += 1;
        }
    }
    (positive, negative)
}
