//! The webhook output against a real HTTP receiver on 127.0.0.1: the payload's shape and headers;
//! a receiver that answers 500 (retried, then counted as failed); one that is down; one that is
//! slow (timeouts); and a queue that fills while the receiver hangs (the sender never blocks,
//! the overflow is counted).

use std::time::{Duration, Instant};

use rulec_test_support::http::{Receiver, dead_url};

use rulec_outputs::config::{Target, Webhook};
use rulec_outputs::{OutputConfig, OutputFormat, Outputs, Retry};

use crate::support::{alert, eventually};

fn webhook(url: &str, timeout_ms: u64, attempts: u32) -> OutputConfig {
    OutputConfig::new(
        Target::Webhook(Webhook {
            url: url.to_string(),
            headers: vec![("Authorization".into(), "Bearer t0ken".into())],
            timeout: Duration::from_millis(timeout_ms),
            retry: Retry {
                attempts,
                initial_backoff: Duration::from_millis(20),
                max_backoff: Duration::from_millis(100),
            },
            ca_cert: None,
            insecure: false,
        }),
        OutputFormat::Json,
    )
}

#[test]
fn posts_falco_alert_json_with_the_headers() {
    let rx = Receiver::start(200, Duration::ZERO);
    let outs = Outputs::start(&[webhook(&rx.url, 2000, 3)]).expect("starts");
    for n in 0..3 {
        outs.send(alert(n));
    }
    let stats = outs.shutdown(Duration::from_secs(10));
    assert_eq!((stats[0].delivered, stats[0].lost(), stats[0].retries), (3, 0, 0), "{stats:?}");
    let reqs = rx.requests();
    assert_eq!(reqs.len(), 3);
    for (n, r) in reqs.iter().enumerate() {
        assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/alerts"));
        let header = |k: &str| r.headers.iter().find(|(h, _)| h == k).map(|(_, v)| v.as_str());
        assert_eq!(header("content-type"), Some("application/json"));
        assert_eq!(header("authorization"), Some("Bearer t0ken"));
        // What Falcosidekick's handler requires: a known priority, a rule, a time and
        // non-empty output_fields; the body is the document alone, with no newline.
        let doc: serde_json::Value = serde_json::from_str(&r.body).expect("JSON body");
        assert_eq!(doc["priority"], "Warning");
        assert_eq!(doc["rule"], "Test rule");
        assert!(doc["time"].as_str().is_some_and(|t| t.ends_with('Z')));
        assert!(doc["output_fields"].as_object().is_some_and(|o| !o.is_empty()));
        assert!(doc["output"].as_str().is_some_and(|o| o.ends_with(&format!("n={n}"))), "in order");
        assert!(!r.body.ends_with('\n'));
    }
}

#[test]
fn a_failing_receiver_is_retried_then_counted_as_failed() {
    let rx = Receiver::start(500, Duration::ZERO);
    let outs = Outputs::start(&[webhook(&rx.url, 2000, 3)]).expect("starts");
    outs.send(alert(1));
    outs.send(alert(2));
    let stats = outs.shutdown(Duration::from_secs(10));
    let s = &stats[0];
    assert_eq!((s.delivered, s.failed, s.retries), (0, 2, 4), "3 tries each: {s:?}");
    assert_eq!(rx.requests().len(), 6);
    assert!(s.last_error.as_deref().is_some_and(|e| e.contains("HTTP 500") && e.contains("3 tries")), "{s:?}");
}

#[test]
fn a_client_error_is_not_retried() {
    let rx = Receiver::start(400, Duration::ZERO);
    let outs = Outputs::start(&[webhook(&rx.url, 2000, 3)]).expect("starts");
    outs.send(alert(1));
    let stats = outs.shutdown(Duration::from_secs(10));
    assert_eq!((stats[0].failed, stats[0].retries), (1, 0), "{stats:?}");
    assert_eq!(rx.requests().len(), 1);
}

#[test]
fn a_receiver_that_is_down_costs_the_sender_nothing_and_is_counted() {
    let outs = Outputs::start(&[webhook(&dead_url(), 500, 2)]).expect("starts");
    let started = Instant::now();
    for n in 0..20 {
        outs.send(alert(n));
    }
    assert!(started.elapsed() < Duration::from_millis(100), "send never waits for the output");
    let stats = outs.shutdown(Duration::from_secs(10));
    let s = &stats[0];
    assert_eq!((s.accepted, s.delivered, s.failed), (20, 0, 20), "{s:?}");
    assert!(s.last_error.as_deref().is_some_and(|e| e.contains("cannot POST")), "{s:?}");
}

#[test]
fn a_slow_receiver_times_out_and_a_full_queue_drops_and_counts() {
    let rx = Receiver::start(200, Duration::from_secs(3));
    let mut cfg = webhook(&rx.url, 200, 1);
    cfg.queue_capacity = 4;
    let outs = Outputs::start(&[cfg]).expect("starts");
    let started = Instant::now();
    for n in 0..50 {
        outs.send(alert(n));
    }
    assert!(started.elapsed() < Duration::from_millis(100), "send never waits for the output");
    assert!(eventually(10, || outs.stats()[0].failed >= 1), "the first alert times out");
    let stats = outs.shutdown(Duration::from_millis(300));
    let s = &stats[0];
    assert!(s.dropped_queue_full >= 40, "the queue holds 4 (plus one in delivery): {s:?}");
    assert_eq!(s.accepted + s.dropped_queue_full, 50);
    assert_eq!(s.delivered + s.lost(), 50, "every alert delivered or counted: {s:?}");
    assert!(s.last_error.as_deref().is_some_and(|e| e.contains("cannot POST")), "{s:?}");
}
