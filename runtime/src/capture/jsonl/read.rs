//! Reading a capture: [`CaptureReader`] (header, state lines, then events) and the checks on
//! each line.

use super::*;

/// A rulec capture reader: opening it reads the header and the state records; iterating yields
/// the events.
pub struct CaptureReader {
    src: Box<dyn BufRead + Send>,
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
    pub fn from_reader(r: impl Read + Send + 'static) -> Result<CaptureReader, CaptureError> {
        CaptureReader::from_bufread(Box::new(BufReader::with_capacity(1 << 16, r)))
    }

    /// Reads a capture from text in memory.
    pub fn from_bytes(b: Vec<u8>) -> Result<CaptureReader, CaptureError> {
        CaptureReader::from_reader(io::Cursor::new(b))
    }

    fn from_bufread(src: Box<dyn BufRead + Send>) -> Result<CaptureReader, CaptureError> {
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
        let next = self.next_event();
        crate::capture::fused_step(&mut self.done, next)
    }
}

/// A JSON Lines event is built new: it replaces the one handed in.
impl EventSource for CaptureReader {
    type Error = CaptureError;
    fn read_into(&mut self, ev: &mut Event) -> Option<Result<(), CaptureError>> {
        Some(self.next()?.map(|e| *ev = e))
    }
}

pub(super) fn parse_object(line: u64, text: &str) -> Result<Map<String, Value>, CaptureError> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(other) => Err(cerr(line, format!("expected a JSON object, found {}", kind_of(&other)))),
        Err(e) => Err(json_err(line, &e)),
    }
}

pub(super) fn parse_header(line: u64, text: &str) -> Result<Header, CaptureError> {
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

pub(super) fn kind_of(v: &Value) -> String {
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
