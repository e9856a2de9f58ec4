// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "histo.h"
#include "names.h"
#include "window.h"

static const char *const job_kinds[] = {
	[CT_JOB_OTHER] = "other", [CT_JOB_KERNEL] = "kernel", [CT_JOB_WRITEBACK] = "writeback",
	[CT_JOB_CGROUP] = "cgroup",
	[CT_JOB_PARENT] = "parent", [CT_JOB_CHILD] = "child", [CT_JOB_CMD] = "command",
	[CT_JOB_PROCS] = "process", [CT_JOB_ENV] = "env",
};

/* A job's "name", "kind" and where its tasks are: "cgroup", or "pid" for a process job. */
static void job_identity(struct jw *o, const struct ct_job *j)
{
	jw_str(o, "name", j->name);
	jw_str(o, "kind", job_kinds[j->kind]);
	if (ct_job_has_cgroup(j))
		jw_str(o, "cgroup", j->cg.path);
	else if (j->kind == CT_JOB_PROCS)
		jw_int(o, "pid", j->pid);
	else if (j->kind == CT_JOB_ENV)
		jw_str(o, "env", j->env_value);
}

static const char *const sys_files[CT_SYS_NR] = {
	[CT_SYS_PSI_CPU] = "/proc/pressure/cpu", [CT_SYS_PSI_IO] = "/proc/pressure/io",
	[CT_SYS_PSI_MEM] = "/proc/pressure/memory", [CT_SYS_VMSTAT] = "/proc/vmstat",
};
static const char *const sys_names[CT_SYS_NR] = {
	[CT_SYS_PSI_CPU] = "cpu.pressure", [CT_SYS_PSI_IO] = "io.pressure",
	[CT_SYS_PSI_MEM] = "memory.pressure", [CT_SYS_VMSTAT] = "vmstat",
};
static const char *const vmstat_keys[] = {
	"pgmajfault", "pswpin", "pswpout", "allocstall_normal", "allocstall_movable",
	"pgscan_direct", "pgsteal_direct", "pgscan_kswapd", "pgsteal_kswapd",
	"workingset_refault_anon", "workingset_refault_file", NULL,
};

/* cgroupfs cross-check files, read in each cgroup job's directory where they exist. */
const char *const ct_kfile_names[CT_KFILES] = {
	[CT_KF_PSI_CPU] = "cpu.pressure", [CT_KF_PSI_IO] = "io.pressure",
	[CT_KF_PSI_MEM] = "memory.pressure", [CT_KF_CPU_STAT] = "cpu.stat",
	[CT_KF_MEMORY_STAT] = "memory.stat",
};

/*
 * The counters of memory.stat (v1 and v2 names) that say "memory stall": faults, swapping,
 * reclaim, refaults. Its gauges (usage, swap in use) would make no sense as deltas.
 */
static const char *const memstat_keys[] = {
	"pgfault", "pgmajfault", "total_pgmajfault", "pgpgin", "pgpgout", "pswpin", "pswpout",
	"pgscan", "pgsteal", "pgscan_direct", "pgsteal_direct", "workingset_refault_anon",
	"workingset_refault_file", NULL,
};

/* Parse counter file text (@psi: pressure format, else "key value" lines, only @keys). */
static bool parse_kv(const char *buf, bool psi, const char *const *keys, struct ct_kv *kv)
{
	return !(psi ? kv__parse_psi(buf, kv) : kv__parse_flat_keys(buf, keys, kv));
}

/* Read a counter file; false when absent or unreadable. */
static bool read_kv(const char *path, bool psi, const char *const *keys, struct ct_kv *kv)
{
	char buf[16384];

	if (ct_read_file(path, buf, sizeof(buf)) <= 0)
		return false;
	return parse_kv(buf, psi, keys, kv);
}

#define CT_KRETRY 8	/* windows between looks for a cgroup file that was absent */

static void kfiles_close(struct window *w, struct job_sample *c)
{
	for (int k = 0; k < CT_KFILES; k++) {
		if (c->kfd[k]) {
			close(c->kfd[k] - 1);
			w->kfd_open--;
		}
		c->kfd[k] = 0;
		c->kretry[k] = 0;
	}
}

