// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>
#include "jobs.h"

static const char *const reserved[] = { "idle", "other", "kernel", "writeback" };

static void say_missed(struct jobs *js, bool now);

int jobs__init(struct jobs *js, uint32_t max_jobs)
{
	memset(js, 0, sizeof(*js));
	js->watch_fd = -1;
	js->max_jobs = max_jobs;
	js->env_linger_ns = CT_ENV_LINGER_S * 1000000000ULL;
	js->slot_used = calloc(max_jobs, sizeof(bool));
	if (!js->slot_used)
		return -ENOMEM;
	for (uint32_t s = 0; s < CT_SLOT_FIRST_JOB; s++)
		js->slot_used[s] = true;
	return 0;
}

void jobs__free(struct jobs *js)
{
	say_missed(js, true);
	for (int i = 0; i < js->n; i++)
		free(js->v[i]);
	free(js->v);
	for (int i = 0; i < js->npool; i++)
		free(js->pool[i]);
	free(js->slot_used);
	free(js->unslotted);
	if (js->watch_fd >= 0)
		close(js->watch_fd);
	memset(js, 0, sizeof(*js));
	js->watch_fd = -1;
}

int jobs__watch_fd(const struct jobs *js)
{
	return js->watch_fd;
}

void jobs__watch_drain(struct jobs *js)
{
	char buf[4096];

	while (js->watch_fd >= 0 && read(js->watch_fd, buf, sizeof(buf)) > 0)
		;
}

struct ct_job *jobs__find(struct jobs *js, const char *name)
{
	for (int i = 0; i < js->n; i++)
		if (!strcmp(js->v[i]->name, name))
			return js->v[i];
	return NULL;
}

const char *jobs__slot_name(const struct jobs *js, uint32_t slot)
{
	if (slot == CT_SLOT_IDLE)
		return "idle";
	for (int i = 0; i < js->n; i++)
		if (js->v[i]->slot == slot)
			return js->v[i]->name;
	return "?";
}

static int add_hier(struct jobs *js, uint32_t hier)
{
	for (uint32_t i = 0; i < js->nhier; i++)
		if (js->hier[i] == hier)
			return 0;
	if (js->tr) {
		ct_err("cgroup hierarchy %u was not followed at start; cannot add it now", hier);
		return -EINVAL;
	}
	if (js->nhier == CT_MAX_HIER) {
		ct_err("jobs span more than %d cgroup hierarchies", CT_MAX_HIER);
		return -E2BIG;
	}
	js->hier[js->nhier++] = hier;
	return 0;
}

static int alloc_slot(struct jobs *js, uint32_t *slot)
{
	for (uint32_t s = CT_SLOT_FIRST_JOB; s < js->max_jobs; s++) {
		if (!js->slot_used[s]) {
			js->slot_used[s] = true;
			*slot = s;
			return 0;
		}
	}
	return -ENOSPC;
}

/* /proc/TID/stat's parent pid (@ppid) and start time (clock ticks since boot); false if gone. */
static bool proc_stat(const char *path, int *ppid, uint64_t *start)
{
	char buf[1024], *p;
	unsigned long long st;
	int pp;

	if (ct_read_file(path, buf, sizeof(buf)) <= 0 || !(p = strrchr(buf, ')')))
		return false;
	/* after "pid (comm)": state ppid ... field 22 is starttime */
	if (sscanf(p + 1, " %*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d "
			  "%*d %*d %llu", &pp, &st) != 2)
		return false;
	*ppid = pp;
	*start = st;
	return true;
}

/* Tell the tracer that every thread of process @pid is process job @j's. */
static int procs_threads(struct jobs *js, struct ct_job *j, int pid)
{
	char dir[64], path[384];
	struct dirent *de;
	uint64_t start;
	int ppid, n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/task", pid);
	if (!(d = opendir(dir)))
		return 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "%s/%s/stat", dir, de->d_name);
		if (proc_stat(path, &ppid, &start) &&
		    !tracer__set_pid_job(js->tr, (uint32_t)atoi(de->d_name), start, j->slot, 0))
			n++;
	}
	closedir(d);
	return n;
}

/*
 * Process job @j: its process and every descendant running now, found in /proc by parent
 * pid, all their threads. Done twice: what forked between the scan and the tracer knowing
 * its parent is caught the second time; from then on the tracer follows forks itself.
 */
