//! Decoding event records ([`decode_event_block`]): an event block's body (any of its kinds)
//! or a ring-buffer record into an [`Event`] whose parameters keep the record's bytes, every
//! length and size rule checked against the schema's event table, errors naming the first
//! bad field and its offset.

use super::*;
use crate::event::{EXTRA_NAMES, Loc, SIZE_ANY, SIZE_STRUCTURED};
use rulec_schema::{EventDef, record};

/// Decodes one event record as the eBPF probe writes it into a ring buffer: the bytes a capture's
/// v2 event block holds after its CPU id (the 26-byte header, `u16` parameter lengths, the
/// parameters). Live capture and capture files share this decoder, so both mean the same.
/// `Ok(None)` for an event type beyond the table.
pub fn decode_record(cpu: u16, record: &[u8]) -> Result<Option<Event>, ScapError> {
    let mut ev = Event::empty();
    Ok(decode_record_into(cpu, record, &mut ev)?.then_some(ev))
}

/// [`decode_record`] into `ev`, whose buffers are reused (the live source recycles its
/// events, so decoding a ring record allocates nothing once they have grown); `Ok(false)` for
/// an event type beyond the table.
pub fn decode_record_into(cpu: u16, record: &[u8], ev: &mut Event) -> Result<bool, ScapError> {
    let mut body = ev.params.take_buffer();
    body.extend_from_slice(&cpu.to_le_bytes());
    body.extend_from_slice(record);
    decode_event_block(EV_V2, Body::Owned(body), 0, ev, &mut Vec::new())
}

/// An event block's body as the decoder gets it.
pub(super) enum Body<'a> {
    /// In the read buffer: copied into the event's own buffer once it is decoded.
    Borrowed(&'a [u8]),
    /// A buffer of its own, which becomes the event's.
    Owned(Vec<u8>),
}

