// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "svg.h"

const char *const svg_colors[] = { "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
				   "#8c564b", "#e377c2", "#17becf" };
const size_t svg_ncolors = sizeof(svg_colors) / sizeof(svg_colors[0]);

#define W 900
#define H 360
#define L 80	/* plot area: left, right, top, bottom margins */
#define R 170
#define T 40
#define B 50

double svg__tick(double max, int ticks)
{
	double raw = max / ticks, mag, steps[] = { 1, 2, 5, 10 };

	if (!(raw > 0) || !isfinite(raw))
		return 1;
	mag = pow(10, floor(log10(raw)));
	for (int i = 0; i < 4; i++)
		if (steps[i] * mag >= raw)
			return steps[i] * mag;
	return 10 * mag;
}

/* XML-escape a label. */
static void text(struct ct_buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '<')
			ct_buf_printf(b, "&lt;");
		else if (*s == '>')
			ct_buf_printf(b, "&gt;");
		else if (*s == '&')
			ct_buf_printf(b, "&amp;");
		else if (*s == '"')
			ct_buf_printf(b, "&quot;");
		else
			ct_buf_add(b, s, 1);
	}
}

static double ymax_of(const struct svg_chart *c)
{
	double m = 0;

	for (size_t s = 0; s < c->nseries; s++)
		for (size_t i = 0; i < c->series[s].n; i++)
			if (isfinite(c->series[s].y[i]) && c->series[s].y[i] > m)
				m = c->series[s].y[i];
	return m > 0 ? m : 1;
}

static void axes(const struct svg_chart *c, struct ct_buf *b, double xmax, double ymax,
		 double xstep, double ystep)
{
	double pw = W - L - R, ph = H - T - B;

	for (double y = 0; y <= ymax + ystep / 1e6; y += ystep) {
		double py = T + ph - y / ymax * ph;

		ct_buf_printf(b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>\n"
			      "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
			      L, py, W - R, py, L - 6, py + 4, y);
	}
	for (double x = 0; x <= xmax + xstep / 1e6; x += xstep) {
		double px = L + x / xmax * pw;

		ct_buf_printf(b, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#999\"/>\n"
			      "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%g</text>\n",
			      px, H - B, px, H - B + 5, px, H - B + 18, x);
	}
	ct_buf_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" "
		      "stroke=\"#333\"/>\n", L, T, pw, ph);
	ct_buf_printf(b, "<text x=\"%.0f\" y=\"%d\" text-anchor=\"middle\">seconds since the "
		      "recording started</text>\n", L + pw / 2, H - 12);
	ct_buf_printf(b, "<text x=\"16\" y=\"%.0f\" text-anchor=\"middle\" transform=\"rotate(-90 "
		      "16 %.0f)\">", T + ph / 2, T + ph / 2);
	text(b, c->ylabel);
	ct_buf_printf(b, "</text>\n<text x=\"%d\" y=\"24\" font-size=\"16\" font-weight=\"bold\">",
		      L);
	text(b, c->title);
	ct_buf_printf(b, "</text>\n");
}

static void series(const struct svg_chart *c, struct ct_buf *b, double xmax, double ymax)
{
	double pw = W - L - R, ph = H - T - B;
	size_t legend = 0;

	for (size_t s = 0; s < c->nseries; s++) {
		const struct svg_series *sr = &c->series[s];
		const char *color = svg_colors[sr->color % svg_ncolors];
		bool open = false;

		for (size_t i = 0; i < sr->n; i++) {
			double px = L + sr->x[i] / xmax * pw, py = T + ph - sr->y[i] / ymax * ph;

			if (!isfinite(sr->y[i]) || sr->x[i] < 0 || sr->x[i] > xmax) {
				if (open && !sr->join)
					ct_buf_printf(b, "\"/>\n");
				open = open && sr->join;
				continue;
			}
			if (sr->dots) {
				ct_buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\" "
					      "fill-opacity=\"0.3\"/>\n", px, py, color);
				continue;
			}
			if (!open)
				ct_buf_printf(b, "<polyline fill=\"none\" stroke=\"%s\" "
					      "stroke-width=\"2.5\" points=\"", color);
			ct_buf_printf(b, "%.1f,%.1f ", px, py);
			open = true;
		}
		if (open)
			ct_buf_printf(b, "\"/>\n");
		if (sr->dots)
			continue;
		ct_buf_printf(b, "<rect x=\"%d\" y=\"%zu\" width=\"14\" height=\"14\" fill=\"%s\"/>\n"
			      "<text x=\"%d\" y=\"%zu\">", W - R + 14, T + 4 + legend * 22, color,
			      W - R + 34, T + 16 + legend * 22);
		text(b, sr->name);
		ct_buf_printf(b, "</text>\n");
		legend++;
	}
}

/*
 * Marker labels sit inside the plot, right of their line unless that would run into the plot's
 * edge or into another marker's line; then left. Close markers (a snapshot and a job's start)
 * stay readable.
 */
static bool label_left(const struct svg_chart *c, size_t m, double px, double xmax)
{
	double pw = W - L - R, width = 7.0 * (double)strlen(c->markers[m].label) + 6;

	if (px + width > W - R)
		return true;
	for (size_t o = 0; o < c->nmarkers; o++) {
		double ox = L + c->markers[o].x / xmax * pw;

		if (o != m && ox > px && ox < px + width)
			return true;
	}
	return false;
}

