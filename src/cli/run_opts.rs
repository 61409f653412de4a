//! `rulec run`'s operator options beside the pipeline's: where alerts go (outputs), which rules
//! run (selection by name, tag and minimum priority) and how many alerts a rule may raise (a
//! token bucket per rule), and [`AlertSink`], which applies the rate limit, renders each alert
//! once and hands it to every output ([`rulec_outputs`]).

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use rulec_compiler::ir::meta::Priority;
use rulec_compiler::ir::select::{Item, Matcher, Selection};
use rulec_outputs::config::{Target, Webhook};
use rulec_outputs::limit::{Limit, Limiter};
use rulec_outputs::{OutputConfig, OutputFormat, OutputStats, Outputs, Retry};
use rulec_runtime::engine::Alert;

use crate::alert_format;

#[derive(Args, Debug, Default, Clone)]
pub struct OperatorArgs {
    /// Do not print alerts on stdout (when other outputs take them).
    #[arg(long)]
    pub no_stdout: bool,
    /// Also append alerts to this file, one JSON document per line; SIGUSR1 reopens it (log
    /// rotation).
    #[arg(long, value_name = "PATH")]
    pub output_file: Option<PathBuf>,
    /// Also POST each alert's JSON to this URL (http or https), e.g. Falcosidekick's
    /// `http://HOST:2801/`.
    #[arg(long, value_name = "URL")]
    pub webhook: Option<String>,
    /// Accept any certificate from the webhook's server (labs only; never the default).
    #[arg(long)]
    pub webhook_insecure: bool,
    /// A header for --webhook, `Name: value` (repeatable).
    #[arg(long, value_name = "HEADER", requires = "webhook")]
    pub webhook_header: Vec<String>,
    /// Seconds before a webhook request is abandoned (then retried) [default: 5].
    #[arg(long, value_name = "S")]
    pub webhook_timeout: Option<f64>,
    /// Tries per alert before the webhook gives it up (counted as failed) [default: 4].
    #[arg(long, value_name = "N")]
    pub webhook_attempts: Option<u32>,
    /// PEM file of the certificate authorities the webhook trusts instead of the system's.
    #[arg(long, value_name = "FILE")]
    pub webhook_ca_cert: Option<PathBuf>,
    /// Also send alerts to syslog (RFC 5424, facility user) at this Unix socket.
    #[arg(long, value_name = "SOCKET", num_args = 0..=1, default_missing_value = "/dev/log")]
    pub syslog: Option<PathBuf>,
    /// Also pipe alerts (JSON, one per line) to this shell command, restarted when it exits.
    #[arg(long, value_name = "COMMAND")]
    pub program: Option<String>,
    /// Alerts that may wait for each output before new ones are dropped (and counted)
    /// [default: 10000].
    #[arg(long, value_name = "N")]
    pub output_queue: Option<usize>,

    /// Serve Prometheus metrics at /metrics and a health check at /healthz on this address
    /// (`127.0.0.1:8765`; `0.0.0.0:8765` for a scraper on another host).
    #[arg(long, value_name = "ADDR")]
    pub metrics_address: Option<String>,

    /// Turn rules off: a rule name (`*` matches any text) or `tag:TAG` (repeatable). All
    /// --disable apply before all --enable.
    #[arg(long, value_name = "RULE|tag:TAG")]
    pub disable: Vec<String>,
    /// Turn rules on: a rule name (`*` wildcards) or `tag:TAG` (repeatable). With
    /// `--disable '*'`, only these run.
    #[arg(long, value_name = "RULE|tag:TAG")]
    pub enable: Vec<String>,
    /// The configuration file's `rules:` items, in order (enable?, `RULE` or `tag:TAG`); they
    /// apply before the flags' items.
    #[arg(skip)]
    pub ordered: Vec<(bool, String)>,
    /// Rules less severe than this do not run (emergency ... debug).
    #[arg(long, value_name = "PRIORITY")]
    pub min_priority: Option<String>,
    /// At most this many alerts per second from each rule, on average (a token bucket); the
    /// rest are suppressed and counted.
    #[arg(long, value_name = "PER_S")]
    pub rate_limit: Option<f64>,
    /// With --rate-limit: how many alerts a rule may raise at once before the rate applies
    /// [default: 10].
    #[arg(long, value_name = "N")]
    pub rate_burst: Option<f64>,
}

fn matcher(s: &str) -> Matcher {
    match s.strip_prefix("tag:") {
        Some(tag) => Matcher::Tag(tag.to_string()),
        None => Matcher::Rule(s.to_string()),
    }
}

impl OperatorArgs {
    /// The rule selection the flags ask for.
    pub fn selection(&self) -> Result<Selection, String> {
        let min_priority = match &self.min_priority {
            None => None,
            Some(p) => Some(Priority::parse(p).ok_or_else(|| {
                format!("--min-priority {p}: expected emergency, alert, critical, error, warning, notice, informational or debug")
            })?),
        };
        let items = self
            .ordered
            .iter()
            .map(|(on, s)| if *on { Item::Enable(matcher(s)) } else { Item::Disable(matcher(s)) })
            .chain(self.disable.iter().map(|s| Item::Disable(matcher(s))))
            .chain(self.enable.iter().map(|s| Item::Enable(matcher(s))))
            .collect();
        Ok(Selection { items, min_priority })
    }

