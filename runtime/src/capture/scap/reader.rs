//! [`ScapReader`]: the block walk (metadata blocks into [`super::records`] types, event blocks
//! in their v1/v2/flagged/large variants decoded into [`Event`]s with the schema's table).

use super::decode::{Body, decode_event_block, decode_trusted, generic_code, header_of};
use super::*;
use crate::capture::replay::{self, WantedTypes};
use crate::state::{GroupInfo, UserInfo};

mod repeat;
pub use repeat::repeat_events;

/// The read buffer: large reads, few system calls.
const READ_BUF: usize = 1 << 20;

pub(super) struct Block {
    ty: u32,
    body: Vec<u8>,
    /// Offset of the block header.
    offset: u64,
}

/// A `.scap` reader: opening it reads the header and all metadata blocks up to the first event;
/// iterating yields the events.
pub struct ScapReader {
    input: Input,
    offset: u64,
    /// Section header.
    pub header: SectionHeader,
    /// Machine info, if the file has it.
    pub machine: Option<MachineInfo>,
    /// Process list (threads at capture start).
    pub procs: Vec<ProcEntry>,
    /// Fd lists.
    pub fds: Vec<FdEntry>,
    /// Interfaces.
    pub interfaces: Vec<Interface>,
    /// Users.
    pub users: Vec<UserInfo>,
    /// Groups.
    pub groups: Vec<GroupInfo>,
    pending: Option<Block>,
    /// The body buffer of the last decoded event block, reused by the next block (one
    /// allocation per reader instead of one per event).
    spare: Vec<u8>,
    done: bool,
    stats: ReaderStats,
}

impl fmt::Debug for ScapReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScapReader")
            .field("offset", &self.offset)
            .field("header", &self.header)
            .field("procs", &self.procs.len())
            .field("fds", &self.fds.len())
            .finish_non_exhaustive()
    }
}

impl ScapReader {
    /// Opens a capture file (gzip detected by its magic).
    pub fn open(path: impl AsRef<Path>) -> Result<ScapReader, ScapError> {
        let path = path.as_ref();
        let f = File::open(path).map_err(|e| ScapError {
            offset: 0,
            message: format!("cannot open {}", path.display()),
            io: Some(e),
        })?;
        ScapReader::from_reader(f)
    }

    /// Reads a capture from any byte stream (gzip detected by its magic).
    pub fn from_reader(r: impl Read + Send + 'static) -> Result<ScapReader, ScapError> {
        ScapReader::from_reader_with(r, false)
    }

    /// [`ScapReader::from_reader`], the stream read (and decompressed) by a second thread when
    /// `ahead` ([`crate::capture::ahead`]): the same events and errors.
    pub fn from_reader_with(r: impl Read + Send + 'static, ahead: bool) -> Result<ScapReader, ScapError> {
        let mut input = Input::new(Box::new(r), READ_BUF);
        let gzip = input.want(2).map_err(|e| ScapError { offset: 0, message: "read failed".into(), io: Some(e) })?
            && input.unread().starts_with(&[0x1f, 0x8b]);
        if gzip {
            input = Input::new(Box::new(flate2::read::MultiGzDecoder::new(input)), READ_BUF);
        }
        if ahead {
            let framer: Box<dyn crate::capture::ahead::Index> = Box::new(super::framing::Framer::default());
            input = Input::ahead(Box::new(input), READ_BUF, Some(framer)).map_err(|e| ScapError {
                offset: 0,
                message: "cannot start the reading thread".into(),
                io: Some(e),
            })?;
        }
        ScapReader::from_input(input)
    }

    /// Reads an in-memory capture.
    pub fn from_bytes(b: Vec<u8>) -> Result<ScapReader, ScapError> {
        ScapReader::from_reader(io::Cursor::new(b))
    }

