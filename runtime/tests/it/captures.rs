//! Reads and replays every capture in `shared/captures`, checking event counts and decoded
//! events against what `scapinfo.py` / `scapdecode.py` (shared/reference/scap) print, and the
//! state the replay builds. Also feeds truncated and mutated captures to the reader, which must
//! return errors, never panic.

use std::io::Read;
use std::net::{IpAddr, Ipv6Addr};
use std::path::{Path, PathBuf};

use rulec_runtime::event::{Direction, SockTuple};
use rulec_runtime::params;
use rulec_runtime::replay::Replay;
use rulec_runtime::scap::ScapReader;
use rulec_runtime::state::{FdKind, Limits, SockRole};

fn captures_dir() -> Option<PathBuf> {
    rulec_test_support::shared("captures")
}

/// Every `.scap` file of the shared captures, sorted (none when they are absent).
fn scap_files() -> Vec<PathBuf> {
    rulec_test_support::shared_files("captures", "scap")
}

fn capture(name: &str) -> Option<PathBuf> {
    let p = captures_dir()?.join(name);
    if p.is_file() {
        Some(p)
    } else {
        eprintln!("skipping: {} is absent", p.display());
        None
    }
}

/// (file, events per scapinfo.py, process-list entries, fd-list entries, users, groups)
const EXPECTED: &[(&str, u64, usize, usize, usize, usize)] = &[
    ("falco-psp_privileged.scap", 2059, 100, 644, 45, 77),
    ("falco-psp_run_as_user_0_container.scap", 4143, 124, 693, 45, 77),
    ("falco-psp_run_as_user_65534_container.scap", 241, 126, 700, 45, 77),
    ("falco-psp_write_tmp_test.scap", 229, 124, 693, 45, 77),
    ("libs-curl_google.scap", 1536, 54, 316, 31, 55),
    ("libs-curl_google_comments.scap", 1536, 54, 316, 31, 55),
    ("libs-sample.scap", 572, 94, 515, 34, 61),
    ("libs-single_ipv6_conn.scap", 1728, 154, 564, 42, 72),
    ("libs-test_ipv6_client.scap", 326, 58, 333, 31, 55),
];

