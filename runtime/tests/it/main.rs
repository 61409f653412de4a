//! The integration tests of the runtime: captures and replay, the engine, evaluation on both backends (operators, properties, differential, verdicts remembered by value and by thread), agreement with sysdig.
//!
//! They are modules of one test binary rather than one binary per file: each binary links the
//! whole dependency tree, so one per crate builds and links much faster. A module per subject,
//! named as its file was before (`cargo test --test it MODULE::` runs one); insta names the
//! snapshots `it__MODULE__NAME.snap`, in `snapshots/` here.

mod common;

mod alert_split;
mod background_compiles;
mod capture_format;
mod captures;
mod decode_only;
mod derived_values;
mod differential_real;
mod engine;
mod eval_ops;
mod eval_props;
mod generated_streams;
mod handwritten;
mod ir_cases;
mod jit_batches;
mod jit_strings;
mod scap_write;
mod sysdig_fields;
mod sysdig_verdicts;
mod thread_memo;
mod value_memo;
