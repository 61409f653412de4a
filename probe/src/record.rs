//! A zero-copy view of one event record: the `.scap` event layout the probe writes into its ring
//! buffers (and a capture file holds after each event block's CPU id), as
//! [`rulec_schema::record`] defines it: a 26-byte little-endian header
//! `{u64 ts, u64 tid, u32 len, u16 type, u32 nparams}`, one `u16` length per parameter, then
//! the parameters' bytes.
//!
//! Everything read from the kernel is untrusted: [`Record::parse`] checks every length against
//! the record and returns an error instead of reading past it.

/// Most parameters a record may declare (the schema's limit; the kernel side writes at most 32).
pub use rulec_schema::MAX_PARAMS;
pub use rulec_schema::record::HEADER_LEN;
use rulec_schema::record::{LEN_OFFSET, NPARAMS_OFFSET, PARAM_LEN_SIZE, TID_OFFSET, TS_OFFSET, TYPE_OFFSET};

fn le_u16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn le_u32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// One event record, borrowed from the buffer it was read from.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    bytes: &'a [u8],
    nparams: usize,
}

/// Why a record could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError(pub String);

impl std::fmt::Display for RecordError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RecordError {}

fn le_u64(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

impl<'a> Record<'a> {
    /// Checks the header and the parameter lengths of `bytes` (one record, possibly followed by
    /// padding, as ring buffer items are 8-byte aligned).
    pub fn parse(bytes: &'a [u8]) -> Result<Record<'a>, RecordError> {
        if bytes.len() < HEADER_LEN {
            return Err(RecordError(format!("record of {} bytes is shorter than its header", bytes.len())));
        }
        let len = le_u32(bytes, LEN_OFFSET) as usize;
        if len < HEADER_LEN || len > bytes.len() {
            return Err(RecordError(format!("record length {len} does not fit its {} bytes", bytes.len())));
        }
        let nparams = le_u32(bytes, NPARAMS_OFFSET) as usize;
        if nparams > MAX_PARAMS || HEADER_LEN + PARAM_LEN_SIZE * nparams > len {
            return Err(RecordError(format!("record declares {nparams} parameters in {len} bytes")));
        }
        let bytes = &bytes[..len];
        let total: usize = (0..nparams).map(|i| usize::from(le_u16(bytes, HEADER_LEN + PARAM_LEN_SIZE * i))).sum();
        if HEADER_LEN + PARAM_LEN_SIZE * nparams + total != len {
            return Err(RecordError(format!(
                "record parameters take {total} bytes but the record has {} after its lengths",
                len - HEADER_LEN - PARAM_LEN_SIZE * nparams
            )));
        }
        Ok(Record { bytes, nparams })
    }

    /// Boot-time timestamp in nanoseconds.
    pub fn ts(&self) -> u64 {
        le_u64(self.bytes, TS_OFFSET)
    }

    /// Thread id (the kernel's pid of the thread).
    pub fn tid(&self) -> u64 {
        le_u64(self.bytes, TID_OFFSET)
    }

    /// Event-table id.
    pub fn event_type(&self) -> u16 {
        le_u16(self.bytes, TYPE_OFFSET)
    }

    /// Number of parameters.
    pub fn nparams(&self) -> usize {
        self.nparams
    }

    /// The whole record.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The bytes of parameter `i` (empty when absent).
    pub fn param(&self, i: usize) -> Option<&'a [u8]> {
        if i >= self.nparams {
            return None;
        }
        let len_at = |k: usize| usize::from(le_u16(self.bytes, HEADER_LEN + PARAM_LEN_SIZE * k));
        let start = HEADER_LEN + PARAM_LEN_SIZE * self.nparams + (0..i).map(len_at).sum::<usize>();
        self.bytes.get(start..start + len_at(i))
    }

    /// Parameter `i` as a little-endian integer of its own width (1, 2, 4 or 8 bytes).
    pub fn param_u64(&self, i: usize) -> Option<u64> {
        let p = self.param(i)?;
        Some(match p.len() {
            1 => u64::from(p[0]),
            2 => u64::from(u16::from_le_bytes([p[0], p[1]])),
            4 => u64::from(u32::from_le_bytes([p[0], p[1], p[2], p[3]])),
            8 => le_u64(p, 0),
            _ => return None,
        })
    }

    /// Parameter `i` as text without its terminating NUL.
    pub fn param_str(&self, i: usize) -> Option<&'a str> {
        let p = self.param(i)?;
        let p = p.strip_suffix(&[0]).unwrap_or(p);
        std::str::from_utf8(p).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(ty: u16, params: &[&[u8]]) -> Vec<u8> {
        let len = HEADER_LEN + 2 * params.len() + params.iter().map(|p| p.len()).sum::<usize>();
        let mut b = Vec::new();
        b.extend(7u64.to_le_bytes());
        b.extend(42u64.to_le_bytes());
        b.extend((len as u32).to_le_bytes());
        b.extend(ty.to_le_bytes());
        b.extend((params.len() as u32).to_le_bytes());
        for p in params {
            b.extend((p.len() as u16).to_le_bytes());
        }
        for p in params {
            b.extend(*p);
        }
        b
    }

    #[test]
    fn reads_a_record_and_its_parameters() {
        let mut b = record(307, &[&3u64.to_le_bytes(), b"/etc/passwd\0", &[], &5u32.to_le_bytes()]);
        b.extend([0, 0, 0]); // ring-buffer padding after the record
        let r = Record::parse(&b).expect("valid");
        assert_eq!((r.ts(), r.tid(), r.event_type(), r.nparams()), (7, 42, 307, 4));
        assert_eq!(r.param_u64(0), Some(3));
        assert_eq!(r.param_str(1), Some("/etc/passwd"));
        assert_eq!(r.param(2), Some(&[][..]));
        assert_eq!(r.param_u64(3), Some(5));
        assert_eq!(r.param(4), None);
    }

    #[test]
    fn rejects_every_truncation_and_bad_length() {
        let b = record(307, &[&3u64.to_le_bytes(), b"/etc/passwd\0"]);
        for cut in 0..b.len() {
            assert!(Record::parse(&b[..cut]).is_err(), "cut at {cut}");
        }
        for at in 16..b.len() {
            let mut m = b.clone();
            m[at] = m[at].wrapping_add(1);
            // No mutation of the header or the lengths makes the parser read out of bounds.
            let _ = Record::parse(&m);
        }
        let mut many = b.clone();
        many[NPARAMS_OFFSET] = 200;
        assert!(Record::parse(&many).is_err());
    }
}
