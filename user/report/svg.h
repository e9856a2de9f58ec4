/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Timeline charts as SVG: one line per job over the experiment's time, vertical markers for
 * the snapshots and a job's start. Plain SVG 1.1 with no scripts or fonts to fetch, so it
 * renders the same in a browser, in rsvg-convert and on a CI artifact page.
 */
#ifndef CONTRACE_SVG_H
#define CONTRACE_SVG_H

#include <stdbool.h>
#include <stddef.h>
#include "util.h"

struct svg_series {
	const char *name;
	const double *x, *y;	/* x: seconds from the chart's start; y: NAN leaves a gap... */
	size_t n;
	size_t color;		/* index into svg_colors */
	bool join;		/* ...unless set: the line goes on to the next point */
	bool dots;		/* faint points, no line and no legend entry (raw samples) */
};

struct svg_marker {
	double x;
	const char *label;
};

struct svg_chart {
	const char *title, *ylabel;
	const struct svg_series *series;
	size_t nseries;
	const struct svg_marker *markers;
	size_t nmarkers;
	double xmax;		/* seconds shown */
};

/* The colours used for series i, in order (tests look for them in the rendered picture). */
extern const char *const svg_colors[];
extern const size_t svg_ncolors;

void svg__chart(const struct svg_chart *c, struct ct_buf *out);

/*
 * Bars, one per category, each stacked from values by stack (coloured in order); @mark, when
 * not NULL, draws a dashed level across each bar (NAN: none), named @mark_label in the legend.
 */
struct svg_bars {
	const char *title, *ylabel, *xlabel;
	const char *const *cats;
	size_t ncats;
	const char *const *stacks;
	size_t nstacks;
	const double *v;	/* [cat * nstacks + stack] */
	const double *mark;	/* [cat] */
	const char *mark_label;
};

void svg__bars(const struct svg_bars *c, struct ct_buf *out);
/* The largest "nice" tick step (1, 2, 5 x 10^k) giving at most @ticks steps up to @max. */
double svg__tick(double max, int ticks);

#endif /* CONTRACE_SVG_H */
