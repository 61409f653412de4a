//! The event model shared by golden tests, capture replay and live capture.
//!
//! An [`Event`] is one record of the driver's event stream: a timestamp, the thread that
//! produced it, its event-table id (which fixes the name and the direction: even ids are enter
//! events `>`, odd ids exit events `<`), and its decoded parameters. Parameter values are typed
//! ([`ParamValue`]) after libscap's `ppm_param_type`; [`ParamType`] is that type tag as it appears
//! in the event table (the schema's).
//!
//! Parameters are read through the schema's typed keys (`ev.get(params::open_x::FD)`,
//! `typed.rs`), never by a name written in the code.
//!
//! [`ParamValue::render`] turns a value into the text Falco's `evt.arg.NAME` shows:
//!
//! * integers, uids, gids, pids, fds: decimal. (Falco additionally resolves an fd to
//!   `<f>/path` when it knows the fd; that needs the state machine, see
//!   [`crate::state::State::fd`]; here fds are plain numbers.)
//! * `ERRNO`: a negative value is the errno *name* (`-2` → `ENOENT`), which is what libsinsp's
//!   "resolved" string is and what `evt.arg.res` returns; zero and positive values are decimal.
//!   An unknown negative errno stays numeric (`-4242`). `evt.rawarg.res` keeps the number.
//! * flags (`FLAGS*`): the names of the set bits joined with `|` in the order of the libs flag
//!   table (`O_RDONLY|O_CLOEXEC`), using the PPM encodings (not Linux values: `PPM_O_RDONLY` is
//!   `1<<0`) from [`crate::flags`]; a flag set we have no table for renders as the number.
//!   `ENUMFLAGS*` render the single matching name (`AF_INET`).
//! * strings and paths: as is. Byte buffers: printable ASCII kept, anything else as `.`
//!   (libsinsp's normal buffer format), so execve `args` `-c\0ls\0` shows as `-c.ls.`.
//! * sockaddr: `1.2.3.4:80`; IPv6 without brackets (`::1:80`) like libsinsp; unix: the path.
//! * `MODE`: octal with a leading 0 (`0644`), as C's `%#o`.
//! * socktuple: `sip:sport->dip:dport`; unix: `src_ptr->dst_ptr path` (hex pointers).
//! * absent (zero-length) parameters render as the empty string.

mod build;
mod params;
mod typed;

pub use build::build_event;
pub(crate) use params::{EXTRA_NAMES, Loc};
pub use params::{ParamRef, Params};
pub use typed::ParamKind;

use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

use rulec_schema::{EventDef, EventFlags, flags};

/// Direction of an event (the schema's [`rulec_schema::Dir`]): even event-table ids are enter
/// events, odd ids exit events.
pub use rulec_schema::Dir as Direction;
/// The `ppm_param_type` of a parameter: the schema's, one type for every table and reader.
pub use rulec_schema::ParamType;

/// A socket address (`SOCKADDR` parameter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SockAddr {
    /// `PPM_AF_INET`: address and port.
    V4(Ipv4Addr, u16),
    /// `PPM_AF_INET6`: address and port.
    V6(Ipv6Addr, u16),
    /// `PPM_AF_UNIX`: the socket path (may be empty or abstract).
    Unix(String),
    /// Any other family: the PPM family number and the raw bytes after it.
    Other(u8, Vec<u8>),
}

/// A connection tuple (`SOCKTUPLE` parameter). For connect it is local → remote, for accept
/// remote → local, i.e. always client → server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SockTuple {
    /// IPv4: source address/port, destination address/port.
    V4 {
        /// Source address.
        sip: Ipv4Addr,
        /// Source port.
        sport: u16,
        /// Destination address.
        dip: Ipv4Addr,
        /// Destination port.
        dport: u16,
    },
    /// IPv6: source address/port, destination address/port.
    V6 {
        /// Source address.
        sip: Ipv6Addr,
        /// Source port.
        sport: u16,
        /// Destination address.
        dip: Ipv6Addr,
        /// Destination port.
        dport: u16,
    },
    /// Unix: kernel socket pointers of both ends and the path.
    Unix {
        /// Source socket pointer.
        src: u64,
        /// Destination (peer) socket pointer.
        dst: u64,
        /// Socket path.
        path: String,
    },
    /// Any other family: the PPM family number and raw bytes.
    Other(u8, Vec<u8>),
}