#[test]
fn every_capture_decodes_with_the_python_event_counts() {
    let Some(dir) = captures_dir() else { return };
    for &(name, events, procs, fds, users, groups) in EXPECTED {
        let path = dir.join(name);
        if !path.is_file() {
            eprintln!("skipping absent {name}");
            continue;
        }
        let r = ScapReader::open(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(r.header.major, 1, "{name}");
        assert_eq!((r.procs.len(), r.fds.len(), r.users.len(), r.groups.len()), (procs, fds, users, groups), "{name}");
        assert!(r.machine.as_ref().is_some_and(|m| !m.hostname.is_empty()), "{name}: machine info");
        let mut n = 0u64;
        let mut last_ts = 0;
        for ev in ScapReader::open(&path).unwrap_or_else(|e| panic!("{name}: {e}")) {
            let ev = ev.unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(ev.dir, Direction::of_id(ev.type_id));
            last_ts = last_ts.max(ev.ts);
            n += 1;
        }
        assert_eq!(n, events, "{name}: event count");
        assert!(last_ts > 1_500_000_000_000_000_000, "{name}: timestamps are ns since epoch");
    }
}

#[test]
fn decoded_events_match_scapdecode() {
    // scapdecode.py libs-curl_google.scap connect: the second connect exit of tid 17497.
    if let Some(p) = capture("libs-curl_google.scap") {
        let r = ScapReader::open(&p).expect("open");
        let evs: Vec<_> = r.map(|e| e.expect("event")).filter(|e| e.name == "connect").collect();
        assert_eq!(evs.len(), 8);
        let x = evs.iter().find(|e| e.ts == 1534527348547379676).expect("connect exit");
        assert_eq!((x.tid, x.type_id, x.dir), (17497, 23, Direction::Exit));
        assert_eq!(x.res(), Some(-115));
        assert_eq!(x.arg_str(params::connect_x::RES).as_deref(), Some("EINPROGRESS"));
        let Some(SockTuple::V6 { dip, dport, .. }) = x.get(params::connect_x::TUPLE) else {
            panic!("tuple: {:?}", x.value(params::connect_x::TUPLE))
        };
        assert_eq!((*dip, *dport), ("2607:f8b0:4004:802::2004".parse::<Ipv6Addr>().expect("ip"), 80));
        let unix = evs.iter().find(|e| e.ts == 1534527348518937838).expect("nscd connect");
        assert_eq!(unix.arg_str(params::connect_x::TUPLE).map(|s| s.ends_with(" /var/run/nscd/socket")), Some(true));
        assert_eq!(unix.arg_str(params::connect_x::RES).as_deref(), Some("ENOENT"));
    }
    // scapdecode.py falco-psp_run_as_user_0_container.scap execve.
    if let Some(p) = capture("falco-psp_run_as_user_0_container.scap") {
        let x = ScapReader::open(&p)
            .expect("open")
            .map(|e| e.expect("event"))
            .find(|e| e.name == "execve" && e.dir == Direction::Exit)
            .expect("execve exit");
        assert_eq!((x.ts, x.tid, x.type_id, x.params.len()), (1562711472095933116, 32052, 293, 19));
        assert_eq!(x.get(params::execve_x::EXE), Some("ls"));
        assert_eq!(x.get(params::execve_x::COMM), Some("ls"));
        assert_eq!(x.get(params::execve_x::PTID), Some(25754));
        assert_eq!(x.get(params::execve_x::TTY), Some(34816));
        assert_eq!(x.get(params::execve_x::LOGINUID), Some(4294967295));
        assert!(x.list(params::execve_x::ENV).expect("env").iter().any(|e| e == "HOSTNAME=697956520d89"));
    }
    // scapdecode.py falco-psp_write_tmp_test.scap open.
    if let Some(p) = capture("falco-psp_write_tmp_test.scap") {
        let x = ScapReader::open(&p)
            .expect("open")
            .map(|e| e.expect("event"))
            .find(|e| e.name == "open" && e.dir == Direction::Exit)
            .expect("open exit");
        assert_eq!(x.tid, 25754);
        assert_eq!(x.get(params::open_x::NAME), Some("/tmp/test"));
        assert_eq!(x.arg_str(params::open_x::FLAGS).as_deref(), Some("O_TRUNC|O_CREAT|O_WRONLY"));
        assert_eq!(x.get(params::open_x::FD), Some(3));
    }
    // libs-sample.scap: an event id the old (e5c53d64) table does not know.
    if let Some(p) = capture("libs-sample.scap") {
        let x = ScapReader::open(&p)
            .expect("open")
            .map(|e| e.expect("event"))
            .find(|e| e.name == "useradded")
            .expect("useradded");
        assert_eq!(
            (x.type_id, x.get(params::useradded_e::UID), x.get(params::useradded_e::NAME)),
            (354, Some(999), Some("lxd"))
        );
    }
}

#[test]
fn replay_builds_sensible_state() {
    if let Some(p) = capture("libs-curl_google.scap") {
        let mut saw_connected = false;
        let st = Replay::open(&p, Limits::default())
            .expect("open")
            .for_each(|ev, st| {
                if ev.name == "connect" && ev.dir == Direction::Exit && ev.tid == 17497 && ev.res() == Some(-115) {
                    let f = st.event_fd_info(ev).expect("connect fd resolved");
                    let s = f.sock.as_ref().expect("socket info");
                    assert_eq!(f.kind, FdKind::Ipv6Sock);
                    assert_eq!(s.role, SockRole::Client);
                    assert_eq!(s.sport, 80);
                    assert_eq!(s.sip, Some(IpAddr::V6("2607:f8b0:4004:802::2004".parse().expect("ip"))));
                    assert!(f.name.ends_with("->2607:f8b0:4004:802::2004:80"), "{}", f.name);
                    let t = st.thread(ev.tid).expect("curl thread");
                    assert_eq!(t.comm, "curl");
                    assert_eq!(t.args, ["-6", "http://www.google.com"]);
                    assert_eq!(st.parent(t).map(|p| p.comm.as_str()), Some("bash"));
                    saw_connected = true;
                }
                if ev.name == "close" && ev.dir == Direction::Exit && ev.res() == Some(0) {
                    assert!(st.event_fd_info(ev).is_some(), "closed fd still visible during close: {ev:?}");
                }
            })
            .expect("replay");
        assert!(saw_connected);
        // curl exited by the end of the capture.
        assert!(st.thread(17497).is_none());
        assert!(st.user("", 0).is_some_and(|u| u.name == "root"));
    }
    if let Some(p) = capture("falco-psp_write_tmp_test.scap") {
        let mut opened = None;
        Replay::open(&p, Limits::default())
            .expect("open")
            .for_each(|ev, st| {
                if ev.name == "open" && ev.dir == Direction::Exit {
                    let f = st.event_fd_info(ev).expect("fd");
                    if f.name.starts_with("/tmp/") && f.is_open_write() {
                        let t = st.thread(ev.tid).expect("thread");
                        opened = Some((f.name.clone(), t.comm.clone(), t.container_id.clone()));
                    }
                }
            })
            .expect("replay");
        assert_eq!(opened, Some(("/tmp/test".to_string(), "bash".to_string(), "697956520d89".to_string())));
    }
    if let Some(p) = capture("falco-psp_run_as_user_0_container.scap") {
        let st = Replay::open(&p, Limits::default()).expect("open").for_each(|_, _| {}).expect("replay");
        let ls = st.thread(32052);
        // ls exited (procexit) before the capture ended, or is still there: either way its
        // parent chain is the container's bash.
        if let Some(ls) = ls {
            assert_eq!(ls.comm, "ls");
        }
        let bash = st.thread(25754).expect("container bash");
        assert_eq!((bash.container_id.as_str(), bash.vpid), ("697956520d89", 1));
    }
    if let Some(p) = capture("falco-psp_run_as_user_0_container.scap") {
        let mut seen = false;
        Replay::open(&p, Limits::default())
            .expect("open")
            .for_each(|ev, st| {
                if ev.name == "execve" && ev.dir == Direction::Exit && ev.tid == 32052 {
                    let t = st.thread(32052).expect("ls");
                    assert_eq!((t.comm.as_str(), t.exe.as_str(), t.vpid), ("ls", "ls", 6));
                    assert_eq!(t.container_id, "697956520d89");
                    assert_eq!(t.exepath, "/bin/ls");
                    let anc: Vec<_> = st.ancestors(t).map(|a| a.comm.clone()).collect();
                    assert_eq!(anc.first().map(String::as_str), Some("bash"), "{anc:?}");
                    seen = true;
                }
            })
            .expect("replay");
        assert!(seen);
    }
    if let Some(p) = capture("libs-single_ipv6_conn.scap") {
        let mut accepted = false;
        Replay::open(&p, Limits::default())
            .expect("open")
            .for_each(|ev, st| {
                if ev.name == "accept" && ev.dir == Direction::Exit {
                    let f = st.event_fd_info(ev).expect("accepted fd");
                    let s = f.sock.as_ref().expect("sock");
                    assert_eq!((f.fd, f.kind, s.role, s.sport), (4, FdKind::Ipv6Sock, SockRole::Server, 1234));
                    assert_eq!(s.sip, Some(IpAddr::V6("2001:db8::3".parse().expect("ip"))));
                    assert_eq!(s.cip, Some(IpAddr::V6("2001:db8::4".parse().expect("ip"))));
                    accepted = true;
                }
                if ev.name == "listen" && ev.dir == Direction::Exit {
                    let f = st.event_fd_info(ev).expect("listening fd");
                    assert_eq!(f.name, "2001:db8::3:1234");
                }
            })
            .expect("replay");
        assert!(accepted);
    }
}

fn decompressed(p: &Path) -> Vec<u8> {
    let raw = std::fs::read(p).expect("read");
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&raw[..]).read_to_end(&mut out).expect("gunzip");
        out
    } else {
        raw
    }
}