    fn from_input(input: Input) -> Result<ScapReader, ScapError> {
        let mut r = ScapReader {
            input,
            offset: 0,
            header: SectionHeader::default(),
            machine: None,
            procs: Vec::new(),
            fds: Vec::new(),
            interfaces: Vec::new(),
            users: Vec::new(),
            groups: Vec::new(),
            pending: None,
            spare: Vec::new(),
            done: false,
            stats: ReaderStats::default(),
        };
        let first = r.read_block()?.ok_or_else(|| err(0, "empty file: no section header block"))?;
        if first.ty != SHB {
            return Err(err(0, format!("not a scap file: first block type {:#x}, expected SHB 0x0a0d0d0a", first.ty)));
        }
        r.parse_shb(&first)?;
        loop {
            match r.read_block()? {
                None => break,
                Some(b) if is_event_block(b.ty) => {
                    r.pending = Some(b);
                    break;
                }
                Some(b) => r.parse_meta(&b)?,
            }
        }
        Ok(r)
    }

    /// Counters so far.
    pub fn stats(&self) -> ReaderStats {
        self.stats
    }

    /// Records the byte range of event block `b` (header to trailer) for [`repeat_events`].
    fn push_event_range(&self, b: &Block, out: &mut Vec<std::ops::Range<usize>>) {
        let start = b.offset as usize;
        out.push(start..start + 12 + b.body.len());
    }

