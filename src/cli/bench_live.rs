//! `rulec bench --live`: what watching the host costs, measured on this kernel, side by side in one
//! run. A syscall loop runs in a child process (`rulec bench --load SPEC`, so that the probe, which
//! skips rulec's own `rulec run` process, sees it) three ways: with nothing attached, with the
//! cost floor attached (the probe's hooks with programs that return at once, `rulec_probe::Floor`),
//! and with `rulec run` on the given rules, in rounds that take the three in turn. Two loops:
//! `getppid`, a syscall no rule needs, and `openat`+`close` of /dev/null, which rules evaluate;
//! each runs at real-time priority where allowed and counts its fastest slice, so that the other
//! work of a busy machine shows as little as it can. Then sustained loads at fixed event rates,
//! each against a fresh `rulec run`: kernel drops, rulec's CPU and its peak resident memory.
//!
//! Needs root (or CAP_BPF and CAP_PERFMON) and BTF, as `rulec run` does.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::bench::{BenchArgs, Format, fail, group};
use super::{EXIT_OK, print_stdout};

/// What a load child does: `getppid,N`, `openat,N` (N openat+close pairs of /dev/null), or
/// `paced,RATE,SECS` (openat+close pairs at RATE syscalls per second for SECS seconds).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Load {
    Getppid(u64),
    Openat(u64),
    Paced { rate: u64, secs: f64 },
}

impl Load {
    fn parse(spec: &str) -> Result<Load, String> {
        let parts: Vec<&str> = spec.split(',').collect();
        let num = |s: &str| s.parse::<u64>().map_err(|_| format!("`{s}` in --load {spec} is not a whole number"));
        match parts.as_slice() {
            ["getppid", n] => Ok(Load::Getppid(num(n)?)),
            ["openat", n] => Ok(Load::Openat(num(n)?)),
            ["paced", rate, secs] => {
                let secs: f64 =
                    secs.parse().map_err(|_| format!("`{secs}` in --load {spec} is not a number of seconds"))?;
                if !(secs > 0.0 && secs <= 600.0) {
                    return Err(format!("--load {spec}: the duration must be between 0 and 600 seconds"));
                }
                Ok(Load::Paced { rate: num(rate)?, secs })
            }
            _ => Err(format!("--load {spec}: expected getppid,N or openat,N or paced,RATE,SECS")),
        }
    }

    fn spec(self) -> String {
        match self {
            Load::Getppid(n) => format!("getppid,{n}"),
            Load::Openat(n) => format!("openat,{n}"),
            Load::Paced { rate, secs } => format!("paced,{rate},{secs}"),
        }
    }
}

/// What a load child did.
#[derive(Debug, Serialize, Deserialize)]
struct LoadResult {
    /// Syscalls made (an openat+close pair is two).
    syscalls: u64,
    secs: f64,
    /// Per loop iteration (one getppid, or one openat+close pair), ns: for the cost loops, that
    /// of the fastest of [`CHUNKS`] equal slices of the loop, so that a slice in which another
    /// process took the CPU does not count.
    ns_per_iteration: f64,
    /// The cost loop ran at real-time priority (`SCHED_FIFO`), ahead of ordinary processes.
    realtime: bool,
}

/// Slices of a cost loop, each timed on its own.
const CHUNKS: u64 = 20;

/// Moves this process ahead of ordinary ones (`SCHED_FIFO`, the lowest real-time priority), so
/// that other work on a busy machine does not interrupt a cost loop; the kernel still keeps 5%
/// of each second for everything else. Needs root or CAP_SYS_NICE; says whether it worked.
fn realtime() -> bool {
    let param = libc::sched_param { sched_priority: 1 };
    // SAFETY: pid 0 is this process; `param` is a valid sched_param for the call's duration.
    unsafe { libc::sched_setscheduler(0, libc::SCHED_FIFO, &param) == 0 }
}

