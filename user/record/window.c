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
static json_t *job_identity(const struct ct_job *j)
{
	json_t *o = json_pack("{ss ss}", "name", j->name, "kind", job_kinds[j->kind]);

	if (ct_job_has_cgroup(j))
		json_object_set_new(o, "cgroup", json_string(j->cg.path));
	else if (j->kind == CT_JOB_PROCS)
		json_object_set_new(o, "pid", json_integer(j->pid));
	else if (j->kind == CT_JOB_ENV)
		json_object_set_new(o, "env", json_string(j->env_value));
	return o;
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
static json_t *kv_delta_json(const struct ct_kv *cur, bool cur_ok, const struct ct_kv *base,
			     bool base_ok)
{
	json_t *o;

	if (!cur_ok || !base_ok)
		return NULL;
	o = json_object();
	for (int i = 0; i < cur->n; i++) {
		uint64_t b, d;

		if (!kv__get(base, cur->key[i], &b))
			continue;
		ct_delta(&d, &cur->val[i], &b, 1);
		json_object_set_new(o, cur->key[i], json_integer((json_int_t)d));
	}
	return o;
}

json_t *window__session_json(const char *session, const struct jobs *js, double interval_s,
			     uint64_t start_real)
{
	json_t *jobs = json_array(), *reasons = json_array();
	char host[256] = "", start[40];
	struct utsname u;

	gethostname(host, sizeof(host) - 1);
	uname(&u);
	ct_fmt_utc(start_real, start, sizeof(start));
	for (int i = 0; i < CT_OFF_NR; i++)
		json_array_append_new(reasons, json_string(ct_off_names[i]));
	for (int i = 0; i < js->n; i++) {
		const struct ct_job *j = js->v[i];
		json_array_append_new(jobs, job_identity(j));
	}
	const char *missing = js->tr ? tracer__missing(js->tr) : "";
	json_t *unavail = json_array();
	char buf[256], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", missing);
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		json_array_append_new(unavail, json_string(tok));
	json_t *sess = json_pack("{ss si ss ss ss ss si sf s{ss si si ss} so so so si}", "type",
			 "session", "v", CT_SCHEMA_VERSION, "session", session, "host", host,
			 "kernel", u.release, "start", start, "ncpu",
			 (int)sysconf(_SC_NPROCESSORS_ONLN), "interval_s", interval_s, "hist",
			 "scheme", "log-linear", "sub_bucket_bits", CT_HIST_SUB_BITS, "max_log2",
			 CT_HIST_MAX_LOG, "unit", "ns", "offcpu_reasons", reasons, "jobs", jobs,
			 "unavailable_tracepoints", unavail, "top_endpoints", CT_TOP_ENDPOINTS);
	json_object_set_new(sess, "socket_bytes",
			    json_boolean(js->tr && tracer__socket_bytes(js->tr)));
	return sess;
}

static void read_system(struct ct_kv *kv, bool *ok)
{
	for (int k = 0; k < CT_SYS_NR; k++)
		ok[k] = read_kv(sys_files[k], k <= CT_SYS_LAST_PSI, k == CT_SYS_VMSTAT ? vmstat_keys : NULL,
				&kv[k]);
}

/* A failed read leaves an empty snapshot: its entries' next deltas are whole, not lost. */
static void read_keyed(struct tracer *tr, struct keyed *eps, struct keyed *disk)
{
	if (tracer__read_endpoints(tr, eps))
		keyed__clear(eps);
	if (tracer__read_disk(tr, disk))
		keyed__clear(disk);
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
	tracer__created(tr, w->created_base);
	read_keyed(tr, &w->eps_base, &w->disk_base);
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
	tracer__created(js->tr, w->created_cur);
	read_keyed(js->tr, &w->eps_cur, &w->disk_cur);
	for (int i = 0; i < js->nunslotted; i++)
		if (!js->unslotted[i].done)
			unslotted_read(&js->unslotted[i]);
}

static json_t *pct_json(const uint64_t *h, uint64_t max, double p)
{
	return histo__count(h) ? json_integer((json_int_t)histo__percentile(h, p, max)) :
				 json_null();
}

static json_t *hist_summary(json_t *o, const uint64_t *h, uint64_t max)
{
	json_object_set_new(o, "p50_ns", pct_json(h, max, 50));
	json_object_set_new(o, "p90_ns", pct_json(h, max, 90));
	json_object_set_new(o, "p99_ns", pct_json(h, max, 99));
	json_object_set_new(o, "hist", histo__to_json(h));
	return o;
}

/* Culprits of @victim's run-queue delay, largest first, non-zero cells only. */
static json_t *culprits_json(const struct jobs *js, const struct ct_pair_stats *row)
{
	json_t *a = json_array();
	bool done[CT_MAX_JOBS_LIMIT] = { false };

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
			return a;
		done[best] = true;
		json_array_append_new(a, json_pack("{ss sI sI sI}", "job",
						   jobs__slot_name(js, best), "runq_ns",
						   (json_int_t)row[best].delay_ns, "count",
						   (json_int_t)row[best].delay_cnt, "preempts",
						   (json_int_t)row[best].preempts));
	}
}

