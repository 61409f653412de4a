//! The C-ABI entry points the JIT's native code calls back into ([`JIT_CALLBACKS`]): check
//! evaluation and numeric slot reads on an [`EvalCtx`] behind a raw pointer, and the same reads
//! specialised to each field read in place ([`plain_readers`]). Nothing here unwinds across
//! the FFI boundary.

use super::*;

/// Evaluates check `check` in the context `ctx`: 1 true, 0 false (also for an unknown id or a
/// null `ctx`). Never unwinds: a panic is caught, counted, and gives 0.
///
/// # Safety
///
/// `ctx` must be null or point to a live `EvalCtx` that nothing else accesses during the call.
pub unsafe extern "C" fn rulec_eval_check(ctx: *mut EvalCtx<'_>, check: u32) -> u8 {
    // SAFETY: the caller guarantees `ctx` is null or valid and exclusively ours for the call.
    let Some(ctx) = (unsafe { ctx.as_mut() }) else { return 0 };
    // One guard here (not `eval_check`'s as well): same outcome on a panic, less per call.
    let r = catch_unwind(AssertUnwindSafe(|| ctx.eval_check_raw(CheckId(check))));
    match r {
        Ok(b) => u8::from(b),
        Err(_) => {
            ctx.cache.panics += 1;
            0
        }
    }
}

/// Writes slot `slot`'s integer value to `*out` and returns 1 when the value is present and an
/// integer: a signed slot's `i64`, an unsigned slot's `u64` bits as `i64`, a bool slot's bool as
/// 0 or 1; else returns 0 and
/// leaves `*out` alone (absent, not an integer, a list, unknown id, null pointers). Never
/// unwinds.
///
/// # Safety
///
/// `ctx` as for [`rulec_eval_check`]; `out` must be null or valid for one aligned 8-byte write.
pub unsafe extern "C" fn rulec_slot_num(ctx: *mut EvalCtx<'_>, slot: u32, out: *mut i64) -> u8 {
    if out.is_null() {
        return 0;
    }
    // SAFETY: the caller guarantees `ctx` is null or valid and exclusively ours for the call.
    let Some(ctx) = (unsafe { ctx.as_mut() }) else { return 0 };
    let r = catch_unwind(AssertUnwindSafe(|| ctx.slot_num(SlotId(slot))));
    // SAFETY: `out` is non-null and, per the contract, valid for one i64 write.
    unsafe { answer_num(ctx, r, out) }
}

/// [`rulec_slot_num`]'s answer for what reading the slot gave (`Err`: it panicked).
///
/// # Safety
///
/// `out` must be valid for one aligned 8-byte write.
#[inline(always)]
unsafe fn answer_num(ctx: &mut EvalCtx<'_>, r: std::thread::Result<Option<i64>>, out: *mut i64) -> u8 {
    match r {
        Ok(Some(n)) => {
            // SAFETY: per this function's contract.
            unsafe { out.write(n) };
            1
        }
        Ok(None) => 0,
        Err(_) => {
            ctx.cache.panics += 1;
            0
        }
    }
}

/// Writes the address and length of slot `slot`'s bytes to `out[0]` and `out[1]` and returns
/// 1 when the value is present and a string (or bytes); returns 0 when it is absent and 2 when
/// it is something else (a number, a list...: the caller evaluates the check instead), leaving
/// `out` alone. The bytes stay valid and unchanged while `ctx` lives (they are read in place
/// from the event or the state, or are the slot cache's value for this event, which is not
/// recomputed before the next event). Never unwinds: a panic gives 2.
///
/// # Safety
///
/// `ctx` as for [`rulec_eval_check`]; `out` must be null or valid for two aligned word writes.
pub unsafe extern "C" fn rulec_slot_str(ctx: *mut EvalCtx<'_>, slot: u32, out: *mut usize) -> u8 {
    if out.is_null() {
        return 2;
    }
    // SAFETY: the caller guarantees `ctx` is null or valid and exclusively ours for the call.
    let Some(ctx) = (unsafe { ctx.as_mut() }) else { return 2 };
    let r = catch_unwind(AssertUnwindSafe(|| ctx.slot_bytes(SlotId(slot))));
    // SAFETY: `out` is non-null and, per the contract, valid for two word writes.
    unsafe { answer_bytes(ctx, r, out) }
}

/// [`rulec_slot_str`]'s answer for what reading the slot gave (`Err`: it panicked).
///
/// # Safety
///
/// `out` must be valid for two aligned word writes.
#[inline(always)]
unsafe fn answer_bytes(ctx: &mut EvalCtx<'_>, r: std::thread::Result<SlotBytes>, out: *mut usize) -> u8 {
    match r {
        Ok(SlotBytes::Bytes(p, n)) => {
            // SAFETY: per this function's contract.
            unsafe {
                out.write(p as usize);
                out.add(1).write(n);
            }
            1
        }
        Ok(SlotBytes::Absent) => 0,
        Ok(SlotBytes::Other) => 2,
        Err(_) => {
            ctx.cache.panics += 1;
            2
        }
    }
}

