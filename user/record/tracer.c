// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "contrace.h"
#include "contrace.skel.h"
#include "cgroup.h"
#include "names.h"
#include "tracer.h"
#include "util.h"

struct tracer {
	struct contrace *skel;
	uint32_t ncpu, max_jobs;
	struct ct_job_stats *stats;	/* mmapped [cpu][slot] */
	uint64_t (*hists)[CT_HIST_NBUCKETS];	/* mmapped [cpu][slot][kind] */
	struct ct_pair_stats *pairs;	/* mmapped [cpu][victim][culprit] */
	size_t stats_len, hists_len, pairs_len;
	char missing[256];	/* tracepoints this kernel lacks, space-separated */
	bool socket_bytes;
};

static bool verbose;

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static size_t map_len(const struct bpf_map *m)
{
	size_t len = (size_t)bpf_map__value_size(m) * bpf_map__max_entries(m);
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return (len + page - 1) / page * page;
}

static void *map_mmap(const struct bpf_map *m, size_t *len)
{
	void *p;

	*len = map_len(m);
	p = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(m), 0);
	return p == MAP_FAILED ? NULL : p;
}

static int size_maps(struct tracer *t)
{
	struct contrace *s = t->skel;
	uint32_t cells = t->ncpu * t->max_jobs;
	int err;

	err = bpf_map__set_max_entries(s->maps.ct_rings, t->ncpu);
	err = err ?: bpf_map__set_max_entries(s->maps.ct_stats, cells);
	err = err ?: bpf_map__set_max_entries(s->maps.ct_hists, cells * CT_HIST_NR);
	err = err ?: bpf_map__set_max_entries(s->maps.ct_pairs, cells * t->max_jobs);
	return err;
}

bool tracer__btf_ok(const char *path)
{
	struct btf *btf;

	libbpf_set_print(NULL);	/* our message says it all */
	btf = btf__parse(path, NULL);
	libbpf_set_print(print_libbpf);
	if (!btf) {
		ct_err("cannot parse kernel BTF %s: %s (not a BTF or ELF file with .BTF)", path,
		       strerror(errno));
		return false;
	}
	btf__free(btf);
	return true;
}

/* How many arguments tracepoint @tp passes (its BTF prototype's, less the context); -1: none. */
static int tp_nargs(const char *btf_path, const char *tp)
{
	struct btf *btf = btf_path ? btf__parse(btf_path, NULL) : btf__load_vmlinux_btf();
	const struct btf_type *t;
	char name[128];
	int id, n = -1;

	if (!btf)
		return -1;
	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	if (t)
		t = btf__type_by_id(btf, t->type);	/* pointer */
	if (t && btf_is_ptr(t))
		t = btf__type_by_id(btf, t->type);	/* function prototype */
	if (t && btf_is_func_proto(t))
		n = btf_vlen(t) - 1;
	btf__free(btf);
	return n;
}

/*
 * Does task_struct have sched_info (CONFIG_SCHED_INFO: schedstats or delay accounting)? Its
 * run_delay and pcount are what every task's time is split by.
 */
static bool has_sched_info(const char *btf_path)
{
	struct btf *btf = btf_path ? btf__parse(btf_path, NULL) : btf__load_vmlinux_btf();
	const struct btf_type *t;
	const struct btf_member *m;
	bool yes = false;
	int id;

	if (!btf)
		return false;
	id = btf__find_by_name_kind(btf, "task_struct", BTF_KIND_STRUCT);
	t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	m = t ? btf_members(t) : NULL;
	for (int i = 0; t && i < btf_vlen(t) && !yes; i++)
		yes = !strcmp(btf__name_by_offset(btf, m[i].name_off), "sched_info");
	btf__free(btf);
	return yes;
}

/*
 * Programs whose tracepoint this kernel lacks are not loaded (block_io_start: 6.5,
 * sock_send_length: 6.3); their names are kept for the session header. The scheduler's are
 * required: without them attach fails and says so.
 */
