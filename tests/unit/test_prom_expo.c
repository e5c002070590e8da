/*
 * Unit tests for the exposition half of lib/prom: selectors, matching and
 * the sum of the series a selector picks from a page (the page reader
 * itself, lib/expo, is in test_expo.c).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "prom.h"
#include "t.h"

static const struct {
	const char *sel;
	int ok;
	const char *why; /* refused: part of the message */
} sels[] = {
	{ "foo", 1, NULL }, { " foo\t", 1, NULL }, { "foo{}", 1, NULL },
	{ "foo {a=\"b\"}", 1, NULL }, { "foo{ a = \"b\" , }", 1, NULL },
	{ "foo{a=\"x\\\"y\\\\z\\nw\"}", 1, NULL }, { "{\"foo.bar\",a=\"b\"}", 1, NULL },
	{ "{__name__=\"foo\"}", 1, NULL }, { "foo{\"a.b\"=\"c\"}", 1, NULL },
	{ "foo{a=\"\"}", 1, NULL }, { "foo{a=\"1\",a=\"2\"}", 1, NULL },
	{ "", 0, "offset 0" }, { "{}", 0, "no metric name" },
	{ "{a=\"b\"}", 0, "no metric name" }, { "{__name__=\"\"}", 0, "no metric name" },
	{ "foo{a!=\"b\"}", 0, "only exact matchers" },
	{ "foo{a=~\"b\"}", 0, "only exact matchers" },
	{ "foo{a!~\"b\"}", 0, "only exact matchers" },
	{ "foo{a=\"b\"} x", 0, "offset 11" }, { "foo{a=\"\\t\"}", 0, "invalid escape" },
	{ "foo{a=\"b\"", 0, "unterminated label set at offset 9" }, { "\"foo\"", 0, "offset 0" },
	{ "foo{a='b'}", 0, "offset 6" }, { "foo bar", 0, "offset 4" },
	{ "foo{a=\"b\",,}", 0, "offset 10" }, { "{\"a\",\"b\"}", 0, "a second metric name" },
	{ "foo{a=\"\xff\"}", 0, "UTF-8" },
};

static void test_selectors(void)
{
	struct prom_sel *s;
	struct rd_err err;

	for (size_t i = 0; i < sizeof(sels) / sizeof(sels[0]); i++) {
		char name[40];
		int ok;

		memset(&err, 0, sizeof(err));
		ok = prom_sel_new(sels[i].sel, &s, &err) == 0;
		snprintf(name, sizeof(name), "selector %zu", i);
		T_EQ_INT(ok, sels[i].ok, name);
		if (!ok && sels[i].why && !T_OK(strstr(err.msg, sels[i].why) != NULL, "why"))
			printf("#   '%s'\n", err.msg);
		T_OK(ok == (s != NULL), "a selector only when parsed");
		prom_sel_free(s);
	}
}

/* Sum of sel over page, or NAN when either is refused. */
static double sum_of(const char *sel, const char *page, size_t len, size_t *n)
{
	struct prom_sel *s;
	struct rd_err err;
	double sum;

	*n = 0;
	if (prom_sel_new(sel, &s, &err) < 0)
		return NAN;
	if (prom_expo_sum(page, len ? len : strlen(page), s, &sum, n, &err) < 0)
		sum = NAN;
	prom_sel_free(s);
	return sum;
}

