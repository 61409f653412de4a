//! `rulec capture -o FILE [--duration S] [--rules FILE... | CONDITION]`: records the live
//! stream into a `.scap` file that sysdig and rulec read. The starting state is seeded from /proc
//! as `rulec run` seeds it and written as the file's process, fd and user lists; then the probe's
//! records are written as they are (event blocks, timestamps in wall-clock time) while the same
//! state machine follows them.
//!
//! What is recorded: with `--rules`, the syscalls those rules need (`rulec run`'s interest set);
//! with a CONDITION, the events it matches (compiled by the normal compiler, evaluated by the
//! engine), plus the events the state machine needs, flagged state-only (readers update their
//! state with them but do not show them, like sysdig's `-F` captures); with neither, every
//! syscall. At the end it says what it wrote and what was lost (kernel drops per CPU, records the
//! decoder rejected).
//!
//! Records are written as the probe wrote them, with two changes a capture file needs: the
//! timestamp is wall-clock time (done by the live source), and a generic event gets the
//! `ppm_sc` code of its syscall in its `ID` parameter when the probe left it 0
//! ([`fill_generic_id`]). Before each syscall exit goes its enter event, built from the exit's
//! parameters and flagged state-only ([`ScapWriter::write_enter_for`]): the probe writes exits
//! only, as current Falco drivers do, and sysdig 0.29.3 takes some arguments from the enter
//! event (the fd a `close` closes, the path an exec ran).

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::Args;
use rulec_runtime::capture::scap::{MachineInfo, ScapWriter};
use rulec_runtime::engine::{Alert, Backend, Engine, MatchMode};
use rulec_runtime::event::DF_STATE_ONLY;
use rulec_runtime::{Replay, State};

use super::{EXIT_CANNOT_RUN, EXIT_FINDINGS, EXIT_OK};
use crate::live::{LiveEvents, all_syscalls, state_needs, syscalls_for};
use crate::render::Renderer;

/// The options of recording (`rulec capture` without a subcommand).
#[derive(Args, Debug, Default)]
pub struct RecordArgs {
    /// Record the live stream into this `.scap` file (needs root and kernel BTF).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Stop after S seconds (default: at SIGINT/SIGTERM).
    #[arg(long, value_name = "S")]
    pub duration: Option<f64>,

    /// Record the syscalls these rules need (the interest set `rulec run --rules` uses).
    #[arg(long = "rules", short = 'r', value_name = "FILE", conflicts_with = "condition")]
    pub rules: Vec<PathBuf>,

    /// Record only the events this condition matches (the condition language; the words are
    /// joined with spaces), plus what the state machine needs, flagged state-only.
    #[arg(value_name = "CONDITION")]
    pub condition: Vec<String>,

    /// Bytes of each CPU's ring buffer (a power of two, at least 4096).
    #[arg(long, value_name = "BYTES", default_value_t = 8 << 20)]
    pub ring_bytes: u32,
}

/// What decides which events are written.
enum Filter {
    /// Every event the probe delivers (the kernel already chose the syscalls).
    Everything,
    /// Events the engine matches; state events that do not match are flagged state-only.
    Condition(Box<Engine>),
}

/// What the recording counted.
#[derive(Default)]
struct Counts {
    /// Events the condition did not match and the state does not need.
    filtered_out: u64,
    /// Events without a record to write (cannot happen with a tapped source; counted anyway).
    no_record: u64,
}

pub fn record(args: &RecordArgs) -> i32 {
    let Some(path) = &args.output else {
        eprintln!(
            "rulec capture: say where to record with -o FILE, or use a subcommand (convert, info, print); see rulec capture --help"
        );
        return EXIT_CANNOT_RUN;
    };
    let (filter, syscalls) = match filter_and_syscalls(args) {
        Ok(x) => x,
        Err(status) => return status,
    };
    let duration = match args.duration {
        Some(s) if !(s.is_finite() && s > 0.0) => {
            eprintln!("rulec capture: --duration must be a positive number of seconds, not {s}");
            return EXIT_CANNOT_RUN;
        }
        s => s.map(Duration::from_secs_f64),
    };
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        if let Err(e) = signal_hook::flag::register(sig, Arc::clone(&stop)) {
            eprintln!("rulec capture: cannot handle signal {sig}: {e}");
            return EXIT_CANNOT_RUN;
        }
    }
    match record_to(path, args, filter, &syscalls, duration, &stop) {
        Ok(()) => EXIT_OK,
        Err(msg) => {
            eprintln!("rulec capture: {msg}");
            EXIT_CANNOT_RUN
        }
    }
}

