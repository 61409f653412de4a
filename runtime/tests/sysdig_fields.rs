//! Differential test of field extraction against sysdig: the fixtures in
//! `tests/fixtures/sysdig/*.tsv` were recorded with Debian's sysdig 0.29.3 (built on Falco's
//! libsinsp, libs e5c53d64) as `sysdig -r CAPTURE -p '*%evt.num\t%evt.type\t...' 'FILTER'`
//! under TZ=UTC (the header line of each file lists the fields). This test replays the same
//! capture through [`rulec_runtime::replay`], extracts the same fields for the same events (by
//! event number) and counts agreements per field. It does not call sysdig.
//!
//! Fields where rulec deliberately differs from that old libsinsp (see the report printed with
//! `--nocapture`) are only reported; the fields in `MUST_AGREE` must agree on every event.

use std::collections::BTreeMap;
use std::path::Path;

use rulec_compiler::check::hir::FieldArgValue;
use rulec_compiler::schema::schema;
use rulec_runtime::fields::extract;
use rulec_runtime::replay;

/// Fields that must agree on every recorded event.
const MUST_AGREE: &[&str] = &["evt.type", "evt.dir", "evt.failed", "evt.res", "evt.rawres", "evt.is_open_read"];

fn render(field: &str, ev: &rulec_runtime::Event, st: &rulec_runtime::State) -> String {
    let (name, arg) = match field.split_once('[') {
        Some((n, a)) => (n, Some(FieldArgValue::Key(a.trim_end_matches(']').to_string()))),
        None => (field, None),
    };
    let Some((f, dot)) = schema().resolve_field(name) else { return "<unknown field>".into() };
    let arg = arg.or(dot.map(FieldArgValue::Key));
    let Some(f) = schema().field(f.name) else { return "<unknown field>".into() };
    extract(f, arg.as_ref(), ev, st).map_or_else(|| "<NA>".to_string(), |v| v.to_string())
}

#[test]
fn fields_agree_with_sysdig() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sysdig");
    let captures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/captures");
    if !captures.is_dir() {
        eprintln!("skipping: no {}", captures.display());
        return;
    }
    let Ok(dir) = std::fs::read_dir(&fixtures) else {
        eprintln!("skipping: no fixtures");
        return;
    };
    let mut files: Vec<_> = dir.filter_map(Result::ok).map(|e| e.path()).collect();
    files.sort();
    // field → (agree, total, first few disagreements)
    let mut tally: BTreeMap<String, (usize, usize, Vec<String>)> = BTreeMap::new();
    let mut field_order: Vec<String> = Vec::new();
    let mut unaligned_total = 0usize;
    for fx in files {
        let Ok(text) = std::fs::read_to_string(&fx) else { continue };
        let mut lines = text.lines();
        let Some(header) = lines.next() else { continue };
        let fields: Vec<String> = header
            .split("fields: ")
            .nth(1)
            .unwrap_or("")
            .split_whitespace()
            .map(str::to_string)
            .collect();
        if field_order.is_empty() {
            field_order = fields.clone();
        }
        // evt.num → recorded values.
        let mut expected: BTreeMap<u64, Vec<String>> = BTreeMap::new();
        for line in lines {
            let cols: Vec<&str> = line.split('\t').collect();
            if let Some(Ok(num)) = cols.first().map(|c| c.parse::<u64>()) {
                expected.insert(num, cols.iter().map(|c| c.to_string()).collect());
            }
        }
        if expected.is_empty() {
            continue;
        }
        let stem = fx.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        let cap = captures.join(format!("{stem}.scap"));
        let Ok(rep) = replay(&cap) else {
            eprintln!("skipping {}: cannot open", cap.display());
            continue;
        };
        let mut n = 0u64;
        let unaligned = &mut unaligned_total;
        let _ = rep.for_each(|ev, st| {
            n += 1;
            let Some(want) = expected.get(&n) else { return };
            // Event numbers drift where sysdig 0.29.3 and rulec's reader count meta-events
            // differently (user/group records in libs-sample): compare aligned events only.
            if want.get(1).map(String::as_str) != Some(ev.name) || want.get(2).map(String::as_str) != Some(ev.dir.as_str()) {
                *unaligned += 1;
                return;
            }
            for (i, field) in fields.iter().enumerate().skip(1) {
                let exp = want.get(i).cloned().unwrap_or_default();
                let got = render(field, ev, st);
                let e = tally.entry(field.clone()).or_default();
                e.1 += 1;
                if got == exp {
                    e.0 += 1;
                } else if e.2.len() < 4 {
                    e.2.push(format!("{stem}#{n} {}{}: sysdig `{exp}` rulec `{got}`", ev.dir.as_str(), ev.name));
                }
            }
        });
    }
    if tally.is_empty() {
        eprintln!("skipping: no recorded events matched");
        return;
    }
    eprintln!("field agreement with sysdig 0.29.3 (agree/total; {unaligned_total} recorded events not aligned, skipped):");
    for f in field_order.iter().skip(1) {
        if let Some((ok, total, bad)) = tally.get(f) {
            eprintln!("  {f:<18} {ok:>5}/{total:<5} {}", bad.join(" | "));
        }
    }
    for f in MUST_AGREE {
        if let Some((ok, total, bad)) = tally.get(*f) {
            assert_eq!(ok, total, "{f} disagrees with sysdig: {bad:?}");
        }
    }
}
