//! The Cranelift JIT backend: compiles a whole IR [`Program`] into one in-memory module holding
//! one native function per rule, `unsafe extern "C" fn(ctx: *mut c_void) -> u8` (1 = the rule's
//! condition holds for the current event), optionally one per candidate list of rules (see
//! "Batch functions" below), and owns that code until it is dropped.
//!
//! The JIT knows nothing about events: compiled code reaches the event only through two C-ABI
//! callbacks given at compile time ([`Callbacks`]), which receive the opaque `ctx` pointer the rule
//! function was called with:
//!
//! * `eval_check(ctx, check) -> u8`: evaluates one check of the program (any [`Test`]): 1 true,
//!   0 false;
//! * `slot_num(ctx, slot, out) -> u8`: 1 and `*out` written when the slot's value is present and
//!   an integer, else 0 (absent, not numeric, a list...). The value is the slot's 64-bit pattern:
//!   for a slot of signed type (`Int8`..`Int64`) the `i64`; for an unsigned one (`Uint8`..`Uint64`,
//!   `Port`, `AbsTime`, `RelTime`) the `u64` reinterpreted as `i64` (`u as i64`, NOT a checked
//!   conversion: values above `i64::MAX` must still be reported); for a slot of type `Bool`, 0
//!   or 1. It is called at most once per slot per rule-function call.
//! * `slot_str(ctx, slot, out) -> u8` (optional: without it no string test is inlined): the
//!   slot's value as bytes, `out[0]` its address and `out[1]` its length, with 1 when the value
//!   is present and a string (or bytes); 0 when it is absent (the check is false); 2 when the
//!   value is something the code should not test inline (a number, a list, a value computed on
//!   the callback's stack): the check then calls `eval_check`. The bytes must stay valid and
//!   unchanged until the rule function returns. Called at most once per slot per call.
//!
//! Which checks compile inline (see `plan`): `Compare { cmp, Const::Int }` on a non-list slot of
//! signed integer type (signed `icmp`), `Compare { cmp, Const::Uint }` on a non-list slot of
//! unsigned type (unsigned `icmp` on the same bits, so the full `u64` order is kept), and `In` of
//! 1 to 8 constants of the matching kind, and `=`/`!=` of a `Bool` slot with a bool constant (0
//! or 1: `evt.is_open_read = true` is a comparison, not a call). An absent value makes such a
//! check false, whatever `cmp` is (`!=` included), as the IR specifies. Everything else
//! (strings, doubles, other tests on bools, IPs,
//! `Dyn` slots, a constant kind that does not match the slot's signedness, lists, `exists`...)
//! calls `eval_check`, so those semantics stay in one place, the interpreter's. With `slot_str`,
//! string tests against constants of up to 64 bytes on a slot that is never a list also compile
//! inline (see `strings`): equality and `in` of up to 64 constants (a dispatch on the length,
//! then the bytes compared 8 at a time), `!=`, `startswith`/`bstartswith` and `endswith`, alone
//! or as `anyof` sets of up to 16, and `contains`/`bcontains` of patterns of up to 8 bytes (a
//! call to a search helper on the bytes already fetched, `strings::contains_word`).
//!
//! **Batch functions.** [`JitProgram::compile_batches`] also compiles one function per
//! candidate list (the engine's rules of one event type, in order; identical lists share one),
//! [`BatchFn`]: it runs the list's rules in one native call and writes the positions of those
//! that match to an output buffer, returning their count, or stops at the first match with
//! `first`. By default (`INLINE_BATCHES`) the list's rules are compiled into the function one
//! after the other, with ONE slot cache and one memo per shared node for all of them: a slot
//! value fetched by one rule (`slot_num`, `slot_str`) serves every later rule of the list for
//! that event, and a sub-condition several rules share (a macro) is evaluated at most once per
//! call. A batch may also be given checks whose verdict holds on every event it runs on (the
//! engine's lists are per event name, which decides the checks on `evt.type`): the inlined form
//! folds them (`plan::Plan::with_known`), so such a guard inside a condition costs nothing and
//! a rule it makes false is skipped. The other form compiles each rule once as a body `fn(ctx, cache) -> u8` reading a
//! program-wide cache layout and has the batch call the bodies in turn, the rule functions
//! being wrappers around the same bodies. Measured on `rulec bench` with callgrind (2026-12-07,
//! instructions per event of the timed passes; compile instructions of the JIT rebuilt after
//! profiling, three upstream files): per-rule functions only 233 upstream / 440 stdlib, 498 M
//! to compile; bodies called 221 / 358, 547 M; rules inlined 212 / 285, 1034 M (1881 M
//! without sharing identical lists). The inlined form wins where many rules see one event (31
//! stdlib rules see every open), at twice the compile work of that rebuild (the startup compile
//! has no batches). With batches, "at most once per slot per call" below holds per batch call.
//!
//! Code compiled with [`JitProgram::compile_shared`] also reads, inline, the verdict bits that
//! the context's shared string passes leave (see [`VerdictBit`], [`VerdictHeader`]): a check
//! with a bit whose pass already ran for the event costs three loads and a test, not a call.
//!
//! How the DAG becomes branches is described in `codegen`; the ids it follows are validated
//! first in `plan`. Optimisation level: `speed` (see `OPT_LEVEL`). Measured on Falco's three
//! upstream rules files lowered naively (93 rules, 2375 nodes; `tests.rs`,
//! `jit_compile_time_falco`), in a debug build of this crate on the 2-core dev machine: 30-47 ms
//! at `none` and 38-60 ms at `speed` without the IR verifier, 44-62 ms with it: far inside the
//! 200 ms budget either way, so the faster code wins.
//!
//! Memory: [`JitProgram`] owns its `JITModule` and frees the code with `free_memory` on drop (a
//! plain drop of a `JITModule` leaks its mappings: about 340 KiB per compile of a 100-rule, 5000-node
//! program); `jit_compile_drop_does_not_leak` checks that 200 compile/drop cycles do not grow
//! resident memory.
//!
//! [`Test`]: rulec_ir::Test

