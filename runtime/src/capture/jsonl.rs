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

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::replay::{Replay, seed_state};
use super::scap::{self, MachineInfo, ScapError, ScapReader};
use crate::event::{Direction, Event, Param, ParamType, ParamValue, SockAddr, SockTuple};
use crate::flags;
use crate::state::{FdInfo, FdKind, GroupInfo, L4Proto, Limits, SockInfo, SockRole, State, ThreadInfo, UserInfo};

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

// ---- state records ------------------------------------------------------------------------

/// Every [`ThreadInfo`] field, in the order written. A remote definition rather than serde
/// attributes on `ThreadInfo` keeps the file format out of the state machine; and a field added
/// to `ThreadInfo` fails to compile here until the format says how it is stored. Omitted fields
/// read as zero/empty, except `loginuid` (unset: `u32::MAX`).
#[derive(Serialize, Deserialize)]
#[serde(remote = "ThreadInfo", deny_unknown_fields)]
struct ThreadDef {
    tid: i64,
    #[serde(default)]
    pid: i64,
    #[serde(default)]
    ptid: i64,
    #[serde(default)]
    sid: i64,
    #[serde(default)]
    vpgid: i64,
    #[serde(default)]
    pgid: i64,
    #[serde(default)]
    vtid: i64,
    #[serde(default)]
    vpid: i64,
    #[serde(default)]
    comm: String,
    #[serde(default)]
    exe: String,
    #[serde(default)]
    exepath: String,
    #[serde(default)]
    args: Vec<String>,
    #[serde(default)]
    env: Vec<String>,
    #[serde(default)]
    cwd: String,
    #[serde(default)]
    root: String,
    #[serde(default)]
    uid: u32,
    #[serde(default)]
    gid: u32,
    #[serde(default = "unset_id")]
    loginuid: u32,
    #[serde(default)]
    cap_inheritable: u64,
    #[serde(default)]
    cap_permitted: u64,
    #[serde(default)]
    cap_effective: u64,
    #[serde(default)]
    tty: u32,
    /// `[subsystem, path]` pairs.
    #[serde(default)]
    cgroups: Vec<(String, String)>,
    #[serde(default)]
    container_id: String,
    #[serde(default)]
    clone_ts: u64,
    #[serde(default)]
    pidns_init_start_ts: u64,
    #[serde(default)]
    fdlimit: i64,
    #[serde(default)]
    clone_flags: u32,
    #[serde(default)]
    exe_writable: bool,
    #[serde(default)]
    exe_upper_layer: bool,
    #[serde(default)]
    exe_lower_layer: bool,
    #[serde(default)]
    exe_from_memfd: bool,
    #[serde(default)]
    exe_ino: u64,
    #[serde(default)]
    exe_ino_ctime: u64,
    #[serde(default)]
    exe_ino_mtime: u64,
    #[serde(default)]
    vmsize_kb: u32,
    #[serde(default)]
    vmrss_kb: u32,
    #[serde(default)]
    vmswap_kb: u32,
    #[serde(default)]
    last_seen: u64,
    #[serde(default)]
    exited: bool,
    #[serde(default)]
    from_proc_list: bool,
}

fn unset_id() -> u32 {
    u32::MAX
}

/// Serializes a borrowed thread through [`ThreadDef`].
struct ThreadOut<'a>(&'a ThreadInfo);

impl Serialize for ThreadOut<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ThreadDef::serialize(self.0, s)
    }
}

/// [`FdKind`] names in the file (snake case of the variant).
#[derive(Serialize, Deserialize)]
#[serde(remote = "FdKind", rename_all = "snake_case")]
#[allow(dead_code)] // only the derive reads the variants
enum FdKindDef {
    File,
    Directory,
    Ipv4Sock,
    Ipv6Sock,
    UnixSock,
    NetlinkSock,
    OtherSock,
    Pipe,
    EventFd,
    SignalFd,
    EventPoll,
    Inotify,
    TimerFd,
    Bpf,
    UserFaultFd,
    IoUring,
    Memfd,
    PidFd,
    Unsupported,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "L4Proto", rename_all = "snake_case")]
#[allow(dead_code)]
enum L4ProtoDef {
    Unknown,
    Tcp,
    Udp,
    Icmp,
    Raw,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "SockRole", rename_all = "snake_case")]
#[allow(dead_code)]
enum SockRoleDef {
    None,
    Client,
    Server,
}

/// One fd of a process: `{"fd":{"pid":..,"fd":..,"kind":..,"name":..,...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FdRecord {
    /// The process (fd table) the fd belongs to.
    pub pid: i64,
    /// The fd number.
    pub fd: i64,
    /// Object kind.
    #[serde(with = "FdKindDef")]
    pub kind: FdKind,
    /// `fd.name`.
    #[serde(default)]
    pub name: String,
    /// PPM open flags.
    #[serde(default)]
    pub open_flags: u32,
    /// Inode.
    #[serde(default)]
    pub ino: u64,
    /// Device.
    #[serde(default)]
    pub dev: u32,
    /// Socket details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sock: Option<SockRecord>,
}

/// [`SockInfo`] as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct SockRecord {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cip: Option<IpAddr>,
    #[serde(default)]
    pub cport: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sip: Option<IpAddr>,
    #[serde(default)]
    pub sport: u16,
    #[serde(with = "L4ProtoDef", default)]
    pub l4proto: L4Proto,
    #[serde(with = "SockRoleDef", default)]
    pub role: SockRole,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unix_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unix_ptrs: Option<(u64, u64)>,
    #[serde(default)]
    pub connected: bool,
}

impl FdRecord {
    fn from_state(pid: i64, f: &FdInfo) -> FdRecord {
        FdRecord {
            pid,
            fd: f.fd,
            kind: f.kind,
            name: f.name.clone(),
            open_flags: f.open_flags,
            ino: f.ino,
            dev: f.dev,
            sock: f.sock.as_ref().map(|s| SockRecord {
                cip: s.cip,
                cport: s.cport,
                sip: s.sip,
                sport: s.sport,
                l4proto: s.l4proto,
                role: s.role,
                unix_path: s.unix_path.clone(),
                unix_ptrs: s.unix_ptrs,
                connected: s.connected,
            }),
        }
    }