static int procs_register(struct jobs *js, struct ct_job *j)
{
	for (int pass = 0; pass < 2; pass++) {
		int *pids = NULL, *ppids = NULL, n = 0, cap = 0, ntid = 0;
		bool *in = NULL, grew = true;
		struct dirent *de;
		DIR *d = opendir("/proc");

		if (!d)
			return -errno;
		while ((de = readdir(d))) {
			char path[300];
			uint64_t start;
			int ppid;

			if (de->d_name[0] < '1' || de->d_name[0] > '9')
				continue;
			snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
			if (!proc_stat(path, &ppid, &start))
				continue;
			if (n == cap) {
				cap = cap ? 2 * cap : 1024;
				pids = realloc(pids, (size_t)cap * sizeof(*pids));
				ppids = realloc(ppids, (size_t)cap * sizeof(*ppids));
				if (!pids || !ppids)
					break;
			}
			pids[n] = atoi(de->d_name);
			ppids[n++] = ppid;
		}
		closedir(d);
		in = calloc((size_t)n + 1, sizeof(*in));
		if (!pids || !ppids || !in) {
			free(pids);
			free(ppids);
			free(in);
			return -ENOMEM;
		}
		/* the process and, until nothing changes, every child of one already in */
		for (int i = 0; i < n; i++)
			in[i] = pids[i] == j->pid;
		while (grew) {
			grew = false;
			for (int i = 0; i < n; i++)
				for (int k = 0; !in[i] && k < n; k++)
					if (in[k] && ppids[i] == pids[k])
						in[i] = grew = true;
		}
		for (int i = 0; i < n; i++)
			if (in[i])
				ntid += procs_threads(js, j, pids[i]);
		free(pids);
		free(ppids);
		free(in);
		if (!ntid && !pass) {
			ct_err("job %s: no process %d", j->name, j->pid);
			return -ESRCH;
		}
		tracer__invalidate(js->tr);
	}
	return 0;
}

static bool child_env_name(struct jobs *js, struct ct_job *j);

/* Give @j a slot, tell the tracer, and take its baseline. */
static int job_register(struct jobs *js, struct ct_job *j)
{
	int err = 0;

	if (j->kind < CT_JOB_CGROUP) {
		j->slot = j->kind == CT_JOB_OTHER    ? CT_SLOT_OTHER :
			  j->kind == CT_JOB_KERNEL   ? CT_SLOT_KERNEL :
						       CT_SLOT_WRITEBACK;
	} else if (j->kind == CT_JOB_ENV) {
		if (alloc_slot(js, &j->slot))
			return -ENOSPC;	/* the caller says so, once */
		j->ran_before = !js->scanned;
	} else if (j->kind == CT_JOB_PROCS) {
		if (alloc_slot(js, &j->slot)) {
			ct_err("job %s: all %u job slots are in use (raise --max-jobs)", j->name,
			       js->max_jobs - CT_SLOT_FIRST_JOB);
			return -ENOSPC;
		}
		err = procs_register(js, j);
		if (err) {
			js->slot_used[j->slot] = false;
			return err;
		}
		j->ran_before = true;
	} else {
		if (alloc_slot(js, &j->slot)) {
			if (j->kind != CT_JOB_CHILD) /* children: one message per rescan */
				ct_err("job %s: all %u job slots are in use (raise --max-jobs)",
				       j->name, js->max_jobs - CT_SLOT_FIRST_JOB);
			return -ENOSPC;
		}
		err = tracer__set_cgroup(js->tr, j->cg.hier, j->cg.id, j->slot);
		if (err) {
			ct_err("job %s: cannot register cgroup %s: %s", j->name, j->cg.path,
			       strerror(-err));
			js->slot_used[j->slot] = false;
			return err;
		}
		tracer__invalidate(js->tr);
		/* a job met at start with tasks was running before recording; later ones are new */
		if (!js->scanned)
			j->ran_before = cgroup__has_procs(j->cg.path);
		/* a new container has no process yet: named before its first window, if it can be */
		if (j->kind == CT_JOB_CHILD && js->name_var[0])
			j->name_pending = !child_env_name(js, j);
	}
	if (js->on_register)
		js->on_register(js->hooks_arg, j);
	return 0;
}

