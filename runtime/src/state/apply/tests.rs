//! Tests of the state machine's event handlers (`apply.rs`): the handler table, dispatch by a
//! record's table row, and the user/group handlers' comparisons on record bytes.

use super::*;
use crate::event::ParamType;

/// Every handled event half is in the event table, once, and none is also a fixed-kind row
/// of the fd table (whose handler it would hide).
#[test]
fn handlers_name_table_events_once() {
    for (i, (name, dir, _)) in HANDLERS.iter().enumerate() {
        assert!(rulec_schema::newest_event_def(name, *dir).is_some(), "{name} {dir:?}: not in the event table");
        assert!(!HANDLERS[..i].iter().any(|(n, d, _)| n == name && d == dir), "{name} {dir:?} twice");
        let fixed = rulec_schema::fd_creation(name).is_some_and(|c| c.kind.is_some());
        assert!(!fixed, "{name}: both a handler and a fixed-kind fd row");
    }
    let fixed_ids = BY_ID.iter().filter(|h| h.handler.is_some()).count();
    assert!(fixed_ids > HANDLERS.len(), "every version of a handled event has its handler");
}

/// The handler as the dispatch found it before the table by id settled decoded events:
/// none for a generic event, else the handler of the event's row ([`Event::def`]).
fn handler_by_def(ev: &Event) -> Option<usize> {
    if ev.is_generic() {
        return None;
    }
    BY_ID.get(usize::from(ev.def()?.id))?.handler.map(|h| h as usize)
}

fn event(type_id: u16, name: &'static str, dir: Dir, params: Vec<(&'static str, ParamType, ParamValue)>) -> Event {
    let params = params.into_iter().map(|(name, ty, value)| crate::event::Param { name, ty, value }).collect();
    Event { ts: 1, tid: 1, cpu: 0, type_id, dir, name, params, dump_flags: 0 }
}

/// The table by id gives every event the handler its row has: events of their own row
/// (as decoded), events whose id is another row's (built by hand), generic events (none,
/// whatever their name).
#[test]
fn dispatch_by_id_agrees_with_the_event_row() {
    let table = rulec_schema::event_table();
    let handled = |ev: &Event| handler_of(ev).map(|h| h as usize);
    let mut with_handler = 0;
    for def in table {
        let own = event(def.id, def.name, def.dir, vec![]);
        assert_eq!(handled(&own), handler_by_def(&own), "{} {:?}", def.name, def.dir);
        with_handler += usize::from(handled(&own).is_some());
        // The same name and direction under another row's id: found by name.
        let other = event(if def.id == 300 { 301 } else { 300 }, def.name, def.dir, vec![]);
        assert_eq!(handled(&other), handler_by_def(&other), "{} {:?} under another id", def.name, def.dir);
        assert_eq!(handled(&other), handled(&own));
        // A name equal to the row's but another string: found by name too.
        let copied: &'static str = Box::leak(def.name.to_string().into_boxed_str());
        let copy = event(def.id, copied, def.dir, vec![]);
        assert_eq!(handled(&copy), handled(&own), "{} {:?} by an equal name", def.name, def.dir);
    }
    assert!(with_handler > HANDLERS.len(), "every version of a handled event dispatched by id");
    // A generic event named after a syscall that has a dedicated, handled event.
    let sysid = ("ID", ParamType::SyscallId, ParamValue::SyscallId(41));
    for (id, dir) in [(0, Dir::Enter), (1, Dir::Exit)] {
        let generic = event(id, "dup", dir, vec![sysid.clone()]);
        assert!(generic.is_generic());
        assert_eq!(handled(&generic), None);
    }
    // A dedicated event's own row whose first parameter says generic: no handler either.
    let dup = rulec_schema::newest_event_def("dup", Dir::Exit).expect("dup exit");
    let odd = event(dup.id, dup.name, Dir::Exit, vec![sysid]);
    assert!(odd.is_generic() && handled(&odd).is_none());
    assert!(handled(&event(dup.id, dup.name, Dir::Exit, vec![])).is_some());
}

