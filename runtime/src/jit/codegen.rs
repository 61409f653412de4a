//! Lowering of one rule's node DAG to one Cranelift function `fn(ctx) -> i8` made of branches,
//! and of a candidate list's rules to one batch function `fn(ctx, out, first) -> u32` (the
//! rules' DAGs one after the other, each one's false exit entering the next, its true exit
//! recording the rule's position; see [`build_batch_inline`] and, for the form that calls rule
//! bodies, [`build_batch`]).
//!
//! Every node is compiled against a pair of continuation blocks `(t, f)`: the code jumps to `t`
//! when the node is true and to `f` when it is false, so evaluation short-circuits and no boolean
//! is ever materialised. `And` chains its children through fresh blocks (the first false child
//! jumps to `f`), `Or` is the dual, `Not` swaps `t` and `f`, folded (constant) nodes are a plain
//! jump, and a check is a leaf:
//!
//! * an inline integer leaf reads the slot's cached state (not yet fetched / absent / present)
//!   and value; the first leaf on a path that needs the slot calls `slot_num` once, so a slot used
//!   twice in one function is fetched at most once per call; absent → the leaf is false (also for
//!   `!=`), matching the IR's meaning;
//! * an inline string leaf does the same with `slot_str` (the value's address and length, kept
//!   in the frame for the call) and compares the bytes with its constants (`strings.rs`); a value
//!   `slot_str` will not give as bytes makes the leaf call `eval_check`;
//! * a check with a verdict bit (code compiled with [`super::VerdictBit`]s) reads the
//!   context's [`super::VerdictHeader`]: when the bit's stamp word holds the current generation
//!   (a shared string pass already ran for this event), it branches on the bit (three loads and a
//!   test); otherwise it calls `eval_check`, which runs the pass;
//! * every other check is `eval_check(ctx, id)` followed by a branch on its result.
//!
//! Shared sub-nodes (the arena is a DAG): a non-trivial node reached by two or more edges of the
//! rule's reachable graph is emitted ONCE per function, as a local subroutine: its body is one
//! block region whose two exits record the result in a memo byte and dispatch (`br_table` on the
//! stored index of the use site that entered it) back to that site's `(t, f)`. A use site first
//! tests the memo, so a shared node is also evaluated at most once per call. This keeps code size
//! linear in the DAG (re-emitting per use can be exponential) and keeps short-circuiting: a
//! shared node is only evaluated on paths that need it. `Not` nodes are free (a swap of targets)
//! and inline leaves are cheap and already cached through their slot, so neither is a subroutine.
//!
//! The cache and memo state lives in a stack-frame slot (loads and stores), not in Cranelift SSA
//! variables: variables live across thousands of blocks made SSA construction super-linear
//! (measured: 146 s for a synthetic 22 500-node program with much sharing, under 1.5 s now in a
//! debug build, and tens of milliseconds for Falco's rules).
//!
//! Everything here is iterative (explicit work lists), so deep DAGs cannot overflow the stack.

use std::collections::HashMap;

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    Block, FuncRef, Function, InstBuilder, JumpTableData, MemFlagsData, SigRef, StackSlot, StackSlotData,
    StackSlotKind, Type, Value, types,
};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use rulec_ir::{Cmp, Node, Program};

use super::VerdictHeader;
pub(crate) use super::env::Env;
use super::plan::{Leaf, NumTest, Plan};
use super::strings;

/// Per-rule analysis buffers, reused across rules to avoid reallocating node-sized tables.
#[derive(Default)]
pub(crate) struct Scratch {
    /// Per node: how many edges of the current rule's reachable graph enter it (And/Or/called checks).
    uses: Vec<u32>,
    /// Nodes whose `uses` entry is non-zero (to reset them cheaply).
    touched: Vec<u32>,
    stack: Vec<u32>,
}

/// Memo state of a shared node (a byte in the frame): not evaluated yet, false, true.
const MEMO_FALSE: i64 = 1;
const MEMO_TRUE: i64 = 2;
/// Slot cache state (a byte in the frame): 0 not fetched yet, absent, present (`absent + ok`);
/// for a string slot any other value means "evaluate by `eval_check`" (`slot_str`'s 2, plus one).
const SLOT_ABSENT: i64 = 1;
const SLOT_PRESENT: i64 = 2;

/// Largest frame a rule function may use for its state (a malformed or absurd program gets `Err`).
const MAX_FRAME: usize = 1 << 24;

/// Offsets of one cached slot, in the frame or from the cache's base.
#[derive(Clone, Copy)]
struct SlotCache {
    /// The `i64` value, or a string's address and length (two `i64`s); the callback writes it
    /// directly.
    value: i32,
    /// The state byte.
    state: i32,
}

struct Shared {
    /// The memo byte.
    memo: i32,
    /// The `i32` index of the use site that entered the body.
    ret: i32,
    body: Block,
    exit_t: Block,
    exit_f: Block,
    /// The `(t, f)` continuations of each use site, indexed by the value stored at `ret`.
    sites: Vec<(Block, Block)>,
}

struct Task {
    node: u32,
    block: Block,
    t: Block,
    f: Block,
    /// Emit the node's own body even if it is shared (the subroutine body itself).
    body: bool,
}