static void skip_missing(struct tracer *t, const char *btf_path)
{
	struct btf *btf = btf_path ? btf__parse(btf_path, NULL) : btf__load_vmlinux_btf();
	struct bpf_program *p;
	char name[128];

	if (!btf)
		return;
	bpf_object__for_each_program(p, t->skel->obj) {
		const char *sec = bpf_program__section_name(p), *tp = strchr(sec, '/');

		if (!tp || strncmp(sec, "tp_btf/", 7))
			continue;
		snprintf(name, sizeof(name), "btf_trace_%s", tp + 1);
		if (btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF) > 0) {
			/* block_rq_insert only stands in for block_io_start where it is missing. */
			if (!strcmp(tp + 1, "block_rq_insert") &&
			    btf__find_by_name_kind(btf, "btf_trace_block_io_start",
						   BTF_KIND_TYPEDEF) > 0)
				bpf_program__set_autoload(p, false);
			continue;
		}
		bpf_program__set_autoload(p, false);
		if (strlen(t->missing) + strlen(tp + 1) + 2 < sizeof(t->missing))
			snprintf(t->missing + strlen(t->missing),
				 sizeof(t->missing) - strlen(t->missing), "%s%s",
				 t->missing[0] ? " " : "", tp + 1);
	}
	btf__free(btf);
}

/* The ephemeral port range: an endpoint inside it is a client's, outside a service's. */
static void port_range(struct contrace *s)
{
	char text[64];
	uint16_t lo, hi;

	if (ct_read_file("/proc/sys/net/ipv4/ip_local_port_range", text, sizeof(text)) > 0 &&
	    names__parse_port_range(text, &lo, &hi)) {
		s->rodata->targ_eph_lo = lo;
		s->rodata->targ_eph_hi = hi;
	}
}

static int load(struct tracer *t, const struct tracer_opts *o)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = o->btf_path);
	struct contrace *s;
	int err;

	s = t->skel = contrace__open_opts(&oo);
	if (!s) {
		err = -errno;
		ct_err("cannot open the BPF object: %s", strerror(-err));
		return err;
	}
	if (!has_sched_info(o->btf_path)) {
		ct_err("this kernel has no per-task run-queue counters (task_struct.sched_info: "
		       "CONFIG_SCHED_INFO, which CONFIG_SCHEDSTATS or CONFIG_TASK_DELAY_ACCT "
		       "selects); contrace splits every task's time by them");
		return -ENOTSUP;
	}
	s->rodata->targ_max_jobs = t->max_jobs;
	s->rodata->targ_t0_ns = ct_mono_ns();
	s->rodata->targ_drop_idle_pct = o->drop_idle_pct;
	if (o->task_slots)
		s->rodata->targ_tslot_mask = o->task_slots - 1;
	/* 5.18 added prev_state to sched_switch; 6.13 added err to tcp_retransmit_skb. */
	s->rodata->targ_switch_state_arg = tp_nargs(o->btf_path, "sched_switch") == 4;
	s->rodata->targ_retrans_err_arg = tp_nargs(o->btf_path, "tcp_retransmit_skb") == 3;
	s->rodata->targ_nhier = o->nhier;
	memcpy((void *)s->rodata->targ_hier, o->hier, sizeof(o->hier));
	/* Under v1 a bio's blkcg is in the blkio hierarchy; jobs registered there match it. */
	if (cgroup__controller_hier("blkio", (uint32_t *)&s->rodata->targ_blkcg_hier))
		s->rodata->targ_blkcg_hier = CT_HIER_V2;
	for (uint32_t h = 0; h < o->nhier; h++)
		if (o->hier[h] == s->rodata->targ_blkcg_hier)
			s->rodata->targ_blkcg_on = true;
	s->rodata->targ_env_nvars = o->env_nvars;
	for (uint32_t v = 0; v < o->env_nvars && v < CT_ENV_VARS; v++) {
		/* "VAR=": the caller checked that it fits */
		snprintf((char *)s->rodata->targ_env_var[v], CT_ENV_VAR_MAX, "%s=", o->env_vars[v]);
		s->rodata->targ_env_len[v] = (uint32_t)strlen(o->env_vars[v]) + 1;
	}
	if (!o->env_nvars) {
		bpf_program__set_autoload(s->progs.ct_sched_process_exec, false);
		bpf_program__set_autoload(s->progs.ct_sched_process_exit, false);
	}
	port_range(s);
	skip_missing(t, o->btf_path);
	t->socket_bytes = o->socket_bytes;
	if (!o->socket_bytes) {
		bpf_program__set_autoload(s->progs.ct_sock_send_length, false);
		bpf_program__set_autoload(s->progs.ct_sock_recv_length, false);
	}
	err = size_maps(t);
	if (!err)
		err = contrace__load(s);
	if (err) {
		ct_err("cannot load the BPF programs: %s (run with -v for the verifier's log)",
		       strerror(-err));
		return err;
	}
	err = contrace__attach(s);
	if (err)
		ct_err("cannot attach to the scheduler tracepoints: %s", strerror(-err));
	return err;
}

