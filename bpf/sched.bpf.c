// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * CPU contention per job: on-CPU time, run-queue delay (charged to the task that waited), the
 * victim x culprit matrix, context switches, and off-CPU time by the reason a task blocked.
 *
 * A task's time is split at each of its switch-outs, the one event this kernel always traces,
 * from the scheduler's own per-task counters: between two switch-outs it ran for the growth of
 * se.sum_exec_runtime, waited on a run queue for the growth of sched_info.run_delay, and was
 * blocked for the rest, for the reason decided when it blocked. Switch-ins and wakeups may go
 * untraced (some kernels skip many around idle) without changing a total; a traced switch-in
 * only tells where the run-queue wait ended, for the culprits. All counters are cumulative and
 * per CPU; user space sums and takes deltas.
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


/*
 * CLOCK_MONOTONIC less the scheduler's clock, for the one program that runs where the
 * scheduler's clock may be a tick old (cgroup_attach_task). A sample taken at a switch where
 * the scheduler skipped its clock update is too large (by up to the time the CPU took to reach
 * the switch: 13 ms was seen), so the smallest sample is used. Each CPU samples its first
 * CT_OFF_EARLY switches (recording has just begun: the estimate is needed at once) and then
 * every CT_OFF_EVERY-th; to follow the clocks' slow drift, the smallest of each
 * CT_OFF_EPOCH samples replaces the estimate, never a single sample.
 */
__s64 ct_mono_off = 0;
bool ct_mono_set = false;
__s64 ct_mono_epoch_min = 0;
__u32 ct_mono_epoch_n = 0;
#define CT_OFF_EARLY 64
#define CT_OFF_EVERY 256
#define CT_OFF_EPOCH 64

static __always_inline void mono_sample(struct ct_ring *ring, __u64 now)
{
	__s64 off;

	if (!ring || (ring->head >= CT_OFF_EARLY && ring->head % CT_OFF_EVERY))
		return;
	off = (__s64)(bpf_ktime_get_ns() - now);
	if (!ct_mono_set || off < ct_mono_off) {
		ct_mono_off = off;
		ct_mono_set = true;
	}
	/* both CPUs may race here: a lost update only delays the next epoch's estimate */
	if (!ct_mono_epoch_n || off < ct_mono_epoch_min)
		ct_mono_epoch_min = off;
	if (++ct_mono_epoch_n >= CT_OFF_EPOCH) {
		ct_mono_off = ct_mono_epoch_min;
		ct_mono_epoch_n = 0;
	}
}

/*
 * Now, by the scheduler's own clock of this CPU (rq->clock, what run_delay and the switch-in
 * times of sched_info are measured with), which __schedule() has just brought up to date
 * before it traces the switch. Three loads instead of a clock read: on the pipe storm the
 * clock read was 27 of the 104 ns of a switch. When the scheduler skips the update (a wakeup
 * just made it), the task's runtime, from the same clock, is as old: the interval stays whole.
 * The run queue is reached through @t, running on this CPU: its sched_entity's cfs_rq is this
 * CPU's whatever its class (kept so at every migration). A kernel without group scheduling
 * has no such link (nor a per-CPU symbol this one would resolve): the clock read, then, and
 * every time is CLOCK_MONOTONIC (the offset stays 0).
 */
static __always_inline __u64 sched_now(struct task_struct *t)
{
	struct cfs_rq *cfs;

	if (!bpf_core_field_exists(t->se.cfs_rq) || !bpf_core_field_exists(struct cfs_rq, rq))
		return bpf_ktime_get_ns();
	cfs = t->se.cfs_rq;
	return cfs ? cfs->rq->clock : bpf_ktime_get_ns();
}

/* The endpoint of the socket behind @f (family 0 when it cannot be read), and its sock. */
static __noinline void file_endpoint(struct file *f, struct ct_task *c)
{
	struct socket *so = BPF_CORE_READ(f, private_data);
	struct sock *sk = so ? BPF_CORE_READ(so, sk) : NULL;

	c->sk = (__u64)sk;
	c->ep_kind = 0;
	if (!sk) {
		__builtin_memset(&c->ep, 0, sizeof(c->ep));
		return;
	}
	c->ep_kind = ct_sk_endpoint_kind(sk, &c->ep);
}

