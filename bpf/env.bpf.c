// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Jobs by a variable of the environment (--jobs-by-env VAR[,TIE], --jenkins). A process takes
 * its job from its parent at fork (sched.bpf.c) and from its new environment at exec (here):
 * the value of VAR names the job; a value of TIE seen before keeps the process in the job that
 * value was first seen with (a build step that changed BUILD_TAG but kept the node cookie).
 * A process whose new environment holds neither stays where it was. An explicit
 * --job NAME=pid:PID comes first: its processes are never moved.
 *
 * A new value takes a slot from ct_env_pool, which user space keeps filled with slots whose
 * baselines it has taken, so a job's counts start at its first event; user space names the job
 * from ct_env_jobs before its first window. ct_live counts each environment job's tasks (fork,
 * exec, exit) so that user space can retire a job whose last task has ended.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "job.bpf.h"

const volatile char targ_env_var[CT_ENV_VARS][CT_ENV_VAR_MAX] = {};	/* "VAR=" */
const volatile __u32 targ_env_len[CT_ENV_VARS] = {};

struct ct_env_piece {
	char buf[CT_ENV_BUF];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ct_env_piece);
} ct_env_scratch SEC(".maps");

struct env_scan {
	__u64 pos, end;			/* user addresses in the new environment */
	__u64 hash[CT_ENV_VARS];	/* ct_env_hash of each variable's value... */
	__u64 at[CT_ENV_VARS];		/* ...which starts here (0: not found) */
	__u32 found;
	__u32 inside;			/* pos is in the middle of a long string */
};

/* Does @buf start with variable @v's "VAR="? */
static __always_inline bool var_match(const char *buf, __u32 v)
{
	__u32 len = targ_env_len[v & 1];

	for (__u32 i = 0; i < CT_ENV_VAR_MAX; i++) {
		if (i >= len)
			return true;
		if (buf[i] != targ_env_var[v & 1][i])
			return false;
	}
	return false;
}

/* FNV-1a of the variable's index and its value (up to the piece's end), as ct_env_hash. */
static __always_inline __u64 value_hash(const char *buf, __u32 v)
{
	__u64 h = (CT_FNV_OFFSET ^ (v + 1)) * CT_FNV_PRIME;

	for (__u32 i = targ_env_len[v & 1]; i < CT_ENV_BUF; i++) {
		if (!buf[i])
			break;
		h = (h ^ (__u8)buf[i]) * CT_FNV_PRIME;
	}
	return h;
}

/* One piece of the environment: a string, or CT_ENV_BUF - 1 bytes of a longer one. */
static long scan_piece(__u32 i, struct env_scan *s)
{
	__u32 zero = 0;
	struct ct_env_piece *p = bpf_map_lookup_elem(&ct_env_scratch, &zero);
	long n;

	if (!p || s->pos >= s->end)
		return 1;
	n = bpf_probe_read_user_str(p->buf, CT_ENV_BUF, (void *)s->pos);
	if (n <= 0)
		return 1;
	for (__u32 v = 0; v < CT_ENV_VARS && !s->inside; v++) {
		if (v >= targ_env_nvars || s->at[v] || p->buf[0] != targ_env_var[v][0] ||
		    !var_match(p->buf, v))
			continue;
		s->at[v] = s->pos + targ_env_len[v];
		s->hash[v] = value_hash(p->buf, v);
		if (++s->found == targ_env_nvars)
			return 1;
	}
	s->inside = n == CT_ENV_BUF;	/* it filled the piece: its string goes on */
	s->pos += s->inside ? n - 1 : n;
	return 0;
}

/* Variable @v's value, at @at, into @e. */
static __always_inline void env_value(struct ct_env_job *e, __u32 v, __u64 at)
{
	long n = bpf_probe_read_user_str(e->value, sizeof(e->value), (void *)at);

	e->var = v;
	e->len = n > 0 ? n - 1 : 0;
}

/* The job of what the scan found; 0 when none could be had. */
static __noinline __u32 env_job(struct env_scan *s)
{
	struct ct_env_job *e, n = {};
	__u32 slot, prim;

	if (!s)
		return 0;
	if (s->at[1] && (e = bpf_map_lookup_elem(&ct_env_jobs, &s->hash[1])))
		return e->slot;
	if (s->at[0] && (e = bpf_map_lookup_elem(&ct_env_jobs, &s->hash[0]))) {
		slot = e->slot;
	} else {
		prim = s->at[0] ? 0 : 1;
		if (bpf_map_pop_elem(&ct_env_pool, &slot)) {
			__sync_fetch_and_add(&ct_env_full, 1);
			return 0;
		}
		n.slot = slot;
		env_value(&n, prim, s->at[prim & 1]);
		if (bpf_map_update_elem(&ct_env_jobs, &s->hash[prim & 1], &n, BPF_NOEXIST)) {
			/* another CPU made it first (or the table is full): give the slot back */
			bpf_map_push_elem(&ct_env_pool, &slot, 0);
			e = bpf_map_lookup_elem(&ct_env_jobs, &s->hash[prim & 1]);
			if (!e) {
				__sync_fetch_and_add(&ct_env_full, 1);
				return 0;
			}
			slot = e->slot;
		}
		if (prim == 1)
			return slot;
	}
	/* a tie seen for the first time belongs to this value's job */
	if (s->at[1]) {
		n.slot = slot;
		env_value(&n, 1, s->at[1]);
		bpf_map_update_elem(&ct_env_jobs, &s->hash[1], &n, BPF_NOEXIST);
	}
	return slot;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(ct_sched_process_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct env_scan s = {};
	struct ct_task *c;
	__u32 slot;

	if (!targ_env_nvars)
		return 0;
	c = ct_task_get(p);
	if (!c)
		return 0;
	/* a thread found at start and not seen since takes its job first */
	if (!c->pslot && c->gen != ct_job_gen)
		ct_job_of(p, c);
	if (c->pslot && !c->penv)
		return 0;
	s.pos = BPF_CORE_READ(p, mm, env_start);
	s.end = BPF_CORE_READ(p, mm, env_end);
	bpf_loop(CT_ENV_STRINGS, scan_piece, &s, 0);
	if (!s.found)
		return 0;
	slot = env_job(&s);
	if (!slot || slot == c->pslot)
		return 0;
	if (c->penv)
		ct_live_add(c->pslot, -1);
	c->pslot = slot;
	c->penv = 1;
	ct_live_add(slot, 1);
	return 0;
}

/* Each thread's end (every thread passes here): one task fewer in its environment job. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(ct_sched_process_exit, struct task_struct *p, bool group_dead)
{
	struct ct_task *c;

	if (!targ_env_nvars)
		return 0;
	c = ct_task_find(p);
	if (c && c->penv) {
		ct_live_add(c->pslot, -1);
		c->penv = 0;
	}
	return 0;
}
