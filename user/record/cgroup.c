// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>
#include "cgroup.h"
#include "contrace.h"
#include "util.h"

/*
 * @ctrl's line of /proc/cgroups, which lists controllers in cgroup_subsys_id order: its index
 * (@id), v1 hierarchy number (0: not mounted on v1) and whether it is enabled.
 */
static int proc_cgroups(const char *ctrl, int *id, int *hier, int *enabled)
{
	char line[256], name[64];
	int num;
	FILE *f = fopen("/proc/cgroups", "re");

	if (!f)
		return -errno;
	*id = 0;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#')
			continue;
		if (sscanf(line, "%63s %d %d %d", name, hier, &num, enabled) == 4 &&
		    !strcmp(name, ctrl)) {
			fclose(f);
			return 0;
		}
		(*id)++;
	}
	fclose(f);
	return -ENOENT;
}

/* Index of @ctrl in /proc/cgroups: its cgroup_subsys_id. */
static int subsys_id(const char *ctrl)
{
	int id, hier, enabled, err = proc_cgroups(ctrl, &id, &hier, &enabled);

	return err ? err : enabled ? id : -ENOENT;
}

int cgroup__controller_hier(const char *ctrl, uint32_t *hier)
{
	int id, h, enabled, err = proc_cgroups(ctrl, &id, &h, &enabled);

	*hier = CT_HIER_V2;
	if (!err && enabled && h > 0 && id < 16)
		*hier = (uint32_t)id;
	return err;
}

/* The first controller named in a v1 mount's super options that the kernel knows. */
static int v1_hierarchy(const char *opts, char *why, size_t whylen)
{
	char buf[512], *save = NULL, *tok;
	int id;

	snprintf(buf, sizeof(buf), "%s", opts);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "rw") || !strcmp(tok, "ro") || strchr(tok, '='))
			continue;
		id = subsys_id(tok);
		if (id >= 0 && id < 16)
			return id;
	}
	snprintf(why, whylen, "cgroup v1 hierarchy (%s) has no controller; contrace follows v1 "
		 "hierarchies through a controller (cpu, memory, pids, ...)", opts);
	return -ENOTSUP;
}

/* Find the cgroup mount holding @real (longest prefix) in mountinfo. */
static int find_mount(const char *real, uint32_t *hier, char *why, size_t whylen)
{
	char line[4096], mnt[PATH_MAX], fstype[64], opts[512], best_opts[512] = "";
	size_t best = 0, n;
	bool best_v2 = false;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f) {
		snprintf(why, whylen, "cannot read /proc/self/mountinfo: %s", strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - ");

		if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
		    sscanf(sep + 3, "%63s %*s %511s", fstype, opts) != 2)
			continue;
		if (strcmp(fstype, "cgroup2") && strcmp(fstype, "cgroup"))
			continue;
		n = strlen(mnt);
		if (strncmp(real, mnt, n) || (real[n] && real[n] != '/') || n < best)
			continue;
		best = n;
		best_v2 = !strcmp(fstype, "cgroup2");
		snprintf(best_opts, sizeof(best_opts), "%s", opts);
	}
	fclose(f);
	if (!best) {
		snprintf(why, whylen, "no cgroup filesystem is mounted above it");
		return -ENOENT;
	}
	if (best_v2) {
		*hier = CT_HIER_V2;
		return 0;
	}
	int id = v1_hierarchy(best_opts, why, whylen);

	if (id < 0)
		return id;
	*hier = (uint32_t)id;
	return 0;
}

static uint64_t cgroup_id(const char *path, const struct stat *st)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h = { .fh.handle_bytes = sizeof(uint64_t) };
	int mount_id;

	if (!name_to_handle_at(AT_FDCWD, path, &h.fh, &mount_id, 0) && h.fh.handle_bytes == 8)
		return h.id;
	return st->st_ino;	/* kernfs: the inode number is the node id on 64-bit */
}

int cgroup__id(const char *path, uint64_t *id)
{
	struct stat st;

	if (stat(path, &st))
		return -errno;
	*id = cgroup_id(path, &st);
	return 0;
}

int cgroup__cpu_usage_ns(const char *path, uint64_t *ns)
{
	static const char *const keys[] = { "usage_usec", NULL };
	char file[CT_FILE_LEN], buf[4096];
	struct ct_kv kv;
	unsigned long long v;

	snprintf(file, sizeof(file), "%s/cpu.stat", path);
	if (ct_read_file(file, buf, sizeof(buf)) > 0 && !kv__parse_flat_keys(buf, keys, &kv) &&
	    kv__get(&kv, "usage_usec", ns)) {
		*ns *= 1000;
		return 0;
	}
	snprintf(file, sizeof(file), "%s/cpuacct.usage", path);
	if (ct_read_file(file, buf, sizeof(buf)) > 0 && sscanf(buf, "%llu", &v) == 1) {
		*ns = v;
		return 0;
	}
	return -ENOENT;
}

