//! `user.*` and `group.*`: the thread's credentials, named through the user and group tables of
//! its container (the host's for host processes).
//!
//! Choices, following libsinsp: `user.uid`/`group.gid` are the effective ids;
//! `user.loginuid` is signed, `-1` when unset (the kernel's `(uid_t)-1`); names come from the
//! tables, and uid/gid 0 is `root` even when the container's table is unknown (as libsinsp's
//! fallback user). Any other unknown id has no name (`None`; Falco prints `<NA>`). A thread
//! whose credentials are not known at all (met without its clone or the capture's process
//! list) has uid/gid `u32::MAX` ([`crate::state::ThreadInfo::unknown`]), as libsinsp's
//! 0xffffffff, so it is never taken for root.
//! `user.homedir`/`user.shell` likewise.

use super::{Extractor, s, thread};
use crate::state::{State, UserInfo};
use crate::value::Value;

pub(super) fn lookup(name: &str) -> Option<Extractor> {
    let f: Extractor = match name {
        "user.uid" => |_, ev, st| thread(ev, st).map(|t| Value::Uint(u64::from(t.uid))),
        "user.name" => |_, ev, st| thread(ev, st)?.user_name(st).map(s),
        "user.homedir" => |_, ev, st| {
            let t = thread(ev, st)?;
            match user(st, &t.container_id, t.uid) {
                Some(u) if !u.home.is_empty() => Some(s(u.home.as_str())),
                None if t.uid == 0 => Some(s("/root")),
                _ => None,
            }
        },
        "user.shell" => |_, ev, st| {
            let t = thread(ev, st)?;
            user(st, &t.container_id, t.uid).filter(|u| !u.shell.is_empty()).map(|u| s(u.shell.as_str()))
        },
        "user.loginuid" => |_, ev, st| thread(ev, st).map(|t| Value::Int(loginuid(t.loginuid))),
        "user.loginname" => |_, ev, st| thread(ev, st)?.login_name(st).map(s),
        "group.gid" => |_, ev, st| thread(ev, st).map(|t| Value::Uint(u64::from(t.gid))),
        "group.name" => |_, ev, st| thread(ev, st)?.group_name(st).map(s),
        _ => return None,
    };
    Some(f)
}

/// The loginuid as libsinsp's signed field: `u32::MAX` (unset) is -1.
pub(crate) fn loginuid(v: u32) -> i64 {
    i64::from(v as i32)
}

fn user<'a>(st: &'a State, cid: &str, uid: u32) -> Option<&'a UserInfo> {
    st.user(cid, uid)
}