static int job_new(struct jobs *js, const char *name, enum ct_job_kind kind, struct ct_job **out)
{
	struct ct_job *j = calloc(1, sizeof(*j)), **v;

	if (!j)
		goto nomem;
	v = realloc(js->v, (size_t)(js->n + 1) * sizeof(*v));
	if (!v)
		goto nomem;
	js->v = v;
	snprintf(j->name, sizeof(j->name), "%s", name);
	j->kind = kind;
	js->v[js->n++] = j;
	*out = j;
	return 0;
nomem:
	if (j)
		free(j);
	return -ENOMEM;
}

int jobs__add_cgroup(struct jobs *js, const char *name, const char *path, enum ct_job_kind kind,
		     struct ct_job **out)
{
	struct ct_cgroup cg;
	struct ct_job *j;
	char why[512];
	int err;

	err = cgroup__resolve(path, &cg, why, sizeof(why));
	if (err) {
		ct_err("job %s: cgroup %s: %s", name, path, why);
		return err;
	}
	err = add_hier(js, cg.hier);
	if (err)
		return err;
	err = job_new(js, name, kind, &j);
	if (err)
		return err;
	j->cg = cg;
	if (js->tr && (err = job_register(js, j))) {
		js->n--;
		free(j);
		return err;
	}
	if (out)
		*out = j;
	return 0;
}

bool jobs__name_reserved(const char *name)
{
	for (unsigned i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (!strcmp(name, reserved[i]))
			return true;
	return false;
}

/* --job NAME=pid:PID: that process, its threads and descendants, now and forked later. */
static int add_procs(struct jobs *js, const char *name, const char *spec, const char *pidtext)
{
	char *end;
	long pid = strtol(pidtext, &end, 10);
	struct ct_job *j;
	int err;

	if (end == pidtext || *end || pid < 1 || pid > 0x3fffffff) {
		ct_err("--job '%s': expected NAME=pid:PID with PID a process id", spec);
		return -EINVAL;
	}
	err = job_new(js, name, CT_JOB_PROCS, &j);
	if (err)
		return err;
	j->pid = (int)pid;
	if (js->tr && (err = job_register(js, j))) {
		js->n--;
		free(j);
	}
	return err;
}

int jobs__add_spec(struct jobs *js, const char *spec)
{
	const char *eq = strchr(spec, '=');
	char name[CT_NAME_MAX];
	size_t n;

	if (!eq || eq == spec || !eq[1]) {
		ct_err("--job '%s': expected NAME=CGROUP_PATH or NAME=pid:PID", spec);
		return -EINVAL;
	}
	n = (size_t)(eq - spec);
	if (n >= sizeof(name)) {
		ct_err("--job '%s': job name longer than %d characters", spec, CT_NAME_MAX - 1);
		return -EINVAL;
	}
	memcpy(name, spec, n);
	name[n] = '\0';
	if (!ct_name_valid(name)) {
		ct_err("--job '%s': job name '%s' may only hold letters, digits and _ . @ + -",
		       spec, name);
		return -EINVAL;
	}
	if (jobs__name_reserved(name)) {
		ct_err("--job '%s': job name '%s' is reserved", spec, name);
		return -EINVAL;
	}
	if (jobs__find(js, name)) {
		ct_err("--job '%s': job name '%s' is already used", spec, name);
		return -EEXIST;
	}
	if (!strncmp(eq + 1, "pid:", 4))
		return add_procs(js, name, spec, eq + 5);
	return jobs__add_cgroup(js, name, eq + 1, CT_JOB_CGROUP, NULL);
}

static struct ct_job *find_path(struct jobs *js, const char *path)
{
	for (int i = 0; i < js->n; i++)
		if (ct_job_has_cgroup(js->v[i]) && !strcmp(js->v[i]->cg.path, path))
			return js->v[i];
	return NULL;
}

/* A unique, valid job name made of @src (a directory's name, a variable's value); @self may keep its own. */
static void unique_name(struct jobs *js, const struct ct_job *self, const char *src, char *name,
			size_t len)
{
	char base[CT_NAME_MAX];
	struct ct_job *o;

	ct_name_sanitize(src, base, sizeof(base));
	snprintf(name, len, "%s", base);
	for (unsigned short k = 2;
	     (((o = jobs__find(js, name)) && o != self) || jobs__name_reserved(name)) && k; k++)
		snprintf(name, len, "%.*s~%hu", CT_NAME_MAX - 8, base, k);
}

static void child_name(struct jobs *js, const char *dir, char *name, size_t len)
{
	unique_name(js, NULL, dir, name, len);
}

static const char *basename_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash && slash[1] ? slash + 1 : path;
}

