//! What a [`WantedTypes`] table decodes: the consumer's names, the state's rows and their other
//! halves, generic events; everything after a reload's update.

use super::*;

fn row(name: &str, dir: Dir) -> &'static EventDef {
    rulec_schema::newest_event_def(name, dir).expect("a row of the table")
}

#[test]
fn decodes_what_the_consumer_or_the_state_needs() {
    let w = WantedTypes::for_consumer(|name| name == "mmap");
    // The consumer's, both directions.
    assert!(w.wants(row("mmap", Dir::Enter).id) && w.wants(row("mmap", Dir::Exit).id));
    // The state's: an open's exit has a handler; its enter is decoded for the merge.
    assert!(crate::state::changes_on(row("openat", Dir::Exit).id));
    assert!(w.wants(row("openat", Dir::Enter).id) && w.wants(row("openat", Dir::Exit).id));
    // Generic events are asked about by their syscall's code, named or not; other events by
    // their row, whatever a code would say.
    let code = |name| rulec_schema::syscalls::ppm_sc_code(name).expect("a ppm_sc code");
    assert!(w.wants_syscall(code("mmap")) && !w.wants_syscall(code("clock_gettime")));
    assert!(w.wants_syscall(0) && w.wants_syscall(u16::MAX));
    for id in [0, 1] {
        assert!(w.wants_event(id, || Some(code("mmap"))) && !w.wants_event(id, || Some(code("clock_gettime"))));
        assert!(w.wants_event(id, || None) && w.wants_event(id, || Some(0)));
    }
    assert!(w.wants_event(row("mmap", Dir::Exit).id, || Some(code("clock_gettime"))));
    assert!(!w.wants_event(row("mprotect", Dir::Exit).id, || Some(code("mmap"))));
    // Nobody's: neither direction.
    for dir in [Dir::Enter, Dir::Exit] {
        let id = row("mprotect", dir).id;
        assert!(!crate::state::changes_on(id));
        assert!(!w.wants(id), "mprotect {dir:?}");
    }
    // Ids past the table are the reader's to settle.
    assert!(w.wants(u16::MAX));
    // Every row the state handles is decoded, whatever the consumer says.
    let none = WantedTypes::for_consumer(|_| false);
    for def in event_table() {
        if crate::state::changes_on(def.id) {
            assert!(none.wants(def.id), "{} {:?}", def.name, def.dir);
        }
    }
    assert!(none.count() < w.count() && w.count() < WantedTypes::all().count());
}

#[test]
fn an_update_is_seen_by_every_clone() {
    let w = WantedTypes::for_consumer(|_| false);
    let held = w.clone();
    let id = row("mprotect", Dir::Exit).id;
    assert!(!held.wants(id));
    w.update(|name| name == "mprotect");
    assert!(held.wants(id));
    w.update(|_| true);
    assert_eq!(held.count(), WantedTypes::all().count());
}
