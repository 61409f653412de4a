/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The exit events of syscalls with parameters of their own (files and paths, sockets, fds,
 * credentials, ptrace, memfd), each in the layout of the newest row of its event in the shared
 * event table. Arguments the caller could change while the syscall runs (paths, names, socket
 * addresses) come from the entry-side copy in `stash` when there is one (see probe.bpf.c);
 * registers and return values are read here.
 */
#ifndef RULEC_SYSCALLS_H
#define RULEC_SYSCALLS_H

#define EINPROGRESS 115

#define ARG1(regs) PT_REGS_PARM1_CORE_SYSCALL(regs)
#define ARG2(regs) PT_REGS_PARM2_CORE_SYSCALL(regs)
#define ARG3(regs) PT_REGS_PARM3_CORE_SYSCALL(regs)
#define ARG4(regs) PT_REGS_PARM4_CORE_SYSCALL(regs)
#define ARG5(regs) PT_REGS_PARM5_CORE_SYSCALL(regs)
#define ARG6(regs) SYSCALL_PARM6(regs)

/* An fd or dirfd argument: a C int, sign-extended as the FD type wants. */
static __always_inline __u64 fd_arg(unsigned long v)
{
	return (__u64)(__s64)(int)v;
}

/*
 * The first stashed string. Without an entry copy, or when the entry could not read it (a
 * non-sleepable program cannot fault in a page that is not resident yet, e.g. a string in a
 * program's data the program has not touched), it is read at exit, where the syscall itself
 * has just faulted the page in, and counted (`n_enter_missing`).
 */
static __always_inline void push_path0(struct builder *b, struct stash *st, const void *uptr)
{
	if (st && st->len0 > 0) {
		push_kernel_str(b, st->s0);
	} else {
		count_enter_missing(b);
		push_user_str(b, uptr);
	}
}

/* The second stashed string, likewise. */
static __always_inline void push_path1(struct builder *b, struct stash *st, const void *uptr)
{
	if (st && st->len1 > 0) {
		push_kernel_str(b, st->s1);
	} else {
		count_enter_missing(b);
		push_user_str(b, uptr);
	}
}

/* ---- files and paths ----------------------------------------------------------------------- */

/* unlink, chdir, chmod, mkdir: res, one path (+ mode for chmod/mkdir). */
static __always_inline void emit_res_path(__u16 type, struct pt_regs *regs, long ret, struct stash *st, int mode)
{
	struct builder b;
	if (!builder_begin(&b, type, mode ? 3 : 2))
		return;
	push_u64(&b, (__u64)ret);
	push_path0(&b, st, (const void *)ARG1(regs));
	if (mode == 1)
		push_u32(&b, (__u32)ARG2(regs) & MODE_MASK); /* MODE */
	else if (mode == 2)
		push_u32(&b, (__u32)ARG2(regs));             /* UINT32 */
	builder_submit(&b);
}

/* unlinkat, fchmodat, mkdirat: res, dirfd, path, then flags or mode from the third argument. */
static __always_inline void emit_res_dirfd_path(__u16 type, struct pt_regs *regs, long ret, struct stash *st, bool chmod_mode)
{
	struct builder b;
	if (!builder_begin(&b, type, 4))
		return;
	push_u64(&b, (__u64)ret);
	push_u64(&b, fd_arg(ARG1(regs)));
	push_path0(&b, st, (const void *)ARG2(regs));
	push_u32(&b, (__u32)ARG3(regs) & (chmod_mode ? MODE_MASK : 0xffffffff));
	builder_submit(&b);
}

static __always_inline void emit_fchmod(struct pt_regs *regs, long ret)
{
	struct builder b;
	if (!builder_begin(&b, PPME_SYSCALL_FCHMOD_X, 3))
		return;
	push_u64(&b, (__u64)ret);
	push_u64(&b, fd_arg(ARG1(regs)));
	push_u32(&b, (__u32)ARG2(regs) & MODE_MASK);
	builder_submit(&b);
}