/// A decoded parameter value.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)]
pub enum ParamValue {
    /// Zero-length parameter: "absent" in libscap terms.
    Absent,
    I8(i8),
    I16(i16),
    I32(i32),
    I64(i64),
    U8(u8),
    U16(u16),
    U32(u32),
    U64(u64),
    Bool(bool),
    Double(f64),
    /// Return value that is `-errno` on failure.
    Errno(i64),
    /// File descriptor (`FD` and `FD32`).
    Fd(i64),
    /// Process/thread id (`PID` and `PID32`).
    Pid(i64),
    Uid(u32),
    Gid(u32),
    /// File mode bits (`MODE`).
    Mode(u32),
    /// Flag bits, raw PPM encoding; `ty` tells the width and whether it is an enum.
    Flags {
        ty: ParamType,
        bits: u64,
    },
    SigType(u8),
    SigSet(u32),
    SyscallId(u16),
    Port(u16),
    L4Proto(u8),
    SockFamily(u8),
    /// Nanoseconds (relative).
    RelTime(u64),
    /// Nanoseconds since epoch.
    AbsTime(u64),
    Ipv4(Ipv4Addr),
    Ipv6(Ipv6Addr),
    /// `CHARBUF` (NUL stripped).
    Str(String),
    /// `FSPATH`: an absolute (or cwd-relative, as the process wrote it) path.
    Path(String),
    /// `FSRELPATH`: a path relative to the event's `dirfd` param.
    RelPath(String),
    /// `BYTEBUF`: raw bytes (args/env/cgroups are NUL-separated lists, see [`Event::list`]).
    Bytes(Vec<u8>),
    /// `CHARBUFARRAY` / `CHARBUF_PAIR_ARRAY`: NUL-separated strings.
    StrArray(Vec<String>),
    SockAddr(SockAddr),
    SockTuple(SockTuple),
    /// `FDLIST`: (fd, poll flags) pairs.
    FdList(Vec<(i64, u16)>),
    /// `DYN`: the per-event type index and the raw value bytes after it.
    Dyn {
        index: u8,
        raw: Vec<u8>,
    },
}

/// [`ParamValue::size_rule`]: any length.
pub const SIZE_ANY: u8 = 0;
/// [`ParamValue::size_rule`]: a structured value, checked by parsing it.
pub const SIZE_STRUCTURED: u8 = u8::MAX;

fn fixed<const N: usize>(b: &[u8], ty: ParamType) -> Result<[u8; N], String> {
    b.try_into().map_err(|_| format!("{ty:?} parameter has {} bytes, expected {N}", b.len()))
}

/// The bytes of a C string up to its first NUL (all of them without one).
#[inline]
fn until_nul(b: &[u8]) -> &[u8] {
    // Most are short and end at their one NUL: a plain loop beats a searcher's setup.
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    &b[..end]
}

fn cstr(b: &[u8]) -> String {
    lossy(until_nul(b))
}

/// `b` as text, each invalid UTF-8 sequence replaced ([`String::from_utf8_lossy`]); valid text,
/// nearly always, is checked by `str::from_utf8`, which takes ASCII a word at a time where the
/// lossy walk goes byte by byte (a process's environment is thousands of bytes at each exec).
fn lossy(b: &[u8]) -> String {
    lossy_str(b).into_owned()
}

/// [`lossy`], borrowing valid text.
fn lossy_str(b: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(b) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(b),
    }
}

/// The entries of a NUL-separated buffer as text, borrowed where valid (a trailing NUL does not
/// make an empty entry, an empty buffer has none).
pub fn nul_entries(b: &[u8]) -> impl Iterator<Item = std::borrow::Cow<'_, str>> {
    let b = b.strip_suffix(&[0]).unwrap_or(b);
    // The NULs found by `memchr`, many bytes at a time (an environment is thousands of bytes).
    let mut rest = (!b.is_empty()).then_some(b);
    std::iter::from_fn(move || {
        let r = rest?;
        let (entry, next) = match memchr::memchr(0, r) {
            Some(i) => (&r[..i], r.get(i + 1..)),
            None => (r, None),
        };
        rest = next;
        Some(lossy_str(entry))
    })
}

