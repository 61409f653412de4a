//! A reader for Falco/sysdig `.scap` capture files (plain or gzip-wrapped), and a writer
//! ([`ScapWriter`], `write.rs`) of the same format.
//!
//! Owns the block walk (section header, machine info, process/fd/interface/user lists, event
//! blocks in their v1/v2/flagged/large variants) and the decoding of event blocks into
//! [`Event`]s with the schema's scap event table ([`rulec_schema::event_table`], libs master:
//! params are only ever appended to an event id, so the newest table decodes older captures
//! too, and it knows the ids ≥ 336 that newer captures use, e.g. `useradded` 354).
//!
//! Capture files are untrusted: every length is checked against the bytes that are actually
//! there, a block is read incrementally so a huge length field cannot allocate more than the
//! file holds (and blocks are capped at [`MAX_BLOCK_LEN`]), and any inconsistency is a
//! [`ScapError`] naming the problem and the byte offset (in the decompressed stream).
//!
//! Event types beyond the table are skipped (counted in [`ReaderStats::skipped_unknown`]), as
//! libscap does. Metadata blocks after the first event (concatenated captures) are parsed into
//! the same lists but do not re-seed state; unknown metadata blocks are skipped by length.

mod cursor;
mod decode;
mod framing;
mod input;
mod reader;
mod records;
#[cfg(test)]
mod testdata;
mod write;

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::Path;

use rulec_schema::{event_def, is_generic_id};

use crate::event::{Event, ParamType, ParamValue, split_nul};

use cursor::*;
pub use decode::{decode_record, decode_record_into};
use input::Input;
pub use reader::{ScapReader, repeat_events};
pub use records::*;
pub use write::{ScapWriter, WriterStats};

/// Largest block accepted (64 MiB): process lists of very big hosts fit; nothing legitimate is
/// larger.
pub const MAX_BLOCK_LEN: u32 = 64 << 20;
/// Largest non-LARGE event block body (libscap `READER_BUF_SIZE`).
pub const READER_BUF_SIZE: usize = 65_536;
/// Most parameters accepted in one event (the schema's limit).
pub use rulec_schema::MAX_PARAMS;

// Block types.
pub(super) const SHB: u32 = 0x0A0D0D0A;
pub(super) const MI: u32 = 0x201;
pub(super) const MI_INT: u32 = 0x8002ABCD;
pub(super) const FDL: u32 = 0x203;
pub(super) const FDL_INT: u32 = 0x8001ABCD;
pub(super) const FDL_V2: u32 = 0x218;
pub(super) const EV: u32 = 0x204;
pub(super) const EV_INT: u32 = 0x8010ABCD;
pub(super) const EV_V2: u32 = 0x216;
pub(super) const EV_V2_LARGE: u32 = 0x221;
pub(super) const EVF: u32 = 0x208;
pub(super) const EVF_V2: u32 = 0x217;
pub(super) const EVF_V2_LARGE: u32 = 0x222;
pub(super) const IL: u32 = 0x205;
pub(super) const IL_INT: u32 = 0x8011ABCD;
pub(super) const IL_V2: u32 = 0x219;
pub(super) const UL: u32 = 0x206;
pub(super) const UL_INT: u32 = 0x8012ABCD;
pub(super) const UL_V2: u32 = 0x220;
pub(super) const BYTE_ORDER_MAGIC: u32 = 0x1A2B3C4D;

pub(super) fn pl_version(bt: u32) -> Option<u8> {
    Some(match bt {
        0x202 | 0x8000ABCD => 1,
        0x207 | 0x8013ABCD => 2,
        0x209 | 0x8014ABCD => 3,
        0x210 => 4,
        0x211 => 5,
        0x212 => 6,
        0x213 => 7,
        0x214 => 8,
        0x215 => 9,
        _ => return None,
    })
}

pub(super) fn is_event_block(bt: u32) -> bool {
    matches!(bt, EV | EV_INT | EV_V2 | EV_V2_LARGE | EVF | EVF_V2 | EVF_V2_LARGE)
}

/// The largest capture [`repeat_events`] builds (it is held in memory).
pub const MAX_REPEATED_LEN: usize = 4 << 30;

/// An error reading a capture: what is wrong and where.
#[derive(Debug)]
pub struct ScapError {
    /// Byte offset in the (decompressed) stream.
    pub offset: u64,
    /// What is wrong.
    pub message: String,
    /// The underlying I/O error, if any.
    pub io: Option<io::Error>,
}

impl fmt::Display for ScapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "scap: at byte {}: {}", self.offset, self.message)?;
        if let Some(e) = &self.io {
            write!(f, ": {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ScapError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.io.as_ref().map(|e| e as _)
    }
}

fn err(offset: u64, message: impl Into<String>) -> ScapError {
    ScapError { offset, message: message.into(), io: None }
}

// ---- event table --------------------------------------------------------------------------

/// Names of parameters beyond an event's table list (`p<N>`), defined with the parameters.
pub(crate) use crate::event::EXTRA_NAMES;