/*
 * Cgroup file @k of job @j now. The files stay open from one window to the next (100 jobs
 * would otherwise be 500 path lookups a second); one that fails to read (its cgroup removed)
 * is closed and opened again, one that is absent is looked for again every CT_KRETRY windows.
 */
static bool kfile_read(struct window *w, struct job_sample *c, const struct ct_job *j, int k,
		       struct ct_kv *kv)
{
	char path[CT_FILE_LEN], buf[16384];
	ssize_t n = -1;
	int fd;

	if (c->kfd[k] && (n = ct_pread_file(c->kfd[k] - 1, buf, sizeof(buf))) < 0) {
		close(c->kfd[k] - 1);
		c->kfd[k] = 0;
		w->kfd_open--;
	}
	if (!c->kfd[k]) {
		if (c->kretry[k]) {
			c->kretry[k]--;
			return false;
		}
		snprintf(path, sizeof(path), "%s/%s", j->cg.path, ct_kfile_names[k]);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			if (errno == ENOENT)
				c->kretry[k] = CT_KRETRY - 1;
			return false;
		}
		n = ct_pread_file(fd, buf, sizeof(buf));
		/* kept open within a budget of this process's fds, else read by path each time */
		if (w->kfd_open < w->kfd_budget) {
			c->kfd[k] = fd + 1;
			w->kfd_open++;
		} else {
			close(fd);
		}
	}
	return n > 0 && parse_kv(buf, k <= CT_KF_LAST_PSI,
				 k == CT_KF_MEMORY_STAT ? memstat_keys : NULL, kv);
}

/* @j's cumulative counters now into @c's cur (or base): tracer totals, cgroupfs cross-checks. */
static void sample_read(struct window *w, const struct ct_job *j, bool base)
{
	struct job_sample *c = &w->samples[j->slot];
	struct ct_kv *kv = base ? c->kbase : c->kcur;
	bool *ok = base ? c->kbase_ok : c->kcur_ok;

	tracer__read(w->tr, j->slot, base ? &c->base : &c->cur);
	/* a job's baseline: the slot's files, if any, were another job's */
	if (base)
		kfiles_close(w, c);
	for (int k = 0; k < CT_KFILES; k++)
		ok[k] = ct_job_has_cgroup(j) && kfile_read(w, c, j, k, &kv[k]);
}

/* A job took its slot: the slot's counters as they are now are its baseline. */
static void on_register(void *arg, struct ct_job *j)
{
	struct window *w = arg;
	struct job_sample *c = &w->samples[j->slot];

	if (!c->base.row && (totals__init(&c->base, w->max_jobs) ||
			     totals__init(&c->cur, w->max_jobs))) {
		totals__free(&c->base);
		ct_err("job %s: out of memory for its counters", j->name);
		return;
	}
	sample_read(w, j, true);
}

static void unslotted_read(struct ct_unslotted *u)
{
	uint64_t ns;

	if (u->usage_ok && !cgroup__cpu_usage_ns(u->path, &ns))
		u->cur_ns = ns;
}

/*
 * An unslotted child's CPU count: one made while recording (@fresh) has used no CPU before it
 * appeared, so all of its usage is counted; one there at start is counted from now.
 */
static void on_unslotted(void *arg, struct ct_unslotted *u, bool added, bool fresh)
{
	uint64_t ns = 0;

	(void)arg;
	if (!added) {
		unslotted_read(u);
		return;
	}
	u->usage_ok = !cgroup__cpu_usage_ns(u->path, &ns);
	u->base_ns = fresh ? 0 : ns;
	u->cur_ns = ns;
}

int window__init(struct window *w, struct jobs *js, struct tracer *tr)
{
	struct rlimit nofile;
	memset(w, 0, sizeof(*w));
	w->tr = tr;
	w->max_jobs = js->max_jobs;
	w->samples = calloc(js->max_jobs, sizeof(*w->samples));
	/* cgroup files kept open: half of what this process may open, the rest for all else */
	w->kfd_budget = getrlimit(RLIMIT_NOFILE, &nofile) || nofile.rlim_cur == RLIM_INFINITY ?
				1024 : (int)(nofile.rlim_cur / 2);
	if (!w->samples)
		return -ENOMEM;
	names__set_unix_lookup(tracer__unix_name, tr);
	js->on_register = on_register;
	js->on_unslotted = on_unslotted;
	js->hooks_arg = w;
	return 0;
}