int tracer__open(struct tracer **out, const struct tracer_opts *o)
{
	struct tracer *t = calloc(1, sizeof(*t));
	int ncpu = libbpf_num_possible_cpus(), err;

	if (!t)
		return -ENOMEM;
	if (ncpu <= 0) {
		free(t);
		return ncpu ? ncpu : -EINVAL;
	}
	verbose = o->verbose;
	libbpf_set_print(print_libbpf);
	t->ncpu = (uint32_t)ncpu;
	t->max_jobs = o->max_jobs;
	err = load(t, o);
	if (!err) {
		t->stats = map_mmap(t->skel->maps.ct_stats, &t->stats_len);
		t->hists = map_mmap(t->skel->maps.ct_hists, &t->hists_len);
		t->pairs = map_mmap(t->skel->maps.ct_pairs, &t->pairs_len);
		if (!t->stats || !t->hists || !t->pairs) {
			err = -errno;
			ct_err("cannot map the BPF counters: %s", strerror(-err));
		}
	}
	if (err) {
		tracer__close(t);
		return err;
	}
	*out = t;
	return 0;
}

void tracer__close(struct tracer *t)
{
	if (!t)
		return;
	if (t->stats)
		munmap(t->stats, t->stats_len);
	if (t->hists)
		munmap(t->hists, t->hists_len);
	if (t->pairs)
		munmap(t->pairs, t->pairs_len);
	contrace__destroy(t->skel);
	free(t);
}

int tracer__set_pid_job(struct tracer *t, uint32_t tid, uint64_t start_ticks, uint32_t slot,
			uint32_t flags)
{
	struct ct_pid_job v = { .start_ticks = start_ticks, .slot = slot, .flags = flags };

	return bpf_map_update_elem(bpf_map__fd(t->skel->maps.ct_pid_jobs), &tid, &v, BPF_ANY) ?
		       -errno :
		       0;
}

int tracer__pid_jobs_of(struct tracer *t, uint32_t slot, uint32_t *tids, uint64_t *starts,
			int max)
{
	int fd = bpf_map__fd(t->skel->maps.ct_pid_jobs), n = 0;
	uint32_t key, next, *prev = NULL;
	struct ct_pid_job v;

	while (n < max && !bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v) || v.slot != slot)
			continue;
		tids[n] = key;
		starts[n++] = v.start_ticks;
	}
	return n;
}

void tracer__del_pid_job(struct tracer *t, uint32_t tid)
{
	bpf_map_delete_elem(bpf_map__fd(t->skel->maps.ct_pid_jobs), &tid);
}

int tracer__get_pid_job(struct tracer *t, uint32_t tid, struct ct_pid_job *out)
{
	return bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.ct_pid_jobs), &tid, out) ? -ENOENT :
											  0;
}

int tracer__env_pool_push(struct tracer *t, uint32_t slot)
{
	return bpf_map_update_elem(bpf_map__fd(t->skel->maps.ct_env_pool), NULL, &slot, BPF_ANY) ?
		       -errno :
		       0;
}

