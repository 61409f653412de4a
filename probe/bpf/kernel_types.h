/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The few kernel types the probe reads, declared by hand instead of a generated vmlinux.h.
 *
 * Every struct carries `preserve_access_index`, so each field access is a CO-RE relocation that
 * the loader resolves against the running kernel's BTF (/sys/kernel/btf/vmlinux): only the names
 * of the types and fields matter here, not their layout or completeness. Keeping the list short
 * keeps a fresh clone building on any machine with clang, without bpftool or a BTF file at build
 * time. Add a field here when the probe starts to read it.
 */
#ifndef RULEC_KERNEL_TYPES_H
#define RULEC_KERNEL_TYPES_H
/* Stands in for vmlinux.h: libbpf's headers then use the kernel's register names (di, si...). */
#define __VMLINUX_H__

typedef signed char __s8;
typedef unsigned char __u8;
typedef short __s16;
typedef unsigned short __u16;
typedef int __s32;
typedef unsigned int __u32;
typedef long long __s64;
typedef unsigned long long __u64;
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s32 s32;
typedef __s64 s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
typedef int pid_t;
typedef _Bool bool;
#define true 1
#define false 0

/* Map types and flags the probe uses (uapi/linux/bpf.h). */
enum bpf_map_type {
	BPF_MAP_TYPE_HASH = 1,
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	BPF_MAP_TYPE_LRU_HASH = 9,
	BPF_MAP_TYPE_ARRAY_OF_MAPS = 12,
	BPF_MAP_TYPE_RINGBUF = 27,
};

enum {
	BPF_ANY = 0,
	BPF_RB_NO_WAKEUP = 1,
	BPF_RB_FORCE_WAKEUP = 2,
};

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

/* x86_64 registers at syscall entry, as the raw_syscalls tracepoints pass them. */
struct pt_regs {
	unsigned long r15, r14, r13, r12, bp, bx, r11, r10, r9, r8, ax, cx, dx, si, di, orig_ax, ip, cs, flags, sp,
		ss;
};

typedef struct {
	unsigned int val;
} kuid_t;

typedef struct {
	unsigned int val;
} kgid_t;

typedef struct {
	u64 val;
} kernel_cap_t;

struct cred {
	kuid_t uid;
	kgid_t gid;
	kuid_t euid;
	kgid_t egid;
	kernel_cap_t cap_inheritable;
	kernel_cap_t cap_permitted;
	kernel_cap_t cap_effective;
};

struct qstr {
	union {
		struct {
			u32 hash;
			u32 len;
		};
		u64 hash_len;
	};
	const unsigned char *name;
};

struct hlist_bl_node {
	struct hlist_bl_node *next, **pprev;
};

struct inode;

struct dentry {
	struct hlist_bl_node d_hash;
	struct dentry *d_parent;
	struct qstr d_name;
	struct inode *d_inode;
};

struct vfsmount {
	struct dentry *mnt_root;
};

/* The mount a `vfsmount` is embedded in (fs/mount.h): its parent and where it is mounted. */
struct mount {
	struct mount *mnt_parent;
	struct dentry *mnt_mountpoint;
	struct vfsmount mnt;
};

struct path {
	struct vfsmount *mnt;
	struct dentry *dentry;
};

struct fs_struct {
	struct path root;
	struct path pwd;
};

/* cgroups: a task's css_set holds one css per controller (v1 hierarchies, or the v2 tree), and
 * the default hierarchy's cgroup; a cgroup's path is its kernfs node's ancestry. */
enum cgroup_subsys_id {
	CGROUP_SUBSYS_COUNT = 12,
};

/* `parent` was renamed `__parent` in 6.15: both spellings, resolved by CO-RE. */
struct kernfs_node {
	struct kernfs_node *__parent;
	const char *name;
};

struct kernfs_node___parent {
	struct kernfs_node *parent;
};

struct cgroup {
	struct kernfs_node *kn;
};

struct cgroup_subsys {
	const char *name;
};

struct cgroup_subsys_state {
	struct cgroup *cgroup;
	struct cgroup_subsys *ss;
};

struct css_set {
	struct cgroup_subsys_state *subsys[12];
	struct cgroup *dfl_cgrp;
};

struct super_block {
	unsigned long s_magic;
};

struct inode {
	unsigned short i_mode;
	struct super_block *i_sb;
	unsigned long i_ino;
};

/* An inode's change and modification times under the names kernels have given them (CO-RE
 * matches each flavour to `struct inode` and the probe asks which fields exist): seconds and
 * nanoseconds apart from 6.11, `__i_ctime` from 6.6 and `__i_mtime` from 6.7, `i_ctime` and
 * `i_mtime` before. */
struct timespec64 {
	long long tv_sec;
	long tv_nsec;
};

struct inode___times_split {
	long long i_ctime_sec;
	unsigned int i_ctime_nsec;
	long long i_mtime_sec;
	unsigned int i_mtime_nsec;
};

struct inode___times_hidden {
	struct timespec64 __i_ctime;
	struct timespec64 __i_mtime;
	struct timespec64 i_mtime;
};

struct inode___times_plain {
	struct timespec64 i_ctime;
	struct timespec64 i_mtime;
};

struct file {
	unsigned int f_mode;
	struct path f_path;
	struct inode *f_inode;
	void *private_data;
};

struct fdtable {
	unsigned int max_fds;
	struct file **fd;
};

struct files_struct {
	struct fdtable *fdt;
};

struct mm_struct {
	unsigned long arg_start;
	unsigned long arg_end;
	unsigned long env_start;
	unsigned long env_end;
	struct file *exe_file;
};

struct in6_addr {
	union {
		u8 u6_addr8[16];
	} in6_u;
};

/* The two anonymous unions are the kernel's own nesting (include/net/sock.h), so the local
 * access paths match the target's member by member. */
struct sock_common {
	union {
		u64 skc_addrpair;
		struct {
			__be32 skc_daddr;
			__be32 skc_rcv_saddr;
		};
	};
	union {
		u32 skc_portpair;
		struct {
			__be16 skc_dport;
			u16 skc_num;
		};
	};
	unsigned short skc_family;
	struct in6_addr skc_v6_daddr;
	struct in6_addr skc_v6_rcv_saddr;
};

struct sock {
	struct sock_common __sk_common;
};

struct unix_sock {
	struct sock *peer;
};

struct socket {
	struct sock *sk;
};

struct pid_namespace;

struct upid {
	int nr;
	struct pid_namespace *ns;
};

/* `numbers` has `level + 1` entries: 0 is the host's view, `level` the task's own namespace. */
struct pid {
	unsigned int level;
	struct upid numbers[1];
};

struct tty_driver {
	int major;
	int minor_start;
};

struct tty_struct {
	struct tty_driver *driver;
	int index;
};

struct signal_struct {
	struct pid *pids[4];
	struct tty_struct *tty;
};

/* x86: `status` carries TS_COMPAT while a 32-bit (ia32) syscall runs. */
struct thread_info {
	u32 status;
};

struct task_struct {
	struct thread_info thread_info;
	pid_t pid;
	pid_t tgid;
	int exit_code;
	int exit_signal;
	struct task_struct *real_parent;
	struct task_struct *group_leader;
	struct mm_struct *mm;
	struct files_struct *files;
	struct pid *thread_pid;
	struct signal_struct *signal;
	struct fs_struct *fs;
	struct css_set *cgroups;
	const struct cred *cred;
	kuid_t loginuid;
	char comm[16];
};

struct linux_binprm {
	const char *filename;
};

#pragma clang attribute pop

#endif
