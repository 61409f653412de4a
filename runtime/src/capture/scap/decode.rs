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

/// Where a checked record's parts are: what [`fill`] needs to build its event.
#[derive(Clone, Copy)]
pub(super) struct Layout {
    /// Where the record starts in the block's body (after the CPU id and dump flags).
    ev_start: usize,
    /// The record header's length (v1 or v2).
    hl: usize,
    /// The width of a parameter length (2, or 4 for large-payload events).
    lsz: usize,
    /// The record's parameter count.
    nparams: usize,
    /// The event's table row.
    info: &'static EventDef,
}

/// The parts of an event block's body that its kind alone fixes: (flagged, v2, record start,
/// header length).
#[inline(always)]
fn kind_of(ty: u32) -> (bool, bool, usize, usize) {
    let flagged = matches!(ty, EVF | EVF_V2 | EVF_V2_LARGE);
    let v2 = matches!(ty, EV_V2 | EV_V2_LARGE | EVF_V2 | EVF_V2_LARGE);
    (flagged, v2, if flagged { 6 } else { 2 }, if v2 { record::HEADER_LEN } else { record::HEADER_LEN_V1 })
}

/// Why [`layout`] found no layout [`fill`] may take as it is, in the order the checks run.
enum Flaw {
    /// The body is shorter than the record header.
    ShortHeader,
    /// The record's length (given) is shorter than its header.
    LenBelowHeader(usize),
    /// The record's length (given) runs past the block.
    LenPastBlock(usize),
    /// An event type beyond the table (skipped, as libscap does).
    Unknown,
    /// A v2 record declares (count given) more parameters than the limit.
    TooMany(&'static EventDef, usize),
    /// A v2 record's declared parameter lengths (count, record length given) run past its
    /// length.
    CountPastLen(&'static EventDef, usize, usize),
    /// No parameter count of a v1 record (type id, length given) adds up to its length.
    NoCount(&'static EventDef, u16, usize),
    /// A length breaks its type's size rule, a value is structured, or the values run past
    /// the record (type id, record length given): the parameters are walked one by one
    /// ([`check_params`]).
    Walk(Layout, u16, usize),
}

/// The layout of the body of event block `ty`, checked: the header inside the body, the
/// record's length between its header's and the body's end, a known event type, a parameter
/// count (a v2 record's declared one, within the limit and its length table inside the
/// record; a v1 record's, the one its lengths add up to), and lengths that follow their
/// types' size rules and fit. The one statement of these checks: [`well_formed`] asks it
/// yes or no, [`decode_event_block`] turns its [`Flaw`] into the error (or the walk).
#[inline(always)]
fn layout(ty: u32, bytes: &[u8]) -> Result<Layout, Flaw> {
    let (_, v2, ev_start, hl) = kind_of(ty);
    let h = bytes.get(ev_start..ev_start + hl).ok_or(Flaw::ShortHeader)?;
    let len = u32::from_le_bytes(le(h, record::LEN_OFFSET)) as usize;
    if len < hl {
        return Err(Flaw::LenBelowHeader(len));
    }
    let rec = bytes.get(ev_start..ev_start + len).ok_or(Flaw::LenPastBlock(len))?;
    let type_id = u16::from_le_bytes(le(h, record::TYPE_OFFSET));
    let info = event_def(type_id).ok_or(Flaw::Unknown)?;
    let lsz = if info.large_payload() { record::PARAM_LEN_SIZE_LARGE } else { record::PARAM_LEN_SIZE };
    let nparams = if v2 {
        let n = u32::from_le_bytes(le(h, record::NPARAMS_OFFSET)) as usize;
        if n > MAX_PARAMS {
            return Err(Flaw::TooMany(info, n));
        }
        if hl + n * lsz > len {
            return Err(Flaw::CountPastLen(info, n, len));
        }
        n
    } else {
        v1_count(rec, hl, lsz, info).ok_or(Flaw::NoCount(info, type_id, len))?
    };
    // The length table, read twice in tight loops: once here to add the lengths up and test
    // each against its type's size (a table look-up and a compare), once to keep each
    // parameter's byte range ([`fill`]); names and types stay the row's. (One fused pass was
    // measured dearer: 442 instructions per event in the decoder against 405, as the first
    // loop no longer ran alone.)
    let data = hl + nparams * lsz;
    let lens = &rec[hl..data];
    let rules = size_rules(type_id);
    let (total, odd) =
        if lsz == record::PARAM_LEN_SIZE { scan_lens::<2>(lens, rules) } else { scan_lens::<4>(lens, rules) };
    let l = Layout { ev_start, hl, lsz, nparams, info };
    if odd || data + total > len { Err(Flaw::Walk(l, type_id, len)) } else { Ok(l) }
}

/// The layout of the body of event block `ty` when [`decode_event_block`] would decode it
/// without a word ([`layout`]); `None` for anything else (an error, an unknown type, a
/// structured value to parse), which only the checked decoder settles. The reading thread
/// ([`super::framing`]) marks the blocks this accepts, with their parameter count, and the
/// loop decodes those with [`decode_trusted`].
#[inline]
pub(super) fn well_formed(ty: u32, bytes: &[u8]) -> Option<Layout> {
    layout(ty, bytes).ok()
}

impl Layout {
    /// The record's parameter count.
    pub(super) fn nparams(&self) -> usize {
        self.nparams
    }
}

/// Decodes the body of an event block that [`well_formed`] accepted with `nparams` parameters
/// (on the reading thread; the bytes have not changed since): the same event as
/// [`decode_event_block`] gives, none of its checks made again. False, and `ev` untouched, for
/// a body that does not read as one (which cannot happen): the caller then decodes it the
/// checked way, so the worst a mix-up costs is the time. Nothing here can fail, so nothing
/// is returned but that.
#[inline]
pub(super) fn decode_trusted(ty: u32, body: &[u8], nparams: usize, ev: &mut Event) -> bool {
    let (_, _, ev_start, hl) = kind_of(ty);
    let Some(h) = body.get(ev_start..ev_start + hl) else { return false };
    let Some(info) = event_def(u16::from_le_bytes(le(h, record::TYPE_OFFSET))) else { return false };
    let lsz = if info.large_payload() { record::PARAM_LEN_SIZE_LARGE } else { record::PARAM_LEN_SIZE };
    if body.len() < ev_start + hl + nparams * lsz {
        return false;
    }
    fill(ty, Layout { ev_start, hl, lsz, nparams, info }, Body::Borrowed(body), ev, &mut Vec::new());
    true
}

/// The table row, thread and time of the body of event block `ty` (one [`well_formed`]
/// accepted, so none of its checks is made again): what a replay needs of an event it does not
/// decode (`capture::replay::WantedTypes`).
#[inline]
pub(super) fn header_of(ty: u32, body: &[u8]) -> Option<(&'static EventDef, i64, u64)> {
    let (_, _, ev_start, hl) = kind_of(ty);
    let h = body.get(ev_start..ev_start + hl)?;
    let def = event_def(u16::from_le_bytes(le(h, record::TYPE_OFFSET)))?;
    Some((def, u64::from_le_bytes(le(h, record::TID_OFFSET)) as i64, u64::from_le_bytes(le(h, record::TS_OFFSET))))
}

/// The `ppm_sc` code of a generic event's body with `nparams` parameters (one [`well_formed`]
/// accepted): its first parameter, when that is two bytes long, which is what names a generic
/// event (`crate::syscalls::generic_name`).
#[inline]
pub(super) fn generic_code(ty: u32, body: &[u8], nparams: usize) -> Option<u16> {
    let (_, _, ev_start, hl) = kind_of(ty);
    let lens = ev_start + hl;
    let data = lens + nparams * record::PARAM_LEN_SIZE;
    if nparams == 0 || body.get(lens..lens + 2)? != [2, 0] {
        return None;
    }
    Some(u16::from_le_bytes(le(body.get(data..data + 2)?, 0)))
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
    let (flagged, v2, ev_start, hl) = kind_of(ty);
    let base = offset + 8;
    let ev_off = base + ev_start as u64;
    let (len_at, count_at) = (ev_off + record::LEN_OFFSET as u64, ev_off + record::NPARAMS_OFFSET as u64);
    let l = match layout(ty, bytes) {
        Ok(l) => l,
        Err(Flaw::Unknown) => return Ok(false),
        Err(Flaw::Walk(l, type_id, len)) => {
            // Anything the size scan flags is walked parameter by parameter, which parses
            // structured values and names the first bad one.
            let rec = &bytes[ev_start..ev_start + len];
            check_params(rec, hl, l.lsz, l.nparams, l.info, type_id, ev_off)?;
            l
        }
        Err(Flaw::ShortHeader) => return Err(short_header(bytes, base, flagged, v2)),
        Err(Flaw::LenBelowHeader(len)) => {
            return Err(err(len_at, format!("event length {len} is shorter than the {hl}-byte header")));
        }
        Err(Flaw::LenPastBlock(len)) => {
            let left = bytes.len() - ev_start;
            return Err(err(len_at, format!("event length {len} exceeds its block ({left} bytes left)")));
        }
        Err(Flaw::TooMany(info, n)) => {
            return Err(err(count_at, format!("event {} declares {n} params, limit {MAX_PARAMS}", info.name)));
        }
        Err(Flaw::CountPastLen(info, n, len)) => {
            return Err(err(count_at, format!("event {} declares {n} params but is only {len} bytes", info.name)));
        }
        Err(Flaw::NoCount(info, type_id, len)) => {
            let m =
                format!("event {} (type {type_id}): parameter lengths do not add up to its length {len}", info.name);
            return Err(err(ev_off, m));
        }
    };
    fill(ty, l, body, ev, spare);
    Ok(true)
}

/// Builds `ev` from a checked record: its header fields, each parameter's byte range, the
/// record's bytes (an owned body becomes the event's buffer, the event's old buffer going to
/// `spare` when that has none) and its name.
#[inline(always)]
fn fill(ty: u32, l: Layout, body: Body<'_>, ev: &mut Event, spare: &mut Vec<u8>) {
    let bytes = match &body {
        Body::Borrowed(b) => b,
        Body::Owned(v) => v.as_slice(),
    };
    let flagged = kind_of(ty).0;
    let head = &bytes[..l.ev_start + l.hl];
    let h = &head[l.ev_start..];
    let data = l.ev_start + l.hl + l.nparams * l.lsz;
    let lens = &bytes[l.ev_start + l.hl..data];
    let locs = ev.params.locs_mut();
    if l.lsz == record::PARAM_LEN_SIZE {
        keep_locs::<2>(lens, data, locs);
    } else {
        keep_locs::<4>(lens, data, locs);
    }
    ev.ts = u64::from_le_bytes(le(h, record::TS_OFFSET));
    ev.tid = u64::from_le_bytes(le(h, record::TID_OFFSET)) as i64;
    ev.cpu = u16::from_le_bytes(le(head, 0));
    let type_id = u16::from_le_bytes(le(h, record::TYPE_OFFSET));
    ev.type_id = type_id;
    ev.dir = l.info.dir;
    ev.dump_flags = if flagged { u32::from_le_bytes(le(head, 2)) } else { 0 };
    match body {
        Body::Borrowed(b) => ev.params.set_record_copied(b, l.info),
        Body::Owned(v) => {
            let old = ev.params.set_record(v, l.info);
            if spare.capacity() == 0 {
                *spare = old;
            }
        }
    }
    // Generic events are named after their syscall, as libsinsp's `evt.type` does.
    ev.name = if is_generic_id(type_id) { crate::syscalls::generic_name(&ev.params) } else { l.info.name };
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
    // The table's rows are its ids in order (`event_def(id)` is row `id`).
    let rules = RULES.get_or_init(|| {
        rulec_schema::event_table()
            .iter()
            .map(|d| d.params.iter().map(|p| ParamValue::size_rule(p.1)).collect())
            .collect()
    });
    rules.get(usize::from(id)).map_or(&[], |r| &r[..])
}

/// Appends each parameter's byte range to `locs`, the first starting at `at` (the lengths were
/// checked to fit). The entries are written into reserved room and then counted in, with no
/// capacity check per parameter: `push` in a loop over reserved room kept its check (14
/// instructions a parameter, callgrind on a replay's loop thread), `resize` and then writing
/// cost 46 instructions more per event, and `extend` over the mapped lengths was not inlined
/// (80 more).
#[inline(always)]
fn keep_locs<const W: usize>(lens: &[u8], at: usize, locs: &mut Vec<Loc>) {
    let n = lens.len() / W;
    locs.reserve(n);
    let mut at = at as u32;
    let mut written = 0;
    for (loc, c) in locs.spare_capacity_mut().iter_mut().zip(lens.chunks_exact(W)) {
        let start = at;
        at += len_of::<W>(c) as u32;
        loc.write(Loc { at: start, end: at });
        written += 1;
    }
    let len = locs.len() + written;
    // SAFETY: `written` entries after the first `locs.len()` were just initialised (the zip
    // stops at the reserved room's end), and `len` is within the capacity.
    unsafe { locs.set_len(len) };
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

/// The largest parameter count up to `info`'s whose lengths add up to the length of v1 record
/// `rec`, if any does. One pass over the length table, keeping the running sum (trying each
/// count from the largest down, each adding its lengths again, cost the reading thread 150
/// instructions per event on a v1 capture, callgrind).
fn v1_count(rec: &[u8], hl: usize, lsz: usize, info: &EventDef) -> Option<usize> {
    let len = rec.len();
    let mut found = (hl == len).then_some(0);
    let mut sum = 0usize;
    for n in 1..=info.params.len().min(MAX_PARAMS) {
        let table_end = hl + n * lsz;
        if table_end > len {
            break;
        }
        sum += param_len(rec, hl + (n - 1) * lsz, lsz);
        if table_end + sum == len {
            found = Some(n);
        }
    }
    found
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

#[cfg(test)]
mod tests;
