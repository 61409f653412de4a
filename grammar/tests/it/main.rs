//! The integration tests of the grammar: syntax trees, errors, output formats, printing, robustness, conformance on the upstream rules.
//!
//! They are modules of one test binary rather than one binary per file: each binary links the
//! whole dependency tree, so one per crate builds and links much faster. A module per subject,
//! named as its file was before (`cargo test --test it MODULE::` runs one); insta names the
//! snapshots `it__MODULE__NAME.snap`, in `snapshots/` here.

mod common;

mod conformance;
mod errors;
mod output;
mod print;
mod robustness;
mod syntax;
