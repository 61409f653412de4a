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
    normalized(p).into_owned()
}

/// [`normalize_path`], borrowing `p` when it is already normal (most paths are: one scan, no
/// allocation).
pub fn normalized(p: &str) -> std::borrow::Cow<'_, str> {
    if is_normal(p) {
        return std::borrow::Cow::Borrowed(p);
    }
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
    std::borrow::Cow::Owned(s)
}

/// Whether [`normalize_path`] would give `p` back unchanged: `/`, or `/` followed by
/// components that are neither empty nor `.` nor `..`. A plain loop over the bytes: every
/// open checks its path, and a split on `/` searches each short component with a call.
fn is_normal(p: &str) -> bool {
    let Some(rest) = p.strip_prefix('/') else { return false };
    if rest.is_empty() {
        return true;
    }
    let mut rest = rest.as_bytes();
    loop {
        let end = rest.iter().position(|&b| b == b'/').unwrap_or(rest.len());
        if matches!(&rest[..end], b"" | b"." | b"..") {
            return false;
        }
        match rest.get(end + 1..) {
            Some(next) => rest = next,
            None => return true,
        }
    }
}

/// Joins `rel` onto `base` (a directory) and normalises; an absolute `rel` stays as is.
pub fn join_path(base: &str, rel: &str) -> String {
    if rel.starts_with('/') || base.is_empty() {
        if rel.starts_with('/') { normalize_path(rel) } else { rel.to_string() }
    } else {
        // A directory with its trailing `/` (a cwd as Falco keeps it) takes no second one, so
        // the joined path is often normal already and is kept as it is.
        let sep = if base.ends_with('/') { "" } else { "/" };
        let joined = format!("{base}{sep}{rel}");
        match normalized(&joined) {
            std::borrow::Cow::Borrowed(_) => joined,
            std::borrow::Cow::Owned(n) => n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The component walk alone (what `normalize_path` does when the fast path does not apply).
    fn walk(p: &str) -> String {
        let out: Vec<&str> = p.split('/').filter(|c| !matches!(*c, "" | ".")).fold(Vec::new(), |mut v, c| {
            if c == ".." {
                v.pop();
            } else {
                v.push(c);
            }
            v
        });
        if out.is_empty() { "/".to_owned() } else { out.iter().map(|c| format!("/{c}")).collect() }
    }

    #[test]
    fn normal_paths_come_back_unchanged_and_others_are_walked() {
        // Every path of up to five pieces from these, with and without a leading slash.
        let pieces = ["", ".", "..", "a", "bc", "...", ".x", "x."];
        let mut seen = 0;
        let mut stack: Vec<Vec<&str>> = vec![Vec::new()];
        while let Some(parts) = stack.pop() {
            for lead in ["/", ""] {
                let p = format!("{lead}{}", parts.join("/"));
                assert_eq!(normalize_path(&p), walk(&p), "{p:?}");
                assert_eq!(is_normal(&p), walk(&p) == p, "{p:?}");
                seen += 1;
            }
            if parts.len() < 5 {
                for piece in pieces {
                    let mut next = parts.clone();
                    next.push(piece);
                    stack.push(next);
                }
            }
        }
        assert!(seen > 70_000, "{seen}");
    }
}