/// Is node `n`, when entered by two or more edges, emitted once as a subroutine? (And/Or, and
/// checks that may call `eval_check`; inline leaves are cheap and cached through their slot.)
fn countable(p: &Program, plan: &Plan, n: usize) -> bool {
    match &p.nodes[n] {
        Node::And(_) | Node::Or(_) => true,
        Node::Check(c) => matches!(plan.leaves[c.0 as usize], Leaf::Call | Leaf::Guarded { .. }),
        Node::Not(_) | Node::Const(_) => false,
    }
}

/// Walks the rule's reachable graph (as emission will) counting entering edges, and collects the
/// inline slots it reads (integer slots in `slots`, string slots in `strs`). Ids were validated
/// by [`Plan::new`].
fn analyse(p: &Program, plan: &Plan, root: u32, s: &mut Scratch, slots: &mut Vec<u32>, strs: &mut Vec<u32>) {
    if s.uses.len() < p.nodes.len() {
        s.uses.resize(p.nodes.len(), 0);
    }
    // Keyed by slot and kind: a slot read both ways gets two cache entries.
    let mut seen_slots = std::collections::HashSet::new();
    s.stack.clear();
    s.stack.push(root);
    while let Some(n) = s.stack.pop() {
        let n = n as usize;
        if plan.folded[n].is_some() {
            continue;
        }
        match &p.nodes[n] {
            Node::Not(c) => s.stack.push(c.0),
            Node::Check(c) => match &plan.leaves[c.0 as usize] {
                Leaf::Num { slot, .. } => {
                    if seen_slots.insert((*slot, false)) {
                        slots.push(*slot);
                    }
                }
                Leaf::Str { slot, .. } => {
                    if seen_slots.insert((*slot, true)) {
                        strs.push(*slot);
                    }
                }
                Leaf::Bit(_) => {}
                leaf @ (Leaf::Call | Leaf::Guarded { .. }) => {
                    // A guarded call fetches its slot's bytes first.
                    if let Leaf::Guarded { slot } = leaf
                        && seen_slots.insert((*slot, true))
                    {
                        strs.push(*slot);
                    }
                    s.uses[n] += 1;
                    if s.uses[n] == 1 {
                        s.touched.push(n as u32);
                    }
                }
            },
            Node::And(cs) | Node::Or(cs) => {
                s.uses[n] += 1;
                if s.uses[n] == 1 {
                    s.touched.push(n as u32);
                    s.stack.extend(cs.iter().map(|c| c.0));
                }
            }
            Node::Const(_) => {}
        }
    }
}

/// Where the slot cache of a rule function lives: in its own frame (a standalone rule
/// function: the offsets are the rule's own layout) or behind a pointer its caller passes (the
/// body of a batch: the offsets are the program's [`CacheLayout`], and the caller zeroes the
/// state bytes once for every rule it runs, so each slot is fetched once per event).
#[derive(Clone, Copy)]
enum CacheLoc {
    Frame(StackSlot),
    Base(Value),
}

impl CacheLoc {
    fn load(self, b: &mut FunctionBuilder<'_>, ptr: Type, ty: Type, off: i32) -> Value {
        match self {
            CacheLoc::Frame(ss) => b.ins().stack_load(ptr, ty, ss, off),
            CacheLoc::Base(p) => b.ins().load(ty, MemFlagsData::trusted(), p, off),
        }
    }

    fn store(self, b: &mut FunctionBuilder<'_>, ptr: Type, v: Value, off: i32) {
        match self {
            CacheLoc::Frame(ss) => {
                b.ins().stack_store(ptr, v, ss, off);
            }
            CacheLoc::Base(p) => {
                b.ins().store(MemFlagsData::trusted(), v, p, off);
            }
        }
    }

    fn addr(self, b: &mut FunctionBuilder<'_>, ptr: Type, off: i32) -> Value {
        match self {
            CacheLoc::Frame(ss) => b.ins().stack_addr(ptr, ss, off),
            CacheLoc::Base(p) => b.ins().iadd_imm_s(p, i64::from(off)),
        }
    }
}

/// The program-wide slot cache of batch functions: one entry per slot (and kind) that any
/// inline leaf of the program reads, `[values: i64 × numeric slots][strings: 2 × i64 × string
/// slots][states: u8 × entries]`, 8-byte aligned. A batch function holds it in its frame for
/// all the rules it runs; a rule's standalone wrapper holds one for that rule.
pub(crate) struct CacheLayout {
    num: HashMap<u32, SlotCache>,
    strs: HashMap<u32, SlotCache>,
    /// Total bytes (a multiple of 8).
    pub size: usize,
}