const char *const ct_disk_op_names[CT_DISK_NR] = {
	[CT_DISK_READ] = "read", [CT_DISK_WRITE] = "write", [CT_DISK_FLUSH] = "flush",
	[CT_DISK_DISCARD] = "discard", [CT_DISK_OTHER] = "other",
};

/* {"key": delta, ...} for keys present in both reads; NULL when either read failed. */
/* Member @key: the counters of @cur that @base has too, as deltas; nothing unless both read. */
static void kv_delta_write(struct jw *o, const char *key, const struct ct_kv *cur, bool cur_ok,
			   const struct ct_kv *base, bool base_ok)
{
	if (!cur_ok || !base_ok)
		return;
	jw_obj(o, key);
	for (int i = 0; i < cur->n; i++) {
		uint64_t b, d;

		if (!kv__get(base, cur->key[i], &b))
			continue;
		ct_delta(&d, &cur->val[i], &b, 1);
		jw_int(o, cur->key[i], (int64_t)d);
	}
	jw_end_obj(o);
}

void window__session_write(struct ct_buf *b, const char *session, const struct jobs *js,
			   double interval_s, uint64_t start_real)
{
	const char *missing = js->tr ? tracer__missing(js->tr) : "";
	char host[256] = "", start[40], buf[256], *save = NULL, *tok;
	struct utsname u;
	struct jw o;

	gethostname(host, sizeof(host) - 1);
	uname(&u);
	ct_fmt_utc(start_real, start, sizeof(start));
	jw_init(&o, b);
	jw_obj(&o, NULL);
	jw_str(&o, "type", "session");
	jw_int(&o, "v", CT_SCHEMA_VERSION);
	jw_str(&o, "session", session);
	jw_str(&o, "host", host);
	jw_str(&o, "kernel", u.release);
	jw_str(&o, "start", start);
	jw_int(&o, "ncpu", sysconf(_SC_NPROCESSORS_ONLN));
	jw_real(&o, "interval_s", interval_s);
	jw_obj(&o, "hist");
	jw_str(&o, "scheme", "log-linear");
	jw_int(&o, "sub_bucket_bits", CT_HIST_SUB_BITS);
	jw_int(&o, "max_log2", CT_HIST_MAX_LOG);
	jw_str(&o, "unit", "ns");
	jw_end_obj(&o);
	jw_arr(&o, "offcpu_reasons");
	for (int i = 0; i < CT_OFF_NR; i++)
		jw_str(&o, NULL, ct_off_names[i]);
	jw_end_arr(&o);
	jw_arr(&o, "jobs");
	for (int i = 0; i < js->n; i++) {
		jw_obj(&o, NULL);
		job_identity(&o, js->v[i]);
		jw_end_obj(&o);
	}
	jw_end_arr(&o);
	jw_arr(&o, "unavailable_tracepoints");
	snprintf(buf, sizeof(buf), "%s", missing);
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		jw_str(&o, NULL, tok);
	jw_end_arr(&o);
	jw_int(&o, "top_endpoints", CT_TOP_ENDPOINTS);
	jw_bool(&o, "socket_bytes", js->tr && tracer__socket_bytes(js->tr));
	jw_end_obj(&o);
}

static void read_system(struct ct_kv *kv, bool *ok)
{
	for (int k = 0; k < CT_SYS_NR; k++)
		ok[k] = read_kv(sys_files[k], k <= CT_SYS_LAST_PSI, k == CT_SYS_VMSTAT ? vmstat_keys : NULL,
				&kv[k]);
}

/*
 * Snapshot the keyed maps, and how many entries each has ever had (@created). Entries dropped
 * are "made minus still there", so both must be of one moment: an entry made while the map is
 * being read would count as dropped, or as a drop too few. The snapshot is taken again when the
 * made counts moved during it (a few times at most). Failing that, @created is the count from
 * before the read when @before (a first baseline) and from after it otherwise: both err
 * towards more entries dropped over a whole session, never fewer.
 * A failed read leaves an empty snapshot: its entries' next deltas are whole, not lost.
 */
