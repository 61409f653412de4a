//! `fs.path.*`: the path(s) a filesystem syscall operates on, for the calls libsinsp defines
//! them for. `name` for single-path calls (mkdir, mkdirat, rmdir, unlink, unlinkat, open,
//! openat, openat2, creat, chmod, fchmodat), `source`/`target` for two-path calls (rename,
//! renameat, renameat2, link, linkat, symlink, symlinkat: for a symlink the source is the link's
//! content, the target the link created). The plain fields are made absolute against the
//! directory fd or the cwd; the `*raw` ones are the parameter as passed. Other events: `None`.

use rulec_schema::{PathParam, SyscallPaths, syscall_paths};

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

/// The path parameter `which` of the event (the schema's [`rulec_schema::syscall_paths`]);
/// `None` when the event has no such path.
fn params(ev: &Event, which: Which) -> Option<PathParam> {
    match (syscall_paths(ev.name)?, which) {
        (SyscallPaths::One(p), Which::Name) => Some(p),
        (SyscallPaths::Two { source, .. }, Which::Source) => Some(source),
        (SyscallPaths::Two { target, .. }, Which::Target) => Some(target),
        _ => None,
    }
}

fn raw(ev: &Event, which: Which) -> Option<Value> {
    ev.get_any(params(ev, which)?.path).map(s)
}

fn resolved(ev: &Event, st: &State, which: Which) -> Option<Value> {
    let PathParam { path: p, dirfd, literal } = params(ev, which)?;
    if literal {
        // A symlink's content is not a path of this process: kept as written.
        return ev.get_any(p).map(s);
    }
    // An old-layout path (FSPATH) is already relative to the cwd, never to a dirfd.
    let dirfd = dirfd.filter(|_| !matches!(ev.param_any(p).map(|p| p.value), Some(ParamValue::Path(_))));
    abs_path(ev, st, dirfd, p).map(s)
}