impl CacheLayout {
    pub(crate) fn new(plan: &Plan) -> Result<CacheLayout, String> {
        let (mut nums, mut strs) = (Vec::new(), Vec::new());
        let mut seen = std::collections::HashSet::new();
        for leaf in &plan.leaves {
            match leaf {
                Leaf::Num { slot, .. } if seen.insert((*slot, false)) => nums.push(*slot),
                Leaf::Str { slot, .. } | Leaf::Guarded { slot } if seen.insert((*slot, true)) => strs.push(*slot),
                _ => {}
            }
        }
        // States in slot order, so the rules of one event type, which read related slots,
        // tend to share state words.
        nums.sort_unstable();
        strs.sort_unstable();
        let off_state = 8 * nums.len() + 16 * strs.len();
        let size = off_state + (nums.len() + strs.len()).next_multiple_of(8);
        if size > MAX_FRAME {
            return Err(format!("slot cache of {size} bytes exceeds {MAX_FRAME}"));
        }
        // Every offset below is < MAX_FRAME, so fits i32.
        let at = |x: usize| x as i32;
        let num = nums
            .iter()
            .enumerate()
            .map(|(i, &s)| (s, SlotCache { value: at(8 * i), state: at(off_state + i) }))
            .collect();
        let strs = strs
            .iter()
            .enumerate()
            .map(|(j, &s)| (s, SlotCache { value: at(8 * nums.len() + 16 * j), state: at(off_state + nums.len() + j) }))
            .collect();
        Ok(CacheLayout { num, strs, size })
    }

    /// The offsets of the 8-byte state words that hold the state bytes of these slots (sorted,
    /// without repeats): what a caller zeroes before running the rules that read them.
    pub(crate) fn state_words(&self, slots: &RuleSlots) -> Vec<i32> {
        let mut words: Vec<i32> = (slots.num.iter().filter_map(|s| self.num.get(s)))
            .chain(slots.strs.iter().filter_map(|s| self.strs.get(s)))
            .map(|c| c.state & !7)
            .collect();
        words.sort_unstable();
        words.dedup();
        words
    }
}

/// The inline slots a rule reads (numeric and string).
#[derive(Default)]
pub(crate) struct RuleSlots {
    pub num: Vec<u32>,
    pub strs: Vec<u32>,
}

/// The inline slots of the rule rooted at `root`.
pub(crate) fn rule_slots(p: &Program, plan: &Plan, root: u32, scratch: &mut Scratch) -> RuleSlots {
    let mut r = RuleSlots::default();
    analyse(p, plan, root, scratch, &mut r.num, &mut r.strs);
    for &n in &scratch.touched {
        scratch.uses[n as usize] = 0;
    }
    scratch.touched.clear();
    r
}

/// Builds the body of one rule function into `func` (whose signature is already set): with
/// `layout` `None` a standalone rule `fn(ctx) -> u8`, else a body `fn(ctx, cache) -> u8` that
/// reads its slots in the caller's cache (see [`build_fn`]).
#[allow(clippy::too_many_arguments)]
pub(crate) fn build_rule(
    func: &mut Function,
    fctx: &mut FunctionBuilderContext,
    p: &Program,
    plan: &Plan,
    env: &Env,
    root: u32,
    scratch: &mut Scratch,
    layout: Option<&CacheLayout>,
) -> Result<(), String> {
    let shape = match layout {
        Some(l) => Shape::Body(l),
        None => Shape::Rule,
    };
    build_fn(func, fctx, p, plan, env, &[root], scratch, shape)
}

/// Builds a batch function `fn(ctx, out, first) -> u32` (see [`build_batch`] for its contract)
/// with the rules rooted at `roots` inlined, in order, into one function: one slot cache and
/// one memo per shared node for all of them (a node shared by several rules, a macro, is
/// evaluated at most once per call), no call per rule.
pub(crate) fn build_batch_inline(
    func: &mut Function,
    fctx: &mut FunctionBuilderContext,
    p: &Program,
    plan: &Plan,
    env: &Env,
    roots: &[u32],
    scratch: &mut Scratch,
) -> Result<(), String> {
    build_fn(func, fctx, p, plan, env, roots, scratch, Shape::Batch)
}

/// What [`build_fn`] makes of its roots.
#[derive(Clone, Copy)]
enum Shape<'l> {
    /// One root, `fn(ctx) -> u8`, its cache in its frame.
    Rule,
    /// One root, `fn(ctx, cache) -> u8`, its cache at the caller's `cache` (zeroed by it).
    Body(&'l CacheLayout),
    /// Any roots, `fn(ctx, out, first) -> u32`, one cache in its frame for all of them.
    Batch,
}

