//! Rule evaluation shared by both backends: a [`Program`] compiled into matchers once
//! ([`Compiled`]), and the per-event context ([`EvalCtx`]) that computes slot values lazily and
//! evaluates one check at a time.
//!
//! This module owns the *meaning of every check* (the IR's leaves): the reference interpreter
//! ([`interp`]) walks the boolean nodes and calls [`EvalCtx::eval_check`]; the JIT compiles the
//! nodes (and simple integer comparisons) to native code and calls back into the same function
//! through [`rulec_eval_check`] and [`rulec_slot_num`]. So both backends agree by construction.
//!
//! # Semantics decided here
//!
//! * **Absence.** A check on a slot whose value cannot be computed is false (`!=` too);
//!   `exists` is true exactly when the value can be computed.
//! * **Lists.** On a list slot (`fd.types`), `in` holds when the list is non-empty and every
//!   value is in the set (an empty list has no value to test, as in libsinsp), `intersects` when
//!   some value is. A [`Value::List`] on a *scalar* slot (ancestor fields without an index,
//!   `fd.ip`...) means "any of these": every test holds when it holds for some element (for
//!   `!=` too: some ancestor has another name).
//! * **Numbers.** Integers compare exactly (as `i128`), an integer with a double exactly (no
//!   rounding), doubles as IEEE (NaN is unordered: only `!=` holds). A number never equals a
//!   string or a bool. Integer field values are normalised to the slot's signedness (a signed
//!   slot always yields [`Value::Int`], an unsigned one [`Value::Uint`], reinterpreting the 64
//!   bits like the JIT does), so both backends see the same number.
//! * **IPs.** An address equals a network constant when the network contains it (a full-length
//!   prefix is plain equality); IPv4-mapped IPv6 addresses are compared as IPv4.
//! * **Strings.** Operators work on bytes. `icontains` and `iglob` fold ASCII case only (as
//!   libsinsp's `strcasestr` and `fnmatch(FNM_CASEFOLD)` in the C locale). `glob` is fnmatch
//!   without `FNM_PATHNAME` (`*` crosses `/`), `\` escapes, bytes not characters. `regex` is a
//!   full match. `pmatch` matches a path whose leading components are one of the entries' (an
//!   entry's components may be globs, which never cross `/`); repeated and trailing `/` are
//!   ignored.
//! * **Modifiers.** With `oneof`/`anyof`/`allof` the patterns are counted as written (a pattern
//!   listed twice counts twice): exactly one, at least one, all. `allof ()` holds (vacuously),
//!   `anyof ()` and `oneof ()` do not.
//! * **Transformers**, computed from their input slots: `tolower`/`toupper` ASCII; `b64`
//!   standard alphabet with optional padding, absent when the input does not decode; `basename`
//!   the text after the last `/` (`/usr/bin/` → empty); `len` bytes of a string or count of a
//!   list; `join(sep, list)`; `concat(...)` absent if any input is; `getopt(args, "opts")[c]`
//!   POSIX getopt over the whitespace-separated arguments (scanning stops at `--` or the first
//!   non-option; an unknown option is skipped): the argument of the last `-c` for an option
//!   taking one, the empty string for a flag that is present, absent otherwise.
//!
//! # Robustness
//!
//! Nothing here panics on event data; still, each check runs under `catch_unwind`: a panic
//! (a rulec bug) makes the check false and is counted ([`SlotCache::panics`]), and never
//! unwinds across the JIT's FFI boundary.

pub mod interp;
pub mod order;

use std::cmp::Ordering;
use std::ffi::c_void;
use std::net::IpAddr;
use std::panic::{AssertUnwindSafe, catch_unwind};

use aho_corasick::AhoCorasick;
use rulec_ir::FieldArgValue;
// Constant sets are hashed once and probed on every event with event data: Fx hashing (a
// probe costs the same whatever the data; the table's shape is fixed by the rules' constants).
use rulec_ir::{CheckId, Cmp, Const, Node, NodeId, Program, Slot, SlotId, SlotInput, SlotOp, StrOp, Test};
use rulec_ir::{Modifier, Transformer};
use rulec_schema::{FieldInfo, FieldType};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::event::Event;
use crate::fields;
use crate::state::State;
use crate::value::{Value, ValueRef};

/// A field source: the value of a field for an event. [`fields::extract`] is the real one;
/// tests and tools may give another ([`Compiled::with_extractor`]).
pub type ExtractFn = fn(&'static FieldInfo, Option<&FieldArgValue>, &Event, &State) -> Option<Value>;

// ------------------------------------------------------------------------------------ compiled

/// A program with every matcher built: string sets hashed, multi-pattern searches as
/// aho-corasick automata, globs and regexes compiled, networks parsed. Built once, shared by
/// every event.
pub struct Compiled {
    program: Program,
    slots: Vec<SlotPlan>,
    checks: Vec<CheckPlan>,
    /// Per slot, how `slot_num` reads it.
    reads: Vec<Read>,
    /// Distinct for every `Compiled` built in this process (remembered verdicts belong to one).
    id: u64,
}

impl std::fmt::Debug for Compiled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compiled")
            .field("slots", &self.slots.len())
            .field("checks", &self.checks.len())
            .field("rules", &self.program.rules.len())
            .finish()
    }
}

/// How a field slot gets its value.
#[derive(Clone, Copy)]
enum Getter {
    /// Resolved once from the field table.
    Direct(fields::FieldFn),
    Generic(ExtractFn),
    /// rulec has no extractor for the field: always absent.
    Missing,
}

/// Integer normalisation by slot type (see the module doc).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Norm {
    None,
    Signed,
    Unsigned,
}

