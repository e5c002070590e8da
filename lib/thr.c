/*
 * thr.c - threshold and range parsing (see thr.h).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "num.h"
#include "thr.h"
#include "banned.h"

static int ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && strcmp(s + a - b, suf) == 0;
}

enum thr_unit thr_metric_unit(const char *m)
{
	if (strcmp(m, "p50") == 0 || strcmp(m, "p90") == 0 ||
	    strcmp(m, "p99") == 0 || ends_with(m, "_ms") ||
	    ends_with(m, "latency") || strcmp(m, "oldest_pending") == 0 ||
	    ends_with(m, "_age"))
		return THR_MS;
	if (ends_with(m, "_rate") || ends_with(m, "_ratio"))
		return THR_FRACTION;
	return THR_PLAIN;
}

const char *thr_op_name(enum thr_op op)
{
	static const char *const n[] = { "<", "<=", ">", ">=", "==", "!=" };

	return n[op];
}

/* A finite decimal number at s; *end after it.  0 or -1.  Thresholds
 * take no exponent; ranges do, as both plugin libraries read them. */
static int number(const char *s, int exponent, double *v, const char **end)
{
	char *e;

	*end = s;     /* on failure: the byte to blame */
	if (!(*s == '-' || *s == '+' || *s == '.' || (*s >= '0' && *s <= '9')))
		return -1;
	errno = 0;
	*v = strtod(s, &e);
	if (e == s || errno || !isfinite(*v))
		return -1;
	/* strtod takes hex, inf and nan too; neither grammar does */
	for (const char *p = s; p < e; p++)
		if (*p == 'x' || *p == 'X' || *p == 'n' || *p == 'N' ||
		    *p == 'i' || *p == 'I' || *p == 'p' || *p == 'P' ||
		    (!exponent && (*p == 'e' || *p == 'E'))) {
			*end = p;
			return -1;
		}
	*end = e;
	return 0;
}

int thr_parse(const char *s, struct thr *t, struct rd_err *err)
{
	const char *p = s, *e;
	size_t n;
	double v;

	memset(t, 0, sizeof(*t));
	snprintf(t->text, sizeof(t->text), "%s", s);
	while (*p == ' ')
		p++;
	for (n = 0; (p[n] >= 'a' && p[n] <= 'z') || p[n] == '_' ||
		    (n && p[n] >= '0' && p[n] <= '9'); n++)
		;
	if (n == 0 || n >= sizeof(t->metric))
		return rd_err_set(err, RD_E_INVAL,
				  "threshold '%s': expected a metric name at byte %zu (like p99<250ms)",
				  s, (size_t)(p - s));
	memcpy(t->metric, p, n);
	p += n;
	while (*p == ' ')
		p++;
	if (p[0] == '<' && p[1] == '=') { t->op = THR_LE; p += 2; }
	else if (p[0] == '>' && p[1] == '=') { t->op = THR_GE; p += 2; }
	else if (p[0] == '=' && p[1] == '=') { t->op = THR_EQ; p += 2; }
	else if (p[0] == '!' && p[1] == '=') { t->op = THR_NE; p += 2; }
	else if (p[0] == '<') { t->op = THR_LT; p++; }
	else if (p[0] == '>') { t->op = THR_GT; p++; }
	else
		return rd_err_set(err, RD_E_INVAL,
				  "threshold '%s': expected <, <=, >, >=, == or != at byte %zu",
				  s, (size_t)(p - s));
	while (*p == ' ')
		p++;
	if (number(p, 0, &v, &e) < 0)
		return rd_err_set(err, RD_E_INVAL,
				  "threshold '%s': expected a number at byte %zu",
				  s, (size_t)(e - s));
	t->unit = thr_metric_unit(t->metric);
	if (t->unit == THR_MS) {
		if (*e == '\0' || strcmp(e, "ms") == 0)
			t->value = v;
		else if (strcmp(e, "s") == 0)
			t->value = v * 1000;
		else if (strcmp(e, "m") == 0)
			t->value = v * 60000;
		else if (strcmp(e, "h") == 0)
			t->value = v * 3600000;
		else
			return rd_err_set(err, RD_E_INVAL,
					  "threshold '%s': %s is a latency: use ms, s, m or h at byte %zu",
					  s, t->metric, (size_t)(e - s));
	} else if (t->unit == THR_FRACTION) {
		if (strcmp(e, "%") == 0)
			t->value = v / 100;
		else if (*e == '\0')
			t->value = v;
		else
			return rd_err_set(err, RD_E_INVAL,
					  "threshold '%s': %s is a share: use a percentage (1%%) or a fraction at byte %zu",
					  s, t->metric, (size_t)(e - s));
		if (t->value < 0 || t->value > 1)
			return rd_err_set(err, RD_E_INVAL,
					  "threshold '%s': a share is between 0%% and 100%%", s);
	} else {
		if (*e != '\0' && strchr("msh%", *e) &&
		    (e[1] == '\0' || strcmp(e, "ms") == 0))
			return rd_err_set(err, RD_E_INVAL,
					  "threshold '%s': %s is a number: '%s' at byte %zu is a unit it does not take",
					  s, t->metric, e, (size_t)(e - s));
		if (*e != '\0')
			return rd_err_set(err, RD_E_INVAL,
					  "threshold '%s': unexpected '%s' at byte %zu",
					  s, e, (size_t)(e - s));
		t->value = v;
	}
	return 0;
}

