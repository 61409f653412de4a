//! The capture readers on hostile bytes: a `.scap` file ([`run_scap`]) or a rulec JSON Lines
//! capture ([`run_jsonl`]) is opened from memory and replayed through the state machine, and
//! every event goes through an engine holding the stdlib rules and one rule whose output names
//! every field without an argument, so every field extractor reads the state the damaged
//! capture built. Errors are expected (the readers turn damage into errors); a panic, a hang
//! or unbounded memory is a finding.

use std::cell::RefCell;

use rulec_compiler::schema::{ArgSpec, schema};
use rulec_compiler::{FileId, SourceFile};
use rulec_runtime::capture::{
    CaptureReader,
    replay::{EventSource, Replay},
};
use rulec_runtime::engine::{Alert, Backend, Engine, MatchMode};
use rulec_runtime::{Limits, ScapReader, State};

/// Events replayed per input at most: enough for any state, small enough to keep a run fast.
const MAX_EVENTS: usize = 20_000;

/// State limits smaller than the defaults, so that a capture that fills the tables costs
/// little time per input while still reaching the eviction paths.
fn limits() -> Limits {
    Limits { max_threads: 4_096, max_fds_per_process: 512, max_users: 1_024 }
}

/// A rules file with one rule that matches every event and prints every field that takes no
/// argument (rendering an alert reads each of them).
pub fn every_field_rule() -> String {
    let fields: Vec<String> = schema()
        .fields()
        .iter()
        .filter(|f| f.arg != ArgSpec::Required)
        .filter(|f| !f.flags.filter_only && !f.flags.table_only)
        .map(|f| format!("%{}", f.name))
        .collect();
    format!(
        "- rule: every field\n  desc: reads every field\n  condition: evt.num > 0 or evt.num = 0\n  output: \"{}\"\n  priority: DEBUG\n  warn_evttypes: false\n",
        fields.join(" ")
    )
}

/// The engine every capture input runs through (built once per thread: checking the stdlib
/// costs far more than one input).
pub(crate) fn with_engine(f: impl FnOnce(&mut Engine)) {
    thread_local! {
        static ENGINE: RefCell<Engine> = RefCell::new(build_engine());
    }
    ENGINE.with(|e| f(&mut e.borrow_mut()));
}

fn build_engine() -> Engine {
    let mut files: Vec<SourceFile> = rulec_stdlib::FILES
        .iter()
        .enumerate()
        .map(|(i, f)| SourceFile::new(FileId(i as u32), f.path, f.text))
        .collect();
    files.push(SourceFile::new(FileId(files.len() as u32), "every_field.yaml", every_field_rule()));
    let result = rulec_compiler::check::check(&files);
    let errors: Vec<_> = result.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "the capture target's rules have errors: {errors:?}");
    let mut engine = Engine::new(rulec_compiler::compile(&result), Backend::Interp);
    engine.set_mode(MatchMode::All);
    engine
}

/// Replays `events` through the engine; stops at the first error, as every consumer does.
fn replay<S: EventSource>(replay: Replay<S>) {
    with_engine(|engine| {
        let mut out: Vec<Alert> = Vec::new();
        let mut seen = 0;
        let _ = replay.for_each_while(|ev, st: &State| {
            out.clear();
            engine.process(ev, st, &mut out);
            assert!(!out.is_empty() || ev.state_only(), "the every-field rule matches every event: {}", ev.name);
            seen += 1;
            seen < MAX_EVENTS
        });
        assert_eq!(engine.panics(), 0, "a field extractor panicked");
    });
}

/// A `.scap` file (plain or gzip) from memory.
pub fn run_scap(data: &[u8]) {
    if let Ok(reader) = ScapReader::from_bytes(data.to_vec()) {
        replay(Replay::from_reader(reader, limits()));
    }
}

/// A rulec JSON Lines capture from memory.
pub fn run_jsonl(data: &[u8]) {
    if let Ok(reader) = CaptureReader::from_bytes(data.to_vec()) {
        replay(Replay::from_capture_reader(reader, limits()));
    }
}
