//! Applying [`Fix`]es to source text: the one place that decides which edits can go together.
//!
//! A fix is applied whole or not at all. Fixes are taken in the order given; one whose edits
//! overlap an edit already chosen, fall outside the text, cut a character in two, or touch
//! another file is left for a later round (after a re-check, the diagnostic it fixes may be gone
//! or may carry a fix that fits). This module only rewrites text: which fixes to offer is the
//! emitters' business, and reading or writing files is the CLI's.

use crate::diagnostic::{Edit, FileId, Fix};

/// The text of one file after applying some fixes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    pub text: String,
    /// The indices (in the slice given to [`apply`]) of the fixes applied, in order.
    pub applied: Vec<usize>,
}

/// Applies to `text`, the text of `file`, every fix of `fixes` that fits with those before it
/// (see the module doc). With no fix applied, the text is unchanged.
pub fn apply(text: &str, file: FileId, fixes: &[&Fix]) -> Applied {
    let mut chosen: Vec<&Edit> = Vec::new();
    let mut applied = Vec::new();
    for (i, fix) in fixes.iter().enumerate() {
        let fits =
            !fix.edits.is_empty()
                && fix.edits.iter().all(|e| e.location.file == file && in_text(text, e))
                && fix.edits.iter().enumerate().all(|(j, e)| {
                    !fix.edits[..j].iter().any(|o| overlaps(e, o)) && !chosen.iter().any(|o| overlaps(e, o))
                });
        if fits {
            chosen.extend(fix.edits.iter());
            applied.push(i);
        }
    }
    chosen.sort_by_key(|e| (e.location.start, e.location.end));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for e in chosen {
        // `in_text` and `overlaps` make these ranges ordered, in bounds and on char boundaries.
        out.push_str(&text[at..e.location.start as usize]);
        out.push_str(&e.replacement);
        at = e.location.end as usize;
    }
    out.push_str(&text[at..]);
    Applied { text: out, applied }
}

fn in_text(text: &str, e: &Edit) -> bool {
    let (s, t) = (e.location.start as usize, e.location.end as usize);
    s <= t && t <= text.len() && text.is_char_boundary(s) && text.is_char_boundary(t)
}

/// Whether two edits touch the same text. Two insertions at one point overlap too (their order
/// would be arbitrary), but an edit may end where the next begins.
fn overlaps(a: &Edit, b: &Edit) -> bool {
    let (a, b) = (a.location, b.location);
    (a.start < b.end && b.start < a.end) || a.start == b.start
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Location;

    fn fix(start: usize, end: usize, with: &str) -> Fix {
        Fix::replace("t", Location::new(FileId(0), start, end), with)
    }

    #[test]
    fn applies_disjoint_edits_and_skips_overlapping_ones() {
        let (a, b, c) = (fix(0, 3, "xyz"), fix(2, 5, "no"), fix(4, 4, "+"));
        let r = apply("abcdef", FileId(0), &[&a, &b, &c]);
        assert_eq!(r.text, "xyzd+ef");
        assert_eq!(r.applied, vec![0, 2]);
    }

    #[test]
    fn leaves_bad_ranges_and_other_files_alone() {
        let past_end = fix(3, 9, "x");
        let mid_char = fix(1, 2, "x");
        let other = Fix::replace("t", Location::new(FileId(1), 0, 1), "x");
        let r = apply("é.", FileId(0), &[&past_end, &mid_char, &other]);
        assert_eq!(r.text, "é.");
        assert!(r.applied.is_empty());
    }
}
