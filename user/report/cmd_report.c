// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* contrace report DIR: compare the experiment's snapshots; analysis/report.md with charts. */
#include <argp.h>
#include <stdio.h>
#include "commands.h"
#include "report.h"

struct report_opts {
	const char *dir, *from;
};

static const char doc[] =
	"Compare an experiment's snapshots and write DIR/analysis/report.md (with report.json and\n"
	"the SVG charts it links): executive summary, ETA at each snapshot and its change, costs\n"
	"per unit of work, who hurt whom, kernel cross-checks, profile hotspots, and a verdict on\n"
	"each of the experiment's questions with its evidence and confidence.\n"
	"\n"
	"USAGE: contrace report [--from OUT] DIR\n"
	"\n"
	"Job A is the job snapshotted at two moments that ran first (t0: alone, t1: with B); Job B\n"
	"the first other snapshotted job. The recording is the one the snapshots were taken from.\n"
	"\n"
	"EXAMPLES:\n"
	"  contrace report exp && less exp/analysis/report.md\n"
	"  contrace report --from /var/tmp/recording exp\n"
	"\n"
	"OPTIONS:";

static const struct argp_option options[] = {
	{ "from", 'f', "OUT", 0, "The recorder's windows.jsonl (default: the snapshots' source)" },
	{},
};

static error_t parse_opt(int key, char *arg, struct argp_state *st)
{
	struct report_opts *o = st->input;

	switch (key) {
	case 'f':
		o->from = arg;
		break;
	case ARGP_KEY_ARG:
		if (o->dir)
			argp_error(st, "one DIR only (got '%s' and '%s')", o->dir, arg);
		o->dir = arg;
		break;
	case ARGP_KEY_END:
		if (!o->dir)
			argp_error(st, "DIR is missing");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int cmd_report(int argc, char **argv)
{
	static const struct argp argp = { options, parse_opt, "DIR", doc };
	struct report_opts o = { 0 };
	struct report r;
	int err;

	argp_err_exit_status = 2;
	if (argp_parse(&argp, argc, argv, 0, NULL, &o))
		return 2;
	err = report__load(&r, o.dir, o.from);
	if (!err) {
		report__judge(&r);
		err = report__write(&r);
	}
	if (!err) {
		size_t i;
		json_t *v;

		printf("report: %s/analysis/report.md\n", o.dir);
		json_array_foreach(r.verdicts, i, v)
			printf("  %-72s %s (%s)\n", json_string_value(json_object_get(v, "question")),
			       json_string_value(json_object_get(v, "answer")),
			       json_string_value(json_object_get(v, "confidence")));
	}
	report__free(&r);
	return err ? 1 : 0;
}
