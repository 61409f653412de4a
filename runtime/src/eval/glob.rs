//! Globs with fnmatch's meaning (no `FNM_PATHNAME`: `*` crosses `/`; a backslash escapes;
//! bytes, not characters), compiled once, with the ASCII case folding `iglob` needs.

#[derive(Clone, PartialEq, Eq, Debug)]
pub(super) enum GTok {
    Byte(u8),
    Any,
    Star,
    Class { neg: bool, ranges: Vec<(u8, u8)> },
}

/// An fnmatch pattern without `FNM_PATHNAME`, compiled once: `*` any bytes (`/` included), `?`
/// one byte, `[...]` a class (`!` or `^` negates, ranges `a-z`, a leading `]` is literal), `\`
/// escapes the next byte. An unclosed `[` is a literal `[`.
#[derive(Clone, Debug)]
pub struct Glob {
    pub(super) toks: Vec<GTok>,
    pub(super) fold: bool,
}

impl Glob {
    /// Compiles `pat`; with `fold`, ASCII case is ignored (`iglob`).
    pub fn new(pat: &[u8], fold: bool) -> Glob {
        let lit = |b: u8| GTok::Byte(if fold { b.to_ascii_lowercase() } else { b });
        let mut toks = Vec::new();
        let mut i = 0;
        while i < pat.len() {
            match pat[i] {
                b'\\' => {
                    // A trailing backslash stands for itself.
                    toks.push(lit(*pat.get(i + 1).unwrap_or(&b'\\')));
                    i += 2;
                }
                b'*' => {
                    if toks.last() != Some(&GTok::Star) {
                        toks.push(GTok::Star);
                    }
                    i += 1;
                }
                b'?' => {
                    toks.push(GTok::Any);
                    i += 1;
                }
                b'[' => match parse_class(pat, i + 1) {
                    Some((tok, next)) => {
                        toks.push(tok);
                        i = next;
                    }
                    None => {
                        toks.push(lit(b'['));
                        i += 1;
                    }
                },
                b => {
                    toks.push(lit(b));
                    i += 1;
                }
            }
        }
        Glob { toks, fold }
    }

    /// Whether the whole of `s` matches.
    pub fn matches(&self, s: &[u8]) -> bool {
        let toks = &self.toks;
        let (mut p, mut i) = (0usize, 0usize);
        // The last `*` seen and the position in `s` it is currently standing for: on a
        // mismatch, that star takes one more byte (the classic linear-backtrack matcher; one
        // star of backtracking suffices for fnmatch without FNM_PATHNAME).
        let mut star: Option<(usize, usize)> = None;
        while i < s.len() {
            if let Some(t) = toks.get(p) {
                if *t == GTok::Star {
                    star = Some((p, i));
                    p += 1;
                    continue;
                }
                if self.tok_matches(t, s[i]) {
                    p += 1;
                    i += 1;
                    continue;
                }
            }
            match star {
                Some((sp, si)) => {
                    p = sp + 1;
                    i = si + 1;
                    star = Some((sp, si + 1));
                }
                None => return false,
            }
        }
        toks[p.min(toks.len())..].iter().all(|t| *t == GTok::Star)
    }

    pub(super) fn tok_matches(&self, t: &GTok, c: u8) -> bool {
        match t {
            GTok::Byte(b) => *b == if self.fold { c.to_ascii_lowercase() } else { c },
            GTok::Any => true,
            GTok::Star => true,
            GTok::Class { neg, ranges } => {
                let inr = |x: u8| ranges.iter().any(|(lo, hi)| *lo <= x && x <= *hi);
                let hit = inr(c) || (self.fold && (inr(c.to_ascii_lowercase()) || inr(c.to_ascii_uppercase())));
                hit != *neg
            }
        }
    }
}

/// Parses a class starting after `[`; returns the token and the index after `]`.
pub(super) fn parse_class(pat: &[u8], mut i: usize) -> Option<(GTok, usize)> {
    let mut neg = false;
    if matches!(pat.get(i), Some(b'!' | b'^')) {
        neg = true;
        i += 1;
    }
    let mut ranges = Vec::new();
    let mut first = true;
    loop {
        let mut c = *pat.get(i)?;
        if c == b']' && !first {
            return Some((GTok::Class { neg, ranges }, i + 1));
        }
        first = false;
        if c == b'\\' {
            i += 1;
            c = *pat.get(i)?;
        }
        i += 1;
        if pat.get(i) == Some(&b'-') && pat.get(i + 1).is_some_and(|&n| n != b']') {
            let mut hi = pat[i + 1];
            i += 2;
            if hi == b'\\' {
                hi = *pat.get(i)?;
                i += 1;
            }
            ranges.push((c, hi));
        } else {
            ranges.push((c, c));
        }
    }
}

pub(super) fn has_glob_meta(s: &str) -> bool {
    s.bytes().any(|b| matches!(b, b'*' | b'?' | b'[' | b'\\'))
}
