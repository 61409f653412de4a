//! The layout of one event record, defined once: the bytes a `.scap` v2 event block holds after
//! its CPU id, which is also exactly what the eBPF probe writes into its ring buffers (as
//! Falco's drivers do). A little-endian header `{u64 ts, u64 tid, u32 len, u16 type, u32
//! nparams}`, then one length per parameter (`u16`, or `u32` for events flagged
//! `EF_LARGE_PAYLOAD`), then the parameters' bytes.
//!
//! The capture reader (`rulec-runtime`), the probe's record view and the probe's C side (through
//! the generated `probe/bpf/scap_gen.h`, see [`c_header`]) all take their offsets from here.

use crate::event_table::event_table;
use crate::syscalls::x86_64_name;

/// Offset of the boot-time timestamp (`u64`, nanoseconds).
pub const TS_OFFSET: usize = 0;
/// Offset of the thread id (`u64`).
pub const TID_OFFSET: usize = 8;
/// Offset of the record's total length, header included (`u32`).
pub const LEN_OFFSET: usize = 16;
/// Offset of the event-table id (`u16`).
pub const TYPE_OFFSET: usize = 20;
/// Offset of the parameter count (`u32`).
pub const NPARAMS_OFFSET: usize = 22;
/// Size of the header; the parameter lengths start here.
pub const HEADER_LEN: usize = 26;
/// Size of the header of v1 event blocks (no parameter count).
pub const HEADER_LEN_V1: usize = 22;
/// Size of one parameter length (`u16`).
pub const PARAM_LEN_SIZE: usize = 2;
/// Size of one parameter length of an `EF_LARGE_PAYLOAD` event (`u32`).
pub const PARAM_LEN_SIZE_LARGE: usize = 4;
/// Largest record the drivers (and the probe) write: 64 KiB (libscap's read buffer).
pub const MAX_RECORD_LEN: usize = 1 << 16;

/// A record of event `type_id` with `params` (an event without `EF_LARGE_PAYLOAD`: `u16`
/// lengths), as the probe writes it: for the writer's built enter events and for tests.
pub fn encode(ts: u64, tid: u64, type_id: u16, params: &[&[u8]]) -> Vec<u8> {
    let len = HEADER_LEN + PARAM_LEN_SIZE * params.len() + params.iter().map(|p| p.len()).sum::<usize>();
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(&ts.to_le_bytes());
    out.extend_from_slice(&tid.to_le_bytes());
    out.extend_from_slice(&(len as u32).to_le_bytes());
    out.extend_from_slice(&type_id.to_le_bytes());
    out.extend_from_slice(&(params.len() as u32).to_le_bytes());
    for p in params {
        out.extend_from_slice(&(p.len() as u16).to_le_bytes());
    }
    for p in params {
        out.extend_from_slice(p);
    }
    out
}

/// The C header the probe's kernel side includes (`probe/bpf/scap_gen.h`): these record
/// constants, every event id of the table by its `PPME_*` name, and every x86_64 syscall
/// number as `NR_<name>`. The file is checked in (a fresh clone builds without running Rust
/// first) and a probe test keeps it equal to this text.
pub fn c_header() -> String {
    let mut s = String::from(
        "/* SPDX-License-Identifier: GPL-2.0-only */\n\
         /* Generated from rulec-schema (compiler/schema/src/record.rs, the event table and the\n \
         * x86_64 syscall table) by `RULEC_BLESS=1 cargo test -p rulec-probe header`. Do not edit. */\n\
         #ifndef RULEC_SCAP_GEN_H\n#define RULEC_SCAP_GEN_H\n\n",
    );
    for (name, v) in [
        ("REC_TS_OFFSET", TS_OFFSET),
        ("REC_TID_OFFSET", TID_OFFSET),
        ("REC_LEN_OFFSET", LEN_OFFSET),
        ("REC_TYPE_OFFSET", TYPE_OFFSET),
        ("REC_NPARAMS_OFFSET", NPARAMS_OFFSET),
        ("HDR_LEN", HEADER_LEN),
        ("PARAM_LEN_SIZE", PARAM_LEN_SIZE),
        ("MAX_EVENT", MAX_RECORD_LEN),
    ] {
        s.push_str(&format!("#define {name} {v}\n"));
    }
    s.push_str("\n/* Event ids (ppm_event_code). */\n");
    for def in event_table() {
        s.push_str(&format!("#define {} {}\n", def.enum_name, def.id));
    }
    s.push_str("\n/* x86_64 syscall numbers. */\n");
    for nr in 0..1024u16 {
        if let Some(name) = x86_64_name(nr) {
            s.push_str(&format!("#define NR_{name} {nr}\n"));
        }
    }
    s.push_str("\n#endif\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_fields_tile_the_header() {
        assert_eq!(TID_OFFSET, TS_OFFSET + 8);
        assert_eq!(LEN_OFFSET, TID_OFFSET + 8);
        assert_eq!(TYPE_OFFSET, LEN_OFFSET + 4);
        assert_eq!(NPARAMS_OFFSET, TYPE_OFFSET + 2);
        assert_eq!(HEADER_LEN, NPARAMS_OFFSET + 4);
        assert_eq!(HEADER_LEN_V1, NPARAMS_OFFSET);
    }

    #[test]
    fn the_c_header_names_every_event_once() {
        let h = c_header();
        assert!(h.contains("#define PPME_SYSCALL_OPENAT_2_X 307\n"));
        assert!(h.contains("#define NR_openat 257\n"));
        assert!(h.contains("#define HDR_LEN 26\n"));
        let names: Vec<&str> = h.lines().filter_map(|l| l.strip_prefix("#define ")?.split(' ').next()).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len(), "a name defined twice");
    }
}
