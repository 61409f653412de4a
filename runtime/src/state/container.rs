//! Containers as the state sees them: the container id and runtime a process's cgroup paths
//! name.

/// Container runtimes recognised in cgroup paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum ContainerRuntime {
    Docker,
    Crio,
    Containerd,
    Podman,
    /// A bare 64-hex cgroup component (e.g. `/kubepods/.../<id>`, runtime not named).
    Unknown,
}

fn is_hex64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|c| c.is_ascii_hexdigit())
}

pub(super) fn short_id(id: &str) -> String {
    id.chars().take(12).collect()
}

/// Finds a container id in cgroup paths: `docker-<id>.scope`, `/docker/<id>`, `crio-<id>.scope`,
/// `/crio/<id>`, `cri-containerd-<id>.scope`, `libpod-<id>.scope` / `/libpod-<id>`, or a bare
/// 64-hex component (kubepods). Returns the runtime and the full 64-hex id.
pub fn container_id_from_cgroups<'a>(paths: impl IntoIterator<Item = &'a str>) -> Option<(ContainerRuntime, String)> {
    for path in paths {
        let comps: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
        for (i, comp) in comps.iter().enumerate().rev() {
            let c = comp.strip_suffix(".scope").unwrap_or(comp);
            for (prefix, rt) in [
                ("docker-", ContainerRuntime::Docker),
                ("crio-", ContainerRuntime::Crio),
                ("cri-containerd-", ContainerRuntime::Containerd),
                ("libpod-", ContainerRuntime::Podman),
            ] {
                if let Some(id) = c.strip_prefix(prefix)
                    && is_hex64(id)
                {
                    return Some((rt, id.to_string()));
                }
            }
            if is_hex64(c) {
                let rt = match i.checked_sub(1).and_then(|j| comps.get(j)) {
                    Some(&"docker") => ContainerRuntime::Docker,
                    Some(&"crio") => ContainerRuntime::Crio,
                    Some(p) if p.starts_with("libpod") => ContainerRuntime::Podman,
                    _ => ContainerRuntime::Unknown,
                };
                return Some((rt, c.to_string()));
            }
        }
    }
    None
}
