//! Tests of mapped text and of the scalar decoders: every style maps each decoded byte back to
//! the file byte that produced it.
#![allow(clippy::unwrap_used)] // test inputs are fixed

use super::*;

const F: FileId = FileId(0);

#[test]
fn verbatim_and_location() {
    let t = MappedText::verbatim("abc def", F, 10);
    assert_eq!(t.offset(4), (F, 14));
    assert_eq!(t.location(Span::new(4, 7)), Location::new(F, 14, 17));
    assert_eq!(t.offset(7), (F, 17));
    assert_eq!(t.whole(), Location::new(F, 10, 17));
}

#[test]
fn append_maps_each_part_to_its_file() {
    let mut a = MappedText::verbatim("proc.name=a", F, 100);
    let b = MappedText::verbatim("or proc.name=b", FileId(1), 5);
    a.append(" ", &b);
    assert_eq!(a.as_str(), "proc.name=a or proc.name=b");
    // The separator maps to the end of the first part.
    assert_eq!(a.offset(11), (F, 111));
    assert_eq!(a.offset(12), (FileId(1), 5));
    assert_eq!(a.location(Span::new(15, 24)), Location::new(FileId(1), 8, 17));
    // A span across both parts is cut at the end of the first.
    assert_eq!(a.location(Span::new(0, 20)), Location::new(F, 100, 111));
    assert_eq!(a.whole(), Location::new(F, 100, 111));
}

#[test]
fn slice_and_trim() {
    let t = MappedText::verbatim("  ab c \n", F, 3);
    let s = t.trim();
    assert_eq!(s.as_str(), "ab c");
    assert_eq!(s.offset(0), (F, 5));
    assert_eq!(s.location(Span::new(3, 4)), Location::new(F, 8, 9));
}

#[test]
fn synthetic_maps_to_its_place() {
    let t = MappedText::synthetic("xyz", Location::new(F, 4, 9));
    assert_eq!(t.offset(2), (F, 4));
    assert_eq!(t.location(Span::new(0, 3)), Location::new(F, 4, 9));
}

// ---- Mapping through the YAML parser, for every scalar style. ----

use crate::yaml::{NodeKind, parse};

/// Parses `doc` (a map with the key `k`) and returns the source and the scalar's text.
fn scalar_of(src: &str) -> MappedText {
    let (docs, d) = parse(F, src);
    assert!(d.is_empty(), "{src:?}: {d:?}");
    let map = docs[0].as_map().expect("a map");
    match &map[0].1.kind {
        NodeKind::Scalar(s) => {
            assert_eq!(s.text.as_str(), s.value);
            s.text.clone()
        }
        other => panic!("not a scalar: {other:?}"),
    }
}

/// Every decoded char maps to a file position holding that same char, or to the start of
/// what produced it (an escape, a doubled quote, a folded line break).
fn check_mapping(src: &str, t: &MappedText) {
    for (i, ch) in t.as_str().char_indices() {
        let (file, off) = t.offset(i);
        assert_eq!(file, F);
        let here = &src[off..];
        let ok = here.starts_with(ch)
            || (matches!(ch, ' ' | '\n') && (here.starts_with('\n') || here.starts_with('\r')))
            || here.starts_with('\\')
            || (ch == '\'' && here.starts_with("''"))
            // The parser adds a final line break to a block scalar at the end of the file.
            || (ch == '\n' && here.is_empty());
        assert!(
            ok,
            "decoded {ch:?} at {i} of {:?} maps to offset {off} holding {:?}\nsource: {src:?}",
            t.as_str(),
            here.chars().next()
        );
        let loc = t.location(Span::new(i, i + ch.len_utf8()));
        assert_eq!(loc.start as usize, off);
        assert!(loc.end as usize > off || here.is_empty(), "{loc:?}");
    }
}

#[test]
fn styles_map_exactly() {
    let cases = [
        "k: evt.type = open and   proc.name=é𝄞x\n",
        "k: a b\n  c  d\n\n  e\n",
        "k: 'it''s  a\n  folded\n\n  text'\n",
        "k: \"tab\\there \\\"q\\\" \\u00e9 \\x41\\\\ end\"\n",
        "k: \"line one \\\n   continued\n  folded\n\n  para\"\n",
        "k: |\n  literal\n    indented\n\n  last\n",
        "k: |-\n  strip\n  me\n\n",
        "k: |+\n  keep\n\n\n",
        "k: >\n  folded\n  text\n\n  para\n    more indented\n  back\n",
        "k: >-\n\n\n  leading empty lines\n  x\n",
        "k: |2\n    two extra spaces\n  base\n",
        "k: &anchor |\n  anchored block\n  two\n",
        "k: !!str plain with tag\n",
        "k: >\r\n  crlf\r\n  folded\r\n",
        "k: |\n  no final newline",
    ];
    for src in cases {
        let t = scalar_of(src);
        check_mapping(src, &t);
    }
}

