// SPDX-License-Identifier: GPL-2.0
// The floor of the probe's cost: programs with the same names, hooks and program types as
// probe.bpf.c that return at once. `rulec bench --live` attaches them to measure what merely having a program
// on each hook costs, the part of the overhead no probe can avoid. No maps, no helpers.

#include "kernel_types.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("raw_tp/sys_enter")
int rulec_sys_enter(void *ctx) { return 0; }

SEC("tp_btf/sys_exit")
int rulec_sys_exit(void *ctx) { return 0; }

SEC("raw_tp/sched_process_exec")
int rulec_sched_exec(void *ctx) { return 0; }

SEC("raw_tp/sched_process_exit")
int rulec_sched_exit(void *ctx) { return 0; }

SEC("raw_tp/sched_process_fork")
int rulec_sched_fork(void *ctx) { return 0; }
