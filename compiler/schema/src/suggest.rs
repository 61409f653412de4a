//! The one did-you-mean policy of rulec: an edit distance and a threshold, used for every
//! suggestion (fields, event types, parameters, macros, item keys, test-file keys and names).
//!
//! It lives in the schema crate because every crate that makes suggestions depends on it. It
//! decides how close is close enough; what the candidates are, and how a suggestion is shown or
//! turned into a fix, is the caller's business.

/// Optimal-string-alignment distance (Levenshtein plus adjacent transposition), on chars: `nmae`
/// is one edit from `name`.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let (n, m) = (a.len(), b.len());
    // Three rows suffice for the transposition term.
    let mut prev2 = vec![0usize; m + 1];
    let mut prev: Vec<usize> = (0..=m).collect();
    let mut cur = vec![0usize; m + 1];
    for i in 1..=n {
        cur[0] = i;
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[m]
}

/// The most edits a written word may be from a candidate for the candidate to be suggested:
/// one per three characters, at least one and at most three.
pub fn suggestion_limit(written: &str) -> usize {
    (written.chars().count() / 3).clamp(1, 3)
}

/// Words longer than this get no suggestion: the distance is quadratic in the length, and input
/// is untrusted.
const MAX_WORD: usize = 256;

/// The distance from `written` to `candidate` (case ignored) when the candidate is close enough
/// to suggest: within [`suggestion_limit`], and not a complete rewrite.
pub fn suggestion_distance(written: &str, candidate: &str) -> Option<usize> {
    if written.len() > MAX_WORD || candidate.len() > MAX_WORD {
        return None;
    }
    let d = edit_distance(&written.to_lowercase(), &candidate.to_lowercase());
    (d <= suggestion_limit(written) && d < candidate.chars().count()).then_some(d)
}

/// The candidate closest to `written` within the policy, the first of equally close ones; none
/// for a word that is itself a candidate.
pub fn closest<'c>(written: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    let mut best: Option<(usize, &'c str)> = None;
    for c in candidates {
        if c == written {
            return None;
        }
        if let Some(d) = suggestion_distance(written, c)
            && best.is_none_or(|(b, _)| d < b)
        {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}