    /// The [`FdInfo`] this record describes.
    pub fn to_fd_info(&self) -> FdInfo {
        FdInfo {
            fd: self.fd,
            kind: self.kind,
            name: self.name.clone(),
            open_flags: self.open_flags,
            ino: self.ino,
            dev: self.dev,
            sock: self.sock.as_ref().map(|s| SockInfo {
                cip: s.cip,
                cport: s.cport,
                sip: s.sip,
                sport: s.sport,
                l4proto: s.l4proto,
                role: s.role,
                unix_path: s.unix_path.clone(),
                unix_ptrs: s.unix_ptrs,
                connected: s.connected,
            }),
        }
    }
}

/// A user of a (host or container) user table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct UserRecord {
    /// Container id; empty (or omitted) for the host.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub container: String,
    pub uid: u32,
    #[serde(default)]
    pub gid: u32,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub home: String,
    #[serde(default)]
    pub shell: String,
}

/// A group of a (host or container) group table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct GroupRecord {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub container: String,
    pub gid: u32,
    #[serde(default)]
    pub name: String,
}

/// A state line as read: externally tagged, so `{"thread":{..}}` is a thread.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
enum StateLine {
    // Boxed: a thread is far bigger than the other records, and this is only ever parsed.
    #[serde(rename = "thread", deserialize_with = "thread_boxed")]
    Thread(Box<ThreadInfo>),
    #[serde(rename = "fd")]
    Fd(FdRecord),
    #[serde(rename = "user")]
    User(UserRecord),
    #[serde(rename = "group")]
    Group(GroupRecord),
}

fn thread_boxed<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Box<ThreadInfo>, D::Error> {
    ThreadDef::deserialize(d).map(Box::new)
}

const STATE_KEYS: [&str; 4] = ["thread", "fd", "user", "group"];

// ---- writer -------------------------------------------------------------------------------

/// Writes a capture: header first ([`CaptureWriter::new`]), then the state
/// ([`CaptureWriter::write_state`]), then events ([`CaptureWriter::write_event`]).
pub struct CaptureWriter<W: Write> {
    out: W,
    line: String,
}

impl<W: Write> fmt::Debug for CaptureWriter<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaptureWriter").finish_non_exhaustive()
    }
}

fn to_io(e: serde_json::Error) -> io::Error {
    io::Error::other(e)
}

impl<W: Write> CaptureWriter<W> {
    /// Starts a capture on `out` with `header`.
    pub fn new(mut out: W, header: &Header) -> io::Result<CaptureWriter<W>> {
        serde_json::to_writer(&mut out, header).map_err(to_io)?;
        out.write_all(b"\n")?;
        Ok(CaptureWriter { out, line: String::new() })
    }

    fn record(&mut self, key: &str, value: &impl Serialize) -> io::Result<()> {
        write!(self.out, "{{\"{key}\":")?;
        serde_json::to_writer(&mut self.out, value).map_err(to_io)?;
        self.out.write_all(b"}\n")
    }

    /// Writes `state` as records, sorted (threads by tid, fds by pid then fd, users and groups
    /// by container then id) so the same state always gives the same text.
    pub fn write_state(&mut self, state: &State) -> io::Result<()> {
        let mut threads: Vec<&ThreadInfo> = state.threads().collect();
        threads.sort_by_key(|t| t.tid);
        for t in threads {
            self.record("thread", &ThreadOut(t))?;
        }
        let mut tables: Vec<(i64, Vec<&FdInfo>)> = state.fd_tables().map(|(pid, fds)| (pid, fds.collect())).collect();
        tables.sort_by_key(|(pid, _)| *pid);
        for (pid, fds) in tables {
            for f in fds {
                self.record("fd", &FdRecord::from_state(pid, f))?;
            }
        }
        let mut users: Vec<UserRecord> = state
            .users()
            .map(|(c, u)| UserRecord {
                container: c.to_owned(),
                uid: u.uid,
                gid: u.gid,
                name: u.name.clone(),
                home: u.home.clone(),
                shell: u.shell.clone(),
            })
            .collect();
        users.sort_by(|a, b| (&a.container, a.uid).cmp(&(&b.container, b.uid)));
        for u in &users {
            self.record("user", u)?;
        }
        let mut groups: Vec<GroupRecord> = state
            .groups()
            .map(|(c, g)| GroupRecord { container: c.to_owned(), gid: g.gid, name: g.name.clone() })
            .collect();
        groups.sort_by(|a, b| (&a.container, a.gid).cmp(&(&b.container, b.gid)));
        for g in &groups {
            self.record("group", g)?;
        }
        Ok(())
    }

    /// Writes one event line.
    pub fn write_event(&mut self, ev: &Event) -> io::Result<()> {
        self.line.clear();
        event_json(&mut self.line, ev);
        self.line.push('\n');
        self.out.write_all(self.line.as_bytes())
    }

    /// Flushes and returns the output.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// A JSON string literal.
fn jstr(out: &mut String, s: &str) {
    // `Value`'s Display is serde_json's escaping and cannot fail.
    let _ = write!(out, "{}", Value::from(s));
}

/// Bytes: a JSON string when they are UTF-8 (NULs and control characters escaped, so execve
/// args stay readable), else `{"base64":".."}`.
fn jbytes(out: &mut String, b: &[u8]) {
    match std::str::from_utf8(b) {
        Ok(s) => jstr(out, s),
        Err(_) => {
            out.push_str("{\"base64\":\"");
            base64_encode(out, b);
            out.push_str("\"}");
        }
    }
}

/// The event line, keys in a fixed reading order (ts, tid, cpu, id, event, dir, params).
fn event_json(out: &mut String, ev: &Event) {
    let _ = write!(out, "{{\"ts\":{},\"tid\":{},\"cpu\":{},\"id\":{},\"event\":", ev.ts, ev.tid, ev.cpu, ev.type_id);
    jstr(out, ev.name);
    let _ = write!(out, ",\"dir\":\"{}\"", ev.dir.as_str());
    if ev.dump_flags != 0 {
        let _ = write!(out, ",\"dump_flags\":{}", ev.dump_flags);
    }
    out.push_str(",\"params\":{");
    for (i, p) in ev.params.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        jstr(out, p.name);
        out.push(':');
        param_json(out, ev.name, p);
    }
    out.push_str("}}");
}

