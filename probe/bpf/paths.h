/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Paths the kernel keeps as objects rather than strings, written as strings by bounded walks
 * (raw tracepoints may not call `bpf_d_path`):
 *
 * - a `struct path` (the cwd, the running executable) as an absolute path the way the process
 *   itself sees it, as d_path() writes it: its dentry's names up to the root of its mount, then
 *   across to the mount point, until the task's own root (`fs->root`: a chroot, or a container's
 *   root in its mount namespace) or, for a path outside that root, the host's root mount; a
 *   file unlinked since it was opened ends in " (deleted)", as /proc/PID/exe shows it; the walk
 *   stops after PATH_DEPTH steps (a deeper path keeps its deepest components and is counted as
 *   cut) and never follows a dentry that is its own parent (an unreachable one);
 * - the task's cgroups as the drivers' `cgroups` parameter: `controller=path` strings, one per
 *   controller, and `unified=path` for the default (v2) hierarchy, as rulec names the `0::` line
 *   of /proc/PID/cgroup; a cgroup's path is its kernfs node's names up to the root ("/" for a
 *   root), the form /proc/PID/cgroup shows.
 *
 * Names are written backwards into this CPU's `pathbuf`, ending at PATHBUF_END, then copied into
 * the record's scratch area in one read. The two walks are global functions: the verifier checks
 * each once, on its own, and their callers see an unknown result. Inlined, every outcome of a
 * walk multiplied the states of the rest of the exec event past the verifier's limit.
 */
#ifndef RULEC_PATHS_H
#define RULEC_PATHS_H

#define PATHBUF_SIZE 8192
/* Offsets inside the walk stay below this: a masked offset plus a 255-byte name stays inside. */
#define PATHBUF_END 4096
#define PATHBUF_MASK (PATHBUF_END - 1)
/* Steps of a filesystem path walk (components and mount crossings). */
#define PATH_DEPTH 48
/* Steps of a cgroup path walk. */
#define CGROUP_DEPTH 16
/* The longest `cgroups` parameter started (whole entries only). */
#define MAX_CGROUPS_LEN 3072
/* Set in a path walk's result when the path was deeper than the walk goes. */
#define WALK_CUT (1 << 16)

struct pathbuf {
	char buf[PATHBUF_SIZE];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pathbuf);
} pathbuf SEC(".maps");

static __always_inline char *pathbuf_get(void)
{
	__u32 zero = 0;
	struct pathbuf *p = bpf_map_lookup_elem(&pathbuf, &zero);
	return p ? p->buf : NULL;
}

/* This CPU's record scratch area (builder.h's `scratch`). */
static __always_inline __u8 *scratch_get(void)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct scratch *s = bpf_map_lookup_elem(&scratch, &cpu);
	return s ? s->buf : NULL;
}

/* Puts `/name` before offset `off` of `pb`; returns the new offset, or 0 when it does not fit. */
static __always_inline __u32 prepend_name(char *pb, __u32 off, const void *name, __u32 len)
{
	len &= 0xff;
	if (len + 2 > off)
		return 0;
	off -= len;
	bpf_probe_read_kernel(&pb[off & PATHBUF_MASK], len, name);
	off--;
	pb[off & PATHBUF_MASK] = '/';
	return off;
}

/* Copies pb[off..PATHBUF_END) (the NUL included) to `dst`; returns the bytes copied. */
static __always_inline __u32 copy_walked(__u8 *dst, const char *pb, __u32 off)
{
	__u32 n = PATHBUF_END - (off & PATHBUF_MASK);
	asm volatile("%0 &= 8191" : "+r"(n));
	if (n == 0 || n > PATHBUF_END)
		return 0;
	if (bpf_probe_read_kernel(dst, n, &pb[off & PATHBUF_MASK]) != 0)
		return 0;
	return n;
}

/* The suffix d_path() gives a file unlinked since it was opened. */
#define DELETED_SUFFIX " (deleted)"

/*
 * Writes the absolute path of the `struct path` at kernel address `path`, as the current task
 * sees it (up to its `fs->root`), into this CPU's scratch area at offset `at`, NUL included;
 * returns the bytes written (0: nothing could be read), with WALK_CUT when the walk stopped at
 * PATH_DEPTH.
 */
__attribute__((noinline)) int rulec_write_path(__u32 at, __u64 path)
{
	__u8 *buf = scratch_get();
	char *pb = pathbuf_get();
	const struct path *p = (const struct path *)path;
	if (!buf || !pb || !p)
		return 0;
	struct dentry *d = BPF_CORE_READ(p, dentry);
	struct vfsmount *vm = BPF_CORE_READ(p, mnt);
	if (!d || !vm)
		return 0;
	/* Where the task's view of the file system ends (NULL: the host's root mount). */
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct dentry *task_root = BPF_CORE_READ(task, fs, root.dentry);
	struct vfsmount *task_root_mnt = BPF_CORE_READ(task, fs, root.mnt);
	unsigned long mnt_off = bpf_core_field_offset(struct mount, mnt);
	struct mount *m = (struct mount *)((unsigned long)vm - mnt_off);
	__u32 off = PATHBUF_END - 1;
	pb[off & PATHBUF_MASK] = 0;
	/* d_unlinked(): out of the dentry hash and not a root (a dentry that is its own parent). */
	if (!BPF_CORE_READ(d, d_hash.pprev) && BPF_CORE_READ(d, d_parent) != d) {
		off -= sizeof(DELETED_SUFFIX) - 1;
		__builtin_memcpy(&pb[off & PATHBUF_MASK], DELETED_SUFFIX, sizeof(DELETED_SUFFIX) - 1);
	}
	/* A suffix alone is not a path: the root's "/" goes before it when no name does. */
	__u32 start = off;
	int i, cut = 0;
	for (i = 0; i < PATH_DEPTH; i++) {
		if (d == task_root && vm == task_root_mnt)
			break;
		struct dentry *root = BPF_CORE_READ(vm, mnt_root);
		struct dentry *parent = BPF_CORE_READ(d, d_parent);
		if (d == root) {
			struct mount *mp = BPF_CORE_READ(m, mnt_parent);
			if (!mp || mp == m)
				break;
			d = BPF_CORE_READ(m, mnt_mountpoint);
			m = mp;
			vm = (struct vfsmount *)((unsigned long)m + mnt_off);
			continue;
		}
		if (!parent || d == parent)
			break;
		__u32 next = prepend_name(pb, off, BPF_CORE_READ(d, d_name.name), BPF_CORE_READ(d, d_name.len));
		if (!next) {
			cut = WALK_CUT;
			break;
		}
		/* The same range at every step, so the verifier's states converge. */
		off = next;
		asm volatile("%0 &= 4095" : "+r"(off));
		d = parent;
	}
	if (i == PATH_DEPTH)
		cut = WALK_CUT;
	if (off == start) {
		off--;
		pb[off & PATHBUF_MASK] = '/';
	}
	return (int)(copy_walked(&buf[at & EVENT_MASK], pb, off) | cut);
}

