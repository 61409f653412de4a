//! rulec's own capture format: a readable, diffable JSON Lines file holding what a `.scap`
//! holds for rules (the starting process/fd/user state and the event stream), and its writer
//! and reader. `docs/capture-format.md` is the reference; in short, one JSON object per line:
//!
//! 1. a header: `{"format":"rulec-capture","version":1,"rulec":..,"event_table":..,"machine":..}`;
//! 2. the starting state, as the state machine holds it after seeding (not libscap's raw
//!    lists, so a reader needs no libsinsp knowledge): `{"thread":{..}}` with every
//!    [`ThreadInfo`] field, `{"fd":{"pid":..,..}}` with [`FdInfo`], `{"user":..}`, `{"group":..}`;
//! 3. one line per event: `{"ts":..,"tid":..,"cpu":..,"id":..,"event":"open","dir":"<",
//!    "params":{"fd":3,"name":"/etc/passwd","flags":[4097,"O_RDONLY|O_CLOEXEC"]}}`, params by
//!    name, their JSON shape fixed by the event table's parameter type.
//!
//! Events are stored as the `.scap` reader decodes them (before the replay merges enter params
//! into exits), so replaying a converted file through [`Replay`] gives the same events, state
//! and verdicts as replaying the `.scap`.
//!
//! The file is untrusted input: lines are capped at [`MAX_LINE_BYTES`], state records at
//! [`MAX_STATE_RECORDS`], params at [`crate::scap::MAX_PARAMS`]; every number is range-checked
//! against its type; any problem is a [`CaptureError`] naming the line. Nothing here panics on
//! file data.
//!
//! [`CaptureSource`] opens either format (sniffing the first bytes), so callers (the test
//! runner, `rulec capture`) need not care which they were given.

mod events;
mod read;
mod records;
mod source;
mod write;

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::replay::{EventSource, Replay, seed_state};
use super::scap::{self, MachineInfo, ScapError, ScapReader};
use crate::event::{Direction, Event, Param, ParamRef, ParamType, ParamValue, SockAddr, SockTuple};
use crate::flags;
use crate::state::{FdInfo, FdKind, GroupInfo, L4Proto, Limits, SockInfo, SockRole, State, ThreadInfo, UserInfo};

use events::*;
pub use read::CaptureReader;
use read::*;
use records::*;
pub use records::{FdRecord, GroupRecord, UserRecord};
pub use source::{
    CaptureFileError, CaptureSource, ConvertError, Summary, convert, looks_like_jsonl, open_replay, open_replay_with,
    summarize,
};
pub use write::CaptureWriter;

/// The `format` value of the header line.
pub const FORMAT_NAME: &str = "rulec-capture";
/// The format version this code writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;
/// The file name ending `rulec capture convert` suggests and the docs use.
pub const EXTENSION: &str = ".rcap.jsonl";
/// Longest line accepted (16 MiB): a scap event is at most 64 KiB of payload (large-payload
/// events more, but still far below this even when escaped), a thread record with a huge
/// environment a few hundred KiB.
pub const MAX_LINE_BYTES: usize = 16 << 20;
/// Most state records (threads + fds + users + groups) accepted: ten times what the state
/// machine's default limits hold, so a real capture always fits and a hostile one cannot make
/// the reader hold millions of records.
pub const MAX_STATE_RECORDS: usize = 2_000_000;

/// What the event table of this build is: ids are only ever added to the libs table and params
/// only appended to an id, so a file written with an older table reads with a newer one.
const EVENT_TABLE_SOURCE: &str = "falcosecurity/libs master";

// ---- errors -------------------------------------------------------------------------------

/// An error reading a rulec capture: the 1-based line (0 when the file could not be read at
/// all) and what is wrong.
#[derive(Debug)]
pub struct CaptureError {
    /// 1-based line number; 0 for an error before any line (cannot open).
    pub line: u64,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for CaptureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 { write!(f, "{}", self.message) } else { write!(f, "line {}: {}", self.line, self.message) }
    }
}

impl std::error::Error for CaptureError {}

fn cerr(line: u64, message: impl Into<String>) -> CaptureError {
    CaptureError { line, message: message.into() }
}

