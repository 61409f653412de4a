//! How the engine compiles its JIT ([`Compiles`]): on the calling thread, or on a thread of its
//! own while the engine keeps running events on the code it has; and what a compile's code may
//! assume about the engine it is installed into.
//!
//! A compile reads the program (its nodes' order among them) and the verdict bits of the shared
//! passes that are switched on, as they are when it starts, and the candidate lists its batch
//! functions are for. What the engine changes while events run keeps older code correct:
//!
//! * [`Compiled::reorder`] only changes the order of a junction's children, never a node's
//!   value (checks are pure), nor an id: code compiled before computes the same verdicts, in
//!   its own order.
//! * [`Compiled::share`] switches a pass on or off; where a check's verdict bit is, is fixed
//!   when the program is compiled. Code compiled without a check's bit calls back for it (the
//!   evaluator then reads the pass, if on); code compiled with it reads the bit only when the
//!   pass stamped it for the event, else calls back (see [`crate::jit::VerdictBit`]).
//! * The candidate lists change only when a rule is switched on or off (`Engine::reindex`),
//!   which drops the batches of the code installed and any compile still running: a batch
//!   function is only installed with the lists it was compiled for.
//!
//! So the interpreter (the engine's first code in background mode) and any earlier JIT code
//! give the alerts the new code gives; only their cost differs. `Engine::finish_compile` waits
//! for a running compile and installs it, for what must not depend on timing.

use std::sync::Arc;
use std::thread::JoinHandle;

use rulec_ir::Program;

use super::{Backend, Engine};
use crate::eval::JIT_CALLBACKS;
use crate::jit::{JitProgram, SlotReaders, VerdictBit};

/// Where the engine compiles its JIT code.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum Compiles {
    /// On the calling thread, before the call that needs the code returns: the JIT runs from
    /// the first event, and which code runs never depends on timing (the default; tests,
    /// `rulec bench` and the tools).
    #[default]
    Inline,
    /// On a thread of its own, while events run on the code the engine has (the interpreter
    /// until the first JIT code is in); the new code is installed by the first event evaluated
    /// rule by rule that finds the compile finished (`rulec run`: the event loop never waits
    /// for Cranelift).
    /// The first evaluations, which choose the order and the shared passes, run on the
    /// interpreter: the engine compiles once, when they are done.
    Background,
}

/// A compile's outcome: the code, and whether it holds the batch functions it was asked for.
type Outcome = Result<(JitProgram, bool), String>;

/// What a compile is asked for, besides the program: the verdict bits it reads inline, whether
/// it compiles string tests inline, and per candidate list whether it gets a batch function
/// (with the list's rules, and the checks known on its events).
struct Job {
    bits: Vec<Option<VerdictBit>>,
    /// The readers specialised to single slots ([`crate::eval::Compiled::slot_readers`]).
    readers: SlotReaders,
    strings: bool,
    batched: Vec<bool>,
    lists: Vec<Vec<usize>>,
    known: Vec<Vec<(u32, bool)>>,
}

impl Job {
    /// Compiles `p` (the program the job was made for, or an unchanged copy): with the batch
    /// functions if it has lists, else (or if those fail) the rule functions alone.
    fn run(&self, p: &Program) -> Outcome {
        if self.batched.is_empty() {
            return compile_jit(p, &self.readers, &self.bits, self.strings, None).map(|j| (j, false));
        }
        compile_jit(p, &self.readers, &self.bits, self.strings, Some((&self.lists, &self.known)))
            .map(|j| (j, true))
            .or_else(|_| compile_jit(p, &self.readers, &self.bits, self.strings, None).map(|j| (j, false)))
    }
}

/// A compile running on its own thread, and what its code is for.
pub(super) struct Pending {
    thread: JoinHandle<Outcome>,
    job: Arc<Job>,
}

impl Engine {
    /// Compiles the JIT, if it is wanted, for the program's current order and verdict bits
    /// (where the engine's [`Compiles`] says); once installed, it replaces the code running (if
    /// a compile fails, the old code stays: it computes the same values; with no code yet, the
    /// JIT is unavailable and [`Engine::jit_error`] says why). Once profiling is over (string
    /// tests inline), the program also gets one batch function per candidate list; should
    /// that fail, the rule functions alone. A compile still running is superseded.
    pub(super) fn rebuild_jit(&mut self) {
        if self.backend() != Backend::Jit {
            return;
        }
        let job = Arc::new(self.jit_job());
        self.batches_tried |= !job.batched.is_empty();
        self.pending = None;
        if self.compiles == Compiles::Background {
            // The thread gets a copy of the program: the engine's may be reordered meanwhile.
            let (program, theirs) = (self.compiled.program().clone(), Arc::clone(&job));
            let spawned = std::thread::Builder::new().name("rulec-jit".into()).spawn(move || theirs.run(&program));
            // Without a thread to be had, compiled here, as inline.
            if let Ok(thread) = spawned {
                self.pending = Some(Pending { thread, job });
                return;
            }
        }
        let outcome = job.run(self.compiled.program());
        self.install(outcome, &job);
    }