/// Splits a NUL-separated buffer into strings ([`nul_entries`]).
pub fn split_nul(b: &[u8]) -> Vec<String> {
    nul_entries(b).map(std::borrow::Cow::into_owned).collect()
}

fn u16le(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}
fn u64le(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}
fn ip4(b: &[u8], at: usize) -> Option<Ipv4Addr> {
    let a: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(Ipv4Addr::from(a))
}
fn ip6(b: &[u8], at: usize) -> Option<Ipv6Addr> {
    let a: [u8; 16] = b.get(at..at + 16)?.try_into().ok()?;
    Some(Ipv6Addr::from(a))
}

impl ParamValue {
    /// Decodes one parameter's bytes (as stored in a scap event) according to its type.
    /// An empty buffer is [`ParamValue::Absent`]. Errors describe the mismatch.
    pub fn decode(ty: ParamType, b: &[u8]) -> Result<ParamValue, String> {
        use ParamType as T;
        if b.is_empty() {
            return Ok(ParamValue::Absent);
        }
        Ok(match ty {
            T::Int8 => ParamValue::I8(i8::from_le_bytes(fixed(b, ty)?)),
            T::Int16 => ParamValue::I16(i16::from_le_bytes(fixed(b, ty)?)),
            T::Int32 => ParamValue::I32(i32::from_le_bytes(fixed(b, ty)?)),
            T::Int64 => ParamValue::I64(i64::from_le_bytes(fixed(b, ty)?)),
            T::Uint8 => ParamValue::U8(u8::from_le_bytes(fixed(b, ty)?)),
            T::Uint16 => ParamValue::U16(u16::from_le_bytes(fixed(b, ty)?)),
            T::Uint32 => ParamValue::U32(u32::from_le_bytes(fixed(b, ty)?)),
            T::Uint64 => ParamValue::U64(u64::from_le_bytes(fixed(b, ty)?)),
            T::Bool => ParamValue::Bool(u32::from_le_bytes(fixed(b, ty)?) != 0),
            T::Double => ParamValue::Double(f64::from_le_bytes(fixed(b, ty)?)),
            T::Errno => ParamValue::Errno(i64::from_le_bytes(fixed(b, ty)?)),
            T::Fd => ParamValue::Fd(i64::from_le_bytes(fixed(b, ty)?)),
            T::Fd32 => ParamValue::Fd(i64::from(i32::from_le_bytes(fixed(b, ty)?))),
            T::Pid => ParamValue::Pid(i64::from_le_bytes(fixed(b, ty)?)),
            T::Pid32 => ParamValue::Pid(i64::from(i32::from_le_bytes(fixed(b, ty)?))),
            T::Uid => ParamValue::Uid(u32::from_le_bytes(fixed(b, ty)?)),
            T::Gid => ParamValue::Gid(u32::from_le_bytes(fixed(b, ty)?)),
            T::Mode => ParamValue::Mode(u32::from_le_bytes(fixed(b, ty)?)),
            T::Flags8 | T::EnumFlags8 => ParamValue::Flags { ty, bits: u64::from(u8::from_le_bytes(fixed(b, ty)?)) },
            T::Flags16 | T::EnumFlags16 => ParamValue::Flags { ty, bits: u64::from(u16::from_le_bytes(fixed(b, ty)?)) },
            T::Flags32 | T::EnumFlags32 => ParamValue::Flags { ty, bits: u64::from(u32::from_le_bytes(fixed(b, ty)?)) },
            T::SigType => ParamValue::SigType(u8::from_le_bytes(fixed(b, ty)?)),
            T::SigSet => ParamValue::SigSet(u32::from_le_bytes(fixed(b, ty)?)),
            T::SyscallId => ParamValue::SyscallId(u16::from_le_bytes(fixed(b, ty)?)),
            T::Port => ParamValue::Port(u16::from_le_bytes(fixed(b, ty)?)),
            T::L4Proto => ParamValue::L4Proto(u8::from_le_bytes(fixed(b, ty)?)),
            T::SockFamily => ParamValue::SockFamily(u8::from_le_bytes(fixed(b, ty)?)),
            T::RelTime => ParamValue::RelTime(u64::from_le_bytes(fixed(b, ty)?)),
            T::AbsTime => ParamValue::AbsTime(u64::from_le_bytes(fixed(b, ty)?)),
            T::Ipv4Addr => ParamValue::Ipv4(Ipv4Addr::from(fixed::<4>(b, ty)?)),
            T::Ipv6Addr => ParamValue::Ipv6(Ipv6Addr::from(fixed::<16>(b, ty)?)),
            T::CharBuf => ParamValue::Str(cstr(b)),
            T::FsPath => ParamValue::Path(cstr(b)),
            T::FsRelPath => ParamValue::RelPath(cstr(b)),
            T::CharBufArray | T::CharBufPairArray => ParamValue::StrArray(split_nul(b)),
            T::SockAddr => ParamValue::SockAddr(decode_sockaddr(b)?),
            T::SockTuple => ParamValue::SockTuple(decode_socktuple(b)?),
            T::FdList => {
                let n = usize::from(u16le(b, 0).ok_or("FDLIST shorter than its count")?);
                if b.len() != 2 + n * 10 {
                    return Err(format!("FDLIST of {n} entries has {} bytes, expected {}", b.len(), 2 + n * 10));
                }
                let mut v = Vec::with_capacity(n);
                for i in 0..n {
                    let at = 2 + i * 10;
                    let fd = u64le(b, at).ok_or("FDLIST entry truncated")? as i64;
                    let fl = u16le(b, at + 8).ok_or("FDLIST entry truncated")?;
                    v.push((fd, fl));
                }
                ParamValue::FdList(v)
            }
            T::Dynamic => ParamValue::Dyn { index: b[0], raw: b[1..].to_vec() },
            // BYTEBUF and types that never appear in capture events (nets, IPADDR, NONE).
            _ => ParamValue::Bytes(b.to_vec()),
        })
    }

