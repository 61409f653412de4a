//! rulec's eBPF probe: the kernel side (`bpf/probe.bpf.c`, C, built by clang in `build.rs`) and
//! its loader. [`Probe::open`] checks the host ([`preflight`]), loads the embedded object
//! ([`object`]) with aya, creates one ring buffer per online CPU; [`Probe::set_syscalls`] says
//! which syscalls to capture (everything else returns after one table lookup in the kernel);
//! [`Probe::attach`] starts the capture; [`Probe::read`] drains the ring buffers; [`Probe::counters`]
//! reports what was written and what was lost, per CPU.
//!
//! Records are `.scap` event records ([`record`]), so the runtime decodes them with the event
//! table it uses for capture files. This crate knows nothing of rules, state or fields.

pub mod floor;
pub mod object;
pub mod preflight;
pub mod record;
pub mod stats;

use std::fmt;

use aya::Btf;
use aya::maps::{Array, ArrayOfMaps, Map, MapData, PerCpuArray, RingBuf};
use aya::programs::{BtfTracePoint, RawTracePoint};
use aya::{Ebpf, EbpfLoader};

pub use floor::Floor;
pub use preflight::Missing;
pub use record::Record;
pub use stats::Counters;

/// Size of the kernel's syscall table map (`SYSCALL_TABLE_SIZE` in the C source).
pub const SYSCALL_TABLE_SIZE: u32 = 512;

/// How a program attaches to its tracepoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hook {
    /// A raw tracepoint (`SEC("raw_tp/...")`): arguments are plain words, pointers read with
    /// `bpf_probe_read_kernel`.
    Raw,
    /// A BTF-typed raw tracepoint (`SEC("tp_btf/...")`): pointer arguments are typed, so fields
    /// are loaded directly (the syscall exit reads `regs->orig_ax` this way).
    Btf,
}

/// The probe's programs, the tracepoints they attach to and how, in attach order. The cost floor
/// ([`Floor`]) attaches programs of the same names and types to the same hooks.
pub const HOOKS: &[(&str, &str, Hook)] = &[
    ("rulec_sched_exec", "sched_process_exec", Hook::Raw),
    ("rulec_sys_exit", "sys_exit", Hook::Btf),
    ("rulec_sys_enter", "sys_enter", Hook::Raw),
    ("rulec_sched_exit", "sched_process_exit", Hook::Raw),
];

/// `BPF_MAP_TYPE_RINGBUF`.
const MAP_TYPE_RINGBUF: u32 = 27;

/// How to open the probe.
#[derive(Debug, Clone)]
pub struct Config {
    /// Bytes per CPU ring buffer: a power of two, at least a page (the kernel's rule).
    pub ring_bytes: u32,
    /// Skip this process's own syscalls in the kernel (what `rulec run` wants: its own reads
    /// and writes would feed back into the stream). Tests that act themselves turn it off.
    pub skip_self: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config { ring_bytes: 8 << 20, skip_self: true }
    }
}

/// Why the probe could not be opened or attached.
#[derive(Debug)]
pub enum ProbeError {
    /// The host lacks something the probe needs (privileges, BTF, tracefs).
    Missing(Vec<Missing>),
    /// A setting is out of range.
    Config(String),
    /// The kernel refused the object, a map or a program.
    Kernel {
        /// What rulec was doing.
        doing: String,
        /// The error, with the verifier's last lines when it refused a program.
        detail: String,
    },
}

impl fmt::Display for ProbeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProbeError::Missing(m) => {
                writeln!(f, "the eBPF probe cannot run on this host:")?;
                for (i, m) in m.iter().enumerate() {
                    if i > 0 {
                        writeln!(f)?;
                    }
                    write!(f, "  missing: {}\n  fix: {}", m.what, m.fix)?;
                }
                Ok(())
            }
            ProbeError::Config(m) => write!(f, "probe settings: {m}"),
            ProbeError::Kernel { doing, detail } => write!(f, "the kernel refused the probe while {doing}: {detail}"),
        }
    }
}

impl std::error::Error for ProbeError {}

fn kernel(doing: impl Into<String>) -> impl FnOnce(&dyn fmt::Display) -> ProbeError {
    let doing = doing.into();
    move |e| ProbeError::Kernel { doing, detail: e.to_string() }
}

