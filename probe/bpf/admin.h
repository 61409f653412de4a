/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The exit events of calls that change the system rather than one process's files: mounts
 * (mount, umount2), namespaces (setns, unshare) and bpf, each in the layout of the newest row of
 * its event in the shared event table. Paths (the mount's device and directory, the unmounted
 * directory) come from the entry-side copy in `stash` (see probe.bpf.c); the mount's file system
 * type, a third string, is read at exit. Flags are written in the PPM encodings the table's
 * names use: clone flags (setns `nstype`, unshare `flags`) are translated bit by bit; mount and
 * umount2 flags and bpf commands are the kernel's numbers, which the PPM values equal.
 */
#ifndef RULEC_ADMIN_H
#define RULEC_ADMIN_H

/* mount(2)'s historical magic in the top 16 bits of `flags`, which the drivers strip. */
#define MS_MGC_VAL 0xC0ED0000u
#define MS_MGC_MSK 0xffff0000u

/* Linux CLONE_* bits to the PPM_CL_* encoding of the event table (rulec-schema's CLONE_FLAGS). */
static __always_inline __u32 clone_flags_to_ppm(__u64 f)
{
	__u32 r = 0;
	if (f & 0x00000400) r |= 1 << 0;  /* CLONE_FILES */
	if (f & 0x00000200) r |= 1 << 1;  /* CLONE_FS */
	if (f & 0x80000000) r |= 1 << 2;  /* CLONE_IO */
	if (f & 0x08000000) r |= 1 << 3;  /* CLONE_NEWIPC */
	if (f & 0x40000000) r |= 1 << 4;  /* CLONE_NEWNET */
	if (f & 0x00020000) r |= 1 << 5;  /* CLONE_NEWNS */
	if (f & 0x20000000) r |= 1 << 6;  /* CLONE_NEWPID */
	if (f & 0x04000000) r |= 1 << 7;  /* CLONE_NEWUTS */
	if (f & 0x00008000) r |= 1 << 8;  /* CLONE_PARENT */
	if (f & 0x00100000) r |= 1 << 9;  /* CLONE_PARENT_SETTID */
	if (f & 0x00002000) r |= 1 << 10; /* CLONE_PTRACE */
	if (f & 0x00000800) r |= 1 << 11; /* CLONE_SIGHAND */
	if (f & 0x00040000) r |= 1 << 12; /* CLONE_SYSVSEM */
	if (f & 0x00010000) r |= 1 << 13; /* CLONE_THREAD */
	if (f & 0x00800000) r |= 1 << 14; /* CLONE_UNTRACED */
	if (f & 0x00000100) r |= 1 << 15; /* CLONE_VM */
	if (f & 0x10000000) r |= 1 << 20; /* CLONE_NEWUSER */
	if (f & 0x00200000) r |= 1 << 23; /* CLONE_CHILD_CLEARTID */
	if (f & 0x01000000) r |= 1 << 24; /* CLONE_CHILD_SETTID */
	if (f & 0x00080000) r |= 1 << 25; /* CLONE_SETTLS */
	if (f & 0x00004000) r |= 1 << 27; /* CLONE_VFORK */
	if (f & 0x02000000) r |= 1 << 28; /* CLONE_NEWCGROUP */
	return r;
}

/* An optional string argument: NULL (mount's device or type on a remount or a bind) is an empty
 * parameter, not a failed read. */
static __always_inline void push_opt_path0(struct builder *b, struct stash *st, const void *uptr)
{
	if (uptr)
		push_path0(b, st, uptr);
	else
		push_empty(b);
}

static __always_inline void push_opt_path1(struct builder *b, struct stash *st, const void *uptr)
{
	if (uptr)
		push_path1(b, st, uptr);
	else
		push_empty(b);
}

/* mount: res, dev, dir, type, flags (without the magic). */
static __always_inline void emit_mount(struct pt_regs *regs, long ret, struct stash *st)
{
	struct builder b;
	if (!builder_begin(&b, PPME_SYSCALL_MOUNT_X, 5))
		return;
	__u32 flags = (__u32)ARG4(regs);
	if ((flags & MS_MGC_MSK) == MS_MGC_VAL)
		flags &= ~MS_MGC_MSK;
	const void *type = (const void *)ARG3(regs);
	push_u64(&b, (__u64)ret);
	push_opt_path0(&b, st, (const void *)ARG1(regs)); /* dev */
	push_opt_path1(&b, st, (const void *)ARG2(regs)); /* dir */
	if (type)
		push_user_str(&b, type);                  /* type */
	else
		push_empty(&b);
	push_u32(&b, flags);                              /* flags */
	builder_submit(&b);
}

/* umount2: res, name, flags (MNT_FORCE, MNT_DETACH, MNT_EXPIRE, UMOUNT_NOFOLLOW: the PPM bits). */
static __always_inline void emit_umount2(struct pt_regs *regs, long ret, struct stash *st)
{
	struct builder b;
	if (!builder_begin(&b, PPME_SYSCALL_UMOUNT2_X, 3))
		return;
	push_u64(&b, (__u64)ret);
	push_path0(&b, st, (const void *)ARG1(regs));
	push_u32(&b, (__u32)ARG2(regs) & 0xf);
	builder_submit(&b);
}

/* setns: res, fd, nstype. */
static __always_inline void emit_setns(struct pt_regs *regs, long ret)
{
	struct builder b;
	if (!builder_begin(&b, PPME_SYSCALL_SETNS_X, 3))
		return;
	push_u64(&b, (__u64)ret);
	push_u64(&b, fd_arg(ARG1(regs)));
	push_u32(&b, clone_flags_to_ppm((__u32)ARG2(regs)));
	builder_submit(&b);
}

/* unshare: res, flags. */
static __always_inline void emit_unshare(struct pt_regs *regs, long ret)
{
	struct builder b;
	if (!builder_begin(&b, PPME_SYSCALL_UNSHARE_X, 2))
		return;
	push_u64(&b, (__u64)ret);
	push_u32(&b, clone_flags_to_ppm((__u32)ARG1(regs)));
	builder_submit(&b);
}

/* bpf: fd (the return value, whatever the command), cmd. */
static __always_inline void emit_bpf(struct pt_regs *regs, long ret)
{
	struct builder b;
	if (!builder_begin(&b, PPME_SYSCALL_BPF_2_X, 2))
		return;
	push_u64(&b, (__u64)ret);
	push_u32(&b, (__u32)ARG1(regs));
	builder_submit(&b);
}

#endif
