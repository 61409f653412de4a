//! Inline string tests ([`StrTest`]) as Cranelift code: given the address and length of a
//! present string value, branch to `t` or `f`. A pattern is compared without a loop: its length
//! first (exact for equality, at least for prefixes and suffixes), then its bytes as a few
//! little-endian loads of 8, 4, 2 or 1 bytes, each xor-ed with the constant and or-ed together,
//! so one test decides the whole pattern (patterns are at most `MAX_INLINE_STR_LEN` bytes, see
//! `plan`).
//!
//! Loads never read outside the value: every one lies within the first `len` bytes, which the
//! length test before it guarantees; chunks that do not divide the pattern overlap the previous
//! one instead of reading past the end.
//!
//! `contains` is the one test with a loop: the code calls [`contains_word`] with the value's
//! address and length and the pattern (at most [`MAX_NEEDLE`] bytes) in a register, so no
//! pattern memory has to live as long as the code; it scans eight bytes at a time.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{Block, Endianness, InstBuilder, MemFlagsData, SigRef, Value, types};
use cranelift_frontend::FunctionBuilder;

use super::plan::StrTest;

/// Longest `contains` pattern compiled inline (it is passed to [`contains_word`] as a word).
pub(crate) const MAX_NEEDLE: usize = 8;

/// Whether the `len` bytes at `hay` contain the pattern held in `word`: its bytes
/// little-endian, `shape & 0xff` of them (at most 8), looked for by the byte at index
/// `shape >> 8 & 0xff` ([`anchor_of`], chosen when the code is compiled): 1 or 0. An empty
/// pattern is in every value, as `contains` means it in the evaluator (`memmem`'s empty needle
/// matches at 0).
///
/// # Safety
///
/// `hay` must be valid for reads of `len` bytes (any pointer when `len` is 0).
pub(crate) unsafe extern "C" fn contains_word(hay: *const u8, len: usize, word: u64, shape: u64) -> u8 {
    let (n, k) = ((shape & 0xff) as usize, (shape >> 8 & 0xff) as usize);
    if n > 8 {
        return 0;
    }
    let hay: &[u8] = if len == 0 {
        &[]
    } else {
        // SAFETY: per the contract, `len` bytes at `hay` are readable.
        unsafe { std::slice::from_raw_parts(hay, len) }
    };
    u8::from(find_word(hay, word, n, if k < n { k } else { 0 }))
}

/// The index of the byte a `contains` pattern is looked for by: its first that is neither `/`
/// nor `.`, which fill paths (`/.ssh/` is looked for by its `s`), else its first.
pub(crate) fn anchor_of(pat: &[u8]) -> usize {
    pat.iter().position(|b| !matches!(b, b'/' | b'.')).unwrap_or(0)
}

/// The little-endian word of `bytes[at..at + 8]`, when they are there.
#[inline(always)]
fn le_word(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
}

/// Whether `hay` contains the `n` bytes (at most 8) of `word`, little-endian (the bytes past
/// them ignored), in a short value (paths, names): the places where the pattern's byte `k` is
/// found, eight at a time (a word compared with the byte repeated, its zero bytes flagged),
/// each then compared whole as one masked word. `memchr` pays a setup that these values are
/// too short to repay (measured with callgrind on the upstream rules' paths: about 190
/// instructions a call).
fn find_word(hay: &[u8], word: u64, n: usize, k: usize) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    if n == 0 {
        return true;
    }
    let Some(last) = hay.len().checked_sub(n) else { return false };
    // Only the pattern's `n` bytes count: the compare masks the rest off.
    let mask = if n == 8 { u64::MAX } else { (1u64 << (8 * n)) - 1 };
    let byte = |j: usize| (word >> (8 * j)) as u8;
    // Whether the pattern starts at `i` (at most `last`).
    let at = |i: usize| match le_word(hay, i) {
        Some(w) => (w ^ word) & mask == 0,
        None => (0..n).all(|j| hay.get(i + j) == Some(&byte(j))),
    };
    // The byte `k` of a match starting at `i` is at `i + k`: in the region `k..=last + k`,
    // the byte at index `j` is that of a match starting at `j`.
    let region = hay.get(k..=last + k).unwrap_or(&[]);
    let anchor = byte(k);
    let repeated = ONES.wrapping_mul(u64::from(anchor));
    let load = |at: usize| le_word(region, at).unwrap_or(0);
    // Flags the bytes equal to the anchor (a flagged byte is one, or lies above one); each
    // is compared whole.
    let flags = |x: u64| {
        let x = x ^ repeated;
        x.wrapping_sub(ONES) & !x & HIGH
    };
    let matches = |mut found: u64, base: usize| {
        while found != 0 {
            if at(base + (found.trailing_zeros() / 8) as usize) {
                return true;
            }
            found &= found - 1;
        }
        false
    };
    let len = region.len();
    let mut base = 0;
    while base + 8 <= len {
        if matches(flags(load(base)), base) {
            return true;
        }
        base += 8;
    }
    let rest = len - base;
    if rest == 0 {
        return false;
    }
    if len >= 8 {
        // The last word, overlapping the one before: only its last `rest` bytes are new.
        let start = len - 8;
        return matches(flags(load(start)) & (u64::MAX << (8 * (8 - rest))), start);
    }
    region.iter().enumerate().any(|(j, &b)| b == anchor && at(j))
}

