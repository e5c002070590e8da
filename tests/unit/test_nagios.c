/* Unit tests for lib/nagios: the status line kept to one line, perfdata
 * items in each unit, the words of a breach, and the per-metric ranges. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nagios.h"
#include "t.h"

struct lcase {
	int code;
	const char *text;
	const char *want;
};

static void test_status_line(void)
{
	static const struct lcase cases[] = {
		{ 0, "all checks passed", "RD-HEALTH OK - all checks passed" },
		{ 1, "p99=300ms", "RD-HEALTH WARNING - p99=300ms" },
		{ 2, "a\nb\tc\x7f", "RD-HEALTH CRITICAL - a?b?c?" },
		{ 3, "up{job=~\"a|b\"}", "RD-HEALTH UNKNOWN - up{job=~\"a\u00a6b\"}" },
		{ 0, "", "RD-HEALTH OK - " },
	};
	struct buf b;

	buf_init(&b);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&b);
		nagios_status_line(&b, cases[i].code, cases[i].text,
				   strlen(cases[i].text));
		T_EQ_STR(b.data, cases[i].want, cases[i].want);
	}
	buf_release(&b);
}

struct pcase {
	const char *label;
	double v;
	enum thr_unit u;
	const char *warn, *crit;  /* ranges, NULL for none */
	const char *want;
};

static void test_perf_item(void)
{
	static const struct pcase cases[] = {
		{ "p99", 250, THR_MS, "200", "300", " 'p99'=250ms;200;300;0;" },
		{ "error_rate", 0.07, THR_FRACTION, NULL, "5", " 'error_rate'=7%;;5;0;100" },
		{ "value", 3, THR_PLAIN, "@1:2", NULL, " 'value'=3;@1:2;;;" },
		{ "p50", NAN, THR_MS, NULL, NULL, " 'p50'=U;;;0;" },
	};
	struct thr_range w, c;
	struct rd_err err;
	struct buf b, label;

	buf_init(&b);
	buf_init(&label);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct pcase *pc = &cases[i];

		if (pc->warn && thr_range_parse(pc->warn, &w, &err) < 0)
			T_OK(0, err.msg);
		if (pc->crit && thr_range_parse(pc->crit, &c, &err) < 0)
			T_OK(0, err.msg);
		buf_reset(&b);
		buf_reset(&label);
		buf_adds(&label, pc->label);
		nagios_perf_item(&b, &label, nagios_perf_value(pc->v, pc->u), pc->u,
				 pc->warn ? &w : NULL, pc->crit ? &c : NULL);
		T_EQ_STR(b.data, pc->want, pc->want);
	}
	T_OK(nagios_perf_value(0.07, THR_FRACTION) == 7, "7% is 7, not 7.000000000000001");
	T_OK(nagios_perf_value(0.07, THR_MS) == 0.07, "a latency stays as it is");
	buf_release(&b);
	buf_release(&label);
}

static void test_breach(void)
{
	struct thr_range r, in;
	struct rd_err err;
	struct buf why, label;

	buf_init(&why);
	buf_init(&label);
	T_OK(thr_range_parse("2000", &r, &err) == 0, "range 2000");
	T_OK(thr_range_parse("@0:10", &in, &err) == 0, "range @0:10");
	buf_adds(&label, "p99");
	nagios_breach(&why, &label, 2500, THR_MS, &r, 1);
	T_EQ_STR(why.data, "p99=2500ms outside critical range 2000", "outside");
	nagios_breach(&why, &label, NAN, THR_MS, &r, 0);
	T_EQ_STR(why.data, "p99=2500ms outside critical range 2000; "
		 "p99 has no value (warning range 2000)", "joined, and no value");
	buf_reset(&why);
	buf_reset(&label);
	buf_adds(&label, "error_rate");
	nagios_breach(&why, &label, 5, THR_FRACTION, &in, 0);
	T_EQ_STR(why.data, "error_rate=5% inside warning range @0:10", "inside");
	buf_release(&why);
	buf_release(&label);
}

static void test_ranges(void)
{
	struct nagios_range *v = NULL;
	const struct thr_range *r;
	struct rd_err err;
	size_t n = 0;

	T_EQ_INT(nagios_range_add(&v, &n, "p99=10", 0, &err), 0, "p99=10 warning");
	T_EQ_INT(nagios_range_add(&v, &n, "p99=20", 1, &err), 0, "p99=20 critical");
	T_EQ_INT(nagios_range_add(&v, &n, "p99=15", 0, &err), 0, "p99=15 warning again");
	T_EQ_INT(n, 2, "a metric given twice at one level is kept once");
	r = nagios_range_find(v, n, "p99", 0);
	T_OK(r && r->hi == 15, "the last warning range wins");
	r = nagios_range_find(v, n, "p99", 1);
	T_OK(r && r->hi == 20, "the critical range apart");
	T_OK(nagios_range_find(v, n, "p50", 0) == NULL, "no range for p50");
	T_EQ_INT(nagios_range_add(&v, &n, "p99", 0, &err), RD_E_INVAL, "no '='");
	T_EQ_STR(err.msg, "'p99' is not METRIC=RANGE", "no '=': why");
	T_EQ_INT(nagios_range_add(&v, &n, "=10", 0, &err), RD_E_INVAL, "no metric");
	T_EQ_INT(nagios_range_add(&v, &n,
				  "a_metric_name_longer_than_forty_seven_bytes_xxxxx=1",
				  0, &err), RD_E_INVAL, "metric too long");
	T_EQ_INT(nagios_range_add(&v, &n, "p99=10:1", 1, &err), RD_E_INVAL, "bad range");
	T_OK(strstr(err.msg, "the start is above the end") != NULL, "bad range: thr's reason");
	T_EQ_INT(n, 2, "nothing added on error");
	free(v);
}

int main(void)
{
	test_status_line();
	test_perf_item();
	test_breach();
	test_ranges();
	return t_done();
}
