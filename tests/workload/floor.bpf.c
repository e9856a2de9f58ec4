// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The floor `make bench` divides by: empty programs on the two scheduler tracepoints any
 * run-queue tracer needs. What one costs is the kernel's dispatch to a BPF program and, with
 * kernel.bpf_stats_enabled, the stats' own clock reads; no tracer can cost less per switch.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("tp_btf/sched_switch")
int BPF_PROG(floor_sched_switch)
{
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(floor_sched_wakeup)
{
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
