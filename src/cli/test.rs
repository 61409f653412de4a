//! `rulec test`: finds test files (`*.tests.yaml`) under the given paths, loads the rules they
//! test, runs every case through the engine (in parallel, results kept in file order), and
//! reports per case with a diff for failures, as text, JSON or JUnit XML; `--bless` writes the
//! actual alerts back as the expectation; `--require-coverage` holds every enabled rule to a
//! positive and a negative case.
//!
//! The work is done by `rulec_runtime::testing`; this module reads and writes files, renders,
//! and picks the exit status: 0 every case passed, 1 a case failed (or coverage is missing
//! under `--require-coverage`), 2 a test file or its rules could not be used.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use regex::Regex;
use rulec_compiler::{Diagnostic, FileId, Location, SourceFile};
use rulec_runtime::engine::Backend;
use rulec_testing::bless::{self, BlessEdit};
use rulec_testing::run::{CaseResult, Status, Suite};
use rulec_testing::trace::{TraceKind, TraceNode};
use rulec_testing::{RuleCoverage, coverage, parse};
use serde_json::{Value as Json, json};

use super::{EXIT_CANNOT_RUN, EXIT_FINDINGS, EXIT_OK};
use crate::render::Renderer;

#[derive(Args, Debug)]
pub struct TestArgs {
    /// Test files, or directories searched for `*.tests.yaml` / `*.tests.yml` (default: the
    /// current directory).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Run only the cases whose name, or the name of a rule they expect or are about, matches.
    #[arg(long, value_name = "REGEX")]
    pub filter: Option<String>,

    /// The rule evaluation backend.
    #[arg(long, value_enum, default_value_t = BackendArg::Jit)]
    pub backend: BackendArg,

    /// Output format: text for people, one JSON document, or JUnit XML for CI dashboards.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Write the alerts each failing case raised into its test file as its new `expect`.
    /// Refused when the `CI` environment variable is set.
    #[arg(long)]
    pub bless: bool,

    /// Fail when an enabled rule has no positive case or no negative case.
    #[arg(long)]
    pub require_coverage: bool,

    /// Show every case's time and the total, and the full coverage table.
    #[arg(long, short)]
    pub verbose: bool,

    /// Cases run at once (default: the number of CPUs).
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, ValueEnum)]
pub enum BackendArg {
    Interp,
    Jit,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Junit,
}

/// The file id test files get (rules files are numbered from 0).
const TEST_FILE_ID: FileId = FileId(1_000_000);

/// One test file as far as it got.
struct Loaded {
    path: PathBuf,
    /// The test file followed by its rules files, for rendering diagnostics.
    files: Vec<SourceFile>,
    diagnostics: Vec<Diagnostic>,
    suite: Option<Suite>,
    /// An IO problem (unreadable file, missing rules file) in words.
    problem: Option<String>,
}

