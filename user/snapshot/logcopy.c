// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "logcopy.h"

enum tb_state { TB_NONE, TB_FRAMES, TB_CHAIN };

static bool has(const char *s, size_t n, const char *what)
{
	return memmem(s, n, what, strlen(what)) != NULL;
}

/* Does the line start a traceback ("Traceback (most recent call last):", maybe prefixed)? */
static bool tb_start(const char *s, size_t n)
{
	return has(s, n, "Traceback (most recent call last):");
}

static bool indented(const char *s, size_t n)
{
	return n && (s[0] == ' ' || s[0] == '\t');
}

static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

/* Chained exceptions continue the same traceback block. */
static bool tb_chain(const char *s, size_t n)
{
	return has(s, n, "During handling of the above exception") ||
	       has(s, n, "The above exception was the direct cause");
}

/*
 * Is this line part of a traceback? Frames are indented; the first unindented line after them
 * is the exception; a blank line or a chaining sentence may lead to the next traceback.
 */
static bool in_traceback(enum tb_state *st, const char *s, size_t n, uint64_t *count)
{
	switch (*st) {
	case TB_FRAMES:
		if (indented(s, n))
			return true;
		*st = TB_CHAIN;	/* the exception line itself */
		return true;
	case TB_CHAIN:
		if (blank(s, n) || tb_chain(s, n))
			return true;
		if (tb_start(s, n)) {
			*st = TB_FRAMES;
			return true;
		}
		*st = TB_NONE;
		break;
	case TB_NONE:
		break;
	}
	if (tb_start(s, n)) {
		*st = TB_FRAMES;
		(*count)++;
		return true;
	}
	return false;
}

/* "commit: 1a2b3c4", "Commit=1a2b3c4d...", "branch: main" in the header. */
static void header_fact(const char *s, size_t n, const char *key, char **out)
{
	const char *p = strcasestr(s, key), *v;
	size_t len = 0;

	if (*out || !p || p + strlen(key) > s + n)
		return;
	v = p + strlen(key);
	while (v < s + n && (*v == ':' || *v == '=' || *v == ' ' || *v == '\t'))
		v++;
	while (v + len < s + n && v[len] > ' ' && v[len] != ',' && v[len] != ';' && len < 200)
		len++;
	if (!len || v == p + strlen(key))
		return;
	if (!strcmp(key, "commit")) {
		for (size_t i = 0; i < len; i++)
			if (!strchr("0123456789abcdefABCDEF", v[i]))
				return;
		if (len < 7 || len > 40)
			return;
	}
	*out = strndup(v, len);
}

static int emit(FILE *f, const char *s, size_t n)
{
	return fwrite(s, 1, n, f) != n || fputc('\n', f) == EOF ? (errno ? -errno : -EIO) : 0;
}

static int omitted(FILE *f, uint64_t n)
{
	return n && fprintf(f, "[contrace: %llu lines omitted]\n", (unsigned long long)n) < 0 ?
		       -EIO :
		       0;
}

static void note_progress(struct logcopy_stats *st, const char *raw, size_t n, const char *red,
			  size_t rn)
{
	struct ct_progress p;

	if (progress__parse(raw, n, &p) == CT_PROG_NONE || p.done < 0)
		return;
	st->have_progress = true;
	st->last_progress = p;
	free(st->last_perf_line);
	st->last_perf_line = strndup(red, rn);
}

/*
 * One line of @in, its first @max bytes in *@buf (NUL-terminated, without the newline), however
 * long it is: a 100 MB line costs @max bytes of memory, not 100 MB. Its whole length (without
 * the newline) goes to *@len_all, and whether a newline ended it to *@nl. -1 at the end.
 */
static ssize_t bounded_line(FILE *in, char **buf, size_t *cap, size_t max, uint64_t *len_all,
			    bool *nl)
{
	uint64_t all = 0;
	size_t n = 0;
	int ch = EOF;

	if (*cap < max + 1) {
		char *p = realloc(*buf, max + 1);

		if (!p)
			return -1;
		*buf = p;
		*cap = max + 1;
	}
	while ((ch = getc_unlocked(in)) != EOF && ch != '\n') {
		if (n < max)
			(*buf)[n++] = (char)ch;
		all++;
	}
	(*buf)[n] = '\0';
	*len_all = all;
	*nl = ch == '\n';
	return all || *nl ? (ssize_t)n : -1;
}

int logcopy__run(FILE *in, FILE *log, FILE *perf, const struct logcopy_opts *o,
		 struct logcopy_stats *st)
{
	uint64_t i = 0, gap = 0, all;
	enum tb_state tb = TB_NONE;
	struct ct_buf out = { 0 };
	unsigned kept_lines = o->head_lines + o->tail_lines;
	size_t cap = 0, max_line = LOGCOPY_LINE_MAX;
	char *line = NULL;
	ssize_t n;
	bool nl;
	int err = 0;

	memset(st, 0, sizeof(*st));
	while (bounded_line(in, &line, &cap, 0, &all, &nl) >= 0) {
		st->lines_in++;
		st->bytes_in += all + nl;
	}
	st->trimmed = o->max_bytes && st->bytes_in > o->max_bytes;
	/*
	 * Trimmed, a kept line is cut to its share of --max-log (its first bytes stay: the time
	 * stamp and the message); untrimmed, every line is under the limit already.
	 */
	if (o->max_bytes && !st->trimmed)
		max_line = (size_t)o->max_bytes;
	else if (st->trimmed && kept_lines && o->max_bytes / kept_lines < max_line)
		max_line = o->max_bytes / kept_lines > 256 ? (size_t)(o->max_bytes / kept_lines) : 256;
	rewind(in);
	while (!err && (n = bounded_line(in, &line, &cap, max_line, &all, &nl)) >= 0) {
		size_t len = (size_t)n;
		bool is_perf, keep;

		is_perf = progress__is_perf(line, len);
		keep = in_traceback(&tb, line, len, &st->tracebacks) || is_perf || !st->trimmed ||
		       i < o->head_lines || i + o->tail_lines >= st->lines_in;
		if (i < o->head_lines) {
			header_fact(line, len, "commit", &st->commit);
			header_fact(line, len, "branch", &st->branch);
		}
		i++;
		if (!keep) {
			gap++;
			continue;
		}
		out.len = 0;
		if (o->red)
			redact__line(o->red, line, len, &out);
		else
			ct_buf_add(&out, line, len);
		ct_buf_add(&out, "", 0);	/* out.p is never NULL, even for an empty line */
		if (is_perf) {
			st->perf_lines++;
			note_progress(st, line, len, out.p, out.len);
			if (perf)
				err = emit(perf, out.p, out.len);
		}
		if (!err)
			err = omitted(log, gap);
		gap = 0;
		if (all > len) {
			/* a line cut to its share: the rest is said, not kept */
			ct_buf_printf(&out, " [contrace: %llu bytes of this line omitted]",
				      (unsigned long long)(all - len));
			st->cut_lines++;
		}
		if (!err)
			err = emit(log, out.p, out.len);
		st->lines_out++;
	}
	if (!err)
		err = omitted(log, gap);
	if (!err && ferror(in))
		err = -EIO;
	free(line);
	ct_buf_free(&out);
	return err;
}

void logcopy__stats_free(struct logcopy_stats *st)
{
	free(st->last_perf_line);
	free(st->commit);
	free(st->branch);
	st->last_perf_line = st->commit = st->branch = NULL;
}
