//! Shared string passes: every string test on one slot (the same field and argument) anywhere
//! in the program that reduces to "the value matches one of these patterns" is decided by ONE
//! pass over the value per event, whose verdicts the checks then read as bits.
//!
//! A check joins its slot's group ([`SharedGroup`]) when its test is an `=`/`!=` with one
//! string, `startswith`/`bstartswith`/`endswith`/`contains`/`bcontains` with one pattern or
//! `anyof` patterns, `= anyof (...)`, or `in (...)` of strings only, on a slot whose value is
//! never a list. Each such test is an OR of *atoms* (a pattern with a kind: exact, prefix,
//! suffix, substring), `!=` the negation of one exact atom. A slot has up to three groups, one
//! per class of atoms (so a check reached on an event pays only for its own class): the exact
//! atoms in one hash table; prefixes and suffixes in two aho-corasick automata run over the
//! value's head and its reversed tail (as long as the longest pattern: a few bytes), keeping the
//! matches at the start; substrings in one automaton run over the whole value. Everything else (case-insensitive operators, `allof`/`oneof`, globs, regexes,
//! list slots, `val()`) keeps its own matcher.
//!
//! The verdicts live in the slot cache's verdict words (see [`VerdictBit`]): per group one stamp
//! word, the generation of the event the pass ran for, then one bit per check. The first check
//! of a group evaluated for an event runs the pass and writes the stamp; the others (in the
//! interpreter, or inline in the JIT's code) read their bit. Semantics stay those of the checks'
//! own matchers: an absent or non-string value makes every check of the group false (`!=` too),
//! and should the value turn out to be a list after all, each check's own matcher decides.
//!
//! Groups start switched off ([`Compiled::share`] switches one on). Sharing pays only when an
//! event reaches several checks of a group (a short-circuited rule often reaches one, whose own
//! matcher is then cheaper than a pass over all the slot's patterns), so the engine counts, over
//! its first evaluations, how many checks of each group an event reaches
//! ([`SlotCache::reach`]) and switches on the groups above a measured threshold
//! (`engine::SHARED_MIN_REACH_EXACT`, `engine::SHARED_MIN_REACH_SCAN`).
//!
//! The checks on values of the event's thread and its parent that no slot's group takes form
//! one more group, whose verdicts are remembered per thread instead of a pass (`thread_memo.rs`).
//!
//! This module builds the groups and runs a pass on a value; when a pass runs is `leaf.rs`.

use super::*;

/// Fewest checks on one slot for a group: with one check there is nothing to share (its own
/// matcher is as fast, and the JIT calls it either way).
pub(super) const MIN_SHARED: usize = 2;

/// Atom kinds.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Contains,
    Prefix,
    Suffix,
    Exact,
}

/// A shareable test: its atoms, and whether its verdict is their negation (`!=`).
type Atoms<'t> = (Vec<(Kind, &'t [u8])>, bool);

/// The atoms of a shareable test (see [`Atoms`]).
fn atoms(test: &Test) -> Option<Atoms<'_>> {
    let kind = |op: StrOp| match op {
        StrOp::Eq => Some(Kind::Exact),
        StrOp::StartsWith | StrOp::BStartsWith => Some(Kind::Prefix),
        StrOp::EndsWith => Some(Kind::Suffix),
        StrOp::Contains | StrOp::BContains => Some(Kind::Contains),
        _ => None,
    };
    match test {
        Test::Str { op: StrOp::Ne, pattern } | Test::Compare { cmp: Cmp::Ne, value: pattern } => {
            Some((vec![(Kind::Exact, const_bytes(pattern)?)], true))
        }
        Test::Compare { cmp: Cmp::Eq, value } => Some((vec![(Kind::Exact, const_bytes(value)?)], false)),
        Test::Str { op, pattern } => Some((vec![(kind(*op)?, const_bytes(pattern)?)], false)),
        Test::StrMulti { op, modifier: Modifier::AnyOf, patterns } => {
            let k = kind(*op)?;
            let ps: Option<Vec<_>> = patterns.iter().map(|p| Some((k, const_bytes(p)?))).collect();
            Some((ps?, false))
        }
        Test::In(xs) => {
            let ps: Option<Vec<_>> = xs.iter().map(|p| Some((Kind::Exact, const_bytes(p)?))).collect();
            Some((ps?, false))
        }
        _ => None,
    }
}

