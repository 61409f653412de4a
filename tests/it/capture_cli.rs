//! End-to-end tests of `rulec capture`: `convert` from a `.scap` (when `../shared` has the
//! captures) and from the committed rulec capture, `info`, and the exit status and messages for
//! unreadable and malformed input (file:line for JSON Lines, the byte offset for `.scap`).

#![allow(clippy::unwrap_used)] // test code: a failure is the report

use crate::rulec;
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const FIXTURE: &str = "tests/fixtures/test_runner/curl.rcap.jsonl";

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rulec-capture-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn info_counts_events_processes_and_fds() {
    let (status, stdout, stderr) = rulec(&["capture", "info", FIXTURE]);
    assert_eq!(status, 0, "{stderr}");
    for want in [
        "format:     rulec-capture 1, written by rulec",
        "events:     40 ",
        "processes:  5 (5 threads)",
        "fds:        82",
        "users:      2",
        "events by type:",
        "       1  < execve",
    ] {
        assert!(stdout.contains(want), "want `{want}` in\n{stdout}");
    }
}

#[test]
fn converting_a_rulec_capture_again_changes_nothing_but_the_source() {
    let d = temp_dir("again");
    let out = d.join("again.rcap.jsonl");
    let (status, _, stderr) = rulec(&["capture", "convert", FIXTURE, out.to_str().unwrap()]);
    assert_eq!(status, 0, "{stderr}");
    assert!(stderr.contains("wrote 40 events"), "{stderr}");
    let a = std::fs::read_to_string(Path::new(ROOT).join(FIXTURE)).unwrap();
    let b = std::fs::read_to_string(&out).unwrap();
    // Everything after the header is the same text.
    assert_eq!(a.split_once('\n').unwrap().1, b.split_once('\n').unwrap().1);
    assert!(b.starts_with(r#"{"format":"rulec-capture","version":1,"#), "{b}");
    // To stdout too.
    let (status, stdout, _) = rulec(&["capture", "convert", FIXTURE, "-"]);
    assert_eq!(status, 0);
    assert_eq!(stdout, b);
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn convert_from_scap_then_info_agree() {
    let Some(scap) = rulec_test_support::shared("captures/libs-curl_google.scap") else { return };
    let d = temp_dir("scap");
    let out = d.join("curl.rcap.jsonl");
    let (status, _, stderr) = rulec(&["capture", "convert", scap.to_str().unwrap(), out.to_str().unwrap()]);
    assert_eq!(status, 0, "{stderr}");
    let (_, from_scap, _) = rulec(&["capture", "info", scap.to_str().unwrap()]);
    let (_, from_jsonl, _) = rulec(&["capture", "info", out.to_str().unwrap()]);
    assert!(from_scap.contains("format:     scap 1."), "{from_scap}");
    assert!(from_scap.contains("events:     1536 "), "{from_scap}");
    // Same counts, whichever file they come from (the first lines name the file and format).
    let body = |s: &str| s.lines().skip(2).collect::<Vec<_>>().join("\n");
    assert_eq!(body(&from_scap), body(&from_jsonl));
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn bad_input_exits_2_with_the_place() {
    let d = temp_dir("bad");
    let bad = d.join("bad.rcap.jsonl");
    std::fs::write(
        &bad,
        "{\"format\":\"rulec-capture\",\"version\":1}\n{\"ts\":1,\"tid\":2,\"event\":\"opne\",\"dir\":\"<\"}\n",
    )
    .unwrap();
    let bad = bad.to_str().unwrap();
    let out = d.join("out.rcap.jsonl");
    let (status, _, stderr) = rulec(&["capture", "info", bad]);
    assert_eq!(status, 2);
    assert_eq!(stderr, format!("rulec: {bad}:2: unknown event \"opne\"\n"));
    let (status, _, stderr) = rulec(&["capture", "convert", bad, out.to_str().unwrap()]);
    assert_eq!(status, 2);
    assert!(stderr.contains(":2: unknown event"), "{stderr}");
    assert!(!out.exists(), "a failed conversion leaves no output");

    // A .scap that is not one: the byte offset.
    let junk = d.join("junk.scap");
    std::fs::write(&junk, b"\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b").unwrap();
    let (status, _, stderr) = rulec(&["capture", "info", junk.to_str().unwrap()]);
    assert_eq!(status, 2);
    assert!(stderr.starts_with("rulec: ") && stderr.contains(": scap: at byte "), "{stderr}");

    let (status, _, stderr) = rulec(&["capture", "info", "no/such/file.scap"]);
    assert_eq!(status, 2);
    assert!(stderr.starts_with("rulec: cannot open no/such/file.scap"), "{stderr}");
    // Converting onto the input is refused before anything is truncated.
    let (status, _, stderr) = rulec(&["capture", "convert", bad, bad]);
    assert_eq!(status, 2);
    assert!(stderr.contains("the output is the input"), "{stderr}");
    std::fs::remove_dir_all(&d).unwrap();
}

/// `rulec capture repeat`: the output reads back with N times the events, and bad input is an
/// error that leaves no output.
#[test]
fn repeat_plays_the_events_n_times() {
    let Some(capture) = rulec_test_support::shared("captures/libs-curl_google.scap") else { return };
    let d = temp_dir("repeat");
    let out = d.join("big.scap");
    let (status, _, stderr) =
        rulec(&["capture", "repeat", capture.to_str().unwrap(), out.to_str().unwrap(), "--times", "4"]);
    assert_eq!(status, 0, "{stderr}");
    assert!(stderr.contains("6144 events: 4 × 1536"), "{stderr}");
    let (status, stdout, stderr) = rulec(&["capture", "info", out.to_str().unwrap()]);
    assert_eq!(status, 0, "{stderr}");
    assert!(stdout.contains("events:     6144 "), "{stdout}");
    let bad = d.join("bad.scap");
    let (status, _, stderr) = rulec(&["capture", "repeat", "Cargo.toml", bad.to_str().unwrap(), "--times", "2"]);
    assert_eq!(status, 2, "{stderr}");
    assert!(stderr.contains("Cargo.toml: scap: at byte"), "{stderr}");
    assert!(!bad.exists());
    std::fs::remove_dir_all(&d).ok();
}