enum SlotPlan {
    Field { field: &'static FieldInfo, arg: Option<FieldArgValue>, get: Getter, norm: Norm },
    Transform { func: Transformer, inputs: Vec<SlotInput>, index: Option<String> },
}

struct CheckPlan {
    slot: SlotId,
    /// The slot is a list slot (`in` means "all values").
    list: bool,
    /// How the check reads the slot's value.
    read: Read,
    m: Matcher,
}

/// How a check (or the JIT's `slot_num`) gets a field slot's value. Each way gives the same
/// value (the borrowed and stack forms are tested against the cached one), so this only
/// decides the cost: copying a string into the slot's buffer and keeping it pays when several
/// checks read a computed value (`proc.cmdline`); a name the state already holds is cheaper to
/// read again in place, and a number is cheaper to recompute than to store.
#[derive(Clone)]
enum Read {
    /// Through the per-event slot cache ([`SlotCache`]): computed once, kept for the event.
    Cached,
    /// Borrowed from the event or the state ([`fields::borrow`]): no copy, nothing kept.
    Borrow(fields::borrow::BorrowFn, Option<FieldArgValue>),
    /// A number, bool or address computed into a local value: nothing to keep.
    Stack(fields::FieldFn, Option<FieldArgValue>, Norm),
    /// A test on `evt.arg.NAME` whose parameter holds flags (`evt.arg.flags contains O_TRUNC`):
    /// the rendered text, hence the verdict, depends only on the event's name, the parameter's
    /// type and its bits, so verdicts are remembered by those in the slot cache's memo `memo`
    /// (flag values repeat: most opens have one of a few flag sets) and the text is only
    /// rendered on a miss.
    FlagText { name: Box<str>, memo: u32 },
}

/// Remembered verdicts of one flag-text check: a few entries, direct-mapped.
const FLAG_MEMO_WAYS: usize = 8;

#[derive(Clone, Copy, Debug, Default)]
struct FlagMemoEntry {
    /// Address of the event's name (a `&'static str`: equal address and length, equal text);
    /// 0: empty.
    name: usize,
    /// The name's length, and the parameter type's discriminant in the low byte.
    len_ty: u64,
    bits: u64,
    verdict: bool,
}

/// The parameter name of an `evt.arg.NAME` slot read with the real extractors (whose flag
/// parameters a check can remember verdicts for: see [`Read::FlagText`]).
fn flag_param(plan: &SlotPlan) -> Option<&str> {
    match plan {
        SlotPlan::Field { field, arg: Some(FieldArgValue::Key(k)), get: Getter::Direct(_), .. }
            if field.name == "evt.arg" =>
        {
            Some(k)
        }
        _ => None,
    }
}

/// How slot `slot` can be read without the cache, if it can: a field slot with the real
/// extractors, whose value is never a list.
fn read_of(p: &Program, plan: &SlotPlan, slot: usize) -> Read {
    let SlotPlan::Field { field, arg, get: Getter::Direct(f), norm } = plan else { return Read::Cached };
    if p.slots.get(slot).is_none_or(Slot::may_yield_list) {
        return Read::Cached;
    }
    if let Some(b) = fields::borrow::lookup(field.name, arg.as_ref()) {
        return Read::Borrow(b, arg.clone());
    }
    let copy_type = *norm != Norm::None || matches!(field.ty, FieldType::Bool | FieldType::Double | FieldType::IpAddr);
    if copy_type { Read::Stack(*f, arg.clone(), *norm) } else { Read::Cached }
}

enum Matcher {
    Exists,
    Compare {
        cmp: Cmp,
        rhs: Operand,
    },
    Single {
        op: StrOp,
        pat: Single,
    },
    Multi {
        op: StrOp,
        modifier: Modifier,
        total: usize,
        set: MultiSet,
    },
    In(ConstSet),
    Intersects(ConstSet),
    PMatch(PathSet),
    Slot {
        op: SlotOp,
        other: SlotId,
    },
    /// A test that could not be built (a regex that does not compile: the verifier rules it
    /// out, so this is a rulec bug); it is false.
    Never,
}

/// The right side of an ordered comparison.
enum Operand {
    Val(Value),
    /// A network with a prefix shorter than the address: containment.
    Net(IpAddr, u8),
}

enum Single {
    Bytes(Vec<u8>),
    Finder(AhoCorasick),
    Glob(Glob),
    Regex(regex::bytes::Regex),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Anchor {
    None,
    Start,
    /// Patterns are reversed and matched at the start of the reversed value.
    End,
}

enum MultiSet {
    /// `=`/`!=`: pattern → how many times it is listed.
    Exact(HashMap<Vec<u8>, usize>),
    /// `contains`-like: one automaton over the distinct patterns, with their multiplicities.
    Ac {
        ac: AhoCorasick,
        mult: Vec<usize>,
        anchor: Anchor,
        max_len: usize,
    },
    Globs(Vec<Glob>),
    Regexes(regex::bytes::RegexSet),
}

impl Compiled {
    /// Compiles `p`, reading fields with [`fields::extract`]'s extractors.
    pub fn new(p: &Program) -> Compiled {
        Compiled::build(p, None)
    }

    /// Compiles `p`, reading every field through `extract` instead.
    pub fn with_extractor(p: &Program, extract: ExtractFn) -> Compiled {
        Compiled::build(p, Some(extract))
    }

    fn build(p: &Program, extract: Option<ExtractFn>) -> Compiled {
        let slots: Vec<SlotPlan> = p
            .slots
            .iter()
            .map(|s| match s {
                Slot::Field { field, arg } => {
                    let get = match extract {
                        Some(f) => Getter::Generic(f),
                        None => fields::extractor(field).map_or(Getter::Missing, Getter::Direct),
                    };
                    SlotPlan::Field { field, arg: arg.clone(), get, norm: norm_of(field.ty) }
                }
                Slot::Transform { func, inputs, index, .. } => {
                    SlotPlan::Transform { func: *func, inputs: inputs.clone(), index: index.clone() }
                }
            })
            .collect();
        let reads: Vec<Read> = slots.iter().enumerate().map(|(i, plan)| read_of(p, plan, i)).collect();
        let mut memos = 0u32;
        let checks = p
            .checks
            .iter()
            .map(|c| {
                let list = p.slots.get(c.slot.0 as usize).is_some_and(Slot::is_list);
                let m = build_matcher(&c.test);
                // A comparison with another slot reads both through the cache.
                let read = match (&m, reads.get(c.slot.0 as usize)) {
                    (Matcher::Slot { .. }, _) | (_, None) => Read::Cached,
                    _ if list => Read::Cached,
                    (_, Some(Read::Cached)) => match flag_param(&slots[c.slot.0 as usize]) {
                        Some(name) => {
                            memos += 1;
                            Read::FlagText { name: name.into(), memo: memos - 1 }
                        }
                        None => Read::Cached,
                    },
                    (_, Some(r)) => r.clone(),
                };
                CheckPlan { slot: c.slot, list, read, m }
            })
            .collect();
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let id = NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Compiled { program: p.clone(), slots, checks, reads, id }
    }

    /// The program this was compiled from.
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// Reads every slot through the per-event cache, never in place (for tests comparing the
    /// two ways: they must give the same verdicts).
    pub fn disable_direct_reads(&mut self) {
        // A new identity: verdicts remembered under the old reads are dropped.
        self.id = self.id.wrapping_add(1 << 48);
        for c in &mut self.checks {
            c.read = Read::Cached;
        }
        for r in &mut self.reads {
            *r = Read::Cached;
        }
    }

