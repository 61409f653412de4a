//! The state lines of the format: what of [`ThreadInfo`], [`FdInfo`], users and groups is
//! stored and how.
//!
//! The state types carry no serde attributes: the file format is a promise to files already
//! written (field names, defaults for omitted fields, `deny_unknown_fields`), which must not
//! change when the state machine's types do. So the format is written down here, beside them:
//!
//! * [`ThreadDef`] is a serde *remote* definition of [`ThreadInfo`], not a copy: serde builds
//!   and reads `ThreadInfo` itself through it, and a field added to `ThreadInfo` fails to
//!   compile here until the format says how it is stored and what an omitted one reads as.
//! * [`FdRecord`] is an fd *line*, not a mirror of [`FdInfo`]: it adds the process whose fd
//!   table holds the fd (`pid`), and the reader hands the lines out as they are
//!   ([`super::CaptureReader`]'s `fds`) before it seeds a state with them. Its conversions
//!   build both types with struct literals, so a field added to either fails to compile there.
//!   Its socket part is a [`SockInfo`], stored through the remote definition [`SockDef`].
//! * Fd kinds are stored by the schema's identifier ([`FdKind::ident`]), defined once with the
//!   kinds themselves; the small enums with no names of their own (L4 protocol, socket role)
//!   are spelled by the remote definitions [`L4ProtoDef`] and [`SockRoleDef`].

use super::*;

/// Every [`ThreadInfo`] field, in the order written. A remote definition rather than serde
/// attributes on `ThreadInfo` keeps the file format out of the state machine; and a field added
/// to `ThreadInfo` fails to compile here until the format says how it is stored. Omitted fields
/// read as zero/empty, except `loginuid` (unset: `u32::MAX`).
#[derive(Serialize, Deserialize)]
#[serde(remote = "ThreadInfo", deny_unknown_fields)]
pub(super) struct ThreadDef {
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

pub(super) fn unset_id() -> u32 {
    ThreadInfo::UNSET_ID
}

/// Serializes a borrowed thread through [`ThreadDef`].
pub(super) struct ThreadOut<'a>(pub(super) &'a ThreadInfo);

impl Serialize for ThreadOut<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ThreadDef::serialize(self.0, s)
    }
}

/// [`FdKind`] in the file: the schema's identifier of the kind ([`FdKind::ident`], `ipv4_sock`).
pub(super) mod fd_kind_ident {
    use super::FdKind;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub(crate) fn serialize<S: Serializer>(k: &FdKind, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(k.ident())
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<FdKind, D::Error> {
        let name = String::deserialize(d)?;
        FdKind::from_ident(&name).ok_or_else(|| D::Error::unknown_variant(&name, &FdKind::IDENTS))
    }
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "L4Proto", rename_all = "snake_case")]
#[allow(dead_code)]
pub(super) enum L4ProtoDef {
    Unknown,
    Tcp,
    Udp,
    Icmp,
    Raw,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "SockRole", rename_all = "snake_case")]
#[allow(dead_code)]
pub(super) enum SockRoleDef {
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
    #[serde(with = "fd_kind_ident")]
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
    #[serde(default, skip_serializing_if = "Option::is_none", with = "sock_opt")]
    pub sock: Option<SockInfo>,
}

/// Every [`SockInfo`] field as stored: a remote definition, as [`ThreadDef`] is.
#[derive(Serialize, Deserialize)]
#[serde(remote = "SockInfo", deny_unknown_fields)]
pub(super) struct SockDef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cip: Option<IpAddr>,
    #[serde(default)]
    cport: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sip: Option<IpAddr>,
    #[serde(default)]
    sport: u16,
    #[serde(with = "L4ProtoDef", default)]
    l4proto: L4Proto,
    #[serde(with = "SockRoleDef", default)]
    role: SockRole,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    unix_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    unix_ptrs: Option<(u64, u64)>,
    #[serde(default)]
    connected: bool,
}

/// An fd line's optional socket details through [`SockDef`].
pub(super) mod sock_opt {
    use super::{SockDef, SockInfo};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize)]
    struct Out<'a>(#[serde(with = "SockDef")] &'a SockInfo);
    #[derive(Deserialize)]
    struct In(#[serde(with = "SockDef")] SockInfo);

    pub(crate) fn serialize<S: Serializer>(v: &Option<SockInfo>, s: S) -> Result<S::Ok, S::Error> {
        v.as_ref().map(Out).serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SockInfo>, D::Error> {
        Ok(Option::<In>::deserialize(d)?.map(|i| i.0))
    }
}

impl FdRecord {
    pub(super) fn from_state(pid: i64, f: &FdInfo) -> FdRecord {
        FdRecord {
            pid,
            fd: f.fd,
            kind: f.kind,
            name: f.name.clone(),
            open_flags: f.open_flags,
            ino: f.ino,
            dev: f.dev,
            sock: f.sock.clone(),
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
            sock: self.sock.clone(),
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
pub(super) enum StateLine {
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

pub(super) fn thread_boxed<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Box<ThreadInfo>, D::Error> {
    ThreadDef::deserialize(d).map(Box::new)
}

pub(super) const STATE_KEYS: [&str; 4] = ["thread", "fd", "user", "group"];
