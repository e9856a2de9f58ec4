/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* cgroupfs: which hierarchy a directory is in, its id, creating and reading cgroups. */
#ifndef CONTRACE_CGROUP_H
#define CONTRACE_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "util.h"

struct ct_cgroup {
	char path[CT_PATH_LEN];	/* canonical absolute path */
	uint32_t hier;		/* CT_HIER_V2 or a v1 cgroup_subsys_id */
	uint64_t id;		/* kernfs node id, as the kernel's cgroup id */
};

/*
 * Resolve @path to a cgroup: it must be a directory on a cgroup2 filesystem or on a cgroup v1
 * hierarchy that has at least one controller. On error, @why says what is wrong.
 */
int cgroup__resolve(const char *path, struct ct_cgroup *cg, char *why, size_t whylen);

/* The id of the cgroup at @path now (it changes when the directory is re-created). */
int cgroup__id(const char *path, uint64_t *id);

/*
 * CPU time used by the tasks of cgroup @path and its descendants since it was made, by the
 * kernel's own count: cpu.stat usage_usec (v2) or cpuacct.usage (v1 cpuacct); -ENOENT in a
 * hierarchy that keeps neither.
 */
int cgroup__cpu_usage_ns(const char *path, uint64_t *ns);

/* @ctrl's hierarchy: its v1 subsys id where it is mounted on v1, else CT_HIER_V2. */
int cgroup__controller_hier(const char *ctrl, uint32_t *hier);

/* Where to create cgroups for commands: the cgroup v2 mount, else the v1 cpu hierarchy. */
int cgroup__default_root(char *buf, size_t len);
/* Move @pid into the cgroup directory @path. */
int cgroup__attach(const char *path, pid_t pid);
/* Has cgroup @path a process of its own now (cgroup.procs not empty)? */
bool cgroup__has_procs(const char *path);
/* Remove an emptied cgroup; waits up to @wait_ms for exiting tasks to leave it. */
int cgroup__remove(const char *path, int wait_ms);

/* Key/value counters read from cgroupfs (cpu.stat, *.pressure), in file order. */
#define CT_KV_MAX 24
struct ct_kv {
	int n;
	char key[CT_KV_MAX][40];
	uint64_t val[CT_KV_MAX];
};

/* "key value" lines (cpu.stat, memory.stat): keys with a non-negative integer value. */
int kv__parse_flat(const char *text, struct ct_kv *kv);
/* The same keeping only the keys in the NULL-terminated list @keys (all when NULL). */
int kv__parse_flat_keys(const char *text, const char *const *keys, struct ct_kv *kv);
/* PSI: "some avg10=.. total=N" and "full ... total=N" become some_total_us, full_total_us. */
int kv__parse_psi(const char *text, struct ct_kv *kv);
/* Value of @key into @val; false when absent. */
bool kv__get(const struct ct_kv *kv, const char *key, uint64_t *val);

#endif /* CONTRACE_CGROUP_H */