/// Events of tid 0 or -1 (metaevents, idle switches) skip the thread lookup only while no
/// such thread is in the table: one added later is found and touched like any other.
#[test]
fn threads_with_tids_below_one_are_found() {
    let mut st = State::new();
    let switch = |tid: i64, ts: u64| {
        let def = rulec_schema::newest_event_def("switch", Dir::Enter).expect("switch");
        let mut ev = event(def.id, def.name, Dir::Enter, vec![]);
        (ev.tid, ev.ts) = (tid, ts);
        ev
    };
    st.apply(&switch(0, 10));
    st.apply(&switch(-1, 11));
    assert_eq!((st.stats().unknown_thread_events, st.thread_count()), (2, 0));
    st.add_thread(ThreadInfo::new(0, 0, 0));
    st.add_thread(ThreadInfo::new(-1, -1, 0));
    st.apply(&switch(0, 20));
    st.apply(&switch(-1, 21));
    st.apply(&switch(-2, 22));
    assert_eq!(st.stats().unknown_thread_events, 3, "only tid -2 is unknown");
    assert_eq!(st.thread(0).map(|t| t.last_seen), Some(20));
    assert_eq!(st.thread(-1).map(|t| t.last_seen), Some(21));
}

/// `same_text` is equality without a NUL, at every length and for a difference or a NUL
/// at every place (in the eight-byte words and in the rest).
#[test]
fn same_text_is_equality_without_nul() {
    let reference = |a: &[u8], b: &[u8]| a == b && !b.contains(&0);
    for len in 0..40 {
        let a: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
        assert!(same_text(&a, &a), "{len}");
        for at in 0..len {
            for byte in [0, b'A', 0x80, 0xff, 1] {
                let mut b = a.clone();
                b[at] = byte;
                assert_eq!(same_text(&a, &b), reference(&a, &b), "{len} {at} {byte}");
                assert_eq!(same_text(&b, &b), reference(&b, &b), "{len} {at} {byte} itself");
            }
        }
        assert!(!same_text(&a, &a[..len.saturating_sub(1)]) || len == 0);
    }
}

