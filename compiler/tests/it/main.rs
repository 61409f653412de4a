//! The integration tests of the compiler: loading, checking and the fixes diagnostics carry (the snapshots of `cases/` are drawn by the CLI's renderer, in the root's `tests/it/diagnostics.rs`), the IR pipeline, conformance on the upstream rules, fuzz regressions.
//!
//! They are modules of one test binary rather than one binary per file: each binary links the
//! whole dependency tree, so one per crate builds and links much faster. A module per subject,
//! named as its file was before (`cargo test --test it MODULE::` runs one); insta names the
//! snapshots `it__MODULE__NAME.snap`, in `snapshots/` here.

mod conformance;
mod falco_corpus;
mod fixes;
mod fuzz_regressions;
mod hostile_shapes;
mod ir_pipeline;
mod ir_text;
mod load_conformance;
mod load_merge;