fn param_json(out: &mut String, event: &str, p: &Param) {
    use ParamValue as V;
    match &p.value {
        V::Absent => out.push_str("null"),
        V::I8(v) => push_num(out, *v),
        V::I16(v) => push_num(out, *v),
        V::I32(v) => push_num(out, *v),
        V::I64(v) | V::Fd(v) | V::Pid(v) => push_num(out, *v),
        V::Errno(v) => match (*v < 0).then(|| flags::errno_name(v.unsigned_abs())).flatten() {
            // The errno name beside the number, for the reader; the number is what counts.
            Some(name) => {
                let _ = write!(out, "[{v},\"{name}\"]");
            }
            None => push_num(out, *v),
        },
        V::U8(v) | V::SigType(v) | V::L4Proto(v) | V::SockFamily(v) => push_num(out, *v),
        V::U16(v) | V::SyscallId(v) | V::Port(v) => push_num(out, *v),
        V::U32(v) | V::Uid(v) | V::Gid(v) | V::Mode(v) | V::SigSet(v) => push_num(out, *v),
        V::U64(v) | V::RelTime(v) | V::AbsTime(v) => push_num(out, *v),
        V::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        V::Double(d) => {
            if d.is_finite() {
                let _ = write!(out, "{}", Value::from(*d));
            } else {
                // JSON has no NaN or infinity.
                jstr(out, &d.to_string());
            }
        }
        V::Flags { bits, .. } => match flags::flag_set_for(event, p.name) {
            Some(set) => {
                let _ = write!(out, "[{bits},");
                jstr(out, &p.value.render(Some(set)));
                out.push(']');
            }
            None => push_num(out, *bits),
        },
        V::Ipv4(a) => {
            let _ = write!(out, "\"{a}\"");
        }
        V::Ipv6(a) => {
            let _ = write!(out, "\"{a}\"");
        }
        V::Str(s) | V::Path(s) | V::RelPath(s) => jstr(out, s),
        V::Bytes(b) => jbytes(out, b),
        V::StrArray(v) => {
            out.push('[');
            for (i, s) in v.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                jstr(out, s);
            }
            out.push(']');
        }
        V::SockAddr(a) => match a {
            SockAddr::V4(ip, port) => {
                let _ = write!(out, "{{\"family\":\"inet\",\"addr\":\"{ip}\",\"port\":{port}}}");
            }
            SockAddr::V6(ip, port) => {
                let _ = write!(out, "{{\"family\":\"inet6\",\"addr\":\"{ip}\",\"port\":{port}}}");
            }
            SockAddr::Unix(path) => {
                out.push_str("{\"family\":\"unix\",\"path\":");
                jstr(out, path);
                out.push('}');
            }
            SockAddr::Other(fam, raw) => {
                let _ = write!(out, "{{\"family\":{fam},\"raw\":");
                jbytes(out, raw);
                out.push('}');
            }
        },
        V::SockTuple(t) => match t {
            SockTuple::V4 { sip, sport, dip, dport } => {
                let _ = write!(
                    out,
                    "{{\"family\":\"inet\",\"sip\":\"{sip}\",\"sport\":{sport},\"dip\":\"{dip}\",\"dport\":{dport}}}"
                );
            }
            SockTuple::V6 { sip, sport, dip, dport } => {
                let _ = write!(
                    out,
                    "{{\"family\":\"inet6\",\"sip\":\"{sip}\",\"sport\":{sport},\"dip\":\"{dip}\",\"dport\":{dport}}}"
                );
            }
            SockTuple::Unix { src, dst, path } => {
                let _ = write!(out, "{{\"family\":\"unix\",\"src\":{src},\"dst\":{dst},\"path\":");
                jstr(out, path);
                out.push('}');
            }
            SockTuple::Other(fam, raw) => {
                let _ = write!(out, "{{\"family\":{fam},\"raw\":");
                jbytes(out, raw);
                out.push('}');
            }
        },
        V::FdList(v) => {
            out.push('[');
            for (i, (fd, fl)) in v.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let _ = write!(out, "[{fd},{fl}]");
            }
            out.push(']');
        }
        V::Dyn { index, raw } => {
            let _ = write!(out, "{{\"index\":{index},\"raw\":");
            jbytes(out, raw);
            out.push('}');
        }
    }
}

fn push_num(out: &mut String, v: impl fmt::Display) {
    let _ = write!(out, "{v}");
}

// ---- base64 -------------------------------------------------------------------------------

/// Standard padded base64 (RFC 4648 §4). Decoding tolerates non-zero bits after the last byte,
/// as the format has always done; writers never produce them.
const B64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
);

fn base64_encode(out: &mut String, b: &[u8]) {
    use base64::Engine as _;
    B64.encode_string(b, out);
}

/// Decodes, with the error texts the format's documentation and tests use.
fn base64_decode(s: &str) -> Result<Vec<u8>, String> {
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

// ---- reader -------------------------------------------------------------------------------

/// A rulec capture reader: opening it reads the header and the state records; iterating yields
/// the events.
pub struct CaptureReader {
    src: Box<dyn BufRead>,
    line: u64,
    buf: Vec<u8>,
    /// The header line.
    pub header: Header,
    /// Threads of the starting state.
    pub threads: Vec<ThreadInfo>,
    /// Fds of the starting state.
    pub fds: Vec<FdRecord>,
    /// Users of the starting state.
    pub users: Vec<UserRecord>,
    /// Groups of the starting state.
    pub groups: Vec<GroupRecord>,
    pending: Option<Event>,
    done: bool,
}

impl fmt::Debug for CaptureReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaptureReader")
            .field("line", &self.line)
            .field("threads", &self.threads.len())
            .field("fds", &self.fds.len())
            .finish_non_exhaustive()
    }
}

impl CaptureReader {
    /// Opens a capture file.
    pub fn open(path: impl AsRef<Path>) -> Result<CaptureReader, CaptureError> {
        let path = path.as_ref();
        let f = File::open(path).map_err(|e| cerr(0, format!("cannot open {}: {e}", path.display())))?;
        CaptureReader::from_reader(f)
    }

