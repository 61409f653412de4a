//! A replay that decodes only the event types a consumer wants (`Replay::decode_only`) hands
//! out the same events with the same state as one that decodes every event, and ends in the
//! same state: the events it passes over by their header change nothing but what the state
//! does with every event (its count, its thread's sighting). Run on every shared capture read
//! ahead (the reading thread's marks are what lets the loop pass a block over), for a consumer
//! that wants the upstream rules' event types and for one that wants none.

use std::path::PathBuf;

use rulec_runtime::capture::open_replay_with;
use rulec_runtime::state::{Limits, State};
use rulec_runtime::{Event, WantedTypes};

/// What a consumer sees of an event and the state at it: the event whole, its number, and
/// its thread and fd as the state holds them.
fn seen(ev: &Event, st: &State) -> String {
    let thread = st.thread(ev.tid).map(|t| format!("{:?}", t.info()));
    let fd = st.event_fd_info(ev).map(|f| format!("{f:?}"));
    format!("#{} {ev:?} thread {thread:?} fd {fd:?}", st.stats().events)
}

/// The state's tables and counters, in a stable order.
fn fingerprint(st: &State) -> String {
    let mut threads: Vec<String> = st.threads().map(|t| format!("{t:?}")).collect();
    threads.sort();
    let mut fds: Vec<String> =
        st.fd_tables().map(|(pid, fds)| format!("{pid}: {:?}", fds.collect::<Vec<_>>())).collect();
    fds.sort();
    format!("{:?}\n{threads:#?}\n{fds:#?}", st.stats())
}

/// Every event of `path` as seen, and the final state, decoding `wanted`'s types only (or all).
fn replay(path: &PathBuf, wanted: Option<WantedTypes>) -> (Vec<(u64, u16, String)>, String) {
    let mut r = open_replay_with(path, Limits::default(), true).expect("the capture opens");
    if let Some(w) = wanted {
        r.decode_only(w);
    }
    let mut out = Vec::new();
    let end =
        r.for_each(|ev, st| out.push((st.stats().events, ev.type_id, seen(ev, st)))).expect("the capture replays");
    (out, fingerprint(&end))
}

#[test]
fn passing_events_over_changes_nothing_a_consumer_sees() {
    // Absent shared data skips (or fails where it is required: `rulec_test_support::shared`).
    let files = rulec_test_support::shared_files("captures", "scap");
    if files.is_empty() {
        return;
    }
    let upstream = ["open", "openat", "openat2", "execve", "execveat", "connect", "sendto", "sendmsg", "ptrace"];
    let (mut all_events, mut passed_over) = (0, 0);
    for path in &files {
        let (every, end) = replay(path, None);
        // The upstream rules' types; those and a generic event's syscall (clock_gettime is one
        // in the curl captures); nothing.
        let consumers: [&dyn Fn(&str) -> bool; 3] =
            [&|n: &str| upstream.contains(&n), &|n: &str| n == "clock_gettime" || upstream.contains(&n), &|_: &str| {
                false
            }];
        for wants in consumers {
            let wanted = WantedTypes::for_consumer(wants);
            let (some, some_end) = replay(path, Some(wanted.clone()));
            assert_eq!(some_end, end, "{}: the final state", path.display());
            // Each event handed out is the one a full replay hands out at that number, and
            // every event of a wanted type is handed out.
            let mut at = every.iter().peekable();
            for (n, _, s) in &some {
                let Some((_, _, full)) = at.find(|(m, _, _)| m == n) else {
                    panic!("{}: event #{n} is not in the full replay", path.display())
                };
                assert_eq!(s, full, "{}: event #{n}", path.display());
            }
            let wanted_in_full = every.iter().filter(|(_, id, _)| wanted.wants(*id)).count();
            assert!(some.len() >= wanted_in_full, "{}: {} < {wanted_in_full}", path.display(), some.len());
            all_events += every.len();
            passed_over += every.len() - some.len();
        }
    }
    // Not vacuous: most events of these captures are of types nothing here needs.
    assert!(passed_over * 3 > all_events, "{passed_over} of {all_events} events passed over");
}
