//! Property tests: random conditions over a handful of fields (every operator family, negations,
//! nested and/or, repeated fields so that the optimiser's merges fire and string tests share a
//! slot's pass) and random events (with absent values). For every rule and event, the optimised
//! program must give the same answer as the lowered one run with every check on its own matcher
//! (interpreter, no shared string passes), and the JIT the same as the interpreter; both
//! programs must pass the verifier. A small seeded PRNG keeps runs reproducible: a failure names
//! its seed.

use crate::common;

use common::*;
use rulec_runtime::engine::{Backend, Engine, Sharing};
use rulec_runtime::{Event, ParamValue, State};

// A small seeded PRNG: the generator's SplitMix64.
use rulec_bench::workload::SplitMix64 as Rng;

const NAMES: &[&str] = &["bash", "sh", "Bash", "sshd", "nginx", "a", "ba"];
const PATHS: &[&str] =
    &["/tmp/x", "/tmp", "/etc/passwd", "/etc/shadow", "/var/log/a.log", "/tmp/hello/x", "/tmp/hello_x", "rel/x"];
const SUBS: &[&str] = &["a", "as", "ba", "sh", "B", "x", "/tmp", "/etc/", "log", "/x"];
const GLOBS: &[&str] = &["b*", "*sh", "?ash", "[bs]*", "*", "/tmp/*", "*/x", "B*", "[!/]*", "*.log"];
const REGEXES: &[&str] = &["b.*", ".*sh", "(bash|sh)", "[a-z]+", "/tmp/.*", "[A-Z].*"];
const PMATCH: &[&str] = &["/tmp", "/tmp/hello", "/etc", "/tmp/*", "/", "/var/log"];
const INTS: &[i64] = &[0, 1, 2, 5, 42, -1];
const PORTS: &[u16] = &[22, 80, 443, 8080];
const PORT_TEXT: &[&str] = &["22", "80", "ssh", "http", "https", "8080", "1000"];
const IPS: &[&str] = &["10.0.0.1", "10.1.2.3", "192.168.1.5", "::1", "::ffff:10.0.0.1"];
const NETS: &[&str] = &["10.0.0.1", "10.0.0.0/8", "192.168.0.0/16", "::1", "0.0.0.0/0", "10.1.2.3"];
const TYPES: &[&str] = &["file", "ipv4", "unix", "pipe"];

fn q(s: &str) -> String {
    format!("\"{s}\"")
}

fn qlist(xs: &[&str]) -> String {
    format!("({})", xs.iter().map(|x| q(x)).collect::<Vec<_>>().join(", "))
}