/* The file behind @t's fd @fd (read, not a BTF pointer), NULL when none. */
static __always_inline struct file *fd_file(struct task_struct *t, long fd)
{
	struct fdtable *fdt = t->files->fdt;
	struct file *f = NULL;

	if (fd < 0 || fd >= fdt->max_fds)
		return NULL;
	/* A variable index into a kernel array needs the helper, and so does what it yields. */
	bpf_probe_read_kernel(&f, sizeof(f), &fdt->fd[fd]);
	return f;
}

/*
 * Socket, pipe or @fallback, from the type of the file behind @fd. A task usually blocks on
 * the same file again and again: the answer is cached per task by file, which saves the read
 * of its mode and, for a socket, the reads of its endpoint. The file's address alone does not
 * name it: a file closed is freed at once, and the next file the task opens on this CPU
 * usually gets the same struct file (a pipe's becomes a socket's, one connection's the
 * next's). Its inode's address tells a pipe from a socket (their inodes come from different
 * slab caches), and is all a pipe or other file needs: another pipe in the same place is
 * still a pipe. A socket needs its inode's number, new for each one (get_next_ino()): a new
 * connection may get the last one's file and, once it has been freed, its inode too.
 * @connecting: the socket is being connected, so a cached endpoint may predate the address it
 * is given now.
 */
static __always_inline __u8 fd_reason(struct task_struct *t, struct ct_task *c, long fd,
				      __u8 fallback, bool connecting)
{
	struct file *f = fd_file(t, fd);
	struct inode *ino;
	umode_t m;

	if (!f)
		return fallback;
	ino = BPF_CORE_READ(f, f_inode);
	if (c->file != (__u64)f || c->file_inode != (__u64)ino || connecting ||
	    (c->file_reason == CT_OFF_SOCKET && c->file_ino != BPF_CORE_READ(ino, i_ino))) {
		m = BPF_CORE_READ(ino, i_mode) & CT_S_IFMT;
		c->file = (__u64)f;
		c->file_inode = (__u64)ino;
		c->file_reason = m == CT_S_IFSOCK ? CT_OFF_SOCKET : m == CT_S_IFIFO ? CT_OFF_PIPE :
									       CT_FILE_NONE;
		if (c->file_reason == CT_OFF_SOCKET) {
			c->file_ino = BPF_CORE_READ(ino, i_ino);
			file_endpoint(f, c);
		}
	}
	if (c->file_reason == CT_FILE_NONE)
		return fallback;
	c->ep_ok = c->file_reason == CT_OFF_SOCKET;
	/* TCP's smoothed RTT, and where its writer stands, as the wait begins */
	if (c->ep_ok && (c->ep_kind & CT_SK_RTT))
		c->srtt_us = ct_sk_srtt_us((struct sock *)c->sk);
	c->wait_sk = c->ep_ok && (c->ep_kind & CT_SK_EXCHANGE) ? c->sk : 0;
	if (c->wait_sk)
		c->wait_seq = ct_sk_write_seq((struct sock *)c->sk);
	return c->file_reason;
}

/*
 * If fd @fd of an fd table whose array is at @fds is a socket, @c polls it: one more of its
 * poll_obj, up to CT_POLL_SOCKS. A global function, verified once: the loops that call it
 * keep no count the verifier would have to follow (poll_n is in memory).
 */
__noinline int ct_poll_add(struct ct_task *c, __u64 fds, __u32 max_fds, __s32 fd)
{
	struct file *f = NULL;
	__u32 n;
	__u64 sk;

	if (!c || fd < 0 || fd >= max_fds)
		return 0;
	bpf_probe_read_kernel(&f, sizeof(f), (void *)(fds + (__u64)fd * sizeof(f)));
	sk = ct_file_sock(f);
	n = c->poll_n;
	if (!sk || n >= CT_POLL_SOCKS)
		return 0;
	c->poll_obj[n & (CT_POLL_SOCKS - 1)] = sk;
	c->poll_n = n + 1;
	return 1;
}

