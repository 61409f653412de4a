// SPDX-License-Identifier: GPL-2.0-only
/*
 * rulec's eBPF probe: syscall and process-lifecycle events, written in the `.scap` event layout
 * (builder.h; the layout, the event ids and the syscall numbers come from scap_gen.h, generated
 * from rulec-schema), into one ring buffer per CPU. User space decodes ring-buffer records with
 * the same decoder that reads capture files.
 *
 * Hot path first: every syscall entry and exit on the host runs `rulec_sys_enter` /
 * `rulec_sys_exit`; before anything else they look the syscall number up in `interesting`
 * (filled by user space from the loaded rules and the state machine's needs; an array lookup
 * the verifier inlines) and then skip rulec's own process (`self_tgid`). An unneeded syscall
 * costs a few instructions.
 *
 * TOCTOU: paths, names and socket addresses that user space could change while the syscall runs
 * are copied at entry into `stash` (keyed by thread) by `rulec_sys_enter`, and the exit event
 * uses that copy. Without one (the entry ran before the probe was attached, the LRU map evicted
 * it, or the page holding the string was not resident at entry) the exit reads user memory
 * itself and counts `n_enter_missing`.
 *
 * 32-bit (ia32) syscalls are not captured: their numbers are not x86_64 numbers (ia32 `read` is
 * 3, x86_64's `close`), so after the table lookup a syscall made in compat mode is skipped and
 * counted in `n_compat`, which `rulec run` reports.
 *
 * The event ids, parameter lists and flag encodings follow the shared event table
 * (compiler/schema, libs master, the newest row of each event).
 */
#include "kernel_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "scap_gen.h"
#include "builder.h"
#include "net.h"
#include "paths.h"

char LICENSE[] SEC("license") = "GPL";

/* Syscall numbers above this are not looked up (x86_64 has fewer). */
#define SYSCALL_TABLE_SIZE 512
/* x86 `thread_info.status` bit: a 32-bit syscall is running. */
#define TS_COMPAT 0x0002
#define AT_FDCWD -100
/* The sixth syscall argument (r9 on x86_64): libbpf 1.1 has no PT_REGS_PARM6_CORE_SYSCALL. */
#define SYSCALL_PARM6(regs) BPF_CORE_READ((regs), r9)

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

/* Arguments copied at syscall entry, for the exit of the same thread: up to two strings (or a
 * raw sockaddr / struct open_how in `s0`), with the lengths the reads returned (<= 0: none). */
struct stash {
	__u32 nr;
	__s32 len0;
	__s32 len1;
	__u32 pad;
	__u8 s0[MAX_STR];
	__u8 s1[MAX_STR];
};

/* LRU: an entry whose exit never comes (the thread died in the syscall) ages out by itself. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 512);
	__type(key, __u32);
	__type(value, struct stash);
} stash SEC(".maps");

/* Zeroed template to insert into `stash` (an 8 KiB value cannot live on the BPF stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stash);
} stash_zero SEC(".maps");

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


/* Linux ptrace requests to the PPM enum the event table's PTRACE_* names use. */
static __always_inline __u16 ptrace_request_to_ppm(long r)
{
	switch (r) {
	case 0: return 1;       /* TRACEME */
	case 1: return 2;       /* PEEKTEXT */
	case 2: return 3;       /* PEEKDATA */
	case 3: return 4;       /* PEEKUSR */
	case 4: return 5;       /* POKETEXT */
	case 5: return 6;       /* POKEDATA */
	case 6: return 7;       /* POKEUSR */
	case 7: return 8;       /* CONT */
	case 8: return 9;       /* KILL */
	case 9: return 10;      /* SINGLESTEP */
	case 12: return 26;     /* GETREGS */
	case 13: return 27;     /* SETREGS */
	case 14: return 28;     /* GETFPREGS */
	case 15: return 29;     /* SETFPREGS */
	case 16: return 11;     /* ATTACH */
	case 17: return 12;     /* DETACH */
	case 18: return 30;     /* GETFPXREGS */
	case 19: return 31;     /* SETFPXREGS */
	case 24: return 13;     /* SYSCALL */
	case 25: return 33;     /* GET_THREAD_AREA */
	case 26: return 34;     /* SET_THREAD_AREA */
	case 30: return 35;     /* ARCH_PRCTL */
	case 31: return 36;     /* SYSEMU */
	case 32: return 37;     /* SYSEMU_SINGLESTEP */
	case 33: return 38;     /* SINGLEBLOCK */
	case 0x4200: return 14; /* SETOPTIONS */
	case 0x4201: return 15; /* GETEVENTMSG */
	case 0x4202: return 16; /* GETSIGINFO */
	case 0x4203: return 17; /* SETSIGINFO */
	case 0x4204: return 18; /* GETREGSET */
	case 0x4205: return 19; /* SETREGSET */
	case 0x4206: return 20; /* SEIZE */
	case 0x4207: return 21; /* INTERRUPT */
	case 0x4208: return 22; /* LISTEN */
	case 0x4209: return 23; /* PEEKSIGINFO */
	case 0x420a: return 24; /* GETSIGMASK */
	case 0x420b: return 25; /* SETSIGMASK */
	default: return 0;      /* UNKNOWN */
	}
}

