//! The rulec language server (`rulec lsp`): diagnostics as you type, completion, hover,
//! navigation, rename, symbols, folding, semantic tokens, code actions, inlay hints, code lenses
//! and condition formatting for Falco-compatible rules files.
//!
//! Layers: [`file_kind`] tells rules files (by content), configuration and test files from other
//! YAML; [`workspace`] indexes the workspace's rules files by the names they define and use;
//! [`analysis`] turns document texts into check units and results (pure, no IO);
//! [`index`], [`cond_context`] and [`yaml_context`] locate what the cursor is on; [`features`]
//! answers each request as a pure function of a snapshot; [`server`] is the only part that
//! speaks the protocol, reads files and owns state. Only this crate knows LSP types: the compiler
//! is used as a library and never sees them.

pub mod analysis;
pub mod cond_context;
pub mod convert;
pub mod features;
pub mod file_kind;
#[doc(hidden)]
pub mod fixture;
pub mod index;
pub mod server;
pub mod transport;
pub mod workspace;
pub mod yaml_context;

/// Runs the language server on stdin/stdout until the client exits; returns the exit status
/// (0 after `shutdown` then `exit`, or when the client closes the stream).
pub fn run_stdio() -> i32 {
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("rulec lsp: cannot start: {e}");
            return 2;
        }
    };
    let debug_panic = std::env::var_os("RULEC_LSP_DEBUG_PANIC").is_some();
    runtime.block_on(transport::serve(tokio::io::stdin(), tokio::io::stdout(), debug_panic));
    // Stdin is read on a blocking thread that may still wait for input the client never sends.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    0
}