    /// Reads a capture from a byte stream.
    pub fn from_reader(r: impl Read + 'static) -> Result<CaptureReader, CaptureError> {
        CaptureReader::from_bufread(Box::new(BufReader::with_capacity(1 << 16, r)))
    }

    /// Reads a capture from text in memory.
    pub fn from_bytes(b: Vec<u8>) -> Result<CaptureReader, CaptureError> {
        CaptureReader::from_reader(io::Cursor::new(b))
    }

    fn from_bufread(src: Box<dyn BufRead>) -> Result<CaptureReader, CaptureError> {
        let mut r = CaptureReader {
            src,
            line: 0,
            buf: Vec::new(),
            header: Header::new(None, None),
            threads: Vec::new(),
            fds: Vec::new(),
            users: Vec::new(),
            groups: Vec::new(),
            pending: None,
            done: false,
        };
        let Some(first) = r.next_line()? else {
            return Err(cerr(1, "empty file: expected the header line {\"format\":\"rulec-capture\",...}"));
        };
        r.header = parse_header(r.line, &first)?;
        let mut records = 0usize;
        while let Some(text) = r.next_line()? {
            let line = r.line;
            let v = parse_object(line, &text)?;
            if let Some(key) = STATE_KEYS.iter().find(|k| v.contains_key(**k)) {
                records += 1;
                if records > MAX_STATE_RECORDS {
                    return Err(cerr(line, format!("more than {MAX_STATE_RECORDS} state records")));
                }
                // Parsed again from the text, typed, so serde's message carries the column.
                let rec: StateLine = serde_json::from_str(&text).map_err(|e| {
                    let mut e = json_err(line, &e);
                    e.message = format!("{key} record: {}", e.message);
                    e
                })?;
                match rec {
                    StateLine::Thread(t) => r.threads.push(*t),
                    StateLine::Fd(f) => r.fds.push(f),
                    StateLine::User(u) => r.users.push(u),
                    StateLine::Group(g) => r.groups.push(g),
                }
            } else {
                r.pending = Some(parse_event(line, &v)?);
                break;
            }
        }
        if r.pending.is_none() {
            r.done = true;
        }
        Ok(r)
    }

    /// Seeds `state` with the starting state: threads, then fds (so fd tables are shared as the
    /// threads say), then users and groups.
    pub fn seed(&self, state: &mut State) {
        for t in &self.threads {
            state.add_thread(t.clone());
        }
        for f in &self.fds {
            state.add_fd(f.pid, f.to_fd_info());
        }
        for u in &self.users {
            state.add_user(
                &u.container,
                UserInfo { uid: u.uid, gid: u.gid, name: u.name.clone(), home: u.home.clone(), shell: u.shell.clone() },
            );
        }
        for g in &self.groups {
            state.add_group(&g.container, GroupInfo { gid: g.gid, name: g.name.clone() });
        }
    }

    /// The number of the last line read.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The next non-blank line, without its line end; `None` at the end of the file.
    fn next_line(&mut self) -> Result<Option<String>, CaptureError> {
        loop {
            self.buf.clear();
            self.line += 1;
            let line = self.line;
            // Read at most one byte past the cap, so a missing newline cannot grow the buffer
            // without bound.
            let n = (&mut self.src)
                .take(MAX_LINE_BYTES as u64 + 1)
                .read_until(b'\n', &mut self.buf)
                .map_err(|e| cerr(line, format!("read failed: {e}")))?;
            if n == 0 {
                return Ok(None);
            }
            if self.buf.len() > MAX_LINE_BYTES && self.buf.last() != Some(&b'\n') {
                return Err(cerr(line, format!("line longer than {MAX_LINE_BYTES} bytes")));
            }
            while matches!(self.buf.last(), Some(b'\n' | b'\r')) {
                self.buf.pop();
            }
            if self.buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let text = std::str::from_utf8(&self.buf)
                .map_err(|e| cerr(line, format!("not UTF-8 text (byte {} of the line)", e.valid_up_to() + 1)))?;
            return Ok(Some(text.to_owned()));
        }
    }

    fn next_event(&mut self) -> Result<Option<Event>, CaptureError> {
        if let Some(ev) = self.pending.take() {
            return Ok(Some(ev));
        }
        let Some(text) = self.next_line()? else {
            return Ok(None);
        };
        let line = self.line;
        let v = parse_object(line, &text)?;
        if let Some(key) = STATE_KEYS.iter().find(|k| v.contains_key(**k)) {
            return Err(cerr(
                line,
                format!("a {key} record after the first event: the starting state comes before the events"),
            ));
        }
        parse_event(line, &v).map(Some)
    }
}