/// Builds a function over the rules rooted at `roots` (one, except for [`Shape::Batch`]).
///
/// All per-call state (slot values and their states, memo bytes and return-site indices of
/// shared nodes) lives in memory rather than in SSA variables: it is read and written with plain
/// loads and stores, so SSA construction stays trivial and compile time stays linear in the DAG
/// size however many blocks and cached values a rule has.
///
/// The frame: `[values: i64 × slots][strings: 2 × i64 × string slots][rets: i32 × shared]
/// [count: i32, batches only][states: u8 × (slots + string slots)][memos: u8 × shared]`, the
/// state and memo bytes zeroed at entry with 8-byte stores. For a [`Shape::Body`] the slot
/// values and states are at the layout's offsets from `cache` instead, and the frame holds only
/// the rets and memos.
#[allow(clippy::too_many_arguments)]
fn build_fn(
    func: &mut Function,
    fctx: &mut FunctionBuilderContext,
    p: &Program,
    plan: &Plan,
    env: &Env,
    roots: &[u32],
    scratch: &mut Scratch,
    shape: Shape<'_>,
) -> Result<(), String> {
    let (mut slot_ids, mut str_ids) = (Vec::new(), Vec::new());
    for &root in roots {
        // Uses accumulate across roots: a node reached from two rules is shared too.
        analyse(p, plan, root, scratch, &mut slot_ids, &mut str_ids);
    }
    if roots.len() > 1 {
        let mut seen = std::collections::HashSet::new();
        slot_ids.retain(|s| seen.insert(*s));
        seen.clear();
        str_ids.retain(|s| seen.insert(*s));
    }
    let shared_ids: Vec<u32> = scratch
        .touched
        .iter()
        .copied()
        .filter(|&n| scratch.uses[n as usize] >= 2 && countable(p, plan, n as usize))
        .collect();
    for &n in &scratch.touched {
        scratch.uses[n as usize] = 0;
    }
    scratch.touched.clear();

    let layout = match shape {
        Shape::Body(l) => Some(l),
        Shape::Rule | Shape::Batch => None,
    };
    let batch = matches!(shape, Shape::Batch);
    let ns = shared_ids.len();
    // Slots cached in this frame (none when the caller holds the cache).
    let (nn, nstr) = if layout.is_some() { (0, 0) } else { (slot_ids.len(), str_ids.len()) };
    // Each string slot takes two value words and one state byte.
    let nv = nn + nstr;
    let off_ret = 8 * (nn + 2 * nstr);
    let off_count = off_ret + 4 * ns;
    let off_state = (off_count + if batch { 4 } else { 0 }).next_multiple_of(8);
    let state_bytes = (nv + ns).next_multiple_of(8);
    let frame = off_state + state_bytes;
    if frame > MAX_FRAME {
        return Err(format!("rule state frame of {frame} bytes exceeds {MAX_FRAME}"));
    }
    // Every offset below is < MAX_FRAME, so fits i32.
    let at = |x: usize| x as i32;

    let (mut b, entry, params) = begin(func, fctx);
    let ptr = env.ptr();
    let ctx = params[0];
    let base = if layout.is_some() { params.get(1).copied() } else { None };
    let sig_check = b.import_signature(env.eval_check_signature());
    let sig_slot = b.import_signature(env.slot_num_signature());
    let sig_find = b.import_signature(env.find_signature());

    let frame_slot = if frame > 0 {
        let ss = b.create_sized_stack_slot(StackSlotData::new(StackSlotKind::ExplicitSlot, frame as u32, 3));
        let zero = b.ins().iconst(types::I64, 0);
        for k in (0..state_bytes).step_by(8) {
            b.ins().stack_store(ptr, zero, ss, at(off_state + k));
        }
        if batch {
            let zero = b.ins().iconst(types::I32, 0);
            b.ins().stack_store(ptr, zero, ss, at(off_count));
        }
        Some(ss)
    } else {
        None
    };

    let (mut num_slots, mut str_slots): (HashMap<u32, SlotCache>, HashMap<u32, SlotCache>) = match layout {
        Some(l) => (
            slot_ids.iter().filter_map(|s| l.num.get(s).map(|c| (*s, *c))).collect(),
            str_ids.iter().filter_map(|s| l.strs.get(s).map(|c| (*s, *c))).collect(),
        ),
        None => (HashMap::new(), HashMap::new()),
    };
    if layout.is_none() {
        for (i, &s) in slot_ids.iter().enumerate() {
            num_slots.insert(s, SlotCache { value: at(8 * i), state: at(off_state + i) });
        }
        for (j, &s) in str_ids.iter().enumerate() {
            str_slots.insert(s, SlotCache { value: at(8 * nn + 16 * j), state: at(off_state + nn + j) });
        }
    }
    let cache = match (base, frame_slot) {
        (Some(base), _) => Some(CacheLoc::Base(base)),
        (None, Some(ss)) if layout.is_none() => Some(CacheLoc::Frame(ss)),
        _ => None,
    };
    let mut shared: HashMap<u32, Shared> = HashMap::with_capacity(ns);
    for (j, &n) in shared_ids.iter().enumerate() {
        let (body, exit_t, exit_f) = (b.create_block(), b.create_block(), b.create_block());
        let s =
            Shared { memo: at(off_state + nv + j), ret: at(off_ret + 4 * j), body, exit_t, exit_f, sites: Vec::new() };
        shared.insert(n, s);
    }

    // Per root: the block it starts in, where it goes when true (`hits`, batches: record and
    // go on) and when false (the next root's block, or the end).
    let ret_true = b.create_block();
    let ret_false = b.create_block();
    let starts: Vec<Block> =
        roots.iter().enumerate().map(|(i, _)| if i == 0 { entry } else { b.create_block() }).collect();
    let hits: Vec<Block> = if batch { roots.iter().map(|_| b.create_block()).collect() } else { Vec::new() };

    let mut cg = Gen {
        b,
        p,
        plan,
        env,
        ctx,
        ptr,
        frame: frame_slot,
        cache,
        sig_check,
        sig_slot,
        sig_find,
        num_slots,
        str_slots,
        shared,
        tasks: Vec::new(),
    };
    if roots.is_empty() {
        cg.b.ins().jump(ret_false, &[]);
    }
    for (i, &root) in roots.iter().enumerate().rev() {
        let (t, f) =
            if batch { (hits[i], starts.get(i + 1).copied().unwrap_or(ret_false)) } else { (ret_true, ret_false) };
        cg.tasks.push(Task { node: root, block: starts[i], t, f, body: false });
    }
    while let Some(task) = cg.tasks.pop() {
        cg.emit(task);
    }
    for n in shared_ids {
        cg.emit_exits(n);
    }

    let mut b = cg.b;
    match (batch, frame_slot) {
        (true, Some(ss)) => {
            let (out, first) = (params[1], params[2]);
            for (pos, &hit) in hits.iter().enumerate() {
                b.switch_to_block(hit);
                let n = b.ins().stack_load(ptr, types::I32, ss, at(off_count));
                let n1 = record_match(&mut b, ptr, out, n, pos);
                b.ins().stack_store(ptr, n1, ss, at(off_count));
                let next = starts.get(pos + 1).copied().unwrap_or(ret_false);
                b.ins().brif(first, ret_false, &[], next, &[]);
            }
            b.switch_to_block(ret_true);
            b.ins().jump(ret_false, &[]);
            b.switch_to_block(ret_false);
            let n = b.ins().stack_load(ptr, types::I32, ss, at(off_count));
            b.ins().return_(&[n]);
        }
        (true, None) => {
            // A batch always has its count in the frame; stay well-formed if not.
            for &hit in &hits {
                b.switch_to_block(hit);
                b.ins().jump(ret_false, &[]);
            }
            b.switch_to_block(ret_true);
            b.ins().jump(ret_false, &[]);
            b.switch_to_block(ret_false);
            let zero = b.ins().iconst(types::I32, 0);
            b.ins().return_(&[zero]);
        }
        (false, _) => {
            b.switch_to_block(ret_true);
            let one = b.ins().iconst(types::I8, 1);
            b.ins().return_(&[one]);
            b.switch_to_block(ret_false);
            let zero = b.ins().iconst(types::I8, 0);
            b.ins().return_(&[zero]);
        }
    }
    b.seal_all_blocks();
    b.finalize(env.frontend);
    Ok(())
}

