//! `container.*`, `k8s.*` (the container plugin's fields), the plugin's `proc.is_container_*`
//! fields and `util.cnt`.
//!
//! The state knows a process's container only by the id it derives from cgroup paths (and the
//! cgroups themselves); it has no container-runtime or Kubernetes metadata. So:
//! * `container.id` is the 12-character id, or `host` for host processes (as Falco);
//!   `container.full_id` the 64-character id found in the cgroups (`host` on the host);
//!   `container.type` the runtime named in the cgroup path (`docker`, `cri-o`, `containerd`,
//!   `podman`) when there is one; `container.name` is `host` for host processes.
//! * Everything else (`container.name` of a real container, `container.image*`,
//!   `container.privileged`, `container.mount*`, `container.start_ts`, labels, `k8s.*`,
//!   `proc.is_container_*`...) is unknown: `None`, so checks on it are false, as in Falco
//!   without the container plugin's metadata.

use super::{Extractor, s, thread};
use crate::state::{ContainerRuntime, container_id_from_cgroups};
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
        "container.name" => |_, ev, st| thread(ev, st).filter(|t| t.container_id.is_empty()).map(|_| s("host")),
        "util.cnt" => |_, _, _| Some(Value::Uint(1)),
        n if n.starts_with("container.") || n.starts_with("k8s.") || n.starts_with("proc.is_container_") => {
            |_, _, _| None
        }
        _ => return None,
    };
    Some(f)
}