/* Linux fcntl commands to the PPM enum (PPM_FCNTL_*). */
static __always_inline __u8 fcntl_cmd_to_ppm(long c)
{
	switch (c) {
	case 0: return 1;     /* F_DUPFD */
	case 1: return 2;     /* F_GETFD */
	case 2: return 3;     /* F_SETFD */
	case 3: return 4;     /* F_GETFL */
	case 4: return 5;     /* F_SETFL */
	case 5: return 6;     /* F_GETLK */
	case 6: return 8;     /* F_SETLK */
	case 7: return 9;     /* F_SETLKW */
	case 8: return 10;    /* F_SETOWN */
	case 9: return 12;    /* F_GETOWN */
	case 10: return 13;   /* F_SETSIG */
	case 11: return 15;   /* F_GETSIG */
	case 15: return 21;   /* F_SETOWN_EX */
	case 16: return 22;   /* F_GETOWN_EX */
	case 36: return 30;   /* F_OFD_GETLK */
	case 37: return 31;   /* F_OFD_SETLK */
	case 38: return 32;   /* F_OFD_SETLKW */
	case 1024: return 23; /* F_SETLEASE */
	case 1025: return 24; /* F_GETLEASE */
	case 1026: return 27; /* F_NOTIFY */
	case 1030: return 26; /* F_DUPFD_CLOEXEC */
	case 1031: return 28; /* F_SETPIPE_SZ */
	case 1032: return 29; /* F_GETPIPE_SZ */
	default: return 0;    /* UNKNOWN */
	}
}

/* Socket type flags (SOCK_NONBLOCK = O_NONBLOCK, SOCK_CLOEXEC = O_CLOEXEC) as PPM open flags. */
static __always_inline __u32 sock_flags_to_ppm(__u32 type)
{
	return open_flags_to_ppm(type & (04000 | 02000000)) & ~(__u32)1;
}

/* chmod-style modes: the PPM_S_* bits are the kernel's 12 permission bits. */
#define MODE_MASK 07777

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

/* The number of `pid` in the task's own pid namespace (its deepest level). The entry's address
 * is computed from CO-RE offsets: `numbers` is a flexible array in the kernel. */
static __always_inline __s64 pid_nr_in_own_ns(struct pid *pid)
{
	if (!pid)
		return 0;
	unsigned int level = BPF_CORE_READ(pid, level);
	if (level > 32)
		return 0;
	unsigned long at = (unsigned long)pid + bpf_core_field_offset(struct pid, numbers) +
			   (unsigned long)level * bpf_core_type_size(struct upid) + bpf_core_field_offset(struct upid, nr);
	int nr = 0;
	bpf_probe_read_kernel(&nr, sizeof(nr), (const void *)at);
	return nr;
}

/* The host-namespace number of `pid` (numbers[0]). */
static __always_inline __s64 pid_nr_in_host(struct pid *pid)
{
	return pid ? BPF_CORE_READ(pid, numbers[0].nr) : 0;
}

/* PIDTYPE_PGID in `signal->pids`. */
#define PIDTYPE_PGID 2

/* The controlling terminal as the drivers encode it (new_encode_dev of major, minor), 0 for none. */
static __always_inline __u32 task_tty(struct task_struct *t)
{
	struct tty_struct *tty = BPF_CORE_READ(t, signal, tty);
	if (!tty)
		return 0;
	__u32 major = BPF_CORE_READ(tty, driver, major);
	__u32 minor = BPF_CORE_READ(tty, driver, minor_start) + BPF_CORE_READ(tty, index);
	return (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xffu) << 12);
}

/* Fills the parameters clone/fork/execve exits share, from `exe` to `vm_swap`; `cwd` walks the
 * working directory (exec only: a clone child has its parent's, which user space copies). */
static __always_inline void push_process_head(struct builder *b, __s64 res, bool cwd)
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
	if (cwd) {
		struct fs_struct *fs = BPF_CORE_READ(t, fs);
		if (fs)
			push_path_of(b, __builtin_preserve_access_index(&fs->pwd)); /* cwd */
		else
			push_empty(b);
	} else {
		push_empty(b);                          /* cwd: the parent's */
	}
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

#include "syscalls.h"
#include "admin.h"
#include "io.h"

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

/* FMODE_CREATED (include/linux/fs.h, since 4.19): the open that made this file created it. */
#define FMODE_CREATED 0x100000

/* PPM_O_F_CREATED when the open that returned `fd` created its file (asked with O_CREAT in the
 * Linux `flags`), read from the new file's mode as the drivers do; 0 otherwise. */
