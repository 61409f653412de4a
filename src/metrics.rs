//! `rulec run`'s metrics and health over HTTP (`--metrics-address`): `GET /metrics` answers the
//! OpenMetrics text of a `prometheus-client` registry, `GET /healthz` answers 200 with
//! `{"status": "ok"}` while the event loop is alive (it published within [`HEALTHY_WITHIN`]), 503
//! otherwise.
//!
//! The event loop never touches a lock per event: it keeps plain counters, and about once a second
//! [`Metrics::publish`] stores their totals in the registry's atomics (a counter's value is the
//! loop's total, so nothing is lost between publications). The server runs on its own thread.
//!
//! Families (prefix `rulec_`): `events_total{type}`, `kernel_records_total{cpu}`,
//! `kernel_drops_total{cpu,reason}`, `kernel_arguments_total{cpu,problem}` (arguments cut at
//! the probe's limit, unreadable, or read at exit for want of an entry copy),
//! `kernel_compat_skipped_total{cpu}` (32-bit syscalls not captured), `state_threads`, `state_evictions_total{table}`,
//! `state_unknown_thread_events_total`, `alerts_total{rule,priority}`,
//! `alerts_suppressed_total{rule}`, `output_alerts_total{output,result}`,
//! `output_retries_total{output}`, `engine_evaluations_total`, `engine_eval_seconds_total`
//! (sampled), `reloads_total{result}`, `info{version}`, `start_time_seconds`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// Labels as name/value pairs.
type Labels = Vec<(String, String)>;

/// The health endpoint says "ok" while the loop published this recently.
pub const HEALTHY_WITHIN: Duration = Duration::from_secs(10);

/// The registry and its families, shared by the loop (writes) and the server (reads).
pub struct Metrics {
    registry: Mutex<Registry>,
    events: Family<Labels, Counter>,
    kernel_records: Family<Labels, Counter>,
    kernel_drops: Family<Labels, Counter>,
    kernel_arguments: Family<Labels, Counter>,
    kernel_compat: Family<Labels, Counter>,
    state_threads: Gauge,
    state_evictions: Family<Labels, Counter>,
    unknown_thread_events: Counter,
    alerts: Family<Labels, Counter>,
    suppressed: Family<Labels, Counter>,
    output_alerts: Family<Labels, Counter>,
    output_retries: Family<Labels, Counter>,
    evaluations: Counter,
    reloads: Family<Labels, Counter>,
    eval_seconds: Counter<f64, std::sync::atomic::AtomicU64>,
    /// Milliseconds since `started` of the last publication.
    last_publish_ms: AtomicU64,
    started: Instant,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect()
}