/// A user or group event read from a record: an entry the table has already changes no
/// name (the generation stays), a changed one replaces it, and text compared on the
/// record's bytes agrees with the text as read (absent, not UTF-8, in a container).
#[test]
fn repeated_user_and_group_records_change_nothing() {
    let record = |name: &str, params: &[&[u8]]| {
        let def = rulec_schema::newest_event_def(name, Dir::Enter).expect("metaevent");
        let bytes = rulec_schema::record::encode(5, 1, def.id, params);
        crate::capture::scap::decode_record(0, &bytes).expect("valid record").expect("an event")
    };
    let user = |uid: u32, name: &[u8], home: &[u8], shell: &[u8], cid: &[u8]| {
        record("useradded", &[&uid.to_le_bytes(), &uid.to_le_bytes(), name, home, shell, cid])
    };
    let group = |gid: u32, name: &[u8], cid: &[u8]| record("groupadded", &[&gid.to_le_bytes(), name, cid]);
    let mut st = State::new();
    let generation = |st: &State| st.names.generation();

    st.apply(&user(1000, b"alice\0", b"/home/alice\0", b"/bin/sh\0", b"\0"));
    let g = generation(&st);
    let u = st.user("", 1000).expect("added");
    assert_eq!((u.name.as_str(), u.home.as_str(), u.shell.as_str()), ("alice", "/home/alice", "/bin/sh"));
    st.apply(&user(1000, b"alice\0", b"/home/alice\0", b"/bin/sh\0", b"\0"));
    assert_eq!(generation(&st), g, "the same user again changes nothing");
    st.apply(&user(1000, b"alice\0", b"/home/alice2\0", b"/bin/sh\0", b"\0"));
    assert_eq!(st.user("", 1000).map(|u| u.home.as_str()), Some("/home/alice2"));
    assert!(generation(&st) > g, "a changed home is a change");
    // A shell whose text is a prefix of the entry's, or the entry's a prefix of it.
    let g = generation(&st);
    st.apply(&user(1000, b"alice\0", b"/home/alice2\0", b"/bin/s\0", b"\0"));
    assert_eq!((st.user("", 1000).map(|u| u.shell.as_str()), generation(&st) > g), (Some("/bin/s"), true));
    // Absent parameters read as empty, again and again.
    st.apply(&user(7, b"", b"", b"", b""));
    let g = generation(&st);
    st.apply(&user(7, b"", b"", b"", b""));
    assert_eq!((st.user("", 7).map(|u| u.name.as_str()), generation(&st)), (Some(""), g));
    // Not UTF-8: kept as read (replacement characters); the same bytes again change nothing.
    st.apply(&user(8, b"b\xffd\0", b"/\0", b"/\0", b"\0"));
    let g = generation(&st);
    st.apply(&user(8, b"b\xffd\0", b"/\0", b"/\0", b"\0"));
    assert_eq!((st.user("", 8).map(|u| u.name.as_str()), generation(&st)), (Some("b\u{fffd}d"), g));
    // A container's table is apart from the host's.
    st.apply(&user(1000, b"bob\0", b"/\0", b"/\0", b"abcdef012345\0"));
    assert_eq!(st.user("abcdef012345", 1000).map(|u| u.name.as_str()), Some("bob"));
    assert_eq!(st.user("", 1000).map(|u| u.name.as_str()), Some("alice"));
    let g = generation(&st);
    st.apply(&user(1000, b"bob\0", b"/\0", b"/\0", b"abcdef012345\0"));
    assert_eq!(generation(&st), g);

    // An entry whose text has a NUL of its own (given by value) is not what a record's
    // text, read up to its NUL, says.
    st.add_user("", UserInfo { uid: 9, gid: 9, name: "a\0b".into(), home: "/".into(), shell: "/".into() });
    st.apply(&user(9, b"a\0b\0", b"/\0", b"/\0", b"\0"));
    assert_eq!(st.user("", 9).map(|u| u.name.as_str()), Some("a"));

    st.apply(&group(50, b"staff\0", b"\0"));
    let g = generation(&st);
    st.apply(&group(50, b"staff\0", b"\0"));
    assert_eq!(generation(&st), g, "the same group again changes nothing");
    st.apply(&group(50, b"staff2\0", b"\0"));
    assert_eq!((st.group("", 50).map(|g| g.name.as_str()), generation(&st) > g), (Some("staff2"), true));
    st.apply(&group(50, b"staff\0", b"c1\0"));
    assert_eq!(st.group("c1", 50).map(|g| g.name.as_str()), Some("staff"));
}

/// A user or group record that changed nothing is settled by the repeats memo the next times,
/// and only while the tables stay as they were: after a delete, a change by another record, a
/// container's table or a full table, the same record does what it did the first time.
#[test]
fn remembered_records_are_forgotten_when_the_tables_change() {
    let record = |name: &str, params: &[&[u8]]| {
        let def = rulec_schema::newest_event_def(name, Dir::Enter).expect("metaevent");
        let bytes = rulec_schema::record::encode(5, 1, def.id, params);
        crate::capture::scap::decode_record(0, &bytes).expect("valid record").expect("an event")
    };
    let user = |uid: u32, name: &[u8]| {
        record("useradded", &[&uid.to_le_bytes(), &uid.to_le_bytes(), name, b"/\0", b"/\0", b"\0"])
    };
    let deleted =
        |uid: u32| record("userdeleted", &[&uid.to_le_bytes(), &uid.to_le_bytes(), b"\0", b"\0", b"\0", b"\0"]);
    let group = |gid: u32, name: &[u8]| record("groupadded", &[&gid.to_le_bytes(), name, b"\0"]);
    let name = |st: &State, uid| st.user("", uid).map(|u| u.name.clone());
    let mut st = State::new();
    let alice = user(1000, b"alice\0");
    for _ in 0..3 {
        st.apply(&alice);
    }
    assert!(st.repeats.seen(&alice, st.names.generation()), "remembered after changing nothing");
    // Deleted, then the same record: added again.
    st.apply(&deleted(1000));
    assert_eq!(name(&st, 1000), None);
    st.apply(&alice);
    assert_eq!(name(&st, 1000).as_deref(), Some("alice"));
    // Renamed by another record, then the first again: renamed back.
    st.apply(&alice);
    st.apply(&alice);
    st.apply(&user(1000, b"mallory\0"));
    assert_eq!(name(&st, 1000).as_deref(), Some("mallory"));
    st.apply(&alice);
    assert_eq!(name(&st, 1000).as_deref(), Some("alice"));
    // Changed through the state's own methods (a capture's list, a reload).
    st.apply(&alice);
    st.apply(&alice);
    st.add_user("", UserInfo { uid: 1000, gid: 1000, name: "eve".into(), home: "/".into(), shell: "/".into() });
    st.apply(&alice);
    assert_eq!(name(&st, 1000).as_deref(), Some("alice"));
    // Groups alike.
    let staff = group(50, b"staff\0");
    for _ in 0..3 {
        st.apply(&staff);
    }
    st.apply(&group(50, b"wheel\0"));
    st.apply(&staff);
    assert_eq!(st.group("", 50).map(|g| g.name.as_str()), Some("staff"));
    // A full table refuses a new entry every time, and counts every refusal.
    let mut st = State::with_limits(Limits { max_users: 1, ..Limits::default() });
    st.apply(&alice);
    let bob = user(1001, b"bob\0");
    for i in 1..=4 {
        st.apply(&bob);
        assert_eq!((name(&st, 1001), st.stats().users_evicted), (None, i), "refusal {i}");
    }
    // Records not read from a record (values given apart) are never remembered.
    let mut by_value = alice.clone();
    by_value
        .params
        .set(2, crate::event::Param { name: "name", ty: ParamType::CharBuf, value: ParamValue::Str("x".into()) });
    assert!(!st.repeats.seen(&by_value, st.names.generation()));
}

