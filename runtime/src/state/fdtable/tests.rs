//! The fd table against an ordered map: the same fds, found the same way, in the same order,
//! under random inserts, removals, retains and copies, with negative, big and small fds.

use std::collections::BTreeMap;

use rulec_bench::SplitMix64 as Rng;

use super::*;
use crate::state::{FdKind, Limits, State, ThreadInfo};

/// An fd number: mostly small (as the kernel gives them), some past the vector's reach,
/// some negative or huge.
fn fd_number(r: &mut Rng) -> i64 {
    match r.below(10) {
        0..=5 => r.below(40) as i64,
        6 => r.below(FdTable::LOW_MAX as u64 + 100) as i64,
        7 => *r.pick(&[-1, -100, i64::MIN, i64::MAX, i32::MAX as i64, FdTable::LOW_MAX as i64]),
        8 => r.below(4000) as i64 + 40,
        _ => r.next() as i64,
    }
}

/// The table holds exactly the model's fds: its length, each look-up and its order.
fn assert_same(t: &FdTable, model: &BTreeMap<i64, FdInfo>, probes: &[i64]) {
    assert_eq!(t.len(), model.len());
    let listed: Vec<&FdInfo> = t.values().collect();
    let expected: Vec<&FdInfo> = model.values().collect();
    assert_eq!(listed, expected);
    for fd in probes.iter().copied().chain(model.keys().copied()) {
        assert_eq!(t.get(fd), model.get(&fd), "fd {fd}");
        assert_eq!(t.contains(fd), model.contains_key(&fd), "fd {fd}");
    }
}

#[test]
fn behaves_as_an_ordered_map() {
    for seed in 0..40 {
        let mut r = Rng(seed);
        let mut t = FdTable::default();
        let mut model = BTreeMap::new();
        let mut probes = Vec::new();
        for step in 0..600 {
            let fd = fd_number(&mut r);
            probes.push(fd);
            match r.below(10) {
                0..=4 => {
                    let f = FdInfo::file(fd, format!("/f/{seed}/{step}"), r.below(8) as u32);
                    t.insert(f.clone());
                    model.insert(fd, f);
                }
                5..=7 => {
                    t.remove(fd);
                    model.remove(&fd);
                }
                8 => {
                    if let Some(f) = t.get_mut(fd) {
                        f.name.push('+');
                    }
                    if let Some(f) = model.get_mut(&fd) {
                        f.name.push('+');
                    }
                }
                _ => {
                    // Drop one flag's fds, as an exec drops the close-on-exec ones.
                    let bit = 1 << r.below(3);
                    t.retain(|f| f.open_flags & bit == 0);
                    model.retain(|_, f| f.open_flags & bit == 0);
                }
            }
            if step % 50 == 0 {
                // A copy (what a forked process starts from) goes its own way.
                let mut copy = t.clone();
                assert_same(&copy, &model, &probes);
                copy.insert(FdInfo::new(7, FdKind::Pipe, "copy"));
                assert_same(&t, &model, &probes);
            }
        }
        assert_same(&t, &model, &probes);
    }
}

/// Fds that wait in the map for the vector to grow over them keep their place in the order,
/// and are found in the vector afterwards.
#[test]
fn the_vector_grows_over_waiting_fds() {
    let mut t = FdTable::default();
    for fd in [500, 40, -3, 2000, 17] {
        t.insert(FdInfo::new(fd, FdKind::File, fd.to_string()));
    }
    assert!(t.low.len() <= FdTable::LOW_MIN, "a few fds keep the vector short: {}", t.low.len());
    for fd in 0..300 {
        t.insert(FdInfo::new(fd, FdKind::File, fd.to_string()));
    }
    assert!(t.low.len() >= 512, "{}", t.low.len());
    assert!(t.high.keys().all(|fd| *fd < 0 || *fd >= t.low.len() as i64), "{:?}", t.high.keys());
    let order: Vec<i64> = t.values().map(|f| f.fd).collect();
    let mut sorted = order.clone();
    sorted.sort_unstable();
    assert_eq!(order, sorted);
    assert_eq!(order.len(), 303);
    assert_eq!(t.get(500).map(|f| f.name.as_str()), Some("500"));
}

/// The state's cap counts refused fds whatever their number, and a full table still replaces
/// an fd it has.
#[test]
fn the_cap_refuses_new_fds_of_any_number() {
    let mut st = State::with_limits(Limits { max_fds_per_process: 4, ..Limits::default() });
    st.add_thread(ThreadInfo::new(9, 9, 1));
    for fd in [3, -5, 1 << 40, 700] {
        st.add_fd(9, FdInfo::new(fd, FdKind::File, "a"));
    }
    for fd in [4, -6, 1 << 41, 701] {
        st.add_fd(9, FdInfo::new(fd, FdKind::File, "refused"));
    }
    st.add_fd(9, FdInfo::new(1 << 40, FdKind::File, "replaced"));
    st.add_fd(9, FdInfo::new(3, FdKind::File, "replaced"));
    let listed: Vec<(i64, &str)> = st.fds(9).map(|f| (f.fd, f.name.as_str())).collect();
    assert_eq!(listed, [(-5, "a"), (3, "replaced"), (700, "a"), (1 << 40, "replaced")]);
    assert_eq!(st.stats().fds_evicted, 4);
}