    /// Puts the children of junction `node` in the order `children`, which must be a
    /// permutation of them (else nothing changes and this returns false). Every node keeps its
    /// value (see [`order`]); only the evaluation order of the junction changes.
    pub fn reorder(&mut self, node: NodeId, children: Vec<NodeId>) -> bool {
        let Some(Node::And(kids) | Node::Or(kids)) = self.program.nodes.get_mut(node.0 as usize) else {
            return false;
        };
        let (mut a, mut b) = (kids.clone(), children.clone());
        a.sort_unstable();
        b.sort_unstable();
        if a != b {
            return false;
        }
        *kids = children;
        true
    }
}

fn norm_of(ty: FieldType) -> Norm {
    match ty.int_signedness() {
        Some(true) => Norm::Signed,
        Some(false) => Norm::Unsigned,
        None => Norm::None,
    }
}

/// Normalises an integer value (or a list's) to the slot's signedness, in place.
fn normalize(v: &mut Value, norm: Norm) {
    match (norm, &mut *v) {
        // Reinterpreting the 64 bits is what the JIT does with `slot_num`; the extractors give
        // the schema's variant anyway, so this only matters for a buggy extractor.
        (Norm::Signed, Value::Uint(u)) => {
            let i = *u as i64;
            *v = Value::Int(i);
        }
        (Norm::Unsigned, Value::Int(i)) => {
            let u = *i as u64;
            *v = Value::Uint(u);
        }
        (Norm::Signed | Norm::Unsigned, Value::List(xs)) => {
            for x in xs {
                normalize(x, norm);
            }
        }
        _ => {}
    }
}

fn const_bytes(k: &Const) -> Option<&[u8]> {
    match k {
        Const::Str(s) => Some(s.as_bytes()),
        Const::Bytes(b) => Some(b),
        _ => None,
    }
}

fn anchored(re: &str) -> String {
    format!("^(?:{re})$")
}

fn build_matcher(t: &Test) -> Matcher {
    match t {
        Test::Exists => Matcher::Exists,
        Test::Compare { cmp, value } => Matcher::Compare { cmp: *cmp, rhs: operand(value) },
        Test::Str { op, pattern } => {
            let Some(p) = const_bytes(pattern) else { return Matcher::Never };
            let pat = match op {
                StrOp::Eq | StrOp::Ne | StrOp::StartsWith | StrOp::EndsWith | StrOp::BStartsWith => {
                    Single::Bytes(p.to_vec())
                }
                StrOp::Contains | StrOp::BContains | StrOp::IContains => {
                    match AhoCorasick::builder().ascii_case_insensitive(*op == StrOp::IContains).build([p]) {
                        Ok(ac) => Single::Finder(ac),
                        Err(_) => return Matcher::Never,
                    }
                }
                StrOp::Glob | StrOp::IGlob => Single::Glob(Glob::new(p, *op == StrOp::IGlob)),
                StrOp::Regex => match regex::bytes::Regex::new(&anchored(&String::from_utf8_lossy(p))) {
                    Ok(re) => Single::Regex(re),
                    Err(_) => return Matcher::Never,
                },
            };
            Matcher::Single { op: *op, pat }
        }
        Test::StrMulti { op, modifier, patterns } => {
            let Some(ps) = patterns.iter().map(const_bytes).collect::<Option<Vec<&[u8]>>>() else {
                return Matcher::Never;
            };
            let set = match op {
                StrOp::Eq | StrOp::Ne => {
                    let mut m = HashMap::default();
                    for p in &ps {
                        *m.entry(p.to_vec()).or_insert(0) += 1;
                    }
                    MultiSet::Exact(m)
                }
                StrOp::Contains
                | StrOp::IContains
                | StrOp::BContains
                | StrOp::StartsWith
                | StrOp::BStartsWith
                | StrOp::EndsWith => {
                    let anchor = match op {
                        StrOp::StartsWith | StrOp::BStartsWith => Anchor::Start,
                        StrOp::EndsWith => Anchor::End,
                        _ => Anchor::None,
                    };
                    // Distinct patterns with multiplicities: the automaton reports each once.
                    let mut uniq: Vec<Vec<u8>> = Vec::new();
                    let mut mult: Vec<usize> = Vec::new();
                    let mut index: HashMap<Vec<u8>, usize> = HashMap::default();
                    for p in &ps {
                        let mut p = p.to_vec();
                        if anchor == Anchor::End {
                            p.reverse();
                        }
                        match index.get(&p) {
                            Some(&i) => mult[i] += 1,
                            None => {
                                index.insert(p.clone(), uniq.len());
                                uniq.push(p);
                                mult.push(1);
                            }
                        }
                    }
                    let max_len = uniq.iter().map(Vec::len).max().unwrap_or(0);
                    match AhoCorasick::builder().ascii_case_insensitive(*op == StrOp::IContains).build(&uniq) {
                        Ok(ac) => MultiSet::Ac { ac, mult, anchor, max_len },
                        Err(_) => return Matcher::Never,
                    }
                }
                StrOp::Glob | StrOp::IGlob => {
                    MultiSet::Globs(ps.iter().map(|p| Glob::new(p, *op == StrOp::IGlob)).collect())
                }
                StrOp::Regex => {
                    let res: Vec<String> = ps.iter().map(|p| anchored(&String::from_utf8_lossy(p))).collect();
                    match regex::bytes::RegexSet::new(res) {
                        Ok(set) => MultiSet::Regexes(set),
                        Err(_) => return Matcher::Never,
                    }
                }
            };
            Matcher::Multi { op: *op, modifier: *modifier, total: ps.len(), set }
        }
        Test::In(xs) => Matcher::In(ConstSet::new(xs)),
        Test::Intersects(xs) => Matcher::Intersects(ConstSet::new(xs)),
        Test::PMatch(xs) => Matcher::PMatch(PathSet::new(xs)),
        Test::CompareSlot { op, other } => Matcher::Slot { op: *op, other: *other },
    }
}

fn operand(k: &Const) -> Operand {
    match k {
        Const::Int(i) => Operand::Val(Value::Int(*i)),
        Const::Uint(u) => Operand::Val(Value::Uint(*u)),
        Const::Double(d) => Operand::Val(Value::Double(*d)),
        Const::Bool(b) => Operand::Val(Value::Bool(*b)),
        Const::Str(s) => Operand::Val(Value::Str(s.clone())),
        Const::Bytes(b) => Operand::Val(Value::Bytes(b.clone())),
        Const::Net { addr, prefix } => {
            let addr = addr.to_canonical();
            if *prefix >= full_prefix(addr) { Operand::Val(Value::Ip(addr)) } else { Operand::Net(addr, *prefix) }
        }
    }
}

// ------------------------------------------------------------------------------ comparisons

/// How two values relate.
enum Rel {
    Ord(Ordering),
    /// Comparable, not equal, not ordered (NaN, different IPs).
    Unequal,
    /// Different kinds: every comparison is false.
    Incomparable,
}

#[derive(Clone, Copy)]
enum Num {
    I(i128),
    F(f64),
}

fn num(v: ValueRef<'_>) -> Option<Num> {
    match v {
        ValueRef::Int(i) => Some(Num::I(i128::from(i))),
        ValueRef::Uint(u) => Some(Num::I(i128::from(u))),
        ValueRef::Double(d) => Some(Num::F(d)),
        _ => None,
    }
}

/// Exact comparison of an integer with a double (no rounding of the integer).
fn cmp_int_float(i: i128, f: f64) -> Option<Ordering> {
    if f.is_nan() {
        return None;
    }
    let bound = 2f64.powi(127);
    if f >= bound {
        return Some(Ordering::Less);
    }
    if f < -bound {
        return Some(Ordering::Greater);
    }
    let fl = f.floor();
    match i.cmp(&(fl as i128)) {
        Ordering::Equal if f > fl => Some(Ordering::Less),
        o => Some(o),
    }
}

fn cmp_num(a: Num, b: Num) -> Option<Ordering> {
    match (a, b) {
        (Num::I(x), Num::I(y)) => Some(x.cmp(&y)),
        (Num::I(x), Num::F(y)) => cmp_int_float(x, y),
        (Num::F(x), Num::I(y)) => cmp_int_float(y, x).map(Ordering::reverse),
        (Num::F(x), Num::F(y)) => x.partial_cmp(&y),
    }
}

fn value_bytes(v: &Value) -> Option<&[u8]> {
    match v {
        Value::Str(s) => Some(s.as_bytes()),
        Value::Bytes(b) => Some(b),
        _ => None,
    }
}

fn ip_of(v: ValueRef<'_>) -> Option<IpAddr> {
    match v {
        ValueRef::Ip(a) => Some(a.to_canonical()),
        _ => None,
    }
}

/// How two scalars relate; a list (`None`) relates to nothing.
fn relate(a: Option<ValueRef<'_>>, b: Option<ValueRef<'_>>) -> Rel {
    let (Some(a), Some(b)) = (a, b) else { return Rel::Incomparable };
    if let (Some(x), Some(y)) = (num(a), num(b)) {
        return cmp_num(x, y).map_or(Rel::Unequal, Rel::Ord);
    }
    match (a, b) {
        (ValueRef::Bool(x), ValueRef::Bool(y)) => Rel::Ord(x.cmp(&y)),
        (ValueRef::Ip(x), ValueRef::Ip(y)) => {
            if x.to_canonical() == y.to_canonical() {
                Rel::Ord(Ordering::Equal)
            } else {
                Rel::Unequal
            }
        }
        _ => match (a.as_bytes(), b.as_bytes()) {
            (Some(x), Some(y)) => Rel::Ord(x.cmp(y)),
            _ => Rel::Incomparable,
        },
    }
}

fn apply(cmp: Cmp, rel: Rel) -> bool {
    match rel {
        Rel::Incomparable => false,
        Rel::Unequal => cmp == Cmp::Ne,
        Rel::Ord(o) => match cmp {
            Cmp::Eq => o == Ordering::Equal,
            Cmp::Ne => o != Ordering::Equal,
            Cmp::Lt => o == Ordering::Less,
            Cmp::Le => o != Ordering::Greater,
            Cmp::Gt => o == Ordering::Greater,
            Cmp::Ge => o != Ordering::Less,
        },
    }
}

fn full_prefix(a: IpAddr) -> u8 {
    if a.is_ipv4() { 32 } else { 128 }
}

/// Whether `ip` is in `net/prefix` (both canonical; different families never match).
fn in_net(ip: IpAddr, net: IpAddr, prefix: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let p = u32::from(prefix.min(32));
            let mask = if p == 0 { 0 } else { u32::MAX << (32 - p) };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let p = u32::from(prefix.min(128));
            let mask = if p == 0 { 0 } else { u128::MAX << (128 - p) };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

#[inline]
fn compare(v: ValueRef<'_>, cmp: Cmp, rhs: &Operand) -> bool {
    // The common pairs first, each meaning what `relate` gives them.
    if let Operand::Val(x) = rhs {
        let eq = match cmp {
            Cmp::Eq => Some(true),
            Cmp::Ne => Some(false),
            _ => None,
        };
        match (v, x, eq) {
            (ValueRef::Str(a), Value::Str(b), Some(want)) => return (a.as_bytes() == b.as_bytes()) == want,
            (ValueRef::Bool(a), Value::Bool(b), Some(want)) => return (a == *b) == want,
            (ValueRef::Int(a), Value::Int(b), _) => return apply(cmp, Rel::Ord(a.cmp(b))),
            (ValueRef::Uint(a), Value::Uint(b), _) => return apply(cmp, Rel::Ord(a.cmp(b))),
            _ => {}
        }
    }
    let rel = match rhs {
        Operand::Val(x) => relate(Some(v), x.scalar_ref()),
        Operand::Net(net, prefix) => match ip_of(v) {
            Some(ip) if in_net(ip, *net, *prefix) => Rel::Ord(Ordering::Equal),
            Some(_) => Rel::Unequal,
            None => Rel::Incomparable,
        },
    };
    apply(cmp, rel)
}

/// Byte strings for `in`: a mask of the lengths present rejects most values without reading
/// them; a few strings are compared in turn (length and first 8 bytes inline, the rest in one
/// shared buffer, so a miss usually reads no member's bytes), more are hashed.
#[derive(Default)]
struct ByteSet {
    /// Bit `min(len, 63)` is set when some member has that length.
    lens: u64,
    small: Vec<SmallMember>,
    /// The bytes of the small members, one after another.
    text: Vec<u8>,
    hashed: HashSet<Vec<u8>>,
}

#[derive(Clone, Copy)]
struct SmallMember {
    /// The first 8 bytes, zero-padded, as a little-endian word.
    head: u64,
    len: u32,
    /// Where the bytes start in `ByteSet::text`.
    at: u32,
}

/// The first 8 bytes of `v`, zero-padded.
#[inline]
fn head_word(v: &[u8]) -> u64 {
    if let Some(head) = v.first_chunk::<8>() {
        return u64::from_le_bytes(*head);
    }
    // Shorter: byte by byte (no call to `memcpy` for a variable length).
    v.iter().enumerate().fold(0, |w, (i, b)| w | (u64::from(*b) << (8 * i)))
}

impl ByteSet {
    /// Above this many members, hashing beats comparing in turn.
    const SMALL: usize = 8;

    fn len_bit(n: usize) -> u64 {
        1u64 << n.min(63)
    }

    fn members(&self) -> impl Iterator<Item = &[u8]> {
        self.small.iter().filter_map(|m| self.text.get(m.at as usize..m.at as usize + m.len as usize))
    }

    fn insert(&mut self, v: &[u8]) {
        self.lens |= ByteSet::len_bit(v.len());
        if self.hashed.is_empty() && !self.members().any(|x| x == v) {
            // Offsets are u32: a larger set of constants is hashed instead.
            let fits = u32::try_from(self.text.len() + v.len()).is_ok();
            if self.small.len() < ByteSet::SMALL && fits {
                let member = SmallMember { head: head_word(v), len: v.len() as u32, at: self.text.len() as u32 };
                self.small.push(member);
                self.text.extend_from_slice(v);
                return;
            }
            let all: Vec<Vec<u8>> = self.members().map(<[u8]>::to_vec).collect();
            self.hashed.extend(all);
            self.small.clear();
            self.text.clear();
        }
        self.hashed.insert(v.to_vec());
    }

    #[inline]
    fn contains(&self, v: &[u8]) -> bool {
        if self.lens & ByteSet::len_bit(v.len()) == 0 {
            return false;
        }
        if !self.hashed.is_empty() {
            return self.hashed.contains(v);
        }
        let head = head_word(v);
        self.small.iter().any(|m| {
            m.head == head
                && m.len as usize == v.len()
                && (v.len() <= 8 || self.text.get(m.at as usize..m.at as usize + v.len()) == Some(v))
        })
    }
}

/// A set of constants for `in`/`intersects`, with membership exactly equal to "some constant
/// compares `=`" (see [`compare`]), but hashed. Strings inline (the usual case, kept small so a
/// check's plan stays in few cache lines), other kinds boxed.
struct ConstSet {
    bytes: ByteSet,
    other: Option<Box<OtherConsts>>,
}

#[derive(Default)]
struct OtherConsts {
    /// Integers, and doubles with an integral value that fits.
    ints: HashSet<i128>,
    /// The other doubles.
    floats: Vec<f64>,
    bools: [bool; 2],
    addrs: HashSet<IpAddr>,
    nets: Vec<(IpAddr, u8)>,
}

fn integral(d: f64) -> Option<i128> {
    let bound = 2f64.powi(127);
    (d.is_finite() && d.fract() == 0.0 && d < bound && d >= -bound).then_some(d as i128)
}

impl ConstSet {
    fn new(xs: &[Const]) -> ConstSet {
        let mut bytes = ByteSet::default();
        let mut s = OtherConsts::default();
        let mut any_other = false;
        for x in xs {
            any_other |= !matches!(x, Const::Str(_) | Const::Bytes(_));
            match x {
                Const::Str(v) => bytes.insert(v.as_bytes()),
                Const::Bytes(v) => bytes.insert(v),
                Const::Int(i) => {
                    s.ints.insert(i128::from(*i));
                }
                Const::Uint(u) => {
                    s.ints.insert(i128::from(*u));
                }
                Const::Double(d) => match integral(*d) {
                    Some(i) => {
                        s.ints.insert(i);
                    }
                    None => s.floats.push(*d),
                },
                Const::Bool(b) => s.bools[usize::from(*b)] = true,
                Const::Net { addr, prefix } => match operand(x) {
                    Operand::Val(Value::Ip(a)) => {
                        s.addrs.insert(a);
                    }
                    _ => s.nets.push((addr.to_canonical(), *prefix)),
                },
            }
        }
        ConstSet { bytes, other: any_other.then(|| Box::new(s)) }
    }

    #[inline]
    fn contains(&self, v: ValueRef<'_>) -> bool {
        match v {
            ValueRef::Str(x) => return self.bytes.contains(x.as_bytes()),
            ValueRef::Bytes(x) => return self.bytes.contains(x),
            _ => {}
        }
        let Some(s) = &self.other else { return false };
        match v {
            ValueRef::Str(_) | ValueRef::Bytes(_) => false,
            ValueRef::Int(i) => s.ints.contains(&i128::from(i)),
            ValueRef::Uint(u) => s.ints.contains(&i128::from(u)),
            ValueRef::Double(d) => match integral(d) {
                Some(i) => s.ints.contains(&i),
                None => s.floats.contains(&d),
            },
            ValueRef::Bool(b) => s.bools[usize::from(b)],
            ValueRef::Ip(a) => {
                let a = a.to_canonical();
                s.addrs.contains(&a) || s.nets.iter().any(|(n, p)| in_net(a, *n, *p))
            }
        }
    }
}

// ------------------------------------------------------------------------------------ globs

#[derive(Clone, PartialEq, Eq, Debug)]
enum GTok {
    Byte(u8),
    Any,
    Star,
    Class { neg: bool, ranges: Vec<(u8, u8)> },
}

/// An fnmatch pattern without `FNM_PATHNAME`, compiled once: `*` any bytes (`/` included), `?`
/// one byte, `[...]` a class (`!` or `^` negates, ranges `a-z`, a leading `]` is literal), `\`
/// escapes the next byte. An unclosed `[` is a literal `[`.
#[derive(Clone, Debug)]
pub struct Glob {
    toks: Vec<GTok>,
    fold: bool,
}

impl Glob {
    /// Compiles `pat`; with `fold`, ASCII case is ignored (`iglob`).
    pub fn new(pat: &[u8], fold: bool) -> Glob {
        let lit = |b: u8| GTok::Byte(if fold { b.to_ascii_lowercase() } else { b });
        let mut toks = Vec::new();
        let mut i = 0;
        while i < pat.len() {
            match pat[i] {
                b'\\' => {
                    // A trailing backslash stands for itself.
                    toks.push(lit(*pat.get(i + 1).unwrap_or(&b'\\')));
                    i += 2;
                }
                b'*' => {
                    if toks.last() != Some(&GTok::Star) {
                        toks.push(GTok::Star);
                    }
                    i += 1;
                }
                b'?' => {
                    toks.push(GTok::Any);
                    i += 1;
                }
                b'[' => match parse_class(pat, i + 1) {
                    Some((tok, next)) => {
                        toks.push(tok);
                        i = next;
                    }
                    None => {
                        toks.push(lit(b'['));
                        i += 1;
                    }
                },
                b => {
                    toks.push(lit(b));
                    i += 1;
                }
            }
        }
        Glob { toks, fold }
    }

    /// Whether the whole of `s` matches.
    pub fn matches(&self, s: &[u8]) -> bool {
        let toks = &self.toks;
        let (mut p, mut i) = (0usize, 0usize);
        // The last `*` seen and the position in `s` it is currently standing for: on a
        // mismatch, that star takes one more byte (the classic linear-backtrack matcher; one
        // star of backtracking suffices for fnmatch without FNM_PATHNAME).
        let mut star: Option<(usize, usize)> = None;
        while i < s.len() {
            if let Some(t) = toks.get(p) {
                if *t == GTok::Star {
                    star = Some((p, i));
                    p += 1;
                    continue;
                }
                if self.tok_matches(t, s[i]) {
                    p += 1;
                    i += 1;
                    continue;
                }
            }
            match star {
                Some((sp, si)) => {
                    p = sp + 1;
                    i = si + 1;
                    star = Some((sp, si + 1));
                }
                None => return false,
            }
        }
        toks[p.min(toks.len())..].iter().all(|t| *t == GTok::Star)
    }

    fn tok_matches(&self, t: &GTok, c: u8) -> bool {
        match t {
            GTok::Byte(b) => *b == if self.fold { c.to_ascii_lowercase() } else { c },
            GTok::Any => true,
            GTok::Star => true,
            GTok::Class { neg, ranges } => {
                let inr = |x: u8| ranges.iter().any(|(lo, hi)| *lo <= x && x <= *hi);
                let hit = inr(c) || (self.fold && (inr(c.to_ascii_lowercase()) || inr(c.to_ascii_uppercase())));
                hit != *neg
            }
        }
    }
}

/// Parses a class starting after `[`; returns the token and the index after `]`.
fn parse_class(pat: &[u8], mut i: usize) -> Option<(GTok, usize)> {
    let mut neg = false;
    if matches!(pat.get(i), Some(b'!' | b'^')) {
        neg = true;
        i += 1;
    }
    let mut ranges = Vec::new();
    let mut first = true;
    loop {
        let mut c = *pat.get(i)?;
        if c == b']' && !first {
            return Some((GTok::Class { neg, ranges }, i + 1));
        }
        first = false;
        if c == b'\\' {
            i += 1;
            c = *pat.get(i)?;
        }
        i += 1;
        if pat.get(i) == Some(&b'-') && pat.get(i + 1).is_some_and(|&n| n != b']') {
            let mut hi = pat[i + 1];
            i += 2;
            if hi == b'\\' {
                hi = *pat.get(i)?;
                i += 1;
            }
            ranges.push((c, hi));
        } else {
            ranges.push((c, c));
        }
    }
}

fn has_glob_meta(s: &str) -> bool {
    s.bytes().any(|b| matches!(b, b'*' | b'?' | b'[' | b'\\'))
}

// ------------------------------------------------------------------------------------ pmatch

/// `pmatch` entries: plain paths hashed by their normalised text, glob entries by component.
struct PathSet {
    exact: HashSet<String>,
    globs: Vec<(bool, Vec<Glob>)>,
}

/// (absolute, components without empty ones).
fn split_path(p: &str) -> (bool, Vec<&str>) {
    (p.starts_with('/'), p.split('/').filter(|c| !c.is_empty()).collect())
}

fn path_key(abs: bool, comps: &[&str]) -> String {
    let mut s = String::from(if abs { "/" } else { "" });
    s.push_str(&comps.join("/"));
    s
}

impl PathSet {
    fn new(xs: &[String]) -> PathSet {
        let mut exact = HashSet::default();
        let mut globs = Vec::new();
        for x in xs {
            let (abs, comps) = split_path(x);
            if has_glob_meta(x) {
                globs.push((abs, comps.iter().map(|c| Glob::new(c.as_bytes(), false)).collect()));
            } else {
                exact.insert(path_key(abs, &comps));
            }
        }
        PathSet { exact, globs }
    }

    fn matches(&self, v: &[u8]) -> bool {
        let text = String::from_utf8_lossy(v);
        let (abs, comps) = split_path(&text);
        if !self.exact.is_empty() {
            let mut key = String::from(if abs { "/" } else { "" });
            if self.exact.contains(&key) {
                return true;
            }
            for (k, c) in comps.iter().enumerate() {
                if k > 0 {
                    key.push('/');
                }
                key.push_str(c);
                if self.exact.contains(&key) {
                    return true;
                }
            }
        }
        self.globs.iter().any(|(gabs, gcomps)| {
            *gabs == abs
                && gcomps.len() <= comps.len()
                && gcomps.iter().zip(&comps).all(|(g, c)| g.matches(c.as_bytes()))
        })
    }
}

// --------------------------------------------------------------------------- string matching

fn find(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

fn single(op: StrOp, pat: &Single, v: &[u8]) -> bool {
    match (op, pat) {
        (StrOp::Eq, Single::Bytes(p)) => v == p.as_slice(),
        (StrOp::Ne, Single::Bytes(p)) => v != p.as_slice(),
        (StrOp::StartsWith | StrOp::BStartsWith, Single::Bytes(p)) => v.starts_with(p),
        (StrOp::EndsWith, Single::Bytes(p)) => v.ends_with(p),
        (_, Single::Finder(ac)) => ac.is_match(v),
        (_, Single::Glob(g)) => g.matches(v),
        (_, Single::Regex(re)) => re.is_match(v),
        _ => false,
    }
}

impl MultiSet {
    /// How many of the listed patterns `v` matches (`=` for `Exact`); with `any`, stops at the
    /// first (the result is then 0 or 1).
    fn count(&self, v: &[u8], any: bool) -> usize {
        match self {
            MultiSet::Exact(m) => m.get(v).copied().unwrap_or(0),
            MultiSet::Ac { ac, mult, anchor, max_len } => {
                // The reversed tail for `endswith`: on the stack when short (the usual case).
                let mut stack = [0u8; 256];
                let heap: Vec<u8>;
                let hay: &[u8] = match anchor {
                    Anchor::None => v,
                    Anchor::Start => &v[..v.len().min(*max_len)],
                    Anchor::End => {
                        let tail = &v[v.len().saturating_sub(*max_len)..];
                        if tail.len() <= stack.len() {
                            let buf = &mut stack[..tail.len()];
                            for (d, s) in buf.iter_mut().zip(tail.iter().rev()) {
                                *d = *s;
                            }
                            buf
                        } else {
                            heap = tail.iter().rev().copied().collect();
                            &heap
                        }
                    }
                };
                if *anchor == Anchor::None && any {
                    return usize::from(ac.is_match(hay));
                }
                if any {
                    // The first pattern matching at the start is the answer (see below).
                    for m in ac.find_overlapping_iter(hay) {
                        if m.start() != 0 {
                            continue;
                        }
                        if let Some(&k) = mult.get(m.pattern().as_usize()) {
                            return k;
                        }
                    }
                    return 0;
                }
                let mut seen = vec![false; mult.len()];
                let mut n = 0;
                for m in ac.find_overlapping_iter(hay) {
                    if *anchor != Anchor::None && m.start() != 0 {
                        continue;
                    }
                    let id = m.pattern().as_usize();
                    if let Some(s) = seen.get_mut(id)
                        && !*s
                    {
                        *s = true;
                        n += mult.get(id).copied().unwrap_or(1);
                        if any {
                            return n;
                        }
                    }
                }
                n
            }
            MultiSet::Globs(gs) => {
                if any {
                    usize::from(gs.iter().any(|g| g.matches(v)))
                } else {
                    gs.iter().filter(|g| g.matches(v)).count()
                }
            }
            MultiSet::Regexes(set) => {
                if any {
                    usize::from(set.is_match(v))
                } else {
                    set.matches(v).iter().count()
                }
            }
        }
    }
}

fn multi(op: StrOp, modifier: Modifier, total: usize, set: &MultiSet, v: &[u8]) -> bool {
    let any = modifier == Modifier::AnyOf && op != StrOp::Ne;
    let eq = set.count(v, any);
    let n = if op == StrOp::Ne { total - eq.min(total) } else { eq };
    match modifier {
        Modifier::OneOf => n == 1,
        Modifier::AnyOf => n >= 1,
        Modifier::AllOf => n == total,
    }
}

/// A string operator between two values (`a contains val(b)`), patterns built per event.
fn str_op_values(op: StrOp, a: &[u8], b: &[u8]) -> bool {
    match op {
        StrOp::Eq => a == b,
        StrOp::Ne => a != b,
        StrOp::Contains | StrOp::BContains => find(a, b),
        StrOp::IContains => find(&a.to_ascii_lowercase(), &b.to_ascii_lowercase()),
        StrOp::StartsWith | StrOp::BStartsWith => a.starts_with(b),
        StrOp::EndsWith => a.ends_with(b),
        StrOp::Glob | StrOp::IGlob => Glob::new(b, op == StrOp::IGlob).matches(a),
        StrOp::Regex => regex::bytes::Regex::new(&anchored(&String::from_utf8_lossy(b))).is_ok_and(|re| re.is_match(a)),
    }
}

fn slot_op(op: SlotOp, a: ValueRef<'_>, b: &Value) -> bool {
    match op {
        SlotOp::Cmp(c) => apply(c, relate(Some(a), b.scalar_ref())),
        SlotOp::Str(s) => match (a.as_bytes(), value_bytes(b)) {
            (Some(x), Some(y)) => str_op_values(s, x, y),
            _ => false,
        },
    }
}

impl CheckPlan {
    /// The test on a present value (any-semantics for lists, see the module doc).
    fn test(&self, v: &Value, other: Option<&Value>) -> bool {
        match (v, &self.m) {
            (_, Matcher::Exists) => true,
            (Value::List(xs), Matcher::In(set)) if self.list => {
                !xs.is_empty() && xs.iter().all(|x| x.scalar_ref().is_some_and(|x| set.contains(x)))
            }
            (Value::List(xs), _) => xs.iter().any(|x| x.scalar_ref().is_some_and(|x| self.test_scalar(x, other))),
            _ => v.scalar_ref().is_some_and(|v| self.test_scalar(v, other)),
        }
    }

    /// The test on one present scalar (a list's element, or the whole value of a scalar slot).
    #[inline]
    fn test_scalar(&self, v: ValueRef<'_>, other: Option<&Value>) -> bool {
        match &self.m {
            Matcher::Exists => true,
            Matcher::Never => false,
            Matcher::Compare { cmp, rhs } => compare(v, *cmp, rhs),
            Matcher::Single { op, pat } => v.as_bytes().is_some_and(|b| single(*op, pat, b)),
            Matcher::Multi { op, modifier, total, set } => {
                v.as_bytes().is_some_and(|b| multi(*op, *modifier, *total, set, b))
            }
            Matcher::In(set) | Matcher::Intersects(set) => set.contains(v),
            Matcher::PMatch(ps) => v.as_bytes().is_some_and(|b| ps.matches(b)),
            Matcher::Slot { op, .. } => match other {
                Some(Value::List(ys)) => ys.iter().any(|y| slot_op(*op, v, y)),
                Some(y) => slot_op(*op, v, y),
                None => false,
            },
        }
    }
}

// ------------------------------------------------------------------------------ transformers

fn map_text(v: &Value, f: fn(&[u8]) -> Vec<u8>) -> Option<Value> {
    match v {
        Value::Str(s) => Some(Value::Str(String::from_utf8_lossy(&f(s.as_bytes())).into_owned())),
        Value::Bytes(b) => Some(Value::Bytes(f(b))),
        Value::List(xs) => Some(Value::List(xs.iter().filter_map(|x| map_text(x, f)).collect())),
        _ => None,
    }
}

fn text_value(b: Vec<u8>) -> Value {
    match String::from_utf8(b) {
        Ok(s) => Value::Str(s),
        Err(e) => Value::Bytes(e.into_bytes()),
    }
}

/// Standard base64 (`+/`), padding optional; `None` when the text does not decode.
pub fn b64_decode(s: &[u8]) -> Option<Vec<u8>> {
    let body = {
        let mut end = s.len();
        while end > 0 && s[end - 1] == b'=' {
            end -= 1;
        }
        if s.len() - end > 2 {
            return None;
        }
        &s[..end]
    };
    if body.len() % 4 == 1 {
        return None;
    }
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        })
    };
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    for chunk in body.chunks(4) {
        let mut acc = 0u32;
        for &c in chunk {
            acc = (acc << 6) | val(c)?;
        }
        match chunk.len() {
            4 => out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]),
            3 => out.extend_from_slice(&[(acc >> 10) as u8, (acc >> 2) as u8]),
            2 => out.push((acc >> 4) as u8),
            _ => return None,
        }
    }
    Some(out)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum OptArg {
    None,
    Required,
    Optional,
}

