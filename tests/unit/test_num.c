/* Unit tests for lib/num: the shortest round-trip decimal in each style,
 * fixed decimals for people, decimal scaling, and the round trip over
 * many random doubles. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "num.h"
#include "t.h"

struct ncase {
	double v;
	const char *text;   /* NUM_TEXT; NUM_JSON and NUM_PROM too when finite */
	const char *perf;   /* NUM_PERF; NULL: a long string checked below */
};

/* xorshift64: the same doubles on every run */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* s reads back (strtod) to exactly v, sign of zero included. */
static int reads_back(const char *s, double v)
{
	char *e;
	double r = strtod(s, &e);

	return *e == '\0' && e != s && r == v && signbit(r) == signbit(v);
}

/* Digits from the first nonzero one to the last: 1500 and 0.0015 have 2. */
static size_t sig_digits(const char *s)
{
	size_t n = 0, upto = 0;

	for (; *s && *s != 'e'; s++) {
		if (*s < '0' || *s > '9' || (*s == '0' && n == 0))
			continue;
		n++;
		if (*s != '0')
			upto = n;
	}
	return upto;
}

static void table(void)
{
	static const struct ncase cases[] = {
		{ 0, "0", "0" },
		{ -0.0, "-0", "-0" },
		{ 1, "1", "1" },
		{ -1.5, "-1.5", "-1.5" },
		{ 0.1, "0.1", "0.1" },
		{ 0.1 + 0.2, "0.30000000000000004", "0.30000000000000004" },
		{ 1756047.3, "1756047.3", "1756047.3" },
		{ 1.23456789e14, "123456789000000", "123456789000000" },
		{ 123456789012345.67, "123456789012345.67", "123456789012345.67" },
		{ 22.0 / 12, "1.8333333333333333", "1.8333333333333333" },
		{ 0.000001, "0.000001", "0.000001" },
		{ 1.5e-6, "0.0000015", "0.0000015" },
		{ 1e-7, "1e-7", "0.0000001" },
		{ -1.23e-18, "-1.23e-18", "-0.00000000000000000123" },
		{ 1e20, "100000000000000000000", "100000000000000000000" },
		{ 1e21, "1e+21", "1000000000000000000000" },
		{ 1.5e300, "1.5e+300", NULL },
		/* integers: exact up to 2^53, the shortest digits beyond */
		{ 9007199254740991.0, "9007199254740991", "9007199254740991" },
		{ 9007199254740992.0, "9007199254740992", "9007199254740992" },
		{ 9007199254740994.0, "9007199254740994", "9007199254740994" },
		{ 9223372036854775808.0, "9223372036854776000", "9223372036854776000" },
		{ 18446744073709551616.0, "18446744073709552000", "18446744073709552000" },
		{ -4503599627370497.0, "-4503599627370497", "-4503599627370497" },
		{ DBL_MAX, "1.7976931348623157e+308", NULL },
		{ DBL_MIN, "2.2250738585072014e-308", NULL },
		{ 5e-324, "5e-324", NULL },
		/* just above a power of two the nearest 16-digit decimal is
		 * outside the rounding interval, its neighbour is not: printf
		 * alone would need 17 digits here */
		{ 0x1p-1017, "7.120236347223045e-307", NULL },
	};
	char buf[NUM_LEN], want[NUM_LEN];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct ncase *c = &cases[i];

		T_EQ_STR(num_fmt(c->v, NUM_TEXT, buf, sizeof(buf)), c->text, c->text);
		T_EQ_STR(num_fmt(c->v, NUM_JSON, buf, sizeof(buf)), c->text, "JSON");
		T_EQ_STR(num_fmt(c->v, NUM_PROM, buf, sizeof(buf)), c->text, "Prometheus");
		num_fmt(c->v, NUM_PERF, buf, sizeof(buf));
		if (c->perf)
			T_EQ_STR(buf, c->perf, "perfdata");
		T_OK(strspn(buf, "-0123456789.") == strlen(buf), "perfdata is in [-0-9.]");
		T_OK(reads_back(buf, c->v), "perfdata reads back");
	}
	/* the long plain forms */
	snprintf(want, sizeof(want), "0.%0323d5", 0);
	T_EQ_STR(num_fmt(5e-324, NUM_PERF, buf, sizeof(buf)), want, "5e-324 in plain decimal");
	snprintf(want, sizeof(want), "17976931348623157%0292d", 0);
	T_EQ_STR(num_fmt(DBL_MAX, NUM_PERF, buf, sizeof(buf)), want, "DBL_MAX in plain decimal");
	num_fmt(-DBL_MIN, NUM_PERF, buf, sizeof(buf));
	T_OK(strncmp(buf, "-0.000", 6) == 0 && reads_back(buf, -DBL_MIN), "-DBL_MIN");
	/* truncated like snprintf */
	T_EQ_STR(num_fmt(1756047.3, NUM_TEXT, buf, 5), "1756", "a short buffer truncates");
}