/// Reads all of `bytes` through the reader and the replay; returns the error text, if any.
fn run_all(bytes: Vec<u8>) -> Option<String> {
    match ScapReader::from_bytes(bytes) {
        Err(e) => Some(e.to_string()),
        Ok(r) => {
            let mut rp = Replay::from_reader(r, Limits { max_threads: 64, max_fds_per_process: 16, max_users: 8 });
            for ev in rp.by_ref() {
                if let Err(e) = ev {
                    return Some(e.to_string());
                }
            }
            let _ = rp.into_state();
            None
        }
    }
}

#[test]
fn truncated_and_mutated_captures_give_errors_not_panics() {
    for name in ["libs-curl_google.scap", "libs-sample.scap", "falco-psp_run_as_user_65534_container.scap"] {
        let Some(p) = capture(name) else { continue };
        let data = decompressed(&p);
        // Truncations at many points, including inside headers.
        let mut cut = 1usize;
        while cut < data.len() {
            let e = run_all(data[..cut].to_vec());
            if let Some(e) = &e {
                assert!(e.contains("at byte"), "{name} cut {cut}: {e}");
            }
            cut = cut * 5 / 4 + 7;
        }
        // Byte mutations with a fixed pseudo-random sequence.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..60 {
            let mut d = data.clone();
            for _ in 0..4 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let at = (x as usize) % d.len();
                d[at] = (x >> 32) as u8;
            }
            let _ = run_all(d);
        }
    }
}