static void read_keyed(struct tracer *tr, struct keyed *eps, struct keyed *disk,
		       uint64_t created[2], bool before)
{
	uint64_t then[2];

	for (int tries = 0; tries < 4; tries++) {
		tracer__created(tr, then);
		if (tracer__read_endpoints(tr, eps))
			keyed__clear(eps);
		if (tracer__read_disk(tr, disk))
			keyed__clear(disk);
		tracer__created(tr, created);
		if (then[0] == created[0] && then[1] == created[1])
			return;
	}
	if (before)
		memcpy(created, then, sizeof(then));
}

void window__start(struct window *w)
{
	struct tracer *tr = w->tr;

	keyed__init(&w->eps_base, sizeof(struct ct_ep_key), sizeof(struct ct_ep_stats));
	keyed__init(&w->eps_cur, sizeof(struct ct_ep_key), sizeof(struct ct_ep_stats));
	keyed__init(&w->disk_base, sizeof(struct ct_disk_key), sizeof(struct ct_disk_stats));
	keyed__init(&w->disk_cur, sizeof(struct ct_disk_key), sizeof(struct ct_disk_stats));
	w->start_real = ct_real_ns();
	w->start_mono = ct_mono_ns();
	read_system(w->sys_base, w->sys_base_ok);
	tracer__lost(tr, w->lost_base);
	read_keyed(tr, &w->eps_base, &w->disk_base, w->created_base, true);
}

void window__free(struct window *w)
{
	for (uint32_t s = 0; w->samples && s < w->max_jobs; s++) {
		kfiles_close(w, &w->samples[s]);
		totals__free(&w->samples[s].base);
		totals__free(&w->samples[s].cur);
	}
	free(w->samples);
	w->samples = NULL;
	keyed__free(&w->eps_base);
	keyed__free(&w->eps_cur);
	keyed__free(&w->disk_base);
	keyed__free(&w->disk_cur);
}

void window__read(struct window *w, struct jobs *js)
{
	w->end_real = ct_real_ns();
	w->end_mono = ct_mono_ns();
	for (int i = 0; i < js->n; i++)
		if (w->samples[js->v[i]->slot].base.row)
			sample_read(w, js->v[i], false);
	read_system(w->sys_cur, w->sys_cur_ok);
	tracer__lost(js->tr, w->lost_cur);
	read_keyed(js->tr, &w->eps_cur, &w->disk_cur, w->created_cur, false);
	for (int i = 0; i < js->nunslotted; i++)
		if (!js->unslotted[i].done)
			unslotted_read(&js->unslotted[i]);
}

static void pct_write(struct jw *o, const char *key, const uint64_t *h, uint64_t max, double p)
{
	if (histo__count(h))
		jw_int(o, key, (int64_t)histo__percentile(h, p, max));
	else
		jw_null(o, key);
}

static void hist_summary(struct jw *o, const uint64_t *h, uint64_t max)
{
	pct_write(o, "p50_ns", h, max, 50);
	pct_write(o, "p90_ns", h, max, 90);
	pct_write(o, "p99_ns", h, max, 99);
	histo__write(o, "hist", h);
}

/* Culprits of @victim's run-queue delay, largest first, non-zero cells only. */
static void culprits_write(struct jw *o, const struct jobs *js, const struct ct_pair_stats *row)
{
	bool done[CT_MAX_JOBS_LIMIT] = { false };

	jw_arr(o, "culprits");
	for (;;) {
		uint32_t best = 0;
		bool found = false;

		for (uint32_t c = 0; c < js->max_jobs && c < CT_MAX_JOBS_LIMIT; c++) {
			if (done[c] || (!row[c].delay_ns && !row[c].preempts))
				continue;
			if (!found || row[c].delay_ns > row[best].delay_ns)
				best = c;
			found = true;
		}
		if (!found)
			break;
		done[best] = true;
		jw_obj(o, NULL);
		jw_str(o, "job", jobs__slot_name(js, best));
		jw_int(o, "runq_ns", (int64_t)row[best].delay_ns);
		jw_int(o, "count", (int64_t)row[best].delay_cnt);
		jw_int(o, "preempts", (int64_t)row[best].preempts);
		jw_end_obj(o);
	}
	jw_end_arr(o);
}

