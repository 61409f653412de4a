//! The JSON report: one document with every file, case, alert, missing alert (with its
//! condition traces), coverage entry and the summary.

use rulec_testing::run::{CaseResult, Status};
use rulec_testing::trace::{TraceKind, TraceNode};
use serde_json::{Value as Json, json};

use super::super::files::Loaded;
use super::{Report, backend_name, failure_text};
use crate::render::Renderer;

impl Report<'_> {
    pub(in crate::cli::test) fn json(&self) -> String {
        let mut files = Vec::new();
        for (fi, l) in self.loaded.iter().enumerate() {
            let renderer = Renderer::new(&l.files);
            let diags: Vec<_> = l.diagnostics.iter().map(|d| renderer.json(d)).collect();
            let cases: Vec<Json> = self.case_results(fi).map(|(case, r)| case_json(case, r, l, self.verbose)).collect();
            let rules: Vec<String> =
                l.suite.as_ref().map(|s| s.sources.iter().map(|f| f.name.clone()).collect()).unwrap_or_default();
            files.push(json!({
                "file": l.path.display().to_string(),
                "rules": rules,
                "error": l.problem,
                "diagnostics": diags,
                "cases": cases,
            }));
        }
        let (passed, failed, skipped) = self.counts();
        let coverage: Vec<Json> = self
            .coverage
            .iter()
            .map(|(k, c)| json!({"rules": k, "rule": c.rule, "enabled": c.enabled, "positive": c.positive, "negative": c.negative}))
            .collect();
        let blessed: Vec<&str> = self.blessed.iter().map(|(_, _, m)| m.as_str()).collect();
        let doc = json!({
            "files": files,
            "coverage": coverage,
            "blessed": blessed,
            "summary": {"passed": passed, "failed": failed, "skipped": skipped},
        });
        let mut s = serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".into());
        s.push('\n');
        s
    }
}

fn case_json(case: &rulec_testing::Case, r: &CaseResult, l: &Loaded, verbose: bool) -> Json {
    let status = match &r.status {
        Status::Pass => "pass",
        Status::Fail => "fail",
        Status::Skip(_) => "skip",
        Status::Error(_) => "error",
    };
    let alerts: Vec<Json> = r
        .alerts
        .iter()
        .map(|a| json!({"rule": a.alert.rule, "priority": rulec_testing::run::upper(a.alert.priority), "event": a.event, "output": a.alert.output, "message": a.alert.message, "output_fields": a.alert.output_fields}))
        .collect();
    let missing: Vec<Json> = r
        .missing
        .iter()
        .filter_map(|m| {
            let e = case.expect.get(m.expect)?;
            let traces: Vec<Json> = m
                .traces
                .iter()
                .map(|t| json!({"event": t.event, "summary": t.summary, "condition": trace_json(&t.tree)}))
                .collect();
            Some(json!({"rule": e.rule, "notes": m.notes, "traces": traces}))
        })
        .collect();
    let mismatched: Vec<Json> = r
        .mismatched
        .iter()
        .filter_map(|m| {
            Some(json!({"rule": case.expect.get(m.expect)?.rule, "alert": m.actual, "problems": m.problems}))
        })
        .collect();
    let mut j = json!({
        "name": case.name,
        "status": status,
        "backend": backend_name(r.backend),
        "events": r.events,
        "alerts": alerts,
        "missing": missing,
        "mismatched": mismatched,
        "unexpected": r.unexpected,
    });
    if let Status::Skip(reason) | Status::Error(reason) = &r.status {
        j["reason"] = json!(reason);
    }
    if r.status == Status::Fail {
        j["diff"] = json!(failure_text(case, r, l));
    }
    if verbose {
        j["duration_ms"] = json!(r.duration.as_secs_f64() * 1000.0);
    }
    j
}

fn trace_json(n: &TraceNode) -> Json {
    let kind = match n.kind {
        TraceKind::And => "and",
        TraceKind::Or => "or",
        TraceKind::Not => "not",
        TraceKind::Const => "const",
        TraceKind::Check => "check",
    };
    json!({
        "kind": kind,
        "value": n.value,
        "text": n.text,
        "actual": n.actual,
        "children": n.children.iter().map(trace_json).collect::<Vec<_>>(),
    })
}