/// [`rulec_slot_str`] for a slot that reads field `PLAIN[I]` of [`fields::borrow::PLAIN`] in
/// place with no argument: the same answer, the field's reader called directly (no dispatch
/// on the slot id, and the reader inlined here).
///
/// # Safety
///
/// As for [`rulec_slot_str`], `ctx` being a context whose slot `_slot` reads that field so.
unsafe extern "C" fn plain_str<const I: usize>(ctx: *mut c_void, _slot: u32, out: *mut usize) -> u8 {
    if out.is_null() {
        return 2;
    }
    // SAFETY: the caller guarantees `ctx` is null or valid and exclusively ours for the call.
    let Some(ctx) = (unsafe { ctx.cast::<EvalCtx<'_>>().as_mut() }) else { return 2 };
    let get = fields::borrow::PLAIN[I].1;
    let r = catch_unwind(AssertUnwindSafe(|| SlotBytes::borrowed(get(None, &ctx.src))));
    // SAFETY: `out` is non-null and, per the contract, valid for two word writes.
    unsafe { answer_bytes(ctx, r, out) }
}

/// [`rulec_slot_num`] for a slot that reads field `PLAIN[I]` in place with no argument, a bool
/// slot when `BOOL` (see [`plain_str`]).
///
/// # Safety
///
/// As for [`rulec_slot_num`], `ctx` being a context whose slot `_slot` reads that field so.
unsafe extern "C" fn plain_num<const I: usize, const BOOL: bool>(ctx: *mut c_void, _slot: u32, out: *mut i64) -> u8 {
    if out.is_null() {
        return 0;
    }
    // SAFETY: the caller guarantees `ctx` is null or valid and exclusively ours for the call.
    let Some(ctx) = (unsafe { ctx.cast::<EvalCtx<'_>>().as_mut() }) else { return 0 };
    let get = fields::borrow::PLAIN[I].1;
    let r = catch_unwind(AssertUnwindSafe(|| get(None, &ctx.src).and_then(|v| num_of(v, BOOL))));
    // SAFETY: `out` is non-null and, per the contract, valid for one i64 write.
    unsafe { answer_num(ctx, r, out) }
}

/// The specialised readers of each field of [`fields::borrow::PLAIN`], by its index there:
/// `slot_str`, `slot_num` for a slot of another type than bool, `slot_num` for a bool slot.
type PlainReaders = (crate::jit::SlotStrFn, crate::jit::SlotNumFn, crate::jit::SlotNumFn);

macro_rules! plain_readers {
    ($($i:literal)*) => {
        /// See [`PlainReaders`]; the length is the table's (a field added there and not here
        /// does not compile).
        const PLAIN_READERS: [PlainReaders; fields::borrow::PLAIN.len()] = [$((
            plain_str::<$i> as crate::jit::SlotStrFn,
            plain_num::<$i, false> as crate::jit::SlotNumFn,
            plain_num::<$i, true> as crate::jit::SlotNumFn,
        )),*];
    };
}
plain_readers!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35);

/// The readers specialised to field `PLAIN[i]` of [`fields::borrow::PLAIN`], read in place
/// with no argument, for a slot of type bool or not (`bool_slot`): its `slot_str` and
/// `slot_num`.
pub(super) fn plain_readers(i: usize, bool_slot: bool) -> Option<(crate::jit::SlotStrFn, crate::jit::SlotNumFn)> {
    PLAIN_READERS.get(i).map(|&(s, n, b)| (s, if bool_slot { b } else { n }))
}

pub(super) unsafe extern "C" fn jit_eval_check(ctx: *mut c_void, check: u32) -> u8 {
    // SAFETY: the JIT passes back the pointer the engine gave it, an exclusive `&mut EvalCtx`.
    unsafe { rulec_eval_check(ctx.cast::<EvalCtx<'_>>(), check) }
}

pub(super) unsafe extern "C" fn jit_slot_num(ctx: *mut c_void, slot: u32, out: *mut i64) -> u8 {
    // SAFETY: as above; `out` comes from the generated code, a stack slot of 8 bytes.
    unsafe { rulec_slot_num(ctx.cast::<EvalCtx<'_>>(), slot, out) }
}

pub(super) unsafe extern "C" fn jit_slot_str(ctx: *mut c_void, slot: u32, out: *mut usize) -> u8 {
    // SAFETY: as above; `out` comes from the generated code, a stack slot of two words.
    unsafe { rulec_slot_str(ctx.cast::<EvalCtx<'_>>(), slot, out) }
}

/// The callbacks to compile a JIT program against, for contexts that are `EvalCtx`s (string
/// tests inline: see [`crate::jit::Callbacks::slot_str`]).
pub const JIT_CALLBACKS: crate::jit::Callbacks =
    crate::jit::Callbacks { eval_check: jit_eval_check, slot_num: jit_slot_num, slot_str: Some(jit_slot_str) };
