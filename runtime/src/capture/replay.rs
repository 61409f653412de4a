//! Capture replay: reads a `.scap` file, seeds the state machine from its process/fd/user
//! lists, and feeds every event through [`State::apply`] before handing it out.
//!
//! Old captures split a syscall's arguments between the enter and the exit event (`close`
//! enter has `fd`, exit only `res`). Current libs (the scap converter) upgrades such files to
//! the newest exit layout, which carries everything. [`Replay`] does the equivalent on the fly:
//! it remembers each thread's last enter event and appends to the matching exit event the
//! enter params it lacks (by name). Enter events are still yielded as they are.
//!
//! Usage: iterate [`Replay`]; after `next()` returns an event, [`Replay::state`] is the state
//! as rules should see it for that event.
//!
//! The driving loop (enter/exit merging, [`State::apply`]) does not care where events come
//! from: [`Replay`] is generic over its event source, a `.scap` [`ScapReader`] by default, or
//! rulec's own JSON Lines capture ([`crate::capture::CaptureReader`]), which seeds the state
//! itself and starts through [`Replay::with_state`].
//!
//! With [`Replay::decode_only`], events of the types a [`WantedTypes`] table leaves out are
//! not decoded where the source can tell them apart by their header (a `.scap` read ahead):
//! the loop applies their header to the state and goes on, and the consumer never sees them.

mod pending;
mod wanted;

use std::collections::HashSet;
use std::path::Path;

use pending::PendingEnters;
pub use wanted::WantedTypes;

use super::scap::{FdRecord, ScapError, ScapReader};
use crate::event::{Direction, Event, ParamType};
use crate::state::{FdInfo, FdKind, L4Proto, Limits, SockInfo, SockRole, State, ThreadInfo};

/// Most pending enter events kept (one per thread); beyond that all are forgotten.
const MAX_PENDING_ENTERS: usize = 65_536;

/// Most finished enter events kept to be refilled (their buffers reused).
const MAX_SPARE_EVENTS: usize = 64;

/// Where the replay loop gets its events: each one read into an event the loop hands back,
/// whose buffers are reused (a `.scap` reader allocates nothing per event once they have
/// grown). Readers that build new events ([`IterSource`]) simply replace it.
pub trait EventSource {
    /// What a failed read says.
    type Error;
    /// Reads the next event into `ev`: `None` at the end, which stays the end.
    fn read_into(&mut self, ev: &mut Event) -> Option<Result<(), Self::Error>>;
    /// [`EventSource::read_into`], or, for an event of a type `wanted` does not want, where
    /// the source can tell without decoding it, only its header ([`Read::Unread`]; `ev` is
    /// then untouched). Sources that cannot tell decode every event (the default).
    #[inline]
    fn read_wanted(&mut self, ev: &mut Event, wanted: &WantedTypes) -> Option<Result<Read, Self::Error>> {
        let _ = wanted;
        Some(self.read_into(ev)?.map(|()| Read::Event))
    }
}