/// Runs `n` iterations of `step` in [`CHUNKS`] slices; the fastest slice's ns per iteration.
fn fastest_slice(n: u64, step: fn()) -> f64 {
    let per = (n / CHUNKS).max(1);
    let mut best = f64::INFINITY;
    let mut left = n;
    while left > 0 {
        let k = per.min(left);
        let t = Instant::now();
        (0..k).for_each(|_| step());
        best = best.min(t.elapsed().as_secs_f64() * 1e9 / k as f64);
        left -= k;
    }
    best
}

const DEV_NULL: &[u8] = b"/dev/null\0";

fn openat_close() {
    // SAFETY: a NUL-terminated path and plain flags; the fd, if any, is closed at once.
    unsafe {
        let fd = libc::openat(libc::AT_FDCWD, DEV_NULL.as_ptr().cast(), libc::O_RDONLY | libc::O_CLOEXEC);
        if fd >= 0 {
            libc::close(fd);
        }
    }
}

fn getppid() {
    // SAFETY: getppid has no arguments and cannot fail; the raw syscall avoids any libc caching.
    unsafe {
        libc::syscall(libc::SYS_getppid);
    }
}

/// `rulec bench --load SPEC`: runs one load and prints what it did as JSON.
pub fn load_child(spec: &str) -> i32 {
    let load = match Load::parse(spec) {
        Ok(l) => l,
        Err(e) => return fail(&e),
    };
    let started = Instant::now();
    let rt = matches!(load, Load::Getppid(_) | Load::Openat(_)) && realtime();
    let (syscalls, per_iteration) = match load {
        Load::Getppid(n) => (n, Some(fastest_slice(n, getppid))),
        Load::Openat(n) => (2 * n, Some(fastest_slice(n, openat_close))),
        Load::Paced { rate, secs } => {
            // Pairs are issued on a schedule: at time t, rate*t/2 pairs should be done; ahead of
            // it, the loop sleeps a little. Bounded by `secs`.
            let pairs_per_sec = rate as f64 / 2.0;
            let mut done: u64 = 0;
            loop {
                let t = started.elapsed().as_secs_f64();
                if t >= secs {
                    break;
                }
                let due = (pairs_per_sec * t) as u64;
                if done < due {
                    for _ in 0..(due - done).min(256) {
                        openat_close();
                        done += 1;
                    }
                } else {
                    std::thread::sleep(Duration::from_micros(200));
                }
            }
            (2 * done, None)
        }
    };
    let secs = started.elapsed().as_secs_f64();
    let ns_per_iteration = per_iteration.unwrap_or(secs * 1e9 / (syscalls / 2).max(1) as f64);
    let r = LoadResult { syscalls, secs, ns_per_iteration, realtime: rt };
    match serde_json::to_string(&r) {
        Ok(json) => print_stdout(&format!("{json}\n")).err().unwrap_or(EXIT_OK),
        Err(e) => fail(&format!("cannot encode the load result: {e}")),
    }
}

fn spawn_load(exe: &Path, load: Load) -> Result<Child, String> {
    Process::new(exe)
        .args(["bench", "--load", &load.spec()])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start a load process: {e}"))
}

fn finish_load(child: Child) -> Result<LoadResult, String> {
    let out = child.wait_with_output().map_err(|e| format!("load process: {e}"))?;
    if !out.status.success() {
        return Err(format!("a load process failed ({})", out.status));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("unreadable load result: {e}"))
}

/// One run of a cost loop: ns per iteration, and whether it ran at real-time priority.
fn cost_of(exe: &Path, load: Load) -> Result<(f64, bool), String> {
    let r = finish_load(spawn_load(exe, load)?)?;
    Ok((r.ns_per_iteration, r.realtime))
}

/// A `rulec run` under measurement: started, attached, then stopped with its summary read.
struct Watcher {
    child: Child,
    lines: mpsc::Receiver<String>,
    /// Every stderr line so far.
    log: Vec<String>,
}

