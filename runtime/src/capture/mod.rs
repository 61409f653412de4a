//! Reading and writing captures: the `.scap` reader ([`scap`], `scap/`), rulec's own JSON Lines format
//! (writer, reader and either-format open, `jsonl/`, re-exported here) and replaying a
//! capture through the state machine ([`replay`]). Captures are untrusted input; everything
//! here turns damage into errors, never panics.

mod jsonl;
pub mod replay;
pub mod scap;

pub use jsonl::*;
