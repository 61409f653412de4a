//! A case's `events:`: each event by name with its direction, thread, timing and return value,
//! and its arguments read for their parameter types in the event table ([`param_value`]).

use std::collections::HashSet;
use std::net::{Ipv4Addr, Ipv6Addr};

use rulec_compiler::Code;
use rulec_compiler::yaml::Node;
use rulec_runtime::event::{Direction, ParamType, ParamValue};
use rulec_runtime::flags;

use super::super::model::{BASE_TIME, DEFAULT_PID, DEFAULT_STEP, EventSpec, World, nul_join};
use super::values::{
    SIGNALS, errno_number, flag_value, parse_duration, parse_int, parse_sockaddr, parse_socktuple, type_name,
};
use super::{EVENT_KEYS, MAX_EVENTS, Parser, closest};

impl Parser {
    pub(super) fn events(&mut self, node: &Node, world: &World) -> Vec<EventSpec> {
        let Some(seq) = node.as_seq() else {
            self.err(
                Code::BadTestValue,
                node.loc,
                format!("`events` must be a sequence of events, not {}", node.describe()),
            );
            return Vec::new();
        };
        if seq.len() > MAX_EVENTS {
            self.err(Code::ResourceLimit, node.loc, format!("more than {MAX_EVENTS} events in one case"));
            return Vec::new();
        }
        // Threads that exist when each event runs: the world's, and those clone/fork create.
        let mut known: HashSet<i64> = HashSet::new();
        for p in &world.processes {
            known.insert(p.pid);
            known.extend(p.threads.iter().copied());
        }
        let default_tid = world.processes.last().map_or(DEFAULT_PID, |p| p.pid);
        let mut ts = BASE_TIME;
        let mut out = Vec::new();
        for (i, e) in seq.iter().enumerate() {
            if let Some(ev) = self.event(e, i == 0, &mut ts) {
                let tid = ev.tid.unwrap_or(default_tid);
                if !known.contains(&tid) {
                    let mut pids: Vec<i64> = known.iter().copied().collect();
                    pids.sort_unstable();
                    let list: Vec<String> = pids.iter().map(ToString::to_string).collect();
                    self.err_hint(
                        Code::UnknownTestProcess,
                        ev.loc,
                        format!("no process or thread {tid} exists at this event"),
                        format!(
                            "declare it under `world: processes:`, or create it with an earlier clone/fork; known: {}",
                            list.join(", ")
                        ),
                    );
                    continue;
                }
                if matches!(ev.name, "clone" | "clone3" | "fork" | "vfork")
                    && ev.dir == Direction::Exit
                    && let Some((_, v)) = ev.params.first()
                    && let Some(child) = v.as_i64()
                    && child > 0
                {
                    known.insert(child);
                }
                out.push(ev);
            }
        }
        out
    }

