//! The compiled eBPF objects, embedded in the binary (built by `build.rs` from `bpf/*.bpf.c`).

/// The probe's ELF object, 8-byte aligned as aya's loader requires.
pub static OBJECT: &[u8] = aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/probe.bpf.o"));

/// The cost floor (`bpf/floor.bpf.c`): the probe's hooks with programs that return at once.
pub static FLOOR: &[u8] = aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/floor.bpf.o"));
