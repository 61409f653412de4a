//! `rulec capture`: recording and tools for capture files. Without a subcommand it records the
//! live stream into a `.scap` file ([`super::capture_record`]); `convert` turns a `.scap` (or a
//! rulec capture) into rulec's own JSON Lines capture (`docs/capture-format.md`); `info` counts
//! what a capture of either format holds; `print` prints fields of each event, like `sysdig -r
//! FILE -p FORMAT` ([`super::capture_print`]); `repeat` plays a capture's events N times into a
//! bigger one ([`super::capture_repeat`]). The formats themselves live in
//! `rulec_runtime::capture`.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use rulec_runtime::capture::{self, CaptureFileError, CaptureSource, ConvertError};

use super::{EXIT_CANNOT_RUN, EXIT_OK};

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct CaptureArgs {
    #[command(subcommand)]
    pub command: Option<CaptureCommand>,

    #[command(flatten)]
    pub record: super::capture_record::RecordArgs,
}

#[derive(Subcommand, Debug)]
pub enum CaptureCommand {
    /// Convert a capture (.scap or rulec) to rulec's JSON Lines capture format.
    Convert {
        /// The capture to read: a .scap (plain or gzip) or a rulec capture.
        input: PathBuf,
        /// Where to write the rulec capture (`-`: stdout). Conventionally NAME.rcap.jsonl.
        output: PathBuf,
    },
    /// Print what a capture holds: events by type, processes, fds, users.
    Info {
        /// The capture: a .scap or a rulec capture.
        file: PathBuf,
    },
    /// Print one line per event, like `sysdig -r FILE -p FORMAT FILTER`.
    Print {
        /// The output format: `%field` substitutions (default: a line like sysdig's).
        #[arg(short = 'p', long = "format", value_name = "FORMAT")]
        format: Option<String>,
        /// The capture: a .scap or a rulec capture.
        file: PathBuf,
        /// Print only the events this condition matches (the words are joined with spaces).
        #[arg(value_name = "FILTER")]
        filter: Vec<String>,
    },
    /// Write a capture's events played N times in a row (a big capture from a small one, for
    /// benchmarks), streaming: memory does not grow with the sizes.
    Repeat(super::capture_repeat::RepeatArgs),
}

pub fn run(args: &CaptureArgs) -> i32 {
    let result = match &args.command {
        None => return super::capture_record::record(&args.record),
        Some(CaptureCommand::Print { format, file, filter }) => {
            return super::capture_print::print(file, format.as_deref(), filter);
        }
        Some(CaptureCommand::Repeat(args)) => return super::capture_repeat::run(args),
        Some(CaptureCommand::Convert { input, output }) => convert(input, output),
        Some(CaptureCommand::Info { file }) => match info(file) {
            Ok(text) => {
                return match super::print_stdout(&text) {
                    Ok(()) => EXIT_OK,
                    Err(status) => status,
                };
            }
            Err(msg) => Err(msg),
        },
    };
    match result {
        Ok(()) => EXIT_OK,
        Err(msg) => {
            eprintln!("rulec: {msg}");
            EXIT_CANNOT_RUN
        }
    }
}

/// `FILE:LINE: message` for a rulec capture, `FILE: scap: at byte N: message` for a `.scap`.
fn describe(path: &Path, e: &CaptureFileError) -> String {
    match e {
        CaptureFileError::Jsonl(e) if e.line > 0 => format!("{}:{}: {}", path.display(), e.line, e.message),
        CaptureFileError::Jsonl(e) => e.message.clone(),
        CaptureFileError::Scap(e) => format!("{}: {e}", path.display()),
    }
}

fn convert(input: &Path, output: &Path) -> Result<(), String> {
    let to_stdout = output.as_os_str() == "-";
    // Creating the output truncates it: writing over the input would destroy what is being read.
    if !to_stdout
        && let (Ok(a), Ok(b)) = (input.canonicalize(), output.canonicalize())
        && a == b
    {
        return Err(format!("{}: the output is the input file", output.display()));
    }
    let src = CaptureSource::open(input).map_err(|e| describe(input, &e))?;
    let source = input.file_name().map(|n| n.to_string_lossy().into_owned());
    if to_stdout {
        let stdout = std::io::stdout().lock();
        return match capture::convert(src, source, BufWriter::new(stdout)) {
            Ok(_) => Ok(()),
            Err(ConvertError::Read(e)) => Err(describe(input, &e)),
            // The reader went away (`| head`): it has what it wanted.
            Err(ConvertError::Write(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            Err(ConvertError::Write(e)) => Err(format!("cannot write output: {e}")),
        };
    }
    let file = File::create(output).map_err(|e| format!("cannot create {}: {e}", output.display()))?;
    match capture::convert(src, source, BufWriter::new(file)) {
        Ok(n) => {
            eprintln!("rulec: wrote {n} events to {}", output.display());
            Ok(())
        }
        Err(e) => {
            // A half-written capture would read as a shorter, valid one: do not leave it.
            let _ = std::fs::remove_file(output);
            Err(match e {
                ConvertError::Read(e) => describe(input, &e),
                ConvertError::Write(e) => format!("cannot write {}: {e}", output.display()),
            })
        }
    }
}

fn info(path: &Path) -> Result<String, String> {
    let src = CaptureSource::open(path).map_err(|e| describe(path, &e))?;
    let mut out = String::new();
    let mut line = |s: String| {
        out.push_str(&s);
        out.push('\n');
    };
    line(format!("file:       {}", path.display()));
    match &src {
        CaptureSource::Scap(r) => line(format!("format:     scap {}.{}", r.header.major, r.header.minor)),
        CaptureSource::Jsonl(r) => {
            let h = &r.header;
            let mut s = format!("format:     {} {}", h.format, h.version);
            if !h.rulec.is_empty() {
                s.push_str(&format!(", written by rulec {}", h.rulec));
            }
            if let Some(src) = &h.source {
                s.push_str(&format!(", from {src}"));
            }
            line(s);
        }
    }
    if let Some(m) = src.machine() {
        line(format!("machine:    {} ({} cpus, {} MiB)", m.hostname, m.num_cpus, m.memory_bytes >> 20));
    }
    let s = capture::summarize(src).map_err(|e| describe(path, &e))?;
    let span = match (s.first_ts, s.last_ts) {
        (Some(a), Some(b)) => format!(" over {:.3} s", b.saturating_sub(a) as f64 / 1e9),
        _ => String::new(),
    };
    line(format!("events:     {}{span}", s.events));
    line(format!("processes:  {} ({} threads)", s.processes, s.threads));
    line(format!("fds:        {}", s.fds));
    line(format!("users:      {}", s.users));
    line(format!("groups:     {}", s.groups));
    if !s.events_by_type.is_empty() {
        line(String::new());
        line("events by type:".to_owned());
        let mut by: Vec<(&(String, &str), &u64)> = s.events_by_type.iter().collect();
        by.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
        for ((name, dir), n) in by {
            line(format!("  {n:>8}  {dir} {name}"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonl_errors_name_file_and_line() {
        let e = CaptureFileError::Jsonl(capture::CaptureError { line: 7, message: "unknown event \"opne\"".into() });
        assert_eq!(describe(Path::new("a.rcap.jsonl"), &e), "a.rcap.jsonl:7: unknown event \"opne\"");
    }
}
