//! The bodies of the fuzz targets in `compiler/fuzz/`, as plain functions from input bytes to
//! checked invariants: each runs one stage on hostile input and panics when an invariant breaks
//! (a panic inside the stage is a finding too). cargo fuzz calls them from one-line targets;
//! `tests/regressions.rs` runs the kept inputs (`compiler/fuzz/regressions/<target>/`) and the
//! seeds through the same functions on every `cargo test`, so a fixed crash stays fixed.
//!
//! Targets: [`lsp`] (the language server's transport and message dispatch), [`capture`] (the
//! `.scap` and JSON Lines readers with the state machine and the field extractors behind them),
//! [`testfile`] (the `rulec test` file parser, world and event building) and [`differential`]
//! (random conditions over the real schema fields on generated events: interpreter and JIT must
//! raise the same alerts). [`choices`] turns fuzz bytes into decisions.

pub mod capture;
pub mod choices;
pub mod differential;
pub mod lsp;
pub mod seeds;
pub mod testfile;

/// Every target, by the name of its folder under `compiler/fuzz/regressions/` and `seeds/`.
pub const TARGETS: &[(&str, fn(&[u8]))] = &[
    ("lsp_stream", lsp::run),
    ("read_scap", capture::run_scap),
    ("read_jsonl", capture::run_jsonl),
    ("test_file", testfile::run),
    ("interp_vs_jit", differential::run),
];