/// Decodes the body of an event block of type `ty` (any event block kind) at `offset` into
/// `ev` (cleared), whose parameters keep the block's bytes and are decoded when read (each
/// checked here); `Ok(false)` for an event type beyond the table. An owned body becomes the
/// event's buffer, and the event's old buffer goes to `spare` when that has none.
pub(super) fn decode_event_block(
    ty: u32,
    body: Body<'_>,
    offset: u64,
    ev: &mut Event,
    spare: &mut Vec<u8>,
) -> Result<bool, ScapError> {
    let bytes = match &body {
        Body::Borrowed(b) => b,
        Body::Owned(v) => v.as_slice(),
    };
    let base = offset + 8;
    let flagged = matches!(ty, EVF | EVF_V2 | EVF_V2_LARGE);
    let v2 = matches!(ty, EV_V2 | EV_V2_LARGE | EVF_V2 | EVF_V2_LARGE);
    let ev_start = if flagged { 6 } else { 2 };
    let hl = if v2 { record::HEADER_LEN } else { record::HEADER_LEN_V1 };
    // The CPU id, dump flags and record header, checked once and read at fixed places.
    let Some(head) = bytes.get(..ev_start + hl) else {
        return Err(short_header(bytes, base, flagged, v2));
    };
    let cpu = u16::from_le_bytes(le(head, 0));
    let dump_flags = if flagged { u32::from_le_bytes(le(head, 2)) } else { 0 };
    let h = &head[ev_start..];
    let ev_off = base + ev_start as u64;
    let ts = u64::from_le_bytes(le(h, record::TS_OFFSET));
    let tid = u64::from_le_bytes(le(h, record::TID_OFFSET)) as i64;
    let len = u32::from_le_bytes(le(h, record::LEN_OFFSET)) as usize;
    let type_id = u16::from_le_bytes(le(h, record::TYPE_OFFSET));
    let declared = if v2 { Some(u32::from_le_bytes(le(h, record::NPARAMS_OFFSET)) as usize) } else { None };
    if len < hl {
        return Err(err(
            ev_off + record::LEN_OFFSET as u64,
            format!("event length {len} is shorter than the {hl}-byte header"),
        ));
    }
    let Some(rec) = bytes.get(ev_start..ev_start + len) else {
        return Err(err(
            ev_off + record::LEN_OFFSET as u64,
            format!("event length {len} exceeds its block ({} bytes left)", bytes.len() - ev_start),
        ));
    };
    let Some(info) = event_def(type_id) else {
        return Ok(false);
    };
    let lsz = if info.large_payload() { record::PARAM_LEN_SIZE_LARGE } else { record::PARAM_LEN_SIZE };
    let nparams = match declared {
        Some(n) => {
            if n > MAX_PARAMS {
                return Err(err(
                    ev_off + record::NPARAMS_OFFSET as u64,
                    format!("event {} declares {n} params, limit {MAX_PARAMS}", info.name),
                ));
            }
            if hl + n * lsz > len {
                return Err(err(
                    ev_off + record::NPARAMS_OFFSET as u64,
                    format!("event {} declares {n} params but is only {len} bytes", info.name),
                ));
            }
            n
        }
        None => v1_param_count(rec, hl, lsz, info, type_id, ev_off)?,
    };
    // The length table, read twice in tight loops: once to add the lengths up and test each
    // against its type's size (a table look-up and a compare), once to keep each parameter's
    // byte range; names and types stay the row's. Anything that first pass flags is walked
    // again parameter by parameter ([`check_params`]), which parses structured values and
    // names the first bad one. (One fused pass was measured dearer: 442 instructions per
    // event in this function against 405, as the first loop no longer ran alone.)
    let data = hl + nparams * lsz;
    let lens = &rec[hl..data];
    let rules = size_rules(type_id);
    let (total, odd) =
        if lsz == record::PARAM_LEN_SIZE { scan_lens::<2>(lens, rules) } else { scan_lens::<4>(lens, rules) };
    if odd || data + total > len {
        check_params(rec, hl, lsz, nparams, info, type_id, ev_off)?;
    }
    let locs = ev.params.locs_mut();
    if lsz == record::PARAM_LEN_SIZE {
        keep_locs::<2>(lens, ev_start + data, locs);
    } else {
        keep_locs::<4>(lens, ev_start + data, locs);
    }
    ev.ts = ts;
    ev.tid = tid;
    ev.cpu = cpu;
    ev.type_id = type_id;
    ev.dir = info.dir;
    ev.dump_flags = dump_flags;
    let old = match body {
        Body::Borrowed(b) => {
            let mut raw = ev.params.take_raw();
            raw.extend_from_slice(b);
            ev.params.set_record(raw, info)
        }
        Body::Owned(v) => ev.params.set_record(v, info),
    };
    if spare.capacity() == 0 {
        *spare = old;
    }
    // Generic events are named after their syscall, as libsinsp's `evt.type` does.
    ev.name = if is_generic_id(type_id) { crate::syscalls::generic_name(&ev.params) } else { info.name };
    Ok(true)
}

/// The sum of the `W`-byte lengths in `lens`, and whether any present parameter's length is
/// not the one its rule in `rules` asks (or its type is structured, to be parsed).
#[inline(always)]
fn scan_lens<const W: usize>(lens: &[u8], rules: &[u8]) -> (usize, bool) {
    let mut total = 0usize;
    let mut odd = false;
    for (i, c) in lens.chunks_exact(W).enumerate() {
        let plen = len_of::<W>(c);
        let rule = rules.get(i).copied().unwrap_or(SIZE_ANY);
        odd |= plen != 0 && rule != SIZE_ANY && (rule == SIZE_STRUCTURED || usize::from(rule) != plen);
        total += plen;
    }
    (total, odd)
}

/// The size rules ([`ParamValue::size_rule`]) of the parameters of event `id`'s table row, as
/// bytes: one look-up per parameter instead of a branch on its type. Worked out from the
/// table on first use.
fn size_rules(id: u16) -> &'static [u8] {
    static RULES: std::sync::OnceLock<Vec<Box<[u8]>>> = std::sync::OnceLock::new();
    let rules = RULES.get_or_init(|| {
        let rows = (0..=u16::MAX).rev().find(|&i| event_def(i).is_some()).map_or(0, |i| usize::from(i) + 1);
        (0..rows)
            .map(|i| {
                let row = u16::try_from(i).ok().and_then(event_def).map_or(&[][..], |d| &d.params[..]);
                row.iter().map(|p| ParamValue::size_rule(p.1)).collect()
            })
            .collect()
    });
    rules.get(usize::from(id)).map_or(&[], |r| &r[..])
}

