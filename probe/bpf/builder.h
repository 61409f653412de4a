/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The record builder: a `.scap` event record (layout from scap_gen.h, generated from
 * rulec-schema) assembled parameter by parameter in this CPU's scratch area, then copied into
 * this CPU's ring buffer with one `bpf_ringbuf_output`. Every record written, dropped (full ring
 * buffer, missing buffer or scratch area), cut or left with an unreadable parameter is counted
 * per CPU in `counters`.
 *
 * Offsets into the scratch area are masked with EVENT_MASK and each single write is at most
 * 8 KiB, which the scratch area's slack covers: that is what the verifier needs to see.
 */
#ifndef RULEC_BUILDER_H
#define RULEC_BUILDER_H

#define MAX_PARAMS 32
#define EVENT_MASK (MAX_EVENT - 1)
/* Scratch per CPU: a full record plus the longest single write, so a masked offset plus a
 * bounded write always stays inside it. */
#define SCRATCH_SIZE (MAX_EVENT + 8192)
/* Longest string or blob one parameter copies (PATH_MAX; argv and env as one blob each). */
#define MAX_STR 4096
#define STR_MASK (MAX_STR - 1)

/* One ring buffer per CPU, created and inserted by user space. */
struct ringbuf_map {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct ringbuf_map);
} ringbufs SEC(".maps");

/* Counters per CPU, summed by user space. Field order is `probe/src/stats.rs`'s. */
struct counters {
	__u64 n_evts;             /* records written */
	__u64 n_drops_buffer;     /* ring buffer full */
	__u64 n_drops_no_buffer;  /* no ring buffer for this CPU (hot-plugged CPU) */
	__u64 n_drops_scratch;    /* no scratch area for this CPU */
	__u64 n_truncated;        /* a string or blob longer than MAX_STR was cut */
	__u64 n_read_faults;      /* a user or kernel read failed (parameter left empty) */
	__u64 n_compat;           /* 32-bit (ia32) syscalls of an interesting number, not captured */
	__u64 n_enter_missing;    /* arguments read at exit: their entry-side copy was missing */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct counters);
} counters SEC(".maps");

/* Scratch areas, one per CPU (an ARRAY indexed by CPU id: per-CPU array values are limited to
 * 32 KiB). User space sets max_entries to the number of possible CPUs. */
struct scratch {
	__u8 buf[SCRATCH_SIZE];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

struct builder {
	__u8 *buf;
	struct counters *cnt;
	__u32 off;     /* where the next parameter's bytes go */
	__u32 idx;     /* next parameter index */
	__u32 nparams; /* parameters announced in the header */
};

static __always_inline struct counters *counters_get(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&counters, &zero);
}

static __always_inline bool builder_begin(struct builder *b, __u16 type, __u32 nparams)
{
	__u32 cpu = bpf_get_smp_processor_id();
	b->cnt = counters_get();
	struct scratch *s = bpf_map_lookup_elem(&scratch, &cpu);
	if (!s) {
		if (b->cnt)
			__sync_fetch_and_add(&b->cnt->n_drops_scratch, 1);
		return false;
	}
	b->buf = s->buf;
	b->idx = 0;
	b->nparams = nparams & (MAX_PARAMS - 1);
	b->off = HDR_LEN + PARAM_LEN_SIZE * b->nparams;
	*(__u64 *)&b->buf[REC_TS_OFFSET] = bpf_ktime_get_boot_ns();
	*(__u64 *)&b->buf[REC_TID_OFFSET] = bpf_get_current_pid_tgid() & 0xffffffff;
	*(__u16 *)&b->buf[REC_TYPE_OFFSET] = type;
	*(__u32 *)&b->buf[REC_NPARAMS_OFFSET] = b->nparams;
	return true;
}

/* Records the length of the parameter just written and moves on. */
static __always_inline void builder_param_done(struct builder *b, __u32 len)
{
	__u32 at = HDR_LEN + PARAM_LEN_SIZE * (b->idx & (MAX_PARAMS - 1));
	*(__u16 *)&b->buf[at & EVENT_MASK] = (__u16)len;
	b->off += len;
	b->idx++;
}

static __always_inline void push_u8(struct builder *b, __u8 v)
{
	b->buf[b->off & EVENT_MASK] = v;
	builder_param_done(b, 1);
}

static __always_inline void push_u16(struct builder *b, __u16 v)
{
	*(__u16 *)&b->buf[b->off & EVENT_MASK] = v;
	builder_param_done(b, 2);
}