    fn event(&mut self, node: &Node, first: bool, ts: &mut u64) -> Option<EventSpec> {
        let Some(map) = node.as_map() else {
            self.err_hint(
                Code::BadTestValue,
                node.loc,
                format!("an event must be a map, not {}", node.describe()),
                "for example `{openat: {name: /etc/shadow, flags: O_RDONLY}, res: 3}`",
            );
            return None;
        };
        let mut tid = None;
        let mut pid = None;
        let mut after = None;
        let mut dir = None;
        let mut res = None;
        let mut name: Option<(&'static str, &Node, &Node)> = None;
        let before = self.diags.len();
        for (k, v) in map {
            let Some(key) = k.as_scalar().map(|s| s.value.as_str()) else {
                self.err(Code::BadTestValue, k.loc, "a key of an event must be a plain word");
                continue;
            };
            match key {
                "pid" => pid = self.int(v, "`pid`").ok(),
                "tid" => tid = self.int(v, "`tid`").ok(),
                "after" => after = self.duration(v, "`after`").ok(),
                "dir" => match v.as_scalar().map(|s| s.value.as_str()) {
                    Some("enter" | ">") => dir = Some(Direction::Enter),
                    Some("exit" | "<") => dir = Some(Direction::Exit),
                    _ => self.err(Code::BadTestValue, v.loc, "`dir` must be `enter` or `exit`"),
                },
                "res" => res = Some(v),
                _ => {
                    let schema = rulec_compiler::schema::schema();
                    let known = rulec_compiler::schema::event_table().iter().find(|e| e.name == key).map(|e| e.name);
                    match known {
                        Some(n) if name.is_none() => name = Some((n, k, v)),
                        Some(_) => {
                            self.err(Code::TestFileShape, k.loc, "an event has one event name; this is a second one")
                        }
                        None => {
                            let hint = match schema.suggest_event(key) {
                                Some(s) => format!(
                                    "did you mean `{s}`? an event is written `{{EVENT: {{ARG: VALUE}}}}` with {}",
                                    EVENT_KEYS.join(", ")
                                ),
                                None => format!(
                                    "an event is written `{{EVENT: {{ARG: VALUE}}}}` with optional {}",
                                    EVENT_KEYS.join(", ")
                                ),
                            };
                            self.err_hint(
                                Code::UnknownTestEvent,
                                k.loc,
                                format!("`{key}` is not an event of the event table"),
                                hint,
                            );
                        }
                    }
                }
            }
        }
        let Some((name, name_node, args)) = name else {
            if self.diags.len() == before {
                self.err_hint(
                    Code::TestFileShape,
                    node.loc,
                    "this event does not say which event it is",
                    "add the event name as a key, e.g. `execve: {exe: /bin/sh}`",
                );
            }
            return None;
        };
        // With both, the tid decides (a thread of the process): `pid` is documentation then.
        let tid = tid.or(pid);
        // Enter-only events (procexit...) default to enter; everything else to exit, as
        // current drivers send syscalls.
        let dir = dir.unwrap_or_else(|| {
            if rulec_compiler::schema::newest_event_def(name, Direction::Exit).is_some() {
                Direction::Exit
            } else {
                Direction::Enter
            }
        });
        let Some(info) = rulec_compiler::schema::newest_event_def(name, dir) else {
            self.err(
                Code::UnknownTestEvent,
                name_node.loc,
                format!("`{name}` has no {} event", if dir == Direction::Enter { "enter" } else { "exit" }),
            );
            return None;
        };
        let mut params: Vec<(&'static str, ParamValue)> = Vec::new();
        if !args.is_null() {
            let Some(amap) = args.as_map() else {
                self.err_hint(
                    Code::BadTestValue,
                    args.loc,
                    format!("the arguments of `{name}` must be a map, not {}", args.describe()),
                    "for example `openat: {name: /etc/shadow, flags: O_RDONLY}`",
                );
                return None;
            };
            for (k, v) in amap {
                let Some(pname) = k.as_scalar().map(|s| s.value.clone()) else {
                    self.err(Code::BadTestValue, k.loc, "an argument name must be a plain word");
                    continue;
                };
                let Some(&(pname, ty)) = info.params.iter().find(|(n, _)| *n == pname) else {
                    let names: Vec<&str> = info.params.iter().map(|(n, _)| *n).collect();
                    let hint = match closest(&pname, &names) {
                        Some(s) => format!("did you mean `{s}`? `{name}` has: {}", names.join(", ")),
                        None => format!("`{name}` has: {}", names.join(", ")),
                    };
                    self.err_hint(Code::UnknownEventParam, k.loc, format!("`{name}` has no argument `{pname}`"), hint);
                    continue;
                };
                if params.iter().any(|(n, _)| *n == pname) {
                    self.err(Code::BadTestValue, k.loc, format!("argument `{pname}` is given twice"));
                    continue;
                }
                match param_value(name, pname, ty, v) {
                    Ok(value) => params.push((pname, value)),
                    Err(msg) => self.err(
                        Code::BadParamValue,
                        v.loc,
                        format!("`{name}` argument `{pname}` ({}): {msg}", type_name(ty)),
                    ),
                }
            }
        }
        if let Some(res) = res {
            match (dir, info.params.first()) {
                (Direction::Exit, Some(&(pname, ty))) => {
                    if params.iter().any(|(n, _)| *n == pname) {
                        self.err(
                            Code::BadTestValue,
                            res.loc,
                            format!("`res` is `{name}`'s `{pname}`, which is also given"),
                        );
                    } else {
                        match param_value(name, pname, ty, res) {
                            Ok(value) => params.push((pname, value)),
                            Err(msg) => self.err(
                                Code::BadParamValue,
                                res.loc,
                                format!("`res` of `{name}` ({}): {msg}", type_name(ty)),
                            ),
                        }
                    }
                }
                _ => self.err(Code::BadTestValue, res.loc, format!("this `{name}` event has no return value")),
            }
        }
        if self.diags.len() > before {
            return None;
        }
        let step = after.unwrap_or(if first { 0 } else { DEFAULT_STEP });
        *ts = ts.saturating_add(step);
        Some(EventSpec { tid, name, dir, params, ts: *ts, loc: node.loc })
    }
}

/// The value of an event argument written in YAML, for a parameter of type `ty`.
fn param_value(event: &str, param: &str, ty: ParamType, node: &Node) -> Result<ParamValue, String> {
    use ParamType as T;
    let scalar = node.as_scalar().map(|s| s.value.as_str());
    let text = || scalar.ok_or_else(|| format!("expected a single value, not {}", node.describe()));
    let int = || -> Result<i64, String> {
        let s = text()?;
        parse_int(s).ok_or_else(|| format!("`{s}` is not an integer"))
    };
    fn fit<T: TryFrom<i64>>(v: i64) -> Result<T, String> {
        T::try_from(v).map_err(|_| format!("{v} is out of range"))
    }
    Ok(match ty {
        T::Int8 => ParamValue::I8(fit(int()?)?),
        T::Int16 => ParamValue::I16(fit(int()?)?),
        T::Int32 => ParamValue::I32(fit(int()?)?),
        T::Int64 => ParamValue::I64(int()?),
        T::Uint8 => ParamValue::U8(fit(int()?)?),
        T::Uint16 => ParamValue::U16(fit(int()?)?),
        T::Uint32 => ParamValue::U32(fit(int()?)?),
        T::Uint64 => ParamValue::U64(fit(int()?)?),
        T::Uid => ParamValue::Uid(fit(int()?)?),
        T::Gid => ParamValue::Gid(fit(int()?)?),
        T::Pid | T::Pid32 => ParamValue::Pid(int()?),
        T::Port => ParamValue::Port(fit(int()?)?),
        T::SigSet => ParamValue::SigSet(fit(int()?)?),
        T::SyscallId => ParamValue::SyscallId(fit(int()?)?),
        T::AbsTime => ParamValue::AbsTime(fit(int()?)?),
        T::RelTime => {
            let s = text()?;
            match parse_int(s) {
                Some(v) => ParamValue::RelTime(fit(v)?),
                None => ParamValue::RelTime(
                    parse_duration(s).ok_or_else(|| format!("`{s}` is neither nanoseconds nor a duration"))?,
                ),
            }
        }
        T::Errno => {
            let s = text()?;
            match parse_int(s) {
                Some(v) => ParamValue::Errno(v),
                None => {
                    let name = s.strip_prefix('-').unwrap_or(s);
                    let e = errno_number(name)
                        .ok_or_else(|| format!("`{s}` is neither a number nor an errno name (ENOENT, EACCES...)"))?;
                    ParamValue::Errno(-e)
                }
            }
        }
        T::Fd | T::Fd32 => {
            let s = text()?;
            match s {
                "AT_FDCWD" => ParamValue::Fd(-100),
                _ => match parse_int(s) {
                    Some(v) => ParamValue::Fd(v),
                    // A failed call returns `-errno` where the fd would be.
                    None => ParamValue::Fd(
                        -errno_number(s.strip_prefix('-').unwrap_or(s))
                            .ok_or_else(|| format!("`{s}` is neither an fd number nor an errno name (ENOENT...)"))?,
                    ),
                },
            }
        }
        T::Mode => {
            let s = text()?;
            // Modes are octal whether or not the leading 0 is written.
            let digits = s.strip_prefix("0o").unwrap_or(s);
            ParamValue::Mode(
                u32::from_str_radix(digits, 8).map_err(|_| format!("`{s}` is not an octal mode (`0644`)"))?,
            )
        }
        T::Flags8 | T::Flags16 | T::Flags32 | T::EnumFlags8 | T::EnumFlags16 | T::EnumFlags32 => {
            let set = flags::flag_set_for(event, param);
            let words: Vec<String> = match (scalar, node.as_seq()) {
                (Some(s), _) => s.split('|').map(|w| w.trim().to_owned()).filter(|w| !w.is_empty()).collect(),
                (None, Some(seq)) => seq.iter().filter_map(|n| n.as_scalar().map(|s| s.value.clone())).collect(),
                _ => return Err(format!("expected flag names or a number, not {}", node.describe())),
            };
            let mut bits = 0u64;
            for w in &words {
                if let Some(v) = parse_int(w) {
                    bits |= v as u64;
                    continue;
                }
                let Some(set) = set else {
                    return Err(format!("rulec has no names for these flags; write the number instead of `{w}`"));
                };
                match flag_value(set, w) {
                    Some(v) => bits |= v,
                    None => {
                        let names: Vec<&str> = set.entries.iter().map(|(n, _)| *n).collect();
                        return Err(format!("`{w}` is not one of {}", names.join(", ")));
                    }
                }
            }
            if words.is_empty() && set.is_none() {
                return Err("expected flag names or a number".into());
            }
            if set.is_some_and(|s| s.is_enum) && words.len() > 1 {
                return Err("this parameter takes one name, not several".into());
            }
            ParamValue::Flags { ty, bits }
        }
        T::SigType => {
            let s = text()?;
            match parse_int(s) {
                Some(v) => ParamValue::SigType(fit(v)?),
                None => ParamValue::SigType(
                    SIGNALS
                        .iter()
                        .find(|(n, _)| *n == s)
                        .map(|(_, v)| *v)
                        .ok_or_else(|| format!("`{s}` is not a signal name (SIGKILL...) or number"))?,
                ),
            }
        }
        T::L4Proto => {
            let s = text()?;
            ParamValue::L4Proto(match s {
                "tcp" => 2,
                "udp" => 3,
                "icmp" => 4,
                "raw" => 5,
                _ => fit(parse_int(s).ok_or_else(|| format!("`{s}` is not tcp, udp, icmp, raw or a number"))?)?,
            })
        }
        T::SockFamily => {
            let s = text()?;
            match parse_int(s) {
                Some(v) => ParamValue::SockFamily(fit(v)?),
                None => ParamValue::SockFamily(
                    flag_value(&flags::SOCKET_FAMILIES, s)
                        .and_then(|v| u8::try_from(v).ok())
                        .ok_or_else(|| format!("`{s}` is not a socket family (AF_INET...)"))?,
                ),
            }
        }
        T::Bool => {
            let s = text()?;
            ParamValue::Bool(match s {
                "true" | "1" => true,
                "false" | "0" => false,
                _ => return Err(format!("`{s}` is not true or false")),
            })
        }
        T::Double => {
            let s = text()?;
            ParamValue::Double(s.parse().map_err(|_| format!("`{s}` is not a number"))?)
        }
        T::Ipv4Addr => {
            let s = text()?;
            ParamValue::Ipv4(s.parse::<Ipv4Addr>().map_err(|_| format!("`{s}` is not an IPv4 address"))?)
        }
        T::Ipv6Addr => {
            let s = text()?;
            ParamValue::Ipv6(s.parse::<Ipv6Addr>().map_err(|_| format!("`{s}` is not an IPv6 address"))?)
        }
        T::CharBuf => ParamValue::Str(text()?.to_owned()),
        T::FsPath => ParamValue::Path(text()?.to_owned()),
        T::FsRelPath => ParamValue::RelPath(text()?.to_owned()),
        T::ByteBuf => match node.as_seq() {
            Some(seq) => {
                let mut items = Vec::new();
                for n in seq {
                    items.push(n.as_scalar().map(|s| s.value.clone()).ok_or("a list of strings is expected")?);
                }
                ParamValue::Bytes(nul_join(&items))
            }
            None if node.is_null() => ParamValue::Bytes(Vec::new()),
            None => ParamValue::Bytes(text()?.as_bytes().to_vec()),
        },
        T::CharBufArray | T::CharBufPairArray => match node.as_seq() {
            Some(seq) => {
                ParamValue::StrArray(seq.iter().filter_map(|n| n.as_scalar().map(|s| s.value.clone())).collect())
            }
            None => ParamValue::StrArray(vec![text()?.to_owned()]),
        },
        T::SockAddr => {
            let s = text()?;
            ParamValue::SockAddr(
                parse_sockaddr(s)
                    .ok_or_else(|| format!("`{s}` is not an address (`10.0.0.1:443`, `[::1]:80`, `/run/x.sock`)"))?,
            )
        }
        T::SockTuple => {
            let s = text()?;
            ParamValue::SockTuple(
                parse_socktuple(s).ok_or_else(|| format!("`{s}` is not a tuple (`10.0.0.2:40000->10.0.0.1:443`)"))?,
            )
        }
        T::FdList => {
            let seq = node.as_seq().ok_or("expected a list of fds")?;
            let mut v = Vec::new();
            for n in seq {
                let s = n.as_scalar().map(|s| s.value.as_str()).ok_or("expected a list of fds")?;
                v.push((parse_int(s).ok_or_else(|| format!("`{s}` is not an fd"))?, 1u16));
            }
            ParamValue::FdList(v)
        }
        T::Dynamic => return Err("dynamic parameters cannot be written in a test; leave it out".into()),
        _ => ParamValue::Bytes(text()?.as_bytes().to_vec()),
    })
}