#[test]
fn hostile_lengths_are_rejected_without_huge_allocations() {
    let mut shb = Vec::new();
    shb.extend_from_slice(&0x0A0D0D0Au32.to_le_bytes());
    shb.extend_from_slice(&28u32.to_le_bytes());
    shb.extend_from_slice(&0x1A2B3C4Du32.to_le_bytes());
    shb.extend_from_slice(&1u16.to_le_bytes());
    shb.extend_from_slice(&2u16.to_le_bytes());
    shb.extend_from_slice(&u64::MAX.to_le_bytes());
    shb.extend_from_slice(&28u32.to_le_bytes());
    assert!(ScapReader::from_bytes(shb.clone()).is_ok());

    // A process-list block claiming 60 MiB, with 10 bytes present.
    let mut d = shb.clone();
    d.extend_from_slice(&0x215u32.to_le_bytes());
    d.extend_from_slice(&(60u32 << 20).to_le_bytes());
    d.extend_from_slice(&[0; 10]);
    let e = ScapReader::from_bytes(d).expect_err("truncated");
    assert!(e.to_string().contains("at byte 46") && e.to_string().contains("truncated"), "{e}");

    // Over the block cap.
    let mut d = shb.clone();
    d.extend_from_slice(&0x216u32.to_le_bytes());
    d.extend_from_slice(&u32::MAX.to_le_bytes());
    let e = ScapReader::from_bytes(d).expect_err("too big");
    assert!(e.to_string().contains("limit"), "{e}");

    // An event whose nparams field is huge.
    let mut d = shb.clone();
    let mut ev = Vec::new();
    ev.extend_from_slice(&0u16.to_le_bytes()); // cpu
    ev.extend_from_slice(&1u64.to_le_bytes()); // ts
    ev.extend_from_slice(&1u64.to_le_bytes()); // tid
    ev.extend_from_slice(&26u32.to_le_bytes()); // len
    ev.extend_from_slice(&3u16.to_le_bytes()); // open exit
    ev.extend_from_slice(&u32::MAX.to_le_bytes()); // nparams
    let blen = 12 + ev.len() as u32 + 2;
    d.extend_from_slice(&0x216u32.to_le_bytes());
    d.extend_from_slice(&blen.to_le_bytes());
    d.extend_from_slice(&ev);
    d.extend_from_slice(&[0, 0]);
    d.extend_from_slice(&blen.to_le_bytes());
    let r = ScapReader::from_bytes(d).expect("metadata ok");
    let errs: Vec<_> = r.filter_map(Result::err).collect();
    assert_eq!(errs.len(), 1);
    assert!(errs[0].to_string().contains("params"), "{}", errs[0]);

    // Not a capture at all.
    assert!(ScapReader::from_bytes(b"hello world, not scap".to_vec()).is_err());
    assert!(ScapReader::from_bytes(Vec::new()).is_err());
    // Corrupt gzip.
    let e = ScapReader::from_bytes(vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]).expect_err("bad gzip");
    assert!(e.to_string().contains("at byte 0"), "{e}");
}