mod codegen;
mod env;
mod plan;
mod strings;

#[cfg(test)]
mod tests;

use std::ffi::c_void;
use std::marker::PhantomData;

use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::FunctionBuilderContext;
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{FuncId, Module, default_libcall_names};
use rulec_ir::Program;

/// Per check of `p`, whether compiled code tests it inline (an integer or, with `strings`, a
/// string comparison on the slot's value) rather than calling `eval_check`; the engine prices
/// its adaptive order by it.
pub fn inline_checks(p: &Program, strings: bool, remembered: &[bool]) -> Vec<bool> {
    plan::inline_checks(p, strings, remembered)
}

/// Cranelift's `opt_level` for rule code (measured: see the module docs and `tests.rs`).
const OPT_LEVEL: &str = "speed";

/// Whether batch functions inline their rules (see the module docs).
const INLINE_BATCHES: bool = true;

/// `eval_check(ctx, check) -> u8`.
pub type EvalCheckFn = unsafe extern "C" fn(ctx: *mut c_void, check: u32) -> u8;
/// `slot_num(ctx, slot, out) -> u8`.
pub type SlotNumFn = unsafe extern "C" fn(ctx: *mut c_void, slot: u32, out: *mut i64) -> u8;
/// `slot_str(ctx, slot, out) -> u8`; `out` points to two words, address and length.
pub type SlotStrFn = unsafe extern "C" fn(ctx: *mut c_void, slot: u32, out: *mut usize) -> u8;
/// A compiled rule: `1` when the rule matches the event behind `ctx`.
pub type RuleFn = unsafe extern "C" fn(ctx: *mut c_void) -> u8;
/// A compiled candidate list: runs its rules in order on the event behind `ctx`, writes the
/// position in the list of each one that matches to `out` (in order), stops at the first when
/// `first` is non-zero, and returns how many it wrote.
pub type BatchFn = unsafe extern "C" fn(ctx: *mut c_void, out: *mut u32, first: u8) -> u32;

/// Where a check's verdict may already be, for code compiled with
/// [`JitProgram::compile_shared`]: in the context's verdict words (see [`VerdictHeader`]), bit
/// `bit` of word `word` is the check's verdict when word `stamp` holds the header's generation;
/// otherwise the code calls `eval_check`, which is expected to fill them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerdictBit {
    pub stamp: u32,
    pub word: u32,
    pub bit: u8,
}

/// What a context compiled against [`VerdictBit`]s starts with (`ctx` points to it): the
/// verdict words, how many there are, and the current generation. Code reads a word only when
/// its index is below `len`.
#[repr(C)]
#[derive(Debug)]
pub struct VerdictHeader {
    pub words: *mut u64,
    pub len: usize,
    pub generation: u64,
}

