//! Writing a capture: [`CaptureWriter`] and the JSON shape of each parameter type.

use super::*;

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

pub(super) fn to_io(e: serde_json::Error) -> io::Error {
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
pub(super) fn jstr(out: &mut String, s: &str) {
    // `Value`'s Display is serde_json's escaping and cannot fail.
    let _ = write!(out, "{}", Value::from(s));
}

/// Bytes: a JSON string when they are UTF-8 (NULs and control characters escaped, so execve
/// args stay readable), else `{"base64":".."}`.
pub(super) fn jbytes(out: &mut String, b: &[u8]) {
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
pub(super) fn event_json(out: &mut String, ev: &Event) {
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

pub(super) fn param_json(out: &mut String, event: &str, p: ParamRef<'_>) {
    use ParamValue as V;
    match p.value {
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

pub(super) fn push_num(out: &mut String, v: impl fmt::Display) {
    let _ = write!(out, "{v}");
}
