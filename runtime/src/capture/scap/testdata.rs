//! What the scap modules' tests read of the shared captures: each file's bytes, decompressed,
//! and the starts of its blocks (walked by their lengths).

use std::path::PathBuf;

/// The shared captures, each with its bytes decompressed (none, after saying why, when they
/// are absent).
pub(super) fn captures() -> Vec<(PathBuf, Vec<u8>)> {
    let plain = |b: Vec<u8>| {
        if !b.starts_with(&[0x1f, 0x8b]) {
            return b;
        }
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::MultiGzDecoder::new(&b[..]), &mut out).expect("gzip");
        out
    };
    let files = rulec_test_support::shared_files("captures", "scap");
    files.into_iter().map(|p| (p.clone(), plain(std::fs::read(&p).expect("readable")))).collect()
}

/// The start offsets of the blocks of `bytes`, walked by their lengths until the framing ends.
pub(super) fn block_starts(bytes: &[u8]) -> Vec<usize> {
    let mut at = 0;
    let mut out = Vec::new();
    while let Some(h) = bytes.get(at..at + 8) {
        let len = u32::from_le_bytes([h[4], h[5], h[6], h[7]]) as usize;
        if len < 12 || at + len > bytes.len() {
            break;
        }
        out.push(at);
        at += len;
    }
    out
}