/// A group's kind of pass: one per slot and class, so that a check reached on an event pays
/// only for the patterns of its own class (an anchored pass reads a few bytes; a substring pass
/// scans the whole value).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
enum Class {
    /// `=`, `!=`, `in`: one hash lookup.
    Exact,
    /// Prefixes and suffixes: anchored automata over the value's head and reversed tail.
    Anchored,
    /// Substrings: one automaton over the whole value.
    Contains,
}

fn class(k: Kind) -> Class {
    match k {
        Kind::Exact => Class::Exact,
        Kind::Prefix | Kind::Suffix => Class::Anchored,
        Kind::Contains => Class::Contains,
    }
}

/// An automaton over distinct texts, with per text the range of [`SharedGroup::hits`] a match
/// sets, and the longest text.
struct Automaton {
    ac: AhoCorasick,
    pats: Vec<(u32, u32)>,
    max_len: usize,
}

/// One slot's shared pass for one class of tests.
pub(super) struct SharedGroup {
    pub(super) slot: SlotId,
    /// The group of the checks on values of the event's thread and its parent, whose verdicts
    /// are remembered by thread (`thread_memo.rs`) instead of a pass over one value: none of
    /// the fields below is used.
    pub(super) by_thread: bool,
    /// For the thread group: whether some check reads a value of the parent.
    pub(super) reads_parent: bool,
    /// Whether the pass is one hash lookup (`=`, `!=`, `in`), not an automaton's scan.
    pub(super) exact_only: bool,
    /// Index of the stamp word in the verdict words; the group's bit words follow it.
    pub(super) stamp: u32,
    /// Number of bit words.
    pub(super) words: u32,
    /// The checks, by bit.
    pub(super) checks: Vec<CheckId>,
    /// How the pass reads the slot.
    pub(super) read: Read,
    /// Exact atoms: text → range of `hits`; `lens` has bit `min(len, 63)` for each text's length.
    exact: HashMap<Box<[u8]>, (u32, u32)>,
    lens: u64,
    /// Prefixes (anchored at the start), suffixes (reversed, anchored at the end), substrings.
    prefix: Option<Automaton>,
    suffix: Option<Automaton>,
    contains: Option<Automaton>,
    /// Bits set by any string value (empty prefix/suffix/substring patterns).
    always: Vec<u32>,
    hits: Vec<u32>,
    /// Per bit word, the bits of negated checks.
    invert: Vec<u64>,
}

/// The groups of a program, and per check the bit it reads (if it is in a group).
pub(super) struct Groups {
    pub(super) groups: Vec<SharedGroup>,
    /// Per check: (group index, bit).
    pub(super) of_check: Vec<Option<(u32, VerdictBit)>>,
    /// Total verdict words.
    pub(super) words: usize,
}

fn len_bit(n: usize) -> u64 {
    1u64 << n.min(63)
}

