//! `rulec capture print [-p FORMAT] FILE [FILTER]`: one line per event of a capture, like
//! `sysdig -r FILE -p FORMAT FILTER`: the format is an output format (`%field` substitutions,
//! absent values as `<NA>`), the filter a condition; both are compiled as a one-rule ruleset and
//! run by the engine over the capture replayed through the state machine, so every value is
//! what rules see. State-only events are not printed (as sysdig does not show them).

use std::io::Write;
use std::path::Path;

use rulec_runtime::Limits;
use rulec_runtime::engine::{Alert, Backend, Engine, MatchMode};

use super::{EXIT_CANNOT_RUN, EXIT_FINDINGS, EXIT_OK};

/// The format when none is given: sysdig's default line, without the direction-specific parts.
pub const DEFAULT_FORMAT: &str = "%evt.num %evt.time %evt.cpu %proc.name (%thread.tid) %evt.dir %evt.type %evt.args";

/// The filter when none is given: every event.
const EVERYTHING: &str = "evt.num > 0";

pub fn print(file: &Path, format: Option<&str>, filter: &[String]) -> i32 {
    let filter = if filter.is_empty() { EVERYTHING.to_owned() } else { filter.join(" ") };
    let format = format.unwrap_or(DEFAULT_FORMAT);
    let result = match super::filter::one_rule("filter", "capture print", &filter, format) {
        Ok(r) => r,
        Err(m) => {
            eprintln!("rulec capture print: {m}");
            return EXIT_FINDINGS;
        }
    };
    let mut engine = Engine::new(rulec_compiler::compile(&result), Backend::Jit);
    engine.set_mode(MatchMode::All);
    let replay = match rulec_runtime::capture::open_replay(file, Limits::default()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("rulec capture print: cannot read {}: {e}", file.display());
            return EXIT_CANNOT_RUN;
        }
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut alerts: Vec<Alert> = Vec::new();
    let mut closed = false;
    let result = replay.for_each_while(|ev, st| {
        engine.process(ev, st, &mut alerts);
        for a in alerts.drain(..) {
            if writeln!(out, "{}", a.message).is_err() {
                // The reader went away (`| head`): it has what it wanted.
                closed = true;
                return false;
            }
        }
        true
    });
    let _ = out.flush();
    match result {
        Ok(_) => EXIT_OK,
        Err(e) => {
            eprintln!("rulec capture print: {}: {e}", file.display());
            if closed { EXIT_OK } else { EXIT_CANNOT_RUN }
        }
    }
}