    /// Checks that `b` decodes as a `ty` parameter without decoding it (no allocation but a
    /// unix socket path's): the reader checks every record parameter so that a later, lazy
    /// [`ParamValue::decode`] cannot fail. Agrees with `decode`'s errors (a test compares
    /// them). The reader tests a parameter's length against [`ParamValue::size_rule`] first and
    /// calls this only for what that does not settle.
    #[inline]
    pub fn check(ty: ParamType, b: &[u8]) -> Result<(), String> {
        if b.is_empty() {
            return Ok(());
        }
        match ParamValue::size_rule(ty) {
            SIZE_ANY => Ok(()),
            SIZE_STRUCTURED if ParamValue::structured_fits(ty, b) => Ok(()),
            // Anything else decodes into its error (without allocating: what fails is short).
            SIZE_STRUCTURED => ParamValue::decode(ty, b).map(drop),
            need if b.len() == usize::from(need) => Ok(()),
            need => Err(format!("{ty:?} parameter has {} bytes, expected {need}", b.len())),
        }
    }

    /// True when a structured parameter's bytes are ones [`ParamValue::decode`] reads without
    /// error (a sockaddr or socktuple of a family whose fixed part is there, an fd list whose
    /// length is its count's), told from lengths alone: no unix path or list is built.
    fn structured_fits(ty: ParamType, b: &[u8]) -> bool {
        let Some(&family) = b.first() else { return true };
        let need = match (ty, family) {
            (ParamType::SockAddr, flags::PPM_AF_INET) => 7,
            (ParamType::SockAddr, flags::PPM_AF_INET6) => 19,
            (ParamType::SockTuple, flags::PPM_AF_INET) => 13,
            (ParamType::SockTuple, flags::PPM_AF_INET6) => 37,
            (ParamType::SockTuple, flags::PPM_AF_UNIX) => 17,
            (ParamType::SockAddr | ParamType::SockTuple, _) => 0,
            (ParamType::FdList, _) => return u16le(b, 0).is_some_and(|n| b.len() == 2 + usize::from(n) * 10),
            _ => return false,
        };
        b.len() >= need
    }

