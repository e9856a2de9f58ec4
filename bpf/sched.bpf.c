// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * CPU contention per job: on-CPU time, run-queue delay (charged to the task that waited), the
 * victim x culprit matrix, context switches, and off-CPU time by the reason a task blocked.
 *
 * A task's time is split exactly: on CPU (switch-in to switch-out), blocked (switch-out to
 * wakeup, charged to the reason decided at switch-out), queued (wakeup or preemption to
 * switch-in). All counters are cumulative and per CPU; user space sums and takes deltas.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "job.bpf.h"
#include "core_fixes.bpf.h"
#include "syscalls.bpf.h"

#define TASK_RUNNING		0x0
#define TASK_INTERRUPTIBLE	0x1
#define TASK_UNINTERRUPTIBLE	0x2
#define TASK_DEAD		0x80
#define S_IFMT			00170000
#define S_IFSOCK		0140000
#define S_IFIFO			0010000


/* The endpoint of the socket behind @f (family 0 when it cannot be read), and its sock. */
static __noinline void file_endpoint(struct file *f, struct ct_task *c)
{
	struct socket *so = BPF_CORE_READ(f, private_data);
	struct sock *sk = so ? BPF_CORE_READ(so, sk) : NULL;

	c->sk = (__u64)sk;
	c->ep_tcp = 0;
	if (!sk) {
		__builtin_memset(&c->ep, 0, sizeof(c->ep));
		return;
	}
	ct_sk_endpoint(sk, &c->ep);
	c->ep_tcp = (c->ep.family == CT_AF_INET || c->ep.family == CT_AF_INET6) &&
		    BPF_CORE_READ(sk, sk_protocol) == CT_IPPROTO_TCP;
}

/*
 * Socket, pipe or @fallback, from the type of the file behind @fd. A task usually blocks on
 * the same file again and again: the answer is cached per task by file, which saves the two
 * reads of its mode (and, for a socket, the reads of its endpoint). @connecting: the socket
 * is being connected, so a cached endpoint may predate the address it is given now.
 */
static __always_inline __u8 fd_reason(struct task_struct *t, struct ct_task *c, long fd,
				      __u8 fallback, bool connecting)
{
	struct fdtable *fdt = t->files->fdt;
	struct file *f = NULL;
	umode_t m;

	if (fd < 0 || fd >= fdt->max_fds)
		return fallback;
	/* A variable index into a kernel array needs the helper, and so does what it yields. */
	bpf_probe_read_kernel(&f, sizeof(f), &fdt->fd[fd]);
	if (!f)
		return fallback;
	if (c->file != (__u64)f || connecting) {
		m = BPF_CORE_READ(f, f_inode, i_mode) & S_IFMT;
		c->file = (__u64)f;
		c->file_reason = m == S_IFSOCK ? CT_OFF_SOCKET : m == S_IFIFO ? CT_OFF_PIPE : 0xff;
		if (c->file_reason == CT_OFF_SOCKET)
			file_endpoint(f, c);
	}
	if (c->file_reason == 0xff)
		return fallback;
	c->ep_ok = c->file_reason == CT_OFF_SOCKET;
	/* TCP's smoothed RTT as the wait begins (srtt_us holds 8 x the RTT in us). */
	if (c->ep_ok && c->ep_tcp) {
		/* A local: CO-RE relocates only the kernel's own types in the expression. */
		struct tcp_sock *tp = (struct tcp_sock *)c->sk;

		c->srtt_us = BPF_CORE_READ(tp, srtt_us) >> 3;
	}
	return c->file_reason;
}

/* poll()/ppoll() on exactly one fd is how most clients wait with a timeout (CPython does). */
static __always_inline __u8 poll_reason(struct task_struct *t, struct ct_task *c,
				       struct pt_regs *regs)
{
	int fd;

	if (CT_REGS_ARG2(regs) != 1)
		return CT_OFF_POLL;
	if (bpf_probe_read_user(&fd, sizeof(fd), (void *)CT_REGS_ARG1(regs)))
		return CT_OFF_POLL;
	return fd_reason(t, c, fd, CT_OFF_POLL, false);
}

