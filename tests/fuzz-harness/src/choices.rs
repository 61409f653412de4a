//! Decisions drawn from fuzz input: each call consumes a few bytes and, once they run out,
//! gives the smallest choice, so every input (even the empty one) is a valid, finite program
//! and libFuzzer's byte mutations become changes of structure.

/// A cursor over fuzz bytes.
#[derive(Debug)]
pub struct Choices<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Choices<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Choices { data, pos: 0 }
    }

    /// The next byte, or 0 when the input is used up.
    pub fn byte(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos = (self.pos + 1).min(self.data.len());
        b
    }

    /// A number below `n` (0 when `n` is 0 or 1).
    pub fn below(&mut self, n: usize) -> usize {
        if n <= 1 {
            return 0;
        }
        let v =
            if n <= 256 { usize::from(self.byte()) } else { usize::from(self.byte()) << 8 | usize::from(self.byte()) };
        v % n
    }

    /// One of `xs` (which must not be empty).
    pub fn pick<'b, T>(&mut self, xs: &'b [T]) -> &'b T {
        &xs[self.below(xs.len())]
    }

    /// True about `percent` times in a hundred.
    pub fn chance(&mut self, percent: u8) -> bool {
        self.byte() % 100 < percent
    }

    pub fn u64(&mut self) -> u64 {
        (0..8).fold(0u64, |acc, _| acc << 8 | u64::from(self.byte()))
    }

    /// Up to `max` raw bytes, their number chosen first.
    pub fn bytes(&mut self, max: usize) -> &'a [u8] {
        let n = self.below(max + 1).min(self.data.len() - self.pos);
        let out = &self.data[self.pos..self.pos + n];
        self.pos += n;
        out
    }

    /// The bytes not consumed yet (all of them are consumed).
    pub fn rest(&mut self) -> &'a [u8] {
        let out = &self.data[self.pos..];
        self.pos = self.data.len();
        out
    }
}