int tracer__env_jobs(struct tracer *t, uint64_t **keys, struct ct_env_job **vals, int *n)
{
	int fd = bpf_map__fd(t->skel->maps.ct_env_jobs), cap = 0;
	uint64_t key, next, *prev = NULL;
	struct ct_env_job v;

	*keys = NULL;
	*vals = NULL;
	*n = 0;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v))
			continue;
		if (*n == cap) {
			uint64_t *k;
			struct ct_env_job *e;

			cap = cap ? 2 * cap : 16;
			k = realloc(*keys, (size_t)cap * sizeof(*k));
			if (k)
				*keys = k;
			e = realloc(*vals, (size_t)cap * sizeof(*e));
			if (e)
				*vals = e;
			if (!k || !e)
				return -ENOMEM;
		}
		(*keys)[*n] = key;
		(*vals)[(*n)++] = v;
	}
	return 0;
}

int tracer__env_set(struct tracer *t, uint64_t key, const struct ct_env_job *e)
{
	return bpf_map_update_elem(bpf_map__fd(t->skel->maps.ct_env_jobs), &key, e, BPF_NOEXIST) ?
		       -errno :
		       0;
}

int tracer__env_get(struct tracer *t, uint64_t key, struct ct_env_job *e)
{
	return bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.ct_env_jobs), &key, e) ? -ENOENT : 0;
}

uint64_t tracer__env_full(const struct tracer *t)
{
	return __atomic_load_n(&t->skel->bss->ct_env_full, __ATOMIC_RELAXED);
}

void tracer__env_del(struct tracer *t, uint64_t key)
{
	bpf_map_delete_elem(bpf_map__fd(t->skel->maps.ct_env_jobs), &key);
}

int32_t tracer__env_live(const struct tracer *t, uint32_t slot)
{
	return slot < CT_MAX_JOBS_LIMIT ?
		       __atomic_load_n(&t->skel->bss->ct_live[slot], __ATOMIC_RELAXED) :
		       0;
}

void tracer__env_live_add(struct tracer *t, uint32_t slot, int32_t d)
{
	if (slot < CT_MAX_JOBS_LIMIT)
		__atomic_add_fetch(&t->skel->bss->ct_live[slot], d, __ATOMIC_SEQ_CST);
}

int tracer__set_cgroup(struct tracer *t, uint32_t hier, uint64_t cgid, uint32_t slot)
{
	struct ct_cgkey key = { .cgid = cgid, .hier = hier };
	int fd = bpf_map__fd(t->skel->maps.ct_cgroups), err;

	if (slot)
		err = bpf_map_update_elem(fd, &key, &slot, BPF_ANY);
	else
		err = bpf_map_delete_elem(fd, &key);
	return err ? -errno : 0;
}

void tracer__invalidate(struct tracer *t)
{
	__atomic_add_fetch(&t->skel->bss->ct_job_gen, 1, __ATOMIC_SEQ_CST);
}

int totals__init(struct ct_totals *tot, uint32_t max_jobs)
{
	memset(tot, 0, sizeof(*tot));
	tot->row = calloc(max_jobs, sizeof(*tot->row));
	return tot->row ? 0 : -ENOMEM;
}

void totals__free(struct ct_totals *tot)
{
	free(tot->row);
	tot->row = NULL;
}

static void add_u64s(uint64_t *dst, const uint64_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] += src[i];
}

#define N_U64(x) (sizeof(x) / sizeof(uint64_t))

void tracer__read(struct tracer *t, uint32_t slot, struct ct_totals *tot)
{
	struct ct_pair_stats *row = tot->row;
	uint64_t max = 0;

	memset(tot, 0, offsetof(struct ct_totals, row));
	memset(row, 0, t->max_jobs * sizeof(*row));
	for (uint32_t cpu = 0; cpu < t->ncpu; cpu++) {
		uint32_t cell = cpu * t->max_jobs + slot;
		struct ct_job_stats *s = &t->stats[cell];
		uint64_t m = __atomic_exchange_n(&s->runq_max_ns, 0, __ATOMIC_RELAXED);

		if (m > max)
			max = m;
		add_u64s((uint64_t *)&tot->s, (const uint64_t *)s, N_U64(*s));
		add_u64s(&tot->hist[0][0], t->hists[cell * CT_HIST_NR],
			 CT_HIST_NR * CT_HIST_NBUCKETS);
		add_u64s((uint64_t *)row, (const uint64_t *)&t->pairs[(size_t)cell * t->max_jobs],
			 t->max_jobs * N_U64(*row));
	}
	tot->s.runq_max_ns = max;
}

