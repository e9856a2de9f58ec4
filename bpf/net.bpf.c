// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * TCP per job and endpoint: connect latency, retransmits; bytes sent and received on IP sockets
 * with `record --socket-bytes` (every send and receive is an event: off by default). Socket
 * wait per endpoint, and TCP's smoothed RTT as each wait begins, come from the scheduler
 * programs (sched.bpf.c).
 *
 * Retransmits and connection completion happen in softirq context, where the current task is
 * anyone's: the socket remembers its job (socket storage), set whenever one of the job's tasks
 * connects, sends or receives on it.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "job.bpf.h"

#define CT_TCP_ESTABLISHED	1
#define CT_TCP_SYN_SENT		2
#define CT_TCP_CLOSE		7

struct ct_sock {
	__u64 conn_ts;		/* SYN sent at (0: not connecting) */
	__u32 slot;		/* job of the first task seen using the socket (0: not yet) */
	__u32 retrans;		/* the socket's total_retrans already charged */
	struct ct_ep ep;	/* its endpoint, read then (and again when it connects) */
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct ct_sock);
} ct_socks SEC(".maps");

/* The job of the task running now (process context only). */
static __always_inline __u32 current_slot(void)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct ct_task *c = ct_task_get(t);

	return c ? ct_job_of(t, c) : CT_SLOT_OTHER;
}

/*
 * @sk's storage, tagged with the current task's job and its endpoint the first time a task
 * uses it (a socket stays with the job that opened it; its peer only changes on connect).
 */
static __always_inline struct ct_sock *tag(struct sock *sk)
{
	struct ct_sock *s = bpf_sk_storage_get(&ct_socks, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);

	if (s && !s->slot) {
		s->slot = current_slot();
		ct_sk_endpoint(sk, &s->ep);
	}
	return s;
}

static __always_inline struct ct_ep_stats *sk_stats(struct sock *sk, __u32 slot)
{
	struct ct_ep ep;

	ct_sk_endpoint(sk, &ep);
	return ct_ep_of(slot, &ep);
}

/* Only IP sockets are counted here: a local (unix) socket's bytes say nothing of a network. */
static __always_inline bool is_ip(struct sock *sk)
{
	__u16 f = sk->__sk_common.skc_family;

	return f == CT_AF_INET || f == CT_AF_INET6;
}

/*
 * Charge what the socket's own count of retransmitted segments (tcpi_total_retrans) gained
 * since last seen. Not every retransmit passes the tracepoint (tail loss probes may go around
 * it), and 6.13 fires it for failed attempts too: the kernel's counter is the truth, the
 * events only say when to look.
 */
static __always_inline void retrans_catch_up(struct sock *sk, struct ct_sock *s)
{
	__u32 total = BPF_CORE_READ((struct tcp_sock *)sk, total_retrans);
	struct ct_ep_stats *e;

	if (total == s->retrans)
		return;
	e = sk_stats(sk, s->slot);
	if (e && total > s->retrans)
		__sync_fetch_and_add(&e->retrans, total - s->retrans);
	s->retrans = total;
}

/*
 * @sk's storage; for a socket no task of a job was seen using yet, made now when it is one
 * a job serves: accepted on a port where that job waits for requests.
 */
static __always_inline struct ct_sock *sock_or_served(struct sock *sk)
{
	struct ct_sock *s = bpf_sk_storage_get(&ct_socks, sk, 0, 0);
	struct ct_server_key k;
	struct ct_ep ep;
	__u32 *slot;

	if (s)
		return s;
	ct_sk_endpoint(sk, &ep);
	if (!(ep.flags & CT_EP_LOCAL))
		return NULL;
	k.family = ep.family;
	k.port = ep.port;
	slot = bpf_map_lookup_elem(&ct_servers, &k);
	if (!slot)
		return NULL;
	s = bpf_sk_storage_get(&ct_socks, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (s && !s->slot) {
		s->slot = *slot;
		s->ep = ep;
	}
	return s;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(ct_inet_sock_set_state, struct sock *sk, int oldstate, int newstate)
{
	struct ct_ep_stats *e;
	struct ct_sock *s;

	if (sk->sk_protocol != CT_IPPROTO_TCP)
		return 0;
	if (newstate == CT_TCP_SYN_SENT) {
		/* connect(): process context, the connecting task is current; a new peer. */
		s = bpf_sk_storage_get(&ct_socks, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
		if (s) {
			s->slot = current_slot();
			ct_sk_endpoint(sk, &s->ep);
			s->conn_ts = bpf_ktime_get_ns();
		}
		return 0;
	}
	s = sock_or_served(sk);
	/* Any change of state (closing above all) settles the socket's retransmits. */
	if (s)
		retrans_catch_up(sk, s);
	if (oldstate != CT_TCP_SYN_SENT || !s || !s->conn_ts)
		return 0;
	e = ct_ep_of(s->slot, &s->ep);
	if (e && newstate == CT_TCP_ESTABLISHED) {
		__sync_fetch_and_add(&e->conn_ns, bpf_ktime_get_ns() - s->conn_ts);
		__sync_fetch_and_add(&e->conn_cnt, 1);
	} else if (e && newstate == CT_TCP_CLOSE) {
		__sync_fetch_and_add(&e->conn_fail, 1);
	}
	s->conn_ts = 0;
	return 0;
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(ct_tcp_retransmit_skb, struct sock *sk)
{
	struct ct_sock *s = sock_or_served(sk);
	struct ct_ep_stats *e;

	if (s) {
		retrans_catch_up(sk, s);
		return 0;
	}
	/* A socket no job was seen using: count what went out. */
	if (targ_retrans_err_arg && (int)ctx[2])
		return 0;
	e = sk_stats(sk, CT_SLOT_OTHER);
	if (e)
		__sync_fetch_and_add(&e->retrans, 1);
	return 0;
}

/* @ret bytes went out (@tx) or came in on @sk, a socket of the current task. */
static __always_inline void add_bytes(struct sock *sk, int ret, bool tx)
{
	struct ct_ep_stats *e;
	struct ct_sock *s;

	if (ret <= 0 || !is_ip(sk) || !(s = tag(sk)))
		return;
	e = ct_ep_of(s->slot, &s->ep);
	if (e)
		__sync_fetch_and_add(tx ? &e->tx_bytes : &e->rx_bytes, ret);
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(ct_sock_send_length, struct sock *sk, int ret)
{
	add_bytes(sk, ret, true);
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(ct_sock_recv_length, struct sock *sk, int ret)
{
	add_bytes(sk, ret, false);
	return 0;
}