static void test_sums(void)
{
	static const struct {
		const char *sel;
		const char *page;
		double sum;     /* NAN: refused */
		size_t n;
	} c[] = {
		{ "name{a=\"b\"}", "name {a=\"b\"} 1\nname{ a = \"c\" } 2\n", 1, 1 },
		{ "name{a=\"b\"}", "name{ a = \"b\" } 1\n", 1, 1 },
		{ "foo", "foo 0x1p-3\n", NAN, 0 },
		{ "foo", "foo 1\nbar 1\nfoo \0\n", NAN, 0 },
		{ "foo", "foo{a=\"1\"} 1\nfoo{a=\"2\"} 2\nfoo 4\nfoobar 8\n", 7, 3 },
		{ "foo{a=\"\"}", "foo{a=\"1\"} 1\nfoo{a=\"\"} 2\nfoo 4\n", 2, 1 },
		{ "{__name__=\"foo\",a=\"1\"}", "foo{a=\"1\"} 1\nfoo{a=\"2\"} 2\n", 1, 1 },
		{ "{\"foo.bar\"}", "{\"foo.bar\",a=\"1\"} 1\nfoo 2\n", 1, 1 },
		{ "foo{a=\"x\\ny\\\\\\\"\"}", "foo{a=\"x\\ny\\\\\\\"\"} 5\nfoo{a=\"x\"} 1\n", 5, 1 },
		/* a series listed twice is one series */
		{ "foo", "foo{a=\"1\"} 1\nfoo{a=\"1\"} 10\n", 1, 1 },
		{ "foo", "foo{a=\"1\",b=\"\"} 1\nfoo{a=\"1\"} 10\n", 1, 1 },
		{ "foo", "foo{a=\"1\",b=\"2\"} 1\nfoo{b=\"2\",a=\"1\"} 10\n", 1, 1 },
		{ "foo", "foo 1 100\nfoo 10 200\nfoo 100 150\n", 10, 1 },
		{ "foo", "foo 1\nfoo 10 200\n", 1, 1 },
		/* le and quantile compare as numbers in their families only */
		{ "h_bucket{le=\"1\"}", "# TYPE h histogram\nh_bucket{le=\"1.0\"} 3\nh_bucket{le=\"1e0\"} 3\n", 3, 1 },
		{ "s{quantile=\"0.50\"}", "# TYPE s summary\ns{quantile=\"0.5\"} 3\n", 3, 1 },
		{ "c{le=\"1\"}", "c{le=\"1.0\"} 3\n", 0, 0 },
		{ "foo", "", 0, 0 },
		{ "foo", "foo 1\nfoo{ 2\n", NAN, 0 },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		size_t n, len = strlen(c[i].page);
		double sum;
		char name[120];

		if (i == 3)
			len = sizeof("foo 1\nbar 1\nfoo \0\n") - 1;
		sum = sum_of(c[i].sel, c[i].page, len, &n);
		snprintf(name, sizeof(name), "sum %zu: %s", i, c[i].sel);
		if (isnan(c[i].sum)) {
			T_OK(isnan(sum), name);
		} else if (T_OK(sum == c[i].sum && n == c[i].n, name) == 0) {
			printf("#   sum %g of %zu series\n", sum, n);
		}
	}
}

/* 17 labels, and label values longer than 255 bytes that differ only
 * after it: each matched exactly. */
static void test_big_series(void)
{
	struct buf page, sel;
	char longv[600];
	size_t n;
	double sum;

	buf_init(&page);
	buf_init(&sel);
	buf_adds(&page, "wide{");
	buf_adds(&sel, "wide{");
	for (int i = 1; i <= 17; i++) {
		buf_addf(&page, "%sl%d=\"v%d\"", i > 1 ? "," : "", i, i);
		buf_addf(&sel, "%sl%d=\"v%d\"", i > 1 ? "," : "", i, i);
	}
	buf_adds(&page, "} 17\nwide{l1=\"v1\"} 1000\n");
	buf_adds(&sel, "}");
	sum = sum_of(sel.data, page.data, page.len, &n);
	T_OK(sum == 17 && n == 1, "a series of 17 labels is matched");
	sum = sum_of("wide{l17=\"v17\"}", page.data, page.len, &n);
	T_OK(sum == 17 && n == 1, "by its 17th label too");

	memset(longv, 'x', sizeof(longv));
	longv[sizeof(longv) - 1] = '\0';
	buf_reset(&page);
	buf_addf(&page, "long{v=\"%sA\"} 1\nlong{v=\"%sB\"} 2\n", longv, longv);
	buf_reset(&sel);
	buf_addf(&sel, "long{v=\"%sB\"}", longv);
	sum = sum_of(sel.data, page.data, page.len, &n);
	T_OK(sum == 2 && n == 1, "a label value of 600 bytes is matched exactly");
	buf_reset(&sel);
	buf_addf(&sel, "long{v=\"%s\"}", longv);
	sum = sum_of(sel.data, page.data, page.len, &n);
	T_OK(sum == 0 && n == 0, "and its prefix matches nothing");

	/* many labels: duplicates found without comparing every pair */
	buf_reset(&page);
	buf_adds(&page, "many{");
	for (int i = 0; i < 5000; i++)
		buf_addf(&page, "l%d=\"x\",", i);
	buf_adds(&page, "l17=\"y\"} 1\n");
	sum = sum_of("many", page.data, page.len, &n);
	T_OK(isnan(sum), "a label twice among 5001 is refused");
	buf_release(&page);
	buf_release(&sel);
}

int main(void)
{
	test_selectors();
	test_sums();
	test_big_series();
	return t_done();
}
