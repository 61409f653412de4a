//! What the probe needs from the host, checked before anything is loaded, so that a missing
//! privilege or kernel feature is reported as what is missing and how to get it, never as an
//! aya or verifier error dump.
//!
//! tracefs is not needed: the probe attaches raw tracepoints (plain and BTF-typed), which the
//! kernel finds by name; the BTF check covers the typed ones.

use std::path::Path;

/// One thing the host lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    /// What is missing.
    pub what: &'static str,
    /// How to get it.
    pub fix: &'static str,
}

/// `CAP_PERFMON` (38) and `CAP_BPF` (39) bit numbers, and `CAP_SYS_ADMIN` (21), which grants both
/// on kernels before 5.8.
const CAP_SYS_ADMIN: u32 = 21;
const CAP_PERFMON: u32 = 38;
const CAP_BPF: u32 = 39;

/// The effective capability set of this process, from /proc/self/status.
fn effective_caps() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("CapEff:"))?;
    u64::from_str_radix(line["CapEff:".len()..].trim(), 16).ok()
}

/// Everything the host lacks for the probe, empty when it can be loaded.
pub fn check() -> Vec<Missing> {
    let mut missing = Vec::new();
    let caps = effective_caps().unwrap_or(0);
    let has = |bit: u32| caps & (1u64 << bit) != 0;
    if !(has(CAP_SYS_ADMIN) || (has(CAP_BPF) && has(CAP_PERFMON))) {
        missing.push(Missing {
            what: "the privilege to load eBPF programs (CAP_BPF and CAP_PERFMON, or root)",
            fix: "run as root (`sudo rulec run`), or grant the binary the capabilities: \
                  `sudo setcap cap_bpf,cap_perfmon,cap_sys_resource,cap_sys_ptrace+ep $(command -v rulec)`",
        });
    }
    if !Path::new("/sys/kernel/btf/vmlinux").exists() {
        missing.push(Missing {
            what: "kernel BTF (/sys/kernel/btf/vmlinux), which the probe's CO-RE relocations are resolved against",
            fix: "use a kernel built with CONFIG_DEBUG_INFO_BTF=y (the default on Debian 11+, Ubuntu 20.10+, RHEL 8.2+)",
        });
    }
    missing
}