/// The callbacks compiled code calls; see the module docs for their contracts. Safe `extern "C"`
/// functions coerce to these types too.
#[derive(Clone, Copy, Debug)]
pub struct Callbacks {
    pub eval_check: EvalCheckFn,
    pub slot_num: SlotNumFn,
    /// `None`: string tests are never inlined (they call `eval_check`).
    pub slot_str: Option<SlotStrFn>,
}

/// Callbacks specialised to single slots, by slot index: for slot `s`, compiled code calls
/// `num[s]` (`strs[s]`) where it is given instead of `slot_num` (`slot_str`), with the same
/// arguments. Each must answer for its slot exactly as the general callback would (same
/// contract); what it saves is the general callback's dispatch on the slot id.
#[derive(Clone, Debug, Default)]
pub struct SlotReaders {
    pub num: Vec<Option<SlotNumFn>>,
    pub strs: Vec<Option<SlotStrFn>>,
    /// Slots whose checks `eval_check` answers from verdicts it remembers by value (the flag
    /// texts of `evt.arg.NAME`: the text is only rendered on a miss): string tests on them
    /// stay calls rather than fetch the value with `slot_str` on every event.
    pub remembered: Vec<bool>,
}

/// A context type whose callbacks compiled code may call with a pointer to it, enabling the safe
/// [`TypedJit::eval`].
///
/// # Safety
///
/// The callbacks, called with `ctx` = a valid, exclusive `&mut Self` cast to `*mut c_void`, with
/// any `u32` id (they must bounds-check ids: the context may belong to another program), and for
/// `slot_num` with `out` valid for one 8-byte write (`slot_str`: two words), must be sound, must
/// not unwind, and must follow the contracts in the [module docs](self).
pub unsafe trait JitContext {
    const CALLBACKS: Callbacks;
}

/// Owns the JIT module and frees its code memory on drop (a dropped `JITModule` would leak it).
struct OwnedModule(Option<JITModule>);

impl Drop for OwnedModule {
    fn drop(&mut self) {
        if let Some(module) = self.0.take() {
            // SAFETY: the module is only dropped with the `JitProgram` that owns it, so no rule
            // function pointer obtained from it may be called anymore (their validity is documented
            // as bounded by the program's lifetime), and none can be executing: calling one needs a
            // borrow of the program (`eval_rule`) or an `unsafe` call whose contract forbids it.
            unsafe { module.free_memory() };
        }
    }
}

// SAFETY: after `compile` returns, the module is never accessed again except by `Drop` (which has
// exclusive access); shared references only read `fns`. The generated code is immutable, mapped
// read+execute, and reentrant (it keeps all state on the stack), so calling it from several
// threads at once is sound as far as the JIT is concerned (the callbacks' own thread safety is the
// context's business: each call gets its own `ctx`).
unsafe impl Send for OwnedModule {}
// SAFETY: see `Send` above; `&OwnedModule` gives no access to the module.
unsafe impl Sync for OwnedModule {}

/// A compiled program: one native function per rule of the [`Program`] it came from, and
/// optionally one per candidate list ([`JitProgram::compile_batches`]).
pub struct JitProgram {
    /// Per rule, in program order.
    fns: Vec<RuleFn>,
    /// Per candidate list: its function and the list's length.
    batches: Vec<(BatchFn, usize)>,
    /// Declared after `fns`; owns the code they point to.
    _module: OwnedModule,
}

impl std::fmt::Debug for JitProgram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JitProgram").field("rules", &self.fns.len()).finish_non_exhaustive()
    }
}

/// The rule function returned for an out-of-range rule index: never matches.
unsafe extern "C" fn never(_ctx: *mut c_void) -> u8 {
    0
}

/// Code generation settings (tests measure the alternatives).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Options {
    pub opt_level: &'static str,
    pub verifier: bool,
    /// Batch functions hold their rules' code (else they call each rule's body).
    pub inline_batches: bool,
}

impl Default for Options {
    fn default() -> Self {
        // The IR verifier catches codegen bugs; it costs compile time, so only in debug builds.
        Options { opt_level: OPT_LEVEL, verifier: cfg!(debug_assertions), inline_batches: INLINE_BATCHES }
    }
}