    /// The size a present `ty` parameter must have: its number of bytes for fixed-size types,
    /// [`SIZE_ANY`] for strings and buffers, [`SIZE_STRUCTURED`] for the types whose bytes
    /// must be parsed to be checked (sockaddr, socktuple, fd list).
    #[inline]
    pub const fn size_rule(ty: ParamType) -> u8 {
        use ParamType as T;
        match ty {
            T::Int8 | T::Uint8 | T::SigType | T::L4Proto | T::SockFamily | T::Flags8 | T::EnumFlags8 => 1,
            T::Int16 | T::Uint16 | T::SyscallId | T::Port | T::Flags16 | T::EnumFlags16 => 2,
            T::Int32 | T::Uint32 | T::Bool | T::Fd32 | T::Pid32 | T::Uid | T::Gid | T::Mode => 4,
            T::Flags32 | T::EnumFlags32 | T::SigSet | T::Ipv4Addr => 4,
            T::Int64 | T::Uint64 | T::Double | T::Errno | T::Fd | T::Pid | T::RelTime | T::AbsTime => 8,
            T::Ipv6Addr => 16,
            T::SockAddr | T::SockTuple | T::FdList => SIZE_STRUCTURED,
            _ => SIZE_ANY,
        }
    }

    /// What [`ParamValue::decode`] then [`ParamValue::as_i64`] give for a present integer-like
    /// parameter of type `ty`, read straight from its bytes; `None` for other types and for
    /// bytes of the wrong size (the caller decodes those). A test compares the two.
    #[inline]
    pub fn int_from_raw(ty: ParamType, b: &[u8]) -> Option<i64> {
        use ParamType as T;
        Some(match ty {
            T::Int8 => i64::from(i8::from_le_bytes(b.try_into().ok()?)),
            T::Int16 => i64::from(i16::from_le_bytes(b.try_into().ok()?)),
            T::Int32 | T::Fd32 | T::Pid32 => i64::from(i32::from_le_bytes(b.try_into().ok()?)),
            T::Int64 | T::Errno | T::Fd | T::Pid | T::Uint64 | T::RelTime | T::AbsTime => {
                i64::from_le_bytes(b.try_into().ok()?)
            }
            T::Uint8 | T::Flags8 | T::EnumFlags8 | T::SigType | T::L4Proto | T::SockFamily => {
                i64::from(u8::from_le_bytes(b.try_into().ok()?))
            }
            T::Uint16 | T::Flags16 | T::EnumFlags16 | T::SyscallId | T::Port => {
                i64::from(u16::from_le_bytes(b.try_into().ok()?))
            }
            T::Uint32 | T::Flags32 | T::EnumFlags32 | T::Uid | T::Gid | T::Mode | T::SigSet => {
                i64::from(u32::from_le_bytes(b.try_into().ok()?))
            }
            T::Bool => i64::from(u32::from_le_bytes(b.try_into().ok()?) != 0),
            _ => return None,
        })
    }

    /// True for the types that decode to text ([`ParamValue::as_str`]): `CHARBUF`, `FSPATH`,
    /// `FSRELPATH`, each up to its first NUL.
    pub fn is_text(ty: ParamType) -> bool {
        matches!(ty, ParamType::CharBuf | ParamType::FsPath | ParamType::FsRelPath)
    }

