// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* contrace record: attach, write one window of per-job contention every interval. */
#define _GNU_SOURCE
#include <argp.h>
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "commands.h"
#include "logtail.h"
#include "metrics.h"
#include "safefile.h"
#include "table.h"
#include "window.h"

#define BTF_DEFAULT "/sys/kernel/btf/vmlinux"
#define NSEC 1000000000ULL

struct record_opts {
	const char *specs[64];
	int nspecs;
	const char *parents[8];
	int nparents;
	const char *logs[64];
	int nlogs;
	const char *name;
	double interval;
	double duration;
	const char *out;
	long max_jobs;
	const char *btf;
	bool quiet, verbose, socket_bytes;
	long drop_idle_pct;
	long task_slots;	/* tests: per-task state entries used (0: all) */
	const char *env_spec, *env_opt, *name_var, *listen;
	double env_linger;
	char **cmd;
};

static volatile sig_atomic_t exiting, forward_sig, last_sig;

static const char doc[] =
	"Record per-job CPU contention and off-CPU reasons, one window every interval.\n"
	"\n"
	"USAGE: contrace record [OPTION...] [-- CMD [ARG...]]\n"
	"\n"
	"Each window is appended to OUT/windows.jsonl as one JSON object (docs/windows.md). On a\n"
	"terminal a per-job table is shown too. Ctrl-C or SIGTERM writes the last, partial window\n"
	"and detaches. Tasks in no job are charged to 'other', kernel threads to 'kernel'.\n"
	"\n"
	"OFF-CPU REASONS: a wait on a socket's peer is 'socket' (SOCK), on its endpoint: blocked\n"
	"in recv/send/connect/accept, in read/write or poll on one socket, or in poll, ppoll,\n"
	"select, pselect or epoll_wait on any fds when a socket's data ended the wait (the kernel\n"
	"woke the task from that socket's data-ready callback). Such a wait ended by anything\n"
	"else (a timeout, an eventfd, a pipe, a signal) stays 'poll'. The same waits on a socket\n"
	"the job serves (listening, or accepted on a port outside the ephemeral range): 'serve',\n"
	"a server waiting for requests, never counted as socket wait.\n"
	"\n"
	"EXAMPLES:\n"
	"  sudo contrace record --job A=/sys/fs/cgroup/unified/jobA --job B=/sys/fs/cgroup/cpu/jobB\n"
	"  sudo contrace record --jobs-under /sys/fs/cgroup/unified/jenkins -i 5 -o /var/tmp/exp\n"
	"  sudo contrace record -o exp -- make -j8 test   # CMD runs as the sudo user, in its own cgroup\n"
	"  sudo contrace record -d 60 -q --job api=/sys/fs/cgroup/unified/system.slice/api.service\n"
	"  sudo contrace record --job A=/sys/fs/cgroup/unified/jobA --log A=/var/log/jobA.log\n"
	"  sudo contrace record --job agent=/sys/fs/cgroup/unified/agent --job build=pid:4242\n"
	"  sudo contrace record --jenkins -o /var/tmp/exp   # each build by its BUILD_TAG\n"
	"  sudo contrace record --jenkins --listen 127.0.0.1:9466 -i 15   # for Prometheus\n"
	"  sudo contrace record --jobs-under /sys/fs/cgroup/cpu/docker --name-by-env BUILD_TAG\n"
	"\n"
	"EXIT STATUS: 0 when done; 1 on a run-time failure, or when the last window could not be\n"
	"written; 2 on a bad command line; else, with a CMD, the CMD's own status (128+N when\n"
	"killed by signal N).\n"
	"\n"
	"OPTIONS:";

enum { OPT_MAX_JOBS = 1000, OPT_BTF, OPT_SOCKET_BYTES, OPT_DROP_IDLE, OPT_TASK_SLOTS, OPT_JOBS_BY_ENV,
       OPT_JENKINS, OPT_NAME_BY_ENV, OPT_ENV_LINGER, OPT_LISTEN };

