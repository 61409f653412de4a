//! A bounds-checked little-endian cursor over a block body: every read says where it failed.

use super::*;

pub(super) struct Cur<'a> {
    pub(super) b: &'a [u8],
    pub(super) pos: usize,
    pub(super) base: u64,
}

impl<'a> Cur<'a> {
    #[inline]
    pub(super) fn new(b: &'a [u8], base: u64) -> Cur<'a> {
        Cur { b, pos: 0, base }
    }
    #[inline]
    pub(super) fn off(&self) -> u64 {
        self.base + self.pos as u64
    }
    #[inline]
    pub(super) fn remaining(&self) -> usize {
        self.b.len() - self.pos
    }
    #[inline]
    pub(super) fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], ScapError> {
        if self.remaining() < n {
            return Err(self.short(n, what));
        }
        let s = &self.b[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    #[inline]
    pub(super) fn arr<const N: usize>(&mut self, what: &str) -> Result<[u8; N], ScapError> {
        let s = self.take(N, what)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }
    #[inline]
    pub(super) fn u8(&mut self, what: &str) -> Result<u8, ScapError> {
        Ok(self.arr::<1>(what)?[0])
    }
    #[inline]
    pub(super) fn u16(&mut self, what: &str) -> Result<u16, ScapError> {
        Ok(u16::from_le_bytes(self.arr(what)?))
    }
    #[inline]
    pub(super) fn u32(&mut self, what: &str) -> Result<u32, ScapError> {
        Ok(u32::from_le_bytes(self.arr(what)?))
    }
    #[inline]
    pub(super) fn u64(&mut self, what: &str) -> Result<u64, ScapError> {
        Ok(u64::from_le_bytes(self.arr(what)?))
    }
    #[inline]
    pub(super) fn i64(&mut self, what: &str) -> Result<i64, ScapError> {
        Ok(i64::from_le_bytes(self.arr(what)?))
    }
    /// `u16 len` + bytes.
    pub(super) fn bytes16(&mut self, what: &str) -> Result<&'a [u8], ScapError> {
        let n = self.u16(what)?;
        self.take(usize::from(n), what)
    }
    pub(super) fn str16(&mut self, what: &str) -> Result<String, ScapError> {
        let b = self.bytes16(what)?;
        let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
        Ok(String::from_utf8_lossy(&b[..end]).into_owned())
    }
    #[cold]
    fn short(&self, n: usize, what: &str) -> ScapError {
        err(self.off(), format!("{what}: needs {n} bytes, only {} left in the block", self.remaining()))
    }
    pub(super) fn skip_to(&mut self, pos: usize, what: &str) -> Result<(), ScapError> {
        if pos < self.pos {
            return Err(err(self.off(), format!("{what}: entry length is shorter than its fields")));
        }
        self.take(pos - self.pos, what).map(|_| ())
    }
}