impl Iterator for CaptureReader {
    type Item = Result<Event, CaptureError>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.next_event() {
            Ok(Some(ev)) => Some(Ok(ev)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

fn parse_object(line: u64, text: &str) -> Result<Map<String, Value>, CaptureError> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(other) => Err(cerr(line, format!("expected a JSON object, found {}", kind_of(&other)))),
        Err(e) => Err(json_err(line, &e)),
    }
}

fn parse_header(line: u64, text: &str) -> Result<Header, CaptureError> {
    let missing = || {
        cerr(
            line,
            "missing header: the first line of a rulec capture must be {\"format\":\"rulec-capture\",\"version\":1,...}",
        )
    };
    let v = parse_object(line, text).map_err(|e| match serde_json::from_str::<Value>(text) {
        Ok(_) => missing(),
        Err(_) => e,
    })?;
    match v.get("format") {
        Some(Value::String(f)) if f == FORMAT_NAME => {}
        Some(Value::String(f)) => {
            return Err(cerr(line, format!("header: format is \"{f}\", expected \"{FORMAT_NAME}\"")));
        }
        _ => return Err(missing()),
    }
    let h: Header = serde_json::from_value(Value::Object(v)).map_err(|e| cerr(line, format!("header: {e}")))?;
    if h.version == 0 || h.version > FORMAT_VERSION {
        return Err(cerr(
            line,
            format!("header: format version {} is not one this rulec reads (1..={FORMAT_VERSION})", h.version),
        ));
    }
    Ok(h)
}

fn kind_of(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("{b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) if s.len() <= 40 => format!("the string {}", Value::from(s.as_str())),
        Value::String(_) => "a string".into(),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

// ---- events -------------------------------------------------------------------------------

const EVENT_KEYS: [&str; 8] = ["ts", "tid", "cpu", "id", "event", "dir", "dump_flags", "params"];

/// Event name and direction → the id to use when a line has no `id`: the current version
/// (no `EF_OLD_VERSION`) if there is one, else the newest. Generic events always give their id.
fn id_by_name(name: &str, dir: Direction) -> Option<u16> {
    rulec_schema::newest_event_def(name, dir)
        .filter(|i| !i.enum_name.is_empty() && !rulec_schema::is_generic_id(i.id))
        .map(|i| i.id)
}

fn parse_event(line: u64, v: &Map<String, Value>) -> Result<Event, CaptureError> {
    let e = |m: String| cerr(line, m);
    if let Some(k) = v.keys().find(|k| !EVENT_KEYS.contains(&k.as_str())) {
        return Err(e(format!(
            "unknown key \"{}\": an event line has {}; a state line is one of {}",
            k.escape_default(),
            EVENT_KEYS.join(", "),
            STATE_KEYS.join(", ")
        )));
    }
    let name = match v.get("event") {
        Some(Value::String(s)) => s.as_str(),
        Some(other) => return Err(e(format!("`event` must be an event name, found {}", kind_of(other)))),
        None => return Err(e("an event line needs `event` (the event name)".into())),
    };
    let dir = match v.get("dir") {
        Some(Value::String(s)) if s == ">" => Direction::Enter,
        Some(Value::String(s)) if s == "<" => Direction::Exit,
        Some(other) => return Err(e(format!("`dir` must be \">\" or \"<\", found {}", kind_of(other)))),
        None => return Err(e("an event line needs `dir` (\">\" enter or \"<\" exit)".into())),
    };
    let ts = field_int(v, "ts", 0, u64::MAX.into()).map_err(&e)?.unwrap_or(0) as u64;
    let tid = field_int(v, "tid", i64::MIN.into(), i64::MAX.into())
        .map_err(&e)?
        .ok_or_else(|| e("an event line needs `tid`".into()))? as i64;
    let cpu = field_int(v, "cpu", 0, u16::MAX.into()).map_err(&e)?.unwrap_or(0) as u16;
    let dump_flags = field_int(v, "dump_flags", 0, u32::MAX.into()).map_err(&e)?.unwrap_or(0) as u32;
    let params_obj = match v.get("params") {
        None | Some(Value::Null) => None,
        Some(Value::Object(m)) => Some(m),
        Some(other) => return Err(e(format!("`params` must be an object (name → value), found {}", kind_of(other)))),
    };
    let given_id = field_int(v, "id", 0, u16::MAX.into()).map_err(&e)?.map(|i| i as u16);
    let generic_code = crate::syscalls::ppm_sc_code(name);
    let type_id = match given_id {
        Some(id) => id,
        None => match id_by_name(name, dir) {
            Some(id) => id,
            // A syscall without an event of its own is a generic event named after it.
            None if generic_code.is_some() => u16::from(dir == Direction::Exit),
            None => return Err(e(format!("unknown event \"{}\"", name.escape_default()))),
        },
    };
    let Some(info) = rulec_schema::event_def(type_id).filter(|i| !i.enum_name.is_empty()) else {
        return Err(e(format!(
            "unknown event id {type_id} (this rulec's event table has ids 0..{})",
            rulec_schema::event_table().len()
        )));
    };
    if info.dir != dir {
        return Err(e(format!(
            "event id {type_id} is a{} event, but `dir` is \"{}\"",
            if info.dir == Direction::Enter { "n enter (>)" } else { "n exit (<)" },
            dir.as_str()
        )));
    }
    let generic = rulec_schema::is_generic_id(type_id);
    let empty = Map::new();
    let obj = params_obj.unwrap_or(&empty);
    // Where each given param goes: its place in the table, or `p<N>` past the table's end.
    let mut slots: Vec<Option<&Value>> = Vec::new();
    for (k, val) in obj {
        let idx = match info.params.iter().position(|(n, _)| *n == k) {
            Some(i) => i,
            None => match k.strip_prefix('p').and_then(|n| n.parse::<usize>().ok()) {
                Some(i) if i >= info.params.len() && i < scap::MAX_PARAMS && k == &format!("p{i}") => i,
                _ => {
                    let names: Vec<&str> = info.params.iter().map(|(n, _)| *n).collect();
                    return Err(e(format!(
                        "event {} has no parameter \"{}\" (its parameters: {})",
                        info.name,
                        k.escape_default(),
                        if names.is_empty() { "none".to_owned() } else { names.join(", ") }
                    )));
                }
            },
        };
        if slots.len() <= idx {
            slots.resize(idx + 1, None);
        }
        slots[idx] = Some(val);
    }
    let mut params = Vec::with_capacity(slots.len());
    for (i, val) in slots.iter().enumerate() {
        let (pname, ty) = info
            .params
            .get(i)
            .copied()
            .unwrap_or((scap::EXTRA_NAMES.get(i).copied().unwrap_or("p?"), ParamType::ByteBuf));
        // Params before the last one given that the line leaves out are absent (zero-length
        // in scap terms), as a null says explicitly.
        let value = match val {
            None | Some(Value::Null) => ParamValue::Absent,
            Some(val) => value_of(ty, val).map_err(|m| e(format!("{} param \"{pname}\": {m}", info.name)))?,
        };
        params.push(Param { name: pname, ty, value });
    }
    let name: &'static str = if generic {
        // A hand-written generic event may leave out `ID`: the name says which syscall.
        if params.first().is_none_or(|p| p.value == ParamValue::Absent)
            && let Some(code) = generic_code
        {
            let value = ParamValue::SyscallId(code);
            match params.first_mut() {
                Some(p) => p.value = value,
                None => params.push(Param {
                    name: info.params.first().map_or("ID", |p| p.0),
                    ty: ParamType::SyscallId,
                    value,
                }),
            }
        }
        let computed = crate::syscalls::generic_name(&params);
        if computed != name {
            return Err(e(format!(
                "generic event: its ID param names syscall \"{computed}\", but `event` is \"{}\"",
                name.escape_default()
            )));
        }
        computed
    } else {
        if info.name != name {
            return Err(e(format!(
                "event id {type_id} is {}, but `event` is \"{}\"",
                info.name,
                name.escape_default()
            )));
        }
        info.name
    };
    Ok(Event { ts, tid, cpu, type_id, dir, name, params, dump_flags })
}

/// An optional integer field of an event line, range-checked.
fn field_int(v: &Map<String, Value>, key: &str, min: i128, max: i128) -> Result<Option<i128>, String> {
    match v.get(key) {
        None => Ok(None),
        Some(val) => int_in(val, min, max).map(Some).map_err(|m| format!("`{key}`: {m}")),
    }
}

/// An integer in `min..=max`: a JSON number, or `[number, "text"]` (the text is the name the
/// writer puts beside flags and errnos for the reader; the number is authoritative).
fn int_in(v: &Value, min: i128, max: i128) -> Result<i128, String> {
    let n = match v {
        Value::Array(a) if matches!(a.as_slice(), [Value::Number(_), Value::String(_)]) => &a[0],
        other => other,
    };
    let Value::Number(num) = n else {
        return Err(format!("expected an integer, found {}", kind_of(v)));
    };
    let i = num
        .as_i64()
        .map(i128::from)
        .or_else(|| num.as_u64().map(i128::from))
        .ok_or_else(|| format!("expected an integer in {min}..={max}, found {num}"))?;
    if i < min || i > max {
        return Err(format!("{i} is out of range {min}..={max}"));
    }
    Ok(i)
}

fn str_of(v: &Value) -> Result<&str, String> {
    v.as_str().ok_or_else(|| format!("expected a string, found {}", kind_of(v)))
}

fn bytes_of(v: &Value) -> Result<Vec<u8>, String> {
    match v {
        Value::String(s) => Ok(s.as_bytes().to_vec()),
        Value::Object(m) if m.len() == 1 => match m.get("base64") {
            Some(Value::String(b)) => base64_decode(b),
            _ => Err("expected a string or {\"base64\":\"...\"}".into()),
        },
        other => Err(format!("expected a string or {{\"base64\":\"...\"}}, found {}", kind_of(other))),
    }
}

fn obj_of<'a>(v: &'a Value, what: &str, keys: &[&str]) -> Result<&'a Map<String, Value>, String> {
    let m = v.as_object().ok_or_else(|| format!("expected {what} object, found {}", kind_of(v)))?;
    if let Some(k) = m.keys().find(|k| !keys.contains(&k.as_str())) {
        return Err(format!("unknown key \"{}\" in {what} (keys: {})", k.escape_default(), keys.join(", ")));
    }
    Ok(m)
}

