//! [`Framer`]: the blocks it marks are the reader's own block starts, whatever the chunk sizes,
//! and each decodes unchecked to the event the checked decoder gives.

use super::super::decode::{Body, decode_event_block, decode_trusted};
use super::super::testdata::{block_starts, captures};
use super::*;

/// The stream offsets `Framer` marks in `bytes` handed over in chunks of `step` bytes, each at
/// buffer position `first`, with their notes.
fn marked(bytes: &[u8], step: usize, first: usize) -> Vec<(usize, u32)> {
    let mut f = Framer::default();
    let mut out = Vec::new();
    for (i, c) in bytes.chunks(step).enumerate() {
        let mut marks = Vec::new();
        f.index(c, first, &mut marks);
        assert!(marks.windows(2).all(|w| w[0].at < w[1].at), "marks increase");
        out.extend(marks.iter().map(|m| (i * step + m.at as usize - first, m.note)));
    }
    out
}

#[test]
fn marks_are_block_starts_that_decode_unchecked_as_checked() {
    for (_, bytes) in captures() {
        let starts = block_starts(&bytes);
        let whole = marked(&bytes, bytes.len(), 64);
        assert!(
            whole.len() > starts.len() / 2,
            "most blocks marked when the capture is one chunk: {} of {}",
            whole.len(),
            starts.len()
        );
        for step in [1, 7, 13, 4096, 65_536] {
            let some = marked(&bytes, step, 0);
            // A block is marked in smaller chunks only if it is when whole, and only when it
            // fits in one chunk.
            assert!(some.iter().all(|m| whole.contains(m)), "chunks of {step}");
            if step >= 4096 {
                assert!(some.len() * 2 > whole.len(), "chunks of {step}: {} of {}", some.len(), whole.len());
            }
        }
        for &(m, nparams) in &whole {
            assert!(starts.binary_search(&m).is_ok(), "a mark at {m} is a block start");
            let ty = u32::from_le_bytes(bytes[m..m + 4].try_into().unwrap());
            let len = u32::from_le_bytes(bytes[m + 4..m + 8].try_into().unwrap()) as usize;
            let body = &bytes[m + 8..m + len - 4];
            let (mut a, mut b) = (Event::empty(), Event::empty());
            assert!(decode_trusted(ty, body, nparams as usize, &mut a));
            assert!(decode_event_block(ty, Body::Borrowed(body), m as u64, &mut b, &mut Vec::new()).unwrap());
            assert_eq!(format!("{a:?}"), format!("{b:?}"), "block at {m}");
        }
    }
}

/// Damaged framing: nothing at or after the damage is marked.
#[test]
fn nothing_is_marked_after_the_framing_goes_wrong() {
    for (_, bytes) in captures() {
        let starts = block_starts(&bytes);
        let Some(&victim) = starts.get(starts.len() / 2) else { continue };
        for bad in [0u32, 11, MAX_BLOCK_LEN + 1] {
            let mut b = bytes.clone();
            b[victim + 4..victim + 8].copy_from_slice(&bad.to_le_bytes());
            assert!(marked(&b, 4096, 0).iter().all(|&(m, _)| m < victim), "length {bad}");
        }
        // A trailer that differs from the header.
        let len = u32::from_le_bytes(bytes[victim + 4..victim + 8].try_into().unwrap()) as usize;
        let mut b = bytes.clone();
        b[victim + len - 1] ^= 0x40;
        assert!(marked(&b, b.len(), 0).iter().all(|&(m, _)| m < victim), "trailer");
    }
}