/// POSIX getopt over `args` with `optstring`; the value of option `want` (see the module doc).
pub fn getopt(args: &[&str], optstring: &str, want: &str) -> Option<String> {
    let mut wc = want.chars();
    let (Some(want), None) = (wc.next(), wc.next()) else { return None };
    let spec: Vec<char> = optstring.trim_start_matches(['+', '-', ':']).chars().collect();
    let kind = |c: char| -> Option<OptArg> {
        let at = spec.iter().position(|&s| s == c && s != ':')?;
        Some(match (spec.get(at + 1), spec.get(at + 2)) {
            (Some(':'), Some(':')) => OptArg::Optional,
            (Some(':'), _) => OptArg::Required,
            _ => OptArg::None,
        })
    };
    let mut result = None;
    let mut i = 0;
    'args: while i < args.len() {
        let a = args[i];
        if a == "--" || !a.starts_with('-') || a == "-" {
            break;
        }
        let chars: Vec<char> = a.chars().skip(1).collect();
        for (j, &c) in chars.iter().enumerate() {
            match kind(c) {
                Some(OptArg::None) if c == want => result = Some(String::new()),
                Some(OptArg::None) => {}
                Some(k) => {
                    let rest: String = chars[j + 1..].iter().collect();
                    let val = if !rest.is_empty() || k == OptArg::Optional {
                        rest
                    } else {
                        i += 1;
                        match args.get(i) {
                            Some(v) => (*v).to_owned(),
                            // A missing argument ends the scan, as getopt's error does.
                            None => break 'args,
                        }
                    };
                    if c == want {
                        result = Some(val);
                    }
                    break;
                }
                None => {}
            }
        }
        i += 1;
    }
    result
}