/// What [`EventSource::read_wanted`] read.
#[derive(Clone, Copy, Debug)]
pub enum Read {
    /// An event, decoded into the caller's.
    Event,
    /// An event not decoded: its table row, thread and time.
    Unread { def: &'static rulec_schema::EventDef, tid: i64, ts: u64 },
}

/// Any iterator of events as an [`EventSource`] (test streams, the live probe's records).
#[derive(Debug)]
pub struct IterSource<I>(pub I);

impl<I, E> EventSource for IterSource<I>
where
    I: Iterator<Item = Result<Event, E>>,
{
    type Error = E;
    fn read_into(&mut self, ev: &mut Event) -> Option<Result<(), E>> {
        Some(self.0.next()?.map(|e| *ev = e))
    }
}

/// A replay in progress over the event source `S` (any iterator of `Result<Event, E>`).
#[derive(Debug)]
pub struct Replay<S = ScapReader> {
    reader: S,
    state: State,
    /// Each thread's pending enter event (boxed: an event moves in and out by its pointer).
    enters: PendingEnters,
    /// Events done with, to read the next ones into.
    spare: Vec<Box<Event>>,
    /// Where an exit event takes its enter event's parameters ([`MergePlans`]).
    plans: MergePlans,
    /// The types [`Replay::for_each_while`] decodes; `None`: all.
    wanted: Option<WantedTypes>,
}

/// Most events in a row [`Replay::for_each_while`] passes over undecoded: the next is decoded
/// and handed out whatever its type, so the caller sees an event (and can stop) at least
/// this often.
const MAX_UNREAD_RUN: u32 = 1 << 16;

/// For each exit event id, the index in the exit's table row of each parameter of its enter
/// event's row ([`NOT_IN_EXIT`] when the exit has no parameter of that name): worked out from
/// the names once per id, so that completing an exit read from a record compares no names.
#[derive(Debug, Default)]
struct MergePlans(Vec<Option<Box<[u8]>>>);

/// A [`MergePlans`] entry: the exit's row has no parameter of this name.
const NOT_IN_EXIT: u8 = u8::MAX;

impl MergePlans {
    /// The plan of exit event `id` whose enter's row is `enter` and own row `exit`: a look-up
    /// once it is made (inline), made on first use (out of line).
    #[inline]
    fn get(&mut self, id: u16, enter: &[(&str, ParamType)], exit: &[(&str, ParamType)]) -> &[u8] {
        let i = usize::from(id);
        if self.0.get(i).is_some_and(Option::is_some) {
            return self.0[i].as_deref().unwrap_or(&[]);
        }
        self.make(i, enter, exit)
    }

    /// Makes the plan of exit event id `i` ([`MergePlans::get`]).
    #[cold]
    fn make(&mut self, i: usize, enter: &[(&str, ParamType)], exit: &[(&str, ParamType)]) -> &[u8] {
        if self.0.len() <= i {
            self.0.resize(i + 1, None);
        }
        self.0[i].get_or_insert_with(|| {
            let at = |name: &str| exit.iter().position(|p| p.0 == name).map_or(NOT_IN_EXIT, |j| j as u8);
            enter.iter().map(|p| at(p.0)).collect()
        })
    }
}

/// Whether two event names are the same: the same table string (the usual case, a pointer
/// compare), or equal text.
#[inline]
fn same_name(a: &'static str, b: &'static str) -> bool {
    std::ptr::eq(a, b) || a == b
}

/// Opens `path` and prepares a replay with default limits.
pub fn replay(path: impl AsRef<Path>) -> Result<Replay, ScapError> {
    Replay::open(path, Limits::default())
}

impl Replay {
    /// Opens `path` with the given state limits.
    pub fn open(path: impl AsRef<Path>, limits: Limits) -> Result<Replay, ScapError> {
        Ok(Replay::from_reader(ScapReader::open(path)?, limits))
    }

    /// Builds a replay over an already opened reader: seeds the state from its metadata.
    pub fn from_reader(reader: ScapReader, limits: Limits) -> Replay {
        let mut state = State::with_limits(limits);
        seed_state(&mut state, &reader);
        Replay::with_state(reader, state)
    }
}

impl<S> Replay<S> {
    /// Builds a replay over an event source whose starting state is already in `state`.
    pub fn with_state(reader: S, state: State) -> Replay<S> {
        Replay {
            reader,
            state,
            enters: PendingEnters::new(MAX_PENDING_ENTERS),
            spare: Vec::new(),
            plans: MergePlans::default(),
            wanted: None,
        }
    }

    /// From now on, [`Replay::for_each_while`] decodes only the events of the types `wanted`
    /// wants (where the source can tell without decoding: a `.scap` file read ahead); the
    /// others are applied to the state by their header ([`State::apply_unread`]) and not
    /// handed out. The table is shared: whoever holds a clone may update it between events.
    pub fn decode_only(&mut self, wanted: WantedTypes) {
        self.wanted = Some(wanted);
    }

    /// The state as of the last returned event.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The underlying reader (metadata lists, stats).
    pub fn reader(&self) -> &S {
        &self.reader
    }

