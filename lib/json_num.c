/*
 * json_num.c - numbers of a parsed JSON document (see json.h), converted
 * on demand from the source text json_parse kept and validated: exact
 * integers within a range, and doubles rounded as strtod rounds them,
 * without strtod's locale.
 */
#include <float.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "banned.h"

static inline int is_digit(unsigned c)
{
	return c - '0' < 10;
}

/* The parts of a number's source text (which json_parse has validated). */
struct numparts {
	int neg;
	const char *ip, *fp; /* integer and fraction digits */
	size_t ilen, flen;
	long exp;            /* exponent, clamped to +-1000000 */
};

static void split_number(const char *q, struct numparts *np)
{
	int eneg = 0;

	np->neg = *q == '-';
	q += np->neg;
	np->ip = q;
	while (is_digit((unsigned char)*q))
		q++;
	np->ilen = (size_t)(q - np->ip);
	np->fp = q;
	np->flen = 0;
	if (*q == '.') {
		np->fp = ++q;
		while (is_digit((unsigned char)*q))
			q++;
		np->flen = (size_t)(q - np->fp);
	}
	np->exp = 0;
	if (*q == 'e' || *q == 'E') {
		q++;
		if (*q == '+' || *q == '-')
			eneg = *q++ == '-';
		for (; is_digit((unsigned char)*q); q++)
			if (np->exp < 1000000)
				np->exp = np->exp * 10 + (*q - '0');
		if (eneg)
			np->exp = -np->exp;
	}
}

/* Digit i of the significand, the integer digits followed by the fraction. */
static int digit_at(const struct numparts *np, size_t i)
{
	return (i < np->ilen ? np->ip[i] : np->fp[i - np->ilen]) - '0';
}

int json_int(const struct json_val *v, long long min, long long max,
	     long long *out)
{
	struct numparts np;
	size_t total, first, last, i;
	long long e, val;
	uint64_t mag = 0;

	if (!v || v->type != JSON_NUMBER)
		return -1;
	split_number(v->str, &np);
	total = np.ilen + np.flen;
	for (first = 0; first < total && digit_at(&np, first) == 0; first++)
		;
	if (first == total) {
		val = 0;
		goto check;
	}
	for (last = total - 1; digit_at(&np, last) == 0; last--)
		;
	/* value = digits[first..last] * 10^e */
	e = (long long)np.exp - (long long)np.flen + (long long)(total - 1 - last);
	if (e < 0)
		return -1; /* a fraction remains */
	if ((long long)(last - first + 1) + e > 19)
		return -1; /* at least 10^19, beyond any long long */
	for (i = first; i <= last; i++)
		mag = mag * 10 + (uint64_t)digit_at(&np, i);
	for (; e > 0; e--)
		mag *= 10; /* at most 19 digits: below 2^64 */
	if (np.neg) {
		if (mag > (uint64_t)LLONG_MAX + 1)
			return -1;
		val = mag == (uint64_t)LLONG_MAX + 1 ? LLONG_MIN : -(long long)mag;
	} else {
		if (mag > (uint64_t)LLONG_MAX)
			return -1;
		val = (long long)mag;
	}
check:
	if (val < min || val > max)
		return -1;
	*out = val;
	return 0;
}

/*
 * Exact when the significand fits 53 bits and 10^|e| is itself exact
 * (|e| <= 22): one IEEE multiply or divide then rounds correctly.  Needs
 * double arithmetic without excess precision, hence FLT_EVAL_METHOD.
 */
static int num_fast(const struct numparts *np, double *out)
{
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
	static const double p10[] = {
		1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
		1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21,
		1e22,
	};
	size_t total = np->ilen + np->flen, i;
	uint64_t m = 0;
	long long e;
	int sig = 0;
	double r;

	for (i = 0; i < total; i++) {
		int dg = digit_at(np, i);

		if (m == 0 && dg == 0)
			continue;
		if (++sig > 19)
			return -1;
		m = m * 10 + (uint64_t)dg;
	}
	if (m == 0) {
		*out = np->neg ? -0.0 : 0.0;
		return 0;
	}
	e = (long long)np->exp - (long long)np->flen;
	if (m > (1ull << 53) || e < -22 || e > 22)
		return -1;
	r = (double)m;
	r = e < 0 ? r / p10[-e] : r * p10[e];
	*out = np->neg ? -r : r;
	return 0;
#else
	(void)np;
	(void)out;
	return -1;
#endif
}

int json_num(const struct json_val *v, double *out)
{
	struct numparts np;
	locale_t c_loc;
	double r;

	if (!v || v->type != JSON_NUMBER)
		return -1;
	split_number(v->str, &np);
	if (num_fast(&np, &r) == 0) {
		*out = r;
		return 0;
	}
	/* strtod follows LC_NUMERIC; JSON's decimal point is always '.'. */
	c_loc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	if (c_loc) {
		r = strtod_l(v->str, NULL, c_loc);
		freelocale(c_loc);
	} else {
		r = strtod(v->str, NULL);
	}
	if (isinf(r))
		return -1;
	*out = r;
	return 0;
}