struct ct_pollfd {
	int fd;
	short events, revents;
};

#define CT_POLL_READ	8	/* pollfds read of one poll: its first ones */
#define CT_POLLIN	0x0043	/* POLLIN | POLLPRI | POLLRDNORM */

/* @c is registered for the block that began at its switch-out now: written last. */
static __always_inline void poll_registered(struct task_struct *t, struct ct_task *c)
{
	__u64 *w = ct_poller_word(t->pid), bit = ct_poller_bit(t->pid);

	if (!(*w & bit))
		__sync_fetch_and_or(w, bit);
	barrier();
	c->poll_block = c->cnt.nvcsw;
}

/*
 * @t blocks in poll, select or epoll (@nr) on more than one fd: register what its wakeup
 * (wake.bpf.c) will look at to tell whether a socket ended the wait. For epoll, the instance,
 * whose ready list then names the file that woke it; for poll and select, the sockets among
 * the first fds waited on for input (CT_POLL_READ pollfds, select's fds below 64), at most
 * CT_POLL_SOCKS of them, whose receive queues then tell. Written last, poll_block says for
 * which block it holds: a wakeup racing with this switch-out sees an older one and leaves the
 * wait as poll.
 */
static __noinline void poll_register(struct task_struct *t, struct ct_task *c,
				     struct pt_regs *regs, long nr)
{
	struct fdtable *fdt = t->files->fdt;
	__u32 max_fds = fdt->max_fds, nfds;
	struct ct_pollfd p[CT_POLL_READ];
	__u64 fds = 0, bits = 0, sz;
	struct file *f;

	c->poll_n = 0;
	c->poll_epoll = 0;
	if (ct_nr_epoll(nr)) {
		f = fd_file(t, CT_REGS_ARG1(regs));
		if (!f)
			return;
		c->poll_obj[0] = (__u64)BPF_CORE_READ(f, private_data);
		c->poll_epoll = 1;
		c->poll_n = 1;
		poll_registered(t, c);
		return;
	}
	/* the fd array's address, as a number for ct_poll_add() */
	if (bpf_probe_read_kernel(&fds, sizeof(fds), &fdt->fd))
		return;
	if (nr == CT_NR_poll || nr == CT_NR_ppoll) {
		nfds = CT_REGS_ARG2(regs);
		/* masked: the verifier wants the size bounded from both sides */
		sz = ((nfds < CT_POLL_READ ? nfds : CT_POLL_READ) * sizeof(p[0])) & 0x78;
		if (sz > sizeof(p) || bpf_probe_read_user(p, sz, (void *)CT_REGS_ARG1(regs)))
			return;
		for (__u32 i = 0; i < CT_POLL_READ && i < nfds; i++) {
			if (p[i].fd < 0 || !(p[i].events & CT_POLLIN))
				continue;
			ct_poll_add(c, fds, max_fds, p[i].fd);
		}
	} else {
		/* select, pselect6: the read set's first word */
		nfds = CT_REGS_ARG1(regs);
		if (!CT_REGS_ARG2(regs) || bpf_probe_read_user(&bits, sizeof(bits),
							      (void *)CT_REGS_ARG2(regs)))
			return;
		/* tested, never shifted in place: the verifier then keeps one state per fd */
		for (__u32 fd = 0; fd < 64 && fd < nfds; fd++) {
			if (!((bits >> fd) & 1))
				continue;
			ct_poll_add(c, fds, max_fds, fd);
		}
	}
	poll_registered(t, c);
}

/*
 * poll()/ppoll() on exactly one fd is how most clients wait with a timeout (CPython does): the
 * wait is on that fd. On more, which one ended it is told at the wakeup.
 */
static __always_inline __u8 poll_reason(struct task_struct *t, struct ct_task *c,
				       struct pt_regs *regs, long nr)
{
	int fd;

