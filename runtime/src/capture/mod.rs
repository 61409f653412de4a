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

/// Reads from `src` until `buf` is full, the stream ends, or a read fails (a read that was
/// interrupted is retried): how many bytes were read, and the failure.
pub(crate) fn read_full(src: &mut (impl std::io::Read + ?Sized), buf: &mut [u8]) -> (usize, Option<std::io::Error>) {
    let mut got = 0;
    while got < buf.len() {
        match src.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return (got, Some(e)),
        }
    }
    (got, None)
}

/// One step of a capture reader's `Iterator`: the next event, or the end of the iteration at
/// the reader's end (`Ok(None)`) or first error, after which `done` keeps it ended.
fn fused_step<T, E>(done: &mut bool, next: Result<Option<T>, E>) -> Option<Result<T, E>> {
    let step = next.transpose();
    *done = !matches!(step, Some(Ok(_)));
    step
}
