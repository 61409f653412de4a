//! Shared string passes: every string test on one slot (the same field and argument) anywhere
//! in the program that reduces to "the value matches one of these patterns" is decided by ONE
//! pass over the value per event, whose verdicts the checks then read as bits.
//!
//! A check joins its slot's group ([`SharedGroup`]) when its test is an `=`/`!=` with one
//! string, `startswith`/`bstartswith`/`endswith`/`contains`/`bcontains` with one pattern or
//! `anyof` patterns, `= anyof (...)`, or `in (...)` of strings only, on a slot whose value is
//! never a list. Each such test is an OR of *atoms* (a pattern with a kind: exact, prefix,
//! suffix, substring), `!=` the negation of one exact atom. A group holds one hash table of its
//! exact atoms and one aho-corasick automaton over the texts of its other atoms; a pattern's
//! match tells, by where it starts and ends, which of the prefix, suffix and substring atoms of
//! that text hold. Everything else (case-insensitive operators, `allof`/`oneof`, globs, regexes,
//! list slots, `val()`) keeps its own matcher.
//!
//! The verdicts live in the slot cache's verdict words (see [`VerdictBit`]): per group one stamp
//! word, the generation of the event the pass ran for, then one bit per check. The first check
//! of a group evaluated for an event runs the pass and writes the stamp; the others (in the
//! interpreter, or inline in the JIT's code) read their bit. Semantics stay those of the checks'
//! own matchers: an absent or non-string value makes every check of the group false (`!=` too),
//! and should the value turn out to be a list after all, each check's own matcher decides.
//!
//! This module builds the groups and runs a pass on a value; when a pass runs is `leaf.rs`.

use super::*;

/// Fewest checks on one slot for a group: with one check there is nothing to share (its own
/// matcher is as fast, and the JIT calls it either way).
pub(super) const MIN_SHARED: usize = 2;

/// Atom kinds; the order indexes [`PatHits`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Contains = 0,
    Prefix = 1,
    Suffix = 2,
    Exact = 3,
}

/// The atoms of a shareable test, and whether its verdict is their negation (`!=`).
fn atoms(test: &Test) -> Option<(Vec<(Kind, &[u8])>, bool)> {
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

/// Where the bits a match sets are, in [`SharedGroup::hits`], per atom kind.
#[derive(Clone, Copy, Default)]
struct PatHits([(u32, u32); 3]);

/// One slot's shared pass.
pub(super) struct SharedGroup {
    pub(super) slot: SlotId,
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
    /// The non-empty texts of the other atoms, and per text the bits of each kind.
    ac: Option<AhoCorasick>,
    pats: Vec<PatHits>,
    /// Whether the automaton must scan the whole value (some substring or suffix atom), else
    /// only its first `max_prefix` bytes.
    scan_all: bool,
    max_prefix: usize,
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
        let mut by_slot: HashMap<u32, Vec<usize>> = HashMap::default();
        for (i, c) in p.checks.iter().enumerate() {
            let s = c.slot.0 as usize;
            let scalar = p.slots.get(s).is_some_and(|s| !s.may_yield_list() && !s.is_list());
            let flags = plans.get(s).and_then(flag_param).is_some();
            if scalar && !flags && atoms(&c.test).is_some() {
                by_slot.entry(c.slot.0).or_default().push(i);
            }
        }
        let mut slots: Vec<(u32, Vec<usize>)> = by_slot.into_iter().filter(|(_, v)| v.len() >= MIN_SHARED).collect();
        slots.sort_unstable_by_key(|(s, _)| *s);
        let mut of_check = vec![None; p.checks.len()];
        let mut groups = Vec::with_capacity(slots.len());
        let mut words = 0usize;
        for (slot, checks) in slots {
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
        Groups { groups, of_check, words }
    }
}

impl SharedGroup {
    fn new(p: &Program, slot: SlotId, checks: &[usize], read: Read, stamp: usize) -> Option<SharedGroup> {
        let nwords = checks.len().div_ceil(64);
        let mut invert = vec![0u64; nwords];
        let mut exact: HashMap<Vec<u8>, Vec<u32>> = HashMap::default();
        let mut texts: HashMap<Vec<u8>, usize> = HashMap::default();
        let mut per_text: Vec<[Vec<u32>; 3]> = Vec::new();
        let mut uniq: Vec<Vec<u8>> = Vec::new();
        let mut always: Vec<u32> = Vec::new();
        let (mut scan_all, mut max_prefix) = (false, 0usize);
        for (bit, &c) in checks.iter().enumerate() {
            let (atoms, negated) = atoms(&p.checks.get(c)?.test)?;
            let b = bit as u32;
            if negated {
                invert[bit / 64] |= 1 << (bit % 64);
            }
            for (kind, text) in atoms {
                if kind == Kind::Exact {
                    exact.entry(text.to_vec()).or_default().push(b);
                    continue;
                }
                if text.is_empty() {
                    always.push(b);
                    continue;
                }
                match kind {
                    Kind::Prefix => max_prefix = max_prefix.max(text.len()),
                    _ => scan_all = true,
                }
                let t = *texts.entry(text.to_vec()).or_insert_with(|| {
                    uniq.push(text.to_vec());
                    per_text.push(Default::default());
                    uniq.len() - 1
                });
                per_text[t][kind as usize].push(b);
            }
        }
        let mut hits: Vec<u32> = Vec::new();
        let mut push = |bits: &mut Vec<u32>| {
            bits.sort_unstable();
            bits.dedup();
            let at = hits.len() as u32;
            hits.extend_from_slice(bits);
            (at, hits.len() as u32)
        };
        let mut lens = 0;
        let exact = exact
            .into_iter()
            .map(|(text, mut bits)| {
                lens |= len_bit(text.len());
                (text.into_boxed_slice(), push(&mut bits))
            })
            .collect();
        let pats = per_text.iter_mut().map(|k| PatHits([push(&mut k[0]), push(&mut k[1]), push(&mut k[2])])).collect();
        always.sort_unstable();
        always.dedup();
        let ac = if uniq.is_empty() { None } else { Some(AhoCorasick::builder().build(&uniq).ok()?) };
        Some(SharedGroup {
            slot,
            stamp: u32::try_from(stamp).ok()?,
            words: u32::try_from(nwords).ok()?,
            checks: checks.iter().map(|&c| CheckId(c as u32)).collect(),
            read,
            exact,
            lens,
            ac,
            pats,
            scan_all,
            max_prefix,
            always,
            hits,
            invert,
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
        if let Some(ac) = &self.ac {
            let hay = if self.scan_all { v } else { &v[..v.len().min(self.max_prefix)] };
            for m in ac.find_overlapping_iter(hay) {
                let Some(h) = self.pats.get(m.pattern().as_usize()) else { continue };
                self.set(h.0[Kind::Contains as usize], out);
                if m.start() == 0 {
                    self.set(h.0[Kind::Prefix as usize], out);
                }
                if m.end() == v.len() {
                    self.set(h.0[Kind::Suffix as usize], out);
                }
            }
        }
        for (w, inv) in out.iter_mut().zip(&self.invert) {
            *w ^= inv;
        }
    }
}