fn new_module(opts: Options) -> Result<JITModule, String> {
    let mut flags = settings::builder();
    let set = |flags: &mut settings::Builder, k: &str, v: &str| {
        flags.set(k, v).map_err(|e| format!("cranelift setting {k}={v}: {e}"))
    };
    set(&mut flags, "opt_level", opts.opt_level)?;
    // cranelift-jit requires non-PIC code and long-range libcalls (it asserts on is_pic).
    set(&mut flags, "is_pic", "false")?;
    set(&mut flags, "use_colocated_libcalls", "false")?;
    // Frames above 4 KiB (rules with thousands of cached values) probe the guard page, inline
    // (the outline probe is a libcall the JIT would have to resolve).
    set(&mut flags, "enable_probestack", "true")?;
    set(&mut flags, "probestack_strategy", "inline")?;
    set(&mut flags, "enable_verifier", if opts.verifier { "true" } else { "false" })?;
    let isa = cranelift_native::builder()
        .map_err(|e| format!("host machine is not supported by Cranelift: {e}"))?
        .finish(settings::Flags::new(flags))
        .map_err(|e| format!("cranelift ISA: {e}"))?;
    Ok(JITModule::new(JITBuilder::with_isa(isa, default_libcall_names())))
}

impl JitProgram {
    /// Compiles every rule of `p` (disabled ones too: the caller decides what to run). A
    /// malformed program (an id out of range, a child id not smaller than its parent's) gives
    /// `Err`, as does a Cranelift failure.
    pub fn compile(p: &Program, cb: Callbacks) -> Result<JitProgram, String> {
        Self::compile_with(p, cb, &[], Options::default())
    }

    /// Like [`JitProgram::compile`], with the checks of `bits` (indexed by check id; missing
    /// or `None`: no bit) reading their verdict inline when it is there (see [`VerdictBit`]).
    ///
    /// # Safety
    ///
    /// Every `ctx` the rule functions are called with must point to a [`VerdictHeader`] (the
    /// start of a `#[repr(C)]` context) whose `words` are valid for reads of `len` words.
    pub unsafe fn compile_shared(
        p: &Program,
        cb: Callbacks,
        readers: &SlotReaders,
        bits: &[Option<VerdictBit>],
    ) -> Result<JitProgram, String> {
        Self::compile_lists(p, cb, readers, bits, None, Options::default())
    }

    /// Like [`JitProgram::compile_shared`], and also compiles one batch function per list of
    /// `lists` (rule indices, in the order to run them; see [`JitProgram::eval_batch`]). The
    /// rule functions then call the same rule bodies the batch functions call.
    ///
    /// `known[i]` (missing: nothing) lists checks (id, verdict) that hold that verdict on
    /// every event list `i` is run on (the engine's lists are per event name, which decides
    /// the checks on `evt.type`): the batch folds them, and skips a rule they make false.
    ///
    /// # Safety
    ///
    /// As for [`JitProgram::compile_shared`]; and a batch must only be run on events for which
    /// its `known` verdicts hold (else it may give other verdicts than the rule functions).
    pub unsafe fn compile_batches(
        p: &Program,
        cb: Callbacks,
        readers: &SlotReaders,
        bits: &[Option<VerdictBit>],
        lists: &[Vec<usize>],
        known: &[Vec<(u32, bool)>],
    ) -> Result<JitProgram, String> {
        Self::compile_lists(p, cb, readers, bits, Some((lists, known)), Options::default())
    }

    pub(crate) fn compile_with(
        p: &Program,
        cb: Callbacks,
        bits: &[Option<VerdictBit>],
        opts: Options,
    ) -> Result<JitProgram, String> {
        Self::compile_lists(p, cb, &SlotReaders::default(), bits, None, opts)
    }