/// The handlers shared by several events read them through `any` keys: each of those
/// events' newest row has every parameter its handler reads.
#[test]
fn shared_handlers_read_parameters_their_events_have() {
    let proc = [
        any::EXE.name(),
        any::ARGS.name(),
        any::COMM.name(),
        any::CWD.name(),
        any::FDLIMIT.name(),
        any::CGROUPS.name(),
        any::UID.name(),
        any::GID.name(),
        any::VM_SIZE.name(),
        any::VM_RSS.name(),
        any::VM_SWAP.name(),
        any::PID.name(),
        any::PTID.name(),
        any::FLAGS.name(),
    ];
    let clone = [any::RES.name(), any::VTID.name(), any::VPID.name(), any::PIDNS_INIT_START_TS.name()];
    let exec = [
        any::ENV.name(),
        any::TTY.name(),
        any::VPGID.name(),
        any::PGID.name(),
        any::LOGINUID.name(),
        any::CAP_INHERITABLE.name(),
        any::CAP_PERMITTED.name(),
        any::CAP_EFFECTIVE.name(),
        any::EXE_INO.name(),
        any::EXE_INO_CTIME.name(),
        any::EXE_INO_MTIME.name(),
        any::TRUSTED_EXEPATH.name(),
    ];
    let user = [any::UID.name(), any::GID.name(), any::NAME.name(), any::HOME.name(), any::SHELL.name()];
    let group = [any::GID.name(), any::NAME.name(), any::CONTAINER_ID.name()];
    let cases: [(&[&str], Dir, Vec<&str>); 4] = [
        (&["clone", "clone3", "fork", "vfork"], Dir::Exit, [&proc[..], &clone[..]].concat()),
        (&["execve", "execveat"], Dir::Exit, [&proc[..], &exec[..]].concat()),
        (&["useradded", "userdeleted"], Dir::Enter, [&user[..], &[any::CONTAINER_ID.name()][..]].concat()),
        (&["groupadded", "groupdeleted"], Dir::Enter, group.to_vec()),
    ];
    for (events, dir, params) in cases {
        for event in events {
            let def = rulec_schema::newest_event_def(event, dir).unwrap_or_else(|| panic!("{event}"));
            for param in &params {
                assert!(def.param_index(param).is_some(), "{event} {dir:?} has no `{param}`");
            }
        }
    }
    let execve = rulec_schema::newest_event_def("execve", Dir::Exit).and_then(|d| d.param_index("filename"));
    assert!(execve.is_some(), "execve exits name their file");
}
