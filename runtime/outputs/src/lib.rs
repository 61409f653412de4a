//! Delivery of alerts to where people and systems read them. An [`Outputs`] runs any number of
//! outputs at once ([`OutputConfig`]: stdout, a JSON Lines file, an HTTP(S) webhook, syslog, a
//! program), each on its own thread behind its own bounded queue ([`queue`]), so that a slow or
//! dead output never blocks the caller (the event loop) or the other outputs.
//!
//! Nothing is lost silently: every alert is either delivered or counted, per output, as dropped
//! because the queue was full, failed after the retry policy, or left in the queue at shutdown
//! ([`OutputStats`]).
//!
//! Per-rule rate limits are a [`limit::Limiter`] the caller consults before sending.
//!
//! This crate delivers lines it is given ([`Delivery`]); it does not format alerts (the CLI's
//! `alert_format` does, escaping control characters and invalid UTF-8 so that each alert stays
//! one line or one JSON document) and knows nothing of rules or events.

pub mod config;
pub mod limit;
pub mod queue;
pub mod sink;

use std::sync::Arc;
use std::time::Duration;

pub use config::{OutputConfig, OutputFormat, Retry};
pub use queue::OutputStats;

/// One alert, rendered once in each shape an output may want.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Falco's text line (`TIME: Priority OUTPUT`), one line, no newline.
    pub text: String,
    /// Falco's alert JSON document, one line, no newline.
    pub json: String,
    /// Severity as a syslog level: 0 Emergency ... 7 Debug (Falco's priority numbers).
    pub severity: u8,
    /// The event's time, RFC 3339 in UTC (`2024-06-01T14:02:11.004512330Z`), for syslog.
    pub time: String,
    /// The host the alert is about, for syslog.
    pub hostname: String,
}

/// Why the outputs could not start.
#[derive(Debug)]
pub struct OutputError {
    /// Which output (`file /var/log/rulec.jsonl`).
    pub output: String,
    pub message: String,
}

impl std::fmt::Display for OutputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "output {}: {}", self.output, self.message)
    }
}

impl std::error::Error for OutputError {}

/// The running outputs.
#[derive(Debug)]
pub struct Outputs {
    queues: Vec<queue::Queue>,
}

impl Outputs {
    /// Starts every output, or says which one cannot start (nothing is left running then).
    pub fn start(configs: &[OutputConfig]) -> Result<Outputs, OutputError> {
        let mut queues = Vec::with_capacity(configs.len());
        for c in configs {
            let sink = sink::open(c).map_err(|message| OutputError { output: c.describe(), message })?;
            queues.push(queue::Queue::start(c.describe(), c.queue_capacity(), sink));
        }
        Ok(Outputs { queues })
    }

    /// Hands the alert to every output's queue; never blocks. A full queue counts a drop.
    pub fn send(&self, alert: Delivery) {
        let alert = Arc::new(alert);
        for q in &self.queues {
            q.send(Arc::clone(&alert));
        }
    }

    /// Hands the alert to every output's queue, waiting for room: for replays, where nothing is
    /// lost by waiting (the capture waits too). An output whose worker is gone counts a drop.
    pub fn send_blocking(&self, alert: Delivery) {
        let alert = Arc::new(alert);
        for q in &self.queues {
            q.send_blocking(Arc::clone(&alert));
        }
    }

    /// Asks outputs that hold a file or a program to reopen it (log rotation: SIGUSR1).
    pub fn reopen(&self) {
        for q in &self.queues {
            q.reopen();
        }
    }

    /// What each output did so far.
    pub fn stats(&self) -> Vec<OutputStats> {
        self.queues.iter().map(queue::Queue::stats).collect()
    }

    /// Stops taking alerts, lets each output deliver what it holds for up to `grace`, and
    /// returns the final counts (what was still queued is counted as dropped at shutdown).
    pub fn shutdown(self, grace: Duration) -> Vec<OutputStats> {
        let deadline = std::time::Instant::now() + grace;
        self.queues.into_iter().map(|q| q.shutdown(deadline)).collect()
    }
}
