//! `rulec capture repeat INPUT OUTPUT --times N`: a big capture made from a small one, the
//! capture's events played N times in a row, written by streaming (memory independent of the
//! sizes: `rulec bench --capture` builds its repeated file the same way).
//!
//! The output is the input as it is (decompressed if it was gzip), then N - 1 copies of
//! everything from its first event block to its end. Timestamps restart with each copy; readers
//! do not require them to increase. The input is first read through the capture reader, so a
//! damaged file gives an error naming the byte, not a damaged copy; where its events start is the
//! reader's own answer (the end of the first event block it read at open), so this module knows
//! the block layout only as lengths, not which block types hold events. On the captures the
//! shared corpus holds, the output is byte for byte what the runtime's in-memory
//! [`rulec_runtime::scap::repeat_events`] builds (a test checks it).

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use clap::Args;
use rulec_runtime::ScapReader;

use super::{EXIT_CANNOT_RUN, EXIT_OK};

#[derive(Args, Debug)]
pub struct RepeatArgs {
    /// The capture to repeat: a .scap, plain or gzip.
    pub input: PathBuf,
    /// Where to write the repeated capture (a plain .scap).
    pub output: PathBuf,
    /// How many times the capture's events are played in a row.
    #[arg(long, value_name = "N")]
    pub times: usize,
}

/// What a repeated capture holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repeated {
    /// Events in the input (one copy).
    pub events_per_copy: u64,
    /// Bytes written.
    pub bytes: u64,
}

pub fn run(args: &RepeatArgs) -> i32 {
    match repeat_file(&args.input, &args.output, args.times) {
        Ok(r) => {
            eprintln!(
                "rulec: wrote {} ({} events: {} × {}, {} MiB)",
                args.output.display(),
                r.events_per_copy * args.times as u64,
                args.times,
                r.events_per_copy,
                r.bytes >> 20
            );
            EXIT_OK
        }
        Err(msg) => {
            eprintln!("rulec: {msg}");
            EXIT_CANNOT_RUN
        }
    }
}

/// Writes `input`'s events played `times` times into `output` (see the module doc). A partly
/// written output is removed.
pub fn repeat_file(input: &Path, output: &Path, times: usize) -> Result<Repeated, String> {
    if times == 0 {
        return Err("--times must be at least 1".into());
    }
    if let (Ok(a), Ok(b)) = (input.canonicalize(), output.canonicalize())
        && a == b
    {
        return Err(format!("{}: the output is the input file", output.display()));
    }
    let layout = read_through(input)?;
    let needed = layout
        .tail_len()
        .checked_mul(times as u64 - 1)
        .and_then(|n| n.checked_add(layout.len))
        .ok_or_else(|| format!("{times} copies of {} bytes of events: ask for fewer copies", layout.tail_len()))?;
    if let Some(free) = free_bytes(output)
        && needed > free
    {
        return Err(format!(
            "{times} copies need {} MiB, {} MiB are free where {} goes: ask for fewer copies",
            needed >> 20,
            free >> 20,
            output.display()
        ));
    }
    let written = write(input, output, &layout, times).inspect_err(|_| {
        let _ = std::fs::remove_file(output);
    })?;
    Ok(Repeated { events_per_copy: layout.events, bytes: written })
}

/// Where the events of a (decompressed) capture start, and how many there are.
struct Layout {
    /// Length of the whole decompressed stream.
    len: u64,
    /// Where the first event block starts; None without events (nothing to repeat).
    events_start: Option<u64>,
    events: u64,
}

impl Layout {
    /// What each extra copy adds.
    fn tail_len(&self) -> u64 {
        self.events_start.map_or(0, |s| self.len - s)
    }
}

/// Reads the whole capture through the capture reader (every block and event checked), in
/// constant memory, then finds where its first event block starts.
fn read_through(input: &Path) -> Result<Layout, String> {
    let mut reader = ScapReader::open(input).map_err(|e| format!("{}: {e}", input.display()))?;
    let first_event_end = reader.offset();
    let mut events = 0u64;
    for ev in &mut reader {
        ev.map_err(|e| format!("{}: {e}", input.display()))?;
        events += 1;
    }
    let len = reader.offset();
    let events_start = if events == 0 {
        None
    } else {
        let stream = plain_stream(input).map_err(|e| format!("cannot read {}: {e}", input.display()))?;
        Some(block_ending_at(stream, first_event_end).map_err(|e| format!("{}: {e}", input.display()))?)
    };
    Ok(Layout { len, events_start, events })
}

/// The input's bytes, decompressed when it is gzip.
fn plain_stream(input: &Path) -> io::Result<Box<dyn Read>> {
    let mut br = BufReader::with_capacity(1 << 20, File::open(input)?);
    let head = io::BufRead::fill_buf(&mut br)?;
    Ok(if head.starts_with(&[0x1f, 0x8b]) { Box::new(flate2::bufread::MultiGzDecoder::new(br)) } else { Box::new(br) })
}

