//! Metadata a test world supplies that the state machine does not hold: container names,
//! images and the privileged flag (in live capture Falco's container plugin supplies them), and
//! reverse DNS for `fd.*ip.name`.
//!
//! The engine reads fields through a plain `fn` ([`rulec_runtime::eval::ExtractFn`]), so the case's
//! metadata is reached through a thread-local set for the duration of the case
//! ([`with_meta`]); every other field, and these ones when the world says nothing (captures),
//! go to [`rulec_runtime::fields::extract`], exactly as in live capture.

use std::cell::RefCell;
use std::collections::HashMap;
use std::net::IpAddr;

use rulec_compiler::check::hir::FieldArgValue;
use rulec_compiler::schema::FieldInfo;

use super::model::ContainerSpec;
use rulec_runtime::event::Event;
use rulec_runtime::state::{SockRole, State};
use rulec_runtime::value::Value;

/// The metadata of one case.
#[derive(Clone, Debug, Default)]
pub struct Meta {
    /// By the 12-character container id.
    pub containers: HashMap<String, ContainerSpec>,
    pub dns: HashMap<IpAddr, String>,
}

thread_local! {
    static META: RefCell<Meta> = RefCell::new(Meta::default());
}

/// Runs `f` with `meta` visible to [`extract`] on this thread, and clears it after.
pub fn with_meta<T>(meta: &Meta, f: impl FnOnce() -> T) -> T {
    META.with(|m| *m.borrow_mut() = meta.clone());
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            META.with(|m| *m.borrow_mut() = Meta::default());
        }
    }
    let _reset = Reset;
    f()
}

/// The field extractor of test runs: the world's metadata first, then the real extractors.
pub fn extract(field: &'static FieldInfo, arg: Option<&FieldArgValue>, ev: &Event, st: &State) -> Option<Value> {
    if let Some(v) = META.with(|m| overlay(&m.borrow(), field.name, ev, st)) {
        return v;
    }
    rulec_runtime::fields::extract(field, arg, ev, st)
}

/// `Some(value)` when the metadata decides the field (`Some(None)`: known to be absent).
fn overlay(meta: &Meta, name: &str, ev: &Event, st: &State) -> Option<Option<Value>> {
    if name.starts_with("container.") && !meta.containers.is_empty() {
        let t = st.thread(ev.tid)?;
        let c = meta.containers.get(&t.container_id)?;
        let image = c.image.as_deref();
        // `repo:tag`, where a `:` before the last `/` is a registry port, not a tag.
        let (repo, tag) = match image {
            Some(i) => match i.rsplit_once(':') {
                Some((r, t)) if !t.contains('/') => (Some(r), Some(t)),
                _ => (Some(i), None),
            },
            None => (None, None),
        };
        let s = |v: Option<&str>| Some(v.map(|v| Value::Str(v.to_owned())));
        return match name {
            "container.name" => s(c.name.as_deref()),
            "container.image" => s(image),
            "container.image.repository" => s(repo),
            "container.image.tag" => s(tag.or(image.map(|_| "latest"))),
            "container.privileged" => Some(Some(Value::Bool(c.privileged))),
            _ => None,
        };
    }
    if matches!(name, "fd.sip.name" | "fd.cip.name" | "fd.lip.name" | "fd.rip.name") && !meta.dns.is_empty() {
        let sock = st.event_fd_info(ev)?.sock.as_ref()?;
        let local_is_client = sock.role != SockRole::Server;
        let ip = match name {
            "fd.sip.name" => sock.sip,
            "fd.cip.name" => sock.cip,
            "fd.lip.name" => {
                if local_is_client {
                    sock.cip
                } else {
                    sock.sip
                }
            }
            _ => {
                if local_is_client {
                    sock.sip
                } else {
                    sock.cip
                }
            }
        }?;
        return Some(meta.dns.get(&ip).map(|n| Value::Str(n.clone())));
    }
    None
}
