//! The JIT's inline string tests (`runtime/src/jit/strings.rs`) against the interpreter, on
//! random values and patterns: every inlined shape (`=`, `!=`, `in`, `startswith`, `endswith`,
//! `= anyof`, `startswith anyof`, `endswith anyof`, `contains`, `bcontains`, `contains anyof`)
//! with patterns of 0 to 20 bytes, values that
//! equal a pattern, extend it at either end, differ from it in one byte or are one byte short,
//! empty and absent values. Shared string passes are off, so the JIT compiles these checks
//! inline rather than reading a pass's verdict bits.

use crate::common::{fake_extract, fev, rule_per_check_ir};

use rulec_bench::workload::SplitMix64 as Rng;
use rulec_compiler::ir::parse::parse;
use rulec_runtime::engine::{Backend, Engine, Sharing};
use rulec_runtime::{ParamValue, State};

/// Bytes values and patterns are made of: few, so that they often share prefixes and suffixes.
const ALPHABET: &[u8] = b"ab/.";

fn text(r: &mut Rng, max: usize) -> String {
    let n = r.index(max + 1);
    (0..n).map(|_| char::from(*r.pick(ALPHABET))).collect()
}

/// A value near `pat`: equal, extended at either end, one byte changed, one byte shorter.
fn near(r: &mut Rng, pat: &str) -> String {
    let mut b = pat.as_bytes().to_vec();
    match r.index(5) {
        0 => {}
        1 => b.extend(text(r, 6).bytes()),
        2 => {
            let mut v = text(r, 6).into_bytes();
            v.extend_from_slice(&b);
            b = v;
        }
        3 if !b.is_empty() => {
            let i = r.index(b.len());
            b[i] = if b[i] == b'a' { b'b' } else { b'a' };
        }
        _ => {
            b.pop();
        }
    }
    String::from_utf8(b).unwrap_or_default()
}

fn quoted(s: &str) -> String {
    format!("\"{s}\"")
}

fn set(ps: &[String]) -> String {
    ps.iter().map(|p| quoted(p)).collect::<Vec<_>>().join(", ")
}

/// One random check on `s0`, and the patterns it uses.
fn check(r: &mut Rng) -> (String, Vec<String>) {
    let n = 1 + r.index(4);
    let ps: Vec<String> = (0..n).map(|_| text(r, 20)).collect();
    let c = match r.index(11) {
        0 => format!("s0 = {}", quoted(&ps[0])),
        1 => format!("s0 != {}", quoted(&ps[0])),
        2 => format!("s0 in ({})", set(&ps)),
        3 => format!("s0 startswith {}", quoted(&ps[0])),
        4 => format!("s0 endswith {}", quoted(&ps[0])),
        5 => format!("s0 = anyof ({})", set(&ps)),
        6 => format!("s0 startswith anyof ({})", set(&ps)),
        7 => format!("s0 endswith anyof ({})", set(&ps)),
        // Short patterns are searched inline, longer ones stay calls.
        8 => format!("s0 contains {}", quoted(&ps[0])),
        9 => format!("s0 bcontains {}", quoted(&ps[0])),
        _ => format!("s0 contains anyof ({})", set(&ps)),
    };
    (c, ps)
}

#[test]
fn inline_string_tests_agree_with_the_interpreter() {
    const RULES: usize = 40;
    const EVENTS: usize = 300;
    let mut held = 0;
    for seed in 1..=6u64 {
        let mut r = Rng(seed);
        let (mut checks, mut pats) = (Vec::new(), Vec::new());
        for _ in 0..RULES {
            let (c, ps) = check(&mut r);
            checks.push(c);
            pats.extend(ps);
        }
        assert_eq!(checks.len(), RULES);
        let ir = rule_per_check_ir(&["proc.name"], &checks);
        let program = parse(&ir).unwrap_or_else(|e| panic!("seed {seed}: {e:?}\n{ir}"));
        let mut interp = Engine::with_extractor(program.clone(), Backend::Interp, fake_extract);
        interp.set_sharing(Sharing::Off);
        let mut jit = Engine::with_extractor(program, Backend::Jit, fake_extract);
        jit.set_sharing(Sharing::Off);
        assert_eq!(jit.backend(), Backend::Jit, "{:?}", jit.jit_error());
        let st = State::new();
        for e in 0..EVENTS {
            let ev = match r.index(12) {
                0 => fev("open", &[]),
                1 => fev("open", &[("proc.name", ParamValue::Str(text(&mut r, 24)))]),
                _ => {
                    let p = r.pick(&pats).clone();
                    fev("open", &[("proc.name", ParamValue::Str(near(&mut r, &p)))])
                }
            };
            for (i, c) in checks.iter().enumerate() {
                let want = interp.eval_rule(i, &ev, &st);
                assert_eq!(jit.eval_rule(i, &ev, &st), want, "seed {seed}, event {e} {:?}: `{c}`", ev.params);
                held += usize::from(want);
            }
        }
        assert_eq!(interp.panics() + jit.panics(), 0, "seed {seed}: a check panicked");
    }
    // Values are drawn near the patterns: many checks hold, many do not.
    let total = 6 * RULES * EVENTS;
    assert!(held > total / 10 && held < total * 9 / 10, "{held} of {total} held");
}
