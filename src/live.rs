//! Live events: the eBPF probe's ring-buffer records, decoded by the same decoder as capture
//! files ([`rulec_runtime::capture::scap::decode_record`]) and handed out in time order, as an
//! iterator that the replay loop ([`rulec_runtime::Replay`]) drives exactly as it drives a
//! capture: one pipeline for live capture and replay.
//!
//! Records are read in batches (up to [`BATCH_PER_CPU`] per CPU ring) and merged by timestamp.
//! A ring that still held more than a batch may hold records older than another CPU's newest, so
//! events are handed out only up to a watermark: the oldest "last record read" among the rings
//! that were not emptied; once every ring has been emptied, everything read goes out. (A record
//! committed after its ring was emptied can still be a little older than one already handed out,
//! as with any reader of per-CPU buffers.) The kernel's boot-time clock is turned into wall-clock
//! time. A record the decoder
//! rejects is counted, never silently dropped. The iterator ends when the stop flag is raised.
//!
//! `rulec capture` also needs the record bytes behind each event, to write them to a `.scap`
//! file as they are: [`LiveEvents::tap`] keeps them, and the [`RecordTap`] it returns holds the
//! record of the event the iterator returned last.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rulec_compiler::ir::{EventTypes, Program};
use rulec_probe::{Counters, Probe, ProbeError};
use rulec_runtime::Event;
use rulec_runtime::capture::scap::decode_record_into;

/// Records taken from each CPU's ring per read.
pub const BATCH_PER_CPU: usize = 1024;

/// What the live source counted.
#[derive(Debug, Default, Clone, Copy)]
pub struct LiveStats {
    /// Records decoded into events.
    pub events: u64,
    /// Records the decoder rejected (malformed kernel data).
    pub decode_errors: u64,
    /// Records of an event type the table does not know.
    pub unknown_types: u64,
}

/// The record behind an event, as a capture file holds it: the probe's bytes, with the
/// timestamp turned into nanoseconds since the epoch (the event's `ts`).
#[derive(Debug, Default, Clone)]
pub struct TappedRecord {
    /// The CPU whose ring held it.
    pub cpu: u16,
    /// The record.
    pub bytes: Vec<u8>,
}

/// A handle on the record of the event [`LiveEvents`] returned last (see [`LiveEvents::tap`]).
pub type RecordTap = Rc<RefCell<TappedRecord>>;

/// An event and, when tapped, its record.
type Item = (Event, Option<TappedRecord>);

/// The probe as an iterator of events.
pub struct LiveEvents {
    probe: Probe,
    pending: VecDeque<Item>,
    /// Events in `pending` up to this time may be handed out (see the module doc).
    watermark: u64,
    /// Per CPU during a read: records read and the last one's time.
    read_per_cpu: Vec<(usize, u64)>,
    batch: Vec<Item>,
    /// Events handed back by the loop, decoded into again (their buffers reused).
    free: Vec<Event>,
    /// Where the record of the event returned last goes, when someone asked for records.
    tap: Option<RecordTap>,
    /// Called each time the source waits for records (at most every 20 ms while idle).
    on_idle: Option<Box<dyn FnMut()>>,
    stop: Arc<AtomicBool>,
    /// Added to the kernel's boot-time timestamps to get nanoseconds since the epoch.
    boot_to_epoch: u64,
    stats: LiveStats,
    first_error: Option<String>,
    /// The kernel's per-CPU counters and this source's own, refreshed about once a second and
    /// when the stream ends, for whoever reports (the loop that drives this iterator owns it).
    shared: Arc<Mutex<LiveReport>>,
    last_refresh: std::time::Instant,
    /// Records the rings can hold at most (every CPU's ring full of the smallest records).
    capacity: usize,
    /// After the stop: records still to read before giving up (what the rings held at the
    /// stop, at most [`LiveEvents::capacity`]); new records keep coming while the probe is
    /// attached, and a busy host must not keep a stopped run draining.
    drain_left: Option<usize>,
    /// A new syscall set to capture (after a rules reload), applied at the next refresh.
    syscalls: Arc<Mutex<Option<Vec<u32>>>>,
}

