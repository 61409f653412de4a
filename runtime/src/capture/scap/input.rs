//! [`Input`]: the capture's bytes as the block walk reads them, through one buffer it owns.
//!
//! A block that lies whole in the buffer is checked and copied out of it in place (no call
//! through the source per block, no second buffer); when a block runs past the buffer's end,
//! the unread bytes move to its start and the source refills the rest, so every block that
//! fits the buffer is read that way. Larger blocks, and anything odd, go through
//! [`std::io::Read`], which the reader's slow path uses and reports errors from.

use std::io::{self, Read};

/// A reading buffer over a byte stream.
pub(super) struct Input {
    src: Box<dyn Read>,
    buf: Box<[u8]>,
    /// The unread bytes are `buf[pos..end]`.
    pos: usize,
    end: usize,
}

impl Input {
    /// A buffer of `size` bytes over `src`.
    pub(super) fn new(src: Box<dyn Read>, size: usize) -> Input {
        Input { src, buf: vec![0; size].into_boxed_slice(), pos: 0, end: 0 }
    }

    /// The bytes read from the source and not yet consumed.
    #[inline]
    pub(super) fn unread(&self) -> &[u8] {
        self.buf.get(self.pos..self.end).unwrap_or(&[])
    }

    /// Marks `n` unread bytes as read.
    #[inline]
    pub(super) fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.end);
    }

    /// Makes at least `n` bytes (at most the buffer's size) unread, reading from the source
    /// as needed: `Ok(false)` when the stream ends before.
    pub(super) fn want(&mut self, n: usize) -> io::Result<bool> {
        if self.end - self.pos >= n {
            return Ok(true);
        }
        if n > self.buf.len() {
            return Ok(false);
        }
        self.buf.copy_within(self.pos..self.end, 0);
        self.end -= self.pos;
        self.pos = 0;
        while self.end < n {
            match self.src.read(&mut self.buf[self.end..]) {
                Ok(0) => return Ok(false),
                Ok(k) => self.end += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }
}

impl Read for Input {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.end {
            // Past the buffer: a large read goes straight to the source.
            if out.len() >= self.buf.len() {
                return self.src.read(out);
            }
            self.pos = 0;
            self.end = 0;
            self.end = self.src.read(&mut self.buf)?;
        }
        let k = out.len().min(self.end - self.pos);
        out[..k].copy_from_slice(&self.buf[self.pos..self.pos + k]);
        self.pos += k;
        Ok(k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A source that hands out at most `step` bytes per read, as pipes and decoders do.
    struct Trickle(Vec<u8>, usize, usize);
    impl Read for Trickle {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let k = out.len().min(self.2).min(self.0.len() - self.1);
            out[..k].copy_from_slice(&self.0[self.1..self.1 + k]);
            self.1 += k;
            Ok(k)
        }
    }

    #[test]
    fn want_refills_across_the_buffer_end_and_reads_agree() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
        let mut inp = Input::new(Box::new(Trickle(data.clone(), 0, 7)), 64);
        let mut got = Vec::new();
        // Alternate in-place reads of whole "blocks" and plain reads.
        let mut n = 1;
        while inp.want(n).unwrap() {
            got.extend_from_slice(&inp.unread()[..n]);
            inp.consume(n);
            n = n % 64 + 1;
            let mut b = [0u8; 5];
            let k = inp.read(&mut b).unwrap();
            got.extend_from_slice(&b[..k]);
        }
        // What is left after the last short `want`.
        got.extend_from_slice(inp.unread());
        let k = inp.unread().len();
        inp.consume(k);
        inp.read_to_end(&mut got).unwrap();
        assert_eq!(got, data);
        assert!(!inp.want(65).unwrap(), "more than the buffer holds is never promised");
    }
}