pub fn run(args: &TestArgs) -> i32 {
    if args.bless && std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
        eprintln!(
            "rulec: refusing to --bless with CI set: expectations are reviewed changes, not something a pipeline writes"
        );
        return EXIT_CANNOT_RUN;
    }
    let filter = match args.filter.as_deref().map(Regex::new).transpose() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("rulec: --filter is not a valid regular expression: {e}");
            return EXIT_CANNOT_RUN;
        }
    };
    let roots = if args.paths.is_empty() { vec![PathBuf::from(".")] } else { args.paths.clone() };
    let mut paths = Vec::new();
    for root in &roots {
        if let Err(e) = discover(root, &mut paths) {
            eprintln!("rulec: {e}");
            return EXIT_CANNOT_RUN;
        }
    }
    if paths.is_empty() {
        eprintln!(
            "rulec: no test files (*.tests.yaml) under {}",
            roots.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        );
        return EXIT_CANNOT_RUN;
    }
    let loaded: Vec<Loaded> = paths.iter().map(|p| load(p)).collect();
    let backend = match args.backend {
        BackendArg::Interp => Backend::Interp,
        BackendArg::Jit => Backend::Jit,
    };

    // Every selected case of every usable file, in file order.
    let mut jobs: Vec<(usize, usize)> = Vec::new();
    for (fi, l) in loaded.iter().enumerate() {
        let Some(suite) = &l.suite else { continue };
        for (ci, case) in suite.file.cases.iter().enumerate() {
            if selected(filter.as_ref(), case) {
                jobs.push((fi, ci));
            }
        }
    }
    let started = Instant::now();
    let results = run_parallel(&loaded, &jobs, backend, args.jobs);
    let total = started.elapsed();

    let coverage = coverage_of(&loaded);
    let mut blessed = Vec::new();
    if args.bless {
        match bless_files(&loaded, &jobs, &results) {
            Ok(b) => blessed = b,
            Err(e) => {
                eprintln!("rulec: {e}");
                return EXIT_CANNOT_RUN;
            }
        }
    }
    let report = Report {
        loaded: &loaded,
        jobs: &jobs,
        results: &results,
        coverage: &coverage,
        verbose: args.verbose,
        total,
        blessed: &blessed,
    };
    let output = match args.format {
        Format::Text => report.text(super::stdout_color()),
        Format::Json => report.json(),
        Format::Junit => match report.junit() {
            Ok(x) => x,
            Err(e) => {
                eprintln!("rulec: cannot write JUnit XML: {e}");
                return EXIT_CANNOT_RUN;
            }
        },
    };
    if let Err(status) = super::print_stdout(&output) {
        return status;
    }
    if loaded.iter().any(|l| l.suite.is_none()) {
        return EXIT_CANNOT_RUN;
    }
    let blessed_case = |j: usize| {
        blessed.iter().any(|(fi, t, _)| {
            *fi == jobs[j].0 && loaded[*fi].suite.as_ref().is_some_and(|s| s.file.cases[jobs[j].1].template == *t)
        })
    };
    let failed = results
        .iter()
        .enumerate()
        .any(|(j, r)| matches!(r.status, Status::Fail | Status::Error(_)) && !blessed_case(j));
    let uncovered = args.require_coverage && coverage.iter().any(|(_, c)| c.enabled && !c.complete());
    if failed || uncovered { EXIT_FINDINGS } else { EXIT_OK }
}

/// Test files under `root`: the file itself when it is one, else every `*.tests.yaml` /
/// `*.tests.yml` below it (hidden directories and `target` skipped), sorted.
fn discover(root: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let meta = std::fs::metadata(root).map_err(|e| format!("cannot read {}: {}", root.display(), io_reason(&e)))?;
    if meta.is_file() {
        out.push(root.to_path_buf());
        return Ok(());
    }
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let Ok(ft) = entry.file_type() else { continue };
            if ft.is_dir() {
                if !name.starts_with('.') && name != "target" {
                    stack.push(path);
                }
            } else if name.ends_with(".tests.yaml") || name.ends_with(".tests.yml") {
                found.push(path);
            }
        }
    }
    found.sort();
    out.extend(found);
    Ok(())
}

fn read_text(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {}", path.display(), io_reason(&e)))?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "cannot read {}: not UTF-8 text (invalid byte at offset {})",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })
}

fn io_reason(error: &std::io::Error) -> String {
    let message = error.to_string();
    match message.rfind(" (os error ") {
        Some(at) if message.ends_with(')') => message[..at].to_owned(),
        _ => message,
    }
}

/// The rules file beside a test file: `foo.tests.yaml` → `foo.yaml` (or `foo.yml`).
fn sibling_rules(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?.to_str()?;
    let stem = name.strip_suffix(".tests.yaml").or_else(|| name.strip_suffix(".tests.yml"))?;
    let dir = path.parent().unwrap_or(Path::new(""));
    [format!("{stem}.yaml"), format!("{stem}.yml")].into_iter().map(|n| dir.join(n)).find(|p| p.exists())
}