impl Groups {
    pub(super) fn build(p: &Program, plans: &[SlotPlan], reads: &[Read]) -> Groups {
        let mut by_key: HashMap<(u32, Class), Vec<usize>> = HashMap::default();
        for (i, c) in p.checks.iter().enumerate() {
            let s = c.slot.0 as usize;
            let scalar = p.slots.get(s).is_some_and(|s| !s.may_yield_list() && !s.is_list());
            let flags = plans.get(s).and_then(flag_param).is_some();
            let Some((atoms, _)) = atoms(&c.test) else { continue };
            // A test's atoms are all of one kind; `anyof ()` has none and stays on its own.
            let Some(&(kind, _)) = atoms.first() else { continue };
            if scalar && !flags {
                by_key.entry((c.slot.0, class(kind))).or_default().push(i);
            }
        }
        let mut keys: Vec<((u32, Class), Vec<usize>)> =
            by_key.into_iter().filter(|(_, v)| v.len() >= MIN_SHARED).collect();
        keys.sort_unstable_by_key(|(k, _)| *k);
        let mut of_check = vec![None; p.checks.len()];
        let mut groups = Vec::with_capacity(keys.len());
        let mut words = 0usize;
        for ((slot, _), checks) in keys {
            let Some(read) = reads.get(slot as usize).cloned() else { continue };
            let Some(g) = SharedGroup::new(p, SlotId(slot), &checks, read, words) else { continue };
            // Ids and offsets are u32 (the JIT's too): stop sharing past that (never in practice).
            let Ok(gi) = u32::try_from(groups.len()) else { break };
            if words + 1 + g.words as usize > u32::MAX as usize / 8 {
                break;
            }
            for (bit, &c) in checks.iter().enumerate() {
                let vb = VerdictBit { stamp: g.stamp, word: g.stamp + 1 + (bit / 64) as u32, bit: (bit % 64) as u8 };
                of_check[c] = Some((gi, vb));
            }
            words += 1 + g.words as usize;
            groups.push(g);
        }
        // The other checks on values of the thread and its parent form one group of their own.
        let mut by_thread = thread_checks(p, plans);
        by_thread.retain(|&(c, _)| of_check.get(c).is_some_and(Option::is_none));
        let reads_parent = by_thread.iter().any(|&(_, parent)| parent);
        let by_thread: Vec<usize> = by_thread.into_iter().map(|(c, _)| c).collect();
        let by_thread = SharedGroup::by_thread(p, &by_thread, reads_parent, words).map(|g| (by_thread, g));
        if let (Ok(gi), Some((by_thread, g))) = (u32::try_from(groups.len()), by_thread) {
            for (bit, &c) in by_thread.iter().enumerate() {
                let vb = VerdictBit { stamp: g.stamp, word: g.stamp + 1 + (bit / 64) as u32, bit: (bit % 64) as u8 };
                of_check[c] = Some((gi, vb));
            }
            words += 1 + g.words as usize;
            groups.push(g);
        }
        Groups { groups, of_check, words }
    }
}

/// Distinct texts of one kind, each with the bits its match sets.
#[derive(Default)]
struct Texts {
    index: HashMap<Vec<u8>, usize>,
    texts: Vec<Vec<u8>>,
    bits: Vec<Vec<u32>>,
}

impl Texts {
    fn add(&mut self, text: Vec<u8>, bit: u32) {
        let i = *self.index.entry(text.clone()).or_insert_with(|| {
            self.texts.push(text);
            self.bits.push(Vec::new());
            self.texts.len() - 1
        });
        self.bits[i].push(bit);
    }

    fn automaton(self, hits: &mut Vec<u32>) -> Option<Option<Automaton>> {
        if self.texts.is_empty() {
            return Some(None);
        }
        // Unanchored: aho-corasick has no anchored overlapping search, so an anchored pass
        // scans a head of `max_len` bytes and keeps the matches at its start.
        let ac = AhoCorasick::new(&self.texts).ok()?;
        let pats = self.bits.into_iter().map(|mut b| push_hits(hits, &mut b)).collect();
        let max_len = self.texts.iter().map(Vec::len).max().unwrap_or(0);
        Some(Some(Automaton { ac, pats, max_len }))
    }
}

/// Appends the distinct `bits` to `hits`; their range.
fn push_hits(hits: &mut Vec<u32>, bits: &mut Vec<u32>) -> (u32, u32) {
    bits.sort_unstable();
    bits.dedup();
    let at = hits.len() as u32;
    hits.extend_from_slice(bits);
    (at, hits.len() as u32)
}