fn get<'a>(m: &'a Map<String, Value>, key: &str) -> Result<&'a Value, String> {
    m.get(key).ok_or_else(|| format!("missing `{key}`"))
}

fn ip4_of(v: &Value) -> Result<Ipv4Addr, String> {
    let s = str_of(v)?;
    s.parse().map_err(|_| format!("\"{}\" is not an IPv4 address", s.escape_default()))
}

fn ip6_of(v: &Value) -> Result<Ipv6Addr, String> {
    let s = str_of(v)?;
    s.parse().map_err(|_| format!("\"{}\" is not an IPv6 address", s.escape_default()))
}

fn port_of(m: &Map<String, Value>, key: &str) -> Result<u16, String> {
    int_in(get(m, key)?, 0, u16::MAX.into()).map(|p| p as u16).map_err(|e| format!("`{key}`: {e}"))
}

/// The family of a sockaddr/socktuple object: `"inet"`, `"inet6"`, `"unix"` or a PPM number.
fn family_of(m: &Map<String, Value>) -> Result<Result<&str, u8>, String> {
    match get(m, "family")? {
        Value::String(s) if matches!(s.as_str(), "inet" | "inet6" | "unix") => Ok(Ok(s.as_str())),
        other => int_in(other, 0, u8::MAX.into()).map(|f| Err(f as u8)).map_err(|_| {
            format!("`family` must be \"inet\", \"inet6\", \"unix\" or a number, found {}", kind_of(other))
        }),
    }
}

