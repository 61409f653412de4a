//! The upstream Falco rules files load with no error and no warning, alone and together.
#![allow(clippy::unwrap_used)] // test inputs are fixed

use std::time::Instant;

use rulec_compiler::load::load;
use rulec_compiler::{FileId, SourceFile};

const FILES: [&str; 3] = ["falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"];

fn read(names: &[&str]) -> Option<Vec<SourceFile>> {
    let mut out = Vec::new();
    for (i, n) in names.iter().enumerate() {
        let path = rulec_test_support::shared(&format!("conformance/falco/{n}"))?;
        let text = std::fs::read_to_string(&path).unwrap();
        out.push(SourceFile::new(FileId(i as u32), *n, text));
    }
    Some(out)
}

#[test]
fn each_file_alone() {
    let expected = [(25, 87, 49), (31, 82, 54), (37, 183, 60)];
    for (name, (rules, macros, lists)) in FILES.iter().zip(expected) {
        let Some(files) = read(&[name]) else { return };
        let (l, d) = load(&files);
        assert!(d.is_empty(), "{name}: {d:#?}");
        assert_eq!((l.rules.len(), l.macros.len(), l.lists.len()), (rules, macros, lists), "{name}");
        assert_eq!(l.engine_version.as_ref().map(|v| v.value), Some((0, 57, 0)));
        assert_eq!(l.plugin_versions.len(), 1);
        assert_eq!(l.plugin_versions[0].name.value, "container");
    }
}

#[test]
fn all_together_fast() {
    let Some(files) = read(&FILES) else { return };
    // The best of a few runs, so a busy machine does not decide.
    let mut took = std::time::Duration::MAX;
    let (mut l, mut d) = load(&files);
    for _ in 0..5 {
        let t = Instant::now();
        (l, d) = load(&files);
        took = took.min(t.elapsed());
    }
    assert!(d.is_empty(), "{d:#?}");
    assert_eq!(l.rules.len(), 25 + 31 + 37);
    assert!(l.rules.iter().filter(|r| !r.enabled).count() >= 12);
    // Every condition maps back into its file: its first char is where the map says.
    for r in &l.rules {
        let (f, off) = r.condition.offset(0);
        let first = r.condition.as_str().chars().next().unwrap();
        assert!(files[f.0 as usize].text[off..].starts_with(first), "{}", r.name);
    }
    eprintln!("loaded 3 files in {took:?}");
    // Generous for debug builds on a busy machine; release takes a few ms.
    assert!(took.as_millis() < 2000, "{took:?}");
}
