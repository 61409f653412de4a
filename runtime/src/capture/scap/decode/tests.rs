//! The decoder's counting of a v1 record's parameters against the plain definition, and the
//! header of an undecoded block against the event the decoder makes of it.

use super::super::testdata::{block_starts, captures};
use super::*;

/// The largest count up to `max` whose table and lengths add up to the record's length, tried
/// from the largest down (the definition `v1_count` computes in one pass).
fn v1_count_by_definition(rec: &[u8], hl: usize, lsz: usize, max: usize) -> Option<usize> {
    let len = rec.len();
    let read_len = |i: usize| param_len(rec, hl + i * lsz, lsz);
    (0..=max).rev().find(|&n| hl + n * lsz <= len && hl + n * lsz + (0..n).map(read_len).sum::<usize>() == len)
}

#[test]
fn v1_count_is_the_largest_count_that_adds_up() {
    // Records whose length tables hold small random lengths, some with the bytes those
    // lengths ask for and some a few bytes off, for rows of every parameter count.
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let rows: Vec<&EventDef> = rulec_schema::event_table().iter().filter(|d| !d.enum_name.is_empty()).collect();
    let mut agreed = 0;
    let mut found = 0;
    for round in 0..20_000 {
        let info = rows[next() as usize % rows.len()];
        let lsz = if round % 3 == 0 { 4 } else { 2 };
        let hl = record::HEADER_LEN_V1;
        let n = next() as usize % (info.params.len() + 2);
        let lens: Vec<usize> = (0..n).map(|_| next() as usize % 5).collect();
        let mut rec = vec![0u8; hl];
        for &l in &lens {
            rec.extend_from_slice(&(l as u32).to_le_bytes()[..lsz]);
        }
        let body: usize = lens.iter().sum::<usize>() + [0, 0, 1, 2, 3][next() as usize % 5];
        rec.resize(rec.len() + body, 0);
        let max = info.params.len().min(MAX_PARAMS);
        let want = v1_count_by_definition(&rec, hl, lsz, max);
        assert_eq!(v1_count(&rec, hl, lsz, info), want, "{} lens {lens:?} lsz {lsz}", info.name);
        agreed += 1;
        found += usize::from(want.is_some());
    }
    assert_eq!(agreed, 20_000);
    assert!(found > 5_000 && found < 20_000, "both outcomes tried: {found} found");
}

#[test]
fn an_undecoded_blocks_header_is_the_decoded_events() {
    // Every event of the shared v1 and v2 captures that the framing marks: the header read
    // alone names the row, thread and time the decoder gives.
    let (mut checked, mut generic) = (0, 0);
    for (path, bytes) in captures() {
        for at in block_starts(&bytes) {
            let h = &bytes[at..at + 8];
            let ty = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
            let len = u32::from_le_bytes([h[4], h[5], h[6], h[7]]) as usize;
            let body = &bytes[at + 8..at + len - 4];
            if super::super::is_event_block(ty)
                && let Some(l) = well_formed(ty, body)
            {
                let mut ev = Event::empty();
                assert!(decode_trusted(ty, body, l.nparams(), &mut ev));
                let (def, tid, ts) = header_of(ty, body).expect("a marked block has a header");
                assert_eq!((def.id, tid, ts), (ev.type_id, ev.tid, ev.ts), "{} at {at}", path.display());
                if rulec_schema::is_generic_id(def.id) {
                    // A named code names the event; an unnamed one leaves it to the decoder.
                    let code = generic_code(ty, body, l.nparams());
                    if let Some(name) = code.and_then(rulec_schema::syscalls::ppm_sc_name) {
                        assert_eq!(name, ev.name, "{} at {at}", path.display());
                        generic += 1;
                    }
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 5_000 && generic > 500, "{checked} events checked, {generic} generic");
}