/* rename, link: res, oldpath, newpath. */
static __always_inline void emit_rename(__u16 type, struct pt_regs *regs, long ret, struct stash *st)
{
	struct builder b;
	if (!builder_begin(&b, type, 3))
		return;
	push_u64(&b, (__u64)ret);
	push_path0(&b, st, (const void *)ARG1(regs));
	push_path1(&b, st, (const void *)ARG2(regs));
	builder_submit(&b);
}

/* renameat, renameat2, linkat: res, olddirfd, oldpath, newdirfd, newpath (+ flags, as the
 * caller gave them, for the last two). */
static __always_inline void emit_renameat(__u16 type, struct pt_regs *regs, long ret, struct stash *st, bool two)
{
	struct builder b;
	if (!builder_begin(&b, type, two ? 6 : 5))
		return;
	push_u64(&b, (__u64)ret);
	push_u64(&b, fd_arg(ARG1(regs)));
	push_path0(&b, st, (const void *)ARG2(regs));
	push_u64(&b, fd_arg(ARG3(regs)));
	push_path1(&b, st, (const void *)ARG4(regs));
	if (two)
		push_u32(&b, (__u32)ARG5(regs));
	builder_submit(&b);
}

/* symlink: res, target, linkpath; symlinkat: res, target, linkdirfd, linkpath. The target is
 * text stored in the link, never resolved. */
static __always_inline void emit_symlink(struct pt_regs *regs, long ret, struct stash *st, bool at)
{
	struct builder b;
	if (!builder_begin(&b, at ? PPME_SYSCALL_SYMLINKAT_X : PPME_SYSCALL_SYMLINK_X, at ? 4 : 3))
		return;
	push_u64(&b, (__u64)ret);
	push_path0(&b, st, (const void *)ARG1(regs));
	if (at) {
		push_u64(&b, fd_arg(ARG2(regs)));
		push_path1(&b, st, (const void *)ARG3(regs));
	} else {
		push_path1(&b, st, (const void *)ARG2(regs));
	}
	builder_submit(&b);
}

/* ---- fds ----------------------------------------------------------------------------------- */

/* dup, dup2, dup3: res, oldfd (+ newfd, + flags). */
static __always_inline void emit_dup(__u16 type, struct pt_regs *regs, long ret, int nargs)
{
	struct builder b;
	if (!builder_begin(&b, type, nargs + 1))
		return;
	push_u64(&b, (__u64)ret);
	push_u64(&b, fd_arg(ARG1(regs)));
	if (nargs >= 2)
		push_u64(&b, fd_arg(ARG2(regs)));
	if (nargs >= 3)
		push_u32(&b, open_flags_to_ppm((__u32)ARG3(regs) & 02000000) & ~(__u32)1);
	builder_submit(&b);
}

static __always_inline void emit_fcntl(struct pt_regs *regs, long ret)
{
	struct builder b;
	if (!builder_begin(&b, PPME_SYSCALL_FCNTL_X, 4))
		return;
	push_u64(&b, (__u64)ret);
	push_u64(&b, fd_arg(ARG1(regs)));
	push_u8(&b, fcntl_cmd_to_ppm((long)(int)ARG2(regs)));
	push_u64(&b, (__u64)ARG3(regs));
	builder_submit(&b);
}

/* pipe, pipe2: res, the two fds the kernel wrote, the pipe's inode (+ flags). */
static __always_inline void emit_pipe(struct pt_regs *regs, long ret, bool two)
{
	struct builder b;
	if (!builder_begin(&b, two ? PPME_SYSCALL_PIPE2_X : PPME_SYSCALL_PIPE_X, two ? 5 : 4))
		return;
	int fds[2] = {-1, -1};
	if (ret == 0 && bpf_probe_read_user(fds, sizeof(fds), (const void *)ARG1(regs)) != 0)
		count_read(&b, -1, 0);
	push_u64(&b, (__u64)ret);
	push_u64(&b, (__u64)(__s64)fds[0]);
	push_u64(&b, (__u64)(__s64)fds[1]);
	struct file *f = ret == 0 ? fd_file(fds[0]) : NULL;
	push_u64(&b, f ? BPF_CORE_READ(f, f_inode, i_ino) : 0);
	if (two)
		push_u32(&b, open_flags_to_ppm((__u32)ARG2(regs) & (04000 | 02000000)) & ~(__u32)1);
	builder_submit(&b);
}

