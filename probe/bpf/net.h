/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Sockets: an fd of the current task to its `struct sock` (task → files → fdt → file, checked to
 * be a socket inode → socket → sock, all CO-RE), and the scap encodings of socket addresses
 * (`SOCKADDR`: family byte, then IPv4 address + port, IPv6 address + port, or a unix path) and
 * connection tuples (`SOCKTUPLE`: family byte, source address and port, destination address and
 * port; unix: the two socket pointers and the path). Ports are in host order, addresses as the
 * kernel stores them (network order), as the drivers write them.
 */
#ifndef RULEC_NET_H
#define RULEC_NET_H

#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define S_IFMT 0170000
#define S_IFSOCK 0140000
/* Largest user sockaddr copied at syscall entry (sizeof(struct sockaddr_storage)). */
#define MAX_SOCKADDR 128
#define UNIX_PATH_MAX 108

static __always_inline __u16 be16_to_host(__u16 v)
{
	return (__u16)((v >> 8) | (v << 8));
}

/* The open file behind `fd` in the current task, or NULL. */
static __always_inline struct file *fd_file(long fd)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
	if (!fdt || fd < 0)
		return NULL;
	unsigned int max = BPF_CORE_READ(fdt, max_fds);
	if ((unsigned long)fd >= max)
		return NULL;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *f = NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

/* The sock behind `fd`, or NULL when fd is not a socket. */
static __always_inline struct sock *fd_sock(long fd)
{
	struct file *f = fd_file(fd);
	if (!f)
		return NULL;
	unsigned short mode = BPF_CORE_READ(f, f_inode, i_mode);
	if ((mode & S_IFMT) != S_IFSOCK)
		return NULL;
	struct socket *s = BPF_CORE_READ(f, private_data);
	return s ? BPF_CORE_READ(s, sk) : NULL;
}

/*
 * A user sockaddr (copied at entry into kernel memory, `len` bytes) as a scap SOCKADDR, or an
 * empty parameter for a family the table cannot hold.
 */
static __always_inline void push_sockaddr(struct builder *b, const __u8 *sa, long len)
{
	__u8 *dst = &b->buf[b->off & EVENT_MASK];
	if (!sa || len < 2) {
		push_empty(b);
		return;
	}
	__u16 family = *(const __u16 *)sa;
	if (family == AF_INET && len >= 8) {
		dst[0] = AF_INET;
		*(__u32 *)&dst[1] = *(const __u32 *)&sa[4];
		*(__u16 *)&dst[5] = be16_to_host(*(const __u16 *)&sa[2]);
		builder_param_done(b, 7);
	} else if (family == AF_INET6 && len >= 24) {
		dst[0] = AF_INET6;
		__builtin_memcpy(&dst[1], &sa[8], 16);
		*(__u16 *)&dst[17] = be16_to_host(*(const __u16 *)&sa[2]);
		builder_param_done(b, 19);
	} else if (family == AF_UNIX) {
		dst[0] = AF_UNIX;
		long n = bpf_probe_read_kernel_str(&dst[1], UNIX_PATH_MAX, &sa[2]);
		builder_param_done(b, n > 0 ? 1 + ((__u32)n & 0xff) : 1);
	} else {
		push_empty(b);
	}
}

/*
 * The tuple of the socket behind `fd`. `outbound` (connect, send): source = this socket, as
 * the drivers write it; otherwise (accept) source = the peer. `sa`/`sa_len` is the user's
 * address from entry: the remote end when the socket does not know it yet, and the unix path.
 */
static __always_inline void push_tuple(struct builder *b, long fd, bool outbound, const __u8 *sa, long sa_len)
{
	struct sock *sk = fd_sock(fd);
	if (!sk) {
		push_empty(b);
		return;
	}
	__u8 *dst = &b->buf[b->off & EVENT_MASK];
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family == AF_INET) {
		__u32 local = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__u32 remote = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__u16 lport = BPF_CORE_READ(sk, __sk_common.skc_num);
		__u16 rport = be16_to_host(BPF_CORE_READ(sk, __sk_common.skc_dport));
		if (remote == 0 && sa && sa_len >= 8 && *(const __u16 *)sa == AF_INET) {
			remote = *(const __u32 *)&sa[4];
			rport = be16_to_host(*(const __u16 *)&sa[2]);
		}
		dst[0] = AF_INET;
		*(__u32 *)&dst[1] = outbound ? local : remote;
		*(__u16 *)&dst[5] = outbound ? lport : rport;
		*(__u32 *)&dst[7] = outbound ? remote : local;
		*(__u16 *)&dst[11] = outbound ? rport : lport;
		builder_param_done(b, 13);
	} else if (family == AF_INET6) {
		__u16 lport = BPF_CORE_READ(sk, __sk_common.skc_num);
		__u16 rport = be16_to_host(BPF_CORE_READ(sk, __sk_common.skc_dport));
		const void *local = __builtin_preserve_access_index(&sk->__sk_common.skc_v6_rcv_saddr);
		const void *remote = __builtin_preserve_access_index(&sk->__sk_common.skc_v6_daddr);
		dst[0] = AF_INET6;
		bpf_probe_read_kernel(&dst[1], 16, outbound ? local : remote);
		*(__u16 *)&dst[17] = outbound ? lport : rport;
		bpf_probe_read_kernel(&dst[19], 16, outbound ? remote : local);
		*(__u16 *)&dst[35] = outbound ? rport : lport;
		builder_param_done(b, 37);
	} else if (family == AF_UNIX) {
		struct sock *peer = BPF_CORE_READ((struct unix_sock *)sk, peer);
		dst[0] = AF_UNIX;
		*(__u64 *)&dst[1] = (__u64)(outbound ? (unsigned long)sk : (unsigned long)peer);
		*(__u64 *)&dst[9] = (__u64)(outbound ? (unsigned long)peer : (unsigned long)sk);
		long n = -1;
		if (sa && sa_len > 2 && *(const __u16 *)sa == AF_UNIX)
			n = bpf_probe_read_kernel_str(&dst[17], UNIX_PATH_MAX, &sa[2]);
		if (n <= 0) {
			dst[17] = 0;
			n = 1;
		}
		builder_param_done(b, 17 + ((__u32)n & 0xff));
	} else {
		push_empty(b);
	}
}

#endif
