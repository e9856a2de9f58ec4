// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Which socket ended a wait in poll, select or epoll. A socket that gets data (or, for a
 * listening one, a connection) calls its sk_data_ready callback, and the kernel traces that
 * first; the callback then wakes, synchronously and on the same CPU, every task waiting on the
 * socket: directly for poll and select, through ep_poll_callback for epoll. So a wakeup that
 * follows sk_data_ready on the same CPU, in the same context and within a few microseconds,
 * was made by that socket. The woken task's pending wait, classified as poll when it blocked,
 * becomes a socket wait on the socket's endpoint; sched.bpf.c charges it at the task's next
 * switch-out. A wait ended by anything else (an eventfd, a pipe, a timer, a signal) stays poll.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "job.bpf.h"

/*
 * The newest sk_data_ready on this CPU. Its wakeups follow within the callback; a wakeup
 * later than CT_READY_NS after it, or by another task or context, is not its.
 */
struct ct_ready {
	__u64 sk;
	__u64 ts;
	__u64 waker;		/* the current task then */
};

#define CT_READY_NS 50000ULL

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ct_ready);
} ct_ready SEC(".maps");

SEC("tp_btf/sk_data_ready")
int BPF_PROG(ct_sk_data_ready, const struct sock *sk)
{
	__u32 zero = 0;
	struct ct_ready *r = bpf_map_lookup_elem(&ct_ready, &zero);

	if (r) {
		r->sk = (__u64)sk;
		r->ts = bpf_ktime_get_ns();
		r->waker = (__u64)bpf_get_current_task_btf();
	}
	return 0;
}

SEC("tp_btf/sched_waking")
int BPF_PROG(ct_sched_waking, struct task_struct *p)
{
	struct ct_task *c = bpf_task_storage_get(&ct_tasks, p, 0, 0);
	__u32 zero = 0;
	struct ct_ready *r;
	struct sock *sk;

	/*
	 * Only a task off CPU since it blocked in poll: one still on a CPU is waking before it
	 * got off, and the wait this would end has not begun.
	 */
	if (!c || !c->blocked || c->reason != CT_OFF_POLL || p->on_cpu)
		return 0;
	r = bpf_map_lookup_elem(&ct_ready, &zero);
	if (!r || !r->sk || r->waker != (__u64)bpf_get_current_task_btf() ||
	    bpf_ktime_get_ns() - r->ts > CT_READY_NS)
		return 0;
	sk = (struct sock *)r->sk;
	ct_sk_endpoint(sk, &c->ep);
	c->ep_tcp = (c->ep.family == CT_AF_INET || c->ep.family == CT_AF_INET6) &&
		    BPF_CORE_READ(sk, sk_protocol) == CT_IPPROTO_TCP;
	c->srtt_us = c->ep_tcp ? BPF_CORE_READ((struct tcp_sock *)sk, srtt_us) >> 3 : 0;
	c->ep_ok = 1;
	c->reason = CT_OFF_SOCKET;
	c->polled = 1;
	/* c->ep no longer belongs to the file last classified: classify that one afresh */
	c->file = 0;
	return 0;
}
