/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The BPF side as user space sees it: load, attach, register cgroups, read counters. */
#ifndef CONTRACE_TRACER_H
#define CONTRACE_TRACER_H

#include <stdbool.h>
#include <stdint.h>
#include "contrace.h"
#include "hist.h"
#include "keyed.h"
#include "schema.h"

struct tracer;

struct tracer_opts {
	uint32_t max_jobs;
	uint32_t nhier;
	uint32_t hier[CT_MAX_HIER];
	const char *btf_path;	/* NULL: the running kernel's */
	bool verbose;
	bool socket_bytes;	/* load sock_send_length/sock_recv_length: bytes per endpoint */
	uint32_t drop_idle_pct;	/* tests: ignore this % of switches out of idle */
	uint32_t task_slots;	/* tests: per-task state array entries used (0: all) */
	uint32_t env_nvars;	/* --jobs-by-env: VAR, and TIE if 2; 0: off */
	const char *env_vars[CT_ENV_VARS];
};

/* Cumulative totals of one job slot, summed over CPUs. */
struct ct_totals {
	struct ct_job_stats s;
	uint64_t hist[CT_HIST_NR][CT_HIST_NBUCKETS];
	struct ct_pair_stats *row;	/* [max_jobs]: this slot as victim, by culprit slot */
};

/* Can @path be parsed as kernel BTF? Says why not. */
bool tracer__btf_ok(const char *path);
int tracer__open(struct tracer **out, const struct tracer_opts *o);
void tracer__close(struct tracer *t);

/* Charge tasks of cgroup (@hier, @cgid) and its descendants to @slot; 0 removes it. */
int tracer__set_cgroup(struct tracer *t, uint32_t hier, uint64_t cgid, uint32_t slot);
/*
 * Thread @tid, started @start_ticks after boot (/proc's clock ticks), belongs to process job
 * @slot; its future children follow it. Effective at the next tracer__invalidate.
 */
int tracer__set_pid_job(struct tracer *t, uint32_t tid, uint64_t start_ticks, uint32_t slot,
			uint32_t flags);
/* Entries of ct_pid_jobs for @slot not yet taken by their thread, up to @max; count found. */
int tracer__pid_jobs_of(struct tracer *t, uint32_t slot, uint32_t *tids, uint64_t *starts,
			int max);
void tracer__del_pid_job(struct tracer *t, uint32_t tid);
/* Thread @tid's entry in ct_pid_jobs, if it has one: 0, else -ENOENT. */
int tracer__get_pid_job(struct tracer *t, uint32_t tid, struct ct_pid_job *out);

/*
 * --jobs-by-env. A slot whose baseline is taken, ready for a new value (bpf/env.bpf.c).
 * The values known, by their ct_env_hash: a malloc'd array of *n, keys in *keys.
 */
int tracer__env_pool_push(struct tracer *t, uint32_t slot);
int tracer__env_jobs(struct tracer *t, uint64_t **keys, struct ct_env_job **vals, int *n);
int tracer__env_set(struct tracer *t, uint64_t key, const struct ct_env_job *e);
int tracer__env_get(struct tracer *t, uint64_t key, struct ct_env_job *e);
/* Processes with a new value that found no slot ready, cumulative. */
uint64_t tracer__env_full(const struct tracer *t);
void tracer__env_del(struct tracer *t, uint64_t key);
/* Tasks in environment job @slot, as the kernel side counts them. */
int32_t tracer__env_live(const struct tracer *t, uint32_t slot);
void tracer__env_live_add(struct tracer *t, uint32_t slot, int32_t d);
/* Make every cached task->job resolution stale (after cgroup changes). */
void tracer__invalidate(struct tracer *t);

int totals__init(struct ct_totals *tot, uint32_t max_jobs);
void totals__free(struct ct_totals *tot);
/*
 * Read @slot's cumulative counters into @tot. runq_max_ns is the maximum since the previous
 * read of that slot (the kernel-side maximum is swapped to 0).
 */
void tracer__read(struct tracer *t, uint32_t slot, struct ct_totals *tot);
/* What the tracer could not see, cumulative; reported per window as "lost". */
enum ct_lost {
	CT_LOST_STORAGE,	/* events dropped: task storage could not be allocated */
	CT_LOST_RECURSION,	/* program runs the kernel skipped (nested on one CPU) */
	CT_LOST_REPAIRED,	/* task intervals whose switch-in was not traced (all jobs) */
	CT_LOST_UNSPLIT,	/* task intervals holding several runs: a switch-out not traced */
	CT_LOST_ENDPOINTS,	/* socket events lost: the endpoint table was full */
	CT_LOST_DISK,		/* disk events lost: the disk or in-flight request table was full */
	CT_LOST_JOBS,		/* processes with a new --jobs-by-env value that found no slot */
	CT_LOST_NR,
};
/* Each counter's key in a window's "lost" (schema.h). */
extern const enum ct_lost_key ct_lost_key_of[CT_LOST_NR];
void tracer__lost(const struct tracer *t, uint64_t lost[CT_LOST_NR]);

/* Each loaded program's run time and runs (kernel.bpf_stats_enabled=1; else 0): count found. */
struct ct_prog_stat {
	char name[32];
	uint64_t run_ns, runs;
};
int tracer__prog_stats(const struct tracer *t, struct ct_prog_stat *out, int max);

/* Entries ever made in the endpoint [0] and disk [1] tables, cumulative. */
void tracer__created(const struct tracer *t, uint64_t created[2]);

/* Tracepoints this kernel lacks, whose programs were not loaded ("" when none). */
const char *tracer__missing(const struct tracer *t);
/* Are bytes per endpoint counted (asked for, and the kernel has the tracepoints)? */
bool tracer__socket_bytes(const struct tracer *t);
/* Snapshots of the cumulative keyed maps: ct_ep_key -> ct_ep_stats, ct_disk_key -> stats. */
int tracer__read_endpoints(struct tracer *t, struct keyed *out);
/* names__set_unix_lookup's @fn, @arg the tracer: a unix socket's raw name by its hash. */
size_t tracer__unix_name(void *arg, uint64_t hash, char *buf, size_t len);
int tracer__read_disk(struct tracer *t, struct keyed *out);

#endif /* CONTRACE_TRACER_H */