/// What the live source reports: kernel counters per CPU and decoding counts.
#[derive(Debug, Default, Clone)]
pub struct LiveReport {
    /// Per-CPU counters of the probe.
    pub cpus: Vec<Counters>,
    /// Decoding counts.
    pub stats: LiveStats,
    /// The first record the decoder rejected, if any.
    pub first_error: Option<String>,
}

impl LiveReport {
    /// The report as text: records, drops, cut strings, unreadable arguments and decoding
    /// failures; per CPU when anything was dropped, or when `last` (the summary at exit).
    pub fn summary(&self, last: bool) -> String {
        let mut total = Counters::default();
        for c in &self.cpus {
            total.add(c);
        }
        let mut text = format!(
            "  kernel: {} records, {} dropped ({} ring buffer full), {} strings cut, {} unreadable arguments, {} arguments read at exit (no entry copy), {} 32-bit syscalls not captured; {} records rejected by the decoder, {} of an event type the table lacks",
            total.events,
            total.drops(),
            total.drops_buffer,
            total.truncated,
            total.read_faults,
            total.enter_missing,
            total.compat_skipped,
            self.stats.decode_errors,
            self.stats.unknown_types
        );
        if total.drops() > 0 || last {
            let per_cpu: Vec<String> = self
                .cpus
                .iter()
                .enumerate()
                .filter(|(_, c)| c.events + c.drops() > 0)
                .map(|(i, c)| format!("cpu{i} {}/{}", c.events, c.drops()))
                .collect();
            text.push_str(&format!("\n  per CPU (records/drops): {}", per_cpu.join(", ")));
        }
        if let Some(e) = &self.first_error {
            text.push_str(&format!("\n  first rejected record: {e}"));
        }
        text
    }

    /// Records the kernel dropped, on every CPU.
    pub fn dropped(&self) -> u64 {
        self.cpus.iter().map(Counters::drops).sum()
    }
}

impl std::fmt::Debug for LiveEvents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveEvents").field("stats", &self.stats).finish_non_exhaustive()
    }
}

fn clock_ns(clock: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; clock_gettime only writes it.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    (ts.tv_sec as u64).saturating_mul(1_000_000_000).saturating_add(ts.tv_nsec as u64)
}

/// The x86_64 syscall numbers a program needs: every syscall one of its rules' event types
/// names (all of them for a rule without event types), and every one the state machine changes
/// on ([`rulec_runtime::state::changing_names`], as Falco's base syscall set: process creation
/// and replacement, the fd-table changes, the working directory and root, the credentials).
pub fn syscalls_for(program: &Program) -> Vec<u32> {
    // Rules turned off (in their file or by `rulec run --disable`) need no syscall.
    let rules = || program.rules.iter().filter(|r| r.enabled);
    let all = rules().any(|r| matches!(r.event_types, EventTypes::All));
    let mut names: Vec<&str> = rulec_runtime::state::changing_names().to_vec();
    for r in rules() {
        if let EventTypes::Some(list) = &r.event_types {
            names.extend(list.iter().map(String::as_str));
        }
    }
    let mut nrs: Vec<u32> = (0..rulec_probe::SYSCALL_TABLE_SIZE)
        .filter(|nr| {
            rulec_compiler::schema::syscalls::x86_64_name(*nr as u16).is_some_and(|n| all || names.contains(&n))
        })
        .collect();
    nrs.sort_unstable();
    nrs
}

/// Every x86_64 syscall the table names: what a capture without a filter records.
pub fn all_syscalls() -> Vec<u32> {
    (0..rulec_probe::SYSCALL_TABLE_SIZE)
        .filter(|nr| rulec_compiler::schema::syscalls::x86_64_name(*nr as u16).is_some())
        .collect()
}

/// Whether the state machine needs events named `name` whatever the rules say (a filtered
/// capture keeps them, flagged state-only): it changes on them (task exits included).
pub fn state_needs(name: &str) -> bool {
    rulec_runtime::state::changing_names().binary_search(&name).is_ok()
}