/// Writes list position `pos` to `out[n]` (a batch's matches, `u32`s) and returns `n + 1`.
fn record_match(b: &mut FunctionBuilder<'_>, ptr: Type, out: Value, n: Value, pos: usize) -> Value {
    let off = b.ins().uextend(ptr, n);
    let off = b.ins().ishl_imm_u(off, 2);
    let addr = b.ins().iadd(out, off);
    // Positions are list indices, below the list's length (a u32: checked by the caller).
    let p = b.ins().iconst(types::I32, pos as i64);
    b.ins().store(MemFlagsData::trusted(), p, addr, 0);
    b.ins().iadd_imm_s(n, 1)
}

/// A function builder on `func` positioned in its entry block, which takes the function's
/// parameters; returns the builder, that block and those parameters.
fn begin<'f>(func: &'f mut Function, fctx: &'f mut FunctionBuilderContext) -> (FunctionBuilder<'f>, Block, Vec<Value>) {
    let mut b = FunctionBuilder::new(func, fctx);
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    let params = b.block_params(entry).to_vec();
    (b, entry, params)
}

/// A frame holding a [`CacheLayout`]'s cache, 8-byte aligned, with the given state words zeroed;
/// returns its address.
fn cache_frame(b: &mut FunctionBuilder<'_>, ptr: Type, layout: &CacheLayout, words: &[i32]) -> Value {
    let ss = b.create_sized_stack_slot(StackSlotData::new(StackSlotKind::ExplicitSlot, layout.size as u32, 3));
    let zero = b.ins().iconst(types::I64, 0);
    for &w in words {
        b.ins().stack_store(ptr, zero, ss, w);
    }
    b.ins().stack_addr(ptr, ss, 0)
}

/// Builds a standalone rule function `fn(ctx) -> u8` that calls the rule's body `inner`
/// (`fn(ctx, cache) -> u8`, see [`build_rule`]) with a fresh cache whose state `words` (those
/// of the rule's slots) are zeroed.
pub(crate) fn build_wrapper(
    func: &mut Function,
    fctx: &mut FunctionBuilderContext,
    env: &Env,
    inner: FuncRef,
    layout: &CacheLayout,
    words: &[i32],
) {
    let (mut b, _, params) = begin(func, fctx);
    let ptr = env.ptr();
    let ctx = params[0];
    let base = cache_frame(&mut b, ptr, layout, words);
    let call = b.ins().call(inner, &[ctx, base]);
    let r = b.inst_results(call)[0];
    b.ins().return_(&[r]);
    b.seal_all_blocks();
    b.finalize(env.frontend);
}

