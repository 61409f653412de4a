//! Deciding and rendering apart: [`Engine::process_matches`] then [`Engine::render_alerts`] give
//! exactly the alerts [`Engine::process`] gives, on both backends and in both matching modes;
//! and deciding allocates on almost no event once the engine has settled (fields read on every
//! open used to build a string per event: `fd.nameraw`, `evt.res`).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use rulec_bench::Generator;
use rulec_compiler::source::SourceFile;
use rulec_runtime::engine::{Backend, Engine, MatchMode};

/// The system allocator, counting this thread's allocations.
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded to `System` unchanged; the count is a thread-local `Cell`
// with a const initialiser, which itself never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        // SAFETY: the caller's contract is `System`'s.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

use crate::common::{stdlib_files as stdlib, upstream_files as upstream};

fn engine(files: &[SourceFile], backend: Backend, mode: MatchMode) -> Engine {
    let result = rulec_compiler::check::check(files);
    let mut e = Engine::new(rulec_compiler::compile(&result), backend);
    assert_eq!(e.backend(), backend, "{:?}", e.jit_error());
    e.set_mode(mode);
    e
}

fn split_agrees(what: &str, files: &[SourceFile]) {
    for backend in [Backend::Interp, Backend::Jit] {
        for mode in [MatchMode::First, MatchMode::All] {
            let (mut whole, mut split) = (engine(files, backend, mode), engine(files, backend, mode));
            let mut g = Generator::new(5);
            let mut st = g.state();
            let (mut a, mut b, mut matched) = (Vec::new(), Vec::new(), Vec::new());
            let mut alerts = 0;
            for i in 0..60_000 {
                let ev = g.next_event();
                st.apply(&ev);
                whole.process(&ev, &st, &mut a);
                split.process_matches(&ev, &st, &mut matched);
                split.render_alerts(&ev, &st, &matched, &mut b);
                assert_eq!(a, b, "{what} {backend:?} {mode:?}: event {i} ({})", ev.name);
                alerts += a.len();
                a.clear();
                b.clear();
                matched.clear();
            }
            assert!(alerts > 0, "{what} {backend:?} {mode:?}: the stream should raise alerts");
            assert_eq!(whole.stats(), split.stats(), "{what} {backend:?} {mode:?}");
        }
    }
}

#[test]
fn matches_then_rendering_give_what_process_gives() {
    split_agrees("stdlib", &stdlib());
    if let Some(files) = upstream() {
        split_agrees("upstream", &files);
    }
}

#[test]
fn deciding_the_upstream_rules_allocates_on_almost_no_event() {
    let Some(files) = upstream() else { return };
    for backend in [Backend::Interp, Backend::Jit] {
        let mut e = engine(&files, backend, MatchMode::First);
        let mut g = Generator::new(3);
        let mut st = g.state();
        let mut matched = Vec::with_capacity(64);
        let events: Vec<_> = (0..60_000).map(|_| g.next_event()).collect();
        let (warm, timed) = events.split_at(30_000);
        // Profiling, the adaptive order and the JIT's rebuild happen in the first events.
        for ev in warm {
            st.apply(ev);
            e.process_matches(ev, &st, &mut matched);
            matched.clear();
        }
        // Events that allocated while their rules were decided.
        let (mut allocating, mut opens) = (0, 0);
        for ev in timed {
            st.apply(ev);
            opens += usize::from(ev.name == "openat");
            let before = allocations();
            e.process_matches(ev, &st, &mut matched);
            allocating += usize::from(allocations() > before);
            matched.clear();
        }
        assert!(opens > 1_000, "the stream should open files: {opens}");
        // A few rare events do (a value kept for a symlink's target, an exec's arguments);
        // opens (7 % of the stream) must not.
        assert!(allocating * 1000 <= timed.len(), "{backend:?}: {allocating} of {} events allocated", timed.len());
    }
}