static __always_inline void emit_memfd_create(struct pt_regs *regs, long ret, struct stash *st)
{
	struct builder b;
	if (!builder_begin(&b, PPME_SYSCALL_MEMFD_CREATE_X, 3))
		return;
	push_u64(&b, (__u64)ret);
	push_path0(&b, st, (const void *)ARG1(regs));
	push_u32(&b, (__u32)ARG2(regs));
	builder_submit(&b);
}

/* fchdir: res, fd. */
static __always_inline void emit_res_fd(__u16 type, struct pt_regs *regs, long ret)
{
	struct builder b;
	if (!builder_begin(&b, type, 2))
		return;
	push_u64(&b, (__u64)ret);
	push_u64(&b, fd_arg(ARG1(regs)));
	builder_submit(&b);
}

/* ---- sockets ------------------------------------------------------------------------------- */

/* socketpair: res, the two fds the kernel wrote, the first one's sock and its peer (the unix
 * socket addresses the state names the pair by), domain, type, protocol. */
static __always_inline void emit_socketpair(struct pt_regs *regs, long ret)
{
	struct builder b;
	if (!builder_begin(&b, PPME_SOCKET_SOCKETPAIR_X, 8))
		return;
	int fds[2] = {-1, -1};
	if (ret == 0 && bpf_probe_read_user(fds, sizeof(fds), (const void *)ARG4(regs)) != 0)
		count_read(&b, -1, 0);
	struct sock *sk = ret == 0 ? fd_sock(fds[0]) : NULL;
	struct sock *peer = sk && (__u32)ARG1(regs) == AF_UNIX ? BPF_CORE_READ((struct unix_sock *)sk, peer) : NULL;
	push_u64(&b, (__u64)ret);
	push_u64(&b, (__u64)(__s64)fds[0]);
	push_u64(&b, (__u64)(__s64)fds[1]);
	push_u64(&b, (__u64)(unsigned long)sk);   /* source */
	push_u64(&b, (__u64)(unsigned long)peer); /* peer */
	push_u32(&b, (__u32)ARG1(regs));          /* domain */
	push_u32(&b, (__u32)ARG2(regs));          /* type */
	push_u32(&b, (__u32)ARG3(regs));          /* proto */
	builder_submit(&b);
}

static __always_inline void emit_socket(struct pt_regs *regs, long ret)
{
	struct builder b;
	if (!builder_begin(&b, PPME_SOCKET_SOCKET_X, 5))
		return;
	__u32 type = (__u32)ARG2(regs);
	push_u64(&b, (__u64)ret);            /* fd */
	push_u32(&b, (__u32)ARG1(regs));     /* domain: the PPM families are the kernel's numbers */
	push_u32(&b, type);                  /* type */
	push_u32(&b, (__u32)ARG3(regs));     /* proto */
	push_u32(&b, sock_flags_to_ppm(type)); /* flags */
	builder_submit(&b);
}

static __always_inline void emit_connect(struct pt_regs *regs, long ret, struct stash *st)
{
	struct builder b;
	if (!builder_begin(&b, PPME_SOCKET_CONNECT_X, 4))
		return;
	long fd = (int)ARG1(regs);
	const __u8 *sa = st ? st->s0 : NULL;
	long sa_len = st ? st->len0 : 0;
	if (!st)
		count_enter_missing(&b);
	push_u64(&b, (__u64)ret);
	if (ret == 0 || ret == -EINPROGRESS)
		push_tuple(&b, fd, true, sa, sa_len);
	else
		push_empty(&b);
	push_u64(&b, (__u64)fd);
	push_sockaddr(&b, sa, sa_len);
	builder_submit(&b);
}