fn transform(
    func: Transformer,
    inputs: &[Option<&Value>],
    lits: &[Option<&str>],
    index: Option<&str>,
) -> Option<Value> {
    let first = inputs.first().copied().flatten();
    match func {
        Transformer::ToLower => map_text(first?, <[u8]>::to_ascii_lowercase),
        Transformer::ToUpper => map_text(first?, <[u8]>::to_ascii_uppercase),
        Transformer::B64 => b64_decode(value_bytes(first?)?).map(text_value),
        Transformer::Basename => {
            let b = value_bytes(first?)?;
            let start = b.iter().rposition(|&c| c == b'/').map_or(0, |p| p + 1);
            Some(text_value(b[start..].to_vec()))
        }
        Transformer::Len => match first? {
            Value::List(xs) => Some(Value::Uint(xs.len() as u64)),
            v => value_bytes(v).map(|b| Value::Uint(b.len() as u64)),
        },
        Transformer::Val => first.cloned(),
        Transformer::Join => {
            let sep = lits.first().copied().flatten().unwrap_or("");
            match inputs.get(1).copied().flatten()? {
                Value::List(xs) => Some(Value::Str(xs.iter().map(ToString::to_string).collect::<Vec<_>>().join(sep))),
                v => Some(Value::Str(v.to_string())),
            }
        }
        Transformer::Concat => {
            let mut s = String::new();
            for (v, l) in inputs.iter().zip(lits) {
                match (v, l) {
                    (_, Some(l)) => s.push_str(l),
                    (Some(v), None) => s.push_str(&v.to_string()),
                    (None, None) => return None,
                }
            }
            Some(Value::Str(s))
        }
        Transformer::GetOpt => {
            let optstring = lits.get(1).copied().flatten()?;
            let args: Vec<&str> = match first? {
                Value::List(xs) => xs.iter().filter_map(Value::as_str).collect(),
                Value::Str(s) => s.split_ascii_whitespace().collect(),
                _ => return None,
            };
            getopt(&args, optstring, index?).map(Value::Str)
        }
    }
}

