//! `container.*`, `k8s.*` (the container plugin's fields), the plugin's `proc.is_container_*`
//! fields and `util.cnt`.
//!
//! The state knows a process's container only by the id it derives from cgroup paths (and the
//! cgroups themselves); it has no container-runtime or Kubernetes metadata. So:
//! * `container.id` is the 12-character id, or `host` for host processes (as Falco);
//!   `container.full_id` the 64-character id found in the cgroups (`host` on the host);
//!   `container.type` the runtime named in the cgroup path (`docker`, `cri-o`, `containerd`,
//!   `podman`) when there is one; `container.name` is `host` for host processes.
//! * `container.name`, `container.image*` and `container.privileged` of a container come from
//!   the state's container table ([`State::container`]) when it has the container (test worlds
//!   fill it; in live capture the container plugin's metadata would).
//! * Everything else (those fields of a container the table lacks, `container.mount*`,
//!   `container.start_ts`, labels, `k8s.*`, `proc.is_container_*`...) is unknown: `None`, so
//!   checks on it are false, as in Falco without the container plugin's metadata.

use super::{Extractor, s, thread};
use crate::event::Event;
use crate::state::{ContainerInfo, ContainerRuntime, State, container_id_from_cgroups};
use crate::value::Value;

pub(super) fn lookup(name: &str) -> Option<Extractor> {
    let f: Extractor = match name {
        "container.id" => |_, ev, st| {
            let t = thread(ev, st)?;
            Some(s(if t.container_id.is_empty() { "host" } else { t.container_id.as_str() }))
        },
        "container.full_id" => |_, ev, st| {
            let t = thread(ev, st)?;
            if t.container_id.is_empty() {
                return Some(s("host"));
            }
            container_id_from_cgroups(t.cgroups.iter().map(|(_, p)| p.as_str())).map(|(_, id)| s(id))
        },
        "container.type" => |_, ev, st| {
            let t = thread(ev, st)?;
            if t.container_id.is_empty() {
                return None;
            }
            let (rt, _) = container_id_from_cgroups(t.cgroups.iter().map(|(_, p)| p.as_str()))?;
            Some(s(match rt {
                ContainerRuntime::Docker => "docker",
                ContainerRuntime::Crio => "cri-o",
                ContainerRuntime::Containerd => "containerd",
                ContainerRuntime::Podman => "podman",
                ContainerRuntime::Unknown => return None,
            }))
        },
        "container.name" => |_, ev, st| thread(ev, st)?.container_name(st).map(s),
        "container.image" => |_, ev, st| known(ev, st)?.image.as_deref().map(s),
        "container.image.repository" => |_, ev, st| known(ev, st)?.image_parts().0.map(s),
        "container.image.tag" => |_, ev, st| {
            let c = known(ev, st)?;
            let (image, tag) = c.image_parts();
            tag.or(image.map(|_| "latest")).map(s)
        },
        "container.privileged" => |_, ev, st| Some(Value::Bool(known(ev, st)?.privileged)),
        "util.cnt" => |_, _, _| Some(Value::Uint(1)),
        n if n.starts_with("container.") || n.starts_with("k8s.") || n.starts_with("proc.is_container_") => {
            |_, _, _| None
        }
        _ => return None,
    };
    Some(f)
}

/// The table entry of the event's container, when the table has it.
fn known<'a>(ev: &Event, st: &'a State) -> Option<&'a ContainerInfo> {
    st.container(&thread(ev, st)?.container_id)
}