/*
 * A bind to port 0 asks the kernel to pick one, and it has by the exit: the SOCKADDR written at
 * `at` gets the socket's bound port instead of the 0 the caller gave, so that the fd's name and
 * `fd.sport` of the listening socket are the port it really listens on. (The drivers write the
 * caller's sockaddr as it was; rulec writes the address the socket has, which differs only
 * here.)
 */
static __always_inline void patch_bound_port(struct builder *b, __u32 at, long fd)
{
	__u8 *dst = &b->buf[at & EVENT_MASK];
	__u32 port_at;
	if (b->off == at)
		return; /* no address written */
	if (dst[0] == AF_INET)
		port_at = 5;
	else if (dst[0] == AF_INET6)
		port_at = 17;
	else
		return;
	__u16 *port = (__u16 *)&b->buf[(at + port_at) & EVENT_MASK];
	if (*port != 0)
		return;
	struct sock *sk = fd_sock(fd);
	if (sk)
		*port = BPF_CORE_READ(sk, __sk_common.skc_num);
}

static __always_inline void emit_bind(struct pt_regs *regs, long ret, struct stash *st)
{
	struct builder b;
	if (!builder_begin(&b, PPME_SOCKET_BIND_X, 3))
		return;
	if (!st)
		count_enter_missing(&b);
	push_u64(&b, (__u64)ret);
	__u32 at = b.off;
	push_sockaddr(&b, st ? st->s0 : NULL, st ? st->len0 : 0);
	if (ret == 0)
		patch_bound_port(&b, at, (int)ARG1(regs));
	push_u64(&b, fd_arg(ARG1(regs)));
	builder_submit(&b);
}

/* sendto: res, data (not captured: the probe records no payloads), fd, size, tuple (this socket
 * as the source; the destination from the socket, or for an unconnected datagram socket from the
 * address the caller gave, copied at entry). */
static __always_inline void emit_sendto(struct pt_regs *regs, long ret, struct stash *st)
{
	struct builder b;
	if (!builder_begin(&b, PPME_SOCKET_SENDTO_X, 5))
		return;
	long fd = (int)ARG1(regs);
	const __u8 *sa = st ? st->s0 : NULL;
	long sa_len = st ? st->len0 : 0;
	/* A NULL address (a connected socket) has nothing to copy: not a missing copy. */
	if (!st && ARG5(regs))
		count_enter_missing(&b);
	push_u64(&b, (__u64)ret);
	push_empty(&b);                      /* data */
	push_u64(&b, (__u64)fd);
	push_u32(&b, (__u32)ARG3(regs));     /* size */
	if (ret >= 0)
		push_tuple(&b, fd, true, sa, sa_len);
	else
		push_empty(&b);
	builder_submit(&b);
}

/* recvfrom: res, data (not captured), tuple (the sender as the source: from the socket, or for
 * an unconnected datagram socket from the address the kernel wrote back), fd, size. */
static __always_inline void emit_recvfrom(struct pt_regs *regs, long ret)
{
	struct builder b;
	if (!builder_begin(&b, PPME_SOCKET_RECVFROM_X, 5))
		return;
	long fd = (int)ARG1(regs);
	const __u8 *sa = NULL;
	long sa_len = 0;
	const void *usa = (const void *)ARG5(regs);
	const void *ulen = (const void *)ARG6(regs);
	char *pb = pathbuf_get();
	if (ret >= 0 && usa && ulen && pb) {
		int n = 0;
		if (bpf_probe_read_user(&n, sizeof(n), ulen) == 0 && n >= 2) {
			__u32 len = n > MAX_SOCKADDR ? MAX_SOCKADDR : (__u32)n;
			asm volatile("%0 &= 255" : "+r"(len));
			if (len <= MAX_SOCKADDR && bpf_probe_read_user(pb, len, usa) == 0) {
				sa = (const __u8 *)pb;
				sa_len = len;
			} else {
				count_read(&b, -1, 0);
			}
		}
	}
	push_u64(&b, (__u64)ret);
	push_empty(&b);                      /* data */
	if (ret >= 0)
		push_tuple(&b, fd, false, sa, sa_len);
	else
		push_empty(&b);
	push_u64(&b, (__u64)fd);
	push_u32(&b, (__u32)ARG3(regs));     /* size */
	builder_submit(&b);
}

