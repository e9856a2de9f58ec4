// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>
#include "jobs.h"

static const char *const reserved[] = { "idle", "other", "kernel", "writeback" };

int jobs__init(struct jobs *js, uint32_t max_jobs)
{
	memset(js, 0, sizeof(*js));
	js->watch_fd = -1;
	js->max_jobs = max_jobs;
	js->slot_used = calloc(max_jobs, sizeof(bool));
	if (!js->slot_used)
		return -ENOMEM;
	for (uint32_t s = 0; s < CT_SLOT_FIRST_JOB; s++)
		js->slot_used[s] = true;
	return 0;
}

void jobs__free(struct jobs *js)
{
	for (int i = 0; i < js->n; i++)
		free(js->v[i]);
	free(js->v);
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
		    !tracer__set_pid_job(js->tr, (uint32_t)atoi(de->d_name), start, j->slot))
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

/* Give @j a slot, tell the tracer, and take its baseline. */
static int job_register(struct jobs *js, struct ct_job *j)
{
	int err = 0;

	if (j->kind < CT_JOB_CGROUP) {
		j->slot = j->kind == CT_JOB_OTHER    ? CT_SLOT_OTHER :
			  j->kind == CT_JOB_KERNEL   ? CT_SLOT_KERNEL :
						       CT_SLOT_WRITEBACK;
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
		if (!js->scanned) {
			char procs[CT_FILE_LEN], buf[64];

			snprintf(procs, sizeof(procs), "%s/cgroup.procs", j->cg.path);
			j->ran_before = ct_read_file(procs, buf, sizeof(buf)) > 0;
		}
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

/* A unique, valid job name for child directory @dir. */
static void child_name(struct jobs *js, const char *dir, char *name, size_t len)
{
	char base[CT_NAME_MAX];

	ct_name_sanitize(dir, base, sizeof(base));
	snprintf(name, len, "%s", base);
	for (unsigned short k = 2; (jobs__find(js, name) || jobs__name_reserved(name)) && k; k++)
		snprintf(name, len, "%.*s~%hu", CT_NAME_MAX - 8, base, k);
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

int jobs__rescan(struct jobs *js)
{
	struct ct_buf missed = { 0 };
	int nmissed = 0;

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
		scan_parent(js, i, &missed, &nmissed);
	if (nmissed)
		ct_err("no job slot for %d new job%s (all %u slots in use; raise --max-jobs): %.*s; "
		       "their tasks count under their parent's job until a slot frees",
		       nmissed, nmissed > 1 ? "s" : "", js->max_jobs - CT_SLOT_FIRST_JOB,
		       (int)missed.len, missed.p);
	ct_buf_free(&missed);
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
