//! `rulec test`: finds test files (`*.tests.yaml`) under the given paths, loads the rules they
//! test, runs every case through the engine (in parallel, results kept in file order), and
//! reports per case with a diff for failures, as text, JSON or JUnit XML; `--bless` writes the
//! actual alerts back as the expectation; `--require-coverage` holds every enabled rule to a
//! positive and a negative case.
//!
//! The work is done by `rulec_testing`; this command finds and loads the files ([`files`]),
//! runs the selected cases in parallel ([`execute`]), writes `--bless` edits ([`bless`]),
//! renders the report ([`report`]), and picks the exit status: 0 every case passed, 1 a case
//! failed (or coverage is missing under `--require-coverage`), 2 a test file or its rules could
//! not be used.

mod bless;
mod execute;
mod files;
mod project;
mod report;

use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, ValueEnum};
use regex::Regex;
use rulec_runtime::engine::Backend;
use rulec_testing::run::Status;

use super::{EXIT_CANNOT_RUN, EXIT_FINDINGS, EXIT_OK};
use bless::bless_files;
use execute::{coverage_of, run_parallel, selected};
use files::{Loaded, discover, load};
use report::Report;

#[derive(Args, Debug)]
pub struct TestArgs {
    /// Test files, or directories searched for `*.tests.yaml` / `*.tests.yml` (default: the
    /// `tests` paths of the nearest `rulec.toml`, else the current directory).
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
    let roots = match test_paths(args) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("rulec: {e}");
            return EXIT_CANNOT_RUN;
        }
    };
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

/// The paths to search: the command line's; without any, the `tests` of the nearest
/// `rulec.toml` (an error if it cannot be used); without one, the current directory.
fn test_paths(args: &TestArgs) -> Result<Vec<PathBuf>, String> {
    if !args.paths.is_empty() {
        return Ok(args.paths.clone());
    }
    match project::find() {
        Some(path) => project::load(&path),
        None => Ok(vec![PathBuf::from(".")]),
    }
}