/// The verifier's log is long; its last lines say why it refused a program.
fn program_error(doing: &str, e: aya::programs::ProgramError) -> ProbeError {
    let detail = match &e {
        aya::programs::ProgramError::LoadError { io_error, verifier_log } => {
            let log = verifier_log.to_string();
            let tail: Vec<&str> = log.lines().rev().take(6).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            format!("{io_error}; verifier: {}", tail.join(" | "))
        }
        other => other.to_string(),
    };
    ProbeError::Kernel { doing: doing.to_string(), detail }
}

/// Finds program `prog` of [`HOOKS`] in `ebpf`.
fn hook_program<'a>(ebpf: &'a mut Ebpf, prog: &str) -> Result<&'a mut aya::programs::Program, ProbeError> {
    ebpf.program_mut(prog).ok_or_else(|| ProbeError::Kernel {
        doing: format!("finding program {prog}"),
        detail: "not in the object".into(),
    })
}

/// Loads each program of [`HOOKS`] in `ebpf` into the kernel (the verifier runs here), attaching
/// nothing. The typed tracepoints need the kernel's BTF: it is parsed here, once, and dropped
/// before the caller goes on, so that its memory (tens of MiB while parsed) never adds to the
/// ring buffers' (the loader parses its own copy and drops it before this runs).
fn load_hooks(ebpf: &mut Ebpf) -> Result<(), ProbeError> {
    let mut btf = None;
    for &(prog, tracepoint, hook) in HOOKS {
        let p = hook_program(ebpf, prog)?;
        let typing = |e: aya::programs::ProgramError| program_error(&format!("typing {prog}"), e);
        let loading = |e| program_error(&format!("loading {prog}"), e);
        match hook {
            Hook::Raw => <&mut RawTracePoint>::try_from(p).map_err(typing)?.load().map_err(loading)?,
            Hook::Btf => {
                let p: &mut BtfTracePoint = p.try_into().map_err(typing)?;
                if btf.is_none() {
                    btf = Some(Btf::from_sys_fs().map_err(|e| ProbeError::Kernel {
                        doing: "reading the kernel's BTF (/sys/kernel/btf/vmlinux)".into(),
                        detail: e.to_string(),
                    })?);
                }
                p.load(tracepoint, btf.as_ref().expect("set above")).map_err(loading)?;
            }
        }
    }
    Ok(())
}

/// Attaches each program of [`HOOKS`], loaded by [`load_hooks`], to its tracepoint.
fn attach_hooks(ebpf: &mut Ebpf) -> Result<(), ProbeError> {
    for &(prog, tracepoint, hook) in HOOKS {
        let p = hook_program(ebpf, prog)?;
        let typing = |e: aya::programs::ProgramError| program_error(&format!("typing {prog}"), e);
        let attaching = |e| program_error(&format!("attaching {prog} to {tracepoint}"), e);
        match hook {
            Hook::Raw => {
                <&mut RawTracePoint>::try_from(p).map_err(typing)?.attach(tracepoint).map_err(attaching)?;
            }
            Hook::Btf => {
                <&mut BtfTracePoint>::try_from(p).map_err(typing)?.attach().map_err(attaching)?;
            }
        }
    }
    Ok(())
}

/// The loaded probe. Dropping it detaches every program and frees the maps.
pub struct Probe {
    ebpf: Ebpf,
    /// One ring buffer per online CPU, with the CPU id.
    rings: Vec<(u32, RingBuf<MapData>)>,
}

impl fmt::Debug for Probe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Probe").field("cpus", &self.rings.len()).finish()
    }
}