    /// Ends the replay, returning the final state with deferred removals carried out.
    pub fn into_state(mut self) -> State {
        self.state.flush_deferred();
        self.state
    }

    fn merge_enter(&mut self, ev: &mut Event) {
        if self.pairs_with_exit(ev) {
            let _spare = self.remember_enter(Box::new(ev.clone()));
        }
        self.merge_exit(ev);
    }

    /// An event not decoded ([`Replay::decode_only`]): what merging and applying it would have
    /// done, which for a type no handler has is to count it, see its thread, and end its
    /// thread's pending enter (an exit takes it, a syscall enter replaces it; the event is
    /// neither merged nor remembered, as its other half is not decoded either). One thing
    /// differs: a passed-over enter holds no place among the pending enters until its exit, so
    /// with [`MAX_PENDING_ENTERS`] threads in the middle of a syscall, the point where all are
    /// forgotten comes later.
    fn pass_over(&mut self, def: &'static rulec_schema::EventDef, tid: i64, ts: u64) {
        let ends_pending = def.dir == Direction::Exit || def.is_syscall();
        if ends_pending
            && !self.enters.is_empty()
            && let Some(enter) = self.enters.remove(tid)
            && self.spare.len() < MAX_SPARE_EVENTS
        {
            self.spare.push(enter);
        }
        self.state.apply_unread(def, tid, ts);
    }

    /// Whether `ev` is an enter event to remember until its exit: only syscall enters pair with
    /// an exit; switch/procinfo/... interleave.
    fn pairs_with_exit(&self, ev: &Event) -> bool {
        ev.dir == Direction::Enter
            && rulec_schema::event_def(ev.type_id).is_some_and(rulec_schema::EventDef::is_syscall)
    }

    /// Keeps `ev` until its exit; returns an event to read the next one into (the one it
    /// replaces, or a spare).
    fn remember_enter(&mut self, ev: Box<Event>) -> Box<Event> {
        match self.enters.insert(ev) {
            Some(old) => old,
            None => self.spare.pop().unwrap_or_else(|| Box::new(Event::empty())),
        }
    }

    /// Completes an exit event with the parameters of its thread's pending enter event (the
    /// test inline, the work out of line: an enter event costs no call).
    #[inline]
    fn merge_exit(&mut self, ev: &mut Event) {
        if ev.dir == Direction::Exit && !self.enters.is_empty() {
            self.merge_pending(ev);
        }
    }

    /// [`Replay::merge_exit`] of an exit event while some enter event is pending.
    fn merge_pending(&mut self, ev: &mut Event) {
        let Some(enter) = self.enters.remove(ev.tid) else {
            return;
        };
        if enter.type_id.wrapping_add(1) == ev.type_id && same_name(enter.name, ev.name) {
            self.complete(ev, &enter);
        }
        if self.spare.len() < MAX_SPARE_EVENTS {
            self.spare.push(enter);
        }
    }

    /// Appends to `ev` the parameters of `enter` it lacks or has absent.
    fn complete(&mut self, ev: &mut Event, enter: &Event) {
        // Both as read from their records: where each enter parameter goes is the plan's.
        if let (Some(er), Some(xr)) = (enter.params.plain_row(enter.type_id), ev.params.plain_row(ev.type_id)) {
            ev.params.join_record(&enter.params, self.plans.get(ev.type_id, er, xr));
            return;
        }
        for i in 0..enter.params.len() {
            if enter.params.is_absent(i) {
                continue;
            }
            let Some(name) = enter.params.name_at(i) else { continue };
            match ev.params.position(name) {
                Some(j) if ev.params.is_absent(j) => ev.params.copy_from(&enter.params, i, Some(j)),
                Some(_) => {}
                None => ev.params.copy_from(&enter.params, i, None),
            }
        }
    }
}

impl<S: EventSource> Replay<S> {
    /// Runs the whole capture, calling `f` with each event and the state rules would see: the
    /// same events and states as iterating, cheaper (events are read into reused buffers, and
    /// an enter event is kept for its exit by moving it after `f` has seen it, where iterating
    /// must copy it).
    pub fn for_each(self, mut f: impl FnMut(&Event, &State)) -> Result<State, S::Error> {
        self.for_each_while(|ev, st| {
            f(ev, st);
            true
        })
    }

