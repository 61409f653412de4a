//! No input makes the parsers panic, overflow the stack or produce spans off char boundaries:
//! random strings over the language's alphabet, random bytes made into UTF-8, and mutations
//! of the conformance conditions. Clean results must also round-trip through `Display`.

use crate::common;

use rulec_grammar::{ParsedCondition, parse_condition, parse_output};

/// A small deterministic generator (xorshift), so failures reproduce without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const PIECES: &[&str] = &[
    " ",
    " ",
    "\t",
    "\n",
    "(",
    ")",
    ",",
    "=",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "!",
    "\"",
    "'",
    "\\",
    "[",
    "]",
    "%",
    ".",
    "*",
    "/",
    "-",
    ":",
    "and",
    "or",
    "not",
    "in",
    "exists",
    "contains",
    "startswith",
    "glob",
    "pmatch",
    "intersects",
    "anyof",
    "oneof",
    "allof",
    "tolower(",
    "val(",
    "getopt(",
    "join(",
    "foo(",
    "proc.name",
    "fd.name",
    "proc.aname[2]",
    "evt.arg.flags",
    "a",
    "b",
    "x1",
    "0",
    "é",
    "名",
    "\u{8}",
    "\\n",
    "\\q",
    "\\ ",
    "&",
    "|",
    "#",
];

fn check(t: &str) -> ParsedCondition {
    let p = parse_condition(t);
    for e in &p.errors {
        let (s, end) = (e.span.start as usize, e.span.end as usize);
        assert!(s <= end && end <= t.len(), "{t:?}: span {e:?} out of range");
        assert!(t.is_char_boundary(s) && t.is_char_boundary(end), "{t:?}: span {e:?} not on char boundaries");
        assert!(!e.message.is_empty());
    }
    if let Some(e) = &p.expr {
        // Walking and printing must not panic on any tree, erroneous or not.
        let _ = e.to_string();
        e.walk(&mut |x| {
            let (s, end) = (x.span.start as usize, x.span.end as usize);
            assert!(
                end <= t.len() && t.is_char_boundary(s) && t.is_char_boundary(end),
                "{t:?}: node span {:?}",
                x.span
            );
        });
        if p.errors.is_empty() {
            common::assert_round_trip(t, e);
        }
    }
    if p.errors.is_empty() {
        assert!(p.expr.is_some(), "{t:?}: no errors but no tree");
    }
    let o = parse_output(t);
    for e in &o.errors {
        assert!(t.get(e.span.range()).is_some(), "{t:?}: output span {e:?}");
    }
    p
}

#[test]
fn random_token_soup() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut clean = 0;
    for _ in 0..20_000 {
        let n = rng.below(24);
        let t: String = (0..n).map(|_| PIECES[rng.below(PIECES.len())]).collect();
        if check(&t).errors.is_empty() {
            clean += 1;
        }
    }
    // Some of the soup is valid, so the round trip is exercised too.
    assert!(clean > 100, "only {clean} clean inputs");
}

#[test]
fn random_bytes() {
    let mut rng = Rng(42);
    for _ in 0..20_000 {
        let n = rng.below(40);
        let bytes: Vec<u8> = (0..n).map(|_| (rng.next() & 0xff) as u8).collect();
        check(&String::from_utf8_lossy(&bytes));
        // Mostly ASCII, where the grammar has more to chew on.
        let ascii: String = (0..n).map(|_| (rng.below(95) as u8 + 32) as char).collect();
        check(&ascii);
    }
}

#[test]
fn mutated_conformance_conditions() {
    let Some(found) = common::conformance_values(&["condition"]) else { return };
    let mut rng = Rng(7);
    for f in &found {
        let base: Vec<char> = f.value.chars().collect();
        for _ in 0..20 {
            let mut m = base.clone();
            for _ in 0..1 + rng.below(3) {
                let piece: Vec<char> = PIECES[rng.below(PIECES.len())].chars().collect();
                let at = rng.below(m.len() + 1);
                match rng.below(3) {
                    0 if !m.is_empty() && at < m.len() => {
                        m.remove(at);
                    }
                    1 => m.splice(at..at, piece).for_each(drop),
                    _ => {
                        let end = (at + 1 + rng.below(8)).min(m.len());
                        if at < end {
                            m.drain(at..end);
                        }
                    }
                }
            }
            check(&m.into_iter().collect::<String>());
        }
        // Every prefix (cut anywhere, also inside strings and brackets).
        for (i, _) in f.value.char_indices().step_by(7) {
            check(&f.value[..i]);
        }
    }
}

#[test]
fn pathological_inputs_stay_linear() {
    // Inputs with an error every few bytes, long flat runs, and deep-but-legal nesting: each
    // must parse in well under a second even unoptimised (quadratic work would take minutes).
    let n = 20_000;
    let inputs = [
        "a.b[ ".repeat(n),
        "a b ".repeat(n),
        "proc.name in (a,,".repeat(n),
        "\"x".repeat(n),
        "x = 'a\\q".repeat(n),
        "& ".repeat(n),
        ")".repeat(n),
        format!("{}{}", "(".repeat(rulec_grammar::MAX_DEPTH), ")".repeat(n)),
        format!("x in ({})", "a, ".repeat(n)),
        "not ".repeat(n),
        "%".repeat(n),
        "%tolower(".repeat(n),
        "%proc.name[".repeat(n),
    ];
    for t in &inputs {
        let start = std::time::Instant::now();
        let p = parse_condition(t);
        let o = parse_output(t);
        let took = start.elapsed();
        assert!(took < std::time::Duration::from_secs(2), "{:?}…: {took:?}", &t[..20]);
        assert!(!p.errors.is_empty() || !o.errors.is_empty() || p.expr.is_some());
    }
}