    /// The value as a signed integer, for integer-like values (fds, pids, errnos, flags...).
    pub fn as_i64(&self) -> Option<i64> {
        Some(match *self {
            ParamValue::I8(v) => v.into(),
            ParamValue::I16(v) => v.into(),
            ParamValue::I32(v) => v.into(),
            ParamValue::I64(v) | ParamValue::Errno(v) | ParamValue::Fd(v) | ParamValue::Pid(v) => v,
            ParamValue::U8(v) | ParamValue::SigType(v) | ParamValue::L4Proto(v) | ParamValue::SockFamily(v) => v.into(),
            ParamValue::U16(v) | ParamValue::Port(v) | ParamValue::SyscallId(v) => v.into(),
            ParamValue::U32(v)
            | ParamValue::Uid(v)
            | ParamValue::Gid(v)
            | ParamValue::Mode(v)
            | ParamValue::SigSet(v) => v.into(),
            ParamValue::U64(v) | ParamValue::RelTime(v) | ParamValue::AbsTime(v) => v as i64,
            ParamValue::Flags { bits, .. } => bits as i64,
            ParamValue::Bool(b) => b.into(),
            _ => return None,
        })
    }

    /// The value as a string, for string-like values (CHARBUF, FSPATH, FSRELPATH).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            ParamValue::Str(s) | ParamValue::Path(s) | ParamValue::RelPath(s) => Some(s),
            _ => None,
        }
    }

    /// The raw bytes of a byte buffer.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            ParamValue::Bytes(b) => Some(b),
            ParamValue::Str(s) | ParamValue::Path(s) | ParamValue::RelPath(s) => Some(s.as_bytes()),
            _ => None,
        }
    }

    /// Renders the value as Falco's `evt.arg.NAME` text (see the module doc). `flagset` names the
    /// flag table for `FLAGS*`/`ENUMFLAGS*` values ([`flags::flag_set_for`] picks it per event
    /// and parameter); without one flags render as numbers.
    pub fn render(&self, flagset: Option<&flags::FlagSet>) -> String {
        match self {
            ParamValue::Absent => String::new(),
            ParamValue::Errno(v) if *v < 0 => match flags::errno_name(v.unsigned_abs()) {
                Some(n) => n.to_string(),
                None => v.to_string(),
            },
            ParamValue::Flags { ty, bits } => match flagset {
                Some(set) => {
                    let is_enum = matches!(ty, ParamType::EnumFlags8 | ParamType::EnumFlags16 | ParamType::EnumFlags32);
                    if is_enum || set.is_enum { set.render_enum(*bits) } else { set.render_bits(*bits) }
                }
                None => bits.to_string(),
            },
            // libsinsp names a mode's bits when the parameter has a table (chmod's), and
            // writes it in octal otherwise.
            ParamValue::Mode(m) => match flagset {
                Some(set) => set.render_bits(u64::from(*m)),
                None if *m == 0 => "0".to_string(),
                None => format!("0{m:o}"),
            },
            ParamValue::Double(d) => d.to_string(),
            ParamValue::Bool(b) => b.to_string(),
            ParamValue::Ipv4(a) => a.to_string(),
            ParamValue::Ipv6(a) => a.to_string(),
            ParamValue::Str(s) | ParamValue::Path(s) | ParamValue::RelPath(s) => s.clone(),
            ParamValue::Bytes(b) => render_bytes(b),
            ParamValue::Dyn { raw, .. } => render_bytes(raw),
            ParamValue::StrArray(v) => v.join(","),
            ParamValue::SockAddr(a) => match a {
                SockAddr::V4(ip, p) => format!("{ip}:{p}"),
                SockAddr::V6(ip, p) => format!("{ip}:{p}"),
                SockAddr::Unix(p) => p.clone(),
                SockAddr::Other(f, _) => format!("family {f}"),
            },
            ParamValue::SockTuple(t) => render_tuple(t),
            ParamValue::FdList(v) => {
                let mut s = String::new();
                for (i, (fd, fl)) in v.iter().enumerate() {
                    if i > 0 {
                        s.push(' ');
                    }
                    let _ = write!(s, "{fd}:{}", flags::POLL_FLAGS.render_bits(u64::from(*fl)));
                }
                s
            }
            other => match other.as_i64() {
                Some(v) => match other {
                    ParamValue::U64(u) | ParamValue::RelTime(u) | ParamValue::AbsTime(u) => u.to_string(),
                    _ => v.to_string(),
                },
                None => String::new(),
            },
        }
    }
}