    /// What a compile for the engine as it is now is asked for (see [`Engine::rebuild_jit`]).
    fn jit_job(&self) -> Job {
        let strings = !self.counting();
        let batched: Vec<bool> = if strings && self.profile.is_none() {
            (0..self.lists.len()).map(|i| self.seen.get(i).copied().unwrap_or(self.seen.is_empty())).collect()
        } else {
            Vec::new()
        };
        let lists: Vec<Vec<usize>> =
            (self.lists.iter().zip(&batched)).map(|(l, &b)| if b { l.clone() } else { Vec::new() }).collect();
        // What each list's batch may take for granted: the verdicts of the checks on
        // `evt.type`, which its event name decides (list 0, the other names, knows nothing).
        let mut known: Vec<Vec<(u32, bool)>> = vec![Vec::new(); lists.len()];
        for (name, &i) in &self.by_type {
            if let Some(k) = known.get_mut(i as usize)
                && batched.get(i as usize).copied().unwrap_or(false)
            {
                *k = self.compiled.type_verdicts(name);
            }
        }
        Job {
            bits: self.compiled.verdict_bits(),
            readers: self.compiled.slot_readers(),
            strings,
            batched,
            lists,
            known,
        }
    }

    /// Puts a finished compile's code in place of the running one; a failure leaves the running
    /// code, or, with none, makes the JIT unavailable.
    fn install(&mut self, outcome: Outcome, job: &Job) {
        match outcome {
            Ok((jit, batches)) => {
                self.jit = Some(jit);
                self.jit_strings = job.strings;
                self.batched = if batches { job.batched.clone() } else { Vec::new() };
                self.unbatched_runs = 0;
            }
            Err(e) if self.jit.is_none() => self.jit_error = Some(e),
            Err(_) => {}
        }
    }

    /// Installs the running compile's code if it is finished (called on the event path while a
    /// compile runs: one look at the thread's state).
    #[cold]
    #[inline(never)]
    pub(super) fn poll_compile(&mut self) {
        if self.pending.as_ref().is_some_and(|p| p.thread.is_finished()) {
            self.finish_compile();
        }
    }

    /// Waits for a compile running in the background, if any, and installs its code: from
    /// here on, events run on the code the engine's state calls for, whatever the timing
    /// (tests, and what measures the engine). Nothing to do with [`Compiles::Inline`].
    pub fn finish_compile(&mut self) {
        let Some(p) = self.pending.take() else { return };
        let outcome = p.thread.join().unwrap_or_else(|_| Err("the JIT compile panicked".into()));
        self.install(outcome, &p.job);
    }

    /// Whether a compile is running in the background (its code not yet installed).
    pub fn compiling(&self) -> bool {
        self.pending.is_some()
    }

    /// Drops a compile still running (its thread finishes alone, and its code is freed): the
    /// code was for candidate lists that no longer are.
    pub(super) fn drop_compile(&mut self) {
        self.pending = None;
    }

    /// Rebuilds the JIT when whether it may inline string tests has changed.
    pub(super) fn refresh_jit(&mut self) {
        if self.jit.is_some() && self.jit_strings == self.counting() {
            self.rebuild_jit();
        }
    }
}

/// The JIT program of `p`, reading the verdicts of the shared string passes of `bits` inline,
/// with `strings` comparing string values with constants inline, and with one batch function
/// per list of `lists` if given (with the check verdicts known on each list's events).
fn compile_jit(
    p: &Program,
    readers: &SlotReaders,
    bits: &[Option<VerdictBit>],
    strings: bool,
    lists: Option<(&[Vec<usize>], &[Vec<(u32, bool)>])>,
) -> Result<JitProgram, String> {
    let cb = if strings { JIT_CALLBACKS } else { crate::jit::Callbacks { slot_str: None, ..JIT_CALLBACKS } };
    // SAFETY: the rule and batch functions are only ever called by `run_rule` and `run_batch`,
    // with an `EvalCtx` of the engine's `Compiled`, whose program `p` is or was (the engine only
    // reorders junctions and switches passes on and off: the checks, slots and verdict-bit
    // positions stay; see the module doc): it starts with its `VerdictHeader`, whose words (the
    // slot cache's, sized for the program when the context is made) are valid for `len` words
    // during the call. A list's batch runs only on events of the name the list is indexed under
    // (`run_batch` is given the list the candidate caches or `by_type` hold for the event's
    // name, and batches are installed only with the lists they were compiled for), for which
    // its known `evt.type` verdicts hold. `readers` are that `Compiled`'s, each reading its
    // slot as the general callback does (`Compiled::slot_readers`); the slots' reads stay too.
    unsafe {
        match lists {
            Some((lists, known)) => JitProgram::compile_batches(p, cb, readers, bits, lists, known),
            None => JitProgram::compile_shared(p, cb, readers, bits),
        }
    }
}
