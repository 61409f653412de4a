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

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{Block, Endianness, InstBuilder, MemFlagsData, Value, types};
use cranelift_frontend::FunctionBuilder;

use super::plan::StrTest;

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
pub(crate) fn emit(b: &mut FunctionBuilder<'_>, test: &StrTest, ptr: Value, len: Value, t: Block, f: Block) {
    match test {
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
    use super::chunks;

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