/// `repeat_events` plays a capture's events N times: the same decoded events, in order, N
/// times over, after the same metadata; a damaged file is an error.
#[test]
fn repeated_captures_hold_their_events_n_times() {
    for name in ["libs-curl_google.scap", "falco-psp_write_tmp_test.scap"] {
        let Some(p) = capture(name) else { return };
        let raw = std::fs::read(&p).expect("read");
        let decode = |bytes: Vec<u8>| {
            let r = ScapReader::from_bytes(bytes).expect("readable");
            let procs = r.procs.len();
            let events: Vec<String> = r.map(|e| format!("{:?}", e.expect("event"))).collect();
            (procs, events)
        };
        let (procs, once) = decode(raw.clone());
        let (procs3, thrice) = decode(rulec_runtime::scap::repeat_events(&raw, 3).expect("repeat"));
        assert_eq!(procs, procs3, "{name}: metadata kept once");
        assert_eq!(thrice.len(), 3 * once.len(), "{name}");
        for (i, chunk) in thrice.chunks(once.len()).enumerate() {
            assert_eq!(chunk, &once[..], "{name}: copy {i}");
        }
        let (_, same) = decode(rulec_runtime::scap::repeat_events(&raw, 1).expect("repeat"));
        assert_eq!(same, once);
        let plain = decompressed(&p);
        let cut = &plain[..plain.len() - 7];
        assert!(rulec_runtime::scap::repeat_events(cut, 2).is_err(), "{name}: a truncated file is an error");
    }
}

/// `Replay::for_each` (which moves enter events instead of copying them) shows rules the same
/// events and states as iterating, on every capture, played twice.
#[test]
fn for_each_sees_what_iteration_sees() {
    let names = scap_files();
    if names.is_empty() {
        return;
    }
    for p in names.iter() {
        let Ok(twice) = rulec_runtime::scap::repeat_events(&std::fs::read(p).expect("read"), 2) else { continue };
        let open = || Replay::from_reader(ScapReader::from_bytes(twice.clone()).expect("readable"), Limits::default());
        let mut by_iter = Vec::new();
        let mut it = open();
        while let Some(Ok(ev)) = it.next() {
            let st = it.state();
            by_iter.push(format!("{ev:?} | {:?} | {:?}", st.thread(ev.tid).map(|t| &t.comm), st.event_fd_info(&ev)));
        }
        let mut by_each = Vec::new();
        let _ = open().for_each(|ev, st| {
            by_each.push(format!("{ev:?} | {:?} | {:?}", st.thread(ev.tid).map(|t| &t.comm), st.event_fd_info(ev)));
        });
        assert_eq!(by_iter.len(), by_each.len(), "{}", p.display());
        for (i, (a, b)) in by_iter.iter().zip(&by_each).enumerate() {
            assert_eq!(a, b, "{} event {i}", p.display());
        }
    }
}

/// What rules see over a whole replay (each event, its thread's name and fd) and how it ended.
fn observe<S: rulec_runtime::EventSource>(r: Replay<S>) -> (Vec<String>, Result<usize, String>)
where
    S::Error: std::fmt::Display,
{
    let mut seen = Vec::new();
    let end = r.for_each(|ev, st| {
        seen.push(format!("{ev:?} | {:?} | {:?}", st.thread(ev.tid).map(|t| &t.comm), st.event_fd_info(ev)));
    });
    (seen, end.map(|st| st.thread_count()).map_err(|e| e.to_string()))
}