/* The BPF structs' __u64 arrays as the uint64_t the histogram code takes. */
#define H(a) ((const uint64_t *)(a))

/*
 * Into the open object: a histogram of @count values totalling @ns, as ns, count, max,
 * percentiles and the buckets.
 */
static void latency_write(struct jw *o, uint64_t ns, uint64_t count, const uint64_t *h)
{
	jw_int(o, "ns", (int64_t)ns);
	jw_int(o, "count", (int64_t)count);
	pct_write(o, "max_ns", h, 0, 100);
	hist_summary(o, h, 0);
}

/* This window's disk lines of @slot: one per device and operation that saw a request. */
static void disk_write(struct jw *o, const struct window *w, uint32_t slot)
{
	struct ct_disk_stats d;
	char num[24];

	jw_arr(o, "disk");
	for (size_t i = 0; i < w->disk_cur.n; i++) {
		const struct ct_disk_key *k = keyed__key(&w->disk_cur, i);

		if (k->slot != slot)
			continue;
		keyed__delta(&w->disk_cur, i, &w->disk_base, &d);
		if (!d.count && !d.merged)
			continue;
		names__devnum(k->dev, num, sizeof(num));
		jw_obj(o, NULL);
		jw_str(o, "device", names__dev(k->dev));
		jw_str(o, "dev", num);
		jw_str(o, "op", ct_disk_op_names[k->op < CT_DISK_NR ? k->op : CT_DISK_OTHER]);
		jw_int(o, "count", (int64_t)d.count);
		jw_int(o, "bytes", (int64_t)d.bytes);
		jw_int(o, "merged", (int64_t)d.merged);
		jw_int(o, "no_start", (int64_t)d.no_start);
		jw_obj(o, "queue");
		latency_write(o, d.queue_ns, histo__count(H(d.qhist)), H(d.qhist));
		jw_end_obj(o);
		jw_obj(o, "device_time");
		latency_write(o, d.dev_ns, histo__count(H(d.dhist)), H(d.dhist));
		jw_end_obj(o);
		jw_end_obj(o);
	}
	jw_end_arr(o);
}

static void ep_add(struct ct_ep_stats *sum, const struct ct_ep_stats *e)
{
	uint64_t *d = (uint64_t *)sum;
	const uint64_t *s = (const uint64_t *)e;

	for (size_t i = 0; i < sizeof(*e) / sizeof(uint64_t); i++)
		d[i] += s[i];
}

/* Into the open object: one endpoint's (or the rest's) socket wait, connects and traffic. */
static void ep_write(struct jw *o, const struct ct_ep_stats *e)
{
	latency_write(o, e->wait_ns, e->wait_cnt, H(e->hist));
	/* a read between a wait's two adds sees it as a request; its continuation comes next */
	jw_int(o, "requests",
	       (int64_t)(e->wait_cnt > e->cont_cnt ? e->wait_cnt - e->cont_cnt : 0));
	jw_int(o, "connects", (int64_t)e->conn_cnt);
	jw_int(o, "connect_ns", (int64_t)e->conn_ns);
	jw_int(o, "connect_fail", (int64_t)e->conn_fail);
	jw_int(o, "retrans", (int64_t)e->retrans);
	if (e->srtt_cnt)
		jw_int(o, "srtt_us", (int64_t)(e->srtt_us / e->srtt_cnt));
	else
		jw_null(o, "srtt_us");
	jw_int(o, "tx_bytes", (int64_t)e->tx_bytes);
	jw_int(o, "rx_bytes", (int64_t)e->rx_bytes);
}

