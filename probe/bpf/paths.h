/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Paths the kernel keeps as objects rather than strings, written as strings by bounded walks
 * (raw tracepoints may not call `bpf_d_path`):
 *
 * - a `struct path` (the cwd, the running executable) as an absolute path: its dentry's names up
 *   to the root of its mount, then across to the mount point, up to the host's root mount; the
 *   walk stops after PATH_DEPTH steps (a deeper path keeps its deepest components and is counted
 *   as cut) and never follows a dentry that is its own parent (an unreachable one);
 * - a cgroup as its path in its hierarchy (its kernfs node's names up to the root, the form
 *   /proc/PID/cgroup shows);
 * - the task's cgroups as the drivers' `cgroups` parameter: `controller=path` strings, one per
 *   controller, and `unified=path` for the default (v2) hierarchy, as rulec names the `0::` line
 *   of /proc/PID/cgroup.
 *
 * Names are written backwards into this CPU's `pathbuf`, ending at PATHBUF_END, then copied into
 * the record in one read.
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
/* The longest `cgroups` parameter written (whole entries only). */
#define MAX_CGROUPS_LEN 3072

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

/* Copies pb[off..PATHBUF_END) (the NUL included) into the record as one parameter's bytes
 * starting `at` bytes into it; returns the bytes written. */
static __always_inline __u32 copy_walked(struct builder *b, __u32 at, const char *pb, __u32 off)
{
	__u32 n = PATHBUF_END - (off & PATHBUF_MASK);
	asm volatile("%0 &= 8191" : "+r"(n));
	if (n == 0 || n > PATHBUF_END)
		return 0;
	if (bpf_probe_read_kernel(&b->buf[(b->off + at) & EVENT_MASK], n, &pb[off & PATHBUF_MASK]) != 0)
		return 0;
	return n;
}

/* Walks `path` into `pb`; returns the offset where the absolute path starts (it ends at
 * PATHBUF_END - 1 with a NUL), or 0 when nothing could be read. */
static __always_inline __u32 walk_path(struct builder *b, char *pb, const struct path *path)
{
	struct dentry *d = BPF_CORE_READ(path, dentry);
	struct vfsmount *vm = BPF_CORE_READ(path, mnt);
	if (!d || !vm)
		return 0;
	unsigned long mnt_off = bpf_core_field_offset(struct mount, mnt);
	struct mount *m = (struct mount *)((unsigned long)vm - mnt_off);
	__u32 off = PATHBUF_END - 1;
	pb[off & PATHBUF_MASK] = 0;
	int i;
	for (i = 0; i < PATH_DEPTH; i++) {
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
		if (!next)
			break;
		off = next;
		d = parent;
	}
	if (i == PATH_DEPTH && b->cnt)
		__sync_fetch_and_add(&b->cnt->n_truncated, 1);
	if (off == PATHBUF_END - 1) {
		off--;
		pb[off & PATHBUF_MASK] = '/';
	}
	return off;
}

/* A `struct path` as an absolute path parameter; empty when it cannot be read. */
static __always_inline void push_path_of(struct builder *b, const struct path *path)
{
	char *pb = pathbuf_get();
	__u32 off = pb ? walk_path(b, pb, path) : 0;
	__u32 n = off ? copy_walked(b, 0, pb, off) : 0;
	builder_param_done(b, n);
}

/* The kernfs parent of `kn` under either name of the field. */
static __always_inline struct kernfs_node *kn_parent(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(kn->__parent))
		return BPF_CORE_READ(kn, __parent);
	return BPF_CORE_READ((struct kernfs_node___parent *)kn, parent);
}

/* Walks cgroup `cg` into `pb` as its path in its hierarchy ("/" for the root); returns the
 * start offset, or 0. */
static __always_inline __u32 walk_cgroup(char *pb, struct cgroup *cg)
{
	struct kernfs_node *kn = cg ? BPF_CORE_READ(cg, kn) : NULL;
	if (!kn)
		return 0;
	__u32 off = PATHBUF_END - 1;
	pb[off & PATHBUF_MASK] = 0;
	for (int i = 0; i < CGROUP_DEPTH; i++) {
		struct kernfs_node *parent = kn_parent(kn);
		if (!parent)
			break;
		const char *name = BPF_CORE_READ(kn, name);
		/* kernfs names are NUL-terminated strings without a stored length. */
		char *dst = &pb[PATHBUF_END + 256];
		long r = bpf_probe_read_kernel_str(dst, 256, name);
		if (r <= 1)
			break;
		__u32 len = ((__u32)r - 1) & 0xff;
		__u32 next = prepend_name(pb, off, dst, len);
		if (!next)
			break;
		off = next;
		kn = parent;
	}
	if (off == PATHBUF_END - 1) {
		off--;
		pb[off & PATHBUF_MASK] = '/';
	}
	return off;
}

/* Appends `name=path\0` of cgroup `cg` to the parameter being written (`*len` bytes so far). */
static __always_inline void push_cgroup_entry(struct builder *b, char *pb, __u32 *len, const char *name,
					      struct cgroup *cg)
{
	if (*len > MAX_CGROUPS_LEN)
		return;
	__u32 at = *len;
	long r = bpf_probe_read_kernel_str(&b->buf[(b->off + at) & EVENT_MASK], 64, name);
	if (r <= 1)
		return;
	at += ((__u32)r - 1) & 0x3f;
	b->buf[(b->off + at) & EVENT_MASK] = '=';
	at++;
	__u32 off = walk_cgroup(pb, cg);
	if (!off)
		return;
	__u32 n = copy_walked(b, at, pb, off);
	if (!n)
		return;
	*len = (at + n) & 0xffff;
}

/* The task's cgroups as the drivers' `cgroups` parameter (a NUL-separated string list). */
static __always_inline void push_cgroups(struct builder *b, struct task_struct *t)
{
	char *pb = pathbuf_get();
	struct css_set *cs = BPF_CORE_READ(t, cgroups);
	__u32 len = 0;
	if (!pb || !cs) {
		push_empty(b);
		return;
	}
	unsigned long subsys = (unsigned long)cs + bpf_core_field_offset(struct css_set, subsys);
	__u32 count = bpf_core_enum_value(enum cgroup_subsys_id, CGROUP_SUBSYS_COUNT);
	for (__u32 i = 0; i < 16; i++) {
		if (i >= count)
			break;
		struct cgroup_subsys_state *css = NULL;
		bpf_probe_read_kernel(&css, sizeof(css), (const void *)(subsys + i * sizeof(void *)));
		if (!css)
			continue;
		const char *name = BPF_CORE_READ(css, ss, name);
		push_cgroup_entry(b, pb, &len, name, BPF_CORE_READ(css, cgroup));
	}
	const char unified[] = "unified";
	push_cgroup_entry(b, pb, &len, unified, BPF_CORE_READ(cs, dfl_cgrp));
	builder_param_done(b, len);
}

#endif