const enum ct_lost_key ct_lost_key_of[CT_LOST_NR] = {
	[CT_LOST_STORAGE] = CT_LK_STORAGE_FULL,
	[CT_LOST_RECURSION] = CT_LK_RECURSION,
	[CT_LOST_REPAIRED] = CT_LK_REPAIRED,
	[CT_LOST_UNSPLIT] = CT_LK_UNSPLIT,
	[CT_LOST_ENDPOINTS] = CT_LK_ENDPOINTS_FULL,
	[CT_LOST_DISK] = CT_LK_DISK_FULL,
	[CT_LOST_JOBS] = CT_LK_JOBS_FULL,
};

const char *tracer__missing(const struct tracer *t)
{
	return t->missing;
}

bool tracer__socket_bytes(const struct tracer *t)
{
	return t->socket_bytes && !strstr(t->missing, "sock_send_length");
}

size_t tracer__unix_name(void *arg, uint64_t hash, char *buf, size_t len)
{
	struct tracer *t = arg;
	struct ct_unix_name n;

	if (bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.ct_unix_names), &hash, &n))
		return 0;
	if (n.len > sizeof(n.name))
		n.len = sizeof(n.name);
	if (n.len > len)
		n.len = (uint32_t)len;
	memcpy(buf, n.name, n.len);
	return n.len;
}

int tracer__read_endpoints(struct tracer *t, struct keyed *out)
{
	return keyed__read(out, bpf_map__fd(t->skel->maps.ct_eps));
}

int tracer__read_disk(struct tracer *t, struct keyed *out)
{
	return keyed__read(out, bpf_map__fd(t->skel->maps.ct_disk));
}

void tracer__lost(const struct tracer *t, uint64_t lost[CT_LOST_NR])
{
	struct bpf_program *p;

	lost[CT_LOST_STORAGE] = __atomic_load_n(&t->skel->bss->ct_drops, __ATOMIC_RELAXED);
	lost[CT_LOST_REPAIRED] = lost[CT_LOST_UNSPLIT] = 0;
	for (uint32_t cell = 0; cell < t->ncpu * t->max_jobs; cell++) {
		lost[CT_LOST_REPAIRED] += t->stats[cell].repaired;
		lost[CT_LOST_UNSPLIT] += t->stats[cell].unsplit;
	}
	lost[CT_LOST_ENDPOINTS] = __atomic_load_n(&t->skel->bss->ct_ep_full, __ATOMIC_RELAXED);
	lost[CT_LOST_DISK] = __atomic_load_n(&t->skel->bss->ct_disk_full, __ATOMIC_RELAXED);
	lost[CT_LOST_JOBS] = __atomic_load_n(&t->skel->bss->ct_env_full, __ATOMIC_RELAXED);
	lost[CT_LOST_RECURSION] = 0;
	bpf_object__for_each_program(p, t->skel->obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (!bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len))
			lost[CT_LOST_RECURSION] += info.recursion_misses;
	}
}

int tracer__prog_stats(const struct tracer *t, struct ct_prog_stat *out, int max)
{
	struct bpf_program *p;
	int n = 0;

	bpf_object__for_each_program(p, t->skel->obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (n >= max || bpf_program__fd(p) < 0 ||
		    bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len))
			continue;
		snprintf(out[n].name, sizeof(out[n].name), "%s", bpf_program__name(p));
		out[n].run_ns = info.run_time_ns;
		out[n++].runs = info.run_cnt;
	}
	return n;
}

void tracer__created(const struct tracer *t, uint64_t created[2])
{
	created[0] = __atomic_load_n(&t->skel->bss->ct_ep_created, __ATOMIC_RELAXED);
	created[1] = __atomic_load_n(&t->skel->bss->ct_disk_created, __ATOMIC_RELAXED);
}
