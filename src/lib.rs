//! The `rulec` command line: argument parsing ([`cli`]) and the terminal and JSON presentation of
//! what the library crates compute ([`render`]). All real work lives in rulec-compiler and
//! rulec-runtime; this crate reads files, chooses colours and exit codes, and prints.

pub mod alert_format;
pub mod cli;
pub use rulec_compiler::config;
pub mod live;
pub mod metrics;
pub mod render;

/// Runs the command line and returns the process exit status (0 ok, 1 findings, 2 could not run).
pub fn main() -> i32 {
    cli::run(std::env::args_os())
}