/* The first fields of a user `struct msghdr` (x86_64 layout). */
struct user_msghdr_head {
	__u64 name;
	__s32 namelen;
	__u32 pad;
	__u64 iov;
	__u64 iovlen;
};

/* Bytes a msghdr's iovecs describe (the first MAX_IOVECS of them): the `size` of sendmsg and
 * recvmsg. */
#define MAX_IOVECS 8
static __always_inline __u32 iov_total(const struct user_msghdr_head *h)
{
	__u64 total = 0;
	__u64 n = h->iovlen > MAX_IOVECS ? MAX_IOVECS : h->iovlen;
	for (__u32 i = 0; i < MAX_IOVECS; i++) {
		if (i >= n)
			break;
		__u64 v[2] = {};
		if (bpf_probe_read_user(v, sizeof(v), (const void *)(h->iov + i * 16)) != 0)
			break;
		total += v[1];
	}
	return total > 0xffffffff ? 0xffffffff : (__u32)total;
}

/* sendmsg: res, data (not captured), fd, size, tuple (the destination from the socket, or from
 * the msghdr's address, copied at entry, for an unconnected datagram socket). */
static __always_inline void emit_sendmsg(struct pt_regs *regs, long ret, struct stash *st)
{
	struct builder b;
	if (!builder_begin(&b, PPME_SOCKET_SENDMSG_X, 5))
		return;
	long fd = (int)ARG1(regs);
	struct user_msghdr_head h = {};
	if (bpf_probe_read_user(&h, sizeof(h), (const void *)ARG2(regs)) != 0)
		count_read(&b, -1, 0);
	if (!st && h.name)
		count_enter_missing(&b);
	push_u64(&b, (__u64)ret);
	push_empty(&b);                      /* data */
	push_u64(&b, (__u64)fd);
	push_u32(&b, iov_total(&h));         /* size */
	if (ret >= 0)
		push_tuple(&b, fd, true, st ? st->s0 : NULL, st ? st->len0 : 0);
	else
		push_empty(&b);
	builder_submit(&b);
}

/* recvmsg: res, size, data (not captured), tuple (the sender as the source: from the socket,
 * or from the address the kernel wrote into the msghdr), msgcontrol (not captured), fd. */
static __always_inline void emit_recvmsg(struct pt_regs *regs, long ret)
{
	struct builder b;
	if (!builder_begin(&b, PPME_SOCKET_RECVMSG_X, 6))
		return;
	long fd = (int)ARG1(regs);
	struct user_msghdr_head h = {};
	if (bpf_probe_read_user(&h, sizeof(h), (const void *)ARG2(regs)) != 0)
		count_read(&b, -1, 0);
	const __u8 *sa = NULL;
	long sa_len = 0;
	char *pb = pathbuf_get();
	if (ret >= 0 && h.name && h.namelen >= 2 && pb) {
		__u32 len = h.namelen > MAX_SOCKADDR ? MAX_SOCKADDR : (__u32)h.namelen;
		asm volatile("%0 &= 255" : "+r"(len));
		if (len <= MAX_SOCKADDR && bpf_probe_read_user(pb, len, (const void *)h.name) == 0) {
			sa = (const __u8 *)pb;
			sa_len = len;
		}
	}
	push_u64(&b, (__u64)ret);
	push_u32(&b, iov_total(&h));         /* size */
	push_empty(&b);                      /* data */
	if (ret >= 0)
		push_tuple(&b, fd, false, sa, sa_len);
	else
		push_empty(&b);
	push_empty(&b);                      /* msgcontrol */
	push_u64(&b, (__u64)fd);
	builder_submit(&b);
}

static __always_inline void emit_listen(struct pt_regs *regs, long ret)
{
	struct builder b;
	if (!builder_begin(&b, PPME_SOCKET_LISTEN_X, 3))
		return;
	push_u64(&b, (__u64)ret);
	push_u64(&b, fd_arg(ARG1(regs)));
	push_u32(&b, (__u32)ARG2(regs));
	builder_submit(&b);
}

