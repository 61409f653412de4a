/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The exit events of the calls that move data through an fd: read, write, pread64, pwrite64,
 * readv, writev, preadv, pwritev, and sendmmsg, recvmmsg. They are the hottest calls of any
 * host, so the syscall table holds them only when a loaded rule names them (no rule of the
 * stdlib or of Falco's rules does). Each event carries the fd, the size asked for (the count, or
 * the sum of the iovecs' lengths, the first MAX_IOVECS of them) and the position; the `data`
 * parameter is written empty: the probe records no payloads.
 */
#ifndef RULEC_IO_H
#define RULEC_IO_H

/* Bytes `cnt` user iovecs at `iov` describe (the first MAX_IOVECS of them). */
static __always_inline __u32 iovec_total(__u64 iov, __u64 cnt)
{
	__u64 total = 0;
	__u64 n = cnt > MAX_IOVECS ? MAX_IOVECS : cnt;
	for (__u32 i = 0; i < MAX_IOVECS; i++) {
		if (i >= n)
			break;
		__u64 v[2] = {};
		if (bpf_probe_read_user(v, sizeof(v), (const void *)(iov + i * 16)) != 0)
			break;
		total += v[1];
	}
	return total > 0xffffffff ? 0xffffffff : (__u32)total;
}

/* read, write, pread64, pwrite64: res, data, fd, size (+ pos). */
static __always_inline void emit_rw(__u16 type, struct pt_regs *regs, long ret, bool pos)
{
	struct builder b;
	if (!builder_begin(&b, type, pos ? 5 : 4))
		return;
	push_u64(&b, (__u64)ret);
	push_empty(&b);                      /* data */
	push_u64(&b, fd_arg(ARG1(regs)));
	push_u32(&b, (__u32)ARG3(regs));     /* size */
	if (pos)
		push_u64(&b, (__u64)ARG4(regs));
	builder_submit(&b);
}

/* readv, preadv: res, size, data, fd (+ pos). */
static __always_inline void emit_readv(__u16 type, struct pt_regs *regs, long ret, bool pos)
{
	struct builder b;
	if (!builder_begin(&b, type, pos ? 5 : 4))
		return;
	push_u64(&b, (__u64)ret);
	push_u32(&b, iovec_total(ARG2(regs), ARG3(regs)));
	push_empty(&b);                      /* data */
	push_u64(&b, fd_arg(ARG1(regs)));
	if (pos)
		push_u64(&b, (__u64)ARG4(regs));
	builder_submit(&b);
}

/* writev, pwritev: res, data, fd, size (+ pos). */
static __always_inline void emit_writev(__u16 type, struct pt_regs *regs, long ret, bool pos)
{
	struct builder b;
	if (!builder_begin(&b, type, pos ? 5 : 4))
		return;
	push_u64(&b, (__u64)ret);
	push_empty(&b);                      /* data */
	push_u64(&b, fd_arg(ARG1(regs)));
	push_u32(&b, iovec_total(ARG2(regs), ARG3(regs)));
	if (pos)
		push_u64(&b, (__u64)ARG4(regs));
	builder_submit(&b);
}

/* sendmmsg: res, fd, size, data, tuple; recvmmsg: the same and msgcontrol. One event per call
 * (the drivers write one per message): `res` is the number of messages, size and data are left
 * empty, the tuple is the socket's own (source = this socket for sendmmsg, the peer for
 * recvmmsg). */
static __always_inline void emit_mmsg(struct pt_regs *regs, long ret, bool send)
{
	struct builder b;
	if (!builder_begin(&b, send ? PPME_SOCKET_SENDMMSG_X : PPME_SOCKET_RECVMMSG_X, send ? 5 : 6))
		return;
	long fd = (int)ARG1(regs);
	push_u64(&b, (__u64)ret);
	push_u64(&b, (__u64)fd);
	push_empty(&b);                      /* size */
	push_empty(&b);                      /* data */
	if (ret >= 0)
		push_tuple(&b, fd, send, NULL, 0);
	else
		push_empty(&b);
	if (!send)
		push_empty(&b);              /* msgcontrol */
	builder_submit(&b);
}

#endif
