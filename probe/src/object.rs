//! The compiled eBPF object, embedded in the binary (built by `build.rs` from `bpf/probe.bpf.c`).

/// The probe's ELF object, 8-byte aligned as aya's loader requires.
pub static OBJECT: &[u8] = aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/probe.bpf.o"));
