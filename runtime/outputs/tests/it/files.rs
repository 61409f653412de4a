//! The file output: appends one line per alert, refuses a path it cannot open at start, and
//! follows a rotation when asked to reopen.

use std::time::Duration;

use rulec_outputs::config::Target;
use rulec_outputs::{OutputConfig, OutputFormat, Outputs};

use crate::support::{alert, eventually, temp_dir};

fn lines(p: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(p).unwrap_or_default().lines().map(str::to_string).collect()
}

#[test]
fn appends_json_lines_and_counts_them() {
    let dir = temp_dir("file");
    let path = dir.join("alerts.jsonl");
    std::fs::write(&path, "earlier line\n").expect("seed");
    let outs =
        Outputs::start(&[OutputConfig::new(Target::File { path: path.clone() }, OutputFormat::Json)]).expect("starts");
    for n in 0..5 {
        outs.send(alert(n));
    }
    let stats = outs.shutdown(Duration::from_secs(5));
    assert_eq!((stats[0].accepted, stats[0].delivered, stats[0].lost()), (5, 5, 0), "{stats:?}");
    let got = lines(&path);
    assert_eq!(got.len(), 6, "appended, not truncated: {got:?}");
    for l in &got[1..] {
        let doc: serde_json::Value = serde_json::from_str(l).expect("each line is one JSON document");
        assert_eq!(doc["rule"], "Test rule");
    }
}

#[test]
fn an_unopenable_file_stops_the_start_with_its_path() {
    let dir = temp_dir("file-bad");
    let path = dir.join("no-such-dir").join("alerts.jsonl");
    let err = Outputs::start(&[OutputConfig::new(Target::File { path: path.clone() }, OutputFormat::Json)])
        .expect_err("cannot start");
    let msg = err.to_string();
    assert!(msg.contains("alerts.jsonl") && msg.contains("cannot open"), "{msg}");
}

#[test]
fn reopen_follows_a_rotation() {
    let dir = temp_dir("file-rotate");
    let path = dir.join("alerts.log");
    let rotated = dir.join("alerts.log.1");
    let outs =
        Outputs::start(&[OutputConfig::new(Target::File { path: path.clone() }, OutputFormat::Text)]).expect("starts");
    outs.send(alert(1));
    assert!(eventually(5, || lines(&path).len() == 1));
    std::fs::rename(&path, &rotated).expect("rotate");
    outs.reopen();
    outs.send(alert(2));
    let stats = outs.shutdown(Duration::from_secs(5));
    assert_eq!(stats[0].delivered, 2, "{stats:?}");
    assert_eq!(lines(&rotated), ["12:00:00.000000000: Warning n=1"]);
    assert_eq!(lines(&path), ["12:00:00.000000000: Warning n=2"], "the new file gets the alerts after the reopen");
}
