// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* contrace init DIR: the experiment folder, with the plan and the notes template. */
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "commands.h"
#include "safefile.h"
#include "util.h"

static const char plan[] =
	"# Contention experiment\n"
	"\n"
	"Question: do parallel jobs on this node slow each other down, through CPU, disk, network,\n"
	"memory or a shared server, and which job hurts which?\n"
	"\n"
	"## Steps\n"
	"1. Start the recorder for the whole experiment, one job per cgroup, following each job's\n"
	"   log (the `[PERF]` lines give the processed count, so costs are shown per unit):\n"
	"\n"
	"       sudo contrace record -o %s/recording -i 10 \\\n"
	"           --job jobA=/sys/fs/cgroup/unified/jobA --log jobA=/path/to/jobA.log \\\n"
	"           --job jobB=/sys/fs/cgroup/unified/jobB --log jobB=/path/to/jobB.log\n"
	"\n"
	"2. Start Job A alone. Let it run (about 1 h on the real job).\n"
	"3. Snapshot t0, Job A alone:\n"
	"\n"
	"       sudo contrace snapshot --dir %s --job jobA --tag t0 --from %s/recording \\\n"
	"           --log /path/to/jobA.log --profile /path/to/jobA.stats\n"
	"\n"
	"4. Start Job B beside it. Let both run (about 1 h).\n"
	"5. Snapshot t1, both jobs (same command with --tag t1, once per job).\n"
	"6. Write the comparison: `contrace report %s` (analysis/report.md and its charts).\n"
	"\n"
	"## Snapshot schedule\n"
	"| moment | when | jobs | files (snapshots/) |\n"
	"|---|---|---|---|\n"
	"| t0 | Job A alone, ~1 h after its start | jobA | jobA_t0_{log,perf_lines,sys,contention}.*, profile |\n"
	"| t1 | ~1 h after Job B started | jobA, jobB | jobA_t1_*, jobB_t1_* |\n"
	"\n"
	"Each snapshot covers the time since the job's previous snapshot (or since it started), so\n"
	"t0 is \"A alone\" and t1 is \"A with B\".\n"
	"\n"
	"## Metadata template (notes.md; `contrace snapshot` fills one block per snapshot)\n"
	"- job:\n"
	"- start_time_utc:\n"
	"- snapshot_time_utc:\n"
	"- branch / commit:\n"
	"- node:\n"
	"- profile_file:\n"
	"- estimate_at_snapshot: (the exact last [PERF] line)\n"
	"- processed_count_at_snapshot:\n"
	"- total_assets:\n"
	"- concurrent_jobs_on_node:\n"
	"\n"
	"## Checklist\n"
	"- [ ] The recorder runs as root for the whole experiment and started before Job A.\n"
	"- [ ] Each job runs in its own cgroup (or its own Jenkins executor cgroup).\n"
	"- [ ] Nothing else heavy was scheduled on the node (check `other` in the windows).\n"
	"- [ ] Job A ran alone long enough before t0 (at least a few hundred units of work).\n"
	"- [ ] Job B started right after t0; note the time.\n"
	"- [ ] t1 was taken at least as long after B's start as t0 after A's start.\n"
	"- [ ] Logs and profiles are redacted (default) before the folder is shared.\n"
	"- [ ] The report's verdicts were read with their confidence, not just their answer.\n";

static const char doc[] =
	"Create an experiment folder: README.md (the plan, snapshot schedule, metadata template and\n"
	"checklist), snapshots/ and analysis/. Refuses to touch an existing folder's contents.\n"
	"\n"
	"USAGE: contrace init DIR\n"
	"\n"
	"EXAMPLE:\n"
	"  contrace init /var/tmp/exp-2026-11-24 && cat /var/tmp/exp-2026-11-24/README.md\n";

static error_t parse_opt(int key, char *arg, struct argp_state *st)
{
	const char **dir = st->input;

	switch (key) {
	case ARGP_KEY_ARG:
		if (*dir)
			argp_error(st, "one DIR only (got '%s' and '%s')", *dir, arg);
		*dir = arg;
		break;
	case ARGP_KEY_END:
		if (!*dir)
			argp_error(st, "DIR is missing");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* Create @name in experiment folder @d; it must not exist. */
static int mkdir_new(const struct safedir *d, const char *name)
{
	int err = safedir__mkdir(d, name, 0755);

	if (err)
		ct_err("cannot create %s/%s: %s", d->path, name, strerror(-err));
	return err;
}

int cmd_init(int argc, char **argv)
{
	static const char *const sub[] = { "README.md", "snapshots", "analysis", "notes.md" };
	static const struct argp argp = { NULL, parse_opt, "DIR", doc };
	const char *dir = NULL;
	struct ct_buf b = { 0 };
	struct safedir d;
	int err;

	argp_err_exit_status = 2;
	if (argp_parse(&argp, argc, argv, 0, NULL, &dir))
		return 2;
	if (mkdir(dir, 0755) && errno != EEXIST) {
		ct_err("cannot create %s: %s", dir, strerror(errno));
		return 1;
	}
	if (safedir__open(&d, dir))
		return 1;
	for (unsigned i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		if (!faccessat(d.fd, sub[i], F_OK, AT_SYMLINK_NOFOLLOW)) {
			ct_err("%s/%s already exists: init never overwrites an experiment", dir, sub[i]);
			safedir__close(&d);
			return 1;
		}
	}
	ct_buf_printf(&b, plan, dir, dir, dir, dir);
	err = safedir__write(&d, "README.md", b.p, b.len, 0644) ?: mkdir_new(&d, "snapshots") ?:
	      mkdir_new(&d, "analysis");
	ct_buf_free(&b);
	safedir__close(&d);
	if (err)
		return 1;
	printf("experiment folder %s: README.md (the plan), snapshots/, analysis/\n", dir);
	return 0;
}