	if (CT_REGS_ARG2(regs) != 1) {
		poll_register(t, c, regs, nr);
		return CT_OFF_POLL;
	}
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
		return poll_reason(t, c, regs, nr);
	case CT_NR_select: case CT_NR_pselect6:
	case CT_NR_epoll_wait: case CT_NR_epoll_pwait: case CT_NR_epoll_pwait2:
		poll_register(t, c, regs, nr);
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

/* The scheduler's own counters of @t: exact, whatever the tracepoints deliver. */
static __always_inline void sched_cnt(struct task_struct *t, struct ct_sched_cnt *n)
{
	n->exec = t->se.sum_exec_runtime;
	n->delay = t->sched_info.run_delay;
	n->runs = t->sched_info.pcount;
	n->nvcsw = t->nvcsw;
	n->nivcsw = t->nivcsw;
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
 * A switch onto this CPU at @t_in was not traced: what the last traced switch put on the CPU
 * (the idle task, on kernels that skip switches out of idle) held it until then.
 */
static __always_inline void ring_fill(struct ct_ring *r, __u64 t_in)
{
	__u64 head = r->head;

	if (head && t_in <= r->end[(head - 1) & (CT_RING - 1)])
		return;
	ring_push(r, r->cur, t_in);
}

/*
 * Split @victim's wait, from @t0 to the end of the newest slice, among the slices this CPU ran
 * meanwhile, newest first. A wait older than the ring charges what is left to the oldest slice
 * known. A task that waited on another CPU before migrating here is charged by this CPU's
 * history: who ran where it got in.
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

/*
 * Remember that job @slot waits for requests on local endpoint @ep: the sockets accepted on
 * that port are its, even those it never connected, sent or received on with a tracepoint
 * watching (net.bpf.c charges their retransmits to it).
 */
static __always_inline void served_by(const struct ct_ep *ep, __u32 slot)
{
	struct ct_server_key k = { .family = ep->family, .port = ep->port };
	__u32 *v = bpf_map_lookup_elem(&ct_servers, &k);

	if (!v || *v != slot)
		bpf_map_update_elem(&ct_servers, &k, &slot, BPF_ANY);
}

/*
 * A socket wait of @d ns ended: its endpoint's entry and, for a wait on a peer (not for
 * requests, @serve), the job's socket-wait histogram. It began a request unless it waited on
 * the same connected TCP socket as the task's previous socket wait with nothing written on it
 * in between: then it continues that request (the rest of an answer that came in pieces).
 */
static __noinline void socket_wait(struct ct_task *c, __u32 cpu, __u32 slot, __u64 d, bool serve)
{
	struct ct_ep none = {};
	struct ct_ep_stats *e;
	__u64 sk = c->ep_ok ? c->wait_sk : 0;
	bool cont = sk && sk == c->req_sk && c->wait_seq == c->req_seq;

	c->req_sk = sk;
	c->req_seq = c->wait_seq;

	if (!serve)
		ct_hist_add(cpu, slot, CT_HIST_SOCKET, d, 1);
	else
		served_by(&c->ep, slot);
	e = ct_ep_of(slot, c->ep_ok ? &c->ep : &none);
	if (!e)
		return;
	__sync_fetch_and_add(&e->wait_ns, d);
	__sync_fetch_and_add(&e->wait_cnt, 1);
	/* counted the rare way round: no atomic more for the usual wait */
	if (cont)
		__sync_fetch_and_add(&e->cont_cnt, 1);
	if (c->ep_ok && (c->ep_kind & CT_SK_RTT) && c->srtt_us) {
		__sync_fetch_and_add(&e->srtt_us, c->srtt_us);
		__sync_fetch_and_add(&e->srtt_cnt, 1);
	}
	ct_hist_add_atomic(e->hist, d);
}

/*
 * Was @t, running on this CPU now, switched in with a tracepoint watching, since its last
 * switch-out? Then *@t_in is when. The CPU's ring keeps what its newest traced switch put on
 * it: nothing since can have replaced @t, which has been running ever since.
 */
static __always_inline bool switched_in(struct ct_ring *ring, struct task_struct *t,
					struct ct_task *c, __u64 *t_in)
{
	if (!ring || ring->cur_task != (__u64)t || ring->cur_in < c->out_ts)
		return false;
	*t_in = ring->cur_in;
	return true;
}

/*
 * Charge @c's interval, from its previous traced switch-out to @now, during which its counters
 * went from c->cnt to @n. On CPU and queued come from the counters; the rest of the interval
 * it was blocked, for the reason decided at the previous switch-out. If it was preempted then,
 * it never blocked: the rest is time it held the CPU that the scheduler's task clock leaves
 * out (the hypervisor's steal, interrupts), counted apart as stolen, never as on CPU.
 */
static __always_inline void account(__u32 cpu, struct ct_ring *ring, struct task_struct *t,
				    struct ct_task *c, __u32 slot, struct ct_job_stats *st,
				    const struct ct_sched_cnt *n, __u64 now)
{
	__u64 wall = now - c->out_ts, exec = n->exec - c->cnt.exec;
	__u64 delay = n->delay - c->cnt.delay, runs = n->runs - c->cnt.runs;
	__u64 off = wall > exec + delay ? wall - exec - delay : 0;
	__u64 waits = runs ?: (delay ? 1 : 0), t_in = 0;
	bool seen_in = switched_in(ring, t, c, &t_in);
	__u64 r;

	st->oncpu_ns += exec;
	st->nvcsw += n->nvcsw - c->cnt.nvcsw;
	st->nivcsw += n->nivcsw - c->cnt.nivcsw;
	if (waits) {
		st->runq_ns += delay;
		st->runq_cnt += waits;
		if (delay / waits > st->runq_max_ns)
			st->runq_max_ns = delay / waits;
		ct_hist_add(cpu, slot, CT_HIST_RUNQ, delay / waits, waits);
	}
	/* Its run began when it was switched in: traced, or its on-CPU time ago. */
	if (!seen_in) {
		t_in = now - exec;
		st->repaired++;
		st->repaired_ns += wall;
		if (ring)
			ring_fill(ring, t_in);
	}
	if (runs > 1) {
		st->unsplit++;
		st->unsplit_ns += wall;
	}
	if (ring && delay)
		charge_culprits(cpu, ring, slot, t_in > delay ? t_in - delay : 0);
	if (!c->blocked) {
		st->stolen_ns += off;
		return;
	}
	r = c->reason;
	/* on a socket the job serves, it was waiting for requests */
	if (r == CT_OFF_SOCKET && c->ep_ok && (c->ep.flags & CT_EP_LOCAL))
		r = CT_OFF_SERVE;
	barrier_var(r);
	if (r < CT_OFF_NR) {
		st->off_ns[r] += off;
		st->off_cnt[r]++;
	}
	if (r == CT_OFF_SOCKET || r == CT_OFF_SERVE)
		socket_wait(c, cpu, slot, off, r == CT_OFF_SERVE);
}

/* Major faults block, so switch-out sees them all but a dying task's last few. */
static __always_inline void charge_majflt(struct task_struct *t, struct ct_task *c,
					  struct ct_job_stats *st)
{
	__u64 maj = t->maj_flt + 1;

	if (st && c->majflt && maj > c->majflt)
		st->majflt += maj - c->majflt;
	c->majflt = maj;
}

/*
 * Has @c's first interval begun? A task born while recording starts one at its birth, with
 * counters at zero, runnable; one that was already there, at its first traced switch-out.
 */
static __always_inline bool task_begun(struct task_struct *t, struct ct_task *c, __u64 now)
{
	__u64 since;

	if (!c->out_ts && t->start_time >= targ_t0_ns) {
		__builtin_memset(&c->cnt, 0, sizeof(c->cnt));
		/*
		 * Runnable from its birth until now, it has been on CPU or queued for one all
		 * along: it began that long ago, by the scheduler's clock (start_time is another).
		 */
		since = t->se.sum_exec_runtime + t->sched_info.run_delay;
		c->out_ts = now > since ? now - since : 1;
		c->blocked = 0;
		if (!c->majflt)
			c->majflt = 1;	/* no major fault yet at its birth */
	}
	return c->out_ts;
}

/* @t blocks in something other than a registered poll: wakeups need not look at it. */
static __always_inline void poller_clear(struct task_struct *t)
{
	__u64 *w = ct_poller_word(t->pid), bit = ct_poller_bit(t->pid);

	if (*w & bit)
		__sync_fetch_and_and(w, ~bit);
}

/*
 * @c's pending wait in poll, select or epoll: if a socket's data woke it (wake.bpf.c noted it
 * during this very block, the one that began at c->cnt's voluntary switch count), it is a
 * socket wait on that socket's endpoint.
 */
static __always_inline void poll_ended(struct ct_task *c)
{
	if (c->woke_block != c->cnt.nvcsw || !c->poll_n)
		return;
	c->ep = c->woke_ep;
	c->ep_kind = c->woke_kind;
	c->srtt_us = c->woke_srtt_us;
	c->wait_sk = c->woke_sk;
	c->wait_seq = c->woke_seq;
	c->ep_ok = 1;
	c->reason = CT_OFF_SOCKET;
	/* c->ep no longer belongs to the file last classified: classify that one afresh */
	c->file = 0;
}

/*
 * @prev is going off CPU: charge its interval since its last switch-out, then start the next
 * one. @state is the state it blocked in: the live prev->__state is not good enough for that,
 * a wakeup racing with the switch may already have made it TASK_WAKING.
 */
static __always_inline void switch_out(__u32 cpu, struct ct_ring *ring,
				       struct task_struct *prev, struct ct_task *c, __u32 slot,
				       bool runnable, unsigned int state, __u64 now)
{
	struct ct_job_stats *st = ct_stats_of(cpu, slot);
	struct ct_sched_cnt n;

	sched_cnt(prev, &n);
	if (c->blocked && c->reason == CT_OFF_POLL)
		poll_ended(c);
	/* A task that was already running when recording began is counted from here on. */
	if (task_begun(prev, c, now) && st)
		account(cpu, ring, prev, c, slot, st, &n, now);
	c->cnt = n;
	c->out_ts = now;
	charge_majflt(prev, c, st);
	c->blocked = !runnable && !(state & TASK_DEAD);
	if (c->blocked) {
		c->reason = classify(prev, c, state);
		if (c->reason != CT_OFF_POLL)
			poller_clear(prev);
	}
}

SEC("tp_btf/sched_switch")
int BPF_PROG(ct_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 cpu, pslot = CT_SLOT_IDLE, nslot = CT_SLOT_IDLE;
	unsigned int state, blocked_state;
	bool runnable = false;
	struct ct_pair_stats *pair;
	struct ct_ring *ring;
	struct ct_task *c;
	__u64 now;

	/* Tests: behave like a kernel that skips switches out of idle (this project's CI's). */
	if (targ_drop_idle_pct && !prev->pid && bpf_get_prandom_u32() % 100 < targ_drop_idle_pct)
		return 0;
	now = sched_now(prev);
	cpu = bpf_get_smp_processor_id();
	ring = bpf_map_lookup_elem(&ct_rings, &cpu);
	mono_sample(ring, now);
	if (prev->pid) {
		/* Live state: a task that did not block after all (signal) is RUNNING again. */
		state = ct_task_state(prev);
		runnable = preempt || state == TASK_RUNNING;
		/* 5.18 added the state prev blocked in as the tracepoint's last argument. */
		blocked_state = targ_switch_state_arg ? (unsigned int)ctx[3] : state;
		c = ct_task_get(prev);
		if (c) {
			pslot = ct_job_of(prev, c);
			switch_out(cpu, ring, prev, c, pslot, runnable, blocked_state, now);
		} else {
			pslot = CT_SLOT_OTHER;
		}
	}
	/*
	 * next's job is looked up only to count a preemption by it: its task storage is the one
	 * cache miss too many on a busy node. What the ring needs of a switch-in is the task and
	 * when; its slot matters only for a CPU whose next switch goes untraced, which this
	 * kernel does only out of the idle task.
	 */
	if (next->pid) {
		nslot = CT_SLOT_OTHER;
		if (runnable) {
			c = ct_task_get(next);
			if (c)
				nslot = ct_job_of(next, c);
			pair = ct_pair_of(cpu, pslot, nslot);
			if (pair)
				pair->preempts++;
		}
	}
	if (ring) {
		ring_push(ring, pslot, now);
		ring->cur = nslot;
		ring->cur_task = (__u64)next;
		ring->cur_in = now;
	}
	return 0;
}

/*
 * A task moved itself to another cgroup (a shell that joins a job's cgroup, then execs the
 * job: it ran about 5 ms before, forking and exec'ing). Close its interval now, in the job it
 * was in, so that the job it joins is charged from here. Moves of other tasks are left to
 * their next switch-out; the tracepoint names only a thread group's leader.
 */
SEC("tp_btf/cgroup_attach_task")
int BPF_PROG(ct_cgroup_attach_task, struct cgroup *dst, const char *path, struct task_struct *task)
{
	struct ct_job_stats *st;
	struct ct_sched_cnt n;
	struct ct_ring *ring;
	struct ct_task *c;
	__u64 now, t_in;
	__u32 cpu;

	if (task != bpf_get_current_task_btf())
		return 0;
	/*
	 * Here the scheduler's clock may be a tick old: now by CLOCK_MONOTONIC, turned into the
	 * scheduler's time by the offset the switches keep.
	 */
	if (!ct_mono_set)
		return 0;
	now = bpf_ktime_get_ns() - ct_mono_off;
	c = ct_task_find(task);
	if (!c || !task_begun(task, c, now))
		return 0;
	/* an offset a little off must not put now before what the switches saw */
	if (now < c->out_ts)
		now = c->out_ts;
	cpu = bpf_get_smp_processor_id();
	ring = bpf_map_lookup_elem(&ct_rings, &cpu);
	st = ct_stats_of(cpu, c->job);	/* the cached job: the one it is leaving */
	sched_cnt(task, &n);
	/*
	 * Its sum_exec_runtime is brought up to date only at ticks and switches. Off CPU since
	 * its last switch-out until its traced switch-in, it had run for c->cnt.exec then. Its
	 * switch-in untraced (out of idle, on some kernels), the counter as it stands is at most
	 * a tick old: that much of its run before the move may go to the job it joins, rather
	 * than all of it.
	 */
	if (switched_in(ring, task, c, &t_in)) {
		if (now < t_in)
			now = t_in;
		n.exec = c->cnt.exec + (now - t_in);
	}
	if (st)
		account(cpu, ring, task, c, c->job, st, &n, now);
	charge_majflt(task, c, st);
	c->cnt = n;
	c->out_ts = now;
	if (ring) {	/* as if switched in now: its next switch-out sees it */
		ring->cur_task = (__u64)task;
		ring->cur_in = now;
	}
	c->blocked = 0;
	return 0;
}

/*
 * A new process or thread belongs to its parent's process job from its first instant
 * (--job NAME=pid:PID, --jobs-by-env); its cgroup decides otherwise. Every fork on the node
 * passes here.
 */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(ct_sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	struct ct_task *pc = ct_task_find(parent), *cc;

	/* a parent found at start that has not left the CPU since */
	if (!pc && (!ct_pid_job(parent) || !(pc = ct_task_get(parent))))
		return 0;
	/* a parent found at start but not yet seen since: resolve it now */
	if (!pc->pslot && pc->gen != ct_job_gen)
		ct_job_of(parent, pc);
	if (!pc->pslot)
		return 0;
	cc = ct_task_get(child);
	if (!cc)
		return 0;
	cc->pslot = pc->pslot;
	cc->penv = pc->penv;
	if (cc->penv)
		ct_live_add(cc->pslot, 1);
	return 0;
}