/// Replays `bytes` read directly and read ahead: the same events and states, then the same
/// ending (`what` names the capture in a failure).
fn same_read_ahead(bytes: &[u8], what: &str) {
    let open = |ahead| {
        let r = ScapReader::from_reader_with(std::io::Cursor::new(bytes.to_vec()), ahead).expect("readable");
        Replay::from_reader(r, Limits::default())
    };
    let (direct, direct_end) = observe(open(false));
    let (by_ahead, ahead_end) = observe(open(true));
    assert_eq!(direct.len(), by_ahead.len(), "{what}");
    for (i, (a, b)) in direct.iter().zip(&by_ahead).enumerate() {
        assert_eq!(a, b, "{what}, event {i}");
    }
    assert_eq!(direct_end, ahead_end, "{what}");
}

/// A replay whose capture is read ahead by a second thread shows rules the same events and
/// states as one reading it itself, on every capture played 3 times (one 80 times, over several
/// of the thread's chunks), plain and gzipped, and a damaged capture gives the same events and
/// then the same error at the same place.
#[test]
fn read_ahead_sees_what_the_replay_sees() {
    let names = scap_files();
    if names.is_empty() {
        return;
    }
    let mut seen = 0;
    for p in names.iter() {
        // One capture long enough to cross the reading thread's chunks (3.2 MB), the others short.
        let long = p.ends_with("libs-sample.scap");
        let times = if long { 80 } else { 3 };
        let Ok(thrice) = rulec_runtime::scap::repeat_events(&std::fs::read(p).expect("read"), times) else { continue };
        assert!(!long || thrice.len() > 3 * rulec_runtime::capture::ahead::CHUNK, "{} bytes", thrice.len());
        // The whole file, the file cut in its last event block (a read error at the end), and
        // the file gzipped.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &thrice).expect("gzip");
        for bytes in [thrice.clone(), thrice[..thrice.len() - 5].to_vec(), gz.finish().expect("gzip")] {
            same_read_ahead(&bytes, &p.display().to_string());
            seen += 1;
        }
    }
    assert!(seen >= 6, "too few captures were compared");
}

/// Read ahead, the reading thread marks the event blocks it found well formed and the loop
/// decodes those without checking them again: on captures damaged anywhere (a byte changed in
/// a block header, a record header, a length table, a value, a trailer), reading ahead gives
/// the same events, states and ending as reading directly, which checks everything. Both the
/// v2 (libs-sample) and the v1 (libs-curl_google) record layouts, over several chunks.
#[test]
fn damaged_captures_read_ahead_as_read_directly() {
    let names = scap_files();
    let picked: Vec<_> =
        names.iter().filter(|p| p.ends_with("libs-sample.scap") || p.ends_with("libs-curl_google.scap")).collect();
    if names.is_empty() {
        return;
    }
    assert_eq!(picked.len(), 2, "both layouts' captures are there");
    let mut compared = 0;
    for p in picked {
        let plain = {
            let raw = std::fs::read(p).expect("read");
            let mut out = Vec::new();
            match raw.starts_with(&[0x1f, 0x8b]) {
                true => {
                    std::io::Read::read_to_end(&mut flate2::read::MultiGzDecoder::new(&raw[..]), &mut out).map(|_| ())
                }
                false => Ok(out = raw),
            }
            .expect("readable");
            out
        };
        let repeat = |n| rulec_runtime::scap::repeat_events(&plain, n).expect("repeats");
        let per_copy = repeat(2).len() - repeat(1).len();
        let long = repeat(2 * rulec_runtime::capture::ahead::CHUNK / per_copy + 2);
        assert!(long.len() > rulec_runtime::capture::ahead::CHUNK, "{} bytes", long.len());
        // Positions spread over the events (past the metadata), each byte changed in a few ways.
        let start = plain.len() / 3;
        for k in 0..24u64 {
            let at = start + (k.wrapping_mul(2_654_435_761) % (long.len() - start) as u64) as usize;
            let mut bytes = long.clone();
            bytes[at] ^= [0x01, 0x80, 0xff][(k % 3) as usize];
            same_read_ahead(&bytes, &format!("{} byte {at}", p.display()));
            compared += 1;
        }
    }
    assert_eq!(compared, 48);
}

