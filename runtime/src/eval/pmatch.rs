//! `pmatch`: path-prefix matching by whole components, with glob components that never cross
//! `/`; repeated and trailing `/` are ignored.

use super::*;

/// `pmatch` entries: plain paths hashed by their normalised text, glob entries by component.
pub(super) struct PathSet {
    pub(super) exact: HashSet<String>,
    pub(super) globs: Vec<(bool, Vec<Glob>)>,
}

/// (absolute, components without empty ones).
pub(super) fn split_path(p: &str) -> (bool, Vec<&str>) {
    (p.starts_with('/'), p.split('/').filter(|c| !c.is_empty()).collect())
}

pub(super) fn path_key(abs: bool, comps: &[&str]) -> String {
    let mut s = String::from(if abs { "/" } else { "" });
    s.push_str(&comps.join("/"));
    s
}

impl PathSet {
    pub(super) fn new(xs: &[String]) -> PathSet {
        let mut exact = HashSet::default();
        let mut globs = Vec::new();
        for x in xs {
            let (abs, comps) = split_path(x);
            if has_glob_meta(x) {
                globs.push((abs, comps.iter().map(|c| Glob::new(c.as_bytes(), false)).collect()));
            } else {
                exact.insert(path_key(abs, &comps));
            }
        }
        PathSet { exact, globs }
    }

    pub(super) fn matches(&self, v: &[u8]) -> bool {
        let text = String::from_utf8_lossy(v);
        let (abs, comps) = split_path(&text);
        if !self.exact.is_empty() {
            let mut key = String::from(if abs { "/" } else { "" });
            if self.exact.contains(&key) {
                return true;
            }
            for (k, c) in comps.iter().enumerate() {
                if k > 0 {
                    key.push('/');
                }
                key.push_str(c);
                if self.exact.contains(&key) {
                    return true;
                }
            }
        }
        self.globs.iter().any(|(gabs, gcomps)| {
            *gabs == abs
                && gcomps.len() <= comps.len()
                && gcomps.iter().zip(&comps).all(|(g, c)| g.matches(c.as_bytes()))
        })
    }
}
