// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * contrace snapshot: the standard snapshot files of one job at one moment. Every file is
 * written to a temporary name first and renamed only when all of them are complete, so a
 * failure (a full disk, a bad input) leaves the experiment folder as it was.
 */
#define _GNU_SOURCE
#include <argp.h>
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include "commands.h"
#include "contention.h"
#define REDACT_STATE ".contrace-redact"
#include "logcopy.h"
#include "pstats.h"
#include "safefile.h"
#include "span.h"
#include "sysinfo.h"

struct snap_opts {
	const char *job, *tag, *dir, *log, *profile, *from;
	bool no_redact, since_start, force, no_sys;
	uint64_t at_ns;
	long max_log, gzip_above;
};

static const char doc[] =
	"Write the snapshot files of one job at one moment into DIR/snapshots/ and append its\n"
	"metadata to DIR/notes.md.\n"
	"\n"
	"USAGE: contrace snapshot --dir DIR --job NAME --tag TAG [--log FILE] [--profile FILE]\n"
	"                         [--from OUT]\n"
	"\n"
	"Files: NAME_TAG_log.txt (redacted; trimmed when large, keeping the header, every [PERF]\n"
	"line and every traceback), NAME_TAG_perf_lines.txt, NAME_TAG_profile.stats (.gz when\n"
	"large), NAME_TAG_sys.txt (top, vmstat, free, df, iostat, uptime) and NAME_TAG_contention\n"
	".txt/.json: the job's contention from the recorder's windows.jsonl since its previous\n"
	"snapshot (or since it started). The recorder keeps running; nothing needs to stop.\n"
	"\n"
	"EXAMPLES:\n"
	"  sudo contrace snapshot --dir exp --job jobA --tag t0 --from exp/recording \\\n"
	"       --log /var/lib/jenkins/jobs/A/log --profile /tmp/jobA.stats\n"
	"  contrace snapshot --dir exp --job jobB --tag t1 --log jobB.log --no-redact\n"
	"\n"
	"OPTIONS:";

enum { OPT_NO_REDACT = 1000, OPT_SINCE_START, OPT_FORCE, OPT_MAX_LOG, OPT_GZIP, OPT_NO_SYS,
       OPT_AT };

static const struct argp_option options[] = {
	{ "dir", 'd', "DIR", 0, "The experiment folder (made by contrace init)" },
	{ "job", 'j', "NAME", 0, "The job, as named in the recording" },
	{ "tag", 't', "TAG", 0, "The moment: t0, t1, ..." },
	{ "log", 'l', "FILE", 0, "The job's log" },
	{ "profile", 'p', "FILE", 0, "The job's cProfile output (noted, not fatal, if absent yet)" },
	{ "from", 'f', "OUT", 0, "The recorder's output directory or windows.jsonl (default: "
	  "DIR/recording when it exists)" },
	{ "since-start", OPT_SINCE_START, NULL, 0, "Contention since the job started, even when "
	  "an earlier snapshot of it exists" },
	{ "no-redact", OPT_NO_REDACT, NULL, 0, "Copy the log as it is" },
	{ "max-log", OPT_MAX_LOG, "BYTES", 0, "Trim logs larger than this (default 2000000)" },
	{ "gzip-above", OPT_GZIP, "BYTES", 0, "Gzip profiles larger than this (default 1000000)" },
	{ "no-sys", OPT_NO_SYS, NULL, 0, "Skip NAME_TAG_sys.txt (it takes 5 s)" },
	{ "at", OPT_AT, "TIME", 0, "Take the contention up to TIME (UTC, 2026-11-24T10:00:00Z, or "
	  "seconds since the epoch) instead of now, after the fact; sys.txt is then skipped" },
	{ "force", OPT_FORCE, NULL, 0, "Replace this job's files of this tag" },
	{},
};