impl LiveEvents {
    /// Opens the probe with the given syscalls and attaches it. Events start flowing at once;
    /// seed the state from /proc before calling this so no process is missed.
    pub fn start(syscalls: &[u32], ring_bytes: u32, stop: Arc<AtomicBool>) -> Result<LiveEvents, ProbeError> {
        let mut probe = Probe::open(&rulec_probe::Config { ring_bytes, skip_self: true })?;
        probe.set_syscalls(syscalls)?;
        let boot_to_epoch = clock_ns(libc::CLOCK_REALTIME).saturating_sub(clock_ns(libc::CLOCK_BOOTTIME));
        probe.attach()?;
        Ok(LiveEvents {
            probe,
            pending: VecDeque::new(),
            watermark: 0,
            read_per_cpu: Vec::new(),
            batch: Vec::new(),
            free: Vec::new(),
            tap: None,
            on_idle: None,
            stop,
            boot_to_epoch,
            stats: LiveStats::default(),
            first_error: None,
            shared: Arc::new(Mutex::new(LiveReport::default())),
            last_refresh: std::time::Instant::now(),
            capacity: Self::capacity(ring_bytes),
            drain_left: None,
            syscalls: Arc::default(),
        })
    }

    /// Records `ring_bytes` rings on every online CPU hold at most: each record takes its
    /// 8-byte ring header and at least the 26-byte event header, 8-byte aligned (40 bytes).
    fn capacity(ring_bytes: u32) -> usize {
        // SAFETY: sysconf only reads system configuration.
        let cpus = usize::try_from(unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) }).unwrap_or(1).max(1);
        cpus.saturating_mul(ring_bytes as usize / 40).max(1)
    }

    /// Keeps the record bytes of every event from now on; the handle holds the record of the
    /// event the iterator returned last.
    pub fn tap(&mut self) -> RecordTap {
        let tap = self.tap.get_or_insert_with(RecordTap::default);
        Rc::clone(tap)
    }

    /// Calls `f` each time the source finds the rings empty and waits (at most every 20 ms
    /// while the host is quiet): whoever reports at intervals keeps doing so without events.
    pub fn on_idle(&mut self, f: Box<dyn FnMut()>) {
        self.on_idle = Some(f);
    }

    /// A handle on the report this source keeps up to date.
    pub fn report(&self) -> Arc<Mutex<LiveReport>> {
        Arc::clone(&self.shared)
    }

    /// Where to put a new syscall set (x86_64 numbers) for the probe to capture; the source
    /// applies it within about a second (rules reloads).
    pub fn syscall_requests(&self) -> Arc<Mutex<Option<Vec<u32>>>> {
        Arc::clone(&self.syscalls)
    }

    fn refresh(&mut self) {
        let wanted = self.syscalls.lock().ok().and_then(|mut s| s.take());
        if let Some(nrs) = wanted
            && let Err(e) = self.probe.set_syscalls(&nrs)
        {
            self.first_error.get_or_insert_with(|| format!("cannot change the captured syscalls: {e}"));
        }
        let cpus = self.probe.counters().unwrap_or_default();
        if let Ok(mut r) = self.shared.lock() {
            *r = LiveReport { cpus, stats: self.stats, first_error: self.first_error.clone() };
        }
        self.last_refresh = std::time::Instant::now();
    }

    /// Reads one batch from every ring into `pending`, in time order; returns how many records
    /// it read.
    fn fill(&mut self) -> usize {
        let (batch, free, stats, first_error, offset) =
            (&mut self.batch, &mut self.free, &mut self.stats, &mut self.first_error, self.boot_to_epoch);
        let keep = self.tap.is_some();
        let per_cpu = &mut self.read_per_cpu;
        per_cpu.iter_mut().for_each(|c| *c = (0, 0));
        let n = self.probe.read(BATCH_PER_CPU, |cpu, bytes| {
            let i = cpu as usize;
            if per_cpu.len() <= i {
                per_cpu.resize(i + 1, (0, 0));
            }
            per_cpu[i].0 += 1;
            let mut ev = free.pop().unwrap_or_else(Event::empty);
            match decode_record_into(cpu as u16, bytes, &mut ev) {
                Ok(true) => {
                    ev.ts = ev.ts.saturating_add(offset);
                    stats.events += 1;
                    per_cpu[i].1 = ev.ts;
                    // The decoder read the 8-byte timestamp, so the record has one to rewrite.
                    let record = keep.then(|| {
                        let mut bytes = bytes.to_vec();
                        bytes[..8].copy_from_slice(&ev.ts.to_le_bytes());
                        TappedRecord { cpu: cpu as u16, bytes }
                    });
                    batch.push((ev, record));
                }
                Ok(false) => {
                    stats.unknown_types += 1;
                    free.push(ev);
                }
                Err(e) => {
                    stats.decode_errors += 1;
                    first_error.get_or_insert_with(|| e.to_string());
                    free.push(ev);
                }
            }
        });
        // A ring that gave a whole batch may hold more, older than other rings' newest records.
        self.watermark = self
            .read_per_cpu
            .iter()
            .filter(|(count, _)| *count >= BATCH_PER_CPU)
            .map(|(_, last)| *last)
            .min()
            .unwrap_or(u64::MAX);
        if !self.batch.is_empty() {
            self.pending.extend(self.batch.drain(..));
            // A stable sort: records of one CPU keep their ring order.
            self.pending.make_contiguous().sort_by_key(|(e, _)| e.ts);
        }
        n
    }
}