    /// `lists`: the candidate lists and, per list, the checks known on its events (see
    /// [`JitProgram::compile_batches`]).
    pub(crate) fn compile_lists(
        p: &Program,
        cb: Callbacks,
        readers: &SlotReaders,
        bits: &[Option<VerdictBit>],
        lists: Option<(&[Vec<usize>], &[Vec<(u32, bool)>])>,
        opts: Options,
    ) -> Result<JitProgram, String> {
        let plan = plan::Plan::new(p, bits, cb.slot_str.is_some(), &readers.remembered)?;
        let (lists, known) = match lists {
            Some((l, k)) => (Some(l), k),
            None => (None, &[][..]),
        };
        if let Some(lists) = lists {
            for list in lists {
                if list.len() > u32::MAX as usize {
                    return Err("candidate list too long".into());
                }
                if let Some(r) = list.iter().find(|&&r| r >= p.rules.len()) {
                    return Err(format!("candidate list names rule {r}, out of range"));
                }
            }
        }
        // Bodies called by batches and by wrappers share the program-wide layout.
        let layout = lists.filter(|_| !opts.inline_batches).map(|_| codegen::CacheLayout::new(&plan)).transpose()?;
        let mut owned = OwnedModule(Some(new_module(opts)?));
        let Some(module) = owned.0.as_mut() else {
            return Err("JIT module missing".into());
        };
        let env = codegen::Env {
            frontend: module.target_config(),
            call_conv: module.isa().default_call_conv(),
            eval_check: cb.eval_check as usize as i64,
            slot_num: cb.slot_num as usize as i64,
            slot_str: cb.slot_str.map_or(0, |f| f as usize as i64),
            num_readers: readers.num.iter().map(|f| f.map_or(0, |f| f as usize as i64)).collect(),
            str_readers: readers.strs.iter().map(|f| f.map_or(0, |f| f as usize as i64)).collect(),
        };
        let sig = env.rule_signature();
        let inner_sig = env.inner_signature();
        let mut ctx = module.make_context();
        let mut fctx = FunctionBuilderContext::new();
        let mut scratch = codegen::Scratch::default();
        // Rules with the same root share one function (and, with batches, one body).
        let mut by_root: std::collections::HashMap<u32, (FuncId, Option<FuncId>)> = std::collections::HashMap::new();
        let mut ids = Vec::with_capacity(p.rules.len());
        // Per rule, the body batch functions call.
        let mut inner_ids = Vec::with_capacity(p.rules.len());
        // Per rule, the state words of the slots it reads (batches only).
        let mut rule_slots: std::collections::HashMap<u32, codegen::RuleSlots> = std::collections::HashMap::new();
        // Code sizes for the perf map (see `write_perf_map`), by function.
        let mut sizes: Vec<(FuncId, u32, String)> = Vec::new();
        for rule in &p.rules {
            let root = rule.root.0;
            if let Some(&(id, inner)) = by_root.get(&root) {
                ids.push(id);
                inner_ids.push(inner);
                continue;
            }
            let err = |e: String| format!("compiling rule `{}`: {e}", rule.name);
            let inner = match &layout {
                None => None,
                Some(layout) => {
                    let inner = module
                        .declare_anonymous_function(&inner_sig)
                        .map_err(|e| format!("declaring rule `{}`: {e}", rule.name))?;
                    ctx.func.signature = inner_sig.clone();
                    codegen::build_rule(&mut ctx.func, &mut fctx, p, &plan, &env, root, &mut scratch, Some(layout))
                        .map_err(err)?;
                    module.define_function(inner, &mut ctx).map_err(|e| err(format!("{e:?}")))?;
                    if let Some(code) = ctx.compiled_code() {
                        sizes.push((inner, code.buffer.total_size(), rule.name.clone()));
                    }
                    module.clear_context(&mut ctx);
                    Some(inner)
                }
            };
            let id =
                module.declare_anonymous_function(&sig).map_err(|e| format!("declaring rule `{}`: {e}", rule.name))?;
            ctx.func.signature = sig.clone();
            match (&layout, inner) {
                (Some(layout), Some(inner)) => {
                    let slots = codegen::rule_slots(p, &plan, root, &mut scratch);
                    let words = layout.state_words(&slots);
                    rule_slots.insert(root, slots);
                    let fref = import_fn(module, inner, &mut ctx.func);
                    codegen::build_wrapper(&mut ctx.func, &mut fctx, &env, fref, layout, &words);
                }
                _ => codegen::build_rule(&mut ctx.func, &mut fctx, p, &plan, &env, root, &mut scratch, None)
                    .map_err(err)?,
            }
            module.define_function(id, &mut ctx).map_err(|e| err(format!("{e:?}")))?;
            if inner.is_none()
                && let Some(code) = ctx.compiled_code()
            {
                sizes.push((id, code.buffer.total_size(), rule.name.clone()));
            }
            module.clear_context(&mut ctx);
            by_root.insert(root, (id, inner));
            ids.push(id);
            inner_ids.push(inner);
        }
        let mut batch_ids = Vec::new();
        if let Some(lists) = lists {
            let batch_sig = env.batch_signature();
            // Event types often have the same rules (`open`, `openat`, `openat2`...): one
            // function per distinct list (and known verdicts).
            type Key<'k> = (&'k [usize], &'k [(u32, bool)]);
            let mut distinct: std::collections::HashMap<Key<'_>, FuncId> = std::collections::HashMap::new();
            for (k, list) in lists.iter().enumerate() {
                let knows = known.get(k).map_or(&[][..], Vec::as_slice);
                if let Some(&id) = distinct.get(&(list.as_slice(), knows)) {
                    batch_ids.push((id, list.len()));
                    continue;
                }
                let id =
                    module.declare_anonymous_function(&batch_sig).map_err(|e| format!("declaring batch {k}: {e}"))?;
                distinct.insert((list.as_slice(), knows), id);
                ctx.func.signature = batch_sig.clone();
                match &layout {
                    None => {
                        // Ranges checked above.
                        let roots: Vec<u32> = list.iter().filter_map(|&r| p.rules.get(r)).map(|r| r.root.0).collect();
                        let own = if knows.is_empty() { None } else { Some(plan.with_known(p, knows)?) };
                        let plan = own.as_ref().unwrap_or(&plan);
                        codegen::build_batch_inline(&mut ctx.func, &mut fctx, p, plan, &env, &roots, &mut scratch)
                            .map_err(|e| format!("compiling batch {k}: {e}"))?;
                    }
                    Some(layout) => {
                        let mut imported: std::collections::HashMap<FuncId, cranelift_codegen::ir::FuncRef> =
                            std::collections::HashMap::new();
                        let mut frefs = Vec::with_capacity(list.len());
                        let mut all = codegen::RuleSlots::default();
                        for &r in list {
                            // Every rule has a body when batches call them.
                            let (Some(Some(inner)), Some(rule)) = (inner_ids.get(r), p.rules.get(r)) else {
                                return Err(format!("batch {k}: rule {r} has no body"));
                            };
                            let fref =
                                *imported.entry(*inner).or_insert_with(|| import_fn(module, *inner, &mut ctx.func));
                            frefs.push(fref);
                            if let Some(s) = rule_slots.get(&rule.root.0) {
                                all.num.extend_from_slice(&s.num);
                                all.strs.extend_from_slice(&s.strs);
                            }
                        }
                        let words = layout.state_words(&all);
                        codegen::build_batch(&mut ctx.func, &mut fctx, &env, &frefs, layout, &words);
                    }
                }
                module.define_function(id, &mut ctx).map_err(|e| format!("compiling batch {k}: {e:?}"))?;
                if let Some(code) = ctx.compiled_code() {
                    sizes.push((id, code.buffer.total_size(), format!("batch {k}")));
                }
                module.clear_context(&mut ctx);
                batch_ids.push((id, list.len()));
            }
        }
        module.finalize_definitions().map_err(|e| format!("finalizing JIT code: {e}"))?;
        if std::env::var_os("RULEC_PERF_MAP").is_some() {
            let funcs: Vec<(usize, u32, &str)> = sizes
                .iter()
                .map(|(id, size, name)| (module.get_finalized_function(*id) as usize, *size, name.as_str()))
                .collect();
            write_perf_map(&funcs);
        }
        let fns = ids
            .into_iter()
            .map(|id| {
                let code = module.get_finalized_function(id);
                // SAFETY: `code` is the entry of a finalized function built with `rule_signature`:
                // one pointer parameter, an `i8` result, the ISA's default call convention, which
                // is the platform's C ABI, i.e. exactly `RuleFn`. It stays mapped until `owned` is
                // dropped, which happens with the returned `JitProgram`.
                unsafe { std::mem::transmute::<*const u8, RuleFn>(code) }
            })
            .collect();
        let batches = batch_ids
            .into_iter()
            .map(|(id, len)| {
                let code = module.get_finalized_function(id);
                // SAFETY: as above, for `batch_signature`: two pointers and an `i8` in, an `i32`
                // out, the C ABI, i.e. exactly `BatchFn`.
                (unsafe { std::mem::transmute::<*const u8, BatchFn>(code) }, len)
            })
            .collect();
        Ok(JitProgram { fns, batches, _module: owned })
    }