int jobs__add_parent(struct jobs *js, const char *path)
{
	struct ct_cgroup *cg = &js->parents[js->nparents];
	char why[512], name[CT_NAME_MAX];
	int err;

	if (js->nparents == (int)(sizeof(js->parents) / sizeof(js->parents[0]))) {
		ct_err("--jobs-under %s: at most %d parents", path, js->nparents);
		return -E2BIG;
	}
	err = cgroup__resolve(path, cg, why, sizeof(why));
	if (err) {
		ct_err("--jobs-under %s: %s", path, why);
		return err;
	}
	err = add_hier(js, cg->hier);
	if (err)
		return err;
	/* a child is picked up when it is made, not at the next once-a-second rescan */
	if (js->watch_fd < 0)
		js->watch_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (js->watch_fd >= 0 &&
	    inotify_add_watch(js->watch_fd, cg->path, IN_CREATE | IN_DELETE | IN_ONLYDIR) < 0)
		ct_err("note: --jobs-under %s: cannot watch it (%s): new children are found by a "
		       "rescan every second", path, strerror(errno));
	js->nparents++;
	/*
	 * The parent is a job too: its own tasks, and those of a child created since the last
	 * rescan, land there rather than in `other`.
	 */
	if (find_path(js, cg->path))
		return 0;
	child_name(js, basename_of(cg->path), name, sizeof(name));
	return jobs__add_cgroup(js, name, cg->path, CT_JOB_PARENT, NULL);
}

/* ---- Jobs by a variable of the environment (--jobs-by-env, --name-by-env) ---- */

#define CT_ENVIRON_MAX (1 << 20)	/* bytes of /proc/PID/environ read */

/* A variable name as a shell takes it: [A-Za-z_][A-Za-z0-9_]*, room for "VAR=" in BPF. */
static bool env_var_ok(const char *v, size_t n)
{
	if (n < 1 || n > CT_ENV_VAR_MAX - 2 || !(isalpha((unsigned char)v[0]) || v[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)v[i]) && v[i] != '_')
			return false;
	return true;
}

int jobs__set_env(struct jobs *js, const char *opt, const char *spec)
{
	const char *p = spec;

	if (js->env_nvars) {
		ct_err("%s '%s': jobs are already told apart by %s", opt, spec, js->env_vars[0]);
		return -EINVAL;
	}
	for (uint32_t v = 0; v < CT_ENV_VARS && p; v++) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);

		if (!env_var_ok(p, n)) {
			ct_err("%s '%s': expected VAR or VAR,TIE with each a variable name "
			       "([A-Za-z_][A-Za-z0-9_]*, at most %d characters)", opt, spec,
			       CT_ENV_VAR_MAX - 2);
			js->env_nvars = 0;
			return -EINVAL;
		}
		memcpy(js->env_vars[v], p, n);
		js->env_vars[v][n] = '\0';
		js->env_nvars = v + 1;
		p = comma ? comma + 1 : NULL;
	}
	if (p) {
		ct_err("%s '%s': at most two variables (VAR,TIE)", opt, spec);
		js->env_nvars = 0;
		return -EINVAL;
	}
	return 0;
}

int jobs__set_name_var(struct jobs *js, const char *opt, const char *var)
{
	if (!env_var_ok(var, strlen(var))) {
		ct_err("%s '%s': expected a variable name ([A-Za-z_][A-Za-z0-9_]*, at most %d "
		       "characters)", opt, var, CT_ENV_VAR_MAX - 2);
		return -EINVAL;
	}
	snprintf(js->name_var, sizeof(js->name_var), "%s", var);
	return 0;
}

