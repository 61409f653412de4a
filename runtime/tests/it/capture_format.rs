//! rulec's JSON Lines capture format (`rulec_runtime::capture`): every capture in
//! `shared/captures` survives scap → jsonl → events + state unchanged (same `Event`s, same
//! starting state, same replayed state, same alerts from the upstream rules and from a rule
//! that renders state-dependent fields on every event), the output is byte-for-byte stable,
//! and malformed files give errors naming the line, never panics.

#![allow(clippy::unwrap_used)] // test code: a failure is the report

use std::io::Read as _;
use std::path::{Path, PathBuf};

use rulec_compiler::{FileId, SourceFile};
use rulec_runtime::capture::{self, CaptureReader, CaptureSource, CaptureWriter, Header};
use rulec_runtime::engine::{Alert, Backend, Engine, MatchMode};
use rulec_runtime::event::{Direction, Event, ParamValue};
use rulec_runtime::params;
use rulec_runtime::replay::{EventSource, Replay};
use rulec_runtime::scap::ScapReader;
use rulec_runtime::state::{FdInfo, GroupInfo, Limits, State, Stats, ThreadInfo, UserInfo};

fn captures() -> Vec<PathBuf> {
    rulec_test_support::shared_files("captures", "scap")
}

type Snapshot = (Vec<ThreadInfo>, Vec<(i64, Vec<FdInfo>)>, Vec<(String, UserInfo)>, Vec<(String, GroupInfo)>, Stats);

/// Everything a state holds, in a canonical order.
fn snapshot(st: &State) -> Snapshot {
    let mut threads: Vec<ThreadInfo> = st.threads().cloned().collect();
    threads.sort_by_key(|t| t.tid);
    let mut fds: Vec<(i64, Vec<FdInfo>)> = st.fd_tables().map(|(p, f)| (p, f.cloned().collect())).collect();
    fds.sort_by_key(|(p, _)| *p);
    let mut users: Vec<(String, UserInfo)> = st.users().map(|(c, u)| (c.to_owned(), u.clone())).collect();
    users.sort_by(|a, b| (&a.0, a.1.uid).cmp(&(&b.0, b.1.uid)));
    let mut groups: Vec<(String, GroupInfo)> = st.groups().map(|(c, g)| (c.to_owned(), g.clone())).collect();
    groups.sort_by(|a, b| (&a.0, a.1.gid).cmp(&(&b.0, b.1.gid)));
    (threads, fds, users, groups, st.stats())
}

fn to_jsonl(path: &Path) -> Vec<u8> {
    let src = CaptureSource::open(path).unwrap();
    let mut out = Vec::new();
    capture::convert(src, Some("x.scap".into()), &mut out).unwrap();
    out
}

#[test]
fn every_capture_round_trips_to_identical_events_and_state() {
    for p in captures() {
        let name = p.display().to_string();
        let scap = ScapReader::open(&p).unwrap();
        let scap_state = CaptureSource::Scap(ScapReader::open(&p).unwrap()).initial_state(Limits::default());
        let scap_events: Vec<Event> = scap.map(Result::unwrap).collect();
        let text = to_jsonl(&p);

        let reader = CaptureReader::from_bytes(text.clone()).unwrap();
        let mut jsonl_state = State::new();
        reader.seed(&mut jsonl_state);
        let jsonl_events: Vec<Event> = reader.map(Result::unwrap).collect();
        assert_eq!(scap_events.len(), jsonl_events.len(), "{name}");
        for (i, (a, b)) in scap_events.iter().zip(&jsonl_events).enumerate() {
            assert_eq!(a, b, "{name}: event {}", i + 1);
        }
        assert!(snapshot(&scap_state) == snapshot(&jsonl_state), "{name}: starting states differ");

        // Writing what was read gives the same text: the format is a fixed point, so diffs of
        // converted files show real differences only.
        let again = {
            let src = CaptureSource::Jsonl(CaptureReader::from_bytes(text.clone()).unwrap());
            let mut out = Vec::new();
            capture::convert(src, Some("x.scap".into()), &mut out).unwrap();
            out
        };
        assert!(again == text, "{name}: converting the jsonl again changes it");
    }
}