/// The filter and the syscalls to capture, or the exit status after printing why not.
fn filter_and_syscalls(args: &RecordArgs) -> Result<(Filter, Vec<u32>), i32> {
    if !args.rules.is_empty() {
        let files = super::check::read_files(&args.rules).map_err(|m| {
            eprintln!("rulec capture: {m}");
            EXIT_CANNOT_RUN
        })?;
        let result = rulec_compiler::check::check(&files);
        let errors: Vec<_> = result.diagnostics.iter().filter(|d| d.is_error()).collect();
        if !errors.is_empty() {
            let renderer = Renderer::new(&files);
            for d in &errors {
                eprintln!("{}", renderer.text(d, false));
            }
            eprintln!("rulec capture: the rules have {} error(s); nothing was recorded", errors.len());
            return Err(EXIT_FINDINGS);
        }
        return Ok((Filter::Everything, syscalls_for(&rulec_compiler::compile(&result))));
    }
    if args.condition.is_empty() {
        return Ok((Filter::Everything, all_syscalls()));
    }
    let condition = args.condition.join(" ");
    let result = super::filter::one_rule("condition", "capture filter", &condition, "%evt.num").map_err(|m| {
        eprintln!("rulec capture: {m}");
        EXIT_FINDINGS
    })?;
    let program = rulec_compiler::compile(&result);
    let syscalls = syscalls_for(&program);
    let mut engine = Engine::new(program, Backend::Jit);
    engine.set_mode(MatchMode::First);
    Ok((Filter::Condition(Box::new(engine)), syscalls))
}

fn clock_ns(clock: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; clock_gettime only writes it.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    (ts.tv_sec as u64).saturating_mul(1_000_000_000).saturating_add(ts.tv_nsec as u64)
}

