/*
 * num.c - the shortest round-trip decimal of a double, and the styles it
 * is written in (see num.h).
 *
 * How the digits are found: for p = 1, 2, ... 17 significant digits,
 * printf's correctly rounded "%.*e" gives the p-digit decimal nearest to
 * v; the first one strtod reads back to v is the shortest.  17 digits
 * always read back (IEEE 754 binary64), so the loop ends.  One more case
 * makes it truly the shortest: just above a power of two the doubles
 * below are closer together than those above, so the nearest p-digit
 * decimal can fall outside v's rounding interval on the narrow side while
 * its neighbour on the wide side is inside; both neighbours are tried
 * before p grows.  Integers below 2^53 take a direct path: their digits
 * are already the shortest.
 *
 * Invariant: every string written here goes back through strtod to the
 * same double (tests/unit/test_num.c checks it over random doubles).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "num.h"
#include "banned.h"

/* A positive finite decimal: 0.D x 10^pt, D without trailing zeros. */
struct dec {
	char d[24];
	int nd;
	int pt;
};

/* The candidate m x 10^e reads back to a? */
static int reads_back(unsigned long long m, int e, double a)
{
	char s[48];

	snprintf(s, sizeof(s), "%llue%d", m, e);
	return strtod(s, NULL) == a;
}

static void dec_set(struct dec *x, unsigned long long m, int e)
{
	x->nd = snprintf(x->d, sizeof(x->d), "%llu", m);
	x->pt = x->nd + e;
	while (x->nd > 1 && x->d[x->nd - 1] == '0')
		x->d[--x->nd] = '\0';
}

/* The shortest decimal of a, which is finite and above zero. */
static void shortest(double a, struct dec *x)
{
	char s[40];

	if (a < 9007199254740992.0 && a == floor(a)) {
		dec_set(x, (unsigned long long)a, 0);
		return;
	}
	for (int p = 1; p <= 17; p++) {
		unsigned long long m = 0;
		char *q;
		int e;

		/* "d.ddde±x": p digits, then the exponent of the first */
		snprintf(s, sizeof(s), "%.*e", p - 1, a);
		for (q = s; *q != 'e'; q++)
			if (*q != '.')
				m = m * 10 + (unsigned long long)(*q - '0');
		e = (int)strtol(q + 1, NULL, 10) - (p - 1);
		if (strtod(s, NULL) == a || p == 17) {
			dec_set(x, m, e);
			return;
		}
		if (reads_back(m - 1, e, a)) {
			dec_set(x, m - 1, e);
			return;
		}
		if (reads_back(m + 1, e, a)) {
			dec_set(x, m + 1, e);
			return;
		}
	}
}

static void zeros(char *o, size_t *k, int n)
{
	for (; n > 0; n--)
		o[(*k)++] = '0';
}

/* x as text into o (NUM_LEN bytes): plain decimal, or with an exponent
 * when `expo` and the magnitude is outside [1e-6, 1e21). */
static void dec_write(const struct dec *x, int neg, int expo, char *o)
{
	size_t k = 0;
	int n = x->pt;

	if (neg)
		o[k++] = '-';
	if (expo && (n > 21 || n <= -6)) {
		o[k++] = x->d[0];
		if (x->nd > 1) {
			o[k++] = '.';
			memcpy(o + k, x->d + 1, (size_t)x->nd - 1);
			k += (size_t)x->nd - 1;
		}
		snprintf(o + k, NUM_LEN - k, "e%c%d", n - 1 < 0 ? '-' : '+', abs(n - 1));
		return;
	}
	if (n >= x->nd) {                  /* an integer */
		memcpy(o + k, x->d, (size_t)x->nd);
		k += (size_t)x->nd;
		zeros(o, &k, n - x->nd);
	} else if (n > 0) {                /* the point inside the digits */
		memcpy(o + k, x->d, (size_t)n);
		k += (size_t)n;
		o[k++] = '.';
		memcpy(o + k, x->d + n, (size_t)(x->nd - n));
		k += (size_t)(x->nd - n);
	} else {                           /* 0.000ddd */
		o[k++] = '0';
		o[k++] = '.';
		zeros(o, &k, -n);
		memcpy(o + k, x->d, (size_t)x->nd);
		k += (size_t)x->nd;
	}
	o[k] = '\0';
}

static const char *non_finite(double v, enum num_style st)
{
	static const char *const words[][3] = {
		[NUM_TEXT] = { "nan", "inf", "-inf" },
		[NUM_JSON] = { "null", "null", "null" },
		[NUM_PROM] = { "NaN", "+Inf", "-Inf" },
		[NUM_PERF] = { "U", "U", "U" },
	};

	return words[st][isnan(v) ? 0 : v > 0 ? 1 : 2];
}

/* v in style st into o, which has NUM_LEN bytes. */
static void write_num(double v, enum num_style st, char *o)
{
	struct dec x;

	if (!isfinite(v)) {
		snprintf(o, NUM_LEN, "%s", non_finite(v, st));
		return;
	}
	if (v == 0) {
		snprintf(o, NUM_LEN, "%s", signbit(v) ? "-0" : "0");
		return;
	}
	shortest(fabs(v), &x);
	dec_write(&x, v < 0, st != NUM_PERF, o);
}

const char *num_fmt(double v, enum num_style st, char *buf, size_t n)
{
	char o[NUM_LEN];

	write_num(v, st, o);
	snprintf(buf, n, "%s", o);
	return buf;
}

void num_add(struct buf *b, double v, enum num_style st)
{
	char o[NUM_LEN];

	write_num(v, st, o);
	buf_adds(b, o);
}

const char *num_bytes(uint64_t v, char *buf, size_t n)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double x = (double)v;
	char d[NUM_LEN];
	int u = -1;

	if (v < 1024) {
		snprintf(buf, n, "%llu B", (unsigned long long)v);
		return buf;
	}
	/* the unit that the number, rounded to a tenth, stays below 1024 in */
	while (x >= 1023.95 && u < 5) {
		x /= 1024;
		u++;
	}
	snprintf(buf, n, "%s %s", num_fixed(x, 1, d, sizeof(d)), unit[u]);
	return buf;
}

const char *num_fixed(double v, int decimals, char *buf, size_t n)
{
	char o[NUM_LEN];
	size_t k;

	if (!isfinite(v))
		return num_fmt(v, NUM_TEXT, buf, n);
	if (decimals < 0)
		decimals = 0;
	if (decimals > 20)
		decimals = 20;
	snprintf(o, sizeof(o), "%.*f", decimals, v);
	/* a negative number that rounds to zero is zero for a reader */
	k = strspn(o + (o[0] == '-'), "0.");
	snprintf(buf, n, "%s", o + (o[0] == '-' && o[1 + k] == '\0'));
	return buf;
}

double num_scale10(double v, int k)
{
	struct dec x;
	char s[64];

	if (!isfinite(v) || v == 0 || k == 0)
		return v;
	shortest(fabs(v), &x);
	snprintf(s, sizeof(s), "%s0.%se%d", v < 0 ? "-" : "", x.d, x.pt + k);
	return strtod(s, NULL);
}