/// Appends each parameter's byte range to `locs`, the first starting at `at` (the lengths were
/// checked to fit).
#[inline(always)]
fn keep_locs<const W: usize>(lens: &[u8], at: usize, locs: &mut Vec<Loc>) {
    let mut at = at as u32;
    locs.extend(lens.chunks_exact(W).map(|c| {
        let start = at;
        at += len_of::<W>(c) as u32;
        Loc { at: start, end: at }
    }));
}

/// A parameter length of `W` (2 or 4) bytes.
#[inline(always)]
fn len_of<const W: usize>(c: &[u8]) -> usize {
    if W == 2 {
        usize::from(u16::from_le_bytes([c[0], c[1]]))
    } else {
        u32::from_le_bytes([c[0], c[1], c[2], c[3]]) as usize
    }
}

/// Walks a record's parameters one by one: each inside the record and valid for its type
/// ([`ParamValue::check`]); the error names the first that is not, and where it is.
#[cold]
fn check_params(
    rec: &[u8],
    hl: usize,
    lsz: usize,
    nparams: usize,
    info: &EventDef,
    type_id: u16,
    ev_off: u64,
) -> Result<(), ScapError> {
    let mut at = hl + nparams * lsz;
    for i in 0..nparams {
        let plen = param_len(rec, hl + i * lsz, lsz);
        let Some(value) = rec.get(at..at + plen) else {
            return Err(err(
                ev_off + (hl + i * lsz) as u64,
                format!("event {} param {i}: length {plen} runs past the event end", info.name),
            ));
        };
        let (name, ty) = info.params.get(i).copied().unwrap_or((EXTRA_NAMES[i], ParamType::ByteBuf));
        if let Err(m) = ParamValue::check(ty, value) {
            let m = format!("event {} (type {type_id}) param {i} '{name}': {m}", info.name);
            return Err(err(ev_off + at as u64, m));
        }
        at += plen;
    }
    Ok(())
}

/// `N` bytes of `b` at `at`, which the caller checked are there.
#[inline(always)]
fn le<const N: usize>(b: &[u8], at: usize) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(&b[at..at + N]);
    a
}

/// The error of an event block too short for its header: the first field that is missing.
#[cold]
fn short_header(body: &[u8], base: u64, flagged: bool, v2: bool) -> ScapError {
    let mut c = Cur::new(body, base);
    let header = (|| {
        c.u16("event cpu id")?;
        if flagged {
            c.u32("event dump flags")?;
        }
        c.u64("event timestamp")?;
        c.u64("event tid")?;
        c.u32("event length")?;
        c.u16("event type")?;
        if v2 {
            c.u32("event nparams")?;
        }
        Ok(())
    })();
    match header {
        Err(e) => e,
        Ok(()) => err(base, "event header: the block is shorter than its header"),
    }
}

/// A v1 record's parameter count, which it does not hold: the largest count up to the
/// table's whose lengths add up to the record's length.
fn v1_param_count(
    rec: &[u8],
    hl: usize,
    lsz: usize,
    info: &EventDef,
    type_id: u16,
    ev_off: u64,
) -> Result<usize, ScapError> {
    let len = rec.len();
    let read_len = |i: usize| param_len(rec, hl + i * lsz, lsz);
    for n in (0..=info.params.len().min(MAX_PARAMS)).rev() {
        if hl + n * lsz > len {
            continue;
        }
        let total: usize = (0..n).map(read_len).sum();
        if hl + n * lsz + total == len {
            return Ok(n);
        }
    }
    Err(err(
        ev_off,
        format!("event {} (type {type_id}): parameter lengths do not add up to its length {len}", info.name),
    ))
}

/// The length of a parameter from its entry at `at` of the length array (`lsz` bytes wide;
/// the caller checked the array is inside the record).
#[inline(always)]
fn param_len(rec: &[u8], at: usize, lsz: usize) -> usize {
    if lsz == 2 {
        usize::from(u16::from_le_bytes([rec[at], rec[at + 1]]))
    } else {
        u32::from_le_bytes([rec[at], rec[at + 1], rec[at + 2], rec[at + 3]]) as usize
    }
}