/// Upstream Falco rules, if `shared` has them, plus a rule matching every event whose output
/// renders fields that come from the state (process tree, fds, users, containers).
fn engine() -> Engine {
    let mut files = vec![SourceFile::new(
        FileId(0),
        "all.yaml",
        "- rule: every event\n  desc: d\n  condition: evt.dir = > or evt.dir = <\n  output: \"%evt.type %evt.dir %evt.args %evt.res %proc.name %proc.cmdline %proc.pname %proc.aname[3] %proc.exepath %proc.cwd %proc.tty %proc.vpid %thread.tid %user.name %user.loginuid %group.name %fd.num %fd.name %fd.type %fd.sip %fd.sport %fd.cip %fd.cport %fd.l4proto %fd.sockfamily %container.id %proc.env\"\n  priority: INFO\n  warn_evttypes: false\n".to_owned(),
    )];
    let falco = rulec_test_support::shared_path("conformance/falco/falco_rules.yaml");
    match std::fs::read_to_string(&falco) {
        Ok(text) => files.push(SourceFile::new(FileId(1), "falco_rules.yaml", text)),
        Err(_) => eprintln!("note: {} absent; checking with the field-rendering rule only", falco.display()),
    }
    let res = rulec_compiler::check::check(&files);
    assert!(!res.has_errors(), "{:?}", res.diagnostics.iter().filter(|d| d.is_error()).collect::<Vec<_>>());
    let mut e = Engine::new(rulec_compiler::compile(&res), Backend::Interp);
    e.set_mode(MatchMode::All);
    e
}

fn verdicts<S: EventSource>(rp: Replay<S>, engine: &mut Engine) -> (Vec<Alert>, Snapshot)
where
    S::Error: std::fmt::Debug,
{
    let mut alerts = Vec::new();
    let st = rp.for_each(|ev, st| engine.process(ev, st, &mut alerts)).unwrap();
    (alerts, snapshot(&st))
}

#[test]
fn replaying_the_jsonl_gives_the_same_verdicts_and_final_state() {
    let caps = captures();
    if caps.is_empty() {
        return;
    }
    let mut engine = engine();
    for p in caps {
        let name = p.display().to_string();
        let text = to_jsonl(&p);
        let (a, sa) = verdicts(Replay::open(&p, Limits::default()).unwrap(), &mut engine);
        let (b, sb) = verdicts(
            Replay::from_capture_reader(CaptureReader::from_bytes(text).unwrap(), Limits::default()),
            &mut engine,
        );
        assert!(!a.is_empty(), "{name}: no alerts at all");
        assert_eq!(a.len(), b.len(), "{name}");
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x, y, "{name}");
        }
        assert!(sa == sb, "{name}: final states differ");
    }
}

