//! What an output is: where alerts go ([`Target`]), in which shape ([`OutputFormat`]), how many
//! may wait in its queue, and for the webhook the retry policy ([`Retry`]). Built by the CLI from
//! flags or the configuration file; this crate does not parse either.

use std::path::PathBuf;
use std::time::Duration;

/// One output.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputConfig {
    pub target: Target,
    pub format: OutputFormat,
    /// Alerts that may wait for this output; past that, new alerts are dropped and counted.
    pub queue_capacity: usize,
}

/// Where alerts go.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// The process's standard output, one alert per line.
    Stdout,
    /// A file, appended to, one alert per line; reopened on request (log rotation).
    File { path: PathBuf },
    /// An HTTP(S) POST per alert.
    Webhook(Webhook),
    /// RFC 5424 messages to a local syslog socket (a Unix datagram socket, `/dev/log`).
    Syslog { socket: PathBuf },
    /// A command run by `/bin/sh -c`, one alert per line on its standard input; started again
    /// when it exits, and on request.
    Program { command: String },
}

/// An HTTP(S) endpoint. The body is the alert alone (Falco's JSON document in JSON format),
/// which is what Falcosidekick's main handler accepts.
#[derive(Debug, Clone, PartialEq)]
pub struct Webhook {
    pub url: String,
    /// Extra request headers (`Authorization`, ...).
    pub headers: Vec<(String, String)>,
    /// Whole-request timeout (connect, send, answer).
    pub timeout: Duration,
    pub retry: Retry,
    /// PEM file of the certificate authorities to trust instead of the system's.
    pub ca_cert: Option<PathBuf>,
    /// Accept any server certificate (tests, labs). Never the default.
    pub insecure: bool,
}

/// How often and how patiently a failed delivery is tried again: `attempts` tries in all, waiting
/// `initial_backoff` after the first failure, doubling up to `max_backoff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    pub attempts: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for Retry {
    fn default() -> Retry {
        Retry { attempts: 4, initial_backoff: Duration::from_millis(200), max_backoff: Duration::from_secs(5) }
    }
}

impl Retry {
    /// The wait after failed try number `n` (1-based).
    pub fn backoff(&self, n: u32) -> Duration {
        let factor = 1u32.checked_shl(n.saturating_sub(1)).unwrap_or(u32::MAX);
        self.initial_backoff.saturating_mul(factor).min(self.max_backoff)
    }
}

/// The shape of each alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// Falco's text line.
    Text,
    /// Falco's alert JSON document.
    Json,
}

/// Alerts that may wait in an output's queue unless configured otherwise.
pub const DEFAULT_QUEUE_CAPACITY: usize = 10_000;

impl OutputConfig {
    /// An output with the default queue.
    pub fn new(target: Target, format: OutputFormat) -> OutputConfig {
        OutputConfig { target, format, queue_capacity: DEFAULT_QUEUE_CAPACITY }
    }

    /// How reports name this output: `stdout`, `file PATH`, `webhook URL`, ...
    pub fn describe(&self) -> String {
        match &self.target {
            Target::Stdout => "stdout".to_string(),
            Target::File { path } => format!("file {}", path.display()),
            Target::Webhook(w) => format!("webhook {}", w.url),
            Target::Syslog { socket } => format!("syslog {}", socket.display()),
            Target::Program { command } => format!("program `{command}`"),
        }
    }

    pub(crate) fn queue_capacity(&self) -> usize {
        self.queue_capacity.max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_and_never_overflows() {
        let r = Retry { attempts: 9, initial_backoff: Duration::from_millis(100), max_backoff: Duration::from_secs(1) };
        let waits: Vec<u128> = (1..=6).map(|n| r.backoff(n).as_millis()).collect();
        assert_eq!(waits, [100, 200, 400, 800, 1000, 1000]);
        assert_eq!(r.backoff(200), Duration::from_secs(1));
    }
}
