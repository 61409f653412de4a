//! The table `rulec bench --capture` prints: each contender's matches, whole run, evaluation
//! share per event and peak memory, then the ratios that matter (rulec's whole run against
//! sysdig reading the file, the filter's share against sysdig's, the JIT against the
//! interpreter). Formatting only: the figures come from [`super::bench_capture`].

use super::bench::group;
use super::bench_capture::{CaptureMeasurement, Head, SysdigMeasurement};

/// The smallest part of sysdig's whole run its filter share (a difference of two timed runs) must
/// be for a ratio to it to mean something.
const SHARE_RESOLUTION: f64 = 0.05;

pub(super) fn render(
    head: &Head<'_>,
    rulec: &[CaptureMeasurement],
    sysdig: Option<&SysdigMeasurement>,
    missing: Option<&str>,
) -> String {
    let events = rulec.first().map_or(0, |m| m.events);
    let played = if head.times == 1 { String::new() } else { format!(" played {} times", head.times) };
    let mut out = format!(
        "rulec bench: {}{played} ({} events), fastest of {} runs\n{}\n\n",
        head.capture,
        group(events as u64),
        head.repeat,
        head.what
    );
    out.push_str(&format!(
        "{:<32} {:>9} {:>13} {:>15} {:>14} {:>10}\n",
        "", "matches", "whole run ms", "whole ns/event", "eval ns/event", "peak RSS"
    ));
    let per = |ns: u64| ns as f64 / events.max(1) as f64;
    for m in rulec {
        out.push_str(&format!(
            "{:<32} {:>9} {:>13.1} {:>15.1} {:>14.1} {:>6} MiB\n",
            m.kind.label(),
            m.matches,
            m.whole_ns as f64 / 1e6,
            per(m.whole_ns),
            m.eval_ns_per_event,
            m.peak_rss_kib / 1024
        ));
    }
    let jit = rulec.first();
    match (sysdig, missing) {
        (Some(s), _) => {
            let rss = format!("{:>6} MiB", s.peak_rss_kib / 1024);
            let share = s.whole_ns.map(|w| w.saturating_sub(s.baseline_ns));
            if let (Some(whole), Some(share)) = (s.whole_ns, share) {
                out.push_str(&format!(
                    "{:<32} {:>9} {:>13.1} {:>15.1} {:>13.1}* {rss}\n",
                    format!("sysdig {} -r, the filter", s.version),
                    s.matches.unwrap_or(0),
                    whole as f64 / 1e6,
                    per(whole),
                    per(share)
                ));
            }
            out.push_str(&format!(
                "{:<32} {:>9} {:>13.1} {:>15.1} {:>14} {rss}\n",
                format!("sysdig {} -r, evt.num=0", s.version),
                0,
                s.baseline_ns as f64 / 1e6,
                per(s.baseline_ns),
                "-"
            ));
            if share.is_some() {
                out.push_str("\n* sysdig's whole run with the filter minus its run with `evt.num=0`\n");
            } else {
                out.push('\n');
            }
            if let Some(jit) = jit {
                out.push_str(&format!(
                    "rulec JIT whole run: {:.2}x the time sysdig takes to read the file (filter `evt.num=0`)\n",
                    jit.whole_ns as f64 / s.baseline_ns.max(1) as f64
                ));
                if let (Some(whole), Some(share)) = (s.whole_ns, share) {
                    // The share is the difference of two timed runs: when it is a small part of
                    // the run it is mostly noise, and a ratio to it would say nothing.
                    let line = if share as f64 >= SHARE_RESOLUTION * whole as f64 && share > 0 {
                        format!("{:.2}x sysdig's share", jit.eval_ns_per_event / per(share))
                    } else {
                        format!(
                            "not compared (sysdig's share is under {:.0}% of its run, within its noise)",
                            SHARE_RESOLUTION * 100.0
                        )
                    };
                    out.push_str(&format!(
                        "rulec JIT with the filter: whole run {:.2}x sysdig's with it; filter {line}\n",
                        jit.whole_ns as f64 / whole.max(1) as f64
                    ));
                }
                if let Some(m) = s.matches.filter(|m| *m != jit.matches) {
                    out.push_str(&format!(
                        "note: rulec accepted {} events, sysdig {m} (see `rulec bench --help`)\n",
                        jit.matches
                    ));
                }
            }
        }
        (None, Some(why)) => out.push_str(&format!("\nsysdig: not measured ({why})\n")),
        (None, None) => out.push('\n'),
    }
    if let [jit, interp] = rulec {
        out.push_str(&format!(
            "JIT vs interpreter, evaluation: {:.2}x faster\n",
            interp.eval_ns_per_event / jit.eval_ns_per_event.max(0.001)
        ));
    }
    out
}
