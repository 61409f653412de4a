//! The `rulec` command line: argument parsing and the terminal/JSON presentation of what the
//! library crates compute. All real work lives in rulec-compiler and rulec-runtime.

/// Runs the command line and returns the process exit status (0 ok, 1 findings, 2 could not run).
pub fn main() -> i32 {
    0
}
