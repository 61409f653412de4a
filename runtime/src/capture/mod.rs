//! Reading and writing captures: the `.scap` reader ([`scap`], `scap/`), rulec's own JSON Lines format
//! (writer, reader and either-format open, `jsonl/`, re-exported here) and replaying a
//! capture through the state machine ([`replay`]), its source optionally read ahead by a
//! second thread ([`ahead`]). Captures are untrusted input; everything
//! here turns damage into errors, never panics.

pub mod ahead;
mod jsonl;
pub mod replay;
pub mod scap;

pub use jsonl::*;

/// One step of a capture reader's `Iterator`: the next event, or the end of the iteration at
/// the reader's end (`Ok(None)`) or first error, after which `done` keeps it ended.
fn fused_step<T, E>(done: &mut bool, next: Result<Option<T>, E>) -> Option<Result<T, E>> {
    let step = next.transpose();
    *done = !matches!(step, Some(Ok(_)));
    step
}
