//! Seed inputs made here rather than stored: a `.scap` file and a JSON Lines capture of the
//! workload generator's world (the real writers, so the readers' every metadata path is
//! reached), with a few events. `examples/write_seeds.rs` writes them into a corpus folder
//! before a fuzz run; the regression tests run them too.

use rulec_bench::Generator;
use rulec_runtime::capture::{CaptureWriter, Header};
use rulec_runtime::scap::{MachineInfo, ScapWriter};

/// Events in the generated JSON Lines seed.
const EVENTS: usize = 60;

/// A `close` exit record (event type 5: `res`, `fd`) in the probe's layout: the header
/// (timestamp, thread, length, type, parameter count), the parameter lengths, the values.
fn close_record(ts: u64, tid: u64, fd: i64) -> Vec<u8> {
    rulec_compiler::schema::record::encode(ts, tid, 5, &[&0i64.to_le_bytes(), &fd.to_le_bytes()])
}

/// A `.scap` file: the generator's world as process, fd and user lists, and a few closes.
pub fn scap() -> Vec<u8> {
    let machine =
        MachineInfo { num_cpus: 2, memory_bytes: 1 << 30, max_pid: 32768, hostname: "node".into(), boot_ts: 1 };
    let written = (|| -> std::io::Result<Vec<u8>> {
        let mut w = ScapWriter::new(Vec::new(), &machine)?;
        w.write_state(&Generator::new(1).state())?;
        for (i, (tid, fd)) in [(1031u64, 3i64), (1130, 4), (2010, 0), (1231, 99)].into_iter().enumerate() {
            w.write_record((i % 2) as u16, &close_record(1_000 + i as u64, tid, fd), 0)?;
        }
        w.finish()
    })();
    written.expect("writing to memory cannot fail")
}

/// A JSON Lines capture: the generator's world and its first events.
pub fn jsonl() -> Vec<u8> {
    let written = (|| -> std::io::Result<Vec<u8>> {
        let mut generator = Generator::new(2);
        let mut w = CaptureWriter::new(Vec::new(), &Header::new(None, Some("fuzz seed".into())))?;
        w.write_state(&generator.state())?;
        for _ in 0..EVENTS {
            w.write_event(&generator.next_event())?;
        }
        w.finish()
    })();
    written.expect("writing to memory cannot fail")
}

/// The generated seeds, by target.
pub fn all() -> Vec<(&'static str, &'static str, Vec<u8>)> {
    vec![("read_scap", "generated.scap", scap()), ("read_jsonl", "generated.jsonl", jsonl())]
}