/// What `rulec run` said and used.
#[derive(Debug, Default, Serialize)]
struct WatcherReport {
    records: u64,
    drops: u64,
    /// CPU seconds (user + system) over the whole run, including start-up.
    cpu_secs: f64,
    peak_rss_kib: u64,
}

impl Watcher {
    fn start(exe: &Path, rules: &[PathBuf]) -> Result<Watcher, String> {
        let mut cmd = Process::new(exe);
        cmd.args(["run", "-o", "json"]);
        for r in rules {
            cmd.arg("--rules").arg(r);
        }
        let mut child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start rulec run: {e}"))?;
        let stderr = child.stderr.take().ok_or("rulec run has no stderr")?;
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut w = Watcher { child, lines, log: Vec::new() };
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match w.lines.recv_timeout(left) {
                Ok(line) => {
                    let ready = line.contains("watching the host");
                    w.log.push(line);
                    if ready {
                        return Ok(w);
                    }
                }
                Err(_) => {
                    let _ = w.child.kill();
                    let _ = w.child.wait();
                    return Err(format!("rulec run did not start watching:\n{}", w.log.join("\n")));
                }
            }
        }
    }

    /// CPU seconds used so far (/proc/PID/stat utime + stime).
    fn cpu_secs(&self) -> f64 {
        cpu_secs(self.child.id())
    }

    /// SIGTERM, then the summary and the rusage of the exited process.
    fn stop(mut self) -> Result<WatcherReport, String> {
        let pid = self.child.id() as libc::pid_t;
        // SAFETY: signalling our own child, which has not been reaped yet.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
        let mut status = 0;
        // SAFETY: an all-zero rusage is a valid value for wait4 to fill.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: waiting for our own child; the pointers are to live locals.
        let got = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if got != pid {
            return Err(format!("cannot wait for rulec run: {}", std::io::Error::last_os_error()));
        }
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.log.push(line);
        }
        let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        let mut r = WatcherReport {
            cpu_secs: secs(usage.ru_utime) + secs(usage.ru_stime),
            peak_rss_kib: u64::try_from(usage.ru_maxrss).unwrap_or(0),
            ..WatcherReport::default()
        };
        let kernel = self.log.iter().rev().find_map(|l| parse_kernel_line(l));
        match kernel {
            Some((records, drops)) => {
                r.records = records;
                r.drops = drops;
                Ok(r)
            }
            None => Err(format!("rulec run's summary has no kernel line:\n{}", self.log.join("\n"))),
        }
    }
}

/// `  kernel: N records, M dropped (...)` from `rulec run`'s summary.
fn parse_kernel_line(line: &str) -> Option<(u64, u64)> {
    let rest = line.trim_start().strip_prefix("kernel: ")?;
    let (records, rest) = rest.split_once(" records, ")?;
    let (drops, _) = rest.split_once(" dropped")?;
    Some((records.parse().ok()?, drops.parse().ok()?))
}

fn cpu_secs(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return 0.0 };
    // Fields after the command name (which may hold spaces) start at the state, field 3.
    let Some((_, rest)) = stat.rsplit_once(')') else { return 0.0 };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    // utime and stime are fields 14 and 15: indices 11 and 12 after the state (field 3).
    // SAFETY: sysconf has no memory-safety preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    (ticks(11) + ticks(12)) as f64 / hz
}

/// One row of the cost table: the fastest over the rounds.
#[derive(Debug, Serialize)]
struct CostRow {
    setup: &'static str,
    getppid_ns: f64,
    openat_close_ns: f64,
}

impl CostRow {
    fn new(setup: &'static str) -> CostRow {
        CostRow { setup, getppid_ns: f64::INFINITY, openat_close_ns: f64::INFINITY }
    }
}

/// One sustained load.
#[derive(Debug, Serialize)]
struct RateRow {
    target_per_sec: u64,
    achieved_per_sec: f64,
    kernel_records: u64,
    drops: u64,
    /// rulec's CPU during the load, percent of one core.
    cpu_percent: f64,
    peak_rss_kib: u64,
}