/* /proc/PID/environ into @b (emptied first); false when it cannot be read (gone, a kernel thread). */
static bool read_environ(int pid, struct ct_buf *b)
{
	char path[64], chunk[8192];
	ssize_t n;
	int fd;

	b->len = 0;
	snprintf(path, sizeof(path), "/proc/%d/environ", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return false;
	while (b->len < CT_ENVIRON_MAX && (n = read(fd, chunk, sizeof(chunk))) > 0)
		ct_buf_add(b, chunk, (size_t)n);
	close(fd);
	return b->len > 0;
}

static struct ct_job *job_of_slot(struct jobs *js, uint32_t slot)
{
	for (int i = 0; i < js->n; i++)
		if (js->v[i]->slot == slot)
			return js->v[i];
	return NULL;
}

/* Make @j the job of value @e (key @key): named by it, in the table. */
static void env_name(struct jobs *js, struct ct_job *j, uint64_t key, const struct ct_env_job *e)
{
	size_t len = e->len < CT_ENV_VALUE ? e->len : CT_ENV_VALUE - 1;

	memcpy(j->env_value, e->value, len);
	j->env_value[len] = '\0';
	unique_name(js, j, j->env_value[0] ? j->env_value : js->env_vars[e->var & 1], j->name,
		    sizeof(j->name));
	j->env_key = key;
	j->env_var = e->var;
}

static void env_no_slot(struct jobs *js, const char *value)
{
	ct_err("no job slot for %s=%.64s (all %u slots in use; raise --max-jobs): its processes "
	       "count in the job they were in, and in lost.jobs_full when they start", js->env_vars[0],
	       value, js->max_jobs - CT_SLOT_FIRST_JOB);
}

/* A job for a value found at start in /proc; NULL without a slot. */
static struct ct_job *env_new(struct jobs *js, uint32_t var, const char *val, size_t vlen,
			      uint64_t key)
{
	struct ct_env_job e = { .var = (uint16_t)var };
	struct ct_job *j;

	e.len = (uint16_t)(vlen < CT_ENV_VALUE ? vlen : CT_ENV_VALUE - 1);
	memcpy(e.value, val, e.len);
	if (job_new(js, "", CT_JOB_ENV, &j))
		return NULL;
	env_name(js, j, key, &e);
	if (job_register(js, j)) {
		js->n--;
		free(j);
		env_no_slot(js, e.value);
		return NULL;
	}
	e.slot = j->slot;
	tracer__env_set(js->tr, key, &e);
	return j;
}

/* The job of the environment @env (@len bytes), as bpf/env.bpf.c decides it at exec. */
static struct ct_job *env_classify(struct jobs *js, const char *env, size_t len)
{
	const char *val[CT_ENV_VARS] = { 0 };
	size_t vlen[CT_ENV_VARS] = { 0 };
	uint64_t key[CT_ENV_VARS] = { 0 };
	struct ct_env_job e;
	struct ct_job *j;
	uint32_t prim;

	for (uint32_t v = 0; v < js->env_nvars; v++)
		if ((val[v] = ct_env_find(env, len, js->env_vars[v], &vlen[v])))
			key[v] = ct_env_hash(v, strlen(js->env_vars[v]) + 1, val[v], vlen[v]);
	if (!val[0] && !val[1])
		return NULL;
	if (val[1] && !tracer__env_get(js->tr, key[1], &e))
		return job_of_slot(js, e.slot);
	if (val[0] && !tracer__env_get(js->tr, key[0], &e)) {
		j = job_of_slot(js, e.slot);
	} else {
		prim = val[0] ? 0 : 1;
		j = env_new(js, prim, val[prim], vlen[prim], key[prim]);
		if (!j || prim == 1)
			return j;
	}
	if (j && val[1]) {
		e = (struct ct_env_job){ .slot = j->slot, .var = 1 };
		e.len = (uint16_t)(vlen[1] < CT_ENV_VALUE ? vlen[1] : CT_ENV_VALUE - 1);
		memcpy(e.value, val[1], e.len);
		tracer__env_set(js->tr, key[1], &e);
	}
	return j;
}

/*
 * Processes running at start: each with a value is its value's job, with all its threads;
 * the kernel side counts a thread in when it first sees it. An explicit --job NAME=pid:PID
 * keeps its own. Done twice, like process jobs: a fork between the scan and the tracer
 * knowing its parent is caught the second time.
 */
static void env_scan_start(struct jobs *js)
{
	struct ct_buf env = { 0 };
	struct ct_pid_job pj;
	struct dirent *de, *te;
	char dir[64], path[384];
	uint64_t start;
	int ppid;

	for (int pass = 0; pass < 2; pass++) {
		DIR *d = opendir("/proc");

		if (!d)
			break;
		while ((de = readdir(d))) {
			int pid = atoi(de->d_name);
			struct ct_job *j;
			DIR *td;

			if (pid < 1 || pid == getpid() || !read_environ(pid, &env) ||
			    !(j = env_classify(js, env.p, env.len)))
				continue;
			snprintf(dir, sizeof(dir), "/proc/%d/task", pid);
			if (!(td = opendir(dir)))
				continue;
			while ((te = readdir(td))) {
				uint32_t tid = (uint32_t)atoi(te->d_name);

				if (!tid || (!tracer__get_pid_job(js->tr, tid, &pj) &&
					     !(pj.flags & CT_PJ_ENV)))
					continue;
				snprintf(path, sizeof(path), "%s/%s/stat", dir, te->d_name);
				if (proc_stat(path, &ppid, &start))
					tracer__set_pid_job(js->tr, tid, start, j->slot, CT_PJ_ENV);
			}
			closedir(td);
		}
		closedir(d);
		tracer__invalidate(js->tr);
	}
	ct_buf_free(&env);
}

/* Keep CT_ENV_POOL slots ready for new values, their baselines taken. */
static void env_fill(struct jobs *js)
{
	while (js->npool < CT_ENV_POOL) {
		struct ct_job *j = calloc(1, sizeof(*j));

		if (!j)
			return;
		j->kind = CT_JOB_ENV;
		if (alloc_slot(js, &j->slot)) {
			free(j);
			return;
		}
		if (js->on_register)
			js->on_register(js->hooks_arg, j);
		if (tracer__env_pool_push(js->tr, j->slot)) {
			js->slot_used[j->slot] = false;
			free(j);
			return;
		}
		js->pool[js->npool++] = j;
	}
}

/* Pool slot @p was taken by value @e: the job joins the table under its name. */
static void env_adopt(struct jobs *js, int p, uint64_t key, const struct ct_env_job *e)
{
	struct ct_job *j = js->pool[p], **v = realloc(js->v, (size_t)(js->n + 1) * sizeof(*v));

	if (!v)
		return;
	js->v = v;
	env_name(js, j, key, e);
	js->v[js->n++] = j;
	js->pool[p] = js->pool[--js->npool];
}

/* Does any thread found at start for @j, not yet seen by the kernel side, still run? */
static bool env_waiting_threads(struct jobs *js, const struct ct_job *j)
{
	uint32_t tids[256];
	uint64_t starts[256], start;
	char path[64];
	int n = tracer__pid_jobs_of(js->tr, j->slot, tids, starts, 256), ppid;

	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/proc/%u/stat", tids[i]);
		if (proc_stat(path, &ppid, &start) && start == starts[i])
			return true;
		tracer__del_pid_job(js->tr, tids[i]);
	}
	return false;
}