/* The BPF structs' __u64 arrays as the uint64_t the histogram code takes. */
#define H(a) ((const uint64_t *)(a))

/* Summary of a histogram of @count values totalling @ns: ns, count, mean, percentiles. */
static json_t *latency_json(uint64_t ns, uint64_t count, const uint64_t *h)
{
	json_t *o = json_pack("{sI sI}", "ns", (json_int_t)ns, "count", (json_int_t)count);

	json_object_set_new(o, "max_ns", pct_json(h, 0, 100));
	return hist_summary(o, h, 0);
}

/* This window's disk lines of @slot: one per device and operation that saw a request. */
static json_t *disk_json(const struct window *w, uint32_t slot)
{
	json_t *a = json_array();
	struct ct_disk_stats d;
	char num[24];

	for (size_t i = 0; i < w->disk_cur.n; i++) {
		const struct ct_disk_key *k = keyed__key(&w->disk_cur, i);
		json_t *o;

		if (k->slot != slot)
			continue;
		keyed__delta(&w->disk_cur, i, &w->disk_base, &d);
		if (!d.count && !d.merged)
			continue;
		names__devnum(k->dev, num, sizeof(num));
		o = json_pack("{ss ss ss sI sI sI sI}", "device", names__dev(k->dev), "dev", num,
			      "op", ct_disk_op_names[k->op < CT_DISK_NR ? k->op : CT_DISK_OTHER],
			      "count", (json_int_t)d.count, "bytes", (json_int_t)d.bytes, "merged",
			      (json_int_t)d.merged, "no_start", (json_int_t)d.no_start);
		json_object_set_new(o, "queue",
				    latency_json(d.queue_ns, histo__count(H(d.qhist)), H(d.qhist)));
		json_object_set_new(o, "device_time",
				    latency_json(d.dev_ns, histo__count(H(d.dhist)), H(d.dhist)));
		json_array_append_new(a, o);
	}
	return a;
}

static void ep_add(struct ct_ep_stats *sum, const struct ct_ep_stats *e)
{
	uint64_t *d = (uint64_t *)sum;
	const uint64_t *s = (const uint64_t *)e;

	for (size_t i = 0; i < sizeof(*e) / sizeof(uint64_t); i++)
		d[i] += s[i];
}

