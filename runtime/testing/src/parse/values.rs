//! The scalar vocabulary of test files, independent of YAML: integers (hex, octal), durations,
//! errno and signal names, flag names, socket addresses and tuples, `comm` of a path.

use rulec_runtime::event::{ParamType, SockAddr, SockTuple};
use rulec_runtime::flags;

/// `comm` of an executable path: its base name, at most 15 bytes (the kernel's limit).
pub fn comm_of(exe: &str) -> String {
    rulec_runtime::state::ThreadInfo::comm_of(exe)
}

pub(super) fn fnv1a(b: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &c in b {
        h ^= u64::from(c);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// An integer in decimal, `0x` hex, or (with a leading `0`) octal, with an optional sign.
pub fn parse_int(s: &str) -> Option<i64> {
    let s = s.trim();
    let (neg, digits) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let v = if let Some(h) = digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
        i64::try_from(u64::from_str_radix(h, 16).ok()?).ok()?
    } else if digits.len() > 1 && digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit()) {
        i64::from_str_radix(&digits[1..], 8).ok()?
    } else {
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse::<i64>().ok()?
    };
    Some(if neg { v.checked_neg()? } else { v })
}

/// `250ms`, `5s`, `1.5s`, `2m`, `1h`, `100us`, `10ns` → nanoseconds.
pub fn parse_duration(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (num, unit) = s.split_at(split);
    let mult: f64 = match unit.trim() {
        "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "m" | "min" => 60e9,
        "h" => 3600e9,
        _ => return None,
    };
    let n: f64 = num.parse().ok()?;
    let v = n * mult;
    if !v.is_finite() || !(0.0..=1.8e19).contains(&v) {
        return None;
    }
    Some(v as u64)
}

pub(super) fn flag_value(set: &flags::FlagSet, name: &str) -> Option<u64> {
    set.entries.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| *v)
}

/// The errno number of a name (`ENOENT` → 2).
pub fn errno_number(name: &str) -> Option<i64> {
    (1..600u64).find(|&e| flags::errno_name(e) == Some(name)).map(|e| e as i64)
}

pub(super) fn type_name(ty: ParamType) -> String {
    format!("{ty:?}").to_ascii_uppercase()
}

pub(super) const SIGNALS: &[(&str, u8)] = &[
    ("SIGHUP", 1),
    ("SIGINT", 2),
    ("SIGQUIT", 3),
    ("SIGILL", 4),
    ("SIGTRAP", 5),
    ("SIGABRT", 6),
    ("SIGBUS", 7),
    ("SIGFPE", 8),
    ("SIGKILL", 9),
    ("SIGUSR1", 10),
    ("SIGSEGV", 11),
    ("SIGUSR2", 12),
    ("SIGPIPE", 13),
    ("SIGALRM", 14),
    ("SIGTERM", 15),
    ("SIGCHLD", 17),
    ("SIGCONT", 18),
    ("SIGSTOP", 19),
];

/// A socket address: `10.0.0.1:443`, `[::1]:80`, or a unix path (`/run/x.sock`, `unix:NAME`).
pub fn parse_sockaddr(s: &str) -> Option<SockAddr> {
    let s = s.trim();
    if let Some(p) = s.strip_prefix("unix:") {
        return Some(SockAddr::Unix(p.to_owned()));
    }
    if s.starts_with('/') || s.starts_with('@') {
        return Some(SockAddr::Unix(s.to_owned()));
    }
    if let Some(rest) = s.strip_prefix('[') {
        let (ip, port) = rest.split_once("]:")?;
        return Some(SockAddr::V6(ip.parse().ok()?, port.parse().ok()?));
    }
    let (ip, port) = s.rsplit_once(':')?;
    Some(SockAddr::V4(ip.parse().ok()?, port.parse().ok()?))
}

/// `10.0.0.2:40000->10.0.0.1:443` (client → server).
pub fn parse_socktuple(s: &str) -> Option<SockTuple> {
    let (a, b) = s.split_once("->")?;
    match (parse_sockaddr(a)?, parse_sockaddr(b)?) {
        (SockAddr::V4(sip, sport), SockAddr::V4(dip, dport)) => Some(SockTuple::V4 { sip, sport, dip, dport }),
        (SockAddr::V6(sip, sport), SockAddr::V6(dip, dport)) => Some(SockTuple::V6 { sip, sport, dip, dport }),
        (SockAddr::Unix(_), SockAddr::Unix(path)) => Some(SockTuple::Unix { src: 0, dst: 0, path }),
        _ => None,
    }
}