fn load(path: &Path) -> Loaded {
    let mut l =
        Loaded { path: path.to_path_buf(), files: Vec::new(), diagnostics: Vec::new(), suite: None, problem: None };
    let text = match read_text(path) {
        Ok(t) => t,
        Err(e) => {
            l.problem = Some(e);
            return l;
        }
    };
    let test_src = SourceFile::new(TEST_FILE_ID, path.display().to_string(), text);
    let (file, diags) = parse(&test_src);
    l.files.push(test_src);
    l.diagnostics = diags;
    let Some(file) = file else { return l };
    if l.diagnostics.iter().any(Diagnostic::is_error) {
        return l;
    }
    let dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
    let test_loc = Location::new(TEST_FILE_ID, 0, 0);
    let rule_paths: Vec<(PathBuf, Location)> = if file.rules.is_empty() {
        match sibling_rules(path) {
            Some(p) => vec![(p, test_loc)],
            None => {
                l.problem = Some(format!(
                    "{}: the file names no `rules:` and there is no rules file beside it (for `NAME.tests.yaml`, `NAME.yaml`)",
                    path.display()
                ));
                return l;
            }
        }
    } else {
        file.rules.iter().map(|(p, loc)| (dir.join(p), *loc)).collect()
    };
    let mut sources = Vec::new();
    for (i, (p, loc)) in rule_paths.iter().enumerate() {
        match read_text(p) {
            Ok(text) => sources.push(SourceFile::new(FileId(i as u32), p.display().to_string(), text)),
            Err(e) => {
                l.diagnostics.push(Diagnostic::new(rulec_compiler::Code::TestRulesFile, *loc, e));
                return l;
            }
        }
    }
    l.files.extend(sources.iter().cloned());
    match Suite::new(file, sources, dir, test_loc) {
        Ok(s) => l.suite = Some(s),
        Err(d) => l.diagnostics.extend(d),
    }
    l
}

fn selected(filter: Option<&Regex>, case: &rulec_testing::Case) -> bool {
    let Some(re) = filter else { return true };
    re.is_match(&case.name)
        || case.expect.iter().any(|e| re.is_match(&e.rule))
        || case.about.iter().any(|(n, _)| re.is_match(n))
}

