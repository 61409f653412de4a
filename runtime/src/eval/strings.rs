//! String and byte operators on one value: one pattern, several patterns with a modifier
//! (`anyof`/`allof`/`oneof`), and the per-event forms between two slots (`val()`).

use super::*;

pub(super) fn find(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

pub(super) fn single(op: StrOp, pat: &Single, v: &[u8]) -> bool {
    match (op, pat) {
        (StrOp::Eq, Single::Bytes(p)) => v == p.as_slice(),
        (StrOp::Ne, Single::Bytes(p)) => v != p.as_slice(),
        (StrOp::StartsWith | StrOp::BStartsWith, Single::Bytes(p)) => v.starts_with(p),
        (StrOp::EndsWith, Single::Bytes(p)) => v.ends_with(p),
        (_, Single::Sub(f)) => f.find(v).is_some(),
        (_, Single::Finder(ac)) => ac.is_match(v),
        (_, Single::Glob(g)) => g.matches(v),
        (_, Single::Regex(re)) => re.is_match(v),
        _ => false,
    }
}

/// The last `max_len` bytes of `v` reversed, written into `stack` when they fit (the usual case)
/// or else into `heap`: `endswith` patterns are searched as prefixes of the reversed value.
pub(super) fn reversed_tail<'b>(v: &[u8], max_len: usize, stack: &'b mut [u8; 256], heap: &'b mut Vec<u8>) -> &'b [u8] {
    let tail = &v[v.len().saturating_sub(max_len)..];
    if tail.len() <= stack.len() {
        let buf = &mut stack[..tail.len()];
        for (d, s) in buf.iter_mut().zip(tail.iter().rev()) {
            *d = *s;
        }
        buf
    } else {
        heap.clear();
        heap.extend(tail.iter().rev());
        heap
    }
}

impl MultiSet {
    /// How many of the listed patterns `v` matches (`=` for `Exact`); with `any`, stops at the
    /// first (the result is then 0 or 1).
    pub(super) fn count(&self, v: &[u8], any: bool) -> usize {
        match self {
            MultiSet::Exact(m) => m.get(v).copied().unwrap_or(0),
            MultiSet::Ac { ac, mult, anchor, max_len } => {
                let (mut stack, mut heap) = ([0u8; 256], Vec::new());
                let hay: &[u8] = match anchor {
                    Anchor::None => v,
                    Anchor::Start => &v[..v.len().min(*max_len)],
                    Anchor::End => reversed_tail(v, *max_len, &mut stack, &mut heap),
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

pub(super) fn multi(op: StrOp, modifier: Modifier, total: usize, set: &MultiSet, v: &[u8]) -> bool {
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
pub(super) fn str_op_values(op: StrOp, a: &[u8], b: &[u8]) -> bool {
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

pub(super) fn slot_op(op: SlotOp, a: ValueRef<'_>, b: &Value) -> bool {
    match op {
        SlotOp::Cmp(c) => apply(c, relate(Some(a), b.scalar_ref())),
        SlotOp::Str(s) => match (a.as_bytes(), value_bytes(b)) {
            (Some(x), Some(y)) => str_op_values(s, x, y),
            _ => false,
        },
        // A set of one path, built for this event (the constant form builds it once).
        SlotOp::PMatch => match (a.as_bytes(), value_bytes(b)) {
            (Some(x), Some(y)) => PathSet::new(&[String::from_utf8_lossy(y).into_owned()]).matches(x),
            _ => false,
        },
    }
}