/// Decodes a param value of table type `ty`, mirroring [`ParamValue::decode`]'s type → variant
/// mapping so a written and read event equals the decoded one.
fn value_of(ty: ParamType, v: &Value) -> Result<ParamValue, String> {
    use ParamType as T;
    use ParamValue as V;
    let int = |min: i128, max: i128| int_in(v, min, max);
    Ok(match ty {
        T::Int8 => V::I8(int(i8::MIN.into(), i8::MAX.into())? as i8),
        T::Int16 => V::I16(int(i16::MIN.into(), i16::MAX.into())? as i16),
        T::Int32 => V::I32(int(i32::MIN.into(), i32::MAX.into())? as i32),
        T::Int64 => V::I64(int(i64::MIN.into(), i64::MAX.into())? as i64),
        T::Uint8 => V::U8(int(0, u8::MAX.into())? as u8),
        T::Uint16 => V::U16(int(0, u16::MAX.into())? as u16),
        T::Uint32 => V::U32(int(0, u32::MAX.into())? as u32),
        T::Uint64 => V::U64(int(0, u64::MAX.into())? as u64),
        T::Bool => match v {
            Value::Bool(b) => V::Bool(*b),
            _ => V::Bool(int(0, u32::MAX.into())? != 0),
        },
        T::Double => match v {
            Value::Number(n) => V::Double(n.as_f64().ok_or("expected a number")?),
            Value::String(s) => V::Double(match s.as_str() {
                "NaN" => f64::NAN,
                "inf" => f64::INFINITY,
                "-inf" => f64::NEG_INFINITY,
                _ => return Err(format!("expected a number, \"NaN\", \"inf\" or \"-inf\", found {}", kind_of(v))),
            }),
            _ => return Err(format!("expected a number, found {}", kind_of(v))),
        },
        T::Errno => V::Errno(int(i64::MIN.into(), i64::MAX.into())? as i64),
        T::Fd => V::Fd(int(i64::MIN.into(), i64::MAX.into())? as i64),
        T::Fd32 => V::Fd(int(i32::MIN.into(), i32::MAX.into())? as i64),
        T::Pid => V::Pid(int(i64::MIN.into(), i64::MAX.into())? as i64),
        T::Pid32 => V::Pid(int(i32::MIN.into(), i32::MAX.into())? as i64),
        T::Uid => V::Uid(int(0, u32::MAX.into())? as u32),
        T::Gid => V::Gid(int(0, u32::MAX.into())? as u32),
        T::Mode => V::Mode(int(0, u32::MAX.into())? as u32),
        T::Flags8 | T::EnumFlags8 => V::Flags { ty, bits: int(0, u8::MAX.into())? as u64 },
        T::Flags16 | T::EnumFlags16 => V::Flags { ty, bits: int(0, u16::MAX.into())? as u64 },
        T::Flags32 | T::EnumFlags32 => V::Flags { ty, bits: int(0, u32::MAX.into())? as u64 },
        T::SigType => V::SigType(int(0, u8::MAX.into())? as u8),
        T::SigSet => V::SigSet(int(0, u32::MAX.into())? as u32),
        T::SyscallId => V::SyscallId(int(0, u16::MAX.into())? as u16),
        T::Port => V::Port(int(0, u16::MAX.into())? as u16),
        T::L4Proto => V::L4Proto(int(0, u8::MAX.into())? as u8),
        T::SockFamily => V::SockFamily(int(0, u8::MAX.into())? as u8),
        T::RelTime => V::RelTime(int(0, u64::MAX.into())? as u64),
        T::AbsTime => V::AbsTime(int(0, u64::MAX.into())? as u64),
        T::Ipv4Addr => V::Ipv4(ip4_of(v)?),
        T::Ipv6Addr => V::Ipv6(ip6_of(v)?),
        T::CharBuf => V::Str(str_of(v)?.to_owned()),
        T::FsPath => V::Path(str_of(v)?.to_owned()),
        T::FsRelPath => V::RelPath(str_of(v)?.to_owned()),
        T::CharBufArray | T::CharBufPairArray => {
            let a = v.as_array().ok_or_else(|| format!("expected an array of strings, found {}", kind_of(v)))?;
            V::StrArray(a.iter().map(|s| str_of(s).map(str::to_owned)).collect::<Result<_, _>>()?)
        }
        T::SockAddr => {
            let m = obj_of(v, "a sockaddr", &["family", "addr", "port", "path", "raw"])?;
            V::SockAddr(match family_of(m)? {
                Ok("inet") => SockAddr::V4(ip4_of(get(m, "addr")?)?, port_of(m, "port")?),
                Ok("inet6") => SockAddr::V6(ip6_of(get(m, "addr")?)?, port_of(m, "port")?),
                Ok(_) => SockAddr::Unix(str_of(get(m, "path")?)?.to_owned()),
                Err(f) => SockAddr::Other(f, bytes_of(get(m, "raw")?)?),
            })
        }
        T::SockTuple => {
            let m = obj_of(v, "a socktuple", &["family", "sip", "sport", "dip", "dport", "src", "dst", "path", "raw"])?;
            V::SockTuple(match family_of(m)? {
                Ok("inet") => SockTuple::V4 {
                    sip: ip4_of(get(m, "sip")?)?,
                    sport: port_of(m, "sport")?,
                    dip: ip4_of(get(m, "dip")?)?,
                    dport: port_of(m, "dport")?,
                },
                Ok("inet6") => SockTuple::V6 {
                    sip: ip6_of(get(m, "sip")?)?,
                    sport: port_of(m, "sport")?,
                    dip: ip6_of(get(m, "dip")?)?,
                    dport: port_of(m, "dport")?,
                },
                Ok(_) => SockTuple::Unix {
                    src: int_in(get(m, "src")?, 0, u64::MAX.into()).map_err(|e| format!("`src`: {e}"))? as u64,
                    dst: int_in(get(m, "dst")?, 0, u64::MAX.into()).map_err(|e| format!("`dst`: {e}"))? as u64,
                    path: str_of(get(m, "path")?)?.to_owned(),
                },
                Err(f) => SockTuple::Other(f, bytes_of(get(m, "raw")?)?),
            })
        }
        T::FdList => {
            let a = v.as_array().ok_or_else(|| format!("expected an array of [fd, flags], found {}", kind_of(v)))?;
            // The scap encoding counts entries in a u16.
            if a.len() > usize::from(u16::MAX) {
                return Err(format!("{} entries, at most {}", a.len(), u16::MAX));
            }
            let mut out = Vec::with_capacity(a.len());
            for item in a {
                match item.as_array().map(Vec::as_slice) {
                    Some([fd, fl]) => out.push((
                        int_in(fd, i64::MIN.into(), i64::MAX.into())? as i64,
                        int_in(fl, 0, u16::MAX.into())? as u16,
                    )),
                    _ => return Err(format!("expected an [fd, flags] pair, found {}", kind_of(item))),
                }
            }
            V::FdList(out)
        }
        T::Dynamic => {
            let m = obj_of(v, "a dynamic value", &["index", "raw"])?;
            V::Dyn {
                index: int_in(get(m, "index")?, 0, u8::MAX.into()).map_err(|e| format!("`index`: {e}"))? as u8,
                raw: bytes_of(get(m, "raw")?)?,
            }
        }
        // BYTEBUF, and the types `decode` also keeps as bytes.
        _ => V::Bytes(bytes_of(v)?),
    })
}

// ---- either format ------------------------------------------------------------------------

/// A capture of either format, opened by content.
#[derive(Debug)]
pub enum CaptureSource {
    /// A Falco/sysdig `.scap`.
    Scap(ScapReader),
    /// A rulec JSON Lines capture.
    Jsonl(CaptureReader),
}

/// An error reading either format.
#[derive(Debug)]
pub enum CaptureFileError {
    /// From the `.scap` reader (has the byte offset).
    Scap(ScapError),
    /// From the JSON Lines reader (has the line).
    Jsonl(CaptureError),
}