static void markers(const struct svg_chart *c, struct ct_buf *b, double xmax)
{
	double pw = W - L - R;

	for (size_t m = 0; m < c->nmarkers; m++) {
		double px = L + c->markers[m].x / xmax * pw;
		bool left;

		if (c->markers[m].x < 0 || c->markers[m].x > xmax)
			continue;
		left = label_left(c, m, px, xmax);
		ct_buf_printf(b, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#444\" "
			      "stroke-dasharray=\"6,4\"/>\n<text x=\"%.1f\" y=\"%d\" "
			      "text-anchor=\"%s\" fill=\"#444\">", px, T, px, H - B,
			      left ? px - 3 : px + 3, T + 14 + (int)(m % 2) * 14, left ? "end" : "start");
		text(b, c->markers[m].label);
		ct_buf_printf(b, "</text>\n");
	}
}

void svg__chart(const struct svg_chart *c, struct ct_buf *b)
{
	double xmax = c->xmax > 0 ? c->xmax : 1, ymax = ymax_of(c);
	double xstep = svg__tick(xmax, 8), ystep = svg__tick(ymax * 1.05, 5);

	ymax = ceil(ymax * 1.05 / ystep) * ystep;
	xmax = ceil(xmax / xstep) * xstep;
	ct_buf_printf(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		      "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n"
		      "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n", W, H, W, H);
	axes(c, b, xmax, ymax, xstep, ystep);
	markers(c, b, xmax);
	series(c, b, xmax, ymax);
	ct_buf_printf(b, "</svg>\n");
}

void svg__bars(const struct svg_bars *c, struct ct_buf *b)
{
	double pw = W - L - R, ph = H - T - B, ymax = 0, ystep, slot, bw;

	for (size_t k = 0; k < c->ncats; k++) {
		double sum = 0;

		for (size_t s = 0; s < c->nstacks; s++)
			sum += isfinite(c->v[k * c->nstacks + s]) ? c->v[k * c->nstacks + s] : 0;
		ymax = fmax(ymax, sum);
		if (c->mark && isfinite(c->mark[k]))
			ymax = fmax(ymax, c->mark[k]);
	}
	ymax = ymax > 0 ? ymax : 1;
	ystep = svg__tick(ymax * 1.05, 5);
	ymax = ceil(ymax * 1.05 / ystep) * ystep;
	slot = pw / (double)(c->ncats ? c->ncats : 1);
	bw = slot * 0.5;
	ct_buf_printf(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		      "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n"
		      "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n", W, H, W, H);
	for (double y = 0; y <= ymax + ystep / 1e6; y += ystep) {
		double py = T + ph - y / ymax * ph;

		ct_buf_printf(b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>\n"
			      "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
			      L, py, W - R, py, L - 6, py + 4, y);
	}
	for (size_t k = 0; k < c->ncats; k++) {
		double x = L + slot * ((double)k + 0.5) - bw / 2, y = T + ph;

		for (size_t s = 0; s < c->nstacks; s++) {
			double v = c->v[k * c->nstacks + s], h;

			if (!isfinite(v) || v <= 0)
				continue;
			h = v / ymax * ph;
			y -= h;
			ct_buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
				      "fill=\"%s\"/>\n", x, y, bw, h, svg_colors[s % svg_ncolors]);
		}
		if (c->mark && isfinite(c->mark[k])) {
			double py = T + ph - c->mark[k] / ymax * ph;

			ct_buf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
				      "stroke=\"#000\" stroke-width=\"2\" stroke-dasharray=\"6,4\"/>\n",
				      x - 10, py, x + bw + 10, py);
		}
		ct_buf_printf(b, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">",
			      x + bw / 2, H - B + 18);
		text(b, c->cats[k]);
		ct_buf_printf(b, "</text>\n");
	}
	ct_buf_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" "
		      "stroke=\"#333\"/>\n", L, T, pw, ph);
	if (c->xlabel) {
		ct_buf_printf(b, "<text x=\"%.0f\" y=\"%d\" text-anchor=\"middle\">", L + pw / 2,
			      H - 12);
		text(b, c->xlabel);
		ct_buf_printf(b, "</text>\n");
	}
	ct_buf_printf(b, "<text x=\"16\" y=\"%.0f\" text-anchor=\"middle\" transform=\"rotate(-90 "
		      "16 %.0f)\">", T + ph / 2, T + ph / 2);
	text(b, c->ylabel);
	ct_buf_printf(b, "</text>\n<text x=\"%d\" y=\"24\" font-size=\"16\" font-weight=\"bold\">",
		      L);
	text(b, c->title);
	ct_buf_printf(b, "</text>\n");
	/* legend: top of the stack first, as the bars read */
	for (size_t s = 0; s < c->nstacks; s++) {
		size_t row = c->nstacks - 1 - s;

		ct_buf_printf(b, "<rect x=\"%d\" y=\"%zu\" width=\"14\" height=\"14\" fill=\"%s\"/>\n"
			      "<text x=\"%d\" y=\"%zu\">", W - R + 14, T + 4 + row * 22,
			      svg_colors[s % svg_ncolors], W - R + 34, T + 16 + row * 22);
		text(b, c->stacks[s]);
		ct_buf_printf(b, "</text>\n");
	}
	if (c->mark && c->mark_label) {
		size_t row = c->nstacks;

		ct_buf_printf(b, "<line x1=\"%d\" y1=\"%zu\" x2=\"%d\" y2=\"%zu\" stroke=\"#000\" "
			      "stroke-width=\"2\" stroke-dasharray=\"6,4\"/>\n<text x=\"%d\" y=\"%zu\">",
			      W - R + 10, T + 11 + row * 22, W - R + 30, T + 11 + row * 22, W - R + 34,
			      T + 16 + row * 22);
		text(b, c->mark_label);
		ct_buf_printf(b, "</text>\n");
	}
	ct_buf_printf(b, "</svg>\n");
}
