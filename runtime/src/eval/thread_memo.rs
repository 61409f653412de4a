//! Verdicts remembered by thread: the checks on values read from the event's thread and its
//! parent alone (`proc.name`, `proc.pname`, `proc.cmdline`...: the fields of
//! [`fields::process::OF_THREAD_AND_PARENT`]) give the same verdicts on every event of one
//! thread until that thread or its parent changes (an exec, a clone, an exit, a `chdir`...).
//! So these checks form one group (`shared.rs`, [`SharedGroup::by_thread`]) whose verdict bits
//! are, per event, one lookup in a small direct-mapped table by tid ([`THREAD_MEMO_ENTRIES`]
//! entries, so its memory is bounded), filled on a miss by evaluating each check of the group
//! with its own matcher. An entry holds the versions of the thread and of its parent it was
//! computed for ([`Thread::version`](crate::state::Thread::version)), and the generation of
//! the thread table it was last found good in ([`State::threads_generation`]): while the
//! table has not changed, the entry is good without looking the threads up. Keys are numbers,
//! never addresses: a version or generation is never given twice in a process.
//!
//! The engine switches the group on like an exact pass, when the first evaluations reach
//! several of its checks per event; then both backends read its bits (the JIT inline).
//!
//! This module decides which checks join and runs the lookup; when it runs is `leaf.rs`.

use super::*;

/// Entries of the memo: threads remembered at once (a direct-mapped table by tid).
pub(super) const THREAD_MEMO_ENTRIES: usize = 256;

/// Words of an entry before its verdict words: tid, table generation, thread version, parent
/// version (0: none), filled (1).
const HEAD: usize = 5;

/// The checks of `p` (sorted ids) on a scalar value of the event's thread or its parent, read
/// with the real extractors, that compare it with constants; each with whether it reads the
/// parent.
pub(super) fn thread_checks(p: &Program, plans: &[SlotPlan]) -> Vec<(usize, bool)> {
    // Whether the slot reads the thread (false) or the parent (true), if it is one of those.
    let of_thread = |slot: SlotId| match (plans.get(slot.0 as usize), p.slots.get(slot.0 as usize)) {
        (Some(SlotPlan::Field { field, arg: None, get: Getter::Direct(_), .. }), Some(s))
            if !s.may_yield_list() && !s.is_list() =>
        {
            fields::process::OF_THREAD_AND_PARENT.iter().find(|(f, _)| *f == field.name).map(|(_, parent)| *parent)
        }
        _ => None,
    };
    p.checks
        .iter()
        .enumerate()
        .filter(|(_, c)| !matches!(c.test, Test::CompareSlot { .. }))
        .filter_map(|(i, c)| Some((i, of_thread(c.slot)?)))
        .collect()
}

/// The slot of the entry of thread `tid` in a table of entries of `size` words.
fn entry_of(tid: i64, size: usize) -> usize {
    // Fibonacci hashing: consecutive tids spread over the table.
    let h = (tid as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56;
    (h as usize % THREAD_MEMO_ENTRIES) * size
}

impl EvalCtx<'_> {
    /// The verdicts of thread group `g` for this event into `out` (the group's bit words):
    /// remembered for this thread at this generation of the thread table, else computed by
    /// each check's own matcher and remembered.
    pub(super) fn thread_memo_pass(&mut self, g: &SharedGroup, out: *mut u64) {
        let n = g.words as usize;
        let size = HEAD + n;
        let (tid, generation) = (self.src.ev.tid, self.src.st.threads_generation());
        let at = entry_of(tid, size);
        let mut versions = None;
        let good = match self.cache.thread_memo.get(at..at + size) {
            Some(e) if e[4] == 1 && e[0] == tid as u64 => {
                e[1] == generation || {
                    // The table changed since: still good if this thread and its parent did not.
                    let v = self.versions(g.reads_parent);
                    versions = Some(v);
                    (e[2], e[3]) == v
                }
            }
            _ => false,
        };
        if good && let Some(e) = self.cache.thread_memo.get_mut(at..at + size) {
            e[1] = generation;
            // SAFETY: `out` points to the group's `n` bit words in the verdict buffer this
            // context borrows (checked by the caller); the memo is another buffer.
            unsafe { std::ptr::copy_nonoverlapping(e[HEAD..].as_ptr(), out, n) };
            return;
        }
        let (tv, pv) = versions.unwrap_or_else(|| self.versions(g.reads_parent));
        // SAFETY: as above; nothing else writes these words while the checks run (a check
        // evaluated with its own matcher reads no verdict bits).
        unsafe { std::ptr::write_bytes(out, 0, n) };
        let compiled = self.compiled;
        for (bit, c) in g.checks.iter().enumerate() {
            if compiled.checks.get(c.0 as usize).is_some_and(|plan| self.eval_own(plan)) {
                // SAFETY: `bit / 64 < n` (the group has one bit per check); as above.
                unsafe { *out.add(bit / 64) |= 1 << (bit % 64) };
            }
        }
        let memo = &mut self.cache.thread_memo;
        if memo.len() < THREAD_MEMO_ENTRIES * size {
            memo.resize(THREAD_MEMO_ENTRIES * size, 0);
        }
        if let Some(e) = memo.get_mut(at..at + size) {
            e[..HEAD].copy_from_slice(&[tid as u64, generation, tv, pv, 1]);
            // SAFETY: as above.
            e[HEAD..].copy_from_slice(unsafe { std::slice::from_raw_parts(out, n) });
        }
    }

    /// Whether thread group `g`'s memo would miss on this event, as if every event counted so
    /// far had run it (the engine weighs the misses before switching the group on).
    pub(super) fn thread_memo_probe(&mut self, g: &SharedGroup) -> bool {
        let tid = self.src.ev.tid;
        let (tv, pv) = self.versions(g.reads_parent);
        let key = [tid as u64, tv, pv];
        let probe = &mut self.cache.thread_probe;
        if probe.len() < THREAD_MEMO_ENTRIES {
            // Tid 0 with no thread (versions 0) is a key too: start from another one.
            probe.resize(THREAD_MEMO_ENTRIES, [u64::MAX; 3]);
        }
        let Some(e) = probe.get_mut(entry_of(tid, 1)) else { return true };
        let miss = *e != key;
        *e = key;
        miss
    }

    /// The versions of the event's thread and (when `parent`) of its parent, 0 for none.
    fn versions(&self, parent: bool) -> (u64, u64) {
        let tv = self.src.thread().map_or(0, |t| t.version());
        let pv = if parent { self.src.parent().map_or(0, |p| p.version()) } else { 0 };
        (tv, pv)
    }
}