#[derive(Debug, Serialize)]
struct LiveResults {
    rules: Vec<PathBuf>,
    repeat: usize,
    costs: Vec<CostRow>,
    /// Every cost loop ran at real-time priority.
    realtime: bool,
    /// rulec run's own CPU (user space: decode, state, rules) per captured openat or close,
    /// during the openat+close loops, ns. On a busy machine this CPU is taken from the loop.
    rulec_cpu_ns_per_syscall: f64,
    rates: Vec<RateRow>,
    load_secs: f64,
}

/// The sustained event rates measured (syscalls per second, all made by the load).
const RATES: [u64; 3] = [100_000, 200_000, 500_000];
/// Iterations of each cost loop.
const GETPPID_CALLS: u64 = 2_000_000;
const OPENAT_PAIRS: u64 = 300_000;
/// Load processes sharing a sustained rate (one per core here).
const LOADERS: u64 = 2;

pub fn run(args: &BenchArgs) -> i32 {
    match measure(args) {
        Ok(results) => {
            let text = match args.format {
                Format::Json => serde_json::to_string_pretty(&results).unwrap_or_default() + "\n",
                Format::Text => render(&results),
            };
            print_stdout(&text).err().unwrap_or(EXIT_OK)
        }
        Err(msg) => fail(&msg),
    }
}

fn measure(args: &BenchArgs) -> Result<LiveResults, String> {
    let missing = rulec_probe::preflight::check();
    if !missing.is_empty() {
        return Err(format!("--live watches the kernel: {}", rulec_probe::ProbeError::Missing(missing)));
    }
    let exe = std::env::current_exe().map_err(|e| format!("cannot find the rulec executable: {e}"))?;
    // Rounds of the three setups in turn, so that a busy spell of the machine touches them
    // alike; each row keeps its fastest loop.
    let mut costs = [CostRow::new("nothing attached"), CostRow::new("empty probe (floor)"), CostRow::new("rulec run")];
    let mut all_realtime = true;
    let (mut cpu, mut syscalls) = (0.0, 0);
    for _ in 0..args.repeat.max(1) {
        for (i, row) in costs.iter_mut().enumerate() {
            let floor = match i {
                1 => Some(rulec_probe::Floor::attach().map_err(|e| format!("cannot attach the cost floor: {e}"))?),
                _ => None,
            };
            let watcher = if i == 2 { Some(Watcher::start(&exe, &args.rules)?) } else { None };
            let (g, rt_g) = cost_of(&exe, Load::Getppid(GETPPID_CALLS))?;
            let cpu_before = watcher.as_ref().map(Watcher::cpu_secs);
            let (o, rt_o) = cost_of(&exe, Load::Openat(OPENAT_PAIRS))?;
            // A real-time loop can keep rulec from its records until it ends: rulec's CPU is
            // counted up to its exit, after it has drained the rings.
            if let (Some(w), Some(before)) = (watcher, cpu_before) {
                cpu += w.stop()?.cpu_secs - before;
                syscalls += 2 * OPENAT_PAIRS;
            }
            drop(floor);
            row.getppid_ns = row.getppid_ns.min(g);
            row.openat_close_ns = row.openat_close_ns.min(o);
            all_realtime &= rt_g && rt_o;
        }
    }
    let costs = Vec::from(costs);
    let rulec_cpu_ns_per_syscall = cpu * 1e9 / syscalls.max(1) as f64;

    let mut rates = Vec::new();
    for target in RATES {
        let watcher = Watcher::start(&exe, &args.rules)?;
        let cpu_before = watcher.cpu_secs();
        let started = Instant::now();
        let loaders: Vec<Child> = (0..LOADERS)
            .map(|_| spawn_load(&exe, Load::Paced { rate: target / LOADERS, secs: args.load_secs }))
            .collect::<Result<_, _>>()?;
        let mut syscalls = 0;
        for l in loaders {
            syscalls += finish_load(l)?.syscalls;
        }
        let wall = started.elapsed().as_secs_f64();
        let cpu = watcher.cpu_secs() - cpu_before;
        let report = watcher.stop()?;
        rates.push(RateRow {
            target_per_sec: target,
            achieved_per_sec: syscalls as f64 / wall,
            kernel_records: report.records,
            drops: report.drops,
            cpu_percent: 100.0 * cpu / wall,
            peak_rss_kib: report.peak_rss_kib,
        });
    }
    Ok(LiveResults {
        rules: args.rules.clone(),
        repeat: args.repeat,
        costs,
        realtime: all_realtime,
        rulec_cpu_ns_per_syscall,
        rates,
        load_secs: args.load_secs,
    })
}

