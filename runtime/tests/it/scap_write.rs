//! The `.scap` writer (`rulec_runtime::scap::ScapWriter`): the reader reads back what it wrote.
//! Every shared capture's starting state (process, fd, user and group lists) survives write →
//! read; event records are carried byte for byte in v2 event blocks, flagged state-only when
//! asked; every block is padded and ends with its length; a record that is not whole is refused;
//! an exit record's enter event is built from its parameters.

#![allow(clippy::unwrap_used)] // test code: a failure is the report

use std::path::PathBuf;

use rulec_runtime::event::{DF_STATE_ONLY, ParamValue};
use rulec_runtime::replay::Replay;
use rulec_runtime::scap::{MachineInfo, ScapReader, ScapWriter};
use rulec_runtime::state::{FdInfo, FdKind, Limits, State, ThreadInfo};

fn captures() -> Vec<PathBuf> {
    rulec_test_support::shared_files("captures", "scap")
}

fn machine() -> MachineInfo {
    MachineInfo { num_cpus: 2, memory_bytes: 1 << 30, max_pid: 32768, hostname: "box".into(), boot_ts: 7 }
}

/// The state a reader's metadata seeds.
fn seeded(reader: ScapReader) -> State {
    Replay::from_reader(reader, Limits::default()).into_state()
}

/// Threads and fd tables in a canonical order, without what the format does not carry (the
/// thread's start time and last activity come from events, not from the process list; fd kinds
/// newer than sysdig 0.29.3 are written as unsupported).
fn canonical(st: &State) -> (Vec<ThreadInfo>, Vec<(i64, Vec<FdInfo>)>, usize, usize) {
    let mut threads: Vec<ThreadInfo> =
        st.threads().map(|t| ThreadInfo { clone_ts: 0, last_seen: 0, ..t.clone() }).collect();
    threads.sort_by_key(|t| t.tid);
    let mut fds: Vec<(i64, Vec<FdInfo>)> = st
        .fd_tables()
        .map(|(p, f)| {
            let newer = [FdKind::Bpf, FdKind::UserFaultFd, FdKind::IoUring, FdKind::Memfd, FdKind::PidFd];
            let mut f: Vec<FdInfo> = f
                .map(|f| FdInfo {
                    kind: if newer.contains(&f.kind) { FdKind::Unsupported } else { f.kind },
                    ..f.clone()
                })
                .collect();
            f.sort_by_key(|f| f.fd);
            (p, f)
        })
        .collect();
    fds.sort_by_key(|(p, _)| *p);
    (threads, fds, st.users().count(), st.groups().count())
}

#[test]
fn the_starting_state_of_every_capture_survives_write_and_read() {
    let caps = captures();
    for cap in &caps {
        let before = seeded(ScapReader::open(cap).unwrap());
        let mut w = ScapWriter::new(Vec::new(), &machine()).unwrap();
        w.write_state(&before).unwrap();
        let stats = w.stats();
        let bytes = w.finish().unwrap();
        assert_eq!(stats.cut_strings, 0, "{}", cap.display());
        let reader = ScapReader::from_bytes(bytes).unwrap();
        assert_eq!(reader.machine, Some(machine()));
        assert_eq!((reader.header.major, reader.header.minor), (1, 2));
        let after = seeded(reader);
        let (a, b) = (canonical(&before), canonical(&after));
        assert_eq!(a.0.len(), b.0.len(), "{}", cap.display());
        for (x, y) in a.0.iter().zip(&b.0) {
            assert_eq!(x, y, "{}: thread {}", cap.display(), x.tid);
        }
        assert_eq!(a.1, b.1, "{}: fd tables", cap.display());
        assert_eq!((a.2, a.3), (b.2, b.3), "{}: users and groups", cap.display());
    }
}

/// A `close` exit record (type 5: res, fd) as the probe writes it.
fn close_record(ts: u64, tid: u64, fd: i64) -> Vec<u8> {
    rulec_schema::record::encode(ts, tid, 5, &[&0i64.to_le_bytes(), &fd.to_le_bytes()])
}