/// What the loop knows at a publication.
#[derive(Debug, Default)]
pub struct Snapshot<'a> {
    /// Events by type name.
    pub events_by_type: Vec<(&'a str, u64)>,
    /// Per-CPU kernel counters (live runs).
    pub kernel: &'a [rulec_probe::Counters],
    pub state: rulec_runtime::state::Stats,
    pub threads: usize,
    /// Alerts by (rule, priority).
    pub alerts: Vec<(&'a str, &'a str, u64)>,
    /// Suppressed alerts by rule.
    pub suppressed: Vec<(&'a str, u64)>,
    pub outputs: &'a [rulec_outputs::OutputStats],
    pub evaluations: u64,
    /// Sampled evaluation time, seconds (an estimate of the total).
    pub eval_seconds: f64,
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut r = Registry::with_prefix("rulec");
        let m = Metrics {
            registry: Mutex::new(Registry::default()),
            events: Family::default(),
            kernel_records: Family::default(),
            kernel_drops: Family::default(),
            kernel_arguments: Family::default(),
            kernel_compat: Family::default(),
            state_threads: Gauge::default(),
            state_evictions: Family::default(),
            unknown_thread_events: Counter::default(),
            alerts: Family::default(),
            suppressed: Family::default(),
            output_alerts: Family::default(),
            output_retries: Family::default(),
            evaluations: Counter::default(),
            reloads: Family::default(),
            eval_seconds: Counter::default(),
            last_publish_ms: AtomicU64::new(0),
            started: Instant::now(),
        };
        r.register("events", "Events processed, by event type", m.events.clone());
        r.register("kernel_records", "Records the probe wrote, by CPU", m.kernel_records.clone());
        r.register("kernel_drops", "Records the probe lost, by CPU and reason", m.kernel_drops.clone());
        r.register(
            "kernel_arguments",
            "Arguments the probe did not capture as the kernel used them, by CPU and problem \
             (cut: longer than its limit; unreadable: user or kernel memory could not be read; \
             read_at_exit: read at syscall exit, its copy from the entry missing)",
            m.kernel_arguments.clone(),
        );
        r.register(
            "kernel_compat_skipped",
            "32-bit (ia32) syscalls of a wanted number that the probe skipped, by CPU",
            m.kernel_compat.clone(),
        );
        r.register("state_threads", "Threads in the state table", m.state_threads.clone());
        r.register("state_evictions", "Entries evicted from full state tables, by table", m.state_evictions.clone());
        r.register(
            "state_unknown_thread_events",
            "Events of threads the state did not know",
            m.unknown_thread_events.clone(),
        );
        r.register("alerts", "Alerts raised, by rule and priority", m.alerts.clone());
        r.register("alerts_suppressed", "Alerts held back by the rate limit, by rule", m.suppressed.clone());
        r.register("output_alerts", "Alerts per output, by result", m.output_alerts.clone());
        r.register("output_retries", "Retries per output", m.output_retries.clone());
        r.register("engine_evaluations", "Rule evaluations", m.evaluations.clone());
        r.register("engine_eval_seconds", "Time spent evaluating rules (sampled estimate)", m.eval_seconds.clone());
        r.register("reloads", "Rules reloads, by result (ok or refused)", m.reloads.clone());
        let info: Family<Labels, Gauge> = Family::default();
        info.get_or_create(&labels(&[("version", env!("CARGO_PKG_VERSION"))])).set(1);
        r.register("info", "rulec's version", info);
        let start: Gauge = Gauge::default();
        start.set(SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64));
        r.register("start_time_seconds", "When rulec run started, seconds since the epoch", start);
        if let Ok(mut reg) = m.registry.lock() {
            *reg = r;
        }
        m
    }

    /// Stores the loop's totals.
    pub fn publish(&self, s: &Snapshot<'_>) {
        let set = |c: &Counter, v: u64| c.inner().store(v, Ordering::Relaxed);
        for (ty, n) in &s.events_by_type {
            set(&self.events.get_or_create(&labels(&[("type", ty)])), *n);
        }
        for (cpu, c) in s.kernel.iter().enumerate() {
            let cpu = cpu.to_string();
            set(&self.kernel_records.get_or_create(&labels(&[("cpu", &cpu)])), c.events);
            for (reason, n) in
                [("buffer_full", c.drops_buffer), ("no_buffer", c.drops_no_buffer), ("scratch", c.drops_scratch)]
            {
                set(&self.kernel_drops.get_or_create(&labels(&[("cpu", &cpu), ("reason", reason)])), n);
            }
            for (problem, n) in [("cut", c.truncated), ("unreadable", c.read_faults), ("read_at_exit", c.enter_missing)]
            {
                set(&self.kernel_arguments.get_or_create(&labels(&[("cpu", &cpu), ("problem", problem)])), n);
            }
            set(&self.kernel_compat.get_or_create(&labels(&[("cpu", &cpu)])), c.compat_skipped);
        }
        self.state_threads.set(i64::try_from(s.threads).unwrap_or(i64::MAX));
        for (table, n) in
            [("threads", s.state.threads_evicted), ("fds", s.state.fds_evicted), ("users", s.state.users_evicted)]
        {
            set(&self.state_evictions.get_or_create(&labels(&[("table", table)])), n);
        }
        set(&self.unknown_thread_events, s.state.unknown_thread_events);
        for (rule, priority, n) in &s.alerts {
            set(&self.alerts.get_or_create(&labels(&[("rule", rule), ("priority", priority)])), *n);
        }
        for (rule, n) in &s.suppressed {
            set(&self.suppressed.get_or_create(&labels(&[("rule", rule)])), *n);
        }
        for o in s.outputs {
            for (result, n) in
                [("delivered", o.delivered), ("failed", o.failed), ("dropped_queue_full", o.dropped_queue_full)]
            {
                set(&self.output_alerts.get_or_create(&labels(&[("output", &o.name), ("result", result)])), n);
            }
            set(&self.output_retries.get_or_create(&labels(&[("output", &o.name)])), o.retries);
        }
        set(&self.evaluations, s.evaluations);
        self.eval_seconds.inner().store(s.eval_seconds.to_bits(), Ordering::Relaxed);
        let ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX).max(1);
        self.last_publish_ms.store(ms, Ordering::Relaxed);
    }

    /// Counts a reload.
    pub fn reloaded(&self, ok: bool) {
        self.reloads.get_or_create(&labels(&[("result", if ok { "ok" } else { "refused" })])).inc();
    }

    /// Whether the loop published within [`HEALTHY_WITHIN`].
    pub fn healthy(&self) -> bool {
        let last = self.last_publish_ms.load(Ordering::Relaxed);
        let now = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        last > 0 && now.saturating_sub(last) <= HEALTHY_WITHIN.as_millis() as u64
    }

    /// The OpenMetrics text of every family.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if let Ok(reg) = self.registry.lock() {
            let _ = prometheus_client::encoding::text::encode(&mut out, &reg);
        }
        out
    }
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

/// Serves `/metrics` and `/healthz` on `address` from a thread of its own; the server stops with
/// the process. An address that cannot be bound is an error before anything starts.
pub fn serve(address: &str, metrics: Arc<Metrics>) -> Result<(), String> {
    let server = tiny_http::Server::http(address).map_err(|e| format!("cannot serve metrics on {address}: {e}"))?;
    std::thread::Builder::new()
        .name("rulec-metrics".into())
        .spawn(move || {
            for req in server.incoming_requests() {
                let (status, body, ctype) = match (req.method(), req.url()) {
                    (tiny_http::Method::Get, "/metrics") => {
                        (200, metrics.encode(), "application/openmetrics-text; version=1.0.0; charset=utf-8")
                    }
                    (tiny_http::Method::Get, "/healthz") if metrics.healthy() => {
                        (200, r#"{"status": "ok"}"#.to_string(), "application/json")
                    }
                    (tiny_http::Method::Get, "/healthz") => {
                        (503, r#"{"status": "stalled"}"#.to_string(), "application/json")
                    }
                    _ => (404, "not found: try /metrics or /healthz\n".to_string(), "text/plain"),
                };
                let mut resp = tiny_http::Response::from_string(body).with_status_code(status);
                if let Ok(h) = tiny_http::Header::from_bytes(&b"Content-Type"[..], ctype.as_bytes()) {
                    resp = resp.with_header(h);
                }
                let _ = req.respond(resp);
            }
        })
        .map_err(|e| format!("cannot start the metrics thread: {e}"))?;
    Ok(())
}