/// The replay completes an exit event with its enter event's parameters as a merge by name on
/// decoded values does (the replay's own merge works from a per-event plan on the records'
/// bytes): the same parameters, names, types and values, on every capture.
#[test]
fn exits_take_their_enters_parameters_by_name() {
    use rulec_runtime::event::{Event, Param, ParamValue};
    let names = scap_files();
    if names.is_empty() {
        return;
    }
    let mut completed = 0;
    for p in names.iter() {
        let mut pending: std::collections::HashMap<i64, Event> = Default::default();
        let mut replay = Replay::from_reader(ScapReader::open(p).expect("readable"), Limits::default());
        for (i, ev) in ScapReader::open(p).expect("readable").enumerate() {
            let mut ev = ev.expect("decodes");
            if ev.dir == Direction::Exit {
                if let Some(enter) = pending.remove(&ev.tid)
                    && enter.name == ev.name
                    && enter.type_id.wrapping_add(1) == ev.type_id
                {
                    for q in enter.params.iter().filter(|q| *q.value != ParamValue::Absent) {
                        let q = Param { name: q.name, ty: q.ty, value: q.value.clone() };
                        match ev.params.position(q.name) {
                            Some(j) if ev.params.is_absent(j) => ev.params.set(j, q),
                            Some(_) => continue,
                            None => ev.params.push(q),
                        }
                        completed += 1;
                    }
                }
            } else if ev.def().is_some_and(|d| d.is_syscall()) {
                pending.insert(ev.tid, ev.clone());
            }
            let got = replay.next().expect("as many events").expect("decodes");
            assert_eq!(format!("{:?}", got.params), format!("{:?}", ev.params), "{} event {i}", p.display());
        }
    }
    assert!(completed > 1000, "exits completed from their enters: {completed}");
}

/// The offsets of the event blocks of a plain capture (walked by their header lengths).
fn event_block_offsets(d: &[u8]) -> Vec<usize> {
    let word = |at: usize| u32::from_le_bytes(d[at..at + 4].try_into().unwrap());
    let mut out = Vec::new();
    let mut at = 0;
    while at + 8 <= d.len() {
        if matches!(word(at), 0x204 | 0x216 | 0x221 | 0x208 | 0x217 | 0x222) {
            out.push(at);
        }
        at += word(at + 4) as usize;
    }
    out
}

/// A source that hands out at most `step` bytes per read, so that blocks, and their 8-byte
/// headers, straddle what the reader has read.
struct Trickle(std::io::Cursor<Vec<u8>>, usize);
impl Read for Trickle {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = out.len().min(self.1);
        self.0.read(&mut out[..n])
    }
}

/// The read buffer's fast path reads an event block's framing once (type, length, trailer):
/// an event block whose trailer disagrees with its length is still the general path's error,
/// at the same offset, and a capture read a few bytes at a time gives the events it gives
/// read whole.
#[test]
fn event_block_framing_is_checked_on_the_fast_path() {
    let Some(p) = capture("libs-sample.scap") else { return };
    let data = decompressed(&p);
    let blocks = event_block_offsets(&data);
    assert!(blocks.len() > 500, "event blocks: {}", blocks.len());
    for &at in [blocks[0], blocks[blocks.len() / 2], *blocks.last().unwrap()].iter() {
        let len = u32::from_le_bytes(data[at + 4..at + 8].try_into().unwrap()) as usize;
        let mut d = data.clone();
        d[at + len - 4] ^= 0x40;
        let e = run_all(d).expect("a bad trailer is an error");
        let want = format!("at byte {}", at + len - 4);
        assert!(e.contains("trailer length") && e.contains(&want), "block at {at}: {e}");
    }
    let whole: Vec<String> =
        ScapReader::from_bytes(data.clone()).unwrap().map(|e| format!("{:?}", e.unwrap())).collect();
    for step in [3, 7, 4096] {
        let r = ScapReader::from_reader(Trickle(std::io::Cursor::new(data.clone()), step)).unwrap();
        let trickled: Vec<String> = r.map(|e| format!("{:?}", e.unwrap())).collect();
        assert_eq!(trickled.len(), whole.len(), "step {step}");
        assert!(trickled == whole, "step {step}: the events differ");
    }
}