/// Runs `jobs` on worker threads; the results are in job order whatever order they finish in.
fn run_parallel(
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

/// Coverage per rules set, by the rules files' names (several test files of the same rules
/// add up).
fn coverage_of(loaded: &[Loaded]) -> Vec<(String, RuleCoverage)> {
    // (key, rules files as named, coverage)
    let mut out: Vec<(String, String, RuleCoverage)> = Vec::new();
    for l in loaded {
        let Some(s) = &l.suite else { continue };
        // By the files themselves: `rules/x.yaml` and `tests/../rules/x.yaml` are one rules set.
        let key = s
            .sources
            .iter()
            .map(|f| std::fs::canonicalize(&f.name).map_or_else(|_| f.name.clone(), |p| p.display().to_string()))
            .collect::<Vec<_>>()
            .join(" + ");
        let shown = s.sources.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(" + ");
        for c in coverage(s) {
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

/// Writes the actual alerts of failing cases into their files; returns (file, template,
/// message) for each case blessed or refused.
fn bless_files(
    loaded: &[Loaded],
    jobs: &[(usize, usize)],
    results: &[CaseResult],
) -> Result<Vec<(usize, usize, String)>, String> {
    let mut out = Vec::new();
    for (fi, l) in loaded.iter().enumerate() {
        let Some(suite) = &l.suite else { continue };
        let Some(src) = l.files.first() else { continue };
        let mut edits: Vec<BlessEdit> = Vec::new();
        let mut templates: Vec<usize> =
            jobs.iter().filter(|(f, _)| *f == fi).map(|(_, c)| suite.file.cases[*c].template).collect();
        templates.dedup();
        for t in templates {
            let mine: Vec<(usize, &CaseResult)> = jobs
                .iter()
                .zip(results)
                .filter(|((f, c), _)| *f == fi && suite.file.cases[*c].template == t)
                .map(|((_, c), r)| (*c, r))
                .collect();
            if !mine.iter().any(|(_, r)| r.status == Status::Fail) {
                continue;
            }
            let lists: Vec<Vec<(String, rulec_compiler::items::Priority)>> = mine
                .iter()
                .map(|(_, r)| r.alerts.iter().map(|a| (a.alert.rule.clone(), a.alert.priority)).collect())
                .collect();
            let Some((first_case, _)) = mine.first() else { continue };
            let case = &suite.file.cases[*first_case];
            if lists.windows(2).any(|w| w[0] != w[1]) {
                out.push((
                    fi,
                    t,
                    format!(
                        "not blessed: `{}`: its parameter sets raise different alerts; write their `expect` by hand",
                        case.name
                    ),
                ));
                continue;
            }
            if mine.iter().any(|(_, r)| matches!(r.status, Status::Error(_))) {
                continue;
            }
            edits.push(BlessEdit {
                case_loc: case.loc,
                expect_loc: case.expect_loc,
                alerts: lists.into_iter().next().unwrap_or_default(),
            });
            out.push((fi, t, format!("blessed: {}", case.name)));
        }
        if edits.is_empty() {
            continue;
        }
        let new = bless::apply(&src.text, &edits);
        std::fs::write(&l.path, new).map_err(|e| format!("cannot write {}: {}", l.path.display(), io_reason(&e)))?;
    }
    Ok(out)
}

// ---- rendering ------------------------------------------------------------------------------

struct Report<'a> {
    loaded: &'a [Loaded],
    jobs: &'a [(usize, usize)],
    results: &'a [CaseResult],
    coverage: &'a [(String, RuleCoverage)],
    verbose: bool,
    total: Duration,
    blessed: &'a [(usize, usize, String)],
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

    fn text(&self, color: bool) -> String {
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

    fn json(&self) -> String {
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

    fn junit(&self) -> Result<String, String> {
        use quick_junit::{NonSuccessKind, Report as JReport, TestCase, TestCaseStatus, TestSuite};
        let mut report = JReport::new("rulec test");
        for (fi, l) in self.loaded.iter().enumerate() {
            let name = l.path.display().to_string();
            let mut suite = TestSuite::new(name.clone());
            if l.suite.is_none() {
                // A file that could not run is one errored test case, so dashboards show it.
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
                let renderer = Renderer::new(&l.files);
                let mut text: String =
                    l.diagnostics.iter().map(|d| renderer.text(d, false)).collect::<Vec<_>>().join("\n");
                if let Some(p) = &l.problem {
                    text.push_str(p);
                }
                status.set_message("the test file could not run").set_type("rulec.load").set_description(text);
                let mut tc = TestCase::new("(load)", status);
                tc.set_classname(name.clone());
                suite.add_test_case(tc);
            }
            for (case, r) in self.case_results(fi) {
                let status = match &r.status {
                    Status::Pass => TestCaseStatus::success(),
                    Status::Skip(reason) => {
                        let mut s = TestCaseStatus::skipped();
                        s.set_message(reason.clone());
                        s
                    }
                    Status::Error(e) => {
                        let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
                        s.set_message(e.clone()).set_type("rulec.error");
                        s
                    }
                    Status::Fail => {
                        let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                        s.set_message(failure_summary(r))
                            .set_type("rulec.alerts")
                            .set_description(failure_text(case, r, l));
                        s
                    }
                };
                let mut tc = TestCase::new(case.name.clone(), status);
                tc.set_classname(name.clone());
                tc.set_time(r.duration);
                suite.add_test_case(tc);
            }
            report.add_test_suite(suite);
        }
        report.set_time(self.total);
        let xml = report.to_string().map_err(|e| e.to_string())?;
        // Jenkins' junit-10.xsd, which dashboards validate against, has no `skipped` on
        // `<testsuites>` (each `<testsuite>` carries its own); quick-junit writes one.
        let Some(open) = xml.find("<testsuites") else {
            return Ok(xml);
        };
        let close = xml[open..].find('>').map_or(xml.len(), |i| open + i);
        let tag =
            Regex::new(r#" skipped="\d+""#).map_err(|e| e.to_string())?.replace(&xml[open..close], "").into_owned();
        Ok(format!("{}{tag}{}", &xml[..open], &xml[close..]))
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