/// Renders a byte buffer the way libsinsp's normal format does: printable ASCII as is,
/// everything else as `.`.
pub fn render_bytes(b: &[u8]) -> String {
    b.iter().map(|&c| if c.is_ascii_graphic() || c == b' ' { c as char } else { '.' }).collect()
}

/// Renders a socket tuple as `sip:sport->dip:dport`.
pub fn render_tuple(t: &SockTuple) -> String {
    match t {
        SockTuple::V4 { sip, sport, dip, dport } => format!("{sip}:{sport}->{dip}:{dport}"),
        SockTuple::V6 { sip, sport, dip, dport } => format!("{sip}:{sport}->{dip}:{dport}"),
        SockTuple::Unix { src, dst, path } => format!("{src:x}->{dst:x} {path}"),
        SockTuple::Other(f, _) => format!("family {f}"),
    }
}

fn decode_sockaddr(b: &[u8]) -> Result<SockAddr, String> {
    let fam = b[0];
    Ok(match fam {
        flags::PPM_AF_INET => {
            let ip = ip4(b, 1).ok_or("inet SOCKADDR shorter than 7 bytes")?;
            let port = u16le(b, 5).ok_or("inet SOCKADDR shorter than 7 bytes")?;
            SockAddr::V4(ip, port)
        }
        flags::PPM_AF_INET6 => {
            let ip = ip6(b, 1).ok_or("inet6 SOCKADDR shorter than 19 bytes")?;
            let port = u16le(b, 17).ok_or("inet6 SOCKADDR shorter than 19 bytes")?;
            SockAddr::V6(ip, port)
        }
        flags::PPM_AF_UNIX => SockAddr::Unix(cstr(&b[1..])),
        f => SockAddr::Other(f, b[1..].to_vec()),
    })
}

fn decode_socktuple(b: &[u8]) -> Result<SockTuple, String> {
    let fam = b[0];
    Ok(match fam {
        flags::PPM_AF_INET => {
            let short = || "inet SOCKTUPLE shorter than 13 bytes".to_string();
            SockTuple::V4 {
                sip: ip4(b, 1).ok_or_else(short)?,
                sport: u16le(b, 5).ok_or_else(short)?,
                dip: ip4(b, 7).ok_or_else(short)?,
                dport: u16le(b, 11).ok_or_else(short)?,
            }
        }
        flags::PPM_AF_INET6 => {
            let short = || "inet6 SOCKTUPLE shorter than 37 bytes".to_string();
            SockTuple::V6 {
                sip: ip6(b, 1).ok_or_else(short)?,
                sport: u16le(b, 17).ok_or_else(short)?,
                dip: ip6(b, 19).ok_or_else(short)?,
                dport: u16le(b, 35).ok_or_else(short)?,
            }
        }
        flags::PPM_AF_UNIX => {
            let short = || "unix SOCKTUPLE shorter than 17 bytes".to_string();
            SockTuple::Unix {
                src: u64le(b, 1).ok_or_else(short)?,
                dst: u64le(b, 9).ok_or_else(short)?,
                path: cstr(b.get(17..).unwrap_or(&[])),
            }
        }
        f => SockTuple::Other(f, b[1..].to_vec()),
    })
}

/// One named parameter of an event.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// The parameter name from the event table (`fd`, `name`, `flags`...); parameters beyond
    /// the table's list are named `p<N>`.
    pub name: &'static str,
    /// Its type in the event table.
    pub ty: ParamType,
    /// The decoded value.
    pub value: ParamValue,
}

/// One event of the stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Nanoseconds since the epoch.
    pub ts: u64,
    /// Thread id of the producing thread (host pid namespace).
    pub tid: i64,
    /// CPU the event was captured on.
    pub cpu: u16,
    /// Event-table id (`ppm_event_code`); several ids share a name (execve has 8 versions).
    pub type_id: u16,
    /// Enter or exit.
    pub dir: Direction,
    /// Event name as in events.tsv (`open`, `execve`, `procexit`...).
    pub name: &'static str,
    /// Parameters in table order, decoded when read ([`Params`]).
    pub params: Params,
    /// scap dump flags (`EVF*` blocks): bit 0 `SCAP_DF_STATE_ONLY` means "update state, do not
    /// show to rules".
    pub dump_flags: u32,
}