    /// Number of rules (the program's `rules.len()`).
    pub fn rule_count(&self) -> usize {
        self.fns.len()
    }

    /// The native function of rule `rule`, or a function that never matches when `rule` is out
    /// of range (see [`JitProgram::get_rule_fn`] to tell). The pointer is valid only while `self`
    /// lives; calling it requires `ctx` to satisfy the callbacks' contract.
    pub fn rule_fn(&self, rule: usize) -> RuleFn {
        self.get_rule_fn(rule).unwrap_or(never)
    }

    /// The native function of rule `rule`, if in range.
    pub fn get_rule_fn(&self, rule: usize) -> Option<RuleFn> {
        self.fns.get(rule).copied()
    }

    /// Number of batch functions (the `lists` given to [`JitProgram::compile_batches`]; 0 for
    /// a program compiled without).
    pub fn batch_count(&self) -> usize {
        self.batches.len()
    }

    /// Runs the rules of candidate list `list` (see [`JitProgram::compile_batches`]) in order,
    /// as one native call, with `first` stopping at the first match; writes the positions in the
    /// list of the rules that match to the start of `out`, in order, and returns how many.
    /// `None` when there is no such list or `out` is shorter than it (nothing is run).
    ///
    /// # Safety
    ///
    /// As for [`JitProgram::eval_rule`].
    pub unsafe fn eval_batch(&self, list: usize, ctx: *mut c_void, first: bool, out: &mut [u32]) -> Option<usize> {
        let &(f, len) = self.batches.get(list)?;
        if out.len() < len {
            return None;
        }
        // SAFETY: the function is alive (borrowed from `self`); it writes at most `len` words
        // to `out`, which holds at least that many; the callbacks' contract on `ctx` is the
        // caller's.
        let n = unsafe { f(ctx, out.as_mut_ptr(), u8::from(first)) };
        Some((n as usize).min(len))
    }

