//! The matchers a check's test compiles into ([`Matcher`]): constants as operands and sets,
//! string patterns as single or multi-pattern searches, globs, regexes and path sets.
//!
//! Built once per program ([`build_matcher`]); this module must not read events.

use super::*;

pub(super) enum Matcher {
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
pub(super) enum Operand {
    Val(Value),
    /// A network with a prefix shorter than the address: containment.
    Net(IpAddr, u8),
}

pub(super) enum Single {
    Bytes(Vec<u8>),
    /// `contains`, `bcontains`: a substring searcher.
    Sub(memchr::memmem::Finder<'static>),
    /// `icontains`: an automaton folding ASCII case.
    Finder(AhoCorasick),
    Glob(Glob),
    Regex(regex::bytes::Regex),
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Anchor {
    None,
    Start,
    /// Patterns are reversed and matched at the start of the reversed value.
    End,
}

pub(super) enum MultiSet {
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

pub(super) fn const_bytes(k: &Const) -> Option<&[u8]> {
    match k {
        Const::Str(s) => Some(s.as_bytes()),
        Const::Bytes(b) => Some(b),
        _ => None,
    }
}

pub(super) fn anchored(re: &str) -> String {
    format!("^(?:{re})$")
}

pub(super) fn build_matcher(t: &Test) -> Matcher {
    match t {
        Test::Exists => Matcher::Exists,
        Test::Compare { cmp, value } => Matcher::Compare { cmp: *cmp, rhs: operand(value) },
        Test::Str { op, pattern } => {
            let Some(p) = const_bytes(pattern) else { return Matcher::Never };
            let pat = match op {
                StrOp::Eq | StrOp::Ne | StrOp::StartsWith | StrOp::EndsWith | StrOp::BStartsWith => {
                    Single::Bytes(p.to_vec())
                }
                StrOp::Contains | StrOp::BContains => Single::Sub(memchr::memmem::Finder::new(p).into_owned()),
                StrOp::IContains => match AhoCorasick::builder().ascii_case_insensitive(true).build([p]) {
                    Ok(ac) => Single::Finder(ac),
                    Err(_) => return Matcher::Never,
                },
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

pub(super) fn operand(k: &Const) -> Operand {
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