/// Most events kept for decoding into again.
const MAX_FREE_EVENTS: usize = 4096;

/// The next event takes the place of the one handed in, which is decoded into again later:
/// once the pool has grown, reading the rings allocates nothing per event.
impl rulec_runtime::EventSource for LiveEvents {
    type Error = Infallible;
    fn read_into(&mut self, ev: &mut Event) -> Option<Result<(), Infallible>> {
        let Ok(next) = self.next()?;
        let done = std::mem::replace(ev, next);
        if self.free.len() < MAX_FREE_EVENTS {
            self.free.push(done);
        }
        Some(Ok(()))
    }
}

impl Iterator for LiveEvents {
    type Item = Result<Event, Infallible>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut idle = Duration::from_micros(500);
        loop {
            let ready = self.pending.front().is_some_and(|(e, _)| e.ts <= self.watermark);
            if ready && let Some((ev, record)) = self.pending.pop_front() {
                if let (Some(tap), Some(record)) = (&self.tap, record) {
                    *tap.borrow_mut() = record;
                }
                return Some(Ok(ev));
            }
            if self.last_refresh.elapsed() >= Duration::from_secs(1) {
                self.refresh();
            }
            if self.stop.load(Ordering::Relaxed) {
                // Whatever is still in the rings is read first, so a stop loses nothing that
                // had already arrived; what arrives after the stop may be left.
                let left = *self.drain_left.get_or_insert(self.capacity);
                let n = if left > 0 { self.fill() } else { 0 };
                if n > 0 {
                    self.drain_left = Some(left.saturating_sub(n));
                    continue;
                }
                if !self.pending.is_empty() {
                    // The drain is over: what was read goes out, in order.
                    self.watermark = u64::MAX;
                    continue;
                }
                self.refresh();
                return None;
            }
            if self.fill() == 0 {
                // Nothing in the rings: back off up to 20 ms, as an idle host needs no busy loop.
                if let Some(f) = &mut self.on_idle {
                    f();
                }
                std::thread::sleep(idle);
                idle = (idle * 2).min(Duration::from_millis(20));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rulec_compiler::schema::syscalls::x86_64_name;

    fn program_of(files: Vec<rulec_compiler::SourceFile>) -> Program {
        let checked = rulec_compiler::check::check(&files);
        rulec_compiler::compile(&checked)
    }

    /// The program of one rules file called `name`.
    fn program_of_text(name: &str, text: &str) -> Program {
        program_of(vec![rulec_compiler::SourceFile::new(rulec_compiler::FileId(0), name, text)])
    }

    /// The x86_64 names of syscall numbers.
    fn names(nrs: Vec<u32>) -> Vec<&'static str> {
        nrs.into_iter().filter_map(|nr| x86_64_name(nr as u16)).collect()
    }

    /// The calls that move data (read, write and their kin) are the hottest on any host: the
    /// adaptive table leaves them out unless a rule names them.
    #[test]
    fn data_calls_are_captured_only_when_a_rule_needs_them() {
        const DATA: [&str; 10] =
            ["read", "write", "pread64", "pwrite64", "readv", "writev", "preadv", "pwritev", "sendmmsg", "recvmmsg"];
        let stdlib = names(syscalls_for(&program_of(crate::cli::stdlib::sources(0))));
        let hot: Vec<&&str> = DATA.iter().filter(|n| stdlib.contains(n)).collect();
        assert!(hot.is_empty(), "the stdlib captures {hot:?}");
        assert!(stdlib.contains(&"bpf") && stdlib.contains(&"symlinkat"), "{stdlib:?}");
        let rule =
            "- rule: w\n  desc: d\n  condition: evt.type = write and fd.num = 1\n  output: o\n  priority: INFO\n";
        let mine = names(syscalls_for(&program_of_text("w.yaml", rule)));
        assert!(mine.contains(&"write") && !mine.contains(&"read"), "{mine:?}");
    }

    /// The syscalls the probe writes as their own events: the cases of its exit program's switch,
    /// read from its source (the rest come as generic events, without parameters).
    fn probe_cases() -> Vec<&'static str> {
        let src = include_str!("../probe/bpf/probe.bpf.c");
        let exit = src.find("int BPF_PROG(rulec_sys_exit").map_or("", |i| &src[i..]);
        exit.split("case NR_").skip(1).filter_map(|c| c.split(':').next()).collect()
    }