impl SharedGroup {
    fn new(p: &Program, slot: SlotId, checks: &[usize], read: Read, stamp: usize) -> Option<SharedGroup> {
        let nwords = checks.len().div_ceil(64);
        let mut invert = vec![0u64; nwords];
        let mut exact: HashMap<Vec<u8>, Vec<u32>> = HashMap::default();
        let (mut prefix, mut suffix, mut contains) = (Texts::default(), Texts::default(), Texts::default());
        let mut always: Vec<u32> = Vec::new();
        for (bit, &c) in checks.iter().enumerate() {
            let (atoms, negated) = atoms(&p.checks.get(c)?.test)?;
            let b = bit as u32;
            if negated {
                invert[bit / 64] |= 1 << (bit % 64);
            }
            for (kind, text) in atoms {
                match kind {
                    Kind::Exact => exact.entry(text.to_vec()).or_default().push(b),
                    _ if text.is_empty() => always.push(b),
                    Kind::Prefix => prefix.add(text.to_vec(), b),
                    Kind::Suffix => suffix.add(text.iter().rev().copied().collect(), b),
                    Kind::Contains => contains.add(text.to_vec(), b),
                }
            }
        }
        let mut hits: Vec<u32> = Vec::new();
        let mut lens = 0;
        let exact = exact
            .into_iter()
            .map(|(text, mut bits)| {
                lens |= len_bit(text.len());
                (text.into_boxed_slice(), push_hits(&mut hits, &mut bits))
            })
            .collect();
        let prefix = prefix.automaton(&mut hits)?;
        let suffix = suffix.automaton(&mut hits)?;
        let contains = contains.automaton(&mut hits)?;
        always.sort_unstable();
        always.dedup();
        Some(SharedGroup {
            slot,
            by_thread: false,
            reads_parent: false,
            exact_only: prefix.is_none() && suffix.is_none() && contains.is_none() && always.is_empty(),
            stamp: u32::try_from(stamp).ok()?,
            words: u32::try_from(nwords).ok()?,
            checks: checks.iter().map(|&c| CheckId(c as u32)).collect(),
            read,
            exact,
            lens,
            prefix,
            suffix,
            contains,
            always,
            hits,
            invert,
        })
    }

    /// The group of `checks` (sorted check ids, at least [`MIN_SHARED`]) on values of the
    /// thread and its parent, its stamp at word `stamp`: priced and switched on like an exact
    /// pass (on a remembered thread, its verdicts are one lookup).
    fn by_thread(p: &Program, checks: &[usize], reads_parent: bool, stamp: usize) -> Option<SharedGroup> {
        let first = p.checks.get(*checks.first()?)?;
        if checks.len() < MIN_SHARED || stamp + 1 + checks.len().div_ceil(64) > u32::MAX as usize / 8 {
            return None;
        }
        Some(SharedGroup {
            slot: first.slot,
            by_thread: true,
            reads_parent,
            exact_only: true,
            stamp: u32::try_from(stamp).ok()?,
            words: u32::try_from(checks.len().div_ceil(64)).ok()?,
            checks: checks.iter().map(|&c| CheckId(c as u32)).collect(),
            read: Read::Cached,
            exact: HashMap::default(),
            lens: 0,
            prefix: None,
            suffix: None,
            contains: None,
            always: Vec::new(),
            hits: Vec::new(),
            invert: Vec::new(),
        })
    }

    /// Sets the bits of `hits[range]` in `out`.
    #[inline]
    fn set(&self, (a, b): (u32, u32), out: &mut [u64]) {
        for &bit in self.hits.get(a as usize..b as usize).unwrap_or(&[]) {
            if let Some(w) = out.get_mut(bit as usize / 64) {
                *w |= 1 << (bit % 64);
            }
        }
    }

    /// Every match of `a` in `hay` (only those at its start when `anchored`) sets its bits.
    fn scan(&self, a: &Automaton, hay: &[u8], anchored: bool, out: &mut [u64]) {
        for m in a.ac.find_overlapping_iter(hay) {
            if anchored && m.start() != 0 {
                continue;
            }
            if let Some(&range) = a.pats.get(m.pattern().as_usize()) {
                self.set(range, out);
            }
        }
    }

    /// The verdicts of the group's checks on a string value `v` (`None`: absent or not a
    /// string, every check false), one bit per check in `out` (the group's bit words).
    pub(super) fn pass(&self, v: Option<&[u8]>, out: &mut [u64]) {
        out.fill(0);
        let Some(v) = v else { return };
        if self.lens & len_bit(v.len()) != 0
            && let Some(&range) = self.exact.get(v)
        {
            self.set(range, out);
        }
        for &bit in &self.always {
            if let Some(w) = out.get_mut(bit as usize / 64) {
                *w |= 1 << (bit % 64);
            }
        }
        if let Some(a) = &self.prefix {
            self.scan(a, &v[..v.len().min(a.max_len)], true, out);
        }
        if let Some(a) = &self.suffix {
            let (mut stack, mut heap) = ([0u8; 256], Vec::new());
            let rev = super::strings::reversed_tail(v, a.max_len, &mut stack, &mut heap);
            self.scan(a, rev, true, out);
        }
        if let Some(a) = &self.contains {
            self.scan(a, v, false, out);
        }
        for (w, inv) in out.iter_mut().zip(&self.invert) {
            *w ^= inv;
        }
    }
}