static void non_finite(void)
{
	static const struct {
		double v;
		enum num_style st;
		const char *want;
	} cases[] = {
		{ NAN, NUM_TEXT, "nan" }, { INFINITY, NUM_TEXT, "inf" }, { -INFINITY, NUM_TEXT, "-inf" },
		{ NAN, NUM_JSON, "null" }, { INFINITY, NUM_JSON, "null" }, { -INFINITY, NUM_JSON, "null" },
		{ NAN, NUM_PROM, "NaN" }, { INFINITY, NUM_PROM, "+Inf" }, { -INFINITY, NUM_PROM, "-Inf" },
		{ NAN, NUM_PERF, "U" }, { INFINITY, NUM_PERF, "U" }, { -INFINITY, NUM_PERF, "U" },
	};
	char buf[NUM_LEN];
	struct buf b;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		T_EQ_STR(num_fmt(cases[i].v, cases[i].st, buf, sizeof(buf)), cases[i].want,
			 cases[i].want);
	buf_init(&b);
	num_add(&b, 0.5, NUM_JSON);
	buf_addc(&b, ',');
	num_add(&b, NAN, NUM_JSON);
	buf_addc(&b, '\0');
	T_EQ_STR(b.data, "0.5,null", "num_add appends");
	buf_release(&b);
}

static void fixed_and_scaled(void)
{
	static const struct {
		double v;
		int decimals;
		const char *want;
	} fx[] = {
		{ 12.34, 1, "12.3" }, { 12.35, 1, "12.3" }, { 0.125 * 100, 2, "12.50" },
		{ 22.0 / 12, 2, "1.83" }, { 3, 0, "3" }, { 2.5, 0, "2" },
		{ -0.04, 1, "0.0" }, { -0.0, 2, "0.00" }, { -0.06, 1, "-0.1" },
		{ 1756047.3, 1, "1756047.3" }, { NAN, 1, "nan" }, { -INFINITY, 2, "-inf" },
	};
	char buf[NUM_LEN];

	for (size_t i = 0; i < sizeof(fx) / sizeof(fx[0]); i++)
		T_EQ_STR(num_fixed(fx[i].v, fx[i].decimals, buf, sizeof(buf)), fx[i].want,
			 fx[i].want);

	T_OK(0.07 * 100 != 7, "the binary product is not 7 ...");
	T_OK(num_scale10(0.07, 2) == 7, "... the decimal shift is");
	T_OK(num_scale10(-0.07, 2) == -7, "negative");
	T_OK(num_scale10(12.3, -3) == 0.0123, "ms to seconds");
	T_OK(num_scale10(0.1 + 0.2, 1) == 3.0000000000000004, "all the digits are kept");
	T_OK(num_scale10(1e-320, 2) == 1e-318, "subnormal");
	T_OK(isinf(num_scale10(1e308, 10)), "overflow is infinity");
	T_OK(isnan(num_scale10(NAN, 2)), "NaN stays NaN");
	T_OK(num_scale10(0, 5) == 0 && !signbit(num_scale10(0, 5)), "zero stays zero");
}

/* The property: every finite double, in every style, reads back to
 * itself, with no more significant digits than %.17g needs. */
static void round_trip(void)
{
	static const enum num_style st[] = { NUM_TEXT, NUM_JSON, NUM_PROM, NUM_PERF };
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	char buf[NUM_LEN];
	long bad = 0, n = 0, longer = 0;

	for (long i = 0; i < 200000; i++) {
		uint64_t u = rnd(&seed);
		double v;

		/* raw bit patterns cover every exponent; the other two,
		 * numbers as measurements look */
		if (i % 3 == 0)
			memcpy(&v, &u, sizeof(v));
		else if (i % 3 == 1)
			v = (double)(u % 100000000) / 1000;
		else
			v = (double)(u % 100000) * pow(10, (int)(rnd(&seed) % 60) - 30);
		if (!isfinite(v))
			continue;
		n++;
		for (size_t s = 0; s < sizeof(st) / sizeof(st[0]); s++) {
			num_fmt(v, st[s], buf, sizeof(buf));
			if (!reads_back(buf, v))
				bad++;
			if (sig_digits(buf) > 17)
				longer++;
		}
	}
	T_OK(n > 190000, "enough random doubles");
	T_EQ_INT(bad, 0, "every random double reads back to itself in every style");
	T_EQ_INT(longer, 0, "never more than 17 significant digits");
}

/* Sizes for people, in powers of 1024. */
static void bytes(void)
{
	static const struct { uint64_t v; const char *want; } tab[] = {
		{ 0, "0 B" }, { 1023, "1023 B" }, { 1024, "1.0 KiB" },
		{ 1536, "1.5 KiB" }, { 227328, "222.0 KiB" },
		{ 67108864, "64.0 MiB" }, { 1073741823, "1.0 GiB" },
		{ 1073741824, "1.0 GiB" }, { UINT64_MAX, "16.0 EiB" },
	};
	char b[NUM_LEN];

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		T_EQ_STR(num_bytes(tab[i].v, b, sizeof(b)), tab[i].want, tab[i].want);
}

int main(void)
{
	bytes();
	table();
	non_finite();
	fixed_and_scaled();
	round_trip();
	return t_done();
}
