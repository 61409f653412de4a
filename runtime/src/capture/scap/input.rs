//! [`Input`]: the capture's bytes as the block walk reads them, through one buffer it owns.
//!
//! A block that lies whole in the buffer is checked and copied out of it in place (no call
//! through the source per block, no second buffer); when a block runs past the buffer's end,
//! the unread bytes move to its start and the source refills the rest, so every block that
//! fits the buffer is read that way. Larger blocks, and anything odd, go through
//! [`std::io::Read`], which the reader's slow path uses and reports errors from.
//!
//! Read ahead ([`Chunks`]), each chunk comes with the positions its reading thread marked
//! (the event blocks it found well formed, [`super::framing`]); [`Input::at_mark`] says
//! whether the unread bytes start at one.

use std::io::{self, Read};

use crate::capture::ahead::{Chunk, Chunks, HEAD, Index, Mark};

/// How far ahead of the reader [`Input::prefetch`] asks for bytes.
const PREFETCH: usize = 2048;

/// The smallest read that skips an empty buffer and goes straight to the source.
const DIRECT_READ: usize = 64 << 10;

/// A reading buffer over a byte stream.
pub(super) struct Input {
    src: Src,
    buf: Vec<u8>,
    /// The unread bytes are `buf[pos..end]`.
    pos: usize,
    end: usize,
    /// The most bytes [`Input::want`] makes unread (the buffer's size when reading directly).
    most: usize,
    /// The marked positions of the buffer (read ahead with an index), increasing; the ones
    /// before `marks[mark]` are behind the reader.
    marks: Vec<Mark>,
    mark: usize,
}

/// Where an [`Input`]'s bytes come from.
enum Src {
    /// Read into the buffer on this thread.
    Direct(Box<dyn Read + Send>),
    /// Read by a second thread: its chunks become the buffer ([`Chunks`]).
    Ahead(Chunks),
}

impl Input {
    /// A buffer of `size` bytes over `src`.
    pub(super) fn new(src: Box<dyn Read + Send>, size: usize) -> Input {
        Input { src: Src::Direct(src), buf: vec![0; size], pos: 0, end: 0, most: size, marks: Vec::new(), mark: 0 }
    }

    /// An input over `src` read ahead by a second thread ([`Chunks`]) that makes unread up to
    /// `size` bytes at a time, as [`Input::new`]'s buffer of that size does; that thread
    /// passes each chunk through `index`, whose marks [`Input::at_mark`] finds.
    pub(super) fn ahead(src: Box<dyn Read + Send>, size: usize, index: Option<Box<dyn Index>>) -> io::Result<Input> {
        let src = Src::Ahead(Chunks::start_indexed(src, index)?);
        Ok(Input { src, buf: Vec::new(), pos: 0, end: 0, most: size, marks: Vec::new(), mark: 0 })
    }

    /// The note of the reading thread's mark where the unread bytes start, if it marked that
    /// position (never when reading directly or without an index).
    #[inline]
    pub(super) fn at_mark(&mut self) -> Option<u32> {
        while let Some(&m) = self.marks.get(self.mark) {
            let at = m.at as usize;
            if at >= self.pos {
                return (at == self.pos).then_some(m.note);
            }
            self.mark += 1;
        }
        None
    }

    /// The bytes read from the source and not yet consumed.
    #[inline]
    pub(super) fn unread(&self) -> &[u8] {
        self.buf.get(self.pos..self.end).unwrap_or(&[])
    }