/* accept, accept4: the new fd and its tuple (source = the peer); the queue fields are absent. */
static __always_inline void emit_accept(struct pt_regs *regs, long ret, bool four)
{
	struct builder b;
	if (!builder_begin(&b, four ? PPME_SOCKET_ACCEPT4_6_X : PPME_SOCKET_ACCEPT_5_X, four ? 6 : 5))
		return;
	push_u64(&b, (__u64)ret);
	if (ret >= 0)
		push_tuple(&b, ret, false, NULL, 0);
	else
		push_empty(&b);
	push_empty(&b); /* queuepct */
	push_empty(&b); /* queuelen */
	push_empty(&b); /* queuemax */
	if (four)
		push_u32(&b, (__u32)ARG4(regs));
	builder_submit(&b);
}

/* ---- credentials and processes ------------------------------------------------------------- */

/* setuid, setgid: res, the id; setreuid, setregid: res, the two ids; setresuid, setresgid: res,
 * the three ids. */
static __always_inline void emit_set_ids(__u16 type, struct pt_regs *regs, long ret, int ids)
{
	struct builder b;
	if (!builder_begin(&b, type, ids + 1))
		return;
	push_u64(&b, (__u64)ret);
	push_u32(&b, (__u32)ARG1(regs));
	if (ids > 1)
		push_u32(&b, (__u32)ARG2(regs));
	if (ids > 2)
		push_u32(&b, (__u32)ARG3(regs));
	builder_submit(&b);
}

/* capset: res, then the thread's capability sets as the call left them. */
static __always_inline void emit_capset(long ret)
{
	struct builder b;
	if (!builder_begin(&b, PPME_SYSCALL_CAPSET_X, 4))
		return;
	struct task_struct *t = current_task();
	push_u64(&b, (__u64)ret);
	push_u64(&b, BPF_CORE_READ(t, cred, cap_inheritable.val));
	push_u64(&b, BPF_CORE_READ(t, cred, cap_permitted.val));
	push_u64(&b, BPF_CORE_READ(t, cred, cap_effective.val));
	builder_submit(&b);
}

/* init_module: res, the image (left empty: it is the whole module), its length, the
 * parameters; finit_module: res, fd, the parameters, flags. */
static __always_inline void emit_init_module(struct pt_regs *regs, long ret, bool from_fd)
{
	struct builder b;
	if (!builder_begin(&b, from_fd ? PPME_SYSCALL_FINIT_MODULE_X : PPME_SYSCALL_INIT_MODULE_X, 4))
		return;
	push_u64(&b, (__u64)ret);
	if (from_fd) {
		push_u64(&b, fd_arg(ARG1(regs)));
		push_user_str(&b, (const void *)ARG2(regs));
		push_u32(&b, (__u32)ARG3(regs));
	} else {
		push_empty(&b);
		push_u64(&b, (__u64)ARG2(regs));
		push_user_str(&b, (const void *)ARG3(regs));
	}
	builder_submit(&b);
}

/* process_vm_readv, process_vm_writev: res, the other process, the data (left empty). */
static __always_inline void emit_process_vm(__u16 type, struct pt_regs *regs, long ret)
{
	struct builder b;
	if (!builder_begin(&b, type, 3))
		return;
	push_u64(&b, (__u64)ret);
	push_u64(&b, (__u64)(__s64)(int)ARG1(regs));
	push_empty(&b);
	builder_submit(&b);
}

/* The O_NONBLOCK and O_CLOEXEC bits of the flags of a call that makes an fd (EFD_*, IN_*, SFD_*
 * and userfaultfd's share their values), in the PPM encoding, without the access mode that
 * `open_flags_to_ppm` gives a zero: what the state keeps with the fd (a close-on-exec fd goes
 * at the next execve). */
static __always_inline __u32 fd_flags_to_ppm(unsigned long f)
{
	return open_flags_to_ppm((__u32)f & (04000 | 02000000)) & ~(__u32)1;
}