#[test]
fn records_are_carried_byte_for_byte_in_padded_blocks() {
    let mut w = ScapWriter::new(Vec::new(), &machine()).unwrap();
    w.write_state(&State::new()).unwrap();
    let (a, b) = (close_record(100, 42, 3), close_record(200, 43, 4));
    w.write_record(1, &a, 0).unwrap();
    w.write_record(0, &b, DF_STATE_ONLY).unwrap();
    assert_eq!((w.stats().events, w.stats().state_only), (2, 1));
    let bytes = w.finish().unwrap();
    // Each record appears whole in the file, after its block header and CPU id (and flags).
    let find = |rec: &[u8]| bytes.windows(rec.len()).position(|x| x == rec);
    let at = find(&a).expect("record a in the file");
    assert_eq!(&bytes[at - 10..at - 2], &[0x16, 0x02, 0, 0, 60, 0, 0, 0], "EV_V2 block of 8+2+46+pad 0+4 bytes");
    assert_eq!(&bytes[at - 2..at], &1u16.to_le_bytes());
    let at = find(&b).expect("record b in the file");
    assert_eq!(&bytes[at - 14..at - 10], &0x217u32.to_le_bytes(), "EVF_V2");
    assert_eq!(&bytes[at - 4..at], &DF_STATE_ONLY.to_le_bytes());
    // Every block's trailer equals its header length, and blocks are 4-byte multiples.
    let mut off = 0;
    while off < bytes.len() {
        let len = u32::from_le_bytes(bytes[off + 4..off + 8].try_into().unwrap()) as usize;
        assert_eq!(len % 4, 0);
        assert_eq!(&bytes[off + len - 4..off + len], &bytes[off + 4..off + 8]);
        off += len;
    }
    assert_eq!(off, bytes.len());
    let events: Vec<_> = ScapReader::from_bytes(bytes).unwrap().map(Result::unwrap).collect();
    assert_eq!(events.len(), 2);
    assert_eq!((events[0].ts, events[0].tid, events[0].cpu, events[0].name), (100, 42, 1, "close"));
    assert_eq!(*events[0].params.get(1).unwrap().value, ParamValue::Fd(3));
    assert!(!events[0].state_only() && events[1].state_only());
}

#[test]
fn a_record_that_is_not_whole_is_refused() {
    let mut w = ScapWriter::new(Vec::new(), &machine()).unwrap();
    let rec = close_record(1, 1, 1);
    let e = w.write_record(0, &rec[..rec.len() - 1], 0).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
    assert!(w.write_record(0, &rec[..10], 0).is_err());
    assert_eq!(w.stats().events, 0);
}

#[test]
fn an_exit_record_gets_its_enter_event_before_it() {
    let mut w = ScapWriter::new(Vec::new(), &machine()).unwrap();
    let rec = close_record(100, 42, 7);
    assert!(w.write_enter_for(0, &rec).unwrap());
    w.write_record(0, &rec, 0).unwrap();
    assert_eq!((w.stats().events, w.stats().enter_events, w.stats().state_only), (2, 1, 1));
    let events: Vec<_> = ScapReader::from_bytes(w.finish().unwrap()).unwrap().map(Result::unwrap).collect();
    assert_eq!(events.len(), 2);
    let enter = &events[0];
    assert_eq!((enter.type_id, enter.name, enter.ts, enter.tid), (4, "close", 100, 42));
    assert!(enter.state_only());
    assert_eq!(enter.params.len(), 1);
    assert_eq!((enter.params.get(0).unwrap().name, &*enter.params.get(0).unwrap().value), ("fd", &ParamValue::Fd(7)));
    // An enter event, or a record that is not an exit, gets none.
    let mut w = ScapWriter::new(Vec::new(), &machine()).unwrap();
    let mut e = close_record(1, 1, 1);
    e[20] = 4;
    assert!(!w.write_enter_for(0, &e).unwrap());
    assert!(!w.write_enter_for(0, &rec[..20]).unwrap());
}

#[test]
fn an_enter_parameter_of_another_width_is_converted() {
    // bpf's exit (369) carries `cmd` as ENUMFLAGS32; its enter event (368) as INT64.
    let mut rec = Vec::new();
    rec.extend_from_slice(&7u64.to_le_bytes());
    rec.extend_from_slice(&42u64.to_le_bytes());
    rec.extend_from_slice(&(26u32 + 4 + 12).to_le_bytes());
    rec.extend_from_slice(&369u16.to_le_bytes());
    rec.extend_from_slice(&2u32.to_le_bytes());
    rec.extend_from_slice(&8u16.to_le_bytes());
    rec.extend_from_slice(&4u16.to_le_bytes());
    rec.extend_from_slice(&(-22i64).to_le_bytes());
    rec.extend_from_slice(&5u32.to_le_bytes());
    let mut w = ScapWriter::new(Vec::new(), &machine()).unwrap();
    assert!(w.write_enter_for(0, &rec).unwrap());
    w.write_record(0, &rec, 0).unwrap();
    let events: Vec<_> = ScapReader::from_bytes(w.finish().unwrap()).unwrap().map(Result::unwrap).collect();
    assert_eq!(events.len(), 2, "both halves decode");
    assert_eq!((events[0].type_id, events[0].params.get(0).unwrap().name), (368, "cmd"));
    assert_eq!(*events[0].params.get(0).unwrap().value, ParamValue::I64(5));
}