/// The start of the block that ends at `end`, walking the blocks by their lengths from the
/// stream's start (only the metadata before the first event is read).
fn block_ending_at(mut stream: impl Read, end: u64) -> io::Result<u64> {
    let mut at = 0u64;
    let mut header = [0u8; 8];
    while at < end {
        stream.read_exact(&mut header)?;
        let len = u64::from(u32::from_le_bytes([header[4], header[5], header[6], header[7]]));
        if len < 8 {
            break;
        }
        if at + len == end {
            return Ok(at);
        }
        io::copy(&mut (&mut stream).take(len - 8), &mut io::sink())?;
        at += len;
    }
    Err(io::Error::new(io::ErrorKind::InvalidData, "no block ends where the capture reader found the first event"))
}

fn write(input: &Path, output: &Path, layout: &Layout, times: usize) -> Result<u64, String> {
    let out_err = |e: io::Error| format!("cannot write {}: {e}", output.display());
    let in_err = |e: io::Error| format!("cannot read {}: {e}", input.display());
    let file = File::create(output).map_err(|e| format!("cannot create {}: {e}", output.display()))?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    // The first copy: the whole stream as it is.
    let copied = io::copy(&mut plain_stream(input).map_err(in_err)?, &mut w).map_err(in_err)?;
    if copied != layout.len {
        return Err(format!("{} changed while it was read ({copied} bytes, {} before)", input.display(), layout.len));
    }
    w.flush().map_err(out_err)?;
    let mut written = copied;
    if let Some(start) = layout.events_start.filter(|_| times > 1) {
        // The copies are read back from the plain first copy (the input may be gzip).
        let tail = layout.len - start;
        let mut src = File::open(output).map_err(|e| format!("cannot read back {}: {e}", output.display()))?;
        for _ in 1..times {
            src.seek(SeekFrom::Start(start)).map_err(out_err)?;
            let n = io::copy(&mut (&mut src).take(tail), &mut w).map_err(out_err)?;
            if n != tail {
                return Err(format!("{}: read back {n} of {tail} bytes of events", output.display()));
            }
            written += n;
        }
        w.flush().map_err(out_err)?;
    }
    Ok(written)
}

/// Free bytes on the filesystem that holds `path` (its directory, as it may not exist yet).
fn free_bytes(path: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    // SAFETY: statvfs is plain data, for which all zeroes is a valid value.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a NUL-terminated path and `st` a writable statvfs the call fills.
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return None;
    }
    Some(st.f_bavail as u64 * st.f_frsize as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("rulec-repeat-{}-{name}", std::process::id()))
    }

    /// The streaming copy is what the runtime's in-memory one builds, from a gzip input (the
    /// shared captures are gzip) and from the same capture decompressed, and it reads back with
    /// `times` times the events.
    #[test]
    fn streaming_copy_matches_the_in_memory_one() {
        let Some(gz) = rulec_test_support::shared("captures/libs-curl_google.scap") else { return };
        let raw = std::fs::read(&gz).expect("readable capture");
        assert!(raw.starts_with(&[0x1f, 0x8b]), "the shared capture is gzip");
        let mut plain = Vec::new();
        flate2::read::MultiGzDecoder::new(raw.as_slice()).read_to_end(&mut plain).expect("gunzip");
        let plain_path = temp("in.scap");
        std::fs::write(&plain_path, &plain).expect("temp");
        let want = rulec_runtime::scap::repeat_events(&raw, 3).expect("repeat in memory");
        for input in [gz.as_path(), plain_path.as_path()] {
            let out = temp("out.scap");
            let r = repeat_file(input, &out, 3).expect("repeat");
            let got = std::fs::read(&out).expect("output");
            assert!(got == want, "{}: {} bytes, in memory {}", input.display(), got.len(), want.len());
            assert_eq!(r.bytes, want.len() as u64);
            assert_eq!(r.events_per_copy, 1536, "the capture's events");
            let n = ScapReader::open(&out).expect("reads back").count();
            assert_eq!(n as u64, 3 * r.events_per_copy);
            std::fs::remove_file(&out).ok();
        }
        std::fs::remove_file(&plain_path).ok();
    }

    #[test]
    fn bad_input_is_an_error_and_leaves_no_output() {
        let out = temp("bad.scap");
        let e = repeat_file(Path::new("Cargo.toml"), &out, 2).expect_err("not a capture");
        assert!(e.contains("Cargo.toml: scap: at byte"), "{e}");
        assert!(!out.exists());
        let e = repeat_file(Path::new("Cargo.toml"), &out, 0).expect_err("zero copies");
        assert!(e.contains("at least 1"), "{e}");
        let Some(path) = rulec_test_support::shared("captures/libs-curl_google.scap") else { return };
        let e = repeat_file(&path, &out, usize::MAX).expect_err("too many copies");
        assert!(e.contains("ask for fewer copies"), "{e}");
        assert!(!out.exists());
        let e = repeat_file(&path, &path, 2).expect_err("over its own input");
        assert!(e.contains("the output is the input file"), "{e}");
    }
}
