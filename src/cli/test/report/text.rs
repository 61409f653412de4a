//! The text report for people: per file, each case's status (with the diff of a failure), the
//! coverage lines and the summary, coloured when asked.

use rulec_testing::RuleCoverage;
use rulec_testing::run::Status;

use super::{Report, backend_name, failure_text, indent, ms};
use crate::render::Renderer;

impl Report<'_> {
    pub(in crate::cli::test) fn text(&self, color: bool) -> String {
        let paint = |s: &str, code: &str| {
            if color { format!("\x1b[{code}m{s}\x1b[0m") } else { s.to_owned() }
        };
        let mut out = String::new();
        for (fi, l) in self.loaded.iter().enumerate() {
            out.push_str(&format!("{}\n", l.path.display()));
            if let Some(p) = &l.problem {
                out.push_str(&format!("  {}: {p}\n", paint("error", "1;31")));
            }
            if !l.diagnostics.is_empty() {
                let renderer = Renderer::new(&l.files);
                for d in &l.diagnostics {
                    out.push_str(&renderer.text(d, color));
                    out.push('\n');
                }
            }
            for (case, r) in self.case_results(fi) {
                let (tag, code) = match &r.status {
                    Status::Pass => ("PASS", "32"),
                    Status::Fail => ("FAIL", "1;31"),
                    Status::Skip(_) => ("SKIP", "33"),
                    Status::Error(_) => ("ERROR", "1;31"),
                };
                let mut line = format!("  {}  {}", paint(&format!("{tag:<5}"), code), case.name);
                if let Status::Skip(reason) = &r.status {
                    line.push_str(&format!(" ({reason})"));
                }
                if self.verbose && !matches!(r.status, Status::Skip(_)) {
                    line.push_str(&format!("  [{}, {} events, {}]", backend_name(r.backend), r.events, ms(r.duration)));
                }
                out.push_str(&line);
                out.push('\n');
                if let Status::Error(e) = &r.status {
                    out.push_str(&format!("        {e}\n"));
                }
                if r.status == Status::Fail {
                    out.push_str(&indent(&failure_text(case, r, l), 8));
                }
                if let Some(e) = &r.jit_error
                    && self.verbose
                {
                    out.push_str(&format!(
                        "        note: the JIT could not compile the rules, the interpreter ran: {e}\n"
                    ));
                }
            }
            for (_, _, msg) in self.blessed.iter().filter(|(f, _, _)| *f == fi) {
                out.push_str(&format!("  {msg}\n"));
            }
        }
        out.push_str(&self.coverage_text());
        let (passed, failed, skipped) = self.counts();
        let mut summary = format!("{passed} passed, {failed} failed");
        if skipped > 0 {
            summary.push_str(&format!(", {skipped} skipped"));
        }
        let broken = self.loaded.iter().filter(|l| l.suite.is_none()).count();
        if broken > 0 {
            summary.push_str(&format!("; {broken} test file{} could not run", if broken == 1 { "" } else { "s" }));
        }
        if self.verbose {
            summary.push_str(&format!(" ({})", ms(self.total)));
        }
        out.push_str(&summary);
        out.push('\n');
        out
    }

    fn coverage_text(&self) -> String {
        let mut out = String::new();
        let enabled: Vec<&(String, RuleCoverage)> = self.coverage.iter().filter(|(_, c)| c.enabled).collect();
        if enabled.is_empty() {
            return out;
        }
        let complete = enabled.iter().filter(|(_, c)| c.complete()).count();
        out.push_str(&format!(
            "coverage: {complete} of {} enabled rules have a positive and a negative case\n",
            enabled.len()
        ));
        for (_, c) in &enabled {
            let lacks = match (c.positive, c.negative) {
                (0, 0) => "no positive case, no negative case",
                (0, _) => "no positive case",
                (_, 0) => "no negative case",
                _ => {
                    if self.verbose {
                        out.push_str(&format!("  {} positive, {} negative: {}\n", c.positive, c.negative, c.rule));
                    }
                    continue;
                }
            };
            out.push_str(&format!("  {lacks}: {}\n", c.rule));
        }
        out
    }
}