/// This host as the capture's machine-info block describes it.
fn machine_info() -> MachineInfo {
    // SAFETY: sysconf only reads system configuration.
    let (cpus, pages, page) = unsafe {
        (
            libc::sysconf(libc::_SC_NPROCESSORS_ONLN),
            libc::sysconf(libc::_SC_PHYS_PAGES),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    let max_pid = std::fs::read_to_string("/proc/sys/kernel/pid_max").ok().and_then(|s| s.trim().parse().ok());
    MachineInfo {
        num_cpus: u32::try_from(cpus).unwrap_or(0),
        memory_bytes: u64::try_from(pages).unwrap_or(0).saturating_mul(u64::try_from(page).unwrap_or(0)),
        max_pid: max_pid.unwrap_or(0),
        hostname: crate::alert_format::hostname(),
        boot_ts: clock_ns(libc::CLOCK_REALTIME).saturating_sub(clock_ns(libc::CLOCK_BOOTTIME)),
    }
}

fn record_to(
    path: &Path,
    args: &RecordArgs,
    mut filter: Filter,
    syscalls: &[u32],
    duration: Option<Duration>,
    stop: &Arc<AtomicBool>,
) -> Result<(), String> {
    let file = File::create(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    let write_err = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
    // The probe first, then /proc: a process started while the probe loads is in the scan, and
    // one started during the scan is in the rings (the state machine takes a clone of a thread
    // it knows). The rings hold what arrives meanwhile.
    let mut events = match LiveEvents::start(syscalls, args.ring_bytes, Arc::clone(stop)) {
        Ok(ev) => ev,
        Err(e) => {
            // Nothing was recorded: leave no file that looks like an empty capture.
            drop(file);
            let _ = std::fs::remove_file(path);
            return Err(e.to_string());
        }
    };
    let state = State::from_proc(Path::new("/proc"));
    let mut writer = ScapWriter::new(BufWriter::with_capacity(1 << 20, file), &machine_info()).map_err(write_err)?;
    writer.write_state(&state).map_err(write_err)?;
    let tap = events.tap();
    let kernel = events.report();
    eprintln!(
        "rulec capture: recording to {} ({} syscalls, {} threads from /proc){}",
        path.display(),
        syscalls.len(),
        state.thread_count(),
        match duration {
            Some(d) => format!(" for {:.1} s; Ctrl-C stops sooner", d.as_secs_f64()),
            None => "; Ctrl-C stops".to_owned(),
        }
    );
    if let Some(d) = duration {
        let stop = Arc::clone(stop);
        std::thread::spawn(move || {
            std::thread::sleep(d);
            stop.store(true, Ordering::Relaxed);
        });
    }
    let started = Instant::now();
    let mut counts = Counts::default();
    let mut alerts: Vec<Alert> = Vec::new();
    let mut failed: Option<String> = None;
    let result = Replay::with_state(events, state).for_each_while(|ev, st| {
        let flags = match &mut filter {
            Filter::Everything => 0,
            Filter::Condition(engine) => {
                alerts.clear();
                engine.process(ev, st, &mut alerts);
                if !alerts.is_empty() {
                    0
                } else if state_needs(ev.name) {
                    DF_STATE_ONLY
                } else {
                    counts.filtered_out += 1;
                    return true;
                }
            }
        };
        let mut rec = tap.borrow_mut();
        if rec.bytes.is_empty() {
            counts.no_record += 1;
            return true;
        }
        fill_generic_id(&mut rec.bytes);
        let written =
            writer.write_enter_for(rec.cpu, &rec.bytes).and_then(|_| writer.write_record(rec.cpu, &rec.bytes, flags));
        match written {
            Ok(()) => true,
            Err(e) => {
                failed = Some(write_err(e));
                false
            }
        }
    });
    let Ok(final_state) = result;
    let stats = writer.stats();
    let flushed = writer.finish().map_err(write_err);
    let secs = started.elapsed().as_secs_f64();
    let mut text = format!(
        "rulec capture summary: wrote {} events ({} state-only, of which {} enter events) to {} in {secs:.1} s; starting state: {} threads, {} fds",
        stats.events,
        stats.state_only,
        stats.enter_events,
        path.display(),
        stats.threads,
        stats.fds
    );
    if counts.filtered_out > 0 {
        text.push_str(&format!("\n  {} events not matching the condition were left out", counts.filtered_out));
    }
    if counts.no_record > 0 {
        text.push_str(&format!("\n  {} events NOT written: their record was not kept", counts.no_record));
    }
    if stats.cut_strings > 0 {
        text.push_str(&format!("\n  {} strings of the starting state cut at libscap's limits", stats.cut_strings));
    }
    text.push_str(&format!("\n  state at the end: {} threads", final_state.thread_count()));
    eprintln!("{text}");
    if let Ok(r) = kernel.lock() {
        eprintln!("{}", r.summary(true));
        if r.dropped() > 0 {
            eprintln!(
                "  the kernel dropped {} records: the capture misses them (try a larger --ring-bytes)",
                r.dropped()
            );
        }
    }
    if let Some(msg) = failed {
        return Err(format!("{msg}; the file holds the events before the failure"));
    }
    flushed.map(|_| ())
}

/// The `ppm_sc` codes sysdig 0.29.3 knows: 1 to 328 (`clone3`). Its libsinsp indexes its
/// syscall table with the code unchecked, so a newer code (`rseq` is 380) crashes it.
const PPM_SC_KNOWN_TO_SYSDIG_0_29: u16 = 329;

/// A generic event (a syscall without an event of its own) whose `ID` parameter is 0 gets the
/// `ppm_sc` code of its native syscall number (`nativeID`), as Falco's drivers write it: libsinsp
/// (sysdig) names generic events by that code alone. Codes newer than sysdig 0.29.3's table stay
/// 0 (sysdig shows `<unknown>`). rulec reads either form the same way.
fn fill_generic_id(record: &mut [u8]) {
    const HDR: usize = 26;
    let type_id = u16::from_le_bytes([record[20], record[21]]);
    let nparams = u32::from_le_bytes([record[22], record[23], record[24], record[25]]);
    if !rulec_compiler::schema::is_generic_id(type_id) || nparams < 2 || record.len() < HDR + 8 {
        return;
    }
    let len = |i: usize| u16::from_le_bytes([record[HDR + 2 * i], record[HDR + 2 * i + 1]]);
    let at = HDR + 2 * nparams as usize;
    if len(0) != 2 || len(1) != 2 || record.len() < at + 4 || record[at..at + 2] != [0, 0] {
        return;
    }
    let native = u16::from_le_bytes([record[at + 2], record[at + 3]]);
    let code =
        rulec_compiler::schema::syscalls::x86_64_name(native).and_then(rulec_compiler::schema::syscalls::ppm_sc_code);
    if let Some(code) = code.filter(|c| *c < PPM_SC_KNOWN_TO_SYSDIG_0_29) {
        record[at..at + 2].copy_from_slice(&code.to_le_bytes());
    }
}