/*
 * A job with no task for --env-linger: its values are forgotten (a process with one later
 * makes a new job) and it is gone. A process that took it in between keeps it alive.
 */
static void env_linger(struct jobs *js, struct ct_job *j, const uint64_t *keys,
		       const struct ct_env_job *vals, int n, uint64_t now)
{
	if (tracer__env_live(js->tr, j->slot) > 0) {
		j->idle_since = 0;
		return;
	}
	if (!j->idle_since || now - j->idle_since < js->env_linger_ns ||
	    env_waiting_threads(js, j)) {
		if (!j->idle_since)
			j->idle_since = now;
		return;
	}
	for (int i = 0; i < n; i++)
		if (vals[i].slot == j->slot)
			tracer__env_del(js->tr, keys[i]);
	if (tracer__env_live(js->tr, j->slot) > 0) {
		for (int i = 0; i < n; i++)
			if (vals[i].slot == j->slot)
				tracer__env_set(js->tr, keys[i], &vals[i]);
		j->idle_since = 0;
		return;
	}
	j->gone = true;
}

/* Name the jobs new values took, refill the pool, retire jobs whose processes have ended. */
static void env_rescan(struct jobs *js)
{
	uint64_t *keys, full, now = ct_mono_ns();
	struct ct_env_job *vals;
	int n;

	if (!js->env_nvars)
		return;
	if (tracer__env_jobs(js->tr, &keys, &vals, &n) == 0) {
		/* a value names its job before a tie does */
		for (uint16_t var = 0; var < CT_ENV_VARS; var++)
			for (int i = 0; i < n; i++)
				for (int p = 0; p < js->npool; p++)
					if (vals[i].var == var && js->pool[p]->slot == vals[i].slot) {
						env_adopt(js, p, keys[i], &vals[i]);
						break;
					}
		for (int i = 0; i < js->n; i++)
			if (js->v[i]->kind == CT_JOB_ENV && !js->v[i]->gone)
				env_linger(js, js->v[i], keys, vals, n, now);
	}
	free(keys);
	free(vals);
	env_fill(js);
	full = tracer__env_full(js->tr);
	if (full > js->env_full_seen) {
		ct_err("%llu process%s with a new %s value found no job slot (all %u slots in use; "
		       "raise --max-jobs): they count in the job they were in, and in "
		       "lost.jobs_full", (unsigned long long)(full - js->env_full_seen),
		       full - js->env_full_seen > 1 ? "es" : "", js->env_vars[0],
		       js->max_jobs - CT_SLOT_FIRST_JOB);
		js->env_full_seen = full;
	}
}