#[test]
fn open_replay_reads_either_format_by_content() {
    let Some(p) = captures().into_iter().next() else { return };
    let dir = std::env::temp_dir().join(format!("rulec-capture-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // A misleading name: the content decides.
    let j = dir.join("looks-like.scap");
    std::fs::write(&j, to_jsonl(&p)).unwrap();
    let n_scap = capture::open_replay(&p, Limits::default()).unwrap().count();
    let n_jsonl = capture::open_replay(&j, Limits::default()).unwrap().count();
    assert_eq!(n_scap, n_jsonl);
    assert!(matches!(CaptureSource::open(&j).unwrap(), CaptureSource::Jsonl(_)));
    assert!(matches!(CaptureSource::open(&p).unwrap(), CaptureSource::Scap(_)));
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---- hand-written and malformed files ------------------------------------------------------

const HEADER: &str = r#"{"format":"rulec-capture","version":1}"#;

fn read_all(text: &str) -> Result<(CaptureReaderParts, Vec<Event>), String> {
    let r = CaptureReader::from_bytes(text.as_bytes().to_vec()).map_err(|e| e.to_string())?;
    let parts = CaptureReaderParts { threads: r.threads.len(), fds: r.fds.len() };
    let mut evs = Vec::new();
    for ev in r {
        evs.push(ev.map_err(|e| e.to_string())?);
    }
    Ok((parts, evs))
}

#[derive(Debug)]
struct CaptureReaderParts {
    threads: usize,
    fds: usize,
}

fn error_of(text: &str) -> String {
    match read_all(text) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e,
    }
}

#[test]
fn a_hand_written_capture_reads_with_defaults() {
    let text = format!(
        "{HEADER}\n\n{}\n{}\n{}\n{}\n{}\n",
        r#"{"thread":{"tid":10,"pid":10,"comm":"bash","exe":"/bin/bash","cwd":"/root/"}}"#,
        r#"{"fd":{"pid":10,"fd":3,"kind":"file","name":"/etc/shadow","open_flags":1}}"#,
        // No id: the current execve exit; params in any order, missing ones absent.
        r#"{"ts":5,"tid":10,"event":"execve","dir":"<","params":{"exe":"cat","res":0,"args":"/etc/shadow\u0000"}}"#,
        // A generic event by syscall name, without its ID param.
        r#"{"ts":6,"tid":10,"event":"alarm","dir":"<","params":{}}"#,
        r#"{"ts":7,"tid":10,"event":"connect","dir":"<","params":{"res":[-111,"ECONNREFUSED"],"tuple":{"family":"inet","sip":"10.0.0.1","sport":4000,"dip":"1.2.3.4","dport":443},"fd":3}}"#,
    );
    let (parts, evs) = read_all(&text).unwrap();
    assert_eq!((parts.threads, parts.fds), (1, 1));
    assert_eq!(evs.len(), 3);
    assert_eq!(evs[0].name, "execve");
    assert_eq!(evs[0].dir, Direction::Exit);
    assert_eq!(evs[0].type_id, 293);
    assert_eq!(evs[0].get(params::execve_x::EXE), Some("cat"));
    assert_eq!(evs[0].list(params::execve_x::ARGS), Some(vec!["/etc/shadow".to_owned()]));
    assert_eq!(evs[1].name, "alarm");
    assert!(evs[1].type_id == 1 && evs[1].is_generic());
    assert_eq!(evs[2].res(), Some(-111));
    assert_eq!(evs[2].arg_str(params::connect_x::TUPLE).as_deref(), Some("10.0.0.1:4000->1.2.3.4:443"));
    // The replay sees the thread and fd of the state records.
    let r = CaptureReader::from_bytes(text.into_bytes()).unwrap();
    let st = Replay::from_capture_reader(r, Limits::default()).for_each(|_, _| {}).unwrap();
    assert_eq!(st.thread(10).map(|t| t.comm.as_str()), Some("cat"));
    assert_eq!(st.fd(10, 3).map(|f| f.name.as_str()), Some("/etc/shadow"));
}

#[test]
fn every_param_type_round_trips() {
    use rulec_runtime::event::{Param, SockAddr, SockTuple};
    // Build events with unusual values for the types of the table, write them, read them back.
    let mk = |type_id: u16, values: Vec<ParamValue>| {
        let info = rulec_compiler::schema::event_def(type_id).unwrap();
        Event {
            ts: u64::MAX,
            tid: i64::MIN,
            cpu: 7,
            type_id,
            dir: info.dir,
            name: info.name,
            params: info.params.iter().zip(values).map(|(&(name, ty), value)| Param { name, ty, value }).collect(),
            dump_flags: 1,
        }
    };
    let id = |name: &str, dir: Direction| {
        rulec_compiler::schema::event_table()
            .iter()
            .rev()
            .find(|i| {
                i.name == name && i.dir == dir && !i.flags.contains(rulec_compiler::schema::EventFlags::OLD_VERSION)
            })
            .unwrap()
            .id
    };
    let events = vec![
        mk(
            id("connect", Direction::Exit),
            vec![
                ParamValue::Errno(-2),
                ParamValue::SockTuple(SockTuple::V6 {
                    sip: "::1".parse().unwrap(),
                    sport: 1,
                    dip: "2001:db8::1".parse().unwrap(),
                    dport: 65535,
                }),
                ParamValue::Fd(-100),
            ],
        ),
        mk(
            id("connect", Direction::Exit),
            vec![
                ParamValue::Absent,
                ParamValue::SockTuple(SockTuple::Unix { src: u64::MAX, dst: 0, path: "@abs\u{0}x".into() }),
                ParamValue::Fd(3),
            ],
        ),
        mk(
            id("connect", Direction::Enter),
            vec![ParamValue::Fd(3), ParamValue::SockAddr(SockAddr::Other(16, vec![0, 255, 10]))],
        ),
        mk(
            id("read", Direction::Exit),
            vec![ParamValue::Errno(5), ParamValue::Bytes(vec![0xff, 0, b'a', b'\n', 0x80])],
        ),
        mk(id("poll", Direction::Exit), vec![ParamValue::Errno(1), ParamValue::FdList(vec![(3, 1), (-1, 65535)])]),
    ];
    let mut st = State::new();
    st.add_thread(ThreadInfo::new(1, 1, 0));
    let mut out = Vec::new();
    let mut w = CaptureWriter::new(&mut out, &Header::new(None, None)).unwrap();
    w.write_state(&st).unwrap();
    for ev in &events {
        w.write_event(ev).unwrap();
    }
    w.finish().unwrap();
    let back: Vec<Event> = CaptureReader::from_bytes(out).unwrap().map(Result::unwrap).collect();
    assert_eq!(back, events);
}

#[test]
fn malformed_files_give_errors_naming_the_line() {
    let ev = r#"{"ts":1,"tid":2,"event":"close","dir":"<","params":{"res":0}}"#;
    let cases: Vec<(String, &str)> = vec![
        (String::new(), "line 1: empty file"),
        (ev.to_owned(), "line 1: missing header"),
        ("[1,2]".to_owned(), "line 1: missing header"),
        (r#"{"format":"pcap","version":1}"#.to_owned(), "line 1: header: format is \"pcap\""),
        (r#"{"format":"rulec-capture","version":99}"#.to_owned(), "line 1: header: format version 99"),
        (format!("{HEADER}\n{ev}\n{{\"ts\":1,\"tid\":2,\"event\":\"clo"), "line 3: column"),
        (format!("{HEADER}\n{{\"thread\":{{\"tid\":\"ten\"}}}}"), "line 2: thread record: column"),
        (format!("{HEADER}\n{{\"thread\":{{\"tid\":1,\"colour\":2}}}}"), "unknown field `colour`"),
        (format!("{HEADER}\n{{\"fd\":{{\"pid\":1,\"fd\":3,\"kind\":\"socket\"}}}}"), "unknown variant `socket`"),
        (format!("{HEADER}\n{ev}\n{{\"user\":{{\"uid\":0}}}}"), "line 3: a user record after the first event"),
        (format!("{HEADER}\n{}", r#"{"ts":1,"tid":2,"event":"opne","dir":"<"}"#), "line 2: unknown event \"opne\""),
        (
            format!("{HEADER}\n{}", r#"{"ts":1,"tid":2,"id":4000,"event":"open","dir":"<"}"#),
            "line 2: unknown event id 4000",
        ),
        (format!("{HEADER}\n{}", r#"{"ts":1,"tid":2,"id":3,"event":"close","dir":"<"}"#), "line 2: event id 3 is open"),
        (
            format!("{HEADER}\n{}", r#"{"ts":1,"tid":2,"id":3,"event":"open","dir":">"}"#),
            "line 2: event id 3 is an exit",
        ),
        (
            format!("{HEADER}\n{}", r#"{"ts":1,"tid":2,"event":"close","dir":"<","params":{"rez":0}}"#),
            "line 2: event close has no parameter \"rez\"",
        ),
        (
            format!("{HEADER}\n{}", r#"{"ts":1,"tid":2,"event":"close","dir":"<","params":{"res":"zero"}}"#),
            "line 2: close param \"res\": expected an integer, found the string \"zero\"",
        ),
        (
            format!("{HEADER}\n{}", r#"{"ts":1,"tid":2,"event":"close","dir":"<","params":{"res":1e400}}"#),
            "line 2: column",
        ),
        (
            format!("{HEADER}\n{}", r#"{"ts":1,"tid":2,"event":"close","dir":"<","params":{"res":1e30}}"#),
            "line 2: close param \"res\": expected an integer in",
        ),
        (
            format!(
                "{HEADER}\n{}",
                r#"{"ts":1,"tid":2,"event":"close","dir":"<","params":{"res":99999999999999999999}}"#
            ),
            "line 2: close param \"res\": expected an integer in",
        ),
        (
            format!("{HEADER}\n{}", r#"{"ts":1,"tid":2,"event":"open","dir":"<","params":{"flags":4294967296}}"#),
            "line 2: open param \"flags\": 4294967296 is out of range 0..=4294967295",
        ),
        (format!("{HEADER}\n{}", r#"{"ts":-1,"tid":2,"event":"close","dir":"<"}"#), "line 2: `ts`: -1 is out of range"),
        (format!("{HEADER}\n{}", r#"{"ts":1,"event":"close","dir":"<"}"#), "line 2: an event line needs `tid`"),
        (format!("{HEADER}\n{}", r#"{"ts":1,"tid":2,"event":"close","dir":"<>"}"#), "line 2: `dir` must be"),
        (
            format!("{HEADER}\n{}", r#"{"ts":1,"tid":2,"event":"close","dir":"<","colour":1}"#),
            "line 2: unknown key \"colour\"",
        ),
        (
            format!("{HEADER}\n{}", r#"{"ts":1,"tid":2,"event":"read","dir":"<","params":{"data":{"base64":"!!!!"}}}"#),
            "line 2: read param \"data\": '!' is not a base64 character",
        ),
        (
            format!(
                "{HEADER}\n{}",
                r#"{"ts":1,"tid":2,"event":"connect","dir":"<","params":{"tuple":{"family":"inet","sip":"1.2.3","sport":1,"dip":"1.2.3.4","dport":2}}}"#
            ),
            "line 2: connect param \"tuple\": \"1.2.3\" is not an IPv4 address",
        ),
        (
            format!(
                "{HEADER}\n{}",
                r#"{"ts":1,"tid":2,"event":"connect","dir":"<","params":{"tuple":{"family":"inet","sip":"1.2.3.4","sport":70000,"dip":"1.2.3.4","dport":2}}}"#
            ),
            "line 2: connect param \"tuple\": `sport`: 70000 is out of range",
        ),
        (
            format!("{HEADER}\n{}", r#"{"ts":1,"tid":2,"id":1,"event":"open","dir":"<","params":{"ID":75}}"#),
            "line 2: generic event: its ID param names syscall \"mprotect\"",
        ),
        (format!("{HEADER}\n\"just a string\""), "line 2: expected a JSON object, found the string"),
        (format!("{HEADER}\n{ev}\n\u{0}\u{1}"), "line 3: column"),
    ];
    for (text, want) in cases {
        let got = error_of(&text);
        assert!(got.contains(want), "for\n{text}\nwant `{want}` in `{got}`");
    }
    // Not UTF-8.
    let mut bytes = format!("{HEADER}\n").into_bytes();
    bytes.extend_from_slice(b"{\"ts\":1,\"tid\":2,\"event\":\"\xff\"}\n");
    let got = match CaptureReader::from_bytes(bytes) {
        Ok(mut r) => r.try_for_each(|e| e.map(|_| ())).unwrap_err().to_string(),
        Err(e) => e.to_string(),
    };
    assert!(got.starts_with("line 2: not UTF-8"), "{got}");
}

#[test]
fn an_overlong_line_is_refused_without_reading_it_all() {
    // A line with no end, longer than the cap: an error for that line, not an allocation of the
    // whole stream.
    let stream = std::io::Cursor::new(format!("{HEADER}\n{{\"thread\":\"").into_bytes())
        .chain(std::io::repeat(b'a').take(capture::MAX_LINE_BYTES as u64 + 10));
    let e = CaptureReader::from_reader(stream).unwrap_err().to_string();
    assert!(e.starts_with("line 2: line longer than"), "{e}");
}

#[test]
fn truncated_and_mutated_jsonl_gives_errors_not_panics() {
    let Some(p) = captures().into_iter().find(|p| p.ends_with("libs-test_ipv6_client.scap")) else { return };
    let text = to_jsonl(&p);
    let run = |b: Vec<u8>| -> Option<String> {
        match CaptureReader::from_bytes(b) {
            Err(e) => Some(e.to_string()),
            Ok(r) => {
                let mut rp =
                    Replay::from_capture_reader(r, Limits { max_threads: 64, max_fds_per_process: 16, max_users: 8 });
                for ev in rp.by_ref() {
                    if let Err(e) = ev {
                        return Some(e.to_string());
                    }
                }
                None
            }
        }
    };
    let mut cut = 1usize;
    while cut < text.len() {
        if let Some(e) = run(text[..cut].to_vec()) {
            assert!(e.starts_with("line "), "cut {cut}: {e}");
        }
        cut = cut * 9 / 8 + 13;
    }
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    for _ in 0..200 {
        let mut d = text.clone();
        for _ in 0..3 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let at = (x as usize) % d.len();
            let pool = b"0{}[]\":,-9ae\\ ";
            d[at] = pool[(x >> 40) as usize % pool.len()];
        }
        if let Some(e) = run(d) {
            assert!(e.starts_with("line "), "{e}");
        }
    }
}