static json_t *ep_json(const struct ct_ep_stats *e)
{
	json_t *o = latency_json(e->wait_ns, e->wait_cnt, H(e->hist));

	json_object_set_new(o, "connects", json_integer((json_int_t)e->conn_cnt));
	json_object_set_new(o, "connect_ns", json_integer((json_int_t)e->conn_ns));
	json_object_set_new(o, "connect_fail", json_integer((json_int_t)e->conn_fail));
	json_object_set_new(o, "retrans", json_integer((json_int_t)e->retrans));
	json_object_set_new(o, "srtt_us", e->srtt_cnt ? json_integer((json_int_t)(e->srtt_us /
										   e->srtt_cnt)) :
							json_null());
	json_object_set_new(o, "tx_bytes", json_integer((json_int_t)e->tx_bytes));
	json_object_set_new(o, "rx_bytes", json_integer((json_int_t)e->rx_bytes));
	return o;
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
static json_t *net_json(const struct window *w, uint32_t slot)
{
	struct ct_ep_stats top[CT_TOP_ENDPOINTS], *rest = NULL, d;
	const struct ct_ep *top_ep[CT_TOP_ENDPOINTS];
	json_t *o = json_object(), *a = json_array();
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
			if (!rest && !(rest = calloc(1, sizeof(*rest))))
				continue;
			ep_add(rest, &d);
			nrest++;
			continue;
		}
		if (ntop == CT_TOP_ENDPOINTS) {
			/* The last of the top is pushed out into the rest. */
			if (!rest && !(rest = calloc(1, sizeof(*rest))))
				continue;
			ep_add(rest, &top[ntop - 1]);
			nrest++;
			ntop--;
		}
		memmove(&top[at + 1], &top[at], (ntop - at) * sizeof(top[0]));
		memmove(&top_ep[at + 1], &top_ep[at], (ntop - at) * sizeof(top_ep[0]));
		top[at] = d;
		top_ep[at] = &k->ep;
		ntop++;
	}
	for (size_t i = 0; i < ntop; i++) {
		json_t *e = ep_json(&top[i]);
		char name[CT_EP_NAME_LEN];
		bool local;

		names__endpoint(top_ep[i], name, sizeof(name), &local);
		json_object_set_new(e, "endpoint", json_string(name));
		json_object_set_new(e, "side", json_string(local ? "local" : "remote"));
		json_array_append_new(a, e);
	}
	json_object_set_new(o, "endpoints", a);
	if (rest) {
		json_t *e = ep_json(rest);

		json_object_set_new(e, "endpoints", json_integer((json_int_t)nrest));
		json_object_set_new(o, "rest", e);
		free(rest);
	}
	return o;
}

/*
 * The children of parent @pi that had no job slot in this window: how many, their CPU time by
 * the kernel's count (all of it charged to the parent's job), and the first names.
 */
static json_t *unslotted_json(const struct jobs *js, int pi)
{
	json_t *names = json_array(), *o;
	uint64_t ns = 0;
	int n = 0, unknown = 0;

	for (int i = 0; i < js->nunslotted; i++) {
		const struct ct_unslotted *u = &js->unslotted[i];

		if (u->parent != pi)
			continue;
		if (n++ < 16)
			json_array_append_new(names, json_string(u->name));
		if (u->usage_ok)
			ns += u->cur_ns > u->base_ns ? u->cur_ns - u->base_ns : 0;
		else
			unknown++;
	}
	if (!n) {
		json_decref(names);
		return NULL;
	}
	o = json_pack("{sI sI so}", "jobs", (json_int_t)n, "cpu_ns", (json_int_t)ns, "names", names);
	if (unknown)
		json_object_set_new(o, "no_cpu_count", json_integer(unknown));
	return o;
}

static json_t *job_json(const struct window *w, const struct jobs *js, const struct ct_job *j)
{
	struct ct_totals d = { .row = NULL };
	struct ct_pair_stats row[js->max_jobs];
	json_t *o, *off = json_object(), *kern = json_object(), *runq, *sock, *u;
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

	for (int r = 0; r < CT_OFF_NR; r++)
		json_object_set_new(off, ct_off_names[r],
				    json_pack("{sI sI}", "ns", (json_int_t)s->off_ns[r], "count",
					      (json_int_t)s->off_cnt[r]));
	runq = json_pack("{sI sI sI}", "ns", (json_int_t)s->runq_ns, "count",
			 (json_int_t)s->runq_cnt, "max_ns", (json_int_t)s->runq_max_ns);
	hist_summary(runq, d.hist[CT_HIST_RUNQ], s->runq_max_ns);
	sock = json_pack("{sI sI}", "ns", (json_int_t)s->off_ns[CT_OFF_SOCKET], "count",
			 (json_int_t)s->off_cnt[CT_OFF_SOCKET]);
	hist_summary(sock, d.hist[CT_HIST_SOCKET], 0);
	for (int k = 0; k < CT_KFILES; k++) {
		json_t *kv = kv_delta_json(&c->kcur[k], c->kcur_ok[k], &c->kbase[k],
					   c->kbase_ok[k]);
		if (kv)
			json_object_set_new(kern, ct_kfile_names[k], kv);
	}
	o = job_identity(j);
	if (j->gone)
		json_object_set_new(o, "ended", json_true());
	/* in a session's first window: what the job had done before is in its progress count */
	if (j->ran_before && w->seq == 0)
		json_object_set_new(o, "ran_before_recording", json_true());
	json_object_set_new(o, "cpu", json_pack("{sI sI sI sI}", "oncpu_ns", (json_int_t)s->oncpu_ns,
						"stolen_ns", (json_int_t)s->stolen_ns, "nvcsw",
						(json_int_t)s->nvcsw, "nivcsw", (json_int_t)s->nivcsw));
	json_object_set_new(o, "runq", runq);
	json_object_set_new(o, "offcpu", off);
	json_object_set_new(o, "socket_wait", sock);
	json_object_set_new(o, "net", net_json(w, j->slot));
	json_object_set_new(o, "disk", disk_json(w, j->slot));
	json_object_set_new(o, "memory", json_pack("{sI sI sI sI}", "reclaim_ns",
						   (json_int_t)s->reclaim_ns, "reclaims",
						   (json_int_t)s->reclaim_cnt, "majflt",
						   (json_int_t)s->majflt, "swapout",
						   (json_int_t)s->swapout));
	json_object_set_new(o, "culprits", culprits_json(js, row));
	pi = jobs__parent_of(js, j);
	if (pi >= 0 && (u = unslotted_json(js, pi)))
		json_object_set_new(o, "unslotted", u);
	json_object_set_new(o, "kernel", kern);
	json_object_set_new(o, "lost", json_pack("{sI sI sI sI}", ct_lost_keys[CT_LK_REPAIRED],
						 (json_int_t)s->repaired,
						 ct_lost_keys[CT_LK_REPAIRED_NS],
						 (json_int_t)s->repaired_ns, ct_lost_keys[CT_LK_UNSPLIT],
						 (json_int_t)s->unsplit, ct_lost_keys[CT_LK_UNSPLIT_NS],
						 (json_int_t)s->unsplit_ns));
	return o;
}

