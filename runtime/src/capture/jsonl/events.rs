//! Event lines: their keys, the event id by name, and each parameter's JSON shape read back
//! into a [`ParamValue`], range-checked against its type.

use super::*;

pub(super) const EVENT_KEYS: [&str; 8] = ["ts", "tid", "cpu", "id", "event", "dir", "dump_flags", "params"];

/// Event name and direction → the id to use when a line has no `id`: the current version
/// (no `EF_OLD_VERSION`) if there is one, else the newest. Generic events always give their id.
pub(super) fn id_by_name(name: &str, dir: Direction) -> Option<u16> {
    rulec_schema::newest_event_def(name, dir)
        .filter(|i| !i.enum_name.is_empty() && !rulec_schema::is_generic_id(i.id))
        .map(|i| i.id)
}

pub(super) fn parse_event(line: u64, v: &Map<String, Value>) -> Result<Event, CaptureError> {
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
        let computed = crate::syscalls::generic_name(&params.clone().into());
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
    Ok(Event { ts, tid, cpu, type_id, dir, name, params: params.into(), dump_flags })
}

/// An optional integer field of an event line, range-checked.
pub(super) fn field_int(v: &Map<String, Value>, key: &str, min: i128, max: i128) -> Result<Option<i128>, String> {
    match v.get(key) {
        None => Ok(None),
        Some(val) => int_in(val, min, max).map(Some).map_err(|m| format!("`{key}`: {m}")),
    }
}

/// An integer in `min..=max`: a JSON number, or `[number, "text"]` (the text is the name the
/// writer puts beside flags and errnos for the reader; the number is authoritative).
pub(super) fn int_in(v: &Value, min: i128, max: i128) -> Result<i128, String> {
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

pub(super) fn str_of(v: &Value) -> Result<&str, String> {
    v.as_str().ok_or_else(|| format!("expected a string, found {}", kind_of(v)))
}

pub(super) fn bytes_of(v: &Value) -> Result<Vec<u8>, String> {
    match v {
        Value::String(s) => Ok(s.as_bytes().to_vec()),
        Value::Object(m) if m.len() == 1 => match m.get("base64") {
            Some(Value::String(b)) => base64_decode(b),
            _ => Err("expected a string or {\"base64\":\"...\"}".into()),
        },
        other => Err(format!("expected a string or {{\"base64\":\"...\"}}, found {}", kind_of(other))),
    }
}

pub(super) fn obj_of<'a>(v: &'a Value, what: &str, keys: &[&str]) -> Result<&'a Map<String, Value>, String> {
    let m = v.as_object().ok_or_else(|| format!("expected {what} object, found {}", kind_of(v)))?;
    if let Some(k) = m.keys().find(|k| !keys.contains(&k.as_str())) {
        return Err(format!("unknown key \"{}\" in {what} (keys: {})", k.escape_default(), keys.join(", ")));
    }
    Ok(m)
}

pub(super) fn get<'a>(m: &'a Map<String, Value>, key: &str) -> Result<&'a Value, String> {
    m.get(key).ok_or_else(|| format!("missing `{key}`"))
}

pub(super) fn ip4_of(v: &Value) -> Result<Ipv4Addr, String> {
    let s = str_of(v)?;
    s.parse().map_err(|_| format!("\"{}\" is not an IPv4 address", s.escape_default()))
}

pub(super) fn ip6_of(v: &Value) -> Result<Ipv6Addr, String> {
    let s = str_of(v)?;
    s.parse().map_err(|_| format!("\"{}\" is not an IPv6 address", s.escape_default()))
}

pub(super) fn port_of(m: &Map<String, Value>, key: &str) -> Result<u16, String> {
    int_in(get(m, key)?, 0, u16::MAX.into()).map(|p| p as u16).map_err(|e| format!("`{key}`: {e}"))
}

/// The family of a sockaddr/socktuple object: `"inet"`, `"inet6"`, `"unix"` or a PPM number.
pub(super) fn family_of(m: &Map<String, Value>) -> Result<Result<&str, u8>, String> {
    match get(m, "family")? {
        Value::String(s) if matches!(s.as_str(), "inet" | "inet6" | "unix") => Ok(Ok(s.as_str())),
        other => int_in(other, 0, u8::MAX.into()).map(|f| Err(f as u8)).map_err(|_| {
            format!("`family` must be \"inet\", \"inet6\", \"unix\" or a number, found {}", kind_of(other))
        }),
    }
}

/// Decodes a param value of table type `ty`, mirroring [`ParamValue::decode`]'s type → variant
/// mapping so a written and read event equals the decoded one.
pub(super) fn value_of(ty: ParamType, v: &Value) -> Result<ParamValue, String> {
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