#[test]
fn block_scalar_positions() {
    let src = "- rule: x\n  condition: >\n    evt.type = open\n    and proc.name = bash\n";
    let (docs, _) = parse(F, src);
    let item = &docs[0].as_seq().unwrap()[0];
    let (_, v) = item.get("condition").unwrap();
    let NodeKind::Scalar(s) = &v.kind else { panic!() };
    let t = &s.text;
    assert_eq!(t.as_str(), "evt.type = open and proc.name = bash\n");
    let i = t.as_str().find("proc").unwrap();
    let loc = t.location(Span::new(i, i + 9));
    assert_eq!(&src[loc.start as usize..loc.end as usize], "proc.name");
    // The folded line break maps to the break.
    assert_eq!(&src[t.offset(15).1..t.offset(15).1 + 1], "\n");
}

/// A small deterministic generator (no external crates): xorshift.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

/// Words without blanks; `quotes` adds quote and escape characters.
fn word(r: &mut Rng, quotes: bool) -> String {
    let plain = ["a", "b", "proc.name", "=", "(", ")", ",", "é", "𝄞", "x1", "/tmp/*", "-", "."];
    let special = ["'", "\"", "\\", "#", ":", "%", "[", "]", "{", "}"];
    let n = 1 + r.below(4);
    (0..n).map(|_| if quotes && r.below(4) == 0 { r.pick(&special) } else { r.pick(&plain) }).collect()
}

fn words(r: &mut Rng, quotes: bool) -> Vec<String> {
    (0..1 + r.below(6)).map(|_| word(r, quotes)).collect()
}

/// Joins words with one or more spaces, or folds at a space (a line break and indentation).
fn join_folding(r: &mut Rng, ws: &[String], indent: &str) -> String {
    let mut out = String::new();
    for (i, w) in ws.iter().enumerate() {
        if i > 0 {
            match r.below(4) {
                0 => {
                    out.push('\n');
                    out.push_str(indent);
                }
                1 => out.push_str("  "),
                _ => out.push(' '),
            }
        }
        out.push_str(w);
    }
    out
}

#[test]
fn random_scalars_map_exactly() {
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..600 {
        let style = r.below(5);
        let src = match style {
            0 => {
                // Plain: words that cannot start an indicator, folded at spaces.
                let mut ws = words(&mut r, false);
                ws[0] = format!("v{}", ws[0]);
                format!("k: {}\n", join_folding(&mut r, &ws, "  "))
            }
            1 => {
                let ws: Vec<String> = words(&mut r, true).iter().map(|w| w.replace('\'', "''")).collect();
                format!("k: '{}'\n", join_folding(&mut r, &ws, "   "))
            }
            2 => {
                let ws: Vec<String> = words(&mut r, true)
                    .iter()
                    .map(|w| {
                        let mut e = w.replace('\\', "\\\\").replace('"', "\\\"");
                        if r.below(3) == 0 {
                            e.push_str(r.pick(&["\\t", "\\n", "\\u00e9", "\\x41", "\\/", "\\ "]));
                        }
                        e
                    })
                    .collect();
                let mut body = join_folding(&mut r, &ws, "  ");
                if r.below(3) == 0 {
                    body.push_str("\\\n   tail");
                }
                format!("k: \"{body}\"\n")
            }
            _ => {
                let folded = style == 4;
                let chomp = r.pick(&["", "-", "+"]);
                let indent = r.pick(&["  ", "    "]);
                let mut body = String::new();
                for i in 0..1 + r.below(5) {
                    let ws = words(&mut r, true);
                    let extra = if i > 0 && r.below(4) == 0 { "  " } else { "" };
                    if i > 0 && r.below(4) == 0 {
                        body.push('\n');
                    }
                    body.push_str(&format!("{indent}{extra}{}\n", ws.join(" ")));
                }
                format!("k: {}{chomp}\n{body}", if folded { ">" } else { "|" })
            }
        };
        let t = scalar_of(&src);
        check_mapping(&src, &t);
    }
}