impl Probe {
    /// Checks the host, loads the probe (maps and verified programs) and creates its ring
    /// buffers. Nothing is attached yet.
    pub fn open(cfg: &Config) -> Result<Probe, ProbeError> {
        let missing = preflight::check();
        if !missing.is_empty() {
            return Err(ProbeError::Missing(missing));
        }
        if !cfg.ring_bytes.is_power_of_two() || cfg.ring_bytes < 4096 {
            return Err(ProbeError::Config(format!(
                "ring buffer size {} is not a power of two of at least 4096 bytes",
                cfg.ring_bytes
            )));
        }
        let possible = aya::util::nr_cpus().map_err(|(what, e)| kernel("counting CPUs")(&format!("{what}: {e}")))?;
        let online = aya::util::online_cpus().map_err(|(what, e)| kernel("listing CPUs")(&format!("{what}: {e}")))?;
        let possible = u32::try_from(possible).unwrap_or(u32::MAX);
        let self_tgid: u32 = if cfg.skip_self { std::process::id() } else { 0 };
        let mut ebpf = EbpfLoader::new()
            .override_global("self_tgid", &self_tgid, true)
            .map_max_entries("scratch", possible)
            .map_max_entries("ringbufs", possible)
            .load(object::OBJECT)
            .map_err(|e| kernel("loading the eBPF object")(&e))?;
        load_hooks(&mut ebpf)?;
        let mut rings = Vec::with_capacity(online.len());
        {
            let outer = ebpf.map_mut("ringbufs").ok_or_else(|| ProbeError::Kernel {
                doing: "finding the ring-buffer table".into(),
                detail: "the object has no map `ringbufs`".into(),
            })?;
            let mut outer: ArrayOfMaps<&mut MapData, RingBuf<MapData>> =
                ArrayOfMaps::try_from(outer).map_err(|e| kernel("opening the ring-buffer table")(&e))?;
            for cpu in online {
                let def = aya_obj::Map::new_from_params(MAP_TYPE_RINGBUF, 0, 0, cfg.ring_bytes, 0);
                let md = MapData::create(def, "rulec_ring", None)
                    .map_err(|e| kernel(format!("creating the ring buffer of CPU {cpu}"))(&e))?;
                let rb = RingBuf::try_from(Map::RingBuf(md))
                    .map_err(|e| kernel(format!("opening the ring buffer of CPU {cpu}"))(&e))?;
                outer.set(cpu, &rb, 0).map_err(|e| kernel(format!("installing the ring buffer of CPU {cpu}"))(&e))?;
                rings.push((cpu, rb));
            }
        }
        Ok(Probe { ebpf, rings })
    }

    /// Captures exactly these syscalls (x86_64 numbers); every other syscall returns in the
    /// kernel after one table lookup. Numbers beyond the table are an error.
    pub fn set_syscalls(&mut self, nrs: &[u32]) -> Result<(), ProbeError> {
        if let Some(bad) = nrs.iter().find(|n| **n >= SYSCALL_TABLE_SIZE) {
            return Err(ProbeError::Config(format!("syscall number {bad} is beyond the table ({SYSCALL_TABLE_SIZE})")));
        }
        let map = self.ebpf.map_mut("interesting").ok_or_else(|| ProbeError::Kernel {
            doing: "finding the syscall table".into(),
            detail: "the object has no map `interesting`".into(),
        })?;
        let mut table: Array<&mut MapData, u8> =
            Array::try_from(map).map_err(|e| kernel("opening the syscall table")(&e))?;
        for nr in 0..SYSCALL_TABLE_SIZE {
            let want = u8::from(nrs.contains(&nr));
            table.set(nr, want, 0).map_err(|e| kernel(format!("setting syscall {nr}"))(&e))?;
        }
        Ok(())
    }

    /// Attaches the programs ([`HOOKS`]): execs (for the path they ran), syscall exits,
    /// syscall entries (copies of the arguments that could change before the exit), task exits.
    pub fn attach(&mut self) -> Result<(), ProbeError> {
        attach_hooks(&mut self.ebpf)
    }

    /// Calls `f(cpu, record bytes)` for up to `max_per_ring` records of each ring buffer and
    /// returns how many it read. The bytes are only valid during the call.
    pub fn read(&mut self, max_per_ring: usize, mut f: impl FnMut(u32, &[u8])) -> usize {
        let mut n = 0;
        for (cpu, ring) in &mut self.rings {
            for _ in 0..max_per_ring {
                let Some(item) = ring.next() else { break };
                f(*cpu, &item);
                n += 1;
            }
        }
        n
    }

    /// The counters of every CPU, in CPU order of the possible CPUs.
    pub fn counters(&self) -> Result<Vec<Counters>, ProbeError> {
        let map = self.ebpf.map("counters").ok_or_else(|| ProbeError::Kernel {
            doing: "finding the counters".into(),
            detail: "the object has no map `counters`".into(),
        })?;
        let arr: PerCpuArray<&MapData, Counters> =
            PerCpuArray::try_from(map).map_err(|e| kernel("opening the counters")(&e))?;
        let values = arr.get(&0, 0).map_err(|e| kernel("reading the counters")(&e))?;
        Ok(values.iter().copied().collect())
    }

    /// Every CPU's counters added up.
    pub fn total(&self) -> Result<Counters, ProbeError> {
        let mut t = Counters::default();
        for c in self.counters()? {
            t.add(&c);
        }
        Ok(t)
    }
}