    /// Runs rule `rule` (false when out of range).
    ///
    /// # Safety
    ///
    /// `ctx` must be a pointer the [`Callbacks`] given to [`JitProgram::compile`] accept (for the
    /// duration of the call, with any check and slot id of the program).
    pub unsafe fn eval_rule(&self, rule: usize, ctx: *mut c_void) -> bool {
        match self.fns.get(rule) {
            // SAFETY: the function is alive (borrowed from `self`) and its only requirement is the
            // callbacks' contract on `ctx`, which the caller guarantees.
            Some(f) => unsafe { f(ctx) != 0 },
            None => false,
        }
    }
}

/// A reference to function `id` of `module` for code in `func`, called through its absolute
/// address: JIT code may be mapped farther apart than a relative call reaches.
fn import_fn(
    module: &mut JITModule,
    id: FuncId,
    func: &mut cranelift_codegen::ir::Function,
) -> cranelift_codegen::ir::FuncRef {
    let r = module.declare_func_in_func(id, func);
    func.dfg.ext_funcs[r].colocated = false;
    r
}

/// Appends the rule functions to `/tmp/perf-PID.map`, the file `perf report` reads to name
/// code that no object file describes (enabled by the `RULEC_PERF_MAP` environment variable;
/// best effort: profiling must not make compilation fail).
fn write_perf_map(funcs: &[(usize, u32, &str)]) {
    use std::io::Write;
    let path = format!("/tmp/perf-{}.map", std::process::id());
    let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(&path) else { return };
    for (addr, size, name) in funcs {
        let _ = writeln!(f, "{addr:x} {size:x} rulec-jit: {name}");
    }
}

/// A [`JitProgram`] compiled with the callbacks of context type `C`, evaluated safely on `&mut C`.
pub struct TypedJit<C: JitContext> {
    program: JitProgram,
    _ctx: PhantomData<fn(&mut C)>,
}

impl<C: JitContext> std::fmt::Debug for TypedJit<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.program.fmt(f)
    }
}

impl<C: JitContext> TypedJit<C> {
    pub fn compile(p: &Program) -> Result<Self, String> {
        Ok(TypedJit { program: JitProgram::compile(p, C::CALLBACKS)?, _ctx: PhantomData })
    }

    /// Whether rule `rule` matches the event behind `ctx` (false when out of range).
    pub fn eval(&self, rule: usize, ctx: &mut C) -> bool {
        let ptr = (ctx as *mut C).cast::<c_void>();
        // SAFETY: the program was compiled with `C::CALLBACKS`, whose `JitContext` contract makes
        // them sound on an exclusive `&mut C` with any id.
        unsafe { self.program.eval_rule(rule, ptr) }
    }

    pub fn program(&self) -> &JitProgram {
        &self.program
    }
}
