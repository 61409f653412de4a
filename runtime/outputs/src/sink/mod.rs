//! The outputs themselves: each [`Sink`] delivers one alert at a time on its worker thread and
//! returns an error only when the alert is given up on. Opening a sink ([`open`]) checks what can
//! be checked up front (the file can be opened for appending, the syslog socket exists, the
//! webhook URL parses), so that a broken configuration stops `rulec run` before it starts.

mod file;
mod program;
mod stdout;
mod syslog;
mod webhook;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::config::{OutputConfig, Target};
use crate::{Delivery, OutputFormat};

/// One output's delivery.
pub trait Sink: Send {
    /// Delivers `alert`, retrying as the output's policy says; `Err` says why it was given up.
    fn deliver(&mut self, alert: &Delivery, control: &Control) -> Result<(), String>;
    /// Reopens the file or restarts the program (log rotation). Others need nothing.
    fn reopen(&mut self) -> Result<(), String> {
        Ok(())
    }
}

/// What a worker shares with the outputs' owner: the shutdown deadline passed (stop retrying),
/// reopen requested, and the retry counter.
#[derive(Debug, Clone)]
pub struct Control {
    pub(crate) abandon: Arc<AtomicBool>,
    pub(crate) reopen: Arc<AtomicBool>,
    retries: Arc<AtomicU64>,
}

impl Control {
    pub(crate) fn new(retries: Arc<AtomicU64>) -> Control {
        Control { abandon: Arc::default(), reopen: Arc::default(), retries }
    }

    /// True once shutdown's grace period is over: a sink stops retrying.
    pub fn abandoned(&self) -> bool {
        self.abandon.load(Ordering::Relaxed)
    }

    /// Counts one more try after a failure.
    pub fn retried(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
    }

    /// Sleeps `d`, waking early when the output is abandoned; returns false then.
    pub fn wait(&self, d: Duration) -> bool {
        let end = Instant::now() + d;
        while Instant::now() < end {
            if self.abandoned() {
                return false;
            }
            std::thread::sleep((end - Instant::now()).min(Duration::from_millis(20)));
        }
        !self.abandoned()
    }
}

/// The line an output writes for `alert` in `format`.
pub(crate) fn line(alert: &Delivery, format: OutputFormat) -> &str {
    match format {
        OutputFormat::Text => &alert.text,
        OutputFormat::Json => &alert.json,
    }
}

/// Opens the output `c` describes, or says why it cannot be opened.
pub(crate) fn open(c: &OutputConfig) -> Result<Box<dyn Sink>, String> {
    Ok(match &c.target {
        Target::Stdout => Box::new(stdout::Stdout::new(c.format)),
        Target::File { path } => Box::new(file::File::open(path, c.format)?),
        Target::Webhook(w) => Box::new(webhook::Webhook::open(w, c.format)?),
        Target::Syslog { socket } => Box::new(syslog::Syslog::open(socket, c.format)?),
        Target::Program { command } => Box::new(program::Program::start(command, c.format)?),
    })
}