    /// The flag that made each selection item, in [`Self::selection`]'s order.
    pub fn selection_flags(&self) -> Vec<String> {
        let o = self.ordered.iter().map(|(on, s)| format!("rules: {} {s}", if *on { "enable" } else { "disable" }));
        let d = self.disable.iter().map(|s| format!("--disable {s}"));
        o.chain(d).chain(self.enable.iter().map(|s| format!("--enable {s}"))).collect()
    }

    /// The outputs the flags ask for; stdout in the `-o` format, the others in JSON except
    /// syslog (the text line).
    pub fn outputs(&self, stdout_json: bool) -> Result<Vec<OutputConfig>, String> {
        let queue = self.output_queue.unwrap_or(rulec_outputs::config::DEFAULT_QUEUE_CAPACITY).max(1);
        let mut out = Vec::new();
        let mut push = |target, format| out.push(OutputConfig { target, format, queue_capacity: queue });
        if !self.no_stdout {
            push(Target::Stdout, if stdout_json { OutputFormat::Json } else { OutputFormat::Text });
        }
        if let Some(path) = &self.output_file {
            push(Target::File { path: path.clone() }, OutputFormat::Json);
        }
        if let Some(url) = &self.webhook {
            let timeout = self.webhook_timeout.unwrap_or(5.0);
            if !(timeout.is_finite() && timeout > 0.0) {
                return Err(format!("--webhook-timeout must be a positive number of seconds, not {timeout}"));
            }
            let headers = self
                .webhook_header
                .iter()
                .map(|h| match h.split_once(':') {
                    Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.trim().to_string())),
                    _ => Err(format!("--webhook-header `{h}`: expected `Name: value`")),
                })
                .collect::<Result<Vec<_>, _>>()?;
            let retry = Retry { attempts: self.webhook_attempts.unwrap_or(4).max(1), ..Retry::default() };
            push(
                Target::Webhook(Webhook {
                    url: url.clone(),
                    headers,
                    timeout: Duration::from_secs_f64(timeout),
                    retry,
                    ca_cert: self.webhook_ca_cert.clone(),
                    insecure: self.webhook_insecure,
                }),
                OutputFormat::Json,
            );
        }
        if let Some(socket) = &self.syslog {
            push(Target::Syslog { socket: socket.clone() }, OutputFormat::Text);
        }
        if let Some(command) = &self.program {
            push(Target::Program { command: command.clone() }, OutputFormat::Json);
        }
        Ok(out)
    }

    /// The rate limiter the flags ask for, if any.
    pub fn limiter(&self) -> Result<Option<Limiter>, String> {
        let burst = self.rate_burst.unwrap_or(10.0);
        self.rate_limit.map(|rate| Limiter::new(Limit { rate, burst })).transpose()
    }
}

/// Where the run's alerts go: rate limit, render once, every output.
#[derive(Debug)]
pub struct AlertSink {
    pub outputs: Outputs,
    pub limiter: Option<Limiter>,
    pub hostname: String,
    /// Wait for room in the output queues instead of dropping (replays).
    pub blocking: bool,
}

impl AlertSink {
    /// Sends `a` unless its rule is over its rate; returns whether it was sent.
    pub fn emit(&mut self, a: &Alert) -> bool {
        if let Some(l) = &mut self.limiter
            && !l.allow(&a.rule, a.time)
        {
            return false;
        }
        let d = alert_format::delivery(a, &self.hostname);
        if self.blocking {
            self.outputs.send_blocking(d)
        } else {
            self.outputs.send(d)
        }
        true
    }

    /// The interval report's lines on outputs: only outputs that lost alerts, and suppressions.
    pub fn interval_report(&self) -> Option<String> {
        report(&self.outputs.stats(), self.limiter.as_ref(), false)
    }

    /// Stops the outputs (each gets `grace` to deliver what it holds) and says what each did.
    pub fn finish(self, grace: Duration) -> Option<String> {
        let stats = self.outputs.shutdown(grace);
        report(&stats, self.limiter.as_ref(), true)
    }
}

/// The outputs' counts and the suppressed alerts, for the stats report; `None` when there is
/// nothing to say (every alert delivered, nothing suppressed) unless `always`.
fn report(stats: &[OutputStats], limiter: Option<&Limiter>, always: bool) -> Option<String> {
    let mut text = String::new();
    for s in stats {
        if always || s.lost() > 0 {
            text.push_str(&format!(
                "\n  output {}: {} delivered, {} failed, {} dropped (queue full), {} dropped at exit, {} retries",
                s.name, s.delivered, s.failed, s.dropped_queue_full, s.dropped_at_shutdown, s.retries
            ));
            if let Some(e) = &s.last_error {
                text.push_str(&format!("; last error: {e}"));
            }
        }
    }
    if let Some(l) = limiter {
        for (rule, n) in l.suppressed() {
            text.push_str(&format!("\n  {n:>8}  suppressed by the rate limit: {rule}"));
        }
    }
    (!text.is_empty()).then_some(text)
}