/* Entries dropped between two reads: made but no longer there, now less then (0 if a race). */
static json_int_t evicted(uint64_t made, size_t n, uint64_t made0, size_t n0)
{
	int64_t now = (int64_t)made - (int64_t)n, then = (int64_t)made0 - (int64_t)n0;

	return now > then ? (json_int_t)(now - then) : 0;
}

json_t *window__json(const struct window *w, const struct jobs *js, const char *session)
{
	json_t *jobs = json_array(), *sys = json_object(), *lost = json_object();
	uint64_t d[CT_LOST_NR];
	char start[40], end[40];

	ct_fmt_utc(w->start_real, start, sizeof(start));
	ct_fmt_utc(w->end_real, end, sizeof(end));
	for (int k = 0; k < CT_SYS_NR; k++) {
		json_t *kv = kv_delta_json(&w->sys_cur[k], w->sys_cur_ok[k], &w->sys_base[k],
					   w->sys_base_ok[k]);
		if (kv)
			json_object_set_new(sys, sys_names[k], kv);
	}
	for (int i = 0; i < js->n; i++)
		if (w->samples[js->v[i]->slot].base.row) /* else: no memory for its counters */
			json_array_append_new(jobs, job_json(w, js, js->v[i]));
	ct_delta(d, w->lost_cur, w->lost_base, CT_LOST_NR);
	for (int k = 0; k < CT_LOST_NR; k++)
		json_object_set_new(lost, ct_lost_keys[ct_lost_key_of[k]],
				    json_integer((json_int_t)d[k]));
	/* Dropped to make room, least recently used: every entry made and no longer there. */
	json_object_set_new(lost, ct_lost_keys[CT_LK_ENDPOINTS_EVICTED],
			    json_integer(evicted(w->created_cur[0], w->eps_cur.n,
						 w->created_base[0], w->eps_base.n)));
	json_object_set_new(lost, ct_lost_keys[CT_LK_DISK_EVICTED],
			    json_integer(evicted(w->created_cur[1], w->disk_cur.n,
						 w->created_base[1], w->disk_base.n)));
	return json_pack("{ss si ss sI ss ss sI sI sf sb so so so}", "type", "window", "v",
			 CT_SCHEMA_VERSION, "session", session, "seq", (json_int_t)w->seq,
			 "start", start, "end", end, "start_ns", (json_int_t)w->start_real,
			 "end_ns", (json_int_t)w->end_real,
			 "dur_s", (double)(w->end_mono - w->start_mono) / 1e9, "final", w->final,
			 "lost", lost, "system", sys, "jobs", jobs);
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