static const struct argp_option options[] = {
	{ "job", 'j', "NAME=CGROUP", 0, "A job: this cgroup (v2, or a v1 controller's directory) "
	  "and all its descendants, present and future. NAME=pid:PID: that process, its threads "
	  "and its descendants, those running at start and all it forks later, whatever their "
	  "cgroup (a build run by an agent in the agent's cgroup). Repeatable." },
	{ "jobs-under", 'J', "CGROUP", 0, "Every child cgroup of CGROUP is a job named after its "
	  "directory, including children created while recording. Repeatable." },
	{ "jobs-by-env", OPT_JOBS_BY_ENV, "VAR[,TIE]", 0, "Every value of VAR in a process's "
	  "environment is a job named by the value: processes running at start, and each new "
	  "one from its first instant (a child is its parent's until an exec with another "
	  "value). TIE: a process whose TIE value was first seen with another VAR value stays "
	  "in that one's job. Comes after --job NAME=pid:PID, before any cgroup job" },
	{ "jenkins", OPT_JENKINS, NULL, 0, "Jenkins builds as jobs, wherever they run: "
	  "--jobs-by-env BUILD_TAG,JENKINS_NODE_COOKIE (docs/jenkins.md)" },
	{ "name-by-env", OPT_NAME_BY_ENV, "VAR", 0, "Name each child of --jobs-under by the "
	  "value of VAR in its processes (a container's BUILD_TAG), else by its directory" },
	{ "env-linger", OPT_ENV_LINGER, "SECONDS", 0, "A --jobs-by-env job with no process left "
	  "is gone after SECONDS (default 60): a pipeline's next step within them continues it" },
	{ "log", 'l', "NAME=FILE", 0, "Follow job NAME's log: each window carries its last "
	  "[PERF] progress line (processed count, ETA), for costs per unit of work. Repeatable." },
	{ "name", 'n', "NAME", 0, "Job name of CMD (default: CMD's base name)" },
	{ "interval", 'i', "SECONDS", 0, "Window length (default 10; 0.1 to 3600)" },
	{ "duration", 'd', "SECONDS", 0, "Stop after SECONDS (default: until Ctrl-C, or until CMD "
	  "exits)" },
	{ "out", 'o', "DIR", 0, "Append windows to DIR/windows.jsonl (default: .)" },
	{ "max-jobs", OPT_MAX_JOBS, "N", 0, "Job slots in the kernel maps (default 64); children of --jobs-under beyond them count under their parent, named once on stderr and in each window's unslotted field" },
	{ "listen", OPT_LISTEN, "ADDR:PORT", 0, "Serve GET /metrics there for Prometheus (PORT "
	  "alone: 127.0.0.1:PORT; another address is yours to choose), from the windows written: "
	  "per job, label ci_job (docs/prometheus.md)" },
	{ "socket-bytes", OPT_SOCKET_BYTES, NULL, 0, "Also count bytes sent and received per "
	  "endpoint (IP sockets). Every send and receive on the node becomes an event: costs a "
	  "few percent on socket-heavy loads, so it is off by default" },
	{ "btf", OPT_BTF, "FILE", 0, "Kernel BTF to use (default " BTF_DEFAULT ")" },
	{ "quiet", 'q', NULL, 0, "No live table, even on a terminal" },
	{ "verbose", 'v', NULL, 0, "Show libbpf's debug output" },
	/* Fault injection for the tests: a kernel that skips switches out of idle, on demand. */
	{ "test-drop-idle-switches", OPT_DROP_IDLE, "PCT", OPTION_HIDDEN, "Ignore PCT % of the "
	  "context switches out of the idle task, as some kernels fail to trace them" },
	/* ...and tasks that share their state's array entry, which a 2-CPU VM never has. */
	{ "test-task-slots", OPT_TASK_SLOTS, "N", OPTION_HIDDEN, "Keep per-task state in N array "
	  "entries (a power of two up to 8192), the other tasks' in task storage" },
	{},
};