/// Builds a batch function `fn(ctx, out, first) -> u32` for one candidate list: it zeroes the
/// state `words` of every slot the list's rules read, then calls the rule bodies `rules` (see
/// [`build_rule`]) in order on one cache, so a slot value fetched by one rule serves the next;
/// for each rule that matches it writes the rule's position in the list to `out[count]` and
/// counts it, and when `first` is non-zero it returns at the first match. Returns the count.
pub(crate) fn build_batch(
    func: &mut Function,
    fctx: &mut FunctionBuilderContext,
    env: &Env,
    rules: &[FuncRef],
    layout: &CacheLayout,
    words: &[i32],
) {
    let (mut b, _, params) = begin(func, fctx);
    let ptr = env.ptr();
    let (ctx, out, first) = (params[0], params[1], params[2]);
    let base = cache_frame(&mut b, ptr, layout, words);
    let count = b.declare_var(types::I32);
    let zero = b.ins().iconst(types::I32, 0);
    b.def_var(count, zero);
    let done = b.create_block();
    for (pos, &inner) in rules.iter().enumerate() {
        let (hit, next) = (b.create_block(), b.create_block());
        let call = b.ins().call(inner, &[ctx, base]);
        let r = b.inst_results(call)[0];
        b.ins().brif(r, hit, &[], next, &[]);
        b.switch_to_block(hit);
        let n = b.use_var(count);
        let n1 = record_match(&mut b, ptr, out, n, pos);
        b.def_var(count, n1);
        b.ins().brif(first, done, &[], next, &[]);
        b.switch_to_block(next);
    }
    b.ins().jump(done, &[]);
    b.switch_to_block(done);
    let n = b.use_var(count);
    b.ins().return_(&[n]);
    b.seal_all_blocks();
    b.finalize(env.frontend);
}

struct Gen<'a, 'f> {
    b: FunctionBuilder<'f>,
    p: &'a Program,
    plan: &'a Plan,
    env: &'a Env,
    ctx: Value,
    ptr: Type,
    /// The state frame (None when the rule needs no state).
    frame: Option<StackSlot>,
    /// Where cached slot values live (None when the rule reads no inline slot).
    cache: Option<CacheLoc>,
    sig_check: SigRef,
    sig_slot: SigRef,
    /// `strings::contains_word`'s signature.
    sig_find: SigRef,
    num_slots: HashMap<u32, SlotCache>,
    str_slots: HashMap<u32, SlotCache>,
    shared: HashMap<u32, Shared>,
    tasks: Vec<Task>,
}

fn int_cc(cmp: Cmp, signed: bool) -> IntCC {
    match (cmp, signed) {
        (Cmp::Eq, _) => IntCC::Equal,
        (Cmp::Ne, _) => IntCC::NotEqual,
        (Cmp::Lt, true) => IntCC::SignedLessThan,
        (Cmp::Le, true) => IntCC::SignedLessThanOrEqual,
        (Cmp::Gt, true) => IntCC::SignedGreaterThan,
        (Cmp::Ge, true) => IntCC::SignedGreaterThanOrEqual,
        (Cmp::Lt, false) => IntCC::UnsignedLessThan,
        (Cmp::Le, false) => IntCC::UnsignedLessThanOrEqual,
        (Cmp::Gt, false) => IntCC::UnsignedGreaterThan,
        (Cmp::Ge, false) => IntCC::UnsignedGreaterThanOrEqual,
    }
}

impl Gen<'_, '_> {
    /// Emits `task.node` starting in `task.block` (which it fills), continuing to `t`/`f`.
    /// The first child of And/Or and the child of Not continue in the same block directly; other
    /// children become tasks with their own fresh blocks.
    fn emit(&mut self, task: Task) {
        let Task { mut node, block, mut t, mut f, mut body } = task;
        if self.b.current_block() != Some(block) {
            self.b.switch_to_block(block);
        }
        loop {
            let n = node as usize;
            if let Some(v) = self.plan.folded[n] {
                self.b.ins().jump(if v { t } else { f }, &[]);
                return;
            }
            if !body && self.shared.contains_key(&node) {
                self.use_site(node, t, f);
                return;
            }
            body = false;
            match &self.p.nodes[n] {
                Node::Not(c) => {
                    node = c.0;
                    std::mem::swap(&mut t, &mut f);
                }
                Node::And(cs) | Node::Or(cs) => {
                    let is_and = matches!(self.p.nodes[n], Node::And(_));
                    // Folded children are all neutral here (else this node would be folded).
                    let live: Vec<u32> =
                        cs.iter().map(|c| c.0).filter(|&c| self.plan.folded[c as usize].is_none()).collect();
                    let Some((&first, rest)) = live.split_first() else {
                        // Unreachable after folding; keep a correct answer anyway.
                        self.b.ins().jump(if is_and { t } else { f }, &[]);
                        return;
                    };
                    // Child i continues to child i+1's block on its neutral outcome.
                    let mut next_blocks: Vec<Block> = rest.iter().map(|_| self.b.create_block()).collect();
                    next_blocks.push(if is_and { t } else { f });
                    for (i, &c) in rest.iter().enumerate() {
                        let (ct, cf) = if is_and { (next_blocks[i + 1], f) } else { (t, next_blocks[i + 1]) };
                        self.tasks.push(Task { node: c, block: next_blocks[i], t: ct, f: cf, body: false });
                    }
                    if is_and {
                        t = next_blocks[0];
                    } else {
                        f = next_blocks[0];
                    }
                    node = first;
                }
                Node::Check(c) => {
                    self.leaf(c.0, t, f);
                    return;
                }
                Node::Const(v) => {
                    // Folded above; kept for completeness.
                    self.b.ins().jump(if *v { t } else { f }, &[]);
                    return;
                }
            }
        }
    }