/* eventfd2: res, flags, initval. */
static __always_inline void emit_eventfd2(struct pt_regs *regs, long ret)
{
	struct builder b;
	if (!builder_begin(&b, PPME_SYSCALL_EVENTFD2_X, 3))
		return;
	push_u64(&b, (__u64)ret);
	push_u16(&b, (__u16)fd_flags_to_ppm(ARG2(regs)));
	push_u64(&b, (__u64)(__u32)ARG1(regs));
	builder_submit(&b);
}

/* signalfd4: res, flags, the fd it replaces, mask (left empty: a pointer to the set). */
static __always_inline void emit_signalfd4(struct pt_regs *regs, long ret)
{
	struct builder b;
	if (!builder_begin(&b, PPME_SYSCALL_SIGNALFD4_X, 4))
		return;
	push_u64(&b, (__u64)ret);
	push_u16(&b, (__u16)fd_flags_to_ppm(ARG4(regs)));
	push_u64(&b, fd_arg(ARG1(regs)));
	push_empty(&b);
	builder_submit(&b);
}

/* inotify_init1 (flags as FLAGS16), userfaultfd (FLAGS32): res, the flags of the first argument. */
static __always_inline void emit_res_flags(__u16 type, struct pt_regs *regs, long ret, bool wide)
{
	struct builder b;
	if (!builder_begin(&b, type, 2))
		return;
	push_u64(&b, (__u64)ret);
	if (wide)
		push_u32(&b, fd_flags_to_ppm(ARG1(regs)));
	else
		push_u16(&b, (__u16)fd_flags_to_ppm(ARG1(regs)));
	builder_submit(&b);
}

/* open_by_handle_at: fd, the mount fd, flags, the path of the file opened (the call names none:
 * it is read from the new fd, as d_path() would give it), dev, ino. */
static __always_inline void emit_open_by_handle_at(struct pt_regs *regs, long ret)
{
	struct builder b;
	if (!builder_begin(&b, PPME_SYSCALL_OPEN_BY_HANDLE_AT_X, 6))
		return;
	push_u64(&b, (__u64)ret);
	push_u64(&b, fd_arg(ARG1(regs)));
	push_u32(&b, open_flags_to_ppm((__u32)ARG3(regs)));
	struct file *f = ret >= 0 ? fd_file(ret) : NULL;
	if (f)
		push_path_of(&b, __builtin_preserve_access_index(&f->f_path));
	else
		push_empty(&b);
	push_empty(&b); /* dev */
	push_empty(&b); /* ino */
	builder_submit(&b);
}

/* ---- fds of a fixed kind ------------------------------------------------------------------- */

/*
 * eventfd, epoll_create(1), inotify_init, signalfd, timerfd_create, io_uring_setup, pidfd_open,
 * pidfd_getfd, and setsid (whose row is res alone): the result first (res, or the `fd` the pidfd
 * rows put first), the row's other `nparams - 1` parameters empty. What the state machine takes from these is the new fd, its kind being the row's (the
 * schema's fd table), which rules read as `fd.type`.
 */
static __always_inline void emit_res_only(__u16 type, __u32 nparams, long ret)
{
	struct builder b;
	if (!builder_begin(&b, type, nparams))
		return;
	push_u64(&b, (__u64)ret);
#pragma unroll
	for (__u32 i = 1; i < 8; i++) {
		if (i < nparams)
			push_empty(&b);
	}
	builder_submit(&b);
}

static __always_inline void emit_ptrace(struct pt_regs *regs, long ret)
{
	struct builder b;
	if (!builder_begin(&b, PPME_SYSCALL_PTRACE_X, 5))
		return;
	push_u64(&b, (__u64)ret);
	push_dyn_u64(&b, (__u64)ARG3(regs));                 /* addr */
	push_dyn_u64(&b, (__u64)ARG4(regs));                 /* data */
	push_u16(&b, ptrace_request_to_ppm((long)ARG1(regs))); /* request */
	push_u64(&b, (__u64)(__s64)(int)ARG2(regs));         /* pid */
	builder_submit(&b);
}

#endif
