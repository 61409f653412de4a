//! [`Framer`]: the block walk of a `.scap` stream done a second time, on the thread that reads
//! it ahead ([`crate::capture::ahead`]), to mark the event blocks the loop may decode without
//! checking them.
//!
//! The reader walks the stream from its first byte, block after block, each one exactly its
//! length field long, and stops at the first error; the framer walks the same stream the same
//! way, so every block start it finds is one the reader reaches, until the framing goes wrong
//! (a length under the 12-byte minimum or over [`MAX_BLOCK_LEN`], a trailer that differs), after
//! which it marks nothing (the reader reports that block, and reads no further). A block is
//! marked when it lies whole in one chunk, is an event block of at most [`READER_BUF_SIZE`]
//! bytes of body, its trailer repeats its length and its record is one the checked decoder
//! would take without a word ([`well_formed`]); its mark notes the record's parameter count
//! (which a v1 record does not hold). At a marked position the reader skips the
//! framing checks and decodes with [`super::decode::decode_trusted`]; anything unmarked (a
//! block across two chunks, metadata, an odd record) goes the checked way, which reports what
//! is wrong. Chunks never change once read, so what was checked stays true.

use super::decode::well_formed;
use super::*;
use crate::capture::ahead::{Index, Mark};

/// The framing walk over the chunks of one stream (see the module doc).
#[derive(Debug, Default)]
pub(super) struct Framer {
    /// Stream offset of the next block's start.
    next: u64,
    /// Stream offset of the next chunk's first byte.
    at: u64,
    /// The stream's last bytes before `at` (at most 8): a block header cut by a chunk's end.
    tail: Vec<u8>,
    /// The framing went wrong: nothing more is marked.
    lost: bool,
}

impl Framer {
    /// The header (type, length) of the block at stream offset `start`, from `data` (which
    /// starts at `base`) and, when it began in the previous chunk, the tail kept from it.
    fn head(&self, start: u64, base: u64, data: &[u8]) -> Option<(u32, u32)> {
        let mut h = [0u8; 8];
        if start >= base {
            let o = usize::try_from(start - base).ok()?;
            h.copy_from_slice(data.get(o..o.checked_add(8)?)?);
        } else {
            let back = usize::try_from(base - start).ok()?;
            let kept = self.tail.get(self.tail.len().checked_sub(back)?..)?;
            h.get_mut(..back)?.copy_from_slice(kept);
            h.get_mut(back..)?.copy_from_slice(data.get(..8 - back)?);
        }
        Some((u32::from_le_bytes([h[0], h[1], h[2], h[3]]), u32::from_le_bytes([h[4], h[5], h[6], h[7]])))
    }

    /// Whether the whole block `block` (header to trailer) of type `ty` is an event block the
    /// loop may decode unchecked, and its record's parameter count if so; `Err` when its
    /// trailer differs (the framing is lost).
    fn trusted(ty: u32, len: u32, block: &[u8]) -> Result<Option<usize>, ()> {
        let trailer = block.last_chunk::<4>().map(|t| u32::from_le_bytes(*t));
        let body = block.get(8..block.len().saturating_sub(4));
        let (Some(body), true) = (body, trailer == Some(len)) else { return Err(()) };
        if !is_event_block(ty) || body.len() > READER_BUF_SIZE {
            return Ok(None);
        }
        Ok(well_formed(ty, body).map(|l| l.nparams()))
    }
}

impl Index for Framer {
    fn index(&mut self, data: &[u8], first: usize, marks: &mut Vec<Mark>) {
        let base = self.at;
        let end = base + data.len() as u64;
        while !self.lost && self.next + 8 <= end {
            let start = self.next;
            let Some((ty, len)) = self.head(start, base, data) else {
                self.lost = true;
                break;
            };
            if !(12..=MAX_BLOCK_LEN).contains(&len) {
                self.lost = true;
                break;
            }
            self.next = start + u64::from(len);
            if start < base || self.next > end {
                continue;
            }
            let o = (start - base) as usize;
            match (Framer::trusted(ty, len, &data[o..o + len as usize]), u32::try_from(first + o)) {
                (Ok(Some(n)), Ok(at)) => marks.push(Mark { at, note: n as u32 }),
                (Ok(None), _) => {}
                _ => self.lost = true,
            }
        }
        // The last 8 bytes of the stream so far, for a header the next chunk completes.
        let keep = data.len().min(8);
        let old = self.tail.len().min(8 - keep);
        self.tail.drain(..self.tail.len() - old);
        self.tail.extend_from_slice(&data[data.len() - keep..]);
        self.at = end;
    }
}

#[cfg(test)]
mod tests;
