// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* contrace pstats: read a cProfile output file (plain or gzipped) without Python. */
#include <argp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "pstats.h"
#include "util.h"

struct pstats_opts {
	const char *file;
	enum pstats_key key;
	long top;
	double per;
	bool raw;
};

static const char doc[] =
	"Print the hottest functions of a Python cProfile output file, plain or gzipped.\n"
	"\n"
	"USAGE: contrace pstats [OPTION...] FILE\n"
	"\n"
	"EXAMPLES:\n"
	"  contrace pstats jobA_t0_profile.stats                # top 20 by cumulative time\n"
	"  contrace pstats -s tottime -n 40 jobA_t1_profile.stats.gz\n"
	"  contrace pstats --per 26562 job.stats                # also per unit of work (asset)\n"
	"\n"
	"OPTIONS:";

static const struct argp_option options[] = {
	{ "sort", 's', "KEY", 0, "cumulative (default), tottime or calls" },
	{ "top", 'n', "N", 0, "How many functions (default 20; 0: all)" },
	{ "per", 'p', "UNITS", 0, "Also show times per unit of work: total units processed" },
	{ "raw", 'r', NULL, 0, "Machine-readable: every number exact (%.17g)" },
	{},
};

static error_t parse_opt(int key, char *arg, struct argp_state *st)
{
	struct pstats_opts *o = st->input;

	switch (key) {
	case 's':
		if (!strcmp(arg, "cumulative") || !strcmp(arg, "cumtime"))
			o->key = PSTATS_CUMULATIVE;
		else if (!strcmp(arg, "tottime") || !strcmp(arg, "time"))
			o->key = PSTATS_TOTTIME;
		else if (!strcmp(arg, "calls") || !strcmp(arg, "ncalls"))
			o->key = PSTATS_CALLS;
		else
			argp_error(st, "--sort '%s': use cumulative, tottime or calls", arg);
		break;
	case 'n':
		if (ct_parse_long("--top", arg, 0, 100000000, &o->top))
			exit(2);
		break;
	case 'p':
		if (ct_parse_double("--per", arg, 1, 1e15, &o->per))
			exit(2);
		break;
	case 'r':
		o->raw = true;
		break;
	case ARGP_KEY_ARG:
		if (o->file)
			argp_error(st, "one FILE at a time");
		o->file = arg;
		break;
	case ARGP_KEY_END:
		if (!o->file)
			argp_error(st, "no FILE given");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static void print_raw(const struct pstats *ps, const size_t *idx, size_t n)
{
	char name[8192];

	printf("total %lld %lld %.17g\n", (long long)ps->total_calls, (long long)ps->prim_calls,
	       ps->total_tt);
	for (size_t i = 0; i < n; i++) {
		const struct pstats_func *f = &ps->f[idx[i]];

		pstats__name(f, name, sizeof(name));
		printf("%lld %lld %.17g %.17g %s\n", (long long)f->nc, (long long)f->cc, f->tt,
		       f->ct, name);
	}
}

static void print_table(const struct pstats_opts *o, const struct pstats *ps, const size_t *idx,
			size_t n)
{
	static const char *const keys[] = { "cumulative time", "internal time", "call count" };
	char name[8192], calls[48];

	printf("%s: %lld function calls (%lld primitive calls) in %.3f seconds\n", o->file,
	       (long long)ps->total_calls, (long long)ps->prim_calls, ps->total_tt);
	printf("Ordered by: %s; %zu of %zu functions\n\n", keys[o->key], n, ps->n);
	printf("%15s %9s %9s %9s %9s", "ncalls", "tottime", "percall", "cumtime", "percall");
	if (o->per)
		printf(" %11s %11s", "tot/unit", "cum/unit");
	printf(" %s\n", "filename:lineno(function)");
	for (size_t i = 0; i < n; i++) {
		const struct pstats_func *f = &ps->f[idx[i]];

		if (f->nc != f->cc)
			snprintf(calls, sizeof(calls), "%lld/%lld", (long long)f->nc, (long long)f->cc);
		else
			snprintf(calls, sizeof(calls), "%lld", (long long)f->nc);
		pstats__name(f, name, sizeof(name));
		printf("%15s %9.3f %9.3f %9.3f %9.3f", calls, f->tt, f->nc ? f->tt / f->nc : 0,
		       f->ct, f->cc ? f->ct / f->cc : 0);
		if (o->per)
			printf(" %9.3fms %9.3fms", f->tt * 1e3 / o->per, f->ct * 1e3 / o->per);
		printf(" %s\n", name);
	}
}

int cmd_pstats(int argc, char **argv)
{
	static const struct argp argp = { options, parse_opt, "FILE", doc };
	struct pstats_opts o = { .key = PSTATS_CUMULATIVE, .top = 20 };
	struct pstats ps;
	char why[512];
	size_t *idx, n;

	argp_err_exit_status = 2;
	if (argp_parse(&argp, argc, argv, 0, NULL, &o))
		return 2;
	if (pstats__load(o.file, &ps, why, sizeof(why))) {
		ct_err("cannot read profile %s: %s", o.file, why);
		return 1;
	}
	idx = pstats__sorted(&ps, o.key);
	if (!idx) {
		pstats__free(&ps);
		return 1;
	}
	n = o.top && (size_t)o.top < ps.n ? (size_t)o.top : ps.n;
	if (o.raw)
		print_raw(&ps, idx, n);
	else
		print_table(&o, &ps, idx, n);
	free(idx);
	pstats__free(&ps);
	return 0;
}