/* Is @a busier than @b: more socket wait, then more traffic, then more retransmits? */
static bool ep_before(const struct ct_ep_stats *a, const struct ct_ep_stats *b)
{
	if (a->wait_ns != b->wait_ns)
		return a->wait_ns > b->wait_ns;
	if (a->tx_bytes + a->rx_bytes != b->tx_bytes + b->rx_bytes)
		return a->tx_bytes + a->rx_bytes > b->tx_bytes + b->rx_bytes;
	return a->retrans > b->retrans;
}

static bool ep_active(const struct ct_ep_stats *e)
{
	return e->wait_cnt || e->conn_cnt || e->conn_fail || e->retrans || e->tx_bytes ||
	       e->rx_bytes;
}

/*
 * This window's endpoints of @slot: the CT_TOP_ENDPOINTS busiest one by one, the others
 * summed into "rest" (with how many there were), so totals over endpoints stay whole.
 */
static void net_write(struct jw *o, const struct window *w, uint32_t slot)
{
	struct ct_ep_stats top[CT_TOP_ENDPOINTS], rest = { 0 }, d;
	const struct ct_ep *top_ep[CT_TOP_ENDPOINTS];
	size_t ntop = 0, nrest = 0;

	for (size_t i = 0; i < w->eps_cur.n; i++) {
		const struct ct_ep_key *k = keyed__key(&w->eps_cur, i);
		size_t at;

		if (k->slot != slot)
			continue;
		keyed__delta(&w->eps_cur, i, &w->eps_base, &d);
		if (!ep_active(&d))
			continue;
		for (at = ntop; at > 0 && ep_before(&d, &top[at - 1]); at--)
			;
		if (at == CT_TOP_ENDPOINTS) {
			ep_add(&rest, &d);
			nrest++;
			continue;
		}
		if (ntop == CT_TOP_ENDPOINTS) {
			/* The last of the top is pushed out into the rest. */
			ep_add(&rest, &top[ntop - 1]);
			nrest++;
			ntop--;
		}
		memmove(&top[at + 1], &top[at], (ntop - at) * sizeof(top[0]));
		memmove(&top_ep[at + 1], &top_ep[at], (ntop - at) * sizeof(top_ep[0]));
		top[at] = d;
		top_ep[at] = &k->ep;
		ntop++;
	}
	jw_obj(o, "net");
	jw_arr(o, "endpoints");
	for (size_t i = 0; i < ntop; i++) {
		char name[CT_EP_NAME_LEN];
		bool local;

		names__endpoint(top_ep[i], name, sizeof(name), &local);
		jw_obj(o, NULL);
		ep_write(o, &top[i]);
		jw_str(o, "endpoint", name);
		jw_str(o, "side", local ? "local" : "remote");
		jw_end_obj(o);
	}
	jw_end_arr(o);
	if (nrest) {
		jw_obj(o, "rest");
		ep_write(o, &rest);
		jw_int(o, "endpoints", (int64_t)nrest);
		jw_end_obj(o);
	}
	jw_end_obj(o);
}

/*
 * The children of parent @pi that had no job slot in this window: how many, their CPU time by
 * the kernel's count (all of it charged to the parent's job), and the first names.
 */
static void unslotted_write(struct jw *o, const struct jobs *js, int pi)
{
	uint64_t ns = 0;
	int n = 0, unknown = 0;

	for (int i = 0; i < js->nunslotted; i++) {
		const struct ct_unslotted *u = &js->unslotted[i];

		if (u->parent != pi)
			continue;
		n++;
		if (u->usage_ok)
			ns += u->cur_ns > u->base_ns ? u->cur_ns - u->base_ns : 0;
		else
			unknown++;
	}
	if (!n)
		return;
	jw_obj(o, "unslotted");
	jw_int(o, "jobs", n);
	jw_int(o, "cpu_ns", (int64_t)ns);
	jw_arr(o, "names");
	for (int i = 0, k = 0; i < js->nunslotted && k < 16; i++)
		if (js->unslotted[i].parent == pi) {
			jw_str(o, NULL, js->unslotted[i].name);
			k++;
		}
	jw_end_arr(o);
	if (unknown)
		jw_int(o, "no_cpu_count", unknown);
	jw_end_obj(o);
}

