//! Argument parsing and dispatch for the `rulec` binary, plus the few conventions every
//! subcommand shares: exit statuses, when to use colour, and writing to stdout without
//! panicking when the reader goes away (`rulec codes | head`).
//!
//! Each subcommand lives in its own module with an `Args` struct and a `run` returning the exit
//! status; this module knows nothing about what they do.

pub mod bench;
pub mod bench_capture;
mod bench_capture_render;
pub mod bench_filters;
pub mod bench_live;
pub mod bench_rules;
pub mod bench_scale;
pub mod bench_sysdig;
pub mod capture;
pub mod capture_print;
pub mod capture_record;
pub mod capture_repeat;
pub mod check;
pub mod check_fix;
pub mod codes;
pub mod fields;
pub mod filter;
pub mod reload;
pub mod run;
pub mod run_config;
pub mod run_opts;
pub mod selftest;
pub mod stdlib;
pub mod stdlib_doc;
pub mod test;

use std::ffi::OsString;
use std::io::{IsTerminal, Write};

use clap::{Parser, Subcommand};

/// Nothing wrong was found.
pub const EXIT_OK: i32 = 0;
/// The command ran and found errors (for `check`: at least one error-severity diagnostic).
pub const EXIT_FINDINGS: i32 = 1;
/// The command could not run: bad arguments, an unreadable file. clap uses the same status for
/// its usage errors.
pub const EXIT_CANNOT_RUN: i32 = 2;

/// Toolchain for Falco-compatible runtime-security rules.
#[derive(Parser, Debug)]
#[command(name = "rulec", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check rules files: YAML shape, condition syntax, fields, types, macros and lists.
    Check(check::CheckArgs),
    /// Show the fields that conditions and outputs can use.
    Fields(fields::FieldsArgs),
    /// Print the reference of every diagnostic code.
    Codes(codes::CodesArgs),
    /// Measure rule evaluation: interpreter, JIT and a hand-written predicate, side by side.
    Bench(bench::BenchArgs),
    /// Run golden-event tests of rules: these events in, these alerts out.
    Test(test::TestArgs),
    /// Record the live stream into a .scap file; convert, summarise or print a capture.
    Capture(capture::CaptureArgs),
    /// Run the rules on the host, or on a recorded capture (--replay), printing alerts.
    Run(run::RunArgs),
    /// Prove detection works on this host: harmless actions the default rules detect, a table of
    /// detected and missed rules (needs root, like run).
    Selftest(selftest::SelftestArgs),
    /// The embedded default ruleset: list its rules, show one by name, print its reference page.
    Stdlib(stdlib::StdlibArgs),
    /// Run the language server on stdin/stdout (for editors).
    Lsp,
}

/// Parses `args` (program name first) and runs the subcommand; returns the exit status.
pub fn run<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) => {
            // clap renders help and version as "errors" too, with exit status 0; usage errors
            // get 2. Its own `print` picks stdout or stderr accordingly.
            let _ = err.print();
            return err.exit_code();
        }
    };
    match &cli.command {
        Command::Check(args) => check::run(args),
        Command::Fields(args) => fields::run(args),
        Command::Codes(args) => codes::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Test(args) => test::run(args),
        Command::Capture(args) => capture::run(args),
        Command::Run(args) => run::run(args),
        Command::Selftest(args) => selftest::run(args),
        Command::Stdlib(args) => stdlib::run(args),
        Command::Lsp => rulec_lsp::run_stdio(),
    }
}

/// Whether output to stdout should carry ANSI colours: only for a terminal, and never when
/// `NO_COLOR` is set to a non-empty value (https://no-color.org).
pub fn stdout_color() -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    !no_color && std::io::stdout().is_terminal()
}

/// Writes `text` to stdout. A closed pipe is not an error worth reporting (the reader has all it
/// wanted); any other write failure means the command could not do its job.
pub fn print_stdout(text: &str) -> Result<(), i32> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => {
            eprintln!("rulec: cannot write output: {e}");
            Err(EXIT_CANNOT_RUN)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