/* Why @t, which is blocking now in @state, is going off CPU. @t is current. */
static __noinline __u8 classify(struct task_struct *t, struct ct_task *c, unsigned int state)
{
	struct pt_regs *regs;
	long nr;

	c->ep_ok = 0;
	if (state & TASK_UNINTERRUPTIBLE)
		return BPF_CORE_READ_BITFIELD(t, in_iowait) ? CT_OFF_DISK : CT_OFF_DSTATE;
	if (!(state & TASK_INTERRUPTIBLE))
		return CT_OFF_OTHER;
	regs = (struct pt_regs *)bpf_task_pt_regs(t);
	nr = CT_REGS_NR(regs);
	switch (nr) {
	case CT_NR_recvfrom: case CT_NR_recvmsg: case CT_NR_recvmmsg:
	case CT_NR_sendto: case CT_NR_sendmsg: case CT_NR_sendmmsg:
	case CT_NR_connect: case CT_NR_accept: case CT_NR_accept4:
		/* Always a socket; the file lookup is for its endpoint. */
		fd_reason(t, c, CT_REGS_ARG1(regs), CT_OFF_SOCKET, nr == CT_NR_connect);
		return CT_OFF_SOCKET;
	case CT_NR_read: case CT_NR_write: case CT_NR_readv: case CT_NR_writev:
	case CT_NR_pread64: case CT_NR_pwrite64:
		return fd_reason(t, c, CT_REGS_ARG1(regs), CT_OFF_OTHER, false);
	case CT_NR_poll: case CT_NR_ppoll:
		return poll_reason(t, c, regs);
	case CT_NR_select: case CT_NR_pselect6:
	case CT_NR_epoll_wait: case CT_NR_epoll_pwait: case CT_NR_epoll_pwait2:
		return CT_OFF_POLL;
	case CT_NR_futex: case CT_NR_futex_waitv:
		return CT_OFF_LOCK;
	case CT_NR_nanosleep: case CT_NR_clock_nanosleep:
		return CT_OFF_SLEEP;
	case CT_NR_wait4: case CT_NR_waitid:
		return CT_OFF_CHILD;
	default:
		return CT_OFF_OTHER;
	}
}

/*
 * @state is the state @prev blocked in. The live prev->__state is not good enough for that: a
 * wakeup racing with the switch may already have made it TASK_WAKING.
 */
static __always_inline void switch_out(struct task_struct *prev, struct ct_task *c,
				       struct ct_job_stats *st, bool runnable, unsigned int state,
				       __u64 now)
{
	__u64 maj;

	/*
	 * Switching out a task we saw queued means its switch-in was not traced: some kernels
	 * (sandboxes hiding their own agents) skip sched_switch for a few tasks. Whoever ran
	 * unseen ran briefly, so the likeliest truth is that this task ran since then; count it.
	 */
	if (c->state == CT_TS_QUEUED)
		__sync_fetch_and_add(&ct_unseen, 1);
	if (st && (c->state == CT_TS_RUNNING || c->state == CT_TS_QUEUED))
		st->oncpu_ns += now - c->ts;
	c->ts = now;
	/* Major faults block, so switch-out sees them all but a dying task's last few. */
	maj = prev->maj_flt + 1;
	if (st && c->majflt && maj > c->majflt)
		st->majflt += maj - c->majflt;
	c->majflt = maj;
	if (runnable) {
		if (st)
			st->nivcsw++;
		c->state = CT_TS_QUEUED;
		return;
	}
	if (st)
		st->nvcsw++;
	if (state & TASK_DEAD) {
		c->state = CT_TS_UNKNOWN;
		return;
	}
	c->state = CT_TS_BLOCKED;
	c->reason = classify(prev, c, state);
}

/* Record that @slot held this CPU until @now. */
static __always_inline void ring_push(struct ct_ring *r, __u32 slot, __u64 now)
{
	__u32 h = r->head & (CT_RING - 1);

	r->end[h] = now;
	r->slot[h] = slot;
	r->head++;
}

/*
 * Split @victim's wait [t0, now] among the slices this CPU ran meanwhile, newest first. A wait
 * older than the ring charges what is left to the oldest slice known. A task that waited on
 * another CPU before migrating here is charged by this CPU's history: who ran where it got in.
 */
static __always_inline void charge_culprits(__u32 cpu, struct ct_ring *r, __u32 victim, __u64 t0)
{
	__u64 head = r->head, end, start, from;
	struct ct_pair_stats *pair;

	for (__u32 k = 0; k < CT_RING && k < head; k++) {
		end = r->end[(head - 1 - k) & (CT_RING - 1)];
		if (end <= t0)
			break;
		start = k + 1 < CT_RING && k + 1 < head ? r->end[(head - 2 - k) & (CT_RING - 1)] : 0;
		from = start > t0 ? start : t0;
		pair = ct_pair_of(cpu, victim, r->slot[(head - 1 - k) & (CT_RING - 1)]);
		if (pair) {
			pair->delay_ns += end - from;
			pair->delay_cnt++;
		}
		if (from == t0)
			break;
	}
}