/// serde_json's messages end in " at line 1 column N"; every line is parsed on its own, so
/// only the column means anything: keep it, drop the line.
fn json_err(line: u64, e: &serde_json::Error) -> CaptureError {
    let text = e.to_string();
    let msg = match text.rfind(" at line ") {
        Some(i) => &text[..i],
        None => text.as_str(),
    };
    if e.column() > 0 { cerr(line, format!("column {}: {msg}", e.column())) } else { cerr(line, msg.to_owned()) }
}

// ---- header -------------------------------------------------------------------------------

/// The first line of a capture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// Always [`FORMAT_NAME`].
    pub format: String,
    /// Format version ([`FORMAT_VERSION`]).
    pub version: u32,
    /// The rulec version that wrote the file.
    #[serde(default)]
    pub rulec: String,
    /// The event table event ids refer to.
    #[serde(default)]
    pub event_table: EventTableInfo,
    /// The machine the capture was recorded on, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine: Option<Machine>,
    /// What the file was converted from (a file name), when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// The event table a capture's ids refer to.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EventTableInfo {
    /// Where the table comes from.
    pub source: String,
    /// How many event ids it has.
    pub ids: u32,
}

/// Machine information (from the `.scap` machine-info block).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
#[allow(missing_docs)]
pub struct Machine {
    pub hostname: String,
    pub num_cpus: u32,
    pub memory_bytes: u64,
    pub max_pid: u64,
    pub boot_ts: u64,
}

impl From<&MachineInfo> for Machine {
    fn from(m: &MachineInfo) -> Machine {
        Machine {
            hostname: m.hostname.clone(),
            num_cpus: m.num_cpus,
            memory_bytes: m.memory_bytes,
            max_pid: m.max_pid,
            boot_ts: m.boot_ts,
        }
    }
}

impl Header {
    /// A header for this build, with optional machine info and source name.
    pub fn new(machine: Option<Machine>, source: Option<String>) -> Header {
        Header {
            format: FORMAT_NAME.to_owned(),
            version: FORMAT_VERSION,
            rulec: env!("CARGO_PKG_VERSION").to_owned(),
            event_table: EventTableInfo {
                source: EVENT_TABLE_SOURCE.to_owned(),
                ids: u32::try_from(rulec_schema::event_table().len()).unwrap_or(u32::MAX),
            },
            machine,
            source,
        }
    }
}

// ---- base64 -------------------------------------------------------------------------------

/// Standard padded base64 (RFC 4648 §4). Decoding tolerates non-zero bits after the last byte,
/// as the format has always done; writers never produce them.
pub(super) const B64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
);

pub(super) fn base64_encode(out: &mut String, b: &[u8]) {
    use base64::Engine as _;
    B64.encode_string(b, out);
}

/// Decodes, with the error texts the format's documentation and tests use.
pub(super) fn base64_decode(s: &str) -> Result<Vec<u8>, String> {
    use base64::Engine as _;
    if !s.len().is_multiple_of(4) {
        return Err(format!("base64 text of {} characters is not a multiple of 4", s.len()));
    }
    B64.decode(s).map_err(|e| match e {
        base64::DecodeError::InvalidByte(_, b'=') | base64::DecodeError::InvalidPadding => {
            "misplaced '=' padding in base64 text".into()
        }
        base64::DecodeError::InvalidByte(_, c) | base64::DecodeError::InvalidLastSymbol(_, c) => {
            format!("'{}' is not a base64 character", char::from(c).escape_default())
        }
        base64::DecodeError::InvalidLength(n) => format!("base64 text of {n} characters is not a multiple of 4"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_and_rejects_garbage() {
        for len in 0..20usize {
            let data: Vec<u8> = (0..len).map(|i| (i * 37 + 200) as u8).collect();
            let mut text = String::new();
            base64_encode(&mut text, &data);
            assert_eq!(base64_decode(&text).ok(), Some(data));
        }
        let mut text = String::new();
        base64_encode(&mut text, b"foobar\xff");
        assert_eq!(text, "Zm9vYmFy/w==");
        assert!(base64_decode("Zm9").is_err());
        assert!(base64_decode("Zm=v").is_err());
        assert!(base64_decode("Z===").is_err());
        assert!(base64_decode("Zm9v!mFy").is_err());
        assert!(base64_decode("Zg==Zg==").is_err());
    }
}
