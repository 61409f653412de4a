//! [`repeat_events`]: a capture's events played several times in a row, for benchmarks on
//! captures too short to time (the reader's block walk checks the copy's source).

use std::io::Read;

use super::super::{MAX_REPEATED_LEN, ScapError, ScapReader, err, is_event_block};

/// A capture whose events are played `times` times in a row: the file's blocks as they are,
/// then `times - 1` more copies of its event blocks (timestamps restart with each copy; readers
/// do not require them to increase). For benchmarks on captures too short to time. A gzip file
/// is decompressed first; the result is plain. The blocks are checked as [`ScapReader`] checks
/// them (lengths, trailers, limits), so a damaged file gives an error, not a damaged copy.
pub fn repeat_events(file: &[u8], times: usize) -> Result<Vec<u8>, ScapError> {
    let plain: std::borrow::Cow<'_, [u8]> = if file.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(file).read_to_end(&mut out).map_err(|e| ScapError {
            offset: 0,
            message: "cannot decompress the capture".into(),
            io: Some(e),
        })?;
        out.into()
    } else {
        file.into()
    };
    // Validate by reading it through, and note where each event block is.
    let mut events: Vec<std::ops::Range<usize>> = Vec::new();
    let mut r = ScapReader::from_bytes(plain.to_vec())?;
    if let Some(b) = r.pending.take() {
        r.push_event_range(&b, &mut events);
    }
    while let Some(b) = r.read_block()? {
        if is_event_block(b.ty) {
            r.push_event_range(&b, &mut events);
        }
    }
    let total: usize = events.iter().map(ExactSizeIterator::len).sum();
    let extra = total
        .checked_mul(times.saturating_sub(1))
        .filter(|n| plain.len().checked_add(*n).is_some_and(|all| all <= MAX_REPEATED_LEN));
    let Some(extra) = extra else {
        return Err(err(
            0,
            format!(
                "{times} copies of {total} bytes of events exceed the {} GiB limit: ask for fewer copies",
                MAX_REPEATED_LEN >> 30
            ),
        ));
    };
    let mut out = Vec::with_capacity(plain.len() + extra);
    out.extend_from_slice(&plain);
    for _ in 1..times {
        for range in &events {
            out.extend_from_slice(&plain[range.clone()]);
        }
    }
    Ok(out)
}