int thr_holds(const struct thr *t, double v)
{
	if (isnan(v))
		return 0;
	switch (t->op) {
	case THR_LT: return v < t->value;
	case THR_LE: return v <= t->value;
	case THR_GT: return v > t->value;
	case THR_GE: return v >= t->value;
	case THR_EQ: return v == t->value;
	case THR_NE: return v != t->value;
	}
	return 0;
}

const char *thr_fmt(double v, enum thr_unit u, char *buf, size_t n)
{
	char d[NUM_LEN];

	if (isnan(v))
		snprintf(buf, n, "none");
	else if (u == THR_MS)
		snprintf(buf, n, "%sms", num_fixed(v, 1, d, sizeof(d)));
	else if (u == THR_FRACTION)
		snprintf(buf, n, "%s%%", num_fixed(num_scale10(v, 2), 2, d, sizeof(d)));
	else
		num_fmt(v, NUM_TEXT, buf, n);
	return buf;
}

/* One end of a range at *p: a number, with a '%' after it ignored (the C
 * library ignores anything after the number; "1:12%" is in its tests).
 * *p moves past it.  0 or -1. */
static int range_end(const char **p, double *v)
{
	const char *e;

	if (number(*p, 1, v, &e) < 0)
		return -1;
	if (*e == '%')
		e++;
	*p = e;
	return 0;
}

int thr_range_parse(const char *s, struct thr_range *r, struct rd_err *err)
{
	const char *p = s, *colon;

	memset(r, 0, sizeof(*r));
	snprintf(r->text, sizeof(r->text), "%s", s);
	if (*p == '@') {
		r->inside = 1;
		p++;
	}
	r->lo = 0;
	r->hi = INFINITY;
	colon = strchr(p, ':');
	if (colon) {
		if (p == colon) {
			/* ":5.75" is 0..5.75; ":" alone names no bound */
			if (colon[1] == '\0')
				goto bad_number;
		} else if (p[0] == '~' && p + 1 == colon) {
			r->lo = -INFINITY;
		} else if (range_end(&p, &r->lo) < 0) {
			goto bad_number;
		} else if (p != colon) {
			goto bad_byte;
		}
		p = colon + 1;
		if (*p == '\0')
			return 0;
	}
	if (range_end(&p, &r->hi) < 0)
		goto bad_number;
	if (*p != '\0')
		goto bad_byte;
	if (r->hi < r->lo)
		return rd_err_set(err, RD_E_INVAL, "range '%s': the start is above the end", s);
	return 0;
bad_number:
	return rd_err_set(err, RD_E_INVAL,
			  "range '%s': expected a number at byte %zu (the form is [@][START:][END], e.g. 10, 10:, ~:10, 10:20 or @10:20)",
			  s, (size_t)(p - s));
bad_byte:
	return rd_err_set(err, RD_E_INVAL,
			  "range '%s': unexpected '%c' at byte %zu (the form is [@][START:][END], e.g. 10, 10:, ~:10, 10:20 or @10:20)",
			  s, *p, (size_t)(p - s));
}

int thr_range_alert(const struct thr_range *r, double v)
{
	int in = v >= r->lo && v <= r->hi;

	return r->inside ? in : !in;
}

int thr_status(const struct thr_range *warn, const struct thr_range *crit,
	       double v)
{
	/* no value cannot be shown inside a range: it alerts the worst
	 * one given, as an unreadable source is critical */
	if (isnan(v))
		return crit ? 2 : warn ? 1 : 0;
	if (crit && thr_range_alert(crit, v))
		return 2;
	if (warn && thr_range_alert(warn, v))
		return 1;
	return 0;
}

void thr_range_fmt(const struct thr_range *r, struct buf *out)
{
	if (r->inside)
		buf_addc(out, '@');
	if (r->lo == -INFINITY) {
		buf_adds(out, "~:");
	} else if (r->lo != 0 || r->hi == INFINITY) {
		/* "0:" keeps its colon: a bare "" would be no range at all */
		num_add(out, r->lo, NUM_PERF);
		buf_addc(out, ':');
	}
	if (r->hi != INFINITY)
		num_add(out, r->hi, NUM_PERF);
}
