// SPDX-License-Identifier: GPL-2.0-only
/*
 * rulec's eBPF probe: syscall and process-lifecycle events, written in the `.scap` event layout
 * (the bytes of a capture file's event block after its CPU id: a 26-byte header
 * {u64 ts, u64 tid, u32 len, u16 type, u32 nparams}, one u16 length per parameter, then the
 * parameters), into one ring buffer per CPU. User space decodes ring-buffer records with the same
 * decoder that reads capture files.
 *
 * Hot path first: every syscall exit on the host runs `rulec_sys_exit`; before anything else it
 * looks the syscall number up in `interesting` (filled by user space from the loaded rules and
 * the state machine's needs) and skips rulec's own process (`self_tgid`). Everything else costs a
 * few instructions.
 *
 * Records are built in a per-CPU scratch area and copied into the CPU's ring buffer with one
 * `bpf_ringbuf_output`; a full ring buffer is counted per CPU in `counters`, never silent.
 *
 * The event ids, parameter lists and flag encodings follow the shared event table
 * (compiler/schema); `probe/src/events.rs` checks the ids used here against it.
 */
#include "kernel_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

/* ---- event ids (ppm_event_code) ------------------------------------------------------------ */
#define PPME_GENERIC_X 1
#define PPME_SYSCALL_CLOSE_X 5
#define PPME_PROCEXIT_1_E 186
#define PPME_SYSCALL_CLONE_20_X 223
#define PPME_SYSCALL_FORK_20_X 225
#define PPME_SYSCALL_VFORK_20_X 227
#define PPME_SYSCALL_EXECVE_19_X 293
#define PPME_SYSCALL_OPENAT_2_X 307
#define PPME_SYSCALL_OPENAT2_X 327
#define PPME_SYSCALL_CLONE3_X 335

/* ---- x86_64 syscall numbers the probe gives their own event -------------------------------- */
#define NR_close 3
#define NR_clone 56
#define NR_fork 57
#define NR_vfork 58
#define NR_execve 59
#define NR_openat 257
#define NR_execveat 322
#define NR_openat2 437
#define NR_clone3 435

/* Syscall numbers above this are not looked up (x86_64 has fewer). */
#define SYSCALL_TABLE_SIZE 512

#define HDR_LEN 26
#define MAX_PARAMS 32
/* Largest record: the driver's limit. Offsets are masked with it to satisfy the verifier. */
#define MAX_EVENT (1 << 16)
#define EVENT_MASK (MAX_EVENT - 1)
/* Scratch per CPU: a full record plus the longest single write, so a masked offset plus a
 * bounded write always stays inside it. */
#define SCRATCH_SIZE (MAX_EVENT + 8192)
/* Longest string or blob one parameter copies (PATH_MAX; argv and env as one blob each). */
#define MAX_STR 4096
#define STR_MASK (MAX_STR - 1)

/* ---- settings from user space ---------------------------------------------------------------- */
/* rulec's own process: its syscalls would feed back into the stream. */
const volatile __u32 self_tgid = 0;

/* ---- maps -------------------------------------------------------------------------------------- */
/* Which syscalls (by x86_64 number) anyone needs: 1 = emit an event at exit. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SYSCALL_TABLE_SIZE);
	__type(key, __u32);
	__type(value, __u8);
} interesting SEC(".maps");

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

/* The path an exec was asked to run (`bprm->filename`), saved by `rulec_sched_exec` for the
 * execve exit of the same thread: at that exit the old image's memory, where the syscall's
 * argument lived, is gone. */
struct exec_path {
	char path[MAX_STR];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct exec_path);
} exec_paths SEC(".maps");

/* Zeroed template to insert into exec_paths (a 4 KiB value cannot live on the BPF stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct exec_path);
} exec_path_zero SEC(".maps");

/* ---- record builder ---------------------------------------------------------------------------- */
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
	b->off = HDR_LEN + 2 * b->nparams;
	*(__u64 *)&b->buf[0] = bpf_ktime_get_boot_ns();
	*(__u64 *)&b->buf[8] = bpf_get_current_pid_tgid() & 0xffffffff;
	*(__u16 *)&b->buf[20] = type;
	*(__u32 *)&b->buf[22] = b->nparams;
	return true;
}