static void job_write(struct jw *o, const struct window *w, const struct jobs *js,
		      const struct ct_job *j, const json_t *progress)
{
	struct ct_totals d = { .row = NULL };
	struct ct_pair_stats row[js->max_jobs];
	const struct ct_job_stats *s = &d.s;
	const struct job_sample *c = &w->samples[j->slot];
	int pi;

	d.row = row;
	ct_delta((uint64_t *)&d.s, (const uint64_t *)&c->cur.s, (const uint64_t *)&c->base.s,
		 sizeof(d.s) / 8);
	ct_delta(&d.hist[0][0], &c->cur.hist[0][0], &c->base.hist[0][0],
		 CT_HIST_NR * CT_HIST_NBUCKETS);
	ct_delta((uint64_t *)row, (const uint64_t *)c->cur.row, (const uint64_t *)c->base.row,
		 js->max_jobs * sizeof(*row) / 8);
	d.s.runq_max_ns = c->cur.s.runq_max_ns;

	jw_obj(o, NULL);
	job_identity(o, j);
	if (j->gone)
		jw_bool(o, "ended", true);
	/* in a session's first window: what the job had done before is in its progress count */
	if (j->ran_before && w->seq == 0)
		jw_bool(o, "ran_before_recording", true);
	jw_obj(o, "cpu");
	jw_int(o, "oncpu_ns", (int64_t)s->oncpu_ns);
	jw_int(o, "stolen_ns", (int64_t)s->stolen_ns);
	jw_int(o, "nvcsw", (int64_t)s->nvcsw);
	jw_int(o, "nivcsw", (int64_t)s->nivcsw);
	jw_end_obj(o);
	jw_obj(o, "runq");
	jw_int(o, "ns", (int64_t)s->runq_ns);
	jw_int(o, "count", (int64_t)s->runq_cnt);
	jw_int(o, "max_ns", (int64_t)s->runq_max_ns);
	hist_summary(o, d.hist[CT_HIST_RUNQ], s->runq_max_ns);
	jw_end_obj(o);
	jw_obj(o, "offcpu");
	for (int r = 0; r < CT_OFF_NR; r++) {
		jw_obj(o, ct_off_names[r]);
		jw_int(o, "ns", (int64_t)s->off_ns[r]);
		jw_int(o, "count", (int64_t)s->off_cnt[r]);
		jw_end_obj(o);
	}
	jw_end_obj(o);
	jw_obj(o, "socket_wait");
	jw_int(o, "ns", (int64_t)s->off_ns[CT_OFF_SOCKET]);
	jw_int(o, "count", (int64_t)s->off_cnt[CT_OFF_SOCKET]);
	hist_summary(o, d.hist[CT_HIST_SOCKET], 0);
	jw_end_obj(o);
	net_write(o, w, j->slot);
	disk_write(o, w, j->slot);
	jw_obj(o, "memory");
	jw_int(o, "reclaim_ns", (int64_t)s->reclaim_ns);
	jw_int(o, "reclaims", (int64_t)s->reclaim_cnt);
	jw_int(o, "majflt", (int64_t)s->majflt);
	jw_int(o, "swapout", (int64_t)s->swapout);
	jw_end_obj(o);
	culprits_write(o, js, row);
	pi = jobs__parent_of(js, j);
	if (pi >= 0)
		unslotted_write(o, js, pi);
	jw_obj(o, "kernel");
	for (int k = 0; k < CT_KFILES; k++)
		kv_delta_write(o, ct_kfile_names[k], &c->kcur[k], c->kcur_ok[k], &c->kbase[k],
			       c->kbase_ok[k]);
	jw_end_obj(o);
	jw_obj(o, "lost");
	jw_int(o, ct_lost_keys[CT_LK_REPAIRED], (int64_t)s->repaired);
	jw_int(o, ct_lost_keys[CT_LK_REPAIRED_NS], (int64_t)s->repaired_ns);
	jw_int(o, ct_lost_keys[CT_LK_UNSPLIT], (int64_t)s->unsplit);
	jw_int(o, ct_lost_keys[CT_LK_UNSPLIT_NS], (int64_t)s->unsplit_ns);
	jw_end_obj(o);
	if (progress)
		jw_json(o, "progress", progress);
	jw_end_obj(o);
}

