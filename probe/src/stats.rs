//! The probe's per-CPU counters, as the kernel side writes them (`struct counters` in
//! `bpf/probe.bpf.c`: the field order must match) and summed for people.

/// One CPU's counters.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Records written to the ring buffer.
    pub events: u64,
    /// Records lost because the ring buffer was full.
    pub drops_buffer: u64,
    /// Records lost because the CPU had no ring buffer (a CPU brought online after start).
    pub drops_no_buffer: u64,
    /// Records lost because the CPU had no scratch area.
    pub drops_scratch: u64,
    /// Strings or blobs cut at the probe's length limit (4096 bytes).
    pub truncated: u64,
    /// Reads of user or kernel memory that failed (the parameter was left empty).
    pub read_faults: u64,
    /// 32-bit (ia32) syscalls whose number is in the table, skipped: the probe does not capture
    /// compat syscalls (their numbers are ia32 numbers, not x86_64 ones).
    pub compat_skipped: u64,
    /// Arguments read at syscall exit because their copy from the syscall's entry was missing
    /// (the syscall began before the probe was attached, or the copy was evicted): such a
    /// value may differ from what the kernel used.
    pub enter_missing: u64,
}

// SAFETY: `Counters` is `repr(C)`, made of `u64`s only (no padding, every bit pattern valid),
// and `Copy`: exactly what aya's `Pod` requires of a map value.
unsafe impl aya::Pod for Counters {}

impl Counters {
    /// Every record lost, whatever the reason.
    pub fn drops(&self) -> u64 {
        self.drops_buffer + self.drops_no_buffer + self.drops_scratch
    }

    /// Adds another CPU's counters.
    pub fn add(&mut self, o: &Counters) {
        self.events += o.events;
        self.drops_buffer += o.drops_buffer;
        self.drops_no_buffer += o.drops_no_buffer;
        self.drops_scratch += o.drops_scratch;
        self.truncated += o.truncated;
        self.read_faults += o.read_faults;
        self.compat_skipped += o.compat_skipped;
        self.enter_missing += o.enter_missing;
    }
}