    /// A syscall the state machine changes on, or that the stdlib or Falco's rules name, comes
    /// from the probe as its own event with its parameters: as a generic event the state cannot
    /// apply it, and a rule reading its parameters (`evt.arg.oldpath` of `linkat`) never fires.
    #[test]
    fn the_probe_writes_every_call_the_state_or_the_rules_read() {
        let cases = probe_cases();
        assert!(cases.contains(&"openat") && cases.contains(&"socketpair"), "{cases:?}");
        let syscalls = names(all_syscalls());
        let generic = |names: &mut dyn Iterator<Item = &str>| -> Vec<String> {
            let mut out: Vec<String> =
                names.filter(|n| syscalls.contains(n) && !cases.contains(n)).map(str::to_string).collect();
            out.sort();
            out.dedup();
            out
        };
        let state = generic(&mut rulec_runtime::state::changing_names().iter().copied());
        assert!(state.is_empty(), "the state changes on {state:?}, which the probe sends as generic events");
        let mut programs = vec![program_of(crate::cli::stdlib::sources(0))];
        if let Some(dir) = rulec_test_support::shared("conformance/falco") {
            let text = std::fs::read_to_string(dir.join("falco_rules.yaml")).expect("falco_rules.yaml");
            programs.push(program_of_text("falco_rules.yaml", &text));
        }
        for p in &programs {
            let named = p.rules.iter().flat_map(|r| match &r.event_types {
                EventTypes::Some(names) => names.iter().map(String::as_str).collect::<Vec<_>>(),
                EventTypes::All => Vec::new(),
            });
            let missing = generic(&mut named.into_iter());
            assert!(missing.is_empty(), "rules name {missing:?}, which the probe sends as generic events");
        }
    }

    /// Whatever the rules, the probe records every syscall the state machine changes on: a
    /// process that opens with `open` or `creat`, makes a socket pair or an eventfd, or changes
    /// its ids with `setreuid` must not leave the tables behind the host (the list the probe
    /// once had by hand missed those).
    #[test]
    fn every_syscall_the_state_changes_on_is_captured() {
        let rule = "- rule: w\n  desc: d\n  condition: evt.type = write\n  output: o\n  priority: INFO\n";
        let captured = names(syscalls_for(&program_of_text("w.yaml", rule)));
        let syscalls = names(all_syscalls());
        let state = rulec_runtime::state::changing_names();
        let missing: Vec<&&str> = state.iter().filter(|n| syscalls.contains(n) && !captured.contains(n)).collect();
        assert!(missing.is_empty(), "the probe would not record {missing:?}");
        for n in ["open", "creat", "socketpair", "setreuid", "eventfd2", "chroot", "execve", "close"] {
            assert!(captured.contains(&n) && state_needs(n), "{n}");
        }
        assert!(state_needs("procexit") && !state_needs("write") && !state_needs("read"));
    }
}
