//! The rulec language server: stub while being built.

/// Runs the language server on stdin/stdout; returns the process exit status.
pub fn run_stdio() -> i32 {
    0
}