/// The constant little-endian word of `pat[at..at + n]` (n ≤ 8).
fn word(pat: &[u8], at: usize, n: usize) -> i64 {
    let mut w = [0u8; 8];
    w[..n].copy_from_slice(&pat[at..at + n]);
    i64::from_le_bytes(w)
}

/// (offset, width) of the loads that cover a pattern of `len` bytes, in order.
fn chunks(len: usize) -> Vec<(usize, usize)> {
    match len {
        0 => Vec::new(),
        1 => vec![(0, 1)],
        2..=3 => vec![(0, 2), (len - 2, 2)],
        4..=7 => vec![(0, 4), (len - 4, 4)],
        _ => {
            let mut v: Vec<(usize, usize)> = (0..len / 8).map(|i| (8 * i, 8)).collect();
            if len % 8 != 0 {
                v.push((len - 8, 8));
            }
            v
        }
    }
}

/// Jumps to `t` when the `pat.len()` bytes at `base` equal `pat`, else to `f` (the caller has
/// checked that they are there).
fn bytes_eq(b: &mut FunctionBuilder<'_>, base: Value, pat: &[u8], t: Block, f: Block) {
    let mem = MemFlagsData::new().with_notrap().with_endianness(Endianness::Little);
    let mut acc: Option<Value> = None;
    for (at, n) in chunks(pat.len()) {
        // Offsets are below MAX_INLINE_STR_LEN, so they fit an i32.
        let off = at as i32;
        let v = match n {
            1 => b.ins().uload8(types::I64, mem, base, off),
            2 => b.ins().uload16(types::I64, mem, base, off),
            4 => b.ins().uload32(mem, base, off),
            _ => b.ins().load(types::I64, mem, base, off),
        };
        let k = b.ins().iconst(types::I64, word(pat, at, n));
        let diff = b.ins().bxor(v, k);
        acc = Some(match acc {
            Some(a) => b.ins().bor(a, diff),
            None => diff,
        });
    }
    match acc {
        // Any differing bit: not equal.
        Some(a) => {
            b.ins().brif(a, f, &[], t, &[]);
        }
        None => {
            b.ins().jump(t, &[]);
        }
    }
}