static __always_inline void switch_in(__u32 cpu, struct ct_task *c, __u32 slot,
				      struct ct_ring *ring, __u64 now)
{
	struct ct_job_stats *st;
	__u64 d;

	if (c->state == CT_TS_QUEUED) {
		d = now - c->ts;
		st = ct_stats_of(cpu, slot);
		if (st) {
			st->runq_ns += d;
			st->runq_cnt++;
			if (d > st->runq_max_ns)
				st->runq_max_ns = d;
		}
		ct_hist_add(cpu, slot, CT_HIST_RUNQ, d);
		if (ring)
			charge_culprits(cpu, ring, slot, c->ts);
	}
	c->state = CT_TS_RUNNING;
	c->ts = now;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(ct_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u64 now = bpf_ktime_get_ns();
	__u32 cpu = bpf_get_smp_processor_id();
	__u32 pslot = CT_SLOT_IDLE, nslot;
	unsigned int state, blocked_state;
	bool runnable = false;
	struct ct_pair_stats *pair;
	struct ct_ring *ring;
	struct ct_task *c;

	if (prev->pid) {
		/* Live state: a task that did not block after all (signal) is RUNNING again. */
		state = ct_task_state(prev);
		runnable = preempt || state == TASK_RUNNING;
		/* 5.18 added the state prev blocked in as the tracepoint's last argument. */
		blocked_state = targ_switch_state_arg ? (unsigned int)ctx[3] : state;
		c = ct_task_get(prev);
		if (c) {
			pslot = ct_job_of(prev, c);
			switch_out(prev, c, ct_stats_of(cpu, pslot), runnable, blocked_state, now);
		} else {
			pslot = CT_SLOT_OTHER;
		}
	}
	ring = bpf_map_lookup_elem(&ct_rings, &cpu);
	if (ring)
		ring_push(ring, pslot, now);
	if (!next->pid)
		return 0;
	c = ct_task_get(next);
	if (!c)
		return 0;
	nslot = ct_job_of(next, c);
	switch_in(cpu, c, nslot, ring, now);
	if (runnable && pslot != CT_SLOT_IDLE) {
		pair = ct_pair_of(cpu, pslot, nslot);
		if (pair)
			pair->preempts++;
	}
	return 0;
}

/* A socket wait of @d ns ended: the job's histogram, and its endpoint's entry. */
static __noinline void socket_wait(struct ct_task *c, __u32 cpu, __u32 slot, __u64 d)
{
	struct ct_ep none = {};
	struct ct_ep_stats *e;

	ct_hist_add(cpu, slot, CT_HIST_SOCKET, d);
	e = ct_ep_of(slot, c->ep_ok ? &c->ep : &none);
	if (!e)
		return;
	__sync_fetch_and_add(&e->wait_ns, d);
	__sync_fetch_and_add(&e->wait_cnt, 1);
	if (c->ep_ok && c->ep_tcp && c->srtt_us) {
		__sync_fetch_and_add(&e->srtt_us, c->srtt_us);
		__sync_fetch_and_add(&e->srtt_cnt, 1);
	}
	ct_hist_add_atomic(e->hist, d);
}

static __always_inline void wakeup(struct task_struct *p)
{
	struct ct_job_stats *st;
	struct ct_task *c;
	__u64 now, d;
	__u32 cpu, slot;
	__u64 r;

	if (!p->pid)
		return;
	c = ct_task_get(p);
	if (!c || c->state == CT_TS_RUNNING || c->state == CT_TS_QUEUED)
		return;
	now = bpf_ktime_get_ns();
	if (c->state == CT_TS_BLOCKED) {
		d = now - c->ts;
		r = c->reason;
		cpu = bpf_get_smp_processor_id();
		slot = ct_job_of(p, c);
		st = ct_stats_of(cpu, slot);
		barrier_var(r);
		if (st && r < CT_OFF_NR) {
			st->off_ns[r] += d;
			st->off_cnt[r]++;
		}
		if (r == CT_OFF_SOCKET)
			socket_wait(c, cpu, slot, d);
	}
	c->state = CT_TS_QUEUED;
	c->ts = now;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(ct_sched_wakeup, struct task_struct *p)
{
	wakeup(p);
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(ct_sched_wakeup_new, struct task_struct *p)
{
	wakeup(p);
	return 0;
}