/* Records the length of the parameter just written and moves on. */
static __always_inline void builder_param_done(struct builder *b, __u32 len)
{
	__u32 at = HDR_LEN + 2 * (b->idx & (MAX_PARAMS - 1));
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
	*(__u32 *)&b->buf[16] = len;
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

/* ---- flag encodings ------------------------------------------------------------------------------ */
/* Linux open(2) flags to the PPM encoding the event table's O_* names use. */
static __always_inline __u32 open_flags_to_ppm(__u32 f)
{
	__u32 r = 0;
	switch (f & 3) {
	case 0: r |= 1 << 0; break;           /* O_RDONLY */
	case 1: r |= 1 << 1; break;           /* O_WRONLY */
	case 2: r |= (1 << 0) | (1 << 1); break; /* O_RDWR */
	}
	if (f & 0100) r |= 1 << 2;     /* O_CREAT */
	if (f & 02000) r |= 1 << 3;    /* O_APPEND */
	if (f & 010000) r |= 1 << 4;   /* O_DSYNC */
	if (f & 0200) r |= 1 << 5;     /* O_EXCL */
	if (f & 04000) r |= 1 << 6;    /* O_NONBLOCK */
	if ((f & 04010000) == 04010000) r |= 1 << 7; /* O_SYNC */
	if (f & 01000) r |= 1 << 8;    /* O_TRUNC */
	if (f & 040000) r |= 1 << 9;   /* O_DIRECT */
	if (f & 0200000) r |= 1 << 10; /* O_DIRECTORY */
	if (f & 0100000) r |= 1 << 11; /* O_LARGEFILE */
	if (f & 02000000) r |= 1 << 12; /* O_CLOEXEC */
	if ((f & 020200000) == 020200000) r |= 1 << 13; /* O_TMPFILE */
	return r;
}

/* ---- task facts -------------------------------------------------------------------------------- */
static __always_inline struct task_struct *current_task(void)
{
	return (struct task_struct *)bpf_get_current_task();
}

static __always_inline __s64 current_ptid(void)
{
	struct task_struct *t = current_task();
	return BPF_CORE_READ(t, real_parent, tgid);
}

/* Fills the parameters clone/fork/execve exits share, from `exe` to `vm_swap`. */
static __always_inline void push_process_head(struct builder *b, __s64 res)
{
	struct task_struct *t = current_task();
	unsigned long arg_start = BPF_CORE_READ(t, mm, arg_start);
	unsigned long arg_end = BPF_CORE_READ(t, mm, arg_end);
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	push_u64(b, (__u64)res);                       /* res */
	/* exe: argv[0] as the process sees it (the drivers' `exe`). */
	push_user_str(b, (const void *)arg_start);
	/* args: the rest of argv, NUL-separated. */
	{
		long first = bpf_probe_read_user_str(&b->buf[b->off & EVENT_MASK], MAX_STR, (const void *)arg_start);
		unsigned long rest = first > 0 ? arg_start + (unsigned long)first : arg_end;
		push_user_blob(b, rest, arg_end);
	}
	push_u64(b, pid_tgid & 0xffffffff);             /* tid */
	push_u64(b, pid_tgid >> 32);                    /* pid */
	push_u64(b, (__u64)current_ptid());             /* ptid */
	push_empty(b);                                  /* cwd: resolved by user space */
	push_empty(b);                                  /* fdlimit */
	push_empty(b);                                  /* pgft_maj */
	push_empty(b);                                  /* pgft_min */
	push_empty(b);                                  /* vm_size */
	push_empty(b);                                  /* vm_rss */
	push_empty(b);                                  /* vm_swap */
}

static __always_inline void push_comm(struct builder *b)
{
	char *dst = (char *)&b->buf[b->off & EVENT_MASK];
	if (bpf_get_current_comm(dst, 16) == 0) {
		/* The drivers write comm as a NUL-terminated string of its own length. */
		__u32 n = 0;
#pragma unroll
		for (int i = 0; i < 16; i++) {
			if (dst[i] == 0)
				break;
			n++;
		}
		builder_param_done(b, n + 1);
	} else {
		push_empty(b);
	}
}

/* ---- events -------------------------------------------------------------------------------------- */
static __always_inline void emit_generic(__u32 nr)
{
	struct builder b;
	if (!builder_begin(&b, PPME_GENERIC_X, 2))
		return;
	push_u16(&b, 0);       /* ID: no ppm_sc code from the kernel side */
	push_u16(&b, (__u16)nr); /* nativeID: user space names it from the syscall table */
	builder_submit(&b);
}

static __always_inline void emit_close(struct pt_regs *regs, long ret)
{
	struct builder b;
	if (!builder_begin(&b, PPME_SYSCALL_CLOSE_X, 2))
		return;
	push_u64(&b, (__u64)ret);
	push_u64(&b, (__u64)(__s64)(int)PT_REGS_PARM1_CORE_SYSCALL(regs));
	builder_submit(&b);
}

static __always_inline void emit_openat(struct pt_regs *regs, long ret, bool openat2)
{
	struct builder b;
	if (!builder_begin(&b, openat2 ? PPME_SYSCALL_OPENAT2_X : PPME_SYSCALL_OPENAT_2_X, openat2 ? 8 : 7))
		return;
	__s64 dirfd = (int)PT_REGS_PARM1_CORE_SYSCALL(regs);
	const void *path = (const void *)PT_REGS_PARM2_CORE_SYSCALL(regs);
	__u64 flags = 0, mode = 0, resolve = 0;
	if (openat2) {
		/* struct open_how { u64 flags; u64 mode; u64 resolve; } in user memory. */
		__u64 how[3] = {};
		const void *uhow = (const void *)PT_REGS_PARM3_CORE_SYSCALL(regs);
		if (bpf_probe_read_user(how, sizeof(how), uhow) == 0) {
			flags = how[0];
			mode = how[1];
			resolve = how[2];
		}
	} else {
		flags = PT_REGS_PARM3_CORE_SYSCALL(regs);
		mode = PT_REGS_PARM4_CORE_SYSCALL(regs);
	}
	/* O_F_CREATED (whether this call created the file) is not known at exit: left unset. */
	__u32 ppm_flags = open_flags_to_ppm((__u32)flags);
	push_u64(&b, (__u64)ret);     /* fd */
	push_u64(&b, (__u64)dirfd);   /* dirfd */
	push_user_str(&b, path);      /* name */
	push_u32(&b, ppm_flags);      /* flags */
	push_u32(&b, (__u32)mode);    /* mode */
	if (openat2)
		push_u32(&b, (__u32)resolve); /* resolve (raw RESOLVE_* bits) */
	push_empty(&b);               /* dev */
	push_empty(&b);               /* ino */
	builder_submit(&b);
}

static __always_inline void emit_clone(__u16 type, long ret)
{
	struct builder b;
	if (!builder_begin(&b, type, 21))
		return;
	struct task_struct *t = current_task();
	push_process_head(&b, ret);
	push_comm(&b);                                    /* comm */
	push_empty(&b);                                   /* cgroups */
	push_u32(&b, 0);                                  /* flags */
	push_u32(&b, BPF_CORE_READ(t, cred, uid.val));    /* uid */
	push_u32(&b, BPF_CORE_READ(t, cred, gid.val));    /* gid */
	push_empty(&b);                                   /* vtid */
	push_empty(&b);                                   /* vpid */
	push_empty(&b);                                   /* pidns_init_start_ts */
	builder_submit(&b);
}

static __always_inline void emit_execve(long ret)
{
	struct builder b;
	if (!builder_begin(&b, PPME_SYSCALL_EXECVE_19_X, 31))
		return;
	struct task_struct *t = current_task();
	push_process_head(&b, ret);
	push_comm(&b);                                              /* comm */
	push_empty(&b);                                             /* cgroups */
	push_user_blob(&b, BPF_CORE_READ(t, mm, env_start), BPF_CORE_READ(t, mm, env_end)); /* env */
	push_empty(&b);                                             /* tty */
	push_empty(&b);                                             /* vpgid */
	push_u32(&b, BPF_CORE_READ(t, loginuid.val));               /* loginuid */
	push_u32(&b, 0);                                            /* flags */
	push_u64(&b, BPF_CORE_READ(t, cred, cap_inheritable.val));  /* cap_inheritable */
	push_u64(&b, BPF_CORE_READ(t, cred, cap_permitted.val));    /* cap_permitted */
	push_u64(&b, BPF_CORE_READ(t, cred, cap_effective.val));    /* cap_effective */
	push_empty(&b);                                             /* exe_ino */
	push_empty(&b);                                             /* exe_ino_ctime */
	push_empty(&b);                                             /* exe_ino_mtime */
	push_u32(&b, BPF_CORE_READ(t, cred, uid.val));              /* uid */
	push_empty(&b);                                             /* trusted_exepath */
	push_empty(&b);                                             /* pgid */
	push_u32(&b, BPF_CORE_READ(t, cred, gid.val));              /* gid */
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct exec_path *ep = bpf_map_lookup_elem(&exec_paths, &tid);
	if (ep && ret == 0) {
		long n = bpf_probe_read_kernel_str(&b.buf[b.off & EVENT_MASK], MAX_STR, ep->path);
		count_read(&b, n, MAX_STR);
		builder_param_done(&b, n > 0 ? (__u32)n & (MAX_STR * 2 - 1) : 0); /* filename */
	} else {
		push_empty(&b);                                     /* filename */
	}
	if (ep)
		bpf_map_delete_elem(&exec_paths, &tid);
	builder_submit(&b);
}

/* ---- programs ------------------------------------------------------------------------------------ */
SEC("raw_tp/sys_exit")
int BPF_PROG(rulec_sys_exit, struct pt_regs *regs, long ret)
{
	/* Cheapest checks first: our own process, then the syscall table. */
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	if ((__u32)(pid_tgid >> 32) == self_tgid)
		return 0;
	long id = BPF_CORE_READ(regs, orig_ax);
	if (id < 0 || id >= SYSCALL_TABLE_SIZE)
		return 0;
	__u32 key = (__u32)id;
	__u8 *want = bpf_map_lookup_elem(&interesting, &key);
	if (!want || !*want)
		return 0;

	switch (id) {
	case NR_openat:
		emit_openat(regs, ret, false);
		break;
	case NR_openat2:
		emit_openat(regs, ret, true);
		break;
	case NR_close:
		emit_close(regs, ret);
		break;
	case NR_clone:
		emit_clone(PPME_SYSCALL_CLONE_20_X, ret);
		break;
	case NR_clone3:
		emit_clone(PPME_SYSCALL_CLONE3_X, ret);
		break;
	case NR_fork:
		emit_clone(PPME_SYSCALL_FORK_20_X, ret);
		break;
	case NR_vfork:
		emit_clone(PPME_SYSCALL_VFORK_20_X, ret);
		break;
	case NR_execve:
	case NR_execveat:
		emit_execve(ret);
		break;
	default:
		emit_generic(key);
	}
	return 0;
}

/* A successful exec: remember the path it ran for the execve exit that follows. */
SEC("raw_tp/sched_process_exec")
int BPF_PROG(rulec_sched_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	if ((__u32)(pid_tgid >> 32) == self_tgid)
		return 0;
	__u32 zero = 0;
	struct exec_path *tmpl = bpf_map_lookup_elem(&exec_path_zero, &zero);
	if (!tmpl)
		return 0;
	__u32 tid = (__u32)pid_tgid;
	if (bpf_map_update_elem(&exec_paths, &tid, tmpl, BPF_ANY) != 0)
		return 0;
	struct exec_path *ep = bpf_map_lookup_elem(&exec_paths, &tid);
	if (!ep)
		return 0;
	const char *filename = BPF_CORE_READ(bprm, filename);
	bpf_probe_read_kernel_str(ep->path, MAX_STR, filename);
	return 0;
}

/* The end of a task: the state machine removes the thread. */
SEC("raw_tp/sched_process_exit")
int BPF_PROG(rulec_sched_exit, struct task_struct *p)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	if ((__u32)(pid_tgid >> 32) == self_tgid)
		return 0;
	struct builder b;
	if (!builder_begin(&b, PPME_PROCEXIT_1_E, 5))
		return 0;
	struct task_struct *t = current_task();
	int code = BPF_CORE_READ(t, exit_code);
	push_u64(&b, (__u64)(__s64)code);            /* status */
	push_u64(&b, (__u64)(__s64)(code >> 8));     /* ret */
	push_u8(&b, (__u8)(code & 0x7f));            /* sig */
	push_u8(&b, (__u8)((code & 0x80) != 0));     /* core */
	push_u64(&b, 0);                             /* reaper_tid: user space decides */
	builder_submit(&b);
	return 0;
}