fn render(r: &LiveResults) -> String {
    let mut out = format!(
        "rulec bench --live: syscall cost on this host, {} rounds of the three setups in turn, each \
         loop's fastest of {CHUNKS} slices, the fastest round kept{}; rules: {}\n\n",
        r.repeat,
        if r.realtime { ", loops at real-time priority (SCHED_FIFO)" } else { "" },
        r.rules.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    );
    out.push_str(&format!(
        "{:<22} {:>12} {:>10} {:>18} {:>10}\n",
        "attached", "getppid ns", "added", "openat+close ns", "added"
    ));
    let base = &r.costs[0];
    for c in &r.costs {
        out.push_str(&format!(
            "{:<22} {:>12.1} {:>10.1} {:>18.1} {:>10.1}\n",
            c.setup,
            c.getppid_ns,
            c.getppid_ns - base.getppid_ns,
            c.openat_close_ns,
            c.openat_close_ns - base.openat_close_ns
        ));
    }
    if let [nothing, floor, rulec] = r.costs.as_slice() {
        let floor_added = (floor.getppid_ns - nothing.getppid_ns).max(0.1);
        out.push_str(&format!(
            "\nan unneeded syscall (getppid) under rulec run costs {:.2}x the empty probe's added cost (target: at most 1.2x)\n",
            (rulec.getppid_ns - nothing.getppid_ns) / floor_added
        ));
    }
    out.push_str(&format!(
        "rulec run's own CPU per captured openat or close (decode, state, rules): {:.0} ns\n",
        r.rulec_cpu_ns_per_syscall
    ));
    out.push_str(&format!(
        "\nsustained openat+close load, {} processes, {} s each, against a fresh rulec run:\n",
        LOADERS, r.load_secs
    ));
    out.push_str(&format!(
        "{:>12} {:>14} {:>15} {:>10} {:>11} {:>12}\n",
        "target ev/s", "achieved ev/s", "kernel records", "drops", "rulec CPU", "peak RSS"
    ));
    for x in &r.rates {
        out.push_str(&format!(
            "{:>12} {:>14} {:>15} {:>10} {:>10.0}% {:>8} MiB\n",
            group(x.target_per_sec),
            group(x.achieved_per_sec as u64),
            group(x.kernel_records),
            group(x.drops),
            x.cpu_percent,
            x.peak_rss_kib / 1024
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_specs_round_trip_and_bad_ones_are_refused() {
        for l in [Load::Getppid(5), Load::Openat(7), Load::Paced { rate: 1000, secs: 1.5 }] {
            assert_eq!(Load::parse(&l.spec()), Ok(l));
        }
        for bad in ["", "getppid", "getppid,x", "paced,10", "paced,10,0", "paced,10,1e9", "write,3"] {
            assert!(Load::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn reads_the_kernel_line_of_the_summary() {
        let line = "  kernel: 1234 records, 56 dropped (56 ring buffer full), 0 strings cut";
        assert_eq!(parse_kernel_line(line), Some((1234, 56)));
        assert_eq!(parse_kernel_line("rulec run summary: 3 events"), None);
    }
}