/* The kernfs parent of `kn` under either name of the field. */
static __always_inline struct kernfs_node *kn_parent(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(kn->__parent))
		return BPF_CORE_READ(kn, __parent);
	return BPF_CORE_READ((struct kernfs_node___parent *)kn, parent);
}

/* Writes `name=path\0` of cgroup `cg` at `dst`; returns the bytes written, 0 for none. */
static __always_inline __u32 write_cgroup_entry(__u8 *dst, char *pb, const char *name, struct cgroup *cg)
{
	struct kernfs_node *kn = cg ? BPF_CORE_READ(cg, kn) : NULL;
	if (!kn)
		return 0;
	long r = bpf_probe_read_kernel_str(dst, 64, name);
	if (r <= 1)
		return 0;
	__u32 at = ((__u32)r - 1) & 0x3f;
	dst[at] = '=';
	at++;
	__u32 off = PATHBUF_END - 1;
	pb[off & PATHBUF_MASK] = 0;
	for (int i = 0; i < CGROUP_DEPTH; i++) {
		struct kernfs_node *parent = kn_parent(kn);
		if (!parent)
			break;
		/* kernfs names are NUL-terminated, without a stored length: read into the upper half. */
		char *tmp = &pb[PATHBUF_END + 256];
		long n = bpf_probe_read_kernel_str(tmp, 256, BPF_CORE_READ(kn, name));
		if (n <= 1)
			break;
		__u32 next = prepend_name(pb, off, tmp, ((__u32)n - 1) & 0xff);
		if (!next)
			break;
		off = next;
		asm volatile("%0 &= 4095" : "+r"(off));
		kn = parent;
	}
	if (off == PATHBUF_END - 1) {
		off--;
		pb[off & PATHBUF_MASK] = '/';
	}
	__u32 n = copy_walked(&dst[at & 0x7f], pb, off);
	return n ? at + n : 0;
}

/*
 * Writes the cgroups of the task at kernel address `task` into this CPU's scratch area at `at`:
 * `controller=path` per controller and `unified=path` for the default hierarchy, NUL-separated;
 * returns the bytes written.
 */
__attribute__((noinline)) int rulec_write_cgroups(__u32 at, __u64 task)
{
	__u8 *buf = scratch_get();
	char *pb = pathbuf_get();
	struct task_struct *t = (struct task_struct *)task;
	struct css_set *cs = t ? BPF_CORE_READ(t, cgroups) : NULL;
	if (!buf || !pb || !cs)
		return 0;
	unsigned long subsys = (unsigned long)cs + bpf_core_field_offset(struct css_set, subsys);
	__u32 count = bpf_core_enum_value(enum cgroup_subsys_id, CGROUP_SUBSYS_COUNT);
	__u32 len = 0;
	for (__u32 i = 0; i < 16; i++) {
		if (i >= count || len > MAX_CGROUPS_LEN)
			break;
		struct cgroup_subsys_state *css = NULL;
		bpf_probe_read_kernel(&css, sizeof(css), (const void *)(subsys + i * sizeof(void *)));
		if (!css)
			continue;
		const char *name = BPF_CORE_READ(css, ss, name);
		len += write_cgroup_entry(&buf[(at + len) & EVENT_MASK], pb, name, BPF_CORE_READ(css, cgroup));
		asm volatile("%0 &= 4095" : "+r"(len));
	}
	if (len <= MAX_CGROUPS_LEN) {
		const char unified[] = "unified";
		len += write_cgroup_entry(&buf[(at + len) & EVENT_MASK], pb, unified, BPF_CORE_READ(cs, dfl_cgrp));
	}
	return (int)(len & 0x1fff);
}

/* A `struct path` (kernel address) as an absolute path parameter; empty when unreadable. */
static __always_inline void push_path_of(struct builder *b, const void *path)
{
	int r = rulec_write_path(b->off, (__u64)(unsigned long)path);
	if ((r & WALK_CUT) && b->cnt)
		__sync_fetch_and_add(&b->cnt->n_truncated, 1);
	builder_param_done(b, (__u32)r & 0x1fff);
}

/* The task's cgroups as the drivers' `cgroups` parameter (a NUL-separated string list). */
static __always_inline void push_cgroups(struct builder *b, struct task_struct *t)
{
	int r = rulec_write_cgroups(b->off, (__u64)(unsigned long)t);
	builder_param_done(b, (__u32)r & 0x1fff);
}

#endif
