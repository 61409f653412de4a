//! What code generation needs from the module and the engine, the same for every function it
//! builds ([`Env`]): the target's pointer type and calling convention, the callbacks' addresses
//! (with the readers specialised to single slots), and the signatures of every kind of function
//! the code defines or calls.

use cranelift_codegen::ir::{AbiParam, Signature, Type, types};
use cranelift_codegen::isa::{CallConv, TargetFrontendConfig};

/// Module-wide constants for code generation.
pub(crate) struct Env {
    pub frontend: TargetFrontendConfig,
    pub call_conv: CallConv,
    /// Address of the `eval_check` callback.
    pub eval_check: i64,
    /// Address of the `slot_num` callback.
    pub slot_num: i64,
    /// Address of the `slot_str` callback (0: none; then no leaf is `Leaf::Str`).
    pub slot_str: i64,
    /// Per slot, the address of a `slot_num` specialised to it (0 or missing: `slot_num`).
    pub num_readers: Vec<i64>,
    /// Per slot, the address of a `slot_str` specialised to it (0 or missing: `slot_str`).
    pub str_readers: Vec<i64>,
}

impl Env {
    pub(super) fn ptr(&self) -> Type {
        self.frontend.pointer_type()
    }

    /// The address of the callback that gives slot `slot`'s integer value.
    pub(super) fn slot_num_for(&self, slot: u32) -> i64 {
        self.num_readers.get(slot as usize).copied().filter(|&a| a != 0).unwrap_or(self.slot_num)
    }

    /// The address of the callback that gives slot `slot`'s bytes.
    pub(super) fn slot_str_for(&self, slot: u32) -> i64 {
        self.str_readers.get(slot as usize).copied().filter(|&a| a != 0).unwrap_or(self.slot_str)
    }

    /// A signature of this module's calling convention.
    fn signature(&self, params: &[Type], returns: &[Type]) -> Signature {
        let mut sig = Signature::new(self.call_conv);
        sig.params.extend(params.iter().map(|&t| AbiParam::new(t)));
        sig.returns.extend(returns.iter().map(|&t| AbiParam::new(t)));
        sig
    }

    /// `fn(ctx) -> u8`, the signature of every rule function.
    pub(crate) fn rule_signature(&self) -> Signature {
        self.signature(&[self.ptr()], &[types::I8])
    }

    /// `fn(ctx, cache) -> u8`: a rule body reading its slot cache at `cache` (see
    /// `codegen::CacheLayout`).
    pub(crate) fn inner_signature(&self) -> Signature {
        self.signature(&[self.ptr(), self.ptr()], &[types::I8])
    }

    /// `fn(ctx, out, first) -> u32`: a batch function (see `codegen::build_batch`).
    pub(crate) fn batch_signature(&self) -> Signature {
        self.signature(&[self.ptr(), self.ptr(), types::I8], &[types::I32])
    }

    /// `fn(ctx, check) -> u8`, the signature of `eval_check`.
    pub(super) fn eval_check_signature(&self) -> Signature {
        self.signature(&[self.ptr(), types::I32], &[types::I8])
    }

    /// `fn(ptr, len, word, shape) -> u8`, the signature of `strings::contains_word`.
    pub(super) fn find_signature(&self) -> Signature {
        self.signature(&[types::I64; 4], &[types::I8])
    }

    /// `fn(ctx, slot, out) -> u8`: `slot_num`, and `slot_str` (its `out` points to two words).
    pub(super) fn slot_num_signature(&self) -> Signature {
        self.signature(&[self.ptr(), types::I32, self.ptr()], &[types::I8])
    }
}