    /// Current offset in the decompressed stream.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    fn read_exact_or_eof(&mut self, buf: &mut [u8]) -> Result<usize, ScapError> {
        match crate::capture::read_full(&mut self.input, buf) {
            (got, None) => Ok(got),
            (got, Some(e)) => Err(ScapError {
                offset: self.offset + got as u64,
                message: "read failed (corrupt gzip stream?)".into(),
                io: Some(e),
            }),
        }
    }

    fn read_block(&mut self) -> Result<Option<Block>, ScapError> {
        if let Some(b) = self.read_buffered_block() {
            return Ok(Some(b));
        }
        self.read_block_in_parts()
    }

    /// The usual case: a whole, well-formed block of at most [`READER_BUF_SIZE`] bytes, read
    /// into the buffer (refilled if it runs past its end) and copied out of it once. `None`
    /// leaves everything to [`ScapReader::read_block_in_parts`] (a larger block, a read
    /// error, or any oddity, which that path reports).
    #[inline]
    fn read_buffered_block(&mut self) -> Option<Block> {
        let total = self.buffered_block_len()?;
        let buf = self.input.unread();
        let ty = u32::from_le_bytes(buf.get(..4)?.try_into().ok()?);
        let mut body = std::mem::take(&mut self.spare);
        body.clear();
        body.extend_from_slice(buf.get(8..total - 4)?);
        self.input.consume(total);
        let offset = self.offset;
        self.offset += total as u64;
        self.stats.blocks += 1;
        Some(Block { ty, body, offset })
    }

    /// The length of the next block when it is whole in the read buffer (read into it if it
    /// runs past the buffer's end), at most [`READER_BUF_SIZE`] bytes of body, and its trailer
    /// repeats its length; `None` otherwise.
    #[inline]
    fn buffered_block_len(&mut self) -> Option<usize> {
        if self.input.unread().len() < 8 && !self.input.want(8).ok()? {
            return None;
        }
        let word = |buf: &[u8], at: usize| Some(u32::from_le_bytes(buf.get(at..at + 4)?.try_into().ok()?));
        let head = self.input.unread();
        let len = word(head, 4)?;
        let total = len as usize;
        if len < 12 || (total - 12) > READER_BUF_SIZE {
            return None;
        }
        if head.len() < total && !self.input.want(total).ok()? {
            return None;
        }
        (word(self.input.unread(), total - 4)? == len).then_some(total)
    }

    fn read_block_in_parts(&mut self) -> Result<Option<Block>, ScapError> {
        let start = self.offset;
        let mut hdr = [0u8; 8];
        let n = self.read_exact_or_eof(&mut hdr)?;
        if n == 0 {
            return Ok(None);
        }
        if n < 8 {
            return Err(err(start, format!("truncated block header: {n} of 8 bytes")));
        }
        let ty = u32::from_le_bytes([hdr[0], hdr[1], hdr[2], hdr[3]]);
        let len = u32::from_le_bytes([hdr[4], hdr[5], hdr[6], hdr[7]]);
        if len < 12 {
            return Err(err(start + 4, format!("block {ty:#x} has length {len}, less than the 12-byte minimum")));
        }
        if len > MAX_BLOCK_LEN {
            return Err(err(start + 4, format!("block {ty:#x} has length {len}, over the {MAX_BLOCK_LEN}-byte limit")));
        }
        let body_len = (len - 12) as usize;
        if is_event_block(ty) && !matches!(ty, EV_V2_LARGE | EVF_V2_LARGE) && body_len > READER_BUF_SIZE {
            return Err(err(
                start + 4,
                format!("event block {ty:#x} of {len} bytes exceeds {READER_BUF_SIZE} and is not a LARGE block"),
            ));
        }
        let mut body = std::mem::take(&mut self.spare);
        body.clear();
        let got = if body_len <= READER_BUF_SIZE {
            // The usual block: read in place into the reused buffer.
            body.resize(body_len, 0);
            let got = self.read_exact_or_eof(&mut body)?;
            body.truncate(got);
            got
        } else {
            // Grow with the data actually present: a lying length cannot allocate more than
            // the file.
            body.reserve(body_len.min(1 << 16));
            (&mut self.input).take(body_len as u64).read_to_end(&mut body).map_err(|e| ScapError {
                offset: start + 8,
                message: "read failed".into(),
                io: Some(e),
            })?
        };
        if got < body_len {
            return Err(err(
                start + 8 + got as u64,
                format!("truncated block {ty:#x}: body needs {body_len} bytes, file ends after {got}"),
            ));
        }
        self.offset = start + 8 + body_len as u64;
        let mut tr = [0u8; 4];
        let n = self.read_exact_or_eof(&mut tr)?;
        if n < 4 {
            return Err(err(self.offset, format!("truncated block {ty:#x}: missing trailer")));
        }
        let trailer = u32::from_le_bytes(tr);
        if trailer != len {
            return Err(err(
                self.offset,
                format!("block {ty:#x} trailer length {trailer} differs from header length {len}"),
            ));
        }
        self.offset += 4;
        self.stats.blocks += 1;
        Ok(Some(Block { ty, body, offset: start }))
    }

    fn parse_shb(&mut self, b: &Block) -> Result<(), ScapError> {
        let mut c = Cur::new(&b.body, b.offset + 8);
        let magic = c.u32("SHB byte-order magic")?;
        if magic != BYTE_ORDER_MAGIC {
            return Err(err(b.offset + 8, format!("SHB byte-order magic {magic:#x}, expected 0x1a2b3c4d")));
        }
        let major = c.u16("SHB major version")?;
        let minor = c.u16("SHB minor version")?;
        if major != 1 {
            return Err(err(b.offset + 12, format!("unsupported scap major version {major}")));
        }
        self.header = SectionHeader { major, minor };
        self.stats.sections += 1;
        Ok(())
    }

    fn parse_meta(&mut self, b: &Block) -> Result<(), ScapError> {
        let base = b.offset + 8;
        match b.ty {
            SHB => self.parse_shb(b)?,
            MI | MI_INT => {
                let mut c = Cur::new(&b.body, base);
                let num_cpus = c.u32("machine info num_cpus")?;
                let memory_bytes = c.u64("machine info memory")?;
                let max_pid = c.u64("machine info max_pid")?;
                let host = c.take(128, "machine info hostname")?;
                let end = host.iter().position(|&x| x == 0).unwrap_or(host.len());
                let hostname = String::from_utf8_lossy(&host[..end]).into_owned();
                let boot_ts = if c.remaining() >= 8 { c.u64("machine info boot_ts")? } else { 0 };
                self.machine = Some(MachineInfo { num_cpus, memory_bytes, max_pid, hostname, boot_ts });
            }
            FDL | FDL_INT | FDL_V2 => self.parse_fdl(b, b.ty == FDL_V2)?,
            IL | IL_INT | IL_V2 => self.parse_il(b, b.ty == IL_V2)?,
            UL | UL_INT | UL_V2 => self.parse_ul(b, b.ty == UL_V2)?,
            t => match pl_version(t) {
                Some(v) => self.parse_pl(b, v)?,
                None => self.stats.skipped_blocks += 1,
            },
        }
        Ok(())
    }

    fn parse_pl(&mut self, b: &Block, v: u8) -> Result<(), ScapError> {
        let mut c = Cur::new(&b.body, b.offset + 8);
        while c.remaining() >= 4 {
            let entry_off = c.off();
            // V9 entry length counts its own 4 bytes.
            let (sub_len, start) =
                if v == 9 { (c.u32("process entry length")? as usize, c.pos - 4) } else { (0, c.pos) };
            if v == 9 && sub_len > c.remaining() + 4 {
                return Err(err(
                    entry_off,
                    format!("process entry length {sub_len} exceeds the {} bytes left", c.remaining()),
                ));
            }
            let mut p = ProcEntry {
                tid: c.i64("process tid")?,
                pid: c.i64("process pid")?,
                ptid: c.i64("process ptid")?,
                ..ProcEntry::default()
            };
            if v >= 6 {
                p.sid = c.i64("process sid")?;
            }
            if v >= 8 {
                p.vpgid = c.i64("process vpgid")?;
            }
            p.comm = c.str16("process comm")?;
            p.exe = c.str16("process exe")?;
            if v >= 7 {
                p.exepath = c.str16("process exepath")?;
            }
            p.args = split_nul(c.bytes16("process args")?);
            p.cwd = c.str16("process cwd")?;
            p.fdlimit = c.u64("process fdlimit")?;
            p.flags = c.u32("process flags")?;
            p.uid = c.u32("process uid")?;
            p.gid = c.u32("process gid")?;
            if v >= 2 {
                p.vmsize_kb = c.u32("process vmsize")?;
                p.vmrss_kb = c.u32("process vmrss")?;
                p.vmswap_kb = c.u32("process vmswap")?;
                p.pfmajor = c.u64("process pfmajor")?;
                p.pfminor = c.u64("process pfminor")?;
            }
            if v >= 3 {
                p.env = split_nul(c.bytes16("process env")?);
            }
            if v >= 4 {
                p.vtid = c.i64("process vtid")?;
                p.vpid = c.i64("process vpid")?;
                p.cgroups = split_nul(c.bytes16("process cgroups")?);
            } else {
                p.vtid = p.tid;
                p.vpid = p.pid;
            }
            if v >= 5 {
                p.root = c.str16("process root")?;
            }
            if v == 9 {
                let end = start + sub_len;
                let room = |c: &Cur<'_>, n: usize| c.pos + n <= end;
                if room(&c, 12) {
                    p.pidns_init_start_ts = c.u64("process pidns_init_start_ts")?;
                    p.tty = c.u32("process tty")?;
                }
                if room(&c, 4) {
                    p.loginuid = Some(c.u32("process loginuid")?);
                }
                if room(&c, 1) {
                    p.exe_writable = c.u8("process exe_writable")? != 0;
                }
                if room(&c, 24) {
                    p.cap_inheritable = c.u64("process cap_inheritable")?;
                    p.cap_permitted = c.u64("process cap_permitted")?;
                    p.cap_effective = c.u64("process cap_effective")?;
                }
                if room(&c, 1) {
                    p.exe_upper_layer = c.u8("process exe_upper_layer")? != 0;
                }
                if room(&c, 24) {
                    p.exe_ino = c.u64("process exe_ino")?;
                    p.exe_ino_ctime = c.u64("process exe_ino_ctime")?;
                    p.exe_ino_mtime = c.u64("process exe_ino_mtime")?;
                }
                if room(&c, 1) {
                    p.exe_from_memfd = c.u8("process exe_from_memfd")? != 0;
                }
                if room(&c, 1) {
                    p.exe_lower_layer = c.u8("process exe_lower_layer")? != 0;
                }
                if room(&c, 8) {
                    p.pgid = Some(c.i64("process pgid")?);
                }
                c.skip_to(end, "process entry")?;
            }
            self.procs.push(p);
        }
        Ok(())
    }

    fn parse_fdl(&mut self, b: &Block, v2: bool) -> Result<(), ScapError> {
        let mut c = Cur::new(&b.body, b.offset + 8);
        let tid = c.i64("fd list tid")?;
        while c.remaining() >= 4 {
            let entry_off = c.off();
            // V2 entry length counts its own 4 bytes.
            let (sub_len, start) = if v2 { (c.u32("fd entry length")? as usize, c.pos - 4) } else { (0, c.pos) };
            if v2 && sub_len > c.remaining() + 4 {
                return Err(err(
                    entry_off,
                    format!("fd entry length {sub_len} exceeds the {} bytes left", c.remaining()),
                ));
            }
            let fd = c.i64("fd number")?;
            let ino = c.u64("fd inode")?;
            let ty = c.u8("fd type")?;
            let ip4 = |c: &mut Cur<'_>, w: &str| -> Result<Ipv4Addr, ScapError> { Ok(Ipv4Addr::from(c.arr::<4>(w)?)) };
            let ip6 = |c: &mut Cur<'_>, w: &str| -> Result<Ipv6Addr, ScapError> { Ok(Ipv6Addr::from(c.arr::<16>(w)?)) };
            let record = match ty {
                3 => FdRecord::Ipv4Sock {
                    sip: ip4(&mut c, "fd ipv4 sip")?,
                    dip: ip4(&mut c, "fd ipv4 dip")?,
                    sport: c.u16("fd sport")?,
                    dport: c.u16("fd dport")?,
                    l4proto: c.u8("fd l4proto")?,
                },
                5 => FdRecord::Ipv4Serv {
                    ip: ip4(&mut c, "fd ipv4 ip")?,
                    port: c.u16("fd port")?,
                    l4proto: c.u8("fd l4proto")?,
                },
                4 => FdRecord::Ipv6Sock {
                    sip: ip6(&mut c, "fd ipv6 sip")?,
                    dip: ip6(&mut c, "fd ipv6 dip")?,
                    sport: c.u16("fd sport")?,
                    dport: c.u16("fd dport")?,
                    l4proto: c.u8("fd l4proto")?,
                },
                6 => FdRecord::Ipv6Serv {
                    ip: ip6(&mut c, "fd ipv6 ip")?,
                    port: c.u16("fd port")?,
                    l4proto: c.u8("fd l4proto")?,
                },
                8 => FdRecord::Unix {
                    source: c.u64("fd unix source")?,
                    dest: c.u64("fd unix dest")?,
                    path: c.str16("fd unix path")?,
                },
                16 => {
                    let open_flags = c.u32("fd file flags")?;
                    let name = c.str16("fd file name")?;
                    let dev = if v2 && c.pos + 4 <= start + sub_len { c.u32("fd file dev")? } else { 0 };
                    FdRecord::File { open_flags, name, dev }
                }
                1 => FdRecord::File { open_flags: 0, name: c.str16("fd file name")?, dev: 0 },
                2 | 7 | 9..=15 | 17..=21 => FdRecord::Named { ty, name: c.str16("fd name")? },
                // Unknown types: libscap reads a name and marks them unsupported.
                _ => FdRecord::Named { ty: 10, name: c.str16("fd name")? },
            };
            if v2 {
                c.skip_to(start + sub_len, "fd entry")?;
            }
            self.fds.push(FdEntry { tid, fd, ino, record });
        }
        Ok(())
    }

    fn parse_il(&mut self, b: &Block, v2: bool) -> Result<(), ScapError> {
        let mut c = Cur::new(&b.body, b.offset + 8);
        while c.remaining() >= 4 {
            let entry_off = c.off();
            // IL_V2 entry length does not count its own 4 bytes (unlike PL_V9/FDL_V2/UL_V2).
            let (elen, start) = if v2 { (c.u32("interface entry length")? as usize, c.pos) } else { (0, c.pos) };
            if v2 && elen > c.remaining() {
                return Err(err(entry_off, format!("interface entry length {elen} exceeds the block")));
            }
            let ty = c.u16("interface type")?;
            let namelen = usize::from(c.u16("interface name length")?);
            let addr = match ty {
                1 | 3 => {
                    let a = Ipv4Addr::from(c.arr::<4>("interface addr")?);
                    c.take(8, "interface netmask/bcast")?;
                    if ty == 1 {
                        c.u64("interface linkspeed")?;
                    }
                    a.to_string()
                }
                2 | 4 => {
                    let a = Ipv6Addr::from(c.arr::<16>("interface addr")?);
                    c.take(32, "interface netmask/bcast")?;
                    if ty == 2 {
                        c.u64("interface linkspeed")?;
                    }
                    a.to_string()
                }
                t => return Err(err(entry_off, format!("unknown interface type {t}"))),
            };
            let name = c.take(namelen, "interface name")?;
            let end = name.iter().position(|&x| x == 0).unwrap_or(name.len());
            self.interfaces.push(Interface { name: String::from_utf8_lossy(&name[..end]).into_owned(), addr });
            if v2 {
                c.skip_to(start + elen, "interface entry")?;
            }
        }
        Ok(())
    }

    fn parse_ul(&mut self, b: &Block, v2: bool) -> Result<(), ScapError> {
        let mut c = Cur::new(&b.body, b.offset + 8);
        while c.remaining() >= 4 {
            let entry_off = c.off();
            // V2 entry length counts its own 4 bytes.
            let (sub_len, start) = if v2 { (c.u32("user entry length")? as usize, c.pos - 4) } else { (0, c.pos) };
            if v2 && sub_len > c.remaining() + 4 {
                return Err(err(
                    entry_off,
                    format!("user entry length {sub_len} exceeds the {} bytes left", c.remaining()),
                ));
            }
            match c.u8("user entry type")? {
                0 => {
                    let uid = c.u32("user uid")?;
                    let gid = c.u32("user gid")?;
                    let name = c.str16("user name")?;
                    let home = c.str16("user home")?;
                    let shell = c.str16("user shell")?;
                    self.users.push(UserInfo { uid, gid, name, home, shell });
                }
                1 => {
                    let gid = c.u32("group gid")?;
                    let name = c.str16("group name")?;
                    self.groups.push(GroupInfo { gid, name });
                }
                t => return Err(err(entry_off, format!("unknown user-list entry type {t}"))),
            }
            if v2 {
                c.skip_to(start + sub_len, "user entry")?;
            }
        }
        Ok(())
    }

    /// Reads the next event into `ev`, reusing its buffers (no allocation per event once
    /// they have grown); `Ok(false)` at the end.
    fn fill(&mut self, ev: &mut Event) -> Result<bool, ScapError> {
        ev.params.clear();
        loop {
            if self.pending.is_none()
                && let Some(read) = self.read_buffered_event(ev)
            {
                if read? {
                    self.stats.events += 1;
                    return Ok(true);
                }
                self.stats.skipped_unknown += 1;
                continue;
            }
            let b = match self.pending.take() {
                Some(b) => b,
                None => match self.read_block()? {
                    Some(b) => b,
                    None => return Ok(false),
                },
            };
            if is_event_block(b.ty) {
                // The block's bytes become the event's; its old buffer serves the next block.
                let decoded = decode_event_block(b.ty, Body::Owned(b.body), b.offset, ev, &mut self.spare)?;
                if decoded {
                    self.stats.events += 1;
                    return Ok(true);
                }
                self.stats.skipped_unknown += 1;
            } else {
                self.parse_meta(&b)?;
                self.spare = b.body;
            }
        }
    }

    /// [`ScapReader::fill`], except that an event block the reading thread marked well formed
    /// whose type `wanted` does not want is passed over with only its header read.
    #[inline]
    fn fill_wanted(&mut self, ev: &mut Event, wanted: &WantedTypes) -> Result<Option<replay::Read>, ScapError> {
        if self.pending.is_none()
            && let Some(read) = self.pass_unwanted(wanted)
        {
            return Ok(Some(read));
        }
        Ok(self.fill(ev)?.then_some(replay::Read::Event))
    }

    /// At a block the reading thread marked ([`super::framing`]: whole, well framed, a known
    /// event type whose record checks out) of a type `wanted` does not want: the block
    /// consumed and its header returned. `None` (nothing consumed) anywhere else.
    #[inline]
    fn pass_unwanted(&mut self, wanted: &WantedTypes) -> Option<replay::Read> {
        let nparams = self.input.at_mark()?;
        let (ty, len) = block_head(self.input.unread())?;
        let body = self.input.unread().get(8..(len as usize).saturating_sub(4))?;
        let (def, tid, ts) = header_of(ty, body)?;
        if wanted.wants_event(def.id, || generic_code(ty, body, nparams as usize)) {
            return None;
        }
        self.input.consume(len as usize);
        self.offset += u64::from(len);
        self.stats.blocks += 1;
        self.stats.events += 1;
        self.stats.unread += 1;
        Some(replay::Read::Unread { def, tid, ts })
    }

    /// The usual case of [`ScapReader::fill`]: an event block of at most [`READER_BUF_SIZE`]
    /// bytes, whole and well framed in the read buffer (refilled if it runs past its end),
    /// decoded where it lies and its bytes copied once, into the event. `None` leaves the
    /// block to the general path (any other block, a read error or an oddity of framing,
    /// which that path reports). The framing is read from the buffer once: type and length
    /// from the first eight bytes, the trailer at the end.
    ///
    /// Read ahead, the reading thread has done all that for most blocks ([`super::framing`]):
    /// at a block it marked, the block is decoded as it lies, nothing checked again.
    #[inline]
    fn read_buffered_event(&mut self, ev: &mut Event) -> Option<Result<bool, ScapError>> {
        self.input.prefetch();
        if let Some(nparams) = self.input.at_mark()
            && let Some((ty, len)) = block_head(self.input.unread())
            && let Some(body) = self.input.unread().get(8..(len as usize).saturating_sub(4))
            && decode_trusted(ty, body, nparams as usize, ev)
        {
            self.input.consume(len as usize);
            self.offset += u64::from(len);
            self.stats.blocks += 1;
            return Some(Ok(true));
        }
        let (ty, len) = match block_head(self.input.unread()) {
            Some(h) => h,
            None => {
                if !self.input.want(8).ok()? {
                    return None;
                }
                block_head(self.input.unread())?
            }
        };
        if !is_event_block(ty) || len < 12 || (len as usize - 12) > READER_BUF_SIZE {
            return None;
        }
        let total = len as usize;
        if self.input.unread().len() < total && !self.input.want(total).ok()? {
            return None;
        }
        let block = self.input.unread().get(..total)?;
        let (body, trailer) = block.get(8..)?.split_at_checked(total - 12)?;
        if u32::from_le_bytes(trailer.try_into().ok()?) != len {
            return None;
        }
        let read = decode_event_block(ty, Body::Borrowed(body), self.offset, ev, &mut Vec::new());
        self.input.consume(total);
        self.offset += total as u64;
        self.stats.blocks += 1;
        Some(read)
    }
}

