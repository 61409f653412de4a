//! `rulec bench --scale`: how the cost of a ruleset grows with its size. For each shape (many
//! rules, one long list, many macros, a chain of macros, a long `or` of `startswith` checks) at
//! each size (1k, 10k, 100k by default), it generates the rules file, then runs `rulec check`
//! on it and `rulec run --replay` of a small generated capture with it (check, engine build with
//! the JIT, replay), each as a child process, and reports wall time and peak memory (the
//! child's `ru_maxrss`). The growth column is the ratio to the previous size divided by the
//! size ratio: 1.0 is linear, 10 at a tenfold step is quadratic.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use rulec_bench::Generator;
use rulec_runtime::capture::{CaptureWriter, Header};
use serde::Serialize;

use super::bench::{BenchArgs, Format, fail};
use super::{EXIT_OK, print_stdout};

/// Events in the replayed capture: few, so that the run measures building the engine.
const CAPTURE_EVENTS: usize = 2_000;

/// A ruleset shape, generated at any size.
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
enum Shape {
    /// `n` rules, each `evt.type = openat and proc.name = "pI"`.
    Rules,
    /// One list of `n` items, used by one rule with `in`.
    ListItems,
    /// `n` macros, each used by one of `n / 10` rules (ten macros per rule, `or`ed).
    Macros,
    /// A chain of `n` macros, each using the one before, used by one rule.
    MacroChain,
    /// One rule whose condition is `n` `startswith` checks joined by `or`.
    OrClauses,
}

const SHAPES: [Shape; 5] = [Shape::Rules, Shape::ListItems, Shape::Macros, Shape::MacroChain, Shape::OrClauses];

impl Shape {
    fn name(self) -> &'static str {
        match self {
            Shape::Rules => "rules",
            Shape::ListItems => "list items",
            Shape::Macros => "macros",
            Shape::MacroChain => "macro chain",
            Shape::OrClauses => "or-clauses",
        }
    }

    /// The rules file of this shape at size `n`.
    fn generate(self, n: usize) -> String {
        let rule = |name: &str, cond: &str| {
            format!(
                "- rule: {name}\n  desc: d\n  condition: {cond}\n  output: \"%proc.name %fd.name\"\n  priority: INFO\n\n"
            )
        };
        let mut s = String::new();
        match self {
            Shape::Rules => {
                for i in 0..n {
                    s.push_str(&rule(&format!("r{i}"), &format!("evt.type = openat and proc.name = \"p{i}\"")));
                }
            }
            Shape::ListItems => {
                s.push_str("- list: names\n  items: [");
                for i in 0..n {
                    let _ = write!(s, "{}p{i}", if i > 0 { ", " } else { "" });
                }
                s.push_str("]\n\n");
                s.push_str(&rule("r", "evt.type = openat and proc.name in (names)"));
            }
            Shape::Macros => {
                for i in 0..n {
                    let _ = write!(s, "- macro: m{i}\n  condition: proc.name = \"p{i}\"\n\n");
                }
                for r in 0..n.div_ceil(10) {
                    let uses: Vec<String> = (r * 10..(r * 10 + 10).min(n)).map(|i| format!("m{i}")).collect();
                    s.push_str(&rule(&format!("r{r}"), &format!("evt.type = openat and ({})", uses.join(" or "))));
                }
            }
            Shape::MacroChain => {
                s.push_str("- macro: m0\n  condition: proc.name = \"p0\"\n\n");
                for i in 1..n {
                    let _ = write!(s, "- macro: m{i}\n  condition: (m{} or proc.name = \"p{i}\")\n\n", i - 1);
                }
                s.push_str(&rule("r", &format!("evt.type = openat and m{}", n.saturating_sub(1))));
            }
            Shape::OrClauses => {
                let clauses: Vec<String> = (0..n).map(|i| format!("fd.name startswith \"/p{i}/\"")).collect();
                s.push_str(&rule("r", &format!("evt.type = openat and ({})", clauses.join(" or "))));
            }
        }
        s
    }
}

/// One child run: wall time, peak memory, exit status.
#[derive(Clone, Copy, Debug, Default, Serialize)]
struct Cost {
    secs: f64,
    peak_rss_kib: u64,
    exit: i32,
}

#[derive(Debug, Serialize)]
struct Row {
    shape: Shape,
    size: usize,
    bytes: usize,
    check: Cost,
    run: Cost,
}

/// Runs `exe args...` with its output discarded; its wall time and `ru_maxrss`.
fn measure(exe: &Path, args: &[&str]) -> Result<Cost, String> {
    let started = Instant::now();
    let child = Command::new(exe)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waiting for our own child, not yet reaped; the pointers are to live locals.
    let got = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    if got != pid {
        return Err(format!("cannot wait for the child: {}", std::io::Error::last_os_error()));
    }
    let exit = if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { 128 + libc::WTERMSIG(status) };
    Ok(Cost { secs: started.elapsed().as_secs_f64(), peak_rss_kib: u64::try_from(usage.ru_maxrss).unwrap_or(0), exit })
}

