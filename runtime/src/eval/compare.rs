//! Comparisons of values with constants and with each other: exact integer/double ordering,
//! IP addresses and networks, and the hashed constant sets behind `in` and `intersects`
//! (with a small-set fast path on the first bytes of a string).

use super::*;

/// How two values relate.
pub(super) enum Rel {
    Ord(Ordering),
    /// Comparable, not equal, not ordered (NaN, different IPs).
    Unequal,
    /// Different kinds: every comparison is false.
    Incomparable,
}

#[derive(Clone, Copy)]
pub(super) enum Num {
    I(i128),
    F(f64),
}

pub(super) fn num(v: ValueRef<'_>) -> Option<Num> {
    match v {
        ValueRef::Int(i) => Some(Num::I(i128::from(i))),
        ValueRef::Uint(u) => Some(Num::I(i128::from(u))),
        ValueRef::Double(d) => Some(Num::F(d)),
        _ => None,
    }
}

/// Exact comparison of an integer with a double (no rounding of the integer).
pub(super) fn cmp_int_float(i: i128, f: f64) -> Option<Ordering> {
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

pub(super) fn cmp_num(a: Num, b: Num) -> Option<Ordering> {
    match (a, b) {
        (Num::I(x), Num::I(y)) => Some(x.cmp(&y)),
        (Num::I(x), Num::F(y)) => cmp_int_float(x, y),
        (Num::F(x), Num::I(y)) => cmp_int_float(y, x).map(Ordering::reverse),
        (Num::F(x), Num::F(y)) => x.partial_cmp(&y),
    }
}

pub(super) fn value_bytes(v: &Value) -> Option<&[u8]> {
    match v {
        Value::Str(s) => Some(s.as_bytes()),
        Value::Bytes(b) => Some(b),
        _ => None,
    }
}

pub(super) fn ip_of(v: ValueRef<'_>) -> Option<IpAddr> {
    match v {
        ValueRef::Ip(a) => Some(a.to_canonical()),
        _ => None,
    }
}

/// How two scalars relate; a list (`None`) relates to nothing.
pub(super) fn relate(a: Option<ValueRef<'_>>, b: Option<ValueRef<'_>>) -> Rel {
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

pub(super) fn apply(cmp: Cmp, rel: Rel) -> bool {
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

pub(super) fn full_prefix(a: IpAddr) -> u8 {
    if a.is_ipv4() { 32 } else { 128 }
}

/// Whether `ip` is in `net/prefix` (both canonical; different families never match).
pub(super) fn in_net(ip: IpAddr, net: IpAddr, prefix: u8) -> bool {
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
pub(super) fn compare(v: ValueRef<'_>, cmp: Cmp, rhs: &Operand) -> bool {
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
pub(super) struct ByteSet {
    /// Bit `min(len, 63)` is set when some member has that length.
    pub(super) lens: u64,
    pub(super) small: Vec<SmallMember>,
    /// The bytes of the small members, one after another.
    pub(super) text: Vec<u8>,
    pub(super) hashed: HashSet<Vec<u8>>,
}

#[derive(Clone, Copy)]
pub(super) struct SmallMember {
    /// The first 8 bytes, zero-padded, as a little-endian word.
    pub(super) head: u64,
    pub(super) len: u32,
    /// Where the bytes start in `ByteSet::text`.
    pub(super) at: u32,
}

/// The first 8 bytes of `v`, zero-padded.
#[inline]
pub(super) fn head_word(v: &[u8]) -> u64 {
    if let Some(head) = v.first_chunk::<8>() {
        return u64::from_le_bytes(*head);
    }
    // Shorter: byte by byte (no call to `memcpy` for a variable length).
    v.iter().enumerate().fold(0, |w, (i, b)| w | (u64::from(*b) << (8 * i)))
}

impl ByteSet {
    /// Above this many members, hashing beats comparing in turn.
    const SMALL: usize = 8;

    pub(super) fn len_bit(n: usize) -> u64 {
        1u64 << n.min(63)
    }

    pub(super) fn members(&self) -> impl Iterator<Item = &[u8]> {
        self.small.iter().filter_map(|m| self.text.get(m.at as usize..m.at as usize + m.len as usize))
    }

    pub(super) fn insert(&mut self, v: &[u8]) {
        self.lens |= ByteSet::len_bit(v.len());
        if self.hashed.is_empty() {
            // A constant listed twice: already a member (hashing it alone would lose the others).
            if self.members().any(|x| x == v) {
                return;
            }
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
    pub(super) fn contains(&self, v: &[u8]) -> bool {
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
pub(super) struct ConstSet {
    pub(super) bytes: ByteSet,
    pub(super) other: Option<Box<OtherConsts>>,
}

#[derive(Default)]
pub(super) struct OtherConsts {
    /// Integers, and doubles with an integral value that fits.
    pub(super) ints: HashSet<i128>,
    /// The other doubles.
    pub(super) floats: Vec<f64>,
    pub(super) bools: [bool; 2],
    pub(super) addrs: HashSet<IpAddr>,
    pub(super) nets: Vec<(IpAddr, u8)>,
}

pub(super) fn integral(d: f64) -> Option<i128> {
    let bound = 2f64.powi(127);
    (d.is_finite() && d.fract() == 0.0 && d < bound && d >= -bound).then_some(d as i128)
}

impl ConstSet {
    pub(super) fn new(xs: &[Const]) -> ConstSet {
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
    pub(super) fn contains(&self, v: ValueRef<'_>) -> bool {
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