/*
 * --name-by-env: child @j is named by the value of the variable in one of its processes'
 * environments; false while it has none (it keeps its directory's name).
 */
static bool child_env_name(struct jobs *js, struct ct_job *j)
{
	char procs[CT_FILE_LEN], buf[4096], *save = NULL, *tok, name[CT_NAME_MAX];
	char value[CT_ENV_VALUE];
	struct ct_buf env = { 0 };
	const char *val = NULL;
	size_t vlen = 0;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", j->cg.path);
	if (ct_read_file(procs, buf, sizeof(buf)) <= 0)
		return false;
	for (tok = strtok_r(buf, "\n", &save); tok && !val; tok = strtok_r(NULL, "\n", &save))
		if (read_environ(atoi(tok), &env))
			val = ct_env_find(env.p, env.len, js->name_var, &vlen);
	if (val && vlen) {
		snprintf(value, sizeof(value), "%.*s", (int)vlen, val);
		unique_name(js, j, value, name, sizeof(name));
		snprintf(j->name, sizeof(j->name), "%s", name);
	}
	ct_buf_free(&env);
	return val && vlen;
}

int jobs__attach(struct jobs *js, struct tracer *tr)
{
	struct ct_job *j;
	int err;

	js->tr = tr;
	for (int i = 0; i < js->n; i++) {
		err = job_register(js, js->v[i]);
		if (err)
			return err;
	}
	err = job_new(js, "other", CT_JOB_OTHER, &j);
	err = err ?: job_register(js, j);
	err = err ?: job_new(js, "kernel", CT_JOB_KERNEL, &j);
	err = err ?: job_register(js, j);
	err = err ?: job_new(js, "writeback", CT_JOB_WRITEBACK, &j);
	err = err ?: job_register(js, j);
	if (!err && js->env_nvars)
		env_scan_start(js);
	return err ?: jobs__rescan(js);
}

static struct ct_unslotted *find_unslotted(struct jobs *js, const char *path)
{
	for (int i = 0; i < js->nunslotted; i++)
		if (!js->unslotted[i].done && !strcmp(js->unslotted[i].path, path))
			return &js->unslotted[i];
	return NULL;
}

static bool slot_free(const struct jobs *js)
{
	for (uint32_t s = CT_SLOT_FIRST_JOB; s < js->max_jobs; s++)
		if (!js->slot_used[s])
			return true;
	return false;
}

/* The sampler reads @u's CPU usage: at its start (@added) or its last as an unslotted child. */
static void unslotted_event(struct jobs *js, struct ct_unslotted *u, bool added)
{
	if (js->on_unslotted)
		js->on_unslotted(js->hooks_arg, u, added, js->scanned);
}

/*
 * Keep @path as a child without a slot. One made while recording has used no CPU before it
 * appeared, so all of its usage is counted; one there at start is counted from now.
 */
static bool add_unslotted(struct jobs *js, int parent, const char *name, const char *path)
{
	struct ct_unslotted *u, *v;

	if (js->nunslotted >= CT_UNSLOTTED_MAX)
		return false;
	v = realloc(js->unslotted, (size_t)(js->nunslotted + 1) * sizeof(*v));
	if (!v)
		return false;
	js->unslotted = v;
	u = &v[js->nunslotted++];
	memset(u, 0, sizeof(*u));
	snprintf(u->name, sizeof(u->name), "%s", name);
	snprintf(u->path, sizeof(u->path), "%.*s", (int)sizeof(u->path) - 1, path);
	u->parent = parent;
	unslotted_event(js, u, true);
	return true;
}