fn write_capture(path: &Path) -> std::io::Result<()> {
    let mut generator = Generator::new(1);
    let mut w =
        CaptureWriter::new(std::fs::File::create(path)?, &Header::new(None, Some("rulec bench --scale".into())))?;
    w.write_state(&generator.state())?;
    for _ in 0..CAPTURE_EVENTS {
        w.write_event(&generator.next_event())?;
    }
    w.finish().map(drop)
}

fn rows(exe: &Path, dir: &Path, sizes: &[usize]) -> Result<Vec<Row>, String> {
    let capture = dir.join("events.jsonl");
    write_capture(&capture).map_err(|e| format!("cannot write {}: {e}", capture.display()))?;
    let capture = capture.to_string_lossy().into_owned();
    let mut rows = Vec::new();
    for shape in SHAPES {
        for &size in sizes {
            let text = shape.generate(size);
            let file = dir.join(format!("{}-{size}.yaml", shape.name().replace(' ', "-")));
            std::fs::write(&file, &text).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
            let file = file.to_string_lossy().into_owned();
            eprintln!("rulec bench --scale: {} x {size}", shape.name());
            let check = measure(exe, &["check", "--format", "json", &file])?;
            let run = measure(exe, &["run", "--replay", &capture, "--rules", &file, "--output", "json"])?;
            rows.push(Row { shape, size, bytes: text.len(), check, run });
        }
    }
    Ok(rows)
}

/// The growth of `now` over `before` (same shape, previous size) per unit of size growth.
fn growth(now: f64, before: f64, size_ratio: f64) -> String {
    if before <= 0.0 { "-".to_owned() } else { format!("{:.2}", now / before / size_ratio) }
}

fn text_report(rows: &[Row]) -> String {
    let mut out = String::from(
        "shape        size     file MB  check s  check MB  growth t/m   run s    run MB  growth t/m  exits\n",
    );
    let mb = |kib: u64| kib as f64 / 1024.0;
    for (i, r) in rows.iter().enumerate() {
        let prev = i.checked_sub(1).map(|j| &rows[j]).filter(|p| p.shape.name() == r.shape.name());
        let ratio = prev.map_or(0.0, |p| r.size as f64 / p.size as f64);
        let g = |now: f64, before: Option<f64>| before.map_or_else(|| "-".to_owned(), |b| growth(now, b, ratio));
        let _ = writeln!(
            out,
            "{:<12} {:>7} {:>8.1} {:>8.2} {:>9.1} {:>5}/{:<5} {:>7.2} {:>9.1} {:>5}/{:<5} {}/{}",
            r.shape.name(),
            r.size,
            r.bytes as f64 / 1e6,
            r.check.secs,
            mb(r.check.peak_rss_kib),
            g(r.check.secs, prev.map(|p| p.check.secs)),
            g(mb(r.check.peak_rss_kib), prev.map(|p| mb(p.check.peak_rss_kib))),
            r.run.secs,
            mb(r.run.peak_rss_kib),
            g(r.run.secs, prev.map(|p| p.run.secs)),
            g(mb(r.run.peak_rss_kib), prev.map(|p| mb(p.run.peak_rss_kib))),
            r.check.exit,
            r.run.exit,
        );
    }
    out.push_str(
        "growth: (cost / cost at the previous size) / (size / previous size); 1.00 is linear. Exits: check/run status.\n",
    );
    out
}

/// The sizes of `--scale-sizes`, or 1k, 10k and 100k.
fn sizes(args: &BenchArgs) -> Vec<usize> {
    if args.scale_sizes.is_empty() { vec![1_000, 10_000, 100_000] } else { args.scale_sizes.clone() }
}

pub fn run(args: &BenchArgs) -> i32 {
    let exe = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => return fail(&format!("cannot find the rulec executable: {e}")),
    };
    let dir: PathBuf = std::env::temp_dir().join(format!("rulec-bench-scale-{}", std::process::id()));
    if let Err(e) = std::fs::create_dir_all(&dir) {
        return fail(&format!("cannot create {}: {e}", dir.display()));
    }
    let result = rows(&exe, &dir, &sizes(args));
    let _ = std::fs::remove_dir_all(&dir);
    let rows = match result {
        Ok(rows) => rows,
        Err(e) => return fail(&e),
    };
    let out = match args.format {
        Format::Text => text_report(&rows),
        Format::Json => match serde_json::to_string_pretty(&rows) {
            Ok(s) => s + "\n",
            Err(e) => return fail(&format!("cannot encode the results: {e}")),
        },
    };
    print_stdout(&out).err().unwrap_or(EXIT_OK)
}
