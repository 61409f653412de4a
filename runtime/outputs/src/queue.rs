//! One output's bounded queue and worker thread. The caller's [`Queue::send`] never blocks: a
//! full queue counts the alert as dropped. The worker delivers alerts one at a time through its
//! [`crate::sink::Sink`], counting each as delivered or failed (after the sink's retries); at
//! shutdown, whatever it could not deliver before the deadline is counted as dropped.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, channel, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

use crate::Delivery;
use crate::sink::{Control, Sink};

/// What one output did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutputStats {
    /// How reports name the output.
    pub name: String,
    /// Alerts taken into the queue.
    pub accepted: u64,
    pub delivered: u64,
    /// Alerts given up on after the retry policy.
    pub failed: u64,
    /// Alerts refused because the queue was full.
    pub dropped_queue_full: u64,
    /// Alerts still queued (or in delivery) when shutdown's grace period ended.
    pub dropped_at_shutdown: u64,
    /// Tries after a failure (webhook retries, program restarts, reconnects).
    pub retries: u64,
    /// The last delivery error, if any.
    pub last_error: Option<String>,
}

impl OutputStats {
    /// Alerts that did not reach the output, for any reason.
    pub fn lost(&self) -> u64 {
        self.failed + self.dropped_queue_full + self.dropped_at_shutdown
    }
}

#[derive(Debug, Default)]
struct Counters {
    accepted: AtomicU64,
    delivered: AtomicU64,
    failed: AtomicU64,
    dropped_queue_full: AtomicU64,
    retries: Arc<AtomicU64>,
    last_error: Mutex<Option<String>>,
}

/// A running output.
#[derive(Debug)]
pub(crate) struct Queue {
    name: String,
    tx: Option<SyncSender<Arc<Delivery>>>,
    counters: Arc<Counters>,
    control: Control,
    worker: Option<JoinHandle<()>>,
    /// Disconnected when the worker's closure ends (its sender is dropped then, even when it
    /// unwinds): shutdown waits on it instead of polling the thread.
    finished: Receiver<()>,
}

impl Queue {
    pub(crate) fn start(name: String, capacity: usize, sink: Box<dyn Sink>) -> Queue {
        let (tx, rx) = sync_channel(capacity);
        let counters = Arc::new(Counters::default());
        let control = Control::new(Arc::clone(&counters.retries));
        let (done, finished) = channel::<()>();
        let worker = {
            let counters = Arc::clone(&counters);
            let control = control.clone();
            std::thread::Builder::new()
                .name(format!("rulec-output {name}"))
                .spawn(move || {
                    let _done = done;
                    work(rx, sink, &counters, &control);
                })
                .ok()
        };
        Queue { name, tx: Some(tx), counters, control, worker, finished }
    }

    pub(crate) fn send(&self, alert: Arc<Delivery>) {
        let Some(tx) = &self.tx else { return };
        match tx.try_send(alert) {
            Ok(()) => {
                self.counters.accepted.fetch_add(1, Ordering::Relaxed);
            }
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.counters.dropped_queue_full.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    pub(crate) fn send_blocking(&self, alert: Arc<Delivery>) {
        let Some(tx) = &self.tx else { return };
        let counter = match tx.send(alert) {
            Ok(()) => &self.counters.accepted,
            Err(_) => &self.counters.dropped_queue_full,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn reopen(&self) {
        self.control.reopen.store(true, Ordering::Relaxed);
    }

    pub(crate) fn stats(&self) -> OutputStats {
        let c = &self.counters;
        OutputStats {
            name: self.name.clone(),
            accepted: c.accepted.load(Ordering::Relaxed),
            delivered: c.delivered.load(Ordering::Relaxed),
            failed: c.failed.load(Ordering::Relaxed),
            dropped_queue_full: c.dropped_queue_full.load(Ordering::Relaxed),
            dropped_at_shutdown: 0,
            retries: c.retries.load(Ordering::Relaxed),
            last_error: c.last_error.lock().ok().and_then(|e| e.clone()),
        }
    }

    /// Closes the queue, waits for the worker until `deadline`, then tells it to give up (it stops
    /// retrying and counts nothing more as delivered).
    pub(crate) fn shutdown(mut self, deadline: Instant) -> OutputStats {
        drop(self.tx.take());
        if let Some(w) = self.worker.take() {
            // Woken as soon as the worker is done (the queue's end reached), not at the next
            // poll: every `rulec run` ends here. Nothing is ever sent, so the wait ends
            // disconnected (done) or timed out.
            let ended = matches!(
                self.finished.recv_timeout(deadline.saturating_duration_since(Instant::now())),
                Err(RecvTimeoutError::Disconnected)
            );
            self.control.abandon.store(true, Ordering::Relaxed);
            // Past its closure the thread only exits: joining it cannot wait on a sink.
            if ended || w.is_finished() {
                let _ = w.join();
            }
        }
        let mut s = self.stats();
        s.dropped_at_shutdown = s.accepted.saturating_sub(s.delivered + s.failed);
        s
    }
}

fn work(rx: Receiver<Arc<Delivery>>, mut sink: Box<dyn Sink>, counters: &Counters, control: &Control) {
    while let Ok(alert) = rx.recv() {
        if control.abandoned() {
            // Past the shutdown deadline: what is left is counted by `shutdown`, not delivered.
            break;
        }
        if control.reopen.swap(false, Ordering::Relaxed)
            && let Err(e) = sink.reopen()
        {
            note_error(counters, e);
        }
        match sink.deliver(&alert, control) {
            Ok(()) => {
                counters.delivered.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                if control.abandoned() {
                    break;
                }
                counters.failed.fetch_add(1, Ordering::Relaxed);
                note_error(counters, e);
            }
        }
    }
}

fn note_error(counters: &Counters, e: String) {
    if let Ok(mut last) = counters.last_error.lock() {
        *last = Some(e);
    }
}
