//! The compiled eBPF objects, embedded in the binary (built by `build.rs` from `bpf/*.bpf.c`),
//! and the check that the C side's generated header (`bpf/scap_gen.h`: the record layout, the
//! event ids and the syscall numbers) is the schema's ([`rulec_schema::record::c_header`]).

/// The probe's ELF object, 8-byte aligned as aya's loader requires.
pub static OBJECT: &[u8] = aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/probe.bpf.o"));

/// The cost floor (`bpf/floor.bpf.c`): the probe's hooks with programs that return at once.
pub static FLOOR: &[u8] = aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/floor.bpf.o"));

#[cfg(test)]
mod tests {
    /// `bpf/scap_gen.h` is generated from the schema and checked in, so that a fresh clone
    /// builds the probe before any Rust runs; `RULEC_BLESS=1` rewrites it.
    #[test]
    fn generated_header_matches_the_schema() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("bpf/scap_gen.h");
        let want = rulec_schema::record::c_header();
        if std::env::var_os("RULEC_BLESS").is_some() {
            std::fs::write(&path, &want).expect("write bpf/scap_gen.h");
        }
        let have = std::fs::read_to_string(&path).expect("read bpf/scap_gen.h");
        assert!(
            have == want,
            "probe/bpf/scap_gen.h differs from the schema: regenerate it with `RULEC_BLESS=1 cargo test -p rulec-probe header`"
        );
    }
}