    /// Asks the CPU to start loading the bytes [`PREFETCH`] ahead of the unread ones into its
    /// cache (read ahead, a chunk was filled on the other CPU, whose cache holds it: fetched
    /// only when the loop reached it, every record's first bytes waited for the other CPU).
    /// A hint: nothing is read, and an address past the buffer is never named.
    #[inline(always)]
    pub(super) fn prefetch(&self) {
        #[cfg(target_arch = "x86_64")]
        if self.pos + PREFETCH < self.end {
            let p = self.buf.as_ptr().wrapping_add(self.pos + PREFETCH);
            // SAFETY: a prefetch reads and writes no memory (any address is allowed; this one
            // is inside the buffer), and SSE, its only requirement, is part of every x86_64.
            unsafe { std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast()) };
        }
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
        if n > self.most {
            return Ok(false);
        }
        while self.end - self.pos < n {
            if !self.more()? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Reads more of the source after the unread bytes (which stay unread): `Ok(false)` at
    /// the end of the stream.
    fn more(&mut self) -> io::Result<bool> {
        match &mut self.src {
            Src::Direct(src) => {
                if self.pos > 0 {
                    self.buf.copy_within(self.pos..self.end, 0);
                    self.end -= self.pos;
                    self.pos = 0;
                }
                loop {
                    match src.read(&mut self.buf[self.end..]) {
                        Ok(0) => return Ok(false),
                        Ok(k) => {
                            self.end += k;
                            return Ok(true);
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                }
            }
            Src::Ahead(chunks) => {
                let Some(mut next) = chunks.next()? else { return Ok(false) };
                let tail = self.end - self.pos;
                if tail <= HEAD {
                    // The unread end goes to the new chunk's free start.
                    next.bytes[HEAD - tail..HEAD].copy_from_slice(&self.buf[self.pos..self.end]);
                    self.pos = HEAD - tail;
                } else {
                    // Too long for it (a record longer than the free start): the two joined,
                    // the chunk's marks moved with its bytes.
                    let mut joined = Vec::with_capacity(tail + next.bytes.len() - HEAD);
                    joined.extend_from_slice(&self.buf[self.pos..self.end]);
                    joined.extend_from_slice(&next.bytes[HEAD..]);
                    for m in &mut next.marks {
                        m.at = m.at - HEAD as u32 + tail as u32;
                    }
                    let old = std::mem::replace(&mut next.bytes, joined);
                    chunks.recycle(Chunk { bytes: old, marks: Vec::new() });
                    self.pos = 0;
                }
                self.end = next.bytes.len();
                self.mark = 0;
                let old = Chunk {
                    bytes: std::mem::replace(&mut self.buf, next.bytes),
                    marks: std::mem::replace(&mut self.marks, next.marks),
                };
                chunks.recycle(old);
                Ok(true)
            }
        }
    }
}

impl Read for Input {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.end {
            // Past the buffer: a large read goes straight to the source (as the reading
            // thread's chunks do: through the buffer, a stream whose first read was short,
            // a gzip header's sniff, would copy every chunk once more).
            if let Src::Direct(src) = &mut self.src
                && out.len() >= DIRECT_READ.min(self.buf.len())
            {
                return src.read(out);
            }
            self.pos = 0;
            self.end = 0;
            if !self.more()? {
                return Ok(0);
            }
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

    /// Reads `inp` to its end in a pattern of in-place `want`s of sizes from `sizes` (cycled)
    /// and plain reads: every byte in order, and where the first error came.
    fn walk(mut inp: Input, sizes: &[usize]) -> (Vec<u8>, Option<String>) {
        let mut got = Vec::new();
        for &n in sizes.iter().cycle() {
            match inp.want(n) {
                Ok(true) => {
                    got.extend_from_slice(&inp.unread()[..n]);
                    inp.consume(n);
                }
                Ok(false) => break,
                Err(e) => return (got, Some(e.to_string())),
            }
            let mut b = [0u8; 3];
            match inp.read(&mut b) {
                Ok(k) => got.extend_from_slice(&b[..k]),
                Err(e) => return (got, Some(e.to_string())),
            }
        }
        got.extend_from_slice(inp.unread());
        let k = inp.unread().len();
        inp.consume(k);
        let end = inp.read_to_end(&mut got).err().map(|e| e.to_string());
        (got, end)
    }

    /// A source that fails after its bytes.
    struct Failing(Trickle);
    impl Read for Failing {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            match self.0.read(out)? {
                0 => Err(io::Error::other("disk on fire")),
                k => Ok(k),
            }
        }
    }

    /// An input read ahead by a second thread gives the same bytes as one reading directly,
    /// across chunk boundaries (record ends moved to the next chunk's free start, and ends
    /// longer than that joined), for every pattern of reads; then the same end or error.
    #[test]
    fn read_ahead_gives_the_bytes_and_errors_of_direct_reading() {
        use crate::capture::ahead::{CHUNK, HEAD};
        let len = 3 * CHUNK + 12_345;
        let data: Vec<u8> = (0..len as u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
        let most = 1 << 20;
        // Small records; records around the free start's size; records up to the most.
        for sizes in [&[1, 26, 300, 7][..], &[HEAD - 1, HEAD, HEAD + 1, 5][..], &[most, 3 * HEAD + 11, most - 1][..]] {
            for step in [4096, 1 << 20] {
                let direct = walk(Input::new(Box::new(Trickle(data.clone(), 0, step)), most), sizes);
                let ahead = walk(Input::ahead(Box::new(Trickle(data.clone(), 0, step)), most, None).unwrap(), sizes);
                assert_eq!(direct.0.len(), len);
                assert!(direct == ahead, "sizes {sizes:?}, reads of {step}");
                let failing = || Box::new(Failing(Trickle(data.clone(), 0, step)));
                let direct = walk(Input::new(failing(), most), sizes);
                let ahead = walk(Input::ahead(failing(), most, None).unwrap(), sizes);
                assert_eq!(direct.1.as_deref(), Some("disk on fire"));
                assert_eq!(direct.1, ahead.1, "sizes {sizes:?}, reads of {step}");
                // The bytes before the error are all there (direct reading may stop a little
                // earlier, at the read that failed).
                assert!(ahead.0.starts_with(&direct.0) && data.starts_with(&ahead.0));
            }
        }
    }
}