/// Emits `test` on the string at `ptr` of `len` bytes (both `i64`), in the current block. A set
/// of equalities first dispatches on the length, so a value costs a compare per distinct
/// pattern length plus one per pattern of its own length; prefixes and suffixes are tried in
/// turn.
///
/// `find` is the imported signature of [`contains_word`], `fn(ptr, len, word, n) -> u8`.
pub(crate) fn emit(
    b: &mut FunctionBuilder<'_>,
    test: &StrTest,
    ptr: Value,
    len: Value,
    find: SigRef,
    t: Block,
    f: Block,
) {
    match test {
        StrTest::Contains(pats) => {
            if pats.is_empty() {
                b.ins().jump(f, &[]);
            }
            let callee = b.ins().iconst(types::I64, contains_word as *const () as usize as i64);
            for (i, pat) in pats.iter().enumerate() {
                let next = if i + 1 == pats.len() { f } else { b.create_block() };
                let w = b.ins().iconst(types::I64, word(pat, 0, pat.len()));
                let n = b.ins().iconst(types::I64, (pat.len() | anchor_of(pat) << 8) as i64);
                let call = b.ins().call_indirect(find, callee, &[ptr, len, w, n]);
                let found = b.inst_results(call)[0];
                b.ins().brif(found, t, &[], next, &[]);
                if next != f {
                    b.switch_to_block(next);
                }
            }
        }
        StrTest::Ne(pat) => {
            let bytes = b.create_block();
            let same_len = b.ins().icmp_imm_s(IntCC::Equal, len, pat.len() as i64);
            b.ins().brif(same_len, bytes, &[], t, &[]);
            b.switch_to_block(bytes);
            bytes_eq(b, ptr, pat, f, t);
        }
        StrTest::In(pats) => {
            // Dispatch on the length first: only the patterns of the value's length are
            // compared, one after another; the last one that fails goes to `f`.
            let mut by_len: std::collections::BTreeMap<usize, Vec<&[u8]>> = std::collections::BTreeMap::new();
            for p in pats {
                by_len.entry(p.len()).or_default().push(p);
            }
            let groups = by_len.len();
            if groups == 0 {
                b.ins().jump(f, &[]);
            }
            for (g, (k, same)) in by_len.into_iter().enumerate() {
                let next_len = if g + 1 == groups { f } else { b.create_block() };
                let bytes = b.create_block();
                let fits = b.ins().icmp_imm_s(IntCC::Equal, len, k as i64);
                b.ins().brif(fits, bytes, &[], next_len, &[]);
                b.switch_to_block(bytes);
                for (i, pat) in same.iter().enumerate() {
                    let next = if i + 1 == same.len() { f } else { b.create_block() };
                    bytes_eq(b, ptr, pat, t, next);
                    if next != f {
                        b.switch_to_block(next);
                    }
                }
                if next_len != f {
                    b.switch_to_block(next_len);
                }
            }
        }
        StrTest::Prefix(pats) | StrTest::Suffix(pats) => {
            // One pattern after another: a pattern that does not match goes on to the next,
            // the last one to `f`.
            if pats.is_empty() {
                b.ins().jump(f, &[]);
            }
            for (i, pat) in pats.iter().enumerate() {
                let next = if i + 1 == pats.len() { f } else { b.create_block() };
                let bytes = b.create_block();
                let k = pat.len() as i64;
                let fits = b.ins().icmp_imm_s(IntCC::UnsignedGreaterThanOrEqual, len, k);
                b.ins().brif(fits, bytes, &[], next, &[]);
                b.switch_to_block(bytes);
                let base = match test {
                    StrTest::Suffix(_) => {
                        let start = b.ins().iadd_imm_s(len, -k);
                        b.ins().iadd(ptr, start)
                    }
                    _ => ptr,
                };
                bytes_eq(b, base, pat, t, next);
                if next != f {
                    b.switch_to_block(next);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{anchor_of, chunks, contains_word, word};

    /// [`contains_word`] on slices, the pattern as its word (as the code passes it), looked
    /// for by every one of its bytes in turn (they must all agree; [`anchor_of`]'s is one of
    /// them).
    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        let w = word(needle, 0, needle.len()) as u64;
        let found = |k: usize| {
            let shape = (needle.len() | k << 8) as u64;
            // SAFETY: `hay` is a live slice of `hay.len()` bytes.
            unsafe { contains_word(hay.as_ptr(), hay.len(), w, shape) == 1 }
        };
        let first = found(anchor_of(needle));
        for k in 0..needle.len() {
            assert_eq!(found(k), first, "{hay:?} {needle:?} by byte {k}");
        }
        // Bits past the pattern's bytes are ignored.
        if (1..8).contains(&needle.len()) {
            let junk = w | u64::MAX << (8 * needle.len());
            // SAFETY: as above.
            let got = unsafe { contains_word(hay.as_ptr(), hay.len(), junk, needle.len() as u64) == 1 };
            assert_eq!(got, first, "{hay:?} {needle:?} with bits past it set");
        }
        first
    }

    #[test]
    fn contains_agrees_with_memmem() {
        let hays: [&[u8]; 9] = [
            b"",
            b"a",
            b"../etc/passwd",
            b"/usr/lib/x86_64-linux-gnu/libc.so.6",
            b"aaab",
            b"abab..",
            b"\x00\x01\x02..\xff\x80/a/b/c/../../d",
            b"0123456789abcdef0123456789abcdef..x",
            b"/home/u/.ssh/id_rsa/./a//b/.ssh",
        ];
        let needles: [&[u8]; 17] = [
            b"",
            b"a",
            b"..",
            b"../",
            b"aab",
            b"libc.so.",
            b"x",
            b"abab..x",
            b"\x01",
            b"f0",
            b"/.ssh/",
            b"/a/",
            b"./",
            b"//",
            b"/",
            b"c/../..",
            b"/.ssh/id",
        ];
        for h in hays {
            // Every suffix too, so that each match falls at every offset of a word.
            for k in 0..=h.len() {
                let h = &h[k..];
                for n in needles {
                    assert_eq!(contains(h, n), memchr::memmem::find(h, n).is_some(), "{h:?} {n:?}");
                }
            }
        }
    }

    #[test]
    fn chunks_cover_every_byte_and_stay_inside() {
        for len in 0..=64 {
            let mut covered = vec![false; len];
            for (at, n) in chunks(len) {
                assert!(at + n <= len, "len {len}: load at {at} of {n} bytes reads past the end");
                covered[at..at + n].iter_mut().for_each(|c| *c = true);
            }
            assert!(covered.iter().all(|&c| c), "len {len}: a byte is not compared");
        }
    }
}
