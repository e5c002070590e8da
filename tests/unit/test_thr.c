/* Unit tests for lib/thr, lib/breaker and lib/hist: the threshold
 * grammar, Nagios ranges, the breaker's transitions and percentiles. */
#include <math.h>
#include <string.h>

#include "breaker.h"
#include "hist.h"
#include "thr.h"
#include "t.h"

struct tcase {
	const char *in;
	int ok;
	double value;
	double probe;     /* a value to test */
	int holds;
};

int main(void)
{
	static const struct tcase cases[] = {
		{ "p99<250ms", 1, 250, 249, 1 },
		{ "p99<250ms", 1, 250, 250, 0 },
		{ "p99 <= 1.5s", 1, 1500, 1500, 1 },
		{ "p50>2m", 1, 120000, 120001, 1 },
		{ "p90<100", 1, 100, 50, 1 },
		{ "error_rate<=1%", 1, 0.01, 0.01, 1 },
		{ "error_rate<0.05", 1, 0.05, 0.06, 0 },
		{ "value>=0.99", 1, 0.99, 0.99, 1 },
		{ "value==3", 1, 3, 3, 1 },
		{ "value!=3", 1, 3, 3, 0 },
		{ "rate>-1", 1, -1, 0, 1 },
		{ "p99<250%", 0, 0, 0, 0 },
		{ "error_rate<5ms", 0, 0, 0, 0 },
		{ "error_rate<200%", 0, 0, 0, 0 },
		{ "value>1e3", 0, 0, 0, 0 },
		{ "value>0x10", 0, 0, 0, 0 },
		{ "value>nan", 0, 0, 0, 0 },
		{ "value>", 0, 0, 0, 0 },
		{ "<3", 0, 0, 0, 0 },
		{ "value=3", 0, 0, 0, 0 },
		{ "value>3 ", 0, 0, 0, 0 },
		{ "value>3x", 0, 0, 0, 0 },
	};
	struct thr t;
	struct thr_range r;
	struct rd_err err;
	struct breaker b;
	struct hist h;
	char buf[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int ok = thr_parse(cases[i].in, &t, &err) == 0;

		T_EQ_INT(ok, cases[i].ok, cases[i].in);
		if (ok && cases[i].ok) {
			T_OK(fabs(t.value - cases[i].value) < 1e-9, "value in the metric's unit");
			T_EQ_INT(thr_holds(&t, cases[i].probe), cases[i].holds, "holds");
		}
	}
	thr_parse("p99<<3", &t, &err);
	T_OK(strstr(err.msg, "byte 4") != NULL, "the message names the byte offset");
	thr_parse("p99<250ms", &t, &err);
	T_OK(!thr_holds(&t, NAN), "no data never holds");
	T_EQ_STR(thr_fmt(0.125, THR_FRACTION, buf, sizeof(buf)), "12.50%", "shares print as %");
	T_EQ_STR(thr_fmt(12.34, THR_MS, buf, sizeof(buf)), "12.3ms", "latency prints as ms");

	/* monitoring-plugins ranges */
	T_EQ_INT(thr_range_parse("10", &r, &err), 0, "10");
	T_OK(!thr_range_alert(&r, 0) && !thr_range_alert(&r, 10) && thr_range_alert(&r, 11) &&
	     thr_range_alert(&r, -1), "10 means 0..10");
	thr_range_parse("10:", &r, &err);
	T_OK(!thr_range_alert(&r, 1e9) && thr_range_alert(&r, 9), "10: means >= 10");
	thr_range_parse("~:10", &r, &err);
	T_OK(!thr_range_alert(&r, -1e9) && thr_range_alert(&r, 11), "~:10");
	thr_range_parse("10:20", &r, &err);
	T_OK(thr_range_alert(&r, 9) && !thr_range_alert(&r, 15) && thr_range_alert(&r, 21), "10:20");
	thr_range_parse("@10:20", &r, &err);
	T_OK(!thr_range_alert(&r, 9) && thr_range_alert(&r, 15), "@ alerts inside");
	T_OK(thr_range_parse("20:10", &r, &err) < 0, "reversed");
	T_OK(thr_range_parse("abc", &r, &err) < 0, "garbage");
	T_OK(thr_range_parse("", &r, &err) < 0, "empty");

	/* breaker: K = 2, M = 2, cooldown 1000 ms */
	breaker_init(&b, 2, 2, 1000);
	T_EQ_INT(breaker_step(&b, 1, 0), 1, "closed and healthy passes");
	T_EQ_INT(breaker_step(&b, 0, 10), 0, "one bad evaluation fails");
	T_EQ_INT(b.state, BREAKER_CLOSED, "but stays closed");
	T_EQ_INT(breaker_step(&b, 1, 20), 1, "a good one resets");
	breaker_step(&b, 0, 30);
	breaker_step(&b, 0, 40);
	T_EQ_INT(b.state, BREAKER_OPEN, "K bad in a row open it");
	T_EQ_INT(breaker_step(&b, 1, 500), 0, "open during the cooldown");
	T_EQ_INT(b.state, BREAKER_OPEN, "still open");
	T_EQ_INT(breaker_step(&b, 1, 1040), 0, "after the cooldown: half-open, first good");
	T_EQ_INT(b.state, BREAKER_HALF_OPEN, "half-open");
	T_EQ_INT(breaker_step(&b, 0, 1050), 0, "a bad one in half-open");
	T_EQ_INT(b.state, BREAKER_OPEN, "opens again");
	T_EQ_INT(b.opened_ms, 1050, "and restarts the cooldown");
	breaker_step(&b, 1, 2100);
	T_EQ_INT(breaker_step(&b, 1, 2200), 1, "M good in a row close it");
	T_EQ_INT(b.state, BREAKER_CLOSED, "closed");
	/* state round trip, with a counter sample */
	{
		struct breaker c;
		struct buf j;

		breaker_step(&b, 0, 3000);
		breaker_sample_put(&b, "http://x/metrics up", 42.5, 2999);
		buf_init(&j);
		breaker_to_json(&b, &j);
		breaker_init(&c, 2, 2, 1000);
		T_EQ_INT(breaker_load(&c, j.data, j.len, &err), 0, "state loads");
		T_OK(c.state == b.state && c.bad == b.bad && c.good == b.good, "same state");
		T_OK(breaker_sample_get(&c, "http://x/metrics up") &&
		     breaker_sample_get(&c, "http://x/metrics up")->value == 42.5, "sample kept");
		T_OK(breaker_load(&c, "{}", 2, &err) < 0, "not a state");
		T_OK(breaker_load(&c, "{\"state\":\"ajar\"}", 16, &err) < 0, "unknown state");
		breaker_release(&c);
		buf_release(&j);
	}
	breaker_release(&b);

	hist_init(&h);
	T_OK(isnan(hist_pct(&h, 50)), "no samples: no percentile");
	for (int i = 100; i >= 1; i--)
		hist_add(&h, i);
	T_OK(hist_pct(&h, 50) == 50 && hist_pct(&h, 99) == 99 && hist_pct(&h, 100) == 100,
	     "nearest rank");
	hist_add(&h, 1000);
	T_OK(hist_pct(&h, 99) == 100, "a new sample re-sorts");
	hist_release(&h);
	return t_done();
}