static error_t parse_opt(int key, char *arg, struct argp_state *st)
{
	struct record_opts *o = st->input;
	long l;

	switch (key) {
	case 'j':
		if (o->nspecs == (int)(sizeof(o->specs) / sizeof(o->specs[0])))
			argp_error(st, "too many --job options");
		o->specs[o->nspecs++] = arg;
		break;
	case 'J':
		if (o->nparents == (int)(sizeof(o->parents) / sizeof(o->parents[0])))
			argp_error(st, "too many --jobs-under options");
		o->parents[o->nparents++] = arg;
		break;
	case 'l':
		if (o->nlogs == (int)(sizeof(o->logs) / sizeof(o->logs[0])))
			argp_error(st, "too many --log options");
		o->logs[o->nlogs++] = arg;
		break;
	case 'n':
		if (!ct_name_valid(arg))
			argp_error(st, "--name '%s': may only hold letters, digits and _ . @ + -", arg);
		o->name = arg;
		break;
	case 'i':
		if (ct_parse_double("--interval", arg, 0.1, 3600, &o->interval))
			exit(2);
		break;
	case 'd':
		if (ct_parse_double("--duration", arg, 0.1, 1e7, &o->duration))
			exit(2);
		break;
	case 'o':
		o->out = arg;
		break;
	case OPT_MAX_JOBS:
		if (ct_parse_long("--max-jobs", arg, CT_SLOT_FIRST_JOB + 1, CT_MAX_JOBS_LIMIT, &l))
			exit(2);
		o->max_jobs = l;
		break;
	case OPT_JOBS_BY_ENV:
	case OPT_JENKINS:
		if (o->env_spec)
			argp_error(st, "--jobs-by-env and --jenkins: give one of them, once");
		o->env_spec = key == OPT_JENKINS ? "BUILD_TAG,JENKINS_NODE_COOKIE" : arg;
		o->env_opt = key == OPT_JENKINS ? "--jenkins" : "--jobs-by-env";
		break;
	case OPT_NAME_BY_ENV:
		o->name_var = arg;
		break;
	case OPT_ENV_LINGER:
		if (ct_parse_double("--env-linger", arg, 0, 86400, &o->env_linger))
			exit(2);
		break;
	case OPT_LISTEN:
		o->listen = arg;
		break;
	case OPT_BTF:
		o->btf = arg;
		break;
	case OPT_SOCKET_BYTES:
		o->socket_bytes = true;
		break;
	case OPT_DROP_IDLE:
		if (ct_parse_long("--test-drop-idle-switches", arg, 0, 100, &o->drop_idle_pct))
			exit(2);
		break;
	case OPT_TASK_SLOTS:
		if (ct_parse_long("--test-task-slots", arg, 1, 8192, &o->task_slots))
			exit(2);
		if (o->task_slots & (o->task_slots - 1)) {
			ct_err("--test-task-slots: %ld is not a power of two", o->task_slots);
			exit(2);
		}
		break;
	case 'q':
		o->quiet = true;
		break;
	case 'v':
		o->verbose = true;
		break;
	case ARGP_KEY_ARG:
		/* The first non-option starts CMD: everything after it belongs to CMD. */
		o->cmd = &st->argv[st->next - 1];
		st->next = st->argc;
		break;
	case ARGP_KEY_END:
		if (o->cmd && o->duration > 0)
			argp_error(st, "--duration cannot be combined with a command: recording ends "
				   "when the command exits");
		if (o->name && !o->cmd)
			argp_error(st, "--name names a command's job; no command was given");
		if (o->name_var && !o->nparents)
			argp_error(st, "--name-by-env names children of --jobs-under; none was given");
		if (o->env_linger >= 0 && !o->env_spec)
			argp_error(st, "--env-linger is for jobs of --jobs-by-env or --jenkins");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	exiting++;
	last_sig = sig;
	/* Ctrl-C reaches CMD from the terminal already; pass on only what was sent to us. */
	if (si->si_code == SI_USER || si->si_code == SI_QUEUE)
		forward_sig = sig;
}

static void on_child(int sig)
{
	(void)sig;	/* only to interrupt the sleep */
}

static void set_signals(void)
{
	struct sigaction sa = { .sa_sigaction = on_signal, .sa_flags = SA_SIGINFO };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa = (struct sigaction){ .sa_handler = on_child };
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Drop root for CMD: to SUDO_UID/SUDO_GID when run through sudo. */
static int drop_privileges(void)
{
	const char *su = getenv("SUDO_UID"), *sg = getenv("SUDO_GID");
	struct passwd *pw;
	long uid, gid;

	if (getuid() != 0 || !su)
		return 0;
	if (ct_parse_long("SUDO_UID", su, 0, 0x7fffffff, &uid) ||
	    ct_parse_long("SUDO_GID", sg ? sg : su, 0, 0x7fffffff, &gid))
		return -EINVAL;
	pw = getpwuid((uid_t)uid);
	if ((pw ? initgroups(pw->pw_name, (gid_t)gid) : setgroups(0, NULL)) ||
	    setgid((gid_t)gid) || setuid((uid_t)uid))
		return -errno;
	/* sudo leaves root's HOME: the user's own files are in theirs. */
	if (pw) {
		setenv("HOME", pw->pw_dir, 1);
		setenv("USER", pw->pw_name, 1);
		setenv("LOGNAME", pw->pw_name, 1);
	}
	return 0;
}

struct child {
	pid_t pid;
	int go_fd, err_fd;
	int status;
	bool running;
};

/* Fork CMD, held until child__release so it starts inside its cgroup, fully traced. */
static int child__spawn(struct child *c, char **argv)
{
	int go[2], er[2], e;
	char byte;

	if (pipe2(go, O_CLOEXEC) || pipe2(er, O_CLOEXEC))
		return -errno;
	c->pid = fork();
	if (c->pid < 0)
		return -errno;
	if (c->pid == 0) {
		close(go[1]);
		close(er[0]);
		if (read(go[0], &byte, 1) != 1)
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		e = drop_privileges();
		if (!e) {
			execvp(argv[0], argv);
			e = -errno;
		}
		if (write(er[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(go[0]);
	close(er[1]);
	c->go_fd = go[1];
	c->err_fd = er[0];
	c->running = true;
	return 0;
}

static int child__release(struct child *c, const char *cmd)
{
	int e = 0;
	ssize_t n;

	n = write(c->go_fd, "g", 1);
	close(c->go_fd);
	if (n == 1) {
		do
			n = read(c->err_fd, &e, sizeof(e));
		while (n < 0 && errno == EINTR);
	}
	close(c->err_fd);
	if (n != sizeof(e))
		return 0;	/* exec succeeded: the pipe closed on exec */
	ct_err("cannot run '%s': %s", cmd, strerror(-e));
	waitpid(c->pid, NULL, 0);
	c->running = false;
	return e;
}

static int child__status(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

struct recorder {
	struct record_opts o;
	struct jobs jobs;
	struct tracer *tr;
	struct window w;
	struct child child;
	char session[128];
	char out_path[CT_FILE_LEN];
	char cmd_cgroup[CT_FILE_LEN];
	struct safedir out;	/* OUT */
	int out_fd;
	struct logtail logs[64];
	int nlogs;
	bool out_created;	/* this run created windows.jsonl */
	bool table;
	struct metrics *metrics;	/* --listen */
	struct ct_buf line;	/* the line being written, its memory kept from window to window */
};

/*
 * Append r->line (one whole JSON object) and a newline; on failure remove any part of it that
 * was written.
 */
static int append_line(struct recorder *r)
{
	struct stat st;
	int err;

	ct_buf_add(&r->line, "\n", 1);
	if (fstat(r->out_fd, &st))
		st.st_size = -1;
	err = ct_write_all(r->out_fd, r->line.p, r->line.len);
	if (!err && fdatasync(r->out_fd) && errno != EINVAL)
		err = -errno;
	if (err && st.st_size >= 0 && ftruncate(r->out_fd, st.st_size))
		ct_err("cannot remove a partial line from %s: %s", r->out_path, strerror(errno));
	return err;
}

/* Read each followed log up to now: the progress its job's next window carries. */
static void poll_logs(struct recorder *r)
{
	for (int i = 0; i < r->nlogs; i++) {
		struct logtail *t = &r->logs[i];
		int err = logtail__poll(t);

		if (err && err != t->last_err)
			ct_err("cannot read log %s of job %s: %s", t->path, t->job,
			       err == -EINVAL ? "not a regular file (a FIFO or a device): not followed" :
						strerror(-err));
		t->last_err = err;
	}
}

/* A job's last progress line, from the last followed log of that job that has one. */
static json_t *job_progress(void *arg, const struct ct_job *j)
{
	struct recorder *r = arg;

	for (int i = r->nlogs - 1; i >= 0; i--)
		if (r->logs[i].have && !strcmp(r->logs[i].job, j->name))
			return progress__to_json(&r->logs[i].last);
	return NULL;
}

static int emit_window(struct recorder *r, bool final)
{
	int err;

	jobs__rescan(&r->jobs);
	r->w.final = final;
	window__read(&r->w, &r->jobs);
	poll_logs(r);
	r->line.len = 0;
	window__write(&r->line, &r->w, &r->jobs, r->session, r->nlogs ? job_progress : NULL, r);
	err = append_line(r);
	if (err) {
		/* Keep the baselines: the next window covers this one's time too. */
		ct_err("cannot write window %llu to %s: %s; its counts go into the next window",
		       (unsigned long long)r->w.seq, r->out_path, strerror(-err));
		return err;
	}
	/* The table and the metrics read the window as any reader does: from its line. */
	if (r->table || r->metrics) {
		json_error_t jerr;
		json_t *o = json_loadb(r->line.p, r->line.len, 0, &jerr);

		if (!o)
			ct_err("window %llu: cannot read back its own line (%s): no table or metrics "
			       "for it", (unsigned long long)r->w.seq, jerr.text);
		if (o && r->table)
			table__print(stdout, o);
		if (o && r->metrics) {
			struct ct_prog_stat ps[64];
			int n = tracer__prog_stats(r->tr, ps, 64);

			metrics__window(r->metrics, o, ct_mono_ns(), ps, n);
		}
		json_decref(o);
	}
	window__commit(&r->w, &r->jobs);
	jobs__retire_gone(&r->jobs);
	return 0;
}

/*
 * Open OUT/windows.jsonl for appending; a torn last line from a crash is closed off. OUT may
 * be a user's folder: windows.jsonl is reached through its fd and never through a link.
 */
static int open_out(struct recorder *r)
{
	struct stat st;
	char last;
	int fd;

	if (mkdir(r->o.out, 0755) && errno != EEXIST) {
		ct_err("cannot create output directory %s: %s", r->o.out, strerror(errno));
		return -errno;
	}
	if (safedir__open(&r->out, r->o.out))
		return -EPERM;
	snprintf(r->out_path, sizeof(r->out_path), "%s/windows.jsonl", r->o.out);
	fd = safedir__append(&r->out, "windows.jsonl", 0644, &r->out_created);
	if (fd < 0)
		return fd;
	r->out_fd = fd;
	if (!fstat(fd, &st) && st.st_size > 0 && pread(fd, &last, 1, st.st_size - 1) == 1 &&
	    last != '\n' && ct_write_all(fd, "\n", 1))
		ct_err("cannot write to %s: %s", r->out_path, strerror(errno));
	return 0;
}

/* Checks that need no BPF: done before anything is loaded or written. */
static int preflight(struct recorder *r)
{
	const char *btf = r->o.btf ? r->o.btf : BTF_DEFAULT;
	struct stat st;

	if (geteuid() != 0) {
		ct_err("record must run as root: it loads BPF programs and reads every cgroup "
		       "(try: sudo contrace record ...)");
		return 1;
	}
	if (access(btf, R_OK)) {
		ct_err("cannot read kernel BTF %s: %s; contrace needs a kernel built with "
		       "CONFIG_DEBUG_INFO_BTF=y (Linux 5.15 or later), or --btf FILE",
		       btf, strerror(errno));
		return 1;
	}
	if (!tracer__btf_ok(btf))
		return 1;
	if (!stat(r->o.out, &st) && (!S_ISDIR(st.st_mode) || access(r->o.out, W_OK))) {
		ct_err("--out %s: %s", r->o.out,
		       S_ISDIR(st.st_mode) ? "directory is not writable" : "not a directory");
		return 2;
	}
	return 0;
}

/* Is @pid a running contrace (and not a process that took a dead recorder's pid)? */
static bool is_recorder(long pid)
{
	char path[64], comm[32] = "";

	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	return ct_read_file(path, comm, sizeof(comm)) > 0 && !strcmp(comm, "contrace\n");
}

/*
 * Remove the command cgroups (contrace-PID under @root) of recorders that died without
 * cleaning up (SIGKILL). One that still holds processes is left, and said so.
 */
static void sweep_stale(const char *root)
{
	DIR *d = opendir(root);
	struct dirent *e;
	char path[CT_FILE_LEN], *end;
	long pid;

	while (d && (e = readdir(d))) {
		if (strncmp(e->d_name, "contrace-", 9))
			continue;
		pid = strtol(e->d_name + 9, &end, 10);
		if (end == e->d_name + 9 || *end || pid <= 0 || is_recorder(pid))
			continue;
		snprintf(path, sizeof(path), "%s/%s", root, e->d_name);
		if (rmdir(path))
			fprintf(stderr, "contrace: note: cgroup %s of a recorder that is gone: %s; "
				"left as it is\n", path, errno == EBUSY ? "it still holds processes" :
				strerror(errno));
	}
	if (d)
		closedir(d);
}

static int setup_jobs(struct recorder *r)
{
	char root[CT_PATH_LEN], base[CT_NAME_MAX], *arg0;
	struct ct_job *j;
	int err;

	for (int i = 0; i < r->o.nlogs; i++, r->nlogs++)
		if (logtail__init(&r->logs[i], r->o.logs[i]))
			return 2;
	for (int i = 0; i < r->o.nspecs; i++)
		if (jobs__add_spec(&r->jobs, r->o.specs[i]))
			return 2;
	if (r->o.env_spec && jobs__set_env(&r->jobs, r->o.env_opt, r->o.env_spec))
		return 2;
	if (r->o.env_linger >= 0)
		r->jobs.env_linger_ns = (uint64_t)(r->o.env_linger * 1e9);
	if (r->o.name_var && jobs__set_name_var(&r->jobs, "--name-by-env", r->o.name_var))
		return 2;
	for (int i = 0; i < r->o.nparents; i++)
		if (jobs__add_parent(&r->jobs, r->o.parents[i]))
			return 2;
	if (!r->o.cmd)
		return 0;
	arg0 = strdup(r->o.cmd[0]);
	ct_name_sanitize(basename(arg0), base, sizeof(base));
	free(arg0);
	if (!r->o.name)
		r->o.name = base;
	if (jobs__find(&r->jobs, r->o.name) || jobs__name_reserved(r->o.name)) {
		ct_err("the command's job name '%s' is already used; choose another with --name",
		       r->o.name);
		return 2;
	}
	if (cgroup__default_root(root, sizeof(root))) {
		ct_err("no cgroup filesystem found under /sys/fs/cgroup to run the command in");
		return 1;
	}
	sweep_stale(root);
	snprintf(r->cmd_cgroup, sizeof(r->cmd_cgroup), "%s/contrace-%d", root, (int)getpid());
	if (mkdir(r->cmd_cgroup, 0755)) {
		ct_err("cannot create cgroup %s: %s", r->cmd_cgroup, strerror(errno));
		r->cmd_cgroup[0] = '\0';
		return 1;
	}
	err = jobs__add_cgroup(&r->jobs, r->o.name, r->cmd_cgroup, CT_JOB_CMD, &j);
	return err ? 1 : 0;
}

static void print_start(struct recorder *r)
{
	int n = 0;

	for (int i = 0; i < r->jobs.n; i++)
		n += r->jobs.v[i]->kind >= CT_JOB_CGROUP;
	fprintf(stderr, "contrace: recording %d job%s", n, n == 1 ? "" : "s");
	if (r->jobs.nparents)
		fprintf(stderr, " (and new children of %d parent%s)", r->jobs.nparents,
			r->jobs.nparents == 1 ? "" : "s");
	if (r->jobs.env_nvars)
		fprintf(stderr, " (and one per value of %s)", r->jobs.env_vars[0]);
	fprintf(stderr, " every %gs into %s; Ctrl-C to stop\n", r->o.interval, r->out_path);
}

/* Sleep until @mono, or until @fd (if >= 0) is readable: true for the latter. */
static bool sleep_until(uint64_t mono, int fd)
{
	struct timespec ts = { .tv_sec = (time_t)(mono / NSEC), .tv_nsec = (long)(mono % NSEC) };
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t now;

	if (fd < 0) {
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		return false;
	}
	now = ct_mono_ns();
	ts.tv_sec = mono > now ? (time_t)((mono - now) / NSEC) : 0;
	ts.tv_nsec = mono > now ? (long)((mono - now) % NSEC) : 0;
	return ppoll(&p, 1, &ts, NULL) > 0 && (p.revents & POLLIN);
}

static bool child_done(struct recorder *r)
{
	int status;

	if (!r->child.running)
		return false;
	if (forward_sig) {
		kill(r->child.pid, forward_sig);
		forward_sig = 0;
	}
	if (waitpid(r->child.pid, &status, WNOHANG) != r->child.pid)
		return false;
	r->child.running = false;
	r->child.status = child__status(status);
	return true;
}

static void run_loop(struct recorder *r)
{
	uint64_t ivl = (uint64_t)(r->o.interval * 1e9), start = ct_mono_ns();
	uint64_t next = start + ivl, tick = start + NSEC, now, wake;
	uint64_t end = r->o.duration > 0 ? start + (uint64_t)(r->o.duration * 1e9) : UINT64_MAX;

	for (;;) {
		if (child_done(r))
			return;
		/* With a command, a first signal waits for it; a second stops at once. */
		if (exiting && (!r->child.running || exiting > 1))
			return;
		now = ct_mono_ns();
		if (now >= end)
			return;
		if (now >= next) {
			emit_window(r, false);	/* it rescans: the next rescan is a second on */
			while (next <= now)
				next += ivl;
			tick = now + NSEC;
			continue;
		}
		if (now >= tick) {
			jobs__rescan(&r->jobs);
			while (tick <= now)
				tick += NSEC;
		}
		wake = next < tick ? next : tick;
		if (sleep_until(wake < end ? wake : end, jobs__watch_fd(&r->jobs))) {
			/* a child cgroup was made or removed under a --jobs-under parent */
			jobs__watch_drain(&r->jobs);
			jobs__rescan(&r->jobs);
		}
	}
}

static void finish_child(struct recorder *r)
{
	if (r->child.running) {
		ct_err("leaving '%s' (pid %d) running; its cgroup %s stays", r->o.cmd[0],
		       (int)r->child.pid, r->cmd_cgroup);
		r->cmd_cgroup[0] = '\0';
	}
	if (r->cmd_cgroup[0] && cgroup__remove(r->cmd_cgroup, 2000))
		ct_err("cannot remove cgroup %s: %s (processes CMD left behind still run there)",
		       r->cmd_cgroup, strerror(errno));
}

/* Start CMD in its cgroup; 127 when it cannot run (as a shell says), 1 on other failures. */
static int start_child(struct recorder *r)
{
	if (child__spawn(&r->child, r->o.cmd) || cgroup__attach(r->cmd_cgroup, r->child.pid)) {
		ct_err("cannot start '%s' in cgroup %s: %s", r->o.cmd[0], r->cmd_cgroup,
		       strerror(errno));
		return 1;
	}
	return child__release(&r->child, r->o.cmd[0]) ? 127 : 0;
}

static int record(struct recorder *r)
{
	struct tracer_opts to = { .max_jobs = (uint32_t)r->o.max_jobs, .btf_path = r->o.btf,
				  .verbose = r->o.verbose, .socket_bytes = r->o.socket_bytes,
				  .drop_idle_pct = (uint32_t)r->o.drop_idle_pct,
				  .task_slots = (uint32_t)r->o.task_slots };
	int err;

	err = setup_jobs(r);
	if (err)
		return err;
	if (r->o.listen && metrics__start(&r->metrics, r->o.listen))
		return 1;
	to.env_nvars = r->jobs.env_nvars;
	for (uint32_t v = 0; v < r->jobs.env_nvars; v++)
		to.env_vars[v] = r->jobs.env_vars[v];
	to.nhier = r->jobs.nhier;
	memcpy(to.hier, r->jobs.hier, sizeof(to.hier));
	if (tracer__open(&r->tr, &to))
		return 1;
	if (window__init(&r->w, &r->jobs, r->tr) || jobs__attach(&r->jobs, r->tr) || open_out(r))
		return 1;
	window__start(&r->w);
	if (r->o.cmd) {
		err = start_child(r);
		if (err) {
			/* Nothing was recorded: leave no empty file behind. */
			if (r->out_created)
				unlinkat(r->out.fd, "windows.jsonl", 0);
			return err;
		}
	}
	snprintf(r->session, sizeof(r->session), "%d-%llu", (int)getpid(),
		 (unsigned long long)(r->w.start_real / NSEC));
	r->line.len = 0;
	window__session_write(&r->line, r->session, &r->jobs, r->o.interval, r->w.start_real);
	err = append_line(r);
	if (err) {
		ct_err("cannot write to %s: %s", r->out_path, strerror(-err));
		return 1;
	}
	print_start(r);
	run_loop(r);
	if (emit_window(r, true)) {
		/* Earlier failed windows went into later ones; this one has nowhere to go. */
		ct_err("the last window could not be written to %s: its counts are lost",
		       r->out_path);
		return 1;
	}
	return r->o.cmd ? r->child.status : 0;
}

int cmd_record(int argc, char **argv)
{
	static const struct argp argp = { options, parse_opt, "[-- CMD [ARG...]]", doc };
	struct recorder r = { .o = { .interval = 10, .out = ".", .max_jobs = CT_MAX_JOBS_DEFAULT,
				    .env_linger = -1 },
			      .out_fd = -1, .out.fd = -1 };
	int ret;

	argp_err_exit_status = 2;
	if (argp_parse(&argp, argc, argv, 0, NULL, &r.o))
		return 2;
	ret = preflight(&r);
	if (ret)
		return ret;
	if (jobs__init(&r.jobs, (uint32_t)r.o.max_jobs))
		return 1;
	r.table = !r.o.quiet && isatty(STDOUT_FILENO);
	set_signals();
	ret = record(&r);
	if (r.child.pid > 0 && r.child.running && !exiting) {
		kill(r.child.pid, SIGTERM);
		waitpid(r.child.pid, NULL, 0);
		r.child.running = false;
	}
	/* CMD left running (a second signal): its status is unknown, and this is no success */
	if (r.child.pid > 0 && r.child.running && !ret)
		ret = 128 + (last_sig ? last_sig : SIGTERM);
	metrics__stop(r.metrics);
	tracer__close(r.tr);
	window__free(&r.w);
	ct_buf_free(&r.line);
	finish_child(&r);
	if (r.out_fd >= 0)
		close(r.out_fd);
	safedir__close(&r.out);
	jobs__free(&r.jobs);
	for (int i = 0; i < r.nlogs; i++)
		logtail__free(&r.logs[i]);
	return ret;
}