/* Entries dropped between two reads: made but no longer there, now less then (0 if a race). */
static int64_t evicted(uint64_t made, size_t n, uint64_t made0, size_t n0)
{
	int64_t now = (int64_t)made - (int64_t)n, then = (int64_t)made0 - (int64_t)n0;

	return now > then ? now - then : 0;
}

void window__write(struct ct_buf *b, const struct window *w, const struct jobs *js,
		   const char *session, window_progress_fn progress, void *arg)
{
	uint64_t d[CT_LOST_NR];
	char start[40], end[40];
	struct jw o;

	ct_fmt_utc(w->start_real, start, sizeof(start));
	ct_fmt_utc(w->end_real, end, sizeof(end));
	jw_init(&o, b);
	jw_obj(&o, NULL);
	jw_str(&o, "type", "window");
	jw_int(&o, "v", CT_SCHEMA_VERSION);
	jw_str(&o, "session", session);
	jw_int(&o, "seq", (int64_t)w->seq);
	jw_str(&o, "start", start);
	jw_str(&o, "end", end);
	jw_int(&o, "start_ns", (int64_t)w->start_real);
	jw_int(&o, "end_ns", (int64_t)w->end_real);
	jw_real(&o, "dur_s", (double)(w->end_mono - w->start_mono) / 1e9);
	jw_bool(&o, "final", w->final);
	jw_obj(&o, "lost");
	ct_delta(d, w->lost_cur, w->lost_base, CT_LOST_NR);
	for (int k = 0; k < CT_LOST_NR; k++)
		jw_int(&o, ct_lost_keys[ct_lost_key_of[k]], (int64_t)d[k]);
	/* Dropped to make room, least recently used: every entry made and no longer there. */
	jw_int(&o, ct_lost_keys[CT_LK_ENDPOINTS_EVICTED],
	       evicted(w->created_cur[0], w->eps_cur.n, w->created_base[0], w->eps_base.n));
	jw_int(&o, ct_lost_keys[CT_LK_DISK_EVICTED],
	       evicted(w->created_cur[1], w->disk_cur.n, w->created_base[1], w->disk_base.n));
	jw_end_obj(&o);
	jw_obj(&o, "system");
	for (int k = 0; k < CT_SYS_NR; k++)
		kv_delta_write(&o, sys_names[k], &w->sys_cur[k], w->sys_cur_ok[k], &w->sys_base[k],
			       w->sys_base_ok[k]);
	jw_end_obj(&o);
	jw_arr(&o, "jobs");
	for (int i = 0; i < js->n; i++) {
		const struct ct_job *j = js->v[i];
		json_t *p;

		if (!w->samples[j->slot].base.row) /* no memory for its counters */
			continue;
		p = progress ? progress(arg, j) : NULL;
		job_write(&o, w, js, j, p);
		json_decref(p);
	}
	jw_end_arr(&o);
	jw_end_obj(&o);
}

void window__commit(struct window *w, struct jobs *js)
{
	for (int i = 0; i < js->n; i++) {
		struct job_sample *c = &w->samples[js->v[i]->slot];
		struct ct_totals t = c->base;

		c->base = c->cur;
		c->cur = t;
		memcpy(c->kbase, c->kcur, sizeof(c->kbase));
		memcpy(c->kbase_ok, c->kcur_ok, sizeof(c->kbase_ok));
	}
	memcpy(w->sys_base, w->sys_cur, sizeof(w->sys_base));
	memcpy(w->sys_base_ok, w->sys_cur_ok, sizeof(w->sys_base_ok));
	memcpy(w->lost_base, w->lost_cur, sizeof(w->lost_base));
	memcpy(w->created_base, w->created_cur, sizeof(w->created_base));
	keyed__swap(&w->eps_base, &w->eps_cur);
	keyed__swap(&w->disk_base, &w->disk_cur);
	jobs__drop_done_unslotted(js);
	for (int i = 0; i < js->nunslotted; i++)
		js->unslotted[i].base_ns = js->unslotted[i].cur_ns;
	w->seq++;
	w->start_real = w->end_real;
	w->start_mono = w->end_mono;
}
