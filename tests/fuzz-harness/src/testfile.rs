//! The `rulec test` file parser on hostile text: every diagnostic must point inside the file,
//! and every case that parsed has its world built and its events built and applied to the state
//! machine, then run through the capture target's engine (the stdlib and a rule reading every
//! field), as `rulec test` would run them.

use rulec_compiler::{FileId, SourceFile};
use rulec_runtime::engine::Alert;
use rulec_testing::Input;
use rulec_testing::model::DEFAULT_PID;
use rulec_testing::world::{build_event, build_world};

/// Events run per input at most (the parser's own limits are far larger; this keeps a run fast).
const MAX_EVENTS: usize = 20_000;

pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let file = SourceFile::new(FileId(0), "fuzz.tests.yaml", text);
    let (parsed, diags) = rulec_testing::parse(&file);
    for d in &diags {
        let (s, e) = (d.primary.start as usize, d.primary.end as usize);
        assert!(s <= e && e <= text.len(), "diagnostic outside the file: {d:?}");
        assert!(text.is_char_boundary(s) && text.is_char_boundary(e), "diagnostic inside a character: {d:?}");
    }
    let Some(parsed) = parsed else { return };
    let mut budget = MAX_EVENTS;
    crate::capture::with_engine(|engine| {
        let mut out: Vec<Alert> = Vec::new();
        for case in &parsed.cases {
            let Input::Events { world, events } = &case.input else { continue };
            let mut state = build_world(world);
            let default_tid = world.processes.last().map_or(DEFAULT_PID, |p| p.pid);
            for spec in events.iter().take(budget) {
                let ev = build_event(spec, spec.tid.unwrap_or(default_tid), &state);
                state.apply(&ev);
                out.clear();
                engine.process(&ev, &state, &mut out);
            }
            budget = budget.saturating_sub(events.len());
        }
        assert_eq!(engine.panics(), 0, "a field extractor panicked");
    });
}