    /// [`Replay::for_each`] until `f` returns false: the events after it are not read (a run
    /// stopped by a signal does not read the rest of a large capture).
    pub fn for_each_while(mut self, mut f: impl FnMut(&Event, &State) -> bool) -> Result<State, S::Error> {
        if let Some(wanted) = self.wanted.take() {
            return self.for_each_wanted(&wanted, f);
        }
        let mut ev = Box::new(Event::empty());
        while let Some(read) = self.reader.read_into(&mut ev) {
            read?;
            let go_on;
            (ev, go_on) = self.hand_out(ev, &mut f);
            if !go_on {
                break;
            }
        }
        Ok(self.into_state())
    }

    /// One decoded event through the loop: completed from its enter, applied, handed to `f`,
    /// and kept as its thread's pending enter if it is one. Returns the event to read the next
    /// one into (another when this one was kept) and whether `f` asks for more.
    #[inline(always)]
    fn hand_out(&mut self, mut ev: Box<Event>, f: &mut impl FnMut(&Event, &State) -> bool) -> (Box<Event>, bool) {
        self.merge_exit(&mut ev);
        self.state.apply(&ev);
        let go_on = f(&ev, &self.state);
        if self.pairs_with_exit(&ev) {
            ev = self.remember_enter(ev);
        }
        (ev, go_on)
    }