static void scan_parent(struct jobs *js, int pi, struct ct_buf *missed, int *nmissed)
{
	const struct ct_cgroup *p = &js->parents[pi];
	char path[CT_FILE_LEN], name[CT_NAME_MAX];
	struct ct_unslotted *u;
	struct dirent *de;
	DIR *d = opendir(p->path);

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", p->path, de->d_name);
		if (find_path(js, path))
			continue;
		u = find_unslotted(js, path);
		if (u && !slot_free(js))
			continue;
		child_name(js, de->d_name, name, sizeof(name));
		/* A child removed between readdir and here is simply not added. */
		if (jobs__add_cgroup(js, name, path, CT_JOB_CHILD, NULL) == -ENOSPC) {
			if (!u && add_unslotted(js, pi, name, path)) {
				ct_buf_printf(missed, "%s%s", *nmissed ? ", " : "", name);
				++*nmissed;
			}
		} else if (u) {
			/* it has a slot now: what it used until here stays with the parent */
			unslotted_event(js, u, false);
			u->done = true;
		}
	}
	closedir(d);
}

/*
 * A job is its path: when the directory was removed the job is gone; when it was re-created
 * (a new cgroup id), the job follows it.
 */
static void job_recheck(struct jobs *js, struct ct_job *j)
{
	uint64_t id;

	if (!cgroup__id(j->cg.path, &id) && id == j->cg.id)
		return;
	tracer__set_cgroup(js->tr, j->cg.hier, j->cg.id, 0);
	if (!cgroup__id(j->cg.path, &id) && !tracer__set_cgroup(js->tr, j->cg.hier, id, j->slot))
		j->cg.id = id;
	else
		j->gone = true;
	tracer__invalidate(js->tr);
}

/*
 * Name the children left without a slot, once for each batch: children made together (a
 * `mkdir a b c`, a burst of containers) come in one message even when an inotify wake-up
 * rescans between them; the message waits CT_MISSED_DELAY_NS for the rest of its batch.
 */
#define CT_MISSED_DELAY_NS 100000000ULL

static void say_missed(struct jobs *js, bool now)
{
	if (!js->nmissed || (!now && ct_mono_ns() - js->missed_since < CT_MISSED_DELAY_NS))
		return;
	ct_err("no job slot for %d new job%s (all %u slots in use; raise --max-jobs): %.*s; "
	       "their tasks count under their parent's job until a slot frees",
	       js->nmissed, js->nmissed > 1 ? "s" : "", js->max_jobs - CT_SLOT_FIRST_JOB,
	       (int)js->missed.len, js->missed.p);
	ct_buf_free(&js->missed);
	js->nmissed = 0;
}

int jobs__rescan(struct jobs *js)
{
	int before = js->nmissed;

	for (int i = 0; i < js->nunslotted; i++) {
		struct ct_unslotted *u = &js->unslotted[i];
		struct stat st;

		if (u->done)
			continue;
		if (stat(u->path, &st)) /* removed: its last reading stands */
			u->done = true;
		else
			unslotted_event(js, u, false);
	}
	for (int i = 0; i < js->nparents; i++)
		scan_parent(js, i, &js->missed, &js->nmissed);
	if (!before && js->nmissed)
		js->missed_since = ct_mono_ns();
	say_missed(js, false);
	for (int i = 0; i < js->n; i++)
		if (js->v[i]->name_pending && child_env_name(js, js->v[i]))
			js->v[i]->name_pending = false;
	env_rescan(js);
	js->scanned = true;
	for (int i = 0; i < js->n; i++)
		if (ct_job_has_cgroup(js->v[i]) && !js->v[i]->gone)
			job_recheck(js, js->v[i]);
	return 0;
}

void jobs__retire_gone(struct jobs *js)
{
	int k = 0;

	for (int i = 0; i < js->n; i++) {
		struct ct_job *j = js->v[i];

		if (j->gone) {
			js->slot_used[j->slot] = false;
			free(j);
		} else {
			/* its name is in a window now, unless that window found it empty */
			if (j->name_pending && cgroup__has_procs(j->cg.path))
				j->name_pending = false;
			js->v[k++] = j;
		}
	}
	js->n = k;
}

void jobs__drop_done_unslotted(struct jobs *js)
{
	int k = 0;

	for (int i = 0; i < js->nunslotted; i++)
		if (!js->unslotted[i].done)
			js->unslotted[k++] = js->unslotted[i];
	js->nunslotted = k;
}

int jobs__parent_of(const struct jobs *js, const struct ct_job *j)
{
	if (j->kind != CT_JOB_PARENT)
		return -1;
	for (int i = 0; i < js->nparents; i++)
		if (!strcmp(js->parents[i].path, j->cg.path))
			return i;
	return -1;
}