static __always_inline __u32 created_flag(long fd, __u32 flags)
{
	if (fd < 0 || !(flags & 0100))
		return 0;
	struct file *f = fd_file(fd);
	return f && (BPF_CORE_READ(f, f_mode) & FMODE_CREATED) ? 1 << 14 : 0;
}

static __always_inline void emit_openat(struct pt_regs *regs, long ret, bool openat2, struct stash *st)
{
	struct builder b;
	if (!builder_begin(&b, openat2 ? PPME_SYSCALL_OPENAT2_X : PPME_SYSCALL_OPENAT_2_X, openat2 ? 8 : 7))
		return;
	__s64 dirfd = (int)PT_REGS_PARM1_CORE_SYSCALL(regs);
	const void *path = (const void *)PT_REGS_PARM2_CORE_SYSCALL(regs);
	__u64 flags = 0, mode = 0, resolve = 0;
	if (openat2) {
		/* struct open_how { u64 flags; u64 mode; u64 resolve; }: the kernel copied it at entry. */
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
	__u32 ppm_flags = open_flags_to_ppm((__u32)flags) | created_flag(ret, (__u32)flags);
	push_u64(&b, (__u64)ret);     /* fd */
	push_u64(&b, (__u64)dirfd);   /* dirfd */
	push_path0(&b, st, path);     /* name, as it was at entry */
	push_u32(&b, ppm_flags);      /* flags */
	push_u32(&b, (__u32)mode);    /* mode */
	if (openat2)
		push_u32(&b, (__u32)resolve); /* resolve (raw RESOLVE_* bits) */
	push_empty(&b);               /* dev */
	push_empty(&b);               /* ino */
	builder_submit(&b);
}

/* open(2) and creat(2), the forms without a directory fd (musl's open() still makes the first;
 * creat is open with O_CREAT|O_WRONLY|O_TRUNC): the path as it was at entry. */
static __always_inline void emit_open(struct pt_regs *regs, long ret, bool creat, struct stash *st)
{
	struct builder b;
	if (!builder_begin(&b, creat ? PPME_SYSCALL_CREAT_X : PPME_SYSCALL_OPEN_X, 6))
		return;
	const void *path = (const void *)PT_REGS_PARM1_CORE_SYSCALL(regs);
	push_u64(&b, (__u64)ret);   /* fd */
	push_path0(&b, st, path);   /* name */
	if (creat) {
		push_u32(&b, (__u32)PT_REGS_PARM2_CORE_SYSCALL(regs)); /* mode */
		push_empty(&b);                                        /* dev */
		push_empty(&b);                                        /* ino */
		push_empty(&b);                                        /* creat_flags */
	} else {
		__u32 flags = (__u32)PT_REGS_PARM2_CORE_SYSCALL(regs);
		push_u32(&b, open_flags_to_ppm(flags) | created_flag(ret, flags)); /* flags */
		push_u32(&b, (__u32)PT_REGS_PARM3_CORE_SYSCALL(regs));                     /* mode */
		push_empty(&b);                                                            /* dev */
		push_empty(&b);                                                            /* ino */
	}
	builder_submit(&b);
}

/* clone3's CLONE_INTO_CGROUP: the child starts in the cgroup the caller named. */
#define CLONE_INTO_CGROUP 0x200000000ULL

/* clone, clone3, fork, vfork. `flags` are the caller's CLONE_* flags (none for fork and vfork).
 * The child's cgroups are its parent's, which user space copies, except after clone3 with
 * CLONE_INTO_CGROUP: the child's own exit then walks them (it runs in its new cgroup by then). */
static __always_inline void emit_clone(__u16 type, long ret, __u64 flags)
{
	struct builder b;
	if (!builder_begin(&b, type, 21))
		return;
	struct task_struct *t = current_task();
	push_process_head(&b, ret, false);
	push_comm(&b);                                    /* comm */
	if (ret == 0 && (flags & CLONE_INTO_CGROUP))
		push_cgroups(&b, t);                      /* cgroups: the child's own */
	else
		push_empty(&b);                           /* cgroups: the parent's */
	push_u32(&b, clone_flags_to_ppm(flags));          /* flags */
	push_u32(&b, BPF_CORE_READ(t, cred, uid.val));    /* uid */
	push_u32(&b, BPF_CORE_READ(t, cred, gid.val));    /* gid */
	push_u64(&b, pid_nr_in_own_ns(BPF_CORE_READ(t, thread_pid)));                /* vtid */
	push_u64(&b, pid_nr_in_own_ns(BPF_CORE_READ(t, group_leader, thread_pid)));  /* vpid */
	push_empty(&b);                                   /* pidns_init_start_ts */
	builder_submit(&b);
}

/* overlayfs's magic (include/uapi/linux/magic.h). */
#define OVERLAYFS_SUPER_MAGIC 0x794c7630

/* For an executable on overlayfs, PPM_EXE_UPPER_LAYER when the file has a copy in the upper
 * layer (added or changed since the image was made: what "Drop and execute new binary in
 * container" looks for), else PPM_EXE_LOWER_LAYER; 0 elsewhere. An overlay inode
 * (fs/overlayfs/ovl_entry.h, `struct ovl_inode`) holds its upper dentry, null without one, in
 * the word after the VFS inode it embeds; the size of that inode is the kernel's, from BTF. */
static __always_inline __u32 exe_layer(struct file *exe)
{
	struct inode *ino = BPF_CORE_READ(exe, f_path.dentry, d_inode);
	if (!ino || BPF_CORE_READ(ino, i_sb, s_magic) != OVERLAYFS_SUPER_MAGIC)
		return 0;
	struct dentry *upper = NULL;
	if (bpf_probe_read_kernel(&upper, sizeof(upper), (const char *)ino + bpf_core_type_size(struct inode)) != 0)
		return 0;
	return upper && BPF_CORE_READ(upper, d_inode) ? 1 << 1 : 1 << 3;
}

/* PPM_EXE_* flags of the running executable: its overlayfs layer (`exe_layer`), or
 * EXE_FROM_MEMFD when it is a memfd (its dentry is named "memfd:NAME", as memfd_create names
 * them). */
static __always_inline __u32 exe_flags(struct file *exe)
{
	char name[8] = {};
	if (!exe)
		return 0;
	__u32 layer = exe_layer(exe);
	if (layer)
		return layer;
	const unsigned char *n = BPF_CORE_READ(exe, f_path.dentry, d_name.name);
	if (bpf_probe_read_kernel(name, 6, n) != 0)
		return 0;
	if (name[0] == 'm' && name[1] == 'e' && name[2] == 'm' && name[3] == 'f' && name[4] == 'd' && name[5] == ':')
		return 1 << 2; /* PPM_EXE_FROM_MEMFD */
	return 0;
}

/* Nanoseconds since the epoch of a time the kernel keeps as seconds and nanoseconds; 0 (absent)
 * for one before the epoch. */
static __always_inline __u64 epoch_ns(long long sec, long nsec)
{
	return sec > 0 ? (__u64)sec * 1000000000ULL + (__u64)nsec : 0;
}

/* An inode's change time (`ctime`) or modification time, in ns since the epoch, whichever
 * layout this kernel has (kernel_types.h); 0 when it has none the probe knows. */
static __always_inline __u64 inode_time(struct inode *ino, bool change)
{
	if (bpf_core_field_exists(struct inode___times_split, i_ctime_sec)) {
		struct inode___times_split *t = (void *)ino;
		return change ? epoch_ns(BPF_CORE_READ(t, i_ctime_sec), BPF_CORE_READ(t, i_ctime_nsec))
			      : epoch_ns(BPF_CORE_READ(t, i_mtime_sec), BPF_CORE_READ(t, i_mtime_nsec));
	}
	struct inode___times_hidden *h = (void *)ino;
	struct inode___times_plain *p = (void *)ino;
	if (change && bpf_core_field_exists(struct inode___times_hidden, __i_ctime))
		return epoch_ns(BPF_CORE_READ(h, __i_ctime.tv_sec), BPF_CORE_READ(h, __i_ctime.tv_nsec));
	if (!change && bpf_core_field_exists(struct inode___times_hidden, __i_mtime))
		return epoch_ns(BPF_CORE_READ(h, __i_mtime.tv_sec), BPF_CORE_READ(h, __i_mtime.tv_nsec));
	if (change && bpf_core_field_exists(struct inode___times_plain, i_ctime))
		return epoch_ns(BPF_CORE_READ(p, i_ctime.tv_sec), BPF_CORE_READ(p, i_ctime.tv_nsec));
	if (!change && bpf_core_field_exists(struct inode___times_plain, i_mtime))
		return epoch_ns(BPF_CORE_READ(p, i_mtime.tv_sec), BPF_CORE_READ(p, i_mtime.tv_nsec));
	return 0;
}

/* A time as an ABSTIME parameter, empty when unknown (0). */
static __always_inline void push_time(struct builder *b, __u64 ns)
{
	if (ns)
		push_u64(b, ns);
	else
		push_empty(b);
}

/* The path the kernel gives a program run from a memfd ("/memfd:NAME (deleted)", as d_path
 * writes it), built from its dentry's name. */
static __always_inline void push_memfd_exepath(struct builder *b, struct file *exe)
{
	const unsigned char *n = BPF_CORE_READ(exe, f_path.dentry, d_name.name);
	b->buf[b->off & EVENT_MASK] = '/';
	long r = bpf_probe_read_kernel_str(&b->buf[(b->off + 1) & EVENT_MASK], 256, n);
	if (r <= 1) {
		push_empty(b);
		return;
	}
	__u32 len = 1 + (((__u32)r - 1) & 0xff);
	const char tail[] = " (deleted)";
#pragma unroll
	for (int i = 0; i < (int)sizeof(tail); i++)
		b->buf[(b->off + len + i) & EVENT_MASK] = tail[i];
	builder_param_done(b, len + sizeof(tail));
}

static __always_inline void emit_execve(long ret)
{
	struct builder b;
	if (!builder_begin(&b, PPME_SYSCALL_EXECVE_19_X, 31))
		return;
	struct task_struct *t = current_task();
	push_process_head(&b, ret, true);
	push_comm(&b);                                              /* comm */
	push_cgroups(&b, t);                                        /* cgroups */
	push_user_blob(&b, BPF_CORE_READ(t, mm, env_start), BPF_CORE_READ(t, mm, env_end)); /* env */
	struct pid *pgrp = BPF_CORE_READ(t, signal, pids[PIDTYPE_PGID]);
	push_u32(&b, task_tty(t));                                  /* tty */
	push_u64(&b, pid_nr_in_own_ns(pgrp));                       /* vpgid */
	push_u32(&b, BPF_CORE_READ(t, loginuid.val));               /* loginuid */
	struct file *exe = BPF_CORE_READ(t, mm, exe_file);
	__u32 xflags = exe_flags(exe);
	push_u32(&b, xflags);                                       /* flags */
	push_u64(&b, BPF_CORE_READ(t, cred, cap_inheritable.val));  /* cap_inheritable */
	push_u64(&b, BPF_CORE_READ(t, cred, cap_permitted.val));    /* cap_permitted */
	push_u64(&b, BPF_CORE_READ(t, cred, cap_effective.val));    /* cap_effective */
	if (exe)
		push_u64(&b, BPF_CORE_READ(exe, f_inode, i_ino));   /* exe_ino */
	else
		push_empty(&b);
	struct inode *exe_inode = exe ? BPF_CORE_READ(exe, f_inode) : NULL;
	push_time(&b, exe_inode ? inode_time(exe_inode, true) : 0);  /* exe_ino_ctime */
	push_time(&b, exe_inode ? inode_time(exe_inode, false) : 0); /* exe_ino_mtime */
	push_u32(&b, BPF_CORE_READ(t, cred, uid.val));              /* uid */
	if (xflags & (1 << 2))
		push_memfd_exepath(&b, exe);                        /* trusted_exepath */
	else if (exe)
		push_path_of(&b, __builtin_preserve_access_index(&exe->f_path)); /* trusted_exepath */
	else
		push_empty(&b);
	push_u64(&b, pid_nr_in_host(pgrp));                         /* pgid */
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
/* Whether the current syscall runs in 32-bit compat mode (its number is an ia32 number). */
static __always_inline bool in_compat_syscall(void)
{
	struct task_struct *t = current_task();
	return (BPF_CORE_READ(t, thread_info.status) & TS_COMPAT) != 0;
}

/* The syscall table says whether anyone needs syscall `id`. */
static __always_inline bool wanted(long id)
{
	if (id < 0 || id >= SYSCALL_TABLE_SIZE)
		return false;
	__u32 key = (__u32)id;
	__u8 *want = bpf_map_lookup_elem(&interesting, &key);
	return want && *want;
}

/* Entry: copy the arguments user space could change before the exit reads them. */
SEC("raw_tp/sys_enter")
int BPF_PROG(rulec_sys_enter, struct pt_regs *regs, long id)
{
	/* The table first (an inlined array access), then our own pid (a helper call). */
	if (!wanted(id))
		return 0;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	if ((__u32)(pid_tgid >> 32) == self_tgid)
		return 0;
	const void *p0 = NULL, *p1 = NULL;
	long raw0 = -1; /* >= 0: copy this many bytes of p0 as they are (a sockaddr) */
	switch (id) {
	case NR_openat:
	case NR_openat2:
	case NR_unlinkat:
	case NR_fchmodat:
	case NR_mkdirat:
		p0 = (const void *)PT_REGS_PARM2_CORE_SYSCALL(regs);
		break;
	case NR_open:
	case NR_creat:
	case NR_unlink:
	case NR_chmod:
	case NR_mkdir:
	case NR_chdir:
	case NR_chroot:
	case NR_rmdir:
	case NR_memfd_create:
		p0 = (const void *)PT_REGS_PARM1_CORE_SYSCALL(regs);
		break;
	case NR_umount2:
		p0 = (const void *)PT_REGS_PARM1_CORE_SYSCALL(regs);
		break;
	case NR_rename:
	case NR_link:
	case NR_symlink:
	case NR_mount:
		p0 = (const void *)PT_REGS_PARM1_CORE_SYSCALL(regs);
		p1 = (const void *)PT_REGS_PARM2_CORE_SYSCALL(regs);
		break;
	case NR_symlinkat:
		p0 = (const void *)PT_REGS_PARM1_CORE_SYSCALL(regs);
		p1 = (const void *)PT_REGS_PARM3_CORE_SYSCALL(regs);
		break;
	case NR_renameat:
	case NR_renameat2:
	case NR_linkat:
		p0 = (const void *)PT_REGS_PARM2_CORE_SYSCALL(regs);
		p1 = (const void *)PT_REGS_PARM4_CORE_SYSCALL(regs);
		break;
	case NR_connect:
	case NR_bind:
		p0 = (const void *)PT_REGS_PARM2_CORE_SYSCALL(regs);
		raw0 = (long)(int)PT_REGS_PARM3_CORE_SYSCALL(regs);
		break;
	case NR_sendto:
		p0 = (const void *)PT_REGS_PARM5_CORE_SYSCALL(regs);
		raw0 = (long)(int)SYSCALL_PARM6(regs);
		if (!p0)
			return 0;
		break;
	case NR_sendmsg: {
		/* The destination is the msghdr's `msg_name` (8 bytes) and `msg_namelen` (an int). */
		__u64 head[2] = {};
		if (bpf_probe_read_user(head, sizeof(head), (const void *)PT_REGS_PARM2_CORE_SYSCALL(regs)) != 0 ||
		    !head[0])
			return 0;
		p0 = (const void *)head[0];
		raw0 = (long)(int)(__u32)head[1];
		break;
	}
	default:
		return 0;
	}
	if (in_compat_syscall())
		return 0;
	__u32 tid = (__u32)pid_tgid;
	struct stash *st = bpf_map_lookup_elem(&stash, &tid);
	if (!st) {
		__u32 zero = 0;
		struct stash *tmpl = bpf_map_lookup_elem(&stash_zero, &zero);
		if (!tmpl || bpf_map_update_elem(&stash, &tid, tmpl, BPF_ANY) != 0)
			return 0;
		st = bpf_map_lookup_elem(&stash, &tid);
		if (!st)
			return 0;
	}
	struct counters *cnt = counters_get();
	st->nr = (__u32)id;
	st->len1 = 0;
	if (raw0 >= 0) {
		__u32 n = raw0 > MAX_SOCKADDR ? MAX_SOCKADDR : (__u32)raw0;
		asm volatile("%0 &= 255" : "+r"(n));
		long r = n > 0 && n <= MAX_SOCKADDR ? bpf_probe_read_user(st->s0, n, p0) : -1;
		st->len0 = r == 0 ? (__s32)n : 0;
		if (r != 0 && cnt && n > 0)
			__sync_fetch_and_add(&cnt->n_read_faults, 1);
		return 0;
	}
	/* A string that cannot be read here (a page not resident yet) is read again at exit. */
	long n = p0 ? bpf_probe_read_user_str(st->s0, MAX_STR, p0) : -1;
	st->len0 = (__s32)n;
	if (cnt && n >= MAX_STR)
		__sync_fetch_and_add(&cnt->n_truncated, 1);
	if (p1) {
		n = bpf_probe_read_user_str(st->s1, MAX_STR, p1);
		st->len1 = (__s32)n;
		if (cnt && n >= MAX_STR)
			__sync_fetch_and_add(&cnt->n_truncated, 1);
	}
	return 0;
}

/* The entry-side copy of this thread's current syscall, if there is one. */
static __always_inline struct stash *stash_for(__u32 tid, long id)
{
	struct stash *st = bpf_map_lookup_elem(&stash, &tid);
	return st && st->nr == (__u32)id ? st : NULL;
}

/* Exit: one record per syscall anyone needs. A BTF-typed tracepoint (`tp_btf`), unlike the
 * entry's raw one: `regs` is then a typed kernel pointer, so the syscall number is one direct
 * load instead of a `bpf_probe_read_kernel` call, which every syscall on the host would pay. */
SEC("tp_btf/sys_exit")
int BPF_PROG(rulec_sys_exit, struct pt_regs *regs, long ret)
{
	/* Cheapest checks first: the syscall table (an inlined array access), then our own pid. */
	long id = regs->orig_ax;
	if (!wanted(id))
		return 0;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	if ((__u32)(pid_tgid >> 32) == self_tgid)
		return 0;
	if (in_compat_syscall()) {
		struct counters *cnt = counters_get();
		if (cnt)
			__sync_fetch_and_add(&cnt->n_compat, 1);
		return 0;
	}
	__u32 tid = (__u32)pid_tgid;
	struct stash *st = NULL;

	switch (id) {
	case NR_openat:
	case NR_openat2:
		st = stash_for(tid, id);
		emit_openat(regs, ret, id == NR_openat2, st);
		break;
	case NR_open:
	case NR_creat:
		st = stash_for(tid, id);
		emit_open(regs, ret, id == NR_creat, st);
		break;
	case NR_open_by_handle_at:
		emit_open_by_handle_at(regs, ret);
		break;
	case NR_close:
		emit_close(regs, ret);
		break;
	case NR_clone:
		emit_clone(PPME_SYSCALL_CLONE_20_X, ret, PT_REGS_PARM1_CORE_SYSCALL(regs));
		break;
	case NR_clone3: {
		/* struct clone_args starts with the u64 flags; the kernel copied it at entry. */
		__u64 cflags = 0;
		bpf_probe_read_user(&cflags, sizeof(cflags), (const void *)PT_REGS_PARM1_CORE_SYSCALL(regs));
		emit_clone(PPME_SYSCALL_CLONE3_X, ret, cflags);
		break;
	}
	case NR_fork:
		emit_clone(PPME_SYSCALL_FORK_20_X, ret, 0);
		break;
	case NR_vfork:
		emit_clone(PPME_SYSCALL_VFORK_20_X, ret, 0);
		break;
	case NR_execve:
	case NR_execveat:
		emit_execve(ret);
		break;
	case NR_unlink:
		st = stash_for(tid, id);
		emit_res_path(PPME_SYSCALL_UNLINK_2_X, regs, ret, st, 0);
		break;
	case NR_chdir:
		st = stash_for(tid, id);
		emit_res_path(PPME_SYSCALL_CHDIR_X, regs, ret, st, 0);
		break;
	case NR_chmod:
		st = stash_for(tid, id);
		emit_res_path(PPME_SYSCALL_CHMOD_X, regs, ret, st, 1);
		break;
	case NR_mkdir:
		st = stash_for(tid, id);
		emit_res_path(PPME_SYSCALL_MKDIR_2_X, regs, ret, st, 2);
		break;
	case NR_unlinkat:
		st = stash_for(tid, id);
		emit_res_dirfd_path(PPME_SYSCALL_UNLINKAT_2_X, regs, ret, st, false);
		break;
	case NR_fchmodat:
		st = stash_for(tid, id);
		emit_res_dirfd_path(PPME_SYSCALL_FCHMODAT_X, regs, ret, st, true);
		break;
	case NR_mkdirat:
		st = stash_for(tid, id);
		emit_res_dirfd_path(PPME_SYSCALL_MKDIRAT_X, regs, ret, st, false);
		break;
	case NR_fchmod:
		emit_fchmod(regs, ret);
		break;
	case NR_rename:
		st = stash_for(tid, id);
		emit_rename(PPME_SYSCALL_RENAME_X, regs, ret, st);
		break;
	case NR_link:
		st = stash_for(tid, id);
		emit_rename(PPME_SYSCALL_LINK_2_X, regs, ret, st);
		break;
	case NR_linkat:
		st = stash_for(tid, id);
		emit_renameat(PPME_SYSCALL_LINKAT_2_X, regs, ret, st, true);
		break;
	case NR_rmdir:
		st = stash_for(tid, id);
		emit_res_path(PPME_SYSCALL_RMDIR_2_X, regs, ret, st, 0);
		break;
	case NR_init_module:
		emit_init_module(regs, ret, false);
		break;
	case NR_finit_module:
		emit_init_module(regs, ret, true);
		break;
	case NR_process_vm_readv:
		emit_process_vm(PPME_SYSCALL_PROCESS_VM_READV_X, regs, ret);
		break;
	case NR_process_vm_writev:
		emit_process_vm(PPME_SYSCALL_PROCESS_VM_WRITEV_X, regs, ret);
		break;
	case NR_renameat:
	case NR_renameat2:
		st = stash_for(tid, id);
		emit_renameat(id == NR_renameat2 ? PPME_SYSCALL_RENAMEAT2_X : PPME_SYSCALL_RENAMEAT_X, regs, ret, st, id == NR_renameat2);
		break;
	case NR_dup:
		emit_dup(PPME_SYSCALL_DUP_1_X, regs, ret, 1);
		break;
	case NR_dup2:
		emit_dup(PPME_SYSCALL_DUP2_X, regs, ret, 2);
		break;
	case NR_dup3:
		emit_dup(PPME_SYSCALL_DUP3_X, regs, ret, 3);
		break;
	case NR_fcntl:
		emit_fcntl(regs, ret);
		break;
	case NR_pipe:
	case NR_pipe2:
		emit_pipe(regs, ret, id == NR_pipe2);
		break;
	case NR_memfd_create:
		st = stash_for(tid, id);
		emit_memfd_create(regs, ret, st);
		break;
	case NR_fchdir:
		emit_res_fd(PPME_SYSCALL_FCHDIR_X, regs, ret);
		break;
	case NR_socket:
		emit_socket(regs, ret);
		break;
	case NR_connect:
		st = stash_for(tid, id);
		emit_connect(regs, ret, st);
		break;
	case NR_bind:
		st = stash_for(tid, id);
		emit_bind(regs, ret, st);
		break;
	case NR_sendto:
		st = stash_for(tid, id);
		emit_sendto(regs, ret, st);
		break;
	case NR_recvfrom:
		emit_recvfrom(regs, ret);
		break;
	case NR_sendmsg:
		st = stash_for(tid, id);
		emit_sendmsg(regs, ret, st);
		break;
	case NR_recvmsg:
		emit_recvmsg(regs, ret);
		break;
	case NR_listen:
		emit_listen(regs, ret);
		break;
	case NR_accept:
	case NR_accept4:
		emit_accept(regs, ret, id == NR_accept4);
		break;
	case NR_setuid:
		emit_set_ids(PPME_SYSCALL_SETUID_X, regs, ret, 1);
		break;
	case NR_setgid:
		emit_set_ids(PPME_SYSCALL_SETGID_X, regs, ret, 1);
		break;
	case NR_setresuid:
		emit_set_ids(PPME_SYSCALL_SETRESUID_X, regs, ret, 3);
		break;
	case NR_setresgid:
		emit_set_ids(PPME_SYSCALL_SETRESGID_X, regs, ret, 3);
		break;
	case NR_setreuid:
		emit_set_ids(PPME_SYSCALL_SETREUID_X, regs, ret, 2);
		break;
	case NR_setregid:
		emit_set_ids(PPME_SYSCALL_SETREGID_X, regs, ret, 2);
		break;
	case NR_capset:
		emit_capset(ret);
		break;
	case NR_setsid:
		emit_res_only(PPME_SYSCALL_SETSID_X, 1, ret);
		break;
	case NR_chroot:
		st = stash_for(tid, id);
		emit_res_path(PPME_SYSCALL_CHROOT_X, regs, ret, st, 0);
		break;
	case NR_socketpair:
		emit_socketpair(regs, ret);
		break;
	case NR_eventfd:
		emit_res_only(PPME_SYSCALL_EVENTFD_X, 3, ret);
		break;
	case NR_eventfd2:
		emit_eventfd2(regs, ret);
		break;
	case NR_epoll_create:
		emit_res_only(PPME_SYSCALL_EPOLL_CREATE_X, 2, ret);
		break;
	case NR_epoll_create1:
		emit_res_only(PPME_SYSCALL_EPOLL_CREATE1_X, 2, ret);
		break;
	case NR_inotify_init:
		emit_res_only(PPME_SYSCALL_INOTIFY_INIT_X, 2, ret);
		break;
	case NR_inotify_init1:
		emit_res_flags(PPME_SYSCALL_INOTIFY_INIT1_X, regs, ret, false);
		break;
	case NR_signalfd:
		emit_res_only(PPME_SYSCALL_SIGNALFD_X, 4, ret);
		break;
	case NR_signalfd4:
		emit_signalfd4(regs, ret);
		break;
	case NR_timerfd_create:
		emit_res_only(PPME_SYSCALL_TIMERFD_CREATE_X, 3, ret);
		break;
	case NR_userfaultfd:
		emit_res_flags(PPME_SYSCALL_USERFAULTFD_X, regs, ret, true);
		break;
	case NR_io_uring_setup:
		emit_res_only(PPME_SYSCALL_IO_URING_SETUP_X, 8, ret);
		break;
	case NR_pidfd_open:
		emit_res_only(PPME_SYSCALL_PIDFD_OPEN_X, 3, ret);
		break;
	case NR_pidfd_getfd:
		emit_res_only(PPME_SYSCALL_PIDFD_GETFD_X, 4, ret);
		break;
	case NR_ptrace:
		emit_ptrace(regs, ret);
		break;
	case NR_symlink:
	case NR_symlinkat:
		st = stash_for(tid, id);
		emit_symlink(regs, ret, st, id == NR_symlinkat);
		break;
	case NR_mount:
		st = stash_for(tid, id);
		emit_mount(regs, ret, st);
		break;
	case NR_umount2:
		st = stash_for(tid, id);
		emit_umount2(regs, ret, st);
		break;
	case NR_setns:
		emit_setns(regs, ret);
		break;
	case NR_unshare:
		emit_unshare(regs, ret);
		break;
	case NR_bpf:
		emit_bpf(regs, ret);
		break;
	case NR_read:
		emit_rw(PPME_SYSCALL_READ_X, regs, ret, false);
		break;
	case NR_write:
		emit_rw(PPME_SYSCALL_WRITE_X, regs, ret, false);
		break;
	case NR_pread64:
		emit_rw(PPME_SYSCALL_PREAD_X, regs, ret, true);
		break;
	case NR_pwrite64:
		emit_rw(PPME_SYSCALL_PWRITE_X, regs, ret, true);
		break;
	case NR_readv:
		emit_readv(PPME_SYSCALL_READV_X, regs, ret, false);
		break;
	case NR_preadv:
		emit_readv(PPME_SYSCALL_PREADV_X, regs, ret, true);
		break;
	case NR_writev:
		emit_writev(PPME_SYSCALL_WRITEV_X, regs, ret, false);
		break;
	case NR_pwritev:
		emit_writev(PPME_SYSCALL_PWRITEV_X, regs, ret, true);
		break;
	case NR_sendmmsg:
		emit_mmsg(regs, ret, true);
		break;
	case NR_recvmmsg:
		emit_mmsg(regs, ret, false);
		break;
	default:
		emit_generic((__u32)id);
	}
	/* The copy is used once: a later exit of this thread must not take it for its own. */
	if (st)
		st->nr = 0xffffffff;
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
