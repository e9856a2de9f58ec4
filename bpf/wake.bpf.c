// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Which socket ended a wait in poll, select or epoll. A socket that gets data (or, for a
 * listening one, a connection) calls its sk_data_ready callback, which the kernel traces
 * first; the callback then wakes every task waiting on the socket's wait queue. Here that queue
 * is read before the wakeups: a poll or select entry (func pollwake) names its polling task; an
 * epoll entry (func ep_poll_callback) names its epoll instance, whose own queue holds the tasks
 * in epoll_wait. Each such task still asleep is about to be woken by this socket: it is noted
 * in ct_woken with the socket's endpoint and its voluntary-switch count, which tells the block
 * that this wakeup ends. At that task's next switch-out, sched.bpf.c turns its pending poll
 * wait into a socket wait on that endpoint. A wait ended by anything else (an eventfd, a pipe,
 * a timer, a signal) stays poll; a socket whose data comes when no one waits costs a few loads.
 *
 * The two callbacks' addresses come from /proc/kallsyms (user space sets them); without them
 * every such wait stays poll.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "job.bpf.h"

#define TASK_INTERRUPTIBLE	0x1
#define CT_SCAN_SOCK	8	/* entries read on a socket's wait queue */
#define CT_SCAN_EPOLL	4	/* tasks read in one epoll instance's queue */

const volatile __u64 targ_pollwake = 0;
const volatile __u64 targ_ep_poll_callback = 0;

/* @task (read, not a BTF pointer), if asleep, is woken now by the socket of endpoint @w. */
static __always_inline void woken_by(struct task_struct *task, struct ct_woken *w)
{
	struct ct_woken *old;
	__u32 pid;

	if (!task || !(BPF_CORE_READ(task, __state) & TASK_INTERRUPTIBLE))
		return;
	pid = BPF_CORE_READ(task, pid);
	w->nvcsw = BPF_CORE_READ(task, nvcsw);
	old = bpf_map_lookup_elem(&ct_woken, &pid);
	/* asleep still, yet noted in this block already: a socket that came first woke it */
	if (old && old->nvcsw == w->nvcsw)
		return;
	bpf_map_update_elem(&ct_woken, &pid, w, BPF_ANY);
}

/* The tasks in epoll_wait on the epoll instance of epoll entry @e. */
static __always_inline void epoll_waiters(struct wait_queue_entry *e, struct ct_woken *w)
{
	struct eppoll_entry *pe = container_of(e, struct eppoll_entry, wait);
	struct eventpoll *ep = BPF_CORE_READ(pe, base, ep);
	struct list_head *head, *pos;

	if (!ep)
		return;
	head = &ep->wq.head;
	pos = BPF_CORE_READ(head, next);
	for (int i = 0; i < CT_SCAN_EPOLL && pos && pos != head; i++) {
		struct wait_queue_entry *we = container_of(pos, struct wait_queue_entry, entry);

		woken_by(BPF_CORE_READ(we, private), w);
		pos = BPF_CORE_READ(pos, next);
	}
}

SEC("tp_btf/sk_data_ready")
int BPF_PROG(ct_sk_data_ready, const struct sock *sk)
{
	struct socket_wq *wq = BPF_CORE_READ(sk, sk_wq);
	struct list_head *head, *pos;
	struct ct_woken w = {};
	bool named = false;

	if (!wq || !targ_pollwake)
		return 0;
	head = &wq->wait.head;
	pos = BPF_CORE_READ(head, next);
	for (int i = 0; i < CT_SCAN_SOCK && pos && pos != head; i++) {
		struct wait_queue_entry *e = container_of(pos, struct wait_queue_entry, entry);
		__u64 fn = (__u64)BPF_CORE_READ(e, func);

		if (fn == targ_pollwake || fn == targ_ep_poll_callback) {
			if (!named) {
				w.tcp = ct_sk_endpoint_rtt((struct sock *)sk, &w.ep);
				w.srtt_us = w.tcp ? BPF_CORE_READ((struct tcp_sock *)sk, srtt_us) >> 3 :
						    0;
				named = true;
			}
			if (fn == targ_pollwake) {
				struct poll_wqueues *pw = BPF_CORE_READ(e, private);

				woken_by(BPF_CORE_READ(pw, polling_task), &w);
			} else
				epoll_waiters(e, &w);
		}
		pos = BPF_CORE_READ(pos, next);
	}
	return 0;
}