/// The type and length words of the block that starts `buf`, if its eight bytes are there.
#[inline(always)]
fn block_head(buf: &[u8]) -> Option<(u32, u32)> {
    let h: &[u8; 8] = buf.first_chunk()?;
    Some((u32::from_le_bytes([h[0], h[1], h[2], h[3]]), u32::from_le_bytes([h[4], h[5], h[6], h[7]])))
}

impl Iterator for ScapReader {
    type Item = Result<Event, ScapError>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let mut ev = Event::empty();
        let next = self.fill(&mut ev).map(|more| more.then_some(ev));
        crate::capture::fused_step(&mut self.done, next)
    }
}

impl crate::replay::EventSource for ScapReader {
    type Error = ScapError;
    #[inline]
    fn read_into(&mut self, ev: &mut Event) -> Option<Result<(), ScapError>> {
        if self.done {
            return None;
        }
        let next = self.fill(ev).map(|more| more.then_some(()));
        crate::capture::fused_step(&mut self.done, next)
    }

    #[inline]
    fn read_wanted(&mut self, ev: &mut Event, wanted: &WantedTypes) -> Option<Result<replay::Read, ScapError>> {
        if self.done {
            return None;
        }
        let next = self.fill_wanted(ev, wanted);
        crate::capture::fused_step(&mut self.done, next)
    }
}
