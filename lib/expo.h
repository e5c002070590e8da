/*
 * expo.h - the Prometheus text exposition format, version 0.0.4, read as
 * Prometheus reads it.
 *
 * Prometheus has two readers of this format: the one that scrapes
 * (prometheus/prometheus, model/textparse/promparse.go) and the client
 * library's (prometheus/common, expfmt/text_parse.go).  They disagree at
 * the edges, each refusing some pages the other takes.  A page is read
 * here only when both would read it: whatever either refuses is refused,
 * and one bad line makes the whole page unreadable, naming the line, as a
 * failed scrape does.  What is read:
 *
 *   - lines end in '\n', the last one too; blanks (space, tab) may lead
 *     a comment or a line that starts with '{', never a bare metric name
 *     (the scrape would make them part of it); they may separate the
 *     tokens of a sample anywhere inside braces, between the name and
 *     '{', and after '}', but not follow the value or the timestamp;
 *   - metric names [a-zA-Z_:][a-zA-Z0-9_:]*, label names
 *     [a-zA-Z_][a-zA-Z0-9_]*, or either quoted ("any UTF-8"); a quoted
 *     metric name stands alone inside the braces, {"a.b",x="y"};
 *   - label values in double quotes, any length, valid UTF-8, with the
 *     escapes \\ \" and \n and no raw newline; a trailing comma;
 *   - values as Go's strconv.ParseFloat reads them, without hex and
 *     underscores: 1, -3e3, .5, +1, 08, NaN, +Inf, -inf, Infinity;
 *     never 0x1p-3, 1_000, +NaN, or a value too large for a double;
 *   - an optional timestamp of digits only: int64 milliseconds;
 *   - # HELP name text (UTF-8, escapes \\ \n \"; one per metric), and
 *     # TYPE name counter|gauge|histogram|summary|untyped, lowercase, one
 *     blank before the type and none after, at most one per metric and
 *     never after its samples; other comments are skipped;
 *   - any number of labels per series, each name at most once, never
 *     __name__; in a histogram le, in a summary quantile must be a
 *     value as above, and bucket and _count values of a histogram must
 *     not be negative;
 *   - NUL bytes in label values, HELP text and comments, nowhere else.
 *
 * Deliberately not here: OpenMetrics (# EOF, exemplars, units), the
 * protobuf format, native histograms, and choosing or adding up series
 * (prom.c does that).  Allocation is amortized: the scratch space of one
 * line is reused by the next, and the table of metric families doubles.
 */
#ifndef EXPO_H
#define EXPO_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "rd.h"

/* A metric family's type, from its TYPE line. */
enum expo_type {
	EXPO_UNTYPED,   /* no TYPE line, or "untyped" */
	EXPO_COUNTER,
	EXPO_GAUGE,
	EXPO_HISTOGRAM,
	EXPO_SUMMARY      /* gauge histograms are histograms here */
};

/* Unescaped bytes; a label value may hold NUL bytes (Prometheus keeps
 * them), so always use the lengths. */
struct expo_label {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
};

/*
 * One series as written: a metric name and its labels in the order given.
 * Everything points into the struct's own scratch space, borrowed until
 * the next expo_series_read or expo_series_release.
 */
struct expo_series {
	const char *name;     /* NULL when the text gave none */
	size_t name_len;
	const struct expo_label *labels;
	size_t nlabels;
	/* private: reused by every read */
	struct buf text_;
	struct expo_label *lab_;
	size_t cap_;
};

void expo_series_init(struct expo_series *s);
void expo_series_release(struct expo_series *s);

/*
 * Read `name`, `name{labels}` or `{labels}` (with a quoted name among
 * them) at text[0..len), in the exposition's grammar: blanks around every
 * token inside the braces and before '{', the three escapes, a trailing
 * comma.  A bare name is read up to its last name byte; a '{' after it
 * (blanks between) opens the labels, which end at '}'.  Returns 0 with
 * *used the bytes read.  RD_E_INVAL with *used the offset of the
 * offending byte (len when the text ends too early) and *why a static
 * phrase.  Syntax and encoding only: a missing metric name (s->name is
 * NULL), duplicate label names and __name__ are for the caller to judge.
 */
int expo_series_read(struct expo_series *s, const char *text, size_t len,
		     size_t *used, const char **why);

/*
 * A sample value, label value of le or quantile, as Prometheus reads it
 * (see the top of this file): 0 and *v, or -1 for anything else.
 */
int expo_float(const char *s, size_t n, double *v);

/* qsort order of label pointers (const struct expo_label **) by name. */
int expo_label_cmp(const void *a, const void *b);

struct expo_sample {
	const struct expo_series *series; /* borrowed until fn returns */
	double value;
	int has_ts;
	int64_t ts_ms;
	enum expo_type type;  /* of the family the sample belongs to */
	size_t line;          /* 1-based */
};

/*
 * Read the page text[0..len) and call fn once per sample, in page order.
 * A negative return from fn stops the reading and is returned.  0 when
 * the whole page was read; RD_E_INVAL with err naming the line and what
 * is wrong with it.  Samples before a bad line have been passed to fn
 * already: a caller that must not act on half a page collects first.
 */
/* FNV-1a of p[0..n): the families' table, and a series' identity. */
uint64_t expo_hash(const void *p, size_t n);

int expo_parse(const char *text, size_t len,
	       int (*fn)(void *arg, const struct expo_sample *s), void *arg,
	       struct rd_err *err);

#endif