/// `SCAP_DF_STATE_ONLY`: the event is kept for state only and is not shown to rules.
pub const DF_STATE_ONLY: u32 = 1;

impl Event {
    /// An event of nothing (id 0, no parameters): a buffer for readers to fill
    /// ([`crate::replay::EventSource`]).
    pub fn empty() -> Event {
        Event {
            ts: 0,
            tid: 0,
            cpu: 0,
            type_id: 0,
            dir: Direction::Enter,
            name: "",
            params: Params::new(),
            dump_flags: 0,
        }
    }
    /// The `idx`-th parameter (`evt.arg[N]`).
    pub fn param_at(&self, idx: usize) -> Option<ParamRef<'_>> {
        self.params.get(idx)
    }
    /// The return value (`evt.rawres`): the `res` parameter of exit events, if the event has one.
    pub fn res(&self) -> Option<i64> {
        if self.dir != Direction::Exit {
            return None;
        }
        self.get_any(rulec_schema::params::any::RES)
    }
    /// True when the event failed (`evt.failed`): a negative `res`.
    pub fn failed(&self) -> bool {
        self.res().is_some_and(|r| r < 0)
    }
    /// True for a generic syscall event (`PPME_GENERIC_E/X`): its first param is the
    /// `SYSCALLID` `ID`, and [`Event::name`] is that syscall's name ([`crate::syscalls`]), not
    /// the name of a dedicated event: no state update or dedicated-event param applies to it.
    pub fn is_generic(&self) -> bool {
        self.params.ty_at(0) == Some(ParamType::SyscallId)
            || (rulec_schema::is_generic_id(self.type_id) && self.name == "syscall")
    }
    /// The scap event-table row of the event: by id when it agrees with the event's name and
    /// direction, else the newest row with that name and direction (events built by hand or by
    /// the generator may carry any id). A generic event is named after its syscall
    /// (`mprotect`), which may also name a dedicated event with other params and flags: its row
    /// is the generic one.
    pub fn def(&self) -> Option<&'static EventDef> {
        // A decoded record's own row, while the event still has its id, name and direction
        // (never a generic row, [`Params::record_def`]: the event is named after its syscall).
        if let Some(d) = self.params.record_def(self.type_id)
            && d.dir == self.dir
            && std::ptr::eq(d.name, self.name)
        {
            return Some(d);
        }
        if self.is_generic() {
            return rulec_schema::event_def(if self.dir == Direction::Enter { 0 } else { 1 });
        }
        // A decoded event's name is its row's own string: the pointer test settles it.
        if let Some(i) = rulec_schema::event_def(self.type_id)
            && i.dir == self.dir
            && (std::ptr::eq(i.name, self.name) || i.name == self.name)
        {
            return Some(i);
        }
        rulec_schema::newest_event_def(self.name, self.dir)
    }
    /// The `EF_*` flags of the event's table row ([`Event::def`]; empty when it has none).
    pub fn event_flags(&self) -> EventFlags {
        self.def().map_or(EventFlags::empty(), |i| i.flags)
    }
    /// True for events flagged state-only in the capture.
    pub fn state_only(&self) -> bool {
        self.dump_flags & DF_STATE_ONLY != 0
    }
    /// Renders a parameter as Falco's `evt.arg.NAME` does (see the module doc).
    pub fn arg_str<K>(&self, key: rulec_schema::params::ParamKey<K>) -> Option<String> {
        let p = self.param_of(key)?;
        Some(p.value.render(flags::flag_set_for(self.name, p.name)))
    }
    /// All parameters rendered as `name=value ...` (like `evt.args`, without fd resolution).
    pub fn args_str(&self) -> String {
        let mut s = String::new();
        for (i, p) in self.params.iter().enumerate() {
            if i > 0 {
                s.push(' ');
            }
            let _ = write!(s, "{}={}", p.name, p.value.render(flags::flag_set_for(self.name, p.name)));
        }
        s
    }
}
