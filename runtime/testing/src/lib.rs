//! Golden-event tests of rules (`rulec test`): "these events in, these alerts out".
//!
//! This module owns everything about test files except the terminal: the model
//! ([`model`]), reading YAML with exact positions and `E06xx` diagnostics ([`parse`]), building
//! the starting world and filling in event defaults ([`world`], with container metadata and DNS
//! names; from the model alone, never from the parser's types), running a case through the real state machine and engine
//! and comparing alerts with expectations ([`run`]), tracing a rule's condition for a missing
//! alert ([`trace`]), rule coverage ([`coverage`]) and the `--bless` rewrite ([`bless`]). `src/cli/test/` finds files, runs cases in parallel and
//! prints; `docs/testing.md` documents the format for rule authors.
//!
//! Matching expectations with alerts: each expected alert, in order, takes the first alert not
//! yet taken of its rule (and event, when given) that satisfies all its details; failing that,
//! the first of its rule, reported as a mismatch with what differs; failing that, it is
//! missing. Alerts left over are unexpected unless the case has `allow_other_alerts: true`.

pub mod bless;
pub mod coverage;
pub mod model;
pub mod parse;
pub mod run;
pub mod trace;
pub mod world;

pub use coverage::{RuleCoverage, case_counts, coverage};
pub use model::{Case, Expect, Input, TestFile};
pub use parse::parse;
pub use run::{CaseResult, Status, Suite};

#[cfg(test)]
mod tests;
