// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "jobs.h"

static const char *const reserved[] = { "idle", "other", "kernel", "writeback" };

int jobs__init(struct jobs *js, uint32_t max_jobs)
{
	memset(js, 0, sizeof(*js));
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
	memset(js, 0, sizeof(*js));
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

/* Give @j a slot, tell the tracer, and take its baseline. */
static int job_register(struct jobs *js, struct ct_job *j)
{
	int err = 0;

	if (j->kind < CT_JOB_CGROUP) {
		j->slot = j->kind == CT_JOB_OTHER    ? CT_SLOT_OTHER :
			  j->kind == CT_JOB_KERNEL   ? CT_SLOT_KERNEL :
						       CT_SLOT_WRITEBACK;
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

int jobs__add_spec(struct jobs *js, const char *spec)
{
	const char *eq = strchr(spec, '=');
	char name[CT_NAME_MAX];
	size_t n;

	if (!eq || eq == spec || !eq[1]) {
		ct_err("--job '%s': expected NAME=CGROUP_PATH", spec);
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
	return jobs__add_cgroup(js, name, eq + 1, CT_JOB_CGROUP, NULL);
}

static struct ct_job *find_path(struct jobs *js, const char *path)
{
	for (int i = 0; i < js->n; i++)
		if (js->v[i]->kind >= CT_JOB_CGROUP && !strcmp(js->v[i]->cg.path, path))
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
		if (js->v[i]->kind >= CT_JOB_CGROUP && !js->v[i]->gone)
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
