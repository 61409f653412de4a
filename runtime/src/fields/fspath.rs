//! `fs.path.*`: the path(s) a filesystem syscall operates on, for the calls libsinsp defines
//! them for. `name` for single-path calls (mkdir, mkdirat, rmdir, unlink, unlinkat, open,
//! openat, openat2, creat, chmod, fchmodat), `source`/`target` for two-path calls (rename,
//! renameat, renameat2, link, linkat, symlink, symlinkat: for a symlink the source is the link's
//! content, the target the link created). The plain fields are made absolute against the
//! directory fd or the cwd; the `*raw` ones are the parameter as passed. Other events: `None`.

use super::{Extractor, abs_path, s};
use crate::event::{Event, ParamValue};
use crate::state::State;
use crate::value::Value;

pub(super) fn lookup(name: &str) -> Option<Extractor> {
    let f: Extractor = match name {
        "fs.path.name" => |_, ev, st| resolved(ev, st, Which::Name),
        "fs.path.nameraw" => |_, ev, _| raw(ev, Which::Name),
        "fs.path.source" => |_, ev, st| resolved(ev, st, Which::Source),
        "fs.path.sourceraw" => |_, ev, _| raw(ev, Which::Source),
        "fs.path.target" => |_, ev, st| resolved(ev, st, Which::Target),
        "fs.path.targetraw" => |_, ev, _| raw(ev, Which::Target),
        _ => return None,
    };
    Some(f)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Which {
    Name,
    Source,
    Target,
}

/// (dirfd parameter, path parameter) for the path `which` of the event; `None` when the event
/// has no such path. A `Some("")` path parameter means "not a path: the raw text" (symlink).
fn params(ev: &Event, which: Which) -> Option<(Option<&'static str>, &'static str)> {
    Some(match (ev.name, which) {
        ("mkdir" | "rmdir" | "unlink", Which::Name) => (None, "path"),
        ("mkdirat", Which::Name) => (Some("dirfd"), "path"),
        ("unlinkat", Which::Name) => (Some("dirfd"), "name"),
        ("open" | "creat", Which::Name) => (None, "name"),
        ("openat" | "openat2", Which::Name) => (Some("dirfd"), "name"),
        ("chmod", Which::Name) => (None, "filename"),
        ("fchmodat", Which::Name) => (Some("dirfd"), "filename"),
        ("rename" | "link", Which::Source) => (None, "oldpath"),
        ("rename" | "link", Which::Target) => (None, "newpath"),
        ("renameat" | "renameat2", Which::Source) => (Some("olddirfd"), "oldpath"),
        ("renameat" | "renameat2", Which::Target) => (Some("newdirfd"), "newpath"),
        ("linkat", Which::Source) => (Some("olddir"), "oldpath"),
        ("linkat", Which::Target) => (Some("newdir"), "newpath"),
        ("symlink" | "symlinkat", Which::Source) => (None, "target"),
        ("symlink", Which::Target) => (None, "linkpath"),
        ("symlinkat", Which::Target) => (Some("linkdirfd"), "linkpath"),
        _ => return None,
    })
}

fn raw(ev: &Event, which: Which) -> Option<Value> {
    let (_, p) = params(ev, which)?;
    ev.str(p).map(s)
}

fn resolved(ev: &Event, st: &State, which: Which) -> Option<Value> {
    let (dirfd, p) = params(ev, which)?;
    if matches!(ev.name, "symlink" | "symlinkat") && which == Which::Source {
        // A symlink's content is not a path of this process: kept as written.
        return ev.str(p).map(s);
    }
    // An old-layout path (FSPATH) is already relative to the cwd, never to a dirfd.
    let dirfd = dirfd.filter(|_| !matches!(ev.param(p), Some(ParamValue::Path(_))));
    abs_path(ev, st, dirfd, p).map(s)
}