    /// [`Replay::for_each_while`] with a table of the types to decode ([`Replay::decode_only`]).
    fn for_each_wanted(
        mut self,
        wanted: &WantedTypes,
        mut f: impl FnMut(&Event, &State) -> bool,
    ) -> Result<State, S::Error> {
        let all = WantedTypes::all();
        let mut ev = Box::new(Event::empty());
        let mut unread_run = 0u32;
        loop {
            let table = if unread_run < MAX_UNREAD_RUN { wanted } else { &all };
            let Some(read) = self.reader.read_wanted(&mut ev, table) else { break };
            if let Read::Unread { def, tid, ts } = read? {
                unread_run += 1;
                self.pass_over(def, tid, ts);
                continue;
            }
            unread_run = 0;
            let go_on;
            (ev, go_on) = self.hand_out(ev, &mut f);
            if !go_on {
                break;
            }
        }
        Ok(self.into_state())
    }
}

impl<S: EventSource> Iterator for Replay<S> {
    type Item = Result<Event, S::Error>;
    fn next(&mut self) -> Option<Self::Item> {
        let mut ev = Event::empty();
        if let Err(e) = self.reader.read_into(&mut ev)? {
            return Some(Err(e));
        }
        self.merge_enter(&mut ev);
        self.state.apply(&ev);
        Some(Ok(ev))
    }
}

/// Seeds `state` with the process list, fd lists and user list of a capture.
pub fn seed_state(state: &mut State, r: &ScapReader) {
    for p in &r.procs {
        let mut t = ThreadInfo::new(p.tid, p.pid, p.ptid);
        t.sid = p.sid;
        t.vpgid = p.vpgid;
        t.pgid = p.pgid.unwrap_or(p.vpgid);
        t.comm = p.comm.clone();
        t.exe = p.exe.clone();
        t.exepath = p.exepath.clone();
        t.args = p.args.clone();
        t.env = p.env.clone();
        t.set_cwd(p.cwd.as_str());
        t.root = p.root.clone();
        t.fdlimit = p.fdlimit as i64;
        t.uid = p.uid;
        t.gid = p.gid;
        t.loginuid = p.loginuid.unwrap_or(ThreadInfo::UNSET_ID);
        t.cap_inheritable = p.cap_inheritable;
        t.cap_permitted = p.cap_permitted;
        t.cap_effective = p.cap_effective;
        t.tty = p.tty;
        t.vtid = p.vtid;
        t.vpid = p.vpid;
        t.set_cgroups_from_scap(&p.cgroups);
        t.pidns_init_start_ts = p.pidns_init_start_ts;
        t.clone_flags = p.flags;
        t.exe_writable = p.exe_writable;
        t.exe_upper_layer = p.exe_upper_layer;
        t.exe_lower_layer = p.exe_lower_layer;
        t.exe_from_memfd = p.exe_from_memfd;
        t.exe_ino = p.exe_ino;
        t.exe_ino_ctime = p.exe_ino_ctime;
        t.exe_ino_mtime = p.exe_ino_mtime;
        t.vmsize_kb = p.vmsize_kb;
        t.vmrss_kb = p.vmrss_kb;
        t.vmswap_kb = p.vmswap_kb;
        t.from_proc_list = true;
        state.add_thread(t);
    }
    // The fd list records a connected socket as seen from its end, local → remote. libsinsp
    // orients connections client → server: every port some listening socket of the capture
    // is bound to (IPv4 or IPv6) is a server port, and an IPv4 socket whose local port is one
    // of them was accepted, so its tuple is turned round and it is a server socket
    // (`fix_sockets_coming_from_proc`; IPv6 sockets are left as recorded, as libsinsp does).
    let server_ports: HashSet<u16> = r
        .fds
        .iter()
        .filter_map(|e| match &e.record {
            FdRecord::Ipv4Serv { port, .. } | FdRecord::Ipv6Serv { port, .. } => Some(*port),
            _ => None,
        })
        .collect();
    for e in &r.fds {
        let pid = state.thread(e.tid).map_or(e.tid, |t| t.pid);
        let mut f = match &e.record {
            FdRecord::Ipv4Sock { sip, dip, sport, dport, l4proto } => {
                let accepted = server_ports.contains(sport);
                let (local, remote) = (((*sip).into(), *sport), ((*dip).into(), *dport));
                let (client, server, role) =
                    if accepted { (remote, local, SockRole::Server) } else { (local, remote, SockRole::Client) };
                FdInfo::inet_connected(e.fd, client, server, L4Proto::from_scap(*l4proto), role)
            }
            FdRecord::Ipv6Sock { sip, dip, sport, dport, l4proto } => {
                let (local, remote) = (((*sip).into(), *sport), ((*dip).into(), *dport));
                FdInfo::inet_connected(e.fd, local, remote, L4Proto::from_scap(*l4proto), SockRole::None)
            }
            FdRecord::Ipv4Serv { ip, port, l4proto } => {
                FdInfo::inet_bound(e.fd, ((*ip).into(), *port), L4Proto::from_scap(*l4proto), SockRole::Server)
            }
            FdRecord::Ipv6Serv { ip, port, l4proto } => {
                FdInfo::inet_bound(e.fd, ((*ip).into(), *port), L4Proto::from_scap(*l4proto), SockRole::Server)
            }
            FdRecord::Unix { source, dest, path } => {
                // libsinsp names a unix socket of the fd list by its path alone (empty for an
                // unnamed one), unlike one it saw connect (`src->dst path`).
                // libscap copies the path from a /proc/net/unix line, line end included; that
                // is not part of the path (libsinsp's output drops it as non-printable).
                let mut f = FdInfo::new(e.fd, FdKind::UnixSock, path.trim_end_matches('\n').to_owned());
                f.sock = Some(SockInfo {
                    unix_path: Some(path.clone()),
                    unix_ptrs: Some((*source, *dest)),
                    ..SockInfo::default()
                });
                f
            }
            FdRecord::File { open_flags, name, dev } => {
                let mut f = FdInfo::file(e.fd, name.clone(), *open_flags);
                f.dev = *dev;
                f
            }
            FdRecord::Named { ty, name } => {
                let kind = FdKind::from_scap(*ty);
                FdInfo::new(e.fd, kind, name.clone())
            }
        };
        f.ino = e.ino;
        state.add_fd(pid, f);
    }
    for u in &r.users {
        state.add_user("", u.clone());
    }
    for g in &r.groups {
        state.add_group("", g.clone());
    }
}