// ------------------------------------------------------------------------------------ context

/// Slot values of the current event, reused from event to event without reallocating: an entry
/// is valid when its generation is the current one, and its `Value` keeps its buffers (string,
/// list) for the next event's extraction to write into.
#[derive(Debug, Default)]
pub struct SlotCache {
    generation: u64,
    entries: Vec<Entry>,
    panics: u64,
    /// Remembered verdicts of flag-text checks ([`Read::FlagText`]), `FLAG_MEMO_WAYS` per
    /// check; they depend on the program only, so a cache reused for another program must be
    /// cleared: `memo_owner` is the [`Compiled::id`] they belong to.
    flag_memo: Vec<FlagMemoEntry>,
    memo_owner: u64,
}

#[derive(Debug, Clone)]
struct Entry {
    /// The generation the entry was computed in (0: never).
    generation: u64,
    /// Whether the value could be computed; `value` is meaningless when not.
    present: bool,
    value: Value,
}

impl Entry {
    const EMPTY: Entry = Entry { generation: 0, present: false, value: Value::Bool(false) };

    #[inline]
    fn get(&self, generation: u64) -> Option<&Value> {
        (self.generation == generation && self.present).then_some(&self.value)
    }
}

impl SlotCache {
    pub fn new() -> SlotCache {
        SlotCache::default()
    }