fn plist<T: ToString>(xs: &[T]) -> String {
    format!("({})", xs.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "))
}

fn string_atom(r: &mut Rng, f: &str, vals: &[&str]) -> String {
    let m = *r.pick(&["oneof", "anyof", "allof"]);
    match r.index(22) {
        0 => format!("{f} = {}", q(*r.pick(vals))),
        1 => format!("{f} != {}", q(*r.pick(vals))),
        2 => format!("{f} in {}", qlist(&r.some(vals, 3))),
        3 => format!("{f} intersects {}", qlist(&r.some(vals, 2))),
        4 => format!("{f} contains {}", q(*r.pick(SUBS))),
        5 => format!("{f} icontains {}", q(*r.pick(SUBS))),
        6 => format!("{f} startswith {}", q(*r.pick(SUBS))),
        7 => format!("{f} endswith {}", q(*r.pick(SUBS))),
        8 => format!("{f} glob {}", q(*r.pick(GLOBS))),
        9 => format!("{f} iglob {}", q(*r.pick(GLOBS))),
        10 => format!("{f} regex {}", q(*r.pick(REGEXES))),
        11 => format!("{f} exists"),
        12 => format!("{f} startswith {m} {}", qlist(&r.some(SUBS, 3))),
        13 => format!("{f} = {m} {}", qlist(&r.some(vals, 3))),
        14 => format!("{f} contains {m} {}", qlist(&r.some(SUBS, 3))),
        15 => format!("{f} endswith {m} {}", qlist(&r.some(SUBS, 3))),
        16 => format!("{f} != {m} {}", qlist(&r.some(vals, 2))),
        17 => format!("{f} glob {m} {}", qlist(&r.some(GLOBS, 3))),
        18 => format!("{f} regex {m} {}", qlist(&r.some(REGEXES, 2))),
        19 => format!("{f} pmatch {}", qlist(&r.some(PMATCH, 3))),
        20 => format!("{f} {} {}", *r.pick(&["<", "<=", ">", ">="]), q(*r.pick(vals))),
        _ => format!("{f} icontains {m} {}", qlist(&r.some(SUBS, 2))),
    }
}

/// One check on a random field (or `focus`, when given, to provoke merges).
fn atom(r: &mut Rng, focus: Option<usize>) -> String {
    let field = focus.unwrap_or_else(|| r.index(11));
    match field {
        0 => string_atom(r, "proc.name", NAMES),
        1 => string_atom(r, "fd.name", PATHS),
        2 => match r.index(4) {
            0 => "proc.name = val(proc.pname)".to_owned(),
            1 => format!("proc.name {} val(proc.pname)", *r.pick(&["!=", "startswith", "contains", "endswith", "<"])),
            2 => string_atom(r, "proc.pname", NAMES),
            _ => format!("tolower(proc.name) {}", &string_atom(r, "x", NAMES)[2..]),
        },
        3 => {
            let op = *r.pick(&["=", "!=", "<", "<=", ">", ">="]);
            match r.index(5) {
                0 => format!("proc.pid in {}", plist(&r.some(INTS, 3))),
                1 => "proc.pid exists".to_owned(),
                2 => format!("proc.pid {op} val(proc.ppid)"),
                _ => format!("proc.pid {op} {}", *r.pick(INTS)),
            }
        }
        4 => match r.index(3) {
            0 => format!("fd.sport in {}", plist(&r.some(PORT_TEXT, 3))),
            _ => format!("fd.sport {} {}", *r.pick(&["=", "!=", ">", "<="]), *r.pick(PORT_TEXT)),
        },
        5 => match r.index(3) {
            0 => format!("fd.sip in {}", plist(&r.some(NETS, 3))),
            1 => "fd.sip exists".to_owned(),
            _ => format!("fd.sip {} {}", *r.pick(&["=", "!="]), *r.pick(NETS)),
        },
        6 => match r.index(3) {
            0 => format!("proc.aname[1] {}", &string_atom(r, "x", NAMES)[2..]),
            _ => {
                let a = string_atom(r, "proc.aname", NAMES);
                if a.contains(" pmatch ") || a.contains(" val(") { "proc.aname exists".to_owned() } else { a }
            }
        },
        7 => match r.index(4) {
            0 => format!("fd.types in {}", qlist(&r.some(TYPES, 3))),
            1 => format!("fd.types intersects {}", qlist(&r.some(TYPES, 2))),
            2 => "fd.types exists".to_owned(),
            _ => format!("len(fd.types) {} {}", *r.pick(&["=", ">", "<"]), r.index(3)),
        },
        8 => match r.index(4) {
            0 => format!("basename(fd.name) = {}", q(*r.pick(&["x", "passwd", "tmp", "a.log"]))),
            1 => format!("len(proc.name) {} {}", *r.pick(&["=", ">", "<="]), r.index(6)),
            2 => format!("concat(proc.name, \"-\", proc.pname) = {}", q(*r.pick(&["bash-sh", "sh-sh", "a-bash"]))),
            _ => format!("toupper(fd.name) startswith {}", q(*r.pick(&["/TMP", "/ETC", "/tmp"]))),
        },
        9 => match r.index(3) {
            0 => format!("evt.buffer bcontains {}", *r.pick(&["454c46", "6c6c", "00"])),
            1 => format!("evt.buffer bstartswith {}", *r.pick(&["7f", "68", "7f454c46"])),
            _ => format!("evt.buffer contains {}", q(*r.pick(&["ELF", "ell", "x"]))),
        },
        _ => format!("evt.type {}", *r.pick(&["= open", "!= open", "in (open, execve)", "= execve"])),
    }
}

fn cond(r: &mut Rng, depth: usize, focus: Option<usize>) -> String {
    let neg = if r.percent(25) { "not " } else { "" };
    if depth == 0 || r.percent(30) {
        return format!("{neg}{}", atom(r, focus));
    }
    let op = if r.percent(50) { " and " } else { " or " };
    let n = 2 + r.index(3);
    let kids: Vec<String> = (0..n).map(|_| cond(r, depth - 1, focus)).collect();
    format!("{neg}({})", kids.join(op))
}

fn event(r: &mut Rng) -> Event {
    let mut fields: Vec<(&'static str, ParamValue)> = Vec::new();
    let maybe = |r: &mut Rng, fields: &mut Vec<(&'static str, ParamValue)>, name: &'static str, v: ParamValue| {
        if !r.percent(20) {
            fields.push((name, v));
        }
    };
    let v = s(*r.pick(NAMES));
    maybe(r, &mut fields, "proc.name", v);
    let v = s(*r.pick(NAMES));
    maybe(r, &mut fields, "proc.pname", v);
    let v = s(*r.pick(PATHS));
    maybe(r, &mut fields, "fd.name", v);
    let v = int(*r.pick(INTS));
    maybe(r, &mut fields, "proc.pid", v);
    let v = int(*r.pick(INTS));
    maybe(r, &mut fields, "proc.ppid", v);
    let v = ParamValue::Port(*r.pick(PORTS));
    maybe(r, &mut fields, "fd.sport", v);
    let v = ip(*r.pick(IPS));
    maybe(r, &mut fields, "fd.sip", v);
    let n = r.index(4);
    let anc: Vec<&str> = (0..n).map(|_| *r.pick(NAMES)).collect();
    if !anc.is_empty() {
        fields.push(("proc.aname[1]", s(anc[0])));
    }
    let v = list(&anc);
    maybe(r, &mut fields, "proc.aname", v);
    let n = r.index(4);
    let types: Vec<&str> = (0..n).map(|_| *r.pick(TYPES)).collect();
    let v = list(&types);
    maybe(r, &mut fields, "fd.types", v);
    let v = ParamValue::Bytes((*r.pick(&[&b"\x7fELF\x02"[..], b"hello", b""])).to_vec());
    maybe(r, &mut fields, "evt.buffer", v);
    let name = *r.pick(&["open", "execve", "close"]);
    fev(name, &fields)
}

/// Random rules (`focus`: the fields a rule's checks are drawn from, or `None` for the usual
/// mix), checked on random events on three engines (see the module doc).
fn run_seed(seed: u64, rules: usize, events: usize) {
    run_seed_on(seed, rules, events, None);
}

fn run_seed_on(seed: u64, rules: usize, events: usize, fields: Option<&[usize]>) {
    let mut r = Rng(seed);
    let conds: Vec<String> = (0..rules)
        .map(|_| {
            let focus = match fields {
                Some(fs) => Some(*r.pick(fs)),
                None if r.percent(40) => Some(r.index(10)),
                None => None,
            };
            cond(&mut r, 3, focus)
        })
        .collect();
    let refs: Vec<&str> = conds.iter().map(String::as_str).collect();
    let yaml = rules_for(&refs);
    let checked = checked(&yaml);
    let (lowered, opt) = programs(&checked);
    assert_eq!(lowered.rules.len(), rules, "seed {seed}: every rule is runnable");
    let mut plain = Engine::with_extractor(lowered, Backend::Interp, fake_extract);
    plain.set_sharing(Sharing::Off);
    let mut fast = Engine::with_extractor(opt.clone(), Backend::Interp, fake_extract);
    fast.set_sharing(Sharing::On);
    let mut jit = Engine::with_extractor(opt, Backend::Jit, fake_extract);
    jit.set_sharing(Sharing::On);
    assert_eq!(jit.backend(), Backend::Jit, "{:?}", jit.jit_error());
    if fields.is_some() {
        assert!(fast.shared_checks() >= rules, "seed {seed}: only {} checks share a pass", fast.shared_checks());
    }
    let st = State::new();
    let mut hits = 0;
    for e in 0..events {
        let ev = event(&mut r);
        for (i, c) in conds.iter().enumerate() {
            let want = plain.eval_rule(i, &ev, &st);
            let got = fast.eval_rule(i, &ev, &st);
            assert_eq!(want, got, "seed {seed}, event {e} {:?}: optimised program disagrees on `{c}`", ev.params);
            let native = jit.eval_rule(i, &ev, &st);
            assert_eq!(want, native, "seed {seed}, event {e} {:?}: JIT disagrees on `{c}`", ev.params);
            hits += usize::from(want);
        }
    }
    for e in [&plain, &fast, &jit] {
        assert_eq!(e.panics(), 0, "seed {seed}: a check panicked");
    }
    // The generator must produce conditions that sometimes hold and sometimes do not.
    let total = rules * events;
    assert!(hits > total / 20 && hits < total * 19 / 20, "seed {seed}: {hits} of {total} held");
}

#[test]
fn optimised_equals_lowered_and_jit_equals_interpreter() {
    for seed in 1..=6 {
        run_seed(seed, 120, 150);
    }
}

/// Every rule's checks on the string fields only (`proc.name`, `fd.name`, `tolower(...)`, the
/// indexed and list-valued ancestor names): most checks join a shared string pass, next to the
/// ones that keep their own matcher on the same slot (`icontains`, `allof`, globs...).
#[test]
fn shared_string_passes_equal_own_matchers() {
    for seed in 200..=205 {
        run_seed_on(seed, 150, 150, Some(&[0, 1, 2, 6]));
    }
}

#[test]
fn deep_conditions() {
    for seed in 100..=102 {
        let mut r = Rng(seed);
        let conds: Vec<String> = (0..20)
            .map(|_| {
                let focus = r.index(10);
                cond(&mut r, 6, Some(focus))
            })
            .collect();
        let refs: Vec<&str> = conds.iter().map(String::as_str).collect();
        let (lowered, opt) = programs(&checked(&rules_for(&refs)));
        let mut plain = Engine::with_extractor(lowered, Backend::Interp, fake_extract);
        let mut fast = Engine::with_extractor(opt, Backend::Interp, fake_extract);
        let st = State::new();
        for _ in 0..200 {
            let ev = event(&mut r);
            for (i, c) in conds.iter().enumerate() {
                assert_eq!(plain.eval_rule(i, &ev, &st), fast.eval_rule(i, &ev, &st), "seed {seed}: `{c}`");
            }
        }
    }
}