static __always_inline void push_u32(struct builder *b, __u32 v)
{
	*(__u32 *)&b->buf[b->off & EVENT_MASK] = v;
	builder_param_done(b, 4);
}

static __always_inline void push_u64(struct builder *b, __u64 v)
{
	*(__u64 *)&b->buf[b->off & EVENT_MASK] = v;
	builder_param_done(b, 8);
}

/* An absent parameter: zero length, as the drivers write one they could not fill. */
static __always_inline void push_empty(struct builder *b)
{
	builder_param_done(b, 0);
}

static __always_inline void count_read(struct builder *b, long ret, __u32 max)
{
	if (!b->cnt)
		return;
	if (ret < 0)
		__sync_fetch_and_add(&b->cnt->n_read_faults, 1);
	else if ((__u32)ret >= max)
		__sync_fetch_and_add(&b->cnt->n_truncated, 1);
}

/* A NUL-terminated string from user memory (length includes the NUL, as the drivers write). */
static __always_inline void push_user_str(struct builder *b, const void *ptr)
{
	long n = ptr ? bpf_probe_read_user_str(&b->buf[b->off & EVENT_MASK], MAX_STR, ptr) : -1;
	count_read(b, n, MAX_STR);
	builder_param_done(b, n > 0 ? (__u32)n & (MAX_STR * 2 - 1) : 0);
}

/* `len` bytes of user memory (argv, env blobs), cut at MAX_STR. */
static __always_inline void push_user_blob(struct builder *b, unsigned long start, unsigned long end)
{
	__u64 len = end > start ? end - start : 0;
	if (len > MAX_STR) {
		if (b->cnt)
			__sync_fetch_and_add(&b->cnt->n_truncated, 1);
		len = MAX_STR;
	}
	if (len == 0) {
		push_empty(b);
		return;
	}
	/* The mask keeps the size provably below the scratch area's slack for the verifier; the
	 * barrier keeps clang from folding it into the comparisons above. */
	__u32 n = (__u32)len;
	asm volatile("%0 &= 8191" : "+r"(n));
	long r = bpf_probe_read_user(&b->buf[b->off & EVENT_MASK], n, (const void *)start);
	if (r < 0) {
		count_read(b, r, MAX_STR);
		push_empty(b);
		return;
	}
	builder_param_done(b, n);
}

/* Writes the finished record to this CPU's ring buffer; counts it or counts the drop. */
static __always_inline void builder_submit(struct builder *b)
{
	__u32 len = b->off;
	*(__u32 *)&b->buf[REC_LEN_OFFSET] = len;
	__u32 cpu = bpf_get_smp_processor_id();
	void *rb = bpf_map_lookup_elem(&ringbufs, &cpu);
	if (!rb) {
		if (b->cnt)
			__sync_fetch_and_add(&b->cnt->n_drops_no_buffer, 1);
		return;
	}
	len &= EVENT_MASK;
	if (len < HDR_LEN)
		return;
	/* No wakeup: user space polls the rings on a timer and never sleeps on them, and a wakeup
	 * (an irq_work, a self-interrupt) would cost more than the rest of the record. */
	if (bpf_ringbuf_output(rb, b->buf, len, BPF_RB_NO_WAKEUP) != 0) {
		if (b->cnt)
			__sync_fetch_and_add(&b->cnt->n_drops_buffer, 1);
		return;
	}
	if (b->cnt)
		__sync_fetch_and_add(&b->cnt->n_evts, 1);
}

/* A NUL-terminated string from kernel memory (an entry-side copy, a dentry name). */
static __always_inline void push_kernel_str(struct builder *b, const void *ptr)
{
	long n = ptr ? bpf_probe_read_kernel_str(&b->buf[b->off & EVENT_MASK], MAX_STR, ptr) : -1;
	count_read(b, n, MAX_STR);
	builder_param_done(b, n > 0 ? (__u32)n & (MAX_STR * 2 - 1) : 0);
}

/* A `DYN` parameter holding a u64 (index 0 of its type list: the drivers' PPM_*_IDX_UINT64). */
static __always_inline void push_dyn_u64(struct builder *b, __u64 v)
{
	b->buf[b->off & EVENT_MASK] = 0;
	*(__u64 *)&b->buf[(b->off + 1) & EVENT_MASK] = v;
	builder_param_done(b, 9);
}

/* Counts an argument read at syscall exit because its entry-side copy was missing. */
static __always_inline void count_enter_missing(struct builder *b)
{
	if (b->cnt)
		__sync_fetch_and_add(&b->cnt->n_enter_missing, 1);
}

#endif