/* "2026-11-24T10:00:00Z" (fraction allowed) or "1795527461.5". */
static int parse_time(const char *s, uint64_t *ns)
{
	struct tm tm = { 0 };
	double frac = 0;
	char *end;

	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end) {
		if (*end == '.') {
			frac = strtod(end, &end);
		}
		if (strcmp(end, "Z"))
			return -EINVAL;
		*ns = (uint64_t)timegm(&tm) * 1000000000ULL + (uint64_t)(frac * 1e9);
		return 0;
	}
	frac = strtod(s, &end);
	if (end == s || *end || !(frac > 0) || frac > 1e11)
		return -EINVAL;
	*ns = (uint64_t)(frac * 1e9);
	return 0;
}

static error_t parse_opt(int key, char *arg, struct argp_state *st)
{
	struct snap_opts *o = st->input;

	switch (key) {
	case 'd': o->dir = arg; break;
	case 'j':
	case 't':
		if (!ct_name_valid(arg))
			argp_error(st, "--%s '%s': may only hold letters, digits and _ . @ + -",
				   key == 'j' ? "job" : "tag", arg);
		*(key == 'j' ? &o->job : &o->tag) = arg;
		break;
	case 'l': o->log = arg; break;
	case 'p': o->profile = arg; break;
	case 'f': o->from = arg; break;
	case OPT_SINCE_START: o->since_start = true; break;
	case OPT_NO_REDACT: o->no_redact = true; break;
	case OPT_FORCE: o->force = true; break;
	case OPT_NO_SYS: o->no_sys = true; break;
	case OPT_MAX_LOG:
		if (ct_parse_long("--max-log", arg, 0, LONG_MAX, &o->max_log))
			exit(2);
		break;
	case OPT_GZIP:
		if (ct_parse_long("--gzip-above", arg, 0, LONG_MAX, &o->gzip_above))
			exit(2);
		break;
	case OPT_AT:
		if (parse_time(arg, &o->at_ns))
			argp_error(st, "--at '%s': expected 2026-11-24T10:00:00Z or seconds since the "
				   "epoch", arg);
		o->no_sys = true;
		break;
	case ARGP_KEY_ARG:
		argp_error(st, "unexpected argument '%s'", arg);
		break;
	case ARGP_KEY_END:
		if (!o->dir || !o->job || !o->tag)
			argp_error(st, "--dir, --job and --tag are required");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

struct snap {
	struct snap_opts o;
	char snapdir[2048], windows[PATH_MAX];
	struct safedir dir, snaps;	/* DIR and DIR/snapshots: every file is reached from these */
	struct safefile log, perf, profile, sys, cjson, ctxt;
	struct redactor *red;
	struct logcopy_stats ls;
	bool have_log;
	uint64_t now_ns;
	char now[40], host[256];
	json_t *meta;		/* what notes.md and the contention file say about this snapshot */
	struct ct_buf notes_files;
	struct ct_buf notes;	/* notes.md: as read before the snapshot, then with its block */
	struct ct_buf private;	/* copies kept root's: their source was not the owner's to read */
};

/*
 * Open the temporary file of this snapshot's @suffix. A copy of @src (NULL: not a copy) is
 * never more readable than it; one DIR's owner could not read stays root's, and notes.md says so.
 */
static int outf__open(struct snap *s, struct safefile *o, const char *suffix,
		      const struct stat *src)
{
	bool root_only = src && !safe__can_read(src, s->dir.uid, s->dir.gid);
	char name[256];

	snprintf(name, sizeof(name), "%s_%s_%s", s->o.job, s->o.tag, suffix);
	if (root_only)
		ct_buf_printf(&s->private, "%s%s", s->private.len ? ", " : "", name);
	return safefile__create(o, &s->snaps, name, src ? safe__copy_mode(src, s->dir.gid) : 0644,
				root_only);
}

/* The snapshot's files in the order they are put in place; notes.md goes last. */
static struct safefile *outf__all(struct snap *s, int i)
{
	struct safefile *all[] = { &s->log, &s->perf, &s->profile, &s->sys, &s->ctxt, &s->cjson };

	return i < (int)(sizeof(all) / sizeof(all[0])) ? all[i] : NULL;
}

/* Refuse to replace an earlier snapshot of this job and tag unless --force. */
static int check_free(struct snap *s)
{
	static const char *const suffixes[] = { "log.txt", "perf_lines.txt", "profile.stats",
						"profile.stats.gz", "sys.txt", "contention.json",
						"contention.txt" };
	char name[256];

	for (unsigned i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(name, sizeof(name), "%s_%s_%s", s->o.job, s->o.tag, suffixes[i]);
		if (faccessat(s->snaps.fd, name, F_OK, AT_SYMLINK_NOFOLLOW))
			continue;
		if (!s->o.force) {
			ct_err("%s/%s already exists: snapshot %s of job %s was taken; use another "
			       "--tag, or --force to replace it", s->snapdir, name, s->o.tag, s->o.job);
			return -EEXIST;
		}
		/* A link is removed, never followed. */
		unlinkat(s->snaps.fd, name, 0);
	}
	return 0;
}

static int do_log(struct snap *s)
{
	struct logcopy_opts lo = { .max_bytes = (uint64_t)s->o.max_log, .head_lines = 50,
				   .tail_lines = 200, .red = s->red };
	struct stat st;
	FILE *in = safe__fopen_input(AT_FDCWD, s->o.log, false, "log", &st);
	int err;

	if (!in)
		return -EINVAL;
	err = outf__open(s, &s->log, "log.txt", &st) ?:
	      outf__open(s, &s->perf, "perf_lines.txt", &st);
	if (!err) {
		err = logcopy__run(in, s->log.f, s->perf.f, &lo, &s->ls);
		if (err)
			ct_err("cannot copy log %s into %s: %s", s->o.log, s->snapdir, strerror(-err));
	}
	fclose(in);
	err = err ?: safefile__close(&s->log) ?: safefile__close(&s->perf);
	s->have_log = !err;
	return err;
}

/* The profile as it is, or gzipped past the threshold. */
static int do_profile(struct snap *s)
{
	struct pstats ps;
	char why[256];
	struct stat st;
	bool gz;
	FILE *in;
	int err;

	if (!s->o.profile)
		return 0;
	if (stat(s->o.profile, &st)) {
		char msg[512];

		snprintf(msg, sizeof(msg), "not available yet: %s: %s (cProfile writes its file only "
			 "when the process exits)", s->o.profile, strerror(errno));
		json_object_set_new(s->meta, "profile_file", json_string(msg));
		fprintf(stderr, "contrace: note: profile %s\n", msg);
		return 0;
	}
	if (pstats__load(s->o.profile, &ps, why, sizeof(why))) {
		ct_err("profile %s is not a cProfile file: %s", s->o.profile, why);
		return -EINVAL;
	}
	json_object_set_new(s->meta, "profile_functions", json_integer((json_int_t)ps.n));
	json_object_set_new(s->meta, "profile_total_s", json_real(ps.total_tt));
	pstats__free(&ps);
	in = safe__fopen_input(AT_FDCWD, s->o.profile, false, "profile", &st);
	if (!in)
		return -EINVAL;
	gz = st.st_size > s->o.gzip_above;
	err = outf__open(s, &s->profile, gz ? "profile.stats.gz" : "profile.stats", &st);
	if (!err) {
		err = gz ? ct_gzip_copy(in, s->profile.f) : ct_copy(in, s->profile.f);
		if (err)
			ct_err("cannot copy profile %s into %s: %s", s->o.profile, s->snapdir,
			       strerror(-err));
		err = safefile__close(&s->profile) ?: err;
	}
	if (!err)
		json_object_set_new(s->meta, "profile_file", json_string(s->profile.name));
	fclose(in);
	return err;
}

static int do_sys(struct snap *s)
{
	struct ct_buf b = { 0 };
	int missing, err;

	if (s->o.no_sys)
		return 0;
	err = sysinfo__collect(&b, s->now, &missing);
	if (!err && !(err = outf__open(s, &s->sys, "sys.txt", NULL))) {
		if (fwrite(b.p, 1, b.len, s->sys.f) != b.len)
			err = -EIO;
		err = safefile__close(&s->sys) ?: err;
	}
	ct_buf_free(&b);
	return err;
}

/* Where the recorder's windows are: --from (a directory or the file), else DIR/recording. */
static bool find_windows(struct snap *s)
{
	struct stat st;

	char abs[PATH_MAX];
	bool found = true;

	if (s->o.from) {
		if (!stat(s->o.from, &st) && S_ISDIR(st.st_mode))
			snprintf(s->windows, sizeof(s->windows), "%s/windows.jsonl", s->o.from);
		else
			snprintf(s->windows, sizeof(s->windows), "%s", s->o.from);
	} else {
		snprintf(s->windows, sizeof(s->windows), "%s/recording/windows.jsonl", s->o.dir);
		found = !access(s->windows, F_OK);
	}
	/* Absolute, so that report finds it from anywhere. */
	if (found && realpath(s->windows, abs))
		snprintf(s->windows, sizeof(s->windows), "%s", abs);
	return found;
}

/* The end of this job's latest earlier snapshot, and its tag: where this one starts. */
static uint64_t previous_snapshot(struct snap *s, char *tag, size_t len)
{
	int fd = dup(s->snaps.fd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;
	uint64_t best = 0;

	if (!d && fd >= 0)
		close(fd);
	while (d && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		json_t *j;

		if (n < 16 || strcmp(e->d_name + n - 16, "_contention.json"))
			continue;
		j = ct_json_loadat(s->snaps.fd, e->d_name);
		if (j && json_is_string(json_object_get(j, "job")) &&
		    !strcmp(json_string_value(json_object_get(j, "job")), s->o.job) &&
		    ct_json_u64(j, "snapshot_ns") > best && ct_json_u64(j, "snapshot_ns") < s->now_ns) {
			best = ct_json_u64(j, "snapshot_ns");
			snprintf(tag, len, "%s", json_string_value(json_object_get(j, "tag")) ?: "?");
		}
		json_decref(j);
	}
	if (d)
		closedir(d);
	return best;
}

struct snap_scan {
	struct ct_span span;
	uint64_t from, to;
	uint64_t job_start_ns;	/* start of the first window the job ran in */
	json_t *beside;		/* jobs that ran in the same windows as this one: {name: windows} */
};

/* Did @j run in this window (a real job, not "other" or "kernel")? */
static const char *ran(const json_t *j)
{
	const char *name = json_string_value(json_object_get(j, "name"));
	const char *kind = json_string_value(json_object_get(j, "kind"));

	const json_t *on = json_object_get(json_object_get(j, "cpu"), "oncpu_ns");

	/* without the field it may have: the span's reader names what is missing */
	if (!name || (json_is_integer(on) && json_integer_value(on) <= 0) ||
	    (kind && (!strcmp(kind, "other") || !strcmp(kind, "kernel"))))
		return NULL;
	return name;
}

static int scan_window(const json_t *win, void *arg)
{
	struct snap_scan *sc = arg;
	uint64_t end = ct_json_u64(win, "end_ns");
	bool mine = false;
	size_t i;
	json_t *j;

	if (end > sc->to)
		return 0;
	json_array_foreach(json_object_get(win, "jobs"), i, j) {
		const char *name = ran(j);

		if (name && !strcmp(name, sc->span.job)) {
			mine = true;
			if (!sc->job_start_ns)
				sc->job_start_ns = ct_json_u64(win, "start_ns");
		}
	}
	/* "Since the job started": the windows before it first ran are not its time. */
	if (end <= sc->from || !sc->job_start_ns) {
		span__see_before(&sc->span, win);
		return 0;
	}
	if (!span__add_window(&sc->span, win) || !mine)
		return 0;
	json_array_foreach(json_object_get(win, "jobs"), i, j) {
		const char *name = ran(j);

		if (name && strcmp(name, sc->span.job))
			json_object_set_new(sc->beside, name,
					    json_integer((json_int_t)ct_json_u64(sc->beside, name) + 1));
	}
	return 0;
}

/* "2 (jobB in 12 of 12 windows, api in 12 of 12)" */
static json_t *concurrent_words(const json_t *beside, int nwin)
{
	struct ct_buf b = { 0 };
	const char *name;
	json_t *v, *out;

	ct_buf_printf(&b, "%zu", json_object_size(beside));
	json_object_foreach((json_t *)beside, name, v)
		ct_buf_printf(&b, "%s%s in %lld of %d windows", b.p[1] ? ", " : " (", name,
			      (long long)json_integer_value(v), nwin);
	ct_buf_printf(&b, "%s", json_object_size(beside) ? ")" : " (the job ran alone)");
	out = json_string(b.p);
	ct_buf_free(&b);
	return out;
}

static int do_contention(struct snap *s)
{
	struct snap_scan sc = { .to = s->now_ns };
	struct span_scan st;
	char prev_tag[CT_NAME_MAX] = "", t[40];
	json_t *c;
	struct ct_buf txt = { 0 };
	int err;

	if (!find_windows(s)) {
		json_object_set_new(s->meta, "contention",
				    json_string("no recording: give the recorder's output with --from"));
		return 0;
	}
	if (!s->o.since_start)
		sc.from = previous_snapshot(s, prev_tag, sizeof(prev_tag));
	span__init(&sc.span, s->o.job);
	sc.beside = json_object();
	err = span__scan_path(s->windows, scan_window, &sc, &st);
	if (!err && st.bad_lines)
		fprintf(stderr, "contrace: note: %s: %d lines are not windows and were skipped (the "
			"first: line %d)\n", s->windows, st.bad_lines, st.first_bad_line);
	if (!err && sc.span.bad) {
		ct_err("%s: %d entries of job '%s' lack %s: a recording of another contrace "
		       "version, or damaged; not read as zeros", s->windows, sc.span.bad, s->o.job,
		       sc.span.missing ? sc.span.missing : "the expected form");
		err = -EINVAL;
	}
	if (!err && !sc.span.nwin) {
		ct_err("%s has no window of job '%s'%s: check --job against the recording's job names",
		       s->windows, s->o.job, sc.from ? " since its previous snapshot" : "");
		err = -ENOENT;
	}
	if (err)
		goto out;
	c = json_pack("{ss si ss ss ss sI ss}", "type", "contention", "v", 1, "job", s->o.job,
		      "tag", s->o.tag, "snapshot", s->now, "snapshot_ns", (json_int_t)s->now_ns,
		      "source", s->windows);
	json_object_set_new(c, "range", json_string(sc.from ? "since_previous" : "since_start"));
	if (sc.from)
		json_object_set_new(c, "previous_tag", json_string(prev_tag));
	if (sc.job_start_ns) {
		ct_fmt_utc(sc.job_start_ns, t, sizeof(t));
		json_object_set_new(c, "job_start", json_string(t));
		json_object_set_new(c, "job_start_ns", json_integer((json_int_t)sc.job_start_ns));
		json_object_set_new(s->meta, "start_time_utc", json_string(t));
	}
	json_object_set_new(c, "concurrent_jobs", json_deep_copy(sc.beside));
	json_object_set_new(s->meta, "concurrent_jobs_on_node", concurrent_words(sc.beside, sc.span.nwin));
	json_object_set_new(c, "span", span__to_json(&sc.span));
	json_object_set_new(c, "snapshot_meta", json_incref(s->meta));
	contention__text(c, &txt);
	if (!(err = outf__open(s, &s->cjson, "contention.json", NULL))) {
		if (json_dumpf(c, s->cjson.f, JSON_INDENT(1) | JSON_REAL_PRECISION(10)) ||
		    fputc('\n', s->cjson.f) == EOF)
			err = -EIO;
		err = safefile__close(&s->cjson) ?: err;
	}
	if (!err && !(err = outf__open(s, &s->ctxt, "contention.txt", NULL))) {
		if (fwrite(txt.p, 1, txt.len, s->ctxt.f) != txt.len)
			err = -EIO;
		err = safefile__close(&s->ctxt) ?: err;
	}
	json_decref(c);
	ct_buf_free(&txt);
out:
	span__free(&sc.span);
	json_decref(sc.beside);
	json_decref(st.session);
	return err;
}

/*
 * git's one-line answer in @dir, or NULL. No shell: git gets an argument vector. It runs as
 * the owner of @dir, with that user's home, so a repository's own config and hooks run with
 * no more rights than its owner has (and git does not refuse a repository root does not own).
 */
static char *git(const char *dir, const char *a1, const char *a2)
{
	char *argv[] = { "git", "-C", (char *)dir, "rev-parse", (char *)a1, (char *)a2, NULL };
	char buf[256] = "";
	struct passwd *pw;
	struct stat st;
	int p[2], status;
	ssize_t n = 0;
	pid_t pid;

	if (stat(dir, &st) || pipe2(p, O_CLOEXEC))
		return NULL;
	pw = getpwuid(st.st_uid);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(p[1], STDOUT_FILENO);
		dup2(null, STDIN_FILENO);
		dup2(null, STDERR_FILENO);
		if (geteuid() == 0 && st.st_uid != 0) {
			if (setgroups(0, NULL) || setgid(st.st_gid) || setuid(st.st_uid))
				_exit(126);
			if (pw)
				setenv("HOME", pw->pw_dir, 1);
		}
		execvp("git", argv);
		_exit(127);
	}
	close(p[1]);
	while (pid > 0 && n < (ssize_t)sizeof(buf) - 1) {
		ssize_t k = read(p[0], buf + n, sizeof(buf) - 1 - (size_t)n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		n += k;
	}
	close(p[0]);
	if (pid > 0)
		waitpid(pid, &status, 0);
	if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		return NULL;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return buf[0] ? strdup(buf) : NULL;
}

static void meta_fill(struct snap *s)
{
	char *b = NULL, *c = NULL, logdir[PATH_MAX];

	json_object_set_new(s->meta, "job", json_string(s->o.job));
	json_object_set_new(s->meta, "tag", json_string(s->o.tag));
	json_object_set_new(s->meta, "snapshot_time_utc", json_string(s->now));
	json_object_set_new(s->meta, "node", json_string(s->host));
	if (s->have_log && (s->ls.branch || s->ls.commit)) {
		if (s->ls.branch)
			json_object_set_new(s->meta, "branch", json_string(s->ls.branch));
		if (s->ls.commit)
			json_object_set_new(s->meta, "commit", json_string(s->ls.commit));
		json_object_set_new(s->meta, "git_source", json_string("log header"));
	} else {
		const char *where = s->o.dir;

		/* The log's own directory first: a job often logs inside its checkout. */
		snprintf(logdir, sizeof(logdir), "%s", s->o.log ? s->o.log : ".");
		if (strrchr(logdir, '/'))
			*strrchr(logdir, '/') = '\0';
		else
			snprintf(logdir, sizeof(logdir), ".");
		if (s->o.log && (c = git(logdir, "HEAD", NULL)))
			where = logdir;
		else
			c = git(where, "HEAD", NULL);
		b = git(where, "--abbrev-ref", "HEAD");
		if (b)
			json_object_set_new(s->meta, "branch", json_string(b));
		if (c)
			json_object_set_new(s->meta, "commit", json_string(c));
		if (b || c)
			json_object_set_new(s->meta, "git_source", json_string(where));
		free(b);
		free(c);
	}
	if (s->have_log && s->ls.have_progress) {
		const struct ct_progress *p = &s->ls.last_progress;
		int64_t total = p->total >= 0 ? p->total : p->abs_total;

		json_object_set_new(s->meta, "estimate_at_snapshot", json_string(s->ls.last_perf_line));
		json_object_set_new(s->meta, "processed_count_at_snapshot", json_integer(p->done));
		if (total >= 0)
			json_object_set_new(s->meta, "total_assets", json_integer(total));
		json_object_set_new(s->meta, "progress", progress__to_json(p));
	}
	if (s->have_log)
		json_object_set_new(s->meta, "log", json_pack("{sIsIsIsIsbsI}", "lines",
							      (json_int_t)s->ls.lines_in, "kept",
							      (json_int_t)s->ls.lines_out, "perf_lines",
							      (json_int_t)s->ls.perf_lines,
							      "tracebacks",
							      (json_int_t)s->ls.tracebacks, "trimmed",
							      s->ls.trimmed, "cut_lines",
							      (json_int_t)s->ls.cut_lines));
	if (s->red) {
		json_t *r = json_object();

		for (int k = 0; k < CT_RED_NR; k++)
			json_object_set_new(r, ct_redact_tokens[k],
					    json_integer((json_int_t)redact__written(s->red, k)));
		json_object_set_new(s->meta, "redactions", r);
	}
}

static const char *const note_keys[] = {
	"job", "tag", "start_time_utc", "snapshot_time_utc", "branch", "commit", "git_source",
	"node", "profile_file", "estimate_at_snapshot", "processed_count_at_snapshot",
	"total_assets", "concurrent_jobs_on_node", "contention", "files", "private_copies",
	"redactions", "log",
};

/* {"USER": 3, "ID": 7} as "USER 3, ID 7" */
static char *words(const json_t *o)
{
	struct ct_buf b = { 0 };
	const char *k;
	json_t *v;

	ct_buf_add(&b, "", 0);
	json_object_foreach((json_t *)o, k, v) {
		char *val = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

		ct_buf_printf(&b, "%s%s %s", b.len ? ", " : "", k, val);
		free(val);
	}
	return b.p;
}

/*
 * Read notes.md as it is now, before anything is written: a notes.md that cannot be read (a
 * link, a FIFO) stops the snapshot while the folder is still as it was.
 */
static int read_notes(struct snap *s)
{
	struct stat st;
	FILE *f;

	if (faccessat(s->dir.fd, "notes.md", F_OK, AT_SYMLINK_NOFOLLOW)) {
		ct_buf_printf(&s->notes, "# Experiment notes\n\nOne block per snapshot, written by "
			      "contrace snapshot.\n");
		return 0;
	}
	f = safe__fopen_input(s->dir.fd, "notes.md", true, "notes", &st);
	if (!f)
		return -EPERM;
	if (ct_copy_buf(f, &s->notes)) {
		ct_err("cannot read %s/notes.md: %s", s->o.dir, strerror(errno));
		fclose(f);
		return -EIO;
	}
	fclose(f);
	return 0;
}

/* --force: the block of the snapshot being replaced goes, so notes.md keeps one per snapshot. */
static void drop_block(struct ct_buf *b, const char *job, const char *tag)
{
	char *head, *at, *next;
	size_t hl;

	if (!b->len || asprintf(&head, "\n## %s %s\n", job, tag) < 0)
		return;
	hl = strlen(head);
	at = memmem(b->p, b->len, head, hl);
	if (at) {
		next = memmem(at + hl, b->len - (size_t)(at + hl - b->p), "\n## ", 4);
		if (!next)
			next = b->p + b->len;
		memmove(at, next, (size_t)(b->p + b->len - next));
		b->len -= (size_t)(next - at);
	}
	free(head);
}

/*
 * notes.md with this snapshot's block added, under a temporary name: it is put in place after
 * the snapshot's files, so a failure to write it (a full disk) leaves the folder as it was.
 */
static int write_notes(struct snap *s, struct safefile *sf)
{
	struct ct_buf b = s->notes;
	int err;

	for (int i = 0; outf__all(s, i); i++)
		if (outf__all(s, i)->done)
			ct_buf_printf(&s->notes_files, "%s%s", s->notes_files.len ? ", " : "",
				      outf__all(s, i)->name);
	json_object_set_new(s->meta, "files", json_string(s->notes_files.p ?: "(none)"));
	if (s->private.len) {
		char *note;

		if (asprintf(&note, "%s: copies of a file that the folder's owner (uid %u) could "
			     "not read, so they are root's, mode 0600", s->private.p,
			     (unsigned)s->dir.uid) < 0)
			return -ENOMEM;
		json_object_set_new(s->meta, "private_copies", json_string(note));
		free(note);
	}
	if (s->o.force)
		drop_block(&b, s->o.job, s->o.tag);
	ct_buf_printf(&b, "\n## %s %s\n", s->o.job, s->o.tag);
	for (unsigned i = 0; i < sizeof(note_keys) / sizeof(note_keys[0]); i++) {
		json_t *v = json_object_get(s->meta, note_keys[i]);
		char *txt;

		if (!v)
			continue;
		if (json_is_string(v))
			txt = strdup(json_string_value(v));
		else if (json_is_object(v))
			txt = words(v);
		else
			txt = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (!strcmp(note_keys[i], "estimate_at_snapshot"))
			ct_buf_printf(&b, "- %s: `%s`\n", note_keys[i], txt);
		else
			ct_buf_printf(&b, "- %s: %s\n", note_keys[i], txt);
		free(txt);
	}
	s->notes = b;
	err = safefile__create(sf, &s->dir, "notes.md", 0644, false);
	if (err)
		return err;
	if (fwrite(b.p, 1, b.len, sf->f) != b.len)
		err = -EIO;
	return safefile__close(sf) ?: err;
}

static void snap__discard(struct snap *s)
{
	for (int i = 0; outf__all(s, i); i++)
		safefile__discard(outf__all(s, i));
}

/* Every file in place, notes.md last; stops at the first that cannot be renamed. */
static int snap__commit(struct snap *s, struct safefile *notes)
{
	int err = 0;

	for (int i = 0; !err && outf__all(s, i); i++)
		err = safefile__commit(outf__all(s, i));
	return err ?: safefile__commit(notes);
}

static int snapshot(struct snap *s)
{
	struct safefile notes = { 0 };
	int err;

	if (strlen(s->o.dir) > sizeof(s->snapdir) - 16) {
		ct_err("--dir %.64s...: path too long", s->o.dir);
		return -ENAMETOOLONG;
	}
	snprintf(s->snapdir, sizeof(s->snapdir), "%s/snapshots", s->o.dir);
	if (!access(s->o.dir, F_OK) && safedir__open(&s->dir, s->o.dir))
		return -ENOENT;
	if (s->dir.fd < 0 || faccessat(s->dir.fd, "snapshots", F_OK, AT_SYMLINK_NOFOLLOW)) {
		ct_err("%s is not an experiment folder (no snapshots/ in it): create it with "
		       "'contrace init %s'", s->o.dir, s->o.dir);
		return -ENOENT;
	}
	if (safedir__sub(&s->snaps, &s->dir, "snapshots"))
		return -ENOENT;
	if ((err = check_free(s)) || (err = read_notes(s)))
		return err;
	s->now_ns = s->o.at_ns ? s->o.at_ns : ct_real_ns();
	ct_fmt_utc(s->now_ns, s->now, sizeof(s->now));
	gethostname(s->host, sizeof(s->host) - 1);
	s->meta = json_object();
	if (!s->o.no_redact) {
		s->red = redact__new();
		err = redact__load(s->red, s->dir.fd, REDACT_STATE);
		if (err && err != -ENOENT)
			return err;
	}
	err = (s->o.log ? do_log(s) : 0) ?: do_profile(s) ?: do_sys(s);
	if (!err) {
		meta_fill(s);
		err = do_contention(s);
	}
	if (!err)
		err = write_notes(s, &notes);
	if (!err && s->red)
		err = redact__save(s->red, &s->dir, REDACT_STATE);
	if (!err)
		err = snap__commit(s, &notes);
	if (err) {
		snap__discard(s);
		safefile__discard(&notes);
	}
	return err;
}

int cmd_snapshot(int argc, char **argv)
{
	static const struct argp argp = { options, parse_opt, NULL, doc };
	struct snap s = { .o = { .max_log = 2000000, .gzip_above = 1000000 }, .dir.fd = -1,
			  .snaps.fd = -1 };
	int err;

	argp_err_exit_status = 2;
	if (argp_parse(&argp, argc, argv, 0, NULL, &s.o))
		return 2;
	err = snapshot(&s);
	if (!err)
		printf("snapshot %s of %s: %s in %s\n", s.o.tag, s.o.job,
		       s.notes_files.p ?: "(no files)", s.snapdir);
	logcopy__stats_free(&s.ls);
	redact__free(s.red);
	json_decref(s.meta);
	safedir__close(&s.snaps);
	safedir__close(&s.dir);
	ct_buf_free(&s.notes_files);
	ct_buf_free(&s.notes);
	ct_buf_free(&s.private);
	return err ? 1 : 0;
}
