//! Either format behind one type ([`CaptureSource`], sniffing the first bytes), opening a
//! replay of either, converting a `.scap` and summarising a capture.

use super::*;
use crate::capture::replay::{self, WantedTypes};

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
        CaptureSource::open_with(path, false)
    }

    /// [`CaptureSource::open`], a `.scap` read by a second thread when `read_ahead`
    /// ([`crate::capture::ahead`]; rulec's own captures are read on this one).
    pub fn open_with(path: impl AsRef<Path>, read_ahead: bool) -> Result<CaptureSource, CaptureFileError> {
        let path = path.as_ref();
        let mut f = File::open(path)
            .map_err(|e| CaptureFileError::Jsonl(cerr(0, format!("cannot open {}: {e}", path.display()))))?;
        let mut head = [0u8; 64];
        let (n, failed) = crate::capture::read_full(&mut f, &mut head);
        if let Some(e) = failed {
            return Err(CaptureFileError::Jsonl(cerr(0, format!("cannot read {}: {e}", path.display()))));
        }
        let src = io::Cursor::new(head[..n].to_vec()).chain(f);
        if looks_like_jsonl(&head[..n]) {
            Ok(CaptureSource::Jsonl(CaptureReader::from_reader(src)?))
        } else {
            Ok(CaptureSource::Scap(ScapReader::from_reader_with(src, read_ahead)?))
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

impl EventSource for CaptureSource {
    type Error = CaptureFileError;
    #[inline]
    fn read_into(&mut self, ev: &mut Event) -> Option<Result<(), CaptureFileError>> {
        match self {
            CaptureSource::Scap(r) => r.read_into(ev).map(|e| e.map_err(CaptureFileError::from)),
            CaptureSource::Jsonl(r) => r.read_into(ev).map(|e| e.map_err(CaptureFileError::from)),
        }
    }
    #[inline]
    fn read_wanted(&mut self, ev: &mut Event, wanted: &WantedTypes) -> Option<Result<replay::Read, CaptureFileError>> {
        match self {
            CaptureSource::Scap(r) => r.read_wanted(ev, wanted).map(|e| e.map_err(CaptureFileError::from)),
            CaptureSource::Jsonl(r) => r.read_wanted(ev, wanted).map(|e| e.map_err(CaptureFileError::from)),
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
    open_replay_with(path, limits, false)
}

/// [`open_replay`], a `.scap` read by a second thread when `read_ahead` ([`CaptureSource::open_with`]).
pub fn open_replay_with(
    path: impl AsRef<Path>,
    limits: Limits,
    read_ahead: bool,
) -> Result<Replay<CaptureSource>, CaptureFileError> {
    let src = CaptureSource::open_with(path, read_ahead)?;
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
