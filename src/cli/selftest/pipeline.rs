//! How `rulec selftest` sees the alerts of its actions: from a `rulec run` it starts (its JSON
//! stdout), from the output file of one already running (followed like `tail -f`), or from the
//! alert counters of a running one's /metrics endpoint (a rule's count going up is its detection;
//! counters cannot tell the selftest's alert from another of the same rule, so the marker is not
//! checked there).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command as Process, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::actions::Marker;

/// The `rulec run` under test and how its alerts are seen.
pub(super) enum Pipeline {
    /// Alerts as JSON documents: from our own `rulec run` (then `child`) or a followed file.
    Alerts { child: Option<Child>, alerts: mpsc::Receiver<serde_json::Value>, seen: Vec<serde_json::Value> },
    /// The alert counters of a running `rulec run`'s metrics endpoint, and the count of the rule
    /// under check before its action.
    Metrics { url: String, agent: ureq::Agent, baseline: f64 },
}

impl Pipeline {
    pub(super) fn start(disable: &[String]) -> Result<Pipeline, String> {
        let exe = std::env::current_exe().map_err(|e| format!("cannot find the rulec executable: {e}"))?;
        let mut cmd = Process::new(exe);
        cmd.args(["run", "-o", "json", "--all-matches"]);
        for d in disable {
            cmd.arg("--disable").arg(d);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start rulec run: {e}"))?;
        let stdout = child.stdout.take().ok_or("rulec run has no stdout")?;
        let stderr = child.stderr.take().ok_or("rulec run has no stderr")?;
        let (tx, alerts) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str(&line)
                    && tx.send(v).is_err()
                {
                    break;
                }
            }
        });
        let (ready_tx, ready) = mpsc::channel();
        std::thread::spawn(move || {
            let mut log = Vec::new();
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("watching the host") {
                    let _ = ready_tx.send(Ok(()));
                }
                log.push(line);
            }
            let _ = ready_tx.send(Err(log.join("\n")));
        });
        match ready.recv_timeout(Duration::from_secs(60)) {
            Ok(Ok(())) => Ok(Pipeline::Alerts { child: Some(child), alerts, seen: Vec::new() }),
            Ok(Err(log)) => Err(format!("rulec run did not start:\n{log}")),
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                Err("rulec run did not start watching within 60 s".into())
            }
        }
    }

    /// Follows the alerts a running `rulec run` appends to `path` from now on.
    pub(super) fn follow(path: &Path) -> Result<Pipeline, String> {
        use std::io::{Seek, SeekFrom};
        let mut file = std::fs::File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        file.seek(SeekFrom::End(0)).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let (tx, alerts) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(file);
            // A line still being written stays in `line` until its newline arrives.
            let mut line = String::new();
            loop {
                match reader.read_line(&mut line) {
                    Ok(0) => std::thread::sleep(Duration::from_millis(50)),
                    Ok(_) if line.ends_with('\n') => {
                        let parsed = serde_json::from_str(line.trim_end());
                        line.clear();
                        if let Ok(v) = parsed
                            && tx.send(v).is_err()
                        {
                            return;
                        }
                    }
                    Ok(_) => {}
                    Err(_) => return,
                }
            }
        });
        Ok(Pipeline::Alerts { child: None, alerts, seen: Vec::new() })
    }

    /// Reads the alert counters at `url` (a running `rulec run --metrics-address`).
    pub(super) fn scrape(url: &str) -> Result<Pipeline, String> {
        let agent: ureq::Agent =
            ureq::Agent::config_builder().timeout_global(Some(Duration::from_secs(5))).build().into();
        let p = Pipeline::Metrics { url: url.to_string(), agent, baseline: 0.0 };
        let text = p.metrics()?;
        if !text.contains("rulec_info{") {
            return Err(format!("{url} does not serve rulec's metrics (no rulec_info sample)"));
        }
        Ok(p)
    }

    /// The metrics text (Metrics only).
    fn metrics(&self) -> Result<String, String> {
        let Pipeline::Metrics { url, agent, .. } = self else { return Ok(String::new()) };
        let mut response = agent.get(url.as_str()).call().map_err(|e| format!("cannot read {url}: {e}"))?;
        response.body_mut().read_to_string().map_err(|e| format!("cannot read {url}: {e}"))
    }

    /// Called before a check's action: remembers its rule's alert count (Metrics).
    pub(super) fn before(&mut self, rule: &str) -> Result<(), String> {
        if let Pipeline::Metrics { .. } = self {
            let count = alert_count(&self.metrics()?, rule);
            if let Pipeline::Metrics { baseline, .. } = self {
                *baseline = count;
            }
        }
        Ok(())
    }

    /// Waits for an alert of `rule` whose `marker.field` contains the marker's text (or, from
    /// metrics, for the rule's count to go up).
    pub(super) fn wait_for(&mut self, rule: &str, m: &Marker, timeout: Duration) -> Result<(), String> {
        let end = Instant::now() + timeout;
        let (alerts, seen) = match self {
            Pipeline::Alerts { alerts, seen, .. } => (alerts, seen),
            Pipeline::Metrics { baseline, .. } => {
                let baseline = *baseline;
                loop {
                    let count = alert_count(&self.metrics()?, rule);
                    if count > baseline {
                        return Ok(());
                    }
                    if Instant::now() >= end {
                        return Err(format!("the `{rule}` alert count stayed at {baseline} for {timeout:?}"));
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        };
        let matches = |a: &serde_json::Value| {
            a["rule"] == rule
                && a["output_fields"][m.field]
                    .as_str()
                    .map(str::to_string)
                    .or_else(|| a["output_fields"][m.field].as_i64().map(|n| n.to_string()))
                    .is_some_and(|v| v.contains(&m.contains))
        };
        if seen.iter().any(matches) {
            return Ok(());
        }
        while let Some(left) = end.checked_duration_since(Instant::now()) {
            match alerts.recv_timeout(left) {
                Ok(a) => {
                    let hit = matches(&a);
                    seen.push(a);
                    if hit {
                        return Ok(());
                    }
                }
                Err(_) => break,
            }
        }
        Err(format!("no `{rule}` alert with {} containing {:?} within {timeout:?}", m.field, m.contains))
    }

    pub(super) fn stop(self) {
        if let Pipeline::Alerts { child: Some(mut child), .. } = self {
            // SAFETY: signalling our own child, not yet reaped.
            unsafe {
                libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
            }
            let _ = child.wait();
        }
    }
}

/// The number of alerts of `rule` in OpenMetrics text: the sum of the `rulec_alerts_total` samples
/// whose `rule` label is `rule` (one per priority).
pub(super) fn alert_count(metrics: &str, rule: &str) -> f64 {
    metrics
        .lines()
        .filter_map(|l| l.strip_prefix("rulec_alerts_total{"))
        .filter(|labels| label(labels, "rule").as_deref() == Some(rule))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// The unescaped value of label `name` in a sample's label text (`a="x",b="y\"z"} 1`).
fn label(labels: &str, name: &str) -> Option<String> {
    let mut rest = labels;
    loop {
        let (key, after) = rest.split_once("=\"")?;
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next()? {
                (i, '"') => break i,
                (_, '\\') => match chars.next()?.1 {
                    'n' => value.push('\n'),
                    c => value.push(c),
                },
                (_, c) => value.push(c),
            }
        };
        if key.trim_start_matches(',') == name {
            return Some(value);
        }
        rest = &after[end + 1..];
    }
}

#[cfg(test)]
mod tests {
    use super::alert_count;

    #[test]
    fn alert_counts_are_summed_over_priorities_and_labels_unescaped() {
        let text = "# TYPE rulec_alerts counter\n\
            rulec_alerts_total{rule=\"Shell history deleted\",priority=\"Warning\"} 2\n\
            rulec_alerts_total{rule=\"Shell history deleted\",priority=\"Error\"} 1\n\
            rulec_alerts_total{rule=\"A \\\"quoted\\\" rule\",priority=\"Notice\"} 4\n\
            rulec_alerts_total{rule=\"Shell history deleted too\",priority=\"Notice\"} 9\n\
            rulec_events_total{type=\"openat\"} 7\n# EOF\n";
        assert_eq!(alert_count(text, "Shell history deleted"), 3.0);
        assert_eq!(alert_count(text, "A \"quoted\" rule"), 4.0);
        assert_eq!(alert_count(text, "Missing"), 0.0);
        assert_eq!(alert_count("rulec_alerts_total{rule=\"cut", "cut"), 0.0);
    }
}