    /// A use of a shared node: known memo → branch on it; else record the return site and enter
    /// the body.
    fn use_site(&mut self, node: u32, t: Block, f: Block) {
        let (Some(s), Some(frame)) = (self.shared.get_mut(&node), self.frame) else {
            // Every shared node has frame space; stay well-formed if not.
            self.b.ins().jump(f, &[]);
            return;
        };
        let site = s.sites.len() as i64;
        s.sites.push((t, f));
        let (memo, ret, body, exit_t, exit_f) = (s.memo, s.ret, s.body, s.exit_t, s.exit_f);
        if site == 0 {
            self.tasks.push(Task { node, block: body, t: exit_t, f: exit_f, body: true });
        }
        let (b, ptr) = (&mut self.b, self.ptr);
        let m = b.ins().stack_load(ptr, types::I8, frame, memo);
        let is_true = b.ins().icmp_imm_s(IntCC::Equal, m, MEMO_TRUE);
        let known = b.create_block();
        let call = b.create_block();
        b.ins().brif(m, known, &[], call, &[]);
        b.switch_to_block(known);
        b.ins().brif(is_true, t, &[], f, &[]);
        b.switch_to_block(call);
        let idx = b.ins().iconst(types::I32, site);
        b.ins().stack_store(ptr, idx, frame, ret);
        b.ins().jump(body, &[]);
    }

    /// The two exits of a shared node's body: record the result, return to the entering site.
    fn emit_exits(&mut self, node: u32) {
        let Some(s) = self.shared.remove(&node) else {
            return;
        };
        for (exit, outcome) in [(s.exit_t, true), (s.exit_f, false)] {
            let (b, ptr) = (&mut self.b, self.ptr);
            b.switch_to_block(exit);
            let targets: Vec<Block> = s.sites.iter().map(|&(t, f)| if outcome { t } else { f }).collect();
            let (Some(&first), Some(frame)) = (targets.first(), self.frame) else {
                // Never entered (cannot happen: shared means two or more sites); the block has no
                // predecessor but still needs a terminator.
                let zero = b.ins().iconst(types::I8, 0);
                b.ins().return_(&[zero]);
                continue;
            };
            let m = b.ins().iconst(types::I8, if outcome { MEMO_TRUE } else { MEMO_FALSE });
            b.ins().stack_store(ptr, m, frame, s.memo);
            match targets.as_slice() {
                [only] => {
                    b.ins().jump(*only, &[]);
                }
                [a, second] => {
                    let r = b.ins().stack_load(ptr, types::I32, frame, s.ret);
                    b.ins().brif(r, *second, &[], *a, &[]);
                }
                _ => {
                    let r = b.ins().stack_load(ptr, types::I32, frame, s.ret);
                    let def = b.func.dfg.block_call(first, &[]);
                    let table: Vec<_> = targets.iter().map(|&blk| b.func.dfg.block_call(blk, &[])).collect();
                    let jt = b.create_jump_table(JumpTableData::new(def, &table));
                    b.ins().br_table(r, jt);
                }
            }
        }
    }

    /// `eval_check(ctx, check)` and a branch on its result, in the current block.
    fn call_check(&mut self, check: u32, t: Block, f: Block) {
        let b = &mut self.b;
        let id = b.ins().iconst(types::I32, i64::from(check));
        let callee = b.ins().iconst(self.ptr, self.env.eval_check);
        let call = b.ins().call_indirect(self.sig_check, callee, &[self.ctx, id]);
        let r = b.inst_results(call)[0];
        b.ins().brif(r, t, &[], f, &[]);
    }