    /// How many checks or slot computations panicked (and were taken as false / absent): a
    /// rulec bug if non-zero.
    pub fn panics(&self) -> u64 {
        self.panics
    }
}

/// The context of one event: what the backends evaluate checks in.
pub struct EvalCtx<'a> {
    compiled: &'a Compiled,
    cache: &'a mut SlotCache,
    /// The event, the state, and the thread/fd lookups its fields share.
    src: fields::Src<'a>,
}

impl std::fmt::Debug for EvalCtx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EvalCtx").field("event", &self.src.ev.name).field("ts", &self.src.ev.ts).finish()
    }
}

impl<'a> EvalCtx<'a> {
    /// Starts evaluating `ev` (with `state` as it is after `ev`): every slot is recomputed on
    /// first use.
    pub fn new(compiled: &'a Compiled, cache: &'a mut SlotCache, ev: &'a Event, state: &'a State) -> EvalCtx<'a> {
        cache.generation = cache.generation.wrapping_add(1);
        if cache.generation == 0 {
            // Wrapped (after 2^64 events): generation 0 marks entries never computed, so skip it
            // and forget every entry, which may carry any older generation.
            cache.generation = 1;
            for e in &mut cache.entries {
                e.generation = 0;
            }
        }
        if cache.entries.len() < compiled.slots.len() {
            cache.entries.resize(compiled.slots.len(), Entry::EMPTY);
        }
        if cache.memo_owner != compiled.id {
            cache.flag_memo.clear();
            cache.memo_owner = compiled.id;
        }
        EvalCtx { compiled, cache, src: fields::Src::new(ev, state) }
    }

    pub fn compiled(&self) -> &'a Compiled {
        self.compiled
    }

    pub fn event(&self) -> &'a Event {
        self.src.ev
    }

    pub fn state(&self) -> &'a State {
        self.src.st
    }

    /// The value of slot `id` for this event (`None`: absent, or no such slot).
    pub fn slot(&mut self, id: SlotId) -> Option<&Value> {
        self.ensure(id);
        self.cache.entries.get(id.0 as usize).and_then(|e| e.get(self.cache.generation))
    }

    /// Like [`EvalCtx::slot`], but a panic while computing (a rulec bug) gives `None` and is
    /// counted.
    pub fn slot_guarded(&mut self, id: SlotId) -> Option<&Value> {
        let ok = catch_unwind(AssertUnwindSafe(|| self.ensure(id))).is_ok();
        if !ok {
            self.cache.panics += 1;
            if let Some(e) = self.cache.entries.get_mut(id.0 as usize) {
                e.generation = self.cache.generation;
                e.present = false;
            }
        }
        self.cache.entries.get(id.0 as usize).and_then(|e| e.get(self.cache.generation))
    }

    #[inline]
    fn ensure(&mut self, id: SlotId) {
        let i = id.0 as usize;
        let generation = self.cache.generation;
        match self.cache.entries.get(i) {
            Some(e) if e.generation == generation => {}
            Some(_) => self.compute(id),
            None => {}
        }
    }

    /// Computes slot `id` (whose entry exists and is stale) into its entry.
    fn compute(&mut self, id: SlotId) {
        let i = id.0 as usize;
        let generation = self.cache.generation;
        let compiled = self.compiled;
        // The cache may be longer than this program's slot table (it is reused across
        // programs); ids past the table are absent (their entry stays stale).
        let Some(plan) = compiled.slots.get(i) else { return };
        match plan {
            SlotPlan::Field { field, arg, get, norm } => {
                let Some(entry) = self.cache.entries.get_mut(i) else { return };
                // Mark the entry first: should the extractor panic, the value is not taken
                // from a half-written buffer.
                entry.generation = generation;
                entry.present = false;
                let (ev, st) = (self.src.ev, self.src.st);
                let present = match get {
                    Getter::Direct(f) => f.write(arg.as_ref(), &self.src, &mut entry.value),
                    Getter::Generic(f) => match f(field, arg.as_ref(), ev, st) {
                        Some(v) => {
                            entry.value = v;
                            true
                        }
                        None => false,
                    },
                    Getter::Missing => false,
                };
                if present && *norm != Norm::None {
                    normalize(&mut entry.value, *norm);
                }
                entry.present = present;
            }
            SlotPlan::Transform { func, inputs, index } => {
                // Inputs have smaller ids (verified), so this recursion terminates.
                for input in inputs {
                    if let SlotInput::Slot(s) = input
                        && s.0 < id.0
                    {
                        self.ensure(*s);
                    }
                }
                let entries = &self.cache.entries;
                let vals: Vec<Option<&Value>> = inputs
                    .iter()
                    .map(|input| match input {
                        SlotInput::Slot(s) if s.0 < id.0 => entries.get(s.0 as usize).and_then(|e| e.get(generation)),
                        _ => None,
                    })
                    .collect();
                let lits: Vec<Option<&str>> = inputs
                    .iter()
                    .map(|input| match input {
                        SlotInput::Literal(l) => Some(l.as_str()),
                        SlotInput::Slot(_) => None,
                    })
                    .collect();
                let value = transform(*func, &vals, &lits, index.as_deref());
                if let Some(entry) = self.cache.entries.get_mut(i) {
                    entry.generation = generation;
                    entry.present = value.is_some();
                    if let Some(v) = value {
                        entry.value = v;
                    }
                }
            }
        }
    }

    /// Evaluates check `id` on this event; false for an unknown id. A panic (a rulec bug) makes
    /// it false and is counted, so this never unwinds.
    pub fn eval_check(&mut self, id: CheckId) -> bool {
        match catch_unwind(AssertUnwindSafe(|| self.eval_check_raw(id))) {
            Ok(b) => b,
            Err(_) => {
                self.cache.panics += 1;
                false
            }
        }
    }

    fn eval_check_raw(&mut self, id: CheckId) -> bool {
        let compiled = self.compiled;
        let Some(plan) = compiled.checks.get(id.0 as usize) else { return false };
        match &plan.read {
            Read::Cached => {}
            Read::Borrow(get, arg) => return get(arg.as_ref(), &self.src).is_some_and(|v| plan.test_scalar(v, None)),
            Read::Stack(get, arg, norm) => {
                let mut v = Value::Bool(false);
                if !get.write(arg.as_ref(), &self.src, &mut v) {
                    return false;
                }
                normalize(&mut v, *norm);
                return match v.scalar_ref() {
                    Some(r) => plan.test_scalar(r, None),
                    None => plan.test(&v, None),
                };
            }
            Read::FlagText { name, memo } => {
                let ev = self.src.ev;
                // `evt.arg.NAME` is the parameter called NAME when there is one (see
                // `fields::evt`); other shapes take the cached path.
                if let Some(p) = ev.params.iter().find(|p| p.name == &**name)
                    && let crate::event::ParamValue::Flags { ty, bits } = p.value
                {
                    let key = FlagMemoEntry {
                        name: ev.name.as_ptr() as usize,
                        len_ty: ((ev.name.len() as u64) << 8) | u64::from(ty as u8),
                        bits,
                        verdict: false,
                    };
                    let way = (key.name ^ bits.rotate_left(7) as usize ^ (bits >> 11) as usize) % FLAG_MEMO_WAYS;
                    let i = *memo as usize * FLAG_MEMO_WAYS + way;
                    if let Some(e) = self.cache.flag_memo.get(i)
                        && e.name == key.name
                        && e.len_ty == key.len_ty
                        && e.bits == key.bits
                    {
                        return e.verdict;
                    }
                    let verdict = self.eval_cached(plan);
                    if self.cache.flag_memo.len() <= i {
                        self.cache.flag_memo.resize(i + 1, FlagMemoEntry::default());
                    }
                    if let Some(e) = self.cache.flag_memo.get_mut(i) {
                        *e = FlagMemoEntry { verdict, ..key };
                    }
                    return verdict;
                }
            }
        }
        self.eval_cached(plan)
    }

    /// Evaluates a check reading its slots through the cache.
    fn eval_cached(&mut self, plan: &CheckPlan) -> bool {
        if let Matcher::Slot { other, .. } = &plan.m {
            self.ensure(*other);
        }
        self.ensure(plan.slot);
        let generation = self.cache.generation;
        let entries = &self.cache.entries;
        let Some(v) = entries.get(plan.slot.0 as usize).and_then(|e| e.get(generation)) else {
            return false;
        };
        let other = match &plan.m {
            Matcher::Slot { other, .. } => match entries.get(other.0 as usize).and_then(|e| e.get(generation)) {
                Some(o) => Some(o),
                None => return false,
            },
            _ => None,
        };
        plan.test(v, other)
    }

    /// The slot's integer value for the JIT (see [`rulec_slot_num`]).
    pub fn slot_num(&mut self, id: SlotId) -> Option<i64> {
        if let Some(Read::Stack(get, arg, norm)) = self.compiled.reads.get(id.0 as usize) {
            let mut v = Value::Bool(false);
            if !get.write(arg.as_ref(), &self.src, &mut v) {
                return None;
            }
            normalize(&mut v, *norm);
            return match v {
                Value::Int(i) => Some(i),
                Value::Uint(u) => Some(u as i64),
                _ => None,
            };
        }
        match self.slot_guarded(id)? {
            Value::Int(i) => Some(*i),
            // The 64 bits of an unsigned value, as the JIT compares them unsigned.
            Value::Uint(u) => Some(*u as i64),
            _ => None,
        }
    }
}

