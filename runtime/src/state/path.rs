//! Path arithmetic the state and the fields share: normalising an absolute path, joining a
//! relative one to a directory, finding the last component.

/// The position of the last `/` in a path. A plain backwards loop: the last component is short,
/// so this beats `rfind`'s vectorised search on the paths rules test.
#[inline]
pub(crate) fn last_slash(path: &str) -> Option<usize> {
    path.as_bytes().iter().rposition(|&b| b == b'/')
}

/// Normalises an absolute path: collapses `//`, `.` and `..`.
pub fn normalize_path(p: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    let mut s = String::with_capacity(p.len() + 1);
    for c in &out {
        s.push('/');
        s.push_str(c);
    }
    if s.is_empty() {
        s.push('/');
    }
    s
}

/// Joins `rel` onto `base` (a directory) and normalises; an absolute `rel` stays as is.
pub fn join_path(base: &str, rel: &str) -> String {
    if rel.starts_with('/') || base.is_empty() {
        if rel.starts_with('/') { normalize_path(rel) } else { rel.to_string() }
    } else {
        normalize_path(&format!("{base}/{rel}"))
    }
}