    fn leaf(&mut self, check: u32, t: Block, f: Block) {
        let plan = self.plan;
        match &plan.leaves[check as usize] {
            Leaf::Call => self.call_check(check, t, f),
            Leaf::Bit(vb) => {
                let vb = *vb;
                let (b, ptr, ctx) = (&mut self.b, self.ptr, self.ctx);
                // The header is the context's start: aligned, and valid for the whole call.
                let mem = MemFlagsData::trusted();
                let off = |o: usize| o as i32;
                let words = b.ins().load(ptr, mem, ctx, off(std::mem::offset_of!(VerdictHeader, words)));
                let len = b.ins().load(ptr, mem, ctx, off(std::mem::offset_of!(VerdictHeader, len)));
                let generation =
                    b.ins().load(types::I64, mem, ctx, off(std::mem::offset_of!(VerdictHeader, generation)));
                let (check_stamp, read, call) = (b.create_block(), b.create_block(), b.create_block());
                // `stamp < word` (the plan checks it), so a word in range has its stamp in range.
                let in_range = b.ins().icmp_imm_s(IntCC::UnsignedGreaterThan, len, i64::from(vb.word));
                b.ins().brif(in_range, check_stamp, &[], call, &[]);
                b.switch_to_block(check_stamp);
                // Offsets are below i32::MAX (the plan checks the word index).
                let stamp = b.ins().load(types::I64, mem, words, (8 * vb.stamp) as i32);
                let fresh = b.ins().icmp(IntCC::Equal, stamp, generation);
                b.ins().brif(fresh, read, &[], call, &[]);
                b.switch_to_block(read);
                let w = b.ins().load(types::I64, mem, words, (8 * vb.word) as i32);
                let bit = b.ins().band_imm_s(w, (1u64 << vb.bit) as i64);
                b.ins().brif(bit, t, &[], f, &[]);
                b.switch_to_block(call);
                self.call_check(check, t, f);
            }
            Leaf::Str { slot, test } => self.str_leaf(check, *slot, Some(test), t, f),
            Leaf::Guarded { slot } => self.str_leaf(check, *slot, None, t, f),
            Leaf::Num { slot, test } => {
                let (Some(entry), Some(loc)) = (self.num_slots.get(slot), self.cache) else {
                    // The analysis collects every inline slot; stay well-formed if it did not.
                    self.b.ins().jump(f, &[]);
                    return;
                };
                let (state, value) = (entry.state, entry.value);
                let test = test.clone();
                let (b, ptr) = (&mut self.b, self.ptr);
                let st = loc.load(b, ptr, types::I8, state);
                let known = b.create_block();
                let fetch = b.create_block();
                let cmp = b.create_block();
                b.ins().brif(st, known, &[], fetch, &[]);

                b.switch_to_block(known);
                let present = b.ins().icmp_imm_s(IntCC::Equal, st, SLOT_PRESENT);
                b.ins().brif(present, cmp, &[], f, &[]);

                b.switch_to_block(fetch);
                let addr = loc.addr(b, ptr, value);
                let id = b.ins().iconst(types::I32, i64::from(*slot));
                let callee = b.ins().iconst(ptr, self.env.slot_num_for(*slot));
                let call = b.ins().call_indirect(self.sig_slot, callee, &[self.ctx, id, addr]);
                let ok = b.inst_results(call)[0];
                let ok = b.ins().icmp_imm_s(IntCC::NotEqual, ok, 0);
                let st2 = b.ins().iadd_imm_s(ok, SLOT_ABSENT);
                loc.store(b, ptr, st2, state);
                b.ins().brif(ok, cmp, &[], f, &[]);

                b.switch_to_block(cmp);
                let v = loc.load(b, ptr, types::I64, value);
                let cond = match test {
                    NumTest::Cmp { cmp, signed, value } => b.ins().icmp_imm_s(int_cc(cmp, signed), v, value),
                    NumTest::In(values) => {
                        let mut acc: Option<Value> = None;
                        for k in values {
                            let e = b.ins().icmp_imm_s(IntCC::Equal, v, k);
                            acc = Some(match acc {
                                Some(a) => b.ins().bor(a, e),
                                None => e,
                            });
                        }
                        match acc {
                            Some(a) => a,
                            None => b.ins().iconst(types::I8, 0),
                        }
                    }
                };
                b.ins().brif(cond, t, &[], f, &[]);
            }
        }
    }
    /// An inline string leaf (see the module docs): the slot's bytes, fetched once per call,
    /// compared with the test's constants; without a test (a guarded call), present bytes call
    /// the check as any other answer but absence does.
    fn str_leaf(&mut self, check: u32, slot: u32, test: Option<&super::plan::StrTest>, t: Block, f: Block) {
        let (Some(entry), Some(loc)) = (self.str_slots.get(&slot), self.cache) else {
            // The analysis collects every inline slot; stay well-formed if it did not.
            self.b.ins().jump(f, &[]);
            return;
        };
        let (state, value) = (entry.state, entry.value);
        let (b, ptr) = (&mut self.b, self.ptr);
        let st = loc.load(b, ptr, types::I8, state);
        let (known, fetch, cmp, other, call) =
            (b.create_block(), b.create_block(), b.create_block(), b.create_block(), b.create_block());
        b.ins().brif(st, known, &[], fetch, &[]);

        b.switch_to_block(fetch);
        let addr = loc.addr(b, ptr, value);
        let id = b.ins().iconst(types::I32, i64::from(slot));
        let callee = b.ins().iconst(ptr, self.env.slot_str_for(slot));
        let r = b.ins().call_indirect(self.sig_slot, callee, &[self.ctx, id, addr]);
        let r = b.inst_results(r)[0];
        // 0 absent, 1 present, 2 call: stored plus one; any other answer is treated as "call"
        // below too.
        let st2 = b.ins().iadd_imm_s(r, SLOT_ABSENT);
        loc.store(b, ptr, st2, state);
        b.ins().jump(known, &[]);

        b.switch_to_block(known);
        let st = loc.load(b, ptr, types::I8, state);
        let present = b.ins().icmp_imm_s(IntCC::Equal, st, SLOT_PRESENT);
        b.ins().brif(present, cmp, &[], other, &[]);
        b.switch_to_block(other);
        let absent = b.ins().icmp_imm_s(IntCC::Equal, st, SLOT_ABSENT);
        b.ins().brif(absent, f, &[], call, &[]);

        b.switch_to_block(cmp);
        if let Some(test) = test {
            let p = loc.load(b, ptr, types::I64, value);
            let n = loc.load(b, ptr, types::I64, value + 8);
            strings::emit(b, test, p, n, self.sig_find, t, f);
        } else {
            b.ins().jump(call, &[]);
        }

        b.switch_to_block(call);
        self.call_check(check, t, f);
    }
}
