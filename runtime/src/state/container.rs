//! Containers as the state sees them: the container id and runtime a process's cgroup paths
//! name, and the container table ([`ContainerInfo`] by 12-character id: name, image,
//! privileged), which captures, test worlds and (later) the live runtime fill and the
//! `container.*` fields read. The table is bounded ([`MAX_CONTAINERS`]); a full table keeps
//! its entries and ignores new ones.

use super::State;

/// Most containers the table holds.
pub const MAX_CONTAINERS: usize = 4096;

/// What the state knows of a container beyond its id (what Falco's container plugin supplies).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContainerInfo {
    /// The 12-character id, as [`super::ThreadInfo::container_id`].
    pub id: String,
    /// `container.name`.
    pub name: Option<String>,
    /// `container.image`: `repository[:tag]`.
    pub image: Option<String>,
    /// `container.privileged`.
    pub privileged: bool,
}

impl ContainerInfo {
    /// The image split into repository and tag: a `:` before the last `/` is a registry port,
    /// not a tag (`registry:5000/app` has no tag).
    pub fn image_parts(&self) -> (Option<&str>, Option<&str>) {
        match self.image.as_deref() {
            Some(i) => match i.rsplit_once(':') {
                Some((r, t)) if !t.contains('/') => (Some(r), Some(t)),
                _ => (Some(i), None),
            },
            None => (None, None),
        }
    }
}

impl State {
    /// Adds (or replaces) a container's metadata.
    pub fn add_container(&mut self, c: ContainerInfo) {
        let table = &mut self.names.containers;
        match table.get(&c.id) {
            Some(old) if *old == c => return,
            None if table.len() >= MAX_CONTAINERS => return,
            _ => {}
        }
        table.insert(c.id.clone(), c);
        self.names.changed();
    }
    /// The container with 12-character id `id`, if the table has it.
    pub fn container(&self, id: &str) -> Option<&ContainerInfo> {
        if self.names.containers.is_empty() {
            return None;
        }
        self.names.containers.get(id)
    }
    /// Every container, in no particular order.
    pub fn containers(&self) -> impl Iterator<Item = &ContainerInfo> {
        self.names.containers.values()
    }
}

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
        // Every form holds a 64-hex id: a shorter path holds none (most are short).
        if path.len() < 64 {
            continue;
        }
        // The components from the last, each with the one before it (its parent) at hand; no
        // list of them is built (a clone or exec derives this from every cgroup path).
        let mut comps = path.rsplit('/').filter(|c| !c.is_empty()).peekable();
        while let Some(comp) = comps.next() {
            let c = comp.strip_suffix(".scope").unwrap_or(comp);
            // Every form holds a 64-hex id.
            if c.len() < 64 {
                continue;
            }
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
                let rt = match comps.peek() {
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