// ------------------------------------------------------------------------------ C callbacks

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
/// integer: a signed slot's `i64`, an unsigned slot's `u64` bits as `i64`; else returns 0 and
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
    match catch_unwind(AssertUnwindSafe(|| ctx.slot_num(SlotId(slot)))) {
        Ok(Some(n)) => {
            // SAFETY: `out` is non-null and, per the contract, valid for one i64 write.
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

unsafe extern "C" fn jit_eval_check(ctx: *mut c_void, check: u32) -> u8 {
    // SAFETY: the JIT passes back the pointer the engine gave it, an exclusive `&mut EvalCtx`.
    unsafe { rulec_eval_check(ctx.cast::<EvalCtx<'_>>(), check) }
}

unsafe extern "C" fn jit_slot_num(ctx: *mut c_void, slot: u32, out: *mut i64) -> u8 {
    // SAFETY: as above; `out` comes from the generated code, a stack slot of 8 bytes.
    unsafe { rulec_slot_num(ctx.cast::<EvalCtx<'_>>(), slot, out) }
}

/// The callbacks to compile a JIT program against, for contexts that are `EvalCtx`s.
pub const JIT_CALLBACKS: crate::jit::Callbacks =
    crate::jit::Callbacks { eval_check: jit_eval_check, slot_num: jit_slot_num };
