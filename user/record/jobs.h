/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The table of jobs being recorded: names, cgroups, job slots, and their window baselines. */
#ifndef CONTRACE_JOBS_H
#define CONTRACE_JOBS_H

#include <stdbool.h>
#include <stdint.h>
#include "cgroup.h"
#include "tracer.h"
#include "util.h"

/* Kinds from CT_JOB_CGROUP on have a cgroup. */
enum ct_job_kind {
	CT_JOB_OTHER,
	CT_JOB_KERNEL,
	CT_JOB_WRITEBACK,	/* disk I/O submitted by kernel threads; no tasks of its own */
	CT_JOB_CGROUP,	/* --job */
	CT_JOB_PARENT,	/* --jobs-under parent: its own tasks and children not yet picked up */
	CT_JOB_CHILD,	/* a child of a --jobs-under parent */
	CT_JOB_CMD,	/* the cgroup of `record -- CMD` */
	CT_JOB_PROCS,	/* --job NAME=pid:PID: a process, its threads and descendants; no cgroup */
	CT_JOB_ENV,	/* --jobs-by-env: the processes with one value of a variable; no cgroup */
};

/* Kinds with a cgroup of their own. */
#define ct_job_has_cgroup(j) ((j)->kind >= CT_JOB_CGROUP && (j)->kind < CT_JOB_PROCS)

/* A job: what it is called, where its tasks are, its slot. Its counters are the sampler's. */
struct ct_job {
	char name[CT_NAME_MAX];
	enum ct_job_kind kind;
	uint32_t slot;
	struct ct_cgroup cg;	/* cgroup kinds only */
	int pid;		/* CT_JOB_PROCS: the process named */
	/* CT_JOB_ENV: its value's key (ct_env_hash), the value, since when it has had no task */
	uint64_t env_key;
	char env_value[CT_ENV_VALUE];
	uint16_t env_var;
	uint64_t idle_since;
	bool name_pending;	/* CT_JOB_CHILD with --name-by-env: not named by a process yet */
	bool gone;		/* cgroup removed: reported in one more window, then retired */
	bool ran_before;	/* it had tasks when recording began: its count did not start at 0 */
};

/*
 * A child of a --jobs-under parent that found every job slot taken: its tasks count under the
 * parent's job. Its CPU time, by the kernel's count, says how much of the parent's is its.
 */
struct ct_unslotted {
	char name[CT_NAME_MAX];
	char path[CT_PATH_LEN];
	int parent;		/* index into jobs.parents */
	/* written by the sampler only (jobs.on_unslotted, window.c) */
	uint64_t base_ns, cur_ns;	/* CPU usage at the last window and now */
	bool usage_ok;		/* its hierarchy keeps a CPU count (cpu.stat, cpuacct.usage) */
	bool done;		/* got a slot or was removed: in this window, then dropped */
};

#define CT_ENV_LINGER_S 60	/* default --env-linger */
#define CT_UNSLOTTED_MAX 1024	/* children tracked without a slot; more are left out */

struct jobs {
	struct ct_job **v;
	int n;
	struct ct_cgroup parents[8];	/* --jobs-under: every child cgroup is a job */
	int nparents;
	int watch_fd;			/* inotify on the parents: a new child is seen at once */
	struct ct_unslotted *unslotted;
	int nunslotted;
	bool scanned;			/* the first rescan is done: later children are new */
	struct ct_buf missed;		/* children left without a slot, not yet named... */
	int nmissed;
	uint64_t missed_since;		/* ...since then */
	uint32_t hier[CT_MAX_HIER], nhier;
	uint32_t max_jobs;
	bool *slot_used;
	/* --jobs-by-env VAR[,TIE] (env_nvars 0: off); --name-by-env VAR (empty: off) */
	uint32_t env_nvars;
	char env_vars[CT_ENV_VARS][CT_ENV_VAR_MAX];
	char name_var[CT_ENV_VAR_MAX];
	struct ct_job *pool[CT_ENV_POOL];	/* slots ready for new values, baselines taken */
	int npool;
	uint64_t env_full_seen;		/* ct_env_full when last said */
	uint64_t env_linger_ns;		/* a job with no task is gone after this long */
	struct tracer *tr;	/* set by jobs__attach */
	/* Called when a job takes its slot, for the sampler to take its baseline. */
	void (*on_register)(void *arg, struct ct_job *j);
	/*
	 * Called when an unslotted child is added (@fresh: it appeared while recording, so all
	 * of its CPU counts) and just before it stops being one (it got a slot or is gone), for
	 * the sampler to read its CPU usage. The registry itself never reads counters.
	 */
	void (*on_unslotted)(void *arg, struct ct_unslotted *u, bool added, bool fresh);
	void *hooks_arg;
};

int jobs__init(struct jobs *js, uint32_t max_jobs);
void jobs__free(struct jobs *js);

/* Parse and add "NAME=PATH" (--job); messages name the option. Before jobs__attach. */
int jobs__add_spec(struct jobs *js, const char *spec);
int jobs__add_parent(struct jobs *js, const char *path);
/*
 * --jobs-by-env "VAR[,TIE]" and --name-by-env "VAR"; messages name @opt. Before jobs__attach.
 */
int jobs__set_env(struct jobs *js, const char *opt, const char *spec);
int jobs__set_name_var(struct jobs *js, const char *opt, const char *var);
/* Add a job for an existing cgroup directory (used for --job, children and commands). */
int jobs__add_cgroup(struct jobs *js, const char *name, const char *path, enum ct_job_kind kind,
		     struct ct_job **out);

/* Register every job with the tracer, add `other`, `kernel` and `writeback`. */
int jobs__attach(struct jobs *js, struct tracer *tr);
/*
 * Pick up new children of --jobs-under parents and mark removed ones gone. Children that find
 * every slot taken are named in one message per rescan and kept as unslotted; they get a slot
 * when one frees.
 */
int jobs__rescan(struct jobs *js);
/*
 * A file descriptor that becomes readable when a child cgroup appears under a --jobs-under
 * parent (or is removed), -1 without parents or inotify; jobs__watch_drain empties it.
 */
int jobs__watch_fd(const struct jobs *js);
void jobs__watch_drain(struct jobs *js);
/* After a window is written: drop unslotted children that are done. */
void jobs__drop_done_unslotted(struct jobs *js);
/* The parent index (jobs.parents) whose job is @j, or -1. */
int jobs__parent_of(const struct jobs *js, const struct ct_job *j);
/* After a window: retire gone jobs, freeing their slots; names chosen so far stay. */
void jobs__retire_gone(struct jobs *js);

/* idle, other, kernel, writeback: names of the reserved slots, never a job's. */
bool jobs__name_reserved(const char *name);
struct ct_job *jobs__find(struct jobs *js, const char *name);
/* Name of the job (or "idle") holding @slot, "?" if none. */
const char *jobs__slot_name(const struct jobs *js, uint32_t slot);

#endif /* CONTRACE_JOBS_H */
