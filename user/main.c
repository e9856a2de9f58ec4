// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* contrace: attribute system contention (CPU, disk, network, memory) to the jobs that wait. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"

#define CONTRACE_VERSION "0.1.0"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} cmds[] = {
	{ "record", cmd_record, "trace the node; append a per-job window to windows.jsonl" },
	{ "init", cmd_init, "create an experiment folder: the plan, snapshots/, analysis/" },
	{ "snapshot", cmd_snapshot, "write one job's snapshot files for one moment (t0, t1...)" },
	{ "report", cmd_report, "compare the snapshots: ETA, per-unit costs, who hurt whom" },
	{ "pstats", cmd_pstats, "print the hottest functions of a cProfile file (plain or gzip)" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: contrace COMMAND [OPTION...]\n\n"
		   "Attribute run-queue delay and off-CPU waiting to each job's cgroup.\n\n"
		   "Commands:\n");
	for (unsigned i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].help);
	fprintf(f, "\n'contrace COMMAND --help' describes one command.\n"
		   "Example: sudo contrace record --job A=/sys/fs/cgroup/unified/jobA -i 5\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("contrace %s\n", CONTRACE_VERSION);
		return 0;
	}
	/* argp wraps at 79 columns by default; the help texts are laid out for 100. */
	setenv("ARGP_HELP_FMT", "rmargin=100", 0);
	for (unsigned i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (!strcmp(argv[1], cmds[i].name)) {
			char prog[64];

			/* argp names the program from argv[0]: "contrace record". */
			snprintf(prog, sizeof(prog), "contrace %s", cmds[i].name);
			argv[1] = prog;
			return cmds[i].fn(argc - 1, argv + 1);
		}
	}
	fprintf(stderr, "contrace: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return 2;
}