int cgroup__resolve(const char *path, struct ct_cgroup *cg, char *why, size_t whylen)
{
	struct statfs sfs;
	struct stat st;
	int err;

	if (!realpath(path, cg->path) || stat(cg->path, &st)) {
		err = -errno;
		snprintf(why, whylen, "%s", strerror(errno));
		return err;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, whylen, "not a directory");
		return -ENOTDIR;
	}
	if (statfs(cg->path, &sfs) ||
	    (sfs.f_type != CGROUP2_SUPER_MAGIC && sfs.f_type != CGROUP_SUPER_MAGIC)) {
		snprintf(why, whylen, "not a cgroup directory (not on a cgroup or cgroup2 filesystem)");
		return -EINVAL;
	}
	err = find_mount(cg->path, &cg->hier, why, whylen);
	if (err)
		return err;
	cg->id = cgroup_id(cg->path, &st);
	return 0;
}

int cgroup__default_root(char *buf, size_t len)
{
	static const char *const cands[] = {
		"/sys/fs/cgroup/unified", "/sys/fs/cgroup", "/sys/fs/cgroup/cpu",
		"/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/pids",
	};
	struct statfs sfs;

	/* Prefer cgroup v2 (hybrid: .../unified, pure v2: /sys/fs/cgroup). */
	for (unsigned pass = 0; pass < 2; pass++) {
		for (unsigned i = 0; i < sizeof(cands) / sizeof(cands[0]); i++) {
			if (statfs(cands[i], &sfs))
				continue;
			if ((pass == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC) ||
			    (pass == 1 && sfs.f_type == CGROUP_SUPER_MAGIC)) {
				snprintf(buf, len, "%s", cands[i]);
				return 0;
			}
		}
	}
	return -ENOENT;
}

int cgroup__attach(const char *path, pid_t pid)
{
	char file[CT_FILE_LEN], num[32];
	int fd, err;

	snprintf(file, sizeof(file), "%s/cgroup.procs", path);
	fd = open(file, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	snprintf(num, sizeof(num), "%d\n", (int)pid);
	err = ct_write_all(fd, num, strlen(num));
	close(fd);
	return err;
}

int cgroup__remove(const char *path, int wait_ms)
{
	struct timespec ts = { 0, 20 * 1000000 };

	for (int waited = 0;; waited += 20) {
		if (!rmdir(path) || errno == ENOENT)
			return 0;
		if (errno != EBUSY || waited >= wait_ms)
			return -errno;
		nanosleep(&ts, NULL);
	}
}

static int kv_add(struct ct_kv *kv, const char *key, uint64_t val)
{
	if (kv->n >= CT_KV_MAX || strlen(key) >= sizeof(kv->key[0]))
		return -E2BIG;
	snprintf(kv->key[kv->n], sizeof(kv->key[0]), "%s", key);
	kv->val[kv->n++] = val;
	return 0;
}

static bool parse_u64(const char *s, const char *end, uint64_t *out)
{
	uint64_t v = 0;

	if (s == end)
		return false;
	for (; s < end; s++) {
		uint64_t d = (uint64_t)(*s - '0');

		if (*s < '0' || *s > '9' || v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static bool key_wanted(const char *key, const char *const *keys)
{
	if (!keys)
		return true;
	for (; *keys; keys++)
		if (!strcmp(key, *keys))
			return true;
	return false;
}

int kv__parse_flat(const char *text, struct ct_kv *kv)
{
	return kv__parse_flat_keys(text, NULL, kv);
}

int kv__parse_flat_keys(const char *text, const char *const *keys, struct ct_kv *kv)
{
	char key[40];
	uint64_t v;

	kv->n = 0;
	while (*text) {
		const char *eol = strchrnul(text, '\n'), *sp = memchr(text, ' ', (size_t)(eol - text));

		if (sp && (size_t)(sp - text) < sizeof(key) && parse_u64(sp + 1, eol, &v)) {
			memcpy(key, text, (size_t)(sp - text));
			key[sp - text] = '\0';
			if (key_wanted(key, keys))
				kv_add(kv, key, v);
		}
		text = *eol ? eol + 1 : eol;
	}
	return kv->n ? 0 : -EINVAL;
}

int kv__parse_psi(const char *text, struct ct_kv *kv)
{
	uint64_t v;

	kv->n = 0;
	while (*text) {
		const char *eol = strchrnul(text, '\n');
		size_t len = (size_t)(eol - text);
		const char *tot = memmem(text, len, " total=", 7);
		bool some = len > 5 && !strncmp(text, "some ", 5);
		bool full = len > 5 && !strncmp(text, "full ", 5);

		if (tot && (some || full) && parse_u64(tot + 7, eol, &v))
			kv_add(kv, some ? "some_total_us" : "full_total_us", v);
		text = *eol ? eol + 1 : eol;
	}
	return kv->n ? 0 : -EINVAL;
}

bool kv__get(const struct ct_kv *kv, const char *key, uint64_t *val)
{
	for (int i = 0; i < kv->n; i++) {
		if (!strcmp(kv->key[i], key)) {
			*val = kv->val[i];
			return true;
		}
	}
	return false;
}

bool cgroup__has_procs(const char *path)
{
	char procs[CT_FILE_LEN], buf[64];

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", path);
	return ct_read_file(procs, buf, sizeof(buf)) > 0;
}
