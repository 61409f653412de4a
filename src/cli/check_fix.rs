//! `rulec check --fix`: applies the fixes the compiler marks safe to the rules files, re-checks,
//! and says what it changed; with `--diff` it prints the changes as a unified diff instead of
//! writing them.
//!
//! Which fixes exist and which are safe is the compiler's business (each diagnostic carries its
//! fixes); which fixes can go together is [`rulec_compiler::fix::apply`]'s. This module only
//! runs rounds of check-and-apply until nothing more applies, then reads and writes files.

use rulec_compiler::{Diagnostic, Fix, SourceFile};

use crate::render::Renderer;

/// More rounds than any file needs: a fix never produces another fixable diagnostic in the same
/// place, so this only bounds the work on overlapping fixes.
const MAX_ROUNDS: usize = 10;

/// One fix applied: where the diagnostic was, its code and the fix's title.
pub struct Applied {
    pub file: usize,
    pub line: u32,
    pub column: u32,
    pub code: &'static str,
    pub title: String,
}

/// Applies the safe fixes to `files` (their texts change in place) until a check finds none
/// that applies. Returns what was applied, in order.
pub fn fix_files(files: &mut [SourceFile]) -> Vec<Applied> {
    let mut done = Vec::new();
    for _ in 0..MAX_ROUNDS {
        let result = rulec_compiler::check::check(files);
        let renderer = Renderer::new(files);
        let mut round = Vec::new();
        let mut new_texts = Vec::new();
        for (index, file) in files.iter().enumerate() {
            let candidates: Vec<(&Diagnostic, &Fix)> = result
                .diagnostics
                .iter()
                .flat_map(|d| d.fixes.iter().filter(|f| f.is_safe()).map(move |f| (d, f)))
                .filter(|(_, f)| f.edits.iter().all(|e| e.location.file == file.id))
                .collect();
            let fixes: Vec<&Fix> = candidates.iter().map(|(_, f)| *f).collect();
            let applied = rulec_compiler::fix::apply(&file.text, file.id, &fixes);
            if applied.applied.is_empty() || applied.text == file.text {
                continue;
            }
            for i in applied.applied {
                let (d, f) = candidates[i];
                let p = renderer.position(d.primary);
                let title = f.title.clone();
                round.push(Applied { file: index, line: p.line, column: p.column, code: d.code.as_str(), title });
            }
            new_texts.push((index, applied.text));
        }
        if new_texts.is_empty() {
            break;
        }
        for (index, text) in new_texts {
            let f = &files[index];
            files[index] = SourceFile::new(f.id, f.name.clone(), text);
        }
        done.extend(round);
    }
    done
}

/// `fixed f.yaml:3:3: [W0106] Replace ...` for each fix, then a count; empty when nothing was
/// fixed.
pub fn report(files: &[SourceFile], applied: &[Applied], written: bool) -> String {
    let mut out = String::new();
    for a in applied {
        let name = files.get(a.file).map_or("<unknown>", |f| f.name.as_str());
        out.push_str(&format!("fixed {name}:{}:{}: [{}] {}\n", a.line, a.column, a.code, a.title));
    }
    if !applied.is_empty() {
        let mut changed: Vec<usize> = applied.iter().map(|a| a.file).collect();
        changed.sort_unstable();
        changed.dedup();
        let verb = if written { "applied" } else { "would apply" };
        let fixes = if applied.len() == 1 { "fix" } else { "fixes" };
        let in_files = if changed.len() == 1 { "file" } else { "files" };
        out.push_str(&format!("{verb} {} {fixes} in {} {in_files}\n\n", applied.len(), changed.len()));
    }
    out
}

/// A unified diff of `old` to `new` under the name `name`: one hunk from the first changed line
/// to the last, with up to three lines of context; inside it, lines are matched by a longest
/// common subsequence (or, for a very large change, not matched at all). Empty when the texts are
/// equal.
pub fn unified_diff(name: &str, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    let a: Vec<&str> = old.split_inclusive('\n').collect();
    let b: Vec<&str> = new.split_inclusive('\n').collect();
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let max_suffix = a.len().min(b.len()) - prefix;
    let suffix = a.iter().rev().zip(b.iter().rev()).take(max_suffix).take_while(|(x, y)| x == y).count();
    let start = prefix.saturating_sub(3);
    let (a_end, b_end) = ((a.len() - suffix + 3).min(a.len()), (b.len() - suffix + 3).min(b.len()));
    let mut ops: Vec<(char, &str)> = a[start..prefix].iter().map(|l| (' ', *l)).collect();
    ops.extend(middle(&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]));
    ops.extend(a[a.len() - suffix..a_end].iter().map(|l| (' ', *l)));
    let mut out = format!("--- {name}\n+++ {name}\n");
    out.push_str(&format!("@@ -{},{} +{},{} @@\n", start + 1, a_end - start, start + 1, b_end - start));
    for (mark, l) in ops {
        out.push(mark);
        out.push_str(l);
        if !l.ends_with('\n') {
            out.push_str("\n\\ No newline at end of file\n");
        }
    }
    out
}

/// The changed middle of a diff as kept (` `), removed (`-`) and added (`+`) lines.
fn middle<'t>(a: &[&'t str], b: &[&'t str]) -> Vec<(char, &'t str)> {
    if a.len().saturating_mul(b.len()) > 4_000_000 {
        return a.iter().map(|l| ('-', *l)).chain(b.iter().map(|l| ('+', *l))).collect();
    }
    // lcs[i][j]: the longest common subsequence of a[i..] and b[j..].
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out.push((' ', a[i]));
            (i, j) = (i + 1, j + 1);
        } else if j == b.len() || (i < a.len() && lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push(('-', a[i]));
            i += 1;
        } else {
            out.push(('+', b[j]));
            j += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diffs_have_one_hunk_with_context() {
        let old = "a\nb\nc\nd\ne\nf\ng\nh\n";
        let new = "a\nb\nc\nd\nE\nf\ng\nh\n";
        let d = unified_diff("x", old, new);
        assert_eq!(d, "--- x\n+++ x\n@@ -2,7 +2,7 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n");
        assert_eq!(unified_diff("x", old, old), "");
        let d = unified_diff("x", "a\nb\nc\n", "a\nB\nc\nd\n");
        assert_eq!(d, "--- x\n+++ x\n@@ -1,3 +1,4 @@\n a\n-b\n+B\n c\n+d\n");
    }
}
