//! The report of a run, in the three formats (`text`, `json`, `junit`), and what they share:
//! the counts, each file's case results, and a failed case's diff with the condition trace of
//! every missing alert. Only rendering: no file is read or written here.

mod json;
mod junit;
mod text;

use std::time::Duration;

use rulec_runtime::engine::Backend;
use rulec_testing::RuleCoverage;
use rulec_testing::run::{CaseResult, Status};
use rulec_testing::trace::{TraceKind, TraceNode};

use super::files::Loaded;

pub(super) struct Report<'a> {
    pub(super) loaded: &'a [Loaded],
    pub(super) jobs: &'a [(usize, usize)],
    pub(super) results: &'a [CaseResult],
    pub(super) coverage: &'a [(String, RuleCoverage)],
    pub(super) verbose: bool,
    pub(super) total: Duration,
    pub(super) blessed: &'a [(usize, usize, String)],
}

fn backend_name(b: Backend) -> &'static str {
    match b {
        Backend::Interp => "interp",
        Backend::Jit => "jit",
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1}ms", d.as_secs_f64() * 1000.0)
}

impl Report<'_> {
    fn counts(&self) -> (usize, usize, usize) {
        let mut c = (0, 0, 0);
        for r in self.results {
            match r.status {
                Status::Pass => c.0 += 1,
                Status::Fail | Status::Error(_) => c.1 += 1,
                Status::Skip(_) => c.2 += 1,
            }
        }
        c
    }

    fn case_results(&self, fi: usize) -> impl Iterator<Item = (&rulec_testing::Case, &CaseResult)> + '_ {
        self.jobs.iter().zip(self.results).filter(move |((f, _), _)| *f == fi).filter_map(move |((_, c), r)| {
            let case = self.loaded[fi].suite.as_ref()?.file.cases.get(*c)?;
            Some((case, r))
        })
    }
}

fn indent(s: &str, n: usize) -> String {
    let pad = " ".repeat(n);
    s.lines().map(|l| if l.is_empty() { "\n".to_owned() } else { format!("{pad}{l}\n") }).collect()
}

/// `1 missing, 1 unexpected`.
fn failure_summary(r: &CaseResult) -> String {
    let mut parts = Vec::new();
    if !r.missing.is_empty() {
        parts.push(format!("{} missing", r.missing.len()));
    }
    if !r.mismatched.is_empty() {
        parts.push(format!("{} different", r.mismatched.len()));
    }
    if !r.unexpected.is_empty() {
        parts.push(format!("{} unexpected", r.unexpected.len()));
    }
    format!("alerts differ: {}", parts.join(", "))
}

fn expect_line(e: &rulec_testing::Expect) -> String {
    let mut s = e.rule.clone();
    if let Some(p) = e.priority {
        s.push_str(&format!(" ({})", rulec_testing::run::upper(p)));
    }
    if let Some(n) = e.event {
        s.push_str(&format!(" at event {n}"));
    }
    s
}

/// The diff of a failed case: expected vs actual alerts, then why each missing alert did not
/// come (the rule's condition with the value of every part).
fn failure_text(case: &rulec_testing::Case, r: &CaseResult, l: &Loaded) -> String {
    let mut out = String::from("--- expected\n+++ actual\n");
    for m in &r.missing {
        if let Some(e) = case.expect.get(m.expect) {
            out.push_str(&format!("- {}\n", expect_line(e)));
        }
    }
    for m in &r.mismatched {
        let (Some(e), Some(a)) = (case.expect.get(m.expect), r.alerts.get(m.actual)) else {
            continue;
        };
        out.push_str(&format!("~ {} (event {}):\n", expect_line(e), a.event));
        for p in &m.problems {
            out.push_str(&format!("    {p}\n"));
        }
    }
    for &i in &r.unexpected {
        if let Some(a) = r.alerts.get(i) {
            out.push_str(&format!(
                "+ {} ({}) at event {}: {}\n",
                a.alert.rule,
                rulec_testing::run::upper(a.alert.priority),
                a.event,
                a.alert.message
            ));
        }
    }
    if r.alerts.is_empty() {
        out.push_str("  (no alert was raised)\n");
    }
    for m in &r.missing {
        let Some(e) = case.expect.get(m.expect) else { continue };
        let at = l.files.first().map(|f| {
            let lc = f.line_col(e.loc.start as usize);
            format!("{}:{}:{}", f.name, lc.line, lc.col)
        });
        out.push_str(&format!(
            "why `{}` did not alert{}:\n",
            e.rule,
            at.map(|a| format!(" (expected at {a})")).unwrap_or_default()
        ));
        for n in &m.notes {
            out.push_str(&format!("  note: {n}\n"));
        }
        for t in &m.traces {
            out.push_str(&format!("  event {}: {}\n", t.event, t.summary));
            let mut lines = Vec::new();
            tree_lines(&t.tree, 2, true, &mut lines);
            for line in lines.iter().take(80) {
                out.push_str(line);
                out.push('\n');
            }
            if lines.len() > 80 {
                out.push_str(&format!("    … {} more lines\n", lines.len() - 80));
            }
        }
    }
    out
}

fn node_label(n: &TraceNode) -> String {
    let kind = match n.kind {
        TraceKind::And => "and",
        TraceKind::Or => "or",
        TraceKind::Not => "not",
        TraceKind::Const => "constant",
        TraceKind::Check => "check",
    };
    let mut s = n.text.clone().unwrap_or_else(|| format!("{kind} ({} checks)", n.checks()));
    if n.text.is_some() && matches!(n.kind, TraceKind::And | TraceKind::Or) {
        s = format!("{kind}: {s}");
    }
    if let Some(a) = &n.actual {
        s.push_str(&format!("    ← {a}"));
    }
    s
}

fn tree_lines(n: &TraceNode, depth: usize, expand: bool, out: &mut Vec<String>) {
    let mark = if n.value { "✓" } else { "✗" };
    out.push(format!("{}{mark} {}", "  ".repeat(depth), node_label(n)));
    if !expand {
        return;
    }
    for (i, c) in n.children.iter().enumerate() {
        tree_lines(c, depth + 1, n.decisive(i), out);
    }
}