impl fmt::Display for CaptureFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CaptureFileError::Scap(e) => e.fmt(f),
            CaptureFileError::Jsonl(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for CaptureFileError {}

impl From<ScapError> for CaptureFileError {
    fn from(e: ScapError) -> Self {
        CaptureFileError::Scap(e)
    }
}

impl From<CaptureError> for CaptureFileError {
    fn from(e: CaptureError) -> Self {
        CaptureFileError::Jsonl(e)
    }
}

/// True when `head` (the first bytes of a file) looks like a rulec capture: JSON text starting
/// with `{`. A `.scap` starts with its section-header magic or gzip's, never with that.
pub fn looks_like_jsonl(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xEF\xBB\xBF".as_slice()).unwrap_or(head);
    head.iter().find(|c| !c.is_ascii_whitespace()) == Some(&b'{')
}

impl CaptureSource {
    /// Opens `path`, reading it as a rulec capture when its content starts like one
    /// ([`looks_like_jsonl`]), else as a `.scap`.
    pub fn open(path: impl AsRef<Path>) -> Result<CaptureSource, CaptureFileError> {
        let path = path.as_ref();
        let mut f = File::open(path)
            .map_err(|e| CaptureFileError::Jsonl(cerr(0, format!("cannot open {}: {e}", path.display()))))?;
        let mut head = [0u8; 64];
        let mut n = 0;
        while n < head.len() {
            match f.read(&mut head[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(CaptureFileError::Jsonl(cerr(0, format!("cannot read {}: {e}", path.display()))));
                }
            }
        }
        let src = io::Cursor::new(head[..n].to_vec()).chain(f);
        if looks_like_jsonl(&head[..n]) {
            Ok(CaptureSource::Jsonl(CaptureReader::from_reader(src)?))
        } else {
            Ok(CaptureSource::Scap(ScapReader::from_reader(src)?))
        }
    }

    /// The starting state the capture describes, under `limits`.
    pub fn initial_state(&self, limits: Limits) -> State {
        let mut state = State::with_limits(limits);
        match self {
            CaptureSource::Scap(r) => seed_state(&mut state, r),
            CaptureSource::Jsonl(r) => r.seed(&mut state),
        }
        state
    }

    /// Machine info, when the capture has it.
    pub fn machine(&self) -> Option<Machine> {
        match self {
            CaptureSource::Scap(r) => r.machine.as_ref().map(Machine::from),
            CaptureSource::Jsonl(r) => r.header.machine.clone(),
        }
    }

    /// `"scap"` or `"rulec-capture"`.
    pub fn format_name(&self) -> &'static str {
        match self {
            CaptureSource::Scap(_) => "scap",
            CaptureSource::Jsonl(_) => FORMAT_NAME,
        }
    }
}

impl Iterator for CaptureSource {
    type Item = Result<Event, CaptureFileError>;
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            CaptureSource::Scap(r) => r.next().map(|e| e.map_err(CaptureFileError::from)),
            CaptureSource::Jsonl(r) => r.next().map(|e| e.map_err(CaptureFileError::from)),
        }
    }
}

impl Replay<CaptureReader> {
    /// Opens a rulec capture for replay with the given state limits.
    pub fn open_jsonl(path: impl AsRef<Path>, limits: Limits) -> Result<Replay<CaptureReader>, CaptureError> {
        Ok(Replay::from_capture_reader(CaptureReader::open(path)?, limits))
    }

    /// Builds a replay over an opened rulec capture: seeds the state from its records.
    pub fn from_capture_reader(reader: CaptureReader, limits: Limits) -> Replay<CaptureReader> {
        let mut state = State::with_limits(limits);
        reader.seed(&mut state);
        Replay::with_state(reader, state)
    }
}

/// Opens a capture of either format for replay (what `rulec test`'s `capture:` uses).
pub fn open_replay(path: impl AsRef<Path>, limits: Limits) -> Result<Replay<CaptureSource>, CaptureFileError> {
    let src = CaptureSource::open(path)?;
    let state = src.initial_state(limits);
    Ok(Replay::with_state(src, state))
}

/// Converts a capture (either format) to a rulec capture on `out`: header, the starting
/// state, the events as read. `source` names the input in the header. Returns the number of
/// events written.
pub fn convert(src: CaptureSource, source: Option<String>, out: impl Write) -> Result<u64, ConvertError> {
    let header = Header::new(src.machine(), source);
    let state = src.initial_state(Limits::default());
    let mut w = CaptureWriter::new(out, &header).map_err(ConvertError::Write)?;
    w.write_state(&state).map_err(ConvertError::Write)?;
    let mut n = 0u64;
    for ev in src {
        let ev = ev.map_err(ConvertError::Read)?;
        w.write_event(&ev).map_err(ConvertError::Write)?;
        n += 1;
    }
    w.finish().map_err(ConvertError::Write)?;
    Ok(n)
}

/// Why a conversion stopped.
#[derive(Debug)]
pub enum ConvertError {
    /// The input is malformed.
    Read(CaptureFileError),
    /// The output could not be written.
    Write(io::Error),
}

/// Counts describing a capture, for `rulec capture info`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Events by (name, direction).
    pub events_by_type: BTreeMap<(String, &'static str), u64>,
    /// All events.
    pub events: u64,
    /// First and last event timestamps.
    pub first_ts: Option<u64>,
    /// Last event timestamp.
    pub last_ts: Option<u64>,
    /// Threads of the starting state.
    pub threads: usize,
    /// Processes (distinct pids) of the starting state.
    pub processes: usize,
    /// Fds of the starting state.
    pub fds: usize,
    /// Users of the starting state.
    pub users: usize,
    /// Groups of the starting state.
    pub groups: usize,
}

/// Reads a whole capture and counts what it holds.
pub fn summarize(src: CaptureSource) -> Result<Summary, CaptureFileError> {
    let state = src.initial_state(Limits::default());
    let mut s = Summary {
        threads: state.thread_count(),
        processes: state.threads().map(|t| t.pid).collect::<std::collections::HashSet<_>>().len(),
        fds: state.fd_tables().map(|(_, f)| f.count()).sum(),
        users: state.users().count(),
        groups: state.groups().count(),
        ..Summary::default()
    };
    for ev in src {
        let ev = ev?;
        s.events += 1;
        s.first_ts.get_or_insert(ev.ts);
        s.last_ts = Some(ev.ts);
        *s.events_by_type.entry((ev.name.to_owned(), ev.dir.as_str())).or_default() += 1;
    }
    Ok(s)
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
